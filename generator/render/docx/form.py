"""Render stage (Word): one fillable blank form (.docx) per form schema.

The form looks like the paper form a clerk knows (header block with company, title, code and
version, 编号 box and owning procedure; bordered label/value grid; ☐ options inline; long-text
boxes of the configured height; the repeating table with blank rows; sign-off row; footer with
the copies note and retention), and every value box is a Word content control tagged with its
field id (generator/render/docx/sdt.py), so a filled form can be read back by
generator/records.py.

`control_plan` is the single description of which controls a form holds and in which order: the
builder below takes its controls from it one by one (and fails loudly if it strays), and the
reader aligns a filled form against it when an editor has dropped the tags.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from generator.build import BuildOptions
from generator.docset import DocumentSet, FormDoc
from generator.load import load_optional
from generator.model.common import Strict
from generator.model.form import (
    Column,
    ColumnType,
    FieldType,
    Form,
    FormField,
    FormTable,
    Widget,
)
from generator.model.procedure import Status
from generator.model.settings import Settings
from generator.render.docx import ooxml, sdt
from generator.render.docx.fonts import face_name
from generator.versions import file_safe

LABELS_FILE = "form.labels.yaml"

# Custom document properties that name the form a filled file was made from. LibreOffice keeps
# them through a re-save (checked in tests/test_records_roundtrip.py), Word always does.
PROPERTY_CODE = "WenkongFormCode"
PROPERTY_VERSION = "WenkongFormVersion"
PROPERTY_TITLE = "WenkongFormTitle"

# Tags of the two controls every form has besides its fields. Field ids are lower-case letters,
# digits, '-' and '_', so a ':' can never clash with one.
TAG_FORM = "wenkong:form"
TAG_SERIAL = "wenkong:serial"

NBSP = "\u00a0"


class FormLabels(Strict):
    """Every fixed word a blank form prints. Override any of them in `templates/form.labels.yaml`
    (an English edition is a translation of that file, not a code change)."""

    code_version: str = "表单编号/版本："
    serial: str = "编号："
    procedure: str = "所属程序："
    retention: str = "保存期限：{retention}"
    custodian: str = "保管部门：{custodian}"
    row_number: str = "序号"
    yes: str = "是"
    no: str = "否"
    date: str = "日期："
    instructions: str = "填表说明："
    draft: str = "（草稿，未发布，不得使用）"
    in_review: str = "（审核中，未发布，不得使用）"
    # Shown in a date box until a date is picked: the paper form's 年 月 日.
    date_placeholder: str = "\u3000\u3000年\u3000\u3000月\u3000\u3000日"
    option_separator: str = "/"
    multi_separator: str = "、"
    # columns of the records register (records/<code>/register.csv)
    register_record: str = "记录"
    register_serial: str = "编号"
    register_version: str = "版本"
    register_source: str = "来源文件"
    register_rows: str = "{title}（行数）"


def load_form_labels(root: Path, settings: Settings) -> FormLabels:
    """Labels from `templates/form.labels.yaml` in the document set, else the defaults."""
    return load_optional(root / settings.templates_dir / LABELS_FILE, FormLabels)


# --- the control plan ------------------------------------------------------------------------

ControlKind = Literal["text", "rich", "date", "dropdown", "checkbox"]


@dataclass(frozen=True)
class Slot:
    """One content control of a blank form, in document order.

    `key` is the field id the value belongs to (or TAG_FORM / TAG_SERIAL); `part` tells the
    controls of one field apart: the option of a checkbox, "name"/"date" of a signature, the
    column id of a table cell.
    """

    key: str
    part: str | None
    kind: ControlKind
    tag: str
    alias: str
    placeholder: str


@dataclass(frozen=True)
class TableSlots:
    """The controls of one row of a repeating table; the row repeats any number of times."""

    table: FormTable
    label: str
    row: tuple[Slot, ...]


PlanItem = Slot | TableSlots


def _field_slots(item: FormField, labels: FormLabels) -> list[Slot]:
    hint = item.hint or NBSP * 6
    if item.type in (FieldType.text, FieldType.number):
        return [Slot(item.id, None, "text", item.id, item.label, hint)]
    if item.type is FieldType.long_text:
        # A multi-line plain-text control, not a rich-text one: LibreOffice loses the alias of
        # a rich-text control on its second re-save, never that of a text control. (It does
        # join the lines of a multi-line text into one when it re-saves; Word keeps them.)
        # One NBSP alone would not do as placeholder: LibreOffice drops such a control.
        return [Slot(item.id, None, "text", item.id, item.label, item.hint or NBSP * 6)]
    if item.type is FieldType.date:
        return [Slot(item.id, None, "date", item.id, item.label, labels.date_placeholder)]
    if item.type is FieldType.choice and item.widget is Widget.dropdown:
        return [Slot(item.id, None, "dropdown", item.id, item.label, item.hint or NBSP * 6)]
    if item.type in (FieldType.choice, FieldType.multi_choice):
        # A dropdown picks one option only: a multi_choice is always drawn as checkboxes.
        return [Slot(item.id, option, "checkbox", f"{item.id}={option}",
                     f"{item.label}：{option}", "") for option in item.options]
    if item.type is FieldType.yes_no:
        return [Slot(item.id, part, "checkbox", f"{item.id}={part}", f"{item.label}：{word}", "")
                for part, word in (("yes", labels.yes), ("no", labels.no))]
    # signature: a name and a date
    return _signature_slots(item.id, item.label, labels)


def _signature_slots(key: str, label: str, labels: FormLabels) -> list[Slot]:
    return [
        Slot(key, "name", "text", key, label, NBSP * 8),
        Slot(key, "date", "date", f"{key}.date", f"{label}{labels.date}",
             labels.date_placeholder),
    ]


def _column_slot(table: FormTable, column: Column) -> Slot:
    tag = f"{table.id}.{column.id}"
    kinds: dict[ColumnType, ControlKind] = {
        ColumnType.text: "text", ColumnType.number: "text", ColumnType.date: "date",
        ColumnType.choice: "dropdown",
    }
    kind = kinds[column.type]
    return Slot(table.id, column.id, kind, tag, column.label, NBSP * 4)


def code_alias(labels: FormLabels) -> str:
    """Alias of the locked control holding `QR-15-01 A/0` (kept by LibreOffice, unlike tags)."""
    return labels.code_version.rstrip("：: ")


def control_plan(form: Form, labels: FormLabels) -> tuple[PlanItem, ...]:
    """Every content control of the blank form of `form`, in document order."""
    plan: list[PlanItem] = [Slot(TAG_FORM, None, "text", TAG_FORM, code_alias(labels), "")]
    if form.serial:
        plan.append(Slot(TAG_SERIAL, None, "text", TAG_SERIAL, labels.serial.rstrip("：: "),
                         NBSP * 10))
    for section in form.sections:
        for item in section.fields:
            plan.extend(_field_slots(item, labels))
        if section.table is not None:
            table = section.table
            plan.append(TableSlots(table, section.title or table.id,
                                   tuple(_column_slot(table, c) for c in table.columns)))
    for box in form.signoff:
        plan.extend(_signature_slots(box.id, box.label, labels))
    return tuple(plan)


class _Cursor:
    """Hands the builder the plan's slots in order; a builder that strays is a bug."""

    def __init__(self, plan: tuple[PlanItem, ...]) -> None:
        self._items: Iterator[PlanItem] = iter(plan)

    def slot(self, key: str) -> Slot:
        item = next(self._items)
        if not isinstance(item, Slot) or item.key != key:
            raise AssertionError(f"form builder out of step with the control plan at {key}")
        return item

    def table(self, table_id: str) -> TableSlots:
        item = next(self._items)
        if not isinstance(item, TableSlots) or item.table.id != table_id:
            raise AssertionError(f"form builder out of step with the control plan at {table_id}")
        return item

    def finish(self) -> None:
        if next(self._items, None) is not None:
            raise AssertionError("form builder left controls of the plan unused")


# --- the builder -----------------------------------------------------------------------------

BODY_PT = 10.5  # 五号, the size of Chinese forms
SMALL_PT = 9  # 小五
TITLE_PT = 18  # 小二
COMPANY_PT = 14  # 四号
ROW_MM = 8.0  # a field row: room to write by hand
LINE_MM = 6.0  # one line of a long-text box
TABLE_ROW_MM = 7.5
# How far rows may shrink so that a full form still fits its one page.
MIN_ROW_MM, MIN_LINE_MM, MIN_TABLE_ROW_MM = 6.5, 4.5, 5.6
TITLE_ROW_MM = 6.5
HEADER_MM = 27.0  # company, title, code/version row
FOOTER_MM = 8.0


# A numbered item of 填表说明: "2." or "2、" (not the "0.35" of a formula).
_ITEM_START = re.compile(r"\s+(?=\d{1,2}[.、](?!\d))")


def instruction_items(text: str) -> list[str]:
    """填表说明 split into its numbered items: `>-` folded YAML joins them into one line."""
    return [item for item in _ITEM_START.split(text.strip()) if item]


@dataclass(frozen=True)
class _Heights:
    """Row heights of one form (mm): the defaults, shrunk when the form would not fit."""

    row: float = ROW_MM
    line: float = LINE_MM
    table_row: float = TABLE_ROW_MM


def grid_widths(form: Form, width_mm: float) -> list[float]:
    """Widths (mm) of the label/value grid: label, value, label, value."""
    label = 30.0 if not form.landscape else 38.0
    value = (width_mm - 2 * label) / 2
    return [label, value, label, value]


def option_lines(words: list[str], width_mm: float) -> list[int]:
    """Where to break a row of ☐ options so that no option is split: the index of the first
    option of each line after the first."""
    room = width_mm - 4  # cell padding
    used = 0.0
    breaks: list[int] = []
    for k, word in enumerate(words):
        need = text_width_mm(f"☐{word}\u2003", BODY_PT)
        if used and used + need > room:
            breaks.append(k)
            used = 0.0
        used += need
    return breaks


def checkbox_words(item: FormField, labels: FormLabels) -> list[str] | None:
    """The words beside the boxes of a field drawn as checkboxes, else None."""
    if item.type is FieldType.yes_no:
        return [labels.yes, labels.no]
    if item.type is FieldType.multi_choice or (
            item.type is FieldType.choice and item.widget is Widget.checkbox):
        return list(item.options)
    return None


def _row_mm(item: FormField, heights: _Heights, width_mm: float, labels: FormLabels) -> float:
    """Height a field's value cell needs."""
    if item.type is FieldType.long_text:
        return item.lines * heights.line
    words = checkbox_words(item, labels)
    if words:
        lines = 1 + len(option_lines(words, width_mm))
        return max(heights.row, 2 + lines * BODY_PT * 0.3528 * 1.35)
    return heights.row


def _estimate(form: Form, heights: _Heights, per_row: int, width_mm: float,
              labels: FormLabels) -> float:
    """Height of the form's body (mm), roughly as LibreOffice and Word lay it out."""
    total = HEADER_MM
    grid = grid_widths(form, width_mm)
    for section in form.sections:
        if section.fields:
            total += TITLE_ROW_MM if section.title else 0
            for row in _FormBuilder.field_rows(section.fields):
                width = sum(grid[1:]) if len(row) == 1 else grid[1]
                total += max(_row_mm(f, heights, width, labels) for f in row) + 0.3
        if section.table is not None:
            total += TITLE_ROW_MM if section.title and not section.fields else 0
            total += 7 + (3 if any(c.options for c in section.table.columns) else 0)
            total += section.table.rows * (heights.table_row + 0.2)
    rows = (len(form.signoff) + per_row - 1) // per_row
    total += rows * (heights.row + 1.3)
    if form.instructions:
        items = len(instruction_items(form.instructions))
        total += 2 + (1 + items) * 4.6
    return total


def fitting_heights(form: Form, available_mm: float, per_row: int, width_mm: float,
                    labels: FormLabels) -> _Heights:
    """The largest row heights (down to the floors) with which the form fits one page."""
    best = _Heights()
    for step in range(0, 21):
        k = 1 - step * 0.025
        heights = _Heights(max(MIN_ROW_MM, ROW_MM * k), max(MIN_LINE_MM, LINE_MM * k),
                           max(MIN_TABLE_ROW_MM, TABLE_ROW_MM * k))
        best = heights
        if _estimate(form, heights, per_row, width_mm, labels) <= available_mm:
            break
    return best


SHADE = "E7E6E6"


# Successors of the elements we set, in the order the OOXML schema wants them: Word refuses
# (or "repairs") properties written out of order.
_TC_PR_AFTER = {
    "w:tcBorders": ("w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText",
                    "w:vAlign", "w:hideMark"),
    "w:shd": ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
              "w:hideMark"),
    "w:vAlign": ("w:hideMark",),
}
_TR_PR_AFTER = {
    "w:cantSplit": ("w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden"),
    "w:trHeight": ("w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden"),
}
_TBL_PR_AFTER = {
    "w:tblW": ("w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd",
               "w:tblLayout", "w:tblCellMar", "w:tblLook"),
}


def _put(parent: Any, child: Any, successors: tuple[str, ...]) -> None:
    """Set `child` in `parent` (replacing one of the same tag) at its place in schema order."""
    for old in parent.findall(child.tag):
        parent.remove(old)
    parent.insert_element_before(child, *successors)


def text_width_mm(text: str, size_pt: float) -> float:
    """Printed width of a line of text, roughly: wide (CJK, ☐) characters take the font size,
    others half of it."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in "WFA" or c == "\u2003")
    # 5% for the glyph spacing of real fonts
    return 1.05 * (wide + 0.55 * (len(text) - wide)) * size_pt * 0.3528


def _line_break() -> Any:
    run = OxmlElement("w:r")
    run.append(OxmlElement("w:br"))
    return run


def _chinese() -> Any:
    """`w:lang` zh-CN: where the named Chinese font is missing, LibreOffice picks its fallback
    by language, and without this it takes the Japanese cut of Noto CJK."""
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    return lang


@dataclass
class _Style:
    body: str
    heading: str
    latin: str

    def rpr(self, size: float = BODY_PT, *, bold: bool = False, heading: bool = False) -> Any:
        """A fresh w:rPr: East Asian and Latin font, size, bold."""
        r_pr = OxmlElement("w:rPr")
        fonts = OxmlElement("w:rFonts")
        east = self.heading if heading else self.body
        fonts.set(qn("w:ascii"), self.latin)
        fonts.set(qn("w:hAnsi"), self.latin)
        fonts.set(qn("w:eastAsia"), east)
        fonts.set(qn("w:hint"), "eastAsia")
        r_pr.append(fonts)
        if bold:
            r_pr.append(OxmlElement("w:b"))
            r_pr.append(OxmlElement("w:bCs"))
        for tag in ("w:sz", "w:szCs"):
            element = OxmlElement(tag)
            element.set(qn("w:val"), str(round(size * 2)))
            r_pr.append(element)
        r_pr.append(_chinese())
        return r_pr


class _FormBuilder:
    def __init__(self, docset: DocumentSet, doc: FormDoc, labels: FormLabels) -> None:
        self.docset = docset
        self.doc = doc
        self.form = doc.model
        self.labels = labels
        fonts = docset.settings.fonts
        # English face names (SimSun, SimHei): Word shows them as 宋体/黑体, and LibreOffice
        # then substitutes Noto Serif/Sans CJK SC instead of a Japanese cut.
        self.style = _Style(face_name(fonts.body), face_name(fonts.heading), fonts.latin)
        self.ids = sdt.ControlIds()
        self.cursor = _Cursor(control_plan(self.form, labels))
        self.document: Document = new_document()
        self._page_setup()
        self.width_mm = self._content_width()
        section = self.document.sections[0]
        page_mm = float(section.page_height or 0) / 36000
        available = page_mm - 28 - FOOTER_MM  # top and bottom margins, footer
        self.heights = fitting_heights(self.form, available, self.signoff_per_row,
                                       self.width_mm, labels)

    @property
    def signoff_per_row(self) -> int:
        return 3 if self.form.landscape else 2

    # -- page and text ---------------------------------------------------------------------

    def _page_setup(self) -> None:
        ooxml.set_a4(self.document, top=14, bottom=14, left=15, right=15, header=8, footer=7)
        section = self.document.sections[0]
        if self.form.landscape:
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = ooxml.A4_HEIGHT, ooxml.A4_WIDTH
        normal = self.document.styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        ooxml.set_fonts(normal.element, self.style.body, self.style.latin)
        normal.element.get_or_add_rPr().append(_chinese())
        paragraph = normal.paragraph_format
        paragraph.space_before = Pt(0)
        paragraph.space_after = Pt(0)
        paragraph.line_spacing = 1.0

    def _content_width(self) -> float:
        section = self.document.sections[0]
        assert section.page_width and section.left_margin and section.right_margin
        return float(section.page_width - section.left_margin - section.right_margin) / 36000

    def run(self, paragraph: Paragraph | Any, text: str, size: float = BODY_PT, *,
            bold: bool = False, heading: bool = False) -> None:
        p = paragraph._p if isinstance(paragraph, Paragraph) else paragraph
        p.append(ooxml.text_run(text, self.style.rpr(size, bold=bold, heading=heading)))

    def paragraph(self, text: str = "", size: float = BODY_PT, *, bold: bool = False,
                  heading: bool = False, align: WD_ALIGN_PARAGRAPH | None = None,
                  after: float = 0) -> Paragraph:
        paragraph = self.document.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(after)
        if align is not None:
            paragraph.alignment = align
        if text:
            self.run(paragraph, text, size, bold=bold, heading=heading)
        return paragraph

    def spacer(self) -> None:
        """A hairline paragraph between two tables: Word joins tables that touch."""
        paragraph = self.document.add_paragraph()
        paragraph.paragraph_format.line_spacing = Pt(1)
        r_pr = paragraph._p.get_or_add_pPr()
        mark = OxmlElement("w:rPr")
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), "2")
        mark.append(size)
        r_pr.append(mark)

    def runs(self, size: float = BODY_PT) -> sdt.RunProps:
        return lambda: self.style.rpr(size)

    # -- tables ----------------------------------------------------------------------------

    def table(self, rows: int, widths: list[float], *, borders: bool = True) -> Table:
        table: Table = self.document.add_table(rows=rows, cols=len(widths))
        if borders:
            table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        width = OxmlElement("w:tblW")
        width.set(qn("w:w"), str(round(sum(widths) * 56.7)))
        width.set(qn("w:type"), "dxa")
        _put(table._tbl.tblPr, width, _TBL_PR_AFTER["w:tblW"])
        for column, value in zip(table.columns, widths, strict=True):
            column.width = Mm(value)
            for cell in column.cells:
                cell.width = Mm(value)
        return table

    @staticmethod
    def row_height(table: Table, index: int, mm: float, rule: str = "atLeast") -> None:
        tr_pr = table.rows[index]._tr.get_or_add_trPr()
        height = OxmlElement("w:trHeight")
        height.set(qn("w:val"), str(round(mm * 56.7)))
        height.set(qn("w:hRule"), rule)
        _put(tr_pr, height, _TR_PR_AFTER["w:trHeight"])

    @staticmethod
    def cantsplit(table: Table, index: int) -> None:
        _put(table.rows[index]._tr.get_or_add_trPr(), OxmlElement("w:cantSplit"),
             _TR_PR_AFTER["w:cantSplit"])

    @staticmethod
    def shade(cell: _Cell, fill: str = SHADE) -> None:
        tc_pr = cell._tc.get_or_add_tcPr()
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), fill)
        _put(tc_pr, shading, _TC_PR_AFTER["w:shd"])

    @staticmethod
    def middle(cell: _Cell) -> None:
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER

    @staticmethod
    def bottom_border_only(cell: _Cell) -> None:
        tc_pr = cell._tc.get_or_add_tcPr()
        borders = OxmlElement("w:tcBorders")
        for side in ("top", "left", "bottom", "right"):
            line = OxmlElement(f"w:{side}")
            line.set(qn("w:val"), "single" if side == "bottom" else "nil")
            if side == "bottom":
                line.set(qn("w:sz"), "6")
                line.set(qn("w:color"), "000000")
            borders.append(line)
        _put(tc_pr, borders, _TC_PR_AFTER["w:tcBorders"])

    def label_cell(self, cell: _Cell, text: str, *, required: bool = False,
                   center: bool = True) -> None:
        paragraph = cell.paragraphs[0]
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.run(paragraph, text)
        self.middle(cell)
        self.shade(cell, "F2F2F2")

    # -- header and footer -----------------------------------------------------------------

    def header_block(self) -> None:
        settings = self.docset.settings
        self.paragraph(settings.company.name, COMPANY_PT, bold=True, heading=True,
                       align=WD_ALIGN_PARAGRAPH.CENTER, after=2)
        title = self.paragraph(self.doc.title, TITLE_PT, bold=True, heading=True,
                               align=WD_ALIGN_PARAGRAPH.CENTER, after=4)
        note = {Status.draft: self.labels.draft, Status.in_review: self.labels.in_review}.get(
            self.doc.status)
        if note:
            self.run(title, note, SMALL_PT)
        serial_mm = 28.0 if self.form.serial else 0.0
        code_mm = 52.0
        rest = self.width_mm - code_mm - (serial_mm + 16 if self.form.serial else 0)
        widths = [code_mm, rest] + ([16.0, serial_mm] if self.form.serial else [])
        table = self.table(1, widths, borders=False)
        cells = table.rows[0].cells
        self.run(cells[0].paragraphs[0], self.labels.code_version, SMALL_PT)
        slot = self.cursor.slot(TAG_FORM)
        # The code and version sit in a locked control: a second way (after the document
        # properties) for the reader to know which form this is, and clerks cannot type over it.
        cells[0].paragraphs[0]._p.append(sdt.text_control(
            self.ids, slot.tag, slot.alias, "", self.runs(SMALL_PT),
            value=f"{self.doc.code} {self.doc.version}", lock="sdtContentLocked"))
        self.run(cells[1].paragraphs[0], self.labels.procedure + self.doc.procedure.text,
                 SMALL_PT)
        if self.form.serial:
            cells[2].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            self.run(cells[2].paragraphs[0], self.labels.serial, SMALL_PT)
            slot = self.cursor.slot(TAG_SERIAL)
            # The 编号 box is a line to write on: the cell's bottom border.
            self.bottom_border_only(cells[3])
            cells[3].paragraphs[0]._p.append(sdt.text_control(
                self.ids, slot.tag, slot.alias, slot.placeholder, self.runs(BODY_PT)))
        for cell in cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
        self.row_height(table, 0, 6)

    def footer(self) -> None:
        """Copies note on the left; retention, custodian, code and version on the right."""
        footer = self.document.sections[0].footer
        right = "\u3000".join([
            self.labels.retention.format(retention=self.doc.retention),
            self.labels.custodian.format(custodian=self.doc.custodian.name),
            f"{self.doc.code} {self.doc.version}",
        ])
        # Share the width by the length of the two texts, so that neither wraps if both fit.
        left_chars, right_chars = len(self.form.copies or ""), len(right)
        share = min(0.6, max(0.2, left_chars / max(1, left_chars + right_chars)))
        table = footer.add_table(1, 2, Mm(self.width_mm))
        for column, width in zip(table.columns, (share, 1 - share), strict=True):
            column.width = Mm(self.width_mm * width)
            for cell in column.cells:
                cell.width = Mm(self.width_mm * width)
        left_cell, right_cell = table.rows[0].cells
        self.run(left_cell.paragraphs[0], self.form.copies or "", SMALL_PT)
        right_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.run(right_cell.paragraphs[0], right, SMALL_PT)

    # -- fields ----------------------------------------------------------------------------

    def grid_widths(self) -> list[float]:
        return grid_widths(self.form, self.width_mm)

    @staticmethod
    def field_rows(fields: list[FormField]) -> list[list[FormField]]:
        """Pack fields two to a row; a wide field, or one before a wide field, gets its own."""
        rows: list[list[FormField]] = []
        pending: FormField | None = None
        for item in fields:
            if item.wide:
                if pending is not None:
                    rows.append([pending])
                    pending = None
                rows.append([item])
            elif pending is None:
                pending = item
            else:
                rows.append([pending, item])
                pending = None
        if pending is not None:
            rows.append([pending])
        return rows

    def fields_table(self, title: str | None, fields: list[FormField]) -> None:
        rows = _FormBuilder.field_rows(fields)
        table = self.table(len(rows) + (1 if title else 0), self.grid_widths())
        index = 0
        if title:
            self.title_row(table, 0, title)
            index = 1
        for row_fields in rows:
            cells = table.rows[index].cells
            height = self.heights.row
            if len(row_fields) == 1:
                value = cells[1].merge(cells[3])
                self.label_cell(cells[0], row_fields[0].label)
                width = sum(self.grid_widths()[1:])
                height = max(height, self.field_value(value, row_fields[0], width))
            else:
                for k, item in enumerate(row_fields):
                    self.label_cell(cells[2 * k], item.label)
                    height = max(height, self.field_value(cells[2 * k + 1], item,
                                                          self.grid_widths()[1]))
            self.row_height(table, index, height)
            self.cantsplit(table, index)
            index += 1

    def title_row(self, table: Table, index: int, title: str) -> None:
        cells = table.rows[index].cells
        merged = cells[0].merge(cells[-1])
        self.run(merged.paragraphs[0], title, BODY_PT, bold=True, heading=True)
        self.shade(merged)
        self.middle(merged)
        self.row_height(table, index, 6.5)

    def field_value(self, cell: _Cell, item: FormField, width_mm: float) -> float:
        """Fill a value cell with the field's controls; return the row height it needs (mm)."""
        self.middle(cell)
        paragraph = cell.paragraphs[0]
        p = paragraph._p
        if item.type in (FieldType.text, FieldType.number):
            slot = self.cursor.slot(item.id)
            p.append(sdt.text_control(self.ids, slot.tag, slot.alias, slot.placeholder,
                                      self.runs(SMALL_PT if item.hint else BODY_PT)))
            if item.unit:
                self.run(paragraph, f" {item.unit}")
            return self.heights.row
        if item.type is FieldType.long_text:
            slot = self.cursor.slot(item.id)
            p.append(sdt.text_control(self.ids, slot.tag, slot.alias, slot.placeholder,
                                      self.runs(SMALL_PT if item.hint else BODY_PT),
                                      multiline=True))
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.TOP  # text starts at the top
            return item.lines * self.heights.line
        if item.type is FieldType.date:
            slot = self.cursor.slot(item.id)
            p.append(sdt.date_control(self.ids, slot.tag, slot.alias, slot.placeholder,
                                      self.runs()))
            return self.heights.row
        if item.type is FieldType.signature:
            self.signature(paragraph, item.id)
            return self.heights.row
        if item.type is FieldType.choice and item.widget is Widget.dropdown:
            slot = self.cursor.slot(item.id)
            p.append(sdt.dropdown_control(self.ids, slot.tag, slot.alias, item.options,
                                          slot.placeholder, self.runs()))
            # On paper a dropdown is an empty box: print the options to choose from.
            self.run(paragraph, f"（{self.labels.option_separator.join(item.options)}）",
                     SMALL_PT)
            return self.heights.row
        words = checkbox_words(item, self.labels) or []
        # Break lines between options, never inside one ("☐新顾客首单" stays whole): Chinese
        # text wraps between any two characters, so place the breaks ourselves.
        breaks = option_lines(words, width_mm)
        for k, word in enumerate(words):
            if k in breaks:
                p.append(_line_break())
            slot = self.cursor.slot(item.id)
            p.append(sdt.checkbox_control(self.ids, slot.tag, slot.alias, self.runs()))
            self.run(paragraph, word + ("\u2003" if k < len(words) - 1 else ""))
        return _row_mm(item, self.heights, width_mm, self.labels)

    def signature(self, paragraph: Paragraph, key: str) -> None:
        name = self.cursor.slot(key)
        paragraph._p.append(sdt.text_control(self.ids, name.tag, name.alias, name.placeholder,
                                             self.runs()))
        self.run(paragraph, "\u2003")
        date = self.cursor.slot(key)
        paragraph._p.append(sdt.date_control(self.ids, date.tag, date.alias, date.placeholder,
                                             self.runs()))

    # -- repeating table -------------------------------------------------------------------

    def repeating_table(self, title: str | None, table_model: FormTable) -> None:
        slots = self.cursor.table(table_model.id)
        number_mm = 12.0 if table_model.numbered else 0.0
        total = sum(c.width for c in table_model.columns)
        rest = self.width_mm - number_mm
        widths = ([number_mm] if number_mm else []) + [
            rest * c.width / total for c in table_model.columns]
        head_rows = 2 if title else 1
        table = self.table(head_rows, widths)
        if title:
            self.title_row(table, 0, title)
        header = table.rows[head_rows - 1].cells
        labels = ([self.labels.row_number] if number_mm else []) + [
            c.label for c in table_model.columns]
        for cell, text in zip(header, labels, strict=True):
            self.label_cell(cell, text)
        offset = 1 if number_mm else 0
        for k, column in enumerate(table_model.columns):
            if column.options:
                extra = header[k + offset].add_paragraph()
                extra.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self.run(extra, f"（{self.labels.option_separator.join(column.options)}）",
                         SMALL_PT - 1.5)
        self.row_height(table, head_rows - 1, 7)
        rows = []
        for n in range(table_model.rows):
            rows.append(self.blank_row(widths, slots, n + 1 if number_mm else None))
        table._tbl.append(sdt.repeating_section(self.ids, table_model.id, "", rows))

    def blank_row(self, widths: list[float], slots: TableSlots, number: int | None) -> Any:
        tr = OxmlElement("w:tr")
        tr_pr = OxmlElement("w:trPr")
        tr_pr.append(OxmlElement("w:cantSplit"))
        height = OxmlElement("w:trHeight")
        height.set(qn("w:val"), str(round(self.heights.table_row * 56.7)))
        height.set(qn("w:hRule"), "atLeast")
        tr_pr.append(height)
        tr.append(tr_pr)
        cells: list[Slot | str] = ([str(number)] if number is not None else []) + list(
            slots.row)
        for width, content in zip(widths, cells, strict=True):
            tc = OxmlElement("w:tc")
            tc_pr = OxmlElement("w:tcPr")
            tc_w = OxmlElement("w:tcW")
            tc_w.set(qn("w:w"), str(round(width * 56.7)))
            tc_w.set(qn("w:type"), "dxa")
            tc_pr.append(tc_w)
            v_align = OxmlElement("w:vAlign")
            v_align.set(qn("w:val"), "center")
            tc_pr.append(v_align)
            tc.append(tc_pr)
            p = OxmlElement("w:p")
            tc.append(p)
            if isinstance(content, str):
                p_pr = OxmlElement("w:pPr")
                jc = OxmlElement("w:jc")
                jc.set(qn("w:val"), "center")
                p_pr.append(jc)
                p.append(p_pr)
                self.run(p, content, SMALL_PT)
            else:
                p.append(self.cell_control(content))
            tr.append(tc)
        return tr

    def cell_control(self, slot: Slot) -> Any:
        runs = self.runs(SMALL_PT)
        if slot.kind == "date":
            return sdt.date_control(self.ids, slot.tag, slot.alias, slot.placeholder, runs)
        if slot.kind == "dropdown":
            column = next(c for c in self.table_columns(slot.key) if c.id == slot.part)
            return sdt.dropdown_control(self.ids, slot.tag, slot.alias, column.options,
                                        slot.placeholder, runs)
        return sdt.text_control(self.ids, slot.tag, slot.alias, slot.placeholder, runs)

    def table_columns(self, table_id: str) -> list[Column]:
        for section in self.form.sections:
            if section.table is not None and section.table.id == table_id:
                return section.table.columns
        raise KeyError(table_id)

    # -- sign-off and notes ----------------------------------------------------------------

    def signoff(self) -> None:
        boxes = self.form.signoff
        if not boxes:
            return
        per_row = self.signoff_per_row
        label = 30.0
        value = (self.width_mm - per_row * label) / per_row
        rows = (len(boxes) + per_row - 1) // per_row
        table = self.table(rows, [label, value] * per_row)
        for k, box in enumerate(boxes):
            row, place = divmod(k, per_row)
            cells = table.rows[row].cells
            self.label_cell(cells[2 * place], box.label)
            self.middle(cells[2 * place + 1])
            self.signature(cells[2 * place + 1].paragraphs[0], box.id)
        for row in range(rows):
            self.row_height(table, row, self.heights.row + 1)
            self.cantsplit(table, row)
        last = len(boxes) % per_row
        if last:
            cells = table.rows[rows - 1].cells
            cells[2 * last - 1].merge(cells[-1])

    def instructions(self) -> None:
        text = self.form.instructions
        if not text:
            return
        self.spacer()
        paragraph = self.paragraph(self.labels.instructions, SMALL_PT, bold=True)
        paragraph.paragraph_format.space_before = Pt(3)
        for item in instruction_items(text):
            self.paragraph(item, SMALL_PT)

    # -- whole form ------------------------------------------------------------------------

    def build(self) -> bytes:
        self.header_block()
        for section in self.form.sections:
            if section.fields:
                self.spacer()
                self.fields_table(section.title, section.fields)
            if section.table is not None:
                self.spacer()
                self.repeating_table(None if section.fields else section.title, section.table)
        if self.form.signoff:
            self.spacer()
            self.signoff()
        self.instructions()
        self.footer()
        self.cursor.finish()
        ooxml.fix_core_properties(
            self.document, self.form.issue_date or self.form.effective_date,
            title=f"{self.doc.code} {self.doc.title}", author=self.docset.settings.company.name,
            subject=self.doc.procedure.text, keywords=f"{self.doc.code} {self.doc.version}")
        ooxml.set_custom_properties(self.document, {
            PROPERTY_CODE: self.doc.code, PROPERTY_VERSION: self.doc.version,
            PROPERTY_TITLE: self.doc.title})
        sdt.declare_namespaces(self.document)
        return ooxml.save_deterministic(self.document)


def form_file_name(doc: FormDoc) -> str:
    """forms/QR-15-01_A-0_顾客意见征询书.docx: code, version and title, safe as a file name."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", doc.title).strip("_")
    return f"forms/{doc.code}_{file_safe(doc.version)}_{title}.docx"


def render_form(docset: DocumentSet, doc: FormDoc, labels: FormLabels) -> bytes:
    """The blank form of one form schema, as .docx bytes (same input, same bytes)."""
    return _FormBuilder(docset, doc, labels).build()


def render_forms(docset: DocumentSet, options: BuildOptions) -> dict[str, bytes]:
    """Blank forms of every form in use (obsolete forms are not printed any more)."""
    labels = load_form_labels(docset.root, docset.settings)
    forms = [f for f in docset.forms.values() if f.status is not Status.obsolete]
    files: dict[str, bytes] = {}
    for done, doc in enumerate(forms, start=1):
        files[form_file_name(doc)] = render_form(docset, doc, labels)
        if options.progress is not None:
            options.progress("forms", done, len(forms))
    return files
