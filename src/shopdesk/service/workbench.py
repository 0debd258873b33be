"""Customer-service tiles on the home page (registered from ServiceConfig.ready() through `register_tiles`): buyers
waiting for an answer, my open conversations, shipping notices and verification messages due in conversations,
discount requests waiting for the supervisor.

Every count of the service app on the home page (these tiles and the daily schedule's queues, web/workbench.py) comes
from ONE aggregate over the person's conversations, kept on the user object for the rest of the request.

The workbench filters (`?only=verify|notices|yesterday`) are the same conditions, so a tile always shows what the
list behind it holds:
- `verify`: the buyer paid an order of the shop since yesterday that has not shipped, and no agent message in the
  conversation since the payment names the order (the verification message of 003 carries the order number);
- `notices`: the warehouse recorded a shipping notice as due for one of the buyer's orders in the shop;
- `yesterday`: the buyer ordered in the shop yesterday and the conversation is open (003:544, 09:30-12:00).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock
from shopdesk.service.models import Conversation, DiscountRequest, Message
from shopdesk.web.workbench import TILES, Tile, register

_AGENTS = frozenset({"cs_presales", "cs_aftersales", "cs_supervisor"})
_SUPERVISORS = frozenset({"cs_supervisor"})
_VIEW = ("service.view_conversation",)
CLOSED = Conversation.Status.CLOSED

FILTER_LABELS = {
    "verify": _("Verification message due"),
    "notices": _("Shipping notice due"),
    "yesterday": _("Ordered yesterday"),
}


def _day_start(days_ago: int = 0):
    local = clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return local - timedelta(days=days_ago)


def _buyer_orders():
    from shopdesk.orders.models import Order

    return Order.objects.filter(shop=OuterRef("shop"), buyer_platform_id=OuterRef("buyer_id"))


def verification_due():
    """EXISTS: a paid, not yet shipped order of the buyer (paid since yesterday) that no agent message since the
    payment has named."""
    from shopdesk.orders.models import Status

    named = Message.objects.filter(conversation=OuterRef(OuterRef("pk")), direction=Message.Direction.AGENT,
                                   sent_at__gte=OuterRef("paid_at"), text__contains=OuterRef("platform_order_no"))
    return Exists(_buyer_orders().filter(
        paid_at__gte=_day_start(1), status__in=(Status.PAID, Status.VERIFIED, Status.PRINTED, Status.PICKED,
                                                 Status.PACKED)).filter(~Exists(named)))


def notices_due():
    from shopdesk.fulfillment.models import BuyerNotice

    return Exists(BuyerNotice.objects.filter(order__shop=OuterRef("shop"), state=BuyerNotice.State.DUE,
                                             order__buyer_platform_id=OuterRef("buyer_id")))


def ordered_yesterday():
    return Exists(_buyer_orders().filter(ordered_at__gte=_day_start(1), ordered_at__lt=_day_start(0)))


def discount_pending():
    return Exists(DiscountRequest.objects.filter(conversation=OuterRef("pk"), state=DiscountRequest.State.PENDING))


def filter_condition(name: str) -> Q | None:
    """The condition of a workbench filter (None for an unknown name)."""
    if name == "verify":
        return Q(verification_due())
    if name == "notices":
        return Q(notices_due())
    if name == "yesterday":
        return Q(ordered_yesterday()) & ~Q(status=CLOSED)
    return None


def counts(user) -> dict[str, int]:
    """waiting, mine, verify, notices, yesterday and discounts of the person's conversations, in one query."""
    cached = getattr(user, "_service_counts", None)
    if cached is None:
        from shopdesk.service import selectors

        open_ = ~Q(status=CLOSED)
        cached = selectors.conversations_visible_to(user).order_by().aggregate(
            waiting=Count("pk", filter=selectors.waiting_condition()),
            mine=Count("pk", filter=open_ & Q(assignee=user)),
            verify=Count("pk", filter=Q(verification_due())),
            notices=Count("pk", filter=Q(notices_due())),
            yesterday=Count("pk", filter=open_ & Q(ordered_yesterday())),
            discounts=Count("pk", filter=Q(discount_pending())),
        )
        cached = {k: v or 0 for k, v in cached.items()}
        user._service_counts = cached
    return cached


def _count(key):
    def count(user, role_codes):
        return counts(user)[key]

    return count


def _workbench(query: str):
    return lambda: reverse("service:workbench") + query


def register_tiles() -> None:
    if any(t.key.startswith("service_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("service_waiting", _("Buyers waiting for an answer"), _AGENTS, _count("waiting"),
                  _workbench("?queue=waiting"), perms=_VIEW, alert=True))
    register(Tile("service_mine", _("My open conversations"), _AGENTS, _count("mine"), _workbench("?queue=mine"),
                  perms=_VIEW))
    register(Tile("service_notices", _("Shipping notices to send in conversations"), _AGENTS, _count("notices"),
                  _workbench("?only=notices"), perms=(*_VIEW, "fulfillment.change_buyernotice")))
    register(Tile("service_verify", _("Verification messages to send"), _AGENTS, _count("verify"),
                  _workbench("?only=verify"), perms=_VIEW))
    register(Tile("service_discounts", _("Discount requests to decide"), _SUPERVISORS, _count("discounts"),
                  lambda: reverse("service:discounts"), perms=("service.approve_discount",), alert=True))
