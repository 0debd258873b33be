"""Chat-log import (聊天记录导入): the documented layout in GBK, UTF-8 with BOM and xlsx; all or nothing with every bad
row named; idempotent; the stored KPI fields (response time, first response, waiting since, status) as the live
services would have written them; agents matched to ShopDesk users; shop access; the command line."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from shopdesk import cli
from shopdesk.core import clock
from shopdesk.core.errors import NotAllowed
from shopdesk.core.models import AuditEvent
from shopdesk.service import chatlog
from shopdesk.service.models import Conversation, Message

CN = ZoneInfo("Asia/Shanghai")
DATA = Path(__file__).resolve().parents[1] / "data" / "chatlog"
HEADER = ["时间", "店铺", "买家", "客服", "方向", "内容"]


@pytest.fixture(autouse=True)
def _now():
    """The day after the sample chats (a chat log from the future is refused)."""
    with clock.freeze(datetime(2026, 11, 23, 12, 0, tzinfo=CN)):
        yield


def write_csv(folder: Path, rows, *, name="chats.csv", header=HEADER, encoding="utf-8") -> Path:
    path = folder / name
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, actor=None, **kw):
    return chatlog.import_chat_log(actor=actor, path=path, **kw)


def thread(conversation):
    return list(conversation.messages.order_by("sent_at", "id"))


# --- formats --------------------------------------------------------------------------------------------------


def test_gbk_export_with_alternative_headers(shop, agent):
    summary = run(DATA / "good_gbk.csv")
    assert (summary.created, summary.duplicates, summary.rejected, summary.conversations) == (7, 0, [], 2)
    first = Conversation.objects.get(shop=shop, buyer_id="tb_buyer01")
    assert first.channel == Conversation.Channel.PLATFORM
    messages = thread(first)
    assert [m.direction for m in messages] == ["buyer", "agent", "buyer", "agent"]
    assert messages[0].text == "亲，在吗？这款有现货吗"
    assert messages[0].sent_at == datetime(2026, 11, 22, 9, 30, 5, tzinfo=CN)
    assert messages[3].sent_at == datetime(2026, 11, 22, 9, 33, tzinfo=CN)  # "2026/11/22 9:33"
    assert {m.source for m in messages} == {Message.Source.IMPORT}
    # "测试天猫店:小美" is the sub-account of the agent whose display name is 小美.
    assert messages[1].agent == agent and messages[1].agent_name == "测试天猫店:小美"
    second = thread(Conversation.objects.get(shop=shop, buyer_id="tb_buyer02"))
    assert second[1].text == "默认中通，\n顺丰需要补差价哦"  # a quoted cell over two lines
    assert second[1].agent is None and second[1].agent_name == "测试天猫店:阿强"


def test_utf8_bom_with_iso_times_and_a_system_row(shop):
    summary = run(DATA / "good_utf8_bom.csv")
    assert (summary.created, summary.rejected) == (5, [])
    messages = thread(Conversation.objects.get(shop=shop, buyer_id="tb_buyer01"))
    assert [m.direction for m in messages] == ["buyer", "agent", "system", "buyer", "agent"]
    assert messages[1].sent_at == datetime(2026, 11, 22, 9, 31, 5, tzinfo=CN)
    assert messages[3].sent_at == datetime(2026, 11, 22, 9, 40, tzinfo=CN)  # 01:40Z
    assert messages[2].response_seconds is None and not messages[2].first_response  # the system does not answer
    assert messages[4].response_seconds == 90


def test_xlsx_with_datetime_cells_and_numeric_buyer_ids(tmp_path, shop, other_shop):
    book = Workbook()
    sheet = book.active
    sheet.append(["time", "shop", "buyer", "agent", "direction", "text"])  # the English aliases
    sheet.append([datetime(2026, 11, 22, 14, 0, 0), "jd-main", 88001234, None, "buyer", "有发票吗"])
    sheet.append([datetime(2026, 11, 22, 14, 0, 45), "jd-main", 88001234, "小李", "agent", "亲，可以开电子发票哦"])
    sheet.append(["2026-11-22 14:05", "测试天猫店", "tb_x", None, "买家", "在吗"])
    path = tmp_path / "chats.xlsx"
    book.save(path)
    summary = run(path)
    assert (summary.created, summary.rejected, summary.new_conversations) == (3, [], 2)
    jd = Conversation.objects.get(shop=other_shop, buyer_id="88001234")
    answer = jd.messages.get(direction="agent")
    assert answer.response_seconds == 45 and answer.first_response
    assert Conversation.objects.get(shop=shop, buyer_id="tb_x").status == Conversation.Status.OPEN


def test_template_workbook_imports_into_the_shop(tmp_path, shop):
    path = tmp_path / "template.xlsx"
    path.write_bytes(chatlog.template_xlsx())
    assert [c.value for c in load_workbook(path).worksheets[0][1]] == chatlog.TEMPLATE_HEADERS
    summary = run(path)
    assert (summary.created, summary.rejected) == (4, [])


def test_default_shop_for_rows_without_one(tmp_path, shop, other_shop):
    path = write_csv(tmp_path, [["2026-11-22 10:00:00", "tb1", "", "买家", "在吗"],
                                ["2026-11-22 10:00:30", "tb1", "小美", "客服", "在的"]],
                     header=["时间", "买家", "客服", "方向", "内容"])
    refused = run(path)  # no 店铺 column and no shop chosen: the whole file is refused
    assert refused.created == 0 and refused.rejected[0]["line"] == 0 and "店铺" in refused.rejected[0]["reason"]
    summary = run(path, default_shop=other_shop)
    assert summary.created == 2
    assert Conversation.objects.get(buyer_id="tb1").shop == other_shop


# --- all or nothing -------------------------------------------------------------------------------------------


def test_bad_rows_import_nothing_and_are_all_named(shop, agent, english):
    summary = run(DATA / "bad_rows.csv")
    assert summary.created == 0 and summary.rejected_count == 7
    assert Message.objects.count() == 0 and Conversation.objects.count() == 0
    found = {(r["line"], r["column"]): r["reason"] for r in summary.rejected}
    assert set(found) == {(3, "买家"), (4, "店铺"), (5, "时间"), (6, "方向"), (7, "内容"), (8, "客服"), (10, "内容")}
    assert found[(3, "买家")] == "must not be empty"
    assert "no-such-shop" in found[(4, "店铺")]
    assert "昨天下午" in found[(5, "时间")]
    assert "撤回" in found[(6, "方向")]
    assert "2000" in found[(7, "内容")] and "2001" in found[(7, "内容")]
    assert "agent" in found[(8, "客服")]
    assert "nothing was imported" in summary.error
    assert not AuditEvent.objects.filter(action="service.chatlog_imported").exists()


def test_future_time_and_unreadable_file(tmp_path, shop, english):
    path = write_csv(tmp_path, [["2026-11-24 10:00:00", "tmall-main", "b", "", "买家", "在吗"]])
    summary = run(path)
    assert summary.rejected == [{"line": 2, "column": "时间", "reason": "2026-11-24 10:00:00 is in the future"}]
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    summary = run(old)
    assert summary.rejected_count == 1 and summary.rejected[0]["line"] == 0 and ".xls" in summary.rejected[0]["reason"]


def test_shop_by_name_must_be_unambiguous(tmp_path, shop, english):
    from shopdesk.channels.services import add_shop

    add_shop(actor=None, code="tmall-two", platform="tmall", name="测试天猫店")
    path = write_csv(tmp_path, [["2026-11-22 10:00:00", "测试天猫店", "b", "", "买家", "在吗"]])
    summary = run(path)
    assert "shop code" in summary.rejected[0]["reason"]


# --- idempotency ----------------------------------------------------------------------------------------------


def test_same_file_twice_adds_nothing(shop, agent):
    first = run(DATA / "good_gbk.csv")
    stored = list(Message.objects.order_by("id").values_list("id", "response_seconds", "first_response"))
    again = run(DATA / "good_gbk.csv")
    assert (again.created, again.duplicates, again.conversations, again.new_conversations) == (0, 7, 0, 0)
    assert first.created == 7
    assert list(Message.objects.order_by("id").values_list("id", "response_seconds", "first_response")) == stored
    events = AuditEvent.objects.filter(action="service.chatlog_imported").order_by("id")
    assert [e.changes["messages_created"]["after"] for e in events] == [7, 0]
    assert events[0].changes["file"]["after"] == "good_gbk.csv"
    assert events[1].changes["duplicates"]["after"] == 7


def test_the_same_message_in_two_encodings_is_one_message(tmp_path, shop):
    rows = [["2026/11/22 9:30", "tmall-main", "b1", "", "收", "在吗"],
            ["2026-11-22T09:31:00+08:00", "tmall-main", "b1", "小美", "发", "在的亲"]]
    run(write_csv(tmp_path, rows, name="a.csv", encoding="gbk"))
    same = [["2026-11-22 09:30:00", "tmall-main", "b1", "", "买家", "在吗"],
            ["2026-11-22 01:31:00Z", "tmall-main", "b1", "小美", "客服", "在的亲"]]
    summary = run(write_csv(tmp_path, same, name="b.csv", encoding="utf-8-sig"))
    assert (summary.created, summary.duplicates) == (0, 2)


def test_repeated_identical_messages_are_kept_and_still_idempotent(tmp_path, shop):
    rows = [["2026-11-22 10:00:00", "tmall-main", "b1", "", "买家", "？"],
            ["2026-11-22 10:00:00", "tmall-main", "b1", "", "买家", "？"],
            ["2026-11-22 10:00:09", "tmall-main", "b1", "小美", "客服", "亲，在的"]]
    path = write_csv(tmp_path, rows)
    assert run(path).created == 3
    assert run(path).duplicates == 3
    assert Message.objects.count() == 3


def test_overlapping_export_adds_only_the_new_messages(tmp_path, shop):
    early = [["2026-11-22 10:00:00", "tmall-main", "b1", "", "买家", "在吗"]]
    run(write_csv(tmp_path, early, name="morning.csv"))
    conversation = Conversation.objects.get(buyer_id="b1")
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.waiting_since == datetime(2026, 11, 22, 10, 0, tzinfo=CN)
    later = [*early, ["2026-11-22 10:02:00", "tmall-main", "b1", "小美", "客服", "在的亲"]]
    summary = run(write_csv(tmp_path, later, name="day.csv"))
    assert (summary.created, summary.duplicates, summary.new_conversations) == (1, 1, 0)
    answer = Message.objects.get(direction="agent")
    assert answer.response_seconds == 120 and answer.first_response
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING and conversation.waiting_since is None


def test_a_concurrent_import_of_the_same_messages_fails_whole(tmp_path, shop, monkeypatch):
    """The unique constraint is the last guard: if another run stored a message between our check and our insert,
    the whole import is rolled back (a Conflict, nothing of it stays) and can simply be run again. (In one test
    connection the "other run" is nested in ours, so it is rolled back with it.)"""
    from shopdesk.core.errors import Conflict

    path = write_csv(tmp_path, [["2026-11-22 10:00:00", "tmall-main", "b1", "", "买家", "在吗"],
                                ["2026-11-22 10:00:30", "tmall-main", "b1", "小美", "客服", "在的"]])
    real = chatlog._stored_messages
    raced = []

    def racing(ids):
        found = real(ids)
        if not raced:
            raced.append(True)
            run(path)  # "another import" commits the same messages meanwhile
        return found

    run(write_csv(tmp_path, [["2026-11-22 09:00:00", "tmall-main", "b1", "", "买家", "早"]], name="first.csv"))
    monkeypatch.setattr(chatlog, "_stored_messages", racing)
    with pytest.raises(Conflict):
        run(path)
    monkeypatch.undo()
    assert list(Message.objects.values_list("text", flat=True)) == ["早"]
    assert not AuditEvent.objects.filter(action="service.chatlog_imported", changes__file__after="chats.csv").exists()
    again = run(path)
    assert (again.created, again.duplicates) == (2, 0)
    assert run(path).duplicates == 2


# --- the stored KPI fields ------------------------------------------------------------------------------------


def test_response_times_and_first_responses_on_a_known_sequence(tmp_path, shop, agent):
    rows = [
        ["2026-11-22 09:00:00", "tmall-main", "b1", "", "买家", "在吗"],
        ["2026-11-22 09:00:20", "tmall-main", "b1", "", "买家", "这款有货吗"],
        ["2026-11-22 09:00:50", "tmall-main", "b1", "小美", "客服", "亲，有货的"],  # 50 s since 09:00:00, first
        ["2026-11-22 09:05:00", "tmall-main", "b1", "", "买家", "包邮吗"],
        ["2026-11-22 09:05:10", "tmall-main", "b1", "小美", "客服", "亲，包邮哦"],  # 10 s, not first
        ["2026-11-22 09:06:00", "tmall-main", "b1", "小美", "客服", "还有其他问题吗"],  # nobody waiting
        ["2026-11-22 09:07:00", "tmall-main", "b1", "", "系统", "买家已下单"],
        ["2026-11-23 10:00:00", "tmall-main", "b1", "", "买家", "发货了吗"],
        ["2026-11-23 10:02:00", "tmall-main", "b1", "小美", "客服", "亲，今天发出"],  # 120 s, first of the 23rd
        ["2026-11-23 10:03:00", "tmall-main", "b1", "", "买家", "好的"],  # left waiting
    ]
    run(write_csv(tmp_path, rows))
    messages = thread(Conversation.objects.get(buyer_id="b1"))
    answers = [(m.text, m.response_seconds, m.first_response) for m in messages if m.direction == "agent"]
    assert answers == [("亲，有货的", 50, True), ("亲，包邮哦", 10, False), ("还有其他问题吗", None, False),
                       ("亲，今天发出", 120, True)]
    conversation = Conversation.objects.get(buyer_id="b1")
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.waiting_since == datetime(2026, 11, 23, 10, 3, tzinfo=CN)
    assert conversation.last_message_at == datetime(2026, 11, 23, 10, 3, tzinfo=CN)
    assert conversation.assignee == agent  # the first answering agent, as a live answer does
    assert all(m.intent for m in messages if m.direction == "buyer")
    assert not any(m.intent for m in messages if m.direction != "buyer")


def test_same_values_as_the_live_services(tmp_path, shop, agent, chat, cn_time):
    """The same conversation played live and imported stores the same KPI fields."""
    script = [("buyer", "在吗", cn_time(2026, 11, 22, 9, 0)), ("buyer", "有货吗", cn_time(2026, 11, 22, 9, 0, 30)),
              ("agent", "在的亲", cn_time(2026, 11, 22, 9, 1, 15)), ("buyer", "包邮吗", cn_time(2026, 11, 22, 9, 3)),
              ("agent", "包邮哦", cn_time(2026, 11, 22, 9, 3, 5)), ("agent", "还有吗", cn_time(2026, 11, 22, 9, 4)),
              ("buyer", "谢谢", cn_time(2026, 11, 22, 9, 5))]
    live = chat(script, buyer="live")
    rows = [[f"{at:%Y-%m-%d %H:%M:%S}", "tmall-main", "imported", "小美" if who == "agent" else "",
             "客服" if who == "agent" else "买家", text] for who, text, at in script]
    run(write_csv(tmp_path, rows))
    imported = Conversation.objects.get(buyer_id="imported")
    fields = ("direction", "text", "sent_at", "response_seconds", "first_response", "agent_id", "intent")
    assert ([tuple(getattr(m, f) for f in fields) for m in thread(imported)]
            == [tuple(getattr(m, f) for f in fields) for m in thread(live)])
    assert ((imported.status, imported.waiting_since, imported.last_message_at, imported.assignee_id)
            == (live.status, live.waiting_since, live.last_message_at, live.assignee_id))


def test_imported_history_before_live_messages_moves_the_first_response(tmp_path, shop, agent, chat, cn_time):
    live = chat([("buyer", "还在吗", cn_time(2026, 11, 22, 11, 0)), ("agent", "在的", cn_time(2026, 11, 22, 11, 1))],
                buyer="b1")
    live_answer = live.messages.get(direction="agent")
    assert (live_answer.response_seconds, live_answer.first_response) == (60, True)
    run(write_csv(tmp_path, [["2026-11-22 09:00:00", "tmall-main", "b1", "", "买家", "在吗"],
                             ["2026-11-22 09:00:30", "tmall-main", "b1", "平台客服", "客服", "亲，您好"]]))
    live_answer.refresh_from_db()
    assert (live_answer.response_seconds, live_answer.first_response) == (60, False)
    earlier = Message.objects.get(text="亲，您好")
    assert (earlier.response_seconds, earlier.first_response) == (30, True)
    live.refresh_from_db()
    assert live.channel == Conversation.Channel.API and live.status == Conversation.Status.WAITING
    assert live.last_message_at == datetime(2026, 11, 22, 11, 1, tzinfo=CN)


def test_newest_first_export_keeps_the_question_before_the_answer(tmp_path, shop):
    rows = [["2026-11-22 10:01:00", "tmall-main", "b1", "小美", "客服", "好的亲"],
            ["2026-11-22 10:00:00", "tmall-main", "b1", "小美", "客服", "在的亲"],  # the same second as the question
            ["2026-11-22 10:00:00", "tmall-main", "b1", "", "买家", "在吗"]]
    run(write_csv(tmp_path, rows))
    messages = thread(Conversation.objects.get(buyer_id="b1"))
    assert [m.text for m in messages] == ["在吗", "在的亲", "好的亲"]
    assert (messages[1].response_seconds, messages[1].first_response) == (0, True)


def test_a_closed_conversation_stays_closed_for_older_history(tmp_path, shop, agent, chat, cn_time):
    closed = chat([("buyer", "在吗", cn_time(2026, 11, 22, 15, 0)), ("agent", "在的", cn_time(2026, 11, 22, 15, 1)),
                   ("close", "", cn_time(2026, 11, 22, 15, 2))], buyer="b1")
    run(write_csv(tmp_path, [["2026-11-22 09:00:00", "tmall-main", "b1", "", "买家", "早"]]))
    closed.refresh_from_db()
    assert closed.status == Conversation.Status.CLOSED
    run(write_csv(tmp_path, [["2026-11-22 16:00:00", "tmall-main", "b1", "", "买家", "还有个问题"]], name="b.csv"))
    closed.refresh_from_db()
    assert closed.status == Conversation.Status.OPEN and closed.closed_at is None
    assert closed.waiting_since == datetime(2026, 11, 22, 16, 0, tzinfo=CN)


# --- agents ---------------------------------------------------------------------------------------------------


def test_agent_matching(tmp_path, shop, make_user, agent):
    by_username = make_user("cs_aftersales", username="zhang.wei", shops=[shop])
    make_user("cs_presales", display_name="小王", shops=[shop])
    make_user("cs_presales", display_name="小王", shops=[shop])
    rows = [["2026-11-22 10:00:00", "tmall-main", "b1", "", "买家", "在吗"],
            ["2026-11-22 10:00:01", "tmall-main", "b1", "小美", "客服", "by display name"],
            ["2026-11-22 10:00:02", "tmall-main", "b1", "zhang.wei", "客服", "by user name"],
            ["2026-11-22 10:00:03", "tmall-main", "b1", "测试天猫店：zhang.wei", "客服", "sub-account"],
            ["2026-11-22 10:00:04", "tmall-main", "b1", "小王", "客服", "two people are called 小王"],
            ["2026-11-22 10:00:05", "tmall-main", "b1", "平台客服007", "客服", "nobody in ShopDesk"],
            ["2026-11-22 10:00:06", "tmall-main", "b1", "小美", "买家", "a buyer row keeps no agent"]]
    assert run(write_csv(tmp_path, rows)).rejected == []
    got = {m.text: (m.agent, m.agent_name) for m in Message.objects.all()}
    assert got["by display name"] == (agent, "小美")
    assert got["by user name"] == (by_username, "zhang.wei")
    assert got["sub-account"] == (by_username, "测试天猫店：zhang.wei")
    assert got["two people are called 小王"] == (None, "小王")
    assert got["nobody in ShopDesk"] == (None, "平台客服007")
    assert got["a buyer row keeps no agent"] == (None, "")


# --- permissions ----------------------------------------------------------------------------------------------


def test_permission_and_shop_access(shop, other_shop, agent, supervisor, make_user):
    with pytest.raises(NotAllowed):
        run(DATA / "good_utf8_bom.csv", actor=agent)  # agents do not import
    outsider = make_user("cs_supervisor", shops=[other_shop])
    with pytest.raises(NotAllowed):
        run(DATA / "good_utf8_bom.csv", actor=outsider)  # the file's shop is not theirs
    with pytest.raises(NotAllowed):
        run(DATA / "good_utf8_bom.csv", actor=supervisor, default_shop=other_shop)
    assert Message.objects.count() == 0
    assert run(DATA / "good_utf8_bom.csv", actor=supervisor).created == 5
    event = AuditEvent.objects.get(action="service.chatlog_imported")
    assert event.actor_id == supervisor.pk and event.changes["shops"]["after"] == ["tmall-main"]


def test_shop_access_is_checked_even_when_rows_are_bad(tmp_path, shop, other_shop, supervisor):
    path = write_csv(tmp_path, [["2026-11-22 10:00:00", "jd-main", "b1", "", "买家", ""]])
    with pytest.raises(NotAllowed):
        run(path, actor=supervisor)


# --- command line ---------------------------------------------------------------------------------------------


def test_cli_json_and_exit_codes(shop, other_shop, capsys):
    assert cli.main(["service", "import-chats", str(DATA / "good_gbk.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["created"], out["duplicates"], out["rejected"]) == (7, 0, [])
    assert cli.main(["service", "import-chats", str(DATA / "good_gbk.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["created"], out["duplicates"]) == (0, 7)
    assert cli.main(["service", "import-chats", str(DATA / "bad_rows.csv"), "--json"]) == 1
    captured = capsys.readouterr()
    out = json.loads(captured.out)  # exactly one JSON object
    assert out["created"] == 0 and [r["line"] for r in out["rejected"]] == [3, 4, 5, 6, 7, 8, 10]


def test_cli_text_output_and_default_shop(tmp_path, shop, other_shop, capsys):
    path = write_csv(tmp_path, [["2026-11-22 10:00:00", "b1", "", "买家", "在吗"]],
                     header=["时间", "买家", "客服", "方向", "内容"])
    assert cli.main(["service", "import-chats", str(path), "--shop", "jd-main"]) == 0
    assert "created 1, duplicates 0" in capsys.readouterr().out
    assert Conversation.objects.get(buyer_id="b1").shop == other_shop
    assert cli.main(["service", "import-chats", str(DATA / "bad_rows.csv")]) == 1
    captured = capsys.readouterr()
    assert "line 3, 买家:" in captured.out and "nothing was imported" in captured.err
    assert cli.main(["service", "import-chats", str(path), "--shop", "nope"]) == 1
    assert "no shop with code nope" in capsys.readouterr().err
