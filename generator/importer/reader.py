"""Import stage, step 2: a .docx as a flat list of paragraphs, tables and pictures.

Only what the recogniser needs is kept: the text as Word displays it (automatic numbers
included, deleted revisions and fallbacks left out), the paragraph's style and heading level,
whether it is all bold, its font size, and each table as rows of cells. The first page's
header is read too: many companies keep 文件编号 / 版本 there instead of in a cover table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from generator.i18n import _
from generator.importer.package import R_NS, W_NS, Package, Unreadable
from generator.importer.wordnumbering import Label, WordNumbering

_W = f"{{{W_NS}}}"
_R = f"{{{R_NS}}}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_V = "{urn:schemas-microsoft-com:vml}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_HEADING = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
MAX_ITEMS = 200_000  # paragraphs and cells: far above any real procedure

_OFF = ("0", "false", "off")


@dataclass(frozen=True)
class Picture:
    name: str  # part name, e.g. word/media/image1.png
    data: bytes

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower() or ".png"


@dataclass
class Para:
    """One paragraph as the reader sees it."""

    text: str  # the label Word displays (automatic numbering) + the typed text
    label: Label | None = None  # automatic numbering, when there is one
    style: str = ""  # style name (Normal, heading 1, 标题 2 …)
    heading: int | None = None  # 1-based heading level from the style or outline level
    bold: bool = False  # every character is bold
    size: float | None = None  # largest font size, in points
    centered: bool = False
    pictures: list[Picture] = field(default_factory=list)

    @property
    def typed(self) -> str:
        """The text without the automatic label."""
        if self.label and self.text.startswith(self.label.text):
            return self.text[len(self.label.text):].lstrip()
        return self.text


@dataclass
class Cell:
    paragraphs: list[Para]
    span: int = 1  # grid columns covered
    merged_up: bool = False  # continues the cell above (w:vMerge without restart)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs).strip()


@dataclass
class Table:
    rows: list[list[Cell]]

    def texts(self) -> list[list[str]]:
        """Rows of cell texts; a merged cell counts once, where it starts."""
        return [[c.text for c in row if not c.merged_up] for row in self.rows]

    def grid(self) -> list[list[str]]:
        """Rows of texts, one per grid column: spanned cells repeat, merged-up cells are ""."""
        out = []
        for row in self.rows:
            line: list[str] = []
            for cell in row:
                line.extend([cell.text if not cell.merged_up else ""] * max(cell.span, 1))
            out.append(line)
        return out


Item = Para | Table


@dataclass
class WordDocument:
    body: list[Item]
    header: list[Item]  # the first page's header (first-page header, else the default one)
    footer: list[Item] = field(default_factory=list)  # the first page's footer
    textboxes: list[str] = field(default_factory=list)  # text in text boxes and shapes

    def all_text(self) -> str:
        """Every character of the body and the first header, in reading order."""
        parts: list[str] = []

        def visit(items: list[Item]) -> None:
            for item in items:
                if isinstance(item, Para):
                    parts.append(item.text)
                else:
                    for row in item.rows:
                        for cell in row:
                            if not cell.merged_up:
                                visit(list(cell.paragraphs))
        visit(self.header)
        visit(self.body)
        parts.extend(self.textboxes)
        visit(self.footer)
        return "\n".join(parts)


class _Styles:
    def __init__(self, styles: Any | None) -> None:
        self.names: dict[str, str] = {}
        self.based_on: dict[str, str] = {}
        self.outline: dict[str, int] = {}
        self.bold: dict[str, bool] = {}
        self.size: dict[str, float] = {}
        self.num: dict[str, tuple[str, int]] = {}
        self.default_paragraph = ""
        if styles is None:
            return
        for style in styles.findall(f"{_W}style"):
            sid = style.get(f"{_W}styleId") or ""
            name = style.find(f"{_W}name")
            self.names[sid] = name.get(f"{_W}val") if name is not None else sid
            based = style.find(f"{_W}basedOn")
            if based is not None:
                self.based_on[sid] = based.get(f"{_W}val") or ""
            if style.get(f"{_W}type") == "paragraph" and style.get(f"{_W}default") in (
                    "1", "true", "on"):
                self.default_paragraph = sid
            ppr = style.find(f"{_W}pPr")
            if ppr is not None:
                outline = ppr.find(f"{_W}outlineLvl")
                if outline is not None and (outline.get(f"{_W}val") or "").isdigit():
                    self.outline[sid] = int(outline.get(f"{_W}val") or "9")
                numpr = ppr.find(f"{_W}numPr")
                if numpr is not None:
                    num = numpr.find(f"{_W}numId")
                    ilvl = numpr.find(f"{_W}ilvl")
                    level = ilvl.get(f"{_W}val") if ilvl is not None else "0"
                    if num is not None:
                        self.num[sid] = (num.get(f"{_W}val") or "0",
                                         int(level) if level and level.isdigit() else 0)
            rpr = style.find(f"{_W}rPr")
            if rpr is not None:
                b = rpr.find(f"{_W}b")
                if b is not None:
                    self.bold[sid] = b.get(f"{_W}val", "1") not in _OFF
                sz = rpr.find(f"{_W}sz")
                if sz is not None and (sz.get(f"{_W}val") or "").isdigit():
                    self.size[sid] = int(sz.get(f"{_W}val") or "0") / 2

    def chain(self, sid: str) -> list[str]:
        seen: list[str] = []
        while sid and sid not in seen and len(seen) < 20:
            seen.append(sid)
            sid = self.based_on.get(sid, "")
        return seen

    def lookup(self, sid: str, table: dict[str, Any]) -> Any:
        for s in self.chain(sid):
            if s in table:
                return table[s]
        return None

    def heading_level(self, sid: str) -> int | None:
        for s in self.chain(sid):
            match = _HEADING.match(self.names.get(s, ""))
            if match:
                return int(match.group(1))
            if s in self.outline and self.outline[s] < 9:
                return self.outline[s] + 1
        return None


class _Reader:
    def __init__(self, package: Package) -> None:
        self.package = package
        self.styles = _Styles(package.xml("word/styles.xml"))
        self.numbering = WordNumbering(package.xml("word/numbering.xml"))
        self.count = 0
        self.part = "word/document.xml"
        self.rels: dict[str, str] = {}

    def tick(self) -> None:
        self.count += 1
        if self.count > MAX_ITEMS:
            raise Unreadable(_("文档段落或单元格过多，按不安全文件拒绝"))

    def items(self, container: Any) -> list[Item]:
        found: list[Item] = []
        for child in container:
            tag = child.tag
            if tag == f"{_W}p":
                found.append(self.paragraph(child))
            elif tag == f"{_W}tbl":
                found.append(self.table(child))
            elif tag in (f"{_W}sdt", f"{_W}customXml", f"{_W}sdtContent"):
                inner = child.find(f"{_W}sdtContent") if tag == f"{_W}sdt" else child
                if inner is not None:
                    found.extend(self.items(inner))
        return found

    def table(self, tbl: Any) -> Table:
        rows: list[list[Cell]] = []
        for tr in tbl.iter(f"{_W}tr"):
            if tr.getparent() is not tbl and tr.getparent().tag != f"{_W}sdtContent":
                continue  # rows of nested tables are read with their cell
            row: list[Cell] = []
            for tc in tr:
                if tc.tag == f"{_W}sdt":
                    content = tc.find(f"{_W}sdtContent")
                    cells = content.findall(f"{_W}tc") if content is not None else []
                elif tc.tag == f"{_W}tc":
                    cells = [tc]
                else:
                    continue
                for cell in cells:
                    self.tick()
                    tcpr = cell.find(f"{_W}tcPr")
                    span = 1
                    merged = False
                    if tcpr is not None:
                        grid = tcpr.find(f"{_W}gridSpan")
                        if grid is not None and (grid.get(f"{_W}val") or "").isdigit():
                            span = int(grid.get(f"{_W}val") or "1")
                        vmerge = tcpr.find(f"{_W}vMerge")
                        merged = vmerge is not None and vmerge.get(f"{_W}val") != "restart"
                    paragraphs: list[Para] = []
                    for item in self.items(cell):
                        if isinstance(item, Para):
                            paragraphs.append(item)
                        else:  # a table in a cell: its text, row by row
                            for inner in item.rows:
                                paragraphs.append(Para(" ".join(
                                    c.text for c in inner if not c.merged_up)))
                    row.append(Cell(paragraphs, span, merged))
            rows.append(row)
        return Table(rows)

    def paragraph(self, p: Any) -> Para:
        self.tick()
        ppr = p.find(f"{_W}pPr")
        sid = ""
        num: tuple[str, int] | None = None
        centered = False
        outline: int | None = None
        if ppr is not None:
            pstyle = ppr.find(f"{_W}pStyle")
            sid = pstyle.get(f"{_W}val") or "" if pstyle is not None else ""
            numpr = ppr.find(f"{_W}numPr")
            if numpr is not None:
                num_id = numpr.find(f"{_W}numId")
                ilvl = numpr.find(f"{_W}ilvl")
                level = ilvl.get(f"{_W}val") if ilvl is not None else None
                style_num = self.styles.lookup(sid, self.styles.num)
                num = (num_id.get(f"{_W}val") if num_id is not None else
                       (style_num[0] if style_num else "0")) or "0", \
                    int(level) if level and level.isdigit() else (
                        style_num[1] if style_num else 0)
            jc = ppr.find(f"{_W}jc")
            centered = jc is not None and jc.get(f"{_W}val") == "center"
            lvl = ppr.find(f"{_W}outlineLvl")
            if lvl is not None and (lvl.get(f"{_W}val") or "").isdigit():
                outline = int(lvl.get(f"{_W}val") or "9")
        sid = sid or self.styles.default_paragraph
        if num is None:
            style_num = self.styles.lookup(sid, self.styles.num)
            if style_num is not None:
                num = style_num
                linked = self.numbering.style_levels.get(sid)
                if linked is not None and linked[0] == style_num[0]:
                    num = linked
        text, bold, size, pictures = self.runs(p, sid)
        label = self.numbering.label(*num) if num else None
        if label is not None and label.fmt == "bullet":
            label = Label("•", label.fmt, label.level, label.suffix)  # Symbol-font glyphs
        shown = text
        if label is not None and label.text:
            gap = "" if label.suffix == "nothing" else " "
            shown = label.text + gap + text.lstrip()
        heading = self.styles.heading_level(sid)
        if outline is not None and outline < 9:
            heading = outline + 1
        return Para(text=shown.strip(), label=label if label and label.text else None,
                    style=self.styles.names.get(sid, sid), heading=heading, bold=bold,
                    size=size, centered=centered, pictures=pictures)

    def runs(self, p: Any, sid: str) -> tuple[str, bool, float | None, list[Picture]]:
        parts: list[str] = []
        all_bold = True
        any_text = False
        size: float | None = self.styles.lookup(sid, self.styles.size)
        style_bold = bool(self.styles.lookup(sid, self.styles.bold))
        pictures: list[Picture] = []
        for node in p.iter():
            tag = node.tag
            if not isinstance(tag, str):
                continue
            if self._skipped(node, p):
                continue
            if tag in (f"{_W}t", f"{_M}t"):
                # word joiners and zero-width spaces (Wenkong's own output keeps codes and
                # names whole with them) are layout, not text
                text = (node.text or "").replace("\u2060", "").replace("\u200b", "")
                parts.append(text)
                if text.strip():
                    any_text = True
                    run = node.getparent()
                    rpr = run.find(f"{_W}rPr") if run is not None else None
                    bold = style_bold
                    if rpr is not None:
                        b = rpr.find(f"{_W}b")
                        if b is not None:
                            bold = b.get(f"{_W}val", "1") not in _OFF
                        sz = rpr.find(f"{_W}sz")
                        if sz is not None and (sz.get(f"{_W}val") or "").isdigit():
                            points = int(sz.get(f"{_W}val") or "0") / 2
                            size = max(size or 0, points)
                        rstyle = rpr.find(f"{_W}rStyle")
                        if b is None and rstyle is not None:
                            bold = bool(self.styles.lookup(rstyle.get(f"{_W}val") or "",
                                                           self.styles.bold)) or bold
                    all_bold = all_bold and bold
            elif tag == f"{_W}tab":
                parts.append("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                parts.append("\n")
            elif tag in (f"{_A}blip", f"{_V}imagedata"):
                rid = node.get(f"{_R}embed") or node.get(f"{_R}id")
                picture = self.picture(rid)
                if picture is not None:
                    pictures.append(picture)
        return "".join(parts), any_text and all_bold, size, pictures

    def _skipped(self, node: Any, p: Any) -> bool:
        """Deleted text, field codes, fallbacks and text boxes are not the paragraph's text."""
        parent = node.getparent()
        while parent is not None and parent is not p:
            tag = parent.tag
            if tag in (f"{_W}del", f"{_MC}Fallback", f"{_W}instrText", f"{_W}txbxContent"):
                return True
            parent = parent.getparent()
        return bool(node.tag == f"{_W}delText")

    def picture(self, rid: str | None) -> Picture | None:
        if not rid:
            return None
        if not self.rels:
            self.rels = self.package.relationships(self.part)
        target = self.rels.get(rid)
        if not target or target not in self.package.names:
            return None
        return Picture(target, self.package.data(target))


def read_document(package: Package) -> WordDocument:
    """Read the body and the first page's header of an opened .docx."""
    reader = _Reader(package)
    document = package.xml("word/document.xml")
    body = document.find(f"{_W}body") if document is not None else None
    if body is None:
        raise Unreadable(_("不是 Word 文档（没有正文）"))
    items = reader.items(body)
    header: list[Item] = []
    footer: list[Item] = []
    sect = next(iter(body.iter(f"{_W}sectPr")), None)
    if sect is not None:
        title_page = sect.find(f"{_W}titlePg")
        first = title_page is not None and title_page.get(f"{_W}val", "1") not in _OFF
        rels = package.relationships("word/document.xml")
        header = _margin(package, reader, sect, "header", first, rels)
        footer = _margin(package, reader, sect, "footer", first, rels)
    textboxes = []
    for box in body.iter(f"{_W}txbxContent"):
        if any(a.tag == f"{_MC}Fallback" for a in box.iterancestors()):
            continue  # the VML copy of a shape Word also writes as DrawingML
        text = " ".join("".join(t.text or "" for t in p.iter(f"{_W}t"))
                        for p in box.iter(f"{_W}p")).strip()
        if text:
            textboxes.append(text)
    return WordDocument(items, header, footer, textboxes)


def _margin(package: Package, reader: _Reader, sect: Any, kind: str, first: bool,
            rels: dict[str, str]) -> list[Item]:
    """The first page's header or footer (`kind`) of the section `sect`."""
    refs = {ref.get(f"{_W}type"): ref.get(f"{_R}id")
            for ref in sect.findall(f"{_W}{kind}Reference")}
    rid = refs.get("first") if first and refs.get("first") else refs.get("default")
    part = rels.get(rid or "")
    if not part or part not in package.names:
        return []
    margin_reader = _Reader(package)
    margin_reader.part = part
    margin_reader.numbering = reader.numbering
    root = package.xml(part)
    return margin_reader.items(root) if root is not None else []
