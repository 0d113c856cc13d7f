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
