"""Render stage (PDF copies): a flowchart stays on the page its table ends on when it fits there
shrunk, instead of jumping whole to the next page and leaving that page partly empty.

Where a page ends depends on the fonts and the layout engine, so it is measured, not predicted:
LibreOffice converts the .docx, poppler reads back where each flowchart's caption landed, and a
flowchart that starts a page of its own, after a page with room for it at a smaller size, is
shrunk to that room in a copy of the .docx that is converted again. The smallest text of a
shrunk chart stays at least `Flowcharts.min_text_points` (wenkong.yaml), else the chart keeps
its size. Only the PDF changes: the .docx a build writes never depends on LibreOffice (Word sets
it in other fonts and breaks its pages elsewhere anyway), and the same sources give the same
PDF, because every step is deterministic.

Flowcharts are the drawings body.py names `Flowchart <n>`, with their caption as alternative
text; a page's text block is the last section's page size and margins.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from generator.render.docx.body import FLOWCHART_NAME, png_size
from generator.render.docx.tables import BREAK_HERE, WORD_JOINER
from generator.render.flowchart import EDGE_POINTS, NAME_POINTS, OWNER_POINTS

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
HTML = "{http://www.w3.org/1999/xhtml}"
DOCUMENT = "word/document.xml"
EMU_PER_PT = 12700

SMALLEST_TEXT_POINTS = min(NAME_POINTS, OWNER_POINTS, EDGE_POINTS)  # at the PNG's own size
SLACK_PT = 24.0  # the empty paragraph after the table, the table's last border and padding
ROUNDS = 3  # conversions after the first at most: each fit is checked in the next one
STEP = 0.03  # a fit that still jumped is shrunk by this much more
TRIES = 2  # shrinks of one chart; one that still jumps after them goes back to full size


@dataclass(frozen=True)
class Line:
    """A line of text on a PDF page, in points from the page's top left (pdftotext)."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str


def normal(text: str) -> str:
    """Text as compared on the page: no white space, no joiners, plain hyphens."""
    return re.sub(r"\s+", "", text.replace(WORD_JOINER, "").replace(BREAK_HERE, "")
                  .replace("\u2011", "-"))


def pdf_lines(pdf: Path) -> list[list[Line]]:
    """The text lines of each page with their boxes (pdftotext -bbox-layout)."""
    done = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True,
                          check=True, timeout=120)
    root = etree.fromstring(done.stdout, etree.XMLParser(recover=True))
    pages = []
    for number, page in enumerate(root.iter(f"{HTML}page"), start=1):
        lines = []
        for line in page.iter(f"{HTML}line"):
            words = [w.text or "" for w in line.iter(f"{HTML}word")]
            x0, y0, x1, y1 = (float(line.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax"))
            lines.append(Line(number, x0, y0, x1, y1, normal("".join(words))))
        pages.append(lines)
    return pages


# --- the .docx side ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """A flowchart of a .docx: its caption, height as placed, and the smallest size its
    text prints at that height."""

    caption: str
    height_pt: float
    text_points: float


@dataclass(frozen=True)
class Page:
    """The text block of a page, in points from the top."""

    top: float
    bottom: float


def _flowchart_inlines(root: etree._Element) -> list[etree._Element]:
    return [inline for inline in root.iter(f"{WP}inline")
            if (inline.find(f"{WP}docPr") is not None and
                inline.find(f"{WP}docPr").get("name", "").startswith(FLOWCHART_NAME + " "))]


def read_charts(docx: bytes) -> tuple[list[Chart], Page]:
    """The flowcharts of a .docx in document order, and its page's text block."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        root = etree.fromstring(archive.read(DOCUMENT))
        rels = etree.fromstring(archive.read("word/_rels/document.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{REL}Relationship")}
        charts = []
        for inline in _flowchart_inlines(root):
            height = int(inline.find(f"{WP}extent").get("cy", "0")) / EMU_PER_PT
            blip = next(inline.iter(f"{A}blip"), None)
            target = targets.get(blip.get(f"{R}embed")) if blip is not None else None
            natural = height
            if target and not target.startswith(("http:", "https:")):
                _, pixels, dpi = png_size(archive.read(f"word/{target.lstrip('/')}"))
                natural = pixels / dpi * 72
            text = SMALLEST_TEXT_POINTS * height / natural if natural else SMALLEST_TEXT_POINTS
            charts.append(Chart(inline.find(f"{WP}docPr").get("descr", ""), height, text))
    return charts, _text_block(root)


def _text_block(root: etree._Element) -> Page:
    sections = list(root.iter(f"{W}sectPr"))
    size = sections[-1].find(f"{W}pgSz") if sections else None
    margins = sections[-1].find(f"{W}pgMar") if sections else None
    height = int(size.get(f"{W}h", "16838")) if size is not None else 16838
    top = abs(int(margins.get(f"{W}top", "1440"))) if margins is not None else 1440
    bottom = abs(int(margins.get(f"{W}bottom", "1440"))) if margins is not None else 1440
    return Page(top / 20, (height - bottom) / 20)


def resized(docx: bytes, scales: dict[int, float]) -> bytes:
    """The .docx with flowchart n (document order) at `scales[n]` of its size."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    root = etree.fromstring(source.read(DOCUMENT))
    for n, inline in enumerate(_flowchart_inlines(root)):
        scale = scales.get(n)
        if scale is None:
            continue
        for extent in (inline.find(f"{WP}extent"), *inline.iter(f"{A}ext")):
            if extent is None or extent.getparent().tag == f"{A}extLst":
                continue
            for key in ("cx", "cy"):
                extent.set(key, str(round(int(extent.get(key, "0")) * scale)))
    out = io.BytesIO(b"")
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == DOCUMENT:
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            target.writestr(info, data)
    return out.getvalue()


# --- the PDF side ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Jump:
    """A flowchart that starts a page while the page before ends with room to spare."""

    chart: int  # index in document order
    room_pt: float  # from the last line of the page before to the bottom of its text block
    overhead_pt: float  # what goes with the picture besides itself: spacing and caption


def _caption_lines(pages: list[list[Line]], caption: str, after: tuple[int, float]
                   ) -> tuple[Line, Line] | None:
    """The first and last line of `caption` (one or two lines) after position `after`."""
    wanted = normal(caption)
    for lines in pages[after[0] - 1:]:
        ordered = sorted(lines, key=lambda line: (line.y0, line.x0))
        for n, line in enumerate(ordered):
            if (line.page, line.y0) <= after:
                continue
            if line.text == wanted:
                return line, line
            following = ordered[n + 1] if n + 1 < len(ordered) else None
            if following is not None and line.text + following.text == wanted:
                return line, following
    return None


def jumps(pages: list[list[Line]], charts: Sequence[Chart], page: Page) -> list[Jump]:
    """The flowcharts that start a page of their own after a page that ends early."""
    found = []
    position = (1, -1.0)
    for index, chart in enumerate(charts):
        caption = _caption_lines(pages, chart.caption, position) if chart.caption else None
        if caption is None:
            continue
        first, last = caption
        position = (last.page, last.y0)
        top = first.y0 - chart.height_pt  # the picture's top, give or take its spacing
        body = [line for line in pages[first.page - 1]
                if line.y0 >= page.top - 2 and line.y1 <= page.bottom + 2]
        if first.page == 1 or any(line.y1 < top - 2 for line in body):
            continue  # the picture follows other text on its page
        before = [line for line in pages[first.page - 2]
                  if line.y0 >= page.top - 2 and line.y1 <= page.bottom + 2]
        if not before:
            continue
        room = page.bottom - max(line.y1 for line in before)
        found.append(Jump(index, room, last.y1 - page.top - chart.height_pt))
    return found


def fitting_scale(jump: Jump, chart: Chart, min_points: float, shrunk: bool) -> float | None:
    """The scale (of the chart's present size) at which it fits the room left on the page
    before, or None when it cannot fit there readably. A chart that already fits as it is
    (by this estimate) but still jumped is shrunk by STEP if it was shrunk before (the estimate
    was short), else left alone (something other than its size moved it)."""
    scale = (jump.room_pt - jump.overhead_pt - SLACK_PT) / chart.height_pt
    if scale >= 1:
        if not shrunk:
            return None
        scale = 1 - STEP
    scale = int(scale * 100) / 100
    return scale if scale > 0 and chart.text_points * scale >= min_points else None


def next_scale(jump: Jump, present: Chart, scale: float, tries: int,
               min_points: float) -> float:
    """The scale (of its size in the .docx) for a chart found at the top of a page after
    `tries` shrinks to `scale` (`present`: the chart at that scale). A chart that cannot fit
    readably, or still jumps after TRIES shrinks (a page break before it, a chain of kept
    paragraphs), goes back to full size: shrunk on a page of its own it gains nothing."""
    if tries >= TRIES:
        return 1.0
    step = fitting_scale(jump, present, min_points, shrunk=scale < 1)
    return 1.0 if step is None else round(scale * step, 4)


# --- both --------------------------------------------------------------------------------------


def fitting(min_points: float) -> str:
    """What, beside the .docx and LibreOffice, decides a fitted PDF (for cache keys): the
    smallest text allowed, and whether poppler is there to measure pages at all."""
    return f"fit {min_points!r} {shutil.which('pdftotext') is not None}"


@dataclass
class _Fitting:
    """One document being fitted: its PDF, its .docx bytes, its charts at full size, and each
    chart's present scale and how often it was shrunk."""

    pdf: Path
    data: bytes
    charts: list[Chart]
    page: Page
    scales: list[float]
    tries: list[int]

    def shrink_jumps(self, min_points: float) -> bool:
        """Shrink each chart that jumped in the present PDF; True when a scale changed."""
        present = [Chart(c.caption, c.height_pt * s, c.text_points * s)
                   for c, s in zip(self.charts, self.scales, strict=True)]
        moved = False
        for jump in jumps(pdf_lines(self.pdf), present, self.page):
            n = jump.chart
            scale = next_scale(jump, present[n], self.scales[n], self.tries[n], min_points)
            if scale != self.scales[n]:
                self.scales[n] = scale
                self.tries[n] += 1
                moved = True
        return moved


def fit_flowcharts(pairs: Sequence[tuple[Path, Path]], min_points: float) -> int:
    """Convert again, shrunk, the documents of `pairs` ((.docx, its PDF)) whose PDF has a
    flowchart that fits readably on the page before the one it starts. Each PDF is replaced
    in place; the .docx files are left as they are. Returns how many charts were shrunk.
    Nothing happens without poppler's pdftotext (the PDFs stay as converted)."""
    from generator.render.pdf import convert_to_pdf

    if shutil.which("pdftotext") is None:
        return 0
    documents: dict[Path, _Fitting] = {}
    for docx, pdf in pairs:
        data = docx.read_bytes()
        charts, page = read_charts(data)
        if charts:
            documents[docx] = _Fitting(pdf, data, charts, page, [1.0] * len(charts),
                                       [0] * len(charts))
    with tempfile.TemporaryDirectory(prefix="wenkong-fit-") as scratch:
        for round_number in range(ROUNDS):
            changed = [docx for docx, fitting in documents.items()
                       if fitting.shrink_jumps(min_points)]
            if not changed:
                break
            # one LibreOffice run per round (two documents of one name: one run each)
            batches: list[dict[str, Path]] = []
            for docx in changed:
                batch = next((b for b in batches if docx.name not in b), None)
                if batch is None:
                    batches.append(batch := {})
                batch[docx.name] = docx
            for number, batch in enumerate(batches):
                folder = Path(scratch) / f"{round_number}-{number}"
                folder.mkdir()
                copies = []
                for name, docx in batch.items():
                    fitting = documents[docx]
                    copies.append(folder / name)
                    copies[-1].write_bytes(resized(fitting.data, dict(enumerate(fitting.scales))))
                made = convert_to_pdf(copies, folder / "pdf")
                for pdf, docx in zip(made, batch.values(), strict=True):
                    shutil.move(pdf, documents[docx].pdf)
    return sum(1 for fitting in documents.values() for scale in fitting.scales if scale < 1)
