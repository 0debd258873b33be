"""The stock engine: reservations, FIFO, postings, closed periods, ledger verification."""

from __future__ import annotations

from datetime import date

import pytest

from shopdesk.catalog.models import SKU, Product
from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine
from shopdesk.inventory.models import Location, Movement, Reservation, Warehouse, WarehouseStock, Zone
from shopdesk.inventory.signals import stock_changed


@pytest.fixture
def wh(db):
    warehouse = Warehouse.objects.create(code="HZ", name="杭州总仓")
    zone = Zone.objects.create(warehouse=warehouse, code="A", name="拣货区A")
    warehouse.loc1 = Location.objects.create(warehouse=warehouse, zone=zone, code="A-01")
    warehouse.loc2 = Location.objects.create(warehouse=warehouse, zone=zone, code="A-02")
    return warehouse


@pytest.fixture
def sku(db):
    product = Product.objects.create(item_number="WG-001", name="无钢圈文胸")
    return SKU.objects.create(product=product, code="WG-001-75B", barcode="6900000000017")


def stock(sku, warehouse):
    return WarehouseStock.objects.get(sku=sku, warehouse=warehouse)


def test_reserve_release_consume(wh, sku):
    engine.receive(sku=sku, location=wh.loc1, quantity=5, reference="PO-1")
    first = engine.reserve(sku, 3, "order:1")
    assert first.ok and first.reservation.warehouse == wh
    assert (stock(sku, wh).on_hand, stock(sku, wh).reserved) == (5, 3)
    refused = engine.reserve(sku, 3, "order:2")
    assert not refused.ok and refused.reason == engine.INSUFFICIENT and refused.reservation is None
    assert engine.release(first.reservation)
    assert not engine.release(first.reservation)  # idempotent
    assert stock(sku, wh).reserved == 0
    second = engine.reserve(sku, 4, "order:3")
    engine.consume(second.reservation)
    assert (stock(sku, wh).on_hand, stock(sku, wh).reserved) == (1, 0)
    assert Reservation.objects.get(pk=second.reservation.pk).state == "consumed"
    with pytest.raises(ServiceError):
        engine.consume(second.reservation)
    assert engine.verify_ledger() == []


def test_reserve_tries_warehouses_by_priority(wh, sku):
    second = Warehouse.objects.create(code="JD", name="京东前置仓", priority=200)
    zone = Zone.objects.create(warehouse=second, code="A", name="A")
    loc = Location.objects.create(warehouse=second, zone=zone, code="J-01")
    engine.receive(sku=sku, location=wh.loc1, quantity=1, reference="PO-1")
    engine.receive(sku=sku, location=loc, quantity=5, reference="PO-2")
    assert engine.reserve(sku, 2, "order:1").reservation.warehouse == second  # the first has only 1
    assert engine.reserve(sku, 1, "order:2").reservation.warehouse == wh
    assert engine.verify_ledger() == []


def test_dispatch_is_fifo_across_locations(wh, sku):
    """先进先出 (000:489): the oldest lot leaves first, wherever it lies."""
    engine.receive(sku=sku, location=wh.loc2, quantity=2, reference="PO-new", received_on=date(2026, 11, 10))
    engine.receive(sku=sku, location=wh.loc1, quantity=3, reference="PO-old", received_on=date(2026, 10, 1))
    engine.receive(sku=sku, location=wh.loc1, quantity=4, reference="PO-mid", received_on=date(2026, 10, 20))
    reservation = engine.reserve(sku, 5, "order:9").reservation
    shipped = engine.consume(reservation)
    taken = [(m.lot.reference, -m.quantity) for m in shipped]
    assert taken == [("PO-old", 3), ("PO-mid", 2)]
    assert all(m.type == Movement.Type.SHIPMENT and m.reference == "order:9" for m in shipped)
    assert engine.verify_ledger() == []


def test_remove_never_touches_reserved_units(wh, sku):
    engine.receive(sku=sku, location=wh.loc1, quantity=5, reference="PO-1")
    engine.reserve(sku, 4, "order:1")
    with pytest.raises(engine.InsufficientStock):
        engine.remove(sku=sku, warehouse=wh, quantity=2, reference="DMG-1", movement_type=Movement.Type.DAMAGE)
    engine.remove(sku=sku, warehouse=wh, quantity=1, reference="DMG-1", movement_type=Movement.Type.DAMAGE)
    assert (stock(sku, wh).on_hand, stock(sku, wh).reserved) == (4, 4)
    assert engine.verify_ledger() == []


def test_move_keeps_lot_dates_and_totals(wh, sku):
    engine.receive(sku=sku, location=wh.loc1, quantity=6, reference="PO-1", received_on=date(2026, 9, 1))
    engine.move(sku=sku, from_location=wh.loc1, to_location=wh.loc2, quantity=4, reference="PUT-1")
    assert stock(sku, wh).on_hand == 6
    assert list(wh.loc2.lots.values_list("received_on", "quantity")) == [(date(2026, 9, 1), 4)]
    with pytest.raises(engine.InsufficientStock):
        engine.move(sku=sku, from_location=wh.loc1, to_location=wh.loc2, quantity=3, reference="PUT-2")
    assert engine.verify_ledger() == []


def test_closed_month_refuses_postings(wh, sku, manager):
    """不跨月记账 (000:505): once October is closed nothing may be posted dated in October."""
    with clock.freeze(date(2026, 11, 5)):
        engine.receive(sku=sku, location=wh.loc1, quantity=5, reference="PO-1", posted_on=date(2026, 10, 30))
        engine.close_period(month=date(2026, 10, 1), actor=manager)
        with pytest.raises(engine.PeriodClosed) as exc:
            engine.receive(sku=sku, location=wh.loc1, quantity=1, reference="PO-late", posted_on=date(2026, 10, 31))
        assert "2026-10" in exc.value.message and "posted_on" in exc.value.fields
        engine.receive(sku=sku, location=wh.loc1, quantity=1, reference="PO-nov")  # today, November: open
        with pytest.raises(ServiceError):
            engine.close_period(month=date(2026, 11, 1), actor=manager)  # the month is not over
        with pytest.raises(ServiceError):
            engine.close_period(month=date(2026, 10, 1), actor=manager)  # already closed
    assert engine.verify_ledger() == []


def test_failed_posting_leaves_nothing(wh, sku):
    engine.receive(sku=sku, location=wh.loc1, quantity=2, reference="PO-1")
    before = (Movement.objects.count(), AuditEvent.objects.count())
    with pytest.raises(engine.InsufficientStock):
        engine.remove(sku=sku, warehouse=wh, quantity=3, reference="X", movement_type=Movement.Type.DAMAGE)
    with pytest.raises(ServiceError):
        engine.receive(sku=sku, location=wh.loc1, quantity=0, reference="PO-0")
    assert (Movement.objects.count(), AuditEvent.objects.count()) == before


def test_verify_ledger_finds_tampering(wh, sku):
    engine.receive(sku=sku, location=wh.loc1, quantity=5, reference="PO-1")
    WarehouseStock.objects.filter(sku=sku).update(on_hand=7)
    problems = engine.verify_ledger()
    assert len(problems) == 1 and "on hand 7, locations sum 5" in problems[0]


def test_every_change_is_audited_and_announced(wh, sku):
    seen = []

    def listener(sender, sku_ids, **kwargs):
        seen.append(tuple(sku_ids))

    stock_changed.connect(listener)
    try:
        engine.receive(sku=sku, location=wh.loc1, quantity=5, reference="PO-1")
        r = engine.reserve(sku, 1, "order:1").reservation
        engine.release(r)
        engine.consume(engine.reserve(sku, 1, "order:2").reservation)
        engine.remove(sku=sku, warehouse=wh, quantity=1, reference="DMG", movement_type=Movement.Type.DAMAGE)
    finally:
        stock_changed.disconnect(listener)
    assert seen == [(sku.pk,)] * 6
    actions = list(AuditEvent.objects.filter(action__startswith="inventory.").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["inventory.receipt", "inventory.reserve", "inventory.release", "inventory.reserve",
                       "inventory.consume", "inventory.damage"]
