"""ShopDesk's own order template: the template files, reading them back, and the template's own rules."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from shopdesk.channels.importers import generic
from shopdesk.channels.importers.generic import COLUMNS, EXAMPLE_ROWS, HEADERS
from shopdesk.channels.importers.records import ImportFileError, LineRecord, OrderRecord, RowError

from .helpers import csv_text, errors, orders, write, write_xlsx

CHINA = ZoneInfo("Asia/Shanghai")


def test_columns_in_the_documented_order():
    assert HEADERS == ["店铺订单号", "订单状态", "下单时间", "付款时间", "买家账号", "收货人", "手机", "固定电话", "省",
                       "市", "区县", "详细地址", "邮编", "商品编码", "商品名称", "规格", "数量", "单价", "运费", "优惠",
                       "实付金额", "买家留言", "卖家备注", "发票抬头", "贺卡内容", "送货时间", "指定快递", "货到付款"]
    required = [c.header for c in COLUMNS if c.required]
    assert required == ["店铺订单号", "订单状态", "下单时间", "收货人", "省", "市", "详细地址", "商品编码", "数量",
                        "单价", "实付金额"]
    for header, field, is_required, help_text in COLUMNS:
        assert help_text and field and isinstance(is_required, bool), header
        assert field == "discount" or field in OrderRecord.__slots__ or field in LineRecord.__slots__


def check_example(records):
    assert errors(records) == []
    (order,) = records
    assert (order.line_no, order.platform_order_no, order.status, order.platform_status) == (
        2, "SD202611110001", "paid", "已付款")
    assert order.ordered_at == datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)
    assert order.paid_at == datetime(2026, 11, 11, 20, 5, 12, tzinfo=CHINA)
    assert (order.buyer_platform_id, order.buyer_name, order.mobile, order.landline) == (
        "tb_zhangsan", "张三", "13812345678", "")
    assert (order.province, order.city, order.district, order.address_detail, order.postcode) == (
        "浙江省", "杭州市", "西湖区", "文三路100号1幢101室", "310000")
    assert [(line.line_no, line.channel_sku_code, line.quantity, line.unit_price) for line in order.lines] == [
        (2, "SS-BRIEF-002-1", 2, Decimal("39.90")), (3, "SS-SOCK-030-1", 1, Decimal("9.90"))]
    assert order.lines[0].properties == "颜色分类:混色;尺码:M" and order.lines[0].title == "纯棉中腰女士内裤 3条装"
    assert order.goods_amount == Decimal("84.70")  # 2 × 39.90 + 9.90 − 5.00 优惠
    assert (order.shipping_fee, order.paid_amount) == (Decimal("0"), Decimal("84.70"))
    assert (order.buyer_message, order.greeting_card, order.delivery_wish, order.chosen_carrier) == (
        "请尽快发货", "生日快乐", "工作日", "顺丰")
    assert order.is_cod is False


def test_xlsx_template_round_trip(tmp_path):
    data = generic.template_xlsx()
    path = tmp_path / "模板.xlsx"
    path.write_bytes(data)
    check_example(list(generic.iter_orders(path)))

    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 3
    notes = workbook["说明"]
    listed = [row for row in notes.iter_rows(min_row=2, values_only=True) if row[0] in HEADERS]
    assert [(row[0], row[1] == "是", row[2]) for row in listed] == [(c.header, c.required, c.help_text)
                                                                    for c in COLUMNS]


def test_csv_template_round_trip(tmp_path):
    data = generic.template_csv()
    assert data.startswith(b"\xef\xbb\xbf")
    path = tmp_path / "模板.csv"
    path.write_bytes(data)
    check_example(list(generic.iter_orders(path)))


def test_xlsx_without_extension_is_sniffed(tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(generic.template_xlsx())
    assert len(orders(generic.iter_orders(path))) == 1


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_csv_in_other_encodings(tmp_path, encoding):
    text = generic.template_csv().decode("utf-8-sig")
    check_example(list(generic.iter_orders(write(tmp_path / "t.csv", text, encoding))))


def rows_of(*changes: dict) -> list[list[str]]:
    return [[{**EXAMPLE_ROWS[0], **change}.get(h, "") for h in HEADERS] for change in changes]


@pytest.mark.parametrize(("value", "expected"), [
    ("是", True), ("否", False), ("1", True), ("0", False), ("Y", True), ("N", False), ("y", True), ("", False),
])
def test_cash_on_delivery(tmp_path, value, expected):
    (order,) = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows_of({"货到付款": value}))))
    assert order.is_cod is expected


def test_cash_on_delivery_bad_value(tmp_path):
    (error,) = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows_of({"货到付款": "可以"}))))
    assert error.line_no == 2 and error.reason.startswith("货到付款: ")


def test_cash_on_delivery_as_excel_true_and_numbers(tmp_path):
    rows = rows_of({"货到付款": "x"})
    rows[0][HEADERS.index("货到付款")] = True
    rows[0][HEADERS.index("数量")] = 3
    rows[0][HEADERS.index("手机")] = 13812345678
    rows[0][HEADERS.index("邮编")] = 10000  # 010000 typed into a number cell
    rows[0][HEADERS.index("下单时间")] = datetime(2026, 11, 11, 20, 3, 51)
    (order,) = generic.iter_orders(write_xlsx(tmp_path / "t.xlsx", HEADERS, rows))
    assert order.is_cod is True and order.lines[0].quantity == 3
    assert (order.mobile, order.postcode) == ("13812345678", "010000")
    assert order.ordered_at == datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)


def test_a_phone_is_required(tmp_path, english):
    rows = rows_of({"手机": "", "固定电话": ""}, {"店铺订单号": "B", "手机": "", "固定电话": "0571-88888888"})
    error, order = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows)))
    assert error == RowError(2, "手机/固定电话: give a mobile or a landline number")
    assert (order.mobile, order.landline) == ("", "0571-88888888")


@pytest.mark.parametrize(("word", "status"), [
    ("待付款", "unpaid"), ("已付款", "paid"), ("已发货", "shipped"), ("已完成", "completed"), ("已取消", "cancelled"),
    ("unpaid", "unpaid"), ("paid", "paid"), ("Shipped", "shipped"), ("completed", "completed"),
    ("cancelled", "cancelled"),
])
def test_statuses(tmp_path, word, status):
    (order,) = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows_of({"订单状态": word}))))
    assert order.status == status


@pytest.mark.parametrize("column", ["收货人", "省", "市", "详细地址", "订单状态", "下单时间", "实付金额", "商品编码",
                                    "数量", "单价"])
def test_required_cells(tmp_path, column):
    (error,) = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows_of({column: ""}))))
    assert error.line_no == 2 and error.reason.startswith(f"{column}: ")


def test_discount_larger_than_the_goods(tmp_path):
    (error,) = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows_of({"优惠": "100"}))))
    assert error.line_no == 2 and error.reason.startswith("优惠: ")


def test_grouping_and_adjacency(tmp_path):
    rows = rows_of({"店铺订单号": "A"}, {"店铺订单号": "A", "商品编码": "X"}, {"店铺订单号": "B"},
                   {"店铺订单号": "A", "商品编码": "Y"})
    first, second, error = generic.iter_orders(write(tmp_path / "t.csv", csv_text(HEADERS, rows)))
    assert [line.channel_sku_code for line in first.lines] == ["SS-BRIEF-002-1", "X"]
    assert second.platform_order_no == "B"
    assert error.line_no == 5 and error.reason.startswith("店铺订单号: ")


def test_missing_columns(tmp_path):
    header = [h for h in HEADERS if h not in ("省", "实付金额", "区县")]
    rows = [[EXAMPLE_ROWS[0].get(h, "") for h in header]]
    with pytest.raises(ImportFileError) as exc:
        list(generic.iter_orders(write(tmp_path / "orders.csv", csv_text(header, rows))))
    assert "省" in str(exc.value) and "实付金额" in str(exc.value) and "区县" not in str(exc.value)
    assert "orders.csv" in str(exc.value)


def test_optional_columns_may_be_left_out(tmp_path):
    header = [c.header for c in COLUMNS if c.required] + ["手机"]
    rows = [[EXAMPLE_ROWS[0].get(h, "") for h in header]]
    (order,) = generic.iter_orders(write(tmp_path / "t.csv", csv_text(header, rows)))
    assert order.goods_amount == Decimal("79.80") and order.is_cod is False and order.paid_at is None
