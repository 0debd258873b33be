"""Waybill numbers taken by many workers at once: each number goes to one worker only, none is skipped, and an
exhausted pool answers None. Eight threads, each with its own database connection and its own transactions (as
eight web workers printing batches at the same time); bench/_fulfilment_pool.py does the same with processes."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import WaybillNumber, WaybillPool

THREADS = 8
ATTEMPTS = 15  # per thread: 120 attempts for 100 numbers, so the pool runs dry under contention


def _take(carrier) -> str | None:
    """One number in a transaction of its own; SQLite's "database is locked" / "table is locked" (the in-memory
    test database shares one cache between connections) is retried, never hidden as a missing number."""
    for attempt in range(400):
        try:
            with transaction.atomic():
                taken = services.take_waybill(carrier)
            return taken[0] if taken else None
        except OperationalError as exc:
            if "locked" not in str(exc):
                raise
            time.sleep(0.002 * min(attempt + 1, 20))
    raise AssertionError("still locked after 400 attempts")


def _race(carrier) -> list[list[str | None]]:
    start = threading.Barrier(THREADS)
    results: list[list[str | None]] = []
    errors: list[BaseException] = []

    def worker():
        try:
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA busy_timeout = 20000")
            start.wait(timeout=30)
            results.append([_take(carrier) for _ in range(ATTEMPTS)])
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"waybill-taker-{i}") for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not errors, errors
    assert len(results) == THREADS
    return results


def _carrier(name="中通快递", code="zto"):
    return services.save_carrier(actor=None, name=name, code=code)


def _check(results, expected: set[str]) -> None:
    taken = [n for got in results for n in got if n is not None]
    assert len(taken) == len(set(taken)), "a number was given twice"
    assert set(taken) == expected, "numbers skipped or outside the pool"
    assert sum(n is None for got in results for n in got) == THREADS * ATTEMPTS - len(expected)
    for got in results:  # once a worker saw the pools empty, it never got a number again
        first_none = next((i for i, n in enumerate(got) if n is None), len(got))
        assert all(n is None for n in got[first_none:])


@pytest.mark.django_db(transaction=True)
def test_range_pool_under_eight_workers():
    carrier = _carrier()
    pool = services.create_range_pool(actor=None, carrier=carrier, name="号段", first=7300000001, last=7300000100,
                                      prefix="ZT", digits=10)
    results = _race(carrier)
    _check(results, {pool.format(n) for n in range(7300000001, 7300000101)})
    pool.refresh_from_db()
    assert pool.next_number == pool.last_number + 1
    assert services.take_waybill(carrier) is None


@pytest.mark.django_db(transaction=True)
def test_list_pool_under_eight_workers():
    carrier = _carrier()
    numbers = [f"L{n:04d}" for n in range(100)]
    pool = services.add_pool_numbers(actor=None, carrier=carrier, name="清单", numbers=numbers)
    results = _race(carrier)
    _check(results, set(numbers))
    assert WaybillNumber.objects.filter(pool=pool, taken_at__isnull=True).count() == 0
    assert services.take_waybill(carrier) is None


@pytest.mark.django_db(transaction=True)
def test_range_then_list_pool_under_eight_workers():
    """The oldest pool first: the range runs dry, then the list is used, then None."""
    carrier = _carrier()
    pool = services.create_range_pool(actor=None, carrier=carrier, name="号段", first=1, last=60, digits=6)
    numbers = [f"L{n:03d}" for n in range(40)]
    services.add_pool_numbers(actor=None, carrier=carrier, name="清单", numbers=numbers)
    other = _carrier("圆通速递", "yto")
    services.create_range_pool(actor=None, carrier=other, name="圆通", first=1, last=5, digits=6)
    results = _race(carrier)
    _check(results, {pool.format(n) for n in range(1, 61)} | set(numbers))
    assert WaybillPool.objects.get(carrier=other).next_number == 1  # another carrier's pool is never touched
