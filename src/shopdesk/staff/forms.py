from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from shopdesk.channels.models import Shop
from shopdesk.core import clock
from shopdesk.staff.roles import ROLES

User = get_user_model()


def role_choices(exclude=()):
    return [(code, spec.name) for code, spec in ROLES.items() if code not in exclude]


class StaffMemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    display_name = forms.CharField(label=_("Full name"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=role_choices, widget=forms.CheckboxSelectMultiple,
                                      help_text=_("A person may hold several posts."))
    shops = forms.ModelMultipleChoiceField(label=_("Shops"), queryset=Shop.objects.all(), required=False,
                                           widget=forms.CheckboxSelectMultiple,
                                           help_text=_("Managers and administrators see every shop."))
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(render_value=False),
                               required=False, help_text=_("At least 8 characters; leave empty to set it later."))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["username"].disabled = True
            self.fields["password"].label = _("New password")
            self.fields["password"].help_text = _("Leave empty to keep the current password.")
        else:
            del self.fields["is_active"]


class StandInForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.filter(is_active=True)
                                  .select_related("staff_profile").order_by("username"))
    role = forms.ChoiceField(label=_("Role to stand in for"),
                             choices=lambda: [("", "---------"), *role_choices(exclude=("admin",))])
    # <input type="date"> needs ISO dates whatever the language's display format.
    starts_on = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("To (inclusive)"),
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False,
                             help_text=_("E.g. the after-sales agent is on leave."))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"starts_on": clock.today(), "ends_on": clock.today()})
        super().__init__(*args, **kwargs)
        self.fields["user"].label_from_instance = _person_label


def _person_label(user) -> str:
    profile = getattr(user, "staff_profile", None)
    name = profile.display_name if profile else ""
    return f"{name or user.username} ({user.username})"


class RoleLimitsForm(forms.Form):
    max_discount_percent = forms.DecimalField(label=_("Max discount %"), min_value=0, max_value=100, decimal_places=2)
    max_shipping_fee_change = forms.DecimalField(label=_("Max shipping-fee change (CNY)"), min_value=0,
                                                 decimal_places=2)
    max_refund = forms.DecimalField(label=_("Max refund (CNY)"), min_value=0, decimal_places=2)


class OwnPasswordForm(forms.Form):
    old_password = forms.CharField(label=_("Current password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("New password"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), help_text=_("At least 8 characters, not only digits."))
    new_password_again = forms.CharField(label=_("New password again"), widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data
