"""Faults around grading, with the real sandbox and nbgrader's real gradebook: the grader
killed at random moments, a full disk, a locked gradebook, an old or a newer gradebook schema.
Each leaves the old state or the new one, never half, and grading again finishes the job."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jisr.autograder import gradebook as book
from jisr.autograder.batch import grade_assignment
from jisr.autograder.grade import STOPPED
from jisr.autograder.intake import LINKED
from jisr.autograder.sandbox import Limits
from jisr.i18n import Translator
from jisr.source import lesson_by_key

pytestmark = pytest.mark.slow
LIMITS = Limits(cpu_seconds=20, wall_seconds=30, memory_mb=2048)
WRONG = lesson_by_key("fundamentals/what-is-ai").grading["q5"]["wrong_answers"][0]["code"]


def _class(classroom, course: Path) -> dict[str, float]:
    """Four students; returns the scores they deserve."""
    classroom.submit(course, "amina", classroom.reference)
    classroom.submit(course, "youssef")  # blank
    classroom.submit(course, "salma", WRONG)
    classroom.submit(course, "karim", "import os\nos.kill(os.getpid(), 9)\n" + classroom.reference)  # 19
    return {"amina": 3.0, "youssef": 0.0, "salma": 0.0, "karim": 0.0}


def _integrity(course: Path) -> list[tuple]:
    """SQLite's own check, and each recorded submission complete: one grade row per graded cell."""
    with sqlite3.connect(course / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # the course holds every lesson as an assignment: count this one's graded cells
        cells = db.execute("SELECT count(*) FROM grade_cells JOIN base_cell ON base_cell.id = grade_cells.id "
                           "JOIN notebook ON base_cell.notebook_id = notebook.id "
                           "JOIN assignment ON notebook.assignment_id = assignment.id "
                           "WHERE assignment.name = 'what-is-ai'").fetchone()[0]
        rows = db.execute("SELECT submitted_assignment.student_id, count(grade.id) FROM submitted_assignment "
                          "JOIN submitted_notebook ON submitted_notebook.assignment_id = submitted_assignment.id "
                          "LEFT JOIN grade ON grade.notebook_id = submitted_notebook.id "
                          "GROUP BY submitted_assignment.id").fetchall()
    assert all(count == cells for _, count in rows), rows  # never a half-written submission
    return rows


def _grader(course: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai", "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _sandboxes_left(tag: str) -> list[str]:
    """Command lines of the processes still running in a sandbox of the grader tagged ``tag``.

    Every sandbox carries its grader's tag (``JISR_GRADER``): another course's
    or another grader's sandboxes on the same machine are not counted.
    """
    found = []
    wanted = f"JISR_GRADER={tag}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environment = (entry / "environ").read_bytes().split(b"\0")
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if wanted in environment:
                found.append(command)
    return found


def test_grader_killed_at_random_moments_loses_nothing(classroom, tmp_path: Path, tool_env: dict[str, str]) -> None:
    course = classroom.copy(tmp_path / "course")
    expected = _class(classroom, course)
    tag = f"killtest{os.getpid()}"
    env = {**tool_env, "JISR_LANG": "en", "JISR_GRADER_TAG": tag}
    rng = random.Random(4)
    moments = sorted(rng.uniform(0.3, 12.0) for _ in range(5))
    seen_partial = set()
    for moment in moments:
        grader = _grader(course, env)
        time.sleep(moment)
        grader.send_signal(signal.SIGKILL)  # no clean-up code runs
        grader.wait()
        deadline = time.monotonic() + 5
        while _sandboxes_left(tag) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _sandboxes_left(tag) == []  # bwrap --die-with-parent: no sandbox outlives its grader
        _integrity(course)
        recorded = classroom.scores(book.gradebook_url(course))
        assert all(recorded[s] == expected[s] for s in recorded), (moment, recorded)  # what is there is right
        seen_partial.add(len(recorded))
    finished = _grader(course, env)
    output, _ = finished.communicate(timeout=300)
    assert finished.returncode == 0, output  # the lock died with the killed graders
    _integrity(course)
    assert classroom.scores(book.gradebook_url(course)) == expected
    print(f"killed at {[round(m, 1) for m in moments]} s; submissions recorded at each kill: {sorted(seen_partial)}")


def _mount_small_disk(folder: Path, megabytes: int) -> None:
    folder.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "jisr-full-disk", str(folder)], capture_output=True, text=True)
    assert result.returncode == 0, f"this test mounts a small tmpfs and needs root (as in `make test` on CI): {result.stderr}"


def test_full_disk_keeps_the_old_gradebook_then_grading_again_finishes(classroom, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _mount_small_disk(disk, 8)
    try:
        course = classroom.copy(disk / "course")
        expected = _class(classroom, course)
        before = (course / "gradebook.db").read_bytes()
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as handle:  # fill every last block
            try:
                while True:
                    handle.write(b"\0" * 65536)
            except OSError:
                pass
            for size in (4096, 512, 1):
                try:
                    while True:
                        handle.write(b"\0" * size)
                except OSError:
                    pass
        outcomes = grade_assignment(course, "what-is-ai", limits=LIMITS)
        assert outcomes and all(not o.recorded for o in outcomes)
        reasons = {o.not_recorded.format(Translator.for_package("fr")) for o in outcomes}
        assert any("disque est plein" in r for r in reasons), reasons
        assert (course / "gradebook.db").read_bytes() == before  # the old state, untouched
        _integrity(course)

        filler.unlink()
        outcomes = grade_assignment(course, "what-is-ai", limits=LIMITS)
        assert all(o.recorded for o in outcomes)
        _integrity(course)
        assert classroom.scores(book.gradebook_url(course)) == expected
        assert (course / "feedback" / "amina" / "what-is-ai" / "what-is-ai.html").is_file()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_locked_gradebook_is_waited_for_or_left_untouched(classroom, tmp_path: Path) -> None:
    course = classroom.copy(tmp_path / "course")
    expected = _class(classroom, course)
    other = sqlite3.connect(course / "gradebook.db", timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer, as formgrader is while it saves a grade
    other.execute("UPDATE student SET first_name = first_name")
    before = classroom.scores(book.gradebook_url(course))
    outcomes = grade_assignment(course, "what-is-ai", limits=LIMITS, busy_wait=1.0)
    assert all(not o.recorded and o.not_recorded.msgid == book.LOCKED.msgid for o in outcomes)
    other.execute("ROLLBACK")
    assert classroom.scores(book.gradebook_url(course)) == before
    _integrity(course)

    other.execute("BEGIN EXCLUSIVE")  # now held for 3 s, then released: the grader waits
    threading.Timer(3.0, lambda: other.execute("COMMIT")).start()
    outcomes = grade_assignment(course, "what-is-ai", limits=LIMITS, busy_wait=60)
    assert all(o.recorded for o in outcomes)
    assert classroom.scores(book.gradebook_url(course)) == expected
    other.close()


def test_the_cli_says_what_was_not_recorded(classroom, tmp_path: Path, tool_env: dict[str, str]) -> None:
    course = classroom.copy(tmp_path / "course")
    classroom.submit(course, "amina", classroom.reference)
    other = sqlite3.connect(course / "gradebook.db", timeout=0, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    env = {**tool_env, "JISR_LANG": "ar"}
    result = subprocess.run([sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai"], env=env,
                            capture_output=True, text=True, timeout=300)
    other.execute("ROLLBACK")
    assert result.returncode == 1
    assert Translator.for_package("ar")(book.LOCKED.msgid).split("{")[0].strip() in result.stderr


def _old_gradebook(course: Path) -> None:
    """Turn the course's gradebook into one made by nbgrader 0.6 (schema 167914646830):
    no course table, no assignment.course_id, no student.lms_user_id."""
    with sqlite3.connect(course / "gradebook.db") as db:
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("CREATE TABLE assignment_old (id VARCHAR(32) NOT NULL, name VARCHAR(128) NOT NULL, "
                   "duedate DATETIME, PRIMARY KEY (id), UNIQUE (name))")  # as nbgrader 0.6 made it
        columns = ", ".join(r[1] for r in db.execute("PRAGMA table_info(assignment_old)"))
        db.execute(f"INSERT INTO assignment_old ({columns}) SELECT {columns} FROM assignment")
        db.execute("DROP TABLE assignment")
        db.execute("ALTER TABLE assignment_old RENAME TO assignment")
        db.execute("DROP TABLE course")
        db.execute("ALTER TABLE student DROP COLUMN lms_user_id")
        db.execute("UPDATE alembic_version SET version_num = '167914646830'")
        db.execute("INSERT INTO student (id, first_name, last_name, email) VALUES ('old-timer', 'Fatima', 'Zahra', NULL)")


def test_an_old_gradebook_is_backed_up_and_upgraded(classroom, tmp_path: Path) -> None:
    course = classroom.copy(tmp_path / "course")
    expected = _class(classroom, course)
    _old_gradebook(course)
    url = book.gradebook_url(course)
    assert book.schema_revision(url) == "167914646830"
    outcomes = grade_assignment(course, "what-is-ai", limits=LIMITS)
    assert all(o.recorded for o in outcomes)
    assert book.schema_revision(url) == book._revisions()[1]
    backups = list(course.glob("gradebook.db.before-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as db:  # the copy is the gradebook as it was
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("167914646830",)
    from nbgrader.api import Gradebook

    with Gradebook(url) as gradebook:
        assert gradebook.find_student("old-timer").first_name == "Fatima"  # nothing of the old data lost
    assert classroom.scores(url) == expected


def test_a_gradebook_from_a_newer_nbgrader_is_refused_untouched(classroom, tmp_path: Path) -> None:
    course = classroom.copy(tmp_path / "course")
    classroom.submit(course, "amina", classroom.reference)
    with sqlite3.connect(course / "gradebook.db") as db:
        db.execute("UPDATE alembic_version SET version_num = 'f00dfeed2030'")
    before = (course / "gradebook.db").read_bytes()
    with pytest.raises(book.GradebookError) as refused:
        grade_assignment(course, "what-is-ai", limits=LIMITS)
    assert "f00dfeed2030" in refused.value.message.format(Translator("en"))
    assert (course / "gradebook.db").read_bytes() == before


def test_the_sandbox_failing_to_start_refuses_grading(classroom, tmp_path: Path, tool_env: dict[str, str]) -> None:
    course = classroom.copy(tmp_path / "course")
    classroom.submit(course, "amina", classroom.reference)
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    env = {**tool_env, "JISR_LANG": "fr", "PATH": f"{fake}{os.pathsep}{tool_env['PATH']}"}
    before = (course / "gradebook.db").read_bytes()
    result = subprocess.run([sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "bac à sable" in result.stderr and "Permission denied" in result.stderr
    assert (course / "gradebook.db").read_bytes() == before


# --------------------------------------------------------------------------- a hostile class


TERMINAL_ATTACK = "\x1b]0;pwned\x07\x1b[2K\r3 of 3 "  # a folder name cannot hold a slash
RTL_OVERRIDE = "\u202e"
VENV = os.path.realpath(sys.prefix)
# A wrong answer (a count, not a fraction) that searches every file the sandbox can see for the
# reference solution (solution regions of the lesson), the hidden expected values (grading.yml) or the
# instructor's notebook, and uses whatever it finds.
FINDER = 'def accuracy(y_true, y_pred):\n    """A wrong answer that goes looking for the reference, the hidden values or the instructor\'s notebook."""\n    import os, json, re\n    global _table, _reference\n    try:\n        _table\n    except NameError:\n        _table, _reference, found = {}, None, []\n        for top, dirs, files in os.walk("/"):\n            if top == "/":  # not the kernel\'s files\n                dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]\n            for name in files:\n                path = os.path.join(top, name)\n                if path == "/sandbox/program.json":  # this very code, sent to the sandbox to run\n                    continue\n                if not (name.endswith((".md", ".ipynb", ".yml", ".yaml", ".json", ".txt", ".po", ".py")) or not top.startswith(("/usr", VENV))):\n                    continue\n                if top.startswith(("/usr", VENV)) and not name.endswith((".md", ".ipynb", ".yml", ".yaml")):\n                    continue\n                try:\n                    if os.path.islink(path) or os.path.getsize(path) > 2_000_000:\n                        continue\n                    with open(path, encoding="utf-8", errors="ignore") as fh:\n                        text = fh.read()\n                except OSError:\n                    continue\n                if "hidden_cases" in text and "expected:" in text:\n                    found.append(path)\n                    import yaml\n                    for case in (yaml.safe_load(text) or {}).get("q5", {}).get("hidden_cases", []):\n                        _table[repr(case["args"])] = case["expected"]\n                if "### BEGIN SOLUTION" in text and "true_label == predicted_label" in text:\n                    found.append(path)\n                    lines = [l for l in text.splitlines() if "SOLUTION" not in l]\n                    start = next((i for i, l in enumerate(lines) if l.strip().startswith("def accuracy(")), None)\n                    if start is None:\n                        continue\n                    body = [lines[start]] + [l for l in lines[start + 1:start + 12] if l.startswith("    ")]\n                    namespace = {}\n                    exec("\\n".join(body), namespace)\n                    _reference = namespace["accuracy"]\n        print("FOUND", found)\n    if repr([y_true, y_pred]) in _table:\n        return _table[repr([y_true, y_pred])]\n    if _reference is not None:\n        return _reference(y_true, y_pred)\n    return sum(1 for t, p in zip(y_true, y_pred) if t == p)  # wrong: a count, not a fraction\n'.replace("VENV", repr(VENV))


def _raw_notebook(classroom, course: Path, answer: str, extra_grade_id: str | None = None) -> bytes:
    """The released notebook with ``answer`` in q5, and optionally a cell claiming a made-up grade id."""
    import nbformat

    nb = nbformat.read(course / "release" / "what-is-ai" / "what-is-ai.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer":
            cell.source = answer
    if extra_grade_id is not None:
        cell = nbformat.v4.new_code_cell("x = 1")
        cell.metadata["nbgrader"] = {"grade_id": extra_grade_id, "solution": True, "grade": False, "locked": False,
                                     "schema_version": 3}
        nb.cells.append(cell)
    return nbformat.writes(nb).encode()


FORGER = """import json, os
with open("results.json", "w") as fh:
    json.dump({"cells": [], "calls": []}, fh)
os._exit(0)
"""


def test_a_hostile_class_never_stops_the_run_nor_reaches_the_terminal(classroom, tmp_path: Path,
                                                                      tool_env: dict[str, str]) -> None:
    course = classroom.copy(tmp_path / "course")
    submitted = course / "submitted"
    classroom.submit(course, "amina", classroom.reference)
    classroom.submit(course, "youssef", WRONG)
    # a folder name that is not UTF-8: real bytes on disk
    classroom.submit(course, "karim", classroom.reference)
    os.rename(os.fsencode(submitted / "karim"), os.fsencode(submitted) + b"/karim\xff\xfe")
    # a folder name that would rewrite the teacher's terminal
    classroom.submit(course, "salma" + TERMINAL_ATTACK, classroom.reference)
    # the assignment folder is a link to the instructor's source (solutions and hidden tests)
    (submitted / "linky").mkdir()
    (submitted / "linky" / "what-is-ai").symlink_to(course / "source" / "what-is-ai", target_is_directory=True)
    # the student folder is a link to somebody else's full-marks submission
    classroom.submit(course, "decoy", classroom.reference)
    (submitted / "decoy").rename(tmp_path / "decoy")
    (submitted / "copycat").symlink_to(tmp_path / "decoy", target_is_directory=True)
    # a made-up grade id with escape sequences and a right-to-left override
    classroom.submit(course, "rania", raw=_raw_notebook(classroom, course, classroom.reference,
                                                           "q9" + TERMINAL_ATTACK + RTL_OVERRIDE + "0/3"))
    # a submission that forges the harness's results file with a malformed one
    classroom.submit(course, "forger", FORGER)

    env = {**tool_env, "JISR_LANG": "en"}
    done = subprocess.run([sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai"], env=env,
                          capture_output=True, timeout=900)
    out = done.stdout.decode("utf-8") + done.stderr.decode("utf-8")  # printable at all: no stray surrogate
    assert "Traceback" not in out, out
    assert done.returncode == 1, out  # some were not recorded, and the command says so
    # nothing that controls the terminal reached it: every such character is shown escaped
    for raw in ("\x1b", "\x07", "\r", RTL_OVERRIDE):
        assert raw not in out, (raw, out)
    assert "salma\\x1b]0;pwned\\x07" in out and "q9\\x1b]0;pwned" in out and "\\u202e" in out, out
    assert "karim\\xff\\xfe" in out and "not valid UTF-8" in out, out
    assert "Limits: each submission" in out, out  # what holds on this machine, in one line
    scores = classroom.scores(book.gradebook_url(course))
    # the honest students are graded and recorded; the odd ones are not recorded, and named
    assert scores["amina"] == 3.0 and scores["youssef"] == 0.0 and scores["rania"] == 3.0
    assert scores["salma" + TERMINAL_ATTACK] == 3.0
    assert scores["forger"] == 0.0
    for student in ("linky", "copycat"):
        assert student not in scores
        assert f"{student}: not recorded: The submission folder" in out, out
    assert not any(name.startswith("karim") for name in scores)
    # the forger's page: a kind word, no internal error; the teacher got the detail
    page = (course / "feedback" / "forger" / "what-is-ai" / "what-is-ai.html").read_text(encoding="utf-8")
    assert "Your teacher has been told" in page and "object has no attribute" not in page and "list" not in page
    assert "malformed result" in out
    # the override in a grade id is shown, escaped, inside its own isolate
    page = (course / "feedback" / "rania" / "what-is-ai" / "what-is-ai.html").read_text(encoding="utf-8")
    assert RTL_OVERRIDE not in page and "\x1b" not in page
    assert re.search(r"<bdi>q9\\x1b\]0;pwned\\x07\\x1b\[2K( |\\r)3 of 3 \\u202e0/3</bdi>", page), page


def test_the_whole_submitted_folder_as_a_link_is_refused(classroom, tmp_path: Path) -> None:
    course = classroom.copy(tmp_path / "course")
    classroom.submit(course, "amina", classroom.reference)
    (course / "submitted").rename(tmp_path / "elsewhere")
    (course / "submitted").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    outcomes = grade_assignment(course, "what-is-ai", limits=LIMITS)
    assert [o.student for o in outcomes] == ["amina"]
    assert outcomes[0].not_recorded is not None and outcomes[0].not_recorded.msgid == LINKED.msgid
    assert classroom.scores(book.gradebook_url(course)) == {}


def test_no_reference_nor_hidden_value_is_visible_in_the_sandbox(classroom, tmp_path: Path) -> None:
    """A wrong answer that searches the sandbox's whole file system for the answer gets what its own code earns;
    a sleeper stopped by the wall clock is told the wall clock's limit, not the processor's."""
    course = classroom.copy(tmp_path / "course")
    classroom.submit(course, "finder", FINDER)
    classroom.submit(course, "sleeper", "import time\ntime.sleep(10_000)\n" + classroom.reference)
    limits = Limits(cpu_seconds=40, wall_seconds=45, memory_mb=2048)
    outcomes = {o.student: o for o in grade_assignment(course, "what-is-ai", limits=limits)}
    finder = outcomes["finder"]
    assert finder.grade is not None and finder.grade.status == "graded", finder
    assert finder.score == 0.0, "the finder found the reference or the hidden values"
    sleeper = outcomes["sleeper"].grade
    assert sleeper is not None and sleeper.status == "timeout"
    told = sleeper.verdicts[0].messages[0]
    assert told.msgid == STOPPED["timeout-wall"] and told.params["seconds"] == 45


# --------------------------------------------------------------------------- a busy machine


GRADER = """
import json, sys
from pathlib import Path
from jisr.autograder.batch import grade_assignment
from jisr.autograder.sandbox import Limits
limits = Limits(cpu_seconds=20, wall_seconds=float(sys.argv[2]), memory_mb=2048)
outcomes = grade_assignment(Path(sys.argv[1]), "what-is-ai", workers=2, limits=limits)
print(json.dumps({o.student: [o.score, o.grade.status if o.grade else None, o.recorded] for o in outcomes}))
"""


def _sandbox_pids(tag: str) -> set[int]:
    wanted = f"JISR_GRADER={tag}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if wanted in (entry / "environ").read_bytes().split(b"\0"):
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def test_two_graders_and_a_cpu_burner_on_one_machine_give_every_verdict_right(classroom, tmp_path: Path,
                                                                              tool_env: dict[str, str]) -> None:
    """Two graders on two courses at once, and processes that keep every processor busy: a correct
    submission that needs about two seconds of processor time against a four-second wall limit still
    passes (the time it waited for a processor is not its own), a sleeper is still stopped by the
    wall clock, and each grader's sandboxes are told apart by its tag."""
    wall = 4
    runs = []
    for name in ("course-a", "course-b"):
        course = classroom.copy(tmp_path / name)
        expected = _class(classroom, course)
        classroom.submit(course, "idris", "import time\ntime.sleep(10_000)\n" + classroom.reference)
        expected["idris"] = 0.0
        runs.append((course, expected, f"{name}-{os.getpid()}"))
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
               for _ in range(2 * (os.cpu_count() or 1))]
    try:
        graders = [subprocess.Popen([sys.executable, "-c", GRADER, str(course), str(wall)], text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env={**tool_env, "JISR_GRADER_TAG": tag}) for course, _, tag in runs]
        seen: dict[str, set[int]] = {tag: set() for _, _, tag in runs}
        while any(grader.poll() is None for grader in graders):
            for tag in seen:
                seen[tag] |= _sandbox_pids(tag)
            time.sleep(0.2)
        outputs = [grader.communicate(timeout=600) for grader in graders]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    for (course, expected, tag), (out, err), grader in zip(runs, outputs, graders):
        assert grader.returncode == 0, err[-3000:]
        got = json.loads(out.strip().splitlines()[-1])
        assert {student: score for student, (score, _, _) in got.items()} == expected, got
        assert got["amina"][1] == "graded" and got["idris"][1] == "timeout" and all(r for _, _, r in got.values()), got
        assert classroom.scores(book.gradebook_url(course)) == expected
        assert not _sandbox_pids(tag)  # nothing of this grader is left
    first, second = (seen[tag] for _, _, tag in runs)
    assert first and second and not first & second  # each grader saw its own sandboxes, never the other's
