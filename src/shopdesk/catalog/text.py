"""Text helpers of the catalog: pinyin initials for search, the description's HTML allow-list."""

from __future__ import annotations

import re

import nh3

# The description is shown on the product page: only plain formatting survives (no scripts, styles, links, images).
DESCRIPTION_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4",
                              "table", "thead", "tbody", "tr", "th", "td"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def pinyin_initials(text: str) -> str:
    """无钢圈文胸 -> "wgqwx": the first letter of each Chinese character; other letters and digits kept, lower-cased."""
    from pypinyin import Style, lazy_pinyin  # here: loading its dictionaries costs half a second at every start

    letters = lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default")
    return _NOT_ALNUM.sub("", "".join(letters).lower())


def sanitize_description(html: str) -> str:
    """The description as safe HTML: tags outside DESCRIPTION_TAGS and every attribute are removed."""
    return nh3.clean(html or "", tags=set(DESCRIPTION_TAGS), attributes={}, strip_comments=True).strip()


def html_to_text(html: str) -> str:
    """Visible text of (sanitised) HTML, whitespace collapsed; used to judge how detailed a description is."""
    import html as html_lib

    return _SPACE.sub(" ", html_lib.unescape(_TAG.sub(" ", html or ""))).strip()


def search_text(*, item_number: str, name: str, title: str, sku_codes, barcodes, limit: int = 400) -> str:
    """What the product search matches against (icontains), lower-cased.

    Most specific first, so that if a product has very many SKUs the title is what gets cut at `limit`; the search
    also matches SKU codes and barcodes directly, so nothing becomes unfindable.
    """
    parts = [item_number, pinyin_initials(name), name, *barcodes, *sku_codes, title]
    seen, kept = set(), []
    for part in parts:
        part = (part or "").strip().lower()
        if part and part not in seen:
            seen.add(part)
            kept.append(part)
    return " ".join(kept)[:limit]
