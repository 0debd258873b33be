"""The order work pages: import with progress and summary, the queues (unpaid, review, exceptions, cannot ship
today) and their row buttons, change approvals, order tasks, rules, home tiles and who may open or press what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from shopdesk.channels.importers import generic
from shopdesk.core import clock
from shopdesk.orders import services
from shopdesk.orders.models import (
    ChangeRequest,
    ImportRun,
    Order,
    OrderNote,
    OrderTask,
    ShopOrderRules,
    Status,
    UnreachableArea,
)
from shopdesk.orders.views_work import BUYER_TOLD, elapsed

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taobao"
ORDERS, ITEMS = SAMPLE / "ExportOrderList.csv", SAMPLE / "ExportOrderDetailList.csv"
PAGES = ["orders:import", "orders:imports", "orders:unpaid", "orders:review", "orders:exceptions",
         "orders:cannot_ship", "orders:changes", "orders:tasks", "orders:rules"]


@pytest.fixture(autouse=True)
def inline_imports(settings, tmp_path):
    settings.ORDERS_IMPORT_IN_BACKGROUND = False
    settings.DATA_DIR = tmp_path


def _en(client):
    """Pages are Chinese first; the assertions below read the English text."""
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def cs(client_for, shop):
    return _en(client_for("cs_presales", shops=[shop]))


@pytest.fixture
def boss(client_for):
    return _en(client_for("manager"))


def upload(path: Path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def htmx_post(client, url, data=None):
    return client.post(url, data or {}, HTTP_HX_REQUEST="true")


# --- import -----------------------------------------------------------------------------------------------------------


def test_taobao_pair_through_the_form_then_again_all_duplicates(cs, shop):
    form = {"shop": shop.pk, "format": "taobao", "file": upload(ORDERS), "items_file": upload(ITEMS)}
    response = cs.post(reverse("orders:import"), form)
    run = ImportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("orders:import_run", args=[run.pk])
    assert (run.state, run.total, run.created, run.duplicates) == ("done", 40, 40, 0)
    assert Order.objects.filter(shop=shop).count() == 40
    page = cs.get(response["Location"]).content.decode()
    assert 'data-count="created">40<' in page and 'hx-trigger="every 1s"' not in page

    again = cs.post(reverse("orders:import"), {"shop": shop.pk, "format": "auto", "file": upload(ORDERS),
                                               "items_file": upload(ITEMS)})
    second = ImportRun.objects.exclude(pk=run.pk).get()
    assert again["Location"] == reverse("orders:import_run", args=[second.pk])
    assert (second.state, second.format, second.created, second.duplicates) == ("done", "taobao", 0, 40)
    assert Order.objects.filter(shop=shop).count() == 40
    page = cs.get(again["Location"]).content.decode()
    assert 'data-count="duplicates">40<' in page and 'data-count="created">0<' in page
    history = cs.get(reverse("orders:imports")).content.decode()
    assert history.count(reverse("orders:import_run", args=[second.pk])) >= 1 and "ExportOrderList.csv" in history


def test_taobao_without_item_file_is_refused_by_the_form(cs, shop):
    response = cs.post(reverse("orders:import"), {"shop": shop.pk, "format": "taobao", "file": upload(ORDERS)})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_auto_detected_taobao_without_item_file_is_reported_by_the_service(cs, shop, english):
    response = cs.post(reverse("orders:import"), {"shop": shop.pk, "format": "auto", "file": upload(ORDERS)})
    run = ImportRun.objects.get()
    assert run.state == "rejected" and not Order.objects.exists()
    assert "ExportOrderDetailList.csv" in cs.get(response["Location"]).content.decode()


def _generic_csv(rows: list[dict]) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(generic.HEADERS)
    for row in rows:
        writer.writerow([row.get(h, "") for h in generic.HEADERS])
    return SimpleUploadedFile("orders.csv", out.getvalue().encode("utf-8-sig"))


def test_generic_file_with_a_bad_row_imports_nothing_and_names_the_line(cs, shop):
    good = list(generic.EXAMPLE_ROWS)
    other = {**generic.EXAMPLE_ROWS[0], "店铺订单号": "SD-2", "数量": "两个"}
    response = cs.post(reverse("orders:import"), {"shop": shop.pk, "format": "generic",
                                                  "file": _generic_csv([*good, other])})
    run = ImportRun.objects.get()
    assert run.state == "rejected" and run.created == 0 and not Order.objects.exists()
    assert [r["line"] for r in run.rejected] == [4]
    page = cs.get(response["Location"]).content.decode()
    assert 'class="grid rejected-rows"' in page and '<td class="num">4</td>' in page
    assert "两个" in page or "数量" in page


def test_generic_file_auto_detected_imports(cs, shop):
    response = cs.post(reverse("orders:import"), {"shop": shop.pk, "format": "auto",
                                                  "file": _generic_csv(list(generic.EXAMPLE_ROWS))})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and (run.state, run.format, run.created) == ("done", "generic", 1)
    order = Order.objects.get(platform_order_no="SD202611110001")
    assert order.lines.count() == 2


def test_import_offers_only_the_persons_shops(cs, shop, other_shop):
    page = cs.get(reverse("orders:import")).content.decode()
    assert shop.name in page and other_shop.name not in page
    response = cs.post(reverse("orders:import"), {"shop": other_shop.pk, "format": "taobao", "file": upload(ORDERS),
                                                  "items_file": upload(ITEMS)})
    assert response.status_code == 200 and not ImportRun.objects.exists()


def test_a_platform_export_only_fits_its_platforms_shops(boss, shop, other_shop):
    page = boss.get(reverse("orders:import")).content.decode()
    assert '<option value="" selected>' in page  # several shops: the person chooses, no silent default
    response = boss.post(reverse("orders:import"), {"shop": other_shop.pk, "format": "taobao",
                                                    "file": upload(ORDERS), "items_file": upload(ITEMS)})
    html = response.content.decode()
    format_field = html.split('id="id_format"', 1)[0].rsplit('<div class="field', 1)[1]
    assert response.status_code == 200 and "has-error" in format_field
    assert not ImportRun.objects.exists()


def test_template_downloads_are_valid(cs):
    xlsx = cs.get(reverse("orders:import_template_xlsx"))
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][: len(generic.HEADERS)] == generic.HEADERS
    text = cs.get(reverse("orders:import_template_csv")).content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text)))
    assert header == generic.HEADERS


def test_progress_partial_polls_only_while_running(cs, shop):
    running = ImportRun.objects.create(shop=shop, format="taobao", file_name="a.csv", total=200, processed=50)
    html = cs.get(reverse("orders:import_progress", args=[running.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and reverse("orders:import_progress", args=[running.pk]) in html
    assert '<progress value="50" max="200">25%</progress>' in html
    page = cs.get(reverse("orders:import_run", args=[running.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    ImportRun.objects.filter(pk=running.pk).update(state="done", created=200, processed=200,
                                                   rejected=[{"line": 3, "reason": "<b>bad</b>"}])
    html = cs.get(reverse("orders:import_progress", args=[running.pk])).content.decode()
    assert "hx-trigger" not in html and 'data-count="created">200<' in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "<b>bad</b>" not in html


def test_runs_of_other_shops_are_not_found(cs, other_shop):
    run = ImportRun.objects.create(shop=other_shop, format="jd", file_name="x.xlsx")
    assert cs.get(reverse("orders:import_run", args=[run.pk])).status_code == 404
    assert cs.get(reverse("orders:import_progress", args=[run.pk])).status_code == 404


# --- queues -----------------------------------------------------------------------------------------------------------


def test_elapsed_text(english):
    now = clock.now()
    assert elapsed(now - timedelta(hours=2, minutes=15), now) == "2 h 15 min"
    assert elapsed(now - timedelta(days=3, hours=4, minutes=1), now) == "3 d 4 h"
    assert elapsed(now - timedelta(minutes=5), now) == "5 min"


def test_unpaid_queue_and_reminder(cs, make_order, stocked):
    stocked("CH-0001", 5)
    waiting = make_order(status="unpaid", buyer="tb-slow-payer")
    paid = make_order()
    page = cs.get(reverse("orders:unpaid")).content.decode()
    assert waiting.platform_order_no in page and paid.platform_order_no not in page and "tb-slow-payer" in page
    response = htmx_post(cs, reverse("orders:unpaid_remind", args=[waiting.pk]))
    waiting.refresh_from_db()
    assert waiting.reminder_count == 1 and waiting.reminded_at is not None
    row = response.content.decode()
    assert row.startswith("<tr") and 'data-reminders>1<' in row
    response = cs.post(reverse("orders:unpaid_remind", args=[waiting.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("orders:unpaid")
    waiting.refresh_from_db()
    assert waiting.reminder_count == 2
    refused = htmx_post(cs, reverse("orders:unpaid_remind", args=[paid.pk])).content.decode()
    assert "field-error" in refused
    assert f'id="unpaid-{waiting.pk}"' not in cs.get(reverse("orders:unpaid") + "?tab=not_reminded").content.decode()
    assert f'id="unpaid-{waiting.pk}"' in cs.get(reverse("orders:unpaid") + "?tab=reminded").content.decode()


def test_review_queue_verify_and_batch(cs, make_order, stocked, english):
    stocked("CH-0001", 5)
    held = make_order(lines=[("CH-0001", 1, "50.00")], message="请发顺丰")
    second = make_order(lines=[("CH-0001", 1, "50.00")], message="<script>x</script>")
    passed = make_order(lines=[("CH-0001", 1, "50.00")])
    assert (held.status, passed.status) == (Status.PAID, Status.VERIFIED)
    page = cs.get(reverse("orders:review")).content.decode()
    assert held.platform_order_no in page and passed.platform_order_no not in page
    assert "The buyer left a message: read it" in page and "请发顺丰" in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script>x</script>" not in page
    row = htmx_post(cs, reverse("orders:review_verify", args=[held.pk])).content.decode()
    held.refresh_from_db()
    assert held.status == Status.VERIFIED and f"Order {held.platform_order_no} verified." in row
    response = cs.post(reverse("orders:review_verify_batch"), {"ids": [second.pk, held.pk]})
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == Status.VERIFIED


def test_review_refusal_is_shown(cs, make_order, stocked, english):
    stocked("CH-0001", 5)
    blocked = make_order(lines=[("CH-0001", 1, "50.00")], message="急", detail="")
    assert "address_incomplete" in blocked.review_reasons
    page = cs.get(reverse("orders:review")).content.decode()
    assert "fix first" in page
    row = htmx_post(cs, reverse("orders:review_verify", args=[blocked.pk])).content.decode()
    assert "cannot be verified yet" in row and "field-error" in row
    blocked.refresh_from_db()
    assert blocked.status == Status.PAID
    response = cs.post(reverse("orders:review_verify", args=[blocked.pk]), follow=True)
    assert "cannot be verified yet" in response.content.decode()


def test_exceptions_queue_and_recheck(cs, make_order, stocked, shop, english):
    stocked("CH-0001", 5)
    broken = make_order(lines=[("NOPE", 1, "9.00")])
    fine = make_order(lines=[("CH-0001", 1, "50.00")])
    page = cs.get(reverse("orders:exceptions")).content.decode()
    assert broken.platform_order_no in page and fine.platform_order_no not in page
    assert "Map the platform code to our SKU" in page
    assert cs.get(reverse("orders:exceptions") + "?tab=unmapped").content.decode().count(broken.platform_order_no)
    row = htmx_post(cs, reverse("orders:exceptions_recheck", args=[broken.pk])).content.decode()
    assert "still" in row
    stocked("NOPE", 3)
    row = htmx_post(cs, reverse("orders:exceptions_recheck", args=[broken.pk])).content.decode()
    broken.refresh_from_db()
    assert not broken.has_unmapped and broken.status == Status.VERIFIED and "no exception left" in row
    assert broken.platform_order_no not in cs.get(reverse("orders:exceptions")).content.decode()


def test_cannot_ship_today_and_buyer_told(cs, make_order, stocked, shop):
    stocked("CH-0001", 5)
    held = make_order(lines=[("CH-0001", 1, "50.00")], message="请发顺丰")
    broken = make_order(lines=[("NOPE", 1, "9.00")])
    fine = make_order(lines=[("CH-0001", 1, "50.00")])
    ShopOrderRules.objects.filter(shop=shop).update(day_shift_ends="18:15")
    page = cs.get(reverse("orders:cannot_ship")).content.decode()
    assert held.platform_order_no in page and broken.platform_order_no in page
    assert fine.platform_order_no not in page and "18:15" in page and "17:30" not in page
    row = htmx_post(cs, reverse("orders:buyer_told", args=[held.pk])).content.decode()
    assert 'data-told="1"' in row
    note = OrderNote.objects.get(order=held)
    assert note.text.startswith(BUYER_TOLD) and note.kind == OrderNote.Kind.REMARK
    htmx_post(cs, reverse("orders:buyer_told", args=[held.pk]))
    assert OrderNote.objects.filter(order=held).count() == 1  # told once a day is enough
    to_tell = cs.get(reverse("orders:cannot_ship")).content.decode()
    assert held.platform_order_no not in to_tell and broken.platform_order_no in to_tell
    told = cs.get(reverse("orders:cannot_ship") + "?tab=told").content.decode()
    assert held.platform_order_no in told and broken.platform_order_no not in told


def test_orders_of_other_shops_are_not_found(cs, make_order, stocked, other_shop):
    foreign = make_order(status="unpaid", for_shop=other_shop)
    assert foreign.platform_order_no not in cs.get(reverse("orders:unpaid")).content.decode()
    for name in ("orders:unpaid_remind", "orders:review_verify", "orders:exceptions_recheck", "orders:buyer_told"):
        assert cs.post(reverse(name, args=[foreign.pk])).status_code == 404, name
    foreign.refresh_from_db()
    assert foreign.reminder_count == 0


# --- change approvals -------------------------------------------------------------------------------------------------


def test_change_requests_approve_reject_and_own_request(cs, boss, client_for, make_order, stocked, english):
    stocked("CH-0001", 10)
    order = make_order(lines=[("CH-0001", 2, "50.00")])
    request = services.change_discount(actor=cs.user, order=order, discount="20.00", reason="老客户")
    assert isinstance(request, ChangeRequest)
    page = cs.get(reverse("orders:changes")).content.decode()
    assert order.platform_order_no in page and "20.0%" in page and "老客户" in page
    assert reverse("orders:change_approve", args=[request.pk]) not in page  # CS cannot decide
    assert cs.post(reverse("orders:change_approve", args=[request.pk])).status_code == 403

    page = boss.get(reverse("orders:changes")).content.decode()
    assert reverse("orders:change_approve", args=[request.pk]) in page
    row = htmx_post(boss, reverse("orders:change_approve", args=[request.pk]),
                    {f"reason_{request.pk}": "同意"}).content.decode()
    request.refresh_from_db()
    order.refresh_from_db()
    assert request.state == "approved" and request.decision_reason == "同意"
    assert order.discount == Decimal("20.00") and not order.on_hold and "is approved" in row

    other = make_order(lines=[("CH-0001", 1, "50.00")])
    pending = services.change_shipping_fee(actor=cs.user, order=other, shipping_fee="30.00", reason="偏远")
    row = htmx_post(boss, reverse("orders:change_reject", args=[pending.pk])).content.decode()
    assert "Say why the request is rejected." in row
    response = boss.post(reverse("orders:change_reject", args=[pending.pk]), {"reason": "运费不改"})
    assert response.status_code == 302
    pending.refresh_from_db()
    other.refresh_from_db()
    assert pending.state == "rejected" and not other.on_hold
    assert other.platform_order_no in boss.get(reverse("orders:changes") + "?tab=rejected").content.decode()

    third = make_order(lines=[("CH-0001", 1, "50.00")])
    own = services.change_discount(actor=boss.user, order=third, discount="40.00", reason="清仓")
    assert isinstance(own, ChangeRequest)
    row = htmx_post(boss, reverse("orders:change_approve", args=[own.pk])).content.decode()
    own.refresh_from_db()
    assert own.state == "pending" and "Nobody approves their own request." in row
    second_manager = client_for("manager")
    second_manager.post(reverse("orders:change_approve", args=[own.pk]))
    own.refresh_from_db()
    assert own.state == "approved"


# --- tasks ------------------------------------------------------------------------------------------------------------


def test_task_done_releases_the_hold(client_for, make_order, stocked, shop):
    stocked("CH-0001", 5)
    order = make_order(lines=[("CH-0001", 1, "50.00")])
    services.mark_printed(actor=None, order=order, batch="B1")
    order.refresh_from_db()
    services.change_address(actor=None, order=order, buyer_name="李四", mobile="13900139000", landline="",
                            province="浙江省", city="杭州市", district="滨江区", address_detail="江南大道2号")
    task = OrderTask.objects.get(order=order)
    order.refresh_from_db()
    assert order.on_hold and task.role == "warehouse"

    keeper = client_for("warehouse", shops=[shop])
    page = keeper.get(reverse("orders:tasks") + "?role=warehouse").content.decode()
    assert order.platform_order_no in page and reverse("orders:task_done", args=[task.pk]) in page
    assert order.platform_order_no not in keeper.get(reverse("orders:tasks") + "?role=cs_aftersales").content.decode()
    row = htmx_post(keeper, reverse("orders:task_done", args=[task.pk]), {f"note_{task.pk}": "已撤回"}).content.decode()
    task.refresh_from_db()
    order.refresh_from_db()
    assert task.state == "done" and "已撤回" in task.note and not order.on_hold and row.startswith("<tr")
    again = htmx_post(keeper, reverse("orders:task_done", args=[task.pk])).content.decode()
    assert "field-error" in again
    assert order.platform_order_no in keeper.get(reverse("orders:tasks") + "?tab=done").content.decode()


# --- rules ------------------------------------------------------------------------------------------------------------


def test_rules_and_unreachable_areas(client_for, shop, other_shop):
    boss = client_for("manager")
    assert boss.get(reverse("orders:rules") + "?shop=nope").status_code == 404
    page = boss.get(reverse("orders:rules") + f"?shop={other_shop.code}").content.decode()
    assert other_shop.name in page and "E邮宝" in page
    data = {"form": "rules", "shop": shop.code, "rules-review_amount_above": "500", "rules-review_cod": "on",
            "rules-default_carrier": "圆通速递", "rules-day_shift_ends": "18:00", "rules-risk_window_hours": "48",
            "rules-risk_accounts_per_contact": "3", "rules-risk_tiny_amount": "1.00", "rules-risk_tiny_repeat": "3",
            "rules-risk_instant_seconds": "10"}
    response = boss.post(reverse("orders:rules"), data)
    assert response.status_code == 302
    rules = ShopOrderRules.objects.get(shop=shop)
    assert (rules.default_carrier, rules.review_amount_above, rules.day_shift_ends.hour) == (
        "圆通速递", Decimal("500"), 18)
    bad = boss.post(reverse("orders:rules"), {**data, "rules-risk_tiny_repeat": "1"})
    assert bad.status_code == 200 and "field-error" in bad.content.decode()

    boss.post(reverse("orders:rules"), {"form": "area", "shop": shop.code, "area-carrier": "中通快递",
                                        "area-province": "西藏自治区", "area-city": "", "area-district": ""})
    area = UnreachableArea.objects.get()
    assert (area.carrier, area.province, area.city) == ("中通快递", "西藏自治区", "")
    dup = boss.post(reverse("orders:rules"), {"form": "area", "shop": shop.code, "area-carrier": "中通快递",
                                              "area-province": "西藏自治区"})
    assert dup.status_code == 200 and UnreachableArea.objects.count() == 1
    assert "西藏自治区" in boss.get(reverse("orders:rules")).content.decode()
    boss.post(reverse("orders:rules_area_remove", args=[area.pk]), {"shop": shop.code})
    assert not UnreachableArea.objects.exists()


# --- permissions and tiles --------------------------------------------------------------------------------------------


def test_designer_may_open_nothing(client_for, make_order, stocked):
    stocked("CH-0001", 5)
    order = make_order(status="unpaid")
    designer = client_for("designer")
    for name in PAGES:
        assert designer.get(reverse(name)).status_code == 403, name
    for name in ("orders:unpaid_remind", "orders:review_verify", "orders:exceptions_recheck", "orders:buyer_told",
                 "orders:change_approve", "orders:change_reject", "orders:task_done"):
        assert designer.post(reverse(name, args=[order.pk])).status_code == 403, name
    assert designer.get(reverse("orders:import_template_xlsx")).status_code == 403


def test_operations_reads_but_does_not_write(client_for, make_order, stocked):
    stocked("CH-0001", 5)
    order = make_order(status="unpaid")
    ops = client_for("operations")
    for name in ("orders:imports", "orders:unpaid", "orders:review", "orders:exceptions", "orders:cannot_ship",
                 "orders:tasks"):
        assert ops.get(reverse(name)).status_code == 200, name
    for name in ("orders:import", "orders:changes", "orders:rules"):
        assert ops.get(reverse(name)).status_code == 403, name
    for name in ("orders:unpaid_remind", "orders:review_verify", "orders:exceptions_recheck", "orders:buyer_told",
                 "orders:change_approve", "orders:task_done"):
        assert ops.post(reverse(name, args=[order.pk])).status_code == 403, name
    assert ops.post(reverse("orders:review_verify_batch"), {"ids": [order.pk]}).status_code == 403
    order.refresh_from_db()
    assert order.reminder_count == 0
    assert "formaction" not in ops.get(reverse("orders:unpaid")).content.decode()
    assert ops.get(reverse("orders:unpaid_remind", args=[order.pk])).status_code in (403, 405)


def test_rules_may_be_read_but_not_changed_without_the_permission(client_for, shop, other_shop):
    supervisor = client_for("cs_supervisor", shops=[shop])
    assert supervisor.get(reverse("orders:rules")).status_code == 200
    assert supervisor.get(reverse("orders:rules") + f"?shop={other_shop.code}").status_code == 404
    refused = supervisor.post(reverse("orders:rules"), {"form": "rules", "shop": other_shop.code,
                                                        "rules-default_carrier": "圆通速递"})
    assert refused.status_code == 404 and not ShopOrderRules.objects.filter(shop=other_shop).exists()
    presales = client_for("cs_presales", shops=[shop])
    assert presales.get(reverse("orders:rules")).status_code == 403
    keeper = client_for("warehouse", shops=[shop])
    assert keeper.get(reverse("orders:rules")).status_code == 403


def test_home_tiles_for_cs_presales(cs, make_order, stocked):
    stocked("CH-0001", 5)
    make_order(status="unpaid")
    make_order(status="unpaid")
    make_order(lines=[("CH-0001", 1, "50.00")], message="请发顺丰")
    make_order(lines=[("NOPE", 1, "9.00")])
    html = cs.get(reverse("home")).content.decode()

    def tile(key):
        part = html.split(f'data-tile="{key}"', 1)[1]
        return int(part.split('class="tile-count">', 1)[1].split("<", 1)[0])

    assert tile("orders_unpaid") == 2
    assert tile("orders_review") == 2  # the message and the unmapped order both wait for a person
    assert tile("orders_exceptions") == 1
    assert tile("orders_cannot_ship") == 2
    assert "17:30" in html
    assert 'data-tile="orders_changes"' not in html and 'data-tile="orders_warehouse_tasks"' not in html
    assert f'href="{reverse("orders:unpaid")}"' in html


def test_home_tiles_for_manager_and_warehouse(boss, client_for, shop, make_order, stocked):
    stocked("CH-0001", 5)
    order = make_order(lines=[("CH-0001", 2, "50.00")])
    cs_user = client_for("cs_presales", shops=[shop]).user
    services.change_discount(actor=cs_user, order=order, discount="30.00", reason="老客户")
    html = boss.get(reverse("home")).content.decode()
    part = html.split('data-tile="orders_changes"', 1)[1]
    assert part.split('class="tile-count">', 1)[1].startswith("1<")
    assert "17:30" in html
    ShopOrderRules.objects.filter(shop=shop).update(day_shift_ends="16:45")
    assert "16:45" in boss.get(reverse("home")).content.decode()
    keeper = client_for("warehouse", shops=[shop])
    assert 'data-tile="orders_warehouse_tasks"' in keeper.get(reverse("home")).content.decode()
