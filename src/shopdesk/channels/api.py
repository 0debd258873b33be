"""Shops API."""

from __future__ import annotations

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from shopdesk.channels import selectors, services
from shopdesk.channels.models import Platform, Shop
from shopdesk.core.drf import RequirePerms


class ShopSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ["code", "platform", "name", "is_active", "created_at"]
        read_only_fields = ["created_at"]


class ShopInput(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    platform = serializers.ChoiceField(choices=Platform.choices)
    name = serializers.CharField(max_length=100)


class ShopUpdate(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    is_active = serializers.BooleanField(required=False)


class ShopViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Shops the caller may see (managers and admins: all; others: the shops assigned to them)."""

    serializer_class = ShopSerializer
    permission_classes = [RequirePerms]
    required_perms = {"list": ["channels.view_shop"], "retrieve": ["channels.view_shop"],
                      "create": ["channels.add_shop"], "partial_update": ["channels.change_shop"]}
    lookup_field = "code"
    filterset_fields = ["platform", "is_active"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.shops_visible_to(self.request.user).order_by("code")

    def get_serializer_class(self):
        return {"create": ShopInput, "partial_update": ShopUpdate}.get(self.action, ShopSerializer)

    def create(self, request, *args, **kwargs):
        serializer = ShopInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        shop = services.add_shop(actor=request.user, **serializer.validated_data)
        return Response(ShopSerializer(shop).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        shop = self.get_object()
        serializer = ShopUpdate(data=request.data)
        serializer.is_valid(raise_exception=True)
        shop = services.update_shop(actor=request.user, shop=shop, **serializer.validated_data)
        return Response(ShopSerializer(shop).data)
