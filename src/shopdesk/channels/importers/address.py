"""Splitting a Chinese delivery address into province, city, district, the rest, and a postcode.

Taobao writes the parts with spaces and the postcode at the end: "浙江省 杭州市 西湖区 文三路407号2幢1006室(310000)",
"北京 北京市 朝阳区 ..."; JD writes them run together and often leaves out 省 or, for the four municipalities, the
city: "北京朝阳区三环到四环之间建国路88号", "广东深圳市南山区科技园路1号".

The rules: the province is one of the 34 province-level names (with or without 省/自治区, always returned in full
as "广东省", "新疆维吾尔自治区"; the municipalities as "北京", "上海", "天津", "重庆"), or else ends with 省/自治区/
特别行政区. The city ends with 市/自治州/地区/盟 (for a municipality it is "北京市", whether written or not). The
district ends with 区/县/市/旗. Spaces, where given, end a part. A part that cannot be found is left empty (the order
check reports the address as incomplete); what follows the last part found is the detail.
"""

from __future__ import annotations

import re

MUNICIPALITIES = ("北京", "上海", "天津", "重庆")
PROVINCES = tuple(
    "河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省 江西省 山东省 河南省 湖北省 湖南省 广东省 海南省 "
    "四川省 贵州省 云南省 陕西省 甘肃省 青海省 台湾省 内蒙古自治区 广西壮族自治区 西藏自治区 宁夏回族自治区 "
    "新疆维吾尔自治区 香港特别行政区 澳门特别行政区".split()
)
_SHORT = {"内蒙古自治区": "内蒙古", "黑龙江省": "黑龙江"}
# First two characters -> (short name, full name). No two province names share their first two characters.
_BY_PREFIX = {full[:2]: (_SHORT.get(full, full[:2]), full) for full in PROVINCES}
_PROVINCE_SUFFIXES = ("特别行政区", "自治区", "省")
CITY_SUFFIXES = ("市", "自治州", "地区", "盟")
DISTRICT_SUFFIXES = ("区", "县", "市", "旗")
# Every way a province is written -> how it is returned.
_PROVINCE_NAMES = {
    **{full: full for full in PROVINCES}, **{short: full for short, full in _BY_PREFIX.values()},
    **{m: m for m in MUNICIPALITIES}, **{m + "市": m for m in MUNICIPALITIES},
}
_CITY_MAX = 12  # 克孜勒苏柯尔克孜自治州 has 11 characters
_DISTRICT_MAX = 16  # 积石山保安族东乡族撒拉族自治县 has 15
# What a city or district name cannot hold (after its first character): it is the street address already.
_NOT_A_NAME = re.compile(r"[\x00-\x7f０-９Ａ-Ｚａ-ｚ路街号幢栋室弄巷镇]|小区|社区")
_NOT_A_CITY = re.compile(r"[\x00-\x7f０-９Ａ-Ｚａ-ｚ路街号幢栋室弄巷镇区县旗]|小区|社区")


def split_address(text: str) -> tuple[str, str, str, str, str]:
    """(province, city, district, detail, postcode) of an address; parts not found are ""."""
    if not text:
        return "", "", "", "", ""
    if "\u3000" in text:
        text = text.replace("\u3000", " ")
    text = text.strip()
    if " " in text:  # the Taobao form "浙江省 杭州市 西湖区 文三路407号": quick when the parts are where expected
        parts = text.split(None, 3)
        if len(parts) == 4:
            province, city, district, detail = parts
            province = _PROVINCE_NAMES.get(province)
            if (province is not None and city.endswith(CITY_SUFFIXES) and len(city) <= _CITY_MAX
                    and district.endswith(DISTRICT_SUFFIXES) and 1 < len(district) <= _DISTRICT_MAX
                    and "小区" not in district and "社区" not in district
                    and (province not in MUNICIPALITIES or city == province + "市")):
                detail, postcode = _postcode(detail)
                return province, city, district, detail, postcode
    text, postcode = _postcode(text)
    province, rest = _province(text)
    if province in MUNICIPALITIES:
        city = province + "市"
        rest = rest.lstrip()
        if rest.startswith(city):
            rest = rest[len(city):]
        elif rest.startswith(province):  # "北京 北京 朝阳区"
            rest = rest[len(province):]
        rest = rest.lstrip()
        if rest.startswith(("市辖区", "县 ")):  # old division names of the second level
            rest = rest[3 if rest[0] == "市" else 2:]
    else:
        city, rest = _part(rest, CITY_SUFFIXES, _CITY_MAX, _NOT_A_CITY)
    district, rest = _part(rest, DISTRICT_SUFFIXES, _DISTRICT_MAX, _NOT_A_NAME)
    return province, city, district, rest.strip(), postcode


def _postcode(text: str) -> tuple[str, str]:
    """The text without a six-digit postcode in (ASCII or full-width) parentheses at its end, and the postcode."""
    if text and text[-1] in ")）":
        opening = max(text.rfind("("), text.rfind("（"))
        if opening >= 0:
            code = text[opening + 1:-1].strip()
            if len(code) == 6 and code.isdigit() and code.isascii():
                return text[:opening].rstrip(), code
    return text, ""


def _province(text: str) -> tuple[str, str]:
    for municipality in MUNICIPALITIES:
        if text.startswith(municipality):
            rest = text[2:]
            return municipality, rest[1:] if rest.startswith("市") else rest
    known = _BY_PREFIX.get(text[:2])
    if known is not None:
        short, full = known
        if text.startswith(full):
            return full, text[len(full):]
        if text.startswith(short):
            rest = text[len(short):]
            for suffix in _PROVINCE_SUFFIXES:  # "广西自治区", "新疆自治区"
                if rest.startswith(suffix):
                    return full, rest[len(suffix):]
            return full, rest
    province, rest = _part(text, _PROVINCE_SUFFIXES, 12, _NOT_A_CITY)
    return province, rest


def _part(text: str, suffixes: tuple[str, ...], longest: int, not_a_name: re.Pattern) -> tuple[str, str]:
    """The leading name ending with one of `suffixes` (at least two characters, at most `longest`, before any
    space) and the rest; ("", text) when there is none."""
    text = text.lstrip()
    end = _first_end(text, suffixes, longest)
    if end < 0:
        return "", text
    name = text[:end]
    stem = name[:-next(len(s) for s in suffixes if name.endswith(s))]
    # The first character may be one of the street words (路南区, 镇平县), not an ASCII character or a digit.
    if name[0].isascii() or not stem[0].isalpha() or not_a_name.search(stem, 1) or "小区" in name or "社区" in name:
        return "", text
    return name, text[end:]


def _first_end(text: str, suffixes: tuple[str, ...], longest: int) -> int:
    """Where the earliest suffix (not at the very start, within `longest` characters and before any space) ends."""
    space = text.find(" ")
    window = min(longest, space if space >= 0 else len(text))
    best = -1
    for suffix in suffixes:
        at = text.find(suffix, 1, window)
        if at > 0:
            end = at + len(suffix)
            if best < 0 or end < best:
                best = end
    return best
