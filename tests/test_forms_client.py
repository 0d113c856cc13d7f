"""Blank forms in a real client: every form of the fixture set and of the sample set opened in
LibreOffice (PDF): one A4 page, labels, ☐ boxes and Chinese text in the PDF, CJK fonts used."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import jieba
import pytest
from forms_support import to_pdf
from lxml import etree

from generator.build import BuildOptions
from generator.docset import DocumentSet
from generator.errors import SourceErrors
from generator.model.form import FieldType
from generator.render.docx.form import (
    BODY_PT,
    PAD_MM,
    FormLabels,
    checkbox_words,
    form_layout,
    render_forms,
    table_widths,
    text_width_mm,
)
from generator.resolve import load_document_set

REPO = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "forms" / "set"

pytestmark = [
    pytest.mark.client,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]


def _sets() -> list[DocumentSet]:
    sets = [load_document_set(FIXTURE)]
    # the sample set may be mid-edit by its authors; the fixture set runs regardless
    with contextlib.suppress(SourceErrors):
        sets.append(load_document_set(REPO))
    return sets


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[DocumentSet, str, Path]]:
    """(set, form code, PDF) for every blank form, converted in one soffice call."""
    folder = tmp_path_factory.mktemp("forms")
    made: list[tuple[DocumentSet, str, Path]] = []
    for n, docset in enumerate(_sets()):
        files = render_forms(docset, BuildOptions(root=docset.root, output=folder))
        for name, data in files.items():
            path = folder / f"{n}-{Path(name).name}"
            path.write_bytes(data)
            code = next(d.code for d in docset.forms.values() if name.startswith(
                f"forms/{d.code}_"))
            made.append((docset, code, path))
    pdfs = to_pdf([p for _, _, p in made], tmp_path_factory.mktemp("pdf"))
    return [(d, c, pdf) for (d, c, _), pdf in zip(made, pdfs, strict=True)]


def pdf_info(pdf: Path) -> dict[str, str]:
    text = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in
                                                 text.splitlines())}


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_every_form_is_one_a4_page(converted: list[tuple[DocumentSet, str, Path]]) -> None:
    assert len(converted) >= 2
    for docset, code, pdf in converted:
        info = pdf_info(pdf)
        assert info["Pages"] == "1", f"{pdf.name}: {info['Pages']} pages"
        size = info["Page size"].split()
        width, height = float(size[0]), float(size[2])
        if docset.forms[code].model.landscape:
            width, height = height, width
        assert (round(width), round(height)) == (595, 842), pdf.name


def test_labels_boxes_and_header_are_printed(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    for docset, code, pdf in converted:
        doc = docset.forms[code]
        text = "".join(pdf_text(pdf).split())
        assert docset.settings.company.name in text
        assert doc.title in text
        assert f"{doc.code}{doc.version}" in text
        form = doc.model
        for section in form.sections:
            for item in section.fields:
                # a long label wraps in its cell: look for its first characters
                assert "".join(item.label.split())[:4] in text, f"{pdf.name}: {item.label}"
                if item.type in (FieldType.choice, FieldType.multi_choice) and (
                        item.widget.value == "checkbox"
                        or item.type is FieldType.multi_choice):
                    first = "".join(item.options[0].split())
                    assert f"☐{first}" in text, f"{pdf.name}: {item.label}"
                if item.type is FieldType.yes_no:
                    assert "☐是" in text
            if section.table is not None:
                for column in section.table.columns:
                    assert "".join(column.label.split())[:2] in text
        for box in form.signoff:
            assert "".join(box.label.split())[:2] in text
        if form.copies:
            assert "".join(form.copies.split())[:6] in text
        assert f"保存期限：{doc.retention}" in text


def test_chinese_is_drawn_with_cjk_fonts(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    _, _, pdf = converted[0]
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout
    assert "CJK" in fonts
    assert "NotoSerifCJK" in fonts  # body text 宋体 → SimSun → Noto Serif CJK


# --- print quality (issue 10, forms): what a clerk sees on the printed blank form ----------

XHTML = "{http://www.w3.org/1999/xhtml}"


class Word(NamedTuple):
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def pdf_blocks(pdf: Path) -> list[list[list[Word]]]:
    """Blocks (pdftotext's text of one table cell, roughly) → lines → words, page 1."""
    xml = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-bbox-layout", str(pdf), "-"],
                         capture_output=True, check=True).stdout
    root = etree.fromstring(xml)
    return [[[Word(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
              for w in line.iter(f"{XHTML}word")]
             for line in block.iter(f"{XHTML}line")]
            for block in root.iter(f"{XHTML}block")]


def squeeze(text: str) -> str:
    return "".join(text.split())


def word_boundaries(text: str) -> set[int]:
    """Offsets in `text` where a line may break without splitting a word: between jieba's
    dictionary words, and around punctuation."""
    jieba.setLogLevel(logging.WARNING)
    offsets, at = set(), 0
    for word in jieba.cut(text, HMM=False):
        at += len(word)
        offsets.add(at)
    offsets |= {k for k in range(1, len(text))
                if text[k - 1] in "/、）)；，" or text[k] in "（(/"}
    return offsets


def printed_breaks(blocks: list[list[list[Word]]], label: str) -> list[int] | None:
    """Where `label` breaks between lines in the cell that prints it (offsets into the label),
    or None when no cell prints it."""
    target = squeeze(label)
    for block in blocks:
        lines = [squeeze("".join(w.text for w in line)) for line in block]
        joined = "".join(lines)
        start = joined.find(target)
        if start < 0:
            continue
        ends, at = [], 0
        for line in lines[:-1]:
            at += len(line)
            ends.append(at)
        return [end - start for end in ends if start < end < start + len(target)]
    return None


def cell_of(blocks: list[list[list[Word]]], text: str) -> tuple[float, float, float, float]:
    """Bounding box (x0, y0, x1, y1) of the block that prints `text`."""
    for block in blocks:
        if squeeze(text) in "".join(squeeze(w.text) for line in block for w in line):
            words = [w for line in block for w in line]
            return (min(w.x0 for w in words), min(w.y0 for w in words),
                    max(w.x1 for w in words), max(w.y1 for w in words))
    raise AssertionError(f"{text} is not printed")


def _labels(docset: DocumentSet, code: str) -> list[tuple[str, float]]:
    """Every label of a form with the width of its column (mm)."""
    form = docset.forms[code].model
    layout = form_layout(form, FormLabels())
    found = [(f.label, layout.label) for s in form.sections for f in s.fields]
    found += [(b.label, layout.signoff_label) for b in form.signoff]
    for section in form.sections:
        if section.table is not None:
            widths = table_widths(section.table, layout.width)
            heads = [c.label for c in section.table.columns]
            if section.table.numbered:
                heads.insert(0, FormLabels().row_number)
            found += list(zip(heads, widths, strict=True))
    return found


def test_labels_break_between_words_and_only_when_too_wide(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    checked = 0
    for docset, code, pdf in converted:
        blocks = pdf_blocks(pdf)
        for label, width in _labels(docset, code):
            breaks = printed_breaks(blocks, label)
            assert breaks is not None, f"{pdf.name}: label {label} not printed in one cell"
            if text_width_mm(label, BODY_PT) + PAD_MM + 0.5 <= width:
                assert not breaks, f"{pdf.name}: {label} fits its {width:.0f} mm but breaks"
            bad = set(breaks) - word_boundaries(squeeze(label))
            assert not bad, f"{pdf.name}: {label} broken inside a word at {sorted(bad)}"
            checked += 1
    assert checked > 300


def test_codes_never_break_across_lines(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    for docset, code, pdf in converted:
        doc = docset.forms[code]
        lines = [squeeze(line) for line in pdf_text(pdf).splitlines()]
        for word in (doc.code, doc.model.procedure, f"{doc.code}{doc.version}"):
            whole = "".join(lines).count(word)
            assert whole >= 1, f"{pdf.name}: {word} not printed"
            assert sum(line.count(word) for line in lines) == whole, (
                f"{pdf.name}: {word} broken across lines")


def test_checkbox_items_stay_with_their_box(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    for docset, code, pdf in converted:
        lines = [squeeze(line) for line in pdf_text(pdf).splitlines()]
        for section in docset.forms[code].model.sections:
            for item in section.fields:
                words = checkbox_words(item, FormLabels()) or []
                for word in words:
                    assert any(f"☐{squeeze(word)}" in line for line in lines), (
                        f"{pdf.name}: ☐{word} split")


def test_placeholders_follow_the_field_type(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    """年 月 日 once per date and name/date box and nowhere else; a name/date box keeps room
    for the name before its date; a hint is printed (beside the box, under the label)."""
    for docset, code, pdf in converted:
        form = docset.forms[code].model
        dates = sum(1 for s in form.sections for f in s.fields
                    if f.type in (FieldType.date, FieldType.signature)) + len(form.signoff)
        text = squeeze(pdf_text(pdf))
        assert text.count("年月日") == dates, pdf.name
        blocks = pdf_blocks(pdf)
        for section in form.sections:
            for item in section.fields:
                if item.hint:
                    label, hint = cell_of(blocks, item.label), cell_of(blocks, item.hint)
                    assert hint[1] >= label[3] - 1 and abs(
                        (hint[0] + hint[2]) / 2 - (label[0] + label[2]) / 2) < 6, (
                        f"{pdf.name}: hint of {item.label} not under its label")
        words = [w for block in blocks for line in block for w in line]
        for box in form.signoff:
            _, y0, x1, y1 = cell_of(blocks, box.label)
            year = min((w for w in words if w.text == "年" and w.x0 > x1
                        and abs((w.y0 + w.y1) / 2 - (y0 + y1) / 2) < 6), key=lambda w: w.x0)
            # from the label's text to the date: the label cell's margin, the name's room
            assert year.x0 - x1 > 10 / 25.4 * 72, f"{pdf.name}: {box.label}"


def _dark_rows(pdf: Path, dpi: int = 50) -> tuple[list[bool], float]:
    """Which pixel rows of page 1 hold ink, and the millimetres per row."""
    pgm = subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", "1", "-l", "1", str(pdf)],
                         capture_output=True, check=True).stdout
    magic, size, _, data = pgm.split(b"\n", 3)
    assert magic == b"P5"
    width, height = map(int, size.split())
    return [min(data[y * width:(y + 1) * width]) < 160 for y in range(height)], 25.4 / dpi


def empty_share(pdf: Path, top_mm: float = 14.0, bottom_mm: float = 14.0) -> float:
    """Share of the page's text block left empty below the form (the footer not counted)."""
    dark, mm = _dark_rows(pdf)
    rows = [y for y, ink in enumerate(dark) if ink]
    footer = rows[-1]  # the footer: the last run of inked rows, gaps under 3 mm included
    gap = int(3 / mm)
    while footer > 0 and any(dark[max(0, footer - 1 - k)] for k in range(gap)):
        footer -= 1
    end = min(len(dark) * mm - bottom_mm, footer * mm)
    last = max(y for y in rows if y * mm < footer * mm - 2) * mm
    return (end - last) / (end - top_mm)


def test_a_one_page_form_uses_its_page(
        converted: list[tuple[DocumentSet, str, Path]]) -> None:
    shares = {pdf.name: empty_share(pdf) for _, _, pdf in converted}
    assert all(0 <= share < 0.15 for share in shares.values()), {
        name: round(share, 2) for name, share in shares.items() if share >= 0.15}
