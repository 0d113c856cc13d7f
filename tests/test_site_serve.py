"""`wenkong serve`: builds, serves on 127.0.0.1 and regenerates pages when a YAML source
changes; a broken source is reported and the last good pages stay."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from site_support import FIXTURE


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        text: str = response.read().decode("utf-8")
        return text


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if condition():
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def test_serve_rebuilds_pages_when_a_source_changes(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    # as after `make sample` (build --pdf): serving must keep the PDFs it does not rebuild
    built = subprocess.run([sys.executable, "-m", "generator", "build", str(root)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    pdfs = {root / "build" / "pdf" / (docx.stem + ".pdf")
            for docx in (root / "build" / "procedures").glob("*.docx")}
    assert pdfs
    for pdf in pdfs:
        pdf.parent.mkdir(exist_ok=True)
        pdf.write_bytes(b"%PDF-1.7 from build --pdf")
    port = free_port()
    url = f"http://127.0.0.1:{port}/procedures/QP-02.html"
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", str(root), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    try:
        assert wait_for(lambda: "记录的保存" in fetch(url), 120), \
            (tmp_path / "serve.log").read_text()
        assert (root / "build" / "site" / "index.html").is_file()  # built first
        assert all(pdf.read_bytes() == b"%PDF-1.7 from build --pdf" for pdf in pdfs)
        source = root / "procedures" / "QP-02.yaml"
        source.write_text(source.read_text("utf-8").replace(
            "记录由保管部门保存", "实时预览：记录由保管部门保存"), "utf-8")
        assert wait_for(lambda: "实时预览：记录由保管部门保存" in fetch(url), 60)
        source.write_text(source.read_text("utf-8") + "bad: [\n", "utf-8")
        assert wait_for(lambda: "预览保留上一次正确的网页" in
                        (tmp_path / "serve.log").read_text(), 30)
        assert "实时预览" in fetch(url)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def test_serve_refuses_a_broken_set(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    (root / "procedures" / "QP-02.yaml").write_text("code: [\n", "utf-8")
    result = subprocess.run([sys.executable, "-m", "generator", "serve", str(root), "--port",
                             str(free_port())], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "QP-02.yaml" in result.stderr and "Traceback" not in result.stderr


def test_a_rebuild_after_one_change_builds_only_a_few_pages(tmp_path: Path) -> None:
    from generator.cache import BuildCache
    from generator.render.site.pagecache import stats
    from generator.render.site.serve import Preview, watched_paths

    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    served = tmp_path / "served"
    lines: list[str] = []
    preview = Preview(root, served, root / "build", {}, BuildCache(tmp_path / "cache"),
                      lines.append)
    assert preview.refresh()
    every = stats["pages_built"]
    assert every > 10 and stats["pages_hits"] == 0
    page = served / "procedures" / "QP-02.html"
    other = served / "procedures" / "QP-01.html"
    before = other.stat().st_mtime_ns
    source = root / "procedures" / "QP-02.yaml"
    source.write_text(source.read_text("utf-8").replace(
        "记录由保管部门保存", "实时预览：记录由保管部门保存"), "utf-8")
    preview.rebuild()
    assert "实时预览" in page.read_text("utf-8")
    assert stats["pages_built"] == 1 and stats["pages_hits"] == every - 1
    assert other.stat().st_mtime_ns == before  # unchanged pages are not even rewritten
    assert any("已重新生成 1 个网页" in line for line in lines)
    # the preview follows the sources, not what it writes itself
    (root / "build").mkdir(exist_ok=True)
    (root / ".wenkong-cache").mkdir(exist_ok=True)
    followed = {path.name: recursive for path, recursive in watched_paths(root, root / "build")}
    assert followed == {"set": False, "procedures": True, "forms": True}
