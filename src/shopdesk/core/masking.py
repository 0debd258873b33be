"""Masking of personal information for display (个人信息脱敏, PIPL 《个人信息保护法》).

Lists, exports and logs show customers' phone numbers, names, addresses and e-mail
addresses only in masked form; the full value is shown only to staff with a reason to see
it. Every function here is pure and total: it accepts ``None``, empty strings, numbers
and malformed text without raising, returns ``""`` for empty input, and shows only the
parts documented below (never a whole phone number, name, street address or e-mail).

========================================  ====================================
input                                     output
========================================  ====================================
``mask_phone("13812341234")``             ``"138****1234"``
``mask_phone("+86 138 1234 1234")``       ``"138****1234"``
``mask_phone("0571-88886666")``           ``"0571-****6666"``
``mask_name("欧阳娜娜")``                 ``"欧***"``
``mask_address("浙江省", "杭州市", ...)`` ``"浙江省 杭州市 西湖区 ****"``
``mask_full_address("北京市朝阳区…")``    ``"北京市朝阳区****"``
``mask_email("zhang@example.com")``       ``"z****@example.com"``
========================================  ====================================
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["mask_address", "mask_email", "mask_full_address", "mask_name", "mask_phone"]

STARS = "****"

# Mainland mobile: 11 digits starting with 1, optionally preceded by country code 86 / 0086.
_MOBILE = re.compile(r"(?:0086|86)?(1\d{10})")
# Landline extension written after the number (转 123, ext. 123, x123, #123, 分机 123).
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*\d{1,6}$", re.IGNORECASE)
# Landline written with a separator after the area code: "0571-88886666", "(010) 1234 5678",
# "0571-88886666-123" (dash extension). Area code is 0 + 2..3 digits, local number 7..8 digits.
_LANDLINE_PARTS = re.compile(r"(?:\((0\d{2,3})\)[\s-]*|(0\d{2,3})[\s-]+)(\d{3,4}[\s-]?\d{4})(?:[\s-]+\d{1,6})?")
# Landline without separators: 010 and 02x are 3-digit area codes, all others have 4 digits.
_LANDLINE_COMPACT = re.compile(r"(0[12]\d|0[3-9]\d{2})(\d{7,8})")
# Separators allowed inside a phone number written by people.
_PHONE_NOISE = re.compile(r"[\s\-().+]")

# Characters kept visible in names: spaces and the middle dots of transliterated names
# (e.g. 买买提·艾力).
_NAME_SEPARATORS = frozenset(" \t·•・")

# Mainland provinces and autonomous regions often written without their suffix (浙江杭州…).
_PROVINCE_SHORT = (
    "黑龙江|内蒙古|河北|山西|辽宁|吉林|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|"
    "四川|贵州|云南|陕西|甘肃|青海|台湾|广西|西藏|宁夏|新疆|香港|澳门"
)
# Characters that never occur in the name of an administrative unit but do occur in the
# street-level detail we must hide; they stop a unit match from running into the detail.
_STREET_CHARS = r"\s\d路街号巷弄栋幢楼室单元组,，、;；:：()（）#"
# Township words: they end town/village names in the detail, but may start a unit name
# (镇江市, 乡城县), so they are allowed only as the first character of a name.
_TOWN_CHARS = "镇乡村"
# Level suffix characters: a name may not contain them, so one unit cannot swallow the next.
_LEVEL_CHARS = "省市区县旗盟"
_SEP = r"[\s,，]*"


def _unit_name(min_len: int, max_len: int, first_may_be: str = "") -> str:
    """Regex for the name part of an administrative unit (without its level suffix).

    ``first_may_be`` lists level characters allowed as the first character (市 for 市中区).
    "大道" (avenue) is refused anywhere, so "深南大道…区" cannot pass for a district.
    """
    first_excluded = "".join(ch for ch in _LEVEL_CHARS if ch not in first_may_be)
    first = rf"(?!大道)[^{_STREET_CHARS}{first_excluded}]"
    rest = rf"(?:(?!大道)[^{_STREET_CHARS}{_TOWN_CHARS}{_LEVEL_CHARS}])"
    return rf"{first}{rest}{{{min_len - 1},{max_len - 1}}}"


# Province level (省级): ...省 / ...自治区 / ...特别行政区, a municipality (直辖市), or a
# bare province name not followed by 省/市 (so 吉林市 stays a city) nor by a street word
# (北京路 and 湖南路 are streets).
_PROVINCE = (
    rf"(?:{_unit_name(2, 10)}(?:特别行政区|自治区|省)"
    rf"|(?:北京|天津|上海|重庆)(?:市|(?![路街道巷]))"
    rf"|(?:{_PROVINCE_SHORT})(?![省市路街道巷]))"
)
# Prefecture level (地级): ...市 / ...自治州 / ...州 / ...地区 / ...盟.
_CITY = rf"(?:{_unit_name(1, 15)}(?:自治州|地区|市|州|盟))"
# County level (县级): ...区 / ...县 / ...市 (县级市) / ...旗, including 自治县 / 自治旗 / 新区;
# the name may start with 市 (济南市市中区).
_COUNTY = rf"(?:{_unit_name(1, 15, first_may_be='市')}(?:区|县|市|旗))"
_ADDRESS_PREFIX = re.compile(rf"(?:{_PROVINCE}{_SEP})?(?:{_CITY}{_SEP})?(?:{_COUNTY})?")


def _text(value: object) -> str:
    """Coerce any input to a stripped, NFKC-normalised string ("" for None)."""
    if value is None:
        return ""
    try:
        text = value if isinstance(value, str) else str(value)
    except Exception:  # a broken __str__ must not break a listing page
        return ""
    # NFKC turns full-width digits and letters (１３８, ＠) into ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def _star_tail(digits: str) -> str:
    """Star a digit string, keeping at most the last 4 and at most half of them visible."""
    visible = min(4, len(digits) // 2)
    return "*" * (len(digits) - visible) + (digits[-visible:] if visible else "")


def mask_phone(value: object) -> str:
    """Mask a phone number.

    * Mainland mobile numbers, with or without ``+86`` / ``86`` / ``0086`` and any spaces or
      dashes, become the 11-digit form with the middle four digits hidden: ``"138****1234"``
      (the country code is dropped).
    * Landlines keep the area code and the last four digits: ``"0571-88886666"`` ->
      ``"0571-****6666"``; ``"(010)12345678 转 123"`` -> ``"010-****5678"`` (extension dropped).
    * Anything else: the non-digit characters are dropped and at most the last 4 digits
      stay visible (never more than half of them): ``"12345"`` -> ``"***45"``. Input with no
      digits at all is fully starred.
    * ``None`` / empty -> ``""``.
    """
    text = _text(value)
    if not text:
        return ""
    compact = _PHONE_NOISE.sub("", text)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        number = mobile.group(1)
        return f"{number[:3]}****{number[-4:]}"
    without_extension = _EXTENSION.sub("", text)
    parts = _LANDLINE_PARTS.fullmatch(without_extension)
    if parts:
        area = parts.group(1) or parts.group(2)
        local = re.sub(r"\D", "", parts.group(3))
        return f"{area}-****{local[-4:]}"
    compact = _PHONE_NOISE.sub("", without_extension)
    landline = _LANDLINE_COMPACT.fullmatch(compact)
    if landline:
        area, local = landline.groups()
        return f"{area}-****{local[-4:]}"
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if not digits:
        return "*" * min(len(text), 11)
    return _star_tail(digits)


def mask_name(value: object) -> str:
    """Mask a person's name: keep the first character, star every other non-space character.

    ``"张三"`` -> ``"张*"``, ``"欧阳娜娜"`` -> ``"欧***"``, ``"Alice Smith"`` -> ``"A**** *****"``,
    ``"买买提·艾力"`` -> ``"买**·**"`` (spaces and middle dots stay as separators). A name of a
    single character is fully starred (``"张"`` -> ``"*"``) so that no name is ever shown whole.
    """
    text = _text(value)
    if not text:
        return ""
    visible_chars = [i for i, ch in enumerate(text) if ch not in _NAME_SEPARATORS]
    if len(visible_chars) <= 1:
        return "".join("*" if ch not in _NAME_SEPARATORS else ch for ch in text)
    first = visible_chars[0]
    return "".join(ch if i == first or ch in _NAME_SEPARATORS else "*" for i, ch in enumerate(text))


def mask_address(province: object, city: object, district: object, detail: object) -> str:
    """Mask a structured address: keep province, city and district, hide the detail.

    ``mask_address("浙江省", "杭州市", "西湖区", "文三路 1 号")`` -> ``"浙江省 杭州市 西湖区 ****"``.
    Empty parts are skipped; a municipality's city equal to its province
    (``"北京市", "北京市", "朝阳区"``) is shown once. ``"****"`` is appended whenever there
    is a detail to hide; with nothing at all the result is ``""``.
    """
    parts: list[str] = []
    for part in (_text(province), _text(city), _text(district)):
        if part and (not parts or parts[-1] != part):
            parts.append(part)
    if _text(detail):
        parts.append(STARS)
    return " ".join(parts)


def mask_full_address(value: object) -> str:
    """Mask a single-line mainland address, keeping the administrative levels only.

    The province (省/自治区/特别行政区/直辖市, optional), prefecture (市/自治州/州/地区/盟,
    optional) and the first county-level unit (区/县/县级市/旗, optional) are kept, everything
    after them becomes ``"****"``::

        浙江省杭州市西湖区文三路 1 号   -> 浙江省杭州市西湖区****
        北京市朝阳区建国路 88 号        -> 北京市朝阳区****
        内蒙古自治区呼伦贝尔市鄂温克族自治旗巴彦托海镇 -> 内蒙古自治区呼伦贝尔市鄂温克族自治旗****
        浙江省 杭州市 西湖区 文三路     -> 浙江省 杭州市 西湖区 ****

    When no administrative unit is recognised the whole text is hidden (``"****"``).
    """
    text = _text(value)
    if not text:
        return ""
    match = _ADDRESS_PREFIX.match(text)
    end = match.end() if match else 0
    kept = text[:end].rstrip(" ,，")
    if not kept:
        return STARS
    if kept == text:
        # Only administrative units: nothing to hide, but keep the masked shape consistent.
        return kept + STARS
    separator = " " if text[len(kept) : len(kept) + 1].isspace() else ""
    return f"{kept}{separator}{STARS}"


def mask_email(value: object) -> str:
    """Mask an e-mail address: keep the first character of the local part and the domain.

    ``"zhang@example.com"`` -> ``"z****@example.com"``; a one-character local part is fully
    hidden (``"a@x.cn"`` -> ``"****@x.cn"``). Text without ``@`` is masked like a name token:
    first character and ``"****"`` (a single character becomes ``"*"``).
    """
    text = _text(value)
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        return text[0] + STARS if len(text) > 1 else "*"
    if len(local) <= 1:
        return f"{STARS}@{domain}"
    return f"{local[0]}{STARS}@{domain}"
