"""Render stage (site): `mkdocs build` on several processes.

mkdocs builds page after page in one process. This mkdocs plugin splits its two per-page loops
over forked worker processes, each doing exactly what mkdocs would do for its share of pages:
- at `on_nav` (every page and the navigation known): read and convert the Markdown
  (`Page.read_source`, `Page.render`); the results go back onto the page objects, whose own
  `read_source` and `render` then have nothing left to do;
- at `on_env` (all pages converted): write each page through the theme (`_build_page`), which
  also gives the search plugin its entries; the workers write the HTML files and return the
  search entries, which are added in page order. The build runs in mkdocs' "dirty" mode so that
  it skips the pages a worker has written (the site folder is always new and empty).
Warnings raised in the workers are logged again in the main process, so `--strict` still counts
them. The site is byte for byte the same as a serial build (tests/test_site_build.py).

Only used when no plugin other than search is configured: other plugins may change a page
between the steps, which this would skip.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import markdown as python_markdown
import mkdocs
from mkdocs.commands import build as mkdocs_build
from mkdocs.plugins import BasePlugin
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc

from generator.render.site.pagecache import CachedPage, JinjaBytecode, PageCache

MIN_PAGES = 150  # below this, starting processes costs more than it saves
SHARES_PER_WORKER = 32  # small enough to even out the workers, large enough to be cheap
SAFE_PLUGINS = frozenset({"search", "material/search"})

_shared: tuple[Any, Any, list[Page]] | None = None  # (config, files, pages), inherited by fork
_theme: tuple[Any, Any, Any, list[Any], list[Any]] | None = None
"""(nav, env, search index, doc files, the files to build), inherited by fork."""
DIRTY_WARNING = "A 'dirty' build is being performed"


class WarningCollector(logging.Handler):
    """Keeps mkdocs' warnings to report them as one clear error (strict builds)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def collecting_warnings() -> Iterator[WarningCollector]:
    """Collect mkdocs' warnings while the block runs (the handler is removed even on error)."""
    collect = WarningCollector()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(collect)
    try:
        yield collect
    finally:
        logger.removeHandler(collect)


_markdown: tuple[Any, Any] | None = None
"""(config, Markdown instance) of this process: one instance, reset between pages."""
_PER_PAGE = ("_RawHTMLPreprocessor", "_ExtractAnchorsTreeprocessor",
             "_RelativePathTreeprocessor", "_ExtractTitleTreeprocessor")
_REUSABLE = mkdocs.__version__.startswith("1.6.") and all(
    hasattr(mkdocs_pages, name) for name in _PER_PAGE)


def render_page(page: Page, config: Any, files: Any) -> None:
    """What `Page.render` does (mkdocs 1.6), on one Markdown instance per process.

    mkdocs makes a new Markdown instance for every page, loading every extension again: 2-5 ms
    a page, a tenth of a cold build at 1,000 + 1,000. Python-Markdown's `reset` readies an
    instance for the next document; mkdocs' per-page processors (anchors, links, title) are
    registered again under their names, which replaces the previous page's. The HTML is the
    same (tests/test_site_build.py). Other mkdocs versions: `Page.render` itself."""
    global _markdown
    if not _REUSABLE:
        page.render(config, files)
        return
    if page.markdown is None:
        raise RuntimeError("`markdown` field hasn't been set (via `read_source`)")
    if _markdown is None or _markdown[0] is not config:
        _markdown = (config, python_markdown.Markdown(
            extensions=config["markdown_extensions"],
            extension_configs=config["mdx_configs"] or {}))
    md = _markdown[1]
    md.reset()
    raw_html = mkdocs_pages._RawHTMLPreprocessor()
    raw_html._register(md)
    anchors = mkdocs_pages._ExtractAnchorsTreeprocessor(page.file, files, config)
    anchors._register(md)
    relative = mkdocs_pages._RelativePathTreeprocessor(page.file, files, config)
    relative._register(md)
    title = mkdocs_pages._ExtractTitleTreeprocessor()
    title._register(md)
    page.content = md.convert(page.markdown)
    page.toc = get_toc(getattr(md, "toc_tokens", []))
    page._title_from_render = title.title
    page.present_anchor_ids = anchors.present_anchor_ids | raw_html.present_anchor_ids
    if mkdocs_pages.log.getEffectiveLevel() > logging.DEBUG:
        page.links_to_anchors = relative.links_to_anchors


def _convert(indexes: list[int]) -> tuple[list[tuple[Any, ...]], list[str]]:
    """In a worker: read and convert the pages at `indexes`; their results and warnings."""
    assert _shared is not None
    config, files, pages = _shared
    results = []
    with collecting_warnings() as collect:
        for index in indexes:
            page = pages[index]
            page.read_source(config)
            render_page(page, config, files)
            links = {target.src_uri: found
                     for target, found in (page.links_to_anchors or {}).items()}
            results.append((index, page.markdown, page.meta, page.content, page.toc,
                            page._title_from_render, page.present_anchor_ids, links))
    return results, collect.messages


def _write(indexes: list[int]) -> tuple[list[tuple[int, list[Any]]], list[str]]:
    """In a worker: build the pages at `indexes` through the theme; their search entries."""
    assert _shared is not None and _theme is not None
    config, _, _ = _shared
    nav, env, index, doc_files, todo = _theme
    results = []
    with collecting_warnings() as collect:
        for position in indexes:
            file = todo[position]
            before = len(index) if index is not None else 0
            mkdocs_build._build_page(file.page, config, doc_files, nav, env, False,
                                     excluded=file.inclusion.is_excluded())
            results.append((position, index[before:] if index is not None else []))
    # the Chinese runs this worker cut for the search index, to keep for later builds
    results.append((-1, _segmenter_added()))
    return results, collect.messages


def _segmenter() -> Any:
    """The search plugin's segmenter when it is the build's memo (engine._MemoJieba)."""
    try:
        from material.plugins.search import plugin as search_plugin
    except ImportError:
        return None
    found = getattr(search_plugin, "jieba", None)
    return found if hasattr(found, "take_added") else None


def _segmenter_added() -> dict[Any, Any]:
    memo = _segmenter()
    return memo.take_added() if memo is not None else {}


def _run(task: Callable[[list[int]], tuple[list[Any], list[str]]], count: int,
         total: int) -> list[Any]:
    """Run `task` over `total` items in `count` forked processes; results, warnings re-logged.

    With one process (`count` < 2) the task runs here: its warnings were logged already."""
    if count < 2:
        found, _ = task(list(range(total)))
        return found
    # Many small shares handed out as workers free up, not one fixed share per worker: pages
    # differ in cost (the lists grow with the set), and with fixed shares one worker ran
    # 1.7 s longer than the other at 1,000 procedures. map keeps the shares' order.
    size = max(1, -(-total // (count * SHARES_PER_WORKER)))
    shares = [list(range(start, min(start + size, total))) for start in range(0, total, size)]
    with multiprocessing.get_context("fork").Pool(count) as pool:
        outcomes = pool.map(task, shares, chunksize=1)
    log = logging.getLogger("mkdocs.structure.pages")
    results: list[Any] = []
    for found, messages in outcomes:
        for message in messages:
            log.warning(message)
        results.extend(found)
    return results


_task: Callable[[int], Any] | None = None  # the function fork_map runs, inherited by fork


def _apply(indexes: list[int]) -> tuple[list[tuple[int, Any]], list[str]]:
    assert _task is not None
    return [(index, _task(index)) for index in indexes], []


def fork_map(function: Callable[[int], Any], total: int, minimum: int = MIN_PAGES) -> list[Any]:
    """[function(0), …, function(total - 1)], computed in forked processes when worth it.

    `function` may use anything the calling process holds (fork copies it); its results must
    pickle.
    """
    global _task
    count = workers()
    if total < minimum or count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(index) for index in range(total)]
    _task = function
    try:
        results = _run(_apply, count, total)
    finally:
        _task = None
    return [value for _, value in sorted(results, key=lambda item: item[0])]


class SkipDirtyWarning(logging.Filter):
    """The dirty mode is used on purpose (see the module docstring): not a warning here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(DIRTY_WARNING)


def workers() -> int:
    return min(os.cpu_count() or 1, 8)


def usable(config: Any) -> bool:
    """Whether this plugin may run mkdocs' page loops: no other plugin could change a page
    between the steps it takes over."""
    return set(config.plugins) <= SAFE_PLUGINS


def load_segmenter() -> None:
    """Load jieba's dictionary (for the search index) once here, before workers are forked:
    each would otherwise load it again (about 1 s of CPU per process)."""
    try:
        import jieba
    except ImportError:
        return
    jieba.setLogLevel(logging.WARNING)  # it logs "Building prefix dict" at INFO
    jieba.initialize()


def search_entries(config: Any) -> list[Any] | None:
    """The list the search plugin adds each page's entries to (Material's or mkdocs' own)."""
    search = config.plugins.get("search") or config.plugins.get("material/search")
    index = getattr(search, "search_index", None)
    for name in ("entries", "_entries"):  # Material, mkdocs
        found = getattr(index, name, None)
        if isinstance(found, list):
            return found
    return None


def _forking(total: int, minimum: int) -> int:
    """How many processes for `total` pages: one (this one) below `minimum`."""
    count = workers()
    if total < minimum or count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return count


class ParallelPages(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """Takes over mkdocs' two per-page loops (see the module docstring), with cached pages
    (`pagecache.PageCache`) standing in for their conversion and theming, and generated
    static files (downloads, drawings) kept in memory instead of copied through the disk."""

    def __init__(self, min_pages: int = MIN_PAGES) -> None:
        super().__init__()
        self.min_pages = min_pages
        self.nav: Any = None
        self.cache: PageCache | None = None
        self.static: Mapping[str, bytes] = {}
        self.pages: Mapping[str, bytes] = {}  # generated Markdown pages, docs-relative
        self.hits: dict[str, CachedPage] = {}  # src_uri → cached page
        self.built: list[tuple[Any, list[Any]]] = []  # (page, search entries) built this time
        self.outputs: dict[str, bytes] = {}  # site-relative path → bytes not on the disk
        self.dropped: frozenset[str] = frozenset()  # outputs nobody keeps: not built
        self.templates: list[str] = []  # theme templates built this time
        self.bytecode: JinjaBytecode | None = None

    def on_files(self, files: Any, *, config: Any) -> Any:
        if self.pages:
            # The generated pages from memory, in the order mkdocs would have found them in
            # the docs folder (it walks it: a folder's files, then its sub-folders), before
            # the theme's files: the order of the pages in the search index.
            docs_dir = os.path.abspath(config.docs_dir)
            walked = [file for file in files if file.abs_src_path
                      and os.path.abspath(file.abs_src_path).startswith(docs_dir + os.sep)]
            chosen = {id(file) for file in walked}
            walked += [File.generated(config, path, content=data)
                       for path, data in self.pages.items()]
            walked.sort(key=lambda file: walk_order(file.src_uri))
            files = Files([*walked, *(file for file in files if id(file) not in chosen)])
        for path, data in sorted(self.static.items()):
            file = File.generated(config, path, content=data)
            # not copied: the bytes go to the site from memory
            file.is_modified = _unchanged  # type: ignore[method-assign]
            files.append(file)
        return files

    def on_nav(self, nav: Any, *, config: Any, files: Any) -> Any:
        global _shared
        self.nav = nav
        pages = [file.page for file in files.documentation_pages() if file.page is not None]
        if self.cache is not None:
            # Every page shows the navigation: with the titles of its pages, some of which
            # come from the page itself (front matter).
            titles = []
            for page in nav.pages:
                if page.markdown is None:
                    page.read_source(config)
                titles.append(f"{page.file.src_uri}\0{page.title}")
            self.cache.add_context(*titles)
        todo = []
        for page in pages:
            hit = self.cache.get(page.file.src_uri) if self.cache is not None else None
            if hit is None:
                todo.append(page)
                continue
            self.hits[page.file.src_uri] = hit
            # What the skipped steps would have left on the page for the rest of the build
            # (the navigation's titles, anchor checks of links into this page).
            page.markdown, page.content, page.meta = "", "", dict(hit.meta)
            page._title_from_render = hit.title
            page.present_anchor_ids = set(hit.anchors)
            page.links_to_anchors = {files.get_file_from_path(uri): dict(found)
                                     for uri, found in hit.links.items()}
            page.file.is_modified = _unchanged
        _shared = (config, files, todo)
        try:
            results = _run(_convert, _forking(len(todo), self.min_pages), len(todo))
        finally:
            _shared = None
        for (index, markdown, meta, content, toc, title, anchors, links) in results:
            page = todo[index]
            page.markdown, page.meta, page.content, page.toc = markdown, meta, content, toc
            page._title_from_render = title
            page.present_anchor_ids = anchors
            page.links_to_anchors = {files.get_file_from_path(uri): found
                                     for uri, found in links.items()}
            # mkdocs calls these next: the work is done, keep the results.
            page.read_source = _keep
            page.render = _keep
        return nav

    def on_env(self, env: Any, *, config: Any, files: Any) -> Any:
        global _shared, _theme
        if self.cache is not None:
            self.bytecode = env.bytecode_cache = JinjaBytecode(self.cache.cache)
        self._theme_templates(env, config, files)
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_included)
        index = search_entries(config)
        before = list(index) if index is not None else []
        todo = [file for file in doc_files if file.src_uri not in self.hits]
        _shared = (config, files, [])
        _theme = (self.nav, env, index, doc_files, todo)
        count = _forking(len(todo), self.min_pages)
        if count > 1:
            load_segmenter()
        try:
            results = _run(_write, count, len(todo))
        finally:
            _shared, _theme = None, None
        fresh: dict[int, Any] = {}
        memo = _segmenter()
        for position, found in results:
            if position >= 0:
                fresh[position] = found
            elif memo is not None:
                memo.learn(found)
        entries = list(before)
        for position, file in enumerate(todo):
            self.built.append((file.page, fresh[position]))
        built = {id(file): found for file, (_, found) in zip(todo, self.built, strict=True)}
        for file in doc_files:
            hit = self.hits.get(file.src_uri)
            if hit is not None:
                entries.extend(hit.entries)
                self.outputs[file.dest_uri] = hit.html
            else:
                entries.extend(built[id(file)])
            # built above or taken from the cache: the dirty build skips it
            file.is_modified = _unchanged
        if index is not None:
            index[:] = entries
        for file in files:
            if not file.is_documentation_page() and file.src_uri in self.static:
                self.outputs[file.dest_uri] = self.static[file.src_uri]
        return env

    def _theme_templates(self, env: Any, config: Any, files: Any) -> None:
        """The theme's own pages (404.html): from the cache, or built here; the dropped ones
        (sitemap.xml) not at all."""
        for name in sorted(config.theme.static_templates):
            config.theme.static_templates.discard(name)
            if name in self.dropped:
                continue
            found = self.cache.get_template(name) if self.cache is not None else None
            if found is not None:
                self.outputs[name] = found
                continue
            mkdocs_build._build_theme_template(name, env, files, config, self.nav)
            self.templates.append(name)

    def store(self, site: Mapping[str, bytes]) -> None:
        """After a good build: keep the pages built this time (their HTML is in `site`)."""
        if self.cache is None:
            return
        for name in self.templates:
            if name in site:
                self.cache.put_template(name, site[name])
        for page, entries in self.built:
            html = site.get(page.file.dest_uri)
            if html is None:
                continue
            links = {file.src_uri: dict(found)
                     for file, found in (page.links_to_anchors or {}).items()}
            self.cache.put(page.file.src_uri, CachedPage(
                html=html, meta=page.meta, title=page._title_from_render,
                anchors=sorted(page.present_anchor_ids or ()), links=links, entries=entries))


def walk_order(src_uri: str) -> tuple[tuple[int, Any], ...]:
    """Where mkdocs' walk of the docs folder finds `src_uri`: top down, a folder's files
    (index first, then by name) before its sub-folders (by name)."""
    *folders, name = src_uri.split("/")
    stem = os.path.splitext(name)[0]
    return (*((1, folder) for folder in folders), (0, (stem not in ("index", "README"), name)))


def _unchanged() -> bool:
    return False


def _keep(*args: Any, **kwargs: Any) -> None:
    """Stands in for Page.read_source / Page.render once a worker has done them."""
