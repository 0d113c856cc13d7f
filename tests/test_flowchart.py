"""Flowcharts drawn from process tables (generator/render/flowchart.py), checked in the DOT
text, in the SVG as an XML document and in the PNG's own header."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.docset import BranchR, ProcessR, StepR
from generator.errors import WenkongError
from generator.model import Role, Settings
from generator.model.settings import Company
from generator.render import flowchart
from generator.render.flowchart import (
    columns,
    flowchart_dot,
    render_dot,
    render_flowchart,
    wrap,
)
from generator.resolve import load_document_set

FIXTURE = Path(__file__).parent / "fixtures" / "flowchart"
SVG = "{http://www.w3.org/2000/svg}"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = '<script>alert("x")</script> a\\N "q" & b'

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz not installed")


def make_settings() -> Settings:
    return Settings(company=Company(name="测试公司"), document_control_office="doc-control")


def step(letter: str, name: str, *, next: str | None = None,
         branches: tuple[tuple[str, str], ...] = (), owners: tuple[str, ...] = ("品质部",),
         first: bool = False) -> StepR:
    sid = letter.lower()
    return StepR(
        id=sid, label=letter, name=(name,), inputs=(),
        owners=tuple(Role(id=f"r{i}", name=o) for i, o in enumerate(owners)),
        key_points=None, documents=(), outputs=(), cells=(),
        branches=tuple(BranchR(label, to.lower(), to) for label, to in branches),
        next=next.lower() if next else None, next_label=next,
        is_start=first, is_end=not branches and next is None,
    )


def small_process(name_b: str = "检验产品") -> ProcessR:
    return ProcessR(id="p1", title="测试流程", clause="5.1", steps=(
        step("A", "接收来料", next="B", first=True),
        step("B", name_b, next="C"),
        step("C", "是否合格", branches=(("OK", "D"), ("NG", "B"))),
        step("D", "入库", owners=()),
    ))


@pytest.fixture(scope="module")
def complaint() -> tuple[ProcessR, Settings]:
    docset = load_document_set(FIXTURE)
    (process,) = docset.procedures["QP-01"].processes
    return process, docset.settings


def svg_text(svg: bytes) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def png_header(png: bytes) -> tuple[int, int, int | None]:
    """Width and height in pixels, and the dpi the pHYs chunk declares (None without one)."""
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    dpi = None
    at = png.find(b"pHYs")
    if at > 0:
        x, y, unit = struct.unpack(">IIB", png[at + 4:at + 13])
        assert unit == 1 and x == y
        dpi = round(x * 0.0254)
    return width, height, dpi


# --- DOT -----------------------------------------------------------------------------------


def test_dot_has_every_step_with_letter_and_every_edge(complaint):
    process, settings_ = complaint
    dot = flowchart_dot(process, settings_)
    assert len(process.steps) == 12
    for s in process.steps:
        # node line: letter in bold, then the name (wrapped lines joined by <br/>)
        line = next(x for x in dot.splitlines() if x.startswith(f'  "{s.label}" [label='))
        first = line.split("<br/>")[0]
        assert f"<b>{s.label}</b>&#160;" in first
        name_part = line.split("label=<", 1)[1].split("<font")[0].replace("<br/>", "")
        text = re.sub(r"<[^>]+>", "", name_part).replace("&#160;", "")
        assert text.replace(" ", "").startswith(s.label + "".join(s.name).replace(" ", ""))
        for owner in s.owners:
            assert owner.name in line
    edges = re.findall(r'^  "([A-Z]+)" -> "([A-Z]+)"(?: \[(.*)\])?;$', dot, re.M)
    expected = set()
    for s in process.steps:
        expected |= {(s.label, b.to_label, b.label) for b in s.branches}
        if s.next_label:
            expected.add((s.label, s.next_label, None))
    found = {(a, b, (re.search(r"label=<(.*?)>", attrs or "") or [None, None])[1])
             for a, b, attrs in edges}
    assert found == expected
    assert {"是", "否", "OK", "NG"} <= {label for *_, label in found}
    assert 'fontname="Noto Sans CJK SC"' in dot


def test_dot_shapes_start_end_decision(complaint):
    process, settings_ = complaint
    dot = flowchart_dot(process, settings_)
    shape = {m[0]: m[1] for m in re.findall(r'^  "([A-Z]+)" \[label=.*?, (shape=.*)\];$', dot,
                                             re.M)}
    assert shape["A"].startswith("shape=box") and "rounded" in shape["A"]
    assert shape["L"].startswith("shape=box") and "rounded" in shape["L"]
    assert shape["C"].startswith("shape=diamond")
    assert shape["G"].startswith("shape=diamond")
    assert shape["B"] == "shape=box"  # plain step: square corners
    # The loop back (NG → E) must not pull E below G: it takes no part in ranking.
    assert re.search(r'^  "G" -> "E" \[label=<NG>, constraint=false\];$', dot, re.M)


def test_dot_is_deterministic_and_escapes_hostile_text():
    process = small_process(HOSTILE)
    dot = flowchart_dot(process, make_settings())
    assert dot == flowchart_dot(small_process(HOSTILE), make_settings())
    assert "<script>" not in dot
    assert "&lt;script&gt;alert(&quot;x&quot;)" in dot.replace("<br/>", "")
    assert "&amp; b" in dot
    # graphviz accepts it (a broken label would be a syntax error)
    done = subprocess.run(["dot", "-Tcanon"], input=dot.encode(), capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_hostile_process_id_and_font_are_quoted():
    process = ProcessR(id='x"; evil [', title="t", clause="1", steps=small_process().steps)
    s = make_settings()
    s.fonts.heading_fallback = 'Noto"\\'
    dot = flowchart_dot(process, s)
    assert 'digraph "x\\"; evil [" {' in dot
    done = subprocess.run(["dot", "-Tcanon"], input=dot.encode(), capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stderr


# --- SVG -----------------------------------------------------------------------------------


def test_svg_is_xml_with_chinese_text_and_no_script(complaint):
    process, settings_ = complaint
    svg = render_flowchart(process, settings_, "svg")
    texts = svg_text(svg)
    joined = "".join(texts).replace(" ", "").replace("\u00a0", "")
    for s in process.steps:
        assert "".join(s.name).replace(" ", "") in joined
    assert "否" in texts and "NG" in texts
    # the name is set at 10.5 pt (五号), the owners smaller; the letter keeps its gap in browsers
    assert '>\u00a0确认是否属实<'.encode() in svg
    assert svg.count(b'font-size="10.50"') >= len(process.steps)
    assert b"<script" not in svg.lower()
    assert b"<!--" not in svg  # graphviz's version comment is gone: same bytes on any machine
    assert b'font-family="Noto Sans CJK SC,Noto Serif CJK SC,' in svg
    # ids are unique per chart, so that several charts can be inlined in one page
    ids = [e.get("id") for e in ET.fromstring(svg).iter() if e.get("id")]
    assert "flow-complaint-flow" in ids
    assert all(i.startswith("flow-complaint-flow") for i in ids)


def test_svg_keeps_hostile_text_as_text():
    svg = render_flowchart(small_process(HOSTILE), make_settings(), "svg")
    root = ET.fromstring(svg)
    assert not [e for e in root.iter() if e.tag.lower().endswith("script")]
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on")
            assert "javascript:" not in value.lower()
    joined = "".join(svg_text(svg)).replace(" ", "").replace("\u00a0", "")
    assert '<script>alert("x")</script>a\\N"q"&b' in joined


# --- PNG -----------------------------------------------------------------------------------


def test_png_is_a_print_resolution_png_that_fits_a4(complaint):
    process, settings_ = complaint
    png = render_flowchart(process, settings_, "png", dpi=200)
    width, height, dpi = png_header(png)
    assert dpi == 200
    assert 300 < width <= 16 / 2.54 * 200 + 1  # ≤ 16 cm wide at print size
    assert height > width  # top to bottom
    assert height <= 24 / 2.54 * 200 + 1
    # the same chart at 100 dpi is half as many pixels: the dpi is really applied
    small_width, _, small_dpi = png_header(render_flowchart(process, settings_, "png", dpi=100))
    assert small_dpi == 100 and abs(small_width * 2 - width) <= 4


def test_wide_process_shrinks_to_page_width():
    # one decision with eight exits side by side: naturally far wider than 16 cm
    targets = [chr(ord("B") + i) for i in range(8)]
    steps = [step("A", "判定处理方式", branches=tuple((f"方式{i}", t) for i, t in
                                                  enumerate(targets)), first=True)]
    steps += [step(t, f"按第{i}种方式处理并记录结果") for i, t in enumerate(targets)]
    png = render_flowchart(ProcessR(id="wide", title="t", clause="1", steps=tuple(steps)),
                           make_settings(), "png")
    width, _, _ = png_header(png)
    assert width <= 16 / 2.54 * 200 + 1


def test_rendering_is_deterministic(complaint):
    process, settings_ = complaint
    first = {fmt: render_flowchart(process, settings_, fmt) for fmt in ("png", "svg")}
    render_dot.cache_clear()  # run graphviz again rather than reading the cache
    second = {fmt: render_flowchart(process, settings_, fmt) for fmt in ("png", "svg")}
    assert first == second


def test_same_chart_is_drawn_once(monkeypatch):
    render_dot.cache_clear()
    calls = []
    real = subprocess.run

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(flowchart.subprocess, "run", counting)
    for _ in range(3):
        render_flowchart(small_process(), make_settings(), "png")
    assert len(calls) == 1


def test_noto_cjk_font_is_what_graphviz_gets():
    """Chinese labels render as boxes when fontconfig swaps in a Latin-only font."""
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig tools not installed")
    family = make_settings().fonts.heading_fallback
    found = subprocess.run(["fc-match", "-f", "%{family}", f"{family}:lang=zh-cn"],
                           capture_output=True, text=True, check=True).stdout
    assert family in found, f"{family} is not installed: apt-get install fonts-noto-cjk"


def test_missing_graphviz_is_a_clear_error(monkeypatch, tmp_path):
    render_dot.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WenkongError, match="未安装 graphviz：请运行 apt-get install graphviz"):
        render_flowchart(small_process(), make_settings(), "svg")


def test_graphviz_failure_is_a_wenkong_error():
    with pytest.raises(WenkongError, match="graphviz 无法画出流程图"):
        render_dot("digraph { A -> }", "svg")


# --- wrapping ------------------------------------------------------------------------------


def test_wrap_keeps_words_codes_and_punctuation_together():
    lines = wrap("标准化：修订控制计划、PFMEA及作业指导书", 24)
    assert lines == ["标准化：修订控制计划、", "PFMEA及作业指导书"]
    lines = wrap("填写《顾客投诉处理单》QR-15-01并提交品质部经理审批", 20)
    assert all(columns(line) <= 20 for line in lines)
    assert any("QR-15-01" in line for line in lines)
    assert not any(line[0] in "，、。）》" or line[-1] in "（《" for line in lines)
    assert wrap("短", 24) == ["短"]
    # balanced: two even lines rather than a full line and a stub
    lines = wrap("检验员按照检验规范进行抽样检验", 22)
    assert len(lines) == 2 and abs(columns(lines[0]) - columns(lines[1])) <= 4, lines


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("检验产品质量合格与否，、。（）《》ABC-01 \\\"<&")),
               max_size=60), st.integers(min_value=4, max_value=30))
def test_wrap_loses_nothing_and_respects_the_limit(text, limit):
    lines = wrap(text, limit)
    assert all(columns(line) <= limit for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda t: t.strip()))
@example("a\uffffb\x00c\x85d")  # not XML characters: graphviz's label parser rejected them
@example("😀 <b>粗体</b> &amp; \\G")
def test_any_step_name_reaches_the_svg_as_text(name):
    """Whatever a YAML string holds, the SVG is well-formed and shows it as text."""
    svg = render_flowchart(small_process(name), make_settings(), "svg")
    root = ET.fromstring(svg)  # well-formed XML whatever the name held
    assert not [e for e in root.iter() if e.tag.lower().endswith("script")]
    shown = "".join(svg_text(svg))
    expected = "".join(flowchart._CONTROL.sub("", name).split())
    assert expected in "".join(shown.split())


def test_owner_line_keeps_clear_of_the_name_in_the_svg(complaint):
    """Browsers place each SVG <text> where graphviz says: an 8 pt owner line needs ≥ 10 pt
    between its baseline and the name's, or its glyphs run into the name (seen in Chromium)."""
    process, settings_ = complaint
    root = ET.fromstring(render_flowchart(process, settings_, "svg"))
    checked = 0
    for node in root.iter(f"{SVG}g"):
        if node.get("class") != "node":
            continue
        texts = list(node.iter(f"{SVG}text"))
        names = [float(t.get("y")) for t in texts if t.get("font-size") == "10.50"]
        owners = [float(t.get("y")) for t in texts if t.get("font-size") == "8.00"]
        assert names and owners
        assert min(owners) - max(names) >= 10, ("".join(texts[0].itertext()), names, owners)
        checked += 1
    assert checked == len(process.steps)
