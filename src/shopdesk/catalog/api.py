"""Catalog API under /api/v1/catalog/: products (with SKUs), SKUs, listings (with stars), price changes, Excel
import/export. Thin: validate with a serializer, call one service, serialise. Permissions are the pages' ones."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shopdesk.catalog import selectors, services, xlsx
from shopdesk.catalog.filters import ListingApiFilter, PriceChangeFilter, ProductApiFilter
from shopdesk.catalog.models import (
    SKU,
    Brand,
    Category,
    Listing,
    ListingStatus,
    PriceChange,
    PriceField,
    Product,
)
from shopdesk.channels.models import Shop
from shopdesk.core.drf import RequirePerms
from shopdesk.staff.roles import APPROVE_PRICE_CHANGE, VIEW_COST_PRICE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SkuSerializer(serializers.ModelSerializer):
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True,
                                     help_text="The SKU's price, or the product's list price when it has none.")

    class Meta:
        model = SKU
        fields = ["id", "code", "colour", "size", "style", "barcode", "list_price", "price", "is_active"]


class SkuWithProductSerializer(SkuSerializer):
    item_number = serializers.CharField(source="product.item_number", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta(SkuSerializer.Meta):
        fields = ["id", "product", "item_number", "product_name", *SkuSerializer.Meta.fields[1:]]


class ProductImageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    content_type = serializers.CharField()
    sort = serializers.IntegerField()

    def get_url(self, image) -> str:
        return reverse("catalog:image", args=[image.pk])


class ProductSerializer(serializers.ModelSerializer):
    brand = serializers.CharField(source="brand.name", default=None, read_only=True)
    category = serializers.CharField(source="category.name", default=None, read_only=True)
    sku_count = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = ["id", "item_number", "name", "title", "brand", "category", "cost_price", "list_price",
                  "member_price", "vip_price", "weight_grams", "is_hygiene", "is_special_price", "is_gift",
                  "is_key_product", "is_new", "is_active", "sku_count", "created_at"]

    def get_sku_count(self, product) -> int:
        return len(product.skus.all())

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.has_perm(VIEW_COST_PRICE):
            data.pop("cost_price", None)  # cost prices only for people who may see them
        return data


class ProductDetailSerializer(ProductSerializer):
    skus = SkuSerializer(many=True, read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "attributes", "description", "skus", "images"]


class SkuInputSerializer(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True,
                                  help_text="An existing SKU of the product; omit to add a SKU.")
    code = serializers.CharField(max_length=60)
    colour = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    size = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    style = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    barcode = serializers.CharField(max_length=40, required=False, allow_blank=True, allow_null=True, default="")
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                          default=None)
    is_active = serializers.BooleanField(required=False, default=True)

    def to_input(self, data) -> services.SkuInput:
        return services.SkuInput(**{**data, "barcode": data.get("barcode") or ""})


class _ProductFields(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    brand = serializers.SlugRelatedField(slug_field="name", queryset=Brand.objects.all(), required=False,
                                         allow_null=True)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    attributes = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    cost_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    list_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    member_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    vip_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    weight_grams = serializers.IntegerField(min_value=0, required=False)
    is_hygiene = serializers.BooleanField(required=False)
    is_special_price = serializers.BooleanField(required=False)
    is_gift = serializers.BooleanField(required=False)
    is_key_product = serializers.BooleanField(required=False)
    is_new = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    skus = SkuInputSerializer(many=True, required=False)


class ProductInput(_ProductFields):
    item_number = serializers.CharField(max_length=40)
    skus = SkuInputSerializer(many=True)


class ProductUpdate(_ProductFields):
    name = serializers.CharField(max_length=100, required=False)
    price_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                         help_text="Needed when a price changes.")


def _sku_inputs(data) -> list[services.SkuInput]:
    return [SkuInputSerializer().to_input(row) for row in data]


class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Products (SPU). Search `q` matches item number, name, title, pinyin initials (wgqwx), SKU codes and barcodes.

    PATCH changes fields and the SKU grid (`skus`: rows with `id` update, rows without add). Changed prices need
    `price_reason`; a decrease beyond your authority waits for approval (see `price_changes` in the answer).
    DELETE removes a product entered by mistake; one in use (listed, stocked, ordered) answers 409: deactivate it.
    """

    permission_classes = [RequirePerms]
    required_perms = {"list": ["catalog.view_product"], "retrieve": ["catalog.view_product"],
                      "create": ["catalog.add_product"], "partial_update": ["catalog.change_product"],
                      "destroy": ["catalog.delete_product"]}
    filterset_class = ProductApiFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.products().order_by("-id")

    def get_serializer_class(self):
        return {"create": ProductInput, "partial_update": ProductUpdate, "retrieve": ProductDetailSerializer}.get(
            self.action, ProductSerializer)

    def _detail(self, product):
        return ProductDetailSerializer(self.get_queryset().get(pk=product.pk), context={"request": self.request}).data

    def create(self, request, *args, **kwargs):
        serializer = ProductInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        skus = _sku_inputs(data.pop("skus"))
        product = services.create_product(actor=request.user, skus=skus, **data)
        return Response(self._detail(product), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        product = self.get_object()
        serializer = ProductUpdate(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        skus = _sku_inputs(data.pop("skus")) if "skus" in data else None
        result = services.update_product(actor=request.user, product=product, skus=skus,
                                         price_reason=data.pop("price_reason", ""), **data)
        body = self._detail(result.product)
        body["price_changes"] = PriceChangeSerializer(result.price_changes, many=True).data
        return Response(body)

    def destroy(self, request, *args, **kwargs):
        services.delete_product(actor=request.user, product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class SkuViewSet(viewsets.ReadOnlyModelViewSet):
    """SKUs with their product; filter by `code`, `barcode` (scanner) or `product` id."""

    serializer_class = SkuWithProductSerializer
    permission_classes = [RequirePerms]
    required_perms = ["catalog.view_sku"]
    filterset_fields = {"code": ["exact", "iexact"], "barcode": ["exact"], "product": ["exact"],
                        "is_active": ["exact"]}

    def get_queryset(self):
        return selectors.skus().order_by("product_id", "id")


class ListingSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.code", read_only=True)
    sku = serializers.CharField(source="sku.code", read_only=True)
    product = serializers.IntegerField(source="sku.product_id", read_only=True)
    item_number = serializers.CharField(source="sku.product.item_number", read_only=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    stars = serializers.SerializerMethodField()
    suggestions = serializers.SerializerMethodField()

    class Meta:
        model = Listing
        fields = ["id", "shop", "sku", "product", "item_number", "channel_sku_code", "channel_price", "price",
                  "status", "auto_delist", "auto_delisted", "delist_reason", "updated_at", "stars", "suggestions"]

    def _quality(self, listing):
        return self.context.get("qualities", {}).get(listing.pk)

    def get_stars(self, listing) -> int | None:
        q = self._quality(listing)
        return q.stars if q else None

    def get_suggestions(self, listing) -> list[str]:
        q = self._quality(listing)
        return list(q.suggestions) if q else []


class ListingInput(serializers.Serializer):
    shop = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all())
    sku = serializers.SlugRelatedField(slug_field="code", queryset=SKU.objects.all())
    channel_sku_code = serializers.CharField(max_length=80)
    channel_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                             default=None)
    status = serializers.ChoiceField(choices=ListingStatus.choices, default=ListingStatus.LISTED)
    auto_delist = serializers.BooleanField(required=False, default=True)


class ListingUpdate(serializers.Serializer):
    channel_sku_code = serializers.CharField(max_length=80, required=False)
    auto_delist = serializers.BooleanField(required=False)
    channel_price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)
    price_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ListingDelistInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ListingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Listings of the shops you may see, with quality stars and suggestions. `delist` / `relist` change the status
    by hand (a listing delisted by hand is never relisted automatically)."""

    serializer_class = ListingSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["catalog.view_listing"], "retrieve": ["catalog.view_listing"],
                      "create": ["catalog.add_listing"], "partial_update": ["catalog.change_listing"],
                      "delist": ["catalog.change_listing"], "relist": ["catalog.change_listing"]}
    filterset_class = ListingApiFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Listing.objects.none()
        return selectors.listings_visible_to(self.request.user).order_by("shop__code", "channel_sku_code")

    def get_serializer_class(self):
        return {"create": ListingInput, "partial_update": ListingUpdate, "delist": ListingDelistInput}.get(
            self.action, ListingSerializer)

    def _render(self, listings, many=False):
        if not many:
            listings = [self.get_queryset().get(pk=listings[0].pk)]
        context = {"request": self.request, "qualities": selectors.quality_of(listings)}
        data = ListingSerializer(listings, many=True, context=context).data
        return data if many else data[0]

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._render(page, many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._render([self.get_object()]))

    def create(self, request, *args, **kwargs):
        serializer = ListingInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.create_listing(actor=request.user, **serializer.validated_data)
        return Response(self._render([listing]), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        listing = self.get_object()
        serializer = ListingUpdate(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "channel_price" not in data:
            data.pop("price_reason", None)
        change = services.update_listing(actor=request.user, listing=listing, **data)
        body = self._render([listing])
        body["price_change"] = PriceChangeSerializer(change).data if change is not None else None
        return Response(body)

    @action(detail=True, methods=["post"])
    def delist(self, request, pk=None):
        serializer = ListingDelistInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        listing = services.delist_listing(actor=request.user, listing=self.get_object(),
                                          reason=serializer.validated_data["reason"])
        return Response(self._render([listing]))

    @action(detail=True, methods=["post"])
    def relist(self, request, pk=None):
        listing = services.relist_listing(actor=request.user, listing=self.get_object())
        return Response(self._render([listing]))


class PriceChangeSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target_label", read_only=True)
    item_number = serializers.CharField(source="product.item_number", read_only=True)
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", default=None, read_only=True)
    rejected_by = serializers.CharField(source="rejected_by.username", default=None, read_only=True)

    class Meta:
        model = PriceChange
        fields = ["id", "target", "item_number", "product", "sku", "listing", "field", "old_value", "new_value",
                  "decrease_percent", "limit_percent", "reason", "actor", "created_at", "status", "approved_by",
                  "rejected_by", "decided_at", "decision_note"]


class PriceChangeInput(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all(), required=False, allow_null=True)
    sku = serializers.SlugRelatedField(slug_field="code", queryset=SKU.objects.all(), required=False,
                                       allow_null=True)
    listing = serializers.PrimaryKeyRelatedField(queryset=Listing.objects.all(), required=False, allow_null=True)
    field = serializers.ChoiceField(choices=PriceField.choices)
    new_value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    reason = serializers.CharField(max_length=200)

    def validate(self, attrs):
        targets = [k for k in ("product", "sku", "listing") if attrs.get(k) is not None]
        if len(targets) != 1:
            raise serializers.ValidationError({"product": ["Name exactly one of product, sku or listing."]})
        return attrs


class PriceDecisionInput(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PriceChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         viewsets.GenericViewSet):
    """Price changes (改价记录): every change with who, when, old, new and why. Creating one applies it at once
    within your authority (max discount %), otherwise it waits for `approve` / `reject` by the manager."""

    serializer_class = PriceChangeSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["catalog.view_pricechange"], "retrieve": ["catalog.view_pricechange"],
                      "create": ["catalog.add_pricechange"], "approve": [APPROVE_PRICE_CHANGE],
                      "reject": [APPROVE_PRICE_CHANGE]}
    filterset_class = PriceChangeFilter

    def get_queryset(self):
        return selectors.price_changes()

    def get_serializer_class(self):
        return {"create": PriceChangeInput, "approve": PriceDecisionInput, "reject": PriceDecisionInput}.get(
            self.action, PriceChangeSerializer)

    def create(self, request, *args, **kwargs):
        serializer = PriceChangeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        target = d.get("listing") or d.get("sku") or d.get("product")
        change = services.request_price_change(actor=request.user, target=target, field=d["field"],
                                               new_value=d["new_value"], reason=d["reason"])
        return Response(PriceChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        serializer = PriceDecisionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.approve_price_change(actor=request.user, change=self.get_object(),
                                               note=serializer.validated_data["note"])
        return Response(PriceChangeSerializer(change).data)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        serializer = PriceDecisionInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.reject_price_change(actor=request.user, change=self.get_object(),
                                              note=serializer.validated_data["note"])
        return Response(PriceChangeSerializer(change).data)


class ProductImportResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())
    brands_created = serializers.ListField(child=serializers.CharField())
    price_changes = PriceChangeSerializer(many=True)


class ProductImportInput(serializers.Serializer):
    file = serializers.FileField()


class ImportView(APIView):
    """Import products and SKUs from an .xlsx (the template's layout). All or nothing: any bad row imports nothing
    and the error lists every problem as "第N行 列: 原因" (row numbers as Excel shows them)."""

    permission_classes = [RequirePerms]
    required_perms = ["catalog.add_product", "catalog.change_product"]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": ProductImportInput}, responses=ProductImportResultSerializer)
    def post(self, request):
        serializer = ProductImportInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        result = services.import_products_xlsx(actor=request.user, file=upload, file_name=upload.name)
        return Response(ProductImportResultSerializer(result).data)


def _xlsx(content: bytes, filename: str):
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ExportView(APIView):
    """Products and SKUs as .xlsx in the import layout; takes the product list's filters (q, brand, category …)."""

    permission_classes = [RequirePerms]
    required_perms = ["catalog.view_product"]

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request):
        qs = ProductApiFilter(request.GET, queryset=Product.objects.all(), request=request).qs
        content = xlsx.export_xlsx(selectors.products_for_export(qs),
                                   include_cost=request.user.has_perm(VIEW_COST_PRICE),
                                   category_paths=selectors.category_paths())
        return _xlsx(content, "products.xlsx")


class TemplateView(APIView):
    """The empty import template (.xlsx) with Chinese headers and a sheet explaining each column."""

    permission_classes = [RequirePerms]
    required_perms = ["catalog.add_product"]

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request):
        return _xlsx(xlsx.template_xlsx(include_cost=request.user.has_perm(VIEW_COST_PRICE)),
                     "product-import-template.xlsx")
