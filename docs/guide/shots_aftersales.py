"""Screenshots of the after-sales (售后) and reviews (评价) pages for the Chinese user guide.

Start the demo in another shell (it loads the demo department; everyone's password is shopdesk-demo):

    SHOPDESK_DATA_DIR=/tmp/sd-shots python -m shopdesk demo --no-browser --port 8765

then run

    python docs/guide/shots_aftersales.py [--base http://127.0.0.1:8765] [--out docs/guide/img]

It drives Debian's chromium through Playwright at 1280 px, in Chinese, as the demo's after-sales agent (yangli 杨丽),
the warehouse (zhoujie 周杰) and the CS supervisor (zhaomin 赵敏), and writes docs/guide/img/aftersales-*.png and
reviews-*.png: the viewport, or the main column of a longer page cut at MAX_HEIGHT, so each stays small. It only
reads (the forms are filled, never submitted), so it can be run again on the same demo.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from playwright.sync_api import expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--lang=zh-CN"]
WIDTH, HEIGHT, MAX_HEIGHT = 1280, 860, 1500
PASSWORD = "shopdesk-demo"


class Shots:
    def __init__(self, browser, base: str, out: str):
        self.browser, self.base, self.out = browser, base.rstrip("/"), out
        self.pages: dict[str, object] = {}
        self.errors: list[str] = []

    def as_(self, username: str):
        """A logged-in page of `username` (one browser context each), Chinese UI."""
        if username not in self.pages:
            context = self.browser.new_context(locale="zh-CN", viewport={"width": WIDTH, "height": HEIGHT})
            page = context.new_page()
            page.on("console", lambda m: self.errors.append(f"{username}: {m.text}") if m.type == "error" else None)
            page.goto(self.base + "/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            with page.expect_navigation():
                page.click("button[type=submit]")
            if "/login/" in page.url:
                sys.exit(f"cannot log in as {username}: is the demo running at {self.base}?")
            self.pages[username] = page
        return self.pages[username]

    def go(self, page, path: str):
        page.goto(self.base + path)
        page.wait_for_load_state("networkidle")
        return page

    def viewport(self, page, name: str) -> None:
        path = os.path.join(self.out, f"{name}.png")
        page.screenshot(path=path)
        self._done(path)

    def tall(self, page, name: str) -> None:
        """The whole window width, from the top down to the end of the content (at most MAX_HEIGHT)."""
        height = page.evaluate("() => document.documentElement.scrollHeight")
        height = max(HEIGHT, min(MAX_HEIGHT, int(height)))
        path = os.path.join(self.out, f"{name}.png")
        page.screenshot(path=path, full_page=True, clip={"x": 0, "y": 0, "width": WIDTH, "height": height})
        self._done(path)

    def element(self, page, selector: str, name: str) -> None:
        path = os.path.join(self.out, f"{name}.png")
        page.locator(selector).first.screenshot(path=path)
        self._done(path)

    @staticmethod
    def _done(path: str) -> None:
        print(f"{path}  {os.path.getsize(path) // 1024} KB")


def uncased_delivered_order(shots: Shots, page) -> int:
    """A delivered order of the demo without an after-sales case (its case form lists no earlier case)."""
    shots.go(page, "/orders/?tab=all&status=delivered&page_size=100")
    pks = []
    for href in page.locator('a[href^="/orders/"]').evaluate_all("els => els.map(e => e.getAttribute('href'))"):
        m = re.fullmatch(r"/orders/(\d+)/", href or "")
        if m and int(m.group(1)) not in pks:
            pks.append(int(m.group(1)))
    for pk in pks:
        shots.go(page, f"/aftersales/new/{pk}/")
        if page.locator("#policy-decision").count() and not page.locator("main ul.plain").count():
            return pk
    sys.exit("no delivered order without a case in the demo")


def run(shots: Shots) -> None:
    agent = shots.as_("yangli")

    # The agent's home page: the after-sales and review tiles.
    shots.go(agent, "/")
    shots.viewport(agent, "aftersales-home")

    # The case list with its queue tabs.
    shots.go(agent, "/aftersales/")
    shots.viewport(agent, "aftersales-cases")

    # The new-case form: a quality return, the live preview allows it and the shop pays the shipping.
    pk = uncased_delivered_order(shots, agent)
    shots.go(agent, f"/aftersales/new/{pk}/")
    preview = agent.locator("#policy-decision")
    agent.select_option("#id_kind", "return")
    agent.select_option("#id_reason", "quality")
    agent.locator("table.case-lines input").first.fill("1")
    agent.locator("table.case-lines input").first.dispatch_event("change")
    agent.fill("#id_description", "洗了一次就起球，买家发来照片")
    agent.locator("#id_description").dispatch_event("change")
    agent.evaluate("() => document.activeElement && document.activeElement.blur()")
    expect(preview).to_contain_text("shop_fault_quality")
    agent.wait_for_load_state("networkidle")
    shots.viewport(agent, "aftersales-new")

    # The same form refused: 7天无理由 after day 7 with the item worn.
    agent.select_option("#id_reason", "no_reason")
    agent.locator('input[name="item_condition"][value="worn"]').check()
    agent.fill("#id_description", "穿过一次，觉得不合适，不想要了")
    agent.evaluate("() => document.activeElement && document.activeElement.blur()")
    expect(preview).to_contain_text("no_reason_condition")
    agent.wait_for_load_state("networkidle")
    shots.element(agent, ".case-new", "aftersales-refused")

    # A case page: decision, lines, return instructions, evidence, history and the actions beside them.
    shots.go(agent, "/aftersales/?tab=buyer")
    with agent.expect_navigation():
        agent.locator("#table-block tbody tr a[href^='/aftersales/']").first.click()
    agent.wait_for_load_state("networkidle")
    shots.tall(agent, "aftersales-case")

    # The returns register of the month.
    shots.go(agent, "/aftersales/register/")
    shots.viewport(agent, "aftersales-register")

    # A complaint at the "resolve" step: the step bar, the next step's form and the follow-up call.
    shots.go(agent, "/aftersales/complaints/?tab=all")
    shots.viewport(agent, "aftersales-complaints")
    row = agent.locator("#table-block tbody tr").filter(has_text="解决").first
    with agent.expect_navigation():
        row.locator("a[href^='/aftersales/complaints/']").first.click()
    shots.viewport(agent, "aftersales-complaint")

    # Reviews: the list with the due badges, a contacted review with its log and the script, the weekly report.
    shots.go(agent, "/reviews/")
    shots.viewport(agent, "reviews-list")
    shots.go(agent, "/reviews/?tab=waiting")
    with agent.expect_navigation():
        agent.locator("#table-block tbody tr td.review-text a").first.click()
    shots.tall(agent, "reviews-detail")
    shots.go(agent, "/reviews/report/")
    shots.viewport(agent, "reviews-report")

    # The warehouse: the receiving screen after scanning a return tracking number.
    keeper = shots.as_("zhoujie")
    shots.go(keeper, "/aftersales/receiving/")
    tracking = keeper.locator(".receive-case code").first.inner_text().strip()
    keeper.fill('.scan-box input[name="q"]', tracking)
    with keeper.expect_navigation():
        keeper.press('.scan-box input[name="q"]', "Enter")
    shots.viewport(keeper, "aftersales-receiving")

    # The supervisor's daily check.
    supervisor = shots.as_("zhaomin")
    shots.go(supervisor, "/aftersales/daily/")
    shots.tall(supervisor, "aftersales-daily")


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
