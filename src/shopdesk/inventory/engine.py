"""The stock engine: the only code that changes on_hand, reserved, lots and the movement ledger.

Rules it enforces (product.md §2.2):
- never oversell: `reserve` is one conditional UPDATE (`reserved = reserved + q WHERE on_hand - reserved >= q`),
  with no read before it and no Python lock, so it is correct under any concurrency on SQLite and PostgreSQL;
- every change of on_hand is a Movement with its document (凭单下账) and a posting date outside closed months
  (不跨月记账, 000:505);
- dispatch takes the oldest lots first (先进先出, 000:489);
- `verify_ledger()` proves movements, lots, location and warehouse figures and reservations agree (账实相符).

These functions check no permission: the business services that call them (receiving, stocktake, orders, shipping)
authorize the person first. Each writes its audit event in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext

from shopdesk.core import audit, bulk, clock
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.inventory.models import (
    ClosedPeriod,
    Location,
    LocationStock,
    Lot,
    Movement,
    Reservation,
    Warehouse,
    WarehouseStock,
)
from shopdesk.inventory.signals import stock_changed

INSUFFICIENT = "insufficient"


class PeriodClosed(Conflict):
    code = "period_closed"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


@dataclass(frozen=True)
class ReserveResult:
    ok: bool
    reservation: Reservation | None = None
    reason: str = ""


def _month(day: date) -> date:
    return day.replace(day=1)


def check_period_open(posted_on: date) -> None:
    """Refuse a posting dated in a closed month."""
    if ClosedPeriod.objects.filter(month=_month(posted_on)).exists():
        raise PeriodClosed(
            gettext("%(month)s is closed: stock postings dated %(day)s are refused (不跨月记账). Post it in an open "
                    "month.") % {"month": f"{posted_on:%Y-%m}", "day": posted_on.isoformat()},
            fields={"posted_on": [gettext("This month is closed.")]},
        )


def _changed(*sku_ids: int) -> None:
    stock_changed.send(sender=Movement, sku_ids=sorted(set(sku_ids)))


def person(actor):
    """The user to record on a row, or None when the system acts (actor None or anonymous)."""
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _positive(quantity: int) -> int:
    if not isinstance(quantity, int) or quantity <= 0:
        raise ServiceError(gettext("The quantity must be a whole number above zero."), code="invalid_quantity",
                           fields={"quantity": [gettext("Must be at least 1.")]})
    return quantity


# --- reservations: one conditional UPDATE each ---------------------------------------------------------------------


@transaction.atomic
def reserve(sku, quantity: int, reference: str, *, warehouse: Warehouse | None = None, actor=None) -> ReserveResult:
    """Lock `quantity` units of `sku` for `reference` in `warehouse` (or the first warehouse by priority that has
    them). Returns ReserveResult(ok=False, reason="insufficient") when no warehouse has that many available."""
    _positive(quantity)
    candidates = [warehouse] if warehouse is not None else list(
        Warehouse.objects.filter(is_active=True, stock__sku=sku).order_by("priority", "id"))
    for wh in candidates:
        updated = WarehouseStock.objects.filter(
            sku=sku, warehouse=wh, on_hand__gte=F("reserved") + quantity,
        ).update(reserved=F("reserved") + quantity)
        if updated:
            reservation = Reservation.objects.create(sku=sku, warehouse=wh, quantity=quantity, reference=reference,
                                                     created_at=clock.now())
            audit.record_event("inventory.reserve", actor=actor, obj=reservation,
                               changes={"reserved": {"before": None, "after": quantity}})
            _changed(sku.pk)
            return ReserveResult(True, reservation)
    return ReserveResult(False, reason=INSUFFICIENT)


def warehouses_for_shop(shop_id: int) -> list[int]:
    """The active warehouses an order of this shop may ship from, by priority; every active warehouse when none is
    assigned to the shop."""
    serving = list(Warehouse.objects.filter(is_active=True, shops=shop_id).order_by("priority", "id")
                   .values_list("id", flat=True))
    return serving or list(Warehouse.objects.filter(is_active=True).order_by("priority", "id")
                           .values_list("id", flat=True))


@dataclass(frozen=True)
class ReserveRequest:
    sku_id: int
    quantity: int
    reference: str


def reserve_many(requests: list[ReserveRequest], *, warehouse_ids: list[int], notify: bool = True) -> list[int | None]:
    """Reserve for many order lines at once (imports), warehouse by warehouse in the order given, and write the
    Reservation rows in one INSERT. Returns, per request, the new Reservation's id or None when no warehouse had the
    units. The caller's audit event (the order's) records the reservations; call it inside the caller's
    transaction. `notify=False`: the caller sends `stock_changed` itself (`notify_changed`) for many batches at once
    (imports).

    The same outcome as one conditional UPDATE per line in order, with far fewer statements: each SKU's lines are
    first tried together (one UPDATE for their total: when the total fits, every line fits one after the other);
    only the lines of a SKU whose total does not fit are then tried one by one, in order."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_many must run inside the caller's transaction")
    for r in requests:
        _positive(r.quantity)
    granted: list[int | None] = [None] * len(requests)
    pending = list(range(len(requests)))
    for wh in warehouse_ids:
        if not pending:
            break
        by_sku: dict[int, list[int]] = defaultdict(list)
        for i in pending:
            by_sku[requests[i].sku_id].append(i)
        groups = list(by_sku.values())
        totals = [ReserveRequest(requests[group[0]].sku_id, sum(requests[i].quantity for i in group), "")
                  for group in groups]
        one_by_one = []
        for group, took in zip(groups, _conditional_updates(connection, [(t, wh) for t in totals]), strict=True):
            if took:
                for i in group:
                    granted[i] = wh
            elif len(group) > 1:  # a single line that did not fit has had its try
                one_by_one.extend(group)
        one_by_one.sort()
        for i, took in zip(one_by_one, _conditional_updates(connection, [(requests[i], wh) for i in one_by_one]),
                           strict=True):
            if took:
                granted[i] = wh
        pending = [i for i in pending if granted[i] is None]
    now = clock.now()
    made: list[dict | None] = [
        {"sku_id": r.sku_id, "warehouse_id": wh, "quantity": r.quantity, "reference": r.reference,
         "state": Reservation.State.ACTIVE, "created_at": now, "closed_at": None} if wh is not None else None
        for r, wh in zip(requests, granted, strict=True)]
    ids = iter(bulk.insert_rows(Reservation, [row for row in made if row is not None]))
    touched = {row["sku_id"] for row in made if row is not None}
    if touched and notify:
        _changed(*touched)
    return [next(ids) if row is not None else None for row in made]


def _conditional_updates(connection, items: list[tuple[ReserveRequest, int]]) -> list[bool]:
    """One `reserved = reserved + q WHERE on_hand - reserved >= q` per item, in order; which ones took.

    The same statement on both databases, without the per-statement overhead of the ORM's cursor: SQLite runs it
    in process through the driver's own cursor; PostgreSQL sends the batch in one pipeline (psycopg executemany
    with RETURNING), so a chunk of lines is one round trip instead of one per line."""
    table = connection.ops.quote_name(WarehouseStock._meta.db_table)
    if connection.vendor == "sqlite":
        sql = f"UPDATE {table} SET reserved = reserved + ? WHERE sku_id = ? AND warehouse_id = ? AND on_hand - reserved >= ?"  # noqa: E501, S608
        cursor = connection.connection.cursor()
        try:
            results = []
            for r, wh in items:
                cursor.execute(sql, (r.quantity, r.sku_id, wh, r.quantity))
                results.append(cursor.rowcount == 1)
            return results
        finally:
            cursor.close()
    sql = (f"UPDATE {table} SET reserved = reserved + %s WHERE sku_id = %s AND warehouse_id = %s "  # noqa: S608
           f"AND on_hand - reserved >= %s RETURNING 1")
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "results"):
            raw.executemany(sql, [(r.quantity, r.sku_id, wh, r.quantity) for r, wh in items], returning=True)
            results = []
            for _result in raw.results():
                results.append(raw.fetchone() is not None)
            return results
        results = []
        for r, wh in items:
            cursor.execute(sql, [r.quantity, r.sku_id, wh, r.quantity])
            results.append(cursor.fetchone() is not None)
        return results


def notify_changed(sku_ids) -> None:
    """Tell the listeners (listing auto delist/relist) that these SKUs' stock changed; inside a transaction."""
    if sku_ids:
        _changed(*sku_ids)


@transaction.atomic
def release(reservation: Reservation, *, actor=None) -> bool:
    """Give the units back (order cancelled). False if the reservation was no longer active (idempotent)."""
    if not Reservation.objects.filter(pk=reservation.pk, state=Reservation.State.ACTIVE).update(
            state=Reservation.State.RELEASED, closed_at=clock.now()):
        return False
    WarehouseStock.objects.filter(sku_id=reservation.sku_id, warehouse_id=reservation.warehouse_id).update(
        reserved=F("reserved") - reservation.quantity)
    reservation.refresh_from_db()
    audit.record_event("inventory.release", actor=actor, obj=reservation,
                       changes={"state": {"before": "active", "after": "released"}})
    _changed(reservation.sku_id)
    return True


@transaction.atomic
def consume(reservation: Reservation, *, actor=None, posted_on: date | None = None) -> list[Movement]:
    """Ship the reserved units (出库): on_hand and reserved go down together, lots are taken oldest first."""
    posted_on = posted_on or clock.today()
    check_period_open(posted_on)
    if not Reservation.objects.filter(pk=reservation.pk, state=Reservation.State.ACTIVE).update(
            state=Reservation.State.CONSUMED, closed_at=clock.now()):
        raise Conflict(gettext("This reservation was already released or shipped."), code="reservation_closed")
    q = reservation.quantity
    WarehouseStock.objects.filter(sku_id=reservation.sku_id, warehouse_id=reservation.warehouse_id).update(
        on_hand=F("on_hand") - q, reserved=F("reserved") - q)
    movements = _take_fifo(reservation.sku_id, reservation.warehouse_id, q, Movement.Type.SHIPMENT,
                           reservation.reference, actor, posted_on)
    reservation.refresh_from_db()
    audit.record_event("inventory.consume", actor=actor, obj=reservation,
                       changes={"state": {"before": "active", "after": "consumed"}, "shipped": {"before": None,
                                                                                          "after": q}})
    _changed(reservation.sku_id)
    return movements


def _take_fifo(sku_id, warehouse_id, quantity, movement_type, reference, actor, posted_on,
               location: Location | None = None) -> list[Movement]:
    """Take `quantity` units from the oldest lots (of one location, or of the whole warehouse) and post movements.
    The caller has already taken the units off WarehouseStock in this transaction."""
    lots = Lot.objects.select_for_update().filter(sku_id=sku_id, quantity__gt=0)
    lots = lots.filter(location=location) if location is not None else lots.filter(location__warehouse_id=warehouse_id)
    remaining = quantity
    movements = []
    for lot in lots.order_by("received_on", "id"):
        take = min(lot.quantity, remaining)
        Lot.objects.filter(pk=lot.pk).update(quantity=F("quantity") - take)
        LocationStock.objects.filter(sku_id=sku_id, location_id=lot.location_id).update(on_hand=F("on_hand") - take)
        movements.append(Movement(sku_id=sku_id, location_id=lot.location_id, quantity=-take, type=movement_type,
                                  reference=reference, lot=lot, posted_on=posted_on, occurred_at=clock.now(),
                                  actor=person(actor)))
        remaining -= take
        if remaining == 0:
            break
    if remaining:
        # The figures disagree with the lots: refuse (the transaction rolls back) rather than post a wrong ledger.
        raise InsufficientStock(gettext("The lots hold %(missing)d fewer units than the stock figures: run "
                                        "`shopdesk stock verify`.") % {"missing": remaining})
    return Movement.objects.bulk_create(movements)


# --- postings that change on_hand -----------------------------------------------------------------------------------


@transaction.atomic
def receive(*, sku, location: Location, quantity: int, reference: str, actor=None, received_on: date | None = None,
            posted_on: date | None = None, movement_type: str = Movement.Type.RECEIPT, note: str = "") -> Movement:
    """Put units into a location as a new lot (入库, return restock, stocktake surplus, transfer arrival)."""
    _positive(quantity)
    posted_on = posted_on or clock.today()
    check_period_open(posted_on)
    lot = Lot.objects.create(sku=sku, location=location, received_on=received_on or posted_on, quantity=quantity,
                             reference=reference)
    row, _ = LocationStock.objects.get_or_create(sku=sku, location=location)
    LocationStock.objects.filter(pk=row.pk).update(on_hand=F("on_hand") + quantity)
    stock, _ = WarehouseStock.objects.get_or_create(sku=sku, warehouse_id=location.warehouse_id)
    WarehouseStock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    movement = Movement.objects.create(sku=sku, location=location, quantity=quantity, type=movement_type,
                                       reference=reference, lot=lot, posted_on=posted_on, occurred_at=clock.now(),
                                       actor=person(actor),
                                       note=note)
    audit.record_event(f"inventory.{movement_type}", actor=actor, obj=movement,
                       changes={"on_hand": {"before": None, "after": f"+{quantity}"}}, reason=reference)
    _changed(sku.pk)
    return movement


@transaction.atomic
def remove(*, sku, warehouse: Warehouse, quantity: int, reference: str, movement_type: str, actor=None,
           location: Location | None = None, posted_on: date | None = None, note: str = "") -> list[Movement]:
    """Take available (unreserved) units out, oldest lots first: damage/loss, stocktake shortage, transfer out.

    One conditional UPDATE takes them off the warehouse figure, so reserved units are never removed.
    """
    _positive(quantity)
    posted_on = posted_on or clock.today()
    check_period_open(posted_on)
    if location is not None and LocationStock.objects.filter(
            sku=sku, location=location, on_hand__gte=quantity).count() == 0:
        raise InsufficientStock(gettext("Location %(loc)s holds fewer than %(q)d units of %(sku)s.")
                                % {"loc": location, "q": quantity, "sku": sku.code},
                                fields={"quantity": [gettext("More than the location holds.")]})
    if not WarehouseStock.objects.filter(sku=sku, warehouse=warehouse,
                                         on_hand__gte=F("reserved") + quantity).update(on_hand=F("on_hand") - quantity):
        raise InsufficientStock(gettext("Only the available (unreserved) units of %(sku)s can be removed from "
                                        "%(wh)s.") % {"sku": sku.code, "wh": warehouse.name},
                                fields={"quantity": [gettext("More than is available.")]})
    movements = _take_fifo(sku.pk, warehouse.pk, quantity, movement_type, reference, actor, posted_on, location)
    if note:
        Movement.objects.filter(pk__in=[m.pk for m in movements]).update(note=note)
    audit.record_event(f"inventory.{movement_type}", actor=actor, obj=movements[0],
                       changes={"on_hand": {"before": None, "after": f"-{quantity}"}}, reason=reference)
    _changed(sku.pk)
    return movements


@transaction.atomic
def move(*, sku, from_location: Location, to_location: Location, quantity: int, reference: str, actor=None,
         posted_on: date | None = None) -> list[Movement]:
    """Put-away or re-slot within one warehouse: lots keep their receipt dates; warehouse figures do not change."""
    _positive(quantity)
    if from_location.warehouse_id != to_location.warehouse_id:
        raise ServiceError(gettext("Use a transfer to move stock between warehouses."), code="cross_warehouse")
    posted_on = posted_on or clock.today()
    check_period_open(posted_on)
    if not LocationStock.objects.filter(sku=sku, location=from_location, on_hand__gte=quantity).exists():
        raise InsufficientStock(gettext("Location %(loc)s holds fewer than %(q)d units of %(sku)s.")
                                % {"loc": from_location, "q": quantity, "sku": sku.code})
    out = _take_fifo(sku.pk, from_location.warehouse_id, quantity, Movement.Type.MOVE, reference, actor, posted_on,
                     from_location)
    row, _ = LocationStock.objects.get_or_create(sku=sku, location=to_location)
    LocationStock.objects.filter(pk=row.pk).update(on_hand=F("on_hand") + quantity)
    arrivals = []
    for m in out:
        lot = Lot.objects.create(sku=sku, location=to_location, received_on=m.lot.received_on, quantity=-m.quantity,
                                 reference=m.lot.reference)
        arrivals.append(Movement(sku=sku, location=to_location, quantity=-m.quantity, type=Movement.Type.MOVE,
                                 reference=reference, lot=lot, posted_on=posted_on, occurred_at=clock.now(),
                                 actor=m.actor))
    Movement.objects.bulk_create(arrivals)
    audit.record_event("inventory.move", actor=actor, obj=out[0], reason=reference,
                       changes={"location": {"before": str(from_location), "after": str(to_location)},
                                "quantity": {"before": None, "after": quantity}})
    return out + arrivals


@transaction.atomic
def close_period(*, month: date, actor=None) -> ClosedPeriod:
    """Close a month (月结): from now on no stock posting may be dated in it or any earlier month."""
    month = _month(month)
    if month >= _month(clock.today()):
        raise ServiceError(gettext("Only a past month can be closed."), code="month_not_over",
                           fields={"month": [gettext("Choose a month that has ended.")]})
    period, created = ClosedPeriod.objects.get_or_create(month=month, defaults={
        "closed_by": person(actor), "closed_at": clock.now()})
    if not created:
        raise Conflict(gettext("%(month)s is already closed.") % {"month": f"{month:%Y-%m}"}, code="already_closed")
    audit.record_event("inventory.close_period", actor=actor, obj=period,
                       changes={"month": {"before": None, "after": f"{month:%Y-%m}"}})
    return period


# --- the proof: 账实相符 ----------------------------------------------------------------------------------------------


def verify_ledger() -> list[str]:
    """Every disagreement between the ledger and the figures, as readable lines; empty when the books agree.

    Checks per SKU and location: sum of movements == on hand == sum of lots; per SKU and warehouse: sum of locations
    == warehouse on hand, sum of active reservations == reserved, and 0 <= reserved <= on hand.
    """
    problems = []
    moved = {(r["sku_id"], r["location_id"]): r["total"] for r in
             Movement.objects.values("sku_id", "location_id").annotate(total=Sum("quantity")).order_by()}
    in_lots = {(r["sku_id"], r["location_id"]): r["total"] for r in
               Lot.objects.values("sku_id", "location_id").annotate(total=Sum("quantity")).order_by()}
    at_location = {(r["sku_id"], r["location_id"]): r["on_hand"] for r in
                   LocationStock.objects.values("sku_id", "location_id", "on_hand")}
    for key in sorted(set(moved) | set(in_lots) | set(at_location)):
        m, lots, loc = moved.get(key, 0), in_lots.get(key, 0), at_location.get(key, 0)
        if not m == lots == loc:
            problems.append(f"sku {key[0]} location {key[1]}: movements {m}, lots {lots}, on hand {loc}")
        if loc < 0:
            problems.append(f"sku {key[0]} location {key[1]}: negative on hand {loc}")
    location_warehouse = dict(Location.objects.values_list("id", "warehouse_id"))
    per_warehouse = defaultdict(int)
    for (sku_id, location_id), qty in at_location.items():
        per_warehouse[(sku_id, location_warehouse[location_id])] += qty
    reserved = {(r["sku_id"], r["warehouse_id"]): r["total"] for r in
                Reservation.objects.filter(state=Reservation.State.ACTIVE).values("sku_id", "warehouse_id")
                .annotate(total=Sum("quantity")).order_by()}
    stock = {(r["sku_id"], r["warehouse_id"]): (r["on_hand"], r["reserved"]) for r in
             WarehouseStock.objects.values("sku_id", "warehouse_id", "on_hand", "reserved")}
    for key in sorted(set(stock) | set(per_warehouse) | set(reserved)):
        on_hand, res = stock.get(key, (0, 0))
        if on_hand != per_warehouse.get(key, 0):
            problems.append(f"sku {key[0]} warehouse {key[1]}: on hand {on_hand}, locations sum "
                            f"{per_warehouse.get(key, 0)}")
        if res != reserved.get(key, 0):
            problems.append(f"sku {key[0]} warehouse {key[1]}: reserved {res}, active reservations "
                            f"{reserved.get(key, 0)}")
        if res < 0 or res > on_hand:
            problems.append(f"sku {key[0]} warehouse {key[1]}: reserved {res} outside 0..{on_hand}")
    return problems
