"""The order list as an .xlsx (导出订单): the rows of the current tab and filters, streamed with openpyxl's
write-only workbook. Buyer name, phones and address are masked unless the person may export personal data and asks
for it; `services.record_export` logs every export (and says whether personal data left the system)."""

from __future__ import annotations

import io

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from shopdesk.core import masking
from shopdesk.orders.models import OrderLine

MAX_ROWS = 100_000


def headers() -> list[str]:
    return [_("Order number"), _("Shop"), _("Status"), _("Platform status"), _("Buyer account"), _("Receiver"),
            _("Mobile"), _("Landline"), _("Province"), _("City"), _("District"), _("Address"), _("Items"),
            _("Goods amount"), _("Shipping fee"), _("Discount"), _("Amount paid"), _("Ordered at"), _("Paid at"),
            _("Carrier"), _("Tracking number"), _("Cash on delivery"), _("Buyer message"), _("Seller remark")]


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def orders_xlsx(queryset, *, personal_data: bool) -> tuple[bytes, int]:
    """(file content, number of orders) for at most MAX_ROWS orders of `queryset`."""
    lines = Prefetch("lines", queryset=OrderLine.objects.only("id", "order_id", "channel_sku_code", "title",
                                                              "quantity"))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Orders"))
    header = []
    for title in headers():
        cell = WriteOnlyCell(ws, value=title)
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    count = 0
    for o in queryset.select_related("shop").prefetch_related(lines)[:MAX_ROWS].iterator(chunk_size=2000):
        count += 1
        items = "；".join(f"{ln.channel_sku_code} {ln.title} ×{ln.quantity}" for ln in o.lines.all())
        if personal_data:
            name, mobile, landline, detail = o.buyer_name, o.mobile, o.landline, o.address_detail
        else:
            name, mobile = masking.mask_name(o.buyer_name), masking.mask_phone(o.mobile)
            landline, detail = masking.mask_phone(o.landline), masking.STARS if o.address_detail else ""
        ws.append([o.platform_order_no, o.shop.name, o.get_status_display(), o.platform_status, o.buyer_platform_id,
                   name, mobile, landline, o.province, o.city, o.district, detail, items, o.goods_amount,
                   o.shipping_fee, o.discount, o.paid_amount, _local(o.ordered_at), _local(o.paid_at), o.carrier,
                   o.tracking_no, _("yes") if o.is_cod else "", o.buyer_message, o.seller_remark])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), count
