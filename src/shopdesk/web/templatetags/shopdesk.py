"""Template filters for masked personal data and money."""

from django import template

from shopdesk.core import masking

register = template.Library()


@register.filter
def mask_phone(value):
    return masking.mask_phone(value or "")


@register.filter
def mask_name(value):
    return masking.mask_name(value or "")
