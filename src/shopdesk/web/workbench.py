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


# CS daily schedule, 003:544 (电商客服工作流程): each block names the queues it works through.
@dataclass(frozen=True)
class ScheduleBlock:
    start: time
    end: time
    title: str
    queues: tuple[str, ...] = ()  # keys of SCHEDULE_QUEUES


CS_SCHEDULE: tuple[ScheduleBlock, ...] = (
    ScheduleBlock(time(8, 30), time(9, 30), _("Yesterday's after-sales, missed or short shipments, stock fixes"),
                  ("aftersales_open", "missing_claims")),
    ScheduleBlock(time(9, 30), time(12, 0), _("Questions about yesterday's orders; reception"),
                  ("conversations_waiting", "conversations_yesterday")),
    ScheduleBlock(time(12, 0), time(14, 0), _("Reviews: phone every neutral and negative reviewer"),
                  ("reviews_follow_up",)),
    ScheduleBlock(time(14, 0), time(17, 0), _("Reception and printing; orders to the warehouse every hour"),
                  ("orders_review", "orders_verified", "verification_due")),
    ScheduleBlock(time(17, 0), time(19, 30), _("Check the day's work; tell buyers of orders that cannot ship; "
                                               "help the warehouse"),
                  ("orders_cannot_ship", "notices_due")),
    ScheduleBlock(time(19, 30), time(22, 0), _("Night shift: every shop's after-sales and unshipped orders"),
                  ("aftersales_open", "orders_in_warehouse")),
)


@dataclass(frozen=True)
class ScheduleQueue:
    """A queue a schedule block works through: a COUNT of the person's shops and the list behind it."""

    label: str
    count: Callable  # (user) -> int
    url: Callable  # () -> str
    perms: tuple[str, ...] = ()


def _aftersales_open(user):
    from shopdesk.aftersales import selectors

    return selectors.case_queue(user, "open").order_by().count()


def _missing_claims(user):
    from shopdesk.fulfillment import selectors
    from shopdesk.fulfillment.models import MissingItemClaim

    return selectors.missing_item_claims(user).filter(state=MissingItemClaim.State.REPORTED).order_by().count()


def _service(key):
    def count(user):
        from shopdesk.service import workbench as service_workbench

        return service_workbench.counts(user)[key]

    return count


def _reviews_follow_up(user):
    from shopdesk.reviews import selectors

    return selectors.review_queue(user, "follow_up").order_by().count()


def _order_queue(key):
    def count(user):
        from shopdesk.orders import workbench as orders_workbench

        return orders_workbench.queue_counts(user)[key]  # shared with the order tiles (one query per request)

    return count


def _order_stages(key):
    """Verified orders not yet printed, and orders in the warehouse not yet shipped: one query for both."""

    def count(user):
        cached = getattr(user, "_schedule_order_stages", None)
        if cached is None:
            from django.db.models import Count, Q

            from shopdesk.orders import selectors

            cached = selectors.orders_visible_to(user).filter(
                status__in=(selectors.S.VERIFIED, *selectors.IN_WAREHOUSE)).order_by().aggregate(
                verified=Count("pk", filter=Q(status=selectors.S.VERIFIED)),
                in_warehouse=Count("pk", filter=Q(status__in=selectors.IN_WAREHOUSE)))
            user._schedule_order_stages = cached
        return cached[key]

    return count


def _url(name: str, query: str = ""):
    return lambda: reverse(name) + query


SCHEDULE_QUEUES: dict[str, ScheduleQueue] = {
    "aftersales_open": ScheduleQueue(_("Open after-sales cases"), _aftersales_open,
                                     _url("aftersales:cases", "?tab=open"), ("aftersales.view_case",)),
    "missing_claims": ScheduleQueue(_("Missing-item claims to decide"), _missing_claims,
                                    _url("fulfillment:missing_items", "?tab=reported"),
                                    ("fulfillment.view_missingitemclaim",)),
    "conversations_waiting": ScheduleQueue(_("Buyers waiting for an answer"), _service("waiting"),
                                           _url("service:workbench", "?queue=waiting"),
                                           ("service.view_conversation",)),
    "conversations_yesterday": ScheduleQueue(_("Conversations of buyers who ordered yesterday"),
                                             _service("yesterday"), _url("service:workbench", "?only=yesterday"),
                                             ("service.view_conversation",)),
    "reviews_follow_up": ScheduleQueue(_("Reviews to follow up"), _reviews_follow_up,
                                       _url("reviews:list", "?tab=follow_up"), ("reviews.view_review",)),
    "orders_review": ScheduleQueue(_("Orders waiting for manual review"), _order_queue("review"),
                                   _url("orders:review"), ("orders.view_order",)),
    "orders_verified": ScheduleQueue(_("Verified orders for the warehouse"), _order_stages("verified"),
                                     _url("orders:list", "?tab=verified"), ("orders.view_order",)),
    "verification_due": ScheduleQueue(_("Verification messages to send"), _service("verify"),
                                      _url("service:workbench", "?only=verify"), ("service.view_conversation",)),
    "orders_cannot_ship": ScheduleQueue(_("Orders that cannot ship today: buyers to tell"),
                                        _order_queue("cannot_ship"), _url("orders:cannot_ship"),
                                        ("orders.view_order",)),
    "notices_due": ScheduleQueue(_("Shipping notices to send"), _service("notices"),
                                 _url("service:workbench", "?only=notices"), ("service.view_conversation",)),
    "orders_in_warehouse": ScheduleQueue(_("Orders in the warehouse, not shipped"), _order_stages("in_warehouse"),
                                         _url("orders:list", "?tab=warehouse"), ("orders.view_order",)),
}


def _schedule_queues(user, block: ScheduleBlock, counted: dict) -> list[dict]:
    shown = []
    for key in block.queues:
        queue = SCHEDULE_QUEUES.get(key)
        if queue is None or not user.has_perms(queue.perms):
            continue
        if key not in counted:
            counted[key] = queue.count(user)
        shown.append({"key": key, "label": queue.label, "count": counted[key], "url": queue.url()})
    return shown


def cs_schedule(now: datetime | None = None, user=None) -> list[dict]:
    """The schedule with the block in progress marked (local time) and, for a person, each block's queues with
    their counts (one COUNT per queue at most, several sharing one query)."""
    local = (now or clock.localnow()).time()
    counted: dict[str, int] = {}
    return [{"start": b.start, "end": b.end, "title": b.title, "current": b.start <= local < b.end,
             "queues": _schedule_queues(user, b, counted) if user is not None else []}
            for b in CS_SCHEDULE]
