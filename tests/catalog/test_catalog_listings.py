"""Listings per shop: channel SKU code mapping for the order importer, manual delist/relist, and the automatic
delist on stock-out / relist on restock driven by the inventory engine's stock_changed signal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from shopdesk.catalog import selectors, services
from shopdesk.catalog.models import OUT_OF_STOCK_REASON, Listing, ListingStatus
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent


@pytest.fixture
def sku(make_product):
    return make_product(colours=["肤色"], sizes=["70B", "75B"]).skus.order_by("id").first()


def test_channel_code_mapping(shop, other_shop, make_product):
    product = make_product(colours=["肤色"], sizes=["70B", "75B"])
    a, b = product.skus.order_by("id")
    services.create_listing(actor=None, shop=shop, sku=a, channel_sku_code="TM-001")
    services.create_listing(actor=None, shop=other_shop, sku=b, channel_sku_code="TM-001")
    assert selectors.sku_for_channel_code(shop, "TM-001") == a
    assert selectors.sku_for_channel_code(shop, " TM-001 ") == a
    assert selectors.sku_for_channel_code(other_shop, "TM-001") == b
    assert selectors.sku_for_channel_code(shop, "tm-001") is None  # exact: never a guess
    assert selectors.sku_for_channel_code(shop, "") is None
    assert selectors.unmapped_codes(shop, ["TM-001", "X-9", "X-9", "", "Y-1"]) == ["X-9", "Y-1"]
    assert selectors.skus_for_channel_codes(shop, ["TM-001", "nope"]) == {"TM-001": a}


def test_channel_code_and_sku_unique_per_shop(shop, make_product):
    product = make_product(colours=["肤色"], sizes=["70B", "75B"])
    a, b = product.skus.order_by("id")
    services.create_listing(actor=None, shop=shop, sku=a, channel_sku_code="C1")
    with pytest.raises(Conflict) as exc:
        services.create_listing(actor=None, shop=shop, sku=b, channel_sku_code="C1")
    assert a.code in exc.value.fields["channel_sku_code"][0]
    with pytest.raises(Conflict):
        services.create_listing(actor=None, shop=shop, sku=a, channel_sku_code="C2")
    assert Listing.objects.count() == 1


def test_listing_needs_an_assigned_shop(shop, other_shop, sku, make_user):
    editor = make_user("product_editor", shops=[shop])
    services.create_listing(actor=editor, shop=shop, sku=sku, channel_sku_code="C1")
    with pytest.raises(NotAllowed):
        services.create_listing(actor=editor, shop=other_shop, sku=sku, channel_sku_code="C1")
    assert AuditEvent.objects.filter(action="catalog.create_listing").count() == 1


def test_manual_delist_and_relist(shop, sku, make_user, stock):
    ops = make_user("operations", shops=[shop])
    listing = services.create_listing(actor=ops, shop=shop, sku=sku, channel_sku_code="C1")
    services.delist_listing(actor=ops, listing=listing, reason="换季")
    listing.refresh_from_db()
    assert (listing.status, listing.delist_reason, listing.auto_delisted) == ("delisted", "换季", False)
    with pytest.raises(ServiceError) as exc:  # no stock: it would be delisted again at once
        services.relist_listing(actor=ops, listing=listing)
    assert exc.value.code == "out_of_stock"
    stock.set(sku, shop, 5)
    services.relist_listing(actor=ops, listing=listing)
    listing.refresh_from_db()
    assert listing.status == "listed" and listing.delist_reason == ""
    assert AuditEvent.objects.filter(action__in=["catalog.delist_listing", "catalog.relist_listing"],
                                     actor=ops).count() == 2


def test_auto_delist_on_stock_out_and_relist_on_restock(shop, other_shop, sku, stock):
    stock.default = 5
    here = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    there = services.create_listing(actor=None, shop=other_shop, sku=sku, channel_sku_code="C1")
    stock.set(sku, shop, 0)
    stock.set(sku, other_shop, 3)
    result = services.sync_listing_availability(sku_ids=[sku.pk])
    assert [x.pk for x in result.delisted] == [here.pk] and result.relisted == []
    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.status, here.delist_reason, here.auto_delisted) == ("delisted", OUT_OF_STOCK_REASON, True)
    assert there.status == "listed"
    event = AuditEvent.objects.get(action="catalog.auto_delist_listing")
    assert event.actor is None and event.actor_label == "system" and event.object_id == str(here.pk)
    assert event.reason == OUT_OF_STOCK_REASON

    stock.set(sku, shop, 2)
    result = services.sync_listing_availability(sku_ids=[sku.pk])
    here.refresh_from_db()
    assert [x.pk for x in result.relisted] == [here.pk]
    assert (here.status, here.delist_reason, here.auto_delisted) == ("listed", "", False)
    assert AuditEvent.objects.filter(action="catalog.auto_relist_listing", actor__isnull=True).count() == 1


def test_no_stock_record_counts_as_zero(shop, sku, stock):
    stock.set(sku, shop, 2)
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    assert listing.status == "listed"
    stock.levels.clear()  # no stock record at all for this shop any more
    services.sync_listing_availability(sku_ids=[sku.pk])
    listing.refresh_from_db()
    assert listing.status == "delisted" and listing.auto_delisted


def test_a_sku_without_stock_starts_delisted_and_is_listed_when_stock_arrives(shop, sku, stock):
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    assert (listing.status, listing.auto_delisted, listing.delist_reason) == ("delisted", True, OUT_OF_STOCK_REASON)
    presale = services.create_listing(actor=None, shop=shop, sku=sku.product.skus.exclude(pk=sku.pk).first(),
                                      channel_sku_code="C2", auto_delist=False)
    assert presale.status == "listed"  # pre-sale: automatic delisting off
    stock.set(sku, shop, 1)
    services.sync_listing_availability(sku_ids=[sku.pk])
    listing.refresh_from_db()
    assert listing.status == "listed"


def test_manually_delisted_is_never_relisted_and_auto_delist_can_be_off(shop, make_product, stock):
    product = make_product(colours=["肤色"], sizes=["70B", "75B"])
    a, b = product.skus.order_by("id")
    manual = services.create_listing(actor=None, shop=shop, sku=a, channel_sku_code="C1")
    services.delist_listing(actor=None, listing=manual, reason="质量问题暂停")
    presale = services.create_listing(actor=None, shop=shop, sku=b, channel_sku_code="C2", auto_delist=False)
    stock.set(a, shop, 0)
    stock.set(b, shop, 0)
    services.sync_listing_availability(sku_ids=[a.pk, b.pk])
    presale.refresh_from_db()
    assert presale.status == "listed"  # auto delisting turned off
    stock.set(a, shop, 9)
    services.sync_listing_availability(sku_ids=[a.pk, b.pk])
    manual.refresh_from_db()
    assert manual.status == "delisted" and manual.delist_reason == "质量问题暂停"
    assert not AuditEvent.objects.filter(action__startswith="catalog.auto_").exists()


def test_turning_auto_delist_off_keeps_an_auto_delisted_listing_as_it_is(shop, sku, stock, make_user):
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    services.sync_listing_availability(sku_ids=[sku.pk])
    services.update_listing(actor=make_user("operations", shops=[shop]), listing=listing, auto_delist=False)
    stock.set(sku, shop, 4)
    services.sync_listing_availability(sku_ids=[sku.pk])
    listing.refresh_from_db()
    assert listing.status == "delisted" and not listing.auto_delist


def test_stock_changed_signal_drives_the_sync_inside_the_posting_transaction(shop, sku, stock):
    signals = pytest.importorskip("shopdesk.inventory.signals")
    stock.set(sku, shop, 1)
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    stock.set(sku, shop, 0)
    stock.calls.clear()
    with transaction.atomic():
        signals.stock_changed.send(sender=None, sku_ids=[sku.pk])
        listing.refresh_from_db()
        assert listing.status == ListingStatus.DELISTED  # already inside the sender's transaction
    assert stock.calls == [[sku.pk]]


def test_stock_changed_rolls_back_with_the_posting(shop, sku, stock):
    signals = pytest.importorskip("shopdesk.inventory.signals")
    stock.set(sku, shop, 1)
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    stock.set(sku, shop, 0)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        signals.stock_changed.send(sender=None, sku_ids=[sku.pk])
        raise Boom
    listing.refresh_from_db()
    assert listing.status == "listed"
    assert not AuditEvent.objects.filter(action="catalog.auto_delist_listing").exists()


def test_update_listing_channel_price_goes_through_the_price_rule(shop, sku, make_user):
    ops = make_user("operations", shops=[shop])
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    with pytest.raises(ServiceError) as exc:
        services.update_listing(actor=ops, listing=listing, channel_price=Decimal("95"))
    assert "price_reason" in exc.value.fields
    change = services.update_listing(actor=ops, listing=listing, channel_price=Decimal("95"), price_reason="活动",
                                     channel_sku_code="C1-NEW")
    listing.refresh_from_db()
    assert change.status == "applied" and listing.channel_price == Decimal("95")
    assert listing.channel_sku_code == "C1-NEW"
    change = services.update_listing(actor=ops, listing=listing, channel_price=Decimal("60"), price_reason="清仓")
    listing.refresh_from_db()
    assert change.status == "pending" and listing.channel_price == Decimal("95")
