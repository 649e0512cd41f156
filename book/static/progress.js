/* Jisr: a self-learner's progress, kept in this browser only (localStorage); nothing is sent anywhere.
   Words and the lesson list come from progress-text.js (window.JISR_PROGRESS_TEXT, one per language).
   A lesson page is "in progress" once opened and "done" when the learner says so; the course map's
   entries [data-jisr-lesson="<part>/<id>"] show each state in words and a sign (not colour alone). */
(function () {
  "use strict";

  function start() {
    var cfg = window.JISR_PROGRESS_TEXT;
    if (!cfg) return;
    var T = cfg.text, key = cfg.storageKey, state;
    try {
      state = JSON.parse(localStorage.getItem(key) || "{}");
    } catch (e) {
      return; // this browser keeps nothing for these pages (storage off): show nothing rather than a promise
    }
    if (!state || typeof state !== "object") state = {};

    function save() {
      try { localStorage.setItem(key, JSON.stringify(state)); } catch (e) { /* full or refused: nothing to do */ }
    }
    function fill(text, values) {
      return text.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
    }
    function word(s) { return s === "done" ? T.done : s === "started" ? T.started : T.notStarted; }
    function make(tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    }
    function forgetButton(said) {
      var b = make("button", "jisr-progress-forget", T.forget);
      b.type = "button";
      b.addEventListener("click", function () {
        if (!window.confirm(T.confirmForget)) return;
        state = {};
        try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
        show();
        said.textContent = T.forgotten;
      });
      return b;
    }

    var path = decodeURIComponent(location.pathname), lesson = null;
    cfg.lessons.forEach(function (k) {
      var end = "/" + k + ".html";
      if (path.slice(-end.length) === end) lesson = k;
    });
    if (lesson && !state[lesson]) { state[lesson] = "started"; save(); }

    var entries = document.querySelectorAll("[data-jisr-lesson]"), summary = null, box = null, said, toggle;
    if (entries.length) {
      var first = entries[0].closest("ul,ol") || entries[0];
      var bar = make("div", "jisr-progress jisr-progress-map");
      summary = make("p", "jisr-progress-summary");
      summary.setAttribute("aria-live", "polite");
      bar.appendChild(summary);
      bar.appendChild(forgetButton(summary));
      bar.appendChild(make("p", "jisr-progress-private", T["private"]));
      first.parentNode.insertBefore(bar, first);
    }
    if (lesson) {
      box = make("aside", "jisr-progress jisr-progress-lesson");
      box.setAttribute("aria-label", T.title);
      box.appendChild(make("p", "jisr-progress-title", T.title));
      said = make("p", "jisr-progress-state");
      said.setAttribute("aria-live", "polite");
      toggle = make("button", "jisr-progress-toggle");
      toggle.type = "button";
      toggle.addEventListener("click", function () {
        state[lesson] = state[lesson] === "done" ? "started" : "done";
        save();
        show();
      });
      box.appendChild(said);
      box.appendChild(toggle);
      box.appendChild(forgetButton(said));
      box.appendChild(make("p", "jisr-progress-private", T["private"]));
      var article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;
      article.appendChild(box);
    }

    function show() {
      var seen = {}, done = 0, total = 0;
      for (var i = 0; i < entries.length; i++) {
        var entry = entries[i], k = entry.getAttribute("data-jisr-lesson"), s = state[k];
        var old = entry.querySelector(".jisr-progress-mark");
        if (old) old.parentNode.removeChild(old);
        entry.removeAttribute("data-jisr-progress");
        if (!seen[k] && !/\bjisr-coming\b/.test(entry.className)) { seen[k] = 1; total++; if (s === "done") done++; }
        if (s !== "done" && s !== "started") continue;
        var mark = make("span", "jisr-progress-mark");
        var sign = make("span", "", s === "done" ? "\u2713 " : "\u25d0 ");
        sign.setAttribute("aria-hidden", "true");
        mark.appendChild(sign);
        mark.appendChild(document.createTextNode(word(s)));
        entry.setAttribute("data-jisr-progress", s);
        entry.appendChild(mark);
      }
      if (summary) summary.textContent = fill(T.summary, {done: done, total: total});
      if (box) {
        said.textContent = fill(T.lessonState, {state: word(state[lesson])});
        toggle.textContent = state[lesson] === "done" ? T.markNotDone : T.markDone;
      }
    }
    show();
  }

  // progress.js and progress-text.js are both deferred, in either order: whichever runs second starts,
  // once the page is parsed.
  var started = false;
  function boot() {
    if (started || !window.JISR_PROGRESS_TEXT) return;
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", boot); return; }
    started = true;
    start();
  }
  window.JISR_PROGRESS_START = boot;
  boot();
})();
