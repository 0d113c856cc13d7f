"""Import stage helper: the number Word displays before an automatically numbered paragraph.

Word does not store "3.1" in the text of a paragraph numbered by a multilevel list: it stores
a list id and level (w:numPr), and numbering.xml says how each level counts (start, format,
`%1.%2` pattern, restarts). Reading the document without this loses every clause number, so
the counters are replayed in document order, as Word does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.importer.package import W_NS
from generator.numbering import chinese_numeral

_W = f"{{{W_NS}}}"
_CIRCLED = [chr(0x2460 + i) for i in range(20)]


def _val(element: Any, tag: str) -> str | None:
    node = element.find(f"{_W}{tag}") if element is not None else None
    return node.get(f"{_W}val") if node is not None else None


def _roman(n: int) -> str:
    table = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
             (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in table:
        while n >= value:
            out += letters
            n -= value
    return out


def _letters(n: int) -> str:
    # Word repeats the letter: a … z, aa … zz
    if n <= 0:
        return ""
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    """One level's counter as Word prints it in `fmt` (w:numFmt)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional",
               "taiwaneseCounting", "japaneseCounting", "ideographLegalTraditional"):
        return chinese_numeral(n)
    if fmt == "lowerLetter":
        return _letters(n)
    if fmt == "upperLetter":
        return _letters(n).upper()
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "decimalFullWidth":
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt == "none":
        return ""
    return str(n)


@dataclass
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = "%1."
    restart: int | None = None  # w:lvlRestart: restart after this (1-based) level
    legal: bool = False  # w:isLgl: every level printed as arabic
    suffix: str = "tab"
    style: str | None = None  # w:pStyle linking a paragraph style to this level


@dataclass
class _Abstract:
    levels: dict[int, _Level] = field(default_factory=dict)


@dataclass
class Label:
    text: str  # "3.1", "一、", "•"
    fmt: str  # numFmt of the paragraph's own level
    level: int  # 0-based ilvl
    suffix: str  # tab / space / nothing


class WordNumbering:
    """Replays numbering.xml counters; ask `label(num_id, level)` in document order."""

    def __init__(self, numbering: Any | None) -> None:
        self.abstracts: dict[str, _Abstract] = {}
        self.nums: dict[str, tuple[str, dict[int, int]]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.style_levels: dict[str, tuple[str, int]] = {}  # style id → (num id, level)
        if numbering is None:
            return
        for abstract in numbering.findall(f"{_W}abstractNum"):
            parsed = _Abstract()
            for lvl in abstract.findall(f"{_W}lvl"):
                level = _Level()
                start = _val(lvl, "start")
                level.start = int(start) if start and start.lstrip("-").isdigit() else 1
                level.fmt = _val(lvl, "numFmt") or "decimal"
                level.text = _val(lvl, "lvlText") or ""
                restart = _val(lvl, "lvlRestart")
                level.restart = int(restart) if restart and restart.isdigit() else None
                legal = lvl.find(f"{_W}isLgl")
                level.legal = legal is not None and legal.get(f"{_W}val", "1") not in (
                    "0", "false", "off")
                level.suffix = _val(lvl, "suff") or "tab"
                level.style = _val(lvl, "pStyle")
                ilvl = lvl.get(f"{_W}ilvl") or "0"
                parsed.levels[int(ilvl) if ilvl.isdigit() else 0] = level
            self.abstracts[abstract.get(f"{_W}abstractNumId") or ""] = parsed
        for num in numbering.findall(f"{_W}num"):
            overrides: dict[int, int] = {}
            for override in num.findall(f"{_W}lvlOverride"):
                start = _val(override, "startOverride")
                ilvl = override.get(f"{_W}ilvl") or "0"
                if start is not None and start.isdigit() and ilvl.isdigit():
                    overrides[int(ilvl)] = int(start)
            self.nums[num.get(f"{_W}numId") or ""] = (_val(num, "abstractNumId") or "",
                                                      overrides)
        for num_id, (abstract_id, _) in self.nums.items():
            for ilvl, level in self.abstracts.get(abstract_id, _Abstract()).levels.items():
                if level.style:
                    self.style_levels.setdefault(level.style, (num_id, ilvl))

    def label(self, num_id: str, ilvl: int) -> Label | None:
        """The label of the next paragraph on list `num_id` at level `ilvl` (counts it)."""
        if num_id == "0" or num_id not in self.nums:
            return None  # numId 0 switches numbering off
        abstract_id, overrides = self.nums[num_id]
        abstract = self.abstracts.get(abstract_id)
        if abstract is None or ilvl not in abstract.levels:
            return None
        # Lists that share an abstract definition continue one count, unless a num restarts
        # it with startOverride (Word's behaviour).
        key = abstract_id if not overrides else f"{abstract_id}/{num_id}"
        counters = self.counters.setdefault(key, {})
        level = abstract.levels[ilvl]
        start = overrides.get(ilvl, level.start)
        counters[ilvl] = counters.get(ilvl, start - 1) + 1
        for deeper in list(counters):
            if deeper > ilvl:
                restart = abstract.levels.get(deeper, _Level()).restart
                if restart is None or restart > ilvl:
                    del counters[deeper]
        text = level.text
        for shown in range(9):
            token = f"%{shown + 1}"
            if token not in text:
                continue
            other = abstract.levels.get(shown, _Level())
            value = counters.get(shown, overrides.get(shown, other.start))
            fmt = "decimal" if level.legal else other.fmt
            text = text.replace(token, format_number(value, fmt))
        return Label(text=text, fmt=level.fmt, level=ilvl, suffix=level.suffix)
