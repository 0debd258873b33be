"""Tests for shopdesk.core.clock (settings: USE_TZ=True, TIME_ZONE="Asia/Shanghai")."""

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from shopdesk.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _clock_starts_and_ends_running():
    assert not clock.is_frozen()
    yield
    assert not clock.is_frozen(), "a test left the clock frozen"


def test_now_is_aware_utc_real_time_when_not_frozen():
    before = datetime.now(UTC)
    current = clock.now()
    after = datetime.now(UTC)
    assert current.utcoffset() == timedelta(0)
    assert before <= current <= after


def test_localnow_and_today_use_shanghai_when_not_frozen():
    local = clock.localnow()
    assert local.utcoffset() == timedelta(hours=8)
    assert abs(local - datetime.now(UTC)) < timedelta(seconds=5)
    before = datetime.now(SHANGHAI).date()
    today = clock.today()
    after = datetime.now(SHANGHAI).date()
    assert today in {before, after}


def test_freeze_aware_datetime():
    moment = datetime(2026, 3, 1, 10, 30, tzinfo=SHANGHAI)
    with clock.freeze(moment) as frozen:
        assert frozen == moment
        assert clock.now() == moment
        assert clock.now().tzinfo == UTC
        assert clock.now() == datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
        assert clock.is_frozen()


def test_frozen_time_does_not_move():
    with clock.freeze(datetime(2026, 1, 1, tzinfo=UTC)):
        first = clock.now()
        threading.Event().wait(0.01)
        assert clock.now() == first


def test_freeze_naive_datetime_means_shanghai_wall_time():
    with clock.freeze(datetime(2026, 3, 1, 10, 0)):
        assert clock.now() == datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
        assert clock.localnow().replace(tzinfo=None) == datetime(2026, 3, 1, 10, 0)


def test_freeze_naive_datetime_uses_current_time_zone():
    with timezone.override(ZoneInfo("UTC")), clock.freeze(datetime(2026, 3, 1, 10, 0)):
        assert clock.now() == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_freeze_date_means_nine_in_the_morning_local():
    with clock.freeze(date(2026, 10, 1)):
        assert clock.localnow() == datetime(2026, 10, 1, 9, 0, tzinfo=SHANGHAI)
        assert clock.now() == datetime(2026, 10, 1, 1, 0, tzinfo=UTC)
        assert clock.today() == date(2026, 10, 1)


def test_today_is_the_shanghai_date_not_the_utc_date():
    # 2026-03-01 17:00 UTC is already 2026-03-02 01:00 in Shanghai.
    with clock.freeze(datetime(2026, 3, 1, 17, 0, tzinfo=UTC)):
        assert clock.today() == date(2026, 3, 2)
        assert clock.localnow().hour == 1
        assert clock.localnow().utcoffset() == timedelta(hours=8)


def test_advance_moves_the_frozen_clock():
    with clock.freeze(datetime(2026, 9, 30, 23, 0, tzinfo=SHANGHAI)):
        returned = clock.advance(timedelta(hours=2))
        assert returned == clock.now()
        assert clock.today() == date(2026, 10, 1)
        clock.advance(timedelta(minutes=-30))
        assert clock.localnow() == datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI)


def test_advance_requires_a_frozen_clock():
    with pytest.raises(RuntimeError, match="not frozen"):
        clock.advance(timedelta(hours=1))


def test_advance_requires_a_timedelta():
    with clock.freeze(date(2026, 1, 5)), pytest.raises(TypeError):
        clock.advance(3600)


def test_nested_freeze_restores_outer_state():
    outer = datetime(2026, 1, 1, tzinfo=UTC)
    inner = datetime(2030, 6, 1, tzinfo=UTC)
    with clock.freeze(outer):
        clock.advance(timedelta(days=1))
        with clock.freeze(inner):
            assert clock.now() == inner
            clock.advance(timedelta(hours=5))
            assert clock.now() == inner + timedelta(hours=5)
        # The outer advance survives, the inner one is discarded.
        assert clock.now() == outer + timedelta(days=1)
    assert not clock.is_frozen()


def test_freeze_restores_on_exception():
    with pytest.raises(ZeroDivisionError), clock.freeze(date(2026, 1, 5)):
        1 / 0  # noqa: B018
    assert not clock.is_frozen()


def test_freeze_works_as_decorator():
    @clock.freeze(date(2026, 5, 1))
    def frozen_today():
        return clock.today()

    assert frozen_today() == date(2026, 5, 1)
    assert frozen_today() == date(2026, 5, 1)  # reusable
    assert not clock.is_frozen()


def test_other_threads_see_the_frozen_time():
    seen = []
    moment = datetime(2026, 2, 14, 8, 0, tzinfo=UTC)
    with clock.freeze(moment):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join(timeout=5)
    assert seen == [moment]


@pytest.mark.parametrize("bad", ["2026-01-01", 1767225600, None])
def test_freeze_rejects_other_types(bad):
    with pytest.raises(TypeError), clock.freeze(bad):
        pass
    assert not clock.is_frozen()
