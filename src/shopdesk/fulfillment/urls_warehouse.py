"""URL patterns of the warehouse pages (included by urls.py): the stage board, print batches and their PDFs, the
pick screen, the waybill number by hand, the check station, the ship station and the hand-over lists."""

from django.urls import path

from shopdesk.fulfillment import views as v

urlpatterns: list = [
    path("", v.home, name="warehouse"),
    path("batches/", v.batch_list, name="batches"),
    path("batches/new/", v.batch_new, name="batch_new"),
    path("batches/<int:pk>/", v.batch_detail, name="batch"),
    path("batches/<int:pk>/documents/<str:document>.pdf", v.batch_document, name="batch_document"),
    path("batches/<int:pk>/pick/", v.pick, name="pick"),
    path("batches/<int:pk>/pick/scan/", v.pick_scan, name="pick_scan"),
    path("batches/<int:pk>/pick/stop/", v.pick_stop, name="pick_stop"),
    path("orders/<int:pk>/waybill/", v.waybill, name="waybill"),
    path("check/", v.check, name="check"),
    path("check/<int:pk>/", v.check_order, name="check_order"),
    path("check/<int:pk>/scan/", v.check_scan, name="check_scan"),
    path("check/<int:pk>/confirm/", v.check_confirm, name="check_confirm"),
    path("check/<int:pk>/pack/", v.check_pack, name="check_pack"),
    path("ship/", v.ship, name="ship"),
    path("ship/scan/", v.ship_scan, name="ship_scan"),
    path("handovers/", v.handover_list, name="handovers"),
    path("handovers/new/", v.handover_create, name="handover_create"),
    path("handovers/<int:pk>/", v.handover_detail, name="handover"),
]
