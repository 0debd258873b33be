"""Lists people keep in spreadsheets (waybill numbers, blind spots, reviews …) read as tables: a CSV (GBK or UTF-8)
or xlsx file with named columns, every bad cell collected as a `RowProblem` (line, column as the file names it,
why), and `ImportRefused` when there is any: all or nothing, like the order and catalog imports."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from shopdesk.core.errors import ServiceError

IMPORT_PROBLEMS_SHOWN = 200


@dataclass(frozen=True)
class RowProblem:
    """One bad cell of an imported file: its line (the header is line 1), the column as the file names it, why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return gettext("Line %(line)d, %(column)s: %(reason)s") % {"line": self.line, "column": self.column,
                                                                    "reason": self.reason}

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "reason": self.reason}


class ImportRefused(ServiceError):
    """An import with bad rows: nothing was written; `problems` names every bad cell (line, column, reason)."""

    code = "invalid_import"

    def __init__(self, file_name: str, problems: list[RowProblem]):
        problems = sorted(problems, key=lambda p: p.line)
        shown = [str(p) for p in problems[:IMPORT_PROBLEMS_SHOWN]]
        if len(problems) > len(shown):
            shown.append(gettext("… and %(n)d more problems.") % {"n": len(problems) - len(shown)})
        super().__init__(gettext("%(file)s: nothing was imported, %(n)d problem(s) in the file.")
                         % {"file": file_name, "n": len(problems)}, fields={"file": shown})
        self.problems = problems


def read_table(path, columns: dict[str, tuple[str, ...]], required: list[str]):
    """(column labels as the file writes them, [(line, {column: text})]) of a CSV or xlsx file; a file that cannot be
    read or lacks a required column is a ServiceError naming the file (and the column)."""
    from shopdesk.channels.importers.records import ImportFileError
    from shopdesk.channels.importers.textfile import header_index, iter_rows, missing_columns_error, read_header

    try:
        rows = iter_rows(path)
        header = read_header(rows, path)
        index = header_index(header, columns)
        missing = [columns[name][0] for name in required if index[name] < 0]
        if missing:
            raise missing_columns_error(path, missing)
        labels = {name: (header[i].strip() or columns[name][0]) if i >= 0 else columns[name][0]
                  for name, i in index.items()}
        table = [(line, {name: (cells[i] if 0 <= i < len(cells) else "").strip() for name, i in index.items()})
                 for line, cells in rows]
    except ImportFileError as exc:
        raise ServiceError(str(exc), code="invalid_file", fields={"file": [str(exc)]}) from exc
    return labels, table


def code_cell(text: str, column: str, line: int, problems: list[RowProblem]) -> str:
    """A code cell unwrapped (="..." and ' removed); a number Excel has rounded is a problem of the row."""
    from shopdesk.channels.importers.textfile import CellError, code_of

    try:
        return code_of(text, column, line)
    except CellError as exc:
        prefix = f"{column}: "
        problems.append(RowProblem(line, column, exc.reason[len(prefix):] if exc.reason.startswith(prefix)
                                   else exc.reason))
        return ""
