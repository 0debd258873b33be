"""Demo after-sales work, made through the services like real use: orders of the past weeks signed for on various
days, and on them a quality return waiting for the buyer's parcel, a return on its way to the warehouse, a no-reason
request after day 7 (refused, with the explanation), a refund due, a refund above the agent's limit waiting for the
supervisor, a reship of a missing item, a received return with one unit written off, and complaints at several steps
(one against a named colleague, which only the supervisor sees).

`load_aftersales_demo()` is idempotent (nothing once a case exists) and needs the orders demo.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from shopdesk.aftersales import services
from shopdesk.aftersales.models import Case, Complaint
from shopdesk.inventory.models import Location
from shopdesk.orders.demo import DemoOrders
from shopdesk.orders.models import Order


def _user(username):
    return get_user_model().objects.filter(username=username).first()


def _all_lines(order: Order) -> dict[int, int]:
    return dict(order.lines.values_list("pk", "quantity"))


def load_aftersales_demo() -> bool:
    if Case.objects.exists() or Complaint.objects.exists() or not Order.objects.exists():
        return False
    agent, supervisor, keeper, presales = _user("yangli"), _user("zhaomin"), _user("zhoujie"), _user("chenjing")
    factory = DemoOrders(20261123, prefix_day=20261001000)
    past = [o for o in (factory.delivered(code, days, keeper=keeper, lines=lines)
                        for code, days, lines in (("taobao-store", 2, 2), ("taobao-store", 4, 1),
                                                  ("jd-store", 9, 1), ("taobao-store", 5, 1), ("jd-store", 3, 2),
                                                  ("taobao-store", 1, 2), ("jd-store", 6, 1), ("taobao-store", 12, 1),
                                                  ("jd-store", 15, 1)))
            if o is not None]
    if len(past) < 8:
        return False
    quality, on_the_way, late, refund, big, missing, received, *rest = past
    services.open_case(actor=agent, order=quality, kind="return", reason="quality", lines=_all_lines(quality),
                       description="衣服腋下开线了，要求退货")
    case = services.open_case(actor=agent, order=on_the_way, kind="exchange", reason="wrong_item",
                              lines=_all_lines(on_the_way), description="买家拍的是L码，收到的是M码，要换L码")
    services.record_return_parcel(actor=agent, case=case, carrier="中通快递", tracking_no="78341209934")
    services.open_case(actor=agent, order=late, kind="return", reason="no_reason", lines=_all_lines(late),
                       description="不想要了")
    services.open_case(actor=agent, order=refund, kind="refund_only", reason="damaged_in_transit",
                       lines=_all_lines(refund), description="外包装压坏，商品有划痕，买家同意不退货仅退款")
    expensive = services.open_case(actor=agent, order=big, kind="refund_only", reason="unclear",
                                   lines=_all_lines(big), description="买家说没收到，快递显示已签收，责任分不清")
    if expensive.refund_amount > 0:
        services.mark_refunded(actor=agent, case=expensive)  # above ¥300 it waits for the supervisor
    first_line = missing.lines.order_by("id").first()
    services.open_case(actor=agent, order=missing, kind="reship", reason="missing_item",
                       lines={first_line.pk: 1}, description="少发了一件，买家发来发货单照片")
    back = services.open_case(actor=agent, order=received, kind="return", reason="wrong_item",
                              lines=_all_lines(received), description="发错颜色")
    services.record_return_parcel(actor=agent, case=back, carrier="圆通速递", tracking_no="YT8812300451")
    location = Location.objects.filter(warehouse__shops=received.shop).order_by("id").first()
    if location is not None:
        services.receive_return(actor=keeper, case=back, location=location, note="一件吊牌缺失，报损",
                                inspection={line.pk: (line.quantity - 1, 1) if line.quantity > 1 else (0, 1)
                                            for line in back.lines.all()})
    # Complaints: one just heard, one recorded, one resolved (its follow-up call due), one against a colleague.
    shop = quality.shop
    services.open_complaint(actor=agent, shop=shop, order=quality, summary="买家投诉衣服质量差，要给差评")
    recorded = services.open_complaint(actor=agent, shop=shop, summary="快递三天没动，买家很生气")
    for kw in ({}, {}, {"cause": "misunderstanding", "notes": "物流延误，非商品问题"}):
        recorded = services.advance_complaint(actor=agent, complaint=recorded, **kw)
    resolved = services.open_complaint(actor=agent, shop=shop, summary="商品描述与实物颜色不符")
    for kw in ({}, {}, {"cause": "unclear_description"}, {"resolution": "补发正确颜色，并修改详情页描述",
                                                         "compensation": "10"}):
        resolved = services.advance_complaint(actor=agent, complaint=resolved, **kw)
    if presales is not None:
        services.open_complaint(actor=supervisor, shop=shop, summary="买家说客服回复慢、语气生硬",
                                against_staff=presales)
    return True
