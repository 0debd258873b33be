"""The review workbooks (openpyxl): the empty import template and the weekly review-cause report (003:544)."""

from __future__ import annotations

from shopdesk.core import spreadsheet
from shopdesk.reviews.models import Review


def review_template_xlsx() -> bytes:
    """The empty review-import workbook: the columns, codes kept as text, two example rows and a notes sheet."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "评价"
    sheet.append(["评价ID", "订单编号", "商品名称", "商家编码", "评价等级", "评价内容", "评价时间", "原因分类",
                  "买家昵称"])
    sheet.append(["R2026112500001", "5552026112200001", "真皮斜挎包 黑色", "CH-0001", "差评", "颜色和图片差太多",
                  "2026-11-20 10:00:00", "色差", "tb_buyer01"])
    sheet.append(["R2026112500002", "5552026112200002", "帆布托特包", "CH-0002", "好评", "很好看，物流也快",
                  "2026-11-20 11:30:00", "", "tb_buyer02"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHI", (20, 22, 24, 14, 10, 40, 20, 10, 16), strict=True):
        sheet.column_dimensions[column].width = width
    for column in "ABD":
        for cell in sheet[column]:
            cell.number_format = "@"
    notes = book.create_sheet("说明")
    for row in (["列", "必填", "说明"],
                ["评价ID", "是", "平台的评价编号；同一店铺重复导入时不会重复创建"],
                ["订单编号", "是", "平台订单号；ShopDesk 中找不到的订单照样导入，并在结果里列出"],
                ["商品名称", "否", "用于匹配订单中的商品行（商家编码优先）"],
                ["商家编码", "否", "商品的商家编码，用于匹配订单中的商品行"],
                ["评价等级", "是", "好评、中评或差评"],
                ["评价内容", "否", "买家的评价文字"],
                ["评价时间", "是", "如 2026-11-25 10:00:00（北京时间）"],
                ["原因分类", "否", "、".join(Review.Category.labels)],
                ["买家昵称", "否", "买家的平台账号"]):
        notes.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def report_xlsx(report: dict) -> bytes:
    """The weekly review-cause report as a workbook: 汇总, 按原因, 按商品, 按店铺."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "汇总"
    t = report["totals"]
    for row in (["周", report["week"]], ["起", report["start"].strftime("%Y-%m-%d")],
                ["止", report["end"].strftime("%Y-%m-%d")], ["评价数", t["all"]], ["好评", t["positive"]],
                ["中评", t["neutral"]], ["差评", t["negative"]], ["中差评已有结果", t["with_outcome"]]):
        summary.append(row)
    sheets = (("按原因", ["原因", "中差评数"], [[r["label"], r["count"]] for r in report["by_reason"]]),
              ("按商品", ["商品", "中差评数", "其中差评"],
               [[r["product"], r["count"], r["negative"]] for r in report["by_product"]]),
              ("按店铺", ["店铺", "评价数", "好评", "中评", "差评"],
               [[r["shop"], r["count"], r["positive"], r["neutral"], r["negative"]] for r in report["by_shop"]]))
    for title, header, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 30
        for row in rows:
            sheet.append(spreadsheet.row(sheet, row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()
