"""The monthly courier bill check (product.md §2.4): `read_bill` + `reconcile` of a bill of N lines against N shipments.

The benchmark writes a GBK CSV bill like a courier's export (运单号, 重量, 目的地, 运费, 日期; a 合计 line at the end)
in a temporary folder, with N lines in random order: about 1% tracking numbers that are not ours, 0.5% second lines
of a tracking number already billed, 2% fees 3.00 above the tariff and the rest at the tariff's fee. N shipments
are ours; those not on the bill (1.5%, so that the bill also has N lines) are missing_from_bill. The shipments are
built in memory before the clock starts and handed over as a generator (as rows from a database query would be).

Measured: the wall time of `reconcile(read_bill(path), shipments, tariff)` (lines per second) with ru_maxrss
before and after it; then the same step again under tracemalloc for its peak of traced memory (a second run,
because tracing slows Python down severalfold). The aim: 100,000 lines in a few seconds, and a traced peak that is
the shipment index plus the set of billed tracking numbers plus the findings (about 330 bytes per shipment: 33 MB
at 100,000, 8 MB at 25,000), not the bill's lines.

`python bench/_fulfilment_bill.py [N]` prints the report as JSON; `shopdesk bench fulfilment` runs it (with `--rows N`)
too.
"""

from __future__ import annotations

import csv
import gc
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_N = 100_000
AIM = ("100,000 bill lines against 100,000 shipments in a few seconds; traced peak = the shipment index and the billed "
       "tracking numbers (a few hundred bytes each), never the bill's lines")
PROVINCES = [("广东", "广东省"), ("浙江", "浙江省"), ("上海", "上海市"), ("北京", "北京市"), ("江苏", "江苏省"),
             ("四川", "四川省"), ("新疆", "新疆维吾尔自治区"), ("广西", "广西壮族自治区"), ("内蒙古", "内蒙古自治区"),
             ("西藏", "西藏自治区")]


def _tariff():
    from shopdesk.fulfillment.tariffs import PriceRule, Tariff

    d = Decimal
    return Tariff([
        PriceRule("广东", d(1), d("6.00"), d(1), d("1.50")),
        PriceRule("浙江", d(1), d("5.00"), d(1), d("1.00")),
        PriceRule("上海", d(1), d("5.50"), d("0.5"), d("1.00")),
        PriceRule("江苏", d(1), d("5.00"), d(1), d("1.00")),
        PriceRule("新疆", d(1), d("18.00"), d(1), d("12.00")),
        PriceRule("西藏", d(1), d("20.00"), d(1), d("15.00")),
        PriceRule("", d(1), d("8.00"), d(1), d("3.00")),
    ])


def generate(n: int, workdir: Path, seed: int = 1):
    """(shipments, bill path, the counts the check should find) for N shipments and a bill of N lines."""
    from shopdesk.fulfillment.reconcile import Shipment

    rng = random.Random(seed)
    tariff = _tariff()
    n_not_ours, n_duplicates, n_mismatch = n // 100, n // 200, n // 50
    n_missing = n_not_ours + n_duplicates
    month = date(2026, 10, 1)
    shipments = []
    for i in range(n):
        short, _full = PROVINCES[rng.randrange(len(PROVINCES))]
        weight = Decimal(rng.randrange(10, 1000)) / 100
        shipments.append(Shipment(f"TB{3_000_000_000 + i * 7919}", f"YT{9_000_000_000 + i:010d}{i % 7}", short,
                                  weight, month + timedelta(days=i % 31)))
    missing = set(rng.sample(range(n), n_missing))
    billed = [i for i in range(n) if i not in missing]
    mismatch = set(rng.sample(billed, n_mismatch))
    lines = []  # (tracking number, weight, province, fee, day)
    for i in billed:
        s = shipments[i]
        fee = tariff.fee(s.province, s.weight_kg) + (Decimal("3.00") if i in mismatch else 0)
        full = dict(PROVINCES)[s.province]
        lines.append((s.tracking_no, s.weight_kg, full, fee, s.shipped_on))
    for k in range(n_duplicates):
        lines.append(lines[rng.randrange(len(billed))][:4] + (month + timedelta(days=k % 31),))
    for k in range(n_not_ours):
        lines.append((f"ZT{7_000_000_000 + k:010d}", Decimal("1.20"), "河南省", Decimal("10.00"),
                      month + timedelta(days=k % 31)))
    rng.shuffle(lines)  # whichever line of a tracking number comes first is checked, the later one is the duplicate
    path = workdir / "bill.csv"
    with open(path, "w", encoding="gbk", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["运单号", "重量", "目的地", "运费", "日期"])
        total = Decimal(0)
        for no, weight, province, fee, day in lines:
            writer.writerow([no, weight, province, fee, day.isoformat()])
            total += fee
        writer.writerow(["", "", "合计", total, ""])
    expected = {"matched": len(billed) - n_mismatch, "fee_mismatch": n_mismatch, "not_ours": n_not_ours,
                "missing_from_bill": n_missing, "duplicate": n_duplicates}
    return shipments, path, tariff, expected


def _rss_mb() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / (1024 * 1024 if sys.platform == "darwin" else 1024)


def run(n: int = DEFAULT_N, workdir: Path | None = None, *, rows: int | None = None) -> dict:
    """`rows` (from `shopdesk bench --rows`) is the same as `n`."""
    from shopdesk.fulfillment.reconcile import read_bill, reconcile

    n = rows or n
    scratch = None
    if workdir is None:
        workdir = scratch = Path(tempfile.mkdtemp(prefix="shopdesk-bench-bill-"))
    try:
        shipments, path, tariff, expected = generate(n, Path(workdir))
        gc.collect()
        rss_before = _rss_mb()
        start = time.perf_counter()
        result = reconcile(read_bill(path), (s for s in shipments), tariff)
        seconds = time.perf_counter() - start
        rss_after = _rss_mb()
        counts = dict(result.counts)
        findings = len(result.findings)
        del result
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        traced = reconcile(read_bill(path), (s for s in shipments), tariff)
        traced_seconds = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert traced.counts == counts
        bill_mb = path.stat().st_size / 1e6
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return {
        "bill_lines": sum(counts.values()) - counts["missing_from_bill"], "shipments": n,
        "seconds": round(seconds, 2), "lines_per_second": round(n / seconds) if seconds else None,
        "peak_traced_mb": round(peak / 1e6, 1), "traced_seconds": round(traced_seconds, 2),
        "rss_before_mb": round(rss_before, 1), "rss_after_mb": round(rss_after, 1),
        "rss_growth_mb": round(rss_after - rss_before, 1), "bill_file_mb": round(bill_mb, 1),
        "findings_kept": findings, "counts": counts, "counts_as_generated": counts == expected,
        "cores": os.cpu_count(), "aim": AIM,
    }


def _main(argv: list[str]) -> int:
    if argv and not argv[0].isdigit():
        print("usage: python bench/_fulfilment_bill.py [N]", file=sys.stderr)
        return 2
    # Only what the messages need: the project's settings would create a data dir.
    from django.conf import settings

    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        import django

        django.setup()
    elif not settings.configured:
        settings.configure(USE_I18N=False)
    print(json.dumps(run(int(argv[0]) if argv else DEFAULT_N), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/ shadows nothing
    sys.exit(_main(sys.argv[1:]))
