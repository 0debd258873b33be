"""Carrier tracking events: status words, tracking files, de-duplication, stalled parcels, the push API body."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from shopdesk.channels.importers.records import ImportFileError
from shopdesk.fulfillment.reconcile import FileRowErrors
from shopdesk.fulfillment.tracking_files import (
    STATUSES,
    TrackingEvent,
    event_from_json,
    event_key,
    read_events,
    stalled,
    status_of_text,
)

CHINA = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(("text", "status"), [
    ("已揽收", "collected"), ("【杭州市】中通快递 西湖网点 已揽件", "collected"), ("揽件", "collected"),
    ("运输中", "in_transit"), ("快件已到达【杭州转运中心】", "in_transit"),
    ("快件已发往【广州转运中心】", "in_transit"), ("快件离开【杭州转运中心】", "in_transit"),
    ("派件中", "delivering"), ("【深圳南山】的派送员 张三 正在派送", "delivering"),
    ("已签收", "delivered"), ("快件已签收，签收人：本人", "delivered"), ("签收", "delivered"),
    ("快件已退回", "returned"), ("退件", "returned"), ("退回签收", "returned"),
    ("快件丢失", "lost"), ("遗失", "lost"), ("外包装破损", "damaged"),
    ("问题件", "exception"), ("派件异常：地址不详", "exception"),
    ("", "in_transit"), ("有新的动态", "in_transit"),
    ("delivered", "delivered"), ("LOST", "lost"),
])
def test_status_words(text, status):
    assert status_of_text(text) == status


def test_every_status_is_reachable():
    words = ["已揽收", "运输中", "派件", "已签收", "退回", "丢失", "破损", "问题件"]
    assert [status_of_text(w) for w in words] == list(STATUSES)


HEADER = ["运单号", "时间", "地点", "状态", "描述"]
ROWS = [
    ["YT001", "2026-11-11 20:03:51", "杭州", "已揽收", "快件已揽收"],
    ["YT001", "2026/11/12 08:00:00", "杭州转运中心", "", "快件已发往【广州转运中心】"],
    ["yt001", "2026-11-13 09:30:00", "广州", "", "快件已签收，签收人：本人"],
]


def write_csv(path, header, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def check_events(events):
    assert [(e.tracking_no, e.time, e.location, e.status) for e in events] == [
        ("YT001", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA), "杭州", "collected"),
        ("YT001", datetime(2026, 11, 12, 8, tzinfo=CHINA), "杭州转运中心", "in_transit"),
        ("YT001", datetime(2026, 11, 13, 9, 30, tzinfo=CHINA), "广州", "delivered"),
    ]
    assert events[2].description == "快件已签收，签收人：本人"
    assert all(e.time.utcoffset() == timedelta(hours=8) for e in events)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_read_csv(tmp_path, encoding):
    check_events(list(read_events(write_csv(tmp_path / "t.csv", HEADER, ROWS, encoding))))


def test_read_xlsx_with_other_column_names(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["快递单号", "操作时间", "所在城市", "物流状态", "物流信息"])
    for no, when, place, status, text in ROWS:
        sheet.append([no, datetime.fromisoformat(when.replace("/", "-")), place, status or None, text])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    check_events(list(read_events(path)))


def test_status_column_may_be_missing_and_is_derived(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["运单号", "时间", "物流详情"], [["YT1", "2026-11-11 10:00", "正在派件"]])
    [event] = read_events(path)
    assert (event.status, event.location) == ("delivering", "")


def test_a_time_with_an_offset_is_converted_to_china_time(tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, [["YT1", "2026-11-11T12:00:00+00:00", "", "运输中", ""]])
    [event] = read_events(path)
    assert event.time == datetime(2026, 11, 11, 20, tzinfo=CHINA)
    assert event.time.tzinfo is not None and event.time.utcoffset() == timedelta(hours=8)


def test_missing_columns_are_named(tmp_path):
    with pytest.raises(ImportFileError, match="时间"):
        list(read_events(write_csv(tmp_path / "a.csv", ["运单号", "描述"], [["YT1", "x"]])))
    with pytest.raises(ImportFileError, match="状态/描述"):
        list(read_events(write_csv(tmp_path / "b.csv", ["运单号", "时间"], [["YT1", "2026-11-11"]])))


def test_every_bad_row_is_reported(tmp_path):
    rows = [["YT1", "2026-11-11 10:00", "杭州", "运输中", ""], ["YT2", "昨天", "杭州", "运输中", ""],
            ["", "2026-11-11 10:00", "杭州", "运输中", ""], ["YT4", "2026-11-11 10:00", "杭州", "", ""]]
    path = write_csv(tmp_path / "t.csv", ["运单号", "扫描时间", "地点", "状态", "描述"], rows)
    good = []
    with pytest.raises(FileRowErrors) as caught:
        for event in read_events(path):
            good.append(event.tracking_no)
    assert good == ["YT1"]
    errors = caught.value.errors
    assert [e.line_no for e in errors] == [3, 4, 5]
    assert "扫描时间" in errors[0].reason and "昨天" in errors[0].reason
    assert "运单号" in errors[1].reason
    assert "状态" in errors[2].reason


def test_the_same_event_repeated_has_one_key(tmp_path):
    base = TrackingEvent("YT001", datetime(2026, 11, 11, 20, 3, 51), "杭州", "collected", "快件已揽收")
    again = [
        TrackingEvent(" yt001 ", datetime(2026, 11, 11, 20, 3, 51, 400_000), "杭州西湖", "collected", "快件已揽收 "),
        TrackingEvent("YT001", datetime(2026, 11, 11, 12, 3, 51, tzinfo=UTC), "杭州", "collected", "快件已揽收"),
        TrackingEvent("YT001", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA), "", "collected", "快件  已揽收"),
    ]
    assert {event_key(e) for e in again} == {event_key(base)}
    different = [
        TrackingEvent("YT001", datetime(2026, 11, 11, 20, 3, 52), "杭州", "collected", "快件已揽收"),
        TrackingEvent("YT002", datetime(2026, 11, 11, 20, 3, 51), "杭州", "collected", "快件已揽收"),
        TrackingEvent("YT001", datetime(2026, 11, 11, 20, 3, 51), "杭州", "in_transit", "快件已揽收"),
        TrackingEvent("YT001", datetime(2026, 11, 11, 20, 3, 51), "杭州", "collected", "快件已发出"),
    ]
    assert len({event_key(e) for e in [base, *different]}) == 5
    # the same file read twice gives the same keys
    path = write_csv(tmp_path / "t.csv", HEADER, ROWS + ROWS)
    assert len({event_key(e) for e in read_events(path)}) == len(ROWS)


def test_naive_times_become_china_time():
    event = TrackingEvent("YT1", datetime(2026, 11, 11, 20, 0), "", "in_transit", "")
    assert event.time.tzinfo is not None
    assert event.time.utcoffset() == timedelta(hours=8)
    assert event.time.astimezone(UTC) == datetime(2026, 11, 11, 12, 0, tzinfo=UTC)


def test_an_unknown_status_code_is_refused():
    with pytest.raises(ValueError, match="status"):
        TrackingEvent("YT1", datetime(2026, 11, 11), "", "arrived", "")


def test_stalled_with_a_fixed_now():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=CHINA)
    assert not stalled(now - timedelta(hours=47), now)
    assert not stalled(now - timedelta(hours=47, minutes=59, seconds=59), now)
    assert stalled(now - timedelta(hours=48), now)
    assert stalled(now - timedelta(hours=72), now)
    assert not stalled(now - timedelta(hours=23), now, hours=24)
    assert stalled(now - timedelta(hours=24), now, hours=24)


def test_stalled_treats_naive_times_as_china_time():
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # 20:00 in China
    assert not stalled(datetime(2026, 11, 18, 20, 0, 1), now)  # 47:59:59 before
    assert stalled(datetime(2026, 11, 18, 20, 0), now)


# --- the push API body ---------------------------------------------------------------------------------------------

GOOD = {"tracking_no": "YT7712345678901", "time": "2026-11-11T20:03:51+08:00", "location": "浙江省杭州市",
        "status": "delivered", "description": "快件已签收，签收人：本人"}


def test_event_from_json():
    event = event_from_json(GOOD)
    assert event == TrackingEvent("YT7712345678901", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA), "浙江省杭州市",
                                  "delivered", "快件已签收，签收人：本人")
    assert event_from_json({**GOOD, "status": "已签收"}).status == "delivered"
    assert event_from_json({**GOOD, "status": "派件中"}).status == "delivering"
    assert event_from_json({**GOOD, "status": None, "description": "快件已退回"}).status == "returned"
    naive = event_from_json({**GOOD, "time": "2026-11-11T20:03:51"})
    assert naive.time == event.time and naive.time.utcoffset() == timedelta(hours=8)
    assert event_from_json({**GOOD, "time": "2026-11-11T12:03:51Z"}).time == event.time
    assert event_from_json({k: v for k, v in GOOD.items() if k != "location"}).location == ""


@pytest.mark.parametrize(("body", "field"), [
    ({k: v for k, v in GOOD.items() if k != "tracking_no"}, "tracking_no"),
    ({**GOOD, "tracking_no": "  "}, "tracking_no"),
    ({**GOOD, "tracking_no": 7712345678901}, "tracking_no"),
    ({k: v for k, v in GOOD.items() if k != "time"}, "time"),
    ({**GOOD, "time": "11/11/2026 20:03"}, "time"),
    ({**GOOD, "time": 1763000000}, "time"),
    ({**GOOD, "location": ["杭州"]}, "location"),
    ({**GOOD, "status": "arrived"}, "status"),
    ({**GOOD, "status": 3}, "status"),
    ({**GOOD, "status": "", "description": ""}, "status"),
    ({**GOOD, "description": {"text": "x"}}, "description"),
])
def test_event_from_json_errors_name_the_field(body, field):
    with pytest.raises(ValueError) as caught:
        event_from_json(body)
    assert str(caught.value).startswith(f"{field}:")


def test_event_from_json_needs_an_object():
    with pytest.raises(ValueError, match="body"):
        event_from_json(["YT1"])
