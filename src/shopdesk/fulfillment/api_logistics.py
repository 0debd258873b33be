"""Logistics API under /api/v1/fulfilment/: carriers push tracking events, tracking files are uploaded, customer
service works logistics exceptions and missing-item claims (少货), finance checks courier bills.

Thin like the pages: validate with a serializer, call one service, serialise; the same permissions as the pages,
scoped to the caller's shops. Buyer names are masked. An import whose file has bad rows answers 400 with the usual
error body; `fields.file` lists every bad row ("line 3: ...") and nothing is stored.
"""

from __future__ import annotations

import io

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shopdesk.core import masking
from shopdesk.core.drf import Pagination, RequirePerms, error_body
from shopdesk.fulfillment import reconcile, selectors, services
from shopdesk.fulfillment.models import (
    BillFinding,
    BuyerNotice,
    Carrier,
    CourierBill,
    LogisticsException,
    MissingItemClaim,
)
from shopdesk.fulfillment.tracking_files import STATUSES, event_from_json
from shopdesk.fulfillment.uploads import UploadFile, saved_upload
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.web.files import private_image

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PUSH_EVENTS = 5000



# --- tracking events ----------------------------------------------------------------------------------------------


class TrackingEventInput(serializers.Serializer):
    """One carrier scan (the push body; `tracking_files.event_from_json` reads it)."""

    tracking_no = serializers.CharField(max_length=40, help_text="The waybill number, e.g. YT7712345678901.")
    time = serializers.DateTimeField(help_text="ISO 8601, e.g. 2026-11-11T20:03:51+08:00; without an offset it is "
                                               "China time.")
    location = serializers.CharField(required=False, allow_blank=True, default="", help_text="e.g. 浙江省杭州市")
    status = serializers.CharField(required=False, allow_blank=True,
                                   help_text=f"One of {', '.join(STATUSES)}, or the carrier's Chinese word "
                                             "(已签收, 派件中 ...). Status and description may not both be missing.")
    description = serializers.CharField(required=False, allow_blank=True,
                                        help_text="The carrier's text, e.g. 快件已签收，签收人：本人")


class TrackingResult(serializers.Serializer):
    added = serializers.IntegerField(help_text="New events stored.")
    duplicates = serializers.IntegerField(help_text="Events already known (the same scan sent again).")
    unknown = serializers.IntegerField(help_text="Events of tracking numbers that are not our parcels.")
    unknown_numbers = serializers.ListField(child=serializers.CharField(), help_text="The first 20 of them.")


TrackingPushBody = PolymorphicProxySerializer(
    component_name="TrackingEventPush", serializers=[TrackingEventInput, TrackingEventInput(many=True)],
    resource_type_field_name=None, many=False)


class TrackingEventViewSet(viewsets.ViewSet):
    """Carriers (or a bridge to their systems) push tracking events: one JSON object or a list of them (up to 5000).
    All or nothing: a bad event answers 400 naming it (`fields`: {"<index>.<field>": [...]}) and nothing is stored.
    A scan sent twice is stored once. Needs fulfillment.add_trackingevent."""

    permission_classes = [RequirePerms]
    required_perms = {"create": [services.TRACK]}
    parser_classes = [JSONParser]

    @extend_schema(
        request={"application/json": TrackingPushBody}, responses={201: TrackingResult},
        description="The body is one event object or a list of them.",
        examples=[OpenApiExample("one event", request_only=True, value={
            "tracking_no": "YT7712345678901", "time": "2026-11-11T20:03:51+08:00", "location": "浙江省杭州市",
            "status": "delivered", "description": "快件已签收，签收人：本人"}),
            OpenApiExample("a list", request_only=True, value=[
                {"tracking_no": "YT7712345678901", "time": "2026-11-11T08:00:00+08:00", "status": "in_transit",
                 "description": "快件已到达【杭州转运中心】"},
                {"tracking_no": "YT7712345678902", "time": "2026-11-11T09:10:00", "status": "已签收"}])])
    def create(self, request):
        body = request.data
        items = body if isinstance(body, list) else [body]
        if not items:
            return Response(error_body("invalid", "body: give one event or a list of events",
                                       {"body": ["empty list"]}), status=status.HTTP_400_BAD_REQUEST)
        if len(items) > MAX_PUSH_EVENTS:
            return Response(error_body("too_many", f"body: at most {MAX_PUSH_EVENTS} events per request",
                                       {"body": [f"{len(items)} events"]}), status=status.HTTP_400_BAD_REQUEST)
        events, fields = [], {}
        for index, item in enumerate(items):
            try:
                events.append(event_from_json(item))
            except ValueError as exc:
                field, _sep, reason = str(exc).partition(": ")
                key = f"{index}.{field}" if isinstance(body, list) else field
                fields.setdefault(key, []).append(reason or str(exc))
        if fields:
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
            return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)
        result = services.record_tracking_events(actor=request.user, events=events, source="api")
        return Response(TrackingResult(result).data, status=status.HTTP_201_CREATED)


class TrackingImportInput(serializers.Serializer):
    file = UploadFile(help_text="xlsx or CSV: 运单号, 时间, 状态 or 描述, optionally 地点.")


class TrackingImportViewSet(viewsets.ViewSet):
    """Upload a carrier's tracking file (multipart). All or nothing; importing the same file again adds nothing."""

    permission_classes = [RequirePerms]
    required_perms = {"create": [services.TRACK]}
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": TrackingImportInput}, responses={201: TrackingResult})
    def create(self, request):
        s = TrackingImportInput(data=request.data)
        s.is_valid(raise_exception=True)
        upload = s.validated_data["file"]
        with saved_upload(upload) as path:
            result = services.import_tracking_file(actor=request.user, path=path)
        return Response(TrackingResult(result).data, status=status.HTTP_201_CREATED)


# --- logistics exceptions -------------------------------------------------------------------------------------------


class LogisticsExceptionSerializer(serializers.ModelSerializer):
    order_id = serializers.IntegerField(source="shipment.order_id", read_only=True)
    order_no = serializers.CharField(source="shipment.order.platform_order_no", read_only=True)
    shop = serializers.CharField(source="shipment.order.shop.code", read_only=True)
    buyer_platform_id = serializers.CharField(source="shipment.order.buyer_platform_id", read_only=True)
    buyer_name = serializers.SerializerMethodField()
    carrier = serializers.CharField(source="shipment.carrier", read_only=True)
    tracking_no = serializers.CharField(source="shipment.tracking_no", read_only=True)
    shipment_state = serializers.CharField(source="shipment.state", read_only=True)
    last_movement = serializers.DateTimeField(source="shipment.last_event_at", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    closed_by = serializers.CharField(source="closed_by.username", default=None, read_only=True)

    class Meta:
        model = LogisticsException
        fields = ["id", "order_id", "order_no", "shop", "buyer_platform_id", "buyer_name", "carrier", "tracking_no",
                  "shipment_state", "last_movement", "kind", "kind_label", "state", "last_event", "opened_at",
                  "closed_at", "closed_by", "resolution"]

    def get_buyer_name(self, obj) -> str:
        return masking.mask_name(obj.shipment.order.buyer_name)


class LogisticsExceptionCloseInput(serializers.Serializer):
    resolution = serializers.CharField(max_length=300)


class LogisticsExceptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Logistics exceptions of the caller's shops. Filters: state (open, closed), kind, shop (code). `close` needs
    fulfillment.change_logisticsexception and a resolution."""

    serializer_class = LogisticsExceptionSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["fulfillment.view_logisticsexception"],
                      "retrieve": ["fulfillment.view_logisticsexception"], "close": [services.EXCEPTIONS]}
    queryset = LogisticsException.objects.none()

    def get_queryset(self):
        qs = selectors.logistics_exceptions(self.request.user).order_by("state", "opened_at", "id")
        params = self.request.query_params
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("shop"):
            qs = qs.filter(shipment__order__shop__code=params["shop"])
        return qs

    @extend_schema(parameters=[
        OpenApiParameter("state", str, enum=LogisticsException.State.values),
        OpenApiParameter("kind", str, enum=LogisticsException.Kind.values),
        OpenApiParameter("shop", str, description="shop code")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=LogisticsExceptionCloseInput, responses=LogisticsExceptionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        s = LogisticsExceptionCloseInput(data=request.data)
        s.is_valid(raise_exception=True)
        services.close_exception(actor=request.user, exception=self.get_object(),
                                 resolution=s.validated_data["resolution"])
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


class BuyerNoticeSerializer(serializers.ModelSerializer):
    order_id = serializers.IntegerField(read_only=True)
    order_no = serializers.CharField(source="order.platform_order_no", read_only=True)
    shop = serializers.CharField(source="order.shop.code", read_only=True)
    buyer_platform_id = serializers.CharField(source="order.buyer_platform_id", read_only=True)
    carrier = serializers.CharField(source="shipment.carrier", default="", read_only=True)
    tracking_no = serializers.CharField(source="shipment.tracking_no", default="", read_only=True)

    class Meta:
        model = BuyerNotice
        fields = ["id", "order_id", "order_no", "shop", "buyer_platform_id", "carrier", "tracking_no", "text",
                  "state", "created_at", "sent_at"]


class NoticesSentInput(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=1000)


class NoticesSentResult(serializers.Serializer):
    marked = serializers.IntegerField()


class BuyerNoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Shipping notices of the caller's shops (filter: state due|sent). `sent` marks notices sent once customer
    service has told the buyers (fulfillment.change_buyernotice)."""

    serializer_class = BuyerNoticeSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["fulfillment.view_buyernotice"], "retrieve": ["fulfillment.view_buyernotice"],
                      "sent": [services.NOTICES]}
    queryset = BuyerNotice.objects.none()

    def get_queryset(self):
        qs = selectors.buyer_notices(self.request.user).order_by("state", "created_at", "id")
        if self.request.query_params.get("state"):
            qs = qs.filter(state=self.request.query_params["state"])
        return qs

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=BuyerNotice.State.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=NoticesSentInput, responses=NoticesSentResult)
    @action(detail=False, methods=["post"])
    def sent(self, request):
        s = NoticesSentInput(data=request.data)
        s.is_valid(raise_exception=True)
        marked = services.mark_notices_sent(actor=request.user,
                                            notices=self.get_queryset().filter(pk__in=s.validated_data["ids"]))
        return Response({"marked": marked})


# --- missing items --------------------------------------------------------------------------------------------------


class MissingItemClaimSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="order.platform_order_no", read_only=True)
    shop = serializers.CharField(source="order.shop.code", read_only=True)
    buyer_name = serializers.SerializerMethodField()
    lines = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                  help_text="{order line id: missing quantity}")
    photo_url = serializers.SerializerMethodField()
    reship_order_no = serializers.CharField(source="reship_order.platform_order_no", default=None, read_only=True)
    reported_by = serializers.CharField(source="reported_by.username", default=None, read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)

    class Meta:
        model = MissingItemClaim
        fields = ["id", "order", "order_no", "shop", "buyer_name", "lines", "note", "state", "photo_url",
                  "reported_by", "reported_at", "decided_by", "decided_at", "reship_order", "reship_order_no"]

    def get_buyer_name(self, obj) -> str:
        return masking.mask_name(obj.order.buyer_name)

    def get_photo_url(self, obj) -> str | None:
        if not obj.photo:
            return None
        from django.urls import reverse

        return reverse("fulfilment-missing-item-photo", args=[obj.pk])


class MissingItemClaimInput(serializers.Serializer):
    order = serializers.IntegerField(help_text="The order's id.")
    lines = serializers.JSONField(help_text='{order line id: missing quantity}, e.g. {"123": 1}; in a multipart '
                                            "form a JSON text.")
    photo = serializers.ImageField(help_text="The buyer's photo of the dispatch note (JPEG, PNG, WebP or GIF, up "
                                             "to 5 MB).")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_lines(self, value):
        if isinstance(value, str):
            import json

            try:
                value = json.loads(value)
            except ValueError:
                raise serializers.ValidationError("Not JSON: give {order line id: quantity}.") from None
        if not isinstance(value, dict):
            raise serializers.ValidationError("Give an object {order line id: quantity}.")
        return value


class MissingItemRejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class MissingItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Missing-item claims (少货) of the caller's shops. Filters: state, order (id). Create (multipart) with the
    photo; `confirm` reships the missing quantities today (当天补发), `reject` needs a reason; both need
    fulfillment.change_missingitemclaim. The photo is served only through `photo`, with the same permission."""

    serializer_class = MissingItemClaimSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["fulfillment.view_missingitemclaim"], "retrieve": ["fulfillment.view_missingitemclaim"],
                      "photo": ["fulfillment.view_missingitemclaim"], "create": [services.REPORT_CLAIM],
                      "confirm": [services.DECIDE_CLAIM], "reject": [services.DECIDE_CLAIM]}
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = MissingItemClaim.objects.none()

    def get_queryset(self):
        qs = selectors.missing_item_claims(self.request.user).order_by("-reported_at", "-id")
        params = self.request.query_params
        if params.get("state"):
            qs = qs.filter(state=params["state"])
        if params.get("order", "").isdigit():
            qs = qs.filter(order_id=int(params["order"]))
        return qs

    @extend_schema(parameters=[OpenApiParameter("state", str, enum=MissingItemClaim.State.values),
                               OpenApiParameter("order", int)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request={"multipart/form-data": MissingItemClaimInput}, responses={201: MissingItemClaimSerializer})
    def create(self, request):
        s = MissingItemClaimInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        order = orders_visible_to(request.user).filter(pk=d["order"]).first()
        if order is None:
            raise Http404
        claim = services.report_missing_item(actor=request.user, order=order, lines=d["lines"], photo=d["photo"],
                                             note=d["note"])
        return Response(self.get_serializer(self.get_queryset().get(pk=claim.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=MissingItemClaimSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        services.confirm_missing_item(actor=request.user, claim=self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=MissingItemRejectInput, responses=MissingItemClaimSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        s = MissingItemRejectInput(data=request.data)
        s.is_valid(raise_exception=True)
        services.reject_missing_item(actor=request.user, claim=self.get_object(), reason=s.validated_data["reason"])
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_name="photo")
    def photo(self, request, pk=None):
        return private_image(self.get_object().photo)


# --- courier bills --------------------------------------------------------------------------------------------------


class CourierBillSerializer(serializers.ModelSerializer):
    carrier_code = serializers.CharField(source="carrier.code", read_only=True)
    carrier_name = serializers.CharField(source="carrier.name", read_only=True)
    imported_by = serializers.CharField(source="imported_by.username", default=None, read_only=True)
    reconciled_by = serializers.CharField(source="reconciled_by.username", default=None, read_only=True)
    counts = serializers.SerializerMethodField()
    disputed_total = serializers.SerializerMethodField()
    payable_total = serializers.SerializerMethodField()

    class Meta:
        model = CourierBill
        fields = ["id", "carrier", "carrier_code", "carrier_name", "month", "file_name", "tolerance", "counts",
                  "billed_total", "expected_total", "disputed_total", "payable_total", "state", "imported_by",
                  "imported_at", "reconciled_by", "reconciled_at"]

    def get_counts(self, bill) -> dict:
        """Lines per kind (reconcile.KINDS), bill_lines, shipments (our parcels of the month) and unpriced."""
        counts = bill.counts or {}
        return {k: counts.get(k, 0) for k in (*reconcile.KINDS, "bill_lines", "shipments", "unpriced")}

    def get_disputed_total(self, bill) -> str:
        return str(selectors.bill_summary(bill)["disputed_total"])

    def get_payable_total(self, bill) -> str:
        return str(selectors.bill_summary(bill)["payable_total"])


class BillFindingSerializer(serializers.ModelSerializer):
    kind_name = serializers.SerializerMethodField()

    class Meta:
        model = BillFinding
        fields = ["id", "kind", "kind_name", "tracking_no", "bill_line", "order_no", "billed_fee", "expected_fee",
                  "difference", "note"]

    def get_kind_name(self, finding) -> str:
        return reconcile.KIND_NAMES.get(finding.kind, finding.kind)


class CourierBillInput(serializers.Serializer):
    carrier = serializers.CharField(help_text="The carrier's id or code.")
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="YYYY-MM")
    tolerance = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False)
    file = UploadFile(help_text="xlsx or CSV: 运单号, 运费, optionally 计费重量, 目的地, 日期.")

    def validate_carrier(self, value):
        text = str(value).strip()
        carrier = (Carrier.objects.filter(pk=int(text)).first() if text.isdigit()
                   else Carrier.objects.filter(code=text).first())
        if carrier is None:
            raise serializers.ValidationError("Unknown carrier: give its id or code.")
        return carrier


class BillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly courier bills (每月快递费用对账结算). Create (multipart) checks a bill; checking the same carrier and
    month again replaces the result until it is reconciled. Retrieve answers the bill with one page of its findings
    (`kind`, `page`, `page_size`); `settlement` is the workbook; `reconcile` closes the bill."""

    serializer_class = CourierBillSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["fulfillment.view_courierbill"], "retrieve": ["fulfillment.view_courierbill"],
                      "settlement": ["fulfillment.view_courierbill"], "create": [services.ADD_BILL],
                      "reconcile": [services.CHANGE_BILL]}
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    queryset = CourierBill.objects.none()

    def get_queryset(self):
        qs = selectors.courier_bills().order_by("-month", "carrier__sort", "id")
        params = self.request.query_params
        if self.action == "list":
            if params.get("month"):
                qs = qs.filter(month=params["month"])
            if params.get("carrier"):
                qs = qs.filter(carrier__code=params["carrier"])
        return qs

    @extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM"),
                               OpenApiParameter("carrier", str, description="carrier code")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=[k for k in reconcile.KINDS if k != "matched"]),
                    OpenApiParameter("page", int), OpenApiParameter("page_size", int)],
        responses=inline_serializer("CourierBillDetail", {
            "bill": CourierBillSerializer(), "findings": inline_serializer("BillFindingPage", {
                "count": serializers.IntegerField(), "next": serializers.CharField(allow_null=True),
                "previous": serializers.CharField(allow_null=True), "results": BillFindingSerializer(many=True)})}))
    def retrieve(self, request, *args, **kwargs):
        bill = self.get_object()
        findings = selectors.bill_findings(bill, request.query_params.get("kind", "")).order_by("kind", "bill_line",
                                                                                                  "id")
        paginator = Pagination()
        page = paginator.paginate_queryset(findings, request, view=self)
        return Response({"bill": self.get_serializer(bill).data, "findings": {
            "count": paginator.page.paginator.count, "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(), "results": BillFindingSerializer(page, many=True).data}})

    @extend_schema(request={"multipart/form-data": CourierBillInput}, responses={201: CourierBillSerializer})
    def create(self, request):
        s = CourierBillInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        upload = d["file"]
        with saved_upload(upload) as path:
            bill = services.import_courier_bill(actor=request.user, carrier=d["carrier"], month=d["month"],
                                                path=path, tolerance=d.get("tolerance"))
        return Response(self.get_serializer(self.get_queryset().get(pk=bill.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CourierBillSerializer)
    @action(detail=True, methods=["post"])
    def reconcile(self, request, pk=None):
        services.mark_bill_reconciled(actor=request.user, bill=self.get_object())
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(responses={(200, XLSX): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def settlement(self, request, pk=None):
        bill = self.get_object()
        out = io.BytesIO()
        reconcile.write_settlement(selectors.bill_reconciliation(bill), out, carrier=bill.carrier.name,
                                   month=bill.month)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="settlement-{bill.carrier.code}-{bill.month}.xlsx"'
        return response
