"""The Chinese working-day calendar (工作日历) used for SLA deadlines.

Working days follow the official State Council schedule as published in the
``chinese_calendar`` package (PyPI: ``chinesecalendar``): statutory holidays (法定节假日,
e.g. 国庆节 2026-10-01..07) are days off, and adjusted working days (调休补班, e.g. the
Saturday 2026-10-10) are working days although they fall on a weekend.

Fallback: ``chinese_calendar`` only knows the years for which the schedule has been
published (it raises ``NotImplementedError`` for other years, e.g. before 2004 or the
year after the newest release). For such years this module falls back to plain
Monday-Friday, which ignores that year's holidays and 调休, and logs a warning at most once
per year per process. Keep the ``chinesecalendar`` dependency up to date every December
when the next year's schedule is announced.

Two rules here are deliberately *not* holiday-aware, because the written procedure says so:
:func:`roll_sunday_to_monday` and :func:`deadline_after_hours` implement rule 004:88
"24小时内,通知财务记帐(周天顺延)", where only a Sunday moves to the Monday, by plain
weekday arithmetic.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime, timedelta

import chinese_calendar
from django.utils import timezone

__all__ = [
    "add_working_days",
    "deadline_after_hours",
    "is_working_day",
    "next_working_day",
    "previous_working_day",
    "roll_sunday_to_monday",
    "working_days_between",
]

logger = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)
_SUNDAY = 6  # date.weekday(): Monday == 0 ... Sunday == 6

_warned_years: set[int] = set()
_warned_lock = threading.Lock()


def _check_date(d: object, name: str = "d") -> date:
    # datetime is a subclass of date; refuse it so nobody silently uses a UTC date.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(
            f"{name} must be a datetime.date (use clock.today() or timezone.localdate() for the local date), "
            f"got {type(d).__name__} {d!r}"
        )
    return d


def _warn_no_data(year: int) -> None:
    with _warned_lock:
        if year in _warned_years:
            return
        _warned_years.add(year)
    logger.warning(
        "chinese_calendar has no holiday data for %s; treating Monday-Friday as working days "
        "(statutory holidays and 调休 of that year are ignored) - upgrade chinesecalendar",
        year,
    )


def is_working_day(d: date) -> bool:
    """Return True if ``d`` is a working day (工作日) in mainland China.

    Uses the official schedule (holidays off, 调休 weekend days on); falls back to
    Monday-Friday for years ``chinese_calendar`` has no data for (see the module docstring).
    """
    d = _check_date(d)
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError:
        _warn_no_data(d.year)
        return d.weekday() < 5


def next_working_day(d: date) -> date:
    """Return the first working day strictly after ``d``."""
    d = _check_date(d) + _ONE_DAY
    while not is_working_day(d):
        d += _ONE_DAY
    return d


def previous_working_day(d: date) -> date:
    """Return the last working day strictly before ``d``."""
    d = _check_date(d) - _ONE_DAY
    while not is_working_day(d):
        d -= _ONE_DAY
    return d


def add_working_days(start: date, n: int) -> date:
    """Return the date ``n`` working days after ``start`` (before it when ``n`` is negative).

    * ``n == 0``: ``start`` itself if it is a working day, else the next working day.
    * ``n > 0``: the n-th working day strictly after ``start``; the result is a working day
      and ``working_days_between(start, result) == n``. A Friday plus 1 is the Monday, and
      the day before a holiday plus 1 is the first day after it (2026-09-30 + 1 = 2026-10-08).
    * ``n < 0``: the |n|-th working day strictly before ``start``.
    """
    start = _check_date(start, "start")
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__} {n!r}")
    if n == 0:
        return start if is_working_day(start) else next_working_day(start)
    step = next_working_day if n > 0 else previous_working_day
    d = start
    for _ in range(abs(n)):
        d = step(d)
    return d


def working_days_between(a: date, b: date) -> int:
    """Count the working days in the half-open interval (a, b]: after ``a``, up to and including ``b``.

    Returns 0 when ``b <= a``. ``working_days_between(friday, next_monday) == 1``.
    """
    a = _check_date(a, "a")
    b = _check_date(b, "b")
    count = 0
    d = a + _ONE_DAY
    while d <= b:
        if is_working_day(d):
            count += 1
        d += _ONE_DAY
    return count


def roll_sunday_to_monday(d: date) -> date:
    """Move a deadline that falls on a Sunday to the Monday (周天顺延, rule 004:88).

    Any other day, including Saturdays and public holidays, is returned unchanged: the rule
    is plain weekday arithmetic, not the holiday calendar. A datetime is accepted too and
    keeps its time of day; its weekday is taken in its own ``tzinfo`` (convert to local
    time first, as :func:`deadline_after_hours` does).
    """
    if not isinstance(d, date):
        raise TypeError(f"expected a date or datetime, got {type(d).__name__} {d!r}")
    return d + _ONE_DAY if d.weekday() == _SUNDAY else d


def deadline_after_hours(start: datetime, hours: int, roll_sunday: bool = True) -> datetime:
    """Return the deadline ``hours`` after ``start`` (e.g. "24小时内,通知财务记帐(周天顺延)").

    The result is ``start + hours``; if ``roll_sunday`` and the result falls on a Sunday in
    the project time zone (``settings.TIME_ZONE``, Asia/Shanghai), it moves to the same
    local wall-clock time on the Monday. Holidays are not considered (see module docstring).

    :param start: an aware datetime (naive values are refused to avoid guessing the zone).
    :param hours: whole hours, ``>= 0``.
    :returns: an aware datetime in the project time zone.
    """
    if not isinstance(start, datetime):
        raise TypeError(f"start must be an aware datetime, got {type(start).__name__} {start!r}")
    if timezone.is_naive(start):
        raise ValueError(f"start must be timezone-aware (e.g. clock.now()), got naive {start!r}")
    if isinstance(hours, bool) or not isinstance(hours, int):
        raise TypeError(f"hours must be an int, got {type(hours).__name__} {hours!r}")
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours}")

    zone = timezone.get_default_timezone()
    local = timezone.localtime(start + timedelta(hours=hours), zone)
    if roll_sunday and local.weekday() == _SUNDAY:
        # Same local wall-clock time on Monday, re-localised in case the zone has DST.
        wall = local.replace(tzinfo=None) + _ONE_DAY
        local = timezone.make_aware(wall, zone)
    return local
