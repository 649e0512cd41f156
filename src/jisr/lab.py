"""``jisr lab``: the learner's lessons in JupyterLab, in the learner's language.

Two steps, in this order:

1. :func:`prepare_folder` renders the learner notebooks into a work folder that
   belongs to the learner (default ``~/jisr-lessons/<lang>``). A notebook that is
   already there is never overwritten: a new lesson is added, a lesson whose
   course text changed since it was written is added *beside* the learner's copy
   under a new name, with a note on top.
2. :func:`lab_command` starts JupyterLab in that folder, its interface in the
   language when the language pack is installed (``jupyterlab-language-pack-ar-SA``,
   ``-fr-FR``, part of the default install).

The folder keeps what jisr last wrote for each lesson in ``.jisr/written.json``
(a hash per lesson), which is how a later run tells "the course changed" from
"the learner edited their notebook".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .i18n import LANG_MARKER, Message, N_, Translator, cli_language
from .languages import LANGUAGES, validate

if TYPE_CHECKING:
    import nbformat

STATE_DIR = ".jisr"
"""jisr's own files in the work folder (hidden in JupyterLab's file browser)."""

# JupyterLab's locale for each course language; English is JupyterLab's own default.
LAB_LOCALES = {"en": "en", "fr": "fr_FR", "ar": "ar_SA"}
TRANSLATION_SETTINGS = Path("@jupyterlab", "translation-extension", "plugin.jupyterlab-settings")
NOTIFICATION_SETTINGS = Path("@jupyterlab", "apputils-extension", "notification.jupyterlab-settings")

# what happened to each lesson's notebook
NEW, KEPT, UPDATED_BESIDE = "new", "kept", "updated-beside"


@dataclass(frozen=True)
class Written:
    """One lesson's notebook in the work folder and what this run did with it."""

    lesson: str
    path: Path
    status: str  # NEW, KEPT or UPDATED_BESIDE
    kept: Path | None = None  # the learner's own copy, beside an update

    def message(self) -> Message:
        if self.status == NEW:
            return Message(N_("New lesson: {path}"), {"path": str(self.path)})
        if self.status == UPDATED_BESIDE:
            return Message(N_("The course changed lesson {lesson}: the new version is {path}; your notebook {kept} is kept as it is."),
                           {"lesson": self.lesson, "path": str(self.path), "kept": str(self.kept)})
        return Message(N_("Kept as it is: {path}"), {"path": str(self.path)})


def default_folder(language: str) -> Path:
    """``~/jisr-lessons/<lang>``: one work folder per language."""
    return Path.home() / "jisr-lessons" / validate(language)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _read_state(folder: Path) -> dict[str, str]:
    path = folder / STATE_DIR / "written.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(folder: Path, state: dict[str, str]) -> None:
    path = folder / STATE_DIR / "written.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _with_update_note(nb: nbformat.NotebookNode, kept: Path, t: Translator, language: str) -> nbformat.NotebookNode:
    """The new version of a lesson, with a first cell that says why it is there."""
    import nbformat

    text = Message(N_("This is a new version of the lesson: the course changed since your notebook {kept} was made. Your notebook is kept as it is; copy what you need from one to the other."),
                   {"kept": kept.name}).format(t)
    if LANGUAGES[language].direction == "rtl":
        text = f'<div dir="rtl" lang="{language}">\n\n{text}\n\n</div>'
    note = nbformat.v4.new_markdown_cell(f"> {text}" if LANGUAGES[language].direction == "ltr" else text)
    note["id"] = "jisr-update-note"
    nb.cells.insert(0, note)
    return nb


def _free_name(folder: Path, stem: str, digest: str) -> Path:
    """``<id>.update-<hash>.ipynb``, or with a number when that name is taken too."""
    candidate = folder / f"{stem}.update-{digest}.ipynb"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}.update-{digest}-{number}.ipynb"
        number += 1
    return candidate


def prepare_folder(language: str, folder: Path) -> list[Written]:
    """Render every lesson for ``language`` into ``folder`` without overwriting anything."""
    import nbformat

    from .render import render
    from .source import find_lessons

    validate(language)
    folder.mkdir(parents=True, exist_ok=True)
    state = _read_state(folder)
    t = Translator.for_package(language)
    done: list[Written] = []
    for lesson in find_lessons():
        nb = render(lesson, language, "learner")
        text = nbformat.writes(nb)
        digest = _digest(text)
        target = folder / lesson.meta["part"] / f"{lesson.meta['id']}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.write_text(text, encoding="utf-8")
            done.append(Written(lesson.key, target, NEW))
        elif state.get(lesson.key) in (None, digest):
            # unchanged course text (or a notebook jisr did not write): the learner's file stays
            done.append(Written(lesson.key, target, KEPT))
        else:
            beside = _free_name(target.parent, lesson.meta["id"], digest)
            noted = _with_update_note(nb, target, t, language)
            beside.write_text(nbformat.writes(noted), encoding="utf-8")
            done.append(Written(lesson.key, beside, UPDATED_BESIDE, kept=target))
        state[lesson.key] = digest
    _write_state(folder, state)
    marker = folder / LANG_MARKER
    if not marker.is_file():
        marker.write_text(language, encoding="utf-8")
    return done


def installed_lab_locales() -> set[str]:
    """JupyterLab interface languages installed here (language packs register an entry point)."""
    return {entry.name for entry in metadata.entry_points(group="jupyterlab.languagepack")} | {"en"}


def set_lab_locale(settings_dir: Path, language: str) -> str | None:
    """Write JupyterLab's interface language into ``settings_dir``; None when its pack is missing."""
    locale = LAB_LOCALES[language]
    if locale not in installed_lab_locales():
        return None
    path = settings_dir / TRANSLATION_SETTINGS
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = {}
    if settings.get("locale") != locale:
        settings["locale"] = locale
        path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return locale


def quiet_news(settings_dir: Path) -> None:
    """No "Would you like to get notified about Jupyter news?" pop-up: the course works offline.

    Written once; a learner who changes it in JupyterLab's settings keeps their choice.
    """
    path = settings_dir / NOTIFICATION_SETTINGS
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}, indent=2) + "\n", encoding="utf-8")


def lab_command(folder: Path, *, port: int | None = None, browser: bool = True) -> list[str]:
    """The command that starts JupyterLab in ``folder``, on this computer only."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}", "--ServerApp.ip=127.0.0.1",
               # offline: no news feed, no update check
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if port is not None:
        command.append(f"--ServerApp.port={port}")
    if not browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; the server listens on 127.0.0.1 only
    return command


def lab_environment(folder: Path) -> dict[str, str]:
    """JupyterLab's settings live in the work folder: its language there, the learner's choices kept."""
    env = dict(os.environ)
    env["JUPYTERLAB_SETTINGS_DIR"] = str(folder / STATE_DIR / "lab-settings")
    env.pop("JISR_LANG", None)  # each notebook's own metadata says its language
    return env


# --------------------------------------------------------------------------- the command


def _say(t: Translator, message: Message, stream=None) -> None:
    print(message.format(t), file=stream or sys.stdout, flush=True)


def run_lab(process: list[str], env: dict[str, str]) -> int:
    """Run JupyterLab until it stops; Ctrl+C is JupyterLab's to handle (it asks to confirm)."""
    child = subprocess.Popen(process, env=env)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue  # the same Ctrl+C reached JupyterLab, which shuts down or asks


def cmd_lab(args: argparse.Namespace, t: Translator) -> int:
    """``jisr lab --lang ar``: the lessons in the learner's folder, JupyterLab in their language."""
    language = args.lang or cli_language()
    t = Translator.for_package(language)  # the learner chose a language: speak it
    folder = Path(args.folder).expanduser().resolve() if args.folder else default_folder(language)
    try:
        written = prepare_folder(language, folder)
    except OSError as err:
        _say(t, Message(N_("The lessons cannot be written into {folder} ({error}). Choose another folder with --folder."),
                        {"folder": str(folder), "error": err.strerror or str(err)}), sys.stderr)
        return 1
    for item in written:
        _say(t, item.message())
    env = lab_environment(folder)
    quiet_news(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    if set_lab_locale(Path(env["JUPYTERLAB_SETTINGS_DIR"]), language) is None:
        _say(t, Message(N_("JupyterLab’s menus are not available in {language} on this computer: they stay in English. Install them with: python -m pip install jupyterlab-language-pack-{locale}"),
                        {"language": LANGUAGES[language].native_name, "locale": LAB_LOCALES[language].replace("_", "-")}), sys.stderr)
    command = lab_command(folder, port=args.port, browser=not args.no_browser)
    if args.dry_run:
        print(" ".join(command), flush=True)
        return 0
    _say(t, Message(N_("JupyterLab opens in your browser, in {folder}. Keep this window open while you work; to stop, come back here and press Ctrl+C twice."),
                    {"folder": str(folder)}))
    return run_lab(command, env)


def add_parser(sub: argparse._SubParsersAction, t: Translator) -> None:
    """Register ``jisr lab`` on the command's sub-parsers."""
    s = sub.add_parser("lab", help=t(N_("open the lessons in JupyterLab, in your language")))
    s.add_argument("--lang", choices=list(LANGUAGES), help=t(N_("ar, en or fr (default: your computer’s language)")))
    s.add_argument("--folder", help=t(N_("your work folder (default: jisr-lessons/<lang> in your home folder); your notebooks there are never overwritten")))
    s.add_argument("--port", type=int, help=t(N_("the port JupyterLab listens on, on this computer only (default: 8888 or the next free one)")))
    s.add_argument("--no-browser", action="store_true", help=t(N_("do not open a browser")))
    s.add_argument("--dry-run", action="store_true", help=t(N_("write the notebooks and print the JupyterLab command without starting it")))
    s.set_defaults(func=cmd_lab)
