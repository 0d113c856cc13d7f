"""Raw OOXML helpers shared by the Word renderers (python-docx's oxml layer, kept apart from
the builders that speak in domain terms): East Asian fonts, A4 pages, deterministic saving.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from docx.document import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm

from generator.write import normalize_zip

A4_WIDTH = Mm(210)
A4_HEIGHT = Mm(297)


def set_fonts(element: Any, east_asian: str, latin: str | None = None) -> None:
    """Set the fonts of a run or style, East Asian included.

    python-docx's `font.name` sets only w:ascii/w:hAnsi; Word picks a Chinese font from
    w:eastAsia alone, so without it Chinese text falls back to whatever Word likes.
    """
    r_pr = element.get_or_add_rPr() if hasattr(element, "get_or_add_rPr") else element
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    if latin is not None:
        fonts.set(qn("w:ascii"), latin)
        fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def set_a4(document: Document, *, top: float = 25, bottom: float = 20, left: float = 25,
           right: float = 20, header: float = 12, footer: float = 10) -> None:
    """A4 portrait with the margins Chinese companies use (mm)."""
    for section in document.sections:
        section.page_width = A4_WIDTH
        section.page_height = A4_HEIGHT
        section.top_margin = Mm(top)
        section.bottom_margin = Mm(bottom)
        section.left_margin = Mm(left)
        section.right_margin = Mm(right)
        section.header_distance = Mm(header)
        section.footer_distance = Mm(footer)


def fix_core_properties(document: Document, when: dt.date | None, *, title: str,
                        author: str = "", subject: str = "", keywords: str = "") -> None:
    """Core properties derived from the document's own data, never from the clock."""
    moment = dt.datetime.combine(when or dt.date(2000, 1, 1), dt.time())
    props = document.core_properties
    props.created = moment
    props.modified = moment
    props.last_printed = moment
    props.revision = 1
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.subject = subject
    props.keywords = keywords
    props.comments = ""


def save_deterministic(document: Document) -> bytes:
    """Save to bytes with fixed zip entry times: the same document gives the same bytes.

    Call `fix_core_properties` first: python-docx stamps the current time into core.xml.
    """
    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_zip(buffer.getvalue())
