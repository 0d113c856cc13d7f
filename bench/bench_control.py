"""Benchmark: what document control costs (lock check in validate, release, diff, rebuild).

    python bench/bench_control.py             # sample set + 1,000 synthetic procedures
    python bench/bench_control.py 200         # sample set + 200 synthetic procedures

Prints one line per measurement. The sets are copied into temporary git repositories; the
sample set itself is not touched. Release, diff and rebuild each run in a fresh process (as a
command does), on a warm load cache (the set was validated once before, as after any build);
the time is the command's own work, interpreter start-up excluded.

For bench/bench_scale.py: `one_document(count)` returns the three times for the synthetic set
of `count` procedures + `count` forms, as a dict {"release": s, "diff": s, "rebuild": s, ...}.
"""

from __future__ import annotations

import json
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
from generator.cache import CACHE_DIR, CACHE_DIR_VARIABLE

ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@example.com",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@example.com"}
ENV.pop(CACHE_DIR_VARIABLE, None)  # each set keeps its cache in its own .wenkong-cache/

# One operation, run by a fresh interpreter: prints {"seconds": …, "result": …} as JSON.
_STEP = """
import datetime as dt, json, resource, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
root, code, step, old, new = Path({root!r}), {code!r}, {step!r}, {old!r}, {new!r}
def cpu():
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
started, started_cpu = time.perf_counter(), cpu()
if step == "release":
    from generator.control.release import release
    result = release(root, code, summary="基准测试修改", approved_by="gm/王总",
                     date=dt.date(2026, 11, 23))
    out = [result.previous, result.version]
elif step == "diff":
    from generator.control.diff import compare
    out = len(compare(root, code, old, new).changes)
elif step == "rebuild":
    from generator.control.rebuild import rebuild_version
    out = len(rebuild_version(root, code, new)[1])
elif step == "adopt":
    from generator.control.release import adopt
    out = len(adopt(root))
else:
    from generator.resolve import load_document_set
    out = len(load_document_set(root, check_lock=step == "validate").procedures)
print(json.dumps({{"seconds": time.perf_counter() - started, "cpu": cpu() - started_cpu,
                  "result": out}}))
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, env=ENV, capture_output=True)


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def step(root: Path, name: str, code: str = "", old: str = "", new: str = ""
         ) -> tuple[float, object]:
    """Run one operation in a fresh process: (seconds of its own work, its result). The CPU
    seconds (its own and its children's: git, Graphviz) go to CPU[name]: on a shared machine
    they say what the wall time would be on a quiet one."""
    script = _STEP.format(repo=str(REPO), root=str(root), code=code, step=name, old=old,
                          new=new)
    done = subprocess.run([sys.executable, "-c", script], check=True, env=ENV,
                          capture_output=True, text=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    CPU[name] = min(CPU.get(name, float("inf")), float(found["cpu"]))
    return float(found["seconds"]), found["result"]


CPU: dict[str, float] = {}


def best(action: Callable[[], float], repeat: int = 3) -> float:
    return min(action() for _ in range(repeat))


def prepare(root: Path) -> None:
    """A git repository of the set with its releases adopted into a lock, cache ignored."""
    (root / ".gitignore").write_text(f"{CACHE_DIR}/\n", encoding="utf-8")
    git(root, "init", "-q")
    commit(root, "start")


def measure(root: Path, code: str, old_text: str, new_text: str, *,
            repeat: int = 1) -> dict[str, float]:
    """Lock the set, validate it (warm cache), change one clause of `code`, then release,
    commit, diff and rebuild it; seconds per operation (the best of `repeat` for the
    read-only ones)."""
    times: dict[str, float] = {}
    prepare(root)
    times["adopt"], _adopted = step(root, "adopt")
    times["lock_kib"] = (root / "wenkong.lock").stat().st_size / 1024
    commit(root, "lock")
    step(root, "load")  # fills the load cache, as any earlier command or build did
    times["validate_without_lock"] = best(lambda: step(root, "load")[0], repeat)
    times["validate"] = best(lambda: step(root, "validate")[0], repeat)
    path = root / "procedures" / f"{code}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(old_text, new_text, 1),
                    encoding="utf-8")
    times["release"], versions = step(root, "release", code)
    assert isinstance(versions, list)
    commit(root, "release")
    old_version, new_version = str(versions[0]), str(versions[1])
    times["diff"] = best(lambda: step(root, "diff", code, old_version, new_version)[0], repeat)
    times["rebuild"] = best(lambda: step(root, "rebuild", code, "", new_version)[0], repeat)
    for name in ("release", "diff", "rebuild"):
        times[f"{name}_cpu"] = CPU.pop(name)
    times["load_average"] = os.getloadavg()[0]
    return times


def synthetic(folder: Path, count: int) -> Path:
    root = make_synthetic_set(folder / "set", count)
    for form in (root / "forms").glob("*.yaml"):  # synthetic forms carry no history
        data = yaml.safe_load(form.read_text(encoding="utf-8"))
        data["revisions"] = [{"version": "A/0", "date": "2026-01-05", "summary": "首次发行",
                              "author": "张工"}]
        form.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    return root


def one_document(count: int = 1000, repeat: int = 1) -> dict[str, float]:
    """Release, diff and rebuild of one procedure of the synthetic set of `count` procedures
    and `count` forms: seconds each (fresh process, warm load cache) and their CPU seconds
    (`release_cpu` …), plus `adopt`, `validate`, `validate_without_lock`, `lock_kib` and the
    `load_average` at the end."""
    with tempfile.TemporaryDirectory() as folder:
        root = synthetic(Path(folder), count)
        return measure(root, f"QP-{count // 2:04d}", "核对来源信息；", "核对来源和批次信息；",
                       repeat=repeat)


def sample_set() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "sample"
        sample.mkdir()
        for name in ("wenkong.yaml", "roles.yaml", "procedures", "forms", "templates"):
            source = REPO / name
            if source.is_dir():
                shutil.copytree(source, sample / name)
            elif source.exists():
                shutil.copy(source, sample / name)
        return measure(sample, "QP-01", "2个工作日内完成发布", "1个工作日内完成发布", repeat=3)


def report(label: str, times: dict[str, float]) -> None:
    print(f"{label}: lock --adopt {times['adopt']:.2f} s (lock {times['lock_kib']:.0f} KiB); "
          f"validate {times['validate_without_lock']:.2f} s without the lock check, "
          f"{times['validate']:.2f} s with it; release {times['release']:.2f} s "
          f"(CPU {times['release_cpu']:.2f} s); diff {times['diff']:.2f} s "
          f"(CPU {times['diff_cpu']:.2f} s); rebuild {times['rebuild']:.2f} s "
          f"(CPU {times['rebuild_cpu']:.2f} s); load average {times['load_average']:.1f}",
          flush=True)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    started = time.perf_counter()
    report("sample set", sample_set())
    report(f"synthetic {count:,}", one_document(count))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
