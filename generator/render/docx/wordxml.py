"""Render stage (Word): paragraphs, runs and tables of a generated body written as XML text.

The body of a procedure is a few thousand elements; made one by one as python-docx / lxml
objects they were most of a procedure's rendering time. Here they are strings, written as
lxml serialises the elements python-docx made before (same element and attribute order, same
escaping), so the document is byte for byte what it was. Codes and names are kept whole as the
runs are written (`tables.keep_words_whole`, the same cuts), and tables are fitted from their
cell texts (`tables.fitted`). The few rare or intricate pieces (pictures, formulas with tab
stops) are still made with python-docx and serialised (body.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx.shared import Mm

from generator.render.docx import tables

_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
# what lxml refuses in text and attribute values (it raises; so does `check`)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TAB_OR_BREAK = re.compile(r"[\t\n\r]")
TAB = "<w:tab/>"
BREAK = "<w:br/>"


def text(value: str) -> str:
    """Text content as lxml writes it."""
    return value.translate(_TEXT_ESCAPES)


def attribute(value: str) -> str:
    """An attribute value as lxml writes it (between double quotes)."""
    return value.translate(_ATTRIBUTE_ESCAPES)


def check(xml: str) -> None:
    """Raise as lxml does for characters XML cannot hold (a control character in a source)."""
    if _NOT_XML.search(xml):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes "
                         "or control characters")


@dataclass
class Run:
    """A w:r: its w:rPr content (None: no w:rPr), and its children in order: a str is the
    text of a w:t, a `Raw` any other element (w:tab, w:br …)."""

    props: str | None = None
    children: list[str | Raw] = field(default_factory=list)
    kept: bool = False  # marked as a kept-whole name (w:lang w:eastAsia="zxx")
    preserve: bool = False  # every w:t with xml:space="preserve"
    # the names pattern `keep_whole` last left this run unchanged with (it would again)
    unchanged: re.Pattern[str] | None = field(default=None, compare=False)

    def xml(self) -> str:
        children = self.children
        if self.props is None and len(children) == 1 and isinstance(children[0], str) \
                and children[0]:  # the common case, written directly
            value = children[0]
            if self.preserve or len(value.strip()) < len(value):
                return f'<w:r><w:t xml:space="preserve">{text(value)}</w:t></w:r>'
            return f"<w:r><w:t>{text(value)}</w:t></w:r>"
        if self.props is None and not children:
            return "<w:r/>"
        out = ["<w:r>"]
        if self.props is not None:
            out.append(f"<w:rPr>{self.props}</w:rPr>" if self.props else "<w:rPr/>")
        for child in self.children:
            if isinstance(child, Raw):
                out.append(child.xml)
            elif not child:  # as an empty w:t reads back
                out.append('<w:t xml:space="preserve"/>' if self.preserve else "<w:t/>")
            elif self.preserve or len(child.strip()) < len(child):
                out.append(f'<w:t xml:space="preserve">{text(child)}</w:t>')
            else:
                out.append(f"<w:t>{text(child)}</w:t>")
        out.append("</w:r>")
        return "".join(out)

    def printed(self) -> str:
        """`tables.paragraph_text` of this run: w:t text, a tab as a space."""
        return "".join(c if isinstance(c, str) else (" " if c.xml == TAB else "")
                       for c in self.children)


@dataclass(frozen=True)
class Raw:
    xml: str


_TAB, _BREAK = Raw(TAB), Raw(BREAK)


def text_run(value: str, props: str | None = None) -> Run:
    """`ooxml.add_text` / python-docx's `add_run(value)`: a tab becomes w:tab, a line break
    w:br, the rest w:t (spaces kept where they lead or trail)."""
    if "\t" not in value and "\n" not in value and "\r" not in value:
        return Run(props, [value] if value else [])
    run = Run(props)
    start = 0
    for found in _TAB_OR_BREAK.finditer(value):
        if found.start() > start:
            run.children.append(value[start:found.start()])
        run.children.append(_TAB if found.group() == "\t" else _BREAK)
        start = found.end()
    if start < len(value):
        run.children.append(value[start:])
    return run


def keep_whole(run: Run, names: re.Pattern[str] | None) -> list[Run]:
    """`tables.keep_words_whole` on one run: the run, or the runs it is cut into."""
    if run.kept or (names is not None and run.unchanged is names):
        return [run]
    children = run.children
    if len(children) == 1 and isinstance(children[0], str):
        value = children[0]
    else:
        texts = [c for c in children if isinstance(c, str)]
        if len(texts) != 1:
            return [run]
        value = texts[0]
    if not tables.may_keep(value, names):
        run.unchanged = names
        return [run]
    pieces = tables._pieces(value, names)
    if len(pieces) == 1 and not pieces[0][1]:
        if pieces[0][0] == value:
            return [run]
        return [_with_text(run, pieces[0][0], run.kept)]
    return [_with_text(run, piece, name) for piece, name in pieces]


def _with_text(run: Run, value: str, name: bool) -> Run:
    children: list[str | Raw] = [value if isinstance(c, str) else c for c in run.children]
    props = run.props
    if name and not run.kept:
        # tables._mark_kept: w:rPr first in the run, w:lang after what the run props hold
        props = (props or "") + f'<w:lang w:eastAsia="{tables.NO_LANGUAGE}"/>'
    return Run(props, children, kept=run.kept or name, preserve=True)


@dataclass
class Link:
    """An internal hyperlink (`ooxml.add_internal_link`) holding runs."""

    anchor: str
    runs: list[Run]

    def xml(self) -> str:
        return (f'<w:hyperlink w:anchor="{attribute(self.anchor)}" w:history="1">'
                + "".join(r.xml() for r in self.runs) + "</w:hyperlink>")


@dataclass
class Paragraph:
    """A w:p with a paragraph style (python-docx's names: `paragraph_format`)."""

    style: str | None
    items: list[Run | Link | Raw] = field(default_factory=list)
    keep_with_next: bool | None = None  # w:keepNext (python-docx's paragraph_format names)
    keep_together: bool | None = None  # w:keepLines
    bookmark: tuple[int, str] | None = None  # its start: id, name

    def mark(self, number: int, name: str) -> None:
        """`ooxml.add_bookmark`: from the start of the paragraph to its end so far."""
        self.bookmark = (number, name)
        self.items.append(Raw(f'<w:bookmarkEnd w:id="{number}"/>'))

    @property
    def paragraph_format(self) -> Paragraph:
        """The paragraph itself: builders set `paragraph_format.keep_with_next` as on
        python-docx's paragraphs."""
        return self

    def add(self, value: str, props: str | None = None) -> Run:
        run = text_run(value, props)
        self.items.append(run)
        return run

    def keep_whole(self, names: re.Pattern[str] | None) -> None:
        """`tables.keep_words_whole` over the paragraph's runs (those in links too)."""
        items: list[Run | Link | Raw] = []
        for item in self.items:
            if isinstance(item, Run):
                items += keep_whole(item, names)
            else:
                if isinstance(item, Link):
                    item.runs = [r for run in item.runs for r in keep_whole(run, names)]
                items.append(item)
        self.items = items

    def printed(self) -> str:
        """`tables.paragraph_text`."""
        return "".join(item.printed() if isinstance(item, Run) else
                       "".join(r.printed() for r in item.runs) if isinstance(item, Link)
                       else "" for item in self.items)

    def xml(self) -> str:
        out = ["<w:p>"]
        props = []
        if self.style is not None:
            props.append(f'<w:pStyle w:val="{attribute(self.style)}"/>')
        for tag, value in (("keepNext", self.keep_with_next),
                           ("keepLines", self.keep_together)):
            if value is not None:
                props.append(f"<w:{tag}/>" if value else f'<w:{tag} w:val="0"/>')
        if props:
            out.append("<w:pPr>" + "".join(props) + "</w:pPr>")
        if self.bookmark is not None:
            number, name = self.bookmark
            out.append(f'<w:bookmarkStart w:id="{number}" w:name="{attribute(name)}"/>')
        out += (item.xml if isinstance(item, Raw) else item.xml() for item in self.items)
        if len(out) == 1:
            return "<w:p/>"
        out.append("</w:p>")
        return "".join(out)


def field_runs(instruction: str) -> list[Raw]:
    """`ooxml.add_field(…, instruction, "")`: begin, instruction, separate, empty result, end."""
    return [Raw('<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'),
            Raw(f'<w:r><w:instrText xml:space="preserve"> {text(instruction)} </w:instrText>'
                "</w:r>"),
            Raw('<w:r><w:fldChar w:fldCharType="separate"/></w:r>'),
            Raw('<w:r><w:t xml:space="preserve"/></w:r>'),
            Raw('<w:r><w:fldChar w:fldCharType="end"/></w:r>')]


PAGE_BREAK = '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'


# --- tables ----------------------------------------------------------------------------------

_TABLE_LOOK = ('<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
               'w:noHBand="0" w:noVBand="1" w:val="04A0"/>')


@dataclass
class Table:
    """A body table (python-docx's `add_table`, then centred, styled, a repeating header row,
    codes and names kept whole and the widths fitted: `tables.fit_table`)."""

    style: str
    rows: list[list[list[Paragraph]]]  # row → cell → paragraphs; the first row is the header

    def cell_texts(self) -> list[list[str]]:
        """`tables.table_texts`."""
        return [["\n".join(p.printed() for p in cell) for cell in row] for row in self.rows]

    def signature(self) -> tuple[tuple[str, ...], ...]:
        """`tables.signature`."""
        return tuple(tuple(t.replace(tables.WORD_JOINER, "").replace(tables.BREAK_HERE, "")
                           for t in row) for row in self.cell_texts())

    def xml(self, total_mm: float, relative: Sequence[float] | None,
            names: re.Pattern[str] | None) -> str:
        """The table fitted into `total_mm` (see `tables.fit_table`), with the cells' codes and
        names kept whole once more (the whole-document pass after the table's own)."""
        widths, whole = tables.fitted(self.cell_texts(), True, total_mm, relative)
        twips = [Mm(w).twips for w in widths]
        out = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{attribute(self.style)}"/>'
               f'<w:tblW w:type="dxa" w:w="{sum(twips)}"/><w:jc w:val="center"/>'
               f'<w:tblLayout w:type="fixed"/>{_TABLE_LOOK}</w:tblPr><w:tblGrid>']
        out += (f'<w:gridCol w:w="{w}"/>' for w in twips)
        out.append("</w:tblGrid>")
        cells = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{w}"/></w:tcPr>' for w in twips]
        for index, row in enumerate(self.rows):
            if index == 0:
                out.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>")
            else:
                out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" if whole[index - 1]
                           else "<w:tr><w:trPr/>")
            for opening, paragraphs in zip(cells, row, strict=True):
                out.append(opening)
                for paragraph in paragraphs:
                    paragraph.keep_whole(names)
                    out.append(paragraph.xml())
                out.append("</w:tc>")
            out.append("</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)

