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

from shopdesk.channels.importers.tabular import ImportRefused, RowProblem
from shopdesk.channels.importers.tabular import code_cell as _code_cell
from shopdesk.channels.importers.tabular import read_table as _read_table
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
NOTICES = "fulfillment.change_buyernotice"
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


def _full_clean(obj, message: str, exclude=None) -> None:
    """Model validation (lengths, unique name and code ...) as a ServiceError naming the fields."""
    from django.core.exceptions import ValidationError

    from shopdesk.core.errors import validation_fields

    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ServiceError(message, code="invalid", fields=validation_fields(exc)) from exc


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
    _full_clean(carrier, gettext("The carrier is not valid."))
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
    _full_clean(settings_row, gettext("The shipping settings are not valid."), exclude=["shop"])
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



# --- warehouse stations: picking by tap and by scan ------------------------------------------------------------------


def _pickable_refusals(orders) -> list[str]:
    return [o.platform_order_no for o in orders if o.status != Status.PRINTED or o.on_hold]


@transaction.atomic
def pick_lines(*, actor, lines: Iterable[OrderLine]) -> list[Order]:
    """A tap on a stop of the pick list: the given lines are picked in full; an order whose lines are now all
    picked becomes picked, by this picker (the checker must be someone else, 000:243). Lines of orders that are no
    longer printed or are on hold (a change recalls their paperwork) are refused by order number, nothing picked."""
    grant = _authorize(actor, FULFIL)
    ids = sorted({line.pk for line in lines})
    if not ids:
        raise ServiceError(gettext("Choose the lines you picked."), code="empty")
    rows = list(OrderLine.objects.filter(pk__in=ids).only("id", "order_id", "quantity"))
    orders = list(Order.objects.select_for_update(of=("self",)).select_related("shop")
                  .filter(pk__in={ln.order_id for ln in rows}).order_by("id"))
    for order in orders:
        check_shop_access(actor, order.shop)
    refused = _pickable_refusals(orders)
    if refused:
        raise Conflict(gettext("Only printed orders that are not on hold are picked: %(nos)s.")
                       % {"nos": "、".join(refused[:10])}, code="not_pickable")
    existing = {w.pk: w for w in LineWork.objects.select_for_update().filter(line_id__in=ids)}
    for line in rows:
        work = existing.get(line.pk)
        if work is None:
            LineWork.objects.create(line_id=line.pk, picked=line.quantity)
        elif work.picked != line.quantity:
            work.picked = line.quantity
            work.save(update_fields=["picked"])
    done = []
    for order in orders:
        count = sum(1 for ln in rows if ln.order_id == order.pk)
        audit.record_event("fulfillment.pick", actor=actor, obj=order, grant=grant,
                           changes={"lines_picked": {"before": None, "after": count}})
        done.append(_finish_pick(actor, order))
    return done


@dataclass
class PickScanResult:
    ok: bool
    message: str
    code: str  # ok, order_picked; refused: not_in_batch, all_picked, on_hold, recalled
    line_id: int | None = None
    order_no: str = ""
    picked: int = 0
    quantity: int = 0


def _scan_q(code: str):
    from django.db.models import Q

    return Q(channel_sku_code__iexact=code) | Q(sku__code__iexact=code) | Q(sku__barcode__iexact=code)


@transaction.atomic
def pick_scan(*, actor, batch: PrintBatch, code: str) -> PickScanResult:
    """The picker scans one item of the wave: it counts one unit toward the first line of that SKU still short, in
    print order (ship-today orders first). An item the batch does not need, or needs no more of, is refused (and
    logged) so the picker puts it back."""
    grant = _authorize(actor, FULFIL)
    code = (code or "").strip()
    if not code:
        raise ServiceError(gettext("Scan an item's barcode."), code="empty", fields={"code": [gettext("Required.")]})
    from shopdesk.channels.selectors import shops_visible_to

    lines = OrderLine.objects.filter(_scan_q(code), order__work__batch=batch)
    if actor is not None:
        lines = lines.filter(order__shop__in=shops_visible_to(actor))
    matching = list(lines.select_related("order", "sku")
                    .order_by("-order__ship_today", "order__paid_at", "order_id", "id"))
    picked_of = dict(LineWork.objects.filter(line__in=matching).values_list("line_id", "picked"))
    open_lines = [ln for ln in matching if ln.order.status == Status.PRINTED and not ln.order.on_hold
                  and picked_of.get(ln.pk, 0) < ln.quantity]
    result = None
    for line in open_lines:
        order = _locked(line.order)
        check_shop_access(actor, order.shop)
        if order.status != Status.PRINTED or order.on_hold:
            continue
        work = dict((ln.pk, w) for ln, w in _line_work(order))[line.pk]
        if work.picked >= line.quantity:
            continue  # picked by a colleague meanwhile: the next line
        work.picked += 1
        work.save(update_fields=["picked"])
        order = _finish_pick(actor, order)
        done = order.status == Status.PICKED
        title = line.title or line.channel_sku_code
        result = PickScanResult(
            True, gettext("%(title)s: %(n)d of %(q)d for order %(no)s") % {
                "title": title, "n": work.picked, "q": line.quantity, "no": order.platform_order_no}
            + (" " + gettext("Order %(no)s is picked.") % {"no": order.platform_order_no} if done else ""),
            "order_picked" if done else "ok", line.pk, order.platform_order_no, work.picked, line.quantity)
        break
    if result is None:
        if not matching:
            result = PickScanResult(False, gettext("Not in this batch: %(code)s. Put it back.") % {"code": code},
                                    "not_in_batch")
        else:
            printed = [ln for ln in matching if ln.order.status == Status.PRINTED]
            done = [ln for ln in matching if ln.order.status in (Status.PICKED, Status.PACKED, Status.SHIPPED)]
            if printed and all(ln.order.on_hold for ln in printed):
                result = PickScanResult(False, gettext("%(code)s is only needed by orders on hold: do not pick it.")
                                        % {"code": code}, "on_hold")
            elif printed or done:
                needed = sum(ln.quantity for ln in printed + done)
                result = PickScanResult(False, gettext("All %(q)d of %(code)s are already picked. Put it back.")
                                        % {"q": needed, "code": code}, "all_picked", matching[0].pk)
            else:
                result = PickScanResult(False, gettext("%(code)s was for orders taken out of this batch (changed or "
                                                       "cancelled). Put it back.") % {"code": code}, "recalled")
    audit.record_event("fulfillment.pick_scan" if result.ok else "fulfillment.pick_refused", actor=actor,
                       obj=batch, grant=grant, reason="" if result.ok else result.message,
                       changes={"code": {"before": None, "after": code[:60]}})
    return result


@transaction.atomic
def mark_notices_sent(*, actor, notices: Iterable[BuyerNotice]) -> int:
    """Customer service sent these shipping notices to the buyers (in the platform's chat, until the conversation
    channel sends them itself): due → sent, one audit row each. Notices already sent are skipped."""
    grant = _authorize(actor, NOTICES)
    rows = list(BuyerNotice.objects.select_for_update(of=("self",)).select_related("order__shop")
                .filter(pk__in=[n.pk for n in notices], state=BuyerNotice.State.DUE))
    for notice in rows:
        check_shop_access(actor, notice.order.shop)
    BuyerNotice.objects.filter(pk__in=[n.pk for n in rows]).update(state=BuyerNotice.State.SENT, sent_at=clock.now())
    audit.record_events([audit.event_values(
        "fulfillment.notice_sent", actor=actor, grant=grant, obj_repr=notice.order.platform_order_no,
        object_type="fulfillment.buyernotice", object_id=notice.pk,
        changes={"state": {"before": BuyerNotice.State.DUE.value, "after": BuyerNotice.State.SENT.value}})
        for notice in rows])
    return len(rows)


# --- set-up: coverage import, waybill-number import ------------------------------------------------------------------

COVERAGE_ADD = "orders.add_unreachablearea"
COVERAGE_REMOVE = "orders.delete_unreachablearea"
# Column -> the names it goes by in a file (the first is how messages name it when the file lacks it).
COVERAGE_COLUMNS = {"province": ("省", "省份"), "city": ("市", "城市"), "district": ("区", "区县", "县区")}
WAYBILL_COLUMNS = {"order_no": ("订单号", "订单编号", "平台订单号"), "tracking_no": ("运单号", "快递单号", "物流单号"),
                   "carrier": ("快递公司", "物流公司", "快递")}
NUMBER_COLUMNS = {"number": ("运单号", "快递单号", "单号")}
_AREA_PART = 30  # UnreachableArea.province/city/district max_length
_TRACKING_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_SHIPPED_STATES = (Status.SHIPPED, Status.DELIVERED, Status.COMPLETED, Status.AFTER_SALES)
_NUMBERED_STATES = (Status.VERIFIED, Status.PRINTED, Status.PICKED, Status.PACKED)  # set_tracking's states
_IN_LIST = 500  # order numbers per IN (...) lookup


def _file_name(path) -> str:
    from shopdesk.channels.importers.textfile import file_label

    return file_label(path)


def read_waybill_numbers(path) -> list[str]:
    """The numbers of a file's 运单号 column (CSV or xlsx), in file order, for `add_pool_numbers`; a cell that
    is not a waybill number is refused naming its line."""
    labels, rows = _read_table(path, NUMBER_COLUMNS, ["number"])
    problems: list[RowProblem] = []
    numbers = []
    for line, cells in rows:
        number = _code_cell(cells["number"], labels["number"], line, problems).upper()
        if number and (len(number) > 40 or not set(number) <= _TRACKING_CHARS):
            problems.append(RowProblem(line, labels["number"], gettext(
                "%(no)s is not a waybill number (letters, digits and -, at most 40)") % {"no": number[:50]}))
        elif number:
            numbers.append(number)
    if problems:
        raise ImportRefused(_file_name(path), problems)
    return numbers


def _area_values(carrier: Carrier, province: str, city: str, district: str) -> dict[str, str]:
    values = {"carrier": carrier.name, "province": (province or "").strip(), "city": (city or "").strip(),
              "district": (district or "").strip()}
    fields: dict[str, list[str]] = {}
    if not values["province"]:
        fields["province"] = [gettext("Required.")]
    if values["district"] and not values["city"]:
        fields["city"] = [gettext("A district needs its city.")]
    for name in ("province", "city", "district"):
        if len(values[name]) > _AREA_PART:
            fields[name] = [gettext("At most %(n)d characters.") % {"n": _AREA_PART}]
    if fields:
        raise ServiceError(gettext("Name at least the province (a district with its city)."), code="invalid",
                           fields=fields)
    return values


@transaction.atomic
def add_blind_spot(*, actor, carrier: Carrier, province: str, city: str = "", district: str = ""):
    """Record where the carrier does not deliver (不到达区域): a whole province, a city or one district. The
    verification rules then send such orders to the universal carrier (E邮宝, 003)."""
    from shopdesk.orders.models import UnreachableArea

    grant = _authorize(actor, COVERAGE_ADD)
    values = _area_values(carrier, province, city, district)
    area, created = UnreachableArea.objects.get_or_create(**values)
    if not created:
        raise Conflict(gettext("This area is already listed."), code="duplicate")
    audit.record_event("fulfillment.add_blind_spot", actor=actor, obj=area, grant=grant,
                       changes=audit.created(area, list(values)))
    return area


@transaction.atomic
def remove_blind_spot(*, actor, area) -> None:
    grant = _authorize(actor, COVERAGE_REMOVE)
    audit.record_event("fulfillment.remove_blind_spot", actor=actor, obj=area, grant=grant,
                       changes={"area": {"before": str(area), "after": None}})
    area.delete()


@transaction.atomic
def import_coverage(*, actor, carrier: Carrier, path) -> dict:
    """Import the carrier's blind spots from an xlsx or CSV file: columns 省/省份 (required), 市/城市 and 区/区县
    (empty: the whole province or city). All or nothing: any bad row and nothing is written, each problem named by
    line and column. Idempotent: areas already listed (or repeated in the file) are counted as existing.
    Returns {"created": n, "existing": m}."""
    from shopdesk.orders.models import UnreachableArea

    grant = _authorize(actor, COVERAGE_ADD)
    labels, rows = _read_table(path, COVERAGE_COLUMNS, ["province"])
    problems: list[RowProblem] = []
    areas: list[tuple[str, str, str]] = []
    for line, cells in rows:
        province, city, district = (cells[k] for k in ("province", "city", "district"))
        if not province:
            problems.append(RowProblem(line, labels["province"], gettext("must not be empty")))
        if district and not city:
            problems.append(RowProblem(line, labels["city"], gettext("a district needs its city")))
        for name, value in (("province", province), ("city", city), ("district", district)):
            if len(value) > _AREA_PART:
                problems.append(RowProblem(line, labels[name], gettext("at most %(n)d characters")
                                           % {"n": _AREA_PART}))
        areas.append((province, city, district))
    if problems:
        raise ImportRefused(_file_name(path), problems)
    known = set(UnreachableArea.objects.filter(carrier=carrier.name).values_list("province", "city", "district"))
    new = list(dict.fromkeys(a for a in areas if a not in known))
    UnreachableArea.objects.bulk_create([UnreachableArea(carrier=carrier.name, province=p, city=c, district=d)
                                         for p, c, d in new])
    audit.record_event("fulfillment.import_coverage", actor=actor, obj=carrier, grant=grant,
                       reason=_file_name(path)[:200],
                       changes={"blind_spots": {"before": None, "after": ["".join(a) for a in new[:50]]},
                                "created": {"before": None, "after": len(new)}})
    return {"created": len(new), "existing": len(areas) - len(new)}


def _carrier_named(text: str, by_name: dict[str, Carrier]) -> Carrier | None:
    """A carrier by its name ("中通快递") or code ("zto")."""
    if text in by_name:
        return by_name[text]
    lowered = text.lower()
    return next((c for c in by_name.values() if c.code.lower() == lowered), None)


def _status_problem(order) -> str:
    if order["status"] in _SHIPPED_STATES:
        return gettext("order %(no)s is already shipped") % {"no": order["platform_order_no"]}
    if order["status"] == Status.CANCELLED:
        return gettext("order %(no)s was cancelled") % {"no": order["platform_order_no"]}
    if order["status"] in (Status.UNPAID, Status.PAID):
        return gettext("order %(no)s is not verified yet: numbers are entered for verified orders") % {
            "no": order["platform_order_no"]}
    return ""


@transaction.atomic
def import_waybills(*, actor, shop, path) -> dict:
    """录入快递单号 from a file: columns 订单号 and 运单号 (required) and 快递公司 (empty: the order's carrier), for
    the orders of one shop. Every row is checked first (an unknown order, an order shipped, cancelled or not yet
    verified, a carrier that is not set up, a number given twice in the file or already on another order); any bad
    row and nothing is written, each problem named by line and column. Then each number is set with `set_waybill`
    (the order's own audit row). Returns {"updated": n, "unchanged": m} (unchanged: the order had that number)."""
    grant = _authorize(actor, FULFIL, shop)
    labels, rows = _read_table(path, WAYBILL_COLUMNS, ["order_no", "tracking_no"])
    by_name = {c.name: c for c in Carrier.objects.all()}
    problems: list[RowProblem] = []
    wanted = []  # (line, order number, tracking number, carrier text)
    line_of_order: dict[str, int] = {}
    line_of_number: dict[str, int] = {}
    for line, cells in rows:
        order_no = _code_cell(cells["order_no"], labels["order_no"], line, problems)
        number = _code_cell(cells["tracking_no"], labels["tracking_no"], line, problems).upper()
        carrier_text = cells["carrier"]
        if not order_no:
            problems.append(RowProblem(line, labels["order_no"], gettext("must not be empty")))
        elif order_no in line_of_order:
            problems.append(RowProblem(line, labels["order_no"], gettext("order %(no)s is also on line %(line)d")
                                       % {"no": order_no, "line": line_of_order[order_no]}))
        else:
            line_of_order[order_no] = line
        if not number:
            problems.append(RowProblem(line, labels["tracking_no"], gettext("must not be empty")))
        elif len(number) > 40 or not set(number) <= _TRACKING_CHARS:
            problems.append(RowProblem(line, labels["tracking_no"], gettext(
                "%(no)s is not a waybill number (letters, digits and -, at most 40)") % {"no": number[:50]}))
        elif number in line_of_number:
            problems.append(RowProblem(line, labels["tracking_no"], gettext("%(no)s is also on line %(line)d")
                                       % {"no": number, "line": line_of_number[number]}))
        else:
            line_of_number[number] = line
        if carrier_text and _carrier_named(carrier_text, by_name) is None:
            problems.append(RowProblem(line, labels["carrier"], gettext(
                "unknown carrier %(name)s: use the name of a carrier set up under Carriers (%(known)s)")
                % {"name": carrier_text, "known": "、".join(list(by_name)[:8])}))
        wanted.append((line, order_no, number, carrier_text))

    numbers = [w[1] for w in wanted if w[1]]
    orders: dict[str, dict] = {}
    for start in range(0, len(numbers), _IN_LIST):
        for row in Order.objects.filter(shop=shop, platform_order_no__in=numbers[start:start + _IN_LIST]).values(
                "pk", "platform_order_no", "status", "carrier", "tracking_no"):
            orders[row["platform_order_no"]] = row
    tracking = [w[2] for w in wanted if w[2]]
    elsewhere: dict[tuple[str, str], str] = {}  # (carrier, number) -> the order number it is on (another order)
    taken_by: dict[tuple[str, str], int] = {}
    for start in range(0, len(tracking), _IN_LIST):
        part = tracking[start:start + _IN_LIST]
        for carrier, no, order_id, order_no in Shipment.objects.filter(tracking_no__in=part).values_list(
                "carrier", "tracking_no", "order_id", "order__platform_order_no"):
            taken_by.setdefault((carrier, no), order_id)
            elsewhere.setdefault((carrier, no), order_no)
        # Numbers entered on orders still in the warehouse (shipped ones have their Shipment above); the status
        # index keeps this off the whole order table.
        for carrier, no, order_id, order_no in Order.objects.filter(
                status__in=_NUMBERED_STATES, tracking_no__in=part).values_list(
                "carrier", "tracking_no", "pk", "platform_order_no"):
            taken_by.setdefault((carrier, no), order_id)
            elsewhere.setdefault((carrier, no), order_no)

    todo, unchanged = [], 0
    for line, order_no, number, carrier_text in wanted:
        order = orders.get(order_no) if order_no else None
        if order_no and order is None:
            problems.append(RowProblem(line, labels["order_no"], gettext("no order %(no)s in shop %(shop)s")
                                       % {"no": order_no, "shop": shop.name}))
            continue
        if order is None:
            continue
        reason = _status_problem(order)
        if reason:
            problems.append(RowProblem(line, labels["order_no"], reason))
            continue
        if carrier_text:
            carrier = _carrier_named(carrier_text, by_name)
            if carrier is None:
                continue  # already reported
        else:
            carrier = by_name.get(order["carrier"])
            if carrier is None:
                if order["carrier"]:
                    reason = gettext("the order's carrier %(name)s is not set up under Carriers: fill in the "
                                     "carrier") % {"name": order["carrier"]}
                else:
                    reason = gettext("order %(no)s has no carrier yet: fill in the carrier") % {"no": order_no}
                problems.append(RowProblem(line, labels["carrier"], reason))
                continue
        if not number:
            continue
        other = taken_by.get((carrier.name, number))
        if other is not None and other != order["pk"]:
            problems.append(RowProblem(line, labels["tracking_no"], gettext(
                "%(no)s of %(carrier)s is already on order %(order)s") % {
                "no": number, "carrier": carrier.name, "order": elsewhere[(carrier.name, number)]}))
            continue
        if order["carrier"] == carrier.name and order["tracking_no"] == number:
            unchanged += 1
            continue
        todo.append((line, order["pk"], carrier.name, number))
    if problems:
        raise ImportRefused(_file_name(path), problems)

    instances = {}
    ids = [t[1] for t in todo]
    for start in range(0, len(ids), _IN_LIST):
        instances.update(Order.objects.select_related("shop").in_bulk(ids[start:start + _IN_LIST]))
    for line, order_id, carrier_name, number in todo:
        try:
            set_waybill(actor=actor, order=instances[order_id], carrier=carrier_name, tracking_no=number)
        except ServiceError as exc:  # changed since the check (another person, another import): refuse it all
            raise ImportRefused(_file_name(path), [RowProblem(line, labels["tracking_no"], exc.message)]) from exc
    audit.record_event("fulfillment.import_waybills", actor=actor, obj=shop, grant=grant,
                       reason=_file_name(path)[:200],
                       changes={"updated": {"before": None, "after": len(todo)},
                                "unchanged": {"before": None, "after": unchanged}})
    return {"updated": len(todo), "unchanged": unchanged}


def waybill_template_xlsx() -> bytes:
    """The empty 录入快递单号 workbook: the three columns, numbers kept as text, one example row."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "运单号"
    sheet.append(["订单号", "运单号", "快递公司"])
    sheet.append(["5552026112200001", "ZT7300000001", "中通快递"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in "ABC":
        sheet.column_dimensions[column].width = 24
        for cell in sheet[column]:
            cell.number_format = "@"  # text: Excel keeps long numbers whole
    notes = book.create_sheet("说明")
    for row in (["列", "必填", "说明"],
                ["订单号", "是", "平台订单号，须是所选店铺的已审核、未发货订单"],
                ["运单号", "是", "快递单号，字母、数字和 -；同一文件和其他订单中不得重复"],
                ["快递公司", "否", "快递公司名称（如 中通快递）或代码；空白时用订单已有的快递公司"]):
        notes.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def coverage_template_xlsx() -> bytes:
    """The empty blind-spot workbook: 省份, 城市, 区县 with one example row."""
    from io import BytesIO

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "不到达区域"
    sheet.append(["省份", "城市", "区县"])
    sheet.append(["西藏自治区", "", ""])
    sheet.append(["新疆维吾尔自治区", "阿勒泰地区", "布尔津县"])
    out = BytesIO()
    book.save(out)
    return out.getvalue()



# --- logistics: tracking events, exceptions, missing items, courier bills --------------------------------------------

TRACK = "fulfillment.add_trackingevent"
EXCEPTIONS = "fulfillment.change_logisticsexception"
REPORT_CLAIM = "fulfillment.add_missingitemclaim"
DECIDE_CLAIM = "fulfillment.change_missingitemclaim"
ADD_BILL = "fulfillment.add_courierbill"
CHANGE_BILL = "fulfillment.change_courierbill"
MAX_PHOTO_BYTES = 5 * 1024 * 1024
DEFAULT_STALL_HOURS = 48
MOVING = ("shipped", "in_transit", "delivering")  # Shipment states a parcel can stall in
EXCEPTION_STATES = ("returned", "lost", "damaged", "exception")  # a parcel in one of these needs customer service
_LOOKUP_CHUNK = 500
_ROW_ERRORS_SHOWN = 50


def _state_of(status: str) -> str:
    """The Shipment state of a tracking status: the carrier's "collected" is our "shipped"."""
    return Shipment.State.SHIPPED if status == "collected" else status


def _event_text(location: str, description: str, status: str) -> str:
    text = " ".join(part for part in (location.strip(), description.strip()) if part)
    return (text or str(Shipment.State(_state_of(status)).label))[:300]


def _event_hash(event) -> str:
    import hashlib

    from shopdesk.fulfillment.tracking_files import event_key

    return hashlib.sha256(repr(event_key(event)).encode()).hexdigest()


def _chunks(values: list, size: int = _LOOKUP_CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _row_errors_message(exc, what: str) -> ServiceError:
    """An ImportFileError (FileRowErrors with every bad row, or one whole-file problem) as a ServiceError whose
    message and `fields["file"]` list the problems by line."""
    rows = getattr(exc, "errors", None)
    if not rows:
        return ServiceError(gettext("Nothing was imported: %(problem)s") % {"problem": exc}, code="invalid_file",
                            fields={"file": [str(exc)]})
    lines = [gettext("line %(line)d: %(reason)s") % {"line": r.line_no, "reason": r.reason} for r in rows]
    shown = lines[:_ROW_ERRORS_SHOWN]
    if len(lines) > len(shown):
        shown.append(gettext("… and %(n)d more problems.") % {"n": len(lines) - len(shown)})
    return ServiceError(
        gettext("Nothing was imported: %(n)d row(s) of the %(what)s cannot be read.") % {"n": len(lines), "what": what}
        + "\n" + "\n".join(shown), code="invalid_file", fields={"file": shown})


def _save_moves(shipments: list) -> None:
    """The new state, last movement and delivery time of each moved parcel: one UPDATE statement run for all of them
    (executemany), where Django's bulk_update would compile a CASE per parcel."""
    if not shipments:
        return
    ops, meta = connection.ops, Shipment._meta
    columns = [meta.get_field(name).column for name in ("state", "last_event_at", "last_event", "delivered_at")]
    sql = (f"UPDATE {meta.db_table} SET {', '.join(f'{c} = %s' for c in columns)} "  # noqa: S608 - model names
           f"WHERE {meta.pk.column} = %s")
    rows = [(s.state, ops.adapt_datetimefield_value(s.last_event_at), s.last_event,
             ops.adapt_datetimefield_value(s.delivered_at), s.pk) for s in shipments]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


@transaction.atomic
def record_tracking_events(*, actor, events: Iterable, source: str = "") -> dict:
    """Store carrier tracking events (物流轨迹, product.md §2.4) from a file or the push API.

    Events are matched to our parcels by tracking number (voided parcels never); an event already stored (the same
    scan: `tracking_files.event_key`) is a duplicate and skipped, so importing a file twice or a carrier pushing an
    event twice adds nothing. Each touched parcel takes the state, time and text of its latest event by time (an
    older event arriving late never moves it back). Delivered: the parcel's delivery time, and its order is marked
    delivered when shipped. Returned, lost, damaged or a carrier exception: one open logistics exception of that kind
    for customer service. A new movement closes the parcel's open "no movement" exception. One audit row per call.
    Lookups are batched (a few queries per 500 tracking numbers, not per event). Returns {"added", "duplicates",
    "unknown", "unknown_numbers"} (the first 20 tracking numbers that are not ours)."""
    from shopdesk.fulfillment.models import LogisticsException, TrackingEvent

    grant = _authorize(actor, TRACK)
    events = list(events)
    numbers = sorted({e.tracking_no for e in events})
    by_number: dict[str, Shipment] = {}
    for chunk in _chunks(numbers):
        for shipment in (Shipment.objects.select_related("order").exclude(state=Shipment.State.VOID)
                         .filter(tracking_no__in=chunk).order_by("id")):
            by_number[shipment.tracking_no] = shipment  # the newest parcel wins if two carriers share a number
    unknown = [e for e in events if e.tracking_no not in by_number]
    keyed: dict[tuple[int, str], object] = {}
    for event in events:
        shipment = by_number.get(event.tracking_no)
        if shipment is not None:
            keyed.setdefault((shipment.pk, _event_hash(event)), event)
    known: set[tuple[int, str]] = set()
    pairs = list(keyed)
    for chunk in _chunks(pairs):
        known.update(TrackingEvent.objects.filter(shipment_id__in={s for s, _k in chunk},
                                                  key__in=[k for _s, k in chunk]).values_list("shipment_id", "key"))
    new = [(pair, event) for pair, event in keyed.items() if pair not in known]
    received = clock.now()
    for chunk in _chunks(new, 1000):
        TrackingEvent.objects.bulk_create(
            [TrackingEvent(shipment_id=sid, time=e.time, location=e.location[:100], status=_state_of(e.status),
                           description=e.description[:300], key=key, received_at=received)
             for (sid, key), e in chunk], ignore_conflicts=True)

    latest: dict[int, object] = {}
    for (sid, _key), event in new:
        if sid not in latest or event.time >= latest[sid].time:
            latest[sid] = event
    shipments = {s.pk: s for s in by_number.values()}
    moved, exception_rows = [], []
    for sid, event in latest.items():
        shipment = shipments[sid]
        if shipment.last_event_at is not None and event.time < shipment.last_event_at:
            continue  # a late, older scan: stored, but the parcel stays where its newer scans put it
        shipment.last_event_at = event.time
        shipment.last_event = _event_text(event.location, event.description, event.status)
        moved.append(shipment)
        if shipment.state == Shipment.State.LABELLED:
            continue  # not shipped by us yet: the warehouse's scan-to-ship moves it, not the carrier's scans
        shipment.state = _state_of(event.status)
        if shipment.state == Shipment.State.DELIVERED:
            shipment.delivered_at = event.time
        if shipment.state in EXCEPTION_STATES:
            exception_rows.append(shipment)
    _save_moves(moved)

    now = clock.now()
    moved_ids = [s.pk for s in moved]
    for chunk in _chunks(moved_ids):
        LogisticsException.objects.filter(shipment_id__in=chunk, kind=LogisticsException.Kind.STALLED,
                                          state=LogisticsException.State.OPEN).update(
            state=LogisticsException.State.CLOSED, closed_at=now, resolution=gettext("Moved again"))
    if exception_rows:
        open_now = set()
        for chunk in _chunks([s.pk for s in exception_rows]):
            open_now.update(LogisticsException.objects.filter(
                shipment_id__in=chunk, state=LogisticsException.State.OPEN).values_list("shipment_id", "kind"))
        LogisticsException.objects.bulk_create(
            [LogisticsException(shipment=s, kind=s.state, last_event=s.last_event, opened_at=now)
             for s in exception_rows if (s.pk, s.state) not in open_now], ignore_conflicts=True)
    delivered_orders = set()
    for shipment in moved:
        order = shipment.order
        if (shipment.state == Shipment.State.DELIVERED and order.status == Status.SHIPPED
                and order.pk not in delivered_orders):
            # The carrier says it was signed for: the order moves as the system (the audit row below names who
            # imported or pushed the event).
            order_services.mark_delivered(actor=None, order=order, delivered_at=shipment.delivered_at)
            delivered_orders.add(order.pk)

    result = {"added": len(new), "duplicates": len(events) - len(unknown) - len(new), "unknown": len(unknown),
              "unknown_numbers": sorted({e.tracking_no for e in unknown})[:20]}
    audit.record_event("fulfillment.record_tracking", actor=actor, grant=grant, reason=source[:500],
                       changes={key: {"before": None, "after": result[key]}
                                for key in ("added", "duplicates", "unknown")})
    return result


def import_tracking_file(*, actor, path, source: str = "") -> dict:
    """A carrier's tracking file (xlsx or CSV, `tracking_files.read_events`). All or nothing: a file with bad rows
    imports nothing and the error lists every bad row by line; the same file twice adds nothing the second time."""
    from shopdesk.channels.importers.records import ImportFileError
    from shopdesk.channels.importers.textfile import file_label
    from shopdesk.fulfillment.tracking_files import read_events

    _authorize(actor, TRACK)
    try:
        events = list(read_events(path))
    except ImportFileError as exc:
        raise _row_errors_message(exc, gettext("tracking file")) from exc
    return record_tracking_events(actor=actor, events=events, source=source or file_label(path))


@transaction.atomic
def detect_stalls(*, actor=None, now=None) -> int:
    """No movement for N hours (product.md §2.4): every shipped, in-transit or out-for-delivery parcel whose last
    movement (its last tracking event, else the time it shipped) is at least its shop's `stall_hours` old (48 without
    settings) gets one open "no movement" exception. Run by `shopdesk check-parcels` (cron) and the "check now"
    button. Three queries whatever the number of parcels. Returns how many exceptions were opened."""
    from datetime import timedelta

    from django.db.models import Exists, OuterRef, Q
    from django.db.models.functions import Coalesce

    from shopdesk.fulfillment.models import LogisticsException

    grant = _authorize(actor, EXCEPTIONS)
    now = now or clock.now()
    hours_of: dict[int, list[int]] = {}
    for shop_id, hours in ShopShipping.objects.values_list("shop_id", "stall_hours"):
        hours_of.setdefault(hours, []).append(shop_id)
    configured = [shop_id for ids in hours_of.values() for shop_id in ids]
    due = ~Q(order__shop_id__in=configured) & Q(moved__lte=now - timedelta(hours=DEFAULT_STALL_HOURS))
    for hours, shop_ids in hours_of.items():
        due |= Q(order__shop_id__in=shop_ids, moved__lte=now - timedelta(hours=hours))
    open_stall = LogisticsException.objects.filter(shipment=OuterRef("pk"), kind=LogisticsException.Kind.STALLED,
                                                   state=LogisticsException.State.OPEN)
    stalled = list(Shipment.objects.filter(state__in=MOVING)
                   .annotate(moved=Coalesce("last_event_at", "shipped_at"))
                   .filter(moved__isnull=False).filter(due).filter(~Exists(open_stall))
                   .values_list("pk", "last_event"))
    LogisticsException.objects.bulk_create(
        [LogisticsException(shipment_id=pk, kind=LogisticsException.Kind.STALLED, last_event=text, opened_at=now)
         for pk, text in stalled], batch_size=1000, ignore_conflicts=True)
    if stalled:
        audit.record_event("fulfillment.detect_stalls", actor=actor, grant=grant,
                           changes={"opened": {"before": None, "after": len(stalled)}})
    return len(stalled)


def _exception_shop(exception):
    return exception.shipment.order.shop


@transaction.atomic
def close_exception(*, actor, exception, resolution: str):
    """Customer service closes a logistics exception saying what was done (contacted the carrier, reshipped ...)."""
    from shopdesk.fulfillment.models import LogisticsException

    exception = (LogisticsException.objects.select_for_update(of=("self",))
                 .select_related("shipment__order__shop").get(pk=exception.pk))
    grant = _authorize(actor, EXCEPTIONS, _exception_shop(exception))
    resolution = (resolution or "").strip()
    if not resolution:
        raise ServiceError(gettext("Say how the exception was resolved."), code="resolution_required",
                           fields={"resolution": [gettext("Required.")]})
    if exception.state != LogisticsException.State.OPEN:
        raise Conflict(gettext("This exception is already closed."), code="already_closed")
    exception.state, exception.closed_at, exception.closed_by = LogisticsException.State.CLOSED, clock.now(), \
        _user(actor)
    exception.resolution = resolution[:300]
    exception.save(update_fields=["state", "closed_at", "closed_by", "resolution"])
    audit.record_event("fulfillment.close_exception", actor=actor, obj=exception, grant=grant,
                       reason=exception.resolution,
                       changes={"state": {"before": "open", "after": "closed"}})
    return exception


@transaction.atomic
def report_disputed(*, actor, shipment: Shipment, note: str):
    """Delivered but disputed (已签收未收到): the carrier says delivered, the buyer says not received. Customer
    service opens it from the order; one open dispute per parcel."""
    from shopdesk.fulfillment.models import LogisticsException

    shipment = Shipment.objects.select_for_update(of=("self",)).select_related("order__shop").get(pk=shipment.pk)
    grant = _authorize(actor, EXCEPTIONS, shipment.order.shop)
    note = (note or "").strip()
    if not note:
        raise ServiceError(gettext("Write what the buyer says."), code="note_required",
                           fields={"note": [gettext("Required.")]})
    if shipment.state != Shipment.State.DELIVERED:
        raise Conflict(gettext("Parcel %(no)s is %(state)s: only a delivered parcel can be disputed.")
                       % {"no": shipment.tracking_no, "state": shipment.get_state_display()}, code="not_delivered")
    if LogisticsException.objects.filter(shipment=shipment, kind=LogisticsException.Kind.DISPUTED,
                                         state=LogisticsException.State.OPEN).exists():
        raise Conflict(gettext("Parcel %(no)s already has an open dispute.") % {"no": shipment.tracking_no},
                       code="already_open")
    text = f"{note} / {shipment.last_event}" if shipment.last_event else note
    exception = LogisticsException.objects.create(shipment=shipment, kind=LogisticsException.Kind.DISPUTED,
                                                  last_event=text[:300])
    audit.record_event("fulfillment.report_disputed", actor=actor, obj=exception, grant=grant, reason=note[:500],
                       changes={"kind": {"before": None, "after": "disputed"}})
    return exception


def photo_kind(photo) -> str:
    """The image type of an uploaded photo, checked by its first bytes and its size; ServiceError otherwise."""
    from shopdesk.catalog.images import sniff_image_type

    name = getattr(photo, "name", "") or "photo"
    size = getattr(photo, "size", None)
    if size is None:
        photo.seek(0, 2)
        size = photo.tell()
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    if size > MAX_PHOTO_BYTES:
        raise ServiceError(gettext("%(name)s is larger than 5 MB.") % {"name": name}, code="invalid_photo",
                           fields={"photo": [gettext("Larger than 5 MB.")]})
    kind = sniff_image_type(head)
    if kind is None:
        raise ServiceError(gettext("%(name)s is not a JPEG, PNG, WebP or GIF image.") % {"name": name},
                           code="invalid_photo", fields={"photo": [gettext("Not an image.")]})
    return kind


@transaction.atomic
def report_missing_item(*, actor, order: Order, lines: dict, photo, note: str = ""):
    """少货 (003): the buyer says items are missing from a shipped or delivered order and sends a photo of the
    dispatch note. `lines` is {order line id: missing quantity} (at most the line's quantity); the photo (JPEG, PNG,
    WebP or GIF, up to 5 MB) is kept out of the public media URLs and shown only through a permission-checked page.
    One claim waits for a decision per order at a time."""
    import uuid

    from shopdesk.catalog.images import EXTENSIONS
    from shopdesk.fulfillment.models import MissingItemClaim

    order = _locked(order)
    grant = _authorize(actor, REPORT_CLAIM, order.shop)
    if order.status not in (Status.SHIPPED, Status.DELIVERED):
        raise Conflict(gettext("Order %(no)s is %(status)s: missing items are reported on shipped or delivered "
                               "orders.") % {"no": order.platform_order_no, "status": order.get_status_display()},
                       code="not_shipped")
    if MissingItemClaim.objects.filter(order=order, state=MissingItemClaim.State.REPORTED).exists():
        raise Conflict(gettext("Order %(no)s already has a missing-item claim waiting for a decision.")
                       % {"no": order.platform_order_no}, code="claim_open")
    quantities = dict(order.lines.values_list("pk", "quantity"))
    wanted, problems = {}, []
    for key, value in (lines or {}).items():
        try:
            line_id, qty = int(key), int(value)
        except (TypeError, ValueError):
            problems.append(gettext("%(line)s: not a number") % {"line": key})
            continue
        if qty <= 0:
            continue
        if line_id not in quantities:
            problems.append(gettext("line %(id)s is not on this order") % {"id": line_id})
        elif qty > quantities[line_id]:
            problems.append(gettext("line %(id)s has only %(q)d") % {"id": line_id, "q": quantities[line_id]})
        else:
            wanted[str(line_id)] = qty
    if not wanted and not problems:
        problems.append(gettext("say which items are missing and how many"))
    if problems:
        raise ServiceError(gettext("Missing items: %(p)s.") % {"p": "; ".join(problems)}, code="invalid_lines",
                           fields={"lines": problems})
    if not photo:
        raise ServiceError(gettext("Attach the buyer's photo of the dispatch note."), code="photo_required",
                           fields={"photo": [gettext("Required.")]})
    kind = photo_kind(photo)
    claim = MissingItemClaim(order=order, lines=wanted, note=(note or "").strip()[:500], reported_by=_user(actor))
    claim.photo.save(f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}", photo, save=False)
    stored = claim.photo.name
    try:
        claim.save()
        audit.record_event("fulfillment.report_missing_item", actor=actor, obj=claim, grant=grant,
                           reason=claim.note, changes={"lines": {"before": None, "after": wanted}})
    except Exception:
        claim.photo.storage.delete(stored)
        raise
    return claim


def _claim_locked(claim):
    from shopdesk.fulfillment.models import MissingItemClaim

    return MissingItemClaim.objects.select_for_update(of=("self",)).select_related("order__shop").get(pk=claim.pk)


@transaction.atomic
def confirm_missing_item(*, actor, claim):
    """The items are confirmed missing: reship them the same day (当天补发, 003). A reship order of the missing
    quantities is created (free, linked to the original, reserved, reviewed, `ship_today` so it is printed first)
    and linked to the claim. The reship is made in the confirmer's name when they may add orders, else by the
    system on the confirmed claim (the audit row of the confirmation names the person)."""
    from shopdesk.fulfillment.models import MissingItemClaim

    claim = _claim_locked(claim)
    grant = _authorize(actor, DECIDE_CLAIM, claim.order.shop)
    if claim.state != MissingItemClaim.State.REPORTED:
        raise Conflict(gettext("This claim was already decided (%(state)s).") % {"state": claim.get_state_display()},
                       code="already_decided")
    reship_actor = actor if actor is None or actor.has_perm(order_services.ADD) else None
    reship = order_services.create_reship_order(
        actor=reship_actor, order=claim.order, quantities={int(k): int(v) for k, v in claim.lines.items()},
        reason=gettext("missing items (少货), claim #%(id)d") % {"id": claim.pk})
    claim.state, claim.decided_by, claim.decided_at = MissingItemClaim.State.CONFIRMED, _user(actor), clock.now()
    claim.reship_order = reship
    claim.save(update_fields=["state", "decided_by", "decided_at", "reship_order"])
    audit.record_event("fulfillment.confirm_missing_item", actor=actor, obj=claim, grant=grant,
                       changes={"state": {"before": "reported", "after": "confirmed"},
                                "reship_order": {"before": None, "after": reship.platform_order_no}})
    return claim


@transaction.atomic
def reject_missing_item(*, actor, claim, reason: str):
    """Not missing (the photo shows the item packed, the buyer found it ...): the claim is rejected with the reason,
    which is added to the claim's note."""
    from shopdesk.fulfillment.models import MissingItemClaim

    claim = _claim_locked(claim)
    grant = _authorize(actor, DECIDE_CLAIM, claim.order.shop)
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(gettext("Give the reason for rejecting the claim."), code="reason_required",
                           fields={"reason": [gettext("Required.")]})
    if claim.state != MissingItemClaim.State.REPORTED:
        raise Conflict(gettext("This claim was already decided (%(state)s).") % {"state": claim.get_state_display()},
                       code="already_decided")
    claim.state, claim.decided_by, claim.decided_at = MissingItemClaim.State.REJECTED, _user(actor), clock.now()
    tail = gettext("Rejected: %(reason)s") % {"reason": reason}
    claim.note = (f"{claim.note}\n{tail}" if claim.note else tail)[-500:]
    claim.save(update_fields=["state", "decided_by", "decided_at", "note"])
    audit.record_event("fulfillment.reject_missing_item", actor=actor, obj=claim, grant=grant, reason=reason[:500],
                       changes={"state": {"before": "reported", "after": "rejected"}})
    return claim


def month_range(month: str):
    """(start, end) aware datetimes of a "YYYY-MM" month in China time; ServiceError for a bad month."""
    import re
    from datetime import datetime

    from shopdesk.channels.importers.textfile import CHINA

    match = re.fullmatch(r"(\d{4})-(\d{2})", (month or "").strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise ServiceError(gettext("The month must be written YYYY-MM, like 2026-11."), code="invalid_month",
                           fields={"month": [gettext("Write it as YYYY-MM.")]})
    year, mon = int(match[1]), int(match[2])
    start = datetime(year, mon, 1, tzinfo=CHINA)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=CHINA)
    return start, end


def _bill_shipments(carrier: Carrier, month: str):
    """Our parcels of the carrier shipped in the month (China time) as reconcile.Shipment, streamed."""
    from shopdesk.channels.importers.textfile import CHINA
    from shopdesk.fulfillment import reconcile

    start, end = month_range(month)
    rows = (Shipment.objects.filter(carrier=carrier.name, shipped_at__gte=start, shipped_at__lt=end)
            .exclude(state=Shipment.State.VOID).order_by()
            .values_list("order__platform_order_no", "tracking_no", "order__province", "weight_kg", "shipped_at")
            .iterator(chunk_size=2000))
    for order_no, tracking_no, province, weight, shipped_at in rows:
        yield reconcile.Shipment(order_no, tracking_no, province, weight, shipped_at.astimezone(CHINA).date())


def carrier_tariff(carrier: Carrier):
    """The carrier's price rules as a tariffs.Tariff, or None when it has none."""
    from shopdesk.fulfillment import tariffs

    rules = [tariffs.PriceRule(r.province, r.first_weight_kg, r.first_fee, r.extra_unit_kg, r.extra_fee)
             for r in PriceRule.objects.filter(carrier=carrier)]
    return tariffs.Tariff(rules) if rules else None


@transaction.atomic
def import_courier_bill(*, actor, carrier: Carrier, month: str, path, tolerance=None, file_name: str = ""):
    """每月快递费用对账结算 (004:14): check a carrier's monthly bill against our parcels it carried that month (China
    time) and its price rules (`reconcile.reconcile`). The counts and totals are kept on the CourierBill and every
    line or parcel that does not simply match is a BillFinding. A bill with bad rows stores nothing and the error
    lists them by line. Importing the carrier's month again replaces the result, unless it was already marked
    reconciled (refused). Memory stays modest: parcels are streamed from the database and the bill from the file."""
    from shopdesk.channels.importers.records import ImportFileError
    from shopdesk.channels.importers.textfile import file_label
    from shopdesk.fulfillment import reconcile
    from shopdesk.fulfillment.models import BillFinding, CourierBill

    grant = _authorize(actor, ADD_BILL)
    month = (month or "").strip()
    month_range(month)
    tolerance = reconcile.DEFAULT_TOLERANCE if tolerance in (None, "") else _decimal(tolerance, "tolerance")
    bill = CourierBill.objects.select_for_update().filter(carrier=carrier, month=month).first()
    if bill is not None:
        _authorize(actor, CHANGE_BILL)
        if bill.state == CourierBill.State.RECONCILED:
            raise Conflict(gettext("The %(carrier)s bill of %(month)s is already reconciled: it cannot be imported "
                                   "again.") % {"carrier": carrier.name, "month": month}, code="already_reconciled")
    try:
        result = reconcile.reconcile(reconcile.read_bill(path), _bill_shipments(carrier, month),
                                     carrier_tariff(carrier), tolerance=tolerance)
    except ImportFileError as exc:
        raise _row_errors_message(exc, gettext("bill")) from exc
    creating = bill is None
    bill = bill or CourierBill(carrier=carrier, month=month)
    before = {} if creating else {"counts": bill.counts, "billed_total": str(bill.billed_total)}
    bill.file_name = (file_name or file_label(path))[:200]
    bill.tolerance = tolerance
    bill.counts = {**result.counts, "bill_lines": result.bill_lines, "shipments": result.shipments,
                   "unpriced": result.unpriced, "matched_total": str(result.matched_total),
                   "disputed_total": str(result.disputed_total)}
    bill.billed_total, bill.expected_total = result.billed_total, result.expected_total
    bill.imported_by, bill.imported_at = _user(actor), clock.now()
    bill.save()
    if not creating:
        BillFinding.objects.filter(bill=bill).delete()
    for chunk in _chunks(result.findings, 1000):  # model instances for one batch at a time (bulk_create lists all)
        BillFinding.objects.bulk_create(
            [BillFinding(bill=bill, kind=f.kind, tracking_no=f.tracking_no[:40], bill_line=f.bill_line,
                         order_no=f.order_no[:64], billed_fee=f.billed_fee, expected_fee=f.expected_fee,
                         difference=f.difference, note=f.note[:200]) for f in chunk])
    audit.record_event("fulfillment.import_bill" if creating else "fulfillment.reimport_bill", actor=actor, obj=bill,
                       grant=grant, reason=bill.file_name,
                       changes=audit.changes_between(before, {"counts": bill.counts,
                                                              "billed_total": str(bill.billed_total)}))
    return bill


@transaction.atomic
def mark_bill_reconciled(*, actor, bill):
    """Finance or merchandise settled the bill with the carrier: it is closed and cannot be re-imported."""
    from shopdesk.fulfillment.models import CourierBill

    grant = _authorize(actor, CHANGE_BILL)
    bill = CourierBill.objects.select_for_update().get(pk=bill.pk)
    if bill.state == CourierBill.State.RECONCILED:
        raise Conflict(gettext("This bill is already reconciled."), code="already_reconciled")
    bill.state, bill.reconciled_by, bill.reconciled_at = CourierBill.State.RECONCILED, _user(actor), clock.now()
    bill.save(update_fields=["state", "reconciled_by", "reconciled_at"])
    audit.record_event("fulfillment.reconcile_bill", actor=actor, obj=bill, grant=grant,
                       changes={"state": {"before": "checked", "after": "reconciled"}})
    return bill
