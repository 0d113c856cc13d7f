"""Helpers for the site tests: build a set's site into a folder, serve it on 127.0.0.1.

`tests/` is no package; import as `from site_support import …`.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import socketserver
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generator.build import BuildOptions
from generator.render.site import render_site
from generator.resolve import load_document_set

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "site" / "basic"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"]


def build_site_files(root: Path, rendered: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    docset = load_document_set(root)
    return render_site(docset, BuildOptions(root=root, output=root / "build",
                                            rendered=dict(rendered or {})))


def write_files(folder: Path, files: Mapping[str, bytes]) -> Path:
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def search_docs(site: Path) -> list[dict[str, str]]:
    data = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    docs: list[dict[str, str]] = data["docs"]
    return docs


def locations_matching(site: Path, term: str) -> set[str]:
    """Search index entries whose text holds `term` (the index separates jieba words with
    U+200B, as Material's search does before matching)."""
    found = set()
    for doc in search_docs(site):
        text = re.sub(r"<[^>]+>", "", doc["title"] + doc["text"]).replace("\u200b", "")
        if term in text:
            found.add(doc["location"])
    return found


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def chromium() -> Iterator[Any]:
    """Headless Chromium (the system binary) driven by Playwright."""
    import pytest

    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield instance
        finally:
            instance.close()


def screenshot_folder(tmp_path_factory: Any) -> Path:
    """$WENKONG_SCREENSHOTS, or a temporary folder: where browser tests leave their PNGs."""
    folder = os.environ.get("WENKONG_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path
