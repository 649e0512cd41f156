"""The offline kit (``jisr kit``): one zip, unpacked in a temporary folder, works with no connection.

- its pages open in headless Chromium from plain files (file://) and from a local server, in
  each language, and no request leaves the machine (every request Chromium made is listed and
  checked; host names cannot even resolve);
- a lesson notebook from the kit runs with the kit's own ``jisr`` (its wheel installed in a new
  venv, not the checkout's) in a network namespace with no network (bubblewrap ``--unshare-net``),
  and a passed self-check is noted in the notebook folder.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from conftest import chromium_options, requests_made
from jisr.languages import LANGUAGES
from jisr.offline import progress
from jisr.offline.kit import KIT_FOLDER, START_PAGE, build_kit, offsite_loads
from jisr.source import find_lessons

SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
LESSON = "fundamentals/what-is-ai"


@pytest.fixture(scope="module")
def kit(site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kit built from the session's site (the learner's wheel built now), unpacked; returns its folder."""
    work = tmp_path_factory.mktemp("kit")
    started = time.perf_counter()
    archive = build_kit(work / "jisr-offline.zip", site=site, progress=lambda text: None)
    size = archive.stat().st_size
    unpacked = work / "unpacked"
    with zipfile.ZipFile(archive) as z:
        z.extractall(unpacked)
        uncompressed = sum(info.file_size for info in z.infolist())
    print(f"\noffline kit: {size / 1e6:.1f} MB zipped, {uncompressed / 1e6:.1f} MB unpacked, "
          f"built in {time.perf_counter() - started:.0f} s")
    return unpacked / KIT_FOLDER


def test_the_kit_holds_the_book_notebooks_data_and_package(kit: Path, site: Path) -> None:
    for language in LANGUAGES:
        assert (kit / "book" / language / "intro.html").is_file()
        built = sorted(p.relative_to(site).as_posix() for p in site.glob(f"{language}/*/*.html"))
        assert f"{language}/{LESSON}.html" in built
        assert built == sorted(p.relative_to(kit / "book").as_posix() for p in (kit / "book").glob(f"{language}/*/*.html"))
        for lesson in find_lessons():
            notebook = nbformat.read(kit / "notebooks" / language / f"{lesson.key}.ipynb", as_version=4)
            assert notebook.metadata["jisr"]["lang"] == language
    assert (kit / "book" / "index.html").is_file()
    for csv in Path(__file__).resolve().parent.parent.glob("datasets/*.csv"):
        assert (kit / "data" / csv.name).is_file()
    assert (kit / "data" / "dates_tafilalet.md").is_file()  # its datasheet
    (wheel,) = (kit / "python").glob("jisr-*.whl")
    requirements = (kit / "python" / "requirements.txt").read_text(encoding="utf-8")
    assert "scikit-learn==" in requirements and "jupyterlab==" in requirements and "torch" not in requirements
    # no hidden test, no reference answer, no precompressed copy or developer's source map
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.endswith("grading.yml")]
    assert not [p for p in kit.rglob("*") if p.suffix in (".gz", ".br", ".map") or p.name == "grading.yml"]
    assert offsite_loads(kit / "book") == []
    # the start page: three languages, Arabic right to left, the real wheel's name, honest about the connection
    start = (kit / START_PAGE).read_text(encoding="utf-8")
    for language, info in LANGUAGES.items():
        assert f'<section id="{language}" lang="{language}" dir="{info.direction}">' in start
    assert start.count(wheel.name) >= 6 and "http.server" in start
    assert "<script" not in start and "http://127.0.0.1:8000/" in start
    for language in LANGUAGES:
        assert f'<a href="book/{language}/intro.html">' in start and (kit / "book" / language / "intro.html").is_file()


@pytest.fixture(scope="module")
def offline_browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Headless Chromium that cannot resolve any host name but the loopback address."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = chromium_options(390, 844, tmp_path_factory.mktemp("chromium-offline"))
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    yield driver
    driver.quit()


def _open_every_language(driver, base: str) -> list[str]:
    """Open the start page, the book's landing page and lesson 1 in each language; return every request."""
    driver.get_log("performance")  # forget earlier pages
    pages = []
    if base.startswith("file:"):
        driver.get(base + "/" + START_PAGE)
        assert driver.find_element("css selector", "section#ar").get_attribute("dir") == "rtl"
        base += "/book"
    driver.get(base + "/index.html")
    assert driver.find_elements("css selector", 'a[href^="ar/"]'), "the landing page has no way to the Arabic book"
    for language, info in LANGUAGES.items():
        driver.get(f"{base}/{language}/{LESSON}.html")
        html = driver.find_element("tag name", "html")
        assert html.get_attribute("lang") == language and html.get_attribute("dir") == info.direction
        title = driver.find_element("css selector", "article h1").text
        assert title.strip(), f"{language}: the lesson page shows no title"
        # the page's own stylesheet applied (a missing file would leave the browser's default serif body)
        primary = "return getComputedStyle(document.documentElement).getPropertyValue('--pst-color-primary')"
        assert driver.execute_script(primary).strip(), f"{language}: the theme's stylesheet did not load"
        # progress.js ran (its storage works here): the lesson's progress box is on the page
        WebDriverWait(driver, 30).until(lambda d: d.find_elements("css selector", "aside.jisr-progress-lesson"))
        pages.append(language)
    assert pages == list(LANGUAGES)
    return requests_made(driver)


def test_the_book_opens_from_plain_files_with_nothing_leaving_the_machine(kit: Path, offline_browser) -> None:
    requests = _open_every_language(offline_browser, kit.as_uri())
    assert requests, "Chromium's request log is empty: the check would prove nothing"
    # the book's search answers from plain files too
    offline_browser.get((kit / "book" / "ar" / "search.html").as_uri() + "?q=" + "نموذج")
    WebDriverWait(offline_browser, 60).until(lambda d: d.find_elements("css selector", "#search-results li a"))
    requests += requests_made(offline_browser)
    away = [url for url in requests if urlparse(url).scheme not in ("file", "data", "blob", "chrome")]
    assert away == [], f"requests that leave the files: {away}"
    broken = [url for url in requests if urlparse(url).scheme == "file" and not Path(urlparse(url).path).exists()]
    assert broken == [], f"files the pages ask for but the kit lacks: {broken}"


def test_the_book_opens_from_a_local_server_with_nothing_leaving_the_machine(kit: Path, offline_browser) -> None:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    # what START-HERE.html tells the learner to run: python -m http.server --directory book
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(kit / "book")))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        requests = _open_every_language(offline_browser, base)
    finally:
        httpd.shutdown()
    assert requests
    away = [url for url in requests if urlparse(url).scheme not in ("data", "blob", "chrome") and not url.startswith(base + "/")]
    assert away == [], f"requests to another address than the local server: {away}"


def _venv_with_kit_wheel(kit: Path, folder: Path) -> Path:
    """A new venv with only the kit's jisr installed (no index, no network); third-party packages
    come from the project venv through a .pth line, which does not reach the checkout's editable jisr."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "project-packages.pth").write_text(str(SITE_PACKAGES) + "\n")
    (wheel,) = (kit / "python").glob("jisr-*.whl")
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    return python


RUN_NOTEBOOK = """
import sys, papermill
papermill.execute_notebook(sys.argv[1], sys.argv[2], parameters={"fast": True}, cwd=sys.argv[3],
                           kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False)
"""


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is installed by make system-deps")
def test_a_kit_notebook_runs_with_the_kits_jisr_and_no_network(kit: Path, tmp_path: Path) -> None:
    python = _venv_with_kit_wheel(kit, tmp_path / "venv")
    folder = kit / "notebooks" / "fr" / "fundamentals"
    notebook = nbformat.read(folder / "what-is-ai.ipynb", as_version=4)
    # the learner answers q1 and checks it; then the notebook says which jisr it ran and whether the network is there
    notebook.cells.append(nbformat.v4.new_code_cell('answer_q1 = "b"\nq1.check()'))
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json, socket, sys\n"
        "s = socket.socket(); s.settimeout(3)\n"
        "print(json.dumps({'jisr': jisr.__file__, 'python': sys.executable, 'net': s.connect_ex(('8.8.8.8', 53))}))"))
    nbformat.write(notebook, folder / "answered.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("JISR_LANG", "JISR_ROOT", "PYTHONPATH", "VIRTUAL_ENV", "JPY_SESSION_NAME")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"), JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               JUPYTER_PATH=str(tmp_path / "no-kernels"))  # the kernel is the kit venv's own python
    out = tmp_path / "executed.ipynb"
    run = subprocess.run(["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--",
                          str(python), "-c", RUN_NOTEBOOK, str(folder / "answered.ipynb"), str(out), str(folder)],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    executed = nbformat.read(out, as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    said = json.loads(executed.cells[-1].outputs[0]["text"])
    assert said["jisr"].startswith(str(tmp_path / "venv")), said
    assert said["python"].startswith(str(tmp_path / "venv")), said
    assert said["net"] != 0, "the notebook could reach the network: the test would prove nothing"
    # the self-check passed in French, and the notebook folder now says so
    feedback = "".join(str(o.get("data", {}).get("text/html", "")) + o.get("text", "") for o in executed.cells[-2].outputs)
    from jisr.i18n import Translator

    assert Translator.for_package("fr").gettext("Correct") in feedback, feedback[:500]
    assert progress.passed(LESSON, folder) == ["q1"]


def test_a_page_that_loads_from_another_site_is_found(tmp_path: Path) -> None:
    (tmp_path / "ok.html").write_text('<a href="https://www.hcp.ma/">source</a><script src="_static/jisr.js"></script>')
    (tmp_path / "cdn.html").write_text('<script defer src="https://unpkg.com/thebe@0.8.2/lib/index.js"></script>')
    (tmp_path / "font.css").write_text("@font-face { src: url(//fonts.example.org/a.woff2) }")
    (tmp_path / "style.html").write_text('<link href="https://cdn.example.org/x.css" rel="stylesheet">')
    found = offsite_loads(tmp_path)
    assert sorted(line.split(":")[0] for line in found) == ["cdn.html", "font.css", "style.html"]


def test_jisr_kit_without_a_built_book_says_what_to_do_in_the_learners_language(tmp_path: Path) -> None:
    from jisr.i18n import Translator

    env = {**os.environ, "JISR_LANG": "ar"}
    done = subprocess.run([str(Path(sys.executable).parent / "jisr"), "kit", "--site", str(tmp_path / "nothing"),
                           "--output", str(tmp_path / "kit.zip")], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    expected = Translator.for_package("ar").gettext("No built book in {path}: run `jisr build` (or `make book`) first.")
    assert expected.format(path=tmp_path / "nothing") in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "kit.zip").exists()


def test_a_teachers_wheelhouse_ships_in_the_kit(tmp_path: Path) -> None:
    """--wheelhouse: the wheels a teacher downloaded for the learners' system go to python/wheels."""
    from jisr.offline.kit import KitError, copy_python

    wheel = tmp_path / "jisr-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("jisr-0.1.0.dist-info/METADATA", "Name: jisr\nRequires-Dist: numpy==2.4.6\n"
                   "Requires-Dist: torch==2.13.0; extra == \"designer\"\n")
    house = tmp_path / "house"
    house.mkdir()
    with pytest.raises(KitError, match="No wheel"):
        copy_python(tmp_path / "kit-empty", wheel, house)
    (house / "numpy-2.4.6-cp311-cp311-win_amd64.whl").write_bytes(b"wheel")
    target = copy_python(tmp_path / "kit", wheel, house)
    assert sorted(p.name for p in (target / "wheels").iterdir()) == ["numpy-2.4.6-cp311-cp311-win_amd64.whl"]
    lines = [line for line in (target / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines == ["numpy==2.4.6"]  # the learner's install only: no extra
