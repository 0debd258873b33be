"""Carrier price rules and the monthly courier bill check (每月快递费用对账结算)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from shopdesk.channels.importers.records import ImportFileError
from shopdesk.fulfillment.reconcile import (
    FINDING_HEADERS,
    KINDS,
    BillLine,
    FileRowErrors,
    Shipment,
    check_bill,
    read_bill,
    reconcile,
    write_settlement,
)
from shopdesk.fulfillment.tariffs import PriceRule, Tariff, province_key

D = Decimal


def tariff() -> Tariff:
    return Tariff([
        PriceRule("广东省", D("1"), D("8.00"), D("1"), D("2.00")),
        PriceRule("上海", D("1"), D("6.00"), D("0.5"), D("1.50")),
        PriceRule("", D("1"), D("10.00"), D("1"), D("5.00")),
    ])


# --- tariffs -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("weight", "fee"), [
    ("0.5", "8.00"), ("1", "8.00"), ("1.01", "10.00"), ("2.0", "10.00"), ("3.2", "14.00"),
    ("0", "8.00"), ("-1", "8.00"),
])
def test_first_weight_then_every_started_step(weight, fee):
    assert tariff().fee("广东", D(weight)) == D(fee)


@pytest.mark.parametrize(("weight", "fee"), [("1", "6.00"), ("1.01", "7.50"), ("1.5", "7.50"), ("1.51", "9.00"),
                                             ("3.2", "13.50")])
def test_half_kilo_steps(weight, fee):
    assert tariff().fee("上海市", D(weight)) == D(fee)


def test_fee_is_quantized_to_the_cent():
    t = Tariff([PriceRule("", D("1"), D("7.333"), D("1"), D("1.115"))])
    assert t.fee("广东", D("2")) == D("8.45")
    assert t.fee("广东", D("2")).as_tuple().exponent == -2


@pytest.mark.parametrize(("written", "key"), [
    ("广东省", "广东"), ("广东", "广东"), ("广东省深圳市", "广东"), ("上海市", "上海"), ("上海", "上海"),
    ("广西壮族自治区", "广西"), ("广西", "广西"), ("内蒙古自治区", "内蒙古"), ("内蒙古", "内蒙古"),
    ("黑龙江省", "黑龙江"), ("新疆维吾尔自治区", "新疆"), ("宁夏回族自治区", "宁夏"), ("香港特别行政区", "香港"),
    (" 浙江 省", "浙江"), ("", ""),
])
def test_province_key(written, key):
    assert province_key(written) == key


def test_province_forms_find_the_same_rule():
    t = Tariff([PriceRule("广西壮族自治区", D(1), D(9), D(1), D(3)), PriceRule("内蒙古", D(1), D(12), D(1), D(6))])
    assert t.fee("广西", D(1)) == t.fee("广西壮族自治区南宁市", D(1)) == D("9.00")
    assert t.fee("内蒙古自治区", D(2)) == D("18.00")


def test_default_rule_for_provinces_not_listed():
    assert tariff().fee("新疆维吾尔自治区", D("2")) == D("15.00")
    assert tariff().fee("", D("1")) == D("10.00")


def test_no_rule_is_none():
    t = Tariff([PriceRule("广东", D(1), D(8), D(1), D(2))])
    assert t.fee("浙江省", D(1)) is None
    assert Tariff([]).fee("广东", D(1)) is None


def test_two_rules_for_one_province_are_refused():
    with pytest.raises(ValueError, match="province"):
        Tariff([PriceRule("广东省", D(1), D(8), D(1), D(2)), PriceRule("广东", D(1), D(9), D(1), D(2))])


def test_a_zero_step_is_refused():
    with pytest.raises(ValueError, match="extra_unit_kg"):
        PriceRule("", D(1), D(8), D(0), D(2))


# --- a hand-made bill ----------------------------------------------------------------------------------------------

SHIPMENTS = [
    Shipment("TB1001", "YT001", "广东省", D("1.0"), date(2026, 11, 3)),
    Shipment("TB1002", "YT002", "浙江省", D("2.5"), date(2026, 11, 4)),
    Shipment("TB1003", "YT003", "新疆", D("0.8"), date(2026, 11, 5)),
]
# line 2 matched, 3 fee_mismatch (20.00 expected), 4 not ours, 5 duplicate of line 2; YT003 is missing; the total
# line at the bottom is not a bill line.
BILL_ROWS = [
    ["YT001", "1.0", "广东省", "8.00", "2026-11-03"],
    [" yt002 ", "2.5", "浙江", "25.00", "2026-11-04"],
    ["YT999", "1", "北京", "12.00", "2026-11-04"],
    ["YT001", "1.0", "广东省", "8.00", "2026-11-06"],
    ["", "", "合计", "53.00", ""],
]


def write_csv(path, header, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, header, rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def utf8_bill(tmp_path):
    return write_csv(tmp_path / "bill.csv", ["运单号", "重量", "目的地", "运费", "日期"], BILL_ROWS, "utf-8-sig")


def gbk_bill(tmp_path):
    return write_csv(tmp_path / "bill-gbk.csv", ["快递单号", "计费重量", "目的省份", "费用", "发件日期"], BILL_ROWS,
                     "gbk")


def xlsx_bill(tmp_path):
    rows = [[no, float(w) if w else None, p, float(fee), datetime.fromisoformat(day) if day else None]
            for no, w, p, fee, day in BILL_ROWS]
    return write_xlsx(tmp_path / "bill.xlsx", ["单号", "重量(kg)", "到达省份", "应付金额", "寄件日期"], rows)


@pytest.fixture(params=[utf8_bill, gbk_bill, xlsx_bill], ids=["utf8-csv", "gbk-csv", "xlsx"])
def bill_file(request, tmp_path):
    return request.param(tmp_path)


def test_gbk_bill_is_really_gbk(tmp_path):
    raw = gbk_bill(tmp_path).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_read_bill(bill_file):
    lines = list(read_bill(bill_file))
    assert [(b.line, b.tracking_no, b.weight_kg, b.fee, b.shipped_on) for b in lines] == [
        (2, "YT001", D("1.0"), D("8.00"), date(2026, 11, 3)),
        (3, "yt002", D("2.5"), D("25.00"), date(2026, 11, 4)),
        (4, "YT999", D("1"), D("12.00"), date(2026, 11, 4)),
        (5, "YT001", D("1.0"), D("8.00"), date(2026, 11, 6)),
    ]
    assert [b.province for b in lines] == ["广东省", "浙江", "北京", "广东省"]
    assert check_bill(bill_file) == []


def test_one_of_each_finding(bill_file):
    result = reconcile(read_bill(bill_file), SHIPMENTS, tariff())
    assert result.counts == {"matched": 1, "fee_mismatch": 1, "not_ours": 1, "missing_from_bill": 1, "duplicate": 1}
    got = [(f.kind, f.tracking_no, f.bill_line, f.order_no, f.billed_fee, f.expected_fee, f.difference)
           for f in result.findings]
    assert got == [
        ("fee_mismatch", "yt002", 3, "TB1002", D("25.00"), D("20.00"), D("5.00")),
        ("not_ours", "YT999", 4, "", D("12.00"), D("0.00"), D("12.00")),
        ("duplicate", "YT001", 5, "TB1001", D("8.00"), D("0.00"), D("8.00")),
        ("missing_from_bill", "YT003", None, "TB1003", None, D("10.00"), None),
    ]
    assert "2" in result.findings[2].note  # the duplicate names the first line
    assert result.billed_total == D("53.00")
    assert result.matched_total == D("33.00")
    assert result.expected_total == D("28.00")
    assert result.disputed_total == D("25.00")
    assert result.payable_total == D("28.00")
    assert (result.bill_lines, result.shipments, result.unpriced) == (4, 3, 0)


def test_bill_province_and_weight_win_over_ours_else_ours_are_used():
    ours = [Shipment("A", "T1", "广东", D("1"), None), Shipment("B", "T2", "广东", D("3"), None)]
    bill = [BillLine(2, "T1", D("3"), "新疆", D("20.00"), None),  # default rule, 3 kg: 10 + 2 x 5
            BillLine(3, "T2", None, "", D("12.00"), None)]  # 广东, 3 kg: 8 + 2 x 2
    result = reconcile(bill, ours, tariff())
    assert result.counts["matched"] == 2
    assert result.expected_total == D("32.00")


def test_without_tariff_or_rule_our_lines_are_matched_unpriced():
    bill = [BillLine(2, "YT001", D("1"), "广东", D("99.00"), None), BillLine(3, "YT002", None, "", D("5"), None)]
    ours = [Shipment("A", "YT001", "广东", D("1"), None), Shipment("B", "YT002", "西藏", None, None)]
    no_tariff = reconcile(bill, ours, None)
    assert no_tariff.counts["matched"] == 2 and no_tariff.unpriced == 2 and no_tariff.findings == []
    only_guangdong = Tariff([PriceRule("广东", D(1), D(99), D(1), D(2))])
    result = reconcile(bill, ours, only_guangdong)  # YT002: no weight anywhere, and no rule for 西藏
    assert result.counts["matched"] == 2 and result.unpriced == 1
    assert result.expected_total == D("99.00")


@pytest.mark.parametrize(("billed", "kind"), [("8.50", "matched"), ("7.50", "matched"), ("8.51", "fee_mismatch"),
                                              ("7.49", "fee_mismatch")])
def test_tolerance_boundary(billed, kind):
    result = reconcile([BillLine(2, "YT001", D("1"), "广东", D(billed), None)],
                       [Shipment("A", "YT001", "广东", D("1"), None)], tariff(), tolerance=D("0.50"))
    assert result.counts[kind] == 1


def test_tolerance_can_be_set():
    bill = [BillLine(2, "YT001", D("1"), "广东", D("9.00"), None)]
    ours = [Shipment("A", "YT001", "广东", D("1"), None)]
    assert reconcile(bill, ours, tariff()).counts["fee_mismatch"] == 1
    assert reconcile(bill, ours, tariff(), tolerance=D("1")).counts["matched"] == 1


def test_an_undercharge_is_reported_but_not_disputed():
    result = reconcile([BillLine(2, "YT001", D("1"), "广东", D("5.00"), None)],
                       [Shipment("A", "YT001", "广东", D("1"), None)], tariff())
    assert result.findings[0].difference == D("-3.00")
    assert result.disputed_total == 0 and result.payable_total == D("5.00")


def test_orders_in_one_parcel_are_one_shipment():
    ours = [Shipment("A", "YT1", "广东", D(1), None), Shipment("B", "yt1 ", "广东", D(1), None),
            Shipment("C", "YT2", "广东", D(1), None), Shipment("D", "", "广东", D(1), None)]
    result = reconcile([], ours, tariff())
    assert result.shipments == 2
    assert [(f.tracking_no, f.order_no) for f in result.findings] == [("YT1", "A,B"), ("YT2", "C")]


# --- bad files -----------------------------------------------------------------------------------------------------


def test_missing_required_column_is_named(tmp_path):
    path = write_csv(tmp_path / "b.csv", ["运单号", "重量"], [["YT1", "1"]])
    with pytest.raises(ImportFileError, match="运费"):
        list(read_bill(path))
    path = write_csv(tmp_path / "c.csv", ["重量", "金额"], [["1", "8"]])
    with pytest.raises(ImportFileError, match="运单号"):
        list(read_bill(path))


def test_optional_columns_may_be_missing(tmp_path):
    path = write_csv(tmp_path / "b.csv", ["运单号", "应付金额"], [["YT1", "¥8.00"]])
    assert list(read_bill(path)) == [BillLine(2, "YT1", None, "", D("8.00"), None)]


def test_every_bad_row_is_reported_with_line_and_column(tmp_path):
    rows = [["YT1", "1", "8.00"], ["YT2", "1", "八元"], ["YT3", "1", "9.00"], ["YT4", "重", "9.00"],
            ["YT5", "1", ""], ["", "1", "3.00"]]
    path = write_csv(tmp_path / "b.csv", ["运单号", "计费重量", "费用"], rows)
    good = []
    with pytest.raises(FileRowErrors) as caught:
        for line in read_bill(path):
            good.append(line.tracking_no)
    assert good == ["YT1", "YT3"]
    errors = caught.value.errors
    assert [e.line_no for e in errors] == [3, 5, 6, 7]
    assert "费用" in errors[0].reason and "八元" in errors[0].reason
    assert "计费重量" in errors[1].reason
    assert "费用" in errors[2].reason
    assert "运单号" in errors[3].reason
    assert "4" in str(caught.value) and "3" in str(caught.value)  # how many, and the first bad line
    assert check_bill(path) == errors


def test_reconcile_of_a_bad_bill_raises_instead_of_returning(tmp_path):
    path = write_csv(tmp_path / "b.csv", ["运单号", "运费"], [["YT1", "8"], ["YT2", "x"]])
    with pytest.raises(FileRowErrors):
        reconcile(read_bill(path), SHIPMENTS, tariff())


# --- the settlement workbook --------------------------------------------------------------------------------------


def test_settlement_workbook(tmp_path, bill_file):
    result = reconcile(read_bill(bill_file), SHIPMENTS, tariff())
    path = tmp_path / "settlement.xlsx"
    write_settlement(result, path, carrier="圆通速递", month="2026-11")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["汇总", "差异明细"]
    details = list(workbook["差异明细"].iter_rows(values_only=True))
    assert details[0] == FINDING_HEADERS
    assert [row[:4] for row in details[1:]] == [
        ("金额不符", "yt002", 3, "TB1002"), ("非我方运单", "YT999", 4, None), ("重复计费", "YT001", 5, "TB1001"),
        ("账单未列", "YT003", None, "TB1003")]
    assert [tuple(None if v is None else D(str(v)) for v in row[4:7]) for row in details[1:]] == [
        (D(25), D(20), D(5)), (D(12), D(0), D(12)), (D(8), D(0), D(8)), (None, D(10), None)]
    summary = {row[0]: row[1:] for row in workbook["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["承运商"][0] == "圆通速递" and summary["账期"][0] == "2026-11"
    for name in ("正常", "金额不符", "非我方运单", "账单未列", "重复计费"):
        assert summary[name][0] == 1
    assert D(str(summary["正常"][1])) == D(8)
    assert D(str(summary["账单总额"][1])) == D(53)
    assert D(str(summary["差额(争议金额)"][1])) == D(25)
    assert D(str(summary["应付金额"][1])) == D(28)


def test_settlement_to_a_stream():
    stream = io.BytesIO()
    write_settlement(reconcile([], [], None), stream, carrier="中通", month="2026-10")
    stream.seek(0)
    assert load_workbook(stream).sheetnames == ["汇总", "差异明细"]


# --- property: every line and every shipment is accounted for once ------------------------------------------------

POOL = [f"YT{i:03d}" for i in range(12)]
money = st.decimals(min_value=0, max_value=60, places=2)
weights = st.one_of(st.none(), st.decimals(min_value=0, max_value=8, places=2))
provinces = st.sampled_from(["", "广东省", "上海", "新疆", "西藏自治区"])


@st.composite
def shipments_and_bill(draw):
    ours = draw(st.lists(st.sampled_from(POOL[:8]), unique=True))
    shipments = [Shipment(f"O{no}", no, draw(provinces), draw(weights), None) for no in ours]
    bill = []
    for i in range(draw(st.integers(0, 25))):
        number = draw(st.sampled_from(POOL))
        written = draw(st.sampled_from([number, number.lower(), f" {number} "]))
        bill.append(BillLine(i + 2, written, draw(weights), draw(provinces), draw(money), None))
    return shipments, bill


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=shipments_and_bill(), with_tariff=st.booleans(), tolerance=st.decimals(min_value=0, max_value=3, places=2))
def test_counts_account_for_every_line_and_shipment(data, with_tariff, tolerance):
    shipments, bill = data
    partial = Tariff([PriceRule("广东", D(1), D(8), D("0.5"), D(2)), PriceRule("上海", D(1), D(6), D(1), D(1))])
    result = reconcile(bill, shipments, partial if with_tariff else None, tolerance=tolerance)
    c = result.counts
    assert set(c) == set(KINDS)
    assert c["matched"] + c["fee_mismatch"] + c["duplicate"] + c["not_ours"] == len(bill) == result.bill_lines
    assert c["matched"] + c["fee_mismatch"] + c["missing_from_bill"] == len(shipments) == result.shipments
    assert len(result.findings) == sum(c.values()) - c["matched"]
    assert all(f.kind != "matched" for f in result.findings)
    assert result.billed_total == sum((b.fee for b in bill), D(0))
    distinct = {b.tracking_no.strip().upper() for b in bill}
    assert c["duplicate"] == len(bill) - len(distinct)
    assert c["not_ours"] == len(distinct - {s.tracking_no for s in shipments})
    for f in result.findings:
        if f.kind == "fee_mismatch":
            assert abs(f.difference) > tolerance and f.difference == f.billed_fee - f.expected_fee
    disputed = sum((f.difference for f in result.findings if f.difference is not None and f.difference > 0), D(0))
    assert result.disputed_total == disputed
