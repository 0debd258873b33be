"""Reviews (评价, product.md §2.6): one row per platform review of an order line, with the follow-up deadlines of a
neutral or negative one stored on it, the contact attempts, and the outcome.

The four deadlines are computed once from the posting time (`deadlines.of`) and stored, so the queues are indexed
range queries: follow up within 48 hours (004:62), takes effect after 3 days, can be changed for 30 days, and the
shop's explanation is due on the last day of that window (003).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopdesk.core import clock

MONEY = {"max_digits": 12, "decimal_places": 2}


class Review(models.Model):
    class Rating(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    class Category(models.TextChoices):
        COLOUR = "colour", "色差"
        SMELL = "smell", "气味"
        PRICE = "price", "价格"
        QUALITY = "quality", "质量"
        COURIER = "courier", "物流"
        SERVICE = "service", "服务"
        MALICIOUS = "malicious", "恶意差评"
        OTHER = "other", "其他"

    class Outcome(models.TextChoices):
        NONE = "", _("None yet")
        MODIFIED = "modified", _("Buyer modified the review")
        COMPENSATED = "compensated", _("Not modified, compensation offered")
        EXPLAINED = "explained", _("Explanation posted")

    shop = models.ForeignKey("channels.Shop", on_delete=models.PROTECT, related_name="reviews")
    platform_review_id = models.CharField(_("platform review id"), max_length=80)
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="reviews")
    order_line = models.ForeignKey("orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="reviews")
    platform_order_no = models.CharField(_("platform order number"), max_length=64, blank=True)
    buyer_platform_id = models.CharField(_("buyer account"), max_length=80, blank=True)
    item_title = models.CharField(_("item"), max_length=200, blank=True)
    sku = models.ForeignKey("catalog.SKU", null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, db_index=True)
    # The rating as the buyer first posted it: a negative review the buyer later changed still counts as negative in
    # the weekly cause report and in "done" (the platform's current rating is `rating`).
    first_rating = models.CharField(_("rating as posted"), max_length=10, choices=Rating.choices, blank=True,
                                    db_default="")
    text = models.TextField(_("review"), blank=True)
    posted_at = models.DateTimeField(_("posted at"))
    category = models.CharField(_("reason"), max_length=10, choices=Category.choices, blank=True)
    # Deadlines of a neutral/negative review (null for positive ones).
    follow_up_due_at = models.DateTimeField(_("follow up by"), null=True, blank=True)
    takes_effect_at = models.DateTimeField(_("takes effect at"), null=True, blank=True)
    modifiable_until = models.DateTimeField(_("can be modified until"), null=True, blank=True)
    explanation_due_at = models.DateTimeField(_("explanation due"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact"), null=True, blank=True)
    next_contact_at = models.DateTimeField(_("next contact"), null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="reviews_owned")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True, db_index=True)
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    outcome_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    compensation = models.DecimalField(_("compensation"), default=Decimal("0"), **MONEY)
    compensation_approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                                 on_delete=models.PROTECT, related_name="+")
    explanation = models.TextField(_("explanation"), blank=True)
    thank_you = models.CharField(_("thank-you reply"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        ordering = ["-posted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["shop", "platform_review_id"], name="one_review_per_id")]
        indexes = [
            # The queues: open (no outcome) reviews by each deadline.
            models.Index(fields=["outcome", "follow_up_due_at"], name="review_follow_up_queue"),
            models.Index(fields=["outcome", "explanation_due_at"], name="review_explanation_queue"),
            models.Index(fields=["shop", "posted_at"], name="review_shop_time"),
        ]
        permissions = [("approve_compensation", "Can approve compensation offered for a review")]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} {self.platform_review_id}"

    @property
    def needs_follow_up(self) -> bool:
        return self.rating in (self.Rating.NEUTRAL, self.Rating.NEGATIVE)

    @property
    def done(self) -> bool:
        return bool(self.outcome) or not self.needs_follow_up


class FollowUp(models.Model):
    """One attempt to reach the buyer about a review (003: note the time agreed for the next call)."""

    class Channel(models.TextChoices):
        CHAT = "chat", _("Chat")
        PHONE = "phone", pgettext_lazy("contact channel", "Phone")

    class Result(models.TextChoices):
        AGREED = "agreed", _("Agreed to modify")
        REFUSED = "refused", _("Refused")
        UNREACHABLE = "unreachable", pgettext_lazy("review follow-up", "Unreachable")
        BLOCKED = "blocked", _("Blocked us")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="follow_ups")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    promised_at = models.DateTimeField(_("buyer promised by"), null=True, blank=True)
    next_contact_at = models.DateTimeField(_("next contact"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField(_("time"), default=clock.now)

    class Meta:
        verbose_name = _("review follow-up")
        verbose_name_plural = _("review follow-ups")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.get_result_display()}"


class ReviewSettings(models.Model):
    """Per shop: the seller's thank-you text for positive reviews (003), with {买家} and {商品}."""

    shop = models.OneToOneField("channels.Shop", on_delete=models.CASCADE, related_name="review_settings")
    thank_you_template = models.CharField(
        _("thank-you template"), max_length=500,
        default="感谢{买家}亲对{商品}的认可与好评！您的满意是我们最大的动力，期待您再次光临本店。")

    class Meta:
        verbose_name = _("review settings")
        verbose_name_plural = _("review settings")

    def __str__(self) -> str:
        return f"review settings of shop #{self.shop_id}"
