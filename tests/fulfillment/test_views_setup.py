"""Carrier set-up pages: who may open and change what, the pages' forms through the services, the dispatch plan
board with its polling."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import services
from shopdesk.fulfillment.models import Carrier, PriceRule, ShopShipping, WaybillPool
from shopdesk.orders.models import UnreachableArea


def csv_upload(name, rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8-sig"), content_type="text/csv")


@pytest.fixture
def lead(client_for, shop):
    return client_for("warehouse", shops=[shop])


@pytest.fixture
def cs(client_for, shop):
    return client_for("cs_presales", shops=[shop])


# --- permissions ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, can_view, can_edit, can_plan", [
    ("manager", True, True, True), ("warehouse", True, True, True), ("cs_presales", True, False, False),
    ("cs_aftersales", True, False, False), ("cs_supervisor", True, False, False), ("finance", True, False, False),
    ("operations", False, False, False),
])
def test_who_may_open_the_set_up_pages(role, can_view, can_edit, can_plan, client_for, shop, zto):
    client = client_for(role, shops=[shop])
    status = lambda ok: 200 if ok else 403  # noqa: E731
    assert client.get(reverse("fulfillment:carriers")).status_code == status(can_view)
    assert client.get(reverse("fulfillment:carrier", args=[zto.pk])).status_code == status(can_view)
    assert client.get(reverse("fulfillment:carrier_create")).status_code == status(can_edit)
    assert client.get(reverse("fulfillment:carrier_edit", args=[zto.pk])).status_code == status(can_edit)
    assert client.get(reverse("fulfillment:shipping")).status_code == status(can_edit)
    assert client.get(reverse("fulfillment:waybill_import")).status_code == status(can_edit)
    assert client.get(reverse("fulfillment:plan")).status_code == status(can_plan)
    assert client.get(reverse("fulfillment:plan_board")).status_code == status(can_plan)
    nav = client.get(reverse("home")).content.decode().split('class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert (f'href="{reverse("fulfillment:carriers")}"' in nav) == can_view
    assert (f'href="{reverse("fulfillment:plan")}"' in nav) == can_plan


def test_customer_service_sees_a_carrier_but_changes_nothing(cs, zto):
    services.save_price_rule(actor=None, carrier=zto, province="", first_weight_kg="1", first_fee="5",
                             extra_unit_kg="1", extra_fee="2")
    html = cs.get(reverse("fulfillment:carrier", args=[zto.pk])).content.decode()
    assert zto.name in html and 'action="/fulfilment/carriers/' not in html
    rule = PriceRule.objects.get()
    pool = WaybillPool.objects.get()
    posts = [
        (reverse("fulfillment:carrier_create"), {"name": "X", "code": "x", "sort": 0}),
        (reverse("fulfillment:price_rule_save", args=[zto.pk]), {"rule-first_fee": "1"}),
        (reverse("fulfillment:price_rule_delete", args=[zto.pk, rule.pk]), {}),
        (reverse("fulfillment:pool_range", args=[zto.pk]), {"range-first": "1", "range-last": "9"}),
        (reverse("fulfillment:pool_import", args=[zto.pk]), {"list-numbers": "A1"}),
        (reverse("fulfillment:pool_active", args=[pool.pk]), {"active": "0"}),
        (reverse("fulfillment:coverage_add", args=[zto.pk]), {"area-province": "西藏自治区"}),
        (reverse("fulfillment:coverage_import", args=[zto.pk]), {}),
    ]
    for url, data in posts:
        assert cs.post(url, data).status_code == 403, url
    assert Carrier.objects.count() == 1 and PriceRule.objects.count() == 1 and pool.numbers.count() == 0
    assert WaybillPool.objects.get().is_active and not UnreachableArea.objects.exists()


# --- carriers ---------------------------------------------------------------------------------------------------------


def test_carrier_list_shows_pools_and_rules_in_bounded_queries(lead, zto, ems, django_assert_max_num_queries):
    services.add_pool_numbers(actor=None, carrier=ems, name="E邮宝单号", numbers=["E1", "E2", "E3"])
    services.save_price_rule(actor=None, carrier=zto, province="", first_weight_kg="1", first_fee="5",
                             extra_unit_kg="1", extra_fee="2")
    for i in range(5):
        carrier = services.save_carrier(actor=None, name=f"快递{i}", code=f"c{i}")
        services.create_range_pool(actor=None, carrier=carrier, name=f"号段{i}", first=1, last=10)
    lead.get(reverse("fulfillment:carriers"))
    with django_assert_max_num_queries(12):
        response = lead.get(reverse("fulfillment:carriers"))
    html = response.content.decode()
    assert "中通快递" in html and "E邮宝" in html and "快递4" in html
    assert "11月号段: <strong" in html and ">9999</strong>" in html  # range 7300000001..7300009999
    assert "E邮宝单号: <strong" in html and ">3</strong>" in html


def test_carrier_page_costs_the_same_whatever_it_holds(lead, zto, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            services.add_pool_numbers(actor=None, carrier=zto, name=f"清单{n}-{i}", numbers=[f"N{n}X{i}"])
            services.save_price_rule(actor=None, carrier=zto, province=f"省{n}-{i}", first_weight_kg="1",
                                     first_fee="5", extra_unit_kg="1", extra_fee="2")
            services.add_blind_spot(actor=None, carrier=zto, province=f"省{n}-{i}")

    grow(1)
    url = reverse("fulfillment:carrier", args=[zto.pk])
    lead.get(url)
    with django_assert_max_num_queries(14) as few:
        lead.get(url)
    grow(6)
    with django_assert_max_num_queries(len(few)):
        html = lead.get(url).content.decode()
    assert "清单6-5" in html and "省6-5" in html


def test_create_and_edit_a_carrier(lead, zto):
    response = lead.post(reverse("fulfillment:carrier_create"), {
        "name": "圆通速递", "code": "yto", "services": "标准快递、次日达", "is_active": "on", "sort": "2"})
    carrier = Carrier.objects.get(code="yto")
    assert response.status_code == 302 and response["Location"] == reverse("fulfillment:carrier", args=[carrier.pk])
    assert carrier.services == ["标准快递", "次日达"] and carrier.is_active and not carrier.is_universal
    response = lead.post(reverse("fulfillment:carrier_create"), {"name": "中通快递", "code": "zto9", "sort": "0"})
    assert response.status_code == 200 and Carrier.objects.count() == 2  # the name is taken: shown by the field
    assert "field-error" in response.content.decode()
    lead.post(reverse("fulfillment:carrier_edit", args=[carrier.pk]), {
        "name": "圆通速递", "code": "yto", "services": "", "sort": "3"})
    carrier.refresh_from_db()
    assert not carrier.is_active and carrier.services == [] and carrier.sort == 3
    assert AuditEvent.objects.filter(action="fulfillment.change_carrier", actor_id=lead.user.pk).exists()


def test_price_rules_add_change_delete_and_the_fee_calculator(lead, zto):
    url = reverse("fulfillment:price_rule_save", args=[zto.pk])
    rule = {"rule-province": "", "rule-first_weight_kg": "1", "rule-first_fee": "5", "rule-extra_unit_kg": "1",
            "rule-extra_fee": "2"}
    assert lead.post(url, rule).status_code == 302
    assert lead.post(url, {**rule, "rule-province": "新疆", "rule-first_fee": "15", "rule-extra_fee": "10"}
                     ).status_code == 302
    assert lead.post(url, {**rule, "rule-province": "新疆", "rule-first_fee": "16", "rule-extra_fee": "10"}
                     ).status_code == 302  # the same province again: replaced
    xinjiang = PriceRule.objects.get(carrier=zto, province="新疆")
    assert PriceRule.objects.count() == 2 and xinjiang.first_fee == 16
    bad = lead.post(url, {**rule, "rule-first_fee": "-1"})
    assert bad.status_code == 200 and PriceRule.objects.count() == 2
    page = lead.get(reverse("fulfillment:carrier", args=[zto.pk]) + f"?edit={xinjiang.pk}").content.decode()
    assert 'value="新疆"' in page and 'value="16.00"' in page
    fee_url = reverse("fulfillment:fee", args=[zto.pk])
    partial = lead.get(fee_url, {"fee-province": "新疆维吾尔自治区", "fee-weight_kg": "2.5"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and "¥36.00" in partial.content.decode()
    assert "<html" not in partial.content.decode()
    full = lead.get(fee_url, {"fee-province": "广东省", "fee-weight_kg": "1"})
    assert "¥5.00" in full.content.decode() and "<html" in full.content.decode()
    lead.post(reverse("fulfillment:price_rule_delete", args=[zto.pk, xinjiang.pk]))
    assert list(PriceRule.objects.values_list("province", flat=True)) == [""]


def test_pools_range_list_and_deactivate(lead, zto):
    response = lead.post(reverse("fulfillment:pool_range", args=[zto.pk]), {
        "range-name": "12月号段", "range-prefix": "ZT", "range-first": "100", "range-last": "199",
        "range-digits": "10"})
    assert response.status_code == 302
    pool = WaybillPool.objects.get(name="12月号段")
    assert (pool.next_number, pool.last_number, pool.prefix) == (100, 199, "ZT")
    bad = lead.post(reverse("fulfillment:pool_range", args=[zto.pk]), {
        "range-first": "9", "range-last": "1", "range-digits": "10"})
    assert bad.status_code == 200 and ("field-error" in bad.content.decode() or "form-errors" in bad.content.decode())
    lead.post(reverse("fulfillment:pool_import", args=[zto.pk]), {"list-name": "贴单", "list-numbers": "zt1\nZT2\n\n"})
    assert sorted(WaybillPool.objects.get(name="贴单").numbers.values_list("number", flat=True)) == ["ZT1", "ZT2"]
    upload = csv_upload("numbers.csv", [["运单号"], ["F1"], ["F2"], ["F3"]])
    lead.post(reverse("fulfillment:pool_import", args=[zto.pk]), {"list-name": "文件", "list-file": upload})
    assert WaybillPool.objects.get(name="文件").numbers.count() == 3
    again = lead.post(reverse("fulfillment:pool_import", args=[zto.pk]), {"list-numbers": "F1"})
    assert again.status_code == 200 and "F1" in again.content.decode()  # already known: refused by name
    lead.post(reverse("fulfillment:pool_active", args=[pool.pk]), {"active": "0"})
    pool.refresh_from_db()
    assert not pool.is_active
    page = lead.get(reverse("fulfillment:carrier", args=[zto.pk])).content.decode()
    assert "12月号段" in page and "贴单" in page


def test_coverage_add_remove_and_import(lead, zto, ems, english):
    lead.post(reverse("fulfillment:coverage_add", args=[zto.pk]), {"area-province": "西藏自治区"})
    area = UnreachableArea.objects.get()
    assert (area.carrier, area.province) == ("中通快递", "西藏自治区")
    bad = csv_upload("areas.csv", [["省份", "城市"], ["新疆维吾尔自治区", ""], ["", "拉萨市"]])
    response = lead.post(reverse("fulfillment:coverage_import", args=[zto.pk]), {"coverage-file": bad})
    html = response.content.decode()
    assert response.status_code == 200 and "Line 3, 省份: must not be empty" in html and "areas.csv" in html
    assert UnreachableArea.objects.count() == 1
    good = csv_upload("areas.csv", [["省份", "城市"], ["新疆维吾尔自治区", ""], ["西藏自治区", ""]])
    response = lead.post(reverse("fulfillment:coverage_import", args=[zto.pk]), {"coverage-file": good}, follow=True)
    assert "1 new, 1 already listed" in response.content.decode()
    other = services.add_blind_spot(actor=None, carrier=ems, province="西藏自治区")
    assert lead.post(reverse("fulfillment:coverage_remove", args=[zto.pk, other.pk])).status_code == 404
    lead.post(reverse("fulfillment:coverage_remove", args=[zto.pk, area.pk]))
    assert not UnreachableArea.objects.filter(pk=area.pk).exists()
    template = lead.get(reverse("fulfillment:coverage_template"))
    assert [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]] == ["省份", "城市", "区县"]


# --- shop shipping settings -------------------------------------------------------------------------------------------


def test_shipping_settings_per_shop(lead, shop, client_for):
    page = lead.get(reverse("fulfillment:shipping")).content.decode()
    assert "中通快递" in page and "{快递公司}" in page  # the default carrier (read-only) and the variables
    data = {"shop": shop.code, "sender_name": "安之伴仓库", "sender_phone": "0571-88886666",
            "sender_address": "杭州市余杭区仓前街道1号", "notice_template": "{买家}您好，{快递公司}{运单号}已发出",
            "stall_hours": "36"}
    assert lead.post(reverse("fulfillment:shipping"), data).status_code == 302
    row = ShopShipping.objects.get(shop=shop)
    assert (row.sender_name, row.stall_hours) == ("安之伴仓库", 36)
    bad = lead.post(reverse("fulfillment:shipping"), {**data, "notice_template": "{客户}您好"})
    assert bad.status_code == 200 and ShopShipping.objects.get(shop=shop).notice_template.startswith("{买家}")
    manager = client_for("manager")
    html = manager.get(reverse("fulfillment:shipping") + f"?shop={shop.code}").content.decode()
    assert "安之伴仓库" in html and reverse("orders:rules") in html


def test_shipping_settings_escape_user_text(lead, shop):
    services.update_shop_shipping(actor=None, shop=shop, sender_name="<script>alert(1)</script>")
    html = lead.get(reverse("fulfillment:shipping")).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


# --- waybill-number import --------------------------------------------------------------------------------------------


def test_waybill_import_page(lead, zto, verified_order, english):
    order = verified_order()
    good = csv_upload("运单.csv", [["订单号", "运单号"], [order.platform_order_no, "ZT123"]])
    response = lead.post(reverse("fulfillment:waybill_import"), {"shop": order.shop.pk, "file": good}, follow=True)
    assert "1 orders updated" in response.content.decode()
    order.refresh_from_db()
    assert order.tracking_no == "ZT123"
    bad = csv_upload("运单.csv", [["订单号", "运单号"], ["NOPE", "ZT124"]])
    response = lead.post(reverse("fulfillment:waybill_import"), {"shop": order.shop.pk, "file": bad})
    html = response.content.decode()
    assert response.status_code == 200 and "Line 2, 订单号: no order NOPE" in html and "运单.csv" in html
    template = lead.get(reverse("fulfillment:waybill_template"))
    assert template["Content-Type"].startswith("application/vnd.openxmlformats")
    assert [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]] == ["订单号", "运单号", "快递公司"]


# --- the dispatch plan ------------------------------------------------------------------------------------------------


def test_dispatch_plan_board_polls_and_shows_the_numbers(lead, zto, verified_order, django_assert_max_num_queries):
    for _ in range(3):
        verified_order()
    lead.get(reverse("fulfillment:plan"))
    with django_assert_max_num_queries(15):  # the request's own 8 (session, user, roles ...) + the plan's 7
        page = lead.get(reverse("fulfillment:plan"))
    html = page.content.decode()
    assert 'hx-trigger="every 60s"' in html and reverse("fulfillment:plan_board") in html
    assert '<span class="big-count">3</span>' in html
    board = lead.get(reverse("fulfillment:plan_board")).content.decode()
    assert board.startswith('<div id="plan-board"') and "<html" not in board and 'hx-trigger="every 60s"' in board
