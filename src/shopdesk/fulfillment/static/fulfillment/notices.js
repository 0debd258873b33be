// Shipping notices: a "copy" button puts the notice text on the clipboard, ready to paste into the platform's chat.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) { return; }
    event.preventDefault();
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      button.classList.add("copied");
      button.textContent = button.getAttribute("data-copied") || button.textContent;
    });
  });
})();
