"""Logistics API: the tracking-event push (one or a list, all or nothing, de-duplicated), tracking file uploads,
logistics exceptions, missing-item claims, courier bills; permissions and the OpenAPI schema."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from rest_framework.test import APIClient

from shopdesk.core import clock
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import CourierBill, LogisticsException, MissingItemClaim, TrackingEvent
from shopdesk.orders.models import Status

from .logistics_support import CN, PNG, ship

PUSH = "/api/v1/fulfilment/tracking-events/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def parcel(verified_order):
    return ship(verified_order(name="王小明"))


def _event(no, time="2026-11-23T10:00:00+08:00", **kw):
    return {"tracking_no": no, "time": time, "location": "杭州", "status": "in_transit", "description": "到达", **kw}


def test_push_one_event_then_a_list_and_duplicates(parcel, api_for, shop):
    api = api_for("warehouse", shops=[shop])
    response = api.post(PUSH, _event(parcel.tracking_no), format="json")
    assert response.status_code == 201 and response.json()["added"] == 1
    response = api.post(PUSH, [_event(parcel.tracking_no), _event(parcel.tracking_no, "2026-11-24T09:00:00",
                                                                    status="已签收", description="已签收")],
                        format="json")
    assert response.json() == {"added": 1, "duplicates": 1, "unknown": 0, "unknown_numbers": []}
    parcel.refresh_from_db()
    parcel.order.refresh_from_db()
    assert parcel.state == "delivered" and parcel.order.status == Status.DELIVERED
    assert TrackingEvent.objects.count() == 2


def test_push_is_all_or_nothing_and_names_the_bad_event(parcel, api_for):
    api = api_for("warehouse")
    response = api.post(PUSH, [_event(parcel.tracking_no), _event(parcel.tracking_no, time="yesterday"),
                               {"tracking_no": parcel.tracking_no, "time": "2026-11-23T10:00:00"}], format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"1.time", "2.status"}
    assert not TrackingEvent.objects.exists()
    response = api.post(PUSH, {"time": "2026-11-23T10:00:00", "status": "delivered"}, format="json")
    assert response.status_code == 400 and "tracking_no" in response.json()["error"]["fields"]
    assert api.post(PUSH, [], format="json").status_code == 400


def test_push_permissions(parcel, api_for):
    assert api_for("cs_aftersales").post(PUSH, _event(parcel.tracking_no), format="json").status_code == 403
    assert APIClient().post(PUSH, _event(parcel.tracking_no), format="json").status_code == 401
    assert not TrackingEvent.objects.exists()


def test_tracking_file_upload(parcel, api_for, english):
    out = io.StringIO()
    csv.writer(out).writerows([["运单号", "时间", "描述"], [parcel.tracking_no, "2026-11-23 10:00:00", "已揽收"]])
    upload = SimpleUploadedFile("t.csv", out.getvalue().encode("utf-8"), "text/csv")
    response = api_for("warehouse").post("/api/v1/fulfilment/tracking-imports/", {"file": upload},
                                         format="multipart")
    assert response.status_code == 201 and response.json()["added"] == 1
    bad = SimpleUploadedFile("t.csv", "运单号,时间,描述\nX,never,到达\n".encode(), "text/csv")
    response = api_for("warehouse").post("/api/v1/fulfilment/tracking-imports/", {"file": bad}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["fields"]["file"][0].startswith("line 2")


def test_schema_documents_the_push_body(api_for):
    schema = api_for("warehouse").get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/fulfilment/tracking-events/"]["post"]
    assert "application/json" in post["requestBody"]["content"]
    body = schema["components"]["schemas"]["TrackingEventPushRequest"]  # one event or a list of them
    assert [s.get("type") for s in body["oneOf"]] == [None, "array"]
    fields = schema["components"]["schemas"]["TrackingEventInputRequest"]["properties"]
    assert {"tracking_no", "time", "location", "status", "description"} <= set(fields)
    for path in ("/api/v1/fulfilment/exceptions/", "/api/v1/fulfilment/missing-items/", "/api/v1/fulfilment/bills/",
                 "/api/v1/fulfilment/tracking-imports/"):
        assert path in schema["paths"], path


# --- exceptions ---------------------------------------------------------------------------------------------------


def test_exceptions_list_and_close(parcel, api_for, shop, django_assert_max_num_queries, verified_order):
    lost = LogisticsException.objects.create(shipment=parcel, kind="lost")
    for _ in range(5):
        LogisticsException.objects.create(shipment=ship(verified_order()), kind="stalled")
    api = api_for("cs_aftersales", shops=[shop])
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/fulfilment/exceptions/", {"kind": "lost"}).json()
    assert body["count"] == 1 and body["results"][0]["buyer_name"] == "王**"
    assert body["results"][0]["tracking_no"] == parcel.tracking_no
    assert api.get("/api/v1/fulfilment/exceptions/", {"state": "open"}).json()["count"] == 6
    url = f"/api/v1/fulfilment/exceptions/{lost.pk}/close/"
    assert api.post(url, {}, format="json").status_code == 400
    response = api.post(url, {"resolution": "已赔付"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "closed"
    assert api.post(url, {"resolution": "again"}, format="json").status_code == 409


def test_exceptions_permissions_and_shops(parcel, api_for, shop, other_shop):
    exc = LogisticsException.objects.create(shipment=parcel, kind="lost")
    assert api_for("finance").get("/api/v1/fulfilment/exceptions/").status_code == 403
    presales = api_for("cs_presales", shops=[shop])
    assert presales.get("/api/v1/fulfilment/exceptions/").status_code == 200
    assert presales.post(f"/api/v1/fulfilment/exceptions/{exc.pk}/close/", {"resolution": "x"},
                         format="json").status_code == 403
    elsewhere = api_for("cs_aftersales", shops=[other_shop])
    assert elsewhere.get("/api/v1/fulfilment/exceptions/").json()["count"] == 0
    assert elsewhere.post(f"/api/v1/fulfilment/exceptions/{exc.pk}/close/", {"resolution": "x"},
                          format="json").status_code == 404


# --- missing items --------------------------------------------------------------------------------------------------


def _claim(api, order, lines, photo=PNG):
    return api.post("/api/v1/fulfilment/missing-items/", {
        "order": order.pk, "lines": json.dumps(lines), "note": "少一件",
        "photo": SimpleUploadedFile("p.png", photo, "image/png")}, format="multipart")


def test_missing_item_claim_through_the_api(parcel, api_for, shop):
    line = parcel.order.lines.get()
    cs = api_for("cs_aftersales", shops=[shop])
    response = _claim(cs, parcel.order, {line.pk: 1})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lines"] == {str(line.pk): 1} and body["state"] == "reported" and body["buyer_name"] == "王**"
    photo = cs.get(body["photo_url"])
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == PNG
    assert cs.post(f"/api/v1/fulfilment/missing-items/{body['id']}/confirm/").status_code == 403
    supervisor = api_for("cs_supervisor", shops=[shop])
    confirmed = supervisor.post(f"/api/v1/fulfilment/missing-items/{body['id']}/confirm/").json()
    assert confirmed["state"] == "confirmed" and confirmed["reship_order_no"].endswith("-BF1")
    assert cs.get("/api/v1/fulfilment/missing-items/", {"state": "confirmed"}).json()["count"] == 1


def test_missing_item_api_refusals(parcel, api_for, shop, other_shop):
    line = parcel.order.lines.get()
    cs = api_for("cs_aftersales", shops=[shop])
    assert _claim(cs, parcel.order, {line.pk: 1}, photo=b"not an image").status_code == 400
    assert _claim(cs, parcel.order, {line.pk: 5}).status_code == 400
    assert _claim(api_for("cs_aftersales", shops=[other_shop]), parcel.order, {line.pk: 1}).status_code == 404
    assert _claim(api_for("cs_presales", shops=[shop]), parcel.order, {line.pk: 1}).status_code == 403
    assert not MissingItemClaim.objects.exists()
    claim_id = _claim(cs, parcel.order, {line.pk: 1}).json()["id"]
    assert api_for("finance").get(f"/api/v1/fulfilment/missing-items/{claim_id}/photo/").status_code == 403
    supervisor = api_for("cs_supervisor", shops=[shop])
    assert supervisor.post(f"/api/v1/fulfilment/missing-items/{claim_id}/reject/", {},
                           format="json").status_code == 400
    response = supervisor.post(f"/api/v1/fulfilment/missing-items/{claim_id}/reject/", {"reason": "已装箱"},
                               format="json")
    assert response.json()["state"] == "rejected"


# --- bills ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def bill_parcels(zto, verified_order):
    services.save_price_rule(actor=None, carrier=zto, province="", first_weight_kg="1", first_fee="8.00",
                             extra_unit_kg="1", extra_fee="2.00")
    with clock.freeze(datetime(2026, 11, 10, 10, 0, tzinfo=CN)):
        return [ship(verified_order(), tracking_no=f"ZTA{i}", weight="1") for i in range(3)]


def _bill(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["运单号", "运费"])
    writer.writerows(rows)
    return SimpleUploadedFile("bill.csv", out.getvalue().encode("utf-8"), "text/csv")


def test_bill_api(bill_parcels, zto, api_for):
    api = api_for("finance")
    response = api.post("/api/v1/fulfilment/bills/", {
        "carrier": "zto", "month": "2026-11", "tolerance": "0.50",
        "file": _bill([["ZTA0", "8"], ["ZTA1", "11"], ["NOPE", "8"], ["ZTA0", "8"]])}, format="multipart")
    assert response.status_code == 201, response.json()
    bill = response.json()
    assert bill["counts"]["matched"] == 1 and bill["counts"]["fee_mismatch"] == 1
    assert bill["counts"]["not_ours"] == 1 and bill["counts"]["duplicate"] == 1
    assert bill["counts"]["missing_from_bill"] == 1 and bill["payable_total"] == "16.00"
    detail = api.get(f"/api/v1/fulfilment/bills/{bill['id']}/", {"page_size": 2}).json()
    assert detail["bill"]["id"] == bill["id"] and detail["findings"]["count"] == 4
    assert len(detail["findings"]["results"]) == 2 and detail["findings"]["next"]
    only = api.get(f"/api/v1/fulfilment/bills/{bill['id']}/", {"kind": "not_ours"}).json()["findings"]
    assert [f["tracking_no"] for f in only["results"]] == ["NOPE"]
    xlsx = api.get(f"/api/v1/fulfilment/bills/{bill['id']}/settlement/")
    assert xlsx.status_code == 200 and "差异明细" in load_workbook(io.BytesIO(xlsx.content)).sheetnames
    assert api.get("/api/v1/fulfilment/bills/", {"month": "2026-11"}).json()["count"] == 1
    assert api.post(f"/api/v1/fulfilment/bills/{bill['id']}/reconcile/").json()["state"] == "reconciled"
    again = api.post("/api/v1/fulfilment/bills/", {"carrier": zto.pk, "month": "2026-11",
                                                   "file": _bill([["ZTA0", "8"]])}, format="multipart")
    assert again.status_code == 409


def test_bill_api_refusals(bill_parcels, api_for, english):
    api = api_for("finance")
    response = api.post("/api/v1/fulfilment/bills/", {"carrier": "zto", "month": "2026-11",
                                                      "file": _bill([["ZTA0", "x"]])}, format="multipart")
    assert response.status_code == 400 and "line 2" in response.json()["error"]["message"]
    response = api.post("/api/v1/fulfilment/bills/", {"carrier": "nobody", "month": "2026-11",
                                                      "file": _bill([["ZTA0", "8"]])}, format="multipart")
    assert response.status_code == 400 and "carrier" in response.json()["error"]["fields"]
    assert not CourierBill.objects.exists()
    for role in ("cs_aftersales", "warehouse"):
        client = api_for(role)
        assert client.get("/api/v1/fulfilment/bills/").status_code == 403
        assert client.post("/api/v1/fulfilment/bills/", {"carrier": "zto", "month": "2026-11",
                                                         "file": _bill([["ZTA0", "8"]])},
                           format="multipart").status_code == 403
