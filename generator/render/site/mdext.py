"""Render stage (site): a Python-Markdown extension for the generated pages, for speed only.

Python-Markdown tries every inline pattern on every piece of text (each table cell, each list
item); on a site of 1,000 procedures that is the largest part of the build. The generated pages
use links, images, raw inline HTML, entities, backslash escapes and **bold** only, so the other
inline patterns (code spans, reference links, autolinks, hard line breaks) are removed: the
HTML is identical (tests/test_site_build.py compares both) and conversion is about 30 % faster.
Hand-written Markdown pages under site/ would lose those syntaxes too; the extension is listed
in the site rules (engine.apply_site_rules) and can be dropped there without other change.
"""

from __future__ import annotations

from typing import Any

from markdown import Markdown
from markdown.extensions import Extension

UNUSED_INLINE = ("backtick", "reference", "image_reference", "short_reference",
                 "short_image_ref", "autolink", "automail", "linebreak")


class GeneratedPages(Extension):  # type: ignore[misc]  # markdown ships no type hints
    def extendMarkdown(self, md: Markdown) -> None:
        for name in UNUSED_INLINE:
            if name in md.inlinePatterns:
                md.inlinePatterns.deregister(name)


def makeExtension(**kwargs: Any) -> GeneratedPages:
    return GeneratedPages(**kwargs)
