"""A self-learner's progress with no account, kept on their own device.

- In the book (real Chromium, each language, Arabic right to left): opening a lesson marks it in
  progress, a button marks it done, the course map shows it in words and a sign (not colour
  alone), the self-checks passed in the notebooks show once the learner chooses the notebook
  folder's jisr-progress.json (read in the page), a button forgets it; the progress lives in the browser's localStorage and no request
  leaves the local server; axe-core finds nothing wrong in what progress.js adds.
- In a notebook: a passed self-check is noted in jisr-progress.json in the notebook's folder,
  and a folder that cannot be written never changes the check's verdict.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import requests_made
from jisr.i18n import Translator
from jisr.languages import LANGUAGES
from jisr.offline import progress
from jisr.offline.browser import STORAGE_KEY, progress_text
from jisr.paths import book_dir
from jisr.source import find_lessons

LESSON = "fundamentals/what-is-ai"
AXE = book_dir() / "node_modules" / "axe-core" / "axe.min.js"


def _words(language: str) -> dict[str, str]:
    return progress_text(Translator.for_package(language), [])["text"]  # type: ignore[return-value]


def _text(element) -> str:
    """The element's text as written (Selenium's .text turns French no-break spaces into spaces)."""
    return element.get_attribute("textContent")


def _axe(driver, selectors: list[str]) -> list[dict]:
    """axe-core's violations (every impact) inside the elements progress.js added."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    return driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run({include: arguments[0].map(function (s) { return [s]; })}, {resultTypes: ['violations']})"
        ".then(function (r) { done(r.violations.map(function (v) { return {id: v.id, impact: v.impact, nodes: v.nodes.length}; })); },"
        "      function (e) { done([{id: 'axe-error', impact: String(e)}]); });", selectors)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_progress_is_marked_on_the_lesson_and_shown_on_the_map(language: str, server: str, browser_factory, tmp_path: Path) -> None:
    words = _words(language)
    if language != "en":
        assert words["done"] != "Done" and words["markDone"] != "Mark this lesson as done", "not translated"
    driver = browser_factory(390, 844)  # a phone, and a browser of its own: empty storage
    wait = WebDriverWait(driver, 30)
    driver.get(f"{server}/{language}/{LESSON}.html")
    box = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "aside.jisr-progress-lesson")))
    state = box.find_element(By.CSS_SELECTOR, ".jisr-progress-state")
    assert _text(state) == words["lessonState"].format(state=words["started"])
    assert box.get_attribute("aria-label") == words["title"]
    assert words["private"] in _text(box)

    # keyboard: the button takes the focus and Enter presses it
    toggle = box.find_element(By.CSS_SELECTOR, "button.jisr-progress-toggle")
    assert _text(toggle) == words["markDone"]
    driver.execute_script("arguments[0].scrollIntoView(); arguments[0].focus();", toggle)
    ActionChains(driver).send_keys(Keys.ENTER).perform()
    wait.until(lambda d: _text(state) == words["lessonState"].format(state=words["done"]))
    assert _text(toggle) == words["markNotDone"]
    stored = json.loads(driver.execute_script(f"return localStorage.getItem('{STORAGE_KEY}')"))
    assert stored == {LESSON: "done"}
    assert driver.execute_script("return getComputedStyle(arguments[0]).direction", box) == LANGUAGES[language].direction
    assert _axe(driver, ["aside.jisr-progress-lesson"]) == []

    # the course map: the lesson's entry says "done" in words, with a sign; the others say nothing
    driver.get(f"{server}/{language}/intro.html")
    entries = driver.find_elements(By.CSS_SELECTOR, "[data-jisr-lesson]")
    assert entries, "the course map has no [data-jisr-lesson] entries (jisr.coursemap)"
    entry = driver.find_element(By.CSS_SELECTOR, f'[data-jisr-lesson="{LESSON}"]')
    mark = wait.until(lambda d: entry.find_element(By.CSS_SELECTOR, ".jisr-progress-mark"))
    assert _text(mark).endswith(words["done"]) and "\u2713" in _text(mark)
    assert entry.get_attribute("data-jisr-progress") == "done"
    others = [e for e in entries if e.get_attribute("data-jisr-lesson") != LESSON]
    assert all(not e.find_elements(By.CSS_SELECTOR, ".jisr-progress-mark") for e in others)
    written = {e.get_attribute("data-jisr-lesson") for e in entries if "jisr-coming" not in (e.get_attribute("class") or "")}
    assert written >= {lesson.key for lesson in find_lessons() if lesson.key.startswith("fundamentals/")} & written
    summary = driver.find_element(By.CSS_SELECTOR, ".jisr-progress-summary")
    assert _text(summary) == words["summary"].format(done=1, total=len(written))
    assert _axe(driver, [".jisr-progress-map", ".jisr-progress-mark"]) == []

    # the self-checks passed in the notebooks: the learner chooses the notebook folder's file, read in the page
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    assert progress.record_passed(LESSON, "q1", notebooks) and progress.record_passed(LESSON, "q3", notebooks)
    progress.record_passed(LESSON, "q99", notebooks)  # not an exercise of the lesson: not counted
    driver.find_element(By.CSS_SELECTOR, ".jisr-progress-map input[type=file]").send_keys(str(notebooks / progress.PROGRESS_FILE))
    total = len(next(lesson for lesson in find_lessons() if lesson.key == LESSON).exercises)
    expected = words["checks"].format(passed=2, total=total)
    wait.until(lambda d: expected in _text(entry.find_element(By.CSS_SELECTOR, ".jisr-progress-mark")))
    (tmp_path / "other.json").write_text('{"not": "progress"}')
    driver.find_element(By.CSS_SELECTOR, ".jisr-progress-map input[type=file]").send_keys(str(tmp_path / "other.json"))
    wait.until(lambda d: _text(summary) == words["importBad"])
    assert expected in _text(entry.find_element(By.CSS_SELECTOR, ".jisr-progress-mark"))
    driver.get(f"{server}/{language}/{LESSON}.html")
    checked = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "aside.jisr-progress-lesson .jisr-progress-checks")))
    assert _text(checked) == expected
    assert _axe(driver, ["aside.jisr-progress-lesson"]) == []
    driver.get(f"{server}/{language}/intro.html")
    summary = driver.find_element(By.CSS_SELECTOR, ".jisr-progress-summary")

    # forget: the learner confirms, the marks and the storage are gone
    driver.find_element(By.CSS_SELECTOR, ".jisr-progress-map button.jisr-progress-forget").click()
    alert = wait.until(EC.alert_is_present())
    assert alert.text == words["confirmForget"]
    alert.accept()
    wait.until(lambda d: _text(summary) == words["forgotten"])
    assert not driver.find_elements(By.CSS_SELECTOR, ".jisr-progress-mark")
    assert driver.execute_script(f"return localStorage.getItem('{STORAGE_KEY}')") is None
    assert driver.execute_script(f"return localStorage.getItem('{STORAGE_KEY}-checks')") is None

    # nothing was sent: every request went to the local server that serves the book
    requests = requests_made(driver)
    assert requests
    away = [u for u in requests if urlparse(u).scheme not in ("data", "blob", "chrome") and not u.startswith(server + "/")]
    assert away == [], away


def test_progress_is_shared_between_the_languages(server: str, browser_factory) -> None:
    """One learner, one device: a lesson done in Arabic shows as done on the French map."""
    driver = browser_factory(1200, 900)
    wait = WebDriverWait(driver, 30)
    driver.get(f"{server}/ar/{LESSON}.html")
    wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button.jisr-progress-toggle"))).click()
    driver.get(f"{server}/fr/intro.html")
    entry = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'[data-jisr-lesson="{LESSON}"][data-jisr-progress]')))
    assert entry.get_attribute("data-jisr-progress") == "done"
    assert _words("fr")["done"] in _text(entry)


def _run_in_shell(code: str) -> object:
    """Run ``code`` in a real IPython shell (as a notebook cell runs) and return its ``result``."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        outcome = shell.run_cell(code, store_history=False)
        assert outcome.success, outcome.error_in_exec or outcome.error_before_exec
        return shell.user_ns["result"]
    finally:
        InteractiveShell.clear_instance()


CHECK_Q1 = """
import jisr
lesson = jisr.start_lesson("fundamentals/what-is-ai", language="fr")
q1 = lesson.exercise("q1")
answer_q1 = "b"
result = q1.check().outcome.value
"""


def test_a_passed_check_is_noted_in_the_notebook_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JISR_GRADER", raising=False)
    assert _run_in_shell(CHECK_Q1.replace('answer_q1 = "b"', 'answer_q1 = "a"')) == "incorrect"
    assert not (tmp_path / progress.PROGRESS_FILE).exists()  # a wrong answer notes nothing
    assert _run_in_shell(CHECK_Q1) == "correct"
    assert progress.passed(LESSON, tmp_path) == ["q1"]
    assert _run_in_shell(CHECK_Q1) == "correct"  # twice: noted once
    assert json.loads((tmp_path / progress.PROGRESS_FILE).read_text(encoding="utf-8"))["lessons"] == {LESSON: {"passed": ["q1"]}}


def test_a_folder_that_cannot_be_written_never_fails_a_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / progress.PROGRESS_FILE).mkdir()  # the file's place is taken: every write fails, even as root
    assert _run_in_shell(CHECK_Q1) == "correct"
    assert progress.record_passed(LESSON, "q1", tmp_path) is False
    assert [p.name for p in tmp_path.iterdir()] == [progress.PROGRESS_FILE]  # no temporary file left behind


def test_a_graders_sandbox_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("JISR_GRADER", "p1")
    assert _run_in_shell(CHECK_Q1) == "correct"
    assert not (tmp_path / progress.PROGRESS_FILE).exists()
