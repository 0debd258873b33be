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
    NavItem(_("Customer service"), _("Conversations"), "service:workbench", ("service.view_conversation",)),
    NavItem(_("Customer service"), _("Canned replies"), "service:replies", ("service.view_cannedreply",)),
    NavItem(_("Customer service"), _("Discount requests"), "service:discounts", ("service.approve_discount",)),
    NavItem(_("Customer service"), _("CS KPIs"), "service:kpis", ("service.view_kpi",)),
    NavItem(_("Customer service"), _("Quality inspection"), "service:quality", ("service.inspect_quality",)),
    NavItem(_("Customer service"), _("Duty roster"), "service:roster", ("service.view_rosterentry",)),
    NavItem(_("Customer service"), _("Score sheets"), "service:score_sheets", ("service.view_scoresheet",)),
    NavItem(_("Customer service"), _("Import chat logs"), "service:chat_import", ("service.import_chatlog",)),
    NavItem(_("Customer service"), _("Own-site chat"), "service:widget_settings", ("service.change_chatwidget",)),
    NavItem(_("Customer service"), _("CS settings"), "service:team_settings", ("service.change_servicesettings",)),
    NavItem(_("Orders"), _("Order pool"), "orders:list", ("orders.view_order",)),
    NavItem(_("Orders"), _("Unpaid follow-up"), "orders:unpaid", ("orders.view_order",)),
    NavItem(_("Orders"), _("Manual review"), "orders:review", ("orders.verify_order",)),
    NavItem(_("Orders"), _("Exceptions"), "orders:exceptions", ("orders.view_order",)),
    NavItem(_("Orders"), _("Cannot ship today"), "orders:cannot_ship", ("orders.change_order",)),
    NavItem(_("Orders"), _("Change approvals"), "orders:changes", ("orders.view_changerequest",)),
    NavItem(_("Orders"), _("Order tasks"), "orders:tasks", ("orders.view_ordertask",)),
    NavItem(_("Orders"), _("Import orders"), "orders:import", ("orders.import_order",)),
    NavItem(_("Orders"), _("Order rules"), "orders:rules", ("orders.view_shoporderrules",)),
    NavItem(_("Warehouse"), _("Warehouse stations"), "fulfillment:warehouse", ("fulfillment.view_printbatch",)),
    NavItem(_("Warehouse"), _("Print batches"), "fulfillment:batches", ("fulfillment.view_printbatch",)),
    NavItem(_("Warehouse"), _("Check station"), "fulfillment:check", ("orders.fulfil_order",)),
    NavItem(_("Warehouse"), _("Ship station"), "fulfillment:ship", ("orders.fulfil_order",)),
    NavItem(_("Warehouse"), _("Hand-over lists"), "fulfillment:handovers", ("fulfillment.view_handover",)),
    NavItem(_("Warehouse"), _("Dispatch plan"), "fulfillment:plan", ("fulfillment.view_dispatch_plan",)),
    NavItem(_("Logistics"), _("Logistics exceptions"), "fulfillment:exceptions",
            ("fulfillment.view_logisticsexception",)),
    NavItem(_("Logistics"), _("Missing items"), "fulfillment:missing_items", ("fulfillment.view_missingitemclaim",)),
    NavItem(_("Logistics"), _("Shipping notices"), "fulfillment:notices", ("fulfillment.view_buyernotice",)),
    NavItem(_("Logistics"), _("Tracking import"), "fulfillment:tracking_import", ("fulfillment.add_trackingevent",)),
    NavItem(_("Logistics"), _("Courier bills"), "fulfillment:bills", ("fulfillment.view_courierbill",)),
    NavItem(_("After-sales"), _("After-sales cases"), "aftersales:cases", ("aftersales.view_case",)),
    NavItem(_("After-sales"), _("Return receiving"), "aftersales:receiving", ("aftersales.receive_return",)),
    NavItem(_("After-sales"), _("Returns register"), "aftersales:register", ("aftersales.view_case",)),
    NavItem(_("After-sales"), _("Complaints"), "aftersales:complaints", ("aftersales.view_complaint",)),
    NavItem(_("After-sales"), _("Daily check"), "aftersales:daily", ("aftersales.approve_refund",)),
    NavItem(_("After-sales"), _("Reviews"), "reviews:list", ("reviews.view_review",)),
    NavItem(_("After-sales"), _("Review report"), "reviews:report", ("reviews.view_review",)),
    NavItem(_("After-sales"), _("Import reviews"), "reviews:import", ("reviews.add_review",)),
    NavItem(_("Catalog"), _("Products"), "catalog:products", ("catalog.view_product",)),
    NavItem(_("Catalog"), _("Listings"), "catalog:listings", ("catalog.view_listing",)),
    NavItem(_("Catalog"), _("Price changes"), "catalog:price_changes", ("catalog.view_pricechange",)),
    NavItem(_("Catalog"), _("Import and export"), "catalog:import", ("catalog.add_product",)),
    NavItem(_("Catalog"), _("Categories and brands"), "catalog:categories", ("catalog.view_category",)),
    NavItem(_("Warehousing"), _("Stock"), "inventory:stock", ("inventory.view_warehousestock",)),
    NavItem(_("Warehousing"), _("Stock health"), "inventory:health", ("inventory.view_stockthreshold",)),
    NavItem(_("Warehousing"), _("Purchase orders"), "inventory:purchase_orders", ("inventory.view_purchaseorder",)),
    NavItem(_("Warehousing"), _("Receipts and put-away"), "inventory:receipts", ("inventory.view_receipt",)),
    NavItem(_("Warehousing"), _("Transfers"), "inventory:transfers", ("inventory.view_transfer",)),
    NavItem(_("Warehousing"), _("Stocktakes"), "inventory:stocktakes", ("inventory.view_stocktake",)),
    NavItem(_("Warehousing"), _("Stock movements"), "inventory:movements", ("inventory.view_movement",)),
    NavItem(_("Warehousing"), _("Warehouse reports"), "inventory:reports", ("inventory.view_stock_report",)),
    NavItem(_("Warehousing"), _("Month close"), "inventory:periods", ("inventory.view_closedperiod",)),
    NavItem(_("Warehousing"), _("Warehouses and locations"), "inventory:warehouses", ("inventory.view_warehouse",)),
    NavItem(_("Team"), _("Staff"), "staff:list", ("auth.view_user",)),
    NavItem(_("Team"), _("Stand-ins"), "staff:stand_ins", ("staff.view_standin",)),
    NavItem(_("Team"), _("Roles and limits"), "staff:roles", ("staff.view_role",)),
    NavItem(_("Settings"), _("Shops"), "channels:shops", ("channels.view_shop",)),
    NavItem(_("Settings"), _("Carriers"), "fulfillment:carriers", ("fulfillment.view_carrier",)),
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
