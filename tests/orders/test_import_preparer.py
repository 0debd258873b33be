"""The import's preparer (orders.importing.prepared): a forked process beside the writer, or a thread; how its
batches cross the pipe; how its failures reach the writer; the chunk sizes it reads."""

from __future__ import annotations

import csv
import multiprocessing
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from shopdesk.core.models import AuditEvent
from shopdesk.orders import importing, services
from shopdesk.orders.models import ImportRun, Order

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taobao"
ORDERS, ITEMS = SAMPLE / "ExportOrderList.csv", SAMPLE / "ExportOrderDetailList.csv"

pytestmark = pytest.mark.django_db


@pytest.fixture
def forking(monkeypatch):
    """Fork the preparer even where the test process runs other threads (a live server of the browser tests); the
    writer prepares the first 10 orders of the sample itself, the preparer the other 30."""
    monkeypatch.setattr(importing, "can_fork", lambda: True)
    monkeypatch.setattr(importing, "HEAD_CHUNK", 10)


def _in_the_preparer(function):
    """`function`, run as itself in this process (the writer's first chunk) and broken in a forked preparer."""
    writer = os.getpid()

    def maybe(*args, **kwargs):
        if os.getpid() == writer:
            return function(*args, **kwargs)
        raise ValueError("stage unreadable")

    return maybe


def _staged(shop):
    source = importing.Source("taobao", ORDERS, ITEMS)
    source.validate(importing.Summary())
    ctx = importing.Context(shop)
    ctx.map_codes(source.channel_codes())
    return source, ctx


def test_the_forked_preparer_imports_the_sample(shop, forking):
    summary = services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert (summary.created, summary.rejected) == (40, [])
    assert ImportRun.objects.get().state == "done"
    assert AuditEvent.objects.filter(action="orders.import_create").count() == 40
    assert not multiprocessing.active_children()


def test_a_failing_preparer_fails_the_run_with_its_traceback_and_leaves_no_process(shop, forking, monkeypatch):
    prepare = importing.prepare
    monkeypatch.setattr(importing, "prepare", _in_the_preparer(prepare))
    with pytest.raises(importing.PreparerFailed, match="stage unreadable"):
        services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    run = ImportRun.objects.get()
    assert run.state == "failed" and "stage unreadable" in run.error
    assert Order.objects.count() == 10  # the writer's own first chunk, committed: a run again imports the rest
    assert not multiprocessing.active_children()
    monkeypatch.setattr(importing, "prepare", prepare)
    services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert Order.objects.count() == 40


def test_a_failure_in_the_writers_first_chunk_stops_the_forked_preparer(shop, forking, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("first chunk unreadable")

    monkeypatch.setattr(importing, "prepare", broken)
    with pytest.raises(ValueError, match="first chunk unreadable"):
        services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert ImportRun.objects.get().state == "failed" and not Order.objects.exists()
    assert not multiprocessing.active_children()


def test_the_preparer_may_not_query_the_database(shop, forking, monkeypatch):
    prepare = importing.prepare

    def querying(records, ctx, **kwargs):
        Order.objects.count()
        return prepare(records, ctx, **kwargs)

    monkeypatch.setattr(importing, "prepare", querying)
    with pytest.raises(importing.PreparerFailed, match="must not query the database"):
        services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert not Order.objects.exists()


def test_a_writer_that_fails_stops_the_forked_preparer(shop, forking, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "write_batch", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert not multiprocessing.active_children()


def _comparable(value):
    """Values as == compares them (psycopg's Jsonb wrapper has no equality of its own)."""
    if isinstance(value, (list, tuple)):
        return [_comparable(v) for v in value]
    return ("json", value.obj) if type(value).__name__ == "Jsonb" else value


def test_a_batch_crosses_the_pipe_unchanged(shop):
    source, ctx = _staged(shop)
    try:
        places, records = next(source.chunks())
        batch = importing.prepare(records, ctx, places=places)
    finally:
        source.close()
    packed = importing._pack(batch)
    # SQLite rows hold only plain strings, numbers and None (marshal); PostgreSQL's hold the driver's datetimes
    assert packed[:1] == (b"m" if connection.vendor == "sqlite" else b"p")
    back = importing._unpack(packed[:1], packed[1:])
    assert back.duplicates == batch.duplicates and _comparable(back.ready) == _comparable(batch.ready)
    assert any(r.facts is not None for r in back.ready) and isinstance(back.ready[0].risk[6], Decimal)
    # A value marshal does not know (a driver's own object) goes pickled instead.
    batch.ready[0].row[0] = Decimal("1.5")
    packed = importing._pack(batch)
    assert packed[:1] == b"p"
    assert _comparable(importing._unpack(packed[:1], packed[1:]).ready) == _comparable(batch.ready)


def test_chunks_start_small_then_take_the_full_size(shop):
    source, _ctx = _staged(shop)
    try:
        sizes = [len(records) for _places, records in source.chunks(15, first=(5, 10, 30))]
        places = [p for chunk_places, _records in source.chunks(15) for p in chunk_places]
        again = source.records_at(places[3:6])
    finally:
        source.close()
    assert sizes == [5, 10, 15, 10]
    assert [r.line_no for r in again] == sorted(r.line_no for r in again) and all(r.lines for r in again)


def _rewritten(src: Path, dst: Path, change) -> Path:
    with src.open(encoding="gb18030", newline="") as fh:
        rows = list(csv.reader(fh))
    with dst.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows([rows[0], *[change(list(r)) for r in rows[1:]]])
    return dst


@pytest.mark.parametrize("fork", [True, False], ids=["item-file-forked", "item-file-in-turn"])
def test_the_item_file_read_beside_the_order_file_reports_the_same_problems(shop, tmp_path, english, monkeypatch,
                                                                           fork):
    """Pass one reads the item file in a forked process while it reads the order file (when it may fork): the
    problems are the same, in the same order (the item file's first), and nothing is written."""
    monkeypatch.setattr(importing, "can_fork", lambda: fork)

    def bad_item(row):
        if "555200494606748983" in row[0]:
            row[3] = "两件"  # 购买数量
        return row

    def bad_order(row):
        if "583234416758609302" in row[0]:
            row[7] = "神秘状态"
        return row

    items = _rewritten(ITEMS, tmp_path / "items.csv", bad_item)
    orders = _rewritten(ORDERS, tmp_path / "orders.csv", bad_order)
    summary = services.import_orders(actor=None, shop=shop, path=orders, items_path=items)
    assert summary.created == 0 and not Order.objects.exists()
    item_problem, order_problem, no_items = summary.rejected
    assert item_problem["reason"].startswith("items.csv: ") and "两件" in item_problem["reason"]
    assert order_problem["line"] == 3 and "神秘状态" in order_problem["reason"]
    assert no_items == {"line": 2, "reason": "Order 555200494606748983 has no items in items.csv."}
    assert not multiprocessing.active_children()


def test_a_missing_column_of_the_item_file_read_beside_is_reported(shop, tmp_path, english, forking):
    with ITEMS.open(encoding="gb18030", newline="") as fh:
        rows = list(csv.reader(fh))
    drop = rows[0].index("商家编码")
    items = tmp_path / "items.csv"
    with items.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows([r[:drop] + r[drop + 1:] for r in rows])
    summary = services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=items)
    assert summary.created == 0 and "商家编码" in summary.rejected[0]["reason"]
    assert ImportRun.objects.get().state == "rejected"


def test_orders_the_shop_already_has_are_not_prepared_again(shop, monkeypatch):
    """A file imported again: the orders found in the shop before the import are compared with the file, not made
    ready a second time (the preparer's work would be thrown away)."""
    monkeypatch.setattr(importing, "can_fork", lambda: False)
    prepared_numbers = []
    prepare = importing.prepare

    def counting(records, ctx, **kwargs):
        batch = prepare(records, ctx, **kwargs)
        prepared_numbers.append(len(batch.ready))
        return batch

    monkeypatch.setattr(importing, "prepare", counting)
    services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert sum(prepared_numbers) == 40
    prepared_numbers.clear()
    again = services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert again.as_dict() == {"created": 0, "updated": 0, "duplicates": 40, "rejected": []}
    assert sum(prepared_numbers) == 0 and ImportRun.objects.latest("pk").processed == 40


def test_an_imported_orders_audit_row_holds_all_its_changes_masked(shop, forking):
    """The preparer writes most of each audit row's changes as JSON text; the writer joins what it decided
    (status, review, risk) to it."""
    services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    events = {e.object_id: e.changes for e in AuditEvent.objects.filter(action="orders.import_create")}
    orders = list(Order.objects.all())
    assert len(events) == len(orders) == 40
    for order in orders:
        changes = events[str(order.pk)]
        assert {"status", "buyer_platform_id", "mobile", "paid_amount", "carrier"} <= set(changes)
        assert changes["status"] == {"before": None, "after": order.status}
        assert order.mobile[-4:] in changes["mobile"]["after"] and order.mobile not in changes["mobile"]["after"]
        assert changes.get("review", {}).get("after", []) == order.review_reasons
        assert ("risk" in changes) == order.risk_flagged
    assert any(order.review_reasons for order in orders)


def test_joined_json_objects():
    assert importing._joined('{"a": 1}', "{}", '{"b": [2]}') == '{"a": 1, "b": [2]}'
    assert importing._joined("{}", "{}") == "{}"


@pytest.mark.parametrize("fork", [True, False])
def test_a_pair_of_headers_alone_imports_nothing_and_finishes(shop, monkeypatch, tmp_path, fork):
    monkeypatch.setattr(importing, "can_fork", lambda: fork)
    pair = []
    for path in (ORDERS, ITEMS):
        head = path.read_bytes().splitlines(keepends=True)[0]
        (tmp_path / path.name).write_bytes(head)
        pair.append(tmp_path / path.name)
    summary = services.import_orders(actor=None, shop=shop, path=pair[0], items_path=pair[1])
    assert (summary.created, summary.duplicates, summary.rejected) == (0, 0, [])
    assert ImportRun.objects.get().state == "done" and not Order.objects.exists()
    assert not multiprocessing.active_children()
