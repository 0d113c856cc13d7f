"""Control stage: the lock file (wenkong.lock) and the immutability checks of `validate`.

The lock sits at the root of the document set and records, per document code, every released
version: its date, summary, who approved it, the fingerprint of its content and, when known,
the git commit that holds its source. `release` and `obsolete` write it; nobody edits it by
hand. `check_document_control` is called at the end of resolving and reports, with file:line:

- a released document whose content differs from the fingerprint of its version;
- a revision history with gaps (A/0 → A/2) or out of step with the lock;
- a released document the lock does not know, or a locked document whose source is gone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import json
import os
import pickle
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from generator.cache import BuildCache, get_pickled, model_key, put_pickled, set_cache
from generator.cache import key as cache_key
from generator.control.content import Unit, fingerprint, kind_of, normalize_text, units_of
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import Problem, Severity, SourceErrors, display_path
from generator.i18n import _
from generator.load import Loc, SourceFile, parse_yaml, read_yaml, to_model
from generator.model import Form, Procedure, Revision
from generator.model.common import Strict
from generator.model.procedure import Status
from generator.model.settings import VersionScheme
from generator.versions import VersionError, parse_version

LOCK_FILE = "wenkong.lock"
LOCK_FORMAT = 1
_HEADER = (
    "# wenkong.lock: the released versions of every controlled document (文件发布记录).\n"
    "# Written by `wenkong release`, `wenkong obsolete` and `wenkong lock --adopt`; do not edit\n"
    "# by hand. Commit it together with the document files it describes.\n"
)


class LockedVersion(Strict):
    """One released version. `fingerprint` None: released before Wenkong, no source kept."""

    version: str
    date: dt.date
    summary: str = ""
    clauses: str | None = None
    author: str | None = None
    reviewed_by: str | None = None
    approved_by: str | None = None
    fingerprint: str | None = None
    commit: str | None = None
    units: str | None = Field(
        default=None, description="'label=digest' per unit, space-separated, in document "
        "order; kept for the latest version only (to name the clauses a change touched).")

    def unit_pairs(self) -> list[tuple[str, str]]:
        pairs = []
        for item in (self.units or "").split():
            label, _equals, digest = item.rpartition("=")
            pairs.append((label, digest))
        return pairs


class LockedObsolete(Strict):
    date: dt.date | None = None
    reason: str = ""
    approved_by: str | None = None


class LockedDocument(Strict):
    kind: str
    source: str
    versions: list[LockedVersion] = Field(min_length=1)
    obsolete: LockedObsolete | None = None

    @property
    def latest(self) -> LockedVersion:
        return self.versions[-1]

    def get(self, version: str) -> LockedVersion | None:
        return next((v for v in self.versions if v.version == version), None)


class LockFile(Strict):
    lock_format: int = LOCK_FORMAT
    documents: dict[str, LockedDocument] = Field(default_factory=dict)


def lock_path(root: Path) -> Path:
    return root / LOCK_FILE


def read_lock(root: Path, cache: BuildCache | None = None
              ) -> tuple[LockFile | None, SourceFile | None]:
    """The lock of the set under `root` (None, None when there is none).

    Raises SourceErrors naming wenkong.lock and the line when it does not parse: a lock with
    merge-conflict markers or a hand edit gone wrong must stop every control command.
    `cache`: where a lock read before is kept (default the set's own cache; `build --no-cache`
    passes a disabled one).
    """
    lock, source, _data = read_lock_text(root, cache)
    return lock, source


def read_lock_text(root: Path, cache: BuildCache | None = None
                   ) -> tuple[LockFile | None, SourceFile | None, bytes | None]:
    """`read_lock`, and the bytes it was read from.

    A lock read before is taken from the set's cache (keyed by its bytes, so any edit is read
    again): a lock of a thousand documents takes a second to parse, and every control command
    reads it. The positions of its values are read from the file only when a problem needs one.
    """
    path = lock_path(root)
    if not path.is_file():
        return None, None, None
    stat = path.stat()
    key = (path.resolve(), stat.st_ino, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size)
    if key in _READ:
        return _READ[key]
    display = display_path(path, root)
    data = path.read_bytes()
    if cache is None:
        cache = set_cache(root.resolve())
    entry = model_key(data, LOCK_FILE)
    lock = get_pickled(cache, LOCK_NAMESPACE, entry, LockFile)
    if lock is not None:
        found = (lock, SourceFile(path, display, None), data)
    else:
        source = read_yaml(path, display, data)
        problems: list[Problem] = []
        lock = to_model(source, LockFile, problems)
        if lock is not None and lock.lock_format != LOCK_FORMAT:
            problems.append(source.problem(("lock_format",), (
                _("锁文件格式 {found} 不是本版 Wenkong 写入的格式（{expected}）").format(
                    found=lock.lock_format, expected=LOCK_FORMAT))))
        if problems or lock is None:
            raise SourceErrors(problems)
        put_pickled(cache, LOCK_NAMESPACE, entry, lock)
        found = (lock, source, data)
    if len(_READ) > 8:
        _READ.clear()
    _READ[key] = found
    return found


# Lock files read, by path and file identity (inode, times, size): a build asks once per
# document. Callers never change the returned lock (the commands edit a deep copy).
_READ: dict[tuple[Path, int, int, int, int],
            tuple[LockFile, SourceFile, bytes]] = {}
LOCK_NAMESPACE = "lock"  # the build cache's validated locks, by their bytes
_CANONICAL = "lock-canonical"  # marks of lock texts written by dump_lock, by their bytes


_BLOCK_START = re.compile(r"^  (?! )", re.MULTILINE)  # an entry of `documents:`
_OUTSIDE_BLOCKS = re.compile(r"^(?!  )(?!$)|^$(?!\Z)", re.MULTILINE)
_DUMP_OPTIONS: dict[str, Any] = {"allow_unicode": True, "sort_keys": True,
                                 "default_flow_style": False, "width": 4096}


def _plain(lock: LockFile) -> dict[str, Any]:
    data: dict[str, Any] = lock.model_dump(mode="python", exclude_none=True)
    for document in data["documents"].values():
        _tidy(document)
    return data


def _tidy(document: dict[str, Any]) -> None:
    for version in document["versions"]:
        # Only the fields that are set, so the file stays short and its diffs readable.
        for key in [k for k, v in version.items() if v in ("", [])]:
            del version[key]


def dump_lock(lock: LockFile, previous: tuple[LockFile, bytes] | None = None,
              root: Path | None = None) -> bytes:
    """The lock as YAML: keys sorted, one stable text for the same content.

    With `previous` (a lock and the text it was read from) and the set's `root`: when that text
    is one this function wrote (marked in the set's cache), the entries that did not change are
    copied from it and only the changed ones are written again: the same bytes, without
    re-emitting a thousand entries.
    """
    spliced = None
    cache = set_cache(root.resolve()) if root is not None else None
    if previous is not None and cache is not None and cache.get(
            _CANONICAL, cache_key(previous[1])) is not None:
        spliced = _spliced(lock, *previous)
    if spliced is None:
        data = (_HEADER + str(yaml.safe_dump(_plain(lock), **_DUMP_OPTIONS))).encode("utf-8")
    else:
        data = spliced[0].encode("utf-8")
    if cache is not None:
        cache.put(_CANONICAL, cache_key(data), b"")
        if spliced is not None:
            _remember(cache, lock, data, spliced[1])
    return data


def _remember(cache: BuildCache, lock: LockFile, data: bytes, changed: str) -> None:
    """Keep `lock` as the validated lock of its new text `data`, so that the next command does
    not parse it again: when the changed entries (`changed`, their YAML), read alone as
    `read_lock` reads, are the entries of `lock`. The unchanged ones were read from the
    same lines of the previous text; YAML reads the entries of a mapping independently."""
    problems: list[Problem] = []
    try:
        source = parse_yaml(_HEADER + "documents:\n" + changed, Path(LOCK_FILE), LOCK_FILE)
    except SourceErrors:
        return
    parsed = to_model(source, LockFile, problems)
    if parsed is None or problems or list(lock.documents) != sorted(lock.documents) or \
            any(lock.documents.get(code) != entry for code, entry in parsed.documents.items()):
        return
    put_pickled(cache, LOCK_NAMESPACE, model_key(data, LOCK_FILE), lock)


def _spliced(lock: LockFile, old: LockFile, old_data: bytes) -> tuple[str, str] | None:
    """The text of `lock` from the canonical text of `old`: its unchanged entries' blocks kept,
    the changed ones dumped alone (and returned apart). None when the old text is not laid out
    as expected."""
    old_text = old_data.decode("utf-8")
    head = _HEADER + "documents:\n"
    tail = str(yaml.safe_dump({"lock_format": lock.lock_format}, **_DUMP_OPTIONS))
    if not old.documents or not lock.documents or not old_text.startswith(head) or \
            not old_text.endswith("\n" + tail) or old.lock_format != lock.lock_format:
        return None
    body = old_text[len(head):len(old_text) - len(tail)]
    if not _BLOCK_START.match(body) or _OUTSIDE_BLOCKS.search(body):
        return None  # a line that is neither an entry's first line nor inside an entry
    starts = [found.start() for found in _BLOCK_START.finditer(body)]
    blocks = [body[start:end] for start, end in zip(starts, [*starts[1:], len(body)],
                                                    strict=True)]
    codes = sorted(old.documents)
    if len(blocks) != len(codes) or list(old.documents) != codes:
        return None
    kept = dict(zip(codes, blocks, strict=True))
    parts = []
    changed = []
    for code in sorted(lock.documents):
        entry = lock.documents[code]
        if code in kept and (old.documents[code] is entry or old.documents[code] == entry):
            parts.append(kept[code])
            continue
        document: dict[str, Any] = entry.model_dump(mode="python", exclude_none=True)
        _tidy(document)
        dumped = str(yaml.safe_dump({"documents": {code: document}}, **_DUMP_OPTIONS))
        if not dumped.startswith("documents:\n") or "&" in dumped:
            return None  # an anchor would tie entries together: write the whole text
        parts.append(dumped[len("documents:\n"):])
        changed.append(parts[-1])
    return head + "".join(parts) + tail, "".join(changed)


def units_record(units: Iterable[Unit]) -> str:
    """One line per version: a lock of a thousand documents stays quick to read."""
    return " ".join(f"{u.label}={u.digest}" for u in units)


# --- the validate hook -------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlIssue:
    """One finding: `kind` lets `release` tell the change it is about to release from the rest."""

    code: str
    kind: str  # "changed", "history", "lock"
    problem: Problem


class _Sources:
    """Source files re-read for positions, only when there is something to report."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[Path, SourceFile | None] = {}

    def problem(self, doc: ProcedureDoc | FormDoc, loc: Loc, message: str,
                severity: Severity = Severity.error) -> Problem:
        if doc.source not in self.cache:
            try:
                self.cache[doc.source] = read_yaml(doc.source, display_path(doc.source, self.root))
            except SourceErrors:
                self.cache[doc.source] = None
        source = self.cache[doc.source]
        if source is None:
            return Problem(display_path(doc.source, self.root), 1, 1, "", message, severity)
        return source.problem(loc, message, severity)


class _Fingerprints:
    """The fingerprints of a set's documents, kept in its cache between commands.

    Every validate and build checks every released document against its fingerprint, and a
    fingerprint walks the whole model (a second for a thousand documents). Kept by the pickled
    model: the same bytes are the same model, so the same fingerprint. One entry per set,
    read once."""

    def __init__(self, cache: BuildCache, root: Path) -> None:
        self.cache = cache
        self.entry = model_key("fingerprints", str(root.resolve()))
        self.known: dict[str, str] = {}
        data = cache.get(_FINGERPRINTS, self.entry)
        if data is not None:
            with contextlib.suppress(ValueError):
                found = json.loads(data)
                if isinstance(found, dict):
                    self.known = {str(k): str(v) for k, v in found.items()}
        self.used: dict[str, str] = {}

    def of(self, model: Procedure | Form) -> str:
        pickled = cache_key(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        found = self.known.get(pickled) or fingerprint(model)
        self.used[pickled] = found
        return found

    def save(self) -> None:
        """Keep what was used; a command that looked at a few documents keeps the others."""
        kept = self.used if len(self.used) * 2 >= len(self.known) else {**self.known,
                                                                         **self.used}
        if kept != self.known:
            self.cache.put(_FINGERPRINTS, self.entry,
                           json.dumps(kept, sort_keys=True).encode("utf-8"))


_FINGERPRINTS = "fingerprints"


def check_document_control(docset: DocumentSet, problems: list[Problem],
                           cache: BuildCache | None = None) -> None:
    """Hook called by resolve: add every document-control problem of the set to `problems`
    (`cache`: the load's folder, where the lock read before and the fingerprints are kept;
    counted apart from the load's hits and misses)."""
    own = BuildCache(cache.folder, shared=cache.shared) if cache is not None else None
    try:
        problems.extend(issue.problem for issue in control_issues(docset, cache=own))
    except SourceErrors as exc:  # the lock itself does not parse
        problems.extend(exc.problems)


def control_issues(docset: DocumentSet, lock: LockFile | None = None,
                   lock_source: SourceFile | None = None, *,
                   sources_root: Path | None = None,
                   cache: BuildCache | None = None) -> list[ControlIssue]:
    """Revision-history gaps always; lock checks when the set has a lock.

    `sources_root`: where the source of a locked document that is not in `docset` must be (default
    the set's folder; a release checks one document's closure in a scratch folder)."""
    sources = _Sources(docset.root)
    scheme = docset.settings.version_scheme
    issues: list[ControlIssue] = []
    if cache is None:
        cache = set_cache((sources_root or docset.root).resolve())
    documents: list[ProcedureDoc | FormDoc] = [*docset.procedures.values(),
                                               *docset.forms.values()]
    for doc in documents:
        for index, message in version_gaps(doc.model.revisions, scheme):
            issues.append(ControlIssue(doc.model.code, "history", sources.problem(
                doc, ("revisions", index, "version"), message)))
    if lock is None:
        lock, lock_source = read_lock(docset.root, cache)
    if lock is None:
        return issues
    if lock_source is None:  # positions are read from the file if a problem needs one
        lock_source = SourceFile(lock_path(docset.root), LOCK_FILE, None)
    prints = _Fingerprints(cache, sources_root or docset.root)
    for doc in documents:
        issues.extend(_check_document(docset, doc, lock, sources, prints))
    prints.save()
    known = {d.model.code for d in documents}
    folder = str(sources_root or docset.root)
    for code, entry in lock.documents.items():  # (as text: thousands of them)
        if code in known or os.path.isfile(os.path.join(folder, entry.source)):
            continue  # present, or present but invalid (its own errors explain it)
        issues.append(ControlIssue(code, "lock", lock_source.problem(("documents", code), (
            _("{code} 有已发布的版本，但其源文件 {source} 不见了：已发布的文件用 `wenkong obsolete "
              "{code} --reason …` 作废，不能删除（请从 git 恢复该文件）").format(
                code=code, source=entry.source)))))
    return issues


def version_gaps(revisions: list[Revision], scheme: VersionScheme) -> list[tuple[int, str]]:
    """(index, message) for each revision that skips a version (A/0 → A/2, A/3 → C/0)."""
    found = []
    previous: tuple[int, int] | None = None
    previous_label = ""
    for index, revision in enumerate(revisions):
        try:
            key = parse_version(revision.version, scheme)
        except VersionError:
            previous = None  # reported by resolve
            continue
        if previous is not None and key > previous:
            same_edition = key[0] == previous[0] and key[1] == previous[1] + 1
            next_edition = key[0] == previous[0] + 1 and key[1] == 0
            if scheme is VersionScheme.integer:
                next_edition = key[0] == previous[0] + 1
            if not (same_edition or next_edition):
                found.append((index, (
                    _("版本 {version} 跳过了 {previous} 之后的版本：每次发布取下一个版本"
                      "（A/0 → A/1，新版次则 → B/0）").format(
                        version=revision.version, previous=previous_label))))
        previous, previous_label = key, revision.version
    return found


def _check_document(docset: DocumentSet, doc: ProcedureDoc | FormDoc, lock: LockFile,
                    sources: _Sources, prints: _Fingerprints) -> list[ControlIssue]:
    model = doc.model
    code = model.code
    issues: list[ControlIssue] = []

    def add(kind: str, loc: Loc, message: str) -> None:
        issues.append(ControlIssue(code, kind, sources.problem(doc, loc, message)))

    status = model.status
    released = status in (Status.effective, Status.obsolete)
    entry = lock.documents.get(code)
    if entry is None:
        if released:
            add("lock", ("status",), (
                _("{code} 的状态是 {status}，但 wenkong.lock 中没有它的发布记录："
                  "请用 `wenkong release {code} --summary … --approved-by 部门或岗位/姓名` "
                  "发布（Wenkong 之前已发布的文件集：`wenkong lock --adopt`）").format(
                    code=code, status=status.value)))
        return issues
    if entry.kind != kind_of(model):
        add("lock", ("code",), _("wenkong.lock 把 {code} 记为 {locked}，但 {file} 是 {kind}")
            .format(code=code, locked=entry.kind, file=display_path(doc.source, docset.root),
                    kind=kind_of(model)))
        return issues
    scheme = docset.settings.version_scheme
    revision_index = {r.version: i for i, r in enumerate(model.revisions)}
    for locked in entry.versions:
        i = revision_index.get(locked.version)
        if i is None:
            add("lock", ("revisions",), (
                _("{code} {version} 已于 {date} 发布（wenkong.lock），但修改履历中没有它："
                  "已发布的版本要留在修改履历中").format(
                    code=code, version=locked.version, date=locked.date)))
        elif model.revisions[i].date != locked.date:
            add("lock", ("revisions", i, "date"), (
                _("修改履历中 {version} 的日期是 {written}，但它于 {date} 发布（wenkong.lock）")
                .format(version=locked.version, written=model.revisions[i].date,
                        date=locked.date)))
        else:
            _check_record(model.revisions[i], locked, i, add)
    latest = entry.latest
    for i, revision in enumerate(model.revisions):
        if entry.get(revision.version) is None and released:
            add("lock", ("revisions", i, "version"), (
                _("{code} {version} 在修改履历中，但从未发布"
                  "（wenkong.lock 中最近的发布是 {latest}）："
                  "删去这一行，运行 `wenkong release {code}`，它会写入这一行").format(
                    code=code, version=revision.version, latest=latest.version)))
    try:
        backwards = parse_version(model.version, scheme) < parse_version(latest.version, scheme)
    except VersionError:
        return issues  # resolve reports the label
    if backwards:
        add("lock", ("version",), (
            _("{code} 的版本是 {version}，早于最近的发布 {latest}（wenkong.lock）："
              "版本不能倒退").format(code=code, version=model.version,
                                     latest=latest.version)))
        return issues
    if not released:
        return issues
    if model.version != latest.version:
        add("lock", ("version",), (
            _("{code} {version} 标为 {status}，但从未发布（最近的发布是 {latest}）："
              "改回 {latest}，或用 `wenkong release {code} --summary … "
              "--approved-by 部门或岗位/姓名` 发布这次更改")
            .format(code=code, version=model.version, status=status.value,
                    latest=latest.version)))
        return issues
    approver = model.approval.approver if model.approval else None
    if latest.approved_by and approver is not None and \
            _name(approver.name) != _name(latest.approved_by):
        add("lock", ("approval", "approver", "name"), (
            _("{code} {version} 的批准人是 {recorded}（wenkong.lock），不是 {written}：已发布版本的"
              "签署不会改变").format(code=code, version=latest.version,
                                   recorded=_name(latest.approved_by), written=approver.name)))
    if status is Status.obsolete and entry.obsolete is None:
        add("lock", ("status",), (
            _("{code} 是手工标为作废的：请用 `wenkong obsolete {code} --reason …` "
              "作废，以记录日期和原因").format(code=code)))
    if status is Status.effective and entry.obsolete is not None:
        add("lock", ("status",), (
            _("{code} 已于 {date} 作废（wenkong.lock），但文件写的是生效："
              "作废的文件只能作为新的发布恢复").format(code=code, date=entry.obsolete.date)))
    if latest.fingerprint is not None and prints.of(model) != latest.fingerprint:
        units = units_of(doc)
        changes = changed_units(latest.unit_pairs(), units)
        where: Loc = ("version",)
        first = next((u for kind, u in changes if kind != "removed" and u is not None), None)
        if first is not None and isinstance(first, Unit):
            where = first.loc
        described = describe_changes(changes) or _("内容有改动")
        add("changed", where, (
            _("{code} {version} 已发布（{status}），已发布的版本不能改动，"
              "但它的内容与 {date} 的发布不同：{changes}。请把更改作为新版本发布："
              "`wenkong release {code} --summary \"…\" --approved-by 部门或岗位/姓名`"
              "（用 `wenkong diff {code}` 查看改动），或撤销修改")
            .format(code=code, version=latest.version, status=status.value, date=latest.date,
                    changes=described)))
    return issues


def _name(signer: str) -> str:
    """The name of a signer recorded as ROLE/NAME or NAME."""
    return normalize_text(signer.rpartition("/")[2])


def _check_record(revision: Revision, locked: LockedVersion, index: int,
                  add: Callable[[str, Loc, str], None]) -> None:
    """A revision-history row of a released version is a record: it must stay as released."""
    for field, recorded, written in (
        ("summary", locked.summary, revision.summary),
        ("approver", _name(locked.approved_by) if locked.approved_by else None,
         revision.approver),
    ):
        if recorded and normalize_text(written or "") != normalize_text(recorded):
            add("lock", ("revisions", index, field), (
                _("修改履历中 {version} 的 {field} 是 {written}，但发布时记录的是 {recorded}"
                  "（wenkong.lock）：已发布版本的这一行是记录，不能改动").format(
                    version=locked.version, field=field, written=repr(written),
                    recorded=repr(recorded))))


UnitChange = tuple[str, Unit | str | None]  # ("changed" | "added", Unit) or ("removed", label)


def changed_units(stored: list[tuple[str, str]], units: list[Unit]) -> list[UnitChange]:
    """Which units differ from the stored (label, digest) list, aligned by content."""
    if not stored:
        return []
    old = [digest for _, digest in stored]
    new = [u.digest for u in units]
    changes: list[UnitChange] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if op == "replace" else 0
        changes.extend(("changed", units[j]) for j in range(j1, j1 + paired))
        changes.extend(("added", units[j]) for j in range(j1 + paired, j2))
        changes.extend(("removed", stored[i][0]) for i in range(i1 + paired, i2))
    return changes


def describe_changes(changes: list[UnitChange]) -> str:
    words = {"changed": _("修改"), "added": _("新增"), "removed": _("删除（旧编号）")}
    parts = []
    for kind in ("changed", "added", "removed"):
        labels = [u.label if isinstance(u, Unit) else str(u) for k, u in changes if k == kind]
        if labels:
            parts.append(f"{words[kind]} {', '.join(labels)}")
    return "; ".join(parts)
