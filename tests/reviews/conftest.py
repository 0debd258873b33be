"""Fixtures of the review tests: the after-sales agent and the supervisor of the shop, reviews recorded through the
service, review export files."""

from __future__ import annotations

import csv
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from shopdesk.core import clock
from shopdesk.reviews import services

CN = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CN)
HEADER = ["评价ID", "订单编号", "商品名称", "商家编码", "评价等级", "评价内容", "评价时间", "原因分类", "买家昵称"]
_seq = itertools.count(1)


@pytest.fixture
def frozen():
    """The clock stopped at 2026-11-25 10:00 China time (a Wednesday); yields clock so tests can advance it."""
    with clock.freeze(NOW):
        yield clock


@pytest.fixture
def agent(make_user, shop):
    return make_user("cs_aftersales", username="agent", shops=[shop])


@pytest.fixture
def supervisor(make_user, shop):
    return make_user("cs_supervisor", username="supervisor", shops=[shop])


@pytest.fixture
def make_review(db, shop):
    """make_review("negative", posted_at, category="colour", for_shop=..., order=...) -> a Review via the service."""

    def make(rating="negative", posted_at=None, *, for_shop=None, review_id=None, **kw):
        return services.record_review(actor=None, shop=for_shop or shop,
                                      platform_review_id=review_id or f"R{next(_seq):06d}", rating=rating,
                                      posted_at=posted_at or clock.now(), **kw)

    return make


@pytest.fixture
def review_csv(tmp_path):
    """review_csv(rows, encoding="utf-8-sig", name="reviews.csv") -> path of a CSV with the template's header."""

    def write(rows, *, encoding="utf-8-sig", name="reviews.csv", header=HEADER):
        path = tmp_path / name
        with open(path, "w", encoding=encoding, newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def review_xlsx(tmp_path):
    def write(rows, *, name="reviews.xlsx"):
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(HEADER)
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        book.save(path)
        return path

    return write
