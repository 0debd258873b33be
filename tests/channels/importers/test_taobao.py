"""The Taobao/Tmall export pair: the shared real sample, encodings, Excel's number tricks, bad rows and columns."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shopdesk.channels.importers import taobao
from shopdesk.channels.importers.records import ImportFileError, LineRecord, OrderRecord, RowError

from .helpers import SAMPLES, csv_text, errors, write, write_xlsx

CHINA = ZoneInfo("Asia/Shanghai")
ORDERS = SAMPLES / "ExportOrderList.csv"
ITEMS = SAMPLES / "ExportOrderDetailList.csv"

# The header of a real export, trailing spaces included.
HEADER = ["订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "总金额", "买家实际支付金额",
          "订单状态", "买家留言", "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间",
          "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺名称",
          "订单关闭原因", "发票抬头", "是否手机订单"]


def order_row(no='="555200494606748983"', **changes) -> list[str]:
    values = {
        "订单编号": no, "买家会员名": "tb725763863", "买家应付货款": "39.90", "买家应付邮费": "12.00",
        "总金额": "51.90", "买家实际支付金额": "51.90", "订单状态": "买家已付款，等待卖家发货",
        "买家留言": "尺码偏小吗？要大一码", "收货人姓名": "张秀英",
        "收货地址 ": "浙江省 杭州市 西湖区 文三路407号2幢1006室(310000)", "联系手机": "13830166131",
        "订单创建时间": "2026-11-11 20:03:51", "订单付款时间 ": "2026-11-11 20:18:02", "宝贝标题 ": "内裤",
        "宝贝种类 ": "1", "宝贝总数量": "1", "店铺名称": "丝施品牌旗舰店", "是否手机订单": "手机订单",
    }
    values.update(changes)
    return [values.get(h, "") for h in HEADER]


# --- the real sample pair --------------------------------------------------------------------------------------


def test_sample_orders():
    records = list(taobao.iter_orders(ORDERS))
    assert errors(records) == []
    assert len(records) == 40
    assert [r.line_no for r in records] == list(range(2, 42))
    first = records[0]
    assert first.platform_order_no == "555200494606748983"
    assert first.buyer_platform_id == "tb725763863"
    assert first.buyer_name == "张秀英"
    assert first.mobile == "13830166131" and first.landline == ""
    assert (first.province, first.city, first.district, first.address_detail, first.postcode) == (
        "浙江省", "杭州市", "西湖区", "文三路407号2幢1006室", "310000")
    assert first.status == "paid" and first.platform_status == "买家已付款，等待卖家发货"
    assert first.ordered_at == datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)
    assert first.paid_at == datetime.fromisoformat("2026-11-11 20:18:02+08:00")
    assert (first.goods_amount, first.shipping_fee, first.paid_amount) == (
        Decimal("39.90"), Decimal("12.00"), Decimal("51.90"))
    assert first.buyer_message == "尺码偏小吗？要大一码"
    assert first.is_mobile_order is True
    assert first.lines == []

    completed = next(r for r in records if r.platform_order_no == "621323347317459794")
    assert completed.status == "completed" and completed.platform_status == "交易成功"
    assert completed.tracking_no == "716251881454" and completed.carrier_name == "中通快递"
    assert completed.invoice_title == "杭州某某科技有限公司"
    assert completed.is_mobile_order is False

    unpaid = next(r for r in records if r.platform_order_no == "646598163681295745")
    assert unpaid.status == "unpaid" and unpaid.paid_at is None and unpaid.paid_amount == Decimal("0")

    closed = next(r for r in records if r.platform_order_no == "197404421082629130")
    assert closed.status == "cancelled" and closed.close_reason == "买家未付款"
    assert (closed.province, closed.city, closed.district) == ("上海", "上海市", "浦东新区")

    assert {r.status for r in records} == {"unpaid", "paid", "shipped", "completed", "cancelled"}
    assert all(r.province and r.city and r.district and r.postcode and r.mobile for r in records)


def test_sample_items():
    records = list(taobao.iter_items(ITEMS))
    assert errors(records) == []
    assert len(records) == 51
    order_no, line = records[0]
    assert order_no == "555200494606748983"
    assert line == LineRecord(line_no=2, channel_sku_code="SS-BRIEF-002-1", title="丝施 纯棉中腰女士内裤 3条装",
                              properties="颜色分类:混色;尺码:M", quantity=1, unit_price=Decimal("39.90"))
    assert records[-1][0] == "944035838797362993" and records[-1][1].quantity == 3
    order_nos = {r.platform_order_no for r in taobao.iter_orders(ORDERS)}
    assert {no for no, _line in records} == order_nos  # every order has lines, every line an order


def test_sample_goods_amounts_match_the_lines():
    totals: dict[str, Decimal] = {}
    for order_no, line in taobao.iter_items(ITEMS):
        totals[order_no] = totals.get(order_no, Decimal("0")) + line.unit_price * line.quantity
    for order in taobao.iter_orders(ORDERS):
        assert order.goods_amount == totals[order.platform_order_no], order.platform_order_no


# --- encodings and Excel tricks -------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8"])
def test_same_records_in_each_encoding(tmp_path, encoding):
    text = ORDERS.read_bytes().decode("gbk")
    path = write(tmp_path / "ExportOrderList.csv", text, encoding)
    assert list(taobao.iter_orders(path)) == list(taobao.iter_orders(ORDERS))
    items = write(tmp_path / "ExportOrderDetailList.csv", ITEMS.read_bytes().decode("gbk"), encoding)
    assert list(taobao.iter_items(items)) == list(taobao.iter_items(ITEMS))


def test_order_numbers_quoted_and_unquoted(tmp_path):
    text = csv_text(HEADER, [order_row('="555200494606748983"')])  # csv quotes it: "=""555200494606748983"""
    assert '"=""555200494606748983"""' in text
    raw = text + ",".join(order_row('="583234416758609302"')) + "\r\n"  # written unquoted: ="583234416758609302"
    assert '\r\n="583234416758609302",' in raw
    raw += ",".join(order_row("'762265446085718847")) + "\r\n"
    raw += ",".join(order_row("646598163681295745")) + "\r\n"
    records = list(taobao.iter_orders(write(tmp_path / "o.csv", raw)))
    assert [r.platform_order_no for r in records] == [
        "555200494606748983", "583234416758609302", "762265446085718847", "646598163681295745"]


def test_phones_with_apostrophe_and_formula(tmp_path):
    rows = [order_row(联系手机="'13830166131"),
            order_row('="2"', 联系手机='="138 3016 6131"', **{"联系电话 ": "'0571-88888888"}),
            order_row('="3"', 联系手机="", **{"联系电话 ": "'15199351819"})]
    first, second, third = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, rows)))
    assert (first.mobile, first.landline) == ("13830166131", "")
    assert (second.mobile, second.landline) == ("13830166131", "0571-88888888")
    assert (third.mobile, third.landline) == ("15199351819", "")  # the mobile written as the contact phone


def test_tracking_number_unwrapped(tmp_path):
    rows = [order_row(订单状态="卖家已发货，等待买家确认", **{"物流单号 ": '="716251881454"', "物流公司": "中通快递"})]
    (order,) = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, rows)))
    assert (order.status, order.tracking_no, order.carrier_name) == ("shipped", "716251881454", "中通快递")


@pytest.mark.parametrize(("word", "status"), [
    ("等待买家付款", "unpaid"), ("买家已付款，等待卖家发货", "paid"), ("买家已付款,等待卖家发货", "paid"),
    ("卖家部分发货", "paid"), ("卖家已发货，等待买家确认", "shipped"), ("交易成功", "completed"),
    ("交易关闭", "cancelled"), ("交易被淘宝关闭", "cancelled"), ("付款以后用户退款成功，交易自动关闭", "cancelled"),
])
def test_statuses(tmp_path, word, status):
    (order,) = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, [order_row(订单状态=word)])))
    assert (order.status, order.platform_status) == (status, word)


def test_columns_found_by_name_in_any_order(tmp_path):
    shuffled = list(reversed(HEADER))
    rows = [list(reversed(order_row()))]
    (order,) = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(shuffled, rows)))
    (expected,) = taobao.iter_orders(write(tmp_path / "p.csv", csv_text(HEADER, [order_row()])))
    assert order == expected


def test_an_excel_copy_is_read_too(tmp_path):
    rows = [order_row('="555200494606748983"'), order_row("583234416758609302")]
    rows[1][HEADER.index("买家应付货款")] = 159  # numbers typed into cells
    path = write_xlsx(tmp_path / "ExportOrderList.xlsx", HEADER, rows)
    first, second = taobao.iter_orders(path)
    assert first.platform_order_no == "555200494606748983"
    assert (second.platform_order_no, second.goods_amount) == ("583234416758609302", Decimal("159"))


def test_order_number_rounded_by_excel(tmp_path):
    rows = [order_row(555200494606748983.0), order_row('="2"')]
    path = write_xlsx(tmp_path / "ExportOrderList.xlsx", HEADER, rows)
    error, order = taobao.iter_orders(path)
    assert isinstance(error, RowError) and error.line_no == 2 and "订单编号" in error.reason
    assert order.platform_order_no == "2"


# --- bad rows and files ---------------------------------------------------------------------------------------


def test_blank_lines_and_multiline_cells_keep_physical_line_numbers(tmp_path, english):
    text = csv_text(HEADER, [order_row('="1"')])  # lines 1-2
    text += "\r\n"  # line 3
    text += csv_text(HEADER, [order_row('="2"', 买家留言="请发顺丰\r\n谢谢")]).split("\r\n", 1)[1]  # lines 4-5
    text += ",,,,,,\r\n\r\n"  # lines 6-7
    text += csv_text(HEADER, [order_row('="3"', 订单状态="等待发货")]).split("\r\n", 1)[1]  # line 8
    text += csv_text(HEADER, [order_row('="4"', 买家应付货款="39,9元x")]).split("\r\n", 1)[1]  # line 9
    text += csv_text(HEADER, [order_row('="5"')]).split("\r\n", 1)[1]  # line 10
    records = list(taobao.iter_orders(write(tmp_path / "o.csv", text)))
    assert [(type(r).__name__, r.line_no) for r in records] == [
        ("OrderRecord", 2), ("OrderRecord", 4), ("RowError", 8), ("RowError", 9), ("OrderRecord", 10)]
    assert records[1].buyer_message == "请发顺丰\r\n谢谢"
    status_error, amount_error = errors(records)
    assert status_error == RowError(8, "订单状态: unknown order status '等待发货'", "orders")
    assert amount_error.reason.startswith("买家应付货款: ") and "39,9元x" in amount_error.reason
    assert amount_error.file == "orders"


def test_empty_order_number(tmp_path):
    rows = [order_row(""), order_row('="2"')]
    error, order = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, rows)))
    assert (error.line_no, error.file) == (2, "orders") and error.reason.startswith("订单编号: ")
    assert order.platform_order_no == "2"


def test_bad_dates(tmp_path):
    rows = [order_row(订单创建时间=""), order_row('="2"', **{"订单付款时间 ": "昨天"})]
    first, second = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, rows)))
    assert (first.line_no, first.reason.split(":")[0]) == (2, "订单创建时间")
    assert (second.line_no, second.reason.split(":")[0]) == (3, "订单付款时间")


@pytest.mark.parametrize("column", ["订单状态", "买家实际支付金额", "收货地址 ", "订单编号"])
def test_missing_column(tmp_path, column):
    index = HEADER.index(column)
    header = HEADER[:index] + HEADER[index + 1:]
    row = order_row()
    path = write(tmp_path / "ExportOrderList.csv", csv_text(header, [row[:index] + row[index + 1:]]))
    with pytest.raises(ImportFileError) as exc:
        list(taobao.iter_orders(path))
    assert column.strip() in str(exc.value)
    assert "ExportOrderList.csv" in str(exc.value)


def test_one_phone_column_is_enough_but_not_none(tmp_path):
    header = [h for h in HEADER if h != "联系电话 "]
    row = [v for h, v in zip(HEADER, order_row(), strict=True) if h != "联系电话 "]
    (order,) = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(header, [row])))
    assert order.mobile == "13830166131"
    header = [h for h in header if h != "联系手机"]
    with pytest.raises(ImportFileError, match="联系手机/联系电话"):
        list(taobao.iter_orders(write(tmp_path / "p.csv", csv_text(header, [row[:-1]]))))


def test_empty_file(tmp_path):
    with pytest.raises(ImportFileError, match="o.csv"):
        list(taobao.iter_orders(write(tmp_path / "o.csv", "")))


def test_header_only_file(tmp_path):
    assert list(taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, [])))) == []


# --- items ----------------------------------------------------------------------------------------------------

ITEM_HEADER = ["订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注", "订单状态",
               "商家编码"]


def item_row(no='="1"', **changes) -> list[str]:
    values = {"订单编号": no, "标题": "丝施 船袜 5双装", "价格": "0.01", "购买数量": "3", "商品属性": "颜色分类:白色",
              "订单状态": "交易成功", "商家编码": "SS-SOCK-030-1"}
    values.update(changes)
    return [values.get(h, "") for h in ITEM_HEADER]


def test_items_code_falls_back_to_external_code(tmp_path):
    rows = [item_row(), item_row('="2"', 商家编码="", 外部系统编号="EXT-9"), item_row('="3"', 商家编码="")]
    records = list(taobao.iter_items(write(tmp_path / "i.csv", csv_text(ITEM_HEADER, rows))))
    assert [(no, line.channel_sku_code) for no, line in records] == [
        ("1", "SS-SOCK-030-1"), ("2", "EXT-9"), ("3", "")]


@pytest.mark.parametrize("quantity", ["0", "-1", "1.5", "", "两"])
def test_items_bad_quantity(tmp_path, quantity):
    rows = [item_row(), item_row('="2"', 购买数量=quantity), item_row('="3"')]
    records = list(taobao.iter_items(write(tmp_path / "i.csv", csv_text(ITEM_HEADER, rows))))
    (error,) = errors(records)
    assert (error.line_no, error.file) == (3, "items")
    assert error.reason.startswith("购买数量: ")
    assert [r[0] for r in records if isinstance(r, tuple)] == ["1", "3"]


def test_items_bad_price(tmp_path):
    (error,) = taobao.iter_items(write(tmp_path / "i.csv", csv_text(ITEM_HEADER, [item_row(价格="免费")])))
    assert error == RowError(2, error.reason, "items") and error.reason.startswith("价格: ")


def test_items_missing_column(tmp_path):
    header = [h for h in ITEM_HEADER if h != "商家编码"]
    path = write(tmp_path / "ExportOrderDetailList.csv", csv_text(header, [item_row()[:-1]]))
    with pytest.raises(ImportFileError, match="商家编码") as exc:
        list(taobao.iter_items(path))
    assert "ExportOrderDetailList.csv" in str(exc.value)


def test_streams(tmp_path):
    """The parser yields each record as it reads it (a bad row far down does not stop the rows before)."""
    rows = [order_row(f'="{n}"') for n in range(1, 1001)]
    records = taobao.iter_orders(write(tmp_path / "o.csv", csv_text(HEADER, rows)))
    assert isinstance(next(records), OrderRecord)
    records.close()
