"""The teacher's side, as written: the README's steps on a fresh folder with nothing on PATH,
a course folder that works wherever it is copied, a gradebook left without a schema version,
one student at a time, a class summary and a CSV for the institute (finding 11 and teacher comfort)."""

from __future__ import annotations

import csv
import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from jisr.autograder import sandbox
from jisr.autograder.gradebook import GradebookError, _revisions, prepare, schema_revision
from jisr.source import lesson_by_key

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
BARE_PATH = "/usr/bin:/bin"  # no virtualenv on PATH, as on a teacher's fresh shell


def readme_steps() -> list[str]:
    """The commands of the README's teachers' block, comments dropped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## For teachers", 1)[1]
    block = section.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def run_steps(folder: Path, steps: list[str]) -> subprocess.CompletedProcess[str]:
    env = {"PATH": BARE_PATH, "HOME": os.environ.get("HOME", str(folder)), "JISR_BUILD": str(folder / "_build"),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "LANG": "C.UTF-8"}
    return subprocess.run(["bash", "-e", "-c", "\n".join(steps)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=1800)


# the users' items of lesson 1 (choice and number), answered right by a student who gives an answer
USERS_ANSWERS = {f"answer-{qid}": spec["solution"]["code"] for qid, spec in lesson_by_key("fundamentals/what-is-ai").exercises.items()
                 if spec.get("kind") in ("choice", "number")}
TOTAL = sum(float(spec.get("points", 1)) for spec in lesson_by_key("fundamentals/what-is-ai").exercises.values() if spec.get("graded"))


def submit(course: Path, student: str, answer: str | None) -> None:
    target = course / "submitted" / student / "what-is-ai"
    shutil.copytree(course / "release" / "what-is-ai", target)
    path = target / "what-is-ai.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer" and answer is not None:
            cell.source = answer
        for tag in cell.metadata.get("tags", []):
            if tag in USERS_ANSWERS and answer is not None:
                cell.source = USERS_ANSWERS[tag]
    nbformat.write(nb, path)
    now = datetime.datetime.now(datetime.timezone.utc)
    (target / "timestamp.txt").write_text(now.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))


@pytest.fixture(scope="module", autouse=True)
def needs_sandbox() -> None:
    assert sandbox.available(), sandbox.unavailable_reason()


@pytest.fixture(scope="module")
def teacher(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder with the project's virtualenv where a clone has it, and the README's steps run once."""
    folder = tmp_path_factory.mktemp("clone")
    (folder / ".venv").symlink_to(VENV)
    done = run_steps(folder, readme_steps())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return folder


def test_the_readme_steps_work_as_written(teacher: Path) -> None:
    """Finding 11: ``nbgrader generate_assignment`` died on 'alembic' unless the venv was on PATH."""
    course = teacher / "_build" / "nbgrader" / "fr"
    assert (course / "release" / "what-is-ai" / "what-is-ai.ipynb").is_file()
    _, head = _revisions()
    assert schema_revision(f"sqlite:///{course / 'gradebook.db'}") == head
    source = nbformat.read(course / "source" / "what-is-ai" / "what-is-ai.ipynb", as_version=4)
    reference = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer")
    submit(course, "amina", reference)
    submit(course, "youssef", None)
    done = run_steps(teacher, readme_steps())  # the same steps again, now with a class: idempotent
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"amina: {TOTAL:g} / {TOTAL:g}" in done.stdout and f"youssef: 0 / {TOTAL:g}" in done.stdout
    with (course / "grades.csv").open(encoding="utf-8-sig") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    assert rows["amina"]["score"] == f"{TOTAL:g}" and rows["youssef"]["score"] == "0" and rows["amina"]["max_score"] == f"{TOTAL:g}"
    # finding 10 on a Jisr lesson: nbgrader's own API (the formgrader's) sees both as autograded, with their scores
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    api = NbGraderAPI(CourseDirectory(root=str(course)))
    listed = {row["student"]: row for row in api.get_submissions("what-is-ai")}
    assert listed["amina"]["autograded"] and listed["amina"]["score"] == TOTAL
    assert listed["youssef"]["autograded"] and listed["youssef"]["score"] == 0.0
    assert not listed["amina"]["needs_manual_grade"]
    page = nbformat.read(course / "autograded" / "amina" / "what-is-ai" / "what-is-ai.ipynb", as_version=4)
    tests = [c for c in page.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-tests"]
    assert tests and "Tous les tests" in "".join(o.get("text", "") for o in tests[0].outputs)


def test_the_course_folder_works_wherever_it_is_copied(teacher: Path, tmp_path: Path, tool_env: dict[str, str]) -> None:
    course = teacher / "_build" / "nbgrader" / "fr"
    config = (course / "nbgrader_config.py").read_text(encoding="utf-8")
    assert str(teacher) not in config and "CourseDirectory.root" not in config
    copy = Path(shutil.copytree(course, tmp_path / "elsewhere" / "fr"))
    before = (course / "gradebook.db").read_bytes()
    done = subprocess.run([str(VENV / "bin" / "nbgrader"), "db", "student", "add", "karim"], cwd=copy,
                          env={**tool_env, "PATH": BARE_PATH}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{copy / 'gradebook.db'}") as gradebook:
        assert "karim" in {s.id for s in gradebook.students}
    assert (course / "gradebook.db").read_bytes() == before  # the original course was not touched


def test_one_student_a_summary_and_a_csv(teacher: Path, tmp_path: Path) -> None:
    course = Path(shutil.copytree(teacher / "_build" / "nbgrader" / "fr", tmp_path / "fr"))
    source = nbformat.read(course / "source" / "what-is-ai" / "what-is-ai.ipynb", as_version=4)
    reference = next(c.source for c in source.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q5-answer")
    shutil.rmtree(course / "submitted" / "amina", ignore_errors=True)
    submit(course, "amina", reference)
    submit(course, "=HYPERLINK(\"x\")", None)  # a folder name a spreadsheet would run
    env = {"PATH": BARE_PATH, "JISR_LANG": "fr", "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8"}
    jisr = str(VENV / "bin" / "jisr")
    done = subprocess.run([jisr, "grade", str(course), "what-is-ai", "--student", "amina"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"1/1 +amina", done.stdout) and "youssef" not in done.stdout
    done = subprocess.run([jisr, "grade", str(course), "what-is-ai", "--export", str(tmp_path / "notes.csv")], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search("Bilan\u00a0: 1 sur [23] ont réussi", done.stdout) and "amina" in done.stdout.split("Bilan")[1]
    with (tmp_path / "notes.csv").open(encoding="utf-8-sig") as fh:
        ids = [row["student_id"] for row in csv.DictReader(fh)]
    assert "'=HYPERLINK(\"x\")" in ids and "=HYPERLINK(\"x\")" not in ids
    done = subprocess.run([jisr, "export", str(course), str(tmp_path / "all.csv")], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    with (tmp_path / "all.csv").open(encoding="utf-8-sig", newline="") as fh:
        every = list(csv.DictReader(fh))
    per_assignment = {name: sum(row["assignment"] == name for row in every) for name in {row["assignment"] for row in every}}
    assert per_assignment["what-is-ai"] in (2, 3)  # every student of the course, for each of its lessons
    assert len(set(per_assignment.values())) == 1 and len(per_assignment) >= 2
    # Moodle's grade import: a student per row, mapped by Username, the score in percent, no byte-order mark
    done = subprocess.run([jisr, "export", str(course), str(tmp_path / "moodle.csv"), "--format", "moodle"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    raw = (tmp_path / "moodle.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with (tmp_path / "moodle.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        moodle = {row["Username"]: row for row in reader}
    assert reader.fieldnames[:4] == ["Username", "Email address", "First name", "Surname"]
    assert moodle["amina"]["Jisr: what-is-ai (%)"] == "100.00"
    assert "=HYPERLINK(\"x\")" not in moodle  # neutralised, as in the records layout
    assert moodle["'=HYPERLINK(\"x\")"]["Jisr: what-is-ai (%)"] == "0.00"  # a blank submission: zero, a grade
    done = subprocess.run([jisr, "grade", str(course), "what-is-ai", "--student", "nobody"], env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "nobody" in done.stderr


def test_a_gradebook_left_without_a_schema_version_is_repaired_or_refused(tmp_path: Path) -> None:
    """Finding 11: nbgrader made the tables, could not run ``alembic``, and later runs took the unversioned file."""
    database = tmp_path / "gradebook.db"
    made = subprocess.run([sys.executable, "-c", f"from nbgrader.api import Gradebook; Gradebook('sqlite:///{database}')"],
                          env={"PATH": BARE_PATH, "HOME": str(tmp_path)}, capture_output=True, text=True)
    assert made.returncode != 0 and "alembic" in made.stderr  # nbgrader's own failure, reproduced
    url = f"sqlite:///{database}"
    assert schema_revision(url) is None
    prepare(url)
    assert schema_revision(url) == _revisions()[1]
    import sqlite3

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE assignment (id TEXT, name TEXT)")
    with pytest.raises(GradebookError):
        prepare(f"sqlite:///{foreign}")
    assert schema_revision(f"sqlite:///{foreign}") is None
