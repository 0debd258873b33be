"""Today's work: the tiles each role's home page shows, and the CS daily schedule.

A tile is a real count from the data with a link to the list behind it. Later modules register their tiles here
(orders to verify, reviews to follow up, returns to receive ...), so each role's home grows with the product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    roles: frozenset[str]  # empty = every role
    count: Callable  # (user, role_codes) -> int
    url: Callable  # () -> str
    perms: tuple[str, ...] = ()
    alert: bool = False  # a non-zero count is shown as a warning


TILES: list[Tile] = []


def register(tile: Tile) -> Tile:
    TILES.append(tile)
    return tile


def tiles_for_role(user, role_code: str, role_codes: set[str]) -> list[dict]:
    shown = []
    for tile in TILES:
        if tile.roles and role_code not in tile.roles:
            continue
        if not tile.roles and role_code != _first_role(role_codes):
            continue  # role-independent tiles are shown once, in the first section
        if not user.has_perms(tile.perms):
            continue
        value = tile.count(user, role_codes)
        shown.append({"key": tile.key, "label": tile.label, "count": value, "url": tile.url(),
                      "alert": tile.alert and value > 0})
    return shown



def _first_role(role_codes: set[str]) -> str:
    from shopdesk.staff.roles import ROLE_CODES

    return next((c for c in ROLE_CODES if c in role_codes), "")


def _end_of_today():
    return clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _deadlines_due_today(user, role_codes):
    from shopdesk.core.selectors import open_deadlines_for

    return open_deadlines_for(user, role_codes, due_before=_end_of_today()).count()


def _escalated(user, role_codes):
    from shopdesk.core.selectors import escalated_deadlines_for

    return escalated_deadlines_for(role_codes).count()


def _active_stand_ins(user, role_codes):
    from shopdesk.staff.models import StandIn

    return StandIn.objects.active_on(clock.today()).count()


def _audit_today(user, role_codes):
    from shopdesk.core.selectors import audit_events

    start = clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return audit_events(since=start).count()


def _locked_logins(user, role_codes):
    from shopdesk.staff.selectors import locked_out_usernames

    return len(locked_out_usernames())


def _accounts_without_shop(user, role_codes):
    from django.contrib.auth import get_user_model

    from shopdesk.staff.selectors import users_seeing_all_shops

    return (get_user_model().objects.filter(is_active=True, is_superuser=False, staff_profile__shops__isnull=True)
            .exclude(pk__in=users_seeing_all_shops()).distinct().count())


register(Tile("deadlines_today", _("Deadlines due today"), frozenset(), _deadlines_due_today,
              lambda: reverse("deadlines"), alert=True))
register(Tile("escalated", _("Missed deadlines escalated to me"), frozenset({"manager", "cs_supervisor"}),
              _escalated, lambda: reverse("deadlines") + "?tab=escalated", alert=True))
register(Tile("stand_ins", _("Stand-ins in force today"), frozenset({"manager", "admin"}), _active_stand_ins,
              lambda: reverse("staff:stand_ins"), perms=("staff.view_standin",)))
register(Tile("audit_today", _("Changes recorded today"), frozenset({"manager", "admin", "legal", "finance"}),
              _audit_today, lambda: reverse("audit") + "?period=today", perms=("core.view_auditevent",)))
register(Tile("locked_logins", _("Locked-out logins"), frozenset({"admin"}), _locked_logins,
              lambda: reverse("staff:list") + "?tab=locked", perms=("auth.view_user",), alert=True))
register(Tile("no_shop", _("Accounts with no shop assigned"), frozenset({"admin", "manager"}),
              _accounts_without_shop, lambda: reverse("staff:list") + "?tab=no_shop", perms=("auth.view_user",),
              alert=True))


# CS daily schedule, 003:544 (电商客服工作流程).
@dataclass(frozen=True)
class ScheduleBlock:
    start: time
    end: time
    title: str


CS_SCHEDULE: tuple[ScheduleBlock, ...] = (
    ScheduleBlock(time(8, 30), time(9, 30), _("Yesterday's after-sales, missed or short shipments, stock fixes")),
    ScheduleBlock(time(9, 30), time(12, 0), _("Questions about yesterday's orders; reception")),
    ScheduleBlock(time(12, 0), time(14, 0), _("Reviews: phone every neutral and negative reviewer")),
    ScheduleBlock(time(14, 0), time(17, 0), _("Reception and printing; orders to the warehouse every hour")),
    ScheduleBlock(time(17, 0), time(19, 30), _("Check the day's work; tell buyers of orders that cannot ship; "
                                               "help the warehouse")),
    ScheduleBlock(time(19, 30), time(22, 0), _("Night shift: every shop's after-sales and unshipped orders")),
)


def cs_schedule(now: datetime | None = None) -> list[dict]:
    """The schedule with the block in progress marked (local time)."""
    local = (now or clock.localnow()).time()
    return [{"start": b.start, "end": b.end, "title": b.title, "current": b.start <= local < b.end}
            for b in CS_SCHEDULE]
