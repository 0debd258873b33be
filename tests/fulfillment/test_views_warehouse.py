"""The warehouse stations (仓库工作台) through their pages: the stage board, a new batch, the batch page, the pick
screen, the check station (two people), the ship station and the hand-over list; refusals shown loudly; who may open
what."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import Handover, LineWork, PrintLog, Shipment
from shopdesk.orders.models import Order, Status

STATION_PAGES = ["fulfillment:warehouse", "fulfillment:batches", "fulfillment:batch_new", "fulfillment:check",
                 "fulfillment:ship", "fulfillment:handovers"]


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the assertions read the English text
    return client


HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def picker_client(picker):
    return _login(picker)


@pytest.fixture
def checker_client(checker):
    return _login(checker)


def _batch(zto, picker, orders):
    return services.create_batch(actor=picker, orders=orders).batch


def test_station_pages_render_for_the_warehouse(picker_client, zto, verified_order, picker, checker):
    order = verified_order()
    batch = _batch(zto, picker, [order])
    services.pick_order(actor=picker, order=order)
    services.check_scan(actor=checker, order=order, code=order.lines.get().sku.barcode)
    services.confirm_check(actor=checker, order=order, quality_ok=True)
    services.pack_order(actor=checker, order=order)
    services.scan_to_ship(actor=checker, code="ZT7300000001")
    handover = services.create_handover(actor=checker, carrier="中通快递")
    urls = [reverse(name) for name in STATION_PAGES] + [
        reverse("fulfillment:batch", args=[batch.pk]), reverse("fulfillment:pick", args=[batch.pk]),
        reverse("fulfillment:check_order", args=[order.pk]), reverse("fulfillment:handover", args=[handover.pk]),
        reverse("fulfillment:waybill", args=[order.pk])]
    for url in urls:
        response = picker_client.get(url)
        assert response.status_code == 200, url
    nav = picker_client.get(reverse("home")).content.decode()
    for name in STATION_PAGES:
        if name != "fulfillment:batch_new":
            assert f'href="{reverse(name)}"' in nav, name


@pytest.mark.parametrize("role", ["designer", "cs_presales", "finance"])
def test_station_pages_refuse_roles_without_the_permission(role, client_for, shop, zto, verified_order, picker):
    order = verified_order()
    batch = _batch(zto, picker, [order])
    client = client_for(role, shops=[shop])
    urls = [reverse(name) for name in STATION_PAGES] + [
        reverse("fulfillment:batch", args=[batch.pk]), reverse("fulfillment:pick", args=[batch.pk]),
        reverse("fulfillment:check_order", args=[order.pk]), reverse("fulfillment:waybill", args=[order.pk]),
        reverse("fulfillment:batch_document", args=[batch.pk, "pick_list"])]
    for url in urls:
        assert client.get(url).status_code == 403, url
    for url in [reverse("fulfillment:batch_new"), reverse("fulfillment:ship_scan"),
                reverse("fulfillment:check_scan", args=[order.pk]), reverse("fulfillment:handover_create")]:
        assert client.post(url, {"code": "x", "ids": [order.pk], "carrier": "中通快递"}).status_code == 403, url
    order.refresh_from_db()
    assert order.status == Status.PRINTED and not Shipment.objects.filter(state="shipped").exists()


def test_whole_flow_through_the_pages_with_two_people(zto, verified_order, stocked, picker, checker, picker_client,
                                                      checker_client):
    sku_a, sku_b = stocked(), stocked()
    one = verified_order(lines=[(sku_a.listings.first().channel_sku_code, 2, "50.00")])
    two = verified_order(lines=[(sku_b.listings.first().channel_sku_code, 1, "80.00"),
                                (sku_a.listings.first().channel_sku_code, 1, "50.00")])
    # The picker prints both: the list offers them, the batch page follows.
    page = picker_client.get(reverse("fulfillment:batch_new")).content.decode()
    assert one.platform_order_no in page and two.platform_order_no in page
    response = picker_client.post(reverse("fulfillment:batch_new"), {"action": "ticked", "ids": [one.pk, two.pk]})
    one.refresh_from_db()
    batch = one.work.batch
    assert response.status_code == 302 and response["Location"] == reverse("fulfillment:batch", args=[batch.pk])
    assert one.status == Status.PRINTED and one.tracking_no == "ZT7300000001"
    # Picks order one by scanning its two items, order two by tapping its stops.
    for _ in range(2):
        board = picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": sku_a.barcode}, **HX)
        assert board.status_code == 200 and b"scan-accepted" in board.content
    one.refresh_from_db()
    assert one.status == Status.PICKED and one.work.picked_by == picker
    pick_page = picker_client.get(reverse("fulfillment:pick", args=[batch.pk])).content.decode()
    assert sku_b.code in pick_page
    for line in two.lines.all():
        picker_client.post(reverse("fulfillment:pick_stop", args=[batch.pk]), {"lines": [line.pk]}, **HX)
    two.refresh_from_db()
    assert two.status == Status.PICKED
    # The checker scans the label of order two, then each item, ticks the quality and packs.
    for order in (one, two):
        found = checker_client.get(reverse("fulfillment:check"), {"code": order.tracking_no.lower()})
        assert found.status_code == 302
        assert found["Location"] == reverse("fulfillment:check_order", args=[order.pk])
        for line in order.lines.select_related("sku"):
            for _ in range(line.quantity):
                board = checker_client.post(reverse("fulfillment:check_scan", args=[order.pk]),
                                            {"code": line.sku.barcode}, **HX)
                assert b"scan-accepted" in board.content
        assert b'name="quality_ok"' in board.content
        board = checker_client.post(reverse("fulfillment:check_confirm", args=[order.pk]), {"quality_ok": "on"}, **HX)
        assert b'name="weight_kg"' in board.content and "快递袋" in board.content.decode()
        board = checker_client.post(reverse("fulfillment:check_pack", args=[order.pk]),
                                    {"weight_kg": "0.85", "packing_material": "快递袋"}, **HX)
        assert b"Scan the next order" in board.content
        order.refresh_from_db()
        assert order.status == Status.PACKED and order.work.checked_by == checker
        assert order.work.packing_material == "快递袋" and str(order.work.weight_kg) == "0.850"
    # The ship station: scan both labels, then the hand-over list for the courier.
    for order in (one, two):
        board = checker_client.post(reverse("fulfillment:ship_scan"), {"code": order.tracking_no}, **HX)
        assert b"scan-accepted" in board.content and order.tracking_no.encode() in board.content
    assert Order.objects.filter(status=Status.SHIPPED).count() == 2
    ship_page = checker_client.get(reverse("fulfillment:ship")).content.decode()
    assert "Make the hand-over list" in ship_page and 'data-carrier="中通快递"' in ship_page
    response = checker_client.post(reverse("fulfillment:handover_create"),
                                   {"carrier": "中通快递", "courier_name": "王师傅"})
    handover = Handover.objects.get()
    assert response["Location"] == reverse("fulfillment:handover", args=[handover.pk])
    sheet = checker_client.get(response["Location"]).content.decode()
    assert handover.parcel_count == 2 and 'data-parcels>2<' in sheet
    assert one.tracking_no in sheet and two.platform_order_no in sheet and "王师傅" in sheet
    assert "Handed over by" in sheet and "Courier" in sheet and "0.850" in sheet
    assert "No parcel waits for the courier." in checker_client.get(reverse("fulfillment:ship")).content.decode()


def test_check_station_refusals_are_loud(zto, verified_order, stocked, picker, checker, picker_client,
                                         checker_client):
    sku, other = stocked(), stocked()
    order = verified_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    batch = _batch(zto, picker, [order])
    # Scanning at the check before picking: refused, with the reason.
    board = checker_client.post(reverse("fulfillment:check_scan", args=[order.pk]), {"code": sku.barcode}, **HX)
    assert b"scan-refused" in board.content and b"after picking" in board.content
    picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": sku.barcode}, **HX)
    # The picker may not check their own order: shown at once, and the scan is refused.
    page = picker_client.get(reverse("fulfillment:check_order", args=[order.pk])).content.decode()
    assert 'data-refusal="same_person"' in page and "another person must check it" in page
    board = picker_client.post(reverse("fulfillment:check_scan", args=[order.pk]), {"code": sku.barcode}, **HX)
    assert b'data-refusal="same_person"' in board.content and b'data-beep="bad"' in board.content
    assert LineWork.objects.get(line__order=order).checked == 0
    # A wrong item, then an extra one: loud red with the beep marker.
    board = checker_client.post(reverse("fulfillment:check_scan", args=[order.pk]), {"code": other.barcode}, **HX)
    assert b'class="scan-refused"' in board.content and b'data-refusal="wrong_item"' in board.content
    assert other.barcode.encode() in board.content and b'data-beep="bad"' in board.content
    checker_client.post(reverse("fulfillment:check_scan", args=[order.pk]), {"code": sku.barcode}, **HX)
    board = checker_client.post(reverse("fulfillment:check_scan", args=[order.pk]), {"code": sku.barcode}, **HX)
    assert b'data-refusal="extra_item"' in board.content
    # No quality tick: refused.
    board = checker_client.post(reverse("fulfillment:check_confirm", args=[order.pk]), {}, **HX)
    assert b"scan-refused" in board.content and b"Tick the quality check" in board.content
    # Without htmx the refusal comes back as a message on the station page.
    response = checker_client.post(reverse("fulfillment:check_scan", args=[order.pk]), {"code": other.barcode},
                                   follow=True)
    assert b"msg-error" in response.content and b"Wrong item" in response.content


def test_scanning_another_order_at_the_check_opens_it(zto, verified_order, picker, checker_client):
    a, b = verified_order(), verified_order()
    _batch(zto, picker, [a, b])
    response = checker_client.post(reverse("fulfillment:check_scan", args=[a.pk]), {"code": b.platform_order_no},
                                   **HX)
    assert response["HX-Redirect"] == reverse("fulfillment:check_order", args=[b.pk])
    missing = checker_client.get(reverse("fulfillment:check"), {"code": "NO-SUCH"}).content.decode()
    assert "scan-refused" in missing and "NO-SUCH" in missing


def test_ship_station_refuses_a_parcel_that_must_stop(zto, verified_order, picker, checker_client):
    order = verified_order()
    _batch(zto, picker, [order])  # printed, not checked: must not leave
    board = checker_client.post(reverse("fulfillment:ship_scan"), {"code": "ZT7300000001"}, **HX).content.decode()
    assert 'data-refusal="stop_parcel"' in board and "Stop this parcel" in board and "scan-refused" in board
    assert order.platform_order_no in board
    unknown = checker_client.post(reverse("fulfillment:ship_scan"), {"code": "XX1"}, **HX).content.decode()
    assert "scan-refused" in unknown and "XX1" in unknown
    order.refresh_from_db()
    assert order.status == Status.PRINTED


def test_pick_scan_refusals(zto, verified_order, stocked, picker, picker_client):
    sku, stranger = stocked(), stocked()
    order = verified_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    batch = _batch(zto, picker, [order])
    board = picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": stranger.barcode}, **HX)
    assert b'data-refusal="not_in_batch"' in board.content and b"scan-refused" in board.content
    picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": sku.code}, **HX)
    board = picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": sku.barcode}, **HX)
    assert b'data-refusal="all_picked"' in board.content
    assert AuditEvent.objects.filter(action="fulfillment.pick_refused").count() == 2


def test_new_batch_first_n_and_orders_without_number(zto, ems, verified_order, picker_client):
    from shopdesk.orders.models import UnreachableArea

    UnreachableArea.objects.create(carrier="中通快递", province="西藏自治区")
    far = verified_order(province="西藏自治区", city="拉萨市", district="城关区")
    today = verified_order()
    Order.objects.filter(pk=today.pk).update(ship_today=True)
    later = verified_order()
    page = picker_client.get(reverse("fulfillment:batch_new")).content.decode()
    assert page.index(today.platform_order_no) < page.index(far.platform_order_no) < page.index(
        later.platform_order_no)
    response = picker_client.post(reverse("fulfillment:batch_new"), {"action": "first", "first": "2"}, follow=True)
    html = response.content.decode()
    far.refresh_from_db()
    later.refresh_from_db()
    assert far.status == Status.PRINTED and later.status == Status.VERIFIED
    assert "No waybill number for 1 orders" in html and far.platform_order_no in html
    enter = reverse("fulfillment:waybill", args=[far.pk])
    assert enter in html
    response = picker_client.post(enter, {"carrier": "E邮宝", "tracking_no": "ey0001",
                                          "next": reverse("fulfillment:batch", args=[far.work.batch_id])})
    assert response.status_code == 302
    far.refresh_from_db()
    assert far.tracking_no == "EY0001"
    # A number already on another parcel is refused beside the field.
    response = picker_client.post(reverse("fulfillment:waybill", args=[today.pk]),
                                  {"carrier": "E邮宝", "tracking_no": "EY0001"})
    assert response.status_code == 200 and far.platform_order_no in response.content.decode()
    # Filters: ship-today only.
    assert later.platform_order_no not in picker_client.get(reverse("fulfillment:batch_new"),
                                                            {"ship_today": "on"}).content.decode()
    nothing = picker_client.post(reverse("fulfillment:batch_new"), {"action": "ticked"})
    assert nothing.status_code == 200 and b"Tick the orders to print" in nothing.content


def test_batch_page_shows_print_log_first_print_and_reprint(zto, verified_order, picker, picker_client):
    order = verified_order()
    batch = _batch(zto, picker, [order])
    for _ in range(2):
        response = picker_client.get(reverse("fulfillment:batch_document", args=[batch.pk, "pick_list"]))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = picker_client.get(reverse("fulfillment:batch", args=[batch.pk])).content.decode()
    assert 'data-print-kind="first"' in page and 'data-print-kind="reprint"' in page
    assert list(PrintLog.objects.order_by("id").values_list("reprint", flat=True)) == [False, True]


def test_home_board_and_tiles_count_the_stages(zto, verified_order, picker, picker_client):
    waiting = [verified_order() for _ in range(3)]
    Order.objects.filter(pk=waiting[0].pk).update(ship_today=True)
    _batch(zto, picker, waiting[1:])
    board = picker_client.get(reverse("fulfillment:warehouse")).content.decode()
    assert '<a class="stage stage-alert" href="/fulfilment/batches/new/" data-stage="to_print">' in board
    home = picker_client.get(reverse("home")).content.decode()
    assert 'data-tile="fulfilment_to_print"><span class="tile-count">1<' in home
    assert 'data-tile="fulfilment_ship_today"><span class="tile-count">1<' in home
    assert 'data-tile="fulfilment_to_pick"><span class="tile-count">2<' in home


def test_other_shops_orders_are_not_found(zto, verified_order, make_user, other_shop, picker):
    order = verified_order()
    batch = _batch(zto, picker, [order])
    stranger = _login(make_user("warehouse", shops=[other_shop]))
    assert stranger.get(reverse("fulfillment:batch", args=[batch.pk])).status_code == 404
    assert stranger.get(reverse("fulfillment:check_order", args=[order.pk])).status_code == 404
    assert stranger.get(reverse("fulfillment:check"), {"code": order.platform_order_no}).status_code == 200
    assert order.platform_order_no not in stranger.get(reverse("fulfillment:batch_new")).content.decode()


def test_batch_page_queries_do_not_grow_with_the_batch(zto, verified_order, picker, picker_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n):
        batch = _batch(zto, picker, [verified_order() for _ in range(n)])
        with CaptureQueriesContext(connection) as ctx:
            assert picker_client.get(reverse("fulfillment:batch", args=[batch.pk])).status_code == 200
        return len(ctx)

    small, large = count(3), count(12)
    assert small == large and large <= 25


def test_list_pages_queries_do_not_grow(zto, verified_order, picker, checker, picker_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def round_of(n):
        printed = [verified_order() for _ in range(n)]
        services.create_batch(actor=picker, orders=printed)
        for order in printed[:2]:
            services.pick_order(actor=picker, order=order)
            services.check_scan(actor=checker, order=order, code=order.lines.get().sku.barcode)
            services.confirm_check(actor=checker, order=order, quality_ok=True)
            services.pack_order(actor=checker, order=order)
            services.ship_parcel(actor=checker, order=order)
        services.create_handover(actor=checker, carrier="中通快递")
        for _ in range(n):
            verified_order()  # waiting to print
        counts = {}
        for name in ("fulfillment:warehouse", "fulfillment:batches", "fulfillment:batch_new", "fulfillment:ship",
                     "fulfillment:handovers", "home"):
            with CaptureQueriesContext(connection) as ctx:
                assert picker_client.get(reverse(name)).status_code == 200
            counts[name] = len(ctx)
        return counts

    few, many = round_of(2), round_of(8)
    assert few == many
    assert few.pop("home") <= 30  # every tile of the warehouse role, two of them the stations' counts
    assert max(few.values()) <= 15


def test_an_invalid_filter_prints_nothing(zto, verified_order, picker_client):
    order = verified_order()
    response = picker_client.post(reverse("fulfillment:batch_new") + "?shop=no-such-shop",
                                  {"action": "first", "first": "5"})
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Status.VERIFIED


def test_orders_on_hold_or_recalled_are_not_picked(zto, verified_order, stocked, picker, manager,
                                                   picker_client):
    from shopdesk.orders import services as order_services

    sku, other = stocked(), stocked()
    held = verified_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    changed = verified_order(lines=[(other.listings.first().channel_sku_code, 1, "50.00")])
    batch = _batch(zto, picker, [held, changed])
    Order.objects.filter(pk=held.pk).update(on_hold=True)  # e.g. a discount waits for the manager's approval
    order_services.change_address(actor=manager, order=changed, buyer_name="张三", mobile="13800138000",
                                  landline="", province="浙江省", city="杭州市", district="西湖区",
                                  address_detail="文二路2号")  # back to review: its paperwork is recalled
    board = picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": sku.barcode}, **HX)
    assert b'data-refusal="on_hold"' in board.content
    board = picker_client.post(reverse("fulfillment:pick_scan", args=[batch.pk]), {"code": other.barcode}, **HX)
    assert b'data-refusal="recalled"' in board.content
    page = picker_client.get(reverse("fulfillment:pick", args=[batch.pk])).content.decode()
    assert "On hold" in page and held.platform_order_no in page
    board = picker_client.post(reverse("fulfillment:pick_stop", args=[batch.pk]),
                               {"lines": [held.lines.get().pk]}, **HX)
    assert b"scan-refused" in board.content and held.platform_order_no.encode() in board.content
    held.refresh_from_db()
    assert held.status == Status.PRINTED and not LineWork.objects.filter(line__order=held, picked__gt=0).exists()
