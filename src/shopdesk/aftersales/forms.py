"""Forms of the after-sales pages: opening a case (with the live policy preview), the actions on a case, receiving a
return, the returns register filter and the case list search.

Forms only read what was typed; every rule (the policy, the limits, the states) is the services' to check, and their
refusals come back beside the field they name (`shopdesk.web.forms.add_service_error`)."""

from __future__ import annotations

from datetime import date

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shopdesk.aftersales import policy
from shopdesk.aftersales.models import Case
from shopdesk.aftersales.services import MAX_PHOTOS
from shopdesk.core import clock

PHOTO_TYPES = "image/jpeg,image/png,image/webp,image/gif"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; the service checks each file's bytes and size."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_TYPES}))
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        photos = [single(d, initial) for d in data] if isinstance(data, list | tuple) else (
            [single(data, initial)] if data else [])
        photos = [p for p in photos if p]
        if len(photos) > MAX_PHOTOS:
            raise forms.ValidationError(_("At most %(n)d photos.") % {"n": MAX_PHOTOS})
        return photos


def _choices(labels: dict) -> list[tuple[str, str]]:
    return list(labels.items())


class CaseForm(forms.Form):
    """A case on an order: type, reason, a quantity per order line ("line_<id>"), the days since receipt (editable
    only when the order has no delivery time), the item flags and condition, the return shipping, the buyer's words
    and photos. The same form, unbound from the photos, feeds the policy preview."""

    kind = forms.ChoiceField(label=_("Type"), choices=Case.Kind.choices)
    reason = forms.ChoiceField(label=_("Reason"), choices=Case.Reason.choices)
    days = forms.IntegerField(label=_("Days since receipt"), min_value=0, max_value=3650, required=False)
    item_flags = forms.MultipleChoiceField(label=_("The item is"), choices=_choices(policy.FLAG_LABELS),
                                           required=False, widget=forms.CheckboxSelectMultiple)
    item_condition = forms.MultipleChoiceField(label=_("Condition of the item"),
                                               choices=_choices(policy.CONDITION_LABELS), required=False,
                                               widget=forms.CheckboxSelectMultiple)
    return_shipping = forms.ChoiceField(label=_("Return shipping"), required=False,
                                        choices=[("", _("Not known yet")), *Case.ReturnShipping.choices])
    description = forms.CharField(label=_("What the buyer says"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("Photos"), help_text=_(
        "The buyer's photos: JPEG, PNG, WebP or GIF, up to 5 MB each, at most 9."))

    def __init__(self, *args, order_lines=(), known_days: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_lines = list(order_lines)
        self.known_days = known_days
        if known_days is not None:
            self.fields["days"].disabled = True
            self.fields["days"].initial = known_days
            self.fields["days"].help_text = _("Counted from the delivery of the order.")
        else:
            self.fields["days"].help_text = _("The order has no delivery time: enter the days from the platform.")
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
        data["lines"] = {line.pk: data.get(f"line_{line.pk}") or 0 for line in self.order_lines}
        data["lines"] = {k: v for k, v in data["lines"].items() if v}
        if self.order_lines and not data["lines"] and not self.errors:
            raise forms.ValidationError(_("Enter how many of which items the case is about."))
        return data


class ReturnParcelForm(forms.Form):
    carrier = forms.CharField(label=_("Return carrier"), max_length=40)
    tracking_no = forms.CharField(label=_("Return tracking number"), max_length=40)
    return_shipping = forms.ChoiceField(label=_("Return shipping"), choices=Case.ReturnShipping.choices,
                                        initial=Case.ReturnShipping.PREPAID)


class EvidenceForm(forms.Form):
    text = forms.CharField(label=_("Text"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultiplePhotoField(label=_("Photos"))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class CompensationForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=0)
    reason = forms.CharField(label=_("Reason"), max_length=500)


class ReceiveForm(forms.Form):
    """Receiving one case's return: per case line how many are restocked and written off ("restock_<id>",
    "writeoff_<id>"), the location restocked items go to (one of the locations of the warehouses serving the shop,
    evaluated once by the page for all its forms), the inspection note."""

    location = forms.TypedChoiceField(label=_("Restock into"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(label=_("Inspection note"), max_length=500, required=False)

    def __init__(self, *args, case_lines=(), locations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.case_lines = list(case_lines)
        self.locations = {loc.pk: loc for loc in locations}
        self.fields["location"].choices = [("", "—"), *((loc.pk, str(loc)) for loc in locations)]
        for line in self.case_lines:
            self.fields[f"restock_{line.pk}"] = forms.IntegerField(
                label=_("Restocked"), min_value=0, max_value=line.quantity, initial=line.quantity, required=False)
            self.fields[f"writeoff_{line.pk}"] = forms.IntegerField(
                label=_("Written off"), min_value=0, max_value=line.quantity, initial=0, required=False)
        if len(self.locations) == 1:
            self.fields["location"].initial = next(iter(self.locations))

    def clean_location(self):
        pk = self.cleaned_data.get("location")
        return self.locations.get(pk) if pk is not None else None

    def rows(self):
        return [{"line": line, "restock": self[f"restock_{line.pk}"], "writeoff": self[f"writeoff_{line.pk}"]}
                for line in self.case_lines]

    def inspection(self) -> dict[int, tuple[int, int]]:
        d = self.cleaned_data
        return {line.pk: (d.get(f"restock_{line.pk}") or 0, d.get(f"writeoff_{line.pk}") or 0)
                for line in self.case_lines}


def _month_start() -> date:
    return clock.today().replace(day=1)


class RegisterForm(forms.Form):
    """The returns register's filter: a shop (or all of the person's shops) and a date range, this month by
    default."""

    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None, required=False, empty_label=_("All my shops"))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, shops=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops

    def period(self) -> tuple:
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("start") or _month_start()
        end = data.get("end") or clock.today()
        if end < start:
            start, end = end, start
        return data.get("shop"), start, end


class CaseFilter(django_filters.FilterSet):
    """The case list searched by order number or return tracking number, or narrowed to one shop."""

    q = django_filters.CharFilter(label=_("Order or return tracking number"), method="search")
    shop = django_filters.ChoiceFilter(label=_("Shop"), field_name="shop__code", choices=())

    class Meta:
        model = Case
        fields = ["q", "shop"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shopdesk.channels.selectors import shops_visible_to

        request = kwargs.get("request")
        shops = shops_visible_to(request.user).order_by("code") if request is not None else []
        self.filters["shop"].extra["choices"] = [(s.code, s.name) for s in shops]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(order__platform_order_no__icontains=value) | Q(return_tracking_no__icontains=value))
