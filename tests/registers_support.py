"""Helpers for the register tests: a copy of the bundled sample set to change on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO

SAMPLE_PARTS = ("wenkong.yaml", "roles.yaml", "wenkong.lock", "procedures", "forms",
                "registers")


def sample_copy(folder: Path) -> Path:
    """The sample set (sources, lock and registers, no build output) under `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for part in SAMPLE_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, folder / part)
        else:
            shutil.copy2(source, folder / part)
    return folder


def replace_in(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line holding `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
