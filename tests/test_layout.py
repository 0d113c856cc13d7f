"""Resolve stage: section layout as data, numbering per level, numbered formulas, terms with
block content — on the fixture set tests/fixtures/layout (another company's conventions)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.docset import FormulaR, ListR, NoteR, Paragraph, plain
from generator.model.settings import NumberingStyle
from generator.numbering import Numbering
from generator.resolve import load_document_set
from tests.conftest import errors

FIXTURE = Path(__file__).parent / "fixtures" / "layout"


@pytest.fixture
def layout_set(tmp_path: Path) -> Path:
    root = tmp_path / "layout"
    shutil.copytree(FIXTURE, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- numbering ------------------------------------------------------------------------------


@pytest.mark.parametrize(("formats", "numbers", "label", "reference"), [
    (["一、", "1.1", "1.1.1"], (3,), "三、", "三"),
    (["一、", "1.1", "1.1.1"], (3, 2), "3.2", "3.2"),
    (["一、", "1.1", "1.1.1"], (12, 2, 4), "12.2.4", "12.2.4"),
    (["一、", "1.1", "1.1.1"], (3, 2, 4, 1), "3.2.4.1", "3.2.4.1"),
    (["1.0", "1.1"], (4,), "4.0", "4"),
    (["1.0", "1.1"], (4, 10), "4.10", "4.10"),
    (["第一章", "第一条"], (2, 3), "第三条", "第二章第三条"),
    (["1", "1.1", "（一）", "①"], (5, 2, 3, 4), "④", "5.2（三）④"),
    (["1", "1.1", "a)"], (5, 2, 2), "b)", "5.2b)"),
    (["一、", "（一）"], (1, 2, 3), "（三）", "一（二）（三）"),
])
def test_level_formats(formats: list[str], numbers: tuple[int, ...], label: str,
                       reference: str) -> None:
    numbering = Numbering.of(formats)
    assert numbering.label(numbers) == label
    assert numbering.reference(numbers) == reference


def test_presets_print_as_before() -> None:
    decimal = Numbering.of(NumberingStyle.decimal)
    assert [decimal.label(n) for n in [(5,), (5, 2), (5, 2, 1, 3, 2, 1)]] == [
        "5", "5.2", "5.2.1.3.2.1"]
    zero = Numbering.of(NumberingStyle.decimal_zero)
    assert [zero.label(n) for n in [(5,), (5, 2)]] == ["5.0", "5.2"]
    assert zero.reference((5,)) == "5"
    chinese = Numbering.of(NumberingStyle.chinese)
    assert [chinese.label(n) for n in [(5,), (5, 2), (5, 2, 1), (5, 2, 1, 3), (5, 2, 1, 3, 2),
                                       (5, 2, 1, 3, 2, 7)]] == [
        "五、", "（二）", "1.", "（3）", "②", "⑦"]
    assert chinese.reference((5, 2, 1)) == "五（二）1"


# --- the fixture set -----------------------------------------------------------------------


def test_set_layout_and_numbering_apply_to_every_procedure() -> None:
    doc = load_document_set(FIXTURE).procedures["QP-21"]
    assert [s.label + s.title for s in doc.sections] == [
        "一、目的", "二、范围", "三、定义", "四、职责", "五、工作程序", "六、相关文件", "七、记录"]
    assert [t.label for t in doc.terms] == ["3.1", "3.2"]
    assert [c.label for c in doc.all_clauses()] == ["5.1", "5.1.1", "5.1.2", "5.2"]
    # the reference prints the clause number as the document does (3.1 style, not 五（一）2)
    assert plain(doc.clauses[1].text).endswith("检验依据见5.1.2。")


def test_document_layout_reorders_renames_adds_and_leaves_out() -> None:
    doc = load_document_set(FIXTURE).procedures["QP-22"]
    assert [(s.label, s.title) for s in doc.sections] == [
        ("1.0", "目的"), ("2.0", "范围"), ("3.0", "参考文件"), ("4.0", "权责"), ("5.0", "作业内容"),
        ("6.0", "数据保密"), ("7.0", "表格")]
    own = doc.sections[5]
    assert not own.builtin
    assert [(c.label, plain(c.text)) for c in own.clauses] == [
        ("6.1", "分析报告仅在公司内部传阅，未经总经理同意不得提供给外单位。"),
        ("6.2", "电子数据每周备份一次。")]
    assert [r.label for r in doc.responsibilities] == ["4.1", "4.2"]


def test_formula_numbered_and_cited() -> None:
    doc = load_document_set(FIXTURE).procedures["QP-22"]
    blocks = doc.clauses[1].blocks
    formula = blocks[1]
    assert isinstance(formula, FormulaR) and formula.label == "(1)"
    assert isinstance(blocks[0], Paragraph)
    assert plain(blocks[0].text) == "成品一次检验合格率按公式(1)计算，月度目标见5.2.1。"
    assert isinstance(blocks[2], Paragraph) and "公式(1)的分子" in plain(blocks[2].text)


def test_term_body_and_classification() -> None:
    doc = load_document_set(FIXTURE).procedures["QP-21"]
    product, defect = doc.terms
    assert isinstance(product.body[0], ListR)
    assert [e.label for e in product.body[0].items] == ["1)", "2)", "3)"]
    assert isinstance(product.body[1], NoteR)
    assert [c.heading for c in defect.classes] == [
        "A 类：致命缺陷（CR）", "B 类：严重缺陷（MA）", "C 类：轻微缺陷（MI）"]
    assert defect.classes[0].example_labels == ("1)", "2)")


# --- what the layout rejects ---------------------------------------------------------------


def qp22(root: Path) -> Path:
    return root / "procedures" / "QP-22.yaml"


def test_content_for_a_section_left_out_is_an_error(layout_set: Path) -> None:
    edit(qp22(layout_set), "responsibilities:\n",
         "terms:\n  - {term: 批, definition: 一次送检的产品}\nresponsibilities:\n")
    assert any(e.startswith("procedures/QP-22.yaml:") and
               "terms: 写了 terms，但 layout 中没有这一章节" in e for e in errors(layout_set))


def test_own_section_not_in_layout_is_an_error(layout_set: Path) -> None:
    edit(qp22(layout_set), "  - confidentiality: 数据保密\n", "")
    found = errors(layout_set)
    assert any("sections.confidentiality: 章节 confidentiality 不在 layout 中" in e
               for e in found), found


def test_own_section_needs_a_title(layout_set: Path) -> None:
    edit(qp22(layout_set), "  - confidentiality: 数据保密\n", "  - confidentiality\n")
    found = errors(layout_set)
    assert any("layout[5].key: 章节 confidentiality 不是内置章节" in e
               for e in found), found


def test_duplicate_section_and_unknown_formula(layout_set: Path) -> None:
    edit(qp22(layout_set), "  - records: 表格\n", "  - records: 表格\n  - purpose\n")
    edit(qp22(layout_set), "【formula:first-pass】计算", "【formula:first-pas】计算")
    found = errors(layout_set)
    assert any("layout[7].key: 章节 purpose 在 layout 中出现了两次" in e for e in found)
    assert any("QP-22 中没有 id 为 first-pas 的公式；是否想写 first-pass？" in e
               for e in found), found


def test_empty_section_prints_none_or_is_left_out(layout_set: Path) -> None:
    edit(qp22(layout_set),
         "related:\n  - procedure: QP-21\n  - {title: 统计技术应用指南, code: QW-05}\n", "")
    doc = load_document_set(layout_set).procedures["QP-22"]
    assert [(s.title, s.empty) for s in doc.sections][2] == ("参考文件", True)
    edit(layout_set / "wenkong.yaml", "empty_sections: print_none", "empty_sections: omit")
    doc = load_document_set(layout_set).procedures["QP-22"]
    assert [s.label + s.title for s in doc.sections][2:4] == ["3.0权责", "4.0作业内容"]


def test_required_section_missing(layout_set: Path) -> None:
    edit(qp22(layout_set), "scope: 适用于进料、制程和成品检验数据的收集与分析。\n", "")
    assert any("scope: 缺少必填字段 'scope'（layout 中有“范围”一节）" in e
               for e in errors(layout_set))


def test_a_reference_prints_the_cited_procedures_own_numbering(layout_set: Path) -> None:
    # QP-21 switches to the chinese preset; QP-22 (1.0 style) cites its clause 五（一）2
    edit(layout_set / "procedures" / "QP-21.yaml", "purpose:", "numbering: chinese\npurpose:")
    edit(qp22(layout_set), "各检验站每日下班前",
         "按【clause:QP-21#judging】判定后，各检验站每日下班前")
    docset = load_document_set(layout_set)
    assert docset.procedures["QP-21"].sections[0].label == "一、"
    text = plain(docset.procedures["QP-22"].clauses[0].text)
    assert text.startswith("按QP-21 五（一）2判定后")


def test_a_label_with_a_stray_placeholder_is_refused(layout_set: Path) -> None:
    edit(layout_set / "wenkong.yaml", "empty_sections: print_none",
         "empty_sections: print_none\nformula_label: 式({x})")
    found = errors(layout_set)
    assert any(e.startswith("wenkong.yaml:") and "formula_label: " in e and "{n}" in e
               for e in found), found


def test_schema_accepts_the_short_forms_of_a_layout() -> None:
    import jsonschema

    from generator.model import Settings
    schema = Settings.model_json_schema()
    settings = {"company": {"name": "甲"}, "document_control_office": "office",
                "numbering": ["一、", 1.1], "layout": ["purpose", {"related": "参考文件"},
                                                      {"key": "terms", "empty": "omit"}]}
    jsonschema.validate(settings, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**settings, "layout": [{"key": "terms", "emty": "omit"}]}, schema)


def test_a_level_that_counts_on_across_chapters() -> None:
    doc = load_document_set(FIXTURE).procedures["QP-23"]
    assert [s.label + s.title for s in doc.sections] == [
        "第一章总则", "第二章供应商的选择与评价", "第三章附则"]
    in_order = [c for s in doc.sections
                for c in (doc.clauses if s.key == "procedure" else s.clauses)]
    assert [c.label for c in in_order] == [
        "第一条", "第二条", "第三条", "第四条", "第五条", "第六条", "第七条"]
    assert "按第三条的分工" in plain(doc.clauses[1].text)
    assert doc.reference((2, 2)) == "第五条"
    # a preset level restarts under each parent, as before
    numbering = Numbering.of(["第一章", "第一条"])
    assert not numbering.counts_on(2)


def test_class_labels_are_kept_in_the_classes_table(layout_set: Path) -> None:
    from generator.render.site import site_content

    edit(layout_set / "procedures" / "QP-21.yaml", "    classes_style: list\n", "")
    page = site_content(load_document_set(layout_set), {}).pages["procedures/QP-21.md"].decode()
    assert "| CR | A 类：致命缺陷 | 可能造成人身伤害" in page
