"""The supervisor's and the manager's customer-service tiles on the home page (registered from
ServiceConfig.ready() through `register_tiles`):

- quality scores to review: conversation-days of the last 7 days under 80 points nobody has reviewed (supervisor);
- score sheets to submit: drafts and sheets sent back, plus last month's sheets not built yet once their due day
  (the day before payroll) is a week away (supervisor);
- score sheets awaiting approval (manager);
- days of this week with a gap in the chat hours on the roster (supervisor and manager).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.service import selectors_team
from shopdesk.web.workbench import TILES, Tile, register

_SUPERVISOR = frozenset({"cs_supervisor"})
_MANAGER = frozenset({"manager"})
_BOTH = frozenset({"cs_supervisor", "manager"})


def _quality(user, role_codes):
    return selectors_team.quality_to_review(user)


def _to_submit(user, role_codes):
    return selectors_team.sheets_to_submit()


def _to_approve(user, role_codes):
    return selectors_team.sheets_awaiting_approval()


def _gaps(user, role_codes):
    return selectors_team.roster_gaps_this_week()


def register_tiles() -> None:
    if any(t.key.startswith("service_team_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("service_team_quality", _("Quality scores to review"), _SUPERVISOR, _quality,
                  lambda: reverse("service:quality") + "?reviewed=no", perms=("service.inspect_quality",)))
    register(Tile("service_team_sheets", _("Score sheets to submit"), _SUPERVISOR, _to_submit,
                  lambda: reverse("service:score_sheets"), perms=("service.change_scoresheet",), alert=True))
    register(Tile("service_team_approve", _("Score sheets awaiting approval"), _MANAGER, _to_approve,
                  lambda: reverse("service:score_sheets"), perms=("service.approve_scoresheet",), alert=True))
    register(Tile("service_team_roster", _("Days this week with roster gaps"), _BOTH, _gaps,
                  lambda: reverse("service:roster"), perms=("service.view_rosterentry",), alert=True))
