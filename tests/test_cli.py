"""The command line: real subprocesses, messages in the user's language, non-zero on failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def jisr(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JISR_LANG": lang}
    return subprocess.run([sys.executable, "-m", "jisr.cli", *args], capture_output=True, text=True, env=env, timeout=300)


def test_render_writes_one_notebook_per_language(tmp_path: Path) -> None:
    result = jisr("render", "--target", "learner", "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for language in ("en", "fr", "ar"):
        path = tmp_path / language / "fundamentals" / "what-is-ai.ipynb"
        assert json.loads(path.read_text(encoding="utf-8"))["metadata"]["jisr"]["lang"] == language
        assert (tmp_path / language / "jisr-lang.txt").read_text() == language


def test_course_speaks_arabic(tmp_path: Path) -> None:
    result = jisr("course", "ar", "--output", str(tmp_path), lang="ar")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ar" / "source" / "what-is-ai" / "what-is-ai.ipynb").is_file()
    assert (tmp_path / "ar" / "nbgrader_config.py").read_text().count('course_id = "jisr-ar"') == 1
    assert any("\u0600" <= ch <= "\u06ff" for ch in result.stdout)


def test_unknown_language_is_refused_clearly() -> None:
    result = jisr("render", "xx", lang="fr")
    assert result.returncode == 2
    assert "Langue inconnue : xx" in result.stderr


def test_serve_without_a_build_says_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "JISR_LANG": "fr", "JISR_BUILD": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "jisr.cli", "serve"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "make book" in result.stderr
