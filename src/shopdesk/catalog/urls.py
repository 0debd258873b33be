"""Catalog pages under /catalog/ (included from shopdesk.urls with namespace "catalog")."""

from django.urls import path

from shopdesk.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="products"),
    path("new/", views.product_create, name="product_create"),
    path("<int:pk>/", views.product_detail, name="product"),
    path("<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("<int:pk>/delete/", views.product_delete, name="product_delete"),
    path("<int:pk>/images/", views.product_images_upload, name="product_images_upload"),
    path("images/<int:pk>/", views.product_image, name="image"),
    path("images/<int:pk>/move/", views.product_image_move, name="image_move"),
    path("images/<int:pk>/delete/", views.product_image_delete, name="image_delete"),
    path("listings/", views.listing_list, name="listings"),
    path("listings/new/", views.listing_create, name="listing_create"),
    path("listings/batch/", views.listing_batch, name="listing_batch"),
    path("listings/<int:pk>/", views.listing_edit, name="listing_edit"),
    path("listings/<int:pk>/status/", views.listing_status, name="listing_status"),
    path("price-changes/", views.price_change_list, name="price_changes"),
    path("price-changes/decide/", views.price_change_decide, name="price_change_decide"),
    path("import/", views.import_page, name="import"),
    path("export.xlsx", views.export_download, name="export"),
    path("template.xlsx", views.template_download, name="template"),
    path("categories/", views.category_list, name="categories"),
    path("categories/attributes/<int:pk>/delete/", views.attribute_delete, name="attribute_delete"),
]
