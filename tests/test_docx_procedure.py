"""Word procedures: the .docx the renderer writes, read back with python-docx and as XML.

LibreOffice checks (PDF text, page count, fonts, page size) are in test_docx_client.py.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from helpers_docx import plain_docx, plain_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.build import BuildOptions, build
from generator.cli import app
from generator.docset import DocumentSet
from generator.errors import WenkongError
from generator.model.procedure import Status
from generator.render.docx.cover import KNOWN_PLACEHOLDERS, cover_context
from generator.render.docx.labels import DocxLabels
from generator.render.docx.procedure import (
    BUNDLED_TEMPLATE,
    load_template,
    output_name,
    render_procedure,
    render_procedures,
)
from generator.resolve import load_document_set

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SET = REPO / "tests" / "fixtures" / "docx" / "set"
ALT_TEMPLATE = REPO / "tests" / "fixtures" / "docx" / "alt-template" / "procedure.docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE_SET)


@pytest.fixture(scope="module")
def rendered(docset: DocumentSet) -> dict[str, bytes]:
    files = render_procedures(docset, BuildOptions(root=FIXTURE_SET, output=Path("unused")),
                              jobs=1)
    return {name: plain_docx(data) for name, data in files.items()}


def part(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


def header_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist()
                       if re.fullmatch(r"word/header\d*\.xml", n))


def texts(xml: str) -> str:
    return html.unescape("".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml)))


def docx_of(rendered: dict[str, bytes], code: str) -> bytes:
    return next(data for name, data in rendered.items() if f"/{code}_" in name)


def test_one_file_per_procedure_named_by_code_version_title(docset, rendered):
    assert sorted(rendered) == sorted(output_name(d) for d in docset.procedures.values())
    assert "procedures/QP-01_B-0_文件控制程序.docx" in rendered


def test_title_cannot_escape_the_output_folder(docset):
    doc = docset.procedures["QP-01"]
    from dataclasses import replace

    odd = replace(doc, title="../../etc/passwd:程序?")
    name = output_name(odd)
    assert name.count("/") == 1 and ".." not in name.split("/", 1)[1].split("_", 2)[2][:2]
    assert name.startswith("procedures/QP-01_B-0_")


def test_reopens_in_python_docx_with_a4_and_header(rendered):
    data = docx_of(rendered, "QP-01")
    document = Document(io.BytesIO(data))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    header = texts(header_xml(data))
    assert "QP-01" in header and "B/0" in header and "文件控制程序" in header
    assert "苏州恒锐精密机械有限公司" in header
    xml = header_xml(data)
    assert re.search(r"<w:instrText[^>]*> PAGE </w:instrText>", xml)
    assert re.search(r"<w:instrText[^>]*> NUMPAGES </w:instrText>", xml)
    # no placeholder survived
    body = part(data, "word/document.xml")
    assert "{{" not in body + xml and "{%" not in body + xml


def test_body_carries_every_clause_label_and_text_in_order(docset, rendered):
    doc = docset.procedures["QP-01"]
    document = Document(io.BytesIO(docx_of(rendered, "QP-01")))
    full = "\n".join(p.text for p in document.paragraphs)
    position = 0
    from generator.docset import plain

    for clause in doc.all_clauses():
        if clause.text:
            needle = f"{clause.label} {plain(clause.text)}"
        elif clause.title:
            needle = f"{clause.label} {plain(clause.title)}"
        else:
            needle = clause.label
        found = full.find(needle, position)
        assert found >= 0, f"{needle!r} missing or out of order"
        position = found


def test_references_print_current_title_and_code(rendered):
    document = Document(io.BytesIO(docx_of(rendered, "QP-01")))
    full = "\n".join(p.text for p in document.paragraphs)
    assert "《文件更改申请单》QR-01-01" in full
    assert "【" not in full  # no raw reference syntax


def test_headings_use_template_styles_and_chinese_fonts(rendered):
    data = docx_of(rendered, "QP-01")
    document = Document(io.BytesIO(data))
    styles = {p.style.name for p in document.paragraphs}
    assert {"Heading 1", "Heading 2", "Body Text", "Clause Text", "List"} <= styles
    styles_xml = part(data, "word/styles.xml")
    heading = re.search(r'<w:style [^>]*w:styleId="Heading1".*?</w:style>', styles_xml, re.S)
    assert heading and 'w:eastAsia="SimHei"' in heading.group(0)
    normal = re.search(r'<w:style [^>]*w:styleId="Normal".*?</w:style>', styles_xml, re.S)
    assert normal and 'w:eastAsia="SimSun"' in normal.group(0)
    assert "asciiTheme" not in heading.group(0)


def test_process_table_has_six_columns_letters_and_branches(docset, rendered):
    data = docx_of(rendered, "QP-01")
    document = Document(io.BytesIO(data))
    tables = [t for t in document.tables if t.rows[0].cells[0].text == "输入"]
    assert tables, "no process table"
    table = tables[0]
    assert [c.text for c in table.rows[0].cells] == list(DocxLabels().process_columns)
    process = docset.procedures["QP-01"].processes[0]
    flows = [row.cells[1].text for row in table.rows[1:]]
    assert len(flows) == len(process.steps)
    for flow, step in zip(flows, process.steps, strict=True):
        assert flow.startswith(f"{step.label} ")
        for branch in step.branches:
            assert f"{branch.label} → {branch.to_label}" in flow
    # the flowchart drawn from the same steps sits below the table and in the attachment
    assert part(data, "word/document.xml").count("<pic:pic") >= 2
    assert any(n.startswith("word/media/") for n in zipfile.ZipFile(io.BytesIO(data)).namelist())


def test_records_and_revision_history_tables(docset, rendered):
    doc = docset.procedures["QP-01"]
    document = Document(io.BytesIO(docx_of(rendered, "QP-01")))
    tables = {t.rows[0].cells[0].text + t.rows[0].cells[1].text: t for t in document.tables}
    records = tables["序号表单编号"]
    assert len(records.rows) == 1 + len(doc.records)
    assert records.rows[1].cells[1].text == doc.records[0].form.code
    assert records.rows[1].cells[3].text == doc.records[0].custodian.name
    revisions = tables["版本修改章节"]
    versions = [r.cells[0].text for r in revisions.rows[1:]]
    assert versions == [r.version for r in doc.model.revisions]
    assert revisions.rows[1].cells[3].text == doc.model.revisions[0].summary


def test_countersign_row_ticks_exactly_the_documents_roles(docset, rendered):
    doc = docset.procedures["QP-01"]
    document = Document(io.BytesIO(docx_of(rendered, "QP-01")))
    cover = document.tables[0]
    row = next(r for r in cover.rows if r.cells[0].text == "会签部门")
    text = row.cells[1].text
    for role in docset.roles.values():
        if role in doc.countersign:
            assert f"☑{role.name}" in text
        elif f"{role.name}" in text.replace("☐", " ").split():
            assert f"☐{role.name}" in text
    assert text.count("☑") == len(doc.countersign)


@pytest.mark.parametrize(("status", "watermark", "stamp"), [
    (Status.draft, "草稿", None), (Status.in_review, "审核中", None),
    (Status.obsolete, "作废", None), (Status.effective, None, "非受控"),
])
def test_status_marks_every_page(docset, status, watermark, stamp):
    from dataclasses import replace

    template = load_template(BUNDLED_TEMPLATE)
    doc = replace(docset.procedures["QP-02"], status=status)
    xml = header_xml(render_procedure(doc, docset, template))
    marks = re.findall(r'string="([^"]*)"', xml)
    if watermark:
        assert len(marks) == 1 and watermark in marks[0]
    else:
        assert marks == []
    stamps = re.findall(r"WenkongStatusStamp.*?<w:t[^>]*>([^<]*)</w:t>", xml, re.S)
    assert stamps == ([stamp] if stamp else [])


def test_placeholder_list_matches_the_context(docset):
    context = cover_context(docset.procedures["QP-01"], docset, DocxLabels())
    assert set(KNOWN_PLACEHOLDERS) == {*context, "body"}


def test_contents_only_for_long_procedures(docset, rendered):
    long = Document(io.BytesIO(docx_of(rendered, "QP-01")))
    assert any(p.style.name == "TOC 1" for p in long.paragraphs)
    settings = part(docx_of(rendered, "QP-01"), "word/settings.xml")
    assert '<w:updateFields w:val="true"/>' in settings
    short = min(docset.procedures.values(), key=lambda d: len(d.all_clauses()))
    from generator.render.docx.body import wants_contents

    if not wants_contents(short):
        document = Document(io.BytesIO(docx_of(rendered, short.model.code)))
        assert not any(p.style.name.startswith("TOC") for p in document.paragraphs)


def test_build_twice_in_two_processes_gives_identical_bytes(tmp_path):
    script = ("import sys; from pathlib import Path; from generator.build import BuildOptions;"
              "from generator.render.docx.procedure import render_procedures;"
              "from generator.resolve import load_document_set;"
              f"root = Path({str(FIXTURE_SET)!r}); s = load_document_set(root);"
              "files = render_procedures(s, BuildOptions(root=root, output=Path('x')), jobs=2);"
              "out = Path(sys.argv[1]);"
              "[(out / n).parent.mkdir(parents=True, exist_ok=True) or (out / n).write_bytes(d)"
              " for n, d in files.items()]")
    for n in (1, 2):
        subprocess.run([sys.executable, "-c", script, str(tmp_path / str(n))], check=True)
    first = sorted((tmp_path / "1").rglob("*.docx"))
    assert first
    for path in first:
        other = tmp_path / "2" / path.relative_to(tmp_path / "1")
        assert path.read_bytes() == other.read_bytes(), path.name


def test_core_properties_come_from_the_documents_dates(rendered):
    core = part(docx_of(rendered, "QP-01"), "docProps/core.xml")
    assert "2026-01-05T00:00:00Z" in core  # QP-01's issue date


# --- the template drives the look -------------------------------------------------------------


def test_a_rearranged_template_changes_the_documents(docset, rendered):
    default = docx_of(rendered, "QP-01")
    alt = render_procedure(docset.procedures["QP-01"], docset, load_template(ALT_TEMPLATE))
    default_header = Document(io.BytesIO(default)).sections[0].header.tables[0]
    alt_header = Document(io.BytesIO(alt)).sections[0].header.tables[0]
    assert default_header.cell(0, 0).text == "苏州恒锐精密机械有限公司"
    assert alt_header.cell(0, 0).text == "文件编号"  # company moved to the right
    assert alt_header.cell(0, 2).text == "苏州恒锐精密机械有限公司"
    styles = Document(io.BytesIO(alt)).styles
    assert styles["Heading 1"].font.size.pt == 16  # restyled in the variant
    assert Document(io.BytesIO(default)).styles["Heading 1"].font.size.pt == 14
    # same body either way: the sub-document only names styles
    alt_text = [p.text for p in Document(io.BytesIO(alt)).paragraphs if p.style.name
                .startswith("Heading")]
    default_text = [p.text for p in Document(io.BytesIO(default)).paragraphs if p.style.name
                    .startswith("Heading")]
    assert alt_text == default_text
    # the variant's footer carries the page number instead of the notice
    footer = texts(part(alt, "word/footer1.xml"))
    assert "QP-01" in footer


def _template_with(tmp_path: Path, old: str, new: str) -> Path:
    source = zipfile.ZipFile(BUNDLED_TEMPLATE)
    target = tmp_path / "procedure.docx"
    with zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text
                data = text.replace(old, new).encode("utf-8")
            out.writestr(info, data)
    return target


def test_template_missing_a_required_placeholder_is_a_clear_error(tmp_path):
    broken = _template_with(tmp_path, "{{p body }}", "正文")
    with pytest.raises(WenkongError, match=r"缺少占位符 \{\{p body \}\}"):
        load_template(broken)


def test_template_with_unknown_placeholder_names_it(tmp_path):
    broken = _template_with(tmp_path, "{{ owner }}", "{{ ownr }}")
    with pytest.raises(WenkongError, match=r"未知的占位符.*ownr"):
        load_template(broken)


def test_unreadable_template_is_a_clear_error(tmp_path):
    junk = tmp_path / "procedure.docx"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(WenkongError, match="不是可读取的 Word"):
        load_template(junk)
    with pytest.raises(WenkongError, match="无法读取 Word 模板"):
        load_template(tmp_path / "missing.docx")


def _copy_set(tmp_path: Path) -> Path:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE_SET, root)
    return root


def test_cli_bad_template_exits_1_and_keeps_previous_output(tmp_path):
    root = _copy_set(tmp_path)
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["build", str(root), "-o", str(out), "--only", "procedures"])
    assert first.exit_code == 0, first.output
    before = sorted(p.name for p in (out / "procedures").iterdir())
    (root / "templates").mkdir()
    (root / "templates" / "procedure.docx").write_bytes(b"PK\x03\x04broken")
    second = runner.invoke(app, ["build", str(root), "-o", str(out), "--only", "procedures"])
    assert second.exit_code == 1
    assert "不是可读取的 Word .docx 模板" in second.output
    assert "Traceback" not in second.output
    assert sorted(p.name for p in (out / "procedures").iterdir()) == before


def test_set_template_is_used_over_the_default(tmp_path):
    root = _copy_set(tmp_path)
    (root / "templates").mkdir()
    shutil.copy(ALT_TEMPLATE, root / "templates" / "procedure.docx")
    docset = load_document_set(root)
    files = build(docset, BuildOptions(root=root, output=tmp_path / "out",
                                       only=frozenset({"procedures"})))
    data = next(d for n, d in files.items() if "/QP-02_" in n)
    assert Document(io.BytesIO(data)).styles["Heading 1"].font.size.pt == 16


def test_pdf_without_libreoffice_says_so(tmp_path, monkeypatch):
    import generator.render.pdf as pdf

    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    result = CliRunner().invoke(app, ["build", str(FIXTURE_SET), "-o", str(tmp_path / "o"),
                                      "--pdf"])
    assert result.exit_code == 1
    assert "没有安装 LibreOffice" in result.output
    assert not (tmp_path / "o").exists()


def test_chinese_numbering_style_prints_chinese_labels(tmp_path):
    root = _copy_set(tmp_path)
    settings = root / "wenkong.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        "numbering_style: decimal", "numbering_style: chinese"), encoding="utf-8")
    docset = load_document_set(root)
    doc = docset.procedures["QP-02"]
    data = render_procedure(doc, docset, load_template(BUNDLED_TEMPLATE))
    headings = [p.text for p in Document(io.BytesIO(data)).paragraphs
                if p.style.name == "Heading 1"]
    assert headings[0] == f"一、{doc.sections[0].title}"


def test_labels_file_beside_the_template_translates_generated_words(tmp_path, docset):
    shutil.copy(BUNDLED_TEMPLATE, tmp_path / "procedure.docx")
    (tmp_path / "procedure.labels.yaml").write_text(
        "process_columns: [Input, Flow, Responsible, Key points, Documents, Output]\n"
        "stamp: {draft: '', in_review: '', effective: CONTROLLED, obsolete: ''}\n"
        "uncontrolled_stamp: UNCONTROLLED\n",
        encoding="utf-8")
    template = load_template(tmp_path / "procedure.docx")
    data = render_procedure(docset.procedures["QP-01"], docset, template)
    tables = Document(io.BytesIO(data)).tables
    assert any(t.rows[0].cells[0].text == "Input" for t in tables)
    assert "UNCONTROLLED" in texts(header_xml(data))


def test_broken_labels_file_names_file_and_line(tmp_path):
    shutil.copy(BUNDLED_TEMPLATE, tmp_path / "procedure.docx")
    (tmp_path / "procedure.labels.yaml").write_text("note: 注\nprocess_colums: [a]\n",
                                                     encoding="utf-8")
    from generator.errors import SourceErrors

    with pytest.raises(SourceErrors) as caught:
        load_template(tmp_path / "procedure.docx")
    assert any(p.line == 2 and "process_colums" in str(p) for p in caught.value.problems)


_XMLISH = st.text(
    alphabet=st.sampled_from(list("<>&\"'{}%#【】《》质量 \\/abc;=_-"))
    | st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd", "Po", "Sm")),
    min_size=1, max_size=40).filter(lambda s: s.strip() == s and s)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=_XMLISH, text=_XMLISH)
def test_any_title_and_clause_text_stay_text(docset, title, text):
    from dataclasses import replace

    doc = docset.procedures["QP-02"]
    clause = replace(doc.clauses[0], text=(text,), title=None, blocks=(), children=())
    odd = replace(doc, title=title, clauses=(clause, *doc.clauses[1:]))
    data = plain_docx(render_procedure(odd, docset, _default_template()))
    document = Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs]
    assert f"{clause.label} {text}" in paragraphs
    assert title in texts(header_xml(data))
    assert document.paragraphs[0].text == title  # the cover title


_TEMPLATE: list = []


def _default_template():
    if not _TEMPLATE:
        _TEMPLATE.append(load_template(BUNDLED_TEMPLATE))
    return _TEMPLATE[0]


# Word refuses ("unreadable content") property elements out of schema order; LibreOffice and
# python-docx do not care, so only a test catches it.
_SCHEMA_ORDER = {
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize "
             "tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook "
             "tblCaption tblDescription",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
            "tcFitText vAlign hideMark",
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
           "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap "
           "overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid "
           "spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
           "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
           "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs "
           "highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout "
           "specVanish oMath",
}


def test_property_elements_follow_the_schema_order(rendered):
    from lxml import etree

    data = docx_of(rendered, "QP-01")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [n for n in archive.namelist()
                 if re.fullmatch(r"word/(document|styles|header\d+|footer\d+|settings)\.xml", n)]
        for name in parts:
            root = etree.fromstring(archive.read(name))
            for tag, order in _SCHEMA_ORDER.items():
                sequence = order.split()
                for element in root.iter(f"{W}{tag}"):
                    seen = [etree.QName(c).localname for c in element
                            if etree.QName(c).namespace == W[1:-1]]
                    ranks = [sequence.index(s) for s in seen if s in sequence]
                    assert ranks == sorted(ranks), f"{name}: <w:{tag}> children {seen}"
            if name == "word/settings.xml":
                children = [etree.QName(c).localname for c in root]
                assert children.index("updateFields") < children.index("compat")


def test_obsolete_cover_prints_the_withdrawal_day_and_reason(docset):
    """obsolete_date is printed, not accepted and dropped (the site shows it too)."""
    import datetime as dt
    from dataclasses import replace

    template = load_template(BUNDLED_TEMPLATE)
    doc = docset.procedures["QP-02"]
    model = doc.model.model_copy(update={"obsolete_date": dt.date(2026, 3, 1),
                                         "obsolete_reason": "已并入 QP-01"})
    data = render_procedure(replace(doc, status=Status.obsolete, model=model), docset, template)
    text = plain_text("\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs))
    assert "作废日期：2026-03-01" in text
    assert "作废原因：已并入 QP-01" in text
    plain = "\n".join(p.text for p in Document(io.BytesIO(
        render_procedure(doc, docset, template))).paragraphs)
    assert "作废日期" not in plain and "作废原因" not in plain
