"""Customer-service KPIs (service/kpis.py) on a hand-made set of conversations with known answers.

Monday 2026-11-23 in shop `shop` (China time):
- c1, buyer b1: asks 09:00:00, 小美 answers 09:00:20 (first, 20 s), asks 09:01:00, 小美 answers 09:02:00 (60 s);
  b1 pays ¥100 at 10:00 (converted); b1 also pays ¥999 in another shop (not this shop's sale);
- c2, buyer b2: asks 10:00:00, 小李 answers 10:00:45 (first, 45 s); b2 pays the next day at 11:00, 25 h later (not
  converted);
- c3, buyer b3: asks 11:00, nobody answers; b3 pays ¥50 at 12:00 (converted, for the shop only);
- c4, buyer b4: asks 14:00:00, 小美 answers 14:01:30 (first, 90 s); b4 pays ¥80 at 15:00 and ¥120 at 16:00;
- c5, buyer b5: asks 00:30:00 (still the 23rd in China, the 22nd in UTC), 小李 answers 00:30:10 (first, 10 s).
Tuesday 2026-11-24: b1 asks again 09:00:00, 小美 answers 09:00:10 (first of the new day, 10 s); no order.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shopdesk.core import clock
from shopdesk.service import kpis, services
from shopdesk.service.models import Message

D = datetime
MON, TUE = date(2026, 11, 23), date(2026, 11, 24)


def _pay(make_order, cn_time, buyer, at, amount, **kw):
    return make_order(buyer=buyer, ordered_at=at - timedelta(minutes=5), paid_after=timedelta(minutes=5),
                      paid_amount=amount, lines=(("CH-0001", 1, amount),), **kw)


@pytest.fixture
def conversations(chat, agent, aftersales_agent, make_order, cn_time, other_shop):
    c1 = chat([("buyer", "亲，在吗", D(2026, 11, 23, 9, 0, 0)), ("agent", "在的亲，您好", D(2026, 11, 23, 9, 0, 20)),
               ("buyer", "这个有货吗", D(2026, 11, 23, 9, 1, 0)), ("agent", "有货的", D(2026, 11, 23, 9, 2, 0)),
               ("note", "老顾客", D(2026, 11, 23, 9, 3, 0))], buyer="b1")
    chat([("buyer", "能便宜点吗", D(2026, 11, 23, 10, 0, 0)),
          ("agent", "亲，已经是活动价了", D(2026, 11, 23, 10, 0, 45))], buyer="b2", by=aftersales_agent)
    chat([("buyer", "发什么快递", D(2026, 11, 23, 11, 0, 0))], buyer="b3")
    chat([("buyer", "有M码吗", D(2026, 11, 23, 14, 0, 0)), ("agent", "有的亲", D(2026, 11, 23, 14, 1, 30))],
         buyer="b4")
    chat([("buyer", "还没睡吗", D(2026, 11, 23, 0, 30, 0)), ("agent", "在的，您说", D(2026, 11, 23, 0, 30, 10))],
         buyer="b5", by=aftersales_agent)
    chat([("buyer", "我又来了", D(2026, 11, 24, 9, 0, 0)), ("agent", "欢迎您", D(2026, 11, 24, 9, 0, 10))], buyer="b1")
    _pay(make_order, cn_time, "b1", cn_time(2026, 11, 23, 10, 0), "100.00")
    _pay(make_order, cn_time, "b1", cn_time(2026, 11, 23, 10, 30), "999.00", for_shop=other_shop)
    _pay(make_order, cn_time, "b2", cn_time(2026, 11, 24, 11, 0), "70.00")
    _pay(make_order, cn_time, "b3", cn_time(2026, 11, 23, 12, 0), "50.00")
    _pay(make_order, cn_time, "b4", cn_time(2026, 11, 23, 15, 0), "80.00")
    _pay(make_order, cn_time, "b4", cn_time(2026, 11, 23, 16, 0), "120.00")
    return c1


def _row(rows, key, period):
    found = [r for r in rows if r.key == key and r.period == period]
    assert len(found) == 1, [(r.key, r.period) for r in rows]
    return found[0].measures


def test_stored_response_times_are_what_the_set_says(conversations):
    firsts = list(Message.objects.filter(first_response=True).order_by("sent_at").values_list("response_seconds",
                                                                                            flat=True))
    assert firsts == [10, 20, 45, 90, 10]


def test_agent_measures_per_day(conversations, agent, aftersales_agent, shop):
    report = kpis.compute(MON, TUE, period="day")
    mei = _row(report.agents, agent.pk, MON)
    assert mei["conversations"] == 2  # c1 and c4
    assert mei["answers"] == 3 and mei["response_seconds"] == pytest.approx(56.7)  # (20 + 60 + 90) / 3
    assert mei["first_responses"] == 2 and mei["first_response_seconds"] == 55.0  # (20 + 90) / 2
    assert mei["answered_30s"] == 0.5 and mei["answered_60s"] == 0.5  # of first responses: 20 s yes, 90 s no
    assert mei["inquiries"] == 2 and mei["converted"] == 2 and mei["conversion"] == 1.0
    assert mei["orders"] == 3 and mei["sales"] == Decimal("300.00")  # 100 + 80 + 120, not the other shop's 999
    assert mei["average_order_value"] == Decimal("100.00")

    li = _row(report.agents, aftersales_agent.pk, MON)
    assert li["conversations"] == 2  # c2 and c5 (00:30 China time is still Monday)
    assert li["first_responses"] == 2 and li["first_response_seconds"] == 27.5  # (45 + 10) / 2
    assert li["answered_30s"] == 0.5 and li["answered_60s"] == 1.0
    assert li["inquiries"] == 2 and li["converted"] == 0 and li["conversion"] == 0.0  # b2 paid 25 h later
    assert li["orders"] == 0 and li["sales"] == Decimal("0.00") and li["average_order_value"] is None

    mei_tue = _row(report.agents, agent.pk, TUE)
    assert mei_tue["conversations"] == 1 and mei_tue["first_response_seconds"] == 10.0
    assert mei_tue["inquiries"] == 1 and mei_tue["converted"] == 0  # b1's order was paid the day before


def test_shop_measures_count_the_unanswered_inquiry(conversations, shop):
    report = kpis.compute(MON, TUE, period="day")
    mon = _row(report.shops, shop.pk, MON)
    assert mon["conversations"] == 4  # answered conversation-days: c1, c2, c4, c5
    assert mon["inquiries"] == 5  # c3 asked and nobody answered: the shop's inquiry, nobody's else
    assert mon["converted"] == 3 and mon["conversion"] == 0.6  # c1, c3, c4
    assert mon["first_responses"] == 4 and mon["first_response_seconds"] == 41.2  # (20 + 45 + 90 + 10) / 4 = 41.25
    assert mon["answers"] == 5 and mon["response_seconds"] == 45.0  # (20 + 60 + 45 + 90 + 10) / 5
    assert mon["orders"] == 4 and mon["sales"] == Decimal("350.00")
    assert mon["average_order_value"] == Decimal("87.50")


def test_week_rows_are_sums_of_the_days(conversations, agent, shop):
    report = kpis.compute(MON, TUE, period="week")
    assert report.periods == [MON]
    mei = _row(report.agents, agent.pk, MON)
    assert mei["conversations"] == 3 and mei["answers"] == 4
    assert mei["response_seconds"] == 45.0  # (20 + 60 + 90 + 10) / 4
    assert mei["first_response_seconds"] == 40.0  # (20 + 90 + 10) / 3
    assert mei["answered_30s"] == pytest.approx(0.6667)
    assert mei["inquiries"] == 3 and mei["converted"] == 2 and mei["conversion"] == pytest.approx(0.6667)
    assert mei["orders"] == 3 and mei["sales"] == Decimal("300.00")
    total = [r for r in report.agent_totals if r.key == agent.pk][0].measures
    assert total == mei  # one week: the total is the week
    assert report.total["inquiries"] == 6 and report.total["converted"] == 3


def test_month_period_and_filters(conversations, agent, aftersales_agent, shop, other_shop):
    report = kpis.compute(date(2026, 11, 1), date(2026, 11, 30), period="month", agent_ids=[agent.pk])
    assert [r.key for r in report.agents] == [agent.pk]  # the agent filter limits the agent rows
    assert report.shops[0].measures["inquiries"] == 6  # the shop rows stay whole
    only_other = kpis.compute(MON, TUE, shop_ids=[other_shop.pk])
    assert only_other.agents == [] and only_other.total["inquiries"] == 0


def test_a_day_range_leaves_out_the_other_days(conversations, agent):
    report = kpis.compute(TUE, TUE)
    assert [r.period for r in report.agents] == [TUE]
    assert report.total["inquiries"] == 1


def test_order_paid_before_the_question_does_not_convert(chat, make_order, cn_time):
    make_order(buyer="b9", ordered_at=cn_time(2026, 11, 23, 8, 0), paid_after=timedelta(minutes=1))
    chat([("buyer", "什么时候发货", D(2026, 11, 23, 9, 0)), ("agent", "今天发", D(2026, 11, 23, 9, 0, 5))],
         buyer="b9")
    assert kpis.compute(MON, MON).total["converted"] == 0


def test_an_order_converting_two_days_counts_once_in_the_total(chat, make_order, cn_time):
    chat([("buyer", "在吗", D(2026, 11, 23, 20, 0)), ("agent", "在", D(2026, 11, 23, 20, 0, 5)),
          ("buyer", "我想买", D(2026, 11, 24, 8, 0)), ("agent", "好的", D(2026, 11, 24, 8, 0, 5))], buyer="b8")
    make_order(buyer="b8", ordered_at=cn_time(2026, 11, 24, 9, 0), paid_after=timedelta(minutes=1),
               paid_amount="60.00", lines=(("CH-0001", 1, "60.00"),))
    report = kpis.compute(MON, TUE, period="week")
    assert report.total["converted"] == 2  # both inquiries were within 24 h of the payment
    assert report.total["orders"] == 1 and report.total["sales"] == Decimal("60.00")


def test_bounded_queries_whatever_the_size(chat, agent):
    for i in range(12):
        chat([("buyer", "在吗", D(2026, 11, 23, 9, i)), ("agent", "在的", D(2026, 11, 23, 9, i, 30))], buyer=f"q{i}")
    with CaptureQueriesContext(connection) as queries:
        kpis.compute(MON, TUE, period="day")
    assert len(queries) <= 7


def test_periods_and_buckets():
    assert kpis.bucket(date(2026, 11, 26), "week") == MON
    assert kpis.bucket(date(2026, 11, 26), "month") == date(2026, 11, 1)
    assert kpis.month_bounds(date(2026, 2, 14)) == (date(2026, 2, 1), date(2026, 2, 28))
    with pytest.raises(ValueError):
        kpis.compute(TUE, MON)


def test_first_response_of_a_new_day_is_stored_by_china_day(shop, agent):
    """Services mark the first answer per China day: the night before 00:00 and after are two days."""
    with clock.freeze(D(2026, 11, 23, 23, 59, 0)):
        message = services.post_buyer_message(actor=None, shop=shop, buyer_id="night", text="在吗")
        services.post_agent_reply(actor=agent, conversation=message.conversation, text="在")
    with clock.freeze(D(2026, 11, 24, 0, 1, 0)):
        services.post_buyer_message(actor=None, shop=shop, buyer_id="night", text="还有个问题")
        services.post_agent_reply(actor=agent, conversation=message.conversation, text="您说")
    report = kpis.compute(MON, TUE)
    assert [r.measures["first_responses"] for r in report.agents] == [1, 1]
