"""Customer-service API under /api/v1/service/ (客服, product.md §2.7): conversations with their messages and the
buyer's orders, buyer messages posted by platform connectors and bots, agent replies, private notes, assignment,
tags, closing, the verification (核实) and shipping messages, canned replies (快捷短语) with their variables filled,
and discount requests beyond an agent's authority (议价, 003:548).

Thin like the pages: a serializer validates, one service writes, the answer is serialised. The same permissions as
the workbench pages, scoped to the caller's shops: another shop's conversation, canned reply or discount request is
404, a shop code that is not the caller's is a 400 on `shop`. Refusals of the services come back in the usual error
body (400 naming the field, 403, 409). The buyer's name, phone and address on the orders beside a conversation are
masked; `GET /conversations/{id}/?unmask=1` shows them in clear to a person who may unmask (each look is logged on
its order, as on the order page). Buyer text is returned as the buyer typed it: clients must escape it.

Lists are paginated (`page`, `page_size`) and each is a fixed number of queries whatever its length.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from shopdesk.channels.selectors import check_shop_access, shops_visible_to
from shopdesk.core import clock, masking
from shopdesk.core.drf import RequirePerms
from shopdesk.core.errors import NotAllowed
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Order
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.service import replies, selectors, services
from shopdesk.service.models import CannedReply, Conversation, DiscountRequest, Message, ReplyGroup
from shopdesk.staff.roles import UNMASK_PERSONAL_DATA

CHINA = ZoneInfo("Asia/Shanghai")
VIEW = services.VIEW
REPLY = services.REPLY
CHANGE = services.CHANGE
VIEW_REPLIES = "service.view_cannedreply"
VIEW_DISCOUNTS = "service.view_discountrequest"
VIEW_NOTICES = "fulfillment.view_buyernotice"
SEND_NOTICES = "fulfillment.change_buyernotice"
ORDER_LIMIT = 10  # orders shown beside a conversation
FUTURE_SKEW = timedelta(minutes=5)  # a connector's clock may run a little ahead; more is a mistake


def china_time(**kwargs):
    """A DateTimeField written in China time with its offset (+08:00), whatever zone the request activated."""
    return serializers.DateTimeField(default_timezone=CHINA, **kwargs)


def _display(user) -> str | None:
    if user is None:
        return None
    profile = getattr(user, "staff_profile", None)
    return getattr(profile, "display_name", "") or user.get_full_name() or user.get_username()


def _own_shop(user, code: str, field: str = "shop"):
    shop = shops_visible_to(user).filter(code=code).first()
    if shop is None:
        raise serializers.ValidationError({field: [gettext("Unknown shop %(s)s, or not one of yours.") % {"s": code}]})
    return shop


# --- serializers ------------------------------------------------------------------------------------------------------


class MessageSerializer(serializers.ModelSerializer):
    """One message of a conversation. `direction`: buyer, agent, system or note (a private note, never shown to the
    buyer). `text` is the raw text: escape it when showing it."""

    sent_at = china_time(read_only=True)
    agent = serializers.CharField(source="agent.username", default=None, read_only=True,
                                  help_text="The agent's username (null for buyer messages and imported rows).")
    agent_name = serializers.SerializerMethodField(help_text="The agent as people call them (or as the chat log "
                                                             "names them).")

    class Meta:
        model = Message
        fields = ["id", "conversation", "direction", "text", "sent_at", "source", "agent", "agent_name", "intent",
                  "confidence", "response_seconds", "first_response"]
        read_only_fields = fields

    def get_agent_name(self, message) -> str:
        return message.agent_name or _display(message.agent) or ""


class ConversationSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.code", read_only=True)
    shop_name = serializers.CharField(source="shop.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    assignee_name = serializers.SerializerMethodField()
    tags = serializers.ListField(child=serializers.CharField(), read_only=True)
    waiting_since = china_time(read_only=True, help_text="The oldest buyer message not answered yet; null when "
                                                         "nobody waits.")
    last_message_at = china_time(read_only=True)
    created_at = china_time(read_only=True)
    closed_at = china_time(read_only=True)
    has_order = serializers.BooleanField(read_only=True, help_text="The buyer has an order in the shop (such buyers "
                                                                   "come first in the queues).")
    last_text = serializers.CharField(read_only=True, allow_null=True,
                                      help_text="The start of the last message (notes left out).")
    last_direction = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Conversation
        fields = ["id", "shop", "shop_name", "buyer_id", "buyer_nick", "channel", "status", "status_label",
                  "assignee", "assignee_name", "tags", "waiting_since", "last_message_at", "created_at", "closed_at",
                  "has_order", "last_text", "last_direction"]
        read_only_fields = fields

    def get_assignee_name(self, conversation) -> str | None:
        return _display(conversation.assignee)


class OrderCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(source="get_state_display")


class OrderItemSerializer(serializers.Serializer):
    title = serializers.CharField()
    properties = serializers.CharField()
    quantity = serializers.IntegerField()


class OrderSummarySerializer(serializers.ModelSerializer):
    """One of the buyer's orders in the shop, as the panel beside the conversation shows it. Receiver, phone and
    address are masked unless the caller asked to unmask."""

    number = serializers.CharField(source="platform_order_no", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    ordered_at = china_time(read_only=True)
    paid_at = china_time(read_only=True)
    shipped_at = china_time(read_only=True)
    receiver = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    items = OrderItemSerializer(many=True, read_only=True, source="lines")
    cases = OrderCaseSerializer(many=True, read_only=True, help_text="Its after-sales cases.")

    class Meta:
        model = Order
        fields = ["id", "number", "status", "status_label", "paid_amount", "ordered_at", "paid_at", "shipped_at",
                  "carrier", "tracking_no", "receiver", "phone", "address", "items", "cases"]
        read_only_fields = fields

    def _clear(self) -> bool:
        return bool(self.context.get("unmask"))

    def get_receiver(self, order) -> str:
        return order.buyer_name if self._clear() else masking.mask_name(order.buyer_name)

    def get_phone(self, order) -> str:
        phone = order.mobile or order.landline
        return phone if self._clear() else masking.mask_phone(phone)

    def get_address(self, order) -> str:
        if self._clear():
            return f"{order.province}{order.city}{order.district}{order.address_detail}"
        return masking.mask_address(order.province, order.city, order.district, order.address_detail)


class DueNoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order_no = serializers.CharField(source="order.platform_order_no")
    text = serializers.CharField()
    created_at = china_time()


class DiscountRequestSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="conversation.shop.code", read_only=True)
    buyer_id = serializers.CharField(source="conversation.buyer_id", read_only=True)
    buyer_nick = serializers.CharField(source="conversation.buyer_nick", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    requested_by_name = serializers.SerializerMethodField()
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)
    created_at = china_time(read_only=True)
    decided_at = china_time(read_only=True)

    class Meta:
        model = DiscountRequest
        fields = ["id", "conversation", "shop", "buyer_id", "buyer_nick", "percent", "note", "state", "state_label",
                  "requested_by", "requested_by_name", "created_at", "decided_by", "decided_at", "decision_reason"]
        read_only_fields = fields

    def get_requested_by_name(self, request) -> str:
        return _display(request.requested_by) or ""


class ConversationDetailSerializer(ConversationSerializer):
    orders = OrderSummarySerializer(many=True, read_only=True, source="panel_orders",
                                    help_text=f"The buyer's orders in the shop, newest first (at most {ORDER_LIMIT}).")
    notices = DueNoticeSerializer(many=True, read_only=True, source="panel_notices",
                                  help_text="Shipping notices due for the buyer's orders (POST shipping-notice/).")
    bargain_count = serializers.IntegerField(read_only=True, help_text="How many times the buyer has bargained.")
    pending_discount = serializers.SerializerMethodField()

    class Meta(ConversationSerializer.Meta):
        fields = [*ConversationSerializer.Meta.fields, "orders", "notices", "bargain_count", "pending_discount"]
        read_only_fields = fields

    @extend_schema_field(DiscountRequestSerializer(allow_null=True))
    def get_pending_discount(self, conversation) -> dict | None:
        """The discount request of this conversation waiting for the supervisor, if any."""
        pending = conversation.panel_pending_discount
        return DiscountRequestSerializer(pending).data if pending is not None else None


class CannedReplySerializer(serializers.ModelSerializer):
    group_label = serializers.CharField(source="get_group_display", read_only=True)
    shop = serializers.CharField(source="shop.code", default=None, read_only=True,
                                 help_text="The shop's code; null for every shop.")
    intents = serializers.ListField(child=serializers.CharField(), read_only=True)
    personal = serializers.SerializerMethodField(help_text="Your own reply (others are shop-wide).")

    class Meta:
        model = CannedReply
        fields = ["id", "group", "group_label", "title", "text", "shortcut", "intents", "bargain_step", "shop",
                  "personal", "sort", "active"]
        read_only_fields = fields

    def get_personal(self, reply) -> bool:
        return reply.owner_id is not None


# --- inputs -----------------------------------------------------------------------------------------------------------


class ConversationQuery(serializers.Serializer):
    queue = serializers.ChoiceField(choices=selectors.QUEUES, required=False,
                                    help_text="waiting (a buyer waits for an answer), mine, unassigned, open (not "
                                              "closed), closed; every conversation when left out. Queues put buyers "
                                              "with an order first, then the longest waiting.")
    shop = serializers.CharField(required=False, help_text="shop code")
    status = serializers.ChoiceField(choices=Conversation.Status.choices, required=False)
    assignee = serializers.IntegerField(required=False, help_text="the agent's user id")
    buyer = serializers.CharField(required=False, max_length=80,
                                  help_text="the buyer's account (exact) or part of the nick")


class MessagesQuery(serializers.Serializer):
    after = serializers.IntegerField(required=False, min_value=0, default=0,
                                     help_text="Only messages after this message id (for polling).")
    notes = serializers.BooleanField(required=False, default=True, help_text="Include private notes (default).")


class BuyerMessageInput(serializers.Serializer):
    shop = serializers.CharField(help_text="The shop's code.")
    buyer_id = serializers.CharField(max_length=80, help_text="The buyer's platform account.")
    buyer_nick = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=services.MAX_TEXT)
    sent_at = china_time(required=False, allow_null=True, default=None,
                         help_text="When the buyer wrote (ISO 8601; without an offset it is China time); now when "
                                   "left out.")

    def validate_sent_at(self, value):
        if value is not None and value > clock.now() + FUTURE_SKEW:
            raise serializers.ValidationError(gettext("The time is in the future."))
        return value


class TextInput(serializers.Serializer):
    text = serializers.CharField(max_length=services.MAX_TEXT)


class AssignInput(serializers.Serializer):
    agent = serializers.IntegerField(allow_null=True, help_text="The agent's user id; null puts the conversation "
                                                                "back in the unassigned queue.")


class TagsInput(serializers.Serializer):
    tags = serializers.ListField(child=serializers.CharField(allow_blank=True), allow_empty=True,
                                 help_text=f"At most {services.MAX_TAGS} tags of up to 20 characters; replaces the "
                                           f"tags.")


class VerificationInput(serializers.Serializer):
    order = serializers.CharField(max_length=64, help_text="The platform order number of the buyer's paid order.")


class ShippingNoticeInput(serializers.Serializer):
    notice = serializers.IntegerField(help_text="The id of a due shipping notice of the buyer's orders.")


class CannedReplyQuery(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, default="",
                              help_text="Title, shortcut, their pinyin initials (kd finds 快递) or text.")
    group = serializers.ChoiceField(choices=ReplyGroup.choices, required=False, allow_blank=True, default="")
    intent = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="Replies that answer this buyer intent.")
    shop = serializers.CharField(required=False, allow_blank=True, default="",
                                 help_text="Shop code: the replies usable in that shop (every-shop ones too).")


class CannedReplyInput(serializers.Serializer):
    group = serializers.ChoiceField(choices=ReplyGroup.choices)
    title = serializers.CharField(max_length=40)
    text = serializers.CharField(max_length=500, help_text="May use the variables " + " ".join(
        f"{{{v}}}" for v in replies.VARIABLES) + ".")
    shortcut = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    intents = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                    help_text="The buyer intents it answers.")
    bargain_step = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1, max_value=4,
                                            help_text="For bargaining replies: 1 refuse, 2 pull back with the "
                                                      "promotion, 3 lead to value, 4 close.")
    shop = serializers.CharField(required=False, allow_null=True, default=None,
                                 help_text="The shop's code; null for every shop.")
    personal = serializers.BooleanField(required=False, default=False,
                                        help_text="Your own reply (needs service.add_cannedreply); shop-wide ones "
                                                  "need service.change_cannedreply.")
    sort = serializers.IntegerField(required=False, default=0, min_value=0)


class CannedReplyPatch(serializers.Serializer):
    group = serializers.ChoiceField(choices=ReplyGroup.choices, required=False)
    title = serializers.CharField(max_length=40, required=False)
    text = serializers.CharField(max_length=500, required=False)
    shortcut = serializers.CharField(max_length=20, required=False, allow_blank=True)
    intents = serializers.ListField(child=serializers.CharField(), required=False)
    bargain_step = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    shop = serializers.CharField(required=False, allow_null=True, help_text="The shop's code; null for every shop.")
    sort = serializers.IntegerField(required=False, min_value=0)
    active = serializers.BooleanField(required=False)


class RenderedReplySerializer(serializers.Serializer):
    reply = serializers.IntegerField()
    conversation = serializers.IntegerField()
    order = serializers.CharField(allow_null=True, help_text="The order whose number and parcel filled the text.")
    text = serializers.CharField(help_text="The text with its variables filled; a variable without a value stays "
                                           "as written, for the agent to fill.")
    values = serializers.DictField(child=serializers.CharField(allow_blank=True))
    unfilled = serializers.ListField(child=serializers.CharField(), help_text="Variables left in the text.")


class DiscountQuery(serializers.Serializer):
    state = serializers.ChoiceField(choices=DiscountRequest.State.choices, required=False, allow_blank=True,
                                    default="", help_text="pending lists the oldest first; all states when empty.")
    shop = serializers.CharField(required=False, allow_blank=True, default="", help_text="shop code")
    conversation = serializers.IntegerField(required=False, allow_null=True, default=None)


class DiscountRequestInput(serializers.Serializer):
    conversation = serializers.IntegerField(help_text="The conversation's id.")
    percent = serializers.DecimalField(max_digits=5, decimal_places=2,
                                       help_text="The discount asked for, in percent, above your own limit.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DiscountDecisionInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="",
                                   help_text="Required to refuse.")


# --- conversations ----------------------------------------------------------------------------------------------------


def _has_order():
    return Exists(Order.objects.filter(shop=OuterRef("shop"), buyer_platform_id=OuterRef("buyer_id")))


def _last_message(field: str):
    return Subquery(Message.objects.filter(conversation=OuterRef("pk")).exclude(direction=Message.Direction.NOTE)
                    .order_by("-sent_at", "-id").values(field)[:1])


_CONVERSATION_PERMS = {
    "list": [VIEW], "retrieve": [VIEW], "messages": [VIEW],
    "reply": [REPLY], "notes": [REPLY], "verification": [REPLY], "shipping_notice": [REPLY, SEND_NOTICES],
    "assign": [CHANGE], "tags": [CHANGE], "close": [CHANGE],
}


class ConversationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Conversations (会话) of the caller's shops: one thread per buyer per shop. The detail carries the buyer's
    orders in the shop (number, status, amount paid, carrier, tracking number, masked receiver), the shipping
    notices due and the discount request waiting. Each action is `POST /conversations/{id}/<action>/`."""

    permission_classes = [RequirePerms]
    required_perms = _CONVERSATION_PERMS
    queryset = Conversation.objects.none()

    def get_queryset(self):
        user = self.request.user
        if self.action not in ("list", "retrieve"):
            return selectors.conversations_visible_to(user).select_related("shop")
        queue = self.request.query_params.get("queue") if self.action == "list" else None
        if queue:
            qs = selectors.queue(user, queue)
        else:
            qs = selectors.conversations_visible_to(user).annotate(has_order=_has_order())
        return qs.select_related("shop", "assignee__staff_profile").annotate(
            last_text=Substr(_last_message("text"), 1, 80), last_direction=_last_message("direction"))

    def get_serializer_class(self):
        return ConversationDetailSerializer if self.action == "retrieve" else ConversationSerializer

    def _detail(self, conversation, *, unmask=False, orders=None, code=status.HTTP_200_OK):
        user = self.request.user
        conversation = selectors.conversations_visible_to(user).select_related(
            "shop", "assignee__staff_profile").annotate(
            has_order=_has_order(), last_text=Substr(_last_message("text"), 1, 80),
            last_direction=_last_message("direction")).get(pk=conversation.pk)
        conversation.panel_orders = orders if orders is not None else list(
            selectors.buyer_orders(conversation, limit=ORDER_LIMIT))
        conversation.panel_notices = list(selectors.due_notices(conversation)) if user.has_perm(VIEW_NOTICES) else []
        conversation.bargain_count = selectors.bargain_count(conversation)
        conversation.panel_pending_discount = (
            conversation.discount_requests.filter(state=DiscountRequest.State.PENDING)
            .select_related("conversation__shop", "requested_by__staff_profile", "decided_by").first())
        return Response(ConversationDetailSerializer(conversation, context={"request": self.request,
                                                                            "unmask": unmask}).data, status=code)

    @extend_schema(parameters=[ConversationQuery])
    def list(self, request, *args, **kwargs):
        q = ConversationQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        qs = self.get_queryset()
        if d.get("shop"):
            qs = qs.filter(shop=_own_shop(request.user, d["shop"]))
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("assignee") is not None:
            qs = qs.filter(assignee_id=d["assignee"])
        if d.get("buyer"):
            qs = qs.filter(Q(buyer_id=d["buyer"]) | Q(buyer_nick__icontains=d["buyer"]))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(ConversationSerializer(page, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("unmask", bool, description="Answer the receivers' names, phones "
                                                                             "and addresses in clear (needs the "
                                                                             "permission; each look is logged).")],
                   responses=ConversationDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        conversation = self.get_object()
        unmask = request.query_params.get("unmask") in ("1", "true")
        orders = list(selectors.buyer_orders(conversation, limit=ORDER_LIMIT))
        if unmask:
            if not request.user.has_perm(UNMASK_PERSONAL_DATA):
                self.permission_denied(request, message=gettext("You may not see buyers' personal data in clear."))
            for order in orders:
                order_services.unmask_order(actor=request.user, order=order,
                                            reason=f"conversation #{conversation.pk}")
        return self._detail(conversation, unmask=unmask, orders=orders)

    @extend_schema(parameters=[MessagesQuery], responses=MessageSerializer(many=True))
    @action(detail=True, methods=["get"])
    def messages(self, request, pk=None):
        """The conversation's messages, oldest first; `after` the last id you have to poll for new ones. Private
        notes are included unless `notes=false`."""
        conversation = self.get_object()
        q = MessagesQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        qs = selectors.thread(conversation, after_id=q.validated_data["after"],
                              include_notes=q.validated_data["notes"]).select_related("agent__staff_profile")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    def _message(self, message):
        message = Message.objects.select_related("agent__staff_profile").get(pk=message.pk)
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    def _text(self, request) -> str:
        s = TextInput(data=request.data)
        s.is_valid(raise_exception=True)
        return s.validated_data["text"]

    @extend_schema(request=TextInput, responses={201: MessageSerializer},
                   examples=[OpenApiExample("reply", request_only=True, value={"text": "亲，在的，有什么可以帮您？"})])
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """Answer the buyer: the buyer stops waiting, the response time is stored on the reply, and the conversation
        becomes the agent's when nobody had it."""
        conversation = self.get_object()
        return self._message(services.post_agent_reply(actor=request.user, conversation=conversation,
                                                       text=self._text(request)))

    @extend_schema(request=TextInput, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        """A private note for colleagues (never sent to the buyer, not an answer)."""
        conversation = self.get_object()
        return self._message(services.add_note(actor=request.user, conversation=conversation,
                                               text=self._text(request)))

    @extend_schema(request=AssignInput, responses=ConversationDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give the conversation to an agent who answers buyers of its shop, or back to the queue (null)."""
        conversation = self.get_object()
        s = AssignInput(data=request.data)
        s.is_valid(raise_exception=True)
        agent = None
        if s.validated_data["agent"] is not None:
            agent = get_user_model().objects.filter(pk=s.validated_data["agent"], is_active=True).first()
            if agent is None:
                raise serializers.ValidationError({"agent": [gettext("Unknown agent.")]})
            try:
                check_shop_access(agent, conversation.shop)
            except NotAllowed:
                raise serializers.ValidationError({"agent": [
                    gettext("%(name)s does not work on shop %(shop)s.")
                    % {"name": agent.get_username(), "shop": conversation.shop.name}]}) from None
        return self._detail(services.assign_conversation(actor=request.user, conversation=conversation,
                                                         agent=agent))

    @extend_schema(request=TagsInput, responses=ConversationDetailSerializer)
    @action(detail=True, methods=["post"])
    def tags(self, request, pk=None):
        conversation = self.get_object()
        s = TagsInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._detail(services.set_tags(actor=request.user, conversation=conversation,
                                              tags=s.validated_data["tags"]))

    @extend_schema(request=None, responses=ConversationDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the thread (409 when it is closed already); the buyer writing again reopens it. The day's quality
        score is computed at once."""
        conversation = self.get_object()
        return self._detail(services.close_conversation(actor=request.user, conversation=conversation))

    @extend_schema(request=VerificationInput, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"])
    def verification(self, request, pk=None):
        """Send the verification message (核实) of the buyer's paid order: its receiver, phone and address for the
        buyer to confirm (409 before payment)."""
        conversation = self.get_object()
        s = VerificationInput(data=request.data)
        s.is_valid(raise_exception=True)
        number = s.validated_data["order"].strip()
        order = orders_visible_to(request.user).filter(shop_id=conversation.shop_id, platform_order_no=number).first()
        if order is None:
            raise serializers.ValidationError({"order": [gettext("No order %(no)s in this shop.") % {"no": number}]})
        return self._message(services.send_verification(actor=request.user, conversation=conversation, order=order))

    @extend_schema(request=ShippingNoticeInput, responses={201: MessageSerializer})
    @action(detail=True, methods=["post"], url_path="shipping-notice")
    def shipping_notice(self, request, pk=None):
        """Send a due shipping notice (carrier and tracking number) of one of the buyer's orders and mark it sent
        (409 when it was sent already)."""
        from shopdesk.fulfillment.selectors import buyer_notices

        conversation = self.get_object()
        s = ShippingNoticeInput(data=request.data)
        s.is_valid(raise_exception=True)
        notice = buyer_notices(request.user).filter(
            pk=s.validated_data["notice"], order__shop_id=conversation.shop_id,
            order__buyer_platform_id=conversation.buyer_id).first()
        if notice is None:
            raise serializers.ValidationError({"notice": [gettext("No such shipping notice for this buyer.")]})
        return self._message(services.send_shipping_notice(actor=request.user, conversation=conversation,
                                                           notice=notice))


class BuyerMessageViewSet(viewsets.GenericViewSet):
    """Post a buyer's message as it arrives on the platform (a connector or a bot): the buyer's conversation in the
    shop is created on first contact, the message is classified (intent, confidence) and the buyer is queued.
    Needs service.reply_conversation."""

    permission_classes = [RequirePerms]
    required_perms = {"create": [REPLY]}
    queryset = Message.objects.none()
    serializer_class = MessageSerializer

    @extend_schema(request=BuyerMessageInput, responses={201: MessageSerializer}, examples=[
        OpenApiExample("bargain", request_only=True, value={
            "shop": "tmall-main", "buyer_id": "tb-buyer", "buyer_nick": "小王", "text": "能便宜点不",
            "sent_at": "2026-11-23T09:30:00+08:00"})])
    def create(self, request):
        s = BuyerMessageInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        message = services.post_buyer_message(actor=request.user, shop=_own_shop(request.user, d["shop"]),
                                              buyer_id=d["buyer_id"], buyer_nick=d["buyer_nick"], text=d["text"],
                                              sent_at=d["sent_at"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


# --- canned replies ---------------------------------------------------------------------------------------------------


class CannedReplyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Canned replies (快捷短语) the caller may use: shop-wide ones (for every shop or one of theirs) and their own
    personal ones. Creating a personal reply needs service.add_cannedreply; a shop-wide one, changing or deleting it
    needs service.change_cannedreply / service.delete_cannedreply. A colleague's personal reply is 404."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_REPLIES], "retrieve": [VIEW_REPLIES], "render": [VIEW_REPLIES, VIEW],
                      "create": [services.ADD_PERSONAL_REPLY], "partial_update": [VIEW_REPLIES],
                      "destroy": [VIEW_REPLIES]}
    serializer_class = CannedReplySerializer
    queryset = CannedReply.objects.none()

    def get_queryset(self):
        """Every reply the caller may see, inactive ones too (to change or delete them)."""
        user = self.request.user
        return (CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user))
                .filter(Q(shop__isnull=True) | Q(shop__in=shops_visible_to(user)))
                .select_related("shop").order_by("group", "sort", "id"))

    @extend_schema(parameters=[CannedReplyQuery])
    def list(self, request, *args, **kwargs):
        """The active replies, by group (the eight in-sale steps, then the after-sales topics)."""
        q = CannedReplyQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        shop = _own_shop(request.user, d["shop"]) if d["shop"] else None
        qs = selectors.replies_for(request.user, shop=shop, group=d["group"], query=d["q"],
                                   intent=d["intent"].strip()).select_related("shop")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(CannedReplySerializer(page, many=True).data)

    def _shop(self, code):
        return None if code is None else _own_shop(self.request.user, code)

    @extend_schema(request=CannedReplyInput, responses={201: CannedReplySerializer})
    def create(self, request):
        s = CannedReplyInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        reply = services.create_canned_reply(
            actor=request.user, group=d["group"], title=d["title"], text=d["text"], shortcut=d["shortcut"],
            intents=d["intents"], bargain_step=d["bargain_step"], shop=self._shop(d["shop"]),
            personal=d["personal"], sort=d["sort"])
        return Response(CannedReplySerializer(self.get_queryset().get(pk=reply.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=CannedReplyPatch, responses=CannedReplySerializer)
    def partial_update(self, request, pk=None):
        reply = self.get_object()
        s = CannedReplyPatch(data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        fields = dict(s.validated_data)
        if "shop" in fields:
            fields["shop"] = self._shop(fields["shop"])
        reply = services.update_canned_reply(actor=request.user, reply=reply, **fields)
        return Response(CannedReplySerializer(self.get_queryset().get(pk=reply.pk)).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request, pk=None):
        services.delete_canned_reply(actor=request.user, reply=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[
        OpenApiParameter("conversation", int, required=True, description="The conversation's id."),
        OpenApiParameter("order", str, description="A platform order number of the buyer's; their latest order "
                                                   "when left out.")],
        responses=RenderedReplySerializer)
    @action(detail=True, methods=["get"])
    def render(self, request, pk=None):
        """The reply's text with its variables ({店铺} {客服} {买家} {商品} {订单号} {快递公司} {运单号}) filled from
        the conversation: the shop, you, the buyer, and the buyer's latest order (or `order`)."""
        reply = self.get_object()
        raw = request.query_params.get("conversation", "")
        if not raw.isdigit():
            raise serializers.ValidationError({"conversation": [gettext("A conversation id is required.")]})
        try:
            conversation = selectors.conversation_detail(request.user, int(raw))
        except Conversation.DoesNotExist:
            raise Http404 from None
        if reply.shop_id is not None and reply.shop_id != conversation.shop_id:
            raise serializers.ValidationError({"conversation": [gettext("This reply is for another shop.")]})
        orders = selectors.buyer_orders(conversation, limit=1)
        number = request.query_params.get("order", "").strip()
        if number:
            orders = (Order.objects.filter(shop_id=conversation.shop_id, buyer_platform_id=conversation.buyer_id,
                                           platform_order_no=number).prefetch_related("lines"))
        order = next(iter(orders), None)
        if number and order is None:
            raise serializers.ValidationError({"order": [gettext("Order %(no)s is not this buyer's order in this "
                                                                 "shop.") % {"no": number}]})
        values = replies.context_for(conversation, agent=request.user, order=order)
        text = replies.fill(reply.text, values)
        unfilled = [v for v in replies.VARIABLES if f"{{{v}}}" in text]
        return Response(RenderedReplySerializer({
            "reply": reply.pk, "conversation": conversation.pk,
            "order": order.platform_order_no if order is not None else None, "text": text,
            "values": {k: v or "" for k, v in values.items()}, "unfilled": unfilled}).data)


# --- discount requests ------------------------------------------------------------------------------------------------


class DiscountRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Discounts a buyer asked for beyond the agent's own limit (议价, 003:548), of the caller's shops: the agent asks
    (within their limit they grant it themselves: 409), the supervisor approves within their own limit or refuses
    with a reason (service.approve_discount). One request waits per conversation at a time."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_DISCOUNTS], "retrieve": [VIEW_DISCOUNTS], "create": [services.REQUEST_DISCOUNT],
                      "approve": [services.APPROVE_DISCOUNT], "reject": [services.APPROVE_DISCOUNT]}
    serializer_class = DiscountRequestSerializer
    queryset = DiscountRequest.objects.none()

    def get_queryset(self):
        return (DiscountRequest.objects
                .filter(conversation__in=selectors.conversations_visible_to(self.request.user))
                .select_related("conversation__shop", "requested_by__staff_profile", "decided_by"))

    @extend_schema(parameters=[DiscountQuery])
    def list(self, request, *args, **kwargs):
        q = DiscountQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        if d["state"] == DiscountRequest.State.PENDING:
            qs = selectors.pending_discount_requests(request.user).select_related("requested_by__staff_profile",
                                                                                 "decided_by")
        else:
            qs = self.get_queryset()
            if d["state"]:
                qs = qs.filter(state=d["state"])
        if d["shop"]:
            qs = qs.filter(conversation__shop=_own_shop(request.user, d["shop"]))
        if d["conversation"] is not None:
            qs = qs.filter(conversation_id=d["conversation"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DiscountRequestSerializer(page, many=True).data)

    def _answer(self, request_, code=status.HTTP_200_OK):
        return Response(DiscountRequestSerializer(self.get_queryset().get(pk=request_.pk)).data, status=code)

    @extend_schema(request=DiscountRequestInput, responses={201: DiscountRequestSerializer})
    def create(self, request):
        s = DiscountRequestInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        try:
            conversation = selectors.conversation_detail(request.user, d["conversation"])
        except Conversation.DoesNotExist:
            raise Http404 from None
        found = services.request_discount(actor=request.user, conversation=conversation, percent=d["percent"],
                                          note=d["note"])
        return self._answer(found, status.HTTP_201_CREATED)

    def _decide(self, request, approve: bool):
        found = self.get_object()
        s = DiscountDecisionInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._answer(services.decide_discount(actor=request.user, request=found, approve=approve,
                                                     reason=s.validated_data["reason"]))

    @extend_schema(request=DiscountDecisionInput, responses=DiscountRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve (within your own discount limit; beyond it 409: ask the manager)."""
        return self._decide(request, approve=True)

    @extend_schema(request=DiscountDecisionInput, responses=DiscountRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Refuse, saying why (`reason` is required)."""
        return self._decide(request, approve=False)


router = SimpleRouter()
router.register("conversations", ConversationViewSet, basename="service-conversation")
router.register("messages", BuyerMessageViewSet, basename="service-message")
router.register("replies", CannedReplyViewSet, basename="service-reply")
router.register("discount-requests", DiscountRequestViewSet, basename="service-discount-request")

urlpatterns = [*router.urls]
