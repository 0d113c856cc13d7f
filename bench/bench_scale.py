"""Benchmark: issue 13's table ("fast at any size"), every row in one run, side by side.

    python bench/bench_scale.py                 # the synthetic 1,000 + 1,000 set
    python bench/bench_scale.py --large         # and 5,000 + 5,000 (outputs alone not built there)
    python bench/bench_scale.py --sizes 100,200 --print-only   # a quick try, nothing recorded

For each size, on a synthetic set (bench/synthetic.py: n procedures + n forms), every number
is the wall-clock time of the real command (`python -m generator ...`, start-up included) as a
user runs it:
- cold full build (`build --no-cache`), with the peak memory of the build and its workers;
- each output alone (`--only procedures`, `forms`, `site`, cold);
- build after one clause of one procedure changed, on the cache of the previous build (in the
  set's .wenkong-cache): Word outputs only, then everything with the site;
- release, diff and rebuild of one procedure, as bench/bench_control.py measures them (in a git
  repository with a lock; CPU seconds beside: what the time would be on a quiet machine);
- .docx per procedure against pandoc converting the same content (bench/bench_docx.py), on
  `--docx-count` procedures, best of `--rounds` alternating rounds.
Peak memory: the largest sum of the resident set sizes (RSS) of the build process and all its
children at one time, sampled every 0.2 s; PSS beside it (sampled every second) counts pages
the forked workers share with their parent once.

With more than one size, a last column gives each row's growth from the smallest size to the
largest (×5.1 for five times the documents: linear). Above `ALONE_UP_TO` documents the outputs
are not built alone (three more cold builds that add nothing to the growth the cold build
shows): at 5,000 + 5,000 that saves more time than any other row takes.

The table goes into bench/RESULTS.md (section "Fast at any size (issue 13)") with the date,
the machine and its load average, unless --print-only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.synthetic import REPO, make_synthetic_set

RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Fast at any size (issue 13)"
CODE = "QP-{n:04d}"  # the procedure edited, released, compared and rebuilt: the middle one
EDITS = (("核对来源信息；", "核对来源和批次信息；"), ("确认处理期限；", "确认处理期限和责任人；"))
ALONE_UP_TO = 1000  # above this many documents, the outputs are not built alone
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
PAGE = os.sysconf("SC_PAGE_SIZE")


def say(text: str) -> None:
    print(text, flush=True)


# --- memory of a process tree ------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as stream:
                found.extend(int(c) for c in stream.read().split())
        except OSError:
            continue
    return found


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(_children(current))
    return pids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as stream:
            return int(stream.read().split()[1]) * PAGE
    except (OSError, ValueError, IndexError):
        return 0  # gone


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as stream:
            for line in stream:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


class PeakMemory:
    """Samples a process tree until stopped; keeps the largest total RSS and PSS seen. RSS is
    read every 0.2 s; PSS (the kernel walks every page for it: it costs CPU the build would
    use) every 5th time."""

    def __init__(self, pid: int, interval: float = 0.2, pss_every: int = 5) -> None:
        self.pid, self.interval, self.pss_every = pid, interval, pss_every
        self.rss = self.pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        count = 0
        while not self._stop.is_set():
            pids = _tree(self.pid)
            self.rss = max(self.rss, sum(_rss(p) for p in pids))
            if count % self.pss_every == 0:
                self.pss = max(self.pss, sum(_pss(p) for p in pids))
            count += 1
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Run:
    seconds: float
    rss: int = 0
    pss: int = 0
    output: str = ""


def run(argv: list[str], memory: bool = False) -> Run:
    """Run `argv`, timed (with its tree's peak memory when asked); exits with its output when
    it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sampler = PeakMemory(process.pid) if memory else None
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    if sampler is not None:
        sampler.stop()
    text = output.decode("utf-8", "replace")
    if process.returncode != 0:
        raise SystemExit(f"failed ({process.returncode}): {' '.join(argv)}\n{text}")
    return Run(seconds, sampler.rss if sampler else 0, sampler.pss if sampler else 0, text)


def wenkong(*args: str, memory: bool = False) -> Run:
    """`python -m generator ARGS`, as a user runs it."""
    return run([sys.executable, "-m", "generator", *args], memory)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- one size ------------------------------------------------------------------------------


@dataclass
class Size:
    n: int
    rows: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    memory: tuple[int, int] = (0, 0)
    # the numbers of each row, in the order it shows them: what the growth column divides
    values: dict[str, tuple[float, ...]] = field(default_factory=dict)


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def measure_builds(root: Path, scratch: Path, result: Size) -> None:
    n = result.n
    out = scratch / "out"

    def build(label: str, *extra: str, memory: bool = False) -> Run:
        say(f"  [{n}] {label} ...")
        done = wenkong("build", str(root), "-o", str(out), *extra, memory=memory)
        say(f"  [{n}] {label}: {done.seconds:.1f} s"
            + (f", peak RSS {mib(done.rss)} (PSS {mib(done.pss)})" if memory else ""))
        result.seconds[label] = done.seconds
        return done

    cold = build("cold full build", "--no-cache", memory=True)
    result.memory = (cold.rss, cold.pss)
    result.rows["cold"] = f"{cold.seconds:.1f} s"
    result.values["cold"] = (cold.seconds,)
    result.values["memory"] = (cold.rss, cold.pss)
    if n <= ALONE_UP_TO:
        alone = {}
        for what in ("procedures", "forms", "site"):
            alone[what] = build(f"{what} alone", "--no-cache", "--only", what).seconds
        result.rows["alone"] = " / ".join(f"{alone[w]:.1f}" for w in alone) + " s"
        result.values["alone"] = tuple(alone.values())
        result.rows["per document"] = (f"{1000 * alone['procedures'] / n:.0f} / "
                                       f"{1000 * alone['forms'] / n:.0f} ms")
    else:
        result.rows["alone"] = result.rows["per document"] = f"(not run above {ALONE_UP_TO:,})"
    shutil.rmtree(root / ".wenkong-cache", ignore_errors=True)
    first = build("first build, empty cache")
    noop = build("build, nothing changed")
    result.rows["cache"] = f"{first.seconds:.1f} s / {noop.seconds:.1f} s"
    result.values["cache"] = (first.seconds, noop.seconds)
    source = root / "procedures" / f"{CODE.format(n=max(1, n // 2))}.yaml"
    edit(source, *EDITS[0])
    word = build("after one clause edit, Word only", "--only", "procedures", "--only", "forms")
    build("site brought up to date (not in the table)")
    edit(source, *EDITS[1])
    everything = build("after one clause edit, with the site")
    result.rows["edit"] = f"{word.seconds:.1f} s / {everything.seconds:.1f} s"
    result.values["edit"] = (word.seconds, everything.seconds)


def measure_control(result: Size) -> None:
    """Release, diff and rebuild of one procedure, as bench/bench_control.py measures them
    (its own synthetic set of the same size, in git, with a lock and a warm load cache)."""
    from bench.bench_control import one_document

    n = result.n
    say(f"  [{n}] release, diff, rebuild of one procedure (bench_control.one_document) ...")
    times = one_document(n)
    result.seconds.update({k: times[k] for k in ("release", "diff", "rebuild")})
    result.values["control"] = tuple(times[k] for k in ("release", "diff", "rebuild"))
    result.rows["control"] = " / ".join(
        f"{times[k]:.1f} ({times[k + '_cpu']:.1f})" for k in ("release", "diff", "rebuild")) + " s"
    say(f"  [{n}] release / diff / rebuild (CPU): {result.rows['control']}, "
        f"lock --adopt {times['adopt']:.1f} s")


def measure_docx(count: int, rounds: int, scratch: Path) -> str:
    """Our .docx per procedure against pandoc's, on a synthetic set of `count` procedures."""
    if shutil.which("pandoc") is None:
        say("  pandoc is not installed (apt-get install pandoc): .docx row left empty")
        return "pandoc missing"
    from bench.bench_docx import CPU, ours_per_document, pandoc_per_document
    from generator.resolve import load_document_set

    root = make_synthetic_set(scratch / "docx-set", count)
    docset = load_document_set(root, cache=False)
    ours: list[float] = []
    theirs: list[float] = []
    cores = os.cpu_count() or 1
    for r in range(rounds):
        say(f"  .docx vs pandoc, {count} procedures, round {r + 1} of {rounds} ...")
        ours.append(min(ours_per_document(docset, jobs=1), ours_per_document(docset, cores)))
        theirs.append(pandoc_per_document(docset, scratch / f"pandoc-{r}"))
        say(f"  .docx vs pandoc: ours {ours[-1] * 1000:.0f} ms, pandoc {theirs[-1] * 1000:.0f} ms"
            " per document")
    cpu = min(CPU["ours"]) / min(CPU["pandoc"])
    return (f"{min(ours) / min(theirs):.2f}× ({min(ours) * 1000:.0f} vs "
            f"{min(theirs) * 1000:.0f} ms/doc, {count} procedures); CPU {cpu:.2f}×")


def measure_size(n: int, scratch: Path) -> Size:
    result = Size(n)
    folder = scratch / f"set-{n}"
    say(f"synthetic {n:,} + {n:,}: writing the set ...")
    root = make_synthetic_set(folder / "set", n)
    measure_builds(root, folder, result)
    shutil.rmtree(folder, ignore_errors=True)
    measure_control(result)
    return result


# --- the table -----------------------------------------------------------------------------

ROWS = (
    ("cold", "full cold build (`--no-cache`)", "≤ 40 s at 1,000"),
    ("alone", "each output alone: procedures / forms / site", ""),
    ("per document", "procedures / forms per document (output alone ÷ n)",
     "forms ≤ procedures"),
    ("cache", "first build with an empty cache / nothing changed", ""),
    ("edit", "after one clause edit: Word only / with the site", "≤ 3 s / ≤ 5 s"),
    ("control", "release / diff / rebuild of one document (CPU)", "≤ 3 s each"),
    ("memory", "peak memory, build + workers: RSS (PSS)", "≤ 1 GB at 1,000"),
)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PHYS_PAGES") * PAGE / 2**30
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} cores"
            f"{' (' + model + ')' if model else ''}, {memory:.0f} GiB RAM, "
            f"Python {platform.python_version()}")


def growth(small: Size, large: Size, key: str) -> str:
    """`key`'s numbers at the largest size divided by those at the smallest: ×5.0 / ×4.8."""
    before, after = small.values.get(key), large.values.get(key)
    if not before or not after or len(before) != len(after):
        return ""
    return " / ".join(f"×{b / a:.1f}" if a > 0 else "-" for a, b in zip(before, after,
                                                                        strict=True))


def table(sizes: list[Size], docx: str) -> list[str]:
    many = len(sizes) > 1
    small, large = sizes[0], sizes[-1]
    head = "| what | target | " + " | ".join(f"{s.n:,} + {s.n:,}" for s in sizes) + " |"
    if many:
        head += f" growth {small.n:,} → {large.n:,} (documents ×{large.n / small.n:g}) |"
    lines = [head, "|---|---|" + "---:|" * (len(sizes) + many)]
    for key, label, target in ROWS:
        cells = []
        for s in sizes:
            if key == "memory":
                cells.append(f"{mib(s.memory[0])} ({mib(s.memory[1])})")
            else:
                cells.append(s.rows.get(key, ""))
        if many:
            cells.append(growth(small, large, key))
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines.append(f"| .docx per procedure ÷ pandoc md→docx | ≤ 0.5× | {docx} |"
                 + " |" * (len(sizes) - 1 + many))
    return lines


def record(lines: list[str]) -> None:
    """Replace (or add) this script's section of bench/RESULTS.md."""
    text = RESULTS.read_text(encoding="utf-8")
    section = "\n".join(lines).rstrip() + "\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000",
                        help="procedures (and as many forms) per set, comma-separated")
    parser.add_argument("--large", action="store_true", help="also 5,000 + 5,000")
    parser.add_argument("--docx-count", type=int, default=100,
                        help="procedures of the .docx vs pandoc comparison")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the pandoc comparison")
    parser.add_argument("--print-only", action="store_true",
                        help="print the table, do not write bench/RESULTS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.large and 5000 not in sizes:
        sizes.append(5000)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    say(f"{started:%Y-%m-%d %H:%M} UTC, {machine()}, load average "
        f"{load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f}")
    results = []
    with tempfile.TemporaryDirectory(prefix="wenkong-scale-") as folder:
        scratch = Path(folder)
        for n in sizes:
            results.append(measure_size(n, scratch))
        docx = measure_docx(args.docx_count, args.rounds, scratch)
    load_after = os.getloadavg()
    took = (dt.datetime.now(dt.UTC) - started).total_seconds() / 60
    lines = [
        SECTION + " — `python bench/bench_scale.py" + (" --large" if args.large else "") + "`",
        "",
        f"{started:%Y-%m-%d %H:%M} UTC, {machine()}. Load average "
        f"{load_before[0]:.1f} (1 min) before, {load_after[0]:.1f} after, "
        f"{load_after[2]:.1f} over the last 15 min; the whole run took {took:.0f} min. "
        "Wall-clock times of the real commands (`python -m generator …`, start-up included), "
        "one run each, on the synthetic sets of bench/synthetic.py; the edit is one clause of "
        "the middle procedure.",
        "",
        *table(results, docx),
    ]
    say("")
    say("\n".join(lines))
    if not args.print_only:
        record(lines)
        say(f"\nwritten to {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
