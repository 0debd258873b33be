"""The warehouse API under /api/v1/fulfilment/: batches and their PDFs, each order's pick/check/pack/ship/waybill,
scan-to-ship and hand-over lists; errors in the usual body; who may call what."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import Handover, PrintLog, Shipment
from shopdesk.orders.models import Status
from shopdesk.staff import services as staff_services

BASE = "/api/v1/fulfilment"


def _api(user) -> APIClient:
    key = staff_services.issue_api_token(actor=None, user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    client.user = user
    return client


@pytest.fixture
def picker_api(picker):
    return _api(picker)


@pytest.fixture
def checker_api(checker):
    return _api(checker)


def _through_pick(picker_api, order):
    return picker_api.post(f"{BASE}/orders/{order.pk}/pick/", {}, format="json")


def test_batch_create_list_retrieve(zto, ems, verified_order, picker_api, django_assert_max_num_queries):
    from shopdesk.orders.models import UnreachableArea

    UnreachableArea.objects.create(carrier="中通快递", province="西藏自治区")
    near = verified_order()
    far = verified_order(province="西藏自治区", city="拉萨市", district="城关区")
    created = picker_api.post(f"{BASE}/batches/", {"orders": [near.pk, far.pk]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["without_number"] == [far.platform_order_no]
    assert body["batch"]["number"].startswith("P") and body["batch"]["order_count"] == 2
    assert body["batch"]["without_number"] == [far.platform_order_no]
    by_no = {o["platform_order_no"]: o for o in body["batch"]["orders"]}
    assert by_no[near.platform_order_no]["tracking_no"] == "ZT7300000001"
    assert by_no[near.platform_order_no]["status"] == "printed" and by_no[far.platform_order_no]["carrier"] == "E邮宝"
    assert "mobile" not in by_no[near.platform_order_no]  # no buyer data in the warehouse API
    batch_id = body["batch"]["id"]
    for _ in range(3):
        services.create_batch(actor=picker_api.user, orders=[verified_order()])
    with django_assert_max_num_queries(8):
        listed = picker_api.get(f"{BASE}/batches/")
    assert listed.status_code == 200 and listed.json()["count"] == 4
    detail = picker_api.get(f"{BASE}/batches/{batch_id}/").json()
    assert detail["to_pick"] == 2 and detail["prints"] == []


def test_batch_create_refusals(zto, verified_order, make_order, stocked, picker_api, other_shop):
    unknown = picker_api.post(f"{BASE}/batches/", {"orders": [999999]}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    sku = stocked()
    unpaid = make_order(status="unpaid", lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    refused = picker_api.post(f"{BASE}/batches/", {"orders": [unpaid.pk]}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_printable"
    assert unpaid.platform_order_no in refused.json()["error"]["message"]
    empty = picker_api.post(f"{BASE}/batches/", {"orders": []}, format="json")
    assert empty.status_code == 400 and "orders" in empty.json()["error"]["fields"]
    # An order of a shop not assigned to the picker does not exist for them.
    foreign = make_order(for_shop=other_shop, lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    assert picker_api.post(f"{BASE}/batches/", {"orders": [foreign.pk]}, format="json").status_code == 404


def test_documents_are_pdfs_and_logged(zto, verified_order, picker_api):
    order = verified_order()
    batch = services.create_batch(actor=picker_api.user, orders=[order]).batch
    for document in ("pick_list", "dispatch_notes", "labels", "labels"):
        response = picker_api.get(f"{BASE}/batches/{batch.pk}/documents/{document}/")
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    logs = list(PrintLog.objects.order_by("id").values_list("document", "reprint"))
    assert logs == [("pick_list", False), ("dispatch_notes", False), ("labels", False), ("labels", True)]
    assert picker_api.get(f"{BASE}/batches/{batch.pk}/documents/invoice/").status_code == 404


def test_labels_need_the_personal_data_permission(zto, verified_order, make_user, shop, picker):
    user = make_user("trade_sales", shops=[shop])  # a role without personal data, given the warehouse perms
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["orders", "fulfillment"], codename__in=["fulfil_order", "view_printbatch"]))
    api = _api(user)
    batch = services.create_batch(actor=picker, orders=[verified_order()]).batch
    for document in ("labels", "dispatch_notes"):
        denied = api.get(f"{BASE}/batches/{batch.pk}/documents/{document}/")
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"
    assert api.get(f"{BASE}/batches/{batch.pk}/documents/pick_list/").status_code == 200
    assert list(PrintLog.objects.values_list("document", flat=True)) == ["pick_list"]


def test_order_steps_through_the_api(zto, verified_order, stocked, picker_api, checker_api):
    sku, other = stocked(), stocked()
    order = verified_order(lines=[(sku.listings.first().channel_sku_code, 2, "50.00")])
    services.create_batch(actor=picker_api.user, orders=[order])
    line = order.lines.get()
    partial = picker_api.post(f"{BASE}/orders/{order.pk}/pick/", {"lines": [line.pk]}, format="json")
    assert partial.status_code == 200 and partial.json()["status"] == "picked"
    assert partial.json()["picked_by"] == "picker" and partial.json()["lines"][0]["picked"] == 2
    # The two-person rule: the picker's own scan is an error (409), not a scan result.
    own = picker_api.post(f"{BASE}/orders/{order.pk}/check-scan/", {"code": sku.barcode}, format="json")
    assert own.status_code == 409 and own.json()["error"]["code"] == "same_person"
    wrong = checker_api.post(f"{BASE}/orders/{order.pk}/check-scan/", {"code": other.barcode}, format="json")
    assert wrong.status_code == 200
    assert wrong.json()["ok"] is False and wrong.json()["code"] == "wrong_item" and other.barcode in wrong.json()[
        "message"]
    first = checker_api.post(f"{BASE}/orders/{order.pk}/check-scan/", {"code": sku.barcode}, format="json").json()
    assert first["ok"] and first["code"] == "ok" and first["line_id"] == line.pk and not first["complete"]
    done = checker_api.post(f"{BASE}/orders/{order.pk}/check-scan/", {"code": sku.code}, format="json").json()
    assert done["complete"] and done["code"] == "complete"
    early = checker_api.post(f"{BASE}/orders/{order.pk}/pack/", {}, format="json")
    assert early.status_code == 409 and early.json()["error"]["code"] == "not_checked"
    no_tick = checker_api.post(f"{BASE}/orders/{order.pk}/confirm-check/", {"quality_ok": False}, format="json")
    assert no_tick.status_code == 400 and no_tick.json()["error"]["code"] == "quality_required"
    confirmed = checker_api.post(f"{BASE}/orders/{order.pk}/confirm-check/", {"quality_ok": True}, format="json")
    assert confirmed.json()["quality_ok"] is True and confirmed.json()["checked_by"] == "checker"
    bad_material = checker_api.post(f"{BASE}/orders/{order.pk}/pack/", {"packing_material": "木箱"}, format="json")
    assert bad_material.status_code == 400 and "packing_material" in bad_material.json()["error"]["fields"]
    packed = checker_api.post(f"{BASE}/orders/{order.pk}/pack/", {"weight_kg": "1.25", "packing_material": "纸箱"},
                              format="json").json()
    assert packed["status"] == "packed" and packed["weight_kg"] == "1.250" and packed["packing_material"] == "纸箱"
    shipped = checker_api.post(f"{BASE}/orders/{order.pk}/ship/", {}, format="json")
    assert shipped.status_code == 200 and shipped.json()["state"] == "shipped"
    assert shipped.json()["tracking_no"] == "ZT7300000001" and shipped.json()["weight_kg"] == "1.250"
    again = checker_api.post(f"{BASE}/orders/{order.pk}/ship/", {}, format="json")
    assert again.status_code == 409
    got = checker_api.get(f"{BASE}/orders/{order.pk}/").json()
    assert got["status"] == "shipped" and got["lines"][0]["checked"] == 2


def test_waybill_by_hand(zto, ems, verified_order, picker_api):
    a, b = verified_order(), verified_order()
    services.create_batch(actor=picker_api.user, orders=[a, b])
    set_ = picker_api.post(f"{BASE}/orders/{a.pk}/waybill/", {"carrier": "E邮宝", "tracking_no": "ey77"},
                           format="json")
    assert set_.status_code == 200 and set_.json()["tracking_no"] == "EY77" and set_.json()["carrier"] == "E邮宝"
    taken = picker_api.post(f"{BASE}/orders/{b.pk}/waybill/", {"carrier": "E邮宝", "tracking_no": "EY77"},
                            format="json")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "tracking_taken"
    assert a.platform_order_no in taken.json()["error"]["message"]
    missing = picker_api.post(f"{BASE}/orders/{b.pk}/waybill/", {"carrier": "E邮宝"}, format="json")
    assert missing.status_code == 400 and "tracking_no" in missing.json()["error"]["fields"]


def _packed(order, picker, checker):
    services.pick_order(actor=picker, order=order)
    for line in order.lines.select_related("sku"):
        for _ in range(line.quantity):
            services.check_scan(actor=checker, order=order, code=line.sku.barcode)
    services.confirm_check(actor=checker, order=order, quality_ok=True)
    services.pack_order(actor=checker, order=order)


def test_scan_to_ship_and_handovers(zto, verified_order, picker, checker, checker_api):
    ready, unchecked = verified_order(), verified_order()
    services.create_batch(actor=picker, orders=[ready, unchecked])
    _packed(ready, picker, checker)
    ready.refresh_from_db()
    unchecked.refresh_from_db()
    shipped = checker_api.post(f"{BASE}/scan-to-ship/", {"code": ready.tracking_no.lower()}, format="json")
    assert shipped.status_code == 201 and shipped.json()["order"] == ready.platform_order_no
    stop = checker_api.post(f"{BASE}/scan-to-ship/", {"code": unchecked.tracking_no}, format="json")
    assert stop.status_code == 409 and stop.json()["error"]["code"] == "stop_parcel"
    assert unchecked.platform_order_no in stop.json()["error"]["message"]
    twice = checker_api.post(f"{BASE}/scan-to-ship/", {"code": ready.tracking_no}, format="json")
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "stop_parcel"
    unknown = checker_api.post(f"{BASE}/scan-to-ship/", {"code": "NOPE1"}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_tracking"
    created = checker_api.post(f"{BASE}/handovers/", {"carrier": "中通快递", "courier_name": "王师傅"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["parcel_count"] == 1 and body["courier_name"] == "王师傅"
    assert [p["tracking_no"] for p in body["parcels"]] == [ready.tracking_no]
    nothing = checker_api.post(f"{BASE}/handovers/", {"carrier": "中通快递"}, format="json")
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_hand_over"
    listed = checker_api.get(f"{BASE}/handovers/").json()
    assert [h["number"] for h in listed["results"]] == [body["number"]]
    assert checker_api.get(f"{BASE}/handovers/{body['id']}/").json()["parcels"][0]["handover"] == body["number"]
    assert Handover.objects.count() == 1 and Shipment.objects.filter(handover__isnull=False).count() == 1


@pytest.mark.parametrize("role", ["designer", "cs_aftersales", "finance"])
def test_roles_without_the_permission_are_refused(role, api_for, shop, zto, verified_order, picker):
    order = verified_order()
    batch = services.create_batch(actor=picker, orders=[order]).batch
    api = api_for(role, shops=[shop])
    calls = [("get", f"{BASE}/batches/", None), ("get", f"{BASE}/batches/{batch.pk}/", None),
             ("post", f"{BASE}/batches/", {"orders": [order.pk]}),
             ("get", f"{BASE}/batches/{batch.pk}/documents/pick_list/", None),
             ("get", f"{BASE}/orders/{order.pk}/", None),
             ("post", f"{BASE}/orders/{order.pk}/pick/", {}),
             ("post", f"{BASE}/orders/{order.pk}/check-scan/", {"code": "x"}),
             ("post", f"{BASE}/orders/{order.pk}/confirm-check/", {"quality_ok": True}),
             ("post", f"{BASE}/orders/{order.pk}/pack/", {}),
             ("post", f"{BASE}/orders/{order.pk}/ship/", {}),
             ("post", f"{BASE}/orders/{order.pk}/waybill/", {"carrier": "中通快递", "tracking_no": "X1"}),
             ("post", f"{BASE}/scan-to-ship/", {"code": "ZT7300000001"}),
             ("get", f"{BASE}/handovers/", None), ("post", f"{BASE}/handovers/", {"carrier": "中通快递"})]
    for method, url, data in calls:
        response = getattr(api, method)(url, data, format="json") if data is not None else api.get(url)
        assert response.status_code == 403, (role, method, url, response.status_code)
        assert response.json()["error"]["code"] == "permission_denied"
    order.refresh_from_db()
    assert order.status == Status.PRINTED and not PrintLog.objects.exists()


def test_anonymous_is_401(client, db):
    assert client.get(f"{BASE}/batches/").status_code == 401
    assert client.post(f"{BASE}/scan-to-ship/", {"code": "x"}).status_code == 401


def test_other_shops_orders_are_404(zto, verified_order, make_user, other_shop, picker):
    order = verified_order()
    batch = services.create_batch(actor=picker, orders=[order]).batch
    api = _api(make_user("warehouse", shops=[other_shop]))
    assert api.get(f"{BASE}/batches/{batch.pk}/").status_code == 404
    assert api.post(f"{BASE}/orders/{order.pk}/pick/", {}, format="json").status_code == 404
    assert api.post(f"{BASE}/scan-to-ship/", {"code": "ZT7300000001"}, format="json").status_code == 404
