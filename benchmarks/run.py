"""Print the figures that matter to learners and CI: build time, page weight, notebook run time.

    python benchmarks/run.py                  # all figures
    python benchmarks/run.py --quick          # skip the cold build
    python benchmarks/run.py --lessons-only   # only the lessons' cost (--lesson KEY for one)

Figures are printed, never asserted: they are measurements, not tests. Each lesson's cost
in learner mode (wall time with the kernel's start, the kernel's peak memory) is also written
to benchmarks/results/lessons.json, which is committed: the book's lesson headers and course
map read it (jisr.coursemap), so no figure is ever typed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from jisr.book import build
from jisr.coursemap import COSTS_FILE
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


# appended to the notebook: the kernel's own peak resident memory, with the processes it started
_PEAK_CELL = ("import resource as _r\n"
              "print('JISR-PEAK-KB', max(_r.getrusage(_r.RUSAGE_SELF).ru_maxrss, _r.getrusage(_r.RUSAGE_CHILDREN).ru_maxrss))")


def lesson_cost(lesson, language: str, fast: bool) -> dict[str, float]:
    """Run a lesson's learner notebook once; its wall time (kernel start included) and peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        path = write_rendered(lesson, language, "learner", Path(tmp) / language)
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(_PEAK_CELL))
        nbformat.write(nb, path)
        out = Path(tmp) / "out.ipynb"
        start = time.perf_counter()
        papermill.execute_notebook(str(path), str(out), parameters={"fast": fast}, cwd=str(path.parent),
                                   progress_bar=False, kernel_name="python3")
        wall = time.perf_counter() - start
        text = "".join(o.get("text", "") for o in nbformat.read(out, as_version=4).cells[-1].get("outputs", []))
        peak_kb = float(text.split("JISR-PEAK-KB")[1].split()[0])
    return {"wall_s": round(wall, 1), "peak_mb": round(peak_kb / 1024)}


def lesson_costs(keys: list[str] | None, languages: list[str]) -> None:
    """Measure each lesson in learner mode (and CI mode) and merge the figures into COSTS_FILE."""
    import platform
    from datetime import datetime, timezone

    results = json.loads(COSTS_FILE.read_text(encoding="utf-8")) if COSTS_FILE.is_file() else {"lessons": {}}
    for lesson in find_lessons():
        if keys and lesson.key not in keys:
            continue
        for language in languages:
            learner = lesson_cost(lesson, language, fast=False)
            ci = lesson_cost(lesson, language, fast=True)
            print(f"{lesson.key:<36} [{language}] learner mode {learner['wall_s']:6.1f} s {learner['peak_mb']:5d} MB"
                  f" | CI mode {ci['wall_s']:5.1f} s {ci['peak_mb']:5d} MB", flush=True)
            entry = results["lessons"].setdefault(lesson.key, {})
            entry[language] = {"learner": learner, "ci": ci,
                               "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d")}
    results["machine"] = {"cores": os.cpu_count(), "arch": platform.machine(), "python": platform.python_version()}
    COSTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    COSTS_FILE.write_text(json.dumps(results, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {COSTS_FILE}")


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
    parser.add_argument("--lessons-only", action="store_true", help="only measure the lessons and write their costs")
    parser.add_argument("--lesson", action="append", help="lesson key, e.g. fundamentals/what-is-ai (default: all)")
    parser.add_argument("--language", action="append", help="language(s) to measure the lessons in (default: en)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    lesson_costs(args.lesson, args.language or ["en"])
    if args.lessons_only:
        return
    site = build_times(cold=not args.quick)
    weights(site)
    notebook_times()


if __name__ == "__main__":
    main()
