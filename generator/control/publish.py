"""Control stage output for the build: released versions and "changes in this version".

`render_history` runs before the site renderer (generator/build.py) and hands it, through the
build's in-memory files, `history/index.json` (the format is defined by the site, in
generator/render/site/history.py) and the .docx of every earlier released version, rebuilt from
git history exactly as released. Without a lock file it produces nothing.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from generator.cache import BuildCache, generator_digest, key
from generator.cachekeys import Digests
from generator.control.diff import ClauseChange, changes_since_previous, previous_release
from generator.control.history import find_release_commit
from generator.control.lock import LockedDocument, read_lock
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import UsageError
from generator.model.procedure import Status
from generator.render.flowchart import graphviz_version

if TYPE_CHECKING:
    from generator.contract import BuildOptions, Files

HISTORY_DIR = "history"
INDEX = f"{HISTORY_DIR}/index.json"


def change_text(change: ClauseChange) -> str:
    """One change as a line of text: `5.2 记录保存 …保存[-三年-]{+五年+}…`."""
    marked = "".join(
        text if op == "equal" else (f"[-{text}-]" if op == "delete" else f"{{+{text}+}}")
        for op, text in change.words) if change.kind == "changed" else (
        change.new_text if change.kind == "added" else change.old_text)
    return f"{change.label} {' '.join(marked.split())}"


def _item(change: ClauseChange) -> dict[str, Any]:
    """One change for the site: `text` with [-…-]{+…+} markers, and the same as `words`
    (op, text) runs plus the clause numbers, for a page that styles deletions itself."""
    return {"kind": change.kind, "text": change_text(change), "label": change.label,
            "old_label": change.old_label,
            "words": [{"op": op, "text": text} for op, text in change.words]}


HISTORY_NAMESPACE = "history"  # the build cache's rebuilt releases (output files)
CHANGES_NAMESPACE = "history-changes"  # and "changes in this version" of each document


def render_history(docset: DocumentSet, options: BuildOptions) -> Files:
    """`history/index.json` and the rebuilt .docx of earlier released versions.

    With a build cache (`options.cache`), a release rebuilt before is taken from it (keyed by
    the commit holding its source, the code and version, and the generator: a commit never
    changes), and so are a document's "changes in this version" (keyed by the document as
    resolved now, its lock entry, and the commit of the release it is compared with): no old
    tree is loaded again when neither changed."""
    from generator.control.rebuild import rebuild_version

    lock, _ = read_lock(docset.root)
    if lock is None:
        return {}
    cache = options.cache
    digests = Digests()
    used: dict[str, list[str]] = {HISTORY_NAMESPACE: [], CHANGES_NAMESPACE: []}
    files: dict[str, bytes] = {}
    documents: dict[str, Any] = {}
    current: dict[str, ProcedureDoc | FormDoc] = {**docset.procedures, **docset.forms}
    for code in lock.documents:
        doc = current.get(code)
        if doc is None:
            continue
        locked = lock.documents[code]
        entry: dict[str, Any] = {}
        changes = _changes(docset, code, doc, locked, cache, digests, used)
        if changes is not None:
            entry["changes"] = changes
        versions = []
        for version in locked.versions:
            # The build's own output is this version only while the document is effective at
            # it; during a revision (draft, in review) the last release is rebuilt and offered.
            is_current = (version is locked.latest and doc.status is Status.effective
                          and doc.version == version.version)
            row: dict[str, Any] = {"version": version.version,
                                   "date": version.date.isoformat(), "note": version.summary}
            # Only earlier versions are rebuilt (the current one is the build's own output),
            # and only those whose source is kept: no git look-up for the rest.
            commit = find_release_commit(docset.root, locked, version, code) if (
                version.fingerprint is not None and not is_current) else None
            if commit is not None:
                entry_key = key("history", generator_digest(), graphviz_version(), commit, code,
                                version.version)
                used[HISTORY_NAMESPACE].append(entry_key)
                name, data = _unpack(cache.get(HISTORY_NAMESPACE, entry_key))
                if not data:
                    try:
                        name, data = rebuild_version(docset.root, code, version.version,
                                                     whole_set=True)
                    except UsageError:
                        name, data = "", b""
                    if data:
                        cache.put(HISTORY_NAMESPACE, entry_key,
                                  name.encode("utf-8") + b"\0" + data)
                if data:
                    path = f"{HISTORY_DIR}/{code}/{PurePosixPath(name).name}"
                    files[path] = data
                    row["file"] = path
            versions.append(row)
        entry["versions"] = versions
        documents[code] = entry
    for namespace, keys in used.items():
        cache.prune(namespace, keys)
    files[INDEX] = json.dumps({"documents": documents}, ensure_ascii=False, indent=1,
                              sort_keys=True).encode("utf-8")
    return files


def _unpack(data: bytes | None) -> tuple[str, bytes]:
    """A cached rebuilt release: its file name, NUL, its bytes."""
    name, _nul, body = (data or b"").partition(b"\0")
    return (name.decode("utf-8", "replace"), body) if body else ("", b"")


def _changes(docset: DocumentSet, code: str, doc: ProcedureDoc | FormDoc,
             locked: LockedDocument, cache: BuildCache, digests: Digests,
             used: dict[str, list[str]]) -> dict[str, Any] | None:
    """"Changes in this version" of one document as the site reads it, or None."""
    previous = previous_release(docset, code)
    entry_key = None
    if cache.enabled and previous is not None and previous.fingerprint is not None:
        commit = find_release_commit(docset.root, locked, previous, code)
        entry_key = key("history-changes", generator_digest(), code, commit or "",
                        digests.digest((doc, locked)))
        used[CHANGES_NAMESPACE].append(entry_key)
        found = cache.get(CHANGES_NAMESPACE, entry_key)
        if found is not None:
            try:
                value = json.loads(found)
            except ValueError:
                value = False
            if value is None or isinstance(value, dict):
                return value
    changes = changes_since_previous(docset, code)
    result = None
    if changes is not None:
        released = locked.get(doc.version)
        is_release = released is not None and (
            previous is None or previous.version != released.version)
        result = {"from": previous.version if previous else None,
                  # unreleased edits have no version yet
                  "to": doc.version if is_release else None,
                  "items": [_item(c) for c in changes]}
    if entry_key is not None:
        cache.put(CHANGES_NAMESPACE, entry_key,
                  json.dumps(result, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return result
