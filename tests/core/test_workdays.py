"""Tests for shopdesk.core.workdays, using the real 2026 State Council schedule.

The 2026 facts below were read from chinese_calendar (chinesecalendar 1.11.0):

* holidays: 01-01..03 元旦, 02-15..23 春节, 04-04..06 清明, 05-01..05 劳动节,
  06-19..21 端午, 09-25..27 中秋, 10-01..07 国庆;
* adjusted working days on weekends (调休): 01-04 (Sun), 02-14 (Sat), 02-28 (Sat),
  05-09 (Sat), 09-20 (Sun), 10-10 (Sat).
"""

import logging
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.core import workdays
from shopdesk.core.workdays import (
    add_working_days,
    deadline_after_hours,
    is_working_day,
    next_working_day,
    previous_working_day,
    roll_sunday_to_monday,
    working_days_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")

NATIONAL_DAY_2026 = [date(2026, 10, d) for d in range(1, 8)]
SPRING_FESTIVAL_2026 = [date(2026, 2, d) for d in range(15, 24)]
ADJUSTED_WORKDAYS_2026 = [
    date(2026, 1, 4),
    date(2026, 2, 14),
    date(2026, 2, 28),
    date(2026, 5, 9),
    date(2026, 9, 20),
    date(2026, 10, 10),
]
# Early enough for 40 working days to stay inside 2026 (the library has data for it).
days_2026 = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 10, 31))


# -- the calendar itself -----------------------------------------------------------------


@pytest.mark.parametrize("day", NATIONAL_DAY_2026)
def test_national_day_2026_is_a_holiday(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026)
def test_spring_festival_2026_is_a_holiday(day):
    assert not is_working_day(day)


@pytest.mark.parametrize("day", ADJUSTED_WORKDAYS_2026)
def test_adjusted_weekend_workdays_2026_are_working_days(day):
    assert day.weekday() >= 5  # really a weekend day
    assert is_working_day(day)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 6), True),  # ordinary Friday
        (date(2026, 3, 7), False),  # ordinary Saturday
        (date(2026, 3, 8), False),  # ordinary Sunday
        (date(2026, 3, 9), True),  # ordinary Monday
        (date(2026, 10, 8), True),  # first day back after National Day
        (date(2026, 10, 11), False),  # Sunday after the 调休 Saturday
        (date(2026, 1, 1), False),  # 元旦 (Thursday)
        (date(2026, 6, 19), False),  # 端午 (Friday)
    ],
)
def test_ordinary_days_2026(day, working):
    assert is_working_day(day) is working


def test_whole_2026_agrees_with_chinese_calendar():
    day = date(2026, 1, 1)
    mismatches = []
    while day.year == 2026:
        if is_working_day(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


def test_datetime_is_refused():
    with pytest.raises(TypeError, match="date"):
        is_working_day(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    with pytest.raises(TypeError):
        is_working_day("2026-10-01")


# -- fallback for years without data -------------------------------------------------------


def test_year_without_data_falls_back_to_monday_to_friday(caplog, monkeypatch):
    monkeypatch.setattr(workdays, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="shopdesk.core.workdays")
    # chinese_calendar has no data before 2004; 2003-10-01 was really a holiday.
    assert is_working_day(date(2003, 10, 1)) is True  # Wednesday
    assert is_working_day(date(2003, 10, 4)) is False  # Saturday
    assert "2003" in caplog.text
    assert "Monday-Friday" in caplog.text


def test_fallback_warns_once_per_year(caplog, monkeypatch):
    def no_data(day):
        raise NotImplementedError(f"no available data for year {day.year}")

    monkeypatch.setattr(chinese_calendar, "is_workday", no_data)
    monkeypatch.setattr(workdays, "_warned_years", set())
    caplog.set_level(logging.WARNING, logger="shopdesk.core.workdays")

    # Simulated missing data: National Day 2026 becomes plain weekdays.
    assert is_working_day(date(2026, 10, 1)) is True
    assert is_working_day(date(2026, 10, 10)) is False  # 调休 Saturday is not known
    assert next_working_day(date(2026, 10, 2)) == date(2026, 10, 5)
    assert is_working_day(date(2027, 1, 4)) is True

    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(messages) == 2
    assert "2026" in messages[0]
    assert "2027" in messages[1]


# -- navigation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 30), date(2026, 10, 8)),  # over National Day
        (date(2026, 10, 3), date(2026, 10, 8)),
        (date(2026, 10, 9), date(2026, 10, 10)),  # 调休 Saturday
        (date(2026, 10, 10), date(2026, 10, 12)),
        (date(2026, 3, 6), date(2026, 3, 9)),  # Friday -> Monday
        (date(2026, 2, 13), date(2026, 2, 14)),  # Friday -> 调休 Saturday
        (date(2026, 2, 14), date(2026, 2, 24)),  # over Spring Festival
    ],
)
def test_next_working_day(day, expected):
    assert next_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 8), date(2026, 9, 30)),
        (date(2026, 10, 12), date(2026, 10, 10)),
        (date(2026, 3, 9), date(2026, 3, 6)),
        (date(2026, 2, 24), date(2026, 2, 14)),
    ],
)
def test_previous_working_day(day, expected):
    assert previous_working_day(day) == expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 9), 0, date(2026, 3, 9)),  # working day: itself
        (date(2026, 10, 3), 0, date(2026, 10, 8)),  # holiday: next working day
        (date(2026, 3, 7), 0, date(2026, 3, 9)),  # Saturday: Monday
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday + 1 = Monday
        (date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday + 1 = Monday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # 10-08, 10-09, 10-10 (调休 Saturday)
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 3, 9), 5, date(2026, 3, 16)),
        (date(2026, 10, 8), -1, date(2026, 9, 30)),
        (date(2026, 10, 12), -2, date(2026, 10, 9)),
        (date(2026, 3, 7), -1, date(2026, 3, 6)),  # Saturday - 1 = Friday
    ],
)
def test_add_working_days(start, n, expected):
    assert add_working_days(start, n) == expected


def test_add_working_days_rejects_non_int():
    with pytest.raises(TypeError):
        add_working_days(date(2026, 3, 9), 1.5)
    with pytest.raises(TypeError):
        add_working_days(datetime(2026, 3, 9, tzinfo=UTC), 1)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (date(2026, 9, 30), date(2026, 10, 8), 1),
        (date(2026, 10, 7), date(2026, 10, 10), 3),
        (date(2026, 3, 6), date(2026, 3, 9), 1),  # (Fri, Mon] = Mon
        (date(2026, 3, 9), date(2026, 3, 9), 0),
        (date(2026, 3, 9), date(2026, 3, 6), 0),  # reversed: empty interval
        # (02-13, 02-28]: 02-14 (调休), 02-24..27, 02-28 (调休); 02-15..23 is Spring Festival
        (date(2026, 2, 13), date(2026, 2, 28), 6),
    ],
)
def test_working_days_between(a, b, expected):
    assert working_days_between(a, b) == expected


@given(days_2026, st.integers(min_value=1, max_value=40))
def test_add_then_count_round_trips(start, n):
    result = add_working_days(start, n)
    assert is_working_day(result)
    assert result > start
    assert working_days_between(start, result) == n


@given(days_2026, st.integers(min_value=0, max_value=40))
def test_backwards_then_forwards_from_a_working_day(start, n):
    start = add_working_days(start, 0)  # move onto a working day
    assert add_working_days(add_working_days(start, -n), n) == start


# -- rule 004:88: 24小时内,通知财务记帐(周天顺延) ---------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 8), date(2026, 3, 9)),  # Sunday -> Monday
        (date(2026, 3, 7), date(2026, 3, 7)),  # Saturday unchanged
        (date(2026, 3, 9), date(2026, 3, 9)),  # Monday unchanged
        (date(2026, 10, 1), date(2026, 10, 1)),  # holiday (Thursday) unchanged: plain weekdays only
        (date(2026, 10, 4), date(2026, 10, 5)),  # Sunday inside a holiday still just moves one day
        (date(2026, 1, 4), date(2026, 1, 5)),  # 调休 working Sunday still rolls (documented rule)
    ],
)
def test_roll_sunday_to_monday(day, expected):
    assert roll_sunday_to_monday(day) == expected


def test_roll_sunday_to_monday_keeps_time_of_datetimes():
    sunday_evening = datetime(2026, 3, 8, 18, 30, tzinfo=SHANGHAI)
    assert roll_sunday_to_monday(sunday_evening) == datetime(2026, 3, 9, 18, 30, tzinfo=SHANGHAI)


def test_deadline_on_a_weekday_is_start_plus_hours():
    start = datetime(2026, 3, 4, 15, 20, tzinfo=SHANGHAI)  # Wednesday
    deadline = deadline_after_hours(start, 24)
    assert deadline == datetime(2026, 3, 5, 15, 20, tzinfo=SHANGHAI)
    assert deadline.utcoffset() == timedelta(hours=8)


def test_deadline_falling_on_sunday_moves_to_monday_same_local_time():
    start = datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI)  # Saturday
    assert deadline_after_hours(start, 24) == datetime(2026, 3, 9, 10, 0, tzinfo=SHANGHAI)
    assert deadline_after_hours(start, 24, roll_sunday=False) == datetime(2026, 3, 8, 10, 0, tzinfo=SHANGHAI)


def test_deadline_falling_on_saturday_is_unchanged():
    start = datetime(2026, 3, 6, 10, 0, tzinfo=SHANGHAI)  # Friday
    assert deadline_after_hours(start, 24) == datetime(2026, 3, 7, 10, 0, tzinfo=SHANGHAI)


def test_deadline_uses_the_shanghai_date_not_the_utc_date():
    # Saturday 20:00 UTC is Sunday 04:00 in Shanghai -> Monday 04:00 Shanghai.
    start = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)
    assert deadline_after_hours(start, 0) == datetime(2026, 3, 9, 4, 0, tzinfo=SHANGHAI)
    # Sunday 17:00 UTC is already Monday 01:00 in Shanghai -> no roll.
    start = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    assert deadline_after_hours(start, 0) == datetime(2026, 3, 9, 1, 0, tzinfo=SHANGHAI)


def test_deadline_ignores_holidays():
    start = datetime(2026, 9, 30, 12, 0, tzinfo=SHANGHAI)
    assert deadline_after_hours(start, 24) == datetime(2026, 10, 1, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "hours", "error"),
    [
        (datetime(2026, 3, 7, 10, 0), 24, ValueError),  # naive
        (date(2026, 3, 7), 24, TypeError),
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), -1, ValueError),
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), 1.5, TypeError),
    ],
)
def test_deadline_rejects_bad_arguments(start, hours, error):
    with pytest.raises(error):
        deadline_after_hours(start, hours)
