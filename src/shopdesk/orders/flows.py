"""The order state machine and the stage rules for changes after payment (003:554), as data.

`TRANSITIONS` names, for each step, the states it may start from; `services.py` has one function per step and
refuses any other starting state. `change_case(status)` answers which of the four cases of 003:554 applies, so the
UI can show it before the user confirms and the services act on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from shopdesk.orders.models import Status

S = Status

# step -> (allowed previous states, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "pay": (frozenset({S.UNPAID}), S.PAID),
    "verify": (frozenset({S.PAID}), S.VERIFIED),
    "unverify": (frozenset({S.VERIFIED}), S.PAID),
    "print": (frozenset({S.VERIFIED, S.PRINTED}), S.PRINTED),
    "pick": (frozenset({S.PRINTED}), S.PICKED),
    "pack": (frozenset({S.PICKED}), S.PACKED),
    "ship": (frozenset({S.PACKED}), S.SHIPPED),
    "deliver": (frozenset({S.SHIPPED}), S.DELIVERED),
    "complete": (frozenset({S.SHIPPED, S.DELIVERED}), S.COMPLETED),
    "cancel": (frozenset({S.UNPAID, S.PAID, S.VERIFIED, S.PRINTED, S.PICKED, S.PACKED}), S.CANCELLED),
    "after_sales": (frozenset({S.SHIPPED, S.DELIVERED, S.COMPLETED}), S.AFTER_SALES),
    # the last after-sales case of the order is over (refunded, exchanged, withdrawn): the order is done
    "after_sales_done": (frozenset({S.AFTER_SALES}), S.COMPLETED),
}

STEP_LABELS = {
    "pay": _("mark paid"), "verify": _("verify"), "unverify": _("send back to review"), "print": _("print"),
    "pick": _("pick"), "pack": _("pack"), "ship": _("ship"), "deliver": _("mark delivered"),
    "complete": _("complete"), "cancel": _("cancel"), "after_sales": _("move to after-sales"),
    "after_sales_done": _("finish after-sales"),
}

# Platform statuses as the importers report them, and how far each one is in our flow.
PLATFORM_RANK = {"unpaid": 0, "paid": 1, "shipped": 2, "completed": 3, "cancelled": 9}
STATUS_RANK = {S.UNPAID: 0, S.PAID: 1, S.VERIFIED: 1, S.PRINTED: 1, S.PICKED: 1, S.PACKED: 1, S.SHIPPED: 2,
               S.DELIVERED: 2, S.COMPLETED: 3, S.CANCELLED: 9, S.AFTER_SALES: 3}
# States whose stock is reserved for the order.
RESERVED_STATES = frozenset({S.PAID, S.VERIFIED, S.PRINTED, S.PICKED, S.PACKED})
# States in which the order is still in the warehouse's hands or before it (mergeable until printed).
NOT_PRINTED = frozenset({S.UNPAID, S.PAID, S.VERIFIED})


@dataclass(frozen=True)
class ChangeCase:
    """Which of the four cases of 003:554 applies to a change or cancellation at the order's current stage."""

    code: str  # "edit" | "recall_paperwork" | "recall_parcel" | "after_sales" | "closed"
    allowed: bool
    explanation: str
    task: str = ""  # OrderTask.Kind the change leaves for the warehouse


def change_case(status: str) -> ChangeCase:
    if status in (S.UNPAID, S.PAID, S.VERIFIED):
        return ChangeCase("edit", True, str(_(
            "Not printed yet: the order is changed directly and a flagged note records the change.")))
    if status in (S.PRINTED, S.PICKED):
        return ChangeCase("recall_paperwork", True, str(_(
            "Already printed: the change voids the printed dispatch note and waybill; the warehouse gets a task to "
            "recall the paperwork and the order goes back to review to be printed again.")), task="recall_paperwork")
    if status == S.PACKED:
        return ChangeCase("recall_parcel", True, str(_(
            "Already packed: the warehouse gets a task to recall the parcel and re-print; the order goes back to "
            "review.")), task="recall_parcel")
    if status in (S.SHIPPED, S.DELIVERED, S.COMPLETED, S.AFTER_SALES):
        return ChangeCase("after_sales", False, str(_(
            "Already shipped: the order can no longer be changed or cancelled here. Open an after-sales case "
            "instead.")))
    return ChangeCase("closed", False, str(_("The order is cancelled: nothing can be changed.")))
