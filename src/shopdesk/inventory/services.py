"""Every write of the warehouse: set-up, purchase orders and receiving (入库), put-away (上架), transfers (调拨),
stocktakes (盘点), stock thresholds and the month close (月结).

Each function is one business action: it runs in one transaction, authorizes the person
(`staff.authz.authorize`; actor None is the system), validates and names the line and field at fault, changes stock
only through `inventory.engine` (which writes the ledger and its own audit rows) and records the document's audit
event with the grant, so a stand-in's action is marked as such.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext, ngettext

from shopdesk.catalog.models import SKU
from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, ServiceError, validation_fields
from shopdesk.inventory import engine, selectors
from shopdesk.inventory.engine import person
from shopdesk.inventory.models import (
    Location,
    LocationStock,
    Movement,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Stocktake,
    StocktakeLine,
    StockThreshold,
    Transfer,
    TransferLine,
    Warehouse,
    WarehouseStock,
    Zone,
)
from shopdesk.staff.authz import authorize_actor

MAX_LISTED = 10  # how many offending lines an error message names before "and N more"


_authorize = authorize_actor  # the system (actor None) acts without a permission check


def _refuse(message: str, fields: dict[str, list[str]] | None = None, code: str = "invalid") -> ServiceError:
    return ServiceError(message, code=code, fields=fields or {})


def _listing(items: list[str]) -> str:
    shown = "; ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += " " + gettext("and %(n)d more") % {"n": len(items) - MAX_LISTED}
    return shown




def _full_clean(obj, what: str, **kw) -> None:
    try:
        obj.full_clean(**kw)
    except ValidationError as exc:
        fields = validation_fields(exc)
        text = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
        raise _refuse(gettext("Invalid %(what)s: %(problems)s") % {"what": what, "problems": text},
                      fields) from exc


def _whole(value, *, minimum: int = 0) -> int | None:
    """A whole number >= minimum from an int or a string, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text.lstrip("-").isdigit():
            return None
        number = int(text)
    return number if number >= minimum else None


def _next_number(model, prefix: str) -> str:
    """PREFIX + local date + running number of the day, e.g. RK20261122-003."""
    base = f"{prefix}{clock.localnow():%Y%m%d}-"
    last = model.objects.filter(number__startswith=base).order_by("-number").values_list("number", flat=True).first()
    sequence = int(last.rsplit("-", 1)[1]) + 1 if last and last.rsplit("-", 1)[1].isdigit() else 1
    return f"{base}{sequence:03d}"


def _create_numbered(model, prefix: str, number: str = "", **fields):
    """Create a document with the number given (refused when taken) or the next free one; when two people take
    the same next number at once, the unique index refuses the second and it takes the following number."""
    number = (number or "").strip()
    if number:
        if model.objects.filter(number=number).exists():
            raise Conflict(gettext("Number %(n)s is already used.") % {"n": number}, code="number_taken",
                           fields={"number": [gettext("This number is already used.")]})
        return model.objects.create(number=number, **fields)
    for attempt in range(5):
        try:
            with transaction.atomic():
                return model.objects.create(number=_next_number(model, prefix), **fields)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _check_open(day: date, field: str) -> None:
    """不跨月记账 (000:505): a document dated in a closed month is refused beside its date field."""
    try:
        engine.check_period_open(day)
    except engine.PeriodClosed as exc:
        raise engine.PeriodClosed(exc.message, code=exc.code, fields={field: exc.fields.get("posted_on", [])}) \
            from exc


# --- warehouses, zones, locations ----------------------------------------------------------------------------------

_WAREHOUSE_FIELDS = ["code", "name", "priority", "is_active", "shops"]


@transaction.atomic
def create_warehouse(*, actor, code: str, name: str, shops=(), priority: int = 100) -> Warehouse:
    """Add a warehouse and the shops it serves (stock of a shop is the sum over its warehouses)."""
    grant = _authorize(actor, "inventory.add_warehouse")
    code = (code or "").strip()
    if Warehouse.objects.filter(code__iexact=code).exists():
        raise Conflict(gettext("Warehouse %(code)s already exists.") % {"code": code}, code="warehouse_exists",
                       fields={"code": [gettext("A warehouse with this code already exists.")]})
    warehouse = Warehouse(code=code, name=(name or "").strip(), priority=priority)
    _full_clean(warehouse, gettext("warehouse"))
    warehouse.save()
    warehouse.shops.set(shops)
    audit.record_event("inventory.create_warehouse", actor=actor, obj=warehouse, grant=grant,
                       changes=audit.created(warehouse, _WAREHOUSE_FIELDS))
    return warehouse


@transaction.atomic
def update_warehouse(*, actor, warehouse: Warehouse, name: str | None = None, shops=None,
                     priority: int | None = None, is_active: bool | None = None) -> Warehouse:
    """Rename a warehouse, change the shops it serves, its priority, or close it (its records stay)."""
    grant = _authorize(actor, "inventory.change_warehouse")
    before = audit.snapshot(warehouse, _WAREHOUSE_FIELDS)
    if name is not None:
        warehouse.name = name.strip()
    if priority is not None:
        warehouse.priority = priority
    if is_active is not None:
        if not is_active and WarehouseStock.objects.filter(warehouse=warehouse, on_hand__gt=0).exists():
            raise _refuse(gettext("Warehouse %(w)s still holds stock: transfer it out before closing the "
                                  "warehouse.") % {"w": warehouse.name},
                          {"is_active": [gettext("The warehouse still holds stock.")]}, code="warehouse_not_empty")
        warehouse.is_active = is_active
    _full_clean(warehouse, gettext("warehouse"), validate_unique=False)
    warehouse.save()
    if shops is not None:
        warehouse.shops.set(shops)
    changes = audit.changes_between(before, audit.snapshot(warehouse, _WAREHOUSE_FIELDS))
    if changes:
        audit.record_event("inventory.update_warehouse", actor=actor, obj=warehouse, grant=grant, changes=changes)
    return warehouse


@transaction.atomic
def create_zone(*, actor, warehouse: Warehouse, code: str, name: str) -> Zone:
    """Add a zone (分区) to a warehouse: receiving, pick zones, returns (000:490 按区域摆放)."""
    grant = _authorize(actor, "inventory.add_zone")
    code = (code or "").strip()
    if Zone.objects.filter(warehouse=warehouse, code__iexact=code).exists():
        raise Conflict(gettext("Zone %(code)s already exists in %(w)s.") % {"code": code, "w": warehouse.name},
                       code="zone_exists", fields={"code": [gettext("This warehouse already has this zone.")]})
    zone = Zone(warehouse=warehouse, code=code, name=(name or "").strip())
    _full_clean(zone, gettext("zone"))
    zone.save()
    audit.record_event("inventory.create_zone", actor=actor, obj=zone, grant=grant,
                       changes=audit.created(zone, ["warehouse", "code", "name"]))
    return zone


@transaction.atomic
def update_zone(*, actor, zone: Zone, name: str) -> Zone:
    """Rename a zone (its code stays: locations and counts refer to it)."""
    grant = _authorize(actor, "inventory.change_zone")
    before = audit.snapshot(zone, ["name"])
    zone.name = (name or "").strip()
    _full_clean(zone, gettext("zone"), validate_unique=False)
    zone.save(update_fields=["name"])
    changes = audit.changes_between(before, audit.snapshot(zone, ["name"]))
    if changes:
        audit.record_event("inventory.update_zone", actor=actor, obj=zone, grant=grant, changes=changes)
    return zone


@transaction.atomic
def create_locations(*, actor, warehouse: Warehouse, zone: Zone, codes: list[str]) -> list[Location]:
    """Add shelf locations (库位, e.g. A-01-03) to a zone; all or none."""
    grant = _authorize(actor, "inventory.add_location")
    if zone.warehouse_id != warehouse.pk:
        raise _refuse(gettext("Zone %(z)s is not in warehouse %(w)s.") % {"z": zone.code, "w": warehouse.name},
                      {"zone": [gettext("Choose a zone of this warehouse.")]})
    cleaned = [c.strip() for c in codes if c and c.strip()]
    if not cleaned:
        raise _refuse(gettext("Give at least one location code."), {"codes": [gettext("This field is required.")]},
                      code="required")
    problems = []
    seen = set()
    for n, code in enumerate(cleaned, 1):
        if code.lower() in seen:
            problems.append(gettext("line %(n)d: %(code)s is repeated") % {"n": n, "code": code})
        seen.add(code.lower())
        if len(code) > Location._meta.get_field("code").max_length:
            problems.append(gettext("line %(n)d: %(code)s is too long") % {"n": n, "code": code})
    taken = set(Location.objects.filter(warehouse=warehouse).values_list("code", flat=True))
    taken_lower = {t.lower() for t in taken}
    for n, code in enumerate(cleaned, 1):
        if code.lower() in taken_lower:
            problems.append(gettext("line %(n)d: %(code)s already exists") % {"n": n, "code": code})
    if problems:
        raise _refuse(gettext("Locations not added: %(problems)s") % {"problems": _listing(problems)},
                      {"codes": problems}, code="invalid_locations")
    Location.objects.bulk_create([Location(warehouse=warehouse, zone=zone, code=c) for c in cleaned])
    created = list(Location.objects.filter(warehouse=warehouse, code__in=cleaned).select_related("zone"))
    for location in created:
        audit.record_event("inventory.create_location", actor=actor, obj=location, grant=grant,
                           changes=audit.created(location, ["warehouse", "zone", "code"]))
    return created


@transaction.atomic
def update_location(*, actor, location: Location, zone: Zone | None = None,
                    is_active: bool | None = None) -> Location:
    """Move a location to another zone of its warehouse, or retire it (only when it is empty)."""
    grant = _authorize(actor, "inventory.change_location")
    fields = ["zone", "is_active"]
    before = audit.snapshot(location, fields)
    if zone is not None:
        if zone.warehouse_id != location.warehouse_id:
            raise _refuse(gettext("Zone %(z)s is not in the location's warehouse.") % {"z": zone.code},
                          {"zone": [gettext("Choose a zone of this warehouse.")]})
        location.zone = zone
    if is_active is not None:
        if not is_active and LocationStock.objects.filter(location=location, on_hand__gt=0).exists():
            raise _refuse(gettext("Location %(l)s still holds stock: move it out before retiring the location.")
                          % {"l": location.code}, {"is_active": [gettext("The location still holds stock.")]},
                          code="location_not_empty")
        location.is_active = is_active
    location.save(update_fields=["zone", "is_active"])
    changes = audit.changes_between(before, audit.snapshot(location, fields))
    if changes:
        audit.record_event("inventory.update_location", actor=actor, obj=location, grant=grant, changes=changes)
    return location


# --- document lines ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineInput:
    """One line of a purchase order or transfer: a SKU (object or code) and a quantity (int or text)."""

    sku: SKU | str
    quantity: int | str


def _resolve_lines(lines, *, field: str = "lines") -> list[tuple[SKU, int]]:
    """SKUs and quantities, or one error naming every bad line ("Line 2: unknown SKU X")."""
    lines = list(lines or [])
    if not lines:
        raise _refuse(gettext("Add at least one line."), {field: [gettext("Add at least one line.")]},
                      code="no_lines")
    codes = [line.sku for line in lines if isinstance(line.sku, str)]
    by_code = {s.code.lower(): s for s in SKU.objects.filter(code__in=codes).select_related("product")}
    if len(by_code) < len({c.lower() for c in codes}):
        # Case-insensitive fallback for codes typed in another case.
        for code in codes:
            if code.lower() not in by_code:
                found = SKU.objects.filter(code__iexact=code.strip()).select_related("product").first()
                if found:
                    by_code[code.lower()] = found
    problems, resolved, seen = [], [], {}
    for n, line in enumerate(lines, 1):
        sku = line.sku if isinstance(line.sku, SKU) else by_code.get(line.sku.strip().lower())
        quantity = _whole(line.quantity, minimum=1)
        if sku is None:
            problems.append(gettext("Line %(n)d: unknown SKU %(code)s") % {"n": n, "code": line.sku})
        elif sku.pk in seen:
            problems.append(gettext("Line %(n)d: SKU %(code)s is already on line %(first)d")
                            % {"n": n, "code": sku.code, "first": seen[sku.pk]})
        else:
            seen[sku.pk] = n
        if quantity is None:
            problems.append(gettext("Line %(n)d: the quantity must be a whole number above zero (got %(q)s)")
                            % {"n": n, "q": line.quantity})
        if sku is not None and quantity is not None:
            resolved.append((sku, quantity))
    if problems:
        raise _refuse(gettext("Please correct the lines: %(problems)s") % {"problems": _listing(problems)},
                      {field: problems}, code="invalid_lines")
    return resolved


# --- purchase orders and receiving (入库, 000:489) -------------------------------------------------------------------


@transaction.atomic
def create_purchase_order(*, actor, supplier: str, warehouse: Warehouse, lines, expected_on: date | None = None,
                          number: str = "", note: str = "") -> PurchaseOrder:
    """采购订单: what the supplier is to deliver to which warehouse; receipts are checked against it (000:489)."""
    grant = _authorize(actor, "inventory.add_purchaseorder")
    errors = {}
    if not (supplier or "").strip():
        errors["supplier"] = [gettext("This field is required.")]
    if not warehouse.is_active:
        errors["warehouse"] = [gettext("Warehouse %(w)s is closed.") % {"w": warehouse.name}]
    if errors:
        raise _refuse(gettext("Purchase order not created: %(problems)s")
                      % {"problems": "; ".join(m for v in errors.values() for m in v)}, errors)
    resolved = _resolve_lines(lines)
    po = _create_numbered(PurchaseOrder, "CG", number, supplier=supplier.strip(), warehouse=warehouse,
                          expected_on=expected_on, note=(note or "").strip()[:200], created_by=person(actor),
                          created_at=clock.now())
    PurchaseOrderLine.objects.bulk_create([PurchaseOrderLine(purchase_order=po, sku=sku, ordered=q)
                                           for sku, q in resolved])
    audit.record_event("inventory.create_purchase_order", actor=actor, obj=po, grant=grant, changes={
        **audit.created(po, ["supplier", "warehouse", "expected_on"]),
        "lines": {"before": None, "after": [f"{sku.code} x{q}" for sku, q in resolved]}})
    return po


@transaction.atomic
def close_purchase_order(*, actor, purchase_order: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """Close a purchase order: the supplier will deliver nothing more (the short quantities stay on record)."""
    grant = _authorize(actor, "inventory.change_purchaseorder")
    po = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    if po.state == PurchaseOrder.State.CLOSED:
        raise Conflict(gettext("Purchase order %(n)s is already closed.") % {"n": po.number}, code="already_closed")
    drafts = list(po.receipts.filter(state=Receipt.State.DRAFT).values_list("number", flat=True))
    if drafts:
        raise Conflict(gettext("Post or discard the draft receipts first: %(r)s") % {"r": ", ".join(drafts)},
                       code="draft_receipts")
    before = po.state
    po.state = PurchaseOrder.State.CLOSED
    po.closed_at = clock.now()
    po.save(update_fields=["state", "closed_at"])
    audit.record_event("inventory.close_purchase_order", actor=actor, obj=po, grant=grant, reason=reason,
                       changes={"state": {"before": before, "after": po.state}})
    return po


@dataclass(frozen=True)
class ReceiptLineInput:
    """One SKU of a delivery: how many the delivery note / purchase order expects (None: what is still
    outstanding on the order), how many arrived, and the location they go to."""

    sku: SKU | str
    received: int | str
    location: Location | str | None = None
    expected: int | str | None = None


def _receipt_lines(po: PurchaseOrder, lines, warehouse: Warehouse) -> list[dict]:
    lines = list(lines or [])
    if not lines:
        raise _refuse(gettext("Add at least one line."), {"lines": [gettext("Add at least one line.")]},
                      code="no_lines")
    po_lines = {pl.sku_id: pl for pl in po.lines.select_related("sku")}
    by_code = {pl.sku.code.lower(): pl.sku for pl in po_lines.values()}
    locations = {loc.code.lower(): loc for loc in Location.objects.filter(warehouse=warehouse)}
    problems, rows, seen = [], [], {}
    for n, line in enumerate(lines, 1):
        sku = line.sku if isinstance(line.sku, SKU) else by_code.get(str(line.sku).strip().lower())
        label = sku.code if sku is not None else str(line.sku)
        if sku is None or sku.pk not in po_lines:
            problems.append(gettext("Line %(n)d: SKU %(code)s is not on purchase order %(po)s")
                            % {"n": n, "code": label, "po": po.number})
            continue
        if sku.pk in seen:
            problems.append(gettext("Line %(n)d: SKU %(code)s is already on line %(first)d")
                            % {"n": n, "code": label, "first": seen[sku.pk]})
            continue
        seen[sku.pk] = n
        po_line = po_lines[sku.pk]
        received = _whole(line.received)
        if received is None:
            problems.append(gettext("Line %(n)d (%(code)s): the received quantity must be a whole number, 0 or "
                                    "more (got %(q)s)") % {"n": n, "code": label, "q": line.received})
        expected = po_line.outstanding if line.expected in (None, "") else _whole(line.expected)
        if expected is None:
            problems.append(gettext("Line %(n)d (%(code)s): the expected quantity must be a whole number, 0 or "
                                    "more (got %(q)s)") % {"n": n, "code": label, "q": line.expected})
        location = line.location
        if isinstance(location, str) or location is None:
            location = locations.get((location or "").strip().lower())
        if location is None:
            problems.append(gettext("Line %(n)d (%(code)s): choose a location of %(w)s")
                            % {"n": n, "code": label, "w": warehouse.name})
        elif location.warehouse_id != warehouse.pk or not location.is_active:
            problems.append(gettext("Line %(n)d (%(code)s): location %(loc)s is not an active location of %(w)s")
                            % {"n": n, "code": label, "loc": location.code, "w": warehouse.name})
        if received is not None and expected is not None and location is not None:
            rows.append({"sku": sku, "po_line": po_line, "received": received, "expected": expected,
                         "location": location})
    if problems:
        raise _refuse(gettext("Please correct the receipt lines: %(problems)s") % {"problems": _listing(problems)},
                      {"lines": problems}, code="invalid_lines")
    if not any(r["received"] for r in rows):
        raise _refuse(gettext("Nothing was received: enter the quantity that arrived on at least one line."),
                      {"lines": [gettext("Enter the quantity that arrived on at least one line.")]},
                      code="nothing_received")
    return rows


@transaction.atomic
def create_receipt(*, actor, purchase_order: PurchaseOrder, delivery_note_number: str, received_on: date,
                   lines, note: str = "", post: bool = False) -> Receipt:
    """入库单: check a delivery against its purchase order and delivery note (核实数量...与货单一致, 000:489).

    Short and over deliveries are recorded per line (expected vs received); `post=True` also posts it.
    """
    grant = _authorize(actor, "inventory.add_receipt")
    po = PurchaseOrder.objects.select_for_update(of=("self",)).select_related("warehouse").get(pk=purchase_order.pk)
    errors = {}
    if po.state == PurchaseOrder.State.CLOSED:
        raise Conflict(gettext("Purchase order %(n)s is closed: nothing more can be received on it.")
                       % {"n": po.number}, code="po_closed", fields={"purchase_order": [gettext("Closed.")]})
    dn = (delivery_note_number or "").strip()
    if not dn:
        errors["delivery_note_number"] = [gettext("This field is required.")]
    if received_on is None:
        errors["received_on"] = [gettext("This field is required.")]
    elif received_on > clock.today():
        errors["received_on"] = [gettext("Goods cannot be received in the future.")]
    if errors:
        raise _refuse(gettext("Receipt not created: %(problems)s")
                      % {"problems": "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())}, errors)
    duplicate = po.receipts.filter(delivery_note_number__iexact=dn).first()
    if duplicate is not None:
        raise Conflict(gettext("Delivery note %(dn)s of purchase order %(po)s is already on receipt %(r)s.")
                       % {"dn": dn, "po": po.number, "r": duplicate.number}, code="delivery_note_used",
                       fields={"delivery_note_number": [gettext("Already received on %(r)s.")
                                                        % {"r": duplicate.number}]})
    _check_open(received_on, "received_on")
    rows = _receipt_lines(po, lines, po.warehouse)
    receipt = _create_numbered(Receipt, "RK", purchase_order=po, warehouse=po.warehouse, delivery_note_number=dn,
                               received_on=received_on, note=(note or "")[:200], created_by=person(actor),
                               created_at=clock.now())
    ReceiptLine.objects.bulk_create([ReceiptLine(receipt=receipt, po_line=r["po_line"], sku=r["sku"],
                                                 expected=r["expected"], received=r["received"],
                                                 location=r["location"]) for r in rows])
    audit.record_event("inventory.create_receipt", actor=actor, obj=receipt, grant=grant, changes={
        **audit.created(receipt, ["purchase_order", "delivery_note_number", "received_on"]),
        "lines": {"before": None, "after": [_line_summary(r["sku"].code, r["expected"], r["received"])
                                            for r in rows]}})
    if post:
        return _post_receipt(actor, grant, receipt)
    return receipt


def _line_summary(code: str, expected: int, received: int) -> str:
    diff = received - expected
    return f"{code} {received}/{expected}" + (f" ({diff:+d})" if diff else "")


@transaction.atomic
def post_receipt(*, actor, receipt: Receipt) -> Receipt:
    """Post a receipt: each received line enters stock as a lot dated the receipt date (入库日期, FIFO), the purchase
    order's received quantities and state follow. Refused in a closed month (不跨月记账, 000:505)."""
    grant = _authorize(actor, "inventory.add_receipt")
    return _post_receipt(actor, grant, receipt)


def _post_receipt(actor, grant, receipt: Receipt) -> Receipt:
    receipt = Receipt.objects.select_for_update(of=("self",)).select_related("purchase_order").get(pk=receipt.pk)
    if receipt.state != Receipt.State.DRAFT:
        raise Conflict(gettext("Receipt %(r)s is already posted.") % {"r": receipt.number}, code="already_posted")
    po = PurchaseOrder.objects.select_for_update().get(pk=receipt.purchase_order_id)
    if po.state == PurchaseOrder.State.CLOSED:
        raise Conflict(gettext("Purchase order %(n)s is closed: the receipt cannot be posted.") % {"n": po.number},
                       code="po_closed")
    _check_open(receipt.received_on, "received_on")
    lines = list(receipt.lines.select_related("sku", "location"))
    note = gettext("PO %(po)s, delivery note %(dn)s") % {"po": po.number, "dn": receipt.delivery_note_number}
    for line in lines:
        if line.received:
            engine.receive(sku=line.sku, location=line.location, quantity=line.received, reference=receipt.number,
                           actor=actor, received_on=receipt.received_on, posted_on=receipt.received_on,
                           movement_type=Movement.Type.RECEIPT, note=note[:200])
            PurchaseOrderLine.objects.filter(pk=line.po_line_id).update(received=F("received") + line.received)
    before_state = po.state
    po.state = _po_state(po)
    po.save(update_fields=["state"])
    receipt.state = Receipt.State.POSTED
    receipt.posted_by = person(actor)
    receipt.posted_at = clock.now()
    receipt.save(update_fields=["state", "posted_by", "posted_at"])
    short = [_line_summary(x.sku.code, x.expected, x.received) for x in lines if x.received < x.expected]
    over = [_line_summary(x.sku.code, x.expected, x.received) for x in lines if x.received > x.expected]
    changes = {"state": {"before": Receipt.State.DRAFT, "after": Receipt.State.POSTED},
               "purchase_order_state": {"before": before_state, "after": po.state}}
    if short:
        changes["short"] = {"before": None, "after": short}
    if over:
        changes["over"] = {"before": None, "after": over}
    audit.record_event("inventory.post_receipt", actor=actor, obj=receipt, grant=grant, changes=changes)
    return receipt


def _po_state(po: PurchaseOrder) -> str:
    lines = list(po.lines.values_list("ordered", "received"))
    if lines and all(received >= ordered for ordered, received in lines):
        return PurchaseOrder.State.RECEIVED
    if any(received for _ordered, received in lines):
        return PurchaseOrder.State.PARTIALLY_RECEIVED
    return PurchaseOrder.State.OPEN


@transaction.atomic
def put_away(*, actor, line: ReceiptLine, to_location: Location, quantity: int | str) -> ReceiptLine:
    """上架: move received units from the receiving location to a shelf location of the same warehouse; the lots
    keep their receipt date (按区域,种类,入库日期摆放, 000:490)."""
    grant = _authorize(actor, "inventory.move_stock")
    line = (ReceiptLine.objects.select_for_update(of=("self",)).select_related("receipt", "sku", "location")
            .get(pk=line.pk))
    if line.receipt.state != Receipt.State.POSTED:
        raise Conflict(gettext("Post receipt %(r)s before putting it away.") % {"r": line.receipt.number},
                       code="not_posted")
    q = _whole(quantity, minimum=1)
    errors = {}
    if q is None:
        errors["quantity"] = [gettext("Must be a whole number above zero.")]
    elif q > line.to_put_away:
        errors["quantity"] = [gettext("Only %(n)d units of %(sku)s are left to put away.")
                              % {"n": line.to_put_away, "sku": line.sku.code}]
    if to_location.warehouse_id != line.location.warehouse_id or not to_location.is_active:
        errors["to_location"] = [gettext("Choose an active location of the same warehouse.")]
    elif to_location.pk == line.location_id:
        errors["to_location"] = [gettext("The goods are already in %(loc)s.") % {"loc": to_location.code}]
    if errors:
        raise _refuse(gettext("Put-away of %(sku)s refused: %(problems)s")
                      % {"sku": line.sku.code, "problems": " ".join(m for v in errors.values() for m in v)}, errors)
    engine.move(sku=line.sku, from_location=line.location, to_location=to_location, quantity=q,
                reference=line.receipt.number, actor=actor, posted_on=clock.today())
    ReceiptLine.objects.filter(pk=line.pk).update(put_away=F("put_away") + q)
    line.refresh_from_db()
    audit.record_event("inventory.put_away", actor=actor, obj=line.receipt, grant=grant, changes={
        "put_away": {"before": None, "after": f"{line.sku.code} x{q} {line.location.code} → {to_location.code}"}})
    return line


@transaction.atomic
def move_stock(*, actor, sku: SKU, from_location: Location, to_location: Location, quantity: int | str,
               reason: str) -> list[Movement]:
    """库位调整: re-slot units within one warehouse (lots keep their receipt dates); the reason is the document."""
    grant = _authorize(actor, "inventory.move_stock")
    q = _whole(quantity, minimum=1)
    errors = {}
    if q is None:
        errors["quantity"] = [gettext("Must be a whole number above zero.")]
    if not (reason or "").strip():
        errors["reason"] = [gettext("Say why the stock moves (the document of the move).")]
    if from_location.warehouse_id != to_location.warehouse_id:
        errors["to_location"] = [gettext("Use a transfer to move stock between warehouses.")]
    elif from_location.pk == to_location.pk:
        errors["to_location"] = [gettext("Choose another location.")]
    elif not to_location.is_active:
        errors["to_location"] = [gettext("Location %(l)s is retired.") % {"l": to_location.code}]
    if errors:
        raise _refuse(gettext("Move refused: %(problems)s")
                      % {"problems": " ".join(m for v in errors.values() for m in v)}, errors)
    reference = f"MV{clock.localnow():%Y%m%d%H%M%S}"
    moved = engine.move(sku=sku, from_location=from_location, to_location=to_location, quantity=q,
                        reference=reference, actor=actor, posted_on=clock.today())
    audit.record_event("inventory.move_stock", actor=actor, obj=moved[0], grant=grant, reason=reason.strip(),
                       changes={"moved": {"before": None, "after": f"{sku.code} x{q} {from_location.code} → "
                                                                    f"{to_location.code}"}})
    return moved


# --- transfers between warehouses (调拨) ----------------------------------------------------------------------------


@transaction.atomic
def create_transfer(*, actor, from_warehouse: Warehouse, to_warehouse: Warehouse, lines, note: str = "",
                    number: str = "") -> Transfer:
    """调拨单 (draft): which SKUs go from one warehouse to another."""
    grant = _authorize(actor, "inventory.add_transfer")
    errors = {}
    if from_warehouse.pk == to_warehouse.pk:
        errors["to_warehouse"] = [gettext("Choose a different destination warehouse.")]
    for key, wh in (("from_warehouse", from_warehouse), ("to_warehouse", to_warehouse)):
        if not wh.is_active:
            errors.setdefault(key, []).append(gettext("Warehouse %(w)s is closed.") % {"w": wh.name})
    if errors:
        raise _refuse(gettext("Transfer not created: %(problems)s")
                      % {"problems": " ".join(m for v in errors.values() for m in v)}, errors)
    resolved = _resolve_lines(lines)
    transfer = _create_numbered(Transfer, "DB", number, from_warehouse=from_warehouse, to_warehouse=to_warehouse,
                                note=(note or "").strip()[:200], created_by=person(actor), created_at=clock.now())
    TransferLine.objects.bulk_create([TransferLine(transfer=transfer, sku=sku, quantity=q) for sku, q in resolved])
    audit.record_event("inventory.create_transfer", actor=actor, obj=transfer, grant=grant, changes={
        **audit.created(transfer, ["from_warehouse", "to_warehouse"]),
        "lines": {"before": None, "after": [f"{sku.code} x{q}" for sku, q in resolved]}})
    return transfer


def _locked_transfer(transfer: Transfer, state: str, verb: str) -> Transfer:
    transfer = Transfer.objects.select_for_update(of=("self",)).select_related("from_warehouse", "to_warehouse") \
        .get(pk=transfer.pk)
    if transfer.state != state:
        raise Conflict(gettext("Transfer %(n)s is %(state)s: it cannot be %(verb)s.")
                       % {"n": transfer.number, "state": transfer.get_state_display(), "verb": verb},
                       code="wrong_state")
    return transfer


@transaction.atomic
def dispatch_transfer(*, actor, transfer: Transfer) -> Transfer:
    """Ship a transfer: the units leave the source warehouse oldest lots first (先进先出) and are in transit; the
    receipt dates of the units taken are kept on each line so FIFO survives the trip."""
    grant = _authorize(actor, "inventory.change_transfer")
    transfer = _locked_transfer(transfer, Transfer.State.DRAFT, gettext("dispatched"))
    lines = list(transfer.lines.select_related("sku").order_by("id"))
    stock = {s.sku_id: s.available for s in WarehouseStock.objects.filter(
        warehouse=transfer.from_warehouse, sku_id__in=[line.sku_id for line in lines])}
    short = [gettext("line %(n)d %(sku)s: %(q)d requested, %(a)d available")
             % {"n": n, "sku": line.sku.code, "q": line.quantity, "a": stock.get(line.sku_id, 0)}
             for n, line in enumerate(lines, 1) if stock.get(line.sku_id, 0) < line.quantity]
    if short:
        raise engine.InsufficientStock(
            gettext("Not enough available stock in %(w)s: %(lines)s") % {"w": transfer.from_warehouse.name,
                                                                         "lines": _listing(short)},
            fields={"lines": short})
    posted_on = clock.today()
    for line in lines:
        taken = engine.remove(sku=line.sku, warehouse=transfer.from_warehouse, quantity=line.quantity,
                              reference=transfer.number, movement_type=Movement.Type.TRANSFER_OUT, actor=actor,
                              posted_on=posted_on, note=gettext("to %(w)s") % {"w": transfer.to_warehouse.name})
        per_date: dict[str, int] = defaultdict(int)
        for movement in taken:
            per_date[movement.lot.received_on.isoformat()] += -movement.quantity
        line.lot_dates = [[d, q] for d, q in sorted(per_date.items())]
        line.save(update_fields=["lot_dates"])
    transfer.state = Transfer.State.IN_TRANSIT
    transfer.dispatched_at = clock.now()
    transfer.save(update_fields=["state", "dispatched_at"])
    audit.record_event("inventory.dispatch_transfer", actor=actor, obj=transfer, grant=grant, changes={
        "state": {"before": Transfer.State.DRAFT, "after": Transfer.State.IN_TRANSIT},
        "lots": {"before": None, "after": [f"{line.sku.code} " + ", ".join(f"{d} x{q}" for d, q in line.lot_dates)
                                           for line in lines]}})
    return transfer


@transaction.atomic
def receive_transfer(*, actor, transfer: Transfer, location: Location) -> Transfer:
    """Receive a transfer at the destination into one location; each unit keeps its original receipt date."""
    grant = _authorize(actor, "inventory.change_transfer")
    transfer = _locked_transfer(transfer, Transfer.State.IN_TRANSIT, gettext("received"))
    if location.warehouse_id != transfer.to_warehouse_id or not location.is_active:
        raise _refuse(gettext("Choose an active location of %(w)s.") % {"w": transfer.to_warehouse.name},
                      {"location": [gettext("Choose an active location of %(w)s.")
                                    % {"w": transfer.to_warehouse.name}]})
    posted_on = clock.today()
    lines = list(transfer.lines.select_related("sku").order_by("id"))
    note = gettext("from %(w)s") % {"w": transfer.from_warehouse.name}
    broken = [line.sku.code for line in lines if sum(int(q) for _d, q in line.lot_dates) != line.quantity]
    if broken:
        raise Conflict(gettext("The dispatched lots of %(skus)s do not add up to the transfer quantity.")
                       % {"skus": ", ".join(broken)}, code="lots_mismatch")
    for line in lines:
        for day, quantity in line.lot_dates:
            engine.receive(sku=line.sku, location=location, quantity=int(quantity), reference=transfer.number,
                           actor=actor, received_on=date.fromisoformat(day), posted_on=posted_on,
                           movement_type=Movement.Type.TRANSFER_IN, note=note)
    transfer.state = Transfer.State.RECEIVED
    transfer.received_at = clock.now()
    transfer.save(update_fields=["state", "received_at"])
    audit.record_event("inventory.receive_transfer", actor=actor, obj=transfer, grant=grant, changes={
        "state": {"before": Transfer.State.IN_TRANSIT, "after": Transfer.State.RECEIVED},
        "location": {"before": None, "after": str(location)}})
    return transfer


@transaction.atomic
def cancel_transfer(*, actor, transfer: Transfer, reason: str = "") -> Transfer:
    """Cancel a draft transfer (a dispatched one must be received: its units are already on the road)."""
    grant = _authorize(actor, "inventory.change_transfer")
    transfer = _locked_transfer(transfer, Transfer.State.DRAFT, gettext("cancelled"))
    transfer.state = Transfer.State.CANCELLED
    transfer.save(update_fields=["state"])
    audit.record_event("inventory.cancel_transfer", actor=actor, obj=transfer, grant=grant, reason=reason,
                       changes={"state": {"before": Transfer.State.DRAFT, "after": Transfer.State.CANCELLED}})
    return transfer


# --- stocktakes (盘点, 000:475,491,507) ----------------------------------------------------------------------------


@transaction.atomic
def start_stocktake(*, actor, warehouse: Warehouse, zone: Zone | None = None, note: str = "") -> Stocktake:
    """Open a count of a warehouse or one zone; the expected on hand per SKU and location is snapshotted."""
    grant = _authorize(actor, "inventory.count_stocktake")
    if zone is not None and zone.warehouse_id != warehouse.pk:
        raise _refuse(gettext("Zone %(z)s is not in warehouse %(w)s.") % {"z": zone.code, "w": warehouse.name},
                      {"zone": [gettext("Choose a zone of this warehouse.")]})
    open_counts = Stocktake.objects.filter(warehouse=warehouse, state__in=[Stocktake.State.COUNTING,
                                                                           Stocktake.State.SUBMITTED])
    if zone is not None:
        open_counts = open_counts.filter(zone__isnull=True) | open_counts.filter(zone=zone)
    clash = open_counts.first()
    if clash is not None:
        raise Conflict(gettext("Stocktake %(n)s of the same shelves is still open: finish or cancel it first.")
                       % {"n": clash.number}, code="stocktake_open",
                       fields={"zone": [gettext("A count of these shelves is open: %(n)s") % {"n": clash.number}]})
    stocktake = _create_numbered(Stocktake, "PD", warehouse=warehouse, zone=zone, note=(note or "").strip()[:200],
                                 started_by=person(actor), started_at=clock.now())
    snapshot = LocationStock.objects.filter(location__warehouse=warehouse, on_hand__gt=0)
    if zone is not None:
        snapshot = snapshot.filter(location__zone=zone)
    StocktakeLine.objects.bulk_create([
        StocktakeLine(stocktake=stocktake, sku_id=row.sku_id, location_id=row.location_id, expected=row.on_hand)
        for row in snapshot.order_by("location_id", "sku_id")])
    lines = stocktake.lines.count()
    audit.record_event("inventory.start_stocktake", actor=actor, obj=stocktake, grant=grant, changes={
        **audit.created(stocktake, ["warehouse", "zone"]), "lines": {"before": None, "after": lines}})
    return stocktake


def _counting(stocktake: Stocktake) -> Stocktake:
    stocktake = Stocktake.objects.select_related("warehouse", "zone").get(pk=stocktake.pk)
    if stocktake.state != Stocktake.State.COUNTING:
        raise Conflict(gettext("Stocktake %(n)s is %(state)s: counting is closed.")
                       % {"n": stocktake.number, "state": stocktake.get_state_display()}, code="not_counting")
    return stocktake


def _on_hand(sku_id: int, location_id: int) -> int:
    return LocationStock.objects.filter(sku_id=sku_id, location_id=location_id).values_list(
        "on_hand", flat=True).first() or 0


def _line_for(stocktake: Stocktake, sku: SKU, location: Location) -> StocktakeLine:
    """The line of this SKU at this location; a SKU found where the snapshot had none gets a line expecting 0."""
    if location.warehouse_id != stocktake.warehouse_id or (stocktake.zone_id and
                                                           location.zone_id != stocktake.zone_id):
        raise _refuse(gettext("Location %(l)s is not part of stocktake %(n)s.")
                      % {"l": location.code, "n": stocktake.number}, {"location": [gettext("Not in this count.")]},
                      code="location_outside_count")
    try:
        with transaction.atomic():
            line, _created = StocktakeLine.objects.get_or_create(stocktake=stocktake, sku=sku, location=location,
                                                                 defaults={"expected": 0})
    except IntegrityError:  # two scanners created it at once
        line = StocktakeLine.objects.get(stocktake=stocktake, sku=sku, location=location)
    return line


def _record_count(actor, grant, stocktake, line: StocktakeLine, *, add: int = 0, set_to: int | None = None,
                  how: str) -> StocktakeLine:
    before = StocktakeLine.objects.filter(pk=line.pk).values_list("counted", flat=True).first()
    now = clock.now()
    counter = person(actor)
    if set_to is not None:
        # A typed count is the count as of now: the book figure is taken now too.
        StocktakeLine.objects.filter(pk=line.pk).update(counted=set_to, counted_at=now, counted_by=counter,
                                                        book=_on_hand(line.sku_id, line.location_id))
    else:
        # One UPDATE, so two scanners counting the same shelf never lose a unit.
        StocktakeLine.objects.filter(pk=line.pk).update(counted=Coalesce(F("counted"), 0) + add, counted_at=now,
                                                        counted_by=counter)
        StocktakeLine.objects.filter(pk=line.pk, book__isnull=True).update(
            book=_on_hand(line.sku_id, line.location_id))
    line.refresh_from_db()
    audit.record_event("inventory.count_stocktake", actor=actor, obj=stocktake, grant=grant, reason=how,
                       changes={f"{line.sku.code}@{line.location.code}": {"before": before, "after": line.counted}})
    return line


@dataclass
class ScanResult:
    """What a scan did: chose a `location`, counted a unit (`counted`) or set a count (`set`)."""

    kind: str
    location: Location | None = None
    line: StocktakeLine | None = None
    sku: SKU | None = None


MAX_TYPED_COUNT_DIGITS = 6  # a typed number up to 999999 sets a count; longer digit strings are barcodes


@transaction.atomic
def record_scan(*, actor, stocktake: Stocktake, code: str, location: Location | None = None,
                last_sku: SKU | None = None, typed_counts: bool = True) -> ScanResult:
    """The scan box of the counting screen (scanner-friendly 盘点):

    - a location code of this count chooses the current location;
    - a barcode (SKU.barcode) or SKU code adds 1 to that SKU at the current location;
    - a typed number sets the count of the last scanned SKU at the current location (`typed_counts`; the API sets
      counts explicitly and reads every code as a barcode);
    - anything else is refused with the code in the message, and nothing is counted.
    """
    grant = _authorize(actor, "inventory.count_stocktake")
    stocktake = _counting(stocktake)
    code = (code or "").strip()
    if not code:
        raise _refuse(gettext("Scan a barcode or type a location code or a count."),
                      {"code": [gettext("This field is required.")]}, code="required")
    found_location = selectors.identify_location(stocktake, code)
    if found_location is not None:
        return ScanResult("location", location=found_location)
    sku = selectors.identify_sku(code)
    if sku is not None:
        if location is None:
            raise _refuse(gettext("Scan or type the location code first, then the goods."),
                          {"code": [gettext("No location chosen.")]}, code="no_location")
        line = _line_for(stocktake, sku, location)
        line = _record_count(actor, grant, stocktake, line, add=1, how=gettext("scan %(code)s") % {"code": code})
        return ScanResult("counted", location=location, line=line, sku=sku)
    if typed_counts and code.isdigit() and len(code) <= MAX_TYPED_COUNT_DIGITS:
        if location is None or last_sku is None:
            raise _refuse(gettext("Scan a SKU first, then type its count."),
                          {"code": [gettext("No SKU scanned yet at this location.")]}, code="no_sku")
        line = _line_for(stocktake, last_sku, location)
        line = _record_count(actor, grant, stocktake, line, set_to=int(code), how=gettext("typed count"))
        return ScanResult("set", location=location, line=line, sku=last_sku)
    raise _refuse(gettext("Unknown barcode %(code)s: no SKU, barcode or location of this count has this code. "
                          "Nothing was counted.") % {"code": code},
                  {"code": [gettext("Unknown barcode %(code)s") % {"code": code}]}, code="unknown_barcode")


@transaction.atomic
def set_stocktake_count(*, actor, stocktake: Stocktake, sku: SKU, location: Location,
                        counted: int | str) -> StocktakeLine:
    """Type the counted quantity of a SKU at a location directly (a full box, a row of the counting screen)."""
    grant = _authorize(actor, "inventory.count_stocktake")
    stocktake = _counting(stocktake)
    value = _whole(counted)
    if value is None:
        raise _refuse(gettext("%(sku)s at %(loc)s: the count must be a whole number, 0 or more (got %(q)s).")
                      % {"sku": sku.code, "loc": location.code, "q": counted},
                      {"counted": [gettext("Must be a whole number, 0 or more.")]}, code="invalid_count")
    line = _line_for(stocktake, sku, location)
    return _record_count(actor, grant, stocktake, line, set_to=value, how=gettext("typed count"))


def _uncounted(stocktake):
    return stocktake.lines.filter(counted__isnull=True).select_related("sku", "location").order_by(
        "location__code", "sku__code")


@transaction.atomic
def submit_stocktake(*, actor, stocktake: Stocktake, zero_uncounted: bool = False) -> Stocktake:
    """Finish counting and send the variances for approval. Lines nobody counted are refused (named), unless the
    counter confirms that nothing was found there (`zero_uncounted`)."""
    grant = _authorize(actor, "inventory.count_stocktake")
    stocktake = _counting(stocktake)
    if not stocktake.lines.exists():
        raise _refuse(gettext("Nothing was counted in %(n)s.") % {"n": stocktake.number}, code="nothing_counted")
    missing = list(_uncounted(stocktake))
    if missing and not zero_uncounted:
        names = [f"{m.sku.code}@{m.location.code}" for m in missing]
        raise _refuse(ngettext("%(n)d line was not counted: %(lines)s. Count it, or confirm that nothing was found "
                               "there.", "%(n)d lines were not counted: %(lines)s. Count them, or confirm that "
                               "nothing was found there.", len(names)) % {"n": len(names), "lines": _listing(names)},
                      {"zero_uncounted": [gettext("Confirm to count the lines not counted as 0.")]},
                      code="uncounted_lines")
    now = clock.now()
    for line in missing:
        StocktakeLine.objects.filter(pk=line.pk).update(counted=0, counted_at=now, counted_by=person(actor),
                                                        book=_on_hand(line.sku_id, line.location_id))
    stocktake.state = Stocktake.State.SUBMITTED
    stocktake.submitted_by = person(actor)
    stocktake.submitted_at = now
    stocktake.save(update_fields=["state", "submitted_by", "submitted_at"])
    report = selectors.variance_report(stocktake)
    audit.record_event("inventory.submit_stocktake", actor=actor, obj=stocktake, grant=grant, changes={
        "state": {"before": Stocktake.State.COUNTING, "after": Stocktake.State.SUBMITTED},
        "surplus": {"before": None, "after": report.surplus_units},
        "shortage": {"before": None, "after": report.shortage_units},
        "counted_as_zero": {"before": None, "after": len(missing)}})
    return stocktake


def _submitted(stocktake: Stocktake) -> Stocktake:
    stocktake = (Stocktake.objects.select_for_update(of=("self",)).select_related("warehouse", "zone")
                 .get(pk=stocktake.pk))
    if stocktake.state != Stocktake.State.SUBMITTED:
        raise Conflict(gettext("Stocktake %(n)s is %(state)s, not awaiting approval.")
                       % {"n": stocktake.number, "state": stocktake.get_state_display()}, code="not_submitted")
    return stocktake


@transaction.atomic
def approve_stocktake(*, actor, stocktake: Stocktake) -> Stocktake:
    """Approve the count: post each variance as a stocktake adjustment (surplus received as a new lot, shortage
    removed oldest lots first) so the books match the shelves (账实相符, 000:505).

    Refused, naming the SKUs, when the count leaves a SKU with fewer units than paid orders have reserved: those
    orders must be settled (or the goods found) first.
    """
    grant = _authorize(actor, "inventory.approve_stocktake")
    stocktake = _submitted(stocktake)
    lines = [line for line in stocktake.lines.select_related("sku", "location") if line.variance]
    net: dict[int, int] = defaultdict(int)
    for line in lines:
        net[line.sku_id] += line.variance
    figures = {s.sku_id: s for s in WarehouseStock.objects.filter(warehouse=stocktake.warehouse,
                                                                    sku_id__in=list(net))}
    codes = {line.sku_id: line.sku.code for line in lines}
    below = []
    for sku_id, change in sorted(net.items(), key=lambda kv: codes[kv[0]]):
        stock = figures.get(sku_id)
        on_hand, reserved = (stock.on_hand, stock.reserved) if stock else (0, 0)
        if on_hand + change < reserved:
            below.append(gettext("%(sku)s: %(after)d on hand after the count, %(reserved)d reserved")
                         % {"sku": codes[sku_id], "after": on_hand + change, "reserved": reserved})
    if below:
        raise Conflict(gettext("The count leaves less stock than paid orders have reserved: %(skus)s. Settle those "
                               "orders or recount before approving.") % {"skus": _listing(below)},
                       code="below_reserved", fields={"lines": below})
    shelves = {(r.sku_id, r.location_id): r.on_hand for r in LocationStock.objects.filter(
        sku_id__in=list(net), location_id__in={line.location_id for line in lines})}
    missing = [gettext("%(sku)s at %(loc)s: %(n)d to remove, %(h)d there now")
               % {"sku": line.sku.code, "loc": line.location.code, "n": -line.variance,
                  "h": shelves.get((line.sku_id, line.location_id), 0)}
               for line in lines if line.variance < 0 and shelves.get((line.sku_id, line.location_id), 0)
               < -line.variance]
    if missing:
        raise Conflict(gettext("Stock left these locations after the count: %(lines)s. Return the count for a "
                               "recount.") % {"lines": _listing(missing)}, code="moved_since_count",
                       fields={"lines": missing})
    posted_on = clock.today()
    reference = stocktake.number
    # Surpluses first, so a SKU short at one location and over at another never dips below its reservations.
    for line in sorted(lines, key=lambda x: x.variance < 0):
        if line.variance > 0:
            engine.receive(sku=line.sku, location=line.location, quantity=line.variance, reference=reference,
                           actor=actor, received_on=posted_on, posted_on=posted_on,
                           movement_type=Movement.Type.ADJUSTMENT, note=gettext("stocktake surplus"))
        else:
            engine.remove(sku=line.sku, warehouse=stocktake.warehouse, quantity=-line.variance, reference=reference,
                          movement_type=Movement.Type.ADJUSTMENT, actor=actor, location=line.location,
                          posted_on=posted_on, note=gettext("stocktake shortage"))
    stocktake.state = Stocktake.State.APPROVED
    stocktake.approved_by = person(actor)
    stocktake.approved_at = clock.now()
    stocktake.posted_on = posted_on
    stocktake.save(update_fields=["state", "approved_by", "approved_at", "posted_on"])
    audit.record_event("inventory.approve_stocktake", actor=actor, obj=stocktake, grant=grant, changes={
        "state": {"before": Stocktake.State.SUBMITTED, "after": Stocktake.State.APPROVED},
        "adjustments": {"before": None, "after": [f"{line.sku.code}@{line.location.code} {line.variance:+d}"
                                                  for line in lines]}})
    return stocktake


@transaction.atomic
def return_stocktake(*, actor, stocktake: Stocktake, reason: str = "") -> Stocktake:
    """Send a submitted count back for a recount (the counts stay; the counters correct them)."""
    grant = _authorize(actor, "inventory.approve_stocktake")
    stocktake = _submitted(stocktake)
    stocktake.state = Stocktake.State.COUNTING
    stocktake.save(update_fields=["state"])
    audit.record_event("inventory.return_stocktake", actor=actor, obj=stocktake, grant=grant, reason=reason,
                       changes={"state": {"before": Stocktake.State.SUBMITTED, "after": Stocktake.State.COUNTING}})
    return stocktake


@transaction.atomic
def cancel_stocktake(*, actor, stocktake: Stocktake, reason: str = "") -> Stocktake:
    """Abandon a count; nothing is posted and the session stays on record. A submitted count is cancelled by the
    approver."""
    locked = Stocktake.objects.select_for_update().get(pk=stocktake.pk)
    perm = "inventory.approve_stocktake" if locked.state == Stocktake.State.SUBMITTED else \
        "inventory.count_stocktake"
    grant = _authorize(actor, perm)
    if locked.state not in (Stocktake.State.COUNTING, Stocktake.State.SUBMITTED):
        raise Conflict(gettext("Stocktake %(n)s is %(state)s: it cannot be cancelled.")
                       % {"n": locked.number, "state": locked.get_state_display()}, code="wrong_state")
    before = locked.state
    locked.state = Stocktake.State.CANCELLED
    locked.save(update_fields=["state"])
    audit.record_event("inventory.cancel_stocktake", actor=actor, obj=locked, grant=grant, reason=reason,
                       changes={"state": {"before": before, "after": locked.state}})
    return locked


# --- stock health thresholds (000:493) -----------------------------------------------------------------------------

_THRESHOLD_FIELDS = ["reorder_point", "max_stock", "slow_days", "cover_days"]


@transaction.atomic
def set_stock_threshold(*, actor, sku: SKU, reorder_point: int | str = 0, max_stock: int | str = 0,
                        slow_days: int | str = selectors.DEFAULT_SLOW_DAYS,
                        cover_days: int | str = selectors.DEFAULT_COVER_DAYS) -> StockThreshold:
    """Set a SKU's reorder point (不足), maximum (超存积压), slow-moving days (呆滞) and days of sales to cover."""
    grant = _authorize(actor, "inventory.change_stockthreshold")
    values = {"reorder_point": _whole(reorder_point), "max_stock": _whole(max_stock),
              "slow_days": _whole(slow_days, minimum=1), "cover_days": _whole(cover_days, minimum=1)}
    errors = {}
    for key in ("reorder_point", "max_stock"):
        if values[key] is None:
            errors[key] = [gettext("Must be a whole number, 0 or more.")]
    for key in ("slow_days", "cover_days"):
        if values[key] is None:
            errors[key] = [gettext("Must be a whole number of days, at least 1.")]
    if not errors and values["max_stock"] and values["max_stock"] < values["reorder_point"]:
        errors["max_stock"] = [gettext("The maximum is below the reorder point.")]
    if errors:
        raise _refuse(gettext("Thresholds of %(sku)s not saved: %(problems)s")
                      % {"sku": sku.code, "problems": "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())},
                      errors)
    threshold = StockThreshold.objects.select_for_update().filter(sku=sku).first()
    before = audit.snapshot(threshold, _THRESHOLD_FIELDS) if threshold else {}
    if threshold is None:
        threshold = StockThreshold(sku=sku)
    for key, value in values.items():
        setattr(threshold, key, value)
    threshold.updated_at = clock.now()
    threshold.save()
    changes = audit.changes_between(before, audit.snapshot(threshold, _THRESHOLD_FIELDS))
    audit.record_event("inventory.set_stock_threshold", actor=actor, obj=threshold, grant=grant, changes=changes)
    return threshold


# --- month close (月结, 000:505) -------------------------------------------------------------------------------------


@transaction.atomic
def close_month(*, actor, month: date):
    """月结: lock a finished month against stock postings (不跨月记账). Refused while the ledger disagrees with the
    figures (账实相符) or receipts dated in that month are still drafts (日清: post every document first)."""
    grant = _authorize(actor, "inventory.add_closedperiod")
    month = month.replace(day=1)
    problems = engine.verify_ledger()
    if problems:
        raise Conflict(gettext("The ledger does not agree with the stock figures; fix it before closing: %(p)s")
                       % {"p": _listing(problems)}, code="ledger_mismatch")
    following = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    drafts = list(Receipt.objects.filter(state=Receipt.State.DRAFT, received_on__gte=month,
                                         received_on__lt=following).values_list("number", flat=True))
    if drafts:
        raise Conflict(gettext("Post the draft receipts of %(m)s first: %(r)s")
                       % {"m": f"{month:%Y-%m}", "r": _listing(drafts)}, code="draft_receipts",
                       fields={"month": [gettext("Receipts of this month are still drafts.")]})
    period = engine.close_period(month=month, actor=actor)
    audit.record_event("inventory.close_month", actor=actor, obj=period, grant=grant,
                       changes={"closed": {"before": None, "after": f"{month:%Y-%m}"}})
    return period
