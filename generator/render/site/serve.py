"""Render stage (site): `wenkong serve`, a local preview that follows the YAML sources.

Builds everything once (like `wenkong build`, through the build cache), then serves the built
site from a temporary folder on 127.0.0.1 with mkdocs' live-reload server. The server watches
the set's files (settings, roles, mkdocs.yml at the top, and every folder of the set but the
build and cache folders); after each change the set is resolved again and the site rebuilt
through the incremental path (generator/render/site/pagecache.py: only the pages whose inputs
changed are built again), the files that changed are rewritten and the browser reloads. A source
with errors is reported and the last good pages stay. The .docx downloads are the ones of the
first build.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from generator.build import build
from generator.cache import CACHE_DIR, BuildCache, set_cache
from generator.contract import BuildOptions
from generator.errors import SourceErrors, WenkongError
from generator.i18n import _
from generator.render.site import render_site
from generator.render.site.engine import site_folder, write_docs
from generator.render.site.pagecache import stats
from generator.resolve import load_document_set


def watched_paths(root: Path, output: Path) -> list[tuple[Path, bool]]:
    """What the preview follows, as (path, recursive): the set's own top-level files, and each
    folder of the set but the build output, the cache and hidden ones (.git)."""
    found = [(root, False)]
    for path in sorted(root.iterdir()):
        if not path.is_dir() or path.name.startswith(".") or path.name == CACHE_DIR:
            continue
        resolved = path.resolve()
        if resolved == output.resolve() or output.resolve().is_relative_to(resolved):
            continue  # the build writes there (and a folder holding it is too much to follow)
        found.append((path, True))
    return found


class Preview:
    """The served folder and how to refresh it from the sources."""

    def __init__(self, root: Path, folder: Path, output: Path, rendered: Mapping[str, bytes],
                 cache: BuildCache, report: Callable[[str], None]) -> None:
        self.root = root
        self.folder = folder
        self.output = output
        self.rendered = rendered
        self.cache = cache
        self.report = report

    def refresh(self) -> bool:
        """Build the site again from the sources (incrementally) and write what changed; False
        when the sources have errors (the last good pages stay)."""
        try:
            docset = load_document_set(self.root, cache=self.cache)
        except SourceErrors as exc:
            for problem in exc.problems[:20]:
                self.report(str(problem))
            self.report(_("{count} 个错误：预览保留上一次正确的网页").format(count=len(exc.errors)))
            return False
        files = render_site(docset, BuildOptions(root=self.root, output=self.output,
                                                 rendered=self.rendered, cache=self.cache))
        prefix = site_folder(docset.root, docset.settings.output_dir) + "/"
        write_docs(self.folder, {path[len(prefix):]: data for path, data in files.items()
                                 if path.startswith(prefix)})
        return True

    def rebuild(self) -> None:
        """The live-reload server's builder: after a change, never raises."""
        self.report(_("源文件有改动：重新生成网页"))
        try:
            if self.refresh():
                self.report(_("已重新生成 {built} 个网页（其余 {kept} 个未变）").format(
                    built=stats.get("pages_built", 0), kept=stats.get("pages_hits", 0)))
        except WenkongError as exc:
            self.report(_("错误：{message}").format(message=exc))

    def not_found(self, code: int) -> bytes | None:
        page = self.folder / "404.html"
        if code == 404 and page.is_file():
            with contextlib.suppress(OSError):
                return page.read_bytes()
        return None


def serve_site(root: Path, output: Path | None, port: int,
               report: Callable[[str], None] = print) -> None:
    """Build once, then serve the site on http://127.0.0.1:PORT/ until interrupted."""
    from mkdocs.livereload import LiveReloadServer

    cache = set_cache(root)
    docset = load_document_set(root, cache=cache)
    target = output or root / docset.settings.output_dir
    files = build(docset, BuildOptions(root=root, output=target, cache=cache))
    report(_("已在 {target} 中生成 {count} 个文件").format(target=target, count=len(files)))
    with tempfile.TemporaryDirectory(prefix="wenkong-serve-") as temporary:
        preview = Preview(root, Path(temporary), target, files, cache, report)
        if not preview.refresh():
            raise WenkongError(_("源文件有错误：改正后再运行 serve"))
        server = LiveReloadServer(builder=preview.rebuild, host="127.0.0.1", port=port,
                                  root=temporary)
        server.error_handler = preview.not_found
        for path, recursive in watched_paths(root, target):
            server.watch(str(path), recursive=recursive)
        report(_("网站地址 http://127.0.0.1:{port}/（按 Ctrl+C 停止）").format(port=port))
        try:
            server.serve()  # type: ignore[no-untyped-call]
        except KeyboardInterrupt:
            pass
        except OSError as exc:  # the port is taken, or not ours to use
            raise WenkongError(_("无法在 127.0.0.1:{port} 上启动预览：{message}").format(
                port=port, message=exc.strerror or exc)) from None
        finally:
            server.shutdown()
