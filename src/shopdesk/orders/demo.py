"""Demo orders: a day's work in every state, made through the services so the audit trail and stock read as in real
use. Unpaid orders to remind, orders verified automatically, orders waiting for a person (buyer messages, COD), out
of stock and unmapped exceptions, a brushing cluster (one phone, many accounts), orders in the warehouse, shipped and
completed orders, a cancellation with its refund task, an address change after printing with its recall task, a
discount waiting for the manager's approval.

`load_orders_demo()` is idempotent (nothing once demo orders exist) and needs the catalog and inventory demos.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from shopdesk.catalog.models import Listing
from shopdesk.channels.importers import LineRecord, OrderRecord
from shopdesk.channels.models import Shop
from shopdesk.core import clock
from shopdesk.orders import services
from shopdesk.orders.models import Order, UnreachableArea

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
PLACES = [("浙江省", "杭州市", "西湖区"), ("上海", "上海市", "浦东新区"), ("广东省", "深圳市", "南山区"),
          ("江苏省", "南京市", "鼓楼区"), ("北京", "北京市", "朝阳区"), ("四川省", "成都市", "武侯区"),
          ("河南省", "郑州市", "金水区"), ("湖北省", "武汉市", "洪山区"), ("新疆维吾尔自治区", "乌鲁木齐市", "天山区")]
STREETS = ["文三路", "中山路", "解放路", "人民路", "建设路", "和平路", "科技园路", "长江路"]
MESSAGES = ["尺码偏小吗？要大一码", "请发顺丰", "周末送货", "送人的，不要放发票", "能不能快点发货"]


def _user(username):
    return get_user_model().objects.filter(username=username).first()


class DemoOrders:
    """Makes demo orders through the services: random buyers and places, lines from the shop's listings."""

    def __init__(self, seed: int, *, prefix_day: int = 20261122000):
        self.rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
        self.now = clock.now()
        self.shops = {s.code: s for s in Shop.objects.all()}
        self.listings = {code: list(Listing.objects.filter(shop=shop, status="listed").select_related("sku__product")
                                    .order_by("id")) for code, shop in self.shops.items()}
        self.prefix_day = prefix_day
        self.serial = 0

    def make(self, shop_code, *, status="paid", hours_ago=3.0, lines=1, message="", cod=False, buyer=None,
             mobile=None, place=None, street=None, quantity=1, code=None, paid_after=timedelta(minutes=6),
             price=None):
        rng = self.rng
        shop = self.shops.get(shop_code)
        if shop is None or not self.listings.get(shop_code):
            return None
        self.serial += 1
        n = self.serial
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        province, city, district = place or rng.choice(PLACES[:-1])
        picked = rng.sample(self.listings[shop_code], k=min(lines, len(self.listings[shop_code])))
        line_records = []
        for i, listing in enumerate(picked):
            unit = price if price is not None else (listing.channel_price or listing.sku.price or Decimal("59.00"))
            line_records.append(LineRecord(i + 2, code or listing.channel_sku_code, listing.sku.product.name, "",
                                           quantity, Decimal(unit)))
        goods = sum((ln.unit_price * ln.quantity for ln in line_records), Decimal("0"))
        ordered_at = self.now - timedelta(hours=hours_ago)
        prefix = {"jd-store": "3012", "own-site": "SD"}.get(shop_code, "5552")
        record = OrderRecord(
            line_no=2, platform_order_no=f"{prefix}{self.prefix_day + n:014d}", status=status, platform_status="",
            buyer_platform_id=buyer or f"tb{rng.randint(10**8, 10**9 - 1)}", buyer_name=name,
            mobile=mobile or f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}", province=province, city=city,
            district=district, address_detail=f"{street or rng.choice(STREETS)}{rng.randint(1, 999)}号",
            postcode="310000", goods_amount=goods, shipping_fee=Decimal("0"),
            paid_amount=goods if status != "unpaid" else Decimal("0"), ordered_at=ordered_at,
            paid_at=ordered_at + paid_after if status != "unpaid" else None, buyer_message=message, is_cod=cod,
            lines=line_records)
        return services.create_order(actor=None, shop=shop, record=record, source="import")

    def delivered(self, shop_code, days_ago: int, *, keeper=None, **kw):
        """An order of `days_ago` days before today, through the warehouse, signed for `days_ago` days ago; None
        when the automatic review holds it (the demo then skips it)."""
        order = self.make(shop_code, hours_ago=24 * (days_ago + 3), **kw)
        if order is None or order.status != "verified":
            return None
        order = services.mark_printed(actor=keeper, order=order, batch="B-HISTORY")
        order = services.mark_picked(actor=keeper, order=order)
        order = services.mark_packed(actor=keeper, order=order)
        order = services.ship_order(actor=keeper, order=order, carrier=order.carrier or "中通快递",
                                    tracking_no=f"7{self.rng.randint(10**10, 10**11 - 1)}")
        return services.mark_delivered(actor=None, order=order,
                                       delivered_at=self.now - timedelta(days=days_ago, hours=2))


def load_orders_demo() -> bool:
    if Order.objects.exists() or not Listing.objects.exists():
        return False
    factory = DemoOrders(20261122)
    rng, make = factory.rng, factory.make
    cs, cs2, keeper = _user("chenjing"), _user("hemei"), _user("zhoujie")
    UnreachableArea.objects.get_or_create(carrier="中通快递", province="新疆维吾尔自治区", city="", district="")

    # Unpaid orders to remind (催付), one already reminded.
    for hours in (0.5, 2, 5, 20):
        make("tmall-flagship", status="unpaid", hours_ago=hours)
    reminded = make("taobao-store", status="unpaid", hours_ago=8)
    if reminded:
        services.remind_payment(actor=cs, order=reminded)
    # Paid orders: most pass the automatic review; messages and COD wait for a person.
    for shop_code in ("tmall-flagship", "taobao-store", "jd-store", "own-site"):
        for _ in range(5):
            make(shop_code, hours_ago=rng.uniform(1, 10), lines=rng.choice([1, 1, 2]))
    for message in MESSAGES[:4]:
        make("tmall-flagship", message=message, hours_ago=rng.uniform(1, 6))
    make("taobao-store", cod=True)
    make("tmall-flagship", place=PLACES[-1])  # 中通 does not reach: falls back to E邮宝
    # Exceptions: a line the shop has not mapped, and more than the stock holds.
    make("taobao-store", code="TB-UNKNOWN-001")
    make("tmall-flagship", quantity=500)
    # A brushing cluster: one phone, three accounts, tiny amounts.
    for i in range(3):
        make("taobao-store", buyer=f"shuadan{i}", mobile="13900001234", price=Decimal("0.01"), hours_ago=4 - i)
    # In the warehouse and beyond.
    verified = list(Order.objects.filter(status="verified").order_by("id"))
    for i, order in enumerate(verified[:9]):
        order = services.mark_printed(actor=keeper, order=order, batch=f"B{clock.today():%Y%m%d}-01")
        if i >= 3:
            order = services.mark_picked(actor=keeper, order=order)
        if i >= 5:
            order = services.mark_packed(actor=keeper, order=order)
        if i >= 7:
            order = services.ship_order(actor=keeper, order=order, carrier=order.carrier or "中通快递",
                                        tracking_no=f"7{rng.randint(10**10, 10**11 - 1)}")
        if i == 8:
            order = services.mark_delivered(actor=None, order=order)
    printed = Order.objects.filter(status="printed").first()
    if printed:
        services.change_address(actor=cs, order=printed, buyer_name=printed.buyer_name, mobile=printed.mobile,
                                landline="", province=printed.province, city=printed.city,
                                district=printed.district, address_detail=printed.address_detail + "（改到单位）",
                                postcode=printed.postcode)
    waiting = Order.objects.filter(status="verified").order_by("-id")
    if waiting.count() >= 2:
        services.cancel_order(actor=cs, order=waiting[0], reason="买家拍错了尺码，重新下单")
        unpaid = Order.objects.filter(status="unpaid", shop__code="tmall-flagship").order_by("-id").first()
        if unpaid:
            services.change_discount(actor=cs2, order=unpaid, discount=(unpaid.goods_amount * Decimal("0.2"))
                                     .quantize(Decimal("0.01")), reason="老客户第三次购买，申请八折")
    return True
