"""Forms of the review pages: manual entry, a follow-up, the outcome, the import, the thank-you template, the week of
the report, and the list's filters."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.fulfillment.uploads import DataFileField
from shopdesk.reviews.models import FollowUp, Review

DATETIME = {"type": "datetime-local"}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class ReviewForm(forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    platform_review_id = forms.CharField(label=_("Platform review id"), max_length=80)
    platform_order_no = forms.CharField(label=_("Order number"), max_length=64, required=False,
                                        help_text=_("The order is linked when it is in ShopDesk."))
    item_title = forms.CharField(label=_("Item"), max_length=200, required=False)
    buyer_platform_id = forms.CharField(label=_("Buyer account"), max_length=80, required=False)
    rating = forms.ChoiceField(label=_("Rating"), choices=Review.Rating.choices)
    category = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *Review.Category.choices], required=False)
    posted_at = forms.DateTimeField(label=_("Posted at"), widget=forms.DateTimeInput(attrs=DATETIME),
                                    input_formats=DATETIME_FORMATS, help_text=_("China time."))
    text = forms.CharField(label=_("Review text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops_visible_to(user).order_by("code")


class FollowUpForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=FollowUp.Channel.choices)
    result = forms.ChoiceField(label=_("Result"), choices=FollowUp.Result.choices)
    promised_at = forms.DateTimeField(label=_("Buyer promised to change it by"), required=False,
                                      widget=forms.DateTimeInput(attrs=DATETIME), input_formats=DATETIME_FORMATS)
    next_contact_at = forms.DateTimeField(label=_("Next contact"), required=False,
                                          widget=forms.DateTimeInput(attrs=DATETIME), input_formats=DATETIME_FORMATS)
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[c for c in Review.Outcome.choices if c[0]])
    compensation = forms.DecimalField(label=_("Compensation offered (¥)"), required=False, max_digits=12,
                                      decimal_places=2, min_value=0)
    explanation = forms.CharField(label=_("Explanation posted"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class ImportForm(forms.Form):
    shop = forms.ModelChoiceField(label=_("Shop"), queryset=None)
    file = DataFileField(label=_("Review export"), help_text=_(
        "xlsx or CSV (UTF-8 or GBK) with the columns 评价ID, 订单编号, 评价等级 and 评价时间; 商品名称, 商家编码, "
        "评价内容, 原因分类 and 买家昵称 are optional."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops_visible_to(user).order_by("code")


class SettingsForm(forms.Form):
    thank_you_template = forms.CharField(
        label=_("Thank-you template"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("{买家} is replaced by the buyer's account and {商品} by the item."))


class ReviewFilter(django_filters.FilterSet):
    shop = django_filters.ModelChoiceFilter(label=_("Shop"), queryset=None, field_name="shop")
    rating = django_filters.ChoiceFilter(label=_("Rating"), choices=Review.Rating.choices)
    category = django_filters.ChoiceFilter(label=_("Reason"), choices=Review.Category.choices)
    q = django_filters.CharFilter(label=_("Order or review id"), method="search")

    class Meta:
        model = Review
        fields = ["shop", "rating", "category"]

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.filters["shop"].queryset = shops_visible_to(request.user).order_by("code")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(platform_order_no=value) | queryset.filter(platform_review_id=value)
