"""Encodings, cell helpers and row numbering shared by the importers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shopdesk.channels.importers import textfile
from shopdesk.channels.importers.records import ImportFileError
from shopdesk.channels.importers.textfile import (
    CellError,
    cell_text,
    clean_landline,
    clean_mobile,
    code_of,
    datetime_of,
    decimal_of,
    detect_encoding,
    iter_rows,
    open_text,
    quantity_of,
    unwrap,
    yes_no,
)

CHINA = ZoneInfo("Asia/Shanghai")
TEXT = "订单编号,收货人姓名\r\n1,张秀英\r\n2,林敏\r\n"


@pytest.mark.parametrize(("encoding", "expected"), [
    ("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030"),
    ("utf-16", "utf-16"),
])
def test_encodings(tmp_path, encoding, expected):
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT.encode(encoding))
    assert detect_encoding(path) == expected
    with open_text(path) as f:
        assert f.read() == TEXT


def test_utf8_character_cut_at_a_chunk_border_is_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(textfile, "_CHUNK", 5)  # every chunk border falls inside some 3-byte character
    path = tmp_path / "f.csv"
    path.write_bytes(TEXT.encode("utf-8"))
    assert detect_encoding(path) == "utf-8"


def test_non_utf8_byte_far_into_the_file_means_gbk(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(("a,b\r\n" + "1,2\r\n" * 30000).encode() + "3,张\r\n".encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    assert list(iter_rows(path))[-1] == (30002, ["3", "张"])


def test_rows_keep_physical_line_numbers(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text('a,b\r\n\r\n1,"two\r\nlines"\r\n,\r\n  \r\n3,x\r\n4\r\n', encoding="utf-8")
    # A row of spaces is a row here (the parsers skip it: no order number, nothing else either).
    assert list(iter_rows(path)) == [(1, ["a", "b"]), (3, ["1", "two\r\nlines"]), (6, ["  ", ""]), (7, ["3", "x"]),
                                     (8, ["4", ""])]


def test_tab_separated(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("订单编号\t收货人姓名\r\n1\t张三\r\n", encoding="utf-16")
    assert list(iter_rows(path)) == [(1, ["订单编号", "收货人姓名"]), (2, ["1", "张三"])]


def test_old_xls_is_refused(tmp_path):
    path = tmp_path / "orders.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(ImportFileError, match=r"orders\.xls"):
        list(iter_rows(path))


def test_broken_xlsx_is_refused(tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match=r"orders\.xlsx"):
        list(iter_rows(path))


@pytest.mark.parametrize(("raw", "expected"), [
    ('="555200494606748983"', "555200494606748983"),
    (' ="555200494606748983" ', "555200494606748983"),
    ('="555200494606748983', "555200494606748983"),
    ('"=""555200494606748983"""', "555200494606748983"),
    ("'13830166131", "13830166131"),
    ("\t13830166131", "13830166131"),
    ("SS-BRIEF-002-1", "SS-BRIEF-002-1"),
    ("", ""),
    (None, ""),
    (123456789012, "123456789012"),
    (123456789012.0, "123456789012"),
])
def test_unwrap(raw, expected):
    assert unwrap(raw) == expected


def test_code_rounded_by_excel_is_refused():
    with pytest.raises(CellError) as exc:
        code_of("5.55200494606749E+17", "订单编号", 7)
    assert exc.value.line_no == 7
    assert exc.value.reason.startswith("订单编号: ")
    assert code_of("ABCE+1", "商家编码", 2) == "ABCE+1"
    assert cell_text(555200494606748983.0) == "5.55200494606749E+17"


@pytest.mark.parametrize(("raw", "mobile", "landline"), [
    ("13830166131", "13830166131", "13830166131"),
    ("'13830166131", "13830166131", "13830166131"),
    ('="13830166131"', "13830166131", "13830166131"),
    ("138 3016 6131", "13830166131", "13830166131"),
    ("138-3016-6131", "13830166131", "138-3016-6131"),
    ("+86 138 3016 6131", "13830166131", "8613830166131"),
    ("'0571-88888888", "057188888888", "0571-88888888"),
    ("", "", ""),
])
def test_phones(raw, mobile, landline):
    assert clean_mobile(raw) == mobile
    assert clean_landline(raw) == landline


@pytest.mark.parametrize(("raw", "expected"), [
    ("39.90", Decimal("39.90")), ("¥39.90", Decimal("39.90")), ("￥1,234.00", Decimal("1234.00")),
    ("1,234.00", Decimal("1234.00")), (" 12 ", Decimal("12")), ("12元", Decimal("12")), ("", Decimal("0")),
    ("0.00", Decimal("0")),
])
def test_decimal_of(raw, expected):
    assert decimal_of(raw, "买家应付货款", 3) == expected


@pytest.mark.parametrize("raw", ["abc", "12.3.4", "NaN", "Infinity", "-1.00"])
def test_decimal_of_refuses(raw):
    with pytest.raises(CellError) as exc:
        decimal_of(raw, "买家应付货款", 3)
    assert exc.value.line_no == 3
    assert exc.value.reason.startswith("买家应付货款: ")
    assert raw in exc.value.reason
    assert exc.value.row_error("orders").file == "orders"


def test_decimal_of_required():
    with pytest.raises(CellError, match="单价"):
        decimal_of("", "单价", 3, required=True)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-11 20:03:51", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)),
    ("2026/11/11 20:03:51", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)),
    ("2026-11-11 20:03", datetime(2026, 11, 11, 20, 3, tzinfo=CHINA)),
    ("2026/1/5 8:03", datetime(2026, 1, 5, 8, 3, tzinfo=CHINA)),
    ("2026-11-11", datetime(2026, 11, 11, tzinfo=CHINA)),
    ("2026年11月11日 20:03:51", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)),
    ("2026-11-11T12:03:51+00:00", datetime(2026, 11, 11, 20, 3, 51, tzinfo=CHINA)),
    ("", None),
])
def test_datetime_of(raw, expected):
    value = datetime_of(raw, "订单创建时间", 4)
    assert value == expected
    if value is not None:
        assert value.tzinfo is not None and value.utcoffset().total_seconds() == 8 * 3600
        assert (value.year, value.hour) == (expected.year, expected.hour)  # local China time, not converted


@pytest.mark.parametrize("raw", ["yesterday", "2026-13-01 00:00:00", "11/11/2026 20:03"])
def test_datetime_of_refuses(raw):
    with pytest.raises(CellError) as exc:
        datetime_of(raw, "订单付款时间", 4)
    assert exc.value.reason.startswith("订单付款时间: ")


def test_datetime_of_required():
    with pytest.raises(CellError, match="订单创建时间"):
        datetime_of(" ", "订单创建时间", 4, required=True)


def test_excel_datetime_cell_rounded_to_the_second():
    assert cell_text(datetime(2026, 11, 11, 20, 3, 50, 999999)) == "2026-11-11 20:03:51"
    assert cell_text(119.69999999999999) == "119.7"
    assert cell_text(True) == "是"


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("3", 3), (" 2 ", 2), ("2.0", 2)])
def test_quantity_of(raw, expected):
    assert quantity_of(raw, "购买数量", 5) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "", "two"])
def test_quantity_of_refuses(raw):
    with pytest.raises(CellError, match="购买数量"):
        quantity_of(raw, "购买数量", 5)


@pytest.mark.parametrize(("raw", "expected"), [
    ("是", True), ("否", False), ("1", True), ("0", False), ("Y", True), ("n", False), ("", False), ("TRUE", True),
])
def test_yes_no(raw, expected):
    assert yes_no(raw, "货到付款", 2) is expected


def test_yes_no_refuses():
    with pytest.raises(CellError, match="货到付款"):
        yes_no("也许", "货到付款", 2)
