"""Rows of workbooks people download: text stays text.

openpyxl writes a string that starts with "=" as a formula; a buyer's review, an item title or a tracking number
typed that way would run in the reader's Excel (spreadsheet formula injection). `row` turns such values into text
cells; it works for write-only and ordinary worksheets alike.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl.cell import WriteOnlyCell


def row(sheet, values: Iterable) -> list:
    out = []
    for value in values:
        if isinstance(value, str) and value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            value = cell
        out.append(value)
    return out
