"""Signals of the inventory engine.

`stock_changed(sku_ids=[...])` is sent inside the posting transaction whenever on_hand or reserved of those SKUs
changed, so listeners (auto delist/relist in the catalog) act on the same committed state.
"""

from django.dispatch import Signal

stock_changed = Signal()
