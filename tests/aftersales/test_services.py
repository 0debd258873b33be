"""After-sales services: a case is decided by the policy when opened, the return is received and inspected by the
warehouse (stock posted), the refund falls due in full and respects the role's limit; complaints run their steps."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shopdesk.aftersales import selectors, services
from shopdesk.aftersales.models import Case, Complaint
from shopdesk.core import clock
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent, Deadline
from shopdesk.core.services import sweep_deadlines
from shopdesk.inventory.models import Location, Movement, WarehouseStock
from shopdesk.orders.models import Order, Status

S = Case.State


@pytest.fixture
def agent(make_user, shop):
    return make_user("cs_aftersales", shops=[shop])


@pytest.fixture
def supervisor(make_user, shop):
    return make_user("cs_supervisor", shops=[shop])


@pytest.fixture
def keeper(make_user, shop):
    return make_user("warehouse", shops=[shop])


def _events(obj, action):
    return AuditEvent.objects.filter(object_type=f"{obj._meta.app_label}.{obj._meta.model_name}",
                                     object_id=str(obj.pk), action=action)


def test_quality_return_waits_for_the_parcel_and_the_order_enters_after_sales(case_for, shipped_order, agent):
    order = shipped_order(days_ago=20)
    case = case_for(order, kind="return", reason="quality", actor=agent)
    assert case.allowed and case.shipping_paid_by == "shop" and case.rule_codes == ["shop_fault_quality"]
    assert case.state == S.WAITING_RETURN and case.waiting_for == Case.Waiting.BUYER
    assert case.days_since_receipt == 20
    assert case.refund_amount == order.paid_amount == Decimal("210.00")  # every unit back: everything paid
    assert "运费由本店承担" in case.explanation
    assert Order.objects.get(pk=order.pk).status == Status.AFTER_SALES
    assert _events(case, "aftersales.open_case").exists() and _events(case, "aftersales.accept_case").exists()


def test_no_reason_after_day_seven_is_refused_and_recorded(case_for, shipped_order, agent):
    order = shipped_order(days_ago=8)
    case = case_for(order, reason="no_reason", actor=agent)
    assert not case.allowed and case.state == S.REFUSED and case.closed_at is not None
    assert case.rule_codes == ["no_reason_after_7_days"] and case.shipping_paid_by == ""
    assert "不予受理" in case.explanation
    assert Order.objects.get(pk=order.pk).status == Status.DELIVERED  # nothing moved
    assert _events(case, "aftersales.refuse_case").exists()


def test_day_seven_counts_and_the_buyer_pays(case_for, shipped_order, agent):
    case = case_for(shipped_order(days_ago=7), reason="no_reason", kind="exchange", actor=agent)
    assert case.allowed and case.shipping_paid_by == "buyer" and case.state == S.WAITING_RETURN
    assert case.refund_amount == 0  # an exchange refunds nothing


def test_gift_line_sets_the_gift_flag_itself(stocked, make_order, shipped_order, agent, case_for):
    gift = stocked(price="0.01", gift=True)
    order = shipped_order(lines=((1, "50.00"),))
    # a gift line on a shipped order (added like the platform export has it)
    line = order.lines.create(sku=gift, channel_sku_code=gift.listings.first().channel_sku_code, title="赠品",
                              quantity=1, unit_price=Decimal("0.01"))
    case = case_for(order, reason="no_reason", lines={line.pk: 1}, actor=agent)
    assert "gift" in case.item_flags and not case.allowed and "no_reason_gift" in case.rule_codes


def test_days_are_entered_only_when_the_order_has_no_delivery(case_for, shipped_order, agent):
    order = shipped_order(delivered=False)
    case = case_for(order, reason="no_reason", actor=agent, days_since_receipt_override=3)
    assert case.days_since_receipt == 3 and case.allowed
    unknown = case_for(shipped_order(delivered=False), reason="no_reason", actor=agent)
    assert unknown.rule_codes == ["no_reason_days_unknown"] and not unknown.allowed


def test_partial_return_refunds_the_goods_share(case_for, shipped_order, agent):
    order = shipped_order(lines=((1, "50.00"), (2, "80.00")))
    second = order.lines.order_by("id")[1]
    case = case_for(order, lines={second.pk: 1}, actor=agent)
    assert case.refund_amount == Decimal("80.00")


def test_lines_already_in_an_open_case_cannot_be_claimed_twice(case_for, shipped_order, agent, english):
    order = shipped_order()
    first = order.lines.order_by("id")[0]
    case_for(order, lines={first.pk: 1}, actor=agent)
    with pytest.raises(ServiceError) as err:
        case_for(order, lines={first.pk: 1}, actor=agent)
    assert "no other case covers" in err.value.message and "lines" in err.value.fields


def test_a_case_needs_a_shipped_order(make_order, stocked, agent, english):
    sku = stocked()
    order = make_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    with pytest.raises(Conflict, match="shipped orders"):
        services.open_case(actor=agent, order=order, kind="return", reason="quality",
                           lines={order.lines.first().pk: 1})


def test_bad_policy_input_names_the_field(shipped_order, agent):
    order = shipped_order()
    with pytest.raises(ServiceError) as err:
        services.open_case(actor=agent, order=order, kind="return", reason="changed_mind",
                           lines={order.lines.first().pk: 1})
    assert "reason" in err.value.fields
    assert not Case.objects.exists()


def test_only_after_sales_roles_open_cases_and_only_on_their_shops(shipped_order, make_user, other_shop, shop):
    order = shipped_order()
    lines = {order.lines.first().pk: 1}
    with pytest.raises(NotAllowed):
        services.open_case(actor=make_user("warehouse", shops=[shop]), order=order, kind="return",
                           reason="quality", lines=lines)
    with pytest.raises(NotAllowed):
        services.open_case(actor=make_user("cs_aftersales", shops=[other_shop]), order=order, kind="return",
                           reason="quality", lines=lines)
    assert not Case.objects.exists()


def test_freight_collect_parcel_is_refused(case_for, agent, english):
    case = case_for(actor=agent)
    with pytest.raises(Conflict) as err:
        services.record_return_parcel(actor=agent, case=case, carrier="中通快递", tracking_no="ZT1",
                                      return_shipping="freight_collect")
    assert err.value.code == "freight_collect_refused"
    case.refresh_from_db()
    assert case.return_tracking_no == "" and case.waiting_for == Case.Waiting.BUYER


def test_receiving_restocks_writes_off_and_the_refund_falls_due(case_for, shipped_order, agent, keeper, warehouse):
    order = shipped_order(lines=((2, "50.00"),))
    line = order.lines.get()
    case = case_for(order, actor=agent)
    services.record_return_parcel(actor=agent, case=case, carrier="中通快递", tracking_no="ZTRET1")
    case.refresh_from_db()
    assert case.waiting_for == Case.Waiting.WAREHOUSE
    stock_before = WarehouseStock.objects.get(sku=line.sku, warehouse=warehouse).on_hand
    location = Location.objects.get(code="A-01")
    case_line = case.lines.get()
    services.receive_return(actor=keeper, case=case, inspection={case_line.pk: (1, 1)}, location=location,
                            note="一件有污渍")
    case.refresh_from_db()
    assert case.state == S.REFUND_DUE and case.waiting_for == Case.Waiting.REFUND and case.refund_due_at
    assert case.loss == Decimal("50.00") and case.received_by == keeper
    movement = Movement.objects.get(reference=case.number)
    assert movement.type == Movement.Type.RETURN_RESTOCK and movement.quantity == 1 and movement.sku == line.sku
    assert WarehouseStock.objects.get(sku=line.sku, warehouse=warehouse).on_hand == stock_before + 1
    case_line.refresh_from_db()
    assert (case_line.received, case_line.restocked, case_line.written_off) == (2, 1, 1)
    register = selectors.returns_register(keeper, start=clock.today(), end=clock.today())
    assert [(r.order_no, r.quantity, r.return_tracking_no, r.loss) for r in register] == [
        (order.platform_order_no, 2, "ZTRET1", Decimal("50.00"))]


def test_receiving_checks_quantities_and_needs_a_location(case_for, agent, keeper, english):
    case = case_for(actor=agent)
    first = case.lines.order_by("id")[0]
    with pytest.raises(ServiceError, match="at most"):
        services.receive_return(actor=keeper, case=case, inspection={first.pk: (first.quantity + 1, 0)})
    with pytest.raises(ServiceError, match="location"):
        services.receive_return(actor=keeper, case=case, inspection={first.pk: (1, 0)})
    with pytest.raises(NotAllowed):
        services.receive_return(actor=agent, case=case, inspection={first.pk: (0, 1)})
    assert not Movement.objects.filter(reference=case.number).exists()


def test_exchange_gets_its_replacement_on_receipt(case_for, agent, keeper):
    case = case_for(kind="exchange", reason="wrong_item", actor=agent)
    services.receive_return(actor=keeper, case=case, inspection={ln.pk: (0, ln.quantity) for ln in case.lines.all()})
    case.refresh_from_db()
    assert case.state == S.RESHIPPED and case.replacement_order.reship_of_id == case.order_id
    assert case.replacement_order.paid_amount == 0
    assert sorted(case.replacement_order.lines.values_list("quantity", flat=True)) == [1, 2]


def test_reship_case_creates_the_reship_order_at_once(case_for, shipped_order, agent):
    order = shipped_order()
    first = order.lines.order_by("id")[0]
    case = case_for(order, kind="reship", reason="missing_item", lines={first.pk: 1}, actor=agent)
    assert case.state == S.RESHIPPED and case.closed_at is not None
    assert case.replacement_order.ship_today and case.replacement_order.lines.get().quantity == 1


def test_refund_only_is_due_at_once(case_for, agent):
    case = case_for(kind="refund_only", reason="missing_item", actor=agent)
    assert case.state == S.REFUND_DUE and case.refund_amount > 0


def test_refund_within_the_limit_is_marked_paid(case_for, shipped_order, agent):
    case = case_for(shipped_order(lines=((1, "120.00"),)), kind="refund_only", reason="quality", actor=agent)
    services.mark_refunded(actor=agent, case=case)
    case.refresh_from_db()
    assert case.state == S.REFUNDED and case.refunded_by == agent and case.closed_at


def test_refund_above_the_limit_waits_for_the_supervisor(case_for, shipped_order, agent, supervisor, english):
    case = case_for(shipped_order(lines=((1, "500.00"),)), kind="refund_only", reason="quality", actor=agent)
    services.mark_refunded(actor=agent, case=case)  # cs_aftersales may refund ¥300
    case.refresh_from_db()
    assert case.state == S.REFUND_APPROVAL and case.waiting_for == Case.Waiting.SUPERVISOR
    assert case.refunded_at is None
    with pytest.raises(Conflict, match="waiting for a supervisor"):
        services.mark_refunded(actor=agent, case=case)
    with pytest.raises(NotAllowed):
        services.approve_refund(actor=agent, case=case)
    services.approve_refund(actor=supervisor, case=case)
    services.mark_refunded(actor=agent, case=case)
    case.refresh_from_db()
    assert case.state == S.REFUNDED and case.refund_approved_by == supervisor
    assert list(_events(case, "aftersales.request_refund_approval").values_list("actor", flat=True)) == [agent.pk]


def test_supervisor_may_accept_a_refused_case(case_for, shipped_order, agent, supervisor):
    case = case_for(shipped_order(days_ago=12), reason="no_reason", actor=agent)
    with pytest.raises(NotAllowed):
        services.accept_refused_case(actor=agent, case=case, reason="老客户")
    services.accept_refused_case(actor=supervisor, case=case, reason="老客户，以退为主")
    case.refresh_from_db()
    assert case.allowed and case.shipping_paid_by == "shop" and case.state == S.WAITING_RETURN
    assert case.rule_codes[-1] == "supervisor_accepted"


def test_withdraw_and_compensation(case_for, agent, english):
    case = case_for(actor=agent)
    services.record_compensation(actor=agent, case=case, amount="20", reason="耽误了时间")
    with pytest.raises(Conflict, match="above your limit"):
        services.record_compensation(actor=agent, case=case, amount="301", reason="")
    services.withdraw_case(actor=agent, case=case, reason="买家不退了")
    case.refresh_from_db()
    assert case.state == S.CANCELLED and case.compensation == Decimal("20.00")


def test_queues_follow_the_case(case_for, agent, keeper):
    case = case_for(actor=agent)
    assert list(selectors.case_queue(agent, "buyer")) == [case]
    assert list(selectors.case_queue(keeper, "warehouse")) == [case]  # the parcel may come before its number
    services.record_return_parcel(actor=agent, case=case, carrier="中通快递", tracking_no="ZT9")
    assert list(selectors.case_queue(agent, "buyer")) == []
    assert selectors.queue_counts(agent)["warehouse"] == 1


def test_return_instructions_mask_the_buyer_unless_allowed(case_for, agent):
    case = case_for(actor=agent)
    masked = selectors.return_instructions(case)
    clear = selectors.return_instructions(case, masked=False)
    assert "13800138000" in clear["note"] and "13800138000" not in masked["note"]
    assert case.order.buyer_platform_id in masked["note"] and case.number in masked["note"]


# --- complaints ---------------------------------------------------------------------------------------------------


def test_complaint_steps_in_order_with_follow_up_call(shop, agent, supervisor, english):
    complaint = services.open_complaint(actor=agent, shop=shop, summary="客服态度不好", buyer_platform_id="tb-1")
    for _ in range(2):  # listen → apologise → ask
        complaint = services.advance_complaint(actor=agent, complaint=complaint, notes="记录")
    assert complaint.step == Complaint.Step.ASK
    with pytest.raises(ServiceError, match="cause"):
        services.advance_complaint(actor=agent, complaint=complaint)
    complaint = services.advance_complaint(actor=agent, complaint=complaint, cause="staff_service")
    with pytest.raises(ServiceError, match="resolved"):
        services.advance_complaint(actor=agent, complaint=complaint)
    complaint = services.advance_complaint(actor=agent, complaint=complaint, resolution="道歉并赠送优惠券",
                                           compensation="10")
    assert complaint.step == Complaint.Step.RESOLVE and complaint.follow_up_due_at > clock.now()
    deadline = Deadline.objects.get(rule=services.COMPLAINT_FOLLOW_UP_RULE, subject_id=str(complaint.pk))
    assert deadline.escalate_to_role == "cs_supervisor"
    complaint = services.advance_complaint(actor=agent, complaint=complaint)
    assert complaint.step == Complaint.Step.CLOSED
    with pytest.raises(Conflict):
        services.advance_complaint(actor=agent, complaint=complaint)
    services.record_complaint_follow_up(actor=agent, complaint=complaint, note="买家满意")
    deadline.refresh_from_db()
    assert deadline.state == Deadline.State.MET
    assert "记录" in Complaint.objects.get(pk=complaint.pk).notes


def test_missed_follow_up_call_escalates(shop, agent):
    complaint = services.open_complaint(actor=agent, shop=shop, summary="发货慢")
    for kw in ({}, {}, {"cause": "misunderstanding"}, {"resolution": "解释"}):
        complaint = services.advance_complaint(actor=agent, complaint=complaint, **kw)
    with clock.freeze(complaint.follow_up_due_at + timedelta(hours=1)):
        assert sweep_deadlines() == 1
    assert Deadline.objects.get(subject_id=str(complaint.pk)).state == Deadline.State.MISSED


def test_complaint_against_a_colleague_is_for_the_supervisor_only(shop, agent, supervisor, make_user):
    colleague = make_user("cs_presales", shops=[shop])
    named = services.open_complaint(actor=agent, shop=shop, summary="客服说话难听", against_staff=colleague)
    plain = services.open_complaint(actor=agent, shop=shop, summary="包装破了")
    assert list(selectors.complaints_visible_to(agent)) == [plain]
    assert list(selectors.complaints_visible_to(colleague)) == [plain]
    assert set(selectors.complaints_visible_to(supervisor)) == {named, plain}


# --- the rules the review asked for ---------------------------------------------------------------------------------


def test_hygiene_and_special_price_come_from_the_catalogue(stocked, shipped_order, case_for, agent):
    order = shipped_order(lines=((1, "59.00"),))
    product = order.lines.get().sku.product
    product.is_hygiene = True
    product.is_special_price = True
    product.save(update_fields=["is_hygiene", "is_special_price"])
    case = case_for(order, reason="no_reason", actor=agent)
    assert {"hygiene", "special_price"} <= set(case.item_flags) and not case.allowed
    assert {"no_reason_hygiene", "no_reason_special_price"} <= set(case.rule_codes)


def test_no_reason_refund_without_return_is_refused(case_for, agent):
    case = case_for(kind="refund_only", reason="no_reason", actor=agent)
    assert not case.allowed and "no_reason_needs_return" in case.rule_codes and case.refund_amount == 0


def test_accepting_a_refused_case_rechecks_its_lines(case_for, shipped_order, agent, supervisor, english):
    order = shipped_order(days_ago=12)
    refused = case_for(order, reason="no_reason", actor=agent)
    case_for(order, kind="refund_only", reason="quality", actor=agent)  # the same lines, a new case
    with pytest.raises(ServiceError, match="no other case covers"):
        services.accept_refused_case(actor=supervisor, case=refused, reason="以退为主")
    refused.refresh_from_db()
    assert refused.state == S.REFUSED


def test_restock_only_into_a_warehouse_serving_the_shop(case_for, agent, keeper, english):
    from shopdesk.inventory import services as inventory_services

    other = inventory_services.create_warehouse(actor=None, code="SZ", name="深圳仓", priority=5)
    zone = inventory_services.create_zone(actor=None, warehouse=other, code="B", name="B区")
    foreign = inventory_services.create_locations(actor=None, warehouse=other, zone=zone, codes=["B-01"])[0]
    case = case_for(actor=agent)
    first = case.lines.order_by("id")[0]
    with pytest.raises(ServiceError, match="not a location of a warehouse serving"):
        services.receive_return(actor=keeper, case=case, inspection={first.pk: (1, 0)}, location=foreign)
    assert not Movement.objects.filter(reference=case.number).exists()


def test_partial_receipt_refunds_what_came_back(case_for, shipped_order, agent, keeper):
    order = shipped_order(lines=((3, "70.00"),))
    case = case_for(order, actor=agent)
    assert case.refund_amount == Decimal("210.00")
    line = case.lines.get()
    services.receive_return(actor=keeper, case=case, inspection={line.pk: (0, 1)})
    case.refresh_from_db()
    assert case.state == S.REFUND_DUE and case.refund_amount == Decimal("70.00")


def test_compensation_limit_counts_the_whole_case(case_for, agent, english):
    case = case_for(actor=agent)
    services.record_compensation(actor=agent, case=case, amount="200", reason="")
    with pytest.raises(Conflict, match="in all on this case"):
        services.record_compensation(actor=agent, case=case, amount="200", reason="")
    services.withdraw_case(actor=agent, case=case, reason="买家撤销")
    with pytest.raises(Conflict):
        services.record_compensation(actor=agent, case=case, amount="1", reason="")


def test_refund_beyond_the_supervisor_limit_needs_the_manager(case_for, shipped_order, agent, supervisor, manager,
                                                              shop, english):
    case = case_for(shipped_order(lines=((1, "3000.00"),)), kind="refund_only", reason="quality", actor=agent)
    services.mark_refunded(actor=agent, case=case)
    with pytest.raises(Conflict, match="the manager approves"):
        services.approve_refund(actor=supervisor, case=case)
    services.approve_refund(actor=manager, case=case)
    services.mark_refunded(actor=agent, case=case)
    case.refresh_from_db()
    assert case.state == S.REFUNDED and case.refund_approved_by == manager


def test_order_leaves_after_sales_when_its_last_case_is_over(case_for, shipped_order, agent):
    order = shipped_order(lines=((1, "50.00"), (1, "60.00")))
    first, second = order.lines.order_by("id")
    one = case_for(order, kind="refund_only", reason="quality", lines={first.pk: 1}, actor=agent)
    two = case_for(order, kind="return", reason="quality", lines={second.pk: 1}, actor=agent)
    services.mark_refunded(actor=agent, case=one)
    assert Order.objects.get(pk=order.pk).status == Status.AFTER_SALES  # the second case is still open
    services.withdraw_case(actor=agent, case=two, reason="买家不退了")
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert _events(order, "orders.after_sales_done").exists()


def test_evidence_only_on_open_cases(case_for, agent, english):
    case = case_for(actor=agent)
    services.withdraw_case(actor=agent, case=case, reason="撤销")
    with pytest.raises(Conflict, match="closed"):
        services.add_evidence(actor=agent, case=case, text="又发来一张图")


def test_a_step_is_not_skipped_by_a_second_click(shop, agent, english):
    complaint = services.open_complaint(actor=agent, shop=shop, summary="发货慢")
    services.advance_complaint(actor=agent, complaint=complaint, from_step="listen")
    with pytest.raises(Conflict, match="already moved on"):
        services.advance_complaint(actor=agent, complaint=complaint, from_step="listen")
    assert Complaint.objects.get(pk=complaint.pk).step == Complaint.Step.APOLOGISE


def test_nobody_sees_the_complaint_against_themselves(shop, agent, supervisor, manager):
    about_supervisor = services.open_complaint(actor=agent, shop=shop, summary="主管处理不公",
                                               against_staff=supervisor)
    assert about_supervisor not in selectors.complaints_visible_to(supervisor)
    assert about_supervisor in selectors.complaints_visible_to(manager)


def test_the_named_colleague_must_work_on_the_shop(shop, other_shop, agent, make_user, english):
    stranger = make_user("cs_presales", shops=[other_shop])
    with pytest.raises(ServiceError, match="does not work on"):
        services.open_complaint(actor=agent, shop=shop, summary="x", against_staff=stranger)
