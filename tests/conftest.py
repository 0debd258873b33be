"""Shared fixtures: people with roles, logged-in clients, API clients with tokens."""

from __future__ import annotations

import itertools

import pytest
from rest_framework.test import APIClient

from shopdesk.channels.models import Shop
from shopdesk.staff import services as staff_services

_seq = itertools.count(1)


@pytest.fixture
def make_user(db):
    """make_user("cs_presales", "warehouse", shops=[shop]) -> a person holding those roles (password shopdesk-test)."""

    def make(*roles, username=None, shops=(), phone="13812345678", display_name=""):
        return staff_services.create_staff_member(
            actor=None, username=username or f"{'-'.join(roles) or 'user'}-{next(_seq)}", roles=list(roles),
            password="shopdesk-test", display_name=display_name, phone=phone, shops=list(shops),
            validate_password=False,
        )

    return make


@pytest.fixture
def english():
    """Run the test in English (the default language is Chinese), for assertions on exact English messages."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def shop(db):
    from shopdesk.channels.services import add_shop

    return add_shop(actor=None, code="tmall-main", platform="tmall", name="测试天猫店")


@pytest.fixture
def other_shop(db):
    from shopdesk.channels.services import add_shop

    return add_shop(actor=None, code="jd-main", platform="jd", name="测试京东店")


@pytest.fixture
def manager(make_user):
    return make_user("manager", username="manager")


@pytest.fixture
def client_for(client, make_user):
    """client_for("warehouse") -> a Django test client logged in as a new person holding that role."""

    def login(*roles, **kw):
        from django.test import Client

        c = Client()
        user = make_user(*roles, **kw)
        c.force_login(user)
        c.user = user
        return c

    return login


@pytest.fixture
def api_for(make_user):
    """api_for("finance") -> an APIClient authenticating with the person's DRF token."""

    def make(*roles, **kw):
        user = make_user(*roles, **kw)
        key = staff_services.issue_api_token(actor=None, user=user)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        c.user = user
        return c

    return make


__all__ = ["Shop"]
