/* Jisr: small fixes on top of the theme, with no library.
   1. The phone menu button: pydata-sphinx-theme binds only the first .primary-toggle
      (the hidden desktop one), so the visible button does nothing. Forward its clicks.
   2. Kernel-free interactives: range inputs that look up the model's precomputed predictions. */
(function () {
  "use strict";

  function forwardToggle(selector) {
    var toggles = document.querySelectorAll(selector);
    if (toggles.length < 2) return;
    var bound = toggles[0];
    for (var i = 1; i < toggles.length; i++) {
      toggles[i].addEventListener("click", function (event) {
        // on wide screens the book theme's own button collapses the sidebar: leave it alone
        if (!window.matchMedia("(max-width: 959.98px)").matches) return;
        event.preventDefault();
        event.stopImmediatePropagation();
        bound.click();
      }, true);
    }
  }

  // Kernel-free interactives (jisr.interactive): the model's predictions for every position of
  // the sliders were computed when the book was built; here we only look them up.
  function number(value, decimals, lang) {
    return new Intl.NumberFormat(lang, {minimumFractionDigits: decimals, maximumFractionDigits: decimals,
                                        numberingSystem: "latn", useGrouping: false}).format(value);
  }

  function wireInteractive(box) {
    var data = JSON.parse(box.getAttribute("data-jisr-interactive"));
    var inputs = box.querySelectorAll("input[type=range]");
    var said = box.querySelector(".jisr-prediction");
    var lang = box.getAttribute("data-jisr-number-locale") || box.getAttribute("lang") || "en";
    function update() {
      var index = 0;
      for (var i = 0; i < data.features.length; i++) {
        var f = data.features[i];
        var count = Math.round((f.max - f.min) / f.step) + 1;
        var position = Math.min(count - 1, Math.max(0, Math.round((parseFloat(inputs[i].value) - f.min) / f.step)));
        index = index * count + position;
        inputs[i].nextElementSibling.textContent = number(f.min + position * f.step, f.decimals, lang);
        inputs[i].setAttribute("aria-valuetext", inputs[i].nextElementSibling.textContent);
      }
      var code = data.predictions.charAt(index);
      var cls = data.classes["0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".indexOf(code)];
      said.textContent = data.message[0] + cls + data.message[1];
    }
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].disabled = false;
      inputs[i].addEventListener("input", update);
    }
    update();
  }

  function startInteractives() {
    var boxes = document.querySelectorAll("div.jisr-interactive[data-jisr-interactive]");
    for (var i = 0; i < boxes.length; i++) wireInteractive(boxes[i]);
  }

  function start() {
    forwardToggle(".primary-toggle");
    forwardToggle(".secondary-toggle");
    startInteractives();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
