"""Filters of the audit log, shared by the page and the API."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock
from shopdesk.core.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="iexact", label=_("Who"))
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith", label=_("Action"))
    object_type = django_filters.CharFilter(field_name="object_type", label=_("Object type"))
    object_id = django_filters.CharFilter(field_name="object_id", label=_("Object id"))
    since = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte", label=_("From"))
    until = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte", label=_("To"))
    period = django_filters.ChoiceFilter(
        label=_("Period"), method="filter_period",
        choices=[("today", _("Today")), ("7d", _("Last 7 days")), ("30d", _("Last 30 days"))],
    )
    stand_in = django_filters.ChoiceFilter(
        method="filter_stand_in", label=_("Stand-in actions"), empty_label=_("All"),
        choices=[("yes", _("Only stand-in actions")), ("no", _("Without stand-in actions"))],
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "object_type", "object_id", "since", "until", "period", "stand_in"]

    def filter_period(self, queryset, name, value):
        start = clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0)
        days = {"today": 0, "7d": 6, "30d": 29}.get(value)
        return queryset if days is None else queryset.filter(occurred_at__gte=start - timedelta(days=days))

    def filter_stand_in(self, queryset, name, value):
        if value == "yes":
            return queryset.exclude(stand_in_role="")
        if value == "no":
            return queryset.filter(stand_in_role="")
        return queryset
