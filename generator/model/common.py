"""Model stage: shared building blocks (strict base model, safe identifiers, people, revisions)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
)

from generator.i18n import _

# A code or id becomes a file name (QP-15_A-1_title.docx, site/procedures/QP-15.md), so it
# must be safe as one: no slashes, no "..", no control characters, no leading dot or dash.
_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SAFE_ID = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


# Names Windows reserves for devices, with any extension and in any case: a file `CON.md` or
# `nul.json` cannot be opened once the site or the records are copied to a Windows share.
_WINDOWS_DEVICES = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)


def is_windows_reserved(name: str) -> bool:
    """True for a file name Windows cannot use: a device name (CON, NUL, COM1, LPT1 …, also
    with an extension) or a name ending in a dot or a space."""
    return bool(_WINDOWS_DEVICES.match(name)) or name.endswith((".", " "))


def _check_code(value: str) -> str:
    if not _SAFE_CODE.fullmatch(value) or ".." in value:
        raise ValueError(
            f"{value!r} is not a usable document code: use letters, digits, '-', '_' and '.', "
            "start with a letter or digit, no '..', at most 64 characters (e.g. QP-15, QR-15-01)"
        )
    if is_windows_reserved(value):
        raise ValueError(_(
            "{value!r} 不能用作文件编号：Windows 把 CON、PRN、AUX、NUL、COM1–COM9、LPT1–LPT9"
            "（不分大小写，带扩展名也一样）和以点结尾的名字留作设备名，用它命名的文件在 Windows "
            "共享盘上打不开。请换一个编号，例如 QP-15。").format(value=value))
    return value


def _check_id(value: str) -> str:
    if not _SAFE_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a usable id: use lower-case letters, digits, '-' and '_', "
            "starting with a letter (e.g. quality, sales-dept)"
        )
    if is_windows_reserved(value):
        raise ValueError(_(
            "{value!r} 不能用作 id：Windows 把 con、prn、aux、nul、com1–com9、lpt1–lpt9 "
            "留作设备名，网站上以它命名的页面在 Windows 共享盘上打不开。请换一个 id。"
        ).format(value=value))
    return value


FROM_SOURCE = {"from_source": True}
"""Validation context of the loader (generator/load.py): it gives a text field the scalar as
written in the file (`1.10`, not the float 1.1), so the field must not convert numbers itself."""


def _scalar_to_str(value: Any, info: ValidationInfo) -> Any:
    # YAML reads `version: 1` as an int and `1.0` as a float; versions are labels, not numbers.
    # Read from a file, the loader supplies the text as written (`1.10`) when this fails.
    if isinstance(value, bool) or (info.context or {}).get("from_source"):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


Code = Annotated[str, AfterValidator(_check_code)]
"""A document code (QP-15, QR-15-01): unique across the set and safe as a file name."""

Id = Annotated[str, AfterValidator(_check_id)]
"""A stable machine id (roles, clauses, process steps)."""

# Bare numbers are accepted and kept as text, so editors must not flag them either.
_TEXT_OR_NUMBER = WithJsonSchema({"type": ["string", "number"]})

VersionLabel = Annotated[
    str, BeforeValidator(_scalar_to_str), Field(min_length=1, max_length=16), _TEXT_OR_NUMBER
]
"""A version as the company writes it: A/0, V1.0, 3."""

Text = Annotated[str, BeforeValidator(_scalar_to_str), Field(min_length=1), _TEXT_OR_NUMBER]
"""Chinese-first prose. May carry inline references 【form:QR-15-01】 resolved at load time."""


Cell = Annotated[str, BeforeValidator(_scalar_to_str), _TEXT_OR_NUMBER]
"""A table cell: numbers written bare in YAML are kept as the text the user typed."""


class Strict(BaseModel):
    """Base of every source model: unknown keys are errors (a typo like `purpos:` must not pass)."""

    # defer_build: a model's validator is built when first used, not at import: a command
    # that takes every document from the load cache never builds Procedure's or Form's.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Person(Strict):
    """One signature on the approval block: who signed, in which role, on which day."""

    name: Text
    role: Id | None = None
    date: dt.date | None = None


class Approval(Strict):
    """编写 / 审核 / 批准: drafted, reviewed and approved by."""

    author: Person
    reviewer: Person | None = None
    approver: Person | None = None


class Revision(Strict):
    """One row of the revision history (修改履历)."""

    version: VersionLabel
    date: dt.date
    clauses: str = "全文"
    summary: Text
    author: Text
    reviewer: str | None = None
    approver: str | None = None
    remark: str | None = None



def text_or_mapping(value: Any) -> str:
    """Discriminator for `Text | Model` unions, told apart by the YAML shape so that errors
    speak of one alternative only (a plain union reports "not a string" next to the real one).
    A bare number, yes/no or date is text as written."""
    return "<text>" if isinstance(value, str | int | float | dt.date) else "<mapping>"


_ADDED = "x-wenkong-added"


def added_field(default: Any = None, *, default_factory: Any = None, **kwargs: Any) -> Any:
    """A field added to the model after documents were released (pydantic `Field`).

    While a document leaves it at its default it is not part of the document's content
    fingerprint (control/content.py), so the lock of every released document stays valid when
    the model grows. Every new field of a document model must be declared this way, and its
    default must reproduce the output of a document written before it existed.
    """
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra[_ADDED] = True
    if default_factory is not None:
        return Field(default_factory=default_factory, json_schema_extra=extra, **kwargs)
    return Field(default=default, json_schema_extra=extra, **kwargs)


def is_added_field(field: Any) -> bool:
    """True for a field declared with `added_field()`."""
    extra = getattr(field, "json_schema_extra", None)
    return isinstance(extra, dict) and bool(extra.get(_ADDED))
