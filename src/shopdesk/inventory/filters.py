"""Filters of the warehouse lists, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from shopdesk.catalog.models import SKU
from shopdesk.inventory import selectors
from shopdesk.inventory.models import (
    LocationStock,
    Movement,
    PurchaseOrder,
    Receipt,
    Stocktake,
    Transfer,
    TransferLine,
    Warehouse,
    WarehouseStock,
    Zone,
)


def _warehouses(request=None):
    return Warehouse.objects.order_by("priority", "id")


class SearchMixin:
    def filter_q(self, queryset, name, value):
        return selectors.search_skus(queryset, value, prefix=self.sku_prefix)


class StockFilter(SearchMixin, django_filters.FilterSet):
    """Stock by SKU. The figures themselves are computed for the chosen warehouse by `selectors.stock_by_sku`; this
    filter keeps the SKUs that have a stock record there or are in transit to it."""

    sku_prefix = ""
    q = django_filters.CharFilter(method="filter_q", label=_("SKU, barcode or product"))
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses, to_field_name="code", label=_("Warehouse"),
                                                 method="filter_warehouse")

    class Meta:
        model = SKU
        fields = ["q", "warehouse"]

    @extend_schema_field(OpenApiTypes.STR)
    def filter_warehouse(self, queryset, name, value):
        """SKUs the warehouse has a stock record of, or that are on their way to it."""
        return queryset.filter(
            Exists(WarehouseStock.objects.filter(sku=OuterRef("pk"), warehouse=value))
            | Exists(TransferLine.objects.filter(sku=OuterRef("pk"), transfer__to_warehouse=value,
                                                 transfer__state=Transfer.State.IN_TRANSIT)))

    @staticmethod
    def chosen_warehouse(params) -> Warehouse | None:
        code = (params.get("warehouse") or "").strip()
        return Warehouse.objects.filter(code=code).first() if code else None


class LocationStockFilter(SearchMixin, django_filters.FilterSet):
    sku_prefix = "sku__"
    q = django_filters.CharFilter(method="filter_q", label=_("SKU, barcode or product"))
    warehouse = django_filters.ModelChoiceFilter(field_name="location__warehouse", queryset=_warehouses,
                                                 to_field_name="code", label=_("Warehouse"))
    zone = django_filters.ModelChoiceFilter(field_name="location__zone", label=_("Zone"),
                                            queryset=Zone.objects.select_related("warehouse"))
    location = django_filters.CharFilter(field_name="location__code", lookup_expr="istartswith",
                                         label=_("Location"))

    class Meta:
        model = LocationStock
        fields = ["q", "warehouse", "zone", "location"]


class MovementFilter(django_filters.FilterSet):
    sku = django_filters.CharFilter(field_name="sku__code", lookup_expr="iexact", label=_("SKU code"))
    type = django_filters.ChoiceFilter(choices=Movement.Type.choices, label=_("Type"))
    warehouse = django_filters.ModelChoiceFilter(field_name="location__warehouse", queryset=_warehouses,
                                                 to_field_name="code", label=_("Warehouse"))
    since = django_filters.DateFilter(field_name="posted_on", lookup_expr="gte", label=_("From"))
    until = django_filters.DateFilter(field_name="posted_on", lookup_expr="lte", label=_("To"))
    reference = django_filters.CharFilter(field_name="reference", lookup_expr="icontains", label=_("Document"))

    class Meta:
        model = Movement
        fields = ["sku", "type", "warehouse", "since", "until", "reference"]


class PurchaseOrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Number or supplier"))
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses, to_field_name="code", label=_("Warehouse"))

    class Meta:
        model = PurchaseOrder
        fields = ["q", "warehouse"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(number__icontains=value) | Q(supplier__icontains=value)) if value else queryset


class ReceiptFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Receipt, order or delivery note"))
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses, to_field_name="code", label=_("Warehouse"))

    class Meta:
        model = Receipt
        fields = ["q", "warehouse"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(purchase_order__number__icontains=value)
                               | Q(delivery_note_number__icontains=value))


class TransferFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses, to_field_name="code", label=_("Warehouse"),
                                                 method="filter_warehouse")

    class Meta:
        model = Transfer
        fields = ["warehouse"]

    def filter_warehouse(self, queryset, name, value):
        return queryset.filter(Q(from_warehouse=value) | Q(to_warehouse=value))


class StocktakeFilter(django_filters.FilterSet):
    warehouse = django_filters.ModelChoiceFilter(queryset=_warehouses, to_field_name="code", label=_("Warehouse"))

    class Meta:
        model = Stocktake
        fields = ["warehouse"]


class HealthFilter(SearchMixin, django_filters.FilterSet):
    sku_prefix = ""
    q = django_filters.CharFilter(method="filter_q", label=_("SKU, barcode or product"))

    class Meta:
        model = SKU
        fields = ["q"]
