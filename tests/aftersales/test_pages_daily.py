"""The supervisor's daily check, the after-sales navigation entries and the home tiles."""

from __future__ import annotations

from django.urls import reverse

from shopdesk.aftersales import services
from shopdesk.aftersales.models import Case


def _text(response) -> str:
    return response.content.decode()


def test_daily_check_lists_what_the_supervisor_looks_at(client_for, shop, shipped_order, case_for,
                                                        django_assert_max_num_queries):
    agent = client_for("cs_aftersales", shops=[shop])
    on_the_way = case_for()
    refused = case_for(reason="no_reason", item_flags=["hygiene"])
    big = case_for(order=shipped_order(lines=((1, "800.00"),)), kind="refund_only", reason="unclear")
    services.mark_refunded(actor=agent.user, case=big)  # above the agent's 300: waits for approval
    due = case_for(kind="refund_only", reason="missing_item")
    complaint = services.open_complaint(actor=None, shop=shop, summary="物流太慢")
    supervisor = client_for("cs_supervisor", shops=[shop])
    with django_assert_max_num_queries(16):
        response = supervisor.get(reverse("aftersales:daily"))
    assert response.status_code == 200
    check = response.context["check"]
    assert [c.pk for c in check.refunds_waiting_approval] == [big.pk]
    assert [c.pk for c in check.refunds_due] == [due.pk]
    assert [c.pk for c in check.returns_on_the_way] == [on_the_way.pk]
    assert [c.pk for c in check.refused_today] == [refused.pk]
    assert [c.pk for c in check.complaints_open] == [complaint.pk]
    page = _text(response)
    for item in (big, due, on_the_way, refused):
        assert item.number in page
    assert agent.get(reverse("aftersales:daily")).status_code == 403


def test_navigation_shows_the_after_sales_pages_by_permission(client_for, shop):
    agent = _text(client_for("cs_aftersales", shops=[shop]).get(reverse("aftersales:cases")))
    for name in ("cases", "register", "complaints"):
        assert f'href="{reverse("aftersales:" + name)}"' in agent
    assert f'href="{reverse("aftersales:receiving")}"' not in agent
    assert f'href="{reverse("aftersales:daily")}"' not in agent
    keeper = _text(client_for("warehouse", shops=[shop]).get(reverse("aftersales:receiving")))
    assert f'href="{reverse("aftersales:receiving")}"' in keeper
    supervisor = _text(client_for("cs_supervisor", shops=[shop]).get(reverse("aftersales:cases")))
    assert f'href="{reverse("aftersales:daily")}"' in supervisor


def _tiles(client) -> dict:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return {t["key"]: t["count"] for section in response.context["sections"] for t in section["tiles"]}


def test_home_tiles_count_the_after_sales_work(client_for, shop, shipped_order, case_for):
    agent = client_for("cs_aftersales", shops=[shop])
    case_for()
    case_for()
    case_for(kind="refund_only", reason="missing_item")
    big = case_for(order=shipped_order(lines=((1, "800.00"),)), kind="refund_only", reason="unclear")
    services.mark_refunded(actor=agent.user, case=big)
    tiles = _tiles(agent)
    assert tiles["aftersales_in_progress"] == 2 and tiles["aftersales_refunds_due"] == 1
    assert tiles["aftersales_follow_ups"] == 0
    assert _tiles(client_for("warehouse", shops=[shop]))["aftersales_returns"] == 2
    assert _tiles(client_for("cs_supervisor", shops=[shop]))["aftersales_refunds_to_approve"] == 1
    assert Case.objects.count() == 4
