"""The ``jisr`` command: render, check, build, serve, and the teacher's nbgrader course.

Messages follow ``JISR_LANG`` (or ``LANG``): ``JISR_LANG=ar jisr check``.
Every command exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .i18n import Message, N_, Translator, cli_language
from .languages import LANGUAGES, TRANSLATIONS


def _say(t: Translator, message: Message, stream=sys.stdout) -> None:
    print(message.format(t), file=stream, flush=True)


def _progress():
    started = time.perf_counter()

    def progress(text: str) -> None:
        elapsed = time.perf_counter() - started
        print(f"[{elapsed:6.1f} s] {text}", flush=True)

    return progress


def cmd_check(args: argparse.Namespace, t: Translator) -> int:
    from .check import run_check

    report = run_check()
    for problem in report.problems:
        print(problem.format(t), file=sys.stderr)
    for domain, status in report.statuses:
        for msgid in status.missing:
            print(f"{status.language}: {domain}: " + Message(N_("missing: {text}"), {"text": _short(msgid)}).format(t), file=sys.stderr)
        for msgid in status.stale:
            print(f"{status.language}: {domain}: " + Message(N_("stale (the English changed): {text}"), {"text": _short(msgid)}).format(t), file=sys.stderr)
        for msgid in status.broken:
            print(f"{status.language}: {domain}: " + Message(N_("placeholders differ from the English: {text}"), {"text": _short(msgid)}).format(t), file=sys.stderr)
    for language in TRANSLATIONS:
        missing, stale, broken = report.totals(language)
        _say(t, Message(N_("{language}: {missing} missing, {stale} stale, {broken} broken"),
                        {"language": language, "missing": missing, "stale": stale, "broken": broken}))
    if report.problems:
        _say(t, Message(N_("{n} problem in the lesson sources."), plural=N_("{n} problems in the lesson sources."),
                        n=len(report.problems), params={"n": len(report.problems)}))
    if not report.ok:
        _say(t, Message(N_("Run `jisr update-catalogs`, then translate the empty and fuzzy entries (Poedit or Weblate).")))
        return 1
    return 0


def _short(text: str, width: int = 90) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def cmd_update_catalogs(args: argparse.Namespace, t: Translator) -> int:
    from .check import update_all

    for path in update_all():
        print(path)
    return 0


def cmd_render(args: argparse.Namespace, t: Translator) -> int:
    from .paths import build_dir
    from .render import write_rendered
    from .source import find_lessons

    out = Path(args.output) if args.output else build_dir() / "render" / args.target
    for language in args.languages:
        for lesson in find_lessons():
            print(write_rendered(lesson, language, args.target, out / language))
    return 0


def cmd_build(args: argparse.Namespace, t: Translator) -> int:
    from .book import BuildError, build

    try:
        site = build(args.languages, _progress())
    except BuildError as err:
        _say(t, Message(N_("The book could not be built: {error}"), {"error": str(err)}), sys.stderr)
        return 1
    _say(t, Message(N_("The book is ready in {path}"), {"path": str(site)}))
    return 0


def cmd_serve(args: argparse.Namespace, t: Translator) -> int:
    from .paths import build_dir

    site = build_dir() / "site"
    if not (site / "index.html").is_file():
        _say(t, Message(N_("Nothing to serve yet: run `make book` first.")), sys.stderr)
        return 1
    from .serve import make_server

    server = make_server(site, args.host, args.port)  # precompressed .br/.gz files, as a static host serves them
    _say(t, Message(N_("The book is served at http://{host}:{port}/ (press Ctrl+C to stop)."), {"host": args.host, "port": args.port}))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def cmd_course(args: argparse.Namespace, t: Translator) -> int:
    from .nbgrader_course import GenerateError, make_course

    for language in args.languages:
        try:
            course = make_course(language, Path(args.output) / language if args.output else None)
        except GenerateError as err:
            _say(t, Message(N_("nbgrader could not generate the assignments for {language}:\n{log}"),
                            {"language": language, "log": str(err)}), sys.stderr)
            return 1
        _say(t, Message(N_("nbgrader course for {language} written to {path}"), {"language": language, "path": str(course)}))
    return 0


def cmd_grade(args: argparse.Namespace, t: Translator) -> int:
    from .autograder import sandbox
    from .autograder.batch import grade_assignment
    from .autograder.gradebook import GradebookError
    from .autograder.safe import visible  # every student string is shown escaped: no terminal control

    if not sandbox.available():
        _say(t, Message(N_("Grading refused: the sandbox cannot start here ({reason}). Student code is never run without it. Install bubblewrap (apt-get install bubblewrap); inside a container, also allow user namespaces (for example: docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined)."),
                        {"reason": sandbox.unavailable_detail() or "?"}), sys.stderr)
        return 1
    from .autograder import cgroups

    _say(t, cgroups.support(sandbox.Limits().processes, sandbox.Limits().memory_mb))  # what holds on this machine
    started = time.perf_counter()

    def progress(done: int, total: int, outcome) -> None:
        bar = "#" * round(20 * done / total)
        if outcome.not_recorded is not None:
            line = Message(N_("{student}: not recorded: {reason}"), {"student": outcome.student, "reason": outcome.not_recorded.format(t)}).format(t)
        elif outcome.error is not None:
            line = Message(N_("{student}: not graded: {reason}"), {"student": outcome.student, "reason": outcome.error.format(t)}).format(t)
        else:
            line = Message(N_("{student}: {score:g} / {max:g}"), {"student": outcome.student, "score": outcome.score, "max": outcome.grade.max_score}).format(t)
        print(f"[{bar:<20}] {done}/{total}  {visible(line)}", flush=True)
        for problem in [*outcome.problems, *getattr(outcome, "teacher_notes", [])]:
            print(f"    - {visible(problem.format(t))}", flush=True)

    try:
        outcomes = grade_assignment(Path(args.course), args.assignment, workers=args.workers, db_url=args.db_url,
                                    feedback=not args.no_feedback, progress=progress, student=args.student,
                                    language=t.language)
    except GradebookError as err:
        _say(t, err.message, sys.stderr)
        return 1
    if args.student is not None and not outcomes:
        _say(t, Message(N_("No submission of {assignment} by {student} in {folder}."),
                        {"assignment": visible(args.assignment), "student": visible(args.student),
                         "folder": str(Path(args.course) / "submitted")}), sys.stderr)
        return 1
    _say(t, Message(N_("{n} submission graded in {seconds:.1f} s."), plural=N_("{n} submissions graded in {seconds:.1f} s."),
                    n=len(outcomes), params={"n": len(outcomes), "seconds": time.perf_counter() - started}))
    _class_summary(outcomes, args.pass_mark, t)
    if args.export:
        if _export(args, t) != 0:
            return 1
    missing = [visible(o.student) for o in outcomes if not o.recorded]
    if missing:
        _say(t, Message(N_("{n} submission was not recorded in the gradebook ({students}); its previous state is kept. Run the same command again."),
                        plural=N_("{n} submissions were not recorded in the gradebook ({students}); their previous state is kept. Run the same command again."),
                        n=len(missing), params={"n": len(missing), "students": ", ".join(missing)}), sys.stderr)
        return 1
    return 0


def _class_summary(outcomes, pass_mark: float, t: Translator) -> None:
    """Who passed, who did not, who was not graded or not recorded and why: the teacher's end-of-run view."""
    from .autograder.safe import visible

    recorded = [o for o in outcomes if o.recorded and o.error is None and o.grade is not None]
    passed = [o for o in recorded if o.grade.max_score and o.score >= pass_mark / 100 * o.grade.max_score]
    below = [o for o in recorded if o not in passed]
    names = lambda group: ", ".join(visible(o.student) for o in group) or "-"  # noqa: E731
    _say(t, Message(N_("Summary: {passed} of {graded} passed (at least {mark:g}% of the points): {names}"),
                    {"passed": len(passed), "graded": len(recorded), "mark": pass_mark, "names": names(passed)}))
    if below:
        _say(t, Message(N_("Below {mark:g}%: {names}"), {"mark": pass_mark, "names": names(below)}))
    for outcome in outcomes:
        if outcome.recorded and outcome.error is not None:
            _say(t, Message(N_("Zero recorded for {student}: {reason}"),
                            {"student": visible(outcome.student), "reason": visible(outcome.error.format(t))}))
    for outcome in outcomes:
        if not outcome.recorded:
            _say(t, Message(N_("Not recorded: {student}: {reason}"),
                            {"student": visible(outcome.student), "reason": visible(outcome.not_recorded.format(t))}))


def _export(args: argparse.Namespace, t: Translator) -> int:
    from .autograder.export import write_csv
    from .autograder.gradebook import GradebookError, gradebook_url, retrying

    target = Path(args.export)
    try:
        layout = getattr(args, "layout", "records")
        count = retrying(lambda: write_csv(gradebook_url(Path(args.course), args.db_url), target, args.assignment, layout))
    except (GradebookError, OSError) as err:
        reason = err.message.format(t) if isinstance(err, GradebookError) else (err.strerror or str(err))
        _say(t, Message(N_("The CSV file {path} could not be written: {reason}"), {"path": str(target), "reason": reason}), sys.stderr)
        return 1
    except Exception as err:  # e.g. nbgrader's MissingEntry: the assignment is not in the gradebook
        _say(t, Message(N_("The CSV file {path} could not be written: {reason}"), {"path": str(target), "reason": str(err)[:300]}), sys.stderr)
        return 1
    _say(t, Message(N_("{n} row written to {path}."), plural=N_("{n} rows written to {path}."),
                    n=count, params={"n": count, "path": str(target)}))
    return 0


def cmd_export(args: argparse.Namespace, t: Translator) -> int:
    return _export(args, t)


def parser(t: Translator) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jisr", description=t(N_("Jisr: build, check and grade the trilingual AI course.")))
    sub = p.add_subparsers(dest="command", required=True)
    # no language given means all of them (argparse rejects a list default with choices)
    langs = {"nargs": "*", "metavar": "LANG", "help": "ar, en, fr (default: all)"}

    s = sub.add_parser("check", help=t(N_("report missing or stale translations and malformed lessons")))
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("update-catalogs", help=t(N_("update the .po catalogs from the English sources")))
    s.set_defaults(func=cmd_update_catalogs)
    s = sub.add_parser("render", help=t(N_("render lessons into notebooks, one per language")))
    s.add_argument("languages", **langs)
    s.add_argument("--target", choices=["book", "learner", "nbgrader"], default="learner")
    s.add_argument("--output", help=t(N_("output folder (default: _build/render/<target>)")))
    s.set_defaults(func=cmd_render)
    s = sub.add_parser("build", help=t(N_("build the book in every language")))
    s.add_argument("languages", **langs)
    s.set_defaults(func=cmd_build)
    s = sub.add_parser("serve", help=t(N_("serve the built book on this computer")))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("course", help=t(N_("write the nbgrader course for teachers")))
    s.add_argument("languages", **langs)
    s.add_argument("--output", help=t(N_("output folder (default: _build/nbgrader)")))
    s.set_defaults(func=cmd_course)
    s = sub.add_parser("grade", help=t(N_("grade an assignment’s submissions in a sandbox and fill nbgrader’s gradebook")))
    s.add_argument("course", help=t(N_("the nbgrader course folder")))
    s.add_argument("assignment", help=t(N_("the assignment (lesson id), e.g. what-is-ai")))
    s.add_argument("--workers", type=int, default=2, help=t(N_("submissions graded at once (default: 2)")))
    s.add_argument("--db-url", help=t(N_("the gradebook’s database URL (default: the course’s nbgrader_config.py, else gradebook.db in the course)")))
    s.add_argument("--no-feedback", action="store_true", help=t(N_("do not write feedback pages for students")))
    s.add_argument("--student", help=t(N_("grade only this student’s submission")))
    s.add_argument("--export", metavar="CSV", help=t(N_("then write the gradebook of this assignment to a CSV file")))
    s.add_argument("--pass-mark", type=float, default=50.0, help=t(N_("percentage of the points that counts as passed in the summary (default: 50)")))
    s.set_defaults(func=cmd_grade)
    s = sub.add_parser("export", help=t(N_("write a course’s gradebook to a CSV file for the institute’s records")))
    s.add_argument("course", help=t(N_("the nbgrader course folder")))
    s.add_argument("export", metavar="CSV", help=t(N_("the CSV file to write")))
    s.add_argument("--assignment", help=t(N_("only this assignment (default: all)")))
    s.add_argument("--db-url", help=t(N_("the gradebook’s database URL (default: the course’s nbgrader_config.py, else gradebook.db in the course)")))
    s.add_argument("--format", dest="layout", choices=["records", "moodle"], default="records",
                   help=t(N_("records: a row per student and assignment; moodle: the file Moodle’s grade import reads (default: records)")))
    s.set_defaults(func=cmd_export)
    from .lab import add_parser as add_lab_parser  # the learner's `jisr lab`

    add_lab_parser(sub, t)
    from .hub.cli import add_parser as add_hub_parser  # the teacher's `jisr hub`: the course on a JupyterHub

    add_hub_parser(sub, t)
    from .offline.kit import add_parser as add_kit_parser  # `jisr kit`: the offline download

    add_kit_parser(sub, t)
    return p


def main(argv: list[str] | None = None) -> int:
    t = Translator.for_package(cli_language())
    args = parser(t).parse_args(argv)
    if hasattr(args, "languages"):
        unknown = [code for code in args.languages if code not in LANGUAGES]
        if unknown:
            _say(t, Message(N_("Unknown language: {codes}. Choose among {known}."), {"codes": ", ".join(unknown), "known": ", ".join(LANGUAGES)}), sys.stderr)
            return 2
        args.languages = args.languages or list(LANGUAGES)
    return int(args.func(args, t))


if __name__ == "__main__":
    sys.exit(main())
