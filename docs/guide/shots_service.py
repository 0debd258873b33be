"""Screenshots of the customer-service (客服) pages for the Chinese user guide.

Start the demo in another shell (it loads the demo department; everyone's password is shopdesk-demo):

    SHOPDESK_DATA_DIR=/tmp/sd-shots python -m shopdesk demo --no-browser --port 8765

then run

    python docs/guide/shots_service.py [--base http://127.0.0.1:8765] [--out docs/guide/img]

It drives Debian's chromium through Playwright at 1280 px (the three-column workbench at 1600 px, the width of an
agent's screen), in Chinese, as the demo's pre-sales agent (chenjing 陈静) and the CS supervisor (zhaomin 赵敏), and
writes docs/guide/img/service-*.png: the viewport, an element, or the page cut at a height, so each stays small.

Everything but the last shot only reads (forms are filled, never submitted). The last one plays the own-site chat
for real: a visitor of the sample shop page writes, the supervisor answers in the workbench and the answer appears
in the visitor's chat window; so each run adds one own-site conversation to the demo (run it on a fresh demo for the
KPI shot to show only the demo's agents).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, timedelta

from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=zh-CN"]
WIDTH, HEIGHT, MAX_HEIGHT = 1280, 860, 1500
WIDE, WIDE_HEIGHT = 1600, 1000  # the three-column workbench, as on an agent's wide screen
PASSWORD = "shopdesk-demo"


class Shots:
    def __init__(self, browser, base: str, out: str):
        self.browser, self.base, self.out = browser, base.rstrip("/"), out
        self.pages: dict[str, object] = {}
        self.errors: list[str] = []

    def context(self, width: int = WIDTH, height: int = HEIGHT):
        return self.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                        viewport={"width": width, "height": height})

    def watch(self, page, who: str) -> None:
        page.on("console", lambda m: self.errors.append(f"{who} {page.url}: {m.text}") if m.type == "error" else None)

    def as_(self, username: str, wide: bool = False):
        """A logged-in page of `username` (one browser context each, and one more for a wide window), Chinese UI."""
        key = f"{username}-wide" if wide else username
        if key not in self.pages:
            page = (self.context(WIDE, WIDE_HEIGHT) if wide else self.context()).new_page()
            self.watch(page, username)
            page.goto(self.base + "/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            if "/login/" in page.url:
                sys.exit(f"cannot log in as {username}: is the demo running at {self.base}?")
            self.pages[key] = page
        return self.pages[key]

    def go(self, page, path: str):
        page.goto(self.base + path)
        page.wait_for_load_state("networkidle")
        return page

    def viewport(self, page, name: str) -> None:
        path = os.path.join(self.out, f"{name}.png")
        page.screenshot(path=path)
        self._done(path)

    def tall(self, page, name: str, max_height: int = MAX_HEIGHT) -> None:
        """The whole window width, from the top down to the end of the content (at most max_height)."""
        size = page.viewport_size
        height = page.evaluate("() => document.documentElement.scrollHeight")
        height = max(size["height"], min(max_height, int(height)))
        path = os.path.join(self.out, f"{name}.png")
        page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": size["width"], "height": height})
        self._done(path)

    def element(self, page, selector: str, name: str) -> None:
        # A clip of the page, not locator.screenshot(): that one makes Playwright apply an inline style, which the
        # Content-Security-Policy blocks and reports as a console error.
        self.region(page, [selector], name, pad=0)

    def region(self, page, selectors: list[str], name: str, pad: int = 8) -> None:
        """The smallest box holding the first element of each selector (they may overflow their parents)."""
        page.evaluate("() => document.activeElement && document.activeElement.blur()")  # no caret to hide
        boxes = [page.locator(s).first.bounding_box() for s in selectors]
        left, top = min(b["x"] for b in boxes) - pad, min(b["y"] for b in boxes) - pad
        right = max(b["x"] + b["width"] for b in boxes) + pad
        bottom = max(b["y"] + b["height"] for b in boxes) + pad
        path = os.path.join(self.out, f"{name}.png")
        page.screenshot(path=path, full_page=True, caret="initial", clip={"x": max(0, left), "y": max(0, top),
                                                         "width": right - max(0, left), "height": bottom - max(0, top)})
        self._done(path)

    @staticmethod
    def _done(path: str) -> None:
        print(f"{path}  {os.path.getsize(path) // 1024} KB")


def open_conversation(shots: Shots, page, text: str, queue: str = "open", newest: bool = False):
    """Open the conversation whose queue row shows `text` (the buyer's nick or the last message's start); with
    `newest`, the last such row (in the waiting queue: the one waiting least long)."""
    shots.go(page, f"/service/?queue={queue}")
    rows = page.locator(".wb-conversations li").filter(has_text=text)
    row = rows.last if newest else rows.first
    with page.expect_navigation():
        row.locator("a").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#suggestions")).to_be_visible()
    return page


def run(shots: Shots) -> None:
    agent = shots.as_("chenjing")

    # The agent's home page: the daily schedule with its queues, and the tiles.
    shots.go(agent, "/")
    shots.viewport(agent, "service-home")

    # The workbench (in a wide window): a buyer bargaining for the fifth time while the discount request waits for
    # the supervisor.
    agent = shots.as_("chenjing", wide=True)
    open_conversation(shots, agent, "jenny_0621")
    expect(agent.locator(".wb-move")).to_be_visible()
    shots.tall(agent, "service-workbench", max_height=1700)

    # The buyer who just paid: the quick-reply search ("/" then pinyin initials) and the verification preview.
    open_conversation(shots, agent, "晴天的猫")
    agent.locator("#thread-messages").click()  # leave the reply box so "/" reaches the page
    agent.keyboard.press("/")
    expect(agent.locator("#quick-search")).to_be_focused()
    agent.keyboard.type("fh")
    expect(agent.locator("#quick-replies [data-group=greet]")).to_have_count(0)  # the list is filtered
    agent.wait_for_load_state("networkidle")
    agent.locator("#quick-replies .wb-pick").first.click()  # the reply, its variables filled, goes to the reply box
    shots.region(agent, [".wb-suggestions", ".wb-quick"], "service-quick-search")

    agent.locator(".wb-order-actions a[hx-get*='/verification/']").first.click()
    expect(agent.locator(".wb-verify")).to_be_visible()
    agent.wait_for_load_state("networkidle")
    shots.element(agent, ".wb-side > .panel", "service-verification")

    # The canned replies (快捷短语), seen by the supervisor who manages the team's ones.
    supervisor = shots.as_("zhaomin")
    shots.go(supervisor, "/service/replies/?group=bargain")
    shots.viewport(supervisor, "service-replies")

    # KPIs per month, last month and this one.
    today = date.today()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    shots.go(supervisor, f"/service/kpis/?period=month&start={first.isoformat()}&end={today.isoformat()}")
    shots.tall(supervisor, "service-kpis", max_height=1250)

    # Quality inspection: the lowest score of the list, opened.
    shots.go(supervisor, "/service/quality/")
    shots.viewport(supervisor, "service-quality")
    with supervisor.expect_navigation():
        supervisor.locator("#table-block tbody tr a[href*='/service/quality/']").first.click()
    supervisor.wait_for_load_state("networkidle")
    shots.viewport(supervisor, "service-quality-detail")

    # The duty roster of this week, with its gap.
    shots.go(supervisor, "/service/roster/")
    shots.viewport(supervisor, "service-roster")

    # A score sheet still in draft: its parts, the adjustment and the submission.
    shots.go(supervisor, "/service/score-sheets/")
    shots.viewport(supervisor, "service-score-sheets")
    row = supervisor.locator("#sheets tbody tr").filter(has=supervisor.locator(".sheet-draft")).first
    with supervisor.expect_navigation():
        row.locator("a").first.click()
    supervisor.wait_for_load_state("networkidle")
    shots.tall(supervisor, "service-score-sheet", max_height=1100)

    # The own-site chat: the settings with the line to embed, then a round trip on the sample shop page.
    shots.go(supervisor, "/service/widget-settings/?shop=own-site")
    shots.viewport(supervisor, "service-widget-settings")
    try_url = supervisor.locator("a[href*='/try/']").first.get_attribute("href")
    visitor = shots.context().new_page()
    shots.watch(visitor, "visitor")
    visitor.goto(shots.base + try_url)
    visitor.wait_for_load_state("networkidle")
    visitor.locator(".sdw-launcher").click()
    question = "请问这款文胸有黑色的吗？75B有货吗"
    visitor.locator(".sdw-input").fill(question)
    visitor.locator(".sdw-send").click()
    expect(visitor.locator(".sdw-log")).to_contain_text(question)
    open_conversation(shots, supervisor, question, queue="waiting", newest=True)
    supervisor.fill("#reply-text", "亲，您好！这款有黑色和肤色两种，75B黑色有现货，今天下午四点前付款当天发货哦～")
    supervisor.locator("#reply-form button[type=submit]").click()
    expect(visitor.locator(".sdw-log")).to_contain_text("当天发货", timeout=10000)
    shots.viewport(visitor, "service-widget")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "img"))
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS,
                                    env={**os.environ, "LANG": "zh_CN.UTF-8", "LANGUAGE": "zh_CN:zh"})
        shots = Shots(browser, args.base, args.out)
        try:
            run(shots)
        finally:
            browser.close()
    if shots.errors:
        print("console errors:", *shots.errors, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
