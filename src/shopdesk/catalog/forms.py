"""Forms of the catalog pages: the product editor (with attribute fields generated from the categories and the SKU
grid as a formset), images, listings, price decisions, the Excel import, brands and categories."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.catalog.models import SKU, Brand, Category, ListingStatus
from shopdesk.catalog.services import SkuInput

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


def _split(choices: str) -> list[str]:
    import re

    return [c.strip() for c in re.split(r"[,，]", choices or "") if c.strip()]


class ProductForm(forms.Form):
    item_number = forms.CharField(label=_("Item number"), max_length=40,
                                  help_text=_("货号: letters, digits, '.', '-' or '_'. It cannot change later."))
    name = forms.CharField(label=_("Name"), max_length=100)
    title = forms.CharField(label=_("Title"), max_length=120, required=False,
                            help_text=_("The shop title: brand, style, colour, material and selling points, one "
                                        "product per title."))
    brand = forms.ModelChoiceField(label=_("Brand"), queryset=Brand.objects.all(), required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all(), required=False,
                                      widget=forms.Select(attrs={"data-category-select": ""}))
    cost_price = forms.DecimalField(label=_("Cost price"), required=False, **MONEY)
    list_price = forms.DecimalField(label=_("List price"), initial=0, **MONEY)
    member_price = forms.DecimalField(label=_("Member price"), required=False, **MONEY)
    vip_price = forms.DecimalField(label=_("VIP price"), required=False, **MONEY)
    price_reason = forms.CharField(label=_("Reason for the price change"), max_length=200, required=False,
                                   help_text=_("Needed when a price changes. A decrease beyond your authority waits "
                                               "for the manager's approval."))
    weight_grams = forms.IntegerField(label=_("Weight (g)"), min_value=0, initial=0)
    is_hygiene = forms.BooleanField(label=_("Hygiene item (no non-quality returns)"), required=False)
    is_special_price = forms.BooleanField(label=_("Special-price item"), required=False)
    is_gift = forms.BooleanField(label=_("Gift"), required=False)
    is_key_product = forms.BooleanField(label=_("Key product"), required=False)
    is_new = forms.BooleanField(label=_("New product"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
                                  help_text=_("Specifications, material, washing, packaging, after-sales. Simple HTML "
                                              "(paragraphs, bold, lists, tables) is kept; anything else is removed."))

    FLAGS = ("is_hygiene", "is_special_price", "is_gift", "is_key_product", "is_new", "is_active")
    PRICES = ("list_price", "member_price", "vip_price")

    def __init__(self, *args, categories=(), editing=False, can_see_cost=False, can_change_price=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["item_number"].disabled = True
            if not can_change_price:
                for name in self.PRICES:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = _("Prices are changed by operations, merchandise or the manager.")
                del self.fields["price_reason"]
        else:
            del self.fields["price_reason"]
        if not can_see_cost:
            del self.fields["cost_price"]
        # One field per attribute of every category; the page shows those of the chosen category.
        self.attribute_fields: list[tuple[object, str]] = []
        for category in categories:
            for attribute in category.attributes.all():
                name = f"attr_{attribute.pk}"
                choices = _split(attribute.choices)
                label = attribute.name
                if choices:
                    field = forms.ChoiceField(label=label, required=False,
                                              choices=[("", "—")] + [(c, c) for c in choices])
                else:
                    field = forms.CharField(label=label, required=False, max_length=100)
                field.category_id = category.pk
                field.attribute_name = attribute.name
                field.attribute_required = attribute.required
                self.fields[name] = field
                self.attribute_fields.append((category, name))

    def attributes_for(self, category) -> dict[str, str]:
        """The attribute values filled for `category` (other categories' fields are ignored)."""
        if category is None:
            return {}
        values = {}
        for _category, name in self.attribute_fields:
            field = self.fields[name]
            if field.category_id == category.pk and self.cleaned_data.get(name):
                values[field.attribute_name] = self.cleaned_data[name]
        return values

    def attribute_field_name(self, category, attribute_name: str) -> str | None:
        for _category, name in self.attribute_fields:
            field = self.fields[name]
            if category is not None and field.category_id == category.pk and field.attribute_name == attribute_name:
                return name
        return None

    def grouped(self):
        """Bound fields by section, for the template."""
        def pick(names):
            return [self[n] for n in names if n in self.fields]

        return {
            "basics": pick(["item_number", "name", "title", "brand", "category", "weight_grams"]),
            "prices": pick(["cost_price", "list_price", "member_price", "vip_price", "price_reason"]),
            "flags": pick(self.FLAGS),
            "attributes": [self[name] for _c, name in self.attribute_fields],
            "description": pick(["description"]),
        }


class SkuForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(label=_("SKU code"), max_length=60, required=False)
    colour = forms.CharField(label=_("Colour"), max_length=30, required=False)
    size = forms.CharField(label=_("Size"), max_length=30, required=False)
    style = forms.CharField(label=_("Style"), max_length=30, required=False)
    barcode = forms.CharField(label=_("Barcode"), max_length=40, required=False)
    list_price = forms.DecimalField(label=_("Price"), required=False, **MONEY)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not data.get("id") and not any(data.get(k) for k in ("code", "colour", "size", "style", "barcode"))

    def to_input(self) -> SkuInput:
        d = self.cleaned_data
        return SkuInput(id=d.get("id"), code=d.get("code") or "", colour=d.get("colour") or "",
                        size=d.get("size") or "", style=d.get("style") or "", barcode=d.get("barcode") or "",
                        list_price=d.get("list_price"), is_active=bool(d.get("is_active")))


SkuFormSet = forms.formset_factory(SkuForm, extra=2)


def sku_initial(skus) -> list[dict]:
    return [{"id": s.pk, "code": s.code, "colour": s.colour, "size": s.size, "style": s.style,
             "barcode": s.barcode or "", "list_price": s.list_price, "is_active": s.is_active} for s in skus]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ImageUploadForm(forms.Form):
    images = MultipleImageField(label=_("Photos"), help_text=_("JPEG, PNG, WebP or GIF, up to 10 MB each. The first "
                                                               "photo is the main image."))


class ListingForm(forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    sku_code = forms.CharField(label=_("Our SKU code"), max_length=60)
    channel_sku_code = forms.CharField(label=_("Channel SKU code"), max_length=80,
                                       help_text=_("The code the shop's order exports carry for this SKU "
                                                   "(商家编码)."))
    channel_price = forms.DecimalField(label=_("Channel price"), required=False,
                                       help_text=_("Empty: the SKU's price."), **MONEY)
    status = forms.ChoiceField(label=_("Status"), choices=ListingStatus.choices, initial=ListingStatus.LISTED)
    auto_delist = forms.BooleanField(label=_("Delist automatically when out of stock"), required=False,
                                     initial=True)

    def __init__(self, *args, shops=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops

    def clean_sku_code(self):
        code = self.cleaned_data["sku_code"].strip()
        sku = SKU.objects.select_related("product").filter(code__iexact=code).first()
        if sku is None:
            raise forms.ValidationError(_("No SKU with this code."))
        self.cleaned_data["sku"] = sku
        return code


class ListingEditForm(forms.Form):
    channel_sku_code = forms.CharField(label=_("Channel SKU code"), max_length=80)
    channel_price = forms.DecimalField(label=_("Channel price"), required=False,
                                       help_text=_("Empty: the SKU's price."), **MONEY)
    price_reason = forms.CharField(label=_("Reason for the price change"), max_length=200, required=False)
    auto_delist = forms.BooleanField(label=_("Delist automatically when out of stock"), required=False,
                                     help_text=_("Off: the listing stays as it is whatever the stock (e.g. "
                                                 "pre-sale)."))

    def __init__(self, *args, can_change_price=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_change_price:
            self.fields["channel_price"].disabled = True
            del self.fields["price_reason"]


class DelistForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))


class BrandForm(forms.Form):
    name = forms.CharField(label=_("Brand"), max_length=60)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Category"), max_length=60)
    parent = forms.ModelChoiceField(label=_("Parent"), queryset=Category.objects.all(), required=False)


class AttributeForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    name = forms.CharField(label=_("Attribute"), max_length=40)
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    choices = forms.CharField(label=_("Choices"), max_length=500, required=False,
                              help_text=_("Separated by commas; empty = free text."))
