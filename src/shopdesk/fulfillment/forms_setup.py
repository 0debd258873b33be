"""Forms of the carrier set-up pages: carriers, price rules and the fee calculator, waybill pools, blind spots,
the shops' shipping settings and the waybill-number import; `saved_upload` keeps an upload in a temporary file for
the path-based import services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.fulfillment.models import ShopShipping
from shopdesk.fulfillment.uploads import DataFileField

SHIPPING_FIELDS = ["sender_name", "sender_phone", "sender_address", "notice_template", "stall_hours"]
_SEPARATORS = str.maketrans({"、": ",", "，": ",", ";": ",", "；": ",", "\n": ","})


def split_services(text: str) -> list[str]:
    return [part.strip() for part in (text or "").translate(_SEPARATORS).split(",") if part.strip()]


class CarrierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40,
                           help_text=_("As orders and platforms write it, e.g. 中通快递."))
    code = forms.SlugField(label=_("Code"), max_length=20, help_text=_("Short code, e.g. zto."))
    services = forms.CharField(label=_("Services"), required=False, max_length=300,
                               help_text=_("Separated by commas, e.g. 标准快递, 次日达."))
    is_universal = forms.BooleanField(label=_("Reaches everywhere"), required=False,
                                      help_text=_("The fallback where the default carrier does not deliver (E邮宝)."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    sort = forms.IntegerField(label=_("Sort"), min_value=0, initial=0)

    def cleaned_services(self) -> list[str]:
        return split_services(self.cleaned_data.get("services", ""))


class PriceRuleForm(forms.Form):
    province = forms.CharField(label=_("Province"), max_length=30, required=False,
                               help_text=_("Empty: every other province. 广东, 广东省 and 广东省深圳市 are the same."))
    first_weight_kg = forms.DecimalField(label=_("First weight (kg)"), max_digits=8, decimal_places=3,
                                         min_value=Decimal("0.001"), initial=Decimal("1"))
    first_fee = forms.DecimalField(label=_("First weight fee"), max_digits=12, decimal_places=2, min_value=0)
    extra_unit_kg = forms.DecimalField(label=_("Extra weight step (kg)"), max_digits=8, decimal_places=3,
                                       min_value=Decimal("0.001"), initial=Decimal("1"))
    extra_fee = forms.DecimalField(label=_("Fee per extra step"), max_digits=12, decimal_places=2, min_value=0)


class FeeForm(forms.Form):
    province = forms.CharField(label=_("Province"), max_length=30)
    weight_kg = forms.DecimalField(label=_("Weight (kg)"), max_digits=8, decimal_places=3, min_value=0)


class RangePoolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, required=False, help_text=_("E.g. 11月号段."))
    prefix = forms.CharField(label=_("Prefix"), max_length=10, required=False)
    first = forms.IntegerField(label=_("First number"), min_value=0)
    last = forms.IntegerField(label=_("Last number"), min_value=0)
    digits = forms.IntegerField(label=_("Digits"), min_value=1, max_value=30, initial=12,
                                help_text=_("Numbers are zero-padded to this many digits."))


class ListPoolForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    numbers = forms.CharField(label=_("Waybill numbers"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("One per line, as the outlet sent them."))
    file = DataFileField(label=_("Or a file"), required=False,
                       help_text=_("xlsx or CSV with a column 运单号."))

    def clean(self):
        data = super().clean()
        if not (data.get("numbers") or "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Paste the numbers or choose a file."))
        return data

    def pasted(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("numbers") or "").splitlines() if line.strip()]


class AreaForm(forms.Form):
    province = forms.CharField(label=_("Province"), max_length=30,
                               help_text=_("As the orders write it, e.g. 新疆维吾尔自治区."))
    city = forms.CharField(label=_("City"), max_length=30, required=False, help_text=_("Empty: the whole province."))
    district = forms.CharField(label=_("District"), max_length=30, required=False,
                               help_text=_("Empty: the whole city."))


class CoverageImportForm(forms.Form):
    file = DataFileField(label=_("File"), help_text=_("xlsx or CSV with the columns 省份, 城市 (optional), 区县 "
                                                    "(optional)."))


class ShippingForm(forms.ModelForm):
    class Meta:
        model = ShopShipping
        fields = SHIPPING_FIELDS
        widgets = {"notice_template": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True


class WaybillImportForm(forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    file = DataFileField(label=_("File"), help_text=_("xlsx or CSV with the columns 订单号, 运单号 and 快递公司 "
                                                    "(optional: the order's carrier)."))

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        self.fields["shop"].label_from_instance = lambda shop: f"{shop.name} ({shop.code})"
        if len(shops) == 1:
            self.fields["shop"].empty_label = None
