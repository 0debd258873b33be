/* ShopDesk own-site chat widget (网站在线客服).

   A shop puts one line on its website:
     <script src="https://SERVER/static/service/widget.js" data-shopdesk-key="KEY" defer></script>
   Optional attributes: data-shopdesk-nick (the buyer's name when the website knows it), data-shopdesk-server (the
   ShopDesk address when the script is served from elsewhere, e.g. a CDN).

   Self-contained vanilla JS, no framework. The button and panel live in a shadow root (the website's CSS and ours
   do not touch each other); styles come from widget.css next to this script through a <link>, so no inline style
   or script is needed. Every message is rendered with textContent, never innerHTML. The visitor token is kept in
   localStorage per widget key; requests carry it in the X-Chat-Token header and never send cookies. New messages
   are fetched by polling (every 1.5 s while the panel is open, every 10 s while it is closed or the tab hidden),
   which works behind any WSGI server; see service/views_widget.py. */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector("script[data-shopdesk-key]");
  if (!script || !window.fetch) { return; }
  var key = script.getAttribute("data-shopdesk-key");
  if (!key) { return; }
  window.__shopdeskChat = window.__shopdeskChat || {};
  if (window.__shopdeskChat[key]) { return; }
  window.__shopdeskChat[key] = true;

  var scriptUrl = new URL(script.src, document.baseURI);
  var server = (script.getAttribute("data-shopdesk-server") || scriptUrl.origin).replace(/\/+$/, "");
  var api = server + "/service/widget/" + encodeURIComponent(key) + "/";
  var cssUrl = new URL("widget.css", scriptUrl).href;
  var storeKey = "shopdesk-chat:" + key;
  var OPEN_POLL = 1500, IDLE_POLL = 10000, RETRY = 5000, MAX_TEXT = 2000;
  var DIRECTIONS = { buyer: 1, agent: 1, system: 1 };

  var state = { token: "", lastId: 0, seen: {}, open: false, timer: null, unread: 0, sending: false,
                polling: false, pollFailed: false, greeting: "亲，您好！有什么可以帮您的吗？", greeted: false };
  var memoryStore = {};

  function load() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "null"); }
    catch (e) { return memoryStore[storeKey] || null; }
  }
  function save(value) {
    try {
      if (value) { window.localStorage.setItem(storeKey, JSON.stringify(value)); }
      else { window.localStorage.removeItem(storeKey); }
    } catch (e) { memoryStore[storeKey] = value; }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // --- the DOM, in a shadow root -------------------------------------------------------------------------------
  var host = el("div");
  host.id = "shopdesk-chat-" + key.replace(/[^A-Za-z0-9_-]/g, "");
  host.style.display = "none";  // CSSOM, allowed by any CSP; shown once widget.css is loaded
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var link = el("link");
  link.rel = "stylesheet";
  link.href = cssUrl;
  link.addEventListener("load", function () { host.style.display = ""; });
  link.addEventListener("error", function () { host.style.display = ""; });
  root.appendChild(link);

  var box = el("div", "sdw");
  var launcher = el("button", "sdw-launcher");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  launcher.appendChild(el("span", "sdw-launcher-label", "在线客服"));
  var badge = el("span", "sdw-badge");
  badge.hidden = true;
  launcher.appendChild(badge);

  var panel = el("section", "sdw-panel");
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "在线客服");
  var head = el("header", "sdw-head");
  var title = el("span", "sdw-title", "在线客服");
  var close = el("button", "sdw-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "关闭");
  head.appendChild(title);
  head.appendChild(close);
  var log = el("div", "sdw-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var status = el("div", "sdw-status");
  status.hidden = true;
  var form = el("form", "sdw-form");
  var input = el("textarea", "sdw-input");
  input.rows = 2;
  input.maxLength = MAX_TEXT;
  input.placeholder = "请输入消息…";
  input.setAttribute("aria-label", "请输入消息…");
  var send = el("button", "sdw-send", "发送");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(status);
  panel.appendChild(form);
  box.appendChild(panel);
  box.appendChild(launcher);
  root.appendChild(box);

  function showStatus(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  function scrollDown() { log.scrollTop = log.scrollHeight; }

  function clock(iso) {
    // "2026-11-22T10:05:00+08:00" → "10:05" (the server sends China time)
    return typeof iso === "string" && iso.length >= 16 ? iso.substring(11, 16) : "";
  }

  function bubble(direction, author, text, when) {
    var row = el("div", "sdw-msg sdw-" + (DIRECTIONS[direction] ? direction : "system"));
    if (direction !== "buyer") {
      row.appendChild(el("div", "sdw-meta", (author || "客服") + (when ? " " + when : "")));
    } else if (when) {
      row.appendChild(el("div", "sdw-meta", when));
    }
    row.appendChild(el("div", "sdw-text", String(text)));
    log.appendChild(row);
    scrollDown();
  }

  function greet() {
    if (state.greeted || !state.greeting) { return; }
    state.greeted = true;
    bubble("agent", "客服", state.greeting, "");
  }

  function add(message, quiet) {
    if (!message || typeof message.id !== "number" || state.seen[message.id]) { return; }
    state.seen[message.id] = true;
    if (message.id > state.lastId) { state.lastId = message.id; }
    bubble(message.direction, message.author, message.text, clock(message.sent_at));
    if (!quiet && !state.open && message.direction !== "buyer") {
      state.unread += 1;
      badge.textContent = String(state.unread);
      badge.hidden = false;
    }
  }

  // --- HTTP --------------------------------------------------------------------------------------------------------
  function request(method, path, body) {
    var headers = {};
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    if (state.token) { headers["X-Chat-Token"] = state.token; }
    return window.fetch(api + path, {
      method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", mode: "cors", cache: "no-store"
    }).then(function (response) {
      var retry = parseInt(response.headers.get("Retry-After") || "0", 10) || 0;
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data || {}, retryAfter: retry };
      });
    }, function () {
      return { status: 0, data: {}, retryAfter: 0 };
    });
  }

  function errorText(result) {
    if (result.status === 0) { return "网络异常，正在重试…"; }
    if (result.status === 429) { return "发送太频繁，请 " + (result.retryAfter || 60) + " 秒后再试"; }
    var error = result.data && result.data.error;
    return (error && error.message) || "出错了，请稍后再试";
  }

  function forget() {
    state.token = "";
    state.lastId = 0;
    save(null);
  }

  // --- polling -----------------------------------------------------------------------------------------------------
  function schedule(ms) {
    window.clearTimeout(state.timer);
    state.timer = window.setTimeout(poll, ms);
  }

  function interval() { return state.open && !document.hidden ? OPEN_POLL : IDLE_POLL; }

  function poll(quiet) {
    if (!state.token || state.polling) { return; }
    state.polling = true;
    request("GET", "messages/?after=" + state.lastId).then(function (result) {
      state.polling = false;
      if (result.status === 200) {
        if (state.pollFailed) { state.pollFailed = false; showStatus(""); }
        (result.data.messages || []).forEach(function (m) { add(m, quiet === true); });
        schedule(interval());
      } else if (result.status === 403 || result.status === 404) {
        forget();
      } else if (result.status === 429) {
        schedule((result.retryAfter || 60) * 1000);
      } else {
        if (state.open) { state.pollFailed = true; showStatus(errorText(result)); }
        schedule(RETRY);
      }
    });
  }

  // --- sending -----------------------------------------------------------------------------------------------------
  function start() {
    if (state.token) { return Promise.resolve({ status: 200 }); }
    var nick = script.getAttribute("data-shopdesk-nick") || "";
    return request("POST", "start/", { nick: nick }).then(function (result) {
      if (result.status === 201 && result.data.token) {
        state.token = result.data.token;
        state.lastId = 0;
        save({ token: state.token, conversation: result.data.conversation });
      }
      return result;
    });
  }

  function deliver(text, retried) {
    return start().then(function (started) {
      if (!state.token) { return started; }
      return request("POST", "messages/", { text: text }).then(function (result) {
        if (result.status === 403 && result.data.error && result.data.error.code === "bad_token" && !retried) {
          forget();
          return deliver(text, true);
        }
        return result;
      });
    });
  }

  function submit() {
    var text = input.value.replace(/^\s+|\s+$/g, "");
    if (!text || state.sending) { return; }
    if (text.length > MAX_TEXT) { showStatus("消息最多 " + MAX_TEXT + " 字"); return; }
    state.sending = true;
    send.disabled = true;
    showStatus("");
    deliver(text, false).then(function (result) {
      state.sending = false;
      send.disabled = false;
      if (result.status === 201 && result.data.id) {
        input.value = "";
        add(result.data, true);
        schedule(OPEN_POLL);
      } else {
        showStatus(errorText(result));
      }
      input.focus();
    });
  }

  // --- opening and closing -----------------------------------------------------------------------------------------
  function setOpen(open) {
    state.open = open;
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      state.unread = 0;
      badge.hidden = true;
      greet();
      scrollDown();
      input.focus();
      if (state.token) { schedule(0); }
    } else if (state.token) {
      schedule(IDLE_POLL);
    }
  }

  launcher.addEventListener("click", function () { setOpen(!state.open); });
  close.addEventListener("click", function () { setOpen(false); });
  form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });
  input.addEventListener("keydown", function (ev) {
    // Enter sends, Shift+Enter is a new line; never while a Chinese input method is composing.
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
      ev.preventDefault();
      submit();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.token) { schedule(0); }
  });

  function boot() {
    document.body.appendChild(host);
    request("GET", "config/").then(function (result) {
      if (result.status !== 200) {
        host.remove();  // unknown key, chat switched off or this site not allowed: no button at all
        return;
      }
      if (typeof result.data.greeting === "string" && result.data.greeting) { state.greeting = result.data.greeting; }
      if (typeof result.data.title === "string" && result.data.title) { title.textContent = result.data.title; }
      var saved = load();
      if (saved && typeof saved.token === "string" && saved.token) {
        state.token = saved.token;
        greet();
        poll(true);
      }
    });
  }

  if (document.body) { boot(); } else { document.addEventListener("DOMContentLoaded", boot); }
})();
