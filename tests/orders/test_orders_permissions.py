"""Who may open which order page and call which order API, role by role (written out by hand, like the other
permission matrices, so a wrong change to the role table fails here)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shopdesk.staff.roles import ROLE_CODES

VIEW = {"manager", "operations", "cs_presales", "cs_aftersales", "cs_supervisor", "merchandiser", "warehouse",
        "finance"}
WORK = {"manager", "cs_presales", "cs_aftersales", "cs_supervisor"}
IMPORT = WORK | {"merchandiser"}
TASKS = {"manager", "cs_aftersales", "cs_supervisor", "warehouse"}
FULFIL = {"manager", "warehouse"}
RULES = {"manager", "cs_supervisor"}
APPROVE = {"manager"}
UNMASK = {"manager", "cs_presales", "cs_aftersales", "cs_supervisor", "warehouse"}


@pytest.fixture
def order(stocked, make_order):
    stocked("CH-0001", 50)
    return make_order(message="请发顺丰")


def _pages(order):
    pk = order.pk
    return [
        (reverse("orders:list"), VIEW),
        (reverse("orders:detail", args=[pk]), VIEW),
        (reverse("orders:change_address", args=[pk]), WORK),
        (reverse("orders:cancel", args=[pk]), WORK),
        (reverse("orders:split", args=[pk]), WORK),
        (reverse("orders:change_money", args=[pk]), WORK),
        (reverse("orders:import"), IMPORT),
        (reverse("orders:imports"), VIEW),
        (reverse("orders:unpaid"), VIEW),
        (reverse("orders:review"), VIEW),
        (reverse("orders:exceptions"), VIEW),
        (reverse("orders:cannot_ship"), VIEW),
        (reverse("orders:changes"), WORK),
        (reverse("orders:tasks"), VIEW),
        (reverse("orders:rules"), RULES),
    ]


NAV = [("orders:list", VIEW), ("orders:review", WORK), ("orders:import", IMPORT), ("orders:changes", WORK),
       ("orders:tasks", VIEW), ("orders:rules", RULES)]


@pytest.mark.parametrize("role", ROLE_CODES)
def test_pages_per_role(role, client_for, order, shop):
    client = client_for(role, shops=[shop])
    for url, allowed in _pages(order):
        expected = 200 if role in allowed else 403
        assert client.get(url).status_code == expected, f"{role} GET {url}"
    unmask = client.post(reverse("orders:unmask", args=[order.pk]))
    assert unmask.status_code == (200 if role in UNMASK and role in VIEW else 403), role


@pytest.mark.parametrize("role", ROLE_CODES)
def test_navigation_per_role(role, client_for):
    html = client_for(role).get(reverse("home")).content.decode()
    nav = html.split('class="sidebar"', 1)[1].split("</nav>", 1)[0]
    for url_name, allowed in NAV:
        assert (f'href="{reverse(url_name)}"' in nav) == (role in allowed), f"{role}: {url_name}"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_per_role(role, api_for, order, shop):
    api = api_for(role, shops=[shop])
    reads = [("/api/v1/orders/", VIEW), (f"/api/v1/orders/{order.pk}/", VIEW),
             ("/api/v1/order-change-requests/", WORK), ("/api/v1/order-tasks/", VIEW)]
    for url, allowed in reads:
        response = api.get(url)
        assert response.status_code == (200 if role in allowed else 403), f"{role} GET {url}"
    note = api.post(f"/api/v1/orders/{order.pk}/notes/", {"text": "测试"}, format="json")
    assert note.status_code == (201 if role in WORK else 403), f"{role}: notes"
    verify = api.post(f"/api/v1/orders/{order.pk}/verify/")
    assert verify.status_code == (200 if role in WORK else 403), f"{role}: verify"
    printed = api.post(f"/api/v1/orders/{order.pk}/print/", {"batch": "B"}, format="json")
    assert printed.status_code == (
        (200 if role in WORK else 409) if role in FULFIL else 403), f"{role}: print"
