"""Model stage: a procedure (程序文件) and the blocks its clauses are made of.

Clause numbers, list labels and process-step letters are never typed in the YAML: the resolve
stage computes them from position, so inserting a clause renumbers everything after it.
"""

from __future__ import annotations

import builtins
import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Discriminator, Field, Tag, field_validator, model_validator

from generator.i18n import _
from generator.model.common import (
    Approval,
    Cell,
    Code,
    Id,
    Revision,
    Strict,
    Text,
    VersionLabel,
    _check_code,
    _check_id,
    added_field,
    text_or_mapping,
)
from generator.model.layout import Layout, NumberingSpec


class Status(StrEnum):
    draft = "draft"  # 草稿
    in_review = "in_review"  # 审核中
    effective = "effective"  # 生效 (受控)
    obsolete = "obsolete"  # 作废


class CoverRow(StrEnum):
    """Rows of the cover block a company may leave out (settings `cover.omit`)."""

    next_review = "next_review"  # 下次评审
    copy_number = "copy_number"  # 分发编号
    countersign = "countersign"  # 会签部门
    distribution = "distribution"  # 发放范围


class ListStyle(StrEnum):
    lettered = "lettered"  # a) b) c)
    numbered = "numbered"  # 1) 2) 3)
    parenthesised = "parenthesised"  # (1) (2) (3)
    circled = "circled"  # ① ② ③
    bullet = "bullet"  # •


class ListItem(Strict):
    """A list item with a nested list below it. A plain string is an item without one."""

    text: Text
    list: ListStyle = ListStyle.parenthesised
    items: builtins.list[ListEntryItem] = Field(min_length=1)


ListEntryItem = Annotated[
    Annotated[Text, Tag("<text>")] | Annotated[ListItem, Tag("<mapping>")],
    Discriminator(text_or_mapping),
]
"""A list item: plain text, or text with a nested list."""


class ListBlock(Strict):
    """`list: lettered` followed by `items:`."""

    list: ListStyle
    items: builtins.list[ListEntryItem] = Field(min_length=1)


class Note(Strict):
    """注: a note set apart from the clause text."""

    note: Text


class TableContent(Strict):
    caption: str | None = None
    columns: list[Text] = Field(min_length=1)
    rows: list[list[Cell]] = Field(min_length=1)
    widths: list[float] | None = Field(
        default=None, description="Relative column widths, one per column (e.g. [1, 3, 2])."
    )

    @model_validator(mode="after")
    def _rows_fit_columns(self) -> TableContent:
        for index, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"row {index} has {len(row)} cells but the table has "
                    f"{len(self.columns)} columns"
                )
        if self.widths is not None and len(self.widths) != len(self.columns):
            raise ValueError(_("widths 要为每一列给一个数"))
        return self


class Table(Strict):
    table: TableContent


class Branch(Strict):
    """One exit of a decision step: `评审通过? OK → 执行合同; NG → 修订`."""

    label: Text
    to: Id


def _has_cjk(value: str) -> bool:
    return any(ord(ch) > 0x7F for ch in value)


def _check_owner(value: str) -> str:
    """A role id (quality), or a group written out in Chinese (各部门, 相关部门)."""
    return value if _has_cjk(value) else _check_id(value)


def _check_output(value: str) -> str:
    """A form code (QR-06-01), or free text: 客户订单, 【proc:QP-09】, 《报价单》 …"""
    if _has_cjk(value) or any(ch.isspace() for ch in value) or "【" in value:
        return value
    return _check_code(value)


Owner = Annotated[Text, AfterValidator(_check_owner)]
"""A role id from roles.yaml, or a group that is not a role, written in Chinese (各部门)."""

Output = Annotated[Text, AfterValidator(_check_output)]
"""A form code of this set (QR-06-01) or text (客户订单; 【form:…】 and 【proc:…】 inside)."""


class ProcessStep(Strict):
    """One row of a process table (输入 | 工作流程 | 权责 | 重点说明 | 支持性文件 | 输出).

    A step with `branches` is a decision (diamond in the flowchart). Without `next` a step
    flows to the step below it; `next` sends any step elsewhere; `end: true` closes the flow.
    """

    id: Id
    label: Text | None = added_field(
        None, description="The step's own label (A, B, 1 …) where the table prints the "
        "company's labels (step_labels: given); the same label may stand on two rows.")
    name: Text
    input: str | builtins.list[Text] | None = Field(
        default=None, description="Text, or several lines; 【form:…】 and 【proc:…】 inside.")
    owners: builtins.list[Owner] = Field(
        default_factory=list,
        description="Role ids, or groups written in Chinese such as 各部门 or 相关部门.")
    key_points: str | None = None
    documents: builtins.list[Text] = Field(default_factory=list)
    outputs: builtins.list[Output] = Field(
        default_factory=list,
        description="Form codes of this set (QR-06-01) or text (客户订单, 【proc:QP-09】).")
    cells: dict[Id, Text] = added_field(
        default_factory=dict,
        description="Text of the table's own columns, by column (e.g. time_limit: 24小时内).")
    branches: builtins.list[Branch] = Field(default_factory=list)
    next: Id | None = None
    end: bool = False

    @model_validator(mode="after")
    def _one_way_out(self) -> ProcessStep:
        if self.branches and len(self.branches) < 2:
            raise ValueError(_("判断步骤至少要有两个分支"))
        if self.branches and (self.next or self.end):
            raise ValueError(_("判断步骤经由分支离开：请去掉 next/end"))
        if self.end and self.next:
            raise ValueError(_("结束步骤没有下一步"))
        return self


class StepLabels(StrEnum):
    """How the steps of a process table are labelled."""

    letters = "letters"  # A, B, C … by position (every row)
    given = "given"  # each step's own `label`; a step without one has none


BUILTIN_COLUMNS = ("label", "input", "flow", "owners", "key_points", "documents", "outputs")
"""What a built-in column shows: the step label, 输入, the step itself (工作流程), 权责, 重点说明,
支持性文件, 输出. Any other `show` names a column of the company's own, filled from `cells`."""

DEFAULT_COLUMNS = ("input", "flow", "owners", "key_points", "documents", "outputs")
"""The columns of a process table that does not name its own (the step label in `flow`)."""


class ProcessColumn(Strict):
    """One column of a process table: what it shows, its title, its relative width."""

    show: Id = Field(description="label, input, flow, owners, key_points, documents, outputs, "
                     "or the id of a column of your own that steps fill in `cells`.")
    title: Text | None = Field(
        default=None, description="Column title as printed; built-in columns have a default.")
    width: float | None = Field(
        default=None, gt=0, description="Relative width (e.g. 1, 3, 2); default from content.")

    @model_validator(mode="after")
    def _own_column_has_title(self) -> ProcessColumn:
        if self.show not in BUILTIN_COLUMNS and self.title is None:
            raise ValueError(_("{show} 不是内置列（{builtin}）：自定列须写 title").format(
                show=self.show, builtin=", ".join(BUILTIN_COLUMNS)))
        return self


ColumnItem = Annotated[
    Annotated[Id, Tag("<text>")] | Annotated[ProcessColumn, Tag("<mapping>")],
    Discriminator(text_or_mapping),
]
"""A column: a built-in name (input), or a mapping with show, title and width."""


def column_of(item: ProcessColumn | str) -> ProcessColumn:
    return ProcessColumn(show=item) if isinstance(item, str) else item


def check_columns(items: builtins.list[ProcessColumn | str]) -> builtins.list[ProcessColumn]:
    columns = [column_of(item) for item in items]
    shown = [c.show for c in columns]
    for key in shown:
        if shown.count(key) > 1:
            raise ValueError(_("列 {key} 列出了两次").format(key=key))
    if "flow" not in shown:
        raise ValueError(_("columns 须包含 flow（流程步骤本身所在的列）"))
    return columns


class ProcessContent(Strict):
    id: Id | None = None
    title: Text
    columns: builtins.list[ColumnItem] | None = added_field(
        None, description="The table's columns in order (default: input, flow, owners, "
        "key_points, documents, outputs, with the titles of the set).", min_length=1)
    step_labels: StepLabels | None = added_field(
        None, description="letters: A, B, C … on every row; given: each step's own label. "
        "Default: given when a step has a label, else letters.")
    steps: builtins.list[ProcessStep] = Field(min_length=2)

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: builtins.list[ProcessColumn | str] | None
                 ) -> builtins.list[ProcessColumn | str] | None:
        if value is not None:
            check_columns(value)
        return value

    @property
    def labels(self) -> StepLabels:
        if self.step_labels is not None:
            return self.step_labels
        return StepLabels.given if any(s.label for s in self.steps) else StepLabels.letters


class ProcessTable(Strict):
    process: ProcessContent


class Symbol(Strict):
    symbol: Text
    meaning: Text


class FormulaContent(Strict):
    """`name = expression`, or `name = numerator / denominator × multiplier` drawn as a fraction.

    A formula with an `id` (or `numbered: true`) is numbered (1), (2) … at the right margin, and
    text cites it as 【formula:id】 (another procedure's: 【formula:QP-09#id】).
    """

    id: Id | None = added_field(None, description="For 【formula:id】 references; numbers it.")
    numbered: bool | None = added_field(
        None, description="Number it (1), (2) at the right margin; default: when it has an id.")
    name: Text
    expression: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    multiplier: str | None = None
    where: list[Symbol] = Field(default_factory=list)

    @model_validator(mode="after")
    def _expression_or_fraction(self) -> FormulaContent:
        fraction = self.numerator is not None or self.denominator is not None
        if fraction and (self.numerator is None or self.denominator is None):
            raise ValueError(_("分式需要同时有分子 numerator 和分母 denominator"))
        if fraction == (self.expression is not None):
            raise ValueError(_("请给出 expression，或给出 numerator 和 denominator，二者取一"))
        return self


class Formula(Strict):
    formula: FormulaContent


class CheckboxContent(Strict):
    """A checkbox classification in the text: `□新产品开发 □超生产能力 □超技术要求`."""

    label: str | None = None
    options: list[Text] = Field(min_length=2)
    checked: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _checked_are_options(self) -> CheckboxContent:
        unknown = [c for c in self.checked if c not in self.options]
        if unknown:
            raise ValueError(_("勾选的 {checked} 不在选项 {options} 中").format(
                checked=unknown, options=self.options))
        return self


class CheckboxRow(Strict):
    checkboxes: CheckboxContent


class FigureContent(Strict):
    """A picture kept with the document (a flowchart drawn in Word, a sketch): a PNG or JPEG
    file of the set, its path relative to the set's folder (figures/QP-26-1.png)."""

    file: str = Field(min_length=1)
    caption: str | None = None
    width: float | None = Field(default=None, gt=0, le=100, description="Width in percent of "
                                "the text width; default: its own size, at most the width.")


class Figure(Strict):
    figure: FigureContent


_BLOCK_KEYS = ("list", "note", "table", "process", "formula", "checkboxes", "figure")


def _block_kind(value: Any) -> str | None:
    if isinstance(value, str | int | float | dt.date):  # a bare number or date: text as written
        return "<paragraph>"
    if isinstance(value, dict):
        for key in _BLOCK_KEYS:
            if key in value:
                return f"<{key}>"
        return None
    for kind, cls in _BLOCK_CLASSES.items():
        if isinstance(value, cls):
            return kind
    return None


Block = Annotated[
    Annotated[Text, Tag("<paragraph>")]
    | Annotated[ListBlock, Tag("<list>")]
    | Annotated[Note, Tag("<note>")]
    | Annotated[Table, Tag("<table>")]
    | Annotated[ProcessTable, Tag("<process>")]
    | Annotated[Formula, Tag("<formula>")]
    | Annotated[CheckboxRow, Tag("<checkboxes>")]
    | Annotated[Figure, Tag("<figure>")],
    Discriminator(
        _block_kind,
        custom_error_type="block_kind",
        custom_error_message=(
            "a block is a paragraph (text) or one of: " + ", ".join(_BLOCK_KEYS)
        ),
    ),
]
"""One piece of clause content. Tags in angle brackets never collide with YAML keys."""

_BLOCK_CLASSES: dict[str, type] = {
    "<list>": ListBlock,
    "<note>": Note,
    "<table>": Table,
    "<process>": ProcessTable,
    "<formula>": Formula,
    "<checkboxes>": CheckboxRow,
    "<figure>": Figure,
}


class Clause(Strict):
    """A numbered clause. A plain string in a clause list is a clause with text only."""

    id: Id | None = Field(default=None, description="Stable id, for 【clause:id】 references.")
    title: str | None = None
    text: str | None = None
    body: list[Block] = Field(default_factory=list)
    clauses: list[ClauseItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Clause:
        if not (self.title or self.text or self.body or self.clauses):
            raise ValueError(_("条款需要有标题 title、文字 text、正文 body 或下级条款"))
        return self


ClauseItem = Annotated[
    Annotated[Text, Tag("<text>")] | Annotated[Clause, Tag("<mapping>")],
    Discriminator(text_or_mapping),
]
"""A clause: plain text (a numbered paragraph) or a mapping with title, body, sub-clauses."""

ListItem.model_rebuild()
Clause.model_rebuild()


class TermClass(Strict):
    """One class of a classified term, e.g. A 类 致命缺陷 CR, with its examples."""

    label: str | None = added_field(None, description="e.g. A 类; printed before the name.")
    code: Text
    name: Text
    definition: Text
    examples: list[Text] = Field(default_factory=list)


class ClassesStyle(StrEnum):
    """How the classes of a term print."""

    table = "table"  # one table: 代号 | 类别 | 定义 | 示例
    list = "list"  # A 类：致命缺陷（CR） — definition, then the examples numbered 1) 2)


class Term(Strict):
    """A term and its definition; `body` carries more: paragraphs, lists, notes, a table."""

    term: Text
    en: str | None = None
    definition: Text | None = Field(default=None, description="The definition's first "
                                    "paragraph; a term needs a definition or a body.")
    body: list[Block] = added_field(default_factory=list,
                                    description="Further paragraphs, lists, notes, tables.")
    classes: list[TermClass] = Field(default_factory=list)
    classes_style: ClassesStyle = added_field(ClassesStyle.table)
    examples_list: ListStyle = added_field(
        ListStyle.numbered, description="Labels of a class's examples when classes_style: list.")

    @model_validator(mode="after")
    def _defined(self) -> Term:
        if self.definition is None and not self.body and not self.classes:
            raise ValueError(_("术语需要 definition、body 或 classes 中的至少一项"))
        return self


class Responsibility(Strict):
    role: Owner = Field(description="A role id, or a group that is no role written out (各部门, "
                        "其它部门): printed as written.")
    duties: list[Text] = Field(min_length=1)


class RelatedDocument(Strict):
    """Another procedure of this set (`procedure: QP-16`) or an outside document (title, code)."""

    procedure: Code | None = None
    title: str | None = None
    code: str | None = None
    note: str | None = Field(default=None, description="Printed after it in brackets, "
                             "e.g. 按顾客分别签订")

    @model_validator(mode="after")
    def _procedure_or_title(self) -> RelatedDocument:
        if (self.procedure is None) == (self.title is None):
            raise ValueError(_("请给出 procedure（本文件集的编号）或 title，二者取一"))
        return self


class RecordEntry(Strict):
    """A record this procedure produces. Custodian and retention default to the form's."""

    form: Code
    custodian: Id | None = None
    retention: str | None = None


class Attachment(Strict):
    title: Text
    form: Code | None = None
    process: Id | None = Field(default=None, description="Id of a process table: its flowchart.")
    note: str | None = None


class Procedure(Strict):
    """A procedure (程序文件): one YAML file under procedures/."""

    code: Code
    title: Text
    version: VersionLabel
    status: Status = Status.draft
    issue_date: dt.date | None = None
    effective_date: dt.date | None = None
    owner: Id = Field(description="Role id of the department that owns the procedure.")
    approval: Approval
    countersign: list[Id] = Field(default_factory=list)
    distribution: list[Id] = Field(default_factory=list)
    cover_omit: list[CoverRow] | None = added_field(
        None, description="Cover rows this document leaves out (next_review, copy_number, "
        "countersign, distribution), instead of the set's cover.omit.")
    review_interval_months: int | None = Field(default=None, ge=1, le=120)
    last_review: dt.date | None = None
    obsolete_date: dt.date | None = Field(default=None, description="Day it was withdrawn.")
    obsolete_reason: str | None = None
    revisions: list[Revision] = Field(default_factory=list)
    layout: Layout | None = added_field(
        None, description="This procedure's own top-level sections, in print order (replaces "
        "the set's layout), e.g. [purpose, scope: 范围, related: 参考文件, terms: 定义, "
        "responsibilities: 权责, procedure: 作业内容, safety: 安全事项, records: 表格].")
    numbering: NumberingSpec | None = added_field(
        None, description="This procedure's clause numbering (replaces the set's), e.g. "
        "[一、, 1.1, 1.1.1].")
    purpose: Text | None = Field(default=None, description="Required while the layout has it.")
    scope: Text | None = Field(default=None, description="Required while the layout has it.")
    terms: list[Term] = Field(default_factory=list)
    responsibilities: list[Responsibility] = Field(
        default_factory=list, description="Required while the layout has it.")
    procedure: list[ClauseItem] = Field(
        default_factory=list, description="Required while the layout has it.")
    sections: dict[Id, list[ClauseItem]] = added_field(
        default_factory=dict, description="Clauses of the company's own top-level sections, "
        "by their key in the layout (e.g. safety: [...]).")
    related: list[RelatedDocument] = Field(default_factory=list)
    records: list[RecordEntry] = Field(default_factory=list)
    attachments: list[Attachment] = Field(default_factory=list)
