"""Demo customer service, made through the services like real use: conversations with buyers of the demo orders over
the last days, in every state the workbench shows:

- a pre-sale chat that ended in a payment, with the verification message (核实) sent and the buyer's confirmation;
- a buyer who just paid and waits for an answer (a verification message due);
- a buyer bargaining four times (一拒二拉三引四斩), the agent's discount request waiting for the supervisor, and the
  buyer asking again;
- a buyer asking whether the parcel has left, with the shipping notice recorded as due by the warehouse;
- an after-sales quality question answered, tagged, with a private note, waiting for the buyer's photos;
- a tracking question answered and closed two days ago; a browsing buyer thanked and closed;
- a visitor of the own-site chat widget waiting for an answer.

It also installs the standard (shop-wide) canned replies, gives two agents personal replies of their own, and sets up
the chat widget of every own-site shop.

`load_service_demo()` is idempotent (nothing once a conversation exists) and needs the orders demo.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.contrib.auth import get_user_model

from shopdesk.channels.models import Shop
from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.orders.models import Order, Status
from shopdesk.service import services
from shopdesk.service.models import CannedReply, ChatWidget, Conversation

log = logging.getLogger(__name__)

S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

NICKS = ["小鱼儿爱吃糖", "晴天的猫", "jenny_0621", "木子李", "一颗柠檬", "阿花不困", "夏末微凉", "tb_王先生"]
WIDGET_ORIGINS = "https://www.anzhiban.example\nhttps://m.anzhiban.example"
WIDGET_GREETING = "亲，欢迎来到安之伴官网商城！我是在线客服，有什么可以帮您的吗？"


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _play(shop: Shop, buyer: str, nick: str, script, *, order: Order | None = None) -> Conversation | None:
    """Play a chat at its times: ("buyer", text, at), (agent, text, at), ("note", agent, text, at),
    ("verify", agent, at), ("tags", agent, [tags], at), ("close", agent, at)."""
    conversation = None
    for step in script:
        kind, at = step[0], step[-1]
        with clock.freeze(at):
            if kind == "buyer":
                conversation = services.post_buyer_message(actor=None, shop=shop, buyer_id=buyer, text=step[1],
                                                           buyer_nick=nick).conversation
            elif conversation is None:
                continue
            elif kind == "note":
                services.add_note(actor=step[1], conversation=conversation, text=step[2])
            elif kind == "verify":
                services.send_verification(actor=step[1], conversation=conversation, order=order)
            elif kind == "tags":
                services.set_tags(actor=step[1], conversation=conversation, tags=step[2])
            elif kind == "close":
                services.close_conversation(actor=step[1], conversation=conversation)
            else:
                services.post_agent_reply(actor=kind, conversation=conversation, text=step[1])
    return conversation


def _orders(**filters):
    return Order.objects.filter(**filters).exclude(buyer_platform_id="").select_related("shop").order_by("id")


def _free(orders, used: set[tuple[int, str]]):
    """The first order whose buyer has no demo conversation in its shop yet."""
    for order in orders:
        if (order.shop_id, order.buyer_platform_id) not in used:
            used.add((order.shop_id, order.buyer_platform_id))
            return order
    return None


def _replies(supervisor, presales, aftersales) -> None:
    try:
        from shopdesk.service import standard_replies
    except ImportError:  # pragma: no cover - ships with the package
        log.warning("standard replies not available; the demo has only personal replies")
    else:
        standard_replies.install_standard_replies(actor=supervisor)
    if presales is not None and not CannedReply.objects.filter(owner=presales).exists():
        services.create_canned_reply(actor=presales, group="greet", title="陈静的开场白", shortcut="cj",
                                     text="亲，您好！我是{店铺}的客服{客服}，很高兴为您服务，请问看中哪款宝贝了呢？",
                                     intents=["greeting"], personal=True)
        services.create_canned_reply(actor=presales, group="follow_up", title="催付提醒", shortcut="cf",
                                     text="亲，您拍下的{商品}还没有付款哦，库存不多了，付款后我们当天就为您安排发货～",
                                     personal=True)
    if aftersales is not None and not CannedReply.objects.filter(owner=aftersales).exists():
        services.create_canned_reply(actor=aftersales, group="tracking", title="查件先安抚", shortcut="cj",
                                     text="亲，先别着急，我马上帮您查一下{快递公司}单号{运单号}的物流，稍等哦～",
                                     intents=["tracking"], personal=True)


def _widgets(supervisor) -> None:
    for shop in Shop.objects.filter(platform="own_site", is_active=True).order_by("id"):
        if not ChatWidget.objects.filter(shop=shop).exists():
            services.configure_widget(actor=supervisor, shop=shop, enabled=True, allowed_origins=WIDGET_ORIGINS,
                                      greeting=WIDGET_GREETING)


def _shipped_with_notice(keeper):
    """A fresh taobao order taken through the warehouse to the courier, so its shipping notice is due."""
    from shopdesk.fulfillment import services as fulfilment
    from shopdesk.orders import services as order_services
    from shopdesk.orders.demo import DemoOrders

    factory = DemoOrders(20261124, prefix_day=20261124500)
    for _ in range(3):
        order = factory.make("taobao-store", hours_ago=26)
        if order is None or order.status != Status.VERIFIED:
            continue
        order = order_services.mark_printed(actor=keeper, order=order, batch=f"B{clock.today():%Y%m%d}-02")
        order = order_services.mark_picked(actor=keeper, order=order)
        order = order_services.mark_packed(actor=keeper, order=order)
        try:
            fulfilment.ship_parcel(actor=keeper, order=order, carrier=order.carrier or "中通快递",
                                   tracking_no=f"75{factory.rng.randint(10**9, 10**10 - 1)}")
        except ServiceError as exc:  # pragma: no cover - a demo order the warehouse could not ship
            log.warning("demo shipping notice skipped: %s", exc)
            continue
        order.refresh_from_db()
        return order
    return None


def load_service_demo() -> bool:
    if Conversation.objects.exists() or not Order.objects.exists():
        return False
    presales, presales2 = _user("chenjing"), _user("hemei")
    aftersales, supervisor, keeper = _user("yangli"), _user("zhaomin"), _user("zhoujie")
    if presales is None or aftersales is None or supervisor is None:
        return False
    _replies(supervisor, presales, aftersales)
    _widgets(supervisor)
    now = clock.now()
    used: set[tuple[int, str]] = set()

    # 1. Pre-sale questions, the payment, the verification message and the buyer's "对的".
    settled = now - 40 * M
    paid = _free(_orders(shop__code="tmall-flagship", status__in=(Status.PAID, Status.VERIFIED),
                         paid_at__lte=settled), used)
    if paid is not None:
        asked = paid.paid_at - 25 * M
        _play(paid.shop, paid.buyer_platform_id, NICKS[0], [
            ("buyer", "亲，在吗？这款有75B的吗", asked),
            (presales, "亲，您好！欢迎光临安之伴天猫旗舰店，我是客服陈静～75B有现货的哦，请问您平时穿什么尺码呢？",
             asked + 35 * S),
            ("buyer", "平时穿75B，是正品吗？", asked + 2 * M),
            (presales, "亲，我们是品牌官方旗舰店，所有商品都是正品，支持专柜验货，您可以放心购买哦～",
             asked + 2 * M + 40 * S),
            ("buyer", "好的，我拍了", asked + 20 * M),
            (presales, "好的亲，感谢您的支持！付款后我们会尽快为您安排发货～", asked + 20 * M + 25 * S),
            ("verify", presales, paid.paid_at + 3 * M),
            ("buyer", "对的，没问题", paid.paid_at + 6 * M),
            (presales, "好的亲，宝贝今天就为您发出，收到后有任何问题随时联系我们，祝您生活愉快～",
             paid.paid_at + 6 * M + 30 * S),
        ], order=paid)

    # 2. Just paid, waiting for an answer: the verification message is due.
    waiting = _free(_orders(shop__code="tmall-flagship", status__in=(Status.PAID, Status.VERIFIED),
                            paid_at__lte=now - 20 * M), used)
    if waiting is not None:
        _play(waiting.shop, waiting.buyer_platform_id, NICKS[1], [
            ("buyer", "我刚付款了，今天能发货吗？急用", now - 12 * M),
            ("buyer", "麻烦快一点哈", now - 9 * M),
        ])

    # 3. Bargaining, four times: refuse, pull back with the promotion, lead to value, ask the supervisor.
    haggler = _free(_orders(shop__code="taobao-store", status=Status.UNPAID), used)
    if haggler is not None:
        start = now - 55 * M
        conversation = _play(haggler.shop, haggler.buyer_platform_id, NICKS[2], [
            ("buyer", "这个能便宜点吗", start),
            (presales, "亲，不好意思哦，我们是品牌直营，全网统一定价，质量有保证，都是实价销售的～", start + 40 * S),
            ("buyer", "便宜十块钱吧，诚心要", start + 3 * M),
            (presales, "亲，现在店里满199减20，还送一条同款内裤，算下来很划算的哦～", start + 3 * M + 50 * S),
            ("buyer", "再便宜点我就买两件", start + 6 * M),
            (presales, "亲，这款是调整型的，面料和做工都很好，穿着舒服不变形，您买回去一定会喜欢的",
             start + 6 * M + 45 * S),
            ("buyer", "打个九折吧，不然我去别家买了", start + 10 * M),
            (presales, "亲，九折超出我的权限了，我帮您向主管申请一下，麻烦您稍等两分钟～", start + 10 * M + 30 * S),
        ])
        if conversation is not None:
            with clock.freeze(start + 11 * M):
                services.request_discount(actor=presales, conversation=conversation, percent="10",
                                          note="买两件，要九折，已拒一次、送内裤一次")
            with clock.freeze(now - 6 * M):
                services.post_buyer_message(actor=None, shop=haggler.shop, buyer_id=haggler.buyer_platform_id,
                                            text="怎么样了？能不能便宜")

    # 4. Has my parcel left? The warehouse recorded its shipping notice as due.
    shipped = _shipped_with_notice(keeper) if keeper is not None else None
    if shipped is not None and (shipped.shop_id, shipped.buyer_platform_id) not in used:
        used.add((shipped.shop_id, shipped.buyer_platform_id))
        _play(shipped.shop, shipped.buyer_platform_id, NICKS[3], [
            ("buyer", "亲，我昨天拍的，快递发了吗？", now - 35 * M),
        ])

    # 5. After sales: a quality problem, tagged, with a private note, waiting for the buyer's photos.
    faulty = _free(_orders(shop__code__in=("tmall-flagship", "taobao-store"),
                           status__in=(Status.DELIVERED, Status.COMPLETED, Status.AFTER_SALES)), used)
    if faulty is not None:
        start = now - D - 2 * H
        _play(faulty.shop, faulty.buyer_platform_id, NICKS[4], [
            ("buyer", "收到的衣服腋下开线了，怎么办", start),
            (aftersales, "亲，非常抱歉给您带来不便，先别着急，麻烦您拍张开线处的照片给我们，我们一定为您处理好",
             start + 1 * M + 10 * S),
            ("buyer", "好的，晚上回家拍", start + 5 * M),
            (aftersales, "好的亲，您拍好发给我就行，质量问题来回运费都由我们承担，您放心～", start + 5 * M + 40 * S),
            ("note", aftersales, "质量问题，等买家照片；可换可不换的以换为主", start + 7 * M),
            ("tags", aftersales, ["质量问题", "等照片"], start + 7 * M),
        ])

    # 6. A tracking question two days ago, answered and closed.
    late = _free(_orders(shop__code="jd-store", status__in=(Status.DELIVERED, Status.COMPLETED, Status.SHIPPED)),
                 used)
    if late is not None:
        start = now - 2 * D - 3 * H
        _play(late.shop, late.buyer_platform_id, NICKS[5], [
            ("buyer", "你好，我的快递怎么三天了还没到？", start),
            (aftersales, "亲，先别着急，我马上帮您查一下物流～", start + 50 * S),
            ("note", aftersales, "已联系网点：包裹在转运中心滞留一天，明天派送", start + 4 * M),
            (aftersales, "亲，让您久等了，包裹在转运中心耽搁了一天，预计明天就能送到您手上", start + 6 * M),
            ("buyer", "好的，谢谢", start + 8 * M),
            (aftersales, "不客气，有任何问题随时联系我们，祝您生活愉快～", start + 8 * M + 20 * S),
            ("close", aftersales, start + 10 * M),
        ])

    # 7. Browsing, thanked and closed the day before yesterday.
    browser_shop = Shop.objects.filter(code="tmall-flagship").first()
    if browser_shop is not None and presales2 is not None:
        start = now - 2 * D - 6 * H
        _play(browser_shop, "tb_visitor_2291", NICKS[6], [
            ("buyer", "这款有黑色的吗", start),
            (presales2, "亲，您好！这款有黑色和肤色两种颜色，黑色目前有现货哦", start + 1 * M),
            ("buyer", "好的我再看看", start + 4 * M),
            (presales2, "好的亲，您慢慢挑，有需要随时找我哦，感谢您的光临～", start + 4 * M + 30 * S),
            ("close", presales2, start + 15 * M),
        ])

    # 8. A visitor of the own-site chat asks, waiting for an answer.
    widget = ChatWidget.objects.filter(enabled=True).select_related("shop").order_by("id").first()
    if widget is not None:
        with clock.freeze(now - 8 * M):
            conversation, _secret = services.start_widget_chat(widget=widget, nick="官网访客")
            services.post_widget_message(widget=widget, conversation=conversation,
                                         text="你们官网和天猫旗舰店的价格一样吗？是正品吗？")
    return Conversation.objects.exists()

