// Warehouse stations (仓库工作台): a barcode scanner is a keyboard that types the code and presses Enter, so the
// cursor must always be back in the scan box; a refused scan beeps (WebAudio, no sound file) and an accepted one
// chirps. Print buttons print the page (the hand-over list has a print stylesheet). Loaded with <script src>: the
// CSP forbids inline script.
(function () {
  "use strict";
  var audio = null;

  function beep(kind) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    try {
      audio = audio || new Ctx();
      if (audio.state === "suspended") { audio.resume(); }
      // A refusal: two low, harsh tones; an accepted scan: one short high tone.
      var bad = kind === "bad";
      var tones = bad ? [[330, 0, 0.16], [220, 0.2, 0.32]] : [[1320, 0, 0.07]];
      tones.forEach(function (t) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.type = bad ? "square" : "sine";
        osc.frequency.value = t[0];
        gain.gain.value = bad ? 0.2 : 0.08;
        osc.connect(gain);
        gain.connect(audio.destination);
        var start = audio.currentTime + t[1];
        osc.start(start);
        osc.stop(start + t[2]);
      });
    } catch (e) { /* a browser without sound: the colours still tell */ }
  }

  function announce() {
    document.querySelectorAll("[data-beep]:not([data-beeped])").forEach(function (el, i) {
      el.setAttribute("data-beeped", "1");
      if (i === 0) { beep(el.getAttribute("data-beep")); }
    });
  }

  function target() {
    // A step that wants the cursor elsewhere (the quality tick, the weight) marks it with data-focus.
    return document.querySelector("[data-focus]") || document.querySelector("[data-scan-input]");
  }

  function refocus() {
    var input = target();
    if (!input) { return; }
    var active = document.activeElement;
    if (active && active !== input && active.closest && active.closest("[data-keep-focus]")) { return; }
    input.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    refocus();
    announce();
    // Clicking anywhere that is not a control brings the cursor back to the scan box.
    document.addEventListener("click", function (ev) {
      var print = ev.target.closest("[data-print]");
      if (print) {
        ev.preventDefault();
        window.print();
        return;
      }
      if (!ev.target.closest("input, select, textarea, button, a, label")) { refocus(); }
    });
  });
  // htmx has read the form's values: empty the box at once, so the next scan starts clean (requests queue in order).
  document.addEventListener("htmx:configRequest", function (ev) {
    var form = ev.detail.elt;
    if (form && form.matches && form.matches("[data-scan-form]")) {
      var input = form.querySelector("[data-scan-input]");
      if (input) { input.value = ""; }
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    announce();
    refocus();
  });
  window.addEventListener("focus", refocus);
})();
