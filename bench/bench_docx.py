"""Benchmark: Word procedures per document, next to pandoc converting equivalent Markdown.

    python bench/bench_docx.py              # sample set + 200 synthetic procedures
    python bench/bench_docx.py --count 50   # a smaller synthetic set

For each set: our renderer on one core and on every core (process pool), and pandoc converting
the same content (headings, clause paragraphs, lists, tables, process tables and the same
flowchart PNGs) from Markdown to .docx, one pandoc process per document, as many at once as
there are cores. Times are wall-clock per document; resolving the set is measured apart (a
build does it once for all outputs). Record the numbers in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import REPO, make_synthetic_set
from generator.build import BuildOptions
from generator.docset import (
    CheckboxesR,
    ClauseR,
    DocumentSet,
    FormulaR,
    ListR,
    NoteR,
    Paragraph,
    ProcedureDoc,
    ProcessR,
    TableR,
    plain,
)
from generator.render.docx.procedure import FLOWCHART_DPI, render_procedures
from generator.render.flowchart import render_flowchart
from generator.resolve import load_document_set

CORES = os.cpu_count() or 1


# --- equivalent Markdown -------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |",
             "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def _blocks(clause: ClauseR, doc: ProcedureDoc, images: dict[str, Path],
            docset: DocumentSet) -> list[str]:
    out: list[str] = []
    if clause.title:
        out += [f"{'#' * min(clause.depth, 4)} {clause.label} {plain(clause.title)}", ""]
        if clause.text:
            out += [plain(clause.text), ""]
    else:
        out += [f"{clause.label} {plain(clause.text)}", ""]
    for block in clause.blocks:
        if isinstance(block, Paragraph | NoteR):
            out += [plain(block.text), ""]
        elif isinstance(block, ListR):
            out += [f"{e.label} {plain(e.text)}  " for e in block.items] + [""]
        elif isinstance(block, TableR):
            out += _table(list(block.columns), [[plain(c) for c in r] for r in block.rows])
        elif isinstance(block, FormulaR):
            out += [block.as_text, ""]
        elif isinstance(block, CheckboxesR):
            out += [" ".join(("☑" if c else "☐") + t for t, c in block.options), ""]
        elif isinstance(block, ProcessR):
            rows = [[" ".join(plain(i) for i in s.inputs), f"{s.label or ''} {plain(s.name)}",
                     "、".join(s.owner_names), plain(s.key_points),
                     " ".join(plain(d) for d in s.documents),
                     " ".join(plain(o) for o in s.outputs)] for s in block.steps]
            out += _table(["输入", "工作流程", "权责", "重点说明", "支持性文件", "输出"], rows)
            out += [f"![{block.title}]({images[block.id]})", ""]
    for child in clause.children:
        out += _blocks(child, doc, images, docset)
    return out


def markdown(doc: ProcedureDoc, docset: DocumentSet, images: dict[str, Path]) -> str:
    model = doc.model
    lines = [f"% {doc.title}", "", f"# {doc.title}", ""]
    lines += _table(["文件编号", "版本", "编写", "批准", "发行日期"],
                    [[doc.code, doc.version, model.approval.author.name,
                      model.approval.approver.name if model.approval.approver else "",
                      str(model.issue_date or "")]])
    lines += _table(["版本", "修改章节", "修改日期", "修改内容摘要", "修改人"],
                    [[r.version, r.clauses, str(r.date), r.summary, r.author]
                     for r in model.revisions])
    for section in doc.sections:
        lines += [f"# {section.label} {section.title}", ""]
        if section.key == "purpose":
            lines += [plain(doc.purpose), ""]
        elif section.key == "scope":
            lines += [plain(doc.scope), ""]
        elif section.key == "terms":
            lines += [f"{t.label} {t.term}：{plain(t.definition)}" for t in doc.terms] + [""]
        elif section.key == "responsibilities":
            for r in doc.responsibilities:
                lines += [f"{r.label} {r.name}：" + "".join(plain(d) for d in r.duties), ""]
        elif section.key == "procedure":
            for clause in doc.clauses:
                lines += _blocks(clause, doc, images, docset)
        elif section.key == "records":
            lines += _table(["表单编号", "表单名称", "保存部门", "保存期限"],
                            [[r.form.code or "", r.form.title or "", r.custodian.name,
                              r.retention] for r in doc.records])
        elif section.key == "related":
            lines += [f"- {r.ref.text if r.ref else r.title}" for r in doc.related] + [""]
    return "\n".join(lines)


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (pandoc, dot) so far: on a
    shared machine they compare two programs where wall-clock times depend on the load."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


CPU: dict[str, list[float]] = {"ours": [], "pandoc": []}  # CPU seconds per document, by round


def pandoc_per_document(docset: DocumentSet, folder: Path) -> float:
    """Seconds per document for pandoc (Markdown → .docx), one process per document, as many
    processes at once as there are cores. Writing the Markdown and PNGs is not timed (nor
    counted in CPU["pandoc"])."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for doc in docset.procedures.values():
        images = {}
        for process in doc.processes:
            png = folder / f"{doc.model.code}-{process.id}.png"
            png.write_bytes(render_flowchart(process, docset.settings, "png", FLOWCHART_DPI))
            images[process.id] = png
        source = folder / f"{doc.model.code}.md"
        source.write_text(markdown(doc, docset, images), encoding="utf-8")
        sources.append(source)

    def convert(source: Path) -> None:
        subprocess.run(["pandoc", str(source), "-o", str(source.with_suffix(".docx"))],
                       check=True, cwd=folder, capture_output=True)

    started, cpu = time.perf_counter(), cpu_seconds()
    with ThreadPoolExecutor(max_workers=CORES) as pool:
        list(pool.map(convert, sources))
    CPU["pandoc"].append((cpu_seconds() - cpu) / len(sources))
    return (time.perf_counter() - started) / len(sources)


def ours_per_document(docset: DocumentSet, jobs: int) -> float:
    options = BuildOptions(root=docset.root, output=Path("unused"))
    started, cpu = time.perf_counter(), cpu_seconds()
    files = render_procedures(docset, options, jobs=jobs)
    elapsed = time.perf_counter() - started
    assert len(files) == len(docset.procedures)
    if jobs == 1:  # workers' CPU is not counted until the pool is gone: one process only
        CPU["ours"].append((cpu_seconds() - cpu) / len(files))
    return elapsed / len(files)


def measure(root: Path, label: str, scratch: Path, rounds: int) -> None:
    """Our renderer and pandoc in alternating rounds (this machine is shared: the best round
    of each is the fair comparison; the first round also shows the cold start)."""
    started = time.perf_counter()
    docset = load_document_set(root)
    resolve = time.perf_counter() - started
    n = len(docset.procedures)
    results: dict[str, list[float]] = {"one": [], "every": [], "pandoc": []}
    for r in range(rounds):
        results["one"].append(ours_per_document(docset, jobs=1))
        results["every"].append(ours_per_document(docset, jobs=CORES))
        results["pandoc"].append(
            pandoc_per_document(docset, scratch / f"{label.replace(' ', '-')}-{r}"))
    best = {k: min(v) for k, v in results.items()}
    first = {k: v[0] for k, v in results.items()}
    print(f"{label}: {n} procedures (resolve {resolve:.2f} s for all), best of {rounds} rounds "
          "(first round in brackets)")
    print(f"  wenkong docx, 1 core:          {best['one'] * 1000:7.1f} ms/document "
          f"({first['one'] * 1000:.1f})")
    print(f"  wenkong docx, {CORES} processes:     {best['every'] * 1000:7.1f} ms/document "
          f"({first['every'] * 1000:.1f})")
    print(f"  pandoc md→docx, {CORES} at once:   {best['pandoc'] * 1000:7.1f} ms/document "
          f"({first['pandoc'] * 1000:.1f})")
    ours = min(best["one"], best["every"])
    print(f"  ratio wenkong (best) / pandoc: {ours / best['pandoc']:.2f}")
    print(f"  CPU per document: wenkong {min(CPU['ours']) * 1000:.1f} ms, pandoc "
          f"{min(CPU['pandoc']) * 1000:.1f} ms, ratio {min(CPU['ours']) / min(CPU['pandoc']):.2f}")
    for values in CPU.values():
        values.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="synthetic procedures")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per set")
    args = parser.parse_args()
    if shutil.which("pandoc") is None:
        raise SystemExit("pandoc is not installed: apt-get install pandoc")
    version = subprocess.run(["pandoc", "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    print(f"{version}; {CORES} cores")
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        measure(REPO, "sample set", scratch, args.rounds)
        root = make_synthetic_set(scratch / "synthetic", args.count)
        measure(root, f"synthetic {args.count}", scratch, args.rounds)


if __name__ == "__main__":
    main()
