"""Reads of stock: availability per shop, stock lists, movement history, documents, stock health and reports.

Every list is one queryset with its related rows joined or prefetched and its figures computed in SQL (subqueries
per SKU, never a query per row), so a page costs the same number of queries for 3 or 3,000 rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from shopdesk.catalog.models import SKU
from shopdesk.core import clock
from shopdesk.inventory.models import (
    ClosedPeriod,
    Location,
    LocationStock,
    Lot,
    Movement,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReceiptLine,
    Stocktake,
    StocktakeLine,
    StockThreshold,
    Transfer,
    TransferLine,
    Warehouse,
    WarehouseStock,
    Zone,
)

VELOCITY_DAYS = 30  # sales velocity = units shipped over the last 30 days / 30
DEFAULT_SLOW_DAYS = 90
DEFAULT_COVER_DAYS = 30


def available_by_shop(sku_ids) -> dict[tuple[int, int], int]:
    """{(sku_id, shop_id): available} summed over the active warehouses that serve each shop."""
    rows = (WarehouseStock.objects.filter(sku_id__in=list(sku_ids), warehouse__is_active=True,
                                          warehouse__shops__isnull=False)
            .values("sku_id", "warehouse__shops").annotate(available=Sum(F("on_hand") - F("reserved"))).order_by())
    result: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        result[(row["sku_id"], row["warehouse__shops"])] += row["available"]
    return dict(result)


def available(sku, warehouse=None) -> int:
    qs = WarehouseStock.objects.filter(sku=sku)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs.aggregate(total=Sum(F("on_hand") - F("reserved")))["total"] or 0


def _sum(qs, expression, by: str = "sku"):
    """A correlated SUM subquery, 0 when there is no row: `qs` is already filtered on OuterRef(...) by `by`."""
    return Coalesce(Subquery(qs.order_by().values(by).annotate(total=Sum(expression)).values("total")[:1],
                             output_field=IntegerField()), Value(0))


# --- warehouses, zones, locations ----------------------------------------------------------------------------------


def warehouses():
    """Warehouses with the shops they serve and how many zones and locations they have."""
    return Warehouse.objects.prefetch_related("shops").annotate(
        zone_count=Coalesce(Subquery(Zone.objects.filter(warehouse=OuterRef("pk")).order_by()
                                     .values("warehouse").annotate(n=Count("pk")).values("n")[:1]), Value(0)),
        location_count=Coalesce(Subquery(Location.objects.filter(warehouse=OuterRef("pk")).order_by()
                                         .values("warehouse").annotate(n=Count("pk")).values("n")[:1]), Value(0)),
    )


def zones(warehouse):
    return Zone.objects.filter(warehouse=warehouse).select_related("warehouse").annotate(
        location_count=Coalesce(Subquery(Location.objects.filter(zone=OuterRef("pk")).order_by()
                                         .values("zone").annotate(n=Count("pk")).values("n")[:1]), Value(0)))


def locations(warehouse=None):
    """Locations with their zone and the units they hold."""
    qs = Location.objects.select_related("warehouse", "zone").annotate(
        units=Coalesce(Subquery(LocationStock.objects.filter(location=OuterRef("pk")).order_by()
                                .values("location").annotate(t=Sum("on_hand")).values("t")[:1]), Value(0)))
    return qs.filter(warehouse=warehouse) if warehouse is not None else qs


def active_locations(warehouse):
    return Location.objects.filter(warehouse=warehouse, is_active=True).select_related("zone", "warehouse") \
        .order_by("zone__code", "code")


def find_location(warehouse, code: str) -> Location | None:
    return Location.objects.filter(warehouse=warehouse, code__iexact=(code or "").strip()).select_related(
        "zone", "warehouse").first()


def default_receiving_location(warehouse) -> Location | None:
    """Where goods of a new receipt land: the location the last receipt of this warehouse used, else the first
    location of a receiving zone (code RCV* or a name with 收货), else the first location."""
    last = ReceiptLine.objects.filter(receipt__warehouse=warehouse, location__is_active=True).order_by("-id") \
        .select_related("location").first()
    if last is not None:
        return last.location
    candidates = active_locations(warehouse)
    receiving = candidates.filter(Q(zone__code__istartswith="RCV") | Q(zone__name__contains="收货")).first()
    return receiving or candidates.first()


# --- stock ---------------------------------------------------------------------------------------------------------


def stock_by_sku(warehouse_id: int | None = None):
    """SKUs with on hand, reserved, available and incoming in-transit units: over the active warehouses, or in one
    warehouse. One query for any number of SKUs."""
    stock = WarehouseStock.objects.filter(sku=OuterRef("pk"))
    transit = TransferLine.objects.filter(sku=OuterRef("pk"), transfer__state=Transfer.State.IN_TRANSIT)
    if warehouse_id is not None:
        stock = stock.filter(warehouse_id=warehouse_id)
        transit = transit.filter(transfer__to_warehouse_id=warehouse_id)
    else:
        stock = stock.filter(warehouse__is_active=True)
    return (SKU.objects.select_related("product")
            .annotate(on_hand=_sum(stock, "on_hand"), reserved=_sum(stock, "reserved"),
                      in_transit=_sum(transit, "quantity"))
            .annotate(available=F("on_hand") - F("reserved")))


def search_skus(qs, text: str, prefix: str = ""):
    """SKU code, barcode, item number, product name or pinyin initials (the catalog's search text)."""
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(**{f"{prefix}code__icontains": text}) | Q(**{f"{prefix}barcode__icontains": text})
                     | Q(**{f"{prefix}product__name__icontains": text})
                     | Q(**{f"{prefix}product__item_number__icontains": text})
                     | Q(**{f"{prefix}product__search_text__icontains": text.lower()}))


def stock_by_location():
    """Units per SKU and location (non-zero), with the receipt date of the oldest lot there (先进先出)."""
    oldest = Lot.objects.filter(sku=OuterRef("sku"), location=OuterRef("location"), quantity__gt=0) \
        .order_by("received_on", "id").values("received_on")[:1]
    return (LocationStock.objects.filter(on_hand__gt=0)
            .select_related("sku", "sku__product", "location", "location__zone", "location__warehouse")
            .annotate(oldest_lot=Subquery(oldest)))


def sku_by_code(code: str) -> SKU | None:
    return SKU.objects.select_related("product").filter(code=code).first()


@dataclass
class SkuStock:
    sku: SKU
    warehouses: list
    lots: list
    in_transit: list


def sku_stock(sku) -> SkuStock:
    """One SKU: its figures per warehouse, its lots per location oldest first, and transfers on the way."""
    return SkuStock(
        sku=sku,
        warehouses=list(WarehouseStock.objects.filter(sku=sku).select_related("warehouse")
                        .order_by("warehouse__priority", "warehouse_id")),
        lots=list(Lot.objects.filter(sku=sku, quantity__gt=0)
                  .select_related("location", "location__zone", "location__warehouse")
                  .order_by("location__warehouse__priority", "received_on", "id")),
        in_transit=list(TransferLine.objects.filter(sku=sku, transfer__state=Transfer.State.IN_TRANSIT)
                        .select_related("transfer", "transfer__from_warehouse", "transfer__to_warehouse")),
    )


def movements():
    return Movement.objects.select_related("sku", "sku__product", "location", "location__warehouse", "actor", "lot")


# --- purchase orders and receipts ----------------------------------------------------------------------------------


def purchase_orders():
    lines = PurchaseOrderLine.objects.filter(purchase_order=OuterRef("pk")).order_by().values("purchase_order")
    return PurchaseOrder.objects.select_related("warehouse", "created_by").annotate(
        ordered_units=Coalesce(Subquery(lines.annotate(t=Sum("ordered")).values("t")[:1]), Value(0)),
        received_units=Coalesce(Subquery(lines.annotate(t=Sum("received")).values("t")[:1]), Value(0)),
        line_count=Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")[:1]), Value(0)),
    )


def purchase_order_lines(purchase_order):
    return purchase_order.lines.select_related("sku", "sku__product").order_by("id")


RECEIVABLE_PO_STATES = (PurchaseOrder.State.OPEN, PurchaseOrder.State.PARTIALLY_RECEIVED,
                        PurchaseOrder.State.RECEIVED)


def receipts():
    lines = ReceiptLine.objects.filter(receipt=OuterRef("pk")).order_by().values("receipt")
    return Receipt.objects.select_related("purchase_order", "warehouse", "created_by", "posted_by").annotate(
        expected_units=Coalesce(Subquery(lines.annotate(t=Sum("expected")).values("t")[:1]), Value(0)),
        received_units=Coalesce(Subquery(lines.annotate(t=Sum("received")).values("t")[:1]), Value(0)),
        to_put_away=Coalesce(Subquery(lines.annotate(t=Sum(F("received") - F("put_away"))).values("t")[:1]),
                             Value(0)),
    )


def receipt_lines(receipt):
    return receipt.lines.select_related("sku", "sku__product", "location", "location__zone", "po_line") \
        .order_by("id")


def receipts_to_put_away():
    """Posted receipts with units still in the receiving location."""
    return Receipt.objects.filter(state=Receipt.State.POSTED).filter(
        Exists(ReceiptLine.objects.filter(receipt=OuterRef("pk"), put_away__lt=F("received"))))


# --- transfers -----------------------------------------------------------------------------------------------------


def transfers():
    lines = TransferLine.objects.filter(transfer=OuterRef("pk")).order_by().values("transfer")
    return Transfer.objects.select_related("from_warehouse", "to_warehouse", "created_by").annotate(
        units=Coalesce(Subquery(lines.annotate(t=Sum("quantity")).values("t")[:1]), Value(0)),
        line_count=Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")[:1]), Value(0)),
    )


def transfer_lines(transfer):
    return transfer.lines.select_related("sku", "sku__product").order_by("id")


def in_transit_units() -> int:
    return TransferLine.objects.filter(transfer__state=Transfer.State.IN_TRANSIT).aggregate(
        t=Sum("quantity"))["t"] or 0


# --- stocktakes ----------------------------------------------------------------------------------------------------


def stocktakes():
    lines = StocktakeLine.objects.filter(stocktake=OuterRef("pk")).order_by().values("stocktake")
    return Stocktake.objects.select_related("warehouse", "zone", "started_by", "approved_by").annotate(
        line_count=Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")[:1]), Value(0)),
        counted_count=Coalesce(Subquery(lines.filter(counted__isnull=False).annotate(n=Count("pk"))
                                        .values("n")[:1]), Value(0)),
    )


def stocktake_lines(stocktake, location=None):
    qs = stocktake.lines.select_related("sku", "sku__product", "location", "location__zone")
    if location is not None:
        qs = qs.filter(location=location)
    return qs.order_by("location__code", "sku__code", "id")


def stocktake_scope_locations(stocktake):
    qs = Location.objects.filter(warehouse_id=stocktake.warehouse_id)
    if stocktake.zone_id:
        qs = qs.filter(zone_id=stocktake.zone_id)
    return qs


@dataclass
class VarianceReport:
    stocktake: Stocktake
    lines: list
    counted_lines: int = 0
    uncounted_lines: int = 0
    surplus_units: int = 0
    shortage_units: int = 0
    surplus_value: object = 0
    shortage_value: object = 0
    by_sku: list = field(default_factory=list)

    @property
    def net_value(self):
        return self.surplus_value - self.shortage_value


def variance_report(stocktake) -> VarianceReport:
    """盘点报表 (000:507): expected vs counted per SKU and location, the variance and its value at cost price."""
    from decimal import Decimal

    lines = list(stocktake_lines(stocktake))
    report = VarianceReport(stocktake=stocktake, lines=lines, surplus_value=Decimal("0"),
                            shortage_value=Decimal("0"))
    per_sku: dict[int, dict] = {}
    for line in lines:
        cost = line.sku.product.cost_price or Decimal("0")
        line.value = None
        if line.counted is None:
            report.uncounted_lines += 1
            continue
        report.counted_lines += 1
        v = line.variance
        line.value = cost * v
        entry = per_sku.setdefault(line.sku_id, {"sku": line.sku, "expected": 0, "book": 0, "counted": 0,
                                                 "variance": 0, "value": Decimal("0")})
        entry["expected"] += line.expected
        entry["book"] += line.book if line.book is not None else line.expected
        entry["counted"] += line.counted
        entry["variance"] += v
        entry["value"] += cost * v
        if v > 0:
            report.surplus_units += v
            report.surplus_value += cost * v
        elif v < 0:
            report.shortage_units -= v
            report.shortage_value -= cost * v
    report.by_sku = sorted(per_sku.values(), key=lambda e: e["sku"].code)
    return report


def identify_location(stocktake, code: str) -> Location | None:
    return stocktake_scope_locations(stocktake).filter(code__iexact=code).select_related("zone").first()


def identify_sku(code: str) -> SKU | None:
    """A scanned barcode (SKU.barcode) or a typed SKU code."""
    code = (code or "").strip()
    if not code:
        return None
    return (SKU.objects.select_related("product").filter(barcode=code).first()
            or SKU.objects.select_related("product").filter(code__iexact=code).first())


# --- stock health --------------------------------------------------------------------------------------------------


def replenishment_suggestion(shipped: int, cover_days: int, available_units: int, days: int = VELOCITY_DAYS) -> int:
    """ceil(shipped / days × cover_days − available); 0 when nothing needs ordering. Exact integer arithmetic."""
    numerator = shipped * cover_days - available_units * days
    return -(-numerator // days) if numerator > 0 else 0


def stock_health(today: date | None = None):
    """Active SKUs with on hand, reserved, available (active warehouses), their thresholds, units shipped in the last
    30 days, the last shipment, the oldest lot in stock and the replenishment suggestion, all in SQL."""
    today = today or clock.today()
    stock = WarehouseStock.objects.filter(sku=OuterRef("pk"), warehouse__is_active=True)
    shipments = Movement.objects.filter(sku=OuterRef("pk"), type=Movement.Type.SHIPMENT)
    recent = shipments.filter(posted_on__gt=today - timedelta(days=VELOCITY_DAYS))
    qs = (SKU.objects.filter(is_active=True, product__is_active=True).select_related("product", "stock_threshold")
          .annotate(
              on_hand=_sum(stock, "on_hand"), reserved=_sum(stock, "reserved"),
              shipped_recent=Coalesce(Subquery(recent.order_by().values("sku").annotate(t=Sum("quantity"))
                                               .values("t")[:1]), Value(0)) * Value(-1),
              last_shipped_on=Subquery(shipments.order_by().values("sku").annotate(d=Max("posted_on"))
                                       .values("d")[:1]),
              oldest_lot_on=Subquery(Lot.objects.filter(sku=OuterRef("pk"), quantity__gt=0,
                                                        location__warehouse__is_active=True)
                                     .order_by().values("sku").annotate(d=Min("received_on")).values("d")[:1]),
              reorder_point=Coalesce(F("stock_threshold__reorder_point"), Value(0)),
              max_stock=Coalesce(F("stock_threshold__max_stock"), Value(0)),
              slow_days=Coalesce(F("stock_threshold__slow_days"), Value(DEFAULT_SLOW_DAYS)),
              cover_days=Coalesce(F("stock_threshold__cover_days"), Value(DEFAULT_COVER_DAYS)),
          )
          .annotate(available=F("on_hand") - F("reserved"),
                    idle_since=Coalesce(F("last_shipped_on"), F("oldest_lot_on"))))
    # ceil(x / 30) for x > 0 in integer SQL: (x + 29) / 30, the same on SQLite and PostgreSQL.
    return qs.annotate(shortfall=F("shipped_recent") * F("cover_days") - F("available") * Value(VELOCITY_DAYS)) \
        .annotate(suggested=Case(When(shortfall__gt=0, then=(F("shortfall") + Value(VELOCITY_DAYS - 1))
                                      / Value(VELOCITY_DAYS)), default=Value(0), output_field=IntegerField()))


def health_conditions(today: date | None = None) -> dict[str, Q]:
    """The health categories (000:493) as conditions on `stock_health()` rows."""
    today = today or clock.today()
    slow_values = set(StockThreshold.objects.values_list("slow_days", flat=True).distinct()) | {DEFAULT_SLOW_DAYS}
    slow = Q(pk__in=[])
    for days in sorted(slow_values):
        slow |= Q(slow_days=days, idle_since__lt=today - timedelta(days=days))
    return {
        "out_of_stock": Q(available__lte=0),
        "low": Q(available__gt=0, reorder_point__gt=0, available__lte=F("reorder_point")),
        "overstock": Q(max_stock__gt=0, on_hand__gt=F("max_stock")),
        "slow_moving": Q(on_hand__gt=0) & slow,
    }


HEALTH_LABELS = {
    "out_of_stock": _("Out of stock"),
    "low": _("Low"),
    "overstock": _("Overstock"),
    "slow_moving": _("Slow-moving"),
}


def health_count(category: str) -> int:
    return stock_health().filter(health_conditions()[category]).count()


# --- warehouse reports (日报表/周报表/月报表, 000:507) ----------------------------------------------------------


PERIODS = ("day", "week", "month")
REPORT_TYPES = [t for t in Movement.Type.values if t != Movement.Type.MOVE]


def period_bounds(period: str, day: date) -> tuple[date, date]:
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if period == "month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return start, following - timedelta(days=1)
    return day, day


def shift_period(period: str, day: date, steps: int) -> date:
    start, end = period_bounds(period, day)
    if steps < 0:
        return period_bounds(period, start - timedelta(days=1))[0]
    return end + timedelta(days=1)


@dataclass
class StockReport:
    period: str
    start: date
    end: date
    warehouse: Warehouse | None
    by_type: list  # [{"type", "label", "units_in", "units_out", "movements"}]
    rows: list  # [{"sku", "opening", <type>: units, "closing"}]
    totals: dict
    types: list


def stock_report(period: str, day: date, warehouse: Warehouse | None = None) -> StockReport:
    """收发存: per movement type the units in and out in the period, and per SKU the opening on hand, the units of each
    type and the closing on hand, all by posting date (凭单下账). Put-away moves stay inside a warehouse: they appear
    in the by-type summary but net to zero per SKU."""
    start, end = period_bounds(period, day)
    qs = Movement.objects.filter(posted_on__lte=end).order_by()
    if warehouse is not None:
        qs = qs.filter(location__warehouse=warehouse)
    in_period = Q(posted_on__gte=start)
    by_type_rows = {r["type"]: r for r in qs.filter(in_period).values("type").annotate(
        units_in=Coalesce(Sum("quantity", filter=Q(quantity__gt=0)), 0),
        units_out=Coalesce(Sum("quantity", filter=Q(quantity__lt=0)), 0),
        movements=Count("pk"))}
    labels = dict(Movement.Type.choices)
    by_type = []
    for t in Movement.Type.values:
        r = by_type_rows.get(t, {"units_in": 0, "units_out": 0, "movements": 0})
        by_type.append({"type": t, "label": labels[t], "units_in": r["units_in"], "units_out": -r["units_out"],
                        "movements": r["movements"]})
    aggregates = {"opening": Coalesce(Sum("quantity", filter=Q(posted_on__lt=start)), 0),
                  "closing": Coalesce(Sum("quantity"), 0)}
    for t in REPORT_TYPES:
        aggregates[t] = Coalesce(Sum("quantity", filter=in_period & Q(type=t)), 0)
    per_sku = list(qs.values("sku_id").annotate(**aggregates))
    skus = SKU.objects.select_related("product").in_bulk([r["sku_id"] for r in per_sku])
    rows = []
    for r in per_sku:
        if r["opening"] == 0 and r["closing"] == 0 and not any(r[t] for t in REPORT_TYPES):
            continue
        r["sku"] = skus[r["sku_id"]]
        r["by_type"] = [r[t] for t in REPORT_TYPES]
        rows.append(r)
    rows.sort(key=lambda r: r["sku"].code)
    totals = {"opening": sum(r["opening"] for r in rows), "closing": sum(r["closing"] for r in rows),
              "by_type": [sum(r[t] for r in rows) for t in REPORT_TYPES]}
    return StockReport(period=period, start=start, end=end, warehouse=warehouse, by_type=by_type, rows=rows,
                       totals=totals, types=[(t, labels[t]) for t in REPORT_TYPES])


def closed_periods():
    return ClosedPeriod.objects.select_related("closed_by").order_by("-month")


def closable_months(today: date | None = None, count: int = 12) -> list[date]:
    """The last `count` finished months that are still open, newest first."""
    today = today or clock.today()
    closed = set(ClosedPeriod.objects.values_list("month", flat=True))
    months, month = [], today.replace(day=1)
    for _i in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
        if month not in closed:
            months.append(month)
    return months



def stocktake_line_rows(stocktake):
    """Lines of a count for the report table: the variance (counted − book at count) and its value at cost in SQL."""
    from django.db.models import DecimalField, ExpressionWrapper

    return (stocktake.lines.select_related("sku", "sku__product", "location", "location__zone", "counted_by")
            .annotate(diff=F("counted") - Coalesce(F("book"), F("expected")))
            .annotate(diff_value=ExpressionWrapper(F("diff") * F("sku__product__cost_price"),
                                                   output_field=DecimalField(max_digits=14, decimal_places=2))))


def identify_sku_by_pk(pk) -> SKU | None:
    return SKU.objects.select_related("product").filter(pk=pk).first() if pk else None
