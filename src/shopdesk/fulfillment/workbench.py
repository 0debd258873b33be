"""The warehouse's tiles on the home page (registered from FulfillmentConfig.ready()): orders waiting at each stage
of the person's shops, the same counts as the warehouse stations board (selectors.stage_counts: one query for the
order stages, one for the parcels waiting for the courier, kept for the request)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.web.workbench import TILES, Tile, register

_WAREHOUSE = frozenset({"warehouse"})
_VIEW = ("fulfillment.view_printbatch",)
_FULFIL = ("orders.fulfil_order",)


def _stage(key):
    def count(user, role_codes):
        from shopdesk.fulfillment import selectors

        return selectors.stage_counts(user)[key]

    return count


def register_tiles() -> None:
    if any(t.key.startswith("fulfilment_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("fulfilment_ship_today", _("Orders that must ship today, not printed"), _WAREHOUSE,
                  _stage("to_print_today"), lambda: reverse("fulfillment:batch_new") + "?ship_today=on",
                  perms=("fulfillment.add_printbatch",), alert=True))
    register(Tile("fulfilment_to_print", _("Verified orders waiting to print"), _WAREHOUSE, _stage("to_print"),
                  lambda: reverse("fulfillment:batch_new"), perms=("fulfillment.add_printbatch",)))
    register(Tile("fulfilment_to_pick", _("Printed orders to pick"), _WAREHOUSE, _stage("to_pick"),
                  lambda: reverse("fulfillment:batches"), perms=_VIEW))
    register(Tile("fulfilment_to_check", _("Picked orders to check and pack"), _WAREHOUSE, _stage("to_check"),
                  lambda: reverse("fulfillment:check"), perms=_FULFIL))
    register(Tile("fulfilment_to_ship", _("Packed orders to ship"), _WAREHOUSE, _stage("to_ship"),
                  lambda: reverse("fulfillment:ship"), perms=_FULFIL))
    register(Tile("fulfilment_to_hand_over", _("Shipped parcels waiting for the courier"), _WAREHOUSE,
                  _stage("to_hand_over"), lambda: reverse("fulfillment:ship"), perms=_FULFIL))
