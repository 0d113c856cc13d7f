"""Resolve stage helper: how clause numbers, list labels and step letters are printed."""

from __future__ import annotations

from generator.model.procedure import ListStyle
from generator.model.settings import NumberingStyle

_DIGITS = "零一二三四五六七八九"
_CIRCLED = [chr(0x2460 + i) for i in range(20)]  # ① … ⑳


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 25 → 二十五 (enough for clause numbers)."""
    if n < 10:
        return _DIGITS[n]
    tens, units = divmod(n, 10)
    if tens >= 10:
        return str(n)
    head = "" if tens == 1 else _DIGITS[tens]
    return head + "十" + (_DIGITS[units] if units else "")


def clause_label(numbers: tuple[int, ...], style: NumberingStyle) -> str:
    """The number printed before a clause: 5.2.1 / 5.0 / 一、(二) …"""
    if style is NumberingStyle.chinese:
        n = numbers[-1]
        depth = len(numbers)
        if depth == 1:
            return f"{chinese_numeral(n)}、"
        if depth == 2:
            return f"（{chinese_numeral(n)}）"
        if depth == 3:
            return f"{n}."
        if depth == 4:
            return f"（{n}）"
        return _CIRCLED[n - 1] if n <= len(_CIRCLED) else f"{n})"
    text = ".".join(str(n) for n in numbers)
    if style is NumberingStyle.decimal_zero and len(numbers) == 1:
        text += ".0"
    return text


def reference_label(numbers: tuple[int, ...], style: NumberingStyle) -> str:
    """How a reference names a clause: the full path, so it is never ambiguous."""
    if style is NumberingStyle.chinese:
        return "".join(clause_label(numbers[: i + 1], style).rstrip("、.") for i in
                       range(len(numbers)))
    return ".".join(str(n) for n in numbers)


def anchor(numbers: tuple[int, ...]) -> str:
    return "c" + "-".join(str(n) for n in numbers)


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
