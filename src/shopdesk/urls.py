"""URL map: pages, the API under /api/v1/, the OpenAPI schema and docs, the admin for master data."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from shopdesk.aftersales import api as aftersales_api
from shopdesk.catalog import api as catalog_api
from shopdesk.channels import api as channels_api
from shopdesk.channels import views as channels_views
from shopdesk.core import api as core_api
from shopdesk.core import views as core_views
from shopdesk.fulfillment import api as fulfilment_api
from shopdesk.fulfillment import api_logistics as fulfilment_logistics_api
from shopdesk.fulfillment import api_setup as fulfilment_setup_api
from shopdesk.inventory import api as inventory_api
from shopdesk.orders import api as orders_api
from shopdesk.reviews import api as reviews_api
from shopdesk.staff import api as staff_api
from shopdesk.staff import views as staff_views
from shopdesk.web import views as web_views

router = DefaultRouter()
router.register("audit-events", core_api.AuditEventViewSet, basename="audit-event")
router.register("deadlines", core_api.DeadlineViewSet, basename="deadline")
router.register("staff", staff_api.StaffMemberViewSet, basename="staff")
router.register("roles", staff_api.RoleViewSet, basename="role")
router.register("stand-ins", staff_api.StandInViewSet, basename="stand-in")
router.register("shops", channels_api.ShopViewSet, basename="shop")
router.register("warehouses", inventory_api.WarehouseViewSet, basename="warehouse")
router.register("locations", inventory_api.LocationViewSet, basename="location")
router.register("stock", inventory_api.StockViewSet, basename="stock")
router.register("movements", inventory_api.MovementViewSet, basename="movement")
router.register("purchase-orders", inventory_api.PurchaseOrderViewSet, basename="purchase-order")
router.register("receipts", inventory_api.ReceiptViewSet, basename="receipt")
router.register("transfers", inventory_api.TransferViewSet, basename="transfer")
router.register("stocktakes", inventory_api.StocktakeViewSet, basename="stocktake")
router.register("health", inventory_api.HealthViewSet, basename="health")
router.register("closed-periods", inventory_api.ClosedPeriodViewSet, basename="closed-period")
router.register("catalog/products", catalog_api.ProductViewSet, basename="product")
router.register("catalog/skus", catalog_api.SkuViewSet, basename="sku")
router.register("catalog/listings", catalog_api.ListingViewSet, basename="listing")
router.register("catalog/price-changes", catalog_api.PriceChangeViewSet, basename="price-change")
router.register("orders", orders_api.OrderViewSet, basename="order")
router.register("order-change-requests", orders_api.ChangeRequestViewSet, basename="order-change-request")
router.register("order-tasks", orders_api.TaskViewSet, basename="order-task")
router.register("fulfilment/batches", fulfilment_api.BatchViewSet, basename="fulfilment-batch")
router.register("fulfilment/orders", fulfilment_api.WarehouseOrderViewSet, basename="fulfilment-order")
router.register("fulfilment/scan-to-ship", fulfilment_api.ScanToShipViewSet, basename="fulfilment-scan-to-ship")
router.register("fulfilment/handovers", fulfilment_api.HandoverViewSet, basename="fulfilment-handover")
router.register("fulfilment/carriers", fulfilment_setup_api.CarrierViewSet, basename="fulfilment-carrier")
router.register("fulfilment/price-rules", fulfilment_setup_api.PriceRuleViewSet, basename="fulfilment-price-rule")
router.register("fulfilment/pools", fulfilment_setup_api.PoolViewSet, basename="fulfilment-pool")
router.register("fulfilment/fee", fulfilment_setup_api.FeeViewSet, basename="fulfilment-fee")
router.register("fulfilment/waybill-imports", fulfilment_setup_api.WaybillImportViewSet,
                basename="fulfilment-waybill-import")
router.register("fulfilment/coverage-imports", fulfilment_setup_api.CoverageImportViewSet,
                basename="fulfilment-coverage-import")
router.register("fulfilment/plan", fulfilment_setup_api.PlanViewSet, basename="fulfilment-plan")
router.register("fulfilment/tracking-events", fulfilment_logistics_api.TrackingEventViewSet,
                basename="fulfilment-tracking-event")
router.register("fulfilment/tracking-imports", fulfilment_logistics_api.TrackingImportViewSet,
                basename="fulfilment-tracking-import")
router.register("fulfilment/exceptions", fulfilment_logistics_api.LogisticsExceptionViewSet,
                basename="fulfilment-exception")
router.register("fulfilment/missing-items", fulfilment_logistics_api.MissingItemViewSet,
                basename="fulfilment-missing-item")
router.register("fulfilment/bills", fulfilment_logistics_api.BillViewSet, basename="fulfilment-bill")
router.register("fulfilment/notices", fulfilment_logistics_api.BuyerNoticeViewSet, basename="fulfilment-notice")
router.register("aftersales/policy-check", aftersales_api.PolicyCheckViewSet, basename="aftersales-policy-check")
router.register("aftersales/cases", aftersales_api.CaseViewSet, basename="aftersales-case")
router.register("aftersales/complaints", aftersales_api.ComplaintViewSet, basename="aftersales-complaint")
router.register("aftersales/returns-register", aftersales_api.ReturnsRegisterViewSet,
                basename="aftersales-returns-register")
router.register("reviews", reviews_api.ReviewViewSet, basename="review")

staff_patterns = ([
    path("", staff_views.staff_list, name="list"),
    path("new/", staff_views.staff_create, name="create"),
    path("batch/", staff_views.staff_batch, name="batch"),
    path("<int:pk>/", staff_views.staff_edit, name="edit"),
    path("<int:pk>/token/", staff_views.staff_token, name="token"),
    path("<int:pk>/phone/", staff_views.staff_unmask_phone, name="unmask_phone"),
    path("stand-ins/", staff_views.stand_in_list, name="stand_ins"),
    path("stand-ins/new/", staff_views.stand_in_create, name="stand_in_create"),
    path("stand-ins/revoke/", staff_views.stand_in_revoke, name="stand_in_revoke"),
    path("password/", staff_views.own_password, name="own_password"),
    path("roles/", staff_views.role_list, name="roles"),
    path("roles/<str:code>/", staff_views.role_edit, name="role_edit"),
], "staff")

channels_patterns = ([
    path("", channels_views.shop_list, name="shops"),
    path("new/", channels_views.shop_create, name="shop_create"),
    path("<str:code>/", channels_views.shop_edit, name="shop_edit"),
], "channels")

urlpatterns = [
    path("", web_views.home, name="home"),
    path("login/", web_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("deadlines/", web_views.deadlines, name="deadlines"),
    path("audit/", core_views.audit_log, name="audit"),
    path("staff/", include(staff_patterns)),
    path("shops/", include(channels_patterns)),
    path("inventory/", include("shopdesk.inventory.urls")),
    path("catalog/", include("shopdesk.catalog.urls")),
    path("orders/", include("shopdesk.orders.urls")),
    path("fulfilment/", include("shopdesk.fulfillment.urls")),
    path("aftersales/", include("shopdesk.aftersales.urls")),
    path("reviews/", include("shopdesk.reviews.urls")),
    path("service/", include("shopdesk.service.urls")),
    path("api/v1/me/", core_api.me, name="api-me"),
    path("api/v1/catalog/import/", catalog_api.ImportView.as_view(), name="api-catalog-import"),
    path("api/v1/catalog/export/", catalog_api.ExportView.as_view(), name="api-catalog-export"),
    path("api/v1/catalog/template/", catalog_api.TemplateView.as_view(), name="api-catalog-template"),
    path("api/v1/service/", include("shopdesk.service.api_urls")),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI sets one inline <style>; its scripts stay external (split view), so only styles are relaxed here.
    # A page for people: anonymous visitors go to the login page (DRF views opt out of LoginRequiredMiddleware).
    path("api/docs/", login_required(csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"))), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler403 = "shopdesk.web.views.permission_denied"
handler404 = "shopdesk.web.views.page_not_found"
