"""Catalog fixtures: a brand and categories with attributes, a product factory, media in a temp dir, and stock
availability that tests set by hand (the inventory selector `available_by_shop` is monkeypatched)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from shopdesk.catalog import services
from shopdesk.catalog.models import Brand, Category

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def brand(db) -> Brand:
    return services.create_brand(actor=None, name="安之伴")


@pytest.fixture
def bra(db) -> Category:
    category = services.create_category(actor=None, name="文胸")
    services.add_category_attribute(actor=None, category=category, name="面料")
    services.add_category_attribute(actor=None, category=category, name="罩杯", choices="1/2杯,3/4杯,全罩杯")
    services.add_category_attribute(actor=None, category=category, name="适用季节", choices="春夏,秋冬,四季")
    return category


@pytest.fixture
def briefs(db) -> Category:
    category = services.create_category(actor=None, name="内裤")
    services.add_category_attribute(actor=None, category=category, name="面料")
    return category


@pytest.fixture
def make_product(db, brand, bra):
    """make_product(item_number="X1", colours=["肤色"], sizes=["70B"]) -> a product with one SKU per colour/size."""

    def make(item_number=None, name="无钢圈文胸", colours=("肤色", "黑色"), sizes=("70B", "75B"), actor=None,
             barcodes=True, **fields):
        n = next(_seq)
        item_number = item_number or f"T{n:04d}"
        skus = []
        for colour in colours:
            for size in sizes:
                i = len(skus) + 1
                skus.append(services.SkuInput(code=f"{item_number}-{colour}-{size}", colour=colour, size=size,
                                              barcode=f"69{n:05d}{i:06d}" if barcodes else ""))
        fields.setdefault("brand", brand)
        fields.setdefault("category", bra)
        fields.setdefault("list_price", Decimal("100"))
        return services.create_product(actor=actor, item_number=item_number, name=name, skus=skus, **fields)

    return make


class Stock:
    """Available stock per (sku id, shop id) that the fake `available_by_shop` reports; missing = 0."""

    def __init__(self):
        self.levels: dict[tuple[int, int], int] = {}
        self.calls: list[list[int]] = []
        self.default = 0  # what every (sku, shop) not set has

    def set(self, sku, shop, qty: int):
        self.levels[(sku.pk, shop.pk)] = qty

    def available_by_shop(self, sku_ids):
        ids = list(sku_ids)
        self.calls.append(ids)
        return _Levels(self.default, {k: v for k, v in self.levels.items() if k[0] in ids})


class _Levels(dict):
    def __init__(self, default, values):
        super().__init__(values)
        self.default = default

    def get(self, key, fallback=None):
        return super().get(key, self.default)


@pytest.fixture
def stock(monkeypatch):
    """Monkeypatch shopdesk.inventory.selectors.available_by_shop (installing a stand-in module if the inventory
    app is not there)."""
    import sys
    import types

    fake = Stock()
    try:
        from shopdesk.inventory import selectors as inventory_selectors
    except ImportError:
        package = types.ModuleType("shopdesk.inventory")
        inventory_selectors = types.ModuleType("shopdesk.inventory.selectors")
        package.selectors = inventory_selectors
        monkeypatch.setitem(sys.modules, "shopdesk.inventory", package)
        monkeypatch.setitem(sys.modules, "shopdesk.inventory.selectors", inventory_selectors)
    monkeypatch.setattr(inventory_selectors, "available_by_shop", fake.available_by_shop, raising=False)
    return fake
