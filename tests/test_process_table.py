"""Process tables as their companies wrote them: own columns, partial and reused step labels,
`next:` jumps from any step, free-text outputs, groups such as 各部门 in the 权责 column.

The fixture set tests/fixtures/process/ holds an order-review procedure (COP-02) modelled on
a contract-review process table of another company: six columns of its own (输入 | 流程 | 责任单位 |
作业说明 | 时限 | 输出/记录), labels only on the connector steps (A, B, C, C, D), a jump from a
routine step straight to the signing step.
"""

from __future__ import annotations

import io
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from docx import Document
from helpers_docx import plain_docx
from process_support import FIXTURE, copy_fixture, edit

from generator.docset import ProcessR, Ref, plain
from generator.render.docx.procedure import find_template, load_template, render_procedure
from generator.render.flowchart import flowchart_dot, render_flowchart
from generator.render.site import site_content
from generator.resolve import load_document_set
from tests.conftest import errors

REPO = Path(__file__).resolve().parent.parent

# The table as the company's original prints it: (label, step name), label None where the
# original has none.
STEPS = [
    ("A", "接收客户询价或订单"),
    (None, "判断订单类别"),
    ("B", "业务部确认价格、交期和库存"),
    ("C", "组织会签评审"),
    (None, "能否满足要求"),
    ("C", "与客户协商更改要求"),
    ("D", "签订合同或回签订单"),
    (None, "下发生产通知"),
]
COLUMNS = ["输入", "流程", "责任单位", "作业说明", "时限", "输出/记录"]


@pytest.fixture(scope="module")
def process() -> ProcessR:
    (found,) = load_document_set(FIXTURE).procedures["COP-02"].processes
    return found


# --- resolve -------------------------------------------------------------------------------


def test_columns_labels_and_jumps_are_the_sources(process: ProcessR) -> None:
    assert [(c.key, c.title, c.width) for c in process.columns] == [
        ("input", "输入", 2), ("flow", "流程", 3.4), ("owners", "责任单位", 1.8),
        ("key_points", "作业说明", 3.4), ("time_limit", "时限", 1.4),
        ("outputs", "输出/记录", 2.2)]
    assert [(s.label, plain(s.name)) for s in process.steps] == STEPS
    by_id = {s.id: s for s in process.steps}
    # a routine order jumps over the joint review to the signing step (printed → D)
    assert by_id["routine"].next == "sign" and by_id["routine"].jumps
    assert by_id["routine"].next_label == "D"
    # negotiating goes back to the review: the connector C on both rows
    assert by_id["negotiate"].next == "joint" and by_id["negotiate"].next_label == "C"
    assert not by_id["receive"].jumps and by_id["receive"].next == "classify"
    # a branch to an unlabeled step would print its name; here they print the labels
    assert [(b.label, b.to_label) for b in by_id["classify"].branches] == [
        ("常规产品", "B"), ("新产品或特殊要求", "C")]
    assert by_id["release"].is_end


def test_owners_outputs_and_own_cells(process: ProcessR) -> None:
    by_id = {s.id: s for s in process.steps}
    assert by_id["joint"].owner_names == ("业务部", "各部门")
    assert [r.id for r in by_id["joint"].roles] == ["business"]  # 各部门 is no role
    assert by_id["able"].owner_names == ("相关部门",) and by_id["able"].roles == ()
    assert [plain(o) for o in by_id["receive"].outputs] == ["订单登记"]
    joint_output = by_id["joint"].outputs[0][0]
    assert isinstance(joint_output, Ref) and joint_output.text == "《订单评审记录》LJ-COR-02-01"
    assert [plain(o) for o in by_id["sign"].outputs] == [
        "客户订单（回签）", "《订单评审记录》LJ-COR-02-01"]
    assert [plain(i) for i in by_id["receive"].inputs] == ["客户询价单", "客户图纸"]
    assert plain(by_id["joint"].cell("time_limit")) == "3个工作日"
    assert by_id["classify"].cell("time_limit") is None


def test_responsibilities_may_name_a_group_that_is_no_role() -> None:
    docset = load_document_set(FIXTURE)
    doc = docset.procedures["COP-02"]
    assert [(r.label, r.name) for r in doc.responsibilities] == [
        ("4.1", "业务部"), ("4.2", "工程部"), ("4.3", "各部门")]
    assert "各部门" not in docset.duties_by_role
    page = site_content(docset, {}).pages["procedures/COP-02.md"].decode()
    assert "4\\.3</span> 各部门：按时参加会签评审" in page


def test_a_bare_procedure_code_as_output_is_its_reference(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    edit(root, "outputs: [生产通知单]", "outputs: [生产通知单, COP-02]")
    (process,) = load_document_set(root).procedures["COP-02"].processes
    outputs = [plain(o) for o in process.steps[-1].outputs]
    assert outputs == ["生产通知单", "《订单评审程序》LJ-COP-02"]


def test_default_table_keeps_letters_on_every_row() -> None:
    (process,) = load_document_set(REPO).procedures["QP-06"].processes  # the sample set
    assert [s.label for s in process.steps] == [chr(65 + i) for i in range(len(process.steps))]
    assert not process.columns_given
    assert [c.key for c in process.columns] == [
        "input", "flow", "owners", "key_points", "documents", "outputs"]


@pytest.mark.parametrize(("old", "new", "where", "message"), [
    ("            - id: classify\n", "            - id: classify\n"
     "              cells: {deadline: 1天}\n", ".cells.deadline:", "没有名为 deadline 的自定列"),
    ("          steps:\n", "          step_labels: letters\n          steps:\n",
     ".steps[0].label:", "step_labels: given"),
    ("            - {show: key_points, title: 作业说明, width: 3.4}\n", "",
     ".steps[0].key_points:", "没有 key_points 列"),
    ("owners: [business, 各部门]", "owners: [business, buisness]",
     ".owners[1]:", "未知岗位 'buisness'"),
    ("outputs: [COR-02-01]", "outputs: [COR-02-09]", ".outputs[0]:", "未知表单 'COR-02-09'"),
    ("{show: time_limit, title: 时限, width: 1.4}", "{show: time_limit, width: 1.4}",
     ".columns[4]:", "自定列须写 title"),
    ("            - {show: flow, title: 流程, width: 3.4}\n", "",
     ".columns:", "须包含 flow"),
    ("            - {show: owners, title: 责任单位, width: 1.8}\n",
     "            - {show: owners, title: 责任单位, width: 1.8}\n"
     "            - {show: owners, title: 责任人}\n", ".columns:", "列 owners 列出了两次"),
])
def test_mistakes_name_file_line_and_field(tmp_path: Path, old: str, new: str, where: str,
                                           message: str) -> None:
    root = copy_fixture(tmp_path)
    edit(root, old, new)
    found = errors(root)
    assert any(line.startswith("procedures/COP-02.yaml:") and where in line and message in line
               for line in found), found


def test_set_default_columns_apply_to_tables_without_their_own(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    settings = root / "wenkong.yaml"
    settings.write_text(settings.read_text("utf-8") + (
        "process_columns: [label, input, flow, owners, key_points, "
        "{show: time_limit, title: 完成时间}, outputs]\n"), "utf-8")
    text = (root / "procedures" / "COP-02.yaml").read_text("utf-8")
    start = text.index("          columns:\n")
    end = text.index("          steps:\n")
    (root / "procedures" / "COP-02.yaml").write_text(text[:start] + text[end:], "utf-8")
    (process,) = load_document_set(root).procedures["COP-02"].processes
    assert [(c.key, c.title) for c in process.columns] == [
        ("label", None), ("input", None), ("flow", None), ("owners", None),
        ("key_points", None), ("time_limit", "完成时间"), ("outputs", None)]
    assert process.columns_given and not process.label_in_flow


# --- Word ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    docset = load_document_set(FIXTURE)
    template = load_template(find_template(docset))
    return plain_docx(render_procedure(docset.procedures["COP-02"], docset, template))


def test_docx_table_has_the_sources_columns_and_labels(docx_bytes: bytes) -> None:
    document = Document(io.BytesIO(docx_bytes))
    (table,) = [t for t in document.tables if t.rows[0].cells[0].text == "输入"]
    assert [c.text for c in table.rows[0].cells] == COLUMNS
    flows = [row.cells[1].paragraphs[0].text for row in table.rows[1:]]
    assert flows == [f"{label} {name}" if label else name for label, name in STEPS]
    cells = {row.cells[1].paragraphs[0].text: [c.text for c in row.cells] for row in table.rows}
    assert cells["B 业务部确认价格、交期和库存"][1].endswith("→ D")
    assert cells["C 组织会签评审"][2] == "业务部、各部门"
    assert cells["C 组织会签评审"][4] == "3个工作日"
    assert cells["A 接收客户询价或订单"][0] == "客户询价单\n客户图纸"
    assert cells["D 签订合同或回签订单"][5] == "客户订单（回签）\n《订单评审记录》LJ-COR-02-01"


@pytest.fixture(scope="module")
def printed(docx_bytes: bytes, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The pages of COP-02 as LibreOffice prints them (pdftotext -layout)."""
    from helpers_client import page_texts, render_png, to_pdf

    folder = tmp_path_factory.mktemp("cop02")
    source = folder / "COP-02.docx"
    source.write_bytes(docx_bytes)
    (pdf,) = to_pdf([source], folder)
    render_png(pdf, 1, 3, 60)  # for a person to look at
    return page_texts(pdf)


@pytest.mark.client
def test_libreoffice_prints_the_labels_and_titles_as_written(printed: list[str]) -> None:
    text = "\f".join(printed[1:])
    # the heading row, on every page the table runs over
    header = re.compile(r"^\s*" + r"\s+".join(map(re.escape, COLUMNS)) + r"\s*$", re.M)
    assert len(header.findall(text)) >= 1
    table = text[header.search(text).start():]  # type: ignore[union-attr]
    for label, name in STEPS:
        head = re.escape(name[:5])
        if label:
            assert re.search(rf"(?<![A-Z]){label} {head}", table), (label, name)
        else:
            assert re.search(rf"(?<![A-Z] ){head}", table) and \
                not re.search(rf"[A-Z] {head}", table), name
    assert len(re.findall(r"(?<![A-Z])C (组织会签评审|与客户协商)", table)) == 2
    assert "→ D" in table or "→D" in table
    assert re.search(r"4\.3\s*各部门：按时参加会签评审", text)  # a group in 职责 as written
    assert not re.search(r"(?<![A-Z])[EFGH] [\u4e00-\u9fff]", table)  # no letters A–H by row


@pytest.mark.client
def test_cover_prints_only_the_rows_and_units_the_set_uses(printed: list[str]) -> None:
    cover = printed[0]
    for word in ("编写", "审核", "批准", "发行日期", "实施日期", "主责部门", "受控状态", "会签部门",
                 "发放范围"):
        assert word in cover, word
    # cover.omit: no 下次评审, no 分发编号; the office is the set's own 综合办公室
    assert "下次评审" not in cover and "分发编号" not in cover
    assert "文控中心" not in cover
    assert re.search(r"^\s*综合办公室\s+临江电子元件有限公司 综合办公室发布", cover, re.M)
    boxes = re.findall(r"[☐☑]\s*([\u4e00-\u9fff]+)", cover)
    units = ["业务部", "工程部", "品管部", "生管部", "采购部", "财务部"]
    assert boxes == units + units  # 会签, then 发放范围: no 总经理, 内审员, APQP小组
    ticked = re.findall(r"☑\s*([\u4e00-\u9fff]+)", cover)
    assert ticked == ["工程部", "品管部", "生管部",  # 会签
                      "业务部", "工程部", "品管部", "生管部", "采购部"]  # 发放范围


def test_cover_rows_and_units_come_from_data(tmp_path: Path) -> None:
    from generator.render.docx.cover import cover_context
    from generator.render.docx.labels import DocxLabels

    docset = load_document_set(FIXTURE)
    context = cover_context(docset.procedures["COP-02"], docset, DocxLabels())
    assert context["show"] == {"next_review": False, "copy_number": False,
                               "countersign": True, "distribution": True}
    assert context["document_control_office"] == "综合办公室"
    assert [r["name"] for r in context["countersign"]] == [
        "业务部", "工程部", "品管部", "生管部", "采购部", "财务部"]
    # a document overrides the set's choice; a ticked role outside the units still prints
    root = copy_fixture(tmp_path)
    edit(root, "countersign: [qa, planning, engineering]",
         "countersign: [qa, planning, engineering, mr]\ncover_omit: [distribution]")
    docset = load_document_set(root)
    assert [str(w) for w in docset.warnings] == [
        "procedures/COP-02.yaml:15:42: 警告: countersign[3]: "
        "管理者代表不在本文件集的会签单位之中（wenkong.yaml 的 cover.countersign_units），"
        "将另加一个方框印出"]
    context = cover_context(docset.procedures["COP-02"], docset, DocxLabels())
    assert context["show"] == {"next_review": True, "copy_number": True,
                               "countersign": True, "distribution": False}
    assert [r["name"] for r in context["countersign"]][-1] == "管理者代表"


def test_unknown_cover_unit_is_an_error(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path)
    settings = root / "wenkong.yaml"
    settings.write_text(settings.read_text("utf-8").replace("purchasing, finance]",
                                                            "purchasing, finanse]"), "utf-8")
    assert any(line.startswith("wenkong.yaml:") and "cover.countersign_units[5]" in line
               and "未知岗位 'finanse'" in line for line in errors(root)), errors(root)


# --- flowchart and site ----------------------------------------------------------------------


def test_flowchart_prints_the_same_labels(process: ProcessR) -> None:
    docset = load_document_set(FIXTURE)
    dot = flowchart_dot(process, docset.settings)
    # labels repeat (C twice) and some steps have none: nodes are named by step id
    assert '"negotiate" -> "joint" [constraint=false];' in dot
    assert '"routine" -> "sign"' in dot
    if shutil.which("dot") is None:
        pytest.skip("graphviz not installed")
    svg = render_flowchart(process, docset.settings, "svg")
    texts = ["".join(t.itertext()).replace("\xa0", " ")
             for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    joined = re.sub(r"\s+", " ", " ".join(texts))
    for label, name in STEPS:
        assert (f"{label} {name[:4]}" if label else name[:4]) in joined, (label, name)
    assert joined.count("C ") == 2


def test_site_page_shows_the_same_columns_and_labels() -> None:
    docset = load_document_set(FIXTURE)
    page = site_content(docset, {}).pages["procedures/COP-02.md"].decode()
    # the title cells carry the .docx column widths as attribute lists (tests/test_site_parity)
    page = re.sub(r' \{ style="width:[0-9.]+%" \}', "", page)
    assert "| 输入 | 流程 | 责任单位 | 作业说明 | 时限 | 输出/记录 |" in page
    lines = page.splitlines()
    start = lines.index("| 输入 | 流程 | 责任单位 | 作业说明 | 时限 | 输出/记录 |")
    rows = lines[start:lines.index("", start)]
    del rows[1]  # |---|---| …
    flows = [row.split(" | ")[1] for row in rows[1:]]
    assert [re.sub(r"( ◇)?<br>.*", "", f) for f in flows] == [
        f"**{label}** {name}" if label else name for label, name in STEPS]
    assert "→ D" in flows[2] and "业务部" in rows[4] and "各部门" in rows[4]
    assert "3个工作日" in rows[4] and "客户订单（回签）" in rows[7]


def test_diff_units_carry_columns_labels_and_own_cells() -> None:
    from generator.control.content import units_of

    docset = load_document_set(FIXTURE)
    units = units_of(docset.procedures["COP-02"])
    (unit,) = [u for u in units if "订单评审流程" in u.text]
    lines = unit.text.splitlines()
    assert "输入 | 流程 | 责任单位 | 作业说明 | 时限 | 输出/记录" in lines
    joint = next(line for line in lines if "组织会签评审" in line)
    assert joint.startswith("C | 组织会签评审 |") and "业务部 各部门" in joint
    assert joint.endswith("time_limit: 3个工作日")
    routine = next(line for line in lines if "业务部确认价格" in line)
    assert "→D" in routine
    classify = next(line for line in lines if line.startswith(" | 判断订单类别 |"))
    assert "常规产品→B" in classify  # a step without a label has an empty label cell
