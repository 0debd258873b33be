"""Warehouse pages: who may open what (and sees it in the sidebar), set-up through the pages, escaping, and list pages
whose query count does not grow with the rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from shopdesk.core import clock
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine, services
from shopdesk.inventory.models import Location, Warehouse, Zone
from shopdesk.inventory.services import LineInput
from shopdesk.staff.roles import ROLE_CODES

STOCK = {"manager", "operations", "cs_presales", "cs_aftersales", "cs_supervisor", "merchandiser", "warehouse",
         "finance"}
WAREHOUSES = {"manager", "merchandiser", "warehouse", "finance"}
HEALTH = {"manager", "merchandiser", "warehouse"}
RECEIVING = {"manager", "warehouse"}
COUNTING = {"manager", "merchandiser", "warehouse"}
REPORTS = {"manager", "warehouse", "finance"}
PERIODS = {"manager", "finance"}

PAGES = [
    ("inventory:stock", STOCK),
    ("inventory:stock_locations", STOCK),
    ("inventory:movements", STOCK),
    ("inventory:health", HEALTH),
    ("inventory:warehouses", WAREHOUSES),
    ("inventory:warehouse_create", {"manager"}),
    ("inventory:purchase_orders", RECEIVING),
    ("inventory:purchase_order_create", {"manager"}),
    ("inventory:receipts", RECEIVING),
    ("inventory:move_stock", RECEIVING),
    ("inventory:transfers", RECEIVING),
    ("inventory:transfer_create", RECEIVING),
    ("inventory:stocktakes", COUNTING),
    ("inventory:stocktake_create", COUNTING),
    ("inventory:reports", REPORTS),
    ("inventory:periods", PERIODS),
]
IN_SIDEBAR = {"inventory:stock", "inventory:health", "inventory:warehouses", "inventory:purchase_orders",
              "inventory:receipts", "inventory:transfers", "inventory:stocktakes", "inventory:movements",
              "inventory:reports", "inventory:periods"}


@pytest.mark.parametrize("role", ROLE_CODES)
def test_pages_and_sidebar_per_role(role, client_for, hz):
    client = client_for(role)
    for url_name, allowed in PAGES:
        response = client.get(reverse(url_name))
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url_name}: {response.status_code} != {expected}"
    html = client.get(reverse("home")).content.decode()
    nav = html.split('class="sidebar"', 1)[1].split("</nav>", 1)[0]
    for url_name, allowed in PAGES:
        if url_name in IN_SIDEBAR:
            shown = f'href="{reverse(url_name)}"' in nav
            assert shown == (role in allowed), f"{role}: nav link to {url_name} shown={shown}"
    detail = client.get(reverse("inventory:warehouse_detail", args=[hz.code]))
    assert detail.status_code == (200 if role in WAREHOUSES else 403)


def test_setup_through_the_pages(client_for, shop, other_shop):
    client = client_for("manager")
    response = client.post(reverse("inventory:warehouse_create"), {"code": "HZ", "name": "杭州总仓", "priority": 10,
                                                                   "shops": [shop.pk, other_shop.pk]})
    assert response.status_code == 302
    warehouse = Warehouse.objects.get(code="HZ")
    assert set(warehouse.shops.values_list("code", flat=True)) == {shop.code, other_shop.code}
    client.post(reverse("inventory:zone_create", args=["HZ"]), {"code": "A", "name": "拣货区A"})
    zone = Zone.objects.get(warehouse=warehouse, code="A")
    response = client.post(reverse("inventory:location_create", args=["HZ"]),
                           {"zone": zone.pk, "codes": "A-01-01..A-01-10\nA-02-01"})
    assert response.status_code == 302
    assert Location.objects.filter(warehouse=warehouse).count() == 11
    assert Location.objects.filter(code="A-01-10").exists()
    again = client.post(reverse("inventory:location_create", args=["HZ"]), {"zone": zone.pk, "codes": "A-01-05"})
    assert again.status_code == 200 and "A-01-05" in again.content.decode() and "field-error" in again.content.decode()
    bad = client.post(reverse("inventory:location_create", args=["HZ"]), {"zone": zone.pk, "codes": "A-09..A-01"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()
    response = client.post(reverse("inventory:warehouse_edit", args=["HZ"]), {
        "code": "HZ", "name": "杭州总仓(新)", "priority": 5, "shops": [shop.pk], "is_active": "on"})
    assert response.status_code == 302
    warehouse.refresh_from_db()
    assert warehouse.name == "杭州总仓(新)" and list(warehouse.shops.values_list("code", flat=True)) == [shop.code]
    location = Location.objects.get(code="A-02-01")
    client.post(reverse("inventory:location_edit", args=["HZ", location.pk]), {"zone": zone.pk})
    location.refresh_from_db()
    assert not location.is_active
    actions = list(AuditEvent.objects.filter(action__startswith="inventory.").values_list("action", flat=True))
    assert actions.count("inventory.create_location") == 11
    assert {"inventory.create_warehouse", "inventory.create_zone", "inventory.update_warehouse",
            "inventory.update_location"} <= set(actions)
    html = client.get(reverse("inventory:warehouse_detail", args=["HZ"])).content.decode()
    assert "A-01-10" in html and "拣货区A" in html


def test_location_with_stock_cannot_be_retired(hz, make_sku, put, loc, client_for):
    sku = make_sku()
    put(sku, hz, "A-01-01", 2)
    client = client_for("manager")
    location = loc(hz, "A-01-01")
    response = client.post(reverse("inventory:location_edit", args=["HZ", location.pk]), {"zone": location.zone_id})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    location.refresh_from_db()
    assert location.is_active
    assert engine.verify_ledger() == []


def test_move_stock_page(hz, make_sku, put, loc, client_for):
    sku = make_sku("MV-1", barcode="6900000000999")
    put(sku, hz, "A-01-01", 5, day=date(2026, 1, 5))
    client = client_for("warehouse")
    response = client.post(reverse("inventory:move_stock"), {"warehouse": hz.pk, "sku": "6900000000999",
                                                             "from_location": "a-01-01", "to_location": "A-01-03",
                                                             "quantity": 2, "reason": "调整库位"})
    assert response.status_code == 302
    html = client.get(reverse("inventory:stock_locations"), {"q": "MV-1"}).content.decode()
    assert "A-01-03" in html and "2026-01-05" in html
    bad = client.post(reverse("inventory:move_stock"), {"warehouse": hz.pk, "sku": "MV-1", "from_location": "A-01-01",
                                                        "to_location": "NOPE", "quantity": 1, "reason": "x"})
    assert bad.status_code == 200 and "NOPE" in bad.content.decode()
    assert engine.verify_ledger() == []


def test_user_text_is_escaped(client_for, hz, make_sku, put):
    sku = make_sku("XSS-1", name='<script>alert("x")</script>')
    put(sku, hz, "A-01-01", 1)
    services.create_purchase_order(actor=None, supplier='<img src=x onerror=alert(1)>', warehouse=hz,
                                   lines=[LineInput(sku, 1)])
    client = client_for("manager")
    for url in (reverse("inventory:stock"), reverse("inventory:stock_locations"), reverse("inventory:purchase_orders"),
                reverse("inventory:sku_stock", args=["XSS-1"])):
        html = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in html and "<img src=x" not in html
    assert engine.verify_ledger() == []


@pytest.mark.parametrize("rows", [3, 60])
def test_stock_pages_have_bounded_queries(rows, hz, jdw, make_sku, put, client_for, django_assert_max_num_queries):
    """The stock, location, movement, health and document lists cost the same for 3 or 60 SKUs."""
    with clock.freeze(date(2026, 11, 10)):
        skus = [make_sku() for _ in range(rows)]
        for sku in skus:
            put(sku, hz, "A-01-01", 5)
            put(sku, jdw, "J-01", 2)
        transfer = services.create_transfer(actor=None, from_warehouse=hz, to_warehouse=jdw,
                                            lines=[LineInput(sku, 1) for sku in skus])
        services.dispatch_transfer(actor=None, transfer=transfer)
        services.start_stocktake(actor=None, warehouse=hz)
        client = client_for("manager")
        for url, params in ((reverse("inventory:stock"), {}), (reverse("inventory:stock"), {"warehouse": "JDQ"}),
                            (reverse("inventory:stock_locations"), {}), (reverse("inventory:movements"), {}),
                            (reverse("inventory:health"), {"tab": "all"}), (reverse("inventory:transfers"), {}),
                            (reverse("inventory:stocktakes"), {}), (reverse("inventory:warehouses"), {}),
                            (reverse("inventory:reports"), {"period": "month"})):
            with django_assert_max_num_queries(14):
                assert client.get(url, {"page_size": 100, **params}).status_code == 200
        with django_assert_max_num_queries(26):  # the home page: one COUNT per tile, the same for 3 or 60 rows
            assert client.get(reverse("home")).status_code == 200
        # Documents with one line per SKU: their pages (with a put-away form per line) do not grow either.
        po = services.create_purchase_order(actor=None, supplier="S", warehouse=hz,
                                            lines=[LineInput(sku, 3) for sku in skus])
        receipt = services.create_receipt(
            actor=None, purchase_order=po, delivery_note_number="D1", received_on=clock.today(), post=True,
            lines=[services.ReceiptLineInput(sku, received=3, location="RCV-01") for sku in skus])
        stocktake = services.start_stocktake(actor=None, warehouse=jdw)
        for url in (reverse("inventory:receipt_detail", args=[receipt.number]),
                    reverse("inventory:purchase_order_detail", args=[po.number]),
                    reverse("inventory:receipt_create", args=[po.number]),
                    reverse("inventory:transfer_detail", args=[transfer.number]),
                    reverse("inventory:stocktake_detail", args=[stocktake.number]),
                    reverse("inventory:sku_stock", args=[skus[0].code])):
            with django_assert_max_num_queries(16):
                assert client.get(url, {"page_size": 100}).status_code == 200


def test_demo_warehouse_loads_once(make_sku, client_for):
    """The demo needs SKUs; with them it builds both warehouses, two lots per SKU, sales, a transfer in transit and
    a count awaiting approval, with books that agree; a second run does nothing."""
    from shopdesk.channels.services import add_shop
    from shopdesk.inventory.demo import load_inventory_demo
    from shopdesk.inventory.models import Lot, PurchaseOrder, Stocktake, Transfer

    assert load_inventory_demo() is False  # no SKUs yet
    for code, platform in (("tmall-flagship", "tmall"), ("jd-store", "jd")):
        add_shop(actor=None, code=code, platform=platform, name=code)
    for i in range(14):
        make_sku(f"DEMO-{i:02d}", cost="20.00")
    assert load_inventory_demo() is True
    assert load_inventory_demo() is False
    assert engine.verify_ledger() == []
    hz = Warehouse.objects.get(code="HZ")
    assert Location.objects.filter(warehouse=hz).count() == 20
    assert list(Warehouse.objects.get(code="JDQ").shops.values_list("code", flat=True)) == ["jd-store"]
    assert PurchaseOrder.objects.filter(state="closed").count() == 1
    two_lots = Lot.objects.filter(sku__code="DEMO-05", quantity__gt=0).values_list("received_on", flat=True)
    assert len(set(two_lots)) == 2
    assert Transfer.objects.filter(state="in_transit").count() == 1
    assert Stocktake.objects.filter(state="submitted").count() == 1
    health = client_for("merchandiser").get(reverse("inventory:health")).content.decode()
    import re

    counts = [int(c) for c in re.findall(r'<span class="count">(\d+)</span>', health)]
    assert counts[0] == 3 and counts[1] == 3 and counts[2] >= 1 and counts[3] >= 1  # out, low, over, slow
    home = client_for("warehouse").get(reverse("home")).content.decode()
    assert 'data-tile="inventory_put_away"' in home
