"""Control stage: released versions in git history.

A released version is found again through its fingerprint: the first commit (oldest first) in
which the document's source file parses to that version with that content fingerprint is the
state of the set at release. Its whole tree is materialised in a temporary folder and loaded
with the normal load/resolve stages, so an old version is resolved exactly as it was then
(the titles it cited, the roles of the day).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import shutil
import subprocess
import tarfile
import tempfile
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from generator.control.content import fingerprint
from generator.control.lock import LOCK_FILE, LockedDocument, LockedVersion, LockFile, read_lock
from generator.docset import DocumentSet
from generator.errors import SourceErrors, UsageError
from generator.i18n import _
from generator.load import parse_yaml, to_model
from generator.model import Form, Procedure
from generator.model.procedure import Status
from generator.versions import file_safe


class GitError(UsageError):
    """git is missing, the set is not in a repository, or a command failed."""


def git(root: Path, *args: str, binary: bool = False) -> str | bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError(_("没有安装 git：已发布的版本保存在 git 历史中")) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise GitError(_("git {command} 失败：{message}").format(
            command=" ".join(args[:2]), message=message))
    return done.stdout if binary else done.stdout.decode("utf-8")


@dataclass(frozen=True)
class Repo:
    top: Path  # repository root
    prefix: str  # the document set's folder inside it ("" or "sets/acme/")


def repo_of(root: Path) -> Repo | None:
    """The git repository holding the document set, or None when it is not in one."""
    try:
        top = Path(str(git(root, "rev-parse", "--show-toplevel")).strip())
        prefix = str(git(root, "rev-parse", "--show-prefix")).strip()
    except GitError:
        return None
    return Repo(top.resolve(), prefix)


def _model_at(repo: Repo, commit: str, source: str, kind: str) -> Procedure | Form | None:
    try:
        data = git(repo.top, "show", f"{commit}:{repo.prefix}{source}", binary=True)
    except GitError:
        return None
    assert isinstance(data, bytes)
    try:
        loaded = parse_yaml(data.decode("utf-8"), Path(source), source)
    except (SourceErrors, UnicodeDecodeError):
        return None
    if kind == "procedure":
        return to_model(loaded, Procedure, [])
    return to_model(loaded, Form, [])


_FOUND: dict[tuple[Path, str, str, str], str] = {}  # hits only: new commits may add one


@lru_cache(maxsize=16)  # one lock per commit, shared by every document looked up
def _lock_at(top: Path, prefix: str, commit: str) -> bytes:
    try:
        data = git(top, "show", f"{commit}:{prefix}{LOCK_FILE}", binary=True)
    except GitError:
        return b""
    assert isinstance(data, bytes)
    return data


def _find_commit(top: Path, prefix: str, source: str, kind: str, version: str,
                 expected: str) -> str | None:
    """The first commit holding both the release's source and its lock entry.

    Both, because the state of the set at release is the commit that recorded the release:
    a document adopted into the lock had the same content in earlier commits, where other
    documents (titles it cites) may still have differed.
    """
    key = (top, f"{prefix}{source}", version, expected)
    if key in _FOUND:
        return _FOUND[key]
    repo = Repo(top, prefix)
    try:
        log = str(git(top, "log", "--format=%H", "--reverse", "--", f"{prefix}{source}",
                      f"{prefix}{LOCK_FILE}"))
    except GitError:
        return None
    for commit in log.split():
        lock_text = _lock_at(top, prefix, commit)
        if expected.encode("ascii") not in lock_text:  # a sha256 is unique: no need to parse
            continue
        model = _model_at(repo, commit, source, kind)
        # Effective, not a draft that already carried the label: the release itself.
        if model is not None and model.version == version and \
                model.status is Status.effective and fingerprint(model) == expected:
            _FOUND[key] = commit
            return commit
    return None


def release_tag(code: str, version: LockedVersion | str) -> str:
    """The git tag `wenkong release --commit` puts on a release: QP-01/A-1."""
    label = version if isinstance(version, str) else version.version
    return f"{code}/{file_safe(label)}"


def tagged_commit(root: Path, tag: str) -> str | None:
    try:
        return str(git(root, "rev-parse", "-q", "--verify", f"refs/tags/{tag}^{{commit}}")
                   ).strip() or None
    except GitError:
        return None


def find_release_commit(root: Path, entry: LockedDocument, version: LockedVersion,
                        code: str | None = None) -> str | None:
    """The commit holding the source of a released version (the lock's, or found by content)."""
    if version.fingerprint is None:
        return None
    repo = repo_of(root)
    if repo is None:
        return None
    tag = release_tag(code or Path(entry.source).stem, version)
    for known in (version.commit, tagged_commit(root, tag)):
        if known:
            model = _model_at(repo, known, entry.source, entry.kind)
            if model is not None and fingerprint(model) == version.fingerprint:
                return known
    return _find_commit(repo.top, repo.prefix, entry.source, entry.kind, version.version,
                        version.fingerprint)


def missing_source_message(root: Path, code: str, version: str) -> str:
    """Why the source of a release cannot be found, and what keeps it next time."""
    if repo_of(root) is None:
        return (f"the source of {code} {version} is not kept: {root} is not in a git "
                "repository. Released versions are kept in git history: `git init`, then "
                "commit each release (the YAML file and wenkong.lock), or use --commit")
    return (f"the source of {code} {version} is not in the git history: commit each release "
            "(the YAML file and wenkong.lock together), or release with --commit")


@contextlib.contextmanager
def checkout(root: Path, commit: str) -> Iterator[Path]:
    """The document set as it was at `commit`, in a temporary folder removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="wenkong-version-"))
    try:
        yield extract(root, commit, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def extract(root: Path, commit: str, folder: Path, exclude: Iterable[str] = ()) -> Path:
    """The set's files at `commit` written under `folder` (but the folders in `exclude`,
    relative to the set); returns the set's root there."""
    repo = repo_of(root)
    if repo is None:
        raise GitError(_("{root} 不在 git 仓库中").format(root=root))
    excluded = [f":(exclude){repo.prefix}{name.strip('/')}" for name in exclude]
    archive = git(repo.top, "archive", "--format=tar", commit, "--", repo.prefix or ".",
                  *excluded, binary=True)
    assert isinstance(archive, bytes)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / repo.prefix if repo.prefix else folder


_TREES: dict[tuple[Path, str], tuple[Path, Path]] = {}  # key → (temporary folder, set root)
_SETS: OrderedDict[tuple[Path, str], DocumentSet] = OrderedDict()
_KEEP_SETS = 2  # resolved old sets kept in memory (a 1,000-procedure set is large)


def _remove_trees() -> None:
    for base, _docset in _TREES.values():
        shutil.rmtree(base, ignore_errors=True)
    _TREES.clear()
    _SETS.clear()


atexit.register(_remove_trees)


def tree_at(root: Path, commit: str) -> Path:
    """The set as it was at `commit`, extracted once per process (removed at exit).

    Renderers read templates from the set's folder, so the tree must outlive the loading.
    """
    key = (root.resolve(), commit)
    if key not in _TREES:
        base = Path(tempfile.mkdtemp(prefix="wenkong-version-"))
        _TREES[key] = (base, extract(root, commit, base))
    return _TREES[key][1]


def docset_at(root: Path, commit: str) -> DocumentSet:
    """The set as it was at `commit`, loaded and resolved (lock checks off: it is history)."""
    from generator.cache import set_cache
    from generator.resolve import load_document_set

    key = (root.resolve(), commit)
    if key in _SETS:
        _SETS.move_to_end(key)
        return _SETS[key]
    # The working set's load cache: most files are the same bytes at the same place.
    docset = load_document_set(tree_at(root, commit), check_lock=False, cache=set_cache(root))
    _SETS[key] = docset
    while len(_SETS) > _KEEP_SETS:
        _SETS.popitem(last=False)
    return docset


# --- what the site and the CLI list ----------------------------------------------------------


@dataclass(frozen=True)
class ReleasedVersion:
    """One released version of one document, as the master list and downloads show it."""

    code: str
    kind: str  # procedure | form
    version: str
    date: str  # ISO date of the release
    summary: str
    clauses: str | None
    approved_by: str | None
    fingerprint: str | None  # None: released before Wenkong
    commit: str | None  # git commit holding its source; None: no source to rebuild from
    current: bool  # the document's latest release
    obsolete: bool  # the document is retired (all its versions are history)
    obsolete_date: str | None = None  # when it was retired (wenkong obsolete)
    obsolete_reason: str | None = None  # why (kept in the lock; forms have no field for it)

    @property
    def rebuildable(self) -> bool:
        return self.commit is not None


def released_versions(root: Path, code: str | None = None,
                      lock: LockFile | None = None) -> list[ReleasedVersion]:
    """Every released version of every document (or of `code`), oldest first per document.

    `commit` is where `rebuild_version` finds the source; a version released before Wenkong
    (adopted) or never committed has none and can only be listed, not rebuilt.
    """
    if lock is None:
        lock, _source = read_lock(root)
    if lock is None:
        return []
    found = []
    for doc_code, entry in lock.documents.items():
        if code is not None and doc_code != code:
            continue
        for version in entry.versions:
            found.append(ReleasedVersion(
                code=doc_code, kind=entry.kind, version=version.version,
                date=version.date.isoformat(), summary=version.summary,
                clauses=version.clauses, approved_by=version.approved_by,
                fingerprint=version.fingerprint,
                commit=find_release_commit(root, entry, version, doc_code),
                current=version is entry.latest, obsolete=entry.obsolete is not None,
                obsolete_date=entry.obsolete.date.isoformat()
                if entry.obsolete and entry.obsolete.date else None,
                obsolete_reason=entry.obsolete.reason if entry.obsolete else None,
            ))
    return found
