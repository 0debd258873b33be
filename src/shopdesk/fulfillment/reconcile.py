"""The monthly courier bill check (每月快递费用对账结算): the courier's bill against our shipments and price rules.

`read_bill(path)` streams the lines of a courier bill (xlsx, or CSV in UTF-8, UTF-8 with BOM or GBK). Columns are
found by name; the first row holds the names:

    运单号 / 快递单号 / 单号 / 物流单号          required   the tracking number
    运费 / 费用 / 金额 / 应付金额 / 应收金额      required   the fee charged for the parcel
    计费重量 / 重量 / 重量(kg) / 结算重量 ...      optional   kg (计费重量 is preferred when there are several)
    目的地 / 目的省份 / 省份 / 到达省份 / ...      optional   "广东", "广东省" or "广东省深圳市" all mean 广东
    日期 / 发件日期 / 寄件日期 / 揽收日期 / ...    optional   the day the parcel was sent

Bad rows: read_bill yields every good line and, when the file had bad rows, raises one `FileRowErrors` (an
ImportFileError) at the very end, carrying the RowError of every bad row (`.errors`, in file order; each names the
line and the column as written in the file). A caller therefore always sees every problem of the file in one go,
and never a reconciliation of a partly read bill: `reconcile(read_bill(path), ...)` raises instead of returning.
`check_bill(path)` reads the file once and returns that list (empty for a good file) without raising for bad rows.
A missing required column or an unreadable file is an ImportFileError at once. A row without a tracking number
that says 合计/总计/小计 (the total line at the bottom of most bills) is skipped.

`reconcile(bill, shipments, tariff)` sorts every bill line into one of KINDS:

    matched            our parcel, fee within `tolerance` of the tariff (or no tariff/rule: counted as unpriced)
    fee_mismatch       our parcel, |billed − expected| > tolerance
    not_ours           the tracking number is not one of our shipments
    duplicate          the 2nd, 3rd ... line of a tracking number (the first is checked as above)
    missing_from_bill  (per shipment) our shipment that the bill does not list

so that matched + fee_mismatch + not_ours + duplicate == bill lines and matched + fee_mismatch + missing_from_bill
== shipments (distinct tracking numbers: several orders sent in one parcel share a tracking number and are one
shipment, their order numbers joined with ","; shipments without a tracking number are ignored). Tracking numbers
are compared stripped and upper-cased. The expected fee is `tariff.fee(province, weight)` with the bill's province
and weight where given, else the shipment's. Only the shipments are held in memory (one small tuple each) with the
first line of each billed tracking number; the bill is streamed and only non-matched findings are kept.

Amounts: a finding's difference is billed − expected; a duplicate or not_ours line has expected 0.00 (nothing is
owed), so its whole fee is the difference; a missing shipment has the tariff fee as expected, no billed fee and no
difference. `disputed_total` sums the positive differences (overcharges, duplicates, not ours); `payable_total` is
the bill less that (an undercharge is reported, not paid on top). Our lines that cannot be priced (no tariff, no
rule for the province, no weight on the bill or the shipment) are matched and counted in `unpriced`.

`write_settlement(result, path_or_stream, carrier=, month=)` writes the settlement workbook: sheet 汇总 (counts,
totals, the amount to dispute and to pay) and sheet 差异明细 (every finding).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext

from shopdesk.channels.importers.records import ImportFileError, RowError
from shopdesk.channels.importers.textfile import (
    CellError,
    code_of,
    datetime_of,
    decimal_of,
    empty_message,
    file_label,
    header_index,
    iter_rows,
    missing_columns_error,
    read_header,
)

from .tariffs import CENT, Tariff

KINDS = ("matched", "fee_mismatch", "not_ours", "missing_from_bill", "duplicate")
KIND_NAMES = {"matched": "正常", "fee_mismatch": "金额不符", "not_ours": "非我方运单", "missing_from_bill": "账单未列",
              "duplicate": "重复计费"}
DEFAULT_TOLERANCE = Decimal("0.50")
ZERO = Decimal("0.00")

BILL_COLUMNS = {
    "运单号": ("快递单号", "单号", "物流单号", "运单编号", "快件单号"),
    "运费": ("费用", "金额", "应付金额", "应收金额", "快递费", "运费(元)", "费用(元)", "金额(元)", "结算金额"),
    "计费重量": ("重量", "重量(kg)", "计费重量(kg)", "结算重量", "重量(公斤)", "实际重量"),  # the billed weight first
    "目的地": ("目的省份", "省份", "到达省份", "目的省", "收件省份", "寄达省份", "目的地省份"),
    "日期": ("发件日期", "寄件日期", "揽收日期", "发货日期", "揽收时间", "寄件时间", "发件时间"),
}
REQUIRED_BILL_COLUMNS = ("运单号", "运费")
_TOTAL_WORDS = ("合计", "总计", "小计")


@dataclass(frozen=True, slots=True)
class BillLine:
    line: int  # the row's line in the file (header = 1)
    tracking_no: str  # as written, unwrapped (="..." and ' removed)
    weight_kg: Decimal | None
    province: str  # as written ("" when the bill has no destination column)
    fee: Decimal
    shipped_on: date | None


class FileRowErrors(ImportFileError):
    """Raised by `read_bill` (and `tracking_files.read_events`) after the last good row when rows were bad;
    `errors` holds the RowError of every bad row, in file order."""

    def __init__(self, path, errors: list[RowError]):
        first = errors[0]
        super().__init__(gettext("%(file)s: %(count)d row(s) cannot be read; the first is line %(line)d: %(reason)s")
                         % {"file": file_label(path), "count": len(errors), "line": first.line_no,
                            "reason": first.reason})
        self.errors = errors


def _column(header: list[str], index: int, name: str) -> str:
    """The column's name as written in the file, for messages."""
    return header[index].strip() or name if index >= 0 else name


def read_bill(path) -> Iterator[BillLine]:
    """The lines of a courier bill, streamed; raises FileRowErrors at the end when rows were bad (module doc)."""
    rows = iter_rows(path)
    header = read_header(rows, path)
    col = header_index(header, BILL_COLUMNS)
    missing = [f"{name}({'/'.join(BILL_COLUMNS[name][:3])})" for name in REQUIRED_BILL_COLUMNS if col[name] < 0]
    if missing:
        raise missing_columns_error(path, missing)
    i_no, i_fee, i_weight, i_province, i_date = (col[n] for n in ("运单号", "运费", "计费重量", "目的地", "日期"))
    no_name, fee_name, weight_name, date_name = (_column(header, col[n], n)
                                                 for n in ("运单号", "运费", "计费重量", "日期"))
    errors: list[RowError] = []
    for line_no, cells in rows:
        try:
            tracking_no = code_of(cells[i_no], no_name, line_no)
            if not tracking_no:
                if any(word in cell for cell in cells for word in _TOTAL_WORDS):
                    continue  # the total line
                raise CellError(line_no, empty_message(no_name))
            fee = decimal_of(cells[i_fee], fee_name, line_no, required=True)
            weight = None
            if i_weight >= 0:
                text = cells[i_weight].strip()
                if text:
                    weight = decimal_of(text.removesuffix("kg").removesuffix("KG").removesuffix("公斤"),
                                        weight_name, line_no)
            shipped_on = None
            if i_date >= 0 and (text := cells[i_date].strip()):
                if "." in text[:10]:  # 2026.11.03
                    text = text[:10].replace(".", "-") + text[10:]
                shipped_on = datetime_of(text, date_name, line_no).date()
        except CellError as exc:
            errors.append(exc.row_error())
            continue
        province = cells[i_province].strip() if i_province >= 0 else ""
        yield BillLine(line_no, tracking_no, weight, province, fee, shipped_on)
    if errors:
        raise FileRowErrors(path, errors)


def check_bill(path) -> list[RowError]:
    """Every bad row of a bill (empty for a good file); ImportFileError when the file cannot be read at all."""
    try:
        for _line in read_bill(path):
            pass
    except FileRowErrors as exc:
        return exc.errors
    return []


@dataclass(frozen=True, slots=True)
class Shipment:
    order_no: str
    tracking_no: str
    province: str
    weight_kg: Decimal | None
    shipped_on: date | None


@dataclass
class Finding:
    kind: str  # one of KINDS
    tracking_no: str
    bill_line: int | None  # None for missing_from_bill
    order_no: str  # "" for not_ours
    billed_fee: Decimal | None  # None for missing_from_bill
    expected_fee: Decimal | None  # the tariff fee; 0.00 for duplicate and not_ours (nothing is owed); None unpriced
    difference: Decimal | None  # billed − expected, when both are known
    note: str = ""

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


@dataclass
class Reconciliation:
    findings: list[Finding]  # every finding that is not "matched", in bill order, then the missing shipments
    counts: dict[str, int]  # per kind, matched included
    billed_total: Decimal  # the fees of every bill line
    expected_total: Decimal  # the tariff fees of our billed lines that have a price rule
    matched_total: Decimal  # the billed fees of matched + fee_mismatch lines
    bill_lines: int = 0
    shipments: int = 0  # distinct tracking numbers of our shipments
    unpriced: int = 0  # our billed lines without an expected fee (no tariff, no rule or no weight); all matched
    disputed_total: Decimal = ZERO  # to claim back: duplicate and not_ours fees + overcharges of fee_mismatch lines

    @property
    def payable_total(self) -> Decimal:
        """What to pay: the bill less what is disputed (an undercharge is not paid on top)."""
        return self.billed_total - self.disputed_total


_Ours = tuple[str, str, Decimal | None, str]  # (order numbers, province, weight, tracking number as written)


def _index_shipments(shipments: Iterable[Shipment]) -> dict[str, _Ours]:
    """{tracking key: (order numbers, province, weight, tracking number)}; orders sharing a parcel are one entry."""
    index: dict[str, _Ours] = {}
    for s in shipments:
        tracking = s.tracking_no.strip()
        key = tracking.upper()
        if not key:
            continue
        known = index.get(key)
        if known is None:
            index[key] = (s.order_no, s.province, s.weight_kg, key if key == tracking else tracking)
        else:
            order_no, province, weight, tracking = known
            index[key] = (f"{order_no},{s.order_no}" if s.order_no not in order_no.split(",") else order_no,
                          province or s.province, weight if weight is not None else s.weight_kg, tracking)
    return index


def reconcile(bill: Iterable[BillLine], shipments: Iterable[Shipment], tariff: Tariff | None, *,
              tolerance: Decimal = DEFAULT_TOLERANCE) -> Reconciliation:
    """Check the bill against our shipments and the tariff (module doc)."""
    ours = _index_shipments(shipments)
    first_line: dict[str, int] = {}  # tracking key -> its first bill line
    findings: list[Finding] = []
    counts = dict.fromkeys(KINDS, 0)
    billed_total = expected_total = matched_total = disputed = ZERO
    unpriced = lines = 0
    for entry in bill:
        lines += 1
        fee = entry.fee
        billed_total += fee
        key = entry.tracking_no.strip().upper()
        first = first_line.get(key)
        if first is not None:
            counts["duplicate"] += 1
            disputed += fee
            order_no = ours[key][0] if key in ours else ""
            findings.append(Finding("duplicate", entry.tracking_no, entry.line, order_no, fee, ZERO, fee,
                                    gettext("also billed on line %(line)d") % {"line": first}))
            continue
        first_line[key] = entry.line
        shipment = ours.get(key)
        if shipment is None:
            counts["not_ours"] += 1
            disputed += fee
            findings.append(Finding("not_ours", entry.tracking_no, entry.line, "", fee, ZERO, fee,
                                    gettext("not a tracking number of our shipments")))
            continue
        order_no, province, weight, _tracking = shipment
        matched_total += fee
        weight = entry.weight_kg if entry.weight_kg is not None else weight
        expected = None
        if tariff is not None and weight is not None:
            expected = tariff.fee(entry.province or province, weight)
        if expected is None:
            unpriced += 1
            counts["matched"] += 1
            continue
        expected_total += expected
        difference = fee - expected
        if abs(difference) <= tolerance:
            counts["matched"] += 1
            continue
        counts["fee_mismatch"] += 1
        if difference > 0:
            disputed += difference
        findings.append(Finding(
            "fee_mismatch", entry.tracking_no, entry.line, order_no, fee, expected, difference,
            gettext("billed %(billed)s, the price rules give %(expected)s for %(weight)s kg to %(province)s")
            % {"billed": fee, "expected": expected, "weight": weight,
               "province": entry.province or province or "-"}))
    for key, (order_no, province, weight, tracking) in ours.items():
        if key in first_line:
            continue
        counts["missing_from_bill"] += 1
        expected = tariff.fee(province, weight) if tariff is not None and weight is not None else None
        findings.append(Finding("missing_from_bill", tracking, None, order_no, None, expected, None,
                                gettext("our shipment is not on the bill")))
    return Reconciliation(findings=findings, counts=counts, billed_total=billed_total, expected_total=expected_total,
                          matched_total=matched_total, bill_lines=lines, shipments=len(ours), unpriced=unpriced,
                          disputed_total=disputed)


# --- the settlement workbook ---------------------------------------------------------------------------------------

FINDING_HEADERS = ("类型", "运单号", "账单行", "订单号", "账单金额", "应收金额", "差额", "说明")
_MONEY_FORMAT = "#,##0.00"


def write_settlement(result: Reconciliation, path_or_stream, *, carrier: str, month: str) -> None:
    """The settlement workbook (xlsx): sheet 汇总 and sheet 差异明细 (one row per finding, in result order)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("汇总")
    details = workbook.create_sheet("差异明细")
    bold = Font(bold=True)

    def money(sheet, value):
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=Decimal(value).quantize(CENT))
        cell.number_format = _MONEY_FORMAT
        return cell

    def heading(sheet, values):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

    summary.column_dimensions["A"].width = 22
    summary.column_dimensions["B"].width = 14
    summary.column_dimensions["C"].width = 16
    summary.append(["承运商", carrier])
    summary.append(["账期", month])
    summary.append(["账单行数", result.bill_lines])
    summary.append(["我方运单数", result.shipments])
    summary.append([])
    heading(summary, ["类型", "数量", "金额"])
    amounts = {kind: ZERO for kind in KINDS}
    for finding in result.findings:
        amount = finding.billed_fee if finding.billed_fee is not None else finding.expected_fee
        if amount is not None:
            amounts[finding.kind] += amount
    amounts["matched"] = result.matched_total - amounts["fee_mismatch"]
    for kind in KINDS:
        summary.append([KIND_NAMES[kind], result.counts.get(kind, 0), money(summary, amounts[kind])])
    summary.append([])
    summary.append(["账单总额", None, money(summary, result.billed_total)])
    summary.append(["我方运单账单金额", None, money(summary, result.matched_total)])
    summary.append(["按价目应收金额", None, money(summary, result.expected_total)])
    summary.append(["未按价目核对行数", result.unpriced])
    summary.append(["差额(争议金额)", None, money(summary, result.disputed_total)])
    summary.append(["应付金额", None, money(summary, result.payable_total)])

    for letter, width in zip("ABCDEFGH", (12, 22, 8, 24, 12, 12, 10, 60), strict=True):
        details.column_dimensions[letter].width = width
    heading(details, FINDING_HEADERS)
    for f in result.findings:
        details.append([KIND_NAMES[f.kind], f.tracking_no, f.bill_line, f.order_no, money(details, f.billed_fee),
                        money(details, f.expected_fee), money(details, f.difference), f.note])
    workbook.save(path_or_stream)
