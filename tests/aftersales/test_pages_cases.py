"""The after-sales case pages: the queues, opening a case from the order with the live policy preview, the case page
(decision, evidence photos behind a permission check, return instructions masked, timeline) and its actions."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shopdesk.aftersales import services
from shopdesk.aftersales.models import Case
from shopdesk.aftersales.views import PAYERS
from shopdesk.core.models import AuditEvent

S = Case.State


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 200, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def agent(client_for, shop):
    return client_for("cs_aftersales", shops=[shop])


@pytest.fixture
def supervisor(client_for, shop):
    return client_for("cs_supervisor", shops=[shop])


def _text(response) -> str:
    return response.content.decode()


def _case_post(order, **values):
    data = {"order": order.pk, "kind": "return", "reason": "quality", "return_shipping": "", "description": ""}
    for line in order.lines.all():
        data[f"line_{line.pk}"] = 0
    data.update(values)
    return data


# --- the list -------------------------------------------------------------------------------------------------------


def test_case_list_shows_the_queues_with_counts_and_searches(agent, shipped_order, case_for,
                                                             django_assert_max_num_queries):
    waiting = [case_for(actor=agent.user) for _ in range(3)]
    refused = case_for(reason="no_reason", item_flags=["special_price"], actor=agent.user)
    with django_assert_max_num_queries(15):
        response = agent.get(reverse("aftersales:cases"))
    assert response.status_code == 200
    page = _text(response)
    for case in waiting:
        assert case.number in page and case.order.platform_order_no in page
        assert reverse("orders:detail", args=[case.order.pk]) in page
    assert refused.number not in page  # the open tab
    tabs = {t["key"]: t["count"] for t in response.context["table"].tabs}
    assert tabs["open"] == 3 and tabs["buyer"] == 3 and tabs["refused"] == 1 and tabs["all"] == 4
    assert "可退可不退的以退为主" in page

    found = agent.get(reverse("aftersales:cases"), {"tab": "all", "q": waiting[1].order.platform_order_no})
    assert [c.pk for c in found.context["table"].rows] == [waiting[1].pk]
    services.record_return_parcel(actor=agent.user, case=waiting[2], carrier="顺丰", tracking_no="SF123456789")
    found = agent.get(reverse("aftersales:cases"), {"tab": "all", "q": "SF123456789"})
    assert [c.pk for c in found.context["table"].rows] == [waiting[2].pk]


def test_case_list_query_count_does_not_grow_with_rows(agent, case_for, django_assert_max_num_queries):
    for _ in range(12):
        case_for(actor=agent.user)
    with django_assert_max_num_queries(15):
        response = agent.get(reverse("aftersales:cases"), {"tab": "all"})
    assert len(response.context["table"].rows) == 12


def test_pages_refuse_a_role_without_the_permission(client_for, shop, case_for):
    case = case_for()
    operations = client_for("operations", shops=[shop])
    for url in [reverse("aftersales:cases"), reverse("aftersales:case", args=[case.pk]),
                reverse("aftersales:case_new", args=[case.order.pk]), reverse("aftersales:receiving"),
                reverse("aftersales:register"), reverse("aftersales:daily"), reverse("aftersales:complaints")]:
        assert operations.get(url).status_code == 403, url
    finance = client_for("finance", shops=[shop])  # reads cases, works none
    assert finance.get(reverse("aftersales:case", args=[case.pk])).status_code == 200
    assert finance.get(reverse("aftersales:case_new", args=[case.order.pk])).status_code == 403
    assert finance.post(reverse("aftersales:case_withdraw", args=[case.pk]), {"reason": "x"}).status_code == 403
    assert finance.get(reverse("aftersales:receiving")).status_code == 403


def test_another_shops_case_is_404(client_for, other_shop, case_for):
    case = case_for()
    stranger = client_for("cs_aftersales", shops=[other_shop])
    assert stranger.get(reverse("aftersales:case", args=[case.pk])).status_code == 404
    assert stranger.get(reverse("aftersales:case_new", args=[case.order.pk])).status_code == 404
    assert stranger.post(reverse("aftersales:case_withdraw", args=[case.pk]), {"reason": "x"}).status_code == 404
    response = stranger.get(reverse("aftersales:cases"), {"tab": "all"})
    assert response.context["table"].paginator.count == 0


# --- opening a case -------------------------------------------------------------------------------------------------


def test_order_page_links_to_a_new_case_for_those_who_may_open_one(agent, client_for, shop, shipped_order):
    order = shipped_order()
    url = reverse("aftersales:case_new", args=[order.pk])
    assert url in _text(agent.get(reverse("orders:detail", args=[order.pk])))
    presales = client_for("cs_presales", shops=[shop])
    assert url not in _text(presales.get(reverse("orders:detail", args=[order.pk])))


def test_open_case_form_shows_the_days_and_the_principles(agent, shipped_order):
    order = shipped_order(days_ago=3)
    response = agent.get(reverse("aftersales:case_new", args=[order.pk]))
    page = _text(response)
    assert response.status_code == 200
    assert "可换可不换的以换为主，可退可不退的以退为主；分不清责任的，以我为主" in page
    assert response.context["form"]["days"].value() == 3 and response.context["form"].fields["days"].disabled
    assert 'hx-post="/aftersales/policy-preview/"' in page and 'hx-trigger="change"' in page
    for line in order.lines.all():
        assert f'name="line_{line.pk}"' in page
    assert "<script>" not in page


def test_open_case_form_creates_a_refused_case_with_its_decision(agent, shipped_order):
    order = shipped_order(days_ago=2)
    first = order.lines.order_by("id").first()
    response = agent.post(reverse("aftersales:case_new", args=[order.pk]), _case_post(
        order, reason="no_reason", item_flags=["special_price"], **{f"line_{first.pk}": 1}))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("aftersales:case", args=[case.pk])
    assert case.state == S.REFUSED and case.rule_codes == ["no_reason_within_7_days", "no_reason_special_price"]
    assert case.days_since_receipt == 2 and case.opened_by == agent.user
    page = _text(agent.get(response["Location"]))
    assert "no_reason_special_price" in page and "特价商品除质量问题外不予退换。" in page
    assert case.explanation in page


def test_open_case_form_with_photos_and_the_photo_view(agent, client_for, other_shop, shipped_order, media):
    order = shipped_order()
    lines = list(order.lines.order_by("id"))
    data = _case_post(order, reason="quality", description="拉链坏了", **{f"line_{lines[1].pk}": 2})
    data["photos"] = [SimpleUploadedFile("a.png", PNG, "image/png"), SimpleUploadedFile("b.png", PNG, "image/png")]
    response = agent.post(reverse("aftersales:case_new", args=[order.pk]), data)
    case = Case.objects.get()
    assert response.status_code == 302 and case.state == S.WAITING_RETURN and case.shipping_paid_by == "shop"
    photos = list(case.evidence.exclude(photo=""))
    assert len(photos) == 2
    page = _text(agent.get(reverse("aftersales:case", args=[case.pk])))
    photo_url = reverse("aftersales:evidence_photo", args=[photos[0].pk])
    assert photo_url in page and "/media/" not in page and "拉链坏了" in page
    photo = agent.get(photo_url)
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert photo["Cache-Control"] == "private, no-store" and b"".join(photo.streaming_content) == PNG
    assert client_for("cs_aftersales", shops=[other_shop]).get(photo_url).status_code == 404
    assert client_for("operations").get(photo_url).status_code == 403


def test_open_case_form_shows_a_refusal_of_the_service(agent, shipped_order, case_for):
    order = shipped_order(lines=((1, "50.00"),))
    case_for(order=order)  # every unit is already in a case
    line = order.lines.get()
    response = agent.post(reverse("aftersales:case_new", args=[order.pk]),
                          _case_post(order, **{f"line_{line.pk}": 1}))
    assert response.status_code == 200 and Case.objects.count() == 1
    assert response.context["form"].errors


def test_open_case_needs_items(agent, shipped_order):
    order = shipped_order()
    response = agent.post(reverse("aftersales:case_new", args=[order.pk]), _case_post(order))
    assert response.status_code == 200 and not Case.objects.exists()
    assert response.context["form"].non_field_errors()


def test_open_case_on_an_unshipped_order_goes_back_to_the_order(agent, stocked, make_order):
    sku = stocked()
    order = make_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    response = agent.get(reverse("aftersales:case_new", args=[order.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("orders:detail", args=[order.pk])


# --- the live policy preview ----------------------------------------------------------------------------------------


def test_policy_preview_answers_as_the_form_changes(agent, shipped_order):
    order = shipped_order(days_ago=2)
    first = order.lines.order_by("id").first()
    url = reverse("aftersales:policy_preview")
    allowed = agent.post(url, _case_post(order, reason="no_reason", **{f"line_{first.pk}": 1}), HTTP_HX_REQUEST="true")
    page = _text(allowed)
    assert allowed.status_code == 200 and 'id="policy-decision"' in page and "decision-allowed" in page
    assert "no_reason_within_7_days" in page and "来回运费由买家承担" in page
    assert allowed.context["preview"]["payer"] == PAYERS["buyer"]
    refused = _text(agent.post(url, _case_post(order, reason="quality", return_shipping="freight_collect")))
    assert "decision-refused" in refused and "freight_collect_refused" in refused and "到付件一律拒收" in refused
    pending = _text(agent.post(url, {"order": order.pk}))
    assert "decision-pending" in pending
    assert not Case.objects.exists()  # a preview writes nothing


def test_policy_preview_uses_the_entered_days_when_the_order_has_no_delivery(agent, shipped_order):
    order = shipped_order(delivered=False)
    url = reverse("aftersales:policy_preview")
    unknown = _text(agent.post(url, _case_post(order, reason="no_reason")))
    assert "no_reason_days_unknown" in unknown
    late = _text(agent.post(url, _case_post(order, reason="no_reason", days="9")))
    assert "no_reason_after_7_days" in late and "decision-refused" in late
    form = agent.get(reverse("aftersales:case_new", args=[order.pk])).context["form"]
    assert not form.fields["days"].disabled


def test_policy_preview_is_refused_without_the_permission_and_for_another_shop(client_for, shop, other_shop,
                                                                                shipped_order):
    order = shipped_order()
    url = reverse("aftersales:policy_preview")
    assert client_for("finance", shops=[shop]).post(url, _case_post(order)).status_code == 403
    assert client_for("cs_aftersales", shops=[other_shop]).post(url, _case_post(order)).status_code == 404


# --- the case page --------------------------------------------------------------------------------------------------


def test_return_instructions_are_always_masked(agent, client_for, shop, case_for):
    """The buyer writes their own name and phone on the note: the page never shows them in clear (that would be an
    unlogged unmasking), not even to a person who may unmask them on the order page."""
    case = case_for(actor=agent.user)
    agents = _text(agent.get(reverse("aftersales:case", args=[case.pk])))
    assert 'id="return-instructions"' in agents and case.order.buyer_platform_id in agents
    assert "13800138000" not in agents and "138****8000" in agents
    assert not AuditEvent.objects.filter(action="orders.unmask").exists()
    finance = _text(client_for("finance", shops=[shop]).get(reverse("aftersales:case", args=[case.pk])))
    assert 'id="return-instructions"' in finance
    assert "13800138000" not in finance and "138****8000" in finance and "张三" not in finance


def test_timeline_lists_the_case_events(agent, case_for):
    case = case_for(actor=agent.user)
    response = agent.get(reverse("aftersales:case", args=[case.pk]))
    events = response.context["timeline"]
    assert [e["action"] for e in events] == ["aftersales.accept_case", "aftersales.open_case"]
    assert all(e["actor"] == agent.user.username for e in events)
    assert all(str(e["label"]) in _text(response) for e in events)


def test_return_parcel_freight_collect_is_refused_on_the_page(agent, case_for):
    case = case_for(actor=agent.user)
    url = reverse("aftersales:case_parcel", args=[case.pk])
    response = agent.post(url, {"carrier": "中通", "tracking_no": "ZT99", "return_shipping": "freight_collect"},
                          follow=True)
    assert "到付件一律拒收" in _text(response)
    case.refresh_from_db()
    assert case.return_tracking_no == "" and case.waiting_for == Case.Waiting.BUYER
    agent.post(url, {"carrier": "中通", "tracking_no": "ZT99", "return_shipping": "prepaid"})
    case.refresh_from_db()
    assert case.return_tracking_no == "ZT99" and case.waiting_for == Case.Waiting.WAREHOUSE


def test_refund_above_the_limit_goes_to_approval_then_is_paid(agent, supervisor, shipped_order, case_for):
    order = shipped_order(lines=((1, "500.00"),))
    case = case_for(order=order, actor=agent.user)
    line = case.lines.get()
    services.receive_return(actor=None, case=case, inspection={line.pk: (0, 1)}, note="坏了")
    case.refresh_from_db()
    assert case.state == S.REFUND_DUE and case.refund_amount == 500
    page = _text(agent.get(reverse("aftersales:case", args=[case.pk])))
    assert reverse("aftersales:case_refund", args=[case.pk]) in page
    assert reverse("aftersales:case_approve", args=[case.pk]) not in page
    response = agent.post(reverse("aftersales:case_refund", args=[case.pk]), {"note": ""}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    assert "500.00" in str(list(response.context["messages"])[0])
    case.refresh_from_db()
    assert case.state == S.REFUND_APPROVAL
    assert agent.post(reverse("aftersales:case_approve", args=[case.pk])).status_code == 403
    page = _text(supervisor.get(reverse("aftersales:case", args=[case.pk])))
    assert reverse("aftersales:case_approve", args=[case.pk]) in page
    supervisor.post(reverse("aftersales:case_approve", args=[case.pk]), {"note": "ok"})
    case.refresh_from_db()
    assert case.state == S.REFUND_DUE and case.refund_approved_by == supervisor.user
    agent.post(reverse("aftersales:case_refund", args=[case.pk]), {"note": "已退"})
    case.refresh_from_db()
    assert case.state == S.REFUNDED and case.refunded_by == agent.user


def test_supervisor_accepts_a_refused_case_with_a_reason(agent, supervisor, shipped_order, case_for):
    case = case_for(reason="no_reason", item_flags=["special_price"], actor=agent.user)
    url = reverse("aftersales:case_accept", args=[case.pk])
    assert url not in _text(agent.get(reverse("aftersales:case", args=[case.pk])))
    assert agent.post(url, {"reason": "老客户"}).status_code == 403
    assert url in _text(supervisor.get(reverse("aftersales:case", args=[case.pk])))
    response = supervisor.post(url, {"reason": ""}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    case.refresh_from_db()
    assert case.state == S.REFUSED
    supervisor.post(url, {"reason": "老客户，以退为主"})
    case.refresh_from_db()
    assert case.state == S.WAITING_RETURN and case.allowed and "supervisor_accepted" in case.rule_codes
    assert "supervisor_accepted" in _text(supervisor.get(reverse("aftersales:case", args=[case.pk])))


def test_compensation_evidence_and_withdraw(agent, case_for):
    case = case_for(actor=agent.user)
    response = agent.post(reverse("aftersales:case_compensate", args=[case.pk]), {"amount": "20.00", "reason": "安抚"},
                          follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    response = agent.post(reverse("aftersales:case_compensate", args=[case.pk]),
                          {"amount": "900", "reason": "太多"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]  # above the agent's limit
    agent.post(reverse("aftersales:case_evidence", args=[case.pk]),
               {"text": "买家补充：第二件也有问题", "photos": [SimpleUploadedFile("c.png", PNG, "image/png")]})
    case.refresh_from_db()
    assert case.compensation == 20 and case.evidence.filter(text__contains="第二件").exists()
    assert case.evidence.exclude(photo="").count() == 1
    agent.post(reverse("aftersales:case_withdraw", args=[case.pk]), {"reason": "买家撤销"})
    case.refresh_from_db()
    assert case.state == S.CANCELLED and case.result == "买家撤销"
    page = _text(agent.get(reverse("aftersales:case", args=[case.pk])))
    assert reverse("aftersales:case_withdraw", args=[case.pk]) not in page
