"""Form helpers shared by every page."""

from __future__ import annotations

from shopdesk.core.errors import ServiceError


def add_service_error(form, exc: ServiceError) -> None:
    """Show a service's refusal beside the fields it names, or at the top of the form."""
    placed = False
    for name, messages in (exc.fields or {}).items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
