"""Who may do what: the checks services, views and the API share.

`authorize(user, perm)` is the one question every service asks before it writes. It answers with a `Grant` that says
whether the permission came from the person's own roles or from a stand-in grant, so the audit row can say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.utils.translation import gettext

from shopdesk.core import clock
from shopdesk.core.errors import NotAllowed
from shopdesk.staff import roles
from shopdesk.staff.roles import ROLES


@dataclass(frozen=True)
class Grant:
    """How an action was allowed. `stand_in_role` is the role code when it came only from a stand-in grant."""

    perm: str
    stand_in_role: str = ""


@dataclass(frozen=True)
class HeldRole:
    code: str
    stand_in: object | None = None  # the StandIn row when held as a stand-in

    @property
    def name(self) -> str:
        return roles.role_name(self.code)

    @property
    def is_stand_in(self) -> bool:
        return self.stand_in is not None


_model_backend = ModelBackend()


def own_role_codes(user) -> list[str]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_own_role_codes", None)
    if cached is None:
        cached = list(user.groups.filter(role__isnull=False).order_by("role__id").values_list("role__code", flat=True))
        user._own_role_codes = cached
    return cached


def active_stand_ins(user):
    from shopdesk.staff.models import StandIn

    if not user.is_authenticated:
        return []
    today = clock.today()
    cached = getattr(user, "_active_stand_ins", None)
    if cached is None or cached[0] != today:
        rows = list(StandIn.objects.active_on(today).filter(user=user).select_related("role"))
        cached = (today, rows)
        user._active_stand_ins = cached
    return cached[1]


def held_roles(user) -> list[HeldRole]:
    """The person's own roles, then the roles held today as a stand-in (not repeating an own role)."""
    own = own_role_codes(user)
    held = [HeldRole(code) for code in own]
    seen = set(own)
    for grant in active_stand_ins(user):
        if grant.role.code not in seen:
            held.append(HeldRole(grant.role.code, grant))
            seen.add(grant.role.code)
    return held


def role_codes(user) -> set[str]:
    return {r.code for r in held_roles(user)}


def authorize(user, perm: str) -> Grant:
    """Return how `user` holds `perm`, or raise NotAllowed. Own roles take precedence over stand-ins."""
    if user is None or not user.is_authenticated or not user.is_active:
        raise NotAllowed(gettext("Please log in."), code="not_authenticated")
    if user.is_superuser or _model_backend.has_perm(user, perm):
        return Grant(perm)
    for grant in active_stand_ins(user):
        if perm_in_group(perm, grant.role.group_id):
            return Grant(perm, stand_in_role=grant.role.code)
    raise NotAllowed(gettext("Not allowed: %(permission)s") % {"permission": describe_perm(perm)},
                     code="permission_denied")


def authorize_actor(actor, perm: str) -> Grant | None:
    """Like authorize, but the system (actor None: the CLI, jobs, signal receivers, the demo) needs no permission."""
    return None if actor is None else authorize(actor, perm)


def perm_in_group(perm: str, group_id: int) -> bool:
    app_label, codename = perm.split(".", 1)
    return Permission.objects.filter(
        group__id=group_id, content_type__app_label=app_label, codename=codename
    ).exists()


def describe_perm(perm: str) -> str:
    app_label, codename = perm.split(".", 1)
    found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
    return str(found.name) if found else perm


@dataclass(frozen=True)
class AuthorityLimits:
    """权限范围 (004:60): the most a person may discount or change shipping without the manager's approval."""

    max_discount_percent: Decimal
    max_shipping_fee_change: Decimal
    max_refund: Decimal = Decimal("0")


def authority_limits(user) -> AuthorityLimits:
    from shopdesk.staff.models import Role

    codes = role_codes(user)
    limits = list(Role.objects.filter(code__in=codes).values_list("max_discount_percent", "max_shipping_fee_change",
                                                                  "max_refund"))
    discount = max((d for d, _s, _r in limits), default=Decimal("0"))
    shipping = max((s for _d, s, _r in limits), default=Decimal("0"))
    refund = max((r for _d, _s, r in limits), default=Decimal("0"))
    return AuthorityLimits(discount, shipping, refund)


def sees_all_shops(user) -> bool:
    return user.is_authenticated and (user.is_superuser or user.has_perm(roles.VIEW_ALL_SHOPS))


def role_spec_list():
    return list(ROLES.values())
