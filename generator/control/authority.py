"""Control stage: approval authority (审批权限) — who may write, review and approve a document.

The rules are company settings (`approval_rules` in wenkong.yaml): the first rule whose kind
(procedure / form) and owner departments match a document applies. `validate` checks every
signature of every document in use; `release` refuses an approver or reviewer the rule does
not allow, naming the rule. No rules: anyone may sign (sets written before the rules work on).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.control.lock import _Sources
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import Problem
from generator.i18n import _
from generator.model.procedure import Status
from generator.model.registers import OWNER, ApprovalRule, DocumentKind

SIGNATURES = (("author", "write", "编写"), ("reviewer", "review", "审核"),
              ("approver", "approve", "批准"))
_MEANINGS = (_("编写"), _("审核"), _("批准"))  # so the catalogue holds the words of SIGNATURES
MEANING = {"author": "编写", "reviewer": "审核", "approver": "批准", "countersign": "会签"}
"""What each signature means, printed next to it on the cover and the site."""


@dataclass(frozen=True)
class Authority:
    index: int
    rule: ApprovalRule

    @property
    def label(self) -> str:
        name = f"（{self.rule.name}）" if self.rule.name else ""
        return f"wenkong.yaml approval_rules[{self.index}]{name}"


def owner_of(doc: ProcedureDoc | FormDoc, docset: DocumentSet) -> str:
    """Owner department of a document; a form's is its procedure's."""
    if isinstance(doc, ProcedureDoc):
        return doc.owner.id
    procedure = docset.procedures.get(doc.model.procedure)
    return procedure.owner.id if procedure is not None else doc.custodian.id


def rule_for(doc: ProcedureDoc | FormDoc, docset: DocumentSet) -> Authority | None:
    kind = DocumentKind.procedure if isinstance(doc, ProcedureDoc) else DocumentKind.form
    owner = owner_of(doc, docset)
    for index, rule in enumerate(docset.settings.approval_rules):
        if rule.documents is kind and (not rule.owners or owner in rule.owners):
            return Authority(index, rule)
    return None


def _within(role: str, ancestor: str, docset: DocumentSet) -> bool:
    seen: set[str] = set()
    current: str | None = role
    while current is not None and current not in seen:
        if current == ancestor:
            return True
        seen.add(current)
        found = docset.roles.get(current)
        current = found.parent if found is not None else None
    return False


def allowed(role: str | None, listed: list[str], owner: str, docset: DocumentSet) -> bool:
    if role is None:
        return False
    return role in listed or (OWNER in listed and _within(role, owner, docset))


def refusal(doc: ProcedureDoc | FormDoc, docset: DocumentSet, signature: str,
            role: str | None) -> str | None:
    """Why `role` may not sign as `signature` (author/reviewer/approver), or None if it may."""
    authority = rule_for(doc, docset)
    if authority is None:
        return None
    verb, word = next((v, w) for s, v, w in SIGNATURES if s == signature)
    listed: list[str] | None = getattr(authority.rule, verb)
    if listed is None:
        return None
    owner = owner_of(doc, docset)
    if allowed(role, listed, owner, docset):
        return None
    owner_name = docset.roles[owner].name if owner in docset.roles else owner
    names = [docset.roles[r].name if r in docset.roles else
             (_("主责部门（{owner}）及其岗位").format(owner=owner_name) if r == OWNER else r)
             for r in listed]
    who = docset.roles[role].name if role in docset.roles else (role or _("未写岗位"))
    kind = _("程序文件") if isinstance(doc, ProcedureDoc) else _("表单")
    return _("{who}（{role}）无权{meaning}{kind} {code}：按 {rule}，{meaning}须由 {allowed} 签署"
             ).format(who=who, role=role or _("无 role"), meaning=_(word), kind=kind,
                      code=doc.model.code, rule=authority.label, allowed="、".join(names))


def check_authority(docset: DocumentSet, problems: list[Problem]) -> None:
    """Hook called by resolve: every signature of a document in use against its rule."""
    if not docset.settings.approval_rules:
        return
    sources = _Sources(docset.root)
    documents: list[ProcedureDoc | FormDoc] = [*docset.procedures.values(),
                                               *docset.forms.values()]
    for doc in documents:
        if doc.status is Status.obsolete:
            continue  # signed under the rules of its day; kept for reference only
        if isinstance(doc, FormDoc) and doc.model.procedure in docset.unread:
            continue  # its owner comes from a procedure whose file failed to load
        for signature, _verb, _word in SIGNATURES:
            person = getattr(doc.model.approval, signature, None) if doc.model.approval else None
            if person is None:
                continue
            message = refusal(doc, docset, signature, person.role)
            if message is not None:
                problems.append(sources.problem(doc, ("approval", signature, "role"), message))
