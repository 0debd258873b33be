"""After-sales API: the policy-check contract, cases through their steps (return parcel, receiving into stock,
refunds within and above the limit), complaints, the returns register, permissions, shop scoping and masking."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from shopdesk.aftersales import policy
from shopdesk.aftersales.models import Case, Complaint
from shopdesk.core import masking
from shopdesk.core.models import AuditEvent
from shopdesk.inventory.models import Movement, WarehouseStock


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
CHECK = "/api/v1/aftersales/policy-check/"
CASES = "/api/v1/aftersales/cases/"
COMPLAINTS = "/api/v1/aftersales/complaints/"


def case_url(case, step=""):
    return f"{CASES}{case.pk}/" + (f"{step}/" if step else "")


# --- the policy check -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "allowed", "payer", "codes"), [
    ({"request_type": "return", "reason": "no_reason", "days_since_receipt": 7}, True, "buyer",
     ["no_reason_within_7_days"]),
    ({"request_type": "return", "reason": "no_reason", "days_since_receipt": 8}, False, None,
     ["no_reason_after_7_days"]),
    ({"request_type": "exchange", "reason": "no_reason", "days_since_receipt": 2, "item_flags": ["hygiene"]}, False,
     None, ["no_reason_within_7_days", "no_reason_hygiene"]),
    ({"request_type": "exchange", "reason": "quality", "days_since_receipt": 30, "item_flags": ["hygiene"]}, True,
     "shop", ["shop_fault_quality", "shop_fault_overrides_flags"]),
    ({"request_type": "return", "reason": "unclear", "days_since_receipt": 3}, True, "shop",
     ["unclear_shop_takes_it"]),
    ({"request_type": "return", "reason": "quality", "days_since_receipt": 3, "return_shipping": "freight_collect"},
     False, None, ["shop_fault_quality", "freight_collect_refused"]),
    ({"request_type": "refund_only", "reason": "no_reason"}, False, None,
     ["no_reason_days_unknown", "no_reason_needs_return"]),
    ({"request_type": "return", "reason": "wrong_item", "days_since_receipt": 0, "return_shipping": ""}, True, "shop",
     ["shop_fault_wrong_item"]),
    ({"request_type": "return", "reason": "no_reason", "days_since_receipt": None, "item_condition": ["worn"]},
     False, None, ["no_reason_days_unknown", "no_reason_condition"]),
    ({"request_type": "reship", "reason": "missing_item", "days_since_receipt": 1, "item_flags": [],
      "item_condition": [], "return_shipping": "prepaid"}, True, "shop", ["shop_fault_missing_item"]),
])
def test_policy_check_contract(api_for, body, allowed, payer, codes):
    response = api_for("cs_aftersales").post(CHECK, body, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == {"allowed", "return_shipping_paid_by", "rule_codes", "explanation"}
    assert (answer["allowed"], answer["return_shipping_paid_by"], answer["rule_codes"]) == (allowed, payer, codes)
    expected = policy.decide(policy.request_of(
        body["request_type"], body["reason"], body.get("days_since_receipt"), body.get("item_flags", ()),
        body.get("item_condition", ()), body.get("return_shipping") or None))
    assert answer == expected.as_dict()
    assert ("可以受理" if allowed else "不予受理") in answer["explanation"]


@pytest.mark.parametrize(("body", "field"), [
    ({"request_type": "return", "reason": "changed_my_mind", "days_since_receipt": 3}, "reason"),
    ({"request_type": "return", "days_since_receipt": 3}, "reason"),
    ({"reason": "quality"}, "request_type"),
    ({"request_type": "swap", "reason": "quality"}, "request_type"),
    ({"request_type": "return", "reason": "no_reason", "days_since_receipt": -1}, "days_since_receipt"),
    ({"request_type": "return", "reason": "no_reason", "days_since_receipt": "soon"}, "days_since_receipt"),
    ({"request_type": "return", "reason": "no_reason", "days_since_receipt": True}, "days_since_receipt"),
    ({"request_type": "return", "reason": "no_reason", "item_flags": ["fragile"]}, "item_flags"),
    ({"request_type": "return", "reason": "no_reason", "item_condition": ["dusty"]}, "item_condition"),
    ({"request_type": "return", "reason": "quality", "return_shipping": "cod"}, "return_shipping"),
])
def test_policy_check_bad_input_names_the_field(api_for, body, field):
    response = api_for("cs_aftersales").post(CHECK, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(key == field or key.startswith(f"{field}.") for key in error["fields"]), error


def test_policy_check_permission(api_for):
    body = {"request_type": "return", "reason": "quality", "days_since_receipt": 1}
    for role in ("cs_presales", "cs_aftersales", "cs_supervisor", "warehouse", "finance"):  # hold view_case
        assert api_for(role).post(CHECK, body, format="json").status_code == 200, role
    for role in ("designer", "merchandiser", "operations"):
        assert api_for(role).post(CHECK, body, format="json").status_code == 403, role
    assert APIClient().post(CHECK, body, format="json").status_code in (401, 403)


def test_schema_documents_the_policy_check_and_the_cases(api_for):
    schema = api_for("cs_aftersales").get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/aftersales/policy-check/"]["post"]
    request_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    response_ref = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    request_schema = schema["components"]["schemas"][request_ref]
    assert set(request_schema["properties"]) == {"request_type", "reason", "days_since_receipt", "item_flags",
                                                 "item_condition", "return_shipping"}
    assert set(request_schema["required"]) == {"request_type", "reason"}
    assert set(schema["components"]["schemas"][response_ref]["properties"]) == {
        "allowed", "return_shipping_paid_by", "rule_codes", "explanation"}
    for path in ("/api/v1/aftersales/cases/", "/api/v1/aftersales/cases/{id}/receive/",
                 "/api/v1/aftersales/cases/{id}/return-parcel/", "/api/v1/aftersales/complaints/{id}/advance/",
                 "/api/v1/aftersales/returns-register/"):
        assert path in schema["paths"], path


# --- cases ----------------------------------------------------------------------------------------------------------


def test_create_case_answers_the_decision(api_for, shop, shipped_order):
    order = shipped_order(days_ago=3)
    first, second = order.lines.order_by("id")
    api = api_for("cs_aftersales", shops=[shop])
    response = api.post(CASES, {
        "order": order.pk, "kind": "return", "reason": "no_reason", "description": "不喜欢颜色",
        "lines": [{"order_line": first.pk, "quantity": 1}, {"order_line": second.pk, "quantity": 1}]}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"]["allowed"] is True and body["decision"]["return_shipping_paid_by"] == "buyer"
    assert body["decision"]["rule_codes"] == ["no_reason_within_7_days"]
    assert body["decision"]["explanation"].startswith("退货退款·7天无理由：可以受理。")
    assert body["state"] == "waiting_return" and body["waiting_for"] == "buyer"
    assert body["days_since_receipt"] == 3
    assert [(ln["order_line"], ln["quantity"]) for ln in body["lines"]] == [(first.pk, 1), (second.pk, 1)]
    assert body["refund_amount"] == "130.00"  # 50 + one of the two 80s: part of the order, no shipping
    assert [e["text"] for e in body["evidence"]] == ["不喜欢颜色"]
    assert body["return_instructions"]["note"].endswith(Case.objects.get(pk=body["id"]).number)
    order.refresh_from_db()
    assert order.status == "after_sales"


def test_create_refused_case_is_recorded(api_for, shop, shipped_order):
    order = shipped_order(days_ago=10)
    line = order.lines.first()
    response = api_for("cs_aftersales", shops=[shop]).post(CASES, {
        "order": order.pk, "kind": "return", "reason": "no_reason",
        "lines": [{"order_line": line.pk, "quantity": 1}]}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "refused" and body["allowed"] is False
    decision = body["decision"]
    assert (decision["allowed"], decision["return_shipping_paid_by"], decision["rule_codes"]) == (
        False, None, ["no_reason_after_7_days"])
    assert "不予受理" in body["decision"]["explanation"]


def test_create_case_days_only_used_without_delivery_time(api_for, shop, shipped_order):
    api = api_for("cs_aftersales", shops=[shop])
    undelivered = shipped_order(delivered=False)
    body = api.post(CASES, {"order": undelivered.pk, "kind": "exchange", "reason": "no_reason",
                            "days_since_receipt": 9, "lines": [{"order_line": undelivered.lines.first().pk,
                                                                 "quantity": 1}]}, format="json").json()
    assert body["days_since_receipt"] == 9 and body["decision"]["rule_codes"] == ["no_reason_after_7_days"]
    delivered = shipped_order(days_ago=1)
    body = api.post(CASES, {"order": delivered.pk, "kind": "exchange", "reason": "no_reason",
                            "days_since_receipt": 9, "lines": [{"order_line": delivered.lines.first().pk,
                                                                 "quantity": 1}]}, format="json").json()
    assert body["days_since_receipt"] == 1 and body["decision"]["allowed"] is True


def test_create_case_refusals(api_for, shop, other_shop, shipped_order, make_order, stocked):
    api = api_for("cs_aftersales", shops=[shop])
    order = shipped_order()
    line = order.lines.first()
    base = {"order": order.pk, "kind": "return", "reason": "quality"}
    missing = api.post(CASES, {**base, "lines": []}, format="json")
    assert missing.status_code == 400 and list(missing.json()["error"]["fields"]) == ["lines.non_field_errors"]
    twice = api.post(CASES, {**base, "lines": [{"order_line": line.pk, "quantity": 1}] * 2}, format="json")
    assert twice.status_code == 400 and "lines" in twice.json()["error"]["fields"]
    too_many = api.post(CASES, {**base, "lines": [{"order_line": line.pk, "quantity": line.quantity + 1}]},
                        format="json")
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "invalid_lines"
    bad_kind = api.post(CASES, {**base, "kind": "swap", "lines": [{"order_line": line.pk, "quantity": 1}]},
                        format="json")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()["error"]["fields"]
    sku = stocked()
    paid = make_order(lines=[(sku.listings.first().channel_sku_code, 1, "50.00")])
    not_shipped = api.post(CASES, {**base, "order": paid.pk,
                                   "lines": [{"order_line": paid.lines.first().pk, "quantity": 1}]}, format="json")
    assert not_shipped.status_code == 409 and not_shipped.json()["error"]["code"] == "not_shipped"
    outsider = api_for("cs_aftersales", shops=[other_shop])
    assert outsider.post(CASES, {**base, "lines": [{"order_line": line.pk, "quantity": 1}]},
                         format="json").status_code == 404
    assert api_for("finance", shops=[shop]).post(CASES, {**base, "lines": [{"order_line": line.pk, "quantity": 1}]},
                                                 format="json").status_code == 403
    assert not Case.objects.exists()


def test_return_parcel_receive_into_stock_and_refund(api_for, shop, warehouse, case_for):
    case = case_for(kind="return", reason="quality")
    first, second = case.lines.select_related("order_line__sku").order_by("id")
    agent = api_for("cs_aftersales", shops=[shop])
    refused = agent.post(case_url(case, "return-parcel"), {"carrier": "顺丰", "tracking_no": "SF100200300",
                                                           "return_shipping": "freight_collect"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "freight_collect_refused"
    parcel = agent.post(case_url(case, "return-parcel"), {"carrier": "顺丰", "tracking_no": "SF100200300"},
                        format="json")
    assert parcel.status_code == 200, parcel.content
    assert parcel.json()["return_parcel"]["tracking_no"] == "SF100200300"
    assert parcel.json()["waiting_for"] == "warehouse"
    assert agent.post(case_url(case, "receive"), {"lines": [{"case_line": first.pk, "restocked": 1}]},
                      format="json").status_code == 403  # receiving is the warehouse's

    location = warehouse.locations.get(code="A-01")
    stock_before = {ln.pk: WarehouseStock.objects.get(sku=ln.order_line.sku, warehouse=warehouse).on_hand
                    for ln in (first, second)}
    keeper = api_for("warehouse", shops=[shop])
    received = keeper.post(case_url(case, "receive"), {
        "lines": [{"case_line": first.pk, "restocked": 1}, {"case_line": second.pk, "restocked": 1,
                                                            "written_off": 1}],
        "location": location.pk, "note": "一件有污渍"}, format="json")
    assert received.status_code == 200, received.content
    body = received.json()
    assert body["state"] == "refund_due" and body["waiting_for"] == "refund"
    assert body["loss"] == "80.00" and body["return_parcel"]["inspection_note"] == "一件有污渍"
    assert [(ln["received"], ln["restocked"], ln["written_off"]) for ln in body["lines"]] == [(1, 1, 0), (2, 1, 1)]
    moves = Movement.objects.filter(type=Movement.Type.RETURN_RESTOCK, reference=case.number).order_by("id")
    assert [(m.sku_id, m.location_id, m.quantity) for m in moves] == [
        (first.order_line.sku_id, location.pk, 1), (second.order_line.sku_id, location.pk, 1)]
    for ln in (first, second):
        assert WarehouseStock.objects.get(sku=ln.order_line.sku, warehouse=warehouse).on_hand == \
            stock_before[ln.pk] + 1
    again = keeper.post(case_url(case, "receive"), {"lines": [{"case_line": first.pk, "restocked": 1}],
                                                    "location": location.pk}, format="json")
    assert again.status_code == 409

    refunded = agent.post(case_url(case, "refund"), {"note": "支付宝已退"}, format="json")
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["state"] == "refunded" and refunded.json()["refund"]["amount"] == "210.00"
    assert refunded.json()["refund"]["refunded_by"] == agent.user.username


def test_receive_input_errors(api_for, shop, case_for):
    case = case_for()
    keeper = api_for("warehouse", shops=[shop])
    line = case.lines.first()
    no_location = keeper.post(case_url(case, "receive"), {"lines": [{"case_line": line.pk, "restocked": 1}]},
                              format="json")
    assert no_location.status_code == 400 and "inspection" in no_location.json()["error"]["fields"]
    unknown = keeper.post(case_url(case, "receive"), {"lines": [{"case_line": line.pk, "restocked": 1}],
                                                      "location": 999999}, format="json")
    assert unknown.status_code == 400 and "location" in unknown.json()["error"]["fields"]
    negative = keeper.post(case_url(case, "receive"), {"lines": [{"case_line": line.pk, "restocked": -1}]},
                           format="json")
    assert negative.status_code == 400 and "lines.0.restocked" in negative.json()["error"]["fields"]


def test_refund_above_the_agents_limit_waits_for_the_supervisor(api_for, shop, shipped_order, case_for):
    order = shipped_order(lines=((1, "200.00"), (1, "150.00")))
    case = case_for(order, kind="refund_only", reason="quality")
    assert case.state == Case.State.REFUND_DUE and case.refund_amount == Decimal("350.00")
    agent = api_for("cs_aftersales", shops=[shop])  # limit 300
    waiting = agent.post(case_url(case, "refund"), {}, format="json")
    assert waiting.status_code == 202, waiting.content
    assert waiting.json()["state"] == "refund_approval" and waiting.json()["waiting_for"] == "supervisor"
    assert waiting.json()["refund"]["refunded_at"] is None
    pending = agent.post(case_url(case, "refund"), {}, format="json")
    assert pending.status_code == 409 and pending.json()["error"]["code"] == "approval_pending"
    assert agent.post(case_url(case, "approve-refund"), {}, format="json").status_code == 403
    supervisor = api_for("cs_supervisor", shops=[shop])
    approved = supervisor.post(case_url(case, "approve-refund"), {"note": "质量问题, 同意"}, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["state"] == "refund_due"
    assert approved.json()["refund"]["approved_by"] == supervisor.user.username
    done = agent.post(case_url(case, "refund"), {}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "refunded"


def test_refund_within_the_limit_is_marked_at_once(api_for, shop, case_for):
    case = case_for(kind="refund_only", reason="wrong_item")  # 50 + 2 x 80 = 210, within 300
    response = api_for("cs_aftersales", shops=[shop]).post(case_url(case, "refund"), {}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "refunded"


def test_supervisor_accepts_a_refused_case(api_for, shop, shipped_order, case_for):
    case = case_for(shipped_order(days_ago=12), kind="return", reason="no_reason")
    assert case.state == Case.State.REFUSED
    agent = api_for("cs_aftersales", shops=[shop])
    assert agent.post(case_url(case, "accept"), {"reason": "老客户"}, format="json").status_code == 403
    supervisor = api_for("cs_supervisor", shops=[shop])
    no_reason = supervisor.post(case_url(case, "accept"), {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    accepted = supervisor.post(case_url(case, "accept"), {"reason": "老客户, 可退可不退的以退为主"}, format="json")
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["state"] == "waiting_return" and body["decision"]["return_shipping_paid_by"] == "shop"
    assert body["decision"]["rule_codes"][-1] == "supervisor_accepted"


def test_compensation_withdraw_and_evidence(api_for, shop, case_for):
    case = case_for()
    agent = api_for("cs_aftersales", shops=[shop])
    paid = agent.post(case_url(case, "compensation"), {"amount": "20", "reason": "安抚"}, format="json")
    assert paid.status_code == 200 and paid.json()["compensation"] == "20.00"
    over = agent.post(case_url(case, "compensation"), {"amount": "500", "reason": "安抚"}, format="json")
    assert over.status_code == 409 and over.json()["error"]["code"] == "over_limit"
    zero = agent.post(case_url(case, "compensation"), {"amount": "0", "reason": "安抚"}, format="json")
    assert zero.status_code == 400 and "amount" in zero.json()["error"]["fields"]

    photo = SimpleUploadedFile("broken.png", PNG, "image/png")
    added = agent.post(case_url(case, "evidence"), {"text": "外箱破损", "photos": [photo]}, format="multipart")
    assert added.status_code == 201, added.content
    evidence = added.json()["evidence"]
    assert [(e["text"], e["has_photo"]) for e in evidence] == [("外箱破损", False), ("", True)]
    image = agent.get(evidence[1]["photo_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == PNG
    assert evidence[0]["photo_url"] is None
    empty = agent.post(case_url(case, "evidence"), {"text": ""}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()["error"]["fields"]
    not_image = agent.post(case_url(case, "evidence"), {"photos": [SimpleUploadedFile("x.png", b"hello")]},
                           format="multipart")
    assert not_image.status_code == 400 and "photos.0" in not_image.json()["error"]["fields"]

    no_reason = agent.post(case_url(case, "withdraw"), {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    withdrawn = agent.post(case_url(case, "withdraw"), {"reason": "买家撤销申请"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "cancelled"
    assert agent.post(case_url(case, "withdraw"), {"reason": "again"}, format="json").status_code == 409


def test_case_list_filters_and_queues(api_for, shop, shipped_order, case_for, django_assert_max_num_queries):
    waiting = case_for(kind="return", reason="quality")
    refund = case_for(kind="refund_only", reason="missing_item")
    refused = case_for(shipped_order(days_ago=9), kind="exchange", reason="no_reason")
    for _ in range(4):
        case_for()
    api = api_for("cs_aftersales", shops=[shop])
    with django_assert_max_num_queries(8):
        body = api.get(CASES).json()
    assert body["count"] == 7 and len(body["results"]) == 7

    def ids(**params):
        return {row["id"] for row in api.get(CASES, params).json()["results"]}

    assert ids(queue="refund") == {refund.pk}
    assert ids(queue="refused") == {refused.pk}
    assert waiting.pk in ids(queue="buyer") and refund.pk not in ids(queue="buyer")
    assert ids(kind="exchange") == {refused.pk}
    assert ids(state="refund_due") == {refund.pk}
    assert ids(order_no=waiting.order.platform_order_no) == {waiting.pk}
    assert ids(shop=shop.code) == ids() and ids(shop="nope") == set()
    bad = api.get(CASES, {"queue": "everything"})
    assert bad.status_code == 400 and "queue" in bad.json()["error"]["fields"]
    row = next(r for r in body["results"] if r["id"] == waiting.pk)
    assert row["number"] == waiting.number and row["shop"] == shop.code and row["kind_label"]


def test_another_shops_case_is_404(api_for, shop, other_shop, case_for):
    case = case_for()
    outsider = api_for("cs_aftersales", shops=[other_shop])
    assert outsider.get(case_url(case)).status_code == 404
    assert outsider.get(CASES).json()["count"] == 0
    assert outsider.post(case_url(case, "refund"), {}, format="json").status_code == 404
    assert outsider.post(case_url(case, "return-parcel"), {"carrier": "顺丰", "tracking_no": "SF1"},
                         format="json").status_code == 404
    assert api_for("cs_aftersales", shops=[shop]).get(case_url(case)).status_code == 200
    assert api_for("manager").get(case_url(case)).status_code == 200  # all shops


def test_buyer_data_is_masked(api_for, shop, shipped_order, case_for):
    case = case_for(shipped_order(name="欧阳娜娜", mobile="13812341234"))
    finance = api_for("finance", shops=[shop])  # may view cases, may not unmask
    row = finance.get(CASES).json()["results"][0]
    assert row["buyer_name"] == masking.mask_name("欧阳娜娜") == "欧***"
    detail = finance.get(case_url(case)).json()
    assert (detail["buyer_name"], detail["mobile"]) == ("欧***", "138****1234")
    assert "欧阳娜娜" not in str(detail) and "13812341234" not in str(detail)
    assert finance.get(case_url(case), {"unmask": "1"}).status_code == 403

    agent = api_for("cs_aftersales", shops=[shop])
    assert agent.get(case_url(case)).json()["mobile"] == "138****1234"  # masked unless asked
    clear = agent.get(case_url(case), {"unmask": "1"}).json()
    assert (clear["buyer_name"], clear["mobile"]) == ("欧阳娜娜", "13812341234")
    assert "欧阳娜娜" in clear["return_instructions"]["note"]
    assert AuditEvent.objects.filter(action="orders.unmask", actor=agent.user, object_id=str(case.order_id)).exists()


def test_returns_register(api_for, shop, other_shop, warehouse, case_for, cn_time):
    from shopdesk.core import clock

    case = case_for(kind="return", reason="quality")
    case_for(kind="refund_only", reason="quality")  # not a return: not in the register
    keeper = api_for("warehouse", shops=[shop])
    agent = api_for("cs_aftersales", shops=[shop])
    agent.post(case_url(case, "return-parcel"), {"carrier": "顺丰", "tracking_no": "SF777"}, format="json")
    lines = list(case.lines.order_by("id"))
    keeper.post(case_url(case, "receive"), {"lines": [{"case_line": lines[0].pk, "restocked": 1},
                                                      {"case_line": lines[1].pk, "written_off": 2}],
                                            "location": warehouse.locations.get().pk}, format="json")
    today = clock.today().isoformat()
    response = agent.get("/api/v1/aftersales/returns-register/", {"shop": shop.code, "start": today, "end": today})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["shop"] == shop.code and body["start"] == today
    assert [(r["case"], r["quantity"], r["received"], r["return_tracking_no"], r["loss"]) for r in body["rows"]] == [
        (case.number, 1, 1, "SF777", "0.00"), (case.number, 2, 2, "SF777", "160.00")]
    assert agent.get("/api/v1/aftersales/returns-register/").json()["rows"]  # defaults: the last 30 days
    assert agent.get("/api/v1/aftersales/returns-register/", {"start": "2020-01-01", "end": "2020-01-31"}).json()[
        "rows"] == []
    backwards = agent.get("/api/v1/aftersales/returns-register/", {"start": today, "end": "2020-01-01"})
    assert backwards.status_code == 400 and "start" in backwards.json()["error"]["fields"]
    bad_date = agent.get("/api/v1/aftersales/returns-register/", {"end": "tomorrow"})
    assert bad_date.status_code == 400 and "end" in bad_date.json()["error"]["fields"]
    foreign = agent.get("/api/v1/aftersales/returns-register/", {"shop": other_shop.code})
    assert foreign.status_code == 400 and "shop" in foreign.json()["error"]["fields"]
    assert api_for("designer").get("/api/v1/aftersales/returns-register/").status_code == 403


# --- complaints -----------------------------------------------------------------------------------------------------


def test_complaint_through_every_step(api_for, shop, shipped_order):
    order = shipped_order()
    agent = api_for("cs_aftersales", shops=[shop])
    created = agent.post(COMPLAINTS, {"shop": shop.code, "order": order.pk, "summary": "客服态度差, 发货慢"},
                         format="json")
    assert created.status_code == 201, created.content
    complaint = created.json()
    assert complaint["step"] == "listen" and complaint["buyer_platform_id"] == order.buyer_platform_id
    url = f"{COMPLAINTS}{complaint['id']}/"

    def advance(**body):
        response = agent.post(url + "advance/", body, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    assert advance(notes="买家说了十分钟")["step"] == "apologise"
    assert advance(notes="已道歉")["step"] == "ask"
    no_cause = agent.post(url + "advance/", {}, format="json")
    assert no_cause.status_code == 400 and "cause" in no_cause.json()["error"]["fields"]
    recorded = advance(cause="staff_service")
    assert recorded["step"] == "record" and recorded["cause"] == "staff_service"
    too_early = agent.post(url + "follow-up/", {"note": "满意"}, format="json")
    assert too_early.status_code == 409 and too_early.json()["error"]["code"] == "not_resolved"
    no_resolution = agent.post(url + "advance/", {}, format="json")
    assert no_resolution.status_code == 400 and "resolution" in no_resolution.json()["error"]["fields"]
    resolved = advance(resolution="补偿优惠券并致歉", compensation="10.00")
    assert resolved["step"] == "resolve" and resolved["compensation"] == "10.00"
    assert resolved["follow_up_due_at"] is not None
    closed = advance(notes="买家接受")
    assert closed["step"] == "closed" and closed["closed_at"] is not None
    assert "买家说了十分钟" in closed["notes"] and "已道歉" in closed["notes"]
    assert agent.post(url + "advance/", {}, format="json").status_code == 409
    followed = agent.post(url + "follow-up/", {"note": "买家满意"}, format="json")
    assert followed.status_code == 200 and followed.json()["follow_up_note"] == "买家满意"
    assert agent.post(url + "follow-up/", {"note": "again"}, format="json").status_code == 409
    assert agent.get(COMPLAINTS, {"step": "closed"}).json()["count"] == 1
    assert agent.get(COMPLAINTS, {"step": "listen"}).json()["count"] == 0


def test_complaint_against_a_colleague_only_for_supervisors(api_for, make_user, shop, other_shop):
    colleague = make_user("cs_presales", shops=[shop])
    supervisor = api_for("cs_supervisor", shops=[shop])
    created = supervisor.post(COMPLAINTS, {"shop": shop.code, "summary": "客服骂人",
                                           "against_staff": colleague.username}, format="json")
    assert created.status_code == 201 and created.json()["against_staff"] == colleague.username
    pk = created.json()["id"]
    assert supervisor.get(f"{COMPLAINTS}{pk}/").status_code == 200
    agent = api_for("cs_aftersales", shops=[shop])
    assert agent.get(f"{COMPLAINTS}{pk}/").status_code == 404
    assert agent.get(COMPLAINTS).json()["count"] == 0
    assert agent.post(f"{COMPLAINTS}{pk}/advance/", {}, format="json").status_code == 404
    assert api_for("cs_supervisor", shops=[other_shop]).get(f"{COMPLAINTS}{pk}/").status_code == 404
    unknown = supervisor.post(COMPLAINTS, {"shop": shop.code, "summary": "x", "against_staff": "nobody"},
                              format="json")
    assert unknown.status_code == 400 and "against_staff" in unknown.json()["error"]["fields"]
    foreign = supervisor.post(COMPLAINTS, {"shop": other_shop.code, "summary": "x"}, format="json")
    assert foreign.status_code == 400 and "shop" in foreign.json()["error"]["fields"]
    assert api_for("finance", shops=[shop]).post(COMPLAINTS, {"shop": shop.code, "summary": "x"},
                                                 format="json").status_code == 403
    assert Complaint.objects.count() == 1
