"""Inventory API: the same permissions as the pages, the error body, a whole warehouse day through the API, and
list endpoints with bounded queries."""

from __future__ import annotations

from datetime import date

import pytest

from shopdesk.core import clock
from shopdesk.inventory import engine, services
from shopdesk.inventory.models import Stocktake, Transfer
from shopdesk.inventory.services import LineInput
from shopdesk.staff.roles import ROLE_CODES

STOCK = {"manager", "operations", "cs_presales", "cs_aftersales", "cs_supervisor", "merchandiser", "warehouse",
         "finance"}
WAREHOUSES = {"manager", "merchandiser", "warehouse", "finance"}
HEALTH = {"manager", "merchandiser", "warehouse"}
RECEIVING = {"manager", "warehouse"}
COUNTING = {"manager", "merchandiser", "warehouse"}
PERIODS = {"manager", "finance"}

READS = [
    ("/api/v1/stock/", STOCK),
    ("/api/v1/movements/", STOCK),
    ("/api/v1/warehouses/", WAREHOUSES),
    ("/api/v1/locations/", WAREHOUSES),
    ("/api/v1/health/", HEALTH),
    ("/api/v1/purchase-orders/", RECEIVING),
    ("/api/v1/receipts/", RECEIVING),
    ("/api/v1/transfers/", RECEIVING),
    ("/api/v1/stocktakes/", COUNTING),
    ("/api/v1/closed-periods/", PERIODS),
]


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_reads_per_role(role, api_for):
    api = api_for(role)
    for url, allowed in READS:
        response = api.get(url)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url}: {response.status_code}"
        if expected == 403:
            assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_writes_per_role(role, api_for, hz, jdw, make_sku, put):
    sku = make_sku("W-1")
    put(sku, hz, "A-01-01", 10)
    api = api_for(role)
    po = api.post("/api/v1/purchase-orders/", {"supplier": "S", "warehouse": "HZ",
                                               "lines": [{"sku": "W-1", "quantity": 2}]}, format="json")
    assert po.status_code == (201 if role == "manager" else 403), po.content
    transfer = api.post("/api/v1/transfers/", {"from_warehouse": "HZ", "to_warehouse": "JDQ",
                                               "lines": [{"sku": "W-1", "quantity": 1}]}, format="json")
    assert transfer.status_code == (201 if role in RECEIVING else 403), transfer.content
    stocktake = api.post("/api/v1/stocktakes/", {"warehouse": "HZ", "zone": "B"}, format="json")
    assert stocktake.status_code == (201 if role in COUNTING else 403), stocktake.content
    threshold = api.put("/api/v1/health/W-1/thresholds/", {"reorder_point": 3, "max_stock": 50}, format="json")
    assert threshold.status_code == (200 if role in {"manager", "merchandiser"} else 403), threshold.content
    warehouse = api.post("/api/v1/warehouses/", {"code": f"W{role[:6]}", "name": "仓"}, format="json")
    assert warehouse.status_code == (201 if role == "manager" else 403), warehouse.content


def test_a_warehouse_day_through_the_api(api_for, hz, jdw, make_sku, make_user, ledger_ok):
    make_sku("BRA-75B", barcode="6901000000011")
    make_sku("BRF-M")
    boss, keeper = api_for("manager"), api_for("warehouse")
    today = clock.today().isoformat()

    po = boss.post("/api/v1/purchase-orders/", {
        "supplier": "安之伴服饰", "warehouse": "HZ", "expected_on": today,
        "lines": [{"sku": "BRA-75B", "quantity": 10}, {"sku": "BRF-M", "quantity": 4}]}, format="json")
    assert po.status_code == 201, po.content
    number = po.json()["number"]
    receipt = keeper.post("/api/v1/receipts/", {
        "purchase_order": number, "delivery_note_number": "SD-1", "received_on": today, "post": True,
        "lines": [{"sku": "BRA-75B", "received": 9, "location": "RCV-01"},
                  {"sku": "BRF-M", "received": 4, "location": "RCV-01"}]}, format="json")
    assert receipt.status_code == 201, receipt.content
    body = receipt.json()
    assert body["state"] == "posted"
    assert {line["sku"]: line["difference"] for line in body["lines"]} == {"BRA-75B": -1, "BRF-M": 0}
    assert boss.get(f"/api/v1/purchase-orders/{number}/").json()["state"] == "partially_received"
    line_id = next(line["id"] for line in body["lines"] if line["sku"] == "BRA-75B")
    put_away = keeper.post(f"/api/v1/receipts/{body['number']}/put-away/",
                           {"line": line_id, "to_location": "A-01-01", "quantity": 9}, format="json")
    assert put_away.status_code == 200 and put_away.json()["lines"][0]["to_put_away"] == 0
    bad = keeper.post(f"/api/v1/receipts/{body['number']}/put-away/",
                      {"line": line_id, "to_location": "ZZZ", "quantity": 1}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_location"
    assert "to_location" in bad.json()["error"]["fields"]

    stock = keeper.get("/api/v1/stock/", {"q": "BRA"}).json()["results"]
    assert [(s["sku"], s["on_hand"], s["available"]) for s in stock] == [("BRA-75B", 9, 9)]

    transfer = keeper.post("/api/v1/transfers/", {"from_warehouse": "HZ", "to_warehouse": "JDQ",
                                                  "lines": [{"sku": "BRA-75B", "quantity": 3}]}, format="json")
    tn = transfer.json()["number"]
    dispatched = keeper.post(f"/api/v1/transfers/{tn}/dispatch/")
    assert dispatched.status_code == 200 and dispatched.json()["state"] == "in_transit"
    assert dispatched.json()["lines"][0]["lot_dates"] == [[today, 3]]
    assert keeper.get("/api/v1/stock/", {"warehouse": "JDQ"}).json()["results"][0]["in_transit"] == 3
    received = keeper.post(f"/api/v1/transfers/{tn}/receive/", {"location": "J-01"}, format="json")
    assert received.status_code == 200 and received.json()["state"] == "received"
    again = keeper.post(f"/api/v1/transfers/{tn}/receive/", {"location": "J-01"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "wrong_state"

    st = keeper.post("/api/v1/stocktakes/", {"warehouse": "HZ", "zone": "A"}, format="json")
    assert st.status_code == 201, st.content
    sn = st.json()["number"]
    assert [(x["sku"], x["location"], x["expected"]) for x in st.json()["lines"]] == [("BRA-75B", "A-01-01", 6)]
    for _ in range(2):
        scan = keeper.post(f"/api/v1/stocktakes/{sn}/count/", {"location": "A-01-01", "code": "6901000000011"},
                           format="json")
    assert scan.status_code == 200 and scan.json()["counted"] == 2
    unknown = keeper.post(f"/api/v1/stocktakes/{sn}/count/", {"location": "A-01-01", "code": "000"},
                          format="json")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "unknown_barcode"
    typed = keeper.post(f"/api/v1/stocktakes/{sn}/count/", {"location": "A-01-01", "sku": "BRA-75B",
                                                            "counted": 5}, format="json")
    assert typed.json()["counted"] == 5 and typed.json()["variance"] == -1
    submitted = keeper.post(f"/api/v1/stocktakes/{sn}/submit/", {}, format="json")
    assert submitted.json()["state"] == "submitted" and submitted.json()["shortage_units"] == 1
    assert keeper.post(f"/api/v1/stocktakes/{sn}/approve/").status_code == 403
    approved = boss.post(f"/api/v1/stocktakes/{sn}/approve/")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    moves = keeper.get("/api/v1/movements/", {"sku": "BRA-75B", "type": "adjustment"}).json()["results"]
    assert [(m["quantity"], m["reference"]) for m in moves] == [(-1, sn)]
    assert Stocktake.objects.get(number=sn).lines.count() == 1
    assert Transfer.objects.get(number=tn).state == "received"
    ledger_ok()


def test_api_error_bodies(api_for, hz, make_sku, put):
    sku = make_sku("E-1")
    put(sku, hz, "A-01-01", 1)
    boss = api_for("manager")
    boss.credentials(HTTP_AUTHORIZATION=boss._credentials["HTTP_AUTHORIZATION"], HTTP_ACCEPT_LANGUAGE="en")
    bad_lines = boss.post("/api/v1/purchase-orders/", {"supplier": "S", "warehouse": "HZ",
                                                       "lines": [{"sku": "NOPE", "quantity": 1}]}, format="json")
    assert bad_lines.status_code == 400
    assert bad_lines.json()["error"] == {"code": "invalid_lines", "message": bad_lines.json()["error"]["message"],
                                         "fields": {"lines": ["Line 1: unknown SKU NOPE"]}}
    invalid = boss.post("/api/v1/purchase-orders/", {"supplier": "", "warehouse": "XX", "lines": []}, format="json")
    assert invalid.status_code == 400 and {"supplier", "warehouse"} <= set(invalid.json()["error"]["fields"])
    transfer = services.create_transfer(actor=None, from_warehouse=hz, to_warehouse=services.create_warehouse(
        actor=None, code="T2", name="T2"), lines=[LineInput(sku, 5)])
    short = boss.post(f"/api/v1/transfers/{transfer.number}/dispatch/")
    assert short.status_code == 409 and short.json()["error"]["code"] == "insufficient_stock"
    assert short.json()["error"]["fields"]["lines"] == ["line 1 E-1: 5 requested, 1 available"]
    assert boss.get("/api/v1/health/", {"category": "mars"}).status_code == 400
    assert boss.get("/api/v1/transfers/NOPE/").status_code == 404
    english = boss.post("/api/v1/stocktakes/", {"warehouse": "HZ", "zone": "ZZ"}, format="json",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and english.json()["error"]["message"] == "No zone ZZ in this warehouse."
    assert engine.verify_ledger() == []


def test_schema_lists_the_inventory_endpoints(api_for):
    paths = api_for("warehouse").get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {"/api/v1/stock/", "/api/v1/receipts/{number}/post/", "/api/v1/transfers/{number}/dispatch/",
            "/api/v1/stocktakes/{number}/count/", "/api/v1/health/{code}/thresholds/",
            "/api/v1/closed-periods/"} <= set(paths)


@pytest.mark.parametrize("rows", [3, 60])
def test_api_lists_have_bounded_queries(rows, api_for, hz, jdw, make_sku, put, django_assert_max_num_queries):
    with clock.freeze(date(2026, 11, 10)):
        skus = [make_sku() for _ in range(rows)]
        for sku in skus:
            put(sku, hz, "A-01-01", 5)
            put(sku, jdw, "J-01", 1)
        transfer = services.create_transfer(actor=None, from_warehouse=hz, to_warehouse=jdw,
                                            lines=[LineInput(sku, 1) for sku in skus])
        services.dispatch_transfer(actor=None, transfer=transfer)
        services.start_stocktake(actor=None, warehouse=hz)
        api = api_for("manager")
        for url in ("/api/v1/stock/", "/api/v1/stock/?warehouse=JDQ", "/api/v1/movements/", "/api/v1/health/",
                    "/api/v1/transfers/", "/api/v1/stocktakes/", "/api/v1/warehouses/", "/api/v1/locations/",
                    "/api/v1/purchase-orders/", "/api/v1/receipts/"):
            with django_assert_max_num_queries(8):
                assert api.get(url, {"page_size": 100}).status_code == 200
