"""Logistics pages (物流, product.md §2.4) under /fulfilment/: the tracking import, the logistics exceptions queue
of after-sales customer service, "delivered but disputed", missing-item claims (少货, 003) with the buyer's photo and
the same-day reship, and the monthly courier bill (每月快递费用对账结算, 004:14) with its settlement workbook.

Thin like every page: read through the selectors (scoped to the person's shops, so another shop's parcel or claim is
404), write through one service call, turn refusals into form errors or messages. Buyers are shown masked here; the
order page shows one in clear to a person allowed to (and logs it). The claim photo is streamed by a view that checks
the permission and the shop: it is never a public media URL.
"""

from __future__ import annotations

import io
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.core import masking
from shopdesk.core.errors import ServiceError
from shopdesk.fulfillment import reconcile, selectors, services
from shopdesk.fulfillment.forms_logistics import (
    BillImportForm,
    CloseExceptionForm,
    DisputeForm,
    ExceptionFilter,
    MissingItemForm,
    RejectClaimForm,
    TrackingImportForm,
)
from shopdesk.fulfillment.models import LogisticsException, MissingItemClaim
from shopdesk.fulfillment.uploads import saved_upload
from shopdesk.orders.models import OrderLine, Status
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.orders.views_work import elapsed
from shopdesk.web.files import private_image
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx, posted_ids
from shopdesk.web.tables import Column, Tab, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_EXCEPTIONS = "fulfillment.view_logisticsexception"
VIEW_CLAIMS = "fulfillment.view_missingitemclaim"
VIEW_BILLS = "fulfillment.view_courierbill"
EXCEPTION_ROW = "fulfillment/logistics/rows/exception.html"
CLAIMABLE = (Status.SHIPPED, Status.DELIVERED)


def _file_error(form, exc: ServiceError) -> None:
    """An import's refusal beside the file field: the summary line, then every bad line of the file."""
    lines = exc.fields.get("file") or []
    if lines:
        form.add_error("file", exc.message.split("\n", 1)[0])
        for line in lines:
            form.add_error("file", line)
    else:
        add_service_error(form, exc)


# --- tracking import ----------------------------------------------------------------------------------------------


@permission_required(services.TRACK, raise_exception=True)
def tracking_import(request):
    form = TrackingImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with saved_upload(upload) as path:
                result = services.import_tracking_file(actor=request.user, path=path)
        except ServiceError as exc:
            _file_error(form, exc)
        else:
            messages.success(request, gettext(
                "%(file)s imported: %(added)d new tracking events, %(duplicates)d already known, %(unknown)d for "
                "tracking numbers that are not our parcels.") % {"file": upload.name, **result})
            if result["unknown_numbers"]:
                messages.warning(request, gettext("Not our parcels: %(numbers)s") % {
                    "numbers": "、".join(result["unknown_numbers"])})
            return redirect("fulfillment:tracking_import")
    return render(request, "fulfillment/logistics/tracking_import.html", {"form": form})


# --- the exceptions queue ------------------------------------------------------------------------------------------


def _exception_cells(row) -> None:
    order = row.shipment.order
    row.order = order
    row.buyer_name = masking.mask_name(order.buyer_name)
    row.buyer_phone = masking.mask_phone(order.mobile or order.landline)
    row.age = elapsed(row.opened_at)
    moved = row.shipment.last_event_at or row.shipment.shipped_at
    row.since_moved = elapsed(moved) if moved else ""


def _exception_tabs() -> list[Tab]:
    open_q = Q(state=LogisticsException.State.OPEN)
    return [Tab("open", _("Open"), open_q),
            *(Tab(kind, label, open_q & Q(kind=kind)) for kind, label in LogisticsException.Kind.choices),
            Tab("closed", _("Closed"), Q(state=LogisticsException.State.CLOSED))]


@permission_required(VIEW_EXCEPTIONS, raise_exception=True)
def exceptions(request):
    """The after-sales queue of parcels that need customer service: contact the carrier and the buyer, then close
    the exception saying what was done."""
    table = Table(
        request, selectors.logistics_exceptions(request.user),
        columns=[Column("order", _("Order number"), "shipment__order__platform_order_no"),
                 Column("shop", _("Shop"), "shipment__order__shop__code"), Column("buyer", _("Buyer")),
                 Column("parcel", _("Carrier and tracking number"), "shipment__tracking_no"),
                 Column("kind", _("Problem"), "kind"), Column("event", _("Last event")),
                 Column("age", _("Open for"), "opened_at"), Column("action", "")],
        tabs=_exception_tabs(), filterset_class=ExceptionFilter, row_template=EXCEPTION_ROW,
        default_sort="opened_at", empty_text=_("No logistics exceptions."),
    )
    rows = list(table.rows)
    for row in rows:
        _exception_cells(row)
    table.page.object_list = rows
    return render(request, "fulfillment/logistics/exceptions.html", {
        "table": table, "can_close": request.user.has_perm(services.EXCEPTIONS)})


@permission_required(services.EXCEPTIONS, raise_exception=True)
@require_POST
def exception_close(request, pk):
    exception = get_object_or_404(selectors.logistics_exceptions(request.user), pk=pk)
    form = CloseExceptionForm({"resolution": request.POST.get(f"resolution_{pk}") or request.POST.get("resolution")})
    error = ""
    if not form.is_valid():
        error = gettext("Say how the exception was resolved.")
    else:
        try:
            services.close_exception(actor=request.user, exception=exception,
                                     resolution=form.cleaned_data["resolution"])
        except ServiceError as exc:
            error = exc.message
    exception = selectors.logistics_exceptions(request.user).get(pk=pk)
    no = exception.shipment.order.platform_order_no
    notice = gettext("Exception of order %(no)s closed.") % {"no": no}
    if is_htmx(request):
        _exception_cells(exception)
        return render(request, EXCEPTION_ROW, {
            "row": exception, "row_error": f"{no}: {error}" if error else "", "row_notice": "" if error else notice,
            "can_close": True, "table": SimpleNamespace(batch_actions=[])})
    if error:
        messages.error(request, f"{no}: {error}")
    else:
        messages.success(request, notice)
    return redirect("fulfillment:exceptions")


@permission_required(services.EXCEPTIONS, raise_exception=True)
@require_POST
def exceptions_check(request):
    """Check now: the same stall detection as `shopdesk check-parcels`."""
    opened = services.detect_stalls(actor=request.user)
    if opened:
        messages.warning(request, ngettext("%(n)d parcel has not moved for too long: see the list.",
                                           "%(n)d parcels have not moved for too long: see the list.", opened)
                         % {"n": opened})
    else:
        messages.success(request, gettext("No new parcel without movement."))
    return redirect(reverse("fulfillment:exceptions") + "?tab=stalled")


@permission_required(services.EXCEPTIONS, raise_exception=True)
def dispute(request, pk):
    """Delivered but disputed: customer service opens it from the order page."""
    shipment = get_object_or_404(selectors.shipments_visible_to(request.user).select_related("order__shop"), pk=pk)
    order = shipment.order
    form = DisputeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_disputed(actor=request.user, shipment=shipment, note=form.cleaned_data["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Parcel %(no)s is in the logistics exceptions as disputed.")
                             % {"no": shipment.tracking_no})
            return redirect("orders:detail", pk=order.pk)
    return render(request, "fulfillment/logistics/dispute.html", {
        "form": form, "shipment": shipment, "order": order,
        "title": gettext("Delivered but not received: %(no)s") % {"no": shipment.tracking_no}})


# --- missing items (少货) -------------------------------------------------------------------------------------------


def _claim_cells(row) -> None:
    by_id = {line.pk: line for line in row.order.lines.all()}
    row.items = [{"line": by_id.get(int(k)), "missing": v} for k, v in (row.lines or {}).items()]
    row.buyer_name = masking.mask_name(row.order.buyer_name)


@permission_required(VIEW_CLAIMS, raise_exception=True)
def missing_items(request):
    S = MissingItemClaim.State
    lines = Prefetch("order__lines", queryset=OrderLine.objects.only("id", "order_id", "title", "channel_sku_code",
                                                                      "properties", "quantity"))
    table = Table(
        request, selectors.missing_item_claims(request.user).prefetch_related(lines),
        columns=[Column("reported", _("Reported"), "reported_at"),
                 Column("order", _("Order number"), "order__platform_order_no"),
                 Column("shop", _("Shop"), "order__shop__code"), Column("buyer", _("Buyer")),
                 Column("items", _("Missing")), Column("note", _("Note")), Column("state", _("State"), "state"),
                 Column("action", "")],
        tabs=[Tab("reported", _("To decide"), Q(state=S.REPORTED)), Tab("confirmed", _("Reshipped"),
                                                                        Q(state=S.CONFIRMED)),
              Tab("rejected", _("Rejected"), Q(state=S.REJECTED)), Tab("all", _("All"), Q())],
        row_template="fulfillment/logistics/rows/claim.html", default_sort="reported_at",
        empty_text=_("No missing-item claims."),
    )
    rows = list(table.rows)
    for row in rows:
        _claim_cells(row)
    table.page.object_list = rows
    return render(request, "fulfillment/logistics/claims.html", {"table": table})


@permission_required(services.REPORT_CLAIM, raise_exception=True)
def missing_item_new(request, order_pk):
    order = get_object_or_404(orders_visible_to(request.user), pk=order_pk)
    if order.status not in CLAIMABLE:
        messages.error(request, gettext("Order %(no)s is %(status)s: missing items are reported on shipped or "
                                        "delivered orders.") % {"no": order.platform_order_no,
                                                                "status": order.get_status_display()})
        return redirect("orders:detail", pk=order.pk)
    form = MissingItemForm(request.POST or None, request.FILES or None, order_lines=order.lines.order_by("id"))
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.report_missing_item(actor=request.user, order=order, lines=form.cleaned_data["lines"],
                                                 photo=form.cleaned_data["photo"], note=form.cleaned_data["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Missing items of order %(no)s reported; a supervisor decides on the "
                                              "same-day reship.") % {"no": order.platform_order_no})
            return redirect("fulfillment:missing_item", pk=claim.pk)
    return render(request, "fulfillment/logistics/claim_new.html", {
        "form": form, "order": order, "title": gettext("Report missing items of %(no)s") % {
            "no": order.platform_order_no}})


def _claim(request, pk) -> MissingItemClaim:
    return get_object_or_404(selectors.missing_item_claims(request.user), pk=pk)


@permission_required(VIEW_CLAIMS, raise_exception=True)
def missing_item(request, pk):
    claim = _claim(request, pk)
    can_decide = request.user.has_perm(services.DECIDE_CLAIM) and claim.state == MissingItemClaim.State.REPORTED
    return render(request, "fulfillment/logistics/claim.html", {
        "claim": claim, "items": selectors.claim_lines(claim), "can_decide": can_decide,
        "buyer_name": masking.mask_name(claim.order.buyer_name), "reject_form": RejectClaimForm(),
        "shipments": selectors.order_shipments(claim.order)})


@permission_required(VIEW_CLAIMS, raise_exception=True)
def missing_item_photo(request, pk):
    """The buyer's photo, to people who may see the claim (never a public media URL)."""
    return private_image(_claim(request, pk).photo)


@permission_required(services.DECIDE_CLAIM, raise_exception=True)
@require_POST
def missing_item_confirm(request, pk):
    claim = _claim(request, pk)
    try:
        claim = services.confirm_missing_item(actor=request.user, claim=claim)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Confirmed: reship order %(no)s is made and goes first into today's "
                                          "printing.") % {"no": claim.reship_order.platform_order_no})
    return redirect("fulfillment:missing_item", pk=claim.pk)


@permission_required(services.DECIDE_CLAIM, raise_exception=True)
@require_POST
def missing_item_reject(request, pk):
    claim = _claim(request, pk)
    form = RejectClaimForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Give the reason for rejecting the claim."))
        return redirect("fulfillment:missing_item", pk=claim.pk)
    try:
        services.reject_missing_item(actor=request.user, claim=claim, reason=form.cleaned_data["reason"])
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("The claim is rejected."))
    return redirect("fulfillment:missing_item", pk=claim.pk)


# --- courier bills --------------------------------------------------------------------------------------------------


@permission_required(VIEW_BILLS, raise_exception=True)
def bills(request):
    table = Table(
        request, selectors.courier_bills(),
        columns=[Column("month", _("Month"), "month"), Column("carrier", _("Carrier"), "carrier__name"),
                 Column("file", _("File")), Column("lines", _("Bill lines"), css="num"),
                 Column("problems", _("To check"), css="num"), Column("billed", _("Billed"), "billed_total", "num"),
                 Column("state", _("State"), "state"), Column("imported", _("Imported"), "imported_at")],
        tabs=[Tab("all", _("All"), Q()), Tab("checked", _("To settle"), Q(state="checked")),
              Tab("reconciled", _("Reconciled"), Q(state="reconciled"))],
        row_template="fulfillment/logistics/rows/bill.html", default_sort="-month",
        empty_text=_("No courier bills imported yet."),
    )
    rows = list(table.rows)
    for row in rows:
        counts = row.counts or {}
        row.lines = counts.get("bill_lines", 0)
        row.problems = sum(counts.get(k, 0) for k in reconcile.KINDS if k != "matched")
    table.page.object_list = rows
    return render(request, "fulfillment/logistics/bills.html", {"table": table})


@permission_required(services.ADD_BILL, raise_exception=True)
def bill_import(request):
    form = BillImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with saved_upload(d["file"]) as path:
                bill = services.import_courier_bill(actor=request.user, carrier=d["carrier"], month=d["month"],
                                                    path=path, tolerance=d["tolerance"])
        except ServiceError as exc:
            _file_error(form, exc)
        else:
            messages.success(request, gettext("The %(carrier)s bill of %(month)s is checked.") % {
                "carrier": bill.carrier.name, "month": bill.month})
            return redirect("fulfillment:bill", pk=bill.pk)
    return render(request, "fulfillment/logistics/bill_import.html", {"form": form})


def _bill(pk):
    return get_object_or_404(selectors.courier_bills(), pk=pk)


@permission_required(VIEW_BILLS, raise_exception=True)
def bill_detail(request, pk):
    bill = _bill(pk)
    summary = selectors.bill_summary(bill)
    table = Table(
        request, selectors.bill_findings(bill),
        columns=[Column("kind", _("Kind"), "kind"), Column("tracking", _("Tracking number"), "tracking_no"),
                 Column("line", _("Bill line"), "bill_line", "num"), Column("order", _("Order number"), "order_no"),
                 Column("billed", _("Billed"), "billed_fee", "num"),
                 Column("expected", _("Expected"), "expected_fee", "num"),
                 Column("difference", _("Difference"), "difference", "num"), Column("note", _("Note"))],
        tabs=[Tab("all", _("All findings"), Q()),
              *(Tab(kind, reconcile.KIND_NAMES[kind], Q(kind=kind)) for kind in reconcile.KINDS if kind != "matched")],
        row_template="fulfillment/logistics/rows/finding.html", default_sort="bill_line", page_size=50,
        empty_text=_("Every line of the bill matches our parcels and price rules."),
    )
    return render(request, "fulfillment/logistics/bill.html", {
        "bill": bill, "summary": summary, "table": table, "kind_names": reconcile.KIND_NAMES,
        "can_reconcile": request.user.has_perm(services.CHANGE_BILL) and bill.state == "checked"})


@permission_required(VIEW_BILLS, raise_exception=True)
def bill_settlement(request, pk):
    """The settlement workbook (汇总 and 差异明细) from the stored findings and counts."""
    bill = _bill(pk)
    out = io.BytesIO()
    reconcile.write_settlement(selectors.bill_reconciliation(bill), out, carrier=bill.carrier.name,
                               month=bill.month)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="settlement-{bill.carrier.code}-{bill.month}.xlsx"'
    return response


@permission_required(services.CHANGE_BILL, raise_exception=True)
@require_POST
def bill_reconcile(request, pk):
    bill = _bill(pk)
    try:
        services.mark_bill_reconciled(actor=request.user, bill=bill)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("The %(carrier)s bill of %(month)s is marked reconciled.") % {
            "carrier": bill.carrier.name, "month": bill.month})
    return redirect("fulfillment:bill", pk=bill.pk)


# --- shipping notices -------------------------------------------------------------------------------------------------


NOTICE_ROW = "fulfillment/logistics/rows/notice.html"


@permission_required("fulfillment.view_buyernotice", raise_exception=True)
def notices(request):
    """The shipping notices customer service still has to send (发货后一定告知, 003), and those already sent."""
    from shopdesk.fulfillment.models import BuyerNotice
    from shopdesk.web.tables import BatchAction

    can_send = request.user.has_perm(services.NOTICES)
    table = Table(
        request, selectors.buyer_notices(request.user),
        columns=[Column("order", _("Order number"), "order__platform_order_no"),
                 Column("shop", _("Shop"), "order__shop__code"), Column("buyer", _("Buyer account")),
                 Column("text", _("Notice")), Column("created", _("Shipped"), "created_at"), Column("action", "")],
        tabs=[Tab("due", _("To send"), Q(state=BuyerNotice.State.DUE)),
              Tab("sent", _("Sent"), Q(state=BuyerNotice.State.SENT))],
        row_template=NOTICE_ROW, default_sort="created_at", empty_text=_("No shipping notices."),
        batch_actions=[BatchAction("sent", _("Mark sent"), reverse("fulfillment:notices_sent"))] if can_send else [],
    )
    return render(request, "fulfillment/logistics/notices.html", {"table": table, "can_send": can_send})


@permission_required(services.NOTICES, raise_exception=True)
@require_POST
def notices_sent(request):
    ids = posted_ids(request)
    done = services.mark_notices_sent(actor=request.user,
                                      notices=selectors.buyer_notices(request.user).filter(pk__in=ids))
    if done:
        messages.success(request, ngettext("%(n)d notice marked sent.", "%(n)d notices marked sent.", done)
                         % {"n": done})
    else:
        messages.error(request, gettext("Choose at least one notice to send."))
    return redirect("fulfillment:notices")


@permission_required(services.NOTICES, raise_exception=True)
@require_POST
def notice_sent(request, pk):
    notice = get_object_or_404(selectors.buyer_notices(request.user), pk=pk)
    services.mark_notices_sent(actor=request.user, notices=[notice])
    notice.refresh_from_db()
    if is_htmx(request):
        return render(request, NOTICE_ROW, {
            "row": notice, "row_notice": gettext("Marked sent."), "can_send": True,
            "table": SimpleNamespace(batch_actions=[True])})
    messages.success(request, gettext("Marked sent."))
    return redirect("fulfillment:notices")
