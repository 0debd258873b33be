"""The four deadlines of a neutral/negative review: computed from the posting time in absolute time (month ends, a
leap day, whatever time zone the server runs in), stored on the review, none for positive reviews."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shopdesk.core import clock
from shopdesk.reviews import deadlines

CN = ZoneInfo("Asia/Shanghai")


def test_month_boundary_china_time():
    d = deadlines.of(datetime(2026, 1, 31, 23, 30, tzinfo=CN))
    assert d.follow_up_due_at == datetime(2026, 2, 2, 23, 30, tzinfo=CN)
    assert d.takes_effect_at == datetime(2026, 2, 3, 23, 30, tzinfo=CN)
    assert d.modifiable_until == datetime(2026, 3, 2, 23, 30, tzinfo=CN)  # 30 days, not "one calendar month"
    assert d.explanation_due_at == d.modifiable_until


def test_leap_day_crossing():
    d = deadlines.of(datetime(2028, 2, 27, 12, 0, tzinfo=CN))
    assert d.follow_up_due_at == datetime(2028, 2, 29, 12, 0, tzinfo=CN)
    assert d.takes_effect_at == datetime(2028, 3, 1, 12, 0, tzinfo=CN)
    assert d.modifiable_until == datetime(2028, 3, 28, 12, 0, tzinfo=CN)


def test_same_instant_in_any_zone_gives_the_same_deadlines():
    china = deadlines.of(datetime(2026, 1, 31, 23, 30, tzinfo=CN))
    utc = deadlines.of(datetime(2026, 1, 31, 15, 30, tzinfo=UTC))
    new_york = deadlines.of(datetime(2026, 1, 31, 10, 30, tzinfo=ZoneInfo("America/New_York")))
    assert china == utc == new_york
    assert china.follow_up_due_at - datetime(2026, 1, 31, 15, 30, tzinfo=UTC) == timedelta(hours=48)


def test_naive_time_refused():
    with pytest.raises(ValueError):
        deadlines.of(datetime(2026, 1, 31, 23, 30))


@pytest.mark.parametrize("server_zone", ["UTC", "America/New_York", "Asia/Shanghai"])
def test_stored_deadlines_do_not_depend_on_the_server_zone(make_review, settings, server_zone):
    settings.TIME_ZONE = server_zone
    posted = datetime(2026, 1, 31, 23, 30, tzinfo=CN)
    with timezone.override(server_zone), clock.freeze(datetime(2026, 2, 1, 8, 0, tzinfo=CN)):
        review = make_review("neutral", posted)
    review.refresh_from_db()
    assert review.follow_up_due_at == datetime(2026, 2, 2, 15, 30, tzinfo=UTC)
    assert review.takes_effect_at == datetime(2026, 2, 3, 15, 30, tzinfo=UTC)
    assert review.modifiable_until == review.explanation_due_at == datetime(2026, 3, 2, 15, 30, tzinfo=UTC)


def test_positive_review_has_no_deadlines(make_review, frozen):
    review = make_review("positive", frozen.now() - timedelta(hours=1))
    review.refresh_from_db()
    assert (review.follow_up_due_at, review.takes_effect_at, review.modifiable_until,
            review.explanation_due_at) == (None, None, None, None)
    assert review.done and not review.needs_follow_up
