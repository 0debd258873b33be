"""Review tiles on the home page (registered from ReviewsConfig.ready): reviews to follow up for after-sales customer
service and the supervisor, overdue reviews for the supervisor and the manager. One COUNT each on the queue indexes,
scoped to the person's shops. Reviews belong to the 12:00-14:00 block of the CS day (003:544)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.web.workbench import TILES, Tile, register

_FOLLOW_UP = frozenset({"cs_aftersales", "cs_supervisor"})
_OVERDUE = frozenset({"cs_supervisor", "manager"})


def _to_follow_up(user, role_codes):
    from shopdesk.reviews import selectors

    return selectors.review_queue(user, "follow_up").order_by().count()


def _overdue(user, role_codes):
    from shopdesk.reviews import selectors

    return selectors.review_queue(user, "overdue").order_by().count()


def register_review_tiles() -> None:
    if any(t.key.startswith("reviews_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("reviews_follow_up", _("Reviews to follow up"), _FOLLOW_UP, _to_follow_up,
                  lambda: reverse("reviews:list") + "?tab=follow_up", perms=("reviews.add_followup",)))
    register(Tile("reviews_overdue", _("Reviews overdue"), _OVERDUE, _overdue,
                  lambda: reverse("reviews:list") + "?tab=overdue", perms=("reviews.view_review",), alert=True))
