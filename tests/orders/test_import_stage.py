"""The import's pass two reads the records back from its stage and ahead of the writer (orders.importing)."""

import threading
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from shopdesk.channels.importers import LineRecord, OrderRecord
from shopdesk.orders.importing import _stage_row, _staged_record, prefetched

CHINA = ZoneInfo("Asia/Shanghai")


def test_a_record_comes_back_from_the_stage_exactly_as_parsed():
    rec = OrderRecord(
        line_no=7, platform_order_no="3988112233445566", status="paid", platform_status="买家已付款，等待卖家发货",
        buyer_platform_id="tb_小王", buyer_name="王小明", mobile="13800138000", landline="0571-88888888",
        province="浙江省", city="杭州市", district="西湖区", address_detail="文三路 1 号", postcode="310000",
        goods_amount=Decimal("199.90"), shipping_fee=Decimal("0"), paid_amount=Decimal("189.90"),
        ordered_at=datetime(2026, 11, 11, 0, 0, 3, tzinfo=CHINA), paid_at=None, buyer_message="周末送",
        is_cod=True, is_mobile_order=False, greeting_card="生日快乐", chosen_carrier="顺丰速运")
    back = _staged_record(tuple(_stage_row(rec)))
    assert back == rec
    assert back.is_cod is True and back.is_mobile_order is False
    assert back.ordered_at.utcoffset() == rec.ordered_at.utcoffset() and back.paid_at is None
    assert isinstance(back.paid_amount, Decimal) and str(back.goods_amount) == "199.90"


def test_prefetched_yields_every_chunk_in_order():
    assert list(prefetched(iter([[1], [2, 3], [4]]))) == [[1], [2, 3], [4]]


def test_an_error_of_the_reader_is_raised_to_the_writer():
    def chunks():
        yield [LineRecord(2, "A", "t")]
        raise ValueError("stage unreadable")

    got = prefetched(chunks())
    assert next(got)[0].channel_sku_code == "A"
    with pytest.raises(ValueError, match="stage unreadable"):
        next(got)


def test_a_writer_that_stops_early_stops_the_reader():
    produced = []

    def chunks():
        for n in range(1000):
            produced.append(n)
            yield [n]

    got = prefetched(chunks(), depth=2)
    assert next(got) == [0]
    got.close()  # the writer failed: the generator is closed
    assert not any(t.name == "shopdesk-import-reader" for t in threading.enumerate())
    assert len(produced) < 10  # it read at most a few chunks ahead, not the whole file
