"""The course map: courses/tracks.yml, what the book shows from it (landing page, track pages,
lesson headers, glossary) in three languages, and the tracks of the nbgrader course."""

from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path

import nbformat
import pytest
import yaml

from jisr import coursemap
from jisr.i18n import Translator
from jisr.languages import LANGUAGES
from jisr.paths import project_root
from jisr.source import find_lessons

ENGLISH = Translator("en")


def _say(problems) -> list[str]:
    return [p.format(ENGLISH) for p in problems]


# --------------------------------------------------------------------------- the data


def test_the_shipped_map_is_consistent() -> None:
    assert _say(coursemap.map_problems()) == []
    course = coursemap.load_map()
    assert list(course.tracks) == ["users", "designers", "decision-makers"]
    for track in course.tracks.values():
        # every track starts with the five fundamentals, in order
        assert [course.lessons[c].key.split("/")[1] for c in track.codes[:5]] == [
            "what-is-ai", "data-to-question", "how-machines-learn", "judging-predictions", "risks"]
    written = {lesson.key for lesson in find_lessons()}
    assert {lesson.key for lesson in course.lessons.values() if lesson.written} == written


@pytest.fixture()
def course_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "jisr"
    for folder in ("courses", "book/pages", "book/locales", "datasets"):
        shutil.copytree(project_root() / folder, root / folder)
    monkeypatch.setenv("JISR_ROOT", str(root))
    return root


def _edit_map(root: Path, change) -> None:
    path = root / "courses" / "tracks.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_problems_in_the_map_are_named(course_copy: Path) -> None:
    def break_it(data) -> None:
        data["tracks"]["users"]["lessons"] = ["F2", "F1", *data["tracks"]["users"]["lessons"][2:]]  # F2 before F1
        data["lessons"]["F1"]["title"] = "What is AI?"  # written: its lesson.md says it
        data["lessons"]["U1"].pop("minutes")  # coming: needs an estimate
        data["lessons"]["U2"]["requires"] = ["U9"]
        data["tracks"]["designers"]["pass_mark"] = 0
        del data["lessons"]["F2"]
        data["tracks"]["designers"]["lessons"].remove("F2")
        data["tracks"]["decision-makers"]["lessons"].remove("F2")
        data["tracks"]["users"]["lessons"].remove("F2")

    _edit_map(course_copy, break_it)
    said = "\n".join(_say(coursemap.map_problems()))
    assert "F1 is written now: delete its title and minutes" in said
    assert "U1 is not written yet: give it a title and an estimated time" in said
    assert "U2 requires U9, which is not a lesson of the map" in said
    assert "the pass mark of designers must be a percentage" in said
    assert "the lesson fundamentals/data-to-question is in no track" in said
    assert "F3 requires F2, which is not a lesson of the map" in said


def test_a_lesson_before_what_it_requires_is_named(course_copy: Path) -> None:
    _edit_map(course_copy, lambda d: d["tracks"]["users"].update(lessons=["F2", "F1", *d["tracks"]["users"]["lessons"][2:]]))
    assert _say(coursemap.map_problems()) == ["courses/tracks.yml: in the track users, F2 comes before F1, which it requires"]


def test_an_exercise_for_an_unknown_track_is_named(course_copy: Path) -> None:
    path = course_copy / "courses/fundamentals/what-is-ai/exercises.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("tracks: [users, designers, decision-makers]", "tracks: [users, designer]", 1), encoding="utf-8")
    assert _say(coursemap.map_problems()) == [
        "fundamentals/what-is-ai/exercises.yml: q1 counts for an unknown track designer"]


# --------------------------------------------------------------------------- the book's sources


def test_toc_follows_the_map() -> None:
    from jisr.book import _toc

    course = coursemap.load_map()
    toc = _toc("en", ENGLISH)
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    fundamentals = [l.key for l in course.lessons.values() if l.part == "fundamentals" and l.written]
    assert toc["parts"][0]["caption"] == "Fundamentals"
    assert [c["file"] for c in toc["parts"][0]["chapters"]] == fundamentals
    assert [f for f in files if f.startswith("tracks/")] == [f"tracks/{t}" for t in course.tracks]
    own = yaml.safe_load((project_root() / "book" / "_toc.yml").read_text(encoding="utf-8"))
    own_files = [c["file"] for part in own["parts"] for c in part["chapters"]]
    assert "glossary" in own_files and files[-len(own_files):] == own_files  # the book's own pages come last
    coming = [l.key for l in course.lessons.values() if not l.written]
    assert not set(coming) & set(files), "a coming lesson has no page: the toc must not list it"


def test_every_page_of_the_toc_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JISR_BUILD", str(tmp_path))
    from jisr.book import prepare_sources

    for language in LANGUAGES:
        src = prepare_sources(language, progress=lambda s: None)
        toc = yaml.safe_load((src / "_toc.yml").read_text(encoding="utf-8"))
        for chapter in [c for part in toc["parts"] for c in part["chapters"]]:
            assert list(src.glob(chapter["file"] + ".*")), (language, chapter["file"])
        intro = (src / "intro.md").read_text(encoding="utf-8")
        assert "{jisr-course-map}" not in intro and 'data-jisr-lesson="fundamentals/what-is-ai"' in intro


def test_lesson_header_shows_the_measured_cost_from_the_benchmark_file(tmp_path: Path) -> None:
    figures = json.loads(coursemap.costs_file().read_text(encoding="utf-8"))
    lesson = next(l for l in find_lessons() if l.key in figures["lessons"])
    measured = figures["lessons"][lesson.key]["en"]["learner"]
    for language in LANGUAGES:
        path = coursemap.write_lesson(lesson, language, "book", tmp_path / language)
        facts = nbformat.read(path, as_version=4).cells[1]
        assert "jisr-lesson-facts" in facts.metadata["tags"]
        t = coursemap.map_translator(language)
        seconds = t.number(measured["wall_s"], 0 if measured["wall_s"] >= 10 else 1)
        assert f"{seconds} " in facts.source and f"{measured['peak_mb']} " in facts.source, facts.source
    # no measurement: the header says so instead of inventing a figure
    missing = [l for l in find_lessons() if l.key not in figures["lessons"]]
    if missing:
        path = coursemap.write_lesson(missing[0], "en", "book", tmp_path / "none")
        assert "not measured yet" in nbformat.read(path, as_version=4).cells[1].source


def test_a_later_lesson_names_what_to_take_first() -> None:
    course = coursemap.load_map()
    f2 = course.lessons["F2"]
    for language in LANGUAGES:
        t = coursemap.map_translator(language)
        facts = coursemap.lesson_facts(f2.source, language, t, course)
        title = t(course.lessons["F1"].title)
        assert f'<a href="../fundamentals/what-is-ai.html">{title}</a>' in facts
        assert "F1" not in facts  # the map's codes mean nothing to a learner
    f5 = course.lessons["F5"]  # counts for three tracks: Arabic lists them with the Arabic comma
    arabic = coursemap.lesson_facts(f5.source, "ar", coursemap.map_translator("ar"), course)
    assert "، " in arabic.split("\n\n")[1] and ", " not in arabic.split("\n\n")[1]


def test_glossary_terms_link_once_per_page() -> None:
    glossary = coursemap.glossary()
    model = next(term for term in glossary if term["en"] == "model")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A model"),
                nbformat.v4.new_markdown_cell("## The model\n\nThe `model` in Python, then the model learns.\n\nA model again."),
                nbformat.v4.new_code_cell("model = 1")]
    assert coursemap.link_terms(nb, "en") >= 1
    text = nb.cells[1].source
    anchor = coursemap.term_anchor(model)
    assert text.count(f'#{anchor}"') == 1
    assert "## The model" in text and "The `model` in Python" in text  # headings and code stay as they are
    assert f'then the <a class="jisr-term" href="../glossary.html#{anchor}">model</a> learns' in text
    assert nb.cells[0].source == "# A model" and nb.cells[2].source == "model = 1"
    # a longer term wins over the shorter one inside it, and a link is never nested
    nb.cells[1].source = "We keep a test set apart."
    coursemap.link_terms(nb, "en")
    assert nb.cells[1].source.count("<a ") == 1 and ">test set</a>" in nb.cells[1].source
    # Arabic: the word with its article links
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("#"), nbformat.v4.new_markdown_cell("يتعلّم النموذج من الأمثلة.")]
    coursemap.link_terms(nb, "ar")
    assert f'href="../glossary.html#{anchor}">النموذج</a>' in nb.cells[1].source


def test_every_glossary_anchor_is_unique() -> None:
    anchors = [coursemap.term_anchor(term) for term in coursemap.glossary()]
    assert len(anchors) == len(set(anchors))


# --------------------------------------------------------------------------- nbgrader


def test_nbgrader_course_lists_each_track_as_assignments(tmp_path: Path) -> None:
    from jisr.nbgrader_course import make_course, read_tracks

    course_dir = make_course("fr", tmp_path / "course", generate=False)
    tracks = read_tracks(course_dir)
    course = coursemap.load_map()
    assert list(tracks) == list(course.tracks)
    for track_id, track in tracks.items():
        assert track["pass_mark_percent"] == course.tracks[track_id].pass_mark
        total = 0.0
        for assignment, spec in track["assignments"].items():
            nb = nbformat.read(course_dir / "source" / assignment / f"{assignment}.ipynb", as_version=4)
            cells = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells
                     if c.metadata.get("nbgrader", {}).get("grade")}
            assert set(spec["grade_cells"]) <= set(cells), (track_id, assignment)
            assert sum(cells[g]["points"] for g in spec["grade_cells"]) == spec["points"]
            total += spec["points"]
        assert track["max_points"] == total
    # the designers' code exercise of lesson 1 counts for them only
    lesson = coursemap.load_map().lessons["F1"].source
    code_items = [f"{q}-tests" for q, s in lesson.exercises.items() if s.get("tracks") == ["designers"]]
    assert code_items
    assert set(code_items) <= set(tracks["designers"]["assignments"]["what-is-ai"]["grade_cells"])
    assert not set(code_items) & set(tracks["users"]["assignments"]["what-is-ai"]["grade_cells"])


# --------------------------------------------------------------------------- in the browser

SLOW = pytest.mark.slow


def phone(browser_factory, width: int = 390, height: int = 844):
    driver = browser_factory(width, height)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})
    return driver


def _no_sideways_scroll(driver) -> None:
    assert driver.execute_script("return window.innerWidth") == 390
    wide = driver.execute_script("return document.documentElement.scrollWidth")
    assert wide <= 391, (driver.current_url, wide)


def _plain(text: str) -> str:
    """The page's text without the typography's no-break spaces (French puts one before ':')."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _status(url: str) -> int:
    with urllib.request.urlopen(url) as response:
        return response.status


@SLOW
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_course_map_on_the_landing_page(language: str, server: str, browser_factory) -> None:
    course = coursemap.load_map()
    t = coursemap.map_translator(language)
    driver = phone(browser_factory)
    driver.get(f"{server}/{language}/intro.html")
    entries = driver.execute_script(
        "return [...document.querySelectorAll('.jisr-map [data-jisr-lesson]')].map(e => ["
        "e.getAttribute('data-jisr-lesson'), e.querySelector('a') ? e.querySelector('a').href : null, e.textContent])")
    keys = [key for key, _, _ in entries]
    assert set(keys) == {lesson.key for lesson in course.lessons.values()}
    for key, href, text in entries:
        lesson = course.by_key(key)
        assert _plain(t(lesson.title)) in _plain(text)
        if lesson.written:
            assert href and _status(href) == 200, key
        else:
            assert href is None and t("coming") in _plain(text), key  # no broken link to a lesson not written yet
    for track in course.tracks.values():
        link = driver.find_element("css selector", f"#jisr-track-{track.id} a")
        assert _plain(link.text.strip()) == _plain(t(track.title))
    direction = driver.execute_script("return getComputedStyle(document.querySelector('.jisr-map')).direction")
    assert direction == LANGUAGES[language].direction
    assert driver.execute_script("return document.documentElement.lang").startswith(language)
    _no_sideways_scroll(driver)


@SLOW
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_track_pages(language: str, server: str, browser_factory) -> None:
    course = coursemap.load_map()
    t = coursemap.map_translator(language)
    driver = phone(browser_factory)
    for track in course.tracks.values():
        driver.get(f"{server}/{language}/tracks/{track.id}.html")
        heading = driver.execute_script("return document.querySelector('article h1').textContent")
        assert _plain(heading).strip().startswith(_plain(t(track.title)))
        keys = driver.execute_script("return [...document.querySelectorAll('[data-jisr-lesson]')].map(e => e.getAttribute('data-jisr-lesson'))")
        assert keys == [lesson.key for lesson in course.track_lessons(track.id)]
        body = _plain(driver.find_element("css selector", "article").text)
        assert _plain(t(track.audience)) in body
        minutes = sum(lesson.minutes for lesson in course.track_lessons(track.id))
        assert _plain(coursemap._duration(minutes, t)) in body
        for href in driver.execute_script("return [...document.querySelectorAll('[data-jisr-lesson] a')].map(a => a.href)"):
            assert _status(href) == 200, href
        assert driver.execute_script("return getComputedStyle(document.body).direction") == LANGUAGES[language].direction
        _no_sideways_scroll(driver)


@SLOW
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_glossary_page_finds_terms_in_every_language(language: str, server: str, browser_factory) -> None:
    glossary = coursemap.glossary()
    driver = phone(browser_factory)
    driver.get(f"{server}/{language}/glossary.html")
    terms = driver.find_elements("css selector", ".jisr-term")
    assert len(terms) == len(glossary)
    date = next(term for term in glossary if term.get("darija"))
    entry = driver.find_element("id", coursemap.term_anchor(date))
    assert date["darija"] in _plain(entry.text) and _plain(date[language]) in _plain(entry.text)
    box = driver.find_element("id", "jisr-glossary-filter")
    # a reader may type the term in another language than the page's
    model = next(term for term in glossary if term["en"] == "model")
    box.send_keys(model["ar"] if language != "ar" else model["fr"])
    shown = [e.get_attribute("id") for e in terms if e.is_displayed()]
    assert coursemap.term_anchor(model) in shown and len(shown) < len(glossary) / 4
    box.clear()
    box.send_keys("zzzz")
    driver.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)
    assert not [e for e in terms if e.is_displayed()]
    assert driver.find_element("id", "jisr-glossary-none").is_displayed()
    assert driver.execute_script("return getComputedStyle(document.body).direction") == LANGUAGES[language].direction
    _no_sideways_scroll(driver)


@SLOW
@pytest.mark.parametrize("language", list(LANGUAGES))
def test_lesson_page_header_and_glossary_links(language: str, server: str, site, browser_factory) -> None:
    figures = json.loads(coursemap.costs_file().read_text(encoding="utf-8"))
    key = next(iter(figures["lessons"]))
    driver = phone(browser_factory)
    driver.get(f"{server}/{language}/{key}.html")
    t = coursemap.map_translator(language)
    article = _plain(driver.find_element("css selector", "article").text)
    assert _plain(t("Measured cost:")) in article and f"{figures['lessons'][key]['en']['learner']['peak_mb']} " in article
    links = driver.execute_script("return [...document.querySelectorAll('a.jisr-term')].map(a => a.href)")
    assert links, "no glossary term linked on the lesson page"
    anchors = [link.split("#")[1] for link in links]
    assert len(anchors) == len(set(anchors))  # first use only
    glossary_html = (site / language / "glossary.html").read_text(encoding="utf-8")
    for anchor in anchors:
        assert f'id="{anchor}"' in glossary_html
    _no_sideways_scroll(driver)


def test_jisr_check_reports_a_broken_course_map(tmp_path) -> None:
    """`jisr check` reads courses/tracks.yml too: a lesson that requires one the map lacks is named."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from jisr.paths import project_root

    root = project_root()
    shutil.copytree(root / "courses", tmp_path / "courses")
    shutil.copytree(root / "book", tmp_path / "book", ignore=shutil.ignore_patterns("node_modules"))
    tracks = tmp_path / "courses" / "tracks.yml"
    text = tracks.read_text(encoding="utf-8")
    assert "requires: [" in text
    tracks.write_text(text.replace("requires: [", "requires: [fundamentals/nowhere, ", 1), encoding="utf-8")
    jisr = str(Path(sys.executable).with_name("jisr"))
    done = subprocess.run([jisr, "check"], env={**os.environ, "JISR_ROOT": str(tmp_path), "JISR_LANG": "en"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "fundamentals/nowhere, which is not a lesson of the map" in done.stdout + done.stderr
