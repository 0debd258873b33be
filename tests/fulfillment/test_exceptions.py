"""Logistics exceptions (product.md §2.4): no movement for N hours, opened once, closed with a resolution;
delivered but disputed opened by customer service."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import LogisticsException, Shipment

from .logistics_support import CN, event, ship


@pytest.fixture
def shipped_at():
    return datetime(2026, 11, 23, 10, 0, tzinfo=CN)


@pytest.fixture
def parcel(verified_order, shipped_at):
    with clock.freeze(shipped_at):
        return ship(verified_order())


def test_stall_after_48_hours_not_47(parcel, shipped_at):
    with clock.freeze(shipped_at + timedelta(hours=47, minutes=59)):
        assert services.detect_stalls() == 0
    with clock.freeze(shipped_at + timedelta(hours=48)):
        assert services.detect_stalls() == 1
        assert services.detect_stalls() == 0  # one open per parcel, however often the job runs
    opened = LogisticsException.objects.get()
    assert opened.kind == "stalled" and opened.shipment == parcel and opened.state == "open"
    assert AuditEvent.objects.filter(action="fulfillment.detect_stalls").count() == 1


def test_last_event_counts_as_the_last_movement(parcel, shipped_at):
    services.record_tracking_events(actor=None, events=[
        event(parcel.tracking_no, shipped_at + timedelta(hours=30), "in_transit", "到达广州")])
    assert services.detect_stalls(now=shipped_at + timedelta(hours=60)) == 0
    assert services.detect_stalls(now=shipped_at + timedelta(hours=78)) == 1
    assert LogisticsException.objects.get().last_event == "到达广州"


def test_shop_threshold_and_states(parcel, shipped_at, shop, verified_order):
    services.update_shop_shipping(actor=None, shop=shop, stall_hours=24)
    with clock.freeze(shipped_at):
        delivered = ship(verified_order())
    Shipment.objects.filter(pk=delivered.pk).update(state=Shipment.State.DELIVERED)
    assert services.detect_stalls(now=shipped_at + timedelta(hours=23)) == 0
    assert services.detect_stalls(now=shipped_at + timedelta(hours=24)) == 1  # delivered parcels never stall
    assert LogisticsException.objects.get().shipment == parcel


def test_movement_closes_it_and_a_new_stall_opens_again(parcel, shipped_at):
    assert services.detect_stalls(now=shipped_at + timedelta(hours=50)) == 1
    services.record_tracking_events(actor=None, events=[
        event(parcel.tracking_no, shipped_at + timedelta(hours=51), "in_transit", "到达")])
    assert LogisticsException.objects.get().state == "closed"
    assert services.detect_stalls(now=shipped_at + timedelta(hours=100)) == 1
    assert LogisticsException.objects.filter(state="open").count() == 1


def test_detection_queries_are_bounded(verified_order, shipped_at, shop, other_shop,
                                       django_assert_max_num_queries):
    services.update_shop_shipping(actor=None, shop=shop, stall_hours=12)
    with clock.freeze(shipped_at):
        for _ in range(5):
            ship(verified_order())
    with django_assert_max_num_queries(6):  # 4 statements and the savepoint pair
        assert services.detect_stalls(now=shipped_at + timedelta(hours=13)) == 5


def test_check_parcels_command(parcel, shipped_at):
    out = StringIO()
    with clock.freeze(shipped_at + timedelta(hours=49)):
        call_command("check_parcels", stdout=out)
    assert "1" in out.getvalue()
    assert LogisticsException.objects.filter(kind="stalled").count() == 1


def test_close_needs_a_resolution_and_happens_once(parcel, make_user, shop):
    exc = LogisticsException.objects.create(shipment=parcel, kind="lost")
    cs = make_user("cs_aftersales", shops=[shop])
    with pytest.raises(ServiceError):
        services.close_exception(actor=cs, exception=exc, resolution=" ")
    services.close_exception(actor=cs, exception=exc, resolution="快递公司已赔付，补发")
    exc.refresh_from_db()
    assert exc.state == "closed" and exc.closed_by == cs and exc.resolution == "快递公司已赔付，补发"
    with pytest.raises(Conflict):
        services.close_exception(actor=cs, exception=exc, resolution="again")
    # Once closed, the same kind may open again.
    LogisticsException.objects.create(shipment=parcel, kind="lost")


def test_close_refused_without_permission_or_shop(parcel, make_user, other_shop):
    exc = LogisticsException.objects.create(shipment=parcel, kind="lost")
    with pytest.raises(NotAllowed):
        services.close_exception(actor=make_user("cs_presales"), exception=exc, resolution="x")
    with pytest.raises(NotAllowed):
        services.close_exception(actor=make_user("cs_aftersales", shops=[other_shop]), exception=exc,
                                 resolution="x")


def test_one_open_exception_per_kind_is_enforced_by_the_database(parcel):
    from django.db import IntegrityError, transaction

    LogisticsException.objects.create(shipment=parcel, kind="returned")
    with pytest.raises(IntegrityError), transaction.atomic():
        LogisticsException.objects.create(shipment=parcel, kind="returned")


def test_report_disputed_only_on_delivered_and_once(parcel, make_user, shop):
    cs = make_user("cs_aftersales", shops=[shop])
    with pytest.raises(Conflict):
        services.report_disputed(actor=cs, shipment=parcel, note="买家说没收到")
    services.record_tracking_events(actor=None, events=[
        event(parcel.tracking_no, (2026, 11, 25, 9, 0), "delivered", "已签收，驿站代收")])
    disputed = services.report_disputed(actor=cs, shipment=parcel, note="买家说没收到")
    assert disputed.kind == "disputed" and "买家说没收到" in disputed.last_event and "驿站代收" in disputed.last_event
    with pytest.raises(Conflict):
        services.report_disputed(actor=cs, shipment=parcel, note="again")
    with pytest.raises(NotAllowed):
        services.report_disputed(actor=make_user("warehouse", shops=[shop]), shipment=parcel, note="x")
