"""Control stage: a redline .docx of two versions, as Word tracked changes.

Every clause of the newer version is printed; deleted words sit in `w:del` and inserted words
in `w:ins`, each with the author and date of the release, so Word and LibreOffice show (and can
accept or reject) the changes. Unchanged clauses are printed plainly for context.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from generator.control.content import Unit
from generator.control.diff import ClauseChange, Comparison, Op
from generator.model.settings import Fonts
from generator.render.docx import ooxml


class _Redline:
    def __init__(self, author: str, when: dt.date, fonts: Fonts) -> None:
        self.document = docx.Document()
        ooxml.set_a4(self.document)
        style = self.document.styles["Normal"]
        style.font.size = Pt(10.5)
        ooxml.set_fonts(style.element, fonts.body, fonts.latin)
        self.author = author
        self.stamp = dt.datetime.combine(when, dt.time()).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.next_id = 1
        self.body = self.document.element.body

    def _mark(self, tag: str) -> object:
        mark = OxmlElement(tag)
        mark.set(qn("w:id"), str(self.next_id))
        mark.set(qn("w:author"), self.author)
        mark.set(qn("w:date"), self.stamp)
        self.next_id += 1
        return mark

    def _run(self, text: str, deleted: bool = False, bold: bool = False) -> object:
        run = OxmlElement("w:r")
        if bold:
            properties = OxmlElement("w:rPr")
            properties.append(OxmlElement("w:b"))
            run.append(properties)
        node = OxmlElement("w:delText" if deleted else "w:t")
        node.set(qn("xml:space"), "preserve")
        node.text = text
        run.append(node)
        return run

    def paragraph(self, runs: Iterable[tuple[Op, str]], *, bold: bool = False,
                  heading: bool = False) -> None:
        paragraph = self.document.add_paragraph()
        if heading:
            paragraph.paragraph_format.space_before = Pt(6)
        p = paragraph._p
        for op, text in runs:
            if not text:
                continue
            if op == "equal":
                p.append(self._run(text, bold=bold))
            else:
                wrapper = self._mark("w:ins" if op == "insert" else "w:del")
                wrapper.append(self._run(text, deleted=op == "delete", bold=bold))  # type: ignore[attr-defined]
                p.append(wrapper)

    def lines(self, runs: Iterable[tuple[Op, str]]) -> None:
        """Runs that may hold line breaks: one paragraph per line of the unit."""
        current: list[tuple[Op, str]] = []
        for op, text in runs:
            pieces = text.split("\n")
            for k, piece in enumerate(pieces):
                if k > 0:
                    self.paragraph(current)
                    current = []
                current.append((op, piece))
        self.paragraph(current)


def render_redline(comparison: Comparison, *, author: str, date: dt.date, heading: str,
                   fonts: Fonts | None = None) -> bytes:
    """The redline of `comparison` as .docx bytes (deterministic: same input, same bytes)."""
    fonts = fonts or Fonts()
    builder = _Redline(author, date, fonts)
    title = builder.document.add_paragraph()
    title_run = title.add_run(heading)
    title_run.bold = True
    title_run.font.size = Pt(14)
    ooxml.set_fonts(title_run._r, fonts.heading, fonts.latin)
    by_new = {c.label: c for c in comparison.changes if c.kind != "removed"}
    removed_after: dict[str, list[ClauseChange]] = {}
    previous_label = ""
    # Removed clauses are printed where they were: after the new clause that precedes them.
    order = {u.label: i for i, u in enumerate(comparison.old.units)}
    new_labels = [u.label for u in comparison.new.units]
    for change in comparison.changes:
        if change.kind == "removed":
            anchor = _preceding(change, comparison.old.units, order, new_labels)
            removed_after.setdefault(anchor, []).append(change)
    for change in removed_after.get("", []):
        _print_change(builder, change)
    for unit in comparison.new.units:
        found = by_new.get(unit.label)
        if found is None and not unit.title:  # "5.4.1 文件批准后……" as one paragraph
            builder.lines([("equal", f"{unit.label} {unit.text}")])
        elif found is None:
            builder.paragraph([("equal", unit.heading)], bold=True, heading=True)
            if unit.text:  # a clause with a title and sub-clauses only has no text of its own
                builder.lines([("equal", unit.text)])
        else:
            _print_change(builder, found)
        previous_label = unit.label
        for removed in removed_after.get(previous_label, []):
            _print_change(builder, removed)
    ooxml.fix_core_properties(builder.document, date, title=heading, author=author)
    return ooxml.save_deterministic(builder.document)


def _preceding(change: ClauseChange, old_units: tuple[Unit, ...], order: dict[str, int],
               new_labels: list[str]) -> str:
    index = order.get(change.label, 0)
    for unit in reversed(old_units[:index]):
        if unit.label in new_labels:
            return unit.label
    return ""


def _print_change(builder: _Redline, change: ClauseChange) -> None:
    op: Op = {"added": "insert", "removed": "delete"}.get(change.kind, "equal")  # type: ignore[assignment]
    if change.title:
        builder.paragraph([(op, change.label)], bold=True, heading=True)
        builder.lines(change.words)
    else:  # the number leads the clause's own paragraph, as in the document
        builder.lines([(op, f"{change.label} "), *change.words])
