"""Tests for shopdesk.core.masking (PIPL display masking)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.core.masking import mask_address, mask_email, mask_full_address, mask_name, mask_phone

ALL_MASKERS = [mask_phone, mask_name, mask_full_address, mask_email]


class Unprintable:
    def __str__(self):
        raise RuntimeError("broken __str__")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # mainland mobiles, in the forms people type them
        ("13812341234", "138****1234"),
        ("+86 138 1234 1234", "138****1234"),
        ("86-13812341234", "138****1234"),
        ("+86-138-1234-1234", "138****1234"),
        ("0086 13812341234", "138****1234"),
        ("138-1234-1234", "138****1234"),
        ("１３８１２３４１２３４", "138****1234"),  # full-width digits
        (13812341234, "138****1234"),  # an int from a spreadsheet import
        # landlines: area code kept, last four digits kept
        ("0571-88886666", "0571-****6666"),
        ("010-12345678", "010-****5678"),
        ("(010)12345678", "010-****5678"),
        ("(010) 1234 5678", "010-****5678"),
        ("0571 8888 6666", "0571-****6666"),
        ("057188886666", "0571-****6666"),
        ("01012345678", "010-****5678"),
        ("0571-8888666", "0571-****8666"),  # 7-digit local number
        ("0571-88886666 转 123", "0571-****6666"),
        ("0571-88886666-123", "0571-****6666"),
        # short or odd values: at most the last 4 digits (and at most half) visible
        ("95588", "***88"),
        ("12345678", "****5678"),
        ("1381234", "****234"),
        ("1234", "**34"),
        ("1", "*"),
        ("138123412345", "********2345"),
        ("tel: 400-800-1234", "******1234"),
        ("abc", "***"),
        # empty
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_phone(value, expected):
    assert mask_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李小明", "李**"),
        ("Alice Smith", "A**** *****"),
        ("买买提·艾力", "买**·**"),
        ("  王五  ", "王*"),
        ("张", "*"),
        ("A", "*"),
        ("", ""),
        (None, ""),
        (12345, "1****"),
    ],
)
def test_mask_name(value, expected):
    assert mask_name(value) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("浙江省", "杭州市", "西湖区", "文三路 1 号"), "浙江省 杭州市 西湖区 ****"),
        (("北京市", "北京市", "朝阳区", "建国路 88 号"), "北京市 朝阳区 ****"),
        (("广东省", "深圳市", "", "科技园"), "广东省 深圳市 ****"),
        ((" 浙江省 ", None, None, "x"), "浙江省 ****"),
        (("浙江省", "杭州市", "西湖区", ""), "浙江省 杭州市 西湖区"),
        (("", "", "", "文三路 1 号"), "****"),
        ((None, None, None, None), ""),
    ],
)
def test_mask_address(parts, expected):
    assert mask_address(*parts) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("浙江省杭州市西湖区文三路1号华星时代广场A座1201室", "浙江省杭州市西湖区****"),
        ("浙江省 杭州市 西湖区 文三路 1 号", "浙江省 杭州市 西湖区 ****"),
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("上海市浦东新区张江镇科苑路88号", "上海市浦东新区****"),
        ("重庆渝中区解放碑步行街", "重庆渝中区****"),
        ("广西壮族自治区南宁市青秀区民族大道100号", "广西壮族自治区南宁市青秀区****"),
        ("内蒙古自治区呼伦贝尔市鄂温克族自治旗巴彦托海镇", "内蒙古自治区呼伦贝尔市鄂温克族自治旗****"),
        ("新疆维吾尔自治区伊犁哈萨克自治州伊宁市解放路1号", "新疆维吾尔自治区伊犁哈萨克自治州伊宁市****"),
        ("西藏自治区阿里地区噶尔县狮泉河镇", "西藏自治区阿里地区噶尔县****"),
        ("湖北省恩施州利川市都亭街道", "湖北省恩施州利川市****"),
        ("浙江省金华市义乌市稠城街道", "浙江省金华市义乌市****"),  # county-level city
        ("吉林省吉林市船营区", "吉林省吉林市船营区****"),
        ("吉林市船营区北京路1号", "吉林市船营区****"),
        ("济南市市中区经四路", "济南市市中区****"),
        ("江苏省镇江市京口区中山路", "江苏省镇江市京口区****"),
        ("黑龙江省哈尔滨市道里区中央大街", "黑龙江省哈尔滨市道里区****"),
        ("浙江杭州西湖区文三路", "浙江杭州西湖区****"),  # province and city without suffix
        ("杭州市西湖区文三路", "杭州市西湖区****"),
        ("西湖区文三路", "西湖区****"),
        ("浙江省杭州市文三路1号", "浙江省杭州市****"),  # no county level
        ("广东省深圳市深南大道科技园南区", "广东省深圳市****"),  # an avenue is not a district
        ("浙江省杭州市西湖区转塘镇东村8组", "浙江省杭州市西湖区****"),
        ("文三路123号", "****"),
        ("北京路123号", "****"),  # a street named after a city
        ("湖南路8号", "****"),  # a street named after a province
        ("湖南长沙市岳麓区", "湖南长沙市岳麓区****"),
        ("浙江省杭州市西湖区", "浙江省杭州市西湖区****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_full_address(value, expected):
    assert mask_full_address(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("zhang@example.com", "z****@example.com"),
        ("Zhang.San+shop@mail.example.cn", "Z****@mail.example.cn"),
        ("a@x.cn", "****@x.cn"),
        ("@example.com", "****@example.com"),
        ("a@b@example.com", "a****@example.com"),
        ("zhang＠example.com", "z****@example.com"),  # full-width at sign
        ("not-an-email", "n****"),
        ("x", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_email(value, expected):
    assert mask_email(value) == expected


# -- properties: total, pure, and never showing the sensitive part --------------------------


@pytest.mark.parametrize("masker", ALL_MASKERS)
def test_broken_str_does_not_raise(masker):
    assert masker(Unprintable()) == ""


@pytest.mark.parametrize("masker", ALL_MASKERS)
@given(value=st.one_of(st.none(), st.text(), st.integers(), st.binary()))
def test_maskers_never_raise_and_return_strings(masker, value):
    result = masker(value)
    assert isinstance(result, str)
    assert masker(value) == result  # pure: same input, same output


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_mobile_middle_digits_never_shown(number):
    masked = mask_phone(number)
    assert masked == number[:3] + "****" + number[-4:]
    assert number not in masked


@given(st.text(alphabet=st.characters(categories=["Lo", "Lu", "Ll"]), min_size=1, max_size=12))
def test_mask_name_shows_at_most_the_first_letter(name):
    masked = mask_name(name)
    assert masked != name
    assert "*" in masked
    assert set(masked[1:]) <= set("*· ")  # NFKC may split "Ŀ" into "L·" or "ﱞ" into " ٌّ"; separators stay


@given(st.from_regex(r"[a-z0-9._]{2,20}@[a-z]{1,10}\.(com|cn)", fullmatch=True))
def test_masked_email_hides_the_local_part(email):
    local, domain = email.split("@")
    masked = mask_email(email)
    assert masked == f"{local[0]}****@{domain}"


@given(st.text(alphabet="路街号巷弄123456789ABC大厦", min_size=1, max_size=30))
def test_street_detail_without_admin_unit_is_fully_hidden(detail):
    assert mask_full_address(detail) == "****"
