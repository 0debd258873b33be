// Catalog pages: attribute fields follow the chosen category; "add a row" in the SKU grid. No inline scripts (CSP).
(function () {
  "use strict";
  function showAttributes(select) {
    var form = select.form;
    var chosen = select.value;
    var any = false;
    form.querySelectorAll("[data-attr-category]").forEach(function (field) {
      var show = field.getAttribute("data-attr-category") === chosen;
      field.hidden = !show;
      any = any || show;
    });
    var none = form.querySelector("[data-no-attributes]");
    if (none) { none.hidden = any; }
  }
  function addSkuRow(button) {
    var form = button.form || button.closest("form");
    var template = form.querySelector("template[data-sku-template]");
    var total = form.querySelector("input[name$='-TOTAL_FORMS']");
    var body = form.querySelector("[data-sku-rows]");
    if (!template || !total || !body) { return; }
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var first = body.lastElementChild && body.lastElementChild.querySelector("input[type=text]");
    if (first) { first.focus(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-category-select]").forEach(function (select) {
      select.addEventListener("change", function () { showAttributes(select); });
      showAttributes(select);
    });
    document.querySelectorAll("[data-add-sku-row]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { addSkuRow(button); });
    });
  });
})();
