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

import functools
import io
import itertools
import re
from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from docx import Document as new_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from generator.cache import generator_digest, key
from generator.cachekeys import Digests, document_digests
from generator.contract import BuildOptions
from generator.docset import DocumentSet, FormDoc
from generator.load import load_optional
from generator.model.common import Strict
from generator.model.form import (
    Column,
    ColumnType,
    FieldType,
    Form,
    FormField,
    FormSection,
    FormTable,
    SignOff,
    Widget,
)
from generator.model.procedure import Status
from generator.model.settings import Settings
from generator.render.docx import ooxml, sdt
from generator.render.docx.fonts import face_name
from generator.render.docx.ooxml import new_element
from generator.render.docx.tables import keep_document_words_whole
from generator.render.docx.tables import text_width_mm as table_text_width_mm
from generator.render.flowchart import wrap
from generator.render.parallel import Batch, run_batch
from generator.versions import file_safe

LABELS_FILE = "form.labels.yaml"
CACHE_NAMESPACE = "forms"  # the build cache's folder of blank forms

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
    # Other texts that are no value: a field's hint, which blank forms built before hints
    # moved under the label showed in the box (LibreOffice may keep it without the flag).
    former: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSlots:
    """The controls of one row of a repeating table; the row repeats any number of times."""

    table: FormTable
    label: str
    row: tuple[Slot, ...]


PlanItem = Slot | TableSlots


def _field_slots(item: FormField, labels: FormLabels) -> list[Slot]:
    # A hint is printed under the label, never in the box the writer fills (it would print
    # there in grey on a blank form): every text box starts empty.
    former = (item.hint,) if item.hint else ()
    if item.type in (FieldType.text, FieldType.number):
        return [Slot(item.id, None, "text", item.id, item.label, NBSP * 6, former)]
    if item.type is FieldType.long_text:
        # A multi-line plain-text control, not a rich-text one: LibreOffice loses the alias of
        # a rich-text control on its second re-save, never that of a text control. (It does
        # join the lines of a multi-line text into one when it re-saves; Word keeps them.)
        # One NBSP alone would not do as placeholder: LibreOffice drops such a control.
        return [Slot(item.id, None, "text", item.id, item.label, NBSP * 6, former)]
    if item.type is FieldType.date:
        return [Slot(item.id, None, "date", item.id, item.label, labels.date_placeholder)]
    if item.type is FieldType.choice and item.widget is Widget.dropdown:
        return [Slot(item.id, None, "dropdown", item.id, item.label, NBSP * 6, former)]
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


# --- layout: every size decided before anything is drawn ----------------------------------

BODY_PT = 10.5  # 五号, the size of Chinese forms
SMALL_PT = 9  # 小五
NOTE_PT = 7.5  # 六号: a hint printed under its label
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
MARGIN_MM = (14.0, 15.0)  # top and bottom, left and right
# Left + right cell margins: 0.19 cm each, the default of Word and LibreOffice.
PAD_MM = 3.8
# Height of one line of text per point of font size (mm), as LibreOffice sets Noto CJK.
LEADING_MM_PER_PT = 0.3528 * 1.36
# A label column is as wide as its longest label, within these bounds (mm); a longer label
# wraps between words.
LABEL_MM = {False: (18.0, 42.0), True: (18.0, 52.0)}  # by landscape
# Height left free at the foot of a page when long-text boxes grow to fill it: Word and
# LibreOffice do not set text to the same tenth of a millimetre.
SLACK_MM = 6.0
# Rules and cell margins above and below the text of a row.
ROW_EXTRA_MM = 1.4
# Room for a handwritten name before the 年 月 日 of a name/date box.
NAME_MM = 10.0
# A long-text box grows to at most this many times its height; more spare height goes to
# blank rows of the form's repeating table, if it has one (a single giant box reads oddly).
GROW_FACTOR = 4.0


def line_mm(size_pt: float) -> float:
    return size_pt * LEADING_MM_PER_PT


def text_width_mm(text: str, size_pt: float) -> float:
    """Printed width of a line of a form: the tables' estimate, without a column's slack."""
    return table_text_width_mm(text, size_pt, slack=1.0)


# A numbered item of 填表说明: "2." or "2、" (not the "0.35" of a formula).
_ITEM_START = re.compile(r"\s+(?=\d{1,2}[.、](?!\d))")


def instruction_items(text: str) -> list[str]:
    """填表说明 split into its numbered items: `>-` folded YAML joins them into one line."""
    return [item for item in _ITEM_START.split(text.strip()) if item]


# Where a label breaks best: after 、 / ） and before （ ("总经理 / （权限要求时）/日期").
_PHRASE_END = re.compile(r"(?<=[/／、；;，,])|(?<=[）)])(?![/／、；;，,])|(?=[（(])")


def wrap_words(text: str, width_mm: float, size_pt: float = BODY_PT,
               keep: tuple[str, ...] = ()) -> list[str]:
    """`text` as the lines it takes in a cell `width_mm` wide: whole when it fits, else broken
    between phrases, then between words (让步理由及 / 有效期), never inside one (让步理由及有效 /
    期) nor inside a name of `keep` (文控中心, which jieba cuts as 文控 / 中心): Chinese text
    wraps between any two characters unless we place the breaks."""
    room = width_mm - PAD_MM - 0.5  # a little for the fonts' own spacing
    if text_width_mm(text, size_pt) <= room:
        return [text]
    return fill_lines(phrases(text), room, size_pt, keep)


def phrases(text: str) -> list[str]:
    """`text` cut where a line breaks best; a bracketed part stays whole (（签字/盖章）)."""
    pieces: list[str] = []
    depth = 0
    for piece in _PHRASE_END.split(text):
        if not piece:
            continue
        if depth and pieces:
            pieces[-1] += piece
        else:
            pieces.append(piece)
        depth = max(0, depth + sum(piece.count(c) for c in "（(")
                    - sum(piece.count(c) for c in "）)"))
    return pieces


def fill_lines(pieces: list[str], room_mm: float, size_pt: float,
               keep: tuple[str, ...] = ()) -> list[str]:
    """Pieces of text filled into lines no wider than `room_mm`; a piece wider than a line is
    broken between its words (jieba, as the flowcharts do), a name of `keep` staying whole."""
    lines: list[str] = []
    line = ""
    for piece in pieces:
        parts = [piece]
        if text_width_mm(piece, size_pt) > room_mm:
            parts = _words_apart(piece, room_mm, size_pt, keep)
        for part in parts:
            if line and text_width_mm(line + part, size_pt) > room_mm:
                lines.append(line)
                line = ""
            line += part
    if line:
        lines.append(line)
    return lines


def _words_apart(text: str, room_mm: float, size_pt: float, keep: tuple[str, ...]) -> list[str]:
    """`text` cut between words into parts no wider than `room_mm`; names of `keep` whole."""
    column = text_width_mm("\u4e00", size_pt) / 2  # wrap() counts a CJK character as 2
    limit = max(2, int(room_mm / column))
    names = sorted((n for n in keep if n and n in text), key=len, reverse=True)
    if not names:
        return wrap(text, limit)
    parts: list[str] = []
    position = 0
    for match in re.finditer("|".join(map(re.escape, names)), text):
        if match.start() > position:
            parts.extend(wrap(text[position:match.start()], limit))
        parts.append(match.group())
        position = match.end()
    if position < len(text):
        parts.extend(wrap(text[position:], limit))
    return parts


def option_text_lines(options: list[str], labels: FormLabels, width_mm: float,
                      size_pt: float) -> list[str]:
    """"（合格/不合格/让步接收）" in lines that break between options, never inside one."""
    separator = labels.option_separator
    pieces = [("（" if k == 0 else "") + option
              + (separator if k < len(options) - 1 else "）")
              for k, option in enumerate(options)]
    return fill_lines(pieces, width_mm - PAD_MM - 0.5, size_pt)


@dataclass(frozen=True)
class _Heights:
    """Row heights of one form (mm): the defaults, shrunk when the form would not fit."""

    row: float = ROW_MM
    line: float = LINE_MM
    table_row: float = TABLE_ROW_MM


@dataclass(frozen=True)
class FormLayout:
    """Column widths and row heights of one blank form (mm), decided before it is drawn.

    `grow` is the height each long-text box gains so that the form fills its page; `rows` the
    blank rows printed per repeating table (at least the schema's `rows`, more when a form
    without long-text boxes has room to spare).
    """

    width: float
    label: float
    signoff_label: float
    per_row: int
    heights: _Heights = _Heights()
    grow: tuple[tuple[str, float], ...] = ()
    rows: tuple[tuple[str, int], ...] = ()
    keep: tuple[str, ...] = ()  # names a line never breaks inside (departments, positions)

    def grid(self) -> list[float]:
        """Widths of the label/value grid: label, value, label, value."""
        value = (self.width - 2 * self.label) / 2
        return [self.label, value, self.label, value]

    def signoff_widths(self) -> list[float]:
        value = (self.width - self.per_row * self.signoff_label) / self.per_row
        return [self.signoff_label, value] * self.per_row

    def grown(self, field_id: str) -> float:
        return dict(self.grow).get(field_id, 0.0)

    def table_rows(self, table: FormTable) -> int:
        return dict(self.rows).get(table.id, table.rows)


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


def shows_title(section: FormSection) -> bool:
    """A section's heading row, unless its first field already says it (a heading 评审意见 over
    a box labelled 评审意见 says it twice)."""
    if not section.title:
        return False
    return not (section.fields and _same(section.fields[0].label, section.title))


def _same(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def option_lines(words: list[str], width_mm: float) -> list[int]:
    """Where to break a row of ☐ options so that no option is split: the index of the first
    option of each line after the first."""
    room = width_mm - PAD_MM - 1.5  # cell margins, and a little for the fonts' own spacing
    used = 0.0
    breaks: list[int] = []
    for k, word in enumerate(words):
        need = 1.05 * text_width_mm(f"☐{word}\u2003", BODY_PT)  # ☐ is drawn wider
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


def _label_mm(text: str, hint: str | None, width_mm: float, keep: tuple[str, ...]) -> float:
    """Height the label cell needs: its lines, and the hint's under them."""
    height = len(wrap_words(text, width_mm, BODY_PT, keep)) * line_mm(BODY_PT)
    if hint:
        height += len(wrap_words(hint, width_mm, NOTE_PT, keep)) * line_mm(NOTE_PT)
    return height + ROW_EXTRA_MM


def value_mm(item: FormField, layout: FormLayout, width_mm: float,
             labels: FormLabels) -> float:
    """Height a field's value cell needs (at least a row's)."""
    heights = layout.heights
    if item.type is FieldType.long_text:
        return item.lines * heights.line + layout.grown(item.id)
    words = checkbox_words(item, labels)
    if words:
        lines = 1 + len(option_lines(words, width_mm))
        return max(heights.row, lines * line_mm(BODY_PT) + ROW_EXTRA_MM)
    if item.type is FieldType.choice:  # a dropdown, its options printed beside or under it
        options = dropdown_option_lines(item, labels, width_mm)
        if len(options) > 1:
            return max(heights.row, line_mm(BODY_PT) + len(options) * line_mm(SMALL_PT)
                       + ROW_EXTRA_MM)
    return heights.row


def dropdown_option_lines(item: FormField, labels: FormLabels, width_mm: float) -> list[str]:
    """The options printed beside a dropdown (its empty box on paper, about 8 mm wide), or
    under it when they need more than the rest of its line."""
    beside = option_text_lines(item.options, labels, width_mm - 8, SMALL_PT)
    if len(beside) == 1:
        return beside
    return option_text_lines(item.options, labels, width_mm, SMALL_PT)


def _row_widths(layout: FormLayout, row: list[FormField]) -> list[tuple[float, float]]:
    """(label width, value width) of each field of a grid row."""
    grid = layout.grid()
    if len(row) == 1:
        return [(grid[0], sum(grid[1:]))]
    return [(grid[0], grid[1]), (grid[2], grid[3])]


def field_row_mm(layout: FormLayout, row: list[FormField], labels: FormLabels) -> float:
    return max(max(_label_mm(f.label, f.hint, label, layout.keep),
                   value_mm(f, layout, value, labels))
               for f, (label, value) in zip(row, _row_widths(layout, row), strict=True))


def table_widths(table: FormTable, width_mm: float) -> list[float]:
    """Widths of a repeating table's columns: 序号, then the columns by their relative width."""
    number_mm = 12.0 if table.numbered else 0.0
    total = sum(c.width for c in table.columns)
    rest = width_mm - number_mm
    return ([number_mm] if number_mm else []) + [rest * c.width / total for c in table.columns]


OPTION_PT = SMALL_PT - 1.5  # the options printed under a choice column's heading


def table_head_mm(table: FormTable, width_mm: float, labels: FormLabels,
                  keep: tuple[str, ...] = ()) -> float:
    widths = table_widths(table, width_mm)
    offset = len(widths) - len(table.columns)
    heads = ([labels.row_number] if table.numbered else []) + [c.label for c in table.columns]
    need = 0.0
    for k, (head, width) in enumerate(zip(heads, widths, strict=True)):
        height = len(wrap_words(head, width, BODY_PT, keep)) * line_mm(BODY_PT)
        column = table.columns[k - offset] if k >= offset else None
        if column is not None and column.options:
            lines = option_text_lines(column.options, labels, width, OPTION_PT)
            height += len(lines) * line_mm(OPTION_PT)
        need = max(need, height)
    return max(7.0, need + ROW_EXTRA_MM)


def signoff_row_mm(layout: FormLayout, boxes: list[SignOff]) -> float:
    label = layout.signoff_label
    need = max((_label_mm(b.label, None, label, layout.keep) for b in boxes), default=0.0)
    return max(layout.heights.row + 1, need)


def estimate_mm(form: Form, layout: FormLayout, labels: FormLabels) -> float:
    """Height of the form's body (mm), as LibreOffice and Word lay it out."""
    total = HEADER_MM
    for section in form.sections:
        if shows_title(section):
            total += TITLE_ROW_MM
        for row in field_rows(section.fields):
            total += field_row_mm(layout, row, labels)
        if section.table is not None:
            table = section.table
            total += table_head_mm(table, layout.width, labels, layout.keep)
            total += layout.table_rows(table) * layout.heights.table_row
    per_row = layout.per_row
    for start in range(0, len(form.signoff), per_row):
        total += signoff_row_mm(layout, form.signoff[start:start + per_row])
    if form.instructions:
        items = instruction_items(form.instructions)
        lines = 1 + sum(len(wrap_words(i, layout.width + PAD_MM, SMALL_PT, layout.keep))
                        for i in items)
        total += 1 + lines * line_mm(SMALL_PT)
    return total


def _label_width(texts: list[str], landscape: bool, value_mm: float, pair_mm: float) -> float:
    """As wide as the widest label, within LABEL_MM, leaving `value_mm` to its value box in a
    label/value pair `pair_mm` wide."""
    low, high = LABEL_MM[landscape]
    want = max((text_width_mm(t, BODY_PT) for t in texts), default=0.0) + PAD_MM + 2.0
    return round(min(high, pair_mm - value_mm, max(low, want)), 1)


def signature_mm(labels: FormLabels) -> float:
    """Width a name/date box needs: room for a name, and 年 月 日."""
    return NAME_MM + text_width_mm(labels.date_placeholder, BODY_PT) + PAD_MM


def role_names(docset: DocumentSet) -> tuple[str, ...]:
    """Department and position names of the set (文控中心, 品质部经理): never broken."""
    return tuple(sorted({role.name for role in docset.roles.values()}))


def form_layout(form: Form, labels: FormLabels, keep: tuple[str, ...] = ()) -> FormLayout:
    """The layout of `form` on its A4 page (portrait or landscape); `keep`: names a line never
    breaks inside (the set's departments and positions)."""
    width, height = 210.0, 297.0
    if form.landscape:
        width, height = height, width
    top, side = MARGIN_MM
    return plan_layout(form, labels, width - 2 * side, height - 2 * top - FOOTER_MM, keep)


def plan_layout(form: Form, labels: FormLabels, width_mm: float, available_mm: float,
                keep: tuple[str, ...] = ()) -> FormLayout:
    """Widths from the labels; heights shrunk when the form would not fit its page, grown
    (long-text boxes first, else more blank table rows) when it would leave the page empty."""
    per_row = 3 if form.landscape else 2
    fields = [f.label for s in form.sections for f in s.fields]
    boxes = [b.label for b in form.signoff]
    # a half-row name/date box keeps room for both
    half_signature = any(f.type is FieldType.signature and not f.wide
                         for s in form.sections for f in s.fields)
    sign = signature_mm(labels)
    label = _label_width(fields, form.landscape, sign if half_signature else 0, width_mm / 2)
    signoff_label = _label_width(boxes, form.landscape, sign, width_mm / per_row)
    if per_row == 2 and fields and boxes:
        # the sign-off rows continue the field grid: one label column for both
        label = signoff_label = min(max(label, signoff_label), width_mm / 2 - sign)
    layout = FormLayout(width_mm, label, signoff_label, per_row, keep=keep)
    for step in range(0, 21):
        k = 1 - step * 0.025
        heights = _Heights(max(MIN_ROW_MM, ROW_MM * k), max(MIN_LINE_MM, LINE_MM * k),
                           max(MIN_TABLE_ROW_MM, TABLE_ROW_MM * k))
        layout = replace(layout, heights=heights)
        if estimate_mm(form, layout, labels) <= available_mm:
            break
    spare = available_mm - SLACK_MM - estimate_mm(form, layout, labels)
    if spare <= 0 or layout.heights != _Heights():
        return layout
    return _fill_page(form, layout, labels, spare)


def _fill_page(form: Form, layout: FormLayout, labels: FormLabels,
               spare: float) -> FormLayout:
    """Give the spare height to the long-text boxes (by their lines, each up to GROW_FACTOR
    times its height), then to blank rows of the last repeating table."""
    rows = [row for s in form.sections for row in field_rows(s.fields)
            if any(f.type is FieldType.long_text for f in row)]
    tables = [s.table for s in form.sections if s.table is not None]
    grow: list[tuple[str, float]] = []
    if rows:
        # Weighted by the row's tallest box; boxes side by side grow together.
        weights = [max(f.lines for f in row if f.type is FieldType.long_text) for row in rows]
        total = sum(weights)
        share = [spare * weight / total for weight in weights]
        if tables:
            share = [min(s, (GROW_FACTOR - 1) * w * layout.heights.line)
                     for s, w in zip(share, weights, strict=True)]
        spare -= sum(share)
        grow = [(f.id, round(s, 1)) for row, s in zip(rows, share, strict=True) for f in row
                if f.type is FieldType.long_text]
    extra: tuple[tuple[str, int], ...] = ()
    if tables and spare >= layout.heights.table_row:
        last = tables[-1]
        extra = ((last.id, last.rows + int(spare // layout.heights.table_row)),)
    return replace(layout, grow=tuple(grow), rows=extra)


SHADE = "E7E6E6"
LABEL_SHADE = "F2F2F2"


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


@functools.cache
def _clark(tags: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(qn(tag) for tag in tags)


def _put(parent: Any, child: Any, successors: tuple[str, ...]) -> None:
    """Set `child` in `parent` (replacing one of the same tag) at its place in schema order:
    python-docx's `insert_element_before` (before the first of `successors`, in their order,
    that `parent` holds), without qualifying every successor's name again."""
    tag = child.tag
    present = set()
    for old in list(parent):
        if old.tag == tag:
            parent.remove(old)
        else:
            present.add(old.tag)
    for name in _clark(successors):
        if name in present:
            parent.find(name).addprevious(child)
            return
    parent.append(child)


_W_ID, _W_VAL, _W_T = qn("w:id"), qn("w:val"), qn("w:t")
_V_ALIGN_AFTER = ("w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge",
                  "w:tcPrChange")


def _align(cell: _Cell, value: str) -> None:
    """`cell.vertical_alignment = …` (`value` its XML word: center, top, bottom), the same XML
    without python-docx's descriptors."""
    tc_pr = cell._tc.get_or_add_tcPr()
    v_align = tc_pr.find(_W_V_ALIGN)
    if v_align is None:
        v_align = new_element("w:vAlign")
        _put(tc_pr, v_align, _V_ALIGN_AFTER)
    v_align.set(_W_VAL, value)


_W_V_ALIGN = qn("w:vAlign")


def _twips(mm: float) -> str:
    return str(round(mm * 56.7))


def _line_break() -> Any:
    run = new_element("w:r")
    run.append(new_element("w:br"))
    return run


def _tab() -> Any:
    run = new_element("w:r")
    run.append(new_element("w:tab"))
    return run


def _chinese() -> Any:
    """`w:lang` zh-CN: where the named Chinese font is missing, LibreOffice picks its fallback
    by language, and without this it takes the Japanese cut of Noto CJK."""
    lang = new_element("w:lang")
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    return lang


def body_grid(form: Form, layout: FormLayout) -> list[float]:
    """Column boundaries (mm from the left) of the one table that holds the whole form body.

    Field sections, repeating tables and sign-off rows each have columns of their own; one
    table with the union of their boundaries (each row spanning what it needs) draws them as
    one grid, so no double rule appears where two sections meet.
    """
    edges: list[float] = [0.0, round(layout.width, 1)]
    for widths in _block_widths(form, layout):
        position = 0.0
        for width in widths:
            position += width
            # Boundaries closer than 1.5 mm are one line (no sliver columns): the first
            # block's stays, and the label columns come first, so they keep their width.
            if all(abs(position - edge) >= 1.5 for edge in edges):
                edges.append(round(position, 1))
    return sorted(edges)


def _block_widths(form: Form, layout: FormLayout) -> Iterator[list[float]]:
    if any(s.fields for s in form.sections):
        yield layout.grid()
    if form.signoff:
        yield layout.signoff_widths()
    for section in form.sections:
        if section.table is not None:
            yield table_widths(section.table, layout.width)


@dataclass
class _Style:
    body: str
    heading: str
    latin: str
    _made: dict[tuple[float, bool, bool], Any] = field(default_factory=dict, repr=False)

    def rpr(self, size: float = BODY_PT, *, bold: bool = False, heading: bool = False) -> Any:
        """A fresh w:rPr: East Asian and Latin font, size, bold (a copy of the first one made
        for the same look)."""
        look = (size, bold, heading)
        found = self._made.get(look)
        if found is None:
            found = self._made[look] = self._rpr(size, bold=bold, heading=heading)
        return deepcopy(found)

    def _rpr(self, size: float, *, bold: bool, heading: bool) -> Any:
        r_pr = new_element("w:rPr")
        fonts = new_element("w:rFonts")
        east = self.heading if heading else self.body
        fonts.set(qn("w:ascii"), self.latin)
        fonts.set(qn("w:hAnsi"), self.latin)
        fonts.set(qn("w:eastAsia"), east)
        fonts.set(qn("w:hint"), "eastAsia")
        r_pr.append(fonts)
        if bold:
            r_pr.append(new_element("w:b"))
            r_pr.append(new_element("w:bCs"))
        for tag in ("w:sz", "w:szCs"):
            element = new_element(tag)
            element.set(qn("w:val"), str(round(size * 2)))
            r_pr.append(element)
        r_pr.append(_chinese())
        return r_pr


# Styles a blank form uses (python-docx's default template has ~160 more): the body names
# Table Grid, the footer part Footer; numbering.xml's list definitions name the list styles.
FORM_STYLES = ("Normal", "Default Paragraph Font", "Normal Table", "No List", "Table Grid",
               "Footer", "Header", "List Bullet", "List Bullet 2", "List Bullet 3",
               "List Number", "List Number 2", "List Number 3")

# The base document of every form, by (body font, Latin font): made once per process.
_BASES: dict[tuple[str, str], bytes] = {}


def _base_document(style: _Style) -> bytes:
    """python-docx's default document made once into what every blank form starts from: A4
    with the forms' margins, the Normal style in the set's fonts, only the styles a form uses
    (its default styles.xml and their twin are 9,000 elements parsed and written per form),
    and the w14/w15 namespaces the content controls need declared on the root."""
    key = (style.body, style.latin)
    found = _BASES.get(key)
    if found is not None:
        return found
    document = new_document()
    ooxml.set_a4(document, top=MARGIN_MM[0], bottom=MARGIN_MM[0], left=MARGIN_MM[1],
                 right=MARGIN_MM[1], header=8, footer=7)
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    ooxml.set_fonts(normal.element, style.body, style.latin)
    normal.element.get_or_add_rPr().append(_chinese())
    paragraph = normal.paragraph_format
    paragraph.space_before = Pt(0)
    paragraph.space_after = Pt(0)
    paragraph.line_spacing = 1.0
    ooxml.trim_styles(document, FORM_STYLES)
    sdt.declare_namespaces(document)
    buffer = io.BytesIO()
    document.save(buffer)
    found = _BASES[key] = buffer.getvalue()
    return found


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
        self.document: Document = new_document(io.BytesIO(_base_document(self.style)))
        if self.form.landscape:
            section = self.document.sections[0]
            section.orientation = WD_ORIENT.LANDSCAPE
            section.page_width, section.page_height = ooxml.A4_HEIGHT, ooxml.A4_WIDTH
        self.layout = form_layout(self.form, labels, role_names(docset))
        self.width_mm = self.layout.width
        self.heights = self.layout.heights
        self.grid = body_grid(self.form, self.layout)
        self.body: Table | None = None

    # -- page and text ---------------------------------------------------------------------

    def run(self, paragraph: Paragraph | Any, text: str, size: float = BODY_PT, *,
            bold: bool = False, heading: bool = False) -> None:
        p = paragraph._p if isinstance(paragraph, Paragraph) else paragraph
        p.append(ooxml.text_run(text, self.style.rpr(size, bold=bold, heading=heading)))

    def lines(self, paragraph: Paragraph, lines: list[str], size: float = BODY_PT, *,
              bold: bool = False) -> None:
        """Lines of a wrapped label: our own breaks, between words."""
        for k, line in enumerate(lines):
            if k:
                paragraph._p.append(_line_break())
            self.run(paragraph, line, size, bold=bold)

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
        mark = new_element("w:rPr")
        size = new_element("w:sz")
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
        width = new_element("w:tblW")
        width.set(qn("w:w"), _twips(sum(widths)))
        width.set(qn("w:type"), "dxa")
        _put(table._tbl.tblPr, width, _TBL_PR_AFTER["w:tblW"])
        for column, value in zip(table.columns, widths, strict=True):
            column.width = Mm(value)
            for cell in column.cells:
                cell.width = Mm(value)
        return table

    def body_table(self) -> Table:
        """The one bordered table of the form body (made on first use, after the header)."""
        if self.body is None:
            self.spacer()
            widths = [b - a for a, b in itertools.pairwise(self.grid)]
            self.body = self.table(0, widths)
        return self.body

    def new_row(self, widths: list[float], *, append: bool = True) -> tuple[Any, list[_Cell]]:
        """A row of the body table whose cells have `widths` (mm), each spanning the grid
        columns between its edges. Appended to the table unless `append` is False (rows of a
        repeating section)."""
        table = self.body_table()
        edges = [0.0]
        for width in widths:
            edges.append(edges[-1] + width)
        # each edge at the nearest grid boundary
        index = [min(range(len(self.grid)), key=lambda k: abs(self.grid[k] - e)) for e in edges]
        tr = new_element("w:tr")
        cells = []
        for start, end in itertools.pairwise(index):
            tc = new_element("w:tc")
            tc_pr = new_element("w:tcPr")
            tc_w = new_element("w:tcW")
            tc_w.set(qn("w:w"), _twips(self.grid[end] - self.grid[start]))
            tc_w.set(qn("w:type"), "dxa")
            tc_pr.append(tc_w)
            if end - start > 1:
                span = new_element("w:gridSpan")
                span.set(qn("w:val"), str(end - start))
                tc_pr.append(span)
            tc.append(tc_pr)
            tc.append(new_element("w:p"))
            tr.append(tc)
            cells.append(_Cell(tc, table))
        if append:
            table._tbl.append(tr)
        return tr, cells

    @staticmethod
    def row_height(tr: Any, mm: float, rule: str = "atLeast") -> None:
        tr_pr = tr.get_or_add_trPr()
        height = new_element("w:trHeight")
        height.set(qn("w:val"), _twips(mm))
        height.set(qn("w:hRule"), rule)
        _put(tr_pr, height, _TR_PR_AFTER["w:trHeight"])

    @staticmethod
    def cantsplit(tr: Any) -> None:
        _put(tr.get_or_add_trPr(), new_element("w:cantSplit"), _TR_PR_AFTER["w:cantSplit"])

    @staticmethod
    def shade(cell: _Cell, fill: str = SHADE) -> None:
        tc_pr = cell._tc.get_or_add_tcPr()
        shading = new_element("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), fill)
        _put(tc_pr, shading, _TC_PR_AFTER["w:shd"])

    @staticmethod
    def middle(cell: _Cell) -> None:
        _align(cell, "center")

    @staticmethod
    def bottom_border_only(cell: _Cell) -> None:
        tc_pr = cell._tc.get_or_add_tcPr()
        borders = new_element("w:tcBorders")
        for side in ("top", "left", "bottom", "right"):
            line = new_element(f"w:{side}")
            line.set(qn("w:val"), "single" if side == "bottom" else "nil")
            if side == "bottom":
                line.set(qn("w:sz"), "6")
                line.set(qn("w:color"), "000000")
            borders.append(line)
        _put(tc_pr, borders, _TC_PR_AFTER["w:tcBorders"])

    def label_cell(self, cell: _Cell, text: str, width_mm: float, *,
                   hint: str | None = None) -> None:
        """A shaded label, broken between words when it is wider than its column; a field's
        hint under it in small print (the value box stays empty for the writer)."""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.lines(paragraph, wrap_words(text, width_mm, BODY_PT, self.layout.keep))
        if hint:
            note = cell.add_paragraph()
            note.alignment = WD_ALIGN_PARAGRAPH.CENTER
            self.lines(note, wrap_words(hint, width_mm, NOTE_PT, self.layout.keep), NOTE_PT)
        self.middle(cell)
        self.shade(cell, LABEL_SHADE)

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
        code = f"{self.doc.code} {self.doc.version}"
        # as wide as label and code, so that the code never breaks
        code_mm = max(40.0, text_width_mm(self.labels.code_version + code, SMALL_PT) + PAD_MM + 2)
        serial_label_mm = text_width_mm(self.labels.serial, SMALL_PT) + PAD_MM + 1
        rest = self.width_mm - code_mm - (serial_mm + serial_label_mm if self.form.serial else 0)
        widths = [code_mm, rest] + ([serial_label_mm, serial_mm] if self.form.serial else [])
        table = self.table(1, widths, borders=False)
        cells = table.rows[0].cells
        self.run(cells[0].paragraphs[0], self.labels.code_version, SMALL_PT)
        slot = self.cursor.slot(TAG_FORM)
        # The code and version sit in a locked control: a second way (after the document
        # properties) for the reader to know which form this is, and clerks cannot type over it.
        cells[0].paragraphs[0]._p.append(sdt.text_control(
            self.ids, slot.tag, slot.alias, "", self.runs(SMALL_PT), value=code,
            lock="sdtContentLocked"))
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
            _align(cell, "bottom")
        self.row_height(table.rows[0]._tr, 6)

    def footer(self) -> None:
        """Copies note on the left; retention, custodian, code and version on the right."""
        footer = self.document.sections[0].footer
        right = "\u3000".join([
            self.labels.retention.format(retention=self.doc.retention),
            self.labels.custodian.format(custodian=self.doc.custodian.name),
            f"{self.doc.code}{NBSP}{self.doc.version}",
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
        self.lines(left_cell.paragraphs[0],
                   wrap_words(self.form.copies or "", self.width_mm * share, SMALL_PT,
                              self.layout.keep),
                   SMALL_PT)
        right_cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.run(right_cell.paragraphs[0], right, SMALL_PT)

    # -- fields ----------------------------------------------------------------------------

    def title_row(self, title: str) -> None:
        tr, (cell,) = self.new_row([self.width_mm])
        self.run(cell.paragraphs[0], title, BODY_PT, bold=True, heading=True)
        self.shade(cell)
        self.middle(cell)
        self.row_height(tr, TITLE_ROW_MM)
        self.cantsplit(tr)

    def fields_rows(self, fields: list[FormField]) -> None:
        for row_fields in field_rows(fields):
            widths = _row_widths(self.layout, row_fields)
            tr, cells = self.new_row([w for pair in widths for w in pair])
            for k, (item, (label, value)) in enumerate(zip(row_fields, widths, strict=True)):
                self.label_cell(cells[2 * k], item.label, label, hint=item.hint)
                self.field_value(cells[2 * k + 1], item, value)
            height = max(value_mm(f, self.layout, value, self.labels)
                         for f, (_, value) in zip(row_fields, widths, strict=True))
            self.row_height(tr, height)
            self.cantsplit(tr)

    def field_value(self, cell: _Cell, item: FormField, width_mm: float) -> None:
        """Fill a value cell with the field's controls."""
        self.middle(cell)
        paragraph = cell.paragraphs[0]
        p = paragraph._p
        if item.type in (FieldType.text, FieldType.number):
            slot = self.cursor.slot(item.id)
            p.append(sdt.text_control(self.ids, slot.tag, slot.alias, slot.placeholder,
                                      self.runs()))
            if item.unit:
                self.run(paragraph, f" {item.unit}")
            return
        if item.type is FieldType.long_text:
            slot = self.cursor.slot(item.id)
            p.append(sdt.text_control(self.ids, slot.tag, slot.alias, slot.placeholder,
                                      self.runs(), multiline=True))
            _align(cell, "top")  # text starts at the top
            return
        if item.type is FieldType.date:
            slot = self.cursor.slot(item.id)
            p.append(self.date(slot, self.runs()))
            return
        if item.type is FieldType.signature:
            self.signature(paragraph, item.id, width_mm)
            return
        if item.type is FieldType.choice and item.widget is Widget.dropdown:
            slot = self.cursor.slot(item.id)
            p.append(sdt.dropdown_control(self.ids, slot.tag, slot.alias, item.options,
                                          slot.placeholder, self.runs()))
            # On paper a dropdown is an empty box: print the options to choose from, on a
            # line of their own when they do not fit beside it, broken between options.
            lines = dropdown_option_lines(item, self.labels, width_mm)
            if len(lines) > 1:
                p.append(_line_break())
            self.lines(paragraph, lines, SMALL_PT)
            return
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

    def date(self, slot: Slot, runs: sdt.RunProps) -> Any:
        """A date picker showing 年 月 日 in normal ink: on a printed blank form they are part
        of the paper (the writer fills in the numbers); in Word they are still the control's
        placeholder, replaced by the date picked, and never read back as a value."""
        return sdt.date_control(self.ids, slot.tag, slot.alias, slot.placeholder, runs,
                                grey=False)

    def signature(self, paragraph: Paragraph, key: str, width_mm: float) -> None:
        """Room for a name on the left, 年 月 日 at the right edge of the box (a tab stop):
        a name/date box shows both, and the name's room is not taken by the date."""
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            Mm(width_mm - PAD_MM), WD_TAB_ALIGNMENT.RIGHT)
        name = self.cursor.slot(key)
        paragraph._p.append(sdt.text_control(self.ids, name.tag, name.alias, name.placeholder,
                                             self.runs()))
        paragraph._p.append(_tab())
        paragraph._p.append(self.date(self.cursor.slot(key), self.runs()))

    # -- repeating table -------------------------------------------------------------------

    def repeating_table(self, table_model: FormTable) -> None:
        slots = self.cursor.table(table_model.id)
        widths = table_widths(table_model, self.width_mm)
        tr, header = self.new_row(widths)
        labels = ([self.labels.row_number] if table_model.numbered else []) + [
            c.label for c in table_model.columns]
        for cell, text, width in zip(header, labels, widths, strict=True):
            self.label_cell(cell, text, width)
        offset = len(widths) - len(table_model.columns)
        for k, column in enumerate(table_model.columns):
            if column.options:
                extra = header[k + offset].add_paragraph()
                extra.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self.lines(extra, option_text_lines(column.options, self.labels,
                                                    widths[k + offset], OPTION_PT), OPTION_PT)
        self.row_height(tr, table_head_mm(table_model, self.width_mm, self.labels,
                                          self.layout.keep))
        self.cantsplit(tr)
        rows = self.blank_rows(widths, slots, self.layout.table_rows(table_model),
                               numbered=table_model.numbered)
        self.body_table()._tbl.append(sdt.repeating_section(self.ids, table_model.id, "", rows))

    def blank_rows(self, widths: list[float], slots: TableSlots, count: int, *,
                   numbered: bool) -> list[Any]:
        """`count` blank rows: the first one built, the others copies of it with their own
        control ids (and row number), as building each would give, at a fraction of the cost.
        """
        if count <= 0:
            return []
        first_id = self.ids.next_id
        first = self.blank_row(widths, slots, 1 if numbered else None)
        per_row = self.ids.next_id - first_id
        rows = [first]
        for n in range(1, count):
            row = deepcopy(first)
            for control_id in row.iter(_W_ID):
                control_id.set(_W_VAL, str(int(control_id.get(_W_VAL)) + n * per_row))
            if numbered:
                next(row.iter(_W_T)).text = str(n + 1)
            rows.append(row)
        self.ids.next_id = first_id + count * per_row
        return rows

    def blank_row(self, widths: list[float], slots: TableSlots, number: int | None) -> Any:
        tr, cells = self.new_row(widths, append=False)
        self.cantsplit(tr)
        self.row_height(tr, self.heights.table_row)
        contents: list[Slot | str] = ([str(number)] if number is not None else []) + list(
            slots.row)
        for cell, content in zip(cells, contents, strict=True):
            self.middle(cell)
            p = cell.paragraphs[0]
            if isinstance(content, str):
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self.run(p, content, SMALL_PT)
            else:
                p._p.append(self.cell_control(content))
        return tr

    def cell_control(self, slot: Slot) -> Any:
        runs = self.runs(SMALL_PT)
        if slot.kind == "date":
            return self.date(slot, runs)
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
        per_row = self.layout.per_row
        widths = self.layout.signoff_widths()
        for start in range(0, len(boxes), per_row):
            group = boxes[start:start + per_row]
            row_widths = widths[:2 * len(group)]
            # a short last row: its last value box runs to the right edge
            row_widths[-1] += sum(widths[2 * len(group):])
            tr, cells = self.new_row(row_widths)
            for k, box in enumerate(group):
                self.label_cell(cells[2 * k], box.label, row_widths[2 * k])
                self.middle(cells[2 * k + 1])
                self.signature(cells[2 * k + 1].paragraphs[0], box.id, row_widths[2 * k + 1])
            self.row_height(tr, signoff_row_mm(self.layout, group))
            self.cantsplit(tr)

    def instructions(self) -> None:
        text = self.form.instructions
        if not text:
            return
        paragraph = self.paragraph(self.labels.instructions, SMALL_PT, bold=True)
        paragraph.paragraph_format.space_before = Pt(3)
        for item in instruction_items(text):
            self.paragraph(item, SMALL_PT)

    # -- whole form ------------------------------------------------------------------------

    def build(self) -> bytes:
        self.header_block()
        for section in self.form.sections:
            if shows_title(section):
                assert section.title is not None
                self.title_row(section.title)
            self.fields_rows(section.fields)
            if section.table is not None:
                self.repeating_table(section.table)
        self.signoff()
        self.instructions()
        self.footer()
        self.cursor.finish()
        # department names (文控中心) and codes never break across lines, in labels and notes
        # alike; the content controls are left as they are (render/docx/tables.py)
        keep_document_words_whole(self.document, (r.name for r in self.docset.roles.values()))
        ooxml.fix_core_properties(
            self.document, self.form.issue_date or self.form.effective_date,
            title=f"{self.doc.code} {self.doc.title}", author=self.docset.settings.company.name,
            subject=self.doc.procedure.text, keywords=f"{self.doc.code} {self.doc.version}")
        ooxml.set_custom_properties(self.document, {
            PROPERTY_CODE: self.doc.code, PROPERTY_VERSION: self.doc.version,
            PROPERTY_TITLE: self.doc.title})
        sdt.declare_namespaces(self.document)
        return ooxml.save_fixed(self.document)


def form_file_name(doc: FormDoc) -> str:
    """forms/QR-15-01_A-0_顾客意见征询书.docx: code, version and title, safe as a file name."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "_", doc.title).strip("_")
    return f"forms/{doc.code}_{file_safe(doc.version)}_{title}.docx"


def render_form(docset: DocumentSet, doc: FormDoc, labels: FormLabels) -> bytes:
    """The blank form of one form schema, as .docx bytes (same input, same bytes)."""
    return _FormBuilder(docset, doc, labels).build()


def form_keys(docset: DocumentSet, labels: FormLabels) -> dict[str, str]:
    """The cache key of every form's blank .docx, by code: the resolved form (its owner
    procedure as printed, custodian), the settings, every role (names are kept whole), the
    labels and the generator itself."""
    shared = key("form", generator_digest(),
                 Digests().digest((docset.settings, docset.roles, labels)))
    digests = document_digests(docset.roles)
    return {code: key(shared, digests.digest(doc)) for code, doc in docset.forms.items()}


def _render_one(context: tuple[DocumentSet, FormLabels], code: str) -> bytes:
    docset, labels = context
    return render_form(docset, docset.forms[code], labels)


def render_forms(docset: DocumentSet, options: BuildOptions,
                 jobs: int | None = None) -> dict[str, bytes]:
    """Blank forms of every form in use (obsolete forms are not printed any more), on every
    core for big sets; with a build cache (`options.cache`), those whose key (`form_keys`) is
    cached are taken from it."""
    return run_batch(plan_forms(docset, options), options.progress, jobs)


def plan_forms(docset: DocumentSet, options: BuildOptions) -> Batch:
    """The blank forms to render (those not in the build cache), for `render_forms` or the
    build's background workers."""
    labels = load_form_labels(docset.root, docset.settings)
    forms = {code: f for code, f in docset.forms.items() if f.status is not Status.obsolete}
    cache = options.cache
    keys = form_keys(docset, labels) if cache.enabled else {}
    cached: dict[str, bytes] = {}
    for code in forms:
        entry = keys.get(code)
        data = cache.get(CACHE_NAMESPACE, entry) if entry is not None else None
        if data is not None:
            cached[code] = data

    def store(rendered: Mapping[str, bytes]) -> None:
        for code, data in rendered.items():
            if code in keys:
                cache.put(CACHE_NAMESPACE, keys[code], data)
        cache.prune(CACHE_NAMESPACE, (keys[code] for code in forms if code in keys))

    return Batch("forms", _render_one, (docset, labels),
                 {code: form_file_name(doc) for code, doc in forms.items()}, cached, store)
