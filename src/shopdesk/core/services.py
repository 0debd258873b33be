"""Writes of the shared kernel: deadlines (SLA) and the logged unmasking of personal data."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext

from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict
from shopdesk.core.models import Deadline


@transaction.atomic
def open_deadline(*, subject, rule: str, title: str, due_at, owner=None, owner_role: str = "",
                  escalate_to_role: str = "manager", actor=None) -> Deadline:
    """Start the clock of a rule on a record; one open deadline per rule and record."""
    ct = ContentType.objects.get_for_model(subject)
    if Deadline.objects.filter(rule=rule, subject_type=ct, subject_id=str(subject.pk), closed_at__isnull=True).exists():
        message = gettext("Deadline %(rule)s is already open for %(subject)s.") % {"rule": rule, "subject": subject}
        raise Conflict(message, code="deadline_open")
    deadline = Deadline.objects.create(rule=rule, title=title, subject_type=ct, subject_id=str(subject.pk),
                                       owner=owner, owner_role=owner_role, due_at=due_at,
                                       escalate_to_role=escalate_to_role, created_at=clock.now())
    audit.record_event("core.open_deadline", actor=actor, obj=deadline,
                       changes=audit.created(deadline, ["rule", "due_at", "owner", "owner_role"]))
    return deadline


@transaction.atomic
def close_deadline(*, deadline: Deadline, actor=None) -> Deadline:
    """The work is done: met if on time, otherwise it stays missed (and stops showing as escalated)."""
    deadline = Deadline.objects.select_for_update().get(pk=deadline.pk)
    if deadline.closed_at:
        return deadline
    now = clock.now()
    before = audit.snapshot(deadline, ["state", "closed_at"])
    deadline.closed_at = now
    if deadline.state == Deadline.State.OPEN:
        deadline.state = Deadline.State.MET if now <= deadline.due_at else Deadline.State.MISSED
    deadline.save(update_fields=["state", "closed_at"])
    audit.record_event("core.close_deadline", actor=actor, obj=deadline,
                       changes=audit.changes_between(before, audit.snapshot(deadline, ["state", "closed_at"])))
    return deadline


@transaction.atomic
def sweep_deadlines(now=None) -> int:
    """Mark every open deadline past due as missed and escalate it to its escalation role's queue."""
    now = now or clock.now()
    missed = list(Deadline.objects.select_for_update().filter(state=Deadline.State.OPEN, due_at__lt=now))
    for deadline in missed:
        deadline.state = Deadline.State.MISSED
        deadline.escalated_at = now
        deadline.save(update_fields=["state", "escalated_at"])
        audit.record_event("core.escalate_deadline", actor=None, obj=deadline,
                           changes={"state": {"before": "open", "after": "missed"}},
                           reason=f"escalated to {deadline.escalate_to_role}")
    return len(missed)


@transaction.atomic
def unmask_personal_data(*, actor, obj, field: str, reason: str = "") -> str:
    """Return the clear value of a personal-data field and log who saw it (PIPL, product.md §3)."""
    from shopdesk.staff.authz import authorize
    from shopdesk.staff.roles import UNMASK_PERSONAL_DATA

    grant = authorize(actor, UNMASK_PERSONAL_DATA)
    value = getattr(obj, field)
    audit.record_event("core.unmask_personal_data", actor=actor, obj=obj, grant=grant, reason=reason,
                       changes={"field": {"before": None, "after": field}})
    return value
