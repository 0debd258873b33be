"""Audit log page (审计日志): who did what, when, to which record, and whether as a stand-in."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from shopdesk.core.filters import AuditEventFilter
from shopdesk.core.models import AuditEvent
from shopdesk.web.tables import Column, Table


@permission_required("core.view_auditevent", raise_exception=True)
def audit_log(request):
    table = Table(
        request,
        AuditEvent.objects.all(),
        columns=[Column("time", _("Time"), "occurred_at"), Column("actor", _("Who"), "actor_label"),
                 Column("action", _("Action"), "action"), Column("object", _("Object")),
                 Column("changes", _("Changes")), Column("request", _("Request"))],
        filterset_class=AuditEventFilter,
        row_template="core/rows/audit_event.html",
        default_sort="-occurred_at",
        page_size=50,
    )
    return render(request, "core/audit_log.html", {"table": table})
