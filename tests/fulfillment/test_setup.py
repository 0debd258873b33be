"""Carrier set-up services (product.md §2.4): blind spots from a file, waybill numbers per order from a file
(录入快递单号), and the daily dispatch plan's numbers (000:477, 003:544)."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook

from shopdesk.core import clock
from shopdesk.core.errors import NotAllowed, ServiceError
from shopdesk.core.models import AuditEvent
from shopdesk.fulfillment import selectors, services
from shopdesk.fulfillment.models import Shipment
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Order, ShopOrderRules, Status, UnreachableArea

CN = ZoneInfo("Asia/Shanghai")


def write_csv(path, rows, encoding="utf-8-sig"):
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def write_xlsx(path, rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# --- coverage ---------------------------------------------------------------------------------------------------------


def test_import_coverage_creates_areas_and_is_idempotent(zto, tmp_path, make_user):
    lead = make_user("warehouse")
    path = write_csv(tmp_path / "不到达.csv", [["省份", "城市", "区县"], ["西藏自治区", "", ""],
                                              ["新疆维吾尔自治区", "阿勒泰地区", "布尔津县"],
                                              ["青海省", "玉树藏族自治州", ""], ["西藏自治区", "", ""]])
    assert services.import_coverage(actor=lead, carrier=zto, path=path) == {"created": 3, "existing": 1}
    assert set(UnreachableArea.objects.filter(carrier="中通快递").values_list("province", "city", "district")) == {
        ("西藏自治区", "", ""), ("新疆维吾尔自治区", "阿勒泰地区", "布尔津县"), ("青海省", "玉树藏族自治州", "")}
    event = AuditEvent.objects.get(action="fulfillment.import_coverage")
    assert event.actor_id == lead.pk and event.changes["created"]["after"] == 3
    # Again, with one new row: only that one is created.
    write_csv(path, [["省", "市", "区"], ["西藏自治区", "", ""], ["甘肃省", "甘南藏族自治州", ""]], encoding="gbk")
    assert services.import_coverage(actor=lead, carrier=zto, path=path) == {"created": 1, "existing": 1}
    assert UnreachableArea.objects.filter(carrier="中通快递").count() == 4


def test_import_coverage_reads_xlsx_with_province_only(zto, tmp_path):
    path = write_xlsx(tmp_path / "areas.xlsx", [["省"], ["西藏自治区"], ["新疆维吾尔自治区"]])
    assert services.import_coverage(actor=None, carrier=zto, path=path) == {"created": 2, "existing": 0}


def test_import_coverage_bad_rows_write_nothing_and_name_line_and_column(zto, tmp_path, english):
    path = write_csv(tmp_path / "areas.csv", [["省份", "城市", "区县"], ["西藏自治区", "", ""], ["", "拉萨市", ""],
                                              ["青海省", "", "城关区"], ["新疆" * 20, "", ""]])
    with pytest.raises(services.ImportRefused) as err:
        services.import_coverage(actor=None, carrier=zto, path=path)
    problems = [(p.line, p.column) for p in err.value.problems]
    assert problems == [(3, "省份"), (4, "城市"), (5, "省份")]
    assert "areas.csv" in err.value.message and "Line 3, 省份: must not be empty" in err.value.fields["file"]
    assert not UnreachableArea.objects.exists()  # the good first row neither


def test_import_coverage_missing_column_and_permission(zto, tmp_path, make_user, shop):
    path = write_csv(tmp_path / "areas.csv", [["城市"], ["拉萨市"]])
    with pytest.raises(ServiceError) as err:
        services.import_coverage(actor=None, carrier=zto, path=path)
    assert err.value.code == "invalid_file" and "省" in err.value.message
    cs = make_user("cs_presales", shops=[shop])
    with pytest.raises(NotAllowed):
        services.import_coverage(actor=cs, carrier=zto, path=path)


def test_blind_spot_add_and_remove_by_the_warehouse_lead(zto, make_user):
    lead = make_user("warehouse")
    area = services.add_blind_spot(actor=lead, carrier=zto, province="西藏自治区")
    assert str(area) == "中通快递: 西藏自治区"
    with pytest.raises(ServiceError) as err:
        services.add_blind_spot(actor=lead, carrier=zto, province="西藏自治区")
    assert err.value.code == "duplicate"
    with pytest.raises(ServiceError) as err:
        services.add_blind_spot(actor=lead, carrier=zto, province="西藏自治区", district="城关区")
    assert "city" in err.value.fields
    services.remove_blind_spot(actor=lead, area=area)
    assert not UnreachableArea.objects.exists()
    assert AuditEvent.objects.filter(action__in=["fulfillment.add_blind_spot", "fulfillment.remove_blind_spot"],
                                     actor_id=lead.pk).count() == 2


# --- waybill numbers per order ----------------------------------------------------------------------------------------


@pytest.fixture
def keeper(make_user, shop):
    return make_user("warehouse", username="keeper", shops=[shop])


def test_import_waybills_sets_numbers_and_is_idempotent(zto, ems, verified_order, keeper, tmp_path):
    a, b = verified_order(), verified_order()
    path = write_csv(tmp_path / "运单.csv", [["订单号", "运单号", "快递公司"],
                                            [a.platform_order_no, "zt7300000555", ""],
                                            [f'="{b.platform_order_no}"', "9800000000001", "E邮宝"]])
    assert services.import_waybills(actor=keeper, shop=a.shop, path=path) == {"updated": 2, "unchanged": 0}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.carrier, a.tracking_no) == ("中通快递", "ZT7300000555")
    assert (b.carrier, b.tracking_no) == ("E邮宝", "9800000000001")
    assert set(Shipment.objects.values_list("carrier", "tracking_no")) == {("中通快递", "ZT7300000555"),
                                                                          ("E邮宝", "9800000000001")}
    assert AuditEvent.objects.filter(action="orders.set_tracking").count() == 2
    assert AuditEvent.objects.filter(action="fulfillment.import_waybills", actor_id=keeper.pk).exists()
    assert services.import_waybills(actor=keeper, shop=a.shop, path=path) == {"updated": 0, "unchanged": 2}


def test_import_waybills_accepts_carrier_code_and_xlsx(zto, verified_order, keeper, tmp_path):
    order = verified_order()
    path = write_xlsx(tmp_path / "numbers.xlsx", [["订单编号", "快递单号", "物流公司"],
                                                  [order.platform_order_no, "ZT1", "zto"]])
    assert services.import_waybills(actor=keeper, shop=order.shop, path=path)["updated"] == 1
    order.refresh_from_db()
    assert order.tracking_no == "ZT1"


def _refused(path, shop, actor):
    with pytest.raises(services.ImportRefused) as err:
        services.import_waybills(actor=actor, shop=shop, path=path)
    return {(p.line, p.column): p.reason for p in err.value.problems}


def test_import_waybills_each_bad_row_kind_and_nothing_written(zto, ems, verified_order, make_order, stocked,
                                                               keeper, tmp_path, english):
    good, shipped, cancelled, taken, other = (verified_order() for _ in range(5))
    Order.objects.filter(pk=shipped.pk).update(status=Status.SHIPPED)
    order_services.cancel_order(actor=None, order=cancelled, reason="买家取消")
    services.set_waybill(actor=None, order=taken, carrier="中通快递", tracking_no="ZT900")
    sku = stocked()
    unpaid = make_order(status="unpaid", lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    Order.objects.filter(pk=other.pk).update(carrier="")
    rows = [["订单号", "运单号", "快递公司"],
            [good.platform_order_no, "ZT100", ""],  # 2: fine
            ["NO-SUCH-ORDER", "ZT101", ""],  # 3: unknown order
            [shipped.platform_order_no, "ZT102", ""],  # 4: shipped
            [cancelled.platform_order_no, "ZT103", ""],  # 5: cancelled
            [unpaid.platform_order_no, "ZT104", ""],  # 6: not verified
            [other.platform_order_no, "ZT105", "顺丰速运"],  # 7: carrier not set up
            [other.platform_order_no, "ZT106", ""],  # 8: order twice in the file (and no carrier)
            [good.platform_order_no + "X", "ZT100", ""],  # 9: number twice in the file (and unknown order)
            [taken.platform_order_no + "", "ZT900", ""],  # 10: unchanged (its own number)
            ["", "", ""],  # blank rows are skipped
            ["", "ZT107", ""]]  # 12: no order number
    path = write_csv(tmp_path / "numbers.csv", rows)
    problems = _refused(path, good.shop, keeper)
    assert "no order NO-SUCH-ORDER" in problems[(3, "订单号")]
    assert "already shipped" in problems[(4, "订单号")]
    assert "was cancelled" in problems[(5, "订单号")]
    assert "not verified yet" in problems[(6, "订单号")]
    assert "unknown carrier 顺丰速运" in problems[(7, "快递公司")]
    assert "also on line 7" in problems[(8, "订单号")]
    assert "also on line 2" in problems[(9, "运单号")]
    assert problems[(12, "订单号")] == "must not be empty"
    assert (2, "订单号") not in problems and (10, "订单号") not in problems
    good.refresh_from_db()
    assert good.tracking_no == "" and not Shipment.objects.filter(tracking_no="ZT100").exists()


def test_import_waybills_refuses_a_number_on_another_order_or_an_order_without_carrier(zto, verified_order, keeper,
                                                                                     tmp_path, english):
    first, second, bare, typed = verified_order(), verified_order(), verified_order(), verified_order()
    services.set_waybill(actor=None, order=first, carrier="中通快递", tracking_no="ZT555")
    Order.objects.filter(pk=bare.pk).update(carrier="")
    Order.objects.filter(pk=typed.pk).update(tracking_no="ZT557")  # on the order only, no parcel yet
    path = write_csv(tmp_path / "n.csv", [["订单号", "运单号"], [second.platform_order_no, "ZT555"],
                                          [bare.platform_order_no, "ZT556"], [first.platform_order_no, "ZT557"]])
    problems = _refused(path, second.shop, keeper)
    assert problems[(2, "运单号")] == f"ZT555 of 中通快递 is already on order {first.platform_order_no}"
    assert "has no carrier yet" in problems[(3, "快递公司")]
    assert problems[(4, "运单号")] == f"ZT557 of 中通快递 is already on order {typed.platform_order_no}"
    second.refresh_from_db()
    assert second.tracking_no == ""


def test_import_waybills_file_problems_and_shop_access(zto, verified_order, make_user, other_shop, tmp_path):
    order = verified_order()
    path = write_csv(tmp_path / "n.csv", [["订单号", "快递公司"], [order.platform_order_no, "中通快递"]])
    with pytest.raises(ServiceError) as err:
        services.import_waybills(actor=None, shop=order.shop, path=path)
    assert err.value.code == "invalid_file" and "运单号" in err.value.message
    stranger = make_user("warehouse", shops=[other_shop])
    with pytest.raises(NotAllowed):
        services.import_waybills(actor=stranger, shop=order.shop, path=path)
    cs = make_user("cs_presales", shops=[order.shop])
    with pytest.raises(NotAllowed):
        services.import_waybills(actor=cs, shop=order.shop, path=path)


def test_waybill_template_reads_back_as_an_import(zto, verified_order, keeper, tmp_path):
    order = verified_order()
    from openpyxl import load_workbook

    path = tmp_path / "template.xlsx"
    path.write_bytes(services.waybill_template_xlsx())
    book = load_workbook(path)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["订单号", "运单号", "快递公司"]
    sheet["A2"], sheet["B2"] = order.platform_order_no, "ZT42"
    book.save(path)
    assert services.import_waybills(actor=keeper, shop=order.shop, path=path)["updated"] == 1


def test_read_waybill_numbers_for_a_list_pool(zto, tmp_path):
    path = write_csv(tmp_path / "list.csv", [["序号", "运单号"], ["1", "zt0001"], ["2", "'ZT0002"], ["3", "ZT 3"]])
    with pytest.raises(services.ImportRefused) as err:
        services.read_waybill_numbers(path)
    assert [p.line for p in err.value.problems] == [4]
    write_csv(path, [["运单号"], ["zt0001"], ["'ZT0002"]])
    pool = services.add_pool_numbers(actor=None, carrier=zto, name="list", numbers=services.read_waybill_numbers(path))
    assert selectors.pools_with_left().get(pk=pool.pk).numbers_left == 2


# --- carriers, pools, fees --------------------------------------------------------------------------------------------


def test_pools_numbers_left_and_fee(zto):
    listed = services.add_pool_numbers(actor=None, carrier=zto, name="list", numbers=["A1", "A2", "A3"])
    services.take_waybill(zto)  # from the range pool (oldest first)
    pools = {p.pk: p.numbers_left for p in selectors.pools_with_left()}
    range_pool = zto.pools.get(kind="range")
    assert pools == {range_pool.pk: 9999 - 1, listed.pk: 3}
    services.set_pool_active(actor=None, pool=range_pool, active=False)
    assert services.take_waybill(zto)[0] == "A1"
    assert selectors.pools_with_left().get(pk=listed.pk).numbers_left == 2
    services.save_price_rule(actor=None, carrier=zto, province="", first_weight_kg="1", first_fee="5",
                             extra_unit_kg="1", extra_fee="2")
    services.save_price_rule(actor=None, carrier=zto, province="新疆", first_weight_kg="1", first_fee="15",
                             extra_unit_kg="1", extra_fee="10")
    assert selectors.fee(zto, "广东省", Decimal("2.5")) == Decimal("9.00")
    assert selectors.fee(zto, "新疆维吾尔自治区", Decimal("1.2")) == Decimal("25.00")
    assert [r.province for r in selectors.price_rules(zto)] == ["新疆", ""]


def test_save_carrier_duplicate_name_is_a_service_error(zto):
    with pytest.raises(ServiceError) as err:
        services.save_carrier(actor=None, name="中通快递", code="zto2")
    assert "name" in err.value.fields


# --- the dispatch plan ------------------------------------------------------------------------------------------------


def at(hour, minute=0, day=22):
    return datetime(2026, 11, day, hour, minute, tzinfo=CN)


def test_dispatch_plan_numbers(zto, verified_order, make_user, shop, other_shop, make_order, stocked,
                               django_assert_max_num_queries):
    """A hand-made day: the board's numbers, in a fixed number of queries."""
    ShopOrderRules.objects.update_or_create(shop=shop, defaults={"day_shift_ends": time(16, 0)})
    orders = [verified_order() for _ in range(8)]

    def put(order, **fields):
        Order.objects.filter(pk=order.pk).update(**fields)

    # verified today at 9:10, 9:40, 10:05, 15:30; yesterday's ones do not count in the hours
    put(orders[0], verified_at=at(9, 10), paid_at=at(9, 0), carrier="中通快递")
    put(orders[1], verified_at=at(9, 40), paid_at=at(9, 30), status=Status.PRINTED, carrier="中通快递")
    put(orders[2], verified_at=at(10, 5), paid_at=at(10, 0), status=Status.PACKED, carrier="E邮宝")
    put(orders[3], verified_at=at(15, 30), paid_at=at(16, 30), carrier="中通快递")  # paid after 16:00: tomorrow
    put(orders[4], verified_at=at(20, 0, day=21), paid_at=at(19, 0, day=21), status=Status.PICKED,
        carrier="中通快递")
    put(orders[5], verified_at=at(8, 0), paid_at=at(17, 0), ship_today=True, carrier="E邮宝")  # 当天补发
    put(orders[6], verified_at=at(8, 30), paid_at=at(8, 0), status=Status.SHIPPED, shipped_at=at(11, 0),
        carrier="中通快递")
    put(orders[7], verified_at=at(8, 40, day=21), paid_at=at(8, 0, day=21), status=Status.SHIPPED,
        shipped_at=at(18, 0, day=21), carrier="中通快递")  # shipped yesterday
    sku = stocked()
    waiting_review = make_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")], message="请发顺丰")
    put(waiting_review, status=Status.PAID, paid_at=at(11, 0), carrier="")
    # Another shop the person does not work on: never counted.
    foreign = make_order(for_shop=other_shop, lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    put(foreign, status=Status.VERIFIED, verified_at=at(9, 0), paid_at=at(9, 0))

    lead = make_user("warehouse", shops=[shop])
    with clock.freeze(at(16, 45)):
        lead.get_all_permissions()  # the permission caches, as in a request
        with django_assert_max_num_queries(7):
            plan = selectors.dispatch_plan(lead)
    assert plan["date"] == "2026-11-22" and plan["shops"] == 1
    assert plan["waiting"] == {"paid": 1, "verified": 3, "printed": 1, "picked": 1, "packed": 1}
    assert plan["waiting_total"] == 7
    by_carrier = {row["carrier"]: row["stages"] for row in plan["by_carrier"]}
    assert by_carrier["中通快递"] == {"paid": 0, "verified": 2, "printed": 1, "picked": 1, "packed": 0}
    assert by_carrier["E邮宝"]["verified"] == 1 and by_carrier["E邮宝"]["packed"] == 1
    assert by_carrier[""]["paid"] == 1 and plan["by_carrier"][-1]["carrier"] == ""
    hours = plan["verified_by_hour"]
    assert hours[8] == 2 and hours[9] == 2 and hours[10] == 1 and hours[15] == 1 and sum(hours) == 6
    assert plan["verified_today"] == 6
    # must leave today: paid before 16:00 (today or earlier) or ship-today, not shipped
    assert plan["due_today"] == {"paid": 1, "verified": 2, "printed": 1, "picked": 1, "packed": 1}
    assert plan["due_today_total"] == 6
    assert plan["due_today_blocked"] == 1  # the one waiting for a person
    assert plan["shift_end"].startswith("2026-11-22T16:00") and plan["late"] is True
    assert plan["shipped_today"] == [{"carrier": "中通快递", "count": 1}] and plan["shipped_today_total"] == 1

    with clock.freeze(at(10, 0, day=23)):
        tomorrow = selectors.dispatch_plan(lead)
    assert tomorrow["verified_today"] == 0 and tomorrow["shipped_today_total"] == 0
    assert tomorrow["due_today_total"] == 7 and tomorrow["late"] is False  # orders[3] is due now


def test_dispatch_plan_query_count_does_not_grow_with_orders_or_shops(zto, verified_order, manager, make_order,
                                                                      stocked, other_shop,
                                                                      django_assert_max_num_queries):
    sku = stocked()
    for _ in range(3):
        verified_order()
    for _ in range(3):
        make_order(for_shop=other_shop, lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    with clock.freeze(clock.now() + timedelta(hours=1)):
        manager.get_all_permissions()
        with django_assert_max_num_queries(7):
            plan = selectors.dispatch_plan(manager)
    assert plan["shops"] == 2 and plan["waiting_total"] == 6
