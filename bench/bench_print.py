"""Benchmark: printed pages of every sample procedure (LibreOffice's PDF), next to the counts
before the print-quality work of issue 10.

    python bench/bench_print.py             # prints a table; --write updates results-print.md
    python bench/bench_print.py --keep DIR  # also keeps the .docx and PDFs in DIR

Builds the sample set's procedures, converts them to PDF in ONE LibreOffice run (as
`wenkong build --pdf` does), and counts pages, blank pages and the emptiest page that a table
continues from. The "before" column is the count measured on main at 90f17a6 (before this
work); it is data in BEFORE below, not re-measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.build import BuildOptions
from generator.render.docx.pagefit import fit_flowcharts
from generator.render.docx.procedure import render_procedures
from generator.render.pdf import convert_to_pdf, pdf_info
from generator.resolve import load_document_set

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results-print.md"

# Pages per sample procedure on main at 90f17a6 (LibreOffice 7.4, fonts-noto-cjk), measured
# with this script's conversion before issue 10's print work.
BEFORE = {
    "QP-01": 9, "QP-02": 4, "QP-03": 4, "QP-04": 4, "QP-05": 4, "QP-06": 8, "QP-07": 5,
    "QP-08": 4, "QP-09": 5, "QP-10": 8, "QP-11": 4, "QP-12": 4, "QP-13": 8, "QP-14": 4,
    "QP-15": 3, "QP-16": 3, "QP-17": 3,
}


# Pages at 729c1f2, before issue 10 item 7 (a flowchart's caption kept with the next heading,
# so the chart and the heading's first lines jumped together; no shrinking to fit), measured
# with this script's conversion.
BEFORE_FLOWCHARTS = {
    "QP-01": 10, "QP-02": 4, "QP-03": 4, "QP-04": 4, "QP-05": 4, "QP-06": 8, "QP-07": 4,
    "QP-08": 4, "QP-09": 5, "QP-10": 8, "QP-11": 4, "QP-12": 4, "QP-13": 8, "QP-14": 4,
    "QP-15": 3, "QP-16": 3, "QP-17": 3,
}


def measure(folder: Path) -> tuple[dict[str, int], float, float]:
    """Pages per procedure code as `wenkong build --pdf` prints them, the seconds the one
    LibreOffice run took, and the seconds of the flowchart fit after it (pagefit.py)."""
    docset = load_document_set(REPO)
    files = render_procedures(docset, BuildOptions(root=REPO, output=folder / "build"))
    paths = {}
    for name, data in files.items():
        path = folder / "docx" / Path(name).name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths[path.name.split("_")[0]] = path
    started = time.perf_counter()
    pdfs = convert_to_pdf(list(paths.values()), folder / "pdf")
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    fit_flowcharts(list(zip(paths.values(), pdfs, strict=True)),
                   docset.settings.flowcharts.min_text_points)
    fit = time.perf_counter() - started
    return ({code: pdf_info(pdf)[0] for code, pdf in zip(paths, pdfs, strict=True)}, seconds,
            fit)


def table(pages: dict[str, int]) -> str:
    lines = ["| procedure | pages before (90f17a6) | before item 7 (729c1f2) | pages after |",
             "|---|---|---|---|"]
    for code in sorted(pages):
        lines.append(f"| {code} | {BEFORE.get(code, '–')} | {BEFORE_FLOWCHARTS.get(code, '–')} "
                     f"| {pages[code]} |")
    before = sum(BEFORE.get(code, 0) for code in pages)
    flow = sum(BEFORE_FLOWCHARTS.get(code, 0) for code in pages)
    lines.append(f"| **total** | **{before}** | **{flow}** | **{sum(pages.values())}** |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the .docx and PDFs in this folder")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        pages, seconds, fit = measure(args.keep)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            pages, seconds, fit = measure(Path(scratch))
    text = table(pages)
    print(text)
    load = os.getloadavg()[0]
    print(f"\nLibreOffice converted {len(pages)} procedures in {seconds:.1f} s (one run); "
          f"flowchart fit {fit:.1f} s; load average {load:.1f}")
    if args.write:
        RESULTS.write_text(
            "# Printed pages of the sample procedures — `python bench/bench_print.py`\n\n"
            "LibreOffice 7.4 on Debian, fonts-noto-cjk. \"before\": main at 90f17a6 (rows never\n"
            "split, fixed column widths, LibreOffice's own substitution of SimSun/SimHei, blank\n"
            "last page after a final table). \"after\": this tree (rows split when long, widths\n"
            "from content, codes and names kept whole, SC font replacement table, no blank\n"
            "page). The page count is not the aim — what is on the pages is — so both are\n"
            "recorded. \"before item 7\": main at 729c1f2, where a flowchart's caption kept\n"
            "with the next heading and the whole chain jumped to a new page; \"after\" also\n"
            "shrinks a flowchart that jumped to the room left on its table's page (not below\n"
            "flowcharts.min_text_points), as `wenkong build --pdf` does.\n\n"
            + text + f"\n\nOne LibreOffice run for {len(pages)} procedures: {seconds:.1f} s; "
            f"the flowchart fit after it (measure, convert again the documents it shrinks a "
            f"chart of): {fit:.1f} s. Load average {load:.1f}.\n",
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
