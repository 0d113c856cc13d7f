"""Import stage, step 4: the recognised document as YAML data of the Wenkong model.

Departments named in the text become role ids of the set (new ones are proposed for
roles.yaml), citations 《…》 of documents in the set or in the same import run become
references, and every value the importer had to infer carries a `# 导入推断: …` comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from generator.importer.recognise import section_key
from generator.importer.structure import (
    Block,
    CheckboxBlock,
    FigureBlock,
    FormulaBlock,
    Guess,
    ImportedForm,
    ImportedProcedure,
    ListBlock,
    NoteBlock,
    ProcessBlock,
    TableBlock,
    TextBlock,
    Unit,
)
from generator.model.common import _SAFE_CODE

GUESS = "导入推断: "
UNKNOWN_NAME = "未注明"

# Common departments and positions → ids a document controller would choose anyway.
_KNOWN_IDS = {
    "总经理": "gm", "管理者代表": "mgmt-rep", "副总经理": "deputy-gm", "销售部": "sales",
    "营销部": "sales", "市场部": "marketing", "商务部": "commerce", "品质部": "quality",
    "品管部": "quality", "质量部": "quality", "质检部": "quality", "技术质量部": "tech-quality",
    "技术部": "engineering", "工程部": "engineering", "研发部": "rd", "生产部": "production",
    "采购部": "purchasing", "物料部": "materials", "PMC部": "pmc", "计划部": "pmc",
    "仓库": "warehouse", "仓储部": "warehouse", "财务部": "finance", "人力资源部": "hr",
    "人事部": "hr", "行政部": "admin", "综合办公室": "admin", "办公室": "office",
    "文控中心": "doc-control", "客服部": "service", "售后服务部": "service",
    "客户服务部": "service", "设备部": "equipment", "物流部": "logistics",
    "各部门": "all-departments", "相关部门": "related-departments",
}
_ROLE_WORD = re.compile(
    r"^([\u4e00-\u9fa5A-Za-z]{1,10}?(?:部门|部|室|中心|科|组|办公室|处|车间|课|经理|主管|"
    r"总经理|管理者代表|工程师|负责人|总监|厂长|人员|小组))")


@dataclass
class SetIndex:
    """What the importer can refer to: the set's roles and documents, and the run's."""

    roles_by_name: dict[str, str]  # 品质部 → quality
    role_ids: set[str]
    procedures: dict[str, str]  # title → code
    forms: dict[str, str]  # title → code
    codes: set[str]
    new_roles: dict[str, str] = field(default_factory=dict)  # name → id, proposed

    def role(self, name: str) -> str:
        """The id of a role named `name`, proposing a new one when the set has none."""
        name = name.strip()
        if name in self.roles_by_name:
            return self.roles_by_name[name]
        if name in self.new_roles:
            return self.new_roles[name]
        base = _KNOWN_IDS.get(name, "dept")
        candidate = base
        n = 1
        taken = self.role_ids | set(self.new_roles.values())
        while candidate in taken or candidate == "dept":
            n += 1
            candidate = f"{base}-{n}"
        self.new_roles[name] = candidate
        return candidate

    def role_at_start(self, text: str) -> tuple[str, str] | None:
        """(role name, rest) when `text` starts with a department or position."""
        names = sorted([*self.roles_by_name, *self.new_roles], key=len, reverse=True)
        for name in names:
            if text.startswith(name):
                return name, text[len(name):]
        match = _ROLE_WORD.match(text)
        if match:
            return match.group(1), text[len(match.group(1)):]
        return None


_CITE = re.compile(
    r"((?:[A-Z][A-Z0-9.\-_ ]{1,20}\d)\s*)?《([^《》]{1,60})》(\s*[A-Z][A-Z0-9.\-_]{1,20}\d)?")


def with_references(text: str, index: SetIndex, cited: list[str]) -> str:
    """《title》 of a known procedure or form → 【proc:CODE】 / 【form:CODE】 (the code printed
    next to it in the original is taken in, since the reference prints it)."""

    def replace(match: re.Match[str]) -> str:
        title = match.group(2)
        code = index.procedures.get(title)
        kind = "proc"
        if code is None:
            code = index.forms.get(title)
            kind = "form"
        if code is None:
            return match.group(0)
        if kind == "form":
            cited.append(code)
        before, after = match.group(1) or "", match.group(3) or ""
        keep_before = before if before and before.strip() != code else ""
        keep_after = after if after and after.strip() != code else ""
        return f"{keep_before}【{kind}:{code}】{keep_after}"

    return _CITE.sub(replace, text)


def safe_code(text: str | None) -> str | None:
    if not text:
        return None
    code = re.sub(r"\s+", "", text)
    return code if _SAFE_CODE.fullmatch(code) and ".." not in code else None


class _Mapper:
    def __init__(self, doc: ImportedProcedure | ImportedForm, index: SetIndex) -> None:
        self.doc = doc
        self.index = index
        self.cited_forms: list[str] = []
        self.guesses = doc.guesses
        self.comments: list[tuple[CommentedMap, str, str]] = []
        self.step_ids = 0
        self.formula_numbers: set[str] = set()  # (1), (2) … of the original's formulas
        self.code = ""
        self.pictures: dict[str, bytes] = {}  # figures/… → picture bytes, written beside

    def guess(self, where: str, what: str, node: CommentedMap | None = None,
              key: str | None = None) -> None:
        self.guesses.append(Guess(where, what))
        if node is not None and key is not None:
            self.comments.append((node, key, what))

    def text(self, value: str) -> str:
        text = with_references(value.strip(), self.index, self.cited_forms)
        if self.formula_numbers:  # 按公式(1) → a reference to the numbered formula
            text = re.sub(r"(?<=公式)\s*[（(](\d{1,2})[）)]", lambda m: (
                f"【formula:formula-{m.group(1)}】" if m.group(1) in self.formula_numbers
                else m.group(0)), text)
        return text

    def finish(self, data: CommentedMap) -> CommentedMap:
        for node, key, what in self.comments:
            node.yaml_add_eol_comment(GUESS + what, key)
        return data


def _seq(items: list[Any], flow: bool = False) -> CommentedSeq:
    seq = CommentedSeq(items)
    if flow:
        seq.fa.set_flow_style()
    return seq


def _flow(**values: Any) -> CommentedMap:
    node = CommentedMap((k, v) for k, v in values.items() if v is not None)
    node.fa.set_flow_style()
    return node


class ProcedureMapper(_Mapper):
    doc: ImportedProcedure

    def map(self, code: str) -> CommentedMap:
        doc = self.doc
        cover = doc.cover
        self.code = code
        self.formula_numbers = _formula_numbers(doc.sections)
        data = CommentedMap()
        data["code"] = code
        data["title"] = cover.title or doc.source.stem
        if not cover.title:
            self.guess("封面", "未找到文件名称，用文件名代替", data, "title")
        data["version"] = cover.version or "A/0"
        if not cover.version:
            self.guess("封面", "未找到版本，按首版 A/0", data, "version")
        data["status"] = "draft"
        self.comments.append((data, "status", "导入的文件一律为草稿，核对后发布"))
        if cover.issue_date:
            data["issue_date"] = cover.issue_date
        if cover.effective_date:
            data["effective_date"] = cover.effective_date
        # the document's own sections: built-in ones by their title, the rest its own
        sections: dict[str, Unit] = {}
        order: list[tuple[str, Unit]] = []
        for unit in doc.sections:
            key = section_key(unit.title or unit.text or "")
            if key is None or key in sections:
                key = f"part{len(order) + 1}"
                self.guess(unit.number, f"“{unit.title or unit.text}”不是常见章节，"
                           f"作为本文件自有章节 {key}")
            elif not self.structured(key, unit):
                key = f"part{len(order) + 1}"
                self.guess(unit.number, f"“{unit.title}”的条目带编号或不是本套文件的表单，"
                           f"按原文作为自有章节 {key} 保留")
            sections[key] = unit
            order.append((key, unit))
        responsibilities = self.responsibilities(sections.get("responsibilities"))
        owner = responsibilities[0]["role"] if responsibilities else None
        data["owner"] = owner or self.index.role("文控中心")
        self.guess("owner", "归口部门取自职责一节的第一个部门" if owner else
                   "未找到归口部门，暂定文控中心", data, "owner")
        approval = CommentedMap()
        for key, sign in (("author", cover.author), ("reviewer", cover.reviewer),
                          ("approver", cover.approver)):
            if sign.name or key == "author":
                approval[key] = _flow(name=sign.name or UNKNOWN_NAME, date=sign.date)
                if not sign.name:
                    self.guess("封面", "未找到编制人", approval, key)
        data["approval"] = approval
        for key in ("countersign", "distribution"):
            ticked = [self.index.role(name) for name, on in getattr(cover, key) if on]
            if ticked:
                data[key] = _seq(list(dict.fromkeys(ticked)), flow=True)
        revisions = self.revisions()
        if revisions:
            data["revisions"] = revisions
        omit = [row for row, key in (("next_review", "next_review"), ("copy_number", "copy"),
                                     ("countersign", "countersign"),
                                     ("distribution", "distribution"))
                if key not in cover.seen]
        if omit:
            data["cover_omit"] = _seq(omit, flow=True)
            self.comments.append((data, "cover_omit", "原件封面没有这些栏目"))
        numbering = numbering_of(doc.sections)
        if numbering:
            data["numbering"] = _seq(numbering, flow=True)
        else:
            self.guess("numbering", "原文条款没有编号，按文件集的编号方式编号")
        if not order:  # nothing numbered or headed: the whole text as one section
            whole = Unit("", (1,), "unnumbered", title="正文",
                         blocks=[TextBlock(t) for t in doc.plain])
            doc.plain = []
            sections["procedure"] = whole
            order.append(("procedure", whole))
            self.guess("正文", "未识别出章节（没有编号或标题样式），全文作为一节导入")
        layout = CommentedSeq()
        for key, unit in order:
            entry = CommentedMap()
            entry[key] = unit.title or unit.text or key
            layout.append(entry)
        data["layout"] = layout
        if "purpose" in sections:
            data["purpose"] = self.joined(sections["purpose"])
        if "scope" in sections:
            data["scope"] = self.joined(sections["scope"])
        terms = self.terms(sections.get("terms"))
        if terms:
            data["terms"] = terms
        if responsibilities:
            data["responsibilities"] = _seq(responsibilities)
        elif "responsibilities" in sections:
            unit = sections["responsibilities"]
            data["responsibilities"] = _seq([CommentedMap(
                role=data["owner"], duties=_seq([self.joined(unit)]))])
            self.guess(unit.number, "职责一节未能按部门拆分，整体归入归口部门")
        if "procedure" in sections:
            unit = sections["procedure"]
            clauses = self.leading_blocks(unit) + self.clauses(unit.children)
            data["procedure"] = _seq(clauses or [self.text(unit.title or "无")])
        own = CommentedMap()
        for key, unit in order:
            if key.startswith("part"):
                clauses = self.leading_blocks(unit) + self.clauses(unit.children)
                if clauses:
                    own[key] = _seq(clauses)
        if own:
            data["sections"] = own
        related = self.related(sections.get("related"))
        if related:
            data["related"] = related
        records = self.records(sections.get("records"))
        if records:
            data["records"] = records
        attachments = self.attachments(sections.get("attachments"))
        if attachments:
            data["attachments"] = attachments
        return self.finish(data)

    def structured(self, key: str, unit: Unit) -> bool:
        """Can a related or records section be kept as a list of documents? Not when its
        entries are numbered (the list prints bullets) or name forms the set does not have."""
        if key not in ("related", "records"):
            return True
        if unit.children:
            return False
        if key == "related":
            return True
        lines = [line for line in self.lines(unit) if not re.fullmatch(r"[无無]\W*", line)]
        return all(self.form_in(line) for line in lines)

    def lines(self, unit: Unit) -> list[str]:
        texts = [" ".join(p for p in (c.title, c.text) if p) for c in unit.children]
        texts += unit.all_text()
        for block in unit.blocks:
            if isinstance(block, TableBlock):
                texts.extend(" ".join(r) for r in block.rows[1:])
        return [t.strip() for t in texts if t.strip()]

    def form_in(self, line: str) -> str | None:
        for title, code in self.index.forms.items():
            if title in line or re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", line):
                return code
        return None

    def add_records_section(self, data: CommentedMap) -> None:
        """A form that belongs to this procedure must be listed in its records: when the
        original has no records section, one is added at the end."""
        entry = CommentedMap(records="质量记录")
        layout = data["layout"]
        layout.append(entry)
        self.guess("质量记录", "原文没有记录一节；本文件的表单须列在记录中，已在最后加上")
        layout.yaml_add_eol_comment(GUESS + "原文没有这一节，为列出本文件的表单而加",
                                    len(layout) - 1)

    # --- sections ------------------------------------------------------------------------

    def joined(self, unit: Unit) -> str:
        parts = unit.all_text()
        for child in unit.children:
            parts.extend([child.title or "", *child.all_text()])
        text = "".join(p for p in parts if p)
        return self.text(text) if text else "无"

    def terms(self, unit: Unit | None) -> CommentedSeq | None:
        if unit is None:
            return None
        terms = CommentedSeq()
        entries: list[Unit] = list(unit.children)
        if not entries:
            entries = [Unit("", (0,), "text", text=b.text) for b in unit.blocks
                       if isinstance(b, TextBlock)]
        for child in entries:
            line = child.text or child.title or ""
            match = re.match(r"^(.{1,30}?)\s*[：:]\s*(.*)$", line, re.S)
            if child.title and not child.text:
                term, definition = child.title, None
            elif match:
                term, definition = match.group(1), match.group(2) or None
            else:
                if not re.fullmatch(r"[无無]\W*", line.strip()):
                    self.doc.plain.append(line)
                    self.guess(child.number or unit.number, f"未能拆出术语：{line[:20]}…")
                continue
            body = [b for b in (self.block(x, child.number) for x in child.blocks)
                    if b is not None]
            for grandchild in child.children:
                body.extend(self.text(t) for t in [grandchild.title or "",
                                                   *grandchild.all_text()] if t)
            if definition is None and body and isinstance(body[0], str):
                definition = body.pop(0)
            entry = CommentedMap(term=term.strip())
            if definition:
                entry["definition"] = self.text(definition)
            if body:
                entry["body"] = _seq(body)
            if "definition" not in entry and "body" not in entry:
                entry["definition"] = "（原文未写）"
            terms.append(entry)
        return terms or None

    def responsibilities(self, unit: Unit | None) -> list[CommentedMap]:
        """One responsibility per numbered line, its department read from the line's start;
        text under a line (and lines naming no department) becomes further duties of the
        department before it, so nothing of the section is lost."""
        if unit is None:
            return []
        entries: list[tuple[str, list[str]]] = []
        for child in unit.children:
            head = " ".join(p for p in (child.title, child.text) if p)
            extra = child.all_text()[1:] if child.text else child.all_text()
            for grandchild in child.children:
                extra += [t for t in (grandchild.title, *grandchild.all_text()) if t]
            entries.append((head, extra))
        entries += [(b.text, []) for b in unit.blocks if isinstance(b, TextBlock)]
        for block in unit.blocks:
            if isinstance(block, ListBlock):
                entries += [(item, []) for item in block.items]
        found: list[CommentedMap] = []
        for head, extra in entries:
            start = self.index.role_at_start(head.strip())
            if start is None:
                if found:
                    found[-1]["duties"].extend(self.text(t) for t in (head, *extra) if t)
                    self.guess("职责", f"“{head[:20]}”未写部门，并入上一条的职责")
                else:
                    self.doc.plain.append(head)
                    self.guess("职责", f"未能识别部门：{head[:20]}…")
                continue
            name, rest = start
            duties = [t for t in (rest.lstrip("：: "), *extra) if t]
            found.append(CommentedMap(role=self.index.role(name), duties=_seq(
                [self.text(t) for t in duties] or [self.text(name)])))
        return found

    def related(self, unit: Unit | None) -> CommentedSeq | None:
        if unit is None:
            return None
        lines = [" ".join(p for p in (c.title, c.text) if p) for c in unit.children]
        for block in unit.blocks:
            if isinstance(block, TextBlock):
                lines.append(block.text)
            elif isinstance(block, ListBlock):
                lines.extend(block.items)
            elif isinstance(block, TableBlock):
                lines.extend(" ".join(r) for r in block.rows[1:])
        out = CommentedSeq()
        for line in lines:
            line = line.strip()
            if not line or re.fullmatch(r"[无無]\W*", line):
                continue
            match = re.search(r"《([^《》]+)》", line)
            title = match.group(1) if match else line
            code = self.index.procedures.get(title)
            if code is not None:
                out.append(_flow(procedure=code))
                continue
            form = self.index.forms.get(title)
            if form is not None:
                self.cited_forms.append(form)
            found_code = re.search(r"[A-Z][A-Z0-9]{0,9}(?:[-_. ]?[A-Z0-9]{1,10}){1,4}",
                                   line.replace(match.group(0), " ") if match else "")
            out.append(_flow(title=title, code=found_code.group(0).strip() if found_code
                             else None))
        return out or None

    def records(self, unit: Unit | None) -> CommentedSeq | None:
        if unit is None:
            return None
        codes = [c for c in (self.form_in(line) for line in self.lines(unit)) if c]
        codes = list(dict.fromkeys(codes))
        return _seq([_flow(form=c) for c in codes]) if codes else None

    def attachments(self, unit: Unit | None) -> CommentedSeq | None:
        if unit is None:
            return None
        lines = [" ".join(p for p in (c.title, c.text) if p) for c in unit.children]
        lines += unit.all_text()
        out = CommentedSeq()
        for line in lines:
            if line.strip() and not re.fullmatch(r"[无無]\W*", line.strip()):
                out.append(CommentedMap(title=line.strip()))
        return out or None

    def revisions(self) -> CommentedSeq | None:
        out = CommentedSeq()
        cover = self.doc.cover
        for row in cover.revisions:
            if row.date is None or not row.version:
                self.guess("修改履历", f"版本 {row.version or '?'} 的一行没有日期，未导入："
                           f"{row.summary[:30]}")
                continue
            entry = CommentedMap()
            entry["version"] = row.version
            entry["date"] = row.date
            if row.clauses:
                entry["clauses"] = row.clauses
            entry["summary"] = row.summary or "（原文未写）"
            entry["author"] = row.author or cover.author.name or UNKNOWN_NAME
            if not row.author:
                self.comments.append((entry, "author", "原表未写修改人"))
            for key in ("reviewer", "approver", "remark"):
                if getattr(row, key):
                    entry[key] = getattr(row, key)
            entry.fa.set_flow_style()
            out.append(entry)
        return out or None

    # --- clauses and blocks ----------------------------------------------------------------

    def leading_blocks(self, unit: Unit) -> list[Any]:
        """Content directly under the procedure section's heading, before 5.1."""
        out: list[Any] = []
        if unit.text:
            out.append(self.text(unit.text))
        for block in unit.blocks:
            mapped = self.block(block, unit.number)
            if mapped is not None:
                if isinstance(mapped, str):
                    out.append(mapped)
                else:
                    out.append(CommentedMap(body=_seq([mapped])))
                self.guess(unit.number, "节标题下、第一条之前的内容成为单独一条")
        return out

    def clauses(self, units: list[Unit]) -> list[Any]:
        return [self.clause(u) for u in units]

    def clause(self, unit: Unit) -> Any:
        body = [b for b in (self.block(x, unit.number) for x in unit.blocks) if b is not None]
        children = self.clauses(unit.children)
        if not unit.title and not body and not children and unit.text:
            return self.text(unit.text)
        node = CommentedMap()
        if unit.title:
            node["title"] = self.text(unit.title)
        if unit.text:
            node["text"] = self.text(unit.text)
        if body:
            node["body"] = _seq(body)
        if children:
            node["clauses"] = _seq(children)
        if not node:
            node["text"] = unit.number
        return node

    def block(self, block: Block, where: str) -> Any:
        if isinstance(block, TextBlock):
            return self.text(block.text)
        if isinstance(block, ListBlock):
            return CommentedMap(list=block.style,
                                items=_seq([self.text(i) for i in block.items]))
        if isinstance(block, NoteBlock):
            return CommentedMap(note=self.text(block.text))
        if isinstance(block, TableBlock):
            return self.table(block, where)
        if isinstance(block, ProcessBlock):
            return self.process(block, where)
        if isinstance(block, FormulaBlock):
            formula = CommentedMap()
            if block.number:
                formula["id"] = f"formula-{block.number}"
            formula["name"] = block.name
            formula["expression"] = block.expression
            return CommentedMap(formula=formula)
        if isinstance(block, CheckboxBlock):
            names = list(dict.fromkeys(n for n, _ in block.options))
            if len(names) < 2:
                return self.text(" ".join(n for n, _ in block.options))
            content = CommentedMap()
            if block.label:
                content["label"] = block.label
            content["options"] = _seq(names, flow=True)
            checked = [n for n, on in block.options if on]
            if checked:
                content["checked"] = _seq(checked, flow=True)
            return CommentedMap(checkboxes=content)
        if isinstance(block, FigureBlock):
            data = block.picture.data
            kind = "png" if data.startswith(b"\x89PNG") else (
                "jpg" if data.startswith(b"\xff\xd8\xff") else None)
            if kind is None:
                self.doc.plain.append(f"{where} 图片 {block.picture.name}")
                self.guess(where, f"图片 {block.picture.name} 不是 PNG/JPEG，未导入，需手工处理")
                return None
            name = f"figures/{self.code}-{len(self.pictures) + 1}.{kind}"
            self.pictures[name] = data
            figure = CommentedMap(file=name)
            if block.caption:
                figure["caption"] = block.caption
            return CommentedMap(figure=figure)
        return None

    def table(self, block: TableBlock, where: str) -> Any:
        rows = block.rows
        if len(rows) < 2:
            return self.text(" ".join(c for c in rows[0] if c)) if rows else None
        columns = [c or "—" for c in rows[0]]
        table = CommentedMap()
        if block.caption:
            table["caption"] = block.caption
        table["columns"] = _seq(columns, flow=True)
        table["rows"] = _seq([_seq([self.text(c) for c in r], flow=True) for r in rows[1:]])
        return CommentedMap(table=table)

    def owner(self, name: str) -> str:
        """A role id, or a group written out in Chinese (各部门) that is no role."""
        if name in self.index.roles_by_name or name in self.index.new_roles:
            return self.index.role(name)
        if re.fullmatch(r"(各|相关|所有|全体|其他).{0,6}", name):
            return name
        return self.index.role(name)

    def process(self, block: ProcessBlock, where: str) -> Any:
        keys = {"input": "input", "step": "flow", "owners": "owners",
                "key_points": "key_points", "documents": "documents", "outputs": "outputs"}
        columns = CommentedSeq()
        own: dict[str, str] = {}
        has_labels = any(row.label for row in block.rows)
        for key, title in block.columns:
            show = keys.get(key)
            if show is None:
                show = "time_limit" if key == "time" else f"col{len(own) + 1}"
                own[key] = show
            columns.append(_flow(show=show, title=title or show))
        if has_labels and block.label_title is not None:
            columns.insert(block.label_at, _flow(show="label", title=block.label_title))
        labels = {row.label: n for n, row in enumerate(block.rows) if row.label}
        steps = CommentedSeq()
        ids: list[str] = []
        for _ in block.rows:
            self.step_ids += 1
            ids.append(f"s{self.step_ids}")
        for n, row in enumerate(block.rows):
            cells = row.cells
            step = CommentedMap()
            step["id"] = ids[n]
            if row.label:
                step["label"] = row.label
            name = cells.get("step") or ""
            step["name"] = self.text(name or f"步骤{n + 1}")
            if cells.get("input"):
                step["input"] = self.text(cells["input"])
            owners = [self.owner(x) for x in re.split(r"[、，,/／\s]+", cells.get("owners", ""))
                      if x]
            if owners:
                step["owners"] = _seq(list(dict.fromkeys(owners)), flow=True)
            if cells.get("key_points"):
                step["key_points"] = self.text(cells["key_points"])
            if cells.get("documents"):
                step["documents"] = _seq([self.text(d) for d in re.split(
                    r"\n+", cells["documents"]) if d.strip()])
            outputs: list[str] = []
            for item in re.split(r"[、，,\n]+", cells.get("outputs", "")):
                item = item.strip()
                code = self.index.forms.get(item.strip("《》"))
                if code:
                    outputs.append(code)
                elif item:
                    outputs.append(self.text(item) if re.search(r"[^\x00-\x7f\s]", item)
                                   else f"《{item}》")
            if outputs:
                step["outputs"] = _seq(outputs, flow=True)
            extra = CommentedMap((own[k], self.text(v)) for k, v in cells.items()
                                 if k in own and v)
            if extra:
                step["cells"] = extra
            branches = self.branches(name + "\n" + cells.get("key_points", ""), labels, ids)
            if branches:
                step["branches"] = branches
            steps.append(step)
        if len(steps) < 2:
            return None
        process = CommentedMap(title=block.title or "流程")
        process["columns"] = columns
        if has_labels:
            process["step_labels"] = "given"
        process["steps"] = steps
        return CommentedMap(process=process)

    def branches(self, text: str, labels: dict[str, int], ids: list[str]) -> CommentedSeq:
        """`是→C 否→A`, `OK：转D；NG：转B` in a step's cells → branches to those steps."""
        found = CommentedSeq()
        for word, label in re.findall(
                r"(是|否|OK|NG|合格|不合格|通过|不通过|Y|N)\s*[：:→\-—>]*\s*(?:转|至|到)?\s*"
                r"([A-Z])(?![A-Za-z])", text):
            if label in labels:
                found.append(_flow(label=word, to=ids[labels[label]]))
        return found if len(found) >= 2 else CommentedSeq()


class FormMapper(_Mapper):
    doc: ImportedForm

    def map(self, code: str, procedure: str | None, custodian: str) -> CommentedMap:
        doc = self.doc
        cover = doc.cover
        data = CommentedMap()
        data["code"] = code
        data["title"] = cover.title or doc.source.stem
        data["version"] = cover.version or "A/0"
        if not cover.version:
            self.guess("表头", "未找到版本，按首版 A/0", data, "version")
        data["status"] = "draft"
        data["procedure"] = procedure or "QP-01"
        self.guess("procedure", "所属程序按表单编号推断" if procedure else
                   "未能推断所属程序，请改正", data, "procedure")
        data["custodian"] = custodian
        self.guess("custodian", "保存部门取所属程序的归口部门", data, "custodian")
        notes = [n for n in doc.notes if "一式" in n]
        if notes:
            data["copies"] = notes[0]
        others = [n for n in doc.notes if "一式" not in n]
        if others:
            data["instructions"] = "\n".join(others)
        sections = CommentedSeq()
        used: set[str] = set()

        def ident(label: str, prefix: str) -> str:
            n = len(used) + 1
            candidate = f"{prefix}{n}"
            while candidate in used:
                n += 1
                candidate = f"{prefix}{n}"
            used.add(candidate)
            return candidate

        for found in doc.sections:
            section = CommentedMap()
            if found.title:
                section["title"] = found.title
            if found.fields:
                fields = CommentedSeq()
                for item in found.fields:
                    entry = CommentedMap()
                    entry["id"] = ident(item.label, "f")
                    entry["label"] = item.label or "（无标签）"
                    if item.kind != "text":
                        entry["type"] = item.kind
                    if item.options:
                        entry["options"] = _seq(list(dict.fromkeys(item.options)), flow=True)
                    if item.wide:
                        entry["wide"] = True
                    entry.fa.set_flow_style()
                    fields.append(entry)
                section["fields"] = fields
            if found.columns:
                table = CommentedMap()
                table["id"] = ident("table", "t")
                table["columns"] = _seq([_flow(id=ident(c, "c"), label=c)
                                         for c in found.columns])
                table["rows"] = max(1, min(found.rows, 60))
                section["table"] = table
            sections.append(section)
        data["sections"] = sections
        if doc.signoff:
            data["signoff"] = _seq([_flow(id=ident(s, "sign"), label=s) for s in doc.signoff])
        self.guess("sections", "字段类型按表格内容推断（□ 选项、年 月 日、空白大格）",
                   data, "sections")
        return self.finish(data)


_LEVEL_FORMATS = {"decimal_zero": "1.0", "chinese": "一、", "paren_chinese": "（一）",
                  "chapter": "第一章", "section": "第一节", "article": "第一条",
                  "decimal_dot": "1.", "decimal_comma": "1、"}


def numbering_of(units: list[Unit]) -> list[Any] | None:
    """The document's numbering, one format per level, as its first clauses print:
    `[一、, 1.1, 1.1.1]`; None when the original numbers nothing."""
    formats: dict[int, str] = {}

    def visit(items: list[Unit], depth: int) -> None:
        for unit in items:
            if depth not in formats and unit.kind != "unnumbered":
                if unit.kind == "decimal" or (unit.kind == "decimal_zero" and depth > 1):
                    parts = len(unit.number.split("."))
                    formats[depth] = ".".join(["1"] * parts)
                else:
                    formats[depth] = _LEVEL_FORMATS.get(unit.kind, "1")
            visit(unit.children, depth + 1)

    visit(units, 1)
    if not formats or 1 not in formats:
        return None
    if formats.get(2) == "第一条" and _articles_continue(units):
        levels: list[Any] = [formats[1], _flow(format="第一条", continuous=True)]
        return levels
    levels = [formats[1]]
    for depth in range(2, max(formats) + 1):
        levels.append(formats.get(depth, levels[-1] + ".1" if levels[-1][-1:] == "1" else
                                  levels[-1]))
    return levels


def _articles_continue(chapters: list[Unit]) -> bool:
    """第二章 goes on from the last article of 第一章 (第四条) instead of restarting."""
    for n, later in enumerate(chapters[1:], start=1):
        if chapters[n - 1].children and later.children and later.children[0].numbers[-1] > 1:
            return True
    return False


def _formula_numbers(units: list[Unit]) -> set[str]:
    """Numbers of the numbered formulas of a document, (1) → "1"."""
    found: set[str] = set()
    for unit in units:
        found |= {b.number for b in unit.blocks if isinstance(b, FormulaBlock) and b.number}
        found |= _formula_numbers(unit.children)
    return found
