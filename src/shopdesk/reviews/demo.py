"""Demo reviews: a handful of positive, neutral and negative reviews of a shop's orders at various ages, so that every
queue of the review workbench has something (to follow up, due soon, overdue, explanation due, waiting, done) and a
positive one has its thank-you text. Written through the services, like real use.

`seed_reviews(shop, orders)` is idempotent (nothing when the shop already has reviews) and returns how many it made.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from shopdesk.core import clock
from shopdesk.reviews import services
from shopdesk.reviews.models import Review

H = timedelta(hours=1)
D = timedelta(days=1)

# (rating, age, reason, text, what happened since: None, "contacted", "modified", "compensated", "explained", "thanked")
PLAN = [
    ("negative", 3 * H, "colour", "实物颜色比图片暗很多，和描述不符", None),
    ("neutral", 44 * H, "smell", "包包有一股味道，放了两天还有", None),
    ("negative", 52 * H, "quality", "背了一周肩带就开线了", None),
    ("negative", 4 * D, "courier", "快递太慢了，等了一个星期", "contacted"),
    ("neutral", 29 * D + 14 * H, "price", "活动价比我买的时候便宜了三十块", "contacted"),
    ("negative", 6 * D, "colour", "颜色偏差有点大", "modified"),
    ("negative", 9 * D, "quality", "五金有划痕", "compensated"),
    ("negative", 12 * D, "malicious", "垃圾", "explained"),
    ("negative", 31 * D, "service", "客服回复太慢", None),
    ("positive", 5 * H, "", "皮质很好，做工精致，很满意", "thanked"),
    ("positive", 2 * D, "", "物流很快，包装也很用心", None),
    ("positive", 8 * D, "", "第二次购买了，一如既往的好", None),
]


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def seed_reviews(shop, orders) -> int:
    orders = [o for o in orders if o.shop_id == shop.pk]
    if not orders or Review.objects.filter(shop=shop).exists():
        return 0
    from shopdesk.channels.selectors import shops_visible_to

    supervisor = _user("zhaomin")
    agent = _user("yangli")  # after-sales customer service, where the shop is hers; else the supervisor
    if agent is not None and not shops_visible_to(agent).filter(pk=shop.pk).exists():
        agent = supervisor
    if supervisor is not None and not shops_visible_to(supervisor).filter(pk=shop.pk).exists():
        agent = supervisor = None  # the system
    now = clock.now()
    made = 0
    for i, (rating, age, category, text, then) in enumerate(PLAN):
        order = orders[i % len(orders)]
        line = order.lines.order_by("id").first()
        review = services.record_review(
            actor=None, shop=shop, platform_review_id=f"DEMO-{shop.code}-{i + 1:03d}", rating=rating,
            posted_at=now - age, text=text, category=category, order=order, order_line=line,
            item_title=line.title if line else "", buyer_platform_id=order.buyer_platform_id)
        made += 1
        if then in ("contacted", "modified", "compensated", "explained") and review.needs_follow_up:
            with clock.freeze(now - age + 5 * H):  # contacted within the 48 hours
                services.record_follow_up(
                    actor=agent, review=review, channel="phone", result="refused" if then != "modified" else "agreed",
                    promised_at=clock.now() + D if then == "modified" else None,
                    next_contact_at=clock.now() + 2 * D if then == "contacted" else None,
                    note="午间电话回访" if then != "contacted" else "买家说再考虑一下，约好再联系")
        if then == "modified":
            services.record_outcome(actor=agent, review=review, outcome="modified")
        elif then == "compensated":
            services.record_outcome(actor=supervisor, review=review, outcome="compensated",
                                    compensation=Decimal("15.00"))
        elif then == "explained":
            services.record_outcome(actor=agent, review=review, outcome="explained",
                                    explanation="经核实，商品出库前已质检，订单沟通记录中买家未反映任何问题，特此说明。")
        elif then == "thanked":
            services.fill_thank_you(actor=agent, review=review)
    return made


def load_reviews_demo() -> bool:
    """Reviews for every demo shop that has orders (shipped or done ones first: buyers review what they received)."""
    from shopdesk.channels.models import Shop
    from shopdesk.orders.models import Order, Status

    made = 0
    received = (Status.SHIPPED, Status.DELIVERED, Status.COMPLETED, Status.AFTER_SALES)
    for shop in Shop.objects.order_by("code"):
        orders = list(Order.objects.filter(shop=shop, status__in=received).order_by("id")[:12]) or list(
            Order.objects.filter(shop=shop).order_by("id")[:12])
        made += seed_reviews(shop, orders)
    return made > 0
