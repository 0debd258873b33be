"""Logistics tiles on the home page (registered from FulfillmentConfig.ready() through `register_logistics_tiles`):
open logistics exceptions for after-sales customer service, shipping notices to send, missing-item claims waiting
for a decision, courier bills checked but not yet settled. One COUNT each, scoped to the person's shops."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.web.workbench import TILES, Tile, register

_CS = frozenset({"cs_aftersales", "cs_supervisor", "manager"})
_DECIDE = frozenset({"cs_supervisor", "warehouse", "manager"})
_BILLS = frozenset({"finance", "merchandiser"})
_NOTICE_ROLES = frozenset({"cs_presales", "cs_aftersales"})


def _open_exceptions(user, role_codes):
    from shopdesk.fulfillment import selectors

    return selectors.open_logistics_exceptions(user).count()


def _claims_to_decide(user, role_codes):
    from shopdesk.fulfillment import selectors
    from shopdesk.fulfillment.models import MissingItemClaim

    return selectors.missing_item_claims(user).filter(state=MissingItemClaim.State.REPORTED).count()


def _bills_to_settle(user, role_codes):
    from shopdesk.fulfillment import selectors

    return selectors.courier_bills().filter(state="checked").count()


def _notices_to_send(user, role_codes):
    from shopdesk.fulfillment import selectors

    return selectors.buyer_notices(user).filter(state="due").count()


def register_logistics_tiles() -> None:
    if any(t.key.startswith("logistics_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("logistics_exceptions", _("Logistics exceptions to handle"), _CS, _open_exceptions,
                  lambda: reverse("fulfillment:exceptions"), perms=("fulfillment.view_logisticsexception",),
                  alert=True))
    register(Tile("logistics_notices", _("Shipping notices to send"), _NOTICE_ROLES, _notices_to_send,
                  lambda: reverse("fulfillment:notices"), perms=("fulfillment.change_buyernotice",)))
    register(Tile("logistics_claims", _("Missing-item claims to decide"), _DECIDE, _claims_to_decide,
                  lambda: reverse("fulfillment:missing_items"), perms=("fulfillment.change_missingitemclaim",),
                  alert=True))
    register(Tile("logistics_bills", _("Courier bills to settle"), _BILLS, _bills_to_settle,
                  lambda: reverse("fulfillment:bills") + "?tab=checked", perms=("fulfillment.view_courierbill",)))
