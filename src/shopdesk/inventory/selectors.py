"""Reads of stock: availability per shop, stock lists, movement history."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F, Sum

from shopdesk.inventory.models import WarehouseStock


def available_by_shop(sku_ids) -> dict[tuple[int, int], int]:
    """{(sku_id, shop_id): available} summed over the active warehouses that serve each shop."""
    rows = (WarehouseStock.objects.filter(sku_id__in=list(sku_ids), warehouse__is_active=True,
                                          warehouse__shops__isnull=False)
            .values("sku_id", "warehouse__shops").annotate(available=Sum(F("on_hand") - F("reserved"))).order_by())
    result: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        result[(row["sku_id"], row["warehouse__shops"])] += row["available"]
    return dict(result)


def available(sku, warehouse=None) -> int:
    qs = WarehouseStock.objects.filter(sku=sku)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs.aggregate(total=Sum(F("on_hand") - F("reserved")))["total"] or 0
