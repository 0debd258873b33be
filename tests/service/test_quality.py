"""Quality inspection (质检): each rule of service/quality.py on its own, the score with the configured weights, and
the services that store, re-inspect and review the scores."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.service import quality, services, services_team
from shopdesk.service.models import QualityScore, ServiceSettings, _default_quality_weights

D = datetime
W = _default_quality_weights()
T0 = D(2026, 11, 23, 10, 0)


def lines(*script):
    """("buyer"|"agent", text[, response_seconds]) every minute from 10:00; ids from 1."""
    out = []
    for i, step in enumerate(script, start=1):
        who, text = step[0], step[1]
        seconds = step[2] if len(step) > 2 else (20 if who == "agent" else None)
        out.append(quality.Line(id=i, direction=who, text=text, sent_at=T0 + timedelta(minutes=i),
                                response_seconds=seconds if who == "agent" else None,
                                agent_id=7 if who == "agent" else None))
    return out


def run(script, *, ended=True, weights=None, slow=60, phones=(), addresses=()):
    return quality.inspect(script, weights=weights or W, slow_reply_seconds=slow, ended=ended, own_phones=phones,
                           own_addresses=addresses)


def rules(result):
    return [f.rule for f in result.findings]


GOOD = lines(("buyer", "亲，这款有M码吗"), ("agent", "亲，您好，M码有现货的，您放心拍"),
             ("buyer", "好的谢谢"), ("agent", "不客气，感谢您的光临，祝您购物愉快～"))


def test_a_good_conversation_scores_100():
    result = run(GOOD)
    assert result.score == 100 and result.findings == [] and result.agent_id == 7


def test_forbidden_phrases():
    result = run(lines(("buyer", "是正品吗"), ("agent", "肯定是正品，绝对保证质量，祝您购物愉快")))
    assert rules(result) == ["forbidden_phrase"]
    finding = result.findings[0]
    assert finding.message == 2 and "肯定" in finding.detail and "保证" in finding.detail
    assert "绝对化" in finding.explanation
    assert result.score == 100 - W["forbidden_phrase"]  # one message: one deduction


def test_rude_words():
    result = run(lines(("buyer", "能便宜吗"), ("agent", "不能，爱买不买，再见")))
    assert rules(result) == ["rude_word"] and result.score == 100 - W["rude_word"]


def test_another_buyers_phone_number_is_personal_data():
    result = run(lines(("buyer", "电话多少"), ("agent", "您打 139 1234 5678 问问吧，祝您愉快")),
                 phones=["13800138000"])
    assert rules(result) == ["personal_data"]
    assert "5678" in result.findings[0].detail and "1234" not in result.findings[0].detail  # masked


def test_the_buyers_own_phone_and_address_are_not_personal_data():
    result = run(lines(("buyer", "核对一下"),
                       ("agent", "收货人 张三，电话 13800138000，地址 浙江省杭州市西湖区文三路1号，感谢您")),
                 phones=["13800138000"], addresses=["浙江省杭州市西湖区文三路1号"])
    assert result.findings == []


def test_an_address_that_is_not_the_buyers_is_personal_data():
    result = run(lines(("buyer", "地址对吗"), ("agent", "是寄到人民路88号吗？感谢您")),
                 addresses=["浙江省杭州市西湖区文三路1号"])
    assert rules(result) == ["personal_data"]


def test_wo_much_more_than_nin():
    result = run(lines(("buyer", "这个怎么样"), ("agent", "我觉得不错，我自己也在用，我帮你看看"),
                       ("agent", "感谢您")))
    assert rules(result) == ["wo_over_nin"] and result.findings[0].message == 2
    polite = run(lines(("buyer", "这个怎么样"), ("agent", "我们这款很多人买，您可以看看，咱们店铺有活动，感谢您")))
    assert polite.findings == []  # 我们 is not 我


def test_buyer_left_unanswered_at_the_end():
    result = run(lines(("buyer", "在吗"), ("agent", "在的，感谢您"), ("buyer", "还有别的颜色吗")))
    assert rules(result) == ["unanswered"] and result.findings[0].message == 3


def test_a_closing_thanks_needs_no_answer_and_nothing_counts_before_the_end():
    assert rules(run(GOOD[:3])) == ["no_farewell"]  # "好的谢谢" after the answer needs no answer (no farewell, though)
    open_day = run(lines(("buyer", "在吗"), ("agent", "在的"), ("buyer", "还有别的颜色吗")), ended=False)
    assert open_day.findings == []  # the day is not over: no unanswered, no farewell yet


def test_slow_replies_each_count_up_to_three_times():
    script = lines(("buyer", "在吗"), ("agent", "在的", 61), ("buyer", "a"), ("agent", "b", 90), ("buyer", "c"),
                   ("agent", "d", 120), ("buyer", "e"), ("agent", "f", 300), ("buyer", "g"),
                   ("agent", "感谢您", 60))
    result = run(script)
    assert rules(result) == ["slow_reply"] * 4  # 60 s is not slower than 60 s
    assert result.score == 100 - 3 * W["slow_reply"]
    assert run(script, slow=500).findings == []


def test_no_farewell_at_the_end():
    result = run(lines(("buyer", "在吗"), ("agent", "在的")))
    assert rules(result) == ["no_farewell"] and result.findings[0].message == 2


def test_weights_decide_the_score_and_it_never_goes_below_zero():
    heavy = {k: 60 for k in W}
    result = run(lines(("buyer", "在吗"), ("agent", "滚，肯定没有", 100)), weights=heavy)
    assert set(rules(result)) == {"forbidden_phrase", "rude_word", "slow_reply", "no_farewell"}
    assert result.score == 0
    light = run(lines(("buyer", "在吗"), ("agent", "在的")), weights={**W, "no_farewell": 0})
    assert light.score == 100 and rules(light) == ["no_farewell"]  # found, but weighs nothing


# --- the services ---------------------------------------------------------------------------------------------------


def test_closing_a_conversation_scores_its_day(chat):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)),
                         ("agent", "在的，肯定有货", D(2026, 11, 23, 9, 0, 10)),
                         ("buyer", "发什么快递", D(2026, 11, 23, 9, 1)), ("close", "", D(2026, 11, 23, 9, 5))])
    score = QualityScore.objects.get(conversation=conversation, day=date(2026, 11, 23))
    assert {f["rule"] for f in score.findings} == {"forbidden_phrase", "unanswered", "no_farewell"}
    assert score.auto_score == 100 - W["forbidden_phrase"] - W["unanswered"] - W["no_farewell"]
    assert score.agent_id == conversation.assignee_id
    assert all(f["explanation"] for f in score.findings)


def test_settings_weights_and_threshold_are_used(chat):
    ServiceSettings.objects.update(slow_reply_seconds=5, quality_weights={**W, "slow_reply": 40})
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的，感谢您", D(2026, 11, 23, 9, 0, 10)),
                         ("close", "", D(2026, 11, 23, 9, 5))])
    assert QualityScore.objects.get(conversation=conversation).auto_score == 60


def test_the_buyers_order_data_is_theirs(chat, make_order, cn_time):
    make_order(buyer="tb-buyer", mobile="13700001111", ordered_at=cn_time(2026, 11, 22, 9, 0))
    conversation = chat([("buyer", "电话对吗", D(2026, 11, 23, 9, 0)),
                         ("agent", "您的电话是13700001111，地址文三路1号，感谢您", D(2026, 11, 23, 9, 0, 10)),
                         ("close", "", D(2026, 11, 23, 9, 5))])
    assert QualityScore.objects.get(conversation=conversation).findings == []


def test_recompute_keeps_the_manual_score(chat, supervisor):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的", D(2026, 11, 23, 9, 0, 10)),
                         ("close", "", D(2026, 11, 23, 9, 5))])
    score = QualityScore.objects.get(conversation=conversation)
    services_team.review_quality_score(actor=supervisor, score=score, manual_score=90, comment="道别可以口头补")
    with clock.freeze(D(2026, 11, 24, 9, 0)):
        assert services_team.inspect_day(actor=supervisor, day=date(2026, 11, 23)) == 1
    score.refresh_from_db()
    assert score.manual_score == 90 and score.score == 90 and score.auto_score == 100 - W["no_farewell"]
    assert AuditEvent.objects.filter(action="service.quality_inspected").count() == 1


def test_inspect_day_scores_every_conversation_of_the_persons_shops(chat, supervisor, other_shop, make_user):
    for i in range(3):
        chat([("buyer", "在吗", D(2026, 11, 23, 9, i)), ("agent", "在的", D(2026, 11, 23, 9, i, 10))], buyer=f"b{i}")
    outsider = make_user("cs_presales", shops=[other_shop])
    chat([("buyer", "在吗", D(2026, 11, 23, 9, 0))], buyer="x", for_shop=other_shop, by=outsider)
    with clock.freeze(D(2026, 11, 24, 9, 0)):
        assert services_team.inspect_day(actor=supervisor, day=date(2026, 11, 23)) == 3
    assert QualityScore.objects.count() == 3  # not the other shop's conversation
    assert all({f["rule"] for f in s.findings} == {"no_farewell"} for s in QualityScore.objects.all())


def test_inspect_day_needs_the_permission_and_a_past_or_present_day(agent, supervisor):
    with pytest.raises(NotAllowed):
        services_team.inspect_day(actor=agent, day=date(2026, 11, 23))
    with clock.freeze(D(2026, 11, 23, 9, 0)), pytest.raises(ServiceError):
        services_team.inspect_day(actor=supervisor, day=date(2026, 11, 24))


def test_review_needs_a_reason_and_not_ones_own_conversation(chat, supervisor, make_user, shop):
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的", D(2026, 11, 23, 9, 0, 10)),
                         ("close", "", D(2026, 11, 23, 9, 5))])
    score = QualityScore.objects.get(conversation=conversation)
    with pytest.raises(ServiceError) as refused:
        services_team.review_quality_score(actor=supervisor, score=score, manual_score=50)
    assert "comment" in refused.value.fields
    with pytest.raises(ServiceError) as refused:
        services_team.review_quality_score(actor=supervisor, score=score, manual_score=101, comment="x")
    assert "manual_score" in refused.value.fields
    services_team.review_quality_score(actor=supervisor, score=score, manual_score=score.auto_score)  # agrees
    own = chat([("buyer", "在吗", D(2026, 11, 23, 10, 0)), ("agent", "在的", D(2026, 11, 23, 10, 0, 10)),
                ("close", "", D(2026, 11, 23, 10, 5))], buyer="b2", by=supervisor)
    with pytest.raises(Conflict):
        services_team.review_quality_score(actor=supervisor, score=QualityScore.objects.get(conversation=own),
                                           manual_score=100, comment="我自己")
    event = AuditEvent.objects.get(action="service.quality_reviewed")
    assert event.actor_id == supervisor.pk and "manual_score" in event.changes


def test_closing_a_conversation_never_fails_on_odd_messages(chat):
    conversation = chat([("buyer", "<script>alert(1)</script> 13912345678 " + "长" * 500, D(2026, 11, 23, 9, 0)),
                         ("close", "", D(2026, 11, 23, 9, 5))])
    score = QualityScore.objects.get(conversation=conversation)
    assert score.agent_id is None and [f["rule"] for f in score.findings] == ["unanswered"]


def test_mask_text_hides_phone_numbers():
    assert quality.mask_text("打13912345678") == "打139****5678"


def test_services_close_calls_scoring_inside_the_transaction(chat):
    """close_conversation is the caller: scoring a day with only notes stores nothing and does not fail."""
    conversation = chat([("buyer", "在吗", D(2026, 11, 23, 9, 0)), ("agent", "在的，感谢您", D(2026, 11, 23, 9, 0, 5))])
    assert services_team.score_conversation_day(conversation=conversation, day=date(2026, 11, 30)) is None
    with clock.freeze(D(2026, 11, 23, 9, 6)):
        services.close_conversation(actor=None, conversation=conversation)
    assert QualityScore.objects.get(conversation=conversation).auto_score == 100
