"""Render many documents on every core: one function for the Word renderers.

`render_each(keys, render_one, context)` calls `render_one(context, key) -> bytes` for every
key, in a process pool from `PARALLEL_FROM` documents on, and returns the bytes by key in the
order of `keys` (the build's output never depends on which worker finished first). Workers are
forked: they inherit `context` (the resolved set, a template in memory) instead of receiving
it pickled, and send back only each document's bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from generator.contract import Progress

# Below this many documents a process pool costs more than it saves (worker start-up).
PARALLEL_FROM = 6

RenderOne = Callable[[Any, str], bytes]

_WORKER: tuple[RenderOne, Any] | None = None


def _init_worker(render_one: RenderOne, context: Any) -> None:
    global _WORKER
    _WORKER = (render_one, context)


def _render_in_worker(key: str) -> bytes:
    assert _WORKER is not None
    render_one, context = _WORKER
    return render_one(context, key)


def workers(jobs: int | None = None) -> int:
    """How many processes render: `jobs` when given, else one per core."""
    return max(1, jobs if jobs is not None else (os.cpu_count() or 1))


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
    # Small chunks keep both workers busy to the end; 4 documents a chunk is enough to make
    # the round trips cheap next to a document's tens of milliseconds.
    with ProcessPoolExecutor(max_workers=count, initializer=_init_worker,
                             initargs=(render_one, context)) as pool:
        for done, (key, data) in enumerate(
                zip(keys, pool.map(_render_in_worker, keys, chunksize=4), strict=True),
                start=done_before + 1):
            files[key] = data
            if progress:
                progress(what, done, total)
    return files
