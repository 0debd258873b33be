"""Stock health (000:493): none, low, overstock, slow-moving, and the replenishment suggestion from sales velocity."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import NotAllowed, ServiceError
from shopdesk.inventory import engine, selectors, services

TODAY = date(2026, 11, 10)


@pytest.fixture
def today():
    with clock.freeze(TODAY):
        yield TODAY


def ship(sku, warehouse, quantity, day):
    engine.consume(engine.reserve(sku, quantity, f"order:{sku.code}:{day}", warehouse=warehouse).reservation,
                   posted_on=day)


@pytest.fixture
def catalog(today, hz, make_sku, put):
    """out: never received; low: 3 available, reorder at 5; over: 50 on hand, max 20; slow: last sale 120 days
    ago; fast: sells 2 a day, 20 available; ok: healthy."""
    skus = {name: make_sku(name.upper()) for name in ("out", "low", "over", "slow", "fast", "ok")}
    put(skus["low"], hz, "A-01-01", 3, day=today - timedelta(days=10))
    put(skus["over"], hz, "A-01-01", 50, day=today - timedelta(days=10))
    put(skus["slow"], hz, "A-01-02", 12, day=today - timedelta(days=200))
    ship(skus["slow"], hz, 2, today - timedelta(days=120))
    put(skus["fast"], hz, "A-01-02", 80, day=today - timedelta(days=40))
    ship(skus["fast"], hz, 5, today - timedelta(days=35))  # outside the 30-day window
    for days_ago in range(0, 30, 3):  # 10 shipments of 6 = 60 units in the last 30 days
        ship(skus["fast"], hz, 6, today - timedelta(days=days_ago))
    assert engine.reserve(skus["fast"], 15, "order:open", warehouse=hz).ok  # 80-65 = 15 on hand... all reserved
    put(skus["fast"], hz, "A-01-03", 20, day=today)
    put(skus["ok"], hz, "A-01-03", 10, day=today - timedelta(days=5))
    ship(skus["ok"], hz, 1, today - timedelta(days=2))
    services.set_stock_threshold(actor=None, sku=skus["low"], reorder_point=5, max_stock=0)
    services.set_stock_threshold(actor=None, sku=skus["over"], reorder_point=5, max_stock=20)
    services.set_stock_threshold(actor=None, sku=skus["ok"], reorder_point=2, max_stock=100)
    return skus


def codes(category):
    return set(selectors.stock_health().filter(selectors.health_conditions()[category]).values_list("code",
                                                                                                   flat=True))


def test_health_categories(catalog, ledger_ok):
    assert codes("out_of_stock") == {"OUT"}
    assert codes("low") == {"LOW"}
    assert codes("overstock") == {"OVER"}
    assert codes("slow_moving") == {"SLOW"}
    # A slow-moving threshold of its own: OVER (received 10 days ago, never sold) is slow after 7 days.
    services.set_stock_threshold(actor=None, sku=catalog["over"], reorder_point=5, max_stock=20, slow_days=7)
    assert codes("slow_moving") == {"SLOW", "OVER"}
    ledger_ok()


def test_replenishment_suggestion(catalog):
    rows = {r.code: r for r in selectors.stock_health()}
    fast = rows["FAST"]
    assert (fast.on_hand, fast.reserved, fast.available, fast.shipped_recent) == (35, 15, 20, 60)
    # ceil(60 / 30 × 30 − 20) = 40
    assert fast.suggested == 40 == selectors.replenishment_suggestion(60, 30, 20)
    assert rows["OK"].suggested == 0  # 1 sold in 30 days, 9 available
    assert rows["OUT"].suggested == 0  # no sales history: nothing to extrapolate
    services.set_stock_threshold(actor=None, sku=catalog["fast"], reorder_point=0, max_stock=0, cover_days=45)
    assert selectors.stock_health().get(code="FAST").suggested == 70
    # Rounded up, exact integers: 10 sold, 20 days to cover, 2 available -> ceil(6.67 - 2) = 5.
    assert selectors.replenishment_suggestion(10, 20, 2) == 5
    assert selectors.replenishment_suggestion(7, 10, 3) == 0
    assert engine.verify_ledger() == []


def test_thresholds_are_validated_and_permissioned(catalog, make_user):
    with pytest.raises(ServiceError) as err:
        services.set_stock_threshold(actor=None, sku=catalog["ok"], reorder_point=10, max_stock=5, slow_days=0)
    assert set(err.value.fields) == {"slow_days"}
    with pytest.raises(ServiceError) as err:
        services.set_stock_threshold(actor=None, sku=catalog["ok"], reorder_point=10, max_stock=5)
    assert set(err.value.fields) == {"max_stock"}
    with pytest.raises(NotAllowed):
        services.set_stock_threshold(actor=make_user("warehouse"), sku=catalog["ok"], reorder_point=1)
    threshold = services.set_stock_threshold(actor=make_user("merchandiser"), sku=catalog["ok"], reorder_point=3,
                                             max_stock=60, slow_days="30", cover_days=14)
    assert (threshold.reorder_point, threshold.max_stock, threshold.slow_days, threshold.cover_days) == (3, 60, 30, 14)


def test_health_page_tabs_and_tiles(catalog, client_for):
    client = client_for("merchandiser")
    html = client.get("/inventory/health/").content.decode()
    counts = re.findall(r'<span class="count">(\d+)</span>', html)
    assert counts == ["1", "1", "1", "1", "6"]
    assert "OUT" in html and "LOW" not in html
    html = client.get("/inventory/health/", {"tab": "all", "q": "fast"}).content.decode()
    assert '<strong class="suggest">40</strong>' in html
    response = client.post("/inventory/health/OK/", {"reorder_point": "4", "max_stock": "40", "slow_days": "60",
                                                     "cover_days": "30"})
    assert response.status_code == 302
    home = client_for("warehouse").get("/").content.decode()
    assert re.search(r'data-tile="inventory_out_of_stock"><span class="tile-count">1</span>', home)
    assert re.search(r'data-tile="inventory_low"><span class="tile-count">1</span>', home)
    api = client.get("/api/v1/health/", {"category": "low"}).json()
    assert [r["sku"] for r in api["results"]] == ["LOW"]
    fast = client.get("/api/v1/health/FAST/").json()
    assert fast["suggested_order"] == 40 and fast["shipped_last_30_days"] == 60
    assert engine.verify_ledger() == []
