"""Carrier tracking events (物流轨迹): from the carriers' files and from the push API, pure.

A `TrackingEvent` is one scan of a parcel: its tracking number (stripped, upper-cased), the time (aware, in China
time: a time without a zone is China time), where, one of STATUSES, and the carrier's text.

Files (`read_events`): xlsx, or CSV in UTF-8, UTF-8 with BOM or GBK; columns found by name in the first row:

    运单号 / 快递单号 / 单号 / 物流单号            required
    时间 / 操作时间 / 扫描时间 / 发生时间 ...      required   "2026-11-11 20:03:51" (China time unless it has a zone)
    地点 / 所在地 / 所在城市 / 网点 ...            optional   (many carriers write the place into the description)
    状态 / 物流状态 / 快件状态 / 扫描类型 ...      one of these two is required; an empty status is derived from the
    描述 / 物流信息 / 物流详情 / 轨迹 ...            description, with `status_of_text`

Bad rows: like `reconcile.read_bill`, read_events yields every good event and, when rows were bad, raises one
`FileRowErrors` (an ImportFileError) at the end carrying the RowError of every bad row (line and column named).
Store the events in a transaction to keep all or nothing.

The push API body (`event_from_json`), one JSON object per event::

    {"tracking_no": "YT7712345678901",          required, non-empty string
     "time": "2026-11-11T20:03:51+08:00",       required, ISO 8601; without an offset it is China time
     "location": "浙江省杭州市",                 optional string, default ""
     "status": "delivered",                     one of STATUSES, or the carrier's Chinese word ("已签收");
     "description": "快件已签收，签收人：本人"}   optional string; status and description may not both be missing

A bad body raises ValueError whose message starts with the field name ("time: ...").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext

from shopdesk.channels.importers.records import RowError
from shopdesk.channels.importers.textfile import (
    CHINA,
    CellError,
    code_of,
    datetime_of,
    empty_message,
    header_index,
    iter_rows,
    missing_columns_error,
    read_header,
)

from .reconcile import FileRowErrors

STATUSES = ("collected", "in_transit", "delivering", "delivered", "returned", "lost", "damaged", "exception")
STATUS_NAMES = {"collected": "已揽收", "in_transit": "运输中", "delivering": "派送中", "delivered": "已签收",
                "returned": "退回", "lost": "丢失", "damaged": "破损", "exception": "问题件"}
# Checked in this order: the first status with a word in the text wins ("派件异常" is an exception, "退回签收" a
# return, "已签收" delivered even when the text also says where it was sent from).
_STATUS_WORDS = (
    ("lost", ("丢失", "遗失", "丢件")),
    ("damaged", ("破损",)),
    ("returned", ("退回", "退件", "退签", "返回寄件人")),
    ("exception", ("问题件", "异常", "未签收", "未妥投", "拒收", "拒签", "无法派送", "滞留")),
    ("delivered", ("签收", "妥投")),
    ("delivering", ("派件", "派送")),
    ("collected", ("揽收", "揽件", "已收取", "已收件")),
    ("in_transit", ("运输中", "到达", "发往", "离开", "中转", "转运")),
)

EVENT_COLUMNS = {
    "运单号": ("快递单号", "单号", "物流单号", "运单编号"),
    "时间": ("操作时间", "扫描时间", "发生时间", "物流时间", "轨迹时间", "更新时间"),
    "地点": ("所在地", "所在城市", "城市", "网点", "操作网点", "当前网点", "站点"),
    "状态": ("物流状态", "快件状态", "扫描类型", "操作类型"),
    "描述": ("物流信息", "物流详情", "轨迹", "轨迹描述", "详情", "内容", "描述信息"),
}


def status_of_text(text: str) -> str:
    """One of STATUSES for a status code or a courier's Chinese words; "in_transit" when no word is known."""
    word = text.strip()
    if word.lower() in STATUSES:
        return word.lower()
    for status, words in _STATUS_WORDS:
        for w in words:
            if w in word:
                return status
    return "in_transit"


def china_time(moment: datetime) -> datetime:
    """An aware time in China time; a naive one is taken to be China time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=CHINA)
    return moment.astimezone(CHINA)


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    tracking_no: str
    time: datetime
    location: str
    status: str  # one of STATUSES
    description: str

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status: {self.status!r} is not one of {', '.join(STATUSES)}")
        object.__setattr__(self, "tracking_no", self.tracking_no.strip().upper())
        object.__setattr__(self, "time", china_time(self.time))


def event_key(e: TrackingEvent) -> tuple:
    """What makes two events the same scan: tracking number, time to the second (whatever the zone it was given
    in), status and description (spaces ignored)."""
    return (e.tracking_no, int(e.time.replace(microsecond=0).timestamp()), e.status, "".join(e.description.split()))


def stalled(last_event_time: datetime, now: datetime, hours: int = 48) -> bool:
    """True when `hours` or more have passed since the last event (naive times are China time)."""
    return china_time(now) - china_time(last_event_time) >= timedelta(hours=hours)


def read_events(path) -> Iterator[TrackingEvent]:
    """The events of a carrier's tracking file, streamed; raises FileRowErrors at the end when rows were bad."""
    rows = iter_rows(path)
    header = read_header(rows, path)
    col = header_index(header, EVENT_COLUMNS)
    missing = [name for name in ("运单号", "时间") if col[name] < 0]
    if col["状态"] < 0 and col["描述"] < 0:
        missing.append("状态/描述")
    if missing:
        raise missing_columns_error(path, missing)

    def name(column: str) -> str:
        return (header[col[column]].strip() or column) if col[column] >= 0 else column

    i_no, i_time, i_place, i_status, i_text = (col[c] for c in ("运单号", "时间", "地点", "状态", "描述"))
    no_name, time_name, status_name = name("运单号"), name("时间"), name("状态")
    errors: list[RowError] = []
    for line_no, cells in rows:
        try:
            tracking_no = code_of(cells[i_no], no_name, line_no)
            if not tracking_no:
                raise CellError(line_no, empty_message(no_name))
            moment = datetime_of(cells[i_time], time_name, line_no, required=True)
            status_text = cells[i_status].strip() if i_status >= 0 else ""
            description = cells[i_text].strip() if i_text >= 0 else ""
            if not status_text and not description:
                raise CellError(line_no, gettext("%(column)s: give a status or a description")
                                % {"column": status_name})
        except CellError as exc:
            errors.append(exc.row_error())
            continue
        status = status_of_text(status_text or description)
        location = cells[i_place].strip() if i_place >= 0 else ""
        yield TrackingEvent(tracking_no, moment, location, status, description)
    if errors:
        raise FileRowErrors(path, errors)


def _text_field(obj: dict, field: str, *, required: bool = False) -> str:
    value = obj.get(field)
    if value is None:
        if required:
            raise ValueError(gettext("%(field)s: is required") % {"field": field})
        return ""
    if not isinstance(value, str):
        raise ValueError(gettext("%(field)s: must be a string, not %(type)s")
                         % {"field": field, "type": type(value).__name__})
    value = value.strip()
    if required and not value:
        raise ValueError(gettext("%(field)s: must not be empty") % {"field": field})
    return value


def event_from_json(obj: dict) -> TrackingEvent:
    """The event of one push API body (module doc); ValueError naming the field for a bad body."""
    if not isinstance(obj, dict):
        raise ValueError(gettext("body: must be a JSON object, not %(type)s") % {"type": type(obj).__name__})
    tracking_no = _text_field(obj, "tracking_no", required=True)
    when = _text_field(obj, "time", required=True)
    try:
        moment = datetime.fromisoformat(when)
    except ValueError:
        raise ValueError(gettext("time: '%(value)s' is not an ISO 8601 date and time (like "
                                 "2026-11-11T20:03:51+08:00)") % {"value": when}) from None
    location = _text_field(obj, "location")
    status_text = _text_field(obj, "status")
    description = _text_field(obj, "description")
    if not status_text and not description:
        raise ValueError(gettext("status: give a status or a description"))
    if status_text.isascii() and status_text and status_text.lower() not in STATUSES:
        raise ValueError(gettext("status: '%(value)s' is not one of %(statuses)s or a Chinese status word")
                         % {"value": status_text, "statuses": ", ".join(STATUSES)})
    return TrackingEvent(tracking_no, moment, location, status_of_text(status_text or description), description)
