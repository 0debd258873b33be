"""The bargaining playbook (议价, 003: 一拒、二拉、三引、四斩, and 003:548 for the buyer who keeps bargaining).

`next_move` is a pure function: from how many times the buyer has bargained in this conversation (this message
included), the agent's own discount limit (`staff.authz.authority_limits(user).max_discount_percent`), what the
buyer asked for (`parse_ask`) and the state of the conversation's discount request to the supervisor, it says
what the agent does next:

1. first time  → step 1 `refuse`: decline politely with the reason (uniform prices, quality guaranteed);
2. second time → step 2 `promotion`: pull the buyer back with the shop's current promotion;
3. third time  → step 3 `value`: lead from the price to the value (quality, after-sales service);
4. fourth time → step 4 `close`: close the sale within the agent's authority, at most `max_discount_percent`;
   - the supervisor approved a request for this conversation → `close` at the approved discount;
   - a request is pending or was refused → `gift`: offer a small gift instead of a discount;
   - the buyer asks for more than the agent may give (or the agent may give nothing) → `supervisor_request`
     (`services.request_discount`);
5. fifth time and later → `gift` (the agent has already closed as far as they may), unless the supervisor approved.

Discounts in what buyers write: "打8折"/"8折"/"八折" → 20%, "85折"/"8.5折"/"八五折" → 15%, "九五折" → 5%,
"半价"/"对折" → 50%, "便宜5%" → 5%; "便宜10块"/"少10元"/"减二十" is an amount of money and "100块卖不卖"/"80包邮行吗"
a price, not a percent: they become one only when the price is known (`next_move(price=...)`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

REFUSE, PROMOTION, VALUE, CLOSE = "refuse", "promotion", "value", "close"
SUPERVISOR_REQUEST, GIFT = "supervisor_request", "gift"
ACTIONS = (REFUSE, PROMOTION, VALUE, CLOSE, SUPERVISOR_REQUEST, GIFT)
STEP_ACTIONS = {1: REFUSE, 2: PROMOTION, 3: VALUE, 4: CLOSE}
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"  # DiscountRequest.State values

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
           "九": 9}
_CN_NUMBER = "零〇一二两俩三四五六七八九十百"
_NUMBER = rf"(\d+(?:\.\d+)?|[{_CN_NUMBER}]+)"
_FOLD = re.compile(r"(\d(?:\.\d)?|\d\d|[一二三四五六七八九][一二三四五六七八九]?)\s*折")
_HALF = re.compile(r"半价|对折|五折")
_PERCENT = re.compile(rf"(?:便宜|优惠|少|减|让|降)[个了点吧]?\s*{_NUMBER}\s*(?:%|％|个点|个百分点)")
_OFF = r"(?:便宜|优惠|少|减|让|降|抹)[个了吧掉]?\s*"
# an amount off: digits ("少5块", "减20"), or Chinese numerals with a unit or a ten ("便宜个十块钱", "少二十"),
# never "少一点"
_TENS = rf"[{_CN_NUMBER}]*[十百][{_CN_NUMBER}]*"
_AMOUNT = re.compile(rf"{_OFF}(?:(\d+(?:\.\d+)?)|([{_CN_NUMBER}]+)(?=\s*(?:块|元))|({_TENS}))")
# a price the buyer offers: "100块卖不卖", "80包邮行吗", "一百二卖吗"
_TARGET = re.compile(rf"(\d+(?:\.\d+)?|{_TENS})\s*(?:块|元)?钱?\s*(?:卖|包邮|行|可以|出|拿)")


@dataclass(frozen=True)
class Ask:
    """What the buyer asked for: a discount in percent, an amount of money off (yuan), a price they would pay
    (yuan), or none of them."""

    percent: Decimal | None = None
    amount: Decimal | None = None
    target_price: Decimal | None = None


@dataclass(frozen=True)
class Move:
    step: int  # 1-4: the step of 一拒二拉三引四斩 (gift and supervisor requests belong to step 4)
    action: str  # one of ACTIONS
    explanation_zh: str  # short guidance for the agent, in Chinese
    offer_percent: Decimal | None = None  # for close: the discount the agent may give at most

    @property
    def explanation(self) -> str:
        return self.explanation_zh

    def as_dict(self) -> dict:
        return {"step": self.step, "action": self.action, "explanation": self.explanation_zh,
                "offer_percent": str(self.offer_percent) if self.offer_percent is not None else None}


def chinese_number(text: str) -> Decimal | None:
    """Arabic digits, or Chinese numerals up to the hundreds: 十 10, 十五 15, 二十 20, 一百二 120, 五 5."""
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    total, current, last_unit = 0, 0, 1
    for ch in text:
        if ch in _DIGITS:
            current = _DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current, last_unit = 0, 10
        elif ch == "百":
            total += (current or 1) * 100
            current, last_unit = 0, 100
        else:
            return None
    if current:
        # 一百二 is 120 (a digit after a unit counts in the next unit down), 二十五 is 25
        total += current * (last_unit // 10 if last_unit >= 100 and len(text) > 1 and text[-2] == "百" else 1)
    return Decimal(total)


def _fold_percent(fold: str) -> Decimal | None:
    """"8" → 20, "85"/"8.5"/"八五" → 15, "95"/"九五" → 5: the discount of "N折" (the buyer pays N tenths)."""
    if fold and all(ch in _DIGITS for ch in fold):
        fold = "".join(str(_DIGITS[ch]) for ch in fold)
    try:
        value = Decimal(fold)
    except InvalidOperation:
        return None
    if "." not in fold and value >= 10:
        value = value / 10  # 85折 is 8.5折
    if not (0 < value < 10):
        return None
    return _tidy(Decimal(100) - value * 10)


def parse_ask(text: str) -> Ask:
    """The discount a bargaining message asks for, when it names one (see the module docstring)."""
    text = (text or "").lower()
    match = _FOLD.search(text)
    if match:
        percent = _fold_percent(match.group(1))
        if percent is not None:
            return Ask(percent=percent)
    if _HALF.search(text):
        return Ask(percent=Decimal(50))
    match = _PERCENT.search(text)
    if match:
        value = chinese_number(match.group(1))
        if value is not None and 0 < value < 100:
            return Ask(percent=_tidy(value))
    match = _AMOUNT.search(text)
    if match:
        value = chinese_number(next(g for g in match.groups() if g))
        if value is not None and value > 0:
            return Ask(amount=_tidy(value))
    match = _TARGET.search(text)
    if match:
        value = chinese_number(match.group(1))
        if value is not None and value > 0:
            return Ask(target_price=_tidy(value))
    return Ask()


def ask_percent(ask: Ask, price: Decimal | None = None) -> Decimal | None:
    """The ask as a percent: as written, or an amount off a known price."""
    if ask.percent is not None:
        return ask.percent
    if not price or Decimal(price) <= 0:
        return None
    price = Decimal(price)
    if ask.amount is not None:
        return (ask.amount * 100 / price).quantize(Decimal("0.01"))
    if ask.target_price is not None and ask.target_price < price:
        return ((price - ask.target_price) * 100 / price).quantize(Decimal("0.01"))
    return None


def _tidy(value: Decimal) -> Decimal:
    """20.00 → 20, 16.50 → 16.5 (never 2E+1)."""
    value = Decimal(value)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _pct(value: Decimal) -> str:
    return f"{_tidy(value):f}%"


def next_move(count: int, max_discount_percent, *, ask: Ask | None = None, supervisor: str | None = None,
              approved_percent=None, price=None) -> Move:
    """The agent's next move for the buyer's `count`-th bargaining message (at least 1).

    `supervisor` is the state of the conversation's latest discount request ("pending", "approved", "rejected" or
    None), `approved_percent` what was approved; `price` (optional) turns an amount asked into a percent."""
    count = max(1, int(count or 1))
    limit = Decimal(str(max_discount_percent or 0))
    ask = ask or Ask()
    asked = ask_percent(ask, Decimal(str(price)) if price else None)
    if count == 1:
        return Move(1, REFUSE, "一拒：第一次议价，礼貌地拒绝并说明理由——全店统一定价、品质有保障、实价销售，"
                               "语气诚恳，不要直接给折扣。")
    if count == 2:
        return Move(2, PROMOTION, "二拉：买家第二次议价，用店铺当前的活动把买家拉回来——满减、优惠券、赠品、包邮，"
                                  "说明现在下单已经是活动价。")
    if count == 3:
        return Move(3, VALUE, "三引：买家第三次议价，把注意力从价格引到价值——面料做工、品质保障、售后服务"
                              "（7天无理由退换），让买家觉得物有所值。")
    if supervisor == APPROVED and approved_percent is not None:
        approved = Decimal(str(approved_percent))
        return Move(4, CLOSE, f"四斩：主管已批准最多 {_pct(approved)} 的优惠，按批准的幅度成交，"
                              "并感谢买家的支持、欢迎再次光临。", offer_percent=approved)
    if supervisor in (PENDING, REJECTED):
        why = "主管的审批还在等待中" if supervisor == PENDING else "主管已拒绝这次优惠申请"
        return Move(4, GIFT, f"{why}：不要再降价，改为送一份小礼品（赠品），告诉买家这是为他争取来的心意。")
    if count >= 5:
        return Move(4, GIFT, "买家反复议价，已超出您的权限：不要再降价，送一份小礼品代替折扣，"
                             "说明这是特意为买家争取的。")
    if limit <= 0:
        return Move(4, SUPERVISOR_REQUEST, "四斩：您没有让价的权限。请向主管申请折扣（提交优惠申请），"
                                           "并请买家稍等两分钟。")
    if asked is not None and asked > limit:
        return Move(4, SUPERVISOR_REQUEST,
                    f"四斩：买家要求的优惠 {_pct(asked)} 超出您的权限（最多 {_pct(limit)}）。请向主管申请"
                    f"（提交优惠申请），并请买家稍等两分钟。")
    offer = asked if asked is not None else limit
    if asked is None and (ask.amount is not None or ask.target_price is not None):
        wanted = (f"便宜 {ask.amount:f} 元" if ask.amount is not None
                  else f"按 {ask.target_price:f} 元成交")
        hint = f"买家要求{wanted}：折算后不超过商品价的 {_pct(limit)} 才可以答应，否则请向主管申请。"
    else:
        hint = f"最多可给 {_pct(offer)} 的优惠。"
    return Move(4, CLOSE, f"四斩：在您的权限内成交。{hint}告诉买家这是特意为他申请的价格，欢迎下次光临。",
                offer_percent=offer)
