"""Carrier set-up pages (快递设置, product.md §2.4): carriers with their price rules, fee calculator, waybill-number
pools and blind spots (where they do not deliver); the shops' shipping settings; the waybill-number import
(录入快递单号); the daily dispatch plan board (000:477, 003:544).

Thin: read through the selectors, write through one service call, a refusal becomes a form error or a message.
The warehouse lead and the manager edit; customer service may look at carriers, not change them.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core.errors import ServiceError
from shopdesk.fulfillment import selectors, services
from shopdesk.fulfillment.forms_setup import (
    AreaForm,
    CarrierForm,
    CoverageImportForm,
    FeeForm,
    ListPoolForm,
    PriceRuleForm,
    RangePoolForm,
    ShippingForm,
    WaybillImportForm,
    split_services,
)
from shopdesk.fulfillment.models import Carrier, PriceRule, WaybillPool
from shopdesk.fulfillment.uploads import saved_upload
from shopdesk.orders.models import UnreachableArea
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx
from shopdesk.web.tables import Column, Tab, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
VIEW_CARRIER = "fulfillment.view_carrier"
VIEW_PRICES = "fulfillment.view_pricerule"
VIEW_POOLS = "fulfillment.view_waybillpool"
VIEW_AREAS = "orders.view_unreachablearea"
VIEW_SHIPPING = "fulfillment.view_shopshipping"
PLAN = "fulfillment.view_dispatch_plan"
ORDER_RULES = "orders.view_shoporderrules"


def _carrier_url(carrier: Carrier, anchor: str = "") -> str:
    return reverse("fulfillment:carrier", args=[carrier.pk]) + (f"#{anchor}" if anchor else "")


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _import_error(form, exc: ServiceError) -> None:
    """An import's refusal beside the file field: the summary, then every bad line."""
    lines = exc.fields.get("file") if isinstance(exc, services.ImportRefused) else None
    if lines:
        form.add_error("file", exc.message)
        for line in lines:
            form.add_error("file", line)
    else:
        add_service_error(form, exc)


# --- carriers ---------------------------------------------------------------------------------------------------------


@permission_required(VIEW_CARRIER, raise_exception=True)
def carriers(request):
    table = Table(
        request, selectors.carriers_overview(),
        columns=[Column("name", _("Carrier"), "name"), Column("code", _("Code"), "code"),
                 Column("services", _("Services")), Column("universal", _("Reaches everywhere"), "is_universal"),
                 Column("active", _("Active"), "is_active"), Column("pools", _("Waybill pools (numbers left)")),
                 Column("rules", _("Price rules"), "rule_count", "num")],
        tabs=[Tab("active", _("Active"), Q(is_active=True)), Tab("inactive", _("Inactive"), Q(is_active=False)),
              Tab("all", _("All"), Q())],
        row_template="fulfillment/setup/rows/carrier.html", default_sort="sort",
        empty_text=_("No carriers yet."),
    )
    return render(request, "fulfillment/setup/carriers.html", {"table": table})


def _save_carrier(request, form, carrier=None):
    d = form.cleaned_data
    return services.save_carrier(actor=request.user, carrier=carrier, name=d["name"], code=d["code"],
                                 services=split_services(d["services"]), is_universal=d["is_universal"],
                                 is_active=d["is_active"], sort=d["sort"])


@permission_required(services.ADD_CARRIER, raise_exception=True)
def carrier_create(request):
    form = CarrierForm(request.POST or None, initial={"is_active": True, "sort": 0})
    if request.method == "POST" and form.is_valid():
        try:
            carrier = _save_carrier(request, form)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Carrier %(name)s added.") % {"name": carrier.name})
            return redirect(_carrier_url(carrier))
    return render(request, "web/form_page.html", {"form": form, "title": _("New carrier"),
                                                  "cancel_url": reverse("fulfillment:carriers")})


@permission_required(services.CARRIERS, raise_exception=True)
def carrier_edit(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    initial = {"name": carrier.name, "code": carrier.code, "services": ", ".join(carrier.services or []),
               "is_universal": carrier.is_universal, "is_active": carrier.is_active, "sort": carrier.sort}
    form = CarrierForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            carrier = _save_carrier(request, form, carrier)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Carrier %(name)s saved.") % {"name": carrier.name})
            return redirect(_carrier_url(carrier))
    return render(request, "web/form_page.html", {
        "form": form, "title": gettext("Edit carrier %(name)s") % {"name": carrier.name},
        "cancel_url": _carrier_url(carrier),
        "intro": gettext("Orders keep the carrier by name: renaming a carrier does not rename it on orders already "
                         "printed or shipped, nor on its blind spots.")})


def _rule_form(request, carrier, data=None) -> PriceRuleForm:
    """The add/change form, filled from `?edit=<rule id>` to change one rule."""
    initial = {}
    edit = request.GET.get("edit", "")
    if data is None and edit.isdigit():
        rule = carrier.price_rules.filter(pk=int(edit)).first()
        if rule is not None:
            initial = {f: getattr(rule, f) for f in ("province", "first_weight_kg", "first_fee", "extra_unit_kg",
                                                     "extra_fee")}
    return PriceRuleForm(data, initial=initial, prefix="rule")


def _carrier_page(request, carrier: Carrier, **forms_):
    user = request.user
    may = {
        "edit": user.has_perm(services.CARRIERS), "see_prices": user.has_perm(VIEW_PRICES),
        "prices": user.has_perm(services.PRICES), "see_pools": user.has_perm(VIEW_POOLS),
        "add_pool": user.has_perm(services.ADD_POOL), "pools": user.has_perm(services.POOLS),
        "see_areas": user.has_perm(VIEW_AREAS), "add_area": user.has_perm(services.COVERAGE_ADD),
        "remove_area": user.has_perm(services.COVERAGE_REMOVE),
    }
    context = {"carrier": carrier, "may": may, "title": carrier.name}
    if may["see_prices"]:
        context["rules"] = list(selectors.price_rules(carrier))
        context["fee_form"] = forms_.get("fee_form") or FeeForm(prefix="fee", initial={"weight_kg": Decimal("1")})
        context["fee_result"] = forms_.get("fee_result")
        if may["prices"]:
            context["rule_form"] = forms_.get("rule_form") or _rule_form(request, carrier)
    if may["see_pools"]:
        context["pools"] = list(selectors.pools_with_left().filter(carrier=carrier))
        if may["add_pool"]:
            context["range_form"] = forms_.get("range_form") or RangePoolForm(prefix="range")
            context["list_form"] = forms_.get("list_form") or ListPoolForm(prefix="list")
    if may["see_areas"]:
        context["areas"] = list(selectors.blind_spots(carrier))
        if may["add_area"]:
            context["area_form"] = forms_.get("area_form") or AreaForm(prefix="area")
            context["coverage_form"] = forms_.get("coverage_form") or CoverageImportForm(prefix="coverage")
    return render(request, "fulfillment/setup/carrier.html", context)


@permission_required(VIEW_CARRIER, raise_exception=True)
def carrier_detail(request, pk):
    return _carrier_page(request, get_object_or_404(Carrier, pk=pk))


# --- price rules and the fee calculator ---------------------------------------------------------------------------


@permission_required(services.PRICES, raise_exception=True)
@require_POST
def price_rule_save(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    form = _rule_form(request, carrier, request.POST)
    if form.is_valid():
        try:
            rule = services.save_price_rule(actor=request.user, carrier=carrier, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Price rule for %(province)s saved.")
                             % {"province": rule.province or gettext("every other province")})
            return redirect(_carrier_url(carrier, "prices"))
    return _carrier_page(request, carrier, rule_form=form)


@permission_required(services.PRICES, raise_exception=True)
@require_POST
def price_rule_delete(request, pk, rule_pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    rule = get_object_or_404(PriceRule, pk=rule_pk, carrier=carrier)
    try:
        services.delete_price_rule(actor=request.user, rule=rule)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Price rule for %(province)s deleted.")
                         % {"province": rule.province or gettext("every other province")})
    return redirect(_carrier_url(carrier, "prices"))


@permission_required(VIEW_PRICES, raise_exception=True)
def fee(request, pk):
    """The fee calculator: province + weight → the carrier's fee; htmx swaps the result only."""
    carrier = get_object_or_404(Carrier, pk=pk)
    form = FeeForm(request.GET, prefix="fee")
    result = None
    if form.is_valid():
        amount = selectors.fee(carrier, form.cleaned_data["province"], form.cleaned_data["weight_kg"])
        result = {"fee": amount, "province": form.cleaned_data["province"], "weight": form.cleaned_data["weight_kg"]}
    if is_htmx(request):
        return render(request, "fulfillment/setup/partials/fee.html", {"fee_form": form, "fee_result": result,
                                                                       "carrier": carrier})
    return _carrier_page(request, carrier, fee_form=form, fee_result=result)


# --- waybill pools ----------------------------------------------------------------------------------------------------


@permission_required(services.ADD_POOL, raise_exception=True)
@require_POST
def pool_range(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    form = RangePoolForm(request.POST, prefix="range")
    if form.is_valid():
        try:
            pool = services.create_range_pool(actor=request.user, carrier=carrier, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Pool %(name)s added: %(n)d numbers.") % {
                "name": pool.name, "n": pool.last_number - pool.next_number + 1})
            return redirect(_carrier_url(carrier, "pools"))
    return _carrier_page(request, carrier, range_form=form)


@permission_required(services.ADD_POOL, raise_exception=True)
@require_POST
def pool_import(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    form = ListPoolForm(request.POST, request.FILES, prefix="list")
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            if upload:
                with saved_upload(upload) as path:
                    numbers = services.read_waybill_numbers(path)
            else:
                numbers = form.pasted()
            pool = services.add_pool_numbers(actor=request.user, carrier=carrier, name=form.cleaned_data["name"],
                                             numbers=numbers)
        except ServiceError as exc:
            _import_error(form, exc)
        else:
            messages.success(request, gettext("Pool %(name)s added: %(n)d numbers.") % {
                "name": pool.name, "n": pool.last_number + 1})
            return redirect(_carrier_url(carrier, "pools"))
    return _carrier_page(request, carrier, list_form=form)


@permission_required(services.POOLS, raise_exception=True)
@require_POST
def pool_active(request, pool_pk):
    pool = get_object_or_404(WaybillPool.objects.select_related("carrier"), pk=pool_pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_pool_active(actor=request.user, pool=pool, active=active)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, (gettext("Pool %(name)s is active again.") if active
                                   else gettext("Pool %(name)s deactivated: no more numbers are taken from it."))
                         % {"name": pool.name})
    return redirect(_carrier_url(pool.carrier, "pools"))


# --- blind spots (coverage) -------------------------------------------------------------------------------------------


@permission_required(services.COVERAGE_ADD, raise_exception=True)
@require_POST
def coverage_add(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    form = AreaForm(request.POST, prefix="area")
    if form.is_valid():
        try:
            area = services.add_blind_spot(actor=request.user, carrier=carrier, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Added: %(area)s.") % {"area": str(area)})
            return redirect(_carrier_url(carrier, "coverage"))
    return _carrier_page(request, carrier, area_form=form)


@permission_required(services.COVERAGE_REMOVE, raise_exception=True)
@require_POST
def coverage_remove(request, pk, area_pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    area = get_object_or_404(UnreachableArea, pk=area_pk, carrier=carrier.name)
    try:
        services.remove_blind_spot(actor=request.user, area=area)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Removed: %(area)s.") % {"area": str(area)})
    return redirect(_carrier_url(carrier, "coverage"))


@permission_required(services.COVERAGE_ADD, raise_exception=True)
@require_POST
def coverage_import(request, pk):
    carrier = get_object_or_404(Carrier, pk=pk)
    form = CoverageImportForm(request.POST, request.FILES, prefix="coverage")
    if form.is_valid():
        try:
            with saved_upload(form.cleaned_data["file"]) as path:
                result = services.import_coverage(actor=request.user, carrier=carrier, path=path)
        except ServiceError as exc:
            _import_error(form, exc)
        else:
            messages.success(request, gettext("Blind spots imported: %(created)d new, %(existing)d already listed.")
                             % result)
            return redirect(_carrier_url(carrier, "coverage"))
    return _carrier_page(request, carrier, coverage_form=form)


@permission_required(services.COVERAGE_ADD, raise_exception=True)
def coverage_template(request):
    return _xlsx(services.coverage_template_xlsx(), "coverage-template.xlsx")


# --- shop shipping settings -------------------------------------------------------------------------------------------


@permission_required(VIEW_SHIPPING, raise_exception=True)
def shipping(request):
    user = request.user
    shops = shops_visible_to(user).order_by("code")
    code = request.POST.get("shop") or request.GET.get("shop") or ""
    shop = get_object_or_404(shops, code=code) if code else shops.first()
    can_edit = user.has_perm(services.SHIPPING)
    settings_row = services.shop_shipping(shop) if shop else None
    form = ShippingForm(instance=settings_row, read_only=not can_edit) if shop else None
    if request.method == "POST" and shop is not None:
        if not can_edit:
            raise PermissionDenied
        form = ShippingForm(request.POST, instance=services.shop_shipping(shop))
        if form.is_valid():
            try:
                services.update_shop_shipping(actor=user, shop=shop,
                                              **{k: form.cleaned_data[k] for k in form.fields})
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, gettext("Shipping settings of %(shop)s saved.") % {"shop": shop.name})
                return redirect(reverse("fulfillment:shipping") + "?" + urlencode({"shop": shop.code}))
    default_carrier = None
    if shop is not None:
        from shopdesk.orders.selectors import rules_for

        default_carrier = rules_for(shop).default_carrier
    preview = ""
    if settings_row is not None:
        try:
            preview = services.notice_text(settings_row.notice_template, shop_name=shop.name, buyer="tb_buyer",
                                           order_no="5552026112200001", carrier=default_carrier or "中通快递",
                                           tracking_no="ZT7300000001")
        except (KeyError, IndexError, ValueError):
            preview = ""
    return render(request, "fulfillment/setup/shipping.html", {
        "shops": shops, "shop": shop, "form": form, "can_edit": can_edit, "default_carrier": default_carrier,
        "rules_url": (reverse("orders:rules") + "?" + urlencode({"shop": shop.code}))
        if shop is not None and user.has_perm(ORDER_RULES) else "",
        "preview": preview, "title": _("Shipping settings"),
    })


# --- waybill numbers per order (录入快递单号) -------------------------------------------------------------------------


@permission_required(services.FULFIL, raise_exception=True)
def waybill_import(request):
    shops = shops_visible_to(request.user).filter(is_active=True).order_by("code")
    form = WaybillImportForm(request.POST or None, request.FILES or None, shops=shops)
    result = None
    if request.method == "POST" and form.is_valid():
        shop = form.cleaned_data["shop"]
        try:
            with saved_upload(form.cleaned_data["file"]) as path:
                result = services.import_waybills(actor=request.user, shop=shop, path=path)
        except ServiceError as exc:
            _import_error(form, exc)
        else:
            messages.success(request, gettext("Waybill numbers of %(shop)s imported: %(updated)d orders updated, "
                                              "%(unchanged)d already had them.") % {"shop": shop.name, **result})
            return redirect("fulfillment:waybill_import")
    return render(request, "fulfillment/setup/waybill_import.html", {
        "form": form, "title": _("Import waybill numbers"), "result": result})


@permission_required(services.FULFIL, raise_exception=True)
def waybill_template(request):
    return _xlsx(services.waybill_template_xlsx(), "waybill-numbers-template.xlsx")


# --- the dispatch plan ------------------------------------------------------------------------------------------------


STAGE_LABELS = {"paid": _("Paid, not verified"), "verified": _("Verified, to print"), "printed": _("Printed, to pick"),
                "picked": _("Picked, to check and pack"), "packed": _("Packed, to ship")}
STAGE_SHORT = {"paid": _("Paid"), "verified": _("Verified"), "printed": _("Printed"), "picked": _("Picked"),
               "packed": _("Packed")}


def _board(request) -> dict:
    plan = selectors.dispatch_plan(request.user)
    hours = plan["verified_by_hour"]
    first, last = selectors.WORK_HOURS.start, selectors.WORK_HOURS.stop
    cells = []
    if sum(hours[:first]):
        cells.append({"label": f"0–{first - 1}", "count": sum(hours[:first]), "current": plan["current_hour"] < first})
    cells += [{"label": str(h), "count": hours[h], "current": plan["current_hour"] == h}
              for h in selectors.WORK_HOURS]
    if sum(hours[last:]):
        cells.append({"label": f"{last}–23", "count": sum(hours[last:]), "current": plan["current_hour"] >= last})
    peak = max((c["count"] for c in cells), default=0) or 1
    for c in cells:
        c["height"] = round(c["count"] * 10 / peak) * 10  # CSS classes h0, h10 … h100 (no inline style: CSP)
    stages = [{"key": k, "label": STAGE_LABELS[k], "short": STAGE_SHORT[k], "waiting": plan["waiting"][k],
               "due": plan["due_today"][k]} for k in STAGE_LABELS]
    carriers = [{"carrier": row["carrier"], "cells": [row["stages"][k] for k in STAGE_LABELS], "total": row["total"]}
                for row in plan["by_carrier"]]
    return {"plan": plan, "stages": stages, "hour_cells": cells, "carriers": carriers}


@permission_required(PLAN, raise_exception=True)
def plan(request):
    return render(request, "fulfillment/setup/plan.html", {"title": _("Dispatch plan"), **_board(request)})


@permission_required(PLAN, raise_exception=True)
def plan_board(request):
    """The board's numbers alone: the page polls this every 60 seconds (htmx)."""
    return render(request, "fulfillment/setup/partials/plan_board.html", _board(request))
