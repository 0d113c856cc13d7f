"""Import stage, step 3: recognise a procedure or a form in what the reader found.

Rules, not templates: a cover or header table is read as label → value pairs (文件编号,
版本/版次, 编制/审核/批准 and their dates …), a table whose header says 版本 … 日期 … 内容 is the
revision history, one whose header names a flow column and 权责 / 输入 / 输出 is a process
table, and numbered paragraphs make the outline when their numbers continue the numbers
before them (so "24小时内" or a stray "3.5mm" is never a clause). Whatever is inferred rather
than read is recorded as a Guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from generator.importer.labels import Found, find_label
from generator.importer.reader import Item, Para, Table, WordDocument
from generator.importer.structure import (
    Block,
    CheckboxBlock,
    CoverData,
    FigureBlock,
    FormFieldFound,
    FormSectionFound,
    FormulaBlock,
    Guess,
    Imported,
    ImportedForm,
    ImportedProcedure,
    ListBlock,
    NoteBlock,
    ProcessBlock,
    ProcessRow,
    RevisionRow,
    Signature,
    TableBlock,
    TextBlock,
    Unit,
)

# --- words companies use -----------------------------------------------------------------

SECTION_WORDS: dict[str, tuple[str, ...]] = {
    "purpose": ("目的",),
    "scope": ("适用范围", "范围", "适用"),
    "terms": ("术语和定义", "术语", "定义", "名词解释"),
    "responsibilities": ("职责", "权责", "责任", "职责分工"),
    "procedure": ("工作程序", "管理程序", "作业程序", "程序", "工作内容", "作业内容", "内容",
                  "管理内容", "作业流程", "工作流程", "流程", "管理要求", "控制程序", "实施",
                  "程序内容"),
    "related": ("相关文件", "参考文件", "支持性文件", "引用文件", "相关文件化信息", "相关程序"),
    "records": ("质量记录", "记录", "表格", "表单", "相关记录", "记录表单", "使用表单"),
    "attachments": ("附件", "附录"),
}


def section_key(title: str) -> str | None:
    """Which standard section a top-level title names (职责 → responsibilities), or None."""
    clean = re.sub(r"[\s：:]", "", title)
    for key, words in SECTION_WORDS.items():
        if clean in words:
            return key
    for key, words in SECTION_WORDS.items():
        if any(clean.startswith(w) or clean.endswith(w) for w in words) and len(clean) <= 10:
            return key
    return None


_COVER_LABELS: dict[str, tuple[str, ...]] = {
    "code": ("文件编号", "文件编码", "文件代号", "编号", "文件号", "表单编号", "表格编号"),
    "title": ("文件名称", "名称", "标题", "文件标题"),
    "version": ("版本/版次", "版本版次", "版本", "版次", "版本号", "版号"),
    "company": ("公司名称",),
    "page": ("页次", "页码", "页数"),
    "author": ("编制", "编写", "拟制", "拟定", "制定", "起草", "编制人", "编写人", "拟制人"),
    "reviewer": ("审核", "审核人", "审查", "审批"),
    "approver": ("批准", "核准", "批准人", "核准人"),
    "date": ("日期",),
    "issue_date": ("发行日期", "发布日期", "颁发日期", "发文日期"),
    "effective_date": ("实施日期", "生效日期", "执行日期"),
    "status": ("受控状态", "状态", "受控标识"),
    "countersign": ("会签", "会签部门"),
    "distribution": ("发放范围", "分发范围", "发放部门", "分发部门", "发放"),
    "copy": ("分发编号", "发放编号", "份数"),
    "next_review": ("下次评审", "下次评审日期"),
}
_LABEL_OF = {word: key for key, words in _COVER_LABELS.items() for word in words}
_SIGNATURES = ("author", "reviewer", "approver")
_CHECKED = "☑■√✓✔☒▣"
_BOX = "☐□" + _CHECKED
_OPTION = re.compile(rf"([{_BOX}])\s*([^{_BOX}\s]+)")
_DOC_TITLE = re.compile(r"(程序|制度|规定|办法|规范|细则|指导书|标准|手册|规程)$")
_FORM_TITLE = re.compile(r"(表|单|书|记录|清单|台账|报告|卡|登记簿)$")
_CODE = re.compile(r"[A-Z][A-Z0-9]{0,9}(?:[-_][A-Z0-9.]{1,10}){0,4}(?:[-_.]\d{1,4})+")


def _squeeze(text: str) -> str:
    return re.sub(r"[\s\u3000:：]", "", text)


def parse_date(text: str) -> dt.date | None:
    """2026-11-09, 2026.11.9, 2026/11/09, 2026年11月9日 → a date; anything else None."""
    match = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text)
    if not match:
        return None
    try:
        return dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def checkbox_options(text: str) -> list[tuple[str, bool]]:
    """`☑品质部 ☐生产部` → [(品质部, True), (生产部, False)]."""
    return [(name.strip("，,；;、"), box in _CHECKED) for box, name in _OPTION.findall(text)
            if name.strip("，,；;、")]


# --- cover and header --------------------------------------------------------------------


def _split_inline(text: str) -> tuple[str, str] | None:
    """`文件编号：QP-15` → (code, QP-15)."""
    match = re.match(r"^\s*([^：:]{1,8}?)\s*[：:]\s*(.*)$", text, re.S)
    if not match:
        return None
    key = _LABEL_OF.get(_squeeze(match.group(1)))
    return (key, match.group(2).strip()) if key else None


_CODE_LINE = re.compile(r"(?<![A-Za-z0-9])(" + _CODE.pattern
                        + r")(?:\s+([A-Z]/\d{1,2}|[Vv]\d+(?:\.\d+)?))?")


class _CoverReader:
    """Fills CoverData from label → value pairs in tables and paragraphs."""

    def __init__(self, cover: CoverData) -> None:
        self.cover = cover
        self.sign_columns: dict[int, str] = {}
        self.found = 0

    def value(self, key: str, value: str) -> None:
        self.cover.seen.add(key)
        value = value.strip()
        if not value:
            return
        cover = self.cover
        self.found += 1
        if key == "code" and not cover.code:
            match = _CODE.search(value.replace(" ", ""))
            cover.code = match.group(0) if match else value.split()[0]
        elif key == "title" and not cover.title:
            cover.title = value
        elif key == "version" and not cover.version:
            cover.version = value.split()[0]
        elif key == "company" and not cover.company:
            cover.company = value
        elif key in ("issue_date", "effective_date"):
            day = parse_date(value)
            if day and getattr(cover, key) is None:
                setattr(cover, key, day)
        elif key == "status" and not cover.status_text:
            options = checkbox_options(value)
            ticked = [name for name, on in options if on]
            cover.status_text = ticked[0] if ticked else value
        elif key in ("countersign", "distribution"):
            options = checkbox_options(value)
            if options:
                getattr(cover, key).extend(options)
        elif key in _SIGNATURES:
            self.signature(key, value)

    def signature(self, key: str, value: str) -> None:
        sign: Signature = getattr(self.cover, key)
        day = parse_date(value)
        if day:
            sign.date = sign.date or day
            value = re.sub(r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?", "", value)
        name = value.strip(" /／,，、")
        if name and not sign.name and len(name) <= 12:
            sign.name = name

    def paragraph(self, text: str) -> None:
        # `编制人/日期：张三/2026-01-05  审核人/日期：…` and `文件编号：QP-15  版本：A/0`
        pieces = re.split(r"\s{2,}|\t|(?<=\S)\s(?=[^\s：:]{1,6}(?:/日期)?[：:])", text)
        for piece in pieces:
            head = re.match(r"^\s*(编制|编写|拟制|审核|批准|核准)(?:人)?\s*/\s*日期\s*[：:](.*)$",
                            piece)
            if head:
                self.cover.labels.append(piece[:piece.index(head.group(2))] if head.group(2)
                                         else piece)
                key = _LABEL_OF[head.group(1)]
                self.signature(key, head.group(2))
                self.found += 1
                continue
            split = _split_inline(piece)
            if split:
                self.cover.labels.append(piece.split(split[1])[0] if split[1] else piece)
                self.value(*split)
        if _LABEL_OF.get(_squeeze(text.split("：")[0].split(":")[0])) in (
                "countersign", "distribution"):
            return
        options = checkbox_options(text)
        if options and re.match(r"^\s*(会签|发放|分发)", text):
            key = "countersign" if text.strip().startswith("会签") else "distribution"
            self.cover.seen.add(key)
            getattr(self.cover, key).extend(options)

    def table(self, table: Table) -> None:
        grid = table.grid()
        for row in grid:
            last_sign: str | None = None
            col = 0
            while col < len(row):
                text = row[col]
                # spanned cells repeat their text: skip the copies
                nxt = col + 1
                while nxt < len(row) and row[nxt] == text and text:
                    nxt += 1
                label = _LABEL_OF.get(_squeeze(text))
                inline = _split_inline(text) if not label else None
                if label is None and inline is None and re.match(
                        r"^\s*(编制|编写|拟制|审核|批准|核准)(人)?\s*/\s*日期", text):
                    self.paragraph(text)
                if inline:
                    self.cover.labels.append(text.split(inline[1])[0] if inline[1] else text)
                    self.value(*inline)
                elif label:
                    self.cover.labels.append(text)
                    value = row[nxt] if nxt < len(row) else ""
                    value_label = _LABEL_OF.get(_squeeze(value))
                    if value_label is not None:
                        value = ""
                    self.cover.seen.add(label)
                    if label == "date":
                        owner = self.sign_columns.get(col) or last_sign
                        if owner and value:
                            self.signature(owner, value)
                            self.found += 1
                    else:
                        if label in _SIGNATURES:
                            last_sign = label
                            self.sign_columns[col] = label
                        self.value(label, value)
                    if value:
                        after = nxt + 1
                        while after < len(row) and row[after] == value:
                            after += 1
                        nxt = after
                elif ("有限公司" in text or ("公司" in text and len(text) <= 30)) and \
                        not self.cover.company:
                    self.cover.company = text.split("\n")[0].strip()
                col = nxt


# --- revision history --------------------------------------------------------------------

_REVISION_COLUMNS: dict[str, tuple[str, ...]] = {
    "version": ("版本", "版次", "版本/版次", "版本号", "修订版本", "版号"),
    "clauses": ("修改章节", "修改章节/页", "修订章节", "更改章节", "章节", "条款", "修改条款",
                "页次", "修改页次"),
    "date": ("修改日期", "修订日期", "更改日期", "日期", "发行日期", "生效日期"),
    "summary": ("修改内容摘要", "修改内容", "修订内容", "更改内容", "变更内容", "内容", "摘要",
                "修改说明", "修订说明", "更改说明", "修改摘要"),
    "author": ("修改人", "修订人", "更改人", "编制", "编写", "拟制", "编制人", "修改者"),
    "reviewer": ("审核人", "审核"),
    "approver": ("批准人", "批准", "核准"),
    "remark": ("备注",),
}


def _column_map(header: list[str], words: dict[str, tuple[str, ...]]) -> dict[int, str]:
    found: dict[int, str] = {}
    for index, text in enumerate(header):
        clean = _squeeze(text)
        for key, options in words.items():
            if key in found.values():
                continue
            if clean in options or any(clean.startswith(o) or clean.endswith(o)
                                       for o in options if len(o) >= 2):
                found[index] = key
                break
    return found


def revision_rows(table: Table) -> list[RevisionRow] | None:
    """The rows of a revision-history table, or None when the table is not one."""
    grid = table.texts()
    for start in range(min(2, len(grid))):
        columns = _column_map(grid[start], _REVISION_COLUMNS)
        keys = set(columns.values())
        if "version" in keys and "summary" in keys and ("date" in keys or "author" in keys):
            break
    else:
        return None
    rows: list[RevisionRow] = []
    for row in grid[start + 1:]:
        values = {key: row[i].strip() for i, key in columns.items() if i < len(row)}
        if not values.get("version") and not values.get("summary"):
            continue
        rows.append(RevisionRow(
            version=values.get("version", ""), date=parse_date(values.get("date", "")),
            clauses=values.get("clauses") or None, summary=values.get("summary", ""),
            author=values.get("author") or None, reviewer=values.get("reviewer") or None,
            approver=values.get("approver") or None, remark=values.get("remark") or None))
    return rows


# --- process tables ----------------------------------------------------------------------

_PROCESS_COLUMNS: dict[str, tuple[str, ...]] = {
    "label": ("序号", "步骤", "编号", "代号", "No", "NO"),
    "input": ("输入", "输入资料", "输入文件"),
    "step": ("工作流程", "流程", "流程图", "作业流程", "管理流程", "流程步骤", "工作步骤"),
    "owners": ("权责", "职责", "责任", "责任部门", "负责部门", "负责人", "权责部门", "执行部门",
               "责任人", "主责部门"),
    "key_points": ("重点说明", "说明", "作业说明", "工作要求", "要点", "作业内容", "工作内容",
                   "管理要点", "控制要点", "内容", "描述", "活动描述", "作业要求"),
    "documents": ("支持性文件", "相关文件", "参考文件", "使用文件", "文件"),
    "outputs": ("输出", "输出表单", "表单", "记录", "相关记录", "表单/记录", "质量记录",
                "输出记录", "使用表单", "相关表单", "表单名称", "输出资料"),
    "time": ("时限", "时间", "完成时间", "期限"),
}


def process_columns(header: list[str]) -> list[tuple[str, str]] | None:
    """(column key, printed title) for a process table's header; None when it is not one."""
    columns = _column_map(header, _PROCESS_COLUMNS)
    keys = set(columns.values())
    if "step" not in keys or len(keys & {"owners", "input", "outputs", "key_points"}) < 2:
        return None
    return [(columns.get(i, f"extra{i}"), header[i].strip()) for i in range(len(header))]


def process_block(table: Table) -> ProcessBlock | None:
    grid = table.grid()
    if len(grid) < 3:
        return None
    columns = process_columns(grid[0])
    if columns is None:
        return None
    rows: list[ProcessRow] = []
    for row in grid[1:]:
        cells = {key: (row[i].strip() if i < len(row) else "") for i, (key, _) in
                 enumerate(columns)}
        if not any(re.sub(r"[\s↓↑→←|｜]+", "", v) for v in cells.values()):
            continue  # a row holding only the arrow between two steps
        label = cells.pop("label", "") or None
        step = cells.get("step", "")
        match = re.match(r"^([A-Z]{1,2})\s*[.、:：)）\s]\s*(.+)$", step, re.S)
        if label is None and match:
            label, cells["step"] = match.group(1), match.group(2).strip()
        rows.append(ProcessRow(cells, label))
    if len(rows) < 2:
        return None
    label_at = next((i for i, c in enumerate(columns) if c[0] == "label"), 0)
    label_title = columns[label_at][1] if columns[label_at][0] == "label" else None
    return ProcessBlock([c for c in columns if c[0] != "label"], rows,
                        label_title=label_title, label_at=label_at)


# --- the outline -------------------------------------------------------------------------


@dataclass
class _Scheme:
    top: str  # kind of the top-level labels
    chapters: bool = False


def _depth(found: Found, scheme: _Scheme, stack: list[Unit]) -> int | None:
    """The outline depth `found` would take, or None when it is no clause label here."""
    kind = found.kind
    if kind in ("decimal", "decimal_zero", "decimal_dot", "decimal_comma"):
        if len(found.numbers) == 1:
            return 1 if scheme.top == kind or (
                scheme.top.startswith("decimal") and kind in ("decimal_zero", "decimal")) \
                else None
        if scheme.top in ("chinese", "chapter"):
            return len(found.numbers)
        return len(found.numbers)
    if kind == scheme.top:
        return 1
    if kind == "paren_chinese" and scheme.top == "chinese":
        return 2
    if kind == "article" and scheme.top == "chapter":
        return 2
    return None


def _fits(found: Found, depth: int, stack: list[Unit], sections: list[Unit]) -> bool:
    """Does the number continue the outline (next sibling or first child)?"""
    siblings = sections if depth == 1 else (
        stack[depth - 2].children if len(stack) >= depth - 1 else None)
    if siblings is None:
        return False
    value = found.numbers[-1]
    if len(found.numbers) > 1 and depth > 1:
        parent = stack[depth - 2]
        parent_values = parent.numbers
        if found.numbers[:-1] != parent_values[-(len(found.numbers) - 1):] and \
                found.numbers[:-1] != parent_values:
            return False
    previous = siblings[-1].numbers[-1] if siblings else 0
    if found.kind == "article" and depth == 2 and not siblings:
        # 第二章 may go on from 第四条: articles often count on across chapters
        articles = [c.numbers[-1] for s in sections for c in s.children if c.kind == "article"]
        previous = max(articles, default=0) if value > 3 else 0
    return previous < value <= previous + 3


_LIST_STYLE = {"numbered": "numbered", "parenthesised": "parenthesised", "lettered": "lettered",
               "circled": "circled", "bullet": "bullet", "decimal_dot": "numbered",
               "decimal_comma": "numbered", "decimal": "numbered"}


def _title_or_text(rest: str, depth: int) -> tuple[str | None, str | None]:
    rest = rest.strip()
    if depth == 1:
        match = re.match(r"^(\S{1,10}?)\s*[：:]\s*(.+)$", rest, re.S)
        if match and section_key(match.group(1)):
            return match.group(1), match.group(2).strip()
    if not rest:
        return None, None
    if re.match(r"^[A-Z0-9.\- ]*《", rest):
        return None, rest  # a citation line (3.1《…程序》) is text, not a clause title
    if len(rest) <= 24 and not re.search(r"[。；;，,：:！？]$|[。；;]", rest):
        return rest, None
    return None, rest


class _Outline:
    def __init__(self, scheme: _Scheme, doc: ImportedProcedure) -> None:
        self.scheme = scheme
        self.doc = doc
        self.stack: list[Unit] = []

    def current(self) -> Unit | None:
        return self.stack[-1] if self.stack else None

    def add_block(self, block: Block) -> None:
        unit = self.current()
        if unit is None:
            self.doc.plain.append(_block_text(block))
            return
        unit.blocks.append(block)

    def paragraph(self, para: Para) -> None:
        text = para.text.strip()
        if para.pictures:
            for picture in para.pictures:
                self.add_block(FigureBlock(picture))
            if not text:
                return
        if not text:
            return
        if self.scheme.top == "unnumbered":
            level = _unnumbered_heading(para)
            if level is not None and (level > 1 or section_key(text)) and \
                    level <= len(self.stack) + 1:
                siblings = self.doc.sections if level == 1 else self.stack[level - 2].children
                self.open(Found("unnumbered", (len(siblings) + 1,), "", text, True), level)
                return
        found = find_label(text)
        if found is not None and not found.is_list and found.rest:
            depth = _depth(found, self.scheme, self.stack)
            if depth is not None and _fits(found, depth, self.stack, self.doc.sections) and (
                    depth > 1 or para.heading or para.bold
                    or _title_or_text(found.rest, 1)[0] is not None):
                # a top-level section is a heading: "5 天内答复" in a paragraph is no section
                self.open(found, depth)
                return
        if found is not None and (found.is_list or found.kind in _LIST_STYLE) and found.rest \
                and self.current() is not None:
            style = _LIST_STYLE.get(found.kind)
            if style and found.kind in ("numbered", "parenthesised", "lettered", "circled",
                                        "bullet", "decimal_dot", "decimal_comma"):
                self.list_item(style, found)
                return
        unit = self.current()
        if unit is None:
            self.doc.plain.append(text)
            return
        options = checkbox_options(text)
        if len(options) >= 2 and len("".join(n for n, _ in options)) * 2 >= len(
                re.sub(r"[\s☐□☑■√✓✔☒▣]", "", text)):
            head = re.split(rf"[{_BOX}]", text, maxsplit=1)[0].strip().rstrip("：:")
            self.add_block(CheckboxBlock(head or None, options))
            return
        note = re.match(r"^(注|备注|说明)\s*[：:]\s*(.+)$", text, re.S)
        if note and note.group(1) == "注":
            self.add_block(NoteBlock(note.group(2).strip()))
            return
        formula = re.match(r"^(.{2,30}?)\s*[=＝]\s*(.+?)\s*(?:[（(](\d{1,2})[）)])?$", text)
        if formula and not re.search(r"[。；]", text):
            self.add_block(FormulaBlock(formula.group(1).strip(), formula.group(2).strip(),
                                        formula.group(3)))
            return
        self.add_block(TextBlock(text))

    def list_item(self, style: str, found: Found) -> None:
        unit = self.current()
        assert unit is not None
        last = unit.blocks[-1] if unit.blocks else None
        if isinstance(last, ListBlock) and last.style == style:
            last.items.append(found.rest)
        else:
            unit.blocks.append(ListBlock(style, [found.rest]))

    def open(self, found: Found, depth: int) -> None:
        numbers = found.numbers
        if depth > 1 and len(numbers) == 1:
            numbers = (*self.stack[depth - 2].numbers, numbers[0])
        title, text = _title_or_text(found.rest, depth)
        unit = Unit(number=found.printed, numbers=numbers, kind=found.kind, title=title,
                    text=text)
        if depth == 1:
            self.doc.sections.append(unit)
        else:
            self.stack[depth - 2].children.append(unit)
        del self.stack[depth - 1:]
        self.stack.append(unit)

    def table(self, table: Table) -> None:
        process = process_block(table)
        if process is not None:
            self.add_block(process)
            return
        rows = [r for r in table.grid() if any(c.strip() for c in r)]
        if rows:
            width = max(len(r) for r in rows)
            self.add_block(TableBlock([r + [""] * (width - len(r)) for r in rows]))


def _block_text(block: Block) -> str:
    if isinstance(block, TextBlock | NoteBlock):
        return block.text
    if isinstance(block, ListBlock):
        return "\n".join(block.items)
    if isinstance(block, TableBlock):
        return "\n".join(" | ".join(r) for r in block.rows)
    return type(block).__name__


# --- whole documents ---------------------------------------------------------------------


def _first_section(items: list[Item]) -> tuple[int, Found | None]:
    """Index of the paragraph opening section 1 (目的 or the first numbered heading)."""
    fallback: tuple[int, Found | None] = (len(items), None)
    for index, item in enumerate(items):
        if not isinstance(item, Para) or _is_contents(item):
            continue
        found = find_label(item.text)
        if found is None or (found.is_list and found.kind != "numbered"):
            continue
        if found.numbers != (1,) or len(found.numbers) != 1:
            continue
        if found.kind in ("chapter", "article"):
            return index, found  # 第一章 / 第一条 open a 制度-style document
        title, _ = _title_or_text(found.rest, 1)
        if title and section_key(title):
            return index, found
        if fallback[1] is None and title and (item.heading or item.bold):
            fallback = (index, found)
    if fallback[1] is None:
        # headings without numbers, told by style or bold type: 目的 / 范围 / 职责 …
        for index, item in enumerate(items):
            if isinstance(item, Para) and _unnumbered_heading(item) == 1 and \
                    section_key(item.text) == "purpose":
                return index, Found("unnumbered", (1,), "", item.text.strip(), True)
    return fallback


def _unnumbered_heading(para: Para) -> int | None:
    """Outline depth of a heading without a number: its heading style's level, or 1 for a
    short bold paragraph naming a standard section."""
    text = para.text.strip()
    if not text or len(text) > 30 or find_label(text) is not None:
        return None
    if para.heading:
        return para.heading
    if para.bold and section_key(text):
        return 1
    return None


def _looks_like_form(doc: WordDocument, start: int, cover: CoverData) -> bool:
    tables = [i for i in doc.body if isinstance(i, Table)]
    if not tables:
        return False
    if start < len(doc.body):
        return False
    title = cover.title or ""
    return bool(_FORM_TITLE.search(title)) or sum(len(t.rows) for t in tables) >= 3


def _title_paragraph(items: list[Item]) -> str | None:
    best: tuple[float, str] | None = None
    for item in items:
        if not isinstance(item, Para):
            continue
        text = item.text.strip()
        if not text or len(text) > 40 or "：" in text or ":" in text:
            continue
        score = (item.size or 10.5) + (4 if item.bold else 0) + (3 if item.centered else 0) \
            + (6 if _DOC_TITLE.search(text) or _FORM_TITLE.search(text) else 0)
        if best is None or score > best[0]:
            best = (score, text)
    return best[1] if best else None


def recognise(doc: WordDocument, source: Path) -> Imported:
    """A procedure or a form, recognised in a read Word document."""
    start, first = _first_section(doc.body)
    cover = CoverData()
    reader = _CoverReader(cover)
    revision_tables: set[int] = set()
    for item in doc.header:
        if isinstance(item, Table):
            reader.table(item)
        elif isinstance(item, Para):
            reader.paragraph(item.text)
    for index, item in enumerate(doc.body):
        if isinstance(item, Table):
            rows = revision_rows(item)
            if rows is not None:
                cover.revisions.extend(rows)
                revision_tables.add(index)
            elif index < start:
                reader.table(item)
        elif index < start and isinstance(item, Para):
            reader.paragraph(item.text)
    if not cover.code:
        for item in [*doc.header, *doc.body[:min(start, 12)]]:
            if isinstance(item, Para):
                match = _CODE_LINE.search(item.text)
                if match:
                    cover.code = match.group(1)
                    cover.version = cover.version or match.group(2)
                    break
    first_table = next((i for i in doc.body if isinstance(i, Table)), None)
    if not cover.title and first is None and first_table is not None and first_table.rows:
        top = {c.text for c in first_table.rows[0] if c.text}
        if len(top) == 1 and _FORM_TITLE.search(next(iter(top))):
            cover.title = next(iter(top))  # a form's title in the merged first row
    if not cover.title:
        cover.title = _title_paragraph(doc.body[:start] if start < len(doc.body)
                                       else doc.body[:8])
    original = doc.all_text()
    # a table of contents is a Word field's result, like page numbers: not content
    cover.labels.extend(i.text for i in doc.body if isinstance(i, Para) and _is_contents(i))
    if first is None and _looks_like_form(doc, start, cover):
        form = recognise_form(doc, source, cover)
        form.original_text = original
        return form
    imported = ImportedProcedure(source=source, cover=cover, sections=[], original_text=original)
    if doc.textboxes:
        imported.plain.extend(doc.textboxes)
        imported.guesses.append(Guess("图形", f"文本框或图形中的文字（{len(doc.textboxes)} 处，"
                                      "多为手绘流程图）未导入，请按原文补成流程表或图片"))
    scheme = _Scheme(top=first.kind if first else "decimal")
    outline = _Outline(scheme, imported)
    body_from = start
    if first is None:  # no outline found: the body starts after the title
        body_from = next((i + 1 for i, item in enumerate(doc.body[:12]) if isinstance(item, Para)
                          and item.text.strip() == cover.title), 0)
    for index, item in enumerate(doc.body[body_from:], start=body_from):
        if index in revision_tables:
            continue
        if first is None and isinstance(item, Para) and (
                _split_inline(item.text) or _CODE_LINE.fullmatch(item.text.strip())):
            continue  # 文件编号：… read as cover data
        if isinstance(item, Table):
            outline.table(item)
            continue
        text = item.text.strip()
        if re.match(r"^\s*(编制|编写|拟制)(人)?\s*/\s*日期", text):
            cover.labels.append(text)  # the template prints these on the cover
            reader.paragraph(text)
            continue
        if re.match(r"^\s*(会签|发放范围|分发范围|发放部门)\s*[：:]", text):
            reader.paragraph(text)
            continue
        if _is_contents(item):
            continue  # the table of contents: Wenkong makes its own
        outline.paragraph(item)
    return imported


def _is_contents(para: Para) -> bool:
    """A line of a table of contents (style TOC n / 目录 n, or `目录` itself, or leader dots
    and a page number)."""
    style = para.style.lower()
    text = para.text.strip()
    return (style.startswith(("toc", "目录")) or re.fullmatch(r"目\s*录", text) is not None
            or re.search(r"(\.{4,}|…{2,}|\t)\s*\d{1,3}$", text) is not None)


# --- forms -------------------------------------------------------------------------------

_SIGNOFF = re.compile(r"(签字|签名|签章|盖章|/日期|／日期|确认|批准|审核|填表人|记录人|经办人)")
_DATE_BLANK = re.compile(r"年\s*月\s*日")


def _field_kind(label: str, value: str) -> tuple[str, list[str]]:
    options = checkbox_options(value)
    if len(options) >= 2:
        names = [n for n, _ in options]
        if set(names) <= {"是", "否"}:
            return "yes_no", []
        return ("multi_choice" if "多选" in label else "choice"), names
    if _DATE_BLANK.search(value) or label.endswith("日期") or label.endswith("时间"):
        return "date", []
    if re.search(r"(数量|金额|次数|单价|费用|重量)$", label):
        return "number", []
    return "text", []


def recognise_form(doc: WordDocument, source: Path, cover: CoverData) -> ImportedForm:
    """A Word table form: label cells and blank cells become fields, a header row followed by
    blank rows a repeating table, 签字/日期 cells the sign-off row."""
    form = ImportedForm(source=source, cover=cover, sections=[])
    section = FormSectionFound(title=None)
    form.sections.append(section)
    for item in doc.body:
        if isinstance(item, Para):
            text = item.text.strip()
            if not text or text == cover.title or _CODE_LINE.fullmatch(text):
                continue
            found = _split_inline(text)
            if found is not None:
                continue
            if re.match(r"^(注|说明|备注|填表说明)\s*[：:]", text) or "一式" in text:
                form.notes.append(text)
            elif len(text) <= 20:
                if section.fields or section.columns:
                    section = FormSectionFound(title=text)
                    form.sections.append(section)
                else:
                    section.title = text
            else:
                form.notes.append(text)
            continue
        grid = [_unique(r) for r in item.grid()]
        row_index = 0
        while row_index < len(grid):
            row = grid[row_index]
            cells = [c for c in row]
            filled = [c for c in cells if c.strip()]
            blank_after = 0
            for later in grid[row_index + 1:]:
                if any(c.strip() for c in later):
                    break
                blank_after += 1
            if len(filled) >= 3 and len(filled) == len(cells) and blank_after >= 1:
                section = FormSectionFound(title=section.title if not (
                    section.fields or section.columns) else None)
                if form.sections[-1] is not section and not form.sections[-1].fields and \
                        not form.sections[-1].columns:
                    form.sections[-1] = section
                else:
                    form.sections.append(section)
                section.columns = [c.strip() for c in cells if c.strip() not in ("序号",)]
                section.rows = blank_after
                row_index += 1 + blank_after
                section = FormSectionFound(title=None)
                form.sections.append(section)
                continue
            if filled and all(_SIGNOFF.search(c) for c in filled) and len(filled) >= 2 and \
                    not any(_CODE.fullmatch(c.strip()) for c in filled):
                form.signoff.extend(re.sub(r"[：:\s]+$", "", c.strip()) for c in filled)
                row_index += 1
                continue
            if (len(filled) == 1 and filled[0].strip() in (cover.title, cover.code)) or all(
                    _split_inline(c) or _CODE_LINE.fullmatch(c.strip()) for c in filled):
                row_index += 1  # the form's own title or code line, read as its header
                continue
            if len(filled) == 1 and (len(cells) == 1 or cells.count(filled[0]) == len(cells)):
                text = filled[0]
                label, _, value = text.partition("：")
                if value.strip() == "" and label and len(label) <= 12 and not _BOX_IN(text):
                    section.fields.append(FormFieldFound(label.strip(), "long_text", wide=True))
                elif _split_inline(text) is None and len(text) <= 20:
                    section = FormSectionFound(title=text)
                    form.sections.append(section)
                else:
                    kind, options = _field_kind(label.strip(), value)
                    section.fields.append(FormFieldFound(label.strip(), kind, options, wide=True))
                row_index += 1
                continue
            col = 0
            while col < len(cells):
                text = cells[col].strip()
                if not text:
                    col += 1
                    continue
                inline = _split_inline(text)
                if inline is not None:
                    col += 1
                    continue
                value = cells[col + 1] if col + 1 < len(cells) else ""
                label, colon, inline_value = text.partition("：")
                if colon and inline_value.strip():
                    kind, options = _field_kind(label.strip(), inline_value)
                    if kind in ("choice", "multi_choice", "yes_no", "date"):
                        section.fields.append(FormFieldFound(label.strip(), kind, options))
                        col += 1
                        continue
                if _BOX_IN(text) and not colon:
                    # options without a label cell before them belong to the previous field
                    col += 1
                    continue
                if value.strip() and not _BOX_IN(value) and not _DATE_BLANK.search(value):
                    col += 1  # two labels side by side: the first has no box
                    section.fields.append(FormFieldFound(text.rstrip("：:"), "text"))
                    continue
                kind, options = _field_kind(text.rstrip("：:"), value)
                section.fields.append(FormFieldFound(text.rstrip("：:"), kind, options))
                col += 2
            row_index += 1
    form.sections = [s for s in form.sections if s.fields or s.columns]
    if not form.sections:
        form.guesses.append(Guess("表单", "未识别出填写栏，按一个备注栏导入"))
        form.sections.append(FormSectionFound(None, [FormFieldFound("备注", "long_text",
                                                                    wide=True)]))
    return form


def _BOX_IN(text: str) -> bool:
    return any(c in text for c in _BOX)


def _unique(row: list[str]) -> list[str]:
    """A grid row with the copies of spanned cells dropped."""
    out: list[str] = []
    previous: str | None = None
    for cell in row:
        if cell == previous and cell:
            continue
        out.append(cell)
        previous = cell
    return out
