"""Excel import/export (openpyxl): all-or-nothing validation with "第N行 列: 原因", idempotent re-import, the
template, and an export that imports back unchanged."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from shopdesk.catalog import services, xlsx
from shopdesk.catalog.models import SKU, Brand, PriceChange, Product
from shopdesk.core.errors import ServiceError
from shopdesk.core.models import AuditEvent

HEADERS = ["货号", "商品名称", "标题", "品牌", "类目", "成本价", "吊牌价", "会员价", "VIP价", "重量(克)", "SKU编码",
           "颜色", "尺码", "款式", "条码", "个人卫生用品", "特价", "赠品", "主推款", "新品", "属性"]
GOOD_ROWS = [
    ["AZB-B001", "无钢圈文胸", "安之伴无钢圈文胸 纯棉 肤色", "安之伴", "文胸", 42, 129, 119, None, 120, "B001-SK-70B",
     "肤色", "70B", "", "6923456000011", "否", "否", "否", "是", "否", "面料:纯棉;罩杯:3/4杯"],
    ["AZB-B001", "无钢圈文胸", "安之伴无钢圈文胸 纯棉 肤色", "安之伴", "文胸", 42, 129, 119, None, 120, "B001-BK-75B",
     "黑色", "75B", "", 6923456000028, "否", "否", "否", "是", "否", "面料:纯棉;罩杯:3/4杯"],
    ["AZB-P001", "纯棉三角内裤", "安之伴纯棉三角内裤", "新品牌", "内裤", 8, "29.90", None, None, 60, "P001-SK-M",
     "肤色", "M", "", "6923456000035", "是", "", "", "", "是", ""],
]


def workbook(rows, headers=HEADERS) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("商品.xlsx", out.getvalue())


@pytest.fixture
def catalog(db, brand, bra, briefs):
    return None


def problems(exc) -> list[str]:
    return exc.value.fields["file"]


def test_import_creates_products_skus_and_brands(catalog, make_user):
    merch = make_user("merchandiser")
    result = services.import_products_xlsx(actor=merch, file=workbook(GOOD_ROWS), file_name="商品.xlsx")
    assert result.created == ["AZB-B001", "AZB-P001"] and result.brands_created == ["新品牌"]
    bra = Product.objects.get(item_number="AZB-B001")
    assert (bra.list_price, bra.member_price, bra.vip_price, bra.cost_price) == (
        Decimal("129"), Decimal("119"), None, Decimal("42"))
    assert bra.is_key_product and not bra.is_hygiene and bra.attributes == {"面料": "纯棉", "罩杯": "3/4杯"}
    assert list(bra.skus.values_list("code", "barcode")) == [("B001-SK-70B", "6923456000011"),
                                                             ("B001-BK-75B", "6923456000028")]
    briefs = Product.objects.get(item_number="AZB-P001")
    assert briefs.is_hygiene and briefs.is_new and briefs.is_active and briefs.list_price == Decimal("29.90")
    assert briefs.brand == Brand.objects.get(name="新品牌")
    assert "cmsjnk" in briefs.search_text  # 纯棉三角内裤
    assert AuditEvent.objects.filter(action="catalog.import_products", actor=merch).count() == 1
    assert AuditEvent.objects.filter(action="catalog.create_product").count() == 2


def test_a_bad_row_imports_nothing_and_every_problem_names_its_row(catalog, make_product):
    taken = make_product(item_number="OLD-1").skus.first()
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][14] = taken.barcode  # row 3: barcode of another product
    rows[2][6] = "abc"  # row 4: price not a number
    rows.append(["AZB-X", "", "", "", "不存在", None, 10, None, None, None, "X-1", "", "", "", "", "也许", "", "", "",
                 "", ""])  # row 5: no name, unknown category, bad yes/no
    rows.append(["AZB-B001", "另一个名字", "", "", "文胸", None, 129, None, None, None, "B001-SK-80B", "", "", "", "",
                 "", "", "", "", "", ""])  # row 6: name differs from row 2
    before = (Product.objects.count(), SKU.objects.count(), Brand.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError) as exc:
        services.import_products_xlsx(actor=None, file=workbook(rows))
    lines = problems(exc)
    assert (Product.objects.count(), SKU.objects.count(), Brand.objects.count(), AuditEvent.objects.count()) == before

    def has(row, column):
        return any(re.match(rf"(第{row}行|Row {row}) {re.escape(column)}: ", line) for line in lines)

    assert has(3, "条码") and taken.code in " ".join(lines)
    assert has(4, "吊牌价") and has(5, "个人卫生用品") and has(6, "商品名称")
    assert exc.value.code == "invalid_import"


def test_missing_name_and_category_are_reported_with_row_numbers(catalog):
    rows = [["AZB-X", "", "", "", "不存在", None, 10, None, None, None, "X-1", "", "", "", "", "", "", "", "", "",
             ""]]
    with pytest.raises(ServiceError) as exc:
        services.import_products_xlsx(actor=None, file=workbook(rows))
    joined = "\n".join(problems(exc))
    assert re.search(r"(第2行|Row 2) 类目: ", joined)
    rows[0][4] = "文胸"
    with pytest.raises(ServiceError) as exc:
        services.import_products_xlsx(actor=None, file=workbook(rows))
    assert any(re.match(r"(第2行|Row 2) 商品名称: ", line) for line in problems(exc))
    assert not Product.objects.exists()


def test_reimporting_the_same_file_updates_and_never_duplicates(catalog):
    services.import_products_xlsx(actor=None, file=workbook(GOOD_ROWS))
    counts = (Product.objects.count(), SKU.objects.count(), Brand.objects.count())
    again = services.import_products_xlsx(actor=None, file=workbook(GOOD_ROWS))
    assert again.created == [] and again.updated == [] and sorted(again.unchanged) == ["AZB-B001", "AZB-P001"]
    assert (Product.objects.count(), SKU.objects.count(), Brand.objects.count()) == counts
    assert not AuditEvent.objects.filter(action="catalog.update_product").exists()
    rows = [list(r) for r in GOOD_ROWS]
    rows[0][2] = "安之伴无钢圈文胸 纯棉 肤色 新款"
    rows[1][2] = rows[0][2]
    rows[1][12] = "80B"
    changed = services.import_products_xlsx(actor=None, file=workbook(rows))
    assert changed.updated == ["AZB-B001"]
    assert Product.objects.get(item_number="AZB-B001").title.endswith("新款")
    assert SKU.objects.get(code="B001-BK-75B").size == "80B"
    assert (Product.objects.count(), SKU.objects.count()) == counts[:2]


def test_reimport_price_changes_follow_the_rule(catalog, make_user):
    services.import_products_xlsx(actor=None, file=workbook(GOOD_ROWS))
    rows = [r[:5] + [None] + r[6:] for r in GOOD_ROWS]  # no cost prices
    rows[0][6] = rows[1][6] = 99  # 129 -> 99: -23%, beyond operations' 10%
    with pytest.raises(ServiceError) as exc:  # product editors may not change prices
        services.import_products_xlsx(actor=make_user("product_editor"), file=workbook(rows))
    assert [line for line in problems(exc) if re.match(r"(第2行|Row 2) 吊牌价: ", line)]
    result = services.import_products_xlsx(actor=make_user("operations"), file=workbook(rows),
                                           file_name="秋季调价.xlsx")
    assert [c.status for c in result.price_changes] == ["pending"]
    change = PriceChange.objects.get()
    assert change.reason == "Excel导入 秋季调价.xlsx" and change.new_value == Decimal("99")
    assert Product.objects.get(item_number="AZB-B001").list_price == Decimal("129")


def test_cost_price_needs_the_permission(catalog, make_user):
    with pytest.raises(ServiceError) as exc:
        services.import_products_xlsx(actor=make_user("product_editor"), file=workbook(GOOD_ROWS))
    assert any(re.match(r"(第2行|Row 2) 成本价: ", line) for line in problems(exc))
    no_cost = [r[:5] + [None] + r[6:] for r in GOOD_ROWS]
    assert services.import_products_xlsx(actor=make_user("product_editor"), file=workbook(no_cost)).created


def test_product_columns_may_be_left_empty_on_following_rows(catalog):
    rows = [list(GOOD_ROWS[0]), ["AZB-B001"] + [None] * 9 + ["B001-BK-75B", "黑色", "75B"] + [None] * 8]
    result = services.import_products_xlsx(actor=None, file=workbook(rows))
    product = Product.objects.get(item_number="AZB-B001")
    assert result.created == ["AZB-B001"] and product.skus.count() == 2 and product.is_key_product


def test_unreadable_file_and_missing_columns(catalog):
    with pytest.raises(ServiceError) as exc:
        services.import_products_xlsx(actor=None, file=SimpleUploadedFile("x.xlsx", b"not a workbook"))
    assert exc.value.code == "not_xlsx"
    with pytest.raises(ServiceError) as exc:
        services.import_products_xlsx(actor=None, file=workbook([["A"]], headers=["货号"]))
    assert exc.value.code == "bad_header" and "SKU编码" in exc.value.message


def test_template_has_the_chinese_headers(client_for):
    response = client_for("merchandiser").get(reverse("catalog:template"))
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[:10] == ["货号", "商品名称", "标题", "品牌", "类目", "成本价", "吊牌价", "会员价", "VIP价",
                            "重量(克)"]
    assert {"SKU编码", "颜色", "尺码", "款式", "条码", "个人卫生用品", "特价", "赠品", "主推款", "新品"} <= set(headers)
    editor = load_workbook(io.BytesIO(client_for("product_editor").get(reverse("catalog:template")).content))
    assert "成本价" not in [c.value for c in editor.worksheets[0][1]]  # no cost column without the permission


def test_export_imports_back_unchanged(catalog, make_product, client_for):
    make_product(item_number="AZB-E1", description="<p>规格说明</p>", attributes={"面料": "纯棉"},
                 member_price=Decimal("88.50"), is_new=True)
    response = client_for("merchandiser").get(reverse("catalog:export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    exported = SimpleUploadedFile("export.xlsx", response.content)
    result = services.import_products_xlsx(actor=None, file=exported)
    assert result.unchanged == ["AZB-E1"] and result.updated == [] and result.created == []
    rows = list(load_workbook(io.BytesIO(response.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + 4 and isinstance(rows[1][rows[0].index("条码")], str)


def test_import_page_and_api(catalog, client_for, api_for):
    page = client_for("merchandiser")
    bad = [list(GOOD_ROWS[0])]
    bad[0][6] = -5
    html = page.post(reverse("catalog:import"), {"file": workbook(bad)}).content.decode()
    assert re.search(r"(第2行|Row 2) 吊牌价", html) and not Product.objects.exists()
    response = page.post(reverse("catalog:import"), {"file": workbook(GOOD_ROWS)})
    assert response.status_code == 302 and Product.objects.count() == 2
    api = api_for("operations")
    body = api.post("/api/v1/catalog/import/", {"file": workbook(GOOD_ROWS)}, format="multipart").json()
    assert sorted(body["unchanged"]) == ["AZB-B001", "AZB-P001"]
    error = api.post("/api/v1/catalog/import/", {"file": workbook(bad)}, format="multipart")
    assert error.status_code == 400 and error.json()["error"]["code"] == "invalid_import"
    assert re.match(r"(第2行|Row 2) 吊牌价", error.json()["error"]["fields"]["file"][0])
    assert api_for("cs_presales").post("/api/v1/catalog/import/", {"file": workbook(GOOD_ROWS)},
                                       format="multipart").status_code == 403


def test_headers_are_read_whatever_their_order(catalog):
    headers = ["SKU编码", "商品名称", "货号", "重量（克）"]
    result = services.import_products_xlsx(actor=None, file=workbook([["S-1", "袜子", "SOCK-1", 30]],
                                                                      headers=headers))
    product = Product.objects.get(item_number="SOCK-1")
    assert result.created == ["SOCK-1"] and product.weight_grams == 30 and product.skus.get().code == "S-1"
    assert xlsx.header_of("sku", "barcode") == "条码"


def test_export_writes_text_never_formulas(catalog, make_product, client_for):
    make_product(item_number="F-1", title='=HYPERLINK("http://evil.example","点我")')
    content = client_for("merchandiser").get(reverse("catalog:export")).content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    title_col = [c.value for c in sheet[1]].index("标题") + 1
    cell = sheet.cell(row=2, column=title_col)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()  # no formula element anywhere
