"""The built site in a real headless Chromium: every language, desktop and phone.

Screenshots are kept in _build/screenshots/ for review.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from jisr.languages import LANGUAGES
from jisr.paths import build_dir
from jisr.render import lesson_translator
from jisr.source import find_lessons

pytestmark = pytest.mark.slow
LESSON = find_lessons()[0]
PAGE = f"{LESSON.meta['part']}/{LESSON.meta['id']}.html"
SHOTS = build_dir() / "screenshots"


def requests_made(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def missing(urls: list[str], site) -> list[str]:
    """Requests the site cannot answer (a 404 costs a phone a round trip for nothing)."""
    found = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme in ("http", "https") and parsed.hostname == "127.0.0.1":
            path = site / parsed.path.lstrip("/")
            if not (path.is_file() or (path / "index.html").is_file()):
                found.append(url)
    return found


def off_site(urls: list[str]) -> list[str]:
    return [u for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss") and urlparse(u).hostname != "127.0.0.1"]


def _title(driver) -> str:
    # Sphinx typesets apostrophes (' becomes ’): compare the words, not the typography
    return driver.find_element(By.CSS_SELECTOR, "article h1").text.strip().rstrip("#").strip().replace("’", "'")


def assert_math_renders(driver) -> None:
    """Formulas are MathML drawn by the browser: a fraction is taller than a line of text."""
    fraction = driver.find_element(By.CSS_SELECTOR, "div.math math mfrac")
    line = driver.find_element(By.CSS_SELECTOR, "article p").value_of_css_property("line-height")
    assert fraction.size["height"] > 1.3 * float(line.rstrip("px"))
    assert fraction.find_element(By.XPATH, "./ancestor::div[contains(@class, 'math')]").value_of_css_property("direction") == "ltr"
    assert "$$" not in driver.find_element(By.CSS_SELECTOR, "article").text


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_lesson_page(language: str, server: str, site, browser_factory) -> None:
    driver = browser_factory(1200, 900)
    driver.get(f"{server}/{language}/{PAGE}")
    t = lesson_translator(LESSON, language)
    html = driver.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == LANGUAGES[language].direction
    assert _title(driver) == t(LESSON.meta["title"]).replace("’", "'")

    # real outputs: figures with translated alt text, tables, the feedback of a check
    images = driver.find_elements(By.CSS_SELECTOR, "div.cell_output img")
    assert len(images) >= 2
    for image in images:
        assert image.get_attribute("alt").strip(), "a figure has no alt text"
    if language != "en":
        assert images[0].get_attribute("alt") != LESSON.notebook.cells[0].source
        assert all(image.get_attribute("alt") for image in images)
    assert driver.find_elements(By.CSS_SELECTOR, "div.cell_output table")
    feedback = driver.find_elements(By.CSS_SELECTOR, "div.cell_output .jisr-feedback")
    assert feedback and feedback[0].get_attribute("lang") == language

    assert_math_renders(driver)
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{language}-desktop.png"))

    if LANGUAGES[language].direction == "rtl":
        paragraph = driver.find_element(By.CSS_SELECTOR, "article p")
        assert paragraph.value_of_css_property("direction") == "rtl"
        assert paragraph.value_of_css_property("text-align") in ("right", "start")
        code = driver.find_element(By.CSS_SELECTOR, "div.cell_input pre")
        assert code.value_of_css_property("direction") == "ltr"
        math = driver.find_element(By.CSS_SELECTOR, "div.math")
        assert math.value_of_css_property("direction") == "ltr"
        # no Arabic font forced on the formula: MathML keeps its own math font
        assert "Naskh" not in driver.find_element(By.CSS_SELECTOR, "div.math math").value_of_css_property("font-family")
        # the navigation is mirrored: the primary sidebar sits on the right
        content = driver.find_element(By.CSS_SELECTOR, "main").rect
        sidebar = driver.find_element(By.ID, "pst-primary-sidebar").rect
        assert sidebar["x"] > content["x"]
        # the Arabic font ships with the site
        assert "Noto Naskh Arabic" in paragraph.value_of_css_property("font-family")
        assert driver.execute_script("return document.fonts.check('16px \"Noto Naskh Arabic\"', 'ع')")

    urls = requests_made(driver)
    assert off_site(urls) == []
    assert missing(urls, site) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_switcher_keeps_the_lesson(language: str, server: str, browser_factory) -> None:
    driver = browser_factory(390, 844)  # a phone: the switcher must be visible there too
    for other in LANGUAGES:
        if other == language:
            continue
        driver.get(f"{server}/{language}/{PAGE}")
        link = driver.find_element(By.CSS_SELECTOR, f"nav.jisr-langs a[hreflang='{other}']")
        assert link.is_displayed()
        link.click()
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == other)
        assert driver.current_url.endswith(f"/{other}/{PAGE}")
        assert _title(driver) == lesson_translator(LESSON, other)(LESSON.meta["title"]).replace("’", "'")


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_phone_menu_opens(language: str, server: str, browser_factory) -> None:
    driver = browser_factory(390, 844)
    driver.get(f"{server}/{language}/{PAGE}")
    buttons = [b for b in driver.find_elements(By.CSS_SELECTOR, ".primary-toggle") if b.is_displayed()]
    assert buttons, "no visible menu button on a phone"
    buttons[0].click()
    dialog = driver.find_element(By.ID, "pst-primary-sidebar-modal")
    WebDriverWait(driver, 5).until(lambda d: dialog.get_attribute("open") is not None)
    links = [a for a in dialog.find_elements(By.CSS_SELECTOR, "a.reference") if a.is_displayed()]
    assert links, "the menu opened empty"
    driver.save_screenshot(str(SHOTS / f"{language}-phone-menu.png"))
    assert off_site(requests_made(driver)) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_widgets_load_on_request(language: str, server: str, browser_factory) -> None:
    driver = browser_factory(1200, 900)
    driver.get(f"{server}/{language}/{PAGE}")
    assert not driver.find_elements(By.CSS_SELECTOR, ".widget-slider")
    assert not [u for u in requests_made(driver) if u.endswith("embed.js")], "the widget renderer loaded unasked"
    button = driver.find_element(By.CSS_SELECTOR, "button.jisr-load-widgets")
    driver.execute_script("arguments[0].scrollIntoView()", button)
    button.click()
    WebDriverWait(driver, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle, .widget-slider .ui-slider-handle"))
    time.sleep(0.5)
    for slider in driver.find_elements(By.CSS_SELECTOR, ".widget-slider"):
        track = slider.find_element(By.CSS_SELECTOR, ".noUi-target, .ui-slider").rect
        handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle, .ui-slider-handle").rect
        centre = handle["x"] + handle["width"] / 2
        assert track["x"] - 1 <= centre <= track["x"] + track["width"] + 1, "slider handle outside its track"
    driver.save_screenshot(str(SHOTS / f"{language}-widgets.png"))
    assert off_site(requests_made(driver)) == []


def test_landing_page(server: str, browser_factory) -> None:
    driver = browser_factory(390, 844)
    driver.get(f"{server}/")
    links = driver.find_elements(By.CSS_SELECTOR, "a.lang")
    assert {a.get_attribute("hreflang") for a in links} == set(LANGUAGES)
    arabic = next(a for a in links if a.get_attribute("hreflang") == "ar")
    assert arabic.value_of_css_property("direction") == "rtl"
    arabic.click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ar")
    assert off_site(requests_made(driver)) == []


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_datasets_page_lists_every_dataset(language: str, server: str, site, browser_factory) -> None:
    from jisr import datasets

    driver = browser_factory(390, 844)
    driver.get(f"{server}/{language}/datasets.html")
    headings = [h.text.strip().rstrip("#").strip() for h in driver.find_elements(By.CSS_SELECTOR, "article h2")]
    assert headings == datasets.available()
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == LANGUAGES[language].direction
    urls = requests_made(driver)
    assert off_site(urls) == [] and missing(urls, site) == []
