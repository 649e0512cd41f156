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
        lesson.exercise("q9")
