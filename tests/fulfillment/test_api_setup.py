"""Carrier set-up API under /api/v1/fulfilment/: carriers, price rules, the fee, pools, the two imports and the
dispatch plan; the same permissions as the pages."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import Carrier, PriceRule, WaybillPool
from shopdesk.orders.models import UnreachableArea

BASE = "/api/v1/fulfilment"


def csv_file(name, rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), content_type="text/csv")


@pytest.fixture
def lead(api_for, shop):
    return api_for("warehouse", shops=[shop])


@pytest.fixture
def cs(api_for, shop):
    return api_for("cs_presales", shops=[shop])


def test_carriers_list_create_change(lead, zto, django_assert_max_num_queries):
    services.add_pool_numbers(actor=None, carrier=zto, name="list", numbers=["A1", "A2"])
    with django_assert_max_num_queries(12):
        body = lead.get(f"{BASE}/carriers/").json()
    row = body["results"][0]
    assert row["name"] == "中通快递" and row["code"] == "zto" and row["price_rules"] == 0
    assert sorted(p["numbers_left"] for p in row["pools"]) == [2, 9999]
    created = lead.post(f"{BASE}/carriers/", {"name": "圆通速递", "code": "yto", "services": ["标准快递"]},
                        format="json")
    assert created.status_code == 201 and created.json()["is_active"] is True
    pk = created.json()["id"]
    changed = lead.patch(f"{BASE}/carriers/{pk}/", {"is_active": False}, format="json")
    assert changed.status_code == 200 and changed.json()["is_active"] is False
    assert changed.json()["services"] == ["标准快递"]  # a PATCH keeps what it does not name
    assert lead.get(f"{BASE}/carriers/?active=1").json()["count"] == 1
    duplicate = lead.post(f"{BASE}/carriers/", {"name": "中通快递", "code": "zto2"}, format="json")
    assert duplicate.status_code == 400 and "name" in duplicate.json()["error"]["fields"]
    assert lead.delete(f"{BASE}/carriers/{pk}/").status_code == 405  # deactivate instead
    assert AuditEvent.objects.filter(action="fulfillment.change_carrier", actor_id=lead.user.pk).exists()


def test_customer_service_reads_carriers_but_changes_nothing(cs, zto, shop, verified_order):
    assert cs.get(f"{BASE}/carriers/").status_code == 200
    pool = WaybillPool.objects.get()
    denied = [
        cs.post(f"{BASE}/carriers/", {"name": "X", "code": "x"}, format="json"),
        cs.patch(f"{BASE}/carriers/{zto.pk}/", {"is_active": False}, format="json"),
        cs.get(f"{BASE}/price-rules/"),
        cs.post(f"{BASE}/price-rules/", {"carrier": "zto", "first_fee": "5", "extra_fee": "2"}, format="json"),
        cs.get(f"{BASE}/fee/", {"carrier": "zto", "province": "广东", "weight": "1"}),
        cs.get(f"{BASE}/pools/"),
        cs.post(f"{BASE}/pools/", {"carrier": "zto", "first": 1, "last": 9}, format="json"),
        cs.post(f"{BASE}/pools/{pool.pk}/deactivate/"),
        cs.post(f"{BASE}/waybill-imports/", {"shop": shop.code, "file": csv_file("n.csv", [["订单号", "运单号"]])}),
        cs.post(f"{BASE}/coverage-imports/", {"carrier": "zto", "file": csv_file("a.csv", [["省份"]])}),
        cs.get(f"{BASE}/plan/"),
    ]
    for response in denied:
        assert response.status_code == 403, response.request
        assert response.json()["error"]["code"] == "permission_denied"
    assert Carrier.objects.count() == 1 and WaybillPool.objects.get().is_active


def test_anonymous_is_refused(client, zto):
    assert client.get(f"{BASE}/carriers/").status_code == 401
    assert client.get(f"{BASE}/plan/").status_code == 401


def test_price_rules_crud_and_fee(lead, zto):
    url = f"{BASE}/price-rules/"
    default = lead.post(url, {"carrier": "zto", "first_fee": "5", "extra_fee": "2"}, format="json")
    assert default.status_code == 201 and default.json()["province"] == ""
    west = lead.post(url, {"carrier": zto.pk, "province": "西藏", "first_weight_kg": "1", "first_fee": "15",
                           "extra_unit_kg": "1", "extra_fee": "10"}, format="json").json()
    assert lead.get(url, {"carrier": "zto"}).json()["count"] == 2
    changed = lead.patch(f"{url}{west['id']}/", {"first_fee": "16"}, format="json")
    assert changed.status_code == 200 and changed.json()["first_fee"] == "16.00"
    assert changed.json()["province"] == "西藏"
    fee = lead.get(f"{BASE}/fee/", {"carrier": "zto", "province": "西藏自治区", "weight": "2.2"}).json()
    assert fee == {"carrier": "中通快递", "province": "西藏自治区", "weight_kg": "2.200", "fee": "36.00"}
    assert lead.get(f"{BASE}/fee/", {"carrier": "zto", "province": "广东", "weight": "1"}).json()["fee"] == "5.00"
    assert lead.get(f"{BASE}/fee/", {"carrier": "nope", "province": "广东", "weight": "1"}).status_code == 400
    assert lead.delete(f"{url}{default.json()['id']}/").status_code == 204
    assert lead.get(f"{BASE}/fee/", {"carrier": "zto", "province": "广东", "weight": "1"}).json()["fee"] is None
    bad = lead.post(url, {"carrier": "zto", "province": "广东", "first_weight_kg": "0", "first_fee": "5",
                          "extra_fee": "2"}, format="json")
    assert bad.status_code == 400 and PriceRule.objects.count() == 1


def test_pools_create_import_and_deactivate(lead, zto):
    created = lead.post(f"{BASE}/pools/", {"carrier": "zto", "name": "12月", "first": 1, "last": 50, "prefix": "ZT",
                                           "digits": 8}, format="json")
    assert created.status_code == 201 and created.json()["numbers_left"] == 50
    listed = lead.post(f"{BASE}/pools/import/", {"carrier": "zto", "name": "贴单", "numbers": ["L1", "L2", "L3"]},
                       format="json")
    assert listed.status_code == 201 and listed.json()["kind"] == "list" and listed.json()["numbers_left"] == 3
    upload = lead.post(f"{BASE}/pools/import/", {"carrier": "zto", "name": "文件",
                                                 "file": csv_file("n.csv", [["运单号"], ["F1"]])})
    assert upload.status_code == 201 and upload.json()["numbers_left"] == 1
    refused = lead.post(f"{BASE}/pools/import/", {"carrier": "zto", "numbers": ["L1"]}, format="json")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "duplicate_numbers"
    bad_file = lead.post(f"{BASE}/pools/import/", {"carrier": "zto", "file": csv_file("n.csv", [["运单号"], ["a b"]])})
    assert bad_file.status_code == 400 and bad_file.json()["error"]["rows"][0]["line"] == 2
    off = lead.post(f"{BASE}/pools/{created.json()['id']}/deactivate/")
    assert off.status_code == 200 and off.json()["is_active"] is False
    pools = lead.get(f"{BASE}/pools/", {"carrier": "zto"}).json()["results"]
    assert {p["name"]: (p["numbers_left"], p["is_active"]) for p in pools} == {
        "11月号段": (9999, True), "12月": (50, False), "贴单": (3, True), "文件": (1, True)}


def test_waybill_import_good_and_bad(lead, zto, verified_order, shop, other_shop):
    order = verified_order()
    good = lead.post(f"{BASE}/waybill-imports/", {"shop": shop.code, "file": csv_file("n.csv", [
        ["订单号", "运单号"], [order.platform_order_no, "ZT77"]])})
    assert good.status_code == 200 and good.json() == {"updated": 1, "unchanged": 0}
    order.refresh_from_db()
    assert order.tracking_no == "ZT77"
    bad = lead.post(f"{BASE}/waybill-imports/", {"shop": shop.code, "file": csv_file("n.csv", [
        ["订单号", "运单号", "快递公司"], [order.platform_order_no, "ZT78", "无名快递"], ["NOPE", "ZT79", ""]])})
    error = bad.json()["error"]
    assert bad.status_code == 400 and error["code"] == "invalid_import"
    assert [(r["line"], r["column"]) for r in error["rows"]] == [(2, "快递公司"), (3, "订单号")]
    order.refresh_from_db()
    assert order.tracking_no == "ZT77"
    missing = lead.post(f"{BASE}/waybill-imports/", {"shop": shop.code, "file": csv_file("n.csv", [["订单号"]])})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "invalid_file"
    foreign = lead.post(f"{BASE}/waybill-imports/", {"shop": other_shop.code, "file": csv_file("n.csv", [
        ["订单号", "运单号"], ["X", "Y"]])})
    assert foreign.status_code == 403


def test_coverage_import(lead, zto):
    response = lead.post(f"{BASE}/coverage-imports/", {"carrier": "zto", "file": csv_file("a.csv", [
        ["省份", "城市", "区县"], ["西藏自治区", "", ""], ["新疆维吾尔自治区", "阿勒泰地区", ""]])})
    assert response.status_code == 200 and response.json() == {"created": 2, "existing": 0}
    again = lead.post(f"{BASE}/coverage-imports/", {"carrier": zto.pk, "file": csv_file("a.csv", [
        ["省份"], ["西藏自治区"]])})
    assert again.json() == {"created": 0, "existing": 1}
    bad = lead.post(f"{BASE}/coverage-imports/", {"carrier": "zto", "file": csv_file("a.csv", [
        ["省份", "区县"], ["青海省", "城关区"]])})
    assert bad.status_code == 400 and bad.json()["error"]["rows"][0]["line"] == 2
    assert UnreachableArea.objects.count() == 2


def test_plan_json(lead, zto, verified_order, manager, api_for):
    verified_order()
    body = lead.get(f"{BASE}/plan/").json()
    assert body["waiting"]["verified"] == 1 and body["waiting_total"] == 1 and len(body["verified_by_hour"]) == 24
    assert set(body) >= {"due_today", "due_today_blocked", "shipped_today", "by_carrier", "shift_end"}
    finance = api_for("finance")
    assert finance.get(f"{BASE}/plan/").status_code == 403
