"""The web shell: security headers, no inline scripts, escaping, language switch, tables with bounded queries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import shopdesk

SRC = Path(shopdesk.__file__).parent


def test_security_headers_on_every_page(client_for):
    response = client_for("manager").get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) >= 8


def test_no_template_has_inline_script_or_handler():
    """The CSP forbids inline script; a template that relies on one would silently break."""
    offenders = []
    for path in SRC.rglob("templates/**/*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_user_text_is_escaped(client_for, manager, shop):
    from shopdesk.channels.services import update_shop

    update_shop(actor=manager, shop=shop, name='<script>alert("x")</script>')
    html = client_for("manager").get(reverse("channels:shops")).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_chinese_first_and_english_switch(client_for):
    client = client_for("cs_presales")
    html = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert '<html lang="zh-hans">' in html and "今日工作" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="en">' in html and "Today&#x27;s work" in html


def test_login_form_and_throttling(client, make_user):
    make_user("warehouse", username="picker")
    page = client.get(reverse("login"))
    assert page.status_code == 200
    ok = client.post(reverse("login"), {"username": "picker", "password": "shopdesk-test"})
    assert ok.status_code == 302 and ok["Location"] == "/"
    client.post(reverse("logout"))
    for _ in range(5):
        bad = client.post(reverse("login"), {"username": "picker", "password": "wrong"})
    assert bad.status_code == 429  # django-axes locks the username after 5 failures
    locked = client.post(reverse("login"), {"username": "picker", "password": "shopdesk-test"})
    assert locked.status_code == 429


def test_passwords_are_hashed_with_argon2(make_user):
    assert make_user("finance").password.startswith("argon2")


@pytest.mark.parametrize("rows", [3, 60])
def test_list_pages_have_bounded_queries(client_for, make_user, shop, rows, django_assert_max_num_queries):
    """Staff, shops, stand-ins and audit lists cost the same number of queries for 3 or 60 rows."""
    from shopdesk.channels.services import add_shop

    for i in range(rows):
        make_user("warehouse", shops=[shop])
        add_shop(actor=None, code=f"shop-{i}", platform="jd", name=f"店{i}")
    client = client_for("manager")
    for url in ("staff:list", "channels:shops", "staff:stand_ins", "audit", "staff:roles", "home"):
        # home: one COUNT per tile (order queues, approvals, shift end, parcels, refunds to approve, reviews
        # overdue, score sheets to approve, roster gaps of the week ...), the same for 3 or 60 rows
        with django_assert_max_num_queries(26):
            assert client.get(reverse(url), {"page_size": 100}).status_code == 200


@pytest.mark.parametrize("rows", [3, 60])
def test_api_lists_have_bounded_queries(api_for, make_user, shop, rows, django_assert_max_num_queries):
    for _ in range(rows):
        make_user("warehouse", shops=[shop])
    api = api_for("admin")
    for url in ("/api/v1/staff/", "/api/v1/shops/", "/api/v1/roles/", "/api/v1/audit-events/",
                "/api/v1/stand-ins/"):
        with django_assert_max_num_queries(12):
            assert api.get(url, {"page_size": 100}).status_code == 200


def test_table_tabs_sorting_and_paging(client_for, make_user, shop):
    client = client_for("admin")
    for i in range(30):
        make_user("warehouse", username=f"w{i:02d}")
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__in=["w00", "w01"]).update(is_active=False)
    html = client.get(reverse("staff:list"), {"sort": "-username", "page_size": 25}).content.decode()
    assert re.search(r'Deactivated|已停用', html)
    first_rows = re.findall(r'href="/staff/\d+/">([^<]+)</a>', html)
    assert first_rows[0] == "w29" and len(first_rows) == 25
    counts = re.findall(r'<span class="count">(\d+)</span>', html)
    assert counts[:2] == ["29", "2"]  # active (28 + admin) and deactivated
    page2 = client.get(reverse("staff:list"), {"sort": "-username", "page_size": 25, "page": 2}).content.decode()
    assert re.findall(r'href="/staff/\d+/">([^<]+)</a>', page2) == ["w04", "w03", "w02", client.user.username]


def test_batch_deactivate(client_for, make_user):
    admin = client_for("admin")
    a, b = make_user("warehouse"), make_user("warehouse")
    admin.post(reverse("staff:batch"), {"action": "deactivate", "ids": [a.pk, b.pk]})
    a.refresh_from_db()
    b.refresh_from_db()
    assert not a.is_active and not b.is_active
    manager = client_for("manager")
    assert manager.post(reverse("staff:batch"), {"action": "activate", "ids": [a.pk]}).status_code == 403


def test_staff_phone_masked_and_unmask_is_logged(client_for, make_user):
    from shopdesk.core.models import AuditEvent

    person = make_user("warehouse", phone="13912345678")
    supervisor = client_for("manager")
    html = supervisor.get(reverse("staff:list")).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    clear = supervisor.post(reverse("staff:unmask_phone", args=[person.pk]))
    assert "13912345678" in clear.content.decode()
    assert AuditEvent.objects.filter(action="core.unmask_personal_data", actor=supervisor.user).count() == 1
    assert client_for("operations").post(reverse("staff:unmask_phone", args=[person.pk])).status_code == 403


def test_forms_show_errors_beside_fields(client_for):
    admin = client_for("admin")
    response = admin.post(reverse("staff:create"), {"username": "", "roles": []})
    html = response.content.decode()
    assert response.status_code == 200 and html.count('class="field-error"') >= 2
    response = admin.post(reverse("staff:create"), {"username": "x1", "roles": ["finance"], "password": "123"})
    assert "password" in response.content.decode().lower() or "密码" in response.content.decode()


def test_account_edit_is_all_or_nothing(client_for, make_user):
    """A rejected new password leaves the roles as they were: one service call, one transaction."""
    admin = client_for("admin")
    person = make_user("warehouse")
    response = admin.post(reverse("staff:edit", args=[person.pk]),
                          {"roles": ["finance"], "password": "123", "is_active": "on"})
    assert response.status_code == 200 and 'class="field-error"' in response.content.decode()
    assert [g.role.code for g in person.groups.all()] == ["warehouse"]
    ok = admin.post(reverse("staff:edit", args=[person.pk]),
                    {"roles": ["finance"], "password": "Strong-pass-2026", "is_active": "on"})
    assert ok.status_code == 302
    person.refresh_from_db()
    assert [g.role.code for g in person.groups.all()] == ["finance"] and person.check_password("Strong-pass-2026")


def test_admin_site_cannot_edit_accounts_around_the_audit(client_for):
    admin = client_for("admin")
    assert admin.get("/admin/auth/user/").status_code == 404
    assert admin.get("/admin/axes/accessattempt/").status_code == 200


def test_navigation_marks_only_the_current_page(client_for):
    html = client_for("manager").get(reverse("staff:roles")).content.decode()
    active = re.findall(r'<a href="([^"]+)" class="nav-item active">', html)
    assert active == [reverse("staff:roles")]


def test_everyone_changes_their_own_password(client_for):
    client = client_for("designer")
    wrong = client.post(reverse("staff:own_password"), {"old_password": "nope", "new_password": "Fresh-pass-2026",
                                                        "new_password_again": "Fresh-pass-2026"})
    assert "当前密码不正确" in wrong.content.decode()
    differ = client.post(reverse("staff:own_password"), {"old_password": "shopdesk-test",
                                                         "new_password": "Fresh-pass-2026",
                                                         "new_password_again": "Fresh-pass-2027"})
    assert differ.status_code == 200 and 'class="field-error"' in differ.content.decode()
    ok = client.post(reverse("staff:own_password"), {"old_password": "shopdesk-test", "new_password": "Fresh-pass-2026",
                                                     "new_password_again": "Fresh-pass-2026"})
    assert ok.status_code == 302
    client.user.refresh_from_db()
    assert client.user.check_password("Fresh-pass-2026")
    assert client.get(reverse("home")).status_code == 200  # still logged in


def test_locked_login_tab_and_unlock(client_for, make_user, client):
    from shopdesk.core.models import AuditEvent

    victim = make_user("warehouse", username="forgetful")
    for _ in range(5):
        client.post(reverse("login"), {"username": "forgetful", "password": "wrong"})
    admin = client_for("admin")
    html = admin.get(reverse("staff:list"), {"tab": "locked"}).content.decode()
    assert "forgetful" in html and 'value="unlock"' in html
    admin.post(reverse("staff:batch"), {"action": "unlock", "ids": [victim.pk]})
    assert AuditEvent.objects.filter(action="staff.unlock_login", object_id=str(victim.pk)).exists()
    ok = client.post(reverse("login"), {"username": "forgetful", "password": "shopdesk-test"})
    assert ok.status_code == 302


def test_batch_actions_fit_the_tab(client_for):
    admin = client_for("admin")
    assert 'value="deactivate"' in admin.get(reverse("staff:list")).content.decode()
    inactive = admin.get(reverse("staff:list"), {"tab": "inactive"}).content.decode()
    assert 'value="activate"' in inactive and 'value="deactivate"' not in inactive


def test_editor_without_unmask_never_sees_the_clear_phone(client_for, make_user):
    person = make_user("warehouse", phone="13912345678")
    admin = client_for("admin")  # administrators manage accounts but may not unmask personal data
    html = admin.get(reverse("staff:edit", args=[person.pk])).content.decode()
    assert "139****5678" in html and "13912345678" not in html
    admin.post(reverse("staff:edit", args=[person.pk]), {"roles": ["warehouse"], "phone": "139****5678",
                                                         "is_active": "on"})
    person.staff_profile.refresh_from_db()
    assert person.staff_profile.phone == "13912345678"  # unchanged, not overwritten by the mask


def test_stand_in_form_dates_are_iso_for_date_inputs(client_for):
    html = client_for("manager").get(reverse("staff:stand_in_create")).content.decode()
    assert re.search(r'type="date" name="starts_on" value="\d{4}-\d{2}-\d{2}"', html)


def test_api_docs_sends_people_to_login(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
