"""Every public function of shopdesk.inventory.services writes its audit event, with the person and, for a stand-in,
the role they stood in for; a refused action leaves no audit row."""

from __future__ import annotations

import inspect
from datetime import date, timedelta

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine, services
from shopdesk.inventory.services import LineInput, ReceiptLineInput
from shopdesk.staff import services as staff_services

# function -> the audit action it writes
EXPECTED = {
    "create_warehouse": "inventory.create_warehouse",
    "update_warehouse": "inventory.update_warehouse",
    "create_zone": "inventory.create_zone",
    "update_zone": "inventory.update_zone",
    "create_locations": "inventory.create_location",
    "update_location": "inventory.update_location",
    "create_purchase_order": "inventory.create_purchase_order",
    "close_purchase_order": "inventory.close_purchase_order",
    "create_receipt": "inventory.create_receipt",
    "post_receipt": "inventory.post_receipt",
    "put_away": "inventory.put_away",
    "move_stock": "inventory.move_stock",
    "create_transfer": "inventory.create_transfer",
    "dispatch_transfer": "inventory.dispatch_transfer",
    "receive_transfer": "inventory.receive_transfer",
    "cancel_transfer": "inventory.cancel_transfer",
    "start_stocktake": "inventory.start_stocktake",
    "record_scan": "inventory.count_stocktake",
    "set_stocktake_count": "inventory.count_stocktake",
    "submit_stocktake": "inventory.submit_stocktake",
    "approve_stocktake": "inventory.approve_stocktake",
    "return_stocktake": "inventory.return_stocktake",
    "cancel_stocktake": "inventory.cancel_stocktake",
    "set_stock_threshold": "inventory.set_stock_threshold",
    "close_month": "inventory.close_month",
}


def public_functions():
    return {name for name, fn in inspect.getmembers(services, inspect.isfunction)
            if not name.startswith("_") and fn.__module__ == services.__name__}


def test_the_table_covers_every_public_service():
    assert public_functions() == set(EXPECTED)


@pytest.fixture
def boss(make_user):
    return make_user("manager")


def test_every_service_writes_its_audit_event(boss, shop, make_sku):
    sku, other = make_sku("AU-1", barcode="6909000000001"), make_sku("AU-2")
    seen = {}

    def call(function, /, **kwargs):
        before = AuditEvent.objects.filter(action=EXPECTED[function], actor=boss).count()
        result = getattr(services, function)(actor=boss, **kwargs)
        assert AuditEvent.objects.filter(action=EXPECTED[function], actor=boss).count() > before, function
        seen[function] = True
        return result

    with clock.freeze(date(2026, 11, 10)):
        hz = call("create_warehouse", code="HZ", name="杭州总仓", shops=[shop])
        jd = services.create_warehouse(actor=None, code="JD", name="京东前置仓")
        call("update_warehouse", warehouse=hz, priority=5)
        zone = call("create_zone", warehouse=hz, code="A", name="拣货区")
        call("update_zone", zone=zone, name="拣货区A")
        rcv, a1, a2 = call("create_locations", warehouse=hz, zone=zone, codes=["RCV-01", "A-01", "A-02"])
        spare = services.create_locations(actor=None, warehouse=hz, zone=zone, codes=["A-99"])[0]
        call("update_location", location=spare, is_active=False)
        jd_zone = services.create_zone(actor=None, warehouse=jd, code="A", name="A")
        [j1] = services.create_locations(actor=None, warehouse=jd, zone=jd_zone, codes=["J-01"])

        po = call("create_purchase_order", supplier="S", warehouse=hz, lines=[LineInput(sku, 10), LineInput(other, 2)])
        receipt = call("create_receipt", purchase_order=po, delivery_note_number="D1", received_on=clock.today(),
                       lines=[ReceiptLineInput(sku, received=10, location=rcv)])
        call("post_receipt", receipt=receipt)
        call("put_away", line=receipt.lines.get(), to_location=a1, quantity=8)
        call("move_stock", sku=sku, from_location=a1, to_location=a2, quantity=1, reason="re-slot")
        call("close_purchase_order", purchase_order=po, reason="rest cancelled")

        transfer = call("create_transfer", from_warehouse=hz, to_warehouse=jd, lines=[LineInput(sku, 2)])
        call("dispatch_transfer", transfer=transfer)
        call("receive_transfer", transfer=transfer, location=j1)
        draft = services.create_transfer(actor=None, from_warehouse=hz, to_warehouse=jd, lines=[LineInput(sku, 1)])
        call("cancel_transfer", transfer=draft)

        st = call("start_stocktake", warehouse=hz)
        call("record_scan", stocktake=st, code="6909000000001", location=a1)
        call("set_stocktake_count", stocktake=st, sku=sku, location=a2, counted=1)
        call("submit_stocktake", stocktake=st, zero_uncounted=True)
        call("return_stocktake", stocktake=st, reason="recount")
        services.submit_stocktake(actor=boss, stocktake=st)
        call("approve_stocktake", stocktake=st)
        other_count = services.start_stocktake(actor=boss, warehouse=jd)
        call("cancel_stocktake", stocktake=other_count)

        call("set_stock_threshold", sku=sku, reorder_point=3, max_stock=30)
    with clock.freeze(date(2026, 12, 2)):
        call("close_month", month=date(2026, 11, 1))
    assert set(seen) == set(EXPECTED)
    assert engine.verify_ledger() == []


def test_stand_in_actions_are_marked(make_user, boss, make_sku):
    """A pre-sales agent standing in for the warehouse keeper receives goods: the audit row names the role."""
    sku = make_sku()
    hz = services.create_warehouse(actor=None, code="HZ", name="杭州总仓")
    zone = services.create_zone(actor=None, warehouse=hz, code="R", name="收货区")
    services.create_locations(actor=None, warehouse=hz, zone=zone, codes=["R-1"])
    po = services.create_purchase_order(actor=None, supplier="S", warehouse=hz, lines=[LineInput(sku, 1)])
    agent = make_user("cs_presales")
    today = clock.today()
    staff_services.grant_stand_in(actor=boss, user=agent, role_code="warehouse", starts_on=today,
                                  ends_on=today + timedelta(days=1), reason="库管休假")
    receipt = services.create_receipt(actor=agent, purchase_order=po, delivery_note_number="D1", received_on=today,
                                      post=True, lines=[ReceiptLineInput(sku, received=1, location="R-1")])
    event = AuditEvent.objects.get(action="inventory.post_receipt", object_id=str(receipt.pk))
    assert event.actor == agent and event.stand_in_role == "warehouse"


def test_refused_action_leaves_no_audit_row(boss, make_sku):
    sku = make_sku()
    hz = services.create_warehouse(actor=None, code="HZ", name="杭州总仓")
    zone = services.create_zone(actor=None, warehouse=hz, code="A", name="A")
    [a1] = services.create_locations(actor=None, warehouse=hz, zone=zone, codes=["A-1"])
    engine.receive(sku=sku, location=a1, quantity=2, reference="INIT")
    assert engine.reserve(sku, 2, "order:1", warehouse=hz).ok
    st = services.start_stocktake(actor=boss, warehouse=hz)
    services.set_stocktake_count(actor=boss, stocktake=st, sku=sku, location=a1, counted=0)
    services.submit_stocktake(actor=boss, stocktake=st)
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.approve_stocktake(actor=boss, stocktake=st)
    assert AuditEvent.objects.count() == before
