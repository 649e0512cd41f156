"""One source, many outputs: what rendering must guarantee in every language."""

from __future__ import annotations

import pytest

from jisr.languages import LANGUAGES
from jisr.render import TARGETS, render
from jisr.source import find_lessons, translate_markdown

LESSONS = find_lessons()


def code_cells(nb) -> list[str]:
    # the parameters cell holds settings, among them the notebook's language (jisr.render.declare_language)
    return [c.source for c in nb.cells if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_code_is_identical_in_every_language(lesson, target: str) -> None:
    english = code_cells(render(lesson, "en", target))
    assert english
    for language in LANGUAGES:
        assert code_cells(render(lesson, language, target)) == english


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_learner_side_never_sees_hidden_tests_or_solutions(lesson) -> None:
    secrets = []
    for qid, grading in lesson.grading.items():
        secrets += [repr(case["args"]) for case in grading.get("hidden_cases", [])]
        secrets += [alt["code"].strip().splitlines()[-1].strip() for alt in grading.get("alternatives", [])]
    assert secrets
    for language in LANGUAGES:
        for target in ("book", "learner"):
            text = str(render(lesson, language, target))
            assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
            for secret in secrets:
                assert secret not in text
        teacher = str(render(lesson, language, "nbgrader"))
        assert "### BEGIN HIDDEN TESTS" in teacher and "### BEGIN SOLUTION" in teacher


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_text_is_translated_and_arabic_runs_right_to_left(language: str) -> None:
    lesson = LESSONS[0]
    english = render(lesson, "en", "learner")
    nb = render(lesson, language, "learner")
    assert nb.metadata["jisr"]["lang"] == language
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    english_markdown = [c.source for c in english.cells if c.cell_type == "markdown"]
    assert len(markdown) == len(english_markdown)
    if language != "en":
        assert sum(a != b for a, b in zip(markdown, english_markdown)) == len(markdown)
    if LANGUAGES[language].direction == "rtl":
        assert all(m.startswith(f'<div dir="rtl" lang="{language}">') for m in markdown)
    alts = [c.metadata["mystnb"]["image"]["alt"] for c in nb.cells if "mystnb" in c.metadata]
    assert alts and all(alts)
    if language != "en":
        assert alts != [c.metadata["mystnb"]["image"]["alt"] for c in english.cells if "mystnb" in c.metadata]


def test_nbgrader_metadata() -> None:
    nb = render(LESSONS[0], "fr", "nbgrader")
    meta = [c.metadata.get("nbgrader") for c in nb.cells if c.metadata.get("nbgrader")]
    assert any(m["solution"] for m in meta)
    graded = [m for m in meta if m["grade"]]
    assert graded and all(m["locked"] and m["points"] > 0 for m in graded)
    assert len({m["grade_id"] for m in meta}) == len(meta)
    ids = [c["id"] for c in nb.cells]
    assert len(set(ids)) == len(ids)


def test_markdown_structure_survives_translation() -> None:
    text = "## Title\n\nA paragraph\non two lines.\n\n- one\n- two\n  continued\n\n```python\nx = 1\n```\n\n$$\na = b\n$$\n\n:::{note}\nInside a note.\n:::"
    seen: list[str] = []
    out = translate_markdown(text, lambda s: seen.append(s) or s.upper())
    assert seen == ["Title", "A paragraph\non two lines.", "one", "two\ncontinued", "Inside a note."]
    assert "x = 1" in out and "a = b" in out and "## TITLE" in out and ":::{note}" in out
    assert translate_markdown(text, lambda s: s).replace("  continued", "continued") == text.replace("  continued", "continued")


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_machinery_is_out_of_sight(lesson) -> None:
    """Parameters, set-up and an interactive's code: removed from the book, collapsed in the notebook."""
    from jisr.render import machinery

    for language in LANGUAGES:
        book = [c for c in render(lesson, language, "book").cells if c.cell_type == "code"]
        learner = [c for c in render(lesson, language, "learner").cells if c.cell_type == "code"]
        assert len(book) == len(learner)
        source = [c for c in lesson.notebook.cells if c.cell_type == "code"]
        assert len(source) == len(book)
        kinds = [machinery(c) for c in book]
        assert "parameters" in kinds and "setup" in kinds, "the lesson lost its parameters or set-up cell"
        assert any("start_lesson(" in c.source for c, kind in zip(book, kinds) if kind == "setup")
        for original, page_cell, notebook_cell, kind in zip(source, book, learner, kinds):
            tags = page_cell.metadata.get("tags", [])
            hidden = notebook_cell.metadata.get("jupyter", {}).get("source_hidden", False)
            if kind is None:  # the author's own choices, untouched
                # a check's output gives way to a note on the page (issue 8, E8)
                assert [t for t in tags if t != "remove-output" or not any(x.startswith("check-") for x in tags)] == original.metadata.get("tags", [])
                assert hidden == original.metadata.get("jupyter", {}).get("source_hidden", False)
            elif kind == "jisr-interactive":
                assert "remove-input" in tags and "remove-cell" not in tags and hidden  # the sliders stay
            else:
                assert "remove-cell" in tags and hidden
        teacher = [c for c in render(lesson, language, "nbgrader").cells if c.cell_type == "code"]
        for original, teacher_cell in zip(source, teacher):  # the teacher sees what the author wrote
            hidden = teacher_cell.metadata.get("jupyter", {}).get("source_hidden", False)
            assert hidden == original.metadata.get("jupyter", {}).get("source_hidden", False)


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.key for lesson in LESSONS])
def test_lesson_code_fits_a_phone(lesson) -> None:
    from jisr.check import code_width_problems
    from jisr.i18n import Translator

    problems = [m.format(Translator("en")) for m in code_width_problems(lesson)]
    assert not problems, "\n".join(problems)


def test_code_width_rule_names_lesson_cell_and_line(tmp_path) -> None:
    """`jisr check` points at the long line, in the user's language."""
    import shutil

    from jisr.check import CODE_WIDTH, code_width_problems
    from jisr.i18n import Translator
    from jisr.source import read_lesson

    folder = tmp_path / LESSONS[0].meta["part"] / LESSONS[0].meta["id"]
    shutil.copytree(LESSONS[0].folder, folder)
    source = (folder / "lesson.md").read_text(encoding="utf-8")
    long_line = "too_long = " + repr("x" * (CODE_WIDTH - 10))
    source = source.replace("```{code-cell} ipython3\n:tags: [answer-q1]\n\n", "```{code-cell} ipython3\n:tags: [answer-q1]\n\n" + long_line + "\n", 1)
    (folder / "lesson.md").write_text(source, encoding="utf-8")
    lesson = read_lesson(folder / "lesson.md")
    problems = [m for m in code_width_problems(lesson) if m.params["start"] == long_line[:30]]
    assert len(problems) == 1
    cell = next(i for i, c in enumerate(lesson.notebook.cells, start=1) if long_line in c.source)
    english = problems[0].format(Translator("en"))
    assert f"cell {cell}, line 1" in english and str(len(long_line)) in english and "lesson.md" in english
    for language in ("fr", "ar"):
        translated = problems[0].format(Translator.for_package(language))
        assert translated != english and str(cell) in translated and str(len(long_line)) in translated


@pytest.mark.parametrize("target", ["learner", "nbgrader"])
@pytest.mark.parametrize("language", ["fr", "ar"])
def test_notebooks_have_the_language_typography(language: str, target: str) -> None:
    """French spaces and apostrophes, Arabic punctuation in the notebooks' text (code spans and math left alone)."""
    import re

    from jisr.typography import prose_problems

    for lesson in LESSONS:
        nb = render(lesson, language, target)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            prose = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$|<[^>]+>|\]\([^)]*\)", " x ", cell.source, flags=re.S)
            problems = prose_problems(prose, language)
            assert not problems, f"{lesson.key} {target}: {problems[:5]}"
        # code is never typeset: test_code_is_identical_in_every_language compares it with English


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_book_page_replaces_check_outputs_by_a_note(language: str) -> None:
    """Issue 8 (E8): on the static page a check has nothing to check; it points to the notebook."""
    from jisr.render import lesson_translator

    lesson = next(lesson for lesson in find_lessons() if lesson.key == "fundamentals/what-is-ai")
    t = lesson_translator(lesson, language)
    nb = render(lesson, language, "book")
    checks = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and ".check()" in c.source]
    assert len(checks) >= 5
    for i in checks:
        assert "remove-output" in nb.cells[i].metadata.get("tags", [])
        note = nb.cells[i + 1]
        assert note.cell_type == "markdown" and "jisr-check-note" in note.metadata["tags"]
        assert t("Run this check in the notebook: see") in note.source and 'href="../run.html"' in note.source
    learner = render(lesson, language, "learner")
    assert not any("jisr-check-note" in c.metadata.get("tags", []) for c in learner.cells)


def test_book_build_counts_sphinx_errors_not_the_kernels_own_logging() -> None:
    # CI on a busy machine: a notebook's kernel logged this on the shared stderr while shutting
    # down, after every cell had run; the build must not fail for it, nor pass a real error
    from jisr.book import build_problems

    kernel_noise = (
        "ERROR:tornado.general:Uncaught exception in ZMQStream callback\n"
        "Traceback (most recent call last):\n"
        '  File "zmq/eventloop/zmqstream.py", line 557, in _run_callback\n'
        "zmq.error.ZMQError: Socket operation on non-socket\n"
    )
    assert build_problems(kernel_noise) == []
    sphinx_error = "/b/src/fr/lessons/01.md:40: ERROR: Unknown directive type 'exercice'."
    failed_notebook = "WARNING: Executing notebook failed: CellExecutionError [mystnb.exec]"
    found = build_problems(kernel_noise + sphinx_error + "\n" + failed_notebook + "\n")
    assert found == [sphinx_error, failed_notebook]
