"""Template filters: masked personal data, permission labels."""

from django import template
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopdesk.core import masking

register = template.Library()


@register.filter
def mask_phone(value):
    return masking.mask_phone(value or "")


@register.filter
def role_name(code):
    from shopdesk.staff.roles import role_name as name_of

    return name_of(code or "")


@register.filter
def mask_name(value):
    return masking.mask_name(value or "")


_PERM_ACTIONS = {"view": _("view"), "add": _("add"), "change": _("change"), "delete": _("delete")}


@register.filter
def perm_label(permission):
    """A permission's name in the person's language: model permissions are built from the model's own
    (translated) verbose name; ShopDesk's own permissions are translated from their English names."""
    action, _sep, model = permission.codename.partition("_")
    model_class = permission.content_type.model_class() if action in _PERM_ACTIONS else None
    if model_class is not None and model == model_class._meta.model_name:
        return gettext("%(action)s %(model)s") % {"action": _PERM_ACTIONS[action],
                                                  "model": model_class._meta.verbose_name}
    return gettext(permission.name)
