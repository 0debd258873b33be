"""Stand-ins (临时代理): the delegated role works only inside its date range, and the audit says so."""

from __future__ import annotations

from datetime import date

import pytest

from shopdesk.channels import services as channel_services
from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.staff import authz, services


@pytest.fixture
def grant(manager, make_user):
    """A warehouse clerk stands in for the manager from 2026-11-23 to 2026-11-25 (the manager is travelling)."""
    clerk = make_user("warehouse", username="clerk")
    stand_in = services.grant_stand_in(actor=manager, user=clerk, role_code="manager", starts_on=date(2026, 11, 23),
                                       ends_on=date(2026, 11, 25), reason="经理出差")
    return clerk, stand_in


def test_stand_in_outside_range_is_refused(grant):
    clerk, _ = grant
    for day in (date(2026, 11, 22), date(2026, 11, 26)):
        with clock.freeze(day):
            clerk = type(clerk).objects.get(pk=clerk.pk)  # fresh object: no permission cache
            assert not clerk.has_perm("channels.add_shop")
            with pytest.raises(NotAllowed):
                channel_services.add_shop(actor=clerk, code=f"x-{day.day}", platform="jd", name="店")
            assert "manager" not in authz.role_codes(clerk)


def test_stand_in_inside_range_acts_and_audit_shows_flag(grant):
    clerk, _ = grant
    with clock.freeze(date(2026, 11, 24)):
        clerk = type(clerk).objects.get(pk=clerk.pk)
        assert clerk.has_perm("channels.add_shop")
        held = {r.code: r.is_stand_in for r in authz.held_roles(clerk)}
        assert held == {"warehouse": False, "manager": True}
        shop = channel_services.add_shop(actor=clerk, code="jd-two", platform="jd", name="京东二店")
    event = AuditEvent.objects.get(action="channels.add_shop", object_id=str(shop.pk))
    assert event.actor == clerk
    assert event.stand_in_role == "manager"
    assert event.as_stand_in


def test_own_role_is_not_marked_as_stand_in(manager):
    shop = channel_services.add_shop(actor=manager, code="own-one", platform="own_site", name="官网")
    event = AuditEvent.objects.get(action="channels.add_shop", object_id=str(shop.pk))
    assert event.stand_in_role == "" and not event.as_stand_in


def test_revoked_stand_in_gives_nothing(grant, manager):
    clerk, stand_in = grant
    services.revoke_stand_in(actor=manager, stand_in=stand_in, reason="经理提前返岗")
    with clock.freeze(date(2026, 11, 24)):
        clerk = type(clerk).objects.get(pk=clerk.pk)
        assert not clerk.has_perm("channels.add_shop")
    with pytest.raises(Conflict):
        services.revoke_stand_in(actor=manager, stand_in=stand_in)


def test_grant_rules(manager, make_user):
    clerk = make_user("warehouse")
    with pytest.raises(ServiceError) as exc:
        services.grant_stand_in(actor=manager, user=clerk, role_code="admin", starts_on=date(2026, 1, 1),
                                ends_on=date(2026, 1, 2))
    assert "role" in exc.value.fields
    with pytest.raises(ServiceError) as exc:
        services.grant_stand_in(actor=manager, user=clerk, role_code="finance", starts_on=date(2026, 1, 5),
                                ends_on=date(2026, 1, 2))
    assert "ends_on" in exc.value.fields
    with pytest.raises(ServiceError) as exc:
        services.grant_stand_in(actor=manager, user=manager, role_code="finance", starts_on=date(2026, 1, 1),
                                ends_on=date(2026, 1, 2))
    assert "user" in exc.value.fields
    services.grant_stand_in(actor=manager, user=clerk, role_code="finance", starts_on=date(2026, 1, 1),
                            ends_on=date(2026, 1, 10))
    with pytest.raises(Conflict):
        services.grant_stand_in(actor=manager, user=clerk, role_code="finance", starts_on=date(2026, 1, 10),
                                ends_on=date(2026, 1, 12))
    agent = make_user("cs_presales")
    with pytest.raises(NotAllowed):
        services.grant_stand_in(actor=agent, user=clerk, role_code="finance", starts_on=date(2026, 2, 1),
                                ends_on=date(2026, 2, 2))


def test_stand_in_home_section_and_limits(client, grant):
    """The stand-in sees the delegated role's section and its authority limits for those days."""
    clerk, _ = grant
    client.force_login(clerk)
    with clock.freeze(date(2026, 11, 24)):
        html = client.get("/").content.decode()
        assert 'data-role="manager"' in html and 'data-role="warehouse"' in html
        assert authz.authority_limits(clerk).max_discount_percent == 30
    with clock.freeze(date(2026, 11, 27)):
        html = client.get("/").content.decode()
        assert 'data-role="manager"' not in html
        assert authz.authority_limits(clerk).max_discount_percent == 0


def test_stand_in_page_grant_and_revoke(client, manager, make_user):
    clerk = make_user("warehouse")
    client.force_login(manager)
    bad = client.post("/staff/stand-ins/new/", {"user": clerk.pk, "role": "finance", "starts_on": "2026-03-05",
                                                "ends_on": "2026-03-01"})
    assert bad.status_code == 200
    assert "结束日期早于开始日期" in bad.content.decode()
    ok = client.post("/staff/stand-ins/new/", {"user": clerk.pk, "role": "finance", "starts_on": "2026-03-01",
                                               "ends_on": "2026-03-05", "reason": "财务休假"})
    assert ok.status_code == 302
    stand_in = clerk.stand_ins.get()
    client.post("/staff/stand-ins/revoke/", {"ids": [stand_in.pk]})
    stand_in.refresh_from_db()
    assert stand_in.revoked_at is not None
    assert AuditEvent.objects.filter(action="staff.revoke_stand_in", actor=manager).count() == 1
