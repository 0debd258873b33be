from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.channels.models import Platform


class ShopForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40,
                           help_text=_("Short name used in imports and on the command line, e.g. tmall-main."))
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["platform"].disabled = True
        else:
            del self.fields["is_active"]
