"""Concurrent reservations (product.md §2.2: never oversell).

N worker processes (default 8) each try 200 times to reserve 1 unit: first of one hot SKU with stock 100, then of
1,000 SKUs spread evenly (stock 100 each). On SQLite, and on PostgreSQL when a server is reachable (DATABASE_URL or
the local default). Reports successes, final reserved, oversold units (must be 0) and reservations per second; the
baseline is the same race run by a single process, measured in the same run.
"""

from __future__ import annotations

import os

from shopdesk.inventory.race import race

PROCESSES = int(os.environ.get("SHOPDESK_BENCH_PROCESSES", "8"))
SPREAD_SKUS = int(os.environ.get("SHOPDESK_BENCH_SPREAD_SKUS", "1000"))


def _postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return "postgres://postgres@127.0.0.1:5432/postgres"
    except Exception:  # noqa: BLE001
        return None


def run(rows: int | None = None) -> dict:
    attempts = rows or 200
    databases = [("sqlite", None)]
    pg = _postgres_url()
    if pg:
        databases.append(("postgresql", pg))
    results = []
    for name, url in databases:
        for label, skus in (("hot SKU", 1), (f"{SPREAD_SKUS:,} SKUs", SPREAD_SKUS)):
            baseline = race(processes=1, attempts=attempts, stock=100, skus=skus, postgres_url=url)
            contended = race(processes=PROCESSES, attempts=attempts, stock=100, skus=skus, postgres_url=url)
            results.append({
                "database": name, "case": label, **contended.as_dict(),
                "single_process_reservations_per_second": baseline.reservations_per_second,
                "ratio_vs_single_process": round(contended.reservations_per_second
                                                 / baseline.reservations_per_second, 2)
                if baseline.reservations_per_second else None,
            })
    return {"cores": os.cpu_count(), "postgresql": "skipped: no server reachable" if not pg else "yes",
            "results": results}


def table(report: dict) -> str:
    head = (f"cores: {report['cores']}  postgresql: {report['postgresql']}\n"
            f"{'database':<11}{'case':<12}{'procs':>6}{'attempts':>9}{'ok':>7}{'reserved':>9}{'oversold':>9}"
            f"{'errors':>7}{'tries/s':>8}{'res/s':>8}{'1-proc res/s':>13}{'ratio':>7}")
    lines = [head]
    for r in report["results"]:
        lines.append(f"{r['database']:<11}{r['case']:<12}{r['processes']:>6}"
                     f"{r['processes'] * r['attempts_per_process']:>9}{r['successes']:>7}{r['final_reserved']:>9}"
                     f"{r['oversold']:>9}{r['errors']:>7}{r['attempts_per_second']:>8}{r['reservations_per_second']:>8}"
                     f"{r['single_process_reservations_per_second']:>13}{r['ratio_vs_single_process']:>7}")
    return "\n".join(lines)
