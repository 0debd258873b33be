// ShopDesk page behaviour. No inline scripts anywhere: the Content-Security-Policy forbids them.
(function () {
  "use strict";
  function each(root, selector, fn) {
    root.querySelectorAll(selector).forEach(function (el) {
      if (el.dataset.sdBound) { return; }
      el.dataset.sdBound = "1";
      fn(el);
    });
  }
  function init(root) {
    // Language switch submits on change.
    each(root, "[data-autosubmit]", function (el) {
      el.addEventListener("change", function () { el.form.submit(); });
    });
    // Batch selection: the header checkbox toggles every row checkbox.
    each(root, "[data-check-all]", function (box) {
      box.addEventListener("change", function () {
        box.closest("table").querySelectorAll("input[name=ids]").forEach(function (c) { c.checked = box.checked; });
      });
    });
    // Confirm before destructive actions; refuse an empty batch.
    each(root, "[data-confirm]", function (btn) {
      btn.addEventListener("click", function (ev) {
        var form = btn.form;
        if (form && form.classList.contains("batch-form") && !form.querySelector("input[name=ids]:checked")) {
          ev.preventDefault();
          window.alert(document.documentElement.lang === "en" ? "Select at least one row." : "请至少选择一行。");
          return;
        }
        if (!window.confirm(btn.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (ev) { init(ev.detail.elt); });
})();
