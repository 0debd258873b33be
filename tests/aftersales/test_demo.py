"""The demo department has after-sales work in every queue, made through the services."""

from __future__ import annotations

import pytest

from shopdesk import demo
from shopdesk.aftersales import selectors
from shopdesk.aftersales.models import Case, Complaint
from shopdesk.inventory.models import Movement


@pytest.mark.django_db
def test_demo_fills_every_after_sales_queue():
    demo.load_demo()
    from django.contrib.auth import get_user_model

    supervisor = get_user_model().objects.get(username="zhaomin")
    counts = selectors.queue_counts(supervisor)
    assert all(counts[q] >= 1 for q in ("buyer", "warehouse", "refund", "supervisor")), counts
    assert Case.objects.filter(state=Case.State.REFUSED).exists()
    assert Movement.objects.filter(type=Movement.Type.RETURN_RESTOCK).exists() or Case.objects.filter(
        loss__gt=0).exists()
    assert Complaint.objects.filter(against_staff__isnull=False).count() == 1
    agent = get_user_model().objects.get(username="yangli")
    assert not selectors.complaints_visible_to(agent).filter(against_staff__isnull=False).exists()
    assert demo.load_demo().created is False  # idempotent
