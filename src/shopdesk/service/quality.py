"""Quality inspection (质检) of one conversation-day: pure rules over its messages, no database.

Each rule that a message breaks is a finding (rule code, Chinese explanation, the message's id, what matched). The
score starts at 100; every finding deducts its rule's weight (ServiceSettings.quality_weights), at most
`MAX_PER_RULE` times per rule (one bad habit should not take the whole score), and the score never goes below 0.

Rules (003: 少用“我”字，多使用“您”或者“咱们”; 000:597-879: 不要说脏话, 多用“您”, 别让客户久等):
- forbidden_phrase: absolute promises and exaggerations in an agent message (肯定, 保证, 绝对, 百分百, 全网最低 …);
- rude_word: rude words in an agent message (a small list);
- personal_data: a mainland mobile number or a street address in an agent message that is not this buyer's own
  (from their orders in the shop) nor the shop's own sender phone or address: it may be another buyer's data;
- wo_over_nin: over the day the agent wrote “我” (not counting 我们) at least 3 times and more than twice as often
  as “您”/“咱们”;
- unanswered: once the conversation-day is over (closed, or the day has passed), a buyer message came after the last
  agent answer (a bare “好的/谢谢/嗯” needs no answer);
- slow_reply: an answer whose response time is above ServiceSettings.slow_reply_seconds;
- no_farewell: once the conversation-day is over, the agent's last message of the day has no farewell (道别).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

MAX_PER_RULE = 3

RULES: dict[str, str] = {
    "forbidden_phrase": "使用了绝对化承诺或夸大用语，应改为客观说明（不说“肯定、保证、绝对”）。",
    "rude_word": "使用了不礼貌用语，有损店铺形象。",
    "personal_data": "发送了不属于本买家订单的手机号或地址，可能泄露其他买家的个人信息。",
    "wo_over_nin": "“我”字用得远多于“您”：少用“我”，多用“您”或“咱们”，让顾客感到在为他考虑。",
    "unanswered": "结束时买家的消息仍未回复。",
    "slow_reply": "回复太慢，让买家久等了。",
    "no_farewell": "结束时没有道别（如“感谢您的光临，祝您生活愉快”）。",
}
RULE_CODES = tuple(RULES)

FORBIDDEN_PHRASES = ("肯定", "保证", "绝对", "百分百", "百分之百", "100%", "包您满意",
                     "全网最低", "最低价", "史上最", "第一品牌", "永不", "永远不会", "顶级")
RUDE_WORDS = ("爱买不买", "不买拉倒", "不买就算了", "滚", "傻逼", "白痴", "神经病", "有病吧", "你有病", "烦不烦",
              "烦死了", "闭嘴", "废话", "蠢", "去死", "听不懂吗", "脑子有问题")
FAREWELLS = ("再见", "拜拜", "祝您", "感谢您", "谢谢您", "感谢光临", "欢迎下次", "欢迎再来", "欢迎再次", "期待您",
             "期待再次", "有需要随时", "随时联系", "随时找我", "合作愉快", "不打扰您", "生活愉快", "购物愉快",
             "再会", "慢走")

_MOBILE = re.compile(r"(?<![\d])(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?![\d])")
# A street address: a name ending in 路/街/大道/巷/弄/道 followed by a house number (号), e.g. 文三路1号, 人民大道88号.
_STREET = re.compile(r"[\u4e00-\u9fff]{1,12}(?:路|街|大道|巷|弄|道)\s*\d+\s*号")
_NOT_DIGIT_OR_HAN = re.compile(r"[^\d\u4e00-\u9fff]")
_ACK = re.compile(r"^(?:好的?|好滴|好哒|好嘞|嗯+|哦+|噢+|ok|okay|谢谢|谢啦|多谢|感谢|收到|知道了|明白了?|行|可以|"
                  r"没问题|拜拜|再见|亲|[\s,，.。!！~～…?？👌👍🙏]+)+$", re.IGNORECASE)
_WO = re.compile(r"我(?!们)")


@dataclass(frozen=True)
class Line:
    """A message as the rules read it."""

    id: int
    direction: str  # buyer / agent (notes and system messages are left out by the caller)
    text: str
    sent_at: datetime
    response_seconds: int | None = None
    agent_id: int | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    message: int | None
    detail: str = ""

    @property
    def explanation(self) -> str:
        return RULES[self.rule]

    def as_dict(self) -> dict:
        return {"rule": self.rule, "explanation": self.explanation, "message": self.message, "detail": self.detail}


@dataclass
class Inspection:
    score: int
    findings: list[Finding] = field(default_factory=list)
    agent_id: int | None = None
    deductions: dict[str, int] = field(default_factory=dict)

    def findings_json(self) -> list[dict]:
        return [f.as_dict() for f in self.findings]


def digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def normalise(value: str) -> str:
    """Digits and Chinese characters only, for comparing addresses written with different spacing/punctuation."""
    return _NOT_DIGIT_OR_HAN.sub("", value or "")


def _phones_in(text: str) -> list[str]:
    return [digits(m.group(1)) for m in _MOBILE.finditer(text)]


def _streets_in(text: str) -> list[str]:
    return [m.group(0) for m in _STREET.finditer(text)]


def _own_street(street: str, own_addresses: Iterable[str]) -> bool:
    """Whether the street found is part of one of the buyer's (or the shop's) own addresses. The regex may take a
    longer run of characters before the street name than the address holds (…地址文三路1号), so the found text
    matches when one of its tails of at least the street name is in an own address."""
    found = normalise(street)
    for own in own_addresses:
        own = normalise(own)
        if not own:
            continue
        for cut in range(len(found)):
            tail = found[cut:]
            if len(re.sub(r"\d", "", tail)) < 2:
                break
            if tail in own:
                return True
    return False


def _hits(text: str, words: Iterable[str]) -> list[str]:
    return [w for w in words if w in text]


def main_agent(lines: Iterable[Line]) -> int | None:
    """The agent who wrote most of the day's answers (the earliest of equals)."""
    counts: Counter[int] = Counter()
    order: dict[int, int] = {}
    for i, line in enumerate(lines):
        if line.direction == "agent" and line.agent_id is not None:
            counts[line.agent_id] += 1
            order.setdefault(line.agent_id, i)
    if not counts:
        return None
    return max(counts, key=lambda a: (counts[a], -order[a]))


def inspect(lines: list[Line], *, weights: dict[str, int], slow_reply_seconds: int, ended: bool,
            own_phones: Iterable[str] = (), own_addresses: Iterable[str] = ()) -> Inspection:
    """Apply every rule to the conversation-day's messages (buyer and agent, in time order)."""
    lines = sorted(lines, key=lambda m: (m.sent_at, m.id))
    own_phones = {digits(p)[-11:] for p in own_phones if digits(p)}
    own_addresses = [a for a in own_addresses if a]
    agent_lines = [m for m in lines if m.direction == "agent"]
    findings: list[Finding] = []

    for m in agent_lines:
        forbidden = _hits(m.text, FORBIDDEN_PHRASES)
        if forbidden:
            findings.append(Finding("forbidden_phrase", m.id, "、".join(forbidden)))
        rude = _hits(m.text, RUDE_WORDS)
        if rude:
            findings.append(Finding("rude_word", m.id, "、".join(rude)))
        foreign = [p for p in _phones_in(m.text) if p[-11:] not in own_phones]
        foreign += [s for s in _streets_in(m.text) if not _own_street(s, own_addresses)]
        if foreign:
            findings.append(Finding("personal_data", m.id, "、".join(_masked(v) for v in foreign)))
        if m.response_seconds is not None and m.response_seconds > slow_reply_seconds:
            findings.append(Finding("slow_reply", m.id, f"{m.response_seconds}s > {slow_reply_seconds}s"))

    wo = sum(len(_WO.findall(m.text)) for m in agent_lines)
    nin = sum(m.text.count("您") + m.text.count("咱们") for m in agent_lines)
    if wo >= 3 and wo > 2 * nin:
        first = next((m for m in agent_lines if _WO.search(m.text)), agent_lines[0])
        findings.append(Finding("wo_over_nin", first.id, f"我×{wo} 您×{nin}"))

    if ended:
        last_agent_at = agent_lines[-1].sent_at if agent_lines else None
        waiting = [m for m in lines if m.direction == "buyer"
                   and (last_agent_at is None or (m.sent_at, m.id) > (last_agent_at, agent_lines[-1].id))
                   and not _ACK.match(m.text.strip())]
        if waiting:
            findings.append(Finding("unanswered", waiting[0].id, str(len(waiting))))
        if agent_lines and not _hits(agent_lines[-1].text, FAREWELLS):
            findings.append(Finding("no_farewell", agent_lines[-1].id))

    deductions: dict[str, int] = {}
    per_rule = Counter(f.rule for f in findings)
    for rule, n in per_rule.items():
        deductions[rule] = int(weights.get(rule, 0)) * min(n, MAX_PER_RULE)
    score = max(0, 100 - sum(deductions.values()))
    order = {code: i for i, code in enumerate(RULE_CODES)}
    findings.sort(key=lambda f: (order[f.rule], f.message or 0))
    return Inspection(score=score, findings=findings, agent_id=main_agent(lines), deductions=deductions)


def _masked(value: str) -> str:
    """What a finding says about the data it found: never the whole number or address."""
    if value.isdigit():
        return f"{value[:3]}****{value[-4:]}"
    return value[:4] + "****"


def mask_text(text: str) -> str:
    """Mobile numbers in a message's text masked (for people who may not see buyers' personal data)."""
    return _MOBILE.sub(lambda m: _masked(digits(m.group(1))), text)
