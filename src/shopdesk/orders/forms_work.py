"""Forms of the order work pages: the import form, the shop's order rules and the unreachable areas."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.orders.models import ShopOrderRules
from shopdesk.orders.services import RULE_FIELDS

FORMATS = [
    ("auto", _("Detect automatically")),
    ("taobao", _("Taobao / Tmall (order file + item file)")),
    ("jd", _("JD (京东) order export")),
    ("generic", _("ShopDesk template (other platforms)")),
]

# The platform exports only fit shops of their platform (the generic template fits every shop).
PLATFORMS_OF_FORMAT = {"taobao": ("taobao", "tmall"), "jd": ("jd",)}


class ImportForm(forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="auto")
    file = forms.FileField(label=_("Order file"),
                           help_text=_("Taobao/Tmall: ExportOrderList.csv; JD: the .xlsx or .csv order export; "
                                       "other platforms: the filled-in ShopDesk template."))
    items_file = forms.FileField(label=_("Taobao/Tmall item file"), required=False,
                                 help_text=_("ExportOrderDetailList.csv, exported together with the order file. "
                                             "Required for Taobao/Tmall."))

    def __init__(self, *args, shops, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        self.fields["shop"].label_from_instance = lambda shop: f"{shop.name} ({shop.code})"
        if len(shops) == 1:  # one shop: nothing to choose; several: the person must choose (no silent default)
            self.fields["shop"].empty_label = None

    def clean(self):
        data = super().clean()
        fmt, shop = data.get("format"), data.get("shop")
        if fmt == "taobao" and not data.get("items_file"):
            self.add_error("items_file", _("A Taobao/Tmall import needs the item file (ExportOrderDetailList.csv)."))
        platforms = PLATFORMS_OF_FORMAT.get(fmt)
        if shop is not None and platforms and shop.platform not in platforms:
            self.add_error("format", _("%(shop)s is a %(platform)s shop: this format is not its platform's export.")
                           % {"shop": shop.name, "platform": shop.get_platform_display()})
        return data


class RulesForm(forms.ModelForm):
    class Meta:
        model = ShopOrderRules
        fields = RULE_FIELDS
        widgets = {"day_shift_ends": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}

    def __init__(self, *args, read_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if read_only:
            for field in self.fields.values():
                field.disabled = True


class AreaForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    province = forms.CharField(label=_("Province"), max_length=30)
    city = forms.CharField(label=_("City"), max_length=30, required=False,
                           help_text=_("Empty: the whole province."))
    district = forms.CharField(label=_("District"), max_length=30, required=False,
                               help_text=_("Empty: the whole city."))
