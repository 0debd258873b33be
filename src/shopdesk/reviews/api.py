"""Reviews API under /api/v1/reviews/ (评价, product.md §2.6).

List (filters: queue, shop, rating, category), retrieve (with the four deadlines as ISO 8601 in China time, e.g.
"2026-11-27T10:00:00+08:00"; null for positive reviews) and create; the actions `follow-ups` (POST a contact
attempt; GET the log), `outcome` (POST), `thank-you` (POST, positive reviews); `import` (POST multipart, the
platform's export, all or nothing) and `report` (GET ?week=YYYY-Www, default last week).

Thin like the pages: a serializer validates, one service writes; the same permissions as the pages, scoped to the
caller's shops (another shop's review is 404).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core.drf import RequirePerms, error_body
from shopdesk.fulfillment.uploads import UploadFile, saved_upload
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.reviews import selectors, services
from shopdesk.reviews.models import FollowUp, Review

CHINA = ZoneInfo("Asia/Shanghai")
OUTCOMES = [(value, label) for value, label in Review.Outcome.choices if value]  # the schema's ReviewOutcomeEnum


def china_time(**kwargs):
    """A DateTimeField written in China time with its offset (+08:00), whatever zone the request activated."""
    return serializers.DateTimeField(default_timezone=CHINA, **kwargs)


class FollowUpSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", default=None, read_only=True)
    at = china_time(read_only=True)
    promised_at = china_time(read_only=True)
    next_contact_at = china_time(read_only=True)

    class Meta:
        model = FollowUp
        fields = ["id", "channel", "result", "promised_at", "next_contact_at", "note", "by", "at"]


class ReviewSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="shop.code", read_only=True)
    rating_label = serializers.CharField(source="get_rating_display", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    posted_at = china_time(read_only=True)
    follow_up_due_at = china_time(read_only=True)
    takes_effect_at = china_time(read_only=True)
    modifiable_until = china_time(read_only=True)
    explanation_due_at = china_time(read_only=True)
    first_contact_at = china_time(read_only=True)
    next_contact_at = china_time(read_only=True)
    outcome_at = china_time(read_only=True)
    outcome_by = serializers.CharField(source="outcome_by.username", default=None, read_only=True)
    compensation_approved_by = serializers.CharField(source="compensation_approved_by.username", default=None,
                                                     read_only=True)
    owner = serializers.CharField(source="owner.username", default=None, read_only=True)
    outcome = serializers.CharField(read_only=True, help_text="'' (none yet), modified, compensated or explained")
    done = serializers.BooleanField(read_only=True)
    badge = serializers.SerializerMethodField(help_text="overdue, due_soon, explanation_due, waiting, open, done or "
                                                        "'' (positive)")

    class Meta:
        model = Review
        fields = ["id", "shop", "platform_review_id", "order", "order_line", "platform_order_no", "buyer_platform_id",
                  "item_title", "sku", "rating", "rating_label", "text", "posted_at", "category", "category_label",
                  "follow_up_due_at", "takes_effect_at", "modifiable_until", "explanation_due_at",
                  "first_contact_at", "next_contact_at", "owner", "outcome", "outcome_at", "outcome_by",
                  "compensation", "compensation_approved_by", "explanation", "thank_you", "done", "badge"]
        read_only_fields = fields

    def get_badge(self, obj) -> str:
        return selectors.badge(obj)


class ReviewDetailSerializer(ReviewSerializer):
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "follow_ups"]
        read_only_fields = fields


class ReviewInput(serializers.Serializer):
    shop = serializers.CharField(help_text="The shop's code.")
    platform_review_id = serializers.CharField(max_length=80)
    rating = serializers.ChoiceField(choices=Review.Rating.choices)
    posted_at = serializers.DateTimeField(default_timezone=CHINA, help_text="ISO 8601; without an offset it is "
                                                                            "China time.")
    text = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.ChoiceField(choices=Review.Category.choices, required=False, allow_blank=True, default="")
    platform_order_no = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                              help_text="Linked to the order when it is in ShopDesk.")
    item_title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    buyer_platform_id = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class FollowUpInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=FollowUp.Channel.choices)
    result = serializers.ChoiceField(choices=FollowUp.Result.choices)
    promised_at = serializers.DateTimeField(default_timezone=CHINA, required=False, allow_null=True, default=None)
    next_contact_at = serializers.DateTimeField(default_timezone=CHINA, required=False, allow_null=True,
                                                default=None)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class OutcomeInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    compensation = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True,
                                            default=None, help_text="For compensated: the amount offered, above 0.")
    explanation = serializers.CharField(required=False, allow_blank=True, default="",
                                        help_text="For explained: the text posted on the platform.")


class ImportInput(serializers.Serializer):
    shop = serializers.CharField(help_text="The shop's code.")
    file = UploadFile(help_text="xlsx or CSV: 评价ID, 订单编号, 评价等级, 评价时间; optionally 商品名称, 商家编码, "
                                "评价内容, 原因分类, 买家昵称.")


class ImportResult(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Reviews the platform changed (text or rating).")
    unchanged = serializers.IntegerField()
    unmatched_orders = serializers.ListField(child=serializers.CharField(),
                                             help_text="Order numbers not in ShopDesk (reviews kept without them).")
    unmatched_lines = serializers.IntegerField()


def _shop(user, code: str):
    shop = shops_visible_to(user).filter(code=code).first()
    if shop is None:
        raise serializers.ValidationError({"shop": [f"No shop {code} of yours."]})
    return shop


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reviews of the caller's shops."""

    serializer_class = ReviewSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": [services.VIEW], "retrieve": [services.VIEW], "report": [services.VIEW],
                      "create": [services.ADD], "import_file": [services.ADD],
                      "follow_ups": {"GET": [services.VIEW], "POST": [services.FOLLOW_UP]},
                      "outcome": [services.CHANGE], "thank_you": [services.CHANGE]}
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    queryset = Review.objects.none()

    def get_permissions(self):
        perms = self.required_perms.get(self.action)
        if isinstance(perms, dict):  # follow-ups: reading the log and adding to it differ
            self.required_perms = {**self.required_perms, self.action: perms.get(self.request.method, [])}
        return super().get_permissions()

    def get_serializer_class(self):
        return ReviewDetailSerializer if self.action == "retrieve" else ReviewSerializer

    def get_queryset(self):
        user = self.request.user
        if self.action == "retrieve":
            return selectors.reviews_visible_to(user).select_related(
                "outcome_by", "compensation_approved_by", "owner").prefetch_related("follow_ups__by")
        params = self.request.query_params
        queue = params.get("queue") or "all"
        if queue not in selectors.QUEUES:
            raise serializers.ValidationError({"queue": [f"One of {', '.join(selectors.QUEUES)}."]})
        qs = selectors.review_queue(user, queue).select_related("outcome_by", "compensation_approved_by", "owner")
        if params.get("shop"):
            qs = qs.filter(shop__code=params["shop"])
        if params.get("rating"):
            qs = qs.filter(rating=params["rating"])
        if params.get("category"):
            qs = qs.filter(category=params["category"])
        return qs

    @extend_schema(parameters=[
        OpenApiParameter("queue", str, enum=list(selectors.QUEUES), description="default all"),
        OpenApiParameter("shop", str, description="shop code"),
        OpenApiParameter("rating", str, enum=Review.Rating.values),
        OpenApiParameter("category", str, enum=Review.Category.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ReviewInput, responses={201: ReviewDetailSerializer})
    def create(self, request):
        s = ReviewInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        shop = _shop(request.user, d["shop"])
        order = None
        if d["platform_order_no"]:
            order = orders_visible_to(request.user).filter(shop=shop,
                                                           platform_order_no=d["platform_order_no"]).first()
        review = services.record_review(
            actor=request.user, shop=shop, platform_review_id=d["platform_review_id"], rating=d["rating"],
            posted_at=d["posted_at"], text=d["text"], category=d["category"], order=order,
            platform_order_no=d["platform_order_no"], item_title=d["item_title"],
            buyer_platform_id=d["buyer_platform_id"])
        return Response(ReviewDetailSerializer(selectors.review_for_page(request.user, review.pk)).data,
                        status=status.HTTP_201_CREATED)

    def _detail(self, pk):
        return Response(ReviewDetailSerializer(selectors.review_for_page(self.request.user, pk)).data)

    @extend_schema(methods=["GET"], responses=FollowUpSerializer(many=True))
    @extend_schema(methods=["POST"], request=FollowUpInput, responses={201: ReviewDetailSerializer})
    @action(detail=True, methods=["get", "post"], url_path="follow-ups")
    def follow_ups(self, request, pk=None):
        review = self.get_object()
        if request.method == "GET":
            return Response(FollowUpSerializer(selectors.follow_ups(review), many=True).data)
        s = FollowUpInput(data=request.data)
        s.is_valid(raise_exception=True)
        services.record_follow_up(actor=request.user, review=review, **s.validated_data)
        response = self._detail(review.pk)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=OutcomeInput, responses=ReviewDetailSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        review = self.get_object()
        s = OutcomeInput(data=request.data)
        s.is_valid(raise_exception=True)
        services.record_outcome(actor=request.user, review=review, **s.validated_data)
        return self._detail(review.pk)

    @extend_schema(request=None, responses=ReviewDetailSerializer)
    @action(detail=True, methods=["post"], url_path="thank-you")
    def thank_you(self, request, pk=None):
        review = self.get_object()
        services.fill_thank_you(actor=request.user, review=review)
        return self._detail(review.pk)

    @extend_schema(request={"multipart/form-data": ImportInput}, responses={201: ImportResult})
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request):
        s = ImportInput(data=request.data)
        s.is_valid(raise_exception=True)
        shop = _shop(request.user, s.validated_data["shop"])
        with saved_upload(s.validated_data["file"]) as path:
            result = services.import_reviews(actor=request.user, shop=shop, path=path)
        return Response(ImportResult(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("week", str, description="ISO week YYYY-Www, default last week")],
                   responses=OpenApiTypes.OBJECT)
    @action(detail=False, methods=["get"])
    def report(self, request):
        try:
            year, week = selectors.parse_week(request.query_params.get("week"))
        except ValueError:
            return Response(error_body("invalid", "week: write it like 2026-W47", {"week": ["YYYY-Www"]}),
                            status=status.HTTP_400_BAD_REQUEST)
        data = selectors.weekly_report(request.user, year, week)
        data["start"] = data["start"].date().isoformat()
        data["end"] = data["end"].date().isoformat()
        return Response(data)
