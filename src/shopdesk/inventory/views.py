"""Warehouse pages: stock, movements, health, set-up, purchase orders and receipts, put-away, transfers, stocktakes
with the scanner counting screen, reports and the month close. Thin: parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.inventory import exports, filters, forms, selectors, services
from shopdesk.inventory.models import (
    Location,
    PurchaseOrder,
    Receipt,
    ReceiptLine,
    Stocktake,
    StockThreshold,
    Transfer,
    Warehouse,
    Zone,
)
from shopdesk.staff.roles import VIEW_COST_PRICE
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx
from shopdesk.web.tables import Column, Tab, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _form_page(request, form, title, cancel_url, **extra):
    return render(request, "web/form_page.html", {"form": form, "title": title, "cancel_url": cancel_url, **extra})


def _refused(request, exc: ServiceError):
    messages.error(request, exc.message)


# --- stock ---------------------------------------------------------------------------------------------------------


@permission_required("inventory.view_warehousestock", raise_exception=True)
def stock(request):
    """Stock by SKU: on hand, reserved, available and in transit, over all warehouses or one."""
    warehouse = filters.StockFilter.chosen_warehouse(request.GET)
    table = Table(
        request, selectors.stock_by_sku(warehouse.pk if warehouse else None),
        columns=[Column("code", _("SKU"), "code"), Column("product", _("Product"), "product__name"),
                 Column("on_hand", _("On hand"), "on_hand", "num"),
                 Column("reserved", _("Reserved"), "reserved", "num"),
                 Column("available", _("Available"), "available", "num"),
                 Column("in_transit", _("In transit"), "in_transit", "num")],
        tabs=[Tab("all", _("All"), Q()), Tab("available", _("Available"), Q(available__gt=0)),
              Tab("none", _("None available"), Q(available__lte=0)),
              Tab("in_transit", _("In transit"), Q(in_transit__gt=0))],
        filterset_class=filters.StockFilter, row_template="inventory/rows/stock.html", default_sort="code",
        empty_text=_("No SKUs match."),
    )
    return render(request, "inventory/stock.html", {"table": table, "warehouse": warehouse})


@permission_required("inventory.view_warehousestock", raise_exception=True)
def stock_locations(request):
    """Stock by location, with the receipt date of the oldest lot on each shelf (先进先出)."""
    table = Table(
        request, selectors.stock_by_location(),
        columns=[Column("location", _("Location"), "location__code"), Column("zone", _("Zone"), "location__zone__code"),
                 Column("sku", _("SKU"), "sku__code"), Column("product", _("Product"), "sku__product__name"),
                 Column("on_hand", _("On hand"), "on_hand", "num"),
                 Column("oldest", _("Oldest lot"), "oldest_lot")],
        filterset_class=filters.LocationStockFilter, row_template="inventory/rows/location_stock.html",
        default_sort="location__code", empty_text=_("No stock on these shelves."),
    )
    return render(request, "inventory/list_page.html", {"table": table, "title": _("Stock by location")})


@permission_required("inventory.view_warehousestock", raise_exception=True)
def sku_stock(request, code):
    sku = selectors.sku_by_code(code)
    if sku is None:
        raise Http404
    detail = selectors.sku_stock(sku)
    table = None
    if request.user.has_perm("inventory.view_movement"):
        table = Table(
            request, selectors.movements().filter(sku=sku), columns=_movement_columns(with_sku=False),
            filterset_class=filters.MovementFilter, row_template="inventory/rows/movement.html",
            default_sort="-occurred_at",
        )
    threshold = StockThreshold.objects.filter(sku=sku).first()
    return render(request, "inventory/sku_stock.html", {"detail": detail, "sku": sku, "table": table,
                                                         "threshold": threshold})


def _movement_columns(with_sku=True):
    columns = [Column("time", _("Time"), "occurred_at"), Column("posted", _("Posting date"), "posted_on")]
    if with_sku:
        columns.append(Column("sku", _("SKU"), "sku__code"))
    columns += [Column("type", _("Type"), "type"), Column("quantity", _("Quantity"), "quantity", "num"),
                Column("location", _("Location"), "location__code"), Column("lot", _("Lot date")),
                Column("reference", _("Document"), "reference"), Column("who", _("Who"))]
    return columns


@permission_required("inventory.view_movement", raise_exception=True)
def movements(request):
    """The stock ledger (凭单下账): every change of on hand with its document."""
    table = Table(
        request, selectors.movements(), columns=_movement_columns(),
        filterset_class=filters.MovementFilter, row_template="inventory/rows/movement.html",
        default_sort="-occurred_at", page_size=50,
    )
    return render(request, "inventory/list_page.html", {"table": table, "title": _("Stock movements"),
                                                        "with_sku": True})


@permission_required("inventory.move_stock", raise_exception=True)
def move_stock(request):
    form = forms.MoveStockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.move_stock(actor=request.user, sku=d["sku"], from_location=d["from_location"],
                                to_location=d["to_location"], quantity=d["quantity"], reason=d["reason"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("%(q)d × %(sku)s moved from %(a)s to %(b)s.") % {
                "q": d["quantity"], "sku": d["sku"].code, "a": d["from_location"].code, "b": d["to_location"].code})
            return redirect("inventory:stock_locations")
    return _form_page(request, form, _("Move stock between locations"), reverse("inventory:stock_locations"),
                      intro=_("Re-slot goods inside one warehouse; the lots keep their receipt dates (先进先出)."),
                      submit_label=_("Move"))


# --- stock health (000:493) ----------------------------------------------------------------------------------------


@permission_required("inventory.view_stockthreshold", raise_exception=True)
def health(request):
    conditions = selectors.health_conditions()
    tabs = [Tab(key, selectors.HEALTH_LABELS[key], conditions[key]) for key in
            ("out_of_stock", "low", "overstock", "slow_moving")] + [Tab("all", _("All SKUs"), Q())]
    table = Table(
        request, selectors.stock_health(),
        columns=[Column("code", _("SKU"), "code"), Column("product", _("Product"), "product__name"),
                 Column("on_hand", _("On hand"), "on_hand", "num"),
                 Column("available", _("Available"), "available", "num"),
                 Column("reorder", _("Reorder point"), "reorder_point", "num"),
                 Column("max", _("Maximum"), "max_stock", "num"),
                 Column("shipped", _("Shipped, 30 days"), "shipped_recent", "num"),
                 Column("last", _("Last shipment"), "last_shipped_on"),
                 Column("suggested", _("Suggested order"), "suggested", "num")],
        tabs=tabs, filterset_class=filters.HealthFilter, row_template="inventory/rows/health.html",
        default_sort="code", empty_text=_("No SKU in this category."),
    )
    return render(request, "inventory/health.html", {
        "table": table, "can_edit": request.user.has_perm("inventory.change_stockthreshold"),
        "velocity_days": selectors.VELOCITY_DAYS})


@permission_required("inventory.change_stockthreshold", raise_exception=True)
def threshold_edit(request, code):
    sku = selectors.sku_by_code(code)
    if sku is None:
        raise Http404
    current = StockThreshold.objects.filter(sku=sku).first()
    initial = {"reorder_point": current.reorder_point if current else 0,
               "max_stock": current.max_stock if current else 0,
               "slow_days": current.slow_days if current else selectors.DEFAULT_SLOW_DAYS,
               "cover_days": current.cover_days if current else selectors.DEFAULT_COVER_DAYS}
    form = forms.ThresholdForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_stock_threshold(actor=request.user, sku=sku, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Thresholds of %(sku)s saved.") % {"sku": sku.code})
            return redirect(reverse("inventory:health") + "?tab=all&q=" + sku.code)
    return _form_page(request, form, gettext("Stock thresholds of %(sku)s %(name)s")
                      % {"sku": sku.code, "name": sku.product.name}, reverse("inventory:health"))


# --- warehouses, zones, locations ----------------------------------------------------------------------------------


def _warehouse(code) -> Warehouse:
    return get_object_or_404(Warehouse, code=code)


@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouses(request):
    table = Table(
        request, selectors.warehouses(),
        columns=[Column("code", _("Code"), "code"), Column("name", _("Name"), "name"),
                 Column("shops", _("Shops served")), Column("priority", _("Priority"), "priority", "num"),
                 Column("zones", _("Zones"), "zone_count", "num"),
                 Column("locations", _("Locations"), "location_count", "num"),
                 Column("active", _("Active"), "is_active")],
        tabs=[Tab("active", _("Active"), Q(is_active=True)), Tab("closed", _("Out of use"), Q(is_active=False))],
        row_template="inventory/rows/warehouse.html", default_sort="priority",
    )
    return render(request, "inventory/warehouses.html", {"table": table})


@permission_required("inventory.add_warehouse", raise_exception=True)
def warehouse_create(request):
    form = forms.WarehouseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            warehouse = services.create_warehouse(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Warehouse %(w)s added.") % {"w": warehouse.name})
            return redirect("inventory:warehouse_detail", code=warehouse.code)
    return _form_page(request, form, _("Add a warehouse"), reverse("inventory:warehouses"))


@permission_required("inventory.change_warehouse", raise_exception=True)
def warehouse_edit(request, code):
    warehouse = _warehouse(code)
    form = forms.WarehouseForm(request.POST or None, editing=True, initial={
        "code": warehouse.code, "name": warehouse.name, "priority": warehouse.priority,
        "shops": list(warehouse.shops.all()), "is_active": warehouse.is_active})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_warehouse(actor=request.user, warehouse=warehouse, name=d["name"], shops=d["shops"],
                                      priority=d["priority"], is_active=d["is_active"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Warehouse %(w)s saved.") % {"w": warehouse.name})
            return redirect("inventory:warehouse_detail", code=warehouse.code)
    return _form_page(request, form, warehouse.name, reverse("inventory:warehouse_detail", args=[warehouse.code]))


@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_detail(request, code):
    warehouse = get_object_or_404(selectors.warehouses(), code=code)
    table = Table(
        request, selectors.locations(warehouse),
        columns=[Column("code", _("Location"), "code"), Column("zone", _("Zone"), "zone__code"),
                 Column("units", _("Units"), "units", "num"), Column("active", _("Active"), "is_active")],
        tabs=[Tab("active", _("Active"), Q(is_active=True)), Tab("retired", _("Retired"), Q(is_active=False))],
        row_template="inventory/rows/location.html", default_sort="code", page_size=50,
    )
    return render(request, "inventory/warehouse_detail.html", {
        "warehouse": warehouse, "zones": selectors.zones(warehouse), "table": table})


@permission_required("inventory.add_zone", raise_exception=True)
def zone_create(request, code):
    warehouse = _warehouse(code)
    form = forms.ZoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_zone(actor=request.user, warehouse=warehouse, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Zone added."))
            return redirect("inventory:warehouse_detail", code=warehouse.code)
    return _form_page(request, form, gettext("Add a zone to %(w)s") % {"w": warehouse.name},
                      reverse("inventory:warehouse_detail", args=[warehouse.code]))


@permission_required("inventory.change_zone", raise_exception=True)
def zone_edit(request, code, pk):
    warehouse = _warehouse(code)
    zone = get_object_or_404(Zone, warehouse=warehouse, pk=pk)
    form = forms.ZoneForm(request.POST or None, editing=True, initial={"code": zone.code, "name": zone.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_zone(actor=request.user, zone=zone, name=form.cleaned_data["name"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Zone saved."))
            return redirect("inventory:warehouse_detail", code=warehouse.code)
    return _form_page(request, form, f"{warehouse.name} / {zone.code}",
                      reverse("inventory:warehouse_detail", args=[warehouse.code]))


@permission_required("inventory.add_location", raise_exception=True)
def location_create(request, code):
    warehouse = _warehouse(code)
    form = forms.LocationsForm(request.POST or None, warehouse=warehouse)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_locations(actor=request.user, warehouse=warehouse,
                                                zone=form.cleaned_data["zone"], codes=form.cleaned_data["codes"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, ngettext("%(n)d location added.", "%(n)d locations added.", len(created))
                             % {"n": len(created)})
            return redirect("inventory:warehouse_detail", code=warehouse.code)
    return _form_page(request, form, gettext("Add locations to %(w)s") % {"w": warehouse.name},
                      reverse("inventory:warehouse_detail", args=[warehouse.code]))


@permission_required("inventory.change_location", raise_exception=True)
def location_edit(request, code, pk):
    warehouse = _warehouse(code)
    location = get_object_or_404(Location, warehouse=warehouse, pk=pk)
    form = forms.LocationEditForm(request.POST or None, warehouse=warehouse,
                                  initial={"zone": location.zone_id, "is_active": location.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_location(actor=request.user, location=location, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Location %(l)s saved.") % {"l": location.code})
            return redirect("inventory:warehouse_detail", code=warehouse.code)
    return _form_page(request, form, f"{warehouse.name} : {location.code}",
                      reverse("inventory:warehouse_detail", args=[warehouse.code]))


# --- purchase orders and receipts ----------------------------------------------------------------------------------


@permission_required("inventory.view_purchaseorder", raise_exception=True)
def purchase_orders(request):
    S = PurchaseOrder.State
    table = Table(
        request, selectors.purchase_orders(),
        columns=[Column("number", _("Number"), "number"), Column("supplier", _("Supplier"), "supplier"),
                 Column("warehouse", _("Warehouse"), "warehouse__priority"),
                 Column("expected", _("Expected delivery"), "expected_on"),
                 Column("ordered", _("Ordered"), "ordered_units", "num"),
                 Column("received", _("Received"), "received_units", "num"),
                 Column("state", _("State"), "state")],
        tabs=[Tab("to_receive", _("To receive"), Q(state__in=[S.OPEN, S.PARTIALLY_RECEIVED])),
              Tab("received", _("Received"), Q(state=S.RECEIVED)), Tab("closed", _("Closed"), Q(state=S.CLOSED)),
              Tab("all", _("All"), Q())],
        filterset_class=filters.PurchaseOrderFilter, row_template="inventory/rows/purchase_order.html",
        default_sort="-created_at",
    )
    return render(request, "inventory/purchase_orders.html", {"table": table})


@permission_required("inventory.add_purchaseorder", raise_exception=True)
def purchase_order_create(request):
    form = forms.PurchaseOrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            po = services.create_purchase_order(actor=request.user, supplier=d["supplier"],
                                                warehouse=d["warehouse"], lines=d["lines"],
                                                expected_on=d["expected_on"], number=d["number"], note=d["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Purchase order %(n)s created.") % {"n": po.number})
            return redirect("inventory:purchase_order_detail", number=po.number)
    return _form_page(request, form, _("New purchase order"), reverse("inventory:purchase_orders"))


@permission_required("inventory.view_purchaseorder", raise_exception=True)
def purchase_order_detail(request, number):
    po = get_object_or_404(selectors.purchase_orders(), number=number)
    return render(request, "inventory/purchase_order_detail.html", {
        "po": po, "lines": selectors.purchase_order_lines(po),
        "receipts": selectors.receipts().filter(purchase_order=po).order_by("created_at"),
        "can_receive": request.user.has_perm("inventory.add_receipt") and po.state in
        selectors.RECEIVABLE_PO_STATES,
        "can_close": request.user.has_perm("inventory.change_purchaseorder") and po.state != po.State.CLOSED})


@permission_required("inventory.change_purchaseorder", raise_exception=True)
@require_POST
def purchase_order_close(request, number):
    po = get_object_or_404(PurchaseOrder, number=number)
    try:
        services.close_purchase_order(actor=request.user, purchase_order=po, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Purchase order %(n)s closed.") % {"n": po.number})
    return redirect("inventory:purchase_order_detail", number=po.number)


@permission_required("inventory.add_receipt", raise_exception=True)
def receipt_create(request, number):
    """入库: check the delivery against the purchase order line by line, then post it (or keep it as a draft)."""
    po = get_object_or_404(PurchaseOrder.objects.select_related("warehouse"), number=number)
    po_lines = [line for line in selectors.purchase_order_lines(po)]
    form = forms.ReceiptForm(request.POST or None, po_lines=po_lines, warehouse=po.warehouse)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            receipt = services.create_receipt(
                actor=request.user, purchase_order=po, delivery_note_number=d["delivery_note_number"],
                received_on=d["received_on"], lines=form.receipt_lines(), note=d["note"],
                post=request.POST.get("action") == "post")
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if receipt.state == Receipt.State.POSTED:
                messages.success(request, gettext("Receipt %(r)s posted: the goods are in stock.")
                                 % {"r": receipt.number})
            else:
                messages.success(request, gettext("Receipt %(r)s saved as a draft.") % {"r": receipt.number})
            return redirect("inventory:receipt_detail", number=receipt.number)
    return render(request, "inventory/receipt_form.html", {"po": po, "form": form})


@permission_required("inventory.view_receipt", raise_exception=True)
def receipts(request):
    table = Table(
        request, selectors.receipts(),
        columns=[Column("number", _("Number"), "number"), Column("po", _("Purchase order"), "purchase_order__number"),
                 Column("dn", _("Delivery note"), "delivery_note_number"),
                 Column("received_on", _("Received on"), "received_on"),
                 Column("expected", _("Expected"), "expected_units", "num"),
                 Column("received", _("Received"), "received_units", "num"),
                 Column("put_away", _("To put away"), "to_put_away", "num"), Column("state", _("State"), "state")],
        tabs=[Tab("to_put_away", _("To put away"), Q(state=Receipt.State.POSTED, to_put_away__gt=0)),
              Tab("draft", _("Drafts"), Q(state=Receipt.State.DRAFT)),
              Tab("all", _("All"), Q())],
        filterset_class=filters.ReceiptFilter, row_template="inventory/rows/receipt.html",
        default_sort="-created_at",
    )
    return render(request, "inventory/list_page.html", {"table": table, "title": _("Receipts")})


def _receipt(number):
    return get_object_or_404(selectors.receipts(), number=number)


@permission_required("inventory.view_receipt", raise_exception=True)
def receipt_detail(request, number):
    receipt = _receipt(number)
    lines = list(selectors.receipt_lines(receipt))
    can_put_away = receipt.state == Receipt.State.POSTED and request.user.has_perm("inventory.move_stock")
    shelves = list(selectors.active_locations(receipt.warehouse)) if can_put_away else []
    for line in lines:
        line.form = forms.PutAwayForm(line=line, locations=shelves) if can_put_away and line.to_put_away else None
    return render(request, "inventory/receipt_detail.html", {
        "receipt": receipt, "lines": lines, "can_post": receipt.state == Receipt.State.DRAFT and
        request.user.has_perm("inventory.add_receipt")})


@permission_required("inventory.add_receipt", raise_exception=True)
@require_POST
def receipt_post(request, number):
    receipt = get_object_or_404(Receipt, number=number)
    try:
        services.post_receipt(actor=request.user, receipt=receipt)
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Receipt %(r)s posted: the goods are in stock.") % {"r": receipt.number})
    return redirect("inventory:receipt_detail", number=receipt.number)


@permission_required("inventory.move_stock", raise_exception=True)
@require_POST
def put_away(request, number, line):
    line = get_object_or_404(ReceiptLine.objects.select_related("receipt", "location", "sku"), receipt__number=number,
                             pk=line)
    form = forms.PutAwayForm(request.POST, line=line, locations=selectors.active_locations(line.location.warehouse_id))
    if form.is_valid():
        try:
            services.put_away(actor=request.user, line=line, to_location=form.cleaned_data["to_location"],
                              quantity=form.cleaned_data["quantity"])
        except ServiceError as exc:
            _refused(request, exc)
        else:
            messages.success(request, gettext("%(q)d × %(sku)s put away in %(loc)s.") % {
                "q": form.cleaned_data["quantity"], "sku": line.sku.code, "loc": form.cleaned_data["to_location"].code})
    else:
        messages.error(request, "; ".join(f"{line.sku.code}: {e}" for errs in form.errors.values() for e in errs))
    return redirect("inventory:receipt_detail", number=number)


# --- transfers -----------------------------------------------------------------------------------------------------


@permission_required("inventory.view_transfer", raise_exception=True)
def transfers(request):
    S = Transfer.State
    table = Table(
        request, selectors.transfers(),
        columns=[Column("number", _("Number"), "number"),
                 Column("from", _("From warehouse"), "from_warehouse__priority"),
                 Column("to", _("To warehouse"), "to_warehouse__priority"), Column("units", _("Units"), "units", "num"),
                 Column("state", _("State"), "state"), Column("created", _("Created"), "created_at"),
                 Column("dispatched", _("Dispatched"), "dispatched_at")],
        tabs=[Tab("draft", _("Draft"), Q(state=S.DRAFT)), Tab("in_transit", _("In transit"), Q(state=S.IN_TRANSIT)),
              Tab("received", _("Received"), Q(state=S.RECEIVED)), Tab("cancelled", _("Cancelled"),
                                                                          Q(state=S.CANCELLED)),
              Tab("all", _("All"), Q())],
        filterset_class=filters.TransferFilter, row_template="inventory/rows/transfer.html",
        default_sort="-created_at",
    )
    return render(request, "inventory/transfers.html", {"table": table,
                                                        "in_transit_units": selectors.in_transit_units()})


@permission_required("inventory.add_transfer", raise_exception=True)
def transfer_create(request):
    form = forms.TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            transfer = services.create_transfer(actor=request.user, from_warehouse=d["from_warehouse"],
                                                to_warehouse=d["to_warehouse"], lines=d["lines"], note=d["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Transfer %(n)s created.") % {"n": transfer.number})
            return redirect("inventory:transfer_detail", number=transfer.number)
    return _form_page(request, form, _("New transfer"), reverse("inventory:transfers"))


@permission_required("inventory.view_transfer", raise_exception=True)
def transfer_detail(request, number):
    transfer = get_object_or_404(selectors.transfers(), number=number)
    can_change = request.user.has_perm("inventory.change_transfer")
    receive_form = forms.TransferReceiveForm(transfer=transfer) \
        if can_change and transfer.state == Transfer.State.IN_TRANSIT else None
    return render(request, "inventory/transfer_detail.html", {
        "transfer": transfer, "lines": selectors.transfer_lines(transfer), "can_change": can_change,
        "receive_form": receive_form})


@permission_required("inventory.change_transfer", raise_exception=True)
@require_POST
def transfer_dispatch(request, number):
    transfer = get_object_or_404(Transfer, number=number)
    try:
        services.dispatch_transfer(actor=request.user, transfer=transfer)
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Transfer %(n)s dispatched: the goods are in transit.")
                         % {"n": transfer.number})
    return redirect("inventory:transfer_detail", number=transfer.number)


@permission_required("inventory.change_transfer", raise_exception=True)
@require_POST
def transfer_receive(request, number):
    transfer = get_object_or_404(Transfer.objects.select_related("to_warehouse"), number=number)
    form = forms.TransferReceiveForm(request.POST, transfer=transfer)
    if not form.is_valid():
        messages.error(request, gettext("Choose the location the goods go to."))
        return redirect("inventory:transfer_detail", number=transfer.number)
    try:
        services.receive_transfer(actor=request.user, transfer=transfer, location=form.cleaned_data["location"])
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Transfer %(n)s received.") % {"n": transfer.number})
    return redirect("inventory:transfer_detail", number=transfer.number)


@permission_required("inventory.change_transfer", raise_exception=True)
@require_POST
def transfer_cancel(request, number):
    transfer = get_object_or_404(Transfer, number=number)
    try:
        services.cancel_transfer(actor=request.user, transfer=transfer, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Transfer %(n)s cancelled.") % {"n": transfer.number})
    return redirect("inventory:transfer_detail", number=transfer.number)


# --- stocktakes ----------------------------------------------------------------------------------------------------


@permission_required("inventory.view_stocktake", raise_exception=True)
def stocktakes(request):
    S = Stocktake.State
    table = Table(
        request, selectors.stocktakes(),
        columns=[Column("number", _("Number"), "number"), Column("warehouse", _("Warehouse"), "warehouse__priority"),
                 Column("zone", _("Zone"), "zone__code"), Column("progress", _("Counted lines")),
                 Column("state", _("State"), "state"), Column("started", _("Started"), "started_at"),
                 Column("note", _("Note"))],
        tabs=[Tab("counting", _("Counting"), Q(state=S.COUNTING)),
              Tab("submitted", _("Awaiting approval"), Q(state=S.SUBMITTED)),
              Tab("approved", _("Approved"), Q(state=S.APPROVED)), Tab("cancelled", _("Cancelled"),
                                                                          Q(state=S.CANCELLED)),
              Tab("all", _("All"), Q())],
        filterset_class=filters.StocktakeFilter, row_template="inventory/rows/stocktake.html",
        default_sort="-started_at",
    )
    return render(request, "inventory/stocktakes.html", {"table": table})


@permission_required("inventory.count_stocktake", raise_exception=True)
def stocktake_create(request):
    form = forms.StocktakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stocktake = services.start_stocktake(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Stocktake %(n)s started.") % {"n": stocktake.number})
            return redirect("inventory:stocktake_count", number=stocktake.number)
    return _form_page(request, form, _("Start a stocktake"), reverse("inventory:stocktakes"),
                      intro=_("The expected quantity of every SKU on the shelves is recorded now; then count with "
                              "the scanner, submit, and the manager approves the adjustments."),
                      submit_label=_("Start counting"))


def _stocktake(number) -> Stocktake:
    return get_object_or_404(Stocktake.objects.select_related("warehouse", "zone", "started_by", "submitted_by",
                                                              "approved_by"), number=number)


@permission_required("inventory.view_stocktake", raise_exception=True)
def stocktake_detail(request, number):
    """The variance report (盘点报表): expected vs counted, value at cost, and the approval."""
    stocktake = _stocktake(number)
    report = selectors.variance_report(stocktake)
    table = Table(
        request, selectors.stocktake_line_rows(stocktake),
        columns=[Column("location", _("Location"), "location__code"), Column("sku", _("SKU"), "sku__code"),
                 Column("product", _("Product")), Column("expected", _("Expected"), "expected", "num"),
                 Column("book", _("Book at count"), "book", "num"),
                 Column("counted", _("Counted"), "counted", "num"), Column("diff", _("Variance"), "diff", "num"),
                 *([Column("value", _("Value at cost"), "diff_value", "num")]
                   if request.user.has_perm(VIEW_COST_PRICE) else [])],
        tabs=[Tab("variance", _("Variances"), Q(counted__isnull=False) & ~Q(diff=0)),
              Tab("uncounted", _("Not counted"), Q(counted__isnull=True)), Tab("all", _("All lines"), Q())],
        row_template="inventory/rows/stocktake_line.html", default_sort="location__code", page_size=100,
    )
    user = request.user
    S = Stocktake.State
    return render(request, "inventory/stocktake_detail.html", {
        "stocktake": stocktake, "report": report, "table": table,
        "see_cost": user.has_perm(VIEW_COST_PRICE),
        "can_count": stocktake.state == S.COUNTING and user.has_perm("inventory.count_stocktake"),
        "can_approve": stocktake.state == S.SUBMITTED and user.has_perm("inventory.approve_stocktake"),
        "submit_form": forms.SubmitStocktakeForm(),
        "can_report": user.has_perm("inventory.view_stock_report") or user.has_perm("inventory.count_stocktake")})


def _scan_state(request, stocktake) -> dict:
    return request.session.get(f"stocktake:{stocktake.pk}", {})


def _scan_context(request, stocktake, *, result=None, error="", flash=None) -> dict:
    """The current location and last SKU live in the person's session, so every scanner keeps its own place."""
    state = _scan_state(request, stocktake)
    location = Location.objects.filter(pk=state.get("location")).select_related("zone").first() \
        if state.get("location") else None
    last_sku = selectors.identify_sku_by_pk(state.get("last_sku"))
    lines = list(selectors.stocktake_lines(stocktake, location)) if location is not None else []
    counted = stocktake.lines.filter(counted__isnull=False).count()
    return {"stocktake": stocktake, "location": location, "last_sku": last_sku, "lines": lines, "result": result,
            "error": error, "flash": flash, "counted_lines": counted, "total_lines": stocktake.lines.count(),
            "form": forms.ScanForm()}


def _scan_response(request, stocktake, **kw):
    context = _scan_context(request, stocktake, **kw)
    if is_htmx(request):
        return render(request, "inventory/partials/scan_result.html", context)
    if kw.get("error"):
        messages.error(request, kw["error"])
    return redirect("inventory:stocktake_count", number=stocktake.number)


@permission_required("inventory.count_stocktake", raise_exception=True)
def stocktake_count(request, number):
    """The counting screen: a scan box that keeps the focus (scan.js), the lines of the current location."""
    stocktake = _stocktake(number)
    if stocktake.state != Stocktake.State.COUNTING:
        messages.info(request, gettext("Stocktake %(n)s is no longer counting.") % {"n": stocktake.number})
        return redirect("inventory:stocktake_detail", number=stocktake.number)
    return render(request, "inventory/stocktake_count.html", _scan_context(request, stocktake))


@permission_required("inventory.count_stocktake", raise_exception=True)
@require_POST
def stocktake_scan(request, number):
    """htmx: one scan (or one typed location/number); answers with the updated scan result fragment."""
    stocktake = _stocktake(number)
    state = dict(_scan_state(request, stocktake))
    location = Location.objects.filter(pk=state.get("location")).first() if state.get("location") else None
    last_sku = selectors.identify_sku_by_pk(state.get("last_sku"))
    form = forms.ScanForm(request.POST)
    code = form.data.get("code", "")
    try:
        result = services.record_scan(actor=request.user, stocktake=stocktake, code=code, location=location,
                                      last_sku=last_sku)
    except ServiceError as exc:
        return _scan_response(request, stocktake, error=exc.message)
    if result.kind == "location":
        state = {"location": result.location.pk, "last_sku": None}
    else:
        state["last_sku"] = result.sku.pk
    request.session[f"stocktake:{stocktake.pk}"] = state
    return _scan_response(request, stocktake, result=result, flash=result.line.pk if result.line else None)


@permission_required("inventory.count_stocktake", raise_exception=True)
@require_POST
def stocktake_set_count(request, number, pk):
    """htmx: the count typed into one row."""
    stocktake = _stocktake(number)
    line = get_object_or_404(stocktake.lines.select_related("sku", "location", "stocktake"), pk=pk)
    try:
        line = services.set_stocktake_count(actor=request.user, stocktake=stocktake, sku=line.sku,
                                            location=line.location, counted=request.POST.get("counted", ""))
    except ServiceError as exc:
        return _scan_response(request, stocktake, error=exc.message)
    request.session[f"stocktake:{stocktake.pk}"] = {"location": line.location_id, "last_sku": line.sku_id}
    return _scan_response(request, stocktake, result=services.ScanResult("set", location=line.location, line=line,
                                                                sku=line.sku), flash=line.pk)


@permission_required("inventory.count_stocktake", raise_exception=True)
@require_POST
def stocktake_submit(request, number):
    stocktake = _stocktake(number)
    form = forms.SubmitStocktakeForm(request.POST)
    form.is_valid()
    try:
        services.submit_stocktake(actor=request.user, stocktake=stocktake,
                                  zero_uncounted=form.cleaned_data.get("zero_uncounted", False))
    except ServiceError as exc:
        _refused(request, exc)
        return redirect("inventory:stocktake_detail", number=stocktake.number)
    messages.success(request, gettext("Stocktake %(n)s submitted for approval.") % {"n": stocktake.number})
    return redirect("inventory:stocktake_detail", number=stocktake.number)


def _stocktake_action(request, number, action, done_message):
    stocktake = _stocktake(number)
    try:
        action(stocktake)
    except ServiceError as exc:
        _refused(request, exc)
    else:
        messages.success(request, done_message % {"n": stocktake.number})
    return redirect("inventory:stocktake_detail", number=stocktake.number)


@permission_required("inventory.approve_stocktake", raise_exception=True)
@require_POST
def stocktake_approve(request, number):
    return _stocktake_action(request, number, lambda st: services.approve_stocktake(actor=request.user, stocktake=st),
                             gettext("Stocktake %(n)s approved: the adjustments are posted."))


@permission_required("inventory.approve_stocktake", raise_exception=True)
@require_POST
def stocktake_return(request, number):
    return _stocktake_action(request, number, lambda st: services.return_stocktake(
        actor=request.user, stocktake=st, reason=request.POST.get("reason", "")),
        gettext("Stocktake %(n)s returned for a recount."))


@permission_required("inventory.count_stocktake", raise_exception=True)
@require_POST
def stocktake_cancel(request, number):
    return _stocktake_action(request, number, lambda st: services.cancel_stocktake(
        actor=request.user, stocktake=st, reason=request.POST.get("reason", "")),
        gettext("Stocktake %(n)s cancelled."))


@permission_required("inventory.view_stocktake", raise_exception=True)
def stocktake_export(request, number):
    stocktake = _stocktake(number)
    report = selectors.variance_report(stocktake)
    content = exports.variance_report_xlsx(report, with_value=request.user.has_perm(VIEW_COST_PRICE))
    return _xlsx(content, f"stocktake-{stocktake.number}.xlsx")


# --- reports and month close ---------------------------------------------------------------------------------------


def _report_from(request):
    """The period containing the chosen date (default: today's day, week or month) of one or all warehouses."""
    data = request.GET.copy()
    data.setdefault("period", "day")
    if not data.get("date"):
        data["date"] = clock.today().isoformat()
    form = forms.ReportForm(data)
    period, day, warehouse = "day", clock.today(), None
    if form.is_valid():
        period, day, warehouse = form.cleaned_data["period"], form.cleaned_data["date"], form.cleaned_data["warehouse"]
    return form, selectors.stock_report(period, day, warehouse)


@permission_required("inventory.view_stock_report", raise_exception=True)
def reports(request):
    """日报表/周报表/月报表 (000:507): in and out by movement type, and opening/closing on hand per SKU."""
    form, report = _report_from(request)
    params = request.GET.copy()

    def link(day):
        p = params.copy()
        p["period"], p["date"] = report.period, day.isoformat()
        return "?" + p.urlencode()

    return render(request, "inventory/reports.html", {
        "form": form, "report": report, "export_query": request.GET.urlencode(),
        "prev_url": link(selectors.shift_period(report.period, report.start, -1)),
        "next_url": link(selectors.shift_period(report.period, report.start, 1))})


@permission_required("inventory.view_stock_report", raise_exception=True)
def report_export(request):
    _form, report = _report_from(request)
    where = report.warehouse.code if report.warehouse else "all"
    return _xlsx(exports.stock_report_xlsx(report), f"stock-{report.period}-{report.start:%Y%m%d}-{where}.xlsx")


@permission_required("inventory.view_closedperiod", raise_exception=True)
def periods(request):
    """月结: the closed months, and closing a finished month."""
    can_close = request.user.has_perm("inventory.add_closedperiod")
    form = forms.CloseMonthForm(request.POST or None) if can_close else None
    if request.method == "POST":
        if not can_close:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.close_month(actor=request.user, month=form.cleaned_data["month"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, gettext("%(m)s is closed: no stock posting can be dated in it any more.")
                                 % {"m": f"{form.cleaned_data['month']:%Y-%m}"})
                return redirect("inventory:periods")
    table = Table(request, selectors.closed_periods(),
                  columns=[Column("month", _("Month"), "month"), Column("closed_at", _("Closed at"), "closed_at"),
                           Column("closed_by", _("Closed by"))],
                  row_template="inventory/rows/closed_period.html", default_sort="-month",
                  empty_text=_("No month is closed yet."))
    return render(request, "inventory/periods.html", {"table": table, "form": form})
