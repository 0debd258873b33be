"""Filters of the product, listing and price-change lists. The pages use tabs for status; the API filters it."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopdesk.catalog import selectors
from shopdesk.catalog.models import Brand, Category, Listing, ListingStatus, PriceChange, PriceChangeStatus, Product


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    brand = django_filters.ModelChoiceFilter(label=_("Brand"), queryset=Brand.objects.all())
    category = django_filters.ModelChoiceFilter(label=_("Category"), queryset=Category.objects.all())

    class Meta:
        model = Product
        fields = ["q", "brand", "category"]

    def filter_q(self, queryset, name, value):
        return selectors.search_products(queryset, value)


class ProductApiFilter(ProductFilter):
    """q: item number, name, pinyin initials (wgqwx), SKU code or barcode; brand and category ids; flags."""

    item_number = django_filters.CharFilter(field_name="item_number", lookup_expr="iexact")

    class Meta:
        model = Product
        fields = ["q", "brand", "category", "item_number", "is_active", "is_key_product", "is_new", "is_hygiene",
                  "is_special_price", "is_gift"]


def _search_listings(queryset, value: str):
    value = (value or "").strip()
    if not value:
        return queryset
    return queryset.filter(Q(channel_sku_code__icontains=value) | Q(sku__code__icontains=value)
                           | Q(sku__product__search_text__icontains=value.lower()))


class ListingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    shop = django_filters.ChoiceFilter(label=_("Shop"), field_name="shop__code", choices=())

    class Meta:
        model = Listing
        fields = ["q", "shop"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shopdesk.channels.selectors import shops_visible_to

        request = kwargs.get("request")
        shops = shops_visible_to(request.user).order_by("code") if request is not None else []
        self.filters["shop"].extra["choices"] = [(s.code, s.name) for s in shops]

    def filter_q(self, queryset, name, value):
        return _search_listings(queryset, value)


class ListingApiFilter(django_filters.FilterSet):
    """q: channel code, SKU code or product; shop code; status; product id; SKU code."""

    q = django_filters.CharFilter(method="filter_q")
    shop = django_filters.CharFilter(field_name="shop__code")
    status = django_filters.ChoiceFilter(choices=ListingStatus.choices)
    product = django_filters.NumberFilter(field_name="sku__product_id")
    sku = django_filters.CharFilter(field_name="sku__code", lookup_expr="iexact")

    class Meta:
        model = Listing
        fields = ["q", "shop", "status", "product", "sku", "channel_sku_code", "auto_delist"]

    def filter_q(self, queryset, name, value):
        return _search_listings(queryset, value)


class PriceChangeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PriceChangeStatus.choices)
    product = django_filters.NumberFilter(field_name="product_id")

    class Meta:
        model = PriceChange
        fields = ["status", "product", "field"]
