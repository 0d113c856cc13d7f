"""The body written as XML text (render/docx/wordxml.py) is what python-docx and lxml wrote
before: the same runs, the same cuts where codes and names are kept whole, the same escaping."""

from __future__ import annotations

from docx.oxml import parse_xml
from docx.text.paragraph import Paragraph
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from generator.render.docx import ooxml, tables, wordxml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NAMES = ["品质部", "生产部", "管理者代表", "QA"]
PIECES = ["QR-06-01", "2026-02-09", "A/1", "品质部", "☑生产部", "管理者代表", " ", "\t", "\n",
          "、", "（", "）", "a&b", "<x>", '"q"', "见", "Q-", "-"]


def by_lxml(values: list[str], strong: bool = False) -> str:
    """Runs made the old way (ooxml.add_text, python-docx add_run + rStyle), then
    tables.keep_words_whole, serialised as the document serialises them."""
    p = parse_xml(f'<w:document xmlns:w="{W}"><w:body><w:p/></w:body></w:document>')[0][0]
    paragraph = Paragraph(p, None)  # type: ignore[arg-type]
    for value in values:
        if strong:
            paragraph.add_run(value)._r.get_or_add_rPr().style = "Strong"
        else:
            ooxml.add_text(paragraph, value)
    tables.keep_words_whole(p, NAMES)
    xml = str(etree.tostring(p.getparent(), encoding="unicode"))
    return xml[xml.index(">") + 1:xml.rindex("<")]


def by_text(values: list[str], strong: bool = False) -> str:
    paragraph = wordxml.Paragraph(None)
    for value in values:
        paragraph.add(value, '<w:rStyle w:val="Strong"/>' if strong else None)
    paragraph.keep_whole(tables.names_pattern(NAMES))
    return paragraph.xml()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map("".join), min_size=1,
                max_size=3), st.booleans())
def test_runs_and_cuts_as_lxml_wrote_them(values: list[str], strong: bool) -> None:
    assert by_text(values, strong) == by_lxml(values, strong)


def test_a_name_in_a_code_free_sentence_is_cut_out_and_marked() -> None:
    xml = by_text(["由品质部每月汇总，见QR-06-01。"])
    assert xml == by_lxml(["由品质部每月汇总，见QR-06-01。"])
    assert '<w:lang w:eastAsia="zxx"/></w:rPr><w:t xml:space="preserve">品\u2060质\u2060部' in xml


def test_text_and_attribute_escaping_as_lxml() -> None:
    value = 'a&b <c> "d" \r e'
    element = etree.Element("t", v=value)
    element.text = value
    assert etree.tostring(element, encoding="unicode") == \
        f'<t v="{wordxml.attribute(value)}">{wordxml.text(value)}</t>'
