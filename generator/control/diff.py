"""Control stage: what changed between two versions of a document, clause by clause.

Each side is resolved in its own context (an old release from the git tree of its release, the
working draft from the folder), cut into units (cover, numbered sections and clauses), and the
units are aligned by content, so inserting a clause reports one added clause, not every later
clause renumbered. Inside a changed clause the changed words are marked; Chinese text is cut
into words with jieba.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.control.content import Unit, fingerprint, units_of
from generator.control.history import docset_at, find_release_commit, missing_source_message
from generator.control.lock import LockedDocument, LockedVersion, read_lock
from generator.control.subset import document_at, working_document
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import UsageError
from generator.i18n import _
from generator.model.procedure import Status

WORKING = "working"
"""The side name of the working draft (the files as they are in the folder)."""

Op = Literal["equal", "delete", "insert"]


@dataclass(frozen=True)
class ClauseChange:
    """One changed unit. `label` is the new number (the old one for a removed clause)."""

    kind: Literal["added", "removed", "changed"]
    label: str
    old_label: str | None  # None for an added clause
    title: str
    old_text: str
    new_text: str
    words: tuple[tuple[Op, str], ...]  # the text with deletions and insertions marked

    @property
    def heading(self) -> str:
        return f"{self.label} {self.title}".strip()


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a release or the working draft, with its resolved units."""

    code: str
    label: str  # "A/1" or "working"
    title: str
    units: tuple[Unit, ...]
    release: LockedVersion | None  # None for the working draft


@dataclass(frozen=True)
class Comparison:
    code: str
    old: Side
    new: Side
    changes: tuple[ClauseChange, ...]


# --- words ------------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_LATIN_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")


def tokens(text: str) -> list[str]:
    """Words of a text: jieba for Chinese, words and punctuation otherwise."""
    if not _CJK.search(text):
        return _LATIN_TOKENS.findall(text)
    import jieba

    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter on stderr
    return [t for t in jieba.lcut(text, HMM=False) if t]


def word_diff(old: str, new: str) -> tuple[tuple[Op, str], ...]:
    """`old` → `new` as runs of equal, deleted and inserted text, merged where adjacent."""
    a, b = tokens(old), tokens(new)
    runs: list[tuple[Op, str]] = []

    def add(op: Op, text: str) -> None:
        if not text:
            return
        if runs and runs[-1][0] == op:
            runs[-1] = (op, runs[-1][1] + text)
        else:
            runs.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            add("delete", "".join(a[i1:i2]))
            add("insert", "".join(b[j1:j2]))
    return tuple(runs)


def marked_lines(words: tuple[tuple[Op, str], ...], *, context: bool = False
                 ) -> list[list[tuple[Op, str]]]:
    """The runs cut into lines; without `context` only the lines that carry a change.

    A changed form section or process table is long: a reader wants the changed lines.
    """
    lines: list[list[tuple[Op, str]]] = [[]]
    for op, text in words:
        for k, piece in enumerate(text.split("\n")):
            if k:
                lines.append([])
            if piece:
                lines[-1].append((op, piece))
    if context:
        return lines
    return [line for line in lines if any(op != "equal" for op, _ in line)]


# --- units ------------------------------------------------------------------------------------


def _full(unit: Unit) -> str:
    return f"{unit.title}\n{unit.text}" if unit.title else unit.text


def compare_units(old: list[Unit] | tuple[Unit, ...],
                  new: list[Unit] | tuple[Unit, ...]) -> list[ClauseChange]:
    """Changes from `old` to `new`, in the order of the new document (removed ones in place)."""
    changes: list[ClauseChange] = []
    matcher = difflib.SequenceMatcher(a=[u.digest for u in old], b=[u.digest for u in new],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        pairs = _pair(olds, news)
        used_old = {id(o) for o, _ in pairs.values()}
        for j, unit in enumerate(news):
            if j in pairs:
                before, _ = pairs[j]
                changes.append(ClauseChange(
                    "changed", unit.label, before.label, unit.title or before.title,
                    _full(before), _full(unit), word_diff(_full(before), _full(unit))))
            else:
                changes.append(ClauseChange("added", unit.label, None, unit.title, "",
                                            _full(unit), (("insert", _full(unit)),)))
        for unit in olds:
            if id(unit) not in used_old:
                changes.append(ClauseChange("removed", unit.label, unit.label, unit.title,
                                            _full(unit), "", (("delete", _full(unit)),)))
    return changes


def _pair(olds: list[Unit], news: list[Unit]) -> dict[int, tuple[Unit, float]]:
    """Pair changed units in order: same title, or text at least half alike."""
    pairs: dict[int, tuple[Unit, float]] = {}
    start = 0
    for j, unit in enumerate(news):
        best, best_score, best_i = None, 0.0, -1
        for i in range(start, len(olds)):
            candidate = olds[i]
            score = difflib.SequenceMatcher(a=_full(candidate), b=_full(unit),
                                            autojunk=False).ratio()
            if candidate.title and candidate.title == unit.title:
                score = max(score, 0.9)
            if candidate.label == unit.label and score < 0.5:
                score = max(score, 0.5)  # same number, rewritten: still "changed"
            if score > best_score:
                best, best_score, best_i = candidate, score, i
        if best is not None and best_score >= 0.5:
            pairs[j] = (best, best_score)
            start = best_i + 1
    return pairs


# --- sides ------------------------------------------------------------------------------------


def _doc(docset: DocumentSet, code: str) -> ProcedureDoc | FormDoc:
    found = docset.procedures.get(code) or docset.forms.get(code)
    if found is None:
        raise UsageError(_("这个版本的文件集中没有 {code}").format(code=code))
    return found


def _side_of(docset: DocumentSet, code: str, label: str,
             release: LockedVersion | None) -> Side:
    doc = _doc(docset, code)
    return Side(code, label, doc.title,
                tuple(units_of(doc)), release)


def release_side(root: Path, code: str, version: str,
                 working: DocumentSet | None = None, *, whole_set: bool = False) -> Side:
    """A released version, resolved from the git tree of its release.

    When the working draft still is that release (same version, same content), it is used
    directly: a release not yet committed can be compared too. The old tree is resolved for
    this document only (generator/control/subset.py); `whole_set` resolves all of it once per
    commit instead, for a caller that compares every document.
    """
    root = root.resolve()
    entry, locked = locked_version(root, code, version)
    if locked.fingerprint is None:
        raise UsageError(_("{code} {version} 是 Wenkong 之前发布的（{date}）：没有保存它的源文件，"
                           "无法比较或重建").format(code=code, version=version, date=locked.date))
    if working is not None:
        doc = working.procedures.get(code) or working.forms.get(code)
        if doc is not None and doc.version == version and doc.status is not Status.draft and \
                fingerprint(doc.model) == locked.fingerprint:
            return _side_of(working, code, version, locked)
    commit = find_release_commit(root, entry, locked, code)
    if commit is None:
        if working is None:
            return release_side(root, code, version, working_document(root, code))
        raise UsageError(missing_source_message(root, code, version))
    old_set = docset_at(root, commit) if whole_set else document_at(root, commit, code)
    return _side_of(old_set, code, version, locked)


def locked_version(root: Path, code: str, version: str) -> tuple[LockedDocument, LockedVersion]:
    lock, _source = read_lock(root)
    entry = lock.documents.get(code) if lock else None
    if entry is None:
        raise UsageError(_("{code} 没有已发布的版本（wenkong.lock 中没有记录）").format(code=code))
    found = entry.get(version)
    if found is None:
        raise UsageError(_("{code} 没有已发布的版本 {version}；已发布：{released}").format(
            code=code, version=version, released=", ".join(v.version for v in entry.versions)))
    return entry, found


def compare(root: Path, code: str, old: str | None = None, new: str | None = None) -> Comparison:
    """`wenkong diff`: two releases, or a release (default: the latest) and the working draft."""
    root = root.resolve()
    working = working_document(root, code)
    lock, _source = read_lock(root)
    entry = lock.documents.get(code) if lock else None
    if entry is None:
        from generator.control.release import find_document

        find_document(working, code)  # unknown code: say so (with close matches) first
        raise UsageError(_("{code} 还没有发布过：没有可与草稿比较的版本").format(code=code))
    old = old or entry.latest.version
    new = new or WORKING
    old_side = working_side(working, code) if old == WORKING else release_side(
        root, code, old, working)
    new_side = working_side(working, code) if new == WORKING else release_side(
        root, code, new, working)
    return Comparison(code, old_side, new_side,
                      tuple(compare_units(old_side.units, new_side.units)))


def working_side(working: DocumentSet, code: str) -> Side:
    return _side_of(working, code, WORKING, None)


def previous_release(docset: DocumentSet, code: str) -> LockedVersion | None:
    """The release "changes in this version" compares with.

    For an effective document it is the release before its current version; for a draft (or
    an effective document with unreleased edits) it is its latest release.
    """
    lock, _source = read_lock(docset.root)
    entry = lock.documents.get(code) if lock else None
    doc = docset.procedures.get(code) or docset.forms.get(code)
    if entry is None or doc is None:
        return None
    current = entry.get(doc.version)
    if current is not None and doc.status is not Status.draft and \
            current.fingerprint == fingerprint(doc.model):
        index = entry.versions.index(current)
        return entry.versions[index - 1] if index > 0 else None
    return entry.latest


def changes_since_previous(docset: DocumentSet, code: str) -> list[ClauseChange] | None:
    """"Changes in this version" for a document page: this version against the release before
    (see `previous_release`).

    Returns None when there is nothing to compare with: a first issue, a previous version
    released before Wenkong (no source kept), or no git history of it. An empty list means
    no change.
    """
    previous = previous_release(docset, code)
    doc = docset.procedures.get(code) or docset.forms.get(code)
    if previous is None or doc is None or previous.fingerprint is None:
        return None
    try:
        old = release_side(docset.root, code, previous.version, docset, whole_set=True)
    except UsageError:
        return None
    return compare_units(old.units, units_of(doc))
