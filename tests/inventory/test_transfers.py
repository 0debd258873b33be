"""Transfers between warehouses (调拨): in transit, then received with the original lot dates so FIFO survives."""

from __future__ import annotations

from datetime import date

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine, selectors, services
from shopdesk.inventory.models import Lot, Movement, Transfer, WarehouseStock
from shopdesk.inventory.services import LineInput


@pytest.fixture
def today():
    with clock.freeze(date(2026, 11, 10)):
        yield date(2026, 11, 10)


def test_transfer_in_transit_then_received_keeps_fifo_dates(today, hz, jdw, make_sku, make_user, put, loc,
                                                            ledger_ok):
    sku = make_sku("BRA-75B")
    put(sku, hz, "A-01-01", 3, day=date(2026, 9, 1))
    put(sku, hz, "A-01-02", 5, day=date(2026, 10, 1))
    keeper = make_user("warehouse")
    transfer = services.create_transfer(actor=keeper, from_warehouse=hz, to_warehouse=jdw,
                                        lines=[LineInput(sku.code, 6)], note="京东备货")
    assert transfer.state == Transfer.State.DRAFT and transfer.number.startswith("DB")
    transfer = services.dispatch_transfer(actor=keeper, transfer=transfer)
    assert transfer.state == Transfer.State.IN_TRANSIT
    assert transfer.lines.get().lot_dates == [["2026-09-01", 3], ["2026-10-01", 3]]
    assert WarehouseStock.objects.get(sku=sku, warehouse=hz).on_hand == 2
    assert not WarehouseStock.objects.filter(sku=sku, warehouse=jdw).exists()
    assert selectors.stock_by_sku(jdw.pk).get(pk=sku.pk).in_transit == 6
    assert selectors.stock_by_sku().get(pk=sku.pk).in_transit == 6
    assert selectors.in_transit_units() == 6
    assert sorted(Movement.objects.filter(reference=transfer.number).values_list("quantity", flat=True)) == [-3, -3]

    with pytest.raises(ServiceError) as err:
        services.receive_transfer(actor=keeper, transfer=transfer, location=loc(hz, "A-01-01"))
    assert "location" in err.value.fields
    transfer = services.receive_transfer(actor=keeper, transfer=transfer, location=loc(jdw, "J-01"))
    assert transfer.state == Transfer.State.RECEIVED
    arrived = list(Lot.objects.filter(sku=sku, location__warehouse=jdw).order_by("received_on")
                   .values_list("received_on", "quantity"))
    assert arrived == [(date(2026, 9, 1), 3), (date(2026, 10, 1), 3)]
    assert {m.type for m in Movement.objects.filter(reference=transfer.number)} == {"transfer_out", "transfer_in"}
    assert selectors.stock_by_sku(jdw.pk).get(pk=sku.pk).in_transit == 0

    # A fresh receipt at the destination is younger: shipping takes the transferred September units first.
    put(sku, jdw, "J-02", 10, day=today)
    reservation = engine.reserve(sku, 4, "order:1", warehouse=jdw).reservation
    shipped = engine.consume(reservation)
    assert [(m.lot.received_on, -m.quantity) for m in shipped] == [(date(2026, 9, 1), 3), (date(2026, 10, 1), 1)]
    actions = set(AuditEvent.objects.filter(object_id=str(transfer.pk), object_type="inventory.transfer")
                  .values_list("action", flat=True))
    assert actions == {"inventory.create_transfer", "inventory.dispatch_transfer", "inventory.receive_transfer"}
    ledger_ok()


def test_dispatch_takes_only_available_units_and_names_the_lines(english, today, hz, jdw, make_sku, make_user, put,
                                                                  ledger_ok):
    a, b = make_sku("A-1"), make_sku("B-1")
    put(a, hz, "A-01-01", 5, day=today)
    put(b, hz, "A-01-01", 1, day=today)
    assert engine.reserve(a, 4, "order:9", warehouse=hz).ok
    keeper = make_user("warehouse")
    transfer = services.create_transfer(actor=keeper, from_warehouse=hz, to_warehouse=jdw,
                                        lines=[LineInput(a, 2), LineInput(b, 1)])
    with pytest.raises(engine.InsufficientStock) as err:
        services.dispatch_transfer(actor=keeper, transfer=transfer)
    assert err.value.fields["lines"] == ["line 1 A-1: 2 requested, 1 available"]
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.DRAFT
    assert not Movement.objects.filter(reference=transfer.number).exists()
    ledger_ok()


def test_transfer_rules(today, hz, jdw, make_sku, make_user, put):
    sku = make_sku("C-1")
    put(sku, hz, "A-01-01", 5, day=today)
    keeper = make_user("warehouse")
    with pytest.raises(ServiceError) as err:
        services.create_transfer(actor=keeper, from_warehouse=hz, to_warehouse=hz, lines=[LineInput(sku, 1)])
    assert "to_warehouse" in err.value.fields
    with pytest.raises(ServiceError) as err:
        services.create_transfer(actor=keeper, from_warehouse=hz, to_warehouse=jdw, lines=[])
    assert err.value.code == "no_lines"
    with pytest.raises(NotAllowed):
        services.create_transfer(actor=make_user("merchandiser"), from_warehouse=hz, to_warehouse=jdw,
                                 lines=[LineInput(sku, 1)])
    draft = services.create_transfer(actor=keeper, from_warehouse=hz, to_warehouse=jdw, lines=[LineInput(sku, 1)])
    services.cancel_transfer(actor=keeper, transfer=draft, reason="不需要了")
    with pytest.raises(Conflict):
        services.dispatch_transfer(actor=keeper, transfer=draft)
    moving = services.create_transfer(actor=keeper, from_warehouse=hz, to_warehouse=jdw, lines=[LineInput(sku, 2)])
    services.dispatch_transfer(actor=keeper, transfer=moving)
    with pytest.raises(Conflict):
        services.cancel_transfer(actor=keeper, transfer=moving)
    assert engine.verify_ledger() == []


def test_transfer_pages(today, client_for, hz, jdw, make_sku, put, loc):
    sku = make_sku("D-1")
    put(sku, hz, "A-01-01", 5, day=today)
    client = client_for("warehouse")
    response = client.post("/inventory/transfers/new/", {"from_warehouse": hz.pk, "to_warehouse": jdw.pk,
                                                         "lines": "D-1 2\nNOPE 1\n", "note": ""})
    assert response.status_code == 200 and "NOPE" in response.content.decode()
    response = client.post("/inventory/transfers/new/", {"from_warehouse": hz.pk, "to_warehouse": jdw.pk,
                                                         "lines": "D-1\t2\n", "note": ""})
    transfer = Transfer.objects.get()
    assert response.status_code == 302
    client.post(f"/inventory/transfers/{transfer.number}/dispatch/")
    html = client.get("/inventory/transfers/?tab=in_transit").content.decode()
    assert transfer.number in html
    stock_page = client.get("/inventory/", {"warehouse": jdw.code, "tab": "in_transit"}).content.decode()
    assert "D-1" in stock_page
    client.post(f"/inventory/transfers/{transfer.number}/receive/", {"location": loc(jdw, "J-02").pk})
    transfer.refresh_from_db()
    assert transfer.state == Transfer.State.RECEIVED
    assert engine.verify_ledger() == []
