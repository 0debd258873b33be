"""The fast multi-row INSERT used by imports: every row lands once with its id, defaults filled, in batches whose
sizes come from a small fixed set (so prepared statements are reused whatever the import's length)."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.core import bulk
from shopdesk.core.models import AuditEvent


@given(total=st.integers(min_value=0, max_value=5000), largest=st.integers(min_value=1, max_value=700))
def test_batches_cover_every_row_once_with_few_sizes(total, largest):
    pieces = bulk.batches(total, largest)
    assert sum(size for _, size in pieces) == total
    assert all(a + s == b for (a, s), (b, _) in zip(pieces, pieces[1:], strict=False))
    sizes = {size for _, size in pieces}
    assert all(size == largest or size & (size - 1) == 0 for size in sizes)


def test_padded_in_list_keeps_the_values():
    assert bulk.padded([]) == []
    padded = bulk.padded(["a", "b", "c"], step=4)
    assert padded == ["a", "b", "c", "a"] and set(padded) == {"a", "b", "c"}


@pytest.mark.django_db
def test_insert_rows_returns_ids_in_order_and_fills_defaults(monkeypatch):
    monkeypatch.setattr(bulk, "MAX_PARAMS", 60)  # several batches of a few rows
    rows = [{"action": f"test.bulk{i}", "actor_label": "system", "changes": {"n": i} if i % 2 else {}}
            for i in range(23)]
    with transaction.atomic():
        ids = bulk.insert_rows(AuditEvent, rows)
    saved = {e.pk: e for e in AuditEvent.objects.filter(pk__in=ids)}
    assert [saved[pk].action for pk in ids] == [r["action"] for r in rows]
    assert saved[ids[3]].changes == {"n": 3} and saved[ids[2]].changes == {}
    assert all(saved[pk].occurred_at is not None and saved[pk].object_type == "" for pk in ids)


def test_rare_collections_restores_the_collector():
    import gc

    before = gc.get_threshold()
    with bulk.rare_collections():
        assert gc.get_threshold() == bulk.RARE_COLLECTIONS and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


@pytest.mark.django_db
def test_prepared_rows_take_defaults_and_set_columns_through_the_converter():
    rows = bulk.values(AuditEvent, [{"actor_label": "system", "action": "x.one", "occurred_at": None}])
    columns = bulk.columns(AuditEvent)
    assert rows[0][columns["reason"]] == "" and rows[0][columns["actor_id"]] is None
    from shopdesk.core import clock

    rows[0][columns["occurred_at"]] = bulk.converter(AuditEvent, "occurred_at")(clock.now())
    rows[0][columns["changes"]] = bulk.converter(AuditEvent, "changes")({"a": {"before": None, "after": 1}})
    with transaction.atomic():
        (new_id,) = bulk.insert_values(AuditEvent, rows)
    event = AuditEvent.objects.get(pk=new_id)
    assert event.action == "x.one" and event.reason == "" and event.changes == {"a": {"before": None, "after": 1}}


@pytest.mark.django_db
def test_select_in_finds_the_rows_by_value_equal_columns_and_time_window():
    from datetime import timedelta

    from shopdesk.core import clock

    now = clock.now()
    with transaction.atomic():
        for i in range(7):
            AuditEvent.objects.create(action=f"test.select{i % 3}", actor_label="system", object_type="a" if i < 6
                                      else "b", occurred_at=now - timedelta(hours=i))
    got = bulk.select_in(AuditEvent, ["action", "object_type"], "action",
                         ["test.select0", "test.select1", "test.none"], equal={"object_type": "a"},
                         between=("occurred_at", now - timedelta(hours=3, minutes=30), now), batch=2)
    assert sorted(got) == [("test.select0", "a"), ("test.select0", "a"), ("test.select1", "a")]
    assert bulk.select_in(AuditEvent, ["id"], "action", []) == []
