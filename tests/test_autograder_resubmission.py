"""Attack 36: concurrent resubmission and forged timestamps.

A submission is read as one snapshot (its notebook and its timestamp.txt
together), a written time is kept only if it can be true, and two graders
never interleave on one course."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from jisr.autograder import gradebook as book
from jisr.autograder import intake
from jisr.autograder.batch import grade_assignment
from jisr.autograder.sandbox import Limits
from jisr.autograder.submission import SubmissionError
from jisr.i18n import Translator

LIMITS = Limits(cpu_seconds=20, wall_seconds=30, memory_mb=2048)
ARRIVED = dt.datetime(2026, 11, 20, 10, 0)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC")  # as nbgrader writes it


# --------------------------------------------------------------------------- which time is trusted


@pytest.mark.parametrize("claimed, kept", [
    ("2026-11-20 09:58:00.000000 UTC", dt.datetime(2026, 11, 20, 9, 58)),  # honest
    ("2026-11-20T10:58:00+01:00", dt.datetime(2026, 11, 20, 9, 58)),  # honest, another zone
    ("2026-11-20 10:04:00 UTC", dt.datetime(2026, 11, 20, 10, 4)),  # within the clock skew
])
def test_an_honest_time_is_kept(claimed: str, kept: dt.datetime) -> None:
    assert intake.submission_time(claimed, ARRIVED) == (kept, [])


@pytest.mark.parametrize("claimed, why", [
    ("2031-01-01 00:00:00 UTC", intake.TIME_TOO_LATE),  # claims to be from the future
    ("2026-11-20 11:00:00 UTC", intake.TIME_TOO_LATE),  # later than it reached the course
    ("yesterday, promise", intake.TIME_UNREADABLE),
    ("1970-01-01 00:00:00 UTC", intake.TIME_UNREADABLE),  # before any submission could exist
    ("2026-11-20 09:00:00 UTC" + " " * 200, intake.TIME_UNREADABLE),  # oversized
    ("2026-11-20 09:00:00 UTC'); DROP TABLE grade;--", intake.TIME_UNREADABLE),
    ("2026-13-45 99:99:99 UTC", intake.TIME_UNREADABLE),
    ("", intake.TIME_UNREADABLE),
])
def test_an_impossible_time_is_replaced_by_the_arrival(claimed: str, why) -> None:
    kept, problems = intake.submission_time(claimed, ARRIVED)
    assert kept == ARRIVED
    assert [p.msgid for p in problems] == [why.msgid]
    assert "DROP" not in problems[0].format(Translator("en"))  # the forged text is never echoed


@pytest.mark.parametrize("claimed", ["2001-09-09 01:46:40 UTC", "2026-10-31 23:00:00 UTC"])
def test_a_time_before_the_release_is_replaced_by_the_arrival(claimed: str) -> None:
    """A back-dated time: long ago, or just before the assignment existed."""
    kept, problems = intake.submission_time(claimed, ARRIVED, released=dt.datetime(2026, 11, 1, 8, 0))
    assert kept == ARRIVED
    assert [p.msgid for p in problems] == [intake.TIME_TOO_EARLY.msgid]
    assert "2026-11-01 08:00:00 UTC" in problems[0].format(Translator("en"))


def test_the_release_time_comes_from_the_release_folder(tmp_path: Path) -> None:
    release = tmp_path / "release" / "what-is-ai"
    release.mkdir(parents=True)
    os.utime(release, (1_700_000_000, 1_700_000_000))
    assert intake.released_time(tmp_path, "what-is-ai") == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert intake.released_time(tmp_path, "other") is None


def test_a_resubmission_cannot_claim_to_be_older_than_the_graded_one() -> None:
    previous = dt.datetime(2026, 11, 20, 9, 0)
    kept, problems = intake.submission_time(_stamp(dt.datetime(2026, 11, 19, 23, 59)), ARRIVED, previous)
    assert kept == ARRIVED and problems[0].msgid == intake.TIME_WENT_BACK.msgid
    assert "2026-11-20 09:00:00" in problems[0].format(Translator.for_package("fr"))


def test_a_missing_time_is_reported_not_invented() -> None:
    kept, problems = intake.submission_time(None, ARRIVED)
    assert kept is None and problems[0].msgid == intake.TIME_MISSING.msgid


# --------------------------------------------------------------------------- one consistent snapshot


def _write_version(folder: Path, body: bytes, stamp: str) -> None:
    """Replace ``folder`` as nbgrader's collect does: remove it, then copy file by file."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "a.ipynb").write_bytes(body)
    (folder / "timestamp.txt").write_text(stamp)


def test_a_link_as_timestamp_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    _write_version(folder, b"{}", "x")
    (folder / "timestamp.txt").unlink()
    (folder / "timestamp.txt").symlink_to("/etc/hostname")
    time.sleep(0.1)
    taken = intake.snapshot(folder, "a.ipynb", settle=0.05)
    assert taken.claimed == ""


def test_a_snapshot_never_pairs_one_version_with_the_other_versions_time(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    versions = {b'{"v": 1}' + b" " * 300_000: "2026-11-20 09:00:00 UTC", b'{"v": 2}' + b" " * 200_000: "2026-11-20 09:30:00 UTC"}
    _write_version(folder, *next(iter(versions.items())))
    stop = threading.Event()

    def resubmit() -> None:
        while not stop.is_set():
            for body, stamp in versions.items():
                _write_version(folder, body, stamp)
                time.sleep(0.01)

    writer = threading.Thread(target=resubmit)
    writer.start()
    taken, refused = [], 0
    try:
        for _ in range(40):
            try:
                taken.append(intake.snapshot(folder, "a.ipynb", attempts=2, settle=0.002))
            except SubmissionError as err:
                refused += 1
                assert err.message.msgid in (intake.CHANGING.msgid, "{name} is not a file.")
    finally:
        stop.set()
        writer.join()
    for snap in taken:
        assert versions[snap.data] == snap.claimed  # the notebook and its own time, never mixed
    assert refused > 0 or len({snap.claimed for snap in taken}) == 2  # the writer really raced the reader
    print(f"snapshots: {len(taken)} consistent, {refused} refused while changing")


def test_a_folder_that_never_holds_still_is_not_graded_now(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    _write_version(folder, b"{}", "t")
    with pytest.raises(SubmissionError) as refused:
        intake.snapshot(folder, "a.ipynb", attempts=1, settle=5.0)  # it changed less than 5 s ago
    assert refused.value.message.msgid == intake.CHANGING.msgid


# --------------------------------------------------------------------------- with the real grader


@pytest.mark.slow
def test_forged_times_are_not_recorded(classroom, tmp_path: Path) -> None:
    course = classroom.copy(tmp_path / "course")
    honest = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=3)
    classroom.submit(course, "amina", classroom.reference, timestamp=_stamp(honest))
    classroom.submit(course, "future", classroom.reference, timestamp="2099-01-01 00:00:00 UTC")
    classroom.submit(course, "garbage", classroom.reference, timestamp="\x00\x01" * 40)
    classroom.submit(course, "backdated", classroom.reference, timestamp="2001-09-09 01:46:40 UTC")
    started = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    outcomes = {o.student: o for o in grade_assignment(course, "what-is-ai", limits=LIMITS)}
    url = book.gradebook_url(course)
    times = classroom.times(url)
    assert abs((times["amina"] - honest).total_seconds()) < 0.01
    for forger in ("future", "garbage", "backdated"):
        assert started - dt.timedelta(minutes=1) <= times[forger] <= dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        assert outcomes[forger].problems and outcomes[forger].problems[0].msgid in (
            intake.TIME_TOO_LATE.msgid, intake.TIME_UNREADABLE.msgid, intake.TIME_TOO_EARLY.msgid)
    assert outcomes["backdated"].problems[0].msgid == intake.TIME_TOO_EARLY.msgid
    page = (course / "feedback" / "backdated" / "what-is-ai" / "what-is-ai.html").read_text(encoding="utf-8")
    assert "before the assignment was released" in page  # the student is told, and the teacher (problems)
    assert classroom.scores(url) == {"amina": 3.0, "future": 3.0, "garbage": 3.0, "backdated": 3.0}  # the work itself is graded

    # a late resubmission that claims the old time is caught: it cannot be older than what was graded
    classroom.submit(course, "amina", classroom.reference + "\n# improved\n", timestamp=_stamp(honest - dt.timedelta(hours=2)))
    outcomes = {o.student: o for o in grade_assignment(course, "what-is-ai", limits=LIMITS)}
    assert outcomes["amina"].problems[0].msgid == intake.TIME_WENT_BACK.msgid
    assert classroom.times(url)["amina"] > honest
    page = (course / "feedback" / "amina" / "what-is-ai" / "what-is-ai.html").read_text(encoding="utf-8")
    assert "older than the submission already graded" in page  # the student is told, too


@pytest.mark.slow
def test_resubmitting_during_grading_records_a_consistent_pair(classroom, tmp_path: Path) -> None:
    course = classroom.copy(tmp_path / "course")
    early = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=4)
    late = early + dt.timedelta(minutes=2)
    for student in ("salma", "youssef"):
        classroom.submit(course, student)
    classroom.submit(course, "amina", timestamp=_stamp(early))  # blank first
    stop = threading.Event()
    flips = 0

    def resubmit() -> None:  # amina keeps resubmitting: reference at `late`, blank at `early`
        nonlocal flips
        while not stop.is_set():
            classroom.submit(course, "amina", classroom.reference, timestamp=_stamp(late))
            time.sleep(0.8)
            classroom.submit(course, "amina", timestamp=_stamp(early))
            time.sleep(0.8)
            flips += 1

    writer = threading.Thread(target=resubmit)
    writer.start()
    try:
        outcomes = {o.student: o for o in grade_assignment(course, "what-is-ai", limits=LIMITS)}
    finally:
        stop.set()
        writer.join()
    assert flips > 0
    url = book.gradebook_url(course)
    scores, times = classroom.scores(url), classroom.times(url)
    assert scores["salma"] == scores["youssef"] == 0.0
    if outcomes["amina"].recorded:
        assert (scores["amina"], times["amina"]) in {(3.0, late), (0.0, early)}  # never one version's grade with the other's time
    else:
        assert outcomes["amina"].not_recorded.msgid == intake.CHANGING.msgid and "amina" not in scores

    classroom.submit(course, "amina", classroom.reference, timestamp=_stamp(late))  # it settles: grading again finishes
    grade_assignment(course, "what-is-ai", limits=LIMITS)
    assert classroom.scores(url)["amina"] == 3.0 and classroom.times(url)["amina"] == late


@pytest.mark.slow
def test_two_graders_on_one_course_never_interleave(classroom, tmp_path: Path, tool_env: dict[str, str]) -> None:
    course = classroom.copy(tmp_path / "course")
    for student in ("amina", "omar", "hiba"):
        classroom.submit(course, student, classroom.reference)
    env = {**tool_env, "JISR_LANG": "fr"}
    command = [sys.executable, "-m", "jisr.cli", "grade", str(course), "what-is-ai"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (course / book.LOCK_FILE).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert second.returncode == 1
    assert Translator.for_package("fr")(book.BUSY_COURSE.msgid) in second.stderr
    assert classroom.scores(book.gradebook_url(course)) == {"amina": 3.0, "omar": 3.0, "hiba": 3.0}
    assert os.path.exists(course / "feedback" / "hiba" / "what-is-ai" / "what-is-ai.html")
