"""Each role sees and can do exactly what it should, in the web UI and in the API alike.

The expectations are written out by hand (not derived from shopdesk.staff.roles) so a wrong change to the role table
fails here.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from shopdesk.staff.roles import ROLE_CODES

ALL = set(ROLE_CODES)
AUDIT = {"manager", "cs_supervisor", "finance", "legal", "admin"}
SEE_STAFF = {"manager", "cs_supervisor", "admin"}
SEE_ROLES = {"manager", "operations", "cs_supervisor", "trade_manager", "admin"}
SHOP_ADMIN = {"manager", "admin"}

PAGES = [
    ("home", ALL),
    ("deadlines", ALL),
    ("audit", AUDIT),
    ("staff:list", SEE_STAFF),
    ("staff:create", {"admin"}),
    ("staff:stand_ins", SEE_STAFF),
    ("staff:stand_in_create", {"manager"}),
    ("staff:roles", SEE_ROLES),
    ("channels:shops", ALL),
    ("channels:shop_create", SHOP_ADMIN),
    ("api-docs", ALL),
]

API_READS = [
    ("/api/v1/me/", ALL),
    ("/api/v1/deadlines/", ALL),
    ("/api/v1/audit-events/", AUDIT),
    ("/api/v1/staff/", SEE_STAFF),
    ("/api/v1/roles/", SEE_ROLES),
    ("/api/v1/stand-ins/", SEE_STAFF),
    ("/api/v1/shops/", ALL),
]


@pytest.mark.parametrize("role", ROLE_CODES)
def test_pages_per_role(role, client_for):
    client = client_for(role)
    for url_name, allowed in PAGES:
        response = client.get(reverse(url_name))
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url_name}: {response.status_code} != {expected}"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_navigation_shows_only_allowed_pages(role, client_for):
    html = client_for(role).get(reverse("home")).content.decode()
    nav = html.split('class="sidebar"', 1)[1].split("</nav>", 1)[0]
    for url_name, allowed in PAGES:
        if url_name.endswith("create"):
            continue  # creation pages are reached from their list, not the sidebar
        shown = f'href="{reverse(url_name)}"' in nav
        assert shown == (role in allowed), f"{role}: nav link to {url_name} shown={shown}"
    assert ('href="/admin/"' in nav) == (role == "admin")


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_reads_per_role(role, api_for):
    api = api_for(role)
    for url, allowed in API_READS:
        response = api.get(url)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, f"{role} GET {url}: {response.status_code}"
        if expected == 403:
            assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize("role", ROLE_CODES)
def test_api_writes_per_role(role, api_for, make_user):
    api = api_for(role)
    colleague = make_user("warehouse")

    shop = api.post("/api/v1/shops/", {"code": f"s-{role}".replace("_", "-"), "platform": "jd", "name": "店"},
                    format="json")
    assert shop.status_code == (201 if role in SHOP_ADMIN else 403), shop.content

    staff = api.post("/api/v1/staff/", {"username": f"new-{role}", "roles": ["warehouse"]}, format="json")
    assert staff.status_code == (201 if role == "admin" else 403), staff.content

    stand_in = api.post("/api/v1/stand-ins/", {"username": colleague.username, "role": "finance",
                                               "starts_on": "2026-01-01", "ends_on": "2026-01-02"}, format="json")
    assert stand_in.status_code == (201 if role == "manager" else 403), stand_in.content

    limits = api.patch("/api/v1/roles/cs_presales/", {"max_discount_percent": "7"}, format="json")
    assert limits.status_code == (200 if role in SHOP_ADMIN else 403), limits.content


def test_anonymous_is_sent_to_login_and_api_answers_401(client, db):
    response = client.get(reverse("staff:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    api = client.get("/api/v1/shops/")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "not_authenticated"
    assert client.get("/api/schema/").status_code == 401


def test_admin_site_only_for_administrators(client_for):
    assert client_for("admin").get("/admin/").status_code == 200
    assert client_for("manager").get("/admin/").status_code == 302  # to the admin login, not the site


def test_shop_scoping(client_for, api_for, shop, other_shop):
    """A person sees the shops assigned to them; managers and admins see all."""
    agent = api_for("cs_presales", shops=[shop])
    codes = [s["code"] for s in agent.get("/api/v1/shops/").json()["results"]]
    assert codes == ["tmall-main"]
    assert agent.get("/api/v1/shops/jd-main/").status_code == 404
    boss = api_for("manager")
    assert sorted(s["code"] for s in boss.get("/api/v1/shops/").json()["results"]) == ["jd-main", "tmall-main"]
    page = client_for("cs_presales", shops=[other_shop]).get(reverse("channels:shops")).content.decode()
    assert "测试京东店" in page and "测试天猫店" not in page
