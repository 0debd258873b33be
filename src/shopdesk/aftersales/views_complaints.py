"""Complaint pages (投诉, 003; 000:2407-2429) under /aftersales/complaints/: the list (open, follow-up calls due,
closed), a new complaint, and its page with the step bar listen → apologise → ask → record → resolve → close, the
next step's form and the follow-up call after resolution.

A complaint against a named colleague is only in the selectors' answer for those who may see it, so its page is 404
for everybody else (the colleague included)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.aftersales import selectors, services
from shopdesk.aftersales.forms_complaints import ComplaintForm, ComplaintStepForm, FollowUpForm
from shopdesk.aftersales.models import Complaint
from shopdesk.aftersales.views import timeline
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.orders.views_work import elapsed
from shopdesk.web.forms import add_service_error
from shopdesk.web.tables import Column, Tab, Table

VIEW = "aftersales.view_complaint"
STEP = Complaint.Step
# What each step asks of the agent (000:2407-2429).
STEP_HINTS = {
    STEP.LISTEN: _("Listen to the buyer to the end without interrupting."),
    STEP.APOLOGISE: _("Apologise sincerely, whoever is at fault."),
    STEP.ASK: _("Ask what the buyer wants and what would settle it."),
    STEP.RECORD: _("Record what happened and name the cause."),
    STEP.RESOLVE: _("Resolve it: say what was done and any compensation; a follow-up call falls due the next "
                    "working day."),
    STEP.CLOSED: _("Close politely and thank the buyer."),
}


def _complaint_cells(row) -> None:
    row.age = elapsed(row.opened_at)


@permission_required(VIEW, raise_exception=True)
def complaint_list(request):
    now = clock.now()
    due = Q(resolved_at__isnull=False, followed_up_at__isnull=True, follow_up_due_at__lte=now)
    table = Table(
        request, selectors.complaints_visible_to(request.user),
        columns=[Column("number", _("Complaint"), "id"), Column("shop", _("Shop"), "shop__code"),
                 Column("order", _("Order number"), "order__platform_order_no"),
                 Column("buyer", _("Buyer account"), "buyer_platform_id"), Column("summary", _("Complaint")),
                 Column("step", _("Step"), "step"), Column("cause", _("Cause"), "cause"),
                 Column("follow_up", _("Follow-up call"), "follow_up_due_at"),
                 Column("opened", _("Opened"), "opened_at")],
        tabs=[Tab("open", _("Open"), ~Q(step=STEP.CLOSED)), Tab("follow_up", _("Follow-up call due"), due),
              Tab("closed", _("Closed"), Q(step=STEP.CLOSED)), Tab("all", _("All"), Q())],
        row_template="aftersales/rows/complaint.html", default_sort="opened_at",
        empty_text=_("No complaints."),
    )
    rows = list(table.rows)
    for row in rows:
        _complaint_cells(row)
    table.page.object_list = rows
    return render(request, "aftersales/complaints.html", {"table": table, "now": now})


@permission_required(services.OPEN_COMPLAINT, raise_exception=True)
def complaint_new(request):
    shops = shops_visible_to(request.user).order_by("code")
    form = ComplaintForm(request.POST or None, shops=shops, initial={"order_no": request.GET.get("order", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        order = None
        if d["order_no"].strip():
            order = orders_visible_to(request.user).filter(shop=d["shop"],
                                                           platform_order_no=d["order_no"].strip()).first()
            if order is None:
                form.add_error("order_no", gettext("No order with this number in the shop."))
        if not form.errors:
            try:
                complaint = services.open_complaint(
                    actor=request.user, shop=d["shop"], summary=d["summary"], order=order,
                    buyer_platform_id=d["buyer_platform_id"], against_staff=d["against_staff"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                if selectors.complaints_visible_to(request.user).filter(pk=complaint.pk).exists():
                    messages.success(request, gettext("Complaint %(no)s recorded.") % {"no": complaint})
                    return redirect("aftersales:complaint", pk=complaint.pk)
                messages.success(request, gettext("Complaint %(no)s recorded: a complaint against a colleague goes to "
                                                  "the supervisor.") % {"no": complaint})
                return redirect("aftersales:complaints")
    return render(request, "web/form_page.html", {
        "form": form, "title": gettext("New complaint"), "cancel_url": reverse("aftersales:complaints"),
        "intro": gettext("Listen, apologise, ask, record, resolve and close politely; call the buyer back after "
                         "the complaint is resolved."), "submit_label": gettext("Record the complaint")})


def _complaint(request, pk) -> Complaint:
    return get_object_or_404(selectors.complaints_visible_to(request.user), pk=pk)


def _next_step(complaint: Complaint) -> str:
    steps = services.COMPLAINT_STEPS
    index = steps.index(complaint.step)
    return steps[index + 1] if index + 1 < len(steps) else ""


@permission_required(VIEW, raise_exception=True)
def complaint_detail(request, pk):
    return _render_complaint(request, _complaint(request, pk))


def _render_complaint(request, complaint: Complaint, step_form=None, follow_up_form=None):
    target = _next_step(complaint)
    can_work = request.user.has_perm(services.WORK_COMPLAINT)
    current = services.COMPLAINT_STEPS.index(complaint.step)
    steps = [{"code": s, "label": STEP(s).label, "done": i < current, "current": i == current,
              "hint": STEP_HINTS[s]} for i, s in enumerate(services.COMPLAINT_STEPS)]
    return render(request, "aftersales/complaint.html", {
        "complaint": complaint, "steps": steps, "target": target,
        "target_label": STEP(target).label if target else "", "target_hint": STEP_HINTS.get(target, ""),
        "step_form": (step_form or ComplaintStepForm(target=target)) if can_work and target else None,
        "follow_up_form": (follow_up_form or FollowUpForm()) if can_work and complaint.resolved_at
        and not complaint.followed_up_at else None,
        "timeline": timeline(complaint)})


@permission_required(services.WORK_COMPLAINT, raise_exception=True)
@require_POST
def complaint_advance(request, pk):
    complaint = _complaint(request, pk)
    target = _next_step(complaint)
    form = ComplaintStepForm(request.POST, target=target)
    if form.is_valid():
        d = form.cleaned_data
        try:
            complaint = services.advance_complaint(
                actor=request.user, complaint=complaint, notes=d.get("notes", ""), cause=d.get("cause", ""),
                resolution=d.get("resolution", ""), compensation=d.get("compensation"),
                from_step=d.get("from_step", ""))
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Complaint %(no)s: %(step)s.") % {
                "no": complaint, "step": complaint.get_step_display()})
            return redirect("aftersales:complaint", pk=complaint.pk)
    return _render_complaint(request, complaint, step_form=form)


@permission_required(services.WORK_COMPLAINT, raise_exception=True)
@require_POST
def complaint_follow_up(request, pk):
    complaint = _complaint(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.record_complaint_follow_up(actor=request.user, complaint=complaint,
                                                note=form.cleaned_data["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Follow-up call on %(no)s recorded.") % {"no": complaint})
            return redirect("aftersales:complaint", pk=complaint.pk)
    return _render_complaint(request, complaint, follow_up_form=form)
