from django.contrib import admin

from shopdesk.channels.models import Shop


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    """Shops are added and changed through ShopDesk's pages and API (audited); the admin only shows them."""

    list_display = ["code", "name", "platform", "is_active"]
    list_filter = ["platform", "is_active"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
