"""Warehouse PDFs (shopdesk.fulfillment.printing): read back with pypdf, text and barcodes.

The barcodes are checked by decoding them: the bars are read out of the page's content stream (filled `re`
rectangles, grouped by their common bottom and height), turned into module widths, matched against ReportLab's
Code 128 width patterns (`code128._patterns`) and decoded through its code-set tables (B, C and the switches between
them), with the check character verified.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from reportlab.graphics.barcode import code128
from reportlab.lib.units import mm

from shopdesk.fulfillment.printing import (
    DispatchNote,
    Label,
    NoteLine,
    Party,
    PickItem,
    PickRow,
    natural_key,
    pick_rows,
    render_dispatch_notes,
    render_labels,
    render_pick_list,
    sku_totals,
)

# --- helpers ---------------------------------------------------------------------------------------------------------


def _reader(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf))


def _texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in _reader(pdf).pages]


def _squashed(text: str) -> str:
    """Text without whitespace: wrapped lines joined back."""
    return "".join(text.split())


_PAINT_FILL = {"f", "F", "f*"}
_PAINT_OTHER = {"S", "s", "B", "B*", "b", "b*", "n"}


def _filled_rect_groups(page) -> list[list[tuple[float, float]]]:
    """Filled rectangles of the page grouped by (bottom, height): each group is [(x, width)] sorted by x, the
    groups sorted tallest first. A barcode is one group: its bars share bottom and height."""
    groups: dict[tuple[float, float], list[tuple[float, float]]] = {}
    path: list[tuple[float, float, float, float]] = []
    for operands, operator in page.get_contents().operations:
        op = operator.decode() if isinstance(operator, bytes) else operator
        if op == "re":
            path.append(tuple(float(v) for v in operands))
        elif op in _PAINT_FILL:
            for x, y, w, h in path:
                groups.setdefault((round(y, 2), round(h, 2)), []).append((x, w))
            path = []
        elif op in _PAINT_OTHER:
            path = []
    return [sorted(bars) for _, bars in sorted(groups.items(), key=lambda kv: -kv[0][1])]


_PATTERN_TO_CODE = {pattern: code for code, pattern in code128._patterns.items()}
_STARTS = {code128.starta: "START_A", code128.startb: "START_B", code128.startc: "START_C"}


def _decode_code128(bars: list[tuple[float, float]]) -> str:
    """Decode Code 128 from its bars [(x, width)] (no quiet zone needed). Raises on anything malformed."""
    module = min(w for _, w in bars)  # every start symbol has a one-module bar
    widths = []
    for i, (x, w) in enumerate(bars):
        widths.append(round(w / module))
        if i + 1 < len(bars):
            widths.append(round((bars[i + 1][0] - (x + w)) / module))
    assert all(1 <= n <= 4 for n in widths), widths
    codes, i = [], 0
    while i < len(widths):
        size = 7 if len(widths) - i == 7 else 6  # the stop symbol has a seventh element, its final bar
        chunk = widths[i:i + size]
        assert len(chunk) == size, "truncated symbol"
        pattern = "".join(chr((ord("A") if k % 2 == 0 else ord("a")) + n - 1) for k, n in enumerate(chunk))
        codes.append(_PATTERN_TO_CODE[pattern])
        i += size
    start, *data, check, stop = codes
    assert stop == code128.stop
    assert (start + sum(k * c for k, c in enumerate(data, start=1))) % 103 == check, "bad check character"
    _code, table, _shift = code128.setmap[_STARTS[start]]
    out = []
    for c in data:
        symbol = {v: k for k, v in table.items()}[c]
        if symbol in ("TO_A", "TO_B", "TO_C"):
            table = code128.setmap[symbol][0]
        else:
            out.append(symbol)
    return "".join(out)


def _barcodes(page, min_bars: int = 10) -> list[str]:
    """Every barcode on the page, decoded, tallest first."""
    return [_decode_code128(bars) for bars in _filled_rect_groups(page) if len(bars) >= min_bars]


# --- data ------------------------------------------------------------------------------------------------------------

SENDER = Party("优选服饰旗舰店仓库", ("400-820-8820",), "广东省 广州市 白云区 太和镇 华南物流园 3 号仓")


def _label(n: int, *, phones=("13800138000",), cod=None, message="", name="张小三",
           address="浙江省 杭州市 西湖区 文三路 478 号华星时代广场 A 座 1203 室", tracking=None) -> Label:
    return Label(order_no=f"TB2025010{n}1234567", shop_name="优选服饰旗舰店",
                 carrier=("顺丰速运", "中通快递", "圆通速递")[n % 3],
                 tracking_no=tracking or f"SF14{n}0987654321", sender=SENDER,
                 receiver=Party(name, tuple(phones), address), items_summary="连衣裙 红色 M ×2；T恤 ×1",
                 cod_amount=cod, buyer_message=message, printed_at=datetime(2025, 1, 2, 10, 30))


# --- labels ----------------------------------------------------------------------------------------------------------


def test_labels_one_page_each_of_100_by_180_mm_with_all_the_text():
    labels = [
        _label(1, phones=("13800138000", "0571-88886666"), name="王小明"),
        _label(2, cod=Decimal("128.5"), name="李四"),
        _label(3, name="赵六", message="周末不在家，请放快递柜"),
    ]
    pdf = render_labels(labels)
    reader = _reader(pdf)
    assert len(reader.pages) == 3
    for page, label in zip(reader.pages, labels, strict=True):
        box = page.mediabox
        assert float(box.width) == pytest.approx(100 * mm, abs=0.5)
        assert float(box.height) == pytest.approx(180 * mm, abs=0.5)
        text = page.extract_text()
        for expected in (label.tracking_no, label.order_no, label.receiver.name, *label.receiver.phones,
                         label.sender.name, *label.sender.phones, label.carrier, "收", "寄", label.shop_name):
            assert expected in text, (expected, text)
        assert _squashed(label.receiver.address) in _squashed(text)
        if label.cod_amount is None:
            assert "代收货款" not in text
        else:
            assert "代收货款" in text and "128.50" in text
    assert "0571-88886666" in reader.pages[0].extract_text()  # the second phone of the two-phone receiver
    assert "周末不在家，请放快递柜" in _squashed(reader.pages[2].extract_text())


def test_label_barcodes_are_the_tracking_and_order_numbers():
    labels = [_label(1), _label(2, cod=Decimal("9.9")), _label(3, tracking="YT7712345678901"),
              _label(4, tracking="JD0012345678901-1-1"), _label(5, tracking="773100200911")]
    reader = _reader(render_labels(labels))
    for page, label in zip(reader.pages, labels, strict=True):
        tracking, order = _barcodes(page)  # exactly two barcodes, the tracking number the taller
        assert tracking == label.tracking_no
        assert order == label.order_no


def test_the_barcode_decoder_reads_what_reportlab_encodes_and_nothing_else():
    for value in ("SF1234567890123", "7", "ab12cd345", "0012345678", "X-1"):
        pdf = render_labels([_label(1, tracking=value)])
        assert _barcodes(_reader(pdf).pages[0])[0] == value
    one = _filled_rect_groups(_reader(render_labels([_label(1, tracking="SF100")])).pages[0])[0]
    other = _filled_rect_groups(_reader(render_labels([_label(1, tracking="SF101")])).pages[0])[0]
    assert one != other


def test_every_phone_and_the_whole_address_are_printed_even_when_long():
    phones = ("13800138000", "13900139000", "0571-88886666-801", "15000150000", "18600186000")
    address = ("新疆维吾尔自治区 伊犁哈萨克自治州 霍尔果斯市 卡拉苏河口岸 国际物流园区 中亚商贸城 12 栋 3 单元 1502 室"
               " 收件请先电话联系 工作日白天在单位")
    label = _label(1, phones=phones, address=address, name="欧阳娜娜·阿不都热合曼")
    (text,) = _texts(render_labels([label]))
    for phone in phones:
        assert phone in text
    assert _squashed(address) in _squashed(text)
    assert _squashed(label.receiver.name) in _squashed(text)


def test_long_items_summary_is_cut_with_an_ellipsis_on_the_same_page():
    summary = "；".join(f"商品{i} 颜色分类:深蓝色 尺码:XXL ×{i}" for i in range(1, 60))
    label = _label(1)
    label = Label(**{**label.__dict__, "items_summary": summary})
    texts = _texts(render_labels([label]))
    assert len(texts) == 1
    assert "商品1" in texts[0] and "…" in texts[0]
    assert "商品59" not in texts[0]


def test_user_text_on_labels_prints_literally():
    label = _label(1, message="<b>x</b> & 1", name="<i>张</i>&amp;")
    (text,) = _texts(render_labels([label]))
    assert "<b>x</b> & 1" in text
    assert "<i>张</i>&amp;" in text


def test_labels_are_deterministic_and_refuse_an_empty_batch():
    labels = [_label(1), _label(2, cod=Decimal("10"))]
    assert render_labels(labels) == render_labels(iter(labels))
    with pytest.raises(ValueError):
        render_labels([])


def test_a_thousand_labels_render():
    labels = [_label(i % 9, cod=Decimal("59.90") if i % 7 == 0 else None) for i in range(1000)]
    assert len(_reader(render_labels(labels)).pages) == 1000


# --- dispatch notes --------------------------------------------------------------------------------------------------


def _note(order_no: str, n_lines: int = 2, **overrides) -> DispatchNote:
    lines = tuple(NoteLine(f"SKU-{i:03d}", f"纯棉短袖T恤 第{i}款", "颜色:红色;尺码:M", (i % 3) + 1, f"A-{i}")
                  for i in range(1, n_lines + 1))
    values = dict(order_no=order_no, shop_name="优选服饰旗舰店", paid_at=datetime(2025, 1, 1, 9, 0),
                  buyer_platform_id="tb_buyer_01", receiver=Party("张小三", ("13800138000", "0571-88886666"),
                                                                  "浙江省 杭州市 西湖区 文三路 478 号"),
                  lines=lines, buyer_message="请尽快发货", flagged_notes=("赠品：小样两份", "不要放发票"),
                  carrier="顺丰速运", tracking_no="SF1234567890123")
    values.update(overrides)
    return DispatchNote(**values)


def test_dispatch_notes_one_order_per_page_with_lines_message_and_flagged_notes():
    notes = [_note("TB1001"), _note("TB1002", 3, buyer_message="", flagged_notes=(), greeting_card="生日快乐",
                                    invoice_title="杭州某某科技有限公司")]
    reader = _reader(render_dispatch_notes(notes))
    assert len(reader.pages) == 2
    first, second = (page.extract_text() for page in reader.pages)
    for expected in ("发货单", "TB1001", "SKU-001", "SKU-002", "纯棉短袖T恤 第1款", "请尽快发货", "买家留言",
                     "旗帜备注", "赠品：小样两份", "不要放发票", "张小三", "13800138000", "0571-88886666",
                     "SF1234567890123", "顺丰速运", "tb_buyer_01", "2025-01-01 09:00", "优选服饰旗舰店"):
        assert expected in first, expected
    assert first.index("旗帜备注") < first.index("商品编码")  # the flagged notes come before the items
    assert "TB1002" not in first and "TB1001" not in second
    for expected in ("TB1002", "SKU-003", "生日快乐", "杭州某某科技有限公司"):
        assert expected in second
    assert "旗帜备注" not in second and "买家留言" not in second
    assert _barcodes(reader.pages[0], min_bars=5) == ["TB1001"]  # the order number, for the packing scanner


def test_a_long_dispatch_note_flows_onto_more_pages_with_the_order_number_repeated():
    notes = [_note("TB2001", 40), _note("TB2002", 1)]
    texts = _texts(render_dispatch_notes(notes))
    assert len(texts) >= 3
    long_pages = [t for t in texts if "TB2001" in t]
    assert len(long_pages) >= 2 and texts[:len(long_pages)] == long_pages
    assert all("商品编码" in t for t in long_pages)  # the column titles repeat
    assert "续" in long_pages[1]
    body = "\n".join(long_pages)
    for i in range(1, 41):
        assert f"SKU-{i:03d}" in body
    assert "TB2002" in texts[-1] and "TB2001" not in texts[-1]


def test_user_text_on_dispatch_notes_prints_literally():
    long_title = "<u>t</u> & 2 " + "超长的商品标题" * 12  # too long for one line: a Paragraph
    note = _note("TB3001", buyer_message="<b>x</b> & 1", flagged_notes=("<i>急</i> & <br/>",),
                 lines=(NoteLine("<SKU>&", long_title, "<font size=40>", 1),), invoice_title="A&B <c>")
    (text,) = _texts(render_dispatch_notes([note]))
    for expected in ("<b>x</b> & 1", "<u>t</u> & 2", "<i>急</i> & <br/>", "<SKU>&", "<font size=40>", "A&B <c>"):
        assert expected in text, expected


def test_dispatch_notes_refuse_an_empty_batch():
    with pytest.raises(ValueError):
        render_dispatch_notes([])


# --- picking ---------------------------------------------------------------------------------------------------------


def _item(order_no, zone, location, sku, quantity=1, title=None):
    return PickItem(order_no=order_no, zone=zone, location=location, sku_code=sku, title=title or f"商品{sku}",
                    properties="红色 M", quantity=quantity)


def test_natural_key_orders_digit_runs_by_value():
    assert sorted(["A-10", "A-2", "B-1", "a-3", "A-2-10", "A-2-9"], key=natural_key) == \
        ["A-2", "A-2-9", "A-2-10", "a-3", "A-10", "B-1"]


def test_pick_rows_group_sum_and_walk_in_natural_order():
    items = [
        _item("O3", "A", "A-10", "SKU-1", 2),
        _item("O1", "A", "A-2", "SKU-2", 1),
        _item("O2", "A", "A-2", "SKU-2", 3),
        _item("O1", "A", "A-2", "SKU-2", 1),  # the same order twice: its number once
        _item("O4", "", "", "SKU-9", 1),
        _item("O5", "B", "B-1", "SKU-3", 1),
        _item("O6", "A", "A-2", "SKU-10", 1),
        _item("O7", "A", "A-2", "SKU-1", 1),
        _item("O8", "", "", "SKU-8", 2),
    ]
    rows = pick_rows(items)
    assert [(r.zone, r.location, r.sku_code) for r in rows] == [
        ("A", "A-2", "SKU-1"), ("A", "A-2", "SKU-2"), ("A", "A-2", "SKU-10"), ("A", "A-10", "SKU-1"),
        ("B", "B-1", "SKU-3"), ("", "", "SKU-8"), ("", "", "SKU-9")]
    a2 = rows[1]
    assert a2.quantity == 5 and a2.order_nos == ("O1", "O2")
    assert a2.title == "商品SKU-2" and a2.properties == "红色 M"
    assert rows[3].order_nos == ("O3",) and rows[3].quantity == 2
    assert pick_rows([]) == []


def test_sku_totals_sum_over_locations():
    rows = [PickRow("A", "A-1", "SKU-2", "裙子", "", 2, ("O1",)), PickRow("B", "B-1", "SKU-2", "裙子", "", 3, ("O2",)),
            PickRow("A", "A-2", "SKU-10", "帽子", "", 1, ("O3",)), PickRow("", "", "SKU-1", "袜子", "", 4, ("O4",))]
    assert sku_totals(rows) == [("SKU-1", "袜子", 4), ("SKU-2", "裙子", 5), ("SKU-10", "帽子", 1)]
    assert sku_totals([]) == []


def test_pick_list_pdf_walks_in_order_with_totals():
    items = [_item("O1", "A", "A-10", "SKU-1", 2), _item("O2", "A", "A-2", "SKU-2", 3),
             _item("O3", "B", "B-7", "SKU-1", 1), _item("O4", "", "", "SKU-3", 4, title="<b>袜子</b> & 1")]
    rows = pick_rows(items)
    pdf = render_pick_list(batch_no="PK20250101-007", warehouse="杭州一号仓", created_at=datetime(2025, 1, 1, 8, 0),
                           order_count=4, rows=rows)
    texts = _texts(pdf)
    assert len(texts) == 1
    text = texts[0]
    for expected in ("拣货单", "PK20250101-007", "杭州一号仓", "2025-01-01 08:00", "第 1/1 页", "商品汇总",
                     "<b>袜子</b> & 1"):
        assert expected in text, expected
    positions = [text.index(x) for x in ("A-2", "A-10", "B-7", "未指定库位")]
    assert positions == sorted(positions)
    totals = text[text.index("商品汇总"):]
    assert "SKU-1" in totals and "3" in totals and "共 10 件" in text
    assert _barcodes(_reader(pdf).pages[0], min_bars=5) == ["PK20250101-007"]


def test_pick_list_header_and_column_titles_on_every_page():
    items = [_item(f"O{i}", "ABC"[i % 3], f"{'ABC'[i % 3]}-{i}", f"SKU-{i % 40}") for i in range(180)]
    rows = pick_rows(items)
    texts = _texts(render_pick_list(batch_no="PK-9", warehouse="仓", created_at=datetime(2025, 1, 1),
                                    order_count=180, rows=rows))
    assert len(texts) >= 4
    for number, text in enumerate(texts, start=1):
        assert f"第 {number}/{len(texts)} 页" in text
        assert "PK-9" in text
    stop_pages = [t for t in texts if "库位" in t and "√" in t]
    assert len(stop_pages) >= 4  # the stops' column titles on each page they continue on
    locations = [r.location for r in rows]
    body = "\n".join(texts)
    positions = [body.index(f"\n{loc}\n") if f"\n{loc}\n" in body else body.index(loc) for loc in locations]
    assert positions == sorted(positions)


def test_empty_pick_list_still_renders_a_page():
    texts = _texts(render_pick_list(batch_no="PK-0", warehouse="仓", created_at=datetime(2025, 1, 1), order_count=0,
                                    rows=[]))
    assert len(texts) == 1 and "PK-0" in texts[0] and "无拣货项" in texts[0]
