"""CLI commands run in-process against the test database."""

from __future__ import annotations

from datetime import timedelta

from shopdesk import cli
from shopdesk.core import clock
from shopdesk.core.models import Deadline
from shopdesk.core.services import open_deadline


def test_deadlines_sweep_escalates_overdue(db, shop, capsys):
    due = open_deadline(subject=shop, rule="test.sweep", title="逾期", due_at=clock.now() - timedelta(minutes=5),
                        owner_role="cs_aftersales")
    later = open_deadline(subject=shop, rule="test.later", title="未到期", due_at=clock.now() + timedelta(hours=5))
    assert cli.main(["deadlines", "sweep"]) == 0
    assert "1 overdue deadlines" in capsys.readouterr().out
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.state == Deadline.State.MISSED and due.escalated_at is not None
    assert later.state == Deadline.State.OPEN
