"""The duty roster (值班表) as pure time arithmetic: shifts that may end after midnight, the chat hours each day must
have covered, the gaps, and who is on duty at a moment. No database; times are naive local (China) wall-clock.

A shift on day D runs from D + start to D + end, or to D+1 + end when it ends at or before it starts (晚班
17:00-01:00 ends at 01:00 the next morning, 003:630). The chat hours of day D (09:30-18:30 by default, 000:625:
旺旺在am9:30-pm6:30必须有人在线) likewise run to the next day when they close at or before they open. A day's
coverage is the union of every roster entry's shift interval (entries of the day before count too: a night shift
reaches past midnight) clipped to the chat hours; the gaps are the chat hours minus that union.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Duty:
    """One roster entry as the arithmetic needs it."""

    day: date
    start: time
    end: time
    agent_id: int = 0
    shift_id: int = 0
    entry_id: int = 0


def span(day: date, start: time, end: time) -> Interval:
    """[start, end) of something starting on `day` at `start`; it ends the next day when end <= start."""
    begin = datetime.combine(day, start)
    finish = datetime.combine(day, end)
    if finish <= begin:
        finish += timedelta(days=1)
    return begin, finish


def crosses_midnight(start: time, end: time) -> bool:
    return end <= start


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals joined, in time order."""
    out: list[list[datetime]] = []
    for begin, finish in sorted(intervals):
        if finish <= begin:
            continue
        if out and begin <= out[-1][1]:
            out[-1][1] = max(out[-1][1], finish)
        else:
            out.append([begin, finish])
    return [(b, f) for b, f in out]


def subtract(whole: Interval, parts: Iterable[Interval]) -> list[Interval]:
    """`whole` minus the union of `parts`."""
    gaps, cursor = [], whole[0]
    for begin, finish in merge(parts):
        if finish <= cursor or begin >= whole[1]:
            continue
        if begin > cursor:
            gaps.append((cursor, min(begin, whole[1])))
        cursor = max(cursor, finish)
        if cursor >= whole[1]:
            break
    if cursor < whole[1]:
        gaps.append((cursor, whole[1]))
    return gaps


@dataclass
class DayCoverage:
    day: date
    hours: Interval  # the chat hours of the day
    covered: list[Interval] = field(default_factory=list)
    gaps: list[Interval] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.gaps

    @property
    def gap_minutes(self) -> int:
        return int(sum((f - b).total_seconds() for b, f in self.gaps) // 60)


def coverage(day: date, opens: time, closes: time, duties: Iterable[Duty]) -> DayCoverage:
    """The chat hours of `day`, the parts of them someone on the roster covers, and the gaps. `duties` may hold
    entries of any days (those of the day before matter for a night shift; of the day after when the chat hours
    run past midnight)."""
    hours = span(day, opens, closes)
    intervals = [span(d.day, d.start, d.end) for d in duties]
    clipped = [(max(b, hours[0]), min(f, hours[1])) for b, f in intervals if f > hours[0] and b < hours[1]]
    covered = merge(clipped)
    return DayCoverage(day=day, hours=hours, covered=covered, gaps=subtract(hours, covered))


def week_of(day: date) -> list[date]:
    """Monday to Sunday of the week holding `day`."""
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=i) for i in range(7)]


def on_duty(moment: datetime, duties: Iterable[Duty]) -> list[Duty]:
    """The duties whose shift holds `moment` (naive local): a night shift that began yesterday counts after
    midnight."""
    out = []
    for d in duties:
        begin, finish = span(d.day, d.start, d.end)
        if begin <= moment < finish:
            out.append(d)
    return out


def days_needed(days: Iterable[date]) -> tuple[date, date]:
    """The first and last roster day to read for the coverage of `days`: one more on each side (night shifts and
    chat hours past midnight)."""
    days = sorted(days)
    return days[0] - timedelta(days=1), days[-1] + timedelta(days=1)
