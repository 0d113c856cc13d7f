"""Where a build goes: inside the set unless the command line says otherwise, never over the
set or its sources, and a disagreement between wenkong.yaml and mkdocs.yml names both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import errors


def wenkong(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True,
                          text=True, timeout=600)


def set_output_dir(root: Path, value: str) -> int:
    settings = root / "wenkong.yaml"
    lines = settings.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("output_dir:")]
    lines.append(f"output_dir: {value}")
    settings.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines)


@pytest.mark.parametrize("value", ["../x", "../../tmp/x", "/tmp/wenkong-elsewhere"])
def test_an_output_dir_outside_the_set_is_refused(docset_dir: Path, value: str) -> None:
    line = set_output_dir(docset_dir, value)
    found = errors(docset_dir)
    assert any(f.startswith(f"wenkong.yaml:{line}:1: output_dir: ") and "文件集之外" in f
               and "--output" in f for f in found), found


@pytest.mark.parametrize(("value", "words"), [(".", "整个文件集"), ("procedures", "procedures"),
                                              ("forms/out/..", "forms")])
def test_an_output_dir_over_the_sources_is_refused(docset_dir: Path, value: str,
                                                   words: str) -> None:
    line = set_output_dir(docset_dir, value)
    found = errors(docset_dir)
    assert any(f.startswith(f"wenkong.yaml:{line}:1: output_dir: ") and words in f
               for f in found), found


def test_the_default_and_a_subfolder_are_fine(docset_dir: Path) -> None:
    set_output_dir(docset_dir, "out/print")
    assert errors(docset_dir) == []


def test_output_over_the_set_is_refused_even_from_the_command_line(docset_dir: Path) -> None:
    before = sorted(p.relative_to(docset_dir).as_posix() for p in docset_dir.rglob("*"))
    result = wenkong("build", str(docset_dir), "-o", str(docset_dir))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "整个文件集" in result.stderr
    result = wenkong("build", str(docset_dir), "-o", str(docset_dir / "procedures"))
    assert result.returncode == 1 and "procedures" in result.stderr
    assert sorted(p.relative_to(docset_dir).as_posix() for p in docset_dir.rglob("*")) == before


def test_site_dir_disagreeing_with_output_dir_names_both_files(docset_dir: Path,
                                                                tmp_path: Path) -> None:
    line = set_output_dir(docset_dir, "out")
    config = (docset_dir / "mkdocs.yml").read_text(encoding="utf-8")
    site_line = next(n for n, text in enumerate(config.splitlines(), start=1)
                     if text.startswith("site_dir:"))
    result = wenkong("build", str(docset_dir), "--only", "site")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"mkdocs.yml:{site_line}: site_dir 'build/site'" in result.stderr
    assert f"wenkong.yaml 第 {line} 行的 output_dir" in result.stderr
    assert not (docset_dir / "out").exists()
