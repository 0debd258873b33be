"""The duty roster: shift arithmetic (the night shift crossing midnight), coverage gaps of the chat hours, who is on
duty now, and the roster services with their checks."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.service import roster, selectors_team, services_team
from shopdesk.service.models import RosterEntry, Shift

MON, TUE, WED = date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)
DAY = (time(8, 30), time(17, 30))
NIGHT = (time(17, 0), time(1, 0))
OPENS, CLOSES = time(9, 30), time(18, 30)


def duty(day, shift, agent=1):
    return roster.Duty(day=day, start=shift[0], end=shift[1], agent_id=agent)


def hm(interval):
    return (interval[0].strftime("%d %H:%M"), interval[1].strftime("%d %H:%M"))


def test_a_night_shift_ends_the_next_morning():
    begin, end = roster.span(MON, *NIGHT)
    assert (begin, end) == (datetime(2026, 11, 23, 17, 0), datetime(2026, 11, 24, 1, 0))
    assert roster.crosses_midnight(*NIGHT) and not roster.crosses_midnight(*DAY)


def test_day_and_night_shift_cover_the_chat_hours():
    cov = roster.coverage(MON, OPENS, CLOSES, [duty(MON, DAY), duty(MON, NIGHT, 2)])
    assert cov.ok and cov.gaps == []
    assert [hm(c) for c in cov.covered] == [("23 09:30", "23 18:30")]


def test_only_the_day_shift_leaves_the_evening_uncovered():
    cov = roster.coverage(MON, OPENS, CLOSES, [duty(MON, DAY)])
    assert [hm(g) for g in cov.gaps] == [("23 17:30", "23 18:30")] and cov.gap_minutes == 60


def test_nobody_on_duty_is_one_gap_of_the_whole_hours():
    cov = roster.coverage(MON, OPENS, CLOSES, [duty(TUE, DAY)])
    assert [hm(g) for g in cov.gaps] == [("23 09:30", "23 18:30")]


def test_yesterdays_night_shift_covers_chat_hours_past_midnight():
    """Chat hours 20:00-02:00 (closing after midnight): Monday's night shift covers Monday 20:00 to Tuesday 01:00;
    Tuesday 01:00-02:00 is a gap; on Tuesday the same hours need Tuesday's own shifts."""
    cov = roster.coverage(MON, time(20, 0), time(2, 0), [duty(MON, NIGHT)])
    assert [hm(g) for g in cov.gaps] == [("24 01:00", "24 02:00")]
    tuesday = roster.coverage(TUE, time(0, 0), time(3, 0), [duty(MON, NIGHT)])
    assert [hm(g) for g in tuesday.gaps] == [("24 01:00", "24 03:00")]  # 00:00-01:00 covered by Monday's night


def test_overlapping_shifts_and_a_gap_in_the_middle():
    morning = (time(9, 0), time(12, 0))
    late = (time(11, 0), time(13, 0))
    evening = (time(14, 0), time(20, 0))
    cov = roster.coverage(MON, OPENS, CLOSES, [duty(MON, morning), duty(MON, late, 2), duty(MON, evening, 3)])
    assert [hm(g) for g in cov.gaps] == [("23 13:00", "23 14:00")]


def test_on_duty_after_midnight_is_yesterdays_night_shift():
    duties = [duty(MON, DAY, 1), duty(MON, NIGHT, 2), duty(TUE, DAY, 3)]
    assert [d.agent_id for d in roster.on_duty(datetime(2026, 11, 24, 0, 30), duties)] == [2]
    assert [d.agent_id for d in roster.on_duty(datetime(2026, 11, 23, 17, 15), duties)] == [1, 2]  # the overlap
    assert roster.on_duty(datetime(2026, 11, 24, 1, 0), duties) == []  # ended at 01:00
    assert roster.week_of(WED)[0] == MON and len(roster.week_of(WED)) == 7


# --- with the database ----------------------------------------------------------------------------------------------


@pytest.fixture
def shifts(db):
    return Shift.objects.get(name="白班"), Shift.objects.get(name="晚班")


def test_migration_made_the_default_shifts_and_settings(shifts):
    day, night = shifts
    assert (day.start, day.end) == DAY and (night.start, night.end) == NIGHT
    settings = selectors_team.service_settings()
    assert settings.pk and (settings.chat_opens, settings.chat_closes) == (OPENS, CLOSES)


def test_supervisor_builds_a_week_with_a_gap(shifts, supervisor, agent, aftersales_agent):
    day, night = shifts
    for d in (MON, TUE):
        services_team.add_roster_entry(actor=supervisor, day=d, shift=day, agent=agent)
        services_team.add_roster_entry(actor=supervisor, day=d, shift=night, agent=aftersales_agent)
    services_team.add_roster_entry(actor=supervisor, day=WED, shift=day, agent=agent)
    week = selectors_team.roster_week(WED, now=clock.now())
    gaps = {c.day: [hm(g) for g in c.gaps] for c in week.coverage}
    assert gaps[MON] == [] and gaps[TUE] == []
    assert gaps[WED] == [("25 17:30", "25 18:30")]  # nobody on the night shift
    assert gaps[date(2026, 11, 26)] == [("26 09:30", "26 18:30")]
    assert week.gap_days == 5  # Wednesday to Sunday
    assert [e.agent for e in week.cells[(MON, day.pk)]] == [agent]
    assert AuditEvent.objects.filter(action="service.roster_added").count() == 5


def test_on_duty_now_counts_last_nights_shift(shifts, supervisor, agent, aftersales_agent):
    day, night = shifts
    services_team.add_roster_entry(actor=supervisor, day=MON, shift=night, agent=aftersales_agent)
    services_team.add_roster_entry(actor=supervisor, day=TUE, shift=day, agent=agent)
    with clock.freeze(datetime(2026, 11, 24, 0, 30)):
        assert [e.agent for e in selectors_team.on_duty_now()] == [aftersales_agent]
        assert [e.agent for e in selectors_team.roster_week(TUE).on_duty] == [aftersales_agent]
    with clock.freeze(datetime(2026, 11, 24, 10, 0)):
        assert [e.agent for e in selectors_team.on_duty_now()] == [agent]


def test_only_cs_people_with_a_shop_go_on_the_roster(shifts, supervisor, make_user, shop):
    day, _night = shifts
    keeper = make_user("warehouse", shops=[shop])
    with pytest.raises(ServiceError) as refused:
        services_team.add_roster_entry(actor=supervisor, day=MON, shift=day, agent=keeper)
    assert "agent" in refused.value.fields
    shopless = make_user("cs_presales")
    with pytest.raises(ServiceError):
        services_team.add_roster_entry(actor=supervisor, day=MON, shift=day, agent=shopless)
    assert not RosterEntry.objects.exists()


def test_roster_changes_are_the_supervisors(shifts, supervisor, agent):
    day, _night = shifts
    with pytest.raises(NotAllowed):
        services_team.add_roster_entry(actor=agent, day=MON, shift=day, agent=agent)
    entry = services_team.add_roster_entry(actor=supervisor, day=MON, shift=day, agent=agent)
    with pytest.raises(Conflict):
        services_team.add_roster_entry(actor=supervisor, day=MON, shift=day, agent=agent)
    with pytest.raises(NotAllowed):
        services_team.remove_roster_entry(actor=agent, entry=entry)
    services_team.remove_roster_entry(actor=supervisor, entry=entry)
    assert not RosterEntry.objects.exists()
    assert AuditEvent.objects.filter(action="service.roster_removed").exists()


def test_shift_times_can_change(shifts, supervisor, agent):
    day, night = shifts
    services_team.update_shift(actor=supervisor, shift=night, name="晚班", start=time(18, 0), end=time(2, 0))
    night.refresh_from_db()
    assert (night.start, night.end) == (time(18, 0), time(2, 0))
    with pytest.raises(ServiceError):
        services_team.update_shift(actor=supervisor, shift=night, name="晚班", start=time(18, 0), end=time(18, 0))
    with pytest.raises(Conflict):
        services_team.update_shift(actor=supervisor, shift=night, name="白班", start=time(18, 0), end=time(2, 0))
    with pytest.raises(NotAllowed):
        services_team.update_shift(actor=agent, shift=day, name="白班", start=time(9, 0), end=time(18, 0))
    assert AuditEvent.objects.filter(action="service.shift_changed").count() == 1
