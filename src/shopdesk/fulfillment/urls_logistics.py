"""URL patterns of the logistics pages (included by urls.py): the tracking import, the logistics exceptions queue
and disputes, missing-item claims with their photo, the courier bills and their settlement workbook."""

from django.urls import path

from shopdesk.fulfillment import views_logistics as v

urlpatterns: list = [
    path("tracking/import/", v.tracking_import, name="tracking_import"),
    path("exceptions/", v.exceptions, name="exceptions"),
    path("exceptions/check/", v.exceptions_check, name="exceptions_check"),
    path("exceptions/<int:pk>/close/", v.exception_close, name="exception_close"),
    path("shipments/<int:pk>/dispute/", v.dispute, name="dispute"),
    path("missing-items/", v.missing_items, name="missing_items"),
    path("missing-items/new/<int:order_pk>/", v.missing_item_new, name="missing_item_new"),
    path("missing-items/<int:pk>/", v.missing_item, name="missing_item"),
    path("missing-items/<int:pk>/photo/", v.missing_item_photo, name="missing_item_photo"),
    path("missing-items/<int:pk>/confirm/", v.missing_item_confirm, name="missing_item_confirm"),
    path("missing-items/<int:pk>/reject/", v.missing_item_reject, name="missing_item_reject"),
    path("notices/", v.notices, name="notices"),
    path("notices/sent/", v.notices_sent, name="notices_sent"),
    path("notices/<int:pk>/sent/", v.notice_sent, name="notice_sent"),
    path("bills/", v.bills, name="bills"),
    path("bills/import/", v.bill_import, name="bill_import"),
    path("bills/<int:pk>/", v.bill_detail, name="bill"),
    path("bills/<int:pk>/settlement.xlsx", v.bill_settlement, name="bill_settlement"),
    path("bills/<int:pk>/reconcile/", v.bill_reconcile, name="bill_reconcile"),
]
