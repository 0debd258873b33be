"""Demo of the supervisor's side of customer service, made through the services like real use:

- the duty roster of this week and next week (白班 and 晚班), with one visible gap: on one day of this week nobody
  is on the night shift, so the chat hours' last hour (17:30-18:30) is uncovered; last night's shift is there too,
  so "on duty now" is right after midnight;
- last month's chats of the three agents (played through the conversation services at their times and closed):
  good ones, and ones breaking each quality rule (an absolute promise, a slow reply, “我” everywhere, another
  number, a buyer left unanswered, no farewell); buyers who paid a demo order that month asked first, so the
  conversion has something to count;
- the quality scores of every conversation-day of last month and this month (whatever conversations exist);
- last month's score sheets: one adjusted and submitted, one approved by the manager, the others still drafts (the
  supervisor's own one is the manager's to handle).

`load_team_demo()` is idempotent (nothing once a roster entry exists). Call it after the service demo
(`load_service_demo`): that one does nothing once a conversation exists, and this one only adds last month's chats
when the service demo has made its conversations.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from shopdesk.channels.models import Shop
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.service import selectors_team, services, services_team
from shopdesk.service.models import Conversation, RosterEntry, Shift

log = logging.getLogger(__name__)

S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)

# (who, text, seconds after the previous step); who: "buyer" or "agent"; "close" ends the chat.
SCRIPTS = {
    "good": [("buyer", "亲，在吗？这款有75B的吗", 0),
             ("agent", "亲，您好！75B有现货的，请问您平时穿什么尺码呢？", 18),
             ("buyer", "平时就穿75B，那我拍了", 90),
             ("agent", "好的亲，付款后当天为您发货，感谢您的光临，祝您生活愉快～", 15)],
    "good2": [("buyer", "发什么快递呀", 0), ("agent", "亲，默认发中通快递，全国大部分地区2-3天到哦～", 12),
              ("buyer", "好的谢谢", 40), ("agent", "不客气，有需要随时联系我们哦，祝您购物愉快～", 10)],
    "promise": [("buyer", "是正品吗？会不会起球", 0), ("agent", "绝对正品，肯定不会起球的，保证您穿着舒服", 25),
                ("buyer", "那好吧", 60), ("agent", "感谢您的支持，祝您生活愉快～", 20)],
    "slow": [("buyer", "在吗？想问下尺码", 0), ("agent", "亲，您好，请问您的身高体重是多少呢？", 150),
             ("buyer", "160，50公斤", 30), ("agent", "亲，建议您拍M码哦，感谢您的光临～", 95)],
    "wo": [("buyer", "这款和那款哪个好", 0), ("agent", "我觉得这款好，我自己也穿，我跟你说我上次买了两件", 20),
           ("buyer", "好的", 30), ("agent", "再见", 10)],
    "phone": [("buyer", "快递一直没到", 0), ("agent", "亲，您直接打快递员电话13912345678问一下吧", 30),
              ("buyer", "好", 20), ("agent", "感谢您的理解，祝您生活愉快～", 15)],
    "unanswered": [("buyer", "能便宜点吗", 0), ("agent", "亲，已经是活动价了哦", 20),
                   ("buyer", "那满减还能叠加优惠券吗？", 45)],
    "no_farewell": [("buyer", "今天能发货吗", 0), ("agent", "可以的亲，下午四点前付款当天发", 16),
                    ("buyer", "好", 30), ("agent", "嗯嗯", 12)],
}
# Each agent's month: the scripts they answered, in order (one chat per working day).
MONTH_PLAN = {
    "chenjing": ["good", "promise", "good2", "slow", "good", "no_farewell", "good2"],
    "hemei": ["good2", "wo", "good", "unanswered", "good", "phone"],
    "yangli": ["good", "good2", "slow", "good", "promise", "good2"],
}
NICKS = ["桃子汽水", "momo_1990", "小熊软糖", "北方的雪", "tb_刘女士", "阿紫", "星河滚烫", "一只橘猫", "豆豆妈",
         "lucky_cc", "晚风", "柚子茶"]


def _user(username):
    return get_user_model().objects.filter(username=username).select_related("staff_profile").first()


def _shifts() -> tuple[Shift, Shift]:
    day = Shift.objects.filter(name="白班").first() or services_team.create_shift(
        actor=None, name="白班", start=time(8, 30), end=time(17, 30))
    night = Shift.objects.filter(name="晚班").first() or services_team.create_shift(
        actor=None, name="晚班", start=time(17, 0), end=time(1, 0))
    return day, night


def _roster(supervisor, people: dict, day_shift: Shift, night_shift: Shift) -> date:
    """This week and next week; the day without a night shift (the gap) is answered."""
    today = clock.today()
    monday = today - timedelta(days=today.weekday())
    gap_day = min(today + timedelta(days=1), monday + timedelta(days=6))
    days = [monday - timedelta(days=1)] + [monday + timedelta(days=i) for i in range(14)]
    for d in days:
        weekend = d.weekday() >= 5
        on_day = ["yangli"] if weekend else ["chenjing", "yangli"]
        on_night = ["chenjing"] if weekend else ["hemei"]
        if d == gap_day:
            on_night = []
        for shift, names in ((day_shift, on_day), (night_shift, on_night)):
            for name in names:
                services_team.add_roster_entry(actor=supervisor, day=d, shift=shift, agent=people[name])
    return gap_day


def _play(shop: Shop, buyer: str, nick: str, agent, script, start: datetime) -> None:
    at = start
    conversation = None
    for who, text, after in script:
        at += after * S
        with clock.freeze(at):
            if who == "buyer":
                conversation = services.post_buyer_message(actor=None, shop=shop, buyer_id=buyer, text=text,
                                                           buyer_nick=nick).conversation
            else:
                services.post_agent_reply(actor=agent, conversation=conversation, text=text)
    with clock.freeze(at + 3 * M):
        services.close_conversation(actor=agent, conversation=conversation)


def _working_days(month: date) -> list[date]:
    first, last = month, (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() < 5]


def _completed_order(factory, shop: Shop, buyer: str, paid_at: datetime):
    """A completed order of `buyer` paid at `paid_at` (last month's history, long delivered)."""
    hours_ago = (clock.now() - paid_at).total_seconds() / 3600 + 0.1  # ordered 6 minutes before the payment
    try:
        return factory.make(shop.code, status="completed", hours_ago=hours_ago, buyer=buyer)
    except ServiceError as exc:  # pragma: no cover - the demo catalogue has no listing in that shop
        log.warning("no demo order for %s: %s", buyer, exc)
        return None


def _last_month_chats(people: dict, month: date) -> int:
    """Last month's chats of each agent. The buyers of the good chats paid for an order within the hour (a
    completed order of last month), so the conversion has something to count; so did buyers of other demo orders
    paid that month, who asked two hours before paying."""
    from shopdesk.orders.demo import DemoOrders
    from shopdesk.orders.models import Order

    shops = list(Shop.objects.filter(code__in=("tmall-flagship", "taobao-store")).order_by("code"))
    if not shops:
        return 0
    tz = timezone.get_current_timezone()
    first, last = month, (month + timedelta(days=32)).replace(day=1)
    taken = set(Conversation.objects.values_list("shop_id", "buyer_id"))
    factory = DemoOrders(20261020, prefix_day=20260915000)
    played = 0
    days = _working_days(month)
    for a, (username, plan) in enumerate(MONTH_PLAN.items()):
        agent = people[username]
        for i, name in enumerate(plan):
            day = days[(i * 3 + a) % len(days)]
            start = datetime.combine(day, time(9 + (i + a) % 8, (7 * i + 13 * a) % 60), tzinfo=tz)
            shop = shops[(i + a) % len(shops)]
            buyer = f"tb_demo_{username}_{i:02d}"
            _play(shop, buyer, NICKS[(i + 3 * a) % len(NICKS)], agent, SCRIPTS[name], start)
            if name == "good":
                _completed_order(factory, shop, buyer, start + 40 * M)
            played += 1
    paid = (Order.objects.filter(shop__in=shops, paid_at__gte=datetime.combine(first, time(0), tzinfo=tz),
                                 paid_at__lt=datetime.combine(last, time(0), tzinfo=tz), merged_into__isnull=True)
            .exclude(buyer_platform_id="").exclude(buyer_platform_id__startswith="tb_demo_")
            .select_related("shop").order_by("paid_at", "id"))
    agents = list(MONTH_PLAN)
    for order in paid[:40]:
        if played >= 30 or (order.shop_id, order.buyer_platform_id) in taken:
            continue
        agent = people[agents[played % len(agents)]]
        if not shops_visible_to(agent).filter(pk=order.shop_id).exists():
            continue
        taken.add((order.shop_id, order.buyer_platform_id))
        _play(order.shop, order.buyer_platform_id, NICKS[played % len(NICKS)], agent, SCRIPTS["good"],
              order.paid_at - 2 * H)
        played += 1
    return played


def _inspect(first: date) -> None:
    """Score every conversation-day from `first` to yesterday that had messages (today's are still going on: a
    conversation is scored when it closes)."""
    from shopdesk.service import kpis
    from shopdesk.service.models import Message

    yesterday = clock.today() - timedelta(days=1)
    if yesterday < first:
        return
    lo, hi = kpis.local_bounds(first, yesterday)
    days = (Message.objects.filter(sent_at__gte=lo, sent_at__lt=hi).annotate(day=kpis.local_date("sent_at"))
            .order_by().values_list("day", flat=True).distinct())
    for day in sorted({kpis._as_date(d) for d in days}):
        services_team.inspect_day(actor=None, day=day)


def _sheets(supervisor, manager, people: dict, month: date) -> None:
    services_team.build_scoresheets(actor=supervisor, month=month)
    sheets = {s.agent.username: s for s in selectors_team.score_sheets().filter(month=month)}
    first = sheets.get("chenjing")
    if first is not None:
        services_team.adjust_scoresheet(actor=supervisor, sheet=first, adjustment=3,
                                        comment="带新人何梅熟悉快捷短语，主动加班两次")
        services_team.submit_scoresheet(actor=supervisor, sheet=first)
    second = sheets.get("yangli")
    if second is not None:
        services_team.adjust_scoresheet(actor=supervisor, sheet=second, adjustment=-2,
                                        comment="一次售后退款超时未跟进")
        services_team.submit_scoresheet(actor=supervisor, sheet=second)
        if manager is not None:
            services_team.approve_scoresheet(actor=manager, sheet=second, reason="同意")


def load_team_demo() -> bool:
    if RosterEntry.objects.exists():
        return False
    people = {name: _user(name) for name in ("chenjing", "hemei", "yangli")}
    supervisor, manager = _user("zhaomin"), _user("zhangwei")
    if supervisor is None or any(p is None for p in people.values()):
        return False
    day_shift, night_shift = _shifts()
    _roster(supervisor, people, day_shift, night_shift)
    month = selectors_team.last_month()
    if Conversation.objects.exists():  # the service demo ran: add last month's history
        try:
            _last_month_chats(people, month)
        except ServiceError as exc:  # pragma: no cover - a demo order the services refused
            log.warning("last month's demo chats stopped: %s", exc)
    _inspect(month)
    _sheets(supervisor, manager, people, month)
    return True
