"""Reads of the customer-service workbench, always scoped to the shops the person works on.

The queue puts buyers who have an order in the shop first, then the longest-waiting (000:229): an EXISTS on the
order pool's (shop, buyer account) and the stored `waiting_since`, so it is one query whatever its length.
"""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Q

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.orders.models import Order
from shopdesk.service.models import CannedReply, Conversation, DiscountRequest, Message

QUEUES = ("waiting", "mine", "unassigned", "open", "closed")


def conversations_visible_to(user):
    return Conversation.objects.filter(shop__in=shops_visible_to(user))


def _has_order():
    return Exists(Order.objects.filter(shop=OuterRef("shop"), buyer_platform_id=OuterRef("buyer_id")))


def waiting_condition() -> Q:
    """A buyer waits for an answer here: an unanswered buyer message in an open conversation of a live channel.
    Imported platform chats are history: they are answered in the platform's own chat tool, never from here."""
    return (Q(waiting_since__isnull=False) & ~Q(status=Conversation.Status.CLOSED)
            & ~Q(channel=Conversation.Channel.PLATFORM))


def in_queue_order(qs):
    """Buyers who have an order in the shop first, then the longest waiting, then the latest active (000:229)."""
    # NULLS LAST: a buyer still waiting comes before an answered one on every database (SQLite puts NULLs first).
    return (qs.select_related("shop", "assignee").annotate(has_order=_has_order())
            .order_by("-has_order", F("waiting_since").asc(nulls_last=True), "-last_message_at", "id"))


def queue(user, name: str = "waiting"):
    """A queue of the workbench: `waiting` (a buyer waits for an answer), `mine`, `unassigned`, `open` (not
    closed), `closed`. Buyers with an order first, then by waiting time."""
    qs = conversations_visible_to(user)
    if name == "waiting":
        qs = qs.filter(waiting_condition())
    elif name == "mine":
        qs = qs.filter(assignee=user).exclude(status=Conversation.Status.CLOSED)
    elif name == "unassigned":
        qs = qs.filter(assignee__isnull=True).exclude(status=Conversation.Status.CLOSED)
    elif name == "closed":
        return (qs.filter(status=Conversation.Status.CLOSED).select_related("shop", "assignee")
                .annotate(has_order=_has_order()).order_by("-closed_at", "-id"))
    else:
        qs = qs.exclude(status=Conversation.Status.CLOSED)
    return in_queue_order(qs)


def queue_counts(user) -> dict[str, int]:
    open_ = ~Q(status=Conversation.Status.CLOSED)
    return conversations_visible_to(user).aggregate(
        waiting=Count("pk", filter=waiting_condition()),
        mine=Count("pk", filter=open_ & Q(assignee=user)),
        unassigned=Count("pk", filter=open_ & Q(assignee__isnull=True)),
        open=Count("pk", filter=open_),
        closed=Count("pk", filter=Q(status=Conversation.Status.CLOSED)),
    )


def conversation_detail(user, pk: int) -> Conversation:
    """One conversation the person may see (404 otherwise)."""
    return conversations_visible_to(user).select_related("shop", "assignee").get(pk=pk)


def thread(conversation: Conversation, *, after_id: int = 0, include_notes: bool = True):
    qs = conversation.messages.select_related("agent").filter(pk__gt=after_id)
    if not include_notes:
        qs = qs.exclude(direction=Message.Direction.NOTE)
    return qs.order_by("sent_at", "id")


def buyer_orders(conversation: Conversation, limit: int = 10):
    """The buyer's orders in the shop, newest first, with their after-sales cases (for the right-hand panel)."""
    return (Order.objects.filter(shop_id=conversation.shop_id, buyer_platform_id=conversation.buyer_id)
            .prefetch_related("lines", "cases").order_by("-ordered_at", "-id")[:limit])


def due_notices(conversation: Conversation):
    """Shipping notices of the buyer's orders recorded as due by the warehouse, to send in this conversation."""
    from shopdesk.fulfillment.models import BuyerNotice

    return (BuyerNotice.objects.filter(order__shop_id=conversation.shop_id,
                                       order__buyer_platform_id=conversation.buyer_id, state=BuyerNotice.State.DUE)
            .select_related("order").order_by("created_at", "id"))


def bargain_count(conversation: Conversation) -> int:
    """How many times the buyer has bargained in this conversation (each buyer message read as `bargain`)."""
    return conversation.messages.filter(direction=Message.Direction.BUYER, intent="bargain").count()


def replies_for(user, *, shop=None, group: str = "", query: str = "", intent: str = ""):
    """The canned replies a person may use: shop-wide ones for every shop or for `shop`, and their own personal
    ones. `query` matches the title, the shortcut, their pinyin initials or the text."""
    qs = CannedReply.objects.filter(active=True).filter(Q(owner__isnull=True) | Q(owner=user))
    qs = qs.filter(Q(shop__isnull=True) | Q(shop=shop)) if shop is not None else qs.filter(
        Q(shop__isnull=True) | Q(shop__in=shops_visible_to(user)))
    if group:
        qs = qs.filter(group=group)
    if query:
        q = query.strip().lower()
        qs = qs.filter(Q(search_key__icontains=q) | Q(text__icontains=q))
    if intent:
        qs = qs.filter(intents__contains=[intent]) if _json_contains_supported() else qs.filter(
            intents__icontains=f'"{intent}"')
    return qs.order_by("group", "sort", "id")


def _json_contains_supported() -> bool:
    from django.db import connection

    return connection.features.supports_json_field_contains


def pending_discount_requests(user):
    return (DiscountRequest.objects.filter(conversation__shop__in=shops_visible_to(user),
                                           state=DiscountRequest.State.PENDING)
            .select_related("conversation__shop", "requested_by").order_by("created_at", "id"))
