"""Reads about shops, always scoped to what the person may see."""

from __future__ import annotations

from django.utils.translation import gettext

from shopdesk.channels.models import Shop
from shopdesk.core.errors import NotAllowed
from shopdesk.staff.authz import sees_all_shops


def shops_visible_to(user):
    """Managers and admins see every shop; everyone else the shops assigned to them (店铺分配)."""
    qs = Shop.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if sees_all_shops(user):
        return qs
    return qs.filter(staff__user=user)


def check_shop_access(actor, shop) -> None:
    """People work on the shops assigned to them (店铺分配); managers, administrators and the system on all."""
    if actor is None or sees_all_shops(actor):
        return
    if not shops_visible_to(actor).filter(pk=shop.pk).exists():
        raise NotAllowed(gettext("Shop %(s)s is not assigned to you.") % {"s": shop.name}, code="shop_not_assigned")
