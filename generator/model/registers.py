"""Model stage: the registers an auditor samples besides the documents themselves.

Each register is a YAML file in the set's `registers/` folder (settings: `registers_dir`), kept
in git like everything else and checked by `validate`:

- `distribution.yaml` 文件发放回收登记表: numbered controlled copies, their holders and recall;
- `external.yaml` 外来文件清单: standards, regulations, customer specifications and drawings;
- `clauses.yaml` 条款对照表: which procedure addresses which clause of ISO 9001 / IATF 16949.

Approval authority and the working-day calendar are company settings (wenkong.yaml): the
models for those parts of the settings live here too, next to the rules they feed.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from generator.i18n import _
from generator.model.common import Code, Id, Strict, Text

# --- settings parts ---------------------------------------------------------------------------


class DocumentKind(StrEnum):
    procedure = "procedure"
    form = "form"


OWNER = "owner"
"""In an approval rule, the document's owner department and every position under it."""


class ApprovalRule(Strict):
    """Who may write (编写), review (审核) and approve (批准) one kind of document.

    The first rule whose `documents` and `owners` match a document applies. A list names role
    ids; `owner` stands for the document's owner department and the positions under it. A
    list left out does not restrict that signature.
    """

    name: str | None = Field(default=None, description="Name shown in messages, e.g. 程序文件.")
    documents: DocumentKind
    owners: list[Id] = Field(
        default_factory=list,
        description="Owner departments this rule covers (a form's owner is its procedure's). "
        "Empty: every document of the kind.")
    write: list[Id] | None = None
    review: list[Id] | None = None
    approve: list[Id] | None = None


class WorkingCalendar(Strict):
    """Working days (工作日): Monday to Friday, without holidays, plus make-up days (调休上班)."""

    holidays: list[dt.date] = Field(default_factory=list, description="法定节假日 on weekdays.")
    workdays: list[dt.date] = Field(
        default_factory=list, description="Weekend days worked instead (调休上班).")


class ExternalReviewRule(Strict):
    """IATF 16949 7.5.3.2.2: customer engineering specifications reviewed in time."""

    working_days: int = Field(default=10, ge=1, le=120)
    kinds: list[str] = Field(
        default_factory=lambda: ["customer_spec"],
        description="Kinds of external document the time limit applies to.")
    implement_days: int | None = Field(
        default=None, ge=1, le=365,
        description="Working days from review to implementation (None: no limit).")


# --- distribution register ------------------------------------------------------------------


class RecallWay(StrEnum):
    returned = "returned"  # 收回
    destroyed = "destroyed"  # 销毁


class Recall(Strict):
    date: dt.date
    by: Text = Field(description="Who took the copy back (签收人).")
    how: RecallWay = RecallWay.returned


class IssuedCopy(Strict):
    """One numbered controlled copy (受控副本) handed to a holder."""

    number: Text = Field(description="分发编号, e.g. QP-01-B0-003.")
    document: Code
    version: Text
    holder: Id = Field(description="Role id of the department or position holding the copy.")
    issued: dt.date
    issued_by: Text | None = None
    received_by: str | None = Field(default=None, description="签收人")
    recalled: Recall | None = None


class DistributionRegister(Strict):
    """registers/distribution.yaml (文件发放回收登记表). Written by `wenkong issue` / `recall`."""

    copies: list[IssuedCopy] = Field(default_factory=list)


# --- external documents ---------------------------------------------------------------------


class ExternalKind(StrEnum):
    standard = "standard"  # 标准
    regulation = "regulation"  # 法律法规
    customer_spec = "customer_spec"  # 顾客工程规范
    drawing = "drawing"  # 图纸
    other = "other"


class ExternalReview(Strict):
    date: dt.date
    name: Text
    role: Id | None = None


class ExternalDocument(Strict):
    """One document of external origin (外来文件)."""

    id: Id
    number: Text = Field(description="Its own number, as procedures cite it: GB/T 19001-2016.")
    title: Text
    kind: ExternalKind
    source: Text = Field(description="Customer, standards body or authority.")
    edition: Text | None = None
    received: dt.date
    reviewed: ExternalReview | None = None
    implemented: dt.date | None = None
    holder: Id | None = Field(default=None, description="Role keeping the document.")
    affects: list[Code] = Field(
        default_factory=list, description="Internal documents the review found affected.")
    supersedes: Id | None = Field(default=None, description="Id of the edition this replaces.")
    note: str | None = None


class ExternalRegister(Strict):
    """registers/external.yaml (外来文件清单)."""

    documents: list[ExternalDocument] = Field(default_factory=list)


# --- clause matrix ----------------------------------------------------------------------------


class Exclusion(Strict):
    clause: Text
    reason: Text


class CustomerRequirement(Strict):
    """A customer-specific requirement (CSR, IATF 16949 7.5.1.1 / 4.3.2)."""

    id: Id
    customer: Text
    title: Text
    required: bool = True


class ClauseRegister(Strict):
    """registers/clauses.yaml (条款对照表): clauses each procedure addresses.

    Kept outside the procedures so that mapping a released procedure to a clause is not a
    change of its approved content (no new version, the lock's fingerprint stays).
    """

    standards: list[Id] = Field(
        min_length=1, description="Catalogues in scope: iso9001, iatf16949.")
    required: list[Text] = Field(
        default_factory=list, description="Clauses the company also requires a document for.")
    excluded: list[Exclusion] = Field(
        default_factory=list, description="Clauses not applicable, with the reason (ISO 4.3).")
    customer_specific: list[CustomerRequirement] = Field(default_factory=list)
    procedures: dict[Code, list[Text]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _unique_standards(self) -> ClauseRegister:
        if len(set(self.standards)) != len(self.standards):
            raise ValueError(_("同一标准列出了两次"))
        return self


# --- shipped clause catalogue -------------------------------------------------------------


class CatalogueClause(Strict):
    number: Text
    title: Text
    required: bool = False


class Catalogue(Strict):
    """A standard's clause numbers with short titles in Wenkong's own words."""

    id: Id
    name: Text
    prefix: Text
    clauses: list[CatalogueClause] = Field(min_length=1)
