"""Demo warehouse: 杭州总仓 serving every demo shop and 京东前置仓 serving the JD shop, with zones and shelf
locations; a purchase order received in two deliveries on different dates (two lots per SKU, 先进先出 visible) and
closed; sales history over the last 30 days; a few SKUs out of stock and below their reorder point; one transfer in
transit; one zone count awaiting the manager's approval; last months closed.

`load_inventory_demo()` is idempotent (it does nothing once the warehouses exist) and needs the catalog demo's SKUs
(it returns False when there are none). Everything goes through the services, so the audit trail fills the way real
use does; the historical sales are posted through the stock engine with their past posting dates.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from shopdesk.catalog.models import SKU
from shopdesk.channels.models import Shop
from shopdesk.core import clock
from shopdesk.inventory import engine, selectors, services
from shopdesk.inventory.models import Location, Warehouse
from shopdesk.inventory.services import LineInput, ReceiptLineInput

MAIN, FRONT = "HZ", "JDQ"
ZONES = [("RCV", "收货区"), ("A", "拣货区A"), ("B", "拣货区B"), ("RET", "退货区")]
MAIN_LOCATIONS = {"RCV": ["RCV-01", "RCV-02"],
                  "A": [f"A-01-{i:02d}" for i in range(1, 7)] + [f"A-02-{i:02d}" for i in range(1, 5)],
                  "B": [f"B-01-{i:02d}" for i in range(1, 7)],
                  "RET": ["RET-01", "RET-02"]}
FRONT_LOCATIONS = {"RCV": ["RCV-01"], "A": [f"A-01-{i:02d}" for i in range(1, 5)], "B": ["B-01-01", "B-01-02"],
                   "RET": ["RET-01"]}
SUPPLIER = "广州安之伴服饰有限公司"


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def load_inventory_demo() -> bool:
    skus = list(SKU.objects.filter(is_active=True, product__is_active=True).select_related("product").order_by("id"))
    if not skus or Warehouse.objects.filter(code=MAIN).exists():
        return False
    with transaction.atomic():
        _load(skus)
    return True


def _load(skus: list[SKU]) -> None:
    manager, keeper, keeper2, merch = (_user("zhangwei"), _user("zhoujie"), _user("zhengkai"),
                                       _user("huangqiang"))
    today = clock.today()
    first_day, second_day = today - timedelta(days=40), today - timedelta(days=12)
    main, front = _warehouses(manager)
    main_loc = {loc.code: loc for loc in Location.objects.filter(warehouse=main).select_related("zone")}
    front_loc = {loc.code: loc for loc in Location.objects.filter(warehouse=front)}
    shelves = [main_loc[c] for c in MAIN_LOCATIONS["A"] + MAIN_LOCATIONS["B"]]

    n = len(skus)
    out_of_stock = skus[-3:] if n > 8 else []
    low = skus[-6:-3] if n > 8 else []
    stocked = [s for s in skus if s not in out_of_stock]

    # The big order: two deliveries on different dates, so most SKUs have two lots (先进先出).
    ordered = {s.pk: 24 + (i * 7) % 40 for i, s in enumerate(stocked)}
    for s in low:
        ordered[s.pk] = 6
    po = services.create_purchase_order(actor=manager, supplier=SUPPLIER, warehouse=main,
                                        expected_on=first_day, note="秋冬新品首批备货",
                                        lines=[LineInput(s, ordered[s.pk]) for s in stocked])
    first = services.create_receipt(
        actor=keeper, purchase_order=po, delivery_note_number=f"SD{first_day:%Y%m%d}-01", received_on=first_day,
        post=True, lines=[ReceiptLineInput(s, received=ordered[s.pk] // 2 + (1 if s in low else 0),
                                           location=main_loc["RCV-01"]) for s in stocked])
    shelf_of = {}
    for i, line in enumerate(first.lines.select_related("sku")):
        shelf_of[line.sku_id] = shelves[i % len(shelves)]
        services.put_away(actor=keeper, line=line, to_location=shelf_of[line.sku_id], quantity=line.received)
    po.refresh_from_db()
    outstanding = {pl.sku_id: pl.outstanding for pl in po.lines.all()}
    # The second delivery is one unit short on every fifth line (recorded as a short delivery).
    second_lines = [ReceiptLineInput(s, received=outstanding[s.pk] - (1 if i % 5 == 0 else 0),
                                     location=main_loc["RCV-02"])
                    for i, s in enumerate(stocked) if s not in low and outstanding[s.pk]]
    second = services.create_receipt(actor=keeper2 or keeper, purchase_order=po,
                                     delivery_note_number=f"SD{second_day:%Y%m%d}-02", received_on=second_day,
                                     post=True, lines=second_lines)
    # Both lots of a SKU go to the same shelf; the last few lines are still in the receiving area.
    for line in list(second.lines.select_related("sku"))[:-4]:
        if line.received:
            services.put_away(actor=keeper, line=line, to_location=shelf_of[line.sku_id], quantity=line.received)
    services.close_purchase_order(actor=manager, purchase_order=po, reason="供应商余量缺货，剩余数量取消")

    # A second order still on its way (purchase orders to receive).
    services.create_purchase_order(actor=manager, supplier=SUPPLIER, warehouse=main,
                                   expected_on=today + timedelta(days=5), note="补货",
                                   lines=[LineInput(s, 30) for s in (low + out_of_stock)[:5]] or
                                   [LineInput(stocked[0], 30)])

    _sales_history(stocked, low, main, today)
    _front_warehouse(stocked, main, front, front_loc, keeper, today)
    _thresholds(stocked, low, out_of_stock, merch)
    _stocktake(main, keeper)
    _close_old_months(manager, first_day)


def _warehouses(manager):
    shops = list(Shop.objects.filter(code__in=["tmall-flagship", "taobao-store", "jd-store", "own-site"]))
    main = services.create_warehouse(actor=manager, code=MAIN, name="杭州总仓", shops=shops, priority=10)
    front = services.create_warehouse(actor=manager, code=FRONT, name="京东前置仓",
                                      shops=[s for s in shops if s.code == "jd-store"], priority=20)
    for warehouse, layout in ((main, MAIN_LOCATIONS), (front, FRONT_LOCATIONS)):
        for code, name in ZONES:
            zone = services.create_zone(actor=manager, warehouse=warehouse, code=code, name=name)
            services.create_locations(actor=manager, warehouse=warehouse, zone=zone, codes=layout[code])
    return main, front


def _sales_history(stocked, low, main, today):
    """Orders shipped over the last 30 days (posted on their dates), so sales velocity and the replenishment
    suggestion have data; the best sellers sell several units a day."""
    sellers = [s for s in stocked if s not in low][2:26]
    for i, sku in enumerate(sellers):
        per_order = 1 + i % 3
        every = 2 + i % 4
        for days_ago in range(29, 0, -every):
            if selectors.available(sku, main) <= per_order + 12:
                break  # keep them above the reorder point: only the "low" SKUs are meant to be low
            result = engine.reserve(sku, per_order, f"DEMO-SO-{today - timedelta(days=days_ago):%Y%m%d}-{sku.pk}",
                                    warehouse=main)
            if result.ok:
                engine.consume(result.reservation, posted_on=today - timedelta(days=days_ago))


def _front_warehouse(stocked, main, front, front_loc, keeper, today):
    """京东前置仓 got stock by a transfer last week; a second transfer is on the road now."""
    jd = stocked[2:8]
    first = [LineInput(s, 4) for s in jd if selectors.available(s, main) >= 20]
    if first:
        done = services.create_transfer(actor=keeper, from_warehouse=main, to_warehouse=front, note="京东仓备货",
                                        lines=first)
        services.dispatch_transfer(actor=keeper, transfer=done)
        services.receive_transfer(actor=keeper, transfer=done, location=front_loc["A-01-01"])
    second = [LineInput(s, 3) for s in jd[:4] if selectors.available(s, main) >= 16]
    if second:
        moving = services.create_transfer(actor=keeper, from_warehouse=main, to_warehouse=front, note="大促前补仓",
                                          lines=second)
        services.dispatch_transfer(actor=keeper, transfer=moving)


def _thresholds(stocked, low, out_of_stock, merch):
    """Reorder points for every stocked SKU (the low ones sit below it), a maximum that one SKU exceeds, and a short
    slow-moving period for one SKU that has not sold since it arrived."""
    for sku in stocked + out_of_stock:
        services.set_stock_threshold(actor=merch, sku=sku, reorder_point=10 if sku in low or sku in out_of_stock
                                     else 5, max_stock=200)
    if len(stocked) > 2:
        services.set_stock_threshold(actor=merch, sku=stocked[0], reorder_point=5, max_stock=20)
        services.set_stock_threshold(actor=merch, sku=stocked[1], reorder_point=5, max_stock=200, slow_days=30)


def _stocktake(main, keeper):
    """A count of zone B, submitted with two variances: waiting for the manager's approval."""
    zone = main.zones.get(code="B")
    stocktake = services.start_stocktake(actor=keeper, warehouse=main, zone=zone, note="B区周盘")
    lines = list(stocktake.lines.select_related("sku", "location"))
    for i, line in enumerate(lines):
        counted = line.expected - 1 if i == 0 else line.expected + 2 if i == 3 else line.expected
        services.set_stocktake_count(actor=keeper, stocktake=stocktake, sku=line.sku, location=line.location,
                                     counted=max(counted, 0))
    if lines:
        services.submit_stocktake(actor=keeper, stocktake=stocktake)


def _close_old_months(manager, first_posting: date):
    """月结: the two months before the first stock posting are closed."""
    month = first_posting.replace(day=1)
    for _i in range(2):
        month = (month - timedelta(days=1)).replace(day=1)
        services.close_month(actor=manager, month=month)
