/* registry pages: show a block only while a select has a given value (e.g. "登记新的承租人"). */
(function () {
  "use strict";

  function init() {
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
