"""Lesson sources: one MyST notebook in English, and what in it is translatable.

A lesson lives in ``courses/<part>/<slug>/``:

- ``lesson.md``: a jupytext MyST notebook, English, with lesson metadata in its
  front matter under ``jisr:`` (title, time, objectives, key points...).
- ``exercises.yml``: the exercises the learner checks in the notebook.
- ``grading.yml``: what only the grader sees (hidden cases, other correct
  solutions, known wrong answers).
- ``locales/<lang>.po``: the translations, one gettext catalog per language.

Translatable units are the paragraphs, headings and list items of markdown
cells, the metadata texts, the strings passed to ``tr(...)`` in code, figure
alt texts, and the texts of the exercise spec.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from .i18n import Message, N_, Translator
from .paths import courses_dir

TEXT_DIRECTIVES = {"note", "tip", "warning", "important", "hint", "caution", "seealso", "admonition"}
METADATA_LISTS = ("prerequisites", "objectives", "keypoints")
REQUIRED_METADATA = ("id", "part", "order", "title", "minutes", *METADATA_LISTS)

_FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})(.*)$")
_HEADING = re.compile(r"^(#{1,6}\s+)(.*)$")
_ITEM = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)(.*)$")


class SourceError(Exception):
    """A lesson source is malformed; the message names the file and the fix.

    It carries a :class:`~jisr.i18n.Message`, so the command line can say it in
    the user's language; ``str()`` gives the English.
    """

    def __init__(self, message: Message) -> None:
        super().__init__(message.format(Translator("en")))
        self.message = message


@dataclass(frozen=True)
class Unit:
    """One translatable message and where it comes from."""

    msgid: str
    where: str
    plural: str | None = None
    comment: str | None = None


# --------------------------------------------------------------------------- markdown


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def translate_markdown(text: str, translate: Callable[[str], str]) -> str:
    """Return ``text`` with each paragraph, heading and list item translated.

    Code fences and math blocks are kept as they are; the bodies of admonition
    directives (``:::{note}``) are translated recursively.

    Examples
    --------
    >>> translate_markdown("# Hello\\n\\n- one\\n- two\\n\\n$$x$$", str.upper)
    '# HELLO\\n\\n- ONE\\n- TWO\\n\\n$$x$$'
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            out.append(line)
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            marker = fence.group(2)
            j = i + 1
            while j < len(lines) and lines[j].strip() != marker:
                j += 1
            body = lines[i + 1 : j]
            closing = lines[j : j + 1]
            name = fence.group(3).strip()
            if name.startswith("{") and name[1:].split("}")[0] in TEXT_DIRECTIVES:
                options = [b for b in body if b.startswith(":")]
                rest = "\n".join(b for b in body if not b.startswith(":"))
                out += [line, *options, translate_markdown(rest, translate), *closing]
            else:
                out += [line, *body, *closing]
            i = j + 1
            continue
        if line.strip().startswith("$$"):
            j = i
            if line.strip() == "$$" or not line.strip().endswith("$$") or line.strip() == "$$$$":
                j = i + 1
                while j < len(lines) and not lines[j].strip().endswith("$$"):
                    j += 1
            block = "\n".join(lines[i : j + 1])
            # a formula with words in \text{...} is translated whole; pure symbols are kept
            out.append(translate(block) if "\\text{" in block else block)
            i = j + 1
            continue
        j = i
        while j < len(lines) and lines[j].strip() and not _FENCE.match(lines[j]):
            j += 1
        out.append(_translate_paragraph(lines[i:j], translate))
        i = j
    return "\n".join(out)


def _translate_paragraph(lines: list[str], translate: Callable[[str], str]) -> str:
    heading = _HEADING.match(lines[0])
    if heading and len(lines) == 1:
        return heading.group(1) + _maybe(heading.group(2), translate)
    if _ITEM.match(lines[0]):
        items: list[list[str]] = []
        for line in lines:
            if _ITEM.match(line) or not items:
                items.append([line])
            else:
                items[-1].append(line)
        rendered = []
        for item in items:
            m = _ITEM.match(item[0])
            assert m is not None
            body = "\n".join([m.group(2), *(x.strip() for x in item[1:])])
            rendered.append(m.group(1) + _maybe(body, translate))
        return "\n".join(rendered)
    return _maybe("\n".join(lines), translate)


def _maybe(text: str, translate: Callable[[str], str]) -> str:
    return translate(text) if _has_words(text) else text


def markdown_units(text: str, where: str) -> list[Unit]:
    found: list[Unit] = []

    def collect(msgid: str) -> str:
        found.append(Unit(msgid, where))
        return msgid

    translate_markdown(text, collect)
    return found


# --------------------------------------------------------------------------- code

PLAIN_HELPERS = ("label", "say")
"""Names a lesson's hidden set-up cell may bind to translating helpers, so the code the learner
reads stays plain (``label = tr.plot``; ``say`` prints a translated sentence): their string
arguments are messages too (see ``courses/README-authoring.md``)."""


def code_units(code: str, where: str) -> list[Unit]:
    """Find ``tr("...")``, ``tr.plot("...")``, ``tr.n("one", "many", n)``, ``label("...")`` and ``say("...")`` calls.

    Examples
    --------
    >>> [u.msgid for u in code_units('print(tr("Hi {x}").format(x=1))', "c")]
    ['Hi {x}']
    >>> [u.msgid for u in code_units('ax.set_xlabel(label("Length (cm)"))', "c")]
    ['Length (cm)']
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # IPython magics; lessons keep translatable strings out of them
    found: list[Unit] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_tr = isinstance(func, ast.Name) and func.id in ("tr", *PLAIN_HELPERS)
        is_method = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "tr"
            and func.attr in ("plot", "n", "gettext", "ngettext")
        )
        if not (is_tr or is_method):
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        plural = None
        if is_method and func.attr in ("n", "ngettext") and len(node.args) > 1:
            second = node.args[1]
            if isinstance(second, ast.Constant) and isinstance(second.value, str):
                plural = second.value
        found.append(Unit(first.value, where, plural=plural))
    return found


# --------------------------------------------------------------------------- lessons


@dataclass
class LessonSource:
    """A lesson as read from ``courses/``: its notebook, metadata and exercise specs."""

    path: Path
    notebook: nbformat.NotebookNode
    meta: dict[str, Any]
    exercises: dict[str, dict[str, Any]]
    grading: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def key(self) -> str:
        """``part/slug``, the stable id used in URLs, gradebooks and badges."""
        return f"{self.meta['part']}/{self.meta['id']}"

    def catalog_path(self, language: str) -> Path:
        return self.folder / "locales" / f"{language}.po"

    def units(self) -> list[Unit]:
        """Every translatable message of the lesson, in reading order."""
        units: list[Unit] = []
        units.append(Unit(self.meta["title"], "lesson.md:title"))
        for key in METADATA_LISTS:
            units += [Unit(text, f"lesson.md:{key}") for text in self.meta[key]]
        for index, cell in enumerate(self.notebook.cells):
            where = f"lesson.md:cell {index + 1}"
            if cell.cell_type == "markdown":
                units += markdown_units(cell.source, where)
            elif cell.cell_type == "code":
                units += code_units(cell.source, where)
                alt = cell.metadata.get("jisr", {}).get("alt")
                if alt:
                    units.append(Unit(alt, where, comment="alt text of a figure"))
        for qid, spec in self.exercises.items():
            units += [Unit(text, f"exercises.yml:{qid}") for text in spec_texts(spec)]
        return units


def spec_texts(spec: dict[str, Any]) -> Iterator[str]:
    """The learner-facing texts of one exercise spec."""
    yield from spec.get("hints", [])
    yield from spec.get("options", {}).values()
    for diagnosis in spec.get("diagnoses", []) + spec.get("mistakes", []):
        if "message" in diagnosis:
            yield diagnosis["message"]
    for key in ("correct", "correct_message", "explanation"):  # shown when a number is right
        if isinstance(spec.get(key), str):
            yield spec[key]
    solution = spec.get("solution", {})
    if solution.get("explanation"):
        yield solution["explanation"]


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise SourceError(Message(N_("{path}: not valid YAML ({error})"), {"path": str(path), "error": str(err)})) from err
    if not isinstance(data, dict):
        raise SourceError(Message(N_("{path}: expected a mapping of exercise ids to specs"), {"path": str(path)}))
    return data


def read_lesson(path: Path) -> LessonSource:
    """Read and validate one ``lesson.md``; raise :class:`SourceError` if malformed."""
    try:
        notebook = jupytext.read(path)
    except Exception as err:  # jupytext raises many kinds; the path is what matters
        raise SourceError(Message(N_("{path}: cannot be read as a MyST notebook ({error})"), {"path": str(path), "error": str(err)})) from err
    meta = dict(notebook.metadata.get("jisr", {}))
    missing = [key for key in REQUIRED_METADATA if key not in meta]
    if missing:
        raise SourceError(Message(N_("{path}: the front matter 'jisr:' lacks {keys}"), {"path": str(path), "keys": ", ".join(missing)}))
    if not 3 <= len(meta["objectives"]) <= 5:
        raise SourceError(Message(N_("{path}: jisr.objectives must list 3 to 5 objectives"), {"path": str(path)}))
    if meta["id"] != path.parent.name or meta["part"] != path.parent.parent.name:
        raise SourceError(Message(N_("{path}: jisr.id and jisr.part must match the folder courses/<part>/<id>"), {"path": str(path)}))
    return LessonSource(
        path=path,
        notebook=notebook,
        meta=meta,
        exercises=_read_yaml(path.parent / "exercises.yml"),
        grading=_read_yaml(path.parent / "grading.yml"),
    )


def find_lessons(root: Path | None = None, errors: list[SourceError] | None = None) -> list[LessonSource]:
    """All lessons under ``courses/``, in course order (part, then ``order``).

    With ``errors``, a malformed lesson is recorded there and skipped, so that a
    check can report every broken lesson at once; without it, the first one raises.
    """
    root = root or courses_dir()
    lessons = []
    for path in sorted(root.glob("*/*/lesson.md")):
        try:
            lessons.append(read_lesson(path))
        except SourceError as err:
            if errors is None:
                raise
            errors.append(err)
    parts = ["fundamentals", "users", "designers", "decision-makers"]
    lessons.sort(key=lambda s: (parts.index(s.meta["part"]) if s.meta["part"] in parts else 99, s.meta["order"]))
    return lessons


def lesson_by_key(key: str) -> LessonSource:
    """Find a lesson by ``part/slug``, e.g. ``fundamentals/what-is-ai``."""
    path = courses_dir() / key / "lesson.md"
    if not path.is_file():
        raise SourceError(Message(N_("no lesson {key}: expected {path}"), {"key": key, "path": str(path)}))
    return read_lesson(path)


# --------------------------------------------------------------------------- package and book


def python_units(path: Path, where_prefix: str) -> list[Unit]:
    """``N_("...")`` messages of a Python module, pairing plurals given as ``plural=N_("...")``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    units: list[Unit] = []
    consumed: set[int] = set()

    def literal(node: ast.AST | None) -> str | None:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            plural_node = next((k.value for k in node.keywords if k.arg == "plural"), None)
            singular, plural = literal(node.args[0]), literal(plural_node)
            if singular and plural:
                units.append(Unit(singular, f"{where_prefix}:{node.lineno}", plural=plural))
                consumed.update({id(node.args[0]), id(plural_node)})
    for node in ast.walk(tree):
        text = literal(node)
        if text and id(node) not in consumed:
            units.append(Unit(text, f"{where_prefix}:{node.lineno}"))  # type: ignore[attr-defined]
    return sorted(units, key=lambda u: (u.where.split(":")[0], int(u.where.split(":")[1])))


def package_units() -> list[Unit]:
    """Every message of the ``jisr`` package (feedback, CLI, book interface)."""
    package = Path(__file__).resolve().parent
    units: list[Unit] = []
    for path in sorted(package.rglob("*.py")):
        units += python_units(path, f"jisr/{path.relative_to(package).as_posix()}")
    return units


def page_units(path: Path) -> list[Unit]:
    """Messages of a plain book page (``book/pages/*.md``)."""
    return markdown_units(path.read_text(encoding="utf-8"), f"book/{path.name}")
