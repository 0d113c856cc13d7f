"""Benchmark: the same site built by mkdocs + Material and by Zensical, side by side.

    python bench/bench_site_engines.py                    # sample set + synthetic 100
    python bench/bench_site_engines.py --no-sample --sizes 1000

For each set, once: the Markdown pages (`site_content`: our page generation, shared by both
engines). Then for each engine, timed separately:
- cold: the engine alone (`engine.build_site` / `zensical.build_site`: docs folder written, site
  built, files read back) on the same pages;
- after one edit: one clause of one procedure changed, the pages generated again, and
  - mkdocs: a full build again (today's path);
  - Zensical, full: `zensical.build_site` again (Wenkong's path: always a fresh folder);
  - Zensical, differential: the same work folder as a first build, only the changed pages
    rewritten, Zensical's own cache kept (what Zensical offers when its folder is kept);
  - mkdocs + page cache: Wenkong's incremental site (BuildCache filled by a first build), our
    page generation included.
Wall and CPU time (CPU counts every process: mkdocs forks workers, Zensical runs in its own
process). Synthetic sets have no .docx downloads; the sample set's .docx are not bundled either
(both engines copy them the same way). Prints one line per measurement; the machine's load
average is printed beside each, as the numbers depend on it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from bench.synthetic import make_synthetic_set  # noqa: E402
from generator.cache import BuildCache  # noqa: E402
from generator.render.site import _epoch, site_content, zensical  # noqa: E402
from generator.render.site import engine as mkdocs_engine  # noqa: E402
from generator.resolve import load_document_set  # noqa: E402

# without wenkong.lock: the edit below changes a released procedure, which the lock refuses
SAMPLE_SET = ("wenkong.yaml", "roles.yaml", "mkdocs.yml", "procedures", "forms", "registers",
              "templates", "site")


def cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, action: Callable[[], Any]) -> Any:
    started, cpu = time.perf_counter(), cpu_seconds()
    result = action()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    load = os.getloadavg()[0]
    extra = ""
    if isinstance(result, dict):
        html = sum(1 for path in result if path.endswith(".html"))
        extra = f"  {html} HTML pages, {sum(map(len, result.values())) / 1e6:.1f} MB"
    print(f"  {label:<44} {seconds:6.1f} s (cpu {cpu:6.1f} s, load {load:4.1f}){extra}",
          flush=True)
    return result


def edit_one_clause(root: Path) -> None:
    """Change the text of one clause of the first procedure (as a writer would)."""
    path = sorted((root / "procedures").glob("*.yaml"))[0]
    text = path.read_text("utf-8")
    for marker in ("应", "须", "的"):
        if marker in text:
            path.write_text(text.replace(marker, marker + "（已修订）", 1), "utf-8")
            return
    raise SystemExit(f"{path}: nothing to edit")


def measure(root: Path, label: str, full: bool = True) -> None:
    print(f"{label}:", flush=True)
    docset = timed("load + resolve", lambda: load_document_set(root))
    content = timed("our Markdown pages (site_content)", lambda: site_content(docset, {}))
    company = docset.settings.company.site_title_name
    epoch = _epoch(docset)
    files = {**content.pages, **content.files}
    args = (root, company, files, content.nav, content.omitted, epoch)
    if full:
        material = timed("mkdocs + Material, cold", lambda: mkdocs_engine.build_site(*args))
        built = timed("Zensical, cold", lambda: zensical.build_site(*args))
        same = {p for p in material if p.endswith(".html")} == {p for p in built
                                                               if p.endswith(".html")}
        print(f"  same HTML pages: {same}", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-zensical-") as temporary:
        work = Path(temporary)

        def differential(pages: dict[str, bytes], nav: list[Any], omitted: list[str]) -> None:
            mkdocs_engine.write_docs(work / "docs", mkdocs_engine.docs_folder(root, pages))
            zensical.run(work, zensical.site_config(root, company, nav, omitted, work), epoch)

        cache = BuildCache(work / "cache")

        def incremental(docset: Any) -> dict[str, bytes]:
            cached = site_content(docset, {}, cache)
            return mkdocs_engine.build_site(root, company, {**cached.pages, **cached.files},
                                            cached.nav, cached.omitted, epoch, cache)

        timed("Zensical, first build in a kept folder",
              lambda: differential(files, content.nav, content.omitted))
        timed("mkdocs + page cache, first build (pages too)", lambda: incremental(docset))
        edit_one_clause(root)
        docset = timed("after one edit: load + resolve", lambda: load_document_set(root))
        content = timed("after one edit: our Markdown pages", lambda: site_content(docset, {}))
        files = {**content.pages, **content.files}
        args = (root, company, files, content.nav, content.omitted, epoch)
        if full:
            timed("after one edit: mkdocs + Material (full)",
                  lambda: mkdocs_engine.build_site(*args))
            timed("after one edit: Zensical, full", lambda: zensical.build_site(*args))
        timed("after one edit: Zensical, differential",
              lambda: differential(files, content.nav, content.omitted))
        timed("after one edit: mkdocs + page cache (pages too)", lambda: incremental(docset))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100])
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--incremental-only", action="store_true",
                        help="skip the cold and full builds: first builds and after one edit only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as temporary:
        folder = Path(temporary)
        if not args.no_sample:
            import shutil

            sample = folder / "sample"
            sample.mkdir()
            for name in SAMPLE_SET:
                source = REPO / name
                if source.is_dir():
                    shutil.copytree(source, sample / name)
                elif source.is_file():
                    shutil.copy(source, sample / name)
            measure(sample, "sample set", not args.incremental_only)
        for size in args.sizes:
            measure(make_synthetic_set(folder / f"synthetic-{size}", size),
                    f"synthetic {size} + {size}", not args.incremental_only)


if __name__ == "__main__":
    main()
