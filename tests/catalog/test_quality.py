"""Listing quality stars (信息质量星级, product.md §2.1): one table of cases for the pure score function."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from shopdesk.catalog.quality import ListingFacts, score_listing

DETAILED = ("<h3>规格</h3><p>尺码70B-80C，颜色肤色/黑色。</p>"
            "<h3>材质</h3><p>面料纯棉，亲肤透气不闷热，贴身穿着舒适。</p>"
            "<h3>洗涤</h3><p>30℃以下手洗，不可漂白，阴干。</p><h3>包装</h3><p>独立包装盒加防尘袋。</p>"
            "<h3>售后</h3><p>质量问题7天包退换，运费由本店承担；贴身衣物拆封后非质量问题不退换，请谅解。</p>")

PERFECT = ListingFacts(
    title="安之伴无钢圈文胸女纯棉舒适小胸聚拢 肤色黑色 3/4杯", name="无钢圈文胸", brand="安之伴", category="文胸",
    required_attributes=("面料", "罩杯"), attributes={"面料": "纯棉", "罩杯": "3/4杯"}, colours=("肤色", "黑色"),
    other_product_words=("文胸", "内裤", "睡衣", "家居服"), sku_count=4, image_count=4, description=DETAILED,
    price=Decimal("129"),
)

CASES = [
    # (case, changes to the perfect facts, expected stars, expected suggestions (substrings, in order))
    ("complete", {}, 5, []),
    ("no category", {"category": "", "other_product_words": ()}, 4, ["未选择类目"]),
    ("attribute missing", {"attributes": {"罩杯": "3/4杯"}}, 4, ["属性未填全：面料"]),
    ("two attributes missing", {"attributes": {}}, 4, ["属性未填全：面料、罩杯"]),
    ("blank attribute counts as missing", {"attributes": {"面料": " ", "罩杯": "3/4杯"}}, 4, ["属性未填全：面料"]),
    ("title without material and colour", {"title": "安之伴无钢圈文胸女舒适小胸聚拢3/4杯内衣"}, 4,
     ["标题缺少材质/颜色关键词"]),
    ("title without brand", {"title": "无钢圈文胸女纯棉舒适小胸聚拢 肤色 3/4杯"}, 4, ["标题缺少品牌关键词"]),
    ("short title", {"title": "安之伴纯棉肤色文胸"}, 4, ["标题过短（9字）"]),
    ("empty title", {"title": ""}, 4, ["标题为空"]),
    ("material named by part of the word", {"attributes": {"面料": "锦纶蕾丝", "罩杯": "3/4杯"},
                                            "title": "安之伴蕾丝聚拢文胸 性感黑色 有钢圈调整型内衣"}, 5, []),
    ("two products in one title", {"title": "安之伴纯棉无钢圈文胸内裤套装 肤色黑色 3/4杯"}, 4,
     ["一个标题只写一个商品：标题中出现了「内裤」"]),
    ("product type in its own name is fine", {"name": "文胸内裤套装", "title": "安之伴纯棉无钢圈文胸内裤套装 肤色黑色"},
     5, []),
    ("one image", {"image_count": 1}, 4, ["只有1张图片，建议3张以上实拍图"]),
    ("two images", {"image_count": 2}, 4, ["只有2张图片，建议3张以上实拍图"]),
    ("no image", {"image_count": 0}, 3, ["没有图片"]),
    ("short description", {"description": "<p>规格 材质 洗涤 包装 售后</p>"}, 4, ["描述过短"]),
    ("description missing topics",
     {"description": DETAILED.replace("洗涤", "保养").replace("手洗", "清洁").replace("售后", "服务")
      .replace("退换", "处理")}, 4, ["描述缺少：洗涤、售后"]),
    ("no description", {"description": ""}, 4, ["没有描述"]),
    ("no price", {"price": None}, 3, ["未设置售价，买家无法在线下单"]),
    ("zero price", {"price": Decimal("0")}, 3, ["未设置售价"]),
    ("no sellable SKU", {"sku_count": 0}, 3, ["没有在售的SKU"]),
    ("everything wrong stays at one star",
     {"category": "", "attributes": {}, "title": "", "image_count": 0, "description": "", "price": None}, 1,
     ["未选择类目", "属性未填全", "标题为空", "没有图片", "没有描述", "未设置售价"]),
    ("several problems add up", {"image_count": 1, "attributes": {"罩杯": "3/4杯"}}, 3,
     ["属性未填全：面料", "只有1张图片"]),
]


@pytest.mark.parametrize(("case", "changes", "stars", "expected"), CASES, ids=[c[0] for c in CASES])
def test_score_listing(case, changes, stars, expected):
    quality = score_listing(replace(PERFECT, **changes))
    assert quality.stars == stars, quality.suggestions
    assert len(quality.suggestions) == len(expected), quality.suggestions
    for text, suggestion in zip(expected, quality.suggestions, strict=True):
        assert text in suggestion


def test_result_unpacks_as_stars_and_suggestions():
    stars, suggestions = score_listing(replace(PERFECT, image_count=1))
    assert (stars, suggestions) == (4, ["只有1张图片，建议3张以上实拍图"])


def test_score_is_pure():
    facts = replace(PERFECT, image_count=2)
    assert score_listing(facts) == score_listing(facts)
