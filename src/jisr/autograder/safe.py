"""Strings that came from a student, made harmless wherever they are shown.

A student chooses their folder name, every grade id and cell id of their
notebook, and the text of their errors. Printed raw, an escape sequence
(``\\x1b[...``) can rewrite the teacher's terminal, a carriage return can hide
a line, and a right-to-left override (U+202E) can turn ``0 / 3`` into what
looks like something else. :func:`visible` is the one place that makes such
text plain: every character that controls the display is shown as its escape.

>>> visible("amina\\x1b[2K\\r3 / 3")
'amina\\\\x1b[2K\\\\r3 / 3'
>>> visible("q3\\u202eanswer")
'q3\\\\u202eanswer'
>>> visible("karim\\udcff")  # a byte of a folder name that is not UTF-8
'karim\\\\xff'
>>> visible("سلمى")
'سلمى'
"""

from __future__ import annotations

import unicodedata

__all__ = ["visible", "is_text"]

# Characters that change how text around them is displayed: bidi embeddings,
# overrides, isolates and marks, and the line and paragraph separators.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def visible(text: object) -> str:
    """``text`` with every control, bidi-control and undecodable character shown as an escape.

    Letters of every script stay as they are, so ordinary names read the same.
    """
    text = str(text)
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char in ("\n", "\r", "\t"):
            out.append(_NAMED[char])
        elif category in ("Cc", "Cs") or char in _BIDI:
            out.append(_escape(char))
        else:
            out.append(char)
    return "".join(out)


def is_text(name: str) -> bool:
    """True if ``name`` (e.g. a folder name from ``os.listdir``) is valid UTF-8 text."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
