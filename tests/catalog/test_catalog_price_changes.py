"""Price changes (改价): within the actor's authority they apply at once, beyond it they wait for the manager;
every change is kept (who, when, old, new, why)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from shopdesk.catalog import services
from shopdesk.catalog.models import PriceChange
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent


@pytest.fixture
def product(make_product):
    return make_product(list_price=Decimal("100"))


def test_decrease_within_the_limit_applies_at_once(product, make_user):
    ops = make_user("operations")  # max discount 10%
    change = services.request_price_change(actor=ops, target=product, field="list_price", new_value="90",
                                           reason="换季调价")
    product.refresh_from_db()
    assert change.status == "applied" and product.list_price == Decimal("90")
    assert (change.old_value, change.new_value, change.decrease_percent, change.limit_percent) == (
        Decimal("100"), Decimal("90"), Decimal("10.00"), Decimal("10.00"))
    assert change.actor == ops and change.reason == "换季调价" and change.approved_by is None
    event = AuditEvent.objects.get(action="catalog.change_price")
    assert event.changes["list_price"] == {"before": "100.00", "after": "90.00"} and event.reason == "换季调价"


def test_decrease_beyond_the_limit_waits_and_the_manager_approves(product, make_user, manager):
    ops = make_user("operations")
    change = services.request_price_change(actor=ops, target=product, field="list_price", new_value="80",
                                           reason="双11")
    product.refresh_from_db()
    assert change.status == "pending" and product.list_price == Decimal("100")
    assert AuditEvent.objects.filter(action="catalog.request_price_change").count() == 1
    with pytest.raises(Conflict):  # one waiting change per price
        services.request_price_change(actor=ops, target=product, field="list_price", new_value="70", reason="x")
    with pytest.raises(NotAllowed):
        services.approve_price_change(actor=make_user("merchandiser"), change=change)
    services.approve_price_change(actor=manager, change=change, note="同意")
    product.refresh_from_db()
    change.refresh_from_db()
    assert product.list_price == Decimal("80")
    assert change.status == "applied" and change.approved_by == manager and change.decided_at is not None
    event = AuditEvent.objects.get(action="catalog.approve_price_change")
    assert event.actor == manager and event.changes["list_price"] == {"before": "100.00", "after": "80.00"}
    with pytest.raises(Conflict):
        services.reject_price_change(actor=manager, change=change)


def test_rejected_change_keeps_the_price(product, make_user, manager):
    change = services.request_price_change(actor=make_user("merchandiser"), target=product, field="list_price",
                                           new_value="50", reason="清仓")  # merchandiser: 0% authority
    services.reject_price_change(actor=manager, change=change, note="幅度太大")
    product.refresh_from_db()
    change.refresh_from_db()
    assert product.list_price == Decimal("100")
    assert change.status == "rejected" and change.rejected_by == manager and change.decision_note == "幅度太大"


def test_increases_apply_and_the_manager_cannot_approve_their_own(product, make_user, manager):
    merch = make_user("merchandiser")
    up = services.request_price_change(actor=merch, target=product, field="list_price", new_value="120",
                                       reason="成本上涨")
    assert up.status == "applied" and up.decrease_percent == 0
    own = services.request_price_change(actor=manager, target=product, field="list_price", new_value="60",
                                        reason="清仓")  # 50% > manager's 30%
    assert own.status == "pending"
    with pytest.raises(NotAllowed):
        services.approve_price_change(actor=manager, change=own)
    other_manager = make_user("manager")
    services.approve_price_change(actor=other_manager, change=own)
    product.refresh_from_db()
    assert product.list_price == Decimal("60")


def test_stale_request_is_refused(product, make_user, manager):
    ops = make_user("operations")
    pending = services.request_price_change(actor=ops, target=product, field="member_price", new_value="50",
                                            reason="会员日")
    assert pending.status == "applied"  # no member price before: nothing decreases
    pending = services.request_price_change(actor=ops, target=product, field="member_price", new_value="20",
                                            reason="会员日")
    assert pending.status == "pending"
    product.member_price = Decimal("45")
    product.save(update_fields=["member_price"])
    with pytest.raises(Conflict) as exc:
        services.approve_price_change(actor=manager, change=pending)
    assert exc.value.code == "stale"


def test_sku_and_listing_prices_compare_with_what_the_buyer_paid(make_product, make_user, shop):
    product = make_product(colours=["肤色"], sizes=["70B"], list_price=Decimal("100"))
    sku = product.skus.get()
    ops = make_user("operations", shops=[shop])
    change = services.request_price_change(actor=ops, target=sku, field="list_price", new_value="95",
                                           reason="尺码清货")
    assert change.status == "applied" and change.decrease_percent == Decimal("5.00")  # against the product's 100
    listing = services.create_listing(actor=None, shop=shop, sku=sku, channel_sku_code="C1")
    change = services.request_price_change(actor=ops, target=listing, field="channel_price", new_value="70",
                                           reason="店铺活动")
    assert change.status == "pending" and change.decrease_percent == Decimal("26.32")  # against the SKU's 95
    assert change.listing == listing and change.sku == sku and change.product == product


def test_reason_and_field_are_checked(product, make_user):
    ops = make_user("operations")
    with pytest.raises(ServiceError) as exc:
        services.request_price_change(actor=ops, target=product, field="channel_price", new_value="90", reason="")
    assert {"field", "reason"} <= set(exc.value.fields)
    with pytest.raises(ServiceError):
        services.request_price_change(actor=ops, target=product, field="list_price", new_value="100", reason="x")
    with pytest.raises(NotAllowed):
        services.request_price_change(actor=make_user("product_editor"), target=product, field="list_price",
                                      new_value="99", reason="x")


def test_product_edit_turns_price_changes_into_requests(product, make_user):
    ops = make_user("operations")
    result = services.update_product(actor=ops, product=product, title="新标题", list_price=Decimal("70"),
                                     vip_price=Decimal("60"), price_reason="大促")
    product.refresh_from_db()
    assert product.title == "新标题" and product.list_price == Decimal("100") and product.vip_price == Decimal("60")
    assert sorted(c.field for c in result.price_changes) == ["list_price", "vip_price"]
    assert [c.field for c in result.pending] == ["list_price"]


def test_manager_tile_and_approval_page(product, make_user, client_for):
    ops = make_user("operations")
    change = services.request_price_change(actor=ops, target=product, field="list_price", new_value="50",
                                           reason="清仓")
    boss = client_for("manager")
    home = boss.get(reverse("home")).content.decode()
    assert 'data-tile="price_changes_to_approve"' in home
    page = boss.get(reverse("catalog:price_changes"), {"tab": "pending"}).content.decode()
    assert "清仓" in page and f'value="{change.pk}"' in page
    response = boss.post(reverse("catalog:price_change_decide"), {"action": "approve", "ids": [change.pk]})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "applied" and change.approved_by == boss.user
    assert client_for("operations").post(reverse("catalog:price_change_decide"),
                                         {"action": "approve", "ids": [change.pk]}).status_code == 403
    assert 'data-tile="price_changes_to_approve"' not in client_for("operations").get(reverse("home")).content.decode()


def test_every_price_change_is_listed(product, make_user, api_for):
    ops = make_user("operations")
    services.request_price_change(actor=ops, target=product, field="list_price", new_value="95", reason="a")
    services.request_price_change(actor=ops, target=product, field="list_price", new_value="50", reason="b")
    api = api_for("manager")
    rows = api.get("/api/v1/catalog/price-changes/").json()["results"]
    assert [(r["status"], r["reason"], r["actor"]) for r in rows] == [("pending", "b", ops.username),
                                                                     ("applied", "a", ops.username)]
    assert PriceChange.objects.count() == 2
