"""Helpers of the logistics tests: shipped parcels made through the services, tracking events, image bytes."""

from __future__ import annotations

import io
import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from shopdesk.fulfillment import services
from shopdesk.fulfillment.tracking_files import TrackingEvent
from shopdesk.orders import services as order_services

CN = ZoneInfo("Asia/Shanghai")
_numbers = itertools.count(1)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


PNG = _png()  # a real 4x4 PNG (the API's ImageField opens it with Pillow)


def ship(order, *, carrier="中通快递", tracking_no=None, weight=None):
    """Take a verified order through print, pick and pack to shipped; returns its Shipment."""
    tracking_no = tracking_no or f"ZT{next(_numbers):010d}"
    order_services.mark_printed(actor=None, order=order, batch="B-TEST", carrier=carrier, tracking_no=tracking_no)
    order_services.mark_picked(actor=None, order=order)
    order_services.mark_packed(actor=None, order=order)
    shipment = services.ship_parcel(actor=None, order=order, carrier=carrier, tracking_no=tracking_no)
    if weight is not None:
        shipment.weight_kg = weight
        shipment.save(update_fields=["weight_kg"])
    return shipment


def event(tracking_no, when, status="in_transit", description="", location=""):
    """A TrackingEvent; `when` is a datetime or (y, m, d, h, mi) in China time."""
    if not isinstance(when, datetime):
        when = datetime(*when, tzinfo=CN)
    return TrackingEvent(tracking_no, when, location, status, description)
