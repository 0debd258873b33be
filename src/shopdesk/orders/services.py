"""Every write of the orders app (订单): import and creation, the lifecycle steps, verification, stage-aware changes
and cancellation, authority approvals, merge and split, payment reminders and the warehouse's recall tasks.

Each public function is one business action: it runs in a transaction, checks the actor's permission and shop
(actor None = the system: imports from the command line, jobs, the demo), refuses a step from a state the flow does
not allow (flows.TRANSITIONS) with a message that says why, and records its audit event in the same transaction.
Stock is only touched through inventory.engine.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from shopdesk.channels.importers import ImportFileError, OrderRecord, detect_format
from shopdesk.channels.selectors import check_shop_access
from shopdesk.core import audit, clock, masking
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.inventory import engine
from shopdesk.inventory.models import Reservation
from shopdesk.orders import flows, importing, verification
from shopdesk.orders.models import (
    ChangeRequest,
    ImportRun,
    Order,
    OrderLine,
    OrderNote,
    OrderTask,
    ShopOrderRules,
    Source,
    Status,
    UnreachableArea,
)
from shopdesk.staff.authz import authority_limits, authorize_actor
from shopdesk.staff.roles import APPROVE_OVER_LIMIT, EXPORT_PERSONAL_DATA, UNMASK_PERSONAL_DATA

VIEW = "orders.view_order"
ADD = "orders.add_order"
IMPORT = "orders.import_order"
CHANGE = "orders.change_order"
VERIFY = "orders.verify_order"
CANCEL = "orders.cancel_order"
MERGE = "orders.merge_order"
FULFIL = "orders.fulfil_order"
TASKS = "orders.change_ordertask"
RULES = "orders.change_shoporderrules"

_AUDIT_FIELDS = ["status", "buyer_name", "mobile", "landline", "province", "city", "district", "address_detail",
                 "postcode", "goods_amount", "shipping_fee", "discount", "paid_amount", "invoice_title",
                 "greeting_card", "delivery_wish", "chosen_carrier", "carrier", "tracking_no", "on_hold"]
ADDRESS_FIELDS = ("buyer_name", "mobile", "landline", "province", "city", "district", "address_detail", "postcode")
REQUEST_FIELDS = ("invoice_title", "greeting_card", "delivery_wish", "chosen_carrier")


def _authorize(actor, perm: str, shop=None):
    grant = authorize_actor(actor, perm)
    if shop is not None:
        check_shop_access(actor, shop)
    return grant


def _locked(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("shop").get(pk=order.pk)


def _step(order: Order, step: str) -> str:
    """Refuse the step unless the order is in one of the states it may start from; return the new state."""
    allowed, target = flows.TRANSITIONS[step]
    if order.status not in allowed:
        raise Conflict(
            gettext("Order %(no)s is %(status)s: it cannot %(step)s (allowed from: %(allowed)s).") % {
                "no": order.platform_order_no, "status": order.get_status_display(),
                "step": flows.STEP_LABELS[step], "allowed": "、".join(str(Status(s).label) for s in sorted(allowed))},
            code="invalid_transition")
    return target


def _save(order: Order, before: dict, action: str, *, actor, grant=None, reason: str = "") -> None:
    order.updated_at = clock.now()
    order.save()
    audit.record_event(action, actor=actor, obj=order, grant=grant, reason=reason,
                       changes=audit.changes_between(before, audit.snapshot(order, _AUDIT_FIELDS)))


def _signature(actor) -> str:
    """The standard tail of a flagged note: " --- 2026-11-22 张三" (003:554)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        name = gettext("system")
    else:
        profile = getattr(actor, "staff_profile", None)
        name = (profile.display_name if profile else "") or actor.get_username()
    return f" --- {clock.today():%Y-%m-%d} {name}"


def _note(order: Order, text: str, actor, *, masked: str = "", kind: str = OrderNote.Kind.FLAGGED) -> OrderNote:
    sig = _signature(actor)
    return OrderNote.objects.create(order=order, kind=kind, text=(text + sig)[:500],
                                    masked_text=(masked + sig)[:500] if masked else "",
                                    author=actor if getattr(actor, "is_authenticated", False) else None)


def _task(order: Order, kind: str, actor, note: str = "") -> OrderTask | None:
    role = "cs_aftersales" if kind == OrderTask.Kind.REFUND else "warehouse"
    if OrderTask.objects.filter(order=order, kind=kind, state=OrderTask.State.OPEN).exists():
        return None
    return OrderTask.objects.create(order=order, kind=kind, role=role, note=note[:500],
                                    created_by=actor if getattr(actor, "is_authenticated", False) else None)


def _release(order: Order, actor) -> int:
    released = 0
    for line in order.lines.select_related("reservation").filter(reservation__state=Reservation.State.ACTIVE):
        released += engine.release(line.reservation, actor=actor)
    return released


def _review(order: Order) -> None:
    """Re-run the automatic review on a paid or verified order (after a change): it passes or waits for a person."""
    if order.status not in (Status.PAID, Status.VERIFIED):
        return
    order.status, order.verified_at, order.verified_by = Status.PAID, None, None
    importing.apply_review(order, importing.Context(order.shop), now=clock.now())


def _reserve_missing(order: Order) -> None:
    """Map unmapped lines and reserve lines without an active reservation; set the exception columns."""
    ctx = importing.Context(order.shop)
    lines = list(order.lines.select_related("reservation", "sku"))
    ctx.map_codes(line.channel_sku_code for line in lines if line.sku_id is None)
    for line in lines:
        if line.sku_id is None and ctx.skus.get(line.channel_sku_code) is not None:
            line.sku = ctx.skus[line.channel_sku_code]
            line.save(update_fields=["sku"])
    order.has_unmapped = any(line.sku_id is None for line in lines) or not lines
    missing = [line for line in lines if line.sku_id is not None and (
        line.reservation is None or line.reservation.state != Reservation.State.ACTIVE)]
    made = engine.reserve_many([engine.ReserveRequest(line.sku_id, line.quantity,
                                                      importing.reference(order.shop, order.platform_order_no))
                                for line in missing], warehouse_ids=ctx.warehouse_ids) if missing else []
    for line, reservation_id in zip(missing, made, strict=True):
        if reservation_id is not None:
            line.reservation_id = reservation_id
            line.save(update_fields=["reservation"])
    order.out_of_stock = any(r is None for r in made)


# --- import and creation ---------------------------------------------------------------------------------------------


def import_orders(*, actor, shop, path, items_path=None, fmt: str = "auto", run: ImportRun | None = None,
                  on_progress=None) -> importing.Summary:
    """Import a platform export (Taobao/Tmall pair, JD xlsx or the generic template) into the shop's orders.

    Validates the whole file first (any bad row: nothing is written), then writes chunk by chunk; safe to re-run.
    A run that cannot start (no permission, unknown format) is closed as failed, so no page waits on it."""
    path = Path(path)
    try:
        _authorize(actor, IMPORT, shop)
        if fmt not in ("auto", "taobao", "jd", "generic"):
            raise ServiceError(gettext("Unknown format %(f)s: use auto, taobao, jd or generic.") % {"f": fmt},
                               code="unknown_format", fields={"format": [gettext("Unknown format.")]})
    except ServiceError as exc:
        if run is not None:
            importing._finish(run, importing.Summary(), ImportRun.State.FAILED, error=exc.message)
        raise
    if run is None:
        run = _start_run(actor, shop, path, Path(items_path) if items_path else None, fmt)
    try:
        fmt = detect_format(path) if fmt == "auto" else fmt
    except ImportFileError as exc:
        summary = importing.Summary()
        summary.reject(0, str(exc))
        importing._finish(run, summary, ImportRun.State.REJECTED, error=str(exc))
        return summary
    ImportRun.objects.filter(pk=run.pk).update(format=fmt)
    return importing.run(importing.Source(fmt, path, Path(items_path) if items_path else None), shop, run,
                         actor=actor, on_progress=on_progress)


def _start_run(actor, shop, path: Path, items_path: Path | None, fmt: str) -> ImportRun:
    with transaction.atomic():
        run = ImportRun.objects.create(shop=shop, format=fmt, file_name=path.name[:200],
                                       items_file_name=items_path.name[:200] if items_path else "",
                                       started_by=actor if getattr(actor, "is_authenticated", False) else None)
        audit.record_event("orders.start_import", actor=actor, obj=run,
                           changes={"file": {"before": None, "after": run.file_name}})
    return run


def start_import(*, actor, shop, upload, items_upload=None, fmt: str = "auto") -> tuple[ImportRun, Path, Path | None]:
    """Keep the uploaded file(s) in the data dir and open a run; the caller then calls `import_orders` (in the
    background for the web, so the page can show progress)."""
    _authorize(actor, IMPORT, shop)
    folder = Path(settings.DATA_DIR) / "imports" / f"{clock.localnow():%Y%m%d-%H%M%S}-{shop.code}"
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    for up in (upload, items_upload):
        if up is None:
            stored.append(None)
            continue
        target = folder / Path(up.name).name
        with target.open("wb") as fh:
            for part in up.chunks():
                fh.write(part)
        stored.append(target)
    run = _start_run(actor, shop, stored[0], stored[1], fmt)
    return run, stored[0], stored[1]


@transaction.atomic
def create_order(*, actor, shop, record: OrderRecord, source: str = Source.API) -> Order:
    """One order from the API or a person, through the same writer (mapping, reservation, risk, review) as imports."""
    _authorize(actor, ADD, shop)
    if not record.lines:
        raise ServiceError(gettext("An order needs at least one line."), code="no_lines",
                           fields={"lines": [gettext("Add at least one line.")]})
    if Order.objects.filter(shop=shop, platform_order_no=record.platform_order_no).exists():
        raise Conflict(gettext("Order %(no)s already exists in %(shop)s.") % {
            "no": record.platform_order_no, "shop": shop.name}, code="duplicate_order",
            fields={"platform_order_no": [gettext("Already exists.")]})
    summary = importing.Summary()
    importing.write_chunk([record], importing.Context(shop), summary, actor=actor, source=source, keep=True)
    return summary.orders[0]


# --- lifecycle -------------------------------------------------------------------------------------------------------


@transaction.atomic
def pay_order(*, actor, order: Order, paid_at: datetime | None = None, paid_amount: Decimal | None = None,
              platform_status: str = "") -> Order:
    """unpaid → paid: reserve every line (a line that cannot be reserved marks the order 缺货), then auto review."""
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.status = _step(order, "pay")
    order.paid_at = paid_at or clock.now()
    if paid_amount is not None:
        order.paid_amount = paid_amount
    if platform_status:
        order.platform_status = platform_status[:40]
    _reserve_missing(order)
    _review(order)
    _save(order, before, "orders.pay", actor=actor, grant=grant)
    return order


@transaction.atomic
def recheck_order(*, actor, order: Order) -> Order:
    """The exceptions queue's action: map lines again, reserve what is missing, re-run risk-free review."""
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    if order.status not in (Status.PAID, Status.VERIFIED):
        raise Conflict(gettext("Only paid orders waiting for shipment can be re-checked."), code="invalid_transition")
    before = audit.snapshot(order, _AUDIT_FIELDS)
    _reserve_missing(order)
    _review(order)
    _save(order, before, "orders.recheck", actor=actor, grant=grant)
    return order


@transaction.atomic
def verify_order(*, actor, order: Order) -> Order:
    """A person verifies (审核) an order from the manual review queue. Messages, remarks, risk flags, amount and COD
    are accepted by the person's decision; a missing address, phone, carrier, SKU, stock or pending approval must be
    fixed first."""
    grant = _authorize(actor, VERIFY, order.shop)
    order = _locked(order)
    target = _step(order, "verify")
    blocking = verification.blocking(order.review_reasons)
    if blocking:
        raise Conflict(gettext("Order %(no)s cannot be verified yet: %(reasons)s.") % {
            "no": order.platform_order_no, "reasons": "；".join(verification.reason_labels(blocking))},
            code="review_blocked")
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.status, order.verified_at = target, clock.now()
    order.verified_by = actor if getattr(actor, "is_authenticated", False) else None
    _save(order, before, "orders.verify", actor=actor, grant=grant,
          reason=",".join(order.review_reasons))
    return order


@transaction.atomic
def unverify_order(*, actor, order: Order, reason: str) -> Order:
    grant = _authorize(actor, VERIFY, order.shop)
    order = _locked(order)
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.status = _step(order, "unverify")
    order.verified_at = order.verified_by = None
    _save(order, before, "orders.unverify", actor=actor, grant=grant, reason=reason)
    return order


def _fulfil(actor, order: Order, step: str, **fields) -> Order:
    grant = _authorize(actor, FULFIL, order.shop)
    order = _locked(order)
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.status = _step(order, step)
    if order.on_hold:
        raise Conflict(gettext("Order %(no)s is on hold: a change waits for approval or a recall.")
                       % {"no": order.platform_order_no}, code="on_hold")
    for name, value in fields.items():
        setattr(order, name, value)
    _save(order, before, f"orders.{step}", actor=actor, grant=grant)
    return order


@transaction.atomic
def mark_printed(*, actor, order: Order, batch: str, carrier: str = "", tracking_no: str = "") -> Order:
    """verified → printed (the fulfilment module prints the batch, with the waybill number it assigned);
    reprinting a printed order is allowed."""
    fields = {"printed_batch": batch[:40]}
    if carrier:
        fields["carrier"] = carrier.strip()[:40]
    if tracking_no:
        fields["tracking_no"] = tracking_no.strip()[:40]
    return _fulfil(actor, order, "print", **fields)


@transaction.atomic
def set_tracking(*, actor, order: Order, carrier: str, tracking_no: str) -> Order:
    """Record the carrier and waybill number of an order not yet shipped (entered or imported by the warehouse)."""
    grant = _authorize(actor, FULFIL, order.shop)
    order = _locked(order)
    if order.status not in (Status.VERIFIED, Status.PRINTED, Status.PICKED, Status.PACKED):
        raise Conflict(gettext("Order %(no)s is %(status)s: its waybill number cannot be set now.")
                       % {"no": order.platform_order_no, "status": order.get_status_display()}, code="invalid_state")
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.carrier, order.tracking_no = carrier.strip()[:40], tracking_no.strip()[:40]
    _save(order, before, "orders.set_tracking", actor=actor, grant=grant)
    return order


@transaction.atomic
def mark_picked(*, actor, order: Order) -> Order:
    return _fulfil(actor, order, "pick")


@transaction.atomic
def mark_packed(*, actor, order: Order) -> Order:
    return _fulfil(actor, order, "pack")


@transaction.atomic
def ship_order(*, actor, order: Order, carrier: str, tracking_no: str) -> Order:
    """packed → shipped: the reserved stock leaves (FIFO lots) and the carrier and tracking number are recorded."""
    if not (carrier or "").strip() or not (tracking_no or "").strip():
        raise ServiceError(gettext("Shipping needs the carrier and the tracking number."), code="tracking_required",
                           fields={"tracking_no": [gettext("Required.")]})
    order = _fulfil(actor, order, "ship", carrier=carrier.strip()[:40], tracking_no=tracking_no.strip()[:40],
                    shipped_at=clock.now())
    _consume(order, actor)
    return order


def _consume(order: Order, actor) -> None:
    for line in order.lines.select_related("reservation").filter(reservation__state=Reservation.State.ACTIVE):
        engine.consume(line.reservation, actor=actor)


@transaction.atomic
def mark_delivered(*, actor, order: Order, delivered_at: datetime | None = None) -> Order:
    """shipped → delivered (signed for): the start of the 7-day return window."""
    return _fulfil(actor, order, "deliver", delivered_at=delivered_at or clock.now())


@transaction.atomic
def complete_order(*, actor, order: Order) -> Order:
    return _fulfil(actor, order, "complete", closed_at=clock.now())


@transaction.atomic
def move_to_after_sales(*, actor, order: Order, reason: str) -> Order:
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.status = _step(order, "after_sales")
    _save(order, before, "orders.after_sales", actor=actor, grant=grant, reason=reason)
    return order


@transaction.atomic
def finish_after_sales(*, actor, order: Order, reason: str) -> Order:
    """after-sales → completed, when the order's last after-sales case is over."""
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    before = audit.snapshot(order, _AUDIT_FIELDS)
    order.status = _step(order, "after_sales_done")
    order.closed_at = order.closed_at or clock.now()
    _save(order, before, "orders.after_sales_done", actor=actor, grant=grant, reason=reason)
    return order


def ship_from_platform(order: Order, *, carrier: str, tracking_no: str, completed: bool, platform_status: str,
                       actor=None) -> None:
    """The platform export says the order shipped (or completed) outside the scan station: follow it, and the
    reserved stock leaves."""
    before = audit.snapshot(order, _AUDIT_FIELDS)
    was_reserved = order.status in flows.RESERVED_STATES
    order.status = Status.COMPLETED if completed else Status.SHIPPED
    order.platform_status = platform_status[:40]
    order.carrier = carrier[:40] or order.carrier
    order.tracking_no = tracking_no[:40] or order.tracking_no
    order.shipped_at = order.shipped_at or clock.now()
    if completed:
        order.closed_at = clock.now()
    _save(order, before, "orders.platform_update", actor=actor)
    if was_reserved:
        _consume(order, actor)


# --- cancellation and changes by stage (003:554) ---------------------------------------------------------------------


def _apply_stage(order: Order, actor, what: str) -> flows.ChangeCase:
    """Refuse after shipping; for printed or packed orders, void the paperwork and leave the warehouse its recall
    task, and hold the order until the warehouse has done it."""
    case = flows.change_case(order.status)
    if not case.allowed:
        raise Conflict(case.explanation, code=f"order_{case.code}")
    if case.task:
        _task(order, case.task, actor, note=what)
        order.printed_batch = ""
        order.on_hold = True
        if order.status not in (Status.PAID, Status.VERIFIED):
            order.status = Status.PAID
    return case


@transaction.atomic
def cancel_order(*, actor, order: Order, reason: str) -> Order:
    """Cancel by stage: release the reservations; after payment a refund task for after-sales; printed or packed
    orders leave the warehouse a recall task; shipped orders are refused (open an after-sales case)."""
    if not (reason or "").strip():
        raise ServiceError(gettext("Say why the order is cancelled."), code="reason_required",
                           fields={"reason": [gettext("Required.")]})
    grant = _authorize(actor, CANCEL, order.shop)
    order = _locked(order)
    _cancel(order, actor, reason.strip(), grant)
    return order


def _cancel(order: Order, actor, reason: str, grant=None) -> None:
    before = audit.snapshot(order, _AUDIT_FIELDS)
    was = order.status
    refused = flows.change_case(order.status)
    if not refused.allowed:
        raise Conflict(refused.explanation, code=f"order_{refused.code}")
    _step(order, "cancel")
    case = _apply_stage(order, actor, gettext("Cancelled: %(r)s") % {"r": reason})
    if was != Status.UNPAID and order.paid_amount > 0:
        _task(order, OrderTask.Kind.REFUND, actor, note=gettext("Refund %(amount)s yuan: %(r)s")
              % {"amount": order.paid_amount, "r": reason})
    _release(order, actor)
    order.status, order.on_hold = Status.CANCELLED, case.task != ""
    order.closed_at, order.close_reason = clock.now(), reason[:200]
    _note(order, gettext("Order cancelled: %(r)s") % {"r": reason}, actor)
    _save(order, before, "orders.cancel", actor=actor, grant=grant, reason=reason)


def close_order_from_platform(order: Order, *, reason: str, actor=None) -> None:
    """The platform closed the order (交易关闭): cancel it by stage, as a person would."""
    order.platform_status = "交易关闭"
    _cancel(order, actor, reason or gettext("Closed on the platform"))


@transaction.atomic
def change_address(*, actor, order: Order, buyer_name: str, mobile: str, landline: str, province: str, city: str,
                   district: str, address_detail: str, postcode: str = "") -> Order:
    """The buyer asks for another address or receiver: changed by stage with the standard flagged note."""
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    values = {"buyer_name": buyer_name, "mobile": mobile, "landline": landline, "province": province, "city": city,
              "district": district, "address_detail": address_detail, "postcode": postcode}
    values = {k: (v or "").strip() for k, v in values.items()}
    errors = {k: [gettext("Required.")] for k in ("buyer_name", "province", "city", "address_detail") if not values[k]}
    if not values["mobile"] and not values["landline"]:
        errors["mobile"] = [gettext("A mobile or landline number is required.")]
    if errors:
        raise ServiceError(gettext("The new address is incomplete."), code="invalid", fields=errors)
    before = audit.snapshot(order, _AUDIT_FIELDS)
    if all(getattr(order, k) == v for k, v in values.items()):
        raise ServiceError(gettext("Nothing changed."), code="unchanged")
    full = " ".join(p for p in (values["province"], values["city"], values["district"], values["address_detail"]) if p)
    phone = values["mobile"] or values["landline"]
    case = _apply_stage(order, actor, gettext("Address changed"))
    for k, v in values.items():
        setattr(order, k, v)
    _note(order, f"客户要求修改地址,新地址为: {full} {values['buyer_name']} {phone}", actor,
          masked=(f"客户要求修改地址,新地址为: {masking.mask_address(values['province'], values['city'], values['district'], values['address_detail'])} "  # noqa: E501
                  f"{masking.mask_name(values['buyer_name'])} {masking.mask_phone(phone)}"))
    _review(order)
    _save(order, before, "orders.change_address", actor=actor, grant=grant, reason=case.code)
    return order


@transaction.atomic
def change_requests(*, actor, order: Order, invoice_title: str, greeting_card: str, delivery_wish: str,
                    chosen_carrier: str) -> Order:
    """Special requests (发票抬头, 贺卡, 送货时间, 指定快递): changed by stage with a flagged note."""
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    values = {"invoice_title": invoice_title, "greeting_card": greeting_card, "delivery_wish": delivery_wish,
              "chosen_carrier": chosen_carrier}
    values = {k: (v or "").strip() for k, v in values.items()}
    changed = {k: v for k, v in values.items() if getattr(order, k) != v}
    if not changed:
        raise ServiceError(gettext("Nothing changed."), code="unchanged")
    before = audit.snapshot(order, _AUDIT_FIELDS)
    case = _apply_stage(order, actor, gettext("Special requests changed"))
    labels = {"invoice_title": "发票抬头", "greeting_card": "贺卡", "delivery_wish": "送货时间",
              "chosen_carrier": "指定快递"}
    for k, v in changed.items():
        setattr(order, k, v)
    _note(order, "客户要求修改" + "，".join(f"{labels[k]}为: {v or '（无）'}" for k, v in changed.items()), actor)
    _review(order)
    _save(order, before, "orders.change_requests", actor=actor, grant=grant, reason=case.code)
    return order


@transaction.atomic
def add_note(*, actor, order: Order, text: str, flagged: bool = True) -> OrderNote:
    """A flagged note (红旗备注) or a remark, signed with the date and the person's name."""
    grant = _authorize(actor, CHANGE, order.shop)
    text = (text or "").strip()
    if not text:
        raise ServiceError(gettext("The note is empty."), code="invalid", fields={"text": [gettext("Required.")]})
    note = _note(order, text, actor, kind=OrderNote.Kind.FLAGGED if flagged else OrderNote.Kind.REMARK)
    audit.record_event("orders.add_note", actor=actor, obj=order, grant=grant,
                       changes={"note": {"before": None, "after": note.text}})
    return note


@transaction.atomic
def remind_payment(*, actor, order: Order) -> Order:
    """催付: record that the buyer was reminded to pay (the unpaid follow-up list shows how often and when)."""
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    if order.status != Status.UNPAID:
        raise Conflict(gettext("Order %(no)s is no longer waiting for payment.") % {"no": order.platform_order_no},
                       code="invalid_transition")
    before = audit.snapshot(order, ["reminder_count"])
    order.reminder_count += 1
    order.reminded_at = clock.now()
    order.save(update_fields=["reminder_count", "reminded_at"])
    audit.record_event("orders.remind_payment", actor=actor, obj=order, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(order, ["reminder_count"])))
    return order


# --- authority: discounts and shipping fees (004:60) -----------------------------------------------------------------


def _money(value, field: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except Exception:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise ServiceError(gettext("Not an amount: %(v)s") % {"v": value}, code="invalid",
                           fields={field: [gettext("Enter an amount of 0 or more.")]})
    return amount.quantize(Decimal("0.01"))


def _base(order: Order) -> Decimal:
    return order.goods_amount + order.discount


def within_authority(actor, kind: str, order: Order, new_value: Decimal) -> bool:
    if actor is None:
        return True
    limits = authority_limits(actor)
    if kind == ChangeRequest.Kind.DISCOUNT:
        base = _base(order)
        percent = (new_value * 100 / base) if base else Decimal("100")
        return percent <= limits.max_discount_percent
    return abs(new_value - order.shipping_fee) <= limits.max_shipping_fee_change


@transaction.atomic
def change_discount(*, actor, order: Order, discount, reason: str) -> Order | ChangeRequest:
    """议价: within the role's limit the discount applies at once; beyond it a request goes to the manager."""
    return _change_money(actor, order, ChangeRequest.Kind.DISCOUNT, _money(discount, "discount"), reason)


@transaction.atomic
def change_shipping_fee(*, actor, order: Order, shipping_fee, reason: str) -> Order | ChangeRequest:
    """修改运费: within the role's limit at once; beyond it a request goes to the manager."""
    return _change_money(actor, order, ChangeRequest.Kind.SHIPPING_FEE, _money(shipping_fee, "shipping_fee"), reason)


def _change_money(actor, order: Order, kind: str, value: Decimal, reason: str):
    grant = _authorize(actor, CHANGE, order.shop)
    order = _locked(order)
    if not (reason or "").strip():
        raise ServiceError(gettext("Say why."), code="reason_required", fields={"reason": [gettext("Required.")]})
    case = flows.change_case(order.status)
    if not case.allowed:
        raise Conflict(case.explanation, code=f"order_{case.code}")
    if kind == ChangeRequest.Kind.DISCOUNT and value > _base(order):
        raise ServiceError(gettext("The discount cannot exceed the goods total %(t)s.") % {"t": _base(order)},
                           code="invalid", fields={"discount": [gettext("Too large.")]})
    current = order.discount if kind == ChangeRequest.Kind.DISCOUNT else order.shipping_fee
    if value == current:
        raise ServiceError(gettext("Nothing changed."), code="unchanged")
    if within_authority(actor, kind, order, value):
        _apply_money(order, kind, value, actor, grant, reason)
        return order
    if ChangeRequest.objects.filter(order=order, state=ChangeRequest.State.PENDING).exists():
        raise Conflict(gettext("A change of order %(no)s already waits for approval.")
                       % {"no": order.platform_order_no}, code="request_pending")
    request = ChangeRequest.objects.create(order=order, kind=kind, old_value=current, new_value=value,
                                           reason=reason.strip()[:300], requested_by=actor)
    order.on_hold = True
    order.save(update_fields=["on_hold"])
    _review(order)
    order.save(update_fields=["status", "verified_at", "verified_by", "review_reasons"])
    audit.record_event("orders.request_change", actor=actor, obj=request, grant=grant, reason=reason,
                       changes={kind: {"before": str(current), "after": str(value)}})
    return request


def _apply_money(order: Order, kind: str, value: Decimal, actor, grant, reason: str) -> None:
    before = audit.snapshot(order, _AUDIT_FIELDS)
    old_total = order.goods_amount + order.shipping_fee
    if kind == ChangeRequest.Kind.DISCOUNT:
        base = _base(order)
        order.discount, order.goods_amount = value, base - value
        label = gettext("Discount")
    else:
        order.shipping_fee = value
        label = gettext("Shipping fee")
    new_total = order.goods_amount + order.shipping_fee
    if order.status == Status.UNPAID:
        order.paid_amount = Decimal("0")
    elif new_total < old_total and order.paid_amount > 0:
        _task(order, OrderTask.Kind.REFUND, actor,
              note=gettext("Refund the difference of %(d)s yuan (%(what)s changed).") % {
                  "d": old_total - new_total, "what": label})
    _note(order, f"{label}: {value} ({reason.strip()})", actor)
    _save(order, before, f"orders.change_{kind}", actor=actor, grant=grant, reason=reason)


def _decide(actor, request: ChangeRequest, reason: str):
    grant = authorize_actor(actor, APPROVE_OVER_LIMIT)
    request = ChangeRequest.objects.select_for_update(of=("self",)).select_related("order", "order__shop").get(
        pk=request.pk)
    check_shop_access(actor, request.order.shop)
    if request.state != ChangeRequest.State.PENDING:
        raise Conflict(gettext("This request was already decided."), code="already_decided")
    if actor is not None and request.requested_by_id == actor.pk:
        raise NotAllowed(gettext("Nobody approves their own request."), code="own_request")
    return grant, request


@transaction.atomic
def approve_change_request(*, actor, request: ChangeRequest, reason: str = "") -> ChangeRequest:
    grant, request = _decide(actor, request, reason)
    order = _locked(request.order)
    current = order.discount if request.kind == ChangeRequest.Kind.DISCOUNT else order.shipping_fee
    if current != request.old_value or not flows.change_case(order.status).allowed:
        raise Conflict(gettext("The order changed since the request was made: reject it and ask again."),
                       code="stale_request")
    request.state, request.decided_by, request.decided_at = ChangeRequest.State.APPROVED, actor, clock.now()
    request.decision_reason = (reason or "").strip()[:300]
    request.save()
    order.on_hold = False
    _apply_money(order, request.kind, request.new_value, actor, grant,
                 gettext("approved: %(r)s") % {"r": request.reason})
    _review(order)
    order.save()
    audit.record_event("orders.approve_change", actor=actor, obj=request, grant=grant, reason=reason,
                       changes={"state": {"before": "pending", "after": "approved"}})
    return request


@transaction.atomic
def reject_change_request(*, actor, request: ChangeRequest, reason: str) -> ChangeRequest:
    if not (reason or "").strip():
        raise ServiceError(gettext("Say why the request is rejected."), code="reason_required",
                           fields={"reason": [gettext("Required.")]})
    grant, request = _decide(actor, request, reason)
    request.state, request.decided_by, request.decided_at = ChangeRequest.State.REJECTED, actor, clock.now()
    request.decision_reason = reason.strip()[:300]
    request.save()
    order = _locked(request.order)
    order.on_hold = OrderTask.objects.filter(order=order, state=OrderTask.State.OPEN,
                                             kind__in=[OrderTask.Kind.RECALL_PAPERWORK,
                                                       OrderTask.Kind.RECALL_PARCEL]).exists()
    _review(order)
    order.save()
    audit.record_event("orders.reject_change", actor=actor, obj=request, grant=grant, reason=reason,
                       changes={"state": {"before": "pending", "after": "rejected"}})
    return request


# --- merge and split -------------------------------------------------------------------------------------------------


@transaction.atomic
def merge_orders(*, actor, orders: list[Order]) -> Order:
    """Merge paid orders of one buyer, shop and address that are not printed: the oldest keeps the lines (with
    their reservations) and the amounts; the others close as merged into it."""
    if len(orders) < 2:
        raise ServiceError(gettext("Choose at least two orders to merge."), code="merge_needs_two")
    grant = _authorize(actor, MERGE)
    locked = list(Order.objects.select_for_update(of=("self",)).select_related("shop")
                  .filter(pk__in=[o.pk for o in orders]).order_by("ordered_at", "id"))
    for o in locked:
        check_shop_access(actor, o.shop)
    target, others = locked[0], locked[1:]
    key = lambda o: (o.shop_id, o.buyer_platform_id, o.mobile, o.province, o.city, o.district,  # noqa: E731
                     o.address_detail)
    problems = []
    if len({key(o) for o in locked}) > 1:
        problems.append(gettext("only orders of the same shop, buyer and address can be merged"))
    bad = [o.platform_order_no for o in locked if o.status not in (Status.PAID, Status.VERIFIED) or o.on_hold]
    if bad:
        problems.append(gettext("orders must be paid, not printed and not on hold: %(nos)s") % {"nos": ", ".join(bad)})
    if problems:
        raise Conflict(gettext("Cannot merge: %(p)s.") % {"p": "; ".join(problems)}, code="cannot_merge")
    before = audit.snapshot(target, _AUDIT_FIELDS)
    for o in others:
        OrderLine.objects.filter(order=o).update(order=target)
        for f in ("goods_amount", "shipping_fee", "discount", "paid_amount"):
            setattr(target, f, getattr(target, f) + getattr(o, f))
        target.out_of_stock |= o.out_of_stock
        target.has_unmapped |= o.has_unmapped
        target.risk_flagged |= o.risk_flagged
        target.risk_reasons = [*target.risk_reasons, *o.risk_reasons]
        for f in ("buyer_message", "seller_remark"):
            extra = getattr(o, f)
            if extra and extra not in getattr(target, f):
                setattr(target, f, "；".join(p for p in (getattr(target, f), extra) if p)[:500])
        o_before = audit.snapshot(o, _AUDIT_FIELDS)
        o.status, o.merged_into, o.closed_at = Status.CANCELLED, target, clock.now()
        o.close_reason = f"合并到 {target.platform_order_no}"
        _save(o, o_before, "orders.merged_away", actor=actor, grant=grant, reason=o.close_reason)
    _note(target, gettext("Merged orders: %(nos)s") % {"nos": ", ".join(o.platform_order_no for o in others)},
          actor, kind=OrderNote.Kind.SYSTEM)
    _review(target)
    _save(target, before, "orders.merge", actor=actor, grant=grant,
          reason=", ".join(o.platform_order_no for o in others))
    return target


@transaction.atomic
def split_order(*, actor, order: Order, quantities: dict[int, int]) -> Order:
    """Split the given quantities of lines ({line id: quantity}) into a new order (partial stock, another
    warehouse). Only before printing. Full lines move with their reservation; a partly moved line's reservation is
    released and both parts reserved again."""
    grant = _authorize(actor, MERGE, order.shop)
    order = _locked(order)
    if order.status not in (Status.PAID, Status.VERIFIED) or order.on_hold:
        raise Conflict(gettext("Only paid orders that are not printed or on hold can be split."), code="cannot_split")
    lines = {line.pk: line for line in order.lines.select_related("reservation")}
    moving = {int(k): int(v) for k, v in quantities.items() if int(v) > 0}
    errors = [gettext("line %(id)s is not on this order") % {"id": k} for k in moving if k not in lines]
    errors += [gettext("line %(id)s has only %(q)d") % {"id": k, "q": lines[k].quantity}
               for k, v in moving.items() if k in lines and v > lines[k].quantity]
    if not moving:
        errors.append(gettext("choose what to split off"))
    elif not errors and sum(moving.values()) == sum(line.quantity for line in lines.values()):
        errors.append(gettext("something must stay on the original order"))
    if errors:
        raise ServiceError(gettext("Cannot split: %(p)s.") % {"p": "; ".join(errors)}, code="cannot_split")
    before = audit.snapshot(order, _AUDIT_FIELDS)
    n = Order.objects.filter(split_from=order).count() + 1
    part = Order.objects.get(pk=order.pk)
    part.pk = None
    part.platform_order_no = f"{order.platform_order_no}-{n}"[:64]
    part.source, part.split_from, part.created_at = Source.SPLIT, order, clock.now()
    part.shipping_fee = part.discount = part.goods_amount = part.paid_amount = Decimal("0")
    part.reminder_count = 0
    part.save()
    moved_amount = Decimal("0")
    for line_id, qty in moving.items():
        line = lines[line_id]
        moved_amount += line.unit_price * qty
        if qty == line.quantity:
            line.order = part
            line.save(update_fields=["order"])
            continue
        if line.reservation is not None and line.reservation.state == Reservation.State.ACTIVE:
            engine.release(line.reservation, actor=actor)
        line.quantity -= qty
        line.reservation = None
        line.save(update_fields=["quantity", "reservation"])
        OrderLine.objects.create(order=part, sku=line.sku, channel_sku_code=line.channel_sku_code, title=line.title,
                                 properties=line.properties, quantity=qty, unit_price=line.unit_price)
    base = _base(order)
    share = (moved_amount / base) if base else Decimal("0")
    part.discount = (order.discount * share).quantize(Decimal("0.01"))
    part.goods_amount = moved_amount - part.discount
    part.paid_amount = min(order.paid_amount, (order.paid_amount - order.shipping_fee) * share).quantize(
        Decimal("0.01")) if order.paid_amount else Decimal("0")
    for f in ("discount", "goods_amount", "paid_amount"):
        setattr(order, f, getattr(order, f) - getattr(part, f))
    for o in (order, part):
        _reserve_missing(o)
        _review(o)
    part.save()
    audit.record_event("orders.split_create", actor=actor, obj=part, grant=grant,
                       changes=audit.created(part, _AUDIT_FIELDS), reason=order.platform_order_no)
    _note(order, gettext("Split into %(no)s") % {"no": part.platform_order_no}, actor, kind=OrderNote.Kind.SYSTEM)
    _save(order, before, "orders.split", actor=actor, grant=grant, reason=part.platform_order_no)
    return part


@transaction.atomic
def create_reship_order(*, actor, order: Order, quantities: dict[int, int], reason: str) -> Order:
    """当天补发: a new order for the given quantities of the original's lines ({line id: quantity}), free of charge,
    linked to the original, reserved and reviewed at once, and marked to leave today (003)."""
    grant = _authorize(actor, ADD, order.shop)
    lines = {line.pk: line for line in order.lines.all()}
    wanted = {int(k): int(v) for k, v in quantities.items() if int(v) > 0}
    errors = [gettext("line %(id)s is not on this order") % {"id": k} for k in wanted if k not in lines]
    errors += [gettext("line %(id)s has only %(q)d") % {"id": k, "q": lines[k].quantity}
               for k, v in wanted.items() if k in lines and v > lines[k].quantity]
    if not wanted:
        errors.append(gettext("choose what to reship"))
    if errors:
        raise ServiceError(gettext("Cannot reship: %(p)s.") % {"p": "; ".join(errors)}, code="cannot_reship")
    n = Order.objects.filter(reship_of=order).count() + 1
    now = clock.now()
    reship = Order.objects.get(pk=order.pk)
    reship.pk = None
    reship.platform_order_no = f"{order.platform_order_no}-BF{n}"[:64]
    reship.source, reship.reship_of, reship.ship_today = Source.RESHIP, order, True
    reship.status, reship.platform_status = Status.PAID, ""
    reship.goods_amount = reship.shipping_fee = reship.discount = reship.paid_amount = Decimal("0")
    reship.ordered_at = reship.paid_at = reship.created_at = reship.updated_at = now
    reship.carrier, reship.tracking_no, reship.printed_batch = order.carrier, "", ""
    reship.verified_at = reship.verified_by = reship.shipped_at = reship.delivered_at = reship.closed_at = None
    reship.merged_into = reship.split_from = None
    reship.on_hold = reship.risk_flagged = False
    reship.risk_reasons, reship.review_reasons, reship.reminder_count, reship.close_reason = [], [], 0, ""
    reship.buyer_message = reship.seller_remark = ""  # handled on the original; a reship needs no review for them
    reship.is_cod = False
    reship.save()
    for line_id, qty in wanted.items():
        line = lines[line_id]
        OrderLine.objects.create(order=reship, sku=line.sku, channel_sku_code=line.channel_sku_code,
                                 title=line.title, properties=line.properties, quantity=qty,
                                 unit_price=Decimal("0"))
    _reserve_missing(reship)
    _review(reship)
    reship.save()
    audit.record_event("orders.reship_create", actor=actor, obj=reship, grant=grant, reason=reason,
                       changes=audit.created(reship, _AUDIT_FIELDS))
    _note(order, gettext("Reshipped as %(no)s: %(reason)s") % {"no": reship.platform_order_no, "reason": reason},
          actor, kind=OrderNote.Kind.SYSTEM)
    _note(reship, gettext("Reship of %(no)s: %(reason)s") % {"no": order.platform_order_no, "reason": reason},
          actor, kind=OrderNote.Kind.SYSTEM)
    return reship


# --- tasks, unmasking, rules -----------------------------------------------------------------------------------------


@transaction.atomic
def complete_task(*, actor, task: OrderTask, note: str = "") -> OrderTask:
    """The warehouse recalled the paperwork or parcel (or after-sales refunded): the order is released from hold."""
    grant = _authorize(actor, TASKS, task.order.shop)
    task = OrderTask.objects.select_for_update(of=("self",)).get(pk=task.pk)
    if task.state != OrderTask.State.OPEN:
        raise Conflict(gettext("This task is already done."), code="already_done")
    task.state, task.done_at = OrderTask.State.DONE, clock.now()
    task.done_by = actor if getattr(actor, "is_authenticated", False) else None
    if note:
        task.note = f"{task.note} / {note}"[:500]
    task.save()
    order = _locked(task.order)
    if task.kind != OrderTask.Kind.REFUND:
        still = OrderTask.objects.filter(order=order, state=OrderTask.State.OPEN).exclude(
            kind=OrderTask.Kind.REFUND).exists()
        pending = ChangeRequest.objects.filter(order=order, state=ChangeRequest.State.PENDING).exists()
        if not still and not pending and order.on_hold:
            order.on_hold = False
            _review(order)
            order.save()
    audit.record_event("orders.complete_task", actor=actor, obj=task, grant=grant, reason=note,
                       changes={"state": {"before": "open", "after": "done"}})
    return task


@transaction.atomic
def unmask_order(*, actor, order: Order, reason: str = "") -> Order:
    """Show one order's buyer name, phones and address in clear; the look is logged (PIPL)."""
    grant = _authorize(actor, UNMASK_PERSONAL_DATA, order.shop)
    audit.record_event("orders.unmask", actor=actor, obj=order, grant=grant, reason=reason,
                       changes={"fields": {"before": None, "after": list(ADDRESS_FIELDS)}})
    return order


@transaction.atomic
def record_export(*, actor, count: int, personal_data: bool, filters: str = "") -> None:
    """Log an order export; exporting buyer personal data needs its own permission (PIPL)."""
    grant = _authorize(actor, EXPORT_PERSONAL_DATA if personal_data else VIEW)
    audit.record_event("orders.export_personal_data" if personal_data else "orders.export", actor=actor,
                       grant=grant, reason=filters[:500],
                       changes={"orders": {"before": None, "after": count}})


RULE_FIELDS = ["review_amount_above", "review_cod", "default_carrier", "day_shift_ends", "risk_window_hours",
               "risk_accounts_per_contact", "risk_tiny_amount", "risk_tiny_repeat", "risk_instant_seconds"]


@transaction.atomic
def update_rules(*, actor, shop, **values) -> ShopOrderRules:
    grant = _authorize(actor, RULES, shop)
    rules = ShopOrderRules.objects.select_for_update().get_or_create(shop=shop)[0]
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ServiceError(gettext("Unknown rule: %(r)s") % {"r": ", ".join(sorted(unknown))}, code="invalid")
    before = audit.snapshot(rules, RULE_FIELDS)
    for k, v in values.items():
        setattr(rules, k, v)
    from django.core.exceptions import ValidationError

    from shopdesk.core.errors import validation_fields

    try:
        rules.full_clean(exclude=["shop"])
    except ValidationError as exc:
        raise ServiceError(gettext("The rules are not valid."), code="invalid", fields=validation_fields(exc)) from exc
    rules.save()
    audit.record_event("orders.update_rules", actor=actor, obj=rules, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(rules, RULE_FIELDS)))
    return rules


@transaction.atomic
def add_unreachable_area(*, actor, carrier: str, province: str, city: str = "", district: str = "") -> UnreachableArea:
    grant = _authorize(actor, RULES)
    values = {"carrier": (carrier or "").strip(), "province": (province or "").strip(), "city": (city or "").strip(),
              "district": (district or "").strip()}
    missing = {k: [gettext("Required.")] for k in ("carrier", "province") if not values[k]}
    if missing:
        raise ServiceError(gettext("Name the carrier and at least the province."), code="invalid", fields=missing)
    area, created = UnreachableArea.objects.get_or_create(**values)
    if not created:
        raise Conflict(gettext("This area is already listed."), code="duplicate")
    audit.record_event("orders.add_unreachable_area", actor=actor, obj=area, grant=grant,
                       changes=audit.created(area, list(values)))
    return area


@transaction.atomic
def remove_unreachable_area(*, actor, area: UnreachableArea) -> None:
    grant = _authorize(actor, RULES)
    audit.record_event("orders.remove_unreachable_area", actor=actor, obj=area, grant=grant,
                       changes={"area": {"before": str(area), "after": None}})
    area.delete()
