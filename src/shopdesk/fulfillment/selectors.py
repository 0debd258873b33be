"""Reads of fulfilment: what the stations, boards and reports show."""

from __future__ import annotations

# --- warehouse: batches, picking, checking, shipping ------------------------------------------------------------------


# --- set-up: carriers, price rules, pools, coverage, the dispatch plan -----------------------------------------------


# --- logistics: tracking, exceptions, missing items, courier bills ---------------------------------------------------


def shipments_visible_to(user):
    """Parcels of the shops the person works on."""
    from shopdesk.channels.selectors import shops_visible_to
    from shopdesk.fulfillment.models import Shipment

    return Shipment.objects.filter(order__shop__in=shops_visible_to(user))


def logistics_exceptions(user):
    """Logistics exceptions of the person's shops, with the parcel, order and shop (one query per page)."""
    from shopdesk.channels.selectors import shops_visible_to
    from shopdesk.fulfillment.models import LogisticsException

    return (LogisticsException.objects.filter(shipment__order__shop__in=shops_visible_to(user))
            .select_related("shipment__order__shop", "closed_by"))


def open_logistics_exceptions(user):
    from shopdesk.fulfillment.models import LogisticsException

    return logistics_exceptions(user).filter(state=LogisticsException.State.OPEN)


def missing_item_claims(user):
    """Missing-item claims (少货) of the person's shops."""
    from shopdesk.channels.selectors import shops_visible_to
    from shopdesk.fulfillment.models import MissingItemClaim

    return (MissingItemClaim.objects.filter(order__shop__in=shops_visible_to(user))
            .select_related("order__shop", "reship_order", "reported_by", "decided_by"))


def claim_lines(claim) -> list[dict]:
    """The claimed lines with their order line (title, properties, ordered quantity), in line order."""
    from shopdesk.orders.models import OrderLine

    wanted = {int(k): int(v) for k, v in (claim.lines or {}).items()}
    lines = OrderLine.objects.filter(pk__in=list(wanted)).order_by("id")
    return [{"line": line, "missing": wanted[line.pk]} for line in lines]


def order_shipments(order):
    """An order's parcels (voided ones left out), newest first."""
    from shopdesk.fulfillment.models import Shipment

    return Shipment.objects.filter(order=order).exclude(state=Shipment.State.VOID).order_by("-created_at", "-id")


def courier_bills():
    from shopdesk.fulfillment.models import CourierBill

    return CourierBill.objects.select_related("carrier", "imported_by", "reconciled_by")


def bill_findings(bill, kind: str = ""):
    from shopdesk.fulfillment.models import BillFinding

    qs = BillFinding.objects.filter(bill=bill)
    return qs.filter(kind=kind) if kind else qs


def bill_summary(bill) -> dict:
    """The bill page's figures from what the import stored: counts per kind (in reconcile.KINDS order with the
    Chinese names), lines, parcels, totals, and the amounts to dispute and to pay."""
    from decimal import Decimal

    from shopdesk.fulfillment.reconcile import KIND_NAMES, KINDS

    counts = bill.counts or {}
    disputed = Decimal(counts.get("disputed_total", "0"))
    return {
        "kinds": [{"kind": k, "name": KIND_NAMES[k], "count": counts.get(k, 0)} for k in KINDS],
        "bill_lines": counts.get("bill_lines", 0), "shipments": counts.get("shipments", 0),
        "unpriced": counts.get("unpriced", 0), "matched_total": Decimal(counts.get("matched_total", "0")),
        "disputed_total": disputed, "payable_total": bill.billed_total - disputed,
    }


def bill_reconciliation(bill):
    """The stored result of a bill as a reconcile.Reconciliation (for the settlement workbook); findings in bill
    order, then the missing parcels, as the check produced them."""
    from decimal import Decimal

    from django.db.models import F

    from shopdesk.fulfillment.reconcile import KINDS, Finding, Reconciliation

    counts = bill.counts or {}
    rows = (bill_findings(bill).order_by(F("bill_line").asc(nulls_last=True), "id")
            .values_list("kind", "tracking_no", "bill_line", "order_no", "billed_fee", "expected_fee", "difference",
                         "note").iterator(chunk_size=2000))
    findings = [Finding(*row) for row in rows]
    return Reconciliation(
        findings=findings, counts={k: counts.get(k, 0) for k in KINDS}, billed_total=bill.billed_total,
        expected_total=bill.expected_total, matched_total=Decimal(counts.get("matched_total", "0")),
        bill_lines=counts.get("bill_lines", 0), shipments=counts.get("shipments", 0),
        unpriced=counts.get("unpriced", 0), disputed_total=Decimal(counts.get("disputed_total", "0")))
