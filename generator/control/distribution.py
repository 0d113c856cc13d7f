"""Control stage: issue numbered controlled copies (文件发放) and record their recall (回收).

`issue` renders each copy (the procedure's .docx with the 受控 stamp, its 分发编号, holder and
date on every page, and its PDF), then records the copies in registers/distribution.yaml.
Everything is prepared first — documents rendered, PDFs converted, the register edited and
checked in a scratch copy of the set — and only then written: a refused or failed command
leaves the register and the copies folder as they were.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from generator.control.registers import (
    DISTRIBUTION_FILE,
    CopyR,
    Registers,
    copy_number,
    registers_dir,
)
from generator.control.release import YamlEditor, one_at_a_time, replace_together, verify_in_copy
from generator.docset import DocumentSet, ProcedureDoc
from generator.errors import UsageError, display_path
from generator.i18n import _
from generator.model.procedure import Status
from generator.model.registers import RecallWay

COPIES_DIR = "copies"
_HEADER = (
    "# yaml-language-server: $schema=../schemas/distribution.schema.json\n"
    "# 文件发放回收登记表：每份受控副本一行。\n"
    "# 由 `wenkong issue` 发放、`wenkong recall` 收回时写入。\n"
    "copies:\n"
)  # a new register; `wenkong issue` appends to an existing one, keeping its comments


@dataclass(frozen=True)
class IssuedFile:
    number: str
    holder: str
    docx: Path
    pdf: Path | None


@dataclass(frozen=True)
class IssueResult:
    code: str
    version: str
    register: Path
    files: list[IssuedFile]


def _load(root: Path) -> DocumentSet:
    from generator.resolve import load_document_set

    # The full check, lock included: a copy of a document with an unreleased edit would put
    # unapproved text into a controlled copy.
    return load_document_set(root)


def _registers(docset: DocumentSet) -> Registers:
    return docset.registers or Registers()


def _procedure(docset: DocumentSet, code: str) -> ProcedureDoc:
    doc = docset.procedures.get(code)
    if doc is None:
        known = sorted(docset.procedures)
        close = difflib.get_close_matches(code, known, n=3, cutoff=0.5)
        raise UsageError(_("未知的程序文件 {code!r}；{hint}").format(code=code, hint=_hint(
            close, known)))
    if doc.status is not Status.effective:
        raise UsageError(_("{code} 的状态是 {status}：只有生效（effective）的文件可以发放受控副本"
                           ).format(code=code, status=doc.status.value))
    return doc


def _hint(close: list[str], known: list[str]) -> str:
    if close:
        return _("是否想找 {close}？").format(close="、".join(close))
    return _("已知：{known}").format(known="、".join(known[:12]))


def _holder(docset: DocumentSet, doc: ProcedureDoc, unit: str) -> str:
    if unit not in docset.roles:
        known = sorted(docset.roles)
        close = difflib.get_close_matches(unit, known, n=3, cutoff=0.5)
        raise UsageError(_("--to：未知的部门或岗位 {unit!r}；{hint}").format(
            unit=unit, hint=_hint(close, known)))
    listed = {r.id for r in doc.distribution}
    if listed and unit not in listed:
        names = "、".join(r.name for r in doc.distribution)
        raise UsageError(_("{name}（{unit}）不在 {code} 的发放范围内（{listed}）：先按文件更改"
                           "流程修改发放范围").format(name=docset.roles[unit].name, unit=unit,
                                                   code=doc.model.code, listed=names))
    return docset.roles[unit].name


def _register_text(path: Path, root: Path, entries: list[CommentedMap],
                   recalls: dict[str, CommentedMap]) -> bytes:
    """The register with `entries` appended and `recalls` set, comments and layout kept."""
    if not path.is_file():
        engine = YAML()
        engine.indent(mapping=2, sequence=4, offset=2)
        buffer = io.StringIO()
        engine.dump(CommentedSeq(entries), buffer)
        return (_HEADER + buffer.getvalue()).encode("utf-8")
    editor = YamlEditor(path, display_path(path, root))
    if not isinstance(editor.data, CommentedMap) or "copies" not in editor.data:
        raise UsageError(_("{file}：缺少 copies: 列表").format(file=editor.display))
    if editor.data["copies"] is None:
        editor.data["copies"] = CommentedSeq()
    copies = editor.data["copies"]
    copies.extend(entries)
    for entry in copies:
        if isinstance(entry, CommentedMap) and str(entry.get("number")) in recalls:
            entry["recalled"] = recalls[str(entry["number"])]
    return editor.text().encode("utf-8")


def _entry(values: dict[str, object]) -> CommentedMap:
    entry = CommentedMap()
    for key, value in values.items():
        if value is not None:
            entry[key] = value
    return entry


@one_at_a_time
def issue(root: Path, code: str, *, to: list[str], copies: int = 1,
          date: dt.date | None = None, issued_by: str | None = None,
          output: Path | None = None, pdf: bool = True) -> IssueResult:
    """Issue `copies` numbered controlled copies of procedure `code` to each unit in `to`."""
    from generator.render.docx.cover import CopyMark
    from generator.render.docx.procedure import find_template, load_template, render_procedure
    from generator.render.docx.procedure import output_name as docx_name

    root = Path(root).resolve()
    if copies < 1 or copies > 99:
        raise UsageError(_("--copies 须在 1 到 99 之间"))
    if not to:
        raise UsageError(_("说明发给谁：--to 部门或岗位 id（可重复）"))
    docset = _load(root)
    doc = _procedure(docset, code)
    day = date or dt.date.today()
    released = {r.version: r.date for r in doc.model.revisions}
    if doc.version in released and day < released[doc.version]:
        raise UsageError(_("发放日期 {day} 早于 {code} {version} 的发行日期 {released}").format(
            day=day, code=code, version=doc.version, released=released[doc.version]))
    holders = [(unit, _holder(docset, doc, unit)) for unit in to]
    registers = _registers(docset)
    prefix = copy_number(code, doc.version, 0)[:-3]
    used = [int(c.number[len(prefix):]) for c in registers.copies
            if c.number.startswith(prefix) and c.number[len(prefix):].isdigit()]
    sequence = max(used, default=0)
    template = load_template(find_template(docset), docset.root)
    stem = Path(docx_name(doc)).stem
    planned: list[tuple[str, str, str, bytes]] = []  # number, unit, holder name, docx bytes
    for unit, name in holders:
        for _copy in range(copies):
            sequence += 1
            number = copy_number(code, doc.version, sequence)
            data = render_procedure(doc, docset, template, CopyMark(number, name, day))
            planned.append((number, unit, name, data))

    register = registers_dir(docset) / DISTRIBUTION_FILE
    text = _register_text(register, root, [_entry({
        "number": number, "document": code, "version": doc.version, "holder": unit,
        "issued": day, "issued_by": issued_by}) for number, unit, _name, _data in planned], {})
    verify_in_copy(docset, {register: text})

    target = (output or root / COPIES_DIR).resolve()
    staging = Path(tempfile.mkdtemp(prefix="wenkong-issue-"))
    try:
        staged: list[tuple[str, str, Path, Path | None]] = []
        for number, _unit, name, data in planned:
            path = staging / f"{number}_{stem.split('_', 1)[-1]}.docx"
            path.write_bytes(data)
            staged.append((number, name, path, None))
        if pdf:
            from generator.render.docx.pagefit import fit_flowcharts
            from generator.render.pdf import convert_to_pdf

            pdfs = convert_to_pdf([s[2] for s in staged], staging / "pdf")
            # a flowchart kept on its table's page, as in `wenkong build --pdf`
            fit_flowcharts([(s[2], p) for s, p in zip(staged, pdfs, strict=True)],
                           docset.settings.flowcharts.min_text_points)
            staged = [(n, h, d, p) for (n, h, d, _none), p in zip(staged, pdfs, strict=True)]
        register.parent.mkdir(parents=True, exist_ok=True)
        target.mkdir(parents=True, exist_ok=True)
        clash = [f.name for _n, _h, d, p in staged for f in (d, p) if f is not None
                 and (target / f.name).exists()]
        if clash:
            raise UsageError(_("{folder} 中已有同名文件：{files}；分发编号不会重复使用，"
                               "请检查登记表").format(folder=target, files="、".join(clash[:4])))
        replace_together({register: text})
        files = []
        for number, name, docx_path, pdf_path in staged:
            final_docx = target / docx_path.name
            shutil.move(str(docx_path), final_docx)
            final_pdf = None
            if pdf_path is not None:
                final_pdf = target / pdf_path.name
                shutil.move(str(pdf_path), final_pdf)
            files.append(IssuedFile(number, name, final_docx, final_pdf))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return IssueResult(code=code, version=doc.version, register=register, files=files)


@dataclass(frozen=True)
class RecallResult:
    register: Path
    numbers: list[str]


@one_at_a_time
def recall(root: Path, numbers: list[str], *, by: str, how: RecallWay = RecallWay.returned,
           date: dt.date | None = None) -> RecallResult:
    """Record copies as returned or destroyed (收回 / 销毁) on `date` by `by`."""
    from generator.resolve import load_document_set

    root = Path(root).resolve()
    if not numbers:
        raise UsageError(_("给出要收回的分发编号，如 wenkong recall QP-01-A2-001 --by 林晓雯"))
    if not by.strip():
        raise UsageError(_("说明谁收回的：--by 姓名"))
    docset = load_document_set(root, check_lock=False)
    registers = _registers(docset)
    day = date or dt.date.today()
    found: list[CopyR] = []
    for number in numbers:
        copy = registers.copy(number)
        if copy is None:
            known = [c.number for c in registers.copies]
            close = difflib.get_close_matches(number, known, n=3, cutoff=0.6)
            raise UsageError(_("分发编号 {number} 从未发放（不在登记表中）").format(number=number)
                             + (_("；是否想找 {close}？").format(close="、".join(close))
                                if close else ""))
        if copy.model.recalled is not None:
            raise UsageError(_("{number} 已于 {date} 由 {by} 收回").format(
                number=number, date=copy.model.recalled.date, by=copy.model.recalled.by))
        if day < copy.model.issued:
            raise UsageError(_("收回日期 {day} 早于 {number} 的发放日期 {issued}").format(
                day=day, number=number, issued=copy.model.issued))
        if copy in found:
            raise UsageError(_("{number} 写了两次").format(number=number))
        found.append(copy)
    register = registers_dir(docset) / DISTRIBUTION_FILE
    recalls = {c.number: _entry({"date": day, "by": by.strip(), "how": how.value})
               for c in found}
    text = _register_text(register, root, [], recalls)
    verify_in_copy(docset, {register: text})
    replace_together({register: text})
    return RecallResult(register=register, numbers=[c.number for c in found])


def recall_list(docset: DocumentSet) -> list[CopyR]:
    """Copies to call back: their version was replaced, or the document withdrawn."""
    return [c for c in _registers(docset).copies if c.state == "to_recall"]
