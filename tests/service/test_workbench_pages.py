"""The workbench pages: the queue beside the conversation and the buyer's orders, the thread polled by htmx, the reply,
quick replies and their search, the verification and shipping messages, the actions on the right, the discount
requests page, and the CS daily schedule on the home page."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from shopdesk.core import clock
from shopdesk.core.models import AuditEvent
from shopdesk.service import services
from shopdesk.service.models import Conversation, DiscountRequest, Message

NOW = datetime(2026, 11, 23, 10, 0)


@pytest.fixture
def frozen():
    with clock.freeze(NOW):
        yield


def _client(client_for, user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    c.user = user
    return c


@pytest.fixture
def agent_client(agent):
    from django.test import Client

    c = Client()
    c.force_login(agent)
    c.user = agent
    return c


def _url(name, *args):
    return reverse(f"service:{name}", args=args)


def test_queue_puts_buyers_with_an_order_first_and_shows_waiting_time(chat, agent_client, make_order, frozen):
    chat([("buyer", "亲，在吗？还有货吗", NOW - timedelta(minutes=30))], buyer="early-browser", nick="早到的买家")
    chat([("buyer", "我拍了，能今天发吗", NOW - timedelta(minutes=5))], buyer="tb-payer", nick="付款的买家")
    make_order(buyer="tb-payer")
    html = agent_client.get(_url("workbench")).content.decode()
    assert html.index("付款的买家") < html.index("早到的买家")  # the buyer with an order first, though later
    assert "已下单" in html  # the "Has an order" badge
    assert "30" in html and "我拍了，能今天发吗" in html  # waiting time and the last message's excerpt
    assert 'data-queue-tab="waiting"' in html


def test_conversation_page_shows_thread_orders_and_reply_form(chat, agent_client, make_order, frozen):
    conversation = chat([("buyer", "亲，这件有L码吗", NOW - timedelta(minutes=3)),
                         ("agent", "您好，L码有现货的哦", NOW - timedelta(minutes=2)),
                         ("note", "老客户，上次买过两件", NOW - timedelta(minutes=1))])
    order = make_order(buyer="tb-buyer", mobile="13912345678", name="李小红", detail="文三路88号")
    html = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert "亲，这件有L码吗" in html and "您好，L码有现货的哦" in html
    assert 'class="wb-msg wb-msg-note"' in html  # the private note is shown differently
    assert order.platform_order_no in html
    assert 'name="text"' in html and 'hx-trigger="every 2s"' in html
    assert _url("thread", conversation.pk) in html and _url("reply", conversation.pk) in html
    # The receiver is masked on the panel.
    assert "13912345678" not in html and "139****5678" in html
    assert "文三路88号" not in html and "李小红" not in html


def test_permissions_warehouse_403_and_other_shop_404(chat, client_for, agent_client, shop, other_shop, frozen):
    mine = chat([("buyer", "在吗", NOW)])
    theirs = chat([("buyer", "在吗", NOW)], for_shop=other_shop, buyer="jd-buyer")
    warehouse = client_for("warehouse", shops=[shop])
    for url in (_url("workbench"), _url("conversation", mine.pk), _url("replies"), _url("discounts"),
                _url("thread", mine.pk)):
        assert warehouse.get(url).status_code == 403, url
    assert agent_client.get(_url("conversation", theirs.pk)).status_code == 404
    assert agent_client.get(_url("thread", theirs.pk)).status_code == 404
    assert agent_client.post(_url("reply", theirs.pk), {"text": "hi"}).status_code == 404
    assert agent_client.get(_url("discounts")).status_code == 403  # only the supervisor decides discounts


def test_reply_without_javascript_redirects_back(chat, agent_client, agent, frozen):
    conversation = chat([("buyer", "什么时候发货", NOW - timedelta(seconds=40))])
    response = agent_client.post(_url("reply", conversation.pk), {"text": "亲，今天下午就发出哦", "queue": "mine"})
    assert response.status_code == 302
    assert response["Location"] == _url("conversation", conversation.pk) + "?queue=mine"
    reply = conversation.messages.get(direction="agent")
    assert reply.text == "亲，今天下午就发出哦" and reply.agent == agent and reply.response_seconds == 40
    conversation.refresh_from_db()
    assert conversation.waiting_since is None and conversation.assignee == agent


def test_reply_with_htmx_swaps_the_thread(chat, agent_client, frozen):
    conversation = chat([("buyer", "能发顺丰吗", NOW)])
    last = conversation.messages.get().pk
    response = agent_client.post(_url("reply", conversation.pk), {"text": "可以的，需要补运费差价哦", "after": last},
                                 HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "replySent" in response["HX-Trigger"]
    assert 'hx-swap-oob="beforeend:#thread-messages"' in html and "可以的，需要补运费差价哦" in html
    assert "能发顺丰吗" not in html  # only what came after the page's last message
    new = conversation.messages.get(direction="agent").pk
    assert f"?after={new}" in html  # the poller moves on
    # An empty reply is refused beside the box, nothing stored.
    response = agent_client.post(_url("reply", conversation.pk), {"text": "  ", "after": new}, HTTP_HX_REQUEST="true")
    assert "replySent" not in response.get("HX-Trigger", "") and 'id="reply-error"' in response.content.decode()
    assert conversation.messages.count() == 2


def test_thread_partial_returns_only_newer_messages(chat, agent_client, shop, frozen):
    conversation = chat([("buyer", "第一条", NOW - timedelta(minutes=2))])
    first = conversation.messages.get().pk
    services.post_buyer_message(actor=None, shop=shop, buyer_id="tb-buyer", text="第二条：在吗？")
    html = agent_client.get(_url("thread", conversation.pk), {"after": first}, HTTP_HX_REQUEST="true"
                            ).content.decode()
    assert "第二条：在吗？" in html and "第一条" not in html
    assert 'id="suggestions"' in html  # a new buyer message refreshes the suggestions
    latest = conversation.messages.latest("id").pk
    quiet = agent_client.get(_url("thread", conversation.pk), {"after": latest}).content.decode()
    assert "hx-swap-oob=\"beforeend" not in quiet and f"?after={latest}" in quiet


def test_buyer_html_is_shown_as_text(chat, agent_client, frozen):
    conversation = chat([("buyer", "<script>alert(1)</script><img src=x onerror=alert(2)>", NOW)])
    for url in (_url("conversation", conversation.pk), _url("workbench")):
        html = agent_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    delta = agent_client.get(_url("thread", conversation.pk), {"after": 0}).content.decode()
    assert "<script>alert(1)" not in delta and "&lt;script&gt;" in delta


def test_quick_replies_search_by_pinyin_initials_and_fill_variables(chat, agent_client, supervisor, shop,
                                                                    make_order, frozen):
    services.create_canned_reply(actor=supervisor, group="shipping", title="快递说明",
                                 text="{买家}您好，{店铺}默认发中通，订单{订单号}已安排。")
    services.create_canned_reply(actor=supervisor, group="greet", title="欢迎语", text="亲，您好！")
    conversation = chat([("buyer", "发什么快递", NOW)], nick="小王同学")
    order = make_order(buyer="tb-buyer")
    found = agent_client.get(_url("quick_replies", conversation.pk), {"q": "kd"}).content.decode()
    assert "快递说明" in found and "欢迎语" not in found
    assert f"小王同学您好，测试天猫店默认发中通，订单{order.platform_order_no}已安排。" in found  # filled
    assert "data-reply-text" in found
    assert "快递说明" in agent_client.get(_url("quick_replies", conversation.pk), {"q": "中通"}).content.decode()
    assert "快递说明" not in agent_client.get(_url("quick_replies", conversation.pk), {"q": "zzz"}).content.decode()
    page = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert 'id="quick-search"' in page and "欢迎语" in page and "快递说明" in page


def test_verification_preview_then_send(chat, agent_client, agent, make_order, frozen):
    conversation = chat([("buyer", "我付好款了", NOW)])
    order = make_order(buyer="tb-buyer", mobile="13912345678", name="李小红", detail="文三路88号")
    page = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert _url("verification", conversation.pk, order.pk) in page
    preview = agent_client.get(_url("verification", conversation.pk, order.pk), HTTP_HX_REQUEST="true")
    text = preview.content.decode()
    assert "李小红" in text and "13912345678" in text and "文三路88号" in text  # as the buyer will read it
    assert AuditEvent.objects.filter(action="orders.unmask", object_id=str(order.pk)).exists()  # the look is logged
    response = agent_client.post(_url("verification", conversation.pk, order.pk))
    assert response.status_code == 302
    sent = conversation.messages.get(direction="agent")
    assert order.platform_order_no in sent.text and "13912345678" in sent.text and sent.agent == agent
    # The panel still masks, and marks the verification as sent.
    page = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert f'data-order="{order.pk}"' in page and "139****5678" in page


def test_verification_of_an_unpaid_order_is_refused(chat, agent_client, make_order, frozen):
    conversation = chat([("buyer", "我拍下了", NOW)])
    order = make_order(buyer="tb-buyer", status="unpaid")
    page = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert _url("verification", conversation.pk, order.pk) not in page
    agent_client.post(_url("verification", conversation.pk, order.pk))
    assert not conversation.messages.filter(direction="agent").exists()


def test_someone_elses_order_cannot_be_verified_here(chat, agent_client, make_order, frozen):
    conversation = chat([("buyer", "在吗", NOW)])
    other = make_order(buyer="somebody-else")
    assert agent_client.get(_url("verification", conversation.pk, other.pk)).status_code == 404


def test_due_shipping_notice_is_sent_from_the_panel(chat, agent_client, make_order, frozen):
    from shopdesk.fulfillment.models import BuyerNotice

    conversation = chat([("buyer", "发货了吗", NOW)])
    order = make_order(buyer="tb-buyer")
    notice = BuyerNotice.objects.create(order=order, text=f"亲，您的订单{order.platform_order_no}已由中通快递发出，"
                                                          "运单号75312345678。")
    page = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert "运单号75312345678" in page and _url("send_notice", conversation.pk, notice.pk) in page
    assert agent_client.post(_url("send_notice", conversation.pk, notice.pk)).status_code == 302
    notice.refresh_from_db()
    assert notice.state == BuyerNotice.State.SENT
    assert conversation.messages.filter(direction="agent", text__contains="75312345678").count() == 1
    agent_client.post(_url("send_notice", conversation.pk, notice.pk))  # twice: refused, nothing more sent
    assert conversation.messages.filter(direction="agent").count() == 1


def test_flagged_note_on_the_order(chat, agent_client, make_order, frozen):
    from shopdesk.orders.models import OrderNote

    conversation = chat([("buyer", "请发顺丰", NOW)])
    order = make_order(buyer="tb-buyer")
    response = agent_client.post(_url("order_note", conversation.pk, order.pk), {"text": "客户要求发顺丰"})
    assert response.status_code == 302
    note = OrderNote.objects.get(order=order, text__contains="客户要求发顺丰")
    assert note.kind == OrderNote.Kind.FLAGGED


def test_actions_assign_tags_note_close(chat, agent_client, agent, make_user, shop, frozen):
    colleague = make_user("cs_aftersales", shops=[shop], display_name="小李")
    conversation = chat([("buyer", "衣服开线了", NOW)])
    page = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert "小李" in page  # a colleague of the shop to assign to
    agent_client.post(_url("assign", conversation.pk), {"agent": colleague.pk})
    conversation.refresh_from_db()
    assert conversation.assignee == colleague
    agent_client.post(_url("assign", conversation.pk), {"agent": "me"})
    conversation.refresh_from_db()
    assert conversation.assignee == agent
    agent_client.post(_url("tags", conversation.pk), {"tags": "质量问题，老客户"})
    conversation.refresh_from_db()
    assert conversation.tags == ["质量问题", "老客户"]
    agent_client.post(_url("note", conversation.pk), {"text": "已拍照，等售后"})
    assert conversation.messages.filter(direction="note", text="已拍照，等售后").exists()
    response = agent_client.post(_url("close", conversation.pk), {"queue": "mine"})
    assert response.status_code == 302 and response["Location"].endswith("?queue=mine")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.CLOSED
    html = agent_client.get(_url("workbench"), {"queue": "closed"}).content.decode()
    assert f'data-conversation="{conversation.pk}"' in html


def test_another_shops_agent_cannot_be_assigned(chat, agent_client, make_user, other_shop, frozen):
    stranger = make_user("cs_presales", shops=[other_shop])
    conversation = chat([("buyer", "在吗", NOW)])
    assert agent_client.post(_url("assign", conversation.pk), {"agent": stranger.pk}).status_code == 404


def test_discount_request_and_supervisor_decision(chat, agent_client, supervisor, frozen):
    conversation = chat([("buyer", "能便宜点吗", NOW)])
    agent_client.post(_url("discount_request", conversation.pk), {"percent": "3", "note": "老客户"})
    assert not DiscountRequest.objects.exists()  # within the agent's own 5%: no request
    agent_client.post(_url("discount_request", conversation.pk), {"percent": "8", "note": "买三件"})
    request = DiscountRequest.objects.get()
    boss = _client(None, supervisor)
    page = boss.get(_url("discounts")).content.decode()
    assert "买三件" in page and _url("conversation", conversation.pk) in page
    boss.post(_url("discount_decide", request.pk), {"decision": "refuse", "reason": ""})
    request.refresh_from_db()
    assert request.state == "pending"  # a refusal needs a reason
    boss.post(_url("discount_decide", request.pk), {"decision": "approve", "reason": "老客户"})
    request.refresh_from_db()
    assert request.state == "approved" and request.decided_by == supervisor
    assert "8% · " in agent_client.get(_url("conversation", conversation.pk)).content.decode()  # the agent sees it


@pytest.mark.parametrize("size", [3, 40])
def test_conversation_page_queries_are_bounded(size, chat, agent_client, supervisor, make_order, shop,
                                               django_assert_max_num_queries, frozen):
    script = []
    for i in range(size):
        script += [("buyer", f"问题{i}：能便宜点吗", NOW - timedelta(minutes=2 * size - 2 * i)),
                   ("agent", f"回答{i}", NOW - timedelta(minutes=2 * size - 2 * i - 1)),
                   ("note", f"备注{i}", NOW - timedelta(minutes=2 * size - 2 * i - 1))]
    conversation = chat(script)
    for i in range(min(size, 10)):
        make_order(buyer="tb-buyer")
        services.create_canned_reply(actor=supervisor, group="bargain", title=f"议价{i}", text=f"亲，{i}")
    for i in range(size):
        chat([("buyer", f"其他买家{i}", NOW)], buyer=f"other-{i}")
    with django_assert_max_num_queries(45):
        assert agent_client.get(_url("conversation", conversation.pk)).status_code == 200
    with django_assert_max_num_queries(20):
        assert agent_client.get(_url("thread", conversation.pk), {"after": 0}).status_code == 200


# --- the home page: tiles and the CS daily schedule ------------------------------------------------------------------


def test_home_schedule_shows_each_blocks_queues(chat, client_for, shop, make_order, frozen):
    from shopdesk.service.workbench import register_tiles

    register_tiles()
    chat([("buyer", "在吗", NOW)], buyer="tb-buyer")
    make_order(buyer="tb-buyer")
    client = client_for("cs_aftersales", shops=[shop])
    html = client.get(reverse("home")).content.decode()
    for key in ("aftersales_open", "missing_claims", "conversations_waiting", "conversations_yesterday",
                "reviews_follow_up", "orders_review", "orders_cannot_ship", "notices_due", "verification_due"):
        assert f'data-queue="{key}"' in html, key
    assert reverse("service:workbench") + "?queue=waiting" in html
    assert 'data-tile="service_waiting"' in html and 'data-tile="service_verify"' in html


def test_home_schedule_counts(chat, make_user, shop, make_order, frozen):
    from shopdesk.web.workbench import cs_schedule

    chat([("buyer", "在吗", NOW)], buyer="tb-buyer")
    make_order(buyer="tb-buyer", ordered_at=clock.localnow() - timedelta(hours=1))  # paid today, not verified
    chat([("buyer", "昨天的单什么时候发", NOW - timedelta(minutes=5))], buyer="tb-yesterday")
    make_order(buyer="tb-yesterday", ordered_at=clock.localnow() - timedelta(days=1, hours=2))
    agent = make_user("cs_presales", shops=[shop])
    queues = {q["key"]: q["count"] for block in cs_schedule(user=agent) for q in block["queues"]}
    assert queues["conversations_waiting"] == 2
    assert queues["conversations_yesterday"] == 1
    assert queues["verification_due"] == 2
    assert queues["notices_due"] == 0
    assert cs_schedule()[0]["queues"] == []  # without a person: the blocks only (the reviews page uses them)


@pytest.mark.parametrize("role", ["cs_presales", "cs_aftersales", "cs_supervisor"])
def test_home_page_queries_stay_bounded_for_cs_roles(role, client_for, shop, django_assert_max_num_queries):
    from shopdesk.service.workbench import register_tiles

    register_tiles()
    client = client_for(role, shops=[shop])
    # the supervisor's home adds the team tiles (quality to review, score sheets, the week's roster gaps)
    with django_assert_max_num_queries(32):
        assert client.get(reverse("home")).status_code == 200


def test_manager_home_has_no_service_counts(client_for, django_assert_max_num_queries):
    from shopdesk.service.workbench import register_tiles

    register_tiles()
    client = client_for("manager")
    with django_assert_max_num_queries(26):
        html = client.get(reverse("home")).content.decode()
    assert "data-queue=" not in html


def test_verification_filter_lists_buyers_to_verify(chat, agent_client, make_order, frozen):
    chat([("buyer", "付好了", NOW)], buyer="tb-buyer", nick="待核实")
    order = make_order(buyer="tb-buyer")
    chat([("buyer", "随便看看", NOW)], buyer="tb-browser", nick="只看看")
    html = agent_client.get(_url("workbench"), {"only": "verify"}).content.decode()
    assert "待核实" in html and "只看看" not in html
    conversation = Conversation.objects.get(buyer_id="tb-buyer")
    services.send_verification(actor=agent_client.user, conversation=conversation, order=order)
    html = agent_client.get(_url("workbench"), {"only": "verify"}).content.decode()
    assert "待核实" not in html
    assert Message.objects.filter(conversation=conversation, direction="agent").count() == 1


# --- the demo ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_conversations_in_every_state():
    from django.contrib.auth import get_user_model

    from shopdesk import demo
    from shopdesk.fulfillment.models import BuyerNotice
    from shopdesk.service.demo import load_service_demo
    from shopdesk.service.models import CannedReply, ChatWidget
    from shopdesk.service.workbench import counts

    demo.load_demo()  # the service demo is a step of it
    assert load_service_demo() is False  # idempotent: a second run adds nothing
    statuses = set(Conversation.objects.values_list("status", flat=True))
    assert statuses == {"open", "waiting", "closed"}
    assert Conversation.objects.filter(waiting_since__isnull=False).count() >= 3
    assert Message.objects.filter(direction="agent", text__contains="请核对收货信息").exists()  # verification sent
    assert DiscountRequest.objects.filter(state="pending").count() == 1
    assert BuyerNotice.objects.filter(state="due").exists()
    assert ChatWidget.objects.filter(shop__platform="own_site").exists()
    assert Conversation.objects.filter(channel="widget").exists()
    assert CannedReply.objects.filter(owner__isnull=False).exists()  # personal replies
    User = get_user_model()
    presales = User.objects.get(username="chenjing")
    seen = counts(presales)
    assert seen["waiting"] >= 2 and seen["verify"] >= 1
    supervisor = User.objects.get(username="zhaomin")
    assert counts(supervisor)["notices"] >= 1 and counts(supervisor)["discounts"] == 1
    from django.test import Client

    client = Client()
    client.force_login(presales)
    html = client.get(_url("workbench"), {"queue": "open"}).content.decode()
    first = Conversation.objects.filter(shop__code="tmall-flagship").order_by("id").first()
    assert client.get(_url("conversation", first.pk)).status_code == 200
    assert "data-conversation" in html
    assert load_service_demo() is False  # idempotent


def test_open_queue_lists_waiting_buyers_before_answered_ones(chat, agent_client, frozen):
    chat([("buyer", "在吗", NOW - timedelta(minutes=20)), ("agent", "在的", NOW - timedelta(minutes=19))],
         buyer="answered", nick="已回复")
    chat([("buyer", "有货吗", NOW - timedelta(minutes=2))], buyer="asking", nick="等回复")
    html = agent_client.get(_url("workbench"), {"queue": "open"}).content.decode()
    assert html.index("等回复") < html.index("已回复")
    assert "已回复" not in agent_client.get(_url("workbench"), {"queue": "waiting"}).content.decode()


def test_suggestions_follow_the_bargaining_playbook(chat, agent_client, supervisor, frozen):
    from shopdesk.service.standard_replies import install_standard_replies

    install_standard_replies(actor=supervisor)
    conversation = chat([("buyer", "能便宜点吗", NOW - timedelta(minutes=10))])
    html = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert 'data-intent="bargain"' in html and 'data-action="refuse"' in html
    suggested = html[html.index('id="suggestions"'):html.index('class="panel wb-quick"')]
    assert suggested.count("data-reply-text") >= 1  # the refusal script, ready to pick
    chat([("buyer", "便宜一点嘛", NOW - timedelta(minutes=8)), ("agent", "现在满199减20哦", NOW - timedelta(minutes=7)),
          ("buyer", "再便宜点", NOW - timedelta(minutes=6)), ("agent", "这款质量很好的", NOW - timedelta(minutes=5)),
          ("buyer", "打个八折吧，便宜点", NOW - timedelta(minutes=4))])
    html = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert 'data-action="supervisor_request"' in html  # 20% is beyond the agent's 5%
    assert _url("discount_request", conversation.pk) in html
    agent_client.post(_url("discount_request", conversation.pk), {"percent": "20", "note": "第四次议价"})
    assert DiscountRequest.objects.filter(conversation=conversation, state="pending").exists()
    html = agent_client.get(_url("conversation", conversation.pk)).content.decode()
    assert 'data-action="gift"' in html  # while the supervisor decides: a gift, not a lower price


def test_queue_excerpt_masks_phone_numbers(chat, agent_client, make_order, frozen):
    conversation = chat([("buyer", "付好了", NOW - timedelta(minutes=1))])
    order = make_order(buyer="tb-buyer", mobile="13912345678", name="李")
    services.send_verification(actor=agent_client.user, conversation=conversation, order=order)
    html = agent_client.get(_url("workbench"), {"queue": "open"}).content.decode()
    listed = html[html.index('class="wb-conversations"'):html.index("</ul>", html.index('class="wb-conversations"'))]
    assert "13912345678" not in listed and "139****5678" in listed
