"""Test helpers for checking outputs in real clients: LibreOffice (Word → PDF) and poppler
(PDF → text, page size, fonts, PNG). Shared by the docx, forms and pdf tests; import it as
`from helpers_client import to_pdf, …` (pytest puts tests/ on sys.path; tests/ is no package).

    pdfs = to_pdf([docx_a, docx_b], tmp_path)      # ONE soffice call for all files
    page_count(pdfs[0]); page_size_pt(pdfs[0])      # 3, (595.3, 841.9) for A4
    pdf_text(pdfs[0])                               # pdftotext -layout; pages split by \\f
    [f.name for f in pdf_fonts(pdfs[0])]            # ['BAAAAA+NotoSerifCJKsc-Regular', …]
    render_png(pdfs[0], 1, 2, 70)                   # PNG files to LOOK at
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from generator.render.pdf import convert_to_pdf, pdf_info, poppler
from generator.render.pdf import pdf_text as _pdf_text

A4_PT = (595.3, 841.9)


def to_pdf(files: Sequence[Path], outdir: Path) -> list[Path]:
    """Convert Word files to PDF with LibreOffice in one process; the PDFs in the given order."""
    return convert_to_pdf(list(files), outdir)


def page_count(pdf: Path) -> int:
    return pdf_info(pdf)[0]


def page_size_pt(pdf: Path, page: int = 1) -> tuple[float, float]:
    """Width and height of one page in points (A4 portrait ≈ 595.3 × 841.9)."""
    info = poppler("pdfinfo", "-f", str(page), "-l", str(page), str(pdf), subject=pdf)
    found = re.search(rf"^Page\s+{page} size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    assert found, f"no page {page} in {pdf}"
    return float(found.group(1)), float(found.group(2))


def is_a4(size: tuple[float, float], tolerance: float = 1.0) -> bool:
    return abs(size[0] - A4_PT[0]) <= tolerance and abs(size[1] - A4_PT[1]) <= tolerance


def pdf_text(pdf: Path, layout: bool = True) -> str:
    """The PDF's text (pdftotext, -layout by default). Pages are separated by form feeds."""
    return _pdf_text(pdf, layout=layout)


def page_texts(pdf: Path, layout: bool = True) -> list[str]:
    """The text of each page, in order."""
    pages = pdf_text(pdf, layout).split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


class PdfFont(NamedTuple):
    name: str  # "BAAAAA+NotoSerifCJKsc-Regular" (subset prefix included)
    type: str  # "CID TrueType", "TrueType", "Type 1C" …
    embedded: bool

    @property
    def is_cjk(self) -> bool:
        """A font that can draw Chinese: Noto/Source Han CJK, or the Windows 宋体/黑体 family."""
        return bool(re.search(r"CJK|SourceHan|Sim(Sun|Hei)|Song|Hei|Kai|FangSong|YaHei|DengXian",
                              self.name, re.I))


def pdf_fonts(pdf: Path) -> list[PdfFont]:
    """The fonts a PDF uses (pdffonts), parsed by the column widths of its dashed rule."""
    lines = poppler("pdffonts", str(pdf), subject=pdf).splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("---"))
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", lines[rule])]
    fonts = []
    for line in lines[rule + 1:]:
        if not line.strip():
            continue
        cells = [line[a:b].strip() for a, b in spans]
        fonts.append(PdfFont(name=cells[0], type=cells[1], embedded=cells[3] == "yes"))
    return fonts


def render_png(pdf: Path, first: int = 1, last: int | None = None, dpi: int = 70) -> list[Path]:
    """Render pages first..last to PNG files beside the PDF (`<stem>-page-N.png`), in page
    order, to open with an image viewer."""
    last = first if last is None else last
    program = shutil.which("pdftoppm")
    assert program, "pdftoppm is not installed: apt-get install poppler-utils"
    prefix = pdf.with_name(f"{pdf.stem}-page")
    for old in pdf.parent.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run([program, "-r", str(dpi), "-f", str(first), "-l", str(last), "-png",
                    str(pdf), str(prefix)], check=True, capture_output=True, timeout=300)

    def page(path: Path) -> int:
        return int(path.stem.rsplit("-", 1)[1])

    return sorted(pdf.parent.glob(f"{prefix.name}-*.png"), key=page)
