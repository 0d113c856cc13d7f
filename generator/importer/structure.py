"""Import stage, intermediate structure: what a Word document was found to hold.

Between reading (reader.py) and writing YAML (mapping.py) a document is described in the
words of a procedure or form as its company wrote it: numbered units with the number as
printed, blocks, cover data, revision rows. Nothing here knows YAML or the Wenkong model, so
the model can grow without touching the recogniser.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from generator.importer.reader import Picture


@dataclass
class TextBlock:
    text: str


@dataclass
class ListBlock:
    style: str  # lettered, numbered, parenthesised, circled, bullet
    items: list[str]


@dataclass
class NoteBlock:
    text: str


@dataclass
class TableBlock:
    rows: list[list[str]]  # first row: the header
    caption: str | None = None


@dataclass
class ProcessRow:
    cells: dict[str, str]  # column key (input, step, owners …) → text
    label: str | None  # step label as printed (A, B …), when the row has one


@dataclass
class ProcessBlock:
    columns: list[tuple[str, str]]  # (column key, title as printed), step label column apart
    rows: list[ProcessRow]
    title: str | None = None
    label_title: str | None = None  # title of a column holding the step labels (序号)
    label_at: int = 0  # its position among the columns


@dataclass
class FormulaBlock:
    name: str
    expression: str
    number: str | None = None  # (1) at the right margin


@dataclass
class FigureBlock:
    picture: Picture
    caption: str | None = None


@dataclass
class CheckboxBlock:
    label: str | None
    options: list[tuple[str, bool]]


Block = (TextBlock | ListBlock | NoteBlock | TableBlock | ProcessBlock | FormulaBlock
         | FigureBlock | CheckboxBlock)


@dataclass
class Unit:
    """A numbered section or clause, with its number exactly as printed."""

    number: str  # "1.0", "3.1", "一、", "（一）", "第一条"
    numbers: tuple[int, ...]  # values along the path: 一、 → (1,), 3.1 → (3, 1)
    kind: str  # decimal, decimal_zero, chinese, paren_chinese, chapter, article …
    title: str | None = None
    text: str | None = None
    blocks: list[Block] = field(default_factory=list)
    children: list[Unit] = field(default_factory=list)

    @property
    def depth(self) -> int:
        return len(self.numbers)

    def all_text(self) -> list[str]:
        """Its own text and its blocks' text (not its children's)."""
        out = [t for t in (self.text,) if t]
        for block in self.blocks:
            if isinstance(block, TextBlock | NoteBlock):
                out.append(block.text)
            elif isinstance(block, ListBlock):
                out.extend(block.items)
        return out


@dataclass
class Signature:
    name: str | None = None
    date: dt.date | None = None


@dataclass
class RevisionRow:
    version: str
    date: dt.date | None
    clauses: str | None
    summary: str
    author: str | None
    reviewer: str | None = None
    approver: str | None = None
    remark: str | None = None


@dataclass
class CoverData:
    company: str | None = None
    title: str | None = None
    code: str | None = None
    version: str | None = None
    status_text: str | None = None  # 受控状态 as printed
    author: Signature = field(default_factory=Signature)
    reviewer: Signature = field(default_factory=Signature)
    approver: Signature = field(default_factory=Signature)
    issue_date: dt.date | None = None
    effective_date: dt.date | None = None
    countersign: list[tuple[str, bool]] = field(default_factory=list)
    distribution: list[tuple[str, bool]] = field(default_factory=list)
    revisions: list[RevisionRow] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # cover labels as printed (文件编号 …)
    seen: set[str] = field(default_factory=set)  # cover rows the original has (会签, 分发编号 …)


@dataclass
class Guess:
    """Something the importer inferred rather than read: shown in the report and the YAML."""

    where: str  # "3.2" or "封面" …
    what: str


@dataclass
class ImportedProcedure:
    source: Path
    cover: CoverData
    sections: list[Unit]
    guesses: list[Guess] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)  # kept as plain text: what and why
    original_text: str = ""


@dataclass
class FormFieldFound:
    label: str
    kind: str  # text, long_text, date, choice, multi_choice, yes_no, number
    options: list[str] = field(default_factory=list)
    wide: bool = False


@dataclass
class FormSectionFound:
    title: str | None
    fields: list[FormFieldFound] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # a repeating table's columns
    rows: int = 0


@dataclass
class ImportedForm:
    source: Path
    cover: CoverData
    sections: list[FormSectionFound]
    signoff: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    guesses: list[Guess] = field(default_factory=list)
    original_text: str = ""


Imported = ImportedProcedure | ImportedForm
