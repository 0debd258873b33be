"""Writes about shops."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from shopdesk.channels.models import Platform, Shop
from shopdesk.core import audit
from shopdesk.core.errors import Conflict, ServiceError, validation_fields
from shopdesk.staff.authz import authorize_actor

_FIELDS = ["code", "platform", "name", "is_active"]


def _validation_error(exc: ValidationError) -> ServiceError:
    fields = validation_fields(exc)
    text = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
    return ServiceError(gettext("Invalid shop: %(problems)s") % {"problems": text}, code="invalid", fields=fields)


@transaction.atomic
def add_shop(*, actor, code: str, platform: str, name: str) -> Shop:
    """Add a storefront. The code is the short name used on the command line and in imports."""
    grant = authorize_actor(actor, "channels.add_shop")
    code = (code or "").strip()
    if platform not in Platform.values:
        raise ServiceError(
            gettext("Unknown platform: %(platform)s (valid: %(valid)s)")
            % {"platform": platform, "valid": ", ".join(Platform.values)},
            code="unknown_platform",
            fields={"platform": [gettext("Unknown platform %(platform)s") % {"platform": platform}]},
        )
    if Shop.objects.filter(code=code).exists():
        raise Conflict(gettext("Shop %(code)s already exists.") % {"code": code}, code="shop_exists",
                       fields={"code": [gettext("A shop with this code already exists.")]})
    shop = Shop(code=code, platform=platform, name=(name or "").strip())
    try:
        shop.full_clean()
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    shop.save()
    audit.record_event("channels.add_shop", actor=actor, obj=shop, grant=grant, changes=audit.created(shop, _FIELDS))
    return shop


@transaction.atomic
def update_shop(*, actor, shop: Shop, name: str | None = None, is_active: bool | None = None) -> Shop:
    grant = authorize_actor(actor, "channels.change_shop")
    before = audit.snapshot(shop, _FIELDS)
    if name is not None:
        shop.name = name.strip()
    if is_active is not None:
        shop.is_active = is_active
    try:
        shop.full_clean(validate_unique=False)  # code and platform never change here
    except ValidationError as exc:
        raise _validation_error(exc) from exc
    shop.save(update_fields=["name", "is_active"])
    changes = audit.changes_between(before, audit.snapshot(shop, _FIELDS))
    if changes:
        audit.record_event("channels.update_shop", actor=actor, obj=shop, grant=grant, changes=changes)
    return shop
