"""The one clock of ShopDesk, which tests can stop and move (可冻结的时钟).

Code that needs "now" or "today" (SLA deadlines, 24小时 rules, report periods) must call
:func:`now`, :func:`localnow` or :func:`today` from this module instead of
``datetime.now()`` or ``django.utils.timezone.now()``, so that tests can run it at any
moment they like::

    from shopdesk.core import clock

    with clock.freeze(date(2026, 10, 1)):      # 09:00 Asia/Shanghai on National Day
        assert clock.today() == date(2026, 10, 1)
        clock.advance(timedelta(hours=24))
        assert clock.today() == date(2026, 10, 2)

``freeze`` also works as a decorator (``@clock.freeze(...)``).

The frozen instant lives in a plain module-level variable, deliberately *not* a
thread-local or context variable: a live-server thread started by a browser test must see
the same frozen time as the test thread. The flip side is that freezing is global to the
process, so it is meant for tests, not for production code paths.

All results are aware datetimes (the project runs with ``USE_TZ = True``). ``now()`` is in
UTC; ``localnow()`` and ``today()`` use Django's current time zone, which is
``settings.TIME_ZONE`` (``Asia/Shanghai``) unless a request activated another one.
Django is only touched when a function is called, so importing this module does not
require configured settings.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

__all__ = ["advance", "freeze", "is_frozen", "localnow", "now", "today"]

#: Local wall-clock time used when ``freeze`` is given a bare date.
FROZEN_DATE_TIME = time(9, 0)

_frozen: datetime | None = None  # aware UTC instant while frozen, else None
_lock = threading.Lock()


def now() -> datetime:
    """Return the current instant as an aware UTC datetime (the frozen one if frozen)."""
    frozen = _frozen
    if frozen is not None:
        return frozen
    return timezone.now()


def localnow() -> datetime:
    """Return :func:`now` converted to Django's current time zone (Asia/Shanghai by default)."""
    return timezone.localtime(now())


def today() -> date:
    """Return the local calendar date of :func:`now` (the Shanghai date, not the UTC date)."""
    return localnow().date()


def is_frozen() -> bool:
    """Return True while inside a :func:`freeze` block."""
    return _frozen is not None


def _to_utc(moment: datetime | date) -> datetime:
    """Normalise the argument of :func:`freeze` to an aware UTC datetime."""
    if isinstance(moment, datetime):
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.get_current_timezone())
        return moment.astimezone(UTC)
    if isinstance(moment, date):
        local = datetime.combine(moment, FROZEN_DATE_TIME)
        return timezone.make_aware(local, timezone.get_current_timezone()).astimezone(UTC)
    raise TypeError(f"freeze() expects a datetime or a date, got {type(moment).__name__} {moment!r}")


@contextmanager
def freeze(moment: datetime | date) -> Iterator[datetime]:
    """Stop the clock at ``moment`` for the duration of the ``with`` block.

    ``moment`` may be

    * an aware datetime (any zone; stored as UTC),
    * a naive datetime, read as wall-clock time in Django's *current* time zone
      (Asia/Shanghai unless overridden), or
    * a date, meaning 09:00 local time on that day.

    Yields the frozen instant (aware, UTC). Blocks nest: on exit the previous state (the
    outer frozen instant, including any :func:`advance` made before the inner block, or
    the running clock) is restored, also when the block raises. Advances made inside an
    inner block are discarded when it exits.
    """
    global _frozen
    target = _to_utc(moment)
    with _lock:
        previous = _frozen
        _frozen = target
    try:
        yield target
    finally:
        with _lock:
            _frozen = previous


def advance(delta: timedelta) -> datetime:
    """Move the frozen clock by ``delta`` (may be negative) and return the new instant.

    :raises RuntimeError: when the clock is not frozen (real time cannot be moved).
    :raises TypeError: when ``delta`` is not a :class:`~datetime.timedelta`.
    """
    global _frozen
    if not isinstance(delta, timedelta):
        raise TypeError(f"advance() expects a timedelta, got {type(delta).__name__} {delta!r}")
    with _lock:
        if _frozen is None:
            raise RuntimeError("clock.advance() called while the clock is not frozen; use clock.freeze() first")
        _frozen = _frozen + delta
        return _frozen
