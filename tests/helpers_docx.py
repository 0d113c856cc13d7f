"""Test helper: a generated .docx with its layout characters taken out of the text.

Wenkong keeps codes and department names whole on the page with word joiners (U+2060) and
offers line breaks beside them with zero-width spaces (U+200B) (render/docx/tables.py). Tests
that compare the words of a document read it through `plain_docx` (or `plain_text`).
"""

from __future__ import annotations

import io
import zipfile

LAYOUT_CHARACTERS = ("\u2060", "\u200b")


def plain_text(text: str) -> str:
    for character in LAYOUT_CHARACTERS:
        text = text.replace(character, "")
    return text


def plain_docx(data: bytes) -> bytes:
    """The same .docx with the layout characters removed from every XML part."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(".xml"):
                content = plain_text(content.decode("utf-8")).encode("utf-8")
            target.writestr(info, content)
    return buffer.getvalue()


def plain_docx_part(data: bytes, name: str) -> bytes:
    """One XML part of a .docx, layout characters removed."""
    return plain_text(zipfile.ZipFile(io.BytesIO(data)).read(name).decode("utf-8")).encode()
