"""Order pages (订单): the pool with its stage tabs and batch verify/merge, each order's page, and the stage-aware
changes made from it (address, special requests, notes, discount and shipping fee, cancel, split, merge).

Thin: parse, call one service, render. Personal data is masked everywhere unless a person who may unmask asks to see
one order's buyer (logged by `services.unmask_order`)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.core import masking
from shopdesk.core.errors import ServiceError
from shopdesk.orders import flows, forms, risk, selectors, services, verification
from shopdesk.orders.filters import OrderFilter
from shopdesk.orders.models import ChangeRequest, Order, OrderLine, Source, Status
from shopdesk.staff.authz import authority_limits
from shopdesk.staff.roles import EXPORT_PERSONAL_DATA, UNMASK_PERSONAL_DATA
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx, posted_ids
from shopdesk.web.tables import BatchAction, Column, Tab, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

VIEW, CHANGE, VERIFY, CANCEL, MERGE = services.VIEW, services.CHANGE, services.VERIFY, services.CANCEL, services.MERGE
S = Status

TAB_LABELS = {
    "all": _("All"), "unpaid": _("Unpaid"), "review": _("Waiting for review"), "verified": _("Verified"),
    "warehouse": _("In the warehouse"), "shipped": _("Shipped"), "completed": _("Completed"),
    "after_sales": _("After-sales"), "cancelled": _("Cancelled"), "exceptions": _("Exceptions"),
}
CASE_TITLES = {
    "edit": _("Handled directly"), "recall_paperwork": _("Warehouse recall: paperwork"),
    "recall_parcel": _("Warehouse recall: parcel"), "after_sales": _("Refused: already shipped"),
    "closed": _("Refused: the order is closed"),
}
# Exception columns -> the code verification.REASONS / ACTIONS know them by.
EXCEPTION_CODES = {"address_incomplete": "address_incomplete", "unreachable": "unreachable",
                   "has_unmapped": "unmapped", "out_of_stock": "out_of_stock", "risk_flagged": "risk"}
ACTION_LABELS = {
    "orders.import_create": _("Imported"), "orders.api_create": _("Created through the API"),
    "orders.manual_create": _("Entered by hand"), "orders.split_create": _("Created by a split"),
    "orders.platform_update": _("Updated from the platform"), "orders.flag_risk": _("Risk flag"),
    "orders.pay": _("Marked paid"), "orders.recheck": _("Re-checked"), "orders.verify": _("Verified"),
    "orders.unverify": _("Sent back to review"), "orders.print": _("Printed"), "orders.pick": _("Picked"),
    "orders.pack": _("Packed"), "orders.ship": _("Shipped"), "orders.deliver": _("Delivered"),
    "orders.complete": _("Completed"), "orders.after_sales": _("Moved to after-sales"),
    "orders.after_sales_done": _("After-sales finished"),
    "orders.cancel": _("Cancelled"), "orders.change_address": _("Address changed"),
    "orders.change_requests": _("Special requests changed"), "orders.add_note": _("Note added"),
    "orders.remind_payment": _("Payment reminder"), "orders.change_discount": _("Discount changed"),
    "orders.change_shipping_fee": _("Shipping fee changed"), "orders.merge": _("Merged"),
    "orders.merged_away": _("Merged into another order"), "orders.split": _("Split"),
    "orders.unmask": _("Personal data shown"),
}
BATCH_REFUSALS_SHOWN = 20


def _order(request, pk) -> Order:
    """An order of a shop the person works on (404 for any other)."""
    return get_object_or_404(selectors.orders_visible_to(request.user), pk=pk)


def _detail(order: Order) -> str:
    return reverse("orders:detail", args=[order.pk])


def _back(request) -> str:
    """Where a batch action returns: the list page the person came from (with its tab and filters)."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return reverse("orders:list")


def _may_unmask(user) -> bool:
    return user.has_perm(UNMASK_PERSONAL_DATA)


# --- the order pool ------------------------------------------------------------------------------------------------


@permission_required(VIEW, raise_exception=True)
def order_list(request):
    user = request.user
    lines = Prefetch("lines", queryset=OrderLine.objects.only("id", "order_id", "channel_sku_code", "title",
                                                              "quantity"))
    batch = []
    if user.has_perm(VERIFY):
        batch.append(BatchAction("verify", _("Verify"), reverse("orders:list_batch"),
                                 confirm=gettext("Verify the selected orders?")))
    if user.has_perm(MERGE):
        batch.append(BatchAction("merge", _("Merge"), reverse("orders:list_batch"),
                                 confirm=gettext("Merge the selected orders into the oldest one?")))
    table = Table(
        request, selectors.orders_visible_to(user).prefetch_related(lines),
        columns=[Column("no", _("Order number")), Column("shop", _("Shop")), Column("buyer", _("Buyer account")),
                 Column("receiver", _("Receiver")), Column("items", _("Items")),
                 Column("paid", _("Amount paid"), "paid_amount", "num"), Column("status", _("Status")),
                 Column("flags", _("Flags")), Column("ordered", _("Ordered at"), "ordered_at")],
        tabs=[Tab(key, TAB_LABELS.get(key, key), q) for key, q in selectors.order_tabs_q().items()],
        filterset_class=OrderFilter, row_template="orders/rows/order.html", default_sort="-ordered_at",
        batch_actions=batch, empty_text=_("No orders match."),
    )
    for row in table.rows:
        row_lines = list(row.lines.all())
        row.first_line = row_lines[0] if row_lines else None
        row.more_lines = len(row_lines) > 1
        row.units = sum(line.quantity for line in row_lines)
    return render(request, "orders/order_list.html", {"table": table})


@permission_required(VIEW, raise_exception=True)
def order_export(request):
    """The orders of the current tab and filters as .xlsx; personal data in clear only with `?personal_data=1` and
    the permission to export it (the export is logged either way)."""
    from django.db.models import Q

    from shopdesk.core import clock
    from shopdesk.orders import exports

    personal = request.GET.get("personal_data") == "1"
    if personal and not request.user.has_perm(EXPORT_PERSONAL_DATA):
        raise PermissionDenied
    qs = OrderFilter(request.GET, queryset=selectors.orders_visible_to(request.user), request=request).qs
    qs = qs.filter(selectors.order_tabs_q().get(request.GET.get("tab") or "all", Q())).order_by("-ordered_at", "-id")
    content, count = exports.orders_xlsx(qs, personal_data=personal)
    services.record_export(actor=request.user, count=count, personal_data=personal,
                           filters=request.GET.urlencode())
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="orders-{clock.today():%Y%m%d}.xlsx"'
    return response


@permission_required(VIEW, raise_exception=True)
@require_POST
def order_batch(request):
    """The list's batch actions: verify each selected order (reporting each refusal), or merge them."""
    action = request.POST.get("action")
    ids = posted_ids(request)
    needs = {"verify": VERIFY, "merge": MERGE}.get(action)
    if needs is None or not ids:
        messages.error(request, gettext("Choose an action and at least one row."))
        return redirect(_back(request))
    if not request.user.has_perm(needs):
        raise PermissionDenied
    chosen = list(selectors.orders_visible_to(request.user).filter(pk__in=ids).order_by("ordered_at", "id"))
    if action == "merge":
        try:
            target = services.merge_orders(actor=request.user, orders=chosen)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return redirect(_back(request))
        messages.success(request, gettext("%(n)d orders merged into %(no)s.") % {
            "n": len(chosen), "no": target.platform_order_no})
        return redirect(_detail(target))
    done, refused = 0, []
    for order in chosen:
        try:
            services.verify_order(actor=request.user, order=order)
        except ServiceError as exc:
            no = order.platform_order_no
            refused.append(exc.message if no in exc.message else gettext("%(no)s: %(reason)s") % {
                "no": no, "reason": exc.message})
        else:
            done += 1
    if done:
        messages.success(request, ngettext("%(n)d order verified.", "%(n)d orders verified.", done) % {"n": done})
    if refused:
        messages.error(request, ngettext("%(n)d order was not verified:", "%(n)d orders were not verified:",
                                         len(refused)) % {"n": len(refused)})
    for message in refused[:BATCH_REFUSALS_SHOWN]:
        messages.error(request, message)
    if len(refused) > BATCH_REFUSALS_SHOWN:
        messages.error(request, gettext("… and %(n)d more.") % {"n": len(refused) - BATCH_REFUSALS_SHOWN})
    return redirect(_back(request))


# --- one order ------------------------------------------------------------------------------------------------------


def _page_order(request, pk) -> Order:
    try:
        return selectors.order_for_page(request.user, pk)
    except Order.DoesNotExist:
        raise Http404 from None


def _buyer(order: Order, clear: bool) -> dict:
    if clear:
        return {"name": order.buyer_name, "phones": order.phones, "address": order.full_address, "clear": True}
    return {"name": masking.mask_name(order.buyer_name), "phones": [masking.mask_phone(p) for p in order.phones],
            "address": masking.mask_address(order.province, order.city, order.district, order.address_detail),
            "clear": False}


def _notes(order: Order, clear: bool) -> list:
    """Notes with the buyer's personal data masked unless the viewer asked to see this order's buyer in clear."""
    notes = list(order.notes.all())
    for note in notes:
        note.shown = note.text if clear or not note.masked_text else note.masked_text
    return notes


def _field_label(name: str) -> str:
    try:
        return str(Order._meta.get_field(name).verbose_name)
    except Exception:
        return name


def _value(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _timeline(order: Order) -> list[dict]:
    rows = []
    for event in selectors.timeline(order):
        changes = [{"field": _field_label(k), "before": _value(v.get("before")), "after": _value(v.get("after"))}
                   for k, v in (event.changes or {}).items() if isinstance(v, dict)]
        # Stage-aware changes record which case of 003:554 applied as their reason.
        reason = str(CASE_TITLES[event.reason]) if event.reason in CASE_TITLES else event.reason
        rows.append({"time": event.occurred_at, "actor": event.actor_label, "action": event.action,
                     "label": ACTION_LABELS.get(event.action, event.action), "reason": reason,
                     "changes": changes, "created": event.action.endswith("_create")})
    return rows


def _line_rows(order: Order) -> list[OrderLine]:
    lines = list(order.lines.all())
    reserving = order.status in flows.RESERVED_STATES
    for line in lines:
        reservation = line.reservation
        if reservation is not None and reservation.state == "active":
            line.stock = "reserved"
        elif reservation is not None and reservation.state == "consumed":
            line.stock = "shipped"
        elif reserving and line.sku_id is not None:
            line.stock = "short"
        else:
            line.stock = ""
    return lines


def _actions(user, order: Order, case: flows.ChangeCase, units: int) -> dict:
    status = order.status
    can_change = user.has_perm(CHANGE)
    return {
        "verify": (user.has_perm(VERIFY) and status in flows.TRANSITIONS["verify"][0]
                   and not verification.blocking(order.review_reasons)),
        "recheck": can_change and status in selectors.WAITING and order.has_exception,
        "pay": can_change and status in flows.TRANSITIONS["pay"][0] and order.source in (Source.MANUAL, Source.API),
        "remind": can_change and status == S.UNPAID,
        # Who may open a real case (with the policy decision) does that; the bare status move is for the others.
        "open_case": user.has_perm("aftersales.add_case") and status in (S.SHIPPED, S.DELIVERED, S.COMPLETED,
                                                                         S.AFTER_SALES),
        "after_sales": can_change and status in flows.TRANSITIONS["after_sales"][0]
        and not user.has_perm("aftersales.add_case"),
        "change": can_change and case.allowed,
        "note": can_change,
        "cancel": user.has_perm(CANCEL) and status in flows.TRANSITIONS["cancel"][0],
        "split": user.has_perm(MERGE) and status in selectors.WAITING and not order.on_hold and units > 1,
        "merge": user.has_perm(MERGE) and status in selectors.WAITING and not order.on_hold,
    }


def _attention(order: Order) -> dict:
    """Why the order waits or is held: review reasons, exceptions with what to do, risk reasons."""
    exceptions = []
    for column, code in EXCEPTION_CODES.items():
        if getattr(order, column):
            exceptions.append({"label": verification.REASONS[code], "action": verification.ACTIONS.get(code, "")})
    if "phone_invalid" in order.review_reasons and order.status in selectors.WAITING:
        exceptions.append({"label": verification.REASONS["phone_invalid"],
                           "action": verification.ACTIONS["phone_invalid"]})
    return {
        "review": verification.reason_labels(order.review_reasons) if order.status == S.PAID else [],
        "blocking": verification.blocking(order.review_reasons)
        if order.status == S.PAID else [],
        "exceptions": exceptions,
        "risk": [risk.describe(r) for r in order.risk_reasons or [] if isinstance(r, dict)],
    }


def _render_detail(request, order: Order, *, clear: bool):
    user = request.user
    case = flows.change_case(order.status)
    lines = _line_rows(order)
    actions = _actions(user, order, case, sum(line.quantity for line in lines))
    return render(request, "orders/order_detail.html", {
        "order": order, "case": case, "case_title": CASE_TITLES.get(case.code, ""), "lines": lines,
        "buyer": _buyer(order, clear), "notes": _notes(order, clear), "can_unmask": _may_unmask(user),
        "tasks": list(order.tasks.all()), "change_requests": list(order.change_requests.all()),
        "timeline": _timeline(order), "attention": _attention(order), "actions": actions,
        "mergeable": list(selectors.mergeable_with(order).order_by("ordered_at", "id")) if actions["merge"] else [],
        "note_form": forms.NoteForm() if actions["note"] else None,
        "carrier_fallback": selectors.carrier_fallback(order),
    })


@permission_required(VIEW, raise_exception=True)
def order_detail(request, pk):
    return _render_detail(request, _page_order(request, pk), clear=False)


@permission_required([VIEW, UNMASK_PERSONAL_DATA], raise_exception=True)
@require_POST
def order_unmask(request, pk):
    """Show this order's buyer in clear (the look is logged). htmx swaps the buyer block and the notes; without
    htmx the whole page comes back unmasked."""
    order = _page_order(request, pk)
    try:
        services.unmask_order(actor=request.user, order=order, reason=gettext("order page"))
    except ServiceError as exc:
        raise PermissionDenied(exc.message) from exc
    if is_htmx(request):
        return render(request, "orders/partials/unmasked.html", {
            "order": order, "buyer": _buyer(order, True), "notes": _notes(order, True), "can_unmask": True})
    return _render_detail(request, order, clear=True)


# --- steps ----------------------------------------------------------------------------------------------------------


def _step(request, pk, call, success: str):
    order = _order(request, pk)
    try:
        call(order)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success % {"no": order.platform_order_no})
    return redirect(_detail(order))


@permission_required(VERIFY, raise_exception=True)
@require_POST
def order_verify(request, pk):
    return _step(request, pk, lambda o: services.verify_order(actor=request.user, order=o),
                 gettext("Order %(no)s verified."))


@permission_required(CHANGE, raise_exception=True)
@require_POST
def order_recheck(request, pk):
    order = _order(request, pk)
    try:
        order = services.recheck_order(actor=request.user, order=order)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        if order.has_exception:
            messages.warning(request, gettext("Order %(no)s re-checked: it still has exceptions.")
                             % {"no": order.platform_order_no})
        else:
            messages.success(request, gettext("Order %(no)s re-checked: no exceptions left.")
                             % {"no": order.platform_order_no})
    return redirect(_detail(order))


@permission_required(CHANGE, raise_exception=True)
@require_POST
def order_pay(request, pk):
    return _step(request, pk, lambda o: services.pay_order(actor=request.user, order=o),
                 gettext("Order %(no)s marked paid."))


@permission_required(CHANGE, raise_exception=True)
@require_POST
def order_remind(request, pk):
    return _step(request, pk, lambda o: services.remind_payment(actor=request.user, order=o),
                 gettext("Payment reminder of order %(no)s recorded."))


# --- changes by stage (003:554) -------------------------------------------------------------------------------------


def _change_page(request, order: Order, form, title, *, case=None, notes=(), refusal="", intro="", submit_label="",
                 danger=False, **extra):
    """A form page about one order: what the order is, which case of 003:554 applies, then the form; when the case
    (or `refusal`) refuses the change, the refusal and the way out (after-sales) instead of the form."""
    refused = bool(refusal) or (case is not None and not case.allowed)
    return render(request, "orders/order_form.html", {
        "order": order, "form": form, "title": title, "case": case, "refusal": refusal,
        "case_title": CASE_TITLES.get(case.code, "") if case else "", "case_notes": list(notes),
        "refused": refused, "intro": intro, "submit_label": submit_label, "danger": danger,
        "cancel_url": _detail(order), "buyer": _buyer(order, False),
        "after_sales_url": _after_sales_url(request.user, order) if refused else "",
        **extra,
    })


def _case_notes(order: Order, case: flows.ChangeCase, *, cancelling: bool = False) -> list[str]:
    notes = []
    if case.task and cancelling:
        notes.append(gettext("When you cancel, the warehouse gets the recall task so that nothing leaves."))
    elif case.task:
        notes.append(gettext("The order is held until the warehouse has done the recall task."))
    return notes


@permission_required(CHANGE, raise_exception=True)
def change_address(request, pk):
    order = _order(request, pk)
    case = flows.change_case(order.status)
    title = gettext("Change the address of %(no)s") % {"no": order.platform_order_no}
    initial = {}
    may_unmask = _may_unmask(request.user)
    if request.method == "GET" and case.allowed and may_unmask:
        services.unmask_order(actor=request.user, order=order, reason=gettext("change address form"))
        initial = {f: getattr(order, f) for f in services.ADDRESS_FIELDS}
    form = forms.AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and case.allowed and form.is_valid():
        try:
            services.change_address(actor=request.user, order=order, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Address of order %(no)s changed; a flagged note records it.")
                             % {"no": order.platform_order_no})
            if case.task:
                messages.warning(request, gettext("The warehouse has a recall task; the order is held until it is "
                                                  "done."))
            return redirect(_detail(order))
    intro = "" if may_unmask else gettext(
        "You may not see the buyer's personal data: enter the complete new address as the buyer gives it.")
    return _change_page(request, order, form, title, case=case, notes=_case_notes(order, case), intro=intro,
                        submit_label=gettext("Change the address"))


@permission_required(CHANGE, raise_exception=True)
def change_requests(request, pk):
    order = _order(request, pk)
    case = flows.change_case(order.status)
    title = gettext("Special requests of %(no)s") % {"no": order.platform_order_no}
    form = forms.RequestsForm(request.POST or None, initial={f: getattr(order, f) for f in services.REQUEST_FIELDS})
    if request.method == "POST" and case.allowed and form.is_valid():
        try:
            services.change_requests(actor=request.user, order=order, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Special requests of order %(no)s saved; a flagged note records them.")
                             % {"no": order.platform_order_no})
            return redirect(_detail(order))
    return _change_page(request, order, form, title, case=case, notes=_case_notes(order, case),
                        submit_label=gettext("Save the requests"))


@permission_required(CHANGE, raise_exception=True)
def add_note(request, pk):
    order = _order(request, pk)
    form = forms.NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_note(actor=request.user, order=order, text=form.cleaned_data["text"],
                              flagged=form.cleaned_data["flagged"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Note added."))
            return redirect(_detail(order) + "#notes")
    return _change_page(request, order, form, gettext("Add a note to %(no)s") % {"no": order.platform_order_no},
                        submit_label=gettext("Add the note"))


def _limits(user, order: Order) -> dict:
    limits = authority_limits(user)
    base = order.goods_amount + order.discount
    return {"percent": limits.max_discount_percent,
            "discount": (base * limits.max_discount_percent / 100).quantize(Decimal("0.01")),
            "shipping": limits.max_shipping_fee_change, "base": base}


@permission_required(CHANGE, raise_exception=True)
def change_money(request, pk):
    """议价 / 修改运费: within the person's limits at once, beyond them a request for the manager."""
    order = _order(request, pk)
    case = flows.change_case(order.status)
    kind = request.GET.get("kind") if request.GET.get("kind") in ChangeRequest.Kind.values else "discount"
    current = order.discount if kind == ChangeRequest.Kind.DISCOUNT else order.shipping_fee
    form = forms.MoneyForm(request.POST or None, initial={"kind": kind, "value": current})
    if request.method == "POST" and case.allowed and form.is_valid():
        d = form.cleaned_data
        try:
            if d["kind"] == ChangeRequest.Kind.DISCOUNT:
                result = services.change_discount(actor=request.user, order=order, discount=d["value"],
                                                  reason=d["reason"])
            else:
                result = services.change_shipping_fee(actor=request.user, order=order, shipping_fee=d["value"],
                                                      reason=d["reason"])
        except ServiceError as exc:
            fields = {("value" if k in ("discount", "shipping_fee") else k): v for k, v in exc.fields.items()}
            add_service_error(form, ServiceError(exc.message, code=exc.code, fields=fields))
        else:
            if isinstance(result, ChangeRequest):
                messages.warning(request, gettext(
                    "The change is beyond your authority: it was sent to the manager for approval and the order "
                    "waits until then."))
            else:
                messages.success(request, gettext("The change to order %(no)s was applied.")
                                 % {"no": order.platform_order_no})
            return redirect(_detail(order))
    pending = order.change_requests.filter(state=ChangeRequest.State.PENDING).first()
    return _change_page(request, order, form, gettext("Discount or shipping fee of %(no)s")
                        % {"no": order.platform_order_no}, case=case, submit_label=gettext("Apply"),
                        limits=_limits(request.user, order), pending=pending, money=True)


@permission_required(CANCEL, raise_exception=True)
def cancel(request, pk):
    order = _order(request, pk)
    case = flows.change_case(order.status)
    notes = _case_notes(order, case, cancelling=True)
    if order.status != S.UNPAID and order.paid_amount > 0:
        notes.append(gettext("The buyer paid %(amount)s yuan: after-sales gets a task to refund it.")
                     % {"amount": order.paid_amount})
    if order.status in flows.RESERVED_STATES:
        notes.append(gettext("The reserved stock is released."))
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and case.allowed and form.is_valid():
        try:
            services.cancel_order(actor=request.user, order=order, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Order %(no)s cancelled.") % {"no": order.platform_order_no})
            return redirect(_detail(order))
    return _change_page(request, order, form, gettext("Cancel order %(no)s") % {"no": order.platform_order_no},
                        case=case, notes=notes, submit_label=gettext("Cancel the order"), danger=True)


@permission_required(CHANGE, raise_exception=True)
def after_sales(request, pk):
    order = _order(request, pk)
    form = forms.ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.move_to_after_sales(actor=request.user, order=order, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Order %(no)s moved to after-sales.") % {"no": order.platform_order_no})
            return redirect(_detail(order))
    refusal = "" if order.status in flows.TRANSITIONS["after_sales"][0] else gettext(
        "Only shipped, delivered or completed orders move to after-sales; before shipping, change or cancel the "
        "order instead.")
    return _change_page(request, order, form, gettext("After-sales case for %(no)s") % {
        "no": order.platform_order_no}, refusal=refusal,
        intro=gettext("For returns, exchanges, refunds and address problems after shipping. Say what the buyer "
                      "wants."), submit_label=gettext("Move to after-sales"))


# --- split and merge ------------------------------------------------------------------------------------------------


@permission_required(MERGE, raise_exception=True)
def split(request, pk):
    order = _order(request, pk)
    lines = list(order.lines.all())
    form = forms.SplitForm(request.POST or None, lines=lines)
    if request.method == "POST" and form.is_valid():
        try:
            part = services.split_order(actor=request.user, order=order, quantities=form.quantities())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Order %(no)s split: the new order is %(part)s.") % {
                "no": order.platform_order_no, "part": part.platform_order_no})
            return redirect(_detail(part))
    refusal = "" if order.status in selectors.WAITING and not order.on_hold else gettext(
        "Only paid orders that are not printed or on hold can be split.")
    return _change_page(request, order, form, gettext("Split order %(no)s") % {"no": order.platform_order_no},
                        refusal=refusal,
                        intro=gettext("Enter how many units of each line move to a new order (for partial stock or "
                                      "another warehouse). Something must stay on this order."),
                        submit_label=gettext("Split"))


@permission_required(MERGE, raise_exception=True)
@require_POST
def merge(request, pk):
    order = _order(request, pk)
    ids = posted_ids(request)
    others = list(selectors.orders_visible_to(request.user).filter(pk__in=ids).exclude(pk=order.pk))
    try:
        target = services.merge_orders(actor=request.user, orders=[order, *others])
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(_detail(order))
    messages.success(request, gettext("%(n)d orders merged into %(no)s.") % {
        "n": len(others) + 1, "no": target.platform_order_no})
    return redirect(_detail(target))


def _after_sales_url(user, order) -> str:
    """Where a change refused because the order has shipped sends the person: the after-sales case form (with the
    policy decision) for those who open cases, else the bare move into after-sales."""
    if user.has_perm("aftersales.add_case") and order.status in (S.SHIPPED, S.DELIVERED, S.COMPLETED,
                                                                  S.AFTER_SALES):
        return reverse("aftersales:case_new", args=[order.pk])
    if order.status in flows.TRANSITIONS["after_sales"][0] and user.has_perm(CHANGE):
        return reverse("orders:after_sales", args=[order.pk])
    return ""
