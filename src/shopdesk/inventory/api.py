"""Inventory API: warehouses and locations, stock, the movement ledger, purchase orders and receipts, transfers,
stocktakes, stock health and the month close. Thin: validate with a serializer, call one service, serialise.
The permissions are the ones the matching pages require."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shopdesk.catalog.models import SKU
from shopdesk.channels.models import Shop
from shopdesk.core.drf import RequirePerms
from shopdesk.core.errors import ServiceError
from shopdesk.inventory import filters, selectors, services
from shopdesk.inventory.models import (
    ClosedPeriod,
    Location,
    Movement,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Stocktake,
    StocktakeLine,
    StockThreshold,
    Transfer,
    TransferLine,
    Warehouse,
    Zone,
)

CODE = "[^/]+"


def _validated(serializer_class, data, **kw):
    serializer = serializer_class(data=data, **kw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _warehouse_location(warehouse: Warehouse, code: str, field: str) -> Location:
    location = selectors.find_location(warehouse, code)
    if location is None:
        message = gettext("No location %(code)s in %(w)s.") % {"code": code, "w": warehouse.name}
        raise ServiceError(message, code="unknown_location", fields={field: [message]})
    return location


# --- warehouses and locations --------------------------------------------------------------------------------------


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Zone
        fields = ["id", "code", "name"]


class WarehouseSerializer(serializers.ModelSerializer):
    shops = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    zones = ZoneSerializer(many=True, read_only=True)

    class Meta:
        model = Warehouse
        fields = ["code", "name", "priority", "is_active", "shops", "zones"]


class WarehouseInput(serializers.Serializer):
    code = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=60)
    priority = serializers.IntegerField(min_value=0, default=100)
    shops = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all(), many=True, default=list)


class WarehouseUpdate(serializers.Serializer):
    name = serializers.CharField(max_length=60, required=False)
    priority = serializers.IntegerField(min_value=0, required=False)
    shops = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all(), many=True, required=False)
    is_active = serializers.BooleanField(required=False)


class ZoneInput(serializers.Serializer):
    code = serializers.CharField(max_length=20)
    name = serializers.CharField(max_length=60)


class WarehouseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Warehouses with the shops they serve and their zones. POST /warehouses/{code}/zones/ adds a zone."""

    serializer_class = WarehouseSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_warehouse"], "retrieve": ["inventory.view_warehouse"],
                      "create": ["inventory.add_warehouse"], "partial_update": ["inventory.change_warehouse"],
                      "zones": ["inventory.add_zone"]}
    lookup_field = "code"
    lookup_value_regex = CODE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Warehouse.objects.prefetch_related("shops", "zones").order_by("priority", "id")

    def get_serializer_class(self):
        return {"create": WarehouseInput, "partial_update": WarehouseUpdate}.get(self.action, WarehouseSerializer)

    def create(self, request, *args, **kwargs):
        warehouse = services.create_warehouse(actor=request.user, **_validated(WarehouseInput, request.data))
        return Response(WarehouseSerializer(self.get_queryset().get(pk=warehouse.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        warehouse = self.get_object()
        services.update_warehouse(actor=request.user, warehouse=warehouse,
                                  **_validated(WarehouseUpdate, request.data))
        return Response(WarehouseSerializer(self.get_queryset().get(pk=warehouse.pk)).data)

    @extend_schema(request=ZoneInput, responses={201: ZoneSerializer})
    @action(detail=True, methods=["post"])
    def zones(self, request, code=None):
        zone = services.create_zone(actor=request.user, warehouse=self.get_object(),
                                    **_validated(ZoneInput, request.data))
        return Response(ZoneSerializer(zone).data, status=status.HTTP_201_CREATED)


class LocationSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    zone = serializers.CharField(source="zone.code", read_only=True)
    units = serializers.IntegerField(read_only=True)

    class Meta:
        model = Location
        fields = ["id", "warehouse", "zone", "code", "is_active", "units"]


class LocationInput(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    zone = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=30)


class LocationUpdate(serializers.Serializer):
    zone = serializers.CharField(max_length=20, required=False)
    is_active = serializers.BooleanField(required=False)


def _zone(warehouse_id, code) -> Zone:
    zone = Zone.objects.filter(warehouse_id=warehouse_id, code__iexact=code).first()
    if zone is None:
        message = gettext("No zone %(code)s in this warehouse.") % {"code": code}
        raise ServiceError(message, code="unknown_zone", fields={"zone": [message]})
    return zone


class LocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Shelf locations with the units they hold. Filters: warehouse (code), zone (code), is_active."""

    serializer_class = LocationSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_warehouse"], "retrieve": ["inventory.view_warehouse"],
                      "create": ["inventory.add_location"], "partial_update": ["inventory.change_location"]}
    filterset_fields = {"warehouse__code": ["exact"], "zone__code": ["exact"], "is_active": ["exact"]}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.locations().order_by("warehouse__priority", "warehouse_id", "code")

    def get_serializer_class(self):
        return {"create": LocationInput, "partial_update": LocationUpdate}.get(self.action, LocationSerializer)

    def create(self, request, *args, **kwargs):
        data = _validated(LocationInput, request.data)
        warehouse = data["warehouse"]
        [location] = services.create_locations(actor=request.user, warehouse=warehouse,
                                               zone=_zone(warehouse.pk, data["zone"]), codes=[data["code"]])
        return Response(LocationSerializer(self.get_queryset().get(pk=location.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        location = self.get_object()
        data = _validated(LocationUpdate, request.data)
        zone = _zone(location.warehouse_id, data["zone"]) if "zone" in data else None
        services.update_location(actor=request.user, location=location, zone=zone,
                                 is_active=data.get("is_active"))
        return Response(LocationSerializer(self.get_queryset().get(pk=location.pk)).data)


# --- stock and movements -------------------------------------------------------------------------------------------


class StockSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="code")
    product = serializers.CharField(source="product.name")
    item_number = serializers.CharField(source="product.item_number")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    in_transit = serializers.IntegerField()

    class Meta:
        model = SKU
        fields = ["sku", "barcode", "product", "item_number", "on_hand", "reserved", "available", "in_transit"]


@extend_schema(parameters=[OpenApiParameter("warehouse", str, description="warehouse code: figures of that warehouse"),
                           OpenApiParameter("q", str, description="SKU code, barcode, item number or product name")])
class StockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stock by SKU: on hand, reserved, available (= on hand − reserved) and incoming in-transit units, over the
    active warehouses or in one (`?warehouse=CODE`)."""

    serializer_class = StockSerializer
    permission_classes = [RequirePerms]
    required_perms = ["inventory.view_warehousestock"]
    filterset_class = filters.StockFilter

    def get_queryset(self):
        warehouse = filters.StockFilter.chosen_warehouse(self.request.query_params)
        return selectors.stock_by_sku(warehouse.pk if warehouse else None).order_by("code")


class MovementSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    location = serializers.CharField(source="location.code")
    warehouse = serializers.CharField(source="location.warehouse.code")
    lot_received_on = serializers.DateField(source="lot.received_on", allow_null=True, default=None)
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = Movement
        fields = ["id", "occurred_at", "posted_on", "sku", "type", "quantity", "warehouse", "location",
                  "lot_received_on", "reference", "note", "actor"]


class MovementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The stock ledger, newest first. Filters: sku (code), type, warehouse (code), since, until (posting date),
    reference."""

    serializer_class = MovementSerializer
    permission_classes = [RequirePerms]
    required_perms = ["inventory.view_movement"]
    filterset_class = filters.MovementFilter

    def get_queryset(self):
        return selectors.movements().order_by("-occurred_at", "-id")


# --- purchase orders and receipts ----------------------------------------------------------------------------------


class LineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    quantity = serializers.IntegerField(min_value=1)


def _line_inputs(rows):
    return [services.LineInput(sku=r["sku"], quantity=r["quantity"]) for r in rows]


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")

    class Meta:
        model = PurchaseOrderLine
        fields = ["sku", "ordered", "received", "outstanding"]


class PurchaseOrderSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    lines = PurchaseOrderLineSerializer(many=True)

    class Meta:
        model = PurchaseOrder
        fields = ["number", "supplier", "warehouse", "expected_on", "state", "note", "created_at", "closed_at",
                  "lines"]


class PurchaseOrderInput(serializers.Serializer):
    supplier = serializers.CharField(max_length=100)
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    expected_on = serializers.DateField(required=False, allow_null=True, default=None)
    number = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PurchaseOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                           viewsets.GenericViewSet):
    """Purchase orders (采购订单) and what has been received on them. Filters: state, warehouse (code)."""

    serializer_class = PurchaseOrderSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_purchaseorder"], "retrieve": ["inventory.view_purchaseorder"],
                      "create": ["inventory.add_purchaseorder"], "close": ["inventory.change_purchaseorder"]}
    lookup_field = "number"
    lookup_value_regex = CODE
    filterset_fields = {"state": ["exact"], "warehouse__code": ["exact"]}

    def get_queryset(self):
        return PurchaseOrder.objects.select_related("warehouse").prefetch_related(
            Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("sku"))).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return PurchaseOrderInput if self.action == "create" else PurchaseOrderSerializer

    def create(self, request, *args, **kwargs):
        data = _validated(PurchaseOrderInput, request.data)
        po = services.create_purchase_order(actor=request.user, supplier=data["supplier"],
                                            warehouse=data["warehouse"], lines=_line_inputs(data["lines"]),
                                            expected_on=data["expected_on"], number=data["number"],
                                            note=data["note"])
        return Response(PurchaseOrderSerializer(self.get_queryset().get(pk=po.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonInput, responses=PurchaseOrderSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        po = services.close_purchase_order(actor=request.user, purchase_order=self.get_object(),
                                           **_validated(ReasonInput, request.data))
        return Response(PurchaseOrderSerializer(self.get_queryset().get(pk=po.pk)).data)


class ReceiptLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    location = serializers.CharField(source="location.code")

    class Meta:
        model = ReceiptLine
        fields = ["id", "sku", "expected", "received", "difference", "location", "put_away", "to_put_away"]


class ReceiptSerializer(serializers.ModelSerializer):
    purchase_order = serializers.CharField(source="purchase_order.number")
    warehouse = serializers.CharField(source="warehouse.code")
    lines = ReceiptLineSerializer(many=True)

    class Meta:
        model = Receipt
        fields = ["number", "purchase_order", "warehouse", "delivery_note_number", "received_on", "state", "note",
                  "created_at", "posted_at", "lines"]


class ReceiptLineInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=60)
    received = serializers.IntegerField(min_value=0)
    expected = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    location = serializers.CharField(max_length=30)


class ReceiptInput(serializers.Serializer):
    purchase_order = serializers.SlugRelatedField(slug_field="number", queryset=PurchaseOrder.objects.all())
    delivery_note_number = serializers.CharField(max_length=60)
    received_on = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    post = serializers.BooleanField(default=False, help_text="also post it (goods into stock)")
    lines = ReceiptLineInputSerializer(many=True)


class PutAwayInput(serializers.Serializer):
    line = serializers.IntegerField(help_text="receipt line id")
    to_location = serializers.CharField(max_length=30)
    quantity = serializers.IntegerField(min_value=1)


class ReceiptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Receipts (入库单) against purchase orders and delivery notes: create (optionally `post`: true), post,
    put away. Filters: state, purchase_order (number), warehouse (code)."""

    serializer_class = ReceiptSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_receipt"], "retrieve": ["inventory.view_receipt"],
                      "create": ["inventory.add_receipt"], "post_receipt": ["inventory.add_receipt"],
                      "put_away": ["inventory.move_stock"]}
    lookup_field = "number"
    lookup_value_regex = CODE
    filterset_fields = {"state": ["exact"], "purchase_order__number": ["exact"], "warehouse__code": ["exact"]}

    def get_queryset(self):
        return Receipt.objects.select_related("purchase_order", "warehouse").prefetch_related(
            Prefetch("lines", queryset=ReceiptLine.objects.select_related("sku", "location"))).order_by(
            "-created_at", "-id")

    def get_serializer_class(self):
        return ReceiptInput if self.action == "create" else ReceiptSerializer

    def _out(self, receipt, code=status.HTTP_200_OK):
        return Response(ReceiptSerializer(self.get_queryset().get(pk=receipt.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        data = _validated(ReceiptInput, request.data)
        lines = [services.ReceiptLineInput(sku=r["sku"], received=r["received"], expected=r["expected"],
                                           location=r["location"]) for r in data["lines"]]
        receipt = services.create_receipt(actor=request.user, purchase_order=data["purchase_order"],
                                          delivery_note_number=data["delivery_note_number"],
                                          received_on=data["received_on"], lines=lines, note=data["note"],
                                          post=data["post"])
        return self._out(receipt, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"], url_path="post")
    def post_receipt(self, request, number=None):
        return self._out(services.post_receipt(actor=request.user, receipt=self.get_object()))

    @extend_schema(request=PutAwayInput, responses=ReceiptSerializer)
    @action(detail=True, methods=["post"], url_path="put-away")
    def put_away(self, request, number=None):
        receipt = self.get_object()
        data = _validated(PutAwayInput, request.data)
        line = receipt.lines.select_related("location").filter(pk=data["line"]).first()
        if line is None:
            raise ServiceError(gettext("Receipt %(r)s has no line %(line)s.") % {"r": receipt.number,
                                                                                "line": data["line"]},
                               code="unknown_line", fields={"line": [gettext("Not a line of this receipt.")]})
        to_location = _warehouse_location(receipt.warehouse, data["to_location"], "to_location")
        services.put_away(actor=request.user, line=line, to_location=to_location, quantity=data["quantity"])
        return self._out(receipt)


# --- transfers -----------------------------------------------------------------------------------------------------


class TransferLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")

    class Meta:
        model = TransferLine
        fields = ["sku", "quantity", "lot_dates"]


class TransferSerializer(serializers.ModelSerializer):
    from_warehouse = serializers.CharField(source="from_warehouse.code")
    to_warehouse = serializers.CharField(source="to_warehouse.code")
    lines = TransferLineSerializer(many=True)

    class Meta:
        model = Transfer
        fields = ["number", "from_warehouse", "to_warehouse", "state", "note", "created_at", "dispatched_at",
                  "received_at", "lines"]


class TransferInput(serializers.Serializer):
    from_warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    to_warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = LineInputSerializer(many=True)


class TransferReceiveInput(serializers.Serializer):
    location = serializers.CharField(max_length=30, help_text="location code in the destination warehouse")


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """Transfers between warehouses (调拨): create a draft, dispatch (in transit, lot dates kept), receive."""

    serializer_class = TransferSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_transfer"], "retrieve": ["inventory.view_transfer"],
                      "create": ["inventory.add_transfer"], "dispatch_transfer": ["inventory.change_transfer"],
                      "receive": ["inventory.change_transfer"], "cancel": ["inventory.change_transfer"]}
    lookup_field = "number"
    lookup_value_regex = CODE
    filterset_fields = {"state": ["exact"], "from_warehouse__code": ["exact"], "to_warehouse__code": ["exact"]}

    def get_queryset(self):
        return Transfer.objects.select_related("from_warehouse", "to_warehouse").prefetch_related(
            Prefetch("lines", queryset=TransferLine.objects.select_related("sku"))).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return TransferInput if self.action == "create" else TransferSerializer

    def _out(self, transfer, code=status.HTTP_200_OK):
        return Response(TransferSerializer(self.get_queryset().get(pk=transfer.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        data = _validated(TransferInput, request.data)
        transfer = services.create_transfer(actor=request.user, from_warehouse=data["from_warehouse"],
                                            to_warehouse=data["to_warehouse"], lines=_line_inputs(data["lines"]),
                                            note=data["note"])
        return self._out(transfer, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TransferSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_transfer(self, request, number=None):
        return self._out(services.dispatch_transfer(actor=request.user, transfer=self.get_object()))

    @extend_schema(request=TransferReceiveInput, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, number=None):
        transfer = self.get_object()
        code = _validated(TransferReceiveInput, request.data)["location"]
        location = _warehouse_location(transfer.to_warehouse, code, "location")
        return self._out(services.receive_transfer(actor=request.user, transfer=transfer, location=location))

    @extend_schema(request=ReasonInput, responses=TransferSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._out(services.cancel_transfer(actor=request.user, transfer=self.get_object(),
                                                  **_validated(ReasonInput, request.data)))


# --- stocktakes ----------------------------------------------------------------------------------------------------


class StocktakeLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")
    location = serializers.CharField(source="location.code")

    class Meta:
        model = StocktakeLine
        fields = ["id", "sku", "location", "expected", "book", "counted", "variance", "counted_at"]


class StocktakeSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="warehouse.code")
    zone = serializers.CharField(source="zone.code", allow_null=True, default=None)
    line_count = serializers.IntegerField(read_only=True)
    counted_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Stocktake
        fields = ["number", "warehouse", "zone", "state", "note", "started_at", "submitted_at", "approved_at",
                  "posted_on", "line_count", "counted_count"]


class StocktakeDetailSerializer(StocktakeSerializer):
    lines = serializers.SerializerMethodField()
    surplus_units = serializers.SerializerMethodField()
    shortage_units = serializers.SerializerMethodField()

    class Meta(StocktakeSerializer.Meta):
        fields = [*StocktakeSerializer.Meta.fields, "surplus_units", "shortage_units", "lines"]

    def _report(self, stocktake):
        if not hasattr(stocktake, "_report"):
            stocktake._report = selectors.variance_report(stocktake)
        return stocktake._report

    def get_lines(self, stocktake) -> list[dict]:
        return StocktakeLineSerializer(self._report(stocktake).lines, many=True).data

    def get_surplus_units(self, stocktake) -> int:
        return self._report(stocktake).surplus_units

    def get_shortage_units(self, stocktake) -> int:
        return self._report(stocktake).shortage_units


class StocktakeInput(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    zone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="",
                                 help_text="zone code; empty = the whole warehouse")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CountInput(serializers.Serializer):
    location = serializers.CharField(max_length=30, help_text="location code of this count")
    code = serializers.CharField(max_length=80, required=False, allow_blank=True, default="",
                                 help_text="a scan: barcode or SKU code adds 1 at the location")
    sku = serializers.CharField(max_length=60, required=False, allow_blank=True, default="",
                                help_text="with `counted`: the SKU whose count is set")
    counted = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if not attrs["code"] and not (attrs["sku"] and attrs["counted"] is not None):
            raise serializers.ValidationError(gettext("Give a scanned code, or a SKU and its counted quantity."))
        return attrs


class SubmitInput(serializers.Serializer):
    zero_uncounted = serializers.BooleanField(default=False)


class StocktakeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                       viewsets.GenericViewSet):
    """Stocktakes (盘点): start (snapshot), count (scan or set), submit, approve (posts adjustments), return, cancel.
    The detail has every line with its variance."""

    serializer_class = StocktakeSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_stocktake"], "retrieve": ["inventory.view_stocktake"],
                      "create": ["inventory.count_stocktake"], "count": ["inventory.count_stocktake"],
                      "submit": ["inventory.count_stocktake"], "approve": ["inventory.approve_stocktake"],
                      "send_back": ["inventory.approve_stocktake"], "cancel": ["inventory.count_stocktake"]}
    lookup_field = "number"
    lookup_value_regex = CODE
    filterset_fields = {"state": ["exact"], "warehouse__code": ["exact"]}

    def get_queryset(self):
        return selectors.stocktakes().order_by("-started_at", "-id")

    def get_serializer_class(self):
        return {"create": StocktakeInput, "retrieve": StocktakeDetailSerializer}.get(self.action, StocktakeSerializer)

    def _out(self, stocktake, code=status.HTTP_200_OK):
        return Response(StocktakeDetailSerializer(self.get_queryset().get(pk=stocktake.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        data = _validated(StocktakeInput, request.data)
        zone = _zone(data["warehouse"].pk, data["zone"]) if data["zone"] else None
        stocktake = services.start_stocktake(actor=request.user, warehouse=data["warehouse"], zone=zone,
                                             note=data["note"])
        return self._out(stocktake, status.HTTP_201_CREATED)

    @extend_schema(request=CountInput, responses=StocktakeLineSerializer)
    @action(detail=True, methods=["post"])
    def count(self, request, number=None):
        """A scan (`code`: +1 of that barcode/SKU at `location`) or a typed count (`sku` + `counted`)."""
        stocktake = self.get_object()
        data = _validated(CountInput, request.data)
        location = selectors.identify_location(stocktake, data["location"])
        if location is None:
            raise ServiceError(gettext("Location %(l)s is not part of stocktake %(n)s.")
                               % {"l": data["location"], "n": stocktake.number}, code="location_outside_count",
                               fields={"location": [gettext("Not in this count.")]})
        if data["code"]:
            result = services.record_scan(actor=request.user, stocktake=stocktake, code=data["code"],
                                          location=location, typed_counts=False)
            if result.line is None:
                raise ServiceError(gettext("%(code)s is a location code: send it as the location.")
                                   % {"code": data["code"]}, code="location_scanned",
                                   fields={"code": [gettext("A location code, not goods.")]})
            line = result.line
        else:
            sku = selectors.identify_sku(data["sku"])
            if sku is None:
                raise ServiceError(gettext("Unknown SKU %(code)s.") % {"code": data["sku"]}, code="unknown_barcode",
                                   fields={"sku": [gettext("Unknown SKU %(code)s.") % {"code": data["sku"]}]})
            line = services.set_stocktake_count(actor=request.user, stocktake=stocktake, sku=sku, location=location,
                                                counted=data["counted"])
        return Response(StocktakeLineSerializer(line).data)

    @extend_schema(request=SubmitInput, responses=StocktakeDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, number=None):
        return self._out(services.submit_stocktake(actor=request.user, stocktake=self.get_object(),
                                                   **_validated(SubmitInput, request.data)))

    @extend_schema(request=None, responses=StocktakeDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        return self._out(services.approve_stocktake(actor=request.user, stocktake=self.get_object()))

    @extend_schema(request=ReasonInput, responses=StocktakeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request, number=None):
        return self._out(services.return_stocktake(actor=request.user, stocktake=self.get_object(),
                                                   **_validated(ReasonInput, request.data)))

    @extend_schema(request=ReasonInput, responses=StocktakeDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, number=None):
        return self._out(services.cancel_stocktake(actor=request.user, stocktake=self.get_object(),
                                                   **_validated(ReasonInput, request.data)))


# --- stock health --------------------------------------------------------------------------------------------------


class HealthSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="code")
    product = serializers.CharField(source="product.name")
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()
    reorder_point = serializers.IntegerField()
    max_stock = serializers.IntegerField()
    slow_days = serializers.IntegerField()
    cover_days = serializers.IntegerField()
    shipped_last_30_days = serializers.IntegerField(source="shipped_recent")
    last_shipped_on = serializers.DateField(allow_null=True)
    suggested_order = serializers.IntegerField(source="suggested")

    class Meta:
        model = SKU
        fields = ["sku", "barcode", "product", "on_hand", "reserved", "available", "reorder_point", "max_stock",
                  "slow_days", "cover_days", "shipped_last_30_days", "last_shipped_on", "suggested_order"]


class ThresholdInput(serializers.Serializer):
    reorder_point = serializers.IntegerField(min_value=0)
    max_stock = serializers.IntegerField(min_value=0)
    slow_days = serializers.IntegerField(min_value=1, default=selectors.DEFAULT_SLOW_DAYS)
    cover_days = serializers.IntegerField(min_value=1, default=selectors.DEFAULT_COVER_DAYS)


class ThresholdSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code")

    class Meta:
        model = StockThreshold
        fields = ["sku", "reorder_point", "max_stock", "slow_days", "cover_days", "updated_at"]


@extend_schema(parameters=[OpenApiParameter("category", str, enum=list(selectors.HEALTH_LABELS),
                                            description="out_of_stock, low, overstock or slow_moving"),
                           OpenApiParameter("q", str)])
class HealthViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stock health (000:493) per SKU with the replenishment suggestion; PUT /health/{sku}/thresholds/ sets the
    SKU's thresholds."""

    serializer_class = HealthSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_stockthreshold"], "retrieve": ["inventory.view_stockthreshold"],
                      "thresholds": ["inventory.change_stockthreshold"]}
    filterset_class = filters.HealthFilter
    lookup_field = "code"
    lookup_value_regex = CODE

    def get_queryset(self):
        qs = selectors.stock_health().order_by("code")
        category = self.request.query_params.get("category", "") if self.request else ""
        if category:
            conditions = selectors.health_conditions()
            if category not in conditions:
                message = gettext("Unknown category %(c)s (valid: %(valid)s).") % {
                    "c": category, "valid": ", ".join(conditions)}
                raise ServiceError(message, code="invalid", fields={"category": [message]})
            qs = qs.filter(conditions[category])
        return qs

    @extend_schema(request=ThresholdInput, responses=ThresholdSerializer)
    @action(detail=True, methods=["put"])
    def thresholds(self, request, code=None):
        sku = self.get_object()
        threshold = services.set_stock_threshold(actor=request.user, sku=sku,
                                                 **_validated(ThresholdInput, request.data))
        return Response(ThresholdSerializer(threshold).data)


# --- month close ---------------------------------------------------------------------------------------------------


class ClosedPeriodSerializer(serializers.ModelSerializer):
    month = serializers.DateField(format="%Y-%m")
    closed_by = serializers.CharField(source="closed_by.username", allow_null=True, default=None)

    class Meta:
        model = ClosedPeriod
        fields = ["month", "closed_at", "closed_by"]


class CloseMonthInput(serializers.Serializer):
    month = serializers.DateField(input_formats=["%Y-%m", "%Y-%m-%d"], help_text="YYYY-MM")


class ClosedPeriodViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Closed months (月结). POST {"month": "2026-09"} closes a finished month."""

    serializer_class = ClosedPeriodSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["inventory.view_closedperiod"], "create": ["inventory.add_closedperiod"]}

    def get_queryset(self):
        return selectors.closed_periods()

    def get_serializer_class(self):
        return CloseMonthInput if self.action == "create" else ClosedPeriodSerializer

    def create(self, request, *args, **kwargs):
        period = services.close_month(actor=request.user, month=_validated(CloseMonthInput, request.data)["month"])
        return Response(ClosedPeriodSerializer(period).data, status=status.HTTP_201_CREATED)
