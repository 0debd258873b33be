"""Every write of after-sales (售后, product.md §2.5): cases with the policy decision, the return parcel, receiving
and inspection, refunds with the authority limit, and complaints.

As everywhere: keyword-only arguments with the actor first, one transaction per business action, the permission and
the shop checked, an audit event in the same transaction. The order's own state moves only through the orders
services (`move_to_after_sales`, `create_reship_order`); stock only through the inventory engine.

How a case runs (003):
- opened on a shipped order with the lines it is about; `policy.decide` gives the decision, kept on the case with
  its explanation. Refused cases are recorded as refused (what the buyer was told); a supervisor may still accept
  one ("when in doubt, refund": 可退可不退的以退为主, 002 ❾).
- return / exchange: waiting for the buyer's parcel (the buyer gets the return address and the note to put in it);
  the buyer's tracking number is recorded (freight-collect parcels are refused); the warehouse receives and
  inspects: each unit restocked to a location (a return-restock movement) or written off (the loss counted). A
  return's refund then falls due in full; an exchange gets its replacement order.
- refund only: the refund falls due at once. Reship: a reship order is created at once.
- a refund above the agent's limit (Role.max_refund) waits for a supervisor's approval before it is marked paid.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shopdesk.aftersales import policy
from shopdesk.aftersales.models import OPEN_STATES, Case, CaseEvidence, CaseLine, Complaint
from shopdesk.channels.selectors import check_shop_access
from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.core.services import close_deadline, open_deadline
from shopdesk.inventory import engine
from shopdesk.inventory.models import Location, Movement
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Order, Status
from shopdesk.staff.authz import authority_limits, authorize_actor
from shopdesk.staff.roles import APPROVE_OVER_LIMIT, APPROVE_REFUND

OPEN = "aftersales.add_case"
WORK = "aftersales.change_case"
RECEIVE = "aftersales.receive_return"
OPEN_COMPLAINT = "aftersales.add_complaint"
WORK_COMPLAINT = "aftersales.change_complaint"
CASE_STATES = (Status.SHIPPED, Status.DELIVERED, Status.COMPLETED, Status.AFTER_SALES)
MAX_PHOTOS = 9
CENT = Decimal("0.01")
COMPLAINT_FOLLOW_UP_RULE = "aftersales.complaint_follow_up"
_CASE_FIELDS = ["kind", "reason", "state", "waiting_for", "allowed", "shipping_paid_by", "refund_amount"]
S, W = Case.State, Case.Waiting
DEPARTMENT_TZ = timezone.get_default_timezone  # the department's days (Asia/Shanghai)


def _authorize(actor, perm: str, shop=None):
    grant = authorize_actor(actor, perm)
    if shop is not None:
        check_shop_access(actor, shop)
    return grant


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("order", "shop").get(pk=case.pk)


def _save(case: Case, before: dict, action: str, *, actor, grant=None, reason: str = "") -> None:
    case.updated_at = clock.now()
    case.save()
    audit.record_event(action, actor=actor, obj=case, grant=grant, reason=reason,
                       changes=audit.changes_between(before, audit.snapshot(case, _CASE_FIELDS)))


# --- opening a case -------------------------------------------------------------------------------------------------


def days_since_receipt(order: Order) -> int | None:
    """Whole days since the buyer signed for the order (the day of receipt is day 0), in China time; None when the
    order has no delivery time (the agent then enters the days from the platform)."""
    if order.delivered_at is None:
        return None
    return (clock.today() - timezone.localtime(order.delivered_at, DEPARTMENT_TZ()).date()).days


def refund_for(order: Order, quantities: dict[int, int]) -> Decimal:
    """The refund of returning `quantities` ({order line id: quantity}): the goods' share of what the buyer paid
    (discounts spread over the lines by value); everything the buyer paid, shipping included, when every unit of
    the order comes back (全款退回, 003)."""
    lines = list(order.lines.all())
    total = sum((ln.amount for ln in lines), Decimal("0"))
    if not total:
        return Decimal("0")
    if all(quantities.get(ln.pk, 0) >= ln.quantity for ln in lines):
        return order.paid_amount
    goods_paid = max(order.paid_amount - order.shipping_fee, Decimal("0"))
    share = sum((ln.unit_price * quantities.get(ln.pk, 0) for ln in lines), Decimal("0")) / total
    return min(goods_paid, (goods_paid * share).quantize(CENT, rounding=ROUND_HALF_UP))


def product_flags(order_lines) -> set[str]:
    """The policy's item flags the catalogue knows for these order lines (gift, hygiene item, special price): set
    by themselves, whatever the agent ticked."""
    flags = set()
    for line in order_lines:
        product = line.sku.product if line.sku_id else None
        if product is not None:
            flags |= {flag for flag, on in (("gift", product.is_gift), ("hygiene", product.is_hygiene),
                                            ("special_price", product.is_special_price)) if on}
    return flags


def _wanted_lines(order: Order, lines: dict, *, other_than: Case | None = None) -> dict[int, int]:
    """{order line id: quantity} checked against the order and against the lines already in open cases."""
    quantities = dict(order.lines.values_list("pk", "quantity"))
    taken: dict[int, int] = {}
    others = CaseLine.objects.filter(case__order=order).exclude(case__state__in=[S.REFUSED, S.CANCELLED])
    if other_than is not None:
        others = others.exclude(case=other_than)
    for line_id, qty in others.values_list("order_line_id", "quantity"):
        taken[line_id] = taken.get(line_id, 0) + qty
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
        elif qty > quantities[line_id] - taken.get(line_id, 0):
            problems.append(gettext("line %(id)s: only %(q)d left that no other case covers")
                            % {"id": line_id, "q": quantities[line_id] - taken.get(line_id, 0)})
        else:
            wanted[line_id] = qty
    if not wanted and not problems:
        problems.append(gettext("choose the items and quantities the case is about"))
    if problems:
        raise ServiceError(gettext("Items: %(p)s.") % {"p": "; ".join(problems)}, code="invalid_lines",
                           fields={"lines": problems})
    return wanted


def policy_request(*, kind: str, reason: str, days: int | None, item_flags=(), item_condition=(),
                   return_shipping: str = "") -> policy.PolicyRequest:
    """The policy's request, or a ServiceError naming each field the policy cannot read."""
    values = SimpleNamespace(request_type=kind, reason=reason, days_since_receipt=days,
                             item_flags=frozenset(item_flags), item_condition=frozenset(item_condition),
                             return_shipping=return_shipping or None)
    if problems := policy.validate(values):
        raise ServiceError(gettext("The request cannot be decided: %(p)s.")
                           % {"p": "; ".join(f"{k}: {v}" for k, v in problems.items())},
                           code="invalid_request", fields={k: [v] for k, v in problems.items()})
    return policy.PolicyRequest(**vars(values))


@transaction.atomic
def open_case(*, actor, order: Order, kind: str, reason: str, lines: dict, description: str = "",
              days_since_receipt_override: int | None = None, item_flags=(), item_condition=(),
              return_shipping: str = "", photos=()) -> Case:
    """Open a case on a shipped order and decide it by the return policy; the decision and its explanation are kept.

    `lines` is {order line id: quantity}. The days since receipt come from the order's delivery time; the agent
    enters them (from the platform) only when the order has none. A gift line sets the gift flag by itself."""
    order = Order.objects.select_for_update(of=("self",)).select_related("shop").get(pk=order.pk)
    grant = _authorize(actor, OPEN, order.shop)
    if order.status not in CASE_STATES:
        raise Conflict(gettext("Order %(no)s is %(status)s: after-sales cases are opened on shipped orders; before "
                               "shipping, change or cancel the order instead.")
                       % {"no": order.platform_order_no, "status": order.get_status_display()}, code="not_shipped")
    wanted = _wanted_lines(order, lines)
    days = days_since_receipt(order)
    if days is None:
        days = days_since_receipt_override
    flags = set(item_flags) | product_flags(order.lines.filter(pk__in=wanted).select_related("sku__product"))
    request = policy_request(kind=kind, reason=reason, days=days, item_flags=flags, item_condition=item_condition,
                             return_shipping=return_shipping)
    decision = policy.decide(request)
    photos = [p for p in photos if p]
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(gettext("At most %(n)d photos.") % {"n": MAX_PHOTOS}, code="too_many_photos",
                           fields={"photos": [gettext("Too many photos.")]})
    case = Case.objects.create(
        shop=order.shop, order=order, kind=kind, reason=reason, description=description[:5000],
        days_since_receipt=days, item_flags=sorted(flags), item_condition=sorted(set(item_condition)),
        allowed=decision.allowed, shipping_paid_by=decision.return_shipping_paid_by or "",
        rule_codes=decision.rule_codes, explanation=decision.explanation, return_shipping=return_shipping or "",
        opened_by=_user(actor))
    CaseLine.objects.bulk_create([CaseLine(case=case, order_line_id=k, quantity=v) for k, v in wanted.items()])
    _add_evidence(case, actor, text=description[:500] if description else "", photos=photos)
    audit.record_event("aftersales.open_case", actor=actor, obj=case, grant=grant,
                       changes=audit.created(case, [*_CASE_FIELDS, "rule_codes"]))
    if decision.allowed:
        _start(case, actor, wanted, grant=grant)
    else:
        before = audit.snapshot(case, _CASE_FIELDS)
        case.state, case.waiting_for, case.closed_at = S.REFUSED, W.NOBODY, clock.now()
        _save(case, before, "aftersales.refuse_case", actor=actor, grant=grant, reason=decision.explanation)
    return case


def _start(case: Case, actor, wanted: dict[int, int], grant=None) -> None:
    """An accepted case goes its way: the order into after-sales (a return, exchange or refund), the refund due at
    once (refund only), or the reship order (reship)."""
    before = audit.snapshot(case, _CASE_FIELDS)
    order = case.order
    if case.kind in (Case.Kind.RETURN, Case.Kind.REFUND_ONLY):
        case.refund_amount = refund_for(order, wanted)
    if case.kind == Case.Kind.RESHIP:
        case.replacement_order = order_services.create_reship_order(
            actor=actor, order=order, quantities=wanted,
            reason=gettext("after-sales case %(no)s") % {"no": case.number})
        case.state, case.waiting_for, case.closed_at = S.RESHIPPED, W.NOBODY, clock.now()
    else:
        if order.status != Status.AFTER_SALES:
            order_services.move_to_after_sales(actor=actor, order=order, reason=gettext(
                "after-sales case %(no)s") % {"no": case.number})
        if case.kind == Case.Kind.REFUND_ONLY:
            case.state, case.waiting_for, case.refund_due_at = S.REFUND_DUE, W.REFUND, clock.now()
        else:
            case.state, case.waiting_for = S.WAITING_RETURN, W.BUYER
    _save(case, before, "aftersales.accept_case", actor=actor, grant=grant)


def _finish_order(case: Case, actor) -> None:
    """The case is over: when no other case of the order is still open, the order leaves after-sales (completed).
    Made in the person's name when they may change orders, else by the system on the case (the warehouse receiving
    an exchange); the case's own audit row names the person."""
    order = case.order
    if order.status != Status.AFTER_SALES or Case.objects.filter(
            order=order, state__in=OPEN_STATES).exclude(pk=case.pk).exists():
        return
    order_services.finish_after_sales(
        actor=actor if actor is None or actor.has_perm(order_services.CHANGE) else None, order=order,
        reason=gettext("after-sales case %(no)s: %(state)s") % {"no": case.number, "state": case.get_state_display()})


def _add_evidence(case: Case, actor, *, text: str = "", photos=()) -> None:
    from shopdesk.catalog.images import EXTENSIONS
    from shopdesk.fulfillment.services import photo_kind

    if text:
        CaseEvidence.objects.create(case=case, text=text, added_by=_user(actor))
    for photo in photos:
        kind = photo_kind(photo)
        item = CaseEvidence(case=case, added_by=_user(actor))
        item.photo.save(f"{uuid.uuid4().hex}.{EXTENSIONS[kind]}", photo, save=False)
        item.save()


@transaction.atomic
def add_evidence(*, actor, case: Case, text: str = "", photos=()) -> Case:
    """More of the buyer's words or photos on an open case."""
    case = _locked(case)
    grant = _authorize(actor, WORK, case.shop)
    if not case.is_open:
        raise Conflict(gettext("Case %(no)s is closed (%(state)s).")
                       % {"no": case.number, "state": case.get_state_display()}, code="case_closed")
    if len([p for p in photos if p]) + case.evidence.exclude(photo="").count() > MAX_PHOTOS:
        raise ServiceError(gettext("At most %(n)d photos.") % {"n": MAX_PHOTOS}, code="too_many_photos",
                           fields={"photos": [gettext("Too many photos.")]})
    if not text and not any(photos):
        raise ServiceError(gettext("Add a text or a photo."), code="empty", fields={"text": [gettext("Required.")]})
    _add_evidence(case, actor, text=text[:500], photos=[p for p in photos if p])
    audit.record_event("aftersales.add_evidence", actor=actor, obj=case, grant=grant,
                       changes={"evidence": {"before": None, "after": text[:100] or "photo"}})
    return case


@transaction.atomic
def accept_refused_case(*, actor, case: Case, reason: str) -> Case:
    """A supervisor accepts a case the policy refused (可退可不退的以退为主, 002 ❾): the shop takes it, shipping
    included, and the case goes on as if it had been allowed."""
    Order.objects.select_for_update(of=("self",)).filter(pk=case.order_id).first()  # one decision at a time
    case = _locked(case)
    grant = _authorize(actor, APPROVE_REFUND, case.shop)
    if case.state != S.REFUSED:
        raise Conflict(gettext("Only a refused case can be accepted."), code="not_refused")
    # Its lines may have been claimed by another case since it was refused.
    wanted = _wanted_lines(case.order, dict(case.lines.values_list("order_line_id", "quantity")), other_than=case)
    if not reason.strip():
        raise ServiceError(gettext("Say why the case is accepted against the policy."), code="reason_required",
                           fields={"reason": [gettext("Required.")]})
    before = audit.snapshot(case, _CASE_FIELDS)
    case.allowed, case.shipping_paid_by, case.closed_at = True, "shop", None
    case.rule_codes = [*case.rule_codes, "supervisor_accepted"]
    case.state = S.OPEN
    _save(case, before, "aftersales.accept_refused", actor=actor, grant=grant, reason=reason)
    _start(case, actor, wanted, grant=grant)
    return case


# --- the return parcel ----------------------------------------------------------------------------------------------


@transaction.atomic
def record_return_parcel(*, actor, case: Case, carrier: str, tracking_no: str,
                         return_shipping: str = "prepaid") -> Case:
    """The buyer sent the parcel back and gave us its tracking number (003). Freight-collect parcels are refused."""
    case = _locked(case)
    grant = _authorize(actor, WORK, case.shop)
    if case.state != S.WAITING_RETURN:
        raise Conflict(gettext("Case %(no)s is not waiting for a return parcel (%(state)s).")
                       % {"no": case.number, "state": case.get_state_display()}, code="not_waiting_return")
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    problems = {}
    if not carrier:
        problems["carrier"] = [gettext("Required.")]
    if not tracking_no:
        problems["tracking_no"] = [gettext("Required.")]
    if return_shipping not in Case.ReturnShipping.values:
        problems["return_shipping"] = [gettext("Prepaid or freight collect.")]
    if problems:
        raise ServiceError(gettext("Enter the return carrier and tracking number."), code="invalid", fields=problems)
    if return_shipping == Case.ReturnShipping.FREIGHT_COLLECT:
        raise Conflict(policy.RULES["freight_collect_refused"].explanation, code="freight_collect_refused",
                       fields={"return_shipping": [policy.RULES["freight_collect_refused"].explanation]})
    before = audit.snapshot(case, [*_CASE_FIELDS, "return_carrier", "return_tracking_no"])
    case.return_carrier, case.return_tracking_no = carrier[:40], tracking_no[:40]
    case.return_shipping, case.waiting_for = return_shipping, W.WAREHOUSE
    case.updated_at = clock.now()
    case.save()
    audit.record_event("aftersales.return_parcel", actor=actor, obj=case, grant=grant, changes=audit.changes_between(
        before, audit.snapshot(case, [*_CASE_FIELDS, "return_carrier", "return_tracking_no"])))
    return case


@transaction.atomic
def receive_return(*, actor, case: Case, inspection: dict, location: Location | None = None, note: str = "") -> Case:
    """The warehouse receives and inspects a returned parcel (000:241): `inspection` is {case line id: (restocked,
    written_off)}. Restocked units go into `location` as a new lot (a return-restock movement); written-off units
    count as the case's loss. Then a return's refund falls due in full, and an exchange gets its replacement."""
    case = _locked(case)
    grant = _authorize(actor, RECEIVE, case.shop)
    if case.state != S.WAITING_RETURN:
        raise Conflict(gettext("Case %(no)s is not waiting for a return (%(state)s).")
                       % {"no": case.number, "state": case.get_state_display()}, code="not_waiting_return")
    lines = {line.pk: line for line in case.lines.select_related("order_line__sku")}
    problems, counts = [], {}
    for key, value in (inspection or {}).items():
        try:
            line_id, (restock, write_off) = int(key), (int(value[0]), int(value[1]))
        except (TypeError, ValueError, IndexError):
            problems.append(gettext("%(line)s: not a number") % {"line": key})
            continue
        line = lines.get(line_id)
        if line is None:
            problems.append(gettext("line %(id)s is not in this case") % {"id": key})
        elif restock < 0 or write_off < 0 or restock + write_off > line.quantity:
            problems.append(gettext("%(item)s: restocked and written off together at most %(q)d")
                            % {"item": line.order_line, "q": line.quantity})
        elif restock and line.order_line.sku is None:
            problems.append(gettext("%(item)s is not mapped to a SKU: it cannot be restocked")
                            % {"item": line.order_line})
        else:
            counts[line_id] = (restock, write_off)
    if not problems and not any(r + w for r, w in counts.values()):
        problems.append(gettext("say what came back"))
    if not problems and any(r for r, _w in counts.values()):
        if location is None:
            problems.append(gettext("choose the location the restocked items go to"))
        elif not location.is_active or location.warehouse_id not in engine.warehouses_for_shop(case.shop_id):
            problems.append(gettext("%(loc)s is not a location of a warehouse serving %(shop)s")
                            % {"loc": location, "shop": case.shop.name})
    if problems:
        raise ServiceError(gettext("Cannot receive the return: %(p)s.") % {"p": "; ".join(problems)},
                           code="invalid_inspection", fields={"inspection": problems})
    before = audit.snapshot(case, [*_CASE_FIELDS, "loss", "refund_amount"])
    loss = Decimal("0")
    for line_id, (restock, write_off) in counts.items():
        line = lines[line_id]
        if restock:
            engine.receive(sku=line.order_line.sku, location=location, quantity=restock, reference=case.number,
                           actor=actor, movement_type=Movement.Type.RETURN_RESTOCK, note=note[:200])
        loss += line.order_line.unit_price * write_off
        line.received, line.restocked, line.written_off = restock + write_off, restock, write_off
        line.save(update_fields=["received", "restocked", "written_off"])
    now = clock.now()
    case.received_at, case.received_by, case.inspection_note, case.loss = now, _user(actor), note[:500], loss
    if case.kind == Case.Kind.EXCHANGE:
        case.replacement_order = order_services.create_reship_order(
            actor=actor if actor is None or actor.has_perm(order_services.ADD) else None, order=case.order,
            quantities=dict(case.lines.values_list("order_line_id", "quantity")),
            reason=gettext("exchange, after-sales case %(no)s") % {"no": case.number})
        case.state, case.waiting_for, case.closed_at = S.RESHIPPED, W.NOBODY, now
        _finish_order(case, actor)
    else:
        # In full for what came back (全款退回, 003): fewer units than claimed, less refund.
        case.refund_amount = refund_for(case.order, {lines[k].order_line_id: r + w for k, (r, w) in counts.items()})
        case.state, case.waiting_for, case.refund_due_at = S.REFUND_DUE, W.REFUND, now
    case.updated_at = now
    case.save()
    audit.record_event("aftersales.receive_return", actor=actor, obj=case, grant=grant, reason=note,
                       changes=audit.changes_between(before, audit.snapshot(case, [*_CASE_FIELDS, "loss",
                                                                                    "refund_amount"])))
    return case


# --- refunds --------------------------------------------------------------------------------------------------------


def may_refund(actor, amount: Decimal) -> bool:
    """Within the person's refund limit (Role.max_refund: the agent's, the supervisor's), or the manager's power to
    approve beyond every limit (staff.approve_over_limit). The system (no actor) is not limited."""
    if actor is None or actor.has_perm(APPROVE_OVER_LIMIT):
        return True
    return amount <= authority_limits(actor).max_refund


@transaction.atomic
def mark_refunded(*, actor, case: Case, note: str = "") -> Case:
    """The refund was paid on the platform. Above the agent's limit it first waits for a supervisor: the case moves
    to "refund waiting for approval" and nothing is marked paid."""
    case = _locked(case)
    grant = _authorize(actor, WORK, case.shop)
    if case.state not in (S.REFUND_DUE, S.REFUND_APPROVAL):
        raise Conflict(gettext("Case %(no)s has no refund due (%(state)s).")
                       % {"no": case.number, "state": case.get_state_display()}, code="no_refund_due")
    before = audit.snapshot(case, _CASE_FIELDS)
    if case.refund_approved_by_id is None and not may_refund(actor, case.refund_amount):
        if case.state == S.REFUND_APPROVAL:
            raise Conflict(gettext("The refund of ¥%(amount)s is waiting for a supervisor's approval.")
                           % {"amount": case.refund_amount}, code="approval_pending")
        case.state, case.waiting_for = S.REFUND_APPROVAL, W.SUPERVISOR
        _save(case, before, "aftersales.request_refund_approval", actor=actor, grant=grant, reason=note)
        return case
    now = clock.now()
    case.state, case.waiting_for, case.refunded_at, case.refunded_by, case.closed_at = (
        S.REFUNDED, W.NOBODY, now, _user(actor), now)
    _save(case, before, "aftersales.refund", actor=actor, grant=grant, reason=note)
    _finish_order(case, actor)
    return case


@transaction.atomic
def approve_refund(*, actor, case: Case, note: str = "") -> Case:
    """A supervisor approves a refund above the agent's limit; the agent then marks it paid."""
    case = _locked(case)
    grant = _authorize(actor, APPROVE_REFUND, case.shop)
    if case.state != S.REFUND_APPROVAL:
        raise Conflict(gettext("Case %(no)s has no refund waiting for approval.") % {"no": case.number},
                       code="no_approval_pending")
    if not may_refund(actor, case.refund_amount):
        raise Conflict(gettext("¥%(amount)s is above your refund limit too: the manager approves it.")
                       % {"amount": case.refund_amount}, code="over_limit")
    before = audit.snapshot(case, _CASE_FIELDS)
    case.refund_approved_by = _user(actor)
    case.state, case.waiting_for = S.REFUND_DUE, W.REFUND
    _save(case, before, "aftersales.approve_refund", actor=actor, grant=grant, reason=note)
    return case


@transaction.atomic
def withdraw_case(*, actor, case: Case, reason: str) -> Case:
    """The buyer withdrew the request (or the case was opened by mistake) before anything came back or was paid."""
    case = _locked(case)
    grant = _authorize(actor, WORK, case.shop)
    if case.state not in (S.OPEN, S.WAITING_RETURN, S.REFUND_DUE, S.REFUND_APPROVAL) or case.received_at:
        raise Conflict(gettext("Case %(no)s can no longer be withdrawn (%(state)s).")
                       % {"no": case.number, "state": case.get_state_display()}, code="cannot_withdraw")
    if not reason.strip():
        raise ServiceError(gettext("Say why the case is withdrawn."), code="reason_required",
                           fields={"reason": [gettext("Required.")]})
    before = audit.snapshot(case, _CASE_FIELDS)
    case.state, case.waiting_for, case.closed_at, case.result = S.CANCELLED, W.NOBODY, clock.now(), reason[:200]
    _save(case, before, "aftersales.withdraw_case", actor=actor, grant=grant, reason=reason)
    _finish_order(case, actor)
    return case


@transaction.atomic
def record_compensation(*, actor, case: Case, amount, reason: str) -> Case:
    """A goodwill payment (补偿) on the case, within the same refund limit."""
    case = _locked(case)
    grant = _authorize(actor, WORK, case.shop)
    try:
        amount = Decimal(str(amount)).quantize(CENT)
    except ArithmeticError:
        amount = Decimal("-1")
    if amount <= 0:
        raise ServiceError(gettext("Enter an amount above zero."), code="invalid_amount",
                           fields={"amount": [gettext("Above zero.")]})
    if case.state in (S.CANCELLED, S.REFUSED):
        raise Conflict(gettext("Case %(no)s is %(state)s: no compensation on it.")
                       % {"no": case.number, "state": case.get_state_display()}, code="case_closed")
    if not may_refund(actor, case.compensation + amount):
        raise Conflict(gettext("¥%(amount)s in all on this case is above your limit: ask a supervisor.")
                       % {"amount": case.compensation + amount}, code="over_limit",
                       fields={"amount": [gettext("Above your limit.")]})
    before = audit.snapshot(case, [*_CASE_FIELDS, "compensation"])
    case.compensation += amount
    case.updated_at = clock.now()
    case.save()
    audit.record_event("aftersales.compensate", actor=actor, obj=case, grant=grant, reason=reason,
                       changes=audit.changes_between(before, audit.snapshot(case, [*_CASE_FIELDS, "compensation"])))
    return case


def _works_on(user, shop) -> bool:
    from shopdesk.channels.selectors import shops_visible_to

    return user.is_active and shops_visible_to(user).filter(pk=shop.pk).exists()


# --- complaints -----------------------------------------------------------------------------------------------------

COMPLAINT_STEPS = [Complaint.Step.LISTEN, Complaint.Step.APOLOGISE, Complaint.Step.ASK, Complaint.Step.RECORD,
                   Complaint.Step.RESOLVE, Complaint.Step.CLOSED]
_COMPLAINT_FIELDS = ["step", "cause", "resolution", "compensation", "against_staff"]


@transaction.atomic
def open_complaint(*, actor, shop, summary: str, order: Order | None = None, buyer_platform_id: str = "",
                   against_staff=None) -> Complaint:
    grant = _authorize(actor, OPEN_COMPLAINT, shop)
    if order is not None and order.shop_id != shop.pk:
        raise ServiceError(gettext("The order is not of this shop."), code="wrong_shop",
                           fields={"order": [gettext("Another shop's order.")]})
    if not summary.strip():
        raise ServiceError(gettext("Write down what the buyer complains about."), code="summary_required",
                           fields={"summary": [gettext("Required.")]})
    if against_staff is not None and not _works_on(against_staff, shop):
        raise ServiceError(gettext("%(name)s does not work on %(shop)s.") % {"name": against_staff, "shop": shop.name},
                           code="not_shop_staff", fields={"against_staff": [gettext("Not a colleague on this shop.")]})
    complaint = Complaint.objects.create(
        shop=shop, order=order, summary=summary.strip()[:500], against_staff=against_staff, opened_by=_user(actor),
        buyer_platform_id=(buyer_platform_id or (order.buyer_platform_id if order else ""))[:80])
    audit.record_event("aftersales.open_complaint", actor=actor, obj=complaint, grant=grant,
                       changes=audit.created(complaint, _COMPLAINT_FIELDS))
    return complaint


@transaction.atomic
def advance_complaint(*, actor, complaint: Complaint, notes: str = "", cause: str = "", resolution: str = "",
                      compensation=None, from_step: str = "") -> Complaint:
    """One step on: listen → apologise → ask → record (the cause is named) → resolve (the resolution, any
    compensation; a follow-up call falls due the next working day) → close. `from_step` is the step the person saw
    (the forms and the API send it): a second click of the same button does not skip a step."""
    from shopdesk.core.workdays import next_working_day

    complaint = Complaint.objects.select_for_update().select_related("shop").get(pk=complaint.pk)
    grant = _authorize(actor, WORK_COMPLAINT, complaint.shop)
    if complaint.step == Complaint.Step.CLOSED:
        raise Conflict(gettext("The complaint is closed."), code="closed")
    if from_step and from_step != complaint.step:
        raise Conflict(gettext("The complaint has already moved on to %(step)s.")
                       % {"step": complaint.get_step_display()}, code="step_moved")
    target = COMPLAINT_STEPS[COMPLAINT_STEPS.index(complaint.step) + 1]
    before = audit.snapshot(complaint, _COMPLAINT_FIELDS)
    if notes.strip():
        stamp = clock.localnow().strftime("%Y-%m-%d %H:%M")
        complaint.notes = (complaint.notes + "\n" if complaint.notes else "") + f"[{stamp}] {notes.strip()}"
    now = clock.now()
    if target == Complaint.Step.RECORD:
        if cause not in Complaint.Cause.values:
            raise ServiceError(gettext("Name the cause of the complaint."), code="cause_required",
                               fields={"cause": [gettext("Required.")]})
        complaint.cause = cause
    elif target == Complaint.Step.RESOLVE:
        if not resolution.strip():
            raise ServiceError(gettext("Write down how the complaint was resolved."), code="resolution_required",
                               fields={"resolution": [gettext("Required.")]})
        amount = Decimal("0")
        if compensation not in (None, ""):
            try:
                amount = Decimal(str(compensation)).quantize(CENT)
            except ArithmeticError:
                amount = Decimal("-1")
            if amount < 0:
                raise ServiceError(gettext("Enter an amount of zero or more."), code="invalid_amount",
                                   fields={"compensation": [gettext("Zero or more.")]})
            if not may_refund(actor, amount):
                raise Conflict(gettext("¥%(amount)s is above your limit: ask a supervisor.") % {"amount": amount},
                               code="over_limit", fields={"compensation": [gettext("Above your limit.")]})
        complaint.resolution, complaint.compensation, complaint.resolved_at = resolution.strip()[:500], amount, now
        due_day = next_working_day(clock.today())
        complaint.follow_up_due_at = datetime.combine(due_day, time(18, 0), tzinfo=DEPARTMENT_TZ())
        open_deadline(subject=complaint, rule=COMPLAINT_FOLLOW_UP_RULE,
                      title=gettext("Follow-up call on complaint %(no)s") % {"no": complaint},
                      # against a colleague: the supervisor calls (the agents do not see such complaints)
                      due_at=complaint.follow_up_due_at,
                      owner=None if complaint.against_staff_id else complaint.opened_by,
                      owner_role="cs_supervisor" if complaint.against_staff_id else "cs_aftersales",
                      escalate_to_role="manager" if complaint.against_staff_id else "cs_supervisor", actor=actor)
    elif target == Complaint.Step.CLOSED:
        complaint.closed_at = now
    complaint.step = target
    complaint.save()
    audit.record_event(f"aftersales.complaint_{target}", actor=actor, obj=complaint, grant=grant, reason=notes[:200],
                       changes=audit.changes_between(before, audit.snapshot(complaint, _COMPLAINT_FIELDS)))
    return complaint


@transaction.atomic
def record_complaint_follow_up(*, actor, complaint: Complaint, note: str) -> Complaint:
    """The call after the complaint was resolved (事情解决后, 打一通电话, 做后续跟踪, 000:2427)."""
    from shopdesk.core.models import Deadline

    complaint = Complaint.objects.select_for_update().select_related("shop").get(pk=complaint.pk)
    grant = _authorize(actor, WORK_COMPLAINT, complaint.shop)
    if complaint.resolved_at is None:
        raise Conflict(gettext("Resolve the complaint before the follow-up call."), code="not_resolved")
    if complaint.followed_up_at is not None:
        raise Conflict(gettext("The follow-up call is already recorded."), code="already_followed_up")
    if not note.strip():
        raise ServiceError(gettext("Write down what the buyer said."), code="note_required",
                           fields={"note": [gettext("Required.")]})
    complaint.followed_up_at, complaint.follow_up_note = clock.now(), note.strip()[:500]
    complaint.save(update_fields=["followed_up_at", "follow_up_note"])
    for deadline in Deadline.objects.filter(rule=COMPLAINT_FOLLOW_UP_RULE, subject_id=str(complaint.pk),
                                            closed_at__isnull=True):
        close_deadline(deadline=deadline, actor=actor)
    audit.record_event("aftersales.complaint_follow_up", actor=actor, obj=complaint, grant=grant, reason=note[:200],
                       changes={"followed_up_at": {"before": None, "after": audit._plain(complaint.followed_up_at)}})
    return complaint
