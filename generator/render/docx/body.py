"""Render stage (Word): the body of a procedure — sections, clauses and their blocks.

Writes the body as XML text (wordxml.py) that names the template's styles only: the template
decides how `Heading 2`, `List` or `Procedure Table` look, so a restyled template restyles
every document. Every number, label and reference text comes from
the resolved `ProcedureDoc`; nothing here re-derives numbering.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Mm

from generator.docset import (
    AttachmentR,
    CheckboxesR,
    ClauseR,
    DocumentSet,
    FigureR,
    FormulaR,
    ListR,
    NoteR,
    Paragraph,
    ProcedureDoc,
    ProcessColumnR,
    ProcessR,
    Rich,
    Section,
    StepR,
    TableR,
    TermR,
    plain,
)
from generator.model.procedure import DEFAULT_COLUMNS, ClassesStyle, ListStyle
from generator.model.settings import FlowchartPlacement
from generator.numbering import label_gap, list_label
from generator.render.docx import ooxml, tables, wordxml
from generator.render.docx.labels import DocxLabels

# Style names the body uses; the template must define them (procedure.py checks).
HEADINGS = ("Heading 1", "Heading 2", "Heading 3", "Heading 4")
BODY = "Body Text"
CLAUSE = "Clause Text"
LISTS = ("List", "List 2", "List 3")
NOTE = "Note"
TABLE = "Procedure Table"
TABLE_TEXT = "Table Text"
TABLE_HEADING = "Table Heading"
CAPTION = "Caption"
FIGURE = "Figure"
FORMULA = "Formula"
TOC_HEADING = "TOC Heading"
TOC_LEVELS = ("TOC 1", "TOC 2")
STRONG = "Strong"
PARAGRAPH_STYLES = (*HEADINGS, BODY, CLAUSE, *LISTS, NOTE, TABLE_TEXT, TABLE_HEADING, CAPTION,
                    FIGURE, FORMULA, TOC_HEADING, *TOC_LEVELS)
USED_STYLES = (*PARAGRAPH_STYLES, STRONG, TABLE)

# Relative widths of the process table's columns where the table gives none (输入 | 工作流程 |
# 权责 | 重点说明 | 支持性文件 | 输出, a label column, and a column of the company's own).
PROCESS_WIDTHS = {"input": 2.0, "flow": 3.6, "owners": 2.4, "key_points": 3.6,
                  "documents": 2.4, "outputs": 2.4, "label": 0.9}
OWN_COLUMN_WIDTH = 2.4
MAX_FIGURE_HEIGHT_MM = 215.0  # A4 text block minus header, caption and a line of text
FLOWCHART_NAME = "Flowchart"  # the drawing name of a process flowchart (then its number)

# A table of contents pays off from about three pages of body on (or many clauses).
TOC_MIN_CLAUSES = 25
TOC_MIN_PAGES = 3.0
_CHARS_PER_PAGE = 1100  # 五号 text on an A4 page with tables and headings mixed in

Flowchart = Callable[[ProcessR], bytes]


def bookmark_name(anchor: str) -> str:
    """Word bookmark for a clause anchor: letters, digits and _ only; a leading _ hides it from
    Word's bookmark list (like Word's own _Toc bookmarks)."""
    return "_Wk_" + anchor.replace("-", "_")


def estimated_pages(doc: ProcedureDoc) -> float:
    """A rough page count of the body, to decide whether a table of contents is worth it."""
    chars = len(plain(doc.purpose)) + len(plain(doc.scope))
    chars += sum(len(plain(t.definition)) + 40 for t in doc.terms)
    chars += sum(len(plain(d)) + 20 for r in doc.responsibilities for d in r.duties)
    pages = 0.0
    for clause in doc.all_clauses():
        chars += len(plain(clause.title)) + len(plain(clause.text)) + 20
        for block in clause.blocks:
            if isinstance(block, ProcessR):
                pages += 0.25 * len(block.steps) / 4 + 0.8  # the table and its flowchart
            elif isinstance(block, TableR):
                chars += sum(len(plain(c)) + 10 for row in block.rows for c in row) + 200
            elif isinstance(block, Paragraph | NoteR):
                chars += len(plain(block.text))
            elif isinstance(block, ListR):
                chars += sum(len(plain(e.text)) + 10 for e in block.items)
            else:
                chars += 100
    return pages + chars / _CHARS_PER_PAGE


def wants_contents(doc: ProcedureDoc) -> bool:
    return len(doc.all_clauses()) > TOC_MIN_CLAUSES or estimated_pages(doc) > TOC_MIN_PAGES


def png_size(data: bytes) -> tuple[int, int, float]:
    """(width px, height px, dpi) of a PNG; dpi from its pHYs chunk, 96 without one."""
    width, height = struct.unpack(">II", data[16:24])
    dpi = 96.0
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        if kind == b"pHYs":
            per_metre, _, unit = struct.unpack(">IIB", data[position + 8:position + 17])
            if unit == 1 and per_metre:
                dpi = per_metre * 0.0254
            break
        if kind == b"IDAT":
            break
        position += 12 + length
    return width, height, dpi


@dataclass
class Body:
    """A generated body as XML text: its elements but the empty paragraphs it ends with, those
    (`tables.trim_end` shrinks the first and drops the others, so they stay apart until the
    whole document is there), how many pictures it holds, and its tables' cell texts
    (`tables.signature`: they are not fitted again as the template's own)."""

    xml: str
    tail: str
    pictures: int
    tables: set[tuple[tuple[str, ...], ...]]


class BodyBuilder:
    """Writes one procedure's body, in document order, as XML text (wordxml.py).

    `media` is the part pictures are added to (its `new_pic_inline`, as python-docx's story
    parts); `namespaces` those the document's root declares: pictures and formulas, made with
    python-docx in a scratch document under the same declarations, are written as they then
    appear in the document."""

    def __init__(self, media: Any, doc: ProcedureDoc, docset: DocumentSet,
                 labels: DocxLabels, flowchart: Flowchart | None, width_mm: float,
                 style_ids: dict[str, str], namespaces: dict[str | None, str],
                 first_picture: int = 1000) -> None:
        self.media = media
        # Style name → id, looked up once per template.
        self.style_ids = style_ids
        self.doc = doc
        self.docset = docset
        self.labels = labels
        self.flowchart = flowchart
        self.width_mm = width_mm
        self.bookmarks = 0
        self.flowcharts = 0
        self.picture_id = first_picture
        self.pictures = 0
        self.names = [role.name for role in docset.roles.values()]  # kept whole in tables
        self.pattern = tables.names_pattern(self.names)
        self.own_anchors = {c.anchor for c in doc.all_clauses()} | {
            f.anchor for f in doc.formulas() if f.anchor}
        self.out: list[wordxml.Paragraph | str] = []
        self.signatures: set[tuple[tuple[str, ...], ...]] = set()
        self.namespaces = namespaces
        self._scratch: Any = None

    # --- paragraphs and text -------------------------------------------------------------

    def add(self, container: list[Any] | None, style: str,
            text: str | None = None) -> wordxml.Paragraph:
        """A new paragraph of `style` at the end of `container` (the body, or a cell's list
        of paragraphs)."""
        paragraph = wordxml.Paragraph(self.style_ids[style])
        if text:
            paragraph.add(text)
        (self.out if container is None else container).append(paragraph)
        return paragraph

    def strong(self, paragraph: wordxml.Paragraph, text: str) -> None:
        paragraph.add(text, f'<w:rStyle w:val="{wordxml.attribute(self.style_ids[STRONG])}"/>')

    def paragraph(self, style: str, text: Rich | str | None = None, *, label: str | None = None,
                  tab: bool = False, container: list[Any] | None = None) -> wordxml.Paragraph:
        paragraph = self.add(container, style)
        if label:
            paragraph.add(label + ("\t" if tab else label_gap(label)))
        if isinstance(text, str):
            paragraph.add(text)
        elif text:
            self.rich(paragraph, text)
        return paragraph

    def rich(self, paragraph: wordxml.Paragraph, text: Rich) -> None:
        """Plain runs and references; a clause of this document becomes an internal link."""
        for part in text:
            if isinstance(part, str):
                paragraph.add(part)
            elif part.kind in ("clause", "formula") and part.anchor and \
                    part.code == self.doc.model.code and part.anchor in self.own_anchors:
                self.link(paragraph, bookmark_name(part.anchor), part.text)
            else:
                paragraph.add(part.text)

    @staticmethod
    def link(paragraph: wordxml.Paragraph, anchor: str, text: str) -> None:
        run = wordxml.Run(children=[text], preserve=True)  # ooxml.text_run
        paragraph.items.append(wordxml.Link(anchor, [run]))

    def mark(self, paragraph: wordxml.Paragraph, anchor: str) -> None:
        self.bookmarks += 1
        paragraph.mark(self.bookmarks, bookmark_name(anchor))

    def page_break(self) -> None:
        self.out.append(wordxml.PAGE_BREAK)

    # --- the whole body ------------------------------------------------------------------

    def build(self) -> Body:
        if wants_contents(self.doc):
            self.contents()
        for section in self.doc.sections:
            heading = self.paragraph(HEADINGS[0], section.title, label=section.label)
            self.mark(heading, _section_anchor(section))
            if section.empty:
                self.nothing()
            elif section.builtin:
                getattr(self, f"section_{section.key}")()
            else:  # a section of the company's own: clauses like the procedure section
                for clause in section.clauses:
                    self.clause(clause)
        parts = []
        for item in self.out:
            if isinstance(item, wordxml.Paragraph):
                item.keep_whole(self.pattern)  # the whole-document pass
                parts.append(item.xml())
            else:
                parts.append(item)
        cut = len(parts)
        while cut > 0 and isinstance(self.out[cut - 1], wordxml.Paragraph) and \
                tables._is_empty(_element(parts[cut - 1])):
            cut -= 1
        xml, tail = "".join(parts[:cut]), "".join(parts[cut:])
        wordxml.check(xml)
        wordxml.check(tail)
        return Body(xml, tail, self.pictures, self.signatures)

    def contents(self) -> None:
        """Contents with PAGEREF page numbers (see README: why not a TOC field)."""
        self.paragraph(TOC_HEADING, self.labels.contents)
        entries: list[tuple[int, str, str]] = []
        for section in self.doc.sections:
            entries.append((0, section.label + label_gap(section.label) + section.title,
                            _section_anchor(section)))
            clauses = self.doc.clauses if section.key == "procedure" else section.clauses
            entries += [(1, c.label + label_gap(c.label) + plain(c.title), c.anchor)
                        for c in clauses if c.title]
        for level, text, anchor in entries:
            paragraph = self.add(None, TOC_LEVELS[level])
            self.link(paragraph, bookmark_name(anchor), text)
            paragraph.add("\t")
            paragraph.items += wordxml.field_runs(f"PAGEREF {bookmark_name(anchor)} \\h")
        self.page_break()

    def nothing(self) -> None:
        self.paragraph(BODY, self.labels.none)

    def section_purpose(self) -> None:
        self.paragraph(BODY, self.doc.purpose)

    def section_scope(self) -> None:
        self.paragraph(BODY, self.doc.scope)

    def section_terms(self) -> None:
        if not self.doc.terms:
            return self.nothing()
        for term in self.doc.terms:
            paragraph = self.paragraph(CLAUSE, None, label=term.label)
            self.strong(paragraph, term.term)
            if term.en:
                paragraph.add(f" {term.en}")
            if term.definition:
                paragraph.add("：")
                self.rich(paragraph, term.definition)
            for block in term.body:
                self.block(block)
            if term.classes and term.classes_style is ClassesStyle.list:
                self.term_classes_as_list(term)
            elif term.classes:
                rows = [(c.code, c.title, plain(c.definition),
                         "；".join(plain(e) for e in c.examples)) for c in term.classes]
                self.table(self.labels.term_classes_columns, rows)
        return None

    def term_classes_as_list(self, term: TermR) -> None:
        """A 类：致命缺陷（CR） — its definition, then its examples 1) 2) …"""
        for c in term.classes:
            self.strong(self.paragraph(BODY, None), c.heading)
            self.paragraph(BODY, c.definition)
            for label, example in zip(c.example_labels, c.examples, strict=True):
                self.paragraph(LISTS[0], example, label=label, tab=True)

    def section_responsibilities(self) -> None:
        for duty in self.doc.responsibilities:
            paragraph = self.paragraph(CLAUSE, None, label=duty.label)
            self.strong(paragraph, duty.name)
            paragraph.add("：")
            if len(duty.duties) == 1:
                self.rich(paragraph, duty.duties[0])
                continue
            for text in duty.duties:
                self.paragraph(LISTS[0], text, label=list_label(1, ListStyle.bullet), tab=True)

    def section_procedure(self) -> None:
        for clause in self.doc.clauses:
            self.clause(clause)

    def section_related(self) -> None:
        if not self.doc.related:
            return self.nothing()
        bullet = list_label(1, ListStyle.bullet)
        for item in self.doc.related:
            self.paragraph(LISTS[0], item.printed, label=bullet, tab=True)
        return None

    def section_records(self) -> None:
        if not self.doc.records:
            return self.nothing()
        rows = []
        for n, record in enumerate(self.doc.records, start=1):
            form = self.docset.forms.get(record.form.code or record.form.target)
            code = form.code if form else (record.form.code or record.form.target)
            rows.append((str(n), code, record.form.title or "", record.custodian.name,
                         record.retention))
        self.table(self.labels.records_columns, rows)
        return None

    def section_attachments(self) -> None:
        for attachment in self.doc.attachments:
            self.attachment(attachment)

    def attachment(self, attachment: AttachmentR) -> None:
        paragraph = self.paragraph(CLAUSE, attachment.title, label=attachment.label)
        if attachment.form is not None:
            paragraph.add(f"（{self.labels.see_form} {attachment.form.text}）")
        kept = [paragraph]
        if attachment.note:
            kept.append(self.paragraph(NOTE, attachment.note, label=self.labels.note))
        if attachment.process is not None:
            # the title (and note) start the page the flowchart goes on, never end the one before
            for lead in kept:
                lead.paragraph_format.keep_with_next = True
            self.figure(attachment.process)

    # --- clauses and blocks --------------------------------------------------------------

    def clause(self, clause: ClauseR) -> None:
        blocks = list(clause.blocks)
        if clause.title:
            level = min(clause.depth, len(HEADINGS)) - 1
            first = self.paragraph(HEADINGS[level], clause.title, label=clause.label)
            if clause.text:
                self.paragraph(BODY, clause.text)
        else:
            text = clause.text
            if text is None and blocks and isinstance(blocks[0], Paragraph):
                lead = blocks.pop(0)  # "5.4.7 文件更改的流程如下：" on one line
                assert isinstance(lead, Paragraph)
                text = lead.text
            first = self.paragraph(CLAUSE, text, label=clause.label)
        self.mark(first, clause.anchor)
        for block in blocks:
            self.block(block)
        for child in clause.children:
            self.clause(child)

    def block(self, block: object) -> None:
        if isinstance(block, Paragraph):
            self.paragraph(BODY, block.text)
        elif isinstance(block, ListR):
            self.list_block(block, 0)
        elif isinstance(block, NoteR):
            self.paragraph(NOTE, block.text, label=self.labels.note)
        elif isinstance(block, TableR):
            if block.caption:
                self.paragraph(CAPTION, block.caption)
            self.table(block.columns, block.rows, block.widths)
        elif isinstance(block, FormulaR):
            self.formula(block)
        elif isinstance(block, CheckboxesR):
            self.checkboxes(block)
        elif isinstance(block, ProcessR):
            self.process(block)
        elif isinstance(block, FigureR):
            self.picture(block)
        else:  # the resolver produces no other kind
            raise TypeError(f"unexpected block {type(block).__name__}")

    def list_block(self, block: ListR, depth: int) -> None:
        style = LISTS[min(depth, len(LISTS) - 1)]
        for entry in block.items:
            self.paragraph(style, entry.text, label=entry.label, tab=True)
            if entry.sublist is not None:
                self.list_block(entry.sublist, depth + 1)

    def formula(self, formula: FormulaR) -> None:
        document = self.scratch()
        paragraph = document.add_paragraph()
        ooxml.set_paragraph_style(paragraph, self.style_ids[FORMULA])
        if formula.label:
            # centred formula, its number at the right margin: a centre and a right tab stop
            paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
            stops = paragraph.paragraph_format.tab_stops
            stops.add_tab_stop(Mm(self.width_mm / 2), WD_TAB_ALIGNMENT.CENTER)
            stops.add_tab_stop(Mm(self.width_mm) - 1, WD_TAB_ALIGNMENT.RIGHT)
            paragraph.add_run("\t")
        if formula.numerator is not None and formula.denominator is not None:
            ooxml.add_fraction_formula(paragraph, formula.name, formula.numerator,
                                       formula.denominator, formula.multiplier)
        else:
            paragraph.add_run(formula.as_text)
        if formula.label and formula.anchor:
            paragraph.add_run("\t" + formula.label)
            self.bookmarks += 1
            ooxml.add_bookmark(paragraph, bookmark_name(formula.anchor), self.bookmarks)
        self.out.append(self.written(document))
        if formula.where:
            self.paragraph(BODY, self.labels.where)
            for symbol, meaning in formula.where:
                self.paragraph(LISTS[0], f"{symbol} —— {meaning}")

    def checkboxes(self, block: CheckboxesR) -> None:
        paragraph = self.paragraph(BODY, None)
        if block.label:
            paragraph.add(f"{block.label}：")
        paragraph.add("　".join(f"{ooxml.checkbox(checked)}{text}"
                                for text, checked in block.options))
        # an item never splits from its box, nor in the middle
        paragraph.keep_whole(tables.names_pattern([text for text, _ in block.options]))

    # --- python-docx for pictures and formulas -------------------------------------------

    def scratch(self) -> Any:
        """An empty python-docx document under the document's namespace declarations, its
        pictures added to `media`."""
        if self._scratch is None:
            from docx.document import Document as WordDocument
            from docx.oxml import parse_xml
            from lxml import etree

            root = etree.Element(qn("w:document"), nsmap=self.namespaces)
            etree.SubElement(root, qn("w:body"))
            self._scratch = WordDocument(parse_xml(etree.tostring(root)), self.media)
        return self._scratch

    def written(self, document: Any) -> str:
        """The scratch document's body as XML text (codes and names kept whole, pictures
        numbered in document order), emptied for the next use."""
        from lxml import etree

        body = document.element.body
        tables.keep_words_whole(body, self.names)
        for picture in body.iter(qn("wp:docPr")):
            self.picture_id += 1
            self.pictures += 1
            picture.attrib["id"] = str(self.picture_id)
        xml = str(etree.tostring(body, encoding="unicode"))
        for child in list(body):
            body.remove(child)
        return xml[xml.index(">") + 1:xml.rindex("<")]

    # --- tables --------------------------------------------------------------------------

    def table(self, columns: tuple[str, ...] | list[str], rows: Any,
              widths: tuple[float, ...] | None = None) -> None:
        """A table with a repeating header row; widths as given (relative), else from its
        content (tables.fit_table)."""
        cells = [[self.cell(title, TABLE_HEADING) for title in columns]]
        cells += [[self.cell(value, TABLE_TEXT) for value in values] for values in rows]
        for row in cells:
            if len(row) != len(columns):
                raise ValueError("a row has more or fewer cells than the table has columns")
        self.finish_table(cells, widths)

    def finish_table(self, cells: list[list[list[wordxml.Paragraph]]],
                     widths: Any = None) -> None:
        """The table's codes and names kept whole, fitted, then an empty paragraph that keeps
        the next table or heading apart."""
        for row in cells:
            for paragraphs in row:
                for paragraph in paragraphs:
                    paragraph.keep_whole(self.pattern)
        table = wordxml.Table(self.style_ids[TABLE], cells)
        self.signatures.add(table.signature())
        self.out.append(table.xml(self.width_mm, widths, self.pattern))
        self.add(None, BODY)

    def cell(self, value: Rich | str | None, style: str) -> list[wordxml.Paragraph]:
        paragraph = wordxml.Paragraph(self.style_ids[style])
        if isinstance(value, str):
            paragraph.add(value)
        elif value:
            self.rich(paragraph, value)
        return [paragraph]

    def process(self, process: ProcessR) -> None:
        """The process table with the columns it names, then the flowchart drawn from the
        same steps."""
        before = self.docset.settings.flowcharts.placement is FlowchartPlacement.before
        if before:
            self.figure(process)
        self.paragraph(CAPTION, process.title)
        columns = process.columns
        cells = [[self.cell(self.column_title(column), TABLE_HEADING) for column in columns]]
        last = len(process.steps) - 1
        for index, step in enumerate(process.steps):
            cells.append([self.step_column(column.key, step, index == last, process)
                          for column in columns])
        given = any(column.width for column in columns)
        self.finish_table(cells, process_widths(process) if given else None)
        if not before:
            self.figure(process)

    def column_title(self, column: ProcessColumnR) -> str:
        if column.title is not None:
            return column.title
        if column.key == "label":
            return self.labels.step
        return self.labels.process_columns[DEFAULT_COLUMNS.index(column.key)]

    def step_column(self, key: str, step: StepR, last: bool,
                    process: ProcessR) -> list[wordxml.Paragraph]:
        if key == "flow":
            return self.step_cell(step, last, process)
        if key == "label":
            paragraphs = self.cell(None, TABLE_TEXT)
            if step.label:
                self.strong(paragraphs[0], step.label)
            return paragraphs
        if key == "input":
            return self.lines(step.inputs)
        if key == "owners":
            return self.cell("、".join(step.owner_names), TABLE_TEXT)
        if key == "key_points":
            return self.cell(step.key_points, TABLE_TEXT)
        if key == "documents":
            return self.lines(step.documents)
        if key == "outputs":
            return self.lines(step.outputs)
        return self.cell(step.cell(key), TABLE_TEXT)

    def step_cell(self, step: StepR, last: bool, process: ProcessR) -> list[wordxml.Paragraph]:
        paragraphs = self.cell(None, TABLE_TEXT)
        paragraph = paragraphs[0]
        # the step's label and name stay on one page when the row splits
        paragraph.paragraph_format.keep_together = True
        if step.label and process.label_in_flow:
            self.strong(paragraph, step.label)
            paragraph.add(" ")
        self.rich(paragraph, step.name)
        if step.branches:
            text = "；".join(f"{b.label} → {b.to_label}" for b in step.branches)
            self.add(paragraphs, TABLE_TEXT, text)
        elif step.jumps and step.next_label is not None:
            self.add(paragraphs, TABLE_TEXT, f"→ {step.next_label}")
        elif step.is_end and not last:
            self.add(paragraphs, TABLE_TEXT, f"→ {self.labels.end}")
        return paragraphs

    def lines(self, values: tuple[Rich, ...]) -> list[wordxml.Paragraph]:
        paragraphs = self.cell(None, TABLE_TEXT)
        for n, value in enumerate(values):
            target = paragraphs[0] if n == 0 else self.add(paragraphs, TABLE_TEXT)
            self.rich(target, value)
        return paragraphs

    def picture(self, figure: FigureR) -> None:
        """A figure block: the picture centred at its size (at most the text width)."""
        from io import BytesIO

        document = self.scratch()
        paragraph = document.add_paragraph()
        ooxml.set_paragraph_style(paragraph, self.style_ids[FIGURE])
        shape = paragraph.add_run().add_picture(BytesIO(figure.data))
        widest = Mm(self.width_mm * (figure.width or 100) / 100)
        if figure.width is not None or shape.width > widest:
            shape.height = int(shape.height * widest / shape.width)
            shape.width = widest
        self.out.append(self.written(document))
        if figure.caption:  # under the picture: keeps with nothing (see `figure`)
            self.paragraph(CAPTION, figure.caption).paragraph_format.keep_with_next = False

    def figure(self, process: ProcessR) -> None:
        """The flowchart of a process, its caption under it. The picture keeps with its
        caption (the Figure style), and the caption keeps with nothing: the Caption style
        keeps a table's caption with its table, but under a figure it would drag the picture
        along with the next heading and its first lines, so that the whole chain jumps to a
        new page and leaves the page of the table half empty."""
        if self.flowchart is None:
            return
        data = self.flowchart(process)
        width, height, dpi = png_size(data)
        width_mm, height_mm = width / dpi * 25.4, height / dpi * 25.4
        scale = min(1.0, self.width_mm / width_mm, MAX_FIGURE_HEIGHT_MM / height_mm)
        from io import BytesIO

        caption = f"{process.title}（{self.labels.flowchart}）"
        document = self.scratch()
        paragraph = document.add_paragraph()
        ooxml.set_paragraph_style(paragraph, self.style_ids[FIGURE])
        shape = paragraph.add_run().add_picture(BytesIO(data), width=Mm(width_mm * scale),
                                                height=Mm(height_mm * scale))
        # named for the PDF copies' page fit (render/docx/pagefit.py); the caption is the
        # picture's alternative text
        self.flowcharts += 1
        properties = shape._inline.docPr
        properties.set("name", f"{FLOWCHART_NAME} {self.flowcharts}")
        properties.set("descr", caption)
        self.out.append(self.written(document))
        self.paragraph(CAPTION, caption).paragraph_format.keep_with_next = False


def _element(xml: str) -> Any:
    """A paragraph's XML text parsed (to ask `tables._is_empty`)."""
    from lxml import etree

    return etree.fromstring(xml.replace("<w:p", f'<w:p xmlns:w="{_W_NS}"', 1))


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _section_anchor(section: Section) -> str:
    return f"s{section.number}"


def process_widths(process: ProcessR) -> list[float]:
    """Relative column widths: as the table gives them, else the defaults by column."""
    return [column.width or PROCESS_WIDTHS.get(column.key, OWN_COLUMN_WIDTH)
            for column in process.columns]
