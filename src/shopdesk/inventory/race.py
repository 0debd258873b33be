"""A reservation race between real processes: the proof that stock is never oversold.

Several OS processes (not threads) reserve one unit at a time of the same SKUs in a database of their own (a fresh
SQLite file, or a fresh PostgreSQL database), exactly as several web workers would. Used by the concurrency test
(small) and by `shopdesk bench inventory` (large). Each run creates and removes its own database.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit, urlunsplit


@dataclass
class RaceResult:
    database: str
    processes: int
    attempts_per_process: int
    skus: int
    stock_per_sku: int
    successes: int
    refusals: int
    errors: int
    final_reserved: int
    final_on_hand: int
    oversold: int
    ledger_problems: int
    seconds: float
    reservations_per_second: float
    attempts_per_second: float

    def as_dict(self) -> dict:
        return asdict(self)


def _setup(env: dict) -> None:
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopdesk.settings"
    import django

    django.setup()


def _prepare(env: dict, skus: int, stock: int, queue) -> None:
    _setup(env)
    from django.core.management import call_command

    from shopdesk.catalog.models import SKU, Product
    from shopdesk.inventory import engine
    from shopdesk.inventory.models import Location, Warehouse, Zone

    call_command("migrate", verbosity=0, interactive=False)
    warehouse = Warehouse.objects.create(code="RACE", name="race")
    zone = Zone.objects.create(warehouse=warehouse, code="A", name="A")
    location = Location.objects.create(warehouse=warehouse, zone=zone, code="A-01")
    product = Product.objects.create(item_number="RACE", name="race")
    ids = []
    for i in range(skus):
        sku = SKU.objects.create(product=product, code=f"RACE-{i}")
        engine.receive(sku=sku, location=location, quantity=stock, reference="race stock")
        ids.append(sku.pk)
    queue.put(ids)


def _worker(env: dict, index: int, sku_ids: list[int], attempts: int, start, queue) -> None:
    _setup(env)
    from django.db import OperationalError, connection

    from shopdesk.catalog.models import SKU
    from shopdesk.inventory import engine

    skus = {s.pk: s for s in SKU.objects.filter(pk__in=sku_ids)}
    ok = refused = errors = 0
    start.wait()
    for i in range(attempts):
        sku = skus[sku_ids[(index * attempts + i) % len(sku_ids)]]
        try:
            if engine.reserve(sku, 1, f"race:{index}:{i}").ok:
                ok += 1
            else:
                refused += 1
        except OperationalError:  # e.g. SQLite busy beyond its timeout: counted, never hidden
            errors += 1
    connection.close()
    queue.put((ok, refused, errors))


def _verify(env: dict, queue) -> None:
    _setup(env)
    from django.db.models import Sum

    from shopdesk.inventory import engine
    from shopdesk.inventory.models import Reservation, WarehouseStock

    totals = WarehouseStock.objects.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    per_sku_over = sum(max(0, s.reserved - s.on_hand) for s in WarehouseStock.objects.all())
    reserved_rows = Reservation.objects.aggregate(total=Sum("quantity"))["total"] or 0
    queue.put({"on_hand": totals["on_hand"] or 0, "reserved": totals["reserved"] or 0, "oversold": per_sku_over,
               "reserved_rows": reserved_rows, "ledger_problems": len(engine.verify_ledger())})


def _run(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get(timeout=600)
    proc.join(60)
    if proc.exitcode not in (0, None):
        raise RuntimeError(f"{target.__name__} failed with exit code {proc.exitcode}")
    return result


def _pg_url(base_url: str, database: str) -> str:
    parts = urlsplit(base_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def race(*, processes: int = 8, attempts: int = 200, stock: int = 100, skus: int = 1,
         postgres_url: str | None = None) -> RaceResult:
    """Run the race in a fresh database (SQLite, or PostgreSQL when `postgres_url` names a server)."""
    data_dir = tempfile.mkdtemp(prefix="shopdesk-race-")
    env = {"SHOPDESK_DATA_DIR": data_dir, "SHOPDESK_LOG_LEVEL": "ERROR"}
    pg_db = None
    if postgres_url:
        import psycopg

        pg_db = f"shopdesk_race_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_pg_url(postgres_url, "postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{pg_db}"')
        env["DATABASE_URL"] = _pg_url(postgres_url, pg_db)
    else:
        env["DATABASE_URL"] = ""
    try:
        sku_ids = _run(_prepare, env, skus, stock)
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        start = ctx.Event()
        workers = [ctx.Process(target=_worker, args=(env, i, sku_ids, attempts, start, queue))
                   for i in range(processes)]
        for w in workers:
            w.start()
        time.sleep(2.0)  # let every process import Django and connect before the gun
        began = time.perf_counter()
        start.set()
        outcomes = [queue.get(timeout=900) for _ in workers]
        elapsed = time.perf_counter() - began
        for w in workers:
            w.join(60)
        checked = _run(_verify, env)
    finally:
        if pg_db:
            import psycopg

            with psycopg.connect(_pg_url(postgres_url, "postgres"), autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)
    successes = sum(o[0] for o in outcomes)
    return RaceResult(
        database="postgresql" if pg_db else "sqlite", processes=processes, attempts_per_process=attempts,
        skus=skus, stock_per_sku=stock, successes=successes, refusals=sum(o[1] for o in outcomes),
        errors=sum(o[2] for o in outcomes), final_reserved=checked["reserved"], final_on_hand=checked["on_hand"],
        oversold=checked["oversold"], ledger_problems=checked["ledger_problems"], seconds=round(elapsed, 3),
        reservations_per_second=round(successes / elapsed, 1) if elapsed else 0.0,
        attempts_per_second=round(processes * attempts / elapsed, 1) if elapsed else 0.0,
    )
