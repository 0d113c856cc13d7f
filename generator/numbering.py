"""Resolve stage helper: how clause numbers, list labels and step letters are printed.

Clause numbers follow a *numbering*: one format per level, like Word's multilevel lists. A level
format is written as the first clause of that level prints (every number 1): `一、`, `1.1`,
`1.0`, `（一）`, `第一条`, `①`. Each number in it stands for one level, the last for the level
itself and those before it for its parents, in the style it is written in: `1.1` under `一、`
prints `3.1` below `三、`. Everything else in the format is printed as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from generator.i18n import _
from generator.model.layout import NUMBER_TOKENS, LevelSpec, NumberingSpec, NumberingStyle
from generator.model.procedure import ListStyle

_DIGITS = "零一二三四五六七八九"
_CIRCLED = [chr(0x2460 + i) for i in range(20)]  # ① … ⑳
_TOKEN = re.compile("|".join(re.escape(t) for t in NUMBER_TOKENS))
# Trailing punctuation a reference leaves off: 三、 → 三, 5.0 → 5, 1. → 1 (but 1) and （一） keep).
_REFERENCE_TAIL = re.compile(r"[、.．0\s]*")

PRESETS: dict[NumberingStyle, tuple[str, ...]] = {
    NumberingStyle.decimal: ("1", "1.1", "1.1.1", "1.1.1.1"),
    NumberingStyle.decimal_zero: ("1.0", "1.1", "1.1.1", "1.1.1.1"),
    NumberingStyle.chinese: ("一、", "（一）", "1.", "（1）", "①"),
}
"""Today's numbering styles as level formats (deeper levels extend the last one)."""


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (enough for clause numbers)."""
    if n < 10:
        return _DIGITS[n]
    tens, units = divmod(n, 10)
    if tens >= 10:
        return str(n)
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[units] if units else "")


def _number(n: int, token: str) -> str:
    if token == "一":
        return chinese_numeral(n)
    if token == "①":
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if token in "aA":
        text = letters(n)
        return text.lower() if token == "a" else text
    return str(n)


@dataclass(frozen=True)
class LevelFormat:
    """One level's format, split into literal text and number tokens (`1`, `一`, `①`, `a`)."""

    parts: tuple[tuple[bool, str], ...]  # (is_number, text)
    # How many levels it prints (its own and the parents before it), computed once.
    count: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", sum(1 for is_number, _part in self.parts if is_number))

    @classmethod
    def parse(cls, text: str) -> LevelFormat:
        parts: list[tuple[bool, str]] = []
        position = 0
        for match in _TOKEN.finditer(text):
            if match.start() > position:
                parts.append((False, text[position:match.start()]))
            parts.append((True, match.group(0)))
            position = match.end()
        if position < len(text):
            parts.append((False, text[position:]))
        if not any(is_number for is_number, _part in parts):
            raise ValueError(_("编号格式 {text!r} 中没有数字（请写 1、一、① 或 a）").format(
                text=text))
        return cls(tuple(parts))

    def render(self, numbers: tuple[int, ...], *, reference: bool = False) -> str:
        """The label for `numbers` (the last numbers fill the tokens, the parents' first)."""
        values = numbers[-self.count:]
        parts = list(self.parts)
        if reference:  # leave off the trailing 、 or .0: "按三" / "见 5"
            while parts and not parts[-1][0] and _REFERENCE_TAIL.fullmatch(parts[-1][1]):
                parts.pop()
        out = []
        index = 0
        for is_number, text in parts:
            if is_number:
                out.append(_number(values[index], text))
                index += 1
            else:
                out.append(text)
        return "".join(out)


@dataclass(frozen=True)
class Numbering:
    """A multilevel numbering: the format of each level, deeper levels extending the last."""

    levels: tuple[LevelFormat, ...]
    continuous: tuple[bool, ...] = ()  # per level: counts on across parents
    # Labels printed so far, by numbers (a set prints the same few thousand again and again).
    # Not part of its state: a pickle of a resolved document (the build cache's key) must not
    # depend on which labels were asked for before.
    _labels: dict[tuple[int, ...], str] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __getstate__(self) -> dict[str, object]:
        return {"levels": self.levels, "continuous": self.continuous}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_labels", {})

    @classmethod
    def of(cls, spec: NumberingSpec) -> Numbering:
        items = PRESETS[spec] if isinstance(spec, NumberingStyle) else tuple(spec)
        formats = tuple(i.format if isinstance(i, LevelSpec) else i for i in items)
        continuous = tuple(isinstance(i, LevelSpec) and i.continuous for i in items)
        found = _NUMBERINGS.get((formats, continuous))
        if found is None:  # one per style: every procedure of a set shares its labels
            found = _NUMBERINGS[formats, continuous] = cls(
                tuple(LevelFormat.parse(f) for f in formats), continuous)
        return found

    def counts_on(self, depth: int) -> bool:
        """Whether level `depth` counts on across its parents (第六条 under 第二章)."""
        return depth <= len(self.continuous) and self.continuous[depth - 1]

    def level(self, depth: int) -> LevelFormat:
        """The format of level `depth` (1-based). Below the last level given: a full path that
        ends in a number grows by `.1` (5.2.1.3.1); any other format repeats (①)."""
        if depth <= len(self.levels):
            return self.levels[depth - 1]
        last = self.levels[-1]
        is_number, token = last.parts[-1]
        if last.count == len(self.levels) and is_number:
            extra = depth - len(self.levels)
            return LevelFormat(last.parts + ((False, "."), (True, token)) * extra)
        return last

    def _format(self, numbers: tuple[int, ...]) -> LevelFormat:
        fmt = self.level(len(numbers))
        return fmt if fmt.count <= len(numbers) else LevelFormat(fmt.parts[-1:])

    def label(self, numbers: tuple[int, ...]) -> str:
        """The number printed before a clause: 5.2.1 / 5.0 / 一、 / 3.1 / （二）."""
        found = self._labels.get(numbers)
        if found is None:
            found = self._labels[numbers] = self._format(numbers).render(numbers)
        return found

    def reference(self, numbers: tuple[int, ...]) -> str:
        """How a reference names a clause: the full path, so it is never ambiguous (三 / 3.1 /
        五（二）1 / 第二章第三条)."""
        fmt = self._format(numbers)
        own = fmt.render(numbers, reference=True)
        covered = fmt.count
        if covered >= len(numbers) or self.counts_on(len(numbers)):
            return own  # a level that counts on is unique without its parents: 第六条
        return self.reference(numbers[:len(numbers) - covered]) + own


_NUMBERINGS: dict[tuple[tuple[str, ...], tuple[bool, ...]], Numbering] = {}


class Printed:
    """The numbers a document prints for its items, from their positions, in document order.

    Positions (5, 2, 1) stay the anchors; a level that counts on across its parents prints its
    running count instead (第二章 第六条 is position (2, 1), printed (2, 6)).
    """

    def __init__(self, numbering: Numbering) -> None:
        self.numbering = numbering
        self.printed: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._running: dict[int, int] = {}

    def add(self, position: tuple[int, ...]) -> tuple[int, ...]:
        """Number the next item (call in document order, each item once)."""
        found = self.printed.get(position)
        if found is not None:
            return found
        parent = self.printed.get(position[:-1], position[:-1])
        depth = len(position)
        own = position[-1]
        if self.numbering.counts_on(depth):
            own = self._running[depth] = self._running.get(depth, 0) + 1
        printed = self.printed[position] = (*parent, own)
        return printed


def clause_label(numbers: tuple[int, ...], style: NumberingSpec) -> str:
    """The number printed before a clause in a preset or level-format numbering."""
    return Numbering.of(style).label(numbers)


def reference_label(numbers: tuple[int, ...], style: NumberingSpec) -> str:
    """How a reference names a clause in a preset or level-format numbering."""
    return Numbering.of(style).reference(numbers)


def label_gap(label: str) -> str:
    """What follows a number label before its text: a space after `5.2.1`, none after `一、`
    or `（二）` (the punctuation is the gap)."""
    return "" if label.endswith(("、", "）", "．")) else " "


@cache
def anchor(numbers: tuple[int, ...]) -> str:
    return "c" + "-".join(str(n) for n in numbers)


@cache
def list_label(index: int, style: ListStyle) -> str:
    """Label of the index-th (1-based) item of a list."""
    if style is ListStyle.lettered:
        return f"{letters(index).lower()})"
    if style is ListStyle.numbered:
        return f"{index})"
    if style is ListStyle.parenthesised:
        return f"({index})"
    if style is ListStyle.circled:
        return _CIRCLED[index - 1] if index <= len(_CIRCLED) else f"({index})"
    return "•"


def letters(index: int) -> str:
    """1 → A, 26 → Z, 27 → AA: process step letters."""
    text = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text
