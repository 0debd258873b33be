"""Receiving (入库) against purchase orders and delivery notes, short and over deliveries, put-away (上架), and the
closed-month rule (不跨月记账) through the receiving service."""

from __future__ import annotations

from datetime import date

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine, selectors, services
from shopdesk.inventory.models import (
    LocationStock,
    Lot,
    Movement,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    WarehouseStock,
)
from shopdesk.inventory.services import LineInput, ReceiptLineInput


@pytest.fixture
def two_skus(make_sku):
    return make_sku("BRA-75B", cost="35.00", name="无钢圈文胸"), make_sku("BRF-M", cost="12.50", name="三角内裤")


@pytest.fixture
def po(hz, two_skus, manager):
    bra, brief = two_skus
    return services.create_purchase_order(actor=manager, supplier="安之伴服饰", warehouse=hz,
                                          lines=[LineInput(bra.code, 10), LineInput(brief.code, "5")])


def on_hand(sku, warehouse):
    return WarehouseStock.objects.get(sku=sku, warehouse=warehouse).on_hand


def test_short_and_over_delivery_recorded_and_po_state_follows(po, hz, two_skus, make_user, loc, ledger_ok):
    bra, brief = two_skus
    keeper = make_user("warehouse")
    assert po.number.startswith("CG") and po.state == PurchaseOrder.State.OPEN
    receipt = services.create_receipt(
        actor=keeper, purchase_order=po, delivery_note_number="SD-001", received_on=clock.today(), post=True,
        lines=[ReceiptLineInput(bra.code, received=8, location="RCV-01"),
               ReceiptLineInput(brief, received="7", location=loc(hz, "RCV-01"))])
    assert receipt.state == Receipt.State.POSTED and receipt.number.startswith("RK")
    lines = {line.sku_id: line for line in receipt.lines.all()}
    assert (lines[bra.pk].expected, lines[bra.pk].received, lines[bra.pk].difference) == (10, 8, -2)
    assert (lines[brief.pk].expected, lines[brief.pk].received, lines[brief.pk].difference) == (5, 7, 2)
    assert on_hand(bra, hz) == 8 and on_hand(brief, hz) == 7
    po.refresh_from_db()
    assert po.state == PurchaseOrder.State.PARTIALLY_RECEIVED
    assert {pl.sku_id: (pl.ordered, pl.received) for pl in po.lines.all()} == {bra.pk: (10, 8), brief.pk: (5, 7)}
    movements = Movement.objects.filter(reference=receipt.number)
    assert sorted(m.quantity for m in movements) == [7, 8] and {m.type for m in movements} == {"receipt"}
    event = AuditEvent.objects.get(action="inventory.post_receipt", object_id=str(receipt.pk))
    assert event.actor == keeper
    assert event.changes["short"]["after"] == ["BRA-75B 8/10 (-2)"]
    assert event.changes["over"]["after"] == ["BRF-M 7/5 (+2)"]
    assert event.changes["purchase_order_state"] == {"before": "open", "after": "partially_received"}

    # The rest arrives with a second delivery note: expected defaults to what is still outstanding.
    second = services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="SD-002",
                                     received_on=clock.today(), post=True,
                                     lines=[ReceiptLineInput(bra.code, received=2, location="RCV-01")])
    assert second.lines.get().expected == 2
    po.refresh_from_db()
    assert po.state == PurchaseOrder.State.RECEIVED
    assert on_hand(bra, hz) == 10
    ledger_ok()


def test_bad_lines_are_named_and_nothing_is_written(po, hz, jdw, two_skus, make_sku, make_user, loc, english):
    bra, brief = two_skus
    stranger = make_sku("OTHER-1")
    keeper = make_user("warehouse")
    with pytest.raises(ServiceError) as err:
        services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="SD-9",
                                received_on=clock.today(),
                                lines=[ReceiptLineInput(bra.code, received=-1, location="RCV-01"),
                                       ReceiptLineInput(stranger.code, received=1, location="RCV-01"),
                                       ReceiptLineInput(brief.code, received=2, location=loc(jdw, "J-01")),
                                       ReceiptLineInput(bra.code, received=1, location="NOPE")])
    problems = err.value.fields["lines"]
    assert any(p.startswith("Line 1 (BRA-75B)") and "received" in p for p in problems)
    assert any(p.startswith("Line 2") and "OTHER-1" in p and po.number in p for p in problems)
    assert any(p.startswith("Line 3 (BRF-M)") and "J-01" in p for p in problems)
    assert any(p.startswith("Line 4") and "already on line 1" in p for p in problems)
    with pytest.raises(ServiceError) as err:
        services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number=" ", received_on=None,
                                lines=[ReceiptLineInput(bra.code, received=1, location="RCV-01")])
    assert set(err.value.fields) == {"delivery_note_number", "received_on"}
    with pytest.raises(ServiceError) as err:
        services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="SD-9",
                                received_on=clock.today(),
                                lines=[ReceiptLineInput(bra.code, received=0, location="RCV-01")])
    assert err.value.code == "nothing_received"
    with pytest.raises(ServiceError) as err:
        services.create_purchase_order(actor=None, supplier="x", warehouse=hz,
                                       lines=[LineInput("NOPE-1", 3), LineInput(bra.code, 0)])
    assert err.value.fields["lines"] == ["Line 1: unknown SKU NOPE-1",
                                         "Line 2: the quantity must be a whole number above zero (got 0)"]
    assert not Receipt.objects.exists() and not ReceiptLine.objects.exists() and not Movement.objects.exists()
    assert PurchaseOrder.objects.count() == 1


def test_one_delivery_note_is_received_once(po, two_skus, make_user):
    bra, _brief = two_skus
    keeper = make_user("warehouse")
    first = services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="SD-1",
                                    received_on=clock.today(),
                                    lines=[ReceiptLineInput(bra.code, received=3, location="RCV-01")])
    assert first.state == Receipt.State.DRAFT and not Movement.objects.exists()
    with pytest.raises(Conflict) as err:
        services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="sd-1",
                                received_on=clock.today(),
                                lines=[ReceiptLineInput(bra.code, received=3, location="RCV-01")])
    assert err.value.code == "delivery_note_used" and first.number in err.value.message
    services.post_receipt(actor=keeper, receipt=first)
    with pytest.raises(Conflict):
        services.post_receipt(actor=keeper, receipt=first)
    assert Movement.objects.filter(reference=first.number).count() == 1


def test_closed_month_refused_through_receiving(hz, two_skus, manager, make_user):
    """不跨月记账 (000:505): a delivery dated in a closed month is refused beside its date; a draft of a month blocks
    closing that month until it is posted."""
    bra, _brief = two_skus
    keeper = make_user("warehouse")
    with clock.freeze(date(2026, 10, 20)):
        po = services.create_purchase_order(actor=manager, supplier="S", warehouse=hz, lines=[LineInput(bra, 10)])
        draft = services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="OCT-1",
                                        received_on=date(2026, 10, 20),
                                        lines=[ReceiptLineInput(bra, received=4, location="RCV-01")])
    with clock.freeze(date(2026, 11, 3)):
        with pytest.raises(Conflict) as err:
            services.close_month(actor=manager, month=date(2026, 10, 1))
        assert err.value.code == "draft_receipts" and draft.number in err.value.message
        services.post_receipt(actor=keeper, receipt=draft)
        services.close_month(actor=manager, month=date(2026, 10, 1))
        with pytest.raises(engine.PeriodClosed) as err:
            services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="OCT-2",
                                    received_on=date(2026, 10, 31), post=True,
                                    lines=[ReceiptLineInput(bra, received=6, location="RCV-01")])
        assert "received_on" in err.value.fields and "2026-10" in err.value.message
        assert not Receipt.objects.filter(delivery_note_number="OCT-2").exists()
        late = services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="OCT-2",
                                       received_on=date(2026, 11, 3), post=True,
                                       lines=[ReceiptLineInput(bra, received=6, location="RCV-01")])
        assert late.state == Receipt.State.POSTED
    assert AuditEvent.objects.filter(action="inventory.close_month", actor=manager).count() == 1
    assert engine.verify_ledger() == []


def test_put_away_moves_received_units_and_keeps_lot_dates(po, hz, two_skus, make_user, loc, ledger_ok):
    bra, _brief = two_skus
    keeper = make_user("warehouse")
    with clock.freeze(date(2026, 11, 2)):
        receipt = services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="SD-5",
                                          received_on=date(2026, 11, 2), post=True,
                                          lines=[ReceiptLineInput(bra.code, received=10, location="RCV-01")])
    line = receipt.lines.get()
    line = services.put_away(actor=keeper, line=line, to_location=loc(hz, "A-01-01"), quantity=6)
    assert (line.put_away, line.to_put_away) == (6, 4)
    stock = {r.location.code: r.on_hand for r in LocationStock.objects.filter(sku=bra).select_related("location")}
    assert stock == {"RCV-01": 4, "A-01-01": 6}
    assert set(Lot.objects.filter(sku=bra, quantity__gt=0).values_list("received_on", flat=True)) == {
        date(2026, 11, 2)}
    with pytest.raises(ServiceError) as err:
        services.put_away(actor=keeper, line=line, to_location=loc(hz, "A-01-02"), quantity=5)
    assert "quantity" in err.value.fields and "4" in err.value.fields["quantity"][0]
    with pytest.raises(ServiceError) as err:
        services.put_away(actor=keeper, line=line, to_location=loc(hz, "RCV-01"), quantity=1)
    assert "to_location" in err.value.fields
    services.put_away(actor=keeper, line=line, to_location=loc(hz, "A-01-02"), quantity=4)
    assert not selectors.receipts_to_put_away().exists()
    assert AuditEvent.objects.filter(action="inventory.put_away", object_id=str(receipt.pk)).count() == 2
    ledger_ok()


def test_close_purchase_order_and_permissions(po, two_skus, make_user, manager):
    bra, _brief = two_skus
    with pytest.raises(NotAllowed):
        services.create_receipt(actor=make_user("cs_presales"), purchase_order=po, delivery_note_number="X",
                                received_on=clock.today(),
                                lines=[ReceiptLineInput(bra, received=1, location="RCV-01")])
    with pytest.raises(NotAllowed):
        services.create_purchase_order(actor=make_user("warehouse"), supplier="S", warehouse=po.warehouse,
                                       lines=[LineInput(bra, 1)])
    keeper = make_user("warehouse")
    draft = services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="D1",
                                    received_on=clock.today(),
                                    lines=[ReceiptLineInput(bra, received=1, location="RCV-01")])
    with pytest.raises(Conflict) as err:
        services.close_purchase_order(actor=manager, purchase_order=po)
    assert draft.number in err.value.message
    services.post_receipt(actor=keeper, receipt=draft)
    po = services.close_purchase_order(actor=manager, purchase_order=po, reason="供应商停产")
    assert po.state == PurchaseOrder.State.CLOSED
    with pytest.raises(Conflict):
        services.create_receipt(actor=keeper, purchase_order=po, delivery_note_number="D2",
                                received_on=clock.today(),
                                lines=[ReceiptLineInput(bra, received=1, location="RCV-01")])
    assert engine.verify_ledger() == []


def test_receipt_page_posts_and_shows_differences(client_for, po, hz, two_skus, loc):
    bra, brief = two_skus
    client = client_for("warehouse")
    page = client.get(f"/inventory/purchase-orders/{po.number}/receive/")
    assert page.status_code == 200 and "BRA-75B" in page.content.decode()
    lines = {pl.sku_id: pl.pk for pl in po.lines.all()}
    rcv = loc(hz, "RCV-01").pk
    response = client.post(f"/inventory/purchase-orders/{po.number}/receive/", {
        "delivery_note_number": "SD-77", "received_on": clock.today().isoformat(), "action": "post",
        f"expected_{lines[bra.pk]}": 10, f"received_{lines[bra.pk]}": 9, f"location_{lines[bra.pk]}": rcv,
        f"expected_{lines[brief.pk]}": 5, f"received_{lines[brief.pk]}": "", f"location_{lines[brief.pk]}": rcv})
    receipt = Receipt.objects.get(delivery_note_number="SD-77")
    assert response.status_code == 302 and receipt.state == Receipt.State.POSTED
    html = client.get(response["Location"]).content.decode()
    assert "SD-77" in html and 'class="neg"' in html  # the short line is marked
    assert receipt.lines.get(sku=bra).short_by == 1 and receipt.lines.get(sku=brief).received == 0
    assert on_hand(bra, hz) == 9 and not WarehouseStock.objects.filter(sku=brief).exists()
    # A bad quantity is shown beside its field, nothing posted.
    again = client.post(f"/inventory/purchase-orders/{po.number}/receive/", {
        "delivery_note_number": "SD-78", "received_on": clock.today().isoformat(), "action": "post",
        f"expected_{lines[bra.pk]}": 1, f"received_{lines[bra.pk]}": "abc", f"location_{lines[bra.pk]}": rcv,
        f"expected_{lines[brief.pk]}": 5, f"received_{lines[brief.pk]}": "", f"location_{lines[brief.pk]}": rcv})
    assert again.status_code == 200 and 'class="field-error"' in again.content.decode()
    assert not Receipt.objects.filter(delivery_note_number="SD-78").exists()
    assert engine.verify_ledger() == []
