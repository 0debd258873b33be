"""Filters of the order list (订单列表). The stage is a tab; these narrow the rows within it."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from shopdesk.orders.models import Order, OrderLine, Status

# Exception and hold columns the list can filter on, with the short label their badge shows.
FLAGS: dict[str, object] = {
    "out_of_stock": _("Out of stock"),
    "has_unmapped": _("Unmapped items"),
    "address_incomplete": _("Address incomplete"),
    "unreachable": _("Carrier cannot reach"),
    "risk_flagged": _("Risk"),
    "on_hold": _("On hold"),
    "is_cod": _("Cash on delivery"),
}
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrderFilter(django_filters.FilterSet):
    buyer = django_filters.CharFilter(label=_("Buyer account or order number"), method="filter_buyer")
    shop = django_filters.ChoiceFilter(label=_("Shop"), field_name="shop__code", choices=())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    ordered_from = django_filters.DateFilter(label=_("Ordered from"), field_name="ordered_at", lookup_expr="date__gte",
                                             widget=DATE)
    ordered_to = django_filters.DateFilter(label=_("Ordered to"), field_name="ordered_at", lookup_expr="date__lte",
                                           widget=DATE)
    sku = django_filters.CharFilter(label=_("SKU or channel code"), method="filter_sku")
    carrier = django_filters.CharFilter(label=_("Carrier"), field_name="carrier", lookup_expr="icontains")
    flag = django_filters.ChoiceFilter(label=_("Flag"), choices=list(FLAGS.items()), method="filter_flag")

    class Meta:
        model = Order
        fields = ["buyer", "shop", "status", "ordered_from", "ordered_to", "sku", "carrier", "flag"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shopdesk.channels.selectors import shops_visible_to

        request = kwargs.get("request")
        shops = shops_visible_to(request.user).order_by("code") if request is not None else []
        self.filters["shop"].extra["choices"] = [(s.code, s.name) for s in shops]

    def filter_buyer(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(buyer_platform_id__icontains=value) | Q(platform_order_no=value))

    def filter_sku(self, queryset, name, value):
        """Orders with a line of that code (ours or the platform's); each order once, however many lines match."""
        value = (value or "").strip()
        if not value:
            return queryset
        lines = OrderLine.objects.filter(order=OuterRef("pk")).filter(
            Q(channel_sku_code__istartswith=value) | Q(sku__code__istartswith=value))
        return queryset.filter(Exists(lines))

    def filter_flag(self, queryset, name, value):
        if value not in FLAGS:
            return queryset
        return queryset.filter(**{value: True})
