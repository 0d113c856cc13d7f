"""Render stage (site): turn resolved text into safe Markdown for the page templates.

Everything that comes from YAML passes through `escape`: HTML special characters become
entities and every character Python-Markdown would read as syntax gets a backslash, so a
`<script>` or `**bold**` in a clause shows as typed and never runs or formats. Links are the
one thing the site adds to the text: inline references (`Ref`) become Markdown links to the
page (and clause anchor) they name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from markupsafe import Markup

from generator.docset import Ref, Rich

# Characters that are Markdown syntax wherever they stand (emphasis, code, links, attribute
# lists, table cells, backslash escapes). "<", ">" and "&" are HTML-escaped instead.
_ALWAYS = frozenset("\\`*_{}[]|")
# Characters that are syntax only at the start of a line (headings, lists, rules, fences,
# admonitions, setext underlines). Escaping every "-" and "." would triple the inline work of
# the Markdown parser on codes and dates (QP-01, 2026-01-05) for nothing.
_LINE_START = frozenset("#-+=!~:")
_ORDERED = re.compile(r"^(\d+)([.)])")


_TABLE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "", "\n": "<br>",
     "\t": "&#9;",  # Markdown would expand a tab to spaces
     **{char: "\\" + char for char in _ALWAYS}}
)


def escape(text: object) -> Markup:
    """Plain text → Markdown that displays exactly that text (one line: newlines → <br>).

    The text may start a Markdown line, so its first character is escaped when it would open a
    block; inside the line only inline syntax matters. The hypothesis tests check the round trip.
    """
    result = str(text).translate(_TABLE)
    stripped = result.lstrip(" \t")
    if len(stripped) != len(result):
        # Leading blanks would make an indented code block; as character references they
        # also keep whatever follows from opening a block.
        lead = result[: len(result) - len(stripped)]
        return Markup("".join(f"&#{ord(c)};" for c in lead) + stripped)
    ordered = _ORDERED.match(result)
    if ordered:  # "1. " would start an ordered list
        result = ordered.group(1) + "\\" + ordered.group(2) + result[ordered.end():]
    elif result[:1] in _LINE_START:
        result = f"&#{ord(result[0])};" + result[1:]
    return Markup(result)


def finalize(value: object) -> object:
    """Jinja `finalize`: every `{{ … }}` that is not already Markdown gets escaped.

    Templates therefore cannot forget to escape a title or a name: only filters below return
    `Markup` (trusted Markdown), everything else is treated as text.
    """
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return escape(value)


def relative_url(from_page: str, to_path: str, anchor: str | None = None) -> str:
    """A relative link from one docs file to another (both relative to the docs folder)."""
    if to_path == from_page:
        target = ""
    else:
        # Pure string work (no os.path.relpath: it asks the OS for the current folder).
        start = from_page.split("/")[:-1]
        parts = to_path.split("/")
        common = 0
        while common < min(len(start), len(parts) - 1) and start[common] == parts[common]:
            common += 1
        relative = "/".join([".."] * (len(start) - common) + parts[common:])
        target = quote(relative, safe="/-._~")
    if anchor:
        target += "#" + quote(anchor, safe="-_")
    return target or "#"


def link(text: Markup | str, from_page: str, to_path: str, anchor: str | None = None) -> Markup:
    """A Markdown link; `text` is escaped unless it is already Markdown."""
    label = text if isinstance(text, Markup) else escape(text)
    return Markup(f"[{label}]({relative_url(from_page, to_path, anchor)})")


PageOf = Callable[[Ref], tuple[str, str | None] | None]
"""Where a reference lands: (docs path, anchor), or None when it has no page."""


def rich(text: Rich | None, from_page: str, page_of: PageOf) -> Markup:
    """Resolved text with references as links; the printed text is `Ref.text`, never re-made."""
    if not text:
        return Markup("")
    parts = []
    for part in text:
        if isinstance(part, str):
            parts.append(escape(part))
            continue
        target = page_of(part)
        if target is None:
            parts.append(escape(part.text))
        else:
            parts.append(link(part.text, from_page, target[0], target[1]))
    return Markup("".join(parts))
