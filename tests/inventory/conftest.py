"""Fixtures of the warehouse tests: SKUs made straight in the catalog, two warehouses set up through the services."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from shopdesk.catalog.models import SKU, Product
from shopdesk.inventory import engine, services
from shopdesk.inventory.models import Location

_seq = itertools.count(1)


@pytest.fixture
def make_sku(db):
    """make_sku("BRA-75B", barcode="690...", cost="35.50", name="无钢圈文胸") -> a SKU of a new product."""

    def make(code=None, *, barcode=None, cost="10.00", name="测试商品"):
        n = next(_seq)
        product = Product.objects.create(item_number=f"IT-{n:04d}", name=name, cost_price=Decimal(cost))
        return SKU.objects.create(product=product, code=code or f"SKU-{n:04d}",
                                  barcode=barcode if barcode is not None else f"69{n:011d}")

    return make


@pytest.fixture
def hz(db):
    """杭州总仓 with a receiving zone (RCV-01) and pick zone A (A-01-01..A-01-03) and B (B-01-01)."""
    warehouse = services.create_warehouse(actor=None, code="HZ", name="杭州总仓", priority=10)
    rcv = services.create_zone(actor=None, warehouse=warehouse, code="RCV", name="收货区")
    a = services.create_zone(actor=None, warehouse=warehouse, code="A", name="拣货区A")
    b = services.create_zone(actor=None, warehouse=warehouse, code="B", name="拣货区B")
    services.create_locations(actor=None, warehouse=warehouse, zone=rcv, codes=["RCV-01"])
    services.create_locations(actor=None, warehouse=warehouse, zone=a, codes=["A-01-01", "A-01-02", "A-01-03"])
    services.create_locations(actor=None, warehouse=warehouse, zone=b, codes=["B-01-01"])
    warehouse.zone_a, warehouse.zone_b = a, b
    return warehouse


@pytest.fixture
def jdw(db):
    """京东前置仓 with one zone and two locations."""
    warehouse = services.create_warehouse(actor=None, code="JDQ", name="京东前置仓", priority=20)
    zone = services.create_zone(actor=None, warehouse=warehouse, code="A", name="拣货区A")
    services.create_locations(actor=None, warehouse=warehouse, zone=zone, codes=["J-01", "J-02"])
    return warehouse


def _loc(warehouse, code) -> Location:
    return Location.objects.get(warehouse=warehouse, code=code)


@pytest.fixture
def loc(db):
    """loc(warehouse, "A-01-01") -> that location."""
    return _loc


@pytest.fixture
def put(db):
    """put(sku, warehouse, "A-01-01", 5, day=date(...)): stock for a test, straight through the engine."""

    def receive(sku, warehouse, code, quantity, day=None, reference="INIT"):
        return engine.receive(sku=sku, location=_loc(warehouse, code), quantity=quantity, reference=reference,
                              received_on=day, posted_on=day)

    return receive


@pytest.fixture
def ledger_ok():
    """Use at the end of a scenario: the books agree (账实相符)."""

    def check():
        assert engine.verify_ledger() == []

    return check
