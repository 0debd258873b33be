"""Fulfilment (product.md §2.4): printing, waybill numbers under concurrency, the monthly courier bill.

Three parts, each in a module of its own under bench/ (runnable alone as a script):

- `print` (`_fulfilment_print.py`): the pick list, the dispatch notes and the 100x180 mm labels of 1,000 generated
  orders rendered as PDF (`fulfillment.printing`): seconds per document and pages per second.
- `pool` (`_fulfilment_pool.py`): 8 processes take numbers from one carrier's pool at once, each number in its own
  transaction (`services.take_waybill`), from a numeric range and from an imported list, on a fresh SQLite database
  (and on PostgreSQL when DATABASE_URL names a server): numbers per second, duplicates and missing numbers (both must
  be 0).
- `bill`: 100,000 bill lines against 100,000 shipments. First the pure check (`_fulfilment_bill.py`:
  `reconcile.read_bill` + `reconcile.reconcile` on a GBK CSV bill and shipments in memory); then the same through
  the service a finance person uses (`services.import_courier_bill`: parcels streamed from this benchmark's own
  database, findings stored), timed, and run again under tracemalloc for its peak memory.

The issue names no baseline for these; the numbers are absolute. `--rows N` sets the bill size (default 100,000).
"""

from __future__ import annotations

import gc
import importlib.util
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
BILL_ROWS = 100_000
PRINT_ORDERS = 1_000
POOL_WORKERS = 8
POOL_PER_WORKER = 250
CHINA = ZoneInfo("Asia/Shanghai")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"shopdesk_bench{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bill_through_service(n: int) -> dict:
    """Shipments of the generated bill's month written into this benchmark's database, then the service."""
    from django.db import transaction

    from shopdesk.channels.models import Shop
    from shopdesk.core import bulk
    from shopdesk.fulfillment import services
    from shopdesk.fulfillment.models import Shipment
    from shopdesk.orders.models import Order

    gen = _module("_fulfilment_bill")
    work = Path(tempfile.mkdtemp(prefix="shopdesk-bench-bill-db-"))
    shipments, path, tariff, expected = gen.generate(n, work)
    full = dict(gen.PROVINCES)
    shop, _ = Shop.objects.get_or_create(code="bench-bill", defaults={"platform": "tmall", "name": "对账店"})
    carrier = services.save_carrier(actor=None, name="圆通速递", code="yto")
    for rule in tariff.rules:
        services.save_price_rule(actor=None, carrier=carrier, province=rule.province,
                                 first_weight_kg=rule.first_weight_kg, first_fee=rule.first_fee,
                                 extra_unit_kg=rule.extra_unit_kg, extra_fee=rule.extra_fee)
    started = time.perf_counter()
    for start in range(0, n, 5000):
        part = shipments[start:start + 5000]
        with transaction.atomic():
            when = [datetime.combine(s.shipped_on, dtime(15, 0), tzinfo=CHINA) for s in part]
            ids = bulk.insert_rows(Order, [
                {"shop_id": shop.pk, "platform_order_no": s.order_no, "status": "shipped",
                 "province": full[s.province], "carrier": carrier.name, "tracking_no": s.tracking_no,
                 "ordered_at": w, "paid_at": w, "shipped_at": w, "created_at": w, "updated_at": w}
                for s, w in zip(part, when, strict=True)])
            bulk.insert_rows(Shipment, [
                {"order_id": oid, "carrier": carrier.name, "tracking_no": s.tracking_no, "state": "shipped",
                 "weight_kg": s.weight_kg, "shipped_at": w, "created_at": w}
                for oid, s, w in zip(ids, part, when, strict=True)])
    load_seconds = time.perf_counter() - started
    month = shipments[0].shipped_on.strftime("%Y-%m")

    gc.collect()
    rss_before = _rss_mb()
    started = time.perf_counter()
    bill = services.import_courier_bill(actor=None, carrier=carrier, month=month, path=path,
                                        tolerance=Decimal("0.50"))
    seconds = time.perf_counter() - started
    rss_after = _rss_mb()
    counts = {k: bill.counts.get(k) for k in expected}

    gc.collect()
    tracemalloc.start()
    services.import_courier_bill(actor=None, carrier=carrier, month=month, path=path, tolerance=Decimal("0.50"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"bill_lines": bill.counts.get("bill_lines"), "shipments": bill.counts.get("shipments"),
            "seconds": round(seconds, 2), "lines_per_second": round(n / seconds) if seconds else None,
            "peak_traced_mb": round(peak / 1e6, 1), "rss_growth_mb": round(rss_after - rss_before, 1),
            "counts": counts, "counts_as_generated": expected, "counts_ok": counts == expected,
            "shipments_load_seconds": round(load_seconds, 2)}


def run(rows: int | None = None) -> dict:
    """`rows` (small, for tests) shrinks every part: the bill to `rows` lines, the print run to 10 x rows orders and
    each pool worker to `rows` numbers."""
    n = rows or BILL_ROWS
    orders = min(PRINT_ORDERS, 10 * rows) if rows else PRINT_ORDERS
    per_worker = min(POOL_PER_WORKER, rows) if rows else POOL_PER_WORKER
    report: dict = {"print": _module("_fulfilment_print").run(orders)}
    report["print"].pop("pdf_bytes", None)
    pool = _module("_fulfilment_pool")
    report["pool"] = [pool.run(POOL_WORKERS, per_worker, None, kind=kind) for kind in ("range", "list")]
    url = pool._postgres_url()
    if url:
        report["pool"] += [pool.run(POOL_WORKERS, per_worker, url, kind=kind) for kind in ("range", "list")]
    report["bill_pure"] = _module("_fulfilment_bill").run(n)
    report["bill_service"] = _bill_through_service(n)
    return report


def table(report: dict) -> str:
    p = report["print"]
    lines = [f"print {p['orders']} orders: pick list {p['pick_list_seconds']} s ({p['pick_list_pages']} pages), "
             f"dispatch notes {p['dispatch_notes_seconds']} s ({p['dispatch_notes_pages']} pages), labels "
             f"{p['labels_seconds']} s ({p['labels_pages']} pages); {p['pages_per_second']} pages/s"]
    for r in report["pool"]:
        lines.append(f"pool {r['database']} {r['kind']}: {r['workers']} processes, {r['numbers']} numbers, "
                     f"{r['numbers_per_second']}/s, duplicates {r['duplicates']}, missing {r['missing']}")
    b = report["bill_pure"]
    lines.append(f"bill (pure check) {b['bill_lines']} lines vs {b['shipments']} shipments: {b['seconds']} s, "
                 f"peak traced {b['peak_traced_mb']} MB")
    s = report["bill_service"]
    lines.append(f"bill (import_courier_bill) {s['bill_lines']} lines vs {s['shipments']} shipments: {s['seconds']} s "
                 f"({s['lines_per_second']} lines/s), peak traced {s['peak_traced_mb']} MB, categories as generated: "
                 f"{s['counts_ok']}")
    return "\n".join(lines)
