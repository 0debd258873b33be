"""Fixtures of the after-sales tests: a delivered order of stocked SKUs, and a case opened on it by the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopdesk.aftersales import services
from shopdesk.core import clock
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Status


@pytest.fixture
def shipped_order(stocked, make_order):
    """shipped_order(days_ago=2, lines=[(1, "50.00"), (2, "80.00")], delivered=True, **make_order kw) -> an order of
    stocked SKUs (one per line) taken through print, pick, pack and ship, signed for `days_ago` days ago (or only
    shipped when delivered=False: no delivery time)."""

    def make(*, days_ago=2, lines=((1, "50.00"), (2, "80.00")), delivered=True, **kw):
        records = []
        for qty, price in lines:
            sku = stocked(quantity=qty + 5, price=price)
            records.append((sku.listings.first().channel_sku_code, qty, price))
        order = make_order(lines=records, **kw)
        order.refresh_from_db()
        assert order.status == Status.VERIFIED, order.review_reasons
        order_services.mark_printed(actor=None, order=order, batch="B-AS", carrier="中通快递",
                                    tracking_no=f"ZT{order.pk:010d}")
        order_services.mark_picked(actor=None, order=order)
        order_services.mark_packed(actor=None, order=order)
        order_services.ship_order(actor=None, order=order, carrier="中通快递", tracking_no=f"ZT{order.pk:010d}")
        if delivered:
            order_services.mark_delivered(actor=None, order=order,
                                          delivered_at=clock.now() - timedelta(days=days_ago))
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def case_for(shipped_order):
    """case_for(order=None, kind="return", reason="quality", lines=None, actor=None, **open_case kw) -> a case
    opened through services.open_case; `lines` {order line id: quantity} defaults to every unit of the order."""

    def make(order=None, *, kind="return", reason="quality", lines=None, actor=None, **kw):
        order = order or shipped_order()
        if lines is None:
            lines = {ln.pk: ln.quantity for ln in order.lines.all()}
        return services.open_case(actor=actor, order=order, kind=kind, reason=reason, lines=lines, **kw)

    return make
