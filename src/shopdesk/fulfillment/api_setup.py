"""Carrier set-up API under /api/v1/fulfilment/: carriers, their price rules and the fee, waybill pools (ranges and
imported lists), the waybill-number and blind-spot imports, and the dispatch plan's numbers.

Thin like the pages: validate with a serializer, call one service, serialise; the same permissions as the pages.
An import with bad rows answers 400 with the usual error body plus `rows`: [{"line", "column", "reason"}].
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shopdesk.channels.models import Shop
from shopdesk.core.drf import RequirePerms, error_body
from shopdesk.fulfillment import selectors, services
from shopdesk.fulfillment.models import Carrier, PriceRule, WaybillPool
from shopdesk.fulfillment.uploads import UploadFile, saved_upload

VIEW_CARRIER = "fulfillment.view_carrier"
VIEW_PRICES = "fulfillment.view_pricerule"
VIEW_POOLS = "fulfillment.view_waybillpool"
PLAN = "fulfillment.view_dispatch_plan"


def _refused(exc: services.ImportRefused) -> Response:
    body = error_body(exc.code, exc.message, exc.fields)
    body["error"]["rows"] = [p.as_dict() for p in exc.problems]
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _carrier(value) -> Carrier:
    """A carrier by id or code (404 for neither)."""
    text = str(value).strip()
    if text.isdigit():
        return get_object_or_404(Carrier, pk=int(text))
    return get_object_or_404(Carrier, code=text)


@extend_schema_field(OpenApiTypes.STR)
class CarrierRef(serializers.Field):
    """A carrier given by its id or its code."""

    default_error_messages = {"unknown": "Unknown carrier: give its id or code."}

    def to_internal_value(self, data):
        text = str(data).strip()
        found = (Carrier.objects.filter(pk=int(text)).first() if text.isdigit()
                 else Carrier.objects.filter(code=text).first())
        if found is None:
            self.fail("unknown")
        return found

    def to_representation(self, value):
        return value.pk



# --- carriers ---------------------------------------------------------------------------------------------------------


class PoolSummarySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="range or list")
    numbers_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = WaybillPool
        fields = ["id", "name", "kind", "numbers_left", "is_active"]


class CarrierSerializer(serializers.ModelSerializer):
    price_rules = serializers.IntegerField(source="rule_count", read_only=True)
    pools = PoolSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Carrier
        fields = ["id", "name", "code", "services", "is_universal", "is_active", "sort", "price_rules", "pools"]


class CarrierInput(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    code = serializers.SlugField(max_length=20)
    services = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    is_universal = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)
    sort = serializers.IntegerField(min_value=0, required=False, default=0)


class CarrierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Carriers with their pools (numbers left) and the number of price rules. POST creates, PUT/PATCH change
    (through the services; a carrier is never deleted: set is_active false). `?active=1` lists active ones only."""

    serializer_class = CarrierSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_CARRIER], "retrieve": [VIEW_CARRIER], "create": [services.ADD_CARRIER],
                      "update": [services.CARRIERS], "partial_update": [services.CARRIERS]}
    queryset = Carrier.objects.none()

    def get_queryset(self):
        qs = selectors.carriers_overview()
        if self.request.query_params.get("active") in ("1", "true"):
            qs = qs.filter(is_active=True)
        return qs

    def _answer(self, carrier, code=status.HTTP_200_OK):
        return Response(CarrierSerializer(self.get_queryset().get(pk=carrier.pk)).data, status=code)

    @extend_schema(request=CarrierInput, responses=CarrierSerializer)
    def create(self, request):
        s = CarrierInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._answer(services.save_carrier(actor=request.user, **s.validated_data), status.HTTP_201_CREATED)

    def _change(self, request, partial: bool):
        carrier = self.get_object()
        s = CarrierInput(data=request.data, partial=partial)
        s.is_valid(raise_exception=True)
        values = {f: getattr(carrier, f) for f in ("name", "code", "services", "is_universal", "is_active", "sort")}
        values.update(s.validated_data)
        return self._answer(services.save_carrier(actor=request.user, carrier=carrier, **values))

    @extend_schema(request=CarrierInput, responses=CarrierSerializer)
    def update(self, request, pk=None):
        return self._change(request, partial=False)

    @extend_schema(request=CarrierInput, responses=CarrierSerializer)
    def partial_update(self, request, pk=None):
        return self._change(request, partial=True)


# --- price rules and the fee ------------------------------------------------------------------------------------------


class PriceRuleSerializer(serializers.ModelSerializer):
    carrier = serializers.IntegerField(source="carrier_id", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)

    class Meta:
        model = PriceRule
        fields = ["id", "carrier", "carrier_name", "province", "first_weight_kg", "first_fee", "extra_unit_kg",
                  "extra_fee"]


class PriceRuleInput(serializers.Serializer):
    carrier = CarrierRef()
    province = serializers.CharField(max_length=30, required=False, allow_blank=True, default="",
                                     help_text='"" = every province not listed')
    first_weight_kg = serializers.DecimalField(max_digits=8, decimal_places=3, required=False, default="1")
    first_fee = serializers.DecimalField(max_digits=12, decimal_places=2)
    extra_unit_kg = serializers.DecimalField(max_digits=8, decimal_places=3, required=False, default="1")
    extra_fee = serializers.DecimalField(max_digits=12, decimal_places=2)


class PriceRuleChange(serializers.Serializer):
    first_weight_kg = serializers.DecimalField(max_digits=8, decimal_places=3, required=False)
    first_fee = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)
    extra_unit_kg = serializers.DecimalField(max_digits=8, decimal_places=3, required=False)
    extra_fee = serializers.DecimalField(max_digits=12, decimal_places=2, required=False)


class PriceRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """首重/续重 price rules, filtered by `?carrier=<id or code>`. POST sets the rule of a carrier's province (a rule
    already there is replaced); PUT/PATCH change its fees (the province stays: delete and add for another one)."""

    serializer_class = PriceRuleSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_PRICES], "retrieve": [VIEW_PRICES], "create": [services.PRICES],
                      "update": [services.PRICES], "partial_update": [services.PRICES], "destroy": [services.PRICES]}
    queryset = PriceRule.objects.none()

    def get_queryset(self):
        qs = PriceRule.objects.select_related("carrier").order_by("carrier__sort", "carrier__name", "province")
        carrier = self.request.query_params.get("carrier")
        if carrier:
            qs = qs.filter(carrier=_carrier(carrier))
        return qs

    @extend_schema(parameters=[OpenApiParameter("carrier", str, description="carrier id or code")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=PriceRuleInput, responses=PriceRuleSerializer)
    def create(self, request):
        s = PriceRuleInput(data=request.data)
        s.is_valid(raise_exception=True)
        rule = services.save_price_rule(actor=request.user, **s.validated_data)
        return Response(PriceRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def _change(self, request):
        rule = self.get_object()
        s = PriceRuleChange(data=request.data)
        s.is_valid(raise_exception=True)
        values = {f: getattr(rule, f) for f in ("first_weight_kg", "first_fee", "extra_unit_kg", "extra_fee")}
        values.update(s.validated_data)
        rule = services.save_price_rule(actor=request.user, carrier=rule.carrier, province=rule.province, **values)
        return Response(PriceRuleSerializer(rule).data)

    @extend_schema(request=PriceRuleChange, responses=PriceRuleSerializer)
    def update(self, request, pk=None):
        return self._change(request)

    @extend_schema(request=PriceRuleChange, responses=PriceRuleSerializer)
    def partial_update(self, request, pk=None):
        return self._change(request)

    def destroy(self, request, pk=None):
        services.delete_price_rule(actor=request.user, rule=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeeQuery(serializers.Serializer):
    carrier = CarrierRef()
    province = serializers.CharField(max_length=30)
    weight = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0)


FeeAnswer = inline_serializer("FeeAnswer", {
    "carrier": serializers.CharField(), "province": serializers.CharField(), "weight_kg": serializers.DecimalField(
        max_digits=8, decimal_places=3), "fee": serializers.DecimalField(max_digits=12, decimal_places=2,
                                                                          allow_null=True)})


class FeeViewSet(viewsets.ViewSet):
    """GET ?carrier=<id or code>&province=广东&weight=1.5 → what the carrier should charge ("fee": null when no rule,
    not even the default one, applies)."""

    permission_classes = [RequirePerms]
    required_perms = [VIEW_PRICES]

    @extend_schema(parameters=[FeeQuery], responses=FeeAnswer)
    def list(self, request):
        s = FeeQuery(data=request.query_params)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        amount = selectors.fee(d["carrier"], d["province"], d["weight"])
        return Response({"carrier": d["carrier"].name, "province": d["province"], "weight_kg": str(d["weight"]),
                         "fee": None if amount is None else str(amount)})


# --- waybill pools ----------------------------------------------------------------------------------------------------


class PoolSerializer(serializers.ModelSerializer):
    carrier = serializers.IntegerField(source="carrier_id", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text="range or list")
    numbers_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = WaybillPool
        fields = ["id", "carrier", "carrier_name", "name", "kind", "prefix", "next_number", "last_number", "digits",
                  "numbers_left", "is_active", "created_at"]


class RangePoolInput(serializers.Serializer):
    carrier = CarrierRef()
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    first = serializers.IntegerField(min_value=0)
    last = serializers.IntegerField(min_value=0)
    prefix = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    digits = serializers.IntegerField(min_value=1, max_value=30, required=False, default=12)


class ListPoolInput(serializers.Serializer):
    carrier = CarrierRef()
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    numbers = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
    file = UploadFile(required=False, help_text="xlsx or CSV with a column 运单号 (instead of numbers)")

    def validate(self, data):
        if not data.get("numbers") and not data.get("file"):
            raise serializers.ValidationError({"numbers": ["Give the numbers or a file."]})
        return data


class PoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Waybill pools with the numbers left, filtered by `?carrier=<id or code>`. POST creates a number range;
    POST import/ a list (JSON `numbers` or a multipart `file` with a column 运单号); POST {id}/deactivate/ and
    {id}/activate/."""

    serializer_class = PoolSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_POOLS], "retrieve": [VIEW_POOLS], "create": [services.ADD_POOL],
                      "import_list": [services.ADD_POOL], "activate": [services.POOLS],
                      "deactivate": [services.POOLS]}
    queryset = WaybillPool.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        qs = selectors.pools_with_left()
        carrier = self.request.query_params.get("carrier")
        if carrier:
            qs = qs.filter(carrier=_carrier(carrier))
        return qs

    def _answer(self, pool, code=status.HTTP_200_OK):
        return Response(PoolSerializer(self.get_queryset().get(pk=pool.pk)).data, status=code)

    @extend_schema(parameters=[OpenApiParameter("carrier", str, description="carrier id or code")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=RangePoolInput, responses=PoolSerializer)
    def create(self, request):
        s = RangePoolInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._answer(services.create_range_pool(actor=request.user, **s.validated_data),
                            status.HTTP_201_CREATED)

    @extend_schema(request={"application/json": ListPoolInput, "multipart/form-data": ListPoolInput},
                   responses=PoolSerializer)
    @action(detail=False, methods=["post"], url_path="import", url_name="import")
    def import_list(self, request):
        s = ListPoolInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        try:
            if d.get("file"):
                with saved_upload(d["file"]) as path:
                    numbers = services.read_waybill_numbers(path)
            else:
                numbers = d["numbers"]
        except services.ImportRefused as exc:
            return _refused(exc)
        pool = services.add_pool_numbers(actor=request.user, carrier=d["carrier"], name=d["name"], numbers=numbers)
        return self._answer(pool, status.HTTP_201_CREATED)

    def _active(self, request, active: bool):
        return self._answer(services.set_pool_active(actor=request.user, pool=self.get_object(), active=active))

    @extend_schema(request=None, responses=PoolSerializer)
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self._active(request, True)

    @extend_schema(request=None, responses=PoolSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        return self._active(request, False)


# --- imports ----------------------------------------------------------------------------------------------------------


class WaybillImportInput(serializers.Serializer):
    shop = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all())
    file = UploadFile(help_text="xlsx or CSV: 订单号, 运单号, 快递公司 (optional)")


class CoverageImportInput(serializers.Serializer):
    carrier = CarrierRef()
    file = UploadFile(help_text="xlsx or CSV: 省份, 城市 (optional), 区县 (optional)")


WaybillImportAnswer = inline_serializer("WaybillImportAnswer", {
    "updated": serializers.IntegerField(), "unchanged": serializers.IntegerField()})
CoverageImportAnswer = inline_serializer("CoverageImportAnswer", {
    "created": serializers.IntegerField(), "existing": serializers.IntegerField()})


class WaybillImportViewSet(viewsets.ViewSet):
    """录入快递单号: POST a file (multipart: shop code, file) → {"updated", "unchanged"}; any bad row and nothing is
    written: 400 with `rows` naming each line, column and reason."""

    permission_classes = [RequirePerms]
    required_perms = [services.FULFIL]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": WaybillImportInput}, responses=WaybillImportAnswer)
    def create(self, request):
        s = WaybillImportInput(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            with saved_upload(s.validated_data["file"]) as path:
                result = services.import_waybills(actor=request.user, shop=s.validated_data["shop"], path=path)
        except services.ImportRefused as exc:
            return _refused(exc)
        return Response(result)


class CoverageImportViewSet(viewsets.ViewSet):
    """A carrier's blind spots from a file (multipart: carrier id or code, file) → {"created", "existing"}; any bad
    row and nothing is written: 400 with `rows`."""

    permission_classes = [RequirePerms]
    required_perms = [services.COVERAGE_ADD]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": CoverageImportInput}, responses=CoverageImportAnswer)
    def create(self, request):
        s = CoverageImportInput(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            with saved_upload(s.validated_data["file"]) as path:
                result = services.import_coverage(actor=request.user, carrier=s.validated_data["carrier"],
                                                  path=path)
        except services.ImportRefused as exc:
            return _refused(exc)
        return Response(result)


# --- the dispatch plan ------------------------------------------------------------------------------------------------


class PlanViewSet(viewsets.ViewSet):
    """The dispatch plan board's numbers for the caller's shops (see selectors.dispatch_plan)."""

    permission_classes = [RequirePerms]
    required_perms = [PLAN]

    @extend_schema(responses=inline_serializer("DispatchPlan", {"date": serializers.CharField()}))
    def list(self, request):
        return Response(selectors.dispatch_plan(request.user))
