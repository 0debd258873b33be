"""The demo department: shops on Tmall, Taobao, JD and the own site, a person for every post, the catalog and stock.

`load_demo()` is idempotent: each step checks whether its records exist, so `shopdesk demo` run again on the same
data dir reuses the data. Later modules add their steps (products, stock, orders, cases, reviews, conversations).
All writes go through the services, so the demo also fills the audit trail the way real use does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from shopdesk.channels import services as channel_services
from shopdesk.channels.models import Shop
from shopdesk.core import clock
from shopdesk.staff import services as staff_services
from shopdesk.staff.models import StandIn

DEMO_PASSWORD = "shopdesk-demo"

DEMO_SHOPS = [
    ("tmall-flagship", "tmall", "安之伴天猫旗舰店"),
    ("taobao-store", "taobao", "安之伴淘宝店"),
    ("jd-store", "jd", "安之伴京东自营店"),
    ("own-site", "own_site", "安之伴官网商城"),
]

# username, display name, roles
DEMO_STAFF = [
    ("zhangwei", "张伟", ["manager"]),
    ("lina", "李娜", ["operations"]),
    ("wangfang", "王芳", ["designer"]),
    ("liuyang", "刘洋", ["product_editor"]),
    ("chenjing", "陈静", ["cs_presales"]),
    ("hemei", "何梅", ["cs_presales"]),
    ("yangli", "杨丽", ["cs_aftersales"]),
    ("zhaomin", "赵敏", ["cs_supervisor"]),
    ("huangqiang", "黄强", ["merchandiser"]),
    ("zhoujie", "周杰", ["warehouse"]),
    ("zhengkai", "郑凯", ["warehouse"]),
    ("wuxia", "吴霞", ["finance"]),
    ("xugang", "徐刚", ["trade_sales"]),
    ("sunhong", "孙红", ["trade_manager"]),
    ("mazhen", "马震", ["legal"]),
    ("admin", "系统管理员", ["admin"]),
]

# Which shops each post works on (managers and admins see all).
_SHOPS_BY_ROLE = {
    "operations": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "designer": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "product_editor": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "cs_presales": ["tmall-flagship", "taobao-store"],
    "cs_aftersales": ["tmall-flagship", "taobao-store", "jd-store"],
    "cs_supervisor": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "merchandiser": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "warehouse": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "finance": ["tmall-flagship", "taobao-store", "jd-store", "own-site"],
    "trade_sales": ["own-site"],
    "trade_manager": ["own-site"],
    "legal": ["tmall-flagship", "jd-store"],
}

_DEMO_PHONES = ["13812345678", "13987654321", "13700001111", "15012348888", "18600002222"]


@dataclass
class DemoResult:
    created: bool


def load_demo() -> DemoResult:
    from shopdesk.aftersales.demo import load_aftersales_demo
    from shopdesk.catalog.demo import load_catalog_demo
    from shopdesk.fulfillment.demo_setup import load_carrier_demo
    from shopdesk.inventory.demo import load_inventory_demo
    from shopdesk.orders.demo import load_orders_demo
    from shopdesk.reviews.demo import load_reviews_demo
    from shopdesk.service.demo import load_service_demo
    from shopdesk.service.demo_team import load_team_demo

    created = False
    with transaction.atomic():
        created |= _shops()
        created |= _staff()
        created |= _stand_ins()
        created |= load_catalog_demo()  # products, SKUs, listings, price changes (uses the staff above)
        created |= load_inventory_demo()  # warehouses, receipts in lots, stock, a transfer, a stocktake
        created |= load_carrier_demo()  # carriers (中通 the default), a 中通 number range and price list, blind spots
        created |= load_orders_demo()  # a day's orders in every state, exceptions, a risk cluster, approvals
        created |= load_reviews_demo()  # reviews of every age: each queue of the review workbench has some
        created |= load_aftersales_demo()  # delivered orders of the past weeks with cases and complaints
        created |= load_service_demo()  # conversations beside the demo orders, canned replies, own-site chat widgets
        created |= load_team_demo()  # duty roster with a coverage gap, quality scores, last month's score sheets
    return DemoResult(created=created)


def _shops() -> bool:
    created = False
    for code, platform, name in DEMO_SHOPS:
        if not Shop.objects.filter(code=code).exists():
            channel_services.add_shop(actor=None, code=code, platform=platform, name=name)
            created = True
    return created


def _staff() -> bool:
    User = get_user_model()
    shops = {s.code: s for s in Shop.objects.all()}
    created = False
    for i, (username, name, roles) in enumerate(DEMO_STAFF):
        if User.objects.filter(username=username).exists():
            continue
        shop_codes = sorted({c for r in roles for c in _SHOPS_BY_ROLE.get(r, [])})
        staff_services.create_staff_member(
            actor=None, username=username, roles=roles, password=DEMO_PASSWORD, display_name=name,
            phone=_DEMO_PHONES[i % len(_DEMO_PHONES)], shops=[shops[c] for c in shop_codes if c in shops],
        )
        created = True
    return created


def _stand_ins() -> bool:
    """The after-sales agent is on leave: the manager lets a pre-sales agent stand in for three days."""
    User = get_user_model()
    manager = User.objects.filter(username="zhangwei").first()
    stand_in = User.objects.filter(username="hemei").first()
    if manager is None or stand_in is None or StandIn.objects.filter(user=stand_in).exists():
        return False
    today = clock.today()
    staff_services.grant_stand_in(actor=manager, user=stand_in, role_code="cs_aftersales", starts_on=today,
                                  ends_on=today + timedelta(days=2), reason="杨丽休假,何梅临时代理售后客服")
    return True
