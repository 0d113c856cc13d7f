"""Render stage (site): the optional version-history input of the procedure and form pages.

The site shows, for each document, "changes in this version" and "every earlier released
version" downloads once the document-control tooling provides them. The input is data, not
code: a renderer that runs before the site (see generator/build.py `renderers()`) puts a JSON
file at `history/index.json` in the build output, and the released .docx files it names anywhere
in that output. Without the file the pages simply leave those parts out.

Format of `history/index.json` (every key optional except `documents`):

    {"documents": {
        "QP-01": {
            "changes": {"from": "A/0", "to": "A/1",
                        "items": [{"kind": "added", "text": "5.2.3 增加……"},
                                  {"kind": "removed", "text": "…"},
                                  {"kind": "changed", "text": "…"}]},
            "versions": [{"version": "A/0", "date": "2019-03-01",
                          "file": "history/QP-01/QP-01_A-0_文件控制程序.docx",
                          "note": "首次发行"}]
        }}}

`file` is a path in the build output; the site copies it next to the page's other downloads.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from generator.errors import WenkongError
from generator.i18n import _

HISTORY_INDEX = "history/index.json"

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class ChangeItem:
    kind: ChangeKind
    text: str


@dataclass(frozen=True)
class VersionChanges:
    """What changed from the previous released version to the current one."""

    from_version: str | None
    to_version: str | None
    items: tuple[ChangeItem, ...]


@dataclass(frozen=True)
class ReleasedVersion:
    version: str
    date: str | None
    file: str | None  # path of the .docx in the build output
    note: str | None


@dataclass(frozen=True)
class DocumentHistory:
    changes: VersionChanges | None = None
    versions: tuple[ReleasedVersion, ...] = ()


@dataclass(frozen=True)
class History:
    documents: dict[str, DocumentHistory] = field(default_factory=dict)

    def of(self, code: str) -> DocumentHistory:
        return self.documents.get(code, DocumentHistory())


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def load_history(rendered: Mapping[str, bytes]) -> History:
    """The history provided by earlier renderers, or an empty one."""
    data = rendered.get(HISTORY_INDEX)
    if data is None:
        return History()
    try:
        raw = json.loads(data.decode("utf-8"))
        documents: dict[str, DocumentHistory] = {}
        for code, entry in dict(raw["documents"]).items():
            changes = entry.get("changes")
            documents[str(code)] = DocumentHistory(
                changes=None if changes is None else VersionChanges(
                    from_version=_text(changes.get("from")),
                    to_version=_text(changes.get("to")),
                    items=tuple(ChangeItem(kind=item.get("kind", "changed"),
                                           text=str(item["text"]))
                                for item in changes.get("items", [])),
                ),
                versions=tuple(
                    ReleasedVersion(version=str(v["version"]), date=_text(v.get("date")),
                                    file=_text(v.get("file")), note=_text(v.get("note")))
                    for v in entry.get("versions", [])
                ),
            )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        # Written by our own tooling: a malformed file is a bug there, said plainly.
        raise WenkongError(_("输出中的 {file} 已损坏：{detail}").format(
            file=HISTORY_INDEX, detail=repr(exc))) from None
    return History(documents)
