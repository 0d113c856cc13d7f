"""Render stage (site): turn resolved text into safe Markdown for the page templates.

Everything that comes from YAML passes through `escape`: HTML special characters become
entities and every character Python-Markdown would read as syntax gets a backslash, so a
`<script>` or `**bold**` in a clause shows as typed and never runs or formats. Links are the
one thing the site adds to the text: inline references (`Ref`) become Markdown links to the
page (and clause anchor) they name.
"""

from __future__ import annotations

import html
import posixpath
from collections.abc import Callable
from urllib.parse import quote

from markupsafe import Markup

from generator.docset import Ref, Rich

# Python-Markdown's escapable characters (with the tables extension's "|"). "<", ">" and "&"
# are handled by html.escape before this runs, so ">" never reaches it.
_MARKDOWN_SYNTAX = frozenset("\\`*_{}[]()#+-.!|")


def escape(text: object) -> Markup:
    """Plain text → Markdown that displays exactly that text (one line: newlines → <br>)."""
    value = html.escape(str(text), quote=True)
    out = []
    for char in value:
        if char in _MARKDOWN_SYNTAX:
            out.append("\\" + char)
        elif char == "\n":
            out.append("<br>")
        elif char != "\r":
            out.append(char)
    return Markup("".join(out))


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
        start = posixpath.dirname(from_page) or "."
        target = quote(posixpath.relpath(to_path, start), safe="/-._~")
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
