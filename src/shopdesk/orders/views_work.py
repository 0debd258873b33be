"""The daily order work pages: imports with a live progress bar, the queues (催付 unpaid follow-up, manual review,
exceptions, cannot ship today), change approvals, the warehouse's and after-sales' order tasks, and the shop's
order rules with the carriers' unreachable areas.

Thin like every page: read through the selectors (scoped to the person's shops, so other shops' orders are 404),
write through one service call, turn refusals into messages. Row buttons post with htmx and get their row back
(with the refusal beside it); without JavaScript they post the page's form and come back with a message.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.errors import ServiceError
from shopdesk.orders import risk, selectors, services
from shopdesk.orders.forms_work import FORMATS, AreaForm, ImportForm, RulesForm
from shopdesk.orders.models import ChangeRequest, ImportRun, OrderNote, OrderTask, UnreachableArea
from shopdesk.orders.verification import ACCEPTABLE_BY_HAND, ACTIONS, REASONS
from shopdesk.staff.roles import APPROVE_OVER_LIMIT, role_name
from shopdesk.web.forms import add_service_error
from shopdesk.web.htmx import is_htmx, posted_ids
from shopdesk.web.tables import BatchAction, Column, Tab, Table

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The note "buyer told" leaves on an order of the cannot-ship-today list (003:544); the row shows it as told when
# such a note was written today.
BUYER_TOLD = "已告知买家今日无法发货"
# Exception columns of an order and the review reason (verification.REASONS / ACTIONS) each one stands for.
FLAG_REASONS = {"out_of_stock": "out_of_stock", "has_unmapped": "unmapped", "address_incomplete": "address_incomplete",
                "unreachable": "unreachable", "risk_flagged": "risk"}
TASK_ROLES = ("warehouse", "cs_aftersales")


# --- helpers ----------------------------------------------------------------------------------------------------------


def elapsed(since: datetime | None, now: datetime | None = None) -> str:
    """How long ago, for people: "2小时15分" ("2 h 15 min"), "3天4小时", "5分"."""
    if since is None:
        return ""
    minutes = max(0, int(((now or clock.now()) - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return gettext("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    return gettext("%(minutes)d min") % {"minutes": mins}


def _decorate(table: Table, fn) -> None:
    """Attach what the row templates show (computed in Python) to the rows of the current page."""
    rows = list(table.rows)
    for row in rows:
        fn(row)
    table.page.object_list = rows


def _row_response(request, *, template: str, row, error: str, notice: str, back: str, batch: bool = False,
                  **extra):
    """An htmx row button gets its row back (with the notice or the refusal); a plain post a message and the page."""
    if is_htmx(request):
        return render(request, template, {"row": row, "row_error": error, "row_notice": "" if error else notice,
                                          "table": SimpleNamespace(batch_actions=[True] if batch else []),
                                          **extra})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect(back)


def _with_no(order, message: str) -> str:
    return message if order.platform_order_no in message else f"{order.platform_order_no}: {message}"


def _order_cells(row) -> None:
    """Unpaid orders wait since they were placed; paid ones since they were paid."""
    row.waited = elapsed(row.paid_at or row.ordered_at)
    row.amount_due = row.goods_amount + row.shipping_fee


# --- import -----------------------------------------------------------------------------------------------------------


def _run_import(user, shop, path, items, fmt, run, *, background: bool) -> None:
    """The import itself, in a background thread for the web (the run page polls its progress) or inline."""
    try:
        services.import_orders(actor=user, shop=shop, path=path, items_path=items, fmt=fmt, run=run)
    except Exception:  # the service marks the run failed; the run page shows the error
        logger.exception("Order import %s (%s) failed", run.pk, path)
    finally:
        if background:
            connection.close()


@permission_required(services.IMPORT, raise_exception=True)
def import_page(request):
    shops = shops_visible_to(request.user).filter(is_active=True).order_by("code")
    form = ImportForm(request.POST or None, request.FILES or None, shops=shops)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            run, path, items = services.start_import(actor=request.user, shop=d["shop"], upload=d["file"],
                                                     items_upload=d["items_file"], fmt=d["format"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            args = (request.user, d["shop"], path, items, d["format"], run)
            if settings.ORDERS_IMPORT_IN_BACKGROUND:
                threading.Thread(target=_run_import, args=args, kwargs={"background": True},
                                 name=f"order-import-{run.pk}", daemon=True).start()
            else:
                _run_import(*args, background=False)
            return redirect("orders:import_run", pk=run.pk)
    recent = selectors.import_runs(request.user).order_by("-started_at", "-id")[:5] \
        if request.user.has_perm("orders.view_importrun") else []
    return render(request, "orders/imports/import.html", {"form": form, "title": _("Import orders"),
                                                          "recent": recent})


def _download(content, filename: str, content_type: str) -> HttpResponse:
    if isinstance(content, str):
        content = content.encode("utf-8-sig")
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@permission_required(services.IMPORT, raise_exception=True)
def import_template_xlsx(request):
    from shopdesk.channels.importers import generic

    return _download(generic.template_xlsx(), "order-import-template.xlsx", XLSX)


@permission_required(services.IMPORT, raise_exception=True)
def import_template_csv(request):
    from shopdesk.channels.importers import generic

    return _download(generic.template_csv(), "order-import-template.csv", "text/csv; charset=utf-8")


def _format_label(run: ImportRun) -> None:
    run.format_label = str(dict(FORMATS).get(run.format, run.format))


def _progress_context(run: ImportRun) -> dict:
    _format_label(run)
    rejected = run.rejected or []
    return {"run": run, "running": run.state == ImportRun.State.RUNNING, "rejected": rejected,
            "rejected_count": max(run.rejected_count, len(rejected)),
            "rejected_truncated": run.rejected_count > len(rejected)}


@permission_required("orders.view_importrun", raise_exception=True)
def import_run(request, pk):
    run = get_object_or_404(selectors.import_runs(request.user), pk=pk)
    return render(request, "orders/imports/run.html", _progress_context(run))


@permission_required("orders.view_importrun", raise_exception=True)
def import_progress(request, pk):
    """The progress partial: polls itself every second while the run is running, then shows the summary."""
    run = get_object_or_404(selectors.import_runs(request.user), pk=pk)
    return render(request, "orders/imports/progress.html", _progress_context(run))


@permission_required("orders.view_importrun", raise_exception=True)
def import_history(request):
    S = ImportRun.State
    table = Table(
        request, selectors.import_runs(request.user).select_related("started_by__staff_profile"),
        columns=[Column("started", _("Started"), "started_at"), Column("shop", _("Shop"), "shop__code"),
                 Column("file", _("File"), "file_name"), Column("format", _("Format"), "format"),
                 Column("state", _("State"), "state"), Column("total", _("Orders in file"), "total", "num"),
                 Column("created", _("New orders"), "created", "num"),
                 Column("updated", _("Orders updated"), "updated", "num"),
                 Column("duplicates", _("Duplicates"), "duplicates", "num"), Column("who", _("Started by"))],
        tabs=[Tab("all", _("All"), Q()), Tab("running", _("Running"), Q(state=S.RUNNING)),
              Tab("done", _("Done"), Q(state=S.DONE)), Tab("rejected", _("Rejected"), Q(state=S.REJECTED)),
              Tab("failed", _("Failed"), Q(state=S.FAILED))],
        row_template="orders/imports/rows/run.html", default_sort="-started_at",
        empty_text=_("No imports yet."),
    )
    _decorate(table, _format_label)
    return render(request, "orders/imports/history.html", {"table": table})


# --- 催付: unpaid follow-up -------------------------------------------------------------------------------------------


UNPAID_ROW = "orders/queues/rows/unpaid.html"


@permission_required(services.VIEW, raise_exception=True)
def unpaid(request):
    table = Table(
        request, selectors.unpaid(request.user).prefetch_related("lines"),
        columns=[Column("order", _("Order number"), "platform_order_no"), Column("shop", _("Shop"), "shop__code"),
                 Column("ordered", _("Ordered"), "ordered_at"), Column("waited", _("Waiting for"), "ordered_at"),
                 Column("buyer", _("Buyer account"), "buyer_platform_id"),
                 Column("amount", _("Amount"), "goods_amount", "num"), Column("items", _("Items")),
                 Column("reminders", _("Reminders"), "reminder_count", "num"),
                 Column("reminded", _("Last reminder"), "reminded_at"), Column("action", "")],
        tabs=[Tab("all", _("All"), Q()), Tab("not_reminded", _("Not reminded yet"), Q(reminder_count=0)),
              Tab("reminded", _("Reminded"), Q(reminder_count__gt=0))],
        row_template=UNPAID_ROW, default_sort="ordered_at",
        empty_text=_("No unpaid orders."),
    )
    _decorate(table, _order_cells)
    return render(request, "orders/queues/unpaid.html", {"table": table})


@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def remind(request, pk):
    order = get_object_or_404(selectors.orders_visible_to(request.user), pk=pk)
    error = ""
    try:
        order = services.remind_payment(actor=request.user, order=order)
    except ServiceError as exc:
        error = _with_no(order, exc.message)
    _order_cells(order)
    return _row_response(request, template=UNPAID_ROW, row=order, error=error, back=reverse("orders:unpaid"),
                         notice=gettext("Reminder for %(no)s recorded.") % {"no": order.platform_order_no})


# --- manual review ----------------------------------------------------------------------------------------------------


REVIEW_ROW = "orders/queues/rows/review.html"


def _review_cells(row) -> None:
    _order_cells(row)
    row.reasons = [{"label": str(REASONS.get(code, code)), "blocking": code not in ACCEPTABLE_BY_HAND}
                   for code in row.review_reasons or []]
    row.risks = [risk.describe(r) for r in row.risk_reasons or [] if isinstance(r, dict)]


@permission_required(services.VIEW, raise_exception=True)
def review(request):
    can_verify = request.user.has_perm(services.VERIFY)
    batch = [BatchAction("verify", _("Verify"), reverse("orders:review_verify_batch"))] if can_verify else []
    table = Table(
        request, selectors.review_queue(request.user).prefetch_related("lines"),
        columns=[Column("order", _("Order number"), "platform_order_no"), Column("shop", _("Shop"), "shop__code"),
                 Column("paid", _("Paid at"), "paid_at"), Column("buyer", _("Buyer account"), "buyer_platform_id"),
                 Column("amount", _("Paid amount"), "paid_amount", "num"), Column("items", _("Items")),
                 Column("why", _("Waiting because")), Column("action", "")],
        row_template=REVIEW_ROW, default_sort="ordered_at", batch_actions=batch,
        empty_text=_("Nothing waits for a person: every paid order passed the automatic review."),
    )
    _decorate(table, _review_cells)
    return render(request, "orders/queues/review.html", {"table": table, "can_verify": can_verify})


@permission_required(services.VERIFY, raise_exception=True)
@require_POST
def review_verify(request, pk):
    order = get_object_or_404(selectors.orders_visible_to(request.user), pk=pk)
    error = ""
    try:
        order = services.verify_order(actor=request.user, order=order)
    except ServiceError as exc:
        error = _with_no(order, exc.message)
    _review_cells(order)
    return _row_response(request, template=REVIEW_ROW, row=order, error=error, back=reverse("orders:review"),
                         batch=True, notice=gettext("Order %(no)s verified.") % {"no": order.platform_order_no})


@permission_required(services.VERIFY, raise_exception=True)
@require_POST
def review_verify_batch(request):
    ids = posted_ids(request)
    if not ids:
        messages.error(request, gettext("Choose at least one order."))
        return redirect("orders:review")
    done, refused = 0, []
    for order in selectors.review_queue(request.user).filter(pk__in=ids):
        try:
            services.verify_order(actor=request.user, order=order)
            done += 1
        except ServiceError as exc:
            refused.append(_with_no(order, exc.message))
    if done:
        messages.success(request, ngettext("%(n)d order verified.", "%(n)d orders verified.", done) % {"n": done})
    for line in refused:
        messages.error(request, line)
    return redirect("orders:review")


# --- exceptions -------------------------------------------------------------------------------------------------------


EXCEPTION_ROW = "orders/queues/rows/exception.html"


def _exception_cells(row) -> None:
    _order_cells(row)
    codes = [code for flag, code in FLAG_REASONS.items() if getattr(row, flag)]
    codes += [c for c in row.review_reasons or [] if c in ACTIONS and c not in codes]
    row.problems = [{"code": c, "label": str(REASONS.get(c, c)), "action": str(ACTIONS.get(c, ""))} for c in codes]
    row.risks = [risk.describe(r) for r in row.risk_reasons or [] if isinstance(r, dict)]


@permission_required(services.VIEW, raise_exception=True)
def exceptions(request):
    table = Table(
        request, selectors.exceptions(request.user).prefetch_related("lines"),
        columns=[Column("order", _("Order number"), "platform_order_no"), Column("shop", _("Shop"), "shop__code"),
                 Column("status", _("Status"), "status"), Column("paid", _("Paid at"), "paid_at"),
                 Column("items", _("Items")), Column("problems", _("Problem and what to do")),
                 Column("action", "")],
        tabs=[Tab("all", _("All"), Q()), Tab("out_of_stock", _("Out of stock"), Q(out_of_stock=True)),
              Tab("unmapped", _("Unmapped items"), Q(has_unmapped=True)),
              Tab("address", _("Address incomplete"), Q(address_incomplete=True)),
              Tab("unreachable", _("Carrier cannot reach"), Q(unreachable=True)),
              Tab("risk", _("Risk flag"), Q(risk_flagged=True))],
        row_template=EXCEPTION_ROW, default_sort="ordered_at",
        empty_text=_("No order exceptions."),
    )
    _decorate(table, _exception_cells)
    return render(request, "orders/queues/exceptions.html", {"table": table})


@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def exceptions_recheck(request, pk):
    order = get_object_or_404(selectors.orders_visible_to(request.user), pk=pk)
    error = ""
    try:
        order = services.recheck_order(actor=request.user, order=order)
    except ServiceError as exc:
        error = _with_no(order, exc.message)
    _exception_cells(order)
    if order.has_exception:
        notice = gettext("Order %(no)s re-checked: still %(problems)s.") % {
            "no": order.platform_order_no, "problems": "；".join(p["label"] for p in order.problems)}
    else:
        notice = gettext("Order %(no)s re-checked: no exception left.") % {"no": order.platform_order_no}
    return _row_response(request, template=EXCEPTION_ROW, row=order, error=error, notice=notice,
                         back=reverse("orders:exceptions"))


# --- cannot ship today ------------------------------------------------------------------------------------------------


CANNOT_SHIP_ROW = "orders/queues/rows/cannot_ship.html"


def _start_of_today() -> datetime:
    return clock.localnow().replace(hour=0, minute=0, second=0, microsecond=0)


def told_today():
    """Exists(a "buyer told" note written today) for an order queryset."""
    return Exists(OrderNote.objects.filter(order=OuterRef("pk"), text__startswith=BUYER_TOLD,
                                           created_at__gte=_start_of_today()))


def _cannot_ship_cells(row) -> None:
    _order_cells(row)
    codes = list(row.review_reasons or [])
    codes += [code for flag, code in FLAG_REASONS.items() if getattr(row, flag) and code not in codes]
    row.why = [str(REASONS.get(c, c)) for c in codes if c != "on_hold"]
    if row.on_hold:
        row.why.append(gettext("On hold: a change waits for approval or the warehouse must recall it"))
    if row.status != "paid" and not row.why:
        row.why.append(row.get_status_display())


@permission_required(services.VIEW, raise_exception=True)
def cannot_ship(request):
    queryset = selectors.cannot_ship_today(request.user).annotate(told=told_today()).prefetch_related("lines")
    ends = selectors.shift_ends(set(queryset.order_by().values_list("shop_id", flat=True).distinct()))
    shift_end = min((end for shop_id, end in ends.items() if shop_id is not None), default=ends[None])
    table = Table(
        request, queryset,
        columns=[Column("order", _("Order number"), "platform_order_no"), Column("shop", _("Shop"), "shop__code"),
                 Column("paid", _("Paid at"), "paid_at"), Column("buyer", _("Buyer account"), "buyer_platform_id"),
                 Column("items", _("Items")), Column("why", _("Why it cannot ship")),
                 Column("told", _("Buyer told")), Column("action", "")],
        tabs=[Tab("to_tell", _("To tell"), Q(told=False)), Tab("told", _("Told today"), Q(told=True)),
              Tab("all", _("All"), Q())],
        row_template=CANNOT_SHIP_ROW, default_sort="paid_at",
        empty_text=_("Every paid order can ship today."),
    )

    def cells(row):
        _cannot_ship_cells(row)
        end = ends.get(row.shop_id, shift_end)
        row.shift_end = end if end != shift_end else None

    _decorate(table, cells)
    return render(request, "orders/queues/cannot_ship.html", {
        "table": table, "shift_end": timezone.localtime(shift_end), "shift_over": clock.now() >= shift_end})


@permission_required(services.CHANGE, raise_exception=True)
@require_POST
def buyer_told(request, pk):
    order = get_object_or_404(selectors.orders_visible_to(request.user).annotate(told=told_today()), pk=pk)
    error = ""
    if not order.told:
        try:
            services.add_note(actor=request.user, order=order, text=BUYER_TOLD, flagged=False)
        except ServiceError as exc:
            error = _with_no(order, exc.message)
        else:
            order.told = True
    _cannot_ship_cells(order)
    order.shift_end = None
    return _row_response(request, template=CANNOT_SHIP_ROW, row=order, error=error,
                         back=reverse("orders:cannot_ship"),
                         notice=gettext("Order %(no)s: buyer told.") % {"no": order.platform_order_no})


# --- change approvals (004:60) ----------------------------------------------------------------------------------------


CHANGE_ROW = "orders/queues/rows/change.html"


def _change_cells(row) -> None:
    row.percent = None
    if row.kind == ChangeRequest.Kind.DISCOUNT:
        base = row.order.goods_amount + row.order.discount
        row.percent = (row.new_value * 100 / base).quantize(Decimal("0.1")) if base else None


@permission_required("orders.view_changerequest", raise_exception=True)
def changes(request):
    can_decide = request.user.has_perm(APPROVE_OVER_LIMIT)
    S = ChangeRequest.State
    table = Table(
        request, selectors.change_requests(request.user).select_related("requested_by__staff_profile",
                                                                         "decided_by__staff_profile"),
        columns=[Column("requested", _("Requested"), "requested_at"),
                 Column("order", _("Order number"), "order__platform_order_no"),
                 Column("change", _("Requested change"), "kind"), Column("values", _("Before → after"), css="num"),
                 Column("percent", _("Of goods total"), css="num"),
                 Column("who", _("Requested by"), "requested_by__username"), Column("reason", _("Reason")),
                 Column("decision", _("Decision"), "state"), Column("action", "")],
        tabs=[Tab("pending", _("Waiting for approval"), Q(state=S.PENDING)),
              Tab("approved", _("Approved"), Q(state=S.APPROVED)),
              Tab("rejected", _("Rejected"), Q(state=S.REJECTED))],
        row_template=CHANGE_ROW, default_sort="-requested_at",
        empty_text=_("No change requests."),
    )
    _decorate(table, _change_cells)
    return render(request, "orders/queues/changes.html", {"table": table, "can_decide": can_decide})


def _decide(request, pk, decide, notice: str):
    change = get_object_or_404(selectors.change_requests(request.user), pk=pk)
    reason = (request.POST.get(f"reason_{pk}") or request.POST.get("reason") or "").strip()
    error = ""
    try:
        change = decide(actor=request.user, request=change, reason=reason)
    except ServiceError as exc:
        error = exc.message
    change = selectors.change_requests(request.user).select_related(
        "requested_by__staff_profile", "decided_by__staff_profile").get(pk=pk)
    _change_cells(change)
    return _row_response(request, template=CHANGE_ROW, row=change, error=error, back=reverse("orders:changes"),
                         notice=notice % {"no": change.order.platform_order_no},
                         can_decide=request.user.has_perm(APPROVE_OVER_LIMIT))


@permission_required(APPROVE_OVER_LIMIT, raise_exception=True)
@require_POST
def change_approve(request, pk):
    return _decide(request, pk, services.approve_change_request, gettext("The change of order %(no)s is approved."))


@permission_required(APPROVE_OVER_LIMIT, raise_exception=True)
@require_POST
def change_reject(request, pk):
    return _decide(request, pk, services.reject_change_request, gettext("The change of order %(no)s is rejected."))


# --- order tasks ------------------------------------------------------------------------------------------------------


TASK_ROW = "orders/queues/rows/task.html"


def _task_cells(row) -> None:
    row.role_label = role_name(row.role)


@permission_required("orders.view_ordertask", raise_exception=True)
def tasks(request):
    role = request.GET.get("role", "")
    queryset = selectors.tasks(request.user).select_related("done_by__staff_profile", "created_by__staff_profile")
    if role in TASK_ROLES:
        queryset = queryset.filter(role=role)
    else:
        role = ""
    table = Table(
        request, queryset,
        columns=[Column("created", _("Created"), "created_at"),
                 Column("order", _("Order number"), "order__platform_order_no"),
                 Column("task", _("Task"), "kind"), Column("role", _("For"), "role"), Column("note", _("Note")),
                 Column("who", _("Created by")), Column("state", _("State"), "state"), Column("action", "")],
        tabs=[Tab("open", _("Open"), Q(state=OrderTask.State.OPEN)),
              Tab("done", _("Done"), Q(state=OrderTask.State.DONE))],
        row_template=TASK_ROW, default_sort="created_at",
        empty_text=_("No order tasks."),
    )
    _decorate(table, _task_cells)
    params = request.GET.copy()
    params.pop("page", None)
    filters = []
    for code, label in (("", _("All posts")), *((c, role_name(c)) for c in TASK_ROLES)):
        params["role"] = code
        filters.append({"label": label, "url": "?" + params.urlencode(), "active": code == role})
    return render(request, "orders/queues/tasks.html", {"table": table, "role_filters": filters,
                                                        "can_complete": request.user.has_perm(services.TASKS)})


@permission_required(services.TASKS, raise_exception=True)
@require_POST
def task_done(request, pk):
    task = get_object_or_404(selectors.tasks(request.user), pk=pk)
    note = (request.POST.get(f"note_{pk}") or request.POST.get("note") or "").strip()
    error = ""
    try:
        services.complete_task(actor=request.user, task=task, note=note)
    except ServiceError as exc:
        error = _with_no(task.order, exc.message)
    task = selectors.tasks(request.user).select_related("done_by__staff_profile", "created_by__staff_profile").get(
        pk=pk)
    _task_cells(task)
    if task.order.on_hold:
        notice = gettext("Task done; order %(no)s stays on hold (another task or a change request is open).")
    else:
        notice = gettext("Task done; order %(no)s is released.")
    return _row_response(request, template=TASK_ROW, row=task, error=error, back=reverse("orders:tasks"),
                         notice=notice % {"no": task.order.platform_order_no},
                         can_complete=request.user.has_perm(services.TASKS))


# --- rules and unreachable areas --------------------------------------------------------------------------------------


def _rules_url(shop_code: str) -> str:
    return reverse("orders:rules") + (f"?{urlencode({'shop': shop_code})}" if shop_code else "")


@permission_required("orders.view_shoporderrules", raise_exception=True)
def rules(request):
    user = request.user
    shops = shops_visible_to(user).order_by("code")
    code = request.POST.get("shop") or request.GET.get("shop") or ""
    shop = get_object_or_404(shops, code=code) if code else shops.first()
    can_edit = user.has_perm(services.RULES)
    current = selectors.rules_for(shop) if shop else None
    form = RulesForm(instance=current, read_only=not can_edit, prefix="rules") if shop else None
    area_form = AreaForm(prefix="area")
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        back = _rules_url(shop.code if shop else "")
        if request.POST.get("form") == "rules" and shop is not None:
            form = RulesForm(request.POST, instance=current, prefix="rules")
            if form.is_valid():
                try:
                    services.update_rules(actor=user, shop=shop, **{k: form.cleaned_data[k] for k in form.fields})
                except ServiceError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, gettext("Order rules of %(shop)s saved.") % {"shop": shop.name})
                    return redirect(back)
        elif request.POST.get("form") == "area":
            area_form = AreaForm(request.POST, prefix="area")
            if area_form.is_valid():
                try:
                    area = services.add_unreachable_area(actor=user, **area_form.cleaned_data)
                except ServiceError as exc:
                    add_service_error(area_form, exc)
                else:
                    messages.success(request, gettext("Added: %(area)s.") % {"area": str(area)})
                    return redirect(back + "#areas")
        else:
            return redirect(back)
    return render(request, "orders/queues/rules.html", {
        "shops": shops, "shop": shop, "form": form, "area_form": area_form, "can_edit": can_edit,
        "areas": selectors.unreachable_areas(), "title": _("Order rules"),
    })


@permission_required(services.RULES, raise_exception=True)
@require_POST
def rules_area_remove(request, pk):
    area = get_object_or_404(UnreachableArea, pk=pk)
    try:
        services.remove_unreachable_area(actor=request.user, area=area)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, gettext("Removed: %(area)s.") % {"area": str(area)})
    return redirect(_rules_url(request.POST.get("shop", "")) + "#areas")

