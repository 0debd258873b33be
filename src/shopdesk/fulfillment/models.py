"""Fulfilment and logistics (发货/物流, product.md §2.4): carriers and their prices, waybill-number pools, print
batches, the per-order pick/check/pack record, parcels (shipments) with their tracking events and exceptions,
hand-over lists, missing-item claims and the monthly courier bill.

Where a carrier does not deliver is kept as `orders.UnreachableArea` (the verification rules read it); the carrier
settings pages edit it and import it from xlsx. Orders keep their carrier and tracking number by name, as the
platform exports them; a `Shipment` is our own parcel, created when its waybill number is assigned (printing) or
when it ships with a number entered by hand.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock

MONEY = {"max_digits": 12, "decimal_places": 2}
WEIGHT = {"max_digits": 8, "decimal_places": 3}
DEFAULT_NOTICE = "您的宝贝已发出，{快递公司} {运单号}，请注意查收。"


class Carrier(models.Model):
    """快递公司. The name is the one orders carry ("中通快递"); the universal carrier reaches everywhere
    (E邮宝, 003)."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    services = models.JSONField(_("services"), default=list, blank=True,
                                help_text=_("Service names, e.g. 标准快递, 次日达."))
    is_universal = models.BooleanField(_("reaches everywhere"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class PriceRule(models.Model):
    """首重 + 续重 for one destination province ("" = every other province): the cost estimate and the bill check."""

    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="price_rules")
    province = models.CharField(_("province"), max_length=30, blank=True, help_text=_("Empty: every other province."))
    first_weight_kg = models.DecimalField(_("first weight (kg)"), default=Decimal("1"), **WEIGHT)
    first_fee = models.DecimalField(_("first weight fee"), **MONEY)
    extra_unit_kg = models.DecimalField(_("extra weight step (kg)"), default=Decimal("1"), **WEIGHT)
    extra_fee = models.DecimalField(_("fee per extra step"), **MONEY)

    class Meta:
        verbose_name = _("price rule")
        verbose_name_plural = _("price rules")
        ordering = ["carrier", "province"]
        constraints = [models.UniqueConstraint(fields=["carrier", "province"], name="unique_price_rule")]

    def __str__(self) -> str:
        return f"{self.carrier}: {self.province or '*'}"


class WaybillPool(models.Model):
    """A supply of waybill numbers for one carrier: a numeric range or an imported list (单号池)."""

    class Kind(models.TextChoices):
        RANGE = "range", _("Number range")
        LIST = "list", _("Imported list")

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="pools")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.RANGE)
    prefix = models.CharField(_("prefix"), max_length=10, blank=True)
    next_number = models.BigIntegerField(_("next number"), default=0)
    last_number = models.BigIntegerField(_("last number"), default=0)
    digits = models.PositiveSmallIntegerField(_("digits"), default=12,
                                              help_text=_("Numbers are zero-padded to this many digits."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("waybill pool")
        verbose_name_plural = _("waybill pools")
        ordering = ["carrier", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(next_number__lte=models.F("last_number") + 1), name="pool_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.name}"

    def format(self, number: int) -> str:
        return f"{self.prefix}{number:0{self.digits}d}"


class WaybillNumber(models.Model):
    """One number of an imported list; taken by one order, never twice."""

    pool = models.ForeignKey(WaybillPool, on_delete=models.CASCADE, related_name="numbers")
    number = models.CharField(_("waybill number"), max_length=40)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waybill number")
        verbose_name_plural = _("waybill numbers")
        constraints = [models.UniqueConstraint(fields=["pool", "number"], name="unique_pool_number")]
        indexes = [models.Index(fields=["pool", "id"], name="waybill_free", condition=Q(taken_at__isnull=True))]

    def __str__(self) -> str:
        return self.number


class ShopShipping(models.Model):
    """Per-shop shipping settings: the sender printed on labels, the buyer notice, the stall threshold."""

    shop = models.OneToOneField("channels.Shop", on_delete=models.CASCADE, related_name="shipping")
    sender_name = models.CharField(_("sender"), max_length=60, blank=True)
    sender_phone = models.CharField(_("sender phone"), max_length=30, blank=True)
    sender_address = models.CharField(_("sender address"), max_length=200, blank=True)
    notice_template = models.CharField(
        _("shipping notice"), max_length=300, default=DEFAULT_NOTICE,
        help_text=_("Sent to the buyer when the parcel leaves. Variables: {店铺} {买家} {订单号} {快递公司} {运单号}."))
    stall_hours = models.PositiveIntegerField(_("no movement alert after (hours)"), default=48)

    class Meta:
        verbose_name = _("shop shipping settings")
        verbose_name_plural = _("shop shipping settings")

    def __str__(self) -> str:
        return str(self.shop)


class PrintBatch(models.Model):
    """A wave (波次): verified orders printed together (pick list, dispatch notes, labels) and picked together."""

    number = models.CharField(_("batch"), max_length=40, unique=True)
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now, db_index=True)

    class Meta:
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PrintLog(models.Model):
    """Each time a document of a batch was printed; the second and later prints are reprints."""

    class Document(models.TextChoices):
        PICK_LIST = "pick_list", _("Pick list")
        DISPATCH_NOTES = "dispatch_notes", _("Dispatch notes")
        LABELS = "labels", _("Waybill labels")

    batch = models.ForeignKey(PrintBatch, on_delete=models.CASCADE, related_name="prints")
    document = models.CharField(_("document"), max_length=16, choices=Document.choices)
    reprint = models.BooleanField(_("reprint"), default=False)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    printed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    printed_at = models.DateTimeField(_("printed at"), default=clock.now)

    class Meta:
        verbose_name = _("print")
        verbose_name_plural = _("prints")
        ordering = ["-printed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.batch} {self.document}"


class OrderWork(models.Model):
    """The warehouse's record of one order: its batch, who picked it, who checked it (a different person, 000:243),
    the quality tick (003), and the packing."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="work", primary_key=True)
    batch = models.ForeignKey(PrintBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="work")
    picked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    picked_at = models.DateTimeField(_("picked at"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    quality_ok = models.BooleanField(_("quality checked"), default=False)
    packed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    packed_at = models.DateTimeField(_("packed at"), null=True, blank=True)
    weight_kg = models.DecimalField(_("parcel weight (kg)"), null=True, blank=True, **WEIGHT)
    packing_material = models.CharField(_("packing material"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("order work")
        verbose_name_plural = _("order work")

    def __str__(self) -> str:
        return f"work of order #{self.pk}"


class LineWork(models.Model):
    """Picked and checked quantities of one order line."""

    line = models.OneToOneField("orders.OrderLine", on_delete=models.CASCADE, related_name="work", primary_key=True)
    picked = models.PositiveIntegerField(_("picked"), default=0)
    checked = models.PositiveIntegerField(_("checked"), default=0)

    class Meta:
        verbose_name = _("line work")
        verbose_name_plural = _("line work")

    def __str__(self) -> str:
        return f"line #{self.pk}: picked {self.picked}, checked {self.checked}"


class Handover(models.Model):
    """交接单: the parcels handed to one carrier's pickup, signed by the courier."""

    number = models.CharField(_("hand-over list"), max_length=40, unique=True)
    carrier = models.CharField(_("carrier"), max_length=40)
    parcel_count = models.PositiveIntegerField(_("parcels"), default=0)
    courier_name = models.CharField(_("courier"), max_length=60, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("hand-over list")
        verbose_name_plural = _("hand-over lists")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class Shipment(models.Model):
    """A parcel of ours: one order's carrier and waybill number, from label to delivery."""

    class State(models.TextChoices):
        LABELLED = "labelled", _("Label printed")
        SHIPPED = "shipped", _("Shipped")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERING = "delivering", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        RETURNED = "returned", _("Returned to sender")
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        EXCEPTION = "exception", _("Exception")
        VOID = "void", _("Voided")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_no = models.CharField(_("tracking number"), max_length=40)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.LABELLED)
    pool = models.ForeignKey(WaybillPool, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    weight_kg = models.DecimalField(_("weight (kg)"), null=True, blank=True, **WEIGHT)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True, db_index=True)
    shipped_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    handover = models.ForeignKey(Handover, null=True, blank=True, on_delete=models.SET_NULL, related_name="shipments")
    last_event_at = models.DateTimeField(_("last movement"), null=True, blank=True)
    last_event = models.CharField(_("last event"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["carrier", "tracking_no"], name="unique_tracking_no")]
        indexes = [models.Index(fields=["tracking_no"], name="shipment_tracking_no"),
                   models.Index(fields=["state", "last_event_at"], name="shipment_state_moved")]
        permissions = [("view_dispatch_plan", "Can see the dispatch plan")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_no}"


class BuyerNotice(models.Model):
    """A message to the buyer (shipping notice): recorded as due until a conversation channel sends it."""

    class State(models.TextChoices):
        DUE = "due", _("To send")
        SENT = "sent", _("Sent")

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="notices")
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(_("text"), max_length=500)
    state = models.CharField(_("state"), max_length=4, choices=State.choices, default=State.DUE, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer notice")
        verbose_name_plural = _("buyer notices")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text


class TrackingEvent(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(_("time"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Shipment.State.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    key = models.CharField(max_length=64, help_text="sha256 of the event's identity, for de-duplication")
    received_at = models.DateTimeField(_("received at"), default=clock.now)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["shipment", "time", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "key"], name="unique_tracking_event")]

    def __str__(self) -> str:
        return f"{self.time:%Y-%m-%d %H:%M} {self.description or self.status}"


class LogisticsException(models.Model):
    """A parcel that needs customer service: stalled, returned, lost, damaged, or delivered but disputed."""

    class Kind(models.TextChoices):
        STALLED = "stalled", _("No movement")
        RETURNED = "returned", _("Returned to sender")
        LOST = "lost", _("Lost")
        DAMAGED = "damaged", _("Damaged")
        DISPUTED = "disputed", _("Delivered but disputed")
        EXCEPTION = "exception", _("Carrier exception")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=6, choices=State.choices, default=State.OPEN, db_index=True)
    last_event = models.CharField(_("last event"), max_length=300, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=clock.now)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("logistics exception")
        verbose_name_plural = _("logistics exceptions")
        ordering = ["state", "opened_at", "id"]
        constraints = [models.UniqueConstraint(fields=["shipment", "kind"], condition=Q(state="open"),
                                               name="one_open_exception_per_kind")]

    def __str__(self) -> str:
        return f"{self.shipment} {self.kind}"


class MissingItemClaim(models.Model):
    """少货: the buyer says a line is missing and sends a photo of the dispatch note; confirmed → same-day reship."""

    class State(models.TextChoices):
        REPORTED = "reported", _("Reported")
        CONFIRMED = "confirmed", _("Confirmed, reshipped")
        REJECTED = "rejected", _("Rejected")

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="missing_claims")
    lines = models.JSONField(_("missing lines"), default=dict, help_text="{order line id: quantity}")
    photo = models.ImageField(_("photo of the dispatch note"), upload_to="missing/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.REPORTED,
                             db_index=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reported_at = models.DateTimeField(_("reported at"), default=clock.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reship_order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="reship_claim")

    class Meta:
        verbose_name = _("missing-item claim")
        verbose_name_plural = _("missing-item claims")
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"missing items of order #{self.order_id}"


class CourierBill(models.Model):
    """One carrier's monthly bill (每月快递费用对账结算, 004:14) and the result of checking it."""

    class State(models.TextChoices):
        CHECKED = "checked", _("Checked")
        RECONCILED = "reconciled", _("Reconciled")

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="bills")
    month = models.CharField(_("month"), max_length=7, help_text="YYYY-MM")
    file_name = models.CharField(_("file"), max_length=200)
    tolerance = models.DecimalField(_("tolerance"), default=Decimal("0.50"), **MONEY)
    counts = models.JSONField(_("counts"), default=dict)
    billed_total = models.DecimalField(_("billed"), default=Decimal("0"), **MONEY)
    expected_total = models.DecimalField(_("expected"), default=Decimal("0"), **MONEY)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.CHECKED)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    imported_at = models.DateTimeField(_("imported at"), default=clock.now)
    reconciled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("courier bill")
        verbose_name_plural = _("courier bills")
        ordering = ["-month", "carrier"]
        constraints = [models.UniqueConstraint(fields=["carrier", "month"], name="one_bill_per_carrier_month")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.month}"


class BillFinding(models.Model):
    """A bill line or a shipment that does not simply match: what finance settles or disputes."""

    bill = models.ForeignKey(CourierBill, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(_("kind"), max_length=20)
    tracking_no = models.CharField(_("tracking number"), max_length=40)
    bill_line = models.PositiveIntegerField(_("bill line"), null=True, blank=True)
    order_no = models.CharField(_("order number"), max_length=64, blank=True)
    billed_fee = models.DecimalField(_("billed"), null=True, blank=True, **MONEY)
    expected_fee = models.DecimalField(_("expected"), null=True, blank=True, **MONEY)
    difference = models.DecimalField(_("difference"), null=True, blank=True, **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("bill finding")
        verbose_name_plural = _("bill findings")
        ordering = ["bill", "kind", "bill_line", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.tracking_no}"
