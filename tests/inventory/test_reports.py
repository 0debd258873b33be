"""Warehouse reports (日报表/周报表/月报表, 000:507): in/out by movement type, opening and closing on hand per SKU,
xlsx export; the month close page (月结)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from openpyxl import load_workbook

from shopdesk.core import clock
from shopdesk.core.errors import NotAllowed
from shopdesk.inventory import engine, selectors, services
from shopdesk.inventory.models import ClosedPeriod, Movement, WarehouseStock
from shopdesk.inventory.services import LineInput


@pytest.fixture
def week(hz, jdw, make_sku, put, loc):
    """Week of Monday 2026-11-02: receipt 10, put-away 6, shipment 3, transfer of 2 to JDQ, damage 1."""
    sku = make_sku("BRA-75B", name="无钢圈文胸")
    other = make_sku("SOCK-1", name="船袜")
    with clock.freeze(date(2026, 10, 20)):
        put(other, hz, "A-01-03", 4, day=date(2026, 10, 20))
    with clock.freeze(date(2026, 11, 2)):
        put(sku, hz, "RCV-01", 10, day=date(2026, 11, 2), reference="RK-1")
    with clock.freeze(date(2026, 11, 3)):
        engine.move(sku=sku, from_location=loc(hz, "RCV-01"), to_location=loc(hz, "A-01-01"), quantity=6,
                    reference="RK-1")
        engine.consume(engine.reserve(sku, 3, "order:1", warehouse=hz).reservation)
    with clock.freeze(date(2026, 11, 4)):
        transfer = services.create_transfer(actor=None, from_warehouse=hz, to_warehouse=jdw,
                                            lines=[LineInput(sku, 2)])
        services.dispatch_transfer(actor=None, transfer=transfer)
    with clock.freeze(date(2026, 11, 5)):
        services.receive_transfer(actor=None, transfer=transfer, location=loc(jdw, "J-01"))
        engine.remove(sku=sku, warehouse=hz, quantity=1, reference="DMG-1", movement_type=Movement.Type.DAMAGE)
    return sku, other


def by_type(report):
    return {r["type"]: (r["units_in"], r["units_out"], r["movements"]) for r in report.by_type}


def row(report, sku):
    r = next(r for r in report.rows if r["sku"].pk == sku.pk)
    return {"opening": r["opening"], "closing": r["closing"], **dict(zip(selectors.REPORT_TYPES, r["by_type"],
                                                                        strict=True))}


def test_daily_weekly_monthly_numbers(week, hz, jdw, ledger_ok):
    sku, other = week
    day = selectors.stock_report("day", date(2026, 11, 3), hz)
    assert (day.start, day.end) == (date(2026, 11, 3), date(2026, 11, 3))
    assert by_type(day)["move"] == (6, 6, 2) and by_type(day)["shipment"] == (0, 3, 1)
    r = row(day, sku)
    assert (r["opening"], r["receipt"], r["shipment"], r["closing"]) == (10, 0, -3, 7)
    assert row(day, other)["opening"] == row(day, other)["closing"] == 4

    wk = selectors.stock_report("week", date(2026, 11, 5), hz)
    assert (wk.start, wk.end) == (date(2026, 11, 2), date(2026, 11, 8))
    r = row(wk, sku)
    assert (r["opening"], r["receipt"], r["shipment"], r["transfer_out"], r["damage"], r["closing"]) == (
        0, 10, -3, -2, -1, 4)
    assert r["closing"] == WarehouseStock.objects.get(sku=sku, warehouse=hz).on_hand
    assert wk.totals["opening"] == 4 and wk.totals["closing"] == 8

    everywhere = selectors.stock_report("week", date(2026, 11, 5))
    r = row(everywhere, sku)
    assert (r["transfer_out"], r["transfer_in"], r["closing"]) == (-2, 2, 6)
    assert by_type(everywhere)["transfer_in"] == (2, 0, 1)

    month = selectors.stock_report("month", date(2026, 11, 20), jdw)
    assert (month.start, month.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert [(x["sku"].code, x["opening"], x["closing"]) for x in month.rows] == [("BRA-75B", 0, 2)]
    october = selectors.stock_report("month", date(2026, 10, 1), hz)
    assert [(x["sku"].code, x["closing"]) for x in october.rows] == [("SOCK-1", 4)]
    assert selectors.shift_period("month", date(2026, 11, 1), -1) == date(2026, 10, 1)
    assert selectors.shift_period("week", date(2026, 11, 4), 1) == date(2026, 11, 9)
    ledger_ok()


def test_report_page_and_xlsx_export(week, hz, client_for):
    sku, _other = week
    client = client_for("warehouse")
    html = client.get("/inventory/reports/", {"period": "week", "date": "2026-11-05", "warehouse": hz.code}) \
        .content.decode()
    assert 'data-sku="BRA-75B"' in html and "2026-11-02" in html
    response = client.get("/inventory/reports/export.xlsx", {"period": "week", "date": "2026-11-05",
                                                             "warehouse": hz.code})
    assert response.status_code == 200 and "stock-week-20261102-HZ.xlsx" in response["Content-Disposition"]
    wb = load_workbook(BytesIO(response.content))
    summary, stock = wb.worksheets
    assert "2026-11-02" in summary["A1"].value
    header = [c.value for c in stock[1]]
    all_rows = list(stock.iter_rows(min_row=2, values_only=True))
    rows = {r[0]: r for r in all_rows}
    bra = dict(zip(header, rows["BRA-75B"], strict=True))
    assert bra[header[2]] == 0 and bra[header[-1]] == 4  # opening, closing
    assert list(rows["BRA-75B"][3:-1]) == [10, -3, -2, 0, 0, 0, -1]  # receipt … damage, move left out
    total = all_rows[-1]
    assert total[2] == 4 and total[-1] == 8
    assert client_for("cs_presales").get("/inventory/reports/").status_code == 403
    assert client_for("cs_presales").get("/inventory/reports/export.xlsx").status_code == 403
    assert engine.verify_ledger() == []


def test_month_close_page_and_rules(client_for, make_user, manager, api_for):
    with clock.freeze(date(2026, 11, 10)):
        finance = client_for("finance")
        page = finance.get("/inventory/periods/").content.decode()
        assert 'value="2026-10-01"' in page
        response = finance.post("/inventory/periods/", {"month": "2026-10-01"})
        assert response.status_code == 302 and ClosedPeriod.objects.filter(month=date(2026, 10, 1)).exists()
        assert "2026-10" in finance.get("/inventory/periods/").content.decode()
        with pytest.raises(NotAllowed):
            services.close_month(actor=make_user("warehouse"), month=date(2026, 9, 1))
        assert client_for("warehouse").get("/inventory/periods/").status_code == 403
        api = api_for("manager")
        created = api.post("/api/v1/closed-periods/", {"month": "2026-09"}, format="json")
        assert created.status_code == 201 and created.json()["month"] == "2026-09"
        again = api.post("/api/v1/closed-periods/", {"month": "2026-09"}, format="json")
        assert again.status_code == 409 and again.json()["error"]["code"] == "already_closed"
        current = api.post("/api/v1/closed-periods/", {"month": "2026-11"}, format="json")
        assert current.status_code == 400 and "month" in current.json()["error"]["fields"]
        assert [p["month"] for p in api.get("/api/v1/closed-periods/").json()["results"]] == ["2026-10", "2026-09"]


def test_stock_verify_command(hz, make_sku, put, capsys):
    from shopdesk import cli
    from shopdesk.inventory.models import LocationStock

    sku = make_sku("CLI-1")
    put(sku, hz, "A-01-01", 3)
    assert cli.main(["stock", "verify"]) == 0
    assert capsys.readouterr().out.strip() == "ledger OK"
    LocationStock.objects.filter(sku=sku).update(on_hand=5)  # a figure changed behind the ledger's back
    assert cli.main(["stock", "verify"]) == 1
    captured = capsys.readouterr()
    assert f"sku {sku.pk} location" in captured.out and "problems" in captured.err
