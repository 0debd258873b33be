"""Import of platform chat logs (聊天记录导入, product.md §2.7): the export of the platform's chat tool (千牛, 京麦 …)
as CSV or xlsx, so the KPIs and the quality inspection cover the chats answered on the platform too.

The layout is documented for the department in docs/chatlog-format.md (and in the template workbook,
`template_xlsx`): one row per message with 时间, 店铺, 买家, 客服, 方向 and 内容 (English aliases time, shop, buyer,
agent, direction, text). CSV in UTF-8, UTF-8 with BOM or GBK; xlsx (the first sheet). Naive times are China time.

All or nothing: the whole file is read and checked first; any bad row and nothing is written, every problem is
returned with its line, column and reason (`ImportRefused` from `read_chat_log`, the `rejected` rows of the summary
from `import_chat_log`). An agent name that is not a ShopDesk user is not a problem: the message keeps the platform's
name in `agent_name` and its `agent` stays empty (see `_AgentMatcher` for how names are matched).

Idempotent: each message gets `external_key` = sha256 of (shop code, buyer, time in ISO form, direction, agent as
written, text). A message already stored under its key is counted as a duplicate and skipped, so the same file (or
an export overlapping an earlier one) imported again adds nothing. Two identical rows in one file (a buyer sending
"?" twice in the same second) are both kept: the second occurrence's key also carries its occurrence number, which is
the same every time the file is read. The unique constraint (conversation, external_key) is the last guard: an import
running at the same time as another that stored the same messages fails as a whole (one transaction) and is simply
run again.

The whole import is one transaction: parse and check (outside it), then the conversations, the messages (bulk
INSERTs, `core.bulk`) and one audit event. After it, the stored KPI fields are what the live services would have
written had the messages arrived one by one (`services._store_buyer_message` / `services._answer`): each affected
conversation's buyer and agent messages, the stored ones and the new ones, are replayed in time order to set
`response_seconds` and `first_response` on the answers and `waiting_since`, `last_message_at` and `status` on the
conversation. New buyer messages are classified (`intents.classify`). System rows are kept but neither ask nor
answer (an auto-reply of the platform is not an agent's answer).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from shopdesk.channels.importers.tabular import ImportRefused, RowProblem, code_cell, read_table
from shopdesk.channels.models import Shop
from shopdesk.channels.selectors import check_shop_access
from shopdesk.core import audit, bulk, clock
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.service.models import Conversation, Message
from shopdesk.staff.authz import authorize_actor

IMPORT = "service.import_chatlog"
CHINA = ZoneInfo("Asia/Shanghai")
MAX_TEXT = 2000
MAX_BUYER = 80
MAX_AGENT = 80
MAX_REPORTED = 1000  # rejected rows kept in the summary (all are counted)
FUTURE_SLACK = timedelta(minutes=10)  # the platform's clock may run a little ahead of ours
_IN_LIST = 500
Direction, Status = Message.Direction, Conversation.Status

# column: (the Chinese header of the template, other spellings ...); the key itself is the English alias.
COLUMNS: dict[str, tuple[str, ...]] = {
    "time": ("时间", "聊天时间", "发送时间", "消息时间"),
    "shop": ("店铺", "店铺代码", "店铺名称"),
    "buyer": ("买家", "买家账号", "买家ID", "买家昵称", "buyer_id"),
    "agent": ("客服", "客服账号", "客服昵称", "agent_name"),
    "direction": ("方向", "消息方向", "发送方"),
    "text": ("内容", "消息内容", "聊天内容", "message"),
}
REQUIRED = ["time", "buyer", "direction", "text"]  # + shop when no default shop is given

# What the 方向 column may say. 收/发 are seen from the shop: 收 = received from the buyer, 发 = sent by the shop.
DIRECTION_WORDS: dict[str, str] = {
    "买家": Direction.BUYER, "客户": Direction.BUYER, "顾客": Direction.BUYER, "收": Direction.BUYER,
    "buyer": Direction.BUYER, "in": Direction.BUYER,
    "客服": Direction.AGENT, "卖家": Direction.AGENT, "商家": Direction.AGENT, "发": Direction.AGENT,
    "agent": Direction.AGENT, "seller": Direction.AGENT, "out": Direction.AGENT,
    "系统": Direction.SYSTEM, "system": Direction.SYSTEM,
}
_SUB_ACCOUNT_SEPARATORS = (":", "：")


@dataclass
class ChatImportSummary:
    """What an import did: messages created, messages already there (duplicates), conversations that got new
    messages; or, when the file was refused, the rejected rows ({line, column, reason}; line 0 is the whole file)
    and nothing else."""

    created: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    rejected_count: int = 0
    conversations: int = 0
    new_conversations: int = 0
    file_name: str = ""
    error: str = ""  # the refusal's one-line message

    def reject(self, line: int, column: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append({"line": line, "column": column, "reason": reason})

    def as_dict(self) -> dict:
        return {"created": self.created, "duplicates": self.duplicates, "rejected": self.rejected,
                "rejected_count": self.rejected_count, "conversations": self.conversations,
                "new_conversations": self.new_conversations}


@dataclass
class ChatRow:
    """One message of the file, checked."""

    line: int
    shop: Shop
    buyer_id: str
    sent_at: datetime
    direction: str
    agent_name: str
    text: str
    key: str = ""


# --- reading ------------------------------------------------------------------------------------------------------


def parse_direction(value: str) -> str | None:
    text = (value or "").strip()
    return DIRECTION_WORDS.get(text) or DIRECTION_WORDS.get(text.lower())


class _Shops:
    """The shop a row names: by code (also ignoring case), else by name; the default shop for an empty cell."""

    def __init__(self, default: Shop | None):
        self.default = default
        shops = list(Shop.objects.all())
        self.by_code = {s.code: s for s in shops}
        self.by_code_lower = {s.code.lower(): s for s in shops}
        self.by_name: dict[str, list[Shop]] = defaultdict(list)
        for s in shops:
            self.by_name[s.name.strip()].append(s)

    def find(self, text: str) -> tuple[Shop | None, str]:
        """(shop, problem)."""
        if not text:
            if self.default is not None:
                return self.default, ""
            return None, gettext("must not be empty (or choose the shop for the whole file)")
        found = self.by_code.get(text) or self.by_code_lower.get(text.lower())
        if found is not None:
            return found, ""
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0], ""
        if named:
            return None, gettext("several shops are called '%(v)s': write the shop code") % {"v": text[:40]}
        return None, gettext("unknown shop '%(v)s': write its code or its name as in ShopDesk") % {"v": text[:40]}


def _time_cell(text: str, label: str, line: int, problems: list[RowProblem], latest: datetime) -> datetime | None:
    from shopdesk.channels.importers.textfile import CellError, datetime_of

    try:
        moment = datetime_of(text, label, line, required=True)
    except CellError as exc:
        reason = exc.reason
        for prefix in (f"{label}: ", f"{label}："):  # the column is named by the problem already
            reason = reason.removeprefix(prefix)
        problems.append(RowProblem(line, label, reason))
        return None
    if moment > latest:
        problems.append(RowProblem(line, label, gettext("%(v)s is in the future") % {"v": text}))
        return None
    return moment


def _read(path, default_shop: Shop | None) -> tuple[list[ChatRow], list[RowProblem], set[Shop]]:
    """(rows, problems, shops named) of the file; file-level problems raise ServiceError (code invalid_file)."""
    required = REQUIRED if default_shop is not None else [*REQUIRED, "shop"]
    labels, table = read_table(path, COLUMNS, required)
    shops = _Shops(default_shop)
    problems: list[RowProblem] = []
    rows: list[ChatRow] = []
    used: set[Shop] = set()
    latest = clock.now() + FUTURE_SLACK
    lt, ls, lb, la, ld, lx = (labels[c] for c in ("time", "shop", "buyer", "agent", "direction", "text"))
    for line, cells in table:
        before = len(problems)
        sent_at = _time_cell(cells["time"], lt, line, problems, latest)
        shop, reason = shops.find(cells["shop"])
        if reason:
            problems.append(RowProblem(line, ls, reason))
        else:
            used.add(shop)
        buyer = code_cell(cells["buyer"], lb, line, problems)
        if not buyer:
            problems.append(RowProblem(line, lb, gettext("must not be empty")))
        elif len(buyer) > MAX_BUYER:
            problems.append(RowProblem(line, lb, gettext("at most %(n)d characters") % {"n": MAX_BUYER}))
        direction = parse_direction(cells["direction"])
        if direction is None:
            problems.append(RowProblem(line, ld, gettext("write 买家, 客服 or 系统 (or 收 / 发), not '%(v)s'")
                                       % {"v": cells["direction"][:20]}))
        agent = cells["agent"] if direction in (Direction.AGENT, Direction.SYSTEM) else ""
        if direction == Direction.AGENT and not agent:
            problems.append(RowProblem(line, la, gettext("must not be empty on a message of the agent")))
        elif len(agent) > MAX_AGENT:
            problems.append(RowProblem(line, la, gettext("at most %(n)d characters") % {"n": MAX_AGENT}))
        text = cells["text"].replace("\r\n", "\n").replace("\r", "\n").strip()
        if not text:
            problems.append(RowProblem(line, lx, gettext("must not be empty")))
        elif len(text) > MAX_TEXT:
            problems.append(RowProblem(line, lx, gettext("at most %(n)d characters; this one has %(m)d")
                                       % {"n": MAX_TEXT, "m": len(text)}))
        if len(problems) == before:
            rows.append(ChatRow(line, shop, buyer, sent_at, direction, agent, text))
    return rows, problems, used


def _keys(rows: list[ChatRow]) -> None:
    """Set each row's external key; the n-th repetition of the same message in the file gets n in its key too."""
    seen: dict[tuple, int] = defaultdict(int)
    for row in rows:
        parts = (row.shop.code, row.buyer_id, row.sent_at.astimezone(CHINA).isoformat(), row.direction,
                 row.agent_name, row.text)
        occurrence = seen[parts]
        seen[parts] = occurrence + 1
        material = "\x1f".join(parts) if not occurrence else "\x1f".join((*parts, str(occurrence)))
        row.key = hashlib.sha256(material.encode("utf-8")).hexdigest()


def read_chat_log(path, *, default_shop: Shop | None = None, file_name: str = "") -> list[ChatRow]:
    """The checked rows of a chat log with their external keys; ImportRefused naming every bad cell, ServiceError
    for a file that cannot be read or lacks a column."""
    from shopdesk.channels.importers.textfile import file_label

    rows, problems, _shops = _read(path, default_shop)
    if problems:
        raise ImportRefused(file_name or file_label(path), problems)
    _keys(rows)
    return rows


# --- agents -------------------------------------------------------------------------------------------------------


class _AgentMatcher:
    """The ShopDesk user a chat log's agent name stands for: the name as a username, else as a staff display name
    (when exactly one person has it); for a platform sub-account written "店铺:小美" the same with the part after
    the colon. No match: None (the message keeps the platform's name)."""

    def __init__(self, names: set[str]):
        from shopdesk.staff.models import StaffProfile

        user_model = get_user_model()
        candidates = set(names)
        for name in names:
            for sep in _SUB_ACCOUNT_SEPARATORS:
                if sep in name:
                    candidates.add(name.rsplit(sep, 1)[1].strip())
        candidates.discard("")
        listed = sorted(candidates)
        by_username: dict[str, int] = {}
        by_display: dict[str, list[int]] = defaultdict(list)
        username_field = user_model.USERNAME_FIELD
        for start in range(0, len(listed), _IN_LIST):
            part = listed[start:start + _IN_LIST]
            for pk, username in user_model.objects.filter(**{f"{username_field}__in": part}).values_list(
                    "pk", username_field):
                by_username[username] = pk
            for pk, display in StaffProfile.objects.filter(display_name__in=part).values_list("user_id",
                                                                                              "display_name"):
                by_display[display].append(pk)
        self.found: dict[str, int | None] = {}
        for name in names:
            self.found[name] = self._match(name, by_username, by_display)

    @staticmethod
    def _match(name, by_username, by_display) -> int | None:
        tries = [name]
        for sep in _SUB_ACCOUNT_SEPARATORS:
            if sep in name:
                tries.append(name.rsplit(sep, 1)[1].strip())
        for candidate in tries:
            if candidate in by_username:
                return by_username[candidate]
            if len(by_display.get(candidate, ())) == 1:
                return by_display[candidate][0]
        return None

    def __call__(self, name: str) -> int | None:
        return self.found.get(name)


# --- writing ------------------------------------------------------------------------------------------------------




@dataclass
class _Event:
    """One buyer, agent or system message of a conversation in the replay: stored (pk) or new (row)."""

    sent_at: datetime
    order: tuple
    direction: str
    pk: int | None = None
    response_seconds: int | None = None
    first_response: bool = False
    agent_id: int | None = None
    row: dict | None = None


def _replay(events: list[_Event]) -> datetime | None:
    """Set response_seconds / first_response on the answers as `services._answer` does; returns waiting_since."""
    waiting_since = None
    first_days: set = set()
    zone = timezone.get_current_timezone()  # the local day, as services.local_day_start reads it
    for event in events:
        if event.direction == Direction.BUYER:
            if waiting_since is None:
                waiting_since = event.sent_at
        elif event.direction == Direction.AGENT:
            seconds, first = None, False
            if waiting_since is not None:
                seconds = max(0, int((event.sent_at - waiting_since).total_seconds()))
                day = event.sent_at.astimezone(zone).date()
                first = day not in first_days
                first_days.add(day)
            event.response_seconds, event.first_response = seconds, first
            waiting_since = None
    return waiting_since


def _conversations(groups: dict[tuple[int, str], list[ChatRow]]) -> dict[tuple[int, str], Conversation]:
    """{(shop id, buyer): Conversation} for every group: the stored one (locked), else a new one not saved yet
    (channel platform, created at its first message) that `_write` inserts with its fields settled."""
    found: dict[tuple[int, str], Conversation] = {}
    by_shop: dict[int, list[str]] = defaultdict(list)
    for shop_id, buyer in groups:
        by_shop[shop_id].append(buyer)
    for shop_id, buyers in by_shop.items():
        for start in range(0, len(buyers), _IN_LIST):
            for conversation in Conversation.objects.select_for_update().filter(
                    shop_id=shop_id, buyer_id__in=buyers[start:start + _IN_LIST]):
                found[(shop_id, conversation.buyer_id)] = conversation
    for key, group in groups.items():
        if key not in found:
            found[key] = Conversation(shop_id=key[0], buyer_id=key[1], channel=Conversation.Channel.PLATFORM,
                                      status=Status.OPEN, created_at=min(r.sent_at for r in group))
    return found


def _update_many(table: str, columns: list[str], values: list[tuple]) -> None:
    """UPDATE table SET columns WHERE id = last value, for each tuple (one prepared statement, executemany):
    Django's bulk_update builds a CASE expression per row and field, far slower for thousands of rows."""
    if not values:
        return
    qn = connection.ops.quote_name
    sql = (f"UPDATE {qn(table)} SET {', '.join(f'{qn(c)} = %s' for c in columns)} "  # noqa: S608 (model metadata)
           f"WHERE {qn('id')} = %s")
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)


def _db_time(value: datetime | None):
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def _stored_messages(conversation_ids: list[int]) -> dict[int, list[tuple]]:
    """{conversation id: [(pk, direction, sent_at, response_seconds, first_response, agent_id, external_key)]}."""
    stored: dict[int, list[tuple]] = defaultdict(list)
    for start in range(0, len(conversation_ids), _IN_LIST):
        for values in Message.objects.filter(conversation_id__in=conversation_ids[start:start + _IN_LIST]).exclude(
                direction=Direction.NOTE).order_by().values_list(
                "conversation_id", "pk", "direction", "sent_at", "response_seconds", "first_response", "agent_id",
                "external_key").iterator(chunk_size=5000):
            stored[values[0]].append(values[1:])
    return stored


def _classify_all(texts: list[str]) -> list[tuple[str, float]]:
    from shopdesk.service import intents

    cache: dict[str, tuple[str, float]] = {}
    out = []
    for text in texts:
        found = cache.get(text)
        if found is None:
            prediction = intents.classify(text)
            found = cache[text] = (prediction.intent, round(prediction.confidence, 4))
        out.append(found)
    return out


def _write(rows: list[ChatRow], *, descending: bool, summary: ChatImportSummary) -> None:
    """Insert the new messages of `rows` and bring the affected conversations' stored KPI fields up to date.
    Inside the caller's transaction."""
    groups: dict[tuple[int, str], list[ChatRow]] = defaultdict(list)
    for row in rows:
        groups[(row.shop.pk, row.buyer_id)].append(row)
    conversations = _conversations(groups)
    stored = _stored_messages([c.pk for c in conversations.values() if c.pk is not None])
    match_agent = _AgentMatcher({r.agent_name for r in rows if r.agent_name})

    new_rows: list[tuple[Conversation, dict]] = []
    changed: list[tuple] = []
    touched: list[Conversation] = []
    for key, group in groups.items():
        conversation = conversations[key]
        known = stored.get(conversation.pk, []) if conversation.pk is not None else []
        keys = {m[6] for m in known if m[6]}
        events = [_Event(sent_at=m[2], order=(m[2], 0, m[0]), direction=m[1], pk=m[0], response_seconds=m[3],
                         first_response=m[4], agent_id=m[5]) for m in known]
        fresh = []
        for row in group:
            if row.key in keys:
                summary.duplicates += 1
                continue
            keys.add(row.key)
            agent_id = match_agent(row.agent_name) if row.direction == Direction.AGENT else None
            fresh.append(_Event(sent_at=row.sent_at, order=(row.sent_at, 1, -row.line if descending else row.line),
                                direction=row.direction, agent_id=agent_id, row={
                                    "shop_id": conversation.shop_id, "direction": row.direction,
                                    "agent_id": agent_id, "agent_name": row.agent_name, "text": row.text,
                                    "sent_at": row.sent_at, "source": Message.Source.IMPORT, "intent": "",
                                    "confidence": None, "external_key": row.key}))
        if not fresh:
            continue
        before = {e.pk: (e.response_seconds, e.first_response) for e in events}
        events.extend(fresh)
        events.sort(key=lambda e: e.order)
        waiting_since = _replay(events)
        for event in events:
            if event.row is not None:
                event.row["response_seconds"] = event.response_seconds
                event.row["first_response"] = event.first_response
                new_rows.append((conversation, event.row))
            elif before[event.pk] != (event.response_seconds, event.first_response):
                changed.append((event.response_seconds, event.first_response, event.pk))
        _settle(conversation, events, fresh, waiting_since)
        touched.append(conversation)

    created = [c for c in touched if c.pk is None]
    stored_ones = [c for c in touched if c.pk is not None]
    bulk.insert(created)
    _update_many(Conversation._meta.db_table, ["status", "closed_at", "waiting_since", "last_message_at",
                                               "assignee_id"],
                 [(c.status, _db_time(c.closed_at), _db_time(c.waiting_since), _db_time(c.last_message_at),
                   c.assignee_id, c.pk) for c in stored_ones])
    messages = []
    for conversation, row in new_rows:
        row["conversation_id"] = conversation.pk
        messages.append(row)
    buyer_rows = [r for r in messages if r["direction"] == Direction.BUYER]
    for row, (intent, confidence) in zip(buyer_rows, _classify_all([r["text"] for r in buyer_rows]), strict=True):
        row["intent"], row["confidence"] = intent, confidence
    bulk.insert_rows(Message, messages)
    _update_many(Message._meta.db_table, ["response_seconds", "first_response"], changed)
    summary.created = len(messages)
    summary.conversations = len(touched)
    summary.new_conversations = len(created)


def _settle(conversation: Conversation, events: list[_Event], fresh: list[_Event], waiting_since) -> None:
    """The conversation's fields after the replay: waiting since, last message, status, and the first answering
    agent as the assignee when nobody had it (as a live answer does)."""
    newest = max(e.sent_at for e in fresh)
    conversation.last_message_at = max(conversation.last_message_at or newest, newest)
    conversation.waiting_since = waiting_since
    stays_closed = (conversation.status == Status.CLOSED and conversation.closed_at is not None
                    and newest <= conversation.closed_at)
    if not stays_closed:
        conversation.status = Status.OPEN if waiting_since is not None else Status.WAITING
        conversation.closed_at = None
    if conversation.assignee_id is None:
        conversation.assignee_id = next((e.agent_id for e in events if e.direction == Direction.AGENT
                                         and e.agent_id is not None), None)


def _is_descending(rows: list[ChatRow]) -> bool:
    """True when the file lists the newest messages first (many platform exports do): then messages of the same
    second are taken in the reverse order of their lines."""
    return len(rows) > 1 and rows[0].sent_at > rows[-1].sent_at


def import_chat_log(*, actor, path, default_shop: Shop | None = None, filename: str = "") -> ChatImportSummary:
    """Import a platform chat log (CSV or xlsx) into the conversations of the shops it names (or `default_shop`
    for rows without a shop). Needs service.import_chatlog and access to every shop of the file (NotAllowed
    otherwise). A file with bad rows imports nothing and comes back with `rejected`; see the module's docstring."""
    from shopdesk.channels.importers.textfile import file_label

    grant = authorize_actor(actor, IMPORT)
    if default_shop is not None:
        check_shop_access(actor, default_shop)
    name = (filename or file_label(path))[:200]
    summary = ChatImportSummary(file_name=name)
    try:
        rows, problems, shops = _read(path, default_shop)
    except ServiceError as exc:  # unreadable file, missing column
        summary.error = exc.message
        summary.reject(0, "", exc.message)
        return summary
    for shop in sorted(shops, key=lambda s: s.code):
        check_shop_access(actor, shop)
    if problems:
        refused = ImportRefused(name, problems)
        summary.error = refused.message
        for problem in refused.problems:
            summary.reject(problem.line, problem.column, problem.reason)
        return summary
    _keys(rows)
    descending = _is_descending(rows)
    try:
        with bulk.heavy_writes(), transaction.atomic():
            _write(rows, descending=descending, summary=summary)
            codes = sorted({r.shop.code for r in rows})
            shop = rows[0].shop if len(codes) == 1 else None
            audit.record_event("service.chatlog_imported", actor=actor, obj=shop, grant=grant, changes={
                "file": {"before": None, "after": name},
                "messages_created": {"before": None, "after": summary.created},
                "duplicates": {"before": None, "after": summary.duplicates},
                "conversations": {"before": None, "after": summary.conversations},
                "new_conversations": {"before": None, "after": summary.new_conversations},
                "shops": {"before": None, "after": codes}})
    except (IntegrityError, connection.Database.IntegrityError) as exc:  # core.bulk writes through the driver
        raise Conflict(gettext("Another import stored some of these messages at the same time, so nothing was "
                               "imported from %(file)s. Import it again: the messages already there are skipped.")
                       % {"file": name}) from exc
    return summary


# --- the template and the command line ----------------------------------------------------------------------------

TEMPLATE_HEADERS = ["时间", "店铺", "买家", "客服", "方向", "内容"]
TEMPLATE_EXAMPLES = [
    ["2026-11-22 09:30:05", "tmall-main", "tb_buyer01", "", "买家", "亲，在吗？这款有现货吗"],
    ["2026-11-22 09:30:40", "tmall-main", "tb_buyer01", "小美", "客服", "亲，您好！有现货的，今天下单今天发哦"],
    ["2026-11-22 09:31:10", "tmall-main", "tb_buyer01", "", "买家", "能便宜点不"],
    ["2026-11-22 09:32:00", "tmall-main", "tb_buyer01", "小美", "客服", "亲，已经是活动价了，现在下单还送运费险哦"],
]
TEMPLATE_NOTES = [
    ["列", "别名", "必填", "说明"],
    ["时间", "聊天时间 / 发送时间 / time", "是",
     "2026-11-22 09:30:05、2026/11/22 9:30 或 ISO 格式；没有时区的时间按北京时间"],
    ["店铺", "店铺代码 / 店铺名称 / shop", "选择了导入店铺时可空", "ShopDesk 里的店铺代码（或店铺名称）"],
    ["买家", "买家账号 / 买家ID / buyer", "是", "买家在平台上的账号，最多 80 个字"],
    ["客服", "客服账号 / agent", "客服消息必填", "平台上的客服名（子账号“店铺:小美”也可以）；买家消息留空"],
    ["方向", "消息方向 / direction", "是", "买家、客服或系统；也可以写 收（买家发来）/ 发（店铺发出）"],
    ["内容", "消息内容 / 聊天内容 / text", "是", "消息文字，最多 2000 个字"],
]


def template_xlsx() -> bytes:
    """The empty chat-log workbook: the headers, example rows and a notes sheet explaining each column."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from shopdesk.core import spreadsheet

    book = Workbook()
    sheet = book.active
    sheet.title = "聊天记录"
    sheet.append(spreadsheet.row(sheet, TEMPLATE_HEADERS))
    for example in TEMPLATE_EXAMPLES:
        sheet.append(spreadsheet.row(sheet, example))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (20, 14, 18, 12, 8, 60), strict=True):
        sheet.column_dimensions[column].width = width
    for column in "ABC":  # times and accounts stay text (Excel would turn a long buyer id into a number)
        for cell in sheet[column]:
            cell.number_format = "@"
    notes = book.create_sheet("说明")
    for values in TEMPLATE_NOTES:
        notes.append(spreadsheet.row(notes, values))
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCD", (8, 28, 20, 70), strict=True):
        notes.column_dimensions[column].width = width
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def import_command(args) -> int:
    """`shopdesk service import-chats FILE [--shop CODE] [--json]` (as the system: every shop)."""
    from shopdesk.cli import CliError

    shop = None
    if args.shop:
        shop = Shop.objects.filter(code=args.shop).first()
        if shop is None:
            raise CliError(f"no shop with code {args.shop} (see `shopdesk shop list`)")
    if not Path(args.file).is_file():
        raise CliError(f"no such file: {args.file}")
    summary = import_chat_log(actor=None, path=args.file, default_shop=shop)
    if args.json:
        print(json.dumps(summary.as_dict(), ensure_ascii=False))
    else:
        print(f"created {summary.created}, duplicates {summary.duplicates}, conversations {summary.conversations}, "
              f"rejected {summary.rejected_count}")
        for row in summary.rejected:
            where = f"line {row['line']}" + (f", {row['column']}" if row["column"] else "")
            print(f"  {where}: {row['reason']}")
        if summary.rejected_count:
            print("nothing was imported: fix the rows above and import the file again", file=sys.stderr)
    return 1 if summary.rejected_count else 0
