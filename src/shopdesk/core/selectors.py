"""Reads of the shared kernel: the audit trail and deadline queues."""

from __future__ import annotations

from django.db.models import Q

from shopdesk.core import clock
from shopdesk.core.models import AuditEvent, Deadline


def audit_events(*, actor=None, action: str = "", object_type: str = "", object_id: str = "", since=None,
                 until=None, stand_in_only: bool = False):
    qs = AuditEvent.objects.all()
    if actor:
        qs = qs.filter(actor_label__iexact=actor) if isinstance(actor, str) else qs.filter(actor=actor)
    if action:
        qs = qs.filter(action__startswith=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if since:
        qs = qs.filter(occurred_at__gte=since)
    if until:
        qs = qs.filter(occurred_at__lt=until)
    if stand_in_only:
        qs = qs.exclude(stand_in_role="")
    return qs


def open_deadlines_for(user, role_codes, *, due_before=None):
    """Open deadlines owned by the person or sitting in a queue of one of their roles."""
    qs = Deadline.objects.filter(state=Deadline.State.OPEN).filter(Q(owner=user) | Q(owner_role__in=role_codes))
    if due_before is not None:
        qs = qs.filter(due_at__lt=due_before)
    return qs


def escalated_deadlines_for(role_codes):
    return Deadline.objects.filter(state=Deadline.State.MISSED, closed_at__isnull=True,
                                   escalate_to_role__in=role_codes)


def overdue(now=None):
    return Deadline.objects.filter(state=Deadline.State.OPEN, due_at__lt=now or clock.now())
