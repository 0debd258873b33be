from django.contrib import admin

from shopdesk.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: audit rows are written by services and never edited."""

    list_display = ["occurred_at", "actor_label", "action", "object_repr", "stand_in_role"]
    list_filter = ["action"]
    search_fields = ["actor_label", "action", "object_repr", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
