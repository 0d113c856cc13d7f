"""Benchmark: how long `validate` (load + model + resolve) takes.

    python bench/bench_validate.py            # sample set + 1,000 synthetic procedures

Prints one line per set; record the numbers in bench/RESULTS.md.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import REPO, make_synthetic_set
from generator.resolve import load_document_set


def measure(root: Path, label: str, repeat: int = 3) -> None:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        docset = load_document_set(root)
        timings.append(time.perf_counter() - started)
    clauses = sum(len(p.all_clauses()) for p in docset.procedures.values())
    print(f"{label}: {len(docset.procedures)} procedures, {len(docset.forms)} forms, "
          f"{clauses} clauses: best {min(timings):.3f} s, median {sorted(timings)[1]:.3f} s")


def main() -> None:
    measure(REPO, "sample set")
    with tempfile.TemporaryDirectory() as folder:
        root = make_synthetic_set(Path(folder) / "set", 1000)
        measure(root, "synthetic 1,000")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
