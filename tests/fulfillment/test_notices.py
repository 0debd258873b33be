"""Shipping notices (发货后一定告知, 003): every shipped parcel leaves a notice due for customer service, who copies it
into the platform chat and marks it sent; the warehouse does not see them; other shops' notices stay hidden."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment.models import BuyerNotice

from .logistics_support import ship

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def notice(verified_order, shop):
    shipment = ship(verified_order(), tracking_no="ZT0000123456")
    return BuyerNotice.objects.get(shipment=shipment)


def test_cs_sees_the_due_notice_and_marks_it_sent(notice, client_for, shop, english):
    cs = client_for("cs_presales", shops=[shop])
    page = cs.get(reverse("fulfillment:notices")).content.decode()
    assert "ZT0000123456" in page and 'data-copy="' in page and notice.order.platform_order_no in page
    row = cs.post(reverse("fulfillment:notice_sent", args=[notice.pk]), **HX).content.decode()
    assert "Marked sent" in row
    notice.refresh_from_db()
    assert notice.state == "sent" and notice.sent_at is not None
    event = AuditEvent.objects.get(action="fulfillment.notice_sent")
    assert event.actor == cs.user and event.object_id == str(notice.pk)
    # Marking again changes nothing and writes no second row.
    cs.post(reverse("fulfillment:notices_sent"), {"ids": [notice.pk]})
    assert AuditEvent.objects.filter(action="fulfillment.notice_sent").count() == 1


def test_batch_mark_sent_and_the_tile(verified_order, client_for, shop, english):
    notices = [BuyerNotice.objects.get(shipment=ship(verified_order())) for _ in range(3)]
    cs = client_for("cs_aftersales", shops=[shop])
    assert "Shipping notices to send" in cs.get(reverse("home")).content.decode()
    response = cs.post(reverse("fulfillment:notices_sent"), {"ids": [n.pk for n in notices[:2]]})
    assert response.status_code == 302
    assert list(BuyerNotice.objects.order_by("id").values_list("state", flat=True)) == ["sent", "sent", "due"]


def test_other_roles_and_shops_cannot(notice, client_for, other_shop, shop):
    assert client_for("warehouse", shops=[shop]).get(reverse("fulfillment:notices")).status_code == 403
    stranger = client_for("cs_presales", shops=[other_shop])
    assert notice.order.platform_order_no not in stranger.get(reverse("fulfillment:notices")).content.decode()
    assert stranger.post(reverse("fulfillment:notice_sent", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.state == "due"


def test_notices_api(notice, api_for, shop, other_shop, django_assert_max_num_queries):
    api = api_for("cs_presales", shops=[shop])
    with django_assert_max_num_queries(8):
        body = api.get("/api/v1/fulfilment/notices/?state=due").json()
    assert [r["tracking_no"] for r in body["results"]] == ["ZT0000123456"]
    assert api_for("cs_presales", shops=[other_shop]).post(
        "/api/v1/fulfilment/notices/sent/", {"ids": [notice.pk]}, format="json").json() == {"marked": 0}
    assert api.post("/api/v1/fulfilment/notices/sent/", {"ids": [notice.pk]}, format="json").json() == {"marked": 1}
    assert api_for("warehouse", shops=[shop]).get("/api/v1/fulfilment/notices/").status_code == 403
    assert api.get("/api/v1/fulfilment/notices/?state=sent").json()["results"][0]["state"] == "sent"
