"""What a lesson's set-up cell does: one BLAS thread, a cost meter, translated helpers."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_start_lesson_pins_one_thread_and_reports_cost() -> None:
    code = (
        "import numpy, jisr\n"
        "from threadpoolctl import threadpool_info\n"
        "lesson = jisr.start_lesson('fundamentals/what-is-ai', language='fr')\n"
        "print(sorted({p['num_threads'] for p in threadpool_info()}))\n"
        "print(lesson.cost_report())\n"
        "print(lesson.cost_report()._repr_html_())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "[1]"
    assert "Mo" in lines[1] or "MB" in lines[1]
    assert "lang='fr' dir='ltr'" in lines[2]


def test_unknown_lesson_and_exercise_are_named() -> None:
    import jisr

    with pytest.raises(ValueError, match="no-such-lesson"):
        jisr.start_lesson("fundamentals/no-such-lesson")
    lesson = jisr.start_lesson("fundamentals/what-is-ai", language="en")
    with pytest.raises(KeyError, match="q1"):  # the message lists the exercises that exist
        lesson.exercise("q99")


# --------------------------------------------------------------------------- real kernels (issue 8)

import json
import os
import re
import shutil
from pathlib import Path

import nbformat

ARABIC = re.compile(r"[\u0600-\u06ff]")


class Kernel:
    """A real IPython kernel, driven cell by cell as JupyterLab would."""

    def __init__(self, cwd: Path) -> None:
        from jupyter_client.manager import start_new_kernel

        env = {k: v for k, v in os.environ.items() if k not in ("JISR_LANG", "JPY_SESSION_NAME")}
        self.manager, self.client = start_new_kernel(kernel_name="python3", startup_timeout=180, env=env, cwd=str(cwd))

    def run(self, code: str) -> tuple[str, str | None]:
        """Run one cell; return its text output and the error name, if it failed."""
        texts: list[str] = []
        error: list[str] = []

        def hook(msg: dict) -> None:
            content = msg["content"]
            if msg["msg_type"] == "stream":
                texts.append(content["text"])
            elif msg["msg_type"] in ("execute_result", "display_data"):
                texts.append(content["data"].get("text/plain", ""))
            elif msg["msg_type"] == "error":
                error.append(content["ename"])
                texts.append("\n".join(content["traceback"]))

        self.client.execute_interactive(code, timeout=300, output_hook=hook)
        return "".join(texts), (error[0] if error else None)

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


def graded_function(key: str = "fundamentals/what-is-ai") -> tuple[str, str]:
    from jisr.source import lesson_by_key

    lesson = lesson_by_key(key)
    return next((qid, spec["target"]) for qid, spec in lesson.exercises.items() if spec.get("graded") and spec["kind"] == "function")


@pytest.mark.slow
def test_a_check_judges_the_answer_as_it_is_now_and_stops_endless_loops(tmp_path: Path) -> None:
    qid, name = graded_function()
    kernel = Kernel(tmp_path)
    try:
        assert kernel.run(f"import jisr\nlesson = jisr.start_lesson('fundamentals/what-is-ai', language='en')\n{qid} = lesson.exercise('{qid}')")[1] is None
        good = f"def {name}(y_true, y_pred):\n    return sum(a == b for a, b in zip(y_true, y_pred)) / len(y_true)\n"
        assert kernel.run(good)[1] is None
        assert "Correct" in kernel.run(f"{qid}.check()")[0]
        # a SyntaxError in the cell that defines the answer: the old, correct function is not judged
        assert kernel.run(f"def {name}(y_true, y_pred)\n    return 1.0\n")[1] == "SyntaxError"
        text, error = kernel.run(f"{qid}.check()")
        assert error is None and f"The cell where you define `{name}` stopped with an error" in text and "Correct" not in text
        # an error while it runs counts too; a cell that only uses the name does not
        assert kernel.run(f"def {name}(y_true, y_pred):\n    return 1.0\nundefined_name\n")[1] == "NameError"
        assert kernel.run(f"print({name})")[1] is None
        assert "stopped with an error" in kernel.run(f"{qid}.check()")[0]
        # fixed and run again: judged again
        assert kernel.run(good)[1] is None
        assert "Correct" in kernel.run(f"{qid}.check()")[0]
        # a loop that never ends: stopped with a kind message, and the kernel lives on
        assert kernel.run(f"def {name}(y_true, y_pred):\n    while True:\n        pass\n")[1] is None
        text, error = kernel.run(f"{qid}.check()")
        assert error is None and "I stopped your function after" in text
        assert kernel.run("print(6 * 7)")[0].strip() == "42"
        # a typo in a name: one line in the notebook's language, no traceback
        text, error = kernel.run("lesson.exercise('q99')")
        assert error == "UnknownExercise" and "This lesson has no exercise 'q99'" in text and "Traceback" not in text
        assert len(text.splitlines()) == 1
    finally:
        kernel.stop()


def lone_arabic_notebook(folder: Path, declare: bool = True) -> Path:
    """The Arabic learner notebook's set-up, alone in a folder with no language marker."""
    from jisr.render import machinery, render
    from jisr.source import lesson_by_key

    lesson = lesson_by_key("fundamentals/what-is-ai")
    nb = render(lesson, "ar", "learner")
    cells = [c for c in nb.cells if c.cell_type == "code" and machinery(c) in ("parameters", "setup")]
    if not declare:
        for cell in cells:
            cell.source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("lang = "))
    qid = next(iter(lesson.exercises))
    cells += [nbformat.v4.new_code_cell(f"lesson.exercise({qid!r}).check()"), nbformat.v4.new_code_cell("lesson.cost_report()")]
    nb.cells = cells
    folder.mkdir(parents=True)
    path = folder / "lesson.ipynb"
    nbformat.write(nb, path)
    assert not list(folder.glob("jisr-lang.txt")) and not (folder.parent / "jisr-lang.txt").exists()
    return path


def printed(path: Path) -> tuple[str, str]:
    """The text outputs of the last two cells (the check, the cost report)."""
    nb = nbformat.read(path, as_version=4)
    outs = []
    for cell in nb.cells[-2:]:
        outs.append("".join(o.get("data", {}).get("text/plain", "") + o.get("text", "") for o in cell.outputs))
    return outs[0], outs[1]


@pytest.mark.slow
def test_the_notebooks_own_language_decides_under_papermill_and_nbconvert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import papermill

    monkeypatch.delenv("JISR_LANG", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    # papermill, with a parameter injected as CI does
    source = lone_arabic_notebook(tmp_path / "papermill")
    out = tmp_path / "papermill" / "out.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"fast": True}, cwd=str(source.parent),
                               kernel_name="python3", progress_bar=False)
    check, cost = printed(out)
    assert ARABIC.search(check), check
    assert "ثانية" in cost and re.search(r"\d+,\d", cost) and not re.search(r"\d+\.\d", cost), cost
    # nbconvert, from another working folder
    source = lone_arabic_notebook(tmp_path / "nbconvert")
    env = {k: v for k, v in os.environ.items() if k not in ("JISR_LANG", "JPY_SESSION_NAME")}
    jupyter = Path(sys.executable).with_name("jupyter")
    result = subprocess.run([str(jupyter), "nbconvert", "--to", "notebook", "--execute", "--output", "out.ipynb", str(source)],
                            capture_output=True, text=True, timeout=600, env=env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    check, cost = printed(source.parent / "out.ipynb")
    assert ARABIC.search(check) and "ثانية" in cost, (check, cost)
    # the control: without its `lang` setting the same notebook falls back to English
    source = lone_arabic_notebook(tmp_path / "control", declare=False)
    out = source.parent / "out.ipynb"
    papermill.execute_notebook(str(source), str(out), cwd=str(source.parent), kernel_name="python3", progress_bar=False)
    check, cost = printed(out)
    assert not ARABIC.search(check + cost) and "This notebook ran for" in cost


@pytest.mark.slow
def test_a_letter_without_quotes_and_a_half_written_function_in_a_real_kernel(tmp_path: Path) -> None:
    """Issue 8 (E1, E2), as a learner meets them in JupyterLab, in French."""
    from jisr.i18n import Translator
    from jisr.source import lesson_by_key

    lesson = lesson_by_key("fundamentals/what-is-ai")
    choice = next(qid for qid, spec in lesson.exercises.items() if spec["kind"] == "choice")
    target = lesson.exercises[choice]["target"]
    qid, name = graded_function()
    fr = Translator.for_package("fr")
    kernel = Kernel(tmp_path)
    try:
        assert kernel.run(f"import jisr\nlesson = jisr.start_lesson('fundamentals/what-is-ai', language='fr')\n"
                          f"{choice} = lesson.exercise('{choice}')\n{qid} = lesson.exercise('{qid}')")[1] is None
        assert kernel.run(f"{target} = a")[1] == "NameError"
        text = kernel.run(f"{choice}.check()")[0]
        assert fr.gettext('Letters are text for Python: put your letter between quotes, like "a", not a.') in text, text
        partial = (f"def {name}(y_true, y_pred):\n    correct = 0\n    for t, p in zip(y_true, y_pred):\n"
                   "        if t == p:\n            correct = correct + 1\n    raise NotImplementedError()\n")
        assert kernel.run(partial)[1] is None
        text = kernel.run(f"{qid}.check()")[0]
        assert "raise NotImplementedError()" in text and fr.gettext(
            "You have not written this function yet: replace `raise NotImplementedError()` with your code.") not in text, text
    finally:
        kernel.stop()
