"""Control stage: the registers (发放回收登记表, 外来文件清单, 条款对照表) read, checked, resolved.

`check_registers` is called by `load_document_set` once the documents are resolved: it reads
the register files of `registers/` (each optional: a set without them works as before), checks
them against the set with file:line problems, and attaches the resolved `Registers` to the
document set for the site and the commands. The rules:

- a controlled copy names a known document, a released version of it, a known holder, a date
  on or after that version's issue, a recall on or after the issue; copy numbers are unique;
- an external document is reviewed on or after it was received and implemented after review;
  a newer edition supersedes a known one; a procedure's related outside document (`related:`
  with `code`) is in the register and current (like a cited form or procedure);
- a clause id names a clause of a catalogue in scope (or a listed customer requirement).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel

from generator.control.lock import _Sources
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import Problem, Severity, SourceErrors, display_path
from generator.i18n import _
from generator.load import Loc, SourceFile, read_yaml, to_model
from generator.model.procedure import Status
from generator.model.registers import (
    Catalogue,
    ClauseRegister,
    DistributionRegister,
    ExternalDocument,
    ExternalRegister,
    IssuedCopy,
    WorkingCalendar,
)
from generator.model.role import Role
from generator.model.settings import Settings

DISTRIBUTION_FILE = "distribution.yaml"
EXTERNAL_FILE = "external.yaml"
CLAUSES_FILE = "clauses.yaml"
CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "standards"
CSR_PREFIX = "csr"

CopyState = Literal["in_use", "to_recall", "recalled"]


# --- resolved registers ----------------------------------------------------------------------


@dataclass(frozen=True)
class CopyR:
    """A controlled copy with its state: in use, to be recalled (a newer version or the
    document withdrawn), or recalled."""

    model: IssuedCopy
    number: str
    document: str  # source code
    title: str
    version: str
    holder: Role
    state: CopyState
    recall_from: dt.date | None  # issue of the version that replaced it (or withdrawal)
    recall_by: dt.date | None  # recall_from + settings.recall_days


@dataclass(frozen=True)
class ExternalR:
    model: ExternalDocument
    superseded_by: str | None  # id of the newer edition
    review_due: dt.date | None  # last day for the review (customer specifications)
    cited_by: tuple[str, ...]  # procedures whose related documents list it

    @property
    def current(self) -> bool:
        return self.superseded_by is None


@dataclass(frozen=True)
class ClauseR:
    id: str  # "9001:7.5.3", "csr:gm-bom"
    standard: str  # catalogue name or customer
    number: str
    title: str
    required: bool
    excluded: str | None  # reason
    documents: tuple[str, ...]  # effective procedures addressing it
    drafts: tuple[str, ...]  # procedures in draft or review that will


@dataclass
class Registers:
    distribution_file: str | None = None
    external_file: str | None = None
    clauses_file: str | None = None
    copies: list[CopyR] = field(default_factory=list)
    external: list[ExternalR] = field(default_factory=list)
    clauses: list[ClauseR] = field(default_factory=list)
    clauses_by_procedure: dict[str, list[str]] = field(default_factory=dict)
    copies_by_document: dict[str, list[CopyR]] = field(default_factory=dict)
    external_by_procedure: dict[str, list[str]] = field(default_factory=dict)

    @property
    def gaps(self) -> list[ClauseR]:
        """Clauses no effective procedure addresses (not excluded), required ones first."""
        open_ = [c for c in self.clauses if not c.documents and c.excluded is None]
        return sorted(open_, key=lambda c: not c.required)

    def copy(self, number: str) -> CopyR | None:
        return next((c for c in self.copies if c.number == number), None)


# --- working days ------------------------------------------------------------------------------


def is_working_day(day: dt.date, calendar: WorkingCalendar) -> bool:
    if day in calendar.workdays:
        return True
    return day.weekday() < 5 and day not in calendar.holidays


def add_working_days(start: dt.date, days: int, calendar: WorkingCalendar) -> dt.date:
    """The `days`-th working day after `start` (the day of receipt does not count)."""
    day = start
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date, calendar: WorkingCalendar) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day, calendar):
            count += 1
    return count


# --- reading --------------------------------------------------------------------------------


def registers_dir(docset: DocumentSet) -> Path:
    return docset.root / docset.settings.registers_dir


def _read(path: Path, root: Path, problems: list[Problem]) -> SourceFile | None:
    if not path.is_file():
        return None
    try:
        return read_yaml(path, display_path(path, root))
    except SourceErrors as exc:
        problems.extend(exc.problems)
        return None


_CATALOGUES: dict[str, Catalogue] = {}


def catalogues() -> dict[str, Catalogue]:
    """The clause catalogues shipped with Wenkong (generator/standards/*.yaml), by id."""
    if not _CATALOGUES:
        for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
            problems: list[Problem] = []
            found = to_model(read_yaml(path, path.name), Catalogue, problems)
            if found is None:  # shipped data: a broken file is a bug, said plainly
                raise SourceErrors(problems)
            _CATALOGUES[found.id] = found
    return _CATALOGUES


# --- the validate hook ----------------------------------------------------------------------


class _Checker:
    def __init__(self, docset: DocumentSet, problems: list[Problem]) -> None:
        self.docset = docset
        self.problems = problems
        self.sources = _Sources(docset.root)
        self.roles = docset.roles

    def error(self, source: SourceFile, loc: Loc, message: str) -> None:
        self.problems.append(source.problem(loc, message))

    def warn(self, source: SourceFile, loc: Loc, message: str) -> None:
        self.problems.append(source.problem(loc, message, Severity.warning))

    def role(self, source: SourceFile, loc: Loc, role_id: str, what: str) -> Role:
        found = self.roles.get(role_id)
        if found is None:
            known = "、".join(sorted(self.roles)[:8])
            self.error(source, loc, _("未知的{what} {role!r}：须是 roles.yaml 中的部门或岗位 id"
                                      "（如 {known} …）").format(what=what, role=role_id,
                                                               known=known))
            return Role(id=role_id, name=role_id)
        return found

    def document(self, code: str) -> ProcedureDoc | FormDoc | None:
        return self.docset.procedures.get(code) or self.docset.forms.get(code)


M = TypeVar("M", bound=BaseModel)


def _register(docset: DocumentSet, name: str, cls: type[M],
              problems: list[Problem]) -> tuple[SourceFile, M] | None:
    """One register file as its model; None when it is absent or has errors (reported)."""
    source = _read(registers_dir(docset) / name, docset.root, problems)
    loaded = to_model(source, cls, problems) if source is not None else None
    return (source, loaded) if source is not None and loaded is not None else None


def check_registers(docset: DocumentSet, problems: list[Problem]) -> None:
    """Hook called by resolve: read, check and attach the registers of the set."""
    checker = _Checker(docset, problems)
    registers = Registers()
    if found := _register(docset, DISTRIBUTION_FILE, DistributionRegister, problems):
        registers.distribution_file = found[0].display
        _copies(checker, *found, registers)
    if ext := _register(docset, EXTERNAL_FILE, ExternalRegister, problems):
        registers.external_file = ext[0].display
        _external(checker, *ext, registers)
    if clauses := _register(docset, CLAUSES_FILE, ClauseRegister, problems):
        registers.clauses_file = clauses[0].display
        _clauses(checker, *clauses, registers)
    docset.registers = registers


def copy_number(code: str, version: str, sequence: int) -> str:
    """分发编号: QP-01-B0-003 (document, version without separators, copy of that version)."""
    compact = "".join(ch for ch in version if ch.isalnum())
    return f"{code}-{compact}-{sequence:03d}"


def release_dates(doc: ProcedureDoc | FormDoc) -> dict[str, dt.date]:
    """Issue date of every released version, from the revision history."""
    return {r.version: r.date for r in doc.model.revisions}


def _copies(checker: _Checker, source: SourceFile, model: DistributionRegister,
            registers: Registers) -> None:
    docset = checker.docset
    seen: dict[str, int] = {}
    recall_days = docset.settings.recall_days
    for i, copy in enumerate(model.copies):
        loc: Loc = ("copies", i)
        if copy.number in seen:
            checker.error(source, (*loc, "number"), _(
                "分发编号 {number} 已在第 {n} 条登记过：每份受控副本的编号唯一").format(
                number=copy.number, n=seen[copy.number] + 1))
            continue
        seen[copy.number] = i
        holder = checker.role(source, (*loc, "holder"), copy.holder, _("持有部门"))
        doc = checker.document(copy.document)
        if doc is None and copy.document in docset.unread:
            continue  # its file failed to load: the reference cannot be checked
        if doc is None:
            known = "、".join(sorted(docset.procedures)[:8])
            checker.error(source, (*loc, "document"),
                          _("未知的文件 {code!r}；已知：{known} …").format(
                              code=copy.document, known=known))
            continue
        if isinstance(doc, ProcedureDoc) and doc.distribution and \
                copy.holder not in {r.id for r in doc.distribution}:
            checker.warn(source, (*loc, "holder"),
                         _("{holder} 不在 {code} 的发放范围（distribution）内").format(
                             holder=holder.name, code=copy.document))
        released = release_dates(doc)
        if copy.version not in released:
            checker.error(source, (*loc, "version"),
                          _("{code} 没有已发行的版本 {version}（修改履历中有：{released}）").format(
                              code=copy.document, version=copy.version,
                              released="、".join(released)))
            continue
        if copy.issued < released[copy.version]:
            checker.error(source, (*loc, "issued"),
                          _("发放日期 {issued} 早于 {code} {version} 的发行日期 {released}").format(
                              issued=copy.issued, code=copy.document, version=copy.version,
                              released=released[copy.version]))
        if copy.recalled is not None and copy.recalled.date < copy.issued:
            checker.error(source, (*loc, "recalled", "date"),
                          _("收回日期 {recalled} 早于发放日期 {issued}").format(
                              recalled=copy.recalled.date, issued=copy.issued))
        versions = list(released)
        later = versions[versions.index(copy.version) + 1:]
        recall_from: dt.date | None = released[later[0]] if later else None
        if doc.status is Status.obsolete and recall_from is None:
            recall_from = doc.model.obsolete_date or doc.model.issue_date
        state: CopyState = ("recalled" if copy.recalled is not None else
                            "to_recall" if recall_from is not None else "in_use")
        copy_r = CopyR(
            model=copy, number=copy.number, document=copy.document, title=doc.title,
            version=copy.version, holder=holder, state=state, recall_from=recall_from,
            recall_by=(recall_from + dt.timedelta(days=recall_days)
                       if recall_from is not None else None))
        registers.copies.append(copy_r)
        registers.copies_by_document.setdefault(copy.document, []).append(copy_r)


def _external(checker: _Checker, source: SourceFile, model: ExternalRegister,
              registers: Registers) -> None:
    docset = checker.docset
    settings = docset.settings
    by_id: dict[str, int] = {}
    for i, item in enumerate(model.documents):
        if item.id in by_id:
            checker.error(source, ("documents", i, "id"),
                          _("外来文件 id {id!r} 重复").format(id=item.id))
        by_id.setdefault(item.id, i)
    superseded_by: dict[str, str] = {}
    for i, item in enumerate(model.documents):
        loc: Loc = ("documents", i)
        if item.reviewed is not None:
            if item.reviewed.date < item.received:
                checker.error(source, (*loc, "reviewed", "date"),
                              _("评审日期 {reviewed} 早于接收日期 {received}：文件须先接收再评审"
                                ).format(reviewed=item.reviewed.date, received=item.received))
            if item.reviewed.role is not None:
                checker.role(source, (*loc, "reviewed", "role"), item.reviewed.role,
                             _("评审人岗位"))
        if item.implemented is not None:
            if item.reviewed is None:
                checker.error(source, (*loc, "implemented"),
                              _("尚未评审（reviewed）就登记了实施日期"))
            elif item.implemented < item.reviewed.date:
                checker.error(source, (*loc, "implemented"),
                              _("实施日期 {implemented} 早于评审日期 {reviewed}").format(
                                  implemented=item.implemented, reviewed=item.reviewed.date))
        if item.holder is not None:
            checker.role(source, (*loc, "holder"), item.holder, _("保管部门"))
        for k, code in enumerate(item.affects):
            if checker.document(code) is None and code not in checker.docset.unread:
                checker.error(source, (*loc, "affects", k),
                              _("未知的文件 {code!r}：affects 列出受影响的本公司文件编号").format(
                                  code=code))
        if item.supersedes is not None:
            if item.supersedes == item.id:
                checker.error(source, (*loc, "supersedes"), _("外来文件不能替代它自己"))
            elif item.supersedes not in by_id:
                checker.error(source, (*loc, "supersedes"),
                              _("未知的外来文件 {id!r}；已知：{known}").format(
                                  id=item.supersedes, known="、".join(sorted(by_id)[:8])))
            elif item.supersedes in superseded_by:
                checker.error(source, (*loc, "supersedes"),
                              _("{old} 已被 {new} 替代").format(
                                  old=item.supersedes, new=superseded_by[item.supersedes]))
            else:
                superseded_by[item.supersedes] = item.id
                old = model.documents[by_id[item.supersedes]]
                if old.received > item.received:
                    checker.error(source, (*loc, "received"),
                                  _("新版本的接收日期 {received} 早于被替代版本 {number} 的 "
                                    "{old}").format(received=item.received, number=old.number,
                                                    old=old.received))
    # procedures' related outside documents, bound by number like a form or procedure code
    numbers: dict[str, ExternalDocument] = {}
    for item in model.documents:
        if item.number not in numbers or item.id not in superseded_by:
            numbers[item.number] = item
    cited: dict[str, set[str]] = {}
    for code, doc in docset.procedures.items():
        if doc.status is Status.obsolete:
            continue
        for i, related in enumerate(doc.model.related):
            if related.procedure is not None or not related.code:
                continue
            found = numbers.get(related.code)
            if found is None:
                known = "、".join(sorted(numbers)[:6])
                checker.problems.append(checker.sources.problem(
                    doc, ("related", i, "code"),
                    _("外来文件 {code!r} 未登记在 {file}（已登记：{known} …）：先登记，或改正编号"
                      ).format(code=related.code, file=source.display, known=known),
                    Severity.error if doc.status is Status.effective
                    else Severity.warning))
                continue
            if found.id in superseded_by:
                newer = model.documents[by_id[superseded_by[found.id]]]
                checker.problems.append(checker.sources.problem(
                    doc, ("related", i, "code"),
                    _("{code} 已被 {newer}（{edition}）替代：引用现行版本").format(
                        code=related.code, newer=newer.number,
                        edition=newer.edition or newer.title),
                    Severity.error if doc.status is Status.effective else Severity.warning))
            cited.setdefault(found.id, set()).add(code)
            registers.external_by_procedure.setdefault(code, []).append(found.id)
    rule = settings.external_review
    for item in model.documents:
        due = (add_working_days(item.received, rule.working_days, settings.calendar)
               if item.kind.value in rule.kinds else None)
        registers.external.append(ExternalR(
            model=item, superseded_by=superseded_by.get(item.id), review_due=due,
            cited_by=tuple(sorted(cited.get(item.id, ())))))


def _clauses(checker: _Checker, source: SourceFile, model: ClauseRegister,
             registers: Registers) -> None:
    docset = checker.docset
    shipped = catalogues()
    in_scope: list[Catalogue] = []
    for i, standard in enumerate(model.standards):
        if standard not in shipped:
            checker.error(source, ("standards", i), _("未知的标准 {id!r}；Wenkong 带有：{known}"
                                                      ).format(id=standard,
                                                               known="、".join(sorted(shipped))))
        else:
            in_scope.append(shipped[standard])
    known: dict[str, tuple[str, str, str, bool]] = {}  # id → standard, number, title, required
    for catalogue in in_scope:
        for clause in catalogue.clauses:
            known[f"{catalogue.prefix}:{clause.number}"] = (
                catalogue.name, clause.number, clause.title, clause.required)
    for i, csr in enumerate(model.customer_specific):
        key = f"{CSR_PREFIX}:{csr.id}"
        if key in known:
            checker.error(source, ("customer_specific", i, "id"),
                          _("顾客特定要求 id {id!r} 重复").format(id=csr.id))
        known[key] = (csr.customer, csr.id, csr.title, csr.required)

    def check_id(clause_id: str, loc: Loc) -> bool:
        if clause_id in known:
            return True
        prefix, _colon, number = clause_id.partition(":")
        prefixes = {c.prefix: c.name for c in in_scope}
        if not number:
            checker.error(source, loc, _("条款 {clause!r} 的写法是 标准:条款号，如 9001:7.5.3、"
                                         "16949:7.5.3.2.2 或 {csr}:顾客要求id").format(
                                             clause=clause_id, csr=CSR_PREFIX))
        elif prefix == CSR_PREFIX:
            checker.error(source, loc, _("未登记的顾客特定要求 {id!r}：先在 customer_specific "
                                         "中列出").format(id=number))
        elif prefix not in prefixes:
            checker.error(source, loc, _("标准 {prefix!r} 不在 standards 范围内（可用前缀："
                                         "{known}）").format(prefix=prefix,
                                                  known="、".join(sorted(prefixes))))
        else:
            close = sorted(k.partition(":")[2] for k in known
                           if k.startswith(prefix + ":") and k.partition(":")[2].startswith(
                               number.rsplit(".", 1)[0]))
            checker.error(source, loc, _("{standard} 没有条款 {number}").format(
                standard=prefixes[prefix], number=number)
                + (_("（相近：{close}）").format(close="、".join(close[:6])) if close else ""))
        return False

    required = {k for k, v in known.items() if v[3]}
    for i, extra in enumerate(model.required):
        if check_id(extra, ("required", i)):
            required.add(extra)
    excluded: dict[str, str] = {}
    for i, item in enumerate(model.excluded):
        if check_id(item.clause, ("excluded", i, "clause")):
            excluded[item.clause] = item.reason
    effective: dict[str, list[str]] = {}
    drafts: dict[str, list[str]] = {}
    for code, ids in model.procedures.items():
        loc: Loc = ("procedures", code)
        doc = docset.procedures.get(code)
        if doc is None and code in docset.unread:
            continue
        if doc is None:
            checker.error(source, loc, _("未知的程序文件 {code!r}；已知：{known} …").format(
                code=code, known="、".join(sorted(docset.procedures)[:8])))
            continue
        listed: list[str] = []
        for k, clause_id in enumerate(ids):
            if clause_id in listed:
                checker.warn(source, (*loc, k), _("{clause} 列了两次").format(clause=clause_id))
                continue
            if not check_id(clause_id, (*loc, k)):
                continue
            listed.append(clause_id)
            if clause_id in excluded:
                checker.warn(source, (*loc, k), _("{clause} 已列为不适用（excluded），却又有文件"
                                                  "对应").format(clause=clause_id))
            if doc.status is Status.effective:
                effective.setdefault(clause_id, []).append(code)
            elif doc.status is not Status.obsolete:
                drafts.setdefault(clause_id, []).append(code)
        registers.clauses_by_procedure[code] = listed
    for code, doc in docset.procedures.items():
        if doc.status is Status.effective and code not in model.procedures:
            checker.warn(source, ("procedures",),
                         _("{code}《{title}》没有对应任何条款：在 procedures 下列出它覆盖的条款"
                           ).format(code=code, title=doc.title))
    for key, (standard, number, title, _required) in known.items():
        registers.clauses.append(ClauseR(
            id=key, standard=standard, number=number, title=title,
            required=key in required and key not in excluded, excluded=excluded.get(key),
            documents=tuple(sorted(effective.get(key, ()))),
            drafts=tuple(sorted(drafts.get(key, ())))))


def sorted_copies(copies: Iterable[CopyR]) -> list[CopyR]:
    return sorted(copies, key=lambda c: (c.document, c.number))


# --- what is due -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalDue:
    item: ExternalR
    what: Literal["review", "implementation"]
    deadline: dt.date
    days: int  # working days overdue (> 0)


def recalls_overdue(registers: Registers, as_of: dt.date) -> list[CopyR]:
    """Copies still out after the recall period of the version that replaced them."""
    return [c for c in registers.copies if c.state == "to_recall" and c.recall_by is not None
            and c.recall_by < as_of]


def external_overdue(registers: Registers, as_of: dt.date,
                     settings: Settings) -> list[ExternalDue]:
    """Current external documents whose review (or implementation) is past its limit."""
    calendar = settings.calendar
    limit = settings.external_review.implement_days
    found = []
    for item in registers.external:
        if not item.current:
            continue
        if item.model.reviewed is None and item.review_due is not None \
                and item.review_due < as_of:
            found.append(ExternalDue(item, "review", item.review_due,
                                     working_days_between(item.review_due, as_of, calendar)))
        elif item.model.reviewed is not None and item.model.implemented is None \
                and limit is not None and item.model.affects:
            deadline = add_working_days(item.model.reviewed.date, limit, calendar)
            if deadline < as_of:
                found.append(ExternalDue(item, "implementation", deadline,
                                         working_days_between(deadline, as_of, calendar)))
    return found
