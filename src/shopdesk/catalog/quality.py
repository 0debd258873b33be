"""Listing quality stars 1-5 (信息质量星级, 004 fourth article; product.md §2.1).

`score_listing` is a pure function of plain facts, so the rule is one table of cases in tests/catalog/test_quality.py.
Each problem found costs stars and comes with a concrete suggestion (in Chinese, the department's language):

| check                                                          | stars lost |
|----------------------------------------------------------------|-----------|
| category set                                                   | 1 |
| every required attribute filled                                | 1 |
| title long enough and names brand, material and colour         | 1 |
| one product per title (no other product type named, except words of the product's own name) | 1 |
| images: none                                                   | 2 |
| images: 1-2 (better 3+ real photos)                            | 1 |
| description detailed: 100+ characters, mentions 规格/材质/洗涤/包装/售后 | 1 |
| online ordering possible: a price and a sellable SKU           | 2 |

Stars = 5 minus the stars lost, at least 1.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from shopdesk.catalog.text import html_to_text

MATERIAL_ATTRIBUTES = ("面料", "材质", "材料", "主面料", "成分")
MIN_TITLE_LENGTH = 15
MIN_DESCRIPTION_LENGTH = 100
GOOD_IMAGE_COUNT = 3
# Topic -> words that count as mentioning it; the message names the topic.
DESCRIPTION_TOPICS: dict[str, tuple[str, ...]] = {
    "规格": ("规格", "尺码", "尺寸"),
    "材质": ("材质", "面料", "成分"),
    "洗涤": ("洗涤", "洗护", "手洗", "机洗", "水洗"),
    "包装": ("包装",),
    "售后": ("售后", "退换", "退货", "换货", "质保"),
}
_WORDS = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z]{2,}")


@dataclass(frozen=True)
class ListingFacts:
    """What the score looks at, for one listing (one SKU in one shop) of a product."""

    title: str
    name: str = ""  # the product's name: product-type words in it are its own (莫代尔睡衣家居服套装)
    brand: str = ""  # brand name, "" when the product has none
    category: str = ""  # category name, "" when not set
    required_attributes: tuple[str, ...] = ()  # names the category requires
    attributes: Mapping[str, str] = field(default_factory=dict)  # filled values by attribute name
    colours: tuple[str, ...] = ()  # colours of the product's SKUs
    other_product_words: tuple[str, ...] = ()  # names of other product types (other categories)
    sku_count: int = 0  # sellable (active) SKUs of the product
    image_count: int = 0
    description: str = ""  # sanitised HTML or plain text
    price: Decimal | None = None  # what a buyer pays in this shop


class Quality(NamedTuple):
    stars: int
    suggestions: list[str]


def _material_words(attributes: Mapping[str, str]) -> list[str]:
    for name in MATERIAL_ATTRIBUTES:
        value = (attributes.get(name) or "").strip()
        if value:
            return _WORDS.findall(value)
    return []


def _mentions(title: str, word: str) -> bool:
    """The title names the material: the word itself, or for Chinese any two-character part of it (锦纶蕾丝 is
    mentioned by 蕾丝)."""
    if word.isascii():
        return word.lower() in title.lower()
    return word in title or any(word[i:i + 2] in title for i in range(len(word) - 1))


def score_listing(facts: ListingFacts) -> Quality:
    """Stars 1-5 and the suggestions that would raise them, in the order of the checks above."""
    lost = 0
    tips: list[str] = []
    title = (facts.title or "").strip()

    if not facts.category:
        lost += 1
        tips.append("未选择类目，请选择正确的类目")

    missing_attrs = [a for a in facts.required_attributes if not str(facts.attributes.get(a) or "").strip()]
    if missing_attrs:
        lost += 1
        tips.append("属性未填全：" + "、".join(missing_attrs))

    title_problem = False
    if len(title) < MIN_TITLE_LENGTH:
        title_problem = True
        tips.append(f"标题过短（{len(title)}字），建议写明品牌、款式、颜色、材质和卖点"
                    if title else "标题为空，请填写含品牌、款式、颜色、材质和卖点的标题")
    if title:
        missing_words = []
        if facts.brand and facts.brand not in title:
            missing_words.append("品牌")
        material = _material_words(facts.attributes)
        if material and not any(_mentions(title, w) for w in material):
            missing_words.append("材质")
        colours = [c for c in facts.colours if c]
        if colours and not any(c in title for c in colours):
            missing_words.append("颜色")
        if missing_words:
            title_problem = True
            tips.append("标题缺少" + "/".join(missing_words) + "关键词")
    if title_problem:
        lost += 1

    own = f"{facts.category} {facts.name}"
    others = [w for w in facts.other_product_words if w and w not in own and w in title]
    if others:
        lost += 1
        tips.append("一个标题只写一个商品：标题中出现了" + "、".join(f"「{w}」" for w in others))

    if facts.image_count <= 0:
        lost += 2
        tips.append("没有图片，至少上传1张，建议3张以上实拍图")
    elif facts.image_count < GOOD_IMAGE_COUNT:
        lost += 1
        tips.append(f"只有{facts.image_count}张图片，建议3张以上实拍图")

    text = html_to_text(facts.description)
    missing_topics = [t for t, words in DESCRIPTION_TOPICS.items() if not any(w in text for w in words)]
    if len(text) < MIN_DESCRIPTION_LENGTH or missing_topics:
        lost += 1
        if len(text) < MIN_DESCRIPTION_LENGTH:
            tips.append(f"描述过短（{len(text)}字），建议{MIN_DESCRIPTION_LENGTH}字以上"
                        if text else "没有描述，请写明规格、材质、洗涤、包装和售后")
        if text and missing_topics:
            tips.append("描述缺少：" + "、".join(missing_topics))

    if facts.price is None or facts.price <= 0:
        lost += 2
        tips.append("未设置售价，买家无法在线下单")
    elif facts.sku_count <= 0:
        lost += 2
        tips.append("没有在售的SKU，买家无法在线下单")

    return Quality(max(1, 5 - lost), tips)
