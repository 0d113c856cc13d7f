"""Render stage (Word): the values the template's cover block, header and revision history show.

The template (templates/procedure.docx) decides where and how they appear; this module only
says what they are, from the resolved `ProcedureDoc`. templates/README.md lists every key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from generator.docset import DocumentSet, ProcedureDoc
from generator.model.common import Person
from generator.model.procedure import CoverRow, Status
from generator.model.role import Role, RoleKind
from generator.model.settings import Settings
from generator.render.docx import ooxml
from generator.render.docx.labels import DocxLabels, status_word

# Colours of the diagonal mark: grey for not-yet-effective, red for obsolete copies.
# Light enough that the text under the mark stays readable (LibreOffice ignores the opacity).
WATERMARK_COLORS = {Status.draft: "C8C8C8", Status.in_review: "C8C8C8",
                    Status.obsolete: "F4A0A0", Status.effective: "C8C8C8"}

# Keys a template must use: without them a document would not say what it is.
REQUIRED_PLACEHOLDERS = ("body", "code", "version", "title")

# Every placeholder a template may use (the keys of `cover_context`, plus `body`); a test keeps
# this list and the function in step, and templates/README.md documents each.
KNOWN_PLACEHOLDERS = (
    "body", "company", "company_en", "company_address", "document_class", "code", "version",
    "title", "status", "status_label", "watermark", "watermark_color", "stamp", "issue_date",
    "effective_date", "next_review", "review_interval_months", "owner", "author", "reviewer",
    "approver", "countersign", "countersign_row", "distribution", "distribution_row",
    "controlled_notice", "copy_number", "obsolete_reason", "obsolete_date", "revisions",
    "copy_holder", "copy_date", "stamp_color", "uncontrolled_notice",
    "document_control_office", "show",
)

STAMP_COLORS = {"controlled": "FF0000", "uncontrolled": "1F3A93"}


@dataclass(frozen=True)
class CopyMark:
    """An issued controlled copy (受控副本): its 分发编号, holder and day of issue."""

    number: str
    holder: str
    date: dt.date


def date_text(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _person(person: Person | None, roles: dict[str, Role]) -> dict[str, str]:
    """One signature: printed name, role id and name, date (the cover's label is its meaning)."""
    if person is None:
        return {"name": "", "date": "", "role": "", "role_name": ""}
    role = roles.get(person.role) if person.role else None
    return {"name": person.name, "date": date_text(person.date), "role": person.role or "",
            "role_name": role.name if role is not None else (person.role or "")}


def checkbox_row(roles: dict[str, Role], ticked: tuple[Role, ...],
                 units: list[str] | None = None) -> list[dict[str, Any]]:
    """☑/☐ over the units the set offers for the purpose (settings `cover.*_units`, in that
    order), by default the company's departments and top-level positions such as 总经理 in the
    order of roles.yaml, with the document's roles ticked. A ticked role outside them (销售部经理)
    appears too, so nothing the document names goes missing."""
    chosen = {r.id for r in ticked}
    if units is None:
        offered = [role for role in roles.values()
                   if role.kind is RoleKind.department or role.parent is None
                   or role.id in chosen]
    else:
        offered = [roles[u] for u in units if u in roles]
        offered += [role for role in roles.values() if role.id in chosen and role.id not in units]
    return [{"name": role.name, "checked": role.id in chosen,
             "box": ooxml.checkbox(role.id in chosen), "id": role.id} for role in offered]


def shown_rows(doc: ProcedureDoc, settings: Settings) -> dict[str, bool]:
    """Which optional cover rows the document prints (`show.next_review` … in the template)."""
    omit = doc.model.cover_omit if doc.model.cover_omit is not None else settings.cover.omit
    return {row.value: row not in omit for row in CoverRow}


def cover_context(doc: ProcedureDoc, docset: DocumentSet, labels: DocxLabels,
                  copy: CopyMark | None = None) -> dict[str, Any]:
    """Everything the template may print, by placeholder name (except `body`).

    Only an issued copy (`copy`) is controlled: it carries the red 受控 stamp and its number;
    every other file of an effective document is marked 非受控 (for reference only).
    """
    settings = docset.settings
    model = doc.model
    units = settings.cover
    countersign = checkbox_row(docset.roles, doc.countersign, units.countersign_units)
    distribution = checkbox_row(docset.roles, doc.distribution,
                                units.distribution_units or units.countersign_units)
    office = docset.roles.get(settings.document_control_office)
    revisions = [
        {"version": r.version, "clauses": r.clauses, "date": date_text(r.date),
         "summary": r.summary, "author": r.author, "reviewer": r.reviewer or "",
         "approver": r.approver or "", "remark": r.remark or ""}
        for r in model.revisions
    ] or [{"version": doc.version, "clauses": "", "date": "", "summary": labels.no_revisions,
           "author": "", "reviewer": "", "approver": "", "remark": ""}]
    return {
        "company": settings.company.name,
        "company_en": settings.company.name_en or "",
        "company_address": settings.company.address or "",
        "document_class": settings.document_class,
        "code": doc.code,
        "version": doc.version,
        "title": doc.title,
        "status": doc.status.value,
        "status_label": (labels.uncontrolled_status if copy is None and
                         doc.status is Status.effective else status_word(labels.status,
                                                                         doc.status)),
        "watermark": status_word(labels.watermark, doc.status),
        "watermark_color": WATERMARK_COLORS[doc.status],
        "stamp": (status_word(labels.stamp, doc.status) if copy is not None or
                  doc.status is not Status.effective else labels.uncontrolled_stamp),
        "stamp_color": STAMP_COLORS["controlled" if copy is not None else "uncontrolled"],
        "issue_date": date_text(model.issue_date),
        "effective_date": date_text(model.effective_date),
        "next_review": date_text(doc.next_review),
        "review_interval_months": doc.review_interval_months,
        "owner": doc.owner.name,
        "author": _person(model.approval.author, docset.roles),
        "reviewer": _person(model.approval.reviewer, docset.roles),
        "approver": _person(model.approval.approver, docset.roles),
        "countersign": countersign,
        "countersign_row": "　".join(f"{r['box']}{r['name']}" for r in countersign),
        "distribution": distribution,
        "distribution_row": "　".join(f"{r['box']}{r['name']}" for r in distribution),
        "controlled_notice": settings.controlled_notice,
        "document_control_office": office.name if office else settings.document_control_office,
        "show": shown_rows(doc, settings),
        "copy_number": copy.number if copy else "",
        "copy_holder": copy.holder if copy else "",
        "copy_date": date_text(copy.date) if copy else "",
        "uncontrolled_notice": labels.uncontrolled_notice,
        "obsolete_reason": model.obsolete_reason or "",
        "obsolete_date": date_text(model.obsolete_date),
        "revisions": revisions,
    }


def document_date(doc: ProcedureDoc) -> dt.date | None:
    """The date a document's properties carry: its own dates, never the clock."""
    model = doc.model
    candidates = [model.issue_date, model.effective_date,
                  *(r.date for r in model.revisions),
                  *(p.date for p in (model.approval.author, model.approval.reviewer,
                                     model.approval.approver) if p is not None)]
    dated = [d for d in candidates if d is not None]
    return model.issue_date or (max(dated) if dated else None)
