"""Tests for shopdesk.core.money: exact, currency-safe amounts."""

from decimal import ROUND_HALF_UP, Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopdesk.core.money import MINOR_UNITS, CurrencyMismatch, Money, parse_money, to_decimal

# Amounts in 分 as Decimals with 2 places, within a realistic but large range.
cents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda n: Decimal(n).scaleb(-2))
cny = cents.map(Money)
any_decimal = st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6)
ratios = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(lambda r: sum(r) > 0)


# -- construction and quantization ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.5", "CNY", Decimal("12.50")),
        (12, "CNY", Decimal("12.00")),
        (Decimal("1.005"), "CNY", Decimal("1.01")),  # ROUND_HALF_UP, not banker's rounding
        (Decimal("1.004"), "CNY", Decimal("1.00")),
        (Decimal("2.675"), "USD", Decimal("2.68")),
        (Decimal("-1.005"), "CNY", Decimal("-1.01")),  # halves round away from zero
        ("1234.5", "JPY", Decimal("1235")),
        ("0.5", "JPY", Decimal("1")),
        (" 7 ", "EUR", Decimal("7.00")),
        (Decimal("1E+3"), "HKD", Decimal("1000.00")),
    ],
)
def test_amount_is_quantized_to_minor_unit(value, currency, expected):
    money = Money(value, currency)
    assert money.amount == expected
    assert money.amount.as_tuple().exponent == -MINOR_UNITS[currency]


def test_default_currency_is_cny_and_code_is_normalised():
    assert Money(1).currency == "CNY"
    assert Money(1, " usd ").currency == "USD"


def test_negative_zero_is_normalised():
    money = Money(Decimal("-0.001"))
    assert money.amount == 0
    assert not money.amount.is_signed()
    assert str(money) == "¥0.00"


@pytest.mark.parametrize("value", [1.5, 0.1, float("nan")])
def test_float_is_refused_with_explanation(value):
    with pytest.raises(TypeError, match="binary floating point"):
        Money(value)


def test_bool_and_other_types_are_refused():
    with pytest.raises(TypeError):
        Money(True)
    with pytest.raises(TypeError):
        Money([1])


@pytest.mark.parametrize("text", ["¥12", "1,234.50", "12元", "abc", "", "1e3", "NaN"])
def test_constructor_refuses_human_text(text):
    with pytest.raises(ValueError):
        Money(text)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_decimals_are_refused(value):
    with pytest.raises(ValueError, match="finite"):
        Money(value)


@pytest.mark.parametrize("currency", ["RMB", "GBP", "", "cny2"])
def test_unknown_currency_is_refused(currency):
    with pytest.raises(ValueError, match="unsupported currency"):
        Money(1, currency)


def test_money_is_immutable_and_hashable():
    money = Money("1.5")
    with pytest.raises(AttributeError):
        money.amount = Decimal(2)
    assert {Money("1.50"), Money("1.5")} == {Money("1.5")}


@given(any_decimal)
def test_quantization_matches_decimal_round_half_up(value):
    expected = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=Context(prec=50))
    assert Money(value).amount == expected


# -- arithmetic -----------------------------------------------------------------------------


def test_addition_and_subtraction():
    assert Money("0.10") + Money("0.20") == Money("0.30")
    assert Money("5") - Money("7.5") == Money("-2.50")


def test_different_currencies_cannot_be_combined():
    with pytest.raises(CurrencyMismatch, match="CNY and USD"):
        Money(1) + Money(1, "USD")
    with pytest.raises(CurrencyMismatch):
        Money(1) - Money(1, "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money(1) < Money(2, "USD")
    assert issubclass(CurrencyMismatch, ValueError)


def test_money_plus_number_is_a_type_error():
    with pytest.raises(TypeError):
        Money(1) + 1
    with pytest.raises(TypeError):
        Money(1) + Decimal(1)


def test_sum_with_builtin_start_and_explicit_zero():
    items = [Money("1.10"), Money("2.20"), Money("3.30")]
    assert sum(items) == Money("6.60")
    assert sum([], Money.zero()) == Money(0)
    assert sum([Money(1, "JPY")], Money.zero("JPY")) == Money(1, "JPY")
    with pytest.raises(TypeError):
        sum(items, 5)


@pytest.mark.parametrize(
    ("money", "factor", "expected"),
    [
        (Money("19.99"), 3, Money("59.97")),
        (Money("10.00"), Decimal("0.333"), Money("3.33")),
        (Money("10.00"), Decimal("0.0005"), Money("0.01")),  # 0.005 -> 0.01, re-quantized half up
        (Money("1"), -2, Money("-2")),
    ],
)
def test_multiplication(money, factor, expected):
    assert money * factor == expected
    assert factor * money == expected


def test_division_rounds_half_up():
    assert Money("10") / 3 == Money("3.33")
    assert Money("20") / 3 == Money("6.67")
    assert Money("0.05") / 2 == Money("0.03")
    assert Money("1") / Decimal("0.5") == Money("2")


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError):
        Money(1) / 0
    with pytest.raises(ZeroDivisionError):
        Money(1) / Decimal("0.00")


@pytest.mark.parametrize("operation", [lambda m: m * 1.5, lambda m: 1.5 * m, lambda m: m / 2.0])
def test_float_factors_are_refused(operation):
    with pytest.raises(TypeError, match="float"):
        operation(Money(1))


def test_money_times_money_is_a_type_error():
    with pytest.raises(TypeError):
        Money(1) * Money(2)


def test_negation_abs_and_truthiness():
    assert -Money("3.5") == Money("-3.50")
    assert +Money("3.5") == Money("3.50")
    assert abs(Money("-3.5")) == Money("3.50")
    assert not Money.zero()
    assert Money("0.01")


def test_comparisons():
    assert Money("1.00") < Money("1.01")
    assert Money("1.01") > Money("1.00")
    assert Money("1") <= Money("1.00") <= Money("1")
    assert Money("2") >= Money("2")
    assert Money(1) != Money(1, "USD")  # equality across currencies is simply False
    assert max([Money(3), Money(7), Money(5)]) == Money(7)
    with pytest.raises(TypeError):
        _ = Money(1) < 2


@given(cny, cny)
def test_add_then_subtract_is_identity(a, b):
    assert a + b - b == a


@given(cny, cny)
def test_addition_commutes(a, b):
    assert a + b == b + a


# -- allocation ----------------------------------------------------------------------------


def test_allocate_splits_a_discount_exactly():
    parts = Money("10.00").allocate([1, 1, 1])
    assert parts == [Money("3.34"), Money("3.33"), Money("3.33")]


def test_allocate_by_line_subtotals():
    # A ¥5 discount over lines of ¥30, ¥20, ¥50 (ratios in 分).
    assert Money("5").allocate([3000, 2000, 5000]) == [Money("1.50"), Money("1.00"), Money("2.50")]


def test_allocate_largest_remainder_gets_the_extra_cent():
    # shares: 0.3333.., 0.6666.. -> floors 0, 0; the larger remainder gets the cent
    assert Money("0.01").allocate([1, 2]) == [Money(0), Money("0.01")]


def test_allocate_zero_ratio_gets_zero_and_negative_amounts_keep_sign():
    assert Money("-10").allocate([1, 0, 2]) == [Money("-3.33"), Money(0), Money("-6.67")]


def test_allocate_jpy_in_whole_yen():
    assert Money(100, "JPY").allocate([1, 1, 1]) == [Money(34, "JPY"), Money(33, "JPY"), Money(33, "JPY")]


@pytest.mark.parametrize("bad", [[], [0, 0], [1, -1]])
def test_allocate_rejects_bad_ratios(bad):
    with pytest.raises(ValueError):
        Money(10).allocate(bad)


def test_allocate_rejects_float_ratios():
    with pytest.raises(TypeError):
        Money(10).allocate([0.5, 0.5])


@given(cny, ratios)
def test_allocate_parts_sum_exactly_to_the_total(total, weights):
    parts = total.allocate(weights)
    assert len(parts) == len(weights)
    assert sum(parts, Money.zero()) == total


@given(cny, ratios)
def test_allocate_parts_are_within_one_cent_of_exact_share(total, weights):
    parts = total.allocate(weights)
    whole = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total.amount * weight / Decimal(whole)
        assert abs(part.amount - exact) < Decimal("0.01")
        if weight == 0:
            assert part == Money.zero()


@given(
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.lists(st.decimals(min_value=0, max_value=100, places=3), min_size=1, max_size=6).filter(lambda r: sum(r) > 0),
)
def test_allocate_accepts_decimal_ratios(amount, weights):
    assert sum(Money(amount).allocate(weights), Money.zero()) == Money(amount)


# -- formatting and parsing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money("1234.5"), "¥1,234.50"),
        (Money("0"), "¥0.00"),
        (Money("-3"), "-¥3.00"),
        (Money("1234567.891"), "¥1,234,567.89"),
        (Money("1234.5", "USD"), "$1,234.50"),
        (Money("1234.5", "EUR"), "EUR 1,234.50"),
        (Money("1234.5", "HKD"), "HKD 1,234.50"),
        (Money("-1234", "JPY"), "-JPY 1,234"),
    ],
)
def test_format_and_str(money, text):
    assert money.format() == text
    assert str(money) == text
    assert f"{money}" == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234.5", Money("1234.50")),
        ("1,234.50", Money("1234.50")),
        ("¥12", Money(12)),
        ("￥12", Money(12)),
        ("12元", Money(12)),
        (" ¥ 1,234,567.8 ", Money("1234567.80")),
        ("RMB 12", Money(12)),
        ("-¥3", Money(-3)),
        ("¥-3", Money(-3)),
        ("+5", Money(5)),
        (".5", Money("0.50")),
        ("1.005", Money("1.01")),
    ],
)
def test_parse_money_accepts_human_text(text, expected):
    assert parse_money(text) == expected


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("$1,000", "USD", Money(1000, "USD")),
        ("HK$12.5", "HKD", Money("12.5", "HKD")),
        ("€3", "EUR", Money(3, "EUR")),
        ("¥1,234", "JPY", Money(1234, "JPY")),
        ("1000円", "JPY", Money(1000, "JPY")),
    ],
)
def test_parse_money_other_currencies(text, currency, expected):
    assert parse_money(text, currency) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "abc", "1,23", "12,3456", "¥", "元", "12元元", "1e3", "$12", "1.2.3", "--1"]
)
def test_parse_money_error_names_the_bad_text(text):
    with pytest.raises(ValueError) as excinfo:
        parse_money(text)
    assert repr(text) in str(excinfo.value)


def test_parse_money_refuses_non_strings():
    with pytest.raises(TypeError, match="float"):
        parse_money(12.5)
    with pytest.raises(TypeError):
        parse_money(None)


@given(cny)
def test_format_parse_round_trip(money):
    assert parse_money(money.format()) == money


# -- to_decimal -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12.5", Decimal("12.5")), (" -3 ", Decimal("-3")), (7, Decimal(7)), (Decimal("1.234"), Decimal("1.234"))],
)
def test_to_decimal_converts_without_rounding(value, expected):
    result = to_decimal(value)
    assert isinstance(result, Decimal)
    assert result == expected
    assert result.as_tuple() == expected.as_tuple()


@pytest.mark.parametrize("value", [1.0, True, None, [1]])
def test_to_decimal_refuses_non_numbers(value):
    with pytest.raises(TypeError):
        to_decimal(value)


@pytest.mark.parametrize("value", ["1,234", "¥1", "abc", "", "1e3", Decimal("NaN")])
def test_to_decimal_refuses_bad_values(value):
    with pytest.raises(ValueError):
        to_decimal(value)
