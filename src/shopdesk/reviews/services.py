"""Every write of reviews (评价, product.md §2.6): recording a review by hand or from the platform's export, the
follow-up log, the outcome, the seller's thank-you text and its per-shop template.

As everywhere: keyword-only arguments with the actor first, one transaction per action, the permission and the shop
checked, an audit event in the same transaction. A neutral or negative review gets its four deadlines stored
(`deadlines.of`) and a core Deadline "reviews.follow_up_48h" (004:62) owned by after-sales customer service and
escalated to the supervisor when missed (`core.services.sweep_deadlines`); the first follow-up closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from shopdesk.channels.selectors import check_shop_access
from shopdesk.core import audit, clock
from shopdesk.core import services as core_services
from shopdesk.core.errors import Conflict, NotAllowed, ServiceError
from shopdesk.core.models import Deadline
from shopdesk.reviews import deadlines
from shopdesk.reviews.models import FollowUp, Review, ReviewSettings
from shopdesk.staff.authz import authorize_actor
from shopdesk.staff.roles import APPROVE_COMPENSATION

VIEW = "reviews.view_review"
ADD = "reviews.add_review"
CHANGE = "reviews.change_review"
FOLLOW_UP = "reviews.add_followup"
SETTINGS = "reviews.change_reviewsettings"
RULE = "reviews.follow_up_48h"
R = Review.Rating
OUT = Review.Outcome
_REVIEW_FIELDS = ["shop", "platform_review_id", "platform_order_no", "rating", "category", "posted_at",
                  "follow_up_due_at", "modifiable_until"]
PLACEHOLDERS = ("{买家}", "{商品}")


def _authorize(actor, perm: str, shop=None):
    grant = authorize_actor(actor, perm)
    if shop is not None:
        check_shop_access(actor, shop)
    return grant


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


def _set_deadlines(review: Review) -> None:
    if review.needs_follow_up:
        d = deadlines.of(review.posted_at)
        review.follow_up_due_at, review.takes_effect_at = d.follow_up_due_at, d.takes_effect_at
        review.modifiable_until, review.explanation_due_at = d.modifiable_until, d.explanation_due_at
    else:
        review.follow_up_due_at = review.takes_effect_at = review.modifiable_until = review.explanation_due_at = None


def _open_follow_up_deadline(review: Review, actor) -> None:
    """The 48-hour clock of 004:62 in the shared deadlines (my deadlines, escalation to the supervisor)."""
    core_services.open_deadline(
        subject=review, rule=RULE, actor=actor, due_at=review.follow_up_due_at, owner_role="cs_aftersales",
        escalate_to_role="cs_supervisor",
        title=gettext("Contact the buyer about the %(rating)s review %(id)s") % {
            "rating": review.get_rating_display(), "id": review.platform_review_id})


def open_follow_up_deadline(review: Review) -> Deadline | None:
    ct = ContentType.objects.get_for_model(Review)
    return Deadline.objects.filter(rule=RULE, subject_type=ct, subject_id=str(review.pk),
                                   closed_at__isnull=True).first()


def _close_follow_up_deadline(review: Review, actor) -> None:
    deadline = open_follow_up_deadline(review)
    if deadline is not None:
        core_services.close_deadline(deadline=deadline, actor=actor)


def _clean_text(value, limit: int) -> str:
    return (value or "").strip()[:limit]


def _match_line(order, code: str, title: str):
    """The order line a review is about: by 商家编码 (channel SKU code), else by title, else the only line."""
    lines = list(order.lines.all())
    if code:
        found = [ln for ln in lines if ln.channel_sku_code == code]
        if found:
            return found[0]
    if title:
        found = [ln for ln in lines if ln.title == title]
        if found:
            return found[0]
    return lines[0] if len(lines) == 1 else None


@transaction.atomic
def record_review(*, actor, shop, platform_review_id: str, rating: str, posted_at: datetime, text: str = "",
                  category: str = "", order=None, order_line=None, platform_order_no: str = "",
                  item_title: str = "", buyer_platform_id: str = "") -> Review:
    """Enter one review by hand (评价录入). A neutral or negative review gets its deadlines and the 48-hour follow-up
    deadline (004:62). The platform's review id is unique per shop."""
    grant = _authorize(actor, ADD, shop)
    fields: dict[str, list[str]] = {}
    review_id = _clean_text(platform_review_id, 80)
    if not review_id:
        fields["platform_review_id"] = [gettext("Required.")]
    if rating not in R.values:
        fields["rating"] = [gettext("Choose positive, neutral or negative.")]
    if category and category not in Review.Category.values:
        fields["category"] = [gettext("Unknown reason.")]
    if posted_at is None or posted_at.tzinfo is None:
        fields["posted_at"] = [gettext("Give the date and time the review was posted.")]
    elif posted_at > clock.now():
        fields["posted_at"] = [gettext("The review cannot be posted in the future.")]
    if order is not None and order.shop_id != shop.pk:
        fields["order"] = [gettext("The order belongs to another shop.")]
    if order_line is not None and (order is None or order_line.order_id != order.pk):
        fields["order_line"] = [gettext("The line is not a line of this order.")]
    if fields:
        raise ServiceError(gettext("The review cannot be recorded."), fields=fields)
    if Review.objects.filter(shop=shop, platform_review_id=review_id).exists():
        raise Conflict(gettext("Review %(id)s of this shop is already recorded.") % {"id": review_id},
                       code="duplicate", fields={"platform_review_id": [gettext("Already recorded.")]})
    if order is not None and order_line is None:
        order_line = _match_line(order, "", item_title)
    review = Review(shop=shop, platform_review_id=review_id, order=order, order_line=order_line,
                    platform_order_no=_clean_text(platform_order_no or (order.platform_order_no if order else ""), 64),
                    buyer_platform_id=_clean_text(buyer_platform_id or (order.buyer_platform_id if order else ""), 80),
                    item_title=_clean_text(item_title or (order_line.title if order_line else ""), 200),
                    sku=order_line.sku if order_line else None, rating=rating, first_rating=rating,
                    text=(text or "").strip(),
                    posted_at=posted_at, category=category or "", created_at=clock.now())
    _set_deadlines(review)
    try:
        with transaction.atomic():  # two people entering the same review at once: the second is told, not a 500
            review.save()
    except IntegrityError:
        raise Conflict(gettext("Review %(id)s of this shop is already recorded.") % {"id": review_id},
                       code="duplicate", fields={"platform_review_id": [gettext("Already recorded.")]}) from None
    audit.record_event("reviews.record_review", actor=actor, obj=review, grant=grant,
                       changes=audit.created(review, _REVIEW_FIELDS))
    if review.needs_follow_up:
        _open_follow_up_deadline(review, actor)
    return review


# --- the follow-up log ----------------------------------------------------------------------------------------------


def _locked(review: Review) -> Review:
    return Review.objects.select_for_update().select_related("shop").get(pk=review.pk)


@transaction.atomic
def record_follow_up(*, actor, review: Review, channel: str, result: str, promised_at: datetime | None = None,
                     next_contact_at: datetime | None = None, note: str = "") -> FollowUp:
    """Log one attempt to reach the buyer (003: write down the result, the time the buyer promised and when we call
    next). The first attempt meets the 48-hour deadline (004:62): it closes the shared deadline (met or missed)."""
    review = _locked(review)
    grant = _authorize(actor, FOLLOW_UP, review.shop)
    if not review.needs_follow_up:
        raise Conflict(gettext("Positive reviews need no follow-up."), code="positive")
    if review.outcome:
        raise Conflict(gettext("This review is done (%(outcome)s): no more follow-ups.")
                       % {"outcome": review.get_outcome_display()}, code="done")
    now = clock.now()
    fields: dict[str, list[str]] = {}
    if channel not in FollowUp.Channel.values:
        fields["channel"] = [gettext("Choose chat or phone.")]
    if result not in FollowUp.Result.values:
        fields["result"] = [gettext("Choose the result of the contact.")]
    if next_contact_at is not None and next_contact_at <= now:
        fields["next_contact_at"] = [gettext("The next contact must be later than now.")]
    if promised_at is not None and promised_at <= now:
        fields["promised_at"] = [gettext("The buyer's promised time must be later than now.")]
    if result == FollowUp.Result.AGREED and promised_at is None:
        fields["promised_at"] = [gettext("Note when the buyer promised to change the review (003).")]
    if fields:
        raise ServiceError(gettext("The follow-up cannot be recorded."), fields=fields)
    follow_up = FollowUp.objects.create(review=review, channel=channel, result=result, promised_at=promised_at,
                                        next_contact_at=next_contact_at, note=_clean_text(note, 500),
                                        by=_user(actor), at=now)
    before = audit.snapshot(review, ["first_contact_at", "next_contact_at", "owner"])
    first = review.first_contact_at is None
    if first:
        review.first_contact_at = now
    review.next_contact_at = next_contact_at
    if review.owner_id is None and _user(actor):
        review.owner = actor
    review.save(update_fields=["first_contact_at", "next_contact_at", "owner"])
    changes = audit.changes_between(before, audit.snapshot(review, ["first_contact_at", "next_contact_at", "owner"]))
    changes["follow_up"] = {"before": None, "after": f"{follow_up.get_channel_display()}: "
                                                     f"{follow_up.get_result_display()}"}
    audit.record_event("reviews.follow_up", actor=actor, obj=review, grant=grant, changes=changes)
    if first:
        _close_follow_up_deadline(review, actor)
    return follow_up


# --- the outcome ----------------------------------------------------------------------------------------------------


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        amount = Decimal("-1")
    return amount


@transaction.atomic
def record_outcome(*, actor, review: Review, outcome: str, compensation=None, explanation: str = "") -> Review:
    """How a neutral/negative review ended (003): the buyer modified it; not modified, compensation offered (an
    amount above 0, recorded only by a person who may approve compensation — the supervisor or the manager —
    who is then its approver); or the shop's explanation posted (its text). A review is done only with one; an
    outcome is final."""
    review = _locked(review)
    grant = _authorize(actor, CHANGE, review.shop)
    if not review.needs_follow_up:
        raise Conflict(gettext("Positive reviews need no outcome."), code="positive")
    if review.outcome:
        raise Conflict(gettext("This review already has its outcome: %(outcome)s.")
                       % {"outcome": review.get_outcome_display()}, code="done")
    fields: dict[str, list[str]] = {}
    amount = Decimal("0")
    explanation = (explanation or "").strip()
    if outcome not in (OUT.MODIFIED, OUT.COMPENSATED, OUT.EXPLAINED):
        fields["outcome"] = [gettext("Choose the outcome.")]
    if outcome == OUT.COMPENSATED:
        amount = _amount(compensation)
        if amount <= 0:
            fields["compensation"] = [gettext("Give the compensation offered, an amount above 0.")]
        elif actor is not None and not actor.has_perm(APPROVE_COMPENSATION):
            raise NotAllowed(gettext("Compensation needs a supervisor's approval: ask the customer service supervisor "
                                     "to record it (note the offer in a follow-up)."), code="needs_approval",
                             fields={"compensation": [gettext("Only a supervisor or the manager can record "
                                                              "compensation.")]})
    if outcome == OUT.EXPLAINED and not explanation:
        fields["explanation"] = [gettext("Write the explanation posted on the platform.")]
    if fields:
        raise ServiceError(gettext("The outcome cannot be recorded."), fields=fields)
    fields_ = ["outcome", "compensation", "compensation_approved_by", "explanation", "outcome_by"]
    before = audit.snapshot(review, fields_)
    review.outcome = outcome
    review.outcome_at = clock.now()
    review.outcome_by = _user(actor)
    if outcome == OUT.COMPENSATED:
        review.compensation = amount
        review.compensation_approved_by = _user(actor)
    if outcome == OUT.EXPLAINED:
        review.explanation = explanation
    review.save(update_fields=["outcome", "outcome_at", "outcome_by", "compensation", "compensation_approved_by",
                               "explanation"])
    grant_ = authorize_actor(actor, APPROVE_COMPENSATION) if outcome == OUT.COMPENSATED else grant
    audit.record_event("reviews.record_outcome", actor=actor, obj=review, grant=grant_,
                       changes=audit.changes_between(before, audit.snapshot(review, fields_)))
    _close_follow_up_deadline(review, actor)
    return review


# --- thank-you text of positive reviews ------------------------------------------------------------------------------


def thank_you_text(template: str, *, buyer: str, item: str) -> str:
    """The template with {买家} and {商品} filled (plain replacement: other braces stay as written)."""
    return template.replace("{买家}", buyer or "亲").replace("{商品}", item or "宝贝")[:500]


@transaction.atomic
def fill_thank_you(*, actor, review: Review) -> Review:
    """The seller's reply to a positive review from the shop's template (003), stored on the review."""
    review = _locked(review)
    grant = _authorize(actor, CHANGE, review.shop)
    if review.rating != R.POSITIVE:
        raise Conflict(gettext("The thank-you text is for positive reviews."), code="not_positive")
    settings_ = ReviewSettings.objects.filter(shop=review.shop).first() or ReviewSettings(shop=review.shop)
    before = audit.snapshot(review, ["thank_you"])
    item = review.item_title or (review.order_line.title if review.order_line_id else "")
    review.thank_you = thank_you_text(settings_.thank_you_template, buyer=review.buyer_platform_id, item=item)
    review.save(update_fields=["thank_you"])
    audit.record_event("reviews.thank_you", actor=actor, obj=review, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(review, ["thank_you"])))
    return review


@transaction.atomic
def save_review_settings(*, actor, shop, thank_you_template: str) -> ReviewSettings:
    """The shop's thank-you template: up to 500 characters; {买家} and {商品} are filled in, no other {…}."""
    import re

    grant = _authorize(actor, SETTINGS, shop)
    template = (thank_you_template or "").strip()
    unknown = [p for p in re.findall(r"\{[^{}]*\}", template) if p not in PLACEHOLDERS]
    if not template or len(template) > 500 or unknown:
        message = (gettext("Unknown placeholder %(p)s: use {买家} and {商品}.") % {"p": "、".join(unknown)} if unknown
                   else gettext("Write the template, at most 500 characters."))
        raise ServiceError(message, fields={"thank_you_template": [message]})
    settings_, created = ReviewSettings.objects.select_for_update().get_or_create(shop=shop)
    before = {} if created else audit.snapshot(settings_, ["thank_you_template"])
    settings_.thank_you_template = template
    settings_.save(update_fields=["thank_you_template"])
    audit.record_event("reviews.save_settings", actor=actor, obj=settings_, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(settings_, ["thank_you_template"])))
    return settings_


# --- import of the platform's review export ---------------------------------------------------------------------------

IMPORT_COLUMNS = {
    "review_id": ("评价ID", "评价编号", "评论ID"),
    "order_no": ("订单编号", "订单号", "平台订单号"),
    "title": ("商品名称", "宝贝标题", "商品标题"),
    "code": ("商家编码", "商家SKU编码", "商家sku编号"),
    "rating": ("评价等级", "评价结果", "评价"),
    "text": ("评价内容", "评论内容"),
    "posted_at": ("评价时间", "评论时间"),
    "category": ("原因分类", "原因"),
    "buyer": ("买家昵称", "买家会员名", "买家"),
}
REQUIRED_COLUMNS = ["review_id", "order_no", "rating", "posted_at"]
RATING_WORDS = {"好评": R.POSITIVE, "中评": R.NEUTRAL, "差评": R.NEGATIVE, "positive": R.POSITIVE,
                "neutral": R.NEUTRAL, "negative": R.NEGATIVE}
CATEGORY_WORDS = {label: value for value, label in Review.Category.choices} | {
    "恶意": Review.Category.MALICIOUS, "快递": Review.Category.COURIER}
_IN_LIST = 500


@dataclass(frozen=True)
class _Row:
    line: int
    review_id: str
    order_no: str
    title: str
    code: str
    rating: str
    text: str
    posted_at: datetime
    category: str
    buyer: str


def _read_review_file(path, problems: list) -> list[_Row]:
    from shopdesk.channels.importers.tabular import RowProblem, code_cell, read_table
    from shopdesk.channels.importers.textfile import CellError, datetime_of

    labels, table = read_table(path, IMPORT_COLUMNS, REQUIRED_COLUMNS)
    rows, seen = [], {}
    now = clock.now()
    for line, cells in table:
        review_id = code_cell(cells["review_id"], labels["review_id"], line, problems)
        order_no = code_cell(cells["order_no"], labels["order_no"], line, problems)
        code = code_cell(cells["code"], labels["code"], line, problems)
        if not review_id:
            problems.append(RowProblem(line, labels["review_id"], gettext("must not be empty")))
        elif len(review_id) > 80:
            problems.append(RowProblem(line, labels["review_id"], gettext("at most %(n)d characters") % {"n": 80}))
        elif review_id in seen:
            problems.append(RowProblem(line, labels["review_id"], gettext("review %(id)s is also on line %(line)d")
                                       % {"id": review_id, "line": seen[review_id]}))
        else:
            seen[review_id] = line
        if not order_no:
            problems.append(RowProblem(line, labels["order_no"], gettext("must not be empty")))
        elif len(order_no) > 64:
            problems.append(RowProblem(line, labels["order_no"], gettext("at most %(n)d characters") % {"n": 64}))
        rating = RATING_WORDS.get(cells["rating"].strip().lower())
        if rating is None:
            problems.append(RowProblem(line, labels["rating"], gettext("write 好评, 中评 or 差评, not '%(v)s'")
                                       % {"v": cells["rating"][:20]}))
        posted_at = None
        try:
            posted_at = datetime_of(cells["posted_at"], labels["posted_at"], line, required=True)
        except CellError as exc:
            reason = exc.reason
            for prefix in (f"{labels['posted_at']}: ", f"{labels['posted_at']}："):  # the column is named already
                reason = reason.removeprefix(prefix)
            problems.append(RowProblem(line, labels["posted_at"], reason))
        if posted_at is not None and posted_at > now:
            problems.append(RowProblem(line, labels["posted_at"], gettext("%(v)s is in the future")
                                       % {"v": cells["posted_at"]}))
        category = ""
        if cells["category"]:
            category = CATEGORY_WORDS.get(cells["category"].strip(), "")
            if not category:
                problems.append(RowProblem(line, labels["category"], gettext(
                    "unknown reason '%(v)s': use one of %(known)s") % {
                    "v": cells["category"][:20], "known": "、".join(Review.Category.labels)}))
        if rating and posted_at and review_id and order_no:
            rows.append(_Row(line, review_id, order_no, cells["title"][:200], code[:80], rating, cells["text"],
                             posted_at, category, cells["buyer"][:80]))
    return rows


@transaction.atomic
def import_reviews(*, actor, shop, path) -> dict:
    """Import a platform's review export (xlsx or CSV in UTF-8 with or without BOM, or GBK) for one shop.

    Columns (the first row; `exports.review_template_xlsx`): 评价ID, 订单编号, 评价等级 (好评/中评/差评) and 评价时间
    are required; 商品名称, 商家编码, 评价内容, 原因分类 and 买家昵称 are optional. All or nothing: any bad row and
    nothing is written, each problem named by line and column. The order is matched by shop + order number and the
    line by 商家编码 (channel SKU code), else by title; a review whose order is not in ShopDesk is kept without it
    and reported.

    Idempotent by (shop, 评价ID): a review already imported is not created again. When the platform changed it (the
    buyer edited the text or the rating), its text and rating are updated and audited; the posting time and the
    deadlines stay those of the first posting. A neutral/negative review that became positive without an outcome
    gets the outcome "modified" (the buyer changed it) and its follow-up deadline is closed.
    Returns {"created", "updated", "unchanged", "unmatched_orders": [order numbers], "unmatched_lines"}.
    """
    from shopdesk.fulfillment.services import ImportRefused, _file_name
    from shopdesk.orders.models import Order

    grant = _authorize(actor, ADD, shop)
    problems: list = []
    rows = _read_review_file(path, problems)
    if problems:
        raise ImportRefused(_file_name(path), problems)

    numbers = list(dict.fromkeys(r.order_no for r in rows))
    orders = {}
    for start in range(0, len(numbers), _IN_LIST):
        for order in Order.objects.filter(shop=shop, platform_order_no__in=numbers[start:start + _IN_LIST]) \
                .prefetch_related("lines"):
            orders[order.platform_order_no] = order
    ids = [r.review_id for r in rows]
    existing = {}
    for start in range(0, len(ids), _IN_LIST):
        for review in Review.objects.select_for_update().filter(shop=shop,
                                                                platform_review_id__in=ids[start:start + _IN_LIST]):
            existing[review.platform_review_id] = review

    created = updated = unchanged = unmatched_lines = 0
    unmatched_orders: list[str] = []
    now = clock.now()
    for row in rows:
        review = existing.get(row.review_id)
        if review is not None:
            if _update_from_platform(review, row, actor, grant):
                updated += 1
            else:
                unchanged += 1
            continue
        order = orders.get(row.order_no)
        line = _match_line(order, row.code, row.title) if order is not None else None
        if order is None and row.order_no not in unmatched_orders:
            unmatched_orders.append(row.order_no)
        elif order is not None and line is None:
            unmatched_lines += 1
        review = Review(shop=shop, platform_review_id=row.review_id, order=order, order_line=line,
                        platform_order_no=row.order_no,
                        buyer_platform_id=row.buyer or (order.buyer_platform_id if order else ""),
                        item_title=row.title or (line.title if line else ""), sku=line.sku if line else None,
                        rating=row.rating, first_rating=row.rating, text=row.text, posted_at=row.posted_at,
                        category=row.category,
                        created_at=now)
        _set_deadlines(review)
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError:  # the same file imported at the same moment by someone else: theirs stands
            unchanged += 1
            continue
        audit.record_event("reviews.record_review", actor=actor, obj=review, grant=grant,
                           reason=_file_name(path)[:200], changes=audit.created(review, _REVIEW_FIELDS))
        if review.needs_follow_up:
            _open_follow_up_deadline(review, actor)
        created += 1
    audit.record_event("reviews.import_reviews", actor=actor, obj=shop, grant=grant, reason=_file_name(path)[:200],
                       changes={"created": {"before": None, "after": created},
                                "updated": {"before": None, "after": updated},
                                "unmatched_orders": {"before": None, "after": unmatched_orders[:50]}})
    return {"created": created, "updated": updated, "unchanged": unchanged, "unmatched_orders": unmatched_orders,
            "unmatched_lines": unmatched_lines}


def _update_from_platform(review: Review, row: _Row, actor, grant) -> bool:
    """The platform's current text and rating of an imported review (see import_reviews). True when changed."""
    text = row.text
    if review.text == text and review.rating == row.rating and (not row.category or review.category == row.category):
        return False
    names = ["rating", "text", "category", "outcome", "follow_up_due_at"]
    before = audit.snapshot(review, names)
    was_bad = review.needs_follow_up
    review.text, review.rating = text, row.rating
    if row.category:
        review.category = row.category
    now_bad = review.needs_follow_up
    if was_bad and not now_bad and not review.outcome:
        review.outcome, review.outcome_at = OUT.MODIFIED, clock.now()
    if was_bad != now_bad:
        _set_deadlines(review)  # positive reviews have no deadlines; a newly bad one counts from its posting
    review.save()
    audit.record_event("reviews.update_from_platform", actor=actor, obj=review, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(review, names)))
    if was_bad and not now_bad:
        _close_follow_up_deadline(review, actor)
    if not was_bad and now_bad and not review.outcome and open_follow_up_deadline(review) is None:
        _open_follow_up_deadline(review, actor)
    return True
