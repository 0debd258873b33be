"""The canned-reply pages (快捷短语): the list by group with search (pinyin initials too), personal replies for every
agent, the team's replies for the supervisor, refusals beside the field, installing the standard replies."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from shopdesk.service import services
from shopdesk.service.models import CannedReply


def _login(user):
    c = Client()
    c.force_login(user)
    return c


def _form(**values):
    return {"scope": "personal", "group": "greet", "title": "招呼", "text": "亲，您好", "shortcut": "", "shop": "",
            "bargain_step": "", "sort": "0", **values}


def test_list_by_group_with_search(agent, supervisor, django_assert_max_num_queries):
    services.create_canned_reply(actor=supervisor, group="shipping", title="快递说明", text="默认发中通快递")
    services.create_canned_reply(actor=supervisor, group="greet", title="欢迎语", text="亲，欢迎光临")
    services.create_canned_reply(actor=agent, group="greet", title="我的开场", text="亲，{买家}您好", personal=True)
    services.create_canned_reply(actor=supervisor, group="farewell", title="主管私用", text="再见", personal=True)
    client = _login(agent)
    with django_assert_max_num_queries(14):
        html = client.get(reverse("service:replies")).content.decode()
    assert "快递说明" in html and "欢迎语" in html and "我的开场" in html
    assert "主管私用" not in html  # a colleague's personal reply stays theirs
    assert html.index("欢迎语") < html.index("快递说明")  # 招呼 before 快递, the order of the steps
    found = client.get(reverse("service:replies"), {"q": "kd"}).content.decode()
    assert "快递说明" in found and "欢迎语" not in found
    assert "快递说明" in client.get(reverse("service:replies"), {"q": "中通"}).content.decode()
    mine = client.get(reverse("service:replies"), {"scope": "mine"}).content.decode()
    assert "我的开场" in mine and "欢迎语" not in mine
    assert "Install the standard replies" not in html  # the supervisor's button


def test_agent_adds_a_personal_reply_not_a_team_one(agent):
    client = _login(agent)
    page = client.get(reverse("service:reply_new")).content.decode()
    assert 'value="personal"' in page and 'value="shop"' not in page
    response = client.post(reverse("service:reply_new"), _form(title="我的快递", group="shipping", shortcut="wdkd",
                                                               text="{买家}，您的{快递公司}单号是{运单号}"))
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert reply.owner == agent and reply.shortcut == "wdkd" and reply.group == "shipping"
    response = client.post(reverse("service:reply_new"), _form(scope="shop", title="全店"))
    assert response.status_code == 200 and CannedReply.objects.count() == 1  # the choice is not offered


def test_unknown_variable_is_refused_beside_the_text(supervisor):
    client = _login(supervisor)
    response = client.post(reverse("service:reply_new"), _form(scope="shop", text="亲，{卖家}给您发货了"))
    html = response.content.decode()
    assert response.status_code == 200 and not CannedReply.objects.exists()
    field = html[html.index('id="id_text"'):]
    assert "卖家" in field[:field.index("</div>", field.index("field-error"))]
    assert 'class="field has-error"' in html


def test_supervisor_manages_the_teams_replies(supervisor, agent, shop):
    client = _login(supervisor)
    response = client.post(reverse("service:reply_new"), _form(scope="shop", group="bargain", title="一拒",
                                                               text="亲，我们是实价销售哦", bargain_step="1",
                                                               intents=["bargain"], shop=str(shop.pk)))
    assert response.status_code == 302
    reply = CannedReply.objects.get()
    assert reply.owner is None and reply.bargain_step == 1 and reply.intents == ["bargain"] and reply.shop == shop
    edit = reverse("service:reply_edit", args=[reply.pk])
    response = client.post(edit, {"group": "bargain", "title": "一拒", "text": "亲，我们全网统一价哦", "shortcut": "yj",
                                  "shop": "", "bargain_step": "1", "intents": ["bargain"], "sort": "3"})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.text == "亲，我们全网统一价哦" and reply.shop is None and reply.active is False  # unticked
    assert f'data-reply="{reply.pk}"' in client.get(reverse("service:replies")).content.decode()  # still listed
    # An agent sees it only while active, and may not change it.
    agent_client = _login(agent)
    assert agent_client.get(edit).status_code == 404
    services.update_canned_reply(actor=supervisor, reply=reply, active=True)
    assert agent_client.get(edit).status_code == 403
    assert agent_client.post(reverse("service:reply_delete", args=[reply.pk])).status_code == 403
    assert client.post(reverse("service:reply_delete", args=[reply.pk])).status_code == 302
    assert not CannedReply.objects.exists()


def test_agent_edits_and_deletes_their_own(agent):
    reply = services.create_canned_reply(actor=agent, group="greet", title="开场", text="亲", personal=True)
    client = _login(agent)
    response = client.post(reverse("service:reply_edit", args=[reply.pk]),
                           {"group": "greet", "title": "开场白", "text": "亲，{店铺}欢迎您", "shortcut": "kc",
                            "shop": "", "bargain_step": "", "sort": "0", "active": "on"})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.title == "开场白" and reply.active
    assert client.post(reverse("service:reply_delete", args=[reply.pk])).status_code == 302
    assert not CannedReply.objects.exists()


def test_warehouse_has_no_canned_replies(client_for, shop):
    client = client_for("warehouse", shops=[shop])
    assert client.get(reverse("service:replies")).status_code == 403
    assert client.get(reverse("service:reply_new")).status_code == 403


def test_supervisor_installs_the_standard_replies(supervisor, agent):
    pytest.importorskip("shopdesk.service.standard_replies")
    client = _login(supervisor)
    assert "安装标准话术" in client.get(reverse("service:replies")).content.decode()  # "Install the standard replies"
    assert _login(agent).post(reverse("service:replies_install")).status_code == 403
    response = client.post(reverse("service:replies_install"))
    assert response.status_code == 302
    installed = CannedReply.objects.filter(owner__isnull=True).count()
    assert installed >= 13  # at least one for every group
    assert set(CannedReply.objects.values_list("group", flat=True)) >= {"greet", "bargain", "shipping", "verify"}
    client.post(reverse("service:replies_install"))
    assert CannedReply.objects.filter(owner__isnull=True).count() == installed  # installing again adds nothing
