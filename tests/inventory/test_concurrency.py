"""Concurrent reservations by real processes never oversell, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os

import pytest

from shopdesk.inventory.race import race

pytestmark = pytest.mark.slow


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return "postgres://postgres@127.0.0.1:5432/postgres"
    except Exception:  # noqa: BLE001 - no local server: that leg is skipped with its reason
        return None


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_hot_sku_race_never_oversells(database):
    url = None
    if database == "postgresql":
        url = _postgres_url()
        if url is None:
            pytest.skip("no PostgreSQL server reachable")
    result = race(processes=4, attempts=50, stock=100, skus=1, postgres_url=url)
    assert result.database == database
    assert result.errors == 0
    assert result.successes == min(100, 4 * 50) == 100
    assert result.refusals == 4 * 50 - 100
    assert result.final_reserved == 100 and result.final_on_hand == 100
    assert result.oversold == 0 and result.ledger_problems == 0
