/* Jisr: a self-learner's progress, kept in this browser only (localStorage); nothing is sent anywhere.
   Words and the lesson list come from progress-text.js (window.JISR_PROGRESS_TEXT, one per language).
   A lesson page is "in progress" once opened and "done" when the learner says so; the course map's
   entries [data-jisr-lesson="<part>/<id>"] show each state in words and a sign (not colour alone). */
(function () {
  "use strict";

  function start() {
    var cfg = window.JISR_PROGRESS_TEXT;
    if (!cfg) return;
    var T = cfg.text, key = cfg.storageKey, checksKey = key + "-checks", state, checks;
    try {
      state = JSON.parse(localStorage.getItem(key) || "{}");
      checks = JSON.parse(localStorage.getItem(checksKey) || "{}"); // lesson -> self-checks passed in the notebooks
    } catch (e) {
      return; // this browser keeps nothing for these pages (storage off): show nothing rather than a promise
    }
    if (!state || typeof state !== "object") state = {};
    if (!checks || typeof checks !== "object") checks = {};

    function save() {
      try {
        localStorage.setItem(key, JSON.stringify(state));
        localStorage.setItem(checksKey, JSON.stringify(checks));
      } catch (e) { /* full or refused: nothing to do */ }
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
        checks = {};
        try { localStorage.removeItem(key); localStorage.removeItem(checksKey); } catch (e) { /* nothing kept */ }
        show();
        said.textContent = T.forgotten;
      });
      return b;
    }
    // the notebook folder's jisr-progress.json, chosen by the learner, read here and sent nowhere
    var files = 0;
    function notebookFile(said) {
      var id = "jisr-progress-file-" + (++files), box = make("p", "jisr-progress-file");
      var label = make("label", "", T.importChecks), input = make("input");
      label.setAttribute("for", id);
      input.id = id;
      input.type = "file";
      input.accept = ".json,application/json";
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) return;
        var reader = new FileReader();
        reader.onload = function () {
          var data = null;
          try { data = JSON.parse(reader.result); } catch (e) { /* not JSON */ }
          if (!data || typeof data.lessons !== "object" || !data.lessons) { said.textContent = T.importBad; return; }
          Object.keys(cfg.checks).forEach(function (k) {
            var got = data.lessons[k] && data.lessons[k].passed, known = cfg.checks[k], mine = checks[k] || [];
            if (!Array.isArray(got)) return;
            got.forEach(function (q) { if (known.indexOf(q) >= 0 && mine.indexOf(q) < 0) mine.push(q); });
            if (mine.length) checks[k] = mine;
          });
          save();
          show();
        };
        reader.readAsText(file);
      });
      box.appendChild(label);
      box.appendChild(input);
      return box;
    }
    function checksText(k) {
      return checks[k] && checks[k].length && cfg.checks[k] ? fill(T.checks, {passed: checks[k].length, total: cfg.checks[k].length}) : "";
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
      bar.appendChild(notebookFile(summary));
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
      var checked = make("p", "jisr-progress-checks");
      toggle = make("button", "jisr-progress-toggle");
      toggle.type = "button";
      toggle.addEventListener("click", function () {
        state[lesson] = state[lesson] === "done" ? "started" : "done";
        save();
        show();
      });
      box.appendChild(said);
      box.appendChild(checked);
      box.appendChild(toggle);
      box.appendChild(notebookFile(said));
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
        var passed = checksText(k), known = s === "done" || s === "started";
        if (!known && !passed) continue;
        var mark = make("span", "jisr-progress-mark");
        if (known) {
          var sign = make("span", "", s === "done" ? "\u2713 " : "\u25d0 ");
          sign.setAttribute("aria-hidden", "true");
          mark.appendChild(sign);
          mark.appendChild(document.createTextNode(word(s)));
          entry.setAttribute("data-jisr-progress", s);
        }
        if (passed) mark.appendChild(make("span", "jisr-progress-passed", (known ? " \u00b7 " : "") + passed));
        entry.appendChild(mark);
      }
      if (summary) summary.textContent = fill(T.summary, {done: done, total: total});
      if (box) {
        said.textContent = fill(T.lessonState, {state: word(state[lesson])});
        toggle.textContent = state[lesson] === "done" ? T.markNotDone : T.markDone;
        checked.textContent = checksText(lesson);
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
