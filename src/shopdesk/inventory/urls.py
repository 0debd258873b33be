"""Warehouse pages, included under /inventory/ with the `inventory` namespace."""

from django.urls import path

from shopdesk.inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock, name="stock"),
    path("locations/", views.stock_locations, name="stock_locations"),
    path("sku/<str:code>/", views.sku_stock, name="sku_stock"),
    path("movements/", views.movements, name="movements"),
    path("move/", views.move_stock, name="move_stock"),
    path("health/", views.health, name="health"),
    path("health/<str:code>/", views.threshold_edit, name="threshold_edit"),
    path("warehouses/", views.warehouses, name="warehouses"),
    path("warehouses/new/", views.warehouse_create, name="warehouse_create"),
    path("warehouses/<str:code>/", views.warehouse_detail, name="warehouse_detail"),
    path("warehouses/<str:code>/edit/", views.warehouse_edit, name="warehouse_edit"),
    path("warehouses/<str:code>/zones/new/", views.zone_create, name="zone_create"),
    path("warehouses/<str:code>/zones/<int:pk>/", views.zone_edit, name="zone_edit"),
    path("warehouses/<str:code>/locations/new/", views.location_create, name="location_create"),
    path("warehouses/<str:code>/locations/<int:pk>/", views.location_edit, name="location_edit"),
    path("purchase-orders/", views.purchase_orders, name="purchase_orders"),
    path("purchase-orders/new/", views.purchase_order_create, name="purchase_order_create"),
    path("purchase-orders/<str:number>/", views.purchase_order_detail, name="purchase_order_detail"),
    path("purchase-orders/<str:number>/close/", views.purchase_order_close, name="purchase_order_close"),
    path("purchase-orders/<str:number>/receive/", views.receipt_create, name="receipt_create"),
    path("receipts/", views.receipts, name="receipts"),
    path("receipts/<str:number>/", views.receipt_detail, name="receipt_detail"),
    path("receipts/<str:number>/post/", views.receipt_post, name="receipt_post"),
    path("receipts/<str:number>/put-away/<int:line>/", views.put_away, name="put_away"),
    path("transfers/", views.transfers, name="transfers"),
    path("transfers/new/", views.transfer_create, name="transfer_create"),
    path("transfers/<str:number>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<str:number>/dispatch/", views.transfer_dispatch, name="transfer_dispatch"),
    path("transfers/<str:number>/receive/", views.transfer_receive, name="transfer_receive"),
    path("transfers/<str:number>/cancel/", views.transfer_cancel, name="transfer_cancel"),
    path("stocktakes/", views.stocktakes, name="stocktakes"),
    path("stocktakes/new/", views.stocktake_create, name="stocktake_create"),
    path("stocktakes/<str:number>/", views.stocktake_detail, name="stocktake_detail"),
    path("stocktakes/<str:number>/count/", views.stocktake_count, name="stocktake_count"),
    path("stocktakes/<str:number>/scan/", views.stocktake_scan, name="stocktake_scan"),
    path("stocktakes/<str:number>/lines/<int:pk>/", views.stocktake_set_count, name="stocktake_set_count"),
    path("stocktakes/<str:number>/submit/", views.stocktake_submit, name="stocktake_submit"),
    path("stocktakes/<str:number>/approve/", views.stocktake_approve, name="stocktake_approve"),
    path("stocktakes/<str:number>/return/", views.stocktake_return, name="stocktake_return"),
    path("stocktakes/<str:number>/cancel/", views.stocktake_cancel, name="stocktake_cancel"),
    path("stocktakes/<str:number>/report.xlsx", views.stocktake_export, name="stocktake_export"),
    path("reports/", views.reports, name="reports"),
    path("reports/export.xlsx", views.report_export, name="report_export"),
    path("periods/", views.periods, name="periods"),
]
