"""The supervisor's pages under /service/: KPIs, quality inspection, roster, score sheets, settings. Who may open
them, what they show, their forms, and bounded query counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from shopdesk.core import clock
from shopdesk.service import services_team
from shopdesk.service.models import QualityScore, RosterEntry, ScoreSheet, ServiceSettings, Shift

D = datetime
MON = date(2026, 11, 23)
PAGES = ["/service/kpis/", "/service/quality/", "/service/score-sheets/", "/service/settings/"]


@pytest.fixture(autouse=True)
def on_tuesday():
    with clock.freeze(D(2026, 11, 24, 10, 0)):
        yield


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def day_of_chats(chat, agent, make_order, cn_time):
    """Monday: a good conversation that converted, and one with a forbidden phrase left unanswered."""
    with clock.freeze(D(2026, 11, 23, 8, 0)):
        make_order(buyer="good", ordered_at=cn_time(2026, 11, 23, 9, 30), paid_after=timedelta(minutes=1),
                   paid_amount="128.00", lines=(("CH-0001", 1, "128.00"),))
    good = chat([("buyer", "有M码吗", D(2026, 11, 23, 9, 0)),
                 ("agent", "有的，感谢您的光临", D(2026, 11, 23, 9, 0, 12)),
                 ("close", "", D(2026, 11, 23, 9, 5))], buyer="good", nick="小鱼儿")
    bad = chat([("buyer", "是正品吗", D(2026, 11, 23, 10, 0)), ("agent", "绝对正品", D(2026, 11, 23, 10, 1, 30)),
                ("buyer", "那能便宜吗", D(2026, 11, 23, 10, 2)), ("close", "", D(2026, 11, 23, 10, 5))],
               buyer="bad", nick="晴天的猫")
    return good, bad


@pytest.mark.parametrize("url", [*PAGES, "/service/quality/inspect/", "/service/roster/add/"])
def test_an_agent_is_refused_the_supervisors_pages(agent, url):
    c = login(agent)
    response = c.post(url) if url.endswith(("inspect/", "add/")) else c.get(url)
    assert response.status_code == 403


def test_an_agent_sees_the_roster_but_cannot_change_it(agent):
    page = html(login(agent).get("/service/roster/"))
    assert 'id="roster-grid"' in page and 'id="roster-add"' not in page and "shift_edit" not in page


def test_operations_reads_kpis_but_not_quality(client_for):
    ops = client_for("operations")
    assert ops.get("/service/kpis/").status_code == 200
    assert ops.get("/service/quality/").status_code == 403


def test_kpi_page_shows_agents_shops_and_the_conversion_rule(day_of_chats, supervisor, shop,
                                                             django_assert_max_num_queries):
    c = login(supervisor)
    with django_assert_max_num_queries(25):
        page = html(c.get("/service/kpis/", {"start": "2026-11-23", "end": "2026-11-24", "period": "day"}))
    assert 'id="conversion-rule"' in page and "24" in page.split('id="conversion-rule"')[1].split("</p>")[0]
    agents = page.split('id="kpi-agents"')[1].split("</table>")[0]
    assert "小美" in agents and "51.0 s" in agents  # first responses 12 s and 90 s
    assert "<td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">50.0%</td>" in agents  # 1 of 2
    shops = page.split('id="kpi-shops"')[1].split("</table>")[0]
    assert shop.name in shops and "¥128.00" in shops


def test_kpi_page_period_week_and_bad_filters_fall_back(day_of_chats, supervisor):
    c = login(supervisor)
    week = html(c.get("/service/kpis/", {"period": "week", "start": "2026-11-01", "end": "2026-11-24"}))
    assert "11-23" in week.split('id="kpi-agents"')[1]
    bad = html(c.get("/service/kpis/", {"start": "2026-11-24", "end": "2026-11-01"}))
    assert "field-error" in bad


def test_quality_list_lowest_first_with_bounded_queries(day_of_chats, supervisor, chat,
                                                        django_assert_max_num_queries):
    for i in range(8):
        chat([("buyer", "在吗", D(2026, 11, 23, 11, i)), ("agent", "在的", D(2026, 11, 23, 11, i, 5)),
              ("close", "", D(2026, 11, 23, 11, i, 30))], buyer=f"more{i}")
    c = login(supervisor)
    with django_assert_max_num_queries(20):
        page = html(c.get("/service/quality/"))
    good, bad = day_of_chats
    bad_score = QualityScore.objects.get(conversation=bad)
    good_score = QualityScore.objects.get(conversation=good)
    assert bad_score.auto_score < good_score.auto_score
    assert page.index(f'id="qs-{bad_score.pk}"') < page.index(f'id="qs-{good_score.pk}"')
    reviewed = html(c.get("/service/quality/", {"reviewed": "yes"}))
    assert f'id="qs-{bad_score.pk}"' not in reviewed


def test_quality_detail_shows_findings_and_takes_a_review(day_of_chats, supervisor,
                                                          django_assert_max_num_queries):
    _good, bad = day_of_chats
    score = QualityScore.objects.get(conversation=bad)
    c = login(supervisor)
    with django_assert_max_num_queries(20):
        page = html(c.get(f"/service/quality/{score.pk}/"))
    assert "绝对正品" in page and "forbidden_phrase" in page and "unanswered" in page
    message_id = [f for f in score.findings if f["rule"] == "forbidden_phrase"][0]["message"]
    assert f'href="#m{message_id}"' in page and f'id="m{message_id}"' in page
    refused = html(c.post(f"/service/quality/{score.pk}/", {"manual_score": "40", "comment": ""}))
    assert "field-error" in refused
    done = c.post(f"/service/quality/{score.pk}/", {"manual_score": "40", "comment": "承诺过头，要培训"})
    assert done.status_code == 302
    score.refresh_from_db()
    assert score.manual_score == 40 and score.reviewed_by == supervisor


def test_quality_detail_of_another_shop_is_404(day_of_chats, make_user, other_shop):
    outsider = make_user("cs_supervisor", shops=[other_shop])
    score = QualityScore.objects.first()
    assert login(outsider).get(f"/service/quality/{score.pk}/").status_code == 404


def test_inspect_a_day_from_the_page(day_of_chats, supervisor):
    QualityScore.objects.all().delete()
    response = login(supervisor).post("/service/quality/inspect/", {"day": "2026-11-23"})
    assert response.status_code == 302 and QualityScore.objects.count() == 2


def test_roster_page_shows_the_gap_and_who_is_on_duty(supervisor, agent, aftersales_agent,
                                                      django_assert_max_num_queries):
    day, night = Shift.objects.get(name="白班"), Shift.objects.get(name="晚班")
    services_team.add_roster_entry(actor=supervisor, day=MON, shift=night, agent=aftersales_agent)
    services_team.add_roster_entry(actor=supervisor, day=date(2026, 11, 24), shift=day, agent=agent)
    c = login(supervisor)
    with django_assert_max_num_queries(20):
        page = html(c.get("/service/roster/", {"week": "2026-11-25"}))
    coverage = page.split('class="coverage-row"')[1].split("</tr>")[0]
    assert coverage.count('class="gap"') == 7  # Monday 09:30-17:00, Tuesday 17:30-18:30, nobody Wed-Sun
    assert "09:30–17:00" in coverage and "17:30–18:30" in coverage
    on_duty = page.split('class="panel on-duty"')[1].split("</section>")[0]
    assert "小美" in on_duty and "小李" not in on_duty
    assert 'rel="prev" href' not in page and "week=2026-11-16" in page and "week=2026-11-30" in page


def test_roster_add_and_remove_through_htmx(supervisor, agent):
    day = Shift.objects.get(name="白班")
    c = login(supervisor)
    answer = c.post("/service/roster/add/", {"day": "2026-11-26", "shift": day.pk, "agent": agent.pk,
                                              "week": "2026-11-23"}, HTTP_HX_REQUEST="true")
    grid = html(answer)
    assert grid.startswith('<div id="roster-grid">') and "<html" not in grid
    entry = RosterEntry.objects.get()
    assert entry.day == date(2026, 11, 26) and entry.agent == agent
    twice = html(c.post("/service/roster/add/", {"day": "2026-11-26", "shift": day.pk, "agent": agent.pk},
                        HTTP_HX_REQUEST="true"))
    assert "msg-error" in twice and RosterEntry.objects.count() == 1
    assert c.post(f"/service/roster/{entry.pk}/remove/").status_code == 302
    assert not RosterEntry.objects.exists()


def test_shift_times_from_the_page(supervisor):
    night = Shift.objects.get(name="晚班")
    c = login(supervisor)
    response = c.post(f"/service/roster/shifts/{night.pk}/", {f"shift{night.pk}-name": "晚班",
                                                              f"shift{night.pk}-start": "17:30",
                                                              f"shift{night.pk}-end": "01:30"})
    assert response.status_code == 302
    night.refresh_from_db()
    assert night.start.strftime("%H:%M") == "17:30" and night.end.strftime("%H:%M") == "01:30"


def test_score_sheets_from_build_to_approval(day_of_chats, supervisor, agent, manager,
                                             django_assert_max_num_queries):
    c = login(supervisor)
    assert c.post("/service/score-sheets/build/", {"month": "2026-11"}).status_code == 302
    sheet = ScoreSheet.objects.get(agent=agent)
    with django_assert_max_num_queries(20):
        listing = html(c.get("/service/score-sheets/", {"month": "2026-11"}))
    assert f'id="sheet-{sheet.pk}"' in listing and "2026-12-09" in listing
    with django_assert_max_num_queries(20):
        detail = html(c.get(f"/service/score-sheets/{sheet.pk}/"))
    assert 'id="components"' in detail and 'id="adjust-form"' in detail and 'id="decide-form"' not in detail
    c.post(f"/service/score-sheets/{sheet.pk}/adjust/", {"adjustment": "2", "comment": "主动加班"})
    c.post(f"/service/score-sheets/{sheet.pk}/submit/")
    sheet.refresh_from_db()
    assert sheet.state == ScoreSheet.State.SUBMITTED and str(sheet.adjustment) == "2.00"
    assert c.post(f"/service/score-sheets/{sheet.pk}/decide/", {"decision": "approve"}).status_code == 403
    m = login(manager)
    assert 'id="decide-form"' in html(m.get(f"/service/score-sheets/{sheet.pk}/"))
    m.post(f"/service/score-sheets/{sheet.pk}/decide/", {"decision": "reject", "reason": ""})
    sheet.refresh_from_db()
    assert sheet.state == ScoreSheet.State.SUBMITTED  # a reason is required to send it back
    m.post(f"/service/score-sheets/{sheet.pk}/decide/", {"decision": "approve"})
    sheet.refresh_from_db()
    assert sheet.state == ScoreSheet.State.APPROVED
    after = html(c.get(f"/service/score-sheets/{sheet.pk}/"))
    assert 'id="adjust-form"' not in after


def test_settings_page_saves_and_validates(supervisor):
    c = login(supervisor)
    page = html(c.get("/service/settings/"))
    assert 'name="q_forbidden_phrase"' in page and 'name="s_conversion"' in page
    data = {"chat_opens": "09:00", "chat_closes": "21:00", "slow_reply_seconds": "30", "payroll_day": "15",
            "q_forbidden_phrase": "10", "q_rude_word": "20", "q_personal_data": "30", "q_wo_over_nin": "5",
            "q_unanswered": "15", "q_slow_reply": "5", "q_no_farewell": "5", "s_quality": "40",
            "s_first_response": "20", "s_answered_30s": "10", "s_conversion": "30"}
    assert c.post("/service/settings/", data).status_code == 302
    settings = ServiceSettings.objects.get()
    assert settings.payroll_day == 15 and settings.slow_reply_seconds == 30
    refused = html(c.post("/service/settings/", {**data, "payroll_day": "31"}))
    assert "field-error" in refused
    zero = html(c.post("/service/settings/", {**data, "s_quality": "0", "s_first_response": "0",
                                              "s_answered_30s": "0", "s_conversion": "0"}))
    assert "form-errors" in zero


# --- home tiles and the demo ----------------------------------------------------------------------------------------


@pytest.fixture
def team_tiles():
    """The tiles registered as ServiceConfig.ready() does, removed afterwards if this test added them."""
    from shopdesk.service import workbench_team
    from shopdesk.web.workbench import TILES

    before = list(TILES)
    workbench_team.register_tiles()
    workbench_team.register_tiles()  # twice is once
    yield
    TILES[:] = before


def _tile(page: str, key: str) -> int:
    part = page.split(f'data-tile="{key}"')[1]
    return int(part.split('class="tile-count">')[1].split("<")[0])


def test_home_tiles_for_the_supervisor_and_the_manager(team_tiles, day_of_chats, supervisor, agent, manager):
    services_team.build_scoresheet(actor=supervisor, agent=agent, month=date(2026, 10, 1))
    home = html(login(supervisor).get("/"))
    assert _tile(home, "service_team_quality") == 1  # the day with the absolute promise, under 80, not reviewed
    assert _tile(home, "service_team_sheets") == 1
    assert _tile(home, "service_team_roster") == 7  # nobody on the roster this week
    assert home.count('data-tile="service_team_') == 3
    sheet = ScoreSheet.objects.get()
    services_team.submit_scoresheet(actor=supervisor, sheet=sheet)
    boss = html(login(manager).get("/"))
    assert _tile(boss, "service_team_approve") == 1 and 'data-tile="service_team_quality"' not in boss
    assert 'data-tile="service_team_' not in html(login(agent).get("/"))


def test_score_sheet_tile_reminds_of_unbuilt_sheets_a_week_before_due(team_tiles, supervisor, agent,
                                                                      aftersales_agent):
    from shopdesk.service import selectors_team

    assert selectors_team.sheets_to_submit(date(2026, 11, 1)) == 0  # October's sheets are due on 11-09
    assert selectors_team.sheets_to_submit(date(2026, 11, 2)) == 2  # a week before: both agents' sheets missing
    services_team.build_scoresheets(actor=supervisor, month=date(2026, 10, 1))
    assert selectors_team.sheets_to_submit(date(2026, 11, 2)) == 2  # built, still to submit
    for sheet in ScoreSheet.objects.all():
        services_team.submit_scoresheet(actor=supervisor, sheet=sheet)
    assert selectors_team.sheets_to_submit(date(2026, 11, 2)) == 0


def test_team_demo_makes_a_roster_with_one_gap_and_sheets(make_user, shop):
    from shopdesk.service import selectors_team
    from shopdesk.service.demo_team import load_team_demo

    for username, role in (("chenjing", "cs_presales"), ("hemei", "cs_presales"), ("yangli", "cs_aftersales"),
                           ("zhaomin", "cs_supervisor"), ("zhangwei", "manager")):
        make_user(role, username=username, shops=[shop])
    assert load_team_demo() is True
    week = selectors_team.roster_week(clock.today())
    assert [(c.day, [g[0].strftime("%H:%M") for g in c.gaps]) for c in week.coverage if c.gaps] == [
        (date(2026, 11, 25), ["17:30"])]
    assert {s.agent.username: s.state for s in ScoreSheet.objects.select_related("agent")} == {
        "chenjing": "submitted", "hemei": "draft", "yangli": "approved"}
    assert load_team_demo() is False
