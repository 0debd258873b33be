"""Fixtures of the fulfilment tests: carriers with a pool, verified orders, the two warehouse people."""

from __future__ import annotations

import pytest

from shopdesk.fulfillment import services
from shopdesk.orders.models import Status


@pytest.fixture
def english(settings):
    """English for the test's own code and for the pages and API answers of its requests (their default language
    when no language cookie is set): the fulfilment tests read exact English messages from both."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def zto(db):
    carrier = services.save_carrier(actor=None, name="中通快递", code="zto", services=["标准快递"])
    services.create_range_pool(actor=None, carrier=carrier, name="11月号段", first=7300000001, last=7300009999,
                               prefix="ZT", digits=10)
    return carrier


@pytest.fixture
def ems(db):
    return services.save_carrier(actor=None, name="E邮宝", code="eyb", is_universal=True)


@pytest.fixture
def picker(make_user, shop):
    return make_user("warehouse", username="picker", shops=[shop])


@pytest.fixture
def checker(make_user, shop):
    return make_user("warehouse", username="checker", shops=[shop])


@pytest.fixture
def verified_order(stocked, make_order):
    """verified_order(lines=[("CH-A", 2, "50.00")], ...) -> a paid order that passed the automatic review."""

    def make(*, lines=None, **kw):
        if lines is None:
            sku = stocked()
            lines = [(sku.listings.first().channel_sku_code, 1, "50.00")]
        order = make_order(lines=lines, **kw)
        order.refresh_from_db()
        assert order.status == Status.VERIFIED, order.review_reasons
        return order

    return make
