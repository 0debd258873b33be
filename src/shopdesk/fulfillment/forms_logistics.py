"""Forms of the logistics pages: the tracking import, closing an exception, a dispute, a missing-item claim and its
decision, the courier bill upload, and the filters of the exceptions queue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.core import clock
from shopdesk.fulfillment.models import Carrier, LogisticsException
from shopdesk.fulfillment.services import MAX_PHOTO_BYTES
from shopdesk.fulfillment.uploads import DataFileField

PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/gif"


class TrackingImportForm(forms.Form):
    file = DataFileField(label=_("Tracking file"), help_text=_(
        "xlsx or CSV (UTF-8 or GBK) with the columns 运单号, 时间 and 状态 or 描述; 地点 is optional."))


class CloseExceptionForm(forms.Form):
    resolution = forms.CharField(label=_("Resolution"), max_length=300,
                                 help_text=_("What was done: carrier contacted, compensated, reshipped, buyer "
                                             "received it …"))


class DisputeForm(forms.Form):
    note = forms.CharField(label=_("What the buyer says"), max_length=250, widget=forms.Textarea(attrs={"rows": 3}))


class PhotoField(forms.FileField):
    """The buyer's photo; the service checks the bytes (JPEG, PNG, WebP, GIF) and the size again."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": PHOTO_TYPES}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload.size > MAX_PHOTO_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        return upload


class MissingItemForm(forms.Form):
    """One quantity field per order line ("line_<id>": how many are missing), the photo and a note."""

    photo = PhotoField(label=_("Buyer's photo of the dispatch note"))
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, order_lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order_lines)
        for line in self.order_lines:
            label = f"{line.title or line.channel_sku_code} {line.properties}".strip()
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=label, min_value=0, max_value=line.quantity, initial=0, required=False,
                help_text=_("Ordered: %(q)d") % {"q": line.quantity})

    @property
    def line_fields(self):
        return [self[f"line_{line.pk}"] for line in self.order_lines]

    def clean(self):
        data = super().clean()
        lines = {line.pk: data.get(f"line_{line.pk}") or 0 for line in self.order_lines}
        data["lines"] = {k: v for k, v in lines.items() if v}
        if self.order_lines and not data["lines"] and not self.errors:
            raise forms.ValidationError(_("Enter how many of which items are missing."))
        return data


class RejectClaimForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


def _previous_month() -> str:
    first = clock.today().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


class BillImportForm(forms.Form):
    carrier = forms.ModelChoiceField(label=_("Carrier"), queryset=Carrier.objects.none())
    # A real month picker: the browser posts YYYY-MM, the same format the regex checks.
    month = forms.RegexField(label=_("Month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7,
                             help_text=_("YYYY-MM: the parcels shipped in this month (China time) are checked."),
                             error_messages={"invalid": _("Write the month as YYYY-MM, like 2026-11.")},
                             widget=forms.TextInput(attrs={"type": "month"}))
    tolerance = forms.DecimalField(label=_("Tolerance (¥)"), min_value=Decimal("0"), max_digits=8, decimal_places=2,
                                   initial=Decimal("0.50"),
                                   help_text=_("A fee within this much of the price rules counts as matching."))
    file = DataFileField(label=_("Bill file"), help_text=_(
        "xlsx or CSV with the columns 运单号 and 运费; 计费重量, 目的地 and 日期 are used when present."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["carrier"].queryset = Carrier.objects.order_by("sort", "name")
        self.fields["month"].initial = _previous_month()


class ExceptionFilter(django_filters.FilterSet):
    """The exceptions queue narrowed to one shop (the kind is a tab)."""

    shop = django_filters.ChoiceFilter(label=_("Shop"), field_name="shipment__order__shop__code", choices=())
    carrier = django_filters.CharFilter(label=_("Carrier"), field_name="shipment__carrier", lookup_expr="icontains")

    class Meta:
        model = LogisticsException
        fields = ["shop", "carrier"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shopdesk.channels.selectors import shops_visible_to

        request = kwargs.get("request")
        shops = shops_visible_to(request.user).order_by("code") if request is not None else []
        self.filters["shop"].extra["choices"] = [(s.code, s.name) for s in shops]
