"""The Taobao/Tmall seller-centre export (淘宝/天猫 卖家中心 订单导出): two CSV files, read separately.

- ExportOrderList.csv, one row per order: `iter_orders`.
- ExportOrderDetailList.csv, one row per order line: `iter_items`, which yields (order number, line); the order
  writer joins them to the orders by order number.

The Taobao files are GBK; UTF-8 (with or without BOM) and a copy saved by Excel as .xlsx are read too. Columns are
found by their header names, in any order; extra columns are ignored. Both parsers stream: a file is never read
into memory as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator

from .address import split_address
from .records import LineRecord, OrderRecord, RowError
from .textfile import (
    CellError,
    clean_landline,
    clean_mobile,
    code_of,
    datetime_of,
    decimal_of,
    empty_message,
    header_index,
    iter_rows,
    looks_mobile,
    missing_columns_error,
    quantity_of,
    read_header,
    status_of,
)

ORDERS_FILE = "orders"
ITEMS_FILE = "items"

# Column name -> other spellings seen in newer exports.
ORDER_COLUMNS: dict[str, tuple[str, ...]] = {
    "订单编号": ("主订单编号",),
    "买家会员名": ("买家昵称",),
    "买家应付货款": (),
    "买家应付邮费": (),
    "买家实际支付金额": (),
    "订单状态": (),
    "收货人姓名": (),
    "收货地址": (),
    "联系手机": (),
    "联系电话": (),
    "订单创建时间": (),
    "订单付款时间": (),
    "买家留言": (),
    "订单备注": ("商家备注",),
    "发票抬头": (),
    "物流单号": (),
    "物流公司": (),
    "订单关闭原因": (),
    "是否手机订单": (),
}
ORDER_REQUIRED = ("订单编号", "买家会员名", "买家应付货款", "买家应付邮费", "买家实际支付金额", "订单状态",
                  "收货人姓名", "收货地址", "订单创建时间")
PHONE_COLUMNS = ("联系手机", "联系电话")  # at least one of them

ITEM_COLUMNS: dict[str, tuple[str, ...]] = {
    "订单编号": ("主订单编号",),
    "标题": ("商品标题", "宝贝标题"),
    "价格": ("商品价格",),
    "购买数量": (),
    "商家编码": (),
    "外部系统编号": (),
    "商品属性": (),
}
ITEM_REQUIRED = ("订单编号", "标题", "价格", "购买数量", "商家编码")

STATUSES = {
    "等待买家付款": "unpaid",
    "买家已付款，等待卖家发货": "paid",
    "买家已付款,等待卖家发货": "paid",
    "卖家部分发货": "paid",
    "卖家已发货，等待买家确认": "shipped",
    "卖家已发货,等待买家确认": "shipped",
    "交易成功": "completed",
    "交易关闭": "cancelled",
    "交易被淘宝关闭": "cancelled",
    "付款以后用户退款成功，交易自动关闭": "cancelled",
    "付款以后用户退款成功,交易自动关闭": "cancelled",
}
MOBILE_ORDER_WORDS = frozenset({"手机订单", "是", "1", "Y", "YES", "TRUE"})


def iter_orders(path) -> Iterator[OrderRecord | RowError]:
    """The orders of an ExportOrderList.csv, without lines; a RowError (file "orders") for each bad row.

    Raises ImportFileError when the file cannot be read or a required column is missing."""
    rows = iter_rows(path)
    header = read_header(rows, path)
    col = header_index(header, ORDER_COLUMNS)
    missing = [name for name in ORDER_REQUIRED if col[name] < 0]
    if col["联系手机"] < 0 and col["联系电话"] < 0:
        missing.append("/".join(PHONE_COLUMNS))
    if missing:
        raise missing_columns_error(path, missing)
    i_no, i_buyer, i_goods, i_post, i_paid, i_status, i_name, i_address, i_created = (col[n] for n in ORDER_REQUIRED)
    i_mobile, i_phone, i_paid_at, i_message, i_remark, i_invoice, i_tracking, i_carrier, i_close, i_mobile_order = (
        col[n] for n in ("联系手机", "联系电话", "订单付款时间", "买家留言", "订单备注", "发票抬头", "物流单号",
                         "物流公司", "订单关闭原因", "是否手机订单"))
    for line_no, row in rows:
        try:
            order_no = code_of(row[i_no], "订单编号", line_no)
            if not order_no:
                if any(cell.strip() for cell in row):
                    yield RowError(line_no, empty_message("订单编号"), ORDERS_FILE)
                continue
            status, word = status_of(row[i_status], STATUSES, "订单状态", line_no)
            mobile = clean_mobile(row[i_mobile]) if i_mobile >= 0 else ""
            landline = clean_landline(row[i_phone]) if i_phone >= 0 else ""
            if not mobile and looks_mobile(landline):  # the mobile number given as the contact phone
                mobile, landline = landline, ""
            province, city, district, detail, postcode = split_address(row[i_address])
            yield OrderRecord(
                line_no=line_no,
                platform_order_no=order_no,
                status=status,
                platform_status=word,
                buyer_platform_id=row[i_buyer].strip(),
                buyer_name=row[i_name].strip(),
                mobile=mobile,
                landline=landline,
                province=province,
                city=city,
                district=district,
                address_detail=detail,
                postcode=postcode,
                goods_amount=decimal_of(row[i_goods], "买家应付货款", line_no),
                shipping_fee=decimal_of(row[i_post], "买家应付邮费", line_no),
                paid_amount=decimal_of(row[i_paid], "买家实际支付金额", line_no),
                ordered_at=datetime_of(row[i_created], "订单创建时间", line_no, required=True),
                paid_at=datetime_of(row[i_paid_at], "订单付款时间", line_no) if i_paid_at >= 0 else None,
                buyer_message=row[i_message].strip() if i_message >= 0 else "",
                seller_remark=row[i_remark].strip() if i_remark >= 0 else "",
                invoice_title=row[i_invoice].strip() if i_invoice >= 0 else "",
                carrier_name=row[i_carrier].strip() if i_carrier >= 0 else "",
                tracking_no=code_of(row[i_tracking], "物流单号", line_no) if i_tracking >= 0 else "",
                close_reason=row[i_close].strip() if i_close >= 0 else "",
                is_mobile_order=i_mobile_order >= 0 and row[i_mobile_order].strip().upper() in MOBILE_ORDER_WORDS,
            )
        except CellError as exc:
            yield exc.row_error(ORDERS_FILE)


def iter_items(path) -> Iterator[tuple[str, LineRecord] | RowError]:
    """(order number, line) for each row of an ExportOrderDetailList.csv; a RowError (file "items") for each bad row.

    The SKU code is 商家编码, else 外部系统编号, else "" (the writer reports the line as not mapped to a SKU).
    Raises ImportFileError when the file cannot be read or a required column is missing."""
    rows = iter_rows(path)
    header = read_header(rows, path)
    col = header_index(header, ITEM_COLUMNS)
    missing = [name for name in ITEM_REQUIRED if col[name] < 0]
    if missing:
        raise missing_columns_error(path, missing)
    i_no, i_title, i_price, i_quantity, i_code = (col[n] for n in ITEM_REQUIRED)
    i_external, i_properties = col["外部系统编号"], col["商品属性"]
    for line_no, row in rows:
        try:
            order_no = code_of(row[i_no], "订单编号", line_no)
            if not order_no:
                if any(cell.strip() for cell in row):
                    yield RowError(line_no, empty_message("订单编号"), ITEMS_FILE)
                continue
            code = code_of(row[i_code], "商家编码", line_no)
            if not code and i_external >= 0:
                code = code_of(row[i_external], "外部系统编号", line_no)
            yield order_no, LineRecord(
                line_no=line_no,
                channel_sku_code=code,
                title=row[i_title].strip(),
                properties=row[i_properties].strip() if i_properties >= 0 else "",
                quantity=quantity_of(row[i_quantity], "购买数量", line_no),
                unit_price=decimal_of(row[i_price], "价格", line_no),
            )
        except CellError as exc:
            yield exc.row_error(ITEMS_FILE)


__all__ = ["ITEM_COLUMNS", "ORDER_COLUMNS", "STATUSES", "iter_items", "iter_orders"]
