""""Open on the hub" links (nbgitpuller) on every lesson page of the book.

An institute sets, in the book's ``_config.yml``::

    jisr_hub:
      url: "https://hub.example.ma"        # its JupyterHub (empty: no link, the default)
      repository: "https://git.example.ma/jisr/lessons"   # a git repository of the learner notebooks
      branch: "main"

The repository holds what ``jisr render --target learner --output <repository>`` writes (``<lang>/<part>/<id>.ipynb``).
A learner who follows the link logs in to the hub, nbgitpuller copies (or
updates, never overwriting the learner's own changes) the repository into
their home, and JupyterLab opens the lesson in the page's language.

>>> hub_link({"url": "https://hub.example.ma/", "repository": "https://git.example.ma/jisr/lessons"},
...          "fundamentals/what-is-ai", "ar")
'https://hub.example.ma/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgit.example.ma%2Fjisr%2Flessons&branch=main&urlpath=lab%2Ftree%2Flessons%2Far%2Ffundamentals%2Fwhat-is-ai.ipynb'
>>> hub_link({"url": ""}, "fundamentals/what-is-ai", "ar") is None
True
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import nbformat

from ..i18n import N_, Translator

LINK_TAG = "jisr-hub-link"


def hub_settings(config: dict) -> dict:
    """The ``jisr_hub`` block of the book's configuration (empty values when absent)."""
    block = config.get("jisr_hub") or {}
    return {"url": str(block.get("url") or "").strip(), "repository": str(block.get("repository") or "").strip(),
            "branch": str(block.get("branch") or "main").strip()}


def hub_link(settings: dict, lesson_key: str, language: str) -> str | None:
    """The nbgitpuller URL that opens ``lesson_key`` (``part/id``) in ``language`` on the hub; None if unset."""
    url, repository = settings.get("url", ""), settings.get("repository", "")
    if not url or not repository:
        return None
    folder = repository.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")  # where nbgitpuller puts it
    query = urlencode({"repo": repository, "branch": settings.get("branch") or "main",
                       "urlpath": f"lab/tree/{folder}/{language}/{lesson_key}.ipynb"})
    return f"{url.rstrip('/')}/hub/user-redirect/git-pull?{query}"


def add_hub_link(page: Path, lesson_key: str, language: str, config: dict, t: Translator) -> bool:
    """Put the "open on the hub" link under the title of a lesson page (a notebook); False when no hub is set."""
    link = hub_link(hub_settings(config), lesson_key, language)
    if link is None:
        return False
    nb = nbformat.read(page, as_version=4)
    if any(LINK_TAG in cell.metadata.get("tags", []) for cell in nb.cells):
        return False
    text = t(N_("Open this lesson on your institute’s hub"))
    cell = nbformat.v4.new_markdown_cell(f"[{text}]({link})", metadata={"tags": [LINK_TAG]})
    cell["id"] = f"{Path(lesson_key).name}-hub-link"
    nb.cells.insert(1, cell)
    nbformat.write(nb, page)
    return True
