"""Benchmark: how long `validate` (load + model + resolve) takes, cold and on a warm cache.

    python bench/bench_validate.py            # sample set + 1,000 synthetic procedures
    python bench/bench_validate.py 200        # a smaller synthetic set

Per set: the load in this process without a cache, filling an empty cache, and from the warm
cache; then the whole `python -m generator validate` command (start-up included) from the warm
cache. Prints one line per measurement with the load average; record them in bench/RESULTS.md.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import REPO, make_synthetic_set
from generator.cache import CACHE_DIR_VARIABLE, BuildCache
from generator.docset import DocumentSet
from generator.resolve import load_document_set


def load_average() -> str:
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def best(timings: list[tuple[float, float]]) -> str:
    """Wall time (best, median) and the CPU time of the best run: on a shared machine the
    CPU time says more about our code than the wall time."""
    ordered = sorted(timings)
    wall, cpu = ordered[0]
    return (f"best {wall:.3f} s (CPU {cpu:.3f} s), median {ordered[len(ordered) // 2][0]:.3f} s")


def cpu_time() -> float:
    """CPU time of this process and of the children it waited for (workers, subprocesses)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(action: Callable[[], object], repeat: int) -> list[tuple[float, float]]:
    timings = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), cpu_time()
        action()
        timings.append((time.perf_counter() - started, cpu_time() - cpu))
    return timings


def measure(root: Path, label: str, repeat: int = 3) -> None:
    folder = Path(tempfile.mkdtemp(prefix="wenkong-bench-cache-"))
    try:
        docset: DocumentSet = load_document_set(root, cache=False)
        clauses = sum(len(p.all_clauses()) for p in docset.procedures.values())
        print(f"{label}: {len(docset.procedures)} procedures, {len(docset.forms)} forms, "
              f"{clauses} clauses ({load_average()})")
        cold = timed(lambda: load_document_set(root, cache=False), repeat)
        print(f"  load, no cache: {best(cold)}")

        def fill() -> None:
            shutil.rmtree(folder, ignore_errors=True)
            load_document_set(root, cache=BuildCache(folder))

        print(f"  load, filling an empty cache: {best(timed(fill, repeat))}")
        warm = timed(lambda: load_document_set(root, cache=BuildCache(folder)), repeat)
        print(f"  load, warm cache: {best(warm)}")
        environment = {**os.environ, CACHE_DIR_VARIABLE: str(folder),
                       "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "generator", "validate", str(root)]

        def run() -> None:
            subprocess.run(command, env=environment, check=True, stdout=subprocess.DEVNULL)

        print(f"  `python -m generator validate`, warm cache: {best(timed(run, repeat))} "
              f"({load_average()})")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    measure(REPO, "sample set")
    with tempfile.TemporaryDirectory() as folder:
        root = make_synthetic_set(Path(folder) / "set", count)
        measure(root, f"synthetic {count:,}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
