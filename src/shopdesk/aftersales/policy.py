"""The return policy (退换货政策, 003 after-sales part; 002 ❾) as one pure function: `decide(request) -> Decision`.

Each rule has a code and a Chinese explanation; `decide` lists every rule that applies, so an agent (and the buyer)
sees why, not just yes or no. How the rules combine:
- a refusing rule wins over an allowing one, except that a reason the shop is responsible for (quality, wrong item,
  missing item, damage in transit, unclear responsibility) overrides the item flags (hygiene, special price, gift)
  and the condition of the item: those only limit no-reason returns (003: "除质量问题外, 以下情况不予退换");
- a return parcel sent freight-collect is refused whatever the reason (拒收到付, 003), and so is a no-reason request
  after day 7, and a no-reason request for a refund without return or a reship (no reason: the goods come back);
- who pays the return shipping: the buyer for no-reason returns (来回运费由买家承担), the shop for every reason it is
  responsible for, and for unclear responsibility (分不清责任的, 以我为主). Nobody when the request is refused.

The module imports nothing from Django: the API, the case form and the benchmark call the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REQUEST_TYPES = ("return", "exchange", "refund_only", "reship")
REASONS = ("no_reason", "quality", "wrong_item", "missing_item", "damaged_in_transit", "unclear")
ITEM_FLAGS = ("hygiene", "special_price", "gift")
ITEM_CONDITIONS = ("worn", "washed", "tags_incomplete", "stained", "damaged", "altered")
RETURN_SHIPPING = ("prepaid", "freight_collect")
NO_REASON_DAYS = 7  # 7天无理由, counted from receipt, day 7 included
SHOP_RESPONSIBLE = frozenset({"quality", "wrong_item", "missing_item", "damaged_in_transit"})

# Reasons and flags in the words of the documents, for explanations and forms.
REASON_LABELS = {"no_reason": "7天无理由", "quality": "质量问题", "wrong_item": "发错货", "missing_item": "少发/漏发",
                 "damaged_in_transit": "运输破损", "unclear": "责任不清"}
FLAG_LABELS = {"hygiene": "贴身卫生用品", "special_price": "特价商品", "gift": "赠品"}
CONDITION_LABELS = {"worn": "已穿戴", "washed": "已洗涤", "tags_incomplete": "吊牌不全", "stained": "有污渍",
                    "damaged": "人为损坏", "altered": "已修改"}
TYPE_LABELS = {"return": "退货退款", "exchange": "换货", "refund_only": "仅退款", "reship": "补发"}


@dataclass(frozen=True)
class Rule:
    code: str
    allows: bool
    explanation: str  # Chinese, shown as it is


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("no_reason_within_7_days", True,
         "签收后7天内(含第7天)支持7天无理由退换货，来回运费由买家承担。"),
    Rule("no_reason_after_7_days", False,
         "已超过签收后7天，不再支持无理由退换货。"),
    Rule("no_reason_days_unknown", False,
         "无法确认签收时间，不能按7天无理由处理；请先核实签收日期。"),
    Rule("no_reason_hygiene", False, "贴身卫生用品(如内衣)除质量问题外不予退换。"),
    Rule("no_reason_special_price", False, "特价商品除质量问题外不予退换。"),
    Rule("no_reason_gift", False, "赠品除质量问题外不予退换。"),
    Rule("no_reason_needs_return", False,
         "7天无理由须将商品寄回(退货退款或换货)，不能仅退款或补发。"),
    Rule("no_reason_condition", False,
         "商品已穿戴、洗涤、吊牌不全、有污渍、人为损坏或已修改的，除质量问题外不予退换。"),
    Rule("shop_fault_quality", True, "质量问题，支持退换，运费由本店承担。"),
    Rule("shop_fault_wrong_item", True, "发错货，支持退换，运费由本店承担。"),
    Rule("shop_fault_missing_item", True, "少发漏发，支持补发或退款，运费由本店承担。"),
    Rule("shop_fault_damaged_in_transit", True, "运输途中破损，支持退换，运费由本店承担。"),
    Rule("shop_fault_overrides_flags", True,
         "因本店责任(质量、错发、漏发、运输破损)产生的售后，不受特价、赠品、卫生用品及商品状态限制。"),
    Rule("unclear_shop_takes_it", True,
         "责任分不清的，以我为主：支持退换，运费由本店承担。"),
    Rule("freight_collect_refused", False,
         "退回的包裹请勿使用到付，到付件一律拒收；请买家先垫付运费寄回。"),
)}


@dataclass(frozen=True)
class PolicyRequest:
    request_type: str
    reason: str
    days_since_receipt: int | None = None
    item_flags: frozenset[str] = frozenset()
    item_condition: frozenset[str] = frozenset()
    return_shipping: str | None = None

    def __post_init__(self):
        problems = validate(self)
        if problems:
            raise ValueError("; ".join(f"{k}: {v}" for k, v in problems.items()))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    return_shipping_paid_by: str | None  # "shop" | "buyer" | None (refused)
    rule_codes: list[str] = field(default_factory=list)
    explanation: str = ""

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "return_shipping_paid_by": self.return_shipping_paid_by,
                "rule_codes": list(self.rule_codes), "explanation": self.explanation}


def validate(request) -> dict[str, str]:
    """What is wrong with a request, by field (empty when nothing)."""
    problems = {}
    if request.request_type not in REQUEST_TYPES:
        problems["request_type"] = f"must be one of {', '.join(REQUEST_TYPES)}"
    if request.reason not in REASONS:
        problems["reason"] = f"must be one of {', '.join(REASONS)}"
    days = request.days_since_receipt
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 0):
        problems["days_since_receipt"] = "must be a whole number of days, 0 or more, or null"
    if unknown := set(request.item_flags) - set(ITEM_FLAGS):
        problems["item_flags"] = f"unknown: {', '.join(sorted(unknown))}"
    if unknown := set(request.item_condition) - set(ITEM_CONDITIONS):
        problems["item_condition"] = f"unknown: {', '.join(sorted(unknown))}"
    if request.return_shipping not in (None, *RETURN_SHIPPING):
        problems["return_shipping"] = f"must be one of {', '.join(RETURN_SHIPPING)}"
    return problems


def request_of(request_type: str, reason: str, days_since_receipt: int | None = None, item_flags=(),
               item_condition=(), return_shipping: str | None = None) -> PolicyRequest:
    return PolicyRequest(request_type, reason, days_since_receipt, frozenset(item_flags), frozenset(item_condition),
                         return_shipping or None)


def decide(request: PolicyRequest) -> Decision:
    codes: list[str] = []
    reason = request.reason
    if reason == "no_reason":
        days = request.days_since_receipt
        if days is None:
            codes.append("no_reason_days_unknown")
        elif days <= NO_REASON_DAYS:
            codes.append("no_reason_within_7_days")
        else:
            codes.append("no_reason_after_7_days")
        for flag in ITEM_FLAGS:  # fixed order: the same request always lists its codes the same way
            if flag in request.item_flags:
                codes.append(f"no_reason_{flag}")
        if request.item_condition:
            codes.append("no_reason_condition")
        if request.request_type in ("refund_only", "reship"):  # no reason: the goods come back, or nothing happens
            codes.append("no_reason_needs_return")
        payer = "buyer"
    elif reason == "unclear":
        codes.append("unclear_shop_takes_it")
        payer = "shop"
    else:
        codes.append(f"shop_fault_{reason}")
        if request.item_flags or request.item_condition:
            codes.append("shop_fault_overrides_flags")
        payer = "shop"
    # The buyer says the parcel comes back freight-collect: refused whatever else applies (003).
    if request.return_shipping == "freight_collect":
        codes.append("freight_collect_refused")
    allowed = all(RULES[c].allows for c in codes)
    return Decision(allowed=allowed, return_shipping_paid_by=payer if allowed else None, rule_codes=codes,
                    explanation=explain(codes, allowed, request))


def explain(codes: list[str], allowed: bool, request: PolicyRequest) -> str:
    head = f"{TYPE_LABELS[request.request_type]}·{REASON_LABELS[request.reason]}："
    verdict = "可以受理。" if allowed else "不予受理。"
    lines = [RULES[c].explanation for c in codes if RULES[c].allows == allowed] or [RULES[c].explanation
                                                                                      for c in codes]
    tail = ""
    if not allowed and request.reason == "no_reason" and request.days_since_receipt is not None \
            and request.days_since_receipt <= NO_REASON_DAYS:
        tail = "如确有质量问题，请提供照片，按质量问题处理。"
    elif allowed:
        tail = "可换可不换的以换为主，可退可不退的以退为主。"
    return head + verdict + "".join(lines) + tail
