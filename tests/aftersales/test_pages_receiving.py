"""The warehouse's return receiving page and the returns register (退换货登记表) with its workbook."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from shopdesk.aftersales import services
from shopdesk.aftersales.models import Case
from shopdesk.inventory.models import LocationStock, Movement

S = Case.State


@pytest.fixture
def keeper(client_for, shop):
    return client_for("warehouse", shops=[shop])


@pytest.fixture
def agent(client_for, shop):
    return client_for("cs_aftersales", shops=[shop])


def _text(response) -> str:
    return response.content.decode()


def test_receiving_lists_waiting_returns_tracking_first_and_finds_by_scan(keeper, case_for,
                                                                          django_assert_max_num_queries):
    no_tracking = case_for()
    with_tracking = case_for()
    services.record_return_parcel(actor=None, case=with_tracking, carrier="中通", tracking_no="ZT555")
    refused = case_for(reason="no_reason", item_flags=["gift"])
    with django_assert_max_num_queries(16):
        response = keeper.get(reverse("aftersales:receiving"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["cases"]] == [with_tracking.pk, no_tracking.pk]
    assert refused.number not in _text(response)
    found = keeper.get(reverse("aftersales:receiving"), {"q": "ZT555"})
    assert [c.pk for c in found.context["cases"]] == [with_tracking.pk]
    found = keeper.get(reverse("aftersales:receiving"), {"q": no_tracking.order.platform_order_no})
    assert [c.pk for c in found.context["cases"]] == [no_tracking.pk]
    form = found.context["cases"][0].receive_form
    assert [str(loc) for loc in form.locations.values()] == ["HZ:A-01"]


def test_receiving_is_for_the_warehouse(agent, keeper, case_for):
    case = case_for()
    assert agent.get(reverse("aftersales:receiving")).status_code == 403
    assert agent.post(reverse("aftersales:receive", args=[case.pk]), {}).status_code == 403


def test_receiving_through_the_page_restocks_and_the_refund_falls_due(keeper, agent, shipped_order, case_for,
                                                                     warehouse):
    order = shipped_order(lines=((1, "50.00"), (2, "80.00")))
    case = case_for(order=order)
    first, second = case.lines.order_by("id")
    location = warehouse.locations.get(code="A-01")
    before = LocationStock.objects.get(sku=second.order_line.sku, location=location).on_hand
    prefix = f"c{case.pk}"
    response = keeper.post(reverse("aftersales:receive", args=[case.pk]), {
        f"{prefix}-restock_{first.pk}": 0, f"{prefix}-writeoff_{first.pk}": 1,
        f"{prefix}-restock_{second.pk}": 2, f"{prefix}-writeoff_{second.pk}": 0,
        f"{prefix}-location": location.pk, f"{prefix}-note": "一件有污渍"}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    case.refresh_from_db()
    assert case.state == S.REFUND_DUE and case.waiting_for == Case.Waiting.REFUND
    assert case.refund_amount == order.paid_amount and case.loss == 50 and case.inspection_note == "一件有污渍"
    assert case.received_by == keeper.user
    movement = Movement.objects.get(type=Movement.Type.RETURN_RESTOCK)
    assert movement.quantity == 2 and movement.reference == case.number
    assert LocationStock.objects.get(sku=second.order_line.sku, location=location).on_hand == before + 2
    first.refresh_from_db()
    assert (first.received, first.restocked, first.written_off) == (1, 0, 1)
    # the refund is due in the agent's queue and on the daily check
    refund_tab = agent.get(reverse("aftersales:cases"), {"tab": "refund"})
    assert [c.pk for c in refund_tab.context["table"].rows] == [case.pk]
    assert case.number not in _text(keeper.get(reverse("aftersales:receiving")))


def test_receiving_without_a_location_is_refused_with_the_reason(keeper, case_for):
    case = case_for()
    line = case.lines.order_by("id").first()
    prefix = f"c{case.pk}"
    response = keeper.post(reverse("aftersales:receive", args=[case.pk]), {
        f"{prefix}-restock_{line.pk}": 1, f"{prefix}-location": ""}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    case.refresh_from_db()
    assert case.state == S.WAITING_RETURN and not Movement.objects.filter(type="return_restock").exists()


def test_register_shows_the_month_and_exports_xlsx(agent, client_for, shop, shipped_order, case_for):
    order = shipped_order(lines=((1, "50.00"), (2, "80.00")))
    case = case_for(order=order)
    services.record_return_parcel(actor=None, case=case, carrier="中通", tracking_no="ZT777")
    first, second = case.lines.order_by("id")
    services.receive_return(actor=None, case=case, inspection={first.pk: (0, 1), second.pk: (0, 2)})
    case_for(kind="refund_only", reason="missing_item")  # not a return: not in the register
    response = agent.get(reverse("aftersales:register"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r.case, r.quantity, r.return_tracking_no) for r in rows] == [(case.number, 1, "ZT777"),
                                                                          (case.number, 2, "ZT777")]
    assert response.context["total_loss"] == 210
    assert "ZT777" in _text(response)

    export = agent.get(reverse("aftersales:register_export"), {"shop": shop.pk})
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == ["日期", "售后单", "类型", "订单号", "型号/SKU", "商品", "数量", "实收", "退货运单号",
                               "原因", "处理结果", "损失"]
    assert len(values) == 3
    assert values[1][1] == case.number and values[1][3] == order.platform_order_no and values[1][8] == "ZT777"
    assert values[1][4] == first.order_line.sku.code and values[2][6] == 2 and float(values[2][11]) == 160.0


def test_register_outside_the_period_is_empty(agent, case_for):
    case_for()
    response = agent.get(reverse("aftersales:register"), {"start": "2020-01-01", "end": "2020-01-31"})
    assert response.status_code == 200 and response.context["rows"] == []
