"""Products and their SKU grid: create, update, unique codes and barcodes, attributes, description, pinyin search,
photos. Every write leaves its audit row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shopdesk.catalog import selectors, services
from shopdesk.catalog.models import SKU, Product, ProductImage
from shopdesk.core.errors import NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def test_create_product_with_skus_and_audit(make_user, brand, bra):
    editor = make_user("product_editor")
    product = services.create_product(
        actor=editor, item_number="AZB-B001", name="无钢圈文胸", title="安之伴无钢圈文胸 纯棉 肤色",
        brand=brand, category=bra, attributes={"面料": "纯棉", "罩杯": "3/4杯"}, list_price=Decimal("129"),
        skus=[services.SkuInput(code="B001-SK-70B", colour="肤色", size="70B", barcode="6923456000011"),
              services.SkuInput(code="B001-BK-75B", colour="黑色", size="75B", list_price=Decimal("139"))],
        is_key_product=True)
    assert product.attributes == {"面料": "纯棉", "罩杯": "3/4杯"}
    skus = list(product.skus.order_by("id"))
    assert [s.code for s in skus] == ["B001-SK-70B", "B001-BK-75B"]
    assert skus[0].barcode == "6923456000011" and skus[1].barcode is None
    assert skus[0].price == Decimal("129") and skus[1].price == Decimal("139")
    event = AuditEvent.objects.get(action="catalog.create_product")
    assert event.actor == editor and event.object_id == str(product.pk)
    assert event.changes["item_number"]["after"] == "AZB-B001"


def test_search_text_holds_pinyin_codes_and_barcodes(make_product):
    product = make_product(item_number="AZB-B001", name="无钢圈文胸", title="安之伴 Soft 文胸")
    text = product.search_text
    assert "wgqwx" in text and "azb-b001" in text and "soft" in text  # lower-cased
    for sku in product.skus.all():
        assert sku.code.lower() in text and sku.barcode in text


@pytest.mark.parametrize("query", ["wgqwx", "WGQWX", "钢圈", "azb-b001", "AZB-B001-黑色-75B"])
def test_search_finds_by_pinyin_name_item_number_and_sku(make_product, query):
    wanted = make_product(item_number="AZB-B001", name="无钢圈文胸")
    make_product(item_number="AZB-P001", name="纯棉三角内裤")
    found = list(selectors.search_products(Product.objects.all(), query))
    assert found == [wanted]


def test_search_by_barcode(make_product):
    make_product(name="纯棉三角内裤")
    wanted = make_product(name="莫代尔睡衣套装")
    barcode = wanted.skus.first().barcode
    assert list(selectors.search_products(Product.objects.all(), barcode)) == [wanted]
    assert list(selectors.search_products(Product.objects.all(), "mdesytz")) == [wanted]  # 莫代尔睡衣套装


def test_duplicate_barcode_is_refused_with_a_clear_error(make_product, english):
    first = make_product(item_number="A1")
    taken = first.skus.first()
    with pytest.raises(ServiceError) as exc:
        services.create_product(actor=None, item_number="A2", name="新品", skus=[
            services.SkuInput(code="A2-1", barcode="6900000000001"),
            services.SkuInput(code="A2-2", barcode=taken.barcode)])
    assert exc.value.fields["skus.1.barcode"] == [
        f"Barcode {taken.barcode} is already used by SKU {taken.code} of product A1."]
    assert not Product.objects.filter(item_number="A2").exists()
    with pytest.raises(ServiceError) as exc:
        services.create_product(actor=None, item_number="A3", name="新品", skus=[
            services.SkuInput(code="A3-1", barcode="6900000000009"),
            services.SkuInput(code="A3-2", barcode="6900000000009")])
    assert "skus.1.barcode" in exc.value.fields


def test_duplicate_sku_code_and_item_number(make_product):
    make_product(item_number="A1")
    code = SKU.objects.first().code
    with pytest.raises(ServiceError) as exc:
        services.create_product(actor=None, item_number="a1", name="x", skus=[services.SkuInput(code=code)])
    assert "item_number" in exc.value.fields and "skus.0.code" in exc.value.fields


def test_item_number_format_and_required_fields(db):
    with pytest.raises(ServiceError) as exc:
        services.create_product(actor=None, item_number="a/b", name=" ", skus=[])
    assert set(exc.value.fields) >= {"item_number", "name", "skus"}


def test_attributes_must_belong_to_the_category_and_match_choices(make_product, bra):
    with pytest.raises(ServiceError) as exc:
        make_product(attributes={"罩杯": "D杯", "颜色": "红"})
    assert "attributes.罩杯" in exc.value.fields and "attributes.颜色" in exc.value.fields


def test_description_is_sanitised(make_product):
    product = make_product(description='<p onclick="x()">好<script>alert(1)</script><b>棉</b>'
                                       '<a href="javascript:x">链接</a><img src=x onerror=y></p>')
    assert product.description == "<p>好<b>棉</b>链接</p>"


def test_update_product_and_sku_grid(make_product, make_user):
    editor = make_user("product_editor")
    product = make_product(colours=["肤色"], sizes=["70B"])
    sku = product.skus.get()
    result = services.update_product(actor=editor, product=product, title="安之伴 新标题", skus=[
        services.SkuInput(id=sku.pk, code=sku.code, colour="肤色", size="70B", barcode="6911111111111"),
        services.SkuInput(code=f"{product.item_number}-NEW", colour="黑色", size="75B")])
    product.refresh_from_db()
    assert result.changed and result.price_changes == []
    assert product.title == "安之伴 新标题"
    assert product.skus.count() == 2 and "6911111111111" in product.search_text
    event = AuditEvent.objects.get(action="catalog.update_product")
    assert event.changes["title"]["after"] == "安之伴 新标题"
    assert any(k.endswith(".barcode") for k in event.changes)


def test_update_without_changes_writes_no_audit_row(make_product):
    product = make_product()
    services.update_product(actor=None, product=product, name=product.name)
    assert not AuditEvent.objects.filter(action="catalog.update_product").exists()


def test_category_change_drops_attributes_of_the_old_category(make_product, briefs):
    product = make_product(attributes={"面料": "纯棉", "罩杯": "3/4杯"})
    services.update_product(actor=None, product=product, category=briefs)
    product.refresh_from_db()
    assert product.attributes == {"面料": "纯棉"}


def test_product_editor_may_not_change_prices_or_set_costs(make_product, make_user):
    editor = make_user("product_editor")
    product = make_product()
    with pytest.raises(ServiceError) as exc:
        services.update_product(actor=editor, product=product, list_price=Decimal("90"), price_reason="促销")
    assert "price_reason" in exc.value.fields
    with pytest.raises(NotAllowed):
        make_product(actor=editor, cost_price=Decimal("30"))
    merch = make_user("merchandiser")
    assert make_product(actor=merch, cost_price=Decimal("30")).cost_price == Decimal("30")


def test_images_are_checked_by_content_stored_by_item_number_and_ordered(make_product, make_user, media,
                                                                        django_capture_on_commit_callbacks):
    designer = make_user("designer")
    product = make_product(item_number="AZB-B001")
    bad = SimpleUploadedFile("photo.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    with pytest.raises(ServiceError) as exc:
        services.add_product_images(actor=designer, product=product,
                                    files=[SimpleUploadedFile("a.png", PNG), bad])
    assert "photo.jpg" in exc.value.fields["images"][0]
    assert not ProductImage.objects.exists()
    images = services.add_product_images(actor=designer, product=product, files=[
        SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.jpg", JPEG),
        SimpleUploadedFile("c.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20),
        SimpleUploadedFile("d.gif", b"GIF89a" + b"\x00" * 20)])
    assert [i.content_type for i in images] == ["image/png", "image/jpeg", "image/webp", "image/gif"]
    assert all(i.file.name.startswith("products/AZB-B001/") for i in images)
    assert (media / images[0].file.name).exists()
    services.reorder_product_images(actor=designer, product=product,
                                    image_ids=[images[1].pk, images[0].pk, images[2].pk, images[3].pk])
    assert list(product.images.values_list("pk", flat=True)) == [images[1].pk, images[0].pk, images[2].pk,
                                                                  images[3].pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_product_image(actor=designer, image=images[1])
    assert [i.sort for i in product.images.all()] == [0, 1, 2]
    assert not (media / images[1].file.name).exists()  # the file goes once the removal is committed
    actions = list(AuditEvent.objects.filter(object_type="catalog.product").values_list("action", flat=True))
    assert {"catalog.add_product_images", "catalog.reorder_product_images", "catalog.delete_product_image"} <= set(
        actions)


def test_images_are_served_only_to_people_who_may_see_products(make_product, client_for):
    product = make_product()
    image = services.add_product_images(actor=None, product=product, files=[SimpleUploadedFile("a.png", PNG)])[0]
    url = reverse("catalog:image", args=[image.pk])
    response = client_for("cs_presales").get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert client_for("legal").get(url).status_code == 403
    assert not url.startswith("/media/")


def test_delete_a_product_entered_by_mistake_but_not_one_in_use(make_product, make_user, shop, media,
                                                                django_capture_on_commit_callbacks):
    editor = make_user("product_editor")
    mistake = make_product(item_number="OOPS-1")
    image = services.add_product_images(actor=None, product=mistake, files=[SimpleUploadedFile("a.png", PNG)])[0]
    path = media / image.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_product(actor=editor, product=mistake)
    assert not Product.objects.filter(item_number="OOPS-1").exists() and not SKU.objects.filter(
        code__startswith="OOPS-1").exists()
    assert not path.exists()
    event = AuditEvent.objects.get(action="catalog.delete_product")
    assert event.actor == editor and event.changes["item_number"]["before"] == "OOPS-1"
    used = make_product(item_number="USED-1")
    services.create_listing(actor=None, shop=shop, sku=used.skus.first(), channel_sku_code="U-1")
    with pytest.raises(ServiceError) as exc:
        services.delete_product(actor=editor, product=used)
    assert exc.value.code == "in_use" and Product.objects.filter(item_number="USED-1").exists()
    assert used.skus.count() == 4 and AuditEvent.objects.filter(action="catalog.delete_product").count() == 1
