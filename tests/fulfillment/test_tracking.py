"""Carrier tracking events stored against our parcels (product.md §2.4): de-duplication, the latest event wins,
delivery moves the order, exceptions open once, all-or-nothing files."""

from __future__ import annotations

import csv

import pytest

from shopdesk.core.errors import NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import LogisticsException, Shipment, TrackingEvent
from shopdesk.orders.models import Status

from .logistics_support import event, ship


def write_events(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["运单号", "时间", "地点", "状态", "描述"])
        writer.writerows(rows)
    return path


@pytest.fixture
def parcel(verified_order):
    return ship(verified_order())


def test_same_file_twice_adds_nothing_the_second_time(parcel, tmp_path):
    no = parcel.tracking_no
    path = write_events(tmp_path / "track.csv", [
        [no, "2026-11-23 10:00:00", "杭州", "已揽收", "快件已揽收"],
        [no, "2026-11-23 20:00:00", "杭州转运中心", "", "快件已发往【广州转运中心】"],
        ["NOT-OURS-1", "2026-11-23 20:00:00", "", "", "快件已发往"],
    ])
    first = services.import_tracking_file(actor=None, path=path)
    assert (first["added"], first["duplicates"], first["unknown"]) == (2, 0, 1)
    assert first["unknown_numbers"] == ["NOT-OURS-1"]
    second = services.import_tracking_file(actor=None, path=path)
    assert (second["added"], second["duplicates"], second["unknown"]) == (0, 2, 1)
    assert TrackingEvent.objects.filter(shipment=parcel).count() == 2
    parcel.refresh_from_db()
    assert parcel.state == Shipment.State.IN_TRANSIT and "广州转运中心" in parcel.last_event
    assert AuditEvent.objects.filter(action="fulfillment.record_tracking").count() == 2  # one per import


def test_same_event_pushed_twice_is_one_event(parcel):
    e = event(parcel.tracking_no.lower(), (2026, 11, 23, 10, 0), "collected", "已揽收")
    assert services.record_tracking_events(actor=None, events=[e, e])["added"] == 1  # twice in one push
    again = services.record_tracking_events(actor=None, events=[e])
    assert again["added"] == 0 and again["duplicates"] == 1
    assert TrackingEvent.objects.get().status == Shipment.State.SHIPPED  # the carrier's "collected"


def test_late_older_event_does_not_move_the_state_back(parcel):
    no = parcel.tracking_no
    services.record_tracking_events(actor=None, events=[event(no, (2026, 11, 24, 9, 0), "delivering", "派送中")])
    services.record_tracking_events(actor=None, events=[event(no, (2026, 11, 23, 9, 0), "in_transit", "到达杭州")])
    parcel.refresh_from_db()
    assert parcel.state == Shipment.State.DELIVERING and parcel.last_event == "派送中"
    assert parcel.last_event_at.hour == 1  # 09:00 China time is 01:00 UTC
    assert TrackingEvent.objects.filter(shipment=parcel).count() == 2  # the late event is kept in the history


def test_latest_of_a_batch_wins_whatever_the_order(parcel):
    no = parcel.tracking_no
    services.record_tracking_events(actor=None, events=[
        event(no, (2026, 11, 24, 9, 0), "delivering", "派送中"),
        event(no, (2026, 11, 23, 9, 0), "collected", "已揽收"),
    ])
    parcel.refresh_from_db()
    assert parcel.state == Shipment.State.DELIVERING


def test_delivered_sets_the_order_delivered(parcel, cn_time):
    services.record_tracking_events(actor=None, events=[
        event(parcel.tracking_no, (2026, 11, 25, 15, 30), "delivered", "快件已签收，签收人：本人")])
    parcel.refresh_from_db()
    parcel.order.refresh_from_db()
    assert parcel.state == Shipment.State.DELIVERED and parcel.delivered_at == cn_time(2026, 11, 25, 15, 30)
    assert parcel.order.status == Status.DELIVERED and parcel.order.delivered_at == cn_time(2026, 11, 25, 15, 30)
    # A repeated delivered event (the carrier pushes it again) changes nothing and does not fail.
    services.record_tracking_events(actor=None, events=[
        event(parcel.tracking_no, (2026, 11, 25, 15, 30), "delivered", "快件已签收，签收人：本人")])


@pytest.mark.parametrize("status", ["returned", "lost", "damaged", "exception"])
def test_problem_events_open_one_exception(parcel, status):
    no = parcel.tracking_no
    services.record_tracking_events(actor=None, events=[event(no, (2026, 11, 24, 9, 0), status, "问题 1")])
    services.record_tracking_events(actor=None, events=[event(no, (2026, 11, 24, 10, 0), status, "问题 2")])
    opened = LogisticsException.objects.get(shipment=parcel)
    assert opened.kind == status and opened.state == "open" and opened.last_event == "问题 1"
    parcel.refresh_from_db()
    assert parcel.state == status


def test_movement_closes_the_stalled_exception(parcel):
    stalled = LogisticsException.objects.create(shipment=parcel, kind="stalled")
    services.record_tracking_events(actor=None, events=[event(parcel.tracking_no, (2026, 11, 24, 9, 0))])
    stalled.refresh_from_db()
    assert stalled.state == "closed" and stalled.resolution and stalled.closed_at


def test_voided_parcels_are_not_matched(parcel):
    Shipment.objects.filter(pk=parcel.pk).update(state=Shipment.State.VOID)
    result = services.record_tracking_events(actor=None, events=[event(parcel.tracking_no, (2026, 11, 24, 9, 0))])
    assert result["unknown"] == 1 and not TrackingEvent.objects.exists()


def test_labelled_parcel_keeps_its_state(verified_order):
    order = verified_order()
    shipment = services.set_waybill(actor=None, order=order, carrier="中通快递", tracking_no="ZT990001")
    services.record_tracking_events(actor=None, events=[event("ZT990001", (2026, 11, 24, 9, 0), "collected", "揽收")])
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.LABELLED and shipment.last_event == "揽收"


def test_bad_file_imports_nothing_and_lists_every_bad_row(parcel, tmp_path, english):
    path = write_events(tmp_path / "bad.csv", [
        [parcel.tracking_no, "2026-11-23 10:00:00", "杭州", "已揽收", ""],
        [parcel.tracking_no, "not a time", "", "", "到达"],
        ["", "2026-11-23 10:00:00", "", "", "到达"],
    ])
    with pytest.raises(ServiceError) as err:
        services.import_tracking_file(actor=None, path=path)
    assert "line 3" in err.value.message and "line 4" in err.value.message
    assert len(err.value.fields["file"]) == 2
    assert not TrackingEvent.objects.exists()


def test_importing_needs_the_permission(make_user, tmp_path, parcel):
    cs = make_user("cs_presales")
    path = write_events(tmp_path / "t.csv", [[parcel.tracking_no, "2026-11-23 10:00:00", "", "", "到达"]])
    with pytest.raises(NotAllowed):
        services.import_tracking_file(actor=cs, path=path)
    warehouse_person = make_user("warehouse")
    assert services.import_tracking_file(actor=warehouse_person, path=path)["added"] == 1


def test_queries_do_not_grow_with_the_events(verified_order, django_assert_max_num_queries):
    parcels = [ship(verified_order()) for _ in range(6)]
    events = [event(p.tracking_no, (2026, 11, 23, h, 0), "in_transit", f"到达 {h}") for p in parcels
              for h in range(8, 16)]
    with django_assert_max_num_queries(12):
        result = services.record_tracking_events(actor=None, events=events)
    assert result["added"] == 48
