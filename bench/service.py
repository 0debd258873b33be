"""Customer-service workbench (product.md §2.7): the reply-suggestion model and the KPI computation.

- `suggest` (`_service_suggest.py`): model load time from its JSON file, training time on the packaged dataset,
  per-message classification latency (p50/p95) and messages per second on one core.
- `kpis` (`_service_kpis.py`): one month of 1,000,000 messages in a fresh SQLite database, then the month's KPIs
  per agent and per shop by day: seconds and query count.

The issue names no baseline; the numbers are absolute. `--rows N` scales both (N messages for the KPI month).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"shopdesk_bench{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def run(rows: int | None = None) -> dict:
    return {"suggest": _module("_service_suggest").run(rows), "kpis": _module("_service_kpis").run(rows)}


def table(report: dict) -> str:
    return "\n".join([_module("_service_suggest").table(report["suggest"]),
                      _module("_service_kpis").table(report["kpis"])])
