"""ShopDesk's own order template (店务台订单导入模板), for shops whose platform has no importer of its own.

An xlsx or CSV file (CSV in UTF-8, with or without BOM, or GBK), one row per order line; the order columns are
repeated on each row of the order and the rows of one order are adjacent (read from the order's first row).
`template_xlsx` and `template_csv` give the empty template with one example order; `COLUMNS` documents each column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import NamedTuple

from django.utils.translation import gettext

from .records import LineRecord, OrderRecord, RowError
from .textfile import (
    CellError,
    clean_landline,
    clean_mobile,
    code_of,
    datetime_of,
    decimal_of,
    empty_message,
    group_orders,
    header_index,
    iter_rows,
    missing_columns_error,
    quantity_of,
    read_header,
    status_of,
    yes_no,
)


class TemplateColumn(NamedTuple):
    header: str
    field: str  # the OrderRecord / LineRecord field it fills; "discount" lowers goods_amount
    required: bool
    help_text: str


COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("店铺订单号", "platform_order_no", True,
                   "必填。网店后台的订单号。一个订单有多个商品时每个商品一行，订单号相同的行必须上下相邻，订单各列每行重复填写。"),
    TemplateColumn("订单状态", "status", True, "必填。待付款、已付款、已发货、已完成、已取消之一"
                                               "（也可写 unpaid、paid、shipped、completed、cancelled）。"),
    TemplateColumn("下单时间", "ordered_at", True, "必填。北京时间，如 2026-11-11 20:03:51。"),
    TemplateColumn("付款时间", "paid_at", False, "北京时间，如 2026-11-11 20:05:12；未付款留空。"),
    TemplateColumn("买家账号", "buyer_platform_id", False, "买家在平台上的账号或昵称。"),
    TemplateColumn("收货人", "buyer_name", True, "必填。收货人姓名。"),
    TemplateColumn("手机", "mobile", False, "收货人手机号。手机与固定电话至少填一个。"),
    TemplateColumn("固定电话", "landline", False, "如 0571-88888888。手机与固定电话至少填一个。"),
    TemplateColumn("省", "province", True, "必填。如 浙江省；直辖市写 北京、上海、天津、重庆。"),
    TemplateColumn("市", "city", True, "必填。如 杭州市；直辖市写 北京市 等。"),
    TemplateColumn("区县", "district", False, "如 西湖区。"),
    TemplateColumn("详细地址", "address_detail", True, "必填。街道、门牌号，不用再写省市区。"),
    TemplateColumn("邮编", "postcode", False, "6位数字。"),
    TemplateColumn("商品编码", "channel_sku_code", True, "必填。网店后台的商家编码（SKU编码），用来对应店务台的SKU。"),
    TemplateColumn("商品名称", "title", False, "网店上的商品标题。"),
    TemplateColumn("规格", "properties", False, "如 颜色分类:混色;尺码:M。"),
    TemplateColumn("数量", "quantity", True, "必填。1 或以上的整数。"),
    TemplateColumn("单价", "unit_price", True, "必填。元，商品标价。"),
    TemplateColumn("运费", "shipping_fee", False, "元，整单的运费；空=0。"),
    TemplateColumn("优惠", "discount", False, "元，整单的优惠金额；货款=各行单价×数量之和减优惠。空=0。"),
    TemplateColumn("实付金额", "paid_amount", True, "必填。元，买家实际支付的整单金额（含运费）；未付款填 0。"),
    TemplateColumn("买家留言", "buyer_message", False, "买家下单时的留言。"),
    TemplateColumn("卖家备注", "seller_remark", False, "卖家的备注。"),
    TemplateColumn("发票抬头", "invoice_title", False, "需要发票时填写。"),
    TemplateColumn("贺卡内容", "greeting_card", False, "需要随货附贺卡时填写。"),
    TemplateColumn("送货时间", "delivery_wish", False, "买家希望的送货时间，如 工作日、周末。"),
    TemplateColumn("指定快递", "chosen_carrier", False, "买家指定的快递公司，如 顺丰。"),
    TemplateColumn("货到付款", "is_cod", False, "是/否（也可写 1/0、Y/N）；空=否。"),
)
HEADERS = [c.header for c in COLUMNS]
STATUSES = {
    "待付款": "unpaid", "已付款": "paid", "已发货": "shipped", "已完成": "completed", "已取消": "cancelled",
    **{code: code for code in ("unpaid", "paid", "shipped", "completed", "cancelled")},
}
_TEXT_COLUMNS = ("店铺订单号", "手机", "固定电话", "邮编", "商品编码")  # formatted as text in the xlsx template
_ORDER_EXAMPLE = {
    "店铺订单号": "SD202611110001", "订单状态": "已付款", "下单时间": "2026-11-11 20:03:51",
    "付款时间": "2026-11-11 20:05:12", "买家账号": "tb_zhangsan", "收货人": "张三", "手机": "13812345678",
    "固定电话": "", "省": "浙江省", "市": "杭州市", "区县": "西湖区", "详细地址": "文三路100号1幢101室",
    "邮编": "310000", "运费": "0", "优惠": "5.00", "实付金额": "84.70", "买家留言": "请尽快发货", "卖家备注": "",
    "发票抬头": "", "贺卡内容": "生日快乐", "送货时间": "工作日", "指定快递": "顺丰", "货到付款": "否",
}
EXAMPLE_ROWS = (
    {**_ORDER_EXAMPLE, "商品编码": "SS-BRIEF-002-1", "商品名称": "纯棉中腰女士内裤 3条装",
     "规格": "颜色分类:混色;尺码:M", "数量": "2", "单价": "39.90"},
    {**_ORDER_EXAMPLE, "商品编码": "SS-SOCK-030-1", "商品名称": "船袜 5双装", "规格": "颜色分类:白色",
     "数量": "1", "单价": "9.90"},
)
_NUMBER_COLUMNS = ("数量", "单价", "运费", "优惠", "实付金额")  # written as numbers in the xlsx template


def iter_orders(path) -> Iterator[OrderRecord | RowError]:
    """The orders of a filled-in template (.xlsx or .csv) with their lines; a RowError for each bad row (an order
    with a bad row is left out). Raises ImportFileError when the file cannot be read or a required column is
    missing."""
    rows = iter_rows(path)
    header = read_header(rows, path)
    col = header_index(header, {c.header: () for c in COLUMNS})
    missing = [c.header for c in COLUMNS if c.required and col[c.header] < 0]
    if missing:
        raise missing_columns_error(path, missing)

    def cell(cells: list[str], name: str) -> str:
        index = col[name]
        return cells[index].strip() if index >= 0 else ""

    def required(cells: list[str], name: str, line_no: int) -> str:
        text = cell(cells, name)
        if not text:
            raise CellError(line_no, empty_message(name))
        return text

    def start(line_no: int, order_no: str, cells: list[str]):
        word = required(cells, "订单状态", line_no)
        status, word = status_of(word.lower() if word.isascii() else word, STATUSES, "订单状态", line_no)
        mobile = clean_mobile(cell(cells, "手机"))
        landline = clean_landline(cell(cells, "固定电话"))
        if not mobile and not landline:
            raise CellError(line_no, gettext("%(column)s: give a mobile or a landline number")
                            % {"column": "手机/固定电话"})
        postcode = code_of(cell(cells, "邮编"), "邮编", line_no)
        if postcode.isdigit() and len(postcode) < 6:  # a number cell lost the leading zero of 010000
            postcode = postcode.zfill(6)
        order = OrderRecord(
            line_no=line_no,
            platform_order_no=order_no,
            status=status,
            platform_status=word,
            buyer_platform_id=cell(cells, "买家账号"),
            buyer_name=required(cells, "收货人", line_no),
            mobile=mobile,
            landline=landline,
            province=required(cells, "省", line_no),
            city=required(cells, "市", line_no),
            district=cell(cells, "区县"),
            address_detail=required(cells, "详细地址", line_no),
            postcode=postcode,
            shipping_fee=decimal_of(cell(cells, "运费"), "运费", line_no),
            paid_amount=decimal_of(cell(cells, "实付金额"), "实付金额", line_no, required=True),
            ordered_at=datetime_of(cell(cells, "下单时间"), "下单时间", line_no, required=True),
            paid_at=datetime_of(cell(cells, "付款时间"), "付款时间", line_no),
            buyer_message=cell(cells, "买家留言"),
            seller_remark=cell(cells, "卖家备注"),
            invoice_title=cell(cells, "发票抬头"),
            is_cod=yes_no(cell(cells, "货到付款"), "货到付款", line_no),
            greeting_card=cell(cells, "贺卡内容"),
            delivery_wish=cell(cells, "送货时间"),
            chosen_carrier=cell(cells, "指定快递"),
        )
        return order, decimal_of(cell(cells, "优惠"), "优惠", line_no)

    def add_line(pending, line_no: int, cells: list[str]) -> None:
        line = LineRecord(
            line_no=line_no,
            channel_sku_code=code_of(required(cells, "商品编码", line_no), "商品编码", line_no),
            title=cell(cells, "商品名称"),
            properties=cell(cells, "规格"),
            quantity=quantity_of(required(cells, "数量", line_no), "数量", line_no),
            unit_price=decimal_of(cell(cells, "单价"), "单价", line_no, required=True),
        )
        if pending is not None:
            pending[0].lines.append(line)

    def finish(pending) -> OrderRecord | RowError:
        order, discount = pending
        total = sum((line.unit_price * line.quantity for line in order.lines), Decimal("0"))
        if discount > total:
            return RowError(order.line_no, gettext("%(column)s: the discount %(discount)s is more than the goods "
                                                   "total %(total)s") % {"column": "优惠", "discount": discount,
                                                                         "total": total})
        order.goods_amount = total - discount
        return order

    yield from group_orders(rows, order_no_index=col["店铺订单号"], order_no_column="店铺订单号", start=start,
                            add_line=add_line, finish=finish)


def template_csv() -> bytes:
    """The template as CSV (UTF-8 with BOM, so that Excel shows the Chinese): the header and the example order."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for example in EXAMPLE_ROWS:
        writer.writerow([example.get(h, "") for h in HEADERS])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx() -> bytes:
    """The template as xlsx: the header row (bold, frozen), the example order of two lines, and a sheet "说明"
    describing each column."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "订单"
    sheet.append(HEADERS)
    bold = Font(bold=True)
    for column in COLUMNS:
        cell = sheet.cell(row=1, column=HEADERS.index(column.header) + 1)
        cell.font = bold
        if column.required:
            cell.fill = PatternFill("solid", fgColor="FDE7D4")
    sheet.freeze_panes = "A2"
    for example in EXAMPLE_ROWS:
        sheet.append([_xlsx_value(h, example.get(h, "")) for h in HEADERS])
        for index, header in enumerate(HEADERS, start=1):
            if header in _NUMBER_COLUMNS and header != "数量":
                sheet.cell(row=sheet.max_row, column=index).number_format = "0.00"
    for index, header in enumerate(HEADERS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = {"详细地址": 28, "商品名称": 24, "规格": 22, "下单时间": 20,
                                                 "付款时间": 20, "店铺订单号": 18}.get(header, 12)
        if header in _TEXT_COLUMNS:  # long numbers stay as typed (no 1.38E+10, no lost leading zero)
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 2 + len(EXAMPLE_ROWS)):
                sheet.cell(row=row, column=index).number_format = "@"

    notes = workbook.create_sheet("说明")
    notes.append(["列", "必填", "说明"])
    for cell in notes[1]:
        cell.font = bold
    for column in COLUMNS:
        notes.append([column.header, "是" if column.required else "否", column.help_text])
    notes.append([])
    notes.append(["规则", "", "每个商品一行；同一订单的多行上下相邻，订单各列每行重复填写（按第一行读取）。"
                              "第一行是列名，列的顺序可以调整，不认识的列会被忽略。时间一律按北京时间。"])
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 6
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(header: str, value: str):
    if header in _NUMBER_COLUMNS and value:
        return int(value) if header == "数量" else float(value)
    return value
