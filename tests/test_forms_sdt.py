"""Content controls (render stage, raw OOXML layer): each control as Word writes it, and text
that goes in comes back out unchanged."""

from __future__ import annotations

from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from generator.records import read_controls
from generator.render.docx import sdt
from generator.render.docx.sdt import W14_NS, W15_NS, W_NS

W = f"{{{W_NS}}}"


def body_with(*controls: Any) -> Any:
    body = OxmlElement("w:body")
    p = OxmlElement("w:p")
    for control in controls:
        p.append(control)
    body.append(p)
    return body


def texts(element: Any) -> str:
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def prop(control: Any, name: str) -> Any:
    return control.find(f"{W}sdtPr/{W}{name}")


def test_text_control_shows_a_grey_placeholder_until_filled() -> None:
    ids = sdt.ControlIds()
    blank = sdt.text_control(ids, "customer", "顾客名称", "请填写")
    assert prop(blank, "tag").get(qn("w:val")) == "customer"
    assert prop(blank, "alias").get(qn("w:val")) == "顾客名称"
    assert prop(blank, "showingPlcHdr") is not None
    assert blank.find(f".//{W}color").get(qn("w:val")) == sdt.PLACEHOLDER_COLOR
    filled = sdt.text_control(ids, "customer", "顾客名称", "请填写", value="常州精工")
    assert prop(filled, "showingPlcHdr") is None and filled.find(f".//{W}color") is None
    assert texts(filled) == "常州精工"
    # ids are unique and in document order
    assert [prop(c, "id").get(qn("w:val")) for c in (blank, filled)] == ["1001", "1002"]


def test_multiline_text_keeps_lines_as_breaks() -> None:
    control = sdt.text_control(sdt.ControlIds(), "x", "X", "", value="一\n二", multiline=True)
    assert prop(control, "text").get(qn("w:multiLine")) == "1"
    assert len(control.findall(f".//{W}br")) == 1
    [read] = read_controls(body_with(control))
    assert read.text == "一\n二"


def test_date_control_is_a_date_picker() -> None:
    control = sdt.date_control(sdt.ControlIds(), "d", "日期", "年 月 日", value="2026-11-23")
    date = prop(control, "date")
    assert date.get(qn("w:fullDate")) == "2026-11-23T00:00:00Z"
    assert date.find(f"{W}dateFormat").get(qn("w:val")) == "yyyy-MM-dd"
    [read] = read_controls(body_with(control))
    assert (read.kind, read.full_date, read.text) == ("date", "2026-11-23T00:00:00Z",
                                                      "2026-11-23")


def test_dropdown_lists_the_options() -> None:
    control = sdt.dropdown_control(sdt.ControlIds(), "c", "方式", ["电话", "走访"], "选择")
    items = prop(control, "dropDownList").findall(f"{W}listItem")
    assert [(i.get(qn("w:displayText")), i.get(qn("w:value"))) for i in items] == [
        ("电话", "电话"), ("走访", "走访")]


def test_checkbox_ticks_as_word_does() -> None:
    control = sdt.checkbox_control(sdt.ControlIds(), "s=满意", "满意度：满意")
    box = control.find(f"{W}sdtPr/{{{W14_NS}}}checkbox")
    assert box.find(f"{{{W14_NS}}}checked").get(f"{{{W14_NS}}}val") == "0"
    assert box.find(f"{{{W14_NS}}}checkedState").get(f"{{{W14_NS}}}val") == "2611"
    assert texts(control) == "☐"
    sdt.set_checkbox(control, True)
    assert texts(control) == "☑"
    [read] = read_controls(body_with(control))
    assert (read.kind, read.checked, read.tag) == ("checkbox", True, "s=满意")


def test_repeating_section_wraps_each_row() -> None:
    rows = [OxmlElement("w:tr") for _ in range(3)]
    section = sdt.repeating_section(sdt.ControlIds(), "problems", "", rows)
    assert section.find(f"{W}sdtPr/{{{W15_NS}}}repeatingSection") is not None
    items = section.find(f"{W}sdtContent").findall(f"{W}sdt")
    assert len(items) == 3
    assert all(i.find(f"{W}sdtContent/{W}tr") is not None for i in items)


def test_rich_text_control_holds_paragraphs() -> None:
    paragraphs = []
    for line in ("第一段", "第二段"):
        p = OxmlElement("w:p")
        run = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = line
        run.append(t)
        p.append(run)
        paragraphs.append(p)
    control = sdt.rich_text_control(sdt.ControlIds(), "r", "说明", paragraphs,
                                    placeholder=False)
    body = OxmlElement("w:body")
    body.append(control)
    [read] = read_controls(body)
    assert (read.kind, read.text) == ("rich", "第一段\n第二段")


# XML 1.0 characters (no controls but tab/newline, no surrogates), as clerks type them.
xml_text = st.text(alphabet=st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"), max_size=60)


@given(value=xml_text, alias=xml_text)
def test_any_text_comes_back_unchanged(value: str, alias: str) -> None:
    control = sdt.text_control(sdt.ControlIds(), "f", alias, "", value=value, multiline=True)
    # through serialized XML, as in a saved file
    body = etree.fromstring(etree.tostring(body_with(control)))
    [read] = read_controls(body)
    assert read.text == value
    assert read.alias == alias
