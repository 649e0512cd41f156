"""Grade every submission of an assignment in an nbgrader course, in parallel.

Each submission runs in its own sandbox; verdicts are decided in this trusted
process and written to nbgrader's gradebook, so the teacher's usual tools
(formgrader, ``nbgrader export``, feedback) see them. One broken or hostile
submission never stops the others: it gets zero and a reason.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..i18n import Message, N_
from ..source import lesson_by_key
from .grade import Grade, grade_program
from .sandbox import Limits
from .submission import SubmissionError, build_program, read_submission


@dataclass
class Outcome:
    """What happened to one student's submission."""

    student: str
    grade: Grade | None = None
    error: Message | None = None
    problems: list[Message] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.grade.score if self.grade else 0.0


def submissions(course: Path, assignment: str) -> list[tuple[str, Path]]:
    """(student, notebook path) for every submitted copy of ``assignment``."""
    found = []
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        found.append((folder.parent.name, folder / f"{assignment}.ipynb"))
    return found


def grade_one(source: nbformat.NotebookNode, path: Path, limits: Limits) -> Outcome:
    student = path.parent.parent.name
    try:
        program = build_program(source, read_submission(path))
    except SubmissionError as err:
        return Outcome(student, error=err.message)
    lesson = lesson_by_key(program.lesson)
    grade = grade_program(program, lesson, limits)
    return Outcome(student, grade=grade, problems=list(program.problems))


def record(course: Path, assignment: str, outcome: Outcome, max_scores: dict[str, float]) -> None:
    """Write one student's verdicts to the gradebook in a single transaction.

    The student, the submission with its notebooks, grades and comments (the
    structure nbgrader's ``add_submission`` builds) and the scores are added
    together and committed once: a crash or a kill leaves the old state or the
    new one, never half. Grading again updates the same rows.
    """
    from nbgrader.api import Comment, Gradebook, Grade as GradeRow, MissingEntry, Student, SubmittedAssignment, SubmittedNotebook

    verdicts = {f"{v.qid}-tests": v.points for v in outcome.grade.verdicts} if outcome.grade else {}
    wanted = {f"{qid}-tests": verdicts.get(f"{qid}-tests", 0.0) for qid in max_scores}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        db = gradebook.db
        try:
            try:
                student = gradebook.find_student(outcome.student)
            except MissingEntry:
                student = Student(id=outcome.student)
                db.add(student)
            rows: dict[str, GradeRow] = {}
            try:
                submission = gradebook.find_submission(assignment, outcome.student)
                for notebook in submission.notebooks:
                    rows.update({grade.name: grade for grade in notebook.grades})
            except MissingEntry:
                with db.no_autoflush:
                    submission = SubmittedAssignment(assignment=gradebook.find_assignment(assignment), student=student)
                    for notebook in submission.assignment.notebooks:
                        submitted = SubmittedNotebook(notebook=notebook, assignment=submission)
                        for cell in notebook.grade_cells:
                            rows[cell.name] = GradeRow(cell_id=cell.id, notebook=submitted)
                        for cell in notebook.solution_cells:
                            Comment(cell_id=cell.id, notebook=submitted)
                        for cell in notebook.task_cells:
                            Comment(cell_id=cell.id, notebook=submitted)
                            GradeRow(cell_id=cell.id, notebook=submitted)
                    db.add(submission)
            for name, points in wanted.items():
                if name in rows:
                    rows[name].auto_score = points
            db.commit()
        except BaseException:
            db.rollback()
            raise


def grade_assignment(course: Path, assignment: str, *, workers: int = 2, limits: Limits | None = None,
                     progress: Callable[[int, int, Outcome], None] | None = None) -> list[Outcome]:
    """Grade all submissions of ``assignment`` under ``course``; return one outcome per student."""
    source = nbformat.read(course / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    lesson_key = source.metadata["jisr"]["lesson"]
    max_scores = {qid: float(spec.get("points", 1)) for qid, spec in lesson_by_key(lesson_key).exercises.items() if spec.get("graded")}
    todo = submissions(course, assignment)
    outcomes: list[Outcome] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(grade_one, source, path, limits or Limits()): student for student, path in todo}
        for future in concurrent.futures.as_completed(futures):
            try:
                outcome = future.result()
            except Exception as err:  # a grader fault on one submission must not stop the batch
                outcome = Outcome(futures[future], error=Message(N_("This submission could not be graded: {error}"), {"error": str(err)}))
            record(course, assignment, outcome, max_scores)
            outcomes.append(outcome)
            if progress:
                progress(len(outcomes), len(todo), outcome)
    return sorted(outcomes, key=lambda o: o.student)
