"""Order import end to end: the real Taobao sample pair, idempotency, platform updates, all-or-nothing validation,
the command's JSON summary, and an import killed half-way (kill -9) that ends right when run again."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from shopdesk.catalog.models import SKU, Listing, Product
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine
from shopdesk.inventory.models import Reservation
from shopdesk.orders import services
from shopdesk.orders.models import ImportRun, Order, Status

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taobao"
ORDERS, ITEMS = SAMPLE / "ExportOrderList.csv", SAMPLE / "ExportOrderDetailList.csv"
SAMPLE_CODES = ["SS-BRIEF-002-1", "SS-BRIEF-002-2", "SS-PJ-020-1", "SS-PJ-020-2", "SS-SOCK-030-1", "SS-BAG-010-1",
                "SS-BAG-010-2", "SS-BRA-001-1", "SS-BRA-001-2", "SS-BRA-001-3"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def sample_listings(shop, warehouse):
    """The sample's SKU codes listed in the shop with 100 units each (gift socks are gifts)."""
    location = warehouse.locations.get()
    for i, code in enumerate(SAMPLE_CODES):
        product = Product.objects.create(item_number=f"SS-{i}", name=code, is_gift=code.startswith("SS-SOCK"))
        sku = SKU.objects.create(product=product, code=code, barcode=f"69{i:011d}")
        Listing.objects.create(shop=shop, sku=sku, channel_sku_code=code)
        engine.receive(sku=sku, location=location, quantity=100, reference="INIT")


def sample_codes_in_items() -> set[str]:
    with ITEMS.open(encoding="gb18030", newline="") as fh:
        return {row["商家编码"] for row in csv.DictReader(fh)}


def test_sample_codes_are_known():
    assert sample_codes_in_items() <= set(SAMPLE_CODES)


def test_taobao_sample_pair_imports_every_order_once(shop, sample_listings):
    summary = services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert summary.as_dict() == {"created": 40, "updated": 0, "duplicates": 0, "rejected": []}
    statuses = Counter(Order.objects.values_list("platform_status", flat=True))
    assert sum(statuses.values()) == 40
    first = Order.objects.get(platform_order_no="555200494606748983")
    assert first.buyer_platform_id == "tb725763863" and first.mobile == "13830166131"
    assert (first.province, first.city, first.district) == ("浙江省", "杭州市", "西湖区")
    assert first.status == Status.PAID and first.review_reasons == ["buyer_message"]
    assert first.lines.get().sku.code == "SS-BRIEF-002-1" and first.lines.get().reservation.state == "active"
    # Only paid orders hold stock: one active reservation per line of the paid orders.
    paid = Order.objects.filter(status__in=[Status.PAID, Status.VERIFIED])
    assert Reservation.objects.filter(state="active").count() == sum(o.lines.count() for o in paid)
    assert not Order.objects.filter(status=Status.UNPAID, lines__reservation__isnull=False).exists()
    shipped = Order.objects.get(platform_order_no="621323347317459794")
    assert shipped.status == Status.COMPLETED and shipped.tracking_no == "716251881454"
    # 0.01 non-gift lines are flagged; the gift socks are not.
    assert not Order.objects.get(platform_order_no="762265446085718847").risk_flagged
    assert engine.verify_ledger() == []
    run = ImportRun.objects.get()
    assert run.state == "done" and run.total == 40 and run.processed == 40
    assert AuditEvent.objects.filter(action="orders.import_create").count() == 40


def test_importing_the_same_pair_again_creates_nothing(shop, sample_listings):
    services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    reservations = Reservation.objects.count()
    again = services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    assert again.as_dict() == {"created": 0, "updated": 0, "duplicates": 40, "rejected": []}
    assert Order.objects.count() == 40 and Reservation.objects.count() == reservations


def rewrite(src: Path, dst: Path, change) -> Path:
    """Copy a GBK export applying change(row) to each data row (a list of cells)."""
    with src.open(encoding="gb18030", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = [rows[0], *[change(list(r)) for r in rows[1:]]]
    with dst.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return dst



def test_a_chunk_that_fails_marks_the_run_failed_and_leaves_no_reader_behind(shop, sample_listings, monkeypatch):
    import threading

    from shopdesk.orders import importing

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "write_batch", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    run = ImportRun.objects.get()
    assert run.state == "failed" and "disk full" in run.error
    assert not Order.objects.exists() and not Reservation.objects.filter(state="active").exists()
    assert not any(t.name == "shopdesk-import-reader" for t in threading.enumerate())

def test_platform_moves_orders_forward_and_the_import_follows(shop, sample_listings, tmp_path):
    services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    unpaid_no, paid_no = "646598163681295745", "583234416758609302"

    def change(row):
        if unpaid_no in row[0]:
            row[7], row[15] = "买家已付款，等待卖家发货", "2026-11-11 18:30:00"
        if paid_no in row[0]:
            row[7], row[16], row[17] = "交易关闭", "", ""
        return row

    summary = services.import_orders(actor=None, shop=shop, path=rewrite(ORDERS, tmp_path / "o.csv", change),
                                     items_path=ITEMS)
    assert (summary.created, summary.updated, summary.duplicates) == (0, 2, 38)
    paid = Order.objects.get(platform_order_no=unpaid_no)
    assert paid.status in (Status.PAID, Status.VERIFIED) and paid.lines.filter(reservation__state="active").count() == 2
    closed = Order.objects.get(platform_order_no=paid_no)
    assert closed.status == Status.CANCELLED and not closed.lines.filter(reservation__state="active").exists()
    assert closed.tasks.filter(kind="refund").exists()
    assert engine.verify_ledger() == []


def test_a_bad_row_rejects_the_whole_file_with_its_line(shop, sample_listings, tmp_path, english):
    def change(row):
        if "583234416758609302" in row[0]:
            row[7] = "神秘状态"
        return row

    summary = services.import_orders(actor=None, shop=shop, path=rewrite(ORDERS, tmp_path / "bad.csv", change),
                                     items_path=ITEMS)
    assert summary.created == 0 and Order.objects.count() == 0
    assert [r["line"] for r in summary.rejected] == [3] and "神秘状态" in summary.rejected[0]["reason"]
    assert ImportRun.objects.get().state == "rejected"


def test_an_order_without_items_is_rejected(shop, sample_listings, tmp_path, english):
    with ITEMS.open(encoding="gb18030", newline="") as fh:
        rows = [r for r in csv.reader(fh) if "555200494606748983" not in r[0]]
    items = tmp_path / "items.csv"
    with items.open("w", encoding="gbk", newline="") as fh:
        csv.writer(fh).writerows(rows)
    summary = services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=items)
    assert summary.rejected == [{"line": 2, "reason": "Order 555200494606748983 has no items in items.csv."}]
    assert Order.objects.count() == 0


def test_unmapped_codes_are_kept_and_flagged(shop, warehouse):
    services.import_orders(actor=None, shop=shop, path=ORDERS, items_path=ITEMS)
    order = Order.objects.get(platform_order_no="555200494606748983")
    assert order.has_unmapped and order.lines.get().sku is None
    assert order.lines.get().channel_sku_code == "SS-BRIEF-002-1"


def test_taobao_needs_its_item_file(shop, english):
    summary = services.import_orders(actor=None, shop=shop, path=ORDERS, fmt="taobao")
    assert summary.created == 0 and "ExportOrderDetailList.csv" in summary.rejected[0]["reason"]


# --- the command ---------------------------------------------------------------------------------------------------


def _shopdesk(*args, data_dir, check=True, **kw):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPDESK_", "DJANGO_")) and k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "-m", "shopdesk", *args, "--data-dir", str(data_dir)],
                            capture_output=True, text=True, env=env, timeout=300, **kw)
    if check:
        assert result.returncode in (0, 1), result.stderr
    return result


SETUP = """
import django, os
os.environ["DJANGO_SETTINGS_MODULE"] = "shopdesk.settings"
django.setup()
from shopdesk.catalog.models import SKU, Listing, Product
from shopdesk.channels.services import add_shop
from shopdesk.inventory import engine, services as inv
shop = add_shop(actor=None, code="tb", platform="taobao", name="淘宝店")
wh = inv.create_warehouse(actor=None, code="HZ", name="杭州仓", priority=1)
zone = inv.create_zone(actor=None, warehouse=wh, code="A", name="A")
inv.create_locations(actor=None, warehouse=wh, zone=zone, codes=["A-1"])
for code in CODES:
    p = Product.objects.create(item_number=code, name=code)
    sku = SKU.objects.create(product=p, code=code, barcode=None)
    Listing.objects.create(shop=shop, sku=sku, channel_sku_code=code)
    engine.receive(sku=sku, location=wh.locations.get(), quantity=STOCK, reference="INIT")
"""


def _prepare(data_dir: Path, codes, stock=100_000):
    _shopdesk("migrate", data_dir=data_dir)
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "SHOPDESK_DATA_DIR": str(data_dir)}
    subprocess.run([sys.executable, "-c", f"CODES={list(codes)!r}\nSTOCK={stock}\n{SETUP}"], check=True, env=env,
                   timeout=120)


@pytest.mark.slow
def test_command_prints_one_json_object(tmp_path):
    _prepare(tmp_path, SAMPLE_CODES)
    result = _shopdesk("import-orders", str(ORDERS), "--items", str(ITEMS), "--shop", "tb", "--json",
                       data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"created": 40, "updated": 0, "duplicates": 0, "rejected": []}
    again = _shopdesk("import-orders", str(ORDERS), "--items", str(ITEMS), "--shop", "tb", "--json",
                      data_dir=tmp_path)
    assert json.loads(again.stdout)["duplicates"] == 40
    missing = _shopdesk("import-orders", str(ORDERS), "--shop", "nope", data_dir=tmp_path)
    assert missing.returncode == 1 and "no shop with code nope" in missing.stderr


def _generate(folder: Path, n: int, codes) -> tuple[Path, Path]:
    """A Taobao pair of n paid orders, each with one or two lines."""
    with ORDERS.open(encoding="gb18030", newline="") as fh:
        order_header = next(csv.reader(fh))
    with ITEMS.open(encoding="gb18030", newline="") as fh:
        item_header = next(csv.reader(fh))
    orders, items = folder / "ExportOrderList.csv", folder / "ExportOrderDetailList.csv"
    with orders.open("w", encoding="gbk", newline="") as fo, items.open("w", encoding="gbk", newline="") as fi:
        wo, wi = csv.writer(fo), csv.writer(fi)
        wo.writerow(order_header)
        wi.writerow(item_header)
        for i in range(n):
            no = f"9{i:017d}"
            row = dict.fromkeys(order_header, "")
            row.update({"订单编号": f'="{no}"', "买家会员名": f"buyer{i}", "买家应付货款": "20.00",
                        "买家应付邮费": "0.00",
                        "总金额": "20.00", "买家实际支付金额": "20.00", "订单状态": "买家已付款，等待卖家发货",
                        "收货人姓名": "张三", "收货地址": f"浙江省 杭州市 西湖区 文三路{i}号(310000)",
                        "联系手机": f"'13{i:09d}", "订单创建时间": "2026-11-11 10:00:00",
                        "订单付款时间": "2026-11-11 10:05:00", "宝贝总数量": "2"})
            wo.writerow([row[h] for h in order_header])
            for j in range(1 + i % 2):
                item = dict.fromkeys(item_header, "")
                item.update({"订单编号": f'="{no}"', "标题": "商品", "价格": "10.00", "购买数量": "1",
                             "订单状态": "买家已付款，等待卖家发货", "商家编码": codes[(i + j) % len(codes)]})
                wi.writerow([item[h] for h in item_header])
    return orders, items


def _left_behind(marker: str, wait: float = 15) -> list[int]:
    """Processes whose command line names `marker` (a forked preparer keeps its parent's), once they had `wait`
    seconds to end."""
    deadline = time.monotonic() + wait
    while True:
        alive = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    alive.append(int(proc.name))
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


@pytest.mark.slow
def test_import_killed_half_way_and_run_again_ends_with_one_copy_and_right_reservations(tmp_path):
    codes = [f"K-{i}" for i in range(5)]
    _prepare(tmp_path, codes)
    orders, items = _generate(tmp_path, 6000, codes)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOPDESK_", "DJANGO_")) and k != "DATABASE_URL"}
    proc = subprocess.Popen([sys.executable, "-m", "shopdesk", "import-orders", str(orders), "--items", str(items),
                             "--shop", "tb", "--data-dir", str(tmp_path)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    db = tmp_path / "shopdesk.sqlite3"
    deadline = time.monotonic() + 120
    written = 0
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
                written = conn.execute("SELECT COUNT(*) FROM orders_order").fetchone()[0]
        except sqlite3.OperationalError:
            written = 0
        if written >= 1000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < written < 6000, f"the import was not caught half-way ({written} orders)"
    assert not _left_behind(str(orders)), "the killed import's preparer process is still running"

    result = _shopdesk("import-orders", str(orders), "--items", str(items), "--shop", "tb", "--json",
                       data_dir=tmp_path)
    summary = json.loads(result.stdout)
    assert summary["rejected"] == [] and summary["created"] + summary["duplicates"] == 6000
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*), COUNT(DISTINCT platform_order_no) FROM orders_order").fetchone() == (
            6000, 6000)
        lines = conn.execute("SELECT COUNT(*) FROM orders_orderline").fetchone()[0]
        assert lines == 9000
        active = conn.execute("SELECT COUNT(*), SUM(quantity) FROM inventory_reservation WHERE state='active'"
                              ).fetchone()
        assert active == (9000, 9000)
        assert conn.execute("SELECT SUM(reserved) FROM inventory_warehousestock").fetchone()[0] == 9000
    verify = _shopdesk("stock", "verify", data_dir=tmp_path)
    assert verify.returncode == 0 and "ledger OK" in verify.stdout


def _snapshot(db: Path) -> dict:
    """What an import wrote, without ids and times: orders, lines with their reservations, audit changes."""
    with sqlite3.connect(db) as conn:
        orders = conn.execute(
            "SELECT platform_order_no, status, risk_flagged, risk_reasons, review_reasons, out_of_stock, has_unmapped,"
            " address_incomplete, unreachable, carrier, discount, paid_amount, verified_at IS NULL,"
            " CASE status WHEN 'cancelled' THEN NULL ELSE paid_at END "  # a closed order's payment time: the import's
            "FROM orders_order ORDER BY platform_order_no").fetchall()
        lines = conn.execute(
            "SELECT o.platform_order_no, l.channel_sku_code, l.sku_id, l.quantity, l.unit_price, r.state, r.quantity "
            "FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
            "LEFT JOIN inventory_reservation r ON r.id = l.reservation_id ORDER BY 1, l.id").fetchall()
        events = conn.execute(
            "SELECT e.object_repr, e.changes FROM core_auditevent e WHERE e.action = 'orders.import_create' "
            "ORDER BY 1").fetchall()
    return {"orders": orders, "lines": lines, "events": [(no, json.loads(c)) for no, c in events]}


@pytest.mark.slow
def test_the_forked_preparer_and_the_thread_write_exactly_the_same(tmp_path):
    """The command prepares its rows in a forked process; SHOPDESK_IMPORT_FORK=0 (and any process running threads)
    prepares them in a thread. Both write the same orders, lines, reservations and audit rows, over several
    chunks, with review reasons, risk flags, unmapped lines and a stock that runs out."""
    codes = [f"F-{i}" for i in range(4)]
    got = {}
    for mode in ("1", "0"):
        data_dir = tmp_path / mode
        data_dir.mkdir()
        _prepare(data_dir, [*codes, *SAMPLE_CODES[:6]], stock=600)  # F-* run out before the last orders
        orders, items = _generate(data_dir, 4600, [*codes, "NOT-LISTED"])
        with orders.open(encoding="gb18030", newline="") as fh:
            phone_at = next(csv.reader(fh)).index("联系手机")

        def shared_phone(row, phone_at=phone_at):  # five buyers of each 500 share a phone: 刷单 risk
            if int(row[0].strip('="')[1:]) % 500 < 5:
                row[phone_at] = "'13900000000"
            return row

        orders = rewrite(orders, data_dir / "orders.csv", shared_phone)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SHOPDESK_", "DJANGO_"))
                  and k != "DATABASE_URL"}, "SHOPDESK_IMPORT_FORK": mode}
        for pair in ((ORDERS, ITEMS), (orders, items)):
            result = subprocess.run([sys.executable, "-m", "shopdesk", "import-orders", str(pair[0]), "--items",
                                     str(pair[1]), "--shop", "tb", "--json", "--data-dir", str(data_dir)],
                                    capture_output=True, text=True, env=env, timeout=300)
            assert result.returncode == 0 and json.loads(result.stdout)["rejected"] == [], result.stderr
        got[mode] = _snapshot(data_dir / "shopdesk.sqlite3")
    forked, threaded = got["1"], got["0"]
    assert len(forked["orders"]) == 4640 and len(forked["events"]) == 4640
    statuses = Counter(row[1] for row in forked["orders"])
    assert statuses["verified"] and statuses["paid"]  # some pass the review, some wait for a person
    assert sum(row[2] for row in forked["orders"]) >= 25  # risk flags: the shared phones
    assert any(row[5] for row in forked["orders"]) and any(row[6] for row in forked["orders"])  # short, unmapped
    assert forked == threaded
