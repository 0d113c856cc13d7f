"""Benchmark: flowchart drawing (graphviz) and PDF conversion (LibreOffice, one call).

    python bench/bench_flowchart_pdf.py              # flowcharts + PDF of 1, 10, 50 files
    python bench/bench_flowchart_pdf.py --files 200  # another PDF batch size

Prints one line per measurement; record the numbers in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document
from docx.enum.text import WD_BREAK

from generator.render.docx.ooxml import set_a4, set_fonts
from generator.render.flowchart import flowchart_dot, render_dot, render_flowchart, wrap
from generator.render.pdf import convert_to_pdf
from generator.resolve import load_document_set

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "flowchart"


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return timings


def report(label: str, timings: list[float]) -> None:
    print(f"{label}: median {statistics.median(timings) * 1000:.1f} ms, "
          f"best {min(timings) * 1000:.1f} ms ({len(timings)} runs)")


def bench_flowcharts(repeat: int) -> None:
    docset = load_document_set(FIXTURE)
    (process,) = docset.procedures["QP-01"].processes
    settings = docset.settings
    started = time.perf_counter()
    wrap("预热分词词典", 24)  # jieba loads its dictionary once per process
    print(f"jieba dictionary load (once per process): {time.perf_counter() - started:.2f} s")
    print(f"flowchart of {len(process.steps)} steps ({process.id}):")
    report("  DOT text", timed(lambda: flowchart_dot(process, settings), repeat))

    def uncached(fmt: str) -> Callable[[], object]:
        def draw() -> object:
            render_dot.cache_clear()
            return render_flowchart(process, settings, fmt)  # type: ignore[arg-type]
        return draw

    report("  DOT → PNG 200 dpi (graphviz run)", timed(uncached("png"), repeat))
    report("  DOT → SVG (graphviz run)", timed(uncached("svg"), repeat))
    render_flowchart(process, settings, "png")
    report("  PNG again (cached)", timed(lambda: render_flowchart(process, settings, "png"),
                                         repeat))


def word_files(folder: Path, count: int) -> list[Path]:
    files = []
    for n in range(count):
        document = Document()
        set_a4(document)
        for page in range(3):
            for line in range(20):
                run = document.add_paragraph().add_run(
                    f"第{n + 1}号文件第{page + 1}页第{line + 1}行："
                    "顾客反馈的接收、登记、原因分析与纠正措施。")
                set_fonts(run._r, "Noto Serif CJK SC", "Times New Roman")
            if page < 2:
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        path = folder / f"QP-{n + 1:03d}_A-0_测试文件.docx"
        document.save(str(path))
        files.append(path)
    return files


def bench_pdf(counts: list[int]) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        sources = word_files(folder, max(counts))
        for count in counts:
            started = time.perf_counter()
            convert_to_pdf(sources[:count], folder / f"out-{count}")
            took = time.perf_counter() - started
            print(f"soffice, {count} file(s) of 3 pages in one call: {took:.2f} s "
                  f"({took / count:.2f} s per file)")
        started = time.perf_counter()
        for source in sources[:5]:
            convert_to_pdf([source], folder / "one-by-one")
        took = time.perf_counter() - started
        print(f"soffice, 5 files one call each (what we avoid): {took:.2f} s "
              f"({took / 5:.2f} s per file)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, nargs="*", default=[1, 10, 50])
    parser.add_argument("--repeat", type=int, default=10)
    arguments = parser.parse_args()
    bench_flowcharts(arguments.repeat)
    bench_pdf(arguments.files)


if __name__ == "__main__":
    main()
