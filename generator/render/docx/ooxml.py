"""Raw OOXML helpers shared by the Word renderers (python-docx's oxml layer, kept apart from
the builders that speak in domain terms): East Asian fonts, A4 pages, deterministic saving.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Iterable
from typing import Any

from docx.document import Document
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import NamespacePrefixedTag, qn
from docx.oxml.parser import oxml_parser
from docx.shared import Mm

from generator.write import normalize_zip

A4_WIDTH = Mm(210)
A4_HEIGHT = Mm(297)


@functools.cache
def _clark(tag: str) -> tuple[str, dict[str, str]]:
    prefixed = NamespacePrefixedTag(tag)
    return prefixed.clark_name, prefixed.nsmap


def new_element(tag: str) -> Any:
    """python-docx's `OxmlElement(tag)` (same class, same namespace declaration), without
    parsing the prefixed tag again each time: a form makes tens of thousands of elements."""
    clark, nsmap = _clark(tag)
    return oxml_parser.makeelement(clark, nsmap=nsmap)


_XML_SPACE = qn("xml:space")
_W_PPR, _W_PSTYLE, _W_VAL = qn("w:pPr"), qn("w:pStyle"), qn("w:val")


def add_text(paragraph: Any, text: str) -> None:
    """`paragraph.add_run(text)`, the same XML (a tab becomes w:tab, a line break w:br), made
    directly: python-docx walks the text character by character and finds each element's
    place by schema, a tenth of a procedure's rendering time."""
    run = new_element("w:r")
    start = 0
    for found in _TAB_OR_BREAK.finditer(text):
        if found.start() > start:
            run.append(_text_element(text[start:found.start()]))
        run.append(new_element("w:tab" if found.group() == "\t" else "w:br"))
        start = found.end()
    if start < len(text):
        run.append(_text_element(text[start:]))
    paragraph._p.append(run)


_TAB_OR_BREAK = re.compile(r"[\t\n\r]")


def _text_element(text: str) -> Any:
    t = new_element("w:t")
    t.text = text
    if len(text.strip()) < len(text):
        t.set(_XML_SPACE, "preserve")
    return t


def set_paragraph_style(paragraph: Any, style_id: str) -> None:
    """`paragraph.style = …` by style id (the same XML: w:pStyle first in w:pPr)."""
    p = paragraph._p
    p_pr = p.find(_W_PPR)
    if p_pr is None:
        p_pr = new_element("w:pPr")
        p.insert(0, p_pr)
    for old in p_pr.findall(_W_PSTYLE):
        p_pr.remove(old)
    style = new_element("w:pStyle")
    style.set(_W_VAL, style_id)
    p_pr.insert(0, style)


def trim_styles(document: Document, wanted: Iterable[str]) -> None:
    """Drop what python-docx's default template carries and nobody uses: ~160 unused styles
    and their 'with effects' twin (800 KB of XML that every generated document would parse,
    write and compress again), latent-style tables, the thumbnail of an empty page and an
    empty custom XML part. Word adds latent styles back when it saves; nothing is lost.

    `wanted`: names of the styles to keep, with what they are based on, link to or continue
    with."""
    names = set(wanted)
    by_id = {s.style_id: s for s in document.styles}
    keep: set[str] = set()
    todo = [s.style_id for s in document.styles if s.name in names]
    while todo:  # keep what kept styles are based on, link to or continue with
        style_id = todo.pop()
        if style_id in keep or style_id not in by_id:
            continue
        keep.add(style_id)
        style = by_id[style_id].element
        for tag in ("w:basedOn", "w:link", "w:next"):
            found = style.find(qn(tag))
            if found is not None:
                todo.append(found.get(qn("w:val")))
    root = document.styles.element
    for style in list(document.styles):
        if style.style_id not in keep:
            root.remove(style.element)
    latent = root.find(qn("w:latentStyles"))
    if latent is not None:
        root.remove(latent)
    part = document.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            part.drop_rel(rel_id)
    package_rels = part.package.rels
    for rel_id, rel in list(package_rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package_rels[rel_id]


def set_fonts(element: Any, east_asian: str, latin: str | None = None) -> None:
    """Set the fonts of a run or style, East Asian included.

    python-docx's `font.name` sets only w:ascii/w:hAnsi; Word picks a Chinese font from
    w:eastAsia alone, so without it Chinese text falls back to whatever Word likes.
    """
    r_pr = element.get_or_add_rPr() if hasattr(element, "get_or_add_rPr") else element
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    # Theme font attributes win over named fonts in Word: drop them, or the names are ignored.
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if fonts.get(qn(theme)) is not None:
            del fonts.attrib[qn(theme)]
    if latin is not None:
        fonts.set(qn("w:ascii"), latin)
        fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:hint"), "eastAsia")


def set_a4(document: Document, *, top: float = 25, bottom: float = 20, left: float = 25,
           right: float = 20, header: float = 12, footer: float = 10) -> None:
    """A4 portrait with the margins Chinese companies use (mm)."""
    for section in document.sections:
        section.page_width = A4_WIDTH
        section.page_height = A4_HEIGHT
        section.top_margin = Mm(top)
        section.bottom_margin = Mm(bottom)
        section.left_margin = Mm(left)
        section.right_margin = Mm(right)
        section.header_distance = Mm(header)
        section.footer_distance = Mm(footer)


CORE_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_DCTERMS_NS = "http://purl.org/dc/terms/"
_XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def fix_core_properties(document: Document, when: dt.date | None, *, title: str,
                        author: str = "", subject: str = "", keywords: str = "") -> None:
    """Core properties (docProps/core.xml) derived from the document's own data, never from
    the clock, written as a new part element with explicit namespaces.

    python-docx's property setters are not used on purpose: importing docxcompose (docxtpl's
    sub-documents) remaps python-docx's process-wide `cp` prefix to the custom-properties
    namespace, so the setters append a second lastModifiedBy, revision, keywords ... in that
    namespace and Word offers to repair the file (python-docx #1037, docxcompose #101). Whatever
    the template's core.xml or a docxtpl render left there is replaced.
    """
    part = document.part.package._core_properties_part  # python-docx's own accessor, private
    # re-parsed by python-docx's parser, so `document.core_properties` still reads it
    part._element = parse_xml(_core_element(when, title=title, author=author, subject=subject,
                                            keywords=keywords))


def core_properties_xml(when: dt.date | None, *, title: str, author: str = "",
                        subject: str = "", keywords: str = "") -> bytes:
    """docProps/core.xml as `fix_core_properties` leaves it in a saved package."""
    from docx.opc.oxml import serialize_part_xml

    return serialize_part_xml(parse_xml(_core_element(
        when, title=title, author=author, subject=subject, keywords=keywords)))


def _core_element(when: dt.date | None, *, title: str, author: str, subject: str,
                  keywords: str) -> bytes:
    from lxml import etree

    stamp = dt.datetime.combine(when or dt.date(2000, 1, 1), dt.time()).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    root = etree.Element(f"{{{CORE_NS}}}coreProperties", nsmap={
        "cp": CORE_NS, "dc": _DC_NS, "dcterms": _DCTERMS_NS, "xsi": _XSI_NS})

    def add(namespace: str, name: str, text: str) -> Any:
        element = etree.SubElement(root, f"{{{namespace}}}{name}")
        element.text = text
        return element

    add(_DC_NS, "title", title)
    add(_DC_NS, "subject", subject)
    add(_DC_NS, "creator", author)
    add(CORE_NS, "keywords", keywords)
    add(_DC_NS, "description", "")
    add(CORE_NS, "lastModifiedBy", author)
    add(CORE_NS, "revision", "1")
    for name in ("created", "modified"):
        add(_DCTERMS_NS, name, stamp).set(f"{{{_XSI_NS}}}type", "dcterms:W3CDTF")
    add(CORE_NS, "lastPrinted", stamp)
    return bytes(etree.tostring(root))


def save_deterministic(document: Document) -> bytes:
    """Save to bytes with fixed zip entry times: the same document gives the same bytes.

    Call `fix_core_properties` first: python-docx stamps the current time into core.xml.
    """
    drop_stale_parts(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_zip(buffer.getvalue())


STYLES_WITH_EFFECTS_REL = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def drop_stale_parts(document: Document) -> None:
    """Drop word/stylesWithEffects.xml: Word 2010's copy of styles.xml (python-docx's default
    template carries one), which goes stale as soon as styles are added or changed. Word 2013
    and later neither write nor need it; a stale copy is what validators flag (styles missing
    from it, different docDefaults) as a cause of Word's repair prompt."""
    part = document.part
    for r_id, rel in list(part.rels.items()):
        if rel.reltype == STYLES_WITH_EFFECTS_REL:
            del part.rels[r_id]


# --- checkboxes ------------------------------------------------------------------------------

CHECKED = "☑"
UNCHECKED = "☐"


def checkbox(checked: bool) -> str:
    """The character printed for a ticked or empty box (☑ / ☐)."""
    return CHECKED if checked else UNCHECKED


# --- fields ----------------------------------------------------------------------------------


def _field_char(kind: str, r_pr: Any = None) -> Any:
    run = OxmlElement("w:r")
    if r_pr is not None:
        run.append(_copy(r_pr))
    char = OxmlElement("w:fldChar")
    char.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        # Word recomputes dirty fields on open; LibreOffice computes PAGE/NUMPAGES anyway.
        char.set(qn("w:dirty"), "true")
    run.append(char)
    return run


def text_run(text: str, r_pr: Any = None) -> Any:
    """A w:r holding `text` (spaces kept), with `r_pr` as its run properties when given."""
    run = OxmlElement("w:r")
    if r_pr is not None:
        run.append(r_pr)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    return run


def _copy(element: Any) -> Any:
    from copy import deepcopy

    return deepcopy(element)


def add_field(paragraph: Any, instruction: str, cached: str = "", r_pr: Any = None) -> None:
    """Append a complex field (PAGE, NUMPAGES, PAGEREF …) to a paragraph.

    `cached` is the text shown until the field is updated; `r_pr` a run-properties element
    copied onto every run so the field looks like the text around it.
    """
    p = paragraph._p if hasattr(paragraph, "_p") else paragraph
    p.append(_field_char("begin", r_pr))
    run = OxmlElement("w:r")
    if r_pr is not None:
        run.append(_copy(r_pr))
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run.append(instr)
    p.append(run)
    p.append(_field_char("separate", r_pr))
    shown = text_run(cached, _copy(r_pr) if r_pr is not None else None)
    if not cached:  # written <w:t …/>, as it reads back (frame.py writes the body unparsed)
        shown[-1].text = None
    p.append(shown)
    p.append(_field_char("end", r_pr))


def set_update_fields_on_open(document: Document) -> None:
    """Ask Word to update every field (table of contents, page references) when opening."""
    settings = document.settings.element
    found = settings.find(qn("w:updateFields"))
    if found is None:
        found = OxmlElement("w:updateFields")
        settings.insert_element_before(found, *_AFTER_UPDATE_FIELDS)
    found.set(qn("w:val"), "true")


# What follows w:updateFields in CT_Settings: Word rejects settings elements out of order.
_AFTER_UPDATE_FIELDS = (
    "w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars", "w:rsids",
    "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping",
    "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures", "w:forceUpgrade",
    "w:captions", "w:readModeInkLockDown", "w:smartTagType", "sl:schemaLibrary",
    "w:shapeDefaults", "w:doNotEmbedSmartTags", "w:decimalSymbol", "w:listSeparator",
)
# What follows w:tblBorders in CT_TblPr, and w:shd in CT_TcPr (schema order).
_AFTER_TBL_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
                      "w:tblDescription", "w:tblPrChange")
_AFTER_TC_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                 "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge",
                 "w:tcPrChange")


def add_bookmark(paragraph: Any, name: str, bookmark_id: int) -> None:
    """Wrap the paragraph's content in a bookmark (target of PAGEREF and internal links)."""
    p = paragraph._p if hasattr(paragraph, "_p") else paragraph
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(bookmark_id))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(bookmark_id))
    p_pr = p.find(qn("w:pPr"))
    if p_pr is not None:
        p_pr.addnext(start)
    else:
        p.insert(0, start)
    p.append(end)


def add_internal_link(paragraph: Any, anchor: str, text: str, r_pr: Any = None) -> None:
    """A hyperlink to a bookmark in the same document (a clause reference)."""
    p = paragraph._p if hasattr(paragraph, "_p") else paragraph
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), anchor)
    link.set(qn("w:history"), "1")
    link.append(text_run(text, _copy(r_pr) if r_pr is not None else None))
    p.append(link)


# --- tables ----------------------------------------------------------------------------------


def set_table_borders(table: Any, size: int = 4, color: str = "000000") -> None:
    """Single-line borders on every edge and inner line (size in eighths of a point)."""
    tbl_pr = table._tbl.tblPr
    borders = tbl_pr.find(qn("w:tblBorders"))
    if borders is None:
        borders = OxmlElement("w:tblBorders")
        tbl_pr.insert_element_before(borders, *_AFTER_TBL_BORDERS)
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = borders.find(qn(f"w:{edge}"))
        if element is None:
            element = OxmlElement(f"w:{edge}")
            borders.append(element)
        element.set(qn("w:val"), "single")
        element.set(qn("w:sz"), str(size))
        element.set(qn("w:space"), "0")
        element.set(qn("w:color"), color)


def set_cell_shading(cell: Any, fill: str) -> None:
    """Background colour of a table cell (hex RGB, e.g. 'D9D9D9')."""
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = tc_pr.find(qn("w:shd"))
    if shading is None:
        shading = OxmlElement("w:shd")
        tc_pr.insert_element_before(shading, *_AFTER_TC_SHD)
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)


def set_repeat_header(row: Any) -> None:
    """Repeat this row at the top of every page the table spans."""
    # written bare, as Word writes it: an on/off element is on without w:val
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:tblHeader")) is None:
        tr_pr.append(OxmlElement("w:tblHeader"))


def set_cant_split(row: Any) -> None:
    """Keep a row on one page (a process step must not break across pages)."""
    tr_pr = row._tr.get_or_add_trPr()
    if tr_pr.find(qn("w:cantSplit")) is None:
        tr_pr.append(OxmlElement("w:cantSplit"))


def set_column_widths(table: Any, widths_mm: list[float]) -> None:
    """Fixed column widths: grid and every cell (Word reads the cells, LibreOffice the grid)."""
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    tbl_pr.get_or_add_tblLayout().set(qn("w:type"), "fixed")
    width = tbl_pr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tbl_pr.insert_element_before(width, "w:jc", "w:tblCellSpacing", "w:tblInd",
                                     "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar",
                                     "w:tblLook")
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(sum(int(Mm(w).twips) for w in widths_mm)))
    tbl = table._tbl
    if not any(True for _ in tbl.iter(qn("w:gridSpan"), qn("w:vMerge"))):
        # python-docx's column and cell widths below, without its grid of cell objects
        twips = [str(Mm(mm).twips) for mm in widths_mm]
        for column, value in zip(tbl.tblGrid.findall(qn("w:gridCol")), twips, strict=False):
            column.set(qn("w:w"), value)
        for tr in tbl.findall(qn("w:tr")):
            for tc, value in zip(tr.findall(qn("w:tc")), twips, strict=False):
                cell_width = tc.get_or_add_tcPr().get_or_add_tcW()
                cell_width.set(qn("w:type"), "dxa")
                cell_width.set(qn("w:w"), value)
        return
    for column, mm in zip(table.columns, widths_mm, strict=False):
        column.width = Mm(mm)
    for row in table.rows:
        for cell, mm in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(mm)


# --- formulas (OMML) ---------------------------------------------------------------------------

_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def _m(tag: str) -> Any:
    from lxml import etree

    return etree.Element(f"{{{_M}}}{tag}", nsmap={"m": _M})


def _math_run(text: str) -> Any:
    run = _m("r")
    props = _m("rPr")
    style = _m("sty")
    style.set(f"{{{_M}}}val", "p")  # upright: Chinese words are not italic variables
    props.append(style)
    run.append(props)
    t = _m("t")
    t.text = text or None
    run.append(t)
    return run


def add_fraction_formula(paragraph: Any, name: str, numerator: str, denominator: str,
                         tail: str | None = None) -> None:
    """`name = numerator / denominator tail` as an Office Math fraction (m:f)."""
    p = paragraph._p if hasattr(paragraph, "_p") else paragraph
    math = _m("oMath")
    math.append(_math_run(f"{name}="))
    fraction = _m("f")
    for part, text in (("num", numerator), ("den", denominator)):
        holder = _m(part)
        holder.append(_math_run(text))
        fraction.append(holder)
    math.append(fraction)
    if tail:
        math.append(_math_run(tail))
    p.append(math)


# --- status marks (watermark / stamp) ----------------------------------------------------------


_TEXT_SHAPETYPE = (
    # Word's own definition of the WordArt text shape (o:spt 136) its watermark dialog uses.
    '<v:shapetype id="_x0000_t136" coordsize="21600,21600" o:spt="136" adj="10800" '
    'path="m@7,l@8,m@5,21600l@6,21600e"><v:formulas>'
    + "".join(f'<v:f eqn="{eqn}"/>' for eqn in (
        "sum #0 0 10800", "prod #0 2 1", "sum 21600 0 @1", "sum 0 0 @2", "sum 21600 0 @3",
        "if @0 @3 0", "if @0 21600 @1", "if @0 0 @2", "if @0 @4 21600", "mid @5 @6",
        "mid @8 @5", "mid @7 @8", "mid @6 @7", "sum @6 0 @5"))
    + '</v:formulas><v:path textpathok="t" o:connecttype="custom" '
    'o:connectlocs="@9,0;@10,10800;@11,21600;@12,10800" o:connectangles="270,180,90,0"/>'
    '<v:textpath on="t" fitshape="t"/><v:handles><v:h position="#0,bottomRight" '
    'xrange="6629,14971"/></v:handles><o:lock v:ext="edit" text="t" shapetype="t"/>'
    "</v:shapetype>"
)


def watermark_xml(text: str, *, number: int = 1, color: str = "C0C0C0",
                  font: str = "SimHei", width_mm: float = 150, height_mm: float = 50,
                  rotation: int = 315, opacity: str = ".5", center: bool = True) -> str:
    """A Word-style text watermark (VML WordArt, as Word's watermark dialog writes it), as the
    XML of one run for a header paragraph: it then shows on every page, behind the text.

    The id `PowerPlusWaterMarkObject<n>` is what Word and LibreOffice recognise as a watermark.
    `text` is written as an attribute value, so it may be a Jinja placeholder in a template.
    `center=False` puts the mark at the top right of the page (a stamp) instead.
    """
    from xml.sax.saxutils import quoteattr

    if center:
        where = ("mso-position-horizontal:center;mso-position-horizontal-relative:margin;"
                 "mso-position-vertical:center;mso-position-vertical-relative:margin")
    else:
        where = ("mso-position-horizontal:right;mso-position-horizontal-relative:margin;"
                 "mso-position-vertical:top;mso-position-vertical-relative:page;"
                 "margin-top:8mm")
    return (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w10="urn:schemas-microsoft-com:office:word">'
        "<w:rPr><w:noProof/></w:rPr><w:pict>" + _TEXT_SHAPETYPE
        + f'<v:shape id="PowerPlusWaterMarkObject{number}" o:spid="_x0000_s{2048 + number}" '
        f'type="#_x0000_t136" style="position:absolute;margin-left:0;margin-top:0;'
        f"width:{width_mm}mm;height:{height_mm}mm;rotation:{rotation};"
        f'z-index:-{251657216 + number};{where}" '
        f'o:allowincell="f" fillcolor="#{color}" stroked="f">'
        f'<v:fill opacity="{opacity}"/>'
        f'<v:textpath style="font-family:&quot;{font}&quot;;font-size:1pt" '
        f"string={quoteattr(text)}/>"
        '<w10:wrap anchorx="margin" anchory="margin"/>'
        "</v:shape></w:pict></w:r>"
    )


def stamp_xml(text: str, *, color: str = "FF0000", font: str = "SimHei", width_mm: float = 30,
              height_mm: float = 11, top_mm: float = 279, size_pt: int = 16) -> str:
    """A red bordered box with a word (受控) at the bottom right of the page, like a stamp (in
    the bottom margin, where it hides no text):
    the XML of one run for a header paragraph, so every page carries it. No fill, so the text
    under it stays readable. `text` may be a Jinja placeholder.
    """
    from xml.sax.saxutils import escape

    return (
        '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:w10="urn:schemas-microsoft-com:office:word">'
        "<w:rPr><w:noProof/></w:rPr><w:pict>"
        '<v:rect id="WenkongStatusStamp" o:spid="_x0000_s2060" '
        'style="position:absolute;margin-left:0;'
        f"margin-top:{top_mm}mm;width:{width_mm}mm;height:{height_mm}mm;z-index:251660288;"
        "mso-position-horizontal:right;mso-position-horizontal-relative:margin;"
        'mso-position-vertical-relative:page" '
        f'o:allowincell="f" filled="f" strokecolor="#{color}" strokeweight="2pt">'
        '<v:textbox inset="0,0,0,0"><w:txbxContent><w:p><w:pPr><w:spacing w:before="0" '
        'w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="0" w:firstLine="0"/>'
        '<w:jc w:val="center"/></w:pPr><w:r><w:rPr>'
        f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}" w:hint="eastAsia"/>'
        f'<w:b/><w:color w:val="{color}"/><w:spacing w:val="40"/><w:sz w:val="{size_pt * 2}"/>'
        f'</w:rPr><w:t>{escape(text)}</w:t></w:r></w:p></w:txbxContent></v:textbox>'
        '<w10:wrap anchorx="margin" anchory="page"/>'
        "</v:rect></w:pict></w:r>"
    )


CUSTOM_PROPERTIES_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_PROPERTIES_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties")
_CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
_VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the id Word gives user properties


def set_custom_properties(document: Document, values: dict[str, str]) -> None:
    """Write text custom document properties (docProps/custom.xml, File ▸ Properties ▸ Custom).

    python-docx has no API for them. Word and LibreOffice both keep them when they re-save.
    Call once per document.
    """
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from lxml import etree

    root = etree.Element(f"{{{_CUSTOM_NS}}}Properties", nsmap={None: _CUSTOM_NS, "vt": _VT_NS})
    for pid, (name, value) in enumerate(sorted(values.items()), start=2):
        prop = etree.SubElement(root, f"{{{_CUSTOM_NS}}}property", fmtid=_CUSTOM_FMTID,
                                pid=str(pid), name=name)
        etree.SubElement(prop, f"{{{_VT_NS}}}lpwstr").text = value
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = document.part.package
    part = Part(PackURI("/docProps/custom.xml"), CUSTOM_PROPERTIES_TYPE, blob, package)
    package.relate_to(part, CUSTOM_PROPERTIES_REL)


# --- fast deterministic save ---------------------------------------------------------------


class _FixedTimeZipWriter:
    """python-docx's physical package writer, with fixed entry times and attributes."""

    def __init__(self, stream: io.BytesIO) -> None:
        import zipfile

        self._zipfile = zipfile
        self._zip = zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED)

    def write(self, pack_uri: Any, blob: bytes) -> None:
        from generator.write import FIXED_ZIP_TIME

        entry = self._zipfile.ZipInfo(pack_uri.membername, date_time=FIXED_ZIP_TIME)
        entry.compress_type = self._zipfile.ZIP_DEFLATED
        entry.external_attr = 0o644 << 16
        entry.create_system = 3
        self._zip.writestr(entry, blob)

    def close(self) -> None:
        self._zip.close()


def save_fixed(document: Document) -> bytes:
    """Like `save_deterministic`, but compressing once: the parts go straight into a zip with
    fixed entry times instead of being saved, unpacked and packed again (a third of the save
    time of a procedure). Same entry order as python-docx. Call `fix_core_properties` first.
    """
    from docx.opc.pkgwriter import PackageWriter

    drop_stale_parts(document)
    package = document.part.package
    for part in package.parts:
        part.before_marshal()
    buffer = io.BytesIO()
    writer = _FixedTimeZipWriter(buffer)
    # PackageWriter.write with our writer: its steps are private, pinned by python-docx>=1.1
    PackageWriter._write_content_types_stream(writer, package.parts)  # type: ignore[no-untyped-call]
    PackageWriter._write_pkg_rels(writer, package.rels)  # type: ignore[no-untyped-call]
    PackageWriter._write_parts(writer, package.parts)  # type: ignore[arg-type]
    writer.close()
    return buffer.getvalue()
