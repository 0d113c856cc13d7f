"""Render stage (site): the auditors' documentation site (Material for MkDocs).

`render_site(docset, options)` renders one Markdown page per procedure, form and role plus the
lists (受控文件清单, 质量记录清单, responsibility matrix, change log, archive) from the resolved
DocumentSet, builds them with mkdocs in a temporary folder and returns the built site as
files under `site/` (or mkdocs.yml's site_dir inside the build folder). The .docx files built
by the earlier renderers are copied into the site's `downloads/`, so the site is one folder that
any web server can serve.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import gc
from collections.abc import Iterator, Mapping

from generator.cache import BuildCache, generator_digest, key
from generator.cachekeys import Digests
from generator.contract import BuildOptions
from generator.docset import DocumentSet
from generator.model import Form, Procedure
from generator.model.settings import SiteEngine
from generator.render.flowchart import graphviz_version
from generator.render.site import parallel
from generator.render.site.engine import build_site, site_folder
from generator.render.site.history import load_history
from generator.render.site.pagecache import FLOWCHARTS, fingerprint, library_versions, stats
from generator.render.site.pages import SiteContent, build_content

__all__ = ["render_site", "site_content"]


def _flowcharts(docset: DocumentSet,
                cache: BuildCache | None = None) -> dict[tuple[str, str], bytes]:
    """The SVG of every process table, drawn by the same code as the .docx's; from `cache`
    when the same process was drawn with the same settings before."""
    try:
        from generator.render.flowchart import render_flowchart
    except ImportError:  # the flowchart renderer is optional: tables are shown either way
        return {}
    cache = cache or BuildCache(None)
    every = [(code, process) for code, doc in docset.procedures.items()
             for process in doc.processes]
    found: dict[tuple[str, str], bytes] = {}
    entries: dict[tuple[str, str], str] = {}
    if cache.enabled:
        settings = docset.settings.model_dump_json()
        digests = Digests()  # one for all: its tables are built once
        for code, process in every:
            entries[code, process.id] = key("flowchart", generator_digest(), graphviz_version(),
                                            library_versions(), settings,
                                            fingerprint(process, digests))
            data = cache.get(FLOWCHARTS, entries[code, process.id])
            if data is not None and _whole_svg(data):
                found[code, process.id] = data
    processes = [(code, process) for code, process in every if (code, process.id) not in found]
    if len(processes) >= parallel.MIN_PAGES:
        # The drawings wrap Chinese names with jieba: load its dictionary once, before
        # fork_map's workers start, rather than once in each of them.
        parallel.load_segmenter()

    def draw(index: int) -> bytes:
        svg = render_flowchart(processes[index][1], docset.settings, "svg")
        return svg if isinstance(svg, bytes) else svg.encode()

    drawings = parallel.fork_map(draw, len(processes))
    for (code, process), svg in zip(processes, drawings, strict=True):
        found[code, process.id] = svg
        if entries:
            cache.put(FLOWCHARTS, entries[code, process.id], svg)
    if entries:
        cache.prune(FLOWCHARTS, entries.values())
    stats.update(flowcharts_hits=len(every) - len(processes), flowcharts_built=len(processes))
    return {(code, process.id): found[code, process.id] for code, process in every}


def _whole_svg(data: bytes) -> bool:
    return data.startswith((b"<?xml", b"<svg")) and data.rstrip().endswith(b"</svg>")


def _epoch(docset: DocumentSet) -> int:
    """A build date that depends on the sources only: the newest date in the set."""
    dates = [dt.date(2000, 1, 1)]
    models: list[Procedure | Form] = [doc.model for doc in docset.procedures.values()]
    models += [form.model for form in docset.forms.values()]
    for model in models:
        dates += [r.date for r in model.revisions]
        dates += [d for d in (model.issue_date, model.effective_date) if d is not None]
    return calendar.timegm(max(dates).timetuple())


def site_content(docset: DocumentSet, rendered: Mapping[str, bytes],
                 cache: BuildCache | None = None) -> SiteContent:
    """The docs folder (Markdown pages and files) and navigation, before mkdocs runs."""
    return build_content(docset, rendered, load_history(rendered), _flowcharts(docset, cache),
                         cache)


@contextlib.contextmanager
def _set_aside() -> Iterator[None]:
    """The objects that exist now (the resolved set: large, and alive for the whole build)
    left out of the garbage collector's passes while the site builds (they took a quarter of
    the CPU of a site build after one edit at 1,000 + 1,000). Unless a caller did so already."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def render_site(docset: DocumentSet, options: BuildOptions) -> dict[str, bytes]:
    """The built site, as files relative to the build folder."""
    with _set_aside():
        return _render_site(docset, options)


def _render_site(docset: DocumentSet, options: BuildOptions) -> dict[str, bytes]:
    content = site_content(docset, options.rendered, options.cache)
    prefix = site_folder(docset.root, docset.settings.output_dir)
    if docset.settings.site_engine is SiteEngine.zensical:
        from generator.render.site import zensical

        zensical.require(docset.root)
        built = zensical.build_site(docset.root, docset.settings.company.site_title_name,
                                    {**content.pages, **content.files}, content.nav,
                                    content.omitted, _epoch(docset))
    else:
        built = build_site(docset.root, docset.settings.company.site_title_name,
                           {**content.pages, **content.files}, content.nav, content.omitted,
                           _epoch(docset), options.cache)
    return {f"{prefix}/{path}": data for path, data in built.items()}
