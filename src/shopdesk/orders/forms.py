"""Forms of the order pages. They parse what people type; the services decide what the order's stage allows."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopdesk.orders.models import ChangeRequest

# The flagged note's signature (" --- 2026-11-22 张三") is appended to the text, within the note's 500 characters.
NOTE_MAX = 440


class AddressForm(forms.Form):
    buyer_name = forms.CharField(label=_("Receiver"), max_length=60)
    mobile = forms.CharField(label=_("Mobile"), max_length=20, required=False)
    landline = forms.CharField(label=_("Landline"), max_length=30, required=False)
    province = forms.CharField(label=_("Province"), max_length=30)
    city = forms.CharField(label=_("City"), max_length=30)
    district = forms.CharField(label=_("District"), max_length=30, required=False)
    address_detail = forms.CharField(label=_("Street address"), max_length=200)
    postcode = forms.CharField(label=_("Postcode"), max_length=10, required=False)

    def clean(self):
        data = super().clean()
        if not (data.get("mobile") or "").strip() and not (data.get("landline") or "").strip():
            self.add_error("mobile", gettext("A mobile or landline number is required."))
        return data


class RequestsForm(forms.Form):
    invoice_title = forms.CharField(label=_("Invoice title"), max_length=100, required=False)
    greeting_card = forms.CharField(label=_("Greeting card"), max_length=200, required=False,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    delivery_wish = forms.CharField(label=_("Delivery time wish"), max_length=100, required=False)
    chosen_carrier = forms.CharField(label=_("Buyer's carrier"), max_length=40, required=False,
                                     help_text=_("Empty: the shop's default carrier."))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    flagged = forms.BooleanField(label=_("Flagged note (红旗备注)"), required=False, initial=True,
                                 help_text=_("Flagged notes are what the warehouse and colleagues must read."))


class MoneyForm(forms.Form):
    kind = forms.ChoiceField(label=_("Change"), choices=ChangeRequest.Kind.choices)
    value = forms.DecimalField(label=_("New amount (yuan)"), min_value=0, max_digits=12, decimal_places=2,
                               help_text=_("The whole discount or shipping fee after the change, not the "
                                           "difference."))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, widget=forms.Textarea(attrs={"rows": 2}))


class SplitForm(forms.Form):
    """One quantity per line: how many units move to the new order (0 = the line stays)."""

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            label = " ".join(p for p in (line.channel_sku_code, line.title, line.properties) if p)
            self.fields[f"line_{line.pk}"] = forms.IntegerField(
                label=label, min_value=0, max_value=line.quantity, initial=0,
                help_text=gettext("%(q)d on the order") % {"q": line.quantity},
                widget=forms.NumberInput(attrs={"class": "qty"}))

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line_{line.pk}") or 0 for line in self.lines}
