"""The counting screen (盘点) driven like a barcode scanner: focus stays in the scan box, each scan adds 1."""

from __future__ import annotations

import pytest

from shopdesk.catalog.models import SKU, Product
from shopdesk.inventory import engine, services
from shopdesk.inventory.models import Location

pytestmark = pytest.mark.browser


@pytest.fixture
def counting(make_user):
    clerk = make_user("warehouse", username="picker", display_name="周杰")
    warehouse = services.create_warehouse(actor=None, code="HZ", name="杭州总仓")
    zone = services.create_zone(actor=None, warehouse=warehouse, code="A", name="拣货区A")
    services.create_locations(actor=None, warehouse=warehouse, zone=zone, codes=["A-01-01"])
    product = Product.objects.create(item_number="WG-1", name="无钢圈文胸")
    sku = SKU.objects.create(product=product, code="WG-1-75B", barcode="6901234567892")
    engine.receive(sku=sku, location=Location.objects.get(code="A-01-01"), quantity=3, reference="PO-1")
    stocktake = services.start_stocktake(actor=clerk, warehouse=warehouse)
    return clerk, stocktake


def test_scanner_counting(page, login, live_server, counting):
    _clerk, stocktake = counting
    login("picker")
    page.goto(f"{live_server.url}/inventory/stocktakes/{stocktake.number}/count/")
    box = page.locator("#scan-code")
    assert page.evaluate("document.activeElement.id") == "scan-code"
    box.type("A-01-01")
    box.press("Enter")
    page.locator(".scan-location", has_text="A-01-01").wait_for()
    for expected in ("1", "2"):
        box.type("6901234567892")
        box.press("Enter")
        page.locator("td.counted strong", has_text=expected).wait_for()
        assert page.evaluate("document.activeElement.id") == "scan-code"  # ready for the next scan
    box.type("0000000000000")
    box.press("Enter")
    page.locator(".scan-error").wait_for()
    assert page.locator("td.counted strong").inner_text() == "2"  # an unknown code counts nothing
    assert page.errors == [], page.errors
    line = stocktake.lines.get()
    assert line.counted == 2 and line.expected == 3
