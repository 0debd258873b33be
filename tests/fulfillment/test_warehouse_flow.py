"""The warehouse's day (product.md §2.4): print a wave, pick, two-person check, pack, ship, hand over."""

from __future__ import annotations

import pytest

from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import BuyerNotice, Handover, PrintLog, Shipment
from shopdesk.inventory.models import Lot, Movement, Reservation
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Status, UnreachableArea


def _through_check(order, picker, checker):
    services.pick_order(actor=picker, order=order)
    for line in order.lines.select_related("sku"):
        for _ in range(line.quantity):
            assert services.check_scan(actor=checker, order=order, code=line.sku.barcode).ok
    services.confirm_check(actor=checker, order=order, quality_ok=True)
    return services.pack_order(actor=checker, order=order, weight_kg="0.8", packing_material="纸箱")


def test_batch_assigns_carrier_and_pool_numbers_and_prints(zto, ems, verified_order, picker):
    a, b = verified_order(), verified_order()
    result = services.create_batch(actor=picker, orders=[a, b])
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == Status.PRINTED
    assert a.printed_batch == result.batch.number and result.batch.number.startswith("P")
    assert a.carrier == "中通快递" and a.tracking_no == "ZT7300000001" and b.tracking_no == "ZT7300000002"
    assert set(Shipment.objects.values_list("tracking_no", "state")) == {
        ("ZT7300000001", "labelled"), ("ZT7300000002", "labelled")}
    assert result.without_number == []
    services.record_print(actor=picker, batch=result.batch, document="labels", pages=2)
    services.record_print(actor=picker, batch=result.batch, document="labels", pages=2)
    assert list(PrintLog.objects.order_by("id").values_list("reprint", flat=True)) == [False, True]
    assert AuditEvent.objects.filter(action="fulfillment.reprint").count() == 1


def test_batch_falls_back_to_universal_carrier_where_default_does_not_reach(zto, ems, verified_order, picker):
    UnreachableArea.objects.create(carrier="中通快递", province="西藏自治区")
    far = verified_order(province="西藏自治区", city="拉萨市", district="城关区")
    near = verified_order()
    result = services.create_batch(actor=picker, orders=[far, near])
    far.refresh_from_db()
    near.refresh_from_db()
    assert far.carrier == "E邮宝" and near.carrier == "中通快递"
    assert result.without_number == [far.platform_order_no]  # E邮宝 has no pool here: enter its number by hand
    assert far.tracking_no == ""


def test_batch_refuses_unverified_or_held_orders(zto, make_order, stocked, verified_order, picker):
    sku = stocked()
    unpaid = make_order(status="unpaid", lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    ok = verified_order()
    with pytest.raises(Conflict) as err:
        services.create_batch(actor=picker, orders=[ok, unpaid])
    assert unpaid.platform_order_no in str(err.value)
    ok.refresh_from_db()
    assert ok.status == Status.VERIFIED and not Shipment.objects.exists()


def test_two_person_rule_and_scans(zto, verified_order, stocked, picker, checker):
    sku = stocked()
    other = stocked()
    order = verified_order(lines=[(sku.listings.first().channel_sku_code, 2, "50.00")])
    services.create_batch(actor=picker, orders=[order])
    services.pick_order(actor=picker, order=order)
    order.refresh_from_db()
    assert order.status == Status.PICKED and order.work.picked_by == picker
    with pytest.raises(Conflict) as err:
        services.check_scan(actor=picker, order=order, code=sku.barcode)
    assert err.value.code == "same_person"
    wrong = services.check_scan(actor=checker, order=order, code=other.barcode)
    assert not wrong.ok and wrong.code == "wrong_item" and other.barcode in wrong.message
    assert services.check_scan(actor=checker, order=order, code=sku.barcode).code == "ok"
    with pytest.raises(Conflict):  # one of two scanned: cannot pass the check yet
        services.confirm_check(actor=checker, order=order, quality_ok=True)
    assert services.check_scan(actor=checker, order=order, code=sku.code).code == "complete"
    extra = services.check_scan(actor=checker, order=order, code=sku.barcode)
    assert not extra.ok and extra.code == "extra_item"
    assert AuditEvent.objects.filter(action="fulfillment.check_refused").count() == 2
    with pytest.raises(Conflict):  # the check is not passed until the quality tick
        services.pack_order(actor=checker, order=order)
    with pytest.raises(ServiceError):
        services.confirm_check(actor=checker, order=order, quality_ok=False)
    services.confirm_check(actor=checker, order=order, quality_ok=True)
    order = services.pack_order(actor=checker, order=order, weight_kg="1.2")
    assert order.status == Status.PACKED and str(order.work.weight_kg) == "1.200"


def test_ship_consumes_oldest_lot_and_records_buyer_notice(zto, verified_order, stocked, warehouse, picker, checker,
                                                          cn_time):
    from shopdesk.inventory import engine

    sku = stocked(quantity=0)
    location = warehouse.locations.get(code="A-01")
    engine.receive(sku=sku, location=location, quantity=1, reference="OLD", received_on=cn_time(2026, 1, 1).date())
    engine.receive(sku=sku, location=location, quantity=5, reference="NEW", received_on=cn_time(2026, 11, 1).date())
    order = verified_order(lines=[(sku.listings.first().channel_sku_code, 2, "50.00")])
    services.create_batch(actor=picker, orders=[order])
    _through_check(order, picker, checker)
    shipment = services.scan_to_ship(actor=checker, code=" zt7300000001 ")
    order.refresh_from_db()
    assert order.status == Status.SHIPPED and shipment.state == Shipment.State.SHIPPED
    assert shipment.weight_kg is not None and shipment.shipped_by == checker
    lots = dict(Lot.objects.filter(sku=sku).values_list("received_on__month", "quantity"))
    assert lots == {1: 0, 11: 4}  # the old lot first (FIFO)
    assert Movement.objects.filter(sku=sku, type="shipment").count() >= 1
    assert not Reservation.objects.filter(sku=sku, state=Reservation.State.ACTIVE).exists()
    notice = BuyerNotice.objects.get(order=order)
    assert notice.state == "due" and "中通快递" in notice.text and "ZT7300000001" in notice.text


@pytest.mark.parametrize("what", ["shipped", "cancelled", "held", "unchecked"])
def test_scan_to_ship_refuses_with_reason(what, zto, verified_order, picker, checker, manager, english):
    order = verified_order()
    services.create_batch(actor=picker, orders=[order])
    if what != "unchecked":
        _through_check(order, picker, checker)
    if what == "shipped":
        services.scan_to_ship(actor=checker, code="ZT7300000001")
    elif what == "cancelled":  # the buyer cancels a packed order: cancelled, the parcel must be recalled
        order_services.cancel_order(actor=manager, order=order, reason="买家不要了")
        order.refresh_from_db()
        assert order.status == Status.CANCELLED
    elif what == "held":  # a new address after packing: the parcel waits for its recall
        order_services.change_address(actor=manager, order=order, buyer_name="张三", mobile="13900139000",
                                      landline="", province="浙江省", city="杭州市", district="滨江区",
                                      address_detail="江南大道2号", postcode="310051")
        order.refresh_from_db()
        assert order.on_hold  # back to review, held until the parcel is recalled
    with pytest.raises((Conflict, ServiceError)) as err:
        services.scan_to_ship(actor=checker, code="ZT7300000001")
    assert err.value.code == "stop_parcel"
    words = {"shipped": "Already shipped", "cancelled": "cancelled", "held": "on hold", "unchecked": "not passed"}
    assert words[what] in str(err.value)
    assert Shipment.objects.filter(state="shipped").count() == (1 if what == "shipped" else 0)


def test_handover_collects_shipped_parcels_once(zto, verified_order, picker, checker):
    orders = [verified_order() for _ in range(3)]
    services.create_batch(actor=picker, orders=orders)
    for order in orders[:2]:
        _through_check(order, picker, checker)
        services.ship_parcel(actor=checker, order=order)
    handover = services.create_handover(actor=picker, carrier="中通快递", courier_name="王师傅")
    assert handover.parcel_count == 2 and handover.number.startswith("H")
    with pytest.raises(Conflict):
        services.create_handover(actor=picker, carrier="中通快递")
    assert Handover.objects.count() == 1


def test_manual_waybill_refuses_a_number_on_another_order(zto, ems, verified_order, picker):
    a, b = verified_order(), verified_order()
    services.create_batch(actor=picker, orders=[a, b])
    services.set_waybill(actor=picker, order=a, carrier="E邮宝", tracking_no="ey123")
    with pytest.raises(Conflict) as err:
        services.set_waybill(actor=picker, order=b, carrier="E邮宝", tracking_no="EY123")
    assert a.platform_order_no in str(err.value)
    a.refresh_from_db()
    assert a.tracking_no == "EY123" and a.carrier == "E邮宝"
    assert Shipment.objects.get(order=a, carrier="中通快递").state == "void"


def test_reship_order_is_linked_free_and_ships_today(verified_order, manager):
    order = verified_order()
    line = order.lines.get()
    reship = order_services.create_reship_order(actor=manager, order=order, quantities={line.pk: 1},
                                                reason="少货补发")
    assert reship.reship_of == order and reship.ship_today and reship.paid_amount == 0
    assert reship.status == Status.VERIFIED and reship.lines.get().reservation.state == "active"
    assert reship.platform_order_no == f"{order.platform_order_no}-BF1"


def test_order_page_says_when_the_universal_carrier_replaced_the_default(verified_order, client_for, shop, english):
    from django.urls import reverse

    UnreachableArea.objects.create(carrier="中通快递", province="西藏自治区")
    far = verified_order(province="西藏自治区", city="拉萨市", district="城关区")
    near = verified_order()
    assert far.carrier == "E邮宝"
    cs = client_for("cs_presales", shops=[shop])
    page = cs.get(reverse("orders:detail", args=[far.pk])).content.decode()
    assert "default carrier 中通快递 does not reach this district" in page
    assert "does not reach this district" not in cs.get(reverse("orders:detail", args=[near.pk])).content.decode()
