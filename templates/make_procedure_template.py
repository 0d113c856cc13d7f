"""Make `templates/procedure.docx`, the Word template of procedure documents (reproducibly).

The template is a real .docx with Jinja placeholders (docxtpl): letterhead, header on every
page, cover block, revision history and the styles the generated body uses. A quality
department may open the result in Word, move things around, restyle it and save it; this
script only exists so that the shipped default can be rebuilt and reviewed. See README.md in
this folder for every placeholder and style name.

    python templates/make_procedure_template.py                      # templates/procedure.docx
    python templates/make_procedure_template.py --variant alt OUT    # the test fixture variant

The `alt` variant (tests/fixtures/docx/alt-template/procedure.docx) is rearranged and restyled
on purpose: the tests prove that a changed template changes the documents.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import (
    WD_ALIGN_PARAGRAPH,
    WD_BREAK,
    WD_LINE_SPACING,
    WD_TAB_ALIGNMENT,
    WD_TAB_LEADER,
)
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.render.docx import ooxml
from generator.render.docx.fonts import face_name

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Look:
    """What differs between the default template and the test variant."""

    body_font: str = "宋体"
    heading_font: str = "黑体"
    latin: str = "Times New Roman"
    body_size: float = 10.5  # 五号
    heading_sizes: tuple[float, float, float, float] = (14, 12, 10.5, 10.5)  # 四号, 小四, 五号
    heading_color: RGBColor | None = None
    header_fill: str = "D9D9D9"
    cover_title_size: float = 22  # 二号
    rearranged: bool = False


DEFAULT = Look()
ALT = Look(body_font="楷体", heading_font="黑体", body_size=12, heading_sizes=(16, 13, 12, 12),
           heading_color=RGBColor(0x1F, 0x3A, 0x93), header_fill="C6D9F1",
           cover_title_size=26, rearranged=True)


# --- styles ----------------------------------------------------------------------------------


def _fonts(style: object, east_asian: str, latin: str) -> None:
    ooxml.set_fonts(style.element, face_name(east_asian), latin)  # type: ignore[attr-defined]


def _paragraph_style(doc: Document, name: str, base: str | None = "Normal") -> object:
    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.quick_style = True
    if base is not None and name != base:
        style.base_style = doc.styles[base]
    return style


def _spacing(style: object, before: float = 0, after: float = 0, line: float | None = None,
             exact: float | None = None) -> None:
    fmt = style.paragraph_format  # type: ignore[attr-defined]
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if exact is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(exact)
    elif line is not None:
        fmt.line_spacing = line


def _language(doc: Document) -> None:
    """zh-CN for East Asian text in the defaults: LibreOffice then picks SC glyphs."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ooxml.set_fonts(r_pr, face_name(DEFAULT.body_font), DEFAULT.latin)


def make_styles(doc: Document, look: Look) -> None:
    _language(doc)
    normal = doc.styles["Normal"]
    _fonts(normal, look.body_font, look.latin)
    normal.font.size = Pt(look.body_size)
    _spacing(normal, 0, 0, line=1.25)
    # Chinese text is justified; widow control splits clauses oddly in Chinese, keep default

    for level, size in enumerate(look.heading_sizes, start=1):
        style = _paragraph_style(doc, f"Heading {level}")
        _fonts(style, look.heading_font, look.latin)
        style.font.size = Pt(size)
        style.font.bold = level <= 2
        style.font.italic = False
        style.font.color.rgb = look.heading_color
        if look.heading_color is None:
            color = style.element.rPr.find(qn("w:color"))
            if color is not None:
                style.element.rPr.remove(color)
        _spacing(style, before=12 if level == 1 else 6, after=6 if level == 1 else 3, line=1.25)
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.left_indent = Mm(0)

    body = _paragraph_style(doc, "Body Text")
    _spacing(body, 0, 3, line=1.25)
    body.paragraph_format.first_line_indent = Pt(look.body_size * 2)  # two characters
    body.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    clause = _paragraph_style(doc, "Clause Text")
    _spacing(clause, 3, 3, line=1.25)
    clause.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    for level in (1, 2, 3):
        name = "List" if level == 1 else f"List {level}"
        style = _paragraph_style(doc, name)
        _spacing(style, 0, 2, line=1.25)
        style.paragraph_format.left_indent = Mm(7 + 7 * level)
        style.paragraph_format.first_line_indent = Mm(-7)
        style.paragraph_format.tab_stops.add_tab_stop(Mm(7 + 7 * level))

    note = _paragraph_style(doc, "Note")
    note.font.size = Pt(look.body_size - 1.5)
    _spacing(note, 3, 3, line=1.15)
    note.paragraph_format.left_indent = Mm(7)

    table_text = _paragraph_style(doc, "Table Text")
    table_text.font.size = Pt(look.body_size - 1.5)
    _spacing(table_text, 1, 1, line=1.1)

    table_heading = _paragraph_style(doc, "Table Heading", "Table Text")
    _fonts(table_heading, look.heading_font, look.latin)
    table_heading.font.bold = True
    table_heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER

    caption = _paragraph_style(doc, "Caption")
    _fonts(caption, look.heading_font, look.latin)
    caption.font.size = Pt(look.body_size)
    caption.font.bold = False
    caption.font.italic = False
    caption.font.color.rgb = RGBColor(0, 0, 0)
    _spacing(caption, 6, 3)
    caption.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption.paragraph_format.keep_with_next = True

    for name in ("Figure", "Formula"):
        style = _paragraph_style(doc, name)
        style.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(style, 6, 6)
    doc.styles["Figure"].paragraph_format.keep_with_next = True

    toc_heading = _paragraph_style(doc, "TOC Heading", "Heading 1")
    toc_heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for level in (1, 2):
        style = _paragraph_style(doc, f"TOC {level}")
        _spacing(style, 2, 2)
        style.paragraph_format.left_indent = Mm(7 * (level - 1))
        style.paragraph_format.tab_stops.add_tab_stop(Mm(165), WD_TAB_ALIGNMENT.RIGHT,
                                                      WD_TAB_LEADER.DOTS)

    cover_title = _paragraph_style(doc, "Cover Title")
    _fonts(cover_title, look.heading_font, look.latin)
    cover_title.font.size = Pt(look.cover_title_size)
    cover_title.font.bold = True
    cover_title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(cover_title, 18, 12)

    cover_heading = _paragraph_style(doc, "Cover Heading")
    _fonts(cover_heading, look.heading_font, look.latin)
    cover_heading.font.size = Pt(look.body_size + 1.5)
    cover_heading.font.bold = True
    cover_heading.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(cover_heading, 12, 6)
    cover_heading.paragraph_format.keep_with_next = True

    notice = _paragraph_style(doc, "Controlled Notice")
    _fonts(notice, look.heading_font, look.latin)
    notice.font.bold = True
    notice.font.color.rgb = RGBColor(0xC0, 0, 0)
    notice.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(notice, 6, 6)

    header_text = _paragraph_style(doc, "Header Text")
    header_text.font.size = Pt(9)
    _spacing(header_text, 0, 0, line=1.0)

    strong = doc.styles["Strong"] if "Strong" in [s.name for s in doc.styles] else \
        doc.styles.add_style("Strong", WD_STYLE_TYPE.CHARACTER)
    strong.font.bold = True
    make_table_style(doc, look)


def make_table_style(doc: Document, look: Look) -> None:
    """`Procedure Table`: grid lines, a shaded bold first row. A restyled template may change it
    in Word's table-style dialog; the body only names it."""
    style = doc.styles.add_style("Procedure Table", WD_STYLE_TYPE.TABLE)
    style.base_style = doc.styles["Normal Table"]
    element = style.element
    tbl_pr = parse_xml(
        '<w:tblPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:tblBorders>'
        + "".join(f'<w:{edge} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                  for edge in ("top", "left", "bottom", "right", "insideH", "insideV"))
        + '</w:tblBorders><w:tblCellMar><w:top w:w="28" w:type="dxa"/>'
        '<w:left w:w="85" w:type="dxa"/><w:bottom w:w="28" w:type="dxa"/>'
        '<w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr>'
    )
    element.append(tbl_pr)
    element.append(parse_xml(
        '<w:tcPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:vAlign w:val="center"/></w:tcPr>'))
    element.append(parse_xml(
        '<w:tblStylePr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'w:type="firstRow"><w:rPr><w:b/></w:rPr><w:tblPr/><w:trPr><w:tblHeader/></w:trPr>'
        f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{look.header_fill}"/></w:tcPr>'
        '</w:tblStylePr>'))


# --- page furniture --------------------------------------------------------------------------


def _text(paragraph: object, text: str, *, bold: bool = False, color: str | None = None,
          size: float | None = None) -> object:
    run = paragraph.add_run(text)  # type: ignore[attr-defined]
    run.bold = bold or None
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    if size:
        run.font.size = Pt(size)
    return run


def _cell(table: object, row: int, col: int, text: str = "", *, style: str = "Header Text",
          bold: bool = False, align: WD_ALIGN_PARAGRAPH | None = None, size: float | None = None,
          color: str | None = None) -> object:
    cell = table.cell(row, col)  # type: ignore[attr-defined]
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    if align is not None:
        paragraph.alignment = align
    if text:
        _text(paragraph, text, bold=bold, size=size, color=color)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    return cell


def _page_x_of_y(paragraph: object) -> None:
    """`第 X 页 共 Y 页`, the numbers as PAGE / NUMPAGES fields (never typed)."""
    _text(paragraph, "第 ")
    ooxml.add_field(paragraph, "PAGE", "1")
    _text(paragraph, " 页 共 ")
    ooxml.add_field(paragraph, "NUMPAGES", "1")
    _text(paragraph, " 页")


def _status_marks(container: object, font: str) -> None:
    """Conditional watermark and stamp paragraphs: exactly one survives rendering (or none)."""
    def tag(text: str) -> None:
        container.add_paragraph(text, style="Header Text")  # type: ignore[attr-defined]

    def shape(xml: str) -> None:
        paragraph = container.add_paragraph(style="Header Text")  # type: ignore[attr-defined]
        paragraph.paragraph_format.line_spacing = Pt(1)  # the anchor takes no room
        paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        paragraph._p.append(parse_xml(xml))

    tag("{%p if watermark %}")
    shape(ooxml.watermark_xml("{{ watermark }}", color="{{ watermark_color }}",
                              font=face_name(font)))
    tag("{%p endif %}")
    tag("{%p if stamp %}")
    shape(ooxml.stamp_xml("{{ stamp }}", color="{{ stamp_color }}", font=face_name(font)))
    tag("{%p endif %}")


def make_header(doc: Document, look: Look) -> None:
    section = doc.sections[0]
    header = section.header
    header.is_linked_to_previous = False
    widths = [45, 55, 25, 40] if not look.rearranged else [25, 40, 45, 55]
    table = header.add_table(3, 4, Mm(sum(widths)))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    ooxml.set_table_borders(table, size=6)
    ooxml.set_column_widths(table, widths)
    c = 0 if not look.rearranged else 2  # the variant puts the company on the right
    k = 2 if not look.rearranged else 0
    company = _cell(table, 0, c, "{{ company }}", bold=True, size=12,
                    align=WD_ALIGN_PARAGRAPH.CENTER)
    company.merge(table.cell(0, c + 1))
    doc_class = _cell(table, 1, c, "{{ document_class }}", bold=True, size=11,
                      align=WD_ALIGN_PARAGRAPH.CENTER)
    doc_class.merge(table.cell(1, c + 1))
    _cell(table, 2, c, "文件名称", align=WD_ALIGN_PARAGRAPH.CENTER)
    _cell(table, 2, c + 1, "{{ title }}", bold=True)
    _cell(table, 0, k, "文件编号", align=WD_ALIGN_PARAGRAPH.CENTER)
    _cell(table, 0, k + 1, "{{ code }}")
    _cell(table, 1, k, "版本/版次", align=WD_ALIGN_PARAGRAPH.CENTER)
    _cell(table, 1, k + 1, "{{ version }}")
    _cell(table, 2, k, "页    次", align=WD_ALIGN_PARAGRAPH.CENTER)
    _page_x_of_y(_cell(table, 2, k + 1).paragraphs[0])
    for row in table.rows:
        row.height = Mm(6.5)
    first = header.paragraphs[0]  # python-docx's empty paragraph: holds the marks' first tag
    first.style = "Header Text"
    first.paragraph_format.line_spacing = Pt(1)
    first.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    _status_marks(header, look.heading_font)

    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.style = "Header Text"
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if look.rearranged:
        _page_x_of_y(paragraph)
        _text(paragraph, "    {{ code }} {{ version }}")
    else:
        _text(paragraph, "{{ controlled_notice }}")
    _copy_line(footer)


def _copy_line(footer: object) -> None:
    """Every page says which copy it is: an issued controlled copy its 分发编号, holder and date;
    anything else (site downloads, plain builds) 非受控 with the day it is printed — a DATE
    field, so the file itself stays the same from build to build."""
    def line() -> object:
        # left-aligned: the stamp sits at the right of the bottom margin
        return footer.add_paragraph(style="Header Text")  # type: ignore[attr-defined]

    line().add_run("{%p if copy_number %}")  # type: ignore[attr-defined]
    _text(line(), "受控副本　分发编号：{{ copy_number }}　持有部门：{{ copy_holder }}　"
          "发放日期：{{ copy_date }}", bold=True, color="C00000")
    line().add_run("{%p else %}")  # type: ignore[attr-defined]
    paragraph = line()
    _text(paragraph, "{{ uncontrolled_notice }}　打印日期：", color="1F3A93")
    r_pr = parse_xml('<w:rPr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
                     'main"><w:color w:val="1F3A93"/></w:rPr>')
    ooxml.add_field(paragraph, 'DATE \\@ "yyyy-MM-dd"', "", r_pr)
    line().add_run("{%p endif %}")  # type: ignore[attr-defined]


# --- cover block -----------------------------------------------------------------------------


def _label_cell(table: object, row: int, col: int, text: str) -> None:
    cell = _cell(table, row, col, text, style="Table Heading", align=WD_ALIGN_PARAGRAPH.CENTER)
    ooxml.set_cell_shading(cell, "F2F2F2")


def make_cover(doc: Document, look: Look) -> None:
    doc.add_paragraph("{{ title }}", style="Cover Title")
    line = doc.add_paragraph(style="Cover Heading")
    _text(line, "文件编号：{{ code }}        版本/版次：{{ version }}")

    # Rows between docxtpl row tags ({%tr if show.x %} … {%tr else %} … {%tr endif %}) print
    # only when the set uses them (settings cover.omit); the tag rows themselves disappear.
    layout = ["signer", "signer-date", "dates", "if next_review", "owner+review", "else",
              "owner", "endif", "if copy_number", "status+copy", "else", "status", "endif",
              "if countersign", "countersign", "endif", "if distribution", "distribution",
              "endif", "office"]
    table = doc.add_table(len(layout), 6)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    ooxml.set_table_borders(table, size=6)
    ooxml.set_column_widths(table, [22, 33, 22, 33, 22, 33])
    signers = [("编写", "author"), ("审核", "reviewer"), ("批准", "approver")]
    if look.rearranged:
        signers.reverse()  # 批准 first: the variant reads top-down from the approver
    for col, (word, key) in enumerate(signers):
        _label_cell(table, 0, col * 2, word)
        # the printed name and, under it, the signer's position (21 CFR 11.50: name, role,
        # date and meaning — the label cell says the meaning)
        name = _cell(table, 0, col * 2 + 1, f"{{{{ {key}.name }}}}", style="Table Text",
                     align=WD_ALIGN_PARAGRAPH.CENTER)
        _text(name.paragraphs[0],  # type: ignore[attr-defined]
              f"{{% if {key}.role_name %}}（{{{{ {key}.role_name }}}}）{{% endif %}}", size=8)
        _label_cell(table, 1, col * 2, "日期")
        _cell(table, 1, col * 2 + 1, f"{{{{ {key}.date }}}}", style="Table Text",
              align=WD_ALIGN_PARAGRAPH.CENTER)

    def pair(row: int, a: str, va: str, b: str, vb: str) -> None:
        _label_cell(table, row, 0, a)
        _cell(table, row, 1, va, style="Table Text").merge(table.cell(row, 2))
        _label_cell(table, row, 3, b)
        _cell(table, row, 4, vb, style="Table Text").merge(table.cell(row, 5))

    def wide(row: int, word: str, text: str = "") -> object:
        _label_cell(table, row, 0, word)
        return _cell(table, row, 1, text, style="Table Text").merge(table.cell(row, 5))

    def status(cell: object) -> None:
        _text(cell.paragraphs[0], "{{ status_label }}", bold=True,  # type: ignore[attr-defined]
              color="C00000")

    condition = ""
    for row, kind in enumerate(layout):
        if kind.startswith("if "):
            condition = kind[3:]
            _cell(table, row, 0, f"{{%tr if show.{condition} %}}", style="Table Text")
        elif kind in ("else", "endif"):
            _cell(table, row, 0, f"{{%tr {kind} %}}", style="Table Text")
        elif kind == "dates":
            pair(row, "发行日期", "{{ issue_date }}", "实施日期", "{{ effective_date }}")
        elif kind == "owner+review":
            pair(row, "主责部门", "{{ owner }}", "下次评审", "{{ next_review }}")
        elif kind == "owner":
            wide(row, "主责部门", "{{ owner }}")
        elif kind == "status+copy":
            _label_cell(table, row, 0, "受控状态")
            status(_cell(table, row, 1, "", style="Table Text").merge(table.cell(row, 2)))
            _label_cell(table, row, 3, "分发编号")
            _cell(table, row, 4, "{{ copy_number }}", style="Table Text").merge(
                table.cell(row, 5))
        elif kind == "status":
            status(wide(row, "受控状态"))
        elif kind in ("countersign", "distribution"):
            word = "会签部门" if kind == "countersign" else "发放范围"
            _text(wide(row, word).paragraphs[0],  # type: ignore[attr-defined]
                  f"{{% for r in {kind} %}}{{{{ r.box }}}}{{{{ r.name }}}}　{{% endfor %}}")
        elif kind == "office":
            # the set's own name for its document-control office (文控中心, 综合办公室 …)
            office = "{{ document_control_office }}"
            _text(wide(row, office).paragraphs[0],  # type: ignore[attr-defined]
                  f"{{{{ company }}}} {office}发布；本文件电子版以内部文件网站为准。")
    for row in table.rows:
        row.height = Mm(8)
    if look.rearranged:  # the default prints the notice in the footer: once is enough
        doc.add_paragraph("{{ controlled_notice }}", style="Controlled Notice")
    doc.add_paragraph("{%p if obsolete_date or obsolete_reason %}")
    reason = doc.add_paragraph(style="Controlled Notice")
    _text(reason, "{% if obsolete_date %}作废日期：{{ obsolete_date }}　{% endif %}"
          "{% if obsolete_reason %}作废原因：{{ obsolete_reason }}{% endif %}")
    doc.add_paragraph("{%p endif %}")


def make_revisions(doc: Document) -> None:
    doc.add_paragraph("修订履历", style="Cover Heading")
    columns = ["版本", "修改章节", "修改日期", "修改内容摘要", "修改人", "审核人", "批准人"]
    widths = [14, 24, 22, 55, 16, 16, 16]
    table = doc.add_table(4, len(columns))
    table.style = doc.styles["Procedure Table"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    ooxml.set_column_widths(table, widths)
    for col, word in enumerate(columns):
        _cell(table, 0, col, word, style="Table Heading")
    ooxml.set_repeat_header(table.rows[0])
    # docxtpl row tags: the rows holding them disappear, the row between repeats per entry
    _cell(table, 1, 0, "{%tr for r in revisions %}", style="Table Text")
    keys = ["version", "clauses", "date", "summary", "author", "reviewer", "approver"]
    for col, key in enumerate(keys):
        align = None if key in ("summary", "clauses") else WD_ALIGN_PARAGRAPH.CENTER
        _cell(table, 2, col, f"{{{{ r.{key} }}}}", style="Table Text", align=align)
    _cell(table, 3, 0, "{%tr endfor %}", style="Table Text")


# --- trimming python-docx's baggage -----------------------------------------------------------

# Styles of the template itself (besides those the body uses) and Word's defaults.
TEMPLATE_STYLES = ("Normal", "Default Paragraph Font", "Normal Table", "No List", "Table Grid",
                   "Header", "Footer", "Cover Title", "Cover Heading", "Controlled Notice",
                   "Header Text", "Hyperlink")


def trim(doc: Document) -> None:
    """Drop python-docx's baggage (generator/render/docx/ooxml.py: trim_styles), keeping the
    styles the body and the template use."""
    from generator.render.docx.body import USED_STYLES

    ooxml.trim_styles(doc, set(USED_STYLES) | set(TEMPLATE_STYLES))


# --- the whole template ----------------------------------------------------------------------


def make_template(look: Look = DEFAULT) -> bytes:
    doc = Document()
    # top margin below the three-row header table, so the text never touches it
    ooxml.set_a4(doc, top=36, header=12)
    make_styles(doc, look)
    make_header(doc, look)
    if look.rearranged:
        make_revisions(doc)
        doc.add_paragraph()
        make_cover(doc, look)
    else:
        make_cover(doc, look)
        make_revisions(doc)
    doc.paragraphs[0].paragraph_format.space_before = Pt(6)
    breaker = doc.add_paragraph()
    breaker.add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph("{{p body }}")
    # python-docx's default body starts with an empty paragraph in some versions: none here
    assert doc.sections[0].start_type in (WD_SECTION.NEW_PAGE, None)
    trim(doc)
    ooxml.fix_core_properties(doc, dt.date(2026, 1, 1), title="程序文件模板",
                              author="Wenkong", subject="docxtpl template")
    return ooxml.save_deterministic(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=HERE / "procedure.docx")
    parser.add_argument("--variant", choices=["default", "alt"], default="default")
    args = parser.parse_args(argv)
    data = make_template(ALT if args.variant == "alt" else DEFAULT)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
