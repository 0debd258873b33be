"""The windows of a neutral or negative review, from its posting time (pure; times are aware, so the arithmetic is
in absolute time and no calendar month or daylight-saving change can shift it).

- follow up within 48 hours (004:62 "48小时内联系买家修改中差评");
- the review takes effect after 3 days, and can be modified for 30 days (003: "1个月就无法修改");
- the shop's explanation is due on the last day of that window (003: "在最后一天需要进行评价解释"): the deadline is
  the end of the window; "explanation due today" lists the reviews whose window ends within the next 24 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

FOLLOW_UP = timedelta(hours=48)
TAKES_EFFECT = timedelta(days=3)
MODIFIABLE = timedelta(days=30)
LAST_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Deadlines:
    follow_up_due_at: datetime
    takes_effect_at: datetime
    modifiable_until: datetime
    explanation_due_at: datetime


def of(posted_at: datetime) -> Deadlines:
    if posted_at.tzinfo is None:
        raise ValueError("posted_at must be an aware datetime")
    end = posted_at + MODIFIABLE
    return Deadlines(follow_up_due_at=posted_at + FOLLOW_UP, takes_effect_at=posted_at + TAKES_EFFECT,
                     modifiable_until=end, explanation_due_at=end)
