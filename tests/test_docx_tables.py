"""How tables and codes print (generator/render/docx/tables.py): widths from content, which
rows may split, codes and names kept whole, no blank last page. The real-client proof is in
test_print_quality.py; these are the fast unit checks."""

from __future__ import annotations

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from helpers_docx import plain_text
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.render.docx import ooxml, tables

NAMES = ["市场部", "技术质量部", "PMC部", "总经理"]


def _table(rows: list[list[str]]) -> object:
    document = Document()
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.paragraphs[0].add_run(value)
    ooxml.set_repeat_header(table.rows[0])
    return table


def test_widths_fill_the_table_and_follow_the_amount_of_text() -> None:
    key_points = "口头订单须在24小时内取得书面确认并登记接单日期，" * 4
    columns = [["A 接收询价"] * 3, ["销售部"] * 3, [key_points] * 3, [""] * 3]
    widths = tables.column_widths(columns, 165, headers=["工作流程", "权责", "重点说明",
                                                         "支持性文件"])
    assert abs(sum(widths) - 165) < 0.05
    assert widths[2] == max(widths)  # the wordy column is the widest
    assert widths[3] < widths[2] / 2  # the empty one does not take half the page


def test_a_column_is_never_narrower_than_its_longest_code() -> None:
    code = "SM-QR-720-01-01"
    columns = [["说明文字" * 30], ["说明文字" * 30], [f"《记录表》{code}"]]
    widths = tables.column_widths(columns, 120)
    needed = tables.text_width_mm("》" + code) + tables.CELL_PADDING_MM
    assert widths[2] >= needed - 0.1


def test_everything_on_one_line_when_it_fits() -> None:
    widths = tables.column_widths([["1"], ["QR-06-01"], ["合同评审表"]], 165,
                                  headers=["序号", "表单编号", "表单名称"])
    rows = [["1", "QR-06-01", "合同评审表"]]
    assert all(tables.row_height_mm(row, widths) < 8 for row in rows)


def test_long_rows_may_split_short_rows_stay_whole() -> None:
    table = _table([["输入", "重点说明"], ["询价单", "短"], ["订单", "很长的说明。" * 120]])
    tables.fit_table(table, 165)
    tr_short, tr_long = table._tbl.findall(qn("w:tr"))[1:]
    assert tr_short.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
    assert tr_long.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is None
    assert tables.has_header_row(table._tbl)


def test_given_widths_win_over_content() -> None:
    table = _table([["甲", "乙"], ["很长的说明。" * 20, "短"]])
    assert tables.fit_table(table, 100, (1, 3)) == [25.0, 75.0]
    grid = [int(g.get(qn("w:w"))) for g in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(grid[1] - 3 * grid[0]) <= 3  # twips, rounded per column


def test_codes_and_names_are_joined_and_names_get_runs_of_no_language() -> None:
    document = Document()
    paragraph = document.add_paragraph("由☐市场部填写《合同评审表》QR-06-01，于2026-02-09前")
    tables.keep_words_whole(document.element.body, NAMES)
    runs = {r.text: r._r for r in paragraph.runs}
    name = tables.join_name("☐市场部")
    assert name in runs
    assert runs[name].find(f"{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:eastAsia")) == "zxx"
    text = "".join(runs)
    assert tables.join_name("QR-06-01") in text and tables.join_name("2026-02-09") in text
    assert plain_text(text) == "由☐市场部填写《合同评审表》QR-06-01，于2026-02-09前"
    # a place to break before the code and after the name, none before the comma
    assert "》\u200b" + tables.join_name("QR-06-01") + "，" in text


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["市场部", "QR-06-01", "、", "，", "填写", "☐", "A/1",
                                 "《表》", "2026-02-09", "PMC部", " ", "x-y"]),
                min_size=1, max_size=12))
def test_keeping_words_whole_changes_no_text_and_is_idempotent(pieces: list[str]) -> None:
    document = Document()
    paragraph = document.add_paragraph("".join(pieces))
    tables.keep_words_whole(document.element.body, NAMES)
    once = paragraph._p.xml
    assert plain_text(paragraph.text) == "".join(pieces)
    tables.keep_words_whole(document.element.body, NAMES)
    assert paragraph._p.xml == once


def test_form_content_controls_are_left_alone() -> None:
    document = Document()
    paragraph = document.add_paragraph()
    sdt = OxmlElement("w:sdt")
    content = OxmlElement("w:sdtContent")
    sdt.append(content)
    content.append(ooxml.text_run("QR-06-01 市场部"))
    paragraph._p.append(sdt)
    tables.keep_words_whole(document.element.body, NAMES)
    assert [t.text for t in paragraph._p.iter(qn("w:t"))] == ["QR-06-01 市场部"]


def test_no_blank_page_after_a_final_table() -> None:
    document = Document()
    document.add_paragraph("正文")
    document.add_table(rows=1, cols=1)
    document.add_paragraph()
    document.add_paragraph()
    tables.trim_end(document.element.body)
    body = [c for c in document.element.body if c.tag != qn("w:sectPr")]
    assert [c.tag for c in body[-2:]] == [qn("w:tbl"), qn("w:p")]
    last = body[-1]
    spacing = last.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("20", "exact")
    assert last.find(f"{qn('w:pPr')}/{qn('w:rPr')}/{qn('w:vanish')}") is not None
