"""Logistics pages: the exceptions queue (masked buyers, close, check now), disputes, the tracking import, missing-item
claims with a permission-checked photo, courier bills with the settlement workbook; permission denials and bounded
query counts."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shopdesk.core import clock
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import CourierBill, LogisticsException, MissingItemClaim, TrackingEvent

from .logistics_support import CN, PNG, event, ship


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def parcel(verified_order):
    return ship(verified_order(name="李小龙"))


def _csv(rows, header=("运单号", "时间", "地点", "状态", "描述")) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile("track.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


# --- exceptions ---------------------------------------------------------------------------------------------------


def test_exceptions_queue_lists_masked_buyers_and_closes(parcel, client_for, shop):
    exc = LogisticsException.objects.create(shipment=parcel, kind="lost", last_event="快件丢失")
    client = client_for("cs_aftersales", shops=[shop])
    html = client.get(reverse("fulfillment:exceptions")).content.decode()
    assert parcel.order.platform_order_no in html and parcel.tracking_no in html and "快件丢失" in html
    assert "李小龙" not in html and "李**" in html
    assert reverse("fulfillment:exception_close", args=[exc.pk]) in html
    response = client.post(reverse("fulfillment:exception_close", args=[exc.pk]),
                           {f"resolution_{exc.pk}": "快递赔付"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'id="exception-{exc.pk}"' in response.content.decode()
    exc.refresh_from_db()
    assert exc.state == "closed" and exc.resolution == "快递赔付" and exc.closed_by == client.user


def test_close_without_resolution_is_refused_in_the_row(parcel, client_for, shop):
    exc = LogisticsException.objects.create(shipment=parcel, kind="lost")
    client = client_for("cs_aftersales", shops=[shop])
    response = client.post(reverse("fulfillment:exception_close", args=[exc.pk]), {}, HTTP_HX_REQUEST="true")
    assert 'class="row-alert"' in response.content.decode()
    exc.refresh_from_db()
    assert exc.state == "open"


def test_exceptions_filters_by_kind_and_shop(verified_order, client_for, shop, other_shop, make_order, stocked):
    lost = LogisticsException.objects.create(shipment=ship(verified_order()), kind="lost")
    stalled = LogisticsException.objects.create(shipment=ship(verified_order()), kind="stalled")
    client = client_for("cs_supervisor", shops=[shop, other_shop])
    html = client.get(reverse("fulfillment:exceptions") + "?tab=lost").content.decode()
    assert f'id="exception-{lost.pk}"' in html and f'id="exception-{stalled.pk}"' not in html
    html = client.get(reverse("fulfillment:exceptions") + f"?shop={other_shop.code}").content.decode()
    assert f'id="exception-{lost.pk}"' not in html and f'id="exception-{stalled.pk}"' not in html


def test_other_shops_exceptions_are_not_shown(parcel, client_for, other_shop):
    exc = LogisticsException.objects.create(shipment=parcel, kind="lost")
    client = client_for("cs_aftersales", shops=[other_shop])
    assert parcel.tracking_no not in client.get(reverse("fulfillment:exceptions")).content.decode()
    response = client.post(reverse("fulfillment:exception_close", args=[exc.pk]), {"resolution": "x"})
    assert response.status_code == 404


def test_check_now_opens_stalled_exceptions(verified_order, client_for, shop):
    with clock.freeze(datetime(2026, 11, 20, 9, 0, tzinfo=CN)):
        stuck = ship(verified_order())
    client = client_for("cs_aftersales", shops=[shop])
    response = client.post(reverse("fulfillment:exceptions_check"))
    assert response.status_code == 302 and "tab=stalled" in response["Location"]
    assert LogisticsException.objects.get().shipment == stuck
    assert client_for("cs_presales", shops=[shop]).post(reverse("fulfillment:exceptions_check")).status_code == 403


def test_exceptions_list_queries_are_bounded(verified_order, client_for, shop, django_assert_max_num_queries):
    client = client_for("cs_aftersales", shops=[shop])
    for kind in ("lost", "damaged", "returned", "stalled", "exception", "disputed"):
        LogisticsException.objects.create(shipment=ship(verified_order()), kind=kind, last_event="x")
    client.get(reverse("fulfillment:exceptions"))  # warm the session and permission caches
    with django_assert_max_num_queries(16) as few:
        client.get(reverse("fulfillment:exceptions"))
    for _ in range(12):
        LogisticsException.objects.create(shipment=ship(verified_order()), kind="lost")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("fulfillment:exceptions")).status_code == 200


@pytest.mark.parametrize(("role", "status"), [("cs_presales", 200), ("warehouse", 200), ("finance", 403),
                                              ("operations", 403)])
def test_exceptions_page_permission(role, status, client_for):
    assert client_for(role).get(reverse("fulfillment:exceptions")).status_code == status


def test_dispute_from_the_order_page(parcel, client_for, shop):
    services.record_tracking_events(actor=None, events=[event(parcel.tracking_no, (2026, 11, 25, 9, 0), "delivered",
                                                              "已签收")])
    client = client_for("cs_aftersales", shops=[shop])
    html = client.get(reverse("orders:detail", args=[parcel.order.pk])).content.decode()
    assert 'id="parcels"' in html and reverse("fulfillment:dispute", args=[parcel.pk]) in html
    assert reverse("fulfillment:missing_item_new", args=[parcel.order.pk]) in html
    response = client.post(reverse("fulfillment:dispute", args=[parcel.pk]), {"note": "买家说没收到"})
    assert response.status_code == 302
    assert LogisticsException.objects.get().kind == "disputed"
    assert client_for("warehouse", shops=[shop]).get(reverse("fulfillment:dispute", args=[parcel.pk])).status_code \
        == 403


def test_order_page_hides_the_links_without_permission(parcel, client_for, shop):
    html = client_for("cs_presales", shops=[shop]).get(reverse("orders:detail", args=[parcel.order.pk])).content
    html = html.decode()
    assert 'id="parcels"' in html and parcel.tracking_no in html
    assert reverse("fulfillment:missing_item_new", args=[parcel.order.pk]) not in html


# --- tracking import ------------------------------------------------------------------------------------------------


def test_tracking_import_page(parcel, client_for, shop):
    client = client_for("warehouse", shops=[shop])
    assert client.get(reverse("fulfillment:tracking_import")).status_code == 200
    upload = _csv([[parcel.tracking_no, "2026-11-23 10:00:00", "杭州", "", "快件已揽收"]])
    response = client.post(reverse("fulfillment:tracking_import"), {"file": upload}, follow=True)
    assert TrackingEvent.objects.count() == 1
    assert "track.csv" in response.content.decode()


def test_tracking_import_lists_bad_lines(parcel, client_for, shop, english):
    client = client_for("warehouse", shops=[shop])
    upload = _csv([[parcel.tracking_no, "later", "", "", "到达"], [parcel.tracking_no, "2026-11-23 10:00", "", "",
                                                                   ""]])
    html = client.post(reverse("fulfillment:tracking_import"), {"file": upload}).content.decode()
    assert "line 2" in html and "line 3" in html and not TrackingEvent.objects.exists()


@pytest.mark.parametrize("role", ["cs_aftersales", "finance"])
def test_tracking_import_denied(role, client_for):
    assert client_for(role).get(reverse("fulfillment:tracking_import")).status_code == 403


# --- missing items ----------------------------------------------------------------------------------------------------


def test_missing_item_flow_through_the_pages(parcel, client_for, shop):
    order = parcel.order
    line = order.lines.get()
    cs = client_for("cs_aftersales", shops=[shop])
    form = cs.get(reverse("fulfillment:missing_item_new", args=[order.pk])).content.decode()
    assert f'name="line_{line.pk}"' in form
    response = cs.post(reverse("fulfillment:missing_item_new", args=[order.pk]), {
        f"line_{line.pk}": "1", "note": "少一件", "photo": SimpleUploadedFile("p.png", PNG, "image/png")})
    claim = MissingItemClaim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("fulfillment:missing_item",
                                                                           args=[claim.pk])
    page = cs.get(reverse("fulfillment:missing_item", args=[claim.pk])).content.decode()
    photo_url = reverse("fulfillment:missing_item_photo", args=[claim.pk])
    assert photo_url in page and "/media/" not in page and "missing_item_confirm" not in page
    photo = cs.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == PNG and "no-store" in photo["Cache-Control"]
    assert cs.post(reverse("fulfillment:missing_item_confirm", args=[claim.pk])).status_code == 403
    supervisor = client_for("cs_supervisor", shops=[shop])
    assert reverse("fulfillment:missing_item_confirm", args=[claim.pk]) in supervisor.get(
        reverse("fulfillment:missing_item", args=[claim.pk])).content.decode()
    supervisor.post(reverse("fulfillment:missing_item_confirm", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.state == "confirmed" and claim.reship_order.ship_today
    listing = cs.get(reverse("fulfillment:missing_items") + "?tab=confirmed").content.decode()
    assert claim.reship_order.platform_order_no in listing


def test_missing_item_reject_page(parcel, client_for, shop, make_user):
    line = parcel.order.lines.get()
    claim = services.report_missing_item(actor=make_user("cs_aftersales", shops=[shop]), order=parcel.order,
                                         lines={line.pk: 1}, photo=SimpleUploadedFile("p.png", PNG, "image/png"))
    supervisor = client_for("cs_supervisor", shops=[shop])
    supervisor.post(reverse("fulfillment:missing_item_reject", args=[claim.pk]), {"reason": ""})
    claim.refresh_from_db()
    assert claim.state == "reported"
    supervisor.post(reverse("fulfillment:missing_item_reject", args=[claim.pk]), {"reason": "照片显示已装箱"})
    claim.refresh_from_db()
    assert claim.state == "rejected"


def test_claim_photo_is_only_for_permitted_people(parcel, client_for, shop, other_shop, make_user):
    line = parcel.order.lines.get()
    claim = services.report_missing_item(actor=make_user("cs_aftersales", shops=[shop]), order=parcel.order,
                                         lines={line.pk: 1}, photo=SimpleUploadedFile("p.png", PNG, "image/png"))
    url = reverse("fulfillment:missing_item_photo", args=[claim.pk])
    assert client_for("finance", shops=[shop]).get(url).status_code == 403
    assert client_for("cs_aftersales", shops=[other_shop]).get(url).status_code == 404
    from django.test import Client

    assert Client().get(url).status_code in (302, 403)  # anonymous: to the login page


def test_report_page_refuses_an_image_that_is_not_one(parcel, client_for, shop):
    line = parcel.order.lines.get()
    cs = client_for("cs_aftersales", shops=[shop])
    response = cs.post(reverse("fulfillment:missing_item_new", args=[parcel.order.pk]), {
        f"line_{line.pk}": "1", "photo": SimpleUploadedFile("p.png", b"GIF? no, text", "image/png")})
    assert response.status_code == 200 and not MissingItemClaim.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("cs_presales", 200), ("finance", 403), ("designer", 403)])
def test_missing_items_page_permission(role, status, client_for):
    assert client_for(role).get(reverse("fulfillment:missing_items")).status_code == status


# --- courier bills ----------------------------------------------------------------------------------------------------


@pytest.fixture
def bill_parcels(zto, verified_order):
    services.save_price_rule(actor=None, carrier=zto, province="", first_weight_kg="1", first_fee="8.00",
                             extra_unit_kg="1", extra_fee="2.00")
    with clock.freeze(datetime(2026, 11, 10, 10, 0, tzinfo=CN)):
        return [ship(verified_order(), tracking_no=f"ZTV{i}", weight="1") for i in range(3)]


def _bill_file(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["运单号", "计费重量", "运费"])
    writer.writerows(rows)
    return SimpleUploadedFile("bill.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


def test_bill_pages(bill_parcels, zto, client_for, django_assert_max_num_queries):
    client = client_for("finance")
    response = client.post(reverse("fulfillment:bill_import"), {
        "carrier": zto.pk, "month": "2026-11", "tolerance": "0.50",
        "file": _bill_file([["ZTV0", "1", "8.00"], ["ZTV1", "1", "12.00"], ["ZTX", "1", "8"], ["ZTV0", "1", "8"]])})
    bill = CourierBill.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("fulfillment:bill", args=[bill.pk])
    client.get(reverse("fulfillment:bill", args=[bill.pk]))
    with django_assert_max_num_queries(14):
        html = client.get(reverse("fulfillment:bill", args=[bill.pk])).content.decode()
    assert "金额不符" in html and "ZTX" in html and "ZTV2" in html and "¥12.00" in html
    html = client.get(reverse("fulfillment:bill", args=[bill.pk]) + "?tab=not_ours").content.decode()
    assert "ZTX" in html and "ZTV2" not in html
    xlsx = client.get(reverse("fulfillment:bill_settlement", args=[bill.pk]))
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["汇总", "差异明细"]
    assert "2026-11" in client.get(reverse("fulfillment:bills")).content.decode()
    client.post(reverse("fulfillment:bill_reconcile", args=[bill.pk]))
    bill.refresh_from_db()
    assert bill.state == "reconciled"


def test_bill_page_queries_do_not_grow_with_findings(bill_parcels, zto, make_user, client_for, tmp_path,
                                                     django_assert_max_num_queries):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["运单号", "运费"])
        writer.writerows([[f"NOTOURS{i}", "8"] for i in range(120)])
    bill = services.import_courier_bill(actor=None, carrier=zto, month="2026-11", path=path)
    client = client_for("merchandiser")
    client.get(reverse("fulfillment:bill", args=[bill.pk]))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("fulfillment:bill", args=[bill.pk]) + "?page_size=100").status_code == 200


def test_bill_import_lists_bad_lines(bill_parcels, zto, client_for, english):
    html = client_for("finance").post(reverse("fulfillment:bill_import"), {
        "carrier": zto.pk, "month": "2026-11", "tolerance": "0.50",
        "file": _bill_file([["ZTV0", "1", "eight"]])}).content.decode()
    assert "line 2" in html and not CourierBill.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("finance", 200), ("merchandiser", 200), ("manager", 200),
                                              ("cs_aftersales", 403), ("warehouse", 403)])
def test_bill_pages_permission(role, status, client_for):
    client = client_for(role)
    assert client.get(reverse("fulfillment:bills")).status_code == status
    assert client.get(reverse("fulfillment:bill_import")).status_code == status


def test_reconcile_denied_without_permission(bill_parcels, zto, client_for, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("运单号,运费\nZTV0,8\n", encoding="utf-8")
    bill = services.import_courier_bill(actor=None, carrier=zto, month="2026-11", path=path)
    assert client_for("cs_supervisor").post(reverse("fulfillment:bill_reconcile", args=[bill.pk])).status_code == 403
    bill.refresh_from_db()
    assert bill.state == "checked"


# --- navigation and the workbench ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    ("cs_aftersales", ["exceptions", "missing_items"], ["bills", "tracking_import"]),
    ("warehouse", ["tracking_import", "exceptions"], ["bills"]),
    ("finance", ["bills"], ["exceptions", "missing_items", "tracking_import"]),
])
def test_navigation(role, shown, hidden, client_for):
    html = client_for(role).get(reverse("home")).content.decode()
    nav = html.split('class="sidebar"', 1)[1].split("</nav>", 1)[0]
    for name in shown:
        assert f'href="{reverse("fulfillment:" + name)}"' in nav, name
    for name in hidden:
        assert f'href="{reverse("fulfillment:" + name)}"' not in nav, name


def test_workbench_tiles(parcel, client_for, shop, make_user):
    LogisticsException.objects.create(shipment=parcel, kind="lost")
    line = parcel.order.lines.get()
    services.report_missing_item(actor=make_user("cs_aftersales", shops=[shop]), order=parcel.order,
                                 lines={line.pk: 1}, photo=SimpleUploadedFile("p.png", PNG, "image/png"))
    html = client_for("cs_aftersales", shops=[shop]).get(reverse("home")).content.decode()
    tile = html.split('data-tile="logistics_exceptions"', 1)[1]
    assert tile.split('class="tile-count">', 1)[1].startswith("1<")
    assert 'data-tile="logistics_claims"' not in html  # after-sales reports, it does not decide
    html = client_for("cs_supervisor", shops=[shop]).get(reverse("home")).content.decode()
    assert 'data-tile="logistics_claims"' in html
