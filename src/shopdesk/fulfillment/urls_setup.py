"""URL patterns of the set-up pages (included by urls.py): carriers with their prices, pools and blind spots, the
shops' shipping settings, the waybill-number import and the dispatch plan."""

from django.urls import path

from shopdesk.fulfillment import views_setup as v

urlpatterns: list = [
    path("carriers/", v.carriers, name="carriers"),
    path("carriers/new/", v.carrier_create, name="carrier_create"),
    path("carriers/coverage-template.xlsx", v.coverage_template, name="coverage_template"),
    path("carriers/<int:pk>/", v.carrier_detail, name="carrier"),
    path("carriers/<int:pk>/edit/", v.carrier_edit, name="carrier_edit"),
    path("carriers/<int:pk>/prices/", v.price_rule_save, name="price_rule_save"),
    path("carriers/<int:pk>/prices/<int:rule_pk>/delete/", v.price_rule_delete, name="price_rule_delete"),
    path("carriers/<int:pk>/fee/", v.fee, name="fee"),
    path("carriers/<int:pk>/pools/range/", v.pool_range, name="pool_range"),
    path("carriers/<int:pk>/pools/import/", v.pool_import, name="pool_import"),
    path("carriers/pools/<int:pool_pk>/active/", v.pool_active, name="pool_active"),
    path("carriers/<int:pk>/coverage/", v.coverage_add, name="coverage_add"),
    path("carriers/<int:pk>/coverage/<int:area_pk>/remove/", v.coverage_remove, name="coverage_remove"),
    path("carriers/<int:pk>/coverage/import/", v.coverage_import, name="coverage_import"),
    path("carriers/shipping/", v.shipping, name="shipping"),
    path("waybills/import/", v.waybill_import, name="waybill_import"),
    path("waybills/template.xlsx", v.waybill_template, name="waybill_template"),
    path("plan/", v.plan, name="plan"),
    path("plan/board/", v.plan_board, name="plan_board"),
]
