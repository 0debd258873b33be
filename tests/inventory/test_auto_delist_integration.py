"""Auto delist at zero sellable stock and relist on restock, end to end through the real stock engine (004:13)."""

from __future__ import annotations

from shopdesk.catalog import services as catalog_services
from shopdesk.catalog.models import Listing, ListingStatus
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine


def test_listing_follows_the_stock_of_the_warehouses_serving_its_shop(hz, jdw, make_sku, loc, shop, other_shop):
    hz.shops.set([shop])  # 杭州总仓 serves the Tmall shop only; 京东前置仓 serves nobody here
    sku = make_sku("AUTO-1")
    listing = catalog_services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="TM-AUTO-1")
    manual = catalog_services.create_listing(actor=None, shop=shop, sku=make_sku("MAN-1"), channel_sku_code="TM-M",
                                             auto_delist=False)
    assert listing.status == ListingStatus.DELISTED and listing.auto_delisted  # no stock yet: not on sale

    engine.receive(sku=sku, location=loc(jdw, "J-01"), quantity=5, reference="PO-JD")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELISTED  # stock in a warehouse that does not serve this shop

    engine.receive(sku=sku, location=loc(hz, "A-01-01"), quantity=2, reference="PO-HZ")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.LISTED  # relisted on restock

    engine.reserve(sku, 2, "order:1", warehouse=hz)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELISTED and listing.delist_reason  # nothing sellable left

    reservation = engine.reserve(sku, 1, "order:2", warehouse=jdw).reservation
    engine.release(reservation)
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELISTED  # other warehouses' movements do not relist it

    catalog_services.delist_listing(actor=None, listing=Listing.objects.get(pk=listing.pk), reason="停售")
    engine.receive(sku=sku, location=loc(hz, "A-01-02"), quantity=3, reference="PO-HZ2")
    listing.refresh_from_db()
    assert listing.status == ListingStatus.DELISTED  # delisted by hand: never relisted automatically
    manual.refresh_from_db()
    assert manual.status == ListingStatus.LISTED  # auto delist turned off: stays listed at zero stock
    assert AuditEvent.objects.filter(object_type="catalog.listing", object_id=str(listing.pk)).count() >= 4
    assert engine.verify_ledger() == []
