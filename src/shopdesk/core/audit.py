"""The audit trail: the one mechanism every service uses to record what it changed.

Usage inside a service (always inside ``transaction.atomic``)::

    before = audit.snapshot(shop, ["name", "is_active"])
    shop.name = new_name
    shop.save()
    audit.record_event("channels.rename_shop", actor=actor, obj=shop,
                       changes=audit.changes_between(before, audit.snapshot(shop, ["name", "is_active"])),
                       grant=grant)

Modelled on Zulip's ``zerver/actions``: the change and its event are one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import models, transaction
from django.utils import translation

from shopdesk.core import clock, context, masking
from shopdesk.core.models import AuditEvent

SYSTEM = "system"
REPR_LENGTH = 200  # AuditEvent.object_repr


class AuditWriteOutsideTransaction(RuntimeError):
    """record_event was called outside transaction.atomic: the event could outlive a failed change."""


class GrantLike(Protocol):
    stand_in_role: str


# Personal data never enters the audit trail in clear (PIPL): changes of these fields are stored masked.
# Later modules add their fields (buyer phone, address ...) with the masking function that fits.
PERSONAL_DATA_FIELDS: dict[str, Callable[[str], str]] = {"phone": masking.mask_phone}


def _label(obj: models.Model) -> str:
    """How a related record reads in the audit log: its name, not its id (role groups by their role's name)."""
    from django.contrib.auth.models import Group

    if isinstance(obj, Group) and obj.name.startswith("role:"):
        from shopdesk.staff.roles import role_name

        return role_name(obj.name.removeprefix("role:"))
    return str(obj)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return _label(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted(_plain(v) for v in value)
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of `fields` on `obj`, JSON-friendly and readable: related records by name, Decimals as strings.

    Names are written in the department's language (settings.LANGUAGE_CODE) whoever acts, so the trail reads the
    same whether a change came from the web, the API or the English-speaking command line.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _snapshot(obj, fields)


def _snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(_label(o) for o in getattr(obj, name).all()) if obj.pk else []
        elif field.is_relation:
            related = getattr(obj, name)
            values[name] = _label(related) if related is not None else None
        else:
            values[name] = _plain(getattr(obj, field.attname))
    return values


def _repr(obj: models.Model | None) -> str:
    if obj is None:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return str(obj)[:REPR_LENGTH]


def masked_changes(changes: dict) -> dict:
    """`changes` with the personal data masked, as every audit row keeps them."""
    masked = {}
    for key, change in changes.items():
        mask = PERSONAL_DATA_FIELDS.get(key)
        if mask is not None and isinstance(change, dict):
            change = {k: (mask(str(v)) if v else v) for k, v in change.items()}
        masked[key] = change
    return masked


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"before": old, "after": new}} for the fields whose value changed."""
    keys = list(dict.fromkeys([*before, *after]))
    return {
        k: {"before": _plain(before.get(k)), "after": _plain(after.get(k))}
        for k in keys
        if _plain(before.get(k)) != _plain(after.get(k))
    }


def created(obj: models.Model, fields: list[str]) -> dict[str, dict[str, Any]]:
    """Changes for a newly created object: every listed field from None to its value."""
    return changes_between({}, snapshot(obj, fields))


def event_values(
    action: str,
    *,
    actor,
    obj: models.Model | None = None,
    changes: dict | None = None,
    grant: GrantLike | None = None,
    reason: str = "",
    obj_repr: str | None = None,
    object_type: str | None = None,
    object_id: object = None,
) -> dict:
    """The columns of one audit row (attnames). `obj_repr`, `object_type` and `object_id` let bulk writers name
    the object without rendering or even instantiating it."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return {
        "occurred_at": clock.now(),
        "actor_id": actor.pk if is_user else None,
        "actor_label": actor.get_username() if is_user else SYSTEM,
        "action": action,
        "object_type": object_type if object_type is not None else (
            obj._meta.label_lower if obj is not None else ""),
        "object_id": str(object_id) if object_id is not None else (str(obj.pk) if obj is not None else ""),
        "object_repr": obj_repr[:REPR_LENGTH] if obj_repr is not None else _repr(obj),
        "changes": masked_changes(changes or {}),
        "stand_in_role": getattr(grant, "stand_in_role", "") or "",
        "reason": reason[:500],
        "request_id": context.get_request_id(),
    }


def _require_transaction(action: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise AuditWriteOutsideTransaction(f"audit event {action!r} must be written inside transaction.atomic")


def record_event(
    action: str,
    *,
    actor,
    obj: models.Model | None = None,
    changes: dict | None = None,
    grant: GrantLike | None = None,
    reason: str = "",
) -> AuditEvent:
    """Write one audit row in the current transaction. `actor` is a user or None for the system."""
    _require_transaction(action)
    return AuditEvent.objects.create(**event_values(action, actor=actor, obj=obj, changes=changes, grant=grant,
                                                    reason=reason))


def record_events(rows: list[dict]) -> None:
    """Write rows made by `event_values` with a few multi-row INSERTs, in the current transaction (bulk imports)."""
    from shopdesk.core import bulk

    if rows:
        _require_transaction(rows[0]["action"])
        bulk.insert_rows(AuditEvent, rows)


def event_rows(action: str, *, actor, object_type: str, objects: Iterable[tuple[object, str, str]]) -> list[list]:
    """Rows for `record_prepared_events`, one per (object id, repr, changes) of `objects`: the changes masked
    (`masked_changes`) and dumped to JSON text already. For a bulk writer naming thousands of objects of one kind
    (an order import): the columns they share are made once."""
    from shopdesk.core import bulk

    template = bulk.values(AuditEvent, [event_values(action, actor=actor, object_type=object_type, object_id="",
                                                     obj_repr="")])[0]
    col = bulk.columns(AuditEvent)
    at_id, at_repr, at_changes = col["object_id"], col["object_repr"], col["changes"]
    rows = []
    for object_id, obj_repr, changes in objects:
        row = template.copy()
        row[at_id], row[at_repr], row[at_changes] = str(object_id), obj_repr[:REPR_LENGTH], changes
        rows.append(row)
    return rows


def record_prepared_events(rows: list[list]) -> None:
    """Write rows made by `event_values` and then `bulk.values` (an import prepares them in a process of its own),
    in the current transaction."""
    from shopdesk.core import bulk

    if rows:
        _require_transaction("prepared events")
        bulk.insert_values(AuditEvent, rows)
