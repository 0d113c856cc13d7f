"""Benchmark of the site renderer: build time and site size, sample set and synthetic sets.

    python bench/bench_site.py                 # sample set + synthetic 100, 250, 500, 1000
    python bench/bench_site.py --sizes 1000    # only the synthetic set of 1,000 procedures
    python bench/bench_site.py --edit --sizes 1000   # cold / warm / after one clause edit,
                                                     # through the build cache

`measure_edit(root, cache_folder)` is the importable form of `--edit` (for bench_scale.py).

For the sample set the .docx are rendered first (their time is not counted) so the site's size
includes its downloads; synthetic sets are built without downloads, which the Word renderers'
own benchmarks cover. Prints one line per set; "per procedure" columns show whether the site
grows linearly (target: flat) and the build stays within 30 s at 1,000 procedures.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")

from bench.synthetic import make_synthetic_set  # noqa: E402
from generator.build import BuildOptions, renderers  # noqa: E402
from generator.cache import BuildCache  # noqa: E402
from generator.render.site import pagecache, pages, render_site  # noqa: E402
from generator.resolve import load_document_set  # noqa: E402


def measure(root: Path, label: str, with_downloads: bool) -> None:
    docset = load_document_set(root)
    rendered: dict[str, bytes] = {}
    options = BuildOptions(root=root, output=root / "build")
    if with_downloads:
        for name, render in renderers().items():
            if name != "site":
                rendered.update(render(docset, options))
    started, cpu = time.perf_counter(), cpu_seconds()
    files = render_site(docset, BuildOptions(root=root, output=root / "build",
                                             rendered=rendered))
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    report(label, len(docset.procedures), seconds, cpu, files)


EDIT = ("责任部门应在24小时内处理", "责任部门应在36小时内处理")


def _site_once(root: Path, cache: BuildCache) -> tuple[float, float, float, dict[str, bytes]]:
    """Load (through `cache`) and render the site once: load seconds, site seconds, CPU."""
    started, cpu = time.perf_counter(), cpu_seconds()
    docset = load_document_set(root, cache=cache)
    loaded = time.perf_counter()
    files = render_site(docset, BuildOptions(root=root, output=root / "build", cache=cache))
    return loaded - started, time.perf_counter() - loaded, cpu_seconds() - cpu, files


def measure_edit(root: Path, cache_folder: Path, source: Path | None = None,
                 check: bool = True, edit: tuple[str, str] = EDIT) -> dict[str, object]:
    """The site through the build cache (generator/render/site/pagecache.py): a cold build
    that fills `cache_folder`, a warm one with nothing changed, and one after a clause of
    `source` (default: the middle procedure of a synthetic set) was edited; with `check`, the
    last is compared byte for byte with a build without cache. Seconds are wall time of
    `render_site` (the load through the same cache is given apart); the pages counts are
    `pagecache.stats` (built again / taken from the cache). The edit is undone at the end."""
    procedures = sorted((root / "procedures").glob("*.yaml"))
    source = source or procedures[len(procedures) // 2]
    text = source.read_text("utf-8")
    if edit[0] not in text:
        raise SystemExit(f"{source}: no clause to edit ({edit[0]})")
    cache = BuildCache(cache_folder)
    result: dict[str, object] = {"load average": os.getloadavg()[0]}
    try:
        for label in ("cold", "warm", "after one edit"):
            if label == "after one edit":
                source.write_text(text.replace(edit[0], edit[1], 1), "utf-8")
            load, seconds, cpu, files = _site_once(root, cache)
            result[label] = {"site s": round(seconds, 2), "cpu s": round(cpu, 2),
                             "load s": round(load, 2), **pagecache.stats}
        if check:
            cold = _site_once(root, BuildCache(None))[3]
            result["identical to a cold build"] = cold == files
    finally:
        source.write_text(text, "utf-8")
    result["load average after"] = os.getloadavg()[0]
    return result


def copy_sample(folder: Path) -> Path:
    """A copy of the sample set (its sources only), to edit."""
    folder.mkdir(parents=True)
    for name in ("wenkong.yaml", "roles.yaml", "wenkong.lock", "mkdocs.yml"):
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, folder / name)
    for name in ("procedures", "forms", "templates", "registers", "site"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, folder / name)
    return folder


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the site build forks workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def report(label: str, procedures: int, seconds: float, cpu: float,
           files: Mapping[str, bytes]) -> None:
    total = sum(len(data) for data in files.values())
    html = {path: data for path, data in files.items() if path.endswith(".html")}
    html_bytes = sum(len(data) for data in html.values())
    pages = [data for path, data in html.items() if "/procedures/QP-" in path]
    largest = max((len(data) for data in pages), default=0)
    index = next((len(d) for p, d in files.items() if p.endswith("search/search_index.json")), 0)
    downloads = sum(len(d) for p, d in files.items() if "/downloads/" in p)
    # CPU time (all processes) as well as wall time: on a shared machine the wall clock
    # depends on the load; wall < CPU means the build used several cores.
    print(f"{label:<22} {procedures:>5} procedures  {seconds:6.1f} s (cpu {cpu:6.1f} s)  "
          f"{seconds / procedures * 1000:6.1f} ms/proc  site {total / 1e6:7.1f} MB "
          f"(downloads {downloads / 1e6:5.1f} MB, html {html_bytes / 1e6:6.1f} MB, "
          f"search {index / 1e6:5.1f} MB)  html/proc {html_bytes / procedures / 1e3:6.1f} kB  "
          f"largest procedure page {largest / 1e3:5.1f} kB", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 250, 500, 1000])
    parser.add_argument("--no-sample", action="store_true")
    parser.add_argument("--nav-group", type=int, default=pages.NAV_GROUP,
                        help="documents per navigation group (to compare settings)")
    parser.add_argument("--edit", action="store_true",
                        help="cold / warm / after one clause edit through the build cache")
    args = parser.parse_args()
    pages.NAV_GROUP = args.nav_group
    if args.edit:
        with tempfile.TemporaryDirectory(prefix="wenkong-bench-site-") as temporary:
            if not args.no_sample:
                sample = copy_sample(Path(temporary) / "sample")
                print("sample set", measure_edit(
                    sample, Path(temporary) / "cache-sample", sample / "procedures" / "QP-17.yaml",
                    edit=("1个工作日内转交技术部", "2个工作日内转交技术部")), flush=True)
            for size in args.sizes:
                root = make_synthetic_set(Path(temporary) / f"set-{size}", size)
                print(f"synthetic {size}", measure_edit(root, Path(temporary) / f"cache-{size}"),
                      flush=True)
        return
    if not args.no_sample:
        measure(REPO, "sample set", with_downloads=True)
    with tempfile.TemporaryDirectory(prefix="wenkong-bench-site-") as temporary:
        for size in args.sizes:
            root = make_synthetic_set(Path(temporary) / f"set-{size}", size)
            measure(root, f"synthetic {size}", with_downloads=False)


if __name__ == "__main__":
    main()
