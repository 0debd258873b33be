"""Template filters of the catalog: stars, the description's HTML (sanitised again on output)."""

from django import template
from django.utils.safestring import mark_safe

from shopdesk.catalog.text import sanitize_description

register = template.Library()


@register.filter
def stars(value):
    """3 -> "★★★☆☆"."""
    try:
        n = max(0, min(5, int(value)))
    except (TypeError, ValueError):
        return ""
    return "★" * n + "☆" * (5 - n)


@register.filter
def clean_html(value):
    """The stored description is sanitised on save; it is cleaned again here so the page never trusts the database."""
    return mark_safe(sanitize_description(value or ""))  # noqa: S308 (nh3 allow-list output)
