"""The fulfilment stations in a browser, with two people and keyboard "scans" (a scanner types the code + Enter):
the picker prints a batch of verified orders and picks it (one order by scanning, one by tapping its stop); the
checker, in a second browser, opens each order by its waybill number, is refused a wrong item in loud red, scans the
right ones, ticks the quality and packs; at the ship station each label ships its parcel, a second scan of the same
label is refused as already shipped, and the hand-over list counts the parcels. No console errors (so no CSP
violation from an inline script), and the database ends with the orders shipped and the buyers' notices due."""

from __future__ import annotations

import re

import pytest

from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import BuyerNotice, Handover, Shipment
from shopdesk.orders.models import Order, Status

pytestmark = pytest.mark.browser

CARRIER = "中通快递"


@pytest.fixture
def zto(db):
    carrier = services.save_carrier(actor=None, name=CARRIER, code="zto", services=["标准快递"])
    services.create_range_pool(actor=None, carrier=carrier, name="11月号段", first=7300000001, last=7300009999,
                               prefix="ZT", digits=10)
    return carrier


@pytest.fixture
def people(make_user, shop):
    picker = make_user("warehouse", username="zhoujie", display_name="周杰", shops=[shop])
    checker = make_user("warehouse", username="zhengkai", display_name="郑凯", shops=[shop])
    return picker, checker


@pytest.fixture
def orders(zto, stocked, make_order):
    """Two verified orders: one of 2 × SKU A, one of 1 × SKU B."""
    sku_a, sku_b = stocked(), stocked()
    one = make_order(lines=[(sku_a.listings.first().channel_sku_code, 2, "50.00")])
    two = make_order(lines=[(sku_b.listings.first().channel_sku_code, 1, "80.00")])
    for order in (one, two):
        order.refresh_from_db()
        assert order.status == Status.VERIFIED, order.review_reasons
    return (one, sku_a), (two, sku_b)


def _scan(page, box: str, code: str) -> None:
    """What a scanner does: type the code into the focused scan box and press Enter."""
    from playwright.sync_api import expect

    expect(page.locator(box)).to_be_focused()  # the station keeps the cursor in the box between scans
    page.fill(box, code)
    page.press(box, "Enter")


def test_print_pick_check_pack_ship_and_hand_over(session_as, live_server, people, orders):
    from playwright.sync_api import expect

    (one, sku_a), (two, sku_b) = orders
    contexts = []
    try:
        # --- the picker: a new batch from the verified orders -----------------------------------------------------
        ctx, picker = session_as("zhoujie")
        contexts.append(ctx)
        picker.goto(f"{live_server.url}/fulfilment/")
        expect(picker.locator('[data-stage="to_print"] .n')).to_have_text("2")
        picker.locator('[data-stage="to_print"]').click()
        picker.wait_for_url("**/fulfilment/batches/new/")
        for order in (one, two):
            picker.locator(f'input[name="ids"][value="{order.pk}"]').check()
        with picker.expect_navigation():
            picker.get_by_role("button", name="Print the ticked orders").click()
        assert re.search(r"/fulfilment/batches/\d+/$", picker.url), picker.url
        expect(picker.locator(".messages")).to_contain_text("2 orders printed")
        rows = picker.locator("#batch-orders tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text=one.platform_order_no)).to_contain_text("ZT7300000001")
        # The three documents answer PDFs (fetched with the picker's session); each download is logged.
        links = picker.locator("a[data-document]")
        expect(links).to_have_count(3)
        for i in range(3):
            response = picker.request.get(live_server.url + links.nth(i).get_attribute("href"))
            assert response.status == 200
            assert response.headers["content-type"] == "application/pdf"
            assert response.body()[:5] == b"%PDF-"
        picker.reload()
        expect(picker.locator("#print-log [data-print-kind=first]")).to_have_count(3)

        # --- the pick screen: order one by scanning its two items, order two by tapping its stop -------------------
        with picker.expect_navigation():
            picker.get_by_role("link", name="Pick screen").click()
        board = picker.locator("#pick-board")
        expect(board.locator(".progress-line")).to_contain_text("0 of 2")
        _scan(picker, "#pick-code", sku_a.barcode)
        expect(board.locator(".scan-accepted")).to_contain_text(f"1 of 2 for order {one.platform_order_no}")
        _scan(picker, "#pick-code", sku_a.barcode)
        expect(board.locator(".scan-accepted")).to_contain_text(f"Order {one.platform_order_no} is picked.")
        # A third one is not needed: refused, and the cursor is back in the box for the next scan.
        _scan(picker, "#pick-code", sku_a.barcode)
        expect(board.locator(".scan-refused")).to_contain_text("already picked")
        expect(picker.locator("#pick-code")).to_be_focused()
        stop = board.locator(f'tr[data-stop="{sku_b.code}"]')
        stop.get_by_role("button", name="Picked").click()
        expect(board.locator(".scan-accepted")).to_contain_text("1 item picked.")
        expect(board.locator(".progress-line")).to_contain_text("2 of 2")
        expect(board.locator("tbody tr.done")).to_have_count(2)

        # --- the checker, in a second browser: check, quality, pack ------------------------------------------------
        ctx, checker = session_as("zhengkai")
        contexts.append(ctx)
        one.refresh_from_db()
        two.refresh_from_db()
        checks = [(one, sku_a, 2, sku_b), (two, sku_b, 1, sku_a)]
        for order, sku, quantity, wrong in checks:
            checker.goto(f"{live_server.url}/fulfilment/check/")
            with checker.expect_navigation():
                _scan(checker, "#check-find", order.tracking_no)
            assert checker.url.endswith(f"/fulfilment/check/{order.pk}/"), checker.url
            board = checker.locator("#check-board")
            expect(board.locator(".progress-line")).to_contain_text(f"0 of {quantity}")
            if order is one:
                # A wrong item: the loud red refusal, naming the barcode, and nothing counted.
                _scan(checker, "#check-code", wrong.barcode)
                refused = board.locator('.scan-refused[data-refusal="wrong_item"]')
                expect(refused).to_be_visible()
                expect(refused).to_contain_text(f"Wrong item: {wrong.barcode} is not on order")
                expect(refused).to_have_attribute("role", "alert")
                colour = refused.evaluate("el => getComputedStyle(el).color")
                assert colour == "rgb(255, 255, 255)", colour  # white on the red band
                expect(board.locator(".progress-line")).to_contain_text(f"0 of {quantity}")
            for n in range(1, quantity + 1):
                _scan(checker, "#check-code", sku.barcode)
                expect(board.locator(".scan-accepted")).to_contain_text(f"{n} of {quantity}")
            expect(board.locator(".scan-refused")).to_have_count(0)
            # Every item scanned: the quality tick takes the cursor.
            quality = board.locator('input[name="quality_ok"]')
            expect(quality).to_be_focused()
            quality.check()
            board.get_by_role("button", name="Confirm the check").click()
            expect(board.locator(".scan-accepted")).to_contain_text("Check passed")
            board.locator("#pack-weight").fill("0.85")
            board.get_by_label("快递袋").check()
            board.get_by_role("button", name="Packed").click()
            packed = board.locator(".scan-accepted[data-beep]")
            expect(packed).to_contain_text(f"Order {order.platform_order_no} packed")
            expect(board).to_contain_text("Scan the next order")
            order.refresh_from_db()
            assert order.status == Status.PACKED

        # --- the ship station: each label ships; the same label again is refused --------------------------------------
        checker.goto(f"{live_server.url}/fulfilment/ship/")
        board = checker.locator("#ship-board")
        for order in (one, two):
            _scan(checker, "#ship-code", order.tracking_no)
            expect(board.locator(".scan-accepted")).to_contain_text(f"Shipped: {CARRIER} {order.tracking_no}")
        _scan(checker, "#ship-code", one.tracking_no)
        stop = board.locator('.scan-refused.stop-parcel[data-refusal="stop_parcel"]')
        expect(stop).to_be_visible()
        expect(stop).to_contain_text("Stop this parcel")
        expect(stop).to_contain_text("Already shipped")
        expect(board.locator(".scan-accepted")).to_have_count(0)
        row = board.locator(f'.carrier-row[data-carrier="{CARRIER}"]')
        expect(row.locator(".count")).to_have_text("2")
        expect(board.locator("table.grid tbody tr")).to_have_count(2)

        # --- the hand-over list for the courier --------------------------------------------------------------------
        row.locator('input[name="courier_name"]').fill("王师傅")
        with checker.expect_navigation():
            row.get_by_role("button", name="Make the hand-over list").click()
        assert re.search(r"/fulfilment/handovers/\d+/$", checker.url), checker.url
        expect(checker.locator("[data-parcels]")).to_have_text("2")
        sheet = checker.locator(".handover-sheet")
        for order in (one, two):
            expect(sheet).to_contain_text(order.tracking_no)
        expect(sheet).to_contain_text("王师傅")

        errors = [*contexts[0].pages[0].errors, *checker.errors]
        assert errors == [], errors
    finally:
        for ctx in contexts:
            ctx.close()

    # --- the database at the end -------------------------------------------------------------------------------------
    picker_user, checker_user = people
    for order in (one, two):
        order.refresh_from_db()
        assert order.status == Status.SHIPPED
        assert order.work.picked_by == picker_user and order.work.checked_by == checker_user
        shipment = Shipment.objects.get(order=order, state=Shipment.State.SHIPPED)
        assert shipment.tracking_no == order.tracking_no and shipment.handover is not None
        notice = BuyerNotice.objects.get(order=order)
        assert notice.state == BuyerNotice.State.DUE and order.tracking_no in notice.text
    handover = Handover.objects.get()
    assert handover.parcel_count == 2 and handover.courier_name == "王师傅" and handover.carrier == CARRIER
    assert Order.objects.filter(status=Status.SHIPPED).count() == 2
