"""OOXML helpers (generator/render/docx/ooxml.py): fields, fonts, marks, formulas, saving."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.render.docx import ooxml
from generator.render.docx.body import png_size
from generator.render.docx.fonts import face_name

M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
V = "{urn:schemas-microsoft-com:vml}"


def test_field_has_begin_instruction_separate_result_end():
    document = Document()
    paragraph = document.add_paragraph("第 ")
    ooxml.add_field(paragraph, "PAGE", "1")
    kinds = [c.get(qn("w:fldCharType")) for c in paragraph._p.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    assert [t.text for t in paragraph._p.iter(qn("w:instrText"))] == [" PAGE "]
    assert paragraph.text == "第 1"


def test_set_fonts_sets_east_asian_and_drops_theme_fonts():
    document = Document()
    style = document.styles["Heading 1"]  # python-docx's template uses theme fonts here
    ooxml.set_fonts(style.element, "SimHei", "Times New Roman")
    fonts = style.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "SimHei"
    assert fonts.get(qn("w:ascii")) == "Times New Roman"
    assert fonts.get(qn("w:asciiTheme")) is None and fonts.get(qn("w:eastAsiaTheme")) is None


def test_face_names_are_the_ones_libreoffice_substitutes():
    assert face_name("宋体") == "SimSun" and face_name("黑体") == "SimHei"
    assert face_name("Noto Serif CJK SC") == "Noto Serif CJK SC"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
               max_size=30))
def test_status_marks_keep_any_text_as_text(text):
    mark = parse_xml(ooxml.watermark_xml(text))
    textpaths = [e for e in mark.iter(f"{V}textpath") if e.get("string") is not None]
    assert len(textpaths) == 1 and textpaths[0].get("string") == text
    stamp = parse_xml(ooxml.stamp_xml(text))
    assert "".join(t.text or "" for t in stamp.iter(qn("w:t"))) == text


def test_fraction_formula_is_office_math():
    document = Document()
    paragraph = document.add_paragraph()
    ooxml.add_fraction_formula(paragraph, "合格率", "合格数", "总数", "×100%")
    fraction = next(paragraph._p.iter(f"{M}f"))
    assert "".join(fraction.find(f"{M}num").itertext()) == "合格数"
    assert "".join(fraction.find(f"{M}den").itertext()) == "总数"
    assert "".join(paragraph._p.itertext()).endswith("×100%")


def test_checkbox_characters():
    assert ooxml.checkbox(True) == "☑" and ooxml.checkbox(False) == "☐"


def test_save_fixed_is_a_valid_docx_with_fixed_times_and_same_content():
    document = Document()
    document.add_paragraph("质量管理")
    ooxml.fix_core_properties(document, None, title="t")
    data = ooxml.save_fixed(document)
    assert data == ooxml.save_fixed(document)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert {i.date_time for i in archive.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        names = archive.namelist()
    assert names[0] == "[Content_Types].xml"
    assert Document(io.BytesIO(data)).paragraphs[-1].text == "质量管理"
    reference = zipfile.ZipFile(io.BytesIO(ooxml.save_deterministic(document)))
    assert sorted(reference.namelist()) == sorted(names)


def test_update_fields_on_open_is_set_once():
    document = Document()
    ooxml.set_update_fields_on_open(document)
    ooxml.set_update_fields_on_open(document)
    found = document.settings.element.findall(qn("w:updateFields"))
    assert len(found) == 1 and found[0].get(qn("w:val")) == "true"


def test_png_size_reads_dimensions_and_dpi():
    # a 3×2 PNG made by hand: signature, IHDR, IDAT, IEND
    import struct
    import zlib

    from generator.render.flowchart import _png_with_dpi

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xff\xff\xff" * 3 for _ in range(2))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert png_size(png) == (3, 2, 96.0)
    width, height, dpi = png_size(_png_with_dpi(png, 200))
    assert (width, height) == (3, 2) and abs(dpi - 200) < 0.5
