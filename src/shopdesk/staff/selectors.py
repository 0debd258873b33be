"""Reads about staff, roles and stand-ins."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, Q

from shopdesk.core import clock
from shopdesk.staff.models import Role, StandIn

User = get_user_model()


def staff_members():
    """People with their roles and shops, prefetched so a list costs a fixed number of queries."""
    return User.objects.select_related("staff_profile").prefetch_related(
        Prefetch("groups", queryset=Group.objects.select_related("role").order_by("role__id")),
        "staff_profile__shops",
    )


def search_staff(qs, text: str):
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(username__icontains=text) | Q(staff_profile__display_name__icontains=text))


def roles_with_counts():
    return Role.objects.select_related("group").annotate(
        members=Count("group__user", filter=Q(group__user__is_active=True), distinct=True)
    ).prefetch_related("group__permissions__content_type").order_by("id")


def stand_ins():
    return StandIn.objects.select_related("user", "user__staff_profile", "role", "granted_by",
                                          "granted_by__staff_profile", "revoked_by")


def stand_in_tabs_q():
    today = clock.today()
    return {
        "active": Q(revoked_at__isnull=True, starts_on__lte=today, ends_on__gte=today),
        "upcoming": Q(revoked_at__isnull=True, starts_on__gt=today),
        "expired": Q(revoked_at__isnull=True, ends_on__lt=today),
        "revoked": Q(revoked_at__isnull=False),
    }


def users_seeing_all_shops():
    """Ids of people whose roles let them see every shop (managers, administrators)."""
    from shopdesk.staff.roles import VIEW_ALL_SHOPS

    app_label, codename = VIEW_ALL_SHOPS.split(".")
    return User.objects.filter(groups__permissions__codename=codename,
                               groups__permissions__content_type__app_label=app_label).values_list("pk", flat=True)


def locked_out_usernames() -> list[str]:
    """Usernames django-axes currently locks out (too many failed logins within the cool-off time)."""
    from axes.models import AccessAttempt
    from django.conf import settings

    return list(AccessAttempt.objects.filter(failures_since_start__gte=settings.AXES_FAILURE_LIMIT)
                .values_list("username", flat=True).distinct())
