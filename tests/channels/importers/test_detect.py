"""Telling the three formats apart by their header row."""

from __future__ import annotations

import pytest

from shopdesk.channels.importers import FORMATS, detect_format, generic
from shopdesk.channels.importers.records import ImportFileError

from .helpers import SAMPLES, csv_text, write, write_xlsx
from .test_jd import JD_HEADERS, SHUFFLED


def test_formats():
    assert FORMATS == ("taobao", "jd", "generic")


def test_taobao_sample():
    assert detect_format(SAMPLES / "ExportOrderList.csv") == "taobao"


def test_taobao_items_file_is_explained():
    with pytest.raises(ImportFileError, match="ExportOrderDetailList"):
        detect_format(SAMPLES / "ExportOrderDetailList.csv")


def test_jd(tmp_path):
    assert detect_format(write_xlsx(tmp_path / "jd.xlsx", SHUFFLED, [])) == "jd"
    assert detect_format(write(tmp_path / "jd.csv", csv_text(JD_HEADERS, []), "utf-8-sig")) == "jd"


def test_generic(tmp_path):
    xlsx = tmp_path / "t.xlsx"
    xlsx.write_bytes(generic.template_xlsx())
    csv = tmp_path / "t.csv"
    csv.write_bytes(generic.template_csv())
    assert detect_format(xlsx) == detect_format(csv) == "generic"


def test_unknown(tmp_path, english):
    path = write(tmp_path / "货品.csv", csv_text(["货号", "商品名称"], [["A1", "文胸"]]))
    with pytest.raises(ImportFileError) as exc:
        detect_format(path)
    message = str(exc.value)
    assert "货品.csv" in message
    for key in ("订单编号", "买家会员名", "订单号", "客户姓名", "店铺订单号"):
        assert key in message


def test_empty(tmp_path):
    with pytest.raises(ImportFileError, match="empty.csv"):
        detect_format(write(tmp_path / "empty.csv", ""))
