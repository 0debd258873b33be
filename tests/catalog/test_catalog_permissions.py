"""Who may open which catalog page and call which catalog API, role by role (written out by hand, like
tests/staff/test_permission_matrix.py, so a wrong change to the role table fails here)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from shopdesk.catalog import services
from shopdesk.staff.roles import ROLE_CODES

ALL = set(ROLE_CODES)
VIEW = {"manager", "operations", "designer", "product_editor", "cs_presales", "cs_aftersales", "cs_supervisor",
        "merchandiser", "warehouse"}
EDIT = {"manager", "operations", "merchandiser", "product_editor"}
PRICES = {"manager", "operations", "merchandiser"}
MASTER = {"manager", "merchandiser"}
APPROVE = {"manager"}


@pytest.fixture
def data(make_product, shop):
    product = make_product(item_number="PERM-1", list_price=Decimal("100"))
    listing = services.create_listing(actor=None, shop=shop, sku=product.skus.first(), channel_sku_code="P-1")
    return {"product": product, "listing": listing}


def _pages(data):
    p, listing = data["product"].pk, data["listing"].pk
    return [
        (reverse("catalog:products"), VIEW),
        (reverse("catalog:product_create"), EDIT),
        (reverse("catalog:product", args=[p]), VIEW),
        (reverse("catalog:product_edit", args=[p]), EDIT),
        (reverse("catalog:listings"), VIEW),
        (reverse("catalog:listing_create"), EDIT),
        (reverse("catalog:listing_edit", args=[listing]), PRICES),
        (reverse("catalog:price_changes"), PRICES),
        (reverse("catalog:import"), EDIT),
        (reverse("catalog:export"), VIEW),
        (reverse("catalog:template"), EDIT),
        (reverse("catalog:categories"), VIEW),
    ]


NAV = [("catalog:products", VIEW), ("catalog:listings", VIEW), ("catalog:price_changes", PRICES),
       ("catalog:import", EDIT), ("catalog:categories", VIEW)]


@pytest.mark.parametrize("role", ROLE_CODES)
def test_pages_per_role(role, client_for, data, shop):
    client = client_for(role, shops=[shop])
    for url, allowed in _pages(data):
        expected = 200 if role in allowed else 403
        assert client.get(url).status_code == expected, f"{role} GET {url}"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_navigation_per_role(role, client_for):
    html = client_for(role).get(reverse("home")).content.decode()
    nav = html.split('class="sidebar"', 1)[1].split("</nav>", 1)[0]
    for url_name, allowed in NAV:
        assert (f'href="{reverse(url_name)}"' in nav) == (role in allowed), f"{role}: {url_name}"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_reads_per_role(role, api_for, data, shop):
    api = api_for(role, shops=[shop])
    reads = [("/api/v1/catalog/products/", VIEW), (f"/api/v1/catalog/products/{data['product'].pk}/", VIEW),
             ("/api/v1/catalog/skus/", VIEW), ("/api/v1/catalog/listings/", VIEW),
             ("/api/v1/catalog/price-changes/", PRICES), ("/api/v1/catalog/export/", VIEW),
             ("/api/v1/catalog/template/", EDIT)]
    for url, allowed in reads:
        response = api.get(url)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url}: {response.status_code}"
        if expected == 403:
            assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_writes_per_role(role, api_for, data, shop, make_user):
    api = api_for(role, shops=[shop])
    product, listing = data["product"], data["listing"]
    created = api.post("/api/v1/catalog/products/", {
        "item_number": f"N-{role}".replace("_", "-"), "name": "新品", "list_price": "59",
        "skus": [{"code": f"N-{role}-1", "colour": "黑色", "size": "M"}]}, format="json")
    assert created.status_code == (201 if role in EDIT else 403), created.content
    patched = api.patch(f"/api/v1/catalog/products/{product.pk}/", {"title": f"标题 {role}"}, format="json")
    assert patched.status_code == (200 if role in EDIT else 403), patched.content
    sku = product.skus.order_by("id").last()
    listed = api.post("/api/v1/catalog/listings/", {"shop": shop.code, "sku": sku.code,
                                                    "channel_sku_code": f"L-{role}"}, format="json")
    assert listed.status_code == (201 if role in EDIT else 403), listed.content
    delist = api.post(f"/api/v1/catalog/listings/{listing.pk}/delist/", {"reason": "测试"}, format="json")
    assert delist.status_code == (200 if role in PRICES else 403), delist.content
    change = api.post("/api/v1/catalog/price-changes/", {"product": product.pk, "field": "member_price",
                                                         "new_value": "80", "reason": "测试"}, format="json")
    assert change.status_code == (201 if role in PRICES else 403), change.content
    pending = services.request_price_change(actor=make_user("merchandiser"), target=product, field="list_price",
                                            new_value="10", reason="待审批")  # merchandiser: 0% authority
    assert pending.status == "pending"
    approved = api.post(f"/api/v1/catalog/price-changes/{pending.pk}/approve/", {}, format="json")
    assert approved.status_code == (200 if role in APPROVE else 403), approved.content
    if role in EDIT:
        mistake = services.create_product(actor=None, item_number=f"DEL-{role}".replace("_", "-"), name="录错",
                                          skus=[services.SkuInput(code=f"DEL-{role}")])
    else:
        mistake = product
    deleted = api.delete(f"/api/v1/catalog/products/{mistake.pk}/")
    assert deleted.status_code == (204 if role in EDIT else 403), deleted.content


def test_listings_are_scoped_to_assigned_shops(client_for, api_for, make_product, shop, other_shop):
    product = make_product()
    a, b = product.skus.order_by("id")[:2]
    services.create_listing(actor=None, shop=shop, sku=a, channel_sku_code="MINE-1")
    theirs = services.create_listing(actor=None, shop=other_shop, sku=b, channel_sku_code="THEIRS-1")
    api = api_for("operations", shops=[shop])
    codes = [row["channel_sku_code"] for row in api.get("/api/v1/catalog/listings/").json()["results"]]
    assert codes == ["MINE-1"]
    assert api.get(f"/api/v1/catalog/listings/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/catalog/listings/{theirs.pk}/delist/", {}, format="json").status_code == 404
    page = client_for("operations", shops=[shop])
    html = page.get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert "MINE-1" in html and "THEIRS-1" not in html
    assert page.get(reverse("catalog:listing_edit", args=[theirs.pk])).status_code == 404
    listed = api.post("/api/v1/catalog/price-changes/", {"listing": theirs.pk, "field": "channel_price",
                                                         "new_value": "1", "reason": "x"}, format="json")
    assert listed.status_code == 403


def test_cost_price_only_with_the_permission(api_for, client_for, make_product):
    product = make_product(cost_price=Decimal("31.50"))
    assert "cost_price" in api_for("operations").get(f"/api/v1/catalog/products/{product.pk}/").json()
    assert "cost_price" not in api_for("product_editor").get(f"/api/v1/catalog/products/{product.pk}/").json()
    assert "31.50" not in client_for("cs_presales").get(reverse("catalog:product", args=[product.pk])).content.decode()
    assert "31.50" in client_for("merchandiser").get(reverse("catalog:product", args=[product.pk])).content.decode()
