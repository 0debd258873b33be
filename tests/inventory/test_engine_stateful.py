"""Random sequences of stock operations never break the books (hypothesis stateful testing).

Whatever the order of receive / reserve / release / consume / transfer / adjust, available never goes below zero,
reserved never exceeds on hand, the figures match a simple model, and verify_ledger() finds nothing.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from shopdesk.catalog.models import SKU, Product
from shopdesk.core.errors import Conflict
from shopdesk.inventory import engine
from shopdesk.inventory.models import Location, Movement, Reservation, Warehouse, WarehouseStock, Zone

_run = itertools.count()


class StockMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        n = next(_run)
        self.warehouses, self.locations = [], {}
        for w in range(2):
            warehouse = Warehouse.objects.create(code=f"W{n}-{w}", name=f"W{n}-{w}")
            zone = Zone.objects.create(warehouse=warehouse, code="Z", name="Z")
            self.locations[warehouse.pk] = [Location.objects.create(warehouse=warehouse, zone=zone, code=f"L{i}")
                                            for i in range(2)]
            self.warehouses.append(warehouse)
        product = Product.objects.create(item_number=f"P{n}", name="p")
        self.skus = [SKU.objects.create(product=product, code=f"P{n}-{i}") for i in range(2)]
        self.model = {}  # (sku_id, warehouse_id) -> [on_hand, reserved]
        self.active = []  # reservations

    def _fig(self, sku, warehouse):
        return self.model.setdefault((sku.pk, warehouse.pk), [0, 0])

    @rule(s=st.integers(0, 1), w=st.integers(0, 1), loc=st.integers(0, 1), q=st.integers(1, 6))
    def receive(self, s, w, loc, q):
        sku, wh = self.skus[s], self.warehouses[w]
        engine.receive(sku=sku, location=self.locations[wh.pk][loc], quantity=q, reference="rcv")
        self._fig(sku, wh)[0] += q

    @rule(s=st.integers(0, 1), q=st.integers(1, 5))
    def reserve(self, s, q):
        sku = self.skus[s]
        result = engine.reserve(sku, q, "order")
        can = [wh for wh in sorted(self.warehouses, key=lambda w: (w.priority, w.pk))
               if self._fig(sku, wh)[0] - self._fig(sku, wh)[1] >= q]
        assert result.ok == bool(can)
        if result.ok:
            assert result.reservation.warehouse_id == can[0].pk
            self._fig(sku, can[0])[1] += q
            self.active.append(result.reservation)

    @precondition(lambda self: self.active)
    @rule(i=st.integers(0, 50))
    def release(self, i):
        r = self.active.pop(i % len(self.active))
        assert engine.release(r)
        self.model[(r.sku_id, r.warehouse_id)][1] -= r.quantity

    @precondition(lambda self: self.active)
    @rule(i=st.integers(0, 50))
    def consume(self, i):
        r = self.active.pop(i % len(self.active))
        engine.consume(r)
        fig = self.model[(r.sku_id, r.warehouse_id)]
        fig[0] -= r.quantity
        fig[1] -= r.quantity

    @rule(s=st.integers(0, 1), q=st.integers(1, 6))
    def transfer(self, s, q):
        """Transfer between the two warehouses: out of the first (available units only), into the second."""
        sku, src, dst = self.skus[s], self.warehouses[0], self.warehouses[1]
        try:
            out = engine.remove(sku=sku, warehouse=src, quantity=q, reference="T", movement_type="transfer_out")
        except Conflict:
            assert self._fig(sku, src)[0] - self._fig(sku, src)[1] < q
            return
        self._fig(sku, src)[0] -= q
        for m in out:
            engine.receive(sku=sku, location=self.locations[dst.pk][0], quantity=-m.quantity, reference="T",
                           received_on=m.lot.received_on, movement_type=Movement.Type.TRANSFER_IN)
        self._fig(sku, dst)[0] += q

    @rule(s=st.integers(0, 1), w=st.integers(0, 1), delta=st.integers(-4, 4).filter(bool))
    def adjust(self, s, w, delta):
        sku, wh = self.skus[s], self.warehouses[w]
        if delta > 0:
            engine.receive(sku=sku, location=self.locations[wh.pk][1], quantity=delta, reference="count",
                           movement_type=Movement.Type.ADJUSTMENT)
            self._fig(sku, wh)[0] += delta
            return
        try:
            engine.remove(sku=sku, warehouse=wh, quantity=-delta, reference="count",
                          movement_type=Movement.Type.ADJUSTMENT)
        except Conflict:
            assert self._fig(sku, wh)[0] - self._fig(sku, wh)[1] < -delta
            return
        self._fig(sku, wh)[0] += delta

    @rule(s=st.integers(0, 1), w=st.integers(0, 1), q=st.integers(1, 4))
    def put_away(self, s, w, q):
        sku, wh = self.skus[s], self.warehouses[w]
        src, dst = self.locations[wh.pk]
        try:
            engine.move(sku=sku, from_location=src, to_location=dst, quantity=q, reference="put")
        except Conflict:
            return  # the source location holds fewer units; figures unchanged

    @invariant()
    def books_agree(self):
        for row in WarehouseStock.objects.filter(sku__in=self.skus):
            assert 0 <= row.reserved <= row.on_hand
            assert [row.on_hand, row.reserved] == self.model.get((row.sku_id, row.warehouse_id), [0, 0])
        active = sum(r.quantity for r in Reservation.objects.filter(sku__in=self.skus, state="active"))
        assert active == sum(fig[1] for fig in self.model.values())
        assert engine.verify_ledger() == []


@pytest.mark.django_db
def test_random_operation_sequences_keep_the_books():
    run_state_machine_as_test(
        StockMachine,
        settings=settings(max_examples=25, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]),
    )
