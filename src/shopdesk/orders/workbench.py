"""Today's order work on the home page (registered from OrdersConfig.ready()): unpaid orders to remind, orders
waiting for a person, exceptions, orders that cannot ship today (with the time the buyers must be told by), change
requests waiting for the manager and the open tasks of the warehouse and after-sales. Counts are scoped to the
person's shops: the four order queues in one query, the others one COUNT each."""

from __future__ import annotations

from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopdesk.web.workbench import TILES, Tile, register

_CS = frozenset({"cs_presales", "cs_aftersales", "cs_supervisor"})
_CS_AND_MANAGER = _CS | {"manager"}
_VIEW = ("orders.view_order",)


def queue_counts(user) -> dict[str, int]:
    """The four queue counts of the person's shops in one query (each condition is the queue's own selector, so a
    tile always shows what its page lists), kept on the user object for the rest of the request."""
    cached = getattr(user, "_orders_queue_counts", None)
    if cached is None:
        from django.db.models import Count, Q

        from shopdesk.orders import selectors
        from shopdesk.orders.views_work import told_today

        def within(queryset):
            return Q(pk__in=queryset.order_by().values("pk"))

        queues = {"unpaid": selectors.unpaid(user), "review": selectors.review_queue(user),
                  "exceptions": selectors.exceptions(user),
                  "cannot_ship": selectors.cannot_ship_today(user).filter(~told_today())}
        in_flight = (selectors.S.UNPAID, *selectors.WAITING, *selectors.IN_WAREHOUSE)  # every queue's statuses
        cached = selectors.orders_visible_to(user).filter(status__in=in_flight).order_by().aggregate(
            **{key: Count("pk", filter=within(qs)) for key, qs in queues.items()})
        user._orders_queue_counts = cached
    return cached


def _queue(key):
    def count(user, role_codes):
        return queue_counts(user)[key]

    return count


def _pending_changes(user, role_codes):
    from shopdesk.orders import selectors

    return selectors.pending_change_requests(user).count()


def _open_tasks(role):
    def count(user, role_codes):
        from shopdesk.orders import selectors

        return selectors.open_tasks(user, {role}).count()

    return count


def _cannot_ship_label() -> str:
    """The tile names the earliest end of the day shift over the active shops (a shop without its own rule ends at
    the default 17:30). One query."""
    from datetime import datetime

    from django.db.models import Count, Min, Q
    from django.utils import timezone

    from shopdesk.channels.models import Shop
    from shopdesk.core import clock
    from shopdesk.orders import selectors

    default = timezone.localtime(selectors.shift_end())
    found = Shop.objects.filter(is_active=True).aggregate(
        earliest=Min("order_rules__day_shift_ends"), without=Count("pk", filter=Q(order_rules__isnull=True)))
    end = default
    if found["earliest"] is not None:
        own = timezone.make_aware(datetime.combine(clock.today(), found["earliest"]))
        end = own if not found["without"] else min(own, default)
    return gettext("Cannot ship today: tell the buyers before %(time)s") % {
        "time": timezone.localtime(end).strftime("%H:%M")}


def register_tiles() -> None:
    if any(t.key.startswith("orders_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("orders_unpaid", _("Unpaid orders to remind"), frozenset({"cs_presales", "cs_supervisor", "manager"}),
                  _queue("unpaid"), lambda: reverse("orders:unpaid"), perms=_VIEW))
    register(Tile("orders_review", _("Orders waiting for manual review"), _CS_AND_MANAGER, _queue("review"),
                  lambda: reverse("orders:review"), perms=_VIEW, alert=True))
    register(Tile("orders_exceptions", _("Order exceptions"), _CS_AND_MANAGER, _queue("exceptions"),
                  lambda: reverse("orders:exceptions"), perms=_VIEW, alert=True))
    register(Tile("orders_cannot_ship", lazy(_cannot_ship_label, str)(), _CS_AND_MANAGER, _queue("cannot_ship"),
                  lambda: reverse("orders:cannot_ship"), perms=_VIEW, alert=True))
    register(Tile("orders_changes", _("Order changes waiting for your approval"), frozenset({"manager"}),
                  _pending_changes, lambda: reverse("orders:changes") + "?tab=pending",
                  perms=("orders.view_changerequest", "staff.approve_over_limit"), alert=True))
    register(Tile("orders_warehouse_tasks", _("Order recalls for the warehouse"), frozenset({"warehouse"}),
                  _open_tasks("warehouse"), lambda: reverse("orders:tasks") + "?tab=open&role=warehouse",
                  perms=("orders.view_ordertask",), alert=True))
    register(Tile("orders_refund_tasks", _("Refunds to make"), frozenset({"cs_aftersales"}),
                  _open_tasks("cs_aftersales"), lambda: reverse("orders:tasks") + "?tab=open&role=cs_aftersales",
                  perms=("orders.view_ordertask",), alert=True))
