"""Reply suggestions for a buyer's message: its intent (`intents.classify`), the canned replies that answer it, and
for bargaining the next move of the playbook (`bargaining.next_move`).

The replies are the person's own (personal) ones first, then the shop's, then the ones for every shop, taken from
`selectors.replies_for(user, shop=..., intent=...)`; with a conversation their variables are filled from its
context (shop, agent, buyer, and the buyer's latest order in the shop: order number, carrier, tracking number,
first item). A variable without a value stays visible for the agent to fill.

Bargaining: the count is the buyer's stored bargaining messages in the conversation (`selectors.bargain_count`),
plus this message when it is not the conversation's latest stored buyer message (the API may ask about a message
before it is stored), at least 1. The agent's limit is `authority_limits(user).max_discount_percent`; a pending or
refused discount request of the conversation turns step 4 into a gift, an approved one into a close at the approved
discount. The reply for the move comes first: the reply of that step (`bargain_step`), or the supervisor/gift reply
(see `standard_replies`); replies of the other steps are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopdesk.service import bargaining, intents, replies, selectors
from shopdesk.service.models import CannedReply, DiscountRequest, Message
from shopdesk.service.standard_replies import GIFT_TITLE, SUPERVISOR_TITLE


@dataclass
class Suggestion:
    intent: str
    confidence: float
    replies: list[dict] = field(default_factory=list)  # [{"id": ..., "text": ...}]
    move: bargaining.Move | None = None

    def as_dict(self) -> dict:
        return {"intent": self.intent, "confidence": round(float(self.confidence), 4), "replies": self.replies,
                "bargain": self.move.as_dict() if self.move is not None else None}


def _kind(reply: CannedReply) -> str:
    """What a bargaining reply is for: "step" (has a bargain_step), "supervisor", "gift" or "" (general)."""
    if reply.bargain_step:
        return "step"
    if reply.title == SUPERVISOR_TITLE or (reply.group == "bargain" and "主管" in reply.title):
        return "supervisor"
    if reply.title == GIFT_TITLE or (reply.group == "bargain" and ("礼" in reply.title or "赠" in reply.title)):
        return "gift"
    return ""


def _rank(reply: CannedReply, user, shop) -> tuple:
    personal = 0 if reply.owner_id is not None and reply.owner_id == getattr(user, "pk", None) else 1
    shop_specific = 0 if shop is not None and reply.shop_id == shop.pk else 1
    return (personal, shop_specific, reply.sort, reply.id)


def _for_move(candidates: list[CannedReply], move: bargaining.Move | None) -> list[CannedReply]:
    """The bargaining replies in the order the move wants: the fitting one(s) first, other steps left out."""
    if move is None:
        return candidates
    wanted = {bargaining.SUPERVISOR_REQUEST: "supervisor", bargaining.GIFT: "gift"}.get(move.action, "step")
    first, rest = [], []
    for reply in candidates:
        kind = _kind(reply)
        if kind == wanted and (kind != "step" or reply.bargain_step == move.step):
            first.append(reply)
        elif kind == "":
            rest.append(reply)
    return first + rest


def _latest_order(conversation):
    return next(iter(selectors.buyer_orders(conversation, limit=1)), None)


def _agent_name(user) -> str:
    """The name buyers see for the agent: the staff profile's display name, else the full name or the username."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    profile = getattr(user, "staff_profile", None)
    return (getattr(profile, "display_name", "") or user.get_full_name() or user.get_username()).strip()


def _supervisor_state(conversation) -> tuple[str | None, object]:
    """The state of the conversation's discount requests: pending wins, then the latest decision."""
    found = list(conversation.discount_requests.order_by("-created_at", "-id").values_list("state", "percent")[:20])
    if any(state == DiscountRequest.State.PENDING for state, _p in found):
        return bargaining.PENDING, None
    if found:
        state, percent = found[0]
        return state, percent if state == DiscountRequest.State.APPROVED else None
    return None, None


def bargain_move(*, user, text: str, conversation=None, order=None) -> bargaining.Move:
    """The playbook's next move for this bargaining message."""
    from shopdesk.staff.authz import authority_limits

    count, supervisor, approved, price = 1, None, None, None
    if conversation is not None:
        count = selectors.bargain_count(conversation)
        latest = (conversation.messages.filter(direction=Message.Direction.BUYER).order_by("-sent_at", "-id")
                  .values_list("text", flat=True).first())
        if latest is None or latest.strip() != (text or "").strip():
            count += 1  # this message is not stored (yet)
        supervisor, approved = _supervisor_state(conversation)
        if order is not None and order.paid_at is None and order.goods_amount:
            price = order.goods_amount  # an order placed but not paid: the price the buyer is bargaining on
    limit = authority_limits(user).max_discount_percent if user is not None else 0
    return bargaining.next_move(max(1, count), limit, ask=bargaining.parse_ask(text), supervisor=supervisor,
                                approved_percent=approved, price=price)


def suggest(*, user, text: str, conversation=None, limit: int = 3) -> Suggestion:
    """The intent of `text`, up to `limit` fitting replies (filled for the conversation), and the bargaining move."""
    prediction = intents.classify(text)
    shop = conversation.shop if conversation is not None else None
    order = _latest_order(conversation) if conversation is not None else None
    move = None
    if prediction.intent == "bargain":
        move = bargain_move(user=user, text=text, conversation=conversation, order=order)
    candidates = sorted(selectors.replies_for(user, shop=shop, intent=prediction.intent),
                        key=lambda r: _rank(r, user, shop))
    chosen = _for_move(candidates, move)[:max(0, limit)]
    values = replies.context_for(conversation, agent=user, order=order) if conversation is not None else {}
    values["客服"] = _agent_name(user) or values.get("客服", "")
    return Suggestion(intent=prediction.intent, confidence=prediction.confidence,
                      replies=[{"id": r.pk, "text": replies.fill(r.text, values)} for r in chosen], move=move)
