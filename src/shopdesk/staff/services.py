"""Every write about staff, roles and stand-ins. Each function is one business action with its audit event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext
from rest_framework.authtoken.models import Token

from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError, validation_fields
from shopdesk.staff import roles as role_table
from shopdesk.staff.authz import authorize_actor
from shopdesk.staff.models import Role, StaffProfile, StandIn

User = get_user_model()

_USER_FIELDS = ["username", "is_active", "is_staff", "groups"]
_PROFILE_FIELDS = ["display_name", "phone", "shops"]


_authorize = authorize_actor  # the system (actor None) acts without a permission check


def sync_roles(using: str = "default") -> None:
    """Make the role groups and their permissions match shopdesk.staff.roles (runs after every migrate).

    Authority limits edited by a manager are kept; only missing roles get the table's defaults.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    # post_migrate runs app by app; make sure every app's permissions exist before the roles refer to them.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    wanted = {}
    for spec in role_table.ROLES.values():
        for perm in spec.permissions:
            wanted.setdefault(perm, None)
    perms = {}
    for p in Permission.objects.using(using).select_related("content_type"):
        perms[f"{p.content_type.app_label}.{p.codename}"] = p
    missing = sorted(set(wanted) - set(perms))
    if missing:
        raise RuntimeError(f"roles refer to permissions that do not exist: {', '.join(missing)}")
    with transaction.atomic(using=using):
        for spec in role_table.ROLES.values():
            group, _ = Group.objects.using(using).get_or_create(name=f"role:{spec.code}")
            role, created = Role.objects.using(using).get_or_create(
                code=spec.code,
                defaults={"group": group, "max_discount_percent": spec.max_discount_percent,
                          "max_shipping_fee_change": spec.max_shipping_fee_change, "max_refund": spec.max_refund},
            )
            group.permissions.set([perms[p] for p in spec.permissions])


def _validate_roles(role_codes) -> list[Role]:
    unknown = sorted(set(role_codes) - set(role_table.ROLE_CODES))
    if unknown:
        raise ServiceError(
            gettext("Unknown role: %(roles)s (valid: %(valid)s)")
            % {"roles": ", ".join(unknown), "valid": ", ".join(role_table.ROLE_CODES)},
            code="unknown_role", fields={"roles": [gettext("Unknown role %(role)s") % {"role": c} for c in unknown]},
        )
    return list(Role.objects.filter(code__in=role_codes).select_related("group"))


def _validate_password(password: str, user) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(gettext("Password rejected: %(reasons)s") % {"reasons": " ".join(exc.messages)},
                           code="weak_password",
                           fields={"password": list(exc.messages)}) from exc


def _snapshot(user) -> dict:
    values = audit.snapshot(user, _USER_FIELDS)
    profile = getattr(user, "staff_profile", None)
    if profile is not None and profile.pk:
        values.update(audit.snapshot(profile, _PROFILE_FIELDS))
    return values


@transaction.atomic
def create_staff_member(
    *, actor, username: str, roles: list[str], password: str | None = None, display_name: str = "",
    phone: str = "", shops=(), validate_password: bool = True,
):
    """Create an account holding `roles` (one person may hold several posts) and assigned to `shops`."""
    grant = _authorize(actor, "auth.add_user")
    username = (username or "").strip()
    if not username:
        raise ServiceError(gettext("A username is required."), code="required",
                           fields={"username": [gettext("This field is required.")]})
    if not roles:
        raise ServiceError(gettext("At least one role is required."), code="required",
                           fields={"roles": [gettext("This field is required.")]})
    role_rows = _validate_roles(roles)
    if "admin" in roles and actor is not None and not actor.is_superuser and "admin" not in _own_codes(actor):
        raise NotAllowed(gettext("Only an administrator may create administrators."))
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(gettext("User %(username)s already exists.") % {"username": username}, code="user_exists",
                       fields={"username": [gettext("This username is taken.")]})
    user = User(username=username, is_staff="admin" in roles)
    if password:
        if validate_password:
            _validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set([r.group for r in role_rows])
    profile = StaffProfile.objects.create(user=user, display_name=display_name.strip(), phone=phone.strip())
    profile.shops.set(shops)
    audit.record_event("staff.create_staff_member", actor=actor, obj=user,
                       changes=audit.changes_between({}, _snapshot(user)), grant=grant)
    return user


def _own_codes(user) -> set[str]:
    return set(user.groups.filter(role__isnull=False).values_list("role__code", flat=True))


@transaction.atomic
def update_staff_member(
    *, actor, user, roles: list[str] | None = None, display_name: str | None = None, phone: str | None = None,
    shops=None, is_active: bool | None = None, password: str | None = None,
):
    """Change a person's roles, shops, name, phone, password or active flag, all or nothing.

    Deactivated people keep their history (nothing a report depends on is deleted).
    """
    grant = _authorize(actor, "auth.change_user")
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    before = _snapshot(user)
    if roles is not None:
        if not roles:
            raise ServiceError(gettext("At least one role is required."), code="required",
                               fields={"roles": [gettext("This field is required.")]})
        role_rows = _validate_roles(roles)
        admin_change = ("admin" in roles) != ("admin" in _own_codes(user))
        if admin_change and actor is not None and not actor.is_superuser and "admin" not in _own_codes(actor):
            raise NotAllowed(gettext("Only an administrator may grant or revoke the administrator role."))
        user.groups.set([r.group for r in role_rows])
        user.is_staff = "admin" in roles
    if is_active is not None:
        if actor is not None and actor.pk == user.pk and not is_active:
            raise ServiceError(gettext("You cannot deactivate your own account."), code="self_deactivate")
        user.is_active = is_active
    if password:
        _validate_password(password, user)
        user.set_password(password)
    user.save()
    if display_name is not None:
        profile.display_name = display_name.strip()
    if phone is not None:
        profile.phone = phone.strip()
    profile.save()
    if shops is not None:
        profile.shops.set(shops)
    changes = audit.changes_between(before, _snapshot(user))
    if password:
        changes["password"] = {"before": "***", "after": "***"}
    if changes:
        audit.record_event("staff.update_staff_member", actor=actor, obj=user, changes=changes, grant=grant)
    return user


@transaction.atomic
def change_own_password(*, actor, old_password: str, new_password: str) -> None:
    """A person changes their own password; the current one must be given."""
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(gettext("Please log in."), code="not_authenticated")
    if not actor.check_password(old_password):
        raise ServiceError(gettext("The current password is wrong."), code="wrong_password",
                           fields={"old_password": [gettext("The current password is wrong.")]})
    try:
        password_validation.validate_password(new_password, actor)
    except ValidationError as exc:
        raise ServiceError(gettext("Password rejected: %(reasons)s") % {"reasons": " ".join(exc.messages)},
                           code="weak_password", fields={"new_password": list(exc.messages)}) from exc
    actor.set_password(new_password)
    actor.save(update_fields=["password"])
    audit.record_event("staff.change_own_password", actor=actor, obj=actor,
                       changes={"password": {"before": "***", "after": "***"}})


@transaction.atomic
def unlock_login(*, actor, user) -> None:
    """Lift a login lock (django-axes) before its 15 minutes are over, e.g. after the person called the admin."""
    from axes.utils import reset

    grant = _authorize(actor, "auth.change_user")
    cleared = reset(username=user.get_username())
    audit.record_event("staff.unlock_login", actor=actor, obj=user, grant=grant,
                       changes={"failed_logins_cleared": {"before": None, "after": cleared}})


@transaction.atomic
def issue_api_token(*, actor, user) -> str:
    """Create (or replace) the person's API token: 40 hex characters, shown once."""
    grant = _authorize(actor, "auth.change_user")
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit.record_event("staff.issue_api_token", actor=actor, obj=user, grant=grant)
    return token.key


@transaction.atomic
def grant_stand_in(*, actor, user, role_code: str, starts_on: date, ends_on: date, reason: str = "") -> StandIn:
    """临时代理: let `user` act as `role_code` from `starts_on` to `ends_on` (inclusive), 004:30,42,54,67,80.

    The manager grants it; nobody grants a stand-in to themselves; the admin role is never delegated.
    """
    grant = _authorize(actor, role_table.GRANT_STAND_IN)
    errors = {}
    if role_code not in role_table.ROLE_CODES:
        errors["role"] = [gettext("Unknown role %(role)s") % {"role": role_code}]
    elif role_code == "admin":
        errors["role"] = [gettext("The administrator role cannot be delegated.")]
    if ends_on < starts_on:
        errors["ends_on"] = [gettext("The end date is before the start date.")]
    if actor is None:
        raise ServiceError(gettext("A stand-in needs the person who grants it."), code="actor_required")
    if actor.pk == user.pk:
        errors["user"] = [gettext("You cannot grant a stand-in to yourself.")]
    if not user.is_active:
        errors["user"] = [gettext("This account is deactivated.")]
    if errors:
        problems = "; ".join(m for v in errors.values() for m in v)
        raise ServiceError(gettext("Invalid stand-in: %(problems)s") % {"problems": problems},
                           code="invalid_stand_in", fields=errors)
    role = Role.objects.get(code=role_code)
    overlapping = StandIn.objects.filter(user=user, role=role, revoked_at__isnull=True,
                                         starts_on__lte=ends_on, ends_on__gte=starts_on)
    if overlapping.exists():
        raise Conflict(gettext("This person already stands in for this role in that period."),
                       code="stand_in_overlap")
    stand_in = StandIn(user=user, role=role, starts_on=starts_on, ends_on=ends_on, reason=reason.strip(),
                       granted_by=actor)
    stand_in.full_clean()
    stand_in.save()
    audit.record_event("staff.grant_stand_in", actor=actor, obj=stand_in, grant=grant, reason=reason,
                       changes=audit.created(stand_in, ["user", "role", "starts_on", "ends_on"]))
    return stand_in


@transaction.atomic
def revoke_stand_in(*, actor, stand_in: StandIn, reason: str = "") -> StandIn:
    grant = _authorize(actor, "staff.change_standin")
    stand_in = StandIn.objects.select_for_update().get(pk=stand_in.pk)
    if stand_in.revoked_at:
        raise Conflict(gettext("This stand-in is already revoked."), code="already_revoked")
    stand_in.revoked_at = clock.now()
    stand_in.revoked_by = actor
    stand_in.save(update_fields=["revoked_at", "revoked_by"])
    audit.record_event("staff.revoke_stand_in", actor=actor, obj=stand_in, grant=grant, reason=reason,
                       changes={"revoked_at": {"before": None, "after": stand_in.revoked_at}})
    return stand_in


@transaction.atomic
def update_role_limits(*, actor, role: Role, max_discount_percent: Decimal | None = None,
                       max_shipping_fee_change: Decimal | None = None, max_refund: Decimal | None = None) -> Role:
    """Set a role's authority limits (权限范围内议价/修改运费, 004:60)."""
    grant = _authorize(actor, "staff.change_role")
    fields = ["max_discount_percent", "max_shipping_fee_change", "max_refund"]
    before = audit.snapshot(role, fields)
    if max_discount_percent is not None:
        role.max_discount_percent = Decimal(max_discount_percent)
    if max_shipping_fee_change is not None:
        role.max_shipping_fee_change = Decimal(max_shipping_fee_change)
    if max_refund is not None:
        role.max_refund = Decimal(max_refund)
    try:
        role.full_clean()
    except ValidationError as exc:
        raise ServiceError("; ".join(exc.messages), code="invalid", fields=validation_fields(exc)) from exc
    role.save(update_fields=fields)
    audit.record_event("staff.update_role_limits", actor=actor, obj=role, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(role, fields)))
    return role
