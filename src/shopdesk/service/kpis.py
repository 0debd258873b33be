"""Customer-service KPIs (客服绩效, product.md §2.7): per agent and per shop, per day, week or month of a date range.
Reads only.

The unit is the **conversation-day**: one conversation (one buyer in one shop) on one China calendar day.

- conversations (接待人数): conversation-days in which the agent (for a shop: anybody) sent at least one answer;
- first response time (首响): the average `response_seconds` of the day's first answers (`Message.first_response`,
  stored when the answer was written: the seconds since the oldest buyer message then waiting);
- average response time (平均响应): the average `response_seconds` of every agent answer to a waiting buyer;
- answered within 30 s / 60 s: the share of the FIRST responses given within 30 / 60 seconds (the first answer is the
  one the platforms measure; later answers are in the average response time);
- inquiries (询单): conversation-days with at least one buyer message. An inquiry belongs to the agent who gave that
  day's first response; one nobody answered that day counts for the shop only;
- inquiry→order conversion (询单转化率): an inquiry is converted when the buyer (orders.Order of the same shop with
  `buyer_platform_id` = `Conversation.buyer_id`) pays an order in that shop within 24 hours after the day's FIRST
  buyer message (paid_at >= that message and < 24 h later); converted / inquiries;
- sales (销售额) and average order value (客单价): the `paid_amount` of the orders that converted an inquiry (paid in
  that 24-hour window), each order counted once per row even when it converted two days; 客单价 = sales / those
  orders. Orders merged away into another order and free reships are not counted (their amounts live elsewhere).

How it stays fast on a month of a million messages: the database does the grouping, in a fixed number of queries
whatever the size (not one per conversation or per day):

1. agent answers grouped by (shop, agent, local day): distinct conversations, answers, sums and counts of response
   and first-response seconds, first responses within 30 / 60 s;
2. messages grouped by (conversation, shop, local day): the day's first buyer message and who gave its first
   response; one row per conversation-day, tallied here for inquiries and conversion;
3. the paid orders of the range (+24 h), 4. the buyer accounts of the conversations that had such an order,
5. and 6. the names of the agents and shops.

Measured with bench/_service_kpis.py (a month of 1,000,000 messages, 125,000 conversations, 149,000
conversation-days, 44,500 orders; 2026-11-23, 2-core machine): per agent and per shop by day in 6.4 s on SQLite and
3.8 s on PostgreSQL, 6 queries either way, the same figures on both.

Weekly and monthly rows are sums of the daily figures (averages are kept as sums and counts so they combine exactly).
The local day is `TruncDate` in settings.TIME_ZONE (Asia/Shanghai); on SQLite, when the zone keeps one UTC offset
over the range (China has had no daylight saving since 1991), it is SQLite's own `date(sent_at, '+28800 seconds')`
instead of Django's per-row Python function, several times faster at this size.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import CharField, Count, Exists, F, Func, Max, Min, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

PERIODS = ("day", "week", "month")
CONVERSION_WINDOW = timedelta(hours=24)
FAST_SECONDS = (30, 60)
MAX_DAYS = 366


# --- the local calendar day of a timestamp, in the database ----------------------------------------------------------


class _SqliteShiftedDate(Func):
    """SQLite's date(column, '+N seconds'): the calendar day at a fixed UTC offset, computed in C. Read as its text
    'YYYY-MM-DD' (`_as_date` makes it a date once per distinct day, not once per row)."""

    function = "date"
    output_field = CharField()

    def __init__(self, expression, offset_seconds: int):
        super().__init__(expression)
        self.offset_seconds = int(offset_seconds)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date({sql}, %s)", [*params, f"{self.offset_seconds:+d} seconds"]


def fixed_offset_seconds(start: date, end: date) -> int | None:
    """The current zone's UTC offset in seconds if it is the same at every midnight from `start` to `end + 1`
    (no daylight-saving change inside the range), else None."""
    tz = timezone.get_current_timezone()
    offsets = set()
    day = start
    while day <= end + timedelta(days=1):
        offsets.add(datetime.combine(day, time(0), tzinfo=tz).utcoffset())
        offsets.add(datetime.combine(day, time(12), tzinfo=tz).utcoffset())
        if len(offsets) > 1:
            return None
        day += timedelta(days=1)
    return int(offsets.pop().total_seconds())


def local_date(field: str, offset_seconds: int | None = None):
    """The local (settings.TIME_ZONE) calendar day of a datetime column: TruncDate in the zone, or on SQLite a
    fixed-offset date() when `offset_seconds` is given (see `fixed_offset_seconds`)."""
    if offset_seconds is not None and connection.vendor == "sqlite":
        return _SqliteShiftedDate(F(field), offset_seconds)
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def local_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[local midnight of start, local midnight after end) as aware datetimes."""
    tz = timezone.get_current_timezone()
    return (datetime.combine(start, time(0), tzinfo=tz), datetime.combine(end + timedelta(days=1), time(0), tzinfo=tz))


def bucket(day: date, period: str) -> date:
    """The first day of the period holding `day`: the day itself, its week's Monday, or the 1st of its month."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


# --- the tallies ----------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Additive counters of one row (an agent or a shop in one period); the measures are derived from them."""

    conversations: int = 0
    answers: int = 0
    response_seconds: int = 0
    first_responses: int = 0
    first_response_seconds: int = 0
    first_within_30: int = 0
    first_within_60: int = 0
    inquiries: int = 0
    converted: int = 0
    orders: dict = field(default_factory=dict)  # order id -> paid amount (each order once)

    def add(self, other: Tally) -> None:
        for name in ("conversations", "answers", "response_seconds", "first_responses", "first_response_seconds",
                     "first_within_30", "first_within_60", "inquiries", "converted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.orders.update(other.orders)

    @property
    def is_empty(self) -> bool:
        return not (self.conversations or self.answers or self.inquiries)

    def measures(self) -> dict:
        """The row's measures; averages and shares are None when there is nothing to average."""
        sales = sum(self.orders.values(), Decimal("0"))
        n_orders = len(self.orders)
        return {
            "conversations": self.conversations,
            "answers": self.answers,
            "first_responses": self.first_responses,
            "first_response_seconds": _ratio(self.first_response_seconds, self.first_responses, 1),
            "response_seconds": _ratio(self.response_seconds, self.answers, 1),
            "answered_30s": _ratio(self.first_within_30, self.first_responses, 4),
            "answered_60s": _ratio(self.first_within_60, self.first_responses, 4),
            "inquiries": self.inquiries,
            "converted": self.converted,
            "conversion": _ratio(self.converted, self.inquiries, 4),
            "orders": n_orders,
            "sales": sales.quantize(Decimal("0.01")),
            "average_order_value": (sales / n_orders).quantize(Decimal("0.01")) if n_orders else None,
        }


def _ratio(part, whole, digits):
    return round(part / whole, digits) if whole else None


@dataclass
class Row:
    key: int | None  # the agent's or the shop's id (None: the shop-less total)
    name: str
    period: date | None  # the period's first day; None for the total over the range
    measures: dict


@dataclass
class Report:
    start: date
    end: date
    period: str
    periods: list[date]
    agents: list[Row]  # per agent per period, then each agent's total (period None) after its periods
    shops: list[Row]
    agent_totals: list[Row]
    shop_totals: list[Row]
    total: dict  # every shop together over the range
    queries: int = 0


# --- the computation ------------------------------------------------------------------------------------------------


def compute(start: date, end: date, *, period: str = "day", shop_ids=None, agent_ids=None) -> Report:
    """The KPIs of the days `start`..`end` (China days, both included). `shop_ids` limits every figure to those shops
    (None: every shop); `agent_ids` limits the per-agent rows to those agents (the shop rows stay whole)."""
    from shopdesk.orders.models import Order, Source
    from shopdesk.service.models import Conversation, Message

    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}")
    if end < start:
        raise ValueError("the range ends before it starts")
    lo, hi = local_bounds(start, end)
    offset = fixed_offset_seconds(start, end)
    day = local_date("sent_at", offset)
    D = Message.Direction

    messages = Message.objects.filter(sent_at__gte=lo, sent_at__lt=hi)
    if shop_ids is not None:
        messages = messages.filter(shop_id__in=list(shop_ids))

    # 1. answers per (shop, agent, day)
    answered = Q(response_seconds__isnull=False)
    first = Q(first_response=True)
    per_agent = (messages.filter(direction=D.AGENT, agent__isnull=False)
                 .annotate(day=day).order_by().values("shop_id", "agent_id", "day")
                 .annotate(conversations=Count("conversation_id", distinct=True),
                           answers=Count("pk", filter=answered),
                           response_sum=Sum("response_seconds", filter=answered),
                           first_responses=Count("pk", filter=first & answered),
                           first_sum=Sum("response_seconds", filter=first & answered),
                           first_within_30=Count("pk", filter=first & Q(response_seconds__lte=FAST_SECONDS[0])),
                           first_within_60=Count("pk", filter=first & Q(response_seconds__lte=FAST_SECONDS[1]))))

    # 2. one row per conversation-day. The first buyer message is read without Django's per-row conversion
    # (SQLite gives its stored UTC text, PostgreSQL a datetime): `_aware` reads it for the few rows that need it.
    raw = CharField()
    per_conversation_day = (messages.filter(direction__in=(D.BUYER, D.AGENT))
                            .annotate(day=day).order_by().values("conversation_id", "shop_id", "day")
                            .annotate(first_buyer=Min("sent_at", filter=Q(direction=D.BUYER), output_field=raw),
                                      first_agent=Max("agent_id", filter=Q(direction=D.AGENT) & first),
                                      agent_messages=Count("pk", filter=Q(direction=D.AGENT)))
                            .values_list("conversation_id", "shop_id", "day", "first_buyer", "first_agent",
                                         "agent_messages"))

    # 3. paid orders that may convert an inquiry of the range, 4. the buyer accounts of their conversations
    orders = Order.objects.filter(paid_at__gte=lo, paid_at__lt=hi + CONVERSION_WINDOW, merged_into__isnull=True)
    orders = orders.exclude(source=Source.RESHIP).exclude(buyer_platform_id="")
    if shop_ids is not None:
        orders = orders.filter(shop_id__in=list(shop_ids))
    by_buyer: dict[tuple[int, str], list[tuple[datetime, int, Decimal]]] = defaultdict(list)
    for order_id, shop_id, buyer, paid_at, amount in orders.order_by("paid_at", "id").values_list(
            "id", "shop_id", "buyer_platform_id", "paid_at", "paid_amount"):
        by_buyer[(shop_id, buyer)].append((paid_at, order_id, amount))
    paid_times = {k: [p for p, _i, _a in v] for k, v in by_buyer.items()}

    buyer_of: dict[int, str] = {}
    if by_buyer:
        buyers = Conversation.objects.filter(Exists(orders.filter(shop_id=OuterRef("shop_id"),
                                                                  buyer_platform_id=OuterRef("buyer_id"))))
        if shop_ids is not None:
            buyers = buyers.filter(shop_id__in=list(shop_ids))
        buyer_of = dict(buyers.values_list("pk", "buyer_id"))

    agent_filter = set(agent_ids) if agent_ids is not None else None
    agent_day: dict[tuple[int, date], Tally] = defaultdict(Tally)
    shop_day: dict[tuple[int, date], Tally] = defaultdict(Tally)

    for row in per_agent:
        d = _as_date(row["day"])
        t = Tally(conversations=row["conversations"], answers=row["answers"],
                  response_seconds=row["response_sum"] or 0, first_responses=row["first_responses"],
                  first_response_seconds=row["first_sum"] or 0,
                  first_within_30=row["first_within_30"], first_within_60=row["first_within_60"])
        if agent_filter is None or row["agent_id"] in agent_filter:
            agent_day[(row["agent_id"], d)].add(t)
        t.conversations = 0  # a shop's conversations are counted once from the conversation-days below
        shop_day[(row["shop_id"], d)].add(t)

    # The loop below sees one row per conversation-day (a hundred thousand and more a month): plain counters, the
    # buyer's orders looked up only for the conversations that have some, the day's text parsed once per day.
    days: dict = {}
    for conversation_id, shop_id, d, first_buyer, first_agent, agent_messages in per_conversation_day:
        d = days.get(d) or days.setdefault(d, _as_date(d))
        shop_tally = shop_day[(shop_id, d)]
        if agent_messages:
            shop_tally.conversations += 1
        if first_buyer is None:
            continue
        shop_tally.inquiries += 1
        agent_tally = None
        if first_agent is not None and (agent_filter is None or first_agent in agent_filter):
            agent_tally = agent_day[(first_agent, d)]
            agent_tally.inquiries += 1
        buyer = buyer_of.get(conversation_id)
        if buyer is None:
            continue
        key = (shop_id, buyer)
        times = paid_times.get(key)
        if not times:
            continue
        first_buyer = _aware(first_buyer)
        i = bisect.bisect_left(times, first_buyer)
        window_end = first_buyer + CONVERSION_WINDOW
        hits = {}
        while i < len(times) and times[i] < window_end:
            _paid, order_id, amount = by_buyer[key][i]
            hits[order_id] = amount
            i += 1
        if hits:
            for tally in (shop_tally, agent_tally):
                if tally is not None:
                    tally.converted += 1
                    tally.orders.update(hits)

    return _report(start, end, period, agent_day, shop_day)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value


def _aware(value) -> datetime:
    if isinstance(value, str):  # an aggregate of a datetime column read back as text
        value = datetime.fromisoformat(value)
    if timezone.is_naive(value):
        return value.replace(tzinfo=UTC)
    return value


def _periods(start: date, end: date, period: str) -> list[date]:
    out, day = [], start
    while day <= end:
        b = bucket(day, period)
        if not out or out[-1] != b:
            out.append(b)
        day += timedelta(days=1)
    return out


def _rows(per_day: dict[tuple[int, date], Tally], names: dict[int, str], period: str):
    """Rows per key and period (only periods with activity), each key's total; keys sorted by name."""
    by_key: dict[int, dict[date, Tally]] = defaultdict(lambda: defaultdict(Tally))
    for (key, d), tally in per_day.items():
        by_key[key][bucket(d, period)].add(tally)
    rows, totals = [], []
    for key in sorted(by_key, key=lambda k: (names.get(k, ""), k)):
        total = Tally()
        for b in sorted(by_key[key]):
            tally = by_key[key][b]
            if tally.is_empty:
                continue
            rows.append(Row(key, names.get(key, str(key)), b, tally.measures()))
            total.add(tally)
        if not total.is_empty:
            totals.append(Row(key, names.get(key, str(key)), None, total.measures()))
    return rows, totals


def _report(start, end, period, agent_day, shop_day) -> Report:
    from django.contrib.auth import get_user_model

    from shopdesk.channels.models import Shop

    agent_ids = {k for k, _d in agent_day}
    shop_ids = {k for k, _d in shop_day}
    agent_names = {}
    if agent_ids:
        for pk, username, display in get_user_model().objects.filter(pk__in=agent_ids).values_list(
                "pk", "username", "staff_profile__display_name"):
            agent_names[pk] = display or username
    shop_names = dict(Shop.objects.filter(pk__in=shop_ids).values_list("pk", "name")) if shop_ids else {}
    agents, agent_totals = _rows(agent_day, agent_names, period)
    shops, shop_totals = _rows(shop_day, shop_names, period)
    everything = Tally()
    for tally in shop_day.values():
        everything.add(tally)
    return Report(start=start, end=end, period=period, periods=_periods(start, end, period), agents=agents,
                  shops=shops, agent_totals=agent_totals, shop_totals=shop_totals, total=everything.measures())


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of the month holding `month`."""
    first = month.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return first, nxt - timedelta(days=1)


__all__ = ["PERIODS", "Report", "Row", "Tally", "bucket", "compute", "local_bounds", "local_date", "month_bounds"]
