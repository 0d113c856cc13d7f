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

from generator.control.diff import ClauseChange, changes_since_previous, previous_release
from generator.control.history import find_release_commit
from generator.control.lock import read_lock
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import UsageError
from generator.model.procedure import Status

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


def render_history(docset: DocumentSet, options: BuildOptions) -> Files:
    """`history/index.json` and the rebuilt .docx of earlier released versions."""
    from generator.control.rebuild import rebuild_version

    lock, _ = read_lock(docset.root)
    if lock is None:
        return {}
    files: dict[str, bytes] = {}
    documents: dict[str, Any] = {}
    current: dict[str, ProcedureDoc | FormDoc] = {**docset.procedures, **docset.forms}
    for code in lock.documents:
        doc = current.get(code)
        if doc is None:
            continue
        entry: dict[str, Any] = {}
        changes = changes_since_previous(docset, code)
        if changes is not None:
            previous = previous_release(docset, code)
            released = lock.documents[code].get(doc.version)
            is_release = released is not None and (
                previous is None or previous.version != released.version)
            entry["changes"] = {"from": previous.version if previous else None,
                                # unreleased edits have no version yet
                                "to": doc.version if is_release else None,
                                "items": [_item(c) for c in changes]}
        versions = []
        locked = lock.documents[code]
        for version in locked.versions:
            # The build's own output is this version only while the document is effective at
            # it; during a revision (draft, in review) the last release is rebuilt and offered.
            is_current = (version is locked.latest and doc.status is Status.effective
                          and doc.version == version.version)
            row: dict[str, Any] = {"version": version.version,
                                   "date": version.date.isoformat(), "note": version.summary}
            # Only earlier versions are rebuilt (the current one is the build's own output),
            # and only those whose source is kept: no git look-up for the rest.
            if version.fingerprint is not None and not is_current and \
                    find_release_commit(docset.root, locked, version, code) is not None:
                try:
                    name, data = rebuild_version(docset.root, code, version.version)
                except UsageError:
                    name, data = "", b""
                if data:
                    path = f"{HISTORY_DIR}/{code}/{PurePosixPath(name).name}"
                    files[path] = data
                    row["file"] = path
            versions.append(row)
        entry["versions"] = versions
        documents[code] = entry
    files[INDEX] = json.dumps({"documents": documents}, ensure_ascii=False, indent=1,
                              sort_keys=True).encode("utf-8")
    return files

