"""Reads of the supervisor's side of customer service: the settings, the KPI report scoped to the person's shops,
quality scores, the roster week with its coverage and who is on duty, the score sheets and their measures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.service import kpis, roster
from shopdesk.service.models import Message, QualityScore, RosterEntry, ScoreSheet, ServiceSettings, Shift
from shopdesk.staff.authz import sees_all_shops
from shopdesk.staff.roles import ROLES

CS_ROLE_CODES = tuple(code for code, spec in ROLES.items() if "cs" in spec.tags)
# The posts that answer buyers all day and get a monthly score sheet (the supervisor does not receive buyers,
# 003:552; the manager may still build a supervisor's sheet one by one).
AGENT_ROLE_CODES = ("cs_presales", "cs_aftersales")
OPEN_SHEET_STATES = (ScoreSheet.State.DRAFT, ScoreSheet.State.REJECTED)


def service_settings() -> ServiceSettings:
    """The one settings row (migration 0002 creates it); the defaults, unsaved, if it is missing."""
    return ServiceSettings.objects.order_by("pk").first() or ServiceSettings()


def person_name(user) -> str:
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return (profile.display_name if profile is not None else "") or user.get_username()


# --- people ---------------------------------------------------------------------------------------------------------


def cs_people():
    """Active people holding a customer-service post (pre-sales, after-sales, supervisor)."""
    return (get_user_model().objects.filter(is_active=True, groups__role__code__in=CS_ROLE_CODES)
            .select_related("staff_profile").distinct().order_by("username"))


def sheet_agents():
    """Active pre-sales and after-sales agents: who gets a score sheet when a month's sheets are built."""
    return (get_user_model().objects.filter(is_active=True, groups__role__code__in=AGENT_ROLE_CODES)
            .select_related("staff_profile").distinct().order_by("username"))


def cs_people_for(user):
    """The CS people the person may pick in a filter: those who work on one of the person's shops (everyone for a
    person who sees every shop)."""
    qs = cs_people()
    if sees_all_shops(user):
        return qs
    return qs.filter(staff_profile__shops__in=shops_visible_to(user)).distinct()


def is_cs_agent(user) -> bool:
    """A person the roster may name: active, holding a CS post, and working on at least one shop."""
    if user is None or not user.is_active:
        return False
    if not user.groups.filter(role__code__in=CS_ROLE_CODES).exists():
        return False
    return shops_visible_to(user).exists()


# --- KPIs -----------------------------------------------------------------------------------------------------------


def kpi_report(user, *, start: date, end: date, period: str = "day", shop=None, agent=None) -> kpis.Report:
    """The KPIs of the person's shops (one shop when given; one agent's rows when given)."""
    if shop is not None:
        shop_ids = [shop.pk]
    elif sees_all_shops(user):
        shop_ids = None
    else:
        shop_ids = list(shops_visible_to(user).values_list("pk", flat=True))
    return kpis.compute(start, end, period=period, shop_ids=shop_ids,
                        agent_ids=[agent.pk] if agent is not None else None)


# --- quality --------------------------------------------------------------------------------------------------------


def quality_scores(user):
    """Quality scores of the person's shops with the effective score (manual when given) as `effective`."""
    return (QualityScore.objects.filter(conversation__shop__in=shops_visible_to(user))
            .select_related("conversation__shop", "agent__staff_profile", "reviewed_by__staff_profile")
            .annotate(effective=Coalesce("manual_score", "auto_score")))


def quality_score_detail(user, pk: int) -> QualityScore:
    return quality_scores(user).get(pk=pk)


def day_messages(score: QualityScore):
    """The messages of the inspected conversation-day (notes too, marked as such), in time order."""
    lo, hi = kpis.local_bounds(score.day, score.day)
    return (Message.objects.filter(conversation_id=score.conversation_id, sent_at__gte=lo, sent_at__lt=hi)
            .select_related("agent__staff_profile").order_by("sent_at", "id"))


def quality_to_review(user, *, below: int = 80, days: int = 7) -> int:
    """Scores under `below` of the last `days` days nobody has reviewed yet (the supervisor's tile)."""
    since = clock.today() - timedelta(days=days)
    return (QualityScore.objects.filter(conversation__shop__in=shops_visible_to(user), day__gte=since,
                                        reviewed_by__isnull=True, auto_score__lt=below).count())


# --- roster ---------------------------------------------------------------------------------------------------------


def shifts():
    return Shift.objects.order_by("start", "id")


def duties(first: date, last: date) -> list[roster.Duty]:
    return [roster.Duty(day=e.day, start=e.shift.start, end=e.shift.end, agent_id=e.agent_id, shift_id=e.shift_id,
                        entry_id=e.pk)
            for e in RosterEntry.objects.filter(day__gte=first, day__lte=last).select_related("shift")]


def _local_naive(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


@dataclass
class RosterWeek:
    monday: date
    days: list[date]
    shifts: list
    cells: dict  # (day, shift id) -> [RosterEntry]
    coverage: list[roster.DayCoverage]
    on_duty: list  # RosterEntry rows on duty now
    settings: ServiceSettings

    @property
    def gap_days(self) -> int:
        return sum(1 for c in self.coverage if c.gaps)

    @property
    def prev_week(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next_week(self) -> date:
        return self.monday + timedelta(days=7)

    def grid(self) -> list[dict]:
        """Rows per shift, a cell per day with its entries (for the template)."""
        return [{"shift": s, "cells": [{"day": d, "entries": self.cells.get((d, s.pk), [])} for d in self.days]}
                for s in self.shifts]


def roster_week(day: date, *, now: datetime | None = None) -> RosterWeek:
    """The week holding `day`: the entries per shift and day, each day's coverage of the chat hours, and who is on
    duty at `now` (default: now). Three queries whatever the roster's size."""
    settings = service_settings()
    days = roster.week_of(day)
    first, last = roster.days_needed(days)
    now_local = _local_naive(now or clock.now())
    first = min(first, now_local.date() - timedelta(days=1))
    last = max(last, now_local.date())
    entries = list(RosterEntry.objects.filter(day__gte=first, day__lte=last)
                   .select_related("shift", "agent__staff_profile").order_by("day", "shift__start", "agent__username"))
    shift_list = list(shifts())
    cells: dict = {}
    for e in entries:
        cells.setdefault((e.day, e.shift_id), []).append(e)
    as_duty = {e.pk: roster.Duty(day=e.day, start=e.shift.start, end=e.shift.end, agent_id=e.agent_id,
                                 shift_id=e.shift_id, entry_id=e.pk) for e in entries}
    cov = [roster.coverage(d, settings.chat_opens, settings.chat_closes, as_duty.values()) for d in days]
    by_id = {e.pk: e for e in entries}
    now_on = [by_id[d.entry_id] for d in roster.on_duty(now_local, as_duty.values())]
    return RosterWeek(monday=days[0], days=days, shifts=shift_list, cells=cells, coverage=cov, on_duty=now_on,
                      settings=settings)


def roster_gaps_this_week() -> int:
    """Days of this week with a gap in the chat hours (the supervisor's tile)."""
    return roster_week(clock.today()).gap_days


def on_duty_now(now: datetime | None = None) -> list[RosterEntry]:
    now_local = _local_naive(now or clock.now())
    entries = list(RosterEntry.objects.filter(day__gte=now_local.date() - timedelta(days=1), day__lte=now_local.date())
                   .select_related("shift", "agent__staff_profile"))
    duties_ = {e.pk: roster.Duty(day=e.day, start=e.shift.start, end=e.shift.end, entry_id=e.pk) for e in entries}
    on = {d.entry_id for d in roster.on_duty(now_local, duties_.values())}
    return [e for e in entries if e.pk in on]


# --- score sheets ---------------------------------------------------------------------------------------------------


def score_sheets():
    return ScoreSheet.objects.select_related("agent__staff_profile", "submitted_by__staff_profile",
                                             "decided_by__staff_profile")


def due_on(month: date, payroll_day: int) -> date:
    """The day before payroll in the month after `month` (the sheet goes to the manager by then, 003:552)."""
    _first, last = kpis.month_bounds(month)
    following = last + timedelta(days=1)
    _f, following_last = kpis.month_bounds(following)
    payday = following.replace(day=min(max(1, payroll_day), following_last.day))
    return payday - timedelta(days=1)


def last_month(today: date | None = None) -> date:
    today = today or clock.today()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


SHEET_REMINDER_DAYS = 7


def sheets_to_submit(today: date | None = None) -> int:
    """Sheets still with the supervisor (draft or sent back), plus last month's sheets not built yet once their due
    day is a week away or past."""
    today = today or clock.today()
    count = ScoreSheet.objects.filter(state__in=OPEN_SHEET_STATES).count()
    month = last_month(today)
    if due_on(month, service_settings().payroll_day) - timedelta(days=SHEET_REMINDER_DAYS) <= today:
        built = ScoreSheet.objects.filter(month=month).values("agent_id")
        count += sheet_agents().exclude(pk__in=built).count()
    return count


def sheets_awaiting_approval() -> int:
    return ScoreSheet.objects.filter(state=ScoreSheet.State.SUBMITTED).count()


def sheet_measures(agent_ids: list[int], month: date) -> dict[int, dict]:
    """The month's measures of each agent for the score sheet: the KPI totals (every shop) and the quality
    average (manual score where the supervisor gave one). Four to seven queries for any number of agents."""
    first, last = kpis.month_bounds(month)
    report = kpis.compute(first, last, period="month", agent_ids=agent_ids)
    out = {pk: _empty_kpis() for pk in agent_ids}
    for row in report.agent_totals:
        out[row.key] = {k: _plain(v) for k, v in row.measures.items()}
    quality = (QualityScore.objects.filter(agent_id__in=agent_ids, day__gte=first, day__lte=last)
               .values("agent_id").order_by()
               .annotate(average=Avg(Coalesce("manual_score", "auto_score")), scored=Count("pk"),
                         reviewed=Count("pk", filter=Q(reviewed_by__isnull=False))))
    for pk in agent_ids:
        out[pk].update({"quality_average": None, "quality_scored": 0, "quality_reviewed": 0})
    for row in quality:
        out[row["agent_id"]].update({"quality_average": round(float(row["average"]), 1),
                                     "quality_scored": row["scored"], "quality_reviewed": row["reviewed"]})
    return out


def _empty_kpis() -> dict:
    return {k: _plain(v) for k, v in kpis.Tally().measures().items()}


def _plain(value):
    from decimal import Decimal

    return str(value) if isinstance(value, Decimal) else value
