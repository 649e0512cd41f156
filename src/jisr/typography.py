"""Typography per language, applied to the built pages' prose (never to code or math).

French: a narrow no-break space (U+202F) before ``; ! ?`` and inside « »,
a no-break space (U+00A0) before ``:``, and the typographic apostrophe ’.
Arabic: the Arabic comma, semicolon and question mark (، ؛ ؟) where a Latin
one touches Arabic prose. Numbers (``1,000``, ``10:30``), code, ``<pre>``,
math and scripts are left alone.

>>> typeset_text("Qu'est-ce que l'IA? Voici: « oui »!", "fr")
'Qu’est-ce que l’IA\\u202f? Voici\\xa0: «\\u202foui\\u202f»\\u202f!'
>>> typeset_text("ما الذكاء الاصطناعي? البيانات, والنماذج; و 1,5", "ar")
'ما الذكاء الاصطناعي؟ البيانات، والنماذج؛ و 1,5'
"""

from __future__ import annotations

import html
import re

NNBSP = "\u202f"  # narrow no-break space: before ; ! ? and inside « »
NBSP = "\u00a0"  # no-break space: before :
SKIPPED_ELEMENTS = frozenset({"code", "pre", "kbd", "samp", "math", "script", "style", "textarea", "svg", "tt"})
"""Elements whose text is code, math or machinery: typography never touches them."""
SKIPPED_CLASSES = ("sk-top-container",)
"""Outputs written by a library in its own words (scikit-learn's model diagram)."""
_SKIPPED_CLASS = re.compile(r'\bclass="[^"]*\b(?:' + "|".join(SKIPPED_CLASSES) + r')\b')

ARABIC_LETTER = "\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f"
_ARABIC = re.compile(f"[{ARABIC_LETTER}]")
_ARABIC_PUNCT = {",": "،", ";": "؛", "?": "؟"}

# French: punctuation that takes a space before it, when it closes a word (not "10:30", "http://", "!=")
_FR_BEFORE = re.compile(r"(?<=\S)[ \u00a0\u202f]?([;:!?])(?=\s|$|[»)\]\"’”.,…<*_])")
_FR_OPEN = re.compile(r"«[ \u00a0\u202f]*")
_FR_CLOSE = re.compile(r"[ \u00a0\u202f]*»")
_FR_APOSTROPHE = re.compile(r"(?<=[^\W\d_])['”](?=[^\W\d_]|$)")


def _french(text: str, skip: int = 0) -> str:
    """French typography; the first ``skip`` characters are context only, never changed."""

    def unless_context(replace):
        return lambda m: m.group(0) if m.start() < skip else replace(m)

    text = _FR_APOSTROPHE.sub(unless_context(lambda m: "’"), text)

    def space(match: re.Match[str]) -> str:
        mark = match.group(1)
        before = match.string[match.start() - 1] if match.start() else ""
        if mark == ":" and before.isdigit() and match.group(0) == mark:
            return mark  # "10:30", "1:2"
        if before and before in "/:" or mark == ":" and match.end() < len(match.string) and match.string[match.end()] == "/":
            return match.group(0)
        return (NBSP if mark == ":" else NNBSP) + mark

    text = _FR_BEFORE.sub(unless_context(space), text)
    text = _FR_OPEN.sub(unless_context(lambda m: "«" + NNBSP), text)
    text = _FR_CLOSE.sub(unless_context(lambda m: NNBSP + "»"), text)
    return text


def _arabic(text: str, before: str) -> str:
    """Replace , ; ? by their Arabic forms where they follow (or lead into) Arabic prose."""
    out = []
    for index, char in enumerate(text):
        if char in _ARABIC_PUNCT:
            previous = (before + text[:index]).rstrip()[-1:]
            following = text[index + 1 :].lstrip()[:1]
            in_number = previous.isdigit() and following.isdigit()
            if not in_number and (_ARABIC.match(previous or " ") or (_ARABIC.match(following or " ") and not previous.isdigit())):
                char = _ARABIC_PUNCT[char]
        out.append(char)
    return "".join(out)


def typeset_text(text: str, language: str, before: str = "") -> str:
    """Apply ``language``'s typography to one run of prose; ``before`` is the prose just before it."""
    if language == "fr":
        # the last character before this run decides "<strong>mot</strong> :" across tags
        context = before[-1:]
        return _french(context + text, skip=len(context))[len(context):]
    if language == "ar":
        return _arabic(text, before)
    return text


# scripts and styles are taken whole: "a < b" in a script must not read as a tag
_TAG = re.compile(r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]*>)", re.S | re.I)
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_ATTRIBUTE = re.compile(r'(\s(?:alt|title|aria-label)=")([^"]*)"')
_RAW_TEXT = frozenset({"script", "style", "textarea"})  # their content is not HTML: only the closing tag counts
_VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base", "embed", "param", "track"})


def typeset_html(page: str, language: str, start: str = "<article", end: str = "</article>") -> str:
    """Typeset the prose of ``page`` between ``start`` and ``end`` (the article), tags untouched."""
    if language not in ("fr", "ar"):
        return page
    head, found, rest = page.partition(start)
    if not found:
        return page
    body, found_end, tail = rest.partition(end)
    pieces = _TAG.split(found + body)
    skipped: list[str] = []
    before = ""
    for index, piece in enumerate(pieces):
        if index % 2:  # a tag or a comment
            match = _TAG_NAME.match(piece)
            if not match or match.group(2).lower() in _RAW_TEXT:
                continue
            closing, name = match.group(1) == "/", match.group(2).lower()
            if not skipped and not closing:
                pieces[index] = _ATTRIBUTE.sub(lambda m: m.group(1) + html.escape(typeset_text(html.unescape(m.group(2)), language)) + '"', piece)
            if skipped:
                if closing and name == skipped[-1]:
                    skipped.pop()
                elif not closing and name == skipped[-1] and name not in _RAW_TEXT and not piece.endswith("/>"):
                    skipped.append(name)
                continue
            foreign = _SKIPPED_CLASS.search(piece) is not None
            if (name in SKIPPED_ELEMENTS or foreign) and not closing and name not in _VOID and not piece.endswith("/>"):
                skipped.append(name)
                before = "x"  # code reads as a word in the sentence
            continue
        if skipped or not piece:
            continue
        text = html.unescape(piece)
        typeset = typeset_text(text, language, before)
        if typeset != text:
            pieces[index] = html.escape(typeset, quote=False)
        if text.strip():
            before = text
    return head + "".join(pieces) + found_end + tail


def prose_problems(text: str, language: str, before: str = "") -> list[str]:
    """What breaks ``language``'s typography in a run of prose (used by the tests on every page).

    ``before`` is the prose just before the run (the text of the previous node).

    >>> prose_problems(" : oui", "fr", before="mot")
    ["no no-break space before ':': …t : oui…"]
    >>> prose_problems("\u00a0: oui", "fr", before="mot")
    []
    """
    context = before[-1:] if before[-1:] and not before[-1:].isspace() else ""
    text = context + text
    problems = []
    if language == "fr":
        for match in re.finditer(r"(?<=\S)[ ]?[;!?](?=\s|$)|(?<=[^\d\s])[ ]?:(?=\s|$)", text):
            # every match lacks the space: a no-break space before the mark is \s, which the pattern excludes
            problems.append(f"no no-break space before {match.group(0).strip()!r}: …{text[max(0, match.start() - 30):match.end() + 5]}…")
        for match in re.finditer(r"«(?!\u202f|\u00a0)|(?<!\u202f|\u00a0)»", text):
            if match.start() < len(context):
                continue  # the previous run's mark: judged with that run
            problems.append(f"no no-break space inside « »: …{text[max(0, match.start() - 20):match.end() + 20]}…")
        for match in re.finditer(r"(?<=[^\W\d_])['”](?=[^\W\d_])", text):
            if match.start() < len(context):
                continue
            problems.append(f"straight or wrong apostrophe: …{text[max(0, match.start() - 20):match.end() + 20]}…")
    if language == "ar":
        for match in re.finditer(f"(?<=[{ARABIC_LETTER}])\\s?[,;?]|[,;?]\\s?(?=[{ARABIC_LETTER}])", text):
            start = match.start()
            if start < len(context) or start and text[start - 1].isdigit():
                continue
            problems.append(f"Latin punctuation in Arabic prose: …{text[max(0, start - 20):match.end() + 20]}…")
    return problems


# code spans, math, link targets, HTML tags and MyST roles are not prose
_MARKDOWN_LITERAL = re.compile(r"(`+[^`]*`+|\$\$.*?\$\$|\$[^$\n]*\$|\]\([^)]*\)|<[^>]+>|\{[a-zA-Z:-]+\}|https?://\S+)", re.S)


def typeset_markdown(text: str, language: str) -> str:
    """Apply ``language``'s typography to a translated Markdown text, leaving code, math and links alone.

    >>> typeset_markdown("Lancez `q1.check()`: c'est «simple»!", "fr")
    'Lancez `q1.check()`\\xa0: c’est «\\u202fsimple\\u202f»\\u202f!'
    """
    if language not in ("fr", "ar"):
        return text
    pieces = _MARKDOWN_LITERAL.split(text)
    before = ""
    for index, piece in enumerate(pieces):
        if index % 2:
            before = "x"  # a code span reads as a word in the sentence
            continue
        if piece:
            pieces[index] = typeset_text(piece, language, before)
            before = piece
    return "".join(pieces)
