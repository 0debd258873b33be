"""The own-site chat widget (网站在线客服): the public JSON endpoints the embedded script talks to, the "try it" shop
page, and the supervisor's widget settings.

A shop puts one line on its own website::

    <script src="https://SERVER/static/service/widget.js" data-shopdesk-key="KEY" defer></script>

The script (static/service/widget.js) draws a chat button and panel; the buyer's messages reach the workbench queue
like any other, and the agent's replies come back to the panel.

Endpoints, all under /service/widget/<key>/ and all JSON (errors: {"error": {"code", "message", "fields"}}):

- ``config/``   GET  → {"greeting", "title"}: what the panel shows before the first message.
- ``start/``    POST {"nick"?} → {"conversation", "token", "greeting"}; the token is the visitor's secret (only its
  sha256 is stored) and is sent back in the ``X-Chat-Token`` header of every later call.
- ``messages/`` POST {"text"} → the stored message; GET ``?after=<id>`` → {"messages": [...], "status"}: the
  thread's buyer, agent and system messages after that id (never private notes, intents, response times or agent
  accounts; an agent appears by display name, or as "客服").

Answers: unknown key 404, disabled widget or a site not allowed 403, missing/wrong token 403, bad input 400, over a
rate limit 429 with Retry-After.

Why polling and not server-sent events: the widget asks for new messages every ~1.5 s while open. Each poll is three
indexed queries and returns at once, so it works behind any WSGI server (waitress's 8 threads, gunicorn's sync
workers) without holding a thread per open chat and without an extra server; SSE would park a worker thread for as
long as the buyer's page stays open.

Authentication is the visitor token, never cookies: the views are csrf_exempt and login_not_required, the widget
sends ``credentials: "omit"``, and CORS never allows credentials.

CORS: the widget runs on the shop's own site, another origin. A request whose Origin is our own site (the try page),
is listed in the widget's allowed sites, or comes while the list is empty (any site may embed the widget — convenient
for a first test, documented on the settings page) is answered with ``Access-Control-Allow-Origin`` set to that
origin; any other Origin is refused with 403 before anything is written (a browser preflight fails for it too).

Rate limits (Django's cache: per process with the default local-memory cache, shared by every process with Redis or
Memcached configured in CACHES). Fixed windows, so a client at a window's edge may get up to twice the limit in a
short burst; the point is to stop floods, not to meter. MESSAGES_PER_MINUTE (20) messages per minute per visitor
token, CHATS_PER_HOUR (10) new chats per hour per IP address, POLLS_PER_MINUTE (120) polls per minute per visitor
token. Over a limit: 429 with Retry-After (exposed to the widget's script through CORS).

The IP address is REMOTE_ADDR, or behind the HTTPS proxy (SHOPDESK_HTTPS=1) the last X-Forwarded-For entry, the one
the proxy appends (nginx: ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;``).
"""

from __future__ import annotations

import hashlib
import json
import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from shopdesk.channels.selectors import shops_visible_to
from shopdesk.core import clock
from shopdesk.core.drf import error_body
from shopdesk.core.errors import Conflict, ServiceError
from shopdesk.service import selectors, services
from shopdesk.service.forms_widget import WidgetSettingsForm
from shopdesk.service.models import ChatWidget, Conversation, Message
from shopdesk.web.forms import add_service_error

#: Messages one visitor (token) may send per minute.
MESSAGES_PER_MINUTE = 20
#: New chats one IP address may start per hour.
CHATS_PER_HOUR = 10
#: Polls one visitor (token) may make per minute: the widget polls every 1.5 s (40/min), so two open tabs fit.
POLLS_PER_MINUTE = 120
#: At most this many messages per poll (the widget asks again with the last id it got).
POLL_BATCH = 100
#: The name the buyer sees for an agent without a display name.
AGENT_FALLBACK_NAME = "客服"
TOKEN_HEADER = "X-Chat-Token"
ALLOWED_HEADERS = f"Content-Type, {TOKEN_HEADER}"



# --- plumbing: JSON errors, CORS, rate limits -------------------------------------------------------------------------


def _error(status: int, code: str, message: str, fields: dict | None = None, **headers) -> JsonResponse:
    response = JsonResponse(error_body(code, str(message), fields), status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _own_origin(request) -> str:
    return f"{request.scheme}://{request.get_host()}".lower()


def _allowed_origins(widget: ChatWidget) -> list[str]:
    return [o.strip().rstrip("/").lower() for o in (widget.allowed_origins or "").split() if o.strip()]


def origin_allowed(request, widget: ChatWidget) -> bool:
    """A request without Origin is no cross-site browser call (a same-origin GET, a script): nothing to decide.
    Our own site (the try page) is always allowed; an empty list allows every site."""
    origin = (request.headers.get("Origin") or "").strip().rstrip("/").lower()
    if not origin:
        return True
    listed = _allowed_origins(widget)
    return not listed or origin == _own_origin(request) or origin in listed


def _with_cors(request, response, *, preflight: bool = False):
    origin = request.headers.get("Origin")
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
        if preflight:
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = "600"
    response["Vary"] = "Origin"
    response["Cache-Control"] = "no-store"
    return response


def client_ip(request) -> str:
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or "unknown"


def over_limit(bucket: str, ident: str, limit: int, window: int) -> int:
    """Count one request of `ident` in `bucket`; 0 when within `limit` per `window` seconds, else the seconds until
    the window ends (for Retry-After). The cache key holds a hash of `ident`, never a visitor token itself."""
    moment = clock.now().timestamp()
    slot = int(moment // window)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"shopdesk:widget:{bucket}:{digest}:{slot}"
    if cache.add(key, 1, timeout=window + 60):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 60)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((slot + 1) * window - moment))


def _too_many(retry_after: int) -> JsonResponse:
    return _error(429, "rate_limited", gettext("Too many messages: please wait %(n)d seconds and try again.")
                  % {"n": retry_after}, Retry_After=str(retry_after))


def _json_body(request) -> dict | None:
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def widget_endpoint(view):
    """Public JSON endpoint of one widget: no login, no CSRF (the visitor token authenticates, never a cookie),
    the preflight answered, unknown keys 404, other sites and a disabled widget 403, CORS headers on every answer."""

    @login_not_required
    @csrf_exempt
    def wrapper(request, key):
        widget = ChatWidget.objects.select_related("shop").filter(key=key).first()
        if widget is None:
            return _with_cors(request, _error(404, "not_found", gettext("This chat does not exist.")))
        if not origin_allowed(request, widget):
            # No Access-Control-Allow-Origin: the other site's script cannot even read the refusal.
            response = _error(403, "origin_not_allowed", gettext("This website may not use the shop's chat."))
            response["Vary"] = "Origin"
            return response
        if request.method == "OPTIONS":
            return _with_cors(request, JsonResponse({}, status=200), preflight=True)
        if not widget.enabled:
            return _with_cors(request, _error(403, "disabled", gettext("This chat is closed.")))
        return _with_cors(request, view(request, widget))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _conversation_of(request, widget: ChatWidget) -> Conversation | None:
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not token or len(token) > 200:
        return None
    return (Conversation.objects.filter(shop_id=widget.shop_id, channel=Conversation.Channel.WIDGET,
                                        visitor_key_hash=services.hash_secret(token)).first())


def _bad_token() -> JsonResponse:
    return _error(403, "bad_token", gettext("This chat has ended: please start a new one."))


def _author(message: Message) -> str:
    if message.direction == Message.Direction.BUYER:
        return ""
    if message.direction == Message.Direction.SYSTEM:
        return AGENT_FALLBACK_NAME
    profile = getattr(message.agent, "staff_profile", None) if message.agent_id else None
    return (profile.display_name if profile and profile.display_name else "") or AGENT_FALLBACK_NAME


def message_data(message: Message) -> dict:
    """What the buyer may see of a message: plain text, never HTML."""
    return {"id": message.pk, "direction": message.direction, "author": _author(message), "text": message.text,
            "sent_at": timezone.localtime(message.sent_at).isoformat()}


# --- the endpoints ----------------------------------------------------------------------------------------------------


@widget_endpoint
def widget_config(request, widget):
    """GET: the greeting and the panel's title, shown before the buyer writes."""
    if request.method != "GET":
        return _error(405, "method_not_allowed", gettext("Use GET."))
    return JsonResponse({"greeting": widget.greeting, "title": "在线客服"})


@widget_endpoint
def widget_start(request, widget):
    """POST {"nick"?}: a new conversation and its visitor token."""
    if request.method != "POST":
        return _error(405, "method_not_allowed", gettext("Use POST."))
    data = _json_body(request)
    if data is None:
        return _error(400, "invalid", gettext("The request body is not a JSON object."))
    wait = over_limit("start", client_ip(request), CHATS_PER_HOUR, 3600)
    if wait:
        return _error(429, "rate_limited", gettext("Too many new chats from this address: please try again in "
                                                   "%(n)d minutes.") % {"n": math.ceil(wait / 60)},
                      Retry_After=str(wait))
    nick = data.get("nick") if isinstance(data.get("nick"), str) else ""
    try:
        conversation, token = services.start_widget_chat(widget=widget, nick=nick)
    except Conflict as exc:
        return _error(403, "disabled", exc.message)
    return JsonResponse({"conversation": conversation.pk, "token": token, "greeting": widget.greeting},
                        status=201)


@widget_endpoint
def widget_messages(request, widget):
    """GET ?after=<id>: the visible messages after that id. POST {"text"}: the buyer writes."""
    if request.method not in ("GET", "POST"):
        return _error(405, "method_not_allowed", gettext("Use GET or POST."))
    conversation = _conversation_of(request, widget)
    if conversation is None:
        return _bad_token()
    token_hash = conversation.visitor_key_hash
    if request.method == "GET":
        wait = over_limit("poll", token_hash, POLLS_PER_MINUTE, 60)
        if wait:
            return _too_many(wait)
        try:
            after = max(0, int(request.GET.get("after") or 0))
        except ValueError:
            return _error(400, "invalid", gettext("“after” must be a message number."), {"after": ["not a number"]})
        rows = (selectors.thread(conversation, after_id=after, include_notes=False)
                .filter(direction__in=[Message.Direction.BUYER, Message.Direction.AGENT, Message.Direction.SYSTEM])
                .select_related("agent__staff_profile")[:POLL_BATCH])
        return JsonResponse({"messages": [message_data(m) for m in rows], "status": conversation.status})
    data = _json_body(request)
    if data is None or not isinstance(data.get("text", ""), str):
        return _error(400, "invalid", gettext("The request body is not a JSON object with a text."))
    text = (data.get("text") or "").strip()
    if len(text) > services.MAX_TEXT:
        message = gettext("A message has at most %(n)d characters; this one has %(m)d.") % {
            "n": services.MAX_TEXT, "m": len(text)}
        return _error(400, "too_long", message, {"text": [message]})
    wait = over_limit("message", token_hash, MESSAGES_PER_MINUTE, 60)
    if wait:
        return _too_many(wait)
    try:
        message = services.post_widget_message(widget=widget, conversation=conversation, text=text)
    except Conflict as exc:
        return _error(403, "disabled", exc.message)
    except ServiceError as exc:
        return _error(400, exc.code, exc.message, exc.fields)
    return JsonResponse(message_data(message), status=201)


# --- pages ------------------------------------------------------------------------------------------------------------


@login_not_required
def widget_try(request, key):
    """A plain shop page on our server with the widget embedded by its one <script> line, for the shop to try."""
    widget = ChatWidget.objects.select_related("shop").filter(key=key).first()
    if widget is None:
        raise Http404
    return render(request, "service/widget/try.html", {"widget": widget})


def embed_snippet(request, widget: ChatWidget) -> str:
    src = request.build_absolute_uri(static("service/widget.js"))
    return f'<script src="{src}" data-shopdesk-key="{widget.key}" defer></script>'


@permission_required(services.CHANGE_WIDGET, raise_exception=True)
def widget_settings(request):
    """Per shop: on/off, the sites allowed to embed it, the greeting, a new key; the snippet to paste."""
    shops = list(shops_visible_to(request.user).order_by("code"))
    code = request.GET.get("shop") or (shops[0].code if shops else "")
    if not shops:
        return render(request, "service/widget/settings.html", {"shops": [], "shop": None})
    shop = get_object_or_404(shops_visible_to(request.user), code=code)
    widget = ChatWidget.objects.filter(shop=shop).first()
    current = widget or ChatWidget(shop=shop)
    form = WidgetSettingsForm(request.POST or None, initial={
        "enabled": current.enabled, "allowed_origins": current.allowed_origins, "greeting": current.greeting})
    if request.method == "POST" and form.is_valid():
        new_key = "new_key" in request.POST
        try:
            services.configure_widget(actor=request.user, shop=shop, new_key=new_key, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if new_key:
                messages.success(request, gettext("A new key was made for %(shop)s: replace the snippet on the "
                                                  "website, the old one no longer works.") % {"shop": shop.name})
            else:
                messages.success(request, gettext("Chat widget of %(shop)s saved.") % {"shop": shop.name})
            return redirect(f"{reverse('service:widget_settings')}?shop={shop.code}")
    return render(request, "service/widget/settings.html", {
        "shops": shops, "shop": shop, "widget": widget, "form": form,
        "snippet": embed_snippet(request, widget) if widget else "",
        "try_url": reverse("service:widget_try", args=[widget.key]) if widget else "",
    })
