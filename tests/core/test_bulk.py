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
