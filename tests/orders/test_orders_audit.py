"""Every public function of shopdesk.orders.services writes its audit event with the person who acted; a refused
step leaves no audit row."""

from __future__ import annotations

import inspect
from decimal import Decimal
from pathlib import Path

import pytest

from shopdesk.core.errors import Conflict
from shopdesk.core.models import AuditEvent
from shopdesk.orders import services
from shopdesk.orders.models import OrderTask, UnreachableArea

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "taobao"

EXPECTED = {
    "import_orders": "orders.import",
    "start_import": "orders.start_import",
    "create_order": "orders.api_create",
    "pay_order": "orders.pay",
    "recheck_order": "orders.recheck",
    "verify_order": "orders.verify",
    "unverify_order": "orders.unverify",
    "mark_printed": "orders.print",
    "set_tracking": "orders.set_tracking",
    "create_reship_order": "orders.reship_create",
    "mark_picked": "orders.pick",
    "mark_packed": "orders.pack",
    "ship_order": "orders.ship",
    "mark_delivered": "orders.deliver",
    "complete_order": "orders.complete",
    "move_to_after_sales": "orders.after_sales",
    "finish_after_sales": "orders.after_sales_done",
    "ship_from_platform": "orders.platform_update",
    "cancel_order": "orders.cancel",
    "close_order_from_platform": "orders.cancel",
    "change_address": "orders.change_address",
    "change_requests": "orders.change_requests",
    "add_note": "orders.add_note",
    "remind_payment": "orders.remind_payment",
    "within_authority": None,  # a read: is the change within the person's limit
    "change_discount": "orders.change_discount",
    "change_shipping_fee": "orders.request_change",
    "approve_change_request": "orders.approve_change",
    "reject_change_request": "orders.reject_change",
    "merge_orders": "orders.merge",
    "split_order": "orders.split",
    "complete_task": "orders.complete_task",
    "unmask_order": "orders.unmask",
    "record_export": "orders.export",
    "update_rules": "orders.update_rules",
    "add_unreachable_area": "orders.add_unreachable_area",
    "remove_unreachable_area": "orders.remove_unreachable_area",
}

ADDRESS = dict(buyer_name="李四", mobile="13900139000", landline="", province="浙江省", city="宁波市",
               district="鄞州区", address_detail="天童路9号", postcode="315000")


def public_functions():
    return {name for name, fn in inspect.getmembers(services, inspect.isfunction)
            if not name.startswith("_") and fn.__module__ == services.__name__}


def test_the_table_covers_every_public_service():
    assert public_functions() == set(EXPECTED)


@pytest.mark.django_db
def test_every_service_writes_its_audit_event(make_user, shop, stocked, make_order, order_record, tmp_path,
                                              settings):
    settings.DATA_DIR = tmp_path
    boss = make_user("manager", display_name="张伟")
    cs = make_user("cs_presales", shops=[shop])
    stocked("CH-0001", 50)
    seen = {}

    def call(function, /, actor=boss, **kwargs):
        action = EXPECTED[function]
        before = AuditEvent.objects.filter(action=action, actor=actor).count()
        result = getattr(services, function)(actor=actor, **kwargs)
        assert AuditEvent.objects.filter(action=action, actor=actor).count() > before, function
        seen[function] = True
        return result

    call("import_orders", shop=shop, path=SAMPLE / "ExportOrderList.csv",
         items_path=SAMPLE / "ExportOrderDetailList.csv")

    class Upload:
        name = "orders.csv"

        def chunks(self):
            yield b"x"

    call("start_import", shop=shop, upload=Upload())
    order = call("create_order", shop=shop, record=order_record("A-1", status="unpaid"))
    call("remind_payment", order=order)
    order = call("pay_order", order=order)
    order = call("unverify_order", order=order, reason="再看一下")
    order = call("verify_order", order=order)
    order = call("recheck_order", order=order)
    call("add_note", order=order, text="客户要求周末送货")
    order = call("change_requests", order=order, invoice_title="某公司", greeting_card="", delivery_wish="",
                 chosen_carrier="")
    order = call("change_address", order=order, **ADDRESS)
    order = call("change_discount", order=order, discount="1.00", reason="老客户")
    request = call("change_shipping_fee", actor=cs, order=order, shipping_fee="30.00", reason="偏远")
    call("reject_change_request", request=request, reason="按规定")
    request = services.change_shipping_fee(actor=cs, order=order, shipping_fee="30.00", reason="再申请")
    call("approve_change_request", request=request)
    call("unmask_order", order=order)
    order.refresh_from_db()
    order = call("set_tracking", order=order, carrier="中通快递", tracking_no="ZT0")
    order = call("mark_printed", order=order, batch="B1")
    order = call("mark_picked", order=order)
    order = call("mark_packed", order=order)
    order = call("ship_order", order=order, carrier="中通快递", tracking_no="ZT1")
    order = call("mark_delivered", order=order)
    order = call("complete_order", order=order)
    order = call("move_to_after_sales", order=order, reason="质量问题")
    call("create_reship_order", order=order, quantities={order.lines.first().pk: 1}, reason="少货")
    call("finish_after_sales", order=order, reason="售后结束")

    a = make_order(buyer="m", detail="合并路1号", lines=[("CH-0001", 1, "50.00")])
    b = make_order(buyer="m", detail="合并路1号", lines=[("CH-0001", 2, "50.00")])
    merged = call("merge_orders", orders=[a, b])
    call("split_order", order=merged, quantities={merged.lines.order_by("id").last().pk: 1})
    c = make_order(buyer="c", detail="取消路1号")
    call("cancel_order", order=c, reason="买家不要了")
    d = services.mark_printed(actor=None, order=make_order(buyer="d", detail="召回路1号"), batch="B2")
    services.change_address(actor=None, order=d, **ADDRESS)
    call("complete_task", task=OrderTask.objects.get(order=d, kind="recall_paperwork"))
    e = make_order(buyer="e", detail="平台路1号")
    services.ship_from_platform(e, carrier="圆通速递", tracking_no="YT1", completed=False, platform_status="卖家已发货",
                                actor=boss)
    seen["ship_from_platform"] = AuditEvent.objects.filter(action="orders.platform_update", actor=boss).exists()
    f = make_order(buyer="f", detail="关闭路1号")
    services.close_order_from_platform(f, reason="买家申请退款", actor=boss)
    seen["close_order_from_platform"] = f.status == "cancelled"
    call("record_export", count=3, personal_data=False)
    call("update_rules", shop=shop, review_amount_above=Decimal("500"))
    area = call("add_unreachable_area", carrier="中通快递", province="西藏自治区")
    call("remove_unreachable_area", area=area)
    assert not UnreachableArea.objects.exists()
    seen["within_authority"] = services.within_authority(cs, "discount", order, Decimal("0"))
    assert {k for k, v in seen.items() if v} == set(EXPECTED)


@pytest.mark.django_db
def test_refused_step_leaves_no_audit_row(stocked, make_order, make_user):
    stocked("CH-0001", 5)
    order = make_order(status="unpaid")
    boss = make_user("manager")
    before = AuditEvent.objects.count()
    with pytest.raises(Conflict):
        services.mark_packed(actor=boss, order=order)
    assert AuditEvent.objects.count() == before
