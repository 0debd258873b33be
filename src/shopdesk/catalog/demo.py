"""Demo assortment of a lingerie / underwear brand (安之伴): brands, categories with attributes, ~20 products with
colour/size SKUs and barcodes, photos, listings on the demo shops, and a few price changes.

`load_catalog_demo()` is idempotent (it does nothing when products exist) and writes through the services, so the audit
trail fills the way real use does. Some products are deliberately incomplete (short title, one photo, missing
attribute, no price) so the listing stars vary. `shopdesk.demo` calls it after shops and staff exist.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction

from shopdesk.catalog import services
from shopdesk.catalog.models import Brand, Category, Product

BRAND = "安之伴"

CATEGORIES: dict[str, list[tuple[str, bool, str]]] = {
    # category: [(attribute, required, choices)]
    "文胸": [("面料", True, ""), ("罩杯", True, "1/2杯,3/4杯,全罩杯"), ("适用季节", True, "春夏,秋冬,四季"),
           ("钢圈", False, "有钢圈,无钢圈")],
    "内裤": [("面料", True, ""), ("腰型", True, "低腰,中腰,高腰"), ("适用季节", True, "春夏,秋冬,四季")],
    "睡衣": [("面料", True, ""), ("袖长", True, "无袖,短袖,长袖"), ("适用季节", True, "春夏,秋冬,四季")],
    "家居服": [("面料", True, ""), ("适用季节", True, "春夏,秋冬,四季")],
}

COLOUR_CODES = {"肤色": "SK", "黑色": "BK", "酒红": "WR", "粉色": "PK", "白色": "WH", "灰色": "GY", "藏青": "NV",
                "珊瑚红": "CR", "浅蓝": "LB", "香槟": "CH"}
COLOUR_RGB = {"肤色": (236, 200, 170), "黑色": (40, 40, 44), "酒红": (128, 24, 48), "粉色": (244, 170, 190),
              "白色": (245, 245, 240), "灰色": (150, 150, 155), "藏青": (30, 40, 90), "珊瑚红": (240, 110, 90),
              "浅蓝": (160, 200, 235), "香槟": (230, 210, 170)}
BRA_SIZES = ["70B", "75B", "80B", "75C", "80C"]
CLOTHES_SIZES = ["M", "L", "XL"]

FULL_DESCRIPTION = (
    "<h3>商品规格</h3><p>尺码：{sizes}；颜色：{colours}。请参照尺码表选择，拿不准时可咨询客服。</p>"
    "<h3>材质</h3><p>面料：{material}，亲肤透气，贴身穿着柔软不闷热。</p>"
    "<h3>洗涤说明</h3><p>建议30℃以下手洗，不可漂白，阴干，勿暴晒；文胸请使用洗衣袋。</p>"
    "<h3>包装</h3><p>独立包装盒＋防尘袋，送礼自用皆宜。</p>"
    "<h3>售后</h3><p>质量问题7天包退换，运费由本店承担；贴身衣物拆封试穿后非质量问题不退换。</p>"
)


@dataclass
class DemoProduct:
    item: str
    name: str
    title: str
    category: str | None
    attrs: dict
    price: str
    member: str | None
    vip: str | None
    cost: str
    grams: int
    colours: list[str]
    sizes: list[str]
    images: int = 3
    description: str = "full"  # full, short, none
    flags: set[str] = field(default_factory=set)
    jd: bool = False  # the JD shop sells its own range (000:267)


PRODUCTS: list[DemoProduct] = [
    DemoProduct("AZB-B001", "无钢圈文胸", "安之伴无钢圈文胸女纯棉舒适小胸聚拢 肤色黑色酒红 3/4杯内衣", "文胸",
                {"面料": "纯棉", "罩杯": "3/4杯", "适用季节": "四季", "钢圈": "无钢圈"}, "129", "119", "109", "42",
                120, ["肤色", "黑色", "酒红"], BRA_SIZES[:3] + ["75C"], images=4, flags={"is_key_product"}, jd=True),
    DemoProduct("AZB-B002", "蕾丝聚拢文胸", "安之伴蕾丝聚拢文胸 性感酒红黑色 有钢圈调整型收副乳内衣", "文胸",
                {"面料": "锦纶蕾丝", "罩杯": "3/4杯", "适用季节": "四季", "钢圈": "有钢圈"}, "159", "149", "139",
                "55", 130, ["酒红", "黑色"], BRA_SIZES, images=3, jd=True),
    DemoProduct("AZB-B003", "运动文胸", "运动文胸", "文胸", {"面料": "锦纶", "罩杯": "全罩杯", "适用季节": "四季"},
                "99", None, None, "30", 110, ["黑色", "灰色"], CLOTHES_SIZES, images=1, description="short"),
    DemoProduct("AZB-B004", "哺乳文胸", "安之伴哺乳文胸 孕妇前开扣 纯棉无钢圈 肤色", "文胸",
                {"面料": "纯棉", "适用季节": "四季"}, "119", "109", None, "38", 115, ["肤色", "白色"],
                BRA_SIZES[:4], images=2, jd=True),
    DemoProduct("AZB-B005", "美背文胸", "安之伴美背文胸女 冰丝无痕 香槟色黑色 一片式3/4杯 新款", "文胸",
                {"面料": "冰丝", "罩杯": "3/4杯", "适用季节": "春夏", "钢圈": "无钢圈"}, "139", "129", "119", "45",
                100, ["香槟", "黑色"], BRA_SIZES[:3], images=3, flags={"is_new"}, jd=True),
    DemoProduct("AZB-B006", "大码全罩杯文胸", "安之伴大码全罩杯文胸 纯棉薄款 防下垂 肤色藏青", "文胸",
                {"面料": "纯棉", "罩杯": "全罩杯", "适用季节": "四季", "钢圈": "有钢圈"}, "149", "139", None, "50",
                140, ["肤色", "藏青"], ["80C", "85C", "90C", "85D"], images=2, description="short"),
    DemoProduct("AZB-P001", "纯棉三角内裤", "安之伴纯棉三角内裤女 中腰透气抗菌裆 肤色黑色粉色 3条装", "内裤",
                {"面料": "纯棉", "腰型": "中腰", "适用季节": "四季"}, "39", "35", "32", "12", 90,
                ["肤色", "黑色", "粉色"], CLOTHES_SIZES, images=4, flags={"is_hygiene", "is_key_product"}),
    DemoProduct("AZB-P002", "莫代尔平角内裤", "安之伴莫代尔平角内裤女 高腰收腹 无痕防走光 灰色黑色", "内裤",
                {"面料": "莫代尔", "腰型": "高腰", "适用季节": "四季"}, "49", "45", None, "15", 80,
                ["灰色", "黑色"], CLOTHES_SIZES, images=3, flags={"is_hygiene"}),
    DemoProduct("AZB-P003", "蕾丝低腰内裤", "安之伴蕾丝低腰内裤 性感酒红 特价清仓", "内裤",
                {"面料": "蕾丝", "腰型": "低腰", "适用季节": "春夏"}, "29", None, None, "9", 60,
                ["酒红", "黑色"], CLOTHES_SIZES, images=2, description="short",
                flags={"is_hygiene", "is_special_price"}),
    DemoProduct("AZB-P004", "无痕冰丝内裤", "安之伴无痕冰丝内裤女 夏季薄款一片式 肤色", "内裤",
                {"面料": "冰丝", "腰型": "中腰", "适用季节": "春夏"}, "35", "32", None, "10", 50, ["肤色", "白色"],
                CLOTHES_SIZES, images=0, flags={"is_hygiene", "is_new"}),
    DemoProduct("AZB-P005", "生理期防漏内裤", "安之伴生理期防漏内裤 纯棉高腰 经期安心裤 黑色", "内裤",
                {"面料": "纯棉", "腰型": "高腰", "适用季节": "四季"}, "45", "42", None, "14", 85, ["黑色"],
                CLOTHES_SIZES, images=3, flags={"is_hygiene"}),
    DemoProduct("AZB-P006", "儿童纯棉内裤", "安之伴儿童纯棉内裤 女童平角 粉色浅蓝 4条装", "内裤",
                {"面料": "纯棉", "腰型": "中腰"}, "59", None, None, "18", 120, ["粉色", "浅蓝"],
                ["110", "120", "130", "140"], images=1, flags={"is_hygiene"}),
    DemoProduct("AZB-S001", "莫代尔睡衣套装", "安之伴莫代尔睡衣套装女 长袖春秋薄款 藏青粉色", "睡衣",
                {"面料": "莫代尔", "袖长": "长袖", "适用季节": "四季"}, "199", "179", "169", "68", 380,
                ["藏青", "粉色"], CLOTHES_SIZES, images=5, flags={"is_key_product"}, jd=True),
    DemoProduct("AZB-S002", "真丝吊带睡裙", "安之伴真丝吊带睡裙 桑蚕丝性感睡衣 香槟黑色", "睡衣",
                {"面料": "桑蚕丝", "袖长": "无袖", "适用季节": "春夏"}, "399", "369", "349", "150", 180,
                ["香槟", "黑色"], CLOTHES_SIZES, images=3, jd=True),
    DemoProduct("AZB-S003", "法兰绒睡衣套装", "安之伴法兰绒睡衣女冬季加厚家居服套装 珊瑚红", "睡衣",
                {"面料": "法兰绒", "袖长": "长袖", "适用季节": "秋冬"}, "169", "159", None, "60", 650,
                ["珊瑚红", "灰色"], CLOTHES_SIZES, images=2),
    DemoProduct("AZB-S004", "纯棉短袖睡衣", "安之伴纯棉短袖睡衣女夏 卡通可爱两件套 浅蓝粉色", "睡衣",
                {"面料": "纯棉", "袖长": "短袖", "适用季节": "春夏"}, "129", "119", None, "45", 320,
                ["浅蓝", "粉色"], CLOTHES_SIZES, images=3, flags={"is_new"}),
    DemoProduct("AZB-H001", "纯棉家居服套装", "安之伴纯棉家居服套装 宽松休闲可外穿 灰色藏青", "家居服",
                {"面料": "纯棉", "适用季节": "四季"}, "179", "165", None, "62", 450, ["灰色", "藏青"],
                CLOTHES_SIZES, images=3),
    DemoProduct("AZB-H002", "加厚珊瑚绒家居服", "珊瑚绒家居服", "家居服", {"面料": "珊瑚绒"}, "219", None, None,
                "80", 900, ["珊瑚红", "灰色"], CLOTHES_SIZES, images=1, description="none"),
    DemoProduct("AZB-H003", "针织开衫家居服", "安之伴针织开衫家居服 春夏薄款 白色浅蓝 新品预售", "家居服",
                {"面料": "针织棉", "适用季节": "春夏"}, "0", None, None, "40", 300, ["白色", "浅蓝"],
                CLOTHES_SIZES, images=2, flags={"is_new"}),
    DemoProduct("AZB-G001", "内衣洗衣袋", "内衣洗衣袋 赠品", None, {}, "9.9", None, None, "2", 30, ["白色"],
                ["均码"], images=1, description="short", flags={"is_gift"}),
]

# shop code -> (channel code prefix, price factor or None for the SKU price)
SHOP_LISTINGS = {
    "tmall-flagship": ("TM-", None),
    "taobao-store": ("", Decimal("0.95")),
    "jd-store": ("JD", None),
    "own-site": ("OS-", Decimal("0.90")),
}


def _ean13(body12: str) -> str:
    digits = [int(d) for d in body12]
    check = (10 - (sum(digits[0::2]) + 3 * sum(digits[1::2])) % 10) % 10
    return body12 + str(check)


def _png(rgb: tuple[int, int, int], size: int = 240, stripe: int = 0) -> bytes:
    """A small solid-colour PNG (with a lighter band per photo number), built without an imaging library."""
    light = tuple(min(255, c + 40) for c in rgb)
    band_top = (stripe * 37) % (size - 40)
    rows = []
    for y in range(size):
        colour = light if band_top <= y < band_top + 24 else rgb
        rows.append(b"\x00" + bytes(colour) * size)
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _description(p: DemoProduct) -> str:
    if p.description == "none":
        return ""
    if p.description == "short":
        return f"<p>{p.name}，舒适好穿。</p>"
    return FULL_DESCRIPTION.format(sizes="/".join(p.sizes), colours="/".join(p.colours),
                                   material=p.attrs.get("面料", ""))


def load_catalog_demo() -> bool:
    """Create the demo catalog; returns False (doing nothing) when the catalog already has products."""
    if Product.objects.exists():
        return False
    with transaction.atomic():
        brand = Brand.objects.filter(name=BRAND).first() or services.create_brand(actor=None, name=BRAND)
        if not Brand.objects.filter(name="棉之恋").exists():
            services.create_brand(actor=None, name="棉之恋")
        categories = {}
        for sort, (name, attributes) in enumerate(CATEGORIES.items()):
            category = Category.objects.filter(parent=None, name=name).first()
            if category is None:
                category = services.create_category(actor=None, name=name, sort=sort)
                for attr_sort, (attr, required, choices) in enumerate(attributes):
                    services.add_category_attribute(actor=None, category=category, name=attr, required=required,
                                                    choices=choices, sort=attr_sort)
            categories[name] = category
        products = []
        serial = 0
        for p in PRODUCTS:
            skus = []
            for colour in p.colours:
                for size in p.sizes:
                    if len(skus) >= 8:
                        break
                    serial += 1
                    skus.append(services.SkuInput(
                        code=f"{p.item}-{COLOUR_CODES[colour]}-{size}", colour=colour, size=size,
                        barcode=_ean13(f"6923456{serial:05d}")))
            product = services.create_product(
                actor=None, item_number=p.item, name=p.name, skus=skus, title=p.title, brand=brand,
                category=categories.get(p.category) if p.category else None, attributes=p.attrs,
                description=_description(p), cost_price=Decimal(p.cost), list_price=Decimal(p.price),
                member_price=Decimal(p.member) if p.member else None, vip_price=Decimal(p.vip) if p.vip else None,
                weight_grams=p.grams, **{flag: True for flag in p.flags})
            if p.images:
                rgb = COLOUR_RGB[p.colours[0]]
                files = [ContentFile(_png(rgb, stripe=i), name=f"{p.item}-{i + 1}.png") for i in range(p.images)]
                services.add_product_images(actor=None, product=product, files=files)
            products.append((p, product))
        _listings(products)
        _price_changes(products)
    return True


def _listings(products) -> None:
    from shopdesk.channels.models import Shop

    shops = {s.code: s for s in Shop.objects.filter(code__in=SHOP_LISTINGS)}
    jd_serial = 0
    for p, product in products:
        if p.flags & {"is_gift"}:
            continue  # gifts go out with orders, they are not sold
        for code, (prefix, factor) in SHOP_LISTINGS.items():
            shop = shops.get(code)
            if shop is None:
                continue
            if code == "jd-store" and not p.jd:
                continue
            if code == "own-site" and not p.flags & {"is_key_product", "is_new"}:
                continue
            for sku in product.skus.all():
                if code == "jd-store":
                    jd_serial += 1
                    channel_code = f"JD{100023450000 + jd_serial}"
                else:
                    channel_code = f"{prefix}{sku.code}"
                price = (sku.price * factor).quantize(Decimal("0.1")) if factor and sku.price else None
                services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code=channel_code,
                                        channel_price=price, auto_delist=p.item != "AZB-H003")
    # A summer item taken off the Tmall shop by hand for the season.
    from shopdesk.catalog.models import Listing

    for listing in Listing.objects.filter(shop__code="tmall-flagship", sku__product__item_number="AZB-S002")[:2]:
        services.delist_listing(actor=None, listing=listing, reason="换季下架")


def _price_changes(products) -> None:
    """Operations (李娜) lowers prices for a campaign: one within her 10% authority, one beyond it (waits for the
    manager)."""
    from django.contrib.auth import get_user_model

    from shopdesk.catalog.models import Listing

    lina = get_user_model().objects.filter(username="lina", is_active=True).first()
    if lina is None or not lina.has_perm(services.CHANGE_PRICE):
        return
    by_item = {p.item: product for p, product in products}
    listing = Listing.objects.filter(shop__code="tmall-flagship", sku__product=by_item["AZB-B001"]).first()
    if listing is not None:
        services.request_price_change(actor=lina, target=listing, field="channel_price", new_value=Decimal("119"),
                                      reason="618大促 天猫旗舰店让利")
    services.request_price_change(actor=lina, target=by_item["AZB-S003"], field="list_price",
                                  new_value=Decimal("119"), reason="秋冬款换季清仓")
