"""The order writer behind `services.import_orders` and `services.create_order`: platform records in, orders out.

Only `services.py` calls it. How it keeps its promises (product.md §2.3):
- validate everything first: pass one reads the whole file (and the Taobao item file) and collects every bad row;
  any bad row and nothing is written;
- idempotent: orders are unique per (shop, platform order number); a known order is an update when the platform
  moved it forward (paid, shipped, completed, closed) and a duplicate otherwise;
- kill-safe: pass two writes chunks of orders, each chunk in one transaction with its lines, reservations, audit rows
  and the run's progress, so a killed import re-run ends with one copy of every order and the right reservations;
- streaming: files are read row by row and the Taobao item file is staged in a temporary SQLite file, so memory
  does not grow with the file;
- fast: one conditional stock UPDATE per paid line (inventory.engine.reserve_many) and bulk INSERTs for the rest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import marshal
import multiprocessing
import operator
import os
import pickle
import queue
import sqlite3
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext

from shopdesk.catalog.selectors import skus_for_channel_codes
from shopdesk.channels.importers import ImportFileError, LineRecord, OrderRecord, RowError
from shopdesk.channels.importers.textfile import CHINA
from shopdesk.core import audit, bulk, clock
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine
from shopdesk.orders import flows, risk, verification
from shopdesk.orders.models import ImportRun, Order, OrderLine, ShopOrderRules, Status, UnreachableArea

CHUNK = 10000  # orders per transaction: bigger chunks rewrite fewer index pages per order (random keys)
# The first chunk, smaller: with a forked preparer the writer prepares it itself while the preparer makes the next
# (in a thread, the writer waits for it). The same chunks either way: the outcome may depend on them (risk flags
# found across two chunks are added to the earlier order's review reasons after the others).
HEAD_CHUNK = 4000
HISTORY_BATCH = 500
NOTIFY_EVERY = 20  # chunks between two listing syncs (auto delist at zero stock) during an import
MAX_REPORTED = 1000  # rejected rows kept in the summary (all are counted)
# Plain strings, not the enum's members: an import's prepared rows cross a pipe, and members pickle slowly.
_PLATFORM_TO_STATUS = {"unpaid": Status.UNPAID.value, "paid": Status.PAID.value, "shipped": Status.SHIPPED.value,
                       "completed": Status.COMPLETED.value, "cancelled": Status.CANCELLED.value}
AUDIT_FIELDS = ("status", "buyer_platform_id", "mobile", "paid_amount", "carrier")  # status first: the writer's


@dataclass
class Summary:
    created: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    rejected_count: int = 0
    orders: list[Order] = field(default_factory=list)  # only kept for single-order writes (API)

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append({"line": line, "reason": reason})

    def merge(self, other: Summary) -> None:
        """Another summary's problems after this one's (kept up to MAX_REPORTED, all counted)."""
        for problem in other.rejected:
            self.reject(problem["line"], problem["reason"])
        self.rejected_count += other.rejected_count - len(other.rejected)

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "duplicates": self.duplicates,
                "rejected": self.rejected}


# --- reading --------------------------------------------------------------------------------------------------------


# A record in the stage: one column per field of OrderRecord (its lines come from the item table), as plain values
# SQLite keeps as they are: amounts as text, times as POSIX seconds (read back in China time), flags as 0/1.
# Cheaper both ways than pickling the record with its Decimal and datetime objects.
_KINDS = {f.name: f.type for f in dataclasses.fields(OrderRecord) if f.name != "lines"}  # annotations, as text
if unknown := {name for name, kind in _KINDS.items() if kind not in ("str", "int", "bool", "Decimal",
                                                                     "datetime | None")}:
    raise TypeError(f"the import stage cannot keep OrderRecord fields {sorted(unknown)}: teach it their type")
_FIELDS = list(_KINDS)
_STAGE_COLUMNS = ", ".join(f"f_{name}" for name in _FIELDS)
_AMOUNT_AT = [i for i, name in enumerate(_FIELDS) if _KINDS[name] == "Decimal"]
_TIME_AT = [i for i, name in enumerate(_FIELDS) if _KINDS[name] == "datetime | None"]
_FLAG_AT = [i for i, name in enumerate(_FIELDS) if _KINDS[name] == "bool"]  # SQLite gives 0/1 back


def _stage_row(rec: OrderRecord) -> list:
    row = [getattr(rec, name) for name in _FIELDS]
    for i in _AMOUNT_AT:
        row[i] = str(row[i])
    for i in _TIME_AT:
        if row[i] is not None:
            row[i] = row[i].timestamp()
    return row


def _staged_record(row: tuple) -> OrderRecord:
    values = list(row)
    for i in _AMOUNT_AT:
        values[i] = Decimal(values[i])
    for i in _TIME_AT:
        if values[i] is not None:
            values[i] = datetime.fromtimestamp(values[i], CHINA)
    for i in _FLAG_AT:
        values[i] = bool(values[i])
    return OrderRecord(*values)


class Source:
    """A file (or Taobao pair) read once: pass one parses and checks every row and keeps the valid records in a
    temporary SQLite file (the stage); pass two reads them back from the stage, in file order, a chunk at a time."""

    def __init__(self, fmt: str, path: Path, items_path: Path | None = None):
        self.fmt, self.path, self.items_path = fmt, Path(path), Path(items_path) if items_path else None
        self._stage: sqlite3.Connection | None = None
        self._stage_dir: tempfile.TemporaryDirectory | None = None

    def close(self) -> None:
        if self._stage is not None:
            self._stage.close()
            self._stage = None
        if self._stage_dir is not None:
            self._stage_dir.cleanup()
            self._stage_dir = None

    def _order_iter(self) -> Iterator[OrderRecord | RowError]:
        from shopdesk.channels.importers import generic, jd, taobao

        parser = {"taobao": taobao.iter_orders, "jd": jd.iter_orders, "generic": generic.iter_orders}[self.fmt]
        return parser(self.path)

    def _open_stage(self) -> sqlite3.Connection:
        self._stage_dir = tempfile.TemporaryDirectory(prefix="shopdesk-import-")
        # Pass two may read it from the prefetching thread (one thread at a time).
        self._stage = sqlite3.connect(self._stage_path("stage"), check_same_thread=False)
        self._stage.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            f"{_ITEM_TABLE}"
            f"CREATE TABLE o ({_STAGE_COLUMNS});")
        return self._stage

    def validate(self, summary: Summary) -> int:
        """Pass one: every problem into `summary`, every valid record into the stage; returns the number of orders."""
        if self.fmt == "taobao" and self.items_path is None:
            raise ImportFileError(gettext("A Taobao/Tmall import needs the item file (ExportOrderDetailList.csv) "
                                          "beside the order file."))
        stage = self._open_stage()
        items_beside = None
        if self.fmt == "taobao":
            if can_fork():  # the item file on the other core, into a stage of its own, while this one reads orders
                items_beside = Forked(self._stage_items_apart)
            else:
                self._stage_items(summary, self._stage)
        try:
            items_problems = summary.rejected_count
            total = self._stage_orders(summary if items_beside is None else (order_problems := Summary()))
            if items_beside is not None:
                summary.merge(items_beside.result())  # the item file's problems first, as when read in turn
                items_problems = summary.rejected_count
                summary.merge(order_problems)
                stage.commit()
                stage.execute("ATTACH DATABASE ? AS apart", (self._stage_path("items"),))
                stage.execute("INSERT INTO i SELECT * FROM apart.i")
                stage.commit()
                stage.execute("DETACH DATABASE apart")
        finally:
            if items_beside is not None:
                items_beside.stop()
        return self._check_pairs(summary, total, items_problems)

    def _stage_path(self, name: str) -> str:
        return os.path.join(self._stage_dir.name, f"{name}.sqlite3")

    def _stage_items_apart(self) -> Summary:
        """In a forked process: the item file into a stage file of its own; its problems are the result."""
        problems = Summary()
        stage = sqlite3.connect(self._stage_path("items"))
        stage.executescript(f"PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; {_ITEM_TABLE}")
        self._stage_items(problems, stage)
        stage.commit()
        stage.close()
        return problems

    def _stage_orders(self, summary: Summary) -> int:
        total, batch, items = 0, [], []
        insert = f"INSERT INTO o VALUES ({', '.join('?' * len(_FIELDS))})"  # noqa: S608 (field names only)
        for rec in self._order_iter():
            if isinstance(rec, RowError):
                summary.reject(rec.line_no, self._where(rec) + rec.reason)
                continue
            total += 1
            batch.append(_stage_row(rec))
            # JD and the generic template carry the lines in the record: staged under the record's line number
            # (unique, where an order number may repeat in a file).
            items.extend(_item_row(str(rec.line_no), ln) for ln in rec.lines)
            if len(batch) >= 5000:
                self._flush(insert, batch, items)
        self._flush(insert, batch, items)
        return total

    def _check_pairs(self, summary: Summary, total: int, rejected_before: int) -> int:
        """Every order of a Taobao pair has items and every item an order; when a row of the order file was
        rejected (`rejected_before`: the problems of the item file alone), its items are not reported as orphans."""
        stage = self._stage
        stage.execute("CREATE INDEX i_no ON i (no, line)")
        stage.commit()
        if self.fmt == "taobao":
            stage.execute("CREATE INDEX o_no ON o (f_platform_order_no)")
            for order_no, line_no in stage.execute(
                    "SELECT o.f_platform_order_no, o.f_line_no FROM o LEFT JOIN i ON i.no = o.f_platform_order_no "
                    "WHERE i.no IS NULL ORDER BY o.f_line_no"):
                summary.reject(line_no, gettext("Order %(no)s has no items in %(file)s.")
                               % {"no": order_no, "file": self.items_path.name})
            orphans = [] if summary.rejected_count > rejected_before else stage.execute(
                # items of an order row already rejected are not reported a second time
                "SELECT i.no, MIN(i.line) FROM i LEFT JOIN o ON o.f_platform_order_no = i.no WHERE o.f_line_no IS NULL "
                "GROUP BY i.no "
                "ORDER BY 2")
            for order_no, line_no in orphans:
                summary.reject(line_no, f"{self.items_path.name}: " + gettext(
                    "Order %(no)s is not in the order file %(file)s.") % {"no": order_no, "file": self.path.name})
        return total

    def _where(self, err: RowError) -> str:
        if err.file == "items" and self.items_path is not None:
            return f"{self.items_path.name}: "
        return ""

    def _flush(self, insert: str, orders: list, items: list) -> None:
        self._stage.executemany(insert, orders)
        self._stage.executemany(_INSERT_ITEM, items)
        orders.clear()
        items.clear()

    def _stage_items(self, summary: Summary, stage: sqlite3.Connection) -> None:
        """The Taobao item file into a stage, under each item's order number."""
        from shopdesk.channels.importers import taobao

        batch = []
        for item in taobao.iter_items(self.items_path):
            if isinstance(item, RowError):
                summary.reject(item.line_no, f"{self.items_path.name}: {item.reason}")
                continue
            no, ln = item
            batch.append(_item_row(no, ln))
            if len(batch) >= 5000:
                stage.executemany(_INSERT_ITEM, batch)
                batch.clear()
        stage.executemany(_INSERT_ITEM, batch)

    def chunks(self, size: int = CHUNK, first: Iterable[int] = (), *,
               after: int = 0) -> Iterator[tuple[list[int], list[OrderRecord]]]:
        """Pass two: the valid orders after place `after`, with their lines, in file order, with their places in the
        stage (for `records_at`): chunks of the sizes in `first`, then of `size`."""
        rows = self._stage.execute(
            f"SELECT rowid, {_STAGE_COLUMNS} FROM o WHERE rowid > ? ORDER BY rowid", (after,))  # noqa: S608 (field names only)
        sizes = itertools.chain((n for n in first if n < size), itertools.repeat(size))
        while batch := rows.fetchmany(next(sizes)):
            yield [row[0] for row in batch], self._with_items([_staged_record(row[1:]) for row in batch])

    def records_at(self, places: list[int]) -> list[OrderRecord]:
        """The records at these places of the stage (the orders of a chunk that are already known), in that order."""
        marks = ",".join("?" * len(places))
        found = {row[0]: _staged_record(row[1:]) for row in self._stage.execute(
            f"SELECT rowid, {_STAGE_COLUMNS} FROM o WHERE rowid IN ({marks})", places)}  # noqa: S608 (field names only)
        return self._with_items([found[place] for place in places])

    def mark_known(self, shop) -> None:
        """Note in the stage which of its orders the shop already has, so that a file imported again is not prepared
        a second time for nothing (the preparer reads no database). Asked first of the file's first orders: a file
        of new orders costs one query."""
        stage = self._stage
        stage.execute("CREATE TABLE IF NOT EXISTS known (no TEXT PRIMARY KEY) WITHOUT ROWID")
        rows = stage.execute("SELECT f_platform_order_no FROM o ORDER BY rowid")
        checked_first = False
        while numbers := [no for (no,) in rows.fetchmany(HISTORY_BATCH)]:
            found = Order.objects.filter(shop=shop, platform_order_no__in=bulk.padded(numbers)).values_list(
                "platform_order_no", flat=True)
            stage.executemany("INSERT OR IGNORE INTO known VALUES (?)", [(no,) for no in found])
            if not checked_first:
                checked_first = True
                if not stage.execute("SELECT 1 FROM known LIMIT 1").fetchone():
                    break
        stage.commit()

    def known_among(self, numbers: list[str]) -> set[str]:
        """Those of `numbers` that `mark_known` found in the shop."""
        marks = ",".join("?" * len(numbers))
        return {no for (no,) in self._stage.execute(
            f"SELECT no FROM known WHERE no IN ({marks})", numbers)}  # noqa: S608 (marks only)

    def channel_codes(self) -> list[str]:
        """Every channel SKU code of the valid orders' lines, once."""
        return [code for (code,) in self._stage.execute("SELECT DISTINCT code FROM i")]

    def reopen(self) -> None:
        """A connection of this process's own to the stage (a forked preparer must not share its parent's)."""
        self._inherited = self._stage  # not closed here: it is the parent's
        self._stage = sqlite3.connect(self._stage_path("stage"), check_same_thread=False)

    def _with_items(self, chunk: list[OrderRecord]) -> list[OrderRecord]:
        taobao = self.fmt == "taobao"
        by_key = {rec.platform_order_no if taobao else str(rec.line_no): rec for rec in chunk}
        marks = ",".join("?" * len(by_key))
        sql = f"SELECT no, line, code, title, props, qty, price FROM i WHERE no IN ({marks}) ORDER BY no, line"  # noqa: S608
        for key, line, code, title, props, qty, price in self._stage.execute(sql, list(by_key)):
            by_key[key].lines.append(LineRecord(line, code, title, props, qty, Decimal(price)))
        return chunk


_INSERT_ITEM = "INSERT INTO i VALUES (?, ?, ?, ?, ?, ?, ?)"
_ITEM_TABLE = "CREATE TABLE i (no TEXT, line INTEGER, code TEXT, title TEXT, props TEXT, qty INTEGER, price TEXT);"


def _item_row(key: str, ln: LineRecord) -> tuple:
    return key, ln.line_no, ln.channel_sku_code, ln.title, ln.properties, ln.quantity, str(ln.unit_price)


def prefetched(chunks: Iterator[list], depth: int = 2) -> Iterator[list]:
    """The chunks of `chunks`, read ahead by a thread: the next chunk is unpacked while the database writes the last
    one (SQLite and psycopg let go of the GIL while they work). At most `depth` chunks wait in memory. An error of
    the reader is raised here; a caller that stops early stops the reader."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def read() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        ready.put((chunk, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put((done, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            ready.put((done, exc))

    reader = threading.Thread(target=read, name="shopdesk-import-reader", daemon=True)
    reader.start()
    try:
        while True:
            chunk, error = ready.get()
            if error is not None:
                raise error
            if chunk is done:
                return
            yield chunk
    finally:
        stop.set()
        while reader.is_alive():  # unblock a reader waiting on a full queue
            try:
                ready.get_nowait()
            except queue.Empty:
                reader.join(0.05)


# --- writing --------------------------------------------------------------------------------------------------------


class Context:
    """What the writer looks up once per import, not once per order."""

    def __init__(self, shop):
        self.shop = shop
        self.rules = ShopOrderRules.objects.get_or_create(shop=shop)[0]
        self.thresholds = risk.Thresholds.of(self.rules)
        self.coverage = coverage()
        self.warehouse_ids = engine.warehouses_for_shop(shop.pk)
        self.skus: dict[str, object] = {}  # channel code -> SKU (None: not mapped)
        self.mapped: dict[str, Mapped | None] = {}  # the same, as the preparer reads it (no model instances)
        # Imports tell the listings about changed stock every few chunks, not after each one (see `run`).
        self.notify_now = True
        self.touched: set[int] = set()

    def map_codes(self, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c and c not in self.skus}
        if missing:
            found = skus_for_channel_codes(self.shop, missing)
            for code in missing:
                sku = self.skus[code] = found.get(code)
                self.mapped[code] = Mapped(sku.pk, sku.product.is_gift) if sku is not None else None


class Mapped(NamedTuple):
    """A mapped channel code's SKU as `prepare` needs it: reading model instances' related fields costs more
    per line than everything else the preparer does for it."""

    sku_id: int
    is_gift: bool


def coverage() -> verification.Coverage:
    spots: dict[str, list[tuple[str, str, str]]] = {}
    for carrier, p, c, d in UnreachableArea.objects.values_list("carrier", "province", "city", "district"):
        spots.setdefault(carrier, []).append((p, c, d))
    return verification.Coverage(spots)


def reference(shop, order_no: str) -> str:
    """The document every stock row of an order carries (凭单下账)."""
    return f"{shop.code}:{order_no}"[:80]


class Draft(SimpleNamespace):
    """A new order before it is written: the Order's columns as attributes (cheaper than a model instance when an
    import writes tens of thousands; the review and risk rules read it like an Order)."""

    pk = None


def _order_from(rec: OrderRecord, shop, now) -> Draft:
    lines_total = sum((ln.unit_price * ln.quantity for ln in rec.lines), Decimal("0"))
    return Draft(
        shop_id=shop.pk, platform_order_no=rec.platform_order_no, status=_PLATFORM_TO_STATUS[rec.status],
        platform_status=rec.platform_status[:40], buyer_platform_id=rec.buyer_platform_id[:80],
        buyer_name=rec.buyer_name[:60], mobile=rec.mobile[:20], landline=rec.landline[:30],
        province=rec.province[:30], city=rec.city[:30], district=rec.district[:30],
        address_detail=rec.address_detail[:200], postcode=rec.postcode[:10], goods_amount=rec.goods_amount,
        shipping_fee=rec.shipping_fee, discount=max(Decimal("0"), lines_total - rec.goods_amount),
        paid_amount=rec.paid_amount, ordered_at=rec.ordered_at or now, paid_at=rec.paid_at,
        buyer_message=rec.buyer_message[:500], seller_remark=rec.seller_remark[:500],
        invoice_title=rec.invoice_title[:100], greeting_card=rec.greeting_card[:200],
        delivery_wish=rec.delivery_wish[:100], chosen_carrier=rec.chosen_carrier[:40],
        carrier=rec.carrier_name[:40], tracking_no=rec.tracking_no[:40], is_cod=rec.is_cod,
        close_reason=rec.close_reason[:200], created_at=now, updated_at=now, source="import", out_of_stock=False,
        has_unmapped=False, address_incomplete=False, unreachable=False, risk_flagged=False, risk_reasons=[],
        review_reasons=[], on_hold=False, verified_at=None, verified_by_id=None, reship_of_id=None, ship_today=False,
    )


def risk_row(key, order: Order, penny_item: str = "") -> risk.RiskRow:
    return risk.RiskRow(key, order.buyer_platform_id, order.mobile,
                        risk.address_key(order.province, order.city, order.district, order.address_detail),
                        order.ordered_at.timestamp(), _seconds(order.paid_at), order.paid_amount, penny_item)


def _seconds(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def review_facts(order: Order, ctx: Context) -> verification.ReviewFacts:
    """Set the address and carrier exception columns (and the carrier) of a paid order; the facts its review reads.
    Needs no database: the import's preparer calls it."""
    order.address_incomplete = not verification.address_complete(order.province, order.city, order.district,
                                                                  order.address_detail)
    carrier, reaches = verification.choose_carrier(
        chosen=order.chosen_carrier, default=ctx.rules.default_carrier, province=order.province, city=order.city,
        district=order.district, coverage=ctx.coverage)
    if order.status in (Status.UNPAID, Status.PAID, Status.VERIFIED) and not order.tracking_no:
        order.carrier = carrier
    order.unreachable = not reaches
    return verification.ReviewFacts(
        address_complete=not order.address_incomplete, phone_ok=verification.phone_ok(order.mobile, order.landline),
        reaches=reaches, buyer_message=order.buyer_message, seller_remark=order.seller_remark,
        risk=order.risk_flagged, unmapped=order.has_unmapped, out_of_stock=order.out_of_stock,
        paid_amount=order.paid_amount, is_cod=order.is_cod, on_hold=order.on_hold)


def review_outcome(facts: verification.ReviewFacts, ctx: Context) -> list[str]:
    """The reasons that hold a paid order for a person; none: it is verified automatically."""
    return verification.review_reasons(facts, amount_above=ctx.rules.review_amount_above,
                                       review_cod=ctx.rules.review_cod)


def apply_review(order: Order, ctx: Context, *, now) -> None:
    """Set the exception columns, the carrier and the review reasons of a paid order; verify it if nothing holds it."""
    order.review_reasons = review_outcome(review_facts(order, ctx), ctx)
    if order.status == Status.PAID and not order.review_reasons:
        order.status = Status.VERIFIED
        order.verified_at = now
        order.verified_by_id = None


# --- preparing: what a new order needs no database for ------------------------------------------------------------


class Ready(NamedTuple):
    """One order of a chunk, made ready without the database: the Order row as the driver takes it (`bulk.values`),
    its lines and its audit row's changes. The writer (`write_batch`) decides the rest against the database (known
    order, risk against the shop's history, stock, review) and sets those columns. Plain values only: during an
    import they cross a pipe, and marshalling tuples of strings and numbers is what costs least."""

    no: str
    place: int  # where the record is in the import's stage (to read it again when the order is already known)
    status: str  # before the review
    row: list
    risk: tuple  # the fields of its risk.RiskRow; the key is the order's place in the batch
    facts: tuple | None  # paid orders: the fields of its verification.ReviewFacts (risk and stock: the writer's)
    review: list[str] | None  # paid orders: the review's outcome when the writer finds no risk and stock enough
    reserve: list[tuple[int, int, int]]  # (line index, SKU id, quantity) of the lines to reserve
    lines: list[list]  # OrderLine rows (`bulk.values`); order and reservation set by the writer
    changes: str  # its audit row's changes as JSON text (`_changes_text`), masked, except status, risk and review


def _fields(obj) -> tuple:
    """A flat dataclass's field values, as they are (`dataclasses.astuple` deep-copies each one: far slower)."""
    return _getter(type(obj))(obj)


@functools.cache
def _getter(kind: type) -> Callable:
    return operator.attrgetter(*(f.name for f in dataclasses.fields(kind)))


class Batch(NamedTuple):
    ready: list[Ready]  # one per order number, in file order
    duplicates: int  # order numbers repeated within the chunk
    records: list[OrderRecord] | None = None  # kept when prepared in this process (no stage to read them from)
    known: list[tuple[str, int]] = []  # (order number, place) of orders the shop had before the import: not prepared


def prepare(records: list[OrderRecord], ctx: Context, *, actor=None, source: str = "import",
            places: list[int] | None = None, keep_records: bool = False, known: set[str] = frozenset()) -> Batch:
    """A chunk of valid records made ready for `write_batch`. Reads no database (the channel codes must be mapped in
    `ctx` already): during a large import it runs in a process of its own, beside the writer (`prepared`)."""
    first: dict[str, int] = {}
    for i, rec in enumerate(records):
        first.setdefault(rec.platform_order_no, i)
    duplicates = len(records) - len(first)
    skipped = [(no, places[i] if places is not None else i) for no, i in first.items() if no in known]
    if skipped:  # already in the shop (a file imported again): the writer compares them with the record
        first = {no: i for no, i in first.items() if no not in known}
    shop, now = ctx.shop, clock.now()
    orders, risks, facts, reviews, reserves, lines, counts, changes = [], [], [], [], [], [], [], []
    for i in first.values():
        rec = records[i]
        order = _order_from(rec, shop, now)
        order.source = source
        skus = [ctx.mapped.get(ln.channel_sku_code) for ln in rec.lines]
        penny = ""
        for ln, sku in zip(rec.lines, skus, strict=True):
            if risk.is_penny_non_gift(ln.unit_price, ln.title, sku is not None and sku.is_gift):
                penny = ln.title or ln.channel_sku_code
                break
        risks.append(_fields(risk_row(len(risks), order, penny)))
        if order.status != Status.UNPAID and order.paid_at is None:
            order.paid_at = now  # entered without a payment time (API, by hand): paid when it was entered
        order.has_unmapped = any(sku is None for sku in skus) or not rec.lines
        reserves.append([(j, sku.sku_id, ln.quantity) for j, (ln, sku) in enumerate(zip(rec.lines, skus, strict=True))
                         if sku is not None] if order.status in flows.RESERVED_STATES else [])
        if order.status == Status.PAID:
            paid = review_facts(order, ctx)
            facts.append(_fields(paid))
            reviews.append(review_outcome(paid, ctx))
        else:
            facts.append(None)
            reviews.append(None)
        counts.append(len(rec.lines))
        lines.extend({"order_id": None, "sku_id": sku.sku_id if sku is not None else None,
                      "channel_sku_code": ln.channel_sku_code[:80], "title": ln.title[:200],
                      "properties": ln.properties[:200], "quantity": ln.quantity, "unit_price": ln.unit_price,
                      "reservation_id": None} for ln, sku in zip(rec.lines, skus, strict=True))
        changes.append(_changes_text(audit.masked_changes({
            f: {"before": None, "after": audit._plain(getattr(order, f))} for f in AUDIT_FIELDS[1:]})))
        orders.append(order)
    rows, line_rows = bulk.values(Order, [vars(o) for o in orders]), bulk.values(OrderLine, lines)
    ready, start = [], 0
    for n, i in enumerate(first.values()):
        ready.append(Ready(records[i].platform_order_no, places[i] if places is not None else i, orders[n].status,
                           rows[n], risks[n], facts[n], reviews[n], reserves[n], line_rows[start:start + counts[n]],
                           changes[n]))
        start += counts[n]
    return Batch(ready, duplicates, records if keep_records else None, skipped)


# --- writing ----------------------------------------------------------------------------------------------------------


def _history(shop, live: list[risk.RiskRow], rows: list[list], window_hours: int) -> list[risk.RiskRow]:
    """Recent orders of the shop that share a phone, buyer or street address with the `live` orders (`rows`: their
    Order rows).

    Three lookups of ids, each on its own indexed column and the time window (`bulk.select_in`: one combined query
    makes the databases scan the whole window, on a 双11 file the whole table, for every chunk), then the orders
    found read in full: in most chunks none."""
    detail_at = bulk.columns(Order)["address_detail"]
    wanted = {"mobile": {r.mobile for r in live}, "buyer_platform_id": {r.buyer for r in live},
              "address_detail": {row[detail_at] for row in rows}}
    times = [r.ordered_at for r in live]
    window = window_hours * 3600
    between = ("ordered_at", datetime.fromtimestamp(min(times) - window, UTC),
               datetime.fromtimestamp(max(times) + window, UTC))
    ids = set()
    for column, found_values in wanted.items():
        ids.update(pk for (pk,) in bulk.select_in(Order, ["id"], column, [v for v in found_values if v],
                                                   between=between, batch=HISTORY_BATCH))
    fields = ("id", "shop_id", "buyer_platform_id", "mobile", "province", "city", "district", "address_detail",
              "ordered_at", "paid_at", "paid_amount", "status", "risk_flagged")
    found = []
    ids = sorted(ids)
    for i in range(0, len(ids), HISTORY_BATCH):
        found.extend(Order.objects.filter(pk__in=ids[i:i + HISTORY_BATCH]).order_by().values_list(*fields))
    rows = []
    for (pk, shop_id, buyer, mobile, province, city, district, detail, ordered_at, paid_at, paid, status,
         flagged) in found:
        if shop_id != shop.pk or status == Status.CANCELLED:
            continue
        rows.append(risk.RiskRow(("db", pk, status, flagged), buyer, mobile,
                                 risk.address_key(province, city, district, detail), ordered_at.timestamp(),
                                 _seconds(paid_at), paid))
    return rows


def write_chunk(records: list[OrderRecord], ctx: Context, summary: Summary, *, actor=None, source: str = "import",
                keep: bool = False) -> None:
    """Write one chunk of valid records in the caller's transaction (prepared here, in this process)."""
    ctx.map_codes(ln.channel_sku_code for rec in records for ln in rec.lines)
    batch = prepare(records, ctx, actor=actor, source=source, keep_records=True)
    write_batch(batch, ctx, summary, actor=actor, source=source, keep=keep)


def write_batch(batch: Batch, ctx: Context, summary: Summary, *, actor=None, source: str = "import",
                keep: bool = False, records_at: Callable[[list[int]], list[OrderRecord]] | None = None) -> None:
    """Write one prepared chunk in the caller's transaction: known orders follow the platform, new ones are checked
    for risk, reserved, reviewed and inserted with their lines and audit rows."""
    shop, now = ctx.shop, clock.now()
    summary.duplicates += batch.duplicates
    # Known orders: their id and status decide (an update locks and reads the whole order itself).
    numbers = [r.no for r in batch.ready] + [no for no, _place in batch.known]
    existing = {no: SimpleNamespace(pk=pk, status=status) for no, pk, status in bulk.select_in(
        Order, ["platform_order_no", "id", "status"], "platform_order_no", numbers, equal={"shop": shop.pk})}
    if missing := [no for no, _place in batch.known if no not in existing]:  # orders are never deleted
        raise RuntimeError(f"orders {missing[:5]} were in the shop when the import began and are gone")
    if existing:
        again = [(r.no, r.place) for r in batch.ready if r.no in existing] + batch.known
        records = ([batch.records[place] for _no, place in again] if batch.records is not None
                   else records_at([place for _no, place in again]))
        for (no, _place), rec in zip(again, records, strict=True):
            if _platform_update(existing[no], rec, ctx, actor=actor):
                summary.updated += 1
            else:
                summary.duplicates += 1
            if keep:
                summary.orders.append(Order.objects.select_related("shop").get(pk=existing[no].pk))
    new = [r for r in batch.ready if r.no not in existing]
    if not new:
        return

    # Risk first (it holds orders in review), against the shop's recent history and the chunk itself.
    live = [r for r in new if r.status != Status.CANCELLED]
    candidates = [risk.RiskRow(*r.risk) for r in live]
    history = _history(shop, candidates, [r.row for r in live], ctx.thresholds.window_hours) if live else []
    flags = risk.assess(candidates, history, ctx.thresholds)
    _flag_history({k: v for k, v in flags.items() if isinstance(k, tuple)}, actor)

    # Reserve the paid orders' lines: one conditional UPDATE each (never oversells).
    requests, owners = [], []
    for n, r in enumerate(new):
        ref = reference(shop, r.no)
        for j, sku_id, quantity in r.reserve:
            requests.append(engine.ReserveRequest(sku_id, quantity, ref))
            owners.append((n, j))
    reserved = engine.reserve_many(requests, warehouse_ids=ctx.warehouse_ids, notify=ctx.notify_now) if requests else []
    if not ctx.notify_now:
        ctx.touched.update(r.sku_id for r, rid in zip(requests, reserved, strict=True) if rid is not None)
    by_line = dict(zip(owners, reserved, strict=True))
    short = {n for (n, _j), reservation in by_line.items() if reservation is None}

    # Decide the columns the database decided: risk, stock, review, times.
    col, conv = bulk.columns(Order), functools.partial(bulk.converter, Order)
    risk_json, review_json, stamp = conv("risk_reasons"), conv("review_reasons"), conv("created_at")
    now_value, statuses, reviews = stamp(now), {}, {}
    for n, r in enumerate(new):
        reasons, row = flags.get(r.risk[0]), r.row
        status = r.status
        if reasons:
            row[col["risk_flagged"]], row[col["risk_reasons"]] = True, risk_json(reasons)
        if n in short:
            row[col["out_of_stock"]] = True
        if r.facts is not None:
            review = r.review
            if reasons or n in short:  # the review again, with what the database decided
                review = review_outcome(dataclasses.replace(verification.ReviewFacts(*r.facts), risk=bool(reasons),
                                                            out_of_stock=n in short), ctx)
            if review:
                row[col["review_reasons"]], reviews[n] = review_json(review), review
            else:
                status = Status.VERIFIED
                row[col["verified_at"]] = now_value
        row[col["status"]] = statuses[n] = status
        row[col["created_at"]] = row[col["updated_at"]] = now_value
    ids = bulk.insert_values(Order, [r.row for r in new])

    line_col = bulk.columns(OrderLine)
    lines = []
    for n, (r, order_id) in enumerate(zip(new, ids, strict=True)):
        for j, line in enumerate(r.lines):
            line[line_col["order_id"]] = order_id
            line[line_col["reservation_id"]] = by_line.get((n, j))
            lines.append(line)
    bulk.insert_values(OrderLine, lines)

    status_text = {status: _changes_text({"status": {"before": None, "after": status}})
                   for status in set(statuses.values())}
    texts = []
    for n, r in enumerate(new):
        decided = {}
        if reasons := flags.get(r.risk[0]):
            decided["risk"] = {"before": None, "after": [reason["code"] for reason in reasons]}
        if reviews.get(n):
            decided["review"] = {"before": None, "after": reviews[n]}
        texts.append(_joined(status_text[statuses[n]], r.changes, _changes_text(decided)))
    # Order numbers are at most 64 characters: the audit row's repr as event_values would make it.
    audit.record_prepared_events(audit.event_rows(f"orders.{source}_create", actor=actor, object_type="orders.order",
                                                  objects=zip(ids, (r.no for r in new), texts, strict=True)))
    summary.created += len(new)
    if keep:
        summary.orders.extend(Order.objects.filter(pk__in=ids).select_related("shop"))


def _changes_text(changes: dict) -> str:
    """An audit row's changes as the JSON text the column keeps (its field's encoder). The preparer writes most of
    each new order's changes; the writer joins them with what it decided (`_joined`) instead of dumping every
    order's whole dict again: a tenth of its work."""
    return _dump_changes(changes) if changes else "{}"


# One encoder for all (json.dumps makes one per call); the changes are plain dicts, lists and values, no cycles.
_dump_changes = AuditEvent._meta.get_field("changes").encoder(check_circular=False).encode


def _joined(*objects: str) -> str:
    """JSON object texts joined into one, in order: '{"a": 1}', '{}', '{"b": 2}' -> '{"a": 1, "b": 2}'."""
    return "{" + ", ".join(text[1:-1] for text in objects if text != "{}") + "}"


def _flag_history(flags: dict, actor) -> None:
    """Earlier orders that a new order shows to be part of a cluster: flag them too while a person can still stop
    them (not yet printed)."""
    for (_db, pk, status, already), reasons in flags.items():
        if already or status not in (Status.PAID, Status.VERIFIED, Status.UNPAID):
            continue
        order = Order.objects.select_for_update(of=("self",)).get(pk=pk)
        order.risk_flagged, order.risk_reasons = True, reasons
        if "risk" not in order.review_reasons:
            order.review_reasons = [*order.review_reasons, "risk"]
        if order.status == Status.VERIFIED:
            order.status, order.verified_at = Status.PAID, None
        order.updated_at = clock.now()
        order.save(update_fields=["risk_flagged", "risk_reasons", "review_reasons", "status", "verified_at",
                                  "updated_at"])
        audit.record_event("orders.flag_risk", actor=actor, obj=order,
                           changes={"risk": {"before": None, "after": [r["code"] for r in reasons]}})


def _platform_update(order: SimpleNamespace, rec: OrderRecord, ctx: Context, *, actor) -> bool:
    """Follow the platform when it moved a known order forward; False when nothing changed (a duplicate)."""
    from shopdesk.orders import services

    target = rec.status
    ours = flows.STATUS_RANK[order.status]
    if ours == flows.PLATFORM_RANK["cancelled"] or flows.PLATFORM_RANK[target] <= ours:
        return False
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if target == "cancelled":
        if not flows.change_case(order.status).allowed:
            return False
        services.close_order_from_platform(order, reason=rec.close_reason or rec.platform_status, actor=actor)
    elif target == "paid":
        services.pay_order(actor=actor, order=order, paid_at=rec.paid_at, paid_amount=rec.paid_amount,
                           platform_status=rec.platform_status)
    else:  # shipped or completed on the platform: the parcel left outside the scan station
        services.ship_from_platform(order, carrier=rec.carrier_name, tracking_no=rec.tracking_no,
                                    completed=target == "completed", platform_status=rec.platform_status,
                                    actor=actor)
    return True


# --- the run ---------------------------------------------------------------------------------------------------------


def run(source: Source, shop, import_run: ImportRun, *, actor=None,
        on_progress: Callable[[ImportRun], None] | None = None) -> Summary:
    summary = Summary()
    with bulk.rare_collections():
        return _run(source, shop, import_run, summary, actor=actor, on_progress=on_progress)


def _run(source: Source, shop, import_run: ImportRun, summary: Summary, *, actor,
         on_progress: Callable[[ImportRun], None] | None) -> Summary:
    try:
        total = source.validate(summary)
        ImportRun.objects.filter(pk=import_run.pk).update(total=total)
        import_run.total = total
        if summary.rejected_count:
            _finish(import_run, summary, ImportRun.State.REJECTED)
            return summary
        ctx = Context(shop)
        ctx.notify_now = False
        with bulk.heavy_writes():
            _write_all(source, ctx, summary, import_run, actor=actor, on_progress=on_progress)
    except ImportFileError as exc:
        summary.reject(0, str(exc))
        _finish(import_run, summary, ImportRun.State.REJECTED, error=str(exc))
        return summary
    except Exception as exc:
        # The end of a long message: a preparer's traceback ends with what went wrong.
        _finish(import_run, summary, ImportRun.State.FAILED, error=str(exc)[-500:])
        raise
    finally:
        source.close()
    _finish(import_run, summary, ImportRun.State.DONE)
    return summary


def _write_all(source: Source, ctx: Context, summary: Summary, import_run: ImportRun, *, actor,
               on_progress: Callable[[ImportRun], None] | None) -> None:
    """Pass two: each chunk in its own transaction with the run's progress (a killed import keeps whole chunks)."""
    processed = 0
    # closing(): a failed chunk stops the preparer here, before the caller closes the stage it reads.
    with contextlib.closing(prepared(source, ctx, actor=actor)) as batches:
        for n, batch in enumerate(batches, start=1):
            with transaction.atomic():
                write_batch(batch, ctx, summary, actor=actor, records_at=source.records_at)
                processed += len(batch.ready) + len(batch.known) + batch.duplicates
                if n % NOTIFY_EVERY == 0:
                    engine.notify_changed(ctx.touched)
                    ctx.touched.clear()
                ImportRun.objects.filter(pk=import_run.pk).update(
                    processed=processed, created=summary.created, updated=summary.updated,
                    duplicates=summary.duplicates)
            import_run.processed = processed
            if on_progress is not None:
                on_progress(import_run)
    with transaction.atomic():
        engine.notify_changed(ctx.touched)


def prepared(source: Source, ctx: Context, *, actor, size: int = CHUNK) -> Iterator[Batch]:
    """The chunks of `source` made ready (`prepare`) ahead of the writer, one chunk ahead at most.

    When this process can fork safely (it runs one thread: a command, a worker), the preparer is a forked process,
    so preparing uses the second core while this one writes; otherwise (a web server's import thread) it is a
    thread (`prefetched`). Either way it reads no database: every channel code of the file is mapped first."""
    ctx.map_codes(source.channel_codes())
    for model in (Order, OrderLine, AuditEvent):
        bulk.columns(model)  # the insert plans, made once here rather than in the preparer
    source.mark_known(ctx.shop)

    def ready(places: list[int], records: list[OrderRecord]) -> Batch:
        return prepare(records, ctx, actor=actor, places=places,
                       known=source.known_among([rec.platform_order_no for rec in records]))

    if can_fork():
        # The first chunk is prepared here while the forked preparer makes the next one: the writer would otherwise
        # wait for each of the first chunks in turn.
        head_chunks = source.chunks(HEAD_CHUNK)
        head = next(head_chunks, None)
        head_chunks.close()
        if head is None:  # no orders in the file
            return (batch for batch in ())
        return _forked(source, lambda: (ready(*chunk) for chunk in source.chunks(size, after=head[0][-1])),
                       head=lambda: ready(*head))
    return prefetched(ready(*chunk) for chunk in source.chunks(size, (HEAD_CHUNK,)))


def can_fork() -> bool:
    """Fork only a process that runs one thread: a lock another thread holds at the fork would stay held forever in
    the child. Off with SHOPDESK_IMPORT_FORK=0."""
    return (settings.ORDERS_IMPORT_FORK and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())


class PreparerFailed(RuntimeError):
    """The import's preparing process failed: its traceback is the message."""


class Forked:
    """`function()` run in a forked process (see `can_fork`), its result handed back pickled: `result()` waits for
    it and raises what the function raised (ImportFileError as such, anything else as PreparerFailed with the
    child's traceback); `stop()` ends the process if it is still running."""

    def __init__(self, function: Callable[[], object]):
        fork = multiprocessing.get_context("fork")
        self._receive, send = fork.Pipe(duplex=False)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()  # or the child would write out what is still buffered a second time

        def run() -> None:
            self._receive.close()  # the parent's end (see `_prepare_in_child`)
            try:
                outcome = ("ok", function())
            except ImportFileError as exc:
                outcome = ("file", str(exc))
            except BaseException:  # noqa: BLE001 - handed to the parent
                outcome = ("error", traceback.format_exc())
            send.send(outcome)
            send.close()

        self._child = fork.Process(target=run, name="shopdesk-import-helper", daemon=True)
        self._child.start()
        send.close()

    def result(self):
        try:
            kind, value = self._receive.recv()
        except EOFError:
            self._child.join()
            raise PreparerFailed(f"an import helper process ended early (exit code {self._child.exitcode})") from None
        if kind == "file":
            raise ImportFileError(value)
        if kind == "error":
            raise PreparerFailed(value)
        return value

    def stop(self) -> None:
        self._receive.close()
        if self._child.is_alive():
            self._child.kill()
        self._child.join()


def _forked(source: Source, batches: Callable[[], Iterator[Batch]],
            head: Callable[[], Batch] | None = None) -> Iterator[Batch]:
    """The batches of `batches()`, made in a forked process; `head()`'s batch first, made here meanwhile."""
    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the child would write out what is still buffered a second time
    child = fork.Process(target=_prepare_in_child, args=(source, batches, send, receive),
                         name="shopdesk-import-preparer", daemon=True)
    child.start()
    send.close()
    try:
        if head is not None:
            with connection.execute_wrapper(_no_queries):  # as in the preparer
                batch = head()
            yield batch
        while True:
            try:
                message = receive.recv_bytes()
            except EOFError:
                child.join()
                raise PreparerFailed(f"the import's preparing process ended early (exit code {child.exitcode})") \
                    from None
            kind, payload = message[:1], message[1:]
            if kind == b"d":
                return
            if kind == b"e":
                raise PreparerFailed(payload.decode())
            yield _unpack(kind, payload)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


def _no_queries(*args, **kwargs):
    raise PreparerFailed("the import's preparer must not query the database")


def _prepare_in_child(source: Source, batches: Callable[[], Iterator[Batch]], send, parents_end) -> None:
    """In the forked preparer: read the stage through a connection of its own, never the database (its connection
    belongs to the parent), and hand each batch over; an error goes over as its traceback."""

    # The pipe's reading end is the parent's alone: when the parent dies (kill -9), the next send fails and this
    # process ends, instead of waiting forever on a pipe it holds open itself.
    parents_end.close()
    try:
        source.reopen()
        with connection.execute_wrapper(_no_queries):
            for batch in batches():
                send.send_bytes(_pack(batch))
        send.send_bytes(b"d")
    except BaseException:  # noqa: BLE001 - handed to the writer
        send.send_bytes(b"e" + traceback.format_exc().encode())
    finally:
        send.close()


_PAID_AMOUNT_FACT = [f.name for f in dataclasses.fields(verification.ReviewFacts)].index("paid_amount")


def _pack(batch: Batch) -> bytes:
    """A batch for the pipe, as plain tuples. marshal rather than pickle: on SQLite the rows hold only strings,
    numbers and None, which marshal writes and reads several times faster (it would be most of the writer's work);
    the risk and review inputs' amounts go as text (their times are POSIX seconds already). Rows holding other values
    (the PostgreSQL driver's) go pickled."""
    at = _PAID_AMOUNT_FACT
    ready = []
    for r in batch.ready:
        no, place, status, row, (key, buyer, mobile, address, ordered, paid, amount, penny), facts, *rest = r
        ready.append((no, place, status, row, (key, buyer, mobile, address, ordered, paid, str(amount), penny),
                      None if facts is None else (*facts[:at], str(facts[at]), *facts[at + 1:]), *rest))
    message = (ready, batch.duplicates, batch.known)
    try:
        return b"m" + marshal.dumps(message)
    except ValueError:  # a value marshal does not know
        return b"p" + pickle.dumps(message, pickle.HIGHEST_PROTOCOL)


def _unpack(kind: bytes, payload: bytes) -> Batch:
    # Only ever what our own forked child wrote.
    ready, duplicates, known = marshal.loads(payload) if kind == b"m" else pickle.loads(payload)  # noqa: S301, S302
    at, made = _PAID_AMOUNT_FACT, []
    for no, place, status, row, (key, buyer, mobile, address, ordered, paid, amount, penny), facts, *rest in ready:
        made.append(Ready(no, place, status, row, (key, buyer, mobile, address, ordered, paid, Decimal(amount), penny),
                          None if facts is None else (*facts[:at], Decimal(facts[at]), *facts[at + 1:]), *rest))
    return Batch(made, duplicates, None, [tuple(k) for k in known])


def _finish(import_run: ImportRun, summary: Summary, state: str, error: str = "") -> None:
    with transaction.atomic():
        ImportRun.objects.filter(pk=import_run.pk).update(
            state=state, created=summary.created, updated=summary.updated, duplicates=summary.duplicates,
            rejected=summary.rejected, rejected_count=summary.rejected_count, error=error[:500],
            finished_at=clock.now(), processed=import_run.processed)
        import_run.refresh_from_db()
        audit.record_event("orders.import", actor=import_run.started_by, obj=import_run, reason=error,
                           changes={"state": {"before": "running", "after": state},
                                    "result": {"before": None, "after": {
                                        "created": summary.created, "updated": summary.updated,
                                        "duplicates": summary.duplicates, "rejected": summary.rejected_count}}})
