"""Inventory (库存/仓库): warehouses, zones, locations, stock, lots, reservations and the movement ledger.

Two levels of figures, both kept by the services in `engine.py` only:
- `WarehouseStock` (sku, warehouse): on_hand and reserved. Reservations are made here with one conditional UPDATE
  (`reserved = reserved + q WHERE on_hand - reserved >= q`), so no concurrency can oversell.
- `LocationStock` (sku, location): on_hand per location, made of `Lot`s with their receipt date (FIFO, 000:489).
Every change of on_hand is a `Movement` row; `engine.verify_ledger()` proves the three agree (账实相符, 000:505).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock


class Warehouse(models.Model):
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    shops = models.ManyToManyField("channels.Shop", verbose_name=_("shops served"), blank=True,
                                   related_name="warehouses")
    priority = models.PositiveIntegerField(_("priority"), default=100,
                                           help_text=_("Lower first when an order may ship from several warehouses."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """分区: a part of a warehouse (pick zones, returns, receiving)."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="zones")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["warehouse_id", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="unique_zone_code")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}/{self.code}"


class Location(models.Model):
    """库位: a shelf position, e.g. A-01-03."""

    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="locations")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="locations")
    code = models.CharField(_("code"), max_length=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["warehouse_id", "code"]
        constraints = [models.UniqueConstraint(fields=["warehouse", "code"], name="unique_location_code")]

    def __str__(self) -> str:
        return f"{self.warehouse.code}:{self.code}"


class WarehouseStock(models.Model):
    """On hand and reserved of one SKU in one warehouse. available = on_hand - reserved, never negative."""

    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="warehouse_stock")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="stock")
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)

    class Meta:
        verbose_name = _("warehouse stock")
        verbose_name_plural = _("warehouse stock")
        constraints = [
            models.UniqueConstraint(fields=["sku", "warehouse"], name="unique_stock_per_warehouse"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="reserved_not_negative"),
            models.CheckConstraint(condition=Q(on_hand__gte=F("reserved")), name="reserved_within_on_hand"),
        ]

    def __str__(self) -> str:
        return f"sku#{self.sku_id}@wh#{self.warehouse_id}: {self.on_hand} on hand, {self.reserved} reserved"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class LocationStock(models.Model):
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="location_stock")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stock")
    on_hand = models.IntegerField(_("on hand"), default=0)

    class Meta:
        verbose_name = _("location stock")
        verbose_name_plural = _("location stock")
        constraints = [
            models.UniqueConstraint(fields=["sku", "location"], name="unique_stock_per_location"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="location_on_hand_not_negative"),
        ]

    def __str__(self) -> str:
        return f"sku#{self.sku_id}@loc#{self.location_id}: {self.on_hand}"


class Lot(models.Model):
    """批次: units received together on one date; dispatch takes the oldest first (先进先出, 000:489)."""

    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="lots")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="lots")
    received_on = models.DateField(_("received on"))
    quantity = models.IntegerField(_("remaining"))
    reference = models.CharField(_("document"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["received_on", "id"]
        indexes = [models.Index(fields=["sku", "location", "received_on"])]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=0), name="lot_not_negative")]

    def __str__(self) -> str:
        return f"lot {self.received_on} sku#{self.sku_id}@loc#{self.location_id} x{self.quantity}"


class Movement(models.Model):
    """One change of on_hand at one location, with its document (凭单下账). Never updated or deleted."""

    class Type(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        SHIPMENT = "shipment", _("shipment")
        TRANSFER_OUT = "transfer_out", _("transfer out")
        TRANSFER_IN = "transfer_in", _("transfer in")
        MOVE = "move", _("put-away / move")
        RETURN_RESTOCK = "return_restock", _("return restock")
        ADJUSTMENT = "adjustment", _("stocktake adjustment")
        DAMAGE = "damage", _("damage / loss")

    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField(_("quantity"))  # signed: + in, - out
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, db_index=True)
    reference = models.CharField(_("document"), max_length=80, db_index=True)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="movements")
    posted_on = models.DateField(_("posting date"), db_index=True)
    occurred_at = models.DateTimeField(_("time"), default=clock.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["sku", "-occurred_at"]), models.Index(fields=["type", "posted_on"])]

    def __str__(self) -> str:
        return f"{self.type} {self.quantity:+d} sku#{self.sku_id}@loc#{self.location_id} {self.reference}"


class Reservation(models.Model):
    """Units locked for a document (a paid order line); released on cancel, consumed on shipment."""

    class State(models.TextChoices):
        ACTIVE = "active", _("active")
        RELEASED = "released", _("released")
        CONSUMED = "consumed", _("consumed")

    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="reservations")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField(_("quantity"))
    reference = models.CharField(_("document"), max_length=80, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} sku#{self.sku_id}@wh#{self.warehouse_id} x{self.quantity} ({self.state})"


class ClosedPeriod(models.Model):
    """A closed month (月结): no stock posting may be dated in it (不跨月记账, 000:505)."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(_("closed at"), default=clock.now)

    class Meta:
        verbose_name = _("closed period")
        verbose_name_plural = _("closed periods")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Transfer(models.Model):
    """调拨: stock leaves one warehouse (in transit) and arrives at another."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_TRANSIT = "in_transit", _("in transit")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    from_warehouse = models.ForeignKey(Warehouse, verbose_name=_("from warehouse"), on_delete=models.PROTECT,
                                       related_name="transfers_out")
    to_warehouse = models.ForeignKey(Warehouse, verbose_name=_("to warehouse"), on_delete=models.PROTECT,
                                     related_name="transfers_in")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    # The receipt dates of the units taken at dispatch, so FIFO order survives the trip: [["2026-10-01", 3], ...]
    lot_dates = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")

    def __str__(self) -> str:
        return f"sku#{self.sku_id} x{self.quantity}"


# --- documents of the warehouse: purchase orders and receipts (入库), stocktakes (盘点), thresholds ----------------


class PurchaseOrder(models.Model):
    """采购订单: what the supplier is to deliver. Receipts are checked against it (000:489 核实数量...与货单一致)."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        PARTIALLY_RECEIVED = "partially_received", _("partially received")
        RECEIVED = "received", _("received")
        CLOSED = "closed", _("closed (order)")

    number = models.CharField(_("number"), max_length=30, unique=True)
    supplier = models.CharField(_("supplier"), max_length=100)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="purchase_orders")
    expected_on = models.DateField(_("expected delivery"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("purchase order")
        verbose_name_plural = _("purchase orders")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    ordered = models.PositiveIntegerField(_("ordered"))
    received = models.PositiveIntegerField(_("received"), default=0)

    class Meta:
        verbose_name = _("purchase order line")
        verbose_name_plural = _("purchase order lines")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["purchase_order", "sku"], name="unique_sku_per_po")]

    def __str__(self) -> str:
        return f"{self.purchase_order.number} sku#{self.sku_id} x{self.ordered}"

    @property
    def outstanding(self) -> int:
        return max(self.ordered - self.received, 0)

    @property
    def difference(self) -> int:
        """Received minus ordered: negative = still short, positive = over-delivered."""
        return self.received - self.ordered


class Receipt(models.Model):
    """入库单: the goods of one delivery note checked in against a purchase order; posting puts them in stock."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        POSTED = "posted", _("posted")

    number = models.CharField(_("number"), max_length=30, unique=True)
    purchase_order = models.ForeignKey(PurchaseOrder, verbose_name=_("purchase order"), on_delete=models.PROTECT,
                                       related_name="receipts")
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="receipts")
    delivery_note_number = models.CharField(_("delivery note"), max_length=60)
    received_on = models.DateField(_("received on"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    posted_at = models.DateTimeField(_("posted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["-created_at", "-id"]
        permissions = [("move_stock", _("Put away and move stock between locations"))]

    def __str__(self) -> str:
        return self.number


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.PROTECT, related_name="receipt_lines")
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    expected = models.PositiveIntegerField(_("expected"))
    received = models.PositiveIntegerField(_("received"))
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+")
    put_away = models.PositiveIntegerField(_("put away"), default=0)

    class Meta:
        verbose_name = _("receipt line")
        verbose_name_plural = _("receipt lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.receipt.number} sku#{self.sku_id} {self.received}/{self.expected}"

    @property
    def difference(self) -> int:
        """Received minus expected: negative = short delivery, positive = over delivery."""
        return self.received - self.expected

    @property
    def short_by(self) -> int:
        return max(self.expected - self.received, 0)

    @property
    def to_put_away(self) -> int:
        return max(self.received - self.put_away, 0)


class Stocktake(models.Model):
    """盘点: a count of one warehouse or one zone (000:475,491). The session and its lines are kept as the report."""

    class State(models.TextChoices):
        COUNTING = "counting", _("counting")
        SUBMITTED = "submitted", _("awaiting approval")
        APPROVED = "approved", _("approved")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("number"), max_length=30, unique=True)
    warehouse = models.ForeignKey(Warehouse, verbose_name=_("warehouse"), on_delete=models.PROTECT,
                                  related_name="stocktakes")
    zone = models.ForeignKey(Zone, verbose_name=_("zone"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="stocktakes", help_text=_("Empty: the whole warehouse."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.COUNTING,
                             db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    started_at = models.DateTimeField(_("started at"), default=clock.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    posted_on = models.DateField(_("posting date"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-started_at", "-id"]
        permissions = [
            ("count_stocktake", _("Start, count and submit stocktakes")),
            ("approve_stocktake", _("Approve stocktake adjustments")),
            ("view_stock_report", _("See warehouse reports")),
        ]

    def __str__(self) -> str:
        return self.number


class StocktakeLine(models.Model):
    """One SKU at one location: `expected` is the snapshot when the count started; `book` is the on hand when it was
    counted (so postings during the count do not distort the variance); the variance is counted - book."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.PROTECT, related_name="lines")
    sku = models.ForeignKey("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+")
    expected = models.IntegerField(_("expected"))
    book = models.IntegerField(_("book quantity at count"), null=True, blank=True)
    counted = models.IntegerField(_("counted"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["location__code", "sku__code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "sku", "location"], name="unique_stocktake_line"),
            models.CheckConstraint(condition=Q(counted__gte=0) | Q(counted__isnull=True),
                                   name="counted_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.stocktake.number} sku#{self.sku_id}@loc#{self.location_id}"

    @property
    def variance(self) -> int | None:
        if self.counted is None:
            return None
        return self.counted - (self.book if self.book is not None else self.expected)


class StockThreshold(models.Model):
    """Per-SKU stock health settings (000:493): reorder point (不足), maximum (超存积压), days without a sale before
    the SKU counts as slow-moving (呆滞), and how many days of sales a replenishment should cover."""

    sku = models.OneToOneField("catalog.SKU", verbose_name=_("SKU"), on_delete=models.PROTECT,
                               related_name="stock_threshold")
    reorder_point = models.PositiveIntegerField(_("reorder point"), default=0,
                                                help_text=_("Low when available stock is at or below this."))
    max_stock = models.PositiveIntegerField(_("maximum stock"), default=0,
                                            help_text=_("Overstocked above this; 0 = no maximum."))
    slow_days = models.PositiveIntegerField(_("slow-moving after (days)"), default=90)
    cover_days = models.PositiveIntegerField(_("days of sales to cover"), default=30)
    updated_at = models.DateTimeField(_("updated at"), default=clock.now)

    class Meta:
        verbose_name = _("stock threshold")
        verbose_name_plural = _("stock thresholds")

    def __str__(self) -> str:
        return f"sku#{self.sku_id}: reorder {self.reorder_point}, max {self.max_stock}"
