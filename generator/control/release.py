"""Control stage: release, obsolete and review a document by editing its YAML in place.

The YAML is edited with ruamel.yaml round-trip so the user's comments, key order, quoting and
flow mappings survive; only the lines a release changes differ. A file the tool cannot
round-trip exactly (anchors, an unusual indentation) is refused before anything is written.
The source file and wenkong.lock are checked together in a scratch copy of the set, then
replaced together; if the second replacement fails the first is rolled back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import functools
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import ScalarString

from generator.cache import set_cache
from generator.control import labels
from generator.control.content import fingerprint, units_of
from generator.control.lock import (
    LOCK_FILE,
    LockedDocument,
    LockedObsolete,
    LockedVersion,
    LockFile,
    changed_units,
    control_issues,
    dump_lock,
    lock_path,
    read_lock,
    read_lock_text,
    units_record,
)
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import Severity, SourceErrors, UsageError, display_path
from generator.i18n import _
from generator.load import parse_yaml, to_model
from generator.model import Form, Procedure
from generator.model.procedure import Status
from generator.versions import VersionError, next_version, parse_version

# --- people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """ROLE/NAME from the command line: gm/陈立峰."""

    role: str
    name: str

    def __str__(self) -> str:
        return f"{self.role}/{self.name}"


def parse_signer(text: str, docset: DocumentSet, option: str) -> Signer:
    role, _slash, name = text.partition("/")
    role, name = role.strip(), name.strip()
    known = sorted(docset.roles)
    if not role or not name:
        raise UsageError(_("{option} 要写成 部门或岗位/姓名，例如 {option} gm/陈立峰（部门与岗位："
                           "{roles}）").format(option=option, roles=", ".join(known[:10])
                                              + (" …" if len(known) > 10 else "")))
    if role not in docset.roles:
        close = difflib.get_close_matches(role, known, n=3, cutoff=0.5)
        hint = (_("是不是 {close}？").format(close=", ".join(close)) if close
                else _("已有：{known}").format(known=", ".join(known[:10])))
        raise UsageError(_("{option}：没有部门或岗位 {role!r}；{hint}").format(
            option=option, role=role, hint=hint))
    return Signer(role, name)


# --- round-trip editing ----------------------------------------------------------------------


class YamlEditor:
    """One source file loaded for round-trip editing; refuses files it cannot keep as they are."""

    _INDENTS = ((2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 0), (2, 2, 2))

    def __init__(self, path: Path, display: str) -> None:
        self.path = path
        self.display = display
        self.original = path.read_bytes()
        try:
            text = self.original.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(_("{display} 不是 UTF-8 文本").format(display=display)) from None
        self._refuse_anchors(text)
        for mapping, sequence, offset in self._INDENTS:
            engine = YAML()
            engine.preserve_quotes = True
            engine.width = 4096
            engine.indent(mapping=mapping, sequence=sequence, offset=offset)
            # The same date object set in several places must not become &id001 / *id001.
            engine.representer.ignore_aliases = lambda *_: True
            data = engine.load(text)
            if self._dump(engine, data) == text:
                self.engine, self.data = engine, data
                return
        raise UsageError(_(
            "{file}：无法在不改变其排版的情况下修改这个文件（它的缩进方式无法原样保留）。"
            "请像 wenkong new 生成的文件那样，映射缩进 2 个空格，列表项在其键下写成“  - ”，"
            "然后重试").format(file=display))

    def _refuse_anchors(self, text: str) -> None:
        try:
            for event in yaml.parse(text, Loader=yaml.SafeLoader):
                anchor = getattr(event, "anchor", None)
                if anchor is not None:
                    line = event.start_mark.line + 1 if event.start_mark else 1
                    raise UsageError(_(
                        "{file}:{line}：使用了 YAML 锚点或别名（&{anchor} / *{anchor}）；"
                        "发布无法安全地修改这样的文件（改一处会改动所有引用该锚点的地方）。"
                        "请把这些值完整写出").format(file=self.display, line=line,
                                                    anchor=anchor))
        except yaml.YAMLError as exc:
            raise UsageError(_("{display}：不是有效的 YAML（{error}）").format(
                display=self.display, error=exc)) from None

    @staticmethod
    def _dump(engine: YAML, data: Any) -> str:
        buffer = io.StringIO()
        engine.dump(data, buffer)
        return buffer.getvalue()

    def text(self) -> str:
        return self._dump(self.engine, self.data)

    @staticmethod
    def _like(old: Any, new: Any) -> Any:
        # Keep the user's quoting: "A/0" stays quoted when it becomes "A/1".
        if isinstance(old, ScalarString) and isinstance(new, str):
            return type(old)(new)
        return new

    @staticmethod
    def put(mapping: CommentedMap, key: str, value: Any, after: tuple[str, ...] = ()) -> None:
        """Set `key`; a new key goes right after the last of `after` present, else at the end."""
        if key in mapping:
            mapping[key] = YamlEditor._like(mapping[key], value)
            return
        keys = list(mapping.keys())
        anchors = [keys.index(k) for k in after if k in keys]
        position = max(anchors) + 1 if anchors else len(keys)
        mapping.insert(position, key, value)

    @staticmethod
    def before(mapping: CommentedMap, key: str, value: Any, following: tuple[str, ...]) -> None:
        """Insert a new `key` before the first of `following` present, else at the end."""
        keys = list(mapping.keys())
        spots = [keys.index(k) for k in following if k in keys]
        mapping.insert(min(spots) if spots else len(keys), key, value)


def _person(signer_name: str, role: str | None, date: dt.date, flow: bool) -> CommentedMap:
    person = CommentedMap()
    person["name"] = signer_name
    if role:
        person["role"] = role
    person["date"] = date
    if flow:
        person.fa.set_flow_style()
    return person


def _is_flow(node: Any) -> bool:
    return isinstance(node, CommentedMap | CommentedSeq) and node.fa.flow_style()


# --- writing two files together --------------------------------------------------------------


def replace_together(files: Mapping[Path, bytes]) -> None:
    """Replace every file, or none: all temporary files first, then renames with roll-back."""
    originals = {path: path.read_bytes() if path.exists() else None for path in files}
    temporary: dict[Path, Path] = {}
    done: list[Path] = []
    try:
        for path, data in files.items():
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temporary[path] = Path(name)
            # mkstemp makes the file private (0600): keep the mode the user's file had.
            os.chmod(name, path.stat().st_mode & 0o7777 if path.exists() else 0o644)
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for path, staged in temporary.items():
            os.replace(staged, path)
            done.append(path)
    except BaseException:
        for path in done:
            before = originals[path]
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(before)
        for staged in temporary.values():
            staged.unlink(missing_ok=True)
        raise


def verify_in_copy(docset: DocumentSet, files: Mapping[Path, bytes],
                   tolerated: frozenset[str] = frozenset()) -> None:
    """Load the set with `files` replaced, in a scratch copy; raise its errors if any.

    Nothing in the real folder is touched until the result is known to validate. `tolerated`
    are problems the set already had and this command does not touch (another document's
    pending, unreleased edit): a command must not make the set worse, nor wait for others.
    """
    from generator.resolve import SETTINGS_FILE, load_document_set

    root = docset.root
    settings = docset.settings
    scratch = Path(tempfile.mkdtemp(prefix="wenkong-check-"))
    try:
        for name in (SETTINGS_FILE, settings.roles_file, LOCK_FILE):
            if (root / name).is_file():
                (scratch / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / name, scratch / name)
        for folder in (settings.procedures_dir, settings.forms_dir, settings.registers_dir):
            if (root / folder).is_dir():
                shutil.copytree(root / folder, scratch / folder)
        for path, data in files.items():
            target = scratch / path.resolve().relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        try:
            load_document_set(scratch, cache=set_cache(root))  # the set's: same files
        except SourceErrors as exc:
            remaining = [p for p in exc.errors if str(p) not in tolerated]
            if remaining:
                raise SourceErrors(remaining) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# --- one command at a time ------------------------------------------------------------------

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def exclusive(root: Path) -> Iterator[None]:
    """Hold the set's folder while a command edits it: two releases at once would each write a
    lock without the other's entry. (Advisory lock on the folder; none where unsupported.)"""
    try:
        import fcntl
    except ImportError:  # not on this platform: nothing to hold
        yield
        return
    handle = os.open(root, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(_("另一个 wenkong 命令正在修改 {root}；等它结束后再运行本命令").format(
                root=root)) from None
        yield
    finally:
        os.close(handle)  # closing releases the lock


def one_at_a_time(command: Callable[Concatenate[Path, P], R]) -> Callable[Concatenate[Path, P], R]:
    def held(root: Path, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with exclusive(Path(root).resolve()):
            return command(root, *args, **kwargs)

    functools.update_wrapper(held, command)
    return held


# --- release ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseResult:
    code: str
    version: str
    previous: str | None
    date: dt.date
    clauses: str
    source: Path
    lock: Path
    tag: str | None = None  # with --commit: the git tag of the release
    in_git: bool = True  # False: nothing keeps the released source for a rebuild


def find_document(docset: DocumentSet, code: str) -> ProcedureDoc | FormDoc:
    found = docset.procedures.get(code) or docset.forms.get(code)
    if found is None:
        known = sorted([*docset.procedures, *docset.forms])
        close = difflib.get_close_matches(code, known, n=3, cutoff=0.5)
        hint = (_("是不是 {close}？").format(close=", ".join(close)) if close
                else _("已有：{known}").format(known=", ".join(known[:12])))
        raise UsageError(_("没有文件 {code!r}；{hint}").format(code=code, hint=hint))
    return found


def _load_for_control(root: Path) -> tuple[DocumentSet, LockFile | None, Any]:
    from generator.resolve import load_document_set

    lock, lock_source = read_lock(root)
    docset = load_document_set(root, check_lock=False)
    return docset, lock, lock_source


def verify_closure(root: Path, paths: list[str], files: Mapping[Path, bytes], lock: LockFile,
                   tolerated: frozenset[str]) -> None:
    """`verify_in_copy` for one document's closure (generator/control/subset.py): the closure's
    files, with `files` replaced, resolve and pass the lock checks against `lock`."""
    from generator.control.subset import working_settings
    from generator.resolve import SETTINGS_FILE, load_document_set

    settings = working_settings(root)
    scratch = Path(tempfile.mkdtemp(prefix="wenkong-check-"))
    try:
        for name in (SETTINGS_FILE, settings.roles_file if settings else None, *paths):
            if name and (root / name).is_file():
                (scratch / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(root / name, scratch / name)
        for path, data in files.items():
            target = scratch / path.resolve().relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        docset = load_document_set(scratch, check_lock=False, only=paths)
        # Lock entries of documents outside the closure are looked up in the real folder.
        problems = [i.problem for i in control_issues(docset, lock, sources_root=root,
                                                    cache=set_cache(root))
                    if str(i.problem) not in tolerated]
        if problems:
            raise SourceErrors(problems)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _block_on_issues(docset: DocumentSet, lock: LockFile | None, lock_source: Any,
                     code: str, *, own_change: bool) -> frozenset[str]:
    """Stop when the set's document control is inconsistent; return the tolerated problems.

    A broken lock or history always stops a command. Unreleased edits of *other* documents
    are someone else's work in progress: tolerated (and returned, so the check after the
    edit tolerates them too). The document's own unreleased edit is what a release releases
    (`own_change`); it stops an obsoletion or a review.
    """
    issues = control_issues(docset, lock, lock_source)
    blocking = [i.problem for i in issues
                if i.kind != "changed" or (i.code == code and not own_change)]
    if blocking:
        raise SourceErrors(blocking)
    return frozenset(str(i.problem) for i in issues if i.kind == "changed" and i.code != code)


def clauses_changed(docset: DocumentSet, doc: ProcedureDoc | FormDoc,
                    previous: LockedVersion | None, major: bool) -> str:
    """The revision history's 修改章节: changed units by number, or 全文."""
    if previous is None or major or not previous.units:
        return labels.WHOLE_DOCUMENT
    changes = changed_units(previous.unit_pairs(), units_of(doc))
    parts = []
    for kind, unit in changes:
        if kind == "changed" and not isinstance(unit, str) and unit is not None:
            parts.append(unit.label)
        elif kind == "added" and not isinstance(unit, str) and unit is not None:
            parts.append(f"{unit.label}（{labels.ADDED}）")
        elif kind == "removed":
            parts.append(f"{unit}（{labels.REMOVED}）")
    return labels.CLAUSE_SEPARATOR.join(parts) or labels.WHOLE_DOCUMENT


@one_at_a_time
def release(
    root: Path,
    code: str,
    *,
    summary: str,
    approved_by: str,
    major: bool = False,
    reviewed_by: str | None = None,
    author: str | None = None,
    date: dt.date | None = None,
    effective_date: dt.date | None = None,
    commit: bool = False,
    remark: str | None = None,
) -> ReleaseResult:
    """Release `code` as its next version: edit its YAML and record the release in the lock.

    With `commit`, the two files are committed to git and the commit is tagged CODE/VERSION
    (QP-01/A-1), the release mark an auditor can find in the repository.
    """
    root = root.resolve()
    summary = " ".join(summary.split())
    if not summary:
        raise UsageError(_('发布需要 --summary "…"：写明修改了什么，记入修改履历'))
    # The document and what it cites, not the whole set (generator/control/subset.py): the
    # checks below and the check of the result cover that closure.
    from generator.control.subset import working_subset

    lock, lock_source, lock_data = read_lock_text(root)
    docset, closure = working_subset(root, code)
    doc = find_document(docset, code)
    model = doc.model
    scheme = docset.settings.version_scheme
    if model.status is Status.obsolete:
        raise UsageError(_("{code} 已作废。替代文件用新编号；要恢复这份文件，把状态改为 draft，"
                           "修改后再发布").format(code=code))
    tolerated = _block_on_issues(docset, lock, lock_source, code, own_change=True)
    entry = lock.documents.get(code) if lock else None
    if entry is None and model.revisions:
        raise UsageError(_(
            "{code} 已有修改履历（{version}），但 {lock} 中没有它的发布记录：请先用 "
            "wenkong lock --adopt 登记使用文控系统之前的发布，再发布").format(
                code=code, version=model.revisions[-1].version, lock=LOCK_FILE))
    content = fingerprint(model)
    previous = entry.latest if entry else None
    if previous is not None and previous.fingerprint == content and entry is not None \
            and entry.obsolete is None:
        raise UsageError(_("没有可发布的内容：{code} 与其 {date} 发布的 {version} 相同").format(
            code=code, version=previous.version, date=previous.date))
    new_version = next_version(previous.version if previous else None, scheme, major=major)
    try:
        if parse_version(model.version, scheme) > parse_version(new_version, scheme):
            raise UsageError(_(
                "{code} 写的版本是 {version}，但 {previous} 之后的下一个版本是 {next}："
                "版本不能跳号或倒退（换版请用 --major：{major}）").format(
                    code=code, version=model.version,
                    previous=previous.version if previous else _("（无）"), next=new_version,
                    major=next_version(previous.version if previous else None, scheme,
                                       major=True)))
    except VersionError as exc:
        raise UsageError(str(exc)) from None
    day = date or dt.date.today()
    if previous is not None and day < previous.date:
        raise UsageError(_("发布日期 {day} 早于上一次发布 {version}（{date}）").format(
            day=day, version=previous.version, date=previous.date))
    takes_effect = effective_date or day
    if takes_effect < day:
        raise UsageError(_("实施日期 {effective} 早于发行日期 {day}").format(
            effective=takes_effect, day=day))
    approver = parse_signer(approved_by, docset, "--approved-by")
    reviewer = parse_signer(reviewed_by, docset, "--reviewed-by") if reviewed_by else None
    from generator.control.authority import refusal

    for signature, signer in (("approver", approver), ("reviewer", reviewer)):
        refused = refusal(doc, docset, signature, signer.role) if signer else None
        if refused:
            raise UsageError(refused)
    current_author = model.approval.author.name if model.approval else None
    author_name = (author or current_author or "").strip()
    if not author_name:
        raise UsageError(_("{code} 没有写编写人（approval.author）：请加 --author 姓名").format(
            code=code))
    clauses = clauses_changed(docset, doc, previous, major)
    if commit:
        _check_can_commit(root, code, new_version)

    display = display_path(doc.source, root)
    editor = YamlEditor(doc.source, display)
    data = editor.data
    editor.put(data, "version", new_version, after=("title",))
    editor.put(data, "status", Status.effective.value, after=("version",))
    editor.put(data, "issue_date", day, after=("status",))
    editor.put(data, "effective_date", takes_effect, after=("issue_date",))
    approval = data.get("approval")
    if approval is None:
        approval = CommentedMap()
        approval["author"] = _person(author_name, None, day, False)
        editor.put(data, "approval", approval, after=("effective_date", "retention", "copies"))
    flow = _is_flow(approval.get("author"))
    old_reviewer = approval.get("reviewer")
    if author:
        old = approval.get("author")
        role = old.get("role") if isinstance(old, Mapping) else None
        # A new author signs today, unless an earlier reviewer's signature stays (the order
        # author → reviewer → approver must hold on the cover).
        signs_today = reviewer is not None or not isinstance(old_reviewer, Mapping)
        person = _person(author_name, role, day, flow)
        if not signs_today:
            del person["date"]
        editor.put(approval, "author", person)
    if reviewer is not None:
        editor.put(approval, "reviewer", _person(reviewer.name, reviewer.role, day, flow),
                   after=("author",))
    editor.put(approval, "approver", _person(approver.name, approver.role, day, flow),
               after=("author", "reviewer"))
    if "last_review" in data:  # a release is a review: restart the review clock
        data["last_review"] = day
    if "obsolete_reason" in data:  # a retired document released again is valid again
        del data["obsolete_reason"]
    reviewer_name = reviewer.name if reviewer else (
        old_reviewer.get("name") if isinstance(old_reviewer, Mapping) else None)
    row = CommentedMap()
    row["version"] = new_version
    row["date"] = day
    row["clauses"] = clauses
    row["summary"] = summary
    row["author"] = author_name
    if reviewer_name:
        row["reviewer"] = reviewer_name
    row["approver"] = approver.name
    if remark and remark.strip():  # e.g. the change request (文件更改申请单) number
        row["remark"] = " ".join(remark.split())
    revisions = data.get("revisions")
    if revisions is None:
        revisions = CommentedSeq()
        following = ("purpose", "scope") if isinstance(model, Procedure) else (
            "instructions", "sections")
        editor.before(data, "revisions", revisions, following)
    if revisions and _is_flow(revisions[-1]):
        row.fa.set_flow_style()
    if revisions and str(revisions[-1].get("version")) == new_version and (
            entry is None or entry.get(new_version) is None):
        revisions[-1] = row  # a row the author wrote ahead of the release: the release's wins
    else:
        revisions.append(row)
    new_text = editor.text()
    _check_edit(new_text, doc.source, display, type(model), content, new_version)

    released = LockedVersion(
        version=new_version, date=day, summary=summary, clauses=clauses, author=author_name,
        reviewed_by=str(reviewer) if reviewer else reviewer_name,
        approved_by=str(approver), fingerprint=content,
        units=units_record(units_of(doc)),
    )
    new_lock = LockFile()
    if lock is not None:  # the other entries are shared, not copied: only this one changes
        new_lock = lock.model_copy(update={"documents": dict(lock.documents)})
    if entry is None:
        new_entry = LockedDocument(kind="procedure" if isinstance(model, Procedure) else "form",
                                   source=display, versions=[released])
    else:
        new_entry = entry.model_copy(deep=True)
        for old_version in new_entry.versions:
            old_version.units = None  # unit digests are kept for the latest release only
        new_entry.versions.append(released)
        new_entry.obsolete = None
        new_entry.source = display
    new_lock.documents[code] = new_entry
    new_lock.documents = dict(sorted(new_lock.documents.items()))
    previous_lock = (lock, lock_data) if lock is not None and lock_data is not None else None
    files = {doc.source: new_text.encode("utf-8"),
             lock_path(root): dump_lock(new_lock, previous_lock, root)}
    if closure is not None:
        verify_closure(root, closure, files, new_lock, tolerated)
    else:  # the whole set was loaded (the closure did not resolve alone)
        verify_in_copy(docset, files, tolerated)
    replace_together(files)
    tag = None
    if commit:
        tag = _commit_release(root, code, new_version, summary, str(approver), list(files))
    from generator.control.history import repo_of

    return ReleaseResult(code=code, version=new_version,
                         previous=previous.version if previous else None, date=day,
                         clauses=clauses, source=doc.source, lock=lock_path(root), tag=tag,
                         in_git=repo_of(root) is not None)


def _check_can_commit(root: Path, code: str, version: str) -> None:
    from generator.control.history import git, release_tag, repo_of, tagged_commit

    if repo_of(root) is None:
        raise UsageError(_("--commit：{root} 不在 git 仓库中").format(root=root))
    tag = release_tag(code, version)
    if tagged_commit(root, tag) is not None:
        raise UsageError(_("--commit：标签 {tag} 已存在；一个发布版本只打一次标签").format(
            tag=tag))
    git(root, "var", "GIT_COMMITTER_IDENT")  # fails early when git has no user.name/email


def _commit_release(root: Path, code: str, version: str, summary: str, approver: str,
                    paths: list[Path]) -> str:
    from generator.control.history import GitError, git, release_tag

    tag = release_tag(code, version)
    names = [str(p) for p in paths]
    try:
        git(root, "add", "--", *names)
        git(root, "commit", "-q", "-m", f"{code} {version}: {summary}", "--", *names)
        git(root, "tag", "-a", tag, "-m", f"{code} {version} released, approved by {approver}")
    except GitError as exc:
        raise UsageError(_("{code} {version} 已在文件中发布，但 {detail}；请自行提交这些文件")
                         .format(code=code, version=version, detail=exc)) from None
    return tag


def _check_edit(text: str, path: Path, display: str, cls: type[Procedure] | type[Form],
                content: str, version: str) -> None:
    """The edited file must re-load to the same content: a release never changes content."""
    problems: list[Any] = []
    try:
        model = to_model(parse_yaml(text, path, display), cls, problems)
    except SourceErrors as exc:
        problems.extend(exc.problems)
        model = None
    if model is None or fingerprint(model) != content or model.version != version:
        detail = "; ".join(str(p) for p in problems if p.severity is Severity.error)
        raise UsageError(_("{file}：修改后的文件读回来不是同一份文件{detail}：未写入任何内容。"
                           "请手工修改控制字段，或报告这个文件").format(
                               file=display, detail=f"（{detail}）" if detail else ""))


# --- obsolete --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ObsoleteResult:
    code: str
    version: str
    date: dt.date
    source: Path


@one_at_a_time
def obsolete(root: Path, code: str, *, reason: str, approved_by: str | None = None,
             date: dt.date | None = None) -> ObsoleteResult:
    """Retire an effective document: status obsolete, reason recorded in the file and lock."""
    root = root.resolve()
    reason = " ".join(reason.split())
    if not reason:
        raise UsageError(_('请写明作废原因：--reason "…"（会被记录）'))
    docset, lock, lock_source = _load_for_control(root)
    doc = find_document(docset, code)
    model = doc.model
    entry = lock.documents.get(code) if lock else None
    if model.status is Status.obsolete:
        raise UsageError(_("{code} 已经作废").format(code=code))
    if entry is None or lock is None:
        raise UsageError(_("{code} 从未发布：草稿直接删除即可，不需要作废").format(code=code))
    if model.status is not Status.effective:
        raise UsageError(_("{code} 的状态是 {status}，而 {lock} 中有它的发布记录：作废前请先把"
                           "状态改回 effective（{version}）").format(
                               code=code, status=model.status.value, lock=LOCK_FILE,
                               version=entry.latest.version))
    tolerated = _block_on_issues(docset, lock, lock_source, code, own_change=False)
    signer = parse_signer(approved_by, docset, "--approved-by") if approved_by else None
    day = date or dt.date.today()
    if day < entry.latest.date:
        raise UsageError(_("日期 {day} 早于 {version} 的发布（{date}）").format(
            day=day, version=entry.latest.version, date=entry.latest.date))
    display = display_path(doc.source, root)
    editor = YamlEditor(doc.source, display)
    editor.put(editor.data, "status", Status.obsolete.value, after=("version",))
    if "obsolete_reason" in Procedure.model_fields and isinstance(model, Procedure):
        editor.put(editor.data, "obsolete_reason", reason,
                   after=("last_review", "review_interval_months", "distribution"))
    new_text = editor.text()
    _check_edit(new_text, doc.source, display, type(model), fingerprint(model), model.version)
    new_lock = lock.model_copy(deep=True)
    new_lock.documents[code].obsolete = LockedObsolete(
        date=day, reason=reason, approved_by=str(signer) if signer else None)
    files = {doc.source: new_text.encode("utf-8"),
             lock_path(root): dump_lock(new_lock, None, root)}
    verify_in_copy(docset, files, tolerated)
    replace_together(files)
    return ObsoleteResult(code=code, version=model.version, date=day, source=doc.source)


# --- periodic review -------------------------------------------------------------------------


@one_at_a_time
def record_review(root: Path, code: str, *, date: dt.date | None = None) -> Path:
    """Record a periodic review that found the procedure still suitable (继续有效).

    Only `last_review` changes: a review without a change is not a new version.
    """
    root = root.resolve()
    docset, lock, lock_source = _load_for_control(root)
    doc = find_document(docset, code)
    if not isinstance(doc, ProcedureDoc):
        raise UsageError(_("{code} 是表单；表单随其程序文件一起评审").format(code=code))
    if doc.status is not Status.effective:
        raise UsageError(_("{code} 的状态是 {status}：只评审生效的文件").format(
            code=code, status=doc.status.value))
    tolerated = _block_on_issues(docset, lock, lock_source, code, own_change=False)
    day = date or dt.date.today()
    started = doc.model.last_review or doc.model.effective_date
    if started is not None and day < started:
        raise UsageError(_("评审日期 {day} 早于 {started}（上次评审或实施日期）").format(
            day=day, started=started))
    display = display_path(doc.source, root)
    editor = YamlEditor(doc.source, display)
    editor.put(editor.data, "last_review", day,
               after=("review_interval_months", "distribution", "countersign"))
    new_text = editor.text()
    _check_edit(new_text, doc.source, display, Procedure, fingerprint(doc.model),
                doc.model.version)
    files = {doc.source: new_text.encode("utf-8")}
    verify_in_copy(docset, files, tolerated)
    replace_together(files)
    return doc.source


# --- adopting a set that predates Wenkong ----------------------------------------------------


@one_at_a_time
def adopt(root: Path) -> list[str]:
    """Record every released document that the lock does not know yet, as it is now.

    The current content of each effective (or obsolete) document becomes the fingerprint of
    its current version; earlier versions of its revision history are recorded as released
    before Wenkong, without a source. Returns the adopted codes.
    """
    root = root.resolve()
    docset, lock, lock_source = _load_for_control(root)
    issues = control_issues(docset, lock, lock_source)
    # Documents the lock does not know are what adoption is for; anything else must be fixed.
    new_lock = lock.model_copy(deep=True) if lock else LockFile()
    unknown = {code for code in [*docset.procedures, *docset.forms]
               if code not in new_lock.documents}
    blocking = [i.problem for i in issues if i.kind == "history" or i.code not in unknown]
    if blocking:
        raise SourceErrors(blocking)
    documents: list[ProcedureDoc | FormDoc] = [*docset.procedures.values(),
                                               *docset.forms.values()]
    bare = [d.model.code for d in documents
            if d.model.code in unknown and d.status is not Status.draft
            and d.status is not Status.in_review and not d.model.revisions]
    if bare:
        raise UsageError(_(
            "{n} 份已发布的文件没有修改履历，无从登记：{codes}。请先补上它们的修改履历"
            "（第一行：version、date、首次发行、author）").format(
                n=len(bare), codes="、".join(bare[:10]) + (" …" if len(bare) > 10 else "")))
    adopted = []
    for doc in documents:
        model = doc.model
        if model.code not in unknown or model.status not in (Status.effective,
                                                                Status.obsolete):
            continue
        versions = []
        for revision in model.revisions:
            current = revision.version == model.version
            versions.append(LockedVersion(
                version=revision.version, date=revision.date, summary=revision.summary,
                clauses=revision.clauses, author=revision.author,
                reviewed_by=revision.reviewer, approved_by=revision.approver,
                fingerprint=fingerprint(model) if current else None,
                units=units_record(units_of(doc))
                if current else None,
            ))
        if not versions:
            continue  # resolve already reports a released document without history
        entry = LockedDocument(kind="procedure" if isinstance(model, Procedure) else "form",
                               source=display_path(doc.source, root), versions=versions)
        if model.status is Status.obsolete:
            reason = model.obsolete_reason if isinstance(model, Procedure) else None
            entry.obsolete = LockedObsolete(reason=reason or "")
        new_lock.documents[model.code] = entry
        adopted.append(model.code)
    if not adopted:
        return []
    new_lock.documents = dict(sorted(new_lock.documents.items()))
    files = {lock_path(root): dump_lock(new_lock, None, root)}
    verify_in_copy(docset, files)
    replace_together(files)
    return adopted
