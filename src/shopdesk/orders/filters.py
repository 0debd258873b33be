"""Filters of the order list (订单列表). The stage is a tab; these narrow the rows within it."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
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
def _midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OrderFilter(django_filters.FilterSet):
    buyer = django_filters.CharFilter(label=_("Buyer account or order number"), method="filter_buyer")
    shop = django_filters.ChoiceFilter(label=_("Shop"), field_name="shop__code", choices=())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    ordered_from = django_filters.DateFilter(label=_("Ordered from"), method="filter_from", widget=DATE)
    ordered_to = django_filters.DateFilter(label=_("Ordered to"), method="filter_to", widget=DATE)
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

    # Days as ranges of local time on the indexed column (a date() of every row could not use the index).
    def filter_from(self, queryset, name, value):
        return queryset.filter(ordered_at__gte=_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(ordered_at__lt=_midnight(value + timedelta(days=1)))

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


class OrderApiFilter(OrderFilter):
    """The API's filters: shop by code, status repeatable, buyer account or order number exactly, sku, carrier,
    ordered_from/ordered_to (dates), flag."""

    shop = django_filters.CharFilter(field_name="shop__code")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, distinct=False)
    carrier = django_filters.CharFilter(field_name="carrier")

    def __init__(self, *args, **kwargs):
        django_filters.FilterSet.__init__(self, *args, **kwargs)

    def filter_buyer(self, queryset, name, value):
        value = (value or "").strip()
        return queryset.filter(Q(buyer_platform_id=value) | Q(platform_order_no=value)) if value else queryset
