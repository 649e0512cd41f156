/* Jisr: small fixes on top of the theme, with no library.
   1. The phone menu button: pydata-sphinx-theme binds only the first .primary-toggle
      (the hidden desktop one), so the visible button does nothing. Forward its clicks.
   2. Interactive widgets: their renderer (~450 KB) loads only when the reader asks. */
(function () {
  "use strict";
  var here = document.currentScript ? document.currentScript.src : "";

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

  function offerWidgets() {
    var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    if (!views.length || !document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]')) return;
    var label = document.documentElement.getAttribute("data-jisr-widgets-label") || "Show the interactive tool";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "jisr-load-widgets";
    button.textContent = label;
    views[0].parentNode.insertBefore(button, views[0]);
    button.addEventListener("click", function () {
      button.disabled = true;
      var script = document.createElement("script");
      script.src = new URL("../../assets/widgets/embed.js", here).href;
      script.onload = function () {
        window.dispatchEvent(new Event("load"));  // the renderer draws widgets on the load event
        button.remove();
      };
      document.head.appendChild(script);
    });
  }

  function start() {
    forwardToggle(".primary-toggle");
    forwardToggle(".secondary-toggle");
    offerWidgets();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
