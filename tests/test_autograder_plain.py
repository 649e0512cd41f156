"""A plain nbgrader course (made with nbgrader's own tools, no Jisr metadata) graded safely.

The course has answer cells, visible test cells, hidden tests, a test cell
that gives partial credit (it shows a number) and a free-text answer graded by
hand. Honest students get what ``nbgrader autograde`` gives them; students who
exit early, print a fake report, rebind ``AssertionError``, forge the
supervisor's report or look for the hidden tests get nothing from it.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jisr.autograder import plain_sample, sandbox
from jisr.autograder.batch import grade_assignment
from jisr.autograder.gradebook import gradebook_url
from jisr.autograder.plain_sample import ASSIGNMENT, submit

pytestmark = pytest.mark.slow
JISR = str(Path(sys.executable).parent / "jisr")

RIGHT = {"square": "def square(x):\n    return x * x", "mean": "def mean(xs):\n    return sum(xs) / len(xs)",
         "explain": "The mean adds every value, so one large value pulls it up."}
VISIBLE_ONLY = {"square": "def square(x):\n    return 9", "mean": "def mean(xs):\n    return 2"}
HONEST = {"right": RIGHT, "visible_only": VISIBLE_ONLY, "blank": {}}
EXPECTED = {"right": 4.0, "visible_only": 1.0, "blank": 0.0}

WRONG = "def square(x):\n    return 0\n"
CHEATS = {
    "exits": "import os\nos._exit(0)\n",
    "sys_exit": "import sys\nsys.exit(0)\n" + RIGHT["square"],
    "fake_report": "print('{\"outcomes\": []}')\nprint('test_square: passed 2/2, test_mean: passed 2/2')\n" + WRONG,
    "assertion_error": "import builtins\nclass Quiet(Exception):\n    pass\nbuiltins.AssertionError = Quiet\nAssertionError = None\n" + WRONG,
    # what fools nbgrader's own kernel: an AST transformer that deletes every assert of later cells
    "assert_stripper": ("from IPython import get_ipython\nimport ast\n"
                        "class NoAsserts(ast.NodeTransformer):\n"
                        "    def visit_Assert(self, node):\n        return ast.Pass()\n"
                        "get_ipython().ast_transformers.append(NoAsserts())\n" + WRONG),
    # a trace function, installed in the answer cell, that skips every line of later cells
    "line_skipper": ("import sys\n"
                     "def skip(frame, event, arg):\n"
                     "    if event == 'line' and frame.f_code.co_filename in ('<cell>', '<string>'):\n"
                     "        try:\n"
                     "            frame.f_lineno = frame.f_lineno + 1\n"
                     "        except Exception:\n"
                     "            pass\n"
                     "    return skip\n"
                     "sys.settrace(skip)\n" + WRONG),
    # a test that never ends: stopped by processor time (the course's c.Execute.timeout), the rest runs on
    "looper": "def square(x):\n    while True:\n        pass\n",
    # write a report with made-up receipts everywhere it could reach, then leave
    "forged_receipts": (
        "import glob, json, os\n"
        "fake = (json.dumps({'outcomes': [{'receipt': '0' * 32, 'status': 'ok'}] * 8}) + '\\n').encode()\n"
        "for path in glob.glob('/proc/*/fd/*'):\n"
        "    try:\n"
        "        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)\n"
        "        os.write(fd, fake)\n"
        "        os.close(fd)\n"
        "    except OSError:\n"
        "        pass\n"
        "print(fake.decode())\n" + WRONG),
    # look for the hidden tests everywhere a process of the sandbox can read
    "hidden_hunter": (
        "import glob, os\n"
        "FOUND, NEEDLE = [], b'square(' + b'-4)'\n"
        "for path in ['program.json', 'harness.py'] + glob.glob('/proc/*/cmdline') + glob.glob('/proc/*/environ') + glob.glob('/proc/*/fd/*'):\n"
        "    try:\n"
        "        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)\n"
        "        if NEEDLE in os.read(fd, 2_000_000):\n"
        "            FOUND.append(path)\n"
        "        os.close(fd)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('FOUND' if FOUND else 'NOTHING', FOUND)\n"
        "def square(x):\n    return 16 if FOUND else 0\n"),
}


@pytest.fixture(scope="module", autouse=True)
def needs_sandbox() -> None:
    assert sandbox.available(), sandbox.unavailable_reason()


def make_course(root: Path, env: dict[str, str]) -> Path:
    """The plain course, whose locked set-up cell reads a course file, each cell limited to 5 seconds."""
    return plain_sample.make_course(root, env, "plain101", setup="import math\nDATA = open('numbers.txt').read().split()",
                                    config="c.Execute.timeout = 5\n", files={"numbers.txt": "1 2 3\n"})


def scores(course: Path) -> dict[str, dict[str, float | None]]:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gradebook:
        return {s.student.id: {g.name: g.auto_score for n in s.notebooks for g in n.grades}
                for s in gradebook.assignment_submissions(ASSIGNMENT)}


def total(rows: dict[str, float | None]) -> float:
    return sum(v or 0.0 for v in rows.values())


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory, tool_env: dict[str, str]) -> Path:
    root = make_course(tmp_path_factory.mktemp("plain") / "course", tool_env)
    for student, answers in HONEST.items():
        submit(root, student, answers)
    for student, code in CHEATS.items():
        submit(root, student, {"square": code, "mean": RIGHT["mean"]})
    return root


@pytest.fixture(scope="module")
def graded(course: Path, tool_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``jisr grade`` as a teacher types it, on the plain course (finding 8: it died with KeyError: 'jisr')."""
    return subprocess.run([JISR, "grade", str(course), ASSIGNMENT], env=tool_env, capture_output=True, text=True, timeout=900)


def test_jisr_grade_grades_a_plain_course(graded: subprocess.CompletedProcess[str], course: Path) -> None:
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    assert "Traceback" not in graded.stderr and "KeyError" not in graded.stderr
    found = scores(course)
    for student, expected in EXPECTED.items():
        assert total(found[student]) == expected, (student, found[student])
    # hidden tests count; the partial-credit cell gives its number
    assert found["visible_only"] == {"test_square": 0.0, "test_mean": 1.0, "explain": 0.0}
    # the free-text answer is left to the teacher, as nbgrader leaves it
    assert found["right"]["explain"] is None


@pytest.mark.parametrize("student", list(CHEATS))
def test_tricks_earn_nothing(graded: subprocess.CompletedProcess[str], course: Path, student: str) -> None:
    assert graded.returncode == 0
    rows = scores(course)[student]
    assert rows["test_square"] == 0.0, (student, rows)
    assert rows["test_mean"] in (0.0, 2.0)  # an honest mean, run or not after the trick
    if student in ("exits",):
        assert rows["test_mean"] == 0.0  # nothing after a process that left has a result
    if student == "looper":
        assert rows["test_mean"] == 2.0  # the endless cell was interrupted, the notebook went on


def test_hidden_tests_cannot_be_read_before_they_run(graded: subprocess.CompletedProcess[str], course: Path) -> None:
    nb = nbformat.read(course / "autograded" / "hidden_hunter" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "NOTHING" in printed and "FOUND" not in printed


def test_the_autograded_notebook_is_what_the_formgrader_needs(graded: subprocess.CompletedProcess[str], course: Path) -> None:
    """Finding 10: outputs, nbgrader metadata, no hidden tests; nbgrader's rule reads Jisr's points."""
    from nbgrader.utils import determine_grade, is_grade

    for student in HONEST:
        path = course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        nb = nbformat.read(path, as_version=4)
        text = nbformat.writes(nb)
        assert "HIDDEN TESTS" not in text and "square(-4)" not in text
        by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
        if student == "right":
            assert by_id["explain"].source == RIGHT["explain"]
        for grade_id in ("test_square", "test_mean"):
            cell = by_id[grade_id]
            assert is_grade(cell)
            points, _ = determine_grade(cell)
            assert points == scores(course)[student][grade_id], (student, grade_id)
    failing = nbformat.read(course / "autograded" / "visible_only" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    errors = [o for c in failing.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "AssertionError"


def test_gradebook_rows_are_as_nbgrader_writes_them(graded: subprocess.CompletedProcess[str], course: Path) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(gradebook_url(course)) as gradebook:
        right = gradebook.find_submission(ASSIGNMENT, "right")
        assert right.score == 4.0 and right.max_score == 5.0
        flagged = {g.name for n in right.notebooks for g in n.grades if g.needs_manual_grade}
        assert flagged == {"explain"}  # only the free-text answer waits for the teacher
        blank = gradebook.find_submission(ASSIGNMENT, "blank")
        comments = {c.name: c.auto_comment for n in blank.notebooks for c in n.comments}
        assert comments["square"] == "No response."


def test_honest_students_get_what_nbgrader_autograde_gives(graded: subprocess.CompletedProcess[str], course: Path,
                                                          tmp_path: Path, tool_env: dict[str, str]) -> None:
    """A drop-in replacement: the same class, stock ``nbgrader autograde`` (its own kernel), same points."""
    stock = make_course(tmp_path / "stock", tool_env)
    for student, answers in HONEST.items():
        submit(stock, student, answers)
    done = subprocess.run(["nbgrader", "autograde", ASSIGNMENT], cwd=stock, env=tool_env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    theirs, ours = scores(stock), scores(course)
    for student in HONEST:
        assert {k: v for k, v in theirs[student].items() if k != "explain"} == \
               {k: v for k, v in ours[student].items() if k != "explain"}, student


def test_one_student_only(course: Path, tmp_path: Path, tool_env: dict[str, str]) -> None:
    copy = shutil.copytree(course, tmp_path / "one")
    for path in (copy / "gradebook.db", copy / "autograded"):
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    subprocess.run(["nbgrader", "db", "assignment", "add", ASSIGNMENT], cwd=copy, env=tool_env, capture_output=True, check=True)
    subprocess.run(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], cwd=copy, env=tool_env, capture_output=True, check=True)
    outcomes = grade_assignment(copy, ASSIGNMENT, student="visible_only")
    assert [o.student for o in outcomes] == ["visible_only"] and outcomes[0].score == 1.0
    assert set(scores(copy)) == {"visible_only"}
    assert sorted(p.name for p in (copy / "autograded").iterdir()) == ["visible_only"]


# --------------------------------------------------------------------------- nbgrader's formgrader (finding 10)

SAFE_CONFIG = ("\nfrom jisr.autograder.nbgrader_plugin import SAFE_AUTOGRADE\n"
               "c.Autograde.autograde_preprocessors = SAFE_AUTOGRADE\n")


class Formgrader:
    """A real ``jupyter server`` with nbgrader's formgrader, on the loopback, for one course."""

    def __init__(self, course: Path, env: dict[str, str]) -> None:
        import secrets
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.token = secrets.token_hex(16)
        self.log = (course.parent / "server.log").open("w")
        self.process = subprocess.Popen(
            ["jupyter", "server", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={course}",
             '--ServerApp.jpserver_extensions={"nbgrader.server_extensions.formgrader": True}',
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=course, env={**env, "JUPYTER_CONFIG_DIR": str(course.parent / "jupyter-config")},
            stdout=self.log, stderr=subprocess.STDOUT)
        import time

        for _ in range(600):
            try:
                self.get("/formgrader/api/status")
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.2)
        raise AssertionError("the formgrader did not start: " + (course.parent / "server.log").read_text()[-2000:])

    def request(self, method: str, path: str, body: dict | None = None):
        import json
        import urllib.request

        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=600) as response:
            text = response.read().decode()
        return json.loads(text) if response.headers.get_content_type() == "application/json" or text[:1] in "[{" else text

    def get(self, path: str):
        return self.request("GET", path)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def formgrader(graded: subprocess.CompletedProcess[str], course: Path, tmp_path_factory: pytest.TempPathFactory,
               tool_env: dict[str, str]):
    copy = Path(shutil.copytree(course, tmp_path_factory.mktemp("formgrader") / "course", symlinks=True))
    with (copy / "nbgrader_config.py").open("a") as fh:
        fh.write(SAFE_CONFIG)
    server = Formgrader(copy, tool_env)
    yield server
    server.stop()


def test_the_formgrader_shows_what_jisr_graded(formgrader: Formgrader) -> None:
    rows = {row["student"]: row for row in formgrader.get(f"/formgrader/api/submissions/{ASSIGNMENT}")}
    for student in [*HONEST, *CHEATS]:
        assert rows[student]["autograded"], (student, rows[student])
    assert rows["right"]["score"] == 4.0 and rows["right"]["max_score"] == 5.0
    assert rows["visible_only"]["score"] == 1.0 and rows["exits"]["score"] == 0.0
    assert rows["right"]["needs_manual_grade"]  # the free-text answer, and only because of it
    notebooks = {n["student"]: n for n in formgrader.get(f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")}
    page = formgrader.get(f"/formgrader/submissions/{notebooks['visible_only']['id']}/")
    text = html.unescape(re.sub(r"<[^>]+>", "", page))  # the code is syntax-highlighted
    assert "return 9" in text and "AssertionError" in text and "square(-4)" not in text


def test_manual_grading_works_on_top_and_the_button_cannot_undo_it(formgrader: Formgrader) -> None:
    notebooks = {n["student"]: n for n in formgrader.get(f"/formgrader/api/submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")}
    right = notebooks["right"]["id"]
    grades = {g["name"]: g for g in formgrader.get(f"/formgrader/api/grades?submission_id={right}")}
    formgrader.request("PUT", f"/formgrader/api/grade/{grades['explain']['id']}", {"manual_score": 1})
    comments = {c["name"]: c for c in formgrader.get(f"/formgrader/api/comments?submission_id={right}")}
    formgrader.request("PUT", f"/formgrader/api/comment/{comments['explain']['id']}", {"manual_comment": "Très clair."})
    before = {row["student"]: row["score"] for row in formgrader.get(f"/formgrader/api/submissions/{ASSIGNMENT}")}
    # the "Autograde" button, on an honest student and on one who left early
    for student in ("right", "exits", "fake_report"):
        result = formgrader.request("POST", f"/formgrader/api/submission/{ASSIGNMENT}/{student}/autograde")
        assert result["success"], result
    rows = {row["student"]: row for row in formgrader.get(f"/formgrader/api/submissions/{ASSIGNMENT}")}
    # the teacher's point stays (nbgrader flags a hand-graded cell for a second look after any autograde)
    assert rows["right"]["score"] == 5.0
    assert rows["exits"]["score"] == before["exits"] == 0.0
    assert rows["fake_report"]["score"] == before["fake_report"] == 2.0  # an honest mean, a wrong square
    comments = {c["name"]: c for c in formgrader.get(f"/formgrader/api/comments?submission_id={right}")}
    assert comments["explain"]["manual_comment"] == "Très clair."
