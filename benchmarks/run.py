"""Print the figures that matter to learners and CI: build time, page weight, notebook run time.

    python benchmarks/run.py            # all figures
    python benchmarks/run.py --quick    # skip the cold build

Figures are printed, never asserted: they are measurements, not tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from jisr.book import build
from jisr.languages import LANGUAGES
from jisr.paths import build_dir
from jisr.render import write_rendered
from jisr.source import find_lessons


def timed(label: str, func):
    start = time.perf_counter()
    result = func()
    print(f"{label:<44} {time.perf_counter() - start:8.1f} s", flush=True)
    return result


def build_times(cold: bool) -> Path:
    if cold:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["JISR_BUILD"] = tmp
            timed("book build, cold (3 languages, empty cache)", lambda: build(progress=lambda s: None))
            timed("book build, warm (nothing changed)", lambda: build(progress=lambda s: None))
            del os.environ["JISR_BUILD"]
    return timed("book build, warm (project _build/)", lambda: build(progress=lambda s: None))


def _served(site: Path):
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def weights(site: Path) -> None:
    """What a first visit downloads, as Chromium requests it; sizes raw and gzip-compressed."""
    import gzip
    import re
    from urllib.parse import urlparse

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import chromium_options
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    lesson = find_lessons()[0]
    page = f"{lesson.meta['part']}/{lesson.meta['id']}.html"
    httpd = _served(site)
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    with tempfile.TemporaryDirectory() as profile:
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=chromium_options(390, 844, Path(profile)))
        try:
            for language in LANGUAGES:
                driver.get(f"{base}/{language}/{page}")
                time.sleep(1.5)
                urls = driver.execute_script("return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name))")
                raw = packed = 0
                for url in dict.fromkeys(urls):
                    path = site / urlparse(url).path.lstrip("/")
                    if path.is_dir():
                        path = path / "index.html"
                    if not path.is_file():
                        print(f"  404: {url}")
                        continue
                    data = path.read_bytes()
                    raw += len(data)
                    packed += len(data) if path.suffix in (".woff2", ".png") else len(gzip.compress(data, 6))
                print(f"lesson page, first visit on a phone [{language}]   {raw / 1024:7.0f} KiB raw, {packed / 1024:5.0f} KiB gzip, {len(set(urls))} requests")
        finally:
            driver.quit()
            httpd.shutdown()
    # no widget renderer any more: the sliders' precomputed predictions travel inside the page
    html_text = (site / "en" / page).read_text(encoding="utf-8")
    data = re.findall(r'data-jisr-interactive="([^"]*)"', html_text)
    print(f"kernel-free sliders' data, inside the page       {sum(len(gzip.compress(d.encode())) for d in data) / 1024:5.1f} KiB gzip")


def notebook_times() -> None:
    for lesson in find_lessons():
        for language in LANGUAGES:
            for fast in (True, False):
                with tempfile.TemporaryDirectory() as tmp:
                    path = write_rendered(lesson, language, "learner", Path(tmp) / language)
                    out = Path(tmp) / "out.ipynb"
                    start = time.perf_counter()
                    papermill.execute_notebook(str(path), str(out), parameters={"fast": fast}, cwd=str(path.parent),
                                               progress_bar=False, kernel_name="python3")
                    wall = time.perf_counter() - start
                    nb = nbformat.read(out, as_version=4)
                    report = next((o.get("data", {}).get("text/plain", o.get("text", "")) for c in nb.cells
                                   for o in c.get("outputs", []) if "cost_report" in c.source), "")
                    mode = "CI mode" if fast else "learner mode"
                    print(f"{lesson.key} [{language}] {mode:<12} {wall:6.1f} s with kernel start | {str(report).strip()[:140]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the cold build")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    site = build_times(cold=not args.quick)
    weights(site)
    notebook_times()


if __name__ == "__main__":
    main()
