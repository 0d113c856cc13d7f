"""Where a process table's flowchart goes in the .docx (issue 10 item 7), and the page fit of
the PDF copies (render/docx/pagefit.py) on made-up page measurements. The fit in LibreOffice's
real PDFs is checked in test_print_quality.py.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml

from generator.build import BuildOptions
from generator.docset import DocumentSet
from generator.model.settings import FlowchartPlacement, Flowcharts
from generator.render.docx.body import FLOWCHART_NAME
from generator.render.docx.pagefit import (
    SLACK_PT,
    Chart,
    Jump,
    Line,
    Page,
    fitting_scale,
    jumps,
    next_scale,
    read_charts,
    resized,
)
from generator.render.docx.procedure import render_procedures
from generator.resolve import load_document_set

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SET = REPO / "tests" / "fixtures" / "docx" / "set"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE_SET)


def _qp01(docset: DocumentSet) -> bytes:
    files = render_procedures(docset, BuildOptions(root=FIXTURE_SET, output=Path("unused")),
                              jobs=1)
    return next(data for name, data in files.items() if "/QP-01_" in name)


@pytest.fixture(scope="module")
def qp01(docset: DocumentSet) -> bytes:
    return _qp01(docset)


def _blocks(data: bytes) -> list[str]:
    """The body in order: 'table', 'picture', or a paragraph's style id and text."""
    document = Document(io.BytesIO(data))
    found = []
    for element in document.element.body:
        if element.tag == f"{W}tbl":
            found.append("table:" + _text(element)[:2])
        elif element.tag == f"{W}p":
            if element.findall(f".//{WP}inline"):
                found.append("picture")
            else:
                style = element.find(f"{W}pPr/{W}pStyle")
                found.append(f"{style.get(f'{W}val') if style is not None else ''}:"
                             f"{_text(element)}")
    return found


def _text(element: object) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))  # type: ignore[attr-defined]


def _process_title(docset: DocumentSet) -> str:
    return docset.procedures["QP-01"].processes[0].title


def test_flowchart_follows_its_table_and_its_caption_keeps_with_nothing(docset, qp01):
    blocks = _blocks(qp01)
    title = _process_title(docset)
    table = blocks.index(f"Caption:{title}") + 1
    assert blocks[table].startswith("table:输入")
    # the table, the empty paragraph that keeps it apart, the picture, its caption
    assert blocks[table + 1] == "BodyText:"
    assert blocks[table + 2] == "picture"
    assert blocks[table + 3] == f"Caption:{title}（流程图）"
    document = Document(io.BytesIO(qp01))
    captions = [p for p in document.paragraphs if p.text == f"{title}（流程图）"]
    assert captions and all(p.paragraph_format.keep_with_next is False for p in captions)
    # a table's caption (above the table) still keeps with its table, by its style
    above = next(p for p in document.paragraphs if p.text == title)
    assert above.paragraph_format.keep_with_next is None
    assert above.style.paragraph_format.keep_with_next is True


def test_flowchart_is_named_and_described_by_its_caption(docset, qp01):
    title = _process_title(docset)
    xml = zipfile.ZipFile(io.BytesIO(qp01)).read("word/document.xml").decode()
    names = re.findall(r'<wp:docPr id="(\d+)" name="([^"]*)" descr="([^"]*)"', xml)
    flowcharts = [(i, n, d) for i, n, d in names if n.startswith(FLOWCHART_NAME)]
    assert len(flowcharts) == 2  # below the table and in the attachment
    assert [n for _i, n, _d in flowcharts] == [f"{FLOWCHART_NAME} 1", f"{FLOWCHART_NAME} 2"]
    assert {d for _i, _n, d in flowcharts} == {f"{title}（流程图）"}


def test_placement_before_puts_the_flowchart_above_its_table(docset):
    before = replace(docset, settings=docset.settings.model_copy(
        update={"flowcharts": Flowcharts(placement=FlowchartPlacement.before)}))
    blocks = _blocks(_qp01(before))
    title = _process_title(docset)
    caption = blocks.index(f"Caption:{title}")
    assert blocks[caption - 2:caption] == ["picture", f"Caption:{title}（流程图）"]
    assert blocks[caption + 1].startswith("table:输入")
    assert blocks[caption + 2] == "BodyText:"
    assert blocks[caption + 3] != "picture"  # no second chart after the table


def test_default_settings_place_after_and_shrink_to_six_points():
    assert Flowcharts() == Flowcharts(placement=FlowchartPlacement.after, min_text_points=6)


# --- the PDF copies' fit, on made-up measurements ------------------------------------------------

PAGE = Page(top=100.0, bottom=800.0)


def _line(page: int, top: float, text: str) -> Line:
    return Line(page, 100.0, top, 400.0, top + 12.0, text)


def _pages(last_line_on_1: float, caption_top: float, chart: float, *,
           text_above: bool = False) -> list[list[Line]]:
    one = [_line(1, 110.0, "一些正文"), _line(1, last_line_on_1 - 12.0, "表格最后一行")]
    two = [_line(2, caption_top, "流程（流程图）"), _line(2, caption_top + 30, "5.6下一条")]
    if text_above:
        two.insert(0, _line(2, caption_top - chart - 20, "前面的正文"))
    return [one, two]


def test_a_chart_that_starts_a_page_after_a_half_empty_one_is_found():
    chart = Chart("流程（流程图）", 400.0, 8.0)
    pages = _pages(last_line_on_1=400.0, caption_top=520.0, chart=400.0)
    (jump,) = jumps(pages, [chart], PAGE)
    assert jump == Jump(0, 400.0, 532.0 - 100.0 - 400.0)
    scale = fitting_scale(jump, chart, 6.0, shrunk=False)
    # room 400 pt: the chart, its spacing and caption (32 pt) and the slack
    assert scale == int((400.0 - 32.0 - SLACK_PT) / 400.0 * 100) / 100 == 0.86


def test_a_chart_below_text_on_its_page_did_not_jump():
    pages = _pages(last_line_on_1=400.0, caption_top=640.0, chart=400.0, text_above=True)
    assert jumps(pages, [Chart("流程（流程图）", 400.0, 8.0)], PAGE) == []


def test_a_two_line_caption_is_found():
    pages = _pages(last_line_on_1=400.0, caption_top=520.0, chart=400.0)
    pages[1][0] = replace(pages[1][0], text="流程（流")
    pages[1].insert(1, _line(2, 534.0, "程图）"))
    assert [j.chart for j in jumps(pages, [Chart("流程（流程图）", 400.0, 8.0)], PAGE)] == [0]


def test_no_shrinking_below_the_readable_size():
    jump = Jump(0, 400.0, 32.0)
    assert fitting_scale(jump, Chart("c", 400.0, 8.0), 6.0, shrunk=False) == 0.86
    assert fitting_scale(jump, Chart("c", 400.0, 8.0), 7.0, shrunk=False) is None  # 6.9 pt
    assert fitting_scale(jump, Chart("c", 400.0, 8.0), 8.0, shrunk=False) is None
    # fits as it is: something else moved it, unless an earlier fit fell short
    roomy = Jump(0, 600.0, 32.0)
    assert fitting_scale(roomy, Chart("c", 400.0, 8.0), 6.0, shrunk=False) is None
    assert fitting_scale(roomy, Chart("c", 400.0, 8.0), 6.0, shrunk=True) == 0.97


def test_resized_scales_only_the_flowcharts_it_is_told(qp01):
    charts, page = read_charts(qp01)
    assert len(charts) == 2
    assert all(c.text_points == pytest.approx(8.0, abs=0.05) for c in charts)
    assert page.top == pytest.approx(102.05) and page.bottom == pytest.approx(785.2)
    smaller = resized(qp01, {0: 0.5})
    after, _ = read_charts(smaller)
    assert after[0].height_pt == pytest.approx(charts[0].height_pt * 0.5, abs=0.01)
    assert after[0].text_points == pytest.approx(4.0, abs=0.05)
    assert after[1] == charts[1]
    xml = zipfile.ZipFile(io.BytesIO(smaller)).read("word/document.xml").decode()
    extents = re.findall(r'<wp:extent cx="(\d+)" cy="(\d+)"/>', xml)
    sizes = re.findall(r'<a:ext cx="(\d+)" cy="(\d+)"/>', xml)
    assert extents == sizes  # the frame and the picture in it, the same size
    assert resized(qp01, {0: 0.5}) == smaller  # deterministic


@pytest.mark.parametrize("placement", list(FlowchartPlacement))
def test_the_site_page_places_the_flowchart_as_the_word_file(docset, placement):
    from generator.render.site.history import load_history
    from generator.render.site.pages import build_content

    placed = replace(docset, settings=docset.settings.model_copy(
        update={"flowcharts": Flowcharts(placement=placement)}))
    process = docset.procedures["QP-01"].processes[0]
    content = build_content(placed, {}, load_history({}), {("QP-01", process.id): b"<svg/>"})
    page = next(text.decode() for name, text in content.pages.items() if "QP-01" in name)
    picture = page.index(f"![{process.title}](")
    table = page.index(f"**{process.title}**")
    assert (picture < table) == (placement is FlowchartPlacement.before)
    assert page.count(f"![{process.title}](") == 2  # and once more in the attachment


def test_an_attachment_title_keeps_with_its_flowchart(docset, qp01):
    document = Document(io.BytesIO(qp01))
    paragraphs = document.paragraphs
    title = _process_title(docset)
    captions = [n for n, p in enumerate(paragraphs) if p.text == f"{title}（流程图）"]
    attachment_chart = captions[-1] - 1  # the picture's paragraph, right above its caption
    lead = paragraphs[attachment_chart - 1]
    assert lead.text.startswith("附件")
    assert lead.paragraph_format.keep_with_next is True
    assert paragraphs[captions[-1]].paragraph_format.keep_with_next is False


def test_a_figure_caption_under_its_picture_keeps_with_nothing(docset, qp01):
    from generator.docset import FigureR
    from generator.render.docx.body import BodyBuilder
    from generator.render.docx.procedure import BUNDLED_TEMPLATE, load_template

    template = load_template(BUNDLED_TEMPLATE)
    document = Document(str(BUNDLED_TEMPLATE))
    namespaces = dict(document.element.nsmap)
    builder = BodyBuilder(document.part, docset.procedures["QP-01"], docset, template.labels,
                          None, template.width_mm, template.style_ids, namespaces)
    png = zipfile.ZipFile(io.BytesIO(qp01)).read(next(
        n for n in zipfile.ZipFile(io.BytesIO(qp01)).namelist() if n.endswith(".png")))
    builder.picture(FigureR("figures/a.png", png, "png", "图 1 检验区域布置", None))
    written = "".join(item if isinstance(item, str) else item.xml() for item in builder.out)
    declarations = " ".join(f'xmlns:{k}="{v}"' for k, v in namespaces.items())
    for element in parse_xml(f"<w:body {declarations}>{written}</w:body>"):
        document.element.body.sectPr.addprevious(element)
    caption = document.paragraphs[-1]
    assert caption.text == "图 1 检验区域布置"
    assert caption.paragraph_format.keep_with_next is False
    assert document.paragraphs[-2].style.paragraph_format.keep_with_next is True  # Figure


def test_a_chart_that_still_jumps_after_its_shrinks_goes_back_to_full_size():
    chart = Chart("c", 400.0, 8.0)
    tight = Jump(0, 400.0, 32.0)
    assert next_scale(tight, chart, 1.0, 0, 6.0) == 0.86
    # shrunk to 0.86 and still on the next page, though the estimate says it fits now
    shrunk = Chart("c", 344.0, 6.88)
    assert next_scale(Jump(0, 400.0, 32.0), shrunk, 0.86, 1, 6.0) == round(0.86 * 0.97, 4)
    assert next_scale(Jump(0, 400.0, 32.0), shrunk, 0.8342, 2, 6.0) == 1.0  # gave up
    # no room worth shrinking for (a page break before it): never shrunk, or back to full
    assert next_scale(Jump(0, 60.0, 32.0), chart, 1.0, 0, 6.0) == 1.0
    assert next_scale(Jump(0, 60.0, 32.0), shrunk, 0.86, 1, 6.0) == 1.0
