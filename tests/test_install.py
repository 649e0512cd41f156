"""The learner's install: the wheel and what it carries, a light import path,
``jisr lab`` (a work folder that is never overwritten, JupyterLab in the
learner's language) and a notebook opened where jisr is not installed.

Nothing here downloads: the venvs made here see the project venv's third-party
packages through a ``.pth`` line, which does not process that venv's own
``.pth`` files, so the editable ``jisr`` of the checkout stays invisible.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest

from jisr import lab
from jisr.render import render
from jisr.source import find_lessons
from jisr.paths import project_root

ROOT = project_root()
VENV_BIN = Path(sys.executable).parent
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
# what a learner's notebook must never load: the book builder, the grader, the test tools, torch
HEAVY = ("torch", "sphinx", "jupyter_book", "myst_nb", "latex2mathml", "nbgrader", "papermill", "selenium", "psycopg2")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("JISR_LANG", "JISR_ROOT", "JPY_SESSION_NAME", "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", **extra)
    return env


def _venv_without_jisr(folder: Path) -> Path:
    """A venv that sees the project's third-party packages but not jisr; returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "project-packages.pth").write_text(str(SITE_PACKAGES) + "\n")
    return python


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``make wheel`` in a copy of the checkout (the bundle is written there, not in the source tree)."""
    copy = tmp_path_factory.mktemp("checkout")
    for name in ("Makefile", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", "_bundle", "*.egg-info")
    for name in ("src", "courses", "datasets"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    result = subprocess.run(["make", "-s", "wheel", f"BIN={VENV_BIN}", "WHEEL_FLAGS=--no-build-isolation"],
                            cwd=copy, capture_output=True, text=True, env=_clean_env())
    assert result.returncode == 0, result.stdout + result.stderr
    (found,) = (copy / "dist").glob("jisr-*.whl")
    return found


def test_wheel_carries_courses_and_data_but_no_hidden_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    bundle = [n for n in names if n.startswith("jisr/_bundle/")]
    for lesson in ROOT.glob("courses/*/*/lesson.md"):
        key = lesson.parent.relative_to(ROOT).as_posix()
        assert f"jisr/_bundle/{key}/lesson.md" in bundle
        assert f"jisr/_bundle/{key}/exercises.yml" in bundle
        assert {f"jisr/_bundle/{key}/locales/{lang}.po" for lang in ("fr", "ar")} <= set(bundle)
    for data in ROOT.glob("datasets/*.csv"):
        assert f"jisr/_bundle/datasets/{data.name}" in bundle
    assert "jisr/_bundle/datasets/fonts/NotoSansTifinagh-Regular.ttf" in bundle
    assert "jisr/_bundle/courses/glossary.yml" in bundle
    # hidden tests stay with teachers; generators and authors' files stay in the repository
    assert not [n for n in names if n.endswith("grading.yml") or "generate_" in n or "/style/" in n]
    # nor the reference answers of lesson.md: the learner's notebook stays the same without them
    archive = zipfile.ZipFile(wheel)
    assert not [n for n in bundle if b"BEGIN SOLUTION" in archive.read(n)]
    for lesson in find_lessons():
        text = archive.read(f"jisr/_bundle/courses/{lesson.key}/lesson.md").decode("utf-8")
        shipped = dataclasses.replace(lesson, notebook=jupytext.reads(text, fmt="md:myst"))
        assert render(shipped, "fr", "learner") == render(lesson, "fr", "learner")
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    always = [line.split(":", 1)[1].strip().split("==")[0].lower() for line in metadata.splitlines()
              if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert "jupyterlab" in always and "scikit-learn" in always
    assert not {"torch", "jupyter-book", "sphinx", "nbgrader", "psycopg2-binary"} & set(always)


def test_installed_wheel_runs_a_lesson_from_its_bundle(wheel: Path, tmp_path: Path) -> None:
    python = _venv_without_jisr(tmp_path / "venv")
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True, env=_clean_env())
    assert install.returncode == 0, install.stderr
    script = f"""
import json, sys
import jisr
from jisr.paths import project_root
lesson = jisr.start_lesson("fundamentals/what-is-ai", language="ar")
data = jisr.datasets.load("dates_tafilalet")
print(json.dumps({{"file": jisr.__file__, "root": str(project_root()), "rows": len(data),
                   "q1": repr(lesson.exercise("q1")), "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""
    result = subprocess.run([str(python), "-c", script], cwd=tmp_path, capture_output=True, text=True, env=_clean_env())
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["file"].startswith(str(tmp_path / "venv"))
    assert found["root"].endswith("jisr/_bundle")
    assert found["rows"] == 120 and "q1" in found["q1"]
    assert found["heavy"] == []
    # the installed command renders the learner's notebooks from the bundle
    folder = tmp_path / "lessons"
    run = subprocess.run([str(tmp_path / "venv" / "bin" / "jisr"), "lab", "--lang", "fr", "--folder", str(folder), "--dry-run"],
                         cwd=tmp_path, capture_output=True, text=True, env=_clean_env())
    assert run.returncode == 0, run.stderr
    assert (folder / "fundamentals" / "what-is-ai.ipynb").is_file()


def test_the_learner_import_path_stays_light(tmp_path: Path) -> None:
    """Importing jisr, starting a lesson, checking an answer and rendering for jisr lab load none of the heavy tools."""
    script = f"""
import sys
from pathlib import Path
import jisr
from jisr import lab
lesson = jisr.start_lesson("fundamentals/what-is-ai", language="fr")
lesson.exercise("q1").check({{"answer_q1": "b"}})
jisr.datasets.load("dates_tafilalet")
lab.prepare_folder("fr", Path(sys.argv[1]))
print(",".join(m for m in {HEAVY!r} if m in sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "lessons")], cwd=tmp_path,
                            capture_output=True, text=True, env=_clean_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def _changed_course(tmp_path: Path) -> Path:
    """A copy of the course where lesson 1's text changed and a second lesson appeared."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "courses", root / "courses", ignore=shutil.ignore_patterns("grading.yml"))
    shutil.copytree(ROOT / "datasets", root / "datasets")
    lesson = root / "courses" / "fundamentals" / "what-is-ai" / "lesson.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + "\nOne more sentence for the update.\n", encoding="utf-8")
    second = root / "courses" / "fundamentals" / "what-is-ai-2"
    shutil.copytree(lesson.parent, second)
    text = (second / "lesson.md").read_text(encoding="utf-8")
    (second / "lesson.md").write_text(text.replace("id: what-is-ai\n", "id: what-is-ai-2\n", 1), encoding="utf-8")
    return root


def test_jisr_lab_never_overwrites_a_learners_notebook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "lessons"
    first = lab.prepare_folder("ar", folder)
    from jisr.source import find_lessons

    assert [w.status for w in first] == [lab.NEW] * len(find_lessons())  # every lesson, once
    notebook = folder / "fundamentals" / "what-is-ai.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    assert nb.metadata["jisr"]["lang"] == "ar"
    nb.cells.append(nbformat.v4.new_code_cell("my_answer = 42  # the learner's work"))
    nbformat.write(nb, notebook)
    edited = notebook.read_bytes()

    again = lab.prepare_folder("ar", folder)
    assert {w.status for w in again} == {lab.KEPT} and len(again) == len(first)
    assert notebook.read_bytes() == edited

    # the course is updated: lesson 1 changed, a lesson was added
    monkeypatch.setenv("JISR_ROOT", str(_changed_course(tmp_path)))
    update = {w.lesson: w for w in lab.prepare_folder("ar", folder)}
    assert notebook.read_bytes() == edited
    beside = update["fundamentals/what-is-ai"]
    assert beside.status == lab.UPDATED_BESIDE and beside.kept == notebook
    assert beside.path.parent == notebook.parent and beside.path != notebook
    new_version = nbformat.read(beside.path, as_version=4)
    assert "what-is-ai.ipynb" in new_version.cells[0].source and 'dir="rtl"' in new_version.cells[0].source
    assert any("One more sentence" in c.source for c in new_version.cells)
    assert update["fundamentals/what-is-ai-2"].status == lab.NEW
    assert (folder / "fundamentals" / "what-is-ai-2.ipynb").is_file()
    # a third run with the same course writes nothing more
    files = sorted(folder.rglob("*.ipynb"))
    assert {w.status for w in lab.prepare_folder("ar", folder)} == {lab.KEPT}
    assert sorted(folder.rglob("*.ipynb")) == files


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read().decode("utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("language, locale", [("ar", "ar_SA"), ("fr", "fr_FR")])
def test_jisr_lab_starts_jupyterlab_in_the_learners_language(tmp_path: Path, language: str, locale: str) -> None:
    port, token, folder = _free_port(), "jisr-test-token", tmp_path / "lessons"
    env = _clean_env(JUPYTER_TOKEN=token, JUPYTER_CONFIG_DIR=str(tmp_path / ".jupyter"),
                     JUPYTER_RUNTIME_DIR=str(tmp_path / ".runtime"), JUPYTER_DATA_DIR=str(tmp_path / ".data"))
    command = [str(VENV_BIN / "jisr"), "lab", "--lang", language, "--folder", str(folder), "--no-browser", "--port", str(port)]
    server = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
            try:
                _get(url + "/api/status", token)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("JupyterLab did not answer on 127.0.0.1")
        packs = _get(url + "/lab/api/translations/", token)["data"]
        assert locale in packs, f"language pack {locale} missing: {sorted(packs)}"
        settings = _get(url + "/lab/api/settings/@jupyterlab/translation-extension:plugin", token)
        assert settings["settings"]["locale"] == locale
        # offline: no pop-up asking to fetch Jupyter's news
        news = _get(url + "/lab/api/settings/@jupyterlab/apputils-extension:notification", token)
        assert news["settings"]["fetchNews"] == "false"
        strings = _get(url + f"/lab/api/translations/{locale}", token)["data"]
        assert strings, f"JupyterLab has no {locale} strings"
        listing = _get(url + "/api/contents/fundamentals", token)
        assert "what-is-ai.ipynb" in {item["name"] for item in listing["content"]}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


@pytest.mark.slow
@pytest.mark.parametrize("language, words", [("ar", "py -m jisr lab --lang ar"), ("fr", "py -m jisr lab --lang fr"), ("en", "not installed")])
def test_a_notebook_without_jisr_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, words: str) -> None:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from jisr.i18n import Translator
    from jisr.notebook_guard import missing_message

    python = _venv_without_jisr(tmp_path / "venv")
    kernels = tmp_path / "share" / "jupyter" / "kernels" / "nojisr"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python without jisr", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    for name in ("PYTHONPATH", "JISR_ROOT", "JISR_LANG"):
        monkeypatch.delenv(name, raising=False)
    lab.prepare_folder(language, tmp_path / "lessons")
    nb = nbformat.read(tmp_path / "lessons" / "fundamentals" / "what-is-ai.ipynb", as_version=4)
    guarded = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "import jisr" in c.source)
    client = NotebookClient(nb, kernel_name="nojisr", timeout=120, resources={"metadata": {"path": str(tmp_path)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    (error,) = nb.cells[guarded].outputs
    shown = "\n".join(error["traceback"])
    expected = missing_message(Translator.for_package(language), language)
    assert shown == "\n".join(expected)
    assert words in shown
    assert "Traceback" not in shown and "ModuleNotFoundError" not in shown and "File " not in shown
    if language != "en":
        assert shown != "\n".join(missing_message(Translator("en"), language)), "the message is not translated"
    # "Run all" stops there: no later cell ran into a NameError
    assert all(not c.get("outputs") for c in nb.cells[guarded + 1:] if c.cell_type == "code")
