"""The own-site chat in two real browsers: a buyer on the sample shop page (the widget embedded by its one <script>
line, running in a shadow root) opens the chat, sees the greeting and asks a question; the shop's pre-sales agent,
logged in to the workbench in a session of their own, sees it in the conversation and answers; the buyer sees the
answer in the widget within seconds, without reloading. Then the buyer writes again — once with HTML and a script —
and the agent's open page shows it by its own polling, as text: no dialog opens, no element is injected. No console
errors on either side (so nothing broke the Content-Security-Policy)."""

from __future__ import annotations

import http.server
import threading

import pytest
from django.core.cache import cache

from shopdesk.service import services
from shopdesk.service.models import Conversation, Message

pytestmark = pytest.mark.browser

QUESTION = "亲，这款T恤有XL码吗？"
ANSWER = "有的亲，XL码现货，今天下单今天发"
XSS = "<img src=x onerror=alert(1)><script>alert(2)</script>"


@pytest.fixture
def people(make_user, shop):
    agent = make_user("cs_presales", username="xiaomei", display_name="小美", shops=[shop])
    boss = make_user("cs_supervisor", username="wangzg", display_name="王主管", shops=[shop])
    return agent, boss


@pytest.fixture
def widget(people, shop):
    cache.clear()  # rate-limit counters of earlier tests in this process
    # Only the shop's own site is listed: the sample page on ShopDesk itself is allowed all the same.
    return services.configure_widget(actor=people[1], shop=shop, enabled=True,
                                     allowed_origins="https://shop.example.com", greeting="亲，欢迎光临小店！")


def test_buyer_and_agent_chat_through_the_widget_and_the_workbench(browser, session_as, live_server, widget):
    from playwright.sync_api import expect

    dialogs: list[str] = []
    contexts = []
    try:
        # --- the buyer on the shop's page --------------------------------------------------------------------------
        buyer_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        contexts.append(buyer_ctx)
        buyer = buyer_ctx.new_page()
        buyer_errors: list[str] = []
        buyer.on("console", lambda m: buyer_errors.append(m.text) if m.type == "error" else None)
        buyer.on("pageerror", lambda e: buyer_errors.append(str(e)))
        buyer.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        buyer.goto(f"{live_server.url}/service/widget/{widget.key}/try/")
        launcher = buyer.locator(".sdw-launcher")  # Playwright's CSS locators pierce the open shadow root
        expect(launcher).to_contain_text("在线客服")
        launcher.click()
        log = buyer.locator(".sdw-log")
        expect(log.locator(".sdw-agent .sdw-text").first).to_have_text("亲，欢迎光临小店！")
        box = buyer.get_by_placeholder("请输入消息…")
        box.fill(QUESTION)
        buyer.get_by_role("button", name="发送").click()
        expect(log.locator(".sdw-buyer .sdw-text")).to_have_text(QUESTION)
        expect(box).to_have_value("")

        conversation = Conversation.objects.get(shop=widget.shop, channel=Conversation.Channel.WIDGET)
        assert conversation.messages.get().text == QUESTION

        # --- the agent in the workbench ----------------------------------------------------------------------------
        ctx, agent = session_as("xiaomei")
        contexts.append(ctx)
        agent.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        agent.goto(f"{live_server.url}/service/c/{conversation.pk}/")
        thread = agent.locator("#thread-messages")
        expect(thread.locator(".wb-msg-buyer .wb-text")).to_have_text(QUESTION)
        agent.fill("#reply-text", ANSWER)
        agent.locator("#reply-form").get_by_role("button", name="Send").click()
        expect(thread.locator(".wb-msg-agent .wb-text")).to_have_text(ANSWER)

        # --- the answer reaches the buyer's open widget by its polling ---------------------------------------------
        answer = log.locator(".sdw-agent", has_text=ANSWER)
        expect(answer).to_be_visible(timeout=10_000)
        expect(answer.locator(".sdw-meta")).to_contain_text("小美")

        # --- the buyer writes again, with HTML: the agent's open page shows it as text ------------------------------
        box.fill(XSS)
        box.press("Enter")
        expect(log.locator(".sdw-buyer .sdw-text").last).to_have_text(XSS)
        expect(thread.locator(".wb-msg-buyer .wb-text").last).to_have_text(XSS, timeout=10_000)
        assert thread.locator("img, script").count() == 0
        assert log.locator("img, script").count() == 0
        assert Message.objects.filter(conversation=conversation, direction="buyer").count() == 2

        assert dialogs == []
        assert buyer_errors == []
        assert agent.errors == []
    finally:
        for c in contexts:
            c.close()



@pytest.fixture
def shop_site(live_server, widget):
    """The shop's own website: a page on another origin (a plain HTTP server on 127.0.0.1, while ShopDesk is
    http://localhost:PORT) with the widget's one line pointing at ShopDesk. Yields the site's origin."""
    html = ("<!doctype html><html lang='zh-Hans'><head><meta charset='utf-8'><title>小店</title>"
            "<link rel='icon' href='data:,'></head><body><h1>小店首页</h1>"
            f"<script src='{live_server.url}/static/service/widget.js' data-shopdesk-key='{widget.key}' defer>"
            "</script></body></html>").encode()

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _open(browser, url):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(url)
    return context, page


def test_the_widget_on_the_shops_own_site_talks_across_origins(browser, live_server, shop_site, widget, people,
                                                              shop):
    """The real cross-origin case: the page is on another origin, so Chromium sends the CORS preflight for the
    X-Chat-Token header; an allowed site chats, a site not listed gets no chat button at all."""
    from playwright.sync_api import expect

    services.configure_widget(actor=people[1], shop=shop, enabled=True, allowed_origins=shop_site, greeting="")
    contexts = []
    try:
        context, page = _open(browser, shop_site + "/")
        contexts.append(context)
        page.locator(".sdw-launcher").click()
        page.get_by_placeholder("请输入消息…").fill("包邮吗？")
        page.get_by_role("button", name="发送").click()
        log = page.locator(".sdw-log")
        expect(log.locator(".sdw-buyer .sdw-text")).to_have_text("包邮吗？")
        conversation = Conversation.objects.get(shop=shop, channel=Conversation.Channel.WIDGET)
        services.post_agent_reply(actor=people[0], conversation=conversation, text="亲，满99包邮哦")
        expect(log.locator(".sdw-agent", has_text="亲，满99包邮哦")).to_be_visible(timeout=10_000)
        assert page.errors == []

        services.configure_widget(actor=people[1], shop=shop, enabled=True, allowed_origins="https://shop.example.com",
                                  greeting="")
        context, page = _open(browser, shop_site + "/")
        contexts.append(context)
        page.wait_for_load_state("networkidle")
        expect(page.locator(".sdw-launcher")).to_have_count(0)
        assert Conversation.objects.count() == 1
    finally:
        for c in contexts:
            c.close()
