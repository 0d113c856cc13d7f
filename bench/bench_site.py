"""Benchmark of the site renderer: build time and site size, sample set and synthetic sets.

    python bench/bench_site.py                 # sample set + synthetic 100, 250, 500, 1000
    python bench/bench_site.py --sizes 1000    # only the synthetic set of 1,000 procedures

For the sample set the .docx are rendered first (their time is not counted) so the site's size
includes its downloads; synthetic sets are built without downloads, which the Word renderers'
own benchmarks cover. Prints one line per set; "per procedure" columns show whether the site
grows linearly (target: flat) and the build stays within 30 s at 1,000 procedures.
"""

from __future__ import annotations

import argparse
import os
import resource
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
from generator.render.site import pages, render_site  # noqa: E402
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
    args = parser.parse_args()
    pages.NAV_GROUP = args.nav_group
    if not args.no_sample:
        measure(REPO, "sample set", with_downloads=True)
    with tempfile.TemporaryDirectory(prefix="wenkong-bench-site-") as temporary:
        for size in args.sizes:
            root = make_synthetic_set(Path(temporary) / f"set-{size}", size)
            measure(root, f"synthetic {size}", with_downloads=False)


if __name__ == "__main__":
    main()
