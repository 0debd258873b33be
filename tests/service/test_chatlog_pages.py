"""The chat-log import page (/service/import/) and API (POST /api/v1/service/chat-imports/)."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shopdesk.core import clock
from shopdesk.service.models import Conversation, Message

CN = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[1] / "data" / "chatlog"
URL = "/service/import/"
API = "/api/v1/service/chat-imports/"


@pytest.fixture(autouse=True)
def _now():
    with clock.freeze(datetime(2026, 11, 23, 12, 0, tzinfo=CN)):
        yield


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / name).read_bytes(), content_type="text/csv")


def test_url_name():
    assert reverse("service:chat_import") == URL


def test_agents_without_the_permission_get_403(client_for, shop):
    c = client_for("cs_presales", shops=[shop])
    assert c.get(URL).status_code == 403
    assert c.post(URL, {"file": upload("good_gbk.csv")}).status_code == 403
    assert c.get(reverse("service:chat_import_template")).status_code == 403
    assert Message.objects.count() == 0


def test_page_shows_the_layout_and_the_template(client_for, shop, django_assert_max_num_queries):
    c = client_for("cs_supervisor", shops=[shop])
    with django_assert_max_num_queries(15):
        page = c.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    for column in ("时间", "店铺", "买家", "客服", "方向", "内容"):
        assert f"<code>{column}</code>" in html
    assert reverse("service:chat_import_template") in html
    template = c.get(reverse("service:chat_import_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(template.content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == ["时间", "店铺", "买家", "客服", "方向", "内容"]


def test_upload_imports_and_shows_the_summary(client_for, shop, agent):
    c = client_for("cs_supervisor", shops=[shop])
    page = c.post(URL, {"file": upload("good_gbk.csv")})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-count="created">7<' in html and 'data-count="duplicates">0<' in html
    assert Message.objects.count() == 7
    again = c.post(URL, {"file": upload("good_gbk.csv")}).content.decode()
    assert 'data-count="created">0<' in again and 'data-count="duplicates">7<' in again
    assert Message.objects.count() == 7


def test_upload_with_bad_rows_lists_them_and_imports_nothing(client_for, shop):
    c = client_for("cs_supervisor", shops=[shop])
    html = c.post(URL, {"file": upload("bad_rows.csv")}).content.decode()
    for line in (3, 4, 5, 6, 7, 8, 10):
        assert f'data-line="{line}"' in html
    assert 'data-line="9"' not in html
    assert "no-such-shop" in html
    assert Message.objects.count() == 0


def test_upload_with_the_shop_chosen(client_for, shop, other_shop, tmp_path):
    c = client_for("cs_supervisor", shops=[shop, other_shop])
    content = "时间,买家,方向,内容\n2026-11-22 10:00:00,b1,买家,在吗\n".encode()
    page = c.post(URL, {"file": SimpleUploadedFile("chats.csv", content), "shop": other_shop.pk})
    assert 'data-count="created">1<' in page.content.decode()
    assert Conversation.objects.get(buyer_id="b1").shop == other_shop


def test_upload_refused_for_a_shop_not_assigned(client_for, shop, other_shop):
    c = client_for("cs_supervisor", shops=[other_shop])
    page = c.post(URL, {"file": upload("good_utf8_bom.csv")})
    assert page.status_code == 200
    assert "form-errors" in page.content.decode() or "field-error" in page.content.decode()
    assert Message.objects.count() == 0


def test_buyer_text_is_escaped_in_the_rejected_rows(client_for, shop):
    c = client_for("cs_supervisor", shops=[shop])
    content = "时间,店铺,买家,客服,方向,内容\n2026-11-22 10:00:00,<b>x</b>,b1,,买家,在吗\n".encode()
    html = c.post(URL, {"file": SimpleUploadedFile("chats.csv", content)}).content.decode()
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


# --- API ------------------------------------------------------------------------------------------------------


def test_api_import(api_for, shop, agent):
    api = api_for("cs_supervisor", shops=[shop])
    answer = api.post(API, {"file": upload("good_utf8_bom.csv")}, format="multipart")
    assert answer.status_code == 201
    assert (answer.data["created"], answer.data["duplicates"], answer.data["rejected"]) == (5, 0, [])
    again = api.post(API, {"file": upload("good_utf8_bom.csv")}, format="multipart")
    assert again.status_code == 201 and (again.data["created"], again.data["duplicates"]) == (0, 5)


def test_api_bad_rows(api_for, shop):
    api = api_for("cs_supervisor", shops=[shop])
    answer = api.post(API, {"file": upload("bad_rows.csv")}, format="multipart")
    assert answer.status_code == 400
    body = answer.json()
    assert body["error"]["code"] == "invalid_import"
    assert [r["line"] for r in body["rejected"]] == [3, 4, 5, 6, 7, 8, 10]
    assert body["error"]["rows"] == body["rejected"] and body["created"] == 0
    assert Message.objects.count() == 0


def test_api_default_shop_and_permissions(api_for, shop, other_shop):
    content = "时间,买家,方向,内容\n2026-11-22 10:00:00,b1,买家,在吗\n".encode()
    api = api_for("cs_supervisor", shops=[shop])
    refused = api.post(API, {"file": SimpleUploadedFile("c.csv", content), "shop": "jd-main"}, format="multipart")
    assert refused.status_code == 400 and "shop" in refused.json()["error"]["fields"]
    ok = api.post(API, {"file": SimpleUploadedFile("c.csv", content), "shop": "tmall-main"}, format="multipart")
    assert ok.status_code == 201 and ok.data["created"] == 1
    outsider = api_for("cs_supervisor", shops=[other_shop])
    assert outsider.post(API, {"file": upload("good_utf8_bom.csv")}, format="multipart").status_code == 403
    agent_api = api_for("cs_presales", shops=[shop])
    assert agent_api.post(API, {"file": upload("good_utf8_bom.csv")}, format="multipart").status_code == 403
    assert Message.objects.count() == 1
