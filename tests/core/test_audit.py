"""The audit trail: every service that changes data writes one row, in the same transaction as the change."""

from __future__ import annotations

import inspect
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from shopdesk.channels import services as channel_services
from shopdesk.channels.models import Shop
from shopdesk.core import audit, clock
from shopdesk.core import services as core_services
from shopdesk.core.errors import Conflict
from shopdesk.core.models import AuditEvent, Deadline
from shopdesk.staff import services as staff_services
from shopdesk.staff.models import Role


class Boom(Exception):
    pass


def test_record_event_refuses_to_run_outside_a_transaction(transactional_db):
    with pytest.raises(audit.AuditWriteOutsideTransaction):
        audit.record_event("x.y", actor=None)


def test_failed_change_leaves_no_audit_row(manager):
    with pytest.raises(Boom), transaction.atomic():
        channel_services.add_shop(actor=manager, code="gone", platform="jd", name="会回滚")
        raise Boom
    assert not Shop.objects.filter(code="gone").exists()
    assert not AuditEvent.objects.filter(action="channels.add_shop").exists()


def test_failed_audit_write_undoes_the_change(manager, monkeypatch):
    def broken(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(AuditEvent.objects, "create", broken)
    with pytest.raises(Boom):
        channel_services.add_shop(actor=manager, code="half", platform="jd", name="半写入")
    assert not Shop.objects.filter(code="half").exists()


def test_refused_change_writes_nothing(manager, shop):
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        channel_services.add_shop(actor=manager, code=shop.code, platform="jd", name="重复")
    assert AuditEvent.objects.count() == before


def test_event_fields(manager, client, shop):
    """Who, when, action, object, before/after, request id (from the web request)."""
    client.force_login(manager)
    with clock.freeze(date(2026, 11, 23)):
        client.post(f"/shops/{shop.code}/", {"name": "新名字", "is_active": "on"}, HTTP_X_REQUEST_ID="req-12345678")
    event = AuditEvent.objects.get(action="channels.update_shop")
    assert event.actor == manager and event.actor_label == "manager"
    assert event.object_type == "channels.shop" and event.object_id == str(shop.pk)
    assert event.changes == {"name": {"before": "测试天猫店", "after": "新名字"}}
    assert event.request_id == "req-12345678"
    local = timezone.localtime(event.occurred_at)
    assert (local.date(), local.hour) == (date(2026, 11, 23), 9)  # a frozen date means 09:00 Asia/Shanghai


def _calls(manager, make_user, shop):
    """One call of every service that changes data, with the audit action it must write."""
    clerk = make_user("warehouse")
    stand_in_holder = {}
    deadline_holder = {}

    def grant():
        stand_in_holder["s"] = staff_services.grant_stand_in(
            actor=manager, user=clerk, role_code="finance", starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 2))

    def open_deadline():
        deadline_holder["d"] = core_services.open_deadline(
            subject=shop, rule="test.rule", title="t", due_at=clock.now() + timedelta(hours=1), owner=clerk)

    def open_overdue():
        core_services.open_deadline(subject=clerk, rule="test.overdue", title="o",
                                    due_at=clock.now() - timedelta(hours=1))

    return [
        ("channels.add_shop", "add_shop",
         lambda: channel_services.add_shop(actor=manager, code="a-b", platform="jd", name="n")),
        ("channels.update_shop", "update_shop",
         lambda: channel_services.update_shop(actor=manager, shop=shop, name="改名")),
        ("staff.create_staff_member", "create_staff_member",
         lambda: staff_services.create_staff_member(actor=None, username="new1", roles=["finance"])),
        ("staff.update_staff_member", "update_staff_member",
         lambda: staff_services.update_staff_member(actor=None, user=clerk, roles=["warehouse", "finance"])),
        ("staff.update_staff_member", None,
         lambda: staff_services.update_staff_member(actor=None, user=clerk, password="Another-pass-2026")),
        ("staff.change_own_password", "change_own_password",
         lambda: staff_services.change_own_password(actor=clerk, old_password="Another-pass-2026",
                                                    new_password="Clerk-new-2026")),
        ("staff.unlock_login", "unlock_login", lambda: staff_services.unlock_login(actor=None, user=clerk)),
        ("staff.issue_api_token", "issue_api_token", lambda: staff_services.issue_api_token(actor=None, user=clerk)),
        ("staff.grant_stand_in", "grant_stand_in", grant),
        ("staff.revoke_stand_in", "revoke_stand_in",
         lambda: staff_services.revoke_stand_in(actor=manager, stand_in=stand_in_holder["s"])),
        ("staff.update_role_limits", "update_role_limits",
         lambda: staff_services.update_role_limits(actor=manager, role=Role.objects.get(code="cs_presales"),
                                                   max_discount_percent=8)),
        ("core.open_deadline", "open_deadline", open_deadline),
        ("core.close_deadline", "close_deadline", lambda: core_services.close_deadline(deadline=deadline_holder["d"])),
        ("core.open_deadline", None, open_overdue),
        ("core.escalate_deadline", "sweep_deadlines", lambda: core_services.sweep_deadlines()),
        ("core.unmask_personal_data", "unmask_personal_data",
         lambda: core_services.unmask_personal_data(actor=manager, obj=clerk.staff_profile, field="phone")),
    ]


def test_every_service_writes_its_audit_event(manager, make_user, shop):
    for action, _name, call in _calls(manager, make_user, shop):
        before = AuditEvent.objects.filter(action=action).count()
        call()
        assert AuditEvent.objects.filter(action=action).count() == before + 1, action


def test_every_service_function_is_covered_above(manager, make_user, shop):
    """A new service added without an entry in _calls fails here, so nobody forgets its audit event."""
    covered = {name for _a, name, _c in _calls(manager, make_user, shop) if name}
    public = set()
    for module in (channel_services, staff_services, core_services):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                public.add(name)
    assert public - covered == {"sync_roles"}  # sync_roles is schema upkeep run by migrate, not a business action


def test_sweep_marks_missed_and_close_keeps_missed(make_user, shop):
    owner = make_user("cs_aftersales")
    with clock.freeze(date(2026, 11, 23)):
        d = core_services.open_deadline(subject=shop, rule="review.follow_up", title="联系差评买家",
                                        due_at=clock.now() + timedelta(hours=48), owner=owner)
        clock.advance(timedelta(hours=49))
        assert core_services.sweep_deadlines() == 1
        d.refresh_from_db()
        assert d.state == Deadline.State.MISSED and d.escalated_at is not None
        core_services.close_deadline(deadline=d)
        d.refresh_from_db()
        assert d.state == Deadline.State.MISSED and d.closed_at is not None
        on_time = core_services.open_deadline(subject=shop, rule="review.follow_up", title="again",
                                              due_at=clock.now() + timedelta(hours=1), owner=owner)
        core_services.close_deadline(deadline=on_time)
        on_time.refresh_from_db()
        assert on_time.state == Deadline.State.MET


def test_audit_page_filters(client, manager, shop, make_user):
    make_user("finance", username="fin1")
    client.force_login(manager)
    html = client.get("/audit/", {"action": "staff.create"}).content.decode()
    assert "staff.create_staff_member" in html and "channels.add_shop" not in html
    api = client.get("/api/v1/audit-events/", {"action": "channels"}).json()
    assert {e["action"] for e in api["results"]} == {"channels.add_shop"}


def test_audit_keeps_personal_data_masked_and_names_related_records(shop):
    admin = staff_services.create_staff_member(actor=None, username="adm", roles=["admin"])
    person = staff_services.create_staff_member(actor=admin, username="p1", roles=["warehouse"],
                                                phone="13912345678", shops=[shop])
    event = AuditEvent.objects.get(action="staff.create_staff_member", object_id=str(person.pk))
    assert event.changes["phone"] == {"before": None, "after": "139****5678"}
    assert event.changes["groups"]["after"] == ["物流仓库"]  # the role's name, not a group id
    assert event.changes["shops"]["after"] == ["测试天猫店"]
    assert "13912345678" not in str(list(AuditEvent.objects.values_list("changes", flat=True)))


def test_audit_names_are_in_the_department_language_whoever_acts(shop, english):
    """The English command line and a Chinese page write the same trail."""
    person = staff_services.create_staff_member(actor=None, username="p2", roles=["warehouse"])
    event = AuditEvent.objects.get(action="staff.create_staff_member", object_id=str(person.pk))
    assert event.changes["groups"]["after"] == ["物流仓库"]
