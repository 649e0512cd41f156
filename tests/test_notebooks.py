"""Every rendered notebook, in every language, runs with papermill on a real kernel,
in the fast CI mode and in the learner's full mode, and every cell really ran."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import papermill
import pytest

from jisr.languages import LANGUAGES
from jisr.render import write_rendered
from jisr.source import find_lessons

pytestmark = pytest.mark.slow
LESSONS = find_lessons()


def assert_every_cell_ran(nb: nbformat.NotebookNode) -> None:
    """papermill exits 0 after a cell calls sys.exit(0); prove nothing was skipped."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        status = cell.metadata.get("papermill", {}).get("status")
        assert status == "completed", f"cell {index} did not complete: {status}"
        assert cell.execution_count is not None, f"cell {index} never ran"
        assert not [o for o in cell.outputs if o.output_type == "error"], f"cell {index} raised"


def _runs() -> list:
    """Every lesson in every language in CI mode; the learner's full mode in one language per
    lesson, in turn (the book's build already runs every notebook in full mode in all three)."""
    languages = list(LANGUAGES)
    runs = []
    for index, lesson in enumerate(LESSONS):
        for language in languages:
            runs.append(pytest.param(lesson, language, True, id=f"{lesson.key}-{language}-ci-mode"))
        full = languages[index % len(languages)]
        runs.append(pytest.param(lesson, full, False, id=f"{lesson.key}-{full}-learner-mode"))
    return runs


@pytest.mark.parametrize("lesson,language,fast", _runs())
def test_notebook_executes(lesson, language: str, fast: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JISR_LANG", raising=False)  # the language must come from the rendered files
    path = write_rendered(lesson, language, "learner", tmp_path / language)
    out = tmp_path / "executed.ipynb"
    papermill.execute_notebook(str(path), str(out), parameters={"fast": fast}, cwd=str(path.parent),
                               kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False)
    nb = nbformat.read(out, as_version=4)
    assert_every_cell_ran(nb)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    texts = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/html", ""))
                      for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    # the notebook speaks the learner's language: its check feedback is translated
    from jisr.i18n import Translator

    not_attempted = Translator.for_package(language).gettext("Not attempted yet")
    assert not_attempted in texts
    if language != "en":
        assert not_attempted != "Not attempted yet"


def test_sys_exit_is_detected(tmp_path: Path) -> None:
    """A notebook that exits early passes papermill but fails our every-cell check."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import sys\nsys.exit(0)"), nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "exit.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(path), str(out), kernel_name="python3", progress_bar=False)
    with pytest.raises(AssertionError, match="did not complete|never ran"):
        assert_every_cell_ran(nbformat.read(out, as_version=4))
