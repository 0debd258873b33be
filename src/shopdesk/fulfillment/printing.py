"""Warehouse paper: pick lists (拣货单), dispatch notes (发货单) and shipping labels (电子面单) as PDF bytes.

Pure functions over plain frozen dataclasses: no Django models, no database, no settings, no clock (a time is printed
only when the caller passes one), so the same input gives byte-identical output (every canvas is made with
`invariant=1`).

Fonts
    Chinese is set in ReportLab's built-in CID font STSong-Light (`UnicodeCIDFont("STSong-Light")`, Adobe-GB1
    collection, UniGB-UCS2-H encoding), registered once, lazily, on first render. No font file is read or embedded:
    the PDF names the font and the viewer or printer driver supplies a Song face (Acrobat with its Asian font pack,
    Chrome/Edge/Firefox, macOS Preview and Windows all do; a bare Linux print server needs a CJK font such as
    fonts-arphic or Noto CJK for Ghostscript). The text stays extractable: every string is written as UTF-16 and
    the UniGB-UCS2-H CMap maps it back, so `pypdf.PdfReader(...).pages[i].extract_text()` returns the Chinese text,
    phones and numbers (the tests check this). Nothing has to be installed beyond pip packages. The alternative, if a
    printer cannot substitute a CJK font, is to register a TTF with `reportlab.pdfbase.ttfonts.TTFont` and embed a
    subset; that needs a font file, which this module deliberately does not assume. ASCII-only machine strings
    (tracking and order numbers under their barcodes) use the standard Helvetica-Bold for crisp digits.
    STSong-Light has no bold face: "bold" Chinese on labels is drawn with text render mode 2 (fill and stroke).

User text
    Everything the buyer, the shop or the platform typed is untrusted. Text drawn straight on the canvas (labels,
    page headers) is never interpreted; text put into platypus Paragraphs is escaped with
    `xml.sax.saxutils.escape` first, so a buyer message like `<b>x</b> & 1` prints literally. Control characters
    and runs of whitespace (newlines included) are folded to single spaces, except line breaks in buyer messages,
    notes and greeting cards on the dispatch note, which are kept as line breaks.

Labels (`render_labels`): 100 x 180 mm, one page per label, all pages on one canvas drawn with the canvas API
(no platypus: 1,000 labels take well under a few seconds). From the top:
    header        carrier (large), shop name and print time on the right
    waybill       the tracking number as a Code 128 barcode (reportlab.graphics.barcode.code128, no quiet zone
                  drawn: the margins are the quiet zone), module width a multiple of a 203 dpi printer dot when it
                  fits, and the number in large digits under it
    COD band      only for cash on delivery: 代收货款 ￥amount, white on black across the label
    收 receiver   name, EVERY phone the buyer left (never truncated, wrapped instead), and the full address; the
                  font shrinks (12 to 8 pt) before the address would be cut
    寄 sender     name, phones and address, smaller
    物品          the items summary, wrapped, cut with "…" when it does not fit the space left
    买家留言      the buyer message, wrapped and cut the same way
    footer        the order number as a smaller Code 128, the order number in text
Long fields are wrapped on token boundaries: runs of ASCII (phones, SKU codes, words) stay whole, Chinese breaks
between any two characters.

Dispatch notes (`render_dispatch_notes`): A4 portrait (every office and warehouse laser printer takes it; the item
table gets the width for full titles and specifications), platypus. Each order starts on a new page and flows onto
more pages when its lines do not fit; every page has a header with the shop, 发货单, the order number (text and a
small Code 128 for the packing-station scanner) and 续 with the page number within the order on continuation pages,
and the item table repeats its column titles. Under the header: order facts (order number, payment time, buyer
account, carrier and waybill, receiver with all phones, address), then the 旗帜备注 flagged notes in white on black
(the most visible thing on the page), the items (序号, 商品编码, 商品名称, 规格, 库位, 数量; quantities above 1 are
shaded so the packer does not miss them), a 合计 row, then 买家留言, 发票抬头 and 贺卡 when present.

Pick lists (`render_pick_list`): A4 portrait, platypus. A header on every page (拣货单, 批次 with a Code 128 of the
batch number, 仓库, 创建时间, 订单数, totals, and 第 x/y 页, the total filled in when the document is saved), then
one row per stop in walking order (序号, 库区, 库位, 商品编码, 商品名称/规格, 数量, 订单, and an empty box to tick);
a heavier rule marks each change of zone; stops with no location come last under 未指定库位. After the stops: the
totals per SKU (商品汇总) and the grand total. The stops table is built in chunks so splitting a long table across
pages stays linear.

`pick_rows` and `sku_totals` turn order lines into the walk; they sort with a natural key (A-2 before A-10).

Speed and size (bench/_fulfilment_print.py, 1,000 orders on a 2-core machine): labels about 1.2 s, dispatch notes
about 3 s, a pick list of 370 stops about 0.4 s. Labels are drawn straight on one canvas; barcode bars are written
as one path of literal `re` operators per barcode. Page streams are Flate-compressed (files 3-4x smaller for about
the same time) and written without ReportLab's ASCII85 layer, whose pure Python encoder cost a third of a dispatch
note's time (see `_binary_streams`). ReportLab's optional C accelerator (`rl_accel`, the `reportlab[accel]` extra)
makes everything about 20% faster again; nothing here requires it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageBreak, PageTemplate, Paragraph, Spacer, Table
from reportlab.platypus import TableStyle as _TableStyle

__all__ = [
    "DispatchNote", "Label", "NoteLine", "Party", "PickItem", "PickRow", "LABEL_SIZE", "DISPATCH_NOTE_SIZE",
    "PICK_LIST_SIZE", "natural_key", "pick_rows", "sku_totals", "render_pick_list", "render_dispatch_notes",
    "render_labels",
]

CJK = "STSong-Light"
LATIN_BOLD = "Helvetica-Bold"
LABEL_SIZE = (100 * mm, 180 * mm)
DISPATCH_NOTE_SIZE = A4
PICK_LIST_SIZE = A4
NO_LOCATION = "未指定库位"
PAGE_COMPRESSION = 1  # Flate: files 3-4x smaller for about the same time (measured, bench/_fulfilment_print.py)


# --- inputs ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A sender or a receiver. `phones`: every phone the buyer left (mobile, landline, ...); all are printed."""

    name: str
    phones: tuple[str, ...]
    address: str  # the full address on one line: province city district detail


@dataclass(frozen=True)
class Label:
    """One 电子面单 (100 x 180 mm page)."""

    order_no: str
    shop_name: str
    carrier: str
    tracking_no: str
    sender: Party
    receiver: Party
    items_summary: str  # e.g. "连衣裙 红色 M ×2；T恤 ×1"; cut with "…" when it does not fit
    cod_amount: Decimal | None  # 代收货款 for cash on delivery, None otherwise
    buyer_message: str = ""
    printed_at: datetime | None = None


@dataclass(frozen=True)
class NoteLine:
    sku_code: str
    title: str
    properties: str
    quantity: int
    location: str = ""


@dataclass(frozen=True)
class DispatchNote:
    """One order's 发货单 (A4 portrait, one or more pages)."""

    order_no: str
    shop_name: str
    paid_at: datetime | None
    buyer_platform_id: str
    receiver: Party
    lines: tuple[NoteLine, ...]
    buyer_message: str
    flagged_notes: tuple[str, ...]  # 旗帜备注
    carrier: str
    tracking_no: str
    greeting_card: str = ""
    invoice_title: str = ""


@dataclass(frozen=True)
class PickItem:
    """One order line to pick."""

    order_no: str
    zone: str
    location: str
    sku_code: str
    title: str
    properties: str
    quantity: int


@dataclass(frozen=True)
class PickRow:
    """One stop on the walk: one SKU at one location, the quantity summed over the batch's orders."""

    zone: str
    location: str
    sku_code: str
    title: str
    properties: str
    quantity: int
    order_nos: tuple[str, ...]


# --- picking ---------------------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key that orders digit runs by value: "A-2" < "A-10" < "B-1"; case-insensitive, ties by the text."""
    parts = _DIGITS.split(text.casefold())
    # Odd positions are the digit runs. Every element is (kind, number, text) so any two keys compare.
    return tuple((0, int(p), p) if i % 2 else (1, 0, p) for i, p in enumerate(parts) if p), text


def _stop_key(zone: str, location: str, sku_code: str) -> tuple:
    # Located stops first; within them, stops without a zone after the zoned ones; then zone, location, SKU.
    return (location == "", zone == "", natural_key(zone), natural_key(location), natural_key(sku_code))


def pick_rows(items: Iterable[PickItem]) -> list[PickRow]:
    """Group by (zone, location, sku_code), sum quantities, and sort in walking order.

    Walking order: zone, then location in natural order (A-2 before A-10), then sku_code (natural order). Items with
    no location (empty location; their zone may be empty too) come last; the pick list prints them under 未指定库位.
    A located item with no zone comes after all zoned stops. Title and properties are the first seen for the stop;
    order_nos are unique and sorted.
    """
    groups: dict[tuple[str, str, str], list] = {}
    for item in items:
        key = (item.zone.strip(), item.location.strip(), item.sku_code.strip())
        group = groups.get(key)
        if group is None:
            groups[key] = [item.title, item.properties, item.quantity, {item.order_no}]
        else:
            group[2] += item.quantity
            group[3].add(item.order_no)
    rows = [PickRow(zone=zone, location=location, sku_code=sku, title=title, properties=properties,
                    quantity=quantity, order_nos=tuple(sorted(order_nos)))
            for (zone, location, sku), (title, properties, quantity, order_nos) in groups.items()]
    rows.sort(key=lambda r: _stop_key(r.zone, r.location, r.sku_code))
    return rows


def sku_totals(rows: Iterable[PickRow]) -> list[tuple[str, str, int]]:
    """(sku_code, title, total quantity) per SKU over all locations, in natural sku_code order; the title is the
    first seen."""
    totals: dict[str, list] = {}
    for row in rows:
        entry = totals.get(row.sku_code)
        if entry is None:
            totals[row.sku_code] = [row.title, row.quantity]
        else:
            entry[1] += row.quantity
    return [(sku, title, total) for sku, (title, total) in sorted(totals.items(), key=lambda kv: natural_key(kv[0]))]


_A85_LOCK = threading.Lock()
_a85_users = 0
_a85_saved = None


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Write the compressed streams as plain Flate, without ReportLab's ASCII85 layer on top.

    ASCII85 only makes a binary stream 25% larger in 7-bit text; without the optional C accelerator (rl_accel) its
    pure Python encoder took about a third of a dispatch note's time. The switch is ReportLab's process-wide
    `rl_config.useA85`, read when a document is saved: it is turned off while any render here runs and restored
    after the last one (a counter under a lock, so overlapping renders in threads restore the original value).
    """
    global _a85_users, _a85_saved
    with _A85_LOCK:
        if _a85_users == 0:
            _a85_saved = rl_config.useA85
            rl_config.useA85 = 0
        _a85_users += 1
    try:
        yield
    finally:
        with _A85_LOCK:
            _a85_users -= 1
            if _a85_users == 0:
                rl_config.useA85 = _a85_saved


# --- fonts and text --------------------------------------------------------------------------------------------------


@cache
def _register_fonts() -> None:
    """Register the CJK CID font once (lazily: importing this module costs no font work)."""
    if CJK not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK))


# C0/C1 controls, zero-width and bidi-override characters: folded to spaces (then whitespace runs to one space).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\ufeff]")
_SPACES = re.compile(r"\s+")


def _clean(text: object) -> str:
    """One line of user text: controls and whitespace runs (newlines too) become single spaces."""
    if text is None:
        return ""
    return _SPACES.sub(" ", _CONTROL.sub(" ", str(text))).strip()


def _para_text(text: object, keep_lines: bool = False) -> str:
    """User text for a Paragraph: cleaned, then escaped so it is never read as markup."""
    if not keep_lines:
        return escape(_clean(text))
    lines = (_clean(line) for line in str(text or "").splitlines())
    return "<br/>".join(escape(line) for line in lines if line)


@lru_cache(maxsize=1 << 16)
def _unit_width(text: str, font: str) -> float:
    return pdfmetrics.stringWidth(text, font, 1000)


def _width(text: str, font: str, size: float) -> float:
    """Width in points; cached per (token, font) since the same characters and words come back on every page."""
    return _unit_width(text, font) * size / 1000


# Tokens for wrapping: a run of printable ASCII (a phone, a SKU code, a word), a run of spaces, or one other char.
_TOKEN = re.compile(r"[!-~]+| +|.", re.S)


def _wrap(text: str, font: str, size: float, width: float, max_lines: int | None = None) -> tuple[list[str], bool]:
    """Greedy line breaking for mixed Chinese/Latin text; returns (lines, truncated).

    ASCII runs are kept whole unless one is wider than the line by itself; Chinese may break anywhere. With
    max_lines, the last kept line ends in "…" when text was cut.
    """
    lines: list[str] = []
    cur, cur_w = "", 0.0
    for token in _TOKEN.findall(text):
        w = _width(token, font, size)
        if cur_w + w <= width:
            if cur or not token.isspace():
                cur, cur_w = cur + token, cur_w + w
            continue
        if token.isspace():  # a break opportunity: the spaces vanish at the end of the line
            lines.append(cur)
            cur, cur_w = "", 0.0
            continue
        if cur:
            lines.append(cur.rstrip())
            cur, cur_w = "", 0.0
        if w <= width:
            cur, cur_w = token, w
            continue
        for ch in token:  # a token wider than a whole line: break it between characters
            cw = _width(ch, font, size)
            if cur and cur_w + cw > width:
                lines.append(cur)
                cur, cur_w = "", 0.0
            cur, cur_w = cur + ch, cur_w + cw
    if cur.strip():
        lines.append(cur.rstrip())
    if max_lines is None or len(lines) <= max_lines:
        return lines, False
    lines = lines[:max(max_lines, 1)]
    last = lines[-1]
    while last and _width(last + "…", font, size) > width:
        last = last[:-1]
    lines[-1] = last.rstrip() + "…"
    return lines, True


def _fit(text: str, font: str, sizes: tuple[float, ...], width: float, max_lines: int,
         last_resort_lines: int | None = None) -> tuple[float, list[str]]:
    """The largest size at which text fits in max_lines; failing that, the smallest size with up to
    last_resort_lines lines (None: as many as needed, nothing cut), cut with "…" beyond."""
    for size in sizes:
        lines, cut = _wrap(text, font, size, width, max_lines)
        if not cut:
            return size, lines
    size = sizes[-1]
    return size, _wrap(text, font, size, width, last_resort_lines)[0]


def _font_for(text: str) -> str:
    return LATIN_BOLD if text.isascii() else CJK


def _draw(canv: Canvas, x: float, y: float, text: str, font: str, size: float, *, bold: bool = False,
          align: str = "left", color=None) -> float:
    """Draw one line at baseline y; returns its width. `bold` fakes a bold CJK face with fill+stroke rendering."""
    w = _width(text, font, size)
    if align == "center":
        x -= w / 2
    elif align == "right":
        x -= w
    if not bold and color is None:
        canv.setFont(font, size)
        canv.drawString(x, y, text)
        return w
    canv.saveState()  # the text render mode and colours are graphics state: restore them after
    if color is not None:
        canv.setFillColor(color)
        canv.setStrokeColor(color)
    t = canv.beginText(x, y)
    t.setFont(font, size)
    if bold:
        canv.setLineWidth(size * 0.035)
        t.setTextRenderMode(2)
    t.textOut(text)
    canv.drawText(t)
    canv.restoreState()
    return w


def _phones(party: Party) -> str:
    """All of a party's phones on one line, in the order given, each once."""
    return "  ".join(dict.fromkeys(p for p in (_clean(p) for p in party.phones) if p))


def _money(amount: Decimal) -> str:
    return f"{Decimal(amount):,.2f}"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


# --- barcodes --------------------------------------------------------------------------------------------------------

_DOT = 25.4 / 203 * mm  # one dot of a 203 dpi thermal printer, in points


@lru_cache(maxsize=4096)
def _bars(value: str) -> tuple[tuple[tuple[int, int], ...], int] | None:
    """The bars of value's Code 128 symbol as (offset, width) in modules, and the symbol's width in modules; None
    when value has nothing to encode (Code 128 takes ASCII only).

    ReportLab's Code128 chooses the code sets (B, with C for digit runs), adds the check character and expands the
    symbols into its width pattern ("BaAbAd": capitals are bars, small letters spaces, a=1 ... d=4 modules); the
    bars are then drawn here as one path on the page's canvas, several times faster than the Flowable's rectangle
    per bar."""
    if not value or not value.isascii() or not value.isprintable():
        return None
    code = Code128(value, quiet=0)
    code.validate()
    code.encode()
    pattern = code.decompose()
    bars, x = [], 0
    for ch in pattern:
        n = ord(ch.lower()) - 96
        if ch.isupper():
            bars.append((x, n))
        x += n
    return tuple(bars), x


def _draw_barcode(canv: Canvas, value: str, x: float, y: float, max_width: float, bar_height: float,
                  max_module: float, align: str = "center") -> float:
    """Draw value centred on x (align="right": ending at x) with the bars' bottom at y; returns the width drawn
    (0 when there is nothing to encode).

    The module is the widest whole number of printer dots up to max_module that fits max_width, or, for a value too
    long for that, exactly what fits."""
    made = _bars(value.strip())
    if made is None:
        return 0.0
    bars, modules = made
    fit = max_width / modules
    dots = int(min(fit, max_module) / _DOT)
    module = dots * _DOT if dots >= 2 else fit
    width = modules * module
    left = x - width if align == "right" else x - width / 2
    # One path of "x y w h re" and a single fill, written as literal operators (ReportLab's number formatting per
    # rectangle would dominate the time of a label without its optional C accelerator).
    y_h = f" {y:.3f} "
    h_re = f" {bar_height:.3f} re"
    ops = [f"{left + offset * module:.3f}{y_h}{n * module:.3f}{h_re}" for offset, n in bars]
    ops.append("f")
    canv.addLiteral("\n".join(ops))
    return width


# --- labels ----------------------------------------------------------------------------------------------------------


def render_labels(labels: Iterable[Label]) -> bytes:
    """电子面单: one 100 x 180 mm page per label, all on one canvas. Raises ValueError for no labels."""
    _register_fonts()
    buf = BytesIO()
    canv = Canvas(buf, pagesize=LABEL_SIZE, invariant=1, pageCompression=PAGE_COMPRESSION)
    canv.setTitle("电子面单")
    canv.setCreator("ShopDesk")
    pages = 0
    for label in labels:
        _draw_label(canv, label)
        canv.showPage()
        pages += 1
    if not pages:
        raise ValueError("render_labels: no labels")
    with _binary_streams():
        canv.save()
    return buf.getvalue()


def _draw_label(c: Canvas, label: Label) -> None:
    page_w, page_h = LABEL_SIZE
    left, right, bottom, top = 3 * mm, page_w - 3 * mm, 3 * mm, page_h - 3 * mm
    inner = right - left
    c.setLineWidth(0.8)
    c.rect(left, bottom, inner, top - bottom)

    # Header: carrier left, shop and time right.
    y = top - 11 * mm
    carrier = _clean(label.carrier)
    carrier_size, carrier_lines = _fit(carrier, CJK, (20, 16, 13), inner * 0.55, 1, 1)
    _draw(c, left + 2 * mm, y + 1 * mm, carrier_lines[0] if carrier_lines else "", CJK, carrier_size, bold=True)
    shop = _wrap(_clean(label.shop_name), CJK, 9, inner * 0.42, 1)[0]
    if shop:
        _draw(c, right - 2 * mm, top - 5.5 * mm, shop[0], CJK, 9, align="right")
    if label.printed_at:
        _draw(c, right - 2 * mm, top - 10 * mm, "打印 " + _when(label.printed_at), CJK, 7, align="right")
    y = top - 14 * mm
    c.line(left, y, right, y)

    # Waybill: the tracking number as Code 128, the number in large digits under it.
    tracking = _clean(label.tracking_no)
    bar_h = 20 * mm
    drawn = _draw_barcode(c, tracking, page_w / 2, y - 3 * mm - bar_h, inner - 10 * mm, bar_h, 0.5 * mm)
    digits_y = y - 3 * mm - bar_h - 6 * mm
    if tracking:
        font = _font_for(tracking)
        size = 15 if _width(tracking, font, 15) <= inner - 4 * mm else 11
        _draw(c, page_w / 2, digits_y, tracking, font, size, align="center")
    if not drawn:
        _draw(c, page_w / 2, y - 14 * mm, "（无运单号）" if not tracking else "（运单号无法生成条码）", CJK, 11,
              align="center")
    y = digits_y - 3 * mm
    c.line(left, y, right, y)

    # Cash on delivery: white on black across the label.
    if label.cod_amount is not None:
        band = 11 * mm
        c.rect(left, y - band, inner, band, stroke=0, fill=1)
        _draw(c, page_w / 2, y - band + 3.2 * mm, f"代收货款  ￥{_money(label.cod_amount)}", CJK, 17, bold=True,
              align="center", color=colors.white)
        y -= band
        c.line(left, y, right, y)

    # Receiver and sender blocks: a narrow column with 收 / 寄, the party on the right.
    y = _draw_party(c, label.receiver, "收", y, left, right, big=True)
    c.line(left, y, right, y)
    y = _draw_party(c, label.sender, "寄", y, left, right, big=False)
    c.line(left, y, right, y)

    # Footer, anchored at the bottom: order number as a smaller Code 128 and in text.
    footer_top = bottom + 17 * mm
    order_no = _clean(label.order_no)
    _draw_barcode(c, order_no, left + 2 * mm + inner * 0.3, bottom + 7 * mm, inner * 0.6, 8 * mm, 0.33 * mm)
    _draw(c, left + 2 * mm, bottom + 2.5 * mm, "订单号 " + order_no, CJK, 8)
    c.line(left, footer_top, right, footer_top)
    _draw(c, left + 2 * mm, footer_top + 2.5 * mm, "收件人签收：", CJK, 9)
    _draw(c, right - 2 * mm, footer_top + 2.5 * mm, "签收时间：      月      日", CJK, 9, align="right")
    c.setLineWidth(0.4)
    c.line(left, footer_top + 8 * mm, right, footer_top + 8 * mm)
    footer_top += 8 * mm

    # Items and buyer message share the space left between the sender and the footer.
    text_w = inner - 4 * mm
    space = y - footer_top - 2 * mm
    items = _clean(label.items_summary)
    message = _clean(label.buyer_message)
    items_size, message_size = 9, 8
    items_lead, message_lead = items_size * 1.3, message_size * 1.3
    message_lines_wanted = 3 if message else 0
    items_room = int((space - message_lines_wanted * message_lead - (2 * mm if message else 0)) // items_lead)
    items_lines = _wrap("物品：" + (items or "—"), CJK, items_size, text_w, max(min(items_room, 6), 1))[0]
    cursor = y - 1.5 * mm
    for line in items_lines:
        cursor -= items_lead
        if cursor < footer_top + 1 * mm:
            break
        _draw(c, left + 2 * mm, cursor, line, CJK, items_size)
    if message:
        cursor -= 2 * mm
        room = int((cursor - footer_top - 1 * mm) // message_lead)
        if room > 0:
            for line in _wrap("买家留言：" + message, CJK, message_size, text_w, min(room, 4))[0]:
                cursor -= message_lead
                _draw(c, left + 2 * mm, cursor, line, CJK, message_size)


def _draw_party(c: Canvas, party: Party, mark: str, top: float, left: float, right: float, *, big: bool) -> float:
    """Draw a party block below top; returns its bottom y."""
    col = 11 * mm
    x = left + col + 2 * mm
    width = right - 2 * mm - x
    name = _clean(party.name) or "—"
    phones = _phones(party)
    address = _clean(party.address) or "—"
    if big:
        name_sizes, phone_sizes, addr_sizes, addr_lines = (16, 14, 12), (14, 12, 11, 10, 9), (12, 11, 10, 9, 8), 3
    else:
        name_sizes, phone_sizes, addr_sizes, addr_lines = (10, 9), (10, 9, 8), (9, 8, 7), 2
    cursor = top - 1.5 * mm
    name_size, name_lines = _fit(name, CJK, name_sizes, width, 1, 1)
    cursor -= name_size * 1.15
    _draw(c, x, cursor, name_lines[0], CJK, name_size, bold=big)
    if phones:  # every phone, never cut: wrapped onto as many lines as they need
        phone_size, phone_lines = _fit(phones, CJK, phone_sizes, width, 2, None)
        for line in phone_lines:
            cursor -= phone_size * 1.25
            _draw(c, x, cursor, line, CJK, phone_size, bold=big)
    addr_size, lines = _fit(address, CJK, addr_sizes, width, addr_lines, addr_lines + 3)
    cursor -= 1 * mm
    for line in lines:
        cursor -= addr_size * 1.3
        _draw(c, x, cursor, line, CJK, addr_size)
    bottom = min(cursor - 2 * mm, top - (26 * mm if big else 15 * mm))
    c.line(left + col, top, left + col, bottom)
    mark_size = 22 if big else 16
    _draw(c, left + col / 2, (top + bottom) / 2 - mark_size * 0.35, mark, CJK, mark_size, bold=True, align="center")
    return bottom


# --- platypus helpers ------------------------------------------------------------------------------------------------


@cache
def _styles() -> dict[str, ParagraphStyle]:
    _register_fonts()
    base = ParagraphStyle("sd-base", fontName=CJK, fontSize=9, leading=11.5, wordWrap="CJK")
    return {
        "cell": base,
        "small": ParagraphStyle("sd-small", parent=base, fontSize=7, leading=8.5),
        "box": ParagraphStyle("sd-box", parent=base, fontSize=10, leading=13.5),
        "flag": ParagraphStyle("sd-flag", parent=base, fontSize=12, leading=16, textColor=colors.white),
        "heading": ParagraphStyle("sd-heading", parent=base, fontSize=11, leading=15, spaceBefore=4, spaceAfter=3),
    }


def _p(text: str, style: str = "cell") -> Paragraph:
    """A Paragraph of already escaped markup."""
    return Paragraph(text, _styles()[style])


def _cell(text: object, width: float, size: float = 9, style: str = "cell", empty: str = "—") -> str | Paragraph:
    """A table cell of user text: the plain string when it fits on one line (a Table draws plain strings as they
    are, never parsing them, and far faster than a Paragraph), else a wrapping Paragraph of the escaped text."""
    text = _clean(text) or empty
    if _width(text, CJK, size) <= width - 6.5:  # the cells' left and right padding are 3 pt each
        return text
    return _p(escape(text), style)


def _style(*commands) -> _TableStyle:
    return _TableStyle([("FONTNAME", (0, 0), (-1, -1), CJK), ("FONTSIZE", (0, 0), (-1, -1), 9),
                        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3), *commands])


class _Call(Flowable):
    """A zero-size flowable that calls fn(canvas) when the frame reaches it (to mark where an order starts)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.width = self.height = 0

    def wrap(self, avail_width, avail_height):
        return 0, 0

    def draw(self):
        self.fn(self.canv)


class _TickBox(Flowable):
    """An empty square for the picker's tick."""

    def __init__(self, size: float = 3.6 * mm):
        super().__init__()
        self.width = self.height = size

    def draw(self):
        self.canv.setLineWidth(0.7)
        self.canv.rect(0, 0, self.width, self.height)


def _doc(buf: BytesIO, pagesize, margins: tuple[float, float, float, float], title: str,
         on_page_end=None) -> BaseDocTemplate:
    top, right, bottom, left = margins
    doc = BaseDocTemplate(buf, pagesize=pagesize, topMargin=top, rightMargin=right, bottomMargin=bottom,
                          leftMargin=left, invariant=1, pageCompression=PAGE_COMPRESSION, title=title,
                          creator="ShopDesk", author="ShopDesk")
    frame = Frame(left, bottom, pagesize[0] - left - right, pagesize[1] - top - bottom, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    extra = {"onPageEnd": on_page_end} if on_page_end else {}
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], pagesize=pagesize, **extra)])
    return doc


# --- dispatch notes --------------------------------------------------------------------------------------------------


def render_dispatch_notes(notes: Iterable[DispatchNote]) -> bytes:
    """发货单: A4 portrait; each order starts on a new page and continues on as many pages as its lines need, with
    the order number in the header of each. Raises ValueError for no notes."""
    _register_fonts()
    notes = list(notes)
    if not notes:
        raise ValueError("render_dispatch_notes: no dispatch notes")
    page_w, page_h = DISPATCH_NOTE_SIZE
    margin = 12 * mm
    state: dict = {"note": None, "page": 0}

    def start(note: DispatchNote):
        def mark(_canv):
            state["note"], state["page"] = note, 0
        return _Call(mark)

    def page_end(canv: Canvas, _doc_):
        note = state["note"]
        state["page"] += 1
        if note is not None:
            _note_header(canv, note, state["page"], page_w, page_h, margin)

    buf = BytesIO()
    doc = _doc(buf, DISPATCH_NOTE_SIZE, (27 * mm, margin, 14 * mm, margin), "发货单", on_page_end=page_end)
    width = page_w - 2 * margin
    story: list = []
    for i, note in enumerate(notes):
        if i:
            story.append(PageBreak())
        story.append(start(note))
        story.extend(_note_story(note, width))
    with _binary_streams():
        doc.build(story)
    return buf.getvalue()


def _note_header(c: Canvas, note: DispatchNote, page: int, page_w: float, page_h: float, margin: float) -> None:
    top = page_h - 10 * mm
    order_no = _clean(note.order_no)
    shop = _wrap(_clean(note.shop_name), CJK, 10, 60 * mm, 1)[0]
    if shop:
        _draw(c, margin, top - 4 * mm, shop[0], CJK, 10)
    title = "发货单" if page == 1 else f"发货单（续 第{page}页）"
    _draw(c, page_w / 2, top - 5 * mm, title, CJK, 17, bold=True, align="center")
    _draw(c, margin, top - 10 * mm, "订单号 " + order_no, CJK, 10, bold=True)
    _draw_barcode(c, order_no, page_w - margin, top - 11 * mm, 60 * mm, 9 * mm, 0.3 * mm, align="right")
    _draw(c, page_w - margin, top - 14.5 * mm, order_no, _font_for(order_no), 7, align="right")
    c.setLineWidth(1)
    c.line(margin, page_h - 25 * mm, page_w - margin, page_h - 25 * mm)
    c.setLineWidth(0.5)
    c.line(margin, 11 * mm, page_w - margin, 11 * mm)
    waybill = " ".join(p for p in (_clean(note.carrier), _clean(note.tracking_no)) if p)
    _draw(c, margin, 7 * mm, f"订单 {order_no}  第 {page} 页", CJK, 8)
    if waybill:
        _draw(c, page_w - margin, 7 * mm, waybill, CJK, 8, align="right")


def _note_story(note: DispatchNote, width: float) -> list:
    story: list = []
    receiver = note.receiver
    phones = _phones(receiver)
    label_w = 18 * mm
    value_w = width / 2 - label_w
    wide = width - label_w
    facts = [
        ["订单号", _cell(note.order_no, value_w), "付款时间", _when(note.paid_at)],
        ["买家账号", _cell(note.buyer_platform_id, value_w), "快递",
         _cell(" ".join(p for p in (_clean(note.carrier), _clean(note.tracking_no)) if p), value_w)],
        ["收件人", _cell(" ".join(p for p in (_clean(receiver.name), phones) if p), wide), "", ""],
        ["收货地址", _cell(receiver.address, wide), "", ""],
    ]
    story.append(Table(facts, colWidths=[label_w, value_w, label_w, value_w], style=_style(
        ("SPAN", (1, 2), (3, 2)), ("SPAN", (1, 3), (3, 3)), ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#e8e8e8")),
        ("BACKGROUND", (2, 0), (2, 1), colors.HexColor("#e8e8e8")))))

    flags = [_para_text(n, keep_lines=True) for n in note.flagged_notes]
    flags = [f for f in flags if f]
    if flags:
        story.append(Spacer(1, 3 * mm))
        rows = [[_p("★ 旗帜备注（请务必按备注处理）", "flag")]] + [[_p("■ " + f, "flag")] for f in flags]
        story.append(Table(rows, colWidths=[width], style=_style(
            ("BACKGROUND", (0, 0), (-1, -1), colors.black), ("BOX", (0, 0), (-1, -1), 2, colors.black),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.white),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ("LEFTPADDING", (0, 0), (-1, -1), 6))))

    story.append(Spacer(1, 3 * mm))
    widths = [10 * mm, 32 * mm, 0, 42 * mm, 22 * mm, 14 * mm]
    widths[2] = width - sum(widths)
    rows = [["序号", "商品编码", "商品名称", "规格", "库位", "数量"]]
    commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#d0d0d0")),
                ("ALIGN", (0, 0), (0, -1), "CENTER"), ("ALIGN", (-1, 0), (-1, -1), "CENTER"),
                ("FONTSIZE", (-1, 1), (-1, -1), 11)]
    total = 0
    for i, line in enumerate(note.lines, start=1):
        total += line.quantity
        rows.append([str(i), _cell(line.sku_code, widths[1]), _cell(line.title, widths[2]),
                     _cell(line.properties, widths[3], empty=""), _cell(line.location, widths[4], empty=""),
                     str(line.quantity)])
        if line.quantity > 1:
            commands.append(("BACKGROUND", (-1, i), (-1, i), colors.HexColor("#c8c8c8")))
    rows.append([f"合计 {len(note.lines)} 种商品", "", "", "", "", str(total)])
    commands += [("SPAN", (0, -1), (4, -1)), ("ALIGN", (0, -1), (4, -1), "RIGHT"),
                 ("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#eeeeee"))]
    story.append(Table(rows, colWidths=widths, repeatRows=1, style=_style(*commands)))

    for caption, text in (("买家留言", note.buyer_message), ("发票抬头", note.invoice_title),
                          ("贺卡", note.greeting_card)):
        body = _para_text(text, keep_lines=True)
        if body:
            story.append(Spacer(1, 3 * mm))
            story.append(Table([[caption, _p(body, "box")]], colWidths=[20 * mm, width - 20 * mm], style=_style(
                ("BOX", (0, 0), (-1, -1), 1, colors.black), ("LINEAFTER", (0, 0), (0, 0), 0.5, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (0, 0), colors.HexColor("#e8e8e8")),
                ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 5))))
    return story


# --- pick list -------------------------------------------------------------------------------------------------------

def render_pick_list(*, batch_no: str, warehouse: str, created_at: datetime, order_count: int,
                     rows: list[PickRow]) -> bytes:
    """拣货单: A4 portrait; the stops in the order given (use pick_rows), then the totals per SKU. A header with the
    batch and 第 x/y 页 on every page."""
    _register_fonts()
    rows = list(rows)
    totals = sku_totals(rows)
    pieces = sum(r.quantity for r in rows)
    page_w, page_h = PICK_LIST_SIZE
    margin = 12 * mm
    locations = len({(r.zone, r.location) for r in rows})
    summary = f"订单 {order_count} 单  库位 {locations} 个  商品 {len(totals)} 种  共 {pieces} 件"

    def header(c: Canvas, page: int, pages: int):
        top = page_h - 10 * mm
        _draw(c, margin, top - 6 * mm, "拣货单", CJK, 18, bold=True)
        batch = _clean(batch_no)
        _draw(c, margin + 34 * mm, top - 2.5 * mm, "批次 " + batch, CJK, 11, bold=True)
        _draw(c, margin + 34 * mm, top - 7.5 * mm, f"仓库 {_clean(warehouse) or '—'}  创建时间 {_when(created_at)}",
              CJK, 9)
        _draw(c, margin + 34 * mm, top - 12 * mm, summary, CJK, 9)
        _draw_barcode(c, batch, page_w - margin, top - 8 * mm, 50 * mm, 8 * mm, 0.3 * mm, align="right")
        _draw(c, page_w - margin, top - 12 * mm, f"第 {page}/{pages} 页", CJK, 10, bold=True, align="right")
        c.setLineWidth(1)
        c.line(margin, page_h - 25 * mm, page_w - margin, page_h - 25 * mm)
        _draw(c, margin, 7 * mm, f"批次 {batch}  第 {page}/{pages} 页", CJK, 8)
        _draw(c, page_w - margin, 7 * mm, "拣货人 ________  复核 ________", CJK, 8, align="right")

    buf = BytesIO()
    doc = _doc(buf, PICK_LIST_SIZE, (27 * mm, margin, 13 * mm, margin), "拣货单")
    width = page_w - 2 * margin
    story: list = []
    widths = [9 * mm, 14 * mm, 24 * mm, 32 * mm, 0, 13 * mm, 30 * mm, 10 * mm]
    widths[4] = width - sum(widths)
    if rows:
        story.extend(_stops_tables(rows, widths))
    else:
        story.append(_p("无拣货项", "heading"))

    story.append(Spacer(1, 5 * mm))
    story.append(_p("商品汇总", "heading"))
    widths = [9 * mm, 40 * mm, width - 74 * mm, 25 * mm]
    body = [[str(i), _cell(sku, widths[1]), _cell(title, widths[2]), str(total)]
            for i, (sku, title, total) in enumerate(totals, start=1)]
    body.append([f"合计 {len(totals)} 种", "", "", str(pieces)])
    last = len(body) - 1
    story.extend(_long_table(
        ["序号", "商品编码", "商品名称", "合计数量"], body, widths,
        every=[("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("ALIGN", (0, 0), (0, -1), "CENTER"),
               ("ALIGN", (-1, 0), (-1, -1), "CENTER")],
        head=[("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#d0d0d0"))],
        rows={last: [("ALIGN", 0, 2, "RIGHT"), ("SPAN", 0, 2),
                     ("BACKGROUND", 0, -1, colors.HexColor("#eeeeee"))]}))
    with _binary_streams():
        doc.build(story, canvasmaker=_numbered_canvas(header))
    return buf.getvalue()


def _stops_tables(rows: list[PickRow], widths: list[float]) -> list[Flowable]:
    body, row_commands = [], {}
    previous = None
    for i, row in enumerate(rows):
        located = bool(row.location)
        commands = []
        if i and (row.zone, located) != previous:  # a heavier rule where the walk enters another zone
            commands.append(("LINEABOVE", 0, -1, 1.8, colors.black))
        previous = (row.zone, located)
        if not located:
            commands.append(("FONTSIZE", 2, 2, 8))
        if commands:
            row_commands[i] = commands
        title, properties = _clean(row.title) or "—", _clean(row.properties)
        name = _cell(f"{title}  {properties}" if properties else title, widths[4])
        if not isinstance(name, str) and properties:  # wrapped: the specification in a smaller size
            name = _p(f"{escape(title)} <font size=7.5>{escape(properties)}</font>")
        orders = [_clean(o) for o in row.order_nos]
        shown = "\n".join(orders[:3]) + (f"\n等 {len(orders)} 单" if len(orders) > 3 else "")
        body.append([str(i + 1), _clean(row.zone) or "—", _clean(row.location) if located else NO_LOCATION,
                     _cell(row.sku_code, widths[3]), name, str(row.quantity), shown, _TickBox()])
    return _long_table(
        ["序号", "库区", "库位", "商品编码", "商品名称 / 规格", "数量", "订单", "√"], body, widths,
        every=[("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("ALIGN", (0, 0), (0, -1), "CENTER"),
               ("ALIGN", (5, 0), (5, -1), "CENTER"), ("ALIGN", (7, 0), (7, -1), "CENTER")],
        head=[("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#d0d0d0"))],
        body=[("FONTSIZE", 2, 2, 10.5), ("FONTSIZE", 5, 5, 11), ("FONTSIZE", 6, 6, 7), ("LEADING", 6, 6, 8.5)],
        rows=row_commands)


_CHUNK = 40  # body rows per table of a long table


def _long_table(head_row: list, body_rows: list[list], widths: list[float], *, every=(), head=(), body=(),
                rows: dict | None = None) -> list[Flowable]:
    """A long table as a list of tables of _CHUNK rows that read as one: column titles at the top of the first
    and of every page the table continues on, nowhere else.

    One ReportLab Table of thousands of rows is split page by page, and every split wraps and restyles all the rows
    left: quadratic. Chunks keep that linear. Commands: `every` as given (whole-table ranges), `head` for the title
    row (row 0), `body` as (op, first col, last col, *args) over all body rows, and `rows` {body row index: [(op,
    first col, last col, *args)]} for single rows."""
    rows = rows or {}

    def make(lo: int, hi: int, titled: bool) -> Table:
        off = 1 if titled else 0
        commands = list(every) + (list(head) if titled else [])
        commands += [(op, (c0, off), (c1, -1), *args) for op, c0, c1, *args in body]
        for r in range(lo, hi):
            commands += [(op, (c0, r - lo + off), (c1, r - lo + off), *args) for op, c0, c1, *args in rows.get(r, ())]
        data = ([head_row] if titled else []) + body_rows[lo:hi]
        if titled:
            return Table(data, colWidths=widths, repeatRows=1, style=_style(*commands))
        table = _TableChunk(data, colWidths=widths, style=_style(*commands))
        table._sd_rest = (make, lo, hi)
        return table

    n = len(body_rows)
    return [make(lo, min(lo + _CHUNK, n), titled=lo == 0) for lo in range(0, n, _CHUNK)]


class _TableChunk(Table):
    """A continuation chunk of a long table, without column titles while it goes on on the same page. Where it
    breaks to a new page, the part on the new page gets the titles (and a chunk of which no row fits at all moves
    to the next page whole, with the titles)."""

    _sd_rest: tuple

    def split(self, avail_width, avail_height):
        make, lo, hi = self._sd_rest
        parts = super().split(avail_width, avail_height)
        if not parts:
            return [PageBreak(), make(lo, hi, True)]
        if len(parts) == 2:
            k = len(parts[0]._cellvalues)
            parts = [parts[0], make(lo + k, hi, True)]
        return parts


def _numbered_canvas(draw_header):
    """A Canvas class that keeps every page until save() so the header can say 第 x/y 页."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._sd_pages: list[dict] = []

        def showPage(self):  # noqa: N802 (ReportLab's name)
            self._sd_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._sd_pages)
            for number, page in enumerate(self._sd_pages, start=1):
                self.__dict__.update(page)
                draw_header(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas
