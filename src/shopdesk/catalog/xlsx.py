"""The product spreadsheet (商品导入模板): its columns, reading an uploaded .xlsx into typed rows, writing exports.

One row per SKU; the product columns are repeated on every row of the product. Nothing here writes to the database:
`services.import_products_xlsx` validates the rows against the catalog and imports them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

from shopdesk.core import spreadsheet
from shopdesk.core.errors import ServiceError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20000
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "无"}


@dataclass(frozen=True)
class SheetColumn:
    header: str
    field: str
    level: str  # "product" or "sku"
    kind: str  # text, code, money, int, bool, attrs
    required: bool = False
    empty_bool: bool = False  # what an empty yes/no cell means
    note: str = ""
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("货号", "item_number", "product", "code", True, note="必填。商品的唯一编号；再次导入时按货号更新。"),
    SheetColumn("商品名称", "name", "product", "text", True, note="必填。"),
    SheetColumn("标题", "title", "product", "text", note="网店标题，建议写明品牌、款式、颜色、材质和卖点。"),
    SheetColumn("品牌", "brand", "product", "text", note="不存在的品牌会自动新建。"),
    SheetColumn("类目", "category", "product", "text", note="须是已有类目，如“文胸”或“内衣/文胸”。"),
    SheetColumn("成本价", "cost_price", "product", "money", note="元；需要查看成本价的权限。空=不变（新商品为0）。"),
    SheetColumn("吊牌价", "list_price", "product", "money", note="元。空=不变（新商品为0）。改价按改价规则处理。"),
    SheetColumn("会员价", "member_price", "product", "money", note="元，可空。"),
    SheetColumn("VIP价", "vip_price", "product", "money", note="元，可空。"),
    SheetColumn("重量(克)", "weight_grams", "product", "int", note="整数克。空=不变（新商品为0）。",
                aliases=("重量（克）", "重量")),
    SheetColumn("SKU编码", "code", "sku", "code", True, note="必填。每个规格一行；再次导入时按SKU编码更新。"),
    SheetColumn("颜色", "colour", "sku", "text"),
    SheetColumn("尺码", "size", "sku", "text"),
    SheetColumn("款式", "style", "sku", "text"),
    SheetColumn("条码", "barcode", "sku", "code", note="全系统唯一，可空。请把单元格设为文本，避免变成科学计数法。"),
    SheetColumn("个人卫生用品", "is_hygiene", "product", "bool", note="是/否：内裤等，非质量问题不退换。"),
    SheetColumn("特价", "is_special_price", "product", "bool", note="是/否。"),
    SheetColumn("赠品", "is_gift", "product", "bool", note="是/否。"),
    SheetColumn("主推款", "is_key_product", "product", "bool", note="是/否。"),
    SheetColumn("新品", "is_new", "product", "bool", note="是/否。"),
    SheetColumn("在售", "is_active", "product", "bool", empty_bool=True, note="是/否，空=是。"),
    SheetColumn("SKU价格", "list_price", "sku", "money", note="元，可空：空=按吊牌价。"),
    SheetColumn("属性", "attributes", "product", "attrs", note="如“面料:纯棉;罩杯:3/4杯”，属性须属于该类目。"),
    SheetColumn("描述", "description", "product", "text", note="可用简单HTML或纯文本（换行分段）。"),
)
HEADERS = [c.header for c in COLUMNS]


@dataclass
class SheetRow:
    number: int  # as Excel shows it
    product: dict = field(default_factory=dict)
    sku: dict = field(default_factory=dict)


@dataclass
class Sheet:
    columns: list[SheetColumn]
    rows: list[SheetRow]
    errors: list[tuple[int, str, str]]  # (row number, column header, problem)

    def has(self, level: str, name: str) -> bool:
        return any(c.level == level and c.field == name for c in self.columns)


def header_of(level: str, name: str) -> str:
    for c in COLUMNS:
        if c.level == level and c.field == name:
            return c.header
    return name


def row_error(row: int, column: str, problem: str) -> str:
    """"第N行 列: 原因" in the person's language."""
    return gettext("Row %(row)d %(column)s: %(problem)s") % {"row": row, "column": column, "problem": problem}


def _normalise_header(text) -> str:
    return str(text or "").strip().replace("（", "(").replace("）", ")").replace(" ", "")


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _parse(column: SheetColumn, value):
    """Typed value of a cell, or raise ValueError with the problem."""
    if column.kind in ("text", "code"):
        text = _text(value)
        if column.kind == "code" and text.startswith('="') and text.endswith('"'):
            text = text[2:-1]  # ="6901234567890" as some platform exports write long numbers
        return text
    if column.kind == "money":
        if value is None or _text(value) == "":
            return None
        raw = _text(value).replace("¥", "").replace("￥", "").replace(",", "")
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(raw)
        except InvalidOperation:
            raise ValueError(gettext("not a number: %(v)s") % {"v": _text(value)}) from None
        if not amount.is_finite() or amount < 0:
            raise ValueError(gettext("must be 0 or more"))
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(gettext("at most two decimal places"))
        return amount.quantize(Decimal("0.01"))
    if column.kind == "int":
        if value is None or _text(value) == "":
            return None
        try:
            number = Decimal(_text(value))
        except InvalidOperation:
            raise ValueError(gettext("not a whole number: %(v)s") % {"v": _text(value)}) from None
        if number != number.to_integral_value() or number < 0:
            raise ValueError(gettext("must be a whole number, 0 or more"))
        return int(number)
    if column.kind == "bool":
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if not text:
            return None  # the import applies `empty_bool` after merging a product's rows
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(gettext("write 是 or 否, not %(v)s") % {"v": _text(value)})
    if column.kind == "attrs":
        attrs = {}
        text = _text(value)
        for part in text.replace("；", ";").replace("\n", ";").split(";"):
            part = part.strip()
            if not part:
                continue
            name, sep, val = part.replace("：", ":").replace("=", ":").partition(":")
            if not sep or not name.strip():
                raise ValueError(gettext("write name:value pairs separated by ';', e.g. 面料:纯棉;罩杯:3/4杯"))
            attrs[name.strip()] = val.strip()
        return attrs
    raise AssertionError(column.kind)


def read_product_sheet(file) -> Sheet:
    """Read the first worksheet of an uploaded .xlsx. Unreadable files and missing required columns raise
    ServiceError; problems in single cells are collected in `Sheet.errors` with their row number."""
    from openpyxl import load_workbook

    size = getattr(file, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise ServiceError(gettext("The file is larger than 10 MB."), code="file_too_large",
                           fields={"file": [gettext("The file is larger than 10 MB.")]})
    try:
        data = file.read()
        if len(data) > MAX_FILE_BYTES:
            raise ServiceError(gettext("The file is larger than 10 MB."), code="file_too_large",
                               fields={"file": [gettext("The file is larger than 10 MB.")]})
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ServiceError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        message = gettext("This is not an Excel .xlsx file (save it as .xlsx and try again).")
        raise ServiceError(message, code="not_xlsx", fields={"file": [message]}) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        by_header = {}
        for c in COLUMNS:
            for name in (c.header, *c.aliases):
                by_header[_normalise_header(name)] = c
        positions: list[tuple[int, SheetColumn]] = []
        seen = set()
        for index, cell in enumerate(header):
            column = by_header.get(_normalise_header(cell))
            if column is None:
                continue
            if column.header in seen:
                message = row_error(1, column.header, gettext("the column appears twice"))
                raise ServiceError(message, code="bad_header", fields={"file": [message]})
            seen.add(column.header)
            positions.append((index, column))
        missing = [c.header for c in COLUMNS if c.required and c.header not in seen]
        if missing:
            message = row_error(1, gettext("header"), gettext("missing column(s) %(cols)s; download the template")
                                % {"cols": "、".join(missing)})
            raise ServiceError(message, code="bad_header", fields={"file": [message]})
        result = Sheet(columns=[c for _i, c in positions], rows=[], errors=[])
        for number, values in enumerate(rows, start=2):
            if values is None or all(_text(v) == "" for v in values):
                continue
            if len(result.rows) >= MAX_ROWS:
                message = gettext("More than %(n)d rows; split the file.") % {"n": MAX_ROWS}
                raise ServiceError(message, code="too_many_rows", fields={"file": [message]})
            row = SheetRow(number=number)
            for index, column in positions:
                value = values[index] if index < len(values) else None
                try:
                    parsed = _parse(column, value)
                except ValueError as exc:
                    result.errors.append((number, column.header, str(exc)))
                    continue
                getattr(row, column.level)[column.field] = parsed
            result.rows.append(row)
        if not result.rows:
            message = gettext("The file has no data rows.")
            raise ServiceError(message, code="empty_file", fields={"file": [message]})
        return result
    finally:
        workbook.close()


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _attrs(attributes: dict) -> str:
    return ";".join(f"{k}:{v}" for k, v in (attributes or {}).items())


def _workbook(columns: list[SheetColumn]):
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "商品"
    ws.append([c.header for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE7D4")
    ws.freeze_panes = "A2"
    for index, c in enumerate(columns, start=1):
        letter = ws.cell(row=1, column=index).column_letter
        ws.column_dimensions[letter].width = {"title": 40, "description": 40, "name": 20,
                                              "attributes": 30}.get(c.field, 14)
    return wb, ws


def _columns(include_cost: bool) -> list[SheetColumn]:
    return [c for c in COLUMNS if include_cost or c.field != "cost_price"]


def template_xlsx(*, include_cost: bool = True) -> bytes:
    """The empty import template with Chinese headers and a second sheet explaining each column."""
    columns = _columns(include_cost)
    wb, ws = _workbook(columns)
    for index in range(1, len(columns) + 1):
        if columns[index - 1].kind == "code":
            for row in range(2, 502):
                ws.cell(row=row, column=index).number_format = "@"
    notes = wb.create_sheet("说明")
    notes.append(["列", "说明"])
    for c in columns:
        notes.append([c.header, c.note or ""])
    notes.append([])
    notes.append(["规则", "每个SKU一行，同一货号的商品列每行重复（必须一致）。有任何一行出错时整份文件都不导入，"
                         "错误按“第N行 列: 原因”列出。同一文件再次导入只会更新，不会重复。"])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 90
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_xlsx(products, *, include_cost: bool, category_paths: dict[int, str]) -> bytes:
    """Products with their SKUs, one row per SKU, in the import layout (so an export can be edited and imported).

    `products` should prefetch brand and skus; `category_paths` maps category id to "内衣/文胸"."""
    columns = _columns(include_cost)
    wb, ws = _workbook(columns)
    for p in products:
        product_values = {
            "item_number": p.item_number, "name": p.name, "title": p.title,
            "brand": p.brand.name if p.brand_id else "", "category": category_paths.get(p.category_id, ""),
            "cost_price": p.cost_price, "list_price": p.list_price, "member_price": p.member_price,
            "vip_price": p.vip_price, "weight_grams": p.weight_grams, "attributes": _attrs(p.attributes),
            "description": p.description,
            **{f: _yes(getattr(p, f)) for f in ("is_hygiene", "is_special_price", "is_gift", "is_key_product",
                                                 "is_new", "is_active")},
        }
        for s in p.skus.all():
            sku_values = {"code": s.code, "colour": s.colour, "size": s.size, "style": s.style,
                          "barcode": s.barcode or "", "list_price": s.list_price}
            row = []
            for c in columns:
                value = (sku_values if c.level == "sku" else product_values).get(c.field)
                row.append(float(value) if isinstance(value, Decimal) else value)
            ws.append(spreadsheet.row(ws, row))  # user text, never a formula
            for index, c in enumerate(columns, start=1):
                cell = ws.cell(row=ws.max_row, column=index)
                if c.kind == "code":
                    cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
