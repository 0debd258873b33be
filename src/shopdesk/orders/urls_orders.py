"""The order pool and each order's page (included by orders/urls.py, namespace "orders")."""

from django.urls import path

from shopdesk.orders import views

urlpatterns = [
    path("", views.order_list, name="list"),
    path("batch/", views.order_batch, name="list_batch"),
    path("export.xlsx", views.order_export, name="export"),
    path("<int:pk>/", views.order_detail, name="detail"),
    path("<int:pk>/unmask/", views.order_unmask, name="unmask"),
    path("<int:pk>/verify/", views.order_verify, name="verify"),
    path("<int:pk>/recheck/", views.order_recheck, name="recheck"),
    path("<int:pk>/pay/", views.order_pay, name="pay"),
    path("<int:pk>/remind/", views.order_remind, name="remind"),
    path("<int:pk>/after-sales/", views.after_sales, name="after_sales"),
    path("<int:pk>/address/", views.change_address, name="change_address"),
    path("<int:pk>/requests/", views.change_requests, name="change_requests"),
    path("<int:pk>/notes/", views.add_note, name="add_note"),
    path("<int:pk>/money/", views.change_money, name="change_money"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("<int:pk>/split/", views.split, name="split"),
    path("<int:pk>/merge/", views.merge, name="merge"),
]
