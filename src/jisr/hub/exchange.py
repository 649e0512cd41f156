"""A term on the hub, for the teacher: release, collect, grade, return feedback.

One class has one nbgrader course and one gradebook, and an exchange
"channel" per language (course id ``<class>-<lang>``): each learner's
server fetches from and submits to their own language's channel, so an
Arabic-speaking learner gets the Arabic notebook and a French-speaking one
the French notebook of the same assignment: same exercises, same graded
cells, same points, so the grades compare. The teacher's commands gather
all channels into the one course:

``release``   ``nbgrader release_assignment`` of each language's copy, to its channel;
``collect``   ``nbgrader collect`` from every channel into the course's ``submitted/``,
              then the time of each submission is the hub's arrival stamp (:mod:`.stamp`),
              not the one written by the learner's session;
``grade``     the safe grader (the same as ``jisr grade``), then the feedback page of
              each learner in that learner's language;
``return``    ``nbgrader release_feedback`` to each learner's channel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .classlist import Person
from .config import load, people as load_people
from .setup import share_with_teachers
from .stamp import read_ledger

ARRIVALS = "hub-arrivals.json"  # in the course: student -> assignment -> {"claimed", "arrived"}


class HubCommandError(RuntimeError):
    """An nbgrader command failed; the message has the end of its log."""


def _nbgrader(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")}
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise HubCommandError(f"nbgrader {' '.join(args)}: " + (done.stdout + done.stderr)[-2000:])
    return done.stdout + done.stderr


def _class(settings: dict, course: str) -> tuple[dict, list[Person]]:
    members = [p for p in load_people(settings).values() if p.course == course]
    return settings["courses"][course], members


def release(settings_file: Path, course: str, assignment: str) -> list[str]:
    """Release ``assignment`` in every language of the class; return the channels."""
    settings = load(settings_file)
    info, _ = _class(settings, course)
    channels = []
    for language, root in sorted(info["releases"].items()):
        channel = f"{course}-{language}"
        _nbgrader(["release_assignment", assignment, f"--course={channel}", f"--Exchange.root={settings['exchange']}",
                   f"--CourseDirectory.root={root}", "--force"], Path(root))
        channels.append(channel)
    return channels


def collect(settings_file: Path, course: str, assignment: str) -> dict[str, dict]:
    """Collect every channel into the course; each submission's time becomes the hub's arrival stamp.

    Returns student -> {"claimed": the learner's time, "arrived": the hub's, "channel"}.
    """
    settings = load(settings_file)
    info, members = _class(settings, course)
    root = Path(info["dir"])
    for language in sorted(info["releases"]):
        _nbgrader(["collect", assignment, f"--course={course}-{language}", f"--Exchange.root={settings['exchange']}",
                   f"--CourseDirectory.root={root}", "--update"], root)
    ledger = read_ledger(Path(settings["folder"]) / "arrivals.jsonl")
    arrivals_path = root / ARRIVALS
    arrivals = json.loads(arrivals_path.read_text(encoding="utf-8")) if arrivals_path.exists() else {}
    found = {}
    for person in members:
        folder = root / "submitted" / person.username / assignment
        stamp_file = folder / "timestamp.txt"
        if not stamp_file.is_file():
            continue
        claimed = stamp_file.read_text(encoding="utf-8", errors="replace").strip()
        channel = f"{course}-{person.language}"
        entry = collected_entry(ledger, channel, person.username, assignment)
        if entry is None:
            record = {"claimed": claimed, "arrived": None, "channel": channel}  # the stamp service was not running
        else:
            if claimed != entry["arrived"]:
                stamp_file.write_text(entry["arrived"], encoding="utf-8")
            # the learner's own time, as in the inbound folder's name, is kept for the teacher
            record = {"claimed": entry["submission"].split("+")[2], "arrived": entry["arrived"], "channel": channel}
        arrivals.setdefault(person.username, {})[assignment] = record
        found[person.username] = record
    arrivals_path.write_text(json.dumps(arrivals, indent=1), encoding="utf-8")
    share_with_teachers(root)
    return found


def collected_entry(ledger: dict, channel: str, student: str, assignment: str) -> dict | None:
    """The ledger line of the submission ``nbgrader collect`` took: the latest by the time in its folder name."""
    from nbgrader.utils import parse_utc

    entries = [e for (c, name), e in ledger.items()
               if c == channel and name.split("+")[:2] == [student, assignment]]
    if not entries:
        return None
    return max(entries, key=lambda e: parse_utc(e["submission"].split("+")[2]))


def grade(settings_file: Path, course: str, assignment: str, *, workers: int = 2, progress=None):
    """Grade with the safe grader into the class's one gradebook; feedback in each learner's language."""
    from ..autograder.batch import grade_assignment
    from ..autograder.feedback import write_feedback
    from ..autograder.submission import OTHER_LANGUAGE
    from ..source import lesson_by_key
    import nbformat

    settings = load(settings_file)
    info, members = _class(settings, course)
    root = Path(info["dir"])
    language_of = {p.username: p.language for p in members}
    outcomes = grade_assignment(root, assignment, workers=workers, feedback=False, progress=progress)
    source = nbformat.read(root / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    lesson = lesson_by_key(source.metadata["jisr"]["lesson"])
    for outcome in outcomes:
        if not outcome.recorded:
            continue
        # the learner's channel (hub side, from the class list) says the language, not the notebook
        outcome.language = language_of.get(outcome.student, outcome.language)
        outcome.problems = [m for m in outcome.problems if m.msgid != OTHER_LANGUAGE.msgid]
        write_feedback(root, assignment, outcome, lesson)
    share_with_teachers(root)
    return outcomes


def return_feedback(settings_file: Path, course: str, assignment: str) -> list[str]:
    """Release each graded learner's feedback to their own channel; return who got it."""
    settings = load(settings_file)
    info, members = _class(settings, course)
    root = Path(info["dir"])
    returned = []
    for person in members:
        if not (root / "feedback" / person.username / assignment).is_dir():
            continue
        _nbgrader(["release_feedback", assignment, f"--course={course}-{person.language}", f"--student={person.username}",
                   f"--Exchange.root={settings['exchange']}", f"--CourseDirectory.root={root}"], root)
        returned.append(person.username)
    return returned
