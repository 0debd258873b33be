"""Reads of reviews, scoped to the person's shops (another shop's review is 404), and the queues.

Every queue is a range over one of the two stored deadlines with `outcome = ''` in front, so it runs on the indexes
(outcome, follow_up_due_at) and (outcome, explanation_due_at). Positive reviews have no deadlines (NULL), so a range
never touches them although their outcome is empty too. Each OR branch repeats `outcome = ''`, so the database can
answer each branch from its own index and merge them (SQLite's OR-by-union plan).

Queues (now = the clock):

- follow_up: neutral/negative, no outcome, not contacted yet, still modifiable;
- due_soon: not contacted, the 48-hour follow-up due within the next DUE_SOON_HOURS;
- overdue: not contacted after the 48 hours, or the 30-day window ended without an outcome (the supervisor's list);
- due (due_soon ∪ overdue): what needs someone now (the benchmark's query);
- explanation_due: no outcome and the window (explanation_due_at) ends within the next 24 hours;
- waiting: contacted, no outcome yet, window still open;
- call_again: contacted, no outcome, and the next contact time agreed with the buyer has come (003: 下次打电话的时间);
- done: an outcome recorded; positive: positive reviews (no follow-up).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce, NullIf

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.reviews.models import FollowUp, Review, ReviewSettings

CHINA = ZoneInfo("Asia/Shanghai")
DUE_SOON_HOURS = 6
EXPLANATION_HOURS = 24
R = Review.Rating
NEEDS_FOLLOW_UP = (R.NEUTRAL, R.NEGATIVE)


def reviews_visible_to(user):
    return Review.objects.filter(shop__in=shops_visible_to(user)).select_related("shop")


def review_for_page(user, pk: int) -> Review:
    """One review with its order, line, people and follow-ups (Review.DoesNotExist for another shop's review)."""
    return (reviews_visible_to(user)
            .select_related("order", "order_line", "sku", "owner", "outcome_by", "compensation_approved_by")
            .prefetch_related("follow_ups__by")
            .get(pk=pk))


def queue_q(name: str, now: datetime | None = None) -> Q:
    """The condition of one queue (see the module docstring); ValueError for an unknown name."""
    now = now or clock.now()
    open_ = {"outcome": ""}
    soon = now + timedelta(hours=DUE_SOON_HOURS)
    uncontacted_late = Q(first_contact_at__isnull=True, follow_up_due_at__lt=now, **open_)
    window_over = Q(explanation_due_at__lt=now, **open_)
    if name == "follow_up":
        return Q(first_contact_at__isnull=True, explanation_due_at__gte=now, **open_)
    if name == "due_soon":
        return Q(first_contact_at__isnull=True, follow_up_due_at__gte=now, follow_up_due_at__lt=soon, **open_)
    if name == "overdue":
        return uncontacted_late | window_over
    if name == "due":
        return Q(first_contact_at__isnull=True, follow_up_due_at__lt=soon, **open_) | window_over
    if name == "explanation_due":
        return Q(explanation_due_at__gte=now, explanation_due_at__lt=now + timedelta(hours=EXPLANATION_HOURS),
                 **open_)
    if name == "waiting":
        return Q(first_contact_at__isnull=False, explanation_due_at__gte=now, **open_)
    if name == "call_again":
        return Q(first_contact_at__isnull=False, next_contact_at__lte=now, explanation_due_at__gte=now, **open_)
    if name == "done":
        return (Q(rating__in=NEEDS_FOLLOW_UP) | Q(first_rating__in=NEEDS_FOLLOW_UP)) & ~Q(outcome="")
    if name == "positive":
        return Q(rating=R.POSITIVE)
    if name == "all":
        return Q()
    raise ValueError(f"unknown review queue {name!r}")


QUEUES = ("follow_up", "due_soon", "overdue", "explanation_due", "waiting", "call_again", "done", "positive", "all",
          "due")


def review_queue(user, name: str, *, now: datetime | None = None):
    """The reviews of one queue, most urgent first (by the follow-up deadline, then the window's end)."""
    qs = reviews_visible_to(user).filter(queue_q(name, now))
    if name in ("explanation_due", "waiting"):
        return qs.order_by("explanation_due_at", "id")
    if name == "call_again":
        return qs.order_by("next_contact_at", "id")
    if name in ("positive", "all", "done"):
        return qs.order_by("-posted_at", "-id")
    return qs.order_by("follow_up_due_at", "id")


def badge(review: Review, now: datetime | None = None) -> str:
    """The due badge of a row: overdue (red), due_soon (amber), explanation_due, waiting, done or ''."""
    now = now or clock.now()
    if not review.needs_follow_up:
        return ""
    if review.outcome:
        return "done"
    if review.explanation_due_at and review.explanation_due_at < now:
        return "overdue"
    if review.first_contact_at is None and review.follow_up_due_at:
        if review.follow_up_due_at < now:
            return "overdue"
        if review.follow_up_due_at < now + timedelta(hours=DUE_SOON_HOURS):
            return "due_soon"
    if review.explanation_due_at and review.explanation_due_at < now + timedelta(hours=EXPLANATION_HOURS):
        return "explanation_due"
    return "waiting" if review.first_contact_at else "open"


def follow_ups(review: Review):
    return FollowUp.objects.filter(review=review).select_related("by").order_by("at", "id")


def settings_for(shop) -> ReviewSettings:
    """The shop's review settings (unsaved defaults when none were saved yet)."""
    found = ReviewSettings.objects.filter(shop=shop).first()
    return found or ReviewSettings(shop=shop)


# --- the weekly review-cause report (003:544: causes are shared at the weekly meeting) -------------------------------


def parse_week(text: str | None) -> tuple[int, int]:
    """"2026-W47" -> (2026, 47); empty -> last ISO week (China time). ValueError for anything else."""
    if not text:
        last = clock.today() - timedelta(days=7)
        year, week, _day = last.isocalendar()
        return year, week
    head, sep, tail = text.strip().upper().partition("-W")
    if not sep or not head.isdigit() or not tail.isdigit():
        raise ValueError(text)
    year, week = int(head), int(tail)
    date.fromisocalendar(year, week, 1)  # ValueError for week 53 of a 52-week year, week 0 ...
    return year, week


def week_range(year: int, week: int) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, China time."""
    monday = date.fromisocalendar(year, week, 1)
    start = datetime.combine(monday, time(0), CHINA)
    return start, start + timedelta(days=7)


def as_posted():
    """The rating as first posted (first_rating, else the current rating): what the reports and "done" count."""
    return Coalesce(NullIf("first_rating", Value("")), "rating")


def weekly_report(user, year: int, week: int, *, shop=None) -> dict:
    """Neutral and negative reviews posted in the ISO week, counted by reason, by product and by shop; plus the
    ratings of all reviews of the week and how many have an outcome. Four aggregate queries."""
    start, end = week_range(year, week)
    week_qs = (Review.objects.filter(shop__in=shops_visible_to(user), posted_at__gte=start, posted_at__lt=end)
               .annotate(posted_as=as_posted()))
    if shop is not None:
        week_qs = week_qs.filter(shop=shop)
    bad = week_qs.filter(posted_as__in=NEEDS_FOLLOW_UP)
    labels = dict(Review.Category.choices)
    by_reason = [{"category": row["category"], "label": labels.get(row["category"], "未分类"), "count": row["n"]}
                 for row in bad.values("category").annotate(n=Count("id")).order_by("-n", "category")]
    blank = Value("")
    product = Coalesce(NullIf("item_title", blank), NullIf("order_line__title", blank), NullIf("sku__code", blank))
    by_product = [{"product": row["product"] or "—", "count": row["n"], "negative": row["negative"]}
                  for row in bad.annotate(product=product).values("product")
                  .annotate(n=Count("id"), negative=Count("id", filter=Q(posted_as=R.NEGATIVE)))
                  .order_by("-n", "product")]
    by_shop = [{"shop": row["shop__name"], "code": row["shop__code"], "count": row["n"], "positive": row["positive"],
                "neutral": row["neutral"], "negative": row["negative"]}
               for row in week_qs.values("shop__name", "shop__code")
               .annotate(n=Count("id"), positive=Count("id", filter=Q(posted_as=R.POSITIVE)),
                         neutral=Count("id", filter=Q(posted_as=R.NEUTRAL)),
                         negative=Count("id", filter=Q(posted_as=R.NEGATIVE)))
               .order_by("shop__code")]
    totals = week_qs.aggregate(
        all=Count("id"), positive=Count("id", filter=Q(posted_as=R.POSITIVE)),
        neutral=Count("id", filter=Q(posted_as=R.NEUTRAL)), negative=Count("id", filter=Q(posted_as=R.NEGATIVE)),
        with_outcome=Count("id", filter=Q(posted_as__in=NEEDS_FOLLOW_UP) & ~Q(outcome="")))
    return {"week": f"{year}-W{week:02d}", "start": start, "end": end - timedelta(days=1), "totals": totals,
            "by_reason": by_reason, "by_product": by_product, "by_shop": by_shop}
