"""Customer service (客服, product.md §2.7): conversations with buyers beside their orders, canned replies, the
own-site chat widget, discount requests beyond an agent's authority, quality inspection, the duty roster and the
monthly reward/penalty score sheet.

A conversation is one thread per buyer per shop (`buyer_id` is the platform account, or the widget visitor's id).
Messages carry what the KPIs need, written once when the message is stored (live or imported), so a month of a
million messages is aggregated by the database without replaying threads:
- `intent` / `confidence`: the classifier's reading of a buyer message (`intents.classify`);
- `response_seconds`: for an agent message that answers waiting buyer messages, the seconds since the oldest of
  them; `first_response` marks the first such answer of the conversation on that (local) day.
The conversation keeps `waiting_since` (the oldest unanswered buyer message), so the queue is one indexed query.
"""

from __future__ import annotations

import secrets
from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from shopdesk.core import clock


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("conversations", "Open")
        WAITING = "waiting", _("Waiting for the buyer")
        CLOSED = "closed", pgettext_lazy("conversation", "Closed")

    class Channel(models.TextChoices):
        WIDGET = "widget", _("Own-site chat")
        PLATFORM = "platform", _("Platform chat (imported)")
        API = "api", _("API")

    shop = models.ForeignKey("channels.Shop", verbose_name=_("shop"), on_delete=models.PROTECT,
                             related_name="conversations")
    buyer_id = models.CharField(_("buyer account"), max_length=80)
    buyer_nick = models.CharField(_("buyer"), max_length=80, blank=True)
    channel = models.CharField(pgettext_lazy("conversation", "channel"), max_length=10, choices=Channel.choices,
                               default=Channel.API)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    tags = models.JSONField(_("tags"), default=list, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True,
                                         help_text="the oldest buyer message not yet answered")
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Own-site chat: sha256 of the secret the buyer's browser holds (never the secret itself).
    visitor_key_hash = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ["-last_message_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["shop", "buyer_id"], name="one_conversation_per_buyer")]
        indexes = [models.Index(fields=["status", "waiting_since"], name="service_conv_queue")]
        permissions = [("reply_conversation", "Can answer buyers in conversations")]

    def __str__(self) -> str:
        return f"{self.buyer_nick or self.buyer_id}"


class Message(models.Model):
    class Direction(models.TextChoices):
        BUYER = "buyer", _("Buyer")
        AGENT = "agent", _("Agent")
        SYSTEM = "system", _("System")
        NOTE = "note", _("Private note")

    class Source(models.TextChoices):
        WIDGET = "widget", _("Own-site chat")
        IMPORT = "import", _("Chat-log import")
        API = "api", _("API")
        WORKBENCH = "workbench", _("Workbench")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    shop = models.ForeignKey("channels.Shop", on_delete=models.PROTECT, related_name="+",
                             help_text="the conversation's shop, repeated for the KPI aggregates")
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    agent_name = models.CharField(_("agent name"), max_length=80, blank=True,
                                  help_text="as the chat log names the agent (imported platform chats)")
    text = models.TextField(_("text"), max_length=2000)
    sent_at = models.DateTimeField(_("sent at"), default=clock.now)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.API)
    intent = models.CharField(_("intent"), max_length=20, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    response_seconds = models.PositiveIntegerField(_("response time (s)"), null=True, blank=True)
    first_response = models.BooleanField(_("first response of the day"), default=False)
    # Imported rows: sha256 of (time, direction, agent, text) so a chat log imported twice adds nothing.
    external_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["sent_at", "id"]
        constraints = [models.UniqueConstraint(fields=["conversation", "external_key"],
                                               condition=~models.Q(external_key=""), name="unique_imported_message")]
        indexes = [models.Index(fields=["conversation", "sent_at"], name="service_msg_thread"),
                   models.Index(fields=["sent_at", "shop"], name="service_msg_kpi")]
        permissions = [("import_chatlog", "Can import platform chat logs")]

    def __str__(self) -> str:
        return self.text[:40]


class ReplyGroup(models.TextChoices):
    """The eight in-sale steps of 003 and the after-sales topics: how canned replies are grouped."""
    GREET = "greet", "招呼"
    ASK = "ask", "询问"
    RECOMMEND = "recommend", "推荐"
    BARGAIN = "bargain", "议价"
    SHIPPING = "shipping", "快递"
    VERIFY = "verify", "核实"
    FAREWELL = "farewell", "道别"
    FOLLOW_UP = "follow_up", "跟进"
    TRACKING = "tracking", "查件"
    MISSING = "missing", "少货"
    QUALITY = "quality", "质量问题"
    RETURNS = "returns", "退换货"
    BAD_REVIEW = "bad_review", "中差评"


class CannedReply(models.Model):
    """A 快捷短语: shop-wide (owner empty) or personal; for one shop or every shop (shop empty). `intents` lists the
    buyer intents it answers; a bargaining reply names its step of the playbook (1 refuse, 2 pull back with the
    promotion, 3 lead to value, 4 close)."""

    group = models.CharField(_("group"), max_length=12, choices=ReplyGroup.choices)
    title = models.CharField(_("title"), max_length=40)
    text = models.CharField(_("text"), max_length=500)
    shortcut = models.CharField(_("shortcut"), max_length=20, blank=True)
    search_key = models.CharField(max_length=200, blank=True, editable=False,
                                  help_text="title, shortcut and their pinyin initials, for the quick search")
    intents = models.JSONField(_("intents"), default=list, blank=True)
    bargain_step = models.PositiveSmallIntegerField(_("bargaining step"), null=True, blank=True)
    shop = models.ForeignKey("channels.Shop", verbose_name=_("shop"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="canned_replies")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("personal to"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="canned_replies")
    sort = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["group", "sort", "id"]

    def __str__(self) -> str:
        return self.title


class DiscountRequest(models.Model):
    """A discount a buyer asked for that is beyond the agent's authority: the supervisor approves or refuses it
    (003:548, 一拒二拉三引四斩)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the supervisor")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Refused")

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="discount_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=clock.now)

    class Meta:
        verbose_name = _("discount request")
        verbose_name_plural = _("discount requests")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_discount", "Can approve discounts beyond an agent's authority")]

    def __str__(self) -> str:
        return f"{self.percent}% ({self.get_state_display()})"


def new_widget_key() -> str:
    """24 URL-safe characters (144 random bits): the public key a shop's website embeds."""
    return secrets.token_urlsafe(18)


class ChatWidget(models.Model):
    """The own-site chat a shop embeds on its website: its public key, the sites allowed to embed it, the greeting."""

    shop = models.OneToOneField("channels.Shop", on_delete=models.CASCADE, related_name="chat_widget")
    key = models.CharField(_("widget key"), max_length=32, unique=True, default=new_widget_key)
    enabled = models.BooleanField(_("enabled"), default=True)
    allowed_origins = models.TextField(_("allowed sites"), blank=True,
                                       help_text=_("One origin per line, e.g. https://shop.example.com"))
    greeting = models.CharField(_("greeting"), max_length=200, default="亲，您好！有什么可以帮您的吗？")

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return f"chat widget of shop #{self.shop_id}"


def _default_quality_weights():
    return {"forbidden_phrase": 10, "rude_word": 20, "personal_data": 30, "wo_over_nin": 5, "unanswered": 15,
            "slow_reply": 5, "no_farewell": 5}


def _default_score_weights():
    return {"quality": 40, "first_response": 20, "answered_30s": 10, "conversion": 30}


class ServiceSettings(models.Model):
    """Department-wide customer-service settings (one row): chat hours, slow-reply threshold, quality-rule weights,
    score-sheet weights and the payroll day."""

    chat_opens = models.TimeField(_("chat opens"), default=time(9, 30))
    chat_closes = models.TimeField(_("chat closes"), default=time(18, 30))
    slow_reply_seconds = models.PositiveIntegerField(_("slow reply after (s)"), default=60)
    quality_weights = models.JSONField(_("quality rule weights"), default=_default_quality_weights)
    score_weights = models.JSONField(_("score sheet weights"), default=_default_score_weights)
    payroll_day = models.PositiveSmallIntegerField(_("payroll day of the month"), default=10)

    class Meta:
        verbose_name = _("customer service settings")
        verbose_name_plural = _("customer service settings")

    def __str__(self) -> str:
        return "customer service settings"


class QualityScore(models.Model):
    """Quality inspection (质检) of one conversation on one day: the rule score with its findings, and the
    supervisor's manual score and comment."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="quality_scores")
    day = models.DateField(_("day"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    auto_score = models.PositiveSmallIntegerField(_("rule score"))
    findings = models.JSONField(_("findings"), default=list, blank=True)
    manual_score = models.PositiveSmallIntegerField(_("manual score"), null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("quality score")
        verbose_name_plural = _("quality scores")
        ordering = ["auto_score", "-day", "id"]
        constraints = [models.UniqueConstraint(fields=["conversation", "day"], name="one_quality_score_per_day")]
        permissions = [("inspect_quality", "Can inspect conversation quality")]

    def __str__(self) -> str:
        return f"QC {self.day} #{self.conversation_id}: {self.score}"

    @property
    def score(self) -> int:
        return self.manual_score if self.manual_score is not None else self.auto_score


class Shift(models.Model):
    """A shift of the duty roster; a shift may end after midnight (night 17:00-01:00, 003:630)."""

    name = models.CharField(_("name"), max_length=20, unique=True)
    start = models.TimeField(_("starts"))
    end = models.TimeField(_("ends"))

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["start", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.start:%H:%M}-{self.end:%H:%M}"


class RosterEntry(models.Model):
    """值班表: who works which shift on which day."""

    day = models.DateField(_("day"))
    shift = models.ForeignKey(Shift, verbose_name=_("shift"), on_delete=models.PROTECT, related_name="entries")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.CASCADE,
                              related_name="roster_entries")

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        ordering = ["day", "shift__start", "id"]
        constraints = [models.UniqueConstraint(fields=["day", "shift", "agent"], name="one_roster_entry")]

    def __str__(self) -> str:
        return f"{self.day} {self.shift.name} {self.agent}"


class ScoreSheet(models.Model):
    """The monthly reward/penalty score sheet of one agent (003:552): built from the KPIs and quality scores with the
    configured weights, adjusted by the supervisor, submitted for the manager's approval by the day before payroll."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Sent back")

    month = models.DateField(_("month"), help_text="the first day of the month")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), on_delete=models.PROTECT,
                              related_name="score_sheets")
    measures = models.JSONField(_("measures"), default=dict)
    computed_score = models.DecimalField(_("computed score"), max_digits=6, decimal_places=2)
    adjustment = models.DecimalField(_("supervisor adjustment"), max_digits=6, decimal_places=2, default=0)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    due_on = models.DateField(_("due on"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("score sheet")
        verbose_name_plural = _("score sheets")
        ordering = ["-month", "agent_id"]
        constraints = [models.UniqueConstraint(fields=["month", "agent"], name="one_score_sheet_per_month")]
        permissions = [("approve_scoresheet", "Can approve monthly score sheets"),
                       ("view_kpi", "Can see customer-service KPIs")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.agent}"

    @property
    def total(self):
        return self.computed_score + self.adjustment
