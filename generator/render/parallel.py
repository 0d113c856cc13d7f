"""Render many documents on every core: the worker processes of the Word renderers.

A Word renderer plans its work as a `Batch`: the documents it takes whole from the build cache,
the others to render with `render_one(context, key) -> bytes` (a module-level function), the
output name of each, and what to keep in the cache once they are rendered. Batches run
- one at a time with `run_batch` (`render_procedures` called on its own, tests): on every core
  from `PARALLEL_FROM` documents on, done when it returns;
- all together with `Background`, which the build uses: workers are forked once, render the
  documents of every batch, and the build meanwhile runs the site in its own process, so both
  cores stay busy from the first document to the last page instead of the site's one-process
  stretches leaving one idle.

Workers are forked after the set is loaded and the batches are planned: they inherit the
resolved set, the template and the flowcharts drawn ahead (nothing big is pickled to them).
Each takes the next few documents from a shared counter (both stay busy to the end) and writes
each document's bytes to a spool file of its own as soon as it is rendered: the workers hold no
results, and neither does the build while the site runs (fewer pages that the site's own forked
workers would share). The bytes are read back by key afterwards; the output never depends on
which worker rendered what, and an error raised by `render_one` reaches the caller as it was
raised (the first document's, in order, when several fail).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import multiprocessing
import os
import pickle
import shutil
import signal
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from generator.contract import Files, Progress
from generator.errors import WenkongError
from generator.i18n import _

# Below this many documents a process pool costs more than it saves (worker start-up).
PARALLEL_FROM = 6
# Documents a worker takes at a time: small enough to even out the workers at the end, large
# enough to make the shared counter's lock cheap next to a document's tens of milliseconds.
CHUNK = 4
POLL_SECONDS = 0.2  # how often the progress display learns what the workers have done

RenderOne = Callable[[Any, str], bytes]


def _nothing(rendered: Mapping[str, bytes]) -> None:
    return None


@dataclass
class Batch:
    """The Word documents of one renderer: what to render, how, and under which names."""

    what: str  # progress label: "procedures", "forms"
    render_one: RenderOne  # module-level: (context, key) -> bytes
    context: Any
    names: dict[str, str]  # output path of every document, by key, in output order
    cached: dict[str, bytes] = field(default_factory=dict)  # taken from the build cache
    # Called once with the documents rendered (not those of the cache): keep them in the cache.
    store: Callable[[Mapping[str, bytes]], None] = _nothing

    @property
    def todo(self) -> list[str]:
        """The keys to render, in output order."""
        return [key for key in self.names if key not in self.cached]

    def files(self, rendered: Mapping[str, bytes]) -> Files:
        """Every document's bytes by output path: from the cache or `rendered`."""
        return {name: self.cached[key] if key in self.cached else rendered[key]
                for key, name in self.names.items()}


def workers(jobs: int | None = None) -> int:
    """How many processes render: `jobs` when given, else one per core."""
    return max(1, jobs if jobs is not None else (os.cpu_count() or 1))


def run_batch(batch: Batch, progress: Progress | None = None, jobs: int | None = None) -> Files:
    """Render `batch` now (on every core when worth it), keep it in the cache, return it."""
    todo = batch.todo
    rendered = render_each(todo, batch.render_one, batch.context, what=batch.what,
                           progress=progress, done_before=len(batch.names) - len(todo),
                           total=len(batch.names), jobs=jobs)
    batch.store(rendered)
    return batch.files(rendered)


_WORKER: tuple[RenderOne, Any] | None = None


def _init_worker(render_one: RenderOne, context: Any) -> None:
    global _WORKER
    _WORKER = (render_one, context)


def _render_in_worker(key: str) -> bytes:
    assert _WORKER is not None
    render_one, context = _WORKER
    return render_one(context, key)


def render_each(keys: Sequence[str], render_one: RenderOne, context: Any, *,
                what: str, progress: Progress | None = None, done_before: int = 0,
                total: int | None = None, jobs: int | None = None) -> dict[str, bytes]:
    """The bytes of every key; progress reported as `what`, counting on from `done_before`
    (documents taken from the cache) up to `total`. `render_one` must be a module-level
    function (a worker looks it up by name)."""
    total = len(keys) + done_before if total is None else total
    files: dict[str, bytes] = {}
    if progress and done_before:
        progress(what, done_before, total)
    count = workers(jobs)
    if count <= 1 or len(keys) < PARALLEL_FROM:
        for done, key in enumerate(keys, start=done_before + 1):
            files[key] = render_one(context, key)
            if progress:
                progress(what, done, total)
        return files
    with ProcessPoolExecutor(max_workers=count, initializer=_init_worker,
                             initargs=(render_one, context)) as pool:
        for done, (key, data) in enumerate(
                zip(keys, pool.map(_render_in_worker, keys, chunksize=CHUNK), strict=True),
                start=done_before + 1):
            files[key] = data
            if progress:
                progress(what, done, total)
    return files


# --- rendering in the background ---------------------------------------------------------

# A spool record: the item's index, then the length of its bytes (negative: a pickled error).
_RECORD = struct.Struct("<qq")
TRIM_EVERY = 16  # documents between two returns of freed memory to the system (malloc_trim)


@dataclass
class _Job:
    """What a forked worker needs, inherited through the fork (never pickled)."""

    batches: list[Batch]
    items: list[tuple[int, str]]  # (batch number, key) in the order they are handed out
    folder: Path
    lock: Any  # guards `next`
    next: Any  # the first item not handed out yet
    done: Any  # documents rendered, per renderer process and batch: process * batches + batch
    stop: Any  # set by the build process: leave after the document in hand

    def take(self) -> range:
        """The next few items to render (empty when none is left)."""
        with self.lock:
            start = self.next.value
            if start >= len(self.items):
                return range(0)
            self.next.value = start + CHUNK
        return range(start, min(start + CHUNK, len(self.items)))


_JOB: _Job | None = None


def _pickled_error(error: BaseException) -> bytes:
    try:
        return pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its text
        return pickle.dumps(RuntimeError(f"{type(error).__name__}: {error}"))


def _work(number: int) -> None:
    """A worker: render items until none is left, each one's bytes to this worker's spool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # on Ctrl-C the build process stops us
    try:
        _render_items(number)
    except Exception:  # the spool could not be written: the build reports missing documents
        sys.exit(1)  # (quietly: SystemExit prints no traceback)


def _lighten() -> None:
    """In a new worker: drop what it inherited but seldom needs (jieba's dictionary: the
    flowcharts were drawn ahead), and give the memory back."""
    flowchart = sys.modules.get("generator.render.flowchart")
    if flowchart is not None:
        flowchart.forget_segmenter()
    _release_memory()


def _render_items(number: int) -> None:
    job = _JOB
    assert job is not None
    _lighten()
    with open(job.folder / f"{number}.spool", "wb") as spool:
        _spool_items(job, spool, number)


def _spool_items(job: _Job, spool: Any, number: int) -> None:
    """Render items until none is left, each one's bytes (or its error) to `spool`; `number`
    is the renderer process's counters."""
    batches = len(job.batches)
    rendered = 0
    while not job.stop.value and (items := job.take()):
        for index in items:
            which, key = job.items[index]
            batch = job.batches[which]
            try:
                data = batch.render_one(batch.context, key)
            except Exception as error:  # reported by the build process, in item order
                problem = _pickled_error(error)
                spool.write(_RECORD.pack(index, -len(problem)))
                spool.write(problem)
                continue
            spool.write(_RECORD.pack(index, len(data)))
            spool.write(data)
            job.done[number * batches + which] += 1
            rendered += 1
            if rendered % TRIM_EVERY == 0:
                # lxml frees each document's tree into holes malloc keeps: without this a
                # worker grows by ~0.1 MB a document
                _release_memory()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    return trim


def _release_memory() -> None:
    """Give memory freed so far back to the system (glibc keeps it otherwise): a forked
    process counts every page it inherits as its own resident memory, and a worker's freed
    documents leave holes."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


class Background:
    """Render every batch's documents in forked workers while the caller does other work,
    then, from `results`, in the caller's process too until every document is done.

        with Background(batches, progress) as work:
            ...                            # the site, meanwhile
            rendered = work.results()      # per batch: key -> bytes

    `jobs` processes render (default: one per core): the caller's, once its own work is done,
    and `jobs - 1` forked workers from the start, so that the caller's work and the workers
    together keep every core busy without more processes (each holding its copy of the set's
    pages) than cores. Leaving the block stops the workers and removes their spool files,
    whatever happened (Ctrl-C, an error in the caller's work). A worker that dies without a
    word (killed, out of memory) makes `results` raise WenkongError: nothing half-rendered is
    ever returned.
    """

    def __init__(self, batches: Sequence[Batch], progress: Progress | None = None,
                 jobs: int | None = None) -> None:
        self.batches = list(batches)
        self.progress = progress
        self.items = [(n, key) for n, batch in enumerate(self.batches) for key in batch.todo]
        self.forks = min(workers(jobs) - 1, -(-len(self.items) // CHUNK))
        if len(self.items) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
            self.forks = 0
        self._job: _Job | None = None
        self._processes: list[Any] = []
        self._poller: threading.Thread | None = None
        self._polling = threading.Event()

    def __enter__(self) -> Background:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Report what the cache gave, then fork the workers."""
        global _JOB
        if self.progress:
            for batch in self.batches:
                if batch.cached:
                    self.progress(batch.what, len(batch.cached), len(batch.names))
        context = multiprocessing.get_context("fork" if self.forks else None)
        self._job = _Job(self.batches, self.items,
                         Path(tempfile.mkdtemp(prefix="wenkong-word-")), context.Lock(),
                         context.RawValue("q", 0),
                         context.RawArray("q", (self.forks + 1) * len(self.batches)),
                         context.RawValue("b", 0))
        if not self.forks:
            return
        _release_memory()
        # Objects the workers inherit stay out of their garbage collections: a collection
        # writes to every object it visits, which would copy each inherited page.
        gc.freeze()
        _JOB = self._job
        try:
            for number in range(self.forks):
                process = context.Process(target=_work, args=(number,), daemon=True,
                                          name=f"wenkong-word-{number}")
                process.start()
                self._processes.append(process)
        finally:
            _JOB = None
            gc.unfreeze()
        if self.progress:
            self._poller = threading.Thread(target=self._poll, daemon=True,
                                            name="wenkong-word-progress")
            self._poller.start()

    def _done(self) -> list[int]:
        """Documents rendered so far, per batch (not counting those of the cache)."""
        assert self._job is not None
        batches = len(self.batches)
        counts = list(self._job.done)
        return [sum(counts[p * batches + b] for p in range(self.forks + 1))
                for b in range(batches)]

    def _report(self) -> None:
        if not self.progress:
            return
        for batch, done in zip(self.batches, self._done(), strict=True):
            if batch.todo:
                self.progress(batch.what, len(batch.cached) + done, len(batch.names))

    def _poll(self) -> None:
        last: list[int] = []
        while not self._polling.wait(POLL_SECONDS):
            done = self._done()
            if done != last:
                last = done
                self._report()

    def results(self) -> list[dict[str, bytes]]:
        """The rendered documents of each batch, by key: this process renders what the
        workers have not taken yet, then collects theirs."""
        job = self._job
        assert job is not None, "results() outside the with block"
        rendered: list[dict[str, bytes]] = [{} for _ in self.batches]
        errors: list[tuple[int, BaseException | bytes]] = []
        mine = self.forks * len(self.batches)  # this process's counters
        while items := job.take():
            for index in items:
                which, key = self.items[index]
                batch = self.batches[which]
                try:
                    rendered[which][key] = batch.render_one(batch.context, key)
                except Exception as error:
                    errors.append((index, error))
                    continue
                job.done[mine + which] += 1
                if not self._poller:
                    self._report()
        for process in self._processes:
            process.join()
        self._stop_polling()
        self._report()
        for number in range(self.forks):
            path = job.folder / f"{number}.spool"
            if not path.is_file():
                continue
            with open(path, "rb") as spool:
                while header := spool.read(_RECORD.size):
                    index, length = _RECORD.unpack(header)
                    data = spool.read(abs(length))
                    if len(data) != abs(length):
                        break  # the worker died writing it: found missing below
                    if length < 0:
                        errors.append((index, data))
                    else:
                        which, key = self.items[index]
                        rendered[which][key] = data
        if errors:
            first = min(errors, key=lambda error: error[0])[1]
            raise first if isinstance(first, BaseException) else pickle.loads(first)
        missing = len(self.items) - sum(len(found) for found in rendered)
        if missing:
            codes = sorted({process.exitcode for process in self._processes} - {0},
                           key=str)
            raise WenkongError(_(
                "生成 Word 文件的工作进程意外退出（退出码 {codes}），{missing} 个文件没有生成；"
                "没有写出任何文件，上一次的生成结果保持原样").format(
                    codes="、".join(str(code) for code in codes) or "-", missing=missing))
        return rendered

    def _stop_polling(self) -> None:
        self._polling.set()
        if self._poller is not None:
            self._poller.join()
            self._poller = None

    def close(self) -> None:
        """Stop the workers (if still running) and remove their spool files."""
        self._stop_polling()
        if self._job is None:
            return
        self._job.stop.value = 1
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        shutil.rmtree(self._job.folder, ignore_errors=True)
        self._job = None
