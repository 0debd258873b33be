"""The batch's PDFs built from the database (selectors → printing): every phone on the label with the shop's sender,
flagged notes and locations on the dispatch note, the FIFO location on the pick list, each download logged as a
print or reprint with its page count, the personal-data permission, and a constant number of queries."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from shopdesk.fulfillment import selectors, services, views
from shopdesk.fulfillment.models import PrintLog
from shopdesk.inventory import engine
from shopdesk.inventory import services as inventory_services
from shopdesk.orders import services as order_services


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def picker_client(picker):
    client = Client()
    client.force_login(picker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _download(client, batch, document):
    response = client.get(reverse("fulfillment:batch_document", args=[batch.pk, document]))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response) if response.streaming else response.content


def test_labels_carry_every_phone_the_sender_and_the_address(zto, verified_order, shop, picker, picker_client):
    services.update_shop_shipping(actor=None, shop=shop, sender_name="杭州发货仓", sender_phone="0571-12345678",
                                  sender_address="杭州市余杭区仓前街道文一西路1号")
    one = verified_order(mobile="13800138000", landline="0571-88886666", name="张三", detail="文三路1号")
    two = verified_order(mobile="13912345678", name="李四", detail="学院路9号")
    batch = services.create_batch(actor=picker, orders=[one, two]).batch
    pdf = _download(picker_client, batch, "labels")
    text = _text(pdf)
    for phone in ("13800138000", "0571-88886666", "13912345678", "0571-12345678"):
        assert phone in text, phone
    assert "张三" in text and "文三路1号" in text and "杭州发货仓" in text and "ZT7300000001" in text
    assert "****" not in text  # the warehouse prints the real data for the carrier
    assert _pages(pdf) == 2
    log = PrintLog.objects.get()
    assert log.document == "labels" and not log.reprint and log.pages == 2 and log.printed_by == picker


def test_dispatch_notes_carry_lines_locations_message_and_flagged_notes(zto, make_order, stocked, manager,
                                                                       picker, picker_client):
    sku = stocked("CH-DN", 5)
    order = make_order(lines=[("CH-DN", 2, "50.00")], message="请用纸箱包装")  # a message waits for a person
    order = order_services.verify_order(actor=manager, order=order)
    order_services.add_note(actor=manager, order=order, text="送一个小样")
    order_services.add_note(actor=manager, order=order, text="普通备注不打印", flagged=False)
    batch = services.create_batch(actor=picker, orders=[order]).batch
    text = _text(_download(picker_client, batch, "dispatch_notes"))
    assert order.platform_order_no in text and sku.code in text and "A-01" in text
    assert "请用纸箱包装" in text and "送一个小样" in text and "普通备注不打印" not in text
    assert "13800138000" in text


def test_pick_list_takes_the_oldest_lot_location_and_prints_twice_as_reprint(zto, verified_order, stocked, warehouse,
                                                                             picker, picker_client):
    zone = warehouse.zones.get(code="A")
    inventory_services.create_locations(actor=None, warehouse=warehouse, zone=zone, codes=["A-10", "A-02"])
    sku = stocked("CH-FIFO", 0)
    engine.receive(sku=sku, location=warehouse.locations.get(code="A-01"), quantity=3, reference="NEW",
                   received_on=date(2026, 11, 1))
    engine.receive(sku=sku, location=warehouse.locations.get(code="A-10"), quantity=2, reference="OLD",
                   received_on=date(2026, 1, 1))
    order = verified_order(lines=[("CH-FIFO", 2, "50.00")])
    batch = services.create_batch(actor=picker, orders=[order]).batch
    orders = selectors.document_orders(picker, batch)
    rows = selectors.pick_list_document(batch, orders)["rows"]
    assert [(r.zone, r.location, r.sku_code, r.quantity) for r in rows] == [("A", "A-10", sku.code, 2)]
    first = _download(picker_client, batch, "pick_list")
    text = _text(first)
    assert "A-10" in text and sku.code in text and batch.number in text
    _download(picker_client, batch, "pick_list")
    logs = list(PrintLog.objects.order_by("id"))
    assert [(p.document, p.reprint) for p in logs] == [("pick_list", False), ("pick_list", True)]
    assert logs[0].pages == _pages(first)


def test_no_lot_in_the_shops_warehouses_means_no_location(zto, verified_order, stocked, warehouse, shop, picker):
    sku = stocked("CH-GONE", 3)
    order = verified_order(lines=[("CH-GONE", 1, "50.00")])
    batch = services.create_batch(actor=picker, orders=[order]).batch
    warehouse.shops.remove(shop)
    orders = selectors.document_orders(picker, batch)
    assert selectors.pick_spots(orders)[orders[0].lines.get().pk] == selectors.NO_SPOT
    rows = selectors.pick_list_document(batch, orders)["rows"]
    assert [(r.location, r.sku_code) for r in rows] == [("", sku.code)]
    assert "未指定库位" in _text(views.build_document(picker, batch, "pick_list"))


def test_labels_and_notes_refused_without_the_personal_data_permission(zto, verified_order, make_user, shop, picker):
    user = make_user("trade_sales", shops=[shop])
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label__in=["orders", "fulfillment"], codename__in=["fulfil_order", "view_printbatch"]))
    client = Client()
    client.force_login(user)
    batch = services.create_batch(actor=picker, orders=[verified_order()]).batch
    for document in ("labels", "dispatch_notes"):
        assert client.get(reverse("fulfillment:batch_document", args=[batch.pk, document])).status_code == 403
    assert client.get(reverse("fulfillment:batch_document", args=[batch.pk, "pick_list"])).status_code == 200
    page = client.get(reverse("fulfillment:batch", args=[batch.pk])).content.decode()
    assert reverse("fulfillment:batch_document", args=[batch.pk, "labels"]) not in page
    assert reverse("fulfillment:batch_document", args=[batch.pk, "pick_list"]) in page
    assert list(PrintLog.objects.values_list("document", flat=True)) == ["pick_list"]


def test_cancelled_and_held_orders_are_left_out(zto, verified_order, manager, picker):
    kept, dropped = verified_order(), verified_order()
    batch = services.create_batch(actor=picker, orders=[kept, dropped]).batch
    order_services.cancel_order(actor=manager, order=dropped, reason="买家不要了")
    orders = selectors.document_orders(picker, batch)
    assert [o.pk for o in orders] == [kept.pk]
    assert dropped.platform_order_no not in _text(views.build_document(picker, batch, "labels"))


def test_queries_do_not_grow_with_the_batch(zto, verified_order, stocked, picker, picker_client):
    skus = [stocked(quantity=200) for _ in range(3)]

    def batch_of(n):
        orders = [verified_order(lines=[(skus[i % 3].listings.first().channel_sku_code, 1, "50.00"),
                                        (skus[(i + 1) % 3].listings.first().channel_sku_code, 2, "50.00")])
                  for i in range(n)]
        return services.create_batch(actor=picker, orders=orders).batch

    def costs(batch):
        counts = {}
        for document in ("pick_list", "dispatch_notes", "labels"):
            with CaptureQueriesContext(connection) as ctx:
                views.build_document(picker, batch, document)
            counts[document] = len(ctx)
        for name in ("batch", "pick"):
            with CaptureQueriesContext(connection) as ctx:
                assert picker_client.get(reverse(f"fulfillment:{name}", args=[batch.pk])).status_code == 200
            counts[name] = len(ctx)
        return counts

    small, large = costs(batch_of(30)), costs(batch_of(60))
    assert small == large
    assert max(small[d] for d in ("pick_list", "dispatch_notes", "labels")) <= 6
    assert small["batch"] <= 20 and small["pick"] <= 20
