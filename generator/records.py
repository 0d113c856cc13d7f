"""Records (质量记录): read filled forms back, validate them, file them in the records folder.

Beside the pipeline, like generator/control/: it reuses load → model → resolve for the form
schemas and the form builder's control plan (generator/render/docx/form.py) to know which
control holds which field.

How a filled .docx is read
1. Which form: the custom document properties the blank form carries (WenkongFormCode,
   WenkongFormVersion), else the locked code/version control in the header, else the printed
   `QR-15-01 A/0` text. The version must be the form's current version: a record on an
   obsolete or unknown version is refused.
2. Which control is which field: in a file saved by Word every control keeps its `w:tag` (the
   field id). LibreOffice 7.4 drops tags when it re-saves, splits a text control into several
   copies with the same alias (the first holds the text), and keeps only the state of
   checkboxes. So the controls are aligned, in document order, with the form's control plan:
   each must have the planned kind, and its tag (when present) or its alias (text controls)
   must match; repeating-table rows repeat as long as they match. Anything else is reported as
   "cannot identify field …".
   Known loss: LibreOffice joins the lines of a multi-line box into one when it re-saves.
3. Values are checked against the schema: types, required fields, options, dates, numbers and
   their limits. Placeholder text (the grey hint, the 年 月 日 of a date box) is never a value.

How records are filed
`records/<form code>/<key>.json`, one per filled form, and `records/<form code>/register.csv`
(UTF-8 with BOM, so Excel shows the Chinese) listing every record of that form. The key is the
form's 编号 (serial number) when it has one and it was filled in, else the first 16 hex digits
of the SHA-256 of the record's values (line breaks not counted), so importing the same form
again (even re-saved by another editor) finds the same record and writes nothing new. A
different form under an existing 编号 is refused unless `replace` is asked for. Every file of a
batch is read and checked before anything is written: one bad file, and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from generator.docset import DocumentSet, FormDoc
from generator.errors import WenkongError, display_path
from generator.i18n import _
from generator.model.common import is_windows_reserved
from generator.model.form import ColumnType, FieldType, Form, FormField, FormTable
from generator.model.procedure import Status
from generator.render.docx.form import (
    PROPERTY_CODE,
    PROPERTY_VERSION,
    TAG_FORM,
    TAG_SERIAL,
    FormLabels,
    PlanItem,
    Slot,
    TableSlots,
    code_alias,
    control_plan,
    load_form_labels,
)
from generator.render.docx.sdt import W14_NS, W15_NS, W_NS
from generator.write import write_file

REGISTER_FILE = "register.csv"
Value = Any  # str | float | int | bool | list[str] | dict | list[dict] | None
Progress = Callable[[int, int], None]  # (files read, total)

_W = f"{{{W_NS}}}"
# A form is small: refuse zip bombs and padded files instead of reading them. Every part read
# is capped by what it holds after decompression, not by what its zip header claims.
_MAX_FILE = 100 * 1024 * 1024
_MAX_PART = {"word/document.xml": 50 * 1024 * 1024, "docProps/custom.xml": 1024 * 1024}


class RecordErrors(WenkongError):
    """Problems found in filled forms; nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        super().__init__(_("填好的表单中有 {count} 个问题；什么也没有写入：").format(
            count=len(problems)) + f"\n{listing}")

    def __reduce__(self) -> tuple[type[RecordErrors], tuple[list[str]]]:
        return (type(self), (self.problems,))


# --- reading the controls ----------------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """One content control of a filled form, as found in document order."""

    kind: str  # text, rich, date, dropdown, checkbox
    tag: str | None
    alias: str | None
    text: str
    checked: bool | None = None
    full_date: str | None = None
    showing_placeholder: bool = False
    paragraph: Any = None  # the w:p an inline control sits in (to join LibreOffice's copies)

    def describe(self) -> str:
        name = self.tag or self.alias
        if name:
            return _("{kind} 控件 {name!r}").format(kind=self.kind, name=name)
        return _("{kind} 控件").format(kind=self.kind)


def _text_of(element: Any) -> str:
    """The text of runs as a reader sees it: w:br and w:cr as new lines, w:tab as a tab."""
    parts: list[str] = []
    for node in element.iter(f"{_W}t", f"{_W}br", f"{_W}cr", f"{_W}tab"):
        if node.tag == f"{_W}t":
            parts.append(node.text or "")
        elif node.tag == f"{_W}tab":
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def _block_text(content: Any) -> str:
    return "\n".join(_text_of(p) for p in content.findall(f"{_W}p"))


def _kind(properties: Any) -> str | None:
    if properties.find(f"{{{W14_NS}}}checkbox") is not None:
        return "checkbox"
    if properties.find(f"{_W}date") is not None:
        return "date"
    if (properties.find(f"{_W}dropDownList") is not None
            or properties.find(f"{_W}comboBox") is not None):
        return "dropdown"
    if properties.find(f"{_W}text") is not None:
        return "text"
    for other in ("picture", "docPartObj", "docPartList", "group", "citation",
                  "bibliography", "equation"):
        if properties.find(f"{_W}{other}") is not None:
            return None
    return "rich"


def _trailing_paragraphs(sdt: Any) -> str:
    """Text of the paragraphs after an inline rich-text control, in the same table cell.

    LibreOffice turns a block-level rich-text control (a long-text box) into an inline one
    around the first paragraph and leaves the following paragraphs outside it.
    """
    paragraph = sdt.getparent()
    if paragraph is None or paragraph.tag != f"{_W}p":
        return ""
    cell = paragraph.getparent()
    if cell is None or cell.tag != f"{_W}tc":
        return ""
    lines = []
    for sibling in paragraph.itersiblings(f"{_W}p"):
        if sibling.find(f".//{_W}sdt") is not None:
            break
        lines.append(_text_of(sibling))
    return "\n".join(lines)


def read_controls(body: Any) -> list[Control]:
    """Every value-holding content control under `body`, in document order.

    Structure controls (repeating sections and their items, and the paragraph-wide wrappers
    LibreOffice adds around checkboxes) hold no value and are skipped.
    """
    found: list[Control] = []
    for sdt in body.iter(f"{_W}sdt"):
        properties = sdt.find(f"{_W}sdtPr")
        content = sdt.find(f"{_W}sdtContent")
        if properties is None or content is None:
            continue
        if (properties.find(f"{{{W15_NS}}}repeatingSection") is not None
                or properties.find(f"{{{W15_NS}}}repeatingSectionItem") is not None
                or content.find(f".//{_W}sdt") is not None):
            continue
        kind = _kind(properties)
        if kind is None:
            continue
        tag = properties.find(f"{_W}tag")
        alias = properties.find(f"{_W}alias")
        if kind == "rich" and tag is None and alias is None:
            # Every value control of a blank form is named. LibreOffice turns each repeating
            # section item (a table row) into a nameless control around the row's 序号.
            continue
        block = content.find(f"{_W}p") is not None
        text = _block_text(content) if block else _text_of(content)
        if kind == "rich" and not block:
            tail = _trailing_paragraphs(sdt)
            text = f"{text}\n{tail}" if tail else text
        checked = None
        if kind == "checkbox":
            state = properties.find(f"{{{W14_NS}}}checkbox/{{{W14_NS}}}checked")
            value = state.get(f"{{{W14_NS}}}val", "0") if state is not None else "0"
            checked = value.lower() in ("1", "true", "on")
        date = properties.find(f"{_W}date")
        found.append(Control(
            kind=kind,
            tag=tag.get(f"{_W}val") if tag is not None else None,
            alias=alias.get(f"{_W}val") if alias is not None else None,
            text=text,
            checked=checked,
            full_date=date.get(f"{_W}fullDate") if date is not None else None,
            showing_placeholder=properties.find(f"{_W}showingPlcHdr") is not None,
            paragraph=None if block else sdt.getparent(),
        ))
    return _join_copies(found)


def _join_copies(controls: list[Control]) -> list[Control]:
    """Fold LibreOffice's copies of one text control back into one (the first holds the text).

    LibreOffice 7.4 writes a text control holding Chinese as several untagged controls with the
    same alias in the same paragraph: `值`, `值值`, `值`. Word never does this.
    """
    joined: list[Control] = []
    for control in controls:
        previous = joined[-1] if joined else None
        if (previous is not None and control.tag is None and previous.tag is None
                and control.kind in ("text", "rich") and control.kind == previous.kind
                and control.alias is not None and control.alias == previous.alias
                and control.paragraph is not None and control.paragraph is previous.paragraph):
            continue
        joined.append(control)
    return joined


# --- the filled file -----------------------------------------------------------------------


@dataclass
class FilledFile:
    path: Path
    sha256: str
    properties: dict[str, str]
    body: Any
    text: str


class _Damaged(Exception):
    pass


def _parse(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(data, parser)


def _read_part(package: zipfile.ZipFile, name: str) -> bytes:
    """One part of the package, refused when it unpacks to more than its cap."""
    cap = _MAX_PART[name]
    if package.getinfo(name).file_size > cap:
        raise _Damaged(_("{part} 大于 {size} MB，不是正常的表单，未读取").format(
            part=name, size=cap // (1024 * 1024)))
    with package.open(name) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise _Damaged(_("{part} 解压后大于 {size} MB，不是正常的表单，未读取").format(
            part=name, size=cap // (1024 * 1024)))
    return data


def open_filled(path: Path) -> FilledFile:
    """Open a filled form; raise _Damaged with a clerk-readable reason when it is no .docx."""
    try:
        if path.stat().st_size > _MAX_FILE:
            raise _Damaged(_("文件大于 {size} MB，不是正常的表单，未读取").format(
                size=_MAX_FILE // (1024 * 1024)))
        data = path.read_bytes()
    except OSError as exc:
        raise _Damaged(_("无法读取文件：{reason}").format(reason=exc.strerror)) from None
    if not data.startswith(b"PK"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise _Damaged(_("不是 .docx（Word）文件（旧的 .doc 文件？请在 Word 中另存为 .docx）"))
        raise _Damaged(_("不是 .docx（Word）文件"))
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
        if "word/document.xml" not in names:
            raise _Damaged(_("不是 Word 文档（缺少 word/document.xml）"))
        document = _parse(_read_part(package, "word/document.xml"))
        properties: dict[str, str] = {}
        if "docProps/custom.xml" in names:
            custom = _parse(_read_part(package, "docProps/custom.xml"))
            for prop in custom:
                name = prop.get("name")
                if name and len(prop):
                    properties[name] = (prop[0].text or "").strip()
    except _Damaged:
        raise
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, OSError, EOFError,
            ValueError) as exc:
        raise _Damaged(_("文件已损坏，无法读取（{detail}）").format(detail=exc)) from None
    body = document.find(f"{_W}body")
    if body is None:
        raise _Damaged(_("不是 Word 文档（没有正文）"))
    return FilledFile(path, hashlib.sha256(data).hexdigest(), properties, body,
                      _text_of(body))


# --- identifying the form ------------------------------------------------------------------


def identify(filled: FilledFile, docset: DocumentSet, labels: FormLabels) -> tuple[FormDoc, str]:
    """The form schema and the version label a filled file was made from.

    Raises ValueError with a message for the clerk when the form is unknown or not current.
    """
    code = filled.properties.get(PROPERTY_CODE)
    version = filled.properties.get(PROPERTY_VERSION)
    if not code or not version:
        code, version = _identify_from_text(filled, docset, labels)
    by_code = {doc.code: doc for doc in docset.forms.values()}
    doc = by_code.get(code) or docset.forms.get(code)
    if doc is None:
        known = ", ".join(sorted(by_code)) or _("无")
        raise ValueError(_("未知表单 {code}（不在文件集中；已有表单：{known}）").format(
            code=code, known=known))
    if doc.status is Status.obsolete:
        raise ValueError(_("表单 {code} {title} 已作废：不再用它填写记录").format(
            code=doc.code, title=doc.title))
    if version != doc.version:
        older = [r.version for r in doc.model.revisions]
        message = (_("{code} {title} 的版本 {version} 已作废；现行版本是 {current}："
                     "请把内容抄到现行版本的空白表单上再导入") if version in older else
                   _("{code} {title} 的版本 {version} 未知；现行版本是 {current}："
                     "请把内容抄到现行版本的空白表单上再导入"))
        raise ValueError(message.format(version=version, code=doc.code, title=doc.title,
                                        current=doc.version))
    if doc.status is not Status.effective:
        raise ValueError(_("表单 {code} {version} 尚未发布（状态 {status}）："
                           "只保存已发布表单上的记录")
                         .format(code=doc.code, version=doc.version, status=doc.status.value))
    return doc, version


def _identify_from_text(filled: FilledFile, docset: DocumentSet,
                        labels: FormLabels) -> tuple[str, str]:
    for control in read_controls(filled.body):
        if control.tag == TAG_FORM or control.alias == code_alias(labels):
            parts = control.text.strip().rsplit(None, 1)
            if len(parts) == 2:
                return parts[0], parts[1]
    codes = sorted((doc.code for doc in docset.forms.values()), key=len, reverse=True)
    for code in codes:
        match = re.search(rf"(?<![\w-]){re.escape(code)}\s+(\S{{1,16}})", filled.text)
        if match:
            return code, match.group(1)
    raise ValueError(_("无法判断这是哪份表单：上面没有表单编号和版本"
                       "（它是用 wenkong 生成的空白表单填写的吗？）"))


# --- aligning controls with the plan ------------------------------------------------------


@dataclass
class Matched:
    """Controls found for each field: key → [(slot, control)], tables → rows of those."""

    fields: dict[str, list[tuple[Slot, Control]]] = field(default_factory=dict)
    tables: dict[str, list[dict[str, tuple[Slot, Control]]]] = field(default_factory=dict)


class _Unidentified(ValueError):
    pass


def _fits(slot: Slot, control: Control) -> bool:
    kinds = {slot.kind, control.kind}
    if slot.kind != control.kind and kinds != {"text", "rich"}:
        return False
    if control.tag is not None:
        return control.tag == slot.tag
    if control.alias is not None and control.kind in ("text", "rich"):
        return control.alias == slot.alias
    return True


def _name(slot: Slot, form: Form) -> str:
    label = slot.alias.split("：")[0]
    return f"{label} ({slot.key})" if not slot.key.startswith("wenkong:") else label


def align(plan: tuple[PlanItem, ...], controls: list[Control], form: Form) -> Matched:
    """Pair every planned control with the control found at its place; raise _Unidentified."""
    matched = Matched()
    i = 0
    for item in plan:
        if isinstance(item, TableSlots):
            rows = matched.tables.setdefault(item.table.id, [])
            width = len(item.row)
            while i + width <= len(controls) and all(
                    _fits(s, controls[i + k]) for k, s in enumerate(item.row)):
                rows.append({s.part or s.key: (s, controls[i + k])
                             for k, s in enumerate(item.row)})
                i += width
            continue
        if i >= len(controls):
            raise _Unidentified(_("无法识别字段 {field}：它的控件不见了（从表单中删掉了？）")
                                .format(field=_name(item, form)))
        control = controls[i]
        if not _fits(item, control):
            raise _Unidentified(
                _("无法识别字段 {field}：这里应是它的 {kind} 控件 {alias!r}，却是{found}"
                  "（表单版式改过，或删掉了某个框？）").format(
                    field=_name(item, form), kind=item.kind, alias=item.alias,
                    found=control.describe()))
        matched.fields.setdefault(item.key, []).append((item, control))
        i += 1
    if i < len(controls):
        raise _Unidentified(_("最后一个字段之后的 {count} 个控件不属于本表单，第一个是{first}")
                            .format(count=len(controls) - i, first=controls[i].describe()))
    return matched


# --- values --------------------------------------------------------------------------------

_BLANKS = re.compile(r"[\s\u00a0\u3000_]+")


def _squeeze(text: str) -> str:
    return _BLANKS.sub("", text)


def control_value(slot: Slot, control: Control) -> str:
    """The text a clerk entered; "" for an untouched control (placeholder text is no value)."""
    if control.showing_placeholder:
        return ""
    text = control.text.replace("\u00a0", " ").strip()
    if not _squeeze(text) or _squeeze(text) in {_squeeze(p) for p in (slot.placeholder,
                                                                       *slot.former)}:
        return ""
    return text


_DATE_FORMS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(slot: Slot, control: Control) -> dt.date | None:
    """A date from the picker's stored value, else from what was typed (2026-11-23,
    2026/11/23, 2026.11.23, 2026年11月23日). Raises ValueError when it is no date."""
    if control.full_date and not control.showing_placeholder:
        try:
            return dt.date.fromisoformat(control.full_date[:10])
        except ValueError:
            pass
    text = unicodedata.normalize("NFKC", control_value(slot, control))
    if not text:
        return None
    for pattern in _DATE_FORMS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise ValueError(_("{text!r} 不是日期；请写成 2026-11-23").format(text=text))


def parse_number(text: str, unit: str | None = None) -> int | float | None:
    text = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    if unit and text.endswith(unit):
        text = text[: -len(unit)].strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(_("{text!r} 不是数字").format(text=text)) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(_("{text!r} 不是数字").format(text=text))
    return int(number) if number.is_integer() and "." not in text else number


class _FieldErrors:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, label: str, key: str, message: str) -> None:
        self.messages.append(_("字段 {label} ({key})：{message}").format(
            label=label, key=key, message=message))


def _field_value(item: FormField, pairs: list[tuple[Slot, Control]],
                 errors: _FieldErrors) -> Value:
    def fail(message: str) -> None:
        errors.add(item.label, item.id, message)

    value: Value = None
    kind = item.type
    if kind in (FieldType.text, FieldType.long_text):
        value = control_value(*pairs[0]) or None
    elif kind is FieldType.number:
        try:
            value = parse_number(control_value(*pairs[0]), item.unit)
        except ValueError as exc:
            fail(str(exc))
            return None
        if value is not None and item.minimum is not None and value < item.minimum:
            fail(_("{value} 小于下限 {minimum}").format(value=value, minimum=f"{item.minimum:g}"))
        if value is not None and item.maximum is not None and value > item.maximum:
            fail(_("{value} 大于上限 {maximum}").format(value=value, maximum=f"{item.maximum:g}"))
    elif kind is FieldType.date:
        try:
            date = parse_date(*pairs[0])
        except ValueError as exc:
            fail(str(exc))
            return None
        value = date.isoformat() if date else None
    elif kind is FieldType.signature:
        value = _signature(pairs, item.label, item.id, errors)
    elif pairs[0][0].kind == "dropdown":
        text = control_value(*pairs[0])
        if text and text not in item.options:
            fail(_("{text!r} 不是可选项之一：{options}").format(
                text=text, options="、".join(item.options)))
            return None
        value = text or None
    else:
        ticked = [slot.part for slot, control in pairs if control.checked]
        if kind is FieldType.multi_choice:
            value = ticked or None
        elif len(ticked) > 1:
            fail(_("只能勾选一项，却勾选了 {count} 项").format(count=len(ticked)))
            return None
        elif kind is FieldType.yes_no:
            value = None if not ticked else ticked[0] == "yes"
        else:
            value = ticked[0] if ticked else None
    if item.required and value in (None, [], {}):
        fail(_("必填，但未填写"))
    return value


def _signature(pairs: list[tuple[Slot, Control]], label: str, key: str,
               errors: _FieldErrors, *, required: bool = False) -> Value:
    by_part = {slot.part: (slot, control) for slot, control in pairs}
    name = control_value(*by_part["name"]) or None
    bad_date = False
    try:
        date = parse_date(*by_part["date"])
    except ValueError as exc:
        errors.add(label, key, f"date: {exc}")
        date, bad_date = None, True
    if required and not name:
        errors.add(label, key, _("必填，但没有签名"))
    elif required and date is None and not bad_date:
        errors.add(label, key, _("必填，但没有填日期"))
    if not name and date is None:
        return None
    return {"name": name, "date": date.isoformat() if date else None}


def _table_value(table: FormTable, title: str, rows: list[dict[str, tuple[Slot, Control]]],
                 errors: _FieldErrors) -> list[dict[str, Value]]:
    """Filled rows of a repeating table; rows left blank (paper's spare rows) are dropped."""
    result = []
    for n, row in enumerate(rows, start=1):
        values: dict[str, Value] = {}
        for column in table.columns:
            slot, control = row[column.id]
            text = control_value(slot, control)
            try:
                if column.type is ColumnType.date:
                    date = parse_date(slot, control)
                    values[column.id] = date.isoformat() if date else None
                elif column.type is ColumnType.number:
                    values[column.id] = parse_number(text)
                elif column.type is ColumnType.choice and text and text not in column.options:
                    raise ValueError(_("{text!r} 不是可选项之一：{options}").format(
                        text=text, options="、".join(column.options)))
                else:
                    values[column.id] = text or None
            except ValueError as exc:
                errors.add(title, table.id, _("第 {n} 行，{column} 列：{problem}").format(
                    n=n, column=column.label, problem=exc))
                values[column.id] = None
        if all(v is None for v in values.values()):
            continue
        for column in table.columns:
            if column.required and values.get(column.id) is None:
                errors.add(title, table.id,
                           _("第 {n} 行，{column} 列：{problem}").format(
                               n=n, column=column.label, problem=_("必填，但未填写")))
        result.append(values)
    return result


# --- records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One filled form, validated: what is filed as records/<code>/<key>.json."""

    form: FormDoc
    version: str
    serial: str | None
    values: dict[str, Value]
    source: Path
    source_sha256: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of what the record says. Line breaks do not count: LibreOffice joins the
        lines of a multi-line box when it re-saves a form, and that copy is the same record."""
        canonical = json.dumps({"form": self.form.code, "version": self.version,
                                "serial": self.serial, "values": _without_breaks(self.values)},
                               ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def key(self) -> str:
        return _safe_key(self.serial) if self.serial else self.content_hash[:16]

    def as_json(self) -> bytes:
        data = {
            "form": self.form.code,
            "title": self.form.title,
            "version": self.version,
            "serial": self.serial,
            "key": self.key,
            "content_sha256": self.content_hash,
            "values": self.values,
            "source": {"file": self.source.name, "sha256": self.source_sha256},
        }
        return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _without_breaks(value: Value) -> Value:
    if isinstance(value, str):
        return value.replace("\r", "").replace("\n", "")
    if isinstance(value, list):
        return [_without_breaks(v) for v in value]
    if isinstance(value, dict):
        return {k: _without_breaks(v) for k, v in value.items()}
    return value


def _safe_key(serial: str) -> str:
    """A 编号 as a file name: letters (Chinese too), digits, '-', '_' and '.'; the rest → '-'.
    A name Windows keeps for a device (CON, NUL, COM1 …) gets a trailing '_' (CON → CON_)."""
    key = re.sub(r"[^\w.-]+", "-", unicodedata.normalize("NFKC", serial), flags=re.UNICODE)
    key = key.strip(".-")[:80].strip(".-") or "serial"
    if is_windows_reserved(key):
        head, dot, tail = key.partition(".")
        key = f"{head}_{dot}{tail}"
    return key


def read_record(path: Path, docset: DocumentSet, labels: FormLabels) -> Record:
    """Read and validate one filled form. Raises RecordErrors naming the file and fields."""
    shown = path.as_posix()
    try:
        filled = open_filled(path)
    except _Damaged as exc:
        raise RecordErrors([f"{shown}: {exc}"]) from None
    try:
        doc, version = identify(filled, docset, labels)
    except ValueError as exc:
        raise RecordErrors([f"{shown}: {exc}"]) from None
    form = doc.model
    plan = control_plan(form, labels)
    try:
        matched = align(plan, read_controls(filled.body), form)
    except _Unidentified as exc:
        raise RecordErrors([f"{shown}: {doc.code} {doc.version}: {exc}"]) from None
    errors = _FieldErrors()
    values: dict[str, Value] = {}
    for section in form.sections:
        for item in section.fields:
            values[item.id] = _field_value(item, matched.fields[item.id], errors)
        if section.table is not None:
            values[section.table.id] = _table_value(
                section.table, section.title or section.table.id,
                matched.tables.get(section.table.id, []), errors)
    for box in form.signoff:
        values[box.id] = _signature(matched.fields[box.id], box.label, box.id, errors,
                                    required=box.required)
    serial = None
    if form.serial and TAG_SERIAL in matched.fields:
        serial = control_value(*matched.fields[TAG_SERIAL][0]) or None
    if errors.messages:
        raise RecordErrors([f"{shown}: {doc.code} {doc.version}: {m}" for m in errors.messages])
    return Record(doc, version, serial, values, path, filled.sha256)


# --- the register --------------------------------------------------------------------------


def _cell(value: Value, labels: FormLabels) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return labels.yes if value else labels.no
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return str(len(value))
        return labels.multi_separator.join(str(v) for v in value)
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v)
    return str(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def csv_cell(text: str) -> str:
    """A cell Excel shows as text, never runs as a formula (OWASP CSV injection): a cell that
    starts with = + - @ tab or CR gets a leading '. Plain numbers (-3, +1.5) stay numbers."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def register_csv(form: Form, records: list[dict[str, Any]], labels: FormLabels) -> bytes:
    """The register of one form: one line per record, columns named as on the form."""
    columns: list[tuple[str, str]] = []
    for section in form.sections:
        columns.extend((item.id, item.label) for item in section.fields)
        if section.table is not None:
            title = section.title or section.table.id
            columns.append((section.table.id, labels.register_rows.format(title=title)))
    columns.extend((box.id, box.label) for box in form.signoff)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(cell) for cell in (
        labels.register_record, labels.register_serial, labels.register_version,
        *[label for _, label in columns], labels.register_source)])
    for data in sorted(records, key=lambda r: str(r.get("key"))):
        values = data.get("values", {})
        writer.writerow([csv_cell(str(cell)) for cell in (
            data.get("key", ""), data.get("serial") or "", data.get("version", ""),
            *[_cell(values.get(key), labels) for key, _ in columns],
            data.get("source", {}).get("file", ""))])
    return out.getvalue().encode("utf-8-sig")


# --- import --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filed:
    """One filled form of a batch and the record it is filed as."""

    source: Path
    form: str
    key: str
    record: Path


@dataclass
class ImportResult:
    added: list[Filed] = field(default_factory=list)
    replaced: list[Filed] = field(default_factory=list)
    unchanged: list[Filed] = field(default_factory=list)  # already filed: nothing written
    registers: list[Path] = field(default_factory=list)


def collect_files(target: Path) -> list[Path]:
    """The filled forms to import: the file itself, or every .docx under a folder.

    Word's lock files (~$name.docx) and hidden files are skipped.
    """
    if target.is_dir():
        return sorted(p for p in target.rglob("*.docx")
                      if not p.name.startswith(("~$", ".")) and p.is_file())
    if target.is_file():
        return [target]
    raise RecordErrors([_("{path}：没有这个文件或文件夹").format(path=target.as_posix())])


def _linked(path: Path, records_dir: Path) -> Path | None:
    """The first entry below the records folder on the way to `path` that is a symbolic link:
    writing through it would change files outside the records folder."""
    current = records_dir
    for part in path.relative_to(records_dir).parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def _link_problem(link: Path) -> str:
    return _("{link} 是符号链接，指向 {target}：记录只写在记录文件夹之内，不经由链接写到别处；"
             "请把它换成普通的文件夹或文件后重试").format(link=display_path(link),
                                                       target=link.readlink())


def import_records(targets: Iterable[Path], docset: DocumentSet, records_dir: Path, *,
                   replace: bool = False, progress: Progress | None = None,
                   named: bool = True) -> ImportResult:
    """Read, validate and file filled forms. All or nothing: any problem, nothing written.

    `named`: the records folder was given on the command line. The default one (records/ in
    the set) is not followed when it is a link to elsewhere, as no folder below it ever is."""
    if not named and records_dir.is_symlink():
        raise RecordErrors([_link_problem(records_dir) + _(
            "（或用 --records-dir 直接指定那个文件夹）")])
    labels = load_form_labels(docset.root, docset.settings)
    files: list[Path] = []
    for target in targets:
        files.extend(collect_files(target))
    if not files:
        raise RecordErrors([_("没有找到可导入的 .docx 文件")])
    problems: list[str] = []
    records: list[Record] = []
    for done, path in enumerate(files, start=1):
        try:
            records.append(read_record(path, docset, labels))
        except RecordErrors as exc:
            problems.extend(exc.problems)
        if progress is not None:
            progress(done, len(files))
    # Two files of the batch under one 编号 with different values: which one is right?
    batch: dict[tuple[str, str], Record] = {}
    duplicates: list[Record] = []
    for record in records:
        slot = (record.form.code, record.key)
        other = batch.get(slot)
        if other is None:
            batch[slot] = record
        elif other.content_hash != record.content_hash:
            problems.append(f"{record.source.as_posix()}: {record.form.code} 编号 "
                            f"{record.serial} is also used by {other.source.as_posix()} with "
                            "different values; give each form its own 编号")
        else:
            duplicates.append(record)
    result = ImportResult()
    writes: dict[Path, bytes] = {}
    for (code, key), record in sorted(batch.items()):
        target = records_dir / code / f"{key}.json"
        filed = Filed(record.source, code, key, target)
        link = _linked(target, records_dir)
        if link is not None:
            if _link_problem(link) not in problems:
                problems.append(_link_problem(link))
            continue
        if target.is_file():
            try:
                existing = json.loads(target.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                problems.append(f"{display_path(target)}: existing record cannot be read "
                                f"({exc}); fix or remove it first")
                continue
            if existing.get("content_sha256") == record.content_hash:
                result.unchanged.append(filed)
                continue
            if not replace:
                problems.append(
                    f"{record.source.as_posix()}: {code} 编号 {record.serial} is already filed "
                    f"({display_path(target)}) with different values; to replace that record "
                    "import again with --replace")
                continue
            result.replaced.append(filed)
        else:
            result.added.append(filed)
        writes[target] = record.as_json()
    for record in duplicates:
        result.unchanged.append(Filed(record.source, record.form.code, record.key,
                                      records_dir / record.form.code / f"{record.key}.json"))
    # The registers list every record of their form, old and new: build them now, so that an
    # unreadable old record stops the batch before anything is written.
    registers: dict[Path, bytes] = {}
    for folder in sorted({path.parent for path in writes}):
        doc = next(d for d in docset.forms.values() if d.code == folder.name)
        filed_records = []
        for path in sorted({*folder.glob("*.json"), *(p for p in writes if p.parent == folder)}):
            if path.is_symlink():
                problems.append(_link_problem(path))
                continue
            try:
                data = writes.get(path) or path.read_bytes()
                filed_records.append(json.loads(data.decode("utf-8")))
            except (OSError, ValueError) as exc:
                problems.append(f"{display_path(path)}: existing record cannot be read "
                                f"({exc}); fix or remove it first")
        if (folder / REGISTER_FILE).is_symlink():
            problems.append(_link_problem(folder / REGISTER_FILE))
        registers[folder / REGISTER_FILE] = register_csv(doc.model, filed_records, labels)
    if problems:
        raise RecordErrors(problems)
    for path, data in sorted(writes.items()):
        write_file(path, data)
    for path, data in registers.items():
        write_file(path, data)
        result.registers.append(path)
    return result
