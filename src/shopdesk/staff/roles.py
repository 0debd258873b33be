"""The posts (岗位) of the department as roles: the single source of each role's permissions and limits.

Roles are Django groups kept in sync with this table after every migrate (`services.sync_roles`). Later modules add
their permissions here, next to the role that needs them, so one place answers "who may do what".
Seeds: 004:1-95 (posts and duties), 003:552-554, product.md §1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# ShopDesk-specific capabilities (declared on staff.Role.Meta.permissions).
VIEW_COST_PRICE = "staff.view_cost_price"
UNMASK_PERSONAL_DATA = "staff.unmask_personal_data"
EXPORT_PERSONAL_DATA = "staff.export_personal_data"
APPROVE_PRICE_CHANGE = "staff.approve_price_change"
APPROVE_OVER_LIMIT = "staff.approve_over_limit"
VIEW_ALL_SHOPS = "staff.view_all_shops"
GRANT_STAND_IN = "staff.add_standin"

_SEE_STAFF = ["auth.view_user", "staff.view_role"]
_SHOPS = ["channels.view_shop"]
# Inventory (product.md §2.2): stock figures and their ledger for everyone who sells; the warehouse documents for the
# posts that handle them (000:470-510).
APPROVE_STOCKTAKE = "inventory.approve_stocktake"
_STOCK = ["inventory.view_warehousestock", "inventory.view_movement"]
_WAREHOUSES = [*_STOCK, "inventory.view_warehouse"]
_STOCK_HEALTH = ["inventory.view_stockthreshold"]
_STOCK_THRESHOLDS = ["inventory.change_stockthreshold"]
_STOCKTAKE = ["inventory.view_stocktake", "inventory.count_stocktake"]
_RECEIVING = ["inventory.view_purchaseorder", "inventory.view_receipt", "inventory.add_receipt",
              "inventory.move_stock"]
_TRANSFERS = ["inventory.view_transfer", "inventory.add_transfer", "inventory.change_transfer"]
_STOCK_REPORTS = ["inventory.view_stock_report"]
_PERIOD_CLOSE = ["inventory.view_closedperiod", "inventory.add_closedperiod"]
_PURCHASING = ["inventory.add_purchaseorder", "inventory.change_purchaseorder"]
_WAREHOUSE_SETUP = ["inventory.add_warehouse", "inventory.change_warehouse", "inventory.add_zone",
                    "inventory.change_zone", "inventory.add_location", "inventory.change_location"]
# Catalog (商品, product.md §2.1): who sees products and listings, edits them, uploads photos, changes prices.
_CATALOG_VIEW = ["catalog.view_product", "catalog.view_sku", "catalog.view_listing", "catalog.view_brand",
                 "catalog.view_category"]
_CATALOG_EDIT = ["catalog.add_product", "catalog.change_product", "catalog.delete_product", "catalog.add_listing"]
_CATALOG_PHOTOS = ["catalog.add_productimage", "catalog.change_productimage", "catalog.delete_productimage"]
_CATALOG_PRICES = ["catalog.change_listing", "catalog.add_pricechange", "catalog.view_pricechange"]
_CATALOG_MASTER = ["catalog.add_brand", "catalog.add_category", "catalog.change_category"]
# Orders (订单, product.md §2.3): CS works the order pool; the warehouse moves orders through fulfilment and does the
# recall tasks changes leave; finance and operations read.
_ORDERS_VIEW = ["orders.view_order", "orders.view_ordertask", "orders.view_importrun"]
_ORDERS_WORK = [*_ORDERS_VIEW, "orders.add_order", "orders.import_order", "orders.change_order",
                "orders.verify_order", "orders.cancel_order", "orders.merge_order", "orders.view_changerequest"]
_ORDER_TASKS = ["orders.change_ordertask"]
_ORDER_FULFIL = ["orders.fulfil_order"]
_ORDER_RULES = ["orders.view_shoporderrules", "orders.change_shoporderrules", "orders.view_unreachablearea"]
# Fulfilment (发货/物流, product.md §2.4): the warehouse prints, picks, checks, packs, ships and hands over; CS sees
# parcels and works their exceptions and missing-item claims; carriers, pools and bills are set up by the
# warehouse lead and the manager; finance and merchandise check the courier bill (004:14).
_PARCELS_VIEW = ["fulfillment.view_shipment", "fulfillment.view_carrier", "fulfillment.view_logisticsexception",
                 "fulfillment.view_missingitemclaim"]
_WAREHOUSE_WORK = [*_PARCELS_VIEW, "fulfillment.view_printbatch", "fulfillment.add_printbatch",
                   "fulfillment.view_handover", "fulfillment.add_handover", "fulfillment.view_dispatch_plan",
                   "fulfillment.view_waybillpool", "fulfillment.add_trackingevent"]
_CARRIER_SETUP = ["fulfillment.add_carrier", "fulfillment.change_carrier", "fulfillment.view_pricerule",
                  "fulfillment.change_pricerule", "fulfillment.view_waybillpool", "fulfillment.add_waybillpool",
                  "fulfillment.change_waybillpool", "fulfillment.view_shopshipping", "fulfillment.change_shopshipping",
                  "orders.view_unreachablearea", "orders.add_unreachablearea", "orders.delete_unreachablearea"]
_PARCEL_CS = [*_PARCELS_VIEW, "fulfillment.change_logisticsexception", "fulfillment.add_missingitemclaim"]
_RESHIP = ["fulfillment.change_missingitemclaim"]
_NOTICES = ["fulfillment.view_buyernotice", "fulfillment.change_buyernotice"]
_BILLS = ["fulfillment.view_carrier", "fulfillment.view_pricerule", "fulfillment.view_courierbill",
          "fulfillment.add_courierbill", "fulfillment.change_courierbill"]

# After-sales and reviews (售后/评价, product.md §2.5-2.6): after-sales CS opens and works cases, complaints and review
# follow-ups; the supervisor approves refunds beyond an agent's limit and alone sees complaints against a named
# colleague; the warehouse receives and inspects returns; pre-sales, finance and merchandise read.
APPROVE_REFUND = "aftersales.approve_refund"
VIEW_STAFF_COMPLAINTS = "aftersales.view_staff_complaint"
_CASES_VIEW = ["aftersales.view_case", "aftersales.view_complaint"]
_CASES_WORK = [*_CASES_VIEW, "aftersales.add_case", "aftersales.change_case", "aftersales.add_complaint",
               "aftersales.change_complaint"]
_RETURNS_RECEIVE = ["aftersales.view_case", "aftersales.receive_return"]
_REVIEWS_VIEW = ["reviews.view_review"]
_REVIEWS_WORK = [*_REVIEWS_VIEW, "reviews.add_review", "reviews.change_review", "reviews.add_followup",
                 "reviews.view_reviewsettings", "reviews.change_reviewsettings"]
APPROVE_COMPENSATION = "reviews.approve_compensation"
# Customer service workbench (客服工作台, product.md §2.7): every CS post chats with buyers, keeps personal canned
# replies and sees the roster; the supervisor keeps the shop-wide replies, the roster, quality inspection, the KPIs,
# the score sheets and the chat widgets, and approves discounts beyond an agent's authority; the manager approves
# the score sheets. Operations reads the KPIs (inquiry conversion is theirs too).
APPROVE_DISCOUNT = "service.approve_discount"
APPROVE_SCORESHEET = "service.approve_scoresheet"
VIEW_SERVICE_KPI = "service.view_kpi"
_CHAT = ["service.view_conversation", "service.reply_conversation", "service.change_conversation",
         "service.view_cannedreply", "service.add_cannedreply", "service.add_discountrequest",
         "service.view_discountrequest", "service.view_shift", "service.view_rosterentry"]
_CS_SUPERVISE = [*_CHAT, "service.change_cannedreply", "service.delete_cannedreply", APPROVE_DISCOUNT,
                 VIEW_SERVICE_KPI, "service.inspect_quality", "service.view_qualityscore",
                 "service.add_rosterentry", "service.delete_rosterentry", "service.add_shift", "service.change_shift",
                 "service.view_scoresheet", "service.change_scoresheet", "service.view_chatwidget",
                 "service.change_chatwidget", "service.view_servicesettings", "service.change_servicesettings",
                 "service.import_chatlog"]


@dataclass(frozen=True)
class RoleSpec:
    code: str
    name: str  # Chinese name as the department says it; translated for English users
    duties: tuple[str, ...]
    permissions: tuple[str, ...]
    max_discount_percent: Decimal = Decimal("0")
    max_shipping_fee_change: Decimal = Decimal("0")
    max_refund: Decimal = Decimal("0")
    sort: int = 0
    tags: frozenset[str] = field(default_factory=frozenset)


ROLES: dict[str, RoleSpec] = {}


def _role(code, name, duties, permissions, **kw):
    ROLES[code] = RoleSpec(code=code, name=name, duties=tuple(duties), permissions=tuple(permissions),
                           sort=len(ROLES), **kw)


_role(
    "manager", _("Department manager"),
    [_("Assign work to the posts and supervise it"), _("Approve campaigns, price changes and requests beyond "
      "authority"), _("Appraise the team"), _("Stand in for any vacant post")],
    [*_SEE_STAFF, *_SHOPS, "channels.add_shop", "channels.change_shop", "core.view_auditevent",
     "staff.view_standin", GRANT_STAND_IN, "staff.change_standin", "staff.change_role",
     VIEW_COST_PRICE, UNMASK_PERSONAL_DATA, EXPORT_PERSONAL_DATA, APPROVE_PRICE_CHANGE, APPROVE_OVER_LIMIT,
     VIEW_ALL_SHOPS, *_CATALOG_VIEW, *_CATALOG_EDIT, *_CATALOG_PHOTOS, *_CATALOG_PRICES, *_CATALOG_MASTER,
     *_WAREHOUSES, *_STOCK_HEALTH, *_STOCK_THRESHOLDS, *_STOCKTAKE, APPROVE_STOCKTAKE, *_RECEIVING, *_TRANSFERS,
     *_STOCK_REPORTS, *_PERIOD_CLOSE, *_PURCHASING, *_WAREHOUSE_SETUP, *_ORDERS_WORK, *_ORDER_TASKS, *_ORDER_FULFIL,
     *_ORDER_RULES, *_WAREHOUSE_WORK, *_CARRIER_SETUP, *_PARCEL_CS, *_RESHIP, *_BILLS, *_NOTICES, *_CASES_WORK,
     *_RETURNS_RECEIVE, APPROVE_REFUND, VIEW_STAFF_COMPLAINTS, *_REVIEWS_WORK, APPROVE_COMPENSATION,
     *_CS_SUPERVISE, APPROVE_SCORESHEET],
    max_discount_percent=Decimal("30"), max_shipping_fee_change=Decimal("100"), max_refund=Decimal("5000"),
)
_role(
    "operations", _("Operations / shop manager"),
    [_("Plan campaigns and holiday promotions"), _("Adjust prices by season"), _("Analyse traffic and conversion"),
     _("Write the weekly competitor notes")],
    [*_SHOPS, VIEW_COST_PRICE, "staff.view_role", *_CATALOG_VIEW, *_CATALOG_EDIT, *_CATALOG_PHOTOS,
     *_CATALOG_PRICES, *_STOCK, *_ORDERS_VIEW, *_REVIEWS_VIEW, VIEW_SERVICE_KPI],
    max_discount_percent=Decimal("10"), max_shipping_fee_change=Decimal("20"),
)
_role(
    "designer", _("Designer / photographer"),
    [_("Shoot products and edit photos"), _("Design detail pages and posters for review"),
     _("Archive photos by brand, year and item number")],
    [*_SHOPS, *_CATALOG_VIEW, *_CATALOG_PHOTOS],
)
_role(
    "product_editor", _("Product editor"),
    [_("Write product copy and attributes"), _("Publish listings")],
    [*_SHOPS, *_CATALOG_VIEW, *_CATALOG_EDIT, *_CATALOG_PHOTOS],
)
_role(
    "cs_presales", _("Pre-sales customer service"),
    [_("Answer inquiries and guide purchases"), _("Bargain within your authority"),
     _("Verify the order details with the buyer"), _("Note special requests on the order")],
    [*_SHOPS, UNMASK_PERSONAL_DATA, *_CATALOG_VIEW, *_STOCK, *_ORDERS_WORK, *_PARCELS_VIEW, *_NOTICES, *_CASES_VIEW,
     *_REVIEWS_VIEW, *_CHAT],
    max_discount_percent=Decimal("5"), max_shipping_fee_change=Decimal("10"),
    tags=frozenset({"cs"}),
)
_role(
    "cs_aftersales", _("After-sales customer service"),
    [_("Answer tracking questions"), _("Handle returns, exchanges and refunds"), _("Handle complaints"),
     _("Follow up negative reviews within 48 hours"), _("Make care visits")],
    [*_SHOPS, UNMASK_PERSONAL_DATA, *_CATALOG_VIEW, *_STOCK, *_ORDERS_WORK, *_ORDER_TASKS, *_PARCEL_CS, *_NOTICES,
     *_CASES_WORK, *_REVIEWS_WORK, *_CHAT],
    max_discount_percent=Decimal("5"), max_shipping_fee_change=Decimal("10"), max_refund=Decimal("300"),
    tags=frozenset({"cs"}),
)
_role(
    "cs_supervisor", _("Customer service supervisor"),
    [_("Keep the duty roster"), _("Check refunds and disputes in progress every day"),
     _("Prepare the monthly reward/penalty score sheet before payroll"), _("Train the agents")],
    [*_SEE_STAFF, *_SHOPS, UNMASK_PERSONAL_DATA, "core.view_auditevent", "staff.view_standin", *_CATALOG_VIEW,
     *_STOCK, *_ORDERS_WORK, *_ORDER_TASKS, *_ORDER_RULES, *_PARCEL_CS, *_RESHIP, *_NOTICES, *_CASES_WORK,
     APPROVE_REFUND, VIEW_STAFF_COMPLAINTS, *_REVIEWS_WORK, APPROVE_COMPENSATION,
     *_CS_SUPERVISE],
    max_discount_percent=Decimal("10"), max_shipping_fee_change=Decimal("20"), max_refund=Decimal("2000"),
    tags=frozenset({"cs"}),
)
_role(
    "merchandiser", _("Merchandise management"),
    [_("Count stock and maintain prices, stock and categories"), _("Track bestsellers weekly"),
     _("Enter distributor orders"), _("Reconcile courier fees monthly")],
    [*_SHOPS, VIEW_COST_PRICE, *_CATALOG_VIEW, *_CATALOG_EDIT, *_CATALOG_PHOTOS, *_CATALOG_PRICES,
     *_CATALOG_MASTER, *_WAREHOUSES, *_STOCK_HEALTH, *_STOCK_THRESHOLDS, *_STOCKTAKE, *_ORDERS_VIEW,
     "orders.add_order", "orders.import_order", *_BILLS, *_REVIEWS_VIEW],
)
_role(
    "warehouse", _("Warehouse and logistics"),
    [_("Receive and put away goods"), _("Pick, check (two people), pack and ship"), _("Receive returns"),
     _("Count stock and report daily, weekly and monthly")],
    # Stock health too: the keeper reports none, low, overstock and slow-moving stock (000:493).
    [*_SHOPS, UNMASK_PERSONAL_DATA, *_CATALOG_VIEW, *_WAREHOUSES, *_RECEIVING, *_STOCKTAKE, *_TRANSFERS,
     *_STOCK_REPORTS, *_STOCK_HEALTH, *_ORDERS_VIEW, *_ORDER_TASKS, *_ORDER_FULFIL, *_WAREHOUSE_WORK,
     *_CARRIER_SETUP, *_RESHIP, *_RETURNS_RECEIVE],
)
_role(
    "finance", _("Finance"),
    [_("Track distributor receivables"), _("Reconcile funds weekly"), _("Check courier bills")],
    [*_SHOPS, VIEW_COST_PRICE, "core.view_auditevent", *_WAREHOUSES, *_STOCK_REPORTS, *_PERIOD_CLOSE,
     *_ORDERS_VIEW, *_BILLS, *_CASES_VIEW],
)
_role(
    "trade_sales", _("Foreign-trade sales"),
    [_("Answer inquiries at once"), _("Quote within 30 minutes"), _("Send samples within one day")],
    [*_SHOPS],
)
_role(
    "trade_manager", _("Foreign-trade manager"),
    [_("Approve USD quotations"), _("Sign export contract reviews"), _("Approve D/P and D/A terms")],
    [*_SHOPS, VIEW_COST_PRICE, "staff.view_role"],
)
_role(
    "legal", _("Legal"),
    [_("Review and countersign contracts"), _("Answer consultations in writing"), _("Track disputes")],
    [*_SHOPS, "core.view_auditevent"],
)
_role(
    "admin", _("System administrator"),
    [_("Create accounts and assign roles and shops"), _("Add shops"), _("Back up the data")],
    [*_SEE_STAFF, *_SHOPS, "auth.add_user", "auth.change_user", "channels.add_shop", "channels.change_shop",
     "core.view_auditevent", "staff.view_standin", "staff.change_standin", "staff.change_role", VIEW_ALL_SHOPS,
     "axes.view_accessattempt"],
    tags=frozenset({"staff_admin"}),
)

ROLE_CODES: tuple[str, ...] = tuple(ROLES)


def role_name(code: str) -> str:
    spec = ROLES.get(code)
    return str(spec.name) if spec else code
