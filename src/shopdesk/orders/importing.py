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
import os
import queue
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

from django.db import transaction
from django.utils.translation import gettext

from shopdesk.catalog.selectors import skus_for_channel_codes
from shopdesk.channels.importers import ImportFileError, LineRecord, OrderRecord, RowError
from shopdesk.channels.importers.textfile import CHINA
from shopdesk.core import audit, bulk, clock
from shopdesk.inventory import engine
from shopdesk.orders import flows, risk, verification
from shopdesk.orders.models import ImportRun, Order, OrderLine, ShopOrderRules, Status, UnreachableArea

CHUNK = 2000  # orders per transaction: bigger chunks rewrite fewer index pages per order (random keys)
HISTORY_BATCH = 500
NOTIFY_EVERY = 20  # chunks between two listing syncs (auto delist at zero stock) during an import
MAX_REPORTED = 1000  # rejected rows kept in the summary (all are counted)
_PLATFORM_TO_STATUS = {"unpaid": Status.UNPAID, "paid": Status.PAID, "shipped": Status.SHIPPED,
                       "completed": Status.COMPLETED, "cancelled": Status.CANCELLED}
AUDIT_FIELDS = ("status", "buyer_platform_id", "mobile", "paid_amount", "carrier")


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
        self._stage = sqlite3.connect(os.path.join(self._stage_dir.name, "stage.sqlite3"), check_same_thread=False)
        self._stage.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            "CREATE TABLE i (no TEXT, line INTEGER, code TEXT, title TEXT, props TEXT, qty INTEGER, price TEXT);"
            f"CREATE TABLE o ({_STAGE_COLUMNS});")
        return self._stage

    def validate(self, summary: Summary) -> int:
        """Pass one: every problem into `summary`, every valid record into the stage; returns the number of orders."""
        if self.fmt == "taobao" and self.items_path is None:
            raise ImportFileError(gettext("A Taobao/Tmall import needs the item file (ExportOrderDetailList.csv) "
                                          "beside the order file."))
        stage = self._open_stage()
        if self.fmt == "taobao":
            self._stage_items(summary)
        total, rejected_before, batch, items = 0, summary.rejected_count, [], []
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

    def _stage_items(self, summary: Summary) -> None:
        """The Taobao item file into the stage, under each item's order number."""
        from shopdesk.channels.importers import taobao

        batch = []
        for item in taobao.iter_items(self.items_path):
            if isinstance(item, RowError):
                summary.reject(item.line_no, f"{self.items_path.name}: {item.reason}")
                continue
            no, ln = item
            batch.append(_item_row(no, ln))
            if len(batch) >= 5000:
                self._stage.executemany(_INSERT_ITEM, batch)
                batch.clear()
        self._stage.executemany(_INSERT_ITEM, batch)

    def chunks(self, size: int = CHUNK) -> Iterator[list[OrderRecord]]:
        """Pass two: the valid orders, with their lines, `size` at a time, in file order."""
        rows = self._stage.execute(f"SELECT {_STAGE_COLUMNS} FROM o ORDER BY rowid")  # noqa: S608 (field names only)
        while batch := rows.fetchmany(size):
            yield self._with_items([_staged_record(row) for row in batch])

    def _with_items(self, chunk: list[OrderRecord]) -> list[OrderRecord]:
        taobao = self.fmt == "taobao"
        by_key = {rec.platform_order_no if taobao else str(rec.line_no): rec for rec in chunk}
        marks = ",".join("?" * len(by_key))
        sql = f"SELECT no, line, code, title, props, qty, price FROM i WHERE no IN ({marks}) ORDER BY no, line"  # noqa: S608
        for key, line, code, title, props, qty, price in self._stage.execute(sql, list(by_key)):
            by_key[key].lines.append(LineRecord(line, code, title, props, qty, Decimal(price)))
        return chunk


_INSERT_ITEM = "INSERT INTO i VALUES (?, ?, ?, ?, ?, ?, ?)"


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
        self.skus: dict[str, object] = {}
        # Imports tell the listings about changed stock every few chunks, not after each one (see `run`).
        self.notify_now = True
        self.touched: set[int] = set()

    def map_codes(self, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c and c not in self.skus}
        if missing:
            found = skus_for_channel_codes(self.shop, missing)
            for code in missing:
                self.skus[code] = found.get(code)


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
                        order.ordered_at, order.paid_at, order.paid_amount, penny_item)


def _history(shop, orders: list, window_hours: int) -> list[risk.RiskRow]:
    """Recent orders of the shop that share a phone, buyer or street address with `orders`.

    Three lookups, each on its own indexed column and the time window, then the shop checked here: one combined
    query makes the databases scan the whole window (on a 双11 file, the whole table) for every chunk."""
    times = [o.ordered_at for o in orders]
    window = timedelta(hours=window_hours)
    start, end = min(times) - window, max(times) + window
    fields = ("id", "shop_id", "buyer_platform_id", "mobile", "province", "city", "district", "address_detail",
              "ordered_at", "paid_at", "paid_amount", "status", "risk_flagged")
    found = {}
    for column in ("mobile", "buyer_platform_id", "address_detail"):
        values = list({getattr(o, column) for o in orders if getattr(o, column)})
        # At most HISTORY_BATCH values a query: with much longer IN lists SQLite's planner prefers the time index and
        # scans the whole window (on a 双11 file, every order imported so far) for every chunk.
        for i in range(0, len(values), HISTORY_BATCH):
            lookup = Order.objects.filter(**{f"{column}__in": bulk.padded(values[i:i + HISTORY_BATCH])},
                                          ordered_at__gte=start, ordered_at__lte=end).order_by()
            for row in lookup.values_list(*fields):
                found[row[0]] = row
    rows = []
    for (pk, shop_id, buyer, mobile, province, city, district, detail, ordered_at, paid_at, paid, status,
         flagged) in found.values():
        if shop_id != shop.pk or status == Status.CANCELLED:
            continue
        rows.append(risk.RiskRow(("db", pk, status, flagged), buyer, mobile,
                                 risk.address_key(province, city, district, detail), ordered_at, paid_at, paid))
    return rows


def apply_review(order: Order, ctx: Context, *, now) -> None:
    """Set the exception columns, the carrier and the review reasons of a paid order; verify it if nothing holds it."""
    order.address_incomplete = not verification.address_complete(order.province, order.city, order.district,
                                                                  order.address_detail)
    carrier, reaches = verification.choose_carrier(
        chosen=order.chosen_carrier, default=ctx.rules.default_carrier, province=order.province, city=order.city,
        district=order.district, coverage=ctx.coverage)
    if order.status in (Status.UNPAID, Status.PAID, Status.VERIFIED) and not order.tracking_no:
        order.carrier = carrier
    order.unreachable = not reaches
    facts = verification.ReviewFacts(
        address_complete=not order.address_incomplete, phone_ok=verification.phone_ok(order.mobile, order.landline),
        reaches=reaches, buyer_message=order.buyer_message, seller_remark=order.seller_remark,
        risk=order.risk_flagged, unmapped=order.has_unmapped, out_of_stock=order.out_of_stock,
        paid_amount=order.paid_amount, is_cod=order.is_cod, on_hold=order.on_hold)
    order.review_reasons = verification.review_reasons(facts, amount_above=ctx.rules.review_amount_above,
                                                       review_cod=ctx.rules.review_cod)
    if order.status == Status.PAID and not order.review_reasons:
        order.status = Status.VERIFIED
        order.verified_at = now
        order.verified_by_id = None


def write_chunk(records: list[OrderRecord], ctx: Context, summary: Summary, *, actor=None, source: str = "import",
                keep: bool = False) -> None:
    """Write one chunk of valid records in the caller's transaction."""
    shop, now = ctx.shop, clock.now()
    seen: dict[str, OrderRecord] = {}
    for rec in records:
        if rec.platform_order_no in seen:
            summary.duplicates += 1  # the same order twice in one file
        else:
            seen[rec.platform_order_no] = rec
    # Known orders: their id and status decide (an update locks and reads the whole order itself).
    known = Order.objects.filter(shop=shop, platform_order_no__in=bulk.padded(list(seen)))
    existing = {no: SimpleNamespace(pk=pk, status=status)
                for no, pk, status in known.values_list("platform_order_no", "pk", "status")}
    new = [rec for no, rec in seen.items() if no not in existing]
    for no, order in existing.items():
        if _platform_update(order, seen[no], ctx, actor=actor):
            summary.updated += 1
        else:
            summary.duplicates += 1
        if keep:
            summary.orders.append(Order.objects.select_related("shop").get(pk=order.pk))
    if not new:
        return
    ctx.map_codes(ln.channel_sku_code for rec in new for ln in rec.lines)
    orders = [_order_from(rec, shop, now) for rec in new]
    for order in orders:
        order.source = source

    # Risk first (it holds orders in review), against the shop's recent history and the chunk itself.
    pennies = []
    for rec in new:
        penny = ""
        for ln in rec.lines:
            sku = ctx.skus.get(ln.channel_sku_code)
            if risk.is_penny_non_gift(ln.unit_price, ln.title, bool(sku and sku.product.is_gift)):
                penny = ln.title or ln.channel_sku_code
                break
        pennies.append(penny)
    live = [i for i, o in enumerate(orders) if o.status != Status.CANCELLED]
    history = _history(shop, [orders[i] for i in live], ctx.thresholds.window_hours) if live else []
    flags = risk.assess([risk_row(i, orders[i], pennies[i]) for i in live], history, ctx.thresholds)
    for i in live:
        if i in flags:
            orders[i].risk_flagged, orders[i].risk_reasons = True, flags[i]
    _flag_history({k: v for k, v in flags.items() if isinstance(k, tuple)}, actor)
    for order in orders:
        if order.status != Status.UNPAID and order.paid_at is None:
            order.paid_at = now  # entered without a payment time (API, by hand): paid when it was entered

    # Reserve the paid orders' lines: one conditional UPDATE each (never oversells).
    requests, owners = [], []
    for i, (rec, order) in enumerate(zip(new, orders, strict=True)):
        order.has_unmapped = any(ctx.skus.get(ln.channel_sku_code) is None for ln in rec.lines) or not rec.lines
        if order.status in flows.RESERVED_STATES:
            for j, ln in enumerate(rec.lines):
                sku = ctx.skus.get(ln.channel_sku_code)
                if sku is not None:
                    ref = reference(shop, order.platform_order_no)
                    requests.append(engine.ReserveRequest(sku.pk, ln.quantity, ref))
                    owners.append((i, j))
    reserved = engine.reserve_many(requests, warehouse_ids=ctx.warehouse_ids, notify=ctx.notify_now) if requests else []
    if not ctx.notify_now:
        ctx.touched.update(r.sku_id for r, rid in zip(requests, reserved, strict=True) if rid is not None)
    by_line = {}
    for (i, j), reservation in zip(owners, reserved, strict=True):
        by_line[(i, j)] = reservation
        if reservation is None:
            orders[i].out_of_stock = True
    for order in orders:
        if order.status == Status.PAID:
            apply_review(order, ctx, now=now)
    for order, new_id in zip(orders, bulk.insert_rows(Order, [vars(o) for o in orders]), strict=True):
        order.pk = new_id

    lines = []
    for i, (rec, order) in enumerate(zip(new, orders, strict=True)):
        for j, ln in enumerate(rec.lines):
            sku = ctx.skus.get(ln.channel_sku_code)
            lines.append({"order_id": order.pk, "sku_id": sku.pk if sku is not None else None,
                          "channel_sku_code": ln.channel_sku_code[:80], "title": ln.title[:200],
                          "properties": ln.properties[:200], "quantity": ln.quantity, "unit_price": ln.unit_price,
                          "reservation_id": by_line.get((i, j))})
    bulk.insert_rows(OrderLine, lines)

    events = []
    for order in orders:
        changes = {f: {"before": None, "after": audit._plain(getattr(order, f))} for f in AUDIT_FIELDS}
        if order.risk_flagged:
            changes["risk"] = {"before": None, "after": [r["code"] for r in order.risk_reasons]}
        if order.review_reasons:
            changes["review"] = {"before": None, "after": order.review_reasons}
        events.append(audit.event_values(f"orders.{source}_create", actor=actor, changes=changes,
                                         obj_repr=order.platform_order_no, object_type="orders.order",
                                         object_id=order.pk))
    audit.record_events(events)
    summary.created += len(orders)
    if keep:
        summary.orders.extend(Order.objects.filter(pk__in=[o.pk for o in orders]).select_related("shop"))


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
        _finish(import_run, summary, ImportRun.State.FAILED, error=str(exc)[:500])
        raise
    finally:
        source.close()
    _finish(import_run, summary, ImportRun.State.DONE)
    return summary


def _write_all(source: Source, ctx: Context, summary: Summary, import_run: ImportRun, *, actor,
               on_progress: Callable[[ImportRun], None] | None) -> None:
    """Pass two: each chunk in its own transaction with the run's progress (a killed import keeps whole chunks)."""
    processed = 0
    # closing(): a failed chunk stops the reader thread here, before the caller closes the stage it reads.
    with contextlib.closing(prefetched(source.chunks())) as chunks:
        for n, chunk in enumerate(chunks, start=1):
            with transaction.atomic():
                write_chunk(chunk, ctx, summary, actor=actor)
                processed += len(chunk)
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
