"""The review queue at scale (product.md §2.6): the "due and overdue" queue of a million reviews.

`run(rows)` writes N reviews (1,000,000 by default; rows x 100 when `rows` is given) into the benchmark's database
(`shopdesk bench` runs in a fresh temporary data dir, so a fresh SQLite file) with raw executemany in batches of
10,000: a year of postings over four shops, 92% positive (no deadlines), 8% neutral or negative with the four
deadlines of `reviews.deadlines`; of those older than three days 97% have an outcome and most of the rest were
contacted, so the queues hold what a department really has open (a few hundred of a million). Then ANALYZE, and the
first page (50 rows) of `selectors.review_queue(user, "due")` — due within 6 hours and not contacted, or overdue —
for a supervisor assigned to the shops, repeated REPEAT times: p50/p95 milliseconds, the queries per page, the
query plan (it must use the two queue indexes, not scan the table) and the size of the queue.

`python bench/_aftersales_reviews.py [rows]` needs DJANGO_SETTINGS_MODULE and a migrated SHOPDESK_DATA_DIR; the
lead's bench/aftersales.py calls `run`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import UTC, timedelta

DEFAULT_N = 1_000_000
REPEAT = 30
PAGE = 50
BATCH = 10_000
AIM = ("first page of the due/overdue queue of 1,000,000 reviews in tens of milliseconds at most, 1 query, on the two "
       "queue indexes (no table scan)")


class _Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _stamp(moment) -> str:
    """A time as SQLite stores Django's DateTimeField (naive UTC text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _fill(n: int, shop_ids: list[int], now, seed: int = 7) -> dict:
    from django.db import connection, transaction

    from shopdesk.reviews import deadlines
    from shopdesk.reviews.models import Review

    rng = random.Random(seed)
    table = connection.ops.quote_name(Review._meta.db_table)
    columns = ["shop_id", "platform_review_id", "platform_order_no", "buyer_platform_id", "item_title", "rating",
               "text", "posted_at", "category", "follow_up_due_at", "takes_effect_at", "modifiable_until",
               "explanation_due_at", "first_contact_at", "next_contact_at", "outcome", "outcome_at",
               "compensation", "explanation", "thank_you", "created_at"]
    sql = (f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    categories = [c for c in Review.Category.values]
    outcomes = ["modified", "modified", "compensated", "explained"]
    year = 365 * 86400
    counts = {"positive": 0, "bad": 0, "open": 0}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for start in range(0, n, BATCH):
            rows = []
            for i in range(start, min(n, start + BATCH)):
                age = timedelta(seconds=year * (n - i) // n)  # in posting order, the newest last
                posted = now - age
                stamp = _stamp(posted)
                bad = rng.random() < 0.08
                rating = rng.choice(("neutral", "negative", "negative")) if bad else "positive"
                row = [shop_ids[i % len(shop_ids)], f"B{i:09d}", f"55{i:014d}", f"tb_{i % 50_000:05d}",
                       f"商品 {i % 400:03d}", rating, "", stamp, "", None, None, None, None, None, None, "", None,
                       "0", "", "", stamp]
                if bad:
                    counts["bad"] += 1
                    d = deadlines.of(posted)
                    row[8] = rng.choice(categories)
                    row[9:13] = [_stamp(d.follow_up_due_at), _stamp(d.takes_effect_at), _stamp(d.modifiable_until),
                                 _stamp(d.explanation_due_at)]
                    contacted = age > timedelta(hours=6) and rng.random() < (0.97 if age > timedelta(hours=48)
                                                                             else 0.5)
                    if contacted:
                        row[13] = _stamp(posted + timedelta(hours=rng.randrange(1, 40)))
                    if age > timedelta(days=3) and rng.random() < 0.97:
                        row[15] = rng.choice(outcomes)
                        row[16] = _stamp(posted + timedelta(days=rng.randrange(1, 3)))
                    else:
                        counts["open"] += 1
                else:
                    counts["positive"] += 1
                rows.append(row)
            with transaction.atomic():
                cursor.executemany(sql, rows)
        cursor.execute("ANALYZE")
    counts["seconds"] = round(time.perf_counter() - started, 1)
    return counts


def run(rows: int | None = None) -> dict:
    from django.db import connection

    from shopdesk.channels.services import add_shop
    from shopdesk.core import clock
    from shopdesk.reviews import selectors
    from shopdesk.staff.services import create_staff_member

    n = rows * 100 if rows else DEFAULT_N
    suffix = f"{int(time.time())}"
    shops = [add_shop(actor=None, code=f"rv-{p}-{suffix}", platform=p, name=f"评价店 {p}")
             for p in ("tmall", "taobao", "jd", "own_site")]
    user = create_staff_member(actor=None, username=f"rv-supervisor-{suffix}", roles=["cs_supervisor"],
                               shops=shops, phone="13800000000", validate_password=False, password="x" * 12)
    now = clock.now()
    written = _fill(n, [s.pk for s in shops], now)

    def page():
        return list(selectors.review_queue(user, "due", now=now)[:PAGE])

    page()  # warm the caches (permissions, statements)
    counter = _Counter()
    with connection.execute_wrapper(counter):
        first = page()
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        page()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    qs = selectors.review_queue(user, "due", now=now)[:PAGE]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params) if connection.vendor == "sqlite" else cursor.execute(
            "EXPLAIN " + sql, params)
        plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
    queue_size = selectors.review_queue(user, "due", now=now).count()
    return {
        "reviews": n, "positive": written["positive"], "neutral_negative": written["bad"],
        "open_neutral_negative": written["open"], "write_seconds": written["seconds"],
        "queue": "due (due within 6 h and not contacted, or overdue)", "queue_size": queue_size,
        "page_rows": len(first), "queries_per_page": counter.count, "repeat": REPEAT,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 2),
        "uses_queue_indexes": any("review_follow_up_queue" in p for p in plan)
        and any("review_explanation_queue" in p for p in plan),
        "plan": plan, "database": connection.vendor, "aim": AIM,
    }


def table(report: dict) -> str:
    return (f"reviews {report['reviews']:,} ({report['neutral_negative']:,} neutral/negative, "
            f"{report['open_neutral_negative']:,} open), written in {report['write_seconds']} s; due/overdue queue "
            f"{report['queue_size']} reviews: first page of {report['page_rows']} in p50 {report['p50_ms']} ms, "
            f"p95 {report['p95_ms']} ms, {report['queries_per_page']} query, queue indexes used: "
            f"{report['uses_queue_indexes']}")


if __name__ == "__main__":
    import json

    import django

    django.setup()
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else None), ensure_ascii=False, indent=2))
