from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from shopdesk.staff.models import Role, StandIn


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles come from shopdesk.staff.roles; limits are edited on the Roles page (audited)."""

    list_display = ["code", "name", "max_discount_percent", "max_shipping_fee_change"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StandIn)
class StandInAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "starts_on", "ends_on", "revoked_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Accounts and role groups change only through ShopDesk's staff pages and API, which audit every change.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)
