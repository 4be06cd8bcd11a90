/* registry pages: show a block only while a select has a given value (e.g. "登记新的承租人"). */
(function () {
  "use strict";

  function init() {
    // a meter's width comes from data-meter (0–100): a style attribute would be refused by the CSP
    document.querySelectorAll("[data-meter]").forEach(function (bar) {
      var pct = Math.max(0, Math.min(100, parseFloat(bar.dataset.meter) || 0));
      bar.style.width = pct + "%";
    });
    document.querySelectorAll("[data-show-if]").forEach(function (box) {
      var select = document.getElementById(box.dataset.showIf);
      if (!select) return;
      var sync = function () { box.hidden = select.value !== box.dataset.showValue; };
      select.addEventListener("change", sync);
      sync();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
