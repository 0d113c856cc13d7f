"""Import stage helper: numbers and labels typed at the start of a paragraph.

"1.0 目的", "3.1", "一、", "（一）", "第一条", "a)", "(1)", "①": what kind of label it is, the
values it stands for and the text after it. Automatic numbers read from numbering.xml arrive
here as text too, so both kinds of numbering are recognised by the same rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN = "零〇一二两三四五六七八九十百"
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}


def chinese_value(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十五 → 25, 一百零三 → 103; None when it is no numeral."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN for c in text):
        return None
    total, current = 0, 0
    for char in text:
        if char == "百":
            total += (current or 1) * 100
            current = 0
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGITS[char]
    return total + current


@dataclass(frozen=True)
class Found:
    kind: str  # decimal, decimal_zero, chinese, paren_chinese, chapter, section, article,
    # numbered ("1)"), parenthesised ("(1)"), lettered ("a)"), circled, bullet
    numbers: tuple[int, ...]
    printed: str  # the label as printed, normalised: "3.1", "1.0", "一、", "（一）"
    rest: str  # the text after the label
    separated: bool  # a space, tab or punctuation followed the label

    @property
    def is_list(self) -> bool:
        return self.kind in ("numbered", "parenthesised", "lettered", "circled", "bullet")


_DOT = "[.．]"
_DECIMAL = re.compile(
    rf"^(\d{{1,3}}(?:{_DOT}\d{{1,3}}){{0,6}})(?!\d|[.．]\d)({_DOT}|、)?(\s*)(.*)$", re.S)
_CHINESE = re.compile(rf"^([{_CN}]{{1,4}})\s*[、.．]\s*(.*)$", re.S)
_PAREN_CHINESE = re.compile(rf"^[（(]\s*([{_CN}]{{1,4}})\s*[）)]\s*[、.．]?\s*(.*)$", re.S)
_CHAPTER = re.compile(rf"^第\s*([{_CN}\d]{{1,5}})\s*(章|节|条|部分)\s*(.*)$", re.S)
_NUMBERED = re.compile(r"^(\d{1,2})\s*[)）]\s*(.*)$", re.S)
_PAREN = re.compile(r"^[（(]\s*(\d{1,2})\s*[）)]\s*(.*)$", re.S)
_LETTERED = re.compile(r"^([a-zA-Z])\s*[)）]\s*(.*)$", re.S)
_LETTER_DOT = re.compile(r"^([a-z])[.．、]\s*(.*)$", re.S)
_CIRCLED = re.compile(r"^([\u2460-\u2473])\s*(.*)$", re.S)
_BULLET = re.compile(r"^([•●◆◇■▪▶►·\-–—*])\s*(.*)$", re.S)
_KIND_OF_CHAPTER = {"章": "chapter", "节": "section", "条": "article", "部分": "chapter"}


def find_label(text: str) -> Found | None:
    """The label at the start of `text`, or None."""
    text = text.strip()
    if not text:
        return None
    match = _PAREN.match(text)
    if match:
        return Found("parenthesised", (int(match.group(1)),), f"({match.group(1)})",
                     match.group(2).strip(), True)
    match = _PAREN_CHINESE.match(text)
    if match and (value := chinese_value(match.group(1))):
        return Found("paren_chinese", (value,), f"（{match.group(1)}）", match.group(2).strip(),
                     True)
    match = _CHAPTER.match(text)
    if match and (value := chinese_value(match.group(1))):
        kind = _KIND_OF_CHAPTER[match.group(2)]
        return Found(kind, (value,), f"第{match.group(1)}{match.group(2)}",
                     match.group(3).strip(), True)
    match = _CHINESE.match(text)
    if match and (value := chinese_value(match.group(1))):
        return Found("chinese", (value,), f"{match.group(1)}、", match.group(2).strip(), True)
    match = _NUMBERED.match(text)
    if match:
        return Found("numbered", (int(match.group(1)),), f"{match.group(1)})",
                     match.group(2).strip(), True)
    match = _LETTERED.match(text) or _LETTER_DOT.match(text)
    if match:
        value = ord(match.group(1).lower()) - ord("a") + 1
        return Found("lettered", (value,), f"{match.group(1)})", match.group(2).strip(), True)
    match = _CIRCLED.match(text)
    if match:
        return Found("circled", (ord(match.group(1)) - 0x2460 + 1,), match.group(1),
                     match.group(2).strip(), True)
    match = _DECIMAL.match(text)
    if match:
        raw, punct, space, rest = match.groups()
        numbers = tuple(int(n) for n in re.split(_DOT, raw))
        quantity = re.match(r"^[年月日个小天周次份元件台号]", rest)
        if rest[:1] in ("%", "％") or (not space and quantity):
            return None  # "24小时内", "3个工作日", "2026年": a quantity, not a label
        kind = "decimal"
        printed = raw.replace("．", ".")
        if len(numbers) == 2 and numbers[1] == 0:
            numbers = numbers[:1]
            kind = "decimal_zero"
        if punct == "、" and len(numbers) == 1:
            kind = "decimal_comma"
            printed += "、"
        elif punct and len(numbers) == 1 and kind == "decimal":
            kind = "decimal_dot"
            printed += "."
        return Found(kind, numbers, printed, rest.strip(), bool(punct or space))
    match = _BULLET.match(text)
    if match and match.group(2):
        return Found("bullet", (0,), match.group(1), match.group(2).strip(), True)
    return None
