"""A Sphinx extension that writes math as MathML, drawn by the browser itself.

MathJax weighs about 260 KB compressed on every page with a formula; MathML
costs nothing to load, works offline and keeps Arabic words inside
``\\text{...}`` correctly shaped. The LaTeX is converted at build time with
``latex2mathml``. Enabled in ``_config.yml`` with ``html_math_renderer: mathml``.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx


def _mathml(latex: str, display: bool) -> str:
    return convert(latex.strip(), display="block" if display else "inline")


def visit_math(self: Any, node: nodes.Element) -> None:
    self.body.append(f'<span class="math notranslate" dir="ltr">{_mathml(node.astext(), False)}</span>')
    raise nodes.SkipNode


def visit_displaymath(self: Any, node: nodes.Element) -> None:
    self.body.append(f'<div class="math notranslate" dir="ltr">{_mathml(node.astext(), True)}</div>')
    raise nodes.SkipNode


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
