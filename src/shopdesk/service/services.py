"""Every write of the customer-service workbench's conversations (客服, product.md §2.7): buyer messages (own-site
chat, API), agent replies, notes, assignment, tags, closing, the verification and shipping messages, canned replies
and discount requests beyond an agent's authority. Quality inspection, the roster and the score sheets are written
in `services_team.py`; the chat-log import in `chatlog.py`.

As everywhere: keyword-only arguments with the actor first, one transaction per business action, the permission and
the shop checked, an audit event in the same transaction. A buyer writing in the own-site chat is not a user: the
actor is None and the audit row says "system" with the widget's shop.

Response times are stored on the agent message that answers (`Message.response_seconds`, from the oldest buyer
message still waiting), so the KPIs aggregate stored numbers (see `kpis.py`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shopdesk.channels.selectors import check_shop_access
from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.orders.models import Order
from shopdesk.service import replies
from shopdesk.service.models import (
    CannedReply,
    ChatWidget,
    Conversation,
    DiscountRequest,
    Message,
    ReplyGroup,
    new_widget_key,
)
from shopdesk.staff.authz import authority_limits, authorize_actor

VIEW = "service.view_conversation"
REPLY = "service.reply_conversation"
CHANGE = "service.change_conversation"
ADD_PERSONAL_REPLY = "service.add_cannedreply"
MANAGE_REPLIES = "service.change_cannedreply"
DELETE_REPLY = "service.delete_cannedreply"
REQUEST_DISCOUNT = "service.add_discountrequest"
APPROVE_DISCOUNT = "service.approve_discount"
CHANGE_WIDGET = "service.change_chatwidget"
MAX_TEXT = 2000
MAX_TAGS = 10
_CONVERSATION_FIELDS = ["status", "assignee", "tags"]
Status, Direction, Source = Conversation.Status, Message.Direction, Message.Source


def invalid(message: str, field: str) -> ServiceError:
    """A refusal that names the field it is about (forms show it beside the field, the API under its name)."""
    return ServiceError(message, fields={field: [str(message)]})


def _authorize(actor, perm: str, shop=None):
    grant = authorize_actor(actor, perm)
    if shop is not None:
        check_shop_access(actor, shop)
    return grant


def _clean_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise invalid(gettext("The message is empty."), field)
    if len(text) > MAX_TEXT:
        raise invalid(gettext("A message has at most %(n)d characters; this one has %(m)d.")
                      % {"n": MAX_TEXT, "m": len(text)}, field)
    return text


def _locked(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_for_update(of=("self",)).select_related("shop").get(pk=conversation.pk)


def local_day_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def conversation_for(*, shop, buyer_id: str, buyer_nick: str = "", channel: str = Conversation.Channel.API,
                     at: datetime | None = None) -> Conversation:
    """The buyer's one thread in the shop, created on first contact (safe when two messages race to create it)."""
    buyer_id = (buyer_id or "").strip()
    if not buyer_id:
        raise invalid(gettext("The buyer account is missing."), "buyer_id")
    if len(buyer_id) > 80:
        raise invalid(gettext("The buyer account has at most 80 characters."), "buyer_id")
    found = Conversation.objects.filter(shop=shop, buyer_id=buyer_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return Conversation.objects.create(shop=shop, buyer_id=buyer_id, buyer_nick=(buyer_nick or "")[:80],
                                               channel=channel, created_at=at or clock.now())
    except IntegrityError:
        return Conversation.objects.get(shop=shop, buyer_id=buyer_id)


def _classify(text: str):
    from shopdesk.service import intents

    return intents.classify(text)


def _store_buyer_message(conversation: Conversation, text: str, *, source: str, sent_at: datetime) -> Message:
    prediction = _classify(text)
    message = Message.objects.create(conversation=conversation, shop_id=conversation.shop_id,
                                     direction=Direction.BUYER, text=text, sent_at=sent_at, source=source,
                                     intent=prediction.intent, confidence=round(prediction.confidence, 4))
    conversation.status = Status.OPEN
    conversation.closed_at = None
    if conversation.waiting_since is None:
        conversation.waiting_since = sent_at
    conversation.last_message_at = max(conversation.last_message_at or sent_at, sent_at)
    conversation.save(update_fields=["status", "closed_at", "waiting_since", "last_message_at"])
    return message


@transaction.atomic
def post_buyer_message(*, actor, shop, buyer_id: str, text: str, buyer_nick: str = "",
                       sent_at: datetime | None = None) -> Message:
    """A buyer's message arriving through the API (a platform connector, a bot): stored, classified, queued."""
    grant = _authorize(actor, REPLY, shop)
    text = _clean_text(text)
    conversation = _locked(conversation_for(shop=shop, buyer_id=buyer_id, buyer_nick=buyer_nick,
                                            channel=Conversation.Channel.API))
    message = _store_buyer_message(conversation, text, source=Source.API, sent_at=sent_at or clock.now())
    audit.record_event("service.buyer_message", actor=actor, obj=conversation, grant=grant,
                       changes={"message": {"before": None, "after": message.pk}})
    return message


def _answer(conversation: Conversation, *, agent, text: str, source: str, sent_at: datetime,
            direction: str = Direction.AGENT) -> Message:
    response_seconds, first = None, False
    if conversation.waiting_since is not None:
        response_seconds = max(0, int((sent_at - conversation.waiting_since).total_seconds()))
        day_start = local_day_start(sent_at)
        first = not Message.objects.filter(conversation=conversation, first_response=True,
                                           sent_at__gte=day_start, sent_at__lt=day_start + timedelta(days=1)).exists()
    message = Message.objects.create(conversation=conversation, shop_id=conversation.shop_id, direction=direction,
                                     agent=agent, text=text, sent_at=sent_at, source=source,
                                     response_seconds=response_seconds, first_response=first)
    conversation.waiting_since = None
    conversation.status = Status.WAITING
    conversation.last_message_at = max(conversation.last_message_at or sent_at, sent_at)
    if conversation.assignee_id is None:
        conversation.assignee = agent
    conversation.save(update_fields=["waiting_since", "status", "last_message_at", "assignee"])
    return message


@transaction.atomic
def post_agent_reply(*, actor, conversation: Conversation, text: str, source: str = Source.WORKBENCH) -> Message:
    """The agent answers: the buyer stops waiting; the response time is stored on the reply. The conversation is
    assigned to the agent when nobody had it."""
    grant = _authorize(actor, REPLY, conversation.shop)
    text = _clean_text(text)
    conversation = _locked(conversation)
    message = _answer(conversation, agent=actor, text=text, source=source, sent_at=clock.now())
    audit.record_event("service.agent_reply", actor=actor, obj=conversation, grant=grant,
                       changes={"message": {"before": None, "after": message.pk}})
    return message


@transaction.atomic
def add_note(*, actor, conversation: Conversation, text: str) -> Message:
    """A private note on the conversation: seen by colleagues, never by the buyer, not counted as an answer."""
    grant = _authorize(actor, REPLY, conversation.shop)
    text = _clean_text(text)
    note = Message.objects.create(conversation=conversation, shop_id=conversation.shop_id, direction=Direction.NOTE,
                                  agent=actor, text=text, source=Source.WORKBENCH)
    audit.record_event("service.note_added", actor=actor, obj=conversation, grant=grant,
                       changes={"note": {"before": None, "after": note.pk}})
    return note


@transaction.atomic
def assign_conversation(*, actor, conversation: Conversation, agent) -> Conversation:
    """Give the conversation to an agent (or take it back to the queue with agent=None). The agent must work on
    the shop and answer buyers."""
    grant = _authorize(actor, CHANGE, conversation.shop)
    conversation = _locked(conversation)
    if agent is not None:
        if not agent.is_active or not agent.has_perm(REPLY):
            raise invalid(gettext("%(name)s does not answer buyers.") % {"name": agent.get_username()}, "agent")
        try:
            check_shop_access(agent, conversation.shop)
        except NotAllowed:
            raise invalid(gettext("%(name)s does not work on shop %(shop)s.")
                          % {"name": agent.get_username(), "shop": conversation.shop.name}, "agent") from None
    before = audit.snapshot(conversation, _CONVERSATION_FIELDS)
    conversation.assignee = agent
    conversation.save(update_fields=["assignee"])
    audit.record_event("service.assigned", actor=actor, obj=conversation, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(conversation, _CONVERSATION_FIELDS)))
    return conversation


@transaction.atomic
def set_tags(*, actor, conversation: Conversation, tags: list[str]) -> Conversation:
    grant = _authorize(actor, CHANGE, conversation.shop)
    cleaned = []
    for tag in tags:
        tag = str(tag).strip()[:20]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise invalid(gettext("At most %(n)d tags.") % {"n": MAX_TAGS}, "tags")
    conversation = _locked(conversation)
    before = audit.snapshot(conversation, _CONVERSATION_FIELDS)
    conversation.tags = cleaned
    conversation.save(update_fields=["tags"])
    audit.record_event("service.tagged", actor=actor, obj=conversation, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(conversation, _CONVERSATION_FIELDS)))
    return conversation


@transaction.atomic
def close_conversation(*, actor, conversation: Conversation) -> Conversation:
    """Close the thread; the buyer writing again reopens it. A buyer message still waiting is allowed (the quality
    inspection counts it against the agent), and the day's quality score is computed at once."""
    from shopdesk.service import services_team

    grant = _authorize(actor, CHANGE, conversation.shop)
    conversation = _locked(conversation)
    if conversation.status == Status.CLOSED:
        raise Conflict(gettext("The conversation is already closed."))
    before = audit.snapshot(conversation, _CONVERSATION_FIELDS)
    conversation.status = Status.CLOSED
    conversation.closed_at = clock.now()
    conversation.save(update_fields=["status", "closed_at"])
    audit.record_event("service.closed", actor=actor, obj=conversation, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(conversation, _CONVERSATION_FIELDS)))
    day = timezone.localtime(conversation.closed_at).date()
    services_team.score_conversation_day(conversation=conversation, day=day)
    return conversation


# --- verification and shipping messages (核实, 发货通知) --------------------------------------------------------------


def verification_text(order: Order) -> str:
    """The 核实 message of 003: the receiver, phone and address of the order, for the buyer to confirm."""
    phone = order.mobile or order.landline
    address = f"{order.province}{order.city}{order.district}{order.address_detail}"
    return (f"亲，您的订单{order.platform_order_no}已付款，请核对收货信息：收货人 {order.buyer_name}，电话 {phone}，"
            f"地址 {address}。信息无误请回复“对”，有误请告诉我们正确的信息，我们会及时修改哦～")


def _order_of(conversation: Conversation, order: Order) -> Order:
    if order.shop_id != conversation.shop_id or (conversation.buyer_id != order.buyer_platform_id):
        raise invalid(gettext("Order %(no)s is not this buyer's order in this shop.")
                           % {"no": order.platform_order_no}, "order")
    return order


@transaction.atomic
def send_verification(*, actor, conversation: Conversation, order: Order) -> Message:
    """Send the verification message of a paid order to its buyer in the conversation (the text carries the
    receiver's details unmasked: the buyer is the one they belong to)."""
    grant = _authorize(actor, REPLY, conversation.shop)
    _order_of(conversation, order)
    if order.paid_at is None:
        raise Conflict(gettext("Order %(no)s is not paid yet: verify it after payment.")
                       % {"no": order.platform_order_no})
    conversation = _locked(conversation)
    message = _answer(conversation, agent=actor, text=verification_text(order), source=Source.WORKBENCH,
                      sent_at=clock.now())
    audit.record_event("service.verification_sent", actor=actor, obj=conversation, grant=grant,
                       changes={"order": {"before": None, "after": order.platform_order_no}})
    return message


@transaction.atomic
def send_shipping_notice(*, actor, conversation: Conversation, notice) -> Message:
    """Send a due shipping notice (recorded by the fulfilment module when the parcel left) in the conversation and
    mark it sent."""
    from shopdesk.fulfillment import services as fulfilment_services
    from shopdesk.fulfillment.models import BuyerNotice

    grant = _authorize(actor, REPLY, conversation.shop)
    _order_of(conversation, notice.order)
    if notice.state != BuyerNotice.State.DUE:
        raise Conflict(gettext("This shipping notice was already sent."))
    conversation = _locked(conversation)
    message = _answer(conversation, agent=actor, text=notice.text, source=Source.WORKBENCH, sent_at=clock.now())
    fulfilment_services.mark_notices_sent(actor=actor, notices=[notice])
    audit.record_event("service.shipping_notice_sent", actor=actor, obj=conversation, grant=grant,
                       changes={"order": {"before": None, "after": notice.order.platform_order_no}})
    return message


# --- canned replies (快捷短语) ----------------------------------------------------------------------------------------

_REPLY_FIELDS = ["group", "title", "text", "shortcut", "intents", "bargain_step", "shop", "owner", "sort", "active"]


def _check_reply(group: str, title: str, text: str, intents_: list[str], bargain_step) -> None:
    from shopdesk.service.intents import INTENTS

    if group not in ReplyGroup.values:
        raise invalid(gettext("Unknown group %(g)s.") % {"g": group}, "group")
    if not (title or "").strip():
        raise invalid(gettext("The title is required."), "title")
    if not (text or "").strip():
        raise invalid(gettext("The text is required."), "text")
    bad = replies.unknown_variables(text)
    if bad:
        raise invalid(gettext("Unknown variable {%(v)s}; the variables are %(all)s.")
                           % {"v": bad[0], "all": " ".join(f"{{{v}}}" for v in replies.VARIABLES)}, "text")
    unknown = [i for i in intents_ if i not in INTENTS]
    if unknown:
        raise invalid(gettext("Unknown intent %(i)s.") % {"i": unknown[0]}, "intents")
    if bargain_step is not None and not (1 <= int(bargain_step) <= 4):
        raise invalid(gettext("The bargaining step is 1 to 4."), "bargain_step")


def _reply_perm(personal: bool) -> str:
    return ADD_PERSONAL_REPLY if personal else MANAGE_REPLIES


@transaction.atomic
def create_canned_reply(*, actor, group: str, title: str, text: str, shortcut: str = "", intents: list | None = None,
                        bargain_step: int | None = None, shop=None, personal: bool = False, sort: int = 0
                        ) -> CannedReply:
    """A shop-wide reply (the supervisor) or a personal one (any agent, for themself)."""
    grant = _authorize(actor, _reply_perm(personal), shop)
    intents = list(intents or [])
    _check_reply(group, title, text, intents, bargain_step)
    reply = CannedReply.objects.create(
        group=group, title=title.strip()[:40], text=text.strip()[:500], shortcut=(shortcut or "").strip()[:20],
        intents=intents, bargain_step=bargain_step, shop=shop, owner=actor if personal else None, sort=sort,
        search_key=replies.search_key(title.strip(), (shortcut or "").strip()))
    audit.record_event("service.reply_created", actor=actor, obj=reply, grant=grant,
                       changes=audit.created(reply, _REPLY_FIELDS))
    return reply


def _check_reply_owner(actor, reply: CannedReply) -> None:
    if reply.owner_id is not None and reply.owner_id != actor.pk:
        raise NotAllowed(gettext("This is a colleague's personal reply."))


@transaction.atomic
def update_canned_reply(*, actor, reply: CannedReply, **fields) -> CannedReply:
    grant = _authorize(actor, _reply_perm(reply.owner_id is not None), reply.shop)
    _check_reply_owner(actor, reply)
    reply = CannedReply.objects.select_for_update().get(pk=reply.pk)
    before = audit.snapshot(reply, _REPLY_FIELDS)
    for name in ("group", "title", "text", "shortcut", "intents", "bargain_step", "sort", "active"):
        if name in fields:
            setattr(reply, name, fields[name])
    if "shop" in fields and fields["shop"] != reply.shop:
        if fields["shop"] is not None:
            check_shop_access(actor, fields["shop"])
        reply.shop = fields["shop"]
    _check_reply(reply.group, reply.title, reply.text, list(reply.intents or []), reply.bargain_step)
    reply.search_key = replies.search_key(reply.title, reply.shortcut)
    reply.save()
    audit.record_event("service.reply_changed", actor=actor, obj=reply, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(reply, _REPLY_FIELDS)))
    return reply


@transaction.atomic
def delete_canned_reply(*, actor, reply: CannedReply) -> None:
    grant = _authorize(actor, ADD_PERSONAL_REPLY if reply.owner_id else DELETE_REPLY, reply.shop)
    _check_reply_owner(actor, reply)
    audit.record_event("service.reply_deleted", actor=actor, obj=reply, grant=grant,
                       changes={"title": {"before": reply.title, "after": None}})
    reply.delete()


# --- discounts beyond authority (议价, 003:548) -----------------------------------------------------------------------


def _percent(value) -> Decimal:
    try:
        percent = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise invalid(gettext("The discount must be a number of percent."), "percent") from None
    if not (Decimal("0") < percent < Decimal("100")):
        raise invalid(gettext("The discount is between 0 and 100 percent."), "percent")
    return percent


@transaction.atomic
def request_discount(*, actor, conversation: Conversation, percent, note: str = "") -> DiscountRequest:
    """Ask the supervisor for a discount beyond the agent's own limit (within it the agent simply grants it)."""
    grant = _authorize(actor, REQUEST_DISCOUNT, conversation.shop)
    percent = _percent(percent)
    limit = authority_limits(actor).max_discount_percent
    if percent <= limit:
        raise Conflict(gettext("%(p)s%% is within your own limit of %(l)s%%: you may grant it yourself.")
                       % {"p": percent, "l": limit})
    if conversation.discount_requests.filter(state=DiscountRequest.State.PENDING).exists():
        raise Conflict(gettext("A discount request for this buyer is already waiting for the supervisor."))
    request = DiscountRequest.objects.create(conversation=conversation, requested_by=actor, percent=percent,
                                             note=(note or "")[:300])
    audit.record_event("service.discount_requested", actor=actor, obj=conversation, grant=grant,
                       changes={"discount_percent": {"before": None, "after": str(percent)}})
    return request


@transaction.atomic
def decide_discount(*, actor, request: DiscountRequest, approve: bool, reason: str = "") -> DiscountRequest:
    """The supervisor approves or refuses; the approver's own limit bounds what they may approve."""
    grant = _authorize(actor, APPROVE_DISCOUNT, request.conversation.shop)
    request = DiscountRequest.objects.select_for_update().select_related("conversation").get(pk=request.pk)
    if request.state != DiscountRequest.State.PENDING:
        raise Conflict(gettext("This request was already decided."))
    if request.requested_by_id == actor.pk:
        raise Conflict(gettext("You cannot decide your own request."))
    if approve and request.percent > authority_limits(actor).max_discount_percent:
        raise Conflict(gettext("%(p)s%% is beyond your own limit too: ask the manager.") % {"p": request.percent})
    if not approve and not (reason or "").strip():
        raise invalid(gettext("Say why the discount is refused."), "reason")
    request.state = DiscountRequest.State.APPROVED if approve else DiscountRequest.State.REJECTED
    request.decided_by, request.decided_at, request.decision_reason = actor, clock.now(), (reason or "")[:300]
    request.save()
    audit.record_event("service.discount_decided", actor=actor, obj=request.conversation, grant=grant, reason=reason,
                       changes={"discount_request": {"before": "pending", "after": request.state}})
    return request


# --- own-site chat widget ---------------------------------------------------------------------------------------------


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def start_widget_chat(*, widget: ChatWidget, nick: str = "") -> tuple[Conversation, str]:
    """A visitor opens the chat on the shop's website: a new conversation and the secret their browser keeps to
    write to and read it (only its hash is stored)."""
    if not widget.enabled:
        raise Conflict(gettext("This chat is closed."))
    secret = secrets.token_urlsafe(24)
    visitor = "web-" + secrets.token_hex(6)
    conversation = Conversation.objects.create(shop=widget.shop, buyer_id=visitor,
                                               buyer_nick=(nick or "").strip()[:40] or visitor,
                                               channel=Conversation.Channel.WIDGET,
                                               visitor_key_hash=hash_secret(secret))
    audit.record_event("service.widget_chat_started", actor=None, obj=conversation)
    return conversation, secret


@transaction.atomic
def post_widget_message(*, widget: ChatWidget, conversation: Conversation, text: str) -> Message:
    """The website visitor writes (the view has checked the secret)."""
    if not widget.enabled:
        raise Conflict(gettext("This chat is closed."))
    text = _clean_text(text)
    conversation = _locked(conversation)
    message = _store_buyer_message(conversation, text, source=Source.WIDGET, sent_at=clock.now())
    audit.record_event("service.buyer_message", actor=None, obj=conversation,
                       changes={"message": {"before": None, "after": message.pk}})
    return message


_WIDGET_FIELDS = ["enabled", "allowed_origins", "greeting"]


@transaction.atomic
def configure_widget(*, actor, shop, enabled: bool, allowed_origins: str, greeting: str,
                     new_key: bool = False) -> ChatWidget:
    grant = _authorize(actor, CHANGE_WIDGET, shop)
    widget, _created = ChatWidget.objects.select_for_update().get_or_create(shop=shop)
    before = audit.snapshot(widget, _WIDGET_FIELDS)
    origins = [o.strip().rstrip("/") for o in (allowed_origins or "").splitlines() if o.strip()]
    for origin in origins:
        if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
            raise invalid(gettext("%(o)s is not a site origin such as https://shop.example.com.")
                               % {"o": origin}, "allowed_origins")
    widget.enabled, widget.allowed_origins = enabled, "\n".join(origins)
    widget.greeting = (greeting or "").strip()[:200] or widget.greeting
    if new_key:
        widget.key = new_widget_key()
    widget.save()
    audit.record_event("service.widget_configured", actor=actor, obj=widget, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(widget, _WIDGET_FIELDS)))
    return widget
