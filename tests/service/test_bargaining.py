"""The bargaining playbook (003 一拒二拉三引四斩, 003:548): the move by how often the buyer has bargained, the agent's
authority, the discount asked and the supervisor's answer; and reading discounts out of buyer messages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopdesk.service import bargaining
from shopdesk.service.bargaining import Ask, next_move, parse_ask


@pytest.mark.parametrize(("count", "step", "action"), [
    (0, 1, "refuse"), (1, 1, "refuse"), (2, 2, "promotion"), (3, 3, "value"), (4, 4, "close"), (5, 4, "gift"),
    (9, 4, "gift"),
])
def test_the_sequence_by_count(count, step, action):
    move = next_move(count, Decimal("5"))
    assert (move.step, move.action) == (step, action)
    assert move.explanation_zh and move.explanation == move.explanation_zh


def test_steps_one_to_three_never_offer_a_discount_whatever_is_asked():
    for count in (1, 2, 3):
        move = next_move(count, Decimal("30"), ask=Ask(percent=Decimal("50")))
        assert move.step == count and move.offer_percent is None
        assert move.action == bargaining.STEP_ACTIONS[count]


def test_close_offers_at_most_the_agents_limit():
    move = next_move(4, Decimal("5"))
    assert move.action == "close" and move.offer_percent == Decimal("5")
    assert "5%" in move.explanation_zh


def test_close_grants_what_is_asked_within_authority():
    move = next_move(4, Decimal("10"), ask=parse_ask("九五折可以吗"))
    assert move.action == "close" and move.offer_percent == Decimal("5")


def test_an_ask_beyond_authority_goes_to_the_supervisor():
    presales = next_move(4, Decimal("5"), ask=parse_ask("打8折行不"))
    assert (presales.step, presales.action) == (4, "supervisor_request")
    assert "20%" in presales.explanation_zh and "5%" in presales.explanation_zh
    manager = next_move(4, Decimal("30"), ask=parse_ask("打8折行不"))
    assert manager.action == "close" and manager.offer_percent == Decimal("20")


def test_no_authority_at_all_asks_the_supervisor():
    assert next_move(4, Decimal("0")).action == "supervisor_request"
    assert next_move(4, None).action == "supervisor_request"


@pytest.mark.parametrize("state", ["pending", "rejected"])
def test_a_pending_or_refused_request_turns_into_a_gift(state):
    move = next_move(4, Decimal("5"), ask=parse_ask("打8折"), supervisor=state)
    assert (move.step, move.action) == (4, "gift")
    assert move.offer_percent is None


def test_an_approved_request_closes_at_the_approved_discount():
    move = next_move(6, Decimal("5"), supervisor="approved", approved_percent=Decimal("8"))
    assert move.action == "close" and move.offer_percent == Decimal("8")


def test_the_supervisor_state_does_not_skip_the_first_steps():
    assert next_move(1, Decimal("5"), supervisor="rejected").action == "refuse"
    assert next_move(3, Decimal("5"), supervisor="pending").action == "value"


def test_an_amount_off_is_compared_with_the_price_when_known():
    ask = parse_ask("便宜10块吧")
    assert ask == Ask(amount=Decimal("10"))
    within = next_move(4, Decimal("10"), ask=ask, price=Decimal("200"))  # 5% of 200
    assert within.action == "close" and within.offer_percent == Decimal("5.00")
    beyond = next_move(4, Decimal("5"), ask=ask, price=Decimal("100"))  # 10%
    assert beyond.action == "supervisor_request"
    unknown = next_move(4, Decimal("5"), ask=ask)
    assert unknown.action == "close" and unknown.offer_percent == Decimal("5")
    assert "10 元" in unknown.explanation_zh


def test_a_price_offered_is_compared_with_the_price():
    ask = parse_ask("100块卖不卖")
    assert ask == Ask(target_price=Decimal("100"))
    assert next_move(4, Decimal("10"), ask=ask, price=Decimal("125")).action == "supervisor_request"  # 20%
    assert next_move(4, Decimal("30"), ask=ask, price=Decimal("125")).offer_percent == Decimal("20.00")


@pytest.mark.parametrize(("text", "ask"), [
    ("打8折行不", Ask(percent=Decimal("20"))),
    ("8折", Ask(percent=Decimal("20"))),
    ("八折卖不卖", Ask(percent=Decimal("20"))),
    ("九五折可以吗", Ask(percent=Decimal("5"))),
    ("能打95折吗", Ask(percent=Decimal("5"))),
    ("85折行吗", Ask(percent=Decimal("15"))),
    ("8.5折", Ask(percent=Decimal("15"))),
    ("七五折卖吗", Ask(percent=Decimal("25"))),
    ("打九折可以吗", Ask(percent=Decimal("10"))),
    ("半价卖不卖", Ask(percent=Decimal("50"))),
    ("便宜5%行不", Ask(percent=Decimal("5"))),
    ("便宜10块吧", Ask(amount=Decimal("10"))),
    ("便宜个十块钱", Ask(amount=Decimal("10"))),
    ("少5块行吗", Ask(amount=Decimal("5"))),
    ("能少二十吗", Ask(amount=Decimal("20"))),
    ("80包邮行吗", Ask(target_price=Decimal("80"))),
    ("一百二卖吗", Ask(target_price=Decimal("120"))),
    ("能便宜点吗", Ask()),
    ("少一点吧", Ask()),
    ("最多打几折", Ask()),
    ("", Ask()),
])
def test_parse_ask(text, ask):
    assert parse_ask(text) == ask


@pytest.mark.parametrize(("text", "value"), [
    ("五", 5), ("十", 10), ("十五", 15), ("二十", 20), ("二十五", 25), ("一百", 100), ("一百二", 120),
    ("一百零五", 105), ("两百", 200), ("12.5", Decimal("12.5")),
])
def test_chinese_numbers(text, value):
    assert bargaining.chinese_number(text) == Decimal(value)


def test_move_as_dict():
    assert next_move(4, Decimal("5")).as_dict() == {
        "step": 4, "action": "close", "explanation": next_move(4, Decimal("5")).explanation_zh,
        "offer_percent": "5"}
