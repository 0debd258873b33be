"""Orders API under /api/v1/: the order pool (list, detail, create), one POST per lifecycle step and change, change
requests for approval and the tasks changes leave. Thin: validate with a serializer, call one service, serialise.
Permissions are the pages' ones; buyer personal data is masked unless the caller may unmask and asks to (logged).
"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shopdesk.channels.importers import LineRecord, OrderRecord
from shopdesk.channels.models import Shop
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import masking
from shopdesk.core.drf import RequirePerms
from shopdesk.orders import flows, risk, selectors, services
from shopdesk.orders.filters import OrderApiFilter
from shopdesk.orders.models import ChangeRequest, Order, OrderLine, OrderTask
from shopdesk.orders.verification import ACTIONS, reason_labels
from shopdesk.staff.roles import APPROVE_OVER_LIMIT, UNMASK_PERSONAL_DATA

FLAGS = ["out_of_stock", "has_unmapped", "address_incomplete", "unreachable", "risk_flagged", "on_hold", "is_cod"]


def _may_unmask(context) -> bool:
    return bool(context.get("unmask"))


class OrderLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="sku.code", default=None, read_only=True)
    reserved_in = serializers.SerializerMethodField()

    class Meta:
        model = OrderLine
        fields = ["id", "channel_sku_code", "title", "properties", "quantity", "unit_price", "sku", "reserved_in"]

    def get_reserved_in(self, line) -> str | None:
        r = line.reservation
        return r.warehouse.code if r is not None and r.state == "active" else None


class OrderSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    buyer_name = serializers.SerializerMethodField()
    mobile = serializers.SerializerMethodField()
    landline = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "shop", "platform_order_no", "status", "status_label", "platform_status", "source",
                  "buyer_platform_id", "buyer_name", "mobile", "landline", "address", "goods_amount",
                  "shipping_fee", "discount", "paid_amount", "ordered_at", "paid_at", "carrier", "tracking_no",
                  "is_cod", "flags", "on_hold", "lines"]

    def get_buyer_name(self, o) -> str:
        return o.buyer_name if _may_unmask(self.context) else masking.mask_name(o.buyer_name)

    def get_mobile(self, o) -> str:
        return o.mobile if _may_unmask(self.context) else masking.mask_phone(o.mobile)

    def get_landline(self, o) -> str:
        return o.landline if _may_unmask(self.context) else masking.mask_phone(o.landline)

    def get_address(self, o) -> dict:
        detail = o.address_detail if _may_unmask(self.context) else (masking.STARS if o.address_detail else "")
        return {"province": o.province, "city": o.city, "district": o.district, "detail": detail,
                "postcode": o.postcode if _may_unmask(self.context) else ""}

    def get_flags(self, o) -> list[str]:
        return [f for f in FLAGS[:5] if getattr(o, f)]


class OrderTaskSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.platform_order_no", read_only=True)
    order_id = serializers.IntegerField(read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OrderTask
        fields = ["id", "order_id", "order", "kind", "kind_label", "state", "role", "note", "created_at", "done_at"]


class OrderChangeRequestSerializer(serializers.ModelSerializer):
    order = serializers.CharField(source="order.platform_order_no", read_only=True)
    order_id = serializers.IntegerField(read_only=True)
    requested_by = serializers.CharField(source="requested_by.username", default=None, read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)

    class Meta:
        model = ChangeRequest
        fields = ["id", "order_id", "order", "kind", "old_value", "new_value", "reason", "state", "requested_by",
                  "requested_at", "decided_by", "decided_at", "decision_reason"]


class OrderDetailSerializer(OrderSerializer):
    review_reasons = serializers.SerializerMethodField()
    risk_reasons = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()
    tasks = OrderTaskSerializer(many=True, read_only=True)
    change_requests = OrderChangeRequestSerializer(many=True, read_only=True)
    change_case = serializers.SerializerMethodField()

    class Meta(OrderSerializer.Meta):
        fields = [*OrderSerializer.Meta.fields, "buyer_message", "seller_remark", "invoice_title", "greeting_card",
                  "delivery_wish", "chosen_carrier", "review_reasons", "risk_reasons", "actions", "notes", "tasks",
                  "change_requests", "change_case", "verified_at", "shipped_at", "delivered_at", "closed_at",
                  "close_reason", "reminder_count", "reminded_at", "merged_into", "split_from"]

    def get_review_reasons(self, o) -> list[dict]:
        return [{"code": c, "label": label} for c, label in zip(o.review_reasons, reason_labels(o.review_reasons),
                                                                strict=True)]

    def get_risk_reasons(self, o) -> list[dict]:
        return [{"code": r.get("code"), "label": risk.describe(r)} for r in o.risk_reasons]

    def get_actions(self, o) -> list[dict]:
        codes = {"out_of_stock": "out_of_stock", "has_unmapped": "unmapped", "address_incomplete":
                 "address_incomplete", "unreachable": "unreachable", "risk_flagged": "risk"}
        return [{"flag": f, "action": str(ACTIONS[codes[f]])} for f in codes if getattr(o, f)]

    def get_notes(self, o) -> list[dict]:
        return [{"kind": n.kind, "text": n.text if _may_unmask(self.context) or not n.masked_text else n.masked_text,
                 "created_at": n.created_at} for n in o.notes.all()]

    def get_change_case(self, o) -> dict:
        case = flows.change_case(o.status)
        return {"code": case.code, "allowed": case.allowed, "explanation": case.explanation}


class OrderLineInput(serializers.Serializer):
    channel_sku_code = serializers.CharField(max_length=80, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    properties = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class OrderInput(serializers.Serializer):
    """One order, validated like an imported row."""

    shop = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all())
    platform_order_no = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", max_length=64)
    status = serializers.ChoiceField(choices=["unpaid", "paid"], default="paid")
    buyer_platform_id = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    buyer_name = serializers.CharField(max_length=60)
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    landline = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    province = serializers.CharField(max_length=30)
    city = serializers.CharField(max_length=30)
    district = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address_detail = serializers.CharField(max_length=200)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    shipping_fee = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    paid_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False)
    ordered_at = serializers.DateTimeField(required=False)
    paid_at = serializers.DateTimeField(required=False, allow_null=True)
    buyer_message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    seller_remark = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    invoice_title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    greeting_card = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    delivery_wish = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    chosen_carrier = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    is_cod = serializers.BooleanField(default=False)
    lines = OrderLineInput(many=True, allow_empty=False)

    def validate(self, data):
        if not data.get("mobile") and not data.get("landline"):
            raise serializers.ValidationError({"mobile": ["A mobile or landline number is required."]})
        return data

    def to_record(self) -> OrderRecord:
        from shopdesk.core import clock

        d = self.validated_data
        lines = [LineRecord(i + 1, ln["channel_sku_code"], ln["title"], ln["properties"], ln["quantity"],
                            ln["unit_price"]) for i, ln in enumerate(d["lines"])]
        goods = sum((ln.unit_price * ln.quantity for ln in lines), 0) - d["discount"]
        paid = d.get("paid_amount")
        if paid is None:
            paid = goods + d["shipping_fee"] if d["status"] == "paid" else 0
        ordered_at = d.get("ordered_at") or clock.now()
        paid_at = d.get("paid_at")  # unknown: the writer stamps it after the risk rules (no false "paid at once")
        return OrderRecord(
            line_no=1, platform_order_no=d["platform_order_no"], status=d["status"], platform_status="",
            buyer_platform_id=d["buyer_platform_id"], buyer_name=d["buyer_name"], mobile=d["mobile"],
            landline=d["landline"], province=d["province"], city=d["city"], district=d["district"],
            address_detail=d["address_detail"], postcode=d["postcode"], goods_amount=goods,
            shipping_fee=d["shipping_fee"], paid_amount=paid, ordered_at=ordered_at, paid_at=paid_at,
            buyer_message=d["buyer_message"], seller_remark=d["seller_remark"], invoice_title=d["invoice_title"],
            greeting_card=d["greeting_card"], delivery_wish=d["delivery_wish"], chosen_carrier=d["chosen_carrier"],
            is_cod=d["is_cod"], lines=lines)


class OrderReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class OrderOptionalReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OrderAddressInput(serializers.Serializer):
    buyer_name = serializers.CharField(max_length=60)
    mobile = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    landline = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    province = serializers.CharField(max_length=30)
    city = serializers.CharField(max_length=30)
    district = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    address_detail = serializers.CharField(max_length=200)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")


class OrderRequestsInput(serializers.Serializer):
    invoice_title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    greeting_card = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    delivery_wish = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    chosen_carrier = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class OrderNoteInput(serializers.Serializer):
    text = serializers.CharField(max_length=400)
    flagged = serializers.BooleanField(default=True)


class OrderMoneyInput(serializers.Serializer):
    value = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    reason = serializers.CharField(max_length=300)


class OrderSplitInput(serializers.Serializer):
    quantities = serializers.DictField(child=serializers.IntegerField(min_value=0),
                                       help_text="{line id: quantity to move to the new order}")


class OrderMergeInput(serializers.Serializer):
    orders = serializers.ListField(child=serializers.IntegerField(), min_length=2)


class OrderPrintInput(serializers.Serializer):
    batch = serializers.CharField(max_length=40)


class OrderShipInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40)
    tracking_no = serializers.CharField(max_length=40)


_STEP_PERMS = {
    "list": ["orders.view_order"], "retrieve": ["orders.view_order"], "create": ["orders.add_order"],
    "pay": [services.CHANGE], "verify": [services.VERIFY], "unverify": [services.VERIFY],
    "recheck": [services.CHANGE], "remind": [services.CHANGE], "cancel": [services.CANCEL],
    "change_address": [services.CHANGE], "change_requests": [services.CHANGE], "notes": [services.CHANGE],
    "discount": [services.CHANGE], "shipping_fee": [services.CHANGE], "split": [services.MERGE],
    "merge": [services.MERGE], "print": [services.FULFIL], "pick": [services.FULFIL], "pack": [services.FULFIL],
    "ship": [services.FULFIL], "deliver": [services.FULFIL], "complete": [services.FULFIL],
    "after_sales": [services.CHANGE], "unmask": [UNMASK_PERSONAL_DATA],
}


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                   viewsets.GenericViewSet):
    """The order pool across shops. Filters: shop (code), status (repeatable), ordered_from, ordered_to, buyer
    (account or order number), sku, carrier, flag. Personal data is masked; `GET /orders/{id}/?unmask=1` (with the
    permission) answers it in clear and logs the look. Each step is `POST /orders/{id}/<step>/`; a step from a state
    that does not allow it answers 409 with the reason."""

    permission_classes = [RequirePerms]
    required_perms = _STEP_PERMS
    filterset_class = OrderApiFilter
    queryset = Order.objects.none()

    def get_queryset(self):
        qs = selectors.orders_visible_to(self.request.user).order_by("-ordered_at", "-id")
        lines = OrderLine.objects.select_related("sku", "reservation__warehouse")
        qs = qs.prefetch_related(Prefetch("lines", queryset=lines))
        if self.action == "retrieve":
            qs = qs.prefetch_related("notes", "tasks", "change_requests__requested_by",
                                     "change_requests__decided_by")
        return qs

    def get_serializer_class(self):
        return OrderDetailSerializer if self.action == "retrieve" else OrderSerializer

    def _detail(self, order, unmask=False):
        order = self.get_queryset().prefetch_related("notes", "tasks", "change_requests").get(pk=order.pk)
        return OrderDetailSerializer(order, context={"request": self.request, "unmask": unmask}).data

    @extend_schema(parameters=[OpenApiParameter("unmask", bool, description="Answer personal data in clear "
                                                                             "(needs the permission; logged).")])
    def retrieve(self, request, *args, **kwargs):
        order = self.get_object()
        unmask = request.query_params.get("unmask") in ("1", "true")
        if unmask:
            services.unmask_order(actor=request.user, order=order, reason="api")
        return Response(self._detail(order, unmask))

    @extend_schema(request=OrderInput, responses=OrderDetailSerializer)
    def create(self, request, *args, **kwargs):
        serializer = OrderInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        shop = serializer.validated_data["shop"]
        if not shops_visible_to(request.user).filter(pk=shop.pk).exists():
            return Response({"detail": "shop not assigned", "code": "shop_not_assigned"},
                            status=status.HTTP_403_FORBIDDEN)
        order = services.create_order(actor=request.user, shop=shop, record=serializer.to_record())
        return Response(self._detail(order), status=status.HTTP_201_CREATED)

    def _run(self, request, func, serializer_class=None, **extra):
        order = self.get_object()
        data = {}
        if serializer_class is not None:
            s = serializer_class(data=request.data)
            s.is_valid(raise_exception=True)
            data = dict(s.validated_data)
        result = func(actor=request.user, order=order, **data, **extra)
        if isinstance(result, ChangeRequest):
            return Response({"change_request": OrderChangeRequestSerializer(result).data,
                             "order": self._detail(order)}, status=status.HTTP_202_ACCEPTED)
        return Response(self._detail(result if isinstance(result, Order) else order))

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        return self._run(request, services.pay_order)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        return self._run(request, services.verify_order)

    @extend_schema(request=OrderReasonInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def unverify(self, request, pk=None):
        return self._run(request, services.unverify_order, OrderReasonInput)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def recheck(self, request, pk=None):
        return self._run(request, services.recheck_order)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        return self._run(request, services.remind_payment)

    @extend_schema(request=OrderReasonInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._run(request, services.cancel_order, OrderReasonInput)

    @extend_schema(request=OrderAddressInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="change-address")
    def change_address(self, request, pk=None):
        return self._run(request, services.change_address, OrderAddressInput)

    @extend_schema(request=OrderRequestsInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="change-requests")
    def change_requests(self, request, pk=None):
        return self._run(request, services.change_requests, OrderRequestsInput)

    @extend_schema(request=OrderNoteInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        order = self.get_object()
        s = OrderNoteInput(data=request.data)
        s.is_valid(raise_exception=True)
        services.add_note(actor=request.user, order=order, **s.validated_data)
        return Response(self._detail(order), status=status.HTTP_201_CREATED)

    @extend_schema(request=OrderMoneyInput, responses=OrderDetailSerializer,
                   description="Within your authority the discount applies (200); beyond it a change request waits "
                               "for the manager (202).")
    @action(detail=True, methods=["post"])
    def discount(self, request, pk=None):
        s = OrderMoneyInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._run(request, services.change_discount, discount=s.validated_data["value"],
                         reason=s.validated_data["reason"])

    @extend_schema(request=OrderMoneyInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="shipping-fee")
    def shipping_fee(self, request, pk=None):
        s = OrderMoneyInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._run(request, services.change_shipping_fee, shipping_fee=s.validated_data["value"],
                         reason=s.validated_data["reason"])

    @extend_schema(request=OrderSplitInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def split(self, request, pk=None):
        order = self.get_object()
        s = OrderSplitInput(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            quantities = {int(k): v for k, v in s.validated_data["quantities"].items()}
        except ValueError:
            raise serializers.ValidationError({"quantities": ["Keys must be line ids."]}) from None
        part = services.split_order(actor=request.user, order=order, quantities=quantities)
        return Response(self._detail(part), status=status.HTTP_201_CREATED)

    @extend_schema(request=OrderMergeInput, responses=OrderDetailSerializer)
    @action(detail=False, methods=["post"])
    def merge(self, request):
        s = OrderMergeInput(data=request.data)
        s.is_valid(raise_exception=True)
        orders = list(self.get_queryset().filter(pk__in=s.validated_data["orders"]))
        if len(orders) != len(set(s.validated_data["orders"])):
            return Response({"detail": "Unknown order.", "code": "not_found"}, status=status.HTTP_404_NOT_FOUND)
        return Response(self._detail(services.merge_orders(actor=request.user, orders=orders)))

    @extend_schema(request=OrderPrintInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def print(self, request, pk=None):
        return self._run(request, services.mark_printed, OrderPrintInput)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def pick(self, request, pk=None):
        return self._run(request, services.mark_picked)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def pack(self, request, pk=None):
        return self._run(request, services.mark_packed)

    @extend_schema(request=OrderShipInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        return self._run(request, services.ship_order, OrderShipInput)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        return self._run(request, services.mark_delivered)

    @extend_schema(request=None, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._run(request, services.complete_order)

    @extend_schema(request=OrderReasonInput, responses=OrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="after-sales")
    def after_sales(self, request, pk=None):
        return self._run(request, services.move_to_after_sales, OrderReasonInput)


class ChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Discount and shipping-fee changes beyond a person's authority. `state` filters; approve/reject need the
    approval permission and nobody decides their own request."""

    serializer_class = OrderChangeRequestSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["orders.view_changerequest"], "retrieve": ["orders.view_changerequest"],
                      "approve": [APPROVE_OVER_LIMIT], "reject": [APPROVE_OVER_LIMIT]}
    filterset_fields = ["state", "kind"]
    queryset = ChangeRequest.objects.none()

    def get_queryset(self):
        return selectors.change_requests(self.request.user).order_by("-requested_at", "-id")

    @extend_schema(request=OrderOptionalReasonInput, responses=OrderChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        s = OrderOptionalReasonInput(data=request.data)
        s.is_valid(raise_exception=True)
        result = services.approve_change_request(actor=request.user, request=self.get_object(),
                                                 reason=s.validated_data["reason"])
        return Response(OrderChangeRequestSerializer(result).data)

    @extend_schema(request=OrderReasonInput, responses=OrderChangeRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        s = OrderReasonInput(data=request.data)
        s.is_valid(raise_exception=True)
        result = services.reject_change_request(actor=request.user, request=self.get_object(),
                                                reason=s.validated_data["reason"])
        return Response(OrderChangeRequestSerializer(result).data)


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks order changes leave: recall paperwork or a parcel (warehouse), refund (after-sales)."""

    serializer_class = OrderTaskSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["orders.view_ordertask"], "retrieve": ["orders.view_ordertask"],
                      "done": ["orders.change_ordertask"]}
    filterset_fields = ["state", "kind", "role"]
    queryset = OrderTask.objects.none()

    def get_queryset(self):
        return selectors.tasks(self.request.user).order_by("state", "created_at", "id")

    @extend_schema(request=OrderOptionalReasonInput, responses=OrderTaskSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        s = OrderOptionalReasonInput(data=request.data)
        s.is_valid(raise_exception=True)
        task = services.complete_task(actor=request.user, task=self.get_object(), note=s.validated_data["reason"])
        return Response(OrderTaskSerializer(task).data)
