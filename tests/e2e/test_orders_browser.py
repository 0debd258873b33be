"""The order page in a browser: the buyer is masked until "show" (htmx, logged), notes follow, and the page's
scripts run without errors under the Content-Security-Policy."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shopdesk.catalog.models import SKU, Listing, Product
from shopdesk.channels.importers import LineRecord, OrderRecord
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine
from shopdesk.inventory import services as inventory_services
from shopdesk.orders import services

pytestmark = pytest.mark.browser

SHOTS = os.environ.get("SHOPDESK_SCREENSHOTS", "")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _order(shop, lines, **kw) -> object:
    """Two listed SKUs with stock in a warehouse serving the shop, and a paid order of `lines` through the service."""
    wh = inventory_services.create_warehouse(actor=None, code="HZ", name="杭州总仓", priority=10)
    zone = inventory_services.create_zone(actor=None, warehouse=wh, code="A", name="拣货区A")
    inventory_services.create_locations(actor=None, warehouse=wh, zone=zone, codes=["A-01"])
    wh.shops.add(shop)
    for n, code in enumerate(("CH-0001", "CH-0002"), 1):
        product = Product.objects.create(item_number=f"OT-{n}", name=f"测试商品{n}", list_price=Decimal("50"))
        sku = SKU.objects.create(product=product, code=f"SKU-{code}", barcode=f"68{n:011d}")
        Listing.objects.create(shop=shop, sku=sku, channel_sku_code=code)
        engine.receive(sku=sku, location=wh.locations.get(code="A-01"), quantity=10, reference="INIT")
    at = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    records = [LineRecord(i + 2, code, f"商品 {code}", "颜色:黑色", q, Decimal(p))
               for i, (code, q, p) in enumerate(lines)]
    goods = sum((r.unit_price * r.quantity for r in records), Decimal("0"))
    record = OrderRecord(
        line_no=2, platform_order_no="E2E-1", status="paid", platform_status="买家已付款", buyer_platform_id="tb-buyer",
        buyer_name="张三", mobile="13800138000", landline="", province="浙江省", city="杭州市", district="西湖区",
        address_detail="文三路1号", postcode="310000", goods_amount=goods, shipping_fee=Decimal("0"), paid_amount=goods,
        ordered_at=at, paid_at=at + timedelta(minutes=5), buyer_message=kw.get("message", ""),
        seller_remark=kw.get("remark", ""), is_cod=False, chosen_carrier="", lines=records)
    return services.create_order(actor=None, shop=shop, record=record)


def test_unmask_on_the_order_page(page, login, live_server, make_user, shop):
    make_user("cs_presales", username="kefu", display_name="小王", shops=[shop])
    order = _order(shop, [("CH-0001", 2, "50.00"), ("CH-0002", 1, "30.00"), ("NOPE", 1, "9.90")],
                   message="请周末送货", remark="送小样")
    services.change_address(actor=None, order=order, buyer_name="李四", mobile="13900139000", landline="",
                            province="浙江省", city="杭州市", district="西湖区", address_detail="文三路2号")
    login("kefu")
    page.goto(f"{live_server.url}/orders/")
    page.locator("a", has_text="E2E-1").first.wait_for()
    _shot(page, "order_list")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    block = page.locator("#buyer-block")
    assert "139****9000" in block.inner_text() and "13900139000" not in page.content()
    _shot(page, "order_detail")
    block.locator("button").click()
    page.locator("#buyer-block.unmasked").wait_for()
    assert "13900139000" in page.locator("#buyer-block").inner_text()
    assert "13900139000" in page.locator("#notes-list").inner_text()  # the notes follow (out-of-band swap)
    assert AuditEvent.objects.filter(action="orders.unmask", object_id=str(order.pk)).count() == 1
    page.goto(f"{live_server.url}/orders/{order.pk}/money/?kind=discount")
    _shot(page, "order_money")
    page.goto(f"{live_server.url}/orders/{order.pk}/cancel/")
    _shot(page, "order_cancel")
    assert page.errors == [], page.errors
