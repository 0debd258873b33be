"""Errors raised by services. Views and the API turn them into messages and error bodies."""

from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the action. `code` is stable for API clients, `message` is for people.

    `fields` maps a field name to its problems, so forms and the API can show the error beside the field.
    """

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, list[str]] | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}


class NotAllowed(ServiceError):
    """The actor lacks the permission the action needs."""

    code = "permission_denied"
    status = 403


class Conflict(ServiceError):
    """The action clashes with the current state (duplicate, already done, closed period)."""

    code = "conflict"
    status = 409


def validation_fields(exc, prefix: str = "") -> dict[str, list[str]]:
    """A Django ValidationError's messages per field, as ServiceError.fields expects them."""
    return {f"{prefix}{k}": [str(m) for m in v] for k, v in exc.message_dict.items()}
