"""Writes of the supervisor's side of customer service (product.md §2.7): quality inspection, the duty roster and
its shifts, the monthly reward/penalty score sheets, and the department's CS settings.

As everywhere: keyword-only arguments with the actor first, one transaction per business action, the permission
(and the shop where there is one) checked, an audit event in the same transaction. The automatic quality score of a
conversation-day is derived data the system writes when a conversation closes (`score_conversation_day`); it is not
audited row by row, but the supervisor's re-inspection of a day and every manual score are.

Score sheet (客服每月奖罚评分表, 003:552): per agent per month, `computed_score` 0-100 is the weighted mean of four
component scores, each 0-100 (weights: ServiceSettings.score_weights; a component without data that month is left
out and the other weights count in proportion):
- quality: the month's average quality score (the supervisor's manual score where given);
- first_response: 100 when the average first response is at most 15 s, 0 at 120 s or more, linear between;
- answered_30s: the share of first responses within 30 s, as a percentage;
- conversion: inquiry→order conversion; 50% or more is full marks (rate x 200, at most 100).
The supervisor adds an adjustment (comment required when non-zero) and submits it; the manager approves it or sends
it back with a reason. It is due the day before payroll (ServiceSettings.payroll_day of the next month).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from shopdesk.channels.selectors import check_shop_access, shops_visible_to
from shopdesk.core import audit, clock
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.service import kpis, quality, selectors_team
from shopdesk.service.models import (
    Conversation,
    Message,
    QualityScore,
    RosterEntry,
    ScoreSheet,
    ServiceSettings,
    Shift,
    _default_quality_weights,
    _default_score_weights,
)
from shopdesk.staff.authz import authorize_actor

INSPECT = "service.inspect_quality"
ADD_ROSTER = "service.add_rosterentry"
DELETE_ROSTER = "service.delete_rosterentry"
ADD_SHIFT = "service.add_shift"
CHANGE_SHIFT = "service.change_shift"
CHANGE_SHEET = "service.change_scoresheet"
APPROVE_SHEET = "service.approve_scoresheet"
CHANGE_SETTINGS = "service.change_servicesettings"

COMPONENTS = ("quality", "first_response", "answered_30s", "conversion")
FIRST_RESPONSE_FULL = 15  # seconds: full marks at or under
FIRST_RESPONSE_ZERO = 120  # seconds: no marks at or over
CONVERSION_FULL = 0.5  # a conversion rate giving full marks
MAX_ADJUSTMENT = Decimal("100")
S = ScoreSheet.State


def invalid(message: str, field: str) -> ServiceError:
    return ServiceError(message, fields={field: [str(message)]})


# --- quality inspection ---------------------------------------------------------------------------------------------


def _own_data(conversations) -> dict[int, tuple[set[str], list[str]]]:
    """Per conversation: the phone numbers and addresses that are the buyer's own (their orders in the shop) or the
    shop's own (its sender phone and address): an agent may write those."""
    from shopdesk.fulfillment.models import ShopShipping
    from shopdesk.orders.models import Order

    by_shop: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for c in conversations:
        by_shop[c.shop_id][c.buyer_id].append(c.pk)
    out = {c.pk: (set(), []) for c in conversations}
    shop_data: dict[int, tuple[set[str], list[str]]] = {}
    for shop_id, phone, address in ShopShipping.objects.filter(shop_id__in=list(by_shop)).values_list(
            "shop_id", "sender_phone", "sender_address"):
        shop_data[shop_id] = ({phone} if phone else set(), [address] if address else [])
    for shop_id, buyers in by_shop.items():
        names = list(buyers)
        for i in range(0, len(names), 500):
            rows = Order.objects.filter(shop_id=shop_id, buyer_platform_id__in=names[i:i + 500]).values_list(
                "buyer_platform_id", "mobile", "landline", "province", "city", "district", "address_detail")
            for buyer, mobile, landline, province, city, district, detail in rows:
                for pk in buyers[buyer]:
                    phones, addresses = out[pk]
                    phones.update(p for p in (mobile, landline) if p)
                    addresses.append(f"{province}{city}{district}{detail}")
        phones, addresses = shop_data.get(shop_id, (set(), []))
        for pks in buyers.values():
            for pk in pks:
                out[pk][0].update(phones)
                out[pk][1].extend(addresses)
    return out


def _ended(conversation: Conversation, day: date, today: date) -> bool:
    """A conversation-day is over when the day has passed, or the conversation was closed on or after it."""
    if day < today:
        return True
    return (conversation.status == Conversation.Status.CLOSED and conversation.closed_at is not None
            and timezone.localtime(conversation.closed_at).date() >= day)


def _lines(rows) -> list[quality.Line]:
    return [quality.Line(id=pk, direction=direction, text=text, sent_at=sent_at, response_seconds=seconds,
                         agent_id=agent_id) for pk, direction, text, sent_at, seconds, agent_id in rows]


_LINE_FIELDS = ("id", "direction", "text", "sent_at", "response_seconds", "agent_id")
_CHAT = (Message.Direction.BUYER, Message.Direction.AGENT)


def _store(results: dict[int, quality.Inspection], day: date) -> list[QualityScore]:
    """Create or update the rule part of each conversation's score of `day` (the manual score stays)."""
    now = clock.now()
    existing = {s.conversation_id: s for s in QualityScore.objects.filter(conversation_id__in=list(results), day=day)}
    new, changed = [], []
    for conversation_id, result in results.items():
        score = existing.get(conversation_id)
        if score is None:
            new.append(QualityScore(conversation_id=conversation_id, day=day, agent_id=result.agent_id,
                                    auto_score=result.score, findings=result.findings_json(), computed_at=now))
        else:
            score.auto_score, score.findings, score.agent_id = result.score, result.findings_json(), result.agent_id
            score.computed_at = now
            changed.append(score)
    if new:
        QualityScore.objects.bulk_create(new, batch_size=500)
    if changed:
        QualityScore.objects.bulk_update(changed, ["auto_score", "findings", "agent", "computed_at"], batch_size=500)
    return [*new, *changed]


def _inspect(conversations: list[Conversation], messages_by_conversation: dict[int, list], day: date) -> dict:
    settings = selectors_team.service_settings()
    weights = {**_default_quality_weights(), **(settings.quality_weights or {})}
    own = _own_data(conversations)
    today = clock.today()
    results = {}
    for c in conversations:
        rows = messages_by_conversation.get(c.pk)
        if not rows:
            continue
        phones, addresses = own[c.pk]
        results[c.pk] = quality.inspect(_lines(rows), weights=weights,
                                        slow_reply_seconds=settings.slow_reply_seconds,
                                        ended=_ended(c, day, today), own_phones=phones, own_addresses=addresses)
    return results


def score_conversation_day(*, conversation, day) -> QualityScore | None:
    """Compute (again) the rule score of `conversation` on `day` and store it, keeping a manual score. Called by
    services.close_conversation inside its transaction; None when the conversation had no message that day."""
    lo, hi = kpis.local_bounds(day, day)
    rows = list(Message.objects.filter(conversation_id=conversation.pk, sent_at__gte=lo, sent_at__lt=hi,
                                       direction__in=_CHAT).order_by("sent_at", "id").values_list(*_LINE_FIELDS))
    if not rows:
        return None
    results = _inspect([conversation], {conversation.pk: rows}, day)
    stored = _store(results, day)
    return stored[0] if stored else None


@transaction.atomic
def inspect_day(*, actor, day: date, shop=None) -> int:
    """(Re)inspect every conversation of the person's shops (or one shop) that had messages on `day`; manual scores
    stay. Answers how many conversation-days were scored."""
    grant = authorize_actor(actor, INSPECT)
    if day > clock.today():
        raise invalid(gettext("That day has not come yet."), "day")
    if shop is not None:
        check_shop_access(actor, shop)
        shop_ids = [shop.pk]
    elif actor is None:
        shop_ids = None
    else:
        shop_ids = list(shops_visible_to(actor).values_list("pk", flat=True))
    lo, hi = kpis.local_bounds(day, day)
    messages = Message.objects.filter(sent_at__gte=lo, sent_at__lt=hi, direction__in=_CHAT)
    if shop_ids is not None:
        messages = messages.filter(shop_id__in=shop_ids)
    by_conversation: dict[int, list] = defaultdict(list)
    for row in messages.order_by("conversation_id", "sent_at", "id").values_list("conversation_id", *_LINE_FIELDS):
        by_conversation[row[0]].append(row[1:])
    ids = list(by_conversation)
    conversations = []
    for i in range(0, len(ids), 500):
        conversations.extend(Conversation.objects.filter(pk__in=ids[i:i + 500]))
    stored = _store(_inspect(conversations, by_conversation, day), day) if conversations else []
    audit.record_event("service.quality_inspected", actor=actor, obj=shop, grant=grant,
                       changes={"day": {"before": None, "after": day.isoformat()},
                                "conversations": {"before": None, "after": len(stored)}})
    return len(stored)


_REVIEW_FIELDS = ["manual_score", "comment", "reviewed_by"]


@transaction.atomic
def review_quality_score(*, actor, score: QualityScore, manual_score: int | None, comment: str = "") -> QualityScore:
    """The supervisor's own score (0-100, or None to go back to the rule score) and comment on a conversation-day.
    A comment is required when the manual score differs from the rule score. Nobody reviews their own
    conversations."""
    grant = authorize_actor(actor, INSPECT)
    score = QualityScore.objects.select_for_update().select_related("conversation__shop").get(pk=score.pk)
    check_shop_access(actor, score.conversation.shop)
    if actor is not None and score.agent_id == actor.pk:
        raise Conflict(gettext("This is your own conversation: another supervisor reviews it."))
    comment = (comment or "").strip()
    if manual_score is not None:
        try:
            manual_score = int(manual_score)
        except (TypeError, ValueError):
            raise invalid(gettext("The score is a whole number from 0 to 100."), "manual_score") from None
        if not 0 <= manual_score <= 100:
            raise invalid(gettext("The score is a whole number from 0 to 100."), "manual_score")
        if manual_score != score.auto_score and not comment:
            raise invalid(gettext("Say why your score differs from the rule score."), "comment")
    elif not comment:
        raise invalid(gettext("Give a score or a comment."), "comment")
    if len(comment) > 500:
        raise invalid(gettext("The comment has at most 500 characters."), "comment")
    before = audit.snapshot(score, _REVIEW_FIELDS)
    score.manual_score, score.comment = manual_score, comment
    score.reviewed_by, score.reviewed_at = actor, clock.now()
    score.save(update_fields=["manual_score", "comment", "reviewed_by", "reviewed_at"])
    audit.record_event("service.quality_reviewed", actor=actor, obj=score, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(score, _REVIEW_FIELDS)))
    return score


# --- roster ---------------------------------------------------------------------------------------------------------


@transaction.atomic
def add_roster_entry(*, actor, day: date, shift: Shift, agent) -> RosterEntry:
    """Put an agent on a shift on a day. The agent must hold a customer-service post and work on a shop."""
    grant = authorize_actor(actor, ADD_ROSTER)
    if not selectors_team.is_cs_agent(agent):
        raise invalid(gettext("%(name)s is not a customer-service person working on a shop.")
                      % {"name": selectors_team.person_name(agent) if agent else "?"}, "agent")
    if RosterEntry.objects.filter(day=day, shift=shift, agent=agent).exists():
        raise Conflict(gettext("%(name)s is already on the %(shift)s shift on %(day)s.")
                       % {"name": selectors_team.person_name(agent), "shift": shift.name, "day": day.isoformat()})
    entry = RosterEntry.objects.create(day=day, shift=shift, agent=agent)
    audit.record_event("service.roster_added", actor=actor, obj=entry, grant=grant,
                       changes=audit.created(entry, ["day", "shift", "agent"]))
    return entry


@transaction.atomic
def remove_roster_entry(*, actor, entry: RosterEntry) -> None:
    grant = authorize_actor(actor, DELETE_ROSTER)
    audit.record_event("service.roster_removed", actor=actor, obj=entry, grant=grant,
                       changes={"day": {"before": entry.day.isoformat(), "after": None},
                                "shift": {"before": entry.shift.name, "after": None},
                                "agent": {"before": str(entry.agent), "after": None}})
    entry.delete()


_SHIFT_FIELDS = ["name", "start", "end"]


def _check_shift(name: str, start, end, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise invalid(gettext("The shift needs a name."), "name")
    if len(name) > 20:
        raise invalid(gettext("A shift name has at most 20 characters."), "name")
    if not isinstance(start, time) or not isinstance(end, time):
        raise invalid(gettext("Give the start and end times."), "start")
    if start == end:
        raise invalid(gettext("A shift cannot start and end at the same time."), "end")
    if Shift.objects.filter(name=name).exclude(pk=exclude).exists():
        raise Conflict(gettext("There is already a shift named %(name)s.") % {"name": name})
    return name


@transaction.atomic
def create_shift(*, actor, name: str, start: time, end: time) -> Shift:
    grant = authorize_actor(actor, ADD_SHIFT)
    name = _check_shift(name, start, end)
    shift = Shift.objects.create(name=name, start=start, end=end)
    audit.record_event("service.shift_created", actor=actor, obj=shift, grant=grant,
                       changes=audit.created(shift, _SHIFT_FIELDS))
    return shift


@transaction.atomic
def update_shift(*, actor, shift: Shift, name: str, start: time, end: time) -> Shift:
    """Change a shift's name or times (an end at or before the start means the next morning)."""
    grant = authorize_actor(actor, CHANGE_SHIFT)
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    name = _check_shift(name, start, end, exclude=shift.pk)
    before = audit.snapshot(shift, _SHIFT_FIELDS)
    shift.name, shift.start, shift.end = name, start, end
    shift.save()
    audit.record_event("service.shift_changed", actor=actor, obj=shift, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(shift, _SHIFT_FIELDS)))
    return shift


# --- score sheets ---------------------------------------------------------------------------------------------------


def component_scores(measures: dict) -> dict[str, float | None]:
    """Each component 0-100 from an agent's month (see the module docstring); None when there is no data."""
    out: dict[str, float | None] = dict.fromkeys(COMPONENTS)
    if measures.get("quality_average") is not None:
        out["quality"] = float(measures["quality_average"])
    seconds = measures.get("first_response_seconds")
    if seconds is not None:
        span = FIRST_RESPONSE_ZERO - FIRST_RESPONSE_FULL
        out["first_response"] = max(0.0, min(100.0, 100.0 * (FIRST_RESPONSE_ZERO - float(seconds)) / span))
    if measures.get("answered_30s") is not None:
        out["answered_30s"] = 100.0 * float(measures["answered_30s"])
    if measures.get("conversion") is not None:
        out["conversion"] = min(100.0, 100.0 * float(measures["conversion"]) / CONVERSION_FULL)
    return {k: (round(v, 2) if v is not None else None) for k, v in out.items()}


def compute_score(measures: dict, weights: dict) -> tuple[Decimal, list[dict]]:
    """(computed score 0-100, the components with their value, score and weight) of an agent's month."""
    scores = component_scores(measures)
    parts, total_weight, total = [], 0, 0.0
    for key in COMPONENTS:
        weight = int(weights.get(key, 0) or 0)
        score = scores[key]
        used = score is not None and weight > 0
        parts.append({"key": key, "score": score, "weight": weight, "used": used})
        if used:
            total_weight += weight
            total += weight * score
    computed = Decimal(str(round(total / total_weight, 2))) if total_weight else Decimal("0")
    return computed.quantize(Decimal("0.01")), parts


def _month(value) -> date:
    if not isinstance(value, date):
        raise invalid(gettext("Give the month."), "month")
    month = value.replace(day=1)
    if month > clock.today().replace(day=1):
        raise invalid(gettext("That month has not come yet."), "month")
    return month


_SHEET_FIELDS = ["computed_score", "adjustment", "comment", "state", "due_on", "submitted_by", "decided_by",
                 "decision_reason"]


def _build(actor, grant, agent, month: date, measures: dict, settings: ServiceSettings) -> ScoreSheet:
    weights = {**_default_score_weights(), **(settings.score_weights or {})}
    computed, parts = compute_score(measures, weights)
    stored = {"month": month.strftime("%Y-%m"), "kpis": measures, "components": parts, "weights": weights,
              "built_at": clock.now().isoformat()}
    due = selectors_team.due_on(month, settings.payroll_day)
    sheet = ScoreSheet.objects.select_for_update().filter(month=month, agent=agent).first()
    if sheet is None:
        sheet = ScoreSheet.objects.create(month=month, agent=agent, measures=stored, computed_score=computed,
                                          due_on=due)
        audit.record_event("service.scoresheet_built", actor=actor, obj=sheet, grant=grant,
                           changes=audit.created(sheet, _SHEET_FIELDS))
        return sheet
    if sheet.state not in selectors_team.OPEN_SHEET_STATES:
        raise Conflict(gettext("The score sheet of %(name)s for %(month)s is %(state)s: it cannot be rebuilt.")
                       % {"name": selectors_team.person_name(agent), "month": month.strftime("%Y-%m"),
                          "state": sheet.get_state_display()})
    before = audit.snapshot(sheet, _SHEET_FIELDS)
    sheet.measures, sheet.computed_score, sheet.due_on = stored, computed, due
    sheet.save(update_fields=["measures", "computed_score", "due_on"])
    audit.record_event("service.scoresheet_rebuilt", actor=actor, obj=sheet, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(sheet, _SHEET_FIELDS)))
    return sheet


@transaction.atomic
def build_scoresheet(*, actor, agent, month: date) -> ScoreSheet:
    """Build (or rebuild, while a draft or sent back) the agent's sheet of `month` from the KPIs and quality
    scores; the adjustment and comment stay."""
    grant = authorize_actor(actor, CHANGE_SHEET)
    month = _month(month)
    if not selectors_team.cs_people().filter(pk=agent.pk).exists():
        raise invalid(gettext("%(name)s holds no customer-service post.") % {"name": selectors_team.person_name(agent)},
                      "agent")
    settings = selectors_team.service_settings()
    measures = selectors_team.sheet_measures([agent.pk], month)[agent.pk]
    return _build(actor, grant, agent, month, measures, settings)


@transaction.atomic
def build_scoresheets(*, actor, month: date) -> list[ScoreSheet]:
    """Build or rebuild the sheets of `month` for every pre-sales and after-sales agent (approved and submitted
    sheets are left as they are)."""
    grant = authorize_actor(actor, CHANGE_SHEET)
    month = _month(month)
    settings = selectors_team.service_settings()
    agents = list(selectors_team.sheet_agents())
    locked = set(ScoreSheet.objects.filter(month=month).exclude(state__in=selectors_team.OPEN_SHEET_STATES)
                 .values_list("agent_id", flat=True))
    agents = [a for a in agents if a.pk not in locked]
    if not agents:
        return []
    measures = selectors_team.sheet_measures([a.pk for a in agents], month)
    return [_build(actor, grant, a, month, measures[a.pk], settings) for a in agents]


def _locked_sheet(sheet: ScoreSheet) -> ScoreSheet:
    return ScoreSheet.objects.select_for_update(of=("self",)).select_related("agent").get(pk=sheet.pk)


def _not_own(actor, sheet: ScoreSheet) -> None:
    if actor is not None and sheet.agent_id == actor.pk:
        raise Conflict(gettext("This is your own score sheet: someone else handles it."))


def _editable(sheet: ScoreSheet) -> None:
    if sheet.state not in selectors_team.OPEN_SHEET_STATES:
        raise Conflict(gettext("This score sheet is %(state)s and can no longer be changed.")
                       % {"state": sheet.get_state_display()})


@transaction.atomic
def adjust_scoresheet(*, actor, sheet: ScoreSheet, adjustment, comment: str = "") -> ScoreSheet:
    """The supervisor's adjustment (±, at most 100 points) with its comment (required when not zero)."""
    grant = authorize_actor(actor, CHANGE_SHEET)
    sheet = _locked_sheet(sheet)
    _not_own(actor, sheet)
    _editable(sheet)
    try:
        value = Decimal(str(adjustment)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise invalid(gettext("The adjustment is a number of points."), "adjustment") from None
    if abs(value) > MAX_ADJUSTMENT:
        raise invalid(gettext("The adjustment is at most %(n)s points either way.") % {"n": MAX_ADJUSTMENT},
                      "adjustment")
    comment = (comment or "").strip()
    if value != 0 and not comment:
        raise invalid(gettext("Say why you adjust the score."), "comment")
    if len(comment) > 500:
        raise invalid(gettext("The comment has at most 500 characters."), "comment")
    before = audit.snapshot(sheet, _SHEET_FIELDS)
    sheet.adjustment, sheet.comment = value, comment
    sheet.save(update_fields=["adjustment", "comment"])
    audit.record_event("service.scoresheet_adjusted", actor=actor, obj=sheet, grant=grant, reason=comment,
                       changes=audit.changes_between(before, audit.snapshot(sheet, _SHEET_FIELDS)))
    return sheet


@transaction.atomic
def submit_scoresheet(*, actor, sheet: ScoreSheet) -> ScoreSheet:
    """Send the sheet to the manager for approval (by its due day, the day before payroll)."""
    grant = authorize_actor(actor, CHANGE_SHEET)
    sheet = _locked_sheet(sheet)
    _not_own(actor, sheet)
    _editable(sheet)
    before = audit.snapshot(sheet, _SHEET_FIELDS)
    sheet.state, sheet.submitted_by, sheet.submitted_at = S.SUBMITTED, actor, clock.now()
    sheet.save(update_fields=["state", "submitted_by", "submitted_at"])
    audit.record_event("service.scoresheet_submitted", actor=actor, obj=sheet, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(sheet, _SHEET_FIELDS)))
    return sheet


@transaction.atomic
def approve_scoresheet(*, actor, sheet: ScoreSheet, approve: bool = True, reason: str = "") -> ScoreSheet:
    """The manager approves a submitted sheet (then it is read-only) or sends it back with the reason. Nobody
    decides their own sheet or one they submitted themselves."""
    grant = authorize_actor(actor, APPROVE_SHEET)
    sheet = _locked_sheet(sheet)
    _not_own(actor, sheet)
    if sheet.state != S.SUBMITTED:
        raise Conflict(gettext("Only a submitted score sheet can be decided; this one is %(state)s.")
                       % {"state": sheet.get_state_display()})
    if actor is not None and sheet.submitted_by_id == actor.pk:
        raise Conflict(gettext("You submitted this score sheet: another person approves it."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise invalid(gettext("Say why the score sheet goes back."), "reason")
    before = audit.snapshot(sheet, _SHEET_FIELDS)
    sheet.state = S.APPROVED if approve else S.REJECTED
    sheet.decided_by, sheet.decided_at, sheet.decision_reason = actor, clock.now(), reason[:300]
    sheet.save(update_fields=["state", "decided_by", "decided_at", "decision_reason"])
    audit.record_event("service.scoresheet_approved" if approve else "service.scoresheet_rejected", actor=actor,
                       obj=sheet, grant=grant, reason=reason,
                       changes=audit.changes_between(before, audit.snapshot(sheet, _SHEET_FIELDS)))
    return sheet


def reject_scoresheet(*, actor, sheet: ScoreSheet, reason: str) -> ScoreSheet:
    return approve_scoresheet(actor=actor, sheet=sheet, approve=False, reason=reason)


# --- settings -------------------------------------------------------------------------------------------------------

_SETTINGS_FIELDS = ["chat_opens", "chat_closes", "slow_reply_seconds", "quality_weights", "score_weights",
                    "payroll_day"]


def _weights(value, keys, field: str, *, need_positive: bool) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) != set(keys):
        raise invalid(gettext("Give a weight for each of: %(keys)s.") % {"keys": ", ".join(keys)}, field)
    out = {}
    for key in keys:
        try:
            weight = int(value[key])
        except (TypeError, ValueError):
            raise invalid(gettext("Weights are whole numbers from 0 to 100."), field) from None
        if not 0 <= weight <= 100 or str(value[key]).strip() not in (str(weight), f"{weight}.0"):
            raise invalid(gettext("Weights are whole numbers from 0 to 100."), field)
        out[key] = weight
    if need_positive and not any(out.values()):
        raise invalid(gettext("At least one weight must be above 0."), field)
    return out


@transaction.atomic
def update_service_settings(*, actor, chat_opens: time, chat_closes: time, slow_reply_seconds: int,
                            quality_weights: dict, score_weights: dict, payroll_day: int) -> ServiceSettings:
    """The department's CS settings: chat hours, the slow-reply threshold, the quality rule weights (points taken
    per finding), the score sheet weights, the payroll day (1-28)."""
    grant = authorize_actor(actor, CHANGE_SETTINGS)
    if not isinstance(chat_opens, time) or not isinstance(chat_closes, time):
        raise invalid(gettext("Give the chat hours."), "chat_opens")
    if chat_opens == chat_closes:
        raise invalid(gettext("The chat cannot open and close at the same time."), "chat_closes")
    try:
        slow = int(slow_reply_seconds)
    except (TypeError, ValueError):
        raise invalid(gettext("Give a number of seconds."), "slow_reply_seconds") from None
    if not 5 <= slow <= 3600:
        raise invalid(gettext("The slow-reply threshold is 5 to 3600 seconds."), "slow_reply_seconds")
    try:
        payday = int(payroll_day)
    except (TypeError, ValueError):
        raise invalid(gettext("The payroll day is a day of the month from 1 to 28."), "payroll_day") from None
    if not 1 <= payday <= 28:
        raise invalid(gettext("The payroll day is a day of the month from 1 to 28."), "payroll_day")
    q_weights = _weights(quality_weights, quality.RULE_CODES, "quality_weights", need_positive=False)
    s_weights = _weights(score_weights, COMPONENTS, "score_weights", need_positive=True)
    settings = ServiceSettings.objects.select_for_update().order_by("pk").first() or ServiceSettings()
    before = audit.snapshot(settings, _SETTINGS_FIELDS) if settings.pk else {}
    settings.chat_opens, settings.chat_closes, settings.slow_reply_seconds = chat_opens, chat_closes, slow
    settings.quality_weights, settings.score_weights, settings.payroll_day = q_weights, s_weights, payday
    settings.save()
    audit.record_event("service.settings_changed", actor=actor, obj=settings, grant=grant,
                       changes=audit.changes_between(before, audit.snapshot(settings, _SETTINGS_FIELDS)))
    return settings
