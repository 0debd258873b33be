"""The supervisor's customer-service API under /api/v1/service/: KPIs, quality scores, the duty roster with its
coverage, shifts, and the monthly score sheets with their steps.

Thin like the pages: a serializer validates, one service writes (services_team), the answer is serialised. The same
permissions as the pages (service.view_kpi, service.inspect_quality, service.view_rosterentry / add_rosterentry /
delete_rosterentry, service.view_shift / change_shift, service.view_scoresheet / change_scoresheet /
approve_scoresheet), scoped to the caller's shops where a shop is involved: a quality score of another shop is 404,
a shop code that is not the caller's is a 400 on `shop`. Refusals come back in the usual error body (400 naming the
field, 403, 409). Days are China calendar days (YYYY-MM-DD), months YYYY-MM. Message text in a quality score's
thread is returned as typed: clients must escape it; phone numbers are masked unless the caller may unmask.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.drf import RequirePerms
from shopdesk.service import kpis, quality, roster, selectors_team, services_team
from shopdesk.service.models import QualityScore, RosterEntry, ScoreSheet, Shift
from shopdesk.staff.roles import UNMASK_PERSONAL_DATA

VIEW_KPI = "service.view_kpi"
INSPECT = services_team.INSPECT
VIEW_ROSTER = "service.view_rosterentry"
VIEW_SHIFT = "service.view_shift"
VIEW_SHEET = "service.view_scoresheet"


def _own_shop(user, code: str, field: str = "shop"):
    shop = shops_visible_to(user).filter(code=code).first()
    if shop is None:
        raise serializers.ValidationError({field: [gettext("Unknown shop %(s)s, or not one of yours.") % {"s": code}]})
    return shop


def _person(username: str, field: str = "agent"):
    user = get_user_model().objects.filter(username=username).select_related("staff_profile").first()
    if user is None:
        raise serializers.ValidationError({field: [gettext("Unknown person %(u)s.") % {"u": username}]})
    return user


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-10"})
class MonthField(serializers.Field):
    """A month as YYYY-MM; internally its first day."""

    default_error_messages = {"invalid": "Give the month as YYYY-MM."}

    def to_internal_value(self, data):
        try:
            return datetime.strptime(str(data)[:7], "%Y-%m").date()
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return value.strftime("%Y-%m")


# --- KPIs -----------------------------------------------------------------------------------------------------------


class KpiQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="First day (default: the 1st of this month).")
    end = serializers.DateField(required=False, help_text="Last day, included (default: today).")
    period = serializers.ChoiceField(choices=kpis.PERIODS, default="day")
    shop = serializers.CharField(required=False, help_text="A shop code of yours (default: all your shops).")
    agent = serializers.CharField(required=False, help_text="An agent's username: only their rows per agent.")

    def validate(self, attrs):
        end = attrs.get("end") or clock.today()
        start = attrs.get("start") or end.replace(day=1)
        if end < start:
            raise serializers.ValidationError({"end": ["The range ends before it starts."]})
        if (end - start).days >= kpis.MAX_DAYS:
            raise serializers.ValidationError({"start": [f"Choose at most {kpis.MAX_DAYS} days."]})
        attrs["start"], attrs["end"] = start, end
        return attrs


class MeasuresSerializer(serializers.Serializer):
    conversations = serializers.IntegerField(help_text="接待人数: conversation-days answered.")
    answers = serializers.IntegerField(help_text="Agent answers to a waiting buyer.")
    first_responses = serializers.IntegerField()
    first_response_seconds = serializers.FloatField(allow_null=True, help_text="Average first response (s).")
    response_seconds = serializers.FloatField(allow_null=True, help_text="Average response of every answer (s).")
    answered_30s = serializers.FloatField(allow_null=True, help_text="Share (0-1) of first responses within 30 s.")
    answered_60s = serializers.FloatField(allow_null=True, help_text="Share (0-1) of first responses within 60 s.")
    inquiries = serializers.IntegerField(help_text="询单: conversation-days with a buyer message.")
    converted = serializers.IntegerField(help_text="Inquiries followed by a payment in the shop within 24 h.")
    conversion = serializers.FloatField(allow_null=True, help_text="converted / inquiries (0-1).")
    orders = serializers.IntegerField(help_text="Orders that converted an inquiry (each once).")
    sales = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="Their paid amount.")
    average_order_value = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                                   help_text="客单价 = sales / orders.")


class KpiRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="key")
    name = serializers.CharField()
    period = serializers.DateField(allow_null=True, help_text="First day of the period; null for the total.")
    measures = MeasuresSerializer()


class KpiReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    period = serializers.CharField()
    conversion_rule = serializers.CharField()
    agents = KpiRowSerializer(many=True, help_text="Per agent per period (periods with activity).")
    agent_totals = KpiRowSerializer(many=True)
    shops = KpiRowSerializer(many=True)
    shop_totals = KpiRowSerializer(many=True)
    total = MeasuresSerializer(help_text="Every shop together over the range.")


CONVERSION_RULE = ("An inquiry (conversation-day with a buyer message) is converted when the buyer pays an order in "
                   "the same shop within 24 hours after their first message of that day; it counts for the agent who "
                   "gave that day's first response.")


class KpiViewSet(viewsets.ViewSet):
    """Customer-service KPIs per agent and per shop, per day, week or month of a date range (China days), of the
    caller's shops. Needs service.view_kpi."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_KPI]}

    @extend_schema(parameters=[KpiQuery], responses=KpiReportSerializer, operation_id="service_kpis")
    def list(self, request):
        q = KpiQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        d = q.validated_data
        shop = _own_shop(request.user, d["shop"]) if d.get("shop") else None
        agent = _person(d["agent"]) if d.get("agent") else None
        report = selectors_team.kpi_report(request.user, start=d["start"], end=d["end"], period=d["period"],
                                           shop=shop, agent=agent)
        data = {"start": report.start, "end": report.end, "period": report.period, "conversion_rule": CONVERSION_RULE,
                "agents": report.agents, "agent_totals": report.agent_totals, "shops": report.shops,
                "shop_totals": report.shop_totals, "total": report.total}
        return Response(KpiReportSerializer(data).data)


# --- quality --------------------------------------------------------------------------------------------------------


class FindingSerializer(serializers.Serializer):
    rule = serializers.ChoiceField(choices=quality.RULE_CODES)
    explanation = serializers.CharField(help_text="The rule in Chinese.")
    message = serializers.IntegerField(allow_null=True, help_text="The message id the finding is about.")
    detail = serializers.CharField(allow_blank=True)


class QualityScoreSerializer(serializers.ModelSerializer):
    shop = serializers.CharField(source="conversation.shop.code", read_only=True)
    buyer_id = serializers.CharField(source="conversation.buyer_id", read_only=True)
    agent = serializers.CharField(source="agent.username", default=None, read_only=True)
    score = serializers.IntegerField(read_only=True, help_text="The manual score when given, else the rule score.")
    findings = FindingSerializer(many=True, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.username", default=None, read_only=True)

    class Meta:
        model = QualityScore
        fields = ["id", "conversation", "shop", "buyer_id", "day", "agent", "score", "auto_score", "manual_score",
                  "comment", "findings", "reviewed_by", "reviewed_at", "computed_at"]
        read_only_fields = fields


class ThreadMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = serializers.CharField()
    text = serializers.CharField()
    sent_at = serializers.DateTimeField()
    agent = serializers.CharField(allow_null=True)
    response_seconds = serializers.IntegerField(allow_null=True)


class QualityScoreDetailSerializer(QualityScoreSerializer):
    messages = serializers.SerializerMethodField()

    class Meta(QualityScoreSerializer.Meta):
        fields = [*QualityScoreSerializer.Meta.fields, "messages"]
        read_only_fields = fields

    @extend_schema_field(ThreadMessageSerializer(many=True))
    def get_messages(self, score) -> list[dict]:
        unmask = bool(self.context.get("unmask"))
        return [{"id": m.pk, "direction": m.direction, "text": m.text if unmask else quality.mask_text(m.text),
                 "sent_at": m.sent_at, "agent": m.agent.username if m.agent else None,
                 "response_seconds": m.response_seconds} for m in selectors_team.day_messages(score)]


class QualityQuery(serializers.Serializer):
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    agent = serializers.CharField(required=False, help_text="username")
    shop = serializers.CharField(required=False, help_text="shop code")
    reviewed = serializers.BooleanField(required=False, allow_null=True, default=None)


class QualityReviewInput(serializers.Serializer):
    manual_score = serializers.IntegerField(allow_null=True, required=False, default=None,
                                            help_text="0-100, or null to go back to the rule score.")
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=500,
                                    help_text="Required when the manual score differs from the rule score.")


class InspectInput(serializers.Serializer):
    day = serializers.DateField()
    shop = serializers.CharField(required=False, help_text="Only this shop (default: all your shops).")


class InspectResult(serializers.Serializer):
    day = serializers.DateField()
    scored = serializers.IntegerField(help_text="Conversation-days scored.")


class QualityScoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quality scores (质检) of conversation-days of the caller's shops, lowest first (the manual score counts when
    given). `POST /quality-scores/{id}/review/` records the supervisor's score and comment; `POST
    /quality-scores/inspect/` (re)inspects every conversation of a day. Needs service.inspect_quality."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [INSPECT], "retrieve": [INSPECT], "review": [INSPECT], "inspect": [INSPECT]}
    queryset = QualityScore.objects.none()

    def get_queryset(self):
        qs = selectors_team.quality_scores(self.request.user)
        if self.action == "list":
            q = QualityQuery(data=self.request.query_params)
            q.is_valid(raise_exception=True)
            d = q.validated_data
            if d.get("start"):
                qs = qs.filter(day__gte=d["start"])
            if d.get("end"):
                qs = qs.filter(day__lte=d["end"])
            if d.get("agent"):
                qs = qs.filter(agent__username=d["agent"])
            if d.get("shop"):
                qs = qs.filter(conversation__shop=_own_shop(self.request.user, d["shop"]))
            if d.get("reviewed") is not None:
                qs = qs.filter(reviewed_by__isnull=not d["reviewed"])
        return qs.order_by("effective", "-day", "id")

    def get_serializer_class(self):
        return QualityScoreSerializer if self.action == "list" else QualityScoreDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(),
                "unmask": self.request.user.has_perm(UNMASK_PERSONAL_DATA)}

    @extend_schema(parameters=[QualityQuery])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=QualityReviewInput, responses=QualityScoreDetailSerializer, examples=[
        OpenApiExample("a manual score", request_only=True, value={"manual_score": 70, "comment": "承诺过头，已提醒"})])
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The supervisor's own score and comment (not on one's own conversation: 409)."""
        score = self.get_object()
        s = QualityReviewInput(data=request.data)
        s.is_valid(raise_exception=True)
        score = services_team.review_quality_score(actor=request.user, score=score, **s.validated_data)
        score = self.get_queryset().get(pk=score.pk)
        return Response(QualityScoreDetailSerializer(score, context=self.get_serializer_context()).data)

    @extend_schema(request=InspectInput, responses=InspectResult)
    @action(detail=False, methods=["post"])
    def inspect(self, request):
        """(Re)inspect every conversation of the caller's shops (or one shop) that had messages on `day`."""
        s = InspectInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        shop = _own_shop(request.user, d["shop"]) if d.get("shop") else None
        n = services_team.inspect_day(actor=request.user, day=d["day"], shop=shop)
        return Response({"day": d["day"], "scored": n})


# --- roster ---------------------------------------------------------------------------------------------------------


class ShiftSerializer(serializers.ModelSerializer):
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M", help_text="At or before the start: the next morning.")
    crosses_midnight = serializers.SerializerMethodField()

    class Meta:
        model = Shift
        fields = ["id", "name", "start", "end", "crosses_midnight"]

    def get_crosses_midnight(self, shift) -> bool:
        return roster.crosses_midnight(shift.start, shift.end)


class ShiftViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The roster's shifts (白班 08:30-17:30, 晚班 17:00-01:00 by default). `PUT /shifts/{id}/` changes one (needs
    service.change_shift)."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_SHIFT], "update": [services_team.CHANGE_SHIFT]}
    serializer_class = ShiftSerializer
    pagination_class = None
    queryset = Shift.objects.order_by("start", "id")

    @extend_schema(request=ShiftSerializer, responses=ShiftSerializer)
    def update(self, request, pk=None):
        shift = self.get_object()
        s = ShiftSerializer(shift, data=request.data)  # the instance: keeping its own name is no duplicate
        s.is_valid(raise_exception=True)
        shift = services_team.update_shift(actor=request.user, shift=shift, **s.validated_data)
        return Response(ShiftSerializer(shift).data)


class RosterEntrySerializer(serializers.ModelSerializer):
    shift_name = serializers.CharField(source="shift.name", read_only=True)
    agent = serializers.CharField(source="agent.username", read_only=True)
    agent_name = serializers.SerializerMethodField()

    class Meta:
        model = RosterEntry
        fields = ["id", "day", "shift", "shift_name", "agent", "agent_name"]
        read_only_fields = fields

    def get_agent_name(self, entry) -> str:
        return selectors_team.person_name(entry.agent)


class RosterQuery(serializers.Serializer):
    start = serializers.DateField(required=False, help_text="Default: Monday of this week.")
    end = serializers.DateField(required=False, help_text="Default: Sunday of that week.")


class RosterEntryInput(serializers.Serializer):
    day = serializers.DateField()
    shift = serializers.PrimaryKeyRelatedField(queryset=Shift.objects.all())
    agent = serializers.CharField(help_text="The agent's username.")


class GapSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="Local China time, no offset.")
    end = serializers.DateTimeField()


class DayCoverageSerializer(serializers.Serializer):
    day = serializers.DateField()
    covered = serializers.BooleanField(source="ok")
    gap_minutes = serializers.IntegerField()
    gaps = serializers.SerializerMethodField()

    def get_gaps(self, cov) -> list[dict]:
        return [{"start": b.strftime("%Y-%m-%dT%H:%M"), "end": e.strftime("%Y-%m-%dT%H:%M")} for b, e in cov.gaps]


class CoverageSerializer(serializers.Serializer):
    week = serializers.DateField(source="monday")
    chat_opens = serializers.TimeField(source="settings.chat_opens", format="%H:%M")
    chat_closes = serializers.TimeField(source="settings.chat_closes", format="%H:%M")
    days = DayCoverageSerializer(source="coverage", many=True)
    on_duty = RosterEntrySerializer(many=True, help_text="Who is on duty now (a night shift from yesterday counts "
                                                         "after midnight).")


class RosterViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The duty roster (值班表): entries of a date range, adding and removing them, and `GET /roster/coverage/`: each
    day of a week with the gaps in the chat hours and who is on duty now."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_ROSTER], "coverage": [VIEW_ROSTER], "create": [services_team.ADD_ROSTER],
                      "destroy": [services_team.DELETE_ROSTER]}
    serializer_class = RosterEntrySerializer
    pagination_class = None
    queryset = RosterEntry.objects.none()

    def get_queryset(self):
        qs = RosterEntry.objects.select_related("shift", "agent__staff_profile").order_by("day", "shift__start", "id")
        if self.action == "list":
            q = RosterQuery(data=self.request.query_params)
            q.is_valid(raise_exception=True)
            d = q.validated_data
            start = d.get("start") or clock.today() - timedelta(days=clock.today().weekday())
            end = d.get("end") or start + timedelta(days=6)
            if end < start or (end - start).days > 92:
                raise serializers.ValidationError({"end": ["Choose a range of at most 93 days."]})
            qs = qs.filter(day__gte=start, day__lte=end)
        return qs

    @extend_schema(parameters=[RosterQuery])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=RosterEntryInput, responses={201: RosterEntrySerializer})
    def create(self, request):
        s = RosterEntryInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        entry = services_team.add_roster_entry(actor=request.user, day=d["day"], shift=d["shift"],
                                               agent=_person(d["agent"]))
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(RosterEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services_team.remove_roster_entry(actor=self.request.user, entry=instance)

    @extend_schema(parameters=[OpenApiParameter("week", date, description="Any day of the week (default: this "
                                                                          "week).")],
                   responses=CoverageSerializer)
    @action(detail=False, methods=["get"])
    def coverage(self, request):
        raw = request.query_params.get("week")
        try:
            day = date.fromisoformat(raw) if raw else clock.today()
        except ValueError:
            raise serializers.ValidationError({"week": ["Give a day as YYYY-MM-DD."]}) from None
        return Response(CoverageSerializer(selectors_team.roster_week(day)).data)


# --- score sheets ---------------------------------------------------------------------------------------------------


class ScoreSheetSerializer(serializers.ModelSerializer):
    month = MonthField(read_only=True)
    agent = serializers.CharField(source="agent.username", read_only=True)
    agent_name = serializers.SerializerMethodField()
    total = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    overdue = serializers.SerializerMethodField(help_text="Not yet submitted and its due day has passed.")
    submitted_by = serializers.CharField(source="submitted_by.username", default=None, read_only=True)
    decided_by = serializers.CharField(source="decided_by.username", default=None, read_only=True)

    class Meta:
        model = ScoreSheet
        fields = ["id", "month", "agent", "agent_name", "computed_score", "adjustment", "total", "comment", "state",
                  "due_on", "overdue", "submitted_by", "submitted_at", "decided_by", "decided_at", "decision_reason"]
        read_only_fields = fields

    def get_agent_name(self, sheet) -> str:
        return selectors_team.person_name(sheet.agent)

    def get_overdue(self, sheet) -> bool:
        return sheet.state in selectors_team.OPEN_SHEET_STATES and sheet.due_on < clock.today()


class ScoreSheetDetailSerializer(ScoreSheetSerializer):
    measures = serializers.JSONField(read_only=True, help_text="kpis (the month's measures), components (key, "
                                                               "score 0-100, weight, used), weights, built_at.")

    class Meta(ScoreSheetSerializer.Meta):
        fields = [*ScoreSheetSerializer.Meta.fields, "measures"]
        read_only_fields = fields


class SheetQuery(serializers.Serializer):
    month = MonthField(required=False)
    state = serializers.ChoiceField(choices=ScoreSheet.State.values, required=False)
    agent = serializers.CharField(required=False, help_text="username")


class BuildInput(serializers.Serializer):
    month = MonthField(help_text="YYYY-MM")
    agent = serializers.CharField(required=False, help_text="One CS person's username (default: every pre-sales "
                                                            "and after-sales agent).")


class AdjustInput(serializers.Serializer):
    adjustment = serializers.DecimalField(max_digits=6, decimal_places=2)
    comment = serializers.CharField(allow_blank=True, required=False, default="", max_length=500)


class ScoreSheetReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", max_length=300)


class ScoreSheetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Monthly reward/penalty score sheets (客服每月奖罚评分表, 003:552). `POST /score-sheets/build/` builds or
    rebuilds a month's sheets; per sheet: rebuild, adjust, submit (service.change_scoresheet), approve and reject
    (service.approve_scoresheet: the manager). An approved sheet is read-only (409)."""

    permission_classes = [RequirePerms]
    required_perms = {"list": [VIEW_SHEET], "retrieve": [VIEW_SHEET], "build": [services_team.CHANGE_SHEET],
                      "rebuild": [services_team.CHANGE_SHEET], "adjust": [services_team.CHANGE_SHEET],
                      "submit": [services_team.CHANGE_SHEET], "approve": [services_team.APPROVE_SHEET],
                      "reject": [services_team.APPROVE_SHEET]}
    queryset = ScoreSheet.objects.none()

    def get_queryset(self):
        qs = selectors_team.score_sheets().order_by("-month", "agent__username")
        if self.action == "list":
            q = SheetQuery(data=self.request.query_params)
            q.is_valid(raise_exception=True)
            d = q.validated_data
            if d.get("month"):
                qs = qs.filter(month=d["month"])
            if d.get("state"):
                qs = qs.filter(state=d["state"])
            if d.get("agent"):
                qs = qs.filter(agent__username=d["agent"])
        return qs

    def get_serializer_class(self):
        return ScoreSheetSerializer if self.action in ("list", "build") else ScoreSheetDetailSerializer

    def _detail(self, sheet, code=status.HTTP_200_OK):
        return Response(ScoreSheetDetailSerializer(selectors_team.score_sheets().get(pk=sheet.pk)).data, status=code)

    @extend_schema(parameters=[SheetQuery])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=BuildInput, responses={200: ScoreSheetSerializer(many=True)})
    @action(detail=False, methods=["post"])
    def build(self, request):
        """Build or rebuild the month's sheets (drafts and sent-back sheets are recomputed; the adjustment stays)."""
        s = BuildInput(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        if d.get("agent"):
            sheets = [services_team.build_scoresheet(actor=request.user, agent=_person(d["agent"]), month=d["month"])]
        else:
            sheets = services_team.build_scoresheets(actor=request.user, month=d["month"])
        fresh = selectors_team.score_sheets().filter(pk__in=[x.pk for x in sheets]).order_by("agent__username")
        return Response(ScoreSheetSerializer(fresh, many=True).data)

    @extend_schema(request=None, responses=ScoreSheetDetailSerializer)
    @action(detail=True, methods=["post"])
    def rebuild(self, request, pk=None):
        sheet = self.get_object()
        return self._detail(services_team.build_scoresheet(actor=request.user, agent=sheet.agent, month=sheet.month))

    @extend_schema(request=AdjustInput, responses=ScoreSheetDetailSerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request, pk=None):
        """The supervisor's adjustment (± at most 100 points); a comment is required when it is not zero."""
        sheet = self.get_object()
        s = AdjustInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._detail(services_team.adjust_scoresheet(actor=request.user, sheet=sheet, **s.validated_data))

    @extend_schema(request=None, responses=ScoreSheetDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self._detail(services_team.submit_scoresheet(actor=request.user, sheet=self.get_object()))

    @extend_schema(request=ScoreSheetReasonInput, responses=ScoreSheetDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """The manager approves (not their own sheet, nor one they submitted)."""
        s = ScoreSheetReasonInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._detail(services_team.approve_scoresheet(actor=request.user, sheet=self.get_object(),
                                                             approve=True, reason=s.validated_data["reason"]))

    @extend_schema(request=ScoreSheetReasonInput, responses=ScoreSheetDetailSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send the sheet back to the supervisor; `reason` is required."""
        s = ScoreSheetReasonInput(data=request.data)
        s.is_valid(raise_exception=True)
        return self._detail(services_team.reject_scoresheet(actor=request.user, sheet=self.get_object(),
                                                            reason=s.validated_data["reason"]))


router = SimpleRouter()
router.register("kpis", KpiViewSet, basename="service-kpis")
router.register("quality-scores", QualityScoreViewSet, basename="service-quality-score")
router.register("shifts", ShiftViewSet, basename="service-shift")
router.register("roster", RosterViewSet, basename="service-roster")
router.register("score-sheets", ScoreSheetViewSet, basename="service-score-sheet")

urlpatterns = [*router.urls]
