"""The monthly courier bill (每月快递费用对账结算, 004:14) through the service: every category on a hand-made bill,
the month in China time, re-import, reconciled bills, bad files, the settlement workbook."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.fulfillment import reconcile, selectors, services
from shopdesk.fulfillment.models import BillFinding, CourierBill

from .logistics_support import CN, ship


def write_bill(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["运单号", "计费重量", "目的地", "运费"])
        writer.writerows(rows)
        writer.writerow(["", "", "合计", "0"])
    return path


@pytest.fixture
def carrier(zto):
    services.save_price_rule(actor=None, carrier=zto, province="", first_weight_kg="1", first_fee="8.00",
                             extra_unit_kg="1", extra_fee="2.00")
    services.save_price_rule(actor=None, carrier=zto, province="广东", first_weight_kg="1", first_fee="10.00",
                             extra_unit_kg="1", extra_fee="3.00")
    return zto


@pytest.fixture
def parcels(carrier, verified_order):
    """Three November parcels of 中通 (A, B, C) to 浙江, one of October and one of E邮宝."""
    made = {}
    with clock.freeze(datetime(2026, 11, 10, 10, 0, tzinfo=CN)):
        for name in "ABC":
            made[name] = ship(verified_order(), carrier="中通快递", tracking_no=f"ZTBILL{name}", weight="1.5")
        made["other_carrier"] = ship(verified_order(), carrier="E邮宝", tracking_no="EYB0001", weight="1")
    with clock.freeze(datetime(2026, 10, 31, 23, 50, tzinfo=CN)):
        made["october"] = ship(verified_order(), carrier="中通快递", tracking_no="ZTOCT", weight="1")
    return made


@pytest.fixture
def finance(make_user):
    return make_user("finance")


def test_each_category_once(parcels, carrier, finance, tmp_path):
    path = write_bill(tmp_path / "中通11月.csv", [
        ["ZTBILLA", "1.5", "浙江", "10.00"],  # matched: 8 + 1 step of 2
        ["ZTBILLB", "1.5", "浙江省", "13.00"],  # fee_mismatch: 3.00 over
        ["ZTNOTOURS", "1", "浙江", "8.00"],  # not_ours
        ["ztbilla", "1.5", "浙江", "10.00"],  # duplicate of line 2
    ])  # ZTBILLC is missing_from_bill; the October parcel and E邮宝's are not part of this bill
    bill = services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=path,
                                        tolerance="0.50")
    assert {k: bill.counts[k] for k in reconcile.KINDS} == {
        "matched": 1, "fee_mismatch": 1, "not_ours": 1, "missing_from_bill": 1, "duplicate": 1}
    assert bill.counts["bill_lines"] == 4 and bill.counts["shipments"] == 3
    assert bill.billed_total == Decimal("41.00") and bill.expected_total == Decimal("20.00")
    assert bill.file_name == "中通11月.csv" and bill.imported_by == finance and bill.state == "checked"
    findings = {f.kind: f for f in BillFinding.objects.filter(bill=bill)}
    assert set(findings) == {"fee_mismatch", "not_ours", "missing_from_bill", "duplicate"}  # matched not stored
    mismatch = findings["fee_mismatch"]
    assert (mismatch.tracking_no, mismatch.bill_line, mismatch.billed_fee, mismatch.expected_fee,
            mismatch.difference) == ("ZTBILLB", 3, Decimal("13.00"), Decimal("10.00"), Decimal("3.00"))
    assert mismatch.order_no == parcels["B"].order.platform_order_no
    assert findings["missing_from_bill"].tracking_no == "ZTBILLC" and findings["missing_from_bill"].bill_line is None
    assert findings["duplicate"].bill_line == 5 and findings["not_ours"].order_no == ""
    summary = selectors.bill_summary(bill)
    assert summary["disputed_total"] == Decimal("21.00")  # 3 over + 8 not ours + 10 duplicate
    assert summary["payable_total"] == Decimal("20.00")


def test_the_month_is_china_time(carrier, verified_order, finance, tmp_path):
    with clock.freeze(datetime(2026, 11, 30, 23, 30, tzinfo=CN)):  # 15:30 UTC: still November in China
        ship(verified_order(), carrier="中通快递", tracking_no="ZTLATE", weight="1")
    with clock.freeze(datetime(2026, 12, 1, 0, 30, tzinfo=CN)):  # 30 Nov 16:30 UTC: December in China
        ship(verified_order(), carrier="中通快递", tracking_no="ZTDEC", weight="1")
    path = write_bill(tmp_path / "b.csv", [["ZTLATE", "1", "浙江", "8.00"]])
    bill = services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=path)
    assert bill.counts["matched"] == 1 and bill.counts["missing_from_bill"] == 0 and bill.counts["shipments"] == 1


def test_reimport_replaces_the_findings_until_reconciled(parcels, carrier, finance, tmp_path):
    first = write_bill(tmp_path / "v1.csv", [["ZTNOTOURS", "1", "浙江", "8.00"]])
    bill = services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=first)
    assert BillFinding.objects.filter(bill=bill).count() == 4  # one not ours, three missing
    second = write_bill(tmp_path / "v2.csv", [[f"ZTBILL{n}", "1.5", "浙江", "10.00"] for n in "ABC"])
    again = services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=second)
    assert again.pk == bill.pk and again.file_name == "v2.csv" and again.counts["matched"] == 3
    assert not BillFinding.objects.filter(bill=bill).exists()
    services.mark_bill_reconciled(actor=finance, bill=again)
    again.refresh_from_db()
    assert again.state == "reconciled" and again.reconciled_by == finance
    with pytest.raises(Conflict):
        services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=first)
    with pytest.raises(Conflict):
        services.mark_bill_reconciled(actor=finance, bill=again)
    assert CourierBill.objects.get().counts["matched"] == 3


def test_bad_bill_stores_nothing_and_names_the_lines(parcels, carrier, finance, tmp_path, english):
    path = write_bill(tmp_path / "bad.csv", [["ZTBILLA", "1.5", "浙江", "ten"], ["ZTBILLB", "x", "浙江", "10"],
                                             ["ZTBILLC", "1", "浙江", "8"]])
    with pytest.raises(ServiceError) as err:
        services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=path)
    assert "line 2" in err.value.message and "line 3" in err.value.message
    assert not CourierBill.objects.exists() and not BillFinding.objects.exists()


def test_bad_month_and_permissions(parcels, carrier, make_user, tmp_path):
    path = write_bill(tmp_path / "b.csv", [["ZTBILLA", "1.5", "浙江", "10.00"]])
    with pytest.raises(ServiceError) as err:
        services.import_courier_bill(actor=None, carrier=carrier, month="2026-13", path=path)
    assert err.value.code == "invalid_month"
    for role in ("warehouse", "cs_aftersales"):
        with pytest.raises(NotAllowed):
            services.import_courier_bill(actor=make_user(role), carrier=carrier, month="2026-11", path=path)
    bill = services.import_courier_bill(actor=make_user("merchandiser"), carrier=carrier, month="2026-11",
                                        path=path)
    with pytest.raises(NotAllowed):
        services.mark_bill_reconciled(actor=make_user("warehouse"), bill=bill)


def test_settlement_workbook_from_the_stored_findings(parcels, carrier, finance, tmp_path):
    path = write_bill(tmp_path / "b.csv", [
        ["ZTBILLA", "1.5", "浙江", "10.00"], ["ZTBILLB", "1.5", "浙江", "13.00"], ["ZTNOTOURS", "1", "浙江", "8.00"],
        ["ZTBILLA", "1.5", "浙江", "10.00"]])
    bill = services.import_courier_bill(actor=finance, carrier=carrier, month="2026-11", path=path)
    out = io.BytesIO()
    result = selectors.bill_reconciliation(bill)
    reconcile.write_settlement(result, out, carrier=carrier.name, month=bill.month)
    book = load_workbook(io.BytesIO(out.getvalue()))
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["承运商"][0] == "中通快递" and summary["账期"][0] == "2026-11"
    assert summary["账单行数"][0] == 4 and summary["我方运单数"][0] == 3
    assert summary["重复计费"][0] == 1 and summary["非我方运单"][0] == 1 and summary["账单未列"][0] == 1
    assert summary["应付金额"][1] == 20
    details = list(book["差异明细"].iter_rows(values_only=True))
    assert details[0][0] == "类型" and len(details) == 5
    assert [row[0] for row in details[1:]] == ["金额不符", "非我方运单", "重复计费", "账单未列"]  # bill order
