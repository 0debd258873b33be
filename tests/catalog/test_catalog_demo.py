"""The demo assortment: realistic, idempotent, listed on the demo shops, with stars that vary."""

from __future__ import annotations

from django.urls import reverse

from shopdesk.catalog import selectors
from shopdesk.catalog.demo import load_catalog_demo
from shopdesk.catalog.models import SKU, Listing, PriceChange, Product, ProductImage
from shopdesk.channels import services as channel_services
from shopdesk.core.models import AuditEvent
from shopdesk.demo import DEMO_SHOPS


def test_demo_catalog(make_user, client_for):
    shops = [channel_services.add_shop(actor=None, code=c, platform=p, name=n) for c, p, n in DEMO_SHOPS]
    make_user("operations", username="lina", shops=shops)
    assert load_catalog_demo() is True
    products = Product.objects.count()
    assert 18 <= products <= 25
    per_product = [p.skus.count() for p in Product.objects.all()]
    assert min(per_product) >= 1 and max(per_product) <= 8 and sum(n >= 3 for n in per_product) >= 15
    barcodes = list(SKU.objects.values_list("barcode", flat=True))
    assert all(b and b.startswith("69") and len(b) == 13 for b in barcodes) and len(set(barcodes)) == len(barcodes)
    hygiene = Product.objects.get(name="纯棉三角内裤")
    assert hygiene.is_hygiene and "cmsjnk" in hygiene.search_text
    assert ProductImage.objects.exists()
    assert Listing.objects.filter(shop__code="jd-store").count() < Listing.objects.filter(
        shop__code="tmall-flagship").count()  # JD sells its own range
    assert Listing.objects.filter(status="delisted").exists()
    assert set(PriceChange.objects.values_list("status", flat=True)) == {"applied", "pending"}
    stars = {q.stars for q in selectors.quality_of(selectors.listings_visible_to(
        make_user("manager"))).values()}
    assert len(stars) >= 3
    assert AuditEvent.objects.filter(action="catalog.create_product").count() == products

    assert load_catalog_demo() is False  # idempotent
    assert Product.objects.count() == products

    client = client_for("manager")
    for url in (reverse("catalog:products"), reverse("catalog:listings"), reverse("catalog:price_changes"),
                reverse("catalog:product", args=[hygiene.pk]), reverse("catalog:categories")):
        assert client.get(url).status_code == 200
