"""Small request helpers of the htmx pages: whether htmx sent the request, and the ids a batch form posted."""

from __future__ import annotations


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def posted_ids(request, name: str = "ids") -> list[int]:
    """The row ids a list's batch form posted (checkboxes named `name`); anything not a number is ignored."""
    return [int(i) for i in request.POST.getlist(name) if i.isdigit()]
