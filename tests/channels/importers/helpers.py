"""Writing small order files for the importer tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from shopdesk.channels.importers.records import OrderRecord, RowError

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "taobao"


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write(path: Path, text: str, encoding: str = "gbk") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list], *,
               blank_rows_before: dict[int, int] | None = None) -> Path:
    """A one-sheet workbook; blank_rows_before {data row index: number of empty rows written before it}."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    number = 1
    for index, row in enumerate(rows):
        number += (blank_rows_before or {}).get(index, 0) + 1
        for column, value in enumerate(row, start=1):
            if value is not None:
                cell = sheet.cell(row=number, column=column, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text as typed, not a formula (openpyxl cannot store a formula's result)
    workbook.save(path)
    return path


def orders(items) -> list[OrderRecord]:
    return [r for r in items if isinstance(r, OrderRecord)]


def errors(items) -> list[RowError]:
    return [r for r in items if isinstance(r, RowError)]
