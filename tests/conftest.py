"""Shared fixtures: the built site, a served copy of it, and a headless Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="session")
def tool_env() -> dict[str, str]:
    """Environment for nbgrader/jupyter subprocesses: the venv's tools first, one BLAS thread."""
    env = {k: v for k, v in os.environ.items() if k not in ("JISR_LANG", "JPY_SESSION_NAME")}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


@pytest.fixture(scope="session")
def site() -> Path:
    """The book, built once per test session (the notebook cache keeps it quick)."""
    from jisr.book import build

    return build(progress=lambda text: None)


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """Serve the site on a free loopback port; yield its base URL."""

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def chromium_options(width: int, height: int, user_dir: Path):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-extensions", f"--user-data-dir={user_dir}",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return options


@pytest.fixture(scope="session")
def browser_factory(tmp_path_factory: pytest.TempPathFactory):
    """Start real headless Chromium windows (desktop or phone size)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(width: int = 1200, height: int = 900):
        service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
        driver = webdriver.Chrome(service=service, options=chromium_options(width, height, tmp_path_factory.mktemp("chromium")))
        drivers.append(driver)
        return driver

    yield start
    for driver in drivers:
        driver.quit()
