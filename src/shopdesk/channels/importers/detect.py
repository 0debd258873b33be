"""Which importer reads a file: by the column names in its first row."""

from __future__ import annotations

from django.utils.translation import gettext

from .records import ImportFileError
from .textfile import file_label, iter_rows, normalise_header, read_header

FORMATS = ("taobao", "jd", "generic")
# The header names that tell the formats apart (all of them must be present).
KEY_HEADERS = {
    "taobao": ("订单编号", "买家会员名"),
    "jd": ("订单号", "客户姓名"),
    "generic": ("店铺订单号",),
}


def detect_format(path) -> str:
    """"taobao" (Taobao/Tmall ExportOrderList), "jd" (JD seller export) or "generic" (ShopDesk template).

    Raises ImportFileError for any other file, naming the formats and the columns that identify them."""
    rows = iter_rows(path)
    try:
        headers = {normalise_header(name) for name in read_header(rows, path)}
    finally:
        rows.close()
    for fmt in FORMATS:
        if all(normalise_header(name) in headers for name in KEY_HEADERS[fmt]):
            return fmt
    if {"订单编号", "标题", "购买数量"} <= headers:
        raise ImportFileError(gettext("%(file)s is the Taobao order items file (ExportOrderDetailList); choose the "
                                      "orders file (ExportOrderList) and add this one as its items file.")
                              % {"file": file_label(path)})
    raise ImportFileError(gettext("%(file)s: not a known order file. The first row must hold the column names of a "
                                  "Taobao/Tmall order export (%(taobao)s), a JD order export (%(jd)s) or the ShopDesk "
                                  "order template (%(generic)s).")
                          % {"file": file_label(path), **{fmt: ", ".join(KEY_HEADERS[fmt]) for fmt in FORMATS}})
