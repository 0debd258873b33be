"""Customer-service KPIs at scale (product.md §2.7): one month of 1,000,000 messages.

`run(rows)` writes a month of chats (1,000,000 messages by default; rows x 100 when `rows` is given) into the
benchmark's database (`shopdesk bench` runs in a fresh temporary data dir: a fresh SQLite file; PostgreSQL when
DATABASE_URL is set) with `core.bulk.insert_rows` (multi-row INSERTs on SQLite, COPY on PostgreSQL), then ANALYZE:

- 4 shops, 12 agents (pre-sales and after-sales, each on two or four shops), about one conversation per 8 messages
  (some 125,000 at the default size), each on one day of the month or, for one in five, on two days;
- each conversation-day: 1-6 buyer questions, each answered by one agent after a realistic delay (log-normal,
  median about 18 s, a tail to several minutes) with the stored fields the live services write (`response_seconds`
  from the oldest waiting buyer message, `first_response` on the day's first answer); 6% of the days end with a
  buyer question nobody answered, a few answers are two messages;
- orders: a third of the buyers pay an order in the shop, most within the hour after their first question, some
  after more than 24 hours (not a conversion), one in ten twice.

Then `kpis.compute` over the month, per agent and per shop by day (the KPI page's default) and by month: seconds
(best of REPEAT) and the number of queries (CaptureQueriesContext), with the report's totals as a check.

`python bench/_service_kpis.py [rows]` needs DJANGO_SETTINGS_MODULE and a migrated SHOPDESK_DATA_DIR; the lead's
bench/service.py calls `run` and `table`.
"""

from __future__ import annotations

import math
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

DEFAULT_N = 1_000_000
REPEAT = 3
AIM = "one month of 1,000,000 messages per agent and per shop, by day: seconds, a fixed number of queries"
BUYER_TEXTS = ["亲，在吗", "这款有M码吗", "能便宜点吗", "发什么快递", "今天能发货吗", "是正品吗", "包邮吗",
               "什么时候到", "有赠品吗", "可以开发票吗", "尺码偏大还是偏小", "好的，我拍了"]
AGENT_TEXTS = ["亲，您好，有的哦", "亲，已经是活动价了", "默认发中通快递", "下午四点前付款当天发",
               "官方旗舰店，正品保障", "全场包邮的哦", "一般2-3天到", "送运费险哦", "可以开电子发票", "建议拍大一码",
               "感谢您的光临，祝您购物愉快"]


def _month() -> date:
    from shopdesk.core import clock

    today = clock.today()
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def _delay(rng: random.Random) -> int:
    """Seconds an agent takes to answer: log-normal around 18 s, capped at 15 minutes."""
    return max(1, min(900, int(math.exp(rng.gauss(math.log(18), 0.9)))))


def _people(suffix: str):
    from shopdesk.channels.services import add_shop
    from shopdesk.staff.services import create_staff_member

    shops = [add_shop(actor=None, code=f"kpi-{p}-{suffix}", platform=p, name=f"绩效店 {p}")
             for p in ("tmall", "taobao", "jd", "own_site")]
    agents = []
    for i in range(12):
        role = "cs_presales" if i < 8 else "cs_aftersales"
        mine = shops if i % 3 == 0 else shops[i % 2::2]
        agents.append(create_staff_member(actor=None, username=f"kpi-agent-{i:02d}-{suffix}", roles=[role],
                                          shops=mine, phone="13800000000", validate_password=False,
                                          password="x" * 12, display_name=f"客服{i:02d}"))
    return shops, agents


def _fill(n: int, shops, agents, month: date, seed: int = 11) -> dict:
    """Conversations, messages and orders of the month; returns the counts and the seconds it took."""
    from django.db import transaction
    from django.utils import timezone

    from shopdesk.core import bulk
    from shopdesk.orders.models import Order
    from shopdesk.service.models import Conversation, Message

    rng = random.Random(seed)
    tz = timezone.get_current_timezone()
    days = [(month + timedelta(days=i)) for i in range(31) if (month + timedelta(days=i)).month == month.month]
    can = {s.pk: [a.pk for a in agents if a.staff_profile.shops.filter(pk=s.pk).exists()] for s in shops}
    started = time.perf_counter()
    counts = {"messages": 0, "conversations": 0, "conversation_days": 0, "orders": 0, "unanswered_days": 0}
    size = 5_000  # conversations per transaction
    order_no = 0
    first = 0
    while counts["messages"] < n:
        plans = []
        conversation_rows = []
        for k in range(size):
            shop = shops[rng.randrange(len(shops))]
            buyer = f"kb{first + k:08d}"
            day = rng.choice(days)
            two = rng.random() < 0.2 and day != days[-1]
            plans.append((shop.pk, buyer, [day, day + timedelta(days=1)] if two else [day]))
            at = datetime.combine(day, datetime.min.time(), tzinfo=tz)
            conversation_rows.append({"shop_id": shop.pk, "buyer_id": buyer, "buyer_nick": "", "channel": "platform",
                                      "status": "closed", "assignee_id": None, "tags": [], "waiting_since": None,
                                      "last_message_at": at, "created_at": at, "closed_at": at,
                                      "visitor_key_hash": ""})
        message_rows, order_rows = [], []
        with transaction.atomic():
            ids = bulk.insert_rows(Conversation, conversation_rows)
            for conversation_id, (shop_id, buyer, conv_days) in zip(ids, plans, strict=True):
                agent = rng.choice(can[shop_id])
                first_question = None
                for day in conv_days:
                    counts["conversation_days"] += 1
                    at = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(
                        seconds=rng.randrange(8 * 3600, 23 * 3600))
                    first_of_day = True
                    for q in range(rng.randint(1, 6)):
                        if counts["messages"] + len(message_rows) >= n:
                            break
                        message_rows.append(_message(conversation_id, shop_id, "buyer", None,
                                                     rng.choice(BUYER_TEXTS), at, None, False))
                        first_question = first_question or at
                        if rng.random() < 0.06 and q > 0:
                            counts["unanswered_days"] += 1
                            break
                        delay = _delay(rng)
                        at += timedelta(seconds=delay)
                        message_rows.append(_message(conversation_id, shop_id, "agent", agent,
                                                     rng.choice(AGENT_TEXTS), at, delay, first_of_day))
                        first_of_day = False
                        if rng.random() < 0.1:
                            at += timedelta(seconds=rng.randint(3, 20))
                            message_rows.append(_message(conversation_id, shop_id, "agent", agent,
                                                         rng.choice(AGENT_TEXTS), at, None, False))
                        at += timedelta(seconds=rng.randint(20, 600))
                if first_question is not None and rng.random() < 0.33:
                    for _o in range(2 if rng.random() < 0.1 else 1):
                        order_no += 1
                        late = rng.random() < 0.15
                        paid = first_question + (timedelta(hours=rng.uniform(25, 60)) if late
                                                 else timedelta(minutes=rng.uniform(2, 90)))
                        order_rows.append(_order(shop_id, buyer, order_no, paid, rng))
            bulk.insert_rows(Message, message_rows)
            bulk.insert_rows(Order, order_rows)
        counts["messages"] += len(message_rows)
        counts["orders"] += len(order_rows)
        counts["conversations"] += size
        first += size
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def _message(conversation_id, shop_id, direction, agent_id, text, at, seconds, first) -> dict:
    return {"conversation_id": conversation_id, "shop_id": shop_id, "direction": direction, "agent_id": agent_id,
            "agent_name": "", "text": text, "sent_at": at, "source": "import", "intent": "", "confidence": None,
            "response_seconds": seconds, "first_response": first, "external_key": ""}


def _order(shop_id, buyer, number, paid, rng) -> dict:
    amount = Decimal(rng.choice(("59.00", "89.00", "128.00", "168.00", "239.00")))
    return {"shop_id": shop_id, "platform_order_no": f"KPI{number:010d}", "status": "completed",
            "buyer_platform_id": buyer, "goods_amount": amount, "paid_amount": amount,
            "ordered_at": paid - timedelta(minutes=3), "paid_at": paid, "created_at": paid, "updated_at": paid}


def _timed(month: date, period: str) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shopdesk.service import kpis

    start, end = kpis.month_bounds(month)
    best, queries, report = None, 0, None
    for _ in range(REPEAT):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            report = kpis.compute(start, end, period=period)
            took = time.perf_counter() - began
        queries = len(captured)
        best = took if best is None else min(best, took)
    return round(best, 2), queries, report


def run(rows: int | None = None) -> dict:
    from django.db import connection

    n = rows * 100 if rows else DEFAULT_N
    suffix = f"{int(time.time())}"
    shops, agents = _people(suffix)
    month = _month()
    written = _fill(n, shops, agents, month)
    by_day_seconds, by_day_queries, report = _timed(month, "day")
    by_month_seconds, by_month_queries, monthly = _timed(month, "month")
    total = report.total
    return {
        "messages": written["messages"], "conversations": written["conversations"],
        "conversation_days": written["conversation_days"], "orders": written["orders"],
        "shops": len(shops), "agents": len(agents), "month": month.strftime("%Y-%m"),
        "write_seconds": written["seconds"],
        "by_day_seconds": by_day_seconds, "by_day_queries": by_day_queries,
        "by_day_rows": len(report.agents) + len(report.shops),
        "by_month_seconds": by_month_seconds, "by_month_queries": by_month_queries,
        "inquiries": total["inquiries"], "converted": total["converted"], "conversion": total["conversion"],
        "first_response_seconds": total["first_response_seconds"], "answered_30s": total["answered_30s"],
        "sales": str(total["sales"]), "same_totals_by_month": monthly.total == total,
        "repeat": REPEAT, "database": connection.vendor, "aim": AIM,
    }


def table(report: dict) -> str:
    return (f"{report['messages']:,} messages, {report['conversations']:,} conversations "
            f"({report['conversation_days']:,} conversation-days), {report['orders']:,} orders, "
            f"{report['agents']} agents, {report['shops']} shops, month {report['month']} ({report['database']}), "
            f"written in {report['write_seconds']} s; KPIs per agent and per shop by day: "
            f"{report['by_day_seconds']} s, {report['by_day_queries']} queries ({report['by_day_rows']} rows); "
            f"by month: {report['by_month_seconds']} s, {report['by_month_queries']} queries; inquiries "
            f"{report['inquiries']:,}, converted {report['converted']:,} ({report['conversion']:.1%}), first response "
            f"{report['first_response_seconds']} s, within 30 s {report['answered_30s']:.1%}")


if __name__ == "__main__":
    import json

    import django

    django.setup()
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else None), ensure_ascii=False, indent=2))
