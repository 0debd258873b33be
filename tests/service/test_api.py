"""Customer-service API (/api/v1/service/): buyer messages from connectors, conversations with the buyer's orders
(masked), the thread, replies, notes, assignment, tags, closing, verification and shipping messages, canned replies
with their variables filled, discount requests; permissions, shop scoping, field errors, conflicts, audit rows and
query bounds on the lists."""

from __future__ import annotations

from datetime import datetime

import pytest
from rest_framework.test import APIClient

from shopdesk.core import clock
from shopdesk.core.models import AuditEvent
from shopdesk.orders.models import Order
from shopdesk.service import services
from shopdesk.service.models import CannedReply, Conversation, DiscountRequest, Message
from shopdesk.staff import services as staff_services

D = datetime  # naive datetimes are China time
API = "/api/v1/service/"
CONVERSATIONS = f"{API}conversations/"
REPLIES = f"{API}replies/"
DISCOUNTS = f"{API}discount-requests/"


def _events(action):
    return AuditEvent.objects.filter(action=action)


def conv_url(conversation, step=""):
    return f"{CONVERSATIONS}{conversation.pk}/" + (f"{step}/" if step else "")


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


@pytest.fixture
def api_as():
    """api_as(user) -> an APIClient authenticating with the person's token."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {staff_services.issue_api_token(actor=None, user=user)}")
        client.user = user
        return client

    return make


@pytest.fixture
def agent_api(api_as, agent):
    return api_as(agent)


@pytest.fixture
def warehouse_api(api_for, shop):
    return api_for("warehouse", shops=[shop])


@pytest.fixture
def stranger_api(api_for, other_shop):
    """An agent of another shop: this shop's conversations do not exist for them."""
    return api_for("cs_presales", shops=[other_shop])


# --- buyer messages from connectors ---------------------------------------------------------------------------------


def test_connector_posts_a_buyer_message(agent_api, shop):
    body = {"shop": shop.code, "buyer_id": "tb-amy", "buyer_nick": "Amy", "text": "能便宜点不",
            "sent_at": "2026-11-23T09:30:00+08:00"}
    response = agent_api.post(f"{API}messages/", body, format="json")
    assert response.status_code == 201, response.content
    answer = response.json()
    conversation = Conversation.objects.get()
    assert answer["conversation"] == conversation.pk and answer["direction"] == "buyer"
    assert answer["text"] == "能便宜点不" and answer["intent"] and 0 <= answer["confidence"] <= 1
    assert answer["sent_at"] == "2026-11-23T09:30:00+08:00"
    assert conversation.buyer_nick == "Amy" and conversation.waiting_since is not None
    assert _events("service.buyer_message").filter(actor=agent_api.user).count() == 1
    again = agent_api.post(f"{API}messages/", {**body, "text": "包邮吗", "sent_at": None}, format="json")
    assert again.status_code == 201 and again.json()["conversation"] == conversation.pk  # one thread per buyer


def test_buyer_message_refusals(agent_api, warehouse_api, stranger_api, shop, other_shop):
    url = f"{API}messages/"
    body = {"shop": shop.code, "buyer_id": "tb-amy", "text": "在吗"}
    assert warehouse_api.post(url, body, format="json").status_code == 403
    assert APIClient().post(url, body, format="json").status_code == 401
    refused = stranger_api.post(url, body, format="json")
    assert refused.status_code == 400 and "shop" in _fields(refused)
    for bad, field in [({"text": "  "}, "text"), ({"text": "x" * 2001}, "text"), ({"buyer_id": ""}, "buyer_id"),
                       ({"shop": other_shop.code}, "shop"), ({"sent_at": "2099-01-01T00:00:00+08:00"}, "sent_at"),
                       ({"sent_at": "yesterday"}, "sent_at")]:
        response = agent_api.post(url, {**body, **bad}, format="json")
        assert response.status_code == 400, (bad, response.content)
        assert field in _fields(response)
    assert not Message.objects.exists()


# --- conversations: list, detail, thread ----------------------------------------------------------------------------


def test_queues_and_filters(agent_api, chat, agent, supervisor, make_order, other_shop):
    old = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))], buyer="tb-old", nick="老王")
    buyer = chat([("buyer", "发货了吗", D(2026, 11, 23, 9, 30))], buyer="tb-buyer")
    make_order(buyer="tb-buyer")
    answered = chat([("buyer", "有L码吗", D(2026, 11, 23, 8, 0)), ("agent", "有的", D(2026, 11, 23, 8, 1))],
                    buyer="tb-answered")
    closed = chat([("buyer", "谢谢", D(2026, 11, 23, 7, 0)), ("agent", "不客气", D(2026, 11, 23, 7, 1)),
                   ("close", "", D(2026, 11, 23, 7, 2))], buyer="tb-closed")
    chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))], buyer="tb-elsewhere", for_shop=other_shop, by=supervisor)

    def ids(**params):
        response = agent_api.get(CONVERSATIONS, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(queue="waiting") == [buyer.pk, old.pk]  # a buyer with an order first, then the longest waiting
    assert ids(queue="closed") == [closed.pk]
    assert set(ids(queue="mine")) == {answered.pk}
    assert set(ids()) == {old.pk, buyer.pk, answered.pk, closed.pk}  # not the other shop's
    assert ids(status="waiting") == [answered.pk]
    assert ids(buyer="老") == [old.pk] and ids(buyer="tb-buyer") == [buyer.pk]
    assert set(ids(assignee=agent.pk)) == {answered.pk, closed.pk}
    row = agent_api.get(CONVERSATIONS, {"queue": "waiting"}).json()["results"][0]
    assert row["has_order"] is True and row["last_text"] == "发货了吗" and row["shop"] == "tmall-main"
    assert row["waiting_since"] == "2026-11-23T09:30:00+08:00"
    for params, field in [({"queue": "later"}, "queue"), ({"status": "asleep"}, "status"),
                          ({"shop": other_shop.code}, "shop"), ({"assignee": "x"}, "assignee")]:
        response = agent_api.get(CONVERSATIONS, params)
        assert response.status_code == 400 and field in _fields(response)


def test_lists_are_bounded_in_queries(agent_api, chat, make_order, django_assert_max_num_queries):
    for n in range(30):
        conversation = chat([("buyer", f"在吗{n}", D(2026, 11, 23, 9, n)), ("note", "老客户", D(2026, 11, 23, 9, n)),
                             ("agent", "在的", D(2026, 11, 23, 9, n, 30))], buyer=f"tb-{n}")
        if n % 3 == 0:
            make_order(buyer=f"tb-{n}")
    for params in ({}, {"queue": "open"}, {"queue": "mine", "page_size": 100}):
        with django_assert_max_num_queries(8):
            response = agent_api.get(CONVERSATIONS, params)
        assert response.status_code == 200 and response.json()["count"] == 30
    for n in range(40):
        services.add_note(actor=agent_api.user, conversation=conversation, text=f"备注{n}")
    with django_assert_max_num_queries(9):
        response = agent_api.get(conv_url(conversation, "messages"), {"page_size": 100})
    assert len(response.json()["results"]) == 43


def test_other_shop_and_other_posts_are_refused(chat, stranger_api, warehouse_api):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    for client, code in ((stranger_api, 404), (warehouse_api, 403)):
        assert client.get(conv_url(conversation)).status_code == code
        assert client.get(conv_url(conversation, "messages")).status_code == code
        for step, body in [("reply", {"text": "在的"}), ("notes", {"text": "x"}), ("assign", {"agent": None}),
                           ("tags", {"tags": ["a"]}), ("close", {}), ("verification", {"order": "P1"}),
                           ("shipping-notice", {"notice": 1})]:
            response = client.post(conv_url(conversation, step), body, format="json")
            assert response.status_code == code, (step, response.content)
    assert warehouse_api.get(CONVERSATIONS).status_code == 403
    assert stranger_api.get(CONVERSATIONS).json()["count"] == 0
    assert conversation.messages.count() == 1
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN and conversation.tags == []


def test_detail_shows_the_buyers_orders_masked(agent_api, chat, make_order, shop):
    conversation = chat([("buyer", "到哪了", D(2026, 11, 23, 9, 0))])
    order = make_order(buyer="tb-buyer", name="李小红", mobile="13912345678", detail="文三路88号",
                       lines=(("CH-0001", 2, "64.00"),))
    Order.objects.filter(pk=order.pk).update(carrier="中通快递", tracking_no="75312345678")
    make_order(buyer="tb-someone-else")
    response = agent_api.get(conv_url(conversation))
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["buyer_id"] == "tb-buyer" and detail["bargain_count"] == 0 and detail["pending_discount"] is None
    [shown] = detail["orders"]
    assert shown["number"] == order.platform_order_no and shown["status"] == order.status
    assert shown["paid_amount"] == "128.00" and shown["carrier"] == "中通快递" and shown["tracking_no"] == "75312345678"
    assert shown["items"] == [{"title": "商品 CH-0001", "properties": "", "quantity": 2}]
    assert shown["receiver"] == "李**" and shown["phone"] == "139****5678"
    assert shown["address"] == "浙江省 杭州市 西湖区 ****"
    assert "13912345678" not in response.content.decode() and "文三路" not in response.content.decode()
    assert not _events("orders.unmask").exists()
    clear = agent_api.get(conv_url(conversation), {"unmask": "1"}).json()["orders"][0]
    assert (clear["receiver"], clear["phone"]) == ("李小红", "13912345678")
    assert clear["address"] == "浙江省杭州市西湖区文三路88号"
    assert _events("orders.unmask").filter(actor=agent_api.user, object_id=str(order.pk)).count() == 1


def test_unmask_needs_the_permission(chat, make_order, make_user, shop, api_as):
    from django.contrib.auth.models import Permission

    conversation = chat([("buyer", "到哪了", D(2026, 11, 23, 9, 0))])
    make_order(buyer="tb-buyer")
    reader = make_user("trade_sales", shops=[shop])  # a post without the right to see personal data in clear
    reader.user_permissions.add(Permission.objects.get(codename="view_conversation"))
    client = api_as(reader)
    assert client.get(conv_url(conversation)).status_code == 200
    assert client.get(conv_url(conversation), {"unmask": "1"}).status_code == 403
    assert not _events("orders.unmask").exists()


def test_thread_polls_after_an_id_with_notes_for_staff(agent_api, chat):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("note", "要发票的老客户", D(2026, 11, 23, 9, 0)),
                         ("agent", "在的亲", D(2026, 11, 23, 9, 0, 40))])
    rows = agent_api.get(conv_url(conversation, "messages")).json()["results"]
    assert [r["direction"] for r in rows] == ["buyer", "note", "agent"]
    assert rows[2]["agent_name"] == "小美" and rows[2]["response_seconds"] == 40 and rows[0]["agent"] is None
    after = agent_api.get(conv_url(conversation, "messages"), {"after": rows[0]["id"]}).json()["results"]
    assert [r["id"] for r in after] == [rows[1]["id"], rows[2]["id"]]
    public = agent_api.get(conv_url(conversation, "messages"), {"notes": "false"}).json()["results"]
    assert [r["direction"] for r in public] == ["buyer", "agent"]
    bad = agent_api.get(conv_url(conversation, "messages"), {"after": "-1"})
    assert bad.status_code == 400 and "after" in _fields(bad)


# --- conversation actions -------------------------------------------------------------------------------------------


def test_reply_answers_the_waiting_buyer(agent_api, chat, agent):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    with clock.freeze(D(2026, 11, 23, 9, 0, 25)):
        response = agent_api.post(conv_url(conversation, "reply"), {"text": "在的亲，<b>您说</b>"}, format="json")
    assert response.status_code == 201, response.content
    message = response.json()
    assert message["direction"] == "agent" and message["response_seconds"] == 25 and message["agent"] == agent.username
    assert message["text"] == "在的亲，<b>您说</b>"  # stored as typed; clients escape
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING and conversation.assignee == agent
    assert _events("service.agent_reply").filter(actor=agent).count() == 1
    for body in ({"text": "   "}, {}, {"text": "x" * 2001}):
        refused = agent_api.post(conv_url(conversation, "reply"), body, format="json")
        assert refused.status_code == 400 and "text" in _fields(refused)


def test_note_is_private(agent_api, chat):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))])
    response = agent_api.post(conv_url(conversation, "notes"), {"text": "买家要发票"}, format="json")
    assert response.status_code == 201 and response.json()["direction"] == "note"
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None  # a note is not an answer
    assert _events("service.note_added").count() == 1


def test_assign_to_a_colleague_of_the_shop(agent_api, chat, aftersales_agent, make_user, shop, other_shop):
    conversation = chat([("buyer", "衣服开线了", D(2026, 11, 23, 9, 0))])
    response = agent_api.post(conv_url(conversation, "assign"), {"agent": aftersales_agent.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["assignee"] == aftersales_agent.pk and response.json()["assignee_name"] == "小李"
    assert _events("service.assigned").count() == 1
    for agent in (make_user("warehouse", shops=[shop]), make_user("cs_presales", shops=[other_shop])):
        refused = agent_api.post(conv_url(conversation, "assign"), {"agent": agent.pk}, format="json")
        assert refused.status_code == 400 and "agent" in _fields(refused), refused.content
    for body in ({"agent": 999999}, {"agent": "x"}, {}):
        refused = agent_api.post(conv_url(conversation, "assign"), body, format="json")
        assert refused.status_code == 400 and "agent" in _fields(refused)
    back = agent_api.post(conv_url(conversation, "assign"), {"agent": None}, format="json")
    assert back.status_code == 200 and back.json()["assignee"] is None
    assert _events("service.assigned").count() == 2


def test_tags_replace_and_are_bounded(agent_api, chat):
    conversation = chat([("buyer", "便宜点", D(2026, 11, 23, 9, 0))])
    response = agent_api.post(conv_url(conversation, "tags"), {"tags": ["议价", " 老客户 ", "议价"]}, format="json")
    assert response.status_code == 200 and response.json()["tags"] == ["议价", "老客户"]
    assert _events("service.tagged").count() == 1
    for body in ({"tags": [f"t{i}" for i in range(11)]}, {"tags": "议价"}, {}):
        refused = agent_api.post(conv_url(conversation, "tags"), body, format="json")
        assert refused.status_code == 400 and "tags" in _fields(refused)


def test_close_once(agent_api, chat):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的", D(2026, 11, 23, 9, 1))])
    response = agent_api.post(conv_url(conversation, "close"), format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    assert response.json()["closed_at"]
    again = agent_api.post(conv_url(conversation, "close"), format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    assert _events("service.closed").count() == 1


def test_verification_of_the_buyers_paid_order(agent_api, chat, make_order, other_shop):
    conversation = chat([("buyer", "付好了", D(2026, 11, 23, 9, 0))])
    order = make_order(buyer="tb-buyer", name="李小红", mobile="13912345678", detail="文三路88号")
    response = agent_api.post(conv_url(conversation, "verification"), {"order": order.platform_order_no},
                              format="json")
    assert response.status_code == 201, response.content
    assert order.platform_order_no in response.json()["text"] and "13912345678" in response.json()["text"]
    assert _events("service.verification_sent").get().changes["order"]["after"] == order.platform_order_no
    unpaid = make_order(buyer="tb-buyer", status="unpaid")
    assert agent_api.post(conv_url(conversation, "verification"), {"order": unpaid.platform_order_no},
                          format="json").status_code == 409
    for number in (make_order(buyer="tb-other").platform_order_no, "NO-SUCH-ORDER",
                   make_order(buyer="tb-buyer", for_shop=other_shop).platform_order_no, ""):
        refused = agent_api.post(conv_url(conversation, "verification"), {"order": number}, format="json")
        assert refused.status_code == 400 and "order" in _fields(refused), refused.content
    assert conversation.messages.filter(direction="agent").count() == 1


def test_shipping_notice_sent_once(agent_api, chat, make_order):
    from shopdesk.fulfillment.models import BuyerNotice

    conversation = chat([("buyer", "发货了吗", D(2026, 11, 23, 9, 0))])
    notice = BuyerNotice.objects.create(order=make_order(buyer="tb-buyer"), text="亲，您的宝贝已由中通快递发出")
    assert agent_api.get(conv_url(conversation)).json()["notices"][0]["id"] == notice.pk
    response = agent_api.post(conv_url(conversation, "shipping-notice"), {"notice": notice.pk}, format="json")
    assert response.status_code == 201 and response.json()["text"] == notice.text
    notice.refresh_from_db()
    assert notice.state == BuyerNotice.State.SENT
    assert _events("service.shipping_notice_sent").count() == 1
    assert agent_api.get(conv_url(conversation)).json()["notices"] == []
    again = agent_api.post(conv_url(conversation, "shipping-notice"), {"notice": notice.pk}, format="json")
    assert again.status_code == 409
    other = BuyerNotice.objects.create(order=make_order(buyer="tb-other"), text="亲，已发货")
    for body in ({"notice": other.pk}, {"notice": 999999}, {}):
        refused = agent_api.post(conv_url(conversation, "shipping-notice"), body, format="json")
        assert refused.status_code == 400 and "notice" in _fields(refused)


# --- canned replies -------------------------------------------------------------------------------------------------


def test_reply_search_by_pinyin_group_intent_and_shop(agent_api, api_as, agent, aftersales_agent, supervisor, shop,
                                                     other_shop):
    team = services.create_canned_reply(actor=supervisor, group="shipping", title="快递时效", text="亲，一般2-3天到",
                                        intents=["shipping_time"])
    services.create_canned_reply(actor=supervisor, group="greet", title="欢迎", text="亲，欢迎光临{店铺}", shop=shop)
    mine = services.create_canned_reply(actor=agent, group="bargain", title="议价一拒", text="亲，已经是最低价了",
                                        intents=["bargain"], bargain_step=1, personal=True)
    services.create_canned_reply(actor=aftersales_agent, group="greet", title="我的招呼", text="亲", personal=True)
    services.create_canned_reply(actor=None, group="greet", title="京东招呼", text="亲", shop=other_shop)

    def titles(**params):
        response = agent_api.get(REPLIES, params)
        assert response.status_code == 200, response.content
        return [row["title"] for row in response.json()["results"]]

    assert titles() == ["议价一拒", "欢迎", "快递时效"]  # by group, then order; not colleagues' or other shops'
    assert titles(q="kd") == ["快递时效"] and titles(q="最低价") == ["议价一拒"]
    assert titles(group="bargain") == ["议价一拒"] and titles(intent="shipping_time") == ["快递时效"]
    assert set(titles(shop=shop.code)) == {"欢迎", "议价一拒", "快递时效"}
    row = next(r for r in agent_api.get(REPLIES).json()["results"] if r["id"] == mine.pk)
    assert row["personal"] is True and row["bargain_step"] == 1 and row["intents"] == ["bargain"]
    assert next(r for r in agent_api.get(REPLIES).json()["results"] if r["id"] == team.pk)["shop"] is None
    for params, field in [({"group": "x"}, "group"), ({"shop": other_shop.code}, "shop")]:
        refused = agent_api.get(REPLIES, params)
        assert refused.status_code == 400 and field in _fields(refused)


def test_reply_list_is_bounded_in_queries(agent_api, supervisor, shop, django_assert_max_num_queries):
    for n in range(40):
        services.create_canned_reply(actor=supervisor, group="greet", title=f"招呼{n}", text="亲",
                                     shop=shop if n % 2 else None)
    with django_assert_max_num_queries(6):
        response = agent_api.get(REPLIES, {"page_size": 100})
    assert response.json()["count"] == 40


def test_agent_keeps_personal_replies_supervisor_the_teams(agent_api, api_as, supervisor, agent, shop):
    body = {"group": "greet", "title": "我的招呼", "text": "亲，{买家}您好！", "shortcut": "nh"}
    personal = agent_api.post(REPLIES, {**body, "personal": True}, format="json")
    assert personal.status_code == 201, personal.content
    assert personal.json()["personal"] is True
    assert CannedReply.objects.get(pk=personal.json()["id"]).owner == agent
    assert agent_api.post(REPLIES, body, format="json").status_code == 403  # shop-wide is the supervisor's
    team = api_as(supervisor).post(REPLIES, {**body, "title": "全店招呼", "shop": shop.code}, format="json")
    assert team.status_code == 201 and team.json()["shop"] == shop.code and team.json()["personal"] is False
    assert _events("service.reply_created").count() == 2
    for bad, field in [({"text": "亲，{卖家}"}, "text"), ({"group": "chat"}, "group"), ({"title": ""}, "title"),
                       ({"title": "x" * 41}, "title"), ({"intents": ["telepathy"]}, "intents"),
                       ({"bargain_step": 5}, "bargain_step"), ({"shop": "jd-main"}, "shop")]:
        refused = agent_api.post(REPLIES, {**body, "personal": True, **bad}, format="json")
        assert refused.status_code == 400 and field in _fields(refused), (bad, refused.content)


def test_change_and_delete_follow_ownership(agent_api, api_as, aftersales_agent, supervisor, agent, warehouse_api):
    mine = services.create_canned_reply(actor=agent, group="greet", title="招呼", text="亲", personal=True)
    team = services.create_canned_reply(actor=supervisor, group="greet", title="欢迎", text="欢迎光临")
    changed = agent_api.patch(f"{REPLIES}{mine.pk}/", {"title": "快递单号", "text": "单号是{运单号}"}, format="json")
    assert changed.status_code == 200 and changed.json()["text"] == "单号是{运单号}"
    assert agent_api.get(REPLIES, {"q": "kddh"}).json()["count"] == 1
    refused = agent_api.patch(f"{REPLIES}{mine.pk}/", {"text": "{单号}"}, format="json")
    assert refused.status_code == 400 and "text" in _fields(refused)
    colleague = api_as(aftersales_agent)
    assert colleague.patch(f"{REPLIES}{mine.pk}/", {"text": "改"}, format="json").status_code == 404
    assert colleague.delete(f"{REPLIES}{mine.pk}/").status_code == 404
    assert agent_api.patch(f"{REPLIES}{team.pk}/", {"text": "改"}, format="json").status_code == 403
    assert agent_api.delete(f"{REPLIES}{team.pk}/").status_code == 403
    assert warehouse_api.get(REPLIES).status_code == 403
    hidden = api_as(supervisor).patch(f"{REPLIES}{team.pk}/", {"active": False}, format="json")
    assert hidden.status_code == 200 and hidden.json()["active"] is False
    assert agent_api.get(REPLIES).json()["count"] == 1  # inactive replies are not offered
    assert _events("service.reply_changed").count() == 2
    assert agent_api.delete(f"{REPLIES}{mine.pk}/").status_code == 204
    assert api_as(supervisor).delete(f"{REPLIES}{team.pk}/").status_code == 204
    assert not CannedReply.objects.exists() and _events("service.reply_deleted").count() == 2


def test_render_fills_the_variables_from_the_conversation(agent_api, chat, make_order, supervisor, other_shop,
                                                          stranger_api, cn_time):
    conversation = chat([("buyer", "到哪了", D(2026, 11, 23, 9, 0))], nick="小王")
    older = make_order(buyer="tb-buyer", ordered_at=cn_time(2026, 11, 20, 9, 0))
    latest = make_order(buyer="tb-buyer", ordered_at=cn_time(2026, 11, 22, 10, 0))
    Order.objects.filter(pk=latest.pk).update(carrier="中通快递", tracking_no="75312345678")
    Order.objects.filter(pk=older.pk).update(carrier="", tracking_no="")  # not dispatched yet
    reply = services.create_canned_reply(
        actor=supervisor, group="tracking", title="查件",
        text="亲爱的{买家}，{店铺}的{客服}为您查询：订单{订单号}已由{快递公司}发出，运单号{运单号}，商品{商品}")
    response = agent_api.get(f"{REPLIES}{reply.pk}/render/", {"conversation": conversation.pk})
    assert response.status_code == 200, response.content
    rendered = response.json()
    assert rendered["order"] == latest.platform_order_no and rendered["unfilled"] == []
    assert rendered["text"] == (f"亲爱的小王，测试天猫店的小美为您查询：订单{latest.platform_order_no}"
                                f"已由中通快递发出，运单号75312345678，商品商品 CH-0001")
    chosen = agent_api.get(f"{REPLIES}{reply.pk}/render/", {"conversation": conversation.pk,
                                                             "order": older.platform_order_no}).json()
    assert chosen["order"] == older.platform_order_no and chosen["unfilled"] == ["快递公司", "运单号"]
    assert "{快递公司}" in chosen["text"]  # left for the agent to fill
    bad = agent_api.get(f"{REPLIES}{reply.pk}/render/", {"conversation": conversation.pk, "order": "NOPE"})
    assert bad.status_code == 400 and "order" in _fields(bad)
    missing = agent_api.get(f"{REPLIES}{reply.pk}/render/")
    assert missing.status_code == 400 and "conversation" in _fields(missing)
    elsewhere = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))], for_shop=other_shop, by=supervisor)
    assert agent_api.get(f"{REPLIES}{reply.pk}/render/", {"conversation": elsewhere.pk}).status_code == 404
    assert stranger_api.get(f"{REPLIES}{reply.pk}/render/", {"conversation": conversation.pk}).status_code == 404
    jd_only = services.create_canned_reply(actor=None, group="greet", title="京东", text="亲", shop=other_shop)
    not_theirs = agent_api.get(f"{REPLIES}{jd_only.pk}/render/", {"conversation": conversation.pk})
    assert not_theirs.status_code == 404  # a reply of a shop the agent does not work on


# --- discount requests ----------------------------------------------------------------------------------------------


def test_discount_request_and_decision(agent_api, api_as, chat, agent, supervisor):
    conversation = chat([("buyer", "买三件打个九折吧", D(2026, 11, 23, 9, 0))])
    created = agent_api.post(DISCOUNTS, {"conversation": conversation.pk, "percent": "8", "note": "买三件"},
                             format="json")
    assert created.status_code == 201, created.content
    request = created.json()
    assert request["state"] == "pending" and request["percent"] == "8.00" and request["requested_by"] == agent.username
    assert _events("service.discount_requested").count() == 1
    assert agent_api.get(conv_url(conversation)).json()["pending_discount"]["id"] == request["id"]
    again = agent_api.post(DISCOUNTS, {"conversation": conversation.pk, "percent": "9"}, format="json")
    assert again.status_code == 409  # one waiting at a time
    boss = api_as(supervisor)
    assert [r["id"] for r in boss.get(DISCOUNTS, {"state": "pending"}).json()["results"]] == [request["id"]]
    assert agent_api.post(f"{DISCOUNTS}{request['id']}/approve/", {}, format="json").status_code == 403
    no_reason = boss.post(f"{DISCOUNTS}{request['id']}/reject/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in _fields(no_reason)
    approved = boss.post(f"{DISCOUNTS}{request['id']}/approve/", {"reason": "老客户"}, format="json")
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    assert approved.json()["decided_by"] == supervisor.username
    assert boss.post(f"{DISCOUNTS}{request['id']}/reject/", {"reason": "再想想"}, format="json").status_code == 409
    assert _events("service.discount_decided").count() == 1
    assert boss.get(DISCOUNTS, {"state": "pending"}).json()["count"] == 0
    assert boss.get(DISCOUNTS, {"state": "approved"}).json()["count"] == 1


def test_discount_refusals(agent_api, api_as, chat, supervisor, stranger_api, warehouse_api, other_shop):
    conversation = chat([("buyer", "打个八折", D(2026, 11, 23, 9, 0))])
    within = agent_api.post(DISCOUNTS, {"conversation": conversation.pk, "percent": "5"}, format="json")
    assert within.status_code == 409  # within the agent's own 5%: they grant it themselves
    for percent in ("abc", "0", "100", "150"):
        refused = agent_api.post(DISCOUNTS, {"conversation": conversation.pk, "percent": percent}, format="json")
        assert refused.status_code == 400 and "percent" in _fields(refused), (percent, refused.content)
    refused = agent_api.post(DISCOUNTS, {"percent": "8"}, format="json")
    assert refused.status_code == 400 and "conversation" in _fields(refused)
    assert stranger_api.post(DISCOUNTS, {"conversation": conversation.pk, "percent": "8"},
                             format="json").status_code == 404
    assert warehouse_api.get(DISCOUNTS).status_code == 403
    big = agent_api.post(DISCOUNTS, {"conversation": conversation.pk, "percent": "20"}, format="json").json()
    boss = api_as(supervisor)
    beyond = boss.post(f"{DISCOUNTS}{big['id']}/approve/", {}, format="json")
    assert beyond.status_code == 409  # beyond the supervisor's own 10%
    assert stranger_api.get(f"{DISCOUNTS}{big['id']}/").status_code == 404
    assert stranger_api.get(DISCOUNTS).json()["count"] == 0
    refused = boss.get(DISCOUNTS, {"state": "later"})
    assert refused.status_code == 400 and "state" in _fields(refused)
    assert DiscountRequest.objects.get().state == DiscountRequest.State.PENDING


def test_discount_list_is_bounded_in_queries(api_as, chat, agent, supervisor, django_assert_max_num_queries):
    for n in range(25):
        conversation = chat([("buyer", "便宜点", D(2026, 11, 23, 9, n))], buyer=f"tb-{n}")
        services.request_discount(actor=agent, conversation=conversation, percent="8")
    boss = api_as(supervisor)
    for params in ({}, {"state": "pending"}, {"shop": "tmall-main"}):
        with django_assert_max_num_queries(8):
            response = boss.get(DISCOUNTS, params)
        assert response.json()["count"] == 25


# --- the schema -----------------------------------------------------------------------------------------------------


def test_schema_lists_the_service_endpoints(agent_api):
    paths = agent_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert {f"{API}conversations/", f"{API}conversations/{{id}}/messages/", f"{API}conversations/{{id}}/reply/",
            f"{API}messages/", f"{API}replies/", f"{API}replies/{{id}}/render/", f"{API}discount-requests/",
            f"{API}discount-requests/{{id}}/approve/"} <= set(paths)
