"""Every write of fulfilment (发货/物流): carriers and waybill pools, print batches, picking, the two-person check,
packing, shipping with the buyer notice, scan-to-ship, hand-over lists; tracking, exceptions, missing items and the
courier bill further down.

As everywhere: keyword-only arguments with the actor first, one transaction per business action, the permission and
shop checked, an audit event in the same transaction. The order's own state moves only through the orders
services (`mark_printed`, `mark_picked`, `mark_packed`, `ship_order` ...), which keep their guards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shopdesk.channels.selectors import check_shop_access
from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.fulfillment.models import (
    DEFAULT_NOTICE,
    BuyerNotice,
    Carrier,
    Handover,
    LineWork,
    OrderWork,
    PriceRule,
    PrintBatch,
    PrintLog,
    Shipment,
    ShopShipping,
    WaybillNumber,
    WaybillPool,
)
from shopdesk.orders import importing, verification
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Order, OrderLine, ShopOrderRules, Status
from shopdesk.staff.authz import authorize_actor

FULFIL = "orders.fulfil_order"
BATCH = "fulfillment.add_printbatch"
HANDOVER = "fulfillment.add_handover"
CARRIERS = "fulfillment.change_carrier"
ADD_CARRIER = "fulfillment.add_carrier"
PRICES = "fulfillment.change_pricerule"
POOLS = "fulfillment.change_waybillpool"
ADD_POOL = "fulfillment.add_waybillpool"
SHIPPING = "fulfillment.change_shopshipping"
BATCH_LIMIT = 1000
_CARRIER_FIELDS = ["name", "code", "services", "is_universal", "is_active", "sort"]
_PRICE_FIELDS = ["province", "first_weight_kg", "first_fee", "extra_unit_kg", "extra_fee"]
_POOL_FIELDS = ["name", "kind", "prefix", "next_number", "last_number", "digits", "is_active"]
_SHIPPING_FIELDS = ["sender_name", "sender_phone", "sender_address", "notice_template", "stall_hours"]


def _authorize(actor, perm: str, shop=None):
    grant = authorize_actor(actor, perm)
    if shop is not None:
        check_shop_access(actor, shop)
    return grant


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _sequence_number(model, prefix: str) -> str:
    """The next document number of the day: P20261123-001, H20261123-002 ..."""
    head = f"{prefix}{clock.today():%Y%m%d}-"
    last = model.objects.filter(number__startswith=head).order_by("-number").values_list("number", flat=True).first()
    n = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{head}{n:03d}"


# --- carriers, price rules, pools, shop settings ----------------------------------------------------------------------


@transaction.atomic
def save_carrier(*, actor, carrier: Carrier | None = None, name: str, code: str, services: Iterable[str] = (),
                 is_universal: bool = False, is_active: bool = True, sort: int = 0) -> Carrier:
    grant = _authorize(actor, CARRIERS if carrier else ADD_CARRIER)
    creating = carrier is None
    carrier = Carrier() if creating else Carrier.objects.select_for_update().get(pk=carrier.pk)
    before = {} if creating else audit.snapshot(carrier, _CARRIER_FIELDS)
    carrier.name, carrier.code = name.strip(), code.strip()
    carrier.services = [s.strip() for s in services if s and s.strip()]
    carrier.is_universal, carrier.is_active, carrier.sort = is_universal, is_active, sort
    carrier.full_clean()
    carrier.save()
    changes = audit.created(carrier, _CARRIER_FIELDS) if creating else audit.changes_between(
        before, audit.snapshot(carrier, _CARRIER_FIELDS))
    audit.record_event("fulfillment.create_carrier" if creating else "fulfillment.change_carrier", actor=actor,
                       obj=carrier, grant=grant, changes=changes)
    return carrier


def _decimal(value, field: str, *, positive: bool = False) -> Decimal:
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ServiceError(gettext("%(field)s: not a number.") % {"field": field}, code="invalid",
                           fields={field: [gettext("Not a number.")]}) from None
    if result < 0 or (positive and result == 0):
        raise ServiceError(gettext("%(field)s must be above zero.") % {"field": field}, code="invalid",
                           fields={field: [gettext("Must be above zero.")]})
    return result


@transaction.atomic
def save_price_rule(*, actor, carrier: Carrier, province: str, first_weight_kg, first_fee, extra_unit_kg,
                    extra_fee) -> PriceRule:
    """Set the carrier's 首重/续重 price for one province ("" = every other province), replacing the old one."""
    grant = _authorize(actor, PRICES)
    rule = PriceRule.objects.select_for_update().filter(carrier=carrier, province=province.strip()).first()
    before = audit.snapshot(rule, _PRICE_FIELDS) if rule else {}
    rule = rule or PriceRule(carrier=carrier, province=province.strip())
    rule.first_weight_kg = _decimal(first_weight_kg, "first_weight_kg", positive=True)
    rule.first_fee = _decimal(first_fee, "first_fee")
    rule.extra_unit_kg = _decimal(extra_unit_kg, "extra_unit_kg", positive=True)
    rule.extra_fee = _decimal(extra_fee, "extra_fee")
    rule.save()
    audit.record_event("fulfillment.set_price_rule", actor=actor, obj=rule, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(rule, _PRICE_FIELDS)))
    return rule


@transaction.atomic
def delete_price_rule(*, actor, rule: PriceRule) -> None:
    grant = _authorize(actor, PRICES)
    audit.record_event("fulfillment.delete_price_rule", actor=actor, obj=rule, grant=grant,
                       changes=audit.changes_between(audit.snapshot(rule, _PRICE_FIELDS), {}))
    rule.delete()


@transaction.atomic
def create_range_pool(*, actor, carrier: Carrier, name: str, first: int, last: int, prefix: str = "",
                      digits: int = 12) -> WaybillPool:
    """A pool of the numbers first..last the carrier's outlet allotted (单号段)."""
    grant = _authorize(actor, ADD_POOL)
    if first < 0 or last < first:
        raise ServiceError(gettext("The last number must not be below the first."), code="invalid",
                           fields={"last_number": [gettext("Below the first number.")]})
    if len(f"{prefix}{last:0{digits}d}") > 40:
        raise ServiceError(gettext("Waybill numbers are at most 40 characters."), code="invalid")
    pool = WaybillPool.objects.create(carrier=carrier, name=name.strip() or f"{first}-{last}",
                                      kind=WaybillPool.Kind.RANGE, prefix=prefix.strip(), next_number=first,
                                      last_number=last, digits=digits)
    audit.record_event("fulfillment.create_pool", actor=actor, obj=pool, grant=grant,
                       changes=audit.created(pool, _POOL_FIELDS))
    return pool


@transaction.atomic
def add_pool_numbers(*, actor, carrier: Carrier, name: str, numbers: Iterable[str]) -> WaybillPool:
    """A pool of numbers imported as a list (one per line or from a file's column); repeats within the list or of
    numbers already in another pool of the carrier are refused, naming them."""
    grant = _authorize(actor, ADD_POOL)
    clean, seen, repeated = [], set(), []
    for raw in numbers:
        number = (raw or "").strip().upper()
        if not number:
            continue
        if len(number) > 40:
            raise ServiceError(gettext("Waybill number %(n)s is longer than 40 characters.") % {"n": number[:50]},
                               code="invalid")
        (repeated if number in seen else clean).append(number)
        seen.add(number)
    taken = set(WaybillNumber.objects.filter(pool__carrier=carrier, number__in=clean).values_list("number", flat=True))
    taken |= set(Shipment.objects.filter(carrier=carrier.name, tracking_no__in=clean).values_list("tracking_no",
                                                                                                 flat=True))
    if repeated or taken:
        shown = "、".join(sorted(set(repeated) | taken)[:10])
        raise ServiceError(gettext("These numbers are given twice or already known: %(n)s.") % {"n": shown},
                           code="duplicate_numbers")
    if not clean:
        raise ServiceError(gettext("The list holds no waybill numbers."), code="empty")
    pool = WaybillPool.objects.create(carrier=carrier, name=name.strip() or gettext("Imported list"),
                                      kind=WaybillPool.Kind.LIST, last_number=len(clean) - 1)
    WaybillNumber.objects.bulk_create([WaybillNumber(pool=pool, number=n) for n in clean], batch_size=1000)
    audit.record_event("fulfillment.import_pool", actor=actor, obj=pool, grant=grant,
                       changes={"numbers": {"before": None, "after": len(clean)}})
    return pool


@transaction.atomic
def set_pool_active(*, actor, pool: WaybillPool, active: bool) -> WaybillPool:
    grant = _authorize(actor, POOLS)
    pool = WaybillPool.objects.select_for_update().get(pk=pool.pk)
    before = audit.snapshot(pool, ["is_active"])
    pool.is_active = active
    pool.save(update_fields=["is_active"])
    audit.record_event("fulfillment.change_pool", actor=actor, obj=pool, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(pool, ["is_active"])))
    return pool


def _take_from(pool: WaybillPool) -> str | None:
    """One statement per attempt, so two workers can never read the same free number: a range moves its counter
    with a conditional UPDATE ... RETURNING; a list marks its first free number taken (SKIP LOCKED on PostgreSQL,
    the single writer on SQLite)."""
    with connection.cursor() as cur:
        if pool.kind == WaybillPool.Kind.RANGE:
            cur.execute(f"UPDATE {WaybillPool._meta.db_table} SET next_number = next_number + 1 "  # noqa: S608
                        "WHERE id = %s AND is_active AND next_number <= last_number RETURNING next_number - 1",
                        [pool.pk])
            row = cur.fetchone()
            return pool.format(row[0]) if row else None
        table = WaybillNumber._meta.db_table
        lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
        cur.execute(f"UPDATE {table} SET taken_at = %s WHERE id = (SELECT id FROM {table} "  # noqa: S608
                    f"WHERE pool_id = %s AND taken_at IS NULL ORDER BY id LIMIT 1{lock}) AND taken_at IS NULL "
                    "RETURNING number", [clock.now(), pool.pk])
        row = cur.fetchone()
        return row[0] if row else None


def take_waybill(carrier: Carrier) -> tuple[str, WaybillPool] | None:
    """The next unused waybill number of the carrier's active pools (oldest pool first), or None when they are
    empty. Runs in the caller's transaction; the unique (carrier, tracking number) of Shipment is the last guard."""
    for pool in WaybillPool.objects.filter(carrier=carrier, is_active=True).order_by("id"):
        for _attempt in range(3):  # a list number taken between the subquery and the update: try the next one
            number = _take_from(pool)
            if number is not None:
                return number, pool
            if pool.kind == WaybillPool.Kind.RANGE or not WaybillNumber.objects.filter(
                    pool=pool, taken_at__isnull=True).exists():
                break
    return None


@transaction.atomic
def update_shop_shipping(*, actor, shop, **values) -> ShopShipping:
    grant = _authorize(actor, SHIPPING, shop)
    settings_row, _ = ShopShipping.objects.select_for_update().get_or_create(shop=shop)
    before = audit.snapshot(settings_row, _SHIPPING_FIELDS)
    for name, value in values.items():
        if name not in _SHIPPING_FIELDS:
            raise ValueError(name)
        setattr(settings_row, name, value)
    try:
        notice_text(settings_row.notice_template, shop_name="店", buyer="买家", order_no="1", carrier="快递",
                    tracking_no="1")
    except (KeyError, IndexError, ValueError):
        raise ServiceError(gettext("The notice may use only {店铺} {买家} {订单号} {快递公司} {运单号}."),
                           code="invalid", fields={"notice_template": [gettext("Unknown variable.")]}) from None
    settings_row.full_clean()
    settings_row.save()
    audit.record_event("fulfillment.change_shop_shipping", actor=actor, obj=settings_row, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(settings_row, _SHIPPING_FIELDS)))
    return settings_row


def shop_shipping(shop) -> ShopShipping:
    """The shop's settings, or unsaved defaults."""
    return ShopShipping.objects.filter(shop=shop).first() or ShopShipping(shop=shop)


def notice_text(template: str, *, shop_name: str, buyer: str, order_no: str, carrier: str, tracking_no: str) -> str:
    return (template or DEFAULT_NOTICE).format_map({"店铺": shop_name, "买家": buyer, "订单号": order_no,
                                                    "快递公司": carrier, "运单号": tracking_no})


# --- print batches ----------------------------------------------------------------------------------------------------


def _carrier_for(order: Order, carriers: dict[str, Carrier], defaults: dict[int, str],
                 coverage: verification.Coverage) -> str:
    if order.carrier:
        return order.carrier
    carrier, _reaches = verification.choose_carrier(
        chosen=order.chosen_carrier, default=defaults.get(order.shop_id, ""), province=order.province,
        city=order.city, district=order.district, coverage=coverage)
    return carrier


@dataclass
class BatchResult:
    batch: PrintBatch
    without_number: list[str]  # orders whose carrier has no pool left: enter or import their numbers


@transaction.atomic
def create_batch(*, actor, orders: Iterable[Order]) -> BatchResult:
    """Print a wave: the verified orders get their carrier (the buyer's, the shop's default, or the universal one
    where the default does not reach) and a waybill number from the carrier's pool, move to printed, and are
    picked together. Orders on hold, or not verified, are refused by name (nothing is printed)."""
    grant = _authorize(actor, BATCH)
    ids = [o.pk for o in orders]
    if not ids:
        raise ServiceError(gettext("Choose the orders to print."), code="empty")
    if len(ids) > BATCH_LIMIT:
        raise ServiceError(gettext("A batch holds at most %(n)d orders.") % {"n": BATCH_LIMIT}, code="too_many")
    locked = list(Order.objects.select_for_update(of=("self",)).select_related("shop").filter(pk__in=ids)
                  .order_by("-ship_today", "paid_at", "id"))
    refused = [o.platform_order_no for o in locked if o.status != Status.VERIFIED or o.on_hold]
    if refused:
        raise Conflict(gettext("Only verified orders that are not on hold can be printed: %(nos)s.")
                       % {"nos": "、".join(refused[:10])}, code="not_printable")
    for order in locked:
        check_shop_access(actor, order.shop)
    carriers = {c.name: c for c in Carrier.objects.all()}
    defaults = dict(ShopOrderRules.objects.filter(shop_id__in={o.shop_id for o in locked})
                    .values_list("shop_id", "default_carrier"))
    coverage = importing.coverage()
    batch = PrintBatch.objects.create(number=_sequence_number(PrintBatch, "P"), created_by=_user(actor),
                                      order_count=len(locked))
    without, used_carriers = [], set()
    for order in locked:
        carrier_name = _carrier_for(order, carriers, defaults, coverage)
        used_carriers.add(carrier_name)
        tracking = order.tracking_no
        if not tracking and carrier_name in carriers:
            taken = take_waybill(carriers[carrier_name])
            if taken is not None:
                tracking, pool = taken
                _new_shipment(order, carrier_name, tracking, pool=pool)
        if not tracking:
            without.append(order.platform_order_no)
        order_services.mark_printed(actor=actor, order=order, batch=batch.number, carrier=carrier_name,
                                    tracking_no=tracking)
    # A recalled order printed again starts its pick and check afresh.
    LineWork.objects.filter(line__order__in=ids).delete()
    OrderWork.objects.filter(order__in=ids).delete()
    OrderWork.objects.bulk_create([OrderWork(order_id=o.pk, batch=batch) for o in locked])
    batch.carrier = used_carriers.pop() if len(used_carriers) == 1 else ""
    batch.save(update_fields=["carrier"])
    audit.record_event("fulfillment.create_batch", actor=actor, obj=batch, grant=grant,
                       changes={"orders": {"before": None, "after": len(locked)},
                                "without_number": {"before": None, "after": len(without)}})
    return BatchResult(batch, without)


def _new_shipment(order: Order, carrier: str, tracking_no: str, *, pool=None) -> Shipment:
    try:
        with transaction.atomic():
            return Shipment.objects.create(order=order, carrier=carrier, tracking_no=tracking_no, pool=pool)
    except IntegrityError:
        other = Shipment.objects.filter(carrier=carrier, tracking_no=tracking_no).select_related("order").first()
        raise Conflict(gettext("Waybill number %(no)s of %(carrier)s is already on order %(order)s.") % {
            "no": tracking_no, "carrier": carrier, "order": other.order.platform_order_no if other else "?"},
            code="tracking_taken") from None


@transaction.atomic
def record_print(*, actor, batch: PrintBatch, document: str, pages: int) -> PrintLog:
    """Log a print of a batch document; the second and later prints of the same document are reprints."""
    grant = _authorize(actor, FULFIL)
    if document not in PrintLog.Document.values:
        raise ValueError(document)
    reprint = PrintLog.objects.filter(batch=batch, document=document).exists()
    log = PrintLog.objects.create(batch=batch, document=document, reprint=reprint, pages=pages,
                                  printed_by=_user(actor))
    audit.record_event("fulfillment.reprint" if reprint else "fulfillment.print", actor=actor, obj=batch,
                       grant=grant, changes={"document": {"before": None, "after": document},
                                             "pages": {"before": None, "after": pages}})
    return log


@transaction.atomic
def set_waybill(*, actor, order: Order, carrier: str, tracking_no: str) -> Shipment:
    """Enter a waybill number by hand for an order not yet shipped (录入快递单号); a number already on another
    parcel of the carrier is refused, naming the order."""
    carrier, tracking_no = carrier.strip(), tracking_no.strip().upper()
    if not carrier or not tracking_no:
        raise ServiceError(gettext("Enter the carrier and the waybill number."), code="tracking_required",
                           fields={"tracking_no": [gettext("Required.")]})
    order = order_services.set_tracking(actor=actor, order=order, carrier=carrier, tracking_no=tracking_no)
    Shipment.objects.filter(order=order, state=Shipment.State.LABELLED).exclude(
        carrier=carrier, tracking_no=tracking_no).update(state=Shipment.State.VOID)
    shipment = Shipment.objects.filter(order=order, carrier=carrier, tracking_no=tracking_no).first()
    return shipment or _new_shipment(order, carrier, tracking_no)


# --- picking, the two-person check, packing ---------------------------------------------------------------------------


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("shop").get(pk=order.pk)


def _work(order: Order) -> OrderWork:
    work, _ = OrderWork.objects.select_for_update().get_or_create(order_id=order.pk)
    return work


def _line_work(order: Order) -> list[tuple[OrderLine, LineWork]]:
    lines = list(order.lines.select_related("sku").order_by("id"))
    existing = {w.pk: w for w in LineWork.objects.select_for_update().filter(line__in=lines)}
    missing = [LineWork(line=line) for line in lines if line.pk not in existing]
    LineWork.objects.bulk_create(missing)
    existing.update({w.line_id: w for w in missing})
    return [(line, existing[line.pk]) for line in lines]


@transaction.atomic
def pick_line(*, actor, line: OrderLine, quantity: int | None = None) -> LineWork:
    """Record the picked quantity of one line (tap: all of it); when every line is picked the order is picked,
    by this picker."""
    order = _locked(line.order)
    _authorize(actor, FULFIL, order.shop)
    if order.status != Status.PRINTED:
        raise Conflict(gettext("Order %(no)s is %(status)s: only printed orders are picked.")
                       % {"no": order.platform_order_no, "status": order.get_status_display()}, code="not_printed")
    pairs = dict((ln.pk, w) for ln, w in _line_work(order))
    work = pairs[line.pk]
    qty = line.quantity if quantity is None else quantity
    if not 0 <= qty <= line.quantity:
        raise ServiceError(gettext("Pick between 0 and %(q)d.") % {"q": line.quantity}, code="invalid_quantity")
    work.picked = qty
    work.save(update_fields=["picked"])
    _finish_pick(actor, order)
    return work


@transaction.atomic
def pick_order(*, actor, order: Order) -> Order:
    """Every line of the order picked in full (a tap on the order in the wave)."""
    order = _locked(order)
    _authorize(actor, FULFIL, order.shop)
    if order.status != Status.PRINTED:
        raise Conflict(gettext("Order %(no)s is %(status)s: only printed orders are picked.")
                       % {"no": order.platform_order_no, "status": order.get_status_display()}, code="not_printed")
    for line, work in _line_work(order):
        work.picked = line.quantity
        work.save(update_fields=["picked"])
    return _finish_pick(actor, order)


def _finish_pick(actor, order: Order) -> Order:
    if any(w.picked < ln.quantity for ln, w in _line_work(order)):
        return order
    order = order_services.mark_picked(actor=actor, order=order)
    work = _work(order)
    work.picked_by, work.picked_at = _user(actor), clock.now()
    work.save(update_fields=["picked_by", "picked_at"])
    return order


@dataclass
class ScanResult:
    ok: bool
    message: str
    code: str  # ok, complete, wrong_item, extra_item, unknown_code
    line_id: int | None = None
    complete: bool = False


def _match(code: str, line: OrderLine) -> bool:
    code = code.strip().upper()
    sku = line.sku
    candidates = {line.channel_sku_code.upper()}
    if sku is not None:
        candidates |= {sku.code.upper(), (sku.barcode or "").upper()}
    candidates.discard("")
    return code in candidates


def _check_guard(actor, order: Order, work: OrderWork) -> None:
    if order.status != Status.PICKED:
        raise Conflict(gettext("Order %(no)s is %(status)s: the check comes after picking.")
                       % {"no": order.platform_order_no, "status": order.get_status_display()}, code="not_picked")
    if order.on_hold:
        raise Conflict(gettext("Order %(no)s is on hold: stop it, do not pack it.") % {"no": order.platform_order_no},
                       code="on_hold")
    user = _user(actor)
    if user is not None and work.picked_by_id == user.pk:
        raise Conflict(gettext("Two-person check: you picked order %(no)s, another person must check it (000:243).")
                       % {"no": order.platform_order_no}, code="same_person")


@transaction.atomic
def check_scan(*, actor, order: Order, code: str) -> ScanResult:
    """The checker scans one item against the order: it counts toward a line still short; an item not on the
    order, or one more than ordered, is refused (and logged) so the packer takes it out."""
    grant = _authorize(actor, FULFIL, order.shop)
    order = _locked(order)
    work = _work(order)
    _check_guard(actor, order, work)
    pairs = _line_work(order)
    matching = [(ln, w) for ln, w in pairs if _match(code, ln)]
    if not matching:
        result = ScanResult(False, gettext("Wrong item: %(code)s is not on order %(no)s. Take it out.")
                            % {"code": code.strip(), "no": order.platform_order_no}, "wrong_item")
    else:
        short = [(ln, w) for ln, w in matching if w.checked < ln.quantity]
        if not short:
            line = matching[0][0]
            result = ScanResult(False, gettext("Extra item: order %(no)s needs only %(q)d of %(code)s. Take it out.")
                                % {"no": order.platform_order_no, "q": sum(ln.quantity for ln, _w in matching),
                                   "code": code.strip()}, "extra_item", line.pk)
        else:
            line, w = short[0]
            w.checked += 1
            w.save(update_fields=["checked"])
            done = all(w2.checked >= ln2.quantity for ln2, w2 in pairs)
            result = ScanResult(True, gettext("%(title)s: %(n)d of %(q)d") % {
                "title": line.title or line.channel_sku_code, "n": w.checked, "q": line.quantity},
                "complete" if done else "ok", line.pk, done)
    audit.record_event("fulfillment.check_scan" if result.ok else "fulfillment.check_refused", actor=actor,
                       obj=order, grant=grant, reason=result.message if not result.ok else "",
                       changes={"code": {"before": None, "after": code.strip()[:60]}})
    return result


def _all_checked(order: Order) -> bool:
    return all(w.checked >= ln.quantity for ln, w in _line_work(order))


@transaction.atomic
def confirm_check(*, actor, order: Order, quality_ok: bool) -> OrderWork:
    """The checker confirms the goods' quality (检查出货产品质量, 003) once every line has been scanned."""
    grant = _authorize(actor, FULFIL, order.shop)
    order = _locked(order)
    work = _work(order)
    _check_guard(actor, order, work)
    if not _all_checked(order):
        raise Conflict(gettext("Scan every item of order %(no)s first.") % {"no": order.platform_order_no},
                       code="not_checked")
    if not quality_ok:
        raise ServiceError(gettext("Tick the quality check: the goods were looked at and are fit to ship."),
                           code="quality_required", fields={"quality_ok": [gettext("Required.")]})
    work.checked_by, work.checked_at, work.quality_ok = _user(actor), clock.now(), True
    work.save(update_fields=["checked_by", "checked_at", "quality_ok"])
    audit.record_event("fulfillment.check_passed", actor=actor, obj=order, grant=grant,
                       changes={"quality_ok": {"before": False, "after": True}})
    return work


@transaction.atomic
def pack_order(*, actor, order: Order, weight_kg=None, packing_material: str = "") -> Order:
    """Packing needs the passed check (every line scanned, quality ticked, by someone other than the picker)."""
    order = _locked(order)
    _authorize(actor, FULFIL, order.shop)
    work = _work(order)
    _check_guard(actor, order, work)
    if not (work.quality_ok and work.checked_at and _all_checked(order)):
        raise Conflict(gettext("Order %(no)s has not passed the check: it cannot be packed.")
                       % {"no": order.platform_order_no}, code="not_checked")
    weight = None if weight_kg in (None, "") else _decimal(weight_kg, "weight_kg", positive=True)
    order = order_services.mark_packed(actor=actor, order=order)
    work.packed_by, work.packed_at = _user(actor), clock.now()
    work.weight_kg, work.packing_material = weight, packing_material.strip()[:40]
    work.save(update_fields=["packed_by", "packed_at", "weight_kg", "packing_material"])
    return order


# --- shipping ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def ship_parcel(*, actor, order: Order, carrier: str = "", tracking_no: str = "") -> Shipment:
    """packed → shipped: the parcel leaves with its carrier and waybill number (the printed ones unless others are
    given), stock is consumed from the oldest lots, and the buyer's shipping notice is recorded as due."""
    order = _locked(order)
    carrier = (carrier or order.carrier).strip()
    tracking_no = (tracking_no or order.tracking_no).strip().upper()
    order = order_services.ship_order(actor=actor, order=order, carrier=carrier, tracking_no=tracking_no)
    shipment = Shipment.objects.select_for_update().filter(order=order, carrier=carrier,
                                                           tracking_no=tracking_no).first()
    if shipment is None:
        Shipment.objects.filter(order=order, state=Shipment.State.LABELLED).update(state=Shipment.State.VOID)
        shipment = _new_shipment(order, carrier, tracking_no)
    work = OrderWork.objects.filter(order_id=order.pk).first()
    shipment.state, shipment.shipped_at, shipment.shipped_by = Shipment.State.SHIPPED, clock.now(), _user(actor)
    shipment.weight_kg = work.weight_kg if work else None
    shipment.save()
    settings_row = shop_shipping(order.shop)
    BuyerNotice.objects.create(order=order, shipment=shipment, text=notice_text(
        settings_row.notice_template, shop_name=order.shop.name, buyer=order.buyer_platform_id or order.buyer_name,
        order_no=order.platform_order_no, carrier=carrier, tracking_no=tracking_no)[:500])
    return shipment


def stop_reason(order: Order) -> str | None:
    """Why a parcel must not leave, or None."""
    if order.status == Status.SHIPPED or order.shipped_at is not None:
        when = f"{timezone.localtime(order.shipped_at):%Y-%m-%d %H:%M}" if order.shipped_at else "?"
        return gettext("Already shipped on %(when)s.") % {"when": when}
    if order.status == Status.CANCELLED:
        return gettext("The order was cancelled: stop the parcel.")
    if order.status == Status.AFTER_SALES:
        return gettext("The order is in after-sales: stop the parcel.")
    if order.on_hold:
        return gettext("The order is on hold (a change or recall waits): stop the parcel.")
    if order.status != Status.PACKED:
        return gettext("The order is %(status)s: it has not passed the check and packing.") % {
            "status": order.get_status_display()}
    return None


@transaction.atomic
def scan_to_ship(*, actor, code: str) -> Shipment:
    """The scan-to-ship station: scan the label's waybill number and the parcel ships; a parcel whose order is
    already shipped, cancelled, in after-sales, on hold or not packed is refused with the reason."""
    _authorize(actor, FULFIL)
    code = code.strip().upper()
    shipment = (Shipment.objects.select_related("order", "order__shop").exclude(state=Shipment.State.VOID)
                .filter(tracking_no=code).order_by("-id").first())
    if shipment is None:
        raise ServiceError(gettext("No parcel has the waybill number %(no)s.") % {"no": code}, code="unknown_tracking")
    check_shop_access(actor, shipment.order.shop)
    reason = stop_reason(shipment.order)
    if reason:
        raise Conflict(gettext("Do not ship %(no)s (order %(order)s): %(reason)s") % {
            "no": code, "order": shipment.order.platform_order_no, "reason": reason}, code="stop_parcel")
    return ship_parcel(actor=actor, order=shipment.order, carrier=shipment.carrier, tracking_no=shipment.tracking_no)


@transaction.atomic
def create_handover(*, actor, carrier: str, courier_name: str = "") -> Handover:
    """交接单: every shipped parcel of the carrier not yet handed over goes on one list for the pickup."""
    grant = _authorize(actor, HANDOVER)
    parcels = Shipment.objects.select_for_update().filter(carrier=carrier, state=Shipment.State.SHIPPED,
                                                          handover__isnull=True)
    ids = list(parcels.values_list("pk", flat=True))
    if not ids:
        raise Conflict(gettext("No shipped parcels of %(carrier)s wait for hand-over.") % {"carrier": carrier},
                       code="nothing_to_hand_over")
    handover = Handover.objects.create(number=_sequence_number(Handover, "H"), carrier=carrier,
                                       parcel_count=len(ids), courier_name=courier_name.strip()[:60],
                                       created_by=_user(actor))
    Shipment.objects.filter(pk__in=ids).update(handover=handover)
    audit.record_event("fulfillment.create_handover", actor=actor, obj=handover, grant=grant,
                       changes={"parcels": {"before": None, "after": len(ids)}})
    return handover



# --- set-up: coverage import, waybill-number import ------------------------------------------------------------------


# --- logistics: tracking events, exceptions, missing items, courier bills --------------------------------------------
