"""Kernel endpoints: who am I, the audit trail, my deadlines."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response

from shopdesk.core.drf import RequirePerms
from shopdesk.core.filters import AuditEventFilter
from shopdesk.core.models import AuditEvent, Deadline


class AuditEventSerializer(serializers.ModelSerializer):
    as_stand_in = serializers.BooleanField(read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "actor", "actor_label", "action", "object_type", "object_id", "object_repr",
                  "changes", "as_stand_in", "stand_in_role", "reason", "request_id"]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, newest first. Filters: actor, action (prefix), object_type, object_id, since, until."""

    queryset = AuditEvent.objects.all()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    permission_classes = [RequirePerms]
    required_perms = ["core.view_auditevent"]


class DeadlineSerializer(serializers.ModelSerializer):
    subject_type = serializers.CharField(source="subject_type.model", read_only=True)

    class Meta:
        model = Deadline
        fields = ["id", "rule", "title", "subject_type", "subject_id", "owner", "owner_role", "due_at", "state",
                  "closed_at", "escalate_to_role", "escalated_at"]


class DeadlineViewSet(viewsets.ReadOnlyModelViewSet):
    """My deadlines: mine or my roles' queue, plus those escalated to my roles."""

    serializer_class = DeadlineSerializer
    filterset_fields = ["state", "rule"]

    def get_queryset(self):
        from shopdesk.staff.authz import role_codes

        if getattr(self, "swagger_fake_view", False):
            return Deadline.objects.none()
        codes = role_codes(self.request.user)
        return Deadline.objects.select_related("subject_type").filter(
            Q(owner=self.request.user) | Q(owner_role__in=codes) | Q(escalate_to_role__in=codes))


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.DictField())
    permissions = serializers.ListField(child=serializers.CharField())
    max_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_shipping_fee_change = serializers.DecimalField(max_digits=10, decimal_places=2)


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    """The caller: roles held today (own and stand-in), permissions and authority limits."""
    from shopdesk.staff.authz import authority_limits, held_roles

    user = request.user
    limits = authority_limits(user)
    profile = getattr(user, "staff_profile", None)
    data = {
        "id": user.pk, "username": user.get_username(),
        "display_name": profile.display_name if profile else "",
        "roles": [{"code": r.code, "name": r.name, "stand_in": r.is_stand_in,
                   "until": r.stand_in.ends_on.isoformat() if r.is_stand_in else None} for r in held_roles(user)],
        "permissions": sorted(user.get_all_permissions()),
        "max_discount_percent": limits.max_discount_percent,
        "max_shipping_fee_change": limits.max_shipping_fee_change,
    }
    return Response(MeSerializer(data).data)
