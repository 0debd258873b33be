"""The conversation services (service/services.py): buyer messages and agent replies with their response times,
notes, assignment, tags, closing, the verification and shipping messages, canned replies and their permissions,
discount requests beyond an agent's authority."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.service import services
from shopdesk.service.models import CannedReply, Conversation, DiscountRequest, Message

D = datetime  # naive datetimes are China time in the chat fixture


def _events(action):
    return AuditEvent.objects.filter(action=action)


# --- buyer messages and replies -------------------------------------------------------------------------------------


def test_buyer_message_opens_a_conversation_and_waits(shop, agent):
    with clock.freeze(D(2026, 11, 23, 9, 0)):
        first = services.post_buyer_message(actor=agent, shop=shop, buyer_id=" tb-amy ", text="  亲，在吗？ ",
                                            buyer_nick="Amy")
    with clock.freeze(D(2026, 11, 23, 9, 1)):
        second = services.post_buyer_message(actor=agent, shop=shop, buyer_id="tb-amy", text="这件有现货吗")
    conversation = Conversation.objects.get()
    assert first.conversation_id == second.conversation_id == conversation.pk  # one thread per buyer per shop
    assert first.text == "亲，在吗？" and first.direction == Message.Direction.BUYER
    assert conversation.buyer_id == "tb-amy" and conversation.buyer_nick == "Amy"
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.waiting_since == first.sent_at  # the oldest unanswered message
    assert conversation.last_message_at == second.sent_at
    assert first.intent  # classified when stored (the model decides which intent)
    assert _events("service.buyer_message").count() == 2


def test_same_buyer_in_two_shops_has_two_conversations(shop, other_shop):
    services.post_buyer_message(actor=None, shop=shop, buyer_id="tb-amy", text="在吗")
    services.post_buyer_message(actor=None, shop=other_shop, buyer_id="tb-amy", text="在吗")
    assert Conversation.objects.count() == 2


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_empty_or_long_buyer_message_refused_beside_the_text(shop, text):
    with pytest.raises(ServiceError) as refused:
        services.post_buyer_message(actor=None, shop=shop, buyer_id="tb-amy", text=text)
    assert "text" in refused.value.fields
    assert not Message.objects.exists()


def test_buyer_account_is_required(shop):
    with pytest.raises(ServiceError) as refused:
        services.post_buyer_message(actor=None, shop=shop, buyer_id="  ", text="在吗")
    assert "buyer_id" in refused.value.fields


def test_only_people_of_the_shop_with_the_right_post_write(shop, other_shop, make_user):
    with pytest.raises(NotAllowed):
        services.post_buyer_message(actor=make_user("warehouse", shops=[shop]), shop=shop, buyer_id="b", text="x")
    with pytest.raises(NotAllowed):
        services.post_buyer_message(actor=make_user("cs_presales", shops=[other_shop]), shop=shop, buyer_id="b",
                                    text="x")


def test_reply_stores_the_response_time_from_the_oldest_waiting_message(chat, agent):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0, 0)),
                         ("buyer", "想问下尺码", D(2026, 11, 23, 9, 0, 20)),
                         ("agent", "在的亲，您说", D(2026, 11, 23, 9, 0, 45))])
    reply = conversation.messages.get(direction=Message.Direction.AGENT)
    assert reply.response_seconds == 45 and reply.first_response is True
    assert reply.agent == agent and reply.source == Message.Source.WORKBENCH
    assert conversation.waiting_since is None and conversation.status == Conversation.Status.WAITING
    assert conversation.assignee == agent  # nobody had it: the agent who answers takes it
    assert _events("service.agent_reply").count() == 1


def test_first_response_once_per_day(chat):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的", D(2026, 11, 23, 9, 1)),
                         ("buyer", "有L码吗", D(2026, 11, 23, 9, 5)), ("agent", "有的", D(2026, 11, 23, 9, 5, 30)),
                         ("agent", "还需要什么吗", D(2026, 11, 23, 9, 6)),
                         ("buyer", "发货了吗", D(2026, 11, 24, 10, 0)), ("agent", "今天发", D(2026, 11, 24, 10, 2))])
    replies = list(conversation.messages.filter(direction="agent").order_by("sent_at"))
    assert [r.first_response for r in replies] == [True, False, False, True]
    assert [r.response_seconds for r in replies] == [60, 30, None, 120]  # nothing waiting: no response time


def test_reply_keeps_an_existing_assignee(chat, agent, aftersales_agent, supervisor):
    conversation = chat([("buyer", "衣服开线了", D(2026, 11, 23, 9, 0))])
    services.assign_conversation(actor=supervisor, conversation=conversation, agent=aftersales_agent)
    services.post_agent_reply(actor=agent, conversation=conversation, text="亲，先别急")
    conversation.refresh_from_db()
    assert conversation.assignee == aftersales_agent


def test_reply_needs_the_shop_and_the_right(chat, make_user, shop, other_shop):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    for stranger in (make_user("cs_presales", shops=[other_shop]), make_user("warehouse", shops=[shop])):
        with pytest.raises(NotAllowed):
            services.post_agent_reply(actor=stranger, conversation=conversation, text="在的")
    assert not conversation.messages.filter(direction="agent").exists()


def test_buyer_writing_again_reopens_a_closed_conversation(chat, shop):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的", D(2026, 11, 23, 9, 1)),
                         ("close", "", D(2026, 11, 23, 9, 2))])
    assert conversation.status == Conversation.Status.CLOSED and conversation.closed_at is not None
    with clock.freeze(D(2026, 11, 23, 15, 0)):
        services.post_buyer_message(actor=None, shop=shop, buyer_id="tb-buyer", text="还在吗")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN and conversation.closed_at is None
    assert conversation.waiting_since is not None


# --- notes, assignment, tags, closing -------------------------------------------------------------------------------


def test_note_is_private_and_not_an_answer(chat, agent):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("note", "老客户", D(2026, 11, 23, 9, 1))])
    note = conversation.messages.get(direction=Message.Direction.NOTE)
    assert note.agent == agent and note.response_seconds is None
    assert conversation.waiting_since is not None  # still waiting for an answer
    assert _events("service.note_added").count() == 1
    with pytest.raises(ServiceError):
        services.add_note(actor=agent, conversation=conversation, text=" ")


def test_assignment_to_colleagues_of_the_shop_only(chat, agent, aftersales_agent, make_user, shop, other_shop):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    services.assign_conversation(actor=agent, conversation=conversation, agent=aftersales_agent)
    conversation.refresh_from_db()
    assert conversation.assignee == aftersales_agent
    event = _events("service.assigned").get()
    assert event.changes["assignee"]["after"] is not None
    with pytest.raises(ServiceError) as refused:
        services.assign_conversation(actor=agent, conversation=conversation,
                                     agent=make_user("warehouse", shops=[shop]))
    assert "agent" in refused.value.fields
    with pytest.raises(ServiceError) as refused:  # the colleague's shops, not the actor's: a field error
        services.assign_conversation(actor=agent, conversation=conversation,
                                     agent=make_user("cs_presales", shops=[other_shop]))
    assert "agent" in refused.value.fields and refused.value.status == 400
    services.assign_conversation(actor=agent, conversation=conversation, agent=None)
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_tags_are_cleaned_and_bounded(chat, agent):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    services.set_tags(actor=agent, conversation=conversation, tags=[" 议价 ", "议价", "", "老客户"])
    conversation.refresh_from_db()
    assert conversation.tags == ["议价", "老客户"]
    with pytest.raises(ServiceError) as refused:
        services.set_tags(actor=agent, conversation=conversation, tags=[f"t{i}" for i in range(11)])
    assert "tags" in refused.value.fields
    conversation.refresh_from_db()
    assert conversation.tags == ["议价", "老客户"]


def test_close_once(chat, agent):
    conversation = chat([("buyer", "好的谢谢", D(2026, 11, 23, 9, 0)), ("agent", "不客气", D(2026, 11, 23, 9, 1))])
    with clock.freeze(D(2026, 11, 23, 9, 5)):
        services.close_conversation(actor=agent, conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    assert _events("service.closed").count() == 1
    with pytest.raises(Conflict):
        services.close_conversation(actor=agent, conversation=conversation)


# --- verification and shipping notice -------------------------------------------------------------------------------


def test_verification_carries_the_receivers_details_to_the_buyer(chat, agent, make_order):
    conversation = chat([("buyer", "付好了", D(2026, 11, 23, 9, 0))])
    order = make_order(buyer="tb-buyer", name="李小红", mobile="13912345678", detail="文三路88号")
    with clock.freeze(D(2026, 11, 23, 9, 1)):
        message = services.send_verification(actor=agent, conversation=conversation, order=order)
    assert order.platform_order_no in message.text
    assert "李小红" in message.text and "13912345678" in message.text and "浙江省杭州市西湖区文三路88号" in message.text
    assert message.response_seconds == 60  # it answers the waiting buyer
    assert _events("service.verification_sent").get().changes["order"]["after"] == order.platform_order_no


def test_verification_only_for_the_buyers_paid_order(chat, agent, make_order, other_shop):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    with pytest.raises(Conflict):
        services.send_verification(actor=agent, conversation=conversation,
                                   order=make_order(buyer="tb-buyer", status="unpaid"))
    with pytest.raises(ServiceError) as refused:
        services.send_verification(actor=agent, conversation=conversation, order=make_order(buyer="tb-other"))
    assert "order" in refused.value.fields
    with pytest.raises(ServiceError):
        services.send_verification(actor=agent, conversation=conversation,
                                   order=make_order(buyer="tb-buyer", for_shop=other_shop))
    assert not conversation.messages.filter(direction="agent").exists()


def test_shipping_notice_sent_once(chat, agent, make_order):
    from shopdesk.fulfillment.models import BuyerNotice

    conversation = chat([("buyer", "发货了吗", D(2026, 11, 23, 9, 0))])
    order = make_order(buyer="tb-buyer")
    notice = BuyerNotice.objects.create(order=order, text="亲，您的宝贝已由中通快递发出，运单号75312345678")
    message = services.send_shipping_notice(actor=agent, conversation=conversation, notice=notice)
    assert message.text == notice.text
    notice.refresh_from_db()
    assert notice.state == BuyerNotice.State.SENT and notice.sent_at is not None
    with pytest.raises(Conflict):
        services.send_shipping_notice(actor=agent, conversation=conversation, notice=notice)
    other = BuyerNotice.objects.create(order=make_order(buyer="tb-other"), text="亲，已发货")
    with pytest.raises(ServiceError):
        services.send_shipping_notice(actor=agent, conversation=conversation, notice=other)


# --- canned replies -------------------------------------------------------------------------------------------------


def test_agent_keeps_personal_replies_supervisor_the_teams(agent, supervisor, shop):
    mine = services.create_canned_reply(actor=agent, group="greet", title="我的招呼", text="亲，{买家}您好！",
                                        shortcut="nh", personal=True)
    assert mine.owner == agent and "wdzh" in mine.search_key and "nh" in mine.search_key
    with pytest.raises(NotAllowed):
        services.create_canned_reply(actor=agent, group="greet", title="全店招呼", text="亲，您好")
    team = services.create_canned_reply(actor=supervisor, group="shipping", title="快递", text="默认中通",
                                        shop=shop, intents=["carrier"])
    assert team.owner is None and team.shop == shop and team.intents == ["carrier"]
    assert _events("service.reply_created").count() == 2


@pytest.mark.parametrize("kwargs, field", [
    ({"text": "亲，{卖家}您好"}, "text"),
    ({"title": "  "}, "title"),
    ({"text": ""}, "text"),
    ({"group": "nonsense"}, "group"),
    ({"intents": ["telepathy"]}, "intents"),
    ({"bargain_step": 5}, "bargain_step"),
])
def test_reply_checks_name_the_field(supervisor, kwargs, field):
    values = {"group": "bargain", "title": "议价", "text": "亲，已经是最低价了", **kwargs}
    with pytest.raises(ServiceError) as refused:
        services.create_canned_reply(actor=supervisor, **values)
    assert field in refused.value.fields
    assert not CannedReply.objects.exists()


def test_update_and_delete_follow_ownership(agent, aftersales_agent, supervisor):
    mine = services.create_canned_reply(actor=agent, group="greet", title="招呼", text="亲", personal=True)
    with pytest.raises(NotAllowed):
        services.update_canned_reply(actor=aftersales_agent, reply=mine, text="改掉")
    with pytest.raises(NotAllowed):
        services.delete_canned_reply(actor=aftersales_agent, reply=mine)
    changed = services.update_canned_reply(actor=agent, reply=mine, title="快递单号", text="单号是{运单号}")
    assert changed.text == "单号是{运单号}" and "kddh" in changed.search_key
    with pytest.raises(ServiceError) as refused:
        services.update_canned_reply(actor=agent, reply=mine, text="{单号}")
    assert "text" in refused.value.fields
    team = services.create_canned_reply(actor=supervisor, group="greet", title="欢迎", text="欢迎光临")
    with pytest.raises(NotAllowed):
        services.update_canned_reply(actor=agent, reply=team, text="改")
    with pytest.raises(NotAllowed):
        services.delete_canned_reply(actor=agent, reply=team)
    services.delete_canned_reply(actor=agent, reply=mine)
    services.delete_canned_reply(actor=supervisor, reply=team)
    assert not CannedReply.objects.exists()
    assert _events("service.reply_deleted").count() == 2


# --- discounts beyond authority ---------------------------------------------------------------------------------------


def test_discount_within_own_limit_needs_no_request(chat, agent):
    conversation = chat([("buyer", "便宜点吧", D(2026, 11, 23, 9, 0))])
    with pytest.raises(Conflict):
        services.request_discount(actor=agent, conversation=conversation, percent="5")  # the agent's own 5%
    for bad in ("abc", "0", "100"):
        with pytest.raises(ServiceError) as refused:
            services.request_discount(actor=agent, conversation=conversation, percent=bad)
        assert "percent" in refused.value.fields


def test_discount_request_decided_by_the_supervisor(chat, agent, supervisor):
    conversation = chat([("buyer", "买三件打个九折吧", D(2026, 11, 23, 9, 0))])
    request = services.request_discount(actor=agent, conversation=conversation, percent="8", note="买三件")
    assert request.percent == Decimal("8.00") and request.state == DiscountRequest.State.PENDING
    with pytest.raises(Conflict):
        services.request_discount(actor=agent, conversation=conversation, percent="9")  # one waiting at a time
    with pytest.raises(NotAllowed):
        services.decide_discount(actor=agent, request=request, approve=True)
    with pytest.raises(ServiceError) as refused:
        services.decide_discount(actor=supervisor, request=request, approve=False, reason="")
    assert "reason" in refused.value.fields
    decided = services.decide_discount(actor=supervisor, request=request, approve=True, reason="老客户")
    assert decided.state == DiscountRequest.State.APPROVED and decided.decided_by == supervisor
    with pytest.raises(Conflict):
        services.decide_discount(actor=supervisor, request=request, approve=False, reason="再想想")
    assert _events("service.discount_decided").count() == 1


def test_supervisor_approves_only_within_their_own_limit(chat, agent, supervisor):
    conversation = chat([("buyer", "打个八折", D(2026, 11, 23, 9, 0))])
    request = services.request_discount(actor=agent, conversation=conversation, percent="20")
    with pytest.raises(Conflict):
        services.decide_discount(actor=supervisor, request=request, approve=True)  # beyond the supervisor's 10%
    refused = services.decide_discount(actor=supervisor, request=request, approve=False, reason="超出权限，送赠品")
    assert refused.state == DiscountRequest.State.REJECTED and refused.decision_reason == "超出权限，送赠品"


def test_nobody_decides_their_own_request(chat, supervisor):
    conversation = chat([("buyer", "便宜点", D(2026, 11, 23, 9, 0))])
    request = services.request_discount(actor=supervisor, conversation=conversation, percent="15")
    with pytest.raises(Conflict):
        services.decide_discount(actor=supervisor, request=request, approve=False, reason="不行")
