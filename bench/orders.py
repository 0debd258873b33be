"""Order import throughput and the order list API (product.md §2.3).

Import: a Taobao-format pair of N orders (default 100,000; bench/_taobao_gen.py) is imported with
`shopdesk import-orders` into a fresh database, then imported again (all duplicates). Every import runs in a child
process of its own, so its time and peak memory (RSS) are the import's own; a second file of N/4 orders shows whether
memory grows with the file. The baseline, in the same run: a plain sqlite3 script (also a child) that reads the same
pair with the csv module and inserts the same orders and lines in batches of 500 with one conditional stock UPDATE
per paid line, the practical limit. On SQLite the baseline and the import run alternately three times each and
their median times are compared (the machine's speed moves from minute to minute); every time is reported. The aim:
at least a quarter of the plain rate, and peak memory that does not grow with the file. The same on PostgreSQL
when a server is reachable (DATABASE_URL or the local default), against a fresh database created and dropped by
the benchmark.

Order list API: N x 10 orders (default 1,000,000) written straight into the benchmark's database with raw SQL, then
`GET /api/v1/orders/?status=verified&shop=...&page_size=50` (a filtered first page) as a manager with a token:
p50/p95 latency and queries per request. "skipped: no API" while the URL answers 404.

`--rows N`: N x 10 orders imported and N x 100 in the list (default N = 10,000). The module also runs as a script
for its child processes (`python -P bench/orders.py setup|plain ...`); it imports nothing heavy at the top so the
plain baseline's memory is its own.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
SHOP = "bench-tmall"
CHUNK = 500  # orders per transaction, as the ShopDesk writer
DEFAULT_ROWS = 10_000
LIST_REPEAT = 50
ROUNDS = 3  # SQLite: the plain baseline and the import, alternately, this many times each (`_import_sqlite`)
AIM = ("ShopDesk import at least 0.25 x the plain-sqlite3 rate (ratio_vs_plain >= 0.25); peak RSS about the same "
       "for N and N/4 orders (rss_growth_vs_quarter about 1)")
TAOBAO_STATUSES = {"等待买家付款": "unpaid", "买家已付款，等待卖家发货": "paid", "卖家已发货，等待买家确认": "shipped",
                   "交易成功": "completed", "交易关闭": "cancelled"}


def _gen():
    spec = importlib.util.spec_from_file_location("shopdesk_bench_taobao_gen", HERE / "_taobao_gen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sizes(rows: int | None) -> tuple[int, int]:
    rows = rows or DEFAULT_ROWS
    return rows * 10, rows * 100


def _sku_count(n_orders: int) -> int:
    return max(16, min(200, n_orders // 50))


# --- child processes -----------------------------------------------------------------------------------------------


class ChildFailed(RuntimeError):
    pass


def _child(args: list[str], env: dict) -> tuple[float, float, dict]:
    """Run one child process that prints one JSON object: (wall seconds, its peak RSS in MB, the object)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)  # the rusage of this child alone
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    try:  # import-orders exits 1 when it rejects rows: reported, not an error
        result = json.loads(stdout)
    except ValueError:
        raise ChildFailed(f"{' '.join(args[1:6])} ... exited {proc.returncode}: "
                          f"{(stderr or stdout).strip()[-2000:]}") from None
    rss_mb = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return seconds, rss_mb, result


def _env(data_dir: Path, database_url: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SHOPDESK_DATA_DIR")}
    env["SHOPDESK_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "shopdesk.settings"
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _script(*args) -> list[str]:
    # -P: keep bench/ off sys.path, so that its modules (audit, inventory, lists ...) shadow nothing in the child.
    return [sys.executable, "-P", str(Path(__file__).resolve()), *map(str, args)]


# --- the ShopDesk import -----------------------------------------------------------------------------------------


def _setup_templates(templates: list[tuple[Path, str | None]], n_skus: int, stock: int) -> None:
    """Migrate the template databases and stock their shop, all at once (nothing is measured yet); every measurement
    starts from a copy of a template."""
    procs = []
    for data_dir, database_url in templates:
        err = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(_script("setup", n_skus, stock), stdout=subprocess.DEVNULL, stderr=err,
                                       env=_env(data_dir, database_url)), err))
    failures = []
    for proc, err in procs:
        if proc.wait():
            err.seek(0)
            failures.append(err.read().decode().strip()[-2000:])
        err.close()
    if failures:
        raise ChildFailed(f"setting up the template database failed: {failures[0]}")


def _import_once(data_dir: Path, database_url: str | None, pair: tuple[Path, Path], n_orders: int, *,
                 again: bool = True) -> dict:
    """The import of a pair into a fresh copy of the template, then (`again`) the same import once more."""
    env = _env(data_dir, database_url)
    command = [sys.executable, "-m", "shopdesk", "--data-dir", str(data_dir), "import-orders", str(pair[0]),
               "--items", str(pair[1]), "--shop", SHOP, "--format", "taobao", "--json"]
    seconds, rss, first = _child(command, env)
    result = {
        "orders": n_orders, "created": first["created"], "rejected": len(first["rejected"]),
        "seconds": round(seconds, 2), "orders_per_second": round(first["created"] / seconds) if seconds else None,
        "peak_rss_mb": round(rss, 1),
    }
    if first["rejected"]:
        result["first_rejected"] = first["rejected"][0]
    if again:
        again_seconds, again_rss, second = _child(command, env)
        result.update({"reimport_seconds": round(again_seconds, 2), "reimport_created": second["created"],
                       "reimport_duplicates": second["duplicates"], "reimport_peak_rss_mb": round(again_rss, 1)})
    return result


def _plain_once(target: str, pair: tuple[Path, Path], n_skus: int, stock: int, data_dir: Path) -> dict:
    data_dir.mkdir(parents=True, exist_ok=True)
    seconds, rss, counts = _child(_script("plain", pair[0], pair[1], target, n_skus, stock), _env(data_dir, None))
    return {"orders": counts["orders"], "lines": counts["lines"], "reserved_lines": counts["reserved_lines"],
            "seconds": round(seconds, 2), "orders_per_second": round(counts["orders"] / seconds) if seconds else None,
            "peak_rss_mb": round(rss, 1)}


def _compare(big: dict, quarter: dict, plain: dict, lines: int) -> dict:
    report = {**big, "lines": lines,
              "quarter": {k: quarter[k] for k in ("orders", "created", "seconds", "orders_per_second", "peak_rss_mb")},
              "rss_growth_vs_quarter": round(big["peak_rss_mb"] / quarter["peak_rss_mb"], 2),
              "plain_seconds": plain["seconds"], "plain_orders_per_second": plain["orders_per_second"],
              "plain_peak_rss_mb": plain["peak_rss_mb"]}
    if big["orders_per_second"] and plain["orders_per_second"]:
        report["ratio_vs_plain"] = round(big["orders_per_second"] / plain["orders_per_second"], 3)
    return report


def _count_lines(items_path: Path) -> int:
    with open(items_path, "rb") as f:
        return sum(1 for _ in f) - 1


def _median_run(runs: list[dict]) -> dict:
    """The run of median time (of an odd number), with the highest peak RSS of all (the memory aim is a ceiling)
    and every run's time."""
    median = dict(sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2])
    median["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    median["seconds_of_rounds"] = [r["seconds"] for r in runs]
    return median


def _import_sqlite(work: Path, template: Path, pairs: list, n_skus: int, stock: int) -> dict:
    """ROUNDS times the plain baseline then the import, alternately, and the medians compared: on a shared
    machine whose speed moves from minute to minute, one run of each would compare two different machines."""
    (n, pair), (quarter_n, quarter_pair) = pairs
    imports, plains = [], []
    for k in range(ROUNDS):
        plains.append(_plain_once(str(work / f"plain-{k}" / "plain.sqlite3"), pair, n_skus, stock,
                                  work / f"plain-{k}"))
        shutil.rmtree(work / f"plain-{k}")
        shutil.copytree(template, work / f"sqlite-n-{k}")
        imports.append(_import_once(work / f"sqlite-n-{k}", None, pair, n, again=k == 0))
        shutil.rmtree(work / f"sqlite-n-{k}")
    big = {**_median_run(imports), **{k: v for k, v in imports[0].items() if k.startswith("reimport")}}
    shutil.copytree(template, work / "sqlite-quarter")
    quarter = _import_once(work / "sqlite-quarter", None, quarter_pair, quarter_n, again=False)
    report = _compare(big, quarter, _median_run(plains), _count_lines(pair[1]))
    report["plain_seconds_of_rounds"] = [p["seconds"] for p in plains]
    return report


# --- PostgreSQL ----------------------------------------------------------------------------------------------------


def _postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    try:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return "postgres://postgres@127.0.0.1:5432/postgres"
    except Exception:  # noqa: BLE001
        return None


class _Databases:
    """Uniquely named PostgreSQL databases for one run, all dropped at the end."""

    def __init__(self, server: str):
        import psycopg

        self.server, self.prefix, self.names = server, f"shopdesk_bench_{os.getpid()}", []
        self.admin = psycopg.connect(server, autocommit=True)

    def create(self, label: str, template: str | None = None) -> str:
        name = f"{self.prefix}_{label}"
        self.admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.names.append(name)
        return name

    def url(self, name: str) -> str:
        return urlsplit(self.server)._replace(path="/" + name).geturl()

    def drop_all(self) -> None:
        for name in self.names:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


def _import_postgres(pg: _Databases, template: str, work: Path, pairs: list, n_skus: int, stock: int) -> dict:
    (n, pair), (quarter_n, quarter_pair) = pairs
    big = _import_once(work / "pg-n", pg.url(pg.create("n", template)), pair, n)
    quarter = _import_once(work / "pg-quarter", pg.url(pg.create("quarter", template)), quarter_pair, quarter_n,
                           again=False)
    plain = _plain_once(pg.url(pg.create("plain")), pair, n_skus, stock, work / "pg-plain")
    report = _compare(big, quarter, plain, _count_lines(pair[1]))
    report["baseline"] = "plain psycopg, same schema and statements"
    return report


# --- child: set up a fresh database ---------------------------------------------------------------------------------


def setup_database(n_skus: int, stock: int) -> None:
    """Migrate the database of $SHOPDESK_DATA_DIR / $DATABASE_URL and create the shop, a warehouse serving it, the
    generator's SKUs listed in the shop under their codes, and `stock` units of each."""
    from decimal import Decimal

    import django

    from shopdesk import config

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopdesk.settings")
    config.ensure_data_dir(config.data_dir())
    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from shopdesk.catalog.models import SKU, Listing, Product
    from shopdesk.channels.services import add_shop
    from shopdesk.inventory import engine
    from shopdesk.inventory import services as inventory

    call_command("migrate", interactive=False, verbosity=0)
    gen = _gen()
    codes = gen.make_skus(n_skus)
    catalogue = gen.catalogue(codes)
    with transaction.atomic():
        shop = add_shop(actor=None, code=SHOP, platform="tmall", name=gen.SHOP_NAME)
        warehouse = inventory.create_warehouse(actor=None, code="HZ", name="杭州总仓", priority=10)
        warehouse.shops.add(shop)
        zone = inventory.create_zone(actor=None, warehouse=warehouse, code="A", name="拣货区A")
        location = inventory.create_locations(actor=None, warehouse=warehouse, zone=zone, codes=["A-01"])[0]
        for k, code in enumerate(codes):
            title, _props, cents, gift = catalogue[code]
            product = Product.objects.create(item_number=f"BN-{k:05d}", name=title[:100],
                                             list_price=Decimal(cents) / 100, is_gift=gift)
            sku = SKU.objects.create(product=product, code=code, barcode=f"69{k:011d}")
            Listing.objects.create(shop=shop, sku=sku, channel_sku_code=code)
            engine.receive(sku=sku, location=location, quantity=stock, reference="BENCH-INIT")


# --- child: the plain baseline --------------------------------------------------------------------------------------


def plain_import(orders_path: str, items_path: str, target: str, n_skus: int, stock: int) -> dict:
    """The practical limit: csv + DB-API, one conditional UPDATE per paid line, executemany per 500 orders."""
    import csv

    if target.startswith(("postgres://", "postgresql://")):
        import psycopg

        con = psycopg.connect(target)
        mark, ts, key = "%s", "TIMESTAMPTZ", "BIGINT PRIMARY KEY"
    else:
        import sqlite3

        con = sqlite3.connect(target)
        con.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
        mark, ts, key = "?", "TEXT", "INTEGER PRIMARY KEY"
    cur = con.cursor()
    for statement in (
        "CREATE TABLE stock (sku VARCHAR(80) PRIMARY KEY, on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL, "
        "CHECK (on_hand >= reserved))",
        f"CREATE TABLE orders (id {key}, shop_id INTEGER NOT NULL, platform_order_no VARCHAR(64) NOT NULL, "
        "status VARCHAR(12) NOT NULL, platform_status VARCHAR(40) NOT NULL, buyer_platform_id VARCHAR(80) NOT NULL, "
        "buyer_name VARCHAR(60) NOT NULL, mobile VARCHAR(20) NOT NULL, landline VARCHAR(30) NOT NULL, "
        "province VARCHAR(30) NOT NULL, city VARCHAR(30) NOT NULL, district VARCHAR(30) NOT NULL, "
        "address_detail VARCHAR(200) NOT NULL, postcode VARCHAR(10) NOT NULL, goods_amount NUMERIC(12, 2) NOT NULL, "
        "shipping_fee NUMERIC(12, 2) NOT NULL, paid_amount NUMERIC(12, 2) NOT NULL, "
        f"ordered_at {ts} NOT NULL, paid_at {ts}, buyer_message VARCHAR(500) NOT NULL, "
        "seller_remark VARCHAR(500) NOT NULL, invoice_title VARCHAR(100) NOT NULL, carrier VARCHAR(40) NOT NULL, "
        "tracking_no VARCHAR(40) NOT NULL, close_reason VARCHAR(200) NOT NULL, out_of_stock BOOLEAN NOT NULL, "
        f"created_at {ts} NOT NULL, updated_at {ts} NOT NULL, UNIQUE (shop_id, platform_order_no))",
        f"CREATE TABLE lines (id {key}, order_id BIGINT NOT NULL REFERENCES orders (id), sku VARCHAR(80) NOT NULL, "
        "title VARCHAR(200) NOT NULL, properties VARCHAR(200) NOT NULL, quantity INTEGER NOT NULL, "
        "unit_price NUMERIC(12, 2) NOT NULL, reserved BOOLEAN NOT NULL)",
        "CREATE INDEX lines_order ON lines (order_id)",
    ):
        cur.execute(statement)
    codes = _gen().make_skus(n_skus)
    cur.executemany(f"INSERT INTO stock VALUES ({mark}, {mark}, 0)", [(code, stock) for code in codes])
    con.commit()

    def reader(path):
        f = open(path, encoding="gb18030", newline="")  # noqa: SIM115 - read to the end below
        rows = csv.reader(f)
        return {name: i for i, name in enumerate(next(rows))}, rows

    def unwrap(cell: str) -> str:
        return cell.strip().removeprefix('="').removesuffix('"')

    started = time.perf_counter()
    col, rows = reader(items_path)
    i_no, i_title, i_price, i_qty, i_props, i_code = (
        col[n] for n in ("订单编号", "标题", "价格", "购买数量", "商品属性", "商家编码"))
    items: dict[str, list[tuple]] = {}
    for row in rows:
        items.setdefault(unwrap(row[i_no]), []).append(
            (row[i_code].strip(), row[i_title], row[i_props], int(row[i_qty]), row[i_price]))

    col, rows = reader(orders_path)
    (o_no, o_buyer, o_goods, o_post, o_paid, o_status, o_message, o_name, o_address, o_phone, o_mobile, o_created,
     o_paid_at, o_tracking, o_carrier, o_remark, o_close, o_invoice) = (col[n] for n in (
        "订单编号", "买家会员名", "买家应付货款", "买家应付邮费", "买家实际支付金额", "订单状态", "买家留言",
        "收货人姓名", "收货地址", "联系电话", "联系手机", "订单创建时间", "订单付款时间", "物流单号",
        "物流公司", "订单备注", "订单关闭原因", "发票抬头"))
    reserve = f"UPDATE stock SET reserved = reserved + {mark} WHERE sku = {mark} AND on_hand - reserved >= {mark}"
    insert_order = f"INSERT INTO orders VALUES ({', '.join([mark] * 28)})"
    insert_line = f"INSERT INTO lines VALUES ({', '.join([mark] * 8)})"
    now = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime())
    order_rows, line_rows = [], []
    n_orders = n_lines = n_reserved = 0
    for row in rows:
        no = unwrap(row[o_no])
        word = row[o_status].strip()
        status = TAOBAO_STATUSES[word]
        address = row[o_address].strip()
        postcode = ""
        if address.endswith(")") and "(" in address:
            address, postcode = address[:-1].rsplit("(", 1)
        province, city, district, detail = (address.split(None, 3) + ["", "", "", ""])[:4]
        n_orders += 1
        out_of_stock = False
        for code, title, props, qty, price in items.get(no, ()):
            n_lines += 1
            reserved = False
            if status == "paid":
                cur.execute(reserve, (qty, code, qty))
                reserved = cur.rowcount == 1
                out_of_stock |= not reserved
                n_reserved += reserved
            line_rows.append((n_lines, n_orders, code, title, props, qty, price, reserved))
        paid_at = row[o_paid_at].strip()
        order_rows.append((
            n_orders, 1, no, status, word, row[o_buyer].strip(), row[o_name].strip(), row[o_mobile].strip(),
            row[o_phone].strip(), province, city, district, detail, postcode, row[o_goods], row[o_post], row[o_paid],
            row[o_created].strip() + "+08:00", paid_at + "+08:00" if paid_at else None, row[o_message].strip(),
            row[o_remark].strip(), row[o_invoice].strip(), row[o_carrier].strip(), unwrap(row[o_tracking]),
            row[o_close].strip(), out_of_stock, now, now))
        if len(order_rows) >= CHUNK:
            cur.executemany(insert_order, order_rows)
            cur.executemany(insert_line, line_rows)
            con.commit()
            order_rows, line_rows = [], []
    if order_rows:
        cur.executemany(insert_order, order_rows)
        cur.executemany(insert_line, line_rows)
    con.commit()
    con.close()
    return {"orders": n_orders, "lines": n_lines, "reserved_lines": n_reserved,
            "seconds_inside": round(time.perf_counter() - started, 2)}


# --- order list API -------------------------------------------------------------------------------------------------


@contextmanager
def _indexes_dropped(cursor, tables: list[str]):
    """Bulk load without the secondary indexes of `tables`, then build them again as they were (sorting once is many
    times faster than a million random B-tree inserts). Indexes behind constraints (primary keys, unique) stay."""
    if cursor.db.vendor == "sqlite":
        marks = ", ".join(["%s"] * len(tables))
        cursor.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "  # noqa: S608
                       f"AND tbl_name IN ({marks})", tables)
    else:
        cursor.execute("SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = "
                       "x.indexrelid JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) AND NOT "
                       "x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
                       [tables])
    indexes = cursor.fetchall()
    for name, _sql in indexes:
        cursor.execute(f"DROP INDEX {cursor.db.ops.quote_name(name)}")
    try:
        yield
    finally:
        for _name, sql in indexes:
            cursor.execute(sql)


def _fill_orders(count: int) -> tuple[str, list]:
    """`count` orders over four shops, one line each, written with raw executemany in ordered_at order; returns the
    code of the shop to filter on and the shops."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.db.models import Max

    from shopdesk.catalog.models import SKU, Product
    from shopdesk.channels.services import add_shop
    from shopdesk.orders.models import Order, OrderLine, Status

    gen = _gen()
    shops = [add_shop(actor=None, code=f"list-{p}", platform=p, name=f"列表店铺 {p}")
             for p in ("tmall", "taobao", "jd", "own_site")]
    codes = gen.make_skus(40)
    catalogue = gen.catalogue(codes)
    skus = []
    for k, code in enumerate(codes):
        title, _props, cents, gift = catalogue[code]
        product = Product.objects.create(item_number=f"LS-{k:05d}", name=title, list_price=Decimal(cents) / 100,
                                         is_gift=gift)
        skus.append((SKU.objects.create(product=product, code=f"L-{code}").pk, code, title, Decimal(cents) / 100))

    # Times as the database stores them (SQLite: naive UTC text, as Django writes it), formatted by hand: a million
    # datetime objects would cost more than the inserts.
    base = datetime(2025, 11, 11, tzinfo=UTC)
    step = 365 * 86400 // max(count, 1) or 1
    suffix = "" if connection.vendor == "sqlite" else "+00:00"
    days: dict[int, str] = {}

    def stamp(seconds: int) -> str:
        day, rest = divmod(seconds, 86400)
        if day not in days:
            days[day] = f"{base + timedelta(days=day):%Y-%m-%d}"
        return f"{days[day]} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}{suffix}"

    fields = [f for f in Order._meta.concrete_fields if not f.primary_key]
    template = []
    for f in fields:
        value = None if f.null else f.get_default()
        template.append(f.get_db_prep_save(value, connection) if value is not None else None)
    at = {f.attname: i + 1 for i, f in enumerate(fields)}  # position in a row (the id comes first)
    template = [None, *template]
    qn = connection.ops.quote_name
    order_table = (Order._meta.db_table, ["id", *(f.column for f in fields)])
    line_table = (OrderLine._meta.db_table, ["id", "order_id", "sku_id", "channel_sku_code", "title", "properties",
                                             "quantity", "unit_price", "reservation_id"])

    def write(cursor, table, rows) -> None:
        name, columns = table
        if connection.vendor == "postgresql":  # COPY: executemany of a million rows takes minutes there
            with cursor.cursor.copy(f"COPY {qn(name)} ({', '.join(map(qn, columns))}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(name)} ({', '.join(map(qn, columns))}) VALUES ({marks})", rows)

    # A year of a department's orders: mostly done, some in the warehouse, a few waiting.
    statuses = ([Status.COMPLETED] * 70 + [Status.SHIPPED] * 10 + [Status.VERIFIED] * 8 + [Status.PAID] * 4
                + [Status.UNPAID] * 3 + [Status.CANCELLED] * 5)
    regions, roads = gen.REGIONS, gen.ROADS
    shop_ids = [shop.pk for shop in shops]
    first_id = (Order.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    first_line = (OrderLine.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    batch = 10_000
    with connection.cursor() as cursor, _indexes_dropped(cursor, [Order._meta.db_table, OrderLine._meta.db_table]):
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB: a bulk load, not the service's setting
        for start in range(0, count, batch):
            orders, lines = [], []
            for i in range(start, min(start + batch, count)):
                row = template.copy()
                oid = first_id + i
                status = statuses[(i * 37) % 100]
                shop_id = shop_ids[i % 4]
                sku_id, code, title, price = skus[(i * 7) % len(skus)]
                ordered = stamp(i * step)
                paid = stamp(i * step + 300) if status != Status.UNPAID else None
                province, city, district, postcode = regions[i % len(regions)]
                row[0] = oid
                row[at["shop_id"]] = shop_id
                row[at["platform_order_no"]] = f"{10**17 + i * 982_451_653_007 % (9 * 10**17)}"
                row[at["status"]] = status
                row[at["buyer_platform_id"]] = f"tb{i * 736_481_263 % 10**9:09d}"
                row[at["buyer_name"]] = "张秀英"
                row[at["mobile"]] = f"138{i * 73_939_133 % 10**8:08d}"
                row[at["province"]], row[at["city"]], row[at["district"]] = province, city, district
                row[at["address_detail"]] = f"{roads[i % len(roads)]}{i % 997 + 1}号{i // 997 % 30 + 1}幢{i % 2801}室"
                row[at["postcode"]] = postcode
                row[at["goods_amount"]] = row[at["paid_amount"]] = price
                row[at["ordered_at"]] = row[at["created_at"]] = row[at["updated_at"]] = ordered
                row[at["paid_at"]] = paid
                if status not in (Status.UNPAID, Status.PAID, Status.CANCELLED):
                    row[at["verified_at"]] = paid
                    row[at["carrier"]] = "中通快递"
                orders.append(row)
                lines.append((first_line + i, oid, sku_id, code, title, "", 1, price, None))
            with transaction.atomic():
                write(cursor, order_table, orders)
                write(cursor, line_table, lines)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Order, OrderLine]):
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    return shops[0].code, shops


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _list_api(count: int) -> dict | str:
    from django.db import connection
    from rest_framework.test import APIClient

    from shopdesk.staff.services import create_staff_member, issue_api_token

    client = APIClient(HTTP_HOST="127.0.0.1")
    url = "/api/v1/orders/"
    started = time.perf_counter()
    shop_code, shops = _fill_orders(count)
    fill_seconds = time.perf_counter() - started
    manager = create_staff_member(actor=None, username="bench-orders-manager", roles=["manager"], shops=shops)
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(actor=None, user=manager)}")
    params = {"status": "verified", "shop": shop_code, "page_size": 50}
    response = client.get(url, params)  # warm up (and: does the API exist yet?)
    if response.status_code == 404:
        return f"skipped: no API (GET {url} answered 404)"
    if response.status_code != 200:
        return f"failed: GET {url} answered {response.status_code}: {response.content[:300]!r}"
    queries = _QueryCounter()
    with connection.execute_wrapper(queries):
        response = client.get(url, params)
    body = response.json()
    results = body.get("results", body) if isinstance(body, dict) else body
    times = []
    for _ in range(LIST_REPEAT):
        start = time.perf_counter()
        client.get(url, params)
        times.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return {"orders": count, "fill_seconds": round(fill_seconds, 1), "request": f"GET {url}?status=verified&shop="
            f"{shop_code}&page_size=50", "results_on_page": len(results) if isinstance(results, list) else None,
            "count": body.get("count") if isinstance(body, dict) else None, "requests": LIST_REPEAT,
            "p50_ms": round(statistics.median(times), 1), "p95_ms": round(cuts[18], 1), "queries": queries.count}


# --- the benchmark --------------------------------------------------------------------------------------------------


def run(rows: int | None = None) -> dict:
    n_import, n_list = _sizes(rows)
    gen = _gen()
    n_skus, stock = _sku_count(n_import), n_import * 10 + 1000  # 9 units at most per order: never out of stock
    skus = gen.make_skus(n_skus)
    work = Path(tempfile.mkdtemp(prefix="shopdesk-bench-orders-"))
    server = _postgres_url()
    pg = _Databases(server) if server else None
    try:
        pairs = [(n, gen.generate(work / f"files-{n}", n, skus=skus, seed=seed))
                 for n, seed in ((n_import, 1), (max(n_import // 4, 1), 2))]
        templates = [(work / "sqlite-template", None)]
        if pg:
            pg_template = pg.create("template")
            templates.append((work / "pg-template", pg.url(pg_template)))
        _setup_templates(templates, n_skus, stock)
        report = {"cores": os.cpu_count(), "sqlite": _import_sqlite(work, templates[0][0], pairs, n_skus, stock),
                  "postgresql": _import_postgres(pg, pg_template, work, pairs, n_skus, stock) if pg
                  else "skipped: no server reachable"}
    finally:
        if pg:
            pg.drop_all()
        shutil.rmtree(work, ignore_errors=True)
    report["list_api"] = _list_api(n_list)
    report["aim"] = AIM
    return report


def table(report: dict) -> str:
    out = [f"cores: {report['cores']}   aim: {report['aim']}",
           f"{'database':<11}{'orders':>8}{'lines':>8}{'created':>8}{'seconds':>9}{'orders/s':>9}{'RSS MB':>8}"
           f"{'N/4 RSS':>8}{'growth':>7}{'again s':>8}{'again new':>10}{'plain/s':>8}{'ratio':>7}"]
    for name in ("sqlite", "postgresql"):
        r = report[name]
        if isinstance(r, str):
            out.append(f"{name:<11}{r}")
            continue
        out.append(f"{name:<11}{r['orders']:>8}{r['lines']:>8}{r['created']:>8}{r['seconds']:>9}"
                   f"{r['orders_per_second']:>9}{r['peak_rss_mb']:>8}{r['quarter']['peak_rss_mb']:>8}"
                   f"{r['rss_growth_vs_quarter']:>7}{r['reimport_seconds']:>8}{r['reimport_created']:>10}"
                   f"{r['plain_orders_per_second']:>8}{r.get('ratio_vs_plain', '-'):>7}")
        if "seconds_of_rounds" in r:
            out.append(f"{'':<11}rounds, seconds: import {r['seconds_of_rounds']}, plain {r['plain_seconds_of_rounds']}"
                       f" (medians compared)")
    api = report["list_api"]
    if isinstance(api, str):
        out.append(f"list API: {api}")
    else:
        out.append(f"list API over {api['orders']:,} orders: {api['request']}: p50 {api['p50_ms']} ms, p95 "
                   f"{api['p95_ms']} ms, {api['queries']} queries, {api['results_on_page']} on the page")
    return "\n".join(out)


def _main(argv: list[str]) -> int:
    if argv[:1] == ["setup"]:
        setup_database(int(argv[1]), int(argv[2]))
    elif argv[:1] == ["plain"]:
        print(json.dumps(plain_import(argv[1], argv[2], argv[3], int(argv[4]), int(argv[5]))))
    else:
        print("usage: orders.py setup SKUS STOCK | plain ORDERS ITEMS TARGET SKUS STOCK", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
