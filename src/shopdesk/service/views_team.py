"""The supervisor's customer-service pages under /service/: KPIs, quality inspection, the duty roster, the monthly
score sheets and the CS settings.

Thin like every page: reads through selectors_team (scoped to the person's shops), writes through one service call
each, refusals shown beside the field or as a message. The roster's add and remove answer the week grid alone to
htmx (the page works without JavaScript too).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.service import forms_team as f
from shopdesk.service import quality, selectors_team, services_team
from shopdesk.service.models import QualityScore, RosterEntry, ScoreSheet, Shift
from shopdesk.staff.roles import UNMASK_PERSONAL_DATA
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx
from shopdesk.web.tables import Column, Table

VIEW_KPI = "service.view_kpi"
INSPECT = "service.inspect_quality"
VIEW_ROSTER = "service.view_rosterentry"
ADD_ROSTER = "service.add_rosterentry"
DELETE_ROSTER = "service.delete_rosterentry"
CHANGE_SHIFT = "service.change_shift"
VIEW_SHEET = "service.view_scoresheet"
CHANGE_SHEET = "service.change_scoresheet"
APPROVE_SHEET = "service.approve_scoresheet"
CHANGE_SETTINGS = "service.change_servicesettings"

MEASURES = [
    ("conversations", pgettext_lazy("kpi", "Conversations"),
     _("接待人数: conversation-days in which the agent answered at least once "
       "(one buyer in one shop on one day counts once).")),
    ("first_response_seconds", _("First response"), _("首次响应: the average seconds from the buyer's first waiting "
                                                      "message to the day's first answer.")),
    ("response_seconds", _("Average response"), _("平均响应: the average seconds of every answer to a waiting "
                                                  "buyer.")),
    ("answered_30s", _("≤30 s"), _("Share of the day's first responses given within 30 seconds.")),
    ("answered_60s", _("≤60 s"), _("Share of the day's first responses given within 60 seconds.")),
    ("inquiries", _("Inquiries"), _("询单: conversation-days with a buyer message; they count for the agent who gave "
                                    "that day's first response (unanswered ones for the shop only).")),
    ("converted", _("Converted"), _("Inquiries after which the buyer paid an order in that shop within 24 hours.")),
    ("conversion", _("Conversion"), _("询单转化率 = converted ÷ inquiries.")),
    ("sales", _("Sales"), _("销售额: what the buyers paid for the orders that converted an inquiry (each order "
                            "once).")),
    ("average_order_value", _("Average order value"), _("客单价 = sales ÷ those orders.")),
]
CONVERSION_RULE = _("An inquiry (a buyer's question on a day) counts as converted when that buyer pays an order in "
                    "the same shop within 24 hours after their first message of that day. Orders merged into another "
                    "and free reships are not counted.")


def _seconds(value):
    return "—" if value is None else f"{value:.1f} s"


def _percent(value):
    return "—" if value is None else f"{value * 100:.1f}%"


def _money(value):
    return "—" if value is None else f"¥{Decimal(str(value)):,.2f}"  # stored measures keep money as text


def display(measures: dict) -> list[str]:
    """The measures of a row as the table shows them, in MEASURES order."""
    formats = {"first_response_seconds": _seconds, "response_seconds": _seconds, "answered_30s": _percent,
               "answered_60s": _percent, "conversion": _percent, "sales": _money, "average_order_value": _money}
    return [formats.get(key, str)(measures.get(key)) for key, _label, _help in MEASURES]


def _period_label(day, period):
    if day is None:
        return gettext("Total")
    if period == "week":
        return gettext("Week of %(day)s") % {"day": day.strftime("%m-%d")}
    if period == "month":
        return day.strftime("%Y-%m")
    return dateformat.format(day, "m-d D")


def _table_rows(rows, totals, period):
    """Rows grouped per agent/shop: its periods, then its total (when it has more than one period)."""
    by_key: dict = {}
    for r in rows:
        by_key.setdefault(r.key, []).append(r)
    out = []
    for total in totals:
        own = by_key.get(total.key, [])
        for r in own:
            out.append({"name": r.name, "period": _period_label(r.period, period), "cells": display(r.measures),
                        "total": False})
        if len(own) > 1:
            out.append({"name": total.name, "period": _period_label(None, period), "cells": display(total.measures),
                        "total": True})
    return out


# --- KPIs -----------------------------------------------------------------------------------------------------------


@permission_required(VIEW_KPI, raise_exception=True)
def kpi_page(request):
    """The KPIs of the person's shops per agent and per shop, per day, week or month of a date range."""
    form = f.KpiFilterForm(request.GET or None, user=request.user)
    v = form.values()
    report = selectors_team.kpi_report(request.user, start=v["start"], end=v["end"], period=v["period"],
                                       shop=v.get("shop"), agent=v.get("agent"))
    return render(request, "service/team/kpis.html", {
        "form": form, "report": report, "filters": v, "measures": MEASURES, "conversion_rule": CONVERSION_RULE,
        "agent_rows": _table_rows(report.agents, report.agent_totals, v["period"]),
        "shop_rows": _table_rows(report.shops, report.shop_totals, v["period"]),
        "total": display(report.total)})


# --- quality --------------------------------------------------------------------------------------------------------


@permission_required(INSPECT, raise_exception=True)
def quality_list(request):
    """Conversation-days by quality score, lowest first."""
    table = Table(
        request, selectors_team.quality_scores(request.user),
        columns=[Column("score", _("Score"), "effective", "num"), Column("day", _("Day"), "day"),
                 Column("shop", _("Shop"), "conversation__shop__code"), Column("buyer", _("Buyer")),
                 Column("agent", _("Agent"), "agent__username"),
                 Column("findings", pgettext_lazy("quality inspection", "Findings")),
                 Column("reviewed", _("Reviewed"), "reviewed_at")],
        filterset_class=f.QualityFilter, row_template="service/team/rows/quality.html", default_sort="effective",
        empty_text=_("No quality scores. Scores are made when a conversation closes, or with “Inspect a day”."))
    rows = list(table.rows)
    for row in rows:
        row.rule_labels = sorted({str(f.RULE_LABELS.get(x.get("rule"), x.get("rule"))) for x in row.findings or []})
        row.agent_name = selectors_team.person_name(row.agent)
    table.page.object_list = rows
    return render(request, "service/team/quality.html", {
        "table": table, "inspect_form": f.InspectDayForm(initial={"day": clock.today() - timedelta(days=1)}),
        "rules": [(code, f.RULE_LABELS[code], quality.RULES[code]) for code in quality.RULE_CODES],
        "weights": selectors_team.service_settings().quality_weights})


@permission_required(INSPECT, raise_exception=True)
@require_POST
def quality_inspect(request):
    form = f.InspectDayForm(request.POST)
    if form.is_valid():
        try:
            n = services_team.inspect_day(actor=request.user, day=form.cleaned_data["day"])
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("%(n)d conversations of %(day)s inspected.")
                             % {"n": n, "day": form.cleaned_data["day"].isoformat()})
    else:
        messages.error(request, gettext("Give the day to inspect."))
    return redirect(reverse("service:quality") + "?" + urlencode({"start": request.POST.get("day", ""),
                                                                  "end": request.POST.get("day", "")}))


def _score(request, pk) -> QualityScore:
    try:
        return selectors_team.quality_score_detail(request.user, pk)
    except QualityScore.DoesNotExist:
        raise Http404 from None


@permission_required(INSPECT, raise_exception=True)
def quality_detail(request, pk):
    """A conversation-day with its messages and findings; the supervisor's score and comment."""
    score = _score(request, pk)
    form = f.ReviewForm(request.POST or None, initial={"manual_score": score.manual_score, "comment": score.comment})
    if request.method == "POST" and form.is_valid():
        try:
            services_team.review_quality_score(actor=request.user, score=score,
                                               manual_score=form.cleaned_data["manual_score"],
                                               comment=form.cleaned_data["comment"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Review saved."))
            return redirect("service:quality_detail", pk=score.pk)
    unmask = request.user.has_perm(UNMASK_PERSONAL_DATA)
    flagged: dict[int, list[str]] = {}
    for finding in score.findings or []:
        flagged.setdefault(finding.get("message"), []).append(str(f.RULE_LABELS.get(finding.get("rule"), "")))
    thread = []
    for m in selectors_team.day_messages(score):
        thread.append({"m": m, "text": m.text if unmask else quality.mask_text(m.text),
                       "flags": flagged.get(m.pk, []), "agent_name": selectors_team.person_name(m.agent)})
    findings = [{**x, "label": f.RULE_LABELS.get(x.get("rule"), x.get("rule")),
                 "detail": x.get("detail", "") if unmask else quality.mask_text(x.get("detail", ""))}
                for x in score.findings or []]
    weights = selectors_team.service_settings().quality_weights or {}
    return render(request, "service/team/quality_detail.html", {
        "score": score, "thread": thread, "findings": findings, "form": form, "weights": weights,
        "agent_name": selectors_team.person_name(score.agent),
        "reviewer_name": selectors_team.person_name(score.reviewed_by),
        "own": score.agent_id == request.user.pk})


# --- roster ---------------------------------------------------------------------------------------------------------


def _roster_context(request, monday):
    week = selectors_team.roster_week(monday)
    can_edit = request.user.has_perm(ADD_ROSTER)
    return {"week": week, "grid": week.grid(), "can_add": can_edit,
            "can_remove": request.user.has_perm(DELETE_ROSTER), "can_shift": request.user.has_perm(CHANGE_SHIFT),
            "today": clock.today(), "add_form": f.RosterEntryForm(initial={"day": max(monday, clock.today())})
            if can_edit else None}


def _week_url(monday) -> str:
    return reverse("service:roster") + "?" + urlencode({"week": monday.isoformat()})


@permission_required(VIEW_ROSTER, raise_exception=True)
def roster_page(request):
    """The duty roster of a week: who works which shift each day, the gaps in the chat hours, who is on duty now."""
    monday = f.week_param(request.GET.get("week"))
    context = _roster_context(request, monday)
    context["shift_forms"] = [(s, f.ShiftForm(initial={"name": s.name, "start": s.start, "end": s.end},
                                              prefix=f"shift{s.pk}")) for s in context["week"].shifts]
    return render(request, "service/team/roster.html", context)


def _roster_answer(request, monday):
    if is_htmx(request):
        return render(request, "service/team/partials/roster_grid.html", _roster_context(request, monday))
    return redirect(_week_url(monday))


@permission_required(ADD_ROSTER, raise_exception=True)
@require_POST
def roster_add(request):
    form = f.RosterEntryForm(request.POST)
    monday = f.week_param(request.POST.get("week"))
    if form.is_valid():
        d = form.cleaned_data
        monday = d["day"] - timedelta(days=d["day"].weekday())
        try:
            services_team.add_roster_entry(actor=request.user, day=d["day"], shift=d["shift"], agent=d["agent"])
        except ServiceError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    return _roster_answer(request, monday)


@permission_required(DELETE_ROSTER, raise_exception=True)
@require_POST
def roster_remove(request, pk):
    entry = get_object_or_404(RosterEntry.objects.select_related("shift", "agent"), pk=pk)
    monday = entry.day - timedelta(days=entry.day.weekday())
    try:
        services_team.remove_roster_entry(actor=request.user, entry=entry)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return _roster_answer(request, monday)


@permission_required(CHANGE_SHIFT, raise_exception=True)
@require_POST
def shift_edit(request, pk):
    shift = get_object_or_404(Shift, pk=pk)
    form = f.ShiftForm(request.POST, prefix=f"shift{shift.pk}")
    if form.is_valid():
        try:
            services_team.update_shift(actor=request.user, shift=shift, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, gettext("Shift %(name)s saved.") % {"name": form.cleaned_data["name"]})
    else:
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_week_url(f.week_param(request.POST.get("week"))))


# --- score sheets ---------------------------------------------------------------------------------------------------


def _sheet_state(sheet, today):
    sheet.overdue = sheet.state in selectors_team.OPEN_SHEET_STATES and sheet.due_on < today
    sheet.agent_name = selectors_team.person_name(sheet.agent)
    return sheet


@permission_required(VIEW_SHEET, raise_exception=True)
def score_sheet_list(request):
    """The score sheets of a month (last month by default) with their state and due day."""
    form = f.MonthForm(request.GET or None)
    month = form.cleaned_data["month"] if form.is_bound and form.is_valid() and form.cleaned_data["month"] else (
        selectors_team.last_month())
    today = clock.today()
    sheets = [_sheet_state(s, today) for s in selectors_team.score_sheets().filter(month=month)
              .order_by("agent__username")]
    others = (selectors_team.score_sheets().exclude(month=month)
              .filter(state__in=[*selectors_team.OPEN_SHEET_STATES, ScoreSheet.State.SUBMITTED])
              .order_by("due_on", "agent__username")[:50])
    settings = selectors_team.service_settings()
    return render(request, "service/team/score_sheets.html", {
        "sheets": sheets, "others": [_sheet_state(s, today) for s in others], "month": month,
        "month_form": f.MonthForm(initial={"month": month.strftime("%Y-%m")}),
        "due_on": selectors_team.due_on(month, settings.payroll_day), "today": today,
        "can_build": request.user.has_perm(CHANGE_SHEET)})


@permission_required(CHANGE_SHEET, raise_exception=True)
@require_POST
def score_sheets_build(request):
    form = f.MonthForm(request.POST)
    if not form.is_valid() or form.cleaned_data["month"] is None:
        messages.error(request, gettext("Give the month as YYYY-MM."))
        return redirect("service:score_sheets")
    month = form.cleaned_data["month"]
    try:
        built = services_team.build_scoresheets(actor=request.user, month=month)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("%(n)d score sheets built for %(month)s.")
                         % {"n": len(built), "month": month.strftime("%Y-%m")})
    return redirect(reverse("service:score_sheets") + "?" + urlencode({"month": month.strftime("%Y-%m")}))


def _sheet(pk) -> ScoreSheet:
    return get_object_or_404(selectors_team.score_sheets(), pk=pk)


def _components(sheet: ScoreSheet) -> list[dict]:
    explain = {
        "quality": gettext("The month's average quality score (the supervisor's score where given)."),
        "first_response": gettext("100 at an average first response of %(full)d s or less, 0 at %(zero)d s or more, "
                                  "in between in proportion.") % {"full": services_team.FIRST_RESPONSE_FULL,
                                                                  "zero": services_team.FIRST_RESPONSE_ZERO},
        "answered_30s": gettext("The share of first responses within 30 seconds, as points."),
        "conversion": gettext("Inquiry→order conversion; %(full)d%% or more is full marks.")
        % {"full": int(services_team.CONVERSION_FULL * 100)},
    }
    k = (sheet.measures or {}).get("kpis", {})
    values = {"quality": (f"{k['quality_average']:.1f}" if k.get("quality_average") is not None else "—"),
              "first_response": _seconds(k.get("first_response_seconds")),
              "answered_30s": _percent(k.get("answered_30s")), "conversion": _percent(k.get("conversion"))}
    out = []
    for part in (sheet.measures or {}).get("components", []):
        key = part.get("key")
        out.append({**part, "label": f.COMPONENT_LABELS.get(key, key), "explain": explain.get(key, ""),
                    "value": values.get(key, "")})
    return out


@permission_required(VIEW_SHEET, raise_exception=True)
def score_sheet_detail(request, pk):
    sheet = _sheet_state(_sheet(pk), clock.today())
    editable = sheet.state in selectors_team.OPEN_SHEET_STATES
    own = sheet.agent_id == request.user.pk
    k = (sheet.measures or {}).get("kpis", {})
    return render(request, "service/team/score_sheet.html", {
        "sheet": sheet, "components": _components(sheet), "kpis": k,
        "kpi_cells": list(zip([label for _k, label, _h in MEASURES], display(k), strict=True)) if k else [],
        "can_change": request.user.has_perm(CHANGE_SHEET) and editable and not own,
        "can_decide": request.user.has_perm(APPROVE_SHEET) and sheet.state == ScoreSheet.State.SUBMITTED
        and not own and sheet.submitted_by_id != request.user.pk,
        "adjust_form": f.AdjustForm(initial={"adjustment": sheet.adjustment, "comment": sheet.comment}),
        "decision_form": f.DecisionForm(), "conversion_rule": CONVERSION_RULE,
        "submitted_name": selectors_team.person_name(sheet.submitted_by),
        "decided_name": selectors_team.person_name(sheet.decided_by)})


def _sheet_action(request, pk, call, done: str):
    sheet = _sheet(pk)
    try:
        call(sheet)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("service:score_sheet", pk=sheet.pk)


@permission_required(CHANGE_SHEET, raise_exception=True)
@require_POST
def score_sheet_rebuild(request, pk):
    return _sheet_action(request, pk, lambda s: services_team.build_scoresheet(
        actor=request.user, agent=s.agent, month=s.month), gettext("Score sheet rebuilt from the current data."))


@permission_required(CHANGE_SHEET, raise_exception=True)
@require_POST
def score_sheet_adjust(request, pk):
    form = f.AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("service:score_sheet", pk=pk)
    return _sheet_action(request, pk, lambda s: services_team.adjust_scoresheet(
        actor=request.user, sheet=s, **form.cleaned_data), gettext("Adjustment saved."))


@permission_required(CHANGE_SHEET, raise_exception=True)
@require_POST
def score_sheet_submit(request, pk):
    return _sheet_action(request, pk, lambda s: services_team.submit_scoresheet(actor=request.user, sheet=s),
                         gettext("Submitted to the manager for approval."))


@permission_required(APPROVE_SHEET, raise_exception=True)
@require_POST
def score_sheet_decide(request, pk):
    form = f.DecisionForm(request.POST)
    form.is_valid()
    approve = request.POST.get("decision") == "approve"
    return _sheet_action(request, pk, lambda s: services_team.approve_scoresheet(
        actor=request.user, sheet=s, approve=approve, reason=form.cleaned_data.get("reason", "")),
        gettext("Score sheet approved.") if approve else gettext("Score sheet sent back."))


# --- settings -------------------------------------------------------------------------------------------------------


@permission_required(CHANGE_SETTINGS, raise_exception=True)
def team_settings(request):
    """Chat hours, slow-reply threshold, quality rule weights, score sheet weights, payroll day."""
    current = selectors_team.service_settings()
    form = f.SettingsForm(request.POST or None, settings=current)
    if request.method == "POST" and form.is_valid():
        try:
            services_team.update_service_settings(actor=request.user, **form.service_values())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Customer-service settings saved."))
            return redirect("service:team_settings")
    return render(request, "service/team/settings.html", {
        "form": form, "rules": [(code, quality.RULES[code]) for code in quality.RULE_CODES],
        "first_full": services_team.FIRST_RESPONSE_FULL, "first_zero": services_team.FIRST_RESPONSE_ZERO,
        "conversion_full": int(services_team.CONVERSION_FULL * 100)})

