"""Forms of the supervisor's pages: the KPI filters, the quality list filter and review, the roster entry and shift
times, the score sheet actions and the CS settings. Forms only read what was typed; the rules are the services'."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.service import kpis, quality, selectors_team, services_team
from shopdesk.service.models import QualityScore, Shift

DATE = {"type": "date"}
PERIOD_LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
RULE_LABELS = {
    "forbidden_phrase": _("Absolute promises (肯定/保证/绝对)"),
    "rude_word": _("Rude words"),
    "personal_data": _("Another buyer's personal data"),
    "wo_over_nin": _("“我” much more than “您”"),
    "unanswered": _("Buyer left unanswered at the end"),
    "slow_reply": _("Slow reply"),
    "no_farewell": _("No farewell"),
}
COMPONENT_LABELS = {
    "quality": _("Quality score"),
    "first_response": _("First response time"),
    "answered_30s": _("Answered within 30 s"),
    "conversion": _("Inquiry→order conversion"),
}


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return selectors_team.person_name(obj)


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (the browser's month input); cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"})

    def to_python(self, value):
        value = (super().to_python(value) or "").strip()
        if not value:
            return None
        try:
            return datetime.strptime(value[:7], "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give the month as YYYY-MM.")) from None


class KpiFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Per"), choices=list(PERIOD_LABELS.items()), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None, required=False, to_field_name="code",
                                  empty_label=_("All my shops"))
    agent = PersonChoiceField(label=_("Agent"), queryset=None, required=False, empty_label=_("Everyone"))

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["shop"].queryset = shops_visible_to(user).order_by("code")
        self.fields["agent"].queryset = selectors_team.cs_people_for(user)

    def clean(self):
        data = super().clean()
        today = clock.today()
        data["period"] = data.get("period") or "day"
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"].replace(day=1)
        if data["end"] < data["start"]:
            self.add_error("end", _("The range ends before it starts."))
        elif (data["end"] - data["start"]).days >= kpis.MAX_DAYS:
            self.add_error("start", _("Choose at most %(n)d days.") % {"n": kpis.MAX_DAYS})
        return data

    def values(self) -> dict:
        """The cleaned filters, or the defaults (this month so far, per day) when they are not valid."""
        if self.is_valid():
            return self.cleaned_data
        today = clock.today()
        return {"period": "day", "start": today.replace(day=1), "end": today, "shop": None, "agent": None}


class QualityFilter(django_filters.FilterSet):
    start = django_filters.DateFilter(label=_("From"), field_name="day", lookup_expr="gte",
                                      widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    end = django_filters.DateFilter(label=_("To"), field_name="day", lookup_expr="lte",
                                    widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    agent = django_filters.ModelChoiceFilter(label=_("Agent"), queryset=None, field_name="agent")
    shop = django_filters.ChoiceFilter(label=_("Shop"), field_name="conversation__shop__code", choices=())
    reviewed = django_filters.ChoiceFilter(label=_("Reviewed"), method="filter_reviewed",
                                           choices=[("no", _("Not reviewed")), ("yes", _("Reviewed"))])

    class Meta:
        model = QualityScore
        fields = ["start", "end", "agent", "shop", "reviewed"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = kwargs.get("request")
        user = request.user
        self.filters["shop"].extra["choices"] = [(s.code, s.name) for s in shops_visible_to(user).order_by("code")]
        self.filters["agent"].queryset = selectors_team.cs_people_for(user)
        self.filters["agent"].extra["queryset"] = selectors_team.cs_people_for(user)

    def filter_reviewed(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(reviewed_by__isnull=False)
        if value == "no":
            return queryset.filter(reviewed_by__isnull=True)
        return queryset


class InspectDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


class ReviewForm(forms.Form):
    manual_score = forms.IntegerField(label=_("Your score"), min_value=0, max_value=100, required=False,
                                      help_text=_("0-100; leave empty to keep the rule score."))
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required when your score differs from the rule score."))


class RosterEntryForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    shift = forms.ModelChoiceField(label=_("Shift"), queryset=Shift.objects.order_by("start", "id"))
    agent = PersonChoiceField(label=_("Agent"), queryset=None)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = selectors_team.cs_people()


class ShiftForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=20)
    start = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end = forms.TimeField(label=_("Ends"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                          help_text=_("An end at or before the start is the next morning."))


class MonthForm(forms.Form):
    month = MonthField(label=_("Month"))


class AdjustForm(forms.Form):
    adjustment = forms.DecimalField(label=_("Adjustment (points)"), max_digits=6, decimal_places=2,
                                    min_value=-services_team.MAX_ADJUSTMENT, max_value=services_team.MAX_ADJUSTMENT)
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("Required when the adjustment is not zero."))


class DecisionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False,
                             help_text=_("Required to send the sheet back."))


class SettingsForm(forms.Form):
    chat_opens = forms.TimeField(label=_("Chat opens"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    chat_closes = forms.TimeField(label=_("Chat closes"),
                                  widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    slow_reply_seconds = forms.IntegerField(label=_("Slow reply after (s)"), min_value=5, max_value=3600)
    payroll_day = forms.IntegerField(label=_("Payroll day of the month"), min_value=1, max_value=28,
                                     help_text=_("Score sheets are due the day before."))

    def __init__(self, *args, settings=None, **kwargs):
        if settings is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = {
                "chat_opens": settings.chat_opens, "chat_closes": settings.chat_closes,
                "slow_reply_seconds": settings.slow_reply_seconds, "payroll_day": settings.payroll_day,
                **{f"q_{k}": v for k, v in (settings.quality_weights or {}).items()},
                **{f"s_{k}": v for k, v in (settings.score_weights or {}).items()}}
        super().__init__(*args, **kwargs)
        for code in quality.RULE_CODES:
            self.fields[f"q_{code}"] = forms.IntegerField(label=RULE_LABELS[code], min_value=0, max_value=100)
        for key in services_team.COMPONENTS:
            self.fields[f"s_{key}"] = forms.IntegerField(label=COMPONENT_LABELS[key], min_value=0, max_value=100)

    def general_fields(self):
        return [self[name] for name in ("chat_opens", "chat_closes", "slow_reply_seconds", "payroll_day")]

    def quality_fields(self):
        return [self[f"q_{code}"] for code in quality.RULE_CODES]

    def score_fields(self):
        return [self[f"s_{key}"] for key in services_team.COMPONENTS]

    def service_values(self) -> dict:
        d = self.cleaned_data
        return {"chat_opens": d["chat_opens"], "chat_closes": d["chat_closes"],
                "slow_reply_seconds": d["slow_reply_seconds"], "payroll_day": d["payroll_day"],
                "quality_weights": {code: d[f"q_{code}"] for code in quality.RULE_CODES},
                "score_weights": {key: d[f"s_{key}"] for key in services_team.COMPONENTS}}


def week_param(value: str | None) -> date:
    """The Monday of the week a `?week=YYYY-MM-DD` names (this week when missing or malformed)."""
    try:
        day = date.fromisoformat((value or "").strip())
    except ValueError:
        day = clock.today()
    return day - timedelta(days=day.weekday())

