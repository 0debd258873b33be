"""The catalog pages: product editor with generated attribute fields and the SKU grid, errors beside the fields,
photos, listings with stars and suggestions, escaping, categories and brands."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shopdesk.catalog import services
from shopdesk.catalog.models import SKU, Category, CategoryAttribute, Listing, PriceChange, Product

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def product_post(bra, **overrides):
    attrs = {a.name: a.pk for a in bra.attributes.all()}
    data = {
        "item_number": "AZB-B001", "name": "无钢圈文胸", "title": "安之伴无钢圈文胸 纯棉 肤色", "brand": "",
        "category": bra.pk, "list_price": "129", "member_price": "", "vip_price": "", "weight_grams": "120",
        "is_active": "on", "is_key_product": "on", "description": "<p>规格</p>",
        f"attr_{attrs['面料']}": "纯棉", f"attr_{attrs['罩杯']}": "3/4杯",
        "skus-TOTAL_FORMS": "3", "skus-INITIAL_FORMS": "0", "skus-MIN_NUM_FORMS": "0", "skus-MAX_NUM_FORMS": "1000",
        "skus-0-code": "B001-SK-70B", "skus-0-colour": "肤色", "skus-0-size": "70B", "skus-0-barcode": "6923456000011",
        "skus-0-is_active": "on",
        "skus-1-code": "B001-BK-75B", "skus-1-colour": "黑色", "skus-1-size": "75B", "skus-1-list_price": "139",
        "skus-1-is_active": "on",
    }
    data.update(overrides)
    return data


def test_create_product_through_the_editor(client_for, bra, brand):
    client = client_for("product_editor")
    form = client.get(reverse("catalog:product_create")).content.decode()
    assert f'data-attr-category="{bra.pk}"' in form and "罩杯" in form and 'data-sku-template' in form
    assert 'name="cost_price"' not in form  # no cost prices without the permission
    response = client.post(reverse("catalog:product_create"), product_post(bra, brand=brand.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(item_number="AZB-B001")
    assert response["Location"] == reverse("catalog:product", args=[product.pk])
    assert product.attributes == {"面料": "纯棉", "罩杯": "3/4杯"} and product.is_key_product
    assert list(product.skus.values_list("code", "list_price")) == [("B001-SK-70B", None),
                                                                    ("B001-BK-75B", Decimal("139"))]


def test_duplicate_barcode_shows_beside_its_row(client_for, bra, make_product):
    taken = make_product(item_number="OLD-1").skus.first()
    client = client_for("product_editor")
    html = client.post(reverse("catalog:product_create"),
                       product_post(bra, **{"skus-1-barcode": taken.barcode})).content.decode()
    assert not Product.objects.filter(item_number="AZB-B001").exists()
    row = html.split('name="skus-1-code"', 1)[1].split("</tr>", 1)[0]
    assert "field-error" in row and taken.barcode in row and taken.code in row


def test_attribute_choice_error_shows_beside_the_attribute(client_for, bra):
    cup = CategoryAttribute.objects.get(category=bra, name="罩杯")
    html = client_for("merchandiser").post(reverse("catalog:product_create"), product_post(
        bra, **{f"attr_{cup.pk}": "D杯"})).content.decode()
    assert not Product.objects.exists()
    field = html.split(f'id="id_attr_{cup.pk}"', 1)[1].split("</div>\n", 2)[0:2]
    assert "field-error" in "".join(field)


def test_edit_price_beyond_authority_waits_for_approval(client_for, bra, make_product):
    product = make_product(item_number="AZB-B001", colours=["肤色"], sizes=["70B"], list_price=Decimal("100"))
    sku = product.skus.get()
    client = client_for("operations")
    data = product_post(bra, list_price="60", price_reason="清仓", **{
        "skus-TOTAL_FORMS": "1", "skus-INITIAL_FORMS": "1", "skus-0-id": str(sku.pk), "skus-0-code": sku.code,
        "skus-0-barcode": sku.barcode})
    response = client.post(reverse("catalog:product_edit", args=[product.pk]), data, follow=True)
    html = response.content.decode()
    product.refresh_from_db()
    assert product.list_price == Decimal("100") and PriceChange.objects.get().status == "pending"
    assert "msg-warning" in html
    editor_form = client_for("product_editor").get(reverse("catalog:product_edit", args=[product.pk])).content
    assert re.search(rb'name="list_price"[^>]*disabled', editor_form)


def test_product_list_tabs_search_and_filters(client_for, make_product, brand):
    make_product(item_number="AZB-B001", name="无钢圈文胸", is_key_product=True)
    make_product(item_number="AZB-P001", name="纯棉三角内裤", is_new=True)
    services.update_product(actor=None, product=make_product(item_number="AZB-OLD", name="旧款睡衣"),
                            is_active=False)
    client = client_for("cs_presales")
    html = client.get(reverse("catalog:products"), {"q": "wgqwx"}).content.decode()
    assert "AZB-B001" in html and "AZB-P001" not in html
    html = client.get(reverse("catalog:products"), {"tab": "new"}).content.decode()
    assert "AZB-P001" in html and "AZB-B001" not in html
    html = client.get(reverse("catalog:products"), {"tab": "inactive"}).content.decode()
    assert "AZB-OLD" in html and "AZB-B001" not in html
    counts = re.findall(r'<span class="count">(\d+)</span>', client.get(reverse("catalog:products")).content.decode())
    assert counts[:5] == ["3", "2", "1", "1", "1"]  # all, on sale, discontinued, key, new
    html = client.get(reverse("catalog:products"), {"brand": brand.pk}).content.decode()
    assert "AZB-B001" in html


def test_user_text_is_escaped_and_description_sanitised(client_for, make_product):
    product = make_product(name='<script>alert("x")</script>', title="<b>粗</b>",
                           description='<p>好<script>alert(1)</script></p><img src=x onerror="alert(2)">')
    html = client_for("manager").get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert '<script>alert("x")</script>' not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;粗&lt;/b&gt;" in html
    assert "alert(1)" not in html and "onerror" not in html and "<p>好</p>" in html
    listing_html = client_for("manager").get(reverse("catalog:products")).content.decode()
    assert '<script>alert("x")</script>' not in listing_html


def test_photos_upload_reorder_and_remove_on_the_product_page(client_for, make_product):
    product = make_product()
    designer = client_for("designer")
    page = designer.get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page
    designer.post(reverse("catalog:product_images_upload", args=[product.pk]),
                  {"images": [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.png", PNG)]})
    first, second = product.images.all()
    designer.post(reverse("catalog:image_move", args=[second.pk]), {"to": "first"})
    assert list(product.images.values_list("pk", flat=True)) == [second.pk, first.pk]
    response = designer.post(reverse("catalog:product_images_upload", args=[product.pk]),
                             {"images": [SimpleUploadedFile("evil.png", b"<svg onload=alert(1)>")]}, follow=True)
    assert "evil.png" in response.content.decode() and product.images.count() == 2
    designer.post(reverse("catalog:image_delete", args=[first.pk]))
    assert product.images.count() == 1
    assert client_for("cs_presales").post(reverse("catalog:image_delete", args=[second.pk])).status_code == 403


def test_listing_pages_show_stars_and_suggestions(client_for, make_product, shop, stock):
    stock.default = 10
    product = make_product(title="短标题")
    sku = product.skus.first()
    services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="TM-1")
    client = client_for("operations", shops=[shop])
    html = client.get(reverse("catalog:listings")).content.decode()
    assert "TM-1" in html and "★" in html and "没有图片" in html and "标题过短" in html
    page = client.get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert "TM-1" in page and "没有图片" in page


def test_list_delist_and_relist_through_the_pages(client_for, make_product, shop, stock):
    sku = make_product().skus.first()
    client = client_for("operations", shops=[shop])
    form = client.get(reverse("catalog:listing_create"), {"sku": sku.code}).content.decode()
    assert sku.code in form
    response = client.post(reverse("catalog:listing_create"), {
        "shop": shop.pk, "sku_code": sku.code, "channel_sku_code": "TM-9", "channel_price": "", "status": "listed",
        "auto_delist": "on"})
    assert response.status_code == 302
    listing = Listing.objects.get()
    client.post(reverse("catalog:listing_batch"), {"action": "delist", "ids": [listing.pk]})
    listing.refresh_from_db()
    assert listing.status == "delisted"
    stock.set(sku, shop, 3)
    client.post(reverse("catalog:listing_status", args=[listing.pk]), {"action": "relist"})
    listing.refresh_from_db()
    assert listing.status == "listed"
    bad = client.post(reverse("catalog:listing_create"), {
        "shop": shop.pk, "sku_code": "NOPE", "channel_sku_code": "TM-9", "status": "listed"}).content.decode()
    assert "field-error" in bad


def test_categories_attributes_and_brands_page(client_for):
    merch = client_for("merchandiser")
    merch.post(reverse("catalog:categories"), {"form": "category", "category-name": "睡衣"})
    category = Category.objects.get(name="睡衣")
    merch.post(reverse("catalog:categories"), {"form": "attribute", "attribute-category": category.pk,
                                               "attribute-name": "袖长", "attribute-required": "on",
                                               "attribute-choices": "短袖，长袖"})
    assert CategoryAttribute.objects.get(category=category).choices == "短袖,长袖"
    merch.post(reverse("catalog:categories"), {"form": "brand", "brand-name": "棉之恋"})
    html = merch.get(reverse("catalog:categories")).content.decode()
    assert "睡衣" in html and "袖长" in html and "棉之恋" in html
    dup = merch.post(reverse("catalog:categories"), {"form": "brand", "brand-name": "棉之恋"}).content.decode()
    assert "field-error" in dup
    ops = client_for("operations")
    assert ops.post(reverse("catalog:categories"), {"form": "brand", "brand-name": "x"}).status_code == 403


@pytest.mark.parametrize("url_name", ["catalog:product_create"])
def test_templates_load_the_catalog_script_from_a_file(client_for, url_name, bra):
    html = client_for("merchandiser").get(reverse(url_name)).content.decode()
    assert '<script src="/static/catalog/catalog.js" defer></script>' in html


def test_sku_code_lookup_is_case_insensitive_in_the_listing_form(client_for, make_product, shop):
    sku = make_product().skus.first()
    client = client_for("manager")
    client.post(reverse("catalog:listing_create"), {
        "shop": shop.pk, "sku_code": sku.code.lower(), "channel_sku_code": "X-1", "status": "listed"})
    assert Listing.objects.get().sku == SKU.objects.get(pk=sku.pk)


def test_delete_from_the_edit_page(client_for, make_product, shop):
    client = client_for("product_editor")
    mistake = make_product(item_number="OOPS-1")
    edit_page = client.get(reverse("catalog:product_edit", args=[mistake.pk])).content.decode()
    assert reverse("catalog:product_delete", args=[mistake.pk]) in edit_page
    assert client.post(reverse("catalog:product_delete", args=[mistake.pk]))["Location"] == reverse("catalog:products")
    assert not Product.objects.filter(pk=mistake.pk).exists()
    used = make_product(item_number="USED-1")
    services.create_listing(actor=None, shop=shop, sku=used.skus.first(), channel_sku_code="U-1")
    html = client.post(reverse("catalog:product_delete", args=[used.pk]), follow=True).content.decode()
    assert "msg-error" in html and Product.objects.filter(pk=used.pk).exists()
    assert client_for("cs_presales").post(reverse("catalog:product_delete", args=[used.pk])).status_code == 403
