"""Permissions that a person holds through an active stand-in grant (临时代理).

Django asks every backend in AUTHENTICATION_BACKENDS; ModelBackend answers for the person's own roles (groups), this
one for the roles delegated to them for today's date only. Outside the date range the grant gives nothing.
"""

from __future__ import annotations

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission

from shopdesk.core import clock


class StandInBackend(BaseBackend):
    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        today = clock.today()
        cached = getattr(user_obj, "_standin_perm_cache", None)
        if cached is None or cached[0] != today:
            from shopdesk.staff.models import StandIn

            role_ids = StandIn.objects.active_on(today).filter(user=user_obj).values("role__group_id")
            perms = Permission.objects.filter(group__in=role_ids).values_list("content_type__app_label", "codename")
            cached = (today, {f"{app}.{codename}" for app, codename in perms})
            user_obj._standin_perm_cache = cached
        return cached[1]
