"""Model stage: how a procedure is laid out — its top-level sections and its clause numbering.

Both are company conventions, so they are data: a set default in wenkong.yaml and a per-document
override in the procedure. Kept apart from settings.py and procedure.py, which both use them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema, model_validator

from generator.i18n import _
from generator.model.common import Id, Strict, _scalar_to_str


class NumberingStyle(StrEnum):
    """How clause numbers are printed."""

    decimal = "decimal"  # 1, 4.2, 5.2.1.3
    decimal_zero = "decimal_zero"  # 1.0, 4.2, 5.2.1.3 (top level carries ".0")
    chinese = "chinese"  # 一、 (一) 1. (1) ①


NUMBER_TOKENS = ("1", "一", "①", "a", "A")
"""What stands for a number in a level format (`一、`, `1.1`, `（1）`, `①`, `a)`)."""
_NUMBER_TOKEN = re.compile("|".join(re.escape(t) for t in NUMBER_TOKENS))


def _check_level_format(value: str) -> str:
    if not _NUMBER_TOKEN.search(value):
        raise ValueError(_("编号格式 {value} 中没有数字：按这一级第一条的样子写，"
                           "如 一、 1.1 （1） ① 第一条").format(value=value))
    return value


# `1.1` and `1.0` are floats to YAML: taken as the text written (like every Text field).
LevelFormatText = Annotated[str, BeforeValidator(_scalar_to_str), Field(min_length=1,
                            max_length=16), AfterValidator(_check_level_format),
                            WithJsonSchema({"type": ["string", "number"]})]
"""One level of a multilevel numbering, written as its first clause prints: 一、 / 1.1 / ①."""

class LevelSpec(Strict):
    """A level written as a mapping, for what a format string cannot say."""

    format: LevelFormatText
    continuous: bool = Field(
        default=False, description="Count on across parents instead of restarting under each: "
        "第一章 第一条…第五条, 第二章 第六条.")


LevelItem = LevelFormatText | LevelSpec
"""`一、` or `{format: 第一条, continuous: true}`."""

NumberingSpec = NumberingStyle | Annotated[list[LevelItem], Field(min_length=1, max_length=9)]
"""A preset name (decimal, decimal_zero, chinese) or one format per level:
`[一、, 1.1, 1.1.1]` prints 三、 then 3.1 and 3.1.1 under it."""


class EmptySection(StrEnum):
    """What a section of the layout shows when a document has nothing for it."""

    print_none = "print_none"  # the heading, then 无
    omit = "omit"  # left out; later sections move up a number


BUILTIN_SECTIONS = ("purpose", "scope", "terms", "responsibilities", "procedure", "related",
                    "records", "attachments")
"""Top-level sections whose content has its own field in a procedure (purpose:, terms: …)."""

_ENTRY_KEYS = frozenset({"key", "title", "empty"})


def _entry_shorthand(value: Any) -> Any:
    # `- purpose` and `- related: 参考文件` are the short forms of {key: …, title: …}
    if isinstance(value, str):
        return {"key": value}
    if isinstance(value, dict) and len(value) == 1 and not set(value) & _ENTRY_KEYS:
        ((key, title),) = value.items()
        return {"key": key, "title": title}
    return value


class SectionEntry(Strict):
    """One top-level section in a layout: its key, and the title the company gives it.

    Written `- purpose`, `- related: 参考文件` or `- {key: related, title: 参考文件, empty: omit}`.
    Keys: purpose, scope, terms, responsibilities, procedure, related, records, attachments, or a
    key of the company's own whose clauses a procedure gives under `sections:`.
    """

    key: Id
    title: str | None = Field(default=None, min_length=1,
                              description="Printed title; default: section_titles (built-in).")
    empty: EmptySection | None = Field(
        default=None, description="When a document has nothing for it: print_none (无) or omit. "
        "Default: the set's empty_sections.")

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        return _entry_shorthand(value)

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> Any:
        # editors must accept the short forms too: `- purpose` and `- related: 参考文件`
        return {"anyOf": [
            {"type": "string", "description": "a section key: purpose, scope, related …"},
            {"type": "object", "minProperties": 1, "maxProperties": 1,
             "additionalProperties": {"type": "string"},
             "description": "key: printed title, e.g. related: 参考文件"},
            handler(core_schema),
        ]}


Layout = Annotated[list[SectionEntry], Field(min_length=1)]
"""The top-level sections of a procedure, in print order."""
