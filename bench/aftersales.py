"""After-sales and reviews (product.md §2.5-2.6): the return-policy engine's throughput and the review deadline queue.

- `decide`: `aftersales.policy.decide` over a generated mix of 100,000 requests (every request type and reason, days
  0-30 and unknown, random item flags and conditions, a few freight-collect parcels): decisions per second, and the
  share allowed. The same mix through `services.policy_request` (the checked constructor the API and the case form
  use) beside it, so the cost of validation shows.
- `reviews` (`_aftersales_reviews.py`): 1,000,000 reviews in a fresh SQLite database, then the "due and overdue"
  follow-up queue through its selector: p50/p95 of the first page and its query count (the deadline indexes do the
  work).

The issue names no baseline; the numbers are absolute. `--rows N` makes N x 10 requests and N x 100 reviews.
"""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUESTS = 100_000


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"shopdesk_bench{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def requests(n: int, seed: int = 1) -> list[tuple]:
    """n request tuples (type, reason, days, flags, condition, return shipping), reproducible."""
    from shopdesk.aftersales import policy

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        flags = [f for f in policy.ITEM_FLAGS if rng.random() < 0.08]
        condition = [c for c in policy.ITEM_CONDITIONS if rng.random() < 0.04]
        days = None if rng.random() < 0.05 else rng.randint(0, 30)
        shipping = rng.choice((None, None, "prepaid", "prepaid", "freight_collect")) if rng.random() < 0.5 else None
        out.append((rng.choice(policy.REQUEST_TYPES), rng.choice(policy.REASONS), days, flags, condition, shipping))
    return out


def _decide(n: int) -> dict:
    from shopdesk.aftersales import policy, services

    mix = requests(n)
    built = [policy.request_of(*args) for args in mix]
    started = time.perf_counter()
    decisions = [policy.decide(r) for r in built]
    pure = time.perf_counter() - started
    started = time.perf_counter()
    for kind, reason, days, flags, condition, shipping in mix:
        policy.decide(services.policy_request(kind=kind, reason=reason, days=days, item_flags=flags,
                                              item_condition=condition, return_shipping=shipping or ""))
    checked = time.perf_counter() - started
    allowed = sum(d.allowed for d in decisions)
    return {"requests": n, "seconds": round(pure, 3), "decisions_per_second": round(n / pure) if pure else None,
            "with_validation_seconds": round(checked, 3),
            "with_validation_per_second": round(n / checked) if checked else None,
            "allowed_share": round(allowed / n, 3) if n else None,
            "rule_codes_seen": len({c for d in decisions for c in d.rule_codes})}


def run(rows: int | None = None) -> dict:
    report = {"decide": _decide(rows * 10 if rows else REQUESTS)}
    report["reviews"] = _module("_aftersales_reviews").run(rows)
    return report


def table(report: dict) -> str:
    d = report["decide"]
    lines = [f"decide(): {d['requests']} requests in {d['seconds']} s = {d['decisions_per_second']}/s "
             f"(with the checked constructor {d['with_validation_per_second']}/s); allowed {d['allowed_share']:.0%}, "
             f"{d['rule_codes_seen']} rule codes seen"]
    lines.append(_module("_aftersales_reviews").table(report["reviews"]))
    return "\n".join(lines)
