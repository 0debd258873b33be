"""The JD seller export (京东商家后台 订单导出): one xlsx file, one row per order line.

The order columns repeat on each row of the order; the rows of one order are adjacent and become one OrderRecord
(its line number is that of its first row; the order columns are read from that row). Columns are found by their
header names, in any order; extra columns are ignored. A CSV copy of the export is read too.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .address import split_address
from .records import LineRecord, OrderRecord, RowError
from .textfile import (
    clean_landline,
    clean_mobile,
    code_of,
    datetime_of,
    decimal_of,
    group_orders,
    header_index,
    iter_rows,
    looks_mobile,
    missing_columns_error,
    quantity_of,
    read_header,
    status_of,
)

# Column name -> other spellings.
COLUMNS: dict[str, tuple[str, ...]] = {
    "订单号": (),
    "商品ID": ("商品编号",),
    "商品名称": (),
    "订购数量": (),
    "京东价": (),
    "应付金额": (),
    "客户姓名": (),
    "客户地址": (),
    "联系电话": (),
    "订单状态": (),
    "下单时间": (),
    "付款确认时间": (),
    "订单备注": (),
    "商家备注": (),
    "买家备注": ("客户留言",),
    "运费金额": (),
    "订单金额": ("商品金额",),
    "支付方式": (),
    "发票抬头": ("发票信息",),
    "商家SKU编码": ("商家SKU编号",),
    "下单帐号": ("下单账号", "客户账号"),
}
REQUIRED = ("订单号", "商品ID", "订购数量", "京东价", "应付金额", "客户姓名", "客户地址", "联系电话", "订单状态",
            "下单时间")

STATUSES = {
    "等待付款": "unpaid",
    "等待出库": "paid",
    "等待发货": "paid",
    "等待打印": "paid",
    "等待拣货": "paid",
    "等待确认收货": "shipped",
    "已发货": "shipped",
    "完成": "completed",
    "已完成": "completed",
    "已取消": "cancelled",
    "(删除)": "cancelled",
    "（删除）": "cancelled",
    "删除": "cancelled",
}
COD_WORD = "货到付款"


def iter_orders(path) -> Iterator[OrderRecord | RowError]:
    """The orders of a JD export with their lines; a RowError for each bad row (an order with a bad row is left out).

    Raises ImportFileError when the file cannot be read or a required column is missing."""
    rows = iter_rows(path)
    header = read_header(rows, path)
    col = header_index(header, COLUMNS)
    missing = [name for name in REQUIRED if col[name] < 0]
    if missing:
        raise missing_columns_error(path, missing)

    def cell(cells: list[str], name: str) -> str:
        index = col[name]
        return cells[index].strip() if index >= 0 else ""

    # 订单备注 is the seller's remark, unless the export also has 商家备注: then that is, and 订单备注 is the buyer's.
    remark_column = "商家备注" if col["商家备注"] >= 0 else "订单备注"
    message_column = "买家备注" if col["买家备注"] >= 0 or remark_column == "订单备注" else "订单备注"

    def start(line_no: int, order_no: str, cells: list[str]):
        status, word = status_of(cell(cells, "订单状态"), STATUSES, "订单状态", line_no)
        phone = clean_mobile(cell(cells, "联系电话"))
        mobile, landline = (phone, "") if looks_mobile(phone) else ("", clean_landline(cell(cells, "联系电话")))
        province, city, district, detail, postcode = split_address(cell(cells, "客户地址"))
        order = OrderRecord(
            line_no=line_no,
            platform_order_no=order_no,
            status=status,
            platform_status=word,
            buyer_platform_id=cell(cells, "下单帐号"),
            buyer_name=cell(cells, "客户姓名"),
            mobile=mobile,
            landline=landline,
            province=province,
            city=city,
            district=district,
            address_detail=detail,
            postcode=postcode,
            shipping_fee=decimal_of(cell(cells, "运费金额"), "运费金额", line_no),
            paid_amount=decimal_of(cell(cells, "应付金额"), "应付金额", line_no),
            ordered_at=datetime_of(cell(cells, "下单时间"), "下单时间", line_no, required=True),
            paid_at=datetime_of(cell(cells, "付款确认时间"), "付款确认时间", line_no),
            buyer_message=cell(cells, message_column),
            seller_remark=cell(cells, remark_column),
            invoice_title=cell(cells, "发票抬头"),
            is_cod=COD_WORD in cell(cells, "支付方式"),
        )
        total = cell(cells, "订单金额")
        return order, (decimal_of(total, "订单金额", line_no) if total else None)

    def add_line(pending, line_no: int, cells: list[str]) -> None:
        # The seller's own SKU code when the export has one, else JD's product id.
        code = code_of(cell(cells, "商家SKU编码"), "商家SKU编码", line_no) or code_of(cell(cells, "商品ID"), "商品ID",
                                                                                  line_no)
        line = LineRecord(
            line_no=line_no,
            channel_sku_code=code,
            title=cell(cells, "商品名称"),
            quantity=quantity_of(cell(cells, "订购数量"), "订购数量", line_no),
            unit_price=decimal_of(cell(cells, "京东价"), "京东价", line_no),
        )
        if pending is not None:
            pending[0].lines.append(line)

    def finish(pending) -> OrderRecord:
        order, total = pending
        order.goods_amount = total if total is not None else sum(
            (line.unit_price * line.quantity for line in order.lines), Decimal("0"))
        return order

    yield from group_orders(rows, order_no_index=col["订单号"], order_no_column="订单号", start=start,
                            add_line=add_line, finish=finish)
