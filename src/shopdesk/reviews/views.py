"""Review pages under /reviews/ (评价, product.md §2.6): the list with its queues and due badges, a review with its
four deadlines, the follow-up log and form beside the reply script, the outcome; manual entry, the import of the
platform's export, the weekly review-cause report with its workbook, and the shop's thank-you template.

Thin like every page: read through the selectors (scoped to the person's shops, so another shop's review is 404),
write through one service call, turn refusals into form errors or messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.fulfillment.uploads import saved_upload
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.reviews import exports, scripts, selectors, services
from shopdesk.reviews.forms import FollowUpForm, ImportForm, OutcomeForm, ReviewFilter, ReviewForm, SettingsForm
from shopdesk.reviews.models import Review
from shopdesk.web.forms import add_service_error
from shopdesk.web.tables import Column, Tab, Table
from shopdesk.web.workbench import CS_SCHEDULE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABS = [("follow_up", _("To follow up")), ("due_soon", _("Due soon")), ("overdue", _("Overdue")),
        ("explanation_due", _("Explanation due")), ("waiting", _("Waiting for the buyer")),
        ("call_again", _("Time to call again")), ("done", _("Done")),
        ("positive", _("Positive")), ("all", _("All"))]
SORT_OF_TAB = {"explanation_due": "explanation_due_at", "waiting": "explanation_due_at",
               "call_again": "next_contact_at", "done": "-posted_at",
               "positive": "-posted_at", "all": "-posted_at"}


def review_block() -> dict:
    """The reviews block of the CS day (003:544) and whether it is on now."""
    block = next(b for b in CS_SCHEDULE if b.start.hour == 12)
    now = clock.localnow().time()
    return {"start": block.start, "end": block.end, "title": block.title, "current": block.start <= now < block.end}


def _file_error(form, exc: ServiceError) -> None:
    lines = exc.fields.get("file") or []
    if lines:
        form.add_error("file", exc.message.split("\n", 1)[0])
        for line in lines:
            form.add_error("file", line)
    else:
        add_service_error(form, exc)


@permission_required(services.VIEW, raise_exception=True)
def review_list(request):
    now = clock.now()
    tab = request.GET.get("tab") or "follow_up"
    table = Table(
        request, selectors.reviews_visible_to(request.user),
        columns=[Column("due", _("Due"), "follow_up_due_at"), Column("rating", _("Rating"), "rating"),
                 Column("review", _("Review")), Column("category", _("Reason"), "category"),
                 Column("order", _("Order number"), "platform_order_no"), Column("shop", _("Shop"), "shop__code"),
                 Column("posted", pgettext_lazy("review", "Posted"), "posted_at"), Column("state", _("State"))],
        tabs=[Tab(key, label, selectors.queue_q(key, now)) for key, label in TABS],
        filterset_class=ReviewFilter, row_template="reviews/rows/review.html",
        default_sort=SORT_OF_TAB.get(tab, "follow_up_due_at"), empty_text=_("No reviews in this queue."),
    )
    rows = list(table.rows)
    for row in rows:
        row.badge = selectors.badge(row, now)
    table.page.object_list = rows
    return render(request, "reviews/list.html", {
        "table": table, "reviews_block": review_block(), "can_add": request.user.has_perm(services.ADD),
        "can_settings": request.user.has_perm(services.SETTINGS)})


def _detail_context(request, review: Review, **forms) -> dict:
    user = request.user
    can_work = review.needs_follow_up and not review.outcome
    return {
        "review": review, "badge": selectors.badge(review), "follow_ups": list(review.follow_ups.all()),
        "script": scripts.script_for(review.category) if review.needs_follow_up else None,
        "follow_up_form": forms.get("follow_up_form") or FollowUpForm(),
        "outcome_form": forms.get("outcome_form") or OutcomeForm(),
        "can_follow_up": can_work and user.has_perm(services.FOLLOW_UP),
        "can_outcome": can_work and user.has_perm(services.CHANGE),
        "can_compensate": user.has_perm(services.APPROVE_COMPENSATION),
        "can_thank": review.rating == Review.Rating.POSITIVE and user.has_perm(services.CHANGE),
        "deadline": services.open_follow_up_deadline(review) if review.needs_follow_up else None,
        "reviews_block": review_block(),
    }


def _review(request, pk) -> Review:
    try:
        return selectors.review_for_page(request.user, pk)
    except Review.DoesNotExist:
        from django.http import Http404

        raise Http404 from None


@permission_required(services.VIEW, raise_exception=True)
def review_detail(request, pk):
    review = _review(request, pk)
    return render(request, "reviews/detail.html", _detail_context(request, review))


@permission_required(services.FOLLOW_UP, raise_exception=True)
@require_POST
def follow_up(request, pk):
    review = _review(request, pk)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.record_follow_up(actor=request.user, review=review, channel=d["channel"], result=d["result"],
                                      promised_at=d["promised_at"], next_contact_at=d["next_contact_at"],
                                      note=d["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Follow-up recorded."))
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "reviews/detail.html", _detail_context(request, review, follow_up_form=form),
                  status=400)


@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def outcome(request, pk):
    review = _review(request, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.record_outcome(actor=request.user, review=review, outcome=d["outcome"],
                                    compensation=d["compensation"], explanation=d["explanation"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Outcome recorded: the review is done."))
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "reviews/detail.html", _detail_context(request, review, outcome_form=form), status=400)


@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def thank_you(request, pk):
    review = _review(request, pk)
    try:
        services.fill_thank_you(actor=request.user, review=review)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Thank-you text filled from the shop's template: copy it to the "
                                          "platform."))
    return redirect("reviews:detail", pk=review.pk)


@permission_required(services.ADD, raise_exception=True)
def review_create(request):
    form = ReviewForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        order = None
        if d["platform_order_no"]:
            order = orders_visible_to(request.user).filter(shop=d["shop"],
                                                           platform_order_no=d["platform_order_no"]).first()
        try:
            review = services.record_review(
                actor=request.user, shop=d["shop"], platform_review_id=d["platform_review_id"], rating=d["rating"],
                posted_at=d["posted_at"], text=d["text"], category=d["category"], order=order,
                platform_order_no=d["platform_order_no"], item_title=d["item_title"],
                buyer_platform_id=d["buyer_platform_id"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Review %(id)s recorded.") % {"id": review.platform_review_id})
            if d["platform_order_no"] and order is None:
                messages.warning(request, gettext("Order %(no)s is not in ShopDesk: the review is kept without it.")
                                 % {"no": d["platform_order_no"]})
            return redirect("reviews:detail", pk=review.pk)
    return render(request, "web/form_page.html", {
        "form": form, "title": gettext("Enter a review"), "cancel_url": reverse("reviews:list"),
        "intro": gettext("Neutral and negative reviews get their deadlines from the posting time: follow up within "
                         "48 hours, takes effect after 3 days, can be changed for 30 days, explanation on the last "
                         "day.")})


@permission_required(services.ADD, raise_exception=True)
def review_import(request):
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            with saved_upload(upload) as path:
                result = services.import_reviews(actor=request.user, shop=form.cleaned_data["shop"], path=path)
        except ServiceError as exc:
            _file_error(form, exc)
        else:
            messages.success(request, gettext(
                "%(file)s imported: %(created)d new reviews, %(updated)d changed on the platform, %(unchanged)d "
                "already known.") % {"file": upload.name, **result})
            if result["unmatched_orders"]:
                numbers = "、".join(result["unmatched_orders"][:50])
                messages.warning(request, gettext("Orders not in ShopDesk (the reviews are kept without them): "
                                                  "%(numbers)s") % {"numbers": numbers})
            return redirect("reviews:list")
    return render(request, "reviews/import.html", {"form": form, "columns": services.IMPORT_COLUMNS})


@permission_required(services.ADD, raise_exception=True)
def review_template(request):
    response = HttpResponse(exports.review_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="reviews-template.xlsx"'
    return response


def _report(request):
    try:
        year, week = selectors.parse_week(request.GET.get("week"))
    except ValueError:
        messages.error(request, gettext("Choose a week like 2026-W47."))
        year, week = selectors.parse_week(None)
    return selectors.weekly_report(request.user, year, week)


@permission_required(services.VIEW, raise_exception=True)
def report(request):
    data = _report(request)
    return render(request, "reviews/report.html", {"report": data})


@permission_required(services.VIEW, raise_exception=True)
def report_xlsx(request):
    data = _report(request)
    response = HttpResponse(exports.report_xlsx(data), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="review-causes-{data["week"]}.xlsx"'
    return response


@permission_required(services.SETTINGS, raise_exception=True)
def review_settings(request):
    from shopdesk.channels.selectors import shops_visible_to

    shops = list(shops_visible_to(request.user).order_by("code"))
    code = request.GET.get("shop") or (shops[0].code if shops else "")
    shop = get_object_or_404(shops_visible_to(request.user), code=code)
    current = selectors.settings_for(shop)
    form = SettingsForm(request.POST or None, initial={"thank_you_template": current.thank_you_template})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_review_settings(actor=request.user, shop=shop,
                                          thank_you_template=form.cleaned_data["thank_you_template"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Thank-you template of %(shop)s saved.") % {"shop": shop.name})
            return redirect(f"{request.path}?shop={shop.code}")
    example = services.thank_you_text(current.thank_you_template, buyer="tb_buyer01", item="真皮斜挎包")
    return render(request, "reviews/settings.html", {"form": form, "shop": shop, "shops": shops,
                                                     "example": example})
