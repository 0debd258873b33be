"""A Taobao/Tmall seller-centre export pair (ExportOrderList.csv + ExportOrderDetailList.csv) of any size, for the
benchmarks.

The files look like the real export (see the sample pair in the shared data): GBK, CRLF, every header column of the
real files, order numbers written as Excel formulas (`="555200494606748983"`, quoted by csv), Chinese statuses,
addresses as "浙江省 杭州市 西湖区 文三路407号2幢1006室(310000)". Mostly paid orders (买家已付款，等待卖家发货) with
some unpaid, shipped, completed and closed ones; 1-3 lines each; paid 1-15 minutes after ordering. Order numbers,
phones and buyer accounts are distinct and street addresses practically so, so the fake-order rules flag nothing
by accident.

Both files are written row by row: memory does not grow with the number of orders. Same seed, same files.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

ORDER_HEADER = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "总金额", "买家实际支付金额",
    "订单状态", "买家留言", "收货人姓名", "收货地址", "运送方式", "联系电话", "联系手机", "订单创建时间",
    "订单付款时间", "宝贝标题", "宝贝种类", "物流单号", "物流公司", "订单备注", "宝贝总数量", "店铺名称",
    "订单关闭原因", "发票抬头", "是否手机订单",
]
ITEM_HEADER = ["订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注", "订单状态",
               "商家编码"]

PAID = "买家已付款，等待卖家发货"
# (status word, share in percent, paid?, shipped?)
STATUSES = [
    (PAID, 84, True, False),
    ("等待买家付款", 6, False, False),
    ("卖家已发货，等待买家确认", 3, True, True),
    ("交易成功", 4, True, True),
    ("交易关闭", 3, False, False),
]
SHOP_NAME = "丝施品牌旗舰店"

# (family code, title, property template, price in cents, gift)
PRODUCTS = [
    ("BRA", "丝施 无钢圈聚拢调整型文胸 女 舒适透气", "颜色分类:{colour};尺码:{cup}", 12800, False),
    ("BRIEF", "丝施 纯棉中腰女士内裤 3条装", "颜色分类:{colour};尺码:{size}", 3990, False),
    ("PJ", "丝施 冰丝睡衣套装 夏季 短袖", "颜色分类:{colour};尺码:{size}", 15900, False),
    ("BAG", "丝施 真皮斜挎包 女 小方包", "颜色分类:{colour}", 29900, False),
    ("SLIP", "丝施 真丝吊带睡裙 女 性感", "颜色分类:{colour};尺码:{size}", 26900, False),
    ("VEST", "丝施 莫代尔打底背心 女 无袖", "颜色分类:{colour};尺码:{size}", 5900, False),
    ("TEE", "丝施 纯棉圆领短袖T恤 女 宽松", "颜色分类:{colour};尺码:{size}", 7900, False),
    ("SOCK", "丝施 船袜 5双装 赠品款", "颜色分类:{colour}", 1, True),
]
COLOURS = ["混色", "肤色", "黑色", "白色", "酒红", "樱花粉", "焦糖色", "藏青", "浅灰", "豆沙色"]
SIZES = ["S", "M", "L", "XL", "XXL"]
CUPS = ["70B", "75B", "75C", "80B", "80C", "85C"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "小红", "建华", "丹", "玲", "慧", "婷", "雪梅", "晓东", "海燕", "志强",
         "佳怡"]
# (province as Taobao writes it, city, district, postcode)
REGIONS = [
    ("浙江省", "杭州市", "西湖区", "310000"), ("浙江省", "宁波市", "鄞州区", "315100"),
    ("江苏省", "南京市", "鼓楼区", "210000"), ("江苏省", "苏州市", "姑苏区", "215000"),
    ("广东省", "深圳市", "南山区", "518000"), ("广东省", "广州市", "天河区", "510000"),
    ("北京", "北京市", "朝阳区", "100000"), ("北京", "北京市", "海淀区", "100080"),
    ("上海", "上海市", "浦东新区", "200120"), ("上海", "上海市", "徐汇区", "200030"),
    ("天津", "天津市", "南开区", "300100"), ("重庆", "重庆市", "渝中区", "400010"),
    ("四川省", "成都市", "武侯区", "610000"), ("河南省", "郑州市", "金水区", "450000"),
    ("湖北省", "武汉市", "洪山区", "430070"), ("湖南省", "长沙市", "岳麓区", "410000"),
    ("山东省", "青岛市", "市南区", "266000"), ("福建省", "厦门市", "思明区", "361000"),
    ("陕西省", "西安市", "雁塔区", "710000"), ("辽宁省", "沈阳市", "和平区", "110000"),
    ("黑龙江省", "哈尔滨市", "南岗区", "150000"), ("安徽省", "合肥市", "蜀山区", "230000"),
    ("云南省", "昆明市", "五华区", "650000"), ("广西壮族自治区", "南宁市", "青秀区", "530000"),
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区", "830000"), ("内蒙古自治区", "呼和浩特市", "新城区", "010000"),
]
ROADS = ["文三路", "解放路", "人民路", "中山路", "建设路", "和平路", "延安路", "长江路", "黄河路", "学院路", "科技路",
         "青年路", "新华路", "友谊路", "滨江大道", "体育场路"]
MESSAGES = ["请发顺丰", "尺码偏小吗？要大一码", "周末送货", "送人的，不要放发票", "请尽快发货，谢谢"]
CARRIERS = ["中通快递", "圆通速递", "韵达快递", "申通快递"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
                   "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "185",
                   "186", "187", "188", "189", "191", "198", "199"]
START = datetime(2026, 11, 11, 0, 0, 0)  # 双11, local China time as in the export


def make_skus(count: int) -> list[str]:
    """`count` seller codes (商家编码) like the sample's SS-BRA-001-3: one in eight is the gift socks."""
    return [f"SS-{PRODUCTS[k % len(PRODUCTS)][0]}-{k // len(PRODUCTS) + 1:03d}-{k % 5 + 1}" for k in range(count)]


def catalogue(skus: list[str]) -> dict[str, tuple[str, str, int, bool]]:
    """{code: (title, properties, price in cents, gift)} for the codes of `make_skus` (other codes: by position)."""
    out = {}
    for k, code in enumerate(skus):
        family = code.split("-")[1] if code.count("-") >= 2 else ""
        product = next((p for p in PRODUCTS if p[0] == family), PRODUCTS[k % len(PRODUCTS)])
        _family, title, props, cents, gift = product
        out[code] = (title, props.format(colour=COLOURS[k % len(COLOURS)], size=SIZES[k % len(SIZES)],
                                         cup=CUPS[k % len(CUPS)]), cents, gift)
    return out


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _formula(text: str) -> str:
    """How the seller centre writes long numbers so that Excel keeps them as text (the csv module adds the quotes)."""
    return f'="{text}"'


def generate(directory, n_orders: int, *, skus: list[str], seed: int = 1) -> tuple[Path, Path]:
    """Write ExportOrderList.csv and ExportOrderDetailList.csv of `n_orders` orders over `skus` into `directory`;
    returns (orders_path, items_path)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    cat = catalogue(skus)
    goods = [c for c in skus if not cat[c][3]] or list(skus)
    gifts = [c for c in skus if cat[c][3]]
    statuses = [s for s in STATUSES for _ in range(s[1])]
    span = 86400 * max(1.0, n_orders / 100_000)  # about one order a second, at least one day
    step = span / max(n_orders, 1)
    orders_path, items_path = directory / "ExportOrderList.csv", directory / "ExportOrderDetailList.csv"
    with (open(orders_path, "w", encoding="gbk", newline="") as fo,
          open(items_path, "w", encoding="gbk", newline="") as fi):
        orders, items = csv.writer(fo, lineterminator="\r\n"), csv.writer(fi, lineterminator="\r\n")
        orders.writerow(ORDER_HEADER)
        items.writerow(ITEM_HEADER)
        for i in range(n_orders):
            # Distinct by construction: multiplications by numbers prime to the modulus are permutations.
            order_no = str(10**17 + (i * 982_451_653_000_007 + seed * 314_159_265_358_979) % (9 * 10**17))
            word, _share, paid, shipped = rng.choice(statuses)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            buyer = f"tb{(i * 736_481_263 + seed * 271_828_183) % 10**9:09d}" if i % 2 else f"{name}的小店{i}"
            mobile = rng.choice(MOBILE_PREFIXES) + f"{(i * 73_939_133 + seed * 19_260_817) % 10**8:08d}"
            province, city, district, postcode = REGIONS[rng.randrange(len(REGIONS))]
            n = i * 7_368_787 + seed * 1_234_567
            detail = f"{ROADS[n % len(ROADS)]}{n // 16 % 999 + 1}号{n // 15_984 % 30 + 1}幢{n // 479_520 % 28 + 1}" \
                     f"{n // 13_426_560 % 4 + 1:02d}室"
            ordered_at = START + timedelta(seconds=int(i * step + rng.random() * step))
            paid_at = ordered_at + timedelta(seconds=rng.randint(60, 900)) if paid else None

            lines = []
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                code = rng.choice(goods)
                lines.append((code, rng.choice((1, 1, 1, 1, 2, 3))))
            if gifts and rng.random() < 0.1:
                lines.append((rng.choice(gifts), 1))
            goods_cents = sum(cat[code][2] * qty for code, qty in lines)
            post_cents = rng.choice((0, 0, 0, 1000, 1200))
            total = goods_cents + post_cents
            closed = word == "交易关闭"
            tracking = _formula(f"7{rng.randrange(10**11):011d}") if shipped else ""
            orders.writerow([
                _formula(order_no), buyer, "", _money(goods_cents), _money(post_cents), _money(total),
                _money(total if paid else 0), word, rng.choice(MESSAGES) if rng.random() < 0.08 else "", name,
                f"{province} {city} {district} {detail}({postcode})", "快递", "", mobile,
                f"{ordered_at:%Y-%m-%d %H:%M:%S}", f"{paid_at:%Y-%m-%d %H:%M:%S}" if paid_at else "",
                "，".join(cat[code][0] for code, _q in lines), len(lines), tracking,
                rng.choice(CARRIERS) if shipped else "", "", sum(q for _c, q in lines), SHOP_NAME,
                "买家未付款" if closed else "", "杭州某某科技有限公司" if rng.random() < 0.2 else "",
                "手机订单" if rng.random() < 0.6 else "",
            ])
            for code, qty in lines:
                title, props, cents, _gift = cat[code]
                items.writerow([_formula(order_no), title, _money(cents), qty, "", props, "", "", word, code])
    return orders_path, items_path


if __name__ == "__main__":  # python bench/_taobao_gen.py DIR N: a pair to try by hand
    import sys

    print(*generate(sys.argv[1], int(sys.argv[2]), skus=make_skus(40)))
