"""Render stage (site): `wenkong serve`, a local preview that follows the YAML sources.

Builds everything once (like `wenkong build`), then runs `mkdocs serve` on 127.0.0.1 over a
temporary docs folder. A watcher thread polls the sources (settings, roles, procedures, forms,
mkdocs.yml, site/); when one changes it resolves the set again and rewrites the pages that
changed, and mkdocs' own watcher rebuilds and reloads the browser. A source with errors is
reported and the last good pages stay. The .docx downloads are the ones of the first build.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from generator.build import build
from generator.contract import BuildOptions
from generator.errors import SourceErrors, WenkongError
from generator.i18n import _
from generator.render.site import site_content
from generator.render.site.engine import (
    CONFIG_FILE,
    SITE_MATERIAL,
    VALIDATION,
    default_config,
    docs_folder,
    write_docs,
)
from generator.resolve import load_document_set

POLL_SECONDS = 1.0
HOOK = Path(__file__).with_name("serve_hook.py")


def source_files(root: Path) -> dict[Path, float]:
    """Every file whose change should refresh the preview, with its modification time."""
    found: dict[Path, float] = {}
    patterns = ["*.yaml", "*.yml", f"{SITE_MATERIAL}/**/*", "procedures/**/*.y*ml",
                "forms/**/*.y*ml"]
    for pattern in patterns:
        for path in root.glob(pattern):
            if path.is_file() and "build" not in path.relative_to(root).parts[:1]:
                with contextlib.suppress(OSError):
                    found[path] = path.stat().st_mtime
    return found


class Preview:
    """The temporary docs folder and generated config that `mkdocs serve` works on."""

    def __init__(self, root: Path, folder: Path, rendered: Mapping[str, bytes],
                 report: Callable[[str], None]) -> None:
        self.root = root
        self.folder = folder
        self.rendered = rendered
        self.report = report
        self.config = folder / CONFIG_FILE

    def refresh(self) -> bool:
        """Regenerate pages and config from the sources; False when the sources have errors."""
        try:
            docset = load_document_set(self.root)
        except SourceErrors as exc:
            for problem in exc.problems[:20]:
                self.report(str(problem))
            self.report(_("{count} 个错误：预览保留上一次正确的网页").format(count=len(exc.errors)))
            return False
        content = site_content(docset, self.rendered)
        write_docs(self.folder / "docs", docs_folder(self.root, {**content.pages,
                                                                  **content.files}))
        self._write_config(docset.settings.company.site_title_name, content.nav, content.omitted)
        return True

    def _write_config(self, company: str, nav: list[Any], omitted: list[str]) -> None:
        from mkdocs.utils.yaml import yaml_load

        base = self.root / CONFIG_FILE
        theme: dict[str, Any] = {}
        if base.is_file():
            with base.open("rb") as stream:
                parent = yaml_load(stream) or {}
            custom = (parent.get("theme") or {}).get("custom_dir") if isinstance(
                parent.get("theme"), dict) else None
            if custom:
                # INHERIT resolves paths from this file: point custom_dir back at the set.
                theme = {"custom_dir": str((self.root / custom).resolve())}
        else:
            base = self.folder / "base.yml"
            base.write_text(default_config(company), "utf-8")
        config: dict[str, Any] = {
            "INHERIT": str(base.resolve()),
            "docs_dir": "docs",
            "nav": nav,
            "not_in_nav": "\n".join("/" + path for path in omitted),
            "validation": VALIDATION,
            "hooks": [str(HOOK)],
        }
        if theme:
            config["theme"] = theme
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False)
        if not self.config.is_file() or self.config.read_text("utf-8") != text:
            self.config.write_text(text, "utf-8")


@contextlib.contextmanager
def _watching(preview: Preview, stop: threading.Event) -> Iterator[None]:
    def loop() -> None:
        seen = source_files(preview.root)
        while not stop.wait(POLL_SECONDS):
            now = source_files(preview.root)
            if now != seen:
                seen = now
                preview.report(_("源文件有改动：重新生成网页"))
                try:
                    preview.refresh()
                except WenkongError as exc:
                    preview.report(_("错误：{message}").format(message=exc))

    thread = threading.Thread(target=loop, name="wenkong-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def serve_site(root: Path, output: Path | None, port: int,
               report: Callable[[str], None] = print) -> None:
    """Build once, then serve the site on http://127.0.0.1:PORT/ until interrupted."""
    from mkdocs.commands.serve import serve

    docset = load_document_set(root)
    target = output or root / docset.settings.output_dir
    files = build(docset, BuildOptions(root=root, output=target))
    report(_("已在 {target} 中生成 {count} 个文件").format(target=target, count=len(files)))
    with tempfile.TemporaryDirectory(prefix="wenkong-serve-") as temporary:
        preview = Preview(root, Path(temporary), files, report)
        if not preview.refresh():
            raise WenkongError(_("源文件有错误：改正后再运行 serve"))
        stop = threading.Event()
        report(_("网站地址 http://127.0.0.1:{port}/（按 Ctrl+C 停止）").format(port=port))
        with _watching(preview, stop):
            serve(config_file=str(preview.config), livereload=True,
                  dev_addr=f"127.0.0.1:{port}")
