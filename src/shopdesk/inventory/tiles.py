"""Today's work of the warehouse (registered on the home page when the app is ready): stock that needs attention
(000:493 有无储备, 不足), goods waiting to be put away, purchase orders to receive, transfers on the road and counts
waiting for the manager's approval."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.web.workbench import TILES, Tile, register

_STOCK_ROLES = frozenset({"warehouse", "merchandiser"})


def _health(category):
    def count(user, role_codes):
        from shopdesk.inventory import selectors

        return selectors.health_count(category)

    return count


def _to_put_away(user, role_codes):
    from shopdesk.inventory import selectors

    return selectors.receipts_to_put_away().count()


def _to_receive(user, role_codes):
    from shopdesk.inventory.models import PurchaseOrder

    return PurchaseOrder.objects.filter(state__in=[PurchaseOrder.State.OPEN,
                                                   PurchaseOrder.State.PARTIALLY_RECEIVED]).count()


def _in_transit(user, role_codes):
    from shopdesk.inventory.models import Transfer

    return Transfer.objects.filter(state=Transfer.State.IN_TRANSIT).count()


def _awaiting_approval(user, role_codes):
    from shopdesk.inventory.models import Stocktake

    return Stocktake.objects.filter(state=Stocktake.State.SUBMITTED).count()


def _counting(user, role_codes):
    from shopdesk.inventory.models import Stocktake

    return Stocktake.objects.filter(state=Stocktake.State.COUNTING).count()


def register_tiles() -> None:
    if any(t.key.startswith("inventory_") for t in TILES):
        return  # already registered (ready() ran twice)
    register(Tile("inventory_out_of_stock", _("Out of stock SKUs"), _STOCK_ROLES, _health("out_of_stock"),
                  lambda: reverse("inventory:health") + "?tab=out_of_stock", perms=("inventory.view_stockthreshold",),
                  alert=True))
    register(Tile("inventory_low", _("SKUs below reorder point"), _STOCK_ROLES, _health("low"),
                  lambda: reverse("inventory:health") + "?tab=low", perms=("inventory.view_stockthreshold",),
                  alert=True))
    register(Tile("inventory_put_away", _("Receipts to put away"), frozenset({"warehouse"}), _to_put_away,
                  lambda: reverse("inventory:receipts") + "?tab=to_put_away", perms=("inventory.move_stock",),
                  alert=True))
    register(Tile("inventory_to_receive", _("Purchase orders to receive"), frozenset({"warehouse"}), _to_receive,
                  lambda: reverse("inventory:purchase_orders") + "?tab=to_receive",
                  perms=("inventory.view_purchaseorder",)))
    register(Tile("inventory_in_transit", _("Transfers in transit"), frozenset({"warehouse"}), _in_transit,
                  lambda: reverse("inventory:transfers") + "?tab=in_transit", perms=("inventory.view_transfer",)))
    register(Tile("inventory_counting", _("Stocktakes being counted"), _STOCK_ROLES, _counting,
                  lambda: reverse("inventory:stocktakes") + "?tab=counting", perms=("inventory.count_stocktake",)))
    register(Tile("inventory_stocktake_approval", _("Stocktakes awaiting approval"), frozenset({"manager"}),
                  _awaiting_approval, lambda: reverse("inventory:stocktakes") + "?tab=submitted",
                  perms=("inventory.approve_stocktake",), alert=True))
