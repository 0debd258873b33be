"""The warehouse stations (仓库工作台) under /fulfilment/: the stage board, print batches with their PDFs, the pick
screen, the two-person check station, the ship station and the hand-over lists.

Made for two people and a barcode scanner: a scanner types the code and presses Enter, so every scan box is a form
with an autofocused text input; the answer comes back as an htmx swap of the station's board and station.js puts the
cursor back in the box, beeping on a refusal. Without JavaScript the forms post normally and come back with a
message. Thin like every page: read through the selectors (scoped to the person's shops, so another shop's order is
404), write through one service call, turn refusals into messages.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.fulfillment import printing, selectors, services
from shopdesk.fulfillment.forms import (
    BatchFilterForm,
    ConfirmCheckForm,
    HandoverForm,
    NewBatchForm,
    PackForm,
    ScanForm,
    WaybillForm,
)
from shopdesk.fulfillment.models import Carrier, PrintBatch, PrintLog
from shopdesk.orders.models import Status
from shopdesk.staff.roles import UNMASK_PERSONAL_DATA
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx, posted_ids
from shopdesk.web.tables import Column, Table

VIEW_BATCH = "fulfillment.view_printbatch"
VIEW_HANDOVER = "fulfillment.view_handover"
FULFIL = services.FULFIL
DOCUMENTS = {
    "pick_list": _("Pick list"),
    "dispatch_notes": _("Dispatch notes"),
    "labels": _("Waybill labels"),
}
PERSONAL_DOCUMENTS = {"dispatch_notes", "labels"}  # they carry the buyer's name, phones and address in clear
QUEUE_PAGE = 100


def _back(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


# --- the stage board ------------------------------------------------------------------------------------------------


@permission_required(VIEW_BATCH, raise_exception=True)
def home(request):
    """仓库工作台: how many orders wait at each stage of the person's shops, with the stations."""
    user = request.user
    return render(request, "fulfillment/warehouse/home.html", {
        "counts": selectors.stage_counts(user),
        "carriers": selectors.handover_waiting_by_carrier(user),
        "recent": selectors.batches(user).order_by("-created_at", "-id")[:5],
    })


# --- print batches ----------------------------------------------------------------------------------------------------


@permission_required(VIEW_BATCH, raise_exception=True)
def batch_list(request):
    table = Table(
        request, selectors.batches(request.user),
        columns=[Column("number", _("Batch"), "number"), Column("created", _("Created"), "created_at"),
                 Column("by", _("Printed by")), Column("carrier", _("Carrier"), "carrier"),
                 Column("orders", _("Orders"), "order_count", "num"), Column("to_pick", _("To pick"), "", "num"),
                 Column("to_check", _("To check"), "", "num"), Column("to_ship", _("To ship"), "", "num"),
                 Column("shipped", _("Shipped"), "", "num"), Column("held", _("On hold"), "", "num")],
        row_template="fulfillment/warehouse/rows/batch.html", default_sort="-created_at",
        empty_text=_("No batches yet: print the verified orders from “New batch”."),
    )
    return render(request, "fulfillment/warehouse/batches.html", {"table": table})


def _queue(request):
    shops = shops_visible_to(request.user).order_by("code")
    carriers = list(Carrier.objects.filter(is_active=True).values_list("name", flat=True))
    filters = BatchFilterForm(request.GET, shops=shops, carriers=carriers)  # a POST keeps the list's filters
    return filters, filters.apply(selectors.printable_orders(request.user))


@permission_required(services.BATCH, raise_exception=True)
def batch_new(request):
    """新建批次: the verified orders waiting to print, ship-today first, then by payment time; tick some or print
    the first N of the (filtered) list."""
    filters, queue = _queue(request)
    form = NewBatchForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        by_count = request.POST.get("action") == "first"
        ids = [] if by_count else posted_ids(request)
        first = form.cleaned_data["first"] if by_count else None
        if not ids and not first:
            form.add_error(None, gettext("Tick the orders to print, or enter how many of the first orders."))
        else:
            chosen = list(queue.filter(pk__in=ids)) if ids else list(queue[:first])
            if ids and len(chosen) != len(set(ids)):
                form.add_error(None, gettext("Some ticked orders can no longer be printed (printed by a colleague, "
                                             "changed or put on hold): the list is refreshed, tick them again."))
            else:
                try:
                    result = services.create_batch(actor=request.user, orders=chosen)
                except ServiceError as exc:
                    add_service_error(form, exc)
                else:
                    batch = result.batch
                    messages.success(request, ngettext(
                        "Batch %(batch)s: %(n)d order printed.", "Batch %(batch)s: %(n)d orders printed.",
                        batch.order_count) % {"batch": batch.number, "n": batch.order_count})
                    if result.without_number:
                        messages.warning(request, gettext(
                            "No waybill number for %(n)d orders (their carrier has no number pool, or it is used up): "
                            "%(nos)s. Enter their numbers from the batch page.") % {
                            "n": len(result.without_number), "nos": "、".join(result.without_number[:20])})
                    return redirect("fulfillment:batch", pk=batch.pk)
    page = Paginator(queue.prefetch_related("lines"), QUEUE_PAGE).get_page(request.GET.get("page"))
    return render(request, "fulfillment/warehouse/batch_new.html", {
        "filters": filters, "form": form, "page": page, "total": page.paginator.count,
        "query": _without_page(request), "limit": services.BATCH_LIMIT})


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _batch(request, pk) -> PrintBatch:
    return get_object_or_404(selectors.batches(request.user), pk=pk)


def _order_progress(order) -> None:
    lines = list(order.lines.all())
    order.line_total = sum(ln.quantity for ln in lines)
    order.line_picked = sum(getattr(getattr(ln, "work", None), "picked", 0) for ln in lines)
    order.line_checked = sum(getattr(getattr(ln, "work", None), "checked", 0) for ln in lines)


@permission_required(VIEW_BATCH, raise_exception=True)
def batch_detail(request, pk):
    """批次: its orders and their stage, the three documents to print (first print and reprints in the log), the
    orders still without a waybill number."""
    batch = _batch(request, pk)
    orders = list(selectors.batch_orders(request.user, batch))
    for order in orders:
        _order_progress(order)
    prints = list(selectors.print_log(batch))
    printed = {p.document for p in prints}
    user = request.user
    can_print = user.has_perm(FULFIL)
    documents = [{"key": key, "label": label, "printed": key in printed,
                  "allowed": can_print and (key not in PERSONAL_DOCUMENTS or user.has_perm(UNMASK_PERSONAL_DATA)),
                  "url": reverse("fulfillment:batch_document", args=[batch.pk, key])}
                 for key, label in DOCUMENTS.items()]
    return render(request, "fulfillment/warehouse/batch_detail.html", {
        "batch": batch, "orders": orders, "prints": prints, "documents": documents,
        "without_number": [o for o in orders if not o.tracking_no and o.status in selectors.IN_WAREHOUSE],
        "to_pick": sum(1 for o in orders if o.status == Status.PRINTED and not o.on_hold),
        "can_fulfil": can_print})


_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")


def page_count(pdf: bytes) -> int:
    """Pages of a PDF written by ReportLab (one page object each; it writes no object streams)."""
    return len(_PAGE.findall(pdf))


def build_document(user, batch: PrintBatch, document: str) -> bytes:
    """The document's PDF for the batch's orders of the person's shops (constant queries whatever the size)."""
    orders = selectors.document_orders(user, batch)
    if not orders:
        raise Conflict(gettext("Batch %(batch)s has no order to print (cancelled, on hold or in after-sales).")
                       % {"batch": batch.number}, code="nothing_to_print")
    if document == PrintLog.Document.PICK_LIST:
        return printing.render_pick_list(**selectors.pick_list_document(batch, orders))
    if document == PrintLog.Document.DISPATCH_NOTES:
        return printing.render_dispatch_notes(selectors.dispatch_notes(orders))
    return printing.render_labels(selectors.labels(orders, printed_at=clock.localnow()))


def pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: not kept by the browser
    return response


def check_document_perms(user, document: str) -> None:
    if document not in DOCUMENTS:
        raise Http404
    if not user.has_perm(FULFIL):
        raise PermissionDenied
    if document in PERSONAL_DOCUMENTS and not user.has_perm(UNMASK_PERSONAL_DATA):
        raise PermissionDenied(gettext("Labels and dispatch notes carry the buyer's phones and address: they need "
                                       "the permission to see personal data."))


@permission_required(VIEW_BATCH, raise_exception=True)
def batch_document(request, pk, document):
    """The pick list, dispatch notes or labels of the batch as a PDF; each download is logged as a print (the
    second and later as reprints)."""
    check_document_perms(request.user, document)
    batch = _batch(request, pk)
    try:
        pdf = build_document(request.user, batch, document)
        services.record_print(actor=request.user, batch=batch, document=document, pages=page_count(pdf))
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("fulfillment:batch", pk=batch.pk)
    return pdf_response(pdf, f"{batch.number}-{document}.pdf")


# --- picking ----------------------------------------------------------------------------------------------------------


def _pick_context(request, batch, *, result=None, error: str = "", flash=None) -> dict:
    orders = list(selectors.batch_orders(request.user, batch))
    stops = selectors.pick_board(orders)
    live = [o for o in orders if o.status in selectors.DOCUMENT_STATES and not o.on_hold]
    return {"batch": batch, "stops": stops, "result": result, "error": error, "flash": flash,
            "form": ScanForm(), "orders_total": len(live),
            "orders_picked": sum(1 for o in live if o.status != Status.PRINTED),
            "held": [o for o in orders if o.on_hold and o.status == Status.PRINTED],
            "open_stops": sum(1 for s in stops if not s.done)}


def _pick_response(request, batch, **kw):
    if is_htmx(request):
        return render(request, "fulfillment/warehouse/partials/pick_board.html", _pick_context(request, batch, **kw))
    if kw.get("error"):
        messages.error(request, kw["error"])
    elif kw.get("result") is not None:
        (messages.success if kw["result"].ok else messages.error)(request, kw["result"].message)
    return redirect("fulfillment:pick", pk=batch.pk)


@permission_required(FULFIL, raise_exception=True)
def pick(request, pk):
    """拣货: the batch's stops in walking order; tap a stop when its items are in the basket, or scan each item."""
    batch = _batch(request, pk)
    return render(request, "fulfillment/warehouse/pick.html", _pick_context(request, batch))


@permission_required(FULFIL, raise_exception=True)
@require_POST
def pick_scan(request, pk):
    batch = _batch(request, pk)
    form = ScanForm(request.POST)
    if not form.is_valid():
        return _pick_response(request, batch, error=gettext("Scan an item's barcode."))
    try:
        result = services.pick_scan(actor=request.user, batch=batch, code=form.cleaned_data["code"])
    except ServiceError as exc:
        return _pick_response(request, batch, error=exc.message)
    return _pick_response(request, batch, result=result, flash=result.line_id)


@permission_required(FULFIL, raise_exception=True)
@require_POST
def pick_stop(request, pk):
    """A tap on a stop: its open lines are picked."""
    batch = _batch(request, pk)
    ids = posted_ids(request, "lines")
    lines = list(selectors.batch_lines(request.user, batch).filter(pk__in=ids))
    if not lines:
        return _pick_response(request, batch, error=gettext("Nothing left to pick at this stop."))
    try:
        services.pick_lines(actor=request.user, lines=lines)
    except ServiceError as exc:
        return _pick_response(request, batch, error=exc.message)
    n = sum(ln.quantity for ln in lines)
    result = services.PickScanResult(True, ngettext("%(n)d item picked.", "%(n)d items picked.", n) % {"n": n}, "ok")
    return _pick_response(request, batch, result=result, flash=lines[0].pk)


# --- the waybill number entered by hand -------------------------------------------------------------------------------


@permission_required(FULFIL, raise_exception=True)
def waybill(request, pk):
    """录入快递单号: the carrier and waybill number of one order (its carrier had no number left, or the label
    was written by the carrier's own system)."""
    order = get_object_or_404(selectors.warehouse_orders(request.user).select_related("work__batch"), pk=pk)
    batch = getattr(getattr(order, "work", None), "batch", None)
    back = _back(request, reverse("fulfillment:batch", args=[batch.pk]) if batch else reverse("fulfillment:warehouse"))
    form = WaybillForm(request.POST or None, current=order.carrier)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_waybill(actor=request.user, order=order, carrier=form.cleaned_data["carrier"],
                                 tracking_no=form.cleaned_data["tracking_no"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Order %(no)s: waybill number %(tracking)s saved.") % {
                "no": order.platform_order_no, "tracking": form.cleaned_data["tracking_no"].strip().upper()})
            return redirect(back)
    return render(request, "fulfillment/warehouse/waybill.html", {"order": order, "form": form, "back": back})


# --- the two-person check and packing ---------------------------------------------------------------------------------


@permission_required(FULFIL, raise_exception=True)
def check(request):
    """验货台: scan the order number or the label's waybill number to open the order."""
    code = (request.GET.get("code") or "").strip()
    error = ""
    if code:
        order = selectors.find_order(request.user, code)
        if order is not None:
            return redirect("fulfillment:check_order", pk=order.pk)
        error = gettext("No order of your shops has the number %(code)s.") % {"code": code}
    return render(request, "fulfillment/warehouse/check.html", {"error": error, "code": code,
                                                                "form": ScanForm(initial={"code": ""})})


def _check_state(request, order) -> dict:
    work = getattr(order, "work", None)
    lines = list(order.lines.all())
    for line in lines:
        line_work = getattr(line, "work", None)
        line.picked = line_work.picked if line_work else 0
        line.checked = line_work.checked if line_work else 0
    complete = bool(lines) and all(ln.checked >= ln.quantity for ln in lines)
    confirmed = bool(work and work.quality_ok and work.checked_at)
    same_person = bool(work and work.picked_by_id == request.user.pk and order.status == Status.PICKED)
    if order.status == Status.PACKED or order.status in (Status.SHIPPED, Status.DELIVERED, Status.COMPLETED):
        step = "done"
    elif order.status != Status.PICKED or order.on_hold or same_person:
        step = "blocked"
    elif not complete:
        step = "scan"
    elif not confirmed:
        step = "confirm"
    else:
        step = "pack"
    return {"order": order, "work": work, "lines": lines, "step": step, "same_person": same_person,
            "units": sum(ln.quantity for ln in lines), "units_checked": sum(min(ln.checked, ln.quantity)
                                                                            for ln in lines)}


def _check_context(request, order, *, result=None, error: str = "", error_code: str = "", notice: str = "",
                   confirm_form=None, pack_form=None) -> dict:
    order = selectors.check_order(request.user, order.pk)
    return {**_check_state(request, order), "result": result, "error": error, "error_code": error_code,
            "notice": notice, "scan_form": ScanForm(), "confirm_form": confirm_form or ConfirmCheckForm(),
            "pack_form": pack_form or PackForm(), "find_form": ScanForm()}


def _check_response(request, order, **kw):
    if is_htmx(request):
        return render(request, "fulfillment/warehouse/partials/check_board.html", _check_context(request, order, **kw))
    if kw.get("error"):
        messages.error(request, kw["error"])
    elif kw.get("result") is not None:
        (messages.success if kw["result"].ok else messages.error)(request, kw["result"].message)
    elif kw.get("notice"):
        messages.success(request, kw["notice"])
    return redirect("fulfillment:check_order", pk=order.pk)


def _check_target(request, pk):
    return get_object_or_404(selectors.warehouse_orders(request.user), pk=pk)


@permission_required(FULFIL, raise_exception=True)
def check_order(request, pk):
    order = _check_target(request, pk)
    return render(request, "fulfillment/warehouse/check_order.html", _check_context(request, order))


@permission_required(FULFIL, raise_exception=True)
@require_POST
def check_scan(request, pk):
    order = _check_target(request, pk)
    form = ScanForm(request.POST)
    if not form.is_valid():
        return _check_response(request, order, error=gettext("Scan an item's barcode."))
    code = form.cleaned_data["code"]
    if not selectors.order_has_item(order, code):
        # Not an item of this order: the next order's number or waybill number opens that order.
        other = selectors.find_order(request.user, code)
        if other is not None and other.pk != order.pk:
            url = reverse("fulfillment:check_order", args=[other.pk])
            if is_htmx(request):
                response = HttpResponse(status=200)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        if other is not None:
            return _check_response(request, order)
    try:
        result = services.check_scan(actor=request.user, order=order, code=code)
    except ServiceError as exc:
        return _check_response(request, order, error=exc.message, error_code=exc.code)
    return _check_response(request, order, result=result)


@permission_required(FULFIL, raise_exception=True)
@require_POST
def check_confirm(request, pk):
    order = _check_target(request, pk)
    form = ConfirmCheckForm(request.POST)
    form.is_valid()
    try:
        services.confirm_check(actor=request.user, order=order, quality_ok=form.cleaned_data.get("quality_ok", False))
    except ServiceError as exc:
        return _check_response(request, order, error=exc.message, error_code=exc.code, confirm_form=form)
    return _check_response(request, order, notice=gettext("Check passed: pack order %(no)s.")
                           % {"no": order.platform_order_no})


@permission_required(FULFIL, raise_exception=True)
@require_POST
def check_pack(request, pk):
    order = _check_target(request, pk)
    form = PackForm(request.POST)
    if not form.is_valid():
        return _check_response(request, order, error=gettext("Check the weight and the packing material."),
                               pack_form=form)
    try:
        services.pack_order(actor=request.user, order=order, weight_kg=form.cleaned_data["weight_kg"],
                            packing_material=form.cleaned_data["packing_material"])
    except ServiceError as exc:
        add_service_error(form, exc)
        return _check_response(request, order, error=exc.message, error_code=exc.code, pack_form=form)
    return _check_response(request, order, notice=gettext("Order %(no)s packed: put it on the shipping shelf and "
                                                          "scan the next order.") % {"no": order.platform_order_no})


# --- shipping and the hand-over ---------------------------------------------------------------------------------------


def _ship_context(request, *, shipment=None, error: str = "", stop: bool = False, code: str = "") -> dict:
    user = request.user
    return {"shipment": shipment, "error": error, "stop": stop, "code": code, "form": ScanForm(),
            "carriers": selectors.handover_waiting_by_carrier(user), "shipped": list(selectors.shipped_today(user)),
            "can_hand_over": user.has_perm(services.HANDOVER)}


@permission_required(FULFIL, raise_exception=True)
def ship(request):
    """发货台: scan each packed parcel's waybill number as it leaves; the parcels waiting for the courier, per
    carrier, go on the hand-over list."""
    return render(request, "fulfillment/warehouse/ship.html", _ship_context(request))


@permission_required(FULFIL, raise_exception=True)
@require_POST
def ship_scan(request):
    form = ScanForm(request.POST)
    code = form.data.get("code", "").strip()
    kw: dict = {"code": code}
    if not code:
        kw["error"] = gettext("Scan the waybill number on the label.")
    else:
        # Only a parcel of the person's shops: another shop's number is unknown here.
        if not selectors.find_parcel(request.user, code):
            kw["error"] = gettext("No parcel has the waybill number %(no)s.") % {"no": code.upper()}
        else:
            try:
                kw["shipment"] = services.scan_to_ship(actor=request.user, code=code)
            except Conflict as exc:
                kw["error"], kw["stop"] = exc.message, exc.code == "stop_parcel"
            except ServiceError as exc:
                kw["error"] = exc.message
    if is_htmx(request):
        return render(request, "fulfillment/warehouse/partials/ship_board.html", _ship_context(request, **kw))
    if kw.get("error"):
        messages.error(request, kw["error"])
    else:
        messages.success(request, gettext("Shipped: %(no)s.") % {"no": kw["shipment"].tracking_no})
    return redirect("fulfillment:ship")


@permission_required(services.HANDOVER, raise_exception=True)
@require_POST
def handover_create(request):
    form = HandoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Choose the carrier of the hand-over list."))
        return redirect("fulfillment:ship")
    try:
        handover = services.create_handover(actor=request.user, carrier=form.cleaned_data["carrier"],
                                            courier_name=form.cleaned_data["courier_name"])
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("fulfillment:ship")
    messages.success(request, gettext("Hand-over list %(no)s: %(n)d parcels. Print it for the courier to sign.")
                     % {"no": handover.number, "n": handover.parcel_count})
    return redirect("fulfillment:handover", pk=handover.pk)


@permission_required(VIEW_HANDOVER, raise_exception=True)
def handover_list(request):
    table = Table(
        request, selectors.handovers(request.user),
        columns=[Column("number", _("Hand-over list"), "number"), Column("created", _("Created"), "created_at"),
                 Column("carrier", _("Carrier"), "carrier"), Column("parcels", _("Parcels"), "parcel_count", "num"),
                 Column("courier", _("Courier"), "courier_name"), Column("by", _("Made by"))],
        row_template="fulfillment/warehouse/rows/handover.html", default_sort="-created_at",
        empty_text=_("No hand-over lists yet: make one at the ship station when the courier comes."),
    )
    return render(request, "fulfillment/warehouse/handovers.html", {"table": table})


@permission_required(VIEW_HANDOVER, raise_exception=True)
def handover_detail(request, pk):
    """交接单, printable: number, carrier, date, parcel count, the parcels and the two signatures."""
    handover = get_object_or_404(selectors.handovers(request.user), pk=pk)
    parcels = list(selectors.handover_parcels(request.user, handover))
    return render(request, "fulfillment/warehouse/handover_detail.html", {
        "handover": handover, "parcels": parcels,
        "weight": sum((p.weight_kg for p in parcels if p.weight_kg is not None), start=0)})

