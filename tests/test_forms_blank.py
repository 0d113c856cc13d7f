"""Blank forms (render stage): the controls, the page, the fonts and the bytes of each form."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers_docx import plain_docx_part
from lxml import etree

from generator.docset import DocumentSet
from generator.model.form import FieldType, Widget
from generator.records import (
    RecordErrors,
    align,
    read_controls,
    read_record,
)
from generator.render.docx.form import (
    BODY_PT,
    FOOTER_MM,
    NOTE_PT,
    PAD_MM,
    PROPERTY_CODE,
    PROPERTY_VERSION,
    SLACK_MM,
    FormLabels,
    Slot,
    TableSlots,
    control_plan,
    estimate_mm,
    form_file_name,
    form_layout,
    render_form,
    text_width_mm,
    wrap_words,
)
from generator.render.docx.sdt import W14_NS, W15_NS, W_NS
from generator.resolve import load_document_set

FIXTURE = Path(__file__).parent / "fixtures" / "forms" / "set"
W = f"{{{W_NS}}}"


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE)


def document_xml(data: bytes) -> etree._Element:
    return etree.fromstring(plain_docx_part(data, "word/document.xml"))


def tags(root: etree._Element) -> list[str]:
    return [t.get(f"{W}val") for t in root.iter(f"{W}tag")]


def test_every_field_has_a_control_tagged_with_its_id(docset: DocumentSet) -> None:
    doc = docset.forms["QR-01-01"]
    root = document_xml(render_form(docset, doc, FormLabels()))
    found = tags(root)
    form = doc.model
    for section in form.sections:
        for item in section.fields:
            if item.type in (FieldType.choice, FieldType.multi_choice) and (
                    item.widget is Widget.checkbox or item.type is FieldType.multi_choice):
                assert [t for t in found if t.startswith(f"{item.id}=")] == [
                    f"{item.id}={o}" for o in item.options]
            elif item.type is FieldType.yes_no:
                assert [t for t in found if t.startswith(f"{item.id}=")] == [
                    f"{item.id}=yes", f"{item.id}=no"]
            else:
                assert found.count(item.id) == 1, item.id
    for box in form.signoff:
        assert found.count(box.id) == 1 and found.count(f"{box.id}.date") == 1
    assert found.count("wenkong:form") == 1 and found.count("wenkong:serial") == 1


def test_controls_are_in_the_order_of_the_control_plan(docset: DocumentSet) -> None:
    for doc in docset.forms.values():
        data = render_form(docset, doc, FormLabels())
        controls = read_controls(document_xml(data).find(f"{W}body"))
        plan = control_plan(doc.model, FormLabels())
        matched = align(plan, controls, doc.model)
        for item in plan:
            if isinstance(item, TableSlots):
                # the schema's blank rows, and more where the page has room for them
                rows = form_layout(doc.model, FormLabels()).table_rows(item.table)
                assert rows >= item.table.rows
                assert len(matched.tables[item.table.id]) == rows
            else:
                assert isinstance(item, Slot)
        # every planned single control was found with its tag and alias
        assert all(c.tag for c in controls)


def test_checkboxes_are_real_checkbox_controls_drawn_as_empty_boxes(
        docset: DocumentSet) -> None:
    root = document_xml(render_form(docset, docset.forms["QR-01-01"], FormLabels()))
    boxes = [s for s in root.iter(f"{W}sdt")
             if s.find(f"{W}sdtPr/{{{W14_NS}}}checkbox") is not None]
    # 4 satisfaction + 5 concerns + yes/no
    assert len(boxes) == 11
    for box in boxes:
        assert box.find(f"{W}sdtPr/{{{W14_NS}}}checkbox/{{{W14_NS}}}checked").get(
            f"{{{W14_NS}}}val") == "0"
        assert "".join(box.itertext()) == "☐"
    # the option words follow their boxes in the same paragraph
    paragraph = boxes[0].getparent()
    assert "".join(paragraph.itertext()).replace("\u2003", " ").split() == [
        "☐很满意", "☐满意", "☐一般", "☐不满意"]


def test_repeating_table_has_the_blank_rows_in_a_repeating_section(
        docset: DocumentSet) -> None:
    root = document_xml(render_form(docset, docset.forms["QR-01-01"], FormLabels()))
    sections = [s for s in root.iter(f"{W}sdt")
                if s.find(f"{W}sdtPr/{{{W15_NS}}}repeatingSection") is not None]
    assert len(sections) == 1
    items = sections[0].find(f"{W}sdtContent").findall(f"{W}sdt")
    assert len(items) == 5  # rows: 5 in the schema
    for item in items:
        assert item.find(f"{W}sdtPr/{{{W15_NS}}}repeatingSectionItem") is not None
        row = item.find(f"{W}sdtContent/{W}tr")
        assert len(row.findall(f"{W}tc")) == 7  # 序号 + six columns
    assert root.get("{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable"
                    ).split().count("w15") == 1


def test_a4_portrait_and_landscape_with_chinese_fonts(docset: DocumentSet) -> None:
    for code, size in (("QR-01-01", ("11906", "16838")), ("QR-01-02", ("16838", "11906"))):
        root = document_xml(render_form(docset, docset.forms[code], FormLabels()))
        page = root.find(f"{W}body/{W}sectPr/{W}pgSz")
        assert (page.get(f"{W}w"), page.get(f"{W}h")) == size
        east = {f.get(f"{W}eastAsia") for f in root.iter(f"{W}rFonts")}
        assert {"SimSun", "SimHei"} <= east


def test_form_is_named_in_document_properties_and_header(docset: DocumentSet) -> None:
    doc = docset.forms["QR-01-01"]
    data = render_form(docset, doc, FormLabels())
    custom = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("docProps/custom.xml"))
    props = {p.get("name"): p[0].text for p in custom}
    assert props[PROPERTY_CODE] == "QR-01-01" and props[PROPERTY_VERSION] == "A/1"
    text = "".join(document_xml(data).itertext())
    assert "QR-01-01 A/1" in text and "顾客意见征询书" in text and "编号" in text
    assert "《顾客反馈控制程序》QP-01" in text


def test_blank_form_reads_back_with_no_values(docset: DocumentSet, tmp_path: Path) -> None:
    """Placeholder text (hints, 年 月 日) is never a value: a blank form misses its required
    fields, and nothing else."""
    doc = docset.forms["QR-01-01"]
    path = tmp_path / "blank.docx"
    path.write_bytes(render_form(docset, doc, FormLabels()))
    with pytest.raises(RecordErrors) as caught:
        read_record(path, docset, FormLabels())
    problems = caught.value.problems
    assert len(problems) == 4, problems
    for key in ("customer", "visit-date", "satisfaction", "filled-by"):
        assert any(f"({key})：必填" in p for p in problems), key
    assert all(p.startswith(f"{path.as_posix()}: QR-01-01 A/1: 字段 ") for p in problems)


def test_file_name_carries_code_version_and_title(docset: DocumentSet) -> None:
    assert form_file_name(docset.forms["QR-01-01"]) == "forms/QR-01-01_A-1_顾客意见征询书.docx"


def test_same_bytes_in_two_processes(docset: DocumentSet) -> None:
    script = (
        "import sys, hashlib\n"
        "from pathlib import Path\n"
        "from generator.resolve import load_document_set\n"
        "from generator.build import BuildOptions\n"
        "from generator.render.docx.form import render_forms\n"
        f"root = Path({str(FIXTURE)!r})\n"
        "files = render_forms(load_document_set(root), BuildOptions(root=root, output=root))\n"
        "for name in sorted(files): print(name, hashlib.sha256(files[name]).hexdigest())\n"
    )
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"})
            .stdout for seed in ("1", "2")]
    assert runs[0] == runs[1]
    assert runs[0].count("forms/") == 2


def test_fixed_words_come_from_the_labels_file(tmp_path: Path) -> None:
    import shutil

    from generator.errors import SourceErrors
    from generator.render.docx.form import load_form_labels

    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    (root / "templates").mkdir()
    (root / "templates" / "form.labels.yaml").write_text(
        "serial: 'No.: '\nyes: 'Yes'\nno: 'No'\nretention: 'Keep for {retention}'\n",
        encoding="utf-8")
    docset = load_document_set(root)
    labels = load_form_labels(root, docset.settings)
    text = "".join(document_xml(render_form(docset, docset.forms["QR-01-01"],
                                            labels)).itertext())
    assert "No.:" in text and "☐Yes" in text and "编号：" not in text
    footer = zipfile.ZipFile(io.BytesIO(render_form(docset, docset.forms["QR-01-01"], labels)))
    assert "Keep for 三年" in "".join(
        etree.fromstring(footer.read("word/footer1.xml")).itertext())

    (root / "templates" / "form.labels.yaml").write_text("serail: x\n", encoding="utf-8")
    with pytest.raises(SourceErrors) as caught:
        load_form_labels(root, docset.settings)
    assert "form.labels.yaml:1:1" in str(caught.value.problems[0])


# --- print quality (issue 10, forms) ----------------------------------------------------


def _cell_text(tc: etree._Element) -> str:
    return "".join(t.text or "" for t in tc.iter(f"{W}t"))


def test_labels_break_between_words_only_when_too_wide() -> None:
    assert wrap_words("让步理由及有效期", 45) == ["让步理由及有效期"]
    assert wrap_words("让步理由及有效期", 28) == ["让步理由及", "有效期"]  # not 让步理由及有效 / 期
    assert wrap_words("是否启动纠正措施", 24) == ["是否启动", "纠正措施"]
    # phrases first, and a bracketed part stays whole
    assert wrap_words("总经理（权限要求时）/日期", 42) == ["总经理", "（权限要求时）/日期"]
    assert wrap_words("客户确认（签字/盖章）", 30) == ["客户确认", "（签字/盖章）"]
    # a department's name stays whole where jieba would cut it (文控 / 中心)
    hint = "新增文件由文控中心分配编号"
    assert "文控中心" not in "".join(wrap_words(hint, 30, NOTE_PT)[:1])
    assert any("文控中心" in line for line in wrap_words(hint, 30, NOTE_PT, ("文控中心",)))


def test_label_column_is_as_wide_as_its_longest_label(docset: DocumentSet) -> None:
    form = docset.forms["QR-01-01"].model
    layout = form_layout(form, FormLabels())
    longest = max(text_width_mm(f.label, BODY_PT) for s in form.sections for f in s.fields)
    assert min(longest + PAD_MM, 40) <= layout.label <= longest + PAD_MM + 3
    narrow = form.model_copy(update={"sections": [form.sections[0]], "signoff": []})
    assert form_layout(narrow, FormLabels()).label < layout.label  # 4-character labels


def test_one_bordered_table_holds_every_section(docset: DocumentSet) -> None:
    """No double rule where two sections meet: the header block, then one table (sections,
    repeating table and sign-off rows, each row spanning the grid columns it needs)."""
    root = document_xml(render_form(docset, docset.forms["QR-01-01"], FormLabels()))
    body = root.find(f"{W}body")
    tables = body.findall(f"{W}tbl")
    assert len(tables) == 2
    text = _cell_text(tables[1])
    for words in ("顾客信息", "满意度评价", "产品问题", "规格型号", "填表人/日期", "批准/日期"):
        assert words in text
    grid = [int(c.get(f"{W}w")) for c in tables[1].iter(f"{W}gridCol")]
    for row in tables[1].iter(f"{W}tr"):
        spans = [int(s.get(f"{W}val")) if (s := tc.find(f"{W}tcPr/{W}gridSpan")) is not None
                 else 1 for tc in row.findall(f"{W}tc")]
        assert sum(spans) == len(grid)


def test_a_heading_said_by_the_first_label_is_not_repeated(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    source = root / "forms" / "QR-01-01.yaml"
    source.write_text(source.read_text("utf-8").replace("- title: 顾客信息", "- title: 顾客名称"),
                      "utf-8")
    changed = load_document_set(root)
    text = "".join(document_xml(render_form(changed, changed.forms["QR-01-01"],
                                            FormLabels())).itertext())
    assert text.count("顾客名称") == 1
    assert text.count("满意度评价") == 1  # other headings stay


def test_paper_look_date_in_ink_hint_beside_the_box(docset: DocumentSet) -> None:
    """年 月 日 are placeholder text of the date picker, but in normal ink (they belong on the
    printed form); a hint is small print under its label, never inside the box."""
    root = document_xml(render_form(docset, docset.forms["QR-01-01"], FormLabels()))
    dates = [s for s in root.iter(f"{W}sdt") if s.find(f"{W}sdtPr/{W}date") is not None
             and "年" in "".join(s.itertext())]
    assert len(dates) == 5  # 回访日期, 客户确认 and three sign-off boxes
    for control in dates:
        assert control.find(f"{W}sdtPr/{W}showingPlcHdr") is not None
        assert not list(control.iter(f"{W}color"))
    for control in root.iter(f"{W}sdt"):
        assert "手机或座机" not in "".join(control.itertext())
    cell = next(tc for tc in root.iter(f"{W}tc") if "联系电话" in _cell_text(tc))
    assert _cell_text(cell) == "联系电话手机或座机"
    note = cell.findall(f"{W}p")[1]
    assert {s.get(f"{W}val") for s in note.iter(f"{W}sz")} == {str(round(NOTE_PT * 2))}


def test_name_date_box_has_room_for_the_name(docset: DocumentSet) -> None:
    """A name/date box: the name's (empty) control at the left, then a tab to a right tab
    stop, then the date's 年 月 日 at the right edge."""
    root = document_xml(render_form(docset, docset.forms["QR-01-01"], FormLabels()))
    for tag in ("customer-sign", "filled-by", "approved-by"):
        name = next(s for s in root.iter(f"{W}sdt") if s.find(f"{W}sdtPr/{W}tag") is not None
                    and s.find(f"{W}sdtPr/{W}tag").get(f"{W}val") == tag)
        paragraph = name.getparent()
        parts = [c for c in paragraph if c.tag != f"{W}pPr"]
        assert parts[0] is name and parts[1].find(f"{W}tab") is not None
        assert "年" in "".join(parts[2].itertext())
        stop = paragraph.find(f"{W}pPr/{W}tabs/{W}tab")
        assert stop.get(f"{W}val") == "right"


def test_spare_height_goes_to_long_text_boxes_else_to_table_rows(docset: DocumentSet) -> None:
    labels = FormLabels()
    form = docset.forms["QR-01-01"].model
    layout = form_layout(form, labels)
    assert layout.grown("opinion") > 20  # a 4-line box on a page with room to spare
    assert layout.table_rows(form.sections[2].table) >= 5
    # without its long-text box, the spare height becomes blank rows of the table
    sections = [s.model_copy(update={"fields": [f for f in s.fields if f.type != "long_text"]})
                for s in form.sections]
    plain = form.model_copy(update={"sections": sections})
    plain_layout = form_layout(plain, labels)
    assert plain_layout.table_rows(form.sections[2].table) > 10
    for each in (layout, plain_layout):
        used = estimate_mm(form if each is layout else plain, each, labels)
        assert 297 - 28 - FOOTER_MM - SLACK_MM - 8 <= used <= 297 - 28 - FOOTER_MM
