"""Fake-order (刷单) detection, product.md §4: each rule flags and holds the order for a person; thresholds are per
shop. ShopDesk has no feature for brushing; it only detects it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shopdesk.orders.models import Order, ShopOrderRules, Status

pytestmark = pytest.mark.django_db


def codes(order) -> list[str]:
    order.refresh_from_db()
    return [r["code"] for r in order.risk_reasons]


def test_one_phone_many_accounts_flags_the_cluster_and_holds_it(stocked, make_order, cn_time):
    stocked("CH-0001", 20)
    first = make_order(buyer="a1", detail="甲路1号", ordered_at=cn_time(2026, 11, 20, 9, 0))
    second = make_order(buyer="a2", detail="乙路2号", ordered_at=cn_time(2026, 11, 20, 12, 0))
    assert codes(first) == [] and Order.objects.get(pk=second.pk).status == Status.VERIFIED
    third = make_order(buyer="a3", detail="丙路3号", ordered_at=cn_time(2026, 11, 21, 9, 0))
    assert codes(third) == ["shared_phone"] and third.status == Status.PAID and "risk" in third.review_reasons
    for earlier in (first, second):  # the earlier ones are pulled back while a person can still stop them
        earlier.refresh_from_db()
        assert earlier.risk_flagged and earlier.status == Status.PAID


def test_one_address_many_accounts(stocked, make_order):
    stocked("CH-0001", 20)
    orders = [make_order(buyer=f"b{i}", mobile=f"1380013800{i}") for i in range(3)]
    assert codes(orders[-1]) == ["shared_address"]


def test_outside_the_window_is_not_a_cluster(stocked, make_order, cn_time):
    stocked("CH-0001", 20)
    for i, day in enumerate((1, 6, 11)):
        order = make_order(buyer=f"c{i}", detail=f"丁路{i}号", ordered_at=cn_time(2026, 11, day, 9, 0))
    assert codes(order) == []


def test_threshold_is_per_shop(stocked, make_order, shop):
    stocked("CH-0001", 20)
    ShopOrderRules.objects.create(shop=shop, risk_accounts_per_contact=4)
    orders = [make_order(buyer=f"d{i}", detail=f"戊路{i}号") for i in range(3)]
    assert codes(orders[-1]) == []
    assert codes(make_order(buyer="d9", detail="戊路9号")) == ["shared_phone"]


def test_repeated_tiny_orders_by_one_buyer(stocked, make_order):
    stocked("CH-0001", 20)
    orders = [make_order(buyer="tiny", lines=[("CH-0001", 1, "0.50")], mobile=f"1390013900{i}",
                         detail=f"己路{i}号") for i in range(3)]
    assert all(codes(o) == ["tiny_repeat"] for o in orders)


def test_paid_within_seconds(stocked, make_order):
    stocked("CH-0001", 5)
    assert codes(make_order(paid_after=timedelta(seconds=3))) == ["instant_pay"]
    assert codes(make_order(buyer="slow", detail="庚路1号", paid_after=timedelta(minutes=2))) == []


def test_penny_price_on_a_non_gift_item(stocked, make_order):
    stocked("CH-0001", 5)
    stocked("GIFT-1", 5, gift=True)
    assert codes(make_order(lines=[("CH-0001", 1, "0.01")])) == ["penny_price"]
    assert codes(make_order(buyer="g", detail="辛路1号", mobile="13700137000", lines=[("GIFT-1", 1, "0.01")])) == []
