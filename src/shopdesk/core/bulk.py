"""Fast INSERT of many new rows, for imports of tens of thousands of records.

Django's `bulk_create` prepares every value through the ORM's generic compiler, which for wide rows (an order has
about fifty columns) costs several times what the database spends storing them. `insert` does the same job for
plain new rows with one converter per field, decided once per model: on SQLite a multi-row `INSERT ... RETURNING id`
per batch through the driver's cursor, on PostgreSQL ids from the table's sequence and one COPY; then it sets each
object's primary key, as bulk_create does. No signals, no save() overrides: only for models written through their
services, which call it inside their transaction.
"""

from __future__ import annotations

import gc
import json
import operator
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC
from functools import cache, lru_cache, partial

from django.db import connection, models, transaction

# SQLite allows 32766 bound parameters per statement; PostgreSQL 65535.
MAX_PARAMS = 30000
# SQLite during a long bulk write (see `heavy_writes`): page cache of this connection (KiB) and WAL pages between
# two automatic checkpoints (the default is 1000, 4 MB: a chunk of an import touches more pages than that).
HEAVY_CACHE_KIB = 32 * 1024
HEAVY_CHECKPOINT_PAGES = 16 * 1024


@contextmanager
def heavy_writes() -> Iterator[None]:
    """Tune this SQLite connection for a job that writes tens of thousands of rows in many transactions (an order
    import): a 32 MB page cache instead of 2 MB, so the indexes' inner pages stay in memory, and a WAL checkpoint
    every 64 MB instead of every 4 MB, so pages changed by several chunks are copied back once. Memory stays bounded
    (the cache has a ceiling) and the WAL shrinks back at the next checkpoint. The settings return to what they were
    afterwards; nothing changes on PostgreSQL."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        checkpoint = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{HEAVY_CACHE_KIB:d}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {HEAVY_CHECKPOINT_PAGES:d}")
    try:
        yield
    finally:
        if connection.connection is not None:  # a failed job may have closed it
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache):d}")
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(checkpoint):d}")


# While a bulk job runs: collect the youngest objects after this many new ones instead of 700 (see `rare_collections`).
RARE_COLLECTIONS = (100_000, 50, 100)


@contextmanager
def rare_collections() -> Iterator[None]:
    """Let the cyclic garbage collector run rarely while a job makes millions of short-lived rows, dicts and
    tuples (an order import). With Python's default thresholds it runs every 700 new objects and, every hundred
    runs, walks every object alive, the chunk in hand included: measured, a third of an import's time. The
    objects alive before the job are frozen out of its walks. Garbage without cycles is still freed at once, and
    memory stays bounded (the threshold is a count). Thresholds and frozen objects are restored afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*RARE_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _json_converter(field) -> Callable:
    """JSON values: the empty list and dict (most rows of an import) are prepared once; others are dumped as the
    field would (Django's `adapt_json_value`: json.dumps with the field's encoder) without its per-value checks."""
    empty = {"list": field.get_db_prep_save([], connection), "dict": field.get_db_prep_save({}, connection)}
    if connection.vendor == "sqlite":
        encoder = field.encoder

        def convert(value):
            if not value and type(value) in (list, dict):
                return empty[type(value).__name__]
            return json.dumps(value, cls=encoder)
    else:  # psycopg wants its Jsonb wrapper: the field's own preparation

        def convert(value):
            if not value and type(value) in (list, dict):
                return empty[type(value).__name__]
            return field.get_db_prep_save(value, connection)

    return convert


@lru_cache(maxsize=4096)  # the same "now" fills several columns of every row of a batch
def _sqlite_datetime(value):
    """What Django's SQLite backend stores for an aware datetime (naive UTC text), without its generic checks."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


@cache
def _plan(model: type[models.Model]) -> tuple[str, list[str], list[Callable], str, list[str]]:
    """(table, attnames, converter per column or None, "INSERT INTO table (columns) VALUES ", column names)."""
    ops = connection.ops
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    converters: list[Callable] = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            converters.append(_sqlite_datetime if connection.vendor == "sqlite" else ops.adapt_datetimefield_value)
        elif isinstance(f, models.DateField):
            converters.append(ops.adapt_datefield_value)
        elif isinstance(f, models.TimeField):
            converters.append(ops.adapt_timefield_value)
        elif isinstance(f, models.DecimalField):
            # SQLite: the text the backend's registered adapter makes of a Decimal, made here (it also pickles
            # cheaply: an import's rows cross a pipe)
            converters.append(str if connection.vendor == "sqlite" else
                              lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places))
        elif isinstance(f, models.JSONField):
            converters.append(_json_converter(f))
        else:
            converters.append(None)
    qn = ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    head = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608 (model metadata only)
    return model._meta.db_table, [f.attname for f in fields], converters, head, [f.column for f in fields]


def batches(total: int, largest: int) -> list[tuple[int, int]]:
    """(start, size) pieces of `total` rows: full batches of `largest`, then the rest in powers of two.

    The drivers keep prepared statements by their SQL text, and a multi-row INSERT's text depends on its row count:
    with sizes from a small fixed set, an import of any length reuses a handful of statements instead of caching a
    new, large one for every chunk (memory would grow with the file)."""
    pieces, start = [], 0
    while total - start >= largest:
        pieces.append((start, largest))
        start += largest
    size = 1 << max(0, (largest - 1).bit_length() - 1)
    while start < total:
        while size > total - start:
            size >>= 1
        pieces.append((start, size))
        start += size
    return pieces


def padded(values: list, step: int = 64) -> list:
    """An IN (...) list padded with its first value to a multiple of `step`, for the same reason as `batches`."""
    if not values:
        return values
    return values + [values[0]] * (-len(values) % step)


def select_in(model: type[models.Model], fields: Sequence[str], column: str, values: Sequence, *,
              equal: dict[str, object] | None = None, between: tuple[str, object, object] | None = None,
              batch: int = 500) -> list[tuple]:
    """The `fields` (plain columns: text and numbers, as the driver gives them back) of the rows of `model` whose
    `column` is one of `values`, where the `equal` columns have those values and `between`'s column (a datetime) is
    within its bounds. Without the ORM's work per value: an import asks about thousands of values per chunk, and
    for each value the ORM prepares the parameter and SQLite's cursor wrapper rewrites its "%s" with a regular
    expression, many times the cost of the lookup itself.

    SQLite: `batch` values a statement, through the driver's own cursor (with much longer IN lists its planner may
    prefer another index and scan instead); PostgreSQL: one `= ANY` array."""
    if not values:
        return []
    meta, ops = model._meta, connection.ops
    qn = ops.quote_name

    def col(name: str) -> str:
        return qn(meta.get_field(name).column)

    sqlite = connection.vendor == "sqlite"
    mark = "?" if sqlite else "%s"
    where, params = [], []
    for name, value in (equal or {}).items():
        where.append(f"{col(name)} = {mark}")
        params.append(value)
    if between is not None:
        name, low, high = between
        where.append(f"{col(name)} >= {mark} AND {col(name)} <= {mark}")
        params.extend([ops.adapt_datetimefield_value(low), ops.adapt_datetimefield_value(high)])
    head = f"SELECT {', '.join(col(f) for f in fields)} FROM {qn(meta.db_table)} WHERE "  # noqa: S608 (metadata)
    tail = "".join(f" AND {w}" for w in where)
    found: list[tuple] = []
    if not sqlite:
        with connection.cursor() as cursor:
            cursor.execute(f"{head}{col(column)} = ANY(%s){tail}", [list(values), *params])
            return cursor.fetchall()
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        for start in range(0, len(values), batch):
            part = padded(list(values[start:start + batch]))
            raw.execute(f"{head}{col(column)} IN ({', '.join('?' * len(part))}){tail}", [*part, *params])
            found.extend(raw.fetchall())
    finally:
        raw.close()
    return found


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT new instances of one model (pk None) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    ids = insert_rows(model, [obj.__dict__ for obj in objs])
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> list:
    """INSERT rows given as {attname: value} (missing columns take the field's default); returns the new ids in
    order. Cheaper than building model instances when there are tens of thousands."""
    return insert_values(model, values(model, rows)) if rows else []


@cache
def columns(model: type[models.Model]) -> dict[str, int]:
    """attname -> its place in a row of `values` (to set a column of prepared rows)."""
    return {name: i for i, name in enumerate(_plan(model)[1])}


@cache
def converter(model: type[models.Model], attname: str) -> Callable:
    """One column's value as `values` prepares it (None stays None)."""
    convert = _plan(model)[2][columns(model)[attname]]
    if convert is None:
        return lambda value: value
    return lambda value: None if value is None else convert(value)


def values(model: type[models.Model], rows: Sequence[dict]) -> list[list]:
    """Each row's column values in the plan's order, ready for the driver (`insert_values`). Needs no database
    connection: an import prepares its rows in a process of its own (orders.importing)."""
    return list(_values(model, rows))


def _same(value):
    return value


@cache
def _defaults(model: type[models.Model]) -> dict[str, Callable]:
    """attname -> what makes its default: the field's callable default, or a constant's (made once: Django's
    `get_default` is slow for tens of thousands of rows)."""
    made = {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.has_default() and callable(f.default) or isinstance(f.default, (list, dict, set)):
            made[f.attname] = f.get_default
        else:
            made[f.attname] = partial(_same, f.get_default())
    return made


def insert_values(model: type[models.Model], rows: Sequence[list]) -> list:
    """INSERT rows made by `values` (columns may have been set since, through `converter`); returns the new ids in
    order."""
    if not rows:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk inserts must run inside the caller's transaction")
    if connection.vendor == "postgresql":
        return _copy(model, rows)
    _table, attnames, _converters, head, _columns = _plan(model)
    width = len(attnames)
    # The driver's own cursor with its "?" marks: Django's cursor would rewrite every "%s" of a statement of thousands
    # of values with a regular expression on each call, which costs more than the INSERT.
    one = "(" + ", ".join(["?"] * width) + ")"
    per_batch = max(1, MAX_PARAMS // width)
    pk = connection.ops.quote_name(model._meta.pk.column)
    ids: list = []
    connection.ensure_connection()
    raw = connection.connection.cursor()
    try:
        for start, size in batches(len(rows), per_batch):
            params = []
            for row in rows[start:start + size]:
                params.extend(row)
            sql = head + ", ".join([one] * size) + f" RETURNING {pk}"  # noqa: S608 (model metadata only)
            raw.execute(sql, params)
            ids.extend(new_id for (new_id,) in raw.fetchall())
    finally:
        raw.close()
    return ids


def _values(model: type[models.Model], rows: Sequence[dict]) -> Iterator[list]:
    _table, attnames, converters, _head, _columns = _plan(model)
    defaults = _defaults(model)
    take = _taker(model)
    converting = [(i, c) for i, c in enumerate(converters) if c is not None]
    for values in rows:
        try:
            row = list(take(values))
        except KeyError:  # a column left to its default
            row = [values[a] if a in values else defaults[a]() for a in attnames]
        for i, c in converting:
            if row[i] is not None:
                row[i] = c(row[i])
        yield row


@cache
def _taker(model: type[models.Model]) -> Callable:
    """The plan's columns out of a {attname: value} dict, in C (an import makes hundreds of thousands of rows)."""
    attnames = _plan(model)[1]
    take = operator.itemgetter(*attnames)
    return take if len(attnames) > 1 else lambda values: (take(values),)


def _copy(model: type[models.Model], rows: Sequence[list]) -> list:
    """PostgreSQL: take the ids from the table's sequence in one query, then COPY the rows with them. A multi-row
    INSERT of thousands of "%s" would be split by psycopg in Python on every call (statements that long are not
    cached), which costs several times the INSERT itself."""
    table, _attnames, _converters, _head, column_names = _plan(model)
    qn = connection.ops.quote_name
    pk = model._meta.pk.column
    columns = ", ".join(qn(c) for c in (pk, *column_names))
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                       [table, pk, len(rows)])
        ids = sorted(new_id for (new_id,) in cursor.fetchall())
        with cursor.cursor.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
            for new_id, row in zip(ids, rows, strict=True):
                copy.write_row([new_id, *row])
    return ids

