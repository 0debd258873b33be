"""The own-site chat widget: the public JSON endpoints a shop's website talks to (start a chat, write, poll), their
CORS answers, the visitor token, the rate limits, escaping of what a buyer writes, the sample shop page and the
supervisor's settings page."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import NoReverseMatch, reverse

from shopdesk.core import clock
from shopdesk.core.models import AuditEvent
from shopdesk.service import services, views_widget
from shopdesk.service.models import ChatWidget, Conversation, Message

CN = ZoneInfo("Asia/Shanghai")
SITE = "https://shop.example.com"
XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"


@pytest.fixture(autouse=True)
def fresh_limits(monkeypatch):
    """Rate-limit counters live in the cache: every test starts from zero. Buyer messages are classified with a
    stub (the classifier has its own tests)."""
    cache.clear()
    monkeypatch.setattr(services, "_classify", lambda text: SimpleNamespace(intent="other", confidence=0.5))
    yield
    cache.clear()


@pytest.fixture
def widget(supervisor, shop):
    return services.configure_widget(actor=supervisor, shop=shop, enabled=True, allowed_origins=SITE,
                                     greeting="亲，欢迎光临小店！")


@pytest.fixture
def buyer():
    """A browser on the shop's website: no cookies, Origin of the shop's site."""
    return Client(enforce_csrf_checks=True, headers={"Origin": SITE})


def url(widget, name):
    return reverse(f"service:widget_{name}", args=[widget.key])


def start(client, widget, nick="", **extra):
    return client.post(url(widget, "start"), json.dumps({"nick": nick}), content_type="application/json", **extra)


def write(client, widget, token, text):
    return client.post(url(widget, "messages"), json.dumps({"text": text}), content_type="application/json",
                       headers={"X-Chat-Token": token})


def poll(client, widget, token, after=0):
    return client.get(url(widget, "messages"), {"after": after}, headers={"X-Chat-Token": token})


# --- a chat from start to answer --------------------------------------------------------------------------------------


def test_a_buyer_starts_a_chat_writes_and_reads_the_agents_answer(buyer, widget, agent):
    config = buyer.get(url(widget, "config"))
    assert config.status_code == 200 and config.json()["greeting"] == "亲，欢迎光临小店！"

    started = start(buyer, widget, nick="小王")
    assert started.status_code == 201, started.content
    body = started.json()
    token = body["token"]
    assert body["greeting"] == "亲，欢迎光临小店！"
    conversation = Conversation.objects.get(pk=body["conversation"])
    assert conversation.shop == widget.shop and conversation.channel == Conversation.Channel.WIDGET
    assert conversation.buyer_nick == "小王"
    # Only the hash of the visitor's secret is stored.
    assert conversation.visitor_key_hash == services.hash_secret(token) and token not in conversation.visitor_key_hash

    sent = write(buyer, widget, token, "亲，这件T恤有XL码吗？")
    assert sent.status_code == 201, sent.content
    mine = sent.json()
    assert mine["direction"] == "buyer" and mine["text"] == "亲，这件T恤有XL码吗？" and mine["author"] == ""
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN and conversation.waiting_since is not None

    services.add_note(actor=agent, conversation=conversation, text="老客户，上次买过M码")
    services.post_agent_reply(actor=agent, conversation=conversation, text="亲，XL码有货的哦")
    answer = poll(buyer, widget, token, after=mine["id"])
    assert answer.status_code == 200
    got = answer.json()["messages"]
    assert [(m["direction"], m["text"], m["author"]) for m in got] == [("agent", "亲，XL码有货的哦", "小美")]
    # Never private notes, and nothing of the agent's internals.
    assert set(got[0]) == {"id", "direction", "author", "text", "sent_at"}
    everything = poll(buyer, widget, token).json()["messages"]
    assert [m["direction"] for m in everything] == ["buyer", "agent"]
    assert "老客户" not in json.dumps(everything, ensure_ascii=False)
    assert agent.username not in json.dumps(everything, ensure_ascii=False)


def test_an_agent_without_a_display_name_is_shown_as_kefu(buyer, widget, make_user, shop):
    nameless = make_user("cs_presales", shops=[shop])
    token = start(buyer, widget).json()["token"]
    write(buyer, widget, token, "在吗")
    conversation = Conversation.objects.get(visitor_key_hash=services.hash_secret(token))
    services.post_agent_reply(actor=nameless, conversation=conversation, text="在的亲")
    assert poll(buyer, widget, token).json()["messages"][-1]["author"] == "客服"


def test_polling_costs_a_few_queries_however_long_the_thread(buyer, widget, agent, django_assert_max_num_queries):
    token = start(buyer, widget).json()["token"]
    conversation = Conversation.objects.get(visitor_key_hash=services.hash_secret(token))
    for i in range(15):
        write(buyer, widget, token, f"第{i}个问题")
        services.post_agent_reply(actor=agent, conversation=conversation, text=f"第{i}个回答")
    with django_assert_max_num_queries(3):
        response = poll(buyer, widget, token)
    assert len(response.json()["messages"]) == 30


# --- who may talk to it -----------------------------------------------------------------------------------------------


def test_unknown_key_is_404_and_a_switched_off_chat_403(buyer, widget, supervisor, shop):
    missing = buyer.post("/service/widget/no-such-key/start/", "{}", content_type="application/json")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    token = start(buyer, widget).json()["token"]
    services.configure_widget(actor=supervisor, shop=shop, enabled=False, allowed_origins=SITE, greeting="")
    for response in (buyer.get(url(widget, "config")), start(buyer, widget), write(buyer, widget, token, "在吗"),
                     poll(buyer, widget, token)):
        assert response.status_code == 403 and response.json()["error"]["code"] == "disabled"
    assert not Message.objects.exists()


def test_a_wrong_or_missing_token_is_refused(buyer, widget, other_shop, make_user):
    token = start(buyer, widget).json()["token"]
    write(buyer, widget, token, "我的问题")
    assert write(buyer, widget, token + "x", "冒充").status_code == 403
    assert poll(buyer, widget, "").status_code == 403
    wrong = poll(buyer, widget, "guessed-token")
    assert wrong.status_code == 403 and wrong.json()["error"]["code"] == "bad_token"
    # A token of another shop's widget does not open this shop's chats, and the other way round.
    boss = make_user("cs_supervisor", shops=[other_shop])
    other = services.configure_widget(actor=boss, shop=other_shop, enabled=True, allowed_origins="", greeting="")
    assert poll(buyer, other, token).status_code == 403
    assert Message.objects.filter(direction="buyer").count() == 1


def test_bad_input_gets_a_clear_400(buyer, widget, english):
    token = start(buyer, widget).json()["token"]
    too_long = write(buyer, widget, token, "好" * 2001)
    assert too_long.status_code == 400
    # the buyer's chat is Chinese whatever the browser says
    assert too_long.json()["error"]["message"] == "消息最多 2000 个字符，当前有 2001 个。"
    assert too_long.json()["error"]["fields"]["text"]
    assert write(buyer, widget, token, "好" * 2000).status_code == 201
    empty = write(buyer, widget, token, "   ")
    assert empty.status_code == 400 and "text" in empty.json()["error"]["fields"]
    not_json = buyer.post(url(widget, "messages"), "text=hi", content_type="application/x-www-form-urlencoded",
                          headers={"X-Chat-Token": token})
    assert not_json.status_code == 400
    assert poll(buyer, widget, token, after="x").status_code == 400


# --- CORS -------------------------------------------------------------------------------------------------------------


def test_preflight_from_an_allowed_site_and_no_credentials(buyer, widget):
    response = buyer.options(url(widget, "messages"), headers={
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-chat-token"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert {h.strip().lower() for h in response["Access-Control-Allow-Headers"].split(",")} >= {
        "content-type", "x-chat-token"}
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response
    started = start(buyer, widget)
    assert started["Access-Control-Allow-Origin"] == SITE and "Retry-After" in started["Access-Control-Expose-Headers"]
    assert not started.cookies.get("sessionid") and not started.cookies.get("csrftoken")


def test_another_site_is_refused_before_anything_is_written(widget):
    stranger = Client(headers={"Origin": "https://evil.example.net"})
    preflight = stranger.options(url(widget, "start"), headers={"Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight
    refused = start(stranger, widget)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "origin_not_allowed"
    assert not Conversation.objects.exists()


def test_our_own_site_and_any_site_when_none_is_listed(widget, supervisor, shop):
    ours = Client(headers={"Origin": "http://testserver"})  # the try page on ShopDesk itself
    assert start(ours, widget).status_code == 201
    anywhere = Client(headers={"Origin": "https://any.example.org"})
    assert start(anywhere, widget).status_code == 403
    services.configure_widget(actor=supervisor, shop=shop, enabled=True, allowed_origins="", greeting="")
    allowed = start(anywhere, widget)
    assert allowed.status_code == 201 and allowed["Access-Control-Allow-Origin"] == "https://any.example.org"


# --- rate limits ------------------------------------------------------------------------------------------------------


def test_twenty_messages_a_minute_per_chat_then_429_with_retry_after(buyer, widget):
    with clock.freeze(datetime(2026, 11, 23, 10, 0, 15, tzinfo=CN)):
        token = start(buyer, widget).json()["token"]
        for i in range(views_widget.MESSAGES_PER_MINUTE):
            assert write(buyer, widget, token, f"消息{i}").status_code == 201
        refused = write(buyer, widget, token, "再来一条")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "45" and refused.json()["error"]["code"] == "rate_limited"
        # Another visitor is not slowed down by this one.
        other = start(buyer, widget, REMOTE_ADDR="10.0.0.9").json()["token"]
        assert write(buyer, widget, other, "我也问一下").status_code == 201
        clock.advance(timedelta(seconds=45))
        assert write(buyer, widget, token, "再来一条").status_code == 201
    assert Message.objects.filter(text="再来一条").count() == 1


def test_ten_new_chats_an_hour_per_address(buyer, widget):
    with clock.freeze(datetime(2026, 11, 23, 10, 0, tzinfo=CN)):
        for _ in range(views_widget.CHATS_PER_HOUR):
            assert start(buyer, widget, REMOTE_ADDR="10.1.1.1").status_code == 201
        refused = start(buyer, widget, REMOTE_ADDR="10.1.1.1")
        assert refused.status_code == 429 and refused["Retry-After"] == "3600"
        assert start(buyer, widget, REMOTE_ADDR="10.1.1.2").status_code == 201
        clock.advance(timedelta(hours=1))
        assert start(buyer, widget, REMOTE_ADDR="10.1.1.1").status_code == 201
    assert Conversation.objects.count() == views_widget.CHATS_PER_HOUR + 2


def test_polling_is_limited_too(buyer, widget):
    with clock.freeze(datetime(2026, 11, 23, 10, 0, tzinfo=CN)):
        token = start(buyer, widget).json()["token"]
        for _ in range(views_widget.POLLS_PER_MINUTE):
            assert poll(buyer, widget, token).status_code == 200
        assert poll(buyer, widget, token).status_code == 429


def test_behind_the_https_proxy_the_address_is_the_one_the_proxy_appended(buyer, widget, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    with clock.freeze(datetime(2026, 11, 23, 10, 0, tzinfo=CN)):
        for _ in range(views_widget.CHATS_PER_HOUR):
            # A forged first entry does not help: the proxy appended the real address last.
            assert start(buyer, widget, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").status_code == 201
        assert start(buyer, widget, HTTP_X_FORWARDED_FOR="5.6.7.8, 203.0.113.7").status_code == 429
        assert start(buyer, widget, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 201


# --- escaping ---------------------------------------------------------------------------------------------------------


def test_html_in_a_buyer_message_is_plain_data_in_json_and_text_on_the_agents_page(buyer, widget, agent):
    token = start(buyer, widget, nick="<b>nick</b>").json()["token"]
    sent = write(buyer, widget, token, XSS)
    assert sent.status_code == 201 and sent["Content-Type"] == "application/json"
    assert sent.json()["text"] == XSS
    assert poll(buyer, widget, token).json()["messages"][0]["text"] == XSS

    conversation = Conversation.objects.get(visitor_key_hash=services.hash_secret(token))
    try:
        page_url = reverse("service:conversation", kwargs={"pk": conversation.pk})
    except NoReverseMatch:
        pytest.skip("the workbench conversation page (service:conversation) is not wired yet")
    staff = Client()
    staff.force_login(agent)
    page = staff.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "<script>alert(2)" not in html and "<b>nick</b>" not in html


# --- the sample shop page ---------------------------------------------------------------------------------------------


def test_the_try_page_is_public_and_embeds_the_widget_by_script_src_only(widget):
    page = Client().get(url(widget, "try"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-shopdesk-key="{widget.key}"' in html and "/static/service/widget.js" in html
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=", html) and " style=" not in html
    assert Client().get("/service/widget/no-such-key/try/").status_code == 404


def test_the_widget_script_never_uses_innerhtml():
    from django.contrib.staticfiles import finders

    source = open(finders.find("service/widget.js"), encoding="utf-8").read()
    assert "innerHTML" not in source.replace("never innerHTML", "") and "textContent" in source
    assert "credentials: \"omit\"" in source and "X-Chat-Token" in source
    for text in ("在线客服", "发送", "请输入消息…"):
        assert text in source


# --- the settings page ------------------------------------------------------------------------------------------------


def test_the_supervisor_sets_up_the_widget_and_copies_the_snippet(client_for, shop):
    boss = client_for("cs_supervisor", shops=[shop])
    settings_url = reverse("service:widget_settings")
    first = boss.get(settings_url)
    assert first.status_code == 200 and not ChatWidget.objects.exists()
    saved = boss.post(f"{settings_url}?shop={shop.code}", {
        "enabled": "on", "allowed_origins": "https://shop.example.com/\nhttps://m.shop.example.com",
        "greeting": "亲，欢迎光临！"})
    assert saved.status_code == 302
    widget = ChatWidget.objects.get(shop=shop)
    assert widget.enabled and widget.allowed_origins == "https://shop.example.com\nhttps://m.shop.example.com"
    assert widget.greeting == "亲，欢迎光临！"
    assert AuditEvent.objects.filter(action="service.widget_configured").exists()

    page = boss.get(f"{settings_url}?shop={shop.code}").content.decode()
    assert (f'&lt;script src=&quot;http://testserver/static/service/widget.js&quot; '
            f'data-shopdesk-key=&quot;{widget.key}&quot; defer&gt;&lt;/script&gt;') in page
    assert reverse("service:widget_try", args=[widget.key]) in page

    old_key = widget.key
    boss.post(f"{settings_url}?shop={shop.code}", {"enabled": "on", "allowed_origins": "", "greeting": "您好",
                                                     "new_key": "1"})
    widget.refresh_from_db()
    assert widget.key != old_key and widget.allowed_origins == ""
    assert Client().get(f"/service/widget/{old_key}/config/").status_code == 404


def test_settings_refuse_a_bad_site_and_other_shops_and_agents(client_for, shop, other_shop):
    boss = client_for("cs_supervisor", shops=[shop])
    settings_url = reverse("service:widget_settings")
    bad = boss.post(f"{settings_url}?shop={shop.code}", {"enabled": "on", "allowed_origins": "shop.example.com",
                                                          "greeting": ""})
    assert bad.status_code == 200 and "shop.example.com" in bad.context["form"].errors["allowed_origins"][0]
    assert not ChatWidget.objects.exists()
    assert boss.get(f"{settings_url}?shop={other_shop.code}").status_code == 404
    assert client_for("cs_presales", shops=[shop]).get(settings_url).status_code == 403
