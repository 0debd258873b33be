"""Forms of the warehouse stations: the new-batch filters and choice, the scan boxes, the check's quality tick, the
packing, the waybill number entered by hand and the hand-over list."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.fulfillment.models import Carrier

# Stored as the warehouse says them; shown translated.
PACKING_MATERIALS = [
    ("纸箱", _("Carton (纸箱)")),
    ("快递袋", _("Mailer bag (快递袋)")),
    ("气泡袋", _("Bubble bag (气泡袋)")),
    ("其他", _("Other (其他)")),
]

_SCAN = {"autofocus": True, "autocomplete": "off", "spellcheck": "false", "enterkeyhint": "enter",
         "data-scan-input": "", "class": "scan-input"}


class BatchFilterForm(forms.Form):
    """Filters of the orders waiting to print (GET)."""

    shop = forms.ChoiceField(label=_("Shop"), required=False)
    carrier = forms.ChoiceField(label=_("Carrier"), required=False)
    ship_today = forms.BooleanField(label=_("Ship today only"), required=False)

    def __init__(self, *args, shops, carriers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].choices = [("", _("All shops")), *[(s.code, s.name) for s in shops]]
        self.fields["carrier"].choices = [("", _("All carriers")), *[(c, c) for c in carriers]]

    def apply(self, queryset):
        if not self.is_valid():
            return queryset.none()  # never print more than the person filtered for
        data = self.cleaned_data
        if data["shop"]:
            queryset = queryset.filter(shop__code=data["shop"])
        if data["carrier"]:
            queryset = queryset.filter(planned_carrier=data["carrier"])
        if data["ship_today"]:
            queryset = queryset.filter(ship_today=True)
        return queryset


class NewBatchForm(forms.Form):
    """How many of the first orders of the filtered list to print (the ticked ones come as `ids`)."""

    first = forms.IntegerField(label=_("Print the first"), required=False, min_value=1, max_value=1000,
                               help_text=_("orders of the list (ship-today first, then by payment time)."))


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Scan"), max_length=80, widget=forms.TextInput(attrs=_SCAN))


class ConfirmCheckForm(forms.Form):
    quality_ok = forms.BooleanField(label=_("Quality checked: the goods were looked at and are fit to ship"),
                                    required=False)


class PackForm(forms.Form):
    weight_kg = forms.DecimalField(label=_("Parcel weight (kg)"), required=False, min_value=0, max_digits=8,
                                   decimal_places=3, widget=forms.NumberInput(attrs={"step": "0.001",
                                                                                     "inputmode": "decimal"}))
    packing_material = forms.ChoiceField(label=_("Packing material"), choices=PACKING_MATERIALS, initial="纸箱",
                                         widget=forms.RadioSelect)


class WaybillForm(forms.Form):
    carrier = forms.ChoiceField(label=_("Carrier"))
    tracking_no = forms.CharField(label=_("Waybill number"), max_length=40,
                                  widget=forms.TextInput(attrs={**_SCAN, "class": ""}))

    def __init__(self, *args, current: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        names = list(Carrier.objects.filter(is_active=True).values_list("name", flat=True))
        if current and current not in names:
            names.insert(0, current)
        self.fields["carrier"].choices = [(n, n) for n in names]
        if current:
            self.fields["carrier"].initial = current


class HandoverForm(forms.Form):
    carrier = forms.CharField(max_length=40, widget=forms.HiddenInput)
    courier_name = forms.CharField(label=_("Courier"), max_length=60, required=False,
                                   help_text=_("The name of the courier who takes the parcels (optional)."))
