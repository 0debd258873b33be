"""Browser tests: Playwright for Python driving Debian's headless chromium against a live server."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_cs_agent_logs_in_and_sees_chinese_home(page, login, live_server, make_user, shop):
    make_user("cs_presales", username="xiaomei", display_name="小美", shops=[shop])
    login("xiaomei")
    assert page.url == live_server.url + "/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("h1").inner_text() == "今日工作"
    assert page.locator("section[data-role=cs_presales] h2").inner_text().startswith("售前客服")
    assert "客服每日工作安排" in page.locator(".schedule h2").inner_text() or page.locator(".timeline li").count() == 6
    nav = page.locator("nav.sidebar").inner_text()
    assert "店铺" in nav and "审计日志" not in nav and "员工" not in nav
    assert page.errors == [], page.errors  # no CSP violation, no script error


def test_manager_grants_stand_in_and_switches_language(page, login, live_server, make_user):
    make_user("manager", username="boss")
    make_user("cs_presales", username="helper", display_name="何梅")
    login("boss")
    page.goto(live_server.url + "/staff/stand-ins/new/")
    page.select_option("#id_user", label="何梅 (helper)")
    page.select_option("#id_role", "cs_aftersales")
    page.fill("#id_starts_on", "2026-11-20")
    page.fill("#id_ends_on", "2026-11-19")
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")
    assert page.locator(".field-error").count() >= 1  # end before start: shown beside the field
    page.fill("#id_ends_on", "2026-11-30")
    with page.expect_navigation():
        page.click(".form-actions button[type=submit]")
    assert page.url.endswith("/staff/stand-ins/")
    assert "何梅" in page.locator("table.grid").inner_text()
    with page.expect_navigation():
        page.select_option("select.lang-select", "en")  # the switch submits itself on change
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Stand-ins"
    assert page.errors == [], page.errors
