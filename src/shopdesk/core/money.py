"""Exact money arithmetic (金额) for ShopDesk.

Every amount the back office stores or shows goes through :class:`Money`:

* amounts are :class:`~decimal.Decimal`, never ``float`` (binary floating point cannot
  represent 0.1 exactly, so ``0.1 + 0.2 != 0.3``; a float that sneaks in silently corrupts
  totals, so floats are refused with ``TypeError`` everywhere in this module);
* every amount is quantized to the currency's minor unit (分 for CNY: 2 places; 0 places
  for JPY) with ``ROUND_HALF_UP`` (四舍五入, halves round away from zero);
* rounding is done exactly (through :class:`fractions.Fraction`), independent of the
  thread's :mod:`decimal` context, so results never depend on global state;
* only amounts of the same currency may be added, subtracted or compared; mixing
  currencies raises :class:`CurrencyMismatch`.

Typical use::

    >>> total = Money("99.90") + Money(10)
    >>> str(total)
    '¥109.90'
    >>> [str(p) for p in Money("10.00").allocate([1, 1, 1])]  # split a discount over 3 lines
    ['¥3.34', '¥3.33', '¥3.33']
    >>> parse_money("￥1,234.5")
    Money(amount=Decimal('1234.50'), currency='CNY')

Text typed by people ("¥1,234.50", "12元") is handled by :func:`parse_money`, not by the
``Money`` constructor, which only accepts plain machine numbers (``"1234.50"``).
:func:`to_decimal` is the float-refusing conversion helper for model code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

__all__ = [
    "MINOR_UNITS",
    "CurrencyMismatch",
    "Money",
    "parse_money",
    "to_decimal",
]

#: Supported ISO 4217 currency codes and the number of decimal places of their minor unit.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2,  # 人民币, minor unit 分
    "USD": 2,
    "EUR": 2,
    "HKD": 2,
    "JPY": 0,  # the yen has no minor unit in practice
}

#: Display prefixes used by :meth:`Money.format`; other currencies are shown as "EUR 1.00".
_SYMBOLS: dict[str, str] = {"CNY": "¥", "USD": "$"}

#: Prefixes (before the number) and suffixes (after it) that :func:`parse_money` accepts per currency.
_PARSE_PREFIXES: dict[str, tuple[str, ...]] = {
    "CNY": ("¥", "￥", "RMB", "CNY"),
    "JPY": ("¥", "￥", "JPY"),
    "USD": ("US$", "$", "USD"),
    "HKD": ("HK$", "HKD"),
    "EUR": ("€", "EUR"),
}
_PARSE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "CNY": ("元", "CNY", "RMB"),
    "JPY": ("円", "JPY"),
    "USD": ("USD",),
    "HKD": ("HKD",),
    "EUR": ("EUR",),
}

# A plain machine number: optional sign, digits, optional fraction. No grouping, no exponent.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# A number as people write it: plain, or grouped by thousands with commas ("1,234,567.5").
_HUMAN_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")

_FLOAT_REFUSED = (
    "float amounts are refused: binary floating point cannot represent most decimal "
    "fractions exactly (0.1 + 0.2 != 0.3), which would silently corrupt money; "
    "pass a Decimal, an int or a numeric string such as '12.50' instead (got {value!r})"
)


class CurrencyMismatch(ValueError):  # noqa: N818 - the name is part of the public API
    """Raised when two amounts of different currencies are combined or compared."""

    def __init__(self, left: str, right: str, operation: str) -> None:
        super().__init__(f"cannot {operation} amounts in different currencies: {left} and {right}")
        self.left = left
        self.right = right


def _check_currency(currency: object) -> str:
    if not isinstance(currency, str):
        raise TypeError(f"currency must be an ISO 4217 code string such as 'CNY', got {currency!r}")
    code = currency.strip().upper()
    if code not in MINOR_UNITS:
        supported = ", ".join(sorted(MINOR_UNITS))
        raise ValueError(f"unsupported currency {currency!r}; supported: {supported} (人民币 is 'CNY')")
    return code


def _refuse_non_number(value: object, what: str) -> None:
    """Raise TypeError for floats, bools and other non-numeric types."""
    if isinstance(value, float):
        raise TypeError(_FLOAT_REFUSED.format(value=value))
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a Decimal, int or numeric string, not a bool ({value!r})")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert ``value`` to a :class:`~decimal.Decimal` without any rounding.

    Accepts ``Decimal``, ``int`` and plain numeric strings (``"12.5"``, ``" -3 "``);
    surrounding whitespace is ignored. Meant for model and form code that must store exact
    numbers.

    :raises TypeError: for ``float`` (see the module docstring for why), ``bool`` or any other type.
    :raises ValueError: for strings that are not plain numbers (``"1,234"``, ``"1e3"``, ``"abc"``)
        and for NaN or infinite Decimals.
    """
    _refuse_non_number(value, "value")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _PLAIN_NUMBER.fullmatch(text):
            raise ValueError(
                f"not a plain decimal number: {value!r} (expected e.g. '1234.50'; "
                "use parse_money() for text such as '¥1,234.50')"
            )
        result = Decimal(text)
    else:
        raise TypeError(f"cannot convert {type(value).__name__} {value!r} to Decimal; use Decimal, int or str")
    if not result.is_finite():
        raise ValueError(f"amount must be a finite number, got {value!r}")
    return result


def _round_half_up(value: Fraction, places: int) -> Decimal:
    """Round an exact rational to ``places`` decimals, halves away from zero (ROUND_HALF_UP)."""
    scaled = value * 10**places
    negative = scaled < 0
    magnitude = abs(scaled)
    units = math.floor(magnitude)
    if (magnitude - units) * 2 >= 1:
        units += 1
    sign = 1 if negative and units else 0  # never produce negative zero
    return Decimal((sign, tuple(int(c) for c in str(units)), -places))


def _exact(value: Decimal | int) -> Fraction:
    return Fraction(value)


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency, always quantized to that currency's minor unit.

    ``Money(amount, currency="CNY")`` accepts a ``Decimal``, an ``int`` or a plain numeric
    string (``"12.5"``); the amount is rounded ROUND_HALF_UP to the minor unit, so
    ``Money("0.005") == Money("0.01")``. Floats raise ``TypeError``; strings with currency
    symbols or thousands separators raise ``ValueError`` (use :func:`parse_money`).

    Instances are immutable and hashable. Arithmetic:

    * ``a + b``, ``a - b`` for the same currency (else :class:`CurrencyMismatch`);
      ``sum(moneys)`` works because ``0 + money`` is allowed, but an empty ``sum`` is the int
      0, so prefer ``sum(moneys, Money.zero())``;
    * ``a * n``, ``n * a``, ``a / n`` with ``n`` an ``int`` or ``Decimal`` (result re-quantized);
    * ``-a``, ``+a``, ``abs(a)``; ``bool(a)`` is ``False`` only for zero;
    * ``<``, ``<=``, ``>``, ``>=`` between the same currency (else :class:`CurrencyMismatch`);
      ``==`` is ``False`` across currencies.
    """

    amount: Decimal
    currency: str = "CNY"

    def __post_init__(self) -> None:
        currency = _check_currency(self.currency)
        amount = _round_half_up(_exact(to_decimal(self.amount)), MINOR_UNITS[currency])
        object.__setattr__(self, "currency", currency)
        object.__setattr__(self, "amount", amount)

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str = "CNY") -> Money:
        """Return a zero amount in ``currency`` (the neutral start value for sums)."""
        return cls(0, currency)

    # -- helpers ------------------------------------------------------------------------

    @property
    def places(self) -> int:
        """Number of decimal places of this currency's minor unit (2 for CNY, 0 for JPY)."""
        return MINOR_UNITS[self.currency]

    def _same_currency(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency, operation)

    def _with(self, value: Fraction) -> Money:
        return Money(_round_half_up(value, self.places), self.currency)

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "add")
        return self._with(_exact(self.amount) + _exact(other.amount))

    def __radd__(self, other: object) -> Money:
        # Supports sum(): Python starts from the int 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same_currency(other, "subtract")
        return self._with(_exact(self.amount) - _exact(other.amount))

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, float):
            raise TypeError(_FLOAT_REFUSED.format(value=factor))
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            return NotImplemented
        return self._with(_exact(self.amount) * _exact(to_decimal(factor)))

    __rmul__ = __mul__

    def __truediv__(self, divisor: object) -> Money:
        if isinstance(divisor, float):
            raise TypeError(_FLOAT_REFUSED.format(value=divisor))
        if isinstance(divisor, bool) or not isinstance(divisor, int | Decimal):
            return NotImplemented
        exact_divisor = _exact(to_decimal(divisor))
        if exact_divisor == 0:
            raise ZeroDivisionError(f"cannot divide {self} by zero")
        return self._with(_exact(self.amount) / exact_divisor)

    def __neg__(self) -> Money:
        return self._with(-_exact(self.amount))

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return self._with(abs(_exact(self.amount)))

    def __bool__(self) -> bool:
        return not self.amount.is_zero()

    # -- comparison ---------------------------------------------------------------------

    def _compare(self, other: object) -> Fraction | None:
        if not isinstance(other, Money):
            return None
        self._same_currency(other, "compare")
        return _exact(self.amount) - _exact(other.amount)

    def __lt__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff < 0

    def __le__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff <= 0

    def __gt__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff > 0

    def __ge__(self, other: object) -> bool:
        diff = self._compare(other)
        return NotImplemented if diff is None else diff >= 0

    # -- allocation ---------------------------------------------------------------------

    def allocate(self, ratios: Iterable[int | Decimal]) -> list[Money]:
        """Split this amount into parts proportional to ``ratios`` that sum exactly to it.

        Uses the largest-remainder method on minor units (分): every part first gets the
        floor of its exact share, then the remaining units go one each to the parts with the
        largest fractional remainders (ties: the earlier part). This is how an order-level
        discount is spread over order lines (e.g. ratios = line subtotals in 分) without
        losing or inventing a cent. Parts with ratio 0 get zero; negative amounts are split
        the same way with the sign applied to every part.

        ``Money("10").allocate([1, 1, 1])`` -> ``[3.34, 3.33, 3.33]``.

        :param ratios: non-negative ``int`` or ``Decimal`` weights, at least one, not all zero.
        :raises ValueError: for an empty list, a negative weight or all-zero weights.
        :raises TypeError: for float or other non-numeric weights.
        """
        weights = [_exact(to_decimal(r)) for r in ratios]
        if not weights:
            raise ValueError("allocate() needs at least one ratio")
        if any(w < 0 for w in weights):
            raise ValueError(f"allocate() ratios must not be negative: {list(ratios)!r}")
        total_weight = sum(weights, Fraction(0))
        if total_weight == 0:
            raise ValueError("allocate() ratios must not all be zero")

        scale = 10**self.places
        total_units = int(abs(_exact(self.amount)) * scale)  # exact: amount is quantized
        shares = [total_units * w / total_weight for w in weights]
        units = [math.floor(s) for s in shares]
        leftover = total_units - sum(units)
        # Indices ordered by descending remainder, earlier index first on ties.
        order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - units[i]), i))
        for i in order[:leftover]:
            units[i] += 1
        sign = -1 if self.amount < 0 else 1
        return [self._with(Fraction(sign * u, scale)) for u in units]

    # -- presentation -------------------------------------------------------------------

    def format(self) -> str:
        """Human display: ``"¥1,234.50"`` (CNY), ``"$1,234.50"`` (USD), else ``"EUR 1,234.50"``.

        Negative amounts put the sign first: ``"-¥3.00"``, ``"-EUR 3.00"``.
        """
        number = f"{abs(self.amount):,.{self.places}f}"
        sign = "-" if self.amount < 0 else ""
        symbol = _SYMBOLS.get(self.currency)
        if symbol is not None:
            return f"{sign}{symbol}{number}"
        return f"{sign}{self.currency} {number}"

    def __str__(self) -> str:
        return self.format()


def parse_money(text: str, currency: str = "CNY") -> Money:
    """Parse an amount as people type it into a :class:`Money` in ``currency``.

    Accepted (for CNY): ``"1234.5"``, ``"1,234.50"``, ``"¥12"``, ``"￥12"`` (full-width yen),
    ``"12元"``, ``"RMB 12"``, ``"-¥3"``, ``"¥-3"``, with any surrounding whitespace. Other
    currencies accept their own markers (``"$12"`` for USD, ``"HK$12"``, ``"€12"``,
    ``"12円"``, or the ISO code before/after the number). Thousands separators must be
    well formed (``"1,23"`` is refused). Extra decimals are rounded ROUND_HALF_UP like the
    ``Money`` constructor (``"1.005"`` -> ``¥1.01``).

    :raises ValueError: naming the offending text, when it is not a recognisable amount or
        ``currency`` is unsupported.
    :raises TypeError: when ``text`` is not a string (e.g. a float).
    """
    code = _check_currency(currency)
    if not isinstance(text, str):
        if isinstance(text, float):
            raise TypeError(_FLOAT_REFUSED.format(value=text))
        raise TypeError(f"parse_money() expects a string, got {type(text).__name__} {text!r}")

    rest = text.strip()
    sign = ""
    if rest and rest[0] in "+-":
        sign, rest = rest[0], rest[1:].lstrip()
    for prefix in _PARSE_PREFIXES[code]:
        if rest.upper().startswith(prefix):
            rest = rest[len(prefix) :].lstrip()
            break
    for suffix in _PARSE_SUFFIXES[code]:
        if rest.upper().endswith(suffix):
            rest = rest[: -len(suffix)].rstrip()
            break
    if not sign and rest and rest[0] in "+-":
        sign, rest = rest[0], rest[1:].lstrip()

    if not _HUMAN_NUMBER.fullmatch(rest):
        raise ValueError(
            f"cannot parse {text!r} as a {code} amount: expected a number such as '1234.5', '1,234.50', '¥12' or '12元'"
        )
    return Money(sign + rest.replace(",", ""), code)
