"""Reads of the orders app, always scoped to the shops the person may see."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, Q
from django.utils import timezone

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.models import AuditEvent
from shopdesk.orders.models import (
    ChangeRequest,
    ImportRun,
    Order,
    OrderLine,
    OrderTask,
    ShopOrderRules,
    Status,
    UnreachableArea,
)

S = Status
WAITING = (S.PAID, S.VERIFIED)
IN_WAREHOUSE = (S.PRINTED, S.PICKED, S.PACKED)
EXCEPTION_Q = (Q(out_of_stock=True) | Q(has_unmapped=True) | Q(address_incomplete=True) | Q(unreachable=True)
               | Q(risk_flagged=True))
EXCEPTION_FLAGS = ("out_of_stock", "has_unmapped", "address_incomplete", "unreachable", "risk_flagged")


def orders_visible_to(user):
    return Order.objects.filter(shop__in=shops_visible_to(user)).select_related("shop")


def order_tabs_q() -> dict[str, Q]:
    """The order list's tabs, by stage (each counted on the indexes)."""
    return {
        "all": Q(),
        "unpaid": Q(status=S.UNPAID),
        "review": Q(status=S.PAID),
        "verified": Q(status=S.VERIFIED),
        "warehouse": Q(status__in=IN_WAREHOUSE),
        "shipped": Q(status__in=(S.SHIPPED, S.DELIVERED)),
        "completed": Q(status=S.COMPLETED),
        "after_sales": Q(status=S.AFTER_SALES),
        "cancelled": Q(status=S.CANCELLED),
        "exceptions": Q(status__in=(*WAITING, *IN_WAREHOUSE)) & EXCEPTION_Q,
    }


def order_for_page(user, pk: int) -> Order:
    return (orders_visible_to(user)
            .select_related("verified_by", "merged_into", "split_from")
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("sku", "reservation",
                                                                                          "reservation__warehouse")),
                              "notes__author", "tasks", "change_requests__requested_by",
                              "change_requests__decided_by", "merged_from", "split_parts")
            .get(pk=pk))


def timeline(order: Order, limit: int = 100):
    """The order's events (audit rows), newest first."""
    return (AuditEvent.objects.filter(object_type="orders.order", object_id=str(order.pk))
            .order_by("-occurred_at", "-id")[:limit])


def unpaid(user):
    """催付: unpaid orders, oldest first (time since ordering decides who to remind first)."""
    return orders_visible_to(user).filter(status=S.UNPAID).order_by("ordered_at", "id")


def review_queue(user):
    return orders_visible_to(user).filter(status=S.PAID).order_by("ordered_at", "id")


def exceptions(user):
    return orders_visible_to(user).filter(order_tabs_q()["exceptions"]).order_by("ordered_at", "id")


def shift_end(shop_id: int | None = None, day=None) -> datetime:
    """Today's end of the day shift (the shop's rule, default 17:30) as an aware time."""
    rules = ShopOrderRules.objects.filter(shop_id=shop_id).first() if shop_id else None
    end = rules.day_shift_ends if rules else ShopOrderRules._meta.get_field("day_shift_ends").default
    day = day or clock.today()
    return timezone.make_aware(datetime.combine(day, end))


def shift_ends(shop_ids) -> dict[int | None, datetime]:
    """Today's end of the day shift per shop (the shop's rule or the default 17:30); key None: the default."""
    ends = {None: shift_end()}
    rules = dict(ShopOrderRules.objects.filter(shop_id__in=list(shop_ids)).values_list("shop_id", "day_shift_ends"))
    day = clock.today()
    for shop_id in shop_ids:
        end = rules.get(shop_id)
        ends[shop_id] = timezone.make_aware(datetime.combine(day, end)) if end else ends[None]
    return ends


def cannot_ship_today(user):
    """Paid orders still held today (exception, hold or waiting for a person) that the buyer must be told about
    before the day shift ends (003:544)."""
    return (orders_visible_to(user).filter(status__in=(*WAITING, *IN_WAREHOUSE))
            .filter(EXCEPTION_Q | Q(on_hold=True) | Q(status=S.PAID))
            .order_by("paid_at", "id"))


def pending_change_requests(user):
    return (ChangeRequest.objects.filter(order__shop__in=shops_visible_to(user), state=ChangeRequest.State.PENDING)
            .select_related("order", "order__shop", "requested_by"))


def change_requests(user):
    return (ChangeRequest.objects.filter(order__shop__in=shops_visible_to(user))
            .select_related("order", "order__shop", "requested_by", "decided_by"))


def open_tasks(user, roles: set[str] | None = None):
    qs = (OrderTask.objects.filter(order__shop__in=shops_visible_to(user), state=OrderTask.State.OPEN)
          .select_related("order", "order__shop", "created_by"))
    return qs.filter(role__in=roles) if roles is not None else qs


def tasks(user):
    return OrderTask.objects.filter(order__shop__in=shops_visible_to(user)).select_related(
        "order", "order__shop", "created_by", "done_by")


def import_runs(user):
    return ImportRun.objects.filter(shop__in=shops_visible_to(user)).select_related("shop", "started_by")


def mergeable_with(order: Order):
    """Other orders of the same buyer and address in the same shop that could be merged with this one."""
    if order.status not in WAITING:
        return Order.objects.none()
    return Order.objects.filter(
        shop_id=order.shop_id, buyer_platform_id=order.buyer_platform_id, mobile=order.mobile,
        province=order.province, city=order.city, district=order.district, address_detail=order.address_detail,
        status__in=WAITING, on_hold=False).exclude(pk=order.pk)


def rules_for(shop) -> ShopOrderRules:
    return ShopOrderRules.objects.filter(shop=shop).first() or ShopOrderRules(shop=shop)


def carrier_fallback(order: Order) -> str:
    """The shop's default carrier when it does not reach the order's district and the universal carrier took its
    place (003: E邮宝 reaches everywhere), so the page can say so; "" otherwise."""
    from shopdesk.orders.verification import UNIVERSAL_CARRIER

    if order.chosen_carrier or order.carrier != UNIVERSAL_CARRIER:
        return ""
    default = rules_for(order.shop).default_carrier
    return default if default and default != UNIVERSAL_CARRIER else ""


def unreachable_areas():
    return UnreachableArea.objects.all()
