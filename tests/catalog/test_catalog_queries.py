"""The product list, listing list and their API cost the same number of queries for 3 or 60 products."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shopdesk.catalog import services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
def catalog_of(make_product, shop, stock):
    stock.default = 10  # every listing stays listed

    def make(n):
        for i in range(n):
            product = make_product(item_number=f"Q{i:03d}", colours=["肤色", "黑色"], sizes=["M"],
                                   list_price=Decimal("50"), is_new=i % 2 == 0)
            if i % 3 == 0:
                services.add_product_images(actor=None, product=product, files=[SimpleUploadedFile("a.png", PNG)])
            for sku in product.skus.all():
                services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code=f"C-{sku.code}")
            services.request_price_change(actor=None, target=product, field="list_price", new_value="45",
                                          reason="换季")

    return make


@pytest.mark.parametrize("rows", [3, 60])
def test_catalog_pages_have_bounded_queries(client_for, catalog_of, rows, django_assert_max_num_queries):
    catalog_of(rows)
    client = client_for("manager")
    for url, params in [(reverse("catalog:products"), {}), (reverse("catalog:products"), {"q": "q0"}),
                        (reverse("catalog:products"), {"tab": "no_images"}), (reverse("catalog:listings"), {}),
                        (reverse("catalog:price_changes"), {"tab": "all"})]:
        with django_assert_max_num_queries(16):
            response = client.get(url, {"page_size": 100, **params})
        assert response.status_code == 200


@pytest.mark.parametrize("rows", [3, 60])
def test_catalog_api_lists_have_bounded_queries(api_for, catalog_of, rows, django_assert_max_num_queries):
    catalog_of(rows)
    api = api_for("manager")
    for url in ("/api/v1/catalog/products/", "/api/v1/catalog/skus/", "/api/v1/catalog/listings/",
                "/api/v1/catalog/price-changes/"):
        with django_assert_max_num_queries(10):
            response = api.get(url, {"page_size": 200})
        assert response.status_code == 200 and response.json()["count"] > 0


def test_product_page_has_bounded_queries(client_for, make_product, shop, django_assert_max_num_queries):
    product = make_product(colours=["肤色", "黑色", "酒红"], sizes=["70B", "75B", "80B"])
    for sku in product.skus.all():
        services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code=f"C-{sku.code}")
    client = client_for("manager")
    with django_assert_max_num_queries(20):
        assert client.get(reverse("catalog:product", args=[product.pk])).status_code == 200
