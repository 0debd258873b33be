"""Importing the platform's review export: xlsx and CSV (UTF-8, GBK), the order and line matched, unmatched orders
kept and reported, all or nothing with every bad cell named by line and column, idempotent re-import."""

from __future__ import annotations

import pytest

from shopdesk.core.errors import ServiceError
from shopdesk.core.models import Deadline
from shopdesk.reviews import exports, selectors, services
from shopdesk.reviews.models import Review


@pytest.fixture
def order(stocked, make_order):
    stocked("CH-BAG", 5)
    stocked("CH-TOTE", 5)
    return make_order("5550001", lines=[("CH-BAG", 1, "199.00"), ("CH-TOTE", 1, "99.00")], buyer="tb_lucy")


def rows():
    return [
        ["R1", "5550001", "真皮斜挎包", "CH-TOTE", "差评", "颜色和图片不一样", "2026-11-24 20:00:00", "色差",
         "tb_lucy"],
        ["R2", "5550001", "商品 CH-BAG", "", "好评", "很好看", "2026-11-24 21:00", "", "tb_lucy"],
        ["R3", "9999999", "帆布包", "X-1", "中评", "一般", "2026/11/24 22:00:00", "", "tb_tom"],
    ]


def test_good_xlsx(order, agent, review_xlsx, frozen):
    result = services.import_reviews(actor=agent, shop=order.shop, path=review_xlsx(rows()))
    assert result == {"created": 3, "updated": 0, "unchanged": 0, "unmatched_orders": ["9999999"],
                      "unmatched_lines": 0}
    r1, r2, r3 = (Review.objects.get(platform_review_id=i) for i in ("R1", "R2", "R3"))
    assert r1.order == order and r1.order_line.channel_sku_code == "CH-TOTE"  # by 商家编码 first
    assert r1.sku == r1.order_line.sku and r1.category == "colour" and r1.rating == "negative"
    assert r2.order_line.channel_sku_code == "CH-BAG"  # by the title (the line is 商品 CH-BAG)
    assert r3.order is None and r3.platform_order_no == "9999999" and r3.rating == "neutral"
    assert r1.follow_up_due_at is not None and r2.follow_up_due_at is None
    assert Deadline.objects.filter(rule=services.RULE).count() == 2  # R1 and R3


def test_gbk_csv(order, agent, review_csv, frozen):
    path = review_csv(rows(), encoding="gbk")
    result = services.import_reviews(actor=agent, shop=order.shop, path=path)
    assert result["created"] == 3
    assert Review.objects.get(platform_review_id="R1").text == "颜色和图片不一样"


def test_utf8_without_bom(order, agent, review_csv, frozen):
    assert services.import_reviews(actor=agent, shop=order.shop,
                                   path=review_csv(rows(), encoding="utf-8"))["created"] == 3


def test_bad_rows_name_line_and_column_and_nothing_is_written(order, agent, review_csv, frozen, english):
    bad = [
        ["R1", "5550001", "", "", "差评", "", "2026-11-24 20:00:00", "", ""],
        ["", "5550001", "", "", "好评", "", "2026-11-24 20:00:00", "", ""],  # line 3: no id
        ["R4", "5550001", "", "", "很差", "", "2026-11-24 20:00:00", "", ""],  # line 4: rating
        ["R5", "5550001", "", "", "差评", "", "昨天", "", ""],  # line 5: time
        ["R1", "5550001", "", "", "差评", "", "2026-11-24 20:00:00", "做工", ""],  # line 6: twice, reason
        ["R7", "", "", "", "差评", "", "2027-01-01 00:00:00", "", ""],  # line 7: order no, future
    ]
    with pytest.raises(ServiceError) as exc:
        services.import_reviews(actor=agent, shop=order.shop, path=review_csv(bad))
    lines = exc.value.fields["file"]
    text = "\n".join(lines)
    for expected in ("Line 3, 评价ID", "Line 4, 评价等级", "Line 5, 评价时间", "Line 6, 评价ID", "Line 6, 原因分类",
                     "Line 7, 订单编号", "Line 7, 评价时间"):
        assert expected in text, text
    assert "Line 2" not in text
    assert not Review.objects.exists() and not Deadline.objects.exists()


def test_missing_column(order, agent, review_csv, english):
    path = review_csv([["R1", "5550001"]], header=["评价ID", "订单编号"])
    with pytest.raises(ServiceError) as exc:
        services.import_reviews(actor=agent, shop=order.shop, path=path)
    assert "评价等级" in exc.value.message


def test_reimport_creates_nothing_and_takes_platform_changes(order, agent, review_csv, frozen):
    path = review_csv(rows())
    services.import_reviews(actor=agent, shop=order.shop, path=path)
    again = services.import_reviews(actor=agent, shop=order.shop, path=path)
    assert again == {"created": 0, "updated": 0, "unchanged": 3, "unmatched_orders": [], "unmatched_lines": 0}
    assert Review.objects.count() == 3 and Deadline.objects.count() == 2
    changed = rows()
    changed[0][4:6] = ["好评", "换货后很满意"]  # the buyer modified the negative review
    result = services.import_reviews(actor=agent, shop=order.shop, path=review_csv(changed, name="again.csv"))
    assert result["created"] == 0 and result["updated"] == 1 and result["unchanged"] == 2
    r1 = Review.objects.get(platform_review_id="R1")
    assert r1.rating == "positive" and r1.text == "换货后很满意" and r1.outcome == "modified"
    assert r1.follow_up_due_at is None
    assert services.open_follow_up_deadline(r1) is None
    # ... and still counts as the negative review it was, for the weekly cause report and the done list
    assert r1.first_rating == "negative"
    year, week, _day = r1.posted_at.isocalendar()
    report = selectors.weekly_report(agent, year, week)
    assert report["totals"]["negative"] == 1 and {r["category"] for r in report["by_reason"]} == {"colour", ""}
    assert "R1" in set(selectors.review_queue(agent, "done").values_list("platform_review_id", flat=True))


def test_template_reads_back(order, agent, tmp_path, frozen):
    path = tmp_path / "template.xlsx"
    path.write_bytes(exports.review_template_xlsx())
    result = services.import_reviews(actor=agent, shop=order.shop, path=path)
    assert result["created"] == 2 and len(result["unmatched_orders"]) == 2
