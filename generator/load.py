"""Load stage: YAML files into plain data that remembers where every value came from.

Nothing else in Wenkong opens a YAML source. Loading is safe (only plain scalars, lists and
mappings: no Python objects), rejects duplicate keys (PyYAML keeps the last one silently),
and bounds alias expansion so that a "billion laughs" file cannot exhaust memory.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from generator.errors import Problem, Severity, SourceErrors
from generator.i18n import _
from generator.model.common import FROM_SOURCE

Loc = tuple[str | int, ...]
Position = tuple[int, int]

MAX_NODES = 200_000  # values after alias expansion; the whole sample set has ~20,000
MAX_DEPTH = 64

_ALLOWED_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MODELINE = re.compile(r"^#\s*yaml-language-server:")
# Characters XML 1.0 cannot hold (so neither can a .docx nor the site's pages). YAML's reader
# refuses them typed raw; only the escapes of a double-quoted scalar ("\0", "\x01", "\uFFFE")
# bring them in.
XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# What YAML's reader refuses when typed raw into a file (YAML 1.1 printable set).
_YAML_UNPRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# libyaml's parser when present: same nodes and marks, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

M = TypeVar("M", bound=BaseModel)


@dataclass
class SourceFile:
    """One YAML file as plain data, with the (line, column) of every value by its path."""

    path: Path
    display: str
    data: Any
    positions: dict[Loc, Position] = field(default_factory=dict)
    # The text as written of every plain scalar YAML read as something else (`No` → False,
    # `1.10` → 1.1, `2026-01-01` → a date): a text field takes this text instead (to_model).
    texts: dict[Loc, str] = field(default_factory=dict)

    def where(self, loc: Loc) -> Position:
        """Position of the value at `loc`, or of its nearest ancestor that exists."""
        if not self.positions:
            self.reload()
        for end in range(len(loc), -1, -1):
            found = self.positions.get(loc[:end])
            if found is not None:
                return found
        return (1, 1)

    def lighten(self) -> None:
        """Drop data and positions once the file is validated (they are re-read on demand):
        a worker process then sends back only the model."""
        self.data = None
        self.positions = {}
        self.texts = {}

    def reload(self) -> None:
        fresh = read_yaml(self.path, self.display)
        self.data, self.positions, self.texts = fresh.data, fresh.positions, fresh.texts

    def problem(
        self, loc: Loc, message: str, severity: Severity = Severity.error
    ) -> Problem:
        line, column = self.where(loc)
        return Problem(self.display, line, column, format_loc(loc), message, severity)


def format_loc(loc: Loc) -> str:
    """`('procedure', 1, 'body', 0)` → `procedure[1].body[0]`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class _Budget:
    def __init__(self) -> None:
        self.nodes = 0


class _Problems(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems


def read_yaml(path: Path, display: str, data: bytes | None = None) -> SourceFile:
    """Read one YAML file into a SourceFile; raise SourceErrors naming file and line.
    `data`: the file's bytes when the caller has read them already (the load cache keys on
    exactly the bytes parsed)."""
    if data is None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            message = _("无法读取：{reason}").format(reason=exc.strerror)
            raise SourceErrors([Problem(display, 1, 1, "", message)]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceErrors(
            [Problem(display, 1, 1, "", _(
                "不是 UTF-8 编码的文本（第 {start} 字节：{reason}）：请在编辑器中另存为 UTF-8"
            ).format(start=exc.start, reason=exc.reason))]
        ) from None
    if "\r" in text:  # as a text-mode read gives it: universal newlines
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return parse_yaml(text, path, display)


def parse_yaml(text: str, path: Path, display: str) -> SourceFile:
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = _("YAML 语法错误：{problem}").format(problem=exc.problem or exc.context)
        if exc.context and exc.problem:
            message += f" ({exc.context})"
        raise SourceErrors([Problem(display, line, column, "", message)]) from None
    except yaml.reader.ReaderError:  # a raw control character in the file
        # libyaml counts its position in bytes: find the character itself instead.
        found = _YAML_UNPRINTABLE.search(text)
        position = found.start() if found else 0
        before = text[:position]
        line, column = before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1
        raise SourceErrors([Problem(display, line, column, "", _(
            "文件里有控制字符 U+{code:04X}，YAML、Word 文档和网页都不能容纳它：请删除它"
        ).format(code=ord(found.group()) if found else 0))]) from None
    except yaml.YAMLError as exc:
        message = _("YAML 错误：{error}").format(error=exc)
        raise SourceErrors([Problem(display, 1, 1, "", message)]) from None
    if node is None:
        raise SourceErrors([Problem(display, 1, 1, "", _("文件是空的"))])
    source = SourceFile(path=path, display=display, data=None)
    problems: list[Problem] = []
    try:
        source.data = _convert(node, (), source, problems, _Budget(), 0)
    except _Problems as stop:
        problems.extend(stop.problems)
    if problems:
        raise SourceErrors(problems)
    source.positions.setdefault((), (1, 1))
    return source


def _at(source: SourceFile, node: yaml.Node, loc: Loc, message: str) -> Problem:
    return Problem(
        source.display, node.start_mark.line + 1, node.start_mark.column + 1,
        format_loc(loc), message,
    )


_constructor = yaml.constructor.SafeConstructor()


def _convert(
    node: yaml.Node,
    loc: Loc,
    source: SourceFile,
    problems: list[Problem],
    budget: _Budget,
    depth: int,
) -> Any:
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        raise _Problems([_at(source, node, loc, _(
            "展开别名（&锚点/*别名）后超过 {count} 个值：受控文件的源文件从不需要这么多，"
            "请删除这些别名").format(count=f"{MAX_NODES:,}"))])
    if depth > MAX_DEPTH:
        raise _Problems([_at(source, node, loc, _("嵌套超过 {depth} 层").format(depth=MAX_DEPTH))])
    if isinstance(node, yaml.ScalarNode):
        if node.tag not in _ALLOWED_SCALAR_TAGS:
            problems.append(_at(source, node, loc, _tag_refused(node)))
            return None
        if node.tag == "tag:yaml.org,2002:str":
            if node.style == '"' and (bad := XML_ILLEGAL.search(node.value)):
                problems.append(_at(source, node, loc, _illegal_character(bad)))
                return None
            if node.style == ">":
                return _unfold_cjk(node.value)
            return node.value  # the common case, without the constructor's overhead
        try:
            value = _constructor.yaml_constructors[node.tag](_constructor, node)
            if value is not None and not node.style:  # plain (libyaml: "", PyYAML: None)
                source.texts[loc] = node.value
            return value
        except (ValueError, TypeError, OverflowError):
            if node.tag == "tag:yaml.org,2002:timestamp":
                message = _("{value!r} 不是有效日期").format(value=node.value)
            else:
                message = _("无法读取 {value!r}").format(value=node.value)
            problems.append(_at(source, node, loc, message))
            return None
    if isinstance(node, yaml.SequenceNode):
        if node.tag != "tag:yaml.org,2002:seq":
            problems.append(_at(source, node, loc, _tag_refused(node)))
        items = []
        for index, child in enumerate(node.value):
            child_loc = (*loc, index)
            source.positions[child_loc] = (child.start_mark.line + 1, child.start_mark.column + 1)
            items.append(_convert(child, child_loc, source, problems, budget, depth + 1))
        return items
    if isinstance(node, yaml.MappingNode):
        if node.tag != "tag:yaml.org,2002:map":
            problems.append(_at(source, node, loc, _tag_refused(node)))
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(_at(source, key_node, loc, _("键必须是普通文本")))
                continue
            key = str(key_node.value)
            if key_node.style == '"' and (bad := XML_ILLEGAL.search(key)):
                problems.append(_at(source, key_node, loc, _illegal_character(bad)))
                continue
            if key == "<<":
                problems.append(_at(source, key_node, loc, _("不支持合并键（<<）")))
                continue
            child_loc = (*loc, key)
            if key in mapping:
                first = source.positions[child_loc]
                problems.append(_at(source, key_node, child_loc, _(
                    "重复的键 {key!r}（第一次出现在第 {line} 行）；"
                    "YAML 会悄悄只保留最后一个").format(key=key, line=first[0])))
                continue
            source.positions[child_loc] = (
                key_node.start_mark.line + 1, key_node.start_mark.column + 1
            )
            mapping[key] = _convert(value_node, child_loc, source, problems, budget, depth + 1)
        return mapping
    raise _Problems([_at(source, node, loc, _("不支持的 YAML 节点"))])


def _tag_refused(node: yaml.Node) -> str:
    return _("此处不允许 YAML 标签 {tag}").format(tag=node.tag)


def _illegal_character(found: re.Match[str]) -> str:
    return _("第 {position} 个字符是 {character}，Word 文档和网页都不能容纳这个控制字符"
             "（多半来自双引号里的转义，如 \"\\0\"、\"\\x01\"）：请删除它").format(
        position=found.start() + 1, character=f"U+{ord(found.group()):04X}")


_CJK = "\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef"
_FOLDED_SPACE = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def _unfold_cjk(text: str) -> str:
    """Folded scalars (`>`) join lines with a space; Chinese has no spaces between words, so a
    line break inside a Chinese sentence must not become one (源文件，提交前 not
    源文件， 提交前)."""
    return _FOLDED_SPACE.sub("", text)


def has_modeline(text: str) -> bool:
    """True when the file starts with an editor schema modeline (VS Code YAML)."""
    return any(_MODELINE.match(line) for line in text.splitlines()[:3])


# --- from plain data to models ----------------------------------------------------------------

_FIELD_NAMES: set[str] = set()


def _field_vocabulary() -> set[str]:
    if not _FIELD_NAMES:
        from generator import model

        for name in model.__all__:
            cls = getattr(model, name)
            if isinstance(cls, type) and issubclass(cls, BaseModel):
                _FIELD_NAMES.update(cls.model_fields)
        _FIELD_NAMES.update(("list", "items", "note", "table", "process", "formula"))
    return _FIELD_NAMES


def _follow(data: Any, loc: tuple[Any, ...]) -> tuple[Loc, Any, str | None]:
    """Walk a pydantic loc through the data: the parts that exist in it (union tags and such
    dropped), the value reached, and the last field name that does not exist (a missing one)."""
    kept: list[str | int] = []
    current = data
    missing: str | None = None
    for part in loc:
        in_mapping = isinstance(current, dict) and isinstance(part, str) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_mapping or in_list:
            kept.append(part)
            current = current[part]
        elif isinstance(part, str) and not part.startswith(("<", "function-")) and (
            "[" not in part
        ):
            missing = part
    return tuple(kept), current, missing


def _data_loc(data: Any, loc: tuple[Any, ...]) -> Loc:
    """Keep the parts of a pydantic loc that exist in the data (drop union tags and such)."""
    kept, _value, missing = _follow(data, loc)
    if missing is not None and (not kept or kept[-1] != missing):
        return (*kept, missing)
    return kept


def _choices(error: Any) -> str:
    expected = str(error.get("ctx", {}).get("expected", ""))
    return expected.replace(" or ", ", ")


def _message(error: Any, loc: Loc) -> str:
    """pydantic's error in the user's words (Chinese first; English through the catalogue).
    Messages our own validators raise pass through as they are."""
    kind = error["type"]
    ctx = error.get("ctx", {})
    name = str(loc[-1]) if loc else ""
    if kind == "missing":
        return _("缺少必填字段 {name!r}").format(name=name) if loc else _("缺少必填字段")
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(name, sorted(_field_vocabulary()), n=1, cutoff=0.6)
        if close:
            return _("未知字段 {name!r}；是不是 {close!r}？").format(name=name, close=close[0])
        return _("未知字段 {name!r}").format(name=name)
    if kind in ("too_short", "string_too_short"):
        least = ctx.get("min_length", 1)
        if least <= 1:
            return _("不能为空")
        if kind == "too_short":
            return _("至少要有 {count} 项").format(count=least)
        return _("至少要有 {count} 个字符").format(count=least)
    if kind == "too_long":
        return _("最多 {count} 项").format(count=ctx.get("max_length"))
    if kind == "string_too_long":
        return _("最多 {count} 个字符").format(count=ctx.get("max_length"))
    if kind in ("enum", "literal_error"):
        return _("不能用 {value!r}；可选：{choices}").format(value=error["input"],
                                                           choices=_choices(error))
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {"greater_than": _("须大于 {limit}"), "greater_than_equal": _("不能小于 {limit}"),
                 "less_than": _("须小于 {limit}"), "less_than_equal": _("不能大于 {limit}")}
        limit = ctx.get({"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt",
                         "less_than_equal": "le"}[kind])
        return words[kind].format(limit=limit)
    if kind == "string_pattern_mismatch":
        return _("格式不对：须符合 {pattern}").format(pattern=ctx.get("pattern"))
    wanted = _wanted(kind)
    if wanted is not None:
        return wanted
    message: str = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return message


def _wanted(kind: str) -> str | None:
    """What a field wants, by pydantic error type (string_type, int_parsing, date_from_… share
    the word of their first part)."""
    if kind == "date_from_datetime_inexact":
        return _("须是日期（不带时刻），如 2026-11-23")
    if kind == "block_kind":
        return _("段落须是一段文字，或 list、note、table、process、formula、checkboxes 之一")
    if kind == "union_tag_invalid":
        return _("写法不对：须是一段文字或字段表")
    family = kind.split("_", 1)[0]
    words = {
        "string": _("须是文字"),
        "int": _("须是整数，如 3"),
        "float": _("须是数字，如 2.5"),
        "bool": _("须是 true 或 false"),
        "date": _("须是日期，如 2026-11-23"),
        "list": _("须是列表：每项一行以“- ”开头，或写成 [甲, 乙]"),
        "dict": _("须是字段表（每行“字段: 值”）"),
        "model": _("须是字段表（每行“字段: 值”）"),
    }
    return words.get(family)


# Errors where a text was expected and YAML gave a bool, number or date: the field takes the
# scalar as written instead (`label: No`, `title: 1.10`, `remark: 2026-01-01`).
_WANTS_TEXT = {"string_type", "enum", "literal_error"}


def _scalar_loc(data: Any, loc: tuple[Any, ...]) -> Loc | None:
    """The path in the data of the scalar a pydantic error loc points at (union tags and such
    dropped), or None when it does not end at a scalar."""
    kept, value, _missing = _follow(data, loc)
    return None if isinstance(value, dict | list) else kept


def _with_texts(data: Any, texts: dict[Loc, str]) -> Any:
    """A copy of `data` with the scalars at the given paths replaced (copied along those paths
    only; the rest is shared)."""
    root: Any = {"": data}
    for loc, text in texts.items():
        parent: Any = root
        key: str | int = ""
        for part in loc:
            child = parent[key]
            parent[key] = child = dict(child) if isinstance(child, dict) else list(child)
            parent, key = child, part
        parent[key] = text
    return root[""]


def validate_as_written(source: SourceFile, cls: type[M]) -> M:
    """`cls.model_validate` on the file's data where every text field keeps its scalar exactly
    as written, whatever YAML would make of it; dates and numbers stay typed where the field
    wants a date or a number. Raises ValidationError for the data as finally read."""
    data = source.data
    taken: set[Loc] = set()
    while True:
        try:
            return cls.model_validate(data, context=FROM_SOURCE)
        except ValidationError as exc:
            texts: dict[Loc, str] = {}
            for error in exc.errors():
                if error["type"] not in _WANTS_TEXT or isinstance(error["input"], str):
                    continue
                loc = _scalar_loc(data, error["loc"])
                if loc is not None and loc in source.texts and loc not in taken:
                    texts[loc] = source.texts[loc]
            if not texts:
                raise
            taken.update(texts)
            data = _with_texts(data, texts)


def to_model(source: SourceFile, cls: type[M], problems: list[Problem]) -> M | None:
    """Validate a file's data as `cls`; on failure add one problem per field and return None."""
    if not isinstance(source.data, dict):
        problems.append(source.problem((), _(
            "这里应是 {kind} 的字段映射（字段名: 值）").format(kind=cls.__name__)))
        return None
    try:
        return validate_as_written(source, cls)
    except ValidationError as exc:
        found = [(_data_loc(source.data, e["loc"]), e) for e in exc.errors()]
        # A typo (`purpos:`) is both an unknown field and a missing one: report it once.
        typos = {
            (loc[:-1], close[0])
            for loc, e in found
            if e["type"] == "extra_forbidden" and loc
            and (close := difflib.get_close_matches(str(loc[-1]), sorted(_field_vocabulary()),
                                                    n=1, cutoff=0.6))
        }
        for loc, error in found:
            if error["type"] == "missing" and loc and (loc[:-1], loc[-1]) in typos:
                continue
            problems.append(source.problem(loc, _message(error, loc)))
        return None


def load_optional(path: Path, cls: type[M]) -> M:
    """An optional YAML file as `cls` (label files beside templates): the defaults when it is
    absent; a broken file raises SourceErrors with file:line like any other source."""
    if not path.is_file():
        return cls()
    problems: list[Problem] = []
    loaded = to_model(read_yaml(path, path.as_posix()), cls, problems)
    if loaded is None or problems:
        raise SourceErrors(problems)
    return loaded


YAML_SUFFIXES = (".yaml", ".yml")  # the source files a set's folders are read for


def iter_yaml_files(folder: Path) -> Iterator[Path]:
    """YAML files of a folder in a stable order."""
    for name, _is_link in yaml_names(folder):
        yield folder / name


def yaml_names(folder: Path) -> list[tuple[str, bool]]:
    """The names of a folder's YAML files in a stable order, each with whether it is a
    symbolic link (from the folder's listing: no call to the system per file)."""
    try:
        with os.scandir(folder) as listing:
            found = [(entry.name, entry.is_symlink()) for entry in listing
                     if os.path.splitext(entry.name)[1] in YAML_SUFFIXES]
    except (NotADirectoryError, FileNotFoundError):
        return []
    return sorted(found, key=lambda item: os.path.normcase(item[0]))  # as Paths sort
