"""Fake-order (刷单) detection, product.md §4. ShopDesk has no feature for brushing; it flags orders that look like it.

Rules (thresholds per shop in ShopOrderRules):
- shared_phone / shared_address: one phone or one address used by many buyer accounts within the window;
- tiny_repeat: one buyer placing many orders at or below a tiny amount within the window;
- instant_pay: paid within seconds of being placed (scripted checkout);
- penny_price: a line sold at 0.01 that is not a gift.

`assess` is pure: it takes light rows (the new orders and the recent history that can share a phone, address or
buyer with them) and answers the reasons per row key. Flags hold the order in manual review; a person decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

PENNY = Decimal("0.01")

LABELS = {
    "shared_phone": _("%(count)d buyer accounts used this phone within %(hours)d hours"),
    "shared_address": _("%(count)d buyer accounts used this address within %(hours)d hours"),
    "tiny_repeat": _("%(count)d orders of %(amount)s yuan or less by this buyer within %(hours)d hours"),
    "instant_pay": _("Paid %(seconds)d seconds after it was placed"),
    "penny_price": _("Sold at 0.01 yuan but not a gift: %(item)s"),
}


@dataclass(frozen=True)
class Thresholds:
    window_hours: int = 72
    accounts_per_contact: int = 3
    tiny_amount: Decimal = Decimal("1.00")
    tiny_repeat: int = 3
    instant_seconds: int = 10

    @classmethod
    def of(cls, rules) -> Thresholds:
        return cls(rules.risk_window_hours, rules.risk_accounts_per_contact, rules.risk_tiny_amount,
                   rules.risk_tiny_repeat, rules.risk_instant_seconds)


@dataclass(frozen=True)
class RiskRow:
    key: object
    buyer: str
    mobile: str
    address: str
    ordered_at: float  # POSIX seconds (cheap to compare, and to hand from the import's preparer to its writer)
    paid_at: float | None
    amount: Decimal
    penny_item: str = ""  # the title of a non-gift line sold at 0.01, if any


def address_key(province: str, city: str, district: str, detail: str) -> str:
    """The address as one comparable string (spaces and case ignored)."""
    return "".join(f"{province}{city}{district}{detail}".split()).lower()


def is_penny_non_gift(unit_price: Decimal, title: str, is_gift: bool) -> bool:
    return unit_price <= PENNY and not is_gift and "赠品" not in (title or "")


def assess(candidates: list[RiskRow], history: Iterable[RiskRow], t: Thresholds) -> dict[object, list[dict]]:
    """{row key: [reason, ...]} for every row (candidate or history) a rule flags. A reason is a dict with `code`
    and the numbers its label needs, so it renders in the reader's language."""
    window = t.window_hours * 3600
    rows = [*history, *candidates]
    flags: dict[object, list[dict]] = defaultdict(list)
    candidate_keys = {r.key for r in candidates}

    def cluster(code: str, attr: str, minimum: int, extra: dict, predicate=None, distinct_buyers=True):
        groups: dict[str, list[RiskRow]] = defaultdict(list)
        for r in rows:
            value = getattr(r, attr)
            if value and (predicate is None or predicate(r)):
                groups[value].append(r)
        for group in groups.values():
            if len(group) < minimum or not any(r.key in candidate_keys for r in group):
                continue
            group.sort(key=lambda r: r.ordered_at)
            for r in group:
                near = [o for o in group if abs(o.ordered_at - r.ordered_at) <= window]
                count = len({o.buyer for o in near}) if distinct_buyers else len(near)
                if count >= minimum and not any(f["code"] == code for f in flags[r.key]):
                    flags[r.key].append({"code": code, "count": count, **extra})

    hours = {"hours": t.window_hours}
    cluster("shared_phone", "mobile", t.accounts_per_contact, hours)
    cluster("shared_address", "address", t.accounts_per_contact, hours)
    cluster("tiny_repeat", "buyer", t.tiny_repeat, {**hours, "amount": str(t.tiny_amount)},
            predicate=lambda r: r.amount <= t.tiny_amount, distinct_buyers=False)
    for r in candidates:
        if r.paid_at is not None and 0 <= r.paid_at - r.ordered_at <= t.instant_seconds:
            flags[r.key].append({"code": "instant_pay", "seconds": int(r.paid_at - r.ordered_at)})
        if r.penny_item:
            flags[r.key].append({"code": "penny_price", "item": r.penny_item[:60]})
    return {k: v for k, v in flags.items() if v}


def describe(reason: dict) -> str:
    label = LABELS.get(reason.get("code"))
    if label is None:
        return str(reason.get("code", ""))
    try:
        return str(label) % reason
    except (KeyError, TypeError, ValueError):
        return str(reason.get("code"))
