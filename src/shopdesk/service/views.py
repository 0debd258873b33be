"""Pages of the customer-service workbench (客服工作台, product.md §2.7) under /service/: the three-column workbench
(queue, conversation, the buyer's orders and actions), the thread refreshed by htmx polling, the reply with quick
replies and suggestions, the verification and shipping messages, the canned-reply pages and the supervisor's
discount requests.

Thin like every page: reads through the selectors (scoped to the person's shops, so another shop's conversation is
404), writes through one service call, refusals shown beside the field or as messages. Buyer text is always
autoescaped; the buyer's personal data is masked on the panel (the verification message itself, which goes to the
buyer they belong to, carries them in clear, and its preview is logged as a look at the order's personal data).
"""

from __future__ import annotations

import copy
import json
import re
from collections import OrderedDict

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import masking
from shopdesk.core.errors import ServiceError
from shopdesk.orders import services as order_services
from shopdesk.orders.models import Order, Status
from shopdesk.orders.selectors import orders_visible_to
from shopdesk.orders.views_work import elapsed
from shopdesk.service import replies, selectors, services
from shopdesk.service import workbench as service_workbench
from shopdesk.service.forms import (
    INTENT_LABELS,
    CannedReplyForm,
    DiscountDecisionForm,
    DiscountRequestForm,
    NoteForm,
    OrderNoteForm,
    ReplyForm,
    TagsForm,
)
from shopdesk.service.models import CannedReply, Conversation, DiscountRequest, Message, ReplyGroup
from shopdesk.staff.roles import UNMASK_PERSONAL_DATA
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx

VIEW = services.VIEW
_MOBILE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
REPLY = services.REPLY
CHANGE = services.CHANGE
VIEW_REPLIES = "service.view_cannedreply"
ORDER_CHANGE = "orders.change_order"
CASE_OPEN = "aftersales.add_case"
QUEUE_LABELS = {"waiting": pgettext_lazy("conversations", "Waiting"), "mine": _("Mine"), "unassigned": _("Unassigned"),
                "open": pgettext_lazy("conversations", "Open"),
                "closed": pgettext_lazy("conversations", "Closed")}
QUEUE_LIMIT = 100  # conversations listed in the left column
THREAD_LIMIT = 200  # latest messages shown; older ones stay in the database (and in the KPIs)
ORDER_LIMIT = 10
VERIFY_STATUSES = (Status.PAID, Status.VERIFIED, Status.PRINTED, Status.PICKED, Status.PACKED)
CASE_STATUSES = (Status.SHIPPED, Status.DELIVERED, Status.COMPLETED, Status.AFTER_SALES)
ACTION_LABELS = {
    "refuse": _("Refuse politely with the reason"), "promotion": _("Pull back with the current promotion"),
    "value": _("Lead to value"), "close": _("Close within your authority"),
    "supervisor_request": _("Beyond your authority: ask the supervisor"), "gift": _("Offer a gift instead"),
}


# --- shared helpers ---------------------------------------------------------------------------------------------------


def _conversation(request, pk) -> Conversation:
    try:
        return selectors.conversation_detail(request.user, pk)
    except Conversation.DoesNotExist:
        raise Http404 from None


def _back(conversation: Conversation, request=None) -> str:
    url = reverse("service:conversation", args=[conversation.pk])
    queue = (request.POST.get("queue") or request.GET.get("queue") or "") if request is not None else ""
    return f"{url}?queue={queue}" if queue in selectors.QUEUES else url


def _service_error(request, exc: ServiceError) -> None:
    messages.error(request, exc.message)




def _intent_label(code: str) -> str:
    return str(INTENT_LABELS.get(code, code))


def _last_message(field: str):
    return Subquery(Message.objects.filter(conversation=OuterRef("pk")).exclude(direction=Message.Direction.NOTE)
                    .order_by("-sent_at", "-id").values(field)[:1])


def _queue(request) -> dict:
    """The left column: the queue tabs with their counts and the conversations of the chosen one (or of a filter
    from a home tile: verification due, shipping notices due, ordered yesterday)."""
    user = request.user
    counts = selectors.queue_counts(user)
    name = request.GET.get("queue") or request.POST.get("queue") or ""
    if name not in selectors.QUEUES:
        name = "waiting" if counts.get("waiting") else "open"  # nobody waiting: the open conversations
    only = request.GET.get("only", "")
    condition = service_workbench.filter_condition(only)
    if condition is not None:
        qs = selectors.in_queue_order(selectors.conversations_visible_to(user).filter(condition))
    else:
        only = ""
        qs = selectors.queue(user, name)
    qs = qs.annotate(last_text=Substr(_last_message("text"), 1, 60), last_direction=_last_message("direction"))
    rows = list(qs[:QUEUE_LIMIT + 1])
    more = len(rows) > QUEUE_LIMIT
    rows = rows[:QUEUE_LIMIT]
    for row in rows:
        row.waited = elapsed(row.waiting_since) if row.waiting_since else ""
        # The list is glanced at by anyone passing: phone numbers in an excerpt (a verification message) masked.
        row.last_text = _MOBILE.sub(lambda m: masking.mask_phone(m.group(0)), row.last_text or "")
    base = reverse("service:workbench")
    tabs = [{"key": key, "label": QUEUE_LABELS[key], "count": counts.get(key, 0), "url": f"{base}?queue={key}",
             "active": key == name and not only} for key in selectors.QUEUES]
    return {"rows": rows, "more": more, "tabs": tabs, "name": name, "only": only,
            "only_label": service_workbench.FILTER_LABELS.get(only, "")}


def _masked_buyer(order: Order) -> dict:
    return {"name": masking.mask_name(order.buyer_name),
            "phone": masking.mask_phone(order.mobile or order.landline),
            "address": masking.mask_address(order.province, order.city, order.district, order.address_detail)}


def _reply_context(conversation: Conversation, user, order: Order | None) -> dict:
    return replies.context_for(conversation, agent=user, order=order)


def _reply_groups(user, conversation: Conversation, values: dict, query: str = "") -> list[dict]:
    """The quick replies the person may use in this conversation's shop, grouped by ReplyGroup in its own order,
    their variables filled."""
    found = selectors.replies_for(user, shop=conversation.shop, query=query)
    by_group: dict[str, list] = OrderedDict((g, []) for g in ReplyGroup.values)
    for reply in found:
        reply.filled = replies.fill(reply.text, values)
        by_group.setdefault(reply.group, []).append(reply)
    return [{"key": key, "label": ReplyGroup(key).label if key in ReplyGroup.values else key, "replies": items}
            for key, items in by_group.items() if items]


def _suggestion(user, conversation: Conversation, text: str, values: dict) -> dict | None:
    """The suggestion for the buyer's last message: intent, confidence, fitting replies, the bargaining move."""
    from shopdesk.service import suggest

    if not text:
        return None
    found = suggest.suggest(user=user, text=text, conversation=conversation)
    move = getattr(found, "move", None)
    return {
        "intent": found.intent, "intent_label": _intent_label(found.intent),
        "confidence": round(float(found.confidence or 0) * 100),
        "replies": [{"id": r.get("id"), "text": replies.fill(str(r.get("text", "")), values)}
                    for r in (found.replies or [])],
        "move": None if move is None else {
            "step": move.step, "action": move.action, "explanation": move.explanation,
            "label": ACTION_LABELS.get(move.action, move.action), "offer": getattr(move, "offer_percent", None)},
    }


def _last_buyer_text(thread: list[Message]) -> str:
    return next((m.text for m in reversed(thread) if m.direction == Message.Direction.BUYER), "")


def _colleagues(conversation: Conversation):
    """People who answer buyers and work on the conversation's shop (or see every shop)."""
    from shopdesk.staff.roles import VIEW_ALL_SHOPS

    app, codename = REPLY.split(".")
    all_app, all_codename = VIEW_ALL_SHOPS.split(".")
    answers = Q(groups__permissions__content_type__app_label=app, groups__permissions__codename=codename)
    everywhere = Q(groups__permissions__content_type__app_label=all_app,
                   groups__permissions__codename=all_codename)
    User = get_user_model()
    in_shop = User.objects.filter(answers, Q(staff_profile__shops=conversation.shop_id) | Q(
        pk__in=User.objects.filter(everywhere).values("pk")))
    return (User.objects.filter(is_active=True, pk__in=in_shop.values("pk"))
            .select_related("staff_profile").order_by("username"))


def _display(user) -> str:
    profile = getattr(user, "staff_profile", None)
    return (getattr(profile, "display_name", "") or user.get_full_name() or user.get_username())


def _panel_orders(orders: list[Order], thread: list[Message], user) -> None:
    """What the right panel shows of each order: masked buyer, whether the verification can be (and was) sent,
    whether a case can be opened."""
    agent_texts = [(m.sent_at, m.text) for m in thread if m.direction == Message.Direction.AGENT]
    for order in orders:
        order.masked = _masked_buyer(order)
        order.can_verify = order.paid_at is not None and order.status in VERIFY_STATUSES
        order.verification_sent = order.can_verify and any(
            order.platform_order_no in text and sent >= order.paid_at for sent, text in agent_texts)
        order.can_open_case = order.status in CASE_STATUSES and user.has_perm(CASE_OPEN)
        order.case_list = list(order.cases.all())


def _thread(conversation: Conversation, after: int = 0) -> list[Message]:
    """The latest messages (or those after `after`), oldest first, with the agents' names and intent labels."""
    qs = selectors.thread(conversation, after_id=after).select_related("agent__staff_profile")
    found = list(qs[:THREAD_LIMIT]) if after else list(qs.reverse()[:THREAD_LIMIT])[::-1]
    for message in found:
        message.intent_label = _intent_label(message.intent) if message.intent else ""
    return found


def _render_workbench(request, conversation: Conversation | None):
    user = request.user
    context = {"queue": _queue(request), "conversation": conversation}
    if conversation is not None:
        thread = _thread(conversation)
        orders = list(selectors.buyer_orders(conversation, limit=ORDER_LIMIT))
        latest = orders[0] if orders else None
        values = _reply_context(conversation, user, latest)
        _panel_orders(orders, thread, user)
        context.update({
            "thread": thread, "thread_full": len(thread) >= THREAD_LIMIT,
            "last_id": thread[-1].pk if thread else 0,
            "orders": orders, "latest_order": latest,
            "notices": list(selectors.due_notices(conversation)) if user.has_perm(
                "fulfillment.change_buyernotice") else [],
            "reply_groups": _reply_groups(user, conversation, values),
            "suggestion": _suggestion(user, conversation, _last_buyer_text(thread), values),
            "colleagues": list(_colleagues(conversation)) if user.has_perm(CHANGE) else [],
            "discount_requests": list(conversation.discount_requests.select_related("requested_by", "decided_by")
                                      .order_by("-created_at", "-id")[:3]),
            "reply_form": ReplyForm(), "note_form": NoteForm(),
            "tags_text": " ".join(conversation.tags or []),
            "discount_form": DiscountRequestForm(),
            "can_reply": user.has_perm(REPLY), "can_change": user.has_perm(CHANGE),
            "can_change_orders": user.has_perm(ORDER_CHANGE),
            "can_request_discount": user.has_perm(services.REQUEST_DISCOUNT),
        })
    return render(request, "service/workbench.html", context)


# --- the workbench ----------------------------------------------------------------------------------------------------


@permission_required(VIEW, raise_exception=True)
def workbench(request):
    """The workbench with no conversation open: the queue, and the first conversation a click away."""
    return _render_workbench(request, None)


@permission_required(VIEW, raise_exception=True)
def conversation(request, pk):
    return _render_workbench(request, _conversation(request, pk))


def _after(request) -> int:
    raw = (request.GET.get("after") or request.POST.get("after") or "").strip()
    return int(raw) if raw.isdigit() else 0


def _delta(request, conversation: Conversation, *, error: str = "", sent: bool = False) -> HttpResponse:
    """The messages after `after`, appended to the thread out of band, the poller with the new position and, when
    the buyer wrote, the suggestions for the new message."""
    after = _after(request)
    new = _thread(conversation, after)
    last_id = new[-1].pk if new else after
    suggestion = None
    buyer_text = _last_buyer_text(new)
    if buyer_text:  # suggest() fills the replies' variables itself
        suggestion = _suggestion(request.user, conversation, buyer_text, {})
    response = render(request, "service/partials/thread_delta.html", {
        "conversation": conversation, "new": new, "last_id": last_id, "error": error,
        "suggestion": suggestion, "refresh_suggestion": bool(buyer_text), "posted": request.method == "POST"})
    if sent:
        response["HX-Trigger"] = json.dumps({"replySent": {"id": last_id}})
    return response


@permission_required(VIEW, raise_exception=True)
def thread(request, pk):
    """The thread partial the page polls every 2 s (htmx): only the messages after `after`."""
    return _delta(request, _conversation(request, pk))


def _post_text(request, pk, call, form_class, success: str):
    conversation = _conversation(request, pk)
    form = form_class(request.POST)
    error = ""
    if form.is_valid():
        try:
            call(actor=request.user, conversation=conversation, text=form.cleaned_data["text"])
        except ServiceError as exc:
            error = exc.message
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if is_htmx(request):
        return _delta(request, conversation, error=error, sent=not error)
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return redirect(_back(conversation, request))


@permission_required(REPLY, raise_exception=True)
@require_POST
def reply(request, pk):
    """The agent answers (services.post_agent_reply): with htmx the thread gets the reply at once, without
    JavaScript the page comes back."""
    return _post_text(request, pk, services.post_agent_reply, ReplyForm, "")


@permission_required(REPLY, raise_exception=True)
@require_POST
def note(request, pk):
    return _post_text(request, pk, services.add_note, NoteForm, gettext("Private note added."))


@permission_required(VIEW_REPLIES, raise_exception=True)
def quick_replies(request, pk):
    """The quick-reply list filtered by the search box (title, shortcut, pinyin initials or text), htmx."""
    conversation = _conversation(request, pk)
    orders = list(selectors.buyer_orders(conversation, limit=1))
    values = _reply_context(conversation, request.user, orders[0] if orders else None)
    query = (request.GET.get("q") or "").strip()[:40]
    return render(request, "service/partials/quick_replies.html", {
        "conversation": conversation, "reply_groups": _reply_groups(request.user, conversation, values, query),
        "query": query})


@permission_required(CHANGE, raise_exception=True)
@require_POST
def assign(request, pk):
    conversation = _conversation(request, pk)
    choice = request.POST.get("agent", "")
    if choice == "me":
        agent = request.user
    elif choice.isdigit():
        agent = get_object_or_404(_colleagues(conversation), pk=int(choice))
    else:
        agent = None
    try:
        services.assign_conversation(actor=request.user, conversation=conversation, agent=agent)
    except ServiceError as exc:
        _service_error(request, exc)
    else:
        messages.success(request, gettext("Assigned to %(name)s.") % {"name": _display(agent)} if agent
                         else gettext("Back in the unassigned queue."))
    return redirect(_back(conversation, request))


@permission_required(CHANGE, raise_exception=True)
@require_POST
def tags(request, pk):
    conversation = _conversation(request, pk)
    form = TagsForm(request.POST)
    if form.is_valid():
        try:
            services.set_tags(actor=request.user, conversation=conversation, tags=form.cleaned_data["tags"])
        except ServiceError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, gettext("Tags saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(_back(conversation, request))


@permission_required(CHANGE, raise_exception=True)
@require_POST
def close(request, pk):
    conversation = _conversation(request, pk)
    try:
        services.close_conversation(actor=request.user, conversation=conversation)
    except ServiceError as exc:
        _service_error(request, exc)
        return redirect(_back(conversation, request))
    messages.success(request, gettext("Conversation with %(buyer)s closed.") % {"buyer": conversation})
    queue = request.POST.get("queue", "")
    return redirect(reverse("service:workbench") + (f"?queue={queue}" if queue in selectors.QUEUES else ""))


@permission_required(services.REQUEST_DISCOUNT, raise_exception=True)
@require_POST
def discount_request(request, pk):
    conversation = _conversation(request, pk)
    form = DiscountRequestForm(request.POST)
    if form.is_valid():
        try:
            services.request_discount(actor=request.user, conversation=conversation,
                                      percent=form.cleaned_data["percent"], note=form.cleaned_data["note"])
        except ServiceError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, gettext("Discount request sent to the supervisor. Ask the buyer to wait a "
                                              "moment."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(_back(conversation, request))


# --- the buyer's orders: verification, shipping notice, flagged note --------------------------------------------------


def _buyer_order(request, conversation: Conversation, order_pk) -> Order:
    """One of the buyer's orders in the conversation's shop (404 for any other)."""
    return get_object_or_404(orders_visible_to(request.user).prefetch_related("lines"), pk=order_pk,
                             shop_id=conversation.shop_id, buyer_platform_id=conversation.buyer_id)


def _masked_copy(order: Order) -> Order:
    shown = copy.copy(order)
    shown.buyer_name = masking.mask_name(order.buyer_name)
    shown.mobile = masking.mask_phone(order.mobile)
    shown.landline = masking.mask_phone(order.landline)
    shown.address_detail = masking.STARS if order.address_detail else ""
    return shown


@permission_required(REPLY, raise_exception=True)
def verification(request, pk, order_pk):
    """GET: the verification message (核实) as the buyer will read it, before it is sent; the look at the receiver's
    details is logged like the order page's. Without the right to see personal data the preview is masked (the
    buyer still gets the full text). POST: send it (services.send_verification)."""
    conversation = _conversation(request, pk)
    order = _buyer_order(request, conversation, order_pk)
    if request.method == "POST":
        try:
            services.send_verification(actor=request.user, conversation=conversation, order=order)
        except ServiceError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, gettext("Verification message for order %(no)s sent.")
                             % {"no": order.platform_order_no})
        return redirect(_back(conversation, request))
    clear = request.user.has_perm(UNMASK_PERSONAL_DATA)
    if clear:
        order_services.unmask_order(actor=request.user, order=order, reason=gettext("verification message preview"))
    text = services.verification_text(order if clear else _masked_copy(order))
    context = {"conversation": conversation, "order": order, "text": text, "masked": not clear,
               "paid": order.paid_at is not None}
    template = "service/partials/verification.html" if is_htmx(request) else "service/verification.html"
    return render(request, template, context)


@permission_required(REPLY, raise_exception=True)
@require_POST
def send_notice(request, pk, notice_pk):
    from shopdesk.fulfillment.models import BuyerNotice

    conversation = _conversation(request, pk)
    notice = get_object_or_404(BuyerNotice.objects.select_related("order__shop"), pk=notice_pk,
                               order__shop_id=conversation.shop_id, order__buyer_platform_id=conversation.buyer_id)
    try:
        services.send_shipping_notice(actor=request.user, conversation=conversation, notice=notice)
    except ServiceError as exc:
        _service_error(request, exc)
    else:
        messages.success(request, gettext("Shipping notice for order %(no)s sent.")
                         % {"no": notice.order.platform_order_no})
    return redirect(_back(conversation, request))


@permission_required(ORDER_CHANGE, raise_exception=True)
@require_POST
def order_note(request, pk, order_pk):
    """A flagged note (红旗备注) on the buyer's order, through the orders service (signed and dated)."""
    conversation = _conversation(request, pk)
    order = _buyer_order(request, conversation, order_pk)
    form = OrderNoteForm(request.POST)
    if form.is_valid():
        try:
            order_services.add_note(actor=request.user, order=order, text=form.cleaned_data["text"], flagged=True)
        except ServiceError as exc:
            _service_error(request, exc)
        else:
            messages.success(request, gettext("Flagged note added to order %(no)s.") % {"no": order.platform_order_no})
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(_back(conversation, request))


# --- canned replies ---------------------------------------------------------------------------------------------------


def _visible_replies(user):
    """Shop-wide replies of every shop or the person's shops, and the person's own; inactive ones too for those
    who manage the team's replies (so they can switch them back on)."""
    qs = CannedReply.objects.filter(Q(owner__isnull=True) | Q(owner=user)).filter(
        Q(shop__isnull=True) | Q(shop__in=shops_visible_to(user))).select_related("shop", "owner")
    if not user.has_perm(services.MANAGE_REPLIES):
        qs = qs.filter(Q(active=True) | Q(owner=user))
    return qs


def _may_edit(user, reply: CannedReply) -> bool:
    if reply.owner_id is not None:
        return reply.owner_id == user.pk and user.has_perm(services.ADD_PERSONAL_REPLY)
    return user.has_perm(services.MANAGE_REPLIES)


@permission_required(VIEW_REPLIES, raise_exception=True)
def reply_list(request):
    """快捷短语: the team's replies and my own, by group, searchable by title, shortcut, pinyin initials or text."""
    user = request.user
    query = (request.GET.get("q") or "").strip()[:40]
    group = request.GET.get("group", "")
    scope = request.GET.get("scope", "")
    qs = _visible_replies(user)
    if query:
        q = query.lower()
        qs = qs.filter(Q(search_key__icontains=q) | Q(text__icontains=q))
    if group in ReplyGroup.values:
        qs = qs.filter(group=group)
    else:
        group = ""
    if scope == "mine":
        qs = qs.filter(owner=user)
    elif scope == "team":
        qs = qs.filter(owner__isnull=True)
    else:
        scope = ""
    by_group: dict[str, list] = OrderedDict((g, []) for g in ReplyGroup.values)
    for reply in qs.order_by("group", "sort", "id")[:1000]:
        reply.editable = _may_edit(user, reply)
        by_group.setdefault(reply.group, []).append(reply)
    groups = [{"key": k, "label": ReplyGroup(k).label, "replies": items} for k, items in by_group.items() if items]
    may_install = user.has_perm(services.MANAGE_REPLIES)
    return render(request, "service/replies.html", {
        "groups": groups, "query": query, "group": group, "scope": scope, "group_choices": ReplyGroup.choices,
        "may_add": user.has_perm(services.ADD_PERSONAL_REPLY) or may_install, "may_install": may_install,
        "variables": [f"{{{v}}}" for v in replies.VARIABLES]})


def _reply_form(request, reply: CannedReply | None = None, data=None) -> CannedReplyForm:
    user = request.user
    initial = {}
    if reply is not None:
        initial = {"group": reply.group, "title": reply.title, "text": reply.text, "shortcut": reply.shortcut,
                   "shop": reply.shop_id, "intents": list(reply.intents or []), "bargain_step": reply.bargain_step,
                   "sort": reply.sort, "active": reply.active}
    else:
        group = request.GET.get("group", "")
        if group in ReplyGroup.values:
            initial["group"] = group
    return CannedReplyForm(data, initial=initial, shops=shops_visible_to(user).order_by("code"),
                           may_personal=user.has_perm(services.ADD_PERSONAL_REPLY),
                           may_shop=user.has_perm(services.MANAGE_REPLIES), editing=reply)


@permission_required(services.ADD_PERSONAL_REPLY, raise_exception=True)
def reply_new(request):
    form = _reply_form(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            reply = services.create_canned_reply(
                actor=request.user, group=d["group"], title=d["title"], text=d["text"], shortcut=d["shortcut"],
                intents=d["intents"], bargain_step=d["bargain_step"], shop=d["shop"],
                personal=d["scope"] == "personal", sort=d["sort"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Reply “%(title)s” saved.") % {"title": reply.title})
            return redirect(reverse("service:replies") + f"?group={reply.group}")
    return render(request, "service/reply_form.html", {"form": form, "reply": None,
                                                        "title": gettext("New canned reply")})


def _editable_reply(request, pk) -> CannedReply:
    reply = get_object_or_404(_visible_replies(request.user), pk=pk)
    if not _may_edit(request.user, reply):
        raise PermissionDenied(gettext("Only the supervisor changes the team's replies; copy it as your own."))
    return reply


@permission_required(VIEW_REPLIES, raise_exception=True)
def reply_edit(request, pk):
    reply = _editable_reply(request, pk)
    form = _reply_form(request, reply, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            reply = services.update_canned_reply(
                actor=request.user, reply=reply, group=d["group"], title=d["title"].strip(), text=d["text"].strip(),
                shortcut=d["shortcut"].strip(), intents=d["intents"], bargain_step=d["bargain_step"],
                shop=d["shop"], sort=d["sort"], active=d["active"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, gettext("Reply “%(title)s” saved.") % {"title": reply.title})
            return redirect(reverse("service:replies") + f"?group={reply.group}")
    return render(request, "service/reply_form.html", {
        "form": form, "reply": reply, "title": gettext("Canned reply “%(title)s”") % {"title": reply.title}})


@permission_required(VIEW_REPLIES, raise_exception=True)
@require_POST
def reply_delete(request, pk):
    reply = _editable_reply(request, pk)
    title, group = reply.title, reply.group
    try:
        services.delete_canned_reply(actor=request.user, reply=reply)
    except ServiceError as exc:
        _service_error(request, exc)
    else:
        messages.success(request, gettext("Reply “%(title)s” deleted.") % {"title": title})
    return redirect(reverse("service:replies") + f"?group={group}")


@permission_required(services.MANAGE_REPLIES, raise_exception=True)
@require_POST
def replies_install(request):
    """Install the standard replies (the scripts of 003 in the team's words) as shop-wide replies."""
    from shopdesk.service import standard_replies

    try:
        result = standard_replies.install_standard_replies(actor=request.user)
    except ServiceError as exc:
        _service_error(request, exc)
    else:
        added = result if isinstance(result, int) else len(result or [])
        messages.success(request, gettext("Standard replies installed: %(n)d added.") % {"n": added})
    return redirect("service:replies")


# --- discount requests (the supervisor) -------------------------------------------------------------------------------


@permission_required(services.APPROVE_DISCOUNT, raise_exception=True)
def discounts(request):
    """Discounts beyond the agents' authority (003:548): the pending requests first, then the latest decisions."""
    user = request.user
    pending = list(selectors.pending_discount_requests(user)[:200])
    decided = list(DiscountRequest.objects.filter(conversation__shop__in=shops_visible_to(user))
                   .exclude(state=DiscountRequest.State.PENDING)
                   .select_related("conversation__shop", "requested_by", "decided_by")
                   .order_by("-decided_at", "-id")[:30])
    return render(request, "service/discounts.html", {"pending": pending, "decided": decided,
                                                      "form": DiscountDecisionForm()})


@permission_required(services.APPROVE_DISCOUNT, raise_exception=True)
@require_POST
def discount_decide(request, pk):
    found = get_object_or_404(
        DiscountRequest.objects.filter(conversation__shop__in=shops_visible_to(request.user))
        .select_related("conversation__shop"), pk=pk)
    form = DiscountDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("service:discounts")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_discount(actor=request.user, request=found, approve=approve,
                                 reason=form.cleaned_data["reason"])
    except ServiceError as exc:
        _service_error(request, exc)
    else:
        messages.success(request, (gettext("%(p)s%% for %(buyer)s approved.") if approve else
                                   gettext("%(p)s%% for %(buyer)s refused."))
                         % {"p": found.percent, "buyer": found.conversation})
    return redirect("service:discounts")
