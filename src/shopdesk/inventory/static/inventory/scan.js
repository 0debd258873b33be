// Counting screen (盘点): keep the cursor in the scan box so a barcode scanner (a keyboard that types the code and
// Enter) always lands there; clear the box once its value is on its way. Loaded with <script src>: the CSP forbids
// inline script.
(function () {
  "use strict";
  function box() { return document.querySelector("[data-scan-input]"); }
  function refocus() {
    var input = box();
    if (!input) { return; }
    var active = document.activeElement;
    // Leave the focus alone while the person types a count into a row.
    if (active && active !== input && active.closest && active.closest(".set-count")) { return; }
    input.focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    refocus();
    var input = box();
    if (!input) { return; }
    // Clicking anywhere that is not a control brings the cursor back to the scan box.
    document.addEventListener("click", function (ev) {
      if (!ev.target.closest("input, select, textarea, button, a, label")) { refocus(); }
    });
    // After a row count is sent, go back to scanning.
    document.addEventListener("htmx:afterRequest", function (ev) {
      if (ev.detail.elt && ev.detail.elt.classList && ev.detail.elt.classList.contains("set-count")) {
        input.focus();
      }
    });
  });
  // htmx has read the form's values: empty the box for the next scan (requests are queued in order).
  document.addEventListener("htmx:configRequest", function (ev) {
    if (ev.detail.elt && ev.detail.elt.id === "scan-form") {
      var input = box();
      if (input) { input.value = ""; }
    }
  });
  document.addEventListener("htmx:afterSwap", function () { refocus(); });
  window.addEventListener("focus", refocus);
})();
