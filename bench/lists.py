"""Do list pages stay flat as data grows? Time and queries per request with few rows (baseline) and with many."""

from __future__ import annotations

import time

from django.db import connection
from django.test import Client

URLS = ["/", "/staff/", "/shops/", "/audit/", "/staff/stand-ins/", "/api/v1/staff/", "/api/v1/audit-events/"]


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _seed(count: int, start: int) -> None:
    from shopdesk.channels.services import add_shop
    from shopdesk.staff.services import create_staff_member

    for i in range(start, start + count):
        shop = add_shop(actor=None, code=f"bench-{i}", platform="tmall", name=f"店铺{i}")
        create_staff_member(actor=None, username=f"bench-{i}", roles=["warehouse", "cs_presales"], shops=[shop],
                            phone="13800000000")


def _measure(client: Client, repeat: int) -> dict:
    results = {}
    for url in URLS:
        client.get(url)  # warm up
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(url)
        start = time.perf_counter()
        for _ in range(repeat):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        results[url] = {"ms": (time.perf_counter() - start) / repeat * 1000, "queries": counter.count}
    return results


def run(rows: int = 2000, repeat: int = 20) -> dict:
    from shopdesk.staff.services import create_staff_member

    admin = create_staff_member(actor=None, username="bench-admin", roles=["admin", "manager"])
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    small = max(rows // 10, 10)
    _seed(small, 0)
    baseline = _measure(client, repeat)
    _seed(rows - small, small)
    grown = _measure(client, repeat)
    return {
        "rows_baseline": small,
        "rows_grown": rows,
        "pages": {
            url: {"baseline_ms": round(baseline[url]["ms"], 2), "grown_ms": round(grown[url]["ms"], 2),
                  "ratio_vs_baseline": round(grown[url]["ms"] / baseline[url]["ms"], 2),
                  "queries_baseline": baseline[url]["queries"], "queries_grown": grown[url]["queries"]}
            for url in URLS
        },
    }
