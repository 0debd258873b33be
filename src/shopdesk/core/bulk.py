"""Fast INSERT of many new rows, for imports of tens of thousands of records.

Django's `bulk_create` prepares every value through the ORM's generic compiler, which for wide rows (an order has
about fifty columns) costs several times what the database spends storing them. `insert` does the same job for
plain new rows with one converter per field, decided once per model, and a multi-row `INSERT ... RETURNING id` per
batch (SQLite 3.35+ and PostgreSQL), then sets each object's primary key, as bulk_create does. No signals, no
save() overrides: only for models written through their services, which call it inside their transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from functools import cache, lru_cache

from django.db import connection, models, transaction

# SQLite allows 32766 bound parameters per statement; PostgreSQL 65535.
MAX_PARAMS = 30000


def _json_converter(field) -> Callable:
    """JSON values: the empty list and dict (most rows of an import) are prepared once."""
    empty = {"list": field.get_db_prep_save([], connection), "dict": field.get_db_prep_save({}, connection)}

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
def _plan(model: type[models.Model]) -> tuple[str, list[str], list[Callable], str]:
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
            converters.append(lambda v, f=f: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places))
        elif isinstance(f, models.JSONField):
            converters.append(_json_converter(f))
        else:
            converters.append(None)
    qn = ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    head = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608 (model metadata only)
    return model._meta.db_table, [f.attname for f in fields], converters, head


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


def insert(objs: Sequence[models.Model]) -> None:
    """INSERT new instances of one model (pk None) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    ids = _insert(model, [obj.__dict__ for obj in objs])
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias


def insert_rows(model: type[models.Model], rows: Sequence[dict]) -> list:
    """INSERT rows given as {attname: value} (missing columns take the field's default); returns the new ids in
    order. Cheaper than building model instances when there are tens of thousands."""
    if not rows:
        return []
    _table, attnames, _converters, _head = _plan(model)
    defaults = _defaults(model)
    filled = []
    for row in rows:
        missing = defaults.keys() - row.keys()
        filled.append({**{a: defaults[a]() for a in missing}, **row} if missing else row)
    return _insert(model, filled)


@cache
def _defaults(model: type[models.Model]) -> dict[str, Callable]:
    return {f.attname: f.get_default for f in model._meta.concrete_fields if not f.primary_key}


def _insert(model: type[models.Model], rows: Sequence[dict]) -> list:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("bulk inserts must run inside the caller's transaction")
    _table, attnames, converters, head = _plan(model)
    width = len(attnames)
    one = "(" + ", ".join(["%s"] * width) + ")"
    per_batch = max(1, MAX_PARAMS // width)
    pk = connection.ops.quote_name(model._meta.pk.column)
    converting = [(i, c) for i, c in enumerate(converters) if c is not None]
    ids: list = []
    with connection.cursor() as cursor:
        for start, size in batches(len(rows), per_batch):
            batch = rows[start:start + size]
            params = []
            extend = params.extend
            for values in batch:
                row = [values[a] for a in attnames]
                for i, c in converting:
                    if row[i] is not None:
                        row[i] = c(row[i])
                extend(row)
            sql = head + ", ".join([one] * len(batch)) + f" RETURNING {pk}"  # noqa: S608 (model metadata only)
            cursor.execute(sql, params)
            ids.extend(new_id for (new_id,) in cursor.fetchall())
    return ids
