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
    from_warehouse = models.ForeignKey(Warehouse, verbose_name=_("from"), on_delete=models.PROTECT,
                                       related_name="transfers_out")
    to_warehouse = models.ForeignKey(Warehouse, verbose_name=_("to"), on_delete=models.PROTECT,
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
