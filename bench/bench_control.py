"""Benchmark: what document control costs (lock check in validate, release, diff, rebuild).

    python bench/bench_control.py             # sample set + 1,000 synthetic procedures

Prints one line per measurement. The sets are copied into temporary git repositories; the
sample set itself is not touched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import REPO, make_synthetic_set
from generator.control.diff import compare
from generator.control.rebuild import rebuild_version
from generator.control.release import adopt, release
from generator.resolve import load_document_set

ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com"}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=ENV, capture_output=True)


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def best(action: Callable[[], object], repeat: int = 3) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def measure(root: Path, label: str, code: str, old_text: str, new_text: str) -> None:
    git(root, "init", "-q")
    commit(root, "start")
    started = time.perf_counter()
    adopted = adopt(root)
    size = (root / "wenkong.lock").stat().st_size / 1024
    print(f"{label}: lock --adopt of {len(adopted)} documents: "
          f"{time.perf_counter() - started:.2f} s, lock {size:.0f} KiB")
    commit(root, "lock")
    without = best(lambda: load_document_set(root, check_lock=False))
    with_lock = best(lambda: load_document_set(root))
    print(f"{label}: validate {without:.3f} s without the lock check, {with_lock:.3f} s with it "
          f"(+{(with_lock - without) * 1000:.0f} ms)")
    path = root / "procedures" / f"{code}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old_text, new_text, 1),
                    encoding="utf-8")
    started = time.perf_counter()
    result = release(root, code, summary="基准测试修改", approved_by="gm/王总",
                     date=dt.date(2026, 11, 23))
    print(f"{label}: release {code} → {result.version}: {time.perf_counter() - started:.2f} s")
    commit(root, "release")
    old_version = result.previous or ""
    print(f"{label}: diff {old_version} {result.version} (from git): "
          f"{best(lambda: compare(root, code, old_version, result.version), 1):.2f} s")
    print(f"{label}: rebuild {code}@{result.version} (.docx from git): "
          f"{best(lambda: rebuild_version(root, code, result.version), 1):.2f} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "sample"
        sample.mkdir()
        for name in ("wenkong.yaml", "roles.yaml", "procedures", "forms", "templates"):
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, sample / name)
            elif source.exists():
                shutil.copy(source, sample / name)
        measure(sample, "sample set", "QP-01", "2个工作日内完成发布", "1个工作日内完成发布")
    with tempfile.TemporaryDirectory() as folder:
        root = make_synthetic_set(Path(folder) / "set", 1000)
        for form in (root / "forms").glob("*.yaml"):  # synthetic forms carry no history
            data = yaml.safe_load(form.read_text(encoding="utf-8"))
            data["revisions"] = [{"version": "A/0", "date": "2026-01-05", "summary": "首次发行",
                                  "author": "张工"}]
            form.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
        measure(root, "synthetic 1,000", "QP-0500", "核对来源信息；", "核对来源和批次信息；")


if __name__ == "__main__":
    main()
