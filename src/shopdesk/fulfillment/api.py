"""Warehouse API under /api/v1/fulfilment/: print batches and their PDFs, each order's pick, check scan, check
confirmation, packing, shipping and waybill number, the scan-to-ship station and the hand-over lists.

Thin like the stations: validate with a serializer, call one service, serialise; the same permissions as the pages
(labels and dispatch notes also need the personal-data permission: they carry the buyer's phones and address). A
refused check scan is an answer, not an error: 200 with `ok: false` and the reason; a refusal of the action itself
(two-person rule, wrong state, a parcel that must stop) is the usual error body with 409.
"""

from __future__ import annotations

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shopdesk.core.drf import RequirePerms, error_body
from shopdesk.fulfillment import selectors, services, views
from shopdesk.fulfillment.forms import PACKING_MATERIALS
from shopdesk.fulfillment.models import Handover, PrintBatch, PrintLog, Shipment
from shopdesk.orders.models import Order, OrderLine

FULFIL = services.FULFIL
VIEW_BATCH = views.VIEW_BATCH
VIEW_HANDOVER = views.VIEW_HANDOVER


def _username(user) -> str | None:
    return user.username if user is not None else None


class PrintLogSerializer(serializers.ModelSerializer):
    document = serializers.CharField(read_only=True)
    document_label = serializers.CharField(source="get_document_display", read_only=True)
    printed_by = serializers.SerializerMethodField()

    class Meta:
        model = PrintLog
        fields = ["document", "document_label", "reprint", "pages", "printed_by", "printed_at"]

    def get_printed_by(self, log) -> str | None:
        return _username(log.printed_by)


class PrintBatchSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    to_pick = serializers.IntegerField(source="n_printed", read_only=True)
    picked = serializers.IntegerField(source="n_picked", read_only=True)
    packed = serializers.IntegerField(source="n_packed", read_only=True)
    shipped = serializers.IntegerField(source="n_shipped", read_only=True)
    on_hold = serializers.IntegerField(source="n_held", read_only=True)

    class Meta:
        model = PrintBatch
        fields = ["id", "number", "carrier", "order_count", "created_by", "created_at", "to_pick", "picked", "packed",
                  "shipped", "on_hold"]

    def get_created_by(self, batch) -> str | None:
        return _username(batch.created_by)


def _line_work(line) -> tuple[int, int]:
    work = getattr(line, "work", None)
    return (work.picked, work.checked) if work is not None else (0, 0)


class WarehouseLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code", default=None, read_only=True)
    barcode = serializers.CharField(source="sku.barcode", default=None, read_only=True)
    picked = serializers.SerializerMethodField()
    checked = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = ["id", "channel_sku_code", "sku", "barcode", "title", "properties", "quantity", "picked", "checked"]

    def get_picked(self, line) -> int:
        return _line_work(line)[0]

    def get_checked(self, line) -> int:
        return _line_work(line)[1]


class WarehouseOrderSerializer(serializers.ModelSerializer):
    """An order as the warehouse sees it: its stage, carrier and waybill, who picked, checked and packed it, and its
    lines with the picked and checked counts. No buyer data."""

    shop = serializers.CharField(source="shop.code", read_only=True)
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    batch = serializers.SerializerMethodField()
    picked_by = serializers.SerializerMethodField()
    checked_by = serializers.SerializerMethodField()
    quality_ok = serializers.SerializerMethodField()
    packed_by = serializers.SerializerMethodField()
    weight_kg = serializers.SerializerMethodField()
    packing_material = serializers.SerializerMethodField()
    lines = WarehouseLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "shop", "platform_order_no", "status", "status_label", "on_hold", "ship_today", "carrier",
                  "tracking_no", "batch", "picked_by", "checked_by", "quality_ok", "packed_by", "weight_kg",
                  "packing_material", "lines"]

    def _work(self, order):
        return getattr(order, "work", None)

    def get_batch(self, order) -> str | None:
        work = self._work(order)
        return work.batch.number if work is not None and work.batch_id else None

    def get_picked_by(self, order) -> str | None:
        work = self._work(order)
        return _username(work.picked_by) if work is not None else None

    def get_checked_by(self, order) -> str | None:
        work = self._work(order)
        return _username(work.checked_by) if work is not None else None

    def get_quality_ok(self, order) -> bool:
        work = self._work(order)
        return bool(work and work.quality_ok)

    def get_packed_by(self, order) -> str | None:
        work = self._work(order)
        return _username(work.packed_by) if work is not None else None

    def get_weight_kg(self, order) -> str | None:
        work = self._work(order)
        return str(work.weight_kg) if work is not None and work.weight_kg is not None else None

    def get_packing_material(self, order) -> str:
        work = self._work(order)
        return work.packing_material if work is not None else ""


class PrintBatchDetailSerializer(PrintBatchSerializer):
    orders = serializers.SerializerMethodField()
    prints = serializers.SerializerMethodField()
    without_number = serializers.SerializerMethodField()

    class Meta(PrintBatchSerializer.Meta):
        fields = [*PrintBatchSerializer.Meta.fields, "orders", "prints", "without_number"]

    def _orders(self, batch) -> list:
        if not hasattr(self, "_cached_orders"):
            self._cached_orders = list(selectors.batch_orders(self.context["request"].user, batch))
        return self._cached_orders

    @extend_schema_field(WarehouseOrderSerializer(many=True))
    def get_orders(self, batch) -> list[dict]:
        return WarehouseOrderSerializer(self._orders(batch), many=True).data

    @extend_schema_field(PrintLogSerializer(many=True))
    def get_prints(self, batch) -> list[dict]:
        return PrintLogSerializer(selectors.print_log(batch), many=True).data

    def get_without_number(self, batch) -> list[str]:
        return [o.platform_order_no for o in self._orders(batch)
                if not o.tracking_no and o.status in selectors.IN_WAREHOUSE]


class BatchCreateInput(serializers.Serializer):
    orders = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1,
                                   max_length=services.BATCH_LIMIT, help_text="Ids of verified orders to print.")


class BatchCreatedSerializer(serializers.Serializer):
    batch = PrintBatchDetailSerializer()
    without_number = serializers.ListField(child=serializers.CharField(),
                                           help_text="Orders whose carrier had no waybill number left.")


PDF = OpenApiResponse(response=OpenApiTypes.BINARY, description="application/pdf")


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Print batches (波次) with orders of your shops. `POST` prints the given verified orders as a new batch (carrier
    and waybill numbers assigned; orders left without a number are listed). `GET
    /fulfilment/batches/{id}/documents/{pick_list|dispatch_notes|labels}/` answers the PDF and logs the print (the
    second and later prints of a document are reprints)."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_BATCH], "retrieve": [VIEW_BATCH], "create": [services.BATCH],
                      "documents": [VIEW_BATCH, FULFIL]}
    queryset = PrintBatch.objects.none()

    def get_queryset(self):
        return selectors.batches(self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return PrintBatchDetailSerializer if self.action == "retrieve" else PrintBatchSerializer

    def _detail(self, batch):
        batch = self.get_queryset().get(pk=batch.pk)
        return PrintBatchDetailSerializer(batch, context={"request": self.request}).data

    @extend_schema(request=BatchCreateInput, responses={201: BatchCreatedSerializer})
    def create(self, request, *args, **kwargs):
        s = BatchCreateInput(data=request.data)
        s.is_valid(raise_exception=True)
        ids = set(s.validated_data["orders"])
        orders = list(selectors.warehouse_orders(request.user).filter(pk__in=ids))
        unknown = sorted(ids - {o.pk for o in orders})
        if unknown:
            return Response(error_body("not_found", f"Unknown orders: {', '.join(map(str, unknown[:20]))}.",
                                       {"orders": [str(pk) for pk in unknown[:20]]}),
                            status=status.HTTP_404_NOT_FOUND)
        result = services.create_batch(actor=request.user, orders=orders)
        return Response({"batch": self._detail(result.batch), "without_number": result.without_number},
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): PDF}, parameters=[OpenApiParameter(
        "document", str, OpenApiParameter.PATH, enum=list(views.DOCUMENTS), description="Which document.")])
    @action(detail=True, methods=["get"], url_path=r"documents/(?P<document>pick_list|dispatch_notes|labels)")
    def documents(self, request, pk=None, document=None):
        try:
            views.check_document_perms(request.user, document)
        except PermissionDenied as exc:
            return Response(error_body("permission_denied", str(exc) or "Permission denied."),
                            status=status.HTTP_403_FORBIDDEN)
        batch = self.get_object()
        pdf = views.build_document(request.user, batch, document)
        services.record_print(actor=request.user, batch=batch, document=document, pages=views.page_count(pdf))
        return views.pdf_response(pdf, f"{batch.number}-{document}.pdf")


class PickInput(serializers.Serializer):
    lines = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                  help_text="Lines picked in full; omitted: every line of the order.")


class CodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=80, help_text="What the scanner read.")


class CheckScanResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    code = serializers.CharField(help_text="ok, complete; refused: wrong_item, extra_item")
    line_id = serializers.IntegerField(allow_null=True)
    complete = serializers.BooleanField()


class ConfirmCheckInput(serializers.Serializer):
    quality_ok = serializers.BooleanField(help_text="The goods were looked at and are fit to ship (003).")


class PackInput(serializers.Serializer):
    weight_kg = serializers.DecimalField(max_digits=8, decimal_places=3, min_value=0, required=False,
                                         allow_null=True)
    packing_material = serializers.ChoiceField(choices=[c for c, _label in PACKING_MATERIALS], required=False,
                                               allow_blank=True, default="")


class ShipInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                    help_text="Empty: the printed one.")
    tracking_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                        help_text="Empty: the printed one.")


class WaybillInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40)
    tracking_no = serializers.CharField(max_length=40)


class StationParcelSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.platform_order_no", read_only=True)
    state = serializers.CharField(read_only=True)
    handover = serializers.CharField(source="handover.number", default=None, read_only=True)

    class Meta:
        model = Shipment
        fields = ["id", "order_id", "order", "carrier", "tracking_no", "state", "weight_kg", "shipped_at", "handover"]


class WarehouseOrderViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One order at the warehouse stations (orders of your shops): `GET` its stage and lines with the picked and
    checked counts; `POST .../pick/` (tap), `.../check-scan/` ({"code"}: 200 with ok false for a refused item),
    `.../confirm-check/`, `.../pack/`, `.../ship/`, `.../waybill/`."""

    permission_classes = [RequirePerms]
    required_perms = [FULFIL]
    serializer_class = WarehouseOrderSerializer
    queryset = Order.objects.none()

    def get_queryset(self):
        lines = OrderLine.objects.select_related("sku", "work").order_by("id")
        return (selectors.warehouse_orders(self.request.user)
                .select_related("work", "work__batch", "work__picked_by", "work__checked_by", "work__packed_by")
                .prefetch_related(Prefetch("lines", queryset=lines)))

    def _answer(self, order):
        return Response(WarehouseOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    def _input(self, serializer_class):
        s = serializer_class(data=self.request.data)
        s.is_valid(raise_exception=True)
        return s.validated_data

    @extend_schema(request=PickInput, responses=WarehouseOrderSerializer)
    @action(detail=True, methods=["post"])
    def pick(self, request, pk=None):
        order = self.get_object()
        ids = self._input(PickInput).get("lines")
        if ids:
            lines = list(order.lines.filter(pk__in=ids))
            if len(lines) != len(set(ids)):
                raise serializers.ValidationError({"lines": ["Not lines of this order."]})
            services.pick_lines(actor=request.user, lines=lines)
        else:
            services.pick_order(actor=request.user, order=order)
        return self._answer(order)

    @extend_schema(request=CodeInput, responses=CheckScanResultSerializer)
    @action(detail=True, methods=["post"], url_path="check-scan")
    def check_scan(self, request, pk=None):
        order = self.get_object()
        result = services.check_scan(actor=request.user, order=order, code=self._input(CodeInput)["code"])
        return Response(CheckScanResultSerializer(asdict(result)).data)

    @extend_schema(request=ConfirmCheckInput, responses=WarehouseOrderSerializer)
    @action(detail=True, methods=["post"], url_path="confirm-check")
    def confirm_check(self, request, pk=None):
        order = self.get_object()
        services.confirm_check(actor=request.user, order=order, **self._input(ConfirmCheckInput))
        return self._answer(order)

    @extend_schema(request=PackInput, responses=WarehouseOrderSerializer)
    @action(detail=True, methods=["post"])
    def pack(self, request, pk=None):
        order = self.get_object()
        data = self._input(PackInput)
        services.pack_order(actor=request.user, order=order, weight_kg=data.get("weight_kg"),
                            packing_material=data.get("packing_material", ""))
        return self._answer(order)

    @extend_schema(request=ShipInput, responses=StationParcelSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        order = self.get_object()
        shipment = services.ship_parcel(actor=request.user, order=order, **self._input(ShipInput))
        return Response(StationParcelSerializer(shipment).data)

    @extend_schema(request=WaybillInput, responses=StationParcelSerializer)
    @action(detail=True, methods=["post"])
    def waybill(self, request, pk=None):
        order = self.get_object()
        shipment = services.set_waybill(actor=request.user, order=order, **self._input(WaybillInput))
        return Response(StationParcelSerializer(shipment).data)


class ScanToShipViewSet(viewsets.GenericViewSet):
    """The ship station: `POST {"code"}` with the label's waybill number ships the parcel; a parcel that must not
    leave (already shipped, cancelled, in after-sales, on hold, not checked and packed) answers 409 `stop_parcel`
    with the reason."""

    permission_classes = [RequirePerms]
    required_perms = [FULFIL]
    serializer_class = StationParcelSerializer
    queryset = Shipment.objects.none()

    @extend_schema(request=CodeInput, responses={201: StationParcelSerializer})
    def create(self, request):
        s = CodeInput(data=request.data)
        s.is_valid(raise_exception=True)
        code = s.validated_data["code"]
        if not selectors.find_parcel(request.user, code):
            return Response(error_body("unknown_tracking", f"No parcel has the waybill number {code.strip().upper()}."),
                            status=status.HTTP_404_NOT_FOUND)
        shipment = services.scan_to_ship(actor=request.user, code=code)
        return Response(StationParcelSerializer(shipment).data, status=status.HTTP_201_CREATED)


class HandoverSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = Handover
        fields = ["id", "number", "carrier", "parcel_count", "courier_name", "created_by", "created_at"]

    def get_created_by(self, handover) -> str | None:
        return _username(handover.created_by)


class HandoverDetailSerializer(HandoverSerializer):
    parcels = serializers.SerializerMethodField()

    class Meta(HandoverSerializer.Meta):
        fields = [*HandoverSerializer.Meta.fields, "parcels"]

    @extend_schema_field(StationParcelSerializer(many=True))
    def get_parcels(self, handover) -> list[dict]:
        return StationParcelSerializer(selectors.handover_parcels(self.context["request"].user, handover),
                                       many=True).data


class HandoverInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40)
    courier_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class HandoverViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """交接单: `POST {"carrier", "courier_name"}` puts every shipped parcel of the carrier not yet handed over on a new
    list (409 when none waits)."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_HANDOVER], "retrieve": [VIEW_HANDOVER], "create": [services.HANDOVER]}
    queryset = Handover.objects.none()

    def get_queryset(self):
        return selectors.handovers(self.request.user).order_by("-created_at", "-id")

    def get_serializer_class(self):
        return HandoverDetailSerializer if self.action == "retrieve" else HandoverSerializer

    @extend_schema(request=HandoverInput, responses={201: HandoverDetailSerializer})
    def create(self, request):
        s = HandoverInput(data=request.data)
        s.is_valid(raise_exception=True)
        handover = services.create_handover(actor=request.user, **s.validated_data)
        return Response(HandoverDetailSerializer(handover, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)
