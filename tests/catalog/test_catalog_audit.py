"""Every public function of shopdesk.catalog.services writes its audit event, in the transaction of its change.

A new catalog service added without an entry in _calls fails test_every_catalog_service_is_covered, so nobody forgets
its audit row (the same rule tests/core/test_audit.py applies to the kernel, staff and channels).
"""

from __future__ import annotations

import inspect
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from openpyxl import Workbook

from shopdesk.catalog import services
from shopdesk.catalog.models import Product
from shopdesk.core.models import AuditEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def _xlsx() -> SimpleUploadedFile:
    wb = Workbook()
    wb.active.append(["货号", "商品名称", "SKU编码", "颜色"])
    wb.active.append(["IMP-1", "纯棉家居服", "IMP-1-GY", "灰色"])
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("a.xlsx", out.getvalue())


def _calls(make_user, shop, stock):
    ops = make_user("operations", shops=[shop])
    boss = make_user("manager")
    held = {}

    def category():
        held["category"] = services.create_category(actor=boss, name="睡衣")

    def attribute():
        held["attribute"] = services.add_category_attribute(actor=boss, category=held["category"], name="面料")

    def product():
        held["product"] = services.create_product(
            actor=ops, item_number="AUD-1", name="莫代尔睡衣套装", category=held["category"], list_price=Decimal("100"),
            attributes={"面料": "莫代尔"}, skus=[services.SkuInput(code="AUD-1-M", size="M")])

    def images():
        held["images"] = services.add_product_images(actor=ops, product=held["product"], files=[
            SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG)])

    def listing():
        held["listing"] = services.create_listing(actor=ops, shop=shop, sku=held["product"].skus.get(),
                                                  channel_sku_code="TM-AUD-1")

    def pending(name):
        def make():
            held[name] = services.request_price_change(actor=ops, target=held["product"], field="list_price",
                                                       new_value="50", reason="清仓")
        return make

    def approve():
        services.approve_price_change(actor=boss, change=held["approve"])

    def relist():
        stock.set(held["product"].skus.get(), shop, 3)
        services.relist_listing(actor=ops, listing=held["listing"])

    return [
        ("catalog.create_brand", "create_brand", lambda: services.create_brand(actor=boss, name="棉之恋")),
        ("catalog.create_category", "create_category", category),
        ("catalog.add_category_attribute", "add_category_attribute", attribute),
        ("catalog.create_product", "create_product", product),
        ("catalog.update_product", "update_product",
         lambda: services.update_product(actor=ops, product=held["product"], title="安之伴莫代尔睡衣")),
        ("catalog.add_product_images", "add_product_images", images),
        ("catalog.reorder_product_images", "reorder_product_images",
         lambda: services.reorder_product_images(actor=ops, product=held["product"],
                                                 image_ids=[held["images"][1].pk, held["images"][0].pk])),
        ("catalog.delete_product_image", "delete_product_image",
         lambda: services.delete_product_image(actor=ops, image=held["images"][0])),
        ("catalog.create_listing", "create_listing", listing),
        ("catalog.update_listing", "update_listing",
         lambda: services.update_listing(actor=ops, listing=held["listing"], auto_delist=False)),
        ("catalog.change_price", "request_price_change",
         lambda: services.request_price_change(actor=ops, target=held["listing"], field="channel_price",
                                               new_value="95", reason="活动")),
        ("catalog.request_price_change", None, pending("reject")),
        ("catalog.reject_price_change", "reject_price_change",
         lambda: services.reject_price_change(actor=boss, change=held["reject"])),
        ("catalog.request_price_change", None, pending("approve")),
        ("catalog.approve_price_change", "approve_price_change", approve),
        ("catalog.delist_listing", "delist_listing",
         lambda: services.delist_listing(actor=ops, listing=held["listing"], reason="换季")),
        ("catalog.relist_listing", "relist_listing", relist),
        ("catalog.update_listing", None,
         lambda: services.update_listing(actor=ops, listing=held["listing"], auto_delist=True)),
        ("catalog.auto_delist_listing", "sync_listing_availability",
         lambda: (stock.set(held["product"].skus.get(), shop, 0),
                  services.sync_listing_availability(sku_ids=[held["product"].skus.get().pk]))),
        ("catalog.auto_relist_listing", None,
         lambda: (stock.set(held["product"].skus.get(), shop, 7),
                  services.sync_listing_availability(sku_ids=[held["product"].skus.get().pk]))),
        ("catalog.import_products", "import_products_xlsx",
         lambda: services.import_products_xlsx(actor=ops, file=_xlsx(), file_name="a.xlsx")),
        ("catalog.delete_product", "delete_product",
         lambda: services.delete_product(actor=ops, product=Product.objects.get(item_number="IMP-1"))),
        ("catalog.remove_category_attribute", "remove_category_attribute",
         lambda: services.remove_category_attribute(actor=boss, attribute=held["attribute"])),
    ]


def test_every_catalog_service_writes_its_audit_event(make_user, shop, stock):
    for action, _name, call in _calls(make_user, shop, stock):
        before = AuditEvent.objects.filter(action=action).count()
        call()
        assert AuditEvent.objects.filter(action=action).count() == before + 1, action


def test_every_catalog_service_is_covered(make_user, shop, stock):
    covered = {name for _a, name, _c in _calls(make_user, shop, stock) if name}
    public = {name for name, fn in inspect.getmembers(services, inspect.isfunction)
              if fn.__module__ == services.__name__ and not name.startswith("_")}
    assert public - covered == set()


def test_a_failed_write_leaves_no_audit_row(make_product):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        make_product(item_number="GONE-1")
        raise Boom
    assert not Product.objects.filter(item_number="GONE-1").exists()
    assert not AuditEvent.objects.filter(action="catalog.create_product").exists()


def test_a_failed_audit_write_undoes_the_change(make_product, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    with pytest.raises(RuntimeError):
        make_product(item_number="HALF-1")
    assert not Product.objects.filter(item_number="HALF-1").exists()
