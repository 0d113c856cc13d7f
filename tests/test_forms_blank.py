"""Blank forms (render stage): the controls, the page, the fonts and the bytes of each form."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
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
    PROPERTY_CODE,
    PROPERTY_VERSION,
    FormLabels,
    Slot,
    TableSlots,
    control_plan,
    form_file_name,
    form_layout,
    render_form,
)
from generator.render.docx.sdt import W14_NS, W15_NS, W_NS
from generator.resolve import load_document_set

FIXTURE = Path(__file__).parent / "fixtures" / "forms" / "set"
W = f"{{{W_NS}}}"


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE)


def document_xml(data: bytes) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))


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
        assert any(f"({key}): required" in p for p in problems), key
    assert all(p.startswith(f"{path.as_posix()}: QR-01-01 A/1: field ") for p in problems)


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
