"""Team pages: staff accounts, stand-ins (临时代理), roles and their authority limits."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth.decorators import permission_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.core import masking
from shopdesk.core.errors import ServiceError
from shopdesk.core.services import unmask_personal_data
from shopdesk.staff import selectors, services
from shopdesk.staff.forms import OwnPasswordForm, RoleLimitsForm, StaffMemberForm, StandInForm
from shopdesk.staff.models import Role, StaffProfile, StandIn
from shopdesk.staff.roles import UNMASK_PERSONAL_DATA
from shopdesk.web.forms import add_service_error
from shopdesk.web.tables import BatchAction, Column, Tab, Table

User = get_user_model()


@permission_required("auth.view_user", raise_exception=True)
def staff_list(request):
    all_shop_ids = set(selectors.users_seeing_all_shops())
    locked = selectors.locked_out_usernames()
    tab = request.GET.get("tab", "active")
    batch = []
    if request.user.has_perm("auth.change_user"):
        if tab in ("active", "no_shop"):
            batch.append(BatchAction("deactivate", _("Deactivate"), reverse("staff:batch"),
                                     confirm=gettext("Deactivate the selected accounts?"), danger=True))
        elif tab == "inactive":
            batch.append(BatchAction("activate", _("Activate"), reverse("staff:batch")))
        elif tab == "locked":
            batch.append(BatchAction("unlock", _("Unlock login"), reverse("staff:batch")))
    qs = selectors.search_staff(selectors.staff_members(), request.GET.get("q", ""))
    table = Table(
        request, qs,
        columns=[Column("username", _("Username"), "username"),
                 Column("name", _("Full name"), "staff_profile__display_name"), Column("roles", _("Roles")),
                 Column("shops", _("Shops")), Column("phone", _("Phone")),
                 Column("last_login", _("Last login"), "last_login")],
        tabs=[Tab("active", _("Active"), Q(is_active=True)), Tab("inactive", _("Deactivated"), Q(is_active=False)),
              Tab("no_shop", _("No shop assigned"), Q(is_active=True, is_superuser=False,
                                                      staff_profile__shops__isnull=True) & ~Q(pk__in=all_shop_ids)),
              Tab("locked", _("Login locked"), Q(username__in=locked))],
        row_template="staff/rows/staff_member.html", default_sort="username", batch_actions=batch,
    )
    return render(request, "staff/staff_list.html", {
        "table": table, "q": request.GET.get("q", ""), "all_shop_ids": all_shop_ids,
        "can_unmask": request.user.has_perm(UNMASK_PERSONAL_DATA),
        "can_edit": request.user.has_perm("auth.change_user"),
    })


@permission_required("auth.change_user", raise_exception=True)
@require_POST
def staff_batch(request):
    ids = request.POST.getlist("ids")
    action = request.POST.get("action")
    if action not in {"activate", "deactivate", "unlock"} or not ids:
        messages.error(request, gettext("Choose an action and at least one row."))
        return redirect("staff:list")
    done, refused = 0, []
    for user in User.objects.filter(pk__in=ids):
        try:
            if action == "unlock":
                services.unlock_login(actor=request.user, user=user)
            else:
                services.update_staff_member(actor=request.user, user=user, is_active=action == "activate")
            done += 1
        except ServiceError as exc:
            refused.append(f"{user.username}: {exc.message}")
    messages.success(request, ngettext("%(n)d account updated.", "%(n)d accounts updated.", done) % {"n": done})
    for line in refused:
        messages.error(request, line)
    return redirect("staff:list")


@permission_required("auth.add_user", raise_exception=True)
def staff_create(request):
    form = StaffMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.create_staff_member(
                actor=request.user, username=d["username"], roles=d["roles"], password=d["password"] or None,
                display_name=d["display_name"], phone=d["phone"], shops=d["shops"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Account %(u)s created.") % {"u": user.username})
            return redirect("staff:list")
    return render(request, "staff/staff_form.html", {"form": form, "title": _("New account"),
                                                     "cancel_url": reverse("staff:list")})


@permission_required("auth.change_user", raise_exception=True)
def staff_edit(request, pk):
    user = get_object_or_404(selectors.staff_members(), pk=pk)
    profile = StaffProfile.objects.filter(user=user).first()
    can_unmask = request.user.has_perm(UNMASK_PERSONAL_DATA)
    phone = profile.phone if profile else ""
    shown_phone = phone if can_unmask else masking.mask_phone(phone)
    initial = {
        "username": user.username, "display_name": profile.display_name if profile else "",
        "phone": shown_phone, "is_active": user.is_active,
        "roles": [g.role.code for g in user.groups.all() if hasattr(g, "role")],
        "shops": list(profile.shops.all()) if profile else [],
    }
    form = StaffMemberForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_staff_member(
                actor=request.user, user=user, roles=d["roles"], display_name=d["display_name"],
                # A masked number sent back unchanged means "keep the number" (the editor never saw it in clear).
                phone=None if d["phone"] == shown_phone and not can_unmask else d["phone"],
                shops=d["shops"], is_active=d["is_active"], password=d["password"] or None,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Account %(u)s saved.") % {"u": user.username})
            return redirect("staff:list")
    return render(request, "staff/staff_form.html", {"form": form, "title": _("Edit account"), "member": user,
                                                     "cancel_url": reverse("staff:list")})


@permission_required("auth.change_user", raise_exception=True)
@require_POST
def staff_token(request, pk):
    user = get_object_or_404(User, pk=pk)
    key = services.issue_api_token(actor=request.user, user=user)
    messages.warning(request, gettext("New API token for %(u)s (shown once): %(k)s") % {"u": user.username, "k": key})
    return redirect("staff:edit", pk=pk)


@permission_required(UNMASK_PERSONAL_DATA, raise_exception=True)
@require_POST
def staff_unmask_phone(request, pk):
    """htmx: replace the masked phone with the clear one; the look is written to the audit log."""
    profile = get_object_or_404(StaffProfile, user_id=pk)
    phone = unmask_personal_data(actor=request.user, obj=profile, field="phone", reason=gettext("staff list"))
    return HttpResponse(format_html('<span class="pd unmasked">{}</span>', phone))


@permission_required("staff.view_standin", raise_exception=True)
def stand_in_list(request):
    tabs_q = selectors.stand_in_tabs_q()
    can_change = request.user.has_perm("staff.change_standin")
    table = Table(
        request, selectors.stand_ins(),
        columns=[Column("user", _("Person"), "user__username"), Column("role", _("Role"), "role__id"),
                 Column("from", _("From"), "starts_on"), Column("to", _("To"), "ends_on"),
                 Column("reason", _("Reason")), Column("granted", _("Granted by")), Column("status", _("Status"))],
        tabs=[Tab("active", _("In force"), tabs_q["active"]), Tab("upcoming", _("Upcoming"), tabs_q["upcoming"]),
              Tab("expired", _("Expired"), tabs_q["expired"]), Tab("revoked", _("Revoked"), tabs_q["revoked"])],
        row_template="staff/rows/stand_in.html", default_sort="-starts_on",
        batch_actions=[BatchAction("revoke", _("Revoke"), reverse("staff:stand_in_revoke"),
                                   confirm=gettext("Revoke the selected stand-ins?"), danger=True)]
        if can_change else [],
    )
    return render(request, "staff/stand_in_list.html", {
        "table": table, "can_grant": request.user.has_perm("staff.add_standin"),
    })


@permission_required("staff.add_standin", raise_exception=True)
def stand_in_create(request):
    form = StandInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.grant_stand_in(actor=request.user, user=d["user"], role_code=d["role"],
                                    starts_on=d["starts_on"], ends_on=d["ends_on"], reason=d["reason"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Stand-in granted."))
            return redirect("staff:stand_ins")
    return render(request, "web/form_page.html", {
        "form": form, "title": _("Grant a stand-in"), "submit_label": _("Grant"),
        "cancel_url": reverse("staff:stand_ins"),
    })


@permission_required("staff.change_standin", raise_exception=True)
@require_POST
def stand_in_revoke(request):
    done = 0
    for stand_in in StandIn.objects.filter(pk__in=request.POST.getlist("ids"), revoked_at__isnull=True):
        services.revoke_stand_in(actor=request.user, stand_in=stand_in, reason=request.POST.get("reason", ""))
        done += 1
    messages.success(request, ngettext("%(n)d stand-in revoked.", "%(n)d stand-ins revoked.", done) % {"n": done})
    return redirect("staff:stand_ins")


@permission_required("staff.view_role", raise_exception=True)
def role_list(request):
    return render(request, "staff/role_list.html", {
        "roles": selectors.roles_with_counts(), "can_edit": request.user.has_perm("staff.change_role"),
    })


@permission_required("staff.change_role", raise_exception=True)
def role_edit(request, code):
    role = get_object_or_404(Role, code=code)
    form = RoleLimitsForm(request.POST or None, initial={
        "max_discount_percent": role.max_discount_percent, "max_shipping_fee_change": role.max_shipping_fee_change,
        "max_refund": role.max_refund})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_role_limits(actor=request.user, role=role, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Limits of %(r)s saved.") % {"r": role.name})
            return redirect("staff:roles")
    return render(request, "web/form_page.html", {
        "form": form, "title": _("Authority limits of %(role)s") % {"role": role.name},
        "intro": _("Within these limits the role bargains and changes shipping fees itself (权限范围内议价、修改运费, "
                   "004:60) and marks after-sales refunds paid; beyond them the request goes to a supervisor or the "
                   "manager for approval."),
        "cancel_url": reverse("staff:roles"),
    })


def own_password(request):
    """Every person changes their own password here (no permission needed beyond being logged in)."""
    form = OwnPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(actor=request.user, old_password=form.cleaned_data["old_password"],
                                         new_password=form.cleaned_data["new_password"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, gettext("Your password was changed."))
            return redirect("home")
    return render(request, "web/form_page.html", {"form": form, "title": _("Change my password"),
                                                  "cancel_url": reverse("home")})
