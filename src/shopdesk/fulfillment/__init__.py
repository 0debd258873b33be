"""Fulfilment and logistics (发货/物流): carriers, waybill numbers, printing, picking, checking, shipping, tracking,
the dispatch plan and the courier bill (product.md §2.4)."""
