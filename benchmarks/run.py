"""Print the figures that matter to learners and CI: build time, page weight, notebook run time.

    python benchmarks/run.py            # all figures
    python benchmarks/run.py --quick    # skip the cold build

Figures are printed, never asserted: they are measurements, not tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import papermill

from jisr.book import build, page_weight
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


def weights(site: Path) -> None:
    lesson = find_lessons()[0]
    page = f"{lesson.meta['part']}/{lesson.meta['id']}.html"
    for language in LANGUAGES:
        w = page_weight(site, site / language / page)
        print(f"lesson page weight [{language}]{'':<24} {w['bytes'] / 1024:8.0f} KiB raw, {w['gzip_bytes'] / 1024:6.0f} KiB gzip, {w['files']} files")
    original = build_dir() / "books" / "en" / "_build" / "html" / page
    w = page_weight(original.parent.parent, original)
    print(f"same page before Jisr's post-processing [en]   {w['bytes'] / 1024:8.0f} KiB raw, {w['gzip_bytes'] / 1024:6.0f} KiB gzip, {w['files']} files")
    widgets = site / "assets" / "widgets" / "embed.js"
    import gzip

    print(f"widget renderer, loaded only on request          {len(gzip.compress(widgets.read_bytes())) / 1024:6.0f} KiB gzip")


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
