"""Warehouse printing throughput (shopdesk.fulfillment.printing): one batch of N orders printed three ways.

N synthetic orders (default 1,000; fixed seed, so every run prints the same paper) with Chinese names, mobile and
sometimes landline phones, province-city-district addresses, 1-4 lines each, some buyer messages, flagged notes,
greeting cards and cash-on-delivery amounts. Timed with time.perf_counter, each in this process, one after the
other:
  pick list       pick_rows over all the batch's lines, then render_pick_list (A4)
  dispatch notes  render_dispatch_notes, one or more A4 pages per order
  labels          render_labels, one 100 x 180 mm page per order
Reported: seconds and pages of each, pages_per_second (all pages / all seconds) and the size of each PDF in bytes.
Building the synthetic data is not timed; ReportLab's first import and font registration happen before the clock.

`python bench/_fulfilment_print.py [N]` prints the report as JSON. Nothing heavy is imported at the top: the printing
module (and ReportLab) is imported by run().
"""

from __future__ import annotations

import json
import random
import re
import sys
import time

DEFAULT_ORDERS = 1000
SEED = 20250101

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
             "曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦")
_GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华"
          "玉兰萍红娥玲芬燕梅鹏飞雪婷宇浩然子轩梓涵欣怡思远佳琪雨桐")
_PLACES = [
    ("浙江省", "杭州市", ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区")),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区")),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区")),
    ("江苏省", "南京市", ("玄武区", "秦淮区", "鼓楼区", "江宁区")),
    ("上海市", "上海市", ("浦东新区", "徐汇区", "静安区", "闵行区")),
    ("北京市", "北京市", ("朝阳区", "海淀区", "东城区", "丰台区")),
    ("四川省", "成都市", ("武侯区", "锦江区", "青羊区", "高新区")),
    ("湖北省", "武汉市", ("洪山区", "江汉区", "武昌区")),
    ("新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区")),
]
_STREETS = ("文三路", "解放路", "人民大道", "建国路", "中山北路", "科技园南路", "长江路", "学院路", "幸福里",
            "世纪大道")
_BUILDINGS = ("华星时代广场", "阳光花园", "锦绣江南小区", "万科城", "金地中心", "创业大厦", "翠苑三区", "城市之光")
_PRODUCTS = [
    ("连衣裙", ("红色", "黑色", "杏色"), ("S", "M", "L", "XL")),
    ("纯棉短袖T恤", ("白色", "灰色", "藏青"), ("M", "L", "XL", "XXL")),
    ("高腰牛仔裤", ("浅蓝", "深蓝"), ("26", "27", "28", "29", "30")),
    ("羊毛针织开衫", ("米白", "驼色"), ("均码",)),
    ("运动休闲鞋", ("黑白", "全白"), ("36", "37", "38", "39", "40", "41", "42")),
    ("防晒渔夫帽", ("卡其", "黑色"), ("均码",)),
    ("真丝围巾 印花 礼盒装", ("蓝色", "粉色"), ("180x70cm",)),
]
_CARRIERS = (("顺丰速运", "SF"), ("中通快递", "ZT"), ("圆通速递", "YT"), ("韵达快递", "YD"), ("京东物流", "JD"))
_MESSAGES = ("请尽快发货，谢谢！", "周末不在家，请放快递柜", "送人的，不要放价格单", "麻烦发顺丰，运费我补",
             "尺码偏小的话帮我换大一码 <急> & 谢谢")
_FLAGS = ("赠品：小样两份", "不要放发票", "加急：今天必须发出", "换货单，回收旧件")


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phones(rng: random.Random) -> tuple[str, ...]:
    mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
    if rng.random() < 0.15:
        return mobile, f"0{rng.choice(('571', '755', '20', '25', '10'))}-{rng.randrange(10**7, 10**8)}"
    return (mobile,)


def _address(rng: random.Random) -> str:
    province, city, districts = rng.choice(_PLACES)
    return (f"{province} {city} {rng.choice(districts)} {rng.choice(_STREETS)}{rng.randrange(1, 999)}号"
            f"{rng.choice(_BUILDINGS)}{rng.randrange(1, 30)}栋{rng.randrange(101, 2999)}室")


def build(n_orders: int, seed: int = SEED):
    """(pick items, dispatch notes, labels) for n synthetic orders."""
    from datetime import datetime, timedelta
    from decimal import Decimal

    from shopdesk.fulfillment.printing import DispatchNote, Label, NoteLine, Party, PickItem

    rng = random.Random(seed)
    sender = Party("优选服饰旗舰店仓库", ("400-820-8820",), "广东省 广州市 白云区 太和镇 华南物流园3号仓")
    skus = []  # about 500 SKUs: 6 styles of each product, their colours and sizes, spread over 5 zones
    for p, (title, colours, sizes) in enumerate(_PRODUCTS):
        for style in range(6):
            for c, colour in enumerate(colours):
                for s, size in enumerate(sizes):
                    zone = "ABCDE"[(p + style) % 5]
                    shelf = (p * 11 + style * 5 + c * 3 + s) % 40 + 1
                    skus.append((f"YX{p + 1:02d}{style}{c + 1}{s + 1:02d}", f"{title} {style + 1}号款",
                                 f"颜色:{colour};尺码:{size}", zone, f"{zone}-{shelf}-{s % 4 + 1}"))
    items, notes, labels = [], [], []
    for n in range(n_orders):
        order_no = f"{4100000000000000000 + n * 7919:019d}"
        carrier, prefix = rng.choice(_CARRIERS)
        tracking = f"{prefix}{rng.randrange(10**12, 10**13)}"
        receiver = Party(_name(rng), _phones(rng), _address(rng))
        lines = []
        for sku, title, props, zone, location in rng.sample(skus, rng.randint(1, 4)):
            quantity = rng.choice((1, 1, 1, 2, 3))
            lines.append(NoteLine(sku, title, props, quantity, location))
            items.append(PickItem(order_no, zone, location if rng.random() > 0.02 else "", sku, title, props,
                                  quantity))
        message = rng.choice(_MESSAGES) if rng.random() < 0.3 else ""
        flags = tuple(rng.sample(_FLAGS, rng.randint(1, 2))) if rng.random() < 0.1 else ()
        summary = "；".join(
            f"{line.title} {line.properties.replace('颜色:', '').replace(';尺码:', ' ')} ×{line.quantity}"
            for line in lines)
        notes.append(DispatchNote(order_no=order_no, shop_name="优选服饰旗舰店",
                                  paid_at=datetime(2025, 1, 1, 8, 0) + timedelta(minutes=n * 3),
                                  buyer_platform_id=f"tb{rng.randrange(10**8):08d}", receiver=receiver,
                                  lines=tuple(lines), buyer_message=message, flagged_notes=flags, carrier=carrier,
                                  tracking_no=tracking, greeting_card="生日快乐！" if rng.random() < 0.05 else "",
                                  invoice_title="杭州某某科技有限公司" if rng.random() < 0.05 else ""))
        cod = Decimal(rng.randrange(1990, 59900)) / 100 if rng.random() < 0.05 else None
        labels.append(Label(order_no=order_no, shop_name="优选服饰旗舰店", carrier=carrier, tracking_no=tracking,
                            sender=sender, receiver=receiver, items_summary=summary, cod_amount=cod,
                            buyer_message=message))
    return items, notes, labels


_PAGE = re.compile(rb"/Type /Page(?!\w)")


def _pages(pdf: bytes) -> int:
    """Pages of a ReportLab PDF (its page objects are never inside compressed object streams)."""
    return len(_PAGE.findall(pdf))


def run(n_orders: int = DEFAULT_ORDERS) -> dict:
    from datetime import datetime

    from shopdesk.fulfillment import printing

    items, notes, labels = build(n_orders)
    printing.render_labels(labels[:1])  # font registration and first-use caches outside the clock
    report: dict = {"orders": n_orders}
    sizes: dict = {}

    start = time.perf_counter()
    rows = printing.pick_rows(items)
    pdf = printing.render_pick_list(batch_no="PK20250101-0001", warehouse="广州白云仓",
                                    created_at=datetime(2025, 1, 1, 8, 0), order_count=n_orders, rows=rows)
    report["pick_list_seconds"] = round(time.perf_counter() - start, 3)
    report["pick_list_pages"] = _pages(pdf)
    report["pick_list_stops"] = len(rows)
    sizes["pick_list"] = len(pdf)

    start = time.perf_counter()
    pdf = printing.render_dispatch_notes(notes)
    report["dispatch_notes_seconds"] = round(time.perf_counter() - start, 3)
    report["dispatch_notes_pages"] = _pages(pdf)
    sizes["dispatch_notes"] = len(pdf)

    start = time.perf_counter()
    pdf = printing.render_labels(labels)
    report["labels_seconds"] = round(time.perf_counter() - start, 3)
    report["labels_pages"] = _pages(pdf)
    sizes["labels"] = len(pdf)

    pages = report["pick_list_pages"] + report["dispatch_notes_pages"] + report["labels_pages"]
    seconds = report["pick_list_seconds"] + report["dispatch_notes_seconds"] + report["labels_seconds"]
    report["pages_per_second"] = round(pages / seconds, 1) if seconds else None
    report["pdf_bytes"] = sizes
    return report


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ORDERS), ensure_ascii=False, indent=2))
