"""The supervisor's form for a shop's own-site chat widget (the service validates the sites)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class WidgetSettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Chat open on the website"), required=False)
    allowed_origins = forms.CharField(
        label=_("Allowed sites"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One site per line, e.g. https://shop.example.com. Left empty, any website may embed the chat."))
    greeting = forms.CharField(label=pgettext_lazy("chat widget", "Greeting"), max_length=200, required=False,
                               help_text=_("The first message the buyer sees when opening the chat."))
