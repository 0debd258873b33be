"""Automatic review (自动审核, like 旺店通): pure rules over an order's facts, no database access.

An order passes when the address is complete, a phone is a valid mainland mobile or landline, its carrier reaches
the district, nobody needs to read a buyer message or seller remark, and it has no risk flag, unmapped line or stock
shortage; each shop may also send orders above an amount, or cash-on-delivery orders, to a person (product.md §2.3,
000:663). `review_reasons` lists every rule that holds the order, in a fixed order, so the manual review queue can
say why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,6})?$")
# Prefecture-level cities without districts: their addresses go straight to towns (镇/街道).
CITIES_WITHOUT_DISTRICTS = frozenset({"东莞市", "中山市", "嘉峪关市", "儋州市"})
UNIVERSAL_CARRIER = "E邮宝"  # reaches every address in the country, 1-2 days slower than EMS (003)

REASONS: dict[str, object] = {
    "address_incomplete": _("Address incomplete: province, city, district and street are needed"),
    "phone_invalid": _("No valid mainland mobile or landline number"),
    "unreachable": _("The buyer's carrier does not reach this district"),
    "buyer_message": _("The buyer left a message: read it"),
    "seller_remark": _("There is a seller remark: read it"),
    "risk": _("Risk flag (possible fake order)"),
    "unmapped": _("Items not matched to our SKUs (商品未匹配)"),
    "out_of_stock": _("Out of stock (缺货)"),
    "amount": _("Amount above the shop's automatic review limit"),
    "cod": _("Cash on delivery: confirm with the buyer"),
    "on_hold": _("A change waits for approval"),
}

# What to do about each exception (the exceptions queue shows it beside the order).
ACTIONS: dict[str, object] = {
    "address_incomplete": _("Contact the buyer for the full address, then edit the address."),
    "phone_invalid": _("Contact the buyer through the platform chat for a phone number."),
    "unreachable": _("Ask the buyer to accept another carrier, then change the carrier."),
    "risk": _("Check the buyer's history; cancel if it is a fake order, otherwise verify by hand."),
    "unmapped": _("Map the platform code to our SKU in the shop's listings, then re-check the order."),
    "out_of_stock": _("Restock or transfer the goods, then re-check; tell the buyer if it cannot ship."),
}


def phone_ok(mobile: str, landline: str) -> bool:
    mobile = (mobile or "").replace(" ", "").replace("-", "").removeprefix("+86").removeprefix("86")
    if mobile and MOBILE_RE.match(mobile):
        return True
    landline = (landline or "").replace(" ", "")
    return bool(landline and (LANDLINE_RE.match(landline) or MOBILE_RE.match(landline)))


def address_complete(province: str, city: str, district: str, detail: str) -> bool:
    if not (province and city and detail and len(detail.strip()) >= 2):
        return False
    return bool(district) or city in CITIES_WITHOUT_DISTRICTS


@dataclass(frozen=True)
class Coverage:
    """Where carriers do not deliver: {carrier: [(province, city, district)]}, empty parts meaning "all of it"."""

    blind_spots: dict[str, list[tuple[str, str, str]]]

    def reaches(self, carrier: str, province: str, city: str, district: str) -> bool:
        if carrier == UNIVERSAL_CARRIER:
            return True
        for p, c, d in self.blind_spots.get(carrier, ()):
            if p == province and (not c or c == city) and (not d or d == district):
                return False
        return True


def choose_carrier(*, chosen: str, default: str, province: str, city: str, district: str,
                   coverage: Coverage) -> tuple[str, bool]:
    """(carrier, reaches). The buyer's choice wins; when the shop's default does not reach the district, fall back
    to the universal carrier (E邮宝, "全国任何地方都可以到", 003); a chosen carrier that does not reach needs a
    person (the buyer must agree to another one)."""
    if chosen:
        return chosen, coverage.reaches(chosen, province, city, district)
    if coverage.reaches(default, province, city, district):
        return default, True
    return UNIVERSAL_CARRIER, True


@dataclass(frozen=True)
class ReviewFacts:
    address_complete: bool
    phone_ok: bool
    reaches: bool
    buyer_message: str
    seller_remark: str
    risk: bool
    unmapped: bool
    out_of_stock: bool
    paid_amount: Decimal
    is_cod: bool
    on_hold: bool = False


def review_reasons(facts: ReviewFacts, *, amount_above: Decimal | None, review_cod: bool) -> list[str]:
    """The codes of every rule that keeps the order from passing automatically (empty: it passes)."""
    checks = [
        ("address_incomplete", not facts.address_complete),
        ("phone_invalid", not facts.phone_ok),
        ("unreachable", not facts.reaches),
        ("buyer_message", bool(facts.buyer_message.strip())),
        ("seller_remark", bool(facts.seller_remark.strip())),
        ("risk", facts.risk),
        ("unmapped", facts.unmapped),
        ("out_of_stock", facts.out_of_stock),
        ("amount", amount_above is not None and facts.paid_amount > amount_above),
        ("cod", facts.is_cod and review_cod),
        ("on_hold", facts.on_hold),
    ]
    return [code for code, applies in checks if applies]


# Reasons a person may accept when verifying by hand; the others must be fixed first.
ACCEPTABLE_BY_HAND = frozenset({"buyer_message", "seller_remark", "risk", "amount", "cod"})


def blocking(codes: Iterable[str]) -> list[str]:
    """The review reasons that keep even a person from verifying the order (address, phone, carrier, SKU, stock,
    pending approval)."""
    return [code for code in codes if code not in ACCEPTABLE_BY_HAND]


def reason_labels(codes: Iterable[str]) -> list[str]:
    return [str(REASONS.get(code, code)) for code in codes]
