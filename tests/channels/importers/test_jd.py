"""The JD seller xlsx export: columns by name, rows of one order grouped, typed cells, bad rows and columns."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shopdesk.channels.importers import jd
from shopdesk.channels.importers.records import ImportFileError, LineRecord, OrderRecord, RowError

from .helpers import csv_text, errors, orders, write, write_xlsx

CHINA = ZoneInfo("Asia/Shanghai")

# The columns of a JD export (and one JD adds that ShopDesk does not know), in a shuffled order: the importer must
# find them by name.
JD_HEADERS = ["订单号", "商品ID", "商品名称", "订购数量", "支付方式", "下单时间", "京东价", "订单金额", "应付金额",
              "订单状态", "下单帐号", "客户姓名", "客户地址", "联系电话", "订单备注", "发票抬头", "运费金额",
              "付款确认时间", "商家SKU编号", "订单来源"]
SHUFFLED = JD_HEADERS[:]
random.Random(20261111).shuffle(SHUFFLED)


def jd_row(order_no=300012345678, **changes) -> dict:
    row = {
        "订单号": order_no, "商品ID": 100012043978, "商品名称": "丝施 纯棉中腰女士内裤 3条装", "订购数量": 1,
        "支付方式": "在线支付", "下单时间": datetime(2026, 11, 11, 20, 3, 51), "京东价": 39.9, "订单金额": None,
        "应付金额": 51.9, "订单状态": "等待出库", "下单帐号": "jd_4f8a2c", "客户姓名": "王芳",
        "客户地址": "北京朝阳区三环到四环之间建国路88号", "联系电话": "13912345678", "订单备注": "",
        "发票抬头": "", "运费金额": 12, "付款确认时间": datetime(2026, 11, 11, 20, 5, 7), "商家SKU编号": "",
        "订单来源": "京东APP",
    }
    row.update(changes)
    return row


def make_jd_xlsx(path, rows: list[dict], *, headers=None, drop=(), blank_rows_before=None):
    """A JD-like export: `headers` in the given order (shuffled by default) without the `drop`ped ones."""
    headers = [h for h in (headers or SHUFFLED) if h not in drop]
    return write_xlsx(path, headers, [[row.get(h) for h in headers] for row in rows],
                      blank_rows_before=blank_rows_before)


def test_shuffled_columns_grouping_and_typed_cells(tmp_path):
    assert SHUFFLED != JD_HEADERS
    rows = [
        jd_row(300012345678, 商家SKU编号="SS-BRIEF-002-1", 订购数量=2),
        jd_row(300012345678, 商品ID=100012043979, 商品名称="丝施 船袜 5双装", 京东价=9.9, 订购数量=1),
        jd_row(300012345679.0, 订单状态="等待确认收货", 支付方式="货到付款", 联系电话="'010-88886666",
               客户地址="广东省深圳市南山区科技园路1号", 客户姓名="李雷", 订单备注="周末送货", 发票抬头="个人",
               下单时间="2026-11-12 09:15:00", 付款确认时间=None, 应付金额="¥119.00", 运费金额=None),
    ]
    records = list(jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows)))
    assert errors(records) == []
    first, second = records
    assert isinstance(first, OrderRecord)
    assert (first.line_no, first.platform_order_no, first.status, first.platform_status) == (
        2, "300012345678", "paid", "等待出库")
    assert first.lines == [
        LineRecord(line_no=2, channel_sku_code="SS-BRIEF-002-1", title="丝施 纯棉中腰女士内裤 3条装", quantity=2,
                   unit_price=Decimal("39.9")),
        LineRecord(line_no=3, channel_sku_code="100012043979", title="丝施 船袜 5双装", quantity=1,
                   unit_price=Decimal("9.9")),
    ]
    assert first.goods_amount == Decimal("89.7")  # no 订单金额: the sum of the lines
    assert (first.shipping_fee, first.paid_amount) == (Decimal("12"), Decimal("51.9"))
    assert first.ordered_at == datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)
    assert first.paid_at == datetime(2026, 11, 11, 20, 5, 7, tzinfo=CHINA)
    assert (first.province, first.city, first.district, first.address_detail) == (
        "北京", "北京市", "朝阳区", "三环到四环之间建国路88号")
    assert (first.buyer_name, first.buyer_platform_id, first.mobile, first.landline) == (
        "王芳", "jd_4f8a2c", "13912345678", "")
    assert first.is_cod is False

    assert (second.line_no, second.platform_order_no, second.status) == (4, "300012345679", "shipped")
    assert second.is_cod is True
    assert (second.mobile, second.landline) == ("", "010-88886666")
    assert (second.province, second.city, second.district) == ("广东省", "深圳市", "南山区")
    assert (second.seller_remark, second.invoice_title) == ("周末送货", "个人")
    assert second.ordered_at == datetime(2026, 11, 12, 9, 15, tzinfo=CHINA) and second.paid_at is None
    assert (second.paid_amount, second.shipping_fee) == (Decimal("119.00"), Decimal("0"))
    assert [line.line_no for line in second.lines] == [4]


def test_order_amount_column_is_the_goods_amount(tmp_path):
    rows = [jd_row(订单金额=70), jd_row(商品ID=2)]
    (order,) = jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows))
    assert order.goods_amount == Decimal("70") and len(order.lines) == 2


def test_lines_of_an_order_must_be_adjacent(tmp_path, english):
    rows = [jd_row(1), jd_row(2), jd_row(1, 商品ID=3), jd_row(3)]
    records = list(jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows)))
    assert [(type(r).__name__, r.line_no) for r in records] == [
        ("OrderRecord", 2), ("OrderRecord", 3), ("RowError", 4), ("OrderRecord", 5)]
    assert records[2].reason == "订单号: the lines of order 1 must be adjacent; this row comes after other orders"
    assert len(records[0].lines) == 1


def test_unknown_status_leaves_the_order_out(tmp_path, english):
    rows = [jd_row(1), jd_row(2, 订单状态="暂停"), jd_row(2, 商品ID=5), jd_row(3)]
    records = list(jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows)))
    assert [r.platform_order_no for r in orders(records)] == ["1", "3"]
    assert errors(records) == [RowError(3, "订单状态: unknown order status '暂停'")]


def test_bad_line_leaves_the_order_out(tmp_path):
    rows = [jd_row(1), jd_row(1, 订购数量=0), jd_row(2, 京东价="abc")]
    records = list(jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows)))
    assert orders(records) == []
    assert [(e.line_no, e.reason.split(":")[0]) for e in records] == [(3, "订购数量"), (4, "京东价")]


def test_blank_rows_are_skipped_and_counted(tmp_path):
    rows = [jd_row(1), jd_row(1, 商品ID=2), jd_row(2)]
    path = make_jd_xlsx(tmp_path / "jd.xlsx", rows, blank_rows_before={1: 1, 2: 2})
    first, second = jd.iter_orders(path)
    assert [line.line_no for line in first.lines] == [2, 4]
    assert second.line_no == 7


@pytest.mark.parametrize(("word", "status"), [
    ("等待付款", "unpaid"), ("等待出库", "paid"), ("等待发货", "paid"), ("等待打印", "paid"), ("等待拣货", "paid"),
    ("等待确认收货", "shipped"), ("已发货", "shipped"), ("完成", "completed"), ("已完成", "completed"),
    ("已取消", "cancelled"), ("(删除)", "cancelled"),
])
def test_statuses(tmp_path, word, status):
    (order,) = jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", [jd_row(订单状态=word)]))
    assert order.status == status


@pytest.mark.parametrize("column", ["联系电话", "订单号", "京东价", "下单时间"])
def test_missing_column(tmp_path, column):
    path = make_jd_xlsx(tmp_path / "jd_orders.xlsx", [jd_row()], drop={column})
    with pytest.raises(ImportFileError) as exc:
        list(jd.iter_orders(path))
    assert column in str(exc.value) and "jd_orders.xlsx" in str(exc.value)


def test_seller_remark_and_buyer_message(tmp_path):
    headers = [*JD_HEADERS, "商家备注"]
    rows = [jd_row(订单备注="请周末送货", 商家备注="已电话确认")]
    (order,) = jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows, headers=headers))
    assert (order.seller_remark, order.buyer_message) == ("已电话确认", "请周末送货")
    headers = [*JD_HEADERS, "买家备注"]
    rows = [jd_row(订单备注="已电话确认", 买家备注="请周末送货")]
    (order,) = jd.iter_orders(make_jd_xlsx(tmp_path / "jd.xlsx", rows, headers=headers))
    assert (order.seller_remark, order.buyer_message) == ("已电话确认", "请周末送货")


def test_a_csv_copy_is_read_too(tmp_path):
    rows = [jd_row(下单时间="2026-11-11 20:03:51", 付款确认时间="")]
    text = csv_text(JD_HEADERS, [["" if row.get(h) is None else str(row.get(h)) for h in JD_HEADERS]
                                 for row in rows])
    (order,) = jd.iter_orders(write(tmp_path / "jd.csv", text, "utf-8-sig"))
    assert (order.platform_order_no, order.lines[0].channel_sku_code) == ("300012345678", "100012043978")
