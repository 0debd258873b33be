"""The return policy engine, table-driven: every rule alone and the combinations the documents spell out (003
after-sales part, 002 ❾). Each row: request → allowed, who pays the return shipping, the rule codes in order."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.aftersales import policy
from shopdesk.aftersales.policy import decide, request_of

SHOP, BUYER = "shop", "buyer"

TABLE = [
    # no-reason returns: 7 days from receipt, day 7 included, the buyer pays both ways
    (("return", "no_reason", 0), True, BUYER, ["no_reason_within_7_days"]),
    (("return", "no_reason", 7), True, BUYER, ["no_reason_within_7_days"]),
    (("exchange", "no_reason", 3), True, BUYER, ["no_reason_within_7_days"]),
    (("return", "no_reason", 8), False, None, ["no_reason_after_7_days"]),
    (("return", "no_reason", 30), False, None, ["no_reason_after_7_days"]),
    (("return", "no_reason", None), False, None, ["no_reason_days_unknown"]),
    # ... and not for hygiene, special-price or gift items, or items not as sent
    (("return", "no_reason", 2, ["hygiene"]), False, None, ["no_reason_within_7_days", "no_reason_hygiene"]),
    (("return", "no_reason", 2, ["special_price"]), False, None,
     ["no_reason_within_7_days", "no_reason_special_price"]),
    (("return", "no_reason", 2, ["gift"]), False, None, ["no_reason_within_7_days", "no_reason_gift"]),
    (("return", "no_reason", 2, [], ["worn"]), False, None, ["no_reason_within_7_days", "no_reason_condition"]),
    (("exchange", "no_reason", 2, [], ["washed", "tags_incomplete"]), False, None,
     ["no_reason_within_7_days", "no_reason_condition"]),
    (("return", "no_reason", 2, [], ["stained"]), False, None, ["no_reason_within_7_days", "no_reason_condition"]),
    (("return", "no_reason", 2, [], ["damaged"]), False, None, ["no_reason_within_7_days", "no_reason_condition"]),
    (("return", "no_reason", 2, [], ["altered"]), False, None, ["no_reason_within_7_days", "no_reason_condition"]),
    # no reason means the goods come back: no refund without return, no reship
    (("refund_only", "no_reason", 2), False, None, ["no_reason_within_7_days", "no_reason_needs_return"]),
    (("reship", "no_reason", 1), False, None, ["no_reason_within_7_days", "no_reason_needs_return"]),
    # every refusing rule is listed, in a fixed order
    (("return", "no_reason", 9, ["gift", "hygiene"], ["worn"]), False, None,
     ["no_reason_after_7_days", "no_reason_hygiene", "no_reason_gift", "no_reason_condition"]),
    # reasons the shop answers for: allowed, the shop pays, whatever the day
    (("return", "quality", 2), True, SHOP, ["shop_fault_quality"]),
    (("return", "quality", 40), True, SHOP, ["shop_fault_quality"]),
    (("exchange", "wrong_item", None), True, SHOP, ["shop_fault_wrong_item"]),
    (("reship", "missing_item", 1), True, SHOP, ["shop_fault_missing_item"]),
    (("refund_only", "missing_item", 1), True, SHOP, ["shop_fault_missing_item"]),
    (("return", "damaged_in_transit", 0), True, SHOP, ["shop_fault_damaged_in_transit"]),
    # ... and the reason overrides the item flags and the item's condition
    (("return", "quality", 2, ["hygiene"]), True, SHOP, ["shop_fault_quality", "shop_fault_overrides_flags"]),
    (("exchange", "quality", 2, ["special_price", "gift"]), True, SHOP,
     ["shop_fault_quality", "shop_fault_overrides_flags"]),
    (("return", "wrong_item", 2, [], ["worn"]), True, SHOP, ["shop_fault_wrong_item", "shop_fault_overrides_flags"]),
    (("return", "damaged_in_transit", 5, ["gift"], ["damaged"]), True, SHOP,
     ["shop_fault_damaged_in_transit", "shop_fault_overrides_flags"]),
    # responsibility unclear: the shop takes it (分不清责任的, 以我为主)
    (("return", "unclear", 20), True, SHOP, ["unclear_shop_takes_it"]),
    (("refund_only", "unclear", None), True, SHOP, ["unclear_shop_takes_it"]),
    # freight-collect return parcels are refused (拒收到付), whatever the reason
    (("return", "quality", 2, [], [], "freight_collect"), False, None,
     ["shop_fault_quality", "freight_collect_refused"]),
    (("return", "no_reason", 2, [], [], "freight_collect"), False, None,
     ["no_reason_within_7_days", "freight_collect_refused"]),
    (("exchange", "unclear", 2, [], [], "freight_collect"), False, None,
     ["unclear_shop_takes_it", "freight_collect_refused"]),
    (("return", "no_reason", 2, [], [], "prepaid"), True, BUYER, ["no_reason_within_7_days"]),
    (("return", "quality", 2, [], [], "prepaid"), True, SHOP, ["shop_fault_quality"]),
]


def _request(args):
    kind, reason, days, *rest = args
    flags = rest[0] if rest else []
    condition = rest[1] if len(rest) > 1 else []
    shipping = rest[2] if len(rest) > 2 else None
    return request_of(kind, reason, days, flags, condition, shipping)


@pytest.mark.parametrize(("args", "allowed", "payer", "codes"), TABLE,
                         ids=[f"{a[0]}-{a[1]}-{a[2]}-{i}" for i, (a, *_r) in enumerate(TABLE)])
def test_policy_table(args, allowed, payer, codes):
    decision = decide(_request(args))
    assert decision.allowed is allowed
    assert decision.return_shipping_paid_by == payer
    assert decision.rule_codes == codes
    for code in codes:  # every applying rule is explained, in Chinese
        rule = policy.RULES[code]
        if rule.allows == allowed:
            assert rule.explanation in decision.explanation


def test_every_rule_is_reached_by_the_table():
    reached = {code for _a, _al, _p, codes in TABLE for code in codes}
    assert reached == set(policy.RULES)


def test_explanation_says_the_verdict_and_offers_the_quality_route():
    refused = decide(request_of("return", "no_reason", 3, ["special_price"]))
    assert "不予受理" in refused.explanation and "特价" in refused.explanation
    assert "按质量问题处理" in refused.explanation  # within 7 days: a real defect still goes through
    allowed = decide(request_of("return", "quality", 3))
    assert allowed.explanation.startswith("退货退款·质量问题：可以受理。")
    assert "以退为主" in allowed.explanation


@pytest.mark.parametrize(("field", "kwargs"), [
    ("request_type", {"request_type": "swap"}),
    ("reason", {"reason": "changed_mind"}),
    ("days_since_receipt", {"days_since_receipt": -1}),
    ("item_flags", {"item_flags": frozenset({"fragile"})}),
    ("item_condition", {"item_condition": frozenset({"wet"})}),
    ("return_shipping", {"return_shipping": "cod"}),
])
def test_bad_requests_name_the_field(field, kwargs):
    values = {"request_type": "return", "reason": "quality", "days_since_receipt": 1, **kwargs}
    with pytest.raises(ValueError, match=field):
        policy.PolicyRequest(**values)


def test_every_combination_is_decided_consistently():
    """All request types × reasons × day buckets × flag and condition subsets: no combination raises, refusals never
    name a payer, and a reason the shop answers for is never refused unless the parcel comes freight-collect."""
    flag_sets = [frozenset(c) for n in range(len(policy.ITEM_FLAGS) + 1)
                 for c in itertools.combinations(policy.ITEM_FLAGS, n)]
    for kind, reason, days, flags, worn, shipping in itertools.product(
            policy.REQUEST_TYPES, policy.REASONS, (None, 0, 7, 8), flag_sets, (frozenset(), frozenset({"worn"})),
            (None, "prepaid", "freight_collect")):
        decision = decide(policy.PolicyRequest(kind, reason, days, flags, worn, shipping))
        assert (decision.return_shipping_paid_by is None) == (not decision.allowed)
        if reason != "no_reason":
            assert decision.allowed == (shipping != "freight_collect")
            assert decision.return_shipping_paid_by in (None, SHOP)


@given(days=st.integers(min_value=0, max_value=400))
def test_no_reason_window_is_exactly_seven_days(days):
    decision = decide(request_of("return", "no_reason", days))
    assert decision.allowed == (days <= policy.NO_REASON_DAYS)
