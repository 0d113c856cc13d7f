"""Blank forms in a real client: every form of the fixture set and of the sample set opened in
LibreOffice (PDF): one A4 page, labels, ☐ boxes and Chinese text in the PDF, CJK fonts used."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

import pytest
from forms_support import to_pdf

from generator.build import BuildOptions
from generator.docset import DocumentSet
from generator.errors import SourceErrors
from generator.model.form import FieldType
from generator.render.docx.form import render_forms
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
