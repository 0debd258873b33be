"""After-sales tiles on the home page (registered from AftersalesConfig.ready() through `register_tiles`): cases in
progress with the agent or the buyer, returns the warehouse waits for, refunds due, refunds waiting for a
supervisor's approval, complaint follow-up calls due. One COUNT each, scoped to the person's shops."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.aftersales import selectors
from shopdesk.aftersales.models import Case
from shopdesk.core import clock
from shopdesk.web.workbench import TILES, Tile, register

_AGENTS = frozenset({"cs_aftersales"})
_WAREHOUSE = frozenset({"warehouse"})
_APPROVERS = frozenset({"cs_supervisor", "manager"})


def _in_progress(user, role_codes):
    return selectors.cases_visible_to(user).filter(waiting_for=Case.Waiting.BUYER).count()


def _returns_to_receive(user, role_codes):
    return selectors.cases_visible_to(user).filter(state=Case.State.WAITING_RETURN).count()


def _refunds_due(user, role_codes):
    return selectors.cases_visible_to(user).filter(state=Case.State.REFUND_DUE).count()


def _refunds_to_approve(user, role_codes):
    return selectors.cases_visible_to(user).filter(state=Case.State.REFUND_APPROVAL).count()


def _follow_ups_due(user, role_codes):
    return selectors.complaints_follow_up_due(user, clock.now()).count()


def register_tiles() -> None:
    if any(t.key.startswith("aftersales_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("aftersales_in_progress", _("After-sales cases waiting for the buyer"), _AGENTS, _in_progress,
                  lambda: reverse("aftersales:cases") + "?tab=buyer", perms=("aftersales.change_case",)))
    register(Tile("aftersales_returns", _("Returns to receive"), _WAREHOUSE, _returns_to_receive,
                  lambda: reverse("aftersales:receiving"), perms=("aftersales.receive_return",)))
    register(Tile("aftersales_refunds_due", _("After-sales refunds due"), _AGENTS, _refunds_due,
                  lambda: reverse("aftersales:cases") + "?tab=refund", perms=("aftersales.change_case",), alert=True))
    register(Tile("aftersales_refunds_to_approve", _("Refunds to approve"), _APPROVERS, _refunds_to_approve,
                  lambda: reverse("aftersales:cases") + "?tab=supervisor", perms=("aftersales.approve_refund",),
                  alert=True))
    register(Tile("aftersales_follow_ups", _("Complaint follow-up calls due"), _AGENTS, _follow_ups_due,
                  lambda: reverse("aftersales:complaints") + "?tab=follow_up", perms=("aftersales.change_complaint",),
                  alert=True))
