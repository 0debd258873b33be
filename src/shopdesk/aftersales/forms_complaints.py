"""Forms of the complaint pages: a new complaint, the next step (notes; the cause at "record"; the resolution and
any compensation at "resolve") and the follow-up call."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from shopdesk.aftersales.models import Complaint


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        profile = getattr(obj, "staff_profile", None)
        name = getattr(profile, "display_name", "") if profile is not None else ""
        return f"{name} ({obj.username})" if name else obj.username


class ComplaintForm(forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    order_no = forms.CharField(label=_("Order number"), max_length=64, required=False,
                               help_text=_("Optional: the order the complaint is about."))
    buyer_platform_id = forms.CharField(label=_("Buyer account"), max_length=80, required=False)
    summary = forms.CharField(label=_("What the buyer complains about"), max_length=500,
                              widget=forms.Textarea(attrs={"rows": 3}))
    against_staff = StaffChoiceField(
        label=_("Against a staff member"), queryset=None, required=False, empty_label=_("Nobody named"),
        help_text=_("Only supervisors see a complaint against a named person."))

    def __init__(self, *args, shops=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        self.fields["against_staff"].queryset = (get_user_model().objects.filter(is_active=True)
                                                 .select_related("staff_profile").order_by("username"))


class ComplaintStepForm(forms.Form):
    """The next step of a complaint; which fields matter depends on the step (the service says what is missing)."""

    notes = forms.CharField(label=_("Notes"), max_length=2000, required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))
    cause = forms.ChoiceField(label=_("Cause"), required=False, choices=[("", "—"), *Complaint.Cause.choices])
    resolution = forms.CharField(label=_("Resolution"), max_length=500, required=False)
    compensation = forms.DecimalField(label=_("Compensation"), max_digits=12, decimal_places=2, min_value=0,
                                      required=False)
    # The step the page showed: a second click of the same button does not skip a step.
    from_step = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, target: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        steps = list(Complaint.Step.values)
        if target in steps and steps.index(target) > 0:
            self.fields["from_step"].initial = steps[steps.index(target) - 1]
        if target != Complaint.Step.RECORD:
            del self.fields["cause"]
        else:
            self.fields["cause"].required = True
        if target != Complaint.Step.RESOLVE:
            del self.fields["resolution"]
            del self.fields["compensation"]
        else:
            self.fields["resolution"].required = True


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("What the buyer said on the follow-up call"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))
