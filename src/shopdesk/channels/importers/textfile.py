"""Reading the order files: text encodings, rows of CSV or xlsx files, header maps and cell values.

Platform exports come in three encodings: UTF-8 with a BOM (what Excel writes as "CSV UTF-8"), UTF-8 without one,
and GBK (the Taobao seller centre, and Excel on Chinese Windows). `open_text` finds out which; GBK files are read
as GB18030, its superset. Cells of long numbers are often written as Excel formulas (`="555200494606748983"`) or
with a leading `'` so that Excel keeps them as text; `unwrap` removes both.

`iter_rows` yields the rows of a CSV or xlsx file as text cells with their physical line numbers (the header is
line 1; a quoted cell may span several lines, blank lines are skipped but still counted). The parsers map columns by
header name with `header_index` and convert cells with `decimal_of`, `datetime_of` ..., which raise `CellError`;
the parsers turn that into a `RowError` naming the line and the column.
"""

from __future__ import annotations

import codecs
import csv
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TextIO
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from .records import ImportFileError, OrderRecord, RowError

CHINA = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0")
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
_CHUNK = 1 << 20
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                     "%Y年%m月%d日")
_MOBILE_JUNK = str.maketrans("", "", " -\u3000\t")
TRUE_WORDS = frozenset({"是", "1", "Y", "YES", "TRUE", "√", "✓"})
FALSE_WORDS = frozenset({"否", "0", "N", "NO", "FALSE", "×", ""})
# Excel keeps 15 significant digits: a bigger number typed into a cell (an 18-digit order number) has lost digits.
_EXACT_FLOAT_LIMIT = 1e15


class CellError(ValueError):
    """A cell that cannot be read; `reason` already names the column."""

    def __init__(self, line_no: int, reason: str):
        super().__init__(reason)
        self.line_no = line_no
        self.reason = reason

    def row_error(self, file: str = "") -> RowError:
        return RowError(self.line_no, self.reason, file)


def file_label(path) -> str:
    """The file's name as the person chose it, for messages."""
    return os.path.basename(os.fspath(path))


# --- encodings and rows ------------------------------------------------------------------------------------------


def detect_encoding(path) -> str:
    """"utf-8-sig", "utf-16", "utf-8" or "gb18030". Checks the whole file for UTF-8 in chunks (never all in memory)."""
    with open(path, "rb") as f:
        head = f.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()  # keeps a character cut at a chunk border for the next one
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def open_text(path) -> TextIO:
    """Open a CSV file for the csv module (newline=""), in the encoding it is written in."""
    return open(path, encoding=detect_encoding(path), newline="")  # the caller closes it


def is_xlsx(path) -> bool:
    """True for an xlsx workbook, by its first bytes (the zip magic), whatever the file is called: uploads are often
    misnamed (a CSV saved as .xlsx). ImportFileError for an old binary .xls workbook."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == OLE_MAGIC:
        raise ImportFileError(gettext("%(file)s: the old Excel .xls format cannot be read; save it as .xlsx or CSV "
                                      "and import again.") % {"file": file_label(path)})
    return magic == XLSX_MAGIC


def iter_rows(path) -> Iterator[tuple[int, list[str]]]:
    """(line number, text cells) of each non-blank row, the header row first; data rows are padded to the header's
    width. A CSV file or the first worksheet of an xlsx workbook. Unreadable files raise ImportFileError."""
    if is_xlsx(path):
        yield from _xlsx_rows(path)
    else:
        yield from _csv_rows(path)


def _csv_rows(path) -> Iterator[tuple[int, list[str]]]:
    label = file_label(path)
    end = 0
    with open_text(path) as f:
        try:
            first = f.readline()
            delimiter = "\t" if "\t" in first and "," not in first else ","
            f.seek(0)
            reader = csv.reader(f, delimiter=delimiter)
            width = 0
            for row in reader:
                start = end + 1  # the physical line the row starts on (a quoted cell may hold line breaks)
                end = reader.line_num
                if not any(row):
                    continue
                if not width:
                    width = len(row)
                elif len(row) < width:
                    row.extend([""] * (width - len(row)))
                yield start, row
        except UnicodeDecodeError as exc:
            # The text is decoded in blocks: the bad bytes are somewhere after the last row read.
            raise ImportFileError(gettext("%(file)s: the text after line %(line)d is not valid %(encoding)s; save the "
                                          "file as CSV in UTF-8 or GBK and import again.")
                                  % {"file": label, "line": end, "encoding": f.encoding.upper()}) from exc
        except csv.Error as exc:
            raise ImportFileError(gettext("%(file)s: line %(line)d is not valid CSV (%(problem)s).")
                                  % {"file": label, "line": end + 1, "problem": exc}) from exc


def _xlsx_rows(path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    with open(path, "rb") as f:  # a file object: openpyxl would refuse a path without an .xlsx extension
        try:
            workbook = load_workbook(f, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise ImportFileError(gettext("%(file)s: not a readable Excel .xlsx file.")
                                  % {"file": file_label(path)}) from exc
        try:
            sheet = workbook.worksheets[0]
            sheet.reset_dimensions()  # some exporters write a wrong sheet size, which would cut the rows short
            width = 0
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if not any(cells):
                    continue
                if not width:
                    width = len(cells)
                elif len(cells) < width:
                    cells.extend([""] * (width - len(cells)))
                yield number, cells
        finally:
            workbook.close()


def cell_text(value) -> str:
    """A spreadsheet cell as text: integral numbers without ".0", datetimes as "2026-11-11 20:03:51".

    A number of 16 or more digits comes out as Excel rounded it ("5.55200494606749E+17"); `code_of` refuses it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) >= _EXACT_FLOAT_LIMIT:
                return f"{value:.15G}"
            return str(int(value))
        return repr(round(value, 8))  # 119.69999999999999 (=39.9*3 in a cell) is 119.7
    if isinstance(value, datetime):
        if value.microsecond:  # Excel stores times as fractions of a day: 20:03:50.999999 means 20:03:51
            value = value.replace(microsecond=0) + timedelta(seconds=round(value.microsecond / 1e6))
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


# --- headers -----------------------------------------------------------------------------------------------------


def normalise_header(value: str) -> str:
    """Header text without spaces or BOM, ASCII parentheses, ASCII letters upper-cased (商家sku编号 = 商家SKU编号)."""
    return (value.replace("\ufeff", "").replace(" ", "").replace("\u3000", "").replace("\t", "")
            .replace("（", "(").replace("）", ")").upper())


def header_index(header: list[str], columns: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """{column: position or -1} for each column name (with its other spellings) in `columns`; the first wins."""
    positions: dict[str, int] = {}
    for i, name in enumerate(header):
        positions.setdefault(normalise_header(name), i)
    found = {}
    for name, aliases in columns.items():
        found[name] = next((positions[n] for n in map(normalise_header, (name, *aliases)) if n in positions), -1)
    return found


def read_header(rows: Iterator, path) -> list[str]:
    """The first row of `iter_rows`, or ImportFileError for a file without one."""
    first = next(rows, None)
    if first is None:
        raise ImportFileError(gettext("%(file)s: the file is empty; the first row must hold the column names.")
                              % {"file": file_label(path)})
    return first[1]


def missing_columns_error(path, missing: list[str]) -> ImportFileError:
    return ImportFileError(gettext("%(file)s: missing column(s) %(columns)s in the first row.")
                           % {"file": file_label(path), "columns": "、".join(missing)})


# --- cells -------------------------------------------------------------------------------------------------------


def unwrap(value) -> str:
    """A code cell without the tricks that keep Excel from mangling it: a leading apostrophe, the formula wrapper
    =\"123\" (also =\"123 and the raw CSV form of it), surrounding whitespace and tabs."""
    text = value.strip() if isinstance(value, str) else cell_text(value)
    if text and text[0] in "='\"":
        first = text[0]
        if first == "=":
            if text[1:2] == '"':
                text = text[2:].strip('"').strip()
        elif first == "'":
            text = text[1:].strip()
        elif first == '"' and text.startswith('"='):
            text = text[2:].strip('"').strip()
    return text


def code_of(value: str, column: str, line_no: int) -> str:
    """A code cell (order number, SKU code, tracking number) unwrapped; CellError for a number Excel has rounded to
    15 digits and written as "5.55200494606749E+17"."""
    text = unwrap(value)
    if "E+" in text or "e+" in text:
        try:
            float(text)
        except ValueError:
            return text
        raise CellError(line_no, gettext("%(column)s: %(value)s has lost its last digits in Excel; format the column "
                                         "as text and import the platform's original file") % {"column": column,
                                                                                               "value": text})
    return text


def clean_mobile(value) -> str:
    """Mobile number: unwrapped, without spaces or dashes, without a +86/86 prefix."""
    text = unwrap(value)
    if text.isdigit() and len(text) == 11:
        return text
    text = text.translate(_MOBILE_JUNK)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    return text


def clean_landline(value) -> str:
    """Landline number: unwrapped, only digits and dashes kept ("0571-88888888")."""
    text = unwrap(value)
    if not text or text.isdigit():
        return text
    return "".join(c for c in text if c in "0123456789-").strip("-")


def looks_mobile(text: str) -> bool:
    return len(text) == 11 and text[0] == "1" and text.isdigit()


def decimal_of(value: str, column: str, line_no: int, *, required: bool = False) -> Decimal:
    """An amount ("39.90", "¥39.90", "1,234.00", "12元"); empty is 0 (CellError when required). Negative amounts,
    NaN and infinities are refused."""
    text = value.strip()
    if not text:
        if required:
            raise CellError(line_no, empty_message(column))
        return ZERO
    try:
        amount = Decimal(text)
    except InvalidOperation:
        cleaned = (unwrap(text).replace("¥", "").replace("￥", "").replace(",", "").replace("，", "")
                   .replace("元", "").strip())
        try:
            amount = Decimal(cleaned)
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite():
        raise CellError(line_no, gettext("%(column)s: '%(value)s' is not an amount") % {"column": column,
                                                                                         "value": text})
    if amount < 0:
        raise CellError(line_no, gettext("%(column)s: the amount %(value)s is negative") % {"column": column,
                                                                                             "value": text})
    return amount


def quantity_of(value: str, column: str, line_no: int) -> int:
    """A whole number of 1 or more ("2", "2.0")."""
    text = value.strip()
    try:
        quantity = int(text)
    except ValueError:
        try:
            number = Decimal(text)
            quantity = int(number) if number.is_finite() and number == number.to_integral_value() else 0
        except InvalidOperation:
            quantity = 0
    if quantity < 1:
        raise CellError(line_no, gettext("%(column)s: the quantity must be a whole number of 1 or more, not "
                                         "'%(value)s'") % {"column": column, "value": text})
    return quantity


def datetime_of(value: str, column: str, line_no: int, *, required: bool = False) -> datetime | None:
    """"2026-11-11 20:03:51", "2026/11/11 20:03:51", "2026-11-11 20:03" ... as local China time (aware); a time with
    an offset is converted. Empty is None (CellError when required)."""
    text = value.strip()
    if not text:
        if required:
            raise CellError(line_no, empty_message(column))
        return None
    if "/" in text:
        text = text.replace("/", "-")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _DATETIME_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)  # the zone is set below
                break
            except ValueError:
                continue
        else:
            raise CellError(line_no, gettext("%(column)s: '%(value)s' is not a date and time (write it like "
                                             "2026-11-11 20:03:51)") % {"column": column, "value": value.strip()})
    if moment.tzinfo is None:
        return datetime.combine(moment, moment.time(), CHINA)  # quicker than moment.replace(tzinfo=CHINA)
    return moment.astimezone(CHINA)


def yes_no(value: str, column: str, line_no: int) -> bool:
    """是/否, 1/0, Y/N, yes/no, true/false; empty is 否."""
    text = value.strip().upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(line_no, gettext("%(column)s: write 是 or 否, not '%(value)s'") % {"column": column,
                                                                                     "value": value.strip()})


def status_of(value: str, statuses: Mapping[str, str], column: str, line_no: int) -> tuple[str, str]:
    """(status code, the status word as written) from a table of status words."""
    word = value.strip()
    status = statuses.get(word)
    if status is None:
        status = statuses.get(word.replace(" ", "").replace(",", "，"))
        if status is None:
            raise CellError(line_no, gettext("%(column)s: unknown order status '%(value)s'")
                            % {"column": column, "value": word})
    return status, word


def empty_message(column: str) -> str:
    return gettext("%(column)s: must not be empty") % {"column": column}


# --- orders spread over several rows (JD, the ShopDesk template) -------------------------------------------------


def group_orders(rows: Iterable[tuple[int, list[str]]], *, order_no_index: int, order_no_column: str,
                 start: Callable[[int, str, list[str]], object], add_line: Callable[[object, int, list[str]], None],
                 finish: Callable[[object], OrderRecord | RowError]) -> Iterator[OrderRecord | RowError]:
    """One OrderRecord per run of adjacent rows with the same order number.

    `start(line_no, order_no, cells)` reads the order columns of the first row into a pending order;
    `add_line(pending, line_no, cells)` reads each row's line into it (`pending` is None when the order's first row
    was bad: the line is only checked); `finish(pending)` returns the record or a RowError. Each may raise CellError.
    An order with any bad row is not yielded, only the RowErrors of its rows. A row of an order that already ended
    (the order number reappears after other orders) is a RowError.
    """
    pending = None
    current = None
    failed = False
    finished: set[str] = set()
    for line_no, cells in rows:
        try:
            order_no = code_of(cells[order_no_index], order_no_column, line_no)
        except CellError as exc:
            yield exc.row_error()
            continue
        if not order_no:
            if any(c.strip() for c in cells):
                yield RowError(line_no, empty_message(order_no_column))
            continue
        if order_no != current:
            if current is not None:
                finished.add(current)
                if not failed:
                    yield finish(pending)
            pending, current, failed = None, None, False
            if order_no in finished:
                yield RowError(line_no, gettext("%(column)s: the lines of order %(order)s must be adjacent; this row "
                                                "comes after other orders") % {"column": order_no_column,
                                                                               "order": order_no})
                continue
            current = order_no
            try:
                pending = start(line_no, order_no, cells)
            except CellError as exc:
                failed = True
                yield exc.row_error()
        try:
            add_line(pending, line_no, cells)
        except CellError as exc:
            failed = True
            yield exc.row_error()
    if current is not None and not failed:
        yield finish(pending)
