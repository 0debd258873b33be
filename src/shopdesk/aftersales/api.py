"""After-sales API under /api/v1/aftersales/ (售后, product.md §2.5): the return-policy check, cases with their
steps, complaints and the returns register.

Thin like the pages: validate with a serializer, call one service, serialise. The same permissions as the pages,
scoped to the caller's shops (another shop's case is 404; so is a complaint against a named colleague for whoever
may not see those). Buyer name and phone are masked; `GET /cases/{id}/?unmask=1` shows them in clear to a person
who may unmask (logged, as on the order). Refusals of the services come back in the usual error body (400/403/409).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shopdesk.aftersales import policy, selectors, services
from shopdesk.aftersales.models import Case, CaseEvidence, CaseLine, Complaint
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock, masking
from shopdesk.core.drf import RequirePerms
from shopdesk.inventory.models import Location
from shopdesk.orders import services as order_services
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.staff.roles import APPROVE_REFUND, UNMASK_PERSONAL_DATA
from shopdesk.web.files import private_image

VIEW = "aftersales.view_case"
VIEW_COMPLAINT = "aftersales.view_complaint"
MAX_REGISTER_DAYS = 366


def _unmask(context) -> bool:
    return bool(context.get("unmask"))


def _username(user) -> str | None:
    return user.username if user is not None else None


# --- the policy check -----------------------------------------------------------------------------------------------


class PolicyCheckInput(serializers.Serializer):
    """A buyer's request as the return policy reads it (policy.PolicyRequest)."""

    request_type = serializers.ChoiceField(choices=policy.REQUEST_TYPES,
                                           help_text="return 退货退款, exchange 换货, refund_only 仅退款, reship 补发")
    reason = serializers.ChoiceField(choices=policy.REASONS,
                                     help_text="no_reason 7天无理由, quality 质量问题, wrong_item 发错货, missing_item "
                                               "少发漏发, damaged_in_transit 运输破损, unclear 责任不清")
    days_since_receipt = serializers.IntegerField(
        min_value=0, allow_null=True, required=False, default=None,
        help_text="Whole days since the buyer signed for the parcel (the day of receipt is 0); null or left out "
                  "when unknown.")
    item_flags = serializers.ListField(child=serializers.ChoiceField(choices=policy.ITEM_FLAGS), required=False,
                                       default=list, help_text="hygiene 贴身卫生用品, special_price 特价, gift 赠品")
    item_condition = serializers.ListField(
        child=serializers.ChoiceField(choices=policy.ITEM_CONDITIONS), required=False, default=list,
        help_text="worn 已穿戴, washed 已洗涤, tags_incomplete 吊牌不全, stained 有污渍, damaged 人为损坏, "
                  "altered 已修改")
    return_shipping = serializers.ChoiceField(choices=policy.RETURN_SHIPPING, required=False, allow_null=True,
                                              allow_blank=True, default=None,
                                              help_text="How the buyer sends the parcel back: prepaid or "
                                                        "freight_collect (到付, always refused).")

    def to_request(self) -> policy.PolicyRequest:
        d = self.validated_data
        return policy.request_of(d["request_type"], d["reason"], d["days_since_receipt"], d["item_flags"],
                                 d["item_condition"], d["return_shipping"])


class PolicyDecisionSerializer(serializers.Serializer):
    """What the policy says (policy.Decision.as_dict())."""

    allowed = serializers.BooleanField()
    return_shipping_paid_by = serializers.ChoiceField(choices=["shop", "buyer"], allow_null=True,
                                                      help_text="Who pays the return shipping; null when refused.")
    rule_codes = serializers.ListField(child=serializers.CharField(),
                                       help_text=f"Every rule that applies, e.g. {', '.join(list(policy.RULES)[:3])}")
    explanation = serializers.CharField(help_text="The decision in Chinese, as the buyer is told.")


class PolicyCheckViewSet(viewsets.ViewSet):
    """Ask the return policy (退换货政策) about a buyer's request without opening a case. Nothing is stored.
    Needs aftersales.view_case."""

    permission_classes = [RequirePerms]
    required_perms = {"create": [VIEW]}
    parser_classes = [JSONParser]

    @extend_schema(
        request=PolicyCheckInput, responses={200: PolicyDecisionSerializer}, operation_id="aftersales_policy_check",
        examples=[
            OpenApiExample("no reason, day 7", request_only=True, value={
                "request_type": "return", "reason": "no_reason", "days_since_receipt": 7}),
            OpenApiExample("hygiene item with a quality problem", request_only=True, value={
                "request_type": "exchange", "reason": "quality", "days_since_receipt": 12,
                "item_flags": ["hygiene"]}),
            OpenApiExample("allowed", response_only=True, value={
                "allowed": True, "return_shipping_paid_by": "buyer", "rule_codes": ["no_reason_within_7_days"],
                "explanation": "退货退款·7天无理由：可以受理。签收后7天内(含第7天)支持7天无理由退换货，"
                               "来回运费由买家承担。可换可不换的以换为主，可退可不退的以退为主。"})])
    def create(self, request):
        s = PolicyCheckInput(data=request.data)
        s.is_valid(raise_exception=True)
        return Response(policy.decide(s.to_request()).as_dict())


# --- cases ----------------------------------------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    shop = serializers.CharField(source="shop.code", read_only=True)
    order_no = serializers.CharField(source="order.platform_order_no", read_only=True)
    buyer_platform_id = serializers.CharField(source="order.buyer_platform_id", read_only=True)
    buyer_name = serializers.SerializerMethodField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "number", "shop", "order", "order_no", "buyer_platform_id", "buyer_name", "kind",
                  "kind_label", "reason", "reason_label", "state", "state_label", "waiting_for", "allowed",
                  "refund_amount", "return_tracking_no", "opened_at", "updated_at", "closed_at"]

    def get_buyer_name(self, case) -> str:
        name = case.order.buyer_name
        return name if _unmask(self.context) else masking.mask_name(name)


class CaseLineSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="order_line.sku.code", default=None, read_only=True)
    channel_sku_code = serializers.CharField(source="order_line.channel_sku_code", read_only=True)
    title = serializers.CharField(source="order_line.title", read_only=True)
    unit_price = serializers.DecimalField(source="order_line.unit_price", max_digits=12, decimal_places=2,
                                          read_only=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = CaseLine
        fields = ["id", "order_line", "sku", "channel_sku_code", "title", "unit_price", "quantity", "amount",
                  "received", "restocked", "written_off"]


class CaseEvidenceSerializer(serializers.ModelSerializer):
    has_photo = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField()
    added_by = serializers.CharField(source="added_by.username", default=None, read_only=True)

    class Meta:
        model = CaseEvidence
        fields = ["id", "text", "has_photo", "photo_url", "added_by", "added_at"]

    def get_has_photo(self, item) -> bool:
        return bool(item.photo)

    def get_photo_url(self, item) -> str | None:
        """The photo, served by the API with the case's permission (never a public media URL)."""
        if not item.photo:
            return None
        from django.urls import reverse

        return reverse("aftersales-case-evidence-photo", args=[item.case_id, item.pk])


class CaseReturnParcelSerializer(serializers.Serializer):
    carrier = serializers.CharField(source="return_carrier")
    tracking_no = serializers.CharField(source="return_tracking_no")
    return_shipping = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    received_by = serializers.CharField(source="received_by.username", default=None, allow_null=True)
    inspection_note = serializers.CharField()


class CaseRefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(source="refund_amount", max_digits=12, decimal_places=2)
    due_at = serializers.DateTimeField(source="refund_due_at", allow_null=True)
    approved_by = serializers.CharField(source="refund_approved_by.username", default=None, allow_null=True)
    refunded_at = serializers.DateTimeField(allow_null=True)
    refunded_by = serializers.CharField(source="refunded_by.username", default=None, allow_null=True)


class CaseReturnInstructionsSerializer(serializers.Serializer):
    address = serializers.CharField(help_text="Where the buyer sends the parcel (the shop's sender address).")
    receiver = serializers.CharField()
    phone = serializers.CharField()
    note = serializers.CharField(help_text="What the buyer writes on the note in the parcel.")


class CaseDetailSerializer(CaseSerializer):
    mobile = serializers.SerializerMethodField()
    decision = serializers.SerializerMethodField()
    lines = CaseLineSerializer(many=True, read_only=True)
    evidence = CaseEvidenceSerializer(many=True, read_only=True)
    return_parcel = serializers.SerializerMethodField()
    refund = serializers.SerializerMethodField()
    return_instructions = serializers.SerializerMethodField()
    replacement_order_no = serializers.CharField(source="replacement_order.platform_order_no", default=None,
                                                 read_only=True)
    opened_by = serializers.CharField(source="opened_by.username", default=None, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "mobile", "description", "days_since_receipt", "item_flags",
                  "item_condition", "decision", "lines", "evidence", "return_parcel", "refund", "compensation",
                  "loss", "replacement_order", "replacement_order_no", "result", "return_instructions", "opened_by"]

    def get_mobile(self, case) -> str:
        phone = case.order.mobile or case.order.landline
        return phone if _unmask(self.context) else masking.mask_phone(phone)

    @extend_schema_field(PolicyDecisionSerializer)
    def get_decision(self, case) -> dict:
        return {"allowed": case.allowed, "return_shipping_paid_by": case.shipping_paid_by or None,
                "rule_codes": list(case.rule_codes), "explanation": case.explanation}

    @extend_schema_field(CaseReturnParcelSerializer)
    def get_return_parcel(self, case) -> dict:
        return CaseReturnParcelSerializer(case).data

    @extend_schema_field(CaseRefundSerializer)
    def get_refund(self, case) -> dict:
        return CaseRefundSerializer(case).data

    @extend_schema_field(CaseReturnInstructionsSerializer(allow_null=True))
    def get_return_instructions(self, case) -> dict | None:
        """Where the buyer sends a return or exchange, while the case waits for it; null otherwise."""
        if case.kind not in (Case.Kind.RETURN, Case.Kind.EXCHANGE) or case.state != Case.State.WAITING_RETURN:
            return None
        return selectors.return_instructions(case, masked=not _unmask(self.context))


class CaseLineInput(serializers.Serializer):
    order_line = serializers.IntegerField(help_text="The order line's id.")
    quantity = serializers.IntegerField(min_value=1)


def _line_map(lines: list[dict], key: str, value) -> dict:
    """{line id: value(line)} of a list of line objects; the same line twice is refused (naming `lines`)."""
    out = {}
    for item in lines:
        if item[key] in out:
            raise serializers.ValidationError({"lines": [f"line {item[key]} is listed twice"]})
        out[item[key]] = value(item)
    return out


class CaseInput(serializers.Serializer):
    """A new case on a shipped order of the caller's shops; the policy decides it at once."""

    order = serializers.IntegerField(help_text="The order's id.")
    kind = serializers.ChoiceField(choices=Case.Kind.choices)
    reason = serializers.ChoiceField(choices=Case.Reason.choices)
    lines = CaseLineInput(many=True, allow_empty=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="",
                                        help_text="The buyer's words (kept as the first evidence).")
    days_since_receipt = serializers.IntegerField(
        min_value=0, required=False, allow_null=True, default=None,
        help_text="Only used when the order has no delivery time (from the platform); otherwise counted from it.")
    item_flags = serializers.ListField(child=serializers.ChoiceField(choices=policy.ITEM_FLAGS), required=False,
                                       default=list, help_text="A gift line sets gift by itself.")
    item_condition = serializers.ListField(child=serializers.ChoiceField(choices=policy.ITEM_CONDITIONS),
                                           required=False, default=list)
    return_shipping = serializers.ChoiceField(choices=Case.ReturnShipping.choices, required=False, allow_blank=True,
                                              default="")

    def validate(self, data):
        data["line_quantities"] = _line_map(data["lines"], "order_line", lambda item: item["quantity"])
        return data


class CaseReturnParcelInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=40)
    tracking_no = serializers.CharField(max_length=40)
    return_shipping = serializers.ChoiceField(choices=Case.ReturnShipping.choices, default="prepaid",
                                              help_text="freight_collect parcels are refused (409).")


class CaseReceiveLineInput(serializers.Serializer):
    case_line = serializers.IntegerField(help_text="The case line's id.")
    restocked = serializers.IntegerField(min_value=0, default=0, help_text="Units put back into stock.")
    written_off = serializers.IntegerField(min_value=0, default=0, help_text="Units written off (the loss).")


class CaseReceiveInput(serializers.Serializer):
    lines = CaseReceiveLineInput(many=True, allow_empty=False)
    location = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        help_text="The location id restocked units go to (needed when any are).")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate(self, data):
        data["inspection"] = _line_map(data["lines"], "case_line",
                                       lambda item: (item["restocked"], item["written_off"]))
        if data["location"] is not None:
            data["location"] = Location.objects.select_related("warehouse").filter(pk=data["location"]).first()
            if data["location"] is None:
                raise serializers.ValidationError({"location": ["Unknown location."]})
        return data


class CaseNoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CaseReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class CaseCompensationInput(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    reason = serializers.CharField(max_length=300)


class CaseEvidenceInput(serializers.Serializer):
    text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.ImageField(), required=False, default=list,
                                   max_length=services.MAX_PHOTOS,
                                   help_text="JPEG, PNG, WebP or GIF, up to 5 MB each (multipart, repeat the field).")


_CASE_PERMS = {
    "list": [VIEW], "retrieve": [VIEW], "photo": [VIEW], "create": [services.OPEN],
    "return_parcel": [services.WORK], "refund": [services.WORK], "compensation": [services.WORK],
    "withdraw": [services.WORK], "evidence": [services.WORK], "receive": [services.RECEIVE],
    "approve_refund": [APPROVE_REFUND], "accept": [APPROVE_REFUND],
}


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """After-sales cases (售后单) of the caller's shops. Filters: queue (open, buyer, warehouse, refund, supervisor,
    refused, closed, all), shop (code), order_no, kind, state. Create opens a case on a shipped order and answers
    with the policy's decision (a refused case is recorded too). Each step is `POST /cases/{id}/<step>/`; a step the
    case's state does not allow answers 409 with the reason."""

    permission_classes = [RequirePerms]
    required_perms = _CASE_PERMS
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Case.objects.none()

    def get_queryset(self):
        user = self.request.user
        queue = self.request.query_params.get("queue") if self.action == "list" else None
        qs = selectors.case_queue(user, queue) if queue else selectors.cases_visible_to(user)
        if self.action == "list":
            params = self.request.query_params
            if params.get("shop"):
                qs = qs.filter(shop__code=params["shop"])
            if params.get("order_no"):
                qs = qs.filter(order__platform_order_no=params["order_no"].strip())
            if params.get("kind"):
                qs = qs.filter(kind=params["kind"])
            if params.get("state"):
                qs = qs.filter(state=params["state"])
            return qs
        return qs.select_related("replacement_order", "opened_by", "received_by", "refund_approved_by",
                                 "refunded_by").prefetch_related(
            Prefetch("lines", CaseLine.objects.select_related("order_line__sku")),
            Prefetch("evidence", CaseEvidence.objects.select_related("added_by")))

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def _detail(self, case, *, unmask=False, code=status.HTTP_200_OK):
        case = self.get_queryset().get(pk=case.pk)
        return Response(CaseDetailSerializer(case, context={"request": self.request, "unmask": unmask}).data,
                        status=code)

    @extend_schema(parameters=[
        OpenApiParameter("queue", str, enum=list(selectors.QUEUES)),
        OpenApiParameter("shop", str, description="shop code"),
        OpenApiParameter("order_no", str, description="the platform order number"),
        OpenApiParameter("kind", str, enum=Case.Kind.values),
        OpenApiParameter("state", str, enum=Case.State.values)])
    def list(self, request, *args, **kwargs):
        queue = request.query_params.get("queue")
        if queue and queue not in selectors.QUEUES:
            raise serializers.ValidationError({"queue": [f"must be one of {', '.join(selectors.QUEUES)}"]})
        return super().list(request, *args, **kwargs)

    @extend_schema(parameters=[OpenApiParameter("unmask", bool, description="Answer the buyer's name and phone in "
                                                                             "clear (needs the permission; logged).")])
    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        unmask = request.query_params.get("unmask") in ("1", "true")
        if unmask:
            if not request.user.has_perm(UNMASK_PERSONAL_DATA):
                self.permission_denied(request, message="You may not see buyers' personal data in clear.")
            order_services.unmask_order(actor=request.user, order=case.order,
                                        reason=f"after-sales case {case.number}")
        return self._detail(case, unmask=unmask)

    @extend_schema(request={"application/json": CaseInput}, responses={201: CaseDetailSerializer})
    def create(self, request):
        s = CaseInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        order = orders_visible_to(request.user).filter(pk=d["order"]).first()
        if order is None:
            raise Http404
        case = services.open_case(
            actor=request.user, order=order, kind=d["kind"], reason=d["reason"], lines=d["line_quantities"],
            description=d["description"], days_since_receipt_override=d["days_since_receipt"],
            item_flags=d["item_flags"], item_condition=d["item_condition"], return_shipping=d["return_shipping"])
        return self._detail(case, code=status.HTTP_201_CREATED)

    def _run(self, request, func, serializer_class=None, **extra):
        case = self.get_object()
        data = {}
        if serializer_class is not None:
            s = serializer_class(data=request.data)
            s.is_valid(raise_exception=True)
            data = dict(s.validated_data)
        return self._detail(func(actor=request.user, case=case, **data, **extra))

    @extend_schema(request=CaseReturnParcelInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return-parcel")
    def return_parcel(self, request, pk=None):
        """The buyer's return parcel: carrier and tracking number (freight collect is refused)."""
        return self._run(request, services.record_return_parcel, CaseReturnParcelInput)

    @extend_schema(request=CaseReceiveInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """The warehouse receives and inspects the return: per case line the units restocked (a return-restock
        movement into `location`) and written off. Needs aftersales.receive_return."""
        case = self.get_object()
        s = CaseReceiveInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        return self._detail(services.receive_return(actor=request.user, case=case, inspection=d["inspection"],
                                                    location=d["location"], note=d["note"]))

    @extend_schema(request=CaseNoteInput, responses={200: CaseDetailSerializer, 202: CaseDetailSerializer},
                   description="The refund was paid on the platform (200, state refunded). Above your refund limit "
                               "it waits for a supervisor instead: 202 with state refund_approval; once approved, "
                               "post again.")
    @action(detail=True, methods=["post"])
    def refund(self, request, pk=None):
        s = CaseNoteInput(data=request.data)
        s.is_valid(raise_exception=True)
        case = services.mark_refunded(actor=request.user, case=self.get_object(), note=s.validated_data["note"])
        code = status.HTTP_202_ACCEPTED if case.state == Case.State.REFUND_APPROVAL else status.HTTP_200_OK
        return self._detail(case, code=code)

    @extend_schema(request=CaseNoteInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="approve-refund")
    def approve_refund(self, request, pk=None):
        """A supervisor approves a refund above the agent's limit (aftersales.approve_refund)."""
        return self._run(request, services.approve_refund, CaseNoteInput)

    @extend_schema(request=CaseReasonInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """A supervisor accepts a case the policy refused (可退可不退的以退为主); the shop pays the shipping."""
        return self._run(request, services.accept_refused_case, CaseReasonInput)

    @extend_schema(request=CaseCompensationInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def compensation(self, request, pk=None):
        """A goodwill payment (补偿) within your refund limit."""
        return self._run(request, services.record_compensation, CaseCompensationInput)

    @extend_schema(request=CaseReasonInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """The buyer withdrew the request, before anything came back or was paid."""
        return self._run(request, services.withdraw_case, CaseReasonInput)

    @extend_schema(request={"application/json": CaseEvidenceInput, "multipart/form-data": CaseEvidenceInput},
                   responses={201: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """More of the buyer's words or photos (up to 9 photos per post)."""
        case = self.get_object()
        s = CaseEvidenceInput(data=request.data)
        s.is_valid(raise_exception=True)
        case = services.add_evidence(actor=request.user, case=case, text=s.validated_data["text"],
                                     photos=s.validated_data["photos"])
        return self._detail(case, code=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("evidence_id", int, OpenApiParameter.PATH)],
                   responses={(200, "image/*"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>\d+)/photo",
            url_name="evidence-photo")
    def photo(self, request, pk=None, evidence_id=None):
        """A photo of the case's evidence (the `photo_url` of the detail)."""
        case = self.get_object()
        item = CaseEvidence.objects.filter(case=case, pk=evidence_id).first()
        if item is None:
            raise Http404
        return private_image(item.photo)


# --- complaints -----------------------------------------------------------------------------------------------------


class ComplaintSerializer(serializers.ModelSerializer):
    number = serializers.SerializerMethodField()
    shop = serializers.CharField(source="shop.code", read_only=True)
    order_no = serializers.CharField(source="order.platform_order_no", default=None, read_only=True)
    step_label = serializers.CharField(source="get_step_display", read_only=True)
    cause_label = serializers.CharField(source="get_cause_display", read_only=True)
    against_staff = serializers.CharField(source="against_staff.username", default=None, read_only=True)
    opened_by = serializers.CharField(source="opened_by.username", default=None, read_only=True)

    class Meta:
        model = Complaint
        fields = ["id", "number", "shop", "order", "order_no", "buyer_platform_id", "summary", "step", "step_label",
                  "cause", "cause_label", "against_staff", "notes", "resolution", "compensation", "follow_up_due_at",
                  "followed_up_at", "follow_up_note", "opened_by", "opened_at", "resolved_at", "closed_at"]

    def get_number(self, complaint) -> str:
        return str(complaint)


class ComplaintInput(serializers.Serializer):
    shop = serializers.CharField(help_text="The shop's code.")
    summary = serializers.CharField(max_length=500, help_text="What the buyer complains about.")
    order = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="The order's id.")
    buyer_platform_id = serializers.CharField(max_length=80, required=False, allow_blank=True, default="",
                                              help_text="The buyer's account; taken from the order when left out.")
    against_staff = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), required=False,
        allow_null=True, default=None,
        help_text="The username of a colleague the complaint names (then only supervisors see it).")


class ComplaintAdvanceInput(serializers.Serializer):
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                  help_text="What was said at this step (appended to the record).")
    cause = serializers.ChoiceField(choices=Complaint.Cause.choices, required=False, allow_blank=True, default="",
                                    help_text="Needed to reach the record step.")
    resolution = serializers.CharField(max_length=500, required=False, allow_blank=True, default="",
                                       help_text="Needed to reach the resolve step.")
    compensation = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, required=False,
                                            allow_null=True, default=None)
    from_step = serializers.ChoiceField(choices=Complaint.Step.choices, required=False, allow_blank=True, default="",
                                        help_text="The step the client saw; a repeated request then does not skip "
                                                  "a step (409).")


class ComplaintFollowUpInput(serializers.Serializer):
    note = serializers.CharField(max_length=500, help_text="What the buyer said on the follow-up call.")


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints (投诉) of the caller's shops; one against a named colleague only for those who may see them
    (aftersales.view_staff_complaint), 404 for everyone else. Filters: step, shop (code). `advance` moves it one
    step: listen → apologise → ask → record (the cause) → resolve (the resolution, any compensation; the follow-up
    call falls due the next working day) → closed. `follow-up` records that call."""

    serializer_class = ComplaintSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_COMPLAINT], "retrieve": [VIEW_COMPLAINT], "create": [services.OPEN_COMPLAINT],
                      "advance": [services.WORK_COMPLAINT], "follow_up": [services.WORK_COMPLAINT]}
    queryset = Complaint.objects.none()

    def get_queryset(self):
        qs = selectors.complaints_visible_to(self.request.user).select_related("opened_by").order_by(
            "-opened_at", "-id")
        params = self.request.query_params
        if params.get("step"):
            qs = qs.filter(step=params["step"])
        if params.get("shop"):
            qs = qs.filter(shop__code=params["shop"])
        return qs

    @extend_schema(parameters=[OpenApiParameter("step", str, enum=Complaint.Step.values),
                               OpenApiParameter("shop", str, description="shop code")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _answer(self, complaint, code=status.HTTP_200_OK):
        complaint = Complaint.objects.select_related("shop", "order", "against_staff", "opened_by").get(
            pk=complaint.pk)
        return Response(ComplaintSerializer(complaint).data, status=code)

    @extend_schema(request=ComplaintInput, responses={201: ComplaintSerializer})
    def create(self, request):
        s = ComplaintInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        shop = shops_visible_to(request.user).filter(code=d["shop"]).first()
        if shop is None:
            raise serializers.ValidationError({"shop": ["Unknown shop, or not one of yours."]})
        order = None
        if d["order"] is not None:
            order = orders_visible_to(request.user).filter(pk=d["order"]).first()
            if order is None:
                raise serializers.ValidationError({"order": ["Unknown order."]})
        complaint = services.open_complaint(actor=request.user, shop=shop, summary=d["summary"], order=order,
                                            buyer_platform_id=d["buyer_platform_id"],
                                            against_staff=d["against_staff"])
        return self._answer(complaint, status.HTTP_201_CREATED)

    @extend_schema(request=ComplaintAdvanceInput, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        complaint = self.get_object()
        s = ComplaintAdvanceInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._answer(services.advance_complaint(actor=request.user, complaint=complaint, **s.validated_data))

    @extend_schema(request=ComplaintFollowUpInput, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        complaint = self.get_object()
        s = ComplaintFollowUpInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._answer(services.record_complaint_follow_up(actor=request.user, complaint=complaint,
                                                                note=s.validated_data["note"]))


# --- the returns register -------------------------------------------------------------------------------------------


class ReturnsRegisterQuery(serializers.Serializer):
    shop = serializers.CharField(required=False, allow_blank=True, default="", help_text="shop code; all when empty")
    start = serializers.DateField(required=False, allow_null=True, default=None,
                                  help_text="First day (China time); 30 days before `end` when left out.")
    end = serializers.DateField(required=False, allow_null=True, default=None,
                                help_text="Last day, included; today when left out.")

    def validate(self, data):
        data["end"] = data["end"] or clock.today()
        data["start"] = data["start"] or data["end"] - timedelta(days=30)
        if data["start"] > data["end"]:
            raise serializers.ValidationError({"start": ["The start is after the end."]})
        if (data["end"] - data["start"]).days >= MAX_REGISTER_DAYS:
            raise serializers.ValidationError({"start": [f"At most {MAX_REGISTER_DAYS} days at a time."]})
        return data


class ReturnsRegisterRowSerializer(serializers.Serializer):
    day = serializers.DateField()
    case = serializers.CharField()
    kind = serializers.CharField()
    order_no = serializers.CharField()
    sku = serializers.CharField()
    title = serializers.CharField()
    quantity = serializers.IntegerField()
    received = serializers.IntegerField()
    return_tracking_no = serializers.CharField()
    reason = serializers.CharField()
    result = serializers.CharField()
    loss = serializers.DecimalField(max_digits=12, decimal_places=2)


class ReturnsRegisterSerializer(serializers.Serializer):
    shop = serializers.CharField(allow_null=True)
    start = serializers.DateField()
    end = serializers.DateField()
    rows = ReturnsRegisterRowSerializer(many=True)


class ReturnsRegisterViewSet(viewsets.ViewSet):
    """The returns register (退换货登记表): one row per returned or exchanged line of the cases opened from `start`
    to `end` (China days, both included), oldest first, of the caller's shops. Needs aftersales.view_case."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW]}

    @extend_schema(parameters=[ReturnsRegisterQuery], responses=ReturnsRegisterSerializer)
    def list(self, request):
        q = ReturnsRegisterQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        shop = None
        if d["shop"]:
            shop = shops_visible_to(request.user).filter(code=d["shop"]).first()
            if shop is None:
                raise serializers.ValidationError({"shop": ["Unknown shop, or not one of yours."]})
        rows = selectors.returns_register(request.user, shop=shop, start=d["start"], end=d["end"])
        return Response(ReturnsRegisterSerializer({"shop": shop.code if shop else None, "start": d["start"],
                                            "end": d["end"], "rows": rows}).data)
