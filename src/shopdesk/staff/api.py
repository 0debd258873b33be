"""Staff API: accounts, roles (with limits) and stand-ins. Thin: validate, call a service, serialise."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shopdesk.channels.models import Shop
from shopdesk.core.drf import RequirePerms
from shopdesk.staff import selectors, services
from shopdesk.staff.models import Role, StandIn
from shopdesk.staff.roles import ROLE_CODES

User = get_user_model()


class StaffMemberSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="staff_profile.display_name", default="")
    roles = serializers.SerializerMethodField()
    shops = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "is_active", "roles", "shops", "last_login", "date_joined"]

    def get_roles(self, user) -> list[str]:
        return [g.role.code for g in user.groups.all() if hasattr(g, "role")]

    def get_shops(self, user) -> list[str]:
        profile = getattr(user, "staff_profile", None)
        return [s.code for s in profile.shops.all()] if profile else []


class StaffMemberInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CODES), allow_empty=False)
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    shops = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all(), many=True, required=False,
                                         default=list)
    password = serializers.CharField(required=False, allow_blank=True, write_only=True, default="")


class StaffMemberUpdate(serializers.Serializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLE_CODES), required=False)
    display_name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    shops = serializers.SlugRelatedField(slug_field="code", queryset=Shop.objects.all(), many=True, required=False)
    is_active = serializers.BooleanField(required=False)


class StaffMemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Accounts. Listing needs `auth.view_user`; creating `auth.add_user`; changing `auth.change_user`."""

    serializer_class = StaffMemberSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["auth.view_user"], "retrieve": ["auth.view_user"], "create": ["auth.add_user"],
                      "update": ["auth.change_user"], "partial_update": ["auth.change_user"]}
    filterset_fields = ["is_active", "username"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.staff_members().order_by("username")

    def get_serializer_class(self):
        return {"create": StaffMemberInput, "partial_update": StaffMemberUpdate}.get(self.action, StaffMemberSerializer)

    def create(self, request, *args, **kwargs):
        data = self._validated(StaffMemberInput, request.data)
        user = services.create_staff_member(actor=request.user, username=data["username"], roles=data["roles"],
                                            password=data["password"] or None, display_name=data["display_name"],
                                            phone=data["phone"], shops=data["shops"])
        return Response(StaffMemberSerializer(self.get_queryset().get(pk=user.pk)).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        user = self.get_object()
        data = self._validated(StaffMemberUpdate, request.data)
        services.update_staff_member(actor=request.user, user=user, **data)
        return Response(StaffMemberSerializer(self.get_queryset().get(pk=user.pk)).data)

    @staticmethod
    def _validated(serializer_class, data):
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class RoleSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    permissions = serializers.SerializerMethodField()
    members = serializers.IntegerField(read_only=True)

    class Meta:
        model = Role
        fields = ["code", "name", "max_discount_percent", "max_shipping_fee_change", "max_refund", "members",
                  "permissions"]

    def get_permissions(self, role) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in role.group.permissions.all())


class RoleLimitsInput(serializers.Serializer):
    max_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                    required=False)
    max_shipping_fee_change = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)
    max_refund = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False)


class RoleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                  viewsets.GenericViewSet):
    """Roles (岗位) with their permissions and authority limits."""

    serializer_class = RoleSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["staff.view_role"], "retrieve": ["staff.view_role"],
                      "partial_update": ["staff.change_role"]}
    lookup_field = "code"
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.roles_with_counts()

    def get_serializer_class(self):
        return RoleLimitsInput if self.action == "partial_update" else RoleSerializer

    def partial_update(self, request, *args, **kwargs):
        role = self.get_object()
        serializer = RoleLimitsInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.update_role_limits(actor=request.user, role=role, **serializer.validated_data)
        return Response(RoleSerializer(self.get_queryset().get(pk=role.pk)).data)


class StandInSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    role = serializers.CharField(source="role.code", read_only=True)
    granted_by = serializers.CharField(source="granted_by.username", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = StandIn
        fields = ["id", "username", "role", "starts_on", "ends_on", "reason", "granted_by", "granted_at",
                  "revoked_at", "status"]

    def get_status(self, obj) -> str:
        return obj.status()


class StandInInput(serializers.Serializer):
    username = serializers.SlugRelatedField(slug_field="username", queryset=User.objects.all())
    role = serializers.ChoiceField(choices=ROLE_CODES)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class StandInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     viewsets.GenericViewSet):
    """Stand-ins (临时代理). A manager grants a role to a person for a date range, and may revoke it."""

    serializer_class = StandInSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["staff.view_standin"], "retrieve": ["staff.view_standin"],
                      "create": ["staff.add_standin"], "revoke": ["staff.change_standin"]}

    def get_queryset(self):
        return selectors.stand_ins()

    def get_serializer_class(self):
        return StandInInput if self.action == "create" else StandInSerializer

    def create(self, request, *args, **kwargs):
        serializer = StandInInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        stand_in = services.grant_stand_in(actor=request.user, user=d["username"], role_code=d["role"],
                                           starts_on=d["starts_on"], ends_on=d["ends_on"], reason=d["reason"])
        return Response(StandInSerializer(stand_in).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        stand_in = services.revoke_stand_in(actor=request.user, stand_in=self.get_object(),
                                            reason=str(request.data.get("reason", "")))
        return Response(StandInSerializer(stand_in).data)
