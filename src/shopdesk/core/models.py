"""Shared kernel records: the audit trail (审计日志) and deadlines (时限/SLA)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock


class AuditEvent(models.Model):
    """One business action: who (or the system), when, what, on which object, which fields changed.

    Written by `shopdesk.core.audit.record_event` inside the transaction of the change it describes, so a change that
    rolls back leaves no audit row and a committed change always has one. Rows are never updated or deleted.
    """

    occurred_at = models.DateTimeField(_("time"), default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    # Kept as text so the row still says who acted if the account is ever removed; "system" for jobs.
    actor_label = models.CharField(_("actor name"), max_length=150)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    # No index of its own: the (object_type, object_id, -occurred_at) index starts with it.
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    stand_in_role = models.CharField(
        _("as stand-in for role"), max_length=40, blank=True,
        help_text=_("Set when the actor acted through a stand-in (临时代理) grant of this role."),
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "-occurred_at"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"

    @property
    def as_stand_in(self) -> bool:
        return bool(self.stand_in_role)


class Deadline(models.Model):
    """A time limit a rule puts on a record (e.g. contact a negative reviewer within 48 hours, 004:62).

    Open until the work is done: done before `due_at` → met; `sweep_deadlines` marks overdue ones missed and
    escalates them to `escalate_to_role`. A missed deadline closed later keeps state missed (KPIs count it).
    """

    class State(models.TextChoices):
        OPEN = "open", _("open")
        MET = "met", _("met")
        MISSED = "missed", _("missed")

    rule = models.CharField(_("rule"), max_length=80, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="deadlines",
    )
    owner_role = models.CharField(_("queue (role)"), max_length=40, blank=True, db_index=True)
    due_at = models.DateTimeField(_("due"), db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    closed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    escalate_to_role = models.CharField(_("escalate to role"), max_length=40, default="manager")
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "subject_type", "subject_id"],
                condition=models.Q(closed_at__isnull=True),
                name="one_open_deadline_per_rule_and_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_at:%Y-%m-%d %H:%M})"
