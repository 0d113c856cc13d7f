"""Word procedures in a real client: LibreOffice converts every generated procedure to PDF (in ONE
soffice call), and the PDFs are read back with poppler: page size, `第 1 页 共 N 页` with the
true N on every page, every clause text in order, CJK fonts, the draft watermark's grey ink.

Uses the sample set when it validates, else the frozen fixture set (tests/fixtures/docx/set).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from helpers_client import is_a4, page_size_pt, page_texts, pdf_fonts, to_pdf

from generator.build import BuildOptions
from generator.docset import DocumentSet, ProcedureDoc, plain
from generator.errors import SourceErrors
from generator.model.procedure import Status
from generator.render.docx.procedure import (
    BUNDLED_TEMPLATE,
    load_template,
    output_name,
    render_procedure,
    render_procedures,
)
from generator.resolve import load_document_set

pytestmark = pytest.mark.client

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SET = REPO / "tests" / "fixtures" / "docx" / "set"

if shutil.which("soffice") is None:  # the README's test command installs it; say so loudly
    pytest.fail("LibreOffice (soffice) is required for these tests: apt-get install "
                "libreoffice-writer-nogui fonts-noto-cjk poppler-utils", pytrace=False)


def _docset() -> DocumentSet:
    try:
        return load_document_set(REPO)
    except SourceErrors:
        return load_document_set(FIXTURE_SET)


class Converted:
    def __init__(self, docset: DocumentSet, folder: Path) -> None:
        self.docset = docset
        self.docx: dict[str, Path] = {}
        self.pdf: dict[str, Path] = {}
        files = render_procedures(docset, BuildOptions(root=docset.root, output=folder))
        # the draft twin of one document, for the watermark check
        template = load_template(BUNDLED_TEMPLATE)
        first = next(iter(docset.procedures.values()))
        draft = replace(first, status=Status.draft)
        files["procedures/zz-draft.docx"] = render_procedure(draft, docset, template)
        for name, data in files.items():
            path = folder / "docx" / Path(name).name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.docx[name] = path
        pdfs = to_pdf(list(self.docx.values()), folder / "pdf")
        for name, pdf in zip(self.docx, pdfs, strict=True):
            self.pdf[name] = pdf
        self.draft_of = first


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Converted:
    return Converted(_docset(), tmp_path_factory.mktemp("docx-client"))


def procedures(converted: Converted) -> list[tuple[ProcedureDoc, Path]]:
    return [(doc, converted.pdf[output_name(doc)])
            for doc in converted.docset.procedures.values()]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_page_is_a4(converted):
    for _, pdf in procedures(converted):
        assert is_a4(page_size_pt(pdf)), pdf.name


def test_header_shows_code_version_and_page_x_of_true_n(converted):
    for doc, pdf in procedures(converted):
        pages = page_texts(pdf, layout=False)
        n = len(pages)
        assert 2 <= n <= 60, f"{pdf.name}: {n} pages"
        first = squash(pages[0])
        assert squash(doc.code) in first and squash(doc.version) in first, pdf.name
        for i, page in enumerate(pages, start=1):
            assert f"第{i}页共{n}页" in squash(page), f"{pdf.name} page {i}"


def _furniture(doc: ProcedureDoc, docset: DocumentSet, pages: int) -> list[str]:
    """Header and footer strings, removed before comparing body text across page breaks."""
    words = [docset.settings.company.name, docset.settings.document_class, doc.title, doc.code,
             doc.version, "文件名称", "文件编号", "版本/版次", "页次",
             docset.settings.controlled_notice, "非受控文件　仅供参考",
             f"打印日期：{dt.date.today().isoformat()}", "非受控", "受控"]
    words += [f"第{i}页共{pages}页" for i in range(pages, 0, -1)]
    return sorted((squash(w) for w in words), key=len, reverse=True)


def test_every_clause_text_appears_in_order(converted):
    for doc, pdf in procedures(converted):
        # -layout: plain pdftotext drops a hyphen at a line end (QA-2603-015 → QA-2603015)
        pages = page_texts(pdf, layout=True)
        furniture = _furniture(doc, converted.docset, len(pages))

        def clean(text: str, furniture: list[str] = furniture) -> str:
            text = squash(text)
            for word in furniture:
                text = text.replace(word, "")
            return text

        # page 1: cover block and revision history; page 2 of a long procedure: contents
        # (whose titles would otherwise be found before the headings they list)
        from generator.render.docx.body import wants_contents

        body = clean("".join(pages[2 if wants_contents(doc) else 1:]))
        position = 0
        for clause in doc.all_clauses():
            for part in (clause.title, clause.text):
                needle = clean(plain(part))
                if not needle:
                    continue
                found = body.find(needle, position)
                assert found >= 0, f"{pdf.name}: {clause.label} {plain(part)[:40]!r}"
                position = found + len(needle)


def test_fonts_are_cjk_capable_with_the_configured_fallbacks(converted):
    fonts = converted.docset.settings.fonts
    expected = [squash(f).removesuffix("SC") for f in (fonts.body_fallback,
                                                       fonts.heading_fallback)]
    for _, pdf in procedures(converted):
        found = pdf_fonts(pdf)
        assert any(f.is_cjk for f in found), pdf.name
        names = " ".join(f.name for f in found)
        for family in expected:  # NotoSerifCJK for 宋体 text, NotoSansCJK for 黑体 headings
            assert family in names, f"{pdf.name}: {family} not in {names}"
        assert all(f.embedded for f in found), pdf.name


def _grey_ink(pdf: Path, page: int, folder: Path) -> int:
    """Pixels of light grey (the watermark) in the middle of a page, from a PGM render."""
    prefix = folder / f"{pdf.stem}-grey"
    subprocess.run(["pdftoppm", "-r", "30", "-gray", "-f", str(page), "-l", str(page),
                    str(pdf), str(prefix)], check=True, capture_output=True)
    image = next(folder.glob(f"{prefix.name}*.pgm"))
    data = image.read_bytes()
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert match
    width, height = int(match.group(1)), int(match.group(2))
    pixels = data[match.end():]
    count = 0
    for y in range(height // 4, 3 * height // 4):
        row = pixels[y * width:(y + 1) * width]
        count += sum(1 for v in row[width // 4:3 * width // 4] if 170 <= v <= 235)
    image.unlink()
    return count


def test_draft_carries_a_visible_watermark_on_every_page(converted, tmp_path):
    draft_pdf = converted.pdf["procedures/zz-draft.docx"]
    effective_pdf = converted.pdf[output_name(converted.draft_of)]
    pages = len(page_texts(draft_pdf))
    for page in range(1, pages + 1):
        draft = _grey_ink(draft_pdf, page, tmp_path)
        plain_page = _grey_ink(effective_pdf, page, tmp_path)
        assert draft > plain_page + 200, f"page {page}: {draft} vs {plain_page} grey pixels"


def test_effective_copy_shows_the_uncontrolled_stamp_on_every_page(converted):
    """The stamp sits in the bottom margin beside the notice: the last line of every page.
    A plain build is not an issued copy, so the stamp says 非受控 (issued copies: 受控, see
    test_registers_commands)."""
    notice = converted.docset.settings.controlled_notice
    assert not notice.endswith("受控")  # else this test would prove nothing

    def last_lines(pdf: Path) -> list[str]:
        return [next(line for line in reversed(page.splitlines()) if line.strip())
                for page in page_texts(pdf, layout=True)]

    effective = [(d, p) for d, p in procedures(converted) if d.status is Status.effective]
    assert effective
    for _doc, pdf in effective:
        for i, line in enumerate(last_lines(pdf), start=1):
            assert line.rstrip().endswith("非受控"), f"{pdf.name} page {i}: {line!r}"
            assert "打印日期" in line, f"{pdf.name} page {i}: {line!r}"
    for i, line in enumerate(last_lines(converted.pdf["procedures/zz-draft.docx"]), start=1):
        assert not line.rstrip().endswith("受控"), f"draft page {i}: {line!r}"


def test_libreoffice_round_trip_reopens_in_python_docx(converted, tmp_path):
    sources = [p for name, p in converted.docx.items() if "zz-draft" not in name][:3]
    out = tmp_path / "resaved"
    profile = tmp_path / "profile"
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
         "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), *map(str, sources)],
        capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    for source in sources:
        resaved = out / source.name
        assert resaved.is_file(), source.name
        original = Document(io.BytesIO(source.read_bytes()))
        again = Document(io.BytesIO(resaved.read_bytes()))
        headings = [p.text for p in original.paragraphs if p.style.name == "Heading 1"]
        assert headings and headings == [p.text for p in again.paragraphs
                                         if p.style.name == "Heading 1"]
        assert len(again.tables) == len(original.tables)


def test_contents_page_numbers_point_at_the_headings(converted):
    from generator.render.docx.body import wants_contents

    checked = 0
    for doc, pdf in procedures(converted):
        if not wants_contents(doc):
            continue
        pages = page_texts(pdf, layout=True)
        entries = re.findall(r"^\s*(\S.*?)\s*\.{3,}\s*(\d+)\s*$", pages[1], re.M)
        expected = [f"{s.label} {s.title}" for s in doc.sections]
        assert len(entries) >= len(expected), f"{pdf.name}: contents {entries}"
        for title, number in entries:
            page = int(number)
            assert 1 <= page <= len(pages), f"{pdf.name}: {title} → {page}"
            assert squash(title) in squash(pages[page - 1]), f"{pdf.name}: {title} not on {page}"
            checked += 1
    assert checked, "no procedure long enough for a contents list"
