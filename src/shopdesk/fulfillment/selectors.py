"""Reads of fulfilment: what the stations, boards and reports show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, ExtractHour, NullIf
from django.utils import timezone

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.fulfillment import printing, tariffs
from shopdesk.fulfillment.models import (
    Carrier,
    Handover,
    OrderWork,
    PrintBatch,
    Shipment,
    ShopShipping,
    WaybillNumber,
    WaybillPool,
)
from shopdesk.inventory.models import Lot, Warehouse
from shopdesk.orders import selectors as order_selectors
from shopdesk.orders.models import Order, OrderLine, OrderNote, ShopOrderRules, Status, UnreachableArea

# --- warehouse: batches, picking, checking, shipping ------------------------------------------------------------------


S = Status
IN_WAREHOUSE = (S.PRINTED, S.PICKED, S.PACKED)
DOCUMENT_STATES = (S.PRINTED, S.PICKED, S.PACKED, S.SHIPPED)  # orders whose paperwork a batch (re)prints
DEFAULT_CARRIER = ShopOrderRules._meta.get_field("default_carrier").default


def start_of_today() -> datetime:
    return clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0)


def warehouse_orders(user):
    """The orders of the person's shops (a station never finds another shop's order)."""
    return Order.objects.filter(shop__in=shops_visible_to(user)).select_related("shop")


def stage_counts(user) -> dict[str, int]:
    """The warehouse's stages for the person's shops in one query, kept on the user object for the request:
    verified to print (and of those ship-today), printed to pick, picked to check, packed to ship, held (a change
    recalls the paperwork or the parcel), and shipped parcels waiting for the hand-over."""
    cached = getattr(user, "_fulfilment_stage_counts", None)
    if cached is None:
        ready = Q(on_hold=False)
        cached = warehouse_orders(user).filter(status__in=(S.VERIFIED, *IN_WAREHOUSE)).order_by().aggregate(
            to_print=Count("pk", filter=ready & Q(status=S.VERIFIED)),
            to_print_today=Count("pk", filter=ready & Q(status=S.VERIFIED, ship_today=True)),
            to_pick=Count("pk", filter=ready & Q(status=S.PRINTED)),
            to_check=Count("pk", filter=ready & Q(status=S.PICKED)),
            to_ship=Count("pk", filter=ready & Q(status=S.PACKED)),
            held=Count("pk", filter=Q(on_hold=True, status__in=IN_WAREHOUSE)),
        )
        cached["to_hand_over"] = waiting_for_handover(user).count()
        user._fulfilment_stage_counts = cached
    return cached


def waiting_for_handover(user):
    """Shipped parcels of the person's shops not yet on a hand-over list."""
    return Shipment.objects.filter(state=Shipment.State.SHIPPED, handover__isnull=True,
                                   order__shop__in=shops_visible_to(user))


def handover_waiting_by_carrier(user) -> list[dict]:
    """Per carrier: parcels waiting for the hand-over, how many of them shipped today, the earliest shipping time."""
    return list(waiting_for_handover(user).order_by().values("carrier").annotate(
        parcels=Count("pk"), today=Count("pk", filter=Q(shipped_at__gte=start_of_today()))).order_by("carrier"))


def printable_orders(user):
    """Verified orders not on hold, ship-today first, then by payment time (the order a batch prints them in), with
    the carrier the batch will give them (`planned_carrier`: the order's own, the buyer's choice, the shop's
    default; the universal carrier replaces the default where it does not reach, when the batch is made)."""
    return (warehouse_orders(user).filter(status=S.VERIFIED, on_hold=False)
            .annotate(planned_carrier=Coalesce(NullIf("carrier", Value("")), NullIf("chosen_carrier", Value("")),
                                               "shop__order_rules__default_carrier", Value(DEFAULT_CARRIER)))
            .order_by("-ship_today", "paid_at", "id"))


def batches(user):
    """Print batches with at least one order of the person's shops, with the stage counts of their orders."""
    mine = OrderWork.objects.filter(batch=OuterRef("pk"), order__shop__in=shops_visible_to(user))
    return (PrintBatch.objects.filter(Exists(mine)).select_related("created_by")
            .annotate(n_printed=Count("work", filter=Q(work__order__status=S.PRINTED)),
                      n_picked=Count("work", filter=Q(work__order__status=S.PICKED)),
                      n_packed=Count("work", filter=Q(work__order__status=S.PACKED)),
                      n_shipped=Count("work", filter=Q(work__order__status__in=(S.SHIPPED, S.DELIVERED,
                                                                                 S.COMPLETED))),
                      n_held=Count("work", filter=Q(work__order__on_hold=True))))


def batch_orders(user, batch: PrintBatch):
    """The batch's orders of the person's shops in print order, each with its work record and its lines (SKU,
    reservation, picked/checked): three queries whatever the batch's size."""
    lines = OrderLine.objects.select_related("sku", "reservation", "work").order_by("id")
    return (warehouse_orders(user).filter(work__batch=batch).select_related("work", "work__picked_by",
                                                                            "work__checked_by")
            .prefetch_related(Prefetch("lines", queryset=lines))
            .order_by("-ship_today", "paid_at", "id"))


def batch_lines(user, batch: PrintBatch):
    """The order lines of the batch's orders of the person's shops."""
    return OrderLine.objects.filter(order__work__batch=batch, order__shop__in=shops_visible_to(user))


def print_log(batch: PrintBatch):
    return batch.prints.select_related("printed_by").order_by("-printed_at", "-id")


@dataclass(frozen=True)
class Spot:
    zone: str
    location: str
    warehouse: str


NO_SPOT = Spot("", "", "")


def pick_spots(orders: list[Order]) -> dict[int, Spot]:
    """Where to pick each line (order line id -> Spot): the location of the SKU's oldest lot with stock (FIFO, as
    inventory.engine takes them) in the warehouse holding the line's reservation, else in any warehouse serving the
    order's shop; NO_SPOT when no lot has stock. Two queries (the warehouses of the shops, the lots of the batch's
    SKUs), whatever the size."""
    lines = [ln for o in orders for ln in o.lines.all() if ln.sku_id]
    if not lines:
        return {}
    shop_ids = {o.shop_id for o in orders}
    serves: dict[int, list[int]] = {}  # warehouse -> the batch's shops it serves
    for warehouse_id, shop_id in Warehouse.shops.through.objects.filter(
            shop_id__in=shop_ids, warehouse__is_active=True).values_list("warehouse_id", "shop_id"):
        serves.setdefault(warehouse_id, []).append(shop_id)
    lots = Lot.objects.filter(quantity__gt=0, location__warehouse_id__in=list(serves),
                              sku_id__in=sorted({ln.sku_id for ln in lines}))
    by_shop: dict[tuple[int, int], Spot] = {}
    by_warehouse: dict[tuple[int, int], Spot] = {}
    for sku_id, warehouse_id, location, zone, warehouse in lots.order_by("received_on", "id").values_list(
            "sku_id", "location__warehouse_id", "location__code", "location__zone__code",
            "location__warehouse__name"):
        spot = Spot(zone, location, warehouse)
        by_warehouse.setdefault((sku_id, warehouse_id), spot)
        for shop_id in serves[warehouse_id]:
            by_shop.setdefault((sku_id, shop_id), spot)
    shop_of = {o.pk: o.shop_id for o in orders}
    spots = {}
    for line in lines:
        reservation = line.reservation
        reserved_in = reservation.warehouse_id if reservation is not None and reservation.state == "active" else None
        spots[line.pk] = (by_warehouse.get((line.sku_id, reserved_in)) if reserved_in else None) or by_shop.get(
            (line.sku_id, shop_of[line.order_id]), NO_SPOT)
    return spots


def _sku_code(line: OrderLine) -> str:
    return line.sku.code if line.sku is not None else line.channel_sku_code


def pick_items(orders: list[Order], spots: dict[int, Spot]) -> list[tuple[printing.PickItem, OrderLine]]:
    return [(printing.PickItem(order_no=o.platform_order_no, zone=spots.get(ln.pk, NO_SPOT).zone,
                               location=spots.get(ln.pk, NO_SPOT).location, sku_code=_sku_code(ln),
                               title=ln.title, properties=ln.properties, quantity=ln.quantity), ln)
            for o in orders for ln in o.lines.all()]


@dataclass
class PickStop:
    """One row of the pick screen: a stop of the walk with the lines behind it and how many are picked."""

    row: printing.PickRow
    line_ids: list[int]
    picked: int
    open_line_ids: list[int]

    @property
    def done(self) -> bool:
        return self.picked >= self.row.quantity


def pick_board(orders: list[Order]) -> list[PickStop]:
    """The pick screen's rows in walking order (printing.pick_rows) over the batch's orders not on hold (the ones
    already picked show as done)."""
    todo = [o for o in orders if o.status in DOCUMENT_STATES and not o.on_hold]
    pairs = pick_items(todo, pick_spots(todo))
    behind: dict[tuple[str, str, str], list[OrderLine]] = {}
    for item, line in pairs:
        behind.setdefault((item.zone.strip(), item.location.strip(), item.sku_code.strip()), []).append(line)
    stops = []
    for row in printing.pick_rows(item for item, _line in pairs):
        lines = behind[(row.zone, row.location, row.sku_code)]
        picked = [_picked(ln) for ln in lines]
        stops.append(PickStop(row, [ln.pk for ln in lines], sum(picked),
                              [ln.pk for ln, p in zip(lines, picked, strict=True) if p < ln.quantity]))
    return stops


def _picked(line: OrderLine) -> int:
    work = getattr(line, "work", None)
    return work.picked if work is not None else 0


def document_orders(user, batch: PrintBatch) -> list[Order]:
    """The orders whose paperwork the batch prints: not cancelled or in after-sales, and not on hold (a change
    recalled their paperwork)."""
    return list(batch_orders(user, batch).filter(status__in=DOCUMENT_STATES, on_hold=False))


def pick_list_document(batch: PrintBatch, orders: list[Order]) -> dict:
    """The keyword arguments of printing.render_pick_list."""
    spots = pick_spots(orders)
    items = [item for item, _line in pick_items(orders, spots)]
    warehouses = sorted({s.warehouse for s in spots.values() if s.warehouse})
    return {"batch_no": batch.number, "warehouse": "、".join(warehouses), "created_at": batch.created_at,
            "order_count": len(orders), "rows": printing.pick_rows(items)}


def _receiver(order: Order) -> printing.Party:
    return printing.Party(name=order.buyer_name, phones=tuple(order.phones), address=order.full_address)


def _senders(orders: list[Order]) -> dict[int, printing.Party]:
    """Each shop's sender (services.shop_shipping: the saved settings or the defaults), one query."""
    saved = {s.shop_id: s for s in ShopShipping.objects.filter(shop_id__in={o.shop_id for o in orders})}
    senders = {}
    for order in orders:
        if order.shop_id not in senders:
            row = saved.get(order.shop_id) or ShopShipping(shop=order.shop)
            senders[order.shop_id] = printing.Party(
                name=row.sender_name or order.shop.name, phones=(row.sender_phone,) if row.sender_phone else (),
                address=row.sender_address)
    return senders


def _cod_amount(order: Order) -> Decimal | None:
    if not order.is_cod:
        return None
    return order.paid_amount or (order.goods_amount + order.shipping_fee - order.discount)


def labels(orders: list[Order], printed_at: datetime | None = None) -> list[printing.Label]:
    """One label per order with the shop's sender and every phone the buyer left (003), in clear: the warehouse
    prints them for the carrier. Callers check the unmask permission."""
    senders = _senders(orders)
    return [printing.Label(
        order_no=o.platform_order_no, shop_name=o.shop.name, carrier=o.carrier, tracking_no=o.tracking_no,
        sender=senders[o.shop_id], receiver=_receiver(o),
        items_summary="；".join(" ".join(p for p in (ln.title or ln.channel_sku_code, ln.properties) if p)
                               + f" ×{ln.quantity}" for ln in o.lines.all()),
        cod_amount=_cod_amount(o), buyer_message=o.buyer_message, printed_at=printed_at) for o in orders]


def dispatch_notes(orders: list[Order]) -> list[printing.DispatchNote]:
    """One 发货单 per order: the lines with their pick location, the buyer message and the flagged notes (旗帜备注)
    in clear. Two queries beyond the orders (lots, notes)."""
    spots = pick_spots(orders)
    flagged: dict[int, list[str]] = {}
    for order_id, text in (OrderNote.objects.filter(order__in=[o.pk for o in orders],
                                                    kind=OrderNote.Kind.FLAGGED)
                           .order_by("created_at", "id").values_list("order_id", "text")):
        flagged.setdefault(order_id, []).append(text)
    return [printing.DispatchNote(
        order_no=o.platform_order_no, shop_name=o.shop.name, paid_at=o.paid_at,
        buyer_platform_id=o.buyer_platform_id, receiver=_receiver(o),
        lines=tuple(printing.NoteLine(sku_code=_sku_code(ln), title=ln.title, properties=ln.properties,
                                      quantity=ln.quantity, location=spots.get(ln.pk, NO_SPOT).location)
                    for ln in o.lines.all()),
        buyer_message=o.buyer_message, flagged_notes=tuple(flagged.get(o.pk, ())), carrier=o.carrier,
        tracking_no=o.tracking_no, greeting_card=o.greeting_card, invoice_title=o.invoice_title) for o in orders]


def find_order(user, code: str) -> Order | None:
    """The check station's lookup: an order of the person's shops by its number or a waybill number (the order's
    own or a parcel's that is not void); an order waiting for its check first, then the newest."""
    code = (code or "").strip()
    if not code:
        return None
    parcel = Shipment.objects.filter(order=OuterRef("pk"), tracking_no=code.upper()).exclude(
        state=Shipment.State.VOID)
    return (warehouse_orders(user)
            .filter(Q(platform_order_no=code) | Q(tracking_no=code.upper()) | Exists(parcel))
            .order_by(Case(When(status=S.PICKED, then=Value(0)), default=Value(1), output_field=IntegerField()),
                      "-id").first())


def item_code_q(code: str) -> Q:
    """Order lines an item's code stands for: the platform's SKU code, our SKU code or the barcode."""
    code = (code or "").strip()
    return Q(channel_sku_code__iexact=code) | Q(sku__code__iexact=code) | Q(sku__barcode__iexact=code)


def order_has_item(order: Order, code: str) -> bool:
    return OrderLine.objects.filter(item_code_q(code), order=order).exists()


def check_order(user, pk: int) -> Order:
    lines = OrderLine.objects.select_related("sku", "work").order_by("id")
    return (warehouse_orders(user).select_related("work", "work__picked_by", "work__checked_by")
            .prefetch_related(Prefetch("lines", queryset=lines)).get(pk=pk))


def find_parcel(user, code: str) -> bool:
    """Whether a parcel (not void) of the person's shops has this waybill number."""
    return (Shipment.objects.exclude(state=Shipment.State.VOID)
            .filter(tracking_no=(code or "").strip().upper(), order__shop__in=shops_visible_to(user)).exists())


def shipped_today(user, limit: int = 30):
    return (Shipment.objects.filter(order__shop__in=shops_visible_to(user), shipped_at__gte=start_of_today())
            .select_related("order", "handover").order_by("-shipped_at", "-id")[:limit])


def handovers(user):
    """Hand-over lists holding parcels of the person's shops."""
    mine = Shipment.objects.filter(handover=OuterRef("pk"), order__shop__in=shops_visible_to(user))
    return Handover.objects.filter(Exists(mine)).select_related("created_by")


def handover_parcels(user, handover: Handover):
    return (handover.shipments.filter(order__shop__in=shops_visible_to(user)).select_related("order", "order__shop")
            .order_by("tracking_no"))


# --- set-up: carriers, price rules, pools, coverage, the dispatch plan -----------------------------------------------

PLAN_STAGES = (S.PAID, S.VERIFIED, S.PRINTED, S.PICKED, S.PACKED)  # paid-not-verified, then the warehouse's stages
WORK_HOURS = range(8, 23)  # the hours the board shows one by one (earlier and later ones are summed)


def pools_with_left():
    """Waybill pools with `numbers_left`: a range's last - next + 1, a list's numbers not taken yet (one subquery
    on the free-number index)."""
    free = (WaybillNumber.objects.filter(pool=OuterRef("pk"), taken_at__isnull=True).order_by()
            .values("pool").annotate(n=Count("pk")).values("n"))
    return (WaybillPool.objects.select_related("carrier")
            .annotate(numbers_left=Case(
                When(kind=WaybillPool.Kind.RANGE, then=F("last_number") - F("next_number") + 1),
                default=Coalesce(Subquery(free, output_field=IntegerField()), Value(0)),
                output_field=IntegerField()))
            .order_by("carrier__sort", "carrier__name", "id"))


def carriers_overview():
    """Carriers with their pools (numbers left) and the number of price rules: two queries for the whole list."""
    return (Carrier.objects.annotate(rule_count=Count("price_rules", distinct=True))
            .prefetch_related(Prefetch("pools", queryset=pools_with_left())).order_by("sort", "name"))


def price_rules(carrier: Carrier):
    """The carrier's rules, the default ("" = every other province) last."""
    return carrier.price_rules.order_by(Case(When(province="", then=Value(1)), default=Value(0)), "province")


def tariff_for(carrier: Carrier) -> tariffs.Tariff:
    """The carrier's PriceRule rows as a pure `tariffs.Tariff` (what the fee calculator and the bill check use)."""
    return tariffs.Tariff(tariffs.PriceRule(r.province, r.first_weight_kg, r.first_fee, r.extra_unit_kg, r.extra_fee)
                          for r in carrier.price_rules.all())


def fee(carrier: Carrier, province: str, weight_kg: Decimal) -> Decimal | None:
    """What the carrier should charge for a parcel of `weight_kg` to `province` (None: no rule applies)."""
    return tariff_for(carrier).fee(province, weight_kg)


def blind_spots(carrier: Carrier):
    """Where the carrier does not deliver (orders.UnreachableArea rows under its name)."""
    return UnreachableArea.objects.filter(carrier=carrier.name).order_by("province", "city", "district")


def _plan_day(now: datetime) -> tuple[datetime, datetime]:
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _due_today_q(shop_ids: list[int]) -> tuple[Q, datetime | None]:
    """Orders that must leave today: paid before their shop's end of the day shift (the shop's order rule, 17:30 by
    default: orders.selectors.shift_ends, one query), or marked ship-today (当天补发). Also the earliest end."""

    ends = order_selectors.shift_ends(shop_ids)
    by_end: dict[datetime, list[int]] = {}
    for shop_id in shop_ids:
        by_end.setdefault(ends[shop_id], []).append(shop_id)
    q = Q(ship_today=True)
    for end, ids in by_end.items():
        q |= Q(shop_id__in=ids, paid_at__lt=end)
    return q, min(by_end, default=None)


def dispatch_plan(user) -> dict:
    """The day's dispatch plan (每日发货计划, 000:477, 003:544) for the person's shops, in seven aggregate queries
    whatever the volume: orders waiting per stage and carrier; orders verified per hour today (the hand-over from
    customer service to the warehouse); what must leave today (paid before the shop's day-shift end, or ship-today,
    not shipped yet) per stage, and how many of them cannot ship today (orders.selectors.cannot_ship_today: the
    buyer must be told); shipped today per carrier."""
    now = clock.now()
    start, end = _plan_day(now)
    shop_ids = list(shops_visible_to(user).order_by().values_list("pk", flat=True))
    mine = Order.objects.filter(shop_id__in=shop_ids)
    stage_keys = [str(s) for s in PLAN_STAGES]

    waiting = dict.fromkeys(stage_keys, 0)
    carriers: dict[str, dict[str, int]] = {}
    for row in (mine.filter(status__in=PLAN_STAGES).order_by().values("status", "carrier")
                .annotate(n=Count("pk"))):
        waiting[row["status"]] += row["n"]
        carriers.setdefault(row["carrier"], dict.fromkeys(stage_keys, 0))[row["status"]] += row["n"]
    by_carrier = [{"carrier": name, "stages": stages, "total": sum(stages.values())}
                  for name, stages in sorted(carriers.items(), key=lambda kv: (kv[0] == "", kv[0]))]

    hourly = [0] * 24
    for row in (mine.filter(verified_at__gte=start, verified_at__lt=end).order_by()
                .annotate(hour=ExtractHour("verified_at")).values("hour").annotate(n=Count("pk"))):
        hourly[row["hour"]] += row["n"]

    due_q, shift_end = _due_today_q(shop_ids)
    due = dict.fromkeys(stage_keys, 0)
    for row in mine.filter(status__in=PLAN_STAGES).filter(due_q).order_by().values("status").annotate(n=Count("pk")):
        due[row["status"]] += row["n"]
    blocked = order_selectors.cannot_ship_today(user).filter(due_q).order_by().count()

    shipped = {}
    for row in (mine.filter(shipped_at__gte=start, shipped_at__lt=end).order_by().values("carrier")
                .annotate(n=Count("pk")).order_by("-n", "carrier")):
        shipped[row["carrier"]] = row["n"]

    local_hour = timezone.localtime(now).hour
    due_total = sum(due.values())
    return {
        "date": start.date().isoformat(), "now": timezone.localtime(now).isoformat(), "shops": len(shop_ids),
        "waiting": waiting, "waiting_total": sum(waiting.values()), "by_carrier": by_carrier,
        "verified_by_hour": hourly, "verified_today": sum(hourly), "current_hour": local_hour,
        "due_today": due, "due_today_total": due_total, "due_today_blocked": blocked,
        "shift_end": timezone.localtime(shift_end).isoformat() if shift_end else None,
        "late": bool(shift_end and now >= shift_end and due_total),
        "shipped_today": [{"carrier": c, "count": n} for c, n in shipped.items()],
        "shipped_today_total": sum(shipped.values()),
    }



def buyer_notices(user):
    """Shipping notices of the person's shops, the due ones first (oldest first)."""
    from shopdesk.fulfillment.models import BuyerNotice

    return (BuyerNotice.objects.filter(order__shop__in=shops_visible_to(user))
            .select_related("order", "order__shop", "shipment"))


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
