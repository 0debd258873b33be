"""Order pages: the pool (tabs, filters, batch verify and merge, bounded queries), the order page (masking and the
logged unmask, actions by permission and stage), the stage-aware change forms, shop scoping and escaping."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from shopdesk.core.models import AuditEvent
from shopdesk.orders import services
from shopdesk.orders.models import ChangeRequest, Order, OrderNote, OrderTask, Status

PHONE = "13800138000"


def _en(client):
    """Pages are Chinese first; these assertions read the English text."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _buyer(account: str, n: int) -> dict:
    return {"buyer": account, "mobile": f"1390000000{n}", "detail": f"文一路{n}号"}


def _ship(order):
    services.mark_printed(actor=None, order=order, batch="B1")
    services.mark_picked(actor=None, order=order)
    services.mark_packed(actor=None, order=order)
    return services.ship_order(actor=None, order=order, carrier="中通快递", tracking_no="ZT123")


@pytest.fixture
def cs(client_for, shop):
    return client_for("cs_presales", shops=[shop])


# --- the list --------------------------------------------------------------------------------------------------------


def test_list_tabs_counts_and_filters(cs, shop, stocked, make_order):
    stocked("CH-0001", 50)
    stocked("CH-0002", 50)
    # Different buyers with their own phones and addresses (shared ones would raise the fake-order flag).
    verified = make_order("A-1", lines=[("CH-0001", 1, "50.00")], **_buyer("alice", 1))
    review = make_order("A-2", lines=[("CH-0002", 2, "30.00")], message="请发顺丰", **_buyer("bob", 2))
    unpaid = make_order("A-3", status="unpaid", **_buyer("carol", 3))
    short = make_order("A-4", lines=[("CH-0001", 99, "50.00")], **_buyer("dave", 4))
    assert (verified.status, review.status, unpaid.status) == (Status.VERIFIED, Status.PAID, Status.UNPAID)
    assert short.out_of_stock and short.status == Status.PAID

    url = reverse("orders:list")
    response = cs.get(url)
    counts = {t["key"]: t["count"] for t in response.context["table"].tabs}
    assert counts == {"all": 4, "unpaid": 1, "review": 2, "verified": 1, "warehouse": 0, "shipped": 0,
                      "completed": 0, "after_sales": 0, "cancelled": 0, "exceptions": 1}
    html = _html(response)
    for no in ("A-1", "A-2", "A-3", "A-4"):
        assert f'href="{reverse("orders:detail", args=[Order.objects.get(platform_order_no=no).pk])}"' in html

    def numbers(**params):
        response = cs.get(url, params)
        return sorted(o.platform_order_no for o in response.context["table"].rows)

    assert numbers(tab="review") == ["A-2", "A-4"]
    assert numbers(tab="exceptions") == ["A-4"]
    assert numbers(buyer="ali") == ["A-1"]
    assert numbers(buyer="A-3") == ["A-3"]
    assert numbers(sku="CH-0002") == ["A-2"]
    assert numbers(sku="SKU-CH-0001") == ["A-1", "A-3", "A-4"]
    assert numbers(flag="out_of_stock") == ["A-4"]
    assert numbers(status="unpaid") == ["A-3"]
    assert numbers(shop=shop.code) == ["A-1", "A-2", "A-3", "A-4"]
    assert numbers(ordered_from="2026-11-22", ordered_to="2026-11-22") == ["A-1", "A-2", "A-3", "A-4"]
    assert numbers(ordered_from="2026-11-23") == []
    assert numbers(tab="review", sku="CH-0001") == ["A-4"]
    # Two lines of the same code: the order is listed once.
    make_order("A-5", lines=[("CH-0001", 1, "50.00"), ("CH-0001", 2, "50.00")], **_buyer("alice", 1))
    assert numbers(sku="CH-0001") == ["A-1", "A-3", "A-4", "A-5"]
    by_paid = [o.platform_order_no for o in cs.get(url, {"sort": "-paid"}).context["table"].rows]
    assert by_paid[0] == "A-4"
    by_paid = [o.platform_order_no for o in cs.get(url, {"sort": "paid"}).context["table"].rows]
    assert by_paid[-1] == "A-4"


def test_list_items_summary(cs, stocked, make_order):
    stocked("CH-0001", 10)
    stocked("CH-0002", 10)
    make_order("S-1", lines=[("CH-0001", 2, "50.00"), ("CH-0002", 3, "20.00")])
    html = _html(_en(cs).get(reverse("orders:list")))
    assert "商品 CH-0001" in html and "×2" in html
    assert "5 items in all" in html


def test_batch_verify_reports_each_refusal(cs, stocked, make_order):
    stocked("CH-0001", 10)
    ok = make_order("B-1", message="周末送货")
    blocked = make_order("B-2", detail="")
    unpaid = make_order("B-3", status="unpaid")
    assert blocked.address_incomplete
    response = _en(cs).post(reverse("orders:list_batch"), {"action": "verify", "ids": [ok.pk, blocked.pk, unpaid.pk]},
                            HTTP_REFERER="http://testserver/orders/?tab=review", follow=True)
    assert response.redirect_chain[-1][0] == "http://testserver/orders/?tab=review"
    shown = _messages(response)
    assert "1 order verified." in shown
    assert "2 orders were not verified:" in shown
    assert any("B-2" in m and "Address incomplete" in m for m in shown)
    assert any("B-3" in m for m in shown)
    assert Order.objects.get(pk=ok.pk).status == Status.VERIFIED
    assert Order.objects.get(pk=blocked.pk).status == Status.PAID


def test_batch_merge(cs, stocked, make_order):
    stocked("CH-0001", 10)
    a = make_order("M-1")
    b = make_order("M-2")
    response = cs.post(reverse("orders:list_batch"), {"action": "merge", "ids": [a.pk, b.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[a.pk])
    b.refresh_from_db()
    assert b.status == Status.CANCELLED and b.merged_into_id == a.pk


@pytest.mark.parametrize("rows", [10, 40])
def test_list_query_count_does_not_grow(rows, client_for, stocked, make_order, django_assert_max_num_queries):
    stocked("CH-0001", 500)
    stocked("CH-0002", 500)
    for i in range(rows):
        make_order(f"Q-{i:03d}", lines=[("CH-0001", 1, "50.00"), ("CH-0002", 2, "20.00")])
    client = client_for("manager")
    client.get(reverse("orders:list"))  # warm the per-process caches (content types, permissions)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("orders:list"), {"page_size": 50, "sku": "CH-0001", "flag": "is_cod"})
    with django_assert_max_num_queries(14):
        response = client.get(reverse("orders:list"), {"page_size": 50})
    assert len(response.context["table"].rows) == rows


# --- masking and unmasking -------------------------------------------------------------------------------------------


def test_operations_never_sees_the_buyer_in_clear(client_for, shop, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("U-1", name="张三丰")
    # An address change leaves a flagged note with the new (clear) phone: a viewer without unmask sees it masked.
    services.change_address(actor=None, order=order, buyer_name="李四", mobile="13900139000", landline="",
                            province="浙江省", city="杭州市", district="西湖区", address_detail="文三路2号")
    client = client_for("operations", shops=[shop])
    html = _html(client.get(reverse("orders:list"))) + _html(client.get(reverse("orders:detail", args=[order.pk])))
    for secret in (PHONE, "13900139000", "文三路", "张三丰", "李四"):
        assert secret not in html
    assert "139****9000" in html and "李*" in html
    assert reverse("orders:unmask", args=[order.pk]) not in html
    assert client.post(reverse("orders:unmask", args=[order.pk])).status_code == 403


def test_cs_sees_the_buyer_only_after_a_logged_unmask(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("U-2")
    detail = _html(cs.get(reverse("orders:detail", args=[order.pk])))
    list_html = _html(cs.get(reverse("orders:list")))
    assert PHONE not in detail and PHONE not in list_html and "138****8000" in detail
    unmask = reverse("orders:unmask", args=[order.pk])
    assert f'hx-post="{unmask}"' in detail
    assert not AuditEvent.objects.filter(action="orders.unmask").exists()
    assert cs.get(unmask).status_code == 405

    partial = cs.post(unmask, HTTP_HX_REQUEST="true")
    html = _html(partial)
    assert PHONE in html and "文三路1号" in html and "张三" in html
    assert "<html" not in html and 'id="buyer-block"' in html and 'hx-swap-oob="true"' in html
    event = AuditEvent.objects.get(action="orders.unmask")
    assert event.actor_id == cs.user.pk and event.object_id == str(order.pk)
    # Without htmx the whole page comes back unmasked (and the look is logged again).
    full = _html(cs.post(unmask))
    assert PHONE in full and "<html" in full
    assert AuditEvent.objects.filter(action="orders.unmask").count() == 2
    # The next visit is masked again.
    assert PHONE not in _html(cs.get(reverse("orders:detail", args=[order.pk])))


# --- permissions and shops -------------------------------------------------------------------------------------------

WRITE_URLS = ["unmask", "verify", "recheck", "pay", "remind", "after_sales", "change_address",
              "change_requests", "add_note", "change_money", "cancel", "split", "merge"]


def test_writes_refused_without_permission(client_for, shop, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("F-1")
    finance = client_for("finance", shops=[shop])
    assert finance.get(reverse("orders:detail", args=[order.pk])).status_code == 200
    for name in WRITE_URLS:
        url = reverse(f"orders:{name}", args=[order.pk])
        assert finance.get(url).status_code == 403, name
        assert finance.post(url, {"reason": "x", "text": "x"}).status_code == 403, name
    assert finance.post(reverse("orders:list_batch"), {"action": "verify", "ids": [order.pk]}).status_code == 403
    assert finance.post(reverse("orders:list_batch"), {"action": "merge", "ids": [order.pk]}).status_code == 403
    html = _html(finance.get(reverse("orders:detail", args=[order.pk])))
    for name in WRITE_URLS:
        assert reverse(f"orders:{name}", args=[order.pk]) not in html, name
    assert Order.objects.get(pk=order.pk).status == Status.VERIFIED
    assert not OrderNote.objects.filter(order=order).exists()


def test_designer_cannot_open_orders(client_for, shop):
    assert client_for("designer", shops=[shop]).get(reverse("orders:list")).status_code == 403


def test_orders_of_unassigned_shops_are_invisible(cs, manager, client, other_shop, stocked, make_order):
    stocked("CH-0001", 10)
    mine = make_order("SC-1")
    theirs = make_order("SC-2", for_shop=other_shop, message="x")
    listed = [o.platform_order_no for o in cs.get(reverse("orders:list")).context["table"].rows]
    assert listed == ["SC-1"]
    assert cs.get(reverse("orders:detail", args=[theirs.pk])).status_code == 404
    for name in WRITE_URLS:
        response = cs.post(reverse(f"orders:{name}", args=[theirs.pk]), {"reason": "x", "text": "x"})
        assert response.status_code == 404, name
    response = cs.post(reverse("orders:list_batch"), {"action": "verify", "ids": [theirs.pk]})
    assert Order.objects.get(pk=theirs.pk).status == Status.PAID
    client.force_login(manager)
    listed = {o.platform_order_no for o in client.get(reverse("orders:list")).context["table"].rows}
    assert listed == {"SC-1", "SC-2"}
    assert client.get(reverse("orders:detail", args=[theirs.pk])).status_code == 200
    assert mine.pk != theirs.pk


# --- the order page and its actions ----------------------------------------------------------------------------------


def test_detail_page_shows_the_order(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("D-1", lines=[("CH-0001", 1, "50.00"), ("NOPE-1", 1, "9.90")], message="<b>快点</b>")
    html = _html(_en(cs).get(reverse("orders:detail", args=[order.pk])))
    assert "杭州总仓" in html  # the reserved warehouse of the mapped line
    assert "Unmapped" in html and "SKU-CH-0001" in html
    assert "Items not matched to our SKUs" in html  # review reason
    assert "Map the platform code to our SKU" in html  # what to do about the exception
    assert "&lt;b&gt;快点&lt;/b&gt;" in html
    assert "Imported" in html or "Created through the API" in html  # the timeline
    assert reverse("orders:recheck", args=[order.pk]) in html
    assert reverse("orders:verify", args=[order.pk]) not in html  # the unmapped line must be fixed first
    assert reverse("orders:pay", args=[order.pk]) not in html


def test_buyer_message_is_escaped(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("X-1", message="<script>alert(1)</script>")
    services.add_note(actor=cs.user, order=order, text="<img src=x onerror=alert(2)>")
    html = _html(cs.get(reverse("orders:detail", args=[order.pk])))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_verify_through_the_page(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("V-1", message="请尽快发货")
    assert order.status == Status.PAID
    response = cs.post(reverse("orders:verify", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])
    order.refresh_from_db()
    assert order.status == Status.VERIFIED and order.verified_by_id == cs.user.pk
    # Verifying again is refused with the service's message, not an error page.
    response = cs.post(reverse("orders:verify", args=[order.pk]), follow=True)
    assert response.status_code == 200 and any("V-1" in m for m in _messages(response))


def test_pay_remind_and_recheck(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("P-1", status="unpaid")
    html = _html(cs.get(reverse("orders:detail", args=[order.pk])))
    assert reverse("orders:remind", args=[order.pk]) in html
    assert cs.post(reverse("orders:remind", args=[order.pk])).status_code == 302
    assert Order.objects.get(pk=order.pk).reminder_count == 1
    assert cs.post(reverse("orders:pay", args=[order.pk])).status_code == 302
    assert Order.objects.get(pk=order.pk).status in (Status.PAID, Status.VERIFIED)

    short = make_order("P-2", lines=[("CH-0009", 1, "50.00")])
    assert short.has_unmapped
    stocked("CH-0009", 5)
    cs.post(reverse("orders:recheck", args=[short.pk]))
    short.refresh_from_db()
    assert not short.has_unmapped and not short.out_of_stock


def test_cancel_shows_the_case_then_cancels(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("C-1")
    url = reverse("orders:cancel", args=[order.pk])
    html = _html(_en(cs).get(url))
    assert "Not printed yet: the order is changed directly" in html
    assert "after-sales gets a task to refund it" in html
    response = cs.post(url, {"reason": "买家不要了"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert OrderTask.objects.filter(order=order, kind=OrderTask.Kind.REFUND).exists()

    printed = make_order("C-2")
    services.mark_printed(actor=None, order=printed, batch="B1")
    html = _html(cs.get(reverse("orders:cancel", args=[printed.pk])))
    assert "the warehouse gets a task to recall the paperwork" in html
    cs.post(reverse("orders:cancel", args=[printed.pk]), {"reason": "缺货"})
    assert OrderTask.objects.filter(order=printed, kind=OrderTask.Kind.RECALL_PAPERWORK).exists()


def test_cancel_after_shipping_is_refused_with_the_after_sales_hint(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = _ship(make_order("C-3"))
    html = _html(_en(cs).get(reverse("orders:cancel", args=[order.pk])))
    assert "Already shipped" in html and "Open an after-sales case" in html
    assert reverse("orders:after_sales", args=[order.pk]) in html
    assert 'name="reason"' not in html
    response = cs.post(reverse("orders:cancel", args=[order.pk]), {"reason": "x"})
    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Status.SHIPPED
    assert reverse("orders:cancel", args=[order.pk]) not in _html(cs.get(reverse("orders:detail", args=[order.pk])))
    response = cs.post(reverse("orders:after_sales", args=[order.pk]), {"reason": "买家要退货"})
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == Status.AFTER_SALES


def test_change_address_at_the_paid_stage(cs, client_for, shop, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("AD-1", message="改地址")
    url = reverse("orders:change_address", args=[order.pk])
    page = _en(cs).get(url)
    html = _html(page)
    assert "Not printed yet" in html
    assert PHONE in html  # the form starts from the clear values for someone who may unmask ...
    assert AuditEvent.objects.filter(action="orders.unmask", object_id=str(order.pk)).count() == 1  # ... logged
    response = cs.post(url, {"buyer_name": "王五", "mobile": "13700137000", "landline": "", "province": "浙江省",
                             "city": "杭州市", "district": "滨江区", "address_detail": "江南大道3号", "postcode": ""})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.mobile, order.district, order.status) == ("13700137000", "滨江区", Status.PAID)
    note = OrderNote.objects.get(order=order, kind=OrderNote.Kind.FLAGGED)
    assert note.text.startswith("客户要求修改地址,新地址为: 浙江省 杭州市 滨江区 江南大道3号 王五 13700137000")
    # Incomplete input comes back with the errors beside the fields.
    response = cs.post(url, {"buyer_name": "", "mobile": "", "province": "浙江省", "city": "杭州市",
                             "address_detail": "x"})
    assert response.status_code == 200 and response.context["form"].errors.keys() >= {"buyer_name", "mobile"}


def test_change_address_after_shipping_shows_the_refusal(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = _ship(make_order("AD-2"))
    html = _html(_en(cs).get(reverse("orders:change_address", args=[order.pk])))
    assert "Already shipped" in html and reverse("orders:after_sales", args=[order.pk]) in html
    assert 'name="mobile"' not in html and PHONE not in html
    assert not AuditEvent.objects.filter(action="orders.unmask").exists()


def test_special_requests_and_notes(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("R-1")
    response = cs.post(reverse("orders:change_requests", args=[order.pk]),
                       {"invoice_title": "杭州某某公司", "greeting_card": "生日快乐", "delivery_wish": "",
                        "chosen_carrier": ""})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.invoice_title == "杭州某某公司" and order.greeting_card == "生日快乐"
    assert cs.post(reverse("orders:add_note", args=[order.pk]), {"text": "买家要求用旧包装"}).status_code == 302
    assert OrderNote.objects.filter(order=order, kind=OrderNote.Kind.REMARK, text__startswith="买家要求").exists()
    cs.post(reverse("orders:add_note", args=[order.pk]), {"text": "红旗", "flagged": "on"})
    assert OrderNote.objects.filter(order=order, kind=OrderNote.Kind.FLAGGED, text__startswith="红旗").exists()
    html = _html(cs.get(reverse("orders:detail", args=[order.pk])))
    assert "买家要求用旧包装" in html and "杭州某某公司" in html


def test_discount_within_and_beyond_the_limit(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("MO-1", lines=[("CH-0001", 2, "50.00")])
    url = reverse("orders:change_money", args=[order.pk])
    html = _html(_en(cs).get(url + "?kind=discount"))
    assert "5% of the goods total" in html and "¥5.00" in html and "¥10" in html
    response = cs.post(url, {"kind": "discount", "value": "4", "reason": "老客户"}, follow=True)
    assert any("applied" in m for m in _messages(response))
    order.refresh_from_db()
    assert order.discount == Decimal("4.00") and order.goods_amount == Decimal("96.00")

    response = cs.post(url, {"kind": "discount", "value": "20", "reason": "买家砍价"}, follow=True)
    assert any("sent to the manager" in m for m in _messages(response))
    request = ChangeRequest.objects.get(order=order)
    assert (request.state, request.new_value) == (ChangeRequest.State.PENDING, Decimal("20.00"))
    order.refresh_from_db()
    assert order.on_hold and order.discount == Decimal("4.00")
    # A second request while one waits is refused beside the form.
    response = cs.post(url, {"kind": "shipping_fee", "value": "50", "reason": "偏远"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    # Too large a discount is refused beside the amount.
    response = cs.post(url, {"kind": "discount", "value": "500", "reason": "x"})
    assert response.status_code == 200 and "value" in response.context["form"].errors


def test_split_through_the_page(cs, stocked, make_order):
    stocked("CH-0001", 10)
    stocked("CH-0002", 10)
    order = make_order("SP-1", lines=[("CH-0001", 2, "50.00"), ("CH-0002", 1, "30.00")])
    lines = {line.channel_sku_code: line for line in order.lines.all()}
    url = reverse("orders:split", args=[order.pk])
    html = _html(cs.get(url))
    assert f'name="line_{lines["CH-0001"].pk}"' in html
    response = cs.post(url, {f"line_{lines['CH-0001'].pk}": 1, f"line_{lines['CH-0002'].pk}": 0})
    part = Order.objects.get(split_from=order)
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[part.pk])
    assert [(ln.channel_sku_code, ln.quantity) for ln in part.lines.all()] == [("CH-0001", 1)]
    assert order.platform_order_no in _html(cs.get(reverse("orders:detail", args=[part.pk])))
    # Everything cannot move: the service's refusal shows on the form.
    response = cs.post(url, {f"line_{lines['CH-0001'].pk}": 1, f"line_{lines['CH-0002'].pk}": 1})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    # More than the line holds is refused by the form.
    response = cs.post(url, {f"line_{lines['CH-0001'].pk}": 5, f"line_{lines['CH-0002'].pk}": 0})
    assert response.status_code == 200 and f"line_{lines['CH-0001'].pk}" in response.context["form"].errors


def test_merge_from_the_order_page(cs, stocked, make_order):
    stocked("CH-0001", 10)
    first = make_order("MG-1")
    second = make_order("MG-2")
    other_buyer = make_order("MG-3", buyer="someone-else")
    html = _html(cs.get(reverse("orders:detail", args=[first.pk])))
    assert f'value="{second.pk}"' in html and f'value="{other_buyer.pk}"' not in html
    response = cs.post(reverse("orders:merge", args=[second.pk]), {"ids": [first.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[first.pk])
    second.refresh_from_db()
    assert second.merged_into_id == first.pk and second.status == Status.CANCELLED
    html = _html(cs.get(reverse("orders:detail", args=[first.pk])))
    assert "MG-2" in html
    # Merging with nothing chosen is refused with a message.
    response = cs.post(reverse("orders:merge", args=[first.pk]), {}, follow=True)
    assert response.status_code == 200 and _messages(response)


def test_every_form_page_renders(cs, stocked, make_order):
    stocked("CH-0001", 10)
    order = make_order("FP-1", lines=[("CH-0001", 2, "50.00")])
    _en(cs)
    for name in ("change_address", "change_requests", "add_note", "change_money", "cancel", "split"):
        html = _html(cs.get(reverse(f"orders:{name}", args=[order.pk])))
        assert "FP-1" in html and 'name="csrfmiddlewaretoken"' in html, name
    html = _html(cs.get(reverse("orders:after_sales", args=[order.pk])))
    assert "Only shipped, delivered or completed orders move to after-sales" in html and 'name="reason"' not in html
    cancelled = make_order("FP-2")
    services.cancel_order(actor=None, order=cancelled, reason="测试")
    html = _html(cs.get(reverse("orders:detail", args=[cancelled.pk])))
    assert "Refused: the order is closed" in html
    assert reverse("orders:cancel", args=[cancelled.pk]) not in html
    html = _html(cs.get(reverse("orders:split", args=[cancelled.pk])))
    assert "Only paid orders that are not printed or on hold can be split." in html and 'name="line_' not in html


def test_export_masks_personal_data_unless_allowed_and_logs_it(client_for, shop, stocked, make_order):
    import io

    from openpyxl import load_workbook

    from shopdesk.core.models import AuditEvent

    stocked("CH-0001", 5)
    make_order(message="请发顺丰")
    cs = client_for("cs_presales", shops=[shop])
    response = cs.get(reverse("orders:export"), {"tab": "review"})
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and "138****8000" in rows[1] and PHONE not in rows[1]
    assert cs.get(reverse("orders:export"), {"personal_data": "1"}).status_code == 403
    boss = client_for("manager")
    clear = boss.get(reverse("orders:export"), {"personal_data": "1"})
    rows = list(load_workbook(io.BytesIO(clear.content)).active.iter_rows(values_only=True))
    assert PHONE in rows[1] and "文三路1号" in rows[1]
    assert AuditEvent.objects.filter(action="orders.export", actor=cs.user).count() == 1
    assert AuditEvent.objects.filter(action="orders.export_personal_data", actor=boss.user).count() == 1
    assert client_for("designer").get(reverse("orders:export")).status_code == 403
