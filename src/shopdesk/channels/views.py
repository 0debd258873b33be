"""Shop pages: the storefronts this person may see, and adding/editing them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopdesk.channels import selectors, services
from shopdesk.channels.forms import ShopForm
from shopdesk.channels.models import Platform
from shopdesk.core.errors import ServiceError
from shopdesk.web.forms import add_service_error
from shopdesk.web.tables import Column, Tab, Table


@permission_required("channels.view_shop", raise_exception=True)
def shop_list(request):
    tabs = [Tab("all", _("All"), Q())] + [Tab(value, label, Q(platform=value)) for value, label in Platform.choices]
    table = Table(
        request, selectors.shops_visible_to(request.user),
        columns=[Column("code", _("Code"), "code"), Column("name", _("Name"), "name"),
                 Column("platform", _("Platform"), "platform"), Column("active", _("Active"), "is_active"),
                 Column("created", _("Created"), "created_at")],
        tabs=tabs, row_template="channels/rows/shop.html", default_sort="code",
    )
    return render(request, "channels/shop_list.html", {"table": table})


@permission_required("channels.add_shop", raise_exception=True)
def shop_create(request):
    form = ShopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            shop = services.add_shop(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Shop %(s)s added.") % {"s": shop.name})
            return redirect("channels:shops")
    return render(request, "web/form_page.html", {"form": form, "title": _("Add a shop"),
                                                  "cancel_url": reverse("channels:shops")})


@permission_required("channels.change_shop", raise_exception=True)
def shop_edit(request, code):
    shop = get_object_or_404(selectors.shops_visible_to(request.user), code=code)
    form = ShopForm(request.POST or None, editing=True, initial={
        "code": shop.code, "platform": shop.platform, "name": shop.name, "is_active": shop.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_shop(actor=request.user, shop=shop, name=form.cleaned_data["name"],
                                 is_active=form.cleaned_data["is_active"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Shop %(s)s saved.") % {"s": shop.name})
            return redirect("channels:shops")
    return render(request, "web/form_page.html", {"form": form, "title": shop.name,
                                                  "cancel_url": reverse("channels:shops")})
