"""The returns register (退换货登记表, 003:544) under /aftersales/register/: return and exchange lines of a period, per
shop, so returned stock is put back and losses are counted; and the same rows as an .xlsx with the register's Chinese
headers (the department's paper form)."""

from __future__ import annotations

import io

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from shopdesk.aftersales import selectors
from shopdesk.aftersales.forms import RegisterForm
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import spreadsheet

VIEW = "aftersales.view_case"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The columns of the department's register, as the form says them.
HEADERS = ["日期", "售后单", "类型", "订单号", "型号/SKU", "商品", "数量", "实收", "退货运单号", "原因", "处理结果",
           "损失"]


def _register(request):
    form = RegisterForm(request.GET or None, shops=shops_visible_to(request.user).order_by("code"))
    shop, start, end = form.period()
    if not form.is_bound:
        form = RegisterForm(initial={"start": start, "end": end},
                            shops=shops_visible_to(request.user).order_by("code"))
    rows = selectors.returns_register(request.user, shop=shop, start=start, end=end)
    return form, rows, shop, start, end


@permission_required(VIEW, raise_exception=True)
def register(request):
    form, rows, shop, start, end = _register(request)
    return render(request, "aftersales/register.html", {
        "form": form, "rows": rows, "shop": shop, "start": start, "end": end,
        "total_loss": sum((r.loss for r in rows), 0), "total_quantity": sum(r.quantity for r in rows),
        "export_query": request.GET.urlencode()})


def register_xlsx(rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("退换货登记表")
    header = []
    for title in HEADERS:
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for r in rows:
        ws.append(spreadsheet.row(ws, [r.day, r.case, str(r.kind), r.order_no, r.sku, r.title, r.quantity, r.received,
                                       r.return_tracking_no, str(r.reason), r.result, r.loss]))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@permission_required(VIEW, raise_exception=True)
def register_export(request):
    _form, rows, shop, start, end = _register(request)
    response = HttpResponse(register_xlsx(rows), content_type=XLSX)
    name = f"returns-{shop.code + '-' if shop else ''}{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
