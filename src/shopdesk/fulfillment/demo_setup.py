"""Demo carriers (快递公司): the couriers a Chinese online shop ships with, 中通快递 the default of every demo shop,
a number range for 中通, its price list (首重 + 续重: default, 新疆/西藏, 江浙沪) and a few districts couriers do not
reach; the demo shops' sender and shipping notice. Written through the services, idempotent (nothing once the
carriers exist). Runs before the orders demo, so its orders are verified against these carriers."""

from __future__ import annotations

from shopdesk.channels.models import Shop
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import Carrier, ShopShipping
from shopdesk.orders import services as order_services
from shopdesk.orders.models import ShopOrderRules, UnreachableArea

DEFAULT_CARRIER = "中通快递"
# name, code, services, reaches everywhere
CARRIERS = [
    ("中通快递", "zto", ["标准快递"], False),
    ("圆通速递", "yto", ["标准快递"], False),
    ("申通快递", "sto", ["标准快递"], False),
    ("韵达快递", "yunda", ["标准快递"], False),
    ("顺丰速运", "sf", ["顺丰标快", "顺丰特快"], False),
    ("EMS", "ems", ["标准快递"], False),
    ("E邮宝", "eyb", ["经济快递"], True),
    ("京东物流", "jd", ["特惠送", "特快送"], False),
]
# province, first kg, first fee, step kg, fee per step ("" = every other province)
ZTO_PRICES = [
    ("", "1", "5.00", "1", "2.00"),
    ("新疆维吾尔自治区", "1", "15.00", "1", "10.00"),
    ("西藏自治区", "1", "15.00", "1", "10.00"),
    ("江苏省", "1", "4.00", "1", "1.50"),
    ("浙江省", "1", "4.00", "1", "1.50"),
    ("上海市", "1", "4.00", "1", "1.50"),
]
BLIND_SPOTS = [
    ("中通快递", "西藏自治区", "阿里地区", ""),
    ("圆通速递", "新疆维吾尔自治区", "阿勒泰地区", ""),
    ("申通快递", "西藏自治区", "", ""),
    ("韵达快递", "青海省", "玉树藏族自治州", ""),
    ("京东物流", "新疆维吾尔自治区", "和田地区", "皮山县"),
]
SENDER_ADDRESS = "浙江省杭州市余杭区仓前街道文一西路1号"
NOTICE = "亲，您在{店铺}的订单{订单号}已发出，{快递公司}单号{运单号}，请注意查收。"


def load_carrier_demo() -> bool:
    if Carrier.objects.filter(code="zto").exists():
        return False
    carriers = {}
    for sort, (name, code, kinds, universal) in enumerate(CARRIERS):
        carriers[name] = services.save_carrier(actor=None, name=name, code=code, services=kinds,
                                               is_universal=universal, sort=sort)
    zto = carriers[DEFAULT_CARRIER]
    services.create_range_pool(actor=None, carrier=zto, name="11月号段", first=731200000001, last=731200020000,
                               digits=12)
    for province, first_kg, first_fee, step_kg, step_fee in ZTO_PRICES:
        services.save_price_rule(actor=None, carrier=zto, province=province, first_weight_kg=first_kg,
                                 first_fee=first_fee, extra_unit_kg=step_kg, extra_fee=step_fee)
    for carrier, province, city, district in BLIND_SPOTS:
        if not UnreachableArea.objects.filter(carrier=carrier, province=province, city=city,
                                              district=district).exists():
            services.add_blind_spot(actor=None, carrier=carriers[carrier], province=province, city=city,
                                    district=district)
    for shop in Shop.objects.order_by("id"):
        if not ShopOrderRules.objects.filter(shop=shop).exists():
            order_services.update_rules(actor=None, shop=shop, default_carrier=DEFAULT_CARRIER)
        if not ShopShipping.objects.filter(shop=shop).exists():
            services.update_shop_shipping(actor=None, shop=shop, sender_name=f"{shop.name}（杭州仓）",
                                          sender_phone="0571-88886666", sender_address=SENDER_ADDRESS,
                                          notice_template=NOTICE)
    return True
