"""Reads of after-sales, always scoped to the shops the person may see: the case queues, the supervisor's daily list
(003:552), the returns register (退换货登记表, 003:544) and what the buyer is told to put in the return parcel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.utils import timezone

from shopdesk.aftersales.models import OPEN_STATES, Case, CaseEvidence, CaseLine, Complaint
from shopdesk.channels.selectors import shops_visible_to
from shopdesk.staff.roles import VIEW_STAFF_COMPLAINTS

S, W = Case.State, Case.Waiting
# The queues of the case list: who the case waits for (an indexed column), then the closed ones.
QUEUES: dict[str, Q] = {
    "open": Q(state__in=OPEN_STATES),
    "buyer": Q(waiting_for=W.BUYER),
    "warehouse": Q(waiting_for=W.WAREHOUSE) | Q(state=S.WAITING_RETURN, waiting_for=W.BUYER),
    "refund": Q(waiting_for=W.REFUND),
    "supervisor": Q(waiting_for=W.SUPERVISOR),
    "refused": Q(state=S.REFUSED),
    "closed": Q(state__in=(S.REFUNDED, S.RESHIPPED, S.CANCELLED)),
    "all": Q(),
}


def cases_visible_to(user):
    return Case.objects.filter(shop__in=shops_visible_to(user)).select_related("shop", "order")


def case_queue(user, queue: str = "open"):
    return cases_visible_to(user).filter(QUEUES.get(queue, QUEUES["open"])).order_by("opened_at", "id")


def queue_counts(user) -> dict[str, int]:
    """How many cases wait in each queue (one grouped query)."""
    from django.db.models import Count

    counts = dict.fromkeys(("buyer", "warehouse", "refund", "supervisor"), 0)
    rows = cases_visible_to(user).filter(state__in=OPEN_STATES).values("waiting_for").annotate(n=Count("id"))
    for row in rows:
        if row["waiting_for"] in counts:
            counts[row["waiting_for"]] = row["n"]
    return counts


def case_detail(user, pk: int) -> Case:
    """A case with its lines and evidence; Case.DoesNotExist for another shop's case."""
    return cases_visible_to(user).select_related(
        "replacement_order", "opened_by", "received_by", "refund_approved_by", "refunded_by").prefetch_related(
        "lines__order_line__sku", Prefetch("evidence", CaseEvidence.objects.select_related("added_by"))).get(pk=pk)


def complaints_visible_to(user):
    """Complaints of the person's shops; one against a named colleague only for those who may see them (the
    supervisor and the manager, not the colleague)."""
    qs = Complaint.objects.filter(shop__in=shops_visible_to(user)).select_related("shop", "order", "against_staff")
    if not user.has_perm(VIEW_STAFF_COMPLAINTS):
        return qs.filter(against_staff__isnull=True)
    return qs.exclude(against_staff=user)  # never the complaint against oneself (the manager sees it)


def complaints_follow_up_due(user, now: datetime):
    return complaints_visible_to(user).filter(resolved_at__isnull=False, followed_up_at__isnull=True,
                                              follow_up_due_at__lte=now)


@dataclass(frozen=True)
class DailyCheck:
    """The supervisor's daily look at refunds and disputes in progress (每天检查退款和纠纷, 003:552)."""

    refunds_waiting_approval: list
    refunds_due: list
    returns_on_the_way: list
    refused_today: list
    complaints_open: list


def supervisor_daily(user, today: date) -> DailyCheck:
    cases = cases_visible_to(user).order_by("opened_at", "id")
    start = datetime.combine(today, time.min, tzinfo=timezone.get_default_timezone())
    return DailyCheck(
        refunds_waiting_approval=list(cases.filter(state=S.REFUND_APPROVAL)),
        refunds_due=list(cases.filter(state=S.REFUND_DUE)),
        returns_on_the_way=list(cases.filter(state=S.WAITING_RETURN)),
        refused_today=list(cases.filter(state=S.REFUSED, opened_at__gte=start, opened_at__lt=start + timedelta(1))),
        complaints_open=list(complaints_visible_to(user).exclude(step=Complaint.Step.CLOSED).order_by("opened_at")),
    )


@dataclass(frozen=True)
class RegisterRow:
    """One line of the returns register (退换货登记表, 003:544)."""

    day: date
    case: str
    kind: str
    order_no: str
    sku: str
    title: str
    quantity: int
    received: int
    return_tracking_no: str
    reason: str
    result: str
    loss: Decimal


def returns_register(user, *, shop=None, start: date, end: date) -> list[RegisterRow]:
    """Return and exchange lines opened from `start` to `end` (inclusive, China days), oldest first; one query."""
    tz = timezone.get_default_timezone()
    lines = CaseLine.objects.filter(
        case__shop__in=shops_visible_to(user), case__kind__in=(Case.Kind.RETURN, Case.Kind.EXCHANGE),
        case__opened_at__gte=datetime.combine(start, time.min, tzinfo=tz),
        case__opened_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
    ).select_related("case__order", "order_line__sku").order_by("case__opened_at", "case_id", "id")
    if shop is not None:
        lines = lines.filter(case__shop=shop)
    rows = []
    for line in lines:
        case = line.case
        rows.append(RegisterRow(
            day=timezone.localtime(case.opened_at, tz).date(), case=case.number, kind=case.get_kind_display(),
            order_no=case.order.platform_order_no,
            sku=line.order_line.sku.code if line.order_line.sku else line.order_line.channel_sku_code,
            title=line.order_line.title, quantity=line.quantity, received=line.received,
            return_tracking_no=case.return_tracking_no, reason=case.get_reason_display(),
            result=_result(case, line), loss=line.order_line.unit_price * line.written_off))
    return rows


def _result(case: Case, line: CaseLine) -> str:
    from django.utils.translation import gettext

    if case.received_at is None:
        return str(case.get_state_display())
    parts = []
    if line.restocked:
        parts.append(gettext("%(n)d restocked") % {"n": line.restocked})
    if line.written_off:
        parts.append(gettext("%(n)d written off") % {"n": line.written_off})
    parts.append(str(case.get_state_display()))
    return ", ".join(parts)


def return_instructions(case: Case, *, masked: bool = True) -> dict:
    """What the buyer is told (003): where to send the parcel, and the note to put inside it (buyer platform id,
    name, phone, reason), and that freight-collect parcels are refused. The address is the shop's sender
    address (fulfilment settings). The buyer's name and phone are masked unless `masked` is False (a person allowed
    to see them, who sends the note to the buyer)."""
    from shopdesk.core.masking import mask_name, mask_phone
    from shopdesk.fulfillment.models import ShopShipping

    shipping = ShopShipping.objects.filter(shop_id=case.shop_id).first()
    order = case.order
    name, phone = order.buyer_name, order.mobile or order.landline
    return {
        "address": shipping.sender_address if shipping else "",
        "receiver": shipping.sender_name if shipping else "",
        "phone": shipping.sender_phone if shipping else "",
        "note": " / ".join([order.buyer_platform_id, mask_name(name) if masked else name,
                            mask_phone(phone) if masked else phone, str(case.get_reason_display()), case.number]),
    }
