"""The shell's own pages: home (today's work per role), my deadlines, error pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db.models import Q
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _

from shopdesk.core.models import Deadline
from shopdesk.staff import authz
from shopdesk.staff.roles import APPROVE_OVER_LIMIT, ROLES
from shopdesk.web import workbench
from shopdesk.web.tables import Column, Tab, Table


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def home(request):
    """今日工作: one section per role the person holds today (own roles, then stand-ins)."""
    user = request.user
    held = authz.held_roles(user)
    codes = {r.code for r in held}
    sections = []
    for role in held:
        spec = ROLES.get(role.code)
        sections.append({
            "role": role,
            "duties": spec.duties if spec else (),
            "tiles": workbench.tiles_for_role(user, role.code, codes),
        })
    show_cs_schedule = any(ROLES[c].tags & {"cs"} for c in codes if c in ROLES)
    return render(request, "web/home.html", {
        "sections": sections,
        "cs_schedule": workbench.cs_schedule(user=user) if show_cs_schedule else None,
        "limits": authz.authority_limits(user) if codes else None,
        "approves_over_limit": user.has_perm(APPROVE_OVER_LIMIT),
    })


def deadlines(request):
    """My deadlines: open ones in my name or my roles' queues; escalated ones for the roles they escalate to."""
    user = request.user
    codes = authz.role_codes(user)
    mine = Q(owner=user) | Q(owner_role__in=codes)
    table = Table(
        request,
        Deadline.objects.filter(mine | Q(escalate_to_role__in=codes)).select_related("owner", "subject_type"),
        columns=[Column("due", _("Due"), "due_at"), Column("title", _("Task"), "title"),
                 Column("owner", _("Owner")), Column("state", _("State"), "state")],
        tabs=[Tab("open", _("Open"), mine & Q(state=Deadline.State.OPEN)),
              Tab("escalated", _("Escalated to me"), Q(state=Deadline.State.MISSED, closed_at__isnull=True,
                                                       escalate_to_role__in=codes)),
              Tab("done", _("Done"), mine & Q(closed_at__isnull=False))],
        row_template="web/rows/deadline.html",
        default_sort="due_at",
        empty_text=_("Nothing due. Deadlines appear here when a rule starts a clock on your work."),
    )
    return render(request, "web/deadlines.html", {"table": table})


def permission_denied(request, exception=None):
    return render(request, "403.html", {"message": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)
