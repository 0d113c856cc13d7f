"""Site renderer: the generated Markdown of the fixture set against reviewed golden files.

Update after an intended change with `WENKONG_UPDATE_GOLDEN=1 pytest tests/test_site_golden.py`
and review the diff of tests/fixtures/site/golden/ before committing it.
"""

from __future__ import annotations

import os

import pytest
from site_support import FIXTURE

from generator.render.site import site_content
from generator.resolve import load_document_set

GOLDEN = FIXTURE.parent / "golden"
PAGES = ["index.md", "procedures/QP-01.md", "forms/QR-01-01.md", "roles/doc-control.md",
         "roles/matrix.md", "changelog.md", "archive/QP-09.md"]


@pytest.mark.parametrize("path", PAGES)
def test_generated_markdown_matches_the_golden_file(path: str) -> None:
    content = site_content(load_document_set(FIXTURE), {})
    golden = GOLDEN / path
    if os.environ.get("WENKONG_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(content.pages[path])
    assert golden.is_file(), f"no golden file {golden}: run with WENKONG_UPDATE_GOLDEN=1"
    assert content.pages[path].decode() == golden.read_text("utf-8")
