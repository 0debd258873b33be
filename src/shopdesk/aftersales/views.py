"""After-sales pages (售后, product.md §2.5) under /aftersales/: the case queues, opening a case from an order with
the live policy preview, the case page with its decision, evidence, return instructions, timeline and actions, the
warehouse's return receiving, and the supervisor's daily check.

Thin like every page: reads through the selectors (scoped to the person's shops, so another shop's case is 404),
writes through one service call, refusals shown as form errors or messages. The buyer's photos are streamed by a view
that checks the permission and the shop, never a public media URL; the buyer's name and phone in the return note are
masked unless the person may see personal data.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Prefetch, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.aftersales import policy, selectors, services
from shopdesk.aftersales.forms import (
    CaseFilter,
    CaseForm,
    CompensationForm,
    EvidenceForm,
    NoteForm,
    ReasonForm,
    ReceiveForm,
    ReturnParcelForm,
)
from shopdesk.aftersales.models import Case, CaseEvidence, CaseLine
from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.orders.models import Order
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.orders.views_work import elapsed
from shopdesk.staff.roles import APPROVE_REFUND
from shopdesk.web.files import private_image
from shopdesk.web.forms import add_service_error
from shopdesk.web.tables import Column, Tab, Table

VIEW = "aftersales.view_case"
S, W = Case.State, Case.Waiting
ROW = "aftersales/rows/case.html"
PRINCIPLES = "可换可不换的以换为主，可退可不退的以退为主；分不清责任的，以我为主"
PAYERS = {"shop": _("The shop pays the return shipping"), "buyer": _("The buyer pays the return shipping")}
ACCEPTED_RULE = "supervisor_accepted"
RECEIVING_LIMIT = 50
ACTION_LABELS = {
    "aftersales.open_case": _("Case opened"), "aftersales.refuse_case": _("Refused by the policy"),
    "aftersales.accept_case": _("Accepted"), "aftersales.accept_refused": _("Accepted by a supervisor"),
    "aftersales.add_evidence": _("Evidence added"), "aftersales.return_parcel": _("Return parcel recorded"),
    "aftersales.receive_return": _("Return received and inspected"),
    "aftersales.request_refund_approval": _("Refund sent for approval"),
    "aftersales.approve_refund": _("Refund approved"), "aftersales.refund": _("Refunded"),
    "aftersales.withdraw_case": _("Withdrawn"), "aftersales.compensate": _("Compensation recorded"),
    "aftersales.open_complaint": _("Complaint opened"), "aftersales.complaint_apologise": _("Apologised"),
    "aftersales.complaint_ask": _("Asked what the buyer wants"), "aftersales.complaint_record": _("Recorded"),
    "aftersales.complaint_resolve": _("Resolved"), "aftersales.complaint_closed": _("Closed"),
    "aftersales.complaint_follow_up": _("Follow-up call"),
}
QUEUE_LABELS = {
    "open": _("Open"), "buyer": _("Waiting for the buyer"), "warehouse": _("Warehouse"), "refund": _("Refund"),
    "supervisor": _("Supervisor"), "refused": _("Refused"), "closed": _("Closed"), "all": _("All"),
}


# --- shared helpers -------------------------------------------------------------------------------------------------


def timeline(obj, limit: int = 100) -> list[dict]:
    """The audit events of a case or complaint, newest first, with readable labels."""
    events = (AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
              .order_by("-occurred_at", "-id")[:limit])
    rows = []
    for event in events:
        choices = _choices(type(obj))
        changes = [{"field": _field_label(type(obj), k), "before": _value(v.get("before"), choices.get(k)),
                    "after": _value(v.get("after"), choices.get(k))}
                   for k, v in (event.changes or {}).items() if isinstance(v, dict)]
        rows.append({"time": event.occurred_at, "actor": event.actor_label, "action": event.action,
                     "label": ACTION_LABELS.get(event.action, event.action), "reason": event.reason,
                     "changes": changes, "created": event.action.endswith("open_case")
                     or event.action.endswith("open_complaint")})
    return rows


def _field_label(model, name: str) -> str:
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _choices(model) -> dict[str, dict]:
    """{field name: {stored value: label}} of the model's fields with choices (states, causes, steps ...)."""
    return {f.name: {str(k): label for k, label in f.flatchoices} for f in model._meta.concrete_fields if f.choices}


def _value(value, labels: dict | None = None) -> str:
    if labels and str(value) in labels and value not in ("", None):
        return str(labels[str(value)])
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def decision_rules(codes) -> list[dict]:
    """Each rule code with its Chinese explanation and whether it allows."""
    rules = []
    for code in codes:
        rule = policy.RULES.get(code)
        if rule is not None:
            rules.append({"code": code, "explanation": rule.explanation, "allows": rule.allows})
        elif code == ACCEPTED_RULE:
            rules.append({"code": code, "explanation": gettext("Accepted by a supervisor against the policy "
                                                               "(可退可不退的以退为主)."), "allows": True})
        else:
            rules.append({"code": code, "explanation": "", "allows": True})
    return rules


def _case(request, pk) -> Case:
    try:
        return selectors.case_detail(request.user, pk)
    except Case.DoesNotExist:
        raise Http404 from None


# --- the case list --------------------------------------------------------------------------------------------------


def _case_cells(row) -> None:
    row.age = elapsed(row.opened_at)


@permission_required(VIEW, raise_exception=True)
def case_list(request):
    """The cases by queue (who they wait for), searchable by order number or return tracking number."""
    table = Table(
        request, selectors.cases_visible_to(request.user),
        columns=[Column("number", _("Case"), "id"), Column("shop", _("Shop"), "shop__code"),
                 Column("order", _("Order number"), "order__platform_order_no"), Column("kind", _("Type"), "kind"),
                 Column("reason", _("Reason"), "reason"), Column("state", _("State"), "state"),
                 Column("waiting", pgettext_lazy("after-sales case", "Waiting for"), "waiting_for"),
                 Column("refund", _("Refund"), "refund_amount", "num"), Column("opened", _("Opened"), "opened_at")],
        tabs=[Tab(key, QUEUE_LABELS[key], q) for key, q in selectors.QUEUES.items()],
        filterset_class=CaseFilter, row_template=ROW, default_sort="opened_at",
        empty_text=_("No after-sales cases."),
    )
    rows = list(table.rows)
    for row in rows:
        _case_cells(row)
    table.page.object_list = rows
    return render(request, "aftersales/cases.html", {"table": table, "principles": PRINCIPLES})


# --- opening a case -------------------------------------------------------------------------------------------------


def _case_order(request, order_pk) -> Order:
    return get_object_or_404(orders_visible_to(request.user).select_related("shop"), pk=order_pk)


def _case_form(order: Order, data=None, files=None) -> CaseForm:
    lines = order.lines.select_related("sku__product").order_by("id")
    return CaseForm(data, files, order_lines=lines, known_days=services.days_since_receipt(order))


def _preview(form: CaseForm, order: Order) -> dict:
    """The policy's decision of what the form says so far, as the preview and the case page show it."""
    data = form.data
    kind, reason = data.get("kind", ""), data.get("reason", "")
    if not kind or not reason:
        return {"pending": True}
    days = form.known_days
    if days is None:
        raw = (data.get("days") or "").strip()
        days = int(raw) if raw.isdigit() else None
    flags = set(data.getlist("item_flags")) if hasattr(data, "getlist") else set(data.get("item_flags") or [])
    condition = (set(data.getlist("item_condition")) if hasattr(data, "getlist")
                 else set(data.get("item_condition") or []))
    chosen = [line for line in form.order_lines
              if (data.get(f"line_{line.pk}") or "").strip().isdigit() and int(data.get(f"line_{line.pk}")) > 0]
    from_catalogue = services.product_flags(chosen) - flags
    flags |= from_catalogue
    try:
        request = services.policy_request(kind=kind, reason=reason, days=days, item_flags=flags,
                                          item_condition=condition, return_shipping=data.get("return_shipping", ""))
    except ServiceError as exc:
        return {"error": exc.message}
    decision = policy.decide(request)
    return {"allowed": decision.allowed, "payer": PAYERS.get(decision.return_shipping_paid_by or "", ""),
            "rules": decision_rules(decision.rule_codes), "explanation": decision.explanation,
            "auto_flags": [policy.FLAG_LABELS[f] for f in sorted(from_catalogue)]}


@permission_required(services.OPEN, raise_exception=True)
def case_new(request, order_pk):
    order = _case_order(request, order_pk)
    if order.status not in services.CASE_STATES:
        messages.error(request, gettext("Order %(no)s is %(status)s: after-sales cases are opened on shipped "
                                        "orders.") % {"no": order.platform_order_no,
                                                      "status": order.get_status_display()})
        return redirect("orders:detail", pk=order.pk)
    form = _case_form(order, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = services.open_case(
                actor=request.user, order=order, kind=d["kind"], reason=d["reason"], lines=d["lines"],
                description=d["description"], days_since_receipt_override=d["days"] if form.known_days is None
                else None, item_flags=d["item_flags"], item_condition=d["item_condition"],
                return_shipping=d["return_shipping"], photos=d["photos"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if case.allowed:
                messages.success(request, gettext("Case %(no)s opened: %(explanation)s")
                                 % {"no": case.number, "explanation": case.explanation})
            else:
                messages.warning(request, gettext("Case %(no)s is recorded as refused by the policy: "
                                                  "%(explanation)s") % {"no": case.number,
                                                                        "explanation": case.explanation})
            return redirect("aftersales:case", pk=case.pk)
    return render(request, "aftersales/case_new.html", {
        "form": form, "order": order, "preview": _preview(form, order) if form.is_bound else {"pending": True},
        "principles": PRINCIPLES, "open_cases": list(order.cases.exclude(state__in=[S.CANCELLED]).order_by("id")),
        "title": gettext("After-sales case for order %(no)s") % {"no": order.platform_order_no}})


@permission_required(services.OPEN, raise_exception=True)
@require_POST
def policy_preview(request):
    """The live decision as the case form changes (htmx): allowed or refused, who pays the return shipping, each
    rule with its Chinese explanation."""
    order_pk = request.POST.get("order", "")
    if not order_pk.isdigit():
        raise Http404
    order = _case_order(request, int(order_pk))
    form = _case_form(order, request.POST)
    return render(request, "aftersales/partials/decision.html", {"preview": _preview(form, order)})


# --- one case -------------------------------------------------------------------------------------------------------


def _actions(user, case: Case) -> dict:
    work = user.has_perm(services.WORK)
    approve = user.has_perm(APPROVE_REFUND)
    return {
        "parcel": work and case.state == S.WAITING_RETURN,
        "evidence": work and case.is_open,
        "refund": work and case.state in (S.REFUND_DUE, S.REFUND_APPROVAL),
        "approve": approve and case.state == S.REFUND_APPROVAL,
        "accept": approve and case.state == S.REFUSED,
        "compensate": work and case.state != S.CANCELLED,
        "withdraw": work and case.state in (S.OPEN, S.WAITING_RETURN, S.REFUND_DUE, S.REFUND_APPROVAL)
        and case.received_at is None,
        "receive": user.has_perm(services.RECEIVE) and case.state == S.WAITING_RETURN,
    }


@permission_required(VIEW, raise_exception=True)
def case_detail(request, pk):
    case = _case(request, pk)
    # The note is masked for everyone: the buyer writes their own name and phone; showing them in clear here would be
    # an unlogged unmasking (the order page unmasks, and logs it).
    masked = True
    instructions = None
    if case.kind in (Case.Kind.RETURN, Case.Kind.EXCHANGE) and case.state in (S.OPEN, S.WAITING_RETURN):
        instructions = selectors.return_instructions(case, masked=masked)
    actions = _actions(request.user, case)
    return render(request, "aftersales/case.html", {
        "case": case, "lines": list(case.lines.all()), "evidence": list(case.evidence.all()),
        "rules": decision_rules(case.rule_codes),
        "flag_labels": [policy.FLAG_LABELS.get(f, f) for f in case.item_flags],
        "condition_labels": [policy.CONDITION_LABELS.get(c, c) for c in case.item_condition],
        "payer": PAYERS.get(case.shipping_paid_by, ""),
        "instructions": instructions, "masked": masked, "timeline": timeline(case), "actions": actions,
        "parcel_form": ReturnParcelForm(initial={"carrier": case.return_carrier,
                                                 "tracking_no": case.return_tracking_no}),
        "evidence_form": EvidenceForm(), "note_form": NoteForm(), "reason_form": ReasonForm(),
        "compensation_form": CompensationForm(), "principles": PRINCIPLES,
        "receive_url": reverse("aftersales:receiving") + "?" + urlencode(
            {"q": case.return_tracking_no or case.order.platform_order_no})})


@permission_required(VIEW, raise_exception=True)
def evidence_photo(request, pk):
    """A buyer's photo, to people who may see the case (never a public media URL)."""
    item = get_object_or_404(CaseEvidence.objects.filter(case__in=selectors.cases_visible_to(request.user)), pk=pk)
    return private_image(item.photo)


def _act(request, pk, form_class, call, success, files=False):
    """One action on a case from its page: the form, the service call, the outcome as a message."""
    case = _case(request, pk)
    form = form_class(request.POST, request.FILES if files else None)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    else:
        try:
            result = call(case, form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            message = success(result) if callable(success) else success % {"no": case.number}
            if message:
                messages.success(request, message)
    return redirect("aftersales:case", pk=case.pk)


@permission_required(services.WORK, raise_exception=True)
@require_POST
def case_parcel(request, pk):
    return _act(request, pk, ReturnParcelForm, lambda case, d: services.record_return_parcel(
        actor=request.user, case=case, carrier=d["carrier"], tracking_no=d["tracking_no"],
        return_shipping=d["return_shipping"]), gettext("Return parcel of %(no)s recorded: the warehouse expects it."))


@permission_required(services.WORK, raise_exception=True)
@require_POST
def case_evidence(request, pk):
    return _act(request, pk, EvidenceForm, lambda case, d: services.add_evidence(
        actor=request.user, case=case, text=d["text"], photos=d["photos"]), gettext("Evidence added to %(no)s."),
        files=True)


@permission_required(services.WORK, raise_exception=True)
@require_POST
def case_refund(request, pk):
    def outcome(case):
        if case.state == S.REFUND_APPROVAL:
            messages.warning(request, gettext("The refund of ¥%(amount)s is above your limit: it waits for a "
                                              "supervisor's approval.") % {"amount": case.refund_amount})
            return ""
        return gettext("Case %(no)s refunded (¥%(amount)s).") % {"no": case.number, "amount": case.refund_amount}

    return _act(request, pk, NoteForm, lambda case, d: services.mark_refunded(
        actor=request.user, case=case, note=d["note"]), outcome)


@permission_required(APPROVE_REFUND, raise_exception=True)
@require_POST
def case_approve(request, pk):
    return _act(request, pk, NoteForm, lambda case, d: services.approve_refund(
        actor=request.user, case=case, note=d["note"]),
        gettext("Refund of %(no)s approved: customer service can pay it now."))


@permission_required(APPROVE_REFUND, raise_exception=True)
@require_POST
def case_accept(request, pk):
    return _act(request, pk, ReasonForm, lambda case, d: services.accept_refused_case(
        actor=request.user, case=case, reason=d["reason"]), gettext("Case %(no)s accepted: the shop takes it."))


@permission_required(services.WORK, raise_exception=True)
@require_POST
def case_compensate(request, pk):
    return _act(request, pk, CompensationForm, lambda case, d: services.record_compensation(
        actor=request.user, case=case, amount=d["amount"], reason=d["reason"]),
        gettext("Compensation recorded on %(no)s."))


@permission_required(services.WORK, raise_exception=True)
@require_POST
def case_withdraw(request, pk):
    return _act(request, pk, ReasonForm, lambda case, d: services.withdraw_case(
        actor=request.user, case=case, reason=d["reason"]), gettext("Case %(no)s withdrawn."))


# --- return receiving (warehouse) -----------------------------------------------------------------------------------


def _locations_by_shop(cases) -> dict[int, list]:
    """The active locations of the warehouses serving each shop of `cases` (two queries per shop)."""
    from shopdesk.inventory import engine
    from shopdesk.inventory.models import Location

    found = {}
    for shop_id in {c.shop_id for c in cases}:
        found[shop_id] = list(Location.objects.filter(
            warehouse_id__in=engine.warehouses_for_shop(shop_id), is_active=True, warehouse__is_active=True)
            .select_related("warehouse").order_by("warehouse__priority", "warehouse_id", "code"))
    return found


def _waiting_returns(user, q: str = ""):
    lines = Prefetch("lines", queryset=CaseLine.objects.select_related("order_line__sku").order_by("id"))
    qs = (selectors.cases_visible_to(user).filter(state=S.WAITING_RETURN).prefetch_related(lines)
          .annotate(no_tracking=SqlCase(When(return_tracking_no="", then=Value(1)), default=Value(0),
                                      output_field=IntegerField()))
          .order_by("no_tracking", "opened_at", "id"))
    q = q.strip()
    if q:
        qs = qs.filter(Q(return_tracking_no__iexact=q) | Q(order__platform_order_no__iexact=q))
    return qs


@permission_required(services.RECEIVE, raise_exception=True)
def receiving(request):
    """The returns the warehouse waits for (those with a tracking number first), a scan box for the return tracking
    number or the order number, and per case the inspection form."""
    q = request.GET.get("q", "").strip()
    cases = list(_waiting_returns(request.user, q)[:RECEIVING_LIMIT])
    locations = _locations_by_shop(cases)
    for case in cases:
        case.receive_form = ReceiveForm(prefix=f"c{case.pk}", case_lines=case.lines.all(),
                                        locations=locations.get(case.shop_id, []))
    return render(request, "aftersales/receiving.html", {"cases": cases, "q": q, "limit": RECEIVING_LIMIT})


@permission_required(services.RECEIVE, raise_exception=True)
@require_POST
def receive(request, pk):
    case = get_object_or_404(_waiting_returns(request.user), pk=pk)
    locations = _locations_by_shop([case])[case.shop_id]
    form = ReceiveForm(request.POST, prefix=f"c{case.pk}", case_lines=case.lines.all(), locations=locations)
    back = reverse("aftersales:receiving") + (f"?{urlencode({'q': request.POST['q']})}" if request.POST.get("q")
                                              else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"{case.number}: {error}")
        return redirect(back)
    try:
        case = services.receive_return(actor=request.user, case=case, inspection=form.inspection(),
                                       location=form.cleaned_data["location"], note=form.cleaned_data["note"])
    except ServiceError as exc:
        messages.error(request, f"{case.number}: {exc.message}")
        return redirect(back)
    if case.state == S.REFUND_DUE:
        messages.success(request, gettext("Return of %(no)s received: the refund of ¥%(amount)s is due.")
                         % {"no": case.number, "amount": case.refund_amount})
    else:
        messages.success(request, gettext("Return of %(no)s received.") % {"no": case.number})
    return redirect(reverse("aftersales:receiving"))


# --- the supervisor's daily check -----------------------------------------------------------------------------------


@permission_required(APPROVE_REFUND, raise_exception=True)
def daily(request):
    """每天检查退款和纠纷 (003:552): refunds waiting for approval, refunds due, returns on the way, cases refused today
    and open complaints."""
    check = selectors.supervisor_daily(request.user, clock.today())
    for case in [*check.refunds_waiting_approval, *check.refunds_due, *check.returns_on_the_way,
                 *check.refused_today]:
        _case_cells(case)
    for complaint in check.complaints_open:
        complaint.age = elapsed(complaint.opened_at)
    return render(request, "aftersales/daily.html", {"check": check, "today": clock.today()})
