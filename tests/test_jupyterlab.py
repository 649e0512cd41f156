"""The Arabic notebook in a real JupyterLab, in a real Chromium: text right-to-left,
code left-to-right, and the check's feedback in Arabic."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from jisr.paths import build_dir
from jisr.render import write_rendered
from jisr.source import find_lessons

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def jupyterlab(tmp_path: Path, tool_env: dict[str, str]):
    lesson = find_lessons()[0]
    path = write_rendered(lesson, "ar", "learner", tmp_path / "ar")
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
               f"--ServerApp.root_dir={tmp_path}", "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root"]
    env = {**tool_env, "JUPYTER_CONFIG_DIR": str(tmp_path / ".jupyter"), "JUPYTER_RUNTIME_DIR": str(tmp_path / ".runtime")}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/api/status", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        raise AssertionError("JupyterLab did not start")
    yield url, path.relative_to(tmp_path).as_posix()
    server.terminate()
    server.wait(timeout=20)


def test_arabic_notebook_in_jupyterlab(jupyterlab, browser_factory) -> None:
    url, notebook = jupyterlab
    driver = browser_factory(1200, 900)
    driver.get(f"{url}/lab/tree/{notebook}")
    rtl = ".jp-MarkdownCell .jp-RenderedMarkdown div[dir='rtl'] p"
    # JupyterLab renders cells progressively: wait for more than the first few, rather than race them
    WebDriverWait(driver, 60).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rtl)) > 5,
                                    "fewer than 6 right-to-left paragraphs rendered in JupyterLab")
    paragraphs = driver.find_elements(By.CSS_SELECTOR, rtl)
    for paragraph in paragraphs[:8]:
        assert paragraph.value_of_css_property("direction") == "rtl"
        assert paragraph.value_of_css_property("text-align") == "right"
        assert any("\u0600" <= ch <= "\u06ff" for ch in paragraph.text)
    bold = driver.find_elements(By.CSS_SELECTOR, ".jp-MarkdownCell div[dir='rtl'] p strong")
    assert bold, "markdown inside the right-to-left paragraphs must still render"
    code = driver.find_element(By.CSS_SELECTOR, ".jp-CodeCell .cm-content")
    assert code.value_of_css_property("direction") == "ltr"
    # the settings and set-up cells are collapsed: the learner runs them without reading machinery
    WebDriverWait(driver, 30).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".jp-CodeCell")) > 4)
    cells = driver.find_elements(By.CSS_SELECTOR, ".jp-CodeCell")
    first_two = [cell.find_elements(By.CSS_SELECTOR, ".jp-InputPlaceholder") for cell in cells[:2]]
    assert all(first_two), "the parameters and set-up cells should show a collapsed placeholder"
    shown = " ".join(c.text for c in driver.find_elements(By.CSS_SELECTOR, ".jp-CodeCell .cm-content") if c.is_displayed())
    assert "start_lesson(" not in shown and "lesson.tr" not in shown
    shots = build_dir() / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(shots / "ar-jupyterlab.png"))
