"""Reads about shops, always scoped to what the person may see."""

from __future__ import annotations

from shopdesk.channels.models import Shop
from shopdesk.staff.authz import sees_all_shops


def shops_visible_to(user):
    """Managers and admins see every shop; everyone else the shops assigned to them (店铺分配)."""
    qs = Shop.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if sees_all_shops(user):
        return qs
    return qs.filter(staff__user=user)
