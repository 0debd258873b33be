"""API conventions: the error body, token auth, schema."""

from __future__ import annotations


def test_error_body_shape_for_validation_conflict_and_permission(api_for, shop):
    admin = api_for("admin")
    invalid = admin.post("/api/v1/shops/", {"code": "x", "platform": "mars"}, format="json")
    assert invalid.status_code == 400
    body = invalid.json()["error"]
    assert body["code"] == "invalid" and "platform" in body["fields"] and "name" in body["fields"]

    conflict = admin.post("/api/v1/shops/", {"code": shop.code, "platform": "tmall", "name": "重复"}, format="json")
    assert conflict.status_code == 409
    assert conflict.json()["error"] == {"code": "shop_exists", "message": conflict.json()["error"]["message"],
                                        "fields": {"code": ["已有使用此编码的店铺。"]}}

    denied = api_for("designer").post("/api/v1/shops/", {"code": "y1", "platform": "jd", "name": "n"},
                                      format="json")
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"

    missing = admin.get("/api/v1/shops/nope/")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_bad_token_is_401(client, db):
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_me_reports_roles_and_limits(api_for):
    api = api_for("cs_presales", "warehouse")
    me = api.get("/api/v1/me/").json()
    assert [r["code"] for r in me["roles"]] == ["cs_presales", "warehouse"]
    assert me["max_discount_percent"] == "5.00"
    assert "staff.unmask_personal_data" in me["permissions"]


def test_staff_api_create_and_update(api_for, shop):
    admin = api_for("admin")
    created = admin.post("/api/v1/staff/", {"username": "new-cs", "roles": ["cs_presales"], "shops": [shop.code],
                                            "display_name": "新客服"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["roles"] == ["cs_presales"] and created.json()["shops"] == [shop.code]
    pk = created.json()["id"]
    updated = admin.patch(f"/api/v1/staff/{pk}/", {"roles": ["cs_presales", "cs_aftersales"]}, format="json")
    assert updated.json()["roles"] == ["cs_presales", "cs_aftersales"]
    bad = admin.post("/api/v1/staff/", {"username": "r", "roles": ["chef"]}, format="json")
    assert bad.status_code == 400 and "roles.0" in bad.json()["error"]["fields"]


def test_schema_and_docs(api_for, client_for):
    api = api_for("warehouse")
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/shops/", "/api/v1/staff/", "/api/v1/stand-ins/", "/api/v1/audit-events/"} <= set(paths)
    docs = client_for("warehouse").get("/api/docs/")
    assert docs.status_code == 200 and b"<script" in docs.content


def test_api_messages_follow_accept_language(api_for, shop):
    admin = api_for("admin")
    body = {"code": shop.code, "platform": "tmall", "name": "重复"}
    chinese = admin.post("/api/v1/shops/", body, format="json").json()["error"]["message"]
    english = admin.post("/api/v1/shops/", body, format="json", HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
    assert chinese == "店铺 tmall-main 已存在。"
    assert english == "Shop tmall-main already exists."


def test_schema_generates_without_warnings(db):
    """A clean OpenAPI schema (no enum collisions, no untyped views): what API clients and schemathesis read."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", "/dev/null")


def test_models_and_migrations_agree(db):
    """A model change without its migration would break `shopdesk migrate` on users' machines."""
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
