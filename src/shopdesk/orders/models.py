"""Orders (订单, product.md §2.3): one pool across shops and platforms.

An order comes from a platform export, the API or a person; it is unique per (shop, platform order number), so an
import run twice creates nothing new. Its lines are mapped to our SKUs through the shop's listings; a paid order
reserves stock per line (inventory.engine). The state machine is in `services.py` (one function per step, each with
its allowed previous states); `flows.py` names the states and which changes each stage allows.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock

MONEY = {"max_digits": 12, "decimal_places": 2}


class Status(models.TextChoices):
    UNPAID = "unpaid", _("Unpaid")
    PAID = "paid", _("Paid")
    VERIFIED = "verified", _("Verified")
    PRINTED = "printed", _("Printed")
    PICKED = "picked", _("Picked")
    PACKED = "packed", _("Packed")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    AFTER_SALES = "after_sales", _("In after-sales")


class Source(models.TextChoices):
    IMPORT = "import", _("File import")
    API = "api", _("API")
    MANUAL = "manual", _("Entered by hand")
    SPLIT = "split", _("Split")
    MERGE = "merge", _("Merge")
    RESHIP = "reship", _("Reship")


class Order(models.Model):
    # No index of its own: the (shop, order number) constraint and the (shop, status, time) index start with it.
    shop = models.ForeignKey("channels.Shop", verbose_name=_("shop"), on_delete=models.PROTECT, related_name="orders",
                             db_index=False)
    platform_order_no = models.CharField(_("order number"), max_length=64)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.UNPAID)
    platform_status = models.CharField(_("platform status"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)

    # Buyer (personal data: masked for roles without "unmask personal data").
    buyer_platform_id = models.CharField(_("buyer account"), max_length=80, blank=True, db_index=True)
    buyer_name = models.CharField(_("receiver"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True, db_index=True)
    landline = models.CharField(_("landline"), max_length=30, blank=True)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address_detail = models.CharField(_("address"), max_length=200, blank=True, db_index=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)

    goods_amount = models.DecimalField(_("goods amount"), default=Decimal("0"), **MONEY)
    shipping_fee = models.DecimalField(_("shipping fee"), default=Decimal("0"), **MONEY)
    discount = models.DecimalField(_("discount"), default=Decimal("0"), **MONEY)
    paid_amount = models.DecimalField(_("paid"), default=Decimal("0"), **MONEY)

    ordered_at = models.DateTimeField(_("ordered at"), default=clock.now)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    buyer_message = models.CharField(_("buyer message"), max_length=500, blank=True)
    seller_remark = models.CharField(_("seller remark"), max_length=500, blank=True)
    invoice_title = models.CharField(_("invoice title"), max_length=100, blank=True)
    greeting_card = models.CharField(_("greeting card"), max_length=200, blank=True)
    delivery_wish = models.CharField(_("delivery time wish"), max_length=100, blank=True)
    chosen_carrier = models.CharField(_("buyer's carrier"), max_length=40, blank=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    tracking_no = models.CharField(_("tracking number"), max_length=40, blank=True)
    is_cod = models.BooleanField(_("cash on delivery"), default=False)

    # Exceptions (异常) and review: kept as columns so the queues filter and count on indexes.
    out_of_stock = models.BooleanField(_("out of stock"), default=False)
    has_unmapped = models.BooleanField(_("unmapped items"), default=False)
    address_incomplete = models.BooleanField(_("address incomplete"), default=False)
    unreachable = models.BooleanField(_("carrier cannot reach"), default=False)
    risk_flagged = models.BooleanField(_("risk flag"), default=False)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    review_reasons = models.JSONField(_("waiting for review because"), default=list, blank=True)
    on_hold = models.BooleanField(_("on hold"), default=False,
                                  help_text=_("A change waits for approval or the warehouse must recall it."))

    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("verified by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+", db_index=False)
    printed_batch = models.CharField(_("print batch"), max_length=40, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=200, blank=True)
    reminder_count = models.PositiveIntegerField(_("payment reminders"), default=0)
    reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    # Empty on nearly every order: partial indexes (Meta) instead of full ones, so imports do not pay for them.
    merged_into = models.ForeignKey("self", verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_from", db_index=False)
    split_from = models.ForeignKey("self", verbose_name=_("split from"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="split_parts", db_index=False)
    reship_of = models.ForeignKey("self", verbose_name=_("reship of"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="reships", db_index=False)
    ship_today = models.BooleanField(_("ship today"), default=False,
                                     help_text=_("Must leave today (当天补发): first in the print queue."))
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "platform_order_no"], name="unique_order_no_per_shop"),
        ]
        indexes = [
            models.Index(fields=["status", "-ordered_at"], name="order_status_time"),
            models.Index(fields=["shop", "status", "-ordered_at"], name="order_shop_status_time"),
            models.Index(fields=["-ordered_at", "-id"], name="order_time"),
            models.Index(fields=["merged_into"], name="order_merged_into", condition=Q(merged_into__isnull=False)),
            models.Index(fields=["split_from"], name="order_split_from", condition=Q(split_from__isnull=False)),
            models.Index(fields=["reship_of"], name="order_reship_of", condition=Q(reship_of__isnull=False)),
        ]
        permissions = [
            ("verify_order", "Can verify orders"),
            ("cancel_order", "Can cancel orders"),
            ("merge_order", "Can merge and split orders"),
            ("import_order", "Can import orders"),
            ("fulfil_order", "Can move orders through printing, picking, packing and shipping"),
        ]

    def __str__(self) -> str:
        return self.platform_order_no

    @property
    def phones(self) -> list[str]:
        return [p for p in (self.mobile, self.landline) if p]

    @property
    def full_address(self) -> str:
        return " ".join(p for p in (self.province, self.city, self.district, self.address_detail) if p)

    @property
    def has_exception(self) -> bool:
        return any((self.out_of_stock, self.has_unmapped, self.address_incomplete, self.unreachable,
                    self.risk_flagged))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), null=True, blank=True, on_delete=models.PROTECT,
                            related_name="order_lines")
    channel_sku_code = models.CharField(_("channel SKU code"), max_length=80, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    properties = models.CharField(_("properties"), max_length=200, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), default=Decimal("0"), **MONEY)
    reservation = models.OneToOneField("inventory.Reservation", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="order_line")

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "id"]

    def __str__(self) -> str:
        return f"{self.channel_sku_code or self.title} x{self.quantity}"

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


class OrderNote(models.Model):
    """A note on the order: flagged notes (红旗备注) in the standard form of 003:554, or plain remarks."""

    class Kind(models.TextChoices):
        FLAGGED = "flagged", _("Flagged note")
        REMARK = "remark", _("Remark")
        SYSTEM = "system", _("System")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FLAGGED)
    text = models.CharField(_("note"), max_length=500)
    masked_text = models.CharField(max_length=500, blank=True,
                                   help_text="The note with the buyer's personal data masked, when it has any.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    created_at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        verbose_name = _("order note")
        verbose_name_plural = _("order notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class OrderTask(models.Model):
    """Work an order change leaves for another post: the warehouse recalls paperwork or a parcel, after-sales
    refunds the buyer."""

    class Kind(models.TextChoices):
        RECALL_PAPERWORK = "recall_paperwork", _("Recall the dispatch note and waybill")
        RECALL_PARCEL = "recall_parcel", _("Recall the parcel and re-print")
        REFUND = "refund", _("Refund the buyer")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("task"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.OPEN, db_index=True)
    role = models.CharField(_("for"), max_length=40, help_text=_("The role whose queue holds the task."))
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order task")
        verbose_name_plural = _("order tasks")
        ordering = ["state", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.get_kind_display()}"


class ChangeRequest(models.Model):
    """A discount or shipping-fee change beyond the requester's authority, waiting for the manager (004:60)."""

    class Kind(models.TextChoices):
        DISCOUNT = "discount", _("Discount")
        SHIPPING_FEE = "shipping_fee", _("Shipping fee")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("change"), max_length=15, choices=Kind.choices)
    old_value = models.DecimalField(_("before"), **MONEY)
    new_value = models.DecimalField(_("after"), **MONEY)
    reason = models.CharField(_("reason"), max_length=300)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=clock.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("order change request")
        verbose_name_plural = _("order change requests")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"{self.order} {self.get_kind_display()} {self.old_value}→{self.new_value}"


class ShopOrderRules(models.Model):
    """Per-shop order rules: auto review, the day shift's end and the risk thresholds (刷单 detection, §4)."""

    shop = models.OneToOneField("channels.Shop", on_delete=models.CASCADE, related_name="order_rules")
    review_amount_above = models.DecimalField(
        _("a person reviews orders paid above"), null=True, blank=True, **MONEY,
        help_text=_("Empty: no amount limit on automatic review."))
    review_cod = models.BooleanField(_("a person reviews cash-on-delivery orders"), default=True)
    default_carrier = models.CharField(_("default carrier"), max_length=40, default="中通快递")
    day_shift_ends = models.TimeField(_("day shift ends"), default=time(17, 30))
    risk_window_hours = models.PositiveIntegerField(_("risk window (hours)"), default=72)
    risk_accounts_per_contact = models.PositiveIntegerField(
        _("accounts per phone or address"), default=3, validators=[MinValueValidator(2)],
        help_text=_("Flag when this many different buyer accounts use one phone or address within the window."))
    risk_tiny_amount = models.DecimalField(_("tiny order amount"), default=Decimal("1.00"), **MONEY)
    risk_tiny_repeat = models.PositiveIntegerField(
        _("tiny orders per buyer"), default=3, validators=[MinValueValidator(2)],
        help_text=_("Flag when a buyer places this many orders at or below the tiny amount within the window."))
    risk_instant_seconds = models.PositiveIntegerField(
        _("paid within (seconds)"), default=10,
        help_text=_("Flag orders paid this soon after they were placed."))

    class Meta:
        verbose_name = _("shop order rules")
        verbose_name_plural = _("shop order rules")

    def __str__(self) -> str:
        return str(self.shop)


class UnreachableArea(models.Model):
    """Where a carrier does not deliver (不到达区域). Until the fulfilment module's coverage maps exist, a carrier
    reaches every district not listed here; an empty city or district means the whole province or city."""

    carrier = models.CharField(_("carrier"), max_length=40, db_index=True)
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("unreachable area")
        verbose_name_plural = _("unreachable areas")
        ordering = ["carrier", "province", "city", "district"]
        constraints = [models.UniqueConstraint(fields=["carrier", "province", "city", "district"],
                                               name="unique_unreachable_area")]

    def __str__(self) -> str:
        return f"{self.carrier}: {self.province}{self.city}{self.district}"


class ImportRun(models.Model):
    """One order file import: its progress (for the progress bar) and its summary."""

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")

    shop = models.ForeignKey("channels.Shop", verbose_name=_("shop"), on_delete=models.PROTECT, related_name="+")
    format = models.CharField(_("format"), max_length=10)
    file_name = models.CharField(_("file"), max_length=200)
    items_file_name = models.CharField(_("items file"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    total = models.PositiveIntegerField(_("orders in file"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected = models.JSONField(_("rejected rows"), default=list, blank=True)
    rejected_count = models.PositiveIntegerField(_("rejected rows in all"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def percent(self) -> int:
        if self.state != self.State.RUNNING:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0
