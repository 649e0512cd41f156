"""The course on a real JupyterHub, for a mixed-language class, end to end.

A real JupyterHub 6 (configurable-http-proxy from npm) on 127.0.0.1, set up
by ``jisr.hub`` from a class list: a teacher (French), Amina who works in
Arabic and Loïc who works in French. The teacher releases an assignment; in
headless Chromium each student logs in, finds the interface in their
language, fetches the notebook in their language, answers (through the
server's contents API, from the logged-in page) and submits; the teacher
collects (arrival times from the hub's stamps, not the student's session),
grades with the safe grader into one gradebook and returns the feedback;
each student fetches the feedback in the browser and reads it in their
language. Only the DummyAuthenticator is a test stand-in (one password).

Needs root (the hub makes a Unix account per person), bubblewrap (the safe
grader) and Chromium: the same as the rest of the suite.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
import pytest
from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from jisr.autograder import sandbox
from jisr.hub import classlist, config, exchange, limits, setup
from jisr.hub.stamp import STAMP_FORMAT, read_ledger

TEACHER, ARABIC, FRENCH = "hubprof", "hubamina", "hubloic"
PASSWORD = "jisr-hub-test"
ASSIGNMENT = "what-is-ai"
WAIT = 240  # seconds a step may take on a busy 2-core machine (a bound, not a measure)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _remove_test_accounts() -> None:
    """Accounts of an earlier run (their home was a deleted temporary folder)."""
    for name in (TEACHER, ARABIC, FRENCH):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_gid == grp.getgrnam(config.UNIX_GROUP).gr_gid:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", name], check=True, capture_output=True)


def _api(hub, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{hub['url']}/hub/api{path}", method=method,
                                     headers={"Authorization": f"token {hub['token']}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


@pytest.fixture(scope="module")
def hub():
    assert os.geteuid() == 0, "the hub test runs as root (the hub makes an account per person)"
    assert sandbox.available(), f"the safe grader needs bubblewrap: {sandbox.unavailable_detail()}"
    try:
        grp.getgrnam(config.UNIX_GROUP)
        _remove_test_accounts()
    except KeyError:
        pass
    # not under pytest's temporary folder: another pytest run on the machine makes that private again
    folder = Path(tempfile.mkdtemp(prefix="jisr-hub-test-"))
    os.chmod(folder, 0o755)
    # the learners run this Python (a pyenv under /root is closed to them) and reach their homes
    # under pytest's temporary folder (private to root): open those folders for entering only
    opened = []
    for target in (Path(sys.executable), folder):
        blocked = setup.unreachable_for_learners(target)
        while blocked is not None and blocked.is_dir():
            opened.append((blocked, stat.S_IMODE(os.stat(blocked).st_mode)))
            os.chmod(blocked, opened[-1][1] | 0o001)
            blocked = setup.unreachable_for_learners(target)
    (folder / "class.csv").write_text("username,role,language,name\n"
                                      f"{TEACHER},enseignant,fr,Sara Benali\n"
                                      f"{ARABIC},تلميذ,ar,Amina Ait Taleb\n"
                                      f"{FRENCH},élève,fr,Loïc Idrissi\n", encoding="utf-8")
    people = classlist.read(folder / "class.csv")
    token = secrets.token_hex(32)
    port = _free_port()
    started = time.monotonic()
    settings = setup.prepare(folder / "hub", people, ip="127.0.0.1", port=port, hub_port=_free_port(),
                             proxy_api_port=_free_port(), auth="dummy", dummy_password=PASSWORD, api_token=token,
                             assignments=[ASSIGNMENT], mem_limit="1G", cpu_limit=1.0, cull_after=3600,
                             progress=lambda text: None)
    log = open(folder / "hub.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(folder / "hub" / "jupyterhub_config.py")],
                               cwd=folder / "hub", stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = {"url": f"http://127.0.0.1:{port}", "token": token, "settings": settings, "folder": folder / "hub",
           "log": folder / "hub.log", "process": process}
    deadline = time.monotonic() + WAIT
    while True:
        try:
            _api(hub, "/")
            break
        except OSError:
            assert process.poll() is None, (folder / "hub.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (folder / "hub.log").read_text()[-3000:]
            time.sleep(0.5)
    hub["ready_seconds"] = time.monotonic() - started
    yield hub
    process.terminate()  # the hub stops the learners' servers and the proxy on its way out
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
    log.close()
    _remove_test_accounts()
    for name in (TEACHER, ARABIC, FRENCH):
        group = limits.user_group(name, 0, 0)
        for folder_ in (group.folders.values() if group else []):
            try:
                folder_.rmdir()
            except OSError:
                pass
    for path, mode in reversed(opened):
        os.chmod(path, mode)
    shutil.rmtree(folder, ignore_errors=True)


def login(driver, hub, user: str) -> None:
    driver.get(f"{hub['url']}/hub/login")
    driver.find_element(By.ID, "username_input").send_keys(user)
    driver.find_element(By.ID, "password_input").send_keys(PASSWORD)
    driver.find_element(By.ID, "login_submit").click()
    WebDriverWait(driver, WAIT).until(lambda d: f"/user/{user}/lab" in d.current_url)
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item"))


def _click_text(driver, selector: str, text: str) -> bool:
    """A real click (Lumino menus open on pointer events) on the element whose text is ``text``."""
    try:
        for element in driver.find_elements(By.CSS_SELECTOR, selector):
            if element.text.strip() == text:
                element.click()
                return True
    except (StaleElementReferenceException, ElementNotInteractableException):
        pass  # JupyterLab redrew it meanwhile: try again
    return False


def menu_items(driver, menu: str) -> list[str]:
    """Open a menu of JupyterLab's menu bar by its label; return its items' labels (and leave it open)."""
    WebDriverWait(driver, WAIT).until(lambda d: _click_text(d, ".lm-MenuBar-item", menu)
                                      and d.find_elements(By.CSS_SELECTOR, ".lm-Menu-item"))
    return driver.execute_script("return [...document.querySelectorAll('.lm-Menu-itemLabel')].map(e => e.textContent.trim())")


def click_menu_item(driver, label: str) -> None:
    WebDriverWait(driver, WAIT).until(lambda d: _click_text(d, ".lm-Menu-item", label))


def buttons(driver) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('button')].map(b => b.textContent.trim())")


def click_button(driver, text: str) -> None:
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(
        "const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === arguments[0] && !b.disabled);"
        "if (!b) return false; b.click(); return true;", text))


def contents(driver, user: str, path: str, model: dict | None = None) -> dict:
    """GET (or PUT ``model``) a file through the learner's own server, from the logged-in page."""
    result = driver.execute_async_script(
        "const [url, body, done] = arguments; const x = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '');"
        "fetch(url, {method: body ? 'PUT' : 'GET', headers: {'X-XSRFToken': x, 'Content-Type': 'application/json'}, body: body || undefined})"
        ".then(r => r.text().then(t => done([r.status, t]))).catch(e => done([0, String(e)]));",
        f"/user/{user}/api/contents/{path}" + ("" if model else "?content=1"), json.dumps(model) if model else None)
    assert result[0] in (200, 201), result
    return json.loads(result[1])


def answered(notebook: dict, source: nbformat.NotebookNode) -> dict:
    """The fetched notebook with every answer cell holding the reference solution (markers removed)."""
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in notebook["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in solutions:
            cell["source"] = "\n".join(line for line in solutions[grade_id].splitlines() if "### " not in line)
    return notebook


def student_fetches_answers_submits(driver, hub, user: str, language: str, answer: bool) -> None:
    login(driver, hub, user)
    # the interface speaks the learner's language (the language pack, set from the class list)
    assert driver.execute_script("return document.documentElement.lang").startswith(language)
    nbgrader_menu = menu_items(driver, "Nbgrader")
    assert "Assignment List" in nbgrader_menu and "Formgrader" not in nbgrader_menu  # no teacher tools
    click_menu_item(driver, "Assignment List")
    click_button(driver, "Fetch")
    WebDriverWait(driver, WAIT).until(lambda d: "Submit" in buttons(d))
    fetched = contents(driver, user, f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb")["content"]
    assert fetched["metadata"]["jisr"]["lang"] == language  # the notebook in the learner's language
    if answer:
        course = json.loads(Path(hub["settings"]).read_text())["courses"]["class"]
        source = nbformat.read(Path(course["releases"][language]) / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
        contents(driver, user, f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                 {"type": "notebook", "format": "json", "content": answered(fetched, source)})
    click_button(driver, "Submit")
    WebDriverWait(driver, WAIT).until(lambda d: "Fetch Feedback" in buttons(d))


def fetch_feedback_page(driver, hub, user: str) -> tuple[str, str, str]:
    """Fetch the feedback in the learner's assignment list, open it; return (lang, dir, text) of the page."""
    driver.get(f"{hub['url']}/user/{user}/lab")
    menu_items(driver, "Nbgrader")
    click_menu_item(driver, "Assignment List")
    click_button(driver, "Fetch Feedback")
    home = Path(pwd.getpwnam(user).pw_dir)
    deadline = time.monotonic() + WAIT
    while not list(home.glob(f"{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html")):
        assert time.monotonic() < deadline, "no feedback fetched"
        time.sleep(0.5)
    page = next(home.glob(f"{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html")).relative_to(home)
    driver.get(f"{hub['url']}/user/{user}/files/{page}")
    WebDriverWait(driver, WAIT).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return tuple(driver.execute_script("return [document.documentElement.lang, document.documentElement.dir, document.body.innerText]"))


def test_a_mixed_language_class_on_the_hub(hub, browser_factory) -> None:
    started = time.monotonic()
    settings = Path(hub["settings"])
    assert exchange.release(settings, "class", ASSIGNMENT) == ["class-ar", "class-fr"]

    # the teacher logs in: the nbgrader tools of a teacher are there
    teacher = browser_factory()
    login(teacher, hub, TEACHER)
    assert "Formgrader" in menu_items(teacher, "Nbgrader")
    assert TEACHER in grp.getgrnam(setup.TEACHERS_GROUP).gr_mem  # the class's course folder is the teachers'
    teacher.quit()

    amina, loic = browser_factory(), browser_factory()
    student_fetches_answers_submits(amina, hub, ARABIC, "ar", answer=True)
    student_fetches_answers_submits(loic, hub, FRENCH, "fr", answer=False)

    # each learner's server runs in its own control group, with the class's limits
    for user in (ARABIC, FRENCH):
        server_pids = [int(p) for p in subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout.split()]
        assert server_pids and all(limits.user_of(pid) == user for pid in server_pids)
        group = limits.user_group(user, 1 << 30, 1.0)
        assert set(group.enforced) >= {"memory", "cpu"}
        if group.version == 1:
            assert int((group.folders["memory"] / "memory.limit_in_bytes").read_text()) == 1 << 30

    # the hub noted each submission's arrival; Loïc then rewrites the time his session wrote
    folder = hub["folder"]
    deadline = time.monotonic() + WAIT
    while len(read_ledger(folder / "arrivals.jsonl")) < 2:
        assert time.monotonic() < deadline, "the hub's stamp service did not see the submissions"
        time.sleep(0.5)
    ledger = read_ledger(folder / "arrivals.jsonl")
    forged = (datetime.utcnow() - timedelta(minutes=30)).strftime(STAMP_FORMAT)
    inbound = next((folder / "exchange" / "class-fr" / "inbound").glob(f"{FRENCH}+{ASSIGNMENT}+*"))
    subprocess.run(["su", FRENCH, "-s", "/bin/sh", "-c", f"printf '%s' '{forged}' > '{inbound}/timestamp.txt'"], check=True)

    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"], "JISR_LANG": "fr"}
    jisr = [str(Path(sys.executable).parent / "jisr"), "hub"]
    for action in ("collect", "grade", "return"):
        done = subprocess.run([*jisr, action, ASSIGNMENT, "--folder", str(folder)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr

    course = Path(json.loads(settings.read_text())["courses"]["class"]["dir"])
    arrivals = json.loads((course / exchange.ARRIVALS).read_text())
    for user, channel in ((ARABIC, "class-ar"), (FRENCH, "class-fr")):
        entry = next(e for (c, name), e in ledger.items() if c == channel and name.startswith(user + "+"))
        written = (course / "submitted" / user / ASSIGNMENT / "timestamp.txt").read_text()
        assert written == entry["arrived"] == arrivals[user][ASSIGNMENT]["arrived"]
    assert arrivals[FRENCH][ASSIGNMENT]["arrived"] != forged

    # one gradebook, the same points for both languages; the hub's times recorded
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as book:
        amina_grade = book.find_submission(ASSIGNMENT, ARABIC)
        loic_grade = book.find_submission(ASSIGNMENT, FRENCH)
        assert amina_grade.max_score == loic_grade.max_score > 0
        assert amina_grade.score > loic_grade.score
        assert loic_grade.timestamp.strftime(STAMP_FORMAT) == arrivals[FRENCH][ASSIGNMENT]["arrived"]

    # each learner reads the feedback in their own language, fetched in the browser
    lang, direction, text = fetch_feedback_page(amina, hub, ARABIC)
    assert (lang, direction) == ("ar", "rtl") and re.search(r"[\u0600-\u06ff]", text)
    lang, direction, text = fetch_feedback_page(loic, hub, FRENCH)
    assert (lang, direction) == ("fr", "ltr")
    print(f"\nhub ready in {hub['ready_seconds']:.0f} s; class flow in {time.monotonic() - started:.0f} s")


# --------------------------------------------------------------------------- the parts, without a hub


def test_class_list_rows_are_checked_in_the_teachers_words() -> None:
    people = classlist.parse("\ufeffUsername,Role,Language\nsara,Enseignante,fr\namina,تلميذة,ar\nloic,élève,FR\n")
    assert [(p.username, p.role, p.language) for p in people] == [
        ("sara", "teacher", "fr"), ("amina", "student", "ar"), ("loic", "student", "fr")]
    bad = {"username,role,language\nRoot Admin,teacher,fr\n": "row {row}: the username",
           "username,role,language\nsara,teacher,fr\nsara,student,ar\n": "already on an earlier row",
           "username,role,language\nsara,director,fr\n": "the role {value} is unknown",
           "username,role,language\nsara,teacher,es\n": "the language {value} is unknown",
           "username,role,language\namina,student,ar\n": "no teacher"}
    for text, words in bad.items():
        with pytest.raises(classlist.ClassListError) as caught:
            classlist.parse(text)
        assert words in caught.value.message.msgid


def test_the_stamp_service_notes_each_submission_once(tmp_path) -> None:
    from jisr.hub.stamp import stamp_new

    inbound = tmp_path / "exchange" / "class-ar" / "inbound"
    inbound.mkdir(parents=True)
    ledger, seen = tmp_path / "arrivals.jsonl", {}
    (inbound / "amina+what-is-ai+2026-12-01 10:00:00.000000 UTC+abc").mkdir()
    assert stamp_new(tmp_path / "exchange", ledger, seen) == 1
    assert stamp_new(tmp_path / "exchange", ledger, seen) == 0  # already noted: its time never moves
    (inbound / "amina+what-is-ai+2026-12-01 11:00:00.000000 UTC+def").mkdir()
    assert stamp_new(tmp_path / "exchange", ledger, seen) == 1
    with open(ledger, "a") as handle:
        handle.write('{"course": "class-ar", "subm')  # a line cut by a crash is skipped
    again = read_ledger(ledger)
    assert len(again) == 2 and all(datetime.strptime(e["arrived"], STAMP_FORMAT) for e in again.values())
    # collect takes the latest submission by the time in its name, as nbgrader's collect does
    assert exchange.collected_entry(again, "class-ar", "amina", "what-is-ai")["submission"].endswith("+def")
    assert exchange.collected_entry(again, "class-fr", "amina", "what-is-ai") is None


def test_hub_link_on_a_lesson_page_only_when_an_institute_sets_one(tmp_path) -> None:
    from jisr.hub.links import add_hub_link
    from jisr.i18n import Translator

    page = tmp_path / "what-is-ai.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")]), page)
    t = Translator.for_package("fr")
    assert not add_hub_link(page, "fundamentals/what-is-ai", "fr", {"jisr_hub": {"url": "", "repository": ""}}, t)
    config = {"jisr_hub": {"url": "https://hub.example.ma", "repository": "https://git.example.ma/x/lessons.git"}}
    assert add_hub_link(page, "fundamentals/what-is-ai", "fr", config, t)
    assert not add_hub_link(page, "fundamentals/what-is-ai", "fr", config, t)  # once
    cell = nbformat.read(page, 4).cells[1].source
    assert cell.startswith("[Ouvrir cette leçon sur le hub de votre établissement](https://hub.example.ma/hub/user-redirect/git-pull?")
    assert "urlpath=lab%2Ftree%2Flessons%2Ffr%2Ffundamentals%2Fwhat-is-ai.ipynb" in cell


def test_hub_commands_say_what_to_do_without_a_hub(tmp_path) -> None:
    done = subprocess.run([str(Path(sys.executable).parent / "jisr"), "hub", "grade", "what-is-ai", "--folder", str(tmp_path)],
                          capture_output=True, text=True, env={**os.environ, "JISR_LANG": "fr"})
    assert done.returncode == 1
    assert f"Pas encore de hub dans {tmp_path}" in done.stderr and "jisr hub up class.csv" in done.stderr
