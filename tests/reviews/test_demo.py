"""The demo reviews fill every queue of the review workbench, and seeding twice adds nothing."""

from __future__ import annotations

from shopdesk.reviews import selectors
from shopdesk.reviews.demo import seed_reviews
from shopdesk.reviews.models import Review


def test_every_queue_has_something(shop, stocked, make_order, supervisor, frozen):
    stocked("CH-0001", 20)
    orders = [make_order(lines=[("CH-0001", 1, "50.00")]) for _ in range(4)]
    assert seed_reviews(shop, orders) == 12
    for queue in ("follow_up", "due_soon", "overdue", "explanation_due", "waiting", "done", "positive"):
        assert selectors.review_queue(supervisor, queue).exists(), queue
    assert Review.objects.exclude(thank_you="").count() == 1
    assert set(Review.objects.exclude(outcome="").values_list("outcome", flat=True)) == {
        "modified", "compensated", "explained"}
    assert seed_reviews(shop, orders) == 0
