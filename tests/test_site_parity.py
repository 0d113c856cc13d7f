"""The site page says what the .docx says: the same fixed words (无, column titles) and the same
columns, taken from the same labels (procedure.labels.yaml beside the Word template)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import markdown as python_markdown

from generator.render.docx.body import process_widths
from generator.render.docx.labels import DocxLabels
from generator.render.docx.procedure import BUNDLED_TEMPLATE
from generator.render.site import site_content
from generator.resolve import load_document_set
from tests import test_layout
from tests.test_layout import edit

layout_set = test_layout.layout_set  # the layout fixture set, copied per test
DOCX_SET = Path(__file__).parent / "fixtures" / "docx" / "set"
PROCESS_SET = Path(__file__).parent / "fixtures" / "process"


def page(root: Path, code: str) -> str:
    return site_content(load_document_set(root), {}).pages[f"procedures/{code}.md"].decode()


def header(columns: list[str]) -> str:
    return "|" + "".join(f" {c} |" for c in columns) + "\n|" + "---|" * len(columns) + "\n"


def test_term_classes_and_records_tables_have_the_docx_columns(layout_set: Path) -> None:
    edit(layout_set / "procedures" / "QP-21.yaml", "    classes_style: list\n", "")
    text = page(layout_set, "QP-21")
    labels = DocxLabels()
    assert header(labels.term_classes_columns) in text
    assert "代码" not in text
    assert header(labels.records_columns) in text
    # the records rows are numbered as in the .docx (序号 first)
    assert "| 1 | " in text.split(header(labels.records_columns))[1].splitlines()[0]


def test_an_empty_section_prints_the_docx_word(layout_set: Path) -> None:
    edit(layout_set / "procedures" / "QP-22.yaml",
         "related:\n  - procedure: QP-21\n  - {title: 统计技术应用指南, code: QW-05}\n", "")
    text = page(layout_set, "QP-22")
    section = text.split("参考文件")[1].split("\n## ")[0]
    assert DocxLabels().none in section
    assert "无。" not in section


def test_the_sets_own_labels_file_changes_page_and_docx_alike(layout_set: Path) -> None:
    templates = layout_set / "templates"
    templates.mkdir()
    shutil.copy(BUNDLED_TEMPLATE, templates / BUNDLED_TEMPLATE.name)
    (templates / "procedure.labels.yaml").write_text(
        "none: 不适用\nrecords_columns: [No., 编号, 名称, 保存单位, 期限]\n", encoding="utf-8")
    edit(layout_set / "procedures" / "QP-22.yaml",
         "related:\n  - procedure: QP-21\n  - {title: 统计技术应用指南, code: QW-05}\n", "")
    text = page(layout_set, "QP-22")
    assert "不适用" in text.split("参考文件")[1].split("\n## ")[0]
    assert header(["No.", "编号", "名称", "保存单位", "期限"]) in text


def widths_in(html: str) -> list[list[float]]:
    """The width shares of each table's title cells, in percent."""
    found = []
    for head in re.findall(r"<thead>(.*?)</thead>", html, re.S):
        found.append([float(w) for w in re.findall(r'<th style="width:([0-9.]+)%"', head)])
    return found


def test_table_and_process_widths_reach_the_page() -> None:
    docset = load_document_set(DOCX_SET)
    text = site_content(docset, {}).pages["procedures/QP-01.md"].decode()
    html = python_markdown.markdown(text, extensions=["tables", "attr_list", "toc"])
    shares = widths_in(html)
    assert [round(100 * w / 9, 1) for w in (1, 1.6, 3.4, 1.6, 1.4)] in shares
    assert [25.0, 25.0, 25.0, 25.0] in shares
    # a table without widths keeps its title cells plain
    assert [] in shares

    process_set = load_document_set(PROCESS_SET)
    doc = process_set.procedures["COP-02"]
    text = site_content(process_set, {}).pages["procedures/COP-02.md"].decode()
    html = python_markdown.markdown(text, extensions=["tables", "attr_list", "toc"])
    process = next(p for p in doc.processes if any(c.width for c in p.columns))
    given = process_widths(process)
    expected = [round(100 * w / sum(given), 1) for w in given]
    assert expected in widths_in(html)


def test_the_short_company_name_titles_a_site_without_its_own_mkdocs_yml(tmp_path: Path) -> None:
    from site_support import FIXTURE as SITE_SET
    from site_support import build_site_files

    root = tmp_path / "basic"
    shutil.copytree(SITE_SET, root)
    edit(root / "wenkong.yaml", "  name: 测试精密有限公司\n",
         "  name: 测试精密有限公司\n  short_name: 测试精密\n")
    home = build_site_files(root)["site/index.html"].decode()
    assert "<title>首页 - 测试精密 受控文件</title>" in home
    # the pages themselves keep the full name
    assert "测试精密有限公司" in home


def test_the_archive_lists_when_each_document_was_withdrawn(tmp_path: Path) -> None:
    from site_support import FIXTURE as SITE_SET

    pages = site_content(load_document_set(SITE_SET), {}).pages
    text = pages["archive/index.md"].decode()
    (row,) = [line for line in text.splitlines() if "QP-09" in line]
    assert "2024-06-30" in row and "已并入检验控制程序" in row
