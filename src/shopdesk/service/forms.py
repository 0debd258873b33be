"""Forms of the customer-service workbench pages: the reply and the private note, assignment and tags, the flagged
order note, the discount request and its decision, and the canned replies.

Forms only read what was typed; every rule (unknown variables, the authority limits, the shops) is the services' to
check, and their refusals come back beside the field they name (`shopdesk.web.forms.add_service_error`)."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from shopdesk.service import replies
from shopdesk.service.models import CannedReply, ReplyGroup
from shopdesk.service.services import MAX_TAGS, MAX_TEXT

_TAG_SPLIT = re.compile(r"[,，、;；\s]+")


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), max_length=MAX_TEXT, strip=True,
                           widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Private note"), max_length=MAX_TEXT, strip=True,
                           widget=forms.Textarea(attrs={"rows": 2}))


class TagsForm(forms.Form):
    tags = forms.CharField(label=_("Tags"), required=False, max_length=300,
                           help_text=_("Separated by commas or spaces."))

    def clean_tags(self) -> list[str]:
        return [t for t in _TAG_SPLIT.split(self.cleaned_data.get("tags") or "") if t][:MAX_TAGS + 1]


class OrderNoteForm(forms.Form):
    text = forms.CharField(label=_("Flagged note"), max_length=400, strip=True,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DiscountRequestForm(forms.Form):
    percent = forms.DecimalField(label=_("Discount %"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                                 max_value=Decimal("99.99"))
    note = forms.CharField(label=_("Note for the supervisor"), max_length=300, required=False)


class DiscountDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


INTENT_LABELS = {
    "greeting": _("Greeting"), "authenticity": _("Authentic?"), "product_quality": _("Product quality"),
    "size_fit": _("Size and fit"), "stock": _("Stock"), "bargain": _("Bargaining"), "promotion": _("Promotion"),
    "shipping_time": _("Shipping time"), "carrier": _("Carrier"), "cod": _("Cash on delivery"),
    "address_change": _("Address change"), "invoice": _("Invoice"), "tracking": _("Tracking"),
    "missing_item": _("Missing item"), "quality_problem": _("Quality problem"),
    "return_exchange": _("Return or exchange"), "refund": _("Refund"), "complaint": _("Complaint"),
    "review": _("Review"), "other": _("Other"),
}


def intent_choices() -> list[tuple[str, str]]:
    """The buyer intents a reply may answer, with their labels."""
    from shopdesk.service.intents import INTENTS

    return [(code, INTENT_LABELS.get(code, code)) for code in INTENTS]


class CannedReplyForm(forms.Form):
    """A canned reply; `scope` chooses personal or shop-wide (only for those who manage the shop's replies)."""

    scope = forms.ChoiceField(label=pgettext_lazy("canned reply", "For"),
                              choices=[("personal", _("Only me")), ("shop", _("The whole team"))])
    group = forms.ChoiceField(label=_("Group"), choices=ReplyGroup.choices)
    title = forms.CharField(label=_("Title"), max_length=40)
    text = forms.CharField(label=_("Text"), max_length=500, widget=forms.Textarea(attrs={"rows": 4}))
    shortcut = forms.CharField(label=_("Shortcut"), max_length=20, required=False,
                               help_text=_("Typed in the quick search, e.g. kd for 快递."))
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None, required=False, empty_label=_("Every shop"))
    intents = forms.MultipleChoiceField(label=_("Answers the buyer intents"), required=False, choices=(),
                                        widget=forms.SelectMultiple(attrs={"size": 6}))
    bargain_step = forms.TypedChoiceField(
        label=_("Bargaining step"), required=False, coerce=int, empty_value=None,
        choices=[("", "—"), (1, _("1 Refuse with the reason")), (2, _("2 Pull back with the promotion")),
                 (3, _("3 Lead to value")), (4, _("4 Close within authority"))])
    sort = forms.IntegerField(label=pgettext_lazy("sort order", "Order"), min_value=0, max_value=9999, required=False,
                              initial=0)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, shops, may_personal: bool, may_shop: bool, editing: CannedReply | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        self.fields["intents"].choices = intent_choices()
        self.fields["text"].help_text = gettext("Variables, filled from the conversation: %(vars)s") % {
            "vars": " ".join(f"{{{v}}}" for v in replies.VARIABLES)}
        scopes = [c for c in self.fields["scope"].choices
                  if (c[0] == "personal" and may_personal) or (c[0] == "shop" and may_shop)]
        self.fields["scope"].choices = scopes
        if editing is not None:
            # The scope of an existing reply does not change (a personal reply is copied, not promoted).
            del self.fields["scope"]
        else:
            del self.fields["active"]
            if scopes:
                self.fields["scope"].initial = scopes[0][0]

    def clean_sort(self):
        return self.cleaned_data.get("sort") or 0
