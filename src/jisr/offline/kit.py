"""``jisr kit``: the whole course in one zip that works with no connection once unpacked.

The kit is assembled in named steps, in this order (each writes one folder of the kit)::

    jisr-offline/
      START-HERE.html     how to open the book, install the package and run the lessons (ar, fr, en)
      book/               the built site: open book/index.html, or serve the folder
      notebooks/<lang>/   the learner's notebooks, as `jisr lab` writes them
      data/               the shipped data sets, each with its datasheet
      python/             the learner's wheel, requirements.txt, and wheels/ if a wheelhouse was given

A zip opens on Windows, macOS, Linux and phones without extra tools. Precompressed copies of
the site (``.gz``, ``.br``) are left out, as a file or ``python -m http.server`` never uses
them, and so are the theme's source maps (``.map``), which only developer tools read.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..i18n import Message, N_, Translator
from ..languages import LANGUAGES
from ..paths import book_dir, build_dir, datasets_dir, project_root

Progress = Callable[[str], None]

KIT_FOLDER = "jisr-offline"
START_PAGE = "START-HERE.html"
START_SOURCE = "start-here.md"  # in book/pages: the same text is a page of the book
LEFT_OUT = (".gz", ".br", ".map")  # precompressed copies (a file or http.server never uses them), developers' source maps
# a page must load nothing from another site: src=, or a <link> that fetches (stylesheet, preload, icon…)
_OFFSITE_LOAD = re.compile(r'''<(?:script|img|iframe|audio|video|source|embed)\b[^>]*\bsrc=["'](?:https?:)?//'''
                           r'''|<link\b(?=[^>]*\brel=["'](?:stylesheet|preload|modulepreload|icon|prefetch|manifest)["'])[^>]*\bhref=["'](?:https?:)?//'''
                           r'''|url\(\s*["']?(?:https?:)?//''', re.I)
# Arabic first: the course is for Morocco; each section carries its own lang and dir
START_ORDER = ("ar", "fr", "en")


class KitError(Exception):
    """The kit could not be built; ``message`` says why and what to do."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.format(Translator("en")))
        self.message = message


def offsite_loads(root: Path) -> list[str]:
    """Pages and stylesheets under ``root`` that would load something from another site.

    Links a reader clicks (``<a href="https://…">``) are fine: they say where a source is.
    """
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix in (".html", ".css") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in _OFFSITE_LOAD.finditer(text):
                found.append(f"{path.relative_to(root).as_posix()}: {match.group(0)[:120]}")
    return found


# --------------------------------------------------------------------------- steps


def copy_book(site: Path, kit: Path) -> Path:
    """The built site, without its precompressed copies and source maps."""
    if not (site / "index.html").is_file():
        raise KitError(Message(N_("No built book in {path}: run `jisr build` (or `make book`) first."), {"path": str(site)}))
    target = kit / "book"
    shutil.copytree(site, target, ignore=lambda folder, names: [n for n in names if n.endswith(LEFT_OUT) or n.startswith(".")])
    return target


def write_notebooks(kit: Path, languages: list[str]) -> Path:
    """The learner's notebooks per language, written as ``jisr lab`` writes them (its state file included)."""
    from ..lab import prepare_folder

    target = kit / "notebooks"
    for language in languages:
        prepare_folder(language, target / language)
    return target


def copy_data(kit: Path) -> Path:
    """The shipped data sets and their datasheets (generators and their inputs stay with the authors)."""
    target = kit / "data"
    target.mkdir(parents=True)
    source = datasets_dir()
    for path in sorted(source.iterdir()):
        if path.is_file() and path.suffix in (".csv", ".md"):
            shutil.copy2(path, target / path.name)
    if (source / "fonts").is_dir():
        shutil.copytree(source / "fonts", target / "fonts")
    return target


def build_wheel(work: Path) -> Path:
    """``make wheel`` in a copy of the checkout (the bundle is written there, not in the source tree), offline."""
    root = project_root()
    copy = work / "checkout"
    copy.mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(root / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", "_bundle", "*.egg-info")
    for name in ("src", "courses", "datasets"):
        shutil.copytree(root / name, copy / name, ignore=ignore)
    done = subprocess.run(["make", "-s", "wheel", f"BIN={Path(sys.executable).parent}", "WHEEL_FLAGS=--no-build-isolation"],
                          cwd=copy, capture_output=True, text=True)
    if done.returncode != 0:
        raise KitError(Message(N_("The learner’s wheel could not be built (make wheel):\n{log}"), {"log": (done.stdout + done.stderr)[-2000:]}))
    (wheel,) = (copy / "dist").glob("jisr-*.whl")
    return wheel


def learner_requirements(wheel: Path) -> list[str]:
    """What the learner's install pulls in (the wheel's own pinned requirements, no extra)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8")
    return [line.split(":", 1)[1].strip() for line in metadata.splitlines()
            if line.startswith("Requires-Dist:") and "extra ==" not in line]


def copy_python(kit: Path, wheel: Path, wheelhouse: Path | None) -> Path:
    """The wheel, the list of what it needs, and a teacher's wheelhouse for an install with no connection."""
    target = kit / "python"
    target.mkdir(parents=True)
    shutil.copy2(wheel, target / wheel.name)
    lines = ["# What `pip install " + wheel.name + "` downloads (the learner's default install).",
             "# On a connected computer with the learners' system and Python version:",
             "#   python -m pip download -d wheels -r requirements.txt",
             "# then, with no connection:",
             "#   python -m pip install --no-index --find-links wheels " + wheel.name]
    (target / "requirements.txt").write_text("\n".join(lines + learner_requirements(wheel)) + "\n", encoding="utf-8")
    if wheelhouse is not None:
        wheels = sorted(wheelhouse.glob("*.whl"))
        if not wheels:
            raise KitError(Message(N_("No wheel (.whl) in {path}: fill it with `pip download -d {path} -r requirements.txt` first."),
                                   {"path": str(wheelhouse)}))
        (target / "wheels").mkdir()
        for path in wheels:
            shutil.copy2(path, target / "wheels" / path.name)
    return target


def start_page(wheel_name: str, languages: list[str]) -> str:
    """START-HERE.html: the book page ``start-here`` in each language, on one page that needs no script."""
    from markdown_it import MarkdownIt

    from ..book import book_translator
    from ..source import translate_markdown

    source = (book_dir() / "pages" / START_SOURCE).read_text(encoding="utf-8")
    body = re.sub(r"\A---\n.*?\n---\n", "", source, flags=re.S)  # front matter, if any
    render = MarkdownIt("commonmark", {"html": False}).enable("table")
    sections, menu = [], []
    for language in [code for code in START_ORDER if code in languages]:
        info = LANGUAGES[language]
        text = translate_markdown(body, book_translator(language)).replace("jisr-0.1.0-py3-none-any.whl", wheel_name)
        text = re.sub(r"\(\{doc\}`[^`]*`\)|\{doc\}`([^`<]*)(?:<[^>]*>)?`", lambda m: m.group(1) or "", text)  # book-only cross-references
        menu.append(f'<a href="#{language}" lang="{language}" dir="{info.direction}">{html.escape(info.native_name)}</a>')
        opening = Message(N_("Open the book")).format(Translator.for_package(language))
        sections.append(f'<section id="{language}" lang="{language}" dir="{info.direction}">\n'
                        f'<p class="open"><a href="book/{language}/intro.html">{html.escape(opening)}</a></p>\n'
                        f'{render.render(text)}</section>')
    return ("<!DOCTYPE html>\n<html lang=\"ar\" dir=\"rtl\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>Jisr · جسر</title>\n<style>\n"
            "body{font-family:system-ui,'Noto Sans Arabic','Segoe UI',Tahoma,sans-serif;line-height:1.6;max-width:46rem;"
            "margin:0 auto;padding:1rem;color:#1b1b1b;background:#fff}\n"
            "nav{display:flex;gap:1rem;flex-wrap:wrap;font-size:1.1rem;margin-bottom:1rem}\n"
            "section{border-top:2px solid #0a5c63;padding-top:.5rem;margin-top:2rem}\n"
            "a{color:#0a5c63}code,pre{direction:ltr;unicode-bidi:isolate;background:#f2f4f4;border-radius:3px}\n"
            "pre{padding:.5rem;overflow-x:auto;text-align:left}table{border-collapse:collapse}"
            "td,th{border:1px solid #999;padding:.25rem .5rem;text-align:start}\n"
            ".open a{display:inline-block;padding:.4rem .8rem;border:2px solid #0a5c63;border-radius:.3rem;font-weight:600}\n"
            "</style>\n</head>\n<body>\n<main>\n<nav aria-label=\"Languages · اللغات · Langues\">" + " ".join(menu) + "</nav>\n"
            + "\n".join(sections) + "\n</main>\n</body>\n</html>\n")


def zip_folder(folder: Path, target: Path) -> Path:
    """Zip ``folder`` (its name as the top folder); already compressed files are stored as they are."""
    stored = (".whl", ".zip", ".png", ".jpg", ".jpeg", ".webp", ".woff", ".woff2", ".gz", ".br")
    temporary = target.with_name(target.name + ".part")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(folder.rglob("*")):
            name = (Path(folder.name) / path.relative_to(folder)).as_posix()
            if path.is_dir():
                continue
            archive.write(path, name, compress_type=zipfile.ZIP_STORED if path.suffix.lower() in stored else zipfile.ZIP_DEFLATED)
    temporary.replace(target)
    return target


def build_kit(output: Path, site: Path | None = None, wheel: Path | None = None, wheelhouse: Path | None = None,
              languages: list[str] | None = None, progress: Progress = print, t: Translator | None = None) -> Path:
    """Write the offline kit to ``output`` (a .zip) and return its path.

    ``site`` defaults to ``_build/site`` (built by ``jisr build``); ``wheel`` is built
    from the checkout when not given; ``wheelhouse`` is a folder of wheels for the
    learners' system (``pip download``), shipped so that the install needs no connection.
    """
    t = t or Translator("en")
    languages = languages or list(LANGUAGES)
    site = site or build_dir() / "site"
    with tempfile.TemporaryDirectory(prefix="jisr-kit-") as work:
        kit = Path(work) / KIT_FOLDER
        kit.mkdir()
        progress(Message(N_("Copying the book…")).format(t))
        book = copy_book(site, kit)
        problems = offsite_loads(book)
        if problems:
            raise KitError(Message(N_("These pages load something from another site, so they would not work offline:\n{pages}"),
                                   {"pages": "\n".join(problems[:20])}))
        progress(Message(N_("Writing the learner’s notebooks…")).format(t))
        write_notebooks(kit, languages)
        copy_data(kit)
        if wheel is None:
            progress(Message(N_("Building the learner’s wheel…")).format(t))
            wheel = build_wheel(Path(work) / "wheel")
        copy_python(kit, wheel, wheelhouse)
        (kit / START_PAGE).write_text(start_page(wheel.name, languages), encoding="utf-8")
        progress(Message(N_("Compressing…")).format(t))
        output.parent.mkdir(parents=True, exist_ok=True)
        return zip_folder(kit, output)


# --------------------------------------------------------------------------- the command


def cmd_kit(args, t: Translator) -> int:
    """``jisr kit``: build the offline kit and say where it is and how big."""
    import time

    started = time.perf_counter()

    def progress(text: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {text}", flush=True)

    try:
        kit = build_kit(Path(args.output), site=Path(args.site) if args.site else None,
                        wheel=Path(args.wheel) if args.wheel else None,
                        wheelhouse=Path(args.wheelhouse) if args.wheelhouse else None, progress=progress, t=t)
    except KitError as err:
        print(err.message.format(t), file=sys.stderr, flush=True)
        return 1
    size = kit.stat().st_size / 1e6
    print(Message(N_("The offline kit is ready: {path} ({size:.1f} MB). Unpack it and open START-HERE.html."),
                  {"path": str(kit), "size": size}).format(t), flush=True)
    return 0


def add_parser(sub, t: Translator) -> None:
    """Add ``jisr kit`` to the command's sub-parsers."""
    s = sub.add_parser("kit", help=t(N_("build the offline kit: the book, notebooks, data and package in one zip")))
    s.add_argument("--output", default=str(build_dir() / "jisr-offline.zip"),
                   help=t(N_("the zip file to write (default: _build/jisr-offline.zip)")))
    s.add_argument("--site", help=t(N_("the built book (default: _build/site)")))
    s.add_argument("--wheel", help=t(N_("the learner’s wheel (default: built now from this checkout)")))
    s.add_argument("--wheelhouse", help=t(N_("a folder of wheels for the learners’ system (pip download), so that installing needs no connection")))
    s.set_defaults(func=cmd_kit)
