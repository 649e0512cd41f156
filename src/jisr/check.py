"""``jisr check``: is every learner-facing word there, current, in every language?

A *domain* is one set of English messages with one catalog per language: the
package (feedback, command line, book interface), the book's own pages, and
each lesson. The check also validates what a catalog cannot: lesson metadata,
exercise specs that match the lesson's cells, alt text on every figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .i18n import Message, N_
from .catalogs import CatalogStatus, catalog_status, update_catalog
from .languages import TRANSLATIONS
from .paths import book_dir, package_locales_dir
from .source import LessonSource, SourceError, Unit, find_lessons, package_units, page_units


@dataclass
class Domain:
    """One source of English messages and where its catalogs live."""

    name: str
    units: list[Unit]
    catalog: Callable[[str], Path]


def book_pages() -> list[Path]:
    return sorted((book_dir() / "pages").glob("*.md"))


def domains(lessons: list[LessonSource] | None = None) -> list[Domain]:
    """All translation domains, in a stable order."""
    lessons = find_lessons() if lessons is None else lessons
    found = [Domain("jisr", package_units(), lambda lang: package_locales_dir() / f"{lang}.po")]
    pages: list[Unit] = []
    for page in book_pages():
        pages += page_units(page)
    from .book import toc_units

    pages += [Unit(caption, "book/_toc.yml") for caption in toc_units()]
    found.append(Domain("book", pages, lambda lang: book_dir() / "locales" / f"{lang}.po"))
    for lesson in lessons:
        found.append(Domain(lesson.key, lesson.units(), lesson.catalog_path))
    return found


def update_all() -> list[Path]:
    """Merge every domain's messages into its catalogs (for translators)."""
    written = []
    for domain in domains():
        for language in TRANSLATIONS:
            path = domain.catalog(language)
            update_catalog(domain.units, path, language)
            written.append(path)
    return written


@dataclass
class Report:
    """Everything ``jisr check`` found."""

    statuses: list[tuple[str, CatalogStatus]] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.ok for _, s in self.statuses)

    def totals(self, language: str) -> tuple[int, int, int]:
        chosen = [s for _, s in self.statuses if s.language == language]
        return (sum(len(s.missing) for s in chosen), sum(len(s.stale) for s in chosen), sum(len(s.broken) for s in chosen))


def _lesson_problems(lesson: LessonSource) -> list[Message]:
    problems: list[Message] = []
    where = str(lesson.path)
    answers, checks = set(), set()
    for cell in lesson.notebook.cells:
        for tag in cell.metadata.get("tags", []):
            if tag.startswith("answer-"):
                answers.add(tag[7:])
            if tag.startswith("check-"):
                checks.add(tag[6:])
        if cell.cell_type == "code" and ("plt." in cell.source or ".plot(" in cell.source) and "show()" in cell.source:
            if not cell.metadata.get("jisr", {}).get("alt"):
                problems.append(Message(N_("{path}: a cell draws a figure without alt text; add `jisr: alt:` to its options"), {"path": where}))
    for qid, spec in lesson.exercises.items():
        if qid not in answers:
            problems.append(Message(N_("{path}: exercise {qid} has no answer cell tagged answer-{qid}"), {"path": where, "qid": qid}))
        if spec.get("graded") and qid not in checks:
            problems.append(Message(N_("{path}: graded exercise {qid} has no cell tagged check-{qid}"), {"path": where, "qid": qid}))
        if spec.get("graded") and spec.get("kind") == "function" and not lesson.grading.get(qid, {}).get("hidden_cases"):
            problems.append(Message(N_("{path}: graded exercise {qid} has no hidden_cases"), {"path": str(lesson.folder / "grading.yml"), "qid": qid}))
        if not spec.get("hints"):
            problems.append(Message(N_("{path}: exercise {qid} has no hints"), {"path": where, "qid": qid}))
    for qid in answers - set(lesson.exercises):
        problems.append(Message(N_("{path}: a cell is tagged answer-{qid} but exercises.yml has no {qid}"), {"path": where, "qid": qid}))
    problems += _objective_problems(lesson)
    problems += _exercise_contract_problems(lesson)
    return problems


def _objective_problems(lesson: LessonSource) -> list[Message]:
    """Every objective has an id and is practised by at least one exercise."""
    where = str(lesson.path)
    specs = str(lesson.folder / "exercises.yml")
    ids = lesson.meta.get("objective_ids")
    if not isinstance(ids, list) or len(ids) != len(lesson.meta["objectives"]) or len(set(ids)) != len(ids):
        return [Message(N_("{path}: jisr.objective_ids must give one unique id per objective, in the same order"), {"path": where})]
    practised: set[str] = set()
    problems = []
    for qid, spec in lesson.exercises.items():
        for objective in spec.get("objectives", []):
            if objective not in ids:
                problems.append(Message(N_("{path}: exercise {qid} names the objective {id}, which the lesson does not have; it has {ids}"),
                                        {"path": specs, "qid": qid, "id": str(objective), "ids": ", ".join(ids)}))
            practised.add(objective)
    for number, objective in enumerate(ids, start=1):
        if objective not in practised:
            problems.append(Message(N_("{path}: objective {number} ({id}) is practised by no exercise; list it under `objectives:` of an exercise that checks it"),
                                    {"path": specs, "number": number, "id": objective}))
    return problems


def solution_lines(lesson: LessonSource, qid: str) -> list[str]:
    """The complete lines of an exercise's solution: between nbgrader's markers in its
    answer cell, and its ``solution.code``; blank lines and comments left out."""
    from .render import _SOLUTION

    lines: list[str] = []
    for cell in lesson.notebook.cells:
        if f"answer-{qid}" in cell.metadata.get("tags", []):
            for region in _SOLUTION.finditer(cell.source):
                lines += region.group(0).splitlines()[1:-1]
    lines += str(lesson.exercises[qid].get("solution", {}).get("code", "")).splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _exercise_contract_problems(lesson: LessonSource) -> list[Message]:
    """Tracks, mistakes and hint ladders: what an exercise promises its learner."""
    from .exercises import BUILTIN_MISTAKES, TRACKS, function_cases, input_kinds

    specs = str(lesson.folder / "exercises.yml")
    problems = []
    for qid, spec in lesson.exercises.items():
        tracks = spec.get("tracks")
        if not tracks or any(track not in TRACKS for track in tracks):
            problems.append(Message(N_("{path}: exercise {qid} must list the tracks it counts for under `tracks:`, among {tracks}"),
                                    {"path": specs, "qid": qid, "tracks": ", ".join(TRACKS)}))
        elif spec.get("graded") and spec.get("kind") == "function" and "users" in tracks:
            problems.append(Message(N_("{path}: exercise {qid} asks for code but counts for the users’ track, which never writes code; give that track a choice or number exercise"),
                                    {"path": specs, "qid": qid}))
        for mistake in spec.get("mistakes", []):
            if not mistake.get("message") and mistake.get("name") not in BUILTIN_MISTAKES:
                problems.append(Message(N_("{path}: mistake {name} of exercise {qid} has no message, and no built-in one has that name ({names})"),
                                        {"path": specs, "qid": qid, "name": str(mistake.get("name")), "names": ", ".join(BUILTIN_MISTAKES)}))
        hidden = lesson.grading.get(qid, {}).get("hidden_cases") or []
        unseen = sorted(input_kinds(hidden) - input_kinds(function_cases(spec))) if spec.get("kind") == "function" else []
        if unseen:
            # the self-check would say "correct" to a function the grader fails on these inputs
            problems.append(Message(N_("{path}: hidden cases of exercise {qid} use inputs no visible case or probe uses ({kinds}); add a probe with them"),
                                    {"path": specs, "qid": qid, "kinds": ", ".join(unseen)}))
        for probe in spec.get("probes", []):
            if not isinstance(probe, dict) or "args" not in probe or "expected" not in probe:
                problems.append(Message(N_("{path}: every probe of exercise {qid} needs `args` and `expected`"), {"path": specs, "qid": qid}))
        if spec.get("graded") and any(".solution()" in str(h) for h in spec.get("hints", [])):
            # a graded question's answer is never shown: no hint may send the learner to it
            problems.append(Message(N_("{path}: a hint of graded exercise {qid} points to `.solution()`, which graded exercises never show"),
                                    {"path": specs, "qid": qid}))
        if spec.get("graded"):
            # the last rung of the ladder gives code with blanks, never a line of the answer
            hints = " ".join(_squeeze(str(h)) for h in spec.get("hints", []))
            for line in solution_lines(lesson, qid):
                if len(line) > 3 and _squeeze(line) in hints:
                    problems.append(Message(N_("{path}: a hint of graded exercise {qid} gives a complete line of its solution ({line}); put blanks (___) in it"),
                                            {"path": specs, "qid": qid, "line": line}))
    return problems


CODE_WIDTH = 60
"""Longest line of lesson code, in characters: the width of a phone's code box."""


def code_width_problems(lesson: LessonSource, limit: int = CODE_WIDTH) -> list[Message]:
    """Lines of the lesson's code cells longer than ``limit`` (they would scroll sideways on a phone)."""
    problems: list[Message] = []
    for index, cell in enumerate(lesson.notebook.cells):
        if cell.cell_type != "code":
            continue
        for number, line in enumerate(cell.source.splitlines(), start=1):
            if len(line) > limit:
                problems.append(Message(
                    N_("{path}: cell {cell}, line {line} is {length} characters long; lesson code keeps lines to {limit} "
                       "so that it fits a phone: break it after a comma or inside brackets ({start}…)"),
                    {"path": str(lesson.path), "cell": index + 1, "line": number, "length": len(line), "limit": limit,
                     "start": line.strip()[:30]}))
    return problems


def run_check() -> Report:
    """Check every domain in every translation language, and every lesson's structure."""
    report = Report()
    errors: list[SourceError] = []
    lessons = find_lessons(errors=errors)
    report.problems += [err.message for err in errors]
    ids = [lesson.meta["id"] for lesson in lessons]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        report.problems.append(Message(N_("two lessons share the id {id}: ids must be unique across parts"), {"id": duplicate}))
    for lesson in lessons:
        report.problems += _lesson_problems(lesson)
        report.problems += code_width_problems(lesson)
    from .coursemap import map_problems  # the course map (courses/tracks.yml) against the lessons

    try:
        report.problems += map_problems(lessons=lessons)
    except SourceError as err:
        report.problems.append(err.message)
    for domain in domains(lessons):
        for language in TRANSLATIONS:
            report.statuses.append((domain.name, catalog_status(domain.units, domain.catalog(language), language)))
    return report
