"""Render stage, raw OOXML layer: Word content controls (w:sdt) for fillable forms.

Kept apart from the form builder (generator/render/docx/form.py), as python-docx keeps its
oxml layer apart from its friendly objects. Every control carries

- `w:tag`: the field id (the key a filled form is read back by), and
- `w:alias`: a readable title (the field label), which Word shows on the control and which
  LibreOffice keeps when it re-saves a .docx (it drops the tag; see generator/records.py).

Controls: plain text (also multi-line), rich text (block-level; not used by the blank forms,
as LibreOffice loses its alias on a second re-save), date picker, dropdown list, checkbox
(w14:checkbox drawn with ☐/☑) and repeating section (w15:repeatingSection) around table rows
so that Word users add rows with the + button.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree

from generator.render.docx.ooxml import new_element

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"

CHECKED = "☑"  # U+2611: what Word draws for a ticked box
UNCHECKED = "☐"  # U+2610
# The glyph font Word itself writes for checkbox controls; machines without it fall back to
# any font holding U+2610 (DejaVu Sans on Debian), which LibreOffice does on its own.
CHECKBOX_FONT = "MS Gothic"
PLACEHOLDER_COLOR = "808080"

RunProps = Callable[[], Any]
"""A factory of fresh `w:rPr` elements: the look of the runs inside a control."""


def w14(tag: str) -> str:
    return f"{{{W14_NS}}}{tag}"


def w15(tag: str) -> str:
    return f"{{{W15_NS}}}{tag}"


@dataclass
class ControlIds:
    """Hands out the `w:id` numbers Word wants unique per control, in document order.

    A counter (not random numbers, as Word itself uses) keeps the output deterministic.
    """

    next_id: int = 1001

    def take(self) -> str:
        value = self.next_id
        self.next_id += 1
        return str(value)


def _val(tag: str, value: str) -> Any:
    element = new_element(tag)
    element.set(qn("w:val"), value)
    return element


def _properties(ids: ControlIds, tag: str, alias: str, *, placeholder: bool,
                lock: str | None = None) -> Any:
    """`w:sdtPr` with the parts every control shares, in the order the schema wants."""
    pr = new_element("w:sdtPr")
    pr.append(_val("w:alias", alias))
    pr.append(_val("w:tag", tag))
    pr.append(_val("w:id", ids.take()))
    if lock is not None:
        pr.append(_val("w:lock", lock))
    if placeholder:
        pr.append(new_element("w:showingPlcHdr"))
    return pr


def _run(text: str, run_props: RunProps | None, *, grey: bool = False) -> Any:
    run = new_element("w:r")
    r_pr = run_props() if run_props is not None else new_element("w:rPr")
    if grey:
        r_pr.get_or_add_color().set(qn("w:val"), PLACEHOLDER_COLOR)
    if len(r_pr):
        run.append(r_pr)
    # Newlines inside a multi-line text control are w:br, not "\n" in w:t.
    for i, line in enumerate(text.split("\n")):
        if i:
            run.append(new_element("w:br"))
        t = new_element("w:t")
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        run.append(t)
    return run


def _sdt(pr: Any, content: Iterable[Any]) -> Any:
    sdt = new_element("w:sdt")
    sdt.append(pr)
    body = new_element("w:sdtContent")
    for child in content:
        body.append(child)
    sdt.append(body)
    return sdt


def text_control(ids: ControlIds, tag: str, alias: str, placeholder: str,
                 run_props: RunProps | None = None, *, multiline: bool = False,
                 value: str | None = None, lock: str | None = None) -> Any:
    """An inline plain-text control (a run-level w:sdt to put inside a paragraph).

    `placeholder` is shown (grey) until the user types; `value` fills the control instead.
    """
    pr = _properties(ids, tag, alias, placeholder=value is None, lock=lock)
    text = new_element("w:text")
    if multiline:
        text.set(qn("w:multiLine"), "1")
    pr.append(text)
    shown = placeholder if value is None else value
    return _sdt(pr, [_run(shown, run_props, grey=value is None)])


def rich_text_control(ids: ControlIds, tag: str, alias: str, paragraphs: Sequence[Any], *,
                      placeholder: bool = True) -> Any:
    """A block-level rich-text control around whole paragraphs (`w:p` elements).

    No `w:text` child: Word then lets the user add paragraphs, bold text and pictures.
    """
    return _sdt(_properties(ids, tag, alias, placeholder=placeholder), paragraphs)


def date_control(ids: ControlIds, tag: str, alias: str, placeholder: str,
                 run_props: RunProps | None = None, *, date_format: str = "yyyy-MM-dd",
                 language: str = "zh-CN", value: str | None = None, grey: bool = True) -> Any:
    """An inline date picker. `value` is an ISO date (YYYY-MM-DD) when prefilled. `grey`
    False prints the placeholder in the run's own ink (a form's 年 月 日 belong on paper)."""
    pr = _properties(ids, tag, alias, placeholder=value is None)
    date = new_element("w:date")
    if value is not None:
        date.set(qn("w:fullDate"), f"{value}T00:00:00Z")
    date.append(_val("w:dateFormat", date_format))
    date.append(_val("w:lid", language))
    date.append(_val("w:storeMappedDataAs", "dateTime"))
    date.append(_val("w:calendar", "gregorian"))
    pr.append(date)
    shown = placeholder if value is None else value
    return _sdt(pr, [_run(shown, run_props, grey=grey and value is None)])


def dropdown_control(ids: ControlIds, tag: str, alias: str, options: Sequence[str],
                     placeholder: str, run_props: RunProps | None = None, *,
                     value: str | None = None) -> Any:
    """An inline dropdown list holding `options` (display text = stored value)."""
    pr = _properties(ids, tag, alias, placeholder=value is None)
    listing = new_element("w:dropDownList")
    for option in options:
        item = new_element("w:listItem")
        item.set(qn("w:displayText"), option)
        item.set(qn("w:value"), option)
        listing.append(item)
    pr.append(listing)
    shown = placeholder if value is None else value
    return _sdt(pr, [_run(shown, run_props, grey=value is None)])


def checkbox_control(ids: ControlIds, tag: str, alias: str, run_props: RunProps | None = None,
                     *, checked: bool = False) -> Any:
    """An inline checkbox (w14:checkbox) drawn as ☐ or ☑, as Word 2010+ writes it."""
    pr = _properties(ids, tag, alias, placeholder=False)
    # Name the prefix: lxml would otherwise invent "ns0", and mc:Ignorable speaks of "w14".
    box = etree.SubElement(pr, w14("checkbox"), nsmap={"w14": W14_NS})
    etree.SubElement(box, w14("checked")).set(w14("val"), "1" if checked else "0")
    for name, code in (("checkedState", "2611"), ("uncheckedState", "2610")):
        state = etree.SubElement(box, w14(name))
        state.set(w14("val"), code)
        state.set(w14("font"), CHECKBOX_FONT)
    run = _run(CHECKED if checked else UNCHECKED, run_props)
    r_pr = run.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = new_element("w:rPr")
        run.insert(0, r_pr)
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = new_element("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attribute), CHECKBOX_FONT)
    fonts.set(qn("w:hint"), "eastAsia")
    return _sdt(pr, [run])


def set_checkbox(sdt: Any, checked: bool) -> None:
    """Tick or clear a checkbox control as Word does: the state and the drawn glyph."""
    found = sdt.find(f"{qn('w:sdtPr')}/{w14('checkbox')}/{w14('checked')}")
    if found is None:
        raise ValueError("not a checkbox content control")
    found.set(w14("val"), "1" if checked else "0")
    for t in sdt.iter(qn("w:t")):
        t.text = CHECKED if checked else UNCHECKED


def repeating_section(ids: ControlIds, tag: str, alias: str, rows: Sequence[Any]) -> Any:
    """Wrap table rows (`w:tr`) in a w15:repeatingSection, one section item per row.

    Goes inside a `w:tbl` in place of the rows. Word shows a + button after each row to add
    another one with the same controls; clients without repeating sections show the rows.
    """
    pr = _properties(ids, tag, alias, placeholder=False)
    etree.SubElement(pr, w15("repeatingSection"), nsmap={"w15": W15_NS})
    items = []
    for row in rows:
        item_pr = new_element("w:sdtPr")
        item_pr.append(_val("w:id", ids.take()))
        etree.SubElement(item_pr, w15("repeatingSectionItem"), nsmap={"w15": W15_NS})
        items.append(_sdt(item_pr, [row]))
    return _sdt(pr, items)


def declare_namespaces(document: Document) -> None:
    """Declare w14/w15 on the document root and mark them ignorable. Call it last, right
    before saving: it swaps the part's root element, and `document` must not be edited after.

    Word refuses a document that uses w15 elements the root does not declare as ignorable
    (mc:Ignorable), and lxml cannot add a prefix to an existing element: rebuild the root.
    """
    from docx.oxml.parser import parse_xml

    part = document.part
    root = part.element
    ignorable = set((root.get(f"{{{MC_NS}}}Ignorable") or "").split())
    if {"w14", "w15"} <= ignorable and all(
            root.nsmap.get(prefix) == uri
            for prefix, uri in (("w14", W14_NS), ("w15", W15_NS), ("mc", MC_NS))):
        return  # declared already (the forms' base document is made so, once per build)
    nsmap = dict(root.nsmap)
    nsmap.setdefault("w14", W14_NS)
    nsmap.setdefault("w15", W15_NS)
    nsmap.setdefault("mc", MC_NS)
    new_root = etree.Element(root.tag, nsmap=nsmap)
    for key, value in root.attrib.items():
        new_root.set(key, value)
    ignorable.update({"w14", "w15"})
    new_root.set(f"{{{MC_NS}}}Ignorable", " ".join(sorted(ignorable)))
    for child in list(root):
        new_root.append(child)
    part._element = parse_xml(etree.tostring(new_root))
