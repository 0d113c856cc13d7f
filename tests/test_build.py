"""`wenkong build` as a whole: all outputs, the same bytes twice, and a failed build that
leaves the previous one as it was."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path


def build(root: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "build", str(root), "-o",
                           str(output)], capture_output=True, text=True, timeout=600)


def digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_writes_every_output_deterministically(docset_dir: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert build(docset_dir, first).returncode == 0
    assert build(docset_dir, second).returncode == 0
    files = digest(first)
    assert files == digest(second)
    assert "procedures/QP-01_A-0_文件控制程序.docx" in files
    assert "forms/QR-01-01_A-0_文件更改申请单.docx" in files
    assert "site/index.html" in files and "site/procedures/QP-01.html" in files


def test_a_failed_build_keeps_the_previous_one(docset_dir: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    assert build(docset_dir, output).returncode == 0
    before = digest(output)
    qp01 = docset_dir / "procedures" / "QP-01.yaml"
    qp01.write_text(qp01.read_text(encoding="utf-8").replace("purpose:", "purpos:"),
                    encoding="utf-8")
    result = build(docset_dir, output)
    assert result.returncode == 1
    assert "procedures/QP-01.yaml:13:1: purpos: 未知字段" in result.stderr
    assert "Traceback" not in result.stderr
    assert digest(output) == before
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")]
    assert leftovers == []  # no staging or backup folder left behind
