"""The navigation: one table of entries, each shown only to people holding its permission.

Later modules add their entries here; the sidebar and the permission matrix test both read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    url_name: str
    perms: tuple[str, ...] = ()
    admin_site: bool = False

    def visible_to(self, user) -> bool:
        if self.admin_site and not user.is_staff:
            return False
        return user.has_perms(self.perms)


NAV: list[NavItem] = [
    NavItem(_("Workbench"), _("Today's work"), "home"),
    NavItem(_("Workbench"), _("My deadlines"), "deadlines"),
    NavItem(_("Team"), _("Staff"), "staff:list", ("auth.view_user",)),
    NavItem(_("Team"), _("Stand-ins"), "staff:stand_ins", ("staff.view_standin",)),
    NavItem(_("Team"), _("Roles and limits"), "staff:roles", ("staff.view_role",)),
    NavItem(_("Settings"), _("Shops"), "channels:shops", ("channels.view_shop",)),
    NavItem(_("Settings"), _("Audit log"), "audit", ("core.view_auditevent",)),
    NavItem(_("Settings"), _("API documentation"), "api-docs"),
    NavItem(_("Settings"), _("Master data (admin)"), "admin:index", admin_site=True),
]


def nav_for(user, current_path: str = "") -> list[dict]:
    """Sections with the items this person may open, marking the current one."""
    visible = [(item, reverse(item.url_name)) for item in NAV if item.visible_to(user)]
    # The current entry is the one whose URL is the longest prefix of the path ("/" only matches itself).
    matches = [url for _item, url in visible if current_path == url or (url != "/" and current_path.startswith(url))]
    current = max(matches, key=len, default=None)
    sections: dict[str, list[dict]] = {}
    for item, url in visible:
        sections.setdefault(str(item.section), []).append({"label": item.label, "url": url, "active": url == current})
    return [{"title": title, "items": items} for title, items in sections.items()]
