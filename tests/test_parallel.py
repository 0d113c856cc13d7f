"""The Word renderers' worker processes (generator/render/parallel.py): the same documents as
rendering them one by one, whichever process rendered which; errors raised where the caller
sees them (the first document's, in order); a worker that dies makes the build fail instead of
returning fewer documents; leaving early (Ctrl-C, an error in the caller's own work) stops
the workers and leaves no spool files."""

from __future__ import annotations

import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from generator.errors import WenkongError
from generator.render import parallel
from generator.render.parallel import Background, Batch, run_batch

_BUILD = os.getpid()


def _render(context: str, key: str) -> bytes:
    if key in {"bad-7", "bad-3"}:
        raise WenkongError(f"cannot render {key}")
    if context == "crash" and os.getpid() != _BUILD:
        os._exit(9)  # a worker killed mid-build (out of memory, kill -9)
    time.sleep(0.005)  # long enough for every process to take some
    return f"{context}:{key}:{os.getpid()}".encode()


def _pid_free(data: bytes) -> bytes:
    return data.rsplit(b":", 1)[0]


def _batch(what: str, keys: list[str], cached: Mapping[str, bytes] | None = None) -> Batch:
    stored: dict[str, bytes] = {}
    batch = Batch(what, _render, what, {key: f"{what}/{key}.docx" for key in keys},
                  dict(cached or {}), stored.update)
    batch.stored = stored  # type: ignore[attr-defined]
    return batch


def _spool(work: Background) -> Path:
    """The folder of `work`'s spool files (removed when the block is left)."""
    assert work._job is not None
    return work._job.folder


def test_background_renders_every_document_once_in_any_process() -> None:
    procedures = _batch("procedures", [f"QP-{n:02d}" for n in range(1, 40)],
                        cached={"QP-05": b"from the cache"})
    forms = _batch("forms", [f"QR-{n:02d}" for n in range(1, 30)])
    reported: dict[str, tuple[int, int]] = {}
    with Background([procedures, forms], lambda what, done, total:
                    reported.__setitem__(what, (done, total)), jobs=3) as work:
        spool = _spool(work)
        assert work.forks == 2
        time.sleep(0.1)  # the site builds; the workers render meanwhile
        rendered = work.results()
    assert not spool.exists()
    assert [sorted(found) for found in rendered] == [sorted(procedures.todo),
                                                     sorted(forms.todo)]
    for batch, found in zip((procedures, forms), rendered, strict=True):
        assert {key: _pid_free(data) for key, data in found.items()} == {
            key: f"{batch.what}:{key}".encode() for key in batch.todo}
    pids = {data.rsplit(b":", 1)[1] for found in rendered for data in found.values()}
    assert len(pids) > 1  # rendered in more than one process
    assert reported == {"procedures": (39, 39), "forms": (29, 29)}
    files = procedures.files(rendered[0])
    assert list(files) == [f"procedures/QP-{n:02d}.docx" for n in range(1, 40)]
    assert files["procedures/QP-05.docx"] == b"from the cache"


def test_run_batch_stores_what_it_rendered_and_not_the_cache() -> None:
    batch = _batch("forms", ["QR-01", "QR-02", "QR-03"], cached={"QR-02": b"kept"})
    files = run_batch(batch, jobs=1)
    assert files == {"forms/QR-01.docx": b"forms:QR-01:" + str(os.getpid()).encode(),
                     "forms/QR-02.docx": b"kept",
                     "forms/QR-03.docx": b"forms:QR-03:" + str(os.getpid()).encode()}
    assert sorted(batch.stored) == ["QR-01", "QR-03"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("jobs", [1, 3])
def test_the_first_failing_document_in_order_is_reported(jobs: int) -> None:
    keys = [f"ok-{n}" for n in range(20)]
    keys[12:12] = ["bad-7"]
    keys[3:3] = ["bad-3"]
    with (Background([_batch("procedures", keys)], jobs=jobs) as work,
          pytest.raises(WenkongError, match="cannot render bad-3")):
        work.results()


def test_a_worker_that_dies_fails_the_build() -> None:
    with Background([_batch("crash", [f"QR-{n}" for n in range(30)])], jobs=2) as work:
        spool = _spool(work)
        time.sleep(0.5)  # the site builds; the worker renders meanwhile
        with pytest.raises(WenkongError, match="退出码 9"):
            work.results()
    assert not spool.exists()


def test_leaving_early_stops_the_workers() -> None:
    with (pytest.raises(KeyboardInterrupt),
          Background([_batch("procedures", [f"k{n}" for n in range(400)])], jobs=3) as work):
        spool = _spool(work)
        processes = list(work._processes)
        assert processes and all(p.is_alive() for p in processes)
        raise KeyboardInterrupt  # Ctrl-C while the site builds
    assert all(not p.is_alive() for p in processes)
    assert not spool.exists()


def test_workers_ignore_ctrl_c_and_leave_it_to_the_build() -> None:
    with Background([_batch("procedures", [f"k{n}" for n in range(400)])], jobs=2) as work:
        (process,) = work._processes
        os.kill(process.pid, signal.SIGINT)  # the terminal sends it to the whole group
        rendered = work.results()
    assert len(rendered[0]) == 400


def test_a_few_documents_are_rendered_here() -> None:
    with Background([_batch("forms", ["QR-01", "QR-02"])], jobs=4) as work:
        assert work.forks == 0
        (found,) = work.results()
    assert {key: data.rsplit(b":", 1)[1] for key, data in found.items()} == {
        "QR-01": str(os.getpid()).encode(), "QR-02": str(os.getpid()).encode()}
    assert parallel._JOB is None


def test_a_worker_finds_the_charts_drawn_ahead_without_jieba() -> None:
    """Workers drop jieba's dictionary (70 MB each); the DOT text of a chart drawn before the
    fork is remembered, and a new text loads the dictionary again."""
    import jieba

    from generator.render import flowchart
    from tests.test_flowchart import make_settings, small_process

    settings, process = make_settings(), small_process("检验产品并记录检验结果和处理意见")
    fresh = flowchart._flowchart_dot(process, settings)
    assert flowchart.flowchart_dot(process, settings) == fresh  # drawn ahead: remembered
    flowchart.forget_segmenter()
    assert not jieba.dt.initialized and not jieba.dt.FREQ
    assert flowchart.flowchart_dot(process, settings) == fresh
    assert not jieba.dt.initialized  # remembered, not cut again
    other = small_process("确认来料批次并通知相关部门处理")
    assert flowchart.flowchart_dot(other, settings) == flowchart._flowchart_dot(other, settings)
    assert jieba.dt.initialized and jieba.dt.FREQ


def test_charts_drawn_side_by_side_are_those_drawn_one_by_one() -> None:
    from generator.render import flowchart
    from tests.test_flowchart import make_settings, small_process

    settings = make_settings()
    names = ["检验产品", "确认来料批次", "通知相关部门", "记录检验结果", "评审处理意见",
             "发放合格证", "退回供应商", "隔离可疑品", "检验产品"]  # one twice
    dots = [flowchart.flowchart_dot(small_process(name), settings) for name in names]
    drawn = flowchart.draw_pngs(dots, 100)  # two runs of four charts
    assert len(drawn) == 8
    for dot in dots:
        assert drawn[dot] == flowchart.render_dot(dot, "png", 100)
    assert flowchart.draw_pngs([*dots, "digraph {"], 100) == {}  # a run failed


def _word_workers() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name.startswith("wenkong-word")]


def test_the_site_is_built_beside_the_word_documents(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The site offers the real .docx (never a stand-in); a site that fails while the Word
    documents are rendering stops their workers and leaves the previous build as it was."""
    from bench.synthetic import make_synthetic_set
    from generator.build import BuildOptions, build
    from generator.contract import PENDING
    from generator.errors import WenkongError
    from generator.render import site
    from generator.resolve import load_document_set

    root = make_synthetic_set(tmp_path / "set", 8)
    docset = load_document_set(root, cache=False)
    output = tmp_path / "out"
    build(docset, BuildOptions(root=root, output=output))
    before = {p.relative_to(output).as_posix(): p.read_bytes()
              for p in sorted(output.rglob("*")) if p.is_file()}
    assert not [path for path, data in before.items() if data.startswith(PENDING)]
    downloads = {path.split("/downloads/", 1)[1]: data for path, data in before.items()
                 if "/downloads/" in path}
    assert len(downloads) == 16
    assert all(before[path] == data for path, data in downloads.items())

    spools: list[str] = []
    make_folder = tempfile.mkdtemp

    def mkdtemp(*args: str | None, **options: str | None) -> str:
        folder = make_folder(*args, **options)  # type: ignore[call-overload]
        if str(options.get("prefix")).startswith("wenkong-word-"):
            spools.append(folder)
        return folder

    def failing(docset: object, options: object) -> dict[str, bytes]:
        assert _word_workers()  # the Word documents are rendering meanwhile
        assert [Path(folder).is_dir() for folder in spools] == [True]
        raise WenkongError("the site failed")

    monkeypatch.setattr(parallel.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(site, "render_site", failing)
    with pytest.raises(WenkongError, match="the site failed"):
        build(docset, BuildOptions(root=root, output=output))
    assert not _word_workers()
    assert spools and not Path(spools[0]).exists()
    assert {p.relative_to(output).as_posix(): p.read_bytes()
            for p in sorted(output.rglob("*")) if p.is_file()} == before
