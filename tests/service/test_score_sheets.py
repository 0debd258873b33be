"""The monthly reward/penalty score sheet (003:552): built from the KPIs and quality scores with the configured
weights, adjusted by the supervisor, submitted, approved or sent back by the manager; who may do what."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.service import selectors_team, services_team
from shopdesk.service.models import ScoreSheet, ServiceSettings

OCT = date(2026, 10, 1)
D = datetime


@pytest.fixture(autouse=True)
def in_november():
    with clock.freeze(D(2026, 11, 5, 10, 0)):
        yield


@pytest.fixture
def october(chat, agent, make_order, cn_time):
    """小美's October: one inquiry answered in 20 s, closed with a farewell (quality 100), paid within 24 h."""
    chat([("buyer", "有现货吗", D(2026, 10, 12, 9, 0, 0)),
          ("agent", "有的，您放心，感谢您的光临", D(2026, 10, 12, 9, 0, 20)),
          ("close", "", D(2026, 10, 12, 9, 5))], buyer="b1")
    make_order(buyer="b1", ordered_at=cn_time(2026, 10, 12, 10, 0), paid_after=timedelta(minutes=1),
               paid_amount="88.00", lines=(("CH-0001", 1, "88.00"),))


def test_due_on_is_the_day_before_payroll():
    assert selectors_team.due_on(OCT, 10) == date(2026, 11, 9)
    assert selectors_team.due_on(date(2026, 12, 1), 1) == date(2026, 12, 31)  # payroll on Jan 1st
    assert selectors_team.due_on(date(2027, 1, 1), 28) == date(2027, 2, 27)


def test_the_sheet_is_built_from_kpis_and_quality(october, supervisor, agent):
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=date(2026, 10, 20))
    assert sheet.month == OCT and sheet.state == ScoreSheet.State.DRAFT and sheet.due_on == date(2026, 11, 9)
    k = sheet.measures["kpis"]
    assert k["inquiries"] == 1 and k["converted"] == 1 and k["first_response_seconds"] == 20.0
    assert k["quality_average"] == 100.0 and k["quality_scored"] == 1 and k["sales"] == "88.00"
    parts = {p["key"]: p for p in sheet.measures["components"]}
    assert parts["quality"]["score"] == 100.0 and parts["conversion"]["score"] == 100.0
    assert parts["answered_30s"]["score"] == 100.0
    assert parts["first_response"]["score"] == 95.24  # (120 - 20) / (120 - 15) x 100
    # (40 x 100 + 20 x 95.24 + 10 x 100 + 30 x 100) / 100
    assert sheet.computed_score == Decimal("99.05") and sheet.total == Decimal("99.05")
    assert AuditEvent.objects.filter(action="service.scoresheet_built", object_id=str(sheet.pk)).exists()


def test_weights_come_from_the_settings(october, supervisor, agent):
    ServiceSettings.objects.update(score_weights={"quality": 0, "first_response": 1, "answered_30s": 0,
                                                  "conversion": 0})
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT)
    assert sheet.computed_score == Decimal("95.24")


def test_an_agent_without_data_gets_zero_and_every_part_left_out(supervisor, aftersales_agent):
    sheet = services_team.build_scoresheet(actor=supervisor, agent=aftersales_agent, month=OCT)
    assert sheet.computed_score == Decimal("0.00")
    assert not any(p["used"] for p in sheet.measures["components"])


def test_build_for_everyone_and_rebuild_keeps_the_adjustment(october, supervisor, agent, aftersales_agent):
    sheets = services_team.build_scoresheets(actor=supervisor, month=OCT)
    assert {s.agent for s in sheets} == {agent, aftersales_agent}  # every agent; the supervisor receives no buyer
    mine = ScoreSheet.objects.get(agent=agent)
    services_team.adjust_scoresheet(actor=supervisor, sheet=mine, adjustment="-5", comment="迟到两次")
    again = services_team.build_scoresheets(actor=supervisor, month=OCT)
    assert len(again) == 2 and ScoreSheet.objects.count() == 2
    mine.refresh_from_db()
    assert mine.adjustment == Decimal("-5.00") and mine.total == Decimal("94.05")


def test_the_whole_flow_and_who_may_approve(october, supervisor, agent, manager):
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT)
    with pytest.raises(ServiceError) as refused:
        services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment=3)
    assert "comment" in refused.value.fields
    services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment=Decimal("0.95"), comment="带新人")
    sheet = services_team.submit_scoresheet(actor=supervisor, sheet=sheet)
    assert sheet.state == ScoreSheet.State.SUBMITTED and sheet.submitted_by == supervisor
    with pytest.raises(Conflict):
        services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment=1, comment="x")
    with pytest.raises(NotAllowed):
        services_team.approve_scoresheet(actor=agent, sheet=sheet)  # an agent cannot approve
    with pytest.raises(NotAllowed):
        services_team.approve_scoresheet(actor=supervisor, sheet=sheet)  # neither can the supervisor
    sheet = services_team.approve_scoresheet(actor=manager, sheet=sheet)
    assert sheet.state == ScoreSheet.State.APPROVED and sheet.decided_by == manager
    assert sheet.total == Decimal("100.00")
    for attempt in (lambda: services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment=0),
                    lambda: services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT),
                    lambda: services_team.submit_scoresheet(actor=supervisor, sheet=sheet),
                    lambda: services_team.approve_scoresheet(actor=manager, sheet=sheet)):
        with pytest.raises(Conflict):
            attempt()  # approved: read-only
    actions = list(AuditEvent.objects.filter(object_id=str(sheet.pk), object_type="service.scoresheet")
                   .order_by("id").values_list("action", flat=True))
    assert actions == ["service.scoresheet_built", "service.scoresheet_adjusted", "service.scoresheet_submitted",
                       "service.scoresheet_approved"]


def test_sent_back_with_a_reason_then_fixed_and_resubmitted(october, supervisor, agent, manager):
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT)
    sheet = services_team.submit_scoresheet(actor=supervisor, sheet=sheet)
    with pytest.raises(ServiceError) as refused:
        services_team.reject_scoresheet(actor=manager, sheet=sheet, reason=" ")
    assert "reason" in refused.value.fields
    sheet = services_team.reject_scoresheet(actor=manager, sheet=sheet, reason="少算了一次投诉")
    assert sheet.state == ScoreSheet.State.REJECTED and sheet.decision_reason == "少算了一次投诉"
    sheet = services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment=-10, comment="投诉一次")
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT)  # a sent-back sheet rebuilds
    sheet = services_team.submit_scoresheet(actor=supervisor, sheet=sheet)
    assert services_team.approve_scoresheet(actor=manager, sheet=sheet).total == Decimal("89.05")


def test_nobody_handles_their_own_sheet(october, supervisor, manager, make_user, shop):
    own = services_team.build_scoresheet(actor=supervisor, agent=supervisor, month=OCT)
    with pytest.raises(Conflict):
        services_team.adjust_scoresheet(actor=supervisor, sheet=own, adjustment=10, comment="我很好")
    with pytest.raises(Conflict):
        services_team.submit_scoresheet(actor=supervisor, sheet=own)
    services_team.submit_scoresheet(actor=manager, sheet=own)  # the manager handles the supervisor's sheet
    with pytest.raises(Conflict):
        services_team.approve_scoresheet(actor=manager, sheet=own)  # but does not approve what they submitted
    other_manager = make_user("manager", shops=[shop])
    assert services_team.approve_scoresheet(actor=other_manager, sheet=own).state == ScoreSheet.State.APPROVED


def test_limits_of_the_adjustment_and_the_month(supervisor, agent):
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT)
    with pytest.raises(ServiceError) as refused:
        services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment=101, comment="x")
    assert "adjustment" in refused.value.fields
    with pytest.raises(ServiceError) as refused:
        services_team.adjust_scoresheet(actor=supervisor, sheet=sheet, adjustment="abc", comment="x")
    assert "adjustment" in refused.value.fields
    with pytest.raises(ServiceError) as refused:
        services_team.build_scoresheet(actor=supervisor, agent=agent, month=date(2026, 12, 1))
    assert "month" in refused.value.fields
    with pytest.raises(NotAllowed):
        services_team.build_scoresheet(actor=agent, agent=agent, month=OCT)


def test_overdue_is_shown_after_the_due_day(supervisor, agent, client):
    sheet = services_team.build_scoresheet(actor=supervisor, agent=agent, month=OCT)
    client.force_login(supervisor)
    with clock.freeze(D(2026, 11, 10, 9, 0)):
        page = client.get("/service/score-sheets/?month=2026-10")
    assert page.status_code == 200
    row = page.content.decode().split(f'id="sheet-{sheet.pk}"')[1].split("</tr>")[0]
    assert row.startswith(' class="row-alert"') and "2026-11-09" in row


def test_settings_are_validated(supervisor, agent):
    good = {"chat_opens": datetime(2026, 1, 1, 9, 0).time(), "chat_closes": datetime(2026, 1, 1, 21, 0).time(),
            "slow_reply_seconds": 45, "payroll_day": 15,
            "quality_weights": {"forbidden_phrase": 10, "rude_word": 20, "personal_data": 30, "wo_over_nin": 5,
                                "unanswered": 15, "slow_reply": 5, "no_farewell": 5},
            "score_weights": {"quality": 50, "first_response": 20, "answered_30s": 10, "conversion": 20}}
    saved = services_team.update_service_settings(actor=supervisor, **good)
    assert saved.payroll_day == 15 and selectors_team.service_settings().slow_reply_seconds == 45
    assert AuditEvent.objects.filter(action="service.settings_changed").exists()
    for field, bad in (("payroll_day", 31), ("slow_reply_seconds", 2), ("chat_closes", good["chat_opens"]),
                       ("quality_weights", {"rude_word": 5}),
                       ("score_weights", dict.fromkeys(good["score_weights"], 0)),
                       ("score_weights", {**good["score_weights"], "quality": 101})):
        with pytest.raises(ServiceError) as refused:
            services_team.update_service_settings(actor=supervisor, **{**good, field: bad})
        assert field in refused.value.fields, field
    with pytest.raises(NotAllowed):
        services_team.update_service_settings(actor=agent, **good)
