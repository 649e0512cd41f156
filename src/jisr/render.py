"""Render a lesson source into per-language notebooks: one source, many outputs.

Targets (the order of the steps below is the whole pipeline):

``book``
    the page source for Jupyter Book: translated text, solutions replaced by
    the starter code, figure alt texts for MyST-NB.
``learner``
    the notebook a learner downloads and runs in JupyterLab: as ``book``, with
    Arabic text wrapped in right-to-left blocks (JupyterLab has no page-wide
    direction).
``nbgrader``
    the teacher's nbgrader source: solutions kept between nbgrader's markers,
    check cells turned into graded test cells with hidden tests, set-up cells
    locked.

Code cells are copied, never translated, so code is the same in every language.

Machinery stays out of the learner's sight (``hide_machinery``): the
``parameters`` cell and the set-up cell (tagged ``setup``, or the cell that
calls ``jisr.start_lesson``) are removed from the book page and collapsed in
the learner's notebook (``jupyter.source_hidden``: they still run); a cell
tagged ``jisr-interactive`` shows only its output in the book (the sliders,
see ``jisr.interactive``) and is collapsed in the notebook.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Callable

import nbformat

from .i18n import LANG_MARKER, Message, N_, Translator
from .languages import LANGUAGES
from .notebook_guard import guard_import
from .source import LessonSource, translate_markdown
from .typography import typeset_markdown

TARGETS = ("book", "learner", "nbgrader")
CODE_STUB = "# ✍️\nraise NotImplementedError()"
"""What replaces a solution in a released notebook: no words, so no language."""

_SOLUTION = re.compile(r"^([ \t]*)### BEGIN SOLUTION[ \t]*\n.*?^[ \t]*### END SOLUTION[ \t]*$", re.M | re.S)


def lesson_translator(lesson: LessonSource, language: str) -> Translator:
    from .paths import package_locales_dir

    return Translator(language, [lesson.catalog_path(language), package_locales_dir() / f"{language}.po"])


def strip_solutions(code: str) -> str:
    """Replace each ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by the stub.

    >>> print(strip_solutions("def f():\\n    ### BEGIN SOLUTION\\n    return 1\\n    ### END SOLUTION"))
    def f():
        # ✍️
        raise NotImplementedError()
    """

    def stub(match: re.Match[str]) -> str:
        indent = match.group(1)
        return "\n".join(indent + line for line in CODE_STUB.split("\n"))

    return _SOLUTION.sub(stub, code)


def _tags(cell: Any) -> list[str]:
    return list(cell.metadata.get("tags", []))


def _tag_value(cell: Any, prefix: str) -> str | None:
    for tag in _tags(cell):
        if tag.startswith(prefix):
            return tag[len(prefix):]
    return None


MACHINERY_TAGS = ("parameters", "setup", "jisr-interactive")
"""Cell tags whose code the learner does not need to read (see ``hide_machinery``)."""


def machinery(cell: Any) -> str | None:
    """The machinery tag of a code cell, if it is one: set-up, parameters or an interactive's code."""
    tags = _tags(cell)
    for tag in MACHINERY_TAGS:
        if tag in tags:
            return tag
    if "start_lesson(" in cell.source:
        return "setup"
    return None


def declare_language(code: str, language: str) -> str:
    """Add the notebook's language to its parameters cell (``lang = "ar"``).

    The one cell that differs by language: settings, not lesson code. It runs
    first under any front end (JupyterLab, nbconvert, papermill), so
    ``jisr.start_lesson`` speaks the notebook's language even where no marker
    file or server tells it (see ``jisr.i18n.notebook_language``).

    >>> declare_language("fast = False", "ar")
    'fast = False\\nlang = "ar"'
    """
    from .i18n import NOTEBOOK_LANGUAGE_VARIABLE

    return f'{code.rstrip()}\n{NOTEBOOK_LANGUAGE_VARIABLE} = "{language}"'


def hide_machinery(cell: Any, target: str) -> None:
    """Hide a machinery cell's code: removed from the book page, collapsed in the learner's notebook."""
    kind = machinery(cell)
    if kind is None or target == "nbgrader":
        return
    if target == "book":
        tag = "remove-input" if kind == "jisr-interactive" else "remove-cell"
        cell.metadata["tags"] = [*_tags(cell), tag]
    else:
        cell.metadata.setdefault("jupyter", {})["source_hidden"] = True


def _check_note(t: Translator) -> str:
    """What the book page shows under a check cell instead of its output."""
    return (f'<p class="jisr-check-note">{t(N_("Run this check in the notebook: see"))} '
            f'<a class="jisr-run" href="../run.html">{t(N_("How to run it"))}</a>.</p>')


def _header(lesson: LessonSource, t: Translator, download: bool = False) -> str:
    meta = lesson.meta
    lines = [f"# {t(meta['title'])}", ""]
    if download:
        # the book serves each language's learner notebook under _notebooks/ (see jisr.book)
        href = f"../_notebooks/{meta['part']}/{meta['id']}.ipynb"
        # book/pages/run.md says how to run it, on every computer (a section of the book, one level up)
        lines += [f'<a class="jisr-download" href="{href}" download>⬇ {t(N_("Download this notebook"))}</a>'
                  f' · <a class="jisr-run" href="../run.html">{t(N_("How to run it"))}</a>', ""]
    # the colon is part of the message: French puts a space before it
    lines.append(f"**{t(N_('Time:'))}** " + Message(N_("about {minutes} minute"), {"minutes": meta["minutes"]}, plural=N_("about {minutes} minutes"), n=meta["minutes"]).format(t))
    lines.append("")
    lines.append(f"**{t(N_('Before you start:'))}** " + " ".join(t(p) for p in meta["prerequisites"]))
    lines.append("")
    lines.append(f"**{t(N_('By the end of this lesson you will be able to:'))}**")
    lines.append("")
    lines += [f"- {t(o)}" for o in meta["objectives"]]
    return "\n".join(lines)


def _keypoints(lesson: LessonSource, t: Translator) -> str:
    return "\n".join([f"## {t(N_('Key points'))}", ""] + [f"- {t(k)}" for k in lesson.meta["keypoints"]])


_PLAIN_PARAGRAPH = re.compile(r"^(?![#>|<$`:\s]|[-*+]\s|\d+[.)]\s)")


def _rtl_wrap(text: str, language: str) -> str:
    """Wrap a markdown cell so that JupyterLab shows it right-to-left.

    JupyterLab has no page direction, and its stylesheet forces ``text-align:
    left`` on paragraphs, so plain paragraphs become ``<p>`` elements that say
    their own alignment; headings, lists and math stay markdown inside the block.
    """
    if LANGUAGES[language].direction != "rtl":
        return text
    from markdown_it import MarkdownIt

    inline = MarkdownIt("commonmark")
    blocks, fenced = [], False
    for block in text.split("\n\n"):
        if block.lstrip().startswith(("```", ":::")) or fenced:
            fenced = not fenced if block.count("```") % 2 or block.count(":::") % 2 else fenced
            blocks.append(block)
        elif _PLAIN_PARAGRAPH.match(block) and "$" not in block:
            blocks.append(f'<p dir="rtl" style="text-align: right">{inline.renderInline(block)}</p>')
        else:
            blocks.append(block)
    body = "\n\n".join(blocks)
    # blank lines around the content let JupyterLab parse the markdown inside the block
    return f'<div dir="rtl" lang="{language}">\n\n{body}\n\n</div>'


def _nbgrader_meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
                   points: float | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
                            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def _grade_cell_code(qid: str, hidden_cases: list[dict[str, Any]]) -> str:
    lines = [f"{qid}.assert_passes()"]
    if hidden_cases:
        plain = [{"args": c["args"], "expected": c["expected"]} for c in hidden_cases]
        lines += ["### BEGIN HIDDEN TESTS", f"{qid}.assert_passes(cases={plain!r})", "### END HIDDEN TESTS"]
    return "\n".join(lines)


def render(lesson: LessonSource, language: str, target: str) -> nbformat.NotebookNode:
    """Return the lesson as a notebook in ``language`` for ``target``."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(TARGETS)}")
    t = lesson_translator(lesson, language)
    # notebooks get the language's typography here; the book gets it on its HTML (jisr.book)
    wrap: Callable[[str], str] = (lambda s: _rtl_wrap(typeset_markdown(s, language), language)) if target != "book" else (lambda s: s)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "jisr": {"lang": language, "lesson": lesson.key, "title": t(lesson.meta["title"])},
    }
    nb.cells.append(nbformat.v4.new_markdown_cell(wrap(_header(lesson, t, download=target == "book"))))
    setup_done = False
    for index, source_cell in enumerate(lesson.notebook.cells):
        cell = copy.deepcopy(source_cell)
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(wrap(translate_markdown(cell.source, t)), metadata=cell.metadata))
            continue
        if cell.cell_type != "code":
            continue
        code = cell.source
        metadata = dict(cell.metadata)
        alt = metadata.get("jisr", {}).get("alt")
        if alt:
            metadata["jisr"] = {**metadata["jisr"], "alt": t(alt)}
            metadata["mystnb"] = {"image": {"alt": t(alt)}}
        answer = _tag_value(cell, "answer-")
        check = _tag_value(cell, "check-")
        if target == "nbgrader":
            spec = lesson.exercises.get(answer or check or "", {})
            if answer and spec.get("graded") and spec.get("kind") in ("choice", "number"):
                # a plain answer cell: nbgrader's release would replace a solution cell by the
                # code stub, and the learner needs the starter `answer_qN = ...` (jisr's grader
                # finds the cell by its answer- tag, jisr.autograder.submission)
                pass
            elif answer and spec.get("graded"):
                metadata["nbgrader"] = _nbgrader_meta(f"{answer}-answer", solution=True)
            elif check and spec.get("graded"):
                hidden = lesson.grading.get(check, {}).get("hidden_cases", [])
                code = _grade_cell_code(check, hidden)
                metadata["nbgrader"] = _nbgrader_meta(f"{check}-tests", grade=True, locked=True, points=spec.get("points", 1))
            elif not setup_done and "parameters" not in _tags(cell):
                metadata["nbgrader"] = _nbgrader_meta("setup", locked=True)
                setup_done = True
        else:
            code = strip_solutions(code)
            if target == "learner":
                # opened without jisr installed, the notebook says what to do in its language (jisr.notebook_guard)
                code = guard_import(code)
        if "parameters" in _tags(cell):
            code = declare_language(code, language)
        new = nbformat.v4.new_code_cell(code, metadata=metadata)
        hide_machinery(new, target)
        nb.cells.append(new)
        if target == "book" and check:
            # on the page no answer was written: "Not attempted yet" would be a dead end
            new.metadata["tags"] = [*_tags(new), "remove-output"]
            nb.cells.append(nbformat.v4.new_markdown_cell(_check_note(t), metadata={"tags": ["jisr-check-note"]}))
    nb.cells.append(nbformat.v4.new_markdown_cell(wrap(_keypoints(lesson, t))))
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"{lesson.meta['id']}-{number}"  # stable ids: diffs and nbgrader stay readable
    return nb


def write_rendered(lesson: LessonSource, language: str, target: str, folder: Path) -> Path:
    """Render and write ``<folder>/<part>/<id>.ipynb`` with the language marker beside it."""
    out = folder / lesson.meta["part"] / f"{lesson.meta['id']}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nb = render(lesson, language, target)
    text = nbformat.writes(nb)
    if not out.is_file() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")  # untouched files keep their time: caches stay warm
    marker = folder / LANG_MARKER
    if not marker.is_file() or marker.read_text(encoding="utf-8") != language:
        marker.write_text(language, encoding="utf-8")
    return out
