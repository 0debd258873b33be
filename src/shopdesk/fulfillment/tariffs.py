"""Carrier price rules (快递价目): a first-weight fee (首重) and a fee per started extra step (续重), per province.

A `Tariff` is a set of `PriceRule`s, at most one per province; the rule with province "" applies to every province
not listed. `Tariff.fee(province, weight)` is what the courier should charge for a parcel:

- weight up to the first weight (and zero, negative): the first fee;
- beyond it, every started extra step adds the extra fee (couriers round up: 1.01 kg with a 1 kg first weight and
  1 kg steps is the first fee + 1 step; 3.2 kg is the first fee + 3 steps);
- the result is quantized to 0.01 (half up); None when no rule, not even the "" default, applies.

Provinces are compared by `province_key`: "广东省", "广东" and "广东深圳市" are all "广东"; "上海市" is "上海";
"广西壮族自治区" is "广西"; "内蒙古自治区" is "内蒙古". Pure: no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache

from shopdesk.channels.importers.address import MUNICIPALITIES, PROVINCES

CENT = Decimal("0.01")
_ZERO = Decimal(0)
_SHORT_NAMES = {"内蒙古自治区": "内蒙古", "黑龙江省": "黑龙江"}
# The first two characters of a province-level name -> its short name (no two share their first two characters).
_BY_PREFIX = {**{full[:2]: _SHORT_NAMES.get(full, full[:2]) for full in PROVINCES}, **{m: m for m in MUNICIPALITIES}}
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")


@lru_cache(maxsize=4096)
def province_key(name: str) -> str:
    """The short name of a province as written in any form: "广东省"/"广东"/"广东省深圳市" -> "广东",
    "上海市" -> "上海", "广西壮族自治区" -> "广西", "内蒙古自治区" -> "内蒙古", "新疆维吾尔自治区" -> "新疆". A name
    that is not one of the 34 provinces is returned without spaces and without a 省/市/自治区 ending; "" stays ""."""
    text = "".join(name.split())
    short = _BY_PREFIX.get(text[:2])
    if short is not None and text.startswith(short):
        return short
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@dataclass(frozen=True)
class PriceRule:
    province: str  # "" = every province not listed
    first_weight_kg: Decimal  # 首重, e.g. 1
    first_fee: Decimal  # e.g. 8.00
    extra_unit_kg: Decimal  # 续重 step, e.g. 1
    extra_fee: Decimal  # per started step, e.g. 2.00

    def __post_init__(self):
        for name in ("first_weight_kg", "first_fee", "extra_fee"):
            value = Decimal(getattr(self, name))
            if not value.is_finite() or value < 0:
                raise ValueError(f"{name}: must be 0 or more, not {value}")
            object.__setattr__(self, name, value)
        unit = Decimal(self.extra_unit_kg)
        if not unit.is_finite() or unit <= 0:
            raise ValueError(f"extra_unit_kg: must be more than 0, not {unit}")
        object.__setattr__(self, "extra_unit_kg", unit)

    def fee(self, weight_kg: Decimal) -> Decimal:
        """The fee of a parcel of this weight under this rule, quantized to 0.01."""
        fee = self.first_fee
        over = Decimal(weight_kg) - self.first_weight_kg
        if over > 0:
            steps = (over / self.extra_unit_kg).to_integral_value(rounding=ROUND_CEILING)
            fee += steps * self.extra_fee
        return fee.quantize(CENT, rounding=ROUND_HALF_UP)


class Tariff:
    """A carrier's price rules; at most one rule per province (by `province_key`), ValueError otherwise."""

    def __init__(self, rules: Iterable[PriceRule]):
        self._rules: dict[str, PriceRule] = {}
        for rule in rules:
            key = province_key(rule.province)
            if key in self._rules:
                raise ValueError(f"province: two price rules for {rule.province or 'the default'!r}")
            self._rules[key] = rule
        self._default = self._rules.get("")
        self._by_name: dict[str, PriceRule | None] = {}  # the rule of each province name as written (few names)

    @property
    def rules(self) -> list[PriceRule]:
        return list(self._rules.values())

    def rule_for(self, province: str) -> PriceRule | None:
        """The rule of the province, else the default rule, else None."""
        try:
            return self._by_name[province]
        except KeyError:
            rule = self._rules.get(province_key(province or ""), self._default)
            if len(self._by_name) < 10_000:
                self._by_name[province] = rule
            return rule

    def fee(self, province: str, weight_kg: Decimal) -> Decimal | None:
        """What the courier should charge for a parcel of `weight_kg` to `province`; None when no rule applies."""
        rule = self.rule_for(province)
        if rule is None:
            return None
        return rule.fee(weight_kg)
