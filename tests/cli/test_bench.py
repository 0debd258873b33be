"""The benchmarks stay runnable (their numbers are read by people, never asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_bench_all_runs_and_reports_ratios(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPDESK_", "DJANGO_")) and k != "DATABASE_URL"}
    env["SHOPDESK_BENCH_PROCESSES"] = "2"
    env["SHOPDESK_BENCH_SPREAD_SKUS"] = "20"
    result = subprocess.run([sys.executable, "-m", "shopdesk", "bench", "all", "--rows", "30", "--json",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.split("== ")[1:]
    reports = {b.split("\n", 1)[0]: json.loads(b.split("\n", 1)[1]) for b in blocks}
    assert set(reports) == {"audit", "lists", "inventory", "orders", "fulfilment", "aftersales", "service"}
    suggest, kpis = reports["service"]["suggest"], reports["service"]["kpis"]
    assert suggest["messages_per_second"] > 0 and suggest["held_out_accuracy"] >= 0.9, suggest
    assert kpis["by_day_queries"] == kpis["by_month_queries"] and kpis["same_totals_by_month"], kpis
    assert 0 < kpis["converted"] <= kpis["inquiries"], kpis
    decide = reports["aftersales"]["decide"]
    assert decide["requests"] == 300 and decide["decisions_per_second"] > 0 and decide["rule_codes_seen"] > 5
    reviews = reports["aftersales"]["reviews"]
    assert reviews["reviews"] == 3000 and reviews["queries_per_page"] == 1 and reviews["uses_queue_indexes"]
    shipping = reports["fulfilment"]
    assert shipping["print"]["labels_pages"] == shipping["print"]["orders"] == 300
    assert all(p["duplicates"] == p["missing"] == p["errors"] == 0 and p["numbers"] == 8 * 30
               for p in shipping["pool"]), shipping["pool"]
    assert shipping["bill_service"]["counts_ok"] and shipping["bill_service"]["bill_lines"] == 30
    assert reports["audit"]["ratio_vs_baseline"] > 0
    pages = reports["lists"]["pages"]
    assert all(p["queries_grown"] == p["queries_baseline"] for p in pages.values()), pages
    races = reports["inventory"]["results"]
    assert races and all(r["oversold"] == 0 and r["errors"] == 0 for r in races)
    assert {r["database"] for r in races} >= {"sqlite"}
    imports = [reports["orders"]["sqlite"]]
    if isinstance(reports["orders"]["postgresql"], dict):
        imports.append(reports["orders"]["postgresql"])
    for imported in imports:  # every generated order created once, none on the second import
        assert imported["rejected"] == 0, imported
        assert imported["created"] == imported["orders"] == 300
        assert imported["quarter"]["created"] == imported["quarter"]["orders"] == 75
        assert imported["reimport_created"] == 0 and imported["reimport_duplicates"] == 300
    sqlite = reports["orders"]["sqlite"]
    assert len(sqlite["seconds_of_rounds"]) == len(sqlite["plain_seconds_of_rounds"]) == 3
    api = reports["orders"]["list_api"]
    assert api == "skipped: no API (GET /api/v1/orders/ answered 404)" or api["results_on_page"] == 50, api


def test_unknown_bench_is_a_clean_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "shopdesk", "bench", "nope", "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.startswith("shopdesk: error: unknown benchmark nope")
