"""Complaint pages: a new complaint, its steps through the page (listen → apologise → ask → record → resolve →
close) and the follow-up call; a complaint against a named colleague hidden from agents."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from shopdesk.aftersales import services
from shopdesk.aftersales.models import Complaint
from shopdesk.core.models import Deadline

STEP = Complaint.Step


@pytest.fixture
def agent(client_for, shop):
    return client_for("cs_aftersales", shops=[shop])


@pytest.fixture
def supervisor(client_for, shop):
    return client_for("cs_supervisor", shops=[shop])


def _text(response) -> str:
    return response.content.decode()


def test_new_complaint_through_the_form(agent, shop, shipped_order):
    order = shipped_order(buyer="tb-angry")
    response = agent.get(reverse("aftersales:complaint_new"))
    assert response.status_code == 200
    response = agent.post(reverse("aftersales:complaint_new"), {
        "shop": shop.pk, "order_no": order.platform_order_no, "buyer_platform_id": "",
        "summary": "发货太慢，客服不回消息"})
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("aftersales:complaint",
                                                                           args=[complaint.pk])
    assert complaint.order == order and complaint.buyer_platform_id == "tb-angry" and complaint.step == STEP.LISTEN
    page = _text(agent.get(response["Location"]))
    assert "发货太慢" in page and 'class="step-bar"' in page


def test_new_complaint_with_an_unknown_order_number_says_so(agent, shop):
    response = agent.post(reverse("aftersales:complaint_new"), {"shop": shop.pk, "order_no": "NOPE-1",
                                                                "summary": "x"})
    assert response.status_code == 200 and "order_no" in response.context["form"].errors
    assert not Complaint.objects.exists()


def test_complaint_steps_through_the_pages(agent, shop):
    complaint = services.open_complaint(actor=agent.user, shop=shop, summary="商品与描述不符")
    advance = reverse("aftersales:complaint_advance", args=[complaint.pk])
    detail = reverse("aftersales:complaint", args=[complaint.pk])
    for expected in (STEP.APOLOGISE, STEP.ASK):
        assert agent.post(advance, {"notes": f"到了{expected}"}).status_code == 302
        complaint.refresh_from_db()
        assert complaint.step == expected
    # recording needs the cause
    response = agent.post(advance, {"notes": "记录"})
    assert response.status_code == 200 and "cause" in response.context["step_form"].errors
    complaint.refresh_from_db()
    assert complaint.step == STEP.ASK
    agent.post(advance, {"notes": "描述写得不清楚", "cause": "unclear_description"})
    complaint.refresh_from_db()
    assert complaint.step == STEP.RECORD and complaint.cause == "unclear_description"
    # resolving needs the resolution; the compensation is recorded, the follow-up call falls due
    response = agent.post(advance, {"notes": ""})
    assert response.status_code == 200 and "resolution" in response.context["step_form"].errors
    agent.post(advance, {"resolution": "退款并补偿优惠券", "compensation": "10.00"})
    complaint.refresh_from_db()
    assert complaint.step == STEP.RESOLVE and complaint.compensation == Decimal("10.00")
    assert complaint.follow_up_due_at is not None
    page = agent.get(detail)
    assert page.context["follow_up_form"] is not None
    agent.post(reverse("aftersales:complaint_follow_up", args=[complaint.pk]), {"note": "买家表示满意"})
    complaint.refresh_from_db()
    assert complaint.followed_up_at is not None and complaint.follow_up_note == "买家表示满意"
    assert not Deadline.objects.filter(rule=services.COMPLAINT_FOLLOW_UP_RULE, closed_at__isnull=True).exists()
    agent.post(advance, {"notes": "礼貌结束"})
    complaint.refresh_from_db()
    assert complaint.step == STEP.CLOSED
    page = agent.get(detail)
    assert page.context["step_form"] is None and page.context["follow_up_form"] is None
    assert [e["action"] for e in page.context["timeline"]][0] == "aftersales.complaint_closed"
    assert "描述写得不清楚" in _text(page)


def test_complaint_follow_up_tab_lists_the_due_calls(agent, shop, django_assert_max_num_queries):
    resolved = services.open_complaint(actor=agent.user, shop=shop, summary="A")
    for _ in range(4):
        services.advance_complaint(actor=agent.user, complaint=resolved, cause="product_quality",
                                   resolution="换货")
    resolved.refresh_from_db()
    Complaint.objects.filter(pk=resolved.pk).update(follow_up_due_at=resolved.opened_at)
    for n in range(5):
        services.open_complaint(actor=agent.user, shop=shop, summary=f"B{n}")
    with django_assert_max_num_queries(14):
        response = agent.get(reverse("aftersales:complaints"))
    assert response.status_code == 200 and len(response.context["table"].rows) == 6
    due = agent.get(reverse("aftersales:complaints"), {"tab": "follow_up"})
    assert [c.pk for c in due.context["table"].rows] == [resolved.pk]


def test_complaint_against_a_colleague_is_hidden_from_agents(agent, supervisor, client_for, shop):
    colleague = client_for("cs_aftersales", shops=[shop])
    response = agent.post(reverse("aftersales:complaint_new"), {
        "shop": shop.pk, "summary": "客服态度差", "against_staff": colleague.user.pk})
    complaint = Complaint.objects.get()
    assert complaint.against_staff == colleague.user
    assert response.status_code == 302 and response["Location"] == reverse("aftersales:complaints")
    for person in (agent, colleague):
        assert person.get(reverse("aftersales:complaint", args=[complaint.pk])).status_code == 404
        assert complaint.summary not in _text(person.get(reverse("aftersales:complaints"), {"tab": "all"}))
        assert person.post(reverse("aftersales:complaint_advance", args=[complaint.pk]),
                           {"notes": "x"}).status_code == 404
    page = supervisor.get(reverse("aftersales:complaint", args=[complaint.pk]))
    assert page.status_code == 200 and "客服态度差" in _text(page)
    assert complaint.summary in _text(supervisor.get(reverse("aftersales:complaints")))


def test_complaint_pages_need_the_permissions(client_for, shop):
    complaint = services.open_complaint(actor=None, shop=shop, summary="x")
    finance = client_for("finance", shops=[shop])  # reads complaints, works none
    assert finance.get(reverse("aftersales:complaint", args=[complaint.pk])).status_code == 200
    assert finance.get(reverse("aftersales:complaint_new")).status_code == 403
    assert finance.post(reverse("aftersales:complaint_advance", args=[complaint.pk])).status_code == 403
    warehouse = client_for("warehouse", shops=[shop])
    assert warehouse.get(reverse("aftersales:complaints")).status_code == 403
