"""The supervisor's API under /api/v1/service/: KPIs, quality scores and reviews, shifts, roster and coverage, score
sheets with their steps; permissions, shop scoping and the error body."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from shopdesk.core import clock
from shopdesk.service.models import QualityScore, RosterEntry, ScoreSheet, Shift
from shopdesk.staff import services as staff_services

D = datetime
API = "/api/v1/service"


@pytest.fixture(autouse=True)
def on_tuesday():
    with clock.freeze(D(2026, 11, 24, 10, 0)):
        yield


def api(user) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {staff_services.issue_api_token(actor=None, user=user)}")
    return c


@pytest.fixture
def monday(chat, make_order, cn_time):
    with clock.freeze(D(2026, 11, 23, 8, 0)):
        make_order(buyer="good", ordered_at=cn_time(2026, 11, 23, 9, 30), paid_after=timedelta(minutes=1),
                   paid_amount="128.00", lines=(("CH-0001", 1, "128.00"),))
    chat([("buyer", "有M码吗", D(2026, 11, 23, 9, 0)), ("agent", "有的，感谢您的光临", D(2026, 11, 23, 9, 0, 12)),
          ("close", "", D(2026, 11, 23, 9, 5))], buyer="good")
    chat([("buyer", "是正品吗", D(2026, 11, 23, 10, 0)),
          ("agent", "绝对正品，打13912345678问", D(2026, 11, 23, 10, 1, 30)),
          ("buyer", "那能便宜吗", D(2026, 11, 23, 10, 2)), ("close", "", D(2026, 11, 23, 10, 5))], buyer="bad")


def test_kpis(monday, supervisor, agent, shop, django_assert_max_num_queries):
    c = api(supervisor)
    with django_assert_max_num_queries(15):
        r = c.get(f"{API}/kpis/", {"start": "2026-11-23", "end": "2026-11-24", "period": "day"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert "24 hours" in body["conversion_rule"]
    row = body["agents"][0]
    assert row["id"] == agent.pk and row["period"] == "2026-11-23"
    m = row["measures"]
    assert m["inquiries"] == 2 and m["converted"] == 1 and m["conversion"] == 0.5
    assert m["first_response_seconds"] == 51.0 and m["sales"] == "128.00"
    assert body["total"]["inquiries"] == 2 and body["shops"][0]["name"] == shop.name
    only = c.get(f"{API}/kpis/", {"start": "2026-11-23", "agent": agent.username, "period": "month"}).json()
    assert only["agents"][0]["period"] == "2026-11-01"


def test_kpi_errors_use_the_error_body(supervisor, agent, other_shop):
    c = api(supervisor)
    r = c.get(f"{API}/kpis/", {"start": "2026-11-24", "end": "2026-11-01"})
    assert r.status_code == 400 and "end" in r.json()["error"]["fields"]
    r = c.get(f"{API}/kpis/", {"shop": other_shop.code})
    assert r.status_code == 400 and "shop" in r.json()["error"]["fields"]
    assert api(agent).get(f"{API}/kpis/").status_code == 403


def test_quality_scores_lowest_first_detail_and_review(monday, supervisor, agent):
    c = api(supervisor)
    body = c.get(f"{API}/quality-scores/").json()
    scores = [r["score"] for r in body["results"]]
    assert len(scores) == 2 and scores == sorted(scores)
    worst = body["results"][0]
    assert {f["rule"] for f in worst["findings"]} >= {"forbidden_phrase", "personal_data", "unanswered"}
    detail = c.get(f"{API}/quality-scores/{worst['id']}/").json()
    assert [m["direction"] for m in detail["messages"]] == ["buyer", "agent", "buyer"]
    r = c.post(f"{API}/quality-scores/{worst['id']}/review/", {"manual_score": 30}, format="json")
    assert r.status_code == 400 and "comment" in r.json()["error"]["fields"]
    r = c.post(f"{API}/quality-scores/{worst['id']}/review/", {"manual_score": 30, "comment": "严重"}, format="json")
    assert r.status_code == 200 and r.json()["score"] == 30 and r.json()["reviewed_by"] == supervisor.username
    assert c.get(f"{API}/quality-scores/", {"reviewed": "false"}).json()["count"] == 1
    assert api(agent).get(f"{API}/quality-scores/").status_code == 403


def test_quality_messages_masked_without_the_permission(monday, make_user, shop):
    manager_like = make_user("operations", shops=[shop])  # no inspect permission at all
    assert api(manager_like).get(f"{API}/quality-scores/").status_code == 403
    score = QualityScore.objects.order_by("auto_score").first()
    from shopdesk.service import api_team

    serializer = api_team.QualityScoreDetailSerializer(score, context={"unmask": False})
    texts = " ".join(m["text"] for m in serializer.data["messages"])
    assert "139****5678" in texts and "13912345678" not in texts


def test_quality_of_another_shop_is_404_and_inspect(monday, make_user, other_shop, supervisor):
    outsider = make_user("cs_supervisor", shops=[other_shop])
    score = QualityScore.objects.first()
    assert api(outsider).get(f"{API}/quality-scores/{score.pk}/").status_code == 404
    QualityScore.objects.all().delete()
    r = api(supervisor).post(f"{API}/quality-scores/inspect/", {"day": "2026-11-23"}, format="json")
    assert r.status_code == 200 and r.json() == {"day": "2026-11-23", "scored": 2}
    r = api(supervisor).post(f"{API}/quality-scores/inspect/", {"day": "2026-12-01"}, format="json")
    assert r.status_code == 400 and "day" in r.json()["error"]["fields"]


def test_roster_entries_and_coverage(supervisor, agent, aftersales_agent, make_user):
    day, night = Shift.objects.get(name="白班"), Shift.objects.get(name="晚班")
    c = api(supervisor)
    r = c.post(f"{API}/roster/", {"day": "2026-11-23", "shift": night.pk, "agent": aftersales_agent.username},
               format="json")
    assert r.status_code == 201 and r.json()["shift_name"] == "晚班"
    r = c.post(f"{API}/roster/", {"day": "2026-11-24", "shift": day.pk, "agent": agent.username}, format="json")
    assert r.status_code == 201
    again = c.post(f"{API}/roster/", {"day": "2026-11-24", "shift": day.pk, "agent": agent.username}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    keeper = make_user("warehouse")
    r = c.post(f"{API}/roster/", {"day": "2026-11-24", "shift": day.pk, "agent": keeper.username}, format="json")
    assert r.status_code == 400 and "agent" in r.json()["error"]["fields"]
    listed = c.get(f"{API}/roster/", {"start": "2026-11-23", "end": "2026-11-29"}).json()
    assert [(e["day"], e["agent"]) for e in listed] == [("2026-11-23", aftersales_agent.username),
                                                        ("2026-11-24", agent.username)]
    cov = c.get(f"{API}/roster/coverage/", {"week": "2026-11-25"}).json()
    days = {d["day"]: d for d in cov["days"]}
    assert days["2026-11-23"]["gaps"] == [{"start": "2026-11-23T09:30", "end": "2026-11-23T17:00"}]
    assert days["2026-11-24"]["gaps"] == [{"start": "2026-11-24T17:30", "end": "2026-11-24T18:30"}]
    assert days["2026-11-25"]["covered"] is False and days["2026-11-25"]["gap_minutes"] == 540
    assert [e["agent"] for e in cov["on_duty"]] == [agent.username]
    entry = RosterEntry.objects.get(agent=agent)
    assert api(agent).delete(f"{API}/roster/{entry.pk}/").status_code == 403
    assert api(agent).get(f"{API}/roster/coverage/").status_code == 200  # every CS post sees the roster
    assert c.delete(f"{API}/roster/{entry.pk}/").status_code == 204
    assert not RosterEntry.objects.filter(pk=entry.pk).exists()


def test_shifts(supervisor, agent):
    c = api(supervisor)
    shifts = c.get(f"{API}/shifts/").json()
    assert [(s["name"], s["start"], s["end"], s["crosses_midnight"]) for s in shifts] == [
        ("白班", "08:30", "17:30", False), ("晚班", "17:00", "01:00", True)]
    night = shifts[1]["id"]
    r = c.put(f"{API}/shifts/{night}/", {"name": "晚班", "start": "17:30", "end": "01:30"}, format="json")
    assert r.status_code == 200 and r.json()["start"] == "17:30"
    assert api(agent).put(f"{API}/shifts/{night}/", {"name": "晚班", "start": "17:30", "end": "01:30"},
                          format="json").status_code == 403


def test_score_sheet_steps_and_authority(monday, supervisor, agent, manager):
    c = api(supervisor)
    built = c.post(f"{API}/score-sheets/build/", {"month": "2026-11"}, format="json")
    assert built.status_code == 200
    mine = next(s for s in built.json() if s["agent"] == agent.username)
    assert mine["state"] == "draft" and mine["due_on"] == "2026-12-09" and mine["overdue"] is False
    detail = c.get(f"{API}/score-sheets/{mine['id']}/").json()
    assert {p["key"] for p in detail["measures"]["components"]} == {"quality", "first_response", "answered_30s",
                                                                   "conversion"}
    r = c.post(f"{API}/score-sheets/{mine['id']}/adjust/", {"adjustment": "5"}, format="json")
    assert r.status_code == 400 and "comment" in r.json()["error"]["fields"]
    r = c.post(f"{API}/score-sheets/{mine['id']}/adjust/", {"adjustment": "5", "comment": "带新人"}, format="json")
    assert r.status_code == 200 and r.json()["adjustment"] == "5.00"
    assert c.post(f"{API}/score-sheets/{mine['id']}/submit/").json()["state"] == "submitted"
    assert api(agent).post(f"{API}/score-sheets/{mine['id']}/approve/").status_code == 403
    assert c.post(f"{API}/score-sheets/{mine['id']}/approve/").status_code == 403  # the supervisor cannot approve
    m = api(manager)
    r = m.post(f"{API}/score-sheets/{mine['id']}/reject/", {"reason": ""}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = m.post(f"{API}/score-sheets/{mine['id']}/approve/", {}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "approved" and r.json()["decided_by"] == "manager"
    r = c.post(f"{API}/score-sheets/{mine['id']}/rebuild/")
    assert r.status_code == 409
    listed = c.get(f"{API}/score-sheets/", {"month": "2026-11", "state": "approved"}).json()
    assert [s["id"] for s in listed["results"]] == [mine["id"]]
    assert api(agent).get(f"{API}/score-sheets/").status_code == 403
    one = c.post(f"{API}/score-sheets/build/", {"month": "2026-10", "agent": agent.username}, format="json").json()
    assert len(one) == 1 and ScoreSheet.objects.filter(month=date(2026, 10, 1)).count() == 1
    bad = c.post(f"{API}/score-sheets/build/", {"month": "11/2026"}, format="json")
    assert bad.status_code == 400 and "month" in bad.json()["error"]["fields"]


def test_schema_lists_the_team_endpoints(supervisor):
    schema = api(supervisor).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/v1/service/kpis/", "/api/v1/service/quality-scores/{id}/review/",
                 "/api/v1/service/roster/coverage/", "/api/v1/service/score-sheets/{id}/approve/"):
        assert path in paths, path
