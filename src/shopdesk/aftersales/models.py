"""After-sales (售后, product.md §2.5): cases on an order with the policy decision, the return parcel, receiving and
inspection by the warehouse, the refund, and complaints.

A case keeps the decision `policy.decide` gave when it was opened (codes and the Chinese explanation), so what the
agent told the buyer stays on record even if the policy table changes later. The queue a case waits in is a column
(`waiting_for`), set by each service, so the supervisor's and the warehouse's lists are one indexed query.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopdesk.core import clock

MONEY = {"max_digits": 12, "decimal_places": 2}


class Case(models.Model):
    class Kind(models.TextChoices):
        RETURN = "return", _("Return and refund")
        EXCHANGE = "exchange", _("Exchange")
        REFUND_ONLY = "refund_only", _("Refund only")
        RESHIP = "reship", _("Reship")

    class Reason(models.TextChoices):
        NO_REASON = "no_reason", _("7-day no-reason")
        QUALITY = "quality", _("Quality problem")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")
        MISSING_ITEM = "missing_item", _("Missing item")
        DAMAGED_IN_TRANSIT = "damaged_in_transit", _("Damaged in transit")
        UNCLEAR = "unclear", _("Responsibility unclear")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        REFUSED = "refused", _("Refused by the policy")
        WAITING_RETURN = "waiting_return", _("Waiting for the return parcel")
        REFUND_DUE = "refund_due", _("Refund due")
        REFUND_APPROVAL = "refund_approval", _("Refund waiting for approval")
        REFUNDED = "refunded", _("Refunded")
        RESHIPPED = "reshipped", _("Replacement sent")
        CANCELLED = "cancelled", _("Withdrawn")

    class Waiting(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        WAREHOUSE = "warehouse", _("Warehouse")
        REFUND = "refund", _("Refund")
        SUPERVISOR = "supervisor", _("Supervisor")
        NOBODY = "", _("Nobody (done)")

    class ReturnShipping(models.TextChoices):
        PREPAID = "prepaid", _("Prepaid by the buyer")
        FREIGHT_COLLECT = "freight_collect", _("Freight collect (到付)")

    shop = models.ForeignKey("channels.Shop", on_delete=models.PROTECT, related_name="cases")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="cases")
    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    description = models.TextField(_("buyer's description"), blank=True)
    days_since_receipt = models.PositiveIntegerField(_("days since receipt"), null=True, blank=True)
    item_flags = models.JSONField(_("item flags"), default=list, blank=True)
    item_condition = models.JSONField(_("item condition"), default=list, blank=True)
    # The decision given when the case was opened (policy.decide), kept as it was told.
    allowed = models.BooleanField(_("allowed by the policy"))
    shipping_paid_by = models.CharField(_("return shipping paid by"), max_length=10, blank=True)
    rule_codes = models.JSONField(_("policy rules"), default=list)
    explanation = models.TextField(_("policy explanation"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN, db_index=True)
    waiting_for = models.CharField(_("waiting for"), max_length=12, choices=Waiting.choices, blank=True,
                                   db_index=True)
    # The return parcel (the buyer's waybill, 003: the buyer sends us the tracking number).
    return_carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    return_tracking_no = models.CharField(_("return tracking number"), max_length=40, blank=True, db_index=True)
    return_shipping = models.CharField(_("return shipping"), max_length=16, choices=ReturnShipping.choices,
                                       blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    inspection_note = models.CharField(_("inspection note"), max_length=500, blank=True)
    # Money: the refund falls due in full when the return is received (003: 货到了以后, 全款退回).
    refund_amount = models.DecimalField(_("refund"), default=Decimal("0"), **MONEY)
    refund_due_at = models.DateTimeField(_("refund due since"), null=True, blank=True)
    refund_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    refunded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    compensation = models.DecimalField(_("compensation"), default=Decimal("0"), **MONEY)
    loss = models.DecimalField(_("loss"), default=Decimal("0"), **MONEY,
                               help_text=_("Value of the returned goods written off."))
    replacement_order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                                             related_name="replacement_for_case")
    result = models.CharField(_("result"), max_length=200, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    opened_at = models.DateTimeField(_("opened at"), default=clock.now, db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("after-sales case")
        verbose_name_plural = _("after-sales cases")
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["waiting_for", "opened_at"], name="case_queue"),
                   models.Index(fields=["shop", "opened_at"], name="case_shop_time")]
        permissions = [("approve_refund", "Can approve refunds beyond an agent's limit"),
                       ("receive_return", "Can receive and inspect returns")]

    def __str__(self) -> str:
        return f"AS{self.pk:06d}" if self.pk else "AS(new)"

    @property
    def number(self) -> str:
        return str(self)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


# A case is open until it is refunded, its replacement is sent, it is withdrawn or the policy refused it.
OPEN_STATES = (Case.State.OPEN, Case.State.WAITING_RETURN, Case.State.REFUND_DUE, Case.State.REFUND_APPROVAL)


class CaseLine(models.Model):
    """An order line the case is about, with what came back and what became of it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="case_lines")
    quantity = models.PositiveIntegerField(_("quantity"))
    received = models.PositiveIntegerField(_("received"), default=0)
    restocked = models.PositiveIntegerField(_("restocked"), default=0)
    written_off = models.PositiveIntegerField(_("written off"), default=0)

    class Meta:
        verbose_name = _("case line")
        verbose_name_plural = _("case lines")
        ordering = ["case_id", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "order_line"], name="one_case_line_per_order_line")]

    def __str__(self) -> str:
        return f"{self.order_line} ({self.quantity})"

    @property
    def amount(self) -> Decimal:
        return self.order_line.unit_price * self.quantity


class CaseEvidence(models.Model):
    """The buyer's photos and words (凭证)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence")
    photo = models.ImageField(_("photo"), upload_to="aftersales/%Y/%m/", blank=True)
    text = models.CharField(_("text"), max_length=500, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField(_("added at"), default=clock.now)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.text or (self.photo.name if self.photo else "")


class Complaint(models.Model):
    """投诉: listen → apologise → ask → record → resolve → close, then a follow-up call (000:2407-2429)."""

    class Step(models.TextChoices):
        LISTEN = "listen", _("Listen")
        APOLOGISE = "apologise", _("Apologise")
        ASK = "ask", _("Ask")
        RECORD = "record", _("Record")
        RESOLVE = "resolve", _("Resolve")
        CLOSED = "closed", pgettext_lazy("complaint step", "Closed")

    class Cause(models.TextChoices):
        PRODUCT_QUALITY = "product_quality", _("Product quality")
        UNCLEAR_DESCRIPTION = "unclear_description", _("Unclear product description")
        MISUNDERSTANDING = "misunderstanding", _("Customer misunderstanding")
        STAFF_SERVICE = "staff_service", _("Staff service")

    shop = models.ForeignKey("channels.Shop", on_delete=models.PROTECT, related_name="complaints")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="complaints")
    buyer_platform_id = models.CharField(_("buyer account"), max_length=80, blank=True)
    summary = models.CharField(_("complaint"), max_length=500)
    step = models.CharField(_("step"), max_length=10, choices=Step.choices, default=Step.LISTEN, db_index=True)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    against_staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="complaints_against",
                                      help_text=_("Only supervisors see a complaint against a named person."))
    notes = models.TextField(_("record"), blank=True)
    resolution = models.CharField(_("resolution"), max_length=500, blank=True)
    compensation = models.DecimalField(_("compensation"), default=Decimal("0"), **MONEY)
    follow_up_due_at = models.DateTimeField(_("follow-up call due"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    follow_up_note = models.CharField(_("follow-up call result"), max_length=500, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    opened_at = models.DateTimeField(_("opened at"), default=clock.now, db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-opened_at", "-id"]
        permissions = [("view_staff_complaint", "Can see complaints against a named staff member")]

    def __str__(self) -> str:
        return f"TS{self.pk:06d}" if self.pk else "TS(new)"
