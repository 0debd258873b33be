"""Reply suggestions: the standard replies (every intent answered, nothing quality inspection would flag, installed
once), suggestions for a conversation with their variables filled, the bargaining playbook played through stored
buyer messages and discount requests, and POST /api/v1/service/suggest/ (shape, field errors, permission, scope)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from shopdesk.core.errors import NotAllowed
from shopdesk.orders.models import Order
from shopdesk.service import intents, quality, replies, services, standard_replies, suggest
from shopdesk.service.models import CannedReply
from shopdesk.staff import services as staff_services

URL = "/api/v1/service/suggest/"
D = datetime  # naive datetimes are China time


# --- the standard replies -------------------------------------------------------------------------------------------


def test_every_intent_but_other_has_a_standard_reply():
    for name in intents.INTENTS:
        if name != "other":
            assert standard_replies.replies_for_intent(name), name
    steps = {r.bargain_step for r in standard_replies.STANDARD_REPLIES if r.bargain_step}
    assert steps == {1, 2, 3, 4}
    titles = {r.title for r in standard_replies.STANDARD_REPLIES}
    assert {standard_replies.GIFT_TITLE, standard_replies.SUPERVISOR_TITLE} <= titles


def test_standard_replies_are_valid_and_clean():
    seen = set()
    for reply in standard_replies.STANDARD_REPLIES:
        assert (reply.group, reply.title) not in seen
        seen.add((reply.group, reply.title))
        assert len(reply.title) <= 40 and len(reply.text) <= 500 and len(reply.shortcut) <= 20
        assert not replies.unknown_variables(reply.text), reply.title
        assert set(reply.intents) <= set(intents.INTENTS)
        for phrase in (*quality.FORBIDDEN_PHRASES, *quality.RUDE_WORDS, "刷单", "返现", "好评返"):
            assert phrase not in reply.text, (reply.title, phrase)


def test_install_standard_replies_is_idempotent(supervisor):
    created = standard_replies.install_standard_replies(actor=supervisor)
    assert created == len(standard_replies.STANDARD_REPLIES)
    assert standard_replies.install_standard_replies(actor=supervisor) == 0
    assert CannedReply.objects.filter(owner__isnull=True, shop__isnull=True).count() == created
    step_three = CannedReply.objects.get(title="议价·三引")
    assert step_three.bargain_step == 3 and step_three.intents == ["bargain"] and step_three.search_key


def test_an_agent_may_not_install_shop_wide_replies(agent):
    with pytest.raises(NotAllowed):
        standard_replies.install_standard_replies(actor=agent)
    assert not CannedReply.objects.exists()


# --- suggestions ----------------------------------------------------------------------------------------------------


@pytest.fixture
def installed(supervisor):
    standard_replies.install_standard_replies(actor=supervisor)


def test_suggestion_for_a_conversation_fills_the_variables(installed, agent, chat, make_order,
                                                          django_assert_max_num_queries):
    order = make_order("P20261123001", buyer="tb-buyer")
    Order.objects.filter(pk=order.pk).update(carrier="中通快递", tracking_no="75312345678900")
    conversation = chat([("buyer", "快递到哪了", D(2026, 11, 23, 10, 0))], nick="小王")
    with django_assert_max_num_queries(8):
        found = suggest.suggest(user=agent, text="快递到哪了", conversation=conversation)
    assert found.intent == "tracking" and 0.5 < found.confidence <= 1
    assert found.move is None
    assert 1 <= len(found.replies) <= 3
    texts = " ".join(r["text"] for r in found.replies)
    assert "中通快递" in texts and "75312345678900" in texts and "{" not in texts
    ids = {r["id"] for r in found.replies}
    assert set(CannedReply.objects.filter(pk__in=ids).values_list("group", flat=True)) <= {"tracking", "follow_up"}


def test_without_a_conversation_the_agent_name_is_filled(installed, agent):
    found = suggest.suggest(user=agent, text="在吗")
    assert found.intent == "greeting"
    assert found.replies and all("{客服}" not in r["text"] for r in found.replies)
    assert any("小美" in r["text"] for r in found.replies)


def test_personal_replies_come_first(installed, agent):
    mine = services.create_canned_reply(actor=agent, group="ask", title="我的正品话术", text="亲，{店铺}都是正品哦～",
                                        intents=["authenticity"], personal=True)
    found = suggest.suggest(user=agent, text="是正品吗")
    assert found.replies[0]["id"] == mine.pk


def _suggest_after(chat, agent, lines, **kw):
    """Play the buyer's lines (the agent answering each), then suggest for the last one."""
    script, minute = [], 0
    for text in lines:
        script.append(("buyer", text, D(2026, 11, 23, 10, minute)))
        script.append(("agent", "亲，稍等", D(2026, 11, 23, 10, minute, 30)))
        minute += 1
    conversation = chat(script[:-1], **kw)
    return conversation, suggest.suggest(user=agent, text=lines[-1], conversation=conversation)


def _title(found) -> str:
    return CannedReply.objects.get(pk=found.replies[0]["id"]).title


def test_bargaining_sequence_through_stored_messages(installed, agent, chat):
    lines = ["能便宜点吗", "再便宜点吧", "还是太贵了 能少点吗", "打8折行不"]
    expected = [(1, "refuse", "议价·一拒"), (2, "promotion", "议价·二拉"), (3, "value", "议价·三引"),
                (4, "supervisor_request", standard_replies.SUPERVISOR_TITLE)]
    for n, (step, action, title) in enumerate(expected, start=1):
        conversation, found = _suggest_after(chat, agent, lines[:n], buyer=f"bargainer-{n}")
        assert found.intent == "bargain"
        assert (found.move.step, found.move.action) == (step, action), lines[:n]
        assert _title(found) == title
        others = CannedReply.objects.filter(pk__in=[r["id"] for r in found.replies], bargain_step__isnull=False)
        assert set(others.values_list("bargain_step", flat=True)) <= {step}


def test_close_within_authority_then_gift(installed, agent, chat):
    lines = ["能便宜点吗", "便宜点嘛", "太贵了", "九五折可以吗"]
    conversation, found = _suggest_after(chat, agent, lines)
    assert found.move.action == "close" and found.move.offer_percent == Decimal("5")
    assert _title(found) == "议价·四斩"
    conversation, found = _suggest_after(chat, agent, [*lines, "再便宜点吧"], buyer="again")
    assert (found.move.step, found.move.action) == (4, "gift")
    assert _title(found) == standard_replies.GIFT_TITLE


def test_a_pending_then_refused_request_suggests_a_gift(installed, agent, supervisor, chat):
    lines = ["能便宜点吗", "便宜点嘛", "太贵了", "打8折行不"]
    conversation, found = _suggest_after(chat, agent, lines)
    assert found.move.action == "supervisor_request"
    request = services.request_discount(actor=agent, conversation=conversation, percent=20, note="八折")
    found = suggest.suggest(user=agent, text="打8折行不", conversation=conversation)
    assert found.move.action == "gift"
    services.decide_discount(actor=supervisor, request=request, approve=False, reason="活动价已是底价")
    found = suggest.suggest(user=agent, text="打8折行不", conversation=conversation)
    assert found.move.action == "gift" and _title(found) == standard_replies.GIFT_TITLE


def test_an_unstored_message_counts_as_one_more(installed, agent, chat):
    conversation = chat([("buyer", "能便宜点吗", D(2026, 11, 23, 10, 0))])
    assert suggest.suggest(user=agent, text="能便宜点吗", conversation=conversation).move.step == 1
    assert suggest.suggest(user=agent, text="再少点吧", conversation=conversation).move.step == 2
    assert suggest.suggest(user=agent, text="能便宜点吗").move.step == 1


def test_the_supervisors_larger_authority(installed, supervisor, chat):
    lines = ["能便宜点吗", "便宜点嘛", "太贵了", "九折行吗"]
    script = [("buyer", t, D(2026, 11, 23, 10, i)) for i, t in enumerate(lines)]
    conversation = chat(script, by=supervisor)
    found = suggest.suggest(user=supervisor, text=lines[-1], conversation=conversation)
    assert found.move.action == "close" and found.move.offer_percent == Decimal("10")


# --- the API --------------------------------------------------------------------------------------------------------


@pytest.fixture
def api_as():
    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {staff_services.issue_api_token(actor=None, user=user)}")
        return client

    return make


def test_api_answers_intent_confidence_replies_and_move(installed, agent, api_as, chat):
    conversation = chat([("buyer", "能便宜点吗", D(2026, 11, 23, 10, 0))], nick="小王")
    response = api_as(agent).post(URL, {"message": "能便宜点吗", "conversation": conversation.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"intent", "confidence", "replies", "bargain"}
    assert body["intent"] == "bargain" and 0 <= body["confidence"] <= 1
    assert body["replies"] and set(body["replies"][0]) == {"id", "text"}
    assert "测试天猫店" in body["replies"][0]["text"]
    assert body["bargain"]["step"] == 1 and body["bargain"]["action"] == "refuse" and body["bargain"]["explanation"]

    response = api_as(agent).post(URL, {"message": "啥时候发货"}, format="json")
    assert response.status_code == 200
    assert response.json()["intent"] == "shipping_time" and response.json()["bargain"] is None


@pytest.mark.parametrize("body", [{}, {"message": ""}, {"message": "   "}, {"message": "亲" * 2001},
                                  {"message": None}])
def test_api_names_the_bad_field(agent, api_as, body):
    response = api_as(agent).post(URL, body, format="json")
    assert response.status_code == 400
    assert "message" in response.json()["error"]["fields"]


def test_api_refuses_a_bad_conversation_id(agent, api_as):
    response = api_as(agent).post(URL, {"message": "在吗", "conversation": "abc"}, format="json")
    assert response.status_code == 400 and "conversation" in response.json()["error"]["fields"]


def test_api_needs_the_permission(make_user, shop, api_as):
    response = api_as(make_user("warehouse", shops=[shop])).post(URL, {"message": "在吗"}, format="json")
    assert response.status_code == 403
    assert APIClient().post(URL, {"message": "在吗"}, format="json").status_code in (401, 403)


def test_api_hides_another_shops_conversation(agent, api_as, chat, other_shop):
    theirs = chat([("buyer", "在吗", D(2026, 11, 23, 10, 0))], for_shop=other_shop, buyer="jd-buyer")
    response = api_as(agent).post(URL, {"message": "在吗", "conversation": theirs.pk}, format="json")
    assert response.status_code == 404
    response = api_as(agent).post(URL, {"message": "在吗", "conversation": 999999}, format="json")
    assert response.status_code == 404
