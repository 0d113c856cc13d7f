"""Benchmark: `wenkong import` of 100 Word documents (target: under a minute).

    python bench/bench_import.py [COUNT]

Makes COUNT .docx files with python-docx from the test corpus's builders (three procedure
styles and a table form, each copy under its own code), starts a new document set, imports
the folder (read, recognise, map, validate in a scratch copy, rebuild every .docx, score,
write) and prints the time, per-stage shares and the fidelity scores. Record the numbers in
bench/RESULTS.md.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from docx import Document
from import_corpus import BUILDERS

from generator.importer.run import import_documents
from generator.scaffold import init_document_set


def _recode(path: Path, old: str, new: str) -> None:
    """Give a copy its own code (and its forms' codes) so that the set holds them all."""
    document = Document(str(path))
    old_digits, new_digits = old.split("-")[1], new.split("-")[1]
    parts = [p for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.extend(cell.paragraphs)
    for section in document.sections:
        parts.extend(section.header.paragraphs)
    for paragraph in parts:
        for run in paragraph.runs:
            if old in run.text or f"QR-{old_digits}" in run.text:
                run.text = run.text.replace(old, new).replace(f"QR-{old_digits}",
                                                              f"QR-{new_digits}")
    document.save(str(path))


def make_folder(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # procedures first in each round, so that a form follows the procedure it belongs to
    kinds = sorted(BUILDERS.items(), key=lambda kv: kv[0].endswith(("表.docx", "单.docx")))
    last_procedure = 30
    for n in range(count):
        name, build = kinds[n % len(kinds)]
        path = folder / f"{n:03d}_{name}"
        expected = build(path)
        code = expected.code
        group = 30 + n
        if code.startswith("QP"):
            _recode(path, code, f"QP-{group}")
            last_procedure = group
        else:
            _recode(path, code, f"QR-{last_procedure}-{n:02d}")
        # titles must be unique across the set as well
        document = Document(str(path))
        renamed = f"{expected.title[:-1]}{n:03d}{expected.title[-1]}"  # still ends in 表/程序
        seen: set[int] = set()  # a merged cell is listed once per grid column it spans
        for paragraph in document.paragraphs + [p for t in document.tables for r in t.rows
                                                for c in r.cells for p in c.paragraphs]:
            if id(paragraph._p) in seen:
                continue
            seen.add(id(paragraph._p))
            for run in paragraph.runs:
                if expected.title in run.text:
                    run.text = run.text.replace(expected.title, renamed)
        document.save(str(path))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "in"
        started = time.perf_counter()
        make_folder(folder, count)
        print(f"made {count} .docx files in {time.perf_counter() - started:.1f} s")
        root = Path(scratch) / "set"
        init_document_set(root, "东湖精工电子有限公司")
        stages: dict[str, float] = {}
        last = [time.perf_counter(), ""]

        def progress(what: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if last[1]:
                stages[str(last[1])] = stages.get(str(last[1]), 0.0) + now - float(last[0])
            last[0], last[1] = now, what

        profile = cProfile.Profile() if "--profile" in sys.argv else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        report = import_documents([folder], root, progress=progress)
        if profile:
            profile.disable()
        elapsed = time.perf_counter() - started
        scores = sorted(r.fidelity for r in report.files if r.fidelity is not None)
        failed = [r for r in report.files if r.error or r.problems]
        print(f"imported {len(report.files)} documents in {elapsed:.1f} s "
              f"({elapsed / max(len(report.files), 1) * 1000:.0f} ms each); "
              f"{len(failed)} with errors or problems")
        if scores:
            print(f"fidelity: min {scores[0]:.3f}, median {scores[len(scores) // 2]:.3f}, "
                  f"max {scores[-1]:.3f} over {len(scores)} documents")
        for what, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
            print(f"  {what}: {seconds:.1f} s")
        for result in failed[:5]:
            print("  problem:", result.source.name, result.error or result.problems[:2])
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
