"""Stocktakes (盘点): snapshot, scanner counting, variance report at cost, approval posting adjustments, refusal
when the count leaves less than is reserved; the session and its lines are kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine, selectors, services
from shopdesk.inventory.models import LocationStock, Movement, Stocktake, StocktakeLine, WarehouseStock


@pytest.fixture
def today():
    with clock.freeze(date(2026, 11, 10)):
        yield date(2026, 11, 10)


@pytest.fixture
def shelves(today, hz, make_sku, put):
    """A-01-01: BRA 10 (two lots); A-01-02: BRF 5; B-01-01 (zone B): SOCK 3."""
    bra = make_sku("BRA-75B", barcode="6901000000011", cost="35.00", name="无钢圈文胸")
    brf = make_sku("BRF-M", barcode="6901000000028", cost="12.50", name="三角内裤")
    sock = make_sku("SOCK-1", barcode="6901000000035", cost="4.00", name="船袜")
    put(bra, hz, "A-01-01", 4, day=date(2026, 9, 1))
    put(bra, hz, "A-01-01", 6, day=date(2026, 10, 1))
    put(brf, hz, "A-01-02", 5, day=date(2026, 10, 1))
    put(sock, hz, "B-01-01", 3, day=date(2026, 10, 1))
    return bra, brf, sock


def stock(sku, warehouse):
    row = WarehouseStock.objects.get(sku=sku, warehouse=warehouse)
    return row.on_hand, row.reserved


def test_zone_count_variance_report_and_approval(shelves, hz, loc, make_user, manager, ledger_ok):
    bra, brf, sock = shelves
    counter = make_user("warehouse")
    st = services.start_stocktake(actor=counter, warehouse=hz, zone=hz.zone_a, note="A区周盘")
    assert st.number.startswith("PD") and st.state == Stocktake.State.COUNTING
    snapshot = {(line.sku.code, line.location.code): line.expected for line in st.lines.select_related(
        "sku", "location")}
    assert snapshot == {("BRA-75B", "A-01-01"): 10, ("BRF-M", "A-01-02"): 5}  # zone B is not in this count

    result = services.record_scan(actor=counter, stocktake=st, code="a-01-01")
    assert result.kind == "location" and result.location.code == "A-01-01"
    a1, a2 = result.location, loc(hz, "A-01-02")
    for _ in range(8):
        result = services.record_scan(actor=counter, stocktake=st, code="6901000000011", location=a1)
    assert result.kind == "counted" and result.line.counted == 8 and result.line.book == 10
    result = services.record_scan(actor=counter, stocktake=st, code="BRF-M", location=a2)
    result = services.record_scan(actor=counter, stocktake=st, code="7", location=a2, last_sku=result.sku)
    assert result.kind == "set" and result.line.counted == 7
    # Socks found on a shelf where the snapshot had none: a new line expecting 0.
    result = services.record_scan(actor=counter, stocktake=st, code="6901000000035", location=a2)
    assert (result.line.expected, result.line.counted) == (0, 1)
    with pytest.raises(ServiceError) as err:
        services.record_scan(actor=counter, stocktake=st, code="B-01-01", location=a2)
    assert err.value.code == "unknown_barcode"  # a zone-B location is not part of a zone-A count

    services.submit_stocktake(actor=counter, stocktake=st)
    report = selectors.variance_report(st)
    assert (report.surplus_units, report.shortage_units) == (3, 2)
    assert report.surplus_value == Decimal("29.00")  # 2 × 12.50 + 1 × 4.00
    assert report.shortage_value == Decimal("70.00")  # 2 × 35.00
    assert report.net_value == Decimal("-41.00")

    with pytest.raises(NotAllowed):
        services.approve_stocktake(actor=counter, stocktake=st)
    st = services.approve_stocktake(actor=manager, stocktake=st)
    assert st.state == Stocktake.State.APPROVED and st.posted_on == date(2026, 11, 10)
    assert stock(bra, hz) == (8, 0) and stock(brf, hz) == (7, 0) and stock(sock, hz) == (4, 0)
    adjustments = Movement.objects.filter(reference=st.number, type=Movement.Type.ADJUSTMENT)
    assert sorted(adjustments.values_list("quantity", flat=True)) == [-2, 1, 2]
    # The shortage came off the oldest lot (先进先出).
    taken = adjustments.get(quantity=-2)
    assert taken.lot.received_on == date(2026, 9, 1)
    assert LocationStock.objects.get(sku=sock, location=a2).on_hand == 1
    # The report is kept: the session and its lines stay.
    assert StocktakeLine.objects.filter(stocktake=st).count() == 3
    event = AuditEvent.objects.get(action="inventory.approve_stocktake", object_id=str(st.pk))
    assert event.actor == manager and sorted(event.changes["adjustments"]["after"]) == [
        "BRA-75B@A-01-01 -2", "BRF-M@A-01-02 +2", "SOCK-1@A-01-02 +1"]
    ledger_ok()


def test_approval_refused_when_count_is_below_reserved(shelves, hz, loc, make_user, manager, ledger_ok):
    bra, brf, _sock = shelves
    assert engine.reserve(bra, 9, "order:1", warehouse=hz).ok
    assert engine.reserve(brf, 1, "order:2", warehouse=hz).ok
    counter = make_user("warehouse")
    st = services.start_stocktake(actor=counter, warehouse=hz, zone=hz.zone_a)
    services.set_stocktake_count(actor=counter, stocktake=st, sku=bra, location=loc(hz, "A-01-01"), counted=5)
    services.set_stocktake_count(actor=counter, stocktake=st, sku=brf, location=loc(hz, "A-01-02"), counted=5)
    services.submit_stocktake(actor=counter, stocktake=st)
    with pytest.raises(Conflict) as err:
        services.approve_stocktake(actor=manager, stocktake=st)
    assert err.value.code == "below_reserved"
    assert "BRA-75B: 5 on hand after the count, 9 reserved" in err.value.message
    assert "BRF-M" not in err.value.message
    st.refresh_from_db()
    assert st.state == Stocktake.State.SUBMITTED
    assert not Movement.objects.filter(reference=st.number).exists() and stock(bra, hz) == (10, 9)
    # Returned for a recount, the counter finds the goods.
    services.return_stocktake(actor=manager, stocktake=st, reason="请复盘")
    services.set_stocktake_count(actor=counter, stocktake=st, sku=bra, location=loc(hz, "A-01-01"), counted=10)
    services.submit_stocktake(actor=counter, stocktake=st)
    services.approve_stocktake(actor=manager, stocktake=st)
    assert stock(bra, hz) == (10, 9)
    ledger_ok()


def test_count_uses_the_book_at_count_time(shelves, hz, loc, make_user, manager, ledger_ok):
    """Goods shipped between the snapshot and the count are no shortage."""
    bra, _brf, _sock = shelves
    counter = make_user("warehouse")
    st = services.start_stocktake(actor=counter, warehouse=hz, zone=hz.zone_a)
    engine.consume(engine.reserve(bra, 3, "order:7", warehouse=hz).reservation)
    a1 = loc(hz, "A-01-01")
    for _ in range(7):
        services.record_scan(actor=counter, stocktake=st, code="BRA-75B", location=a1)
    with pytest.raises(ServiceError) as err:
        services.submit_stocktake(actor=counter, stocktake=st)
    assert err.value.code == "uncounted_lines" and "BRF-M@A-01-02" in err.value.message
    services.submit_stocktake(actor=counter, stocktake=st, zero_uncounted=True)
    lines = {line.sku.code: line for line in st.lines.select_related("sku")}
    assert (lines["BRA-75B"].expected, lines["BRA-75B"].book, lines["BRA-75B"].counted) == (10, 7, 7)
    assert lines["BRA-75B"].variance == 0 and lines["BRF-M"].variance == -5
    services.approve_stocktake(actor=manager, stocktake=st)
    assert stock(bra, hz) == (7, 0)
    ledger_ok()


def test_stocktake_rules(shelves, hz, make_user, manager):
    counter = make_user("merchandiser")
    st = services.start_stocktake(actor=counter, warehouse=hz)
    assert st.lines.count() == 3
    with pytest.raises(Conflict) as err:
        services.start_stocktake(actor=counter, warehouse=hz, zone=hz.zone_b)
    assert st.number in err.value.message
    with pytest.raises(ServiceError) as err:
        services.record_scan(actor=counter, stocktake=st, code="BRA-75B")
    assert err.value.code == "no_location"
    with pytest.raises(ServiceError) as err:
        services.record_scan(actor=counter, stocktake=st, code="12")
    assert err.value.code == "no_sku"
    with pytest.raises(NotAllowed):
        services.start_stocktake(actor=make_user("cs_presales"), warehouse=hz)
    services.cancel_stocktake(actor=counter, stocktake=st, reason="重新开始")
    with pytest.raises(Conflict):
        services.record_scan(actor=counter, stocktake=st, code="A-01-01")
    assert Stocktake.objects.get(pk=st.pk).state == Stocktake.State.CANCELLED
    assert services.start_stocktake(actor=counter, warehouse=hz, zone=hz.zone_b).lines.count() == 1
    assert engine.verify_ledger() == []


def _scan(client, st, code):
    return client.post(f"/inventory/stocktakes/{st.number}/scan/", {"code": code}, HTTP_HX_REQUEST="true")


def test_scanner_counting_endpoint(shelves, hz, client_for):
    """Each scan of a barcode adds 1 at the chosen location and flashes the row; an unknown barcode is an error
    line and counts nothing; a typed number sets the count of the last scanned SKU."""
    bra, _brf, _sock = shelves
    client = client_for("warehouse")
    st = services.start_stocktake(actor=client.user, warehouse=hz, zone=hz.zone_a)
    page = client.get(f"/inventory/stocktakes/{st.number}/count/").content.decode()
    assert 'data-scan-input' in page and "inventory/scan.js" in page and 'hx-post=' in page

    html = _scan(client, st, "6901000000011").content.decode()
    assert 'class="scan-error"' in html and not StocktakeLine.objects.filter(counted__isnull=False).exists()

    html = _scan(client, st, "A-01-01").content.decode()
    assert html.startswith('<div id="scan-result"') and "A-01-01" in html and "<html" not in html
    for expected in (1, 2, 3):
        html = _scan(client, st, "6901000000011").content.decode()
        line = StocktakeLine.objects.get(stocktake=st, sku=bra)
        assert line.counted == expected
        assert f'id="line-{line.pk}" class="flash' in html and "scan-ok" in html
    events = AuditEvent.objects.filter(action="inventory.count_stocktake").count()
    assert events == 3

    html = _scan(client, st, "9999999999999").content.decode()
    assert 'class="scan-error"' in html and "9999999999999" in html and "scan-bad" in html
    assert StocktakeLine.objects.get(stocktake=st, sku=bra).counted == 3
    assert AuditEvent.objects.filter(action="inventory.count_stocktake").count() == events

    html = _scan(client, st, "24").content.decode()
    assert StocktakeLine.objects.get(stocktake=st, sku=bra).counted == 24
    line = StocktakeLine.objects.get(stocktake=st, sku=bra)
    html = client.post(f"/inventory/stocktakes/{st.number}/lines/{line.pk}/", {"counted": "10"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert StocktakeLine.objects.get(pk=line.pk).counted == 10 and "flash" in html
    html = client.post(f"/inventory/stocktakes/{st.number}/lines/{line.pk}/", {"counted": "-1"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert 'class="scan-error"' in html and StocktakeLine.objects.get(pk=line.pk).counted == 10
    # Without htmx the form still works (redirect back to the counting screen).
    plain = client.post(f"/inventory/stocktakes/{st.number}/scan/", {"code": "6901000000011"})
    assert plain.status_code == 302 and StocktakeLine.objects.get(pk=line.pk).counted == 11
    # Someone without the count permission may not scan.
    assert client_for("cs_presales").post(f"/inventory/stocktakes/{st.number}/scan/",
                                          {"code": "A-01-01"}).status_code == 403
    assert engine.verify_ledger() == []


def test_variance_page_and_export(shelves, hz, loc, client_for, make_user, manager):
    bra, _brf, _sock = shelves
    counter = make_user("warehouse")
    st = services.start_stocktake(actor=counter, warehouse=hz, zone=hz.zone_a)
    services.set_stocktake_count(actor=counter, stocktake=st, sku=bra, location=loc(hz, "A-01-01"), counted=9)
    boss = client_for("manager")
    html = boss.get(f"/inventory/stocktakes/{st.number}/", {"tab": "all"}).content.decode()
    assert "BRA-75B" in html and "¥-35.00" in html
    keeper_html = client_for("warehouse").get(f"/inventory/stocktakes/{st.number}/").content.decode()
    assert "¥-35.00" not in keeper_html  # no cost prices for the warehouse post
    response = boss.get(f"/inventory/stocktakes/{st.number}/report.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_row=3)]
    assert rows[0][:7] == ["A-01-01", "BRA-75B", "无钢圈文胸", 10, 10, 9, -1]
    assert Decimal(str(rows[0][7])) == Decimal("-35.00")
    assert engine.verify_ledger() == []
