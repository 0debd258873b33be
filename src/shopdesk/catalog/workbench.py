"""Today's-work tiles of the catalog (registered from CatalogConfig.ready)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shopdesk.staff.roles import APPROVE_PRICE_CHANGE
from shopdesk.web.workbench import Tile, register


def _price_changes_to_approve(user, role_codes):
    from shopdesk.catalog.selectors import pending_price_changes

    return pending_price_changes().exclude(actor=user).count()


def _out_of_stock_listings(user, role_codes):
    from shopdesk.catalog.selectors import listing_tabs_q, listings_visible_to

    return listings_visible_to(user).filter(listing_tabs_q()["out_of_stock"]).count()


def _products_without_images(user, role_codes):
    from shopdesk.catalog.models import Product

    return Product.objects.filter(is_active=True, images__isnull=True).count()


register(Tile("price_changes_to_approve", _("Price changes to approve"), frozenset({"manager"}),
              _price_changes_to_approve, lambda: reverse("catalog:price_changes") + "?tab=pending",
              perms=(APPROVE_PRICE_CHANGE,), alert=True))
register(Tile("out_of_stock_listings", _("Listings delisted for lack of stock"),
              frozenset({"operations", "merchandiser"}), _out_of_stock_listings,
              lambda: reverse("catalog:listings") + "?tab=out_of_stock", perms=("catalog.view_listing",)))
register(Tile("products_without_images", _("Products without photos"), frozenset({"designer", "product_editor"}),
              _products_without_images, lambda: reverse("catalog:products") + "?tab=no_images",
              perms=("catalog.view_product",), alert=True))
