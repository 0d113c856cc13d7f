"""Resolve stage output: the one `DocumentSet` every renderer reads.

References are bound, clause numbers and list labels computed, indexes built. A renderer never
re-derives any of this, so the .docx, the blank form and the site can never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from generator.errors import Problem
from generator.model import Form, Procedure, Role, Settings
from generator.model.layout import BUILTIN_SECTIONS, NumberingStyle
from generator.model.procedure import ClassesStyle, ListStyle, Status
from generator.numbering import Numbering

if TYPE_CHECKING:
    from generator.control.registers import Registers

_DEFAULT_NUMBERING = NumberingStyle.decimal

RefKind = Literal["form", "procedure", "role", "clause", "formula"]


@dataclass(frozen=True)
class Ref:
    """An inline reference, bound. `text` is how every output prints it: form and procedure
    `《title》code`, role its name, clause its number (`QP-15 5.2.1` across documents).
    """

    kind: RefKind
    target: str  # code, role id, or clause anchor owner code
    text: str
    code: str | None = None  # document the reference lands in (None for roles)
    title: str | None = None
    anchor: str | None = None  # clause or formula anchor in the target, e.g. "c5-2-1", "f1"


Inline = str | Ref
Rich = tuple[Inline, ...]


def plain(rich: Rich | None) -> str:
    """The text of a rich text as printed, references included."""
    if not rich:
        return ""
    return "".join(part if isinstance(part, str) else part.text for part in rich)


# --- blocks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paragraph:
    text: Rich


@dataclass(frozen=True)
class ListEntry:
    label: str  # "a)", "(1)", "①", "•"
    text: Rich
    sublist: ListR | None = None


@dataclass(frozen=True)
class ListR:
    style: ListStyle
    items: tuple[ListEntry, ...]


@dataclass(frozen=True)
class NoteR:
    text: Rich


@dataclass(frozen=True)
class TableR:
    caption: str | None
    columns: tuple[str, ...]
    rows: tuple[tuple[Rich, ...], ...]
    widths: tuple[float, ...] | None


@dataclass(frozen=True)
class FormulaR:
    name: str
    expression: str | None
    numerator: str | None
    denominator: str | None
    multiplier: str | None
    where: tuple[tuple[str, str], ...]
    label: str | None = None  # "(1)" at the right margin, for a numbered formula
    anchor: str | None = None  # "f1": bookmark and site anchor of a numbered formula

    @property
    def as_text(self) -> str:
        """The formula on one line: `A = B / C × 100%`."""
        if self.expression is not None:
            return f"{self.name} = {self.expression}"
        tail = f" {self.multiplier}" if self.multiplier else ""
        return f"{self.name} = {self.numerator} / {self.denominator}{tail}"


@dataclass(frozen=True)
class CheckboxesR:
    label: str | None
    options: tuple[tuple[str, bool], ...]  # (text, checked)


@dataclass(frozen=True)
class BranchR:
    label: str
    to: str  # step id
    to_label: str  # the target as printed: its label, or its name when it has none


@dataclass(frozen=True)
class ProcessColumnR:
    """One column of a process table. `title` None: the renderer's default title of a
    built-in column; `width` None: the renderer decides (relative widths otherwise)."""

    key: str  # label, input, flow, owners, key_points, documents, outputs, or the set's own
    title: str | None
    width: float | None


@dataclass(frozen=True)
class StepR:
    id: str
    label: str | None  # A, B, C … by position, the step's own label, or none
    name: Rich
    inputs: tuple[Rich, ...]
    owners: tuple[Role | str, ...]  # roles, and groups that are not roles (各部门) as text
    key_points: Rich | None
    documents: tuple[Rich, ...]
    outputs: tuple[Rich, ...]  # form references, procedure references, text
    cells: tuple[tuple[str, Rich], ...]  # the table's own columns: (column key, text)
    branches: tuple[BranchR, ...]
    next: str | None  # step id the flow continues to (None: end of the flow)
    next_label: str | None  # the next step as printed (label, or name without one)
    is_start: bool
    is_end: bool
    jumps: bool = False  # the flow goes on to a step other than the row below

    @property
    def is_decision(self) -> bool:
        return bool(self.branches)

    def cell(self, key: str) -> Rich | None:
        return next((text for k, text in self.cells if k == key), None)

    @property
    def roles(self) -> tuple[Role, ...]:
        """The owners that are roles of the set (groups such as 各部门 left out)."""
        return tuple(owner for owner in self.owners if isinstance(owner, Role))

    @property
    def owner_names(self) -> tuple[str, ...]:
        return tuple(o if isinstance(o, str) else o.name for o in self.owners)


@dataclass(frozen=True)
class ProcessR:
    id: str  # given id, or "<code>-process-<n>"
    title: str
    steps: tuple[StepR, ...]
    clause: str  # number label of the clause that holds the table
    columns: tuple[ProcessColumnR, ...] = ()
    columns_given: bool = False  # False: the six default columns with the set's titles

    @property
    def label_in_flow(self) -> bool:
        """The step label prints before the step name unless it has a column of its own."""
        return all(column.key != "label" for column in self.columns)


@dataclass(frozen=True)
class FigureR:
    """A picture of the set (figure block), read and checked by the resolver."""

    file: str  # as written, relative to the set
    data: bytes
    kind: str  # png, jpeg
    caption: str | None
    width: float | None  # percent of the text width


Block = Paragraph | ListR | NoteR | TableR | FormulaR | CheckboxesR | ProcessR | FigureR


@dataclass(frozen=True)
class ClauseR:
    numbers: tuple[int, ...]  # (5, 2, 1)
    label: str  # "5.2.1" (as the company's numbering style prints it)
    anchor: str  # "c5-2-1": stable id for links and bookmarks
    id: str | None
    title: Rich | None
    text: Rich | None
    blocks: tuple[Block, ...]
    children: tuple[ClauseR, ...]

    @property
    def depth(self) -> int:
        return len(self.numbers)

    def walk(self) -> list[ClauseR]:
        """This clause and every clause below it, in document order."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found


# --- documents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A top-level section, in the order and with the title of the document's layout: 1 目的,
    2 范围 … 5 工作程序 … 8 附件, or 三、参考文件. `key` is a built-in section (purpose, scope,
    terms, responsibilities, procedure, related, records, attachments) or one of the company's
    own, whose clauses are in `clauses`."""

    key: str
    number: int
    label: str  # "1", "1.0" or "一、"
    title: str  # 目的
    empty: bool = False  # nothing in it: print 无
    clauses: tuple[ClauseR, ...] = ()  # a section of the company's own

    @property
    def builtin(self) -> bool:
        return self.key in BUILTIN_SECTIONS


@dataclass(frozen=True)
class TermClassR:
    code: str
    name: str
    definition: Rich
    examples: tuple[Rich, ...]
    label: str | None = None  # A 类
    example_labels: tuple[str, ...] = ()  # 1) 2) … (classes printed as a list)

    @property
    def title(self) -> str:
        """A 类：致命缺陷 (the 类别 cell of the classes table)"""
        return f"{self.label}：{self.name}" if self.label else self.name

    @property
    def heading(self) -> str:
        """A 类：致命缺陷（CR）"""
        head = f"{self.name}（{self.code}）"
        return f"{self.label}：{head}" if self.label else head


@dataclass(frozen=True)
class TermR:
    label: str  # 3.1
    term: str
    en: str | None
    definition: Rich  # may be empty: the body says it
    classes: tuple[TermClassR, ...]
    body: tuple[Block, ...] = ()
    classes_style: ClassesStyle = ClassesStyle.table


@dataclass(frozen=True)
class ResponsibilityR:
    label: str  # 4.1
    role: Role | str  # a role, or a group that is no role as written (各部门)
    duties: tuple[Rich, ...]

    @property
    def name(self) -> str:
        return self.role if isinstance(self.role, str) else self.role.name


@dataclass(frozen=True)
class RelatedR:
    ref: Ref | None  # a procedure of this set
    title: str  # printed title
    code: str | None
    note: str | None = None

    @property
    def printed(self) -> str:
        """《title》code（note）, as every output prints it."""
        text = self.ref.text if self.ref is not None else f"《{self.title}》{self.code or ''}"
        return f"{text}（{self.note}）" if self.note else text


@dataclass(frozen=True)
class RecordR:
    form: Ref
    custodian: Role
    retention: str


@dataclass(frozen=True)
class AttachmentR:
    label: str  # 附件1
    title: str
    form: Ref | None
    process: ProcessR | None
    note: str | None


@dataclass(frozen=True)
class ProcedureDoc:
    """A procedure with everything bound and numbered."""

    model: Procedure
    source: Path
    code: str  # as printed, with the company prefix
    title: str
    version: str
    status: Status
    owner: Role
    countersign: tuple[Role, ...]
    distribution: tuple[Role, ...]
    review_interval_months: int
    next_review: dt.date | None
    sections: tuple[Section, ...]  # printed ones, in order
    purpose: Rich
    scope: Rich
    terms: tuple[TermR, ...]
    responsibilities: tuple[ResponsibilityR, ...]
    clauses: tuple[ClauseR, ...]
    related: tuple[RelatedR, ...]
    records: tuple[RecordR, ...]
    attachments: tuple[AttachmentR, ...]
    processes: tuple[ProcessR, ...]
    numbering: Numbering = field(default_factory=lambda: Numbering.of(_DEFAULT_NUMBERING))
    # printed numbers by position (they differ where a level counts on across its parents)
    printed: dict[tuple[int, ...], tuple[int, ...]] = field(default_factory=dict, hash=False)
    # What the resolver made it from (`inputs_of`); None for a document made otherwise.
    inputs: bytes | None = field(default=None, init=False, compare=False, repr=False)

    def reference(self, numbers: tuple[int, ...]) -> str:
        """How a reference prints the item at position `numbers` (3.1, 五（二）1, 第二章第六条)."""
        return self.numbering.reference(self.printed.get(numbers, numbers))

    def all_clauses(self) -> list[ClauseR]:
        """Every clause: the procedure section's, then those of the company's own sections."""
        found: list[ClauseR] = []
        for clause in self.clauses:
            found.extend(clause.walk())
        for section in self.sections:
            for clause in section.clauses:
                found.extend(clause.walk())
        return found

    def formulas(self) -> list[FormulaR]:
        """Every formula, in terms and clauses."""
        blocks = [b for t in self.terms for b in t.body]
        blocks += [b for c in self.all_clauses() for b in c.blocks]
        return [b for b in blocks if isinstance(b, FormulaR)]

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


@dataclass(frozen=True)
class FormDoc:
    model: Form
    source: Path
    code: str  # as printed, with the company prefix
    title: str
    version: str
    status: Status
    procedure: Ref
    custodian: Role
    retention: str
    # What the resolver made it from (`inputs_of`); None for a document made otherwise.
    inputs: bytes | None = field(default=None, init=False, compare=False, repr=False)


D = TypeVar("D", ProcedureDoc, FormDoc)


def inputs_of(doc: ProcedureDoc | FormDoc) -> bytes | None:
    """A digest of everything the resolver made `doc` from, or None when it is not known.

    The resolver sets it (`with_inputs`) from the document's file (its bytes, place and kind,
    and the generator: the load-cache key), the settings and roles, where the file is, and
    every value it looked up in other documents while resolving this one (the references as
    they print, the records' forms, pictures). A resolved document is a function of exactly
    these, so two documents with the same inputs are equal: a cache key can take this digest
    instead of the whole document (cachekeys). A copy made with `dataclasses.replace` has
    None (the field is not copied), so an altered document is never taken for the original.
    """
    return doc.inputs


def with_inputs(doc: D, inputs: bytes) -> D:
    object.__setattr__(doc, "inputs", inputs)  # set once, by the resolver that made it
    return doc


@dataclass(frozen=True)
class Duty:
    """One line of the responsibility matrix: role does `text` in procedure `code`."""

    procedure: str
    text: Rich


@dataclass
class DocumentSet:
    """The resolved document set: the single input of every renderer."""

    root: Path
    settings: Settings
    roles: dict[str, Role]
    procedures: dict[str, ProcedureDoc]  # by source code, sorted
    forms: dict[str, FormDoc]  # by source code, sorted
    warnings: list[Problem] = field(default_factory=list)
    # Codes of documents whose file failed to load (code → file): references to them are not
    # checked, since every one would be "unknown" and bury the cause.
    unread: dict[str, str] = field(default_factory=dict)
    # indexes
    forms_by_procedure: dict[str, list[str]] = field(default_factory=dict)
    duties_by_role: dict[str, list[Duty]] = field(default_factory=dict)
    forms_by_custodian: dict[str, list[str]] = field(default_factory=dict)
    procedures_by_owner: dict[str, list[str]] = field(default_factory=dict)
    referenced_by: dict[str, list[str]] = field(default_factory=dict)  # code → codes citing it
    # registers/ (copies, external documents, clause matrix); None until checked
    registers: Registers | None = None

    def current_procedures(self) -> list[ProcedureDoc]:
        """Procedures in use: everything but obsolete ones, in code order."""
        return [p for p in self.procedures.values() if p.status is not Status.obsolete]
