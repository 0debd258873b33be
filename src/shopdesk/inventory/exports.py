"""Excel (xlsx) versions of the warehouse reports (日报表/周报表/月报表 and the stocktake report, 000:507)."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def _sheet(wb, title: str, header: list, rows: list, first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title[:31]
    ws.append([str(h) for h in header])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for i, h in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, min(40, len(str(h)) * 2 + 2))
    ws.freeze_panes = "A2"
    return ws


def _bytes(wb) -> bytes:
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def stock_report_xlsx(report) -> bytes:
    """Two sheets: the in/out summary by movement type, and opening / each type / closing per SKU."""
    wb = Workbook()
    where = report.warehouse.name if report.warehouse else gettext("All warehouses")
    summary = _sheet(wb, gettext("Summary"), [gettext("Movement type"), gettext("Units in"), gettext("Units out"),
                                              gettext("Movements")],
                     [[str(r["label"]), r["units_in"], r["units_out"], r["movements"]] for r in report.by_type],
                     first=True)
    summary.insert_rows(1, 2)
    summary["A1"] = gettext("Warehouse report %(start)s – %(end)s, %(where)s") % {
        "start": report.start.isoformat(), "end": report.end.isoformat(), "where": where}
    summary["A1"].font = Font(bold=True)
    summary.freeze_panes = "A4"
    header = [gettext("SKU code"), gettext("Product"), gettext("Opening on hand"),
              *[str(label) for _t, label in report.types], gettext("Closing on hand")]
    rows = [[r["sku"].code, r["sku"].product.name, r["opening"], *r["by_type"], r["closing"]] for r in report.rows]
    rows.append([gettext("Total"), "", report.totals["opening"], *report.totals["by_type"], report.totals["closing"]])
    _sheet(wb, gettext("Stock"), header, rows)
    return _bytes(wb)


def variance_report_xlsx(report, *, with_value: bool) -> bytes:
    """盘点报表: every line (expected, book at count, counted, variance, value at cost) and the totals."""
    wb = Workbook()
    header = [gettext("Location"), gettext("SKU code"), gettext("Product"), gettext("Expected"),
              gettext("Book at count"), gettext("Counted"), gettext("Variance")]
    if with_value:
        header.append(gettext("Value at cost"))
    rows = []
    for line in report.lines:
        row = [line.location.code, line.sku.code, line.sku.product.name, line.expected, line.book, line.counted,
               line.variance]
        if with_value:
            row.append(line.value)
        rows.append(row)
    ws = _sheet(wb, report.stocktake.number, header, rows, first=True)
    ws.append([])
    ws.append([gettext("Surplus units"), report.surplus_units])
    ws.append([gettext("Shortage units"), report.shortage_units])
    if with_value:
        ws.append([gettext("Surplus value"), report.surplus_value])
        ws.append([gettext("Shortage value"), report.shortage_value])
    return _bytes(wb)
