"""Helpers for the tests of tests/fixtures/process/ (an order-review procedure COP-02 of another
company): copy the set to break it on purpose. `tests/` is no package; import as
`from process_support import …`."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "process"


def copy_fixture(tmp_path: Path) -> Path:
    """A writable copy of the fixture set."""
    target = tmp_path / "set"
    shutil.copytree(FIXTURE, target)
    return target


def edit(root: Path, old: str, new: str) -> None:
    """Replace the first `old` in the copy's COP-02.yaml (which must hold it) by `new`."""
    path = root / "procedures" / "COP-02.yaml"
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")
