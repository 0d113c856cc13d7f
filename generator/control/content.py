"""Control stage: what counts as a document's content, and its fingerprint.

The fingerprint is a hash of the validated model dumped canonically, without the fields a
release itself changes (version, status, dates, approval, revision history, review fields) and
with whitespace normalised, so re-wrapping a folded YAML line is not a change but editing one
character of a clause is.

Units are the pieces a change is reported by: the cover, each numbered section or clause
(labelled with the number the resolve stage computed), a form's sections and sign-off row.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from generator.control.labels import UNIT_NAMES
from generator.docset import (
    Block,
    CheckboxesR,
    ClauseR,
    FigureR,
    FormDoc,
    FormulaR,
    ListR,
    NoteR,
    Paragraph,
    ProcedureDoc,
    ProcessR,
    TableR,
    plain,
)
from generator.load import Loc
from generator.model import Form, Procedure
from generator.model.common import is_added_field

CONTROL_FIELDS = frozenset({
    "version", "status", "issue_date", "effective_date", "approval", "revisions",
    "review_interval_months", "last_review", "obsolete_reason",
})
"""Fields a release, a review or an obsoletion writes: not part of the approved content."""

_SPACES = re.compile(r"\s+")
# A space next to a CJK character is an artefact of YAML line folding (`>-` joins lines with
# a space), never meaning: drop it so re-wrapping a paragraph changes nothing.
_CJK_SPACE = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")


def normalize_text(text: str) -> str:
    """Whitespace-insensitive form of a text: runs collapsed, spaces beside CJK dropped."""
    return _CJK_SPACE.sub("", _SPACES.sub(" ", text).strip())


def _normalize(value: Any) -> Any:
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return value


def _drop_added_defaults(value: Any, data: Any) -> Any:
    """`data` (the JSON dump of `value`) without fields added after 0.1 that hold their default.

    A field the model gained later is marked with `added_field()`; while a document leaves it at
    its default, the document's content is what it was before the field existed, so its
    fingerprint must be too (a released document's lock never breaks because the model grew).
    """
    if isinstance(value, BaseModel) and isinstance(data, dict):
        out: dict[str, Any] = {}
        for name, item in data.items():
            field = type(value).model_fields.get(name)
            attr = getattr(value, name, None)
            if field is not None and is_added_field(field) and attr == field.get_default(
                    call_default_factory=True):
                continue
            out[name] = _drop_added_defaults(attr, item)
        return out
    if isinstance(value, list | tuple) and isinstance(data, list):
        return [_drop_added_defaults(v, d) for v, d in zip(value, data, strict=False)]
    if isinstance(value, dict) and isinstance(data, dict):
        return {k: _drop_added_defaults(value.get(k), d) for k, d in data.items()}
    return data


def canonical_content(model: Procedure | Form) -> dict[str, Any]:
    """The approved content of a document as plain JSON data, control fields left out."""
    excluded = set(CONTROL_FIELDS & set(type(model).model_fields))
    data = model.model_dump(mode="json", exclude=excluded)
    data = _drop_added_defaults(model, data)
    data["kind"] = kind_of(model)
    normalized: dict[str, Any] = _normalize(data)
    return normalized


def fingerprint(model: Procedure | Form) -> str:
    """`sha256:<hex>` of the canonical content: equal exactly when the content is equal."""
    text = json.dumps(canonical_content(model), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def kind_of(model: Procedure | Form) -> str:
    return "procedure" if isinstance(model, Procedure) else "form"


# --- units -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One reportable piece of a document: `label` is what the user reads (5.2.1, 封面)."""

    label: str
    title: str
    text: str  # printed text, one line per paragraph, list item or table row
    loc: Loc  # where it starts in the source file (for file:line messages)

    @property
    def digest(self) -> str:
        """Short hash of the normalised unit; stored in the lock for the latest version."""
        body = normalize_text(self.title) + "\n" + normalize_text(self.text)
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:10]

    @property
    def heading(self) -> str:
        return f"{self.label} {self.title}".strip()


def units_of(doc: ProcedureDoc | FormDoc) -> list[Unit]:
    """The units of a resolved document, in document order, labelled as references print
    them in the document's own numbering."""
    if isinstance(doc, ProcedureDoc):
        return _procedure_units(doc)
    return _form_units(doc)


def _procedure_units(doc: ProcedureDoc) -> list[Unit]:
    units = [Unit(UNIT_NAMES["cover"], "", "\n".join([
        doc.title,
        doc.owner.name,
        " ".join(r.name for r in doc.countersign),
        " ".join(r.name for r in doc.distribution),
    ]), ("title",))]

    def label(*numbers: int) -> str:
        return doc.reference(numbers)

    for section in doc.sections:
        number = section.number
        if section.key == "purpose":
            units.append(Unit(label(number), section.title, plain(doc.purpose), ("purpose",)))
        elif section.key == "scope":
            units.append(Unit(label(number), section.title, plain(doc.scope), ("scope",)))
        elif section.key == "terms":
            for i, term in enumerate(doc.terms):
                lines = [f"{term.term} {term.en or ''}".strip(), plain(term.definition)]
                for block in term.body:
                    lines.extend(block_lines(block))
                for c in term.classes:
                    lines.append(f"{c.label + ' ' if c.label else ''}{c.code} {c.name} "
                                 f"{plain(c.definition)}")
                    lines.extend(plain(e) for e in c.examples)
                units.append(Unit(label(number, i + 1), term.term, "\n".join(lines),
                                  ("terms", i)))
        elif section.key == "responsibilities":
            for i, duty in enumerate(doc.responsibilities):
                units.append(Unit(label(number, i + 1), duty.name,
                                  "\n".join(plain(d) for d in duty.duties),
                                  ("responsibilities", i)))
        elif section.key == "procedure":
            for i, clause in enumerate(doc.clauses):
                _clause_units(clause, ("procedure", i), doc, units)
        elif not section.builtin:
            if section.empty:
                units.append(Unit(label(number), section.title, "", ("sections", section.key)))
            for i, clause in enumerate(section.clauses):
                _clause_units(clause, ("sections", section.key, i), doc, units)
        elif section.key == "related":
            lines = [" ".join(filter(None, [r.title, r.code, r.note])) for r in doc.related]
            units.append(Unit(label(number), section.title, "\n".join(lines), ("related",)))
        elif section.key == "records":
            lines = [f"{r.form.text} {r.custodian.name} {r.retention}" for r in doc.records]
            units.append(Unit(label(number), section.title, "\n".join(lines), ("records",)))
        elif section.key == "attachments":
            lines = [" ".join(filter(None, [a.label, a.title, a.form.text if a.form else None,
                                            a.process.title if a.process else None, a.note]))
                     for a in doc.attachments]
            units.append(Unit(label(number), section.title, "\n".join(lines),
                              ("attachments",)))
    return units


def _clause_units(clause: ClauseR, loc: Loc, doc: ProcedureDoc, out: list[Unit]) -> None:
    lines = [plain(clause.text)] if clause.text else []
    for block in clause.blocks:
        lines.extend(block_lines(block))
    out.append(Unit(doc.reference(clause.numbers), plain(clause.title),
                    "\n".join(lines), loc))
    for j, child in enumerate(clause.children):
        _clause_units(child, (*loc, "clauses", j), doc, out)


def block_lines(block: Block) -> list[str]:
    """A block as printed lines of text (what a reader compares between versions)."""
    if isinstance(block, Paragraph):
        return [plain(block.text)]
    if isinstance(block, ListR):
        lines = []
        for entry in block.items:
            lines.append(f"{entry.label} {plain(entry.text)}")
            if entry.sublist is not None:
                lines.extend("  " + line for line in block_lines(entry.sublist))
        return lines
    if isinstance(block, NoteR):
        return [plain(block.text)]
    if isinstance(block, TableR):
        lines = [block.caption] if block.caption else []
        lines.append(" | ".join(block.columns))
        lines.extend(" | ".join(plain(cell) for cell in row) for row in block.rows)
        return lines
    if isinstance(block, FormulaR):
        line = f"{block.as_text} {block.label}" if block.label else block.as_text
        return [line, *(f"{s} {m}" for s, m in block.where)]
    if isinstance(block, FigureR):  # a new picture is a change: its digest is content
        digest = hashlib.sha256(block.data).hexdigest()[:16]
        return [f"{block.caption or ''} [{block.file} {digest}]".strip()]
    if isinstance(block, CheckboxesR):
        boxes = " ".join(("☑" if checked else "□") + text for text, checked in block.options)
        return [f"{block.label or ''} {boxes}".strip()]
    if isinstance(block, ProcessR):
        lines = [block.title]
        if block.columns_given:
            lines.append(" | ".join(c.title or c.key for c in block.columns))
        for step in block.steps:
            cells = [
                step.label or "", plain(step.name), " ".join(plain(i) for i in step.inputs),
                " ".join(step.owner_names), plain(step.key_points),
                " ".join(plain(d) for d in step.documents),
                " ".join(plain(o) for o in step.outputs),
                " ".join(f"{b.label}→{b.to_label}" for b in step.branches),
                f"→{step.next_label}" if step.next_label and not step.branches else "",
                *(f"{key}: {plain(text)}" for key, text in step.cells),
            ]
            lines.append(" | ".join(cells))
        return lines
    return []


def _form_units(doc: FormDoc) -> list[Unit]:
    form = doc.model
    units = [Unit(UNIT_NAMES["cover"], "", "\n".join(filter(None, [
        form.title, doc.procedure.text, doc.custodian.name, doc.retention, form.copies,
        f"serial={form.serial} landscape={form.landscape}",
    ])), ("title",))]
    for s, section in enumerate(form.sections):
        lines = []
        for f in section.fields:
            extra = " ".join(filter(None, [
                f.type.value, "required" if f.required else "", "/".join(f.options),
                f.unit, f.hint,
                None if f.minimum is None else f"min={f.minimum}",
                None if f.maximum is None else f"max={f.maximum}",
            ]))
            lines.append(f"{f.label} [{f.id}] {extra}".strip())
        if section.table is not None:
            table = section.table
            lines.append(" | ".join(f"{c.label}[{c.id}]" + (f"({'/'.join(c.options)})"
                                                          if c.options else "")
                                    for c in table.columns))
            lines.append(f"rows={table.rows} numbered={table.numbered}")
        units.append(Unit(UNIT_NAMES["form_section"].format(n=s + 1), section.title or "",
                          "\n".join(lines), ("sections", s)))
    if form.instructions:
        units.append(Unit(UNIT_NAMES["instructions"], "", form.instructions, ("instructions",)))
    if form.signoff:
        units.append(Unit(UNIT_NAMES["signoff"], "", " ".join(
            f"{b.label}[{b.id}]" for b in form.signoff), ("signoff",)))
    return units
