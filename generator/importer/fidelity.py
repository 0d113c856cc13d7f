"""Import stage, check: how much of the original comes back out of the rebuilt document.

The fidelity score is the share of the original's characters found, in order, in the text of
the .docx that `wenkong build` makes from the imported YAML: the length of the longest common
subsequence of the two texts divided by the length of the original's. White space is not
counted (Word and Wenkong space labels differently); characters the rebuild adds (references
print their code, the cover prints its labels) cost nothing, characters it drops or reorders
do. The longest common subsequence is computed bit-parallel (rapidfuzz), so a long procedure
takes milliseconds.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import LCSseq

from generator.importer.package import built_package
from generator.importer.reader import read_document

_INVISIBLE = re.compile(r"[\s\u200b\u3000\u00a0\ufeff]+")
_PAGE = re.compile(r"第\s*\d+\s*页\s*共\s*\d+\s*页|\b\d+\s*/\s*\d+\b")


def normalise(text: str) -> str:
    """The characters that count: no white space, no page numbers (fields, not content)."""
    return _INVISIBLE.sub("", _PAGE.sub("", text))


def docx_text(data: bytes) -> str:
    """The text of a .docx in memory, read the way the importer reads originals."""
    return read_document(built_package(data)).all_text()


def without_labels(original: str, labels: list[str]) -> str:
    """The original without the cover's field labels (文件编号：, 编制人/日期：): they are words
    of the company's form, which the set's Word template prints in its own wording."""
    for label in labels:
        original = original.replace(label, "", 1)
    return original


def fidelity(original: str, rebuilt: str) -> float:
    """Share (0…1) of the original's characters found in order in the rebuilt text."""
    source = normalise(original)
    if not source:
        return 1.0
    return LCSseq.similarity(source, normalise(rebuilt)) / len(source)


def missing_text(original: str, rebuilt: str, limit: int = 5) -> list[str]:
    """The longest runs of the original that the rebuilt text lacks (for the report)."""
    source, target = normalise(original), normalise(rebuilt)
    opcodes = LCSseq.editops(source, target).as_opcodes()  # type: ignore[attr-defined]
    runs = [source[o.src_start:o.src_end] for o in opcodes if o.tag in ("delete", "replace")
            and o.src_end > o.src_start]
    runs.sort(key=len, reverse=True)
    return [r[:40] + ("…" if len(r) > 40 else "") for r in runs[:limit] if len(r) >= 2]
