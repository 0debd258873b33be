"""engine.reserve_many (order imports): the same outcome as one conditional UPDATE per line in order, warehouse by
warehouse, whatever the lines and the stock; never more reserved than on hand."""

from __future__ import annotations

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopdesk.inventory import engine
from shopdesk.inventory.models import Reservation, WarehouseStock


def _one_by_one(requests, stock, warehouse_ids):
    """The reference: each line in order, each warehouse in order, taken where it fits."""
    free = dict(stock)
    granted = []
    for r in requests:
        for wh in warehouse_ids:
            if free.get((r.sku_id, wh), 0) >= r.quantity:
                free[(r.sku_id, wh)] -= r.quantity
                granted.append(wh)
                break
        else:
            granted.append(None)
    return granted, free


def _reserve(requests, warehouse_ids):
    with transaction.atomic():
        ids = engine.reserve_many(requests, warehouse_ids=warehouse_ids)
    by_id = {r.pk: r for r in Reservation.objects.filter(pk__in=[i for i in ids if i is not None])}
    return [by_id[i].warehouse_id if i is not None else None for i in ids], by_id


def test_lines_of_one_sku_that_do_not_fit_together_are_taken_in_order(make_sku, hz, loc):
    sku = make_sku()
    engine.receive(sku=sku, location=loc(hz, "A-01-01"), quantity=5, reference="R1")
    requests = [engine.ReserveRequest(sku.pk, q, f"T:{n}") for n, q in enumerate([3, 3, 2])]
    granted, made = _reserve(requests, [hz.pk])
    assert granted == [hz.pk, None, hz.pk]  # 3 fits, then 3 does not (2 left), then 2 does
    assert sorted(r.quantity for r in made.values()) == [2, 3]
    assert WarehouseStock.objects.get(sku=sku, warehouse=hz).reserved == 5


def test_what_the_first_warehouse_cannot_hold_goes_to_the_next(make_sku, hz, jdw, loc):
    sku = make_sku()
    engine.receive(sku=sku, location=loc(hz, "A-01-01"), quantity=2, reference="R1")
    engine.receive(sku=sku, location=loc(jdw, "J-01"), quantity=10, reference="R2")
    requests = [engine.ReserveRequest(sku.pk, 2, "T:1"), engine.ReserveRequest(sku.pk, 2, "T:2")]
    granted, _made = _reserve(requests, [hz.pk, jdw.pk])
    assert granted == [hz.pk, jdw.pk]
    reserved = dict(WarehouseStock.objects.filter(sku=sku).values_list("warehouse_id", "reserved"))
    assert reserved == {hz.pk: 2, jdw.pk: 2}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_outcome_is_that_of_one_line_at_a_time(make_sku, hz, jdw, loc, data):
    skus = [make_sku() for _ in range(3)]
    warehouses = [hz, jdw]
    stock = {}
    for sku in skus:
        for wh, code in ((hz, "A-01-01"), (jdw, "J-01")):
            units = data.draw(st.integers(0, 8))
            if units:
                engine.receive(sku=sku, location=loc(wh, code), quantity=units, reference="R")
            on_hand = WarehouseStock.objects.filter(sku=sku, warehouse=wh).values_list("on_hand", "reserved").first()
            stock[(sku.pk, wh.pk)] = (on_hand[0] - on_hand[1]) if on_hand else 0
    lines = data.draw(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 4)), min_size=1, max_size=12))
    requests = [engine.ReserveRequest(skus[s].pk, q, f"T:{n}") for n, (s, q) in enumerate(lines)]
    order = data.draw(st.permutations([w.pk for w in warehouses]))
    expected, free = _one_by_one(requests, stock, order)
    granted, _made = _reserve(requests, order)
    assert granted == expected
    for (sku_id, wh_id), left in free.items():
        row = WarehouseStock.objects.filter(sku_id=sku_id, warehouse_id=wh_id).first()
        assert (row.on_hand - row.reserved if row else 0) == left
