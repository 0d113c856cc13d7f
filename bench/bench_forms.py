"""Benchmark: render every blank form of a document set, and import many filled forms.

    python bench/bench_forms.py [DOCSET] [--copies N]

Prints numbers; asserts nothing. The import half fills the fixture form QR-01-01 N times with
different 编号 and imports the folder in one batch (read, validate, write JSON + register).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from forms_support import fill  # noqa: E402

from generator.build import BuildOptions  # noqa: E402
from generator.records import import_records  # noqa: E402
from generator.render.docx.form import FormLabels, render_form, render_forms  # noqa: E402
from generator.resolve import load_document_set  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "forms" / "set"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root", nargs="?", type=Path, default=REPO)
    parser.add_argument("--copies", type=int, default=300)
    args = parser.parse_args()

    docset = load_document_set(args.root)
    options = BuildOptions(root=args.root, output=args.root)
    render_forms(docset, options)  # warm up imports
    start = time.perf_counter()
    files = render_forms(docset, options)
    took = time.perf_counter() - start
    tracemalloc.start()  # a second run for memory: tracing slows Python down several times
    render_forms(docset, options)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = sum(len(v) for v in files.values())
    print(f"render: {len(files)} blank forms in {took:.2f} s "
          f"({1000 * took / max(len(files), 1):.1f} ms each), {size / 1024:.0f} KiB, "
          f"peak Python memory {peak / 2**20:.1f} MiB")

    fixture = load_document_set(FIXTURE)
    blank = render_form(fixture, fixture.forms["QR-01-01"], FormLabels())
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        start = time.perf_counter()
        for n in range(args.copies):
            (inbox / f"{n:05d}.docx").write_bytes(fill(blank, {
                "wenkong:serial": f"2026-{n:05d}", "customer": f"顾客{n}",
                "visit-date": "2026-11-20", "satisfaction=满意": True,
                "filled-by": "李娜", "filled-by.date": "2026-11-21",
                "problems.product#1": "主轴", "opinion": "无"}))
        made = time.perf_counter() - start
        start = time.perf_counter()
        result = import_records([inbox], fixture, Path(tmp) / "records")
        took = time.perf_counter() - start
        tracemalloc.start()
        import_records([inbox], fixture, Path(tmp) / "records-memory")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"fill: {args.copies} filled forms in {made:.2f} s")
        print(f"import: {len(result.added)} records in {took:.2f} s "
              f"({1000 * took / args.copies:.1f} ms each), peak Python memory "
              f"{peak / 2**20:.1f} MiB")
        start = time.perf_counter()
        again = import_records([inbox], fixture, Path(tmp) / "records")
        print(f"re-import (nothing new): {len(again.unchanged)} unchanged in "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
