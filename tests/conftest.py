"""Shared fixtures: people with roles, logged-in clients, API clients with tokens."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from shopdesk.catalog.models import SKU, Listing, Product
from shopdesk.channels.importers import LineRecord, OrderRecord
from shopdesk.channels.models import Shop
from shopdesk.inventory import engine
from shopdesk.inventory import services as inventory_services
from shopdesk.orders import services
from shopdesk.staff import services as staff_services

_seq = itertools.count(1)


@pytest.fixture
def make_user(db):
    """make_user("cs_presales", "warehouse", shops=[shop]) -> a person holding those roles (password shopdesk-test)."""

    def make(*roles, username=None, shops=(), phone="13812345678", display_name=""):
        return staff_services.create_staff_member(
            actor=None, username=username or f"{'-'.join(roles) or 'user'}-{next(_seq)}", roles=list(roles),
            password="shopdesk-test", display_name=display_name, phone=phone, shops=list(shops),
            validate_password=False,
        )

    return make


@pytest.fixture
def english():
    """Run the test in English (the default language is Chinese), for assertions on exact English messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def shop(db):
    from shopdesk.channels.services import add_shop

    return add_shop(actor=None, code="tmall-main", platform="tmall", name="测试天猫店")


@pytest.fixture
def other_shop(db):
    from shopdesk.channels.services import add_shop

    return add_shop(actor=None, code="jd-main", platform="jd", name="测试京东店")


@pytest.fixture
def manager(make_user):
    return make_user("manager", username="manager")


@pytest.fixture
def client_for(client, make_user):
    """client_for("warehouse") -> a Django test client logged in as a new person holding that role."""

    def login(*roles, **kw):
        from django.test import Client

        c = Client()
        user = make_user(*roles, **kw)
        c.force_login(user)
        c.user = user
        return c

    return login


@pytest.fixture
def api_for(make_user):
    """api_for("finance") -> an APIClient authenticating with the person's DRF token."""

    def make(*roles, **kw):
        user = make_user(*roles, **kw)
        key = staff_services.issue_api_token(actor=None, user=user)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        c.user = user
        return c

    return make


__all__ = ["Shop"]


# --- orders: a shop with mapped listings and stock, and an order factory through the services ---

CN = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def warehouse(db, shop):
    wh = inventory_services.create_warehouse(actor=None, code="HZ", name="杭州总仓", priority=10)
    zone = inventory_services.create_zone(actor=None, warehouse=wh, code="A", name="拣货区A")
    inventory_services.create_locations(actor=None, warehouse=wh, zone=zone, codes=["A-01"])
    wh.shops.add(shop)
    return wh


@pytest.fixture
def stocked(db, shop, warehouse):
    """stocked("SS-BRA-1", 5, price="128.00", gift=False) -> a SKU listed in `shop` under that code with 5 units."""

    def make(code=None, quantity=10, *, price="50.00", gift=False, name="测试商品"):
        n = next(_seq)
        code = code or f"CH-{n:04d}"
        product = Product.objects.create(item_number=f"OT-{n:04d}", name=name, list_price=Decimal(price),
                                         is_gift=gift)
        sku = SKU.objects.create(product=product, code=f"SKU-{code}", barcode=f"68{n:011d}")
        Listing.objects.create(shop=shop, sku=sku, channel_sku_code=code)
        if quantity:
            engine.receive(sku=sku, location=warehouse.locations.get(code="A-01"), quantity=quantity,
                           reference="INIT")
        return sku

    return make


def record(no=None, *, status="paid", lines=(("CH-0001", 1, "50.00"),), buyer="tb-buyer", mobile="13800138000",
           province="浙江省", city="杭州市", district="西湖区", detail="文三路1号", message="", remark="",
           paid_amount=None, ordered_at=None, paid_after=timedelta(minutes=5), is_cod=False, chosen_carrier="",
           name="张三", landline=""):
    """An OrderRecord as an importer would yield it."""
    ordered_at = ordered_at or datetime(2026, 11, 22, 9, 0, tzinfo=CN)
    line_records = [LineRecord(i + 2, code, f"商品 {code}", "", qty, Decimal(price))
                    for i, (code, qty, price) in enumerate(lines)]
    goods = sum((ln.unit_price * ln.quantity for ln in line_records), Decimal("0"))
    return OrderRecord(
        line_no=2, platform_order_no=no or f"P{next(_seq):08d}", status=status, platform_status=status,
        buyer_platform_id=buyer, buyer_name=name, mobile=mobile, landline=landline, province=province, city=city,
        district=district, address_detail=detail, postcode="310000", goods_amount=goods, shipping_fee=Decimal("0"),
        paid_amount=goods if paid_amount is None else Decimal(paid_amount), ordered_at=ordered_at,
        paid_at=ordered_at + paid_after if status != "unpaid" else None, buyer_message=message,
        seller_remark=remark, is_cod=is_cod, chosen_carrier=chosen_carrier, lines=line_records)


@pytest.fixture
def make_order(db, shop):
    """make_order(lines=[("CH-0001", 2, "50.00")], status="paid", ...) -> an Order created through the services."""

    def make(no=None, *, for_shop=None, actor=None, **kw):
        return services.create_order(actor=actor, shop=for_shop or shop, record=record(no, **kw))

    return make


@pytest.fixture
def order_record():
    """order_record(no, lines=[...], ...) -> an OrderRecord as an importer would yield it (see `record`)."""
    return record


@pytest.fixture
def cn_time():
    """cn_time(2026, 11, 22, 9, 30) -> an aware China-time datetime."""
    return lambda *parts: datetime(*parts, tzinfo=CN)
