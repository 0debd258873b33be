// The customer-service workbench: keyboard shortcuts, picking a quick reply or a suggestion into the reply box, the
// thread kept in order and scrolled as htmx appends messages. No inline scripts: the Content-Security-Policy forbids
// them.
(function () {
  "use strict";

  function replyBox() { return document.getElementById("reply-text"); }

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function scrollThread(force) {
    var list = document.getElementById("thread-messages");
    if (!list) { return; }
    var box = list.parentElement;
    var nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    if (force || nearBottom) { box.scrollTop = box.scrollHeight; }
  }

  // A poll answer and a reply answer may both carry the same new message: keep the first of each.
  function dedupeThread() {
    var list = document.getElementById("thread-messages");
    if (!list) { return; }
    var seen = {};
    Array.prototype.slice.call(list.querySelectorAll("[data-mid]")).forEach(function (item) {
      var id = item.getAttribute("data-mid");
      if (seen[id]) { item.remove(); } else { seen[id] = true; }
    });
  }

  // "/" searches the quick replies; Escape leaves the search for the reply box.
  document.addEventListener("keydown", function (ev) {
    var search = document.getElementById("quick-search");
    if (ev.key === "/" && search && !typing(ev.target) && !ev.ctrlKey && !ev.metaKey && !ev.altKey) {
      ev.preventDefault();
      search.focus();
      search.select();
    } else if (ev.key === "Escape" && ev.target === search && replyBox()) {
      replyBox().focus();
    } else if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && ev.target === replyBox()) {
      ev.preventDefault();
      var form = ev.target.form;
      if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  // Picking a quick reply or a suggested reply puts its text (variables already filled) into the reply box, to edit
  // and send.
  document.addEventListener("click", function (ev) {
    var pick = ev.target.closest ? ev.target.closest("[data-reply-text]") : null;
    var box = replyBox();
    if (!pick || !box) { return; }
    ev.preventDefault();
    box.value = pick.getAttribute("data-reply-text");
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  });

  // The reply (or note) was stored: empty the box that sent it.
  document.addEventListener("replySent", function (ev) {
    var form = ev.target && ev.target.closest ? ev.target.closest("form") : null;
    var area = form ? form.querySelector("textarea") : null;
    if (area) { area.value = ""; }
  });

  document.addEventListener("htmx:afterSettle", function () {
    dedupeThread();
    scrollThread(false);
  });

  document.addEventListener("DOMContentLoaded", function () { scrollThread(true); });
})();
