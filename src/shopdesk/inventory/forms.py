"""Forms of the warehouse pages. They parse what people type (lines of "SKU quantity", location ranges); the
services decide what is allowed."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shopdesk.channels.models import Shop
from shopdesk.core import clock
from shopdesk.inventory import selectors
from shopdesk.inventory.models import Location, Warehouse, Zone
from shopdesk.inventory.services import LineInput, ReceiptLineInput

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


def _warehouse_choices(active_only: bool = True):
    qs = Warehouse.objects.order_by("priority", "id")
    return qs.filter(is_active=True) if active_only else qs


def parse_lines(text: str) -> list[LineInput]:
    """'SKU-CODE QUANTITY' per line (a tab, comma or spaces between; blank lines ignored), as scanned or pasted
    from Excel. Raises ValidationError naming each malformed line."""
    lines, problems = [], []
    for n, raw in enumerate((text or "").splitlines(), 1):
        row = raw.strip()
        if not row:
            continue
        parts = [p for p in re.split(r"[\s,;，；]+", row) if p]
        if len(parts) != 2:
            problems.append(gettext("Line %(n)d: write the SKU code and the quantity, e.g. \"ABC-01 12\" (got "
                                    "\"%(row)s\")") % {"n": n, "row": row})
            continue
        lines.append(LineInput(sku=parts[0], quantity=parts[1]))
    if problems:
        raise forms.ValidationError(problems)
    if not lines:
        raise forms.ValidationError(gettext("Add at least one line."))
    return lines


_RANGE = re.compile(r"^(?P<start>.*?)(?P<a>\d+)\s*(?:\.\.|~|～)\s*(?P<end>.*?)(?P<b>\d+)$")


def expand_location_codes(text: str) -> list[str]:
    """Location codes, one per line; 'A-01-01..A-01-10' expands to ten codes, keeping the zero padding."""
    codes, problems = [], []
    for n, raw in enumerate((text or "").splitlines(), 1):
        row = raw.strip()
        if not row:
            continue
        match = _RANGE.match(row)
        if not match:
            codes.append(row)
            continue
        prefix, a, b = match["start"], match["a"], match["b"]
        if match["end"] not in ("", prefix) or int(b) < int(a) or int(b) - int(a) > 500:
            problems.append(gettext("Line %(n)d: a range is written like A-01-01..A-01-10 (at most 500 codes)")
                            % {"n": n})
            continue
        width = len(a)
        codes.extend(f"{prefix}{i:0{width}d}" for i in range(int(a), int(b) + 1))
    if problems:
        raise forms.ValidationError(problems)
    if not codes:
        raise forms.ValidationError(gettext("Give at least one location code."))
    return codes


class WarehouseForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30, help_text=_("Short code, e.g. HZ."))
    name = forms.CharField(label=_("Name"), max_length=60)
    priority = forms.IntegerField(label=_("Priority"), min_value=0, initial=100,
                                  help_text=_("Lower first when an order may ship from several warehouses."))
    shops = forms.ModelMultipleChoiceField(label=_("Shops served"), queryset=Shop.objects.order_by("code"),
                                           required=False, widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
        else:
            del self.fields["is_active"]


class ZoneForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, help_text=_("E.g. RCV, A, B, RET."))
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("E.g. 收货区, 拣货区A, 退货区."))

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True


class LocationsForm(forms.Form):
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.none())
    codes = forms.CharField(label=_("Location codes"), widget=forms.Textarea(attrs={"rows": 6}),
                            help_text=_("One per line; a range like A-01-01..A-01-10 adds ten locations."))

    def __init__(self, *args, warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.filter(warehouse=warehouse)

    def clean_codes(self):
        return expand_location_codes(self.cleaned_data["codes"])


class LocationEditForm(forms.Form):
    zone = forms.ModelChoiceField(label=_("Zone"), queryset=Zone.objects.none())
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args, warehouse, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = Zone.objects.filter(warehouse=warehouse)


class LinesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "class": "mono"})

    def clean(self, value):
        return parse_lines(super().clean(value))


class PurchaseOrderForm(forms.Form):
    supplier = forms.CharField(label=_("Supplier"), max_length=100)
    warehouse = forms.ModelChoiceField(label=_("Deliver to"), queryset=Warehouse.objects.none())
    expected_on = forms.DateField(label=_("Expected delivery"), required=False,
                                  widget=forms.DateInput(**DATE_WIDGET))
    number = forms.CharField(label=_("Number"), max_length=30, required=False,
                             help_text=_("Leave empty for the next number (CG + date)."))
    lines = LinesField(label=_("Lines"), help_text=_("One SKU per line: SKU code and quantity, e.g. \"ABC-01 12\". "
                                                     "Pasting two columns from Excel works."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouse_choices()


class ReceiptForm(forms.Form):
    """The delivery, then one row per open purchase-order line: expected, received, location."""

    delivery_note_number = forms.CharField(label=_("Delivery note number"), max_length=60)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(**DATE_WIDGET))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, po_lines, warehouse, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("received_on", clock.today())
        super().__init__(*args, **kwargs)
        self.po_lines = list(po_lines)
        locations = list(selectors.active_locations(warehouse))
        default = selectors.default_receiving_location(warehouse)
        choices = [(loc.pk, f"{loc.code} · {loc.zone.name}") for loc in locations]
        self.rows = []
        for line in self.po_lines:
            key = str(line.pk)
            self.fields[f"expected_{key}"] = forms.IntegerField(min_value=0, initial=line.outstanding,
                                                                label=_("Expected"))
            self.fields[f"received_{key}"] = forms.IntegerField(min_value=0, required=False, label=_("Received"),
                                                                widget=forms.NumberInput(attrs={"class": "qty"}))
            self.fields[f"location_{key}"] = forms.TypedChoiceField(choices=choices, coerce=int,
                                                                    initial=default.pk if default else None,
                                                                    label=_("Location"))
            self.rows.append({"line": line, "expected": self[f"expected_{key}"],
                              "received": self[f"received_{key}"], "location": self[f"location_{key}"]})
        self._locations = {loc.pk: loc for loc in locations}

    def receipt_lines(self) -> list[ReceiptLineInput]:
        """The rows that expect or received something (a fully received order line left empty is no line)."""
        d = self.cleaned_data
        lines = []
        for row in self.rows:
            key = row["line"].pk
            received, expected = d.get(f"received_{key}") or 0, d.get(f"expected_{key}")
            if received or expected:
                lines.append(ReceiptLineInput(sku=row["line"].sku, received=received, expected=expected,
                                              location=self._locations.get(d.get(f"location_{key}"))))
        return lines


class PutAwayForm(forms.Form):
    """One line's put-away: the shelf locations are read once for the whole receipt and passed in."""

    to_location = forms.TypedChoiceField(label=_("To location"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)

    def __init__(self, *args, line, locations, **kwargs):
        kwargs.setdefault("initial", {"quantity": line.to_put_away})
        kwargs.setdefault("prefix", f"line{line.pk}")
        super().__init__(*args, **kwargs)
        self._locations = {loc.pk: loc for loc in locations if loc.pk != line.location_id}
        self.fields["to_location"].choices = [("", "---------")] + [
            (loc.pk, f"{loc.code} · {loc.zone.name}") for loc in self._locations.values()]

    def clean_to_location(self):
        return self._locations[self.cleaned_data["to_location"]]


class MoveStockForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    sku = forms.CharField(label=_("SKU code or barcode"), max_length=60)
    from_location = forms.CharField(label=_("From location"), max_length=30)
    to_location = forms.CharField(label=_("To location"), max_length=30)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    reason = forms.CharField(label=_("Reason"), max_length=200, help_text=_("E.g. re-slotting zone A."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouse_choices()

    def clean(self):
        data = super().clean()
        warehouse = data.get("warehouse")
        if data.get("sku"):
            sku = selectors.identify_sku(data["sku"])
            if sku is None:
                self.add_error("sku", gettext("Unknown SKU or barcode %(c)s.") % {"c": data["sku"]})
            data["sku"] = sku
        if warehouse is not None:
            for key in ("from_location", "to_location"):
                if data.get(key):
                    location = selectors.find_location(warehouse, data[key])
                    if location is None:
                        self.add_error(key, gettext("No location %(c)s in %(w)s.") % {"c": data[key],
                                                                                      "w": warehouse.name})
                    data[key] = location
        return data


class TransferForm(forms.Form):
    from_warehouse = forms.ModelChoiceField(label=_("From warehouse"), queryset=Warehouse.objects.none())
    to_warehouse = forms.ModelChoiceField(label=_("To warehouse"), queryset=Warehouse.objects.none())
    lines = LinesField(label=_("Lines"), help_text=_("One SKU per line: SKU code and quantity, e.g. \"ABC-01 12\"."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_warehouse"].queryset = _warehouse_choices()
        self.fields["to_warehouse"].queryset = _warehouse_choices()


class TransferReceiveForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Receive into location"), queryset=Location.objects.none())

    def __init__(self, *args, transfer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = selectors.active_locations(transfer.to_warehouse)
        self.fields["location"].label_from_instance = lambda loc: f"{loc.code} · {loc.zone.name}"
        default = selectors.default_receiving_location(transfer.to_warehouse)
        if default is not None:
            self.fields["location"].initial = default.pk


class StocktakeForm(forms.Form):
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), queryset=Warehouse.objects.none())
    zone = forms.ModelChoiceField(label=_("Zone"), required=False, queryset=Zone.objects.none(),
                                  empty_label=_("Whole warehouse"),
                                  help_text=_("Count one zone, or leave empty for the whole warehouse."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False,
                           help_text=_("E.g. month-end count, daily count of zone A."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouse_choices()
        self.fields["zone"].queryset = Zone.objects.filter(warehouse__is_active=True).select_related("warehouse")
        self.fields["zone"].label_from_instance = lambda z: f"{z.warehouse.name} / {z.name} ({z.code})"


class ScanForm(forms.Form):
    code = forms.CharField(label=_("Scan"), max_length=80, required=False)


class CountForm(forms.Form):
    counted = forms.CharField(label=_("Counted"), max_length=10)


class SubmitStocktakeForm(forms.Form):
    zero_uncounted = forms.BooleanField(label=_("Count the lines not counted as 0 (nothing found there)"),
                                        required=False)


class ThresholdForm(forms.Form):
    reorder_point = forms.IntegerField(label=_("Reorder point"), min_value=0,
                                       help_text=_("Low when available stock is at or below this."))
    max_stock = forms.IntegerField(label=_("Maximum stock"), min_value=0,
                                   help_text=_("Overstocked above this; 0 = no maximum."))
    slow_days = forms.IntegerField(label=_("Slow-moving after (days without a sale)"), min_value=1)
    cover_days = forms.IntegerField(label=_("Days of sales a replenishment covers"), min_value=1)


class ReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=[("day", _("Daily")), ("week", _("Weekly")),
                                                           ("month", _("Monthly"))], initial="day")
    date = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(**DATE_WIDGET))
    warehouse = forms.ModelChoiceField(label=_("Warehouse"), required=False, queryset=Warehouse.objects.none(),
                                       to_field_name="code", empty_label=_("All warehouses"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = _warehouse_choices(active_only=False)


class CloseMonthForm(forms.Form):
    month = forms.TypedChoiceField(label=_("Month"), coerce=date.fromisoformat)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(m.isoformat(), f"{m:%Y-%m}") for m in selectors.closable_months()]

