"""Where the course's files live, for a source checkout and for an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path:
    """Return the folder that holds ``courses/`` and ``datasets/``.

    ``JISR_ROOT`` wins; then the source checkout this package lives in; then
    the copy of the course bundled inside an installed wheel.
    """
    env = os.environ.get("JISR_ROOT")
    if env:
        return Path(env).resolve()
    checkout = _PACKAGE_DIR.parent.parent
    if (checkout / "courses").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return _PACKAGE_DIR / "_bundle"


def courses_dir() -> Path:
    return project_root() / "courses"


def datasets_dir() -> Path:
    return project_root() / "datasets"


def book_dir() -> Path:
    return project_root() / "book"


def build_dir() -> Path:
    return Path(os.environ.get("JISR_BUILD", project_root() / "_build")).resolve()


def package_locales_dir() -> Path:
    return _PACKAGE_DIR / "locales"


def cache_dir() -> Path:
    """Where generated data is cached: ``JISR_CACHE``, else ``~/.cache/jisr``."""
    path = Path(os.environ.get("JISR_CACHE", Path.home() / ".cache" / "jisr"))
    path.mkdir(parents=True, exist_ok=True)
    return path
