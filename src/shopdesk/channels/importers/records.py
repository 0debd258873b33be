"""What the order importers yield: plain records, one per order (with its lines), or one error per bad row.

The parsers never touch the database. The order writer consumes these records; `RowError` rows are shown to the
person importing, and `ImportFileError` means the file as a whole cannot be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

PLATFORM_STATUSES = ("unpaid", "paid", "shipped", "completed", "cancelled")


@dataclass(slots=True)
class LineRecord:
    line_no: int  # the line/row number in its file (header is line 1)
    channel_sku_code: str  # the seller's code for the SKU on the platform (Taobao 商家编码; JD 商家SKU编码 or 商品ID)
    title: str
    properties: str = ""  # e.g. "颜色分类:混色;尺码:M"
    quantity: int = 1
    unit_price: Decimal = Decimal("0")  # price per unit as listed (Taobao 价格, JD 京东价)


@dataclass(slots=True)
class OrderRecord:
    line_no: int
    platform_order_no: str
    status: str  # one of PLATFORM_STATUSES
    platform_status: str  # the original Chinese status word(s)
    buyer_platform_id: str = ""
    buyer_name: str = ""
    mobile: str = ""  # digits only after cleaning (leading ' removed, ="..." unwrapped, spaces/dashes removed)
    landline: str = ""  # as given, cleaned of ' and ="..."
    province: str = ""
    city: str = ""
    district: str = ""
    address_detail: str = ""
    postcode: str = ""
    goods_amount: Decimal = Decimal("0")  # Taobao 买家应付货款; JD 订单金额/商品金额 if present else sum of lines
    shipping_fee: Decimal = Decimal("0")  # Taobao 买家应付邮费; JD 运费金额 if present
    paid_amount: Decimal = Decimal("0")  # Taobao 买家实际支付金额; JD 应付金额
    ordered_at: datetime | None = None  # timezone-aware, Asia/Shanghai (the files hold local China time)
    paid_at: datetime | None = None
    buyer_message: str = ""  # Taobao 买家留言
    seller_remark: str = ""  # Taobao 订单备注 / JD 订单备注 (seller remark)
    invoice_title: str = ""
    carrier_name: str = ""  # Taobao 物流公司
    tracking_no: str = ""  # Taobao 物流单号 (="..." unwrapped)
    close_reason: str = ""
    is_cod: bool = False  # cash on delivery (JD 支付方式 货到付款 / generic column)
    is_mobile_order: bool = False
    greeting_card: str = ""  # generic only
    delivery_wish: str = ""  # generic only (送货时间)
    chosen_carrier: str = ""  # generic only (指定快递)
    lines: list[LineRecord] = field(default_factory=list)


@dataclass(slots=True, frozen=True)
class RowError:
    line_no: int
    reason: str  # human readable, gettext-wrapped, names the column: e.g. "订单状态: unknown order status 'xxx'"
    file: str = ""  # "orders" / "items" / "" — which file of a pair


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong encoding, missing column, not a known format.

    The message names the file and, where it applies, the column."""
