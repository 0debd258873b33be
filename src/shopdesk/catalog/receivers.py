"""Signal receivers of the catalog: listings follow the stock (auto delist on stock-out, relist on restock)."""

from __future__ import annotations

DISPATCH_UID = "shopdesk.catalog.sync_listing_availability"


def on_stock_changed(sender, sku_ids=(), **kwargs):
    """`inventory.signals.stock_changed` is sent inside the posting transaction: the listings change in it too."""
    from shopdesk.catalog.services import sync_listing_availability

    if sku_ids:
        sync_listing_availability(actor=None, sku_ids=list(sku_ids))


def connect() -> bool:
    """Connect to the inventory engine's signal; False when the inventory app is not installed."""
    try:
        from shopdesk.inventory.signals import stock_changed
    except ImportError:
        return False
    stock_changed.connect(on_stock_changed, dispatch_uid=DISPATCH_UID)
    return True
