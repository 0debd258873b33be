"""Waybill numbers taken by many processes at once (product.md §2.4: number pools per carrier).

`workers` OS processes (multiprocessing, spawn: each imports Django and connects on its own, as web workers do)
take `per_worker` numbers each from one carrier's pool, every number in a transaction of its own
(`services.take_waybill` inside `transaction.atomic`), all starting together. The pool holds exactly
`workers x per_worker` numbers, so every attempt must get one: `duplicates` (a number given twice) and `missing`
(a number of the pool nobody got) must both be 0, and the pool must be empty at the end.

The database is a fresh temporary SQLite file (a data dir of its own), or a fresh database created on the PostgreSQL
server of `database_url` and dropped at the end. The set-up child migrates it and creates the carrier and the pool
(a numeric range, or an imported list with `kind="list"`).

`python bench/_fulfilment_pool.py` runs both kinds on SQLite (and on PostgreSQL with `--database-url` or
DATABASE_URL) and prints JSON; `shopdesk bench fulfilment` runs it as one of its parts (8 workers x 250 numbers,
range and list). `run()` returns {"workers", "numbers", "seconds", "numbers_per_second", "duplicates", ...}.
"""

from __future__ import annotations

import argparse
import importlib
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from queue import Empty
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
CARRIER = ("中通快递", "zto")
FIRST = 731200000001
LOCK_RETRIES = 200


# --- children -------------------------------------------------------------------------------------------------------


def _setup(env: dict) -> None:
    """Django in a spawned child, as bench/orders.py sets up its children: the environment names the data dir (and
    the database), the data dir is checked, then django.setup()."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shopdesk.settings"
    import django

    from shopdesk import config

    config.ensure_data_dir(config.data_dir())
    django.setup()


def _prepare(env: dict, kind: str, total: int, queue) -> None:
    _setup(env)
    from django.core.management import call_command

    from shopdesk.fulfillment import services

    call_command("migrate", interactive=False, verbosity=0)
    carrier = services.save_carrier(actor=None, name=CARRIER[0], code=CARRIER[1])
    if kind == "range":
        pool = services.create_range_pool(actor=None, carrier=carrier, name="bench", first=FIRST,
                                          last=FIRST + total - 1, digits=12)
    else:
        pool = services.add_pool_numbers(actor=None, carrier=carrier, name="bench",
                                         numbers=(f"L{FIRST + i}" for i in range(total)))
    queue.put((carrier.pk, pool.pk))


def _worker(env: dict, carrier_id: int, count: int, start, queue) -> None:
    _setup(env)
    from django.db import OperationalError, connection, transaction

    from shopdesk.fulfillment import services
    from shopdesk.fulfillment.models import Carrier

    carrier = Carrier.objects.get(pk=carrier_id)
    connection.close()  # connect after the gun, like the others
    numbers, empty, retries, errors = [], 0, 0, 0
    start.wait()
    for _ in range(count):
        for attempt in range(LOCK_RETRIES):
            try:
                with transaction.atomic():
                    taken = services.take_waybill(carrier)
                break
            except OperationalError:  # SQLite busy beyond its timeout: retried and counted, never hidden
                retries += 1
                time.sleep(0.001 * min(attempt + 1, 50))
        else:
            errors += 1
            continue
        if taken is None:
            empty += 1
        else:
            numbers.append(taken[0])
    connection.close()
    queue.put({"numbers": numbers, "empty": empty, "retries": retries, "errors": errors})


def _verify(env: dict, pool_id: int, queue) -> None:
    _setup(env)
    from shopdesk.fulfillment import selectors

    pool = selectors.pools_with_left().get(pk=pool_id)
    queue.put({"left": pool.numbers_left})


def _targets():
    """The module whose functions the spawned children run: this one when it is importable by its name (a script
    run), else the same file imported as `_fulfilment_pool` from bench/ (`shopdesk bench` loads it under another
    name, which a spawned child could not import)."""
    if __name__ in ("__main__", "__mp_main__", "_fulfilment_pool"):
        return sys.modules[__name__]
    if str(HERE) not in sys.path:
        sys.path.append(str(HERE))  # last: the bench modules shadow nothing
    return importlib.import_module("_fulfilment_pool")


def _collect(queue, procs: list, timeout: float) -> list:
    """One answer per process; a process that died without answering is an error at once (never a long wait)."""
    answers: list = []
    deadline = time.monotonic() + timeout
    while len(answers) < len(procs):
        try:
            answers.append(queue.get(timeout=1.0))
        except Empty:
            dead = [p for p in procs if not p.is_alive() and p.exitcode not in (0, None)]
            if dead:
                raise RuntimeError(f"{len(dead)} child process(es) failed (exit codes "
                                   f"{sorted({p.exitcode for p in dead})}); their error is above") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(procs) - len(answers)} child process(es) did not answer") from None
    return answers


def _stop(procs: list) -> None:
    for p in procs:
        p.join(30)
        if p.is_alive():
            p.terminate()
            p.join(10)


def _run_child(target, *args):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue), daemon=True)
    proc.start()
    try:
        return _collect(queue, [proc], 900)[0]
    finally:
        _stop([proc])


# --- databases ------------------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


# --- the benchmark ----------------------------------------------------------------------------------------------------


def run(workers: int = 8, per_worker: int = 250, database_url: str | None = None, *, rows: int | None = None,
        kind: str = "range") -> dict:
    """`workers` processes each take `per_worker` numbers (`rows` overrides it, for `shopdesk bench --rows`) from
    a pool of exactly workers x per_worker numbers; see the module doc."""
    if rows:
        per_worker = rows
    if kind not in ("range", "list"):
        raise ValueError(f"kind: range or list, not {kind!r}")
    module = _targets()
    total = workers * per_worker
    data_dir = tempfile.mkdtemp(prefix="shopdesk-bench-pool-")
    env = {"SHOPDESK_DATA_DIR": data_dir, "SHOPDESK_LOG_LEVEL": "ERROR", "DATABASE_URL": ""}
    pg_name = None
    if database_url:
        import psycopg

        pg_name = f"shopdesk_bench_pool_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_with_database(database_url, "postgres"), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{pg_name}"')
        env["DATABASE_URL"] = _with_database(database_url, pg_name)
    try:
        carrier_id, pool_id = _run_child(module._prepare, env, kind, total)
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        start = ctx.Event()
        procs = [ctx.Process(target=module._worker, args=(env, carrier_id, per_worker, start, queue), daemon=True)
                 for _ in range(workers)]
        for p in procs:
            p.start()
        try:
            time.sleep(2.0 + 0.25 * workers)  # every process imports Django before the gun
            began = time.perf_counter()
            start.set()
            outcomes = _collect(queue, procs, 1800)
            seconds = time.perf_counter() - began
        finally:
            _stop(procs)
        left = _run_child(module._verify, env, pool_id)["left"]
    finally:
        if pg_name:
            import psycopg

            with psycopg.connect(_with_database(database_url, "postgres"), autocommit=True) as con:
                con.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)
    taken = [n for o in outcomes for n in o["numbers"]]
    distinct = set(taken)
    expected = ({f"{n:012d}" for n in range(FIRST, FIRST + total)} if kind == "range"
                else {f"L{FIRST + i}" for i in range(total)})
    return {
        "database": "postgresql" if pg_name else "sqlite", "kind": kind, "workers": workers,
        "per_worker": per_worker, "numbers": len(distinct), "seconds": round(seconds, 3),
        "numbers_per_second": round(len(taken) / seconds, 1) if seconds else 0.0,
        "duplicates": len(taken) - len(distinct), "missing": len(expected - distinct),
        "outside_pool": len(distinct - expected), "empty_answers": sum(o["empty"] for o in outcomes),
        "lock_retries": sum(o["retries"] for o in outcomes), "errors": sum(o["errors"] for o in outcomes),
        "left_in_pool": left,
    }


def table(report: dict) -> str:
    return (f"{report['database']} {report['kind']} pool: {report['workers']} processes x {report['per_worker']}: "
            f"{report['numbers']} numbers in {report['seconds']} s = {report['numbers_per_second']}/s; duplicates "
            f"{report['duplicates']}, missing {report['missing']}, left {report['left_in_pool']}, lock retries "
            f"{report['lock_retries']}, errors {report['errors']}")


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--per-worker", type=int, default=250)
    parser.add_argument("--kind", choices=["range", "list", "both"], default="both")
    parser.add_argument("--database-url", default=_postgres_url(),
                        help="a PostgreSQL server URL (default: $DATABASE_URL when it is one); SQLite always runs")
    args = parser.parse_args(argv)
    kinds = ["range", "list"] if args.kind == "both" else [args.kind]
    reports = [run(args.workers, args.per_worker, None, kind=k) for k in kinds]
    if args.database_url:
        reports += [run(args.workers, args.per_worker, args.database_url, kind=k) for k in kinds]
    print(json.dumps(reports, ensure_ascii=False, indent=2))
    return 0 if all(r["duplicates"] == r["missing"] == r["errors"] == 0 for r in reports) else 1


if __name__ == "__main__":
    if sys.path and Path(sys.path[0] or ".").resolve() == HERE:
        sys.path.pop(0)  # bench/'s modules (audit, inventory, orders ...) must not shadow anything
    sys.exit(_main(sys.argv[1:]))
