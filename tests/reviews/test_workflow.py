"""The queues, the follow-up log with the 48-hour deadline and its escalation, and the outcome rules."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent, Deadline
from shopdesk.core.services import sweep_deadlines
from shopdesk.reviews import selectors, services
from shopdesk.reviews.models import FollowUp, Review

H = timedelta(hours=1)
D = timedelta(days=1)


def ids(user, queue):
    return set(selectors.review_queue(user, queue).values_list("platform_review_id", flat=True))


@pytest.fixture
def board(make_review, frozen, supervisor):
    """One review for each state, at 2026-11-25 10:00 China time."""
    now = frozen.now()
    reviews = {
        "fresh": make_review("negative", now - 2 * H, review_id="fresh"),  # follow-up due in 46 h
        "soon": make_review("neutral", now - 44 * H, review_id="soon"),  # due in 4 h
        "late": make_review("negative", now - 50 * H, review_id="late"),  # 48 h passed, no contact
        "contacted": make_review("negative", now - 3 * D, review_id="contacted"),
        "last_day": make_review("neutral", now - 29 * D - 12 * H, review_id="last_day"),  # window ends in 12 h
        "expired": make_review("negative", now - 31 * D, review_id="expired"),  # window over, no outcome
        "done": make_review("negative", now - 5 * D, review_id="done"),
        "positive": make_review("positive", now - 1 * H, review_id="positive"),
    }
    for key in ("contacted", "last_day", "expired"):
        services.record_follow_up(actor=supervisor, review=reviews[key], channel="phone", result="unreachable")
    services.record_outcome(actor=supervisor, review=reviews["done"], outcome="modified")
    return reviews


def test_each_queue(board, supervisor):
    assert ids(supervisor, "due_soon") == {"soon"}
    assert ids(supervisor, "overdue") == {"late", "expired"}
    assert ids(supervisor, "due") == {"soon", "late", "expired"}
    assert ids(supervisor, "follow_up") == {"fresh", "soon", "late"}
    assert ids(supervisor, "explanation_due") == {"last_day"}
    assert ids(supervisor, "waiting") == {"contacted", "last_day"}
    assert ids(supervisor, "done") == {"done"}
    assert ids(supervisor, "positive") == {"positive"}
    badges = {key: selectors.badge(r) for key, r in board.items()}
    for r in board.values():
        r.refresh_from_db()
    badges = {key: selectors.badge(r) for key, r in board.items()}
    assert badges == {"fresh": "open", "soon": "due_soon", "late": "overdue", "contacted": "waiting",
                      "last_day": "explanation_due", "expired": "overdue", "done": "done", "positive": ""}


def test_the_agreed_next_call_brings_the_review_back(board, supervisor, frozen):
    """003: agree the time of the next call with the buyer; when it comes, the review is in "time to call again"."""
    services.record_follow_up(actor=supervisor, review=board["contacted"], channel="phone", result="refused",
                              next_contact_at=frozen.now() + 3 * H)
    assert ids(supervisor, "call_again") == set()
    frozen.advance(3 * H)
    assert ids(supervisor, "call_again") == {"contacted"}
    services.record_outcome(actor=supervisor, review=board["contacted"], outcome="explained", explanation="已解释")
    assert ids(supervisor, "call_again") == set()


def test_queues_move_with_the_clock(board, supervisor, frozen):
    frozen.advance(45 * H)  # "fresh" is now due within 6 hours, "soon" is late
    assert ids(supervisor, "due_soon") == {"fresh"}
    assert "soon" in ids(supervisor, "overdue")


def test_due_query_uses_the_deadline_indexes(board, supervisor):
    from django.db import connection

    qs = selectors.review_queue(supervisor, "due")[:50]
    if connection.vendor == "postgresql":
        # A table this small is read whole by PostgreSQL's planner; forbid that to see the plan it has at scale.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = qs.explain()
    if connection.vendor == "sqlite":  # one index per OR branch, merged (the benchmark's database)
        assert "review_follow_up_queue" in plan and "review_explanation_queue" in plan, plan
    else:
        assert "review_follow_up_queue" in plan and "Seq Scan on reviews_review" not in plan, plan


def test_first_follow_up_closes_the_48_hour_deadline(make_review, agent, frozen):
    review = make_review("negative", frozen.now() - 2 * H)
    deadline = services.open_follow_up_deadline(review)
    assert deadline.rule == "reviews.follow_up_48h" and deadline.owner_role == "cs_aftersales"
    assert deadline.escalate_to_role == "cs_supervisor" and deadline.due_at == review.follow_up_due_at
    frozen.advance(H)
    services.record_follow_up(actor=agent, review=review, channel="chat", result="agreed",
                              promised_at=frozen.now() + D, next_contact_at=frozen.now() + 2 * D, note="买家说明天改")
    deadline.refresh_from_db()
    assert deadline.state == Deadline.State.MET and deadline.closed_at == frozen.now()
    review.refresh_from_db()
    assert review.first_contact_at == frozen.now() and review.owner == agent
    assert review.next_contact_at == frozen.now() + 2 * D
    assert not review.done  # contacted is not done
    frozen.advance(H)
    services.record_follow_up(actor=agent, review=review, channel="phone", result="refused")
    review.refresh_from_db()
    assert review.first_contact_at == frozen.now() - H  # the first contact stays
    assert FollowUp.objects.filter(review=review).count() == 2
    assert AuditEvent.objects.filter(action="reviews.follow_up", object_id=str(review.pk)).count() == 2


def test_missed_deadline_is_escalated_to_the_supervisor(make_review, agent, frozen, supervisor):
    review = make_review("neutral", frozen.now() - 47 * H)
    frozen.advance(2 * H)
    assert sweep_deadlines() == 1
    deadline = services.open_follow_up_deadline(review)
    assert deadline.state == Deadline.State.MISSED and deadline.escalated_at == frozen.now()
    from shopdesk.core.selectors import escalated_deadlines_for

    assert list(escalated_deadlines_for({"cs_supervisor"})) == [deadline]
    assert review.platform_review_id in ids(supervisor, "overdue")
    services.record_follow_up(actor=agent, review=review, channel="phone", result="agreed",
                              promised_at=frozen.now() + H)
    deadline.refresh_from_db()
    assert deadline.state == Deadline.State.MISSED and deadline.closed_at is not None  # late stays missed
    assert review.platform_review_id not in ids(supervisor, "overdue")


def test_follow_up_rules(make_review, agent, frozen):
    review = make_review("negative")
    with pytest.raises(ServiceError) as exc:
        services.record_follow_up(actor=agent, review=review, channel="phone", result="agreed")
    assert "promised_at" in exc.value.fields
    with pytest.raises(ServiceError) as exc:
        services.record_follow_up(actor=agent, review=review, channel="phone", result="refused",
                                  next_contact_at=frozen.now() - H)
    assert "next_contact_at" in exc.value.fields
    with pytest.raises(Conflict):
        services.record_follow_up(actor=agent, review=make_review("positive"), channel="chat", result="refused")
    assert not FollowUp.objects.exists()


def test_not_done_without_an_outcome(make_review, agent, supervisor):
    review = make_review("negative", category="quality")
    services.record_follow_up(actor=agent, review=review, channel="phone", result="refused")
    review.refresh_from_db()
    assert not review.done
    services.record_outcome(actor=agent, review=review, outcome="explained", explanation="已核实出库质检无问题")
    review.refresh_from_db()
    assert review.done and review.outcome == Review.Outcome.EXPLAINED and review.outcome_by == agent
    with pytest.raises(Conflict):
        services.record_outcome(actor=supervisor, review=review, outcome="modified")


def test_outcome_closes_the_deadline(make_review, agent):
    review = make_review("negative")
    services.record_outcome(actor=agent, review=review, outcome="modified")
    assert services.open_follow_up_deadline(review) is None
    assert Deadline.objects.get(rule="reviews.follow_up_48h").state == Deadline.State.MET


def test_explanation_needs_its_text(make_review, agent):
    review = make_review("neutral")
    with pytest.raises(ServiceError) as exc:
        services.record_outcome(actor=agent, review=review, outcome="explained", explanation="  ")
    assert "explanation" in exc.value.fields
    review.refresh_from_db()
    assert review.outcome == ""


def test_compensation_needs_an_amount_and_a_supervisor(make_review, agent, supervisor, english):
    review = make_review("negative", category="colour")
    with pytest.raises(NotAllowed) as exc:
        services.record_outcome(actor=agent, review=review, outcome="compensated", compensation="10")
    assert exc.value.code == "needs_approval" and "supervisor" in exc.value.message
    with pytest.raises(ServiceError) as exc:
        services.record_outcome(actor=supervisor, review=review, outcome="compensated", compensation="0")
    assert "compensation" in exc.value.fields
    services.record_outcome(actor=supervisor, review=review, outcome="compensated", compensation="15.5")
    review.refresh_from_db()
    assert review.compensation == Decimal("15.50") and review.compensation_approved_by == supervisor
    event = AuditEvent.objects.get(action="reviews.record_outcome")
    assert event.changes["compensation"]["after"] == "15.50"


def test_positive_reviews_need_no_outcome(make_review, supervisor):
    with pytest.raises(Conflict):
        services.record_outcome(actor=supervisor, review=make_review("positive"), outcome="modified")


def test_thank_you_from_the_shop_template(make_review, agent, shop):
    review = make_review("positive", item_title="真皮斜挎包", buyer_platform_id="tb_lucy")
    services.fill_thank_you(actor=agent, review=review)
    review.refresh_from_db()
    assert review.thank_you.startswith("感谢tb_lucy亲对真皮斜挎包的认可与好评")
    services.save_review_settings(actor=agent, shop=shop, thank_you_template="谢谢{买家}！{商品}穿得开心。")
    services.fill_thank_you(actor=agent, review=review)
    review.refresh_from_db()
    assert review.thank_you == "谢谢tb_lucy！真皮斜挎包穿得开心。"
    with pytest.raises(ServiceError) as exc:
        services.save_review_settings(actor=agent, shop=shop, thank_you_template="谢谢{店铺}")
    assert "thank_you_template" in exc.value.fields
    with pytest.raises(Conflict):
        services.fill_thank_you(actor=agent, review=make_review("negative"))


def test_writes_need_the_shop(make_review, make_user, other_shop):
    stranger = make_user("cs_aftersales", shops=[other_shop])
    with pytest.raises(NotAllowed):
        services.record_follow_up(actor=stranger, review=make_review("negative"), channel="chat", result="refused")


def test_weekly_report_counts(make_review, supervisor, other_shop, stocked, make_order, frozen, cn_time):
    from shopdesk.reviews.models import Review as ReviewModel

    monday = cn_time(2026, 11, 16, 9, 0)  # ISO week 2026-W47
    make_review("negative", monday, category="colour", item_title="A包")
    make_review("neutral", monday + 2 * D, category="colour", item_title="A包")
    make_review("negative", monday + 3 * D, category="smell", item_title="B包")
    make_review("positive", monday + 4 * D, item_title="A包")
    make_review("negative", monday + 6 * D, category="quality", item_title="C包", for_shop=other_shop)
    make_review("negative", cn_time(2026, 11, 15, 23, 59), category="price")  # Sunday before, China time
    make_review("negative", monday + 7 * D, category="price")  # the week after
    data = selectors.weekly_report(supervisor, *selectors.parse_week("2026-W47"))
    assert {r["category"]: r["count"] for r in data["by_reason"]} == {"colour": 2, "smell": 1}
    assert data["by_reason"][0]["label"] == "色差"
    assert {r["product"]: (r["count"], r["negative"]) for r in data["by_product"]} == {"A包": (2, 1), "B包": (1, 1)}
    assert [(r["code"], r["count"], r["positive"], r["neutral"], r["negative"]) for r in data["by_shop"]] == [
        ("tmall-main", 4, 1, 1, 2)]  # the supervisor does not work on the other shop
    assert data["totals"]["all"] == 4 and ReviewModel.objects.count() == 7
    assert selectors.parse_week(None) == (2026, 47)  # last week of 2026-11-25
    with pytest.raises(ValueError):
        selectors.parse_week("2026-W60")
