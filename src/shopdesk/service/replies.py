"""Canned-reply text: the variables {店铺} {客服} {买家} {商品} {订单号} {快递公司} {运单号} filled from a
conversation's context, and the quick-search key (title, shortcut and their pinyin initials, so "kd" finds 快递)."""

from __future__ import annotations

import re

VARIABLES = ("店铺", "客服", "买家", "商品", "订单号", "快递公司", "运单号")
_VARIABLE = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Replace each known variable that has a value; a variable without one stays visible for the agent to fill."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1)) or m.group(0), text)


def unknown_variables(text: str) -> list[str]:
    """Names in braces that are not variables (a typo such as {卖家} would reach the buyer as typed)."""
    return [name for name in re.findall(r"\{([^{}]{1,10})\}", text) if name not in VARIABLES]


def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters, other characters kept lower-cased: 快递 → kd, 7天 → 7t."""
    from pypinyin import Style, lazy_pinyin  # here: loading its dictionaries costs half a second at every start

    return "".join(p[:1] for p in lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: list(chars))).lower()


def search_key(title: str, shortcut: str, text: str = "") -> str:
    parts = [title, shortcut, initials(title), initials(shortcut)]
    return " ".join(p.lower() for p in parts if p)[:200]


def context_for(conversation, *, agent=None, order=None, product: str = "") -> dict[str, str]:
    """The variable values of a conversation: the shop, the agent's name, the buyer's nick, and the order the agent
    is looking at (its first line's title when no product is given)."""
    values = {"店铺": conversation.shop.name, "买家": conversation.buyer_nick or conversation.buyer_id,
              "客服": _agent_name(agent), "商品": product}
    if order is not None:
        values["订单号"] = order.platform_order_no
        values["快递公司"] = order.carrier
        values["运单号"] = order.tracking_no
        if not product:
            line = next(iter(order.lines.all()), None)
            values["商品"] = getattr(line, "title", "") if line is not None else ""
    return values


def _agent_name(agent) -> str:
    if agent is None or not getattr(agent, "is_authenticated", False):
        return ""
    # The name the buyer knows the agent by (staff profile), never the login name when there is one.
    profile = getattr(agent, "staff_profile", None)
    return getattr(profile, "display_name", "") or agent.get_full_name() or agent.get_username()
