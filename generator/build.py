"""Build orchestration: resolve once, run every renderer, write all outputs in one swap.

Renderers are functions `(DocumentSet, BuildOptions) -> dict[relative path, bytes]`. They never
read sources and never write to disk; this module collects their files and hands them to the
write stage.

The Word renderers (procedures, forms) are planned first (what the cache has, flowcharts drawn
ahead) and their documents rendered by worker processes (render/parallel.py `Background`) while
this process builds the history and the site: both cores busy through the whole build. The
site gets a stand-in (contract.PENDING) for each .docx not rendered yet and copies it into its
downloads; the real bytes replace the stand-ins before anything is written.
"""

from __future__ import annotations

import importlib
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from generator.cache import BuildCache
from generator.contract import PENDING, REUSED_OUTPUTS, BuildOptions, Files, Progress, Renderer
from generator.docset import DocumentSet
from generator.i18n import _
from generator.write import OutputError, output_conflict, output_folder, replace_tree

__all__ = ["BuildOptions", "Files", "Progress", "Renderer", "build", "output_conflict", "renderers",
           "reused_files"]


def reused_files(cache: BuildCache) -> int:
    """How many output files of the build came whole from the cache (the build summary)."""
    return sum(cache.namespace_hits[name] for name in REUSED_OUTPUTS)


def renderers() -> dict[str, Renderer]:
    """The outputs a build produces, by name, in build order.

    Each renderer's module is imported when it runs, not here: each pulls in heavy libraries
    (python-docx, mkdocs) that commands like `validate`, or a build of some outputs only
    (`--only procedures`), never need.
    """
    return {
        "procedures": _deferred("generator.render.docx.procedure", "render_procedures"),
        "forms": _deferred("generator.render.docx.form", "render_forms"),
        # released versions and "changes in this version", read by the site renderer
        "history": _deferred("generator.control.publish", "render_history"),
        "site": _deferred("generator.render.site", "render_site"),
    }


# The Word renderers, as the plan of their documents (render/parallel.py `Batch`), by name.
_PLANS = {"procedures": ("generator.render.docx.procedure", "plan_procedures"),
          "forms": ("generator.render.docx.form", "plan_forms")}


def _deferred(module: str, name: str) -> Renderer:
    def render(docset: DocumentSet, options: BuildOptions) -> Files:
        renderer: Renderer = getattr(importlib.import_module(module), name)
        return renderer(docset, options)

    render.__qualname__ = render.__name__ = name
    return render


def build(docset: DocumentSet, options: BuildOptions) -> Files:
    """Render every output into memory, then replace the output folder in one step."""
    output_folder(options.output)  # a link or a file in the way: say so before rendering
    conflict = output_conflict(docset.root, options.output, docset.settings)
    if conflict is not None:
        raise OutputError(_("不能把 {output} 用作输出文件夹：{reason}。请换一个文件夹。").format(
            output=options.output, reason=conflict))
    if options.pdf:
        from generator.render.pdf import soffice_binary

        soffice_binary()  # say "install LibreOffice" before rendering anything
    files = _render(docset, options)
    if options.pdf:
        from generator.render.docx.procedure import pdf_copies

        # every procedure .docx not converted before, in one LibreOffice call
        files.update(pdf_copies(files, options.cache, docset.root,
                                docset.settings.flowcharts))
    written = {**files, **kept_pdfs(options.output, files)} if not options.pdf else files
    # Outputs this build did not produce (`--only site` leaves procedures/ and forms/) stay.
    skipped = {name for name in renderers() if options.only and name not in options.only}
    replace_tree(options.output, written, keep=tuple(sorted(skipped)))
    return files


def _render(docset: DocumentSet, options: BuildOptions) -> Files:
    """Every output in memory: the Word documents in background workers while the other
    renderers (history, site) run here."""
    from generator.render.parallel import Background

    wanted = [name for name in renderers() if not options.only or name in options.only]
    batches = [getattr(importlib.import_module(_PLANS[name][0]), _PLANS[name][1])(docset, options)
               for name in wanted if name in _PLANS]
    files: Files = {}
    with Background(batches, options.progress) as work:
        for batch in batches:
            # in output order, each a stand-in until rendered
            files.update(batch.files({key: PENDING + name.encode("utf-8")
                                      for key, name in batch.names.items()}))
        for name, render in renderers().items():
            if name in wanted and name not in _PLANS:
                files.update(render(docset, replace(options, rendered=MappingProxyType(files))))
        rendered = work.results()
    word: Files = {}
    for batch, documents in zip(batches, rendered, strict=True):
        batch.store(documents)
        word.update(batch.files(documents))
    for path, data in files.items():
        if data.startswith(PENDING):  # a Word document, or the site's copy of one
            files[path] = word[data[len(PENDING):].decode("utf-8")]
    return files


def kept_pdfs(output: Path, files: Files) -> Files:
    """PDFs of the previous build that are still current, for a build without --pdf.

    `wenkong serve` or a plain `wenkong build` after `wenkong build --pdf` must not delete the
    PDFs: each PDF whose .docx this build produced again under the same name (same code,
    version and title) is carried over; a PDF of a version no longer built is dropped, so no
    outdated copy stays beside the current ones.
    """
    from generator.render.docx.procedure import pdf_name

    kept: Files = {}
    for name in files:
        pdf = pdf_name(name)
        if pdf is None:
            continue
        old = output / pdf
        if old.is_file() and not old.is_symlink():
            try:
                kept[pdf] = old.read_bytes()
            except OSError:
                continue
    return kept
