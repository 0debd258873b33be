"""The order rules through the services: reservation on payment, automatic review, the state machine's guards,
changes and cancellation by stage (003:554), authority approvals (004:60), merge and split, reminders, risk flags."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.inventory import engine
from shopdesk.inventory.models import Reservation, WarehouseStock
from shopdesk.orders import services
from shopdesk.orders.models import ChangeRequest, OrderNote, OrderTask, ShopOrderRules, Status, UnreachableArea

pytestmark = pytest.mark.django_db


def reserved(sku) -> int:
    return sum(WarehouseStock.objects.filter(sku=sku).values_list("reserved", flat=True))


def on_hand(sku) -> int:
    return sum(WarehouseStock.objects.filter(sku=sku).values_list("on_hand", flat=True))


# --- creation, reservation, automatic review ---------------------------------------------------------------------


def test_paid_order_reserves_each_line_and_passes_review(stocked, order_record):
    a, b = stocked("CH-A", 5), stocked("CH-B", 5)
    order = services.create_order(actor=None, shop=a.listings.get().shop,
                                  record=order_record(lines=[("CH-A", 2, "50.00"), ("CH-B", 1, "30.00")]))
    assert order.status == Status.VERIFIED and order.review_reasons == []
    assert reserved(a) == 2 and reserved(b) == 1
    assert order.carrier == "中通快递"  # the shop's default carrier reaches 西湖区
    assert all(line.reservation.reference == f"tmall-main:{order.platform_order_no}" for line in order.lines.all())
    assert AuditEvent.objects.filter(action="orders.api_create", object_id=str(order.pk)).exists()


def test_unpaid_order_reserves_nothing_and_payment_reserves(stocked, make_order):
    sku = stocked("CH-0001", 5)
    order = make_order(status="unpaid", lines=[("CH-0001", 3, "50.00")])
    assert order.status == Status.UNPAID and reserved(sku) == 0
    order = services.pay_order(actor=None, order=order)
    assert order.status == Status.VERIFIED and reserved(sku) == 3


def test_line_that_cannot_be_reserved_marks_out_of_stock_instead_of_failing(stocked, make_order):
    sku = stocked("CH-0001", 1)
    order = make_order(lines=[("CH-0001", 2, "50.00")])
    assert order.status == Status.PAID and order.out_of_stock and "out_of_stock" in order.review_reasons
    assert reserved(sku) == 0
    engine.receive(sku=sku, location=sku.listings.get().shop.warehouses.get().locations.get(), quantity=5,
                   reference="PO-1")
    order = services.recheck_order(actor=None, order=order)
    assert not order.out_of_stock and order.status == Status.VERIFIED and reserved(sku) == 2


def test_unmapped_line_is_kept_and_flags_the_order(stocked, make_order, shop):
    stocked("CH-0001", 5)
    order = make_order(lines=[("CH-0001", 1, "50.00"), ("UNKNOWN-9", 1, "9.90")])
    line = order.lines.get(channel_sku_code="UNKNOWN-9")
    assert line.sku is None and line.title == "商品 UNKNOWN-9"
    assert order.has_unmapped and order.status == Status.PAID and "unmapped" in order.review_reasons


@pytest.mark.parametrize(("kw", "reason"), [
    ({"message": "请发顺丰"}, "buyer_message"),
    ({"remark": "老客户"}, "seller_remark"),
    ({"mobile": "12345", "landline": ""}, "phone_invalid"),
    ({"district": "", "detail": "x"}, "address_incomplete"),
    ({"is_cod": True}, "cod"),
])
def test_orders_needing_a_person_wait_in_review_with_the_reason(stocked, make_order, kw, reason):
    stocked("CH-0001", 5)
    order = make_order(**kw)
    assert order.status == Status.PAID and reason in order.review_reasons


def test_landline_alone_is_a_valid_phone(stocked, make_order):
    stocked("CH-0001", 5)
    assert make_order(mobile="", landline="0571-88886666").status == Status.VERIFIED


def test_amount_rule_per_shop(stocked, make_order, shop):
    stocked("CH-0001", 5)
    ShopOrderRules.objects.create(shop=shop, review_amount_above=Decimal("40"))
    assert "amount" in make_order().review_reasons


def test_carrier_coverage_falls_back_to_e_post_and_chosen_carrier_needs_a_person(stocked, make_order):
    stocked("CH-0001", 5)
    UnreachableArea.objects.create(carrier="中通快递", province="新疆维吾尔自治区")
    UnreachableArea.objects.create(carrier="顺丰速运", province="新疆维吾尔自治区", city="乌鲁木齐市")
    far = dict(province="新疆维吾尔自治区", city="乌鲁木齐市", district="天山区")
    order = make_order(**far)
    assert order.carrier == "E邮宝" and order.status == Status.VERIFIED
    order = make_order(chosen_carrier="顺丰速运", **far)
    assert order.unreachable and "unreachable" in order.review_reasons and order.status == Status.PAID


# --- the state machine ------------------------------------------------------------------------------------------


def test_steps_refuse_other_starting_states(stocked, make_order, english):
    stocked("CH-0001", 5)
    order = make_order()
    with pytest.raises(Conflict, match="cannot pick"):
        services.mark_picked(actor=None, order=order)
    with pytest.raises(Conflict, match="cannot mark paid"):
        services.pay_order(actor=None, order=order)
    unpaid = make_order(status="unpaid")
    with pytest.raises(Conflict, match="cannot verify"):
        services.verify_order(actor=None, order=unpaid)


def test_full_lifecycle_consumes_the_reserved_stock(stocked, make_order):
    sku = stocked("CH-0001", 5)
    order = make_order(lines=[("CH-0001", 2, "50.00")])
    for step in (lambda o: services.mark_printed(actor=None, order=o, batch="B1"),
                 lambda o: services.mark_picked(actor=None, order=o),
                 lambda o: services.mark_packed(actor=None, order=o),
                 lambda o: services.ship_order(actor=None, order=o, carrier="中通快递", tracking_no="ZT1"),
                 lambda o: services.mark_delivered(actor=None, order=o),
                 lambda o: services.complete_order(actor=None, order=o)):
        order = step(order)
    assert order.status == Status.COMPLETED and order.tracking_no == "ZT1"
    assert on_hand(sku) == 3 and reserved(sku) == 0
    assert engine.verify_ledger() == []


def test_manual_verify_accepts_a_message_but_not_missing_stock(stocked, make_order, english):
    stocked("CH-0001", 1)
    held = make_order(message="周末送货")
    assert services.verify_order(actor=None, order=held).status == Status.VERIFIED
    short = make_order(lines=[("CH-0001", 5, "50.00")])
    with pytest.raises(Conflict, match="Out of stock"):
        services.verify_order(actor=None, order=short)


def test_permission_and_shop_are_checked(stocked, make_order, make_user, other_shop):
    stocked("CH-0001", 5)
    order = make_order(message="x")
    with pytest.raises(NotAllowed):
        services.verify_order(actor=make_user("finance"), order=order)
    stranger = make_user("cs_presales", shops=[other_shop])
    with pytest.raises(NotAllowed):
        services.verify_order(actor=stranger, order=order)


# --- changes and cancellation by stage (003:554) ----------------------------------------------------------------


ADDRESS = dict(buyer_name="李四", mobile="13900139000", landline="", province="浙江省", city="宁波市",
               district="鄞州区", address_detail="天童路9号", postcode="315000")


def test_address_change_before_printing_edits_and_adds_the_standard_flagged_note(stocked, make_order, make_user,
                                                                                shop):
    stocked("CH-0001", 5)
    cs = make_user("cs_presales", shops=[shop], display_name="王小二")
    order = services.change_address(actor=cs, order=make_order(), **ADDRESS)
    assert order.city == "宁波市" and order.status == Status.VERIFIED
    note = order.notes.get()
    assert note.text.startswith("客户要求修改地址,新地址为: 浙江省 宁波市 鄞州区 天童路9号 李四 13900139000 --- ")
    assert note.text.endswith(" 王小二") and "139****9000" in note.masked_text and "天童路" not in note.masked_text
    assert not order.tasks.exists()


@pytest.mark.parametrize(("stage", "task"), [("printed", "recall_paperwork"), ("picked", "recall_paperwork"),
                                             ("packed", "recall_parcel")])
def test_address_change_after_printing_leaves_the_warehouse_a_recall_task(stocked, make_order, stage, task,
                                                                         make_user, shop):
    stocked("CH-0001", 5)
    order = make_order()
    order = services.mark_printed(actor=None, order=order, batch="B1")
    if stage in ("picked", "packed"):
        order = services.mark_picked(actor=None, order=order)
    if stage == "packed":
        order = services.mark_packed(actor=None, order=order)
    order = services.change_address(actor=None, order=order, **ADDRESS)
    assert order.tasks.get().kind == task and order.on_hold and order.printed_batch == ""
    assert order.status == Status.PAID and "on_hold" in order.review_reasons
    keeper = make_user("warehouse", shops=[shop])
    services.complete_task(actor=keeper, task=order.tasks.get())
    order.refresh_from_db()
    assert not order.on_hold and order.status == Status.VERIFIED


def test_changes_after_shipping_are_refused_and_point_to_after_sales(stocked, make_order, english):
    stocked("CH-0001", 5)
    order = make_order()
    for step in ("print", "pick", "pack"):
        order = {"print": lambda o: services.mark_printed(actor=None, order=o, batch="B"),
                 "pick": lambda o: services.mark_picked(actor=None, order=o),
                 "pack": lambda o: services.mark_packed(actor=None, order=o)}[step](order)
    order = services.ship_order(actor=None, order=order, carrier="中通快递", tracking_no="ZT9")
    with pytest.raises(Conflict, match="after-sales case") as exc:
        services.change_address(actor=None, order=order, **ADDRESS)
    assert exc.value.code == "order_after_sales"
    with pytest.raises(Conflict, match="after-sales case"):
        services.cancel_order(actor=None, order=order, reason="买家不要了")


def test_cancel_after_payment_releases_stock_and_leaves_a_refund_task(stocked, make_order):
    sku = stocked("CH-0001", 5)
    order = make_order(lines=[("CH-0001", 2, "50.00")])
    order = services.cancel_order(actor=None, order=order, reason="买家拍错了")
    assert order.status == Status.CANCELLED and reserved(sku) == 0
    assert list(order.tasks.values_list("kind", "role")) == [("refund", "cs_aftersales")]
    assert Reservation.objects.filter(state="released").count() == 1


def test_cancel_of_a_packed_order_asks_the_warehouse_to_recall_the_parcel(stocked, make_order):
    stocked("CH-0001", 5)
    order = make_order()
    order = services.mark_printed(actor=None, order=order, batch="B")
    order = services.mark_picked(actor=None, order=order)
    order = services.mark_packed(actor=None, order=order)
    order = services.cancel_order(actor=None, order=order, reason="买家取消")
    assert set(order.tasks.values_list("kind", flat=True)) == {"recall_parcel", "refund"}


def test_cancel_unpaid_needs_no_refund(make_order, stocked):
    stocked("CH-0001", 5)
    order = services.cancel_order(actor=None, order=make_order(status="unpaid"), reason="超时未付款")
    assert order.status == Status.CANCELLED and not order.tasks.exists()


# --- authority (004:60) -----------------------------------------------------------------------------------------


def test_discount_within_the_limit_applies_beyond_it_waits_for_the_manager(stocked, make_order, make_user, shop,
                                                                          english):
    stocked("CH-0001", 5)
    cs = make_user("cs_presales", shops=[shop])  # 5% limit
    order = make_order(status="unpaid", lines=[("CH-0001", 2, "50.00")])
    order = services.change_discount(actor=cs, order=order, discount="5.00", reason="老客户")
    assert order.discount == Decimal("5.00") and order.goods_amount == Decimal("95.00")
    result = services.change_discount(actor=cs, order=order, discount="20.00", reason="批量购买")
    assert isinstance(result, ChangeRequest) and result.state == "pending"
    order.refresh_from_db()
    assert order.discount == Decimal("5.00") and order.on_hold
    with pytest.raises(NotAllowed, match="own request"):
        services.approve_change_request(actor=_self_approver(cs), request=result)
    with pytest.raises(NotAllowed):
        services.approve_change_request(actor=make_user("cs_supervisor"), request=result)
    services.approve_change_request(actor=make_user("manager"), request=result, reason="同意")
    order.refresh_from_db()
    assert order.discount == Decimal("20.00") and order.goods_amount == Decimal("80.00") and not order.on_hold


def _self_approver(user):
    from shopdesk.staff import services as staff_services

    staff_services.update_staff_member(actor=None, user=user, roles=["cs_presales", "manager"])
    user = type(user).objects.get(pk=user.pk)
    return user


def test_rejected_shipping_fee_request_leaves_the_order_as_it_was(stocked, make_order, make_user, shop):
    stocked("CH-0001", 5)
    cs = make_user("cs_aftersales", shops=[shop])  # 10 yuan limit
    order = make_order(status="unpaid")
    request = services.change_shipping_fee(actor=cs, order=order, shipping_fee="25.00", reason="偏远地区")
    assert isinstance(request, ChangeRequest)
    with pytest.raises(ServiceError):
        services.reject_change_request(actor=make_user("manager"), request=request, reason="")
    services.reject_change_request(actor=make_user("manager"), request=request, reason="按规定运费")
    order.refresh_from_db()
    assert order.shipping_fee == Decimal("0") and not order.on_hold


def test_stale_request_is_refused(stocked, make_order, make_user, shop, english):
    stocked("CH-0001", 5)
    cs = make_user("cs_presales", shops=[shop])
    order = make_order(status="unpaid", lines=[("CH-0001", 2, "50.00")])
    request = services.change_discount(actor=cs, order=order, discount="30", reason="议价")
    services.change_discount(actor=None, order=order, discount="2", reason="系统")  # the system has no limit
    with pytest.raises(Conflict, match="changed since"):
        services.approve_change_request(actor=make_user("manager"), request=request)


def test_discount_after_payment_leaves_a_refund_task_for_the_difference(stocked, make_order):
    stocked("CH-0001", 5)
    order = services.change_discount(actor=None, order=make_order(lines=[("CH-0001", 2, "50.00")]), discount="10",
                                     reason="补偿")
    task = order.tasks.get()
    assert task.kind == "refund" and "10" in task.note


# --- merge and split --------------------------------------------------------------------------------------------


def test_merge_orders_of_one_buyer_and_address(stocked, make_order, cn_time):
    a, b = stocked("CH-A", 5), stocked("CH-B", 5)
    first = make_order(lines=[("CH-A", 1, "50.00")])
    second = make_order(lines=[("CH-B", 2, "30.00")], ordered_at=cn_time(2026, 11, 22, 10, 0))
    merged = services.merge_orders(actor=None, orders=[second, first])
    assert merged.pk == first.pk and merged.lines.count() == 3 - 1
    assert merged.paid_amount == Decimal("110.00") and reserved(a) == 1 and reserved(b) == 2
    second.refresh_from_db()
    assert second.status == Status.CANCELLED and second.merged_into_id == first.pk
    assert Reservation.objects.filter(state="active").count() == 2


def test_merge_refuses_other_addresses_and_printed_orders(stocked, make_order, english):
    stocked("CH-0001", 9)
    a = make_order()
    b = make_order(detail="另一个地址8号")
    with pytest.raises(Conflict, match="same shop, buyer and address"):
        services.merge_orders(actor=None, orders=[a, b])
    c = services.mark_printed(actor=None, order=make_order(), batch="B")
    with pytest.raises(Conflict, match="not printed"):
        services.merge_orders(actor=None, orders=[a, c])


def test_split_moves_quantities_to_a_new_order_and_keeps_the_reservations_right(stocked, make_order):
    a, b = stocked("CH-A", 5), stocked("CH-B", 5)
    order = make_order(lines=[("CH-A", 3, "10.00"), ("CH-B", 1, "20.00")])
    line_a = order.lines.get(channel_sku_code="CH-A")
    line_b = order.lines.get(channel_sku_code="CH-B")
    part = services.split_order(actor=None, order=order, quantities={line_a.pk: 1, line_b.pk: 1})
    order.refresh_from_db()
    assert part.platform_order_no == f"{order.platform_order_no}-1" and part.split_from_id == order.pk
    assert sorted(part.lines.values_list("channel_sku_code", "quantity")) == [("CH-A", 1), ("CH-B", 1)]
    assert list(order.lines.values_list("channel_sku_code", "quantity")) == [("CH-A", 2)]
    assert order.goods_amount + part.goods_amount == Decimal("50.00")
    assert reserved(a) == 3 and reserved(b) == 1
    assert engine.verify_ledger() == []


def test_split_refuses_moving_everything(stocked, make_order):
    stocked("CH-0001", 5)
    order = make_order()
    with pytest.raises(ServiceError):
        services.split_order(actor=None, order=order, quantities={order.lines.get().pk: 1})


# --- follow-up, notes, platform updates ------------------------------------------------------------------------


def test_payment_reminder_is_recorded(make_order, stocked):
    stocked("CH-0001", 5)
    order = services.remind_payment(actor=None, order=make_order(status="unpaid"))
    order = services.remind_payment(actor=None, order=order)
    assert order.reminder_count == 2 and order.reminded_at is not None
    assert AuditEvent.objects.filter(action="orders.remind_payment").count() == 2


def test_flagged_note_is_signed(make_order, stocked, make_user, shop):
    stocked("CH-0001", 5)
    cs = make_user("cs_presales", shops=[shop], display_name="小美")
    note = services.add_note(actor=cs, order=make_order(), text="客户要求发顺丰")
    assert note.kind == OrderNote.Kind.FLAGGED and note.text.startswith("客户要求发顺丰 --- ")
    assert note.text.endswith("小美")


def test_personal_data_in_audit_rows_is_masked(stocked, make_order):
    stocked("CH-0001", 5)
    order = services.change_address(actor=None, order=make_order(), **ADDRESS)
    event = AuditEvent.objects.filter(action="orders.change_address", object_id=str(order.pk)).get()
    assert "13900139000" not in str(event.changes) and "天童路" not in str(event.changes)


def test_unmask_is_logged_and_needs_the_permission(make_order, stocked, make_user, shop):
    stocked("CH-0001", 5)
    order = make_order()
    with pytest.raises(NotAllowed):
        services.unmask_order(actor=make_user("operations"), order=order)
    services.unmask_order(actor=make_user("cs_presales", shops=[shop]), order=order)
    assert AuditEvent.objects.filter(action="orders.unmask", object_id=str(order.pk)).count() == 1


def test_tasks_and_requests_have_one_open_of_a_kind(stocked, make_order):
    stocked("CH-0001", 5)
    order = services.mark_printed(actor=None, order=make_order(), batch="B")
    order = services.change_address(actor=None, order=order, **ADDRESS)
    order = services.change_requests(actor=None, order=order, invoice_title="某某公司", greeting_card="",
                                     delivery_wish="", chosen_carrier="")
    assert OrderTask.objects.filter(order=order, kind="recall_paperwork").count() == 1
