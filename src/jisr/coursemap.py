"""The course map: tracks as data (``courses/tracks.yml``) and what the book and the teacher get from it.

``courses/tracks.yml`` says which lessons each track has, in order, what each lesson needs
first, and the pass mark of a track's badge. Everything else has one home of its own and is
read from there: a written lesson's title and time (its ``lesson.md``), the graded items and
their points (its ``exercises.yml``, whose ``tracks:`` says which tracks an item counts for),
and a lesson's measured cost (``benchmarks/results/lessons.json``, written by
``benchmarks/run.py``; never typed by hand).

From it, in every language:

- ``complete_toc``   the book's table of contents (course parts before ``book/_toc.yml``'s own);
- ``expand_page``    the map on the book's landing page (``book/pages/intro.md`` holds a
                     ``{jisr-course-map}`` block where it goes);
- ``write_pages``    a page per track (``tracks/<id>.md``) and the glossary page (``glossary.md``);
- ``write_lesson``   a lesson notebook with its facts under the header: lessons to take first,
                     the tracks it counts for, its measured cost; the book page also links
                     each glossary term's first use to the glossary;
- ``course_tracks``  for ``jisr course``: each track as a set of nbgrader assignments with
                     the grade cells that count and the pass mark.

Each lesson entry of the map carries ``data-jisr-lesson="<part>/<id>"`` (progress marks).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
import yaml

from .i18n import Message, N_, Translator
from .languages import LANGUAGES
from .paths import courses_dir, project_root
from .source import LessonSource, SourceError, find_lessons

MAP_BLOCK = re.compile(r"^```\{jisr-course-map\}\s*\n```\s*$", re.M)
"""Where ``expand_page`` puts the map in a book page (a fenced block the translator never sees)."""

TRACK_PAGES = "tracks"
GLOSSARY_PAGE = "glossary"
LESSON_KEY = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+$")


def tracks_file() -> Path:
    return courses_dir() / "tracks.yml"


def costs_file() -> Path:
    """``benchmarks/results/lessons.json``: each lesson's measured cost (``benchmarks/run.py``)."""
    return project_root() / "benchmarks" / "results" / "lessons.json"


def glossary_file() -> Path:
    return courses_dir() / "glossary.yml"


COSTS_FILE = costs_file()


# --------------------------------------------------------------------------- the data


@dataclass
class MapLesson:
    """One lesson of the map: written (``source`` is its lesson) or coming."""

    code: str
    key: str
    requires: list[str]
    planned_title: str | None = None
    planned_minutes: int | None = None
    source: LessonSource | None = None

    @property
    def written(self) -> bool:
        return self.source is not None

    @property
    def title(self) -> str:
        return self.source.meta["title"] if self.source else (self.planned_title or self.key)

    @property
    def minutes(self) -> int:
        return int(self.source.meta["minutes"]) if self.source else int(self.planned_minutes or 0)

    @property
    def part(self) -> str:
        return self.key.split("/")[0]

    @property
    def href(self) -> str:
        """The lesson page, relative to the book's root."""
        return f"{self.key}.html"


@dataclass
class Track:
    id: str
    title: str
    audience: str
    leave_with: str
    pass_mark: float
    codes: list[str] = field(default_factory=list)


@dataclass
class CourseMap:
    tracks: dict[str, Track]
    lessons: dict[str, MapLesson]  # by code, in file order

    def track_lessons(self, track: str) -> list[MapLesson]:
        return [self.lessons[code] for code in self.tracks[track].codes]

    def by_key(self, key: str) -> MapLesson | None:
        return next((lesson for lesson in self.lessons.values() if lesson.key == key), None)

    def tracks_of(self, key: str) -> list[Track]:
        return [track for track in self.tracks.values() if any(self.lessons[c].key == key for c in track.codes)]


def _sources_stamp() -> tuple[tuple[str, float], ...]:
    """What the map is read from, with modification times: a change reads it again."""
    paths = [tracks_file(), *sorted(courses_dir().glob("*/*/lesson.md")), *sorted(courses_dir().glob("*/*/exercises.yml"))]
    return tuple((str(p), p.stat().st_mtime) for p in paths if p.is_file())


@lru_cache(maxsize=4)
def _cached_map(stamp: tuple[tuple[str, float], ...]) -> CourseMap:
    del stamp  # the cache key
    return _read_map(find_lessons())


def load_map(lessons: list[LessonSource] | None = None) -> CourseMap:
    """Read ``courses/tracks.yml`` and attach the lessons written so far; raise SourceError if malformed.

    Without ``lessons``, the lessons under ``courses/`` (read once while nothing changes)."""
    if lessons is None:
        return _cached_map(_sources_stamp())
    return _read_map(lessons)


def _read_map(lessons: list[LessonSource]) -> CourseMap:
    path = tracks_file()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise SourceError(Message(N_("{path}: cannot be read ({error})"), {"path": str(path), "error": str(err)})) from err
    written = {lesson.key: lesson for lesson in lessons}
    entries: dict[str, MapLesson] = {}
    for code, spec in (data.get("lessons") or {}).items():
        if not isinstance(spec, dict) or "key" not in spec:
            raise SourceError(Message(N_("{path}: lesson {code} needs a key such as fundamentals/what-is-ai"), {"path": str(path), "code": code}))
        entries[code] = MapLesson(code=str(code), key=spec["key"], requires=list(spec.get("requires") or []),
                                  planned_title=spec.get("title"), planned_minutes=spec.get("minutes"),
                                  source=written.get(spec["key"]))
    tracks = {}
    for track_id, spec in (data.get("tracks") or {}).items():
        tracks[track_id] = Track(id=track_id, title=spec.get("title", track_id), audience=spec.get("audience", ""),
                                 leave_with=spec.get("leave_with", ""), pass_mark=float(spec.get("pass_mark", 0)),
                                 codes=list(spec.get("lessons") or []))
    return CourseMap(tracks=tracks, lessons=entries)


def map_problems(course: CourseMap | None = None, lessons: list[LessonSource] | None = None) -> list[Message]:
    """What is wrong with ``courses/tracks.yml`` against the lessons written so far (for ``jisr check``)."""
    lessons = find_lessons() if lessons is None else lessons
    course = course or load_map(lessons)
    where = "courses/tracks.yml"
    problems: list[Message] = []
    keys = [lesson.key for lesson in course.lessons.values()]
    for lesson in course.lessons.values():
        if not LESSON_KEY.match(lesson.key):
            problems.append(Message(N_("{where}: {code}: the key {key} must be part/id in lower case"), {"where": where, "code": lesson.code, "key": lesson.key}))
        for need in lesson.requires:
            if need not in course.lessons:
                problems.append(Message(N_("{where}: {code} requires {need}, which is not a lesson of the map"), {"where": where, "code": lesson.code, "need": need}))
        if lesson.written and (lesson.planned_title or lesson.planned_minutes):
            problems.append(Message(N_("{where}: {code} is written now: delete its title and minutes here (its lesson.md says them)"), {"where": where, "code": lesson.code}))
        if not lesson.written and not (lesson.planned_title and lesson.planned_minutes):
            problems.append(Message(N_("{where}: {code} is not written yet: give it a title and an estimated time in minutes"), {"where": where, "code": lesson.code}))
    if len(set(keys)) != len(keys):
        problems.append(Message(N_("{where}: two lessons have the same key"), {"where": where}))
    for lesson in lessons:
        if lesson.key not in keys:
            problems.append(Message(N_("{where}: the lesson {key} is in no track: add it to the map"), {"where": where, "key": lesson.key}))
        for qid, spec in lesson.exercises.items():
            unknown = [t for t in spec.get("tracks") or [] if t not in course.tracks]
            if unknown:
                problems.append(Message(N_("{key}/exercises.yml: {qid} counts for an unknown track {track}"), {"key": lesson.key, "qid": qid, "track": ", ".join(unknown)}))
            if spec.get("graded") and not spec.get("tracks"):
                problems.append(Message(N_("{key}/exercises.yml: the graded item {qid} counts for no track (tracks:)"), {"key": lesson.key, "qid": qid}))
    for track in course.tracks.values():
        if not 0 < track.pass_mark <= 100:
            problems.append(Message(N_("{where}: the pass mark of {track} must be a percentage between 1 and 100"), {"where": where, "track": track.id}))
        for position, code in enumerate(track.codes):
            if code not in course.lessons:
                problems.append(Message(N_("{where}: the track {track} lists {code}, which is not a lesson of the map"), {"where": where, "track": track.id, "code": code}))
                continue
            for need in course.lessons[code].requires:
                if need in course.lessons and need not in track.codes[:position]:
                    problems.append(Message(N_("{where}: in the track {track}, {code} comes before {need}, which it requires"), {"where": where, "track": track.id, "code": code, "need": need}))
    return problems


def graded_items(lesson: LessonSource, track: str) -> list[tuple[str, float]]:
    """``(exercise id, points)`` of the lesson's graded items that count for ``track``."""
    return [(qid, float(spec.get("points", 1))) for qid, spec in lesson.exercises.items()
            if spec.get("graded") and track in (spec.get("tracks") or [])]


def messages() -> list[str]:
    """The English texts of ``tracks.yml`` and ``glossary.yml`` that the book's catalogs translate."""
    try:
        course = load_map([])
    except SourceError:
        return []
    texts: list[str] = []
    for track in course.tracks.values():
        texts += [track.title, track.audience, track.leave_with]
    texts += [lesson.planned_title for lesson in course.lessons.values() if lesson.planned_title]
    texts += [term["definition"] for term in glossary() if term.get("definition")]
    return list(dict.fromkeys(t for t in texts if t))


def map_translator(language: str) -> Translator:
    """Written lessons' titles come from their own catalogs; the rest from the book's and the package's."""
    from .paths import book_dir, package_locales_dir

    catalogs = [lesson.source.catalog_path(language) for lesson in load_map().lessons.values() if lesson.source]
    return Translator(language, [*catalogs, book_dir() / "locales" / f"{language}.po", package_locales_dir() / f"{language}.po"])


# --------------------------------------------------------------------------- measured cost


@lru_cache(maxsize=4)
def _costs(mtime: float) -> dict[str, Any]:
    del mtime  # the cache key: a new run of the benchmark is read again
    return json.loads(costs_file().read_text(encoding="utf-8"))


def measured_cost(key: str, language: str = "en") -> dict[str, Any] | None:
    """The last benchmark run's learner-mode figures for a lesson: ``wall_s``, ``peak_mb``, ``cores``, ``measured``."""
    path = costs_file()
    if not path.is_file():
        return None
    data = _costs(path.stat().st_mtime)
    per_language = data.get("lessons", {}).get(key) or {}
    entry = per_language.get(language) or per_language.get("en") or next(iter(per_language.values()), None)
    if not entry:
        return None
    return {**entry["learner"], "measured": entry.get("measured", ""), "cores": data.get("machine", {}).get("cores")}


def cost_text(key: str, t: Translator, language: str) -> str | None:
    figures = measured_cost(key, language)
    if not figures:
        return None
    return Message(N_("the whole notebook, Python’s start included, runs in {seconds} s on a computer with {cores} cores, {memory} MB at most (measured on {date}); the notebook’s last cell measures its own cells only"),
                   {"seconds": t.number(figures["wall_s"], 0 if figures["wall_s"] >= 10 else 1), "cores": figures["cores"] or 2,
                    "memory": figures["peak_mb"], "date": figures["measured"]}).format(t)


# --------------------------------------------------------------------------- table of contents


def complete_toc(toc: dict[str, Any], course: CourseMap | None = None) -> dict[str, Any]:
    """Put the course's parts before the book's own: the fundamentals written so far, then each
    track (its page, then its own lessons written so far). Captions are English (translated later)."""
    course = course or load_map()
    parts: list[dict[str, Any]] = []
    fundamentals = [lesson for lesson in course.lessons.values() if lesson.part == "fundamentals" and lesson.written]
    if fundamentals:
        parts.append({"caption": N_("Fundamentals"), "chapters": [{"file": lesson.key} for lesson in fundamentals]})
    tracks = []
    for track in course.tracks.values():
        tracks.append({"file": f"{TRACK_PAGES}/{track.id}"})
        tracks += [{"file": lesson.key} for lesson in course.track_lessons(track.id)
                   if lesson.written and lesson.part != "fundamentals"]
    parts.append({"caption": N_("Tracks"), "chapters": tracks})
    own = [part for part in toc.get("parts", []) if part.get("caption") not in (N_("Fundamentals"), N_("Tracks"))]
    return {**toc, "parts": parts + own}


# --------------------------------------------------------------------------- pages

STYLE = """<style>
.jisr-map ol{list-style:none;padding:0;margin:.3rem 0 1rem}
.jisr-map ul.jisr-facts{padding-inline-start:1.1rem;font-size:.92em}
.jisr-map li.jisr-lesson{display:flex;flex-wrap:wrap;gap:.2rem .6rem;align-items:baseline;padding:.35rem .5rem;border-inline-start:3px solid var(--pst-color-primary,#0a7);margin:.25rem 0;background:var(--pst-color-surface,#f6f6f6)}
.jisr-map li.jisr-coming{border-inline-start-color:var(--pst-color-border,#ccc);color:var(--pst-color-text-muted,#555)}
.jisr-map .jisr-code{font-weight:700;min-width:2.2em}
.jisr-map .jisr-meta{font-size:.85em;color:var(--pst-color-text-muted,#555)}
.jisr-map .jisr-badge{font-size:.8em;border:1px solid currentColor;border-radius:.3rem;padding:0 .3rem}
.jisr-tracks{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.8rem;margin:1rem 0}
.jisr-tracks section{border:1px solid var(--pst-color-border,#ccc);border-radius:.4rem;padding:.6rem .8rem;min-width:0}
.jisr-tracks h3{margin-top:0;font-size:1.15rem}
.jisr-glossary dt{font-weight:700;margin-top:.8rem}
.jisr-glossary dd{margin-inline-start:1rem;margin-bottom:0}
.jisr-glossary .jisr-forms{font-size:.9em;color:var(--pst-color-text-muted,#555)}
.jisr-glossary [hidden]{display:none}
#jisr-glossary-filter{width:100%;max-width:24rem;padding:.3rem .5rem;font-size:1rem}
</style>"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _duration(minutes: int, t: Translator) -> str:
    """``45 minutes``, ``2 hours``, ``7 hours 45 minutes``, with each language's plural forms."""
    hours, rest = divmod(minutes, 60)
    said_minutes = Message(N_("{n} minute"), {"n": rest}, plural=N_("{n} minutes"), n=rest).format(t)
    if not hours:
        return said_minutes
    said_hours = Message(N_("{n} hour"), {"n": hours}, plural=N_("{n} hours"), n=hours).format(t)
    if not rest:
        return said_hours
    return Message(N_("{hours} {minutes}"), {"hours": said_hours, "minutes": said_minutes}).format(t)


def _lesson_item(lesson: MapLesson, t: Translator, language: str, root: str) -> str:
    """One lesson entry: its code, title (a link once written), time and measured cost."""
    meta = [_duration(lesson.minutes, t)]
    if lesson.written:
        title = f'<a href="{root}{lesson.href}">{_e(t(lesson.title))}</a>'
        figures = measured_cost(lesson.key, language)
        if figures:  # short on the map; the lesson's header says how it was measured
            meta.append(Message(N_("runs in {seconds} s, {memory} MB"), {"seconds": t.number(figures["wall_s"], 0), "memory": figures["peak_mb"]}).format(t))
        css = "jisr-lesson"
    else:
        title = f"<span>{_e(t(lesson.title))}</span>"
        meta.append(f'<span class="jisr-badge">{_e(t(N_("coming")))}</span>')
        css = "jisr-lesson jisr-coming"
    return (f'<li class="{css}" data-jisr-lesson="{_e(lesson.key)}"><span class="jisr-code">{_e(lesson.code)}</span>\n'
            f'{title}\n<span class="jisr-meta">{" · ".join(meta)}</span></li>')


def _track_totals(course: CourseMap, track: str) -> dict[str, Any]:
    lessons = course.track_lessons(track)
    costs = [measured_cost(lesson.key) for lesson in lessons if lesson.written]
    costs = [c for c in costs if c]
    items = [(lesson.key, qid, points) for lesson in lessons if lesson.source for qid, points in graded_items(lesson.source, track)]
    return {"minutes": sum(lesson.minutes for lesson in lessons), "lessons": len(lessons),
            "written": sum(lesson.written for lesson in lessons), "measured": len(costs),
            "seconds": sum(c["wall_s"] for c in costs), "peak_mb": max((c["peak_mb"] for c in costs), default=0),
            "items": len(items), "points": sum(points for _, _, points in items)}


def _track_facts(course: CourseMap, track: Track, t: Translator) -> str:
    totals = _track_totals(course, track.id)
    lines = [
        Message(N_("{n} lesson, about {time} in all"), {"n": totals["lessons"], "time": _duration(totals["minutes"], t)},
                plural=N_("{n} lessons, about {time} in all"), n=totals["lessons"]).format(t),
        Message(N_("{written} of them ready today"), {"written": totals["written"]}).format(t),
    ]
    if totals["measured"]:
        lines.append(Message(N_("the lessons measured so far run in {seconds} s in all on an ordinary computer, {memory} MB of memory at most"),
                             {"seconds": t.number(totals["seconds"], 0), "memory": totals["peak_mb"]}).format(t))
    lines.append(Message(N_("badge: at least {mark} % of the points of the track’s graded questions ({points} points in the lessons ready today)"),
                         {"mark": t.number(track.pass_mark, 0), "points": t.number(totals["points"], 0)}).format(t))
    return '<ul class="jisr-facts">' + "\n".join(f"<li>{_e(line)}</li>" for line in lines) + "</ul>"


def map_html(language: str, t: Translator, course: CourseMap | None = None, root: str = "") -> str:
    """The course map: the fundamentals everyone takes, then the three tracks side by side."""
    course = course or load_map()
    out = [STYLE, '<div class="jisr-map">']
    first = next(iter(course.lessons.values()))
    out.append(f'<p><strong>{_e(t(N_("Start here:")))}</strong> '
               f'<a href="{root}{first.href}">{_e(first.code)} · {_e(t(first.title))}</a></p>')
    out.append(f'<h3>{_e(t(N_("Fundamentals, for everyone")))}</h3><ol>')
    fundamentals = [lesson for lesson in course.lessons.values() if lesson.part == "fundamentals"]
    out += [_lesson_item(lesson, t, language, root) for lesson in fundamentals]
    out.append("</ol>")
    out.append(f'<h3>{_e(t(N_("Then choose your track")))}</h3><div class="jisr-tracks">')
    for track in course.tracks.values():
        own = [lesson for lesson in course.track_lessons(track.id) if lesson.part != "fundamentals"]
        out.append(f'<section aria-labelledby="jisr-track-{track.id}"><h3 id="jisr-track-{track.id}">'
                   f'<a href="{root}{TRACK_PAGES}/{track.id}.html">{_e(t(track.title))}</a></h3>'
                   f'<p>{_e(t(track.audience))}</p>{_track_facts(course, track, t)}<ol>')
        out += [_lesson_item(lesson, t, language, root) for lesson in own]
        out.append("</ol></section>")
    out.append("</div></div>")
    return "\n".join(out)


def expand_page(text: str, language: str) -> str:
    """Put the course map where a book page has its ``{jisr-course-map}`` block."""
    if not MAP_BLOCK.search(text):
        return text
    block = "```{raw} html\n" + map_html(language, map_translator(language)) + "\n```"
    return MAP_BLOCK.sub(lambda _: block, text)


def track_page(track_id: str, language: str, t: Translator, course: CourseMap | None = None) -> str:
    """A track's page: who it is for, what you leave with, its lessons in order, its badge."""
    course = course or load_map()
    track = course.tracks[track_id]
    parts = [f"# {t(track.title)}", "", f"**{t(N_('Who it is for:'))}** {t(track.audience)}", "",
             f"**{t(N_('What you leave with:'))}** {t(track.leave_with)}", ""]
    body = [STYLE, '<div class="jisr-map">', _track_facts(course, track, t), "<ol>"]
    for lesson in course.track_lessons(track_id):
        body.append(_lesson_item(lesson, t, language, "../"))
    body.append("</ol></div>")
    parts += ["```{raw} html", "\n".join(body), "```", ""]
    parts += [f"## {t(N_('How the badge is earned'))}", "",
              Message(N_("Every lesson ends with graded questions. The badge of this track needs at least {mark} % of the points of the questions that count for it, added up over all its lessons. Only your teacher’s grading counts (nbgrader on the class’s server), never a check in your own notebook."),
                      {"mark": t.number(track.pass_mark, 0)}).format(t), ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------- glossary


def glossary() -> list[dict[str, Any]]:
    path = glossary_file()
    return list(yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.is_file() else []


def term_anchor(term: dict[str, Any]) -> str:
    """A term's anchor, the same in every language: ``g-`` and its English words."""
    words = re.sub(r"\(.*?\)", "", term["en"]).split("/")[0]
    return "g-" + re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")


def glossary_page(language: str, t: Translator) -> str:
    """The trilingual glossary as a page: each term in the page's language first, its other forms, its definition."""
    label = t(N_("Find a term"))
    out = [f"# {t(N_('Glossary'))}", "",
           t(N_("The words of artificial intelligence used in this course, in Arabic, French and English, with the form heard in Darija where there is a common one. Type in the box to find a term in any of the languages.")), "",
           "```{raw} html", STYLE,
           f'<p><label for="jisr-glossary-filter">{_e(label)}</label><br>'
           f'<input type="search" id="jisr-glossary-filter" autocomplete="off" dir="auto"></p>',
           '<dl class="jisr-glossary">']
    # each form is named in the page's language and isolated in its own direction (<bdi>)
    names = {"en": t(N_("English:")), "fr": t(N_("French:")), "ar": t(N_("Arabic:")), "darija": t(N_("Darija:"))}
    for term in glossary():
        anchor = term_anchor(term)
        forms = [f'{_e(names[code])} <bdi lang="{code}">{_e(term[code])}</bdi>'
                 for code in LANGUAGES if code != language and term.get(code)]
        if term.get("darija"):
            forms.append(f'{_e(names["darija"])} <bdi lang="ary">{_e(term["darija"])}</bdi>')
        # line breaks between the parts: Sphinx's search index reads this HTML without its tags
        out.append(f'<div class="jisr-term" id="{anchor}">\n<dt>{_e(term.get(language) or term["en"])}</dt>\n'
                   f'<dd><span class="jisr-forms">{" · ".join(forms)}</span>\n<br>{_e(t(term.get("definition", "")))}</dd>\n</div>')
    out += ["</dl>", f"<p id=\"jisr-glossary-none\" hidden>{_e(t(N_('No term matches.')))}</p>", GLOSSARY_SCRIPT, "```", ""]
    return "\n".join(out)


GLOSSARY_SCRIPT = """<script>
(function () {
  // filter the terms as the reader types; Arabic short vowels and letter case do not matter
  var box = document.getElementById("jisr-glossary-filter");
  if (!box) return;
  function plain(s) { return s.normalize("NFKD").replace(/[\\u0300-\\u036f\\u064b-\\u065f\\u0640]/g, "").toLowerCase(); }
  var terms = [].slice.call(document.querySelectorAll(".jisr-term"));
  var words = terms.map(function (el) { return plain(el.textContent); });
  box.addEventListener("input", function () {
    var q = plain(box.value.trim()), shown = 0;
    terms.forEach(function (el, i) { var hit = !q || words[i].indexOf(q) >= 0; el.hidden = !hit; shown += hit; });
    document.getElementById("jisr-glossary-none").hidden = shown > 0;
  });
})();
</script>"""


def _term_pattern(form: str, language: str) -> re.Pattern[str] | None:
    words = re.sub(r"\s*\(.*?\)", "", form).split("/")[0].strip()
    if len(words) < 3:  # "k", "IA": too short to find safely in prose
        return None
    if language == "ar":
        # a form of the word with the article or a one-letter prefix (و، ب، ل، ف، ك)
        core = words[2:] if words.startswith("ال") else words
        return re.compile(r"(?<![\w\u0600-\u06ff])((?:[وفبلك]?ال|لل|[وفبلك])?" + re.escape(core) + r")(?![\w\u0600-\u06ff])")
    return re.compile(r"(?<![\w’'-])(" + re.escape(words) + r")(?![\w-])", re.I)


_SKIP = re.compile(r"<a\b[^>]*>.*?</a>|`[^`]*`|\$[^$]*\$|\[[^\]]*\]\([^)]*\)|<[^>]+>|\*\*[^*]*\*\*")


def link_terms(notebook: nbformat.NotebookNode, language: str, root: str = "../") -> int:
    """Link the first use of each glossary term on a book page to the glossary; return how many.

    Only plain prose is touched: not headings, code, math, links, raw HTML or bold labels.
    """
    terms = sorted((term for term in glossary() if term.get(language)), key=lambda term: -len(term[language]))
    patterns = [(term_anchor(term), p) for term in terms  # longest first: "training set" before "training"
                for p in [_term_pattern(term[language], language)] if p]
    done: set[str] = set()
    count = 0
    for cell in notebook.cells[1:]:  # the header (title, objectives) stays as it is
        if cell.cell_type != "markdown" or "jisr-check-note" in cell.metadata.get("tags", []):
            continue
        lines, fenced = cell.source.split("\n"), False
        for index, line in enumerate(lines):
            stripped = line.strip()
            if stripped.startswith("$$") and stripped.endswith("$$") and len(stripped) > 4:
                continue  # a formula on one line
            if stripped.startswith(("```", ":::", "$$")):
                fenced = not fenced
                continue
            if fenced or not line.strip() or line.lstrip().startswith(("#", "<", "|", ":")):
                continue
            for anchor, pattern in patterns:
                if anchor in done:
                    continue
                protected = [m.span() for m in _SKIP.finditer(line)]
                match = next((m for m in pattern.finditer(line)
                              if not any(a <= m.start() < b for a, b in protected)), None)
                if match:
                    link = f'<a class="jisr-term" href="{root}{GLOSSARY_PAGE}.html#{anchor}">{match.group(1)}</a>'
                    line = line[:match.start(1)] + link + line[match.end(1):]
                    done.add(anchor)
                    count += 1
            lines[index] = line
        cell.source = "\n".join(lines)
    return count


def write_pages(src: Path, language: str) -> list[Path]:
    """Write the track pages and the glossary page into a language's book sources."""
    from .book import _write_if_changed

    course, t = load_map(), map_translator(language)
    written = []
    (src / TRACK_PAGES).mkdir(parents=True, exist_ok=True)
    for track_id in course.tracks:
        path = src / TRACK_PAGES / f"{track_id}.md"
        _write_if_changed(path, track_page(track_id, language, t, course))
        written.append(path)
    path = src / f"{GLOSSARY_PAGE}.md"
    _write_if_changed(path, glossary_page(language, t))
    return [*written, path]


# --------------------------------------------------------------------------- lesson header


def lesson_facts(lesson: LessonSource, language: str, t: Translator, course: CourseMap | None = None,
                 links: bool = True) -> str:
    """What the map says about a lesson, for its header: what to take first, its tracks, its measured cost."""
    course = course or load_map()
    entry = course.by_key(lesson.key)
    lines = []
    if entry and entry.requires:
        needs = []
        for code in entry.requires:
            need = course.lessons[code]
            label = t(need.title)  # in words: a learner does not know the map's codes (F3)
            # raw HTML: the book's page is ../<part>/<id>.html whatever its source's suffix
            needs.append(f'<a href="../{need.key}.html">{html.escape(label)}</a>' if links and need.written else label)
        lines.append(f"**{t(N_('Lessons to take first:'))}** " + _list_separator(language).join(needs))
    tracks = course.tracks_of(lesson.key)
    if tracks:
        lines.append(f"**{t(N_('Counts for the tracks:'))}** " + _list_separator(language).join(t(track.title) for track in tracks))
    cost = cost_text(lesson.key, t, language)
    lines.append(f"**{t(N_('Measured cost:'))}** " + (cost or t(N_("not measured yet (benchmarks/run.py)"))))
    return "\n\n".join(lines)


def _list_separator(language: str) -> str:
    """Arabic separates the items of a list with the Arabic comma."""
    return "، " if language == "ar" else ", "


def write_lesson(lesson: LessonSource, language: str, target: str, folder: Path) -> Path:
    """``jisr.render.write_rendered`` with the map's facts under the header (and, on a book page,
    glossary links); unchanged files keep their time."""
    from .i18n import LANG_MARKER
    from .render import _rtl_wrap, render
    from .typography import typeset_markdown

    nb = render(lesson, language, target)
    t = map_translator(language)
    facts = lesson_facts(lesson, language, t, links=target == "book")
    if target != "book":
        facts = _rtl_wrap(typeset_markdown(facts, language), language)
    cell = nbformat.v4.new_markdown_cell(facts, metadata={"tags": ["jisr-lesson-facts"]})
    cell["id"] = f"{lesson.meta['id']}-facts"
    nb.cells.insert(1, cell)
    if target == "book":
        link_terms(nb, language)
    out = folder / lesson.meta["part"] / f"{lesson.meta['id']}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")
    marker = folder / LANG_MARKER
    if not marker.is_file() or marker.read_text(encoding="utf-8") != language:
        marker.write_text(language, encoding="utf-8")
    return out


# --------------------------------------------------------------------------- nbgrader


def course_tracks(assignments: list[LessonSource]) -> dict[str, Any]:
    """Each track as a set of nbgrader assignments: the grade cells that count, their points, the pass mark."""
    course = load_map()
    ids = {lesson.key: lesson.meta["id"] for lesson in assignments}
    result: dict[str, Any] = {}
    for track in course.tracks.values():
        chosen: dict[str, Any] = {}
        for entry in course.track_lessons(track.id):
            if entry.source is None or entry.key not in ids:
                continue
            items = graded_items(entry.source, track.id)
            if items:
                chosen[ids[entry.key]] = {"grade_cells": [f"{qid}-tests" for qid, _ in items],
                                          "points": sum(points for _, points in items)}
        result[track.id] = {"pass_mark_percent": track.pass_mark, "assignments": chosen,
                            "max_points": sum(a["points"] for a in chosen.values()),
                            "lessons_coming": [e.key for e in course.track_lessons(track.id) if not e.written]}
    return result
