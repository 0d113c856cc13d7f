"""Render stage (Word): one .docx per procedure, from the company's docxtpl template.

The template (templates/procedure.docx, or `<templates_dir>/procedure.docx` of the document
set) carries the letterhead, header, cover block, revision history and styles; the body is a
python-docx sub-document built by body.py that names the template's styles. The template file
is read and checked once per build; each document renders from the bytes in memory.

Output: `procedures/<code>_<version>_<title>.docx`, byte-identical from build to build.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.shared import Length, Mm
from docxtpl import DocxTemplate
from docxtpl.subdoc import Subdoc
from jinja2 import Environment, StrictUndefined, TemplateError
from lxml.etree import XMLSyntaxError

from generator.cache import BuildCache, generator_digest, key
from generator.cachekeys import Digests, document_digests
from generator.contract import BuildOptions, Files
from generator.docset import DocumentSet, ProcedureDoc, ProcessR
from generator.errors import WenkongError, display_path
from generator.i18n import _
from generator.model.settings import Flowcharts
from generator.render.docx import frame, ooxml, tables
from generator.render.docx.body import (
    PARAGRAPH_STYLES,
    STRONG,
    TABLE,
    USED_STYLES,
    Body,
    BodyBuilder,
)
from generator.render.docx.cover import (
    KNOWN_PLACEHOLDERS,
    REQUIRED_PLACEHOLDERS,
    CopyMark,
    cover_context,
    document_date,
)
from generator.render.docx.figures import draw_each, flowchart_drawer
from generator.render.docx.labels import DocxLabels, load_labels
from generator.render.flowchart import graphviz_version
from generator.render.parallel import Batch, run_batch
from generator.versions import file_safe

TEMPLATE_FILE = "procedure.docx"
BUNDLED_TEMPLATE = Path(__file__).resolve().parents[3] / "templates" / TEMPLATE_FILE
OUTPUT_DIR = "procedures"
ARCHIVE_DIR = "archive"  # obsolete documents, apart from the effective ones
FLOWCHART_DPI = 200
CACHE_NAMESPACE = "procedures"  # the build cache's folder of rendered .docx

_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_BODY_PARAGRAPH = re.compile(r"\s*\{\{\s*p\s+body\s*\}\}\s*")


@dataclass(frozen=True)
class ProcedureTemplate:
    """A checked template, held in memory for the whole build."""

    path: Path
    data: bytes
    labels: DocxLabels
    width_mm: float  # text width of the page: tables and figures fill it
    style_ids: dict[str, str]  # style name → id for every style the body names


def output_name(doc: ProcedureDoc) -> str:
    """`procedures/QP-15_A-1_顾客反馈及售后服务控制程序.docx` (no path separators from a title).

    An obsolete procedure goes to `archive/procedures/` only: whoever prints the procedures
    folder must not take a 作废 copy for a current one.
    """
    title = _UNSAFE_IN_NAME.sub("_", doc.title).strip(" .") or "untitled"
    folder = f"{ARCHIVE_DIR}/{OUTPUT_DIR}" if doc.status == "obsolete" else OUTPUT_DIR
    return f"{folder}/{doc.code}_{file_safe(doc.version)}_{title}.docx"


def pdf_name(docx: str) -> str | None:
    """Where the PDF of a built procedure .docx goes: pdf/… or, when archived, archive/pdf/…."""
    for folder, pdf_folder in ((OUTPUT_DIR, PDF_DIR),
                               (f"{ARCHIVE_DIR}/{OUTPUT_DIR}", f"{ARCHIVE_DIR}/{PDF_DIR}")):
        if docx.startswith(f"{folder}/") and docx.endswith(".docx") and \
                "/" not in docx[len(folder) + 1:]:
            return f"{pdf_folder}/{docx[len(folder) + 1:-len('.docx')]}.pdf"
    return None


def find_template(docset: DocumentSet, explicit: Path | None = None) -> Path:
    """The template a build uses: an explicit one, the set's own, or the shipped default."""
    if explicit is not None:
        return explicit
    own = docset.root / docset.settings.templates_dir / TEMPLATE_FILE
    if own.is_file():
        return own
    return BUNDLED_TEMPLATE


def load_template(path: Path, root: Path | None = None) -> ProcedureTemplate:
    """Read and check a template once. Raises WenkongError saying what is wrong with it."""
    shown = display_path(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WenkongError(_("无法读取 Word 模板 {file}：{reason}").format(
            file=shown, reason=exc.strerror)) from None
    try:
        document = Document(io.BytesIO(data))
        used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables()
    except TemplateError as exc:
        raise WenkongError(_("Word 模板 {file} 中有损坏的占位符：{detail}").format(
            file=shown, detail=exc)) from None
    except (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:
        raise WenkongError(_("{file} 不是可读取的 Word .docx 模板（{detail}）：请在 Word 中另存为 "
                             ".docx，或恢复 templates/procedure.docx").format(
                                 file=shown, detail=exc)) from None
    missing = [key for key in REQUIRED_PLACEHOLDERS if key not in used]
    if missing:
        raise WenkongError(_("Word 模板 {file} 缺少占位符 {placeholders}；见 templates/README.md")
                           .format(file=shown, placeholders=", ".join(
                               "{{p body }}" if k == "body" else f"{{{{ {k} }}}}"
                               for k in missing)))
    if not any(_BODY_PARAGRAPH.fullmatch(p.text) for p in document.paragraphs):
        raise WenkongError(_("Word 模板 {file} 必须把 {placeholder} 单独放在一个段落中"
                             "（生成的正文替换这个段落）").format(
                                 file=shown, placeholder="{{p body }}"))
    known = set(_sample_context_keys())
    unknown = sorted(used - known)
    if unknown:
        raise WenkongError(_("Word 模板 {file} 使用了未知的占位符 {unknown}；可用的有：{known}")
                           .format(file=shown, unknown=", ".join(unknown),
                                   known=", ".join(sorted(known))))
    defined = {(s.name, s.type) for s in document.styles}
    lacking = [name for name in PARAGRAPH_STYLES if (name, WD_STYLE_TYPE.PARAGRAPH) not in defined]
    lacking += [name for name, kind in ((STRONG, WD_STYLE_TYPE.CHARACTER),
                                        (TABLE, WD_STYLE_TYPE.TABLE))
                if (name, kind) not in defined]
    if lacking:
        raise WenkongError(_("Word 模板 {file} 缺少样式 {styles}：生成的正文要用到它们"
                             "（用 Word 的“管理器”从默认模板复制；见 templates/README.md）")
                           .format(file=shown, styles=", ".join(lacking)))
    section = document.sections[0]
    page, left, right = section.page_width, section.left_margin, section.right_margin
    # a section without a page size (hand-made XML) gets the A4 text width
    width = Length(page - left - right) if page and left and right else Mm(165)
    labels = load_labels(path)
    ids = {s.name: s.style_id for s in document.styles if s.name in USED_STYLES}
    return ProcedureTemplate(path=path, data=data, labels=labels, width_mm=width.mm,
                             style_ids=ids)


def _sample_context_keys() -> list[str]:
    """Every placeholder name a template may use (the cover context plus `body`)."""
    return list(KNOWN_PLACEHOLDERS)


# The flowcharts drawn ahead for the procedures a build renders (`_draw_charts`), by process
# identity (the process is held, so its id is not reused): found without segmenting a chart's
# words or pickling its process again for each document that shows it. Filled before the
# process pool starts, so forked workers inherit them.
_BY_PROCESS: dict[int, tuple[ProcessR, bytes]] = {}
CHART_NAMESPACE = "flowcharts"  # the build cache's folder of flowchart pictures


def _flowchart(docset: DocumentSet) -> Callable[[ProcessR], bytes] | None:
    draw = flowchart_drawer(docset.settings, FLOWCHART_DPI)
    if draw is None:
        return None

    def drawn_ahead(process: ProcessR) -> bytes:
        known = _BY_PROCESS.get(id(process))
        if known is not None and known[0] is process:
            return known[1]
        data = draw(process)
        _BY_PROCESS[id(process)] = (process, data)
        return data

    return drawn_ahead


def _draw_charts(docset: DocumentSet, codes: list[str], cache: BuildCache) -> None:
    """The flowcharts of the procedures `codes` (those rendered in this build), drawn ahead:
    from the cache when drawn before (same process, settings, graphviz; no word segmentation
    nor graphviz run then), the others in one graphviz run."""
    _BY_PROCESS.clear()
    processes = [p for c in codes for p in docset.procedures[c].processes]
    missing = processes
    keys: dict[int, str] = {}  # by process identity (`processes` holds them)
    if cache.enabled:
        digests = Digests()
        shared = key("flowchart", generator_digest(), graphviz_version(), str(FLOWCHART_DPI),
                     digests.digest(docset.settings))
        missing = []
        for process in processes:
            keys[id(process)] = entry = key(shared, digests.digest(process))
            data = cache.get(CHART_NAMESPACE, entry)
            if data is None:
                missing.append(process)
            else:
                _BY_PROCESS[id(process)] = (process, data)
    # where the one graphviz run failed: alone, now when cached (else as each is rendered)
    alone = flowchart_drawer(docset.settings, FLOWCHART_DPI) if cache.enabled else None
    for process, drawn in zip(missing, draw_each(missing, docset.settings, FLOWCHART_DPI),
                              strict=True):
        data = drawn if drawn is not None or alone is None else alone(process)
        if data is None:
            continue
        _BY_PROCESS[id(process)] = (process, data)
        if cache.enabled:
            cache.put(CHART_NAMESPACE, keys[id(process)], data)
    if cache.enabled and len(codes) == len(docset.procedures):  # every key known: drop others
        cache.prune(CHART_NAMESPACE, keys.values())


# --- docxtpl, made cheap to run many times on one template ------------------------------------

# python-docx sizes new tables from the last section (the tables' widths are set afterwards);
# the sub-document's own section is dropped when it goes into the template.
_EMPTY_BODY = ('<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
               'main"><w:body><w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" '
               'w:right="1134" w:bottom="1134" w:left="1417" w:header="680" w:footer="567" '
               'w:gutter="0"/></w:sectPr></w:body></w:document>')


class _Body(Subdoc):  # type: ignore[misc]
    """A docxtpl sub-document without docxcompose's blank template: an empty body bound to
    the rendered document's part, so styles resolve against the template and pictures land in
    its media. (docxtpl's own `new_subdoc()` parses python-docx's default template each time.)
    """

    def __init__(self, tpl: DocxTemplate) -> None:  # no super(): that loads the template
        self.tpl = tpl
        self.docx = tpl.get_docx()
        self.subdocx = WordDocument(parse_xml(_EMPTY_BODY), self.docx.part)


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl with the template-only work done once per build instead of once per document:
    its XML clean-up (`patch_xml`, regular expressions over every part) is cached by the XML
    text, and the Jinja templates compiled from it are cached by `_Environment`; its clean-up
    of the rendered parts is skipped when there is nothing to clean."""

    _patched: dict[str, str] = {}  # noqa: RUF012 - a cache shared by every render

    def resolve_listing(self, xml: str) -> str:
        # docxtpl turns tabs, newlines, \a and \f in rendered text into Word elements with
        # three nested regular-expression passes over every paragraph and run; our body never
        # has them (python-docx writes w:tab and w:br), and a part without any is unchanged.
        if "\t" in xml or "\n" in xml or "\a" in xml or "\f" in xml:
            return str(super().resolve_listing(xml))
        return xml

    def patch_xml(self, src_xml: str) -> str:
        found = self._patched.get(src_xml)
        if found is None:
            if len(self._patched) > 64:
                self._patched.clear()
            found = self._patched[src_xml] = super().patch_xml(src_xml)
        return found


class _Environment(Environment):
    """Jinja environment that compiles each template part once (same text, same program)."""

    def __init__(self) -> None:
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self._compiled: dict[str, Any] = {}

    def from_string(self, source: Any, globals: Any = None,
                    template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            if len(self._compiled) > 64:
                self._compiled.clear()
            found = self._compiled[source] = super().from_string(source)
        return found


_ENVIRONMENT: _Environment | None = None


def _environment() -> _Environment:
    global _ENVIRONMENT
    if _ENVIRONMENT is None:
        _ENVIRONMENT = _Environment()
    return _ENVIRONMENT


def render_procedure(doc: ProcedureDoc, docset: DocumentSet, template: ProcedureTemplate,
                     copy: CopyMark | None = None) -> bytes:
    """One procedure as .docx bytes; with `copy`, the issued controlled copy.

    Rendered on the template prepared once per process (frame.py); the same bytes as
    `render_with_docxtpl`, which renders what that path does not handle."""
    prepared = _frame(template)
    if prepared is None:
        return render_with_docxtpl(doc, docset, template, copy)
    media = frame.Media(prepared)
    names = [role.name for role in docset.roles.values()]

    def build(last_picture: int) -> Body:
        return BodyBuilder(media, doc, docset, template.labels, _flowchart(docset),
                           template.width_mm, template.style_ids, prepared.namespaces,
                           last_picture).build()

    def finish(root: Any, body: Body) -> None:
        # the rendered headers and footers are not kept whole: the docxtpl path's pass over
        # them reached the template's unrendered parts only (its output is kept as it was)
        finish_body(root.body, names, template.width_mm, body.tables)

    context = cover_context(doc, docset, template.labels, copy)
    try:
        data = frame.render(prepared, context, build, media, _environment(), finish,
                            _core_xml(doc, docset))
    except TemplateError as exc:
        raise WenkongError(_("Word 模板 {file} 在生成 {code} 时出错：{detail}").format(
            file=template.path, code=doc.code, detail=exc)) from None
    return data if data is not None else render_with_docxtpl(doc, docset, template, copy)


_FRAMES: dict[bytes, frame.Frame | None] = {}


def _frame(template: ProcedureTemplate) -> frame.Frame | None:
    """The template prepared for frame.py, once per process."""
    digest = hashlib.sha256(template.data).digest()
    if digest not in _FRAMES:
        if len(_FRAMES) > 4:
            _FRAMES.clear()
        _FRAMES[digest] = frame.prepare(_Template(io.BytesIO(template.data)))
    return _FRAMES[digest]


def _core_xml(doc: ProcedureDoc, docset: DocumentSet) -> bytes:
    return ooxml.core_properties_xml(
        document_date(doc), title=f"{doc.code} {doc.title}",
        author=docset.settings.company.name, subject=docset.settings.document_class,
        keywords=f"{doc.code} {doc.version} {doc.status.value}")


def render_with_docxtpl(doc: ProcedureDoc, docset: DocumentSet, template: ProcedureTemplate,
                        copy: CopyMark | None = None) -> bytes:
    """One procedure the plain docxtpl + python-docx way: the template opened again, the body
    a docxtpl sub-document, the whole package saved. The reference `render_procedure` matches
    byte for byte (tests/test_docx_frame.py), and its fallback."""
    tpl = _Template(io.BytesIO(template.data))
    body = _Body(tpl)
    part = tpl.docx.part
    built = BodyBuilder(part, doc, docset, template.labels, _flowchart(docset),
                        template.width_mm, template.style_ids, dict(part.element.nsmap)).build()
    parsed = parse_xml(f"<w:body {frame.declarations(part.element)}>{built.xml}{built.tail}"
                       "</w:body>")
    target = body.subdocx.element.body
    for element in list(parsed):
        target.sectPr.addprevious(element)
    body_tables = built.tables
    context = cover_context(doc, docset, template.labels, copy)
    context["body"] = body
    environment = _environment()
    try:
        tpl.render(context, jinja_env=environment)
    except TemplateError as exc:
        raise WenkongError(_("Word 模板 {file} 在生成 {code} 时出错：{detail}").format(
            file=template.path, code=doc.code, detail=exc)) from None
    document = tpl.docx
    finish_for_print(document, docset, template.width_mm, body_tables)
    ooxml.set_update_fields_on_open(document)
    ooxml.fix_core_properties(
        document, document_date(doc), title=f"{doc.code} {doc.title}",
        author=docset.settings.company.name, subject=docset.settings.document_class,
        keywords=f"{doc.code} {doc.version} {doc.status.value}")
    return ooxml.save_fixed(document)


def finish_for_print(document: Any, docset: DocumentSet, width_mm: float,
                     body_tables: set[tuple[tuple[str, ...], ...]]) -> None:
    """What only the whole rendered document allows: the template's revision history fitted
    to its content, codes and department names that never break, and no blank page after the
    last table. Only the body is reached: docxtpl swaps the rendered header and footer parts
    in behind python-docx's back, so the pass sees the template's unrendered ones, and the
    printed codes in headers and footers are not kept whole (as frame.py reproduces)."""
    body = document.element.body
    tables.keep_document_words_whole(document, (role.name for role in docset.roles.values()))
    tables.fit_template_tables(body, width_mm, body_tables)
    tables.trim_end(body)


def finish_body(body: Any, names: list[str], width_mm: float,
                body_tables: set[tuple[tuple[str, ...], ...]]) -> None:
    """`finish_for_print` of a document body alone."""
    tables.keep_words_whole(body, names)
    tables.fit_template_tables(body, width_mm, body_tables)
    tables.trim_end(body)


# --- the whole set, on every core ----------------------------------------------------------

def _render_one(context: tuple[DocumentSet, ProcedureTemplate], code: str) -> bytes:
    docset, template = context
    return render_procedure(docset.procedures[code], docset, template)


def procedure_keys(docset: DocumentSet, template: ProcedureTemplate) -> dict[str, str]:
    """The cache key of every procedure's .docx, by code: the resolved document (with what it
    cites as printed), the set-wide inputs the renderer reads (settings, every role: names are
    kept whole and fill the cover's rows, the template and its labels), the form codes its
    records table looks up, graphviz and the generator itself."""
    shared = key("procedure", generator_digest(), template.data, str(FLOWCHART_DPI),
                 Digests().digest((docset.settings, docset.roles, template.labels,
                                   template.width_mm, template.style_ids)),
                 graphviz_version() if any(d.processes for d in docset.procedures.values())
                 else "")
    digests = document_digests(docset.roles)
    keys = {}
    for code, doc in docset.procedures.items():
        forms = [docset.forms.get(r.form.code or r.form.target) for r in doc.records]
        keys[code] = key(shared, digests.digest(doc),
                         "\n".join(f.code if f is not None else "" for f in forms))
    return keys


def render_procedures(docset: DocumentSet, options: BuildOptions,
                      jobs: int | None = None) -> Files:
    """Every procedure of the set as .docx, keyed by output path. Uses every core for big sets.

    With a build cache (`options.cache`), a procedure whose key (`procedure_keys`) is cached
    is taken from it; only the others are rendered (and their flowcharts drawn)."""
    return run_batch(plan_procedures(docset, options), options.progress, jobs)


def plan_procedures(docset: DocumentSet, options: BuildOptions) -> Batch:
    """The procedures to render (those not in the build cache) and their flowcharts drawn
    ahead, for `render_procedures` or the build's background workers."""
    template = load_template(find_template(docset, options.template), docset.root)
    cache = options.cache
    keys = procedure_keys(docset, template) if cache.enabled else {}
    cached: dict[str, bytes] = {}
    for code, entry in keys.items():
        data = cache.get(CACHE_NAMESPACE, entry)
        if data is not None:
            cached[code] = data
    todo = [code for code in docset.procedures if code not in cached]
    _draw_charts(docset, todo, cache)
    if len(todo) > 1:
        _frame(template)  # prepared here once: forked workers inherit it

    def store(rendered: Mapping[str, bytes]) -> None:
        for code, data in rendered.items():
            if code in keys:
                cache.put(CACHE_NAMESPACE, keys[code], data)
        cache.prune(CACHE_NAMESPACE, keys.values())

    return Batch("procedures", _render_one, (docset, template),
                 {code: output_name(doc) for code, doc in docset.procedures.items()},
                 cached, store)


# --- PDF copies ------------------------------------------------------------------------------

PDF_DIR = "pdf"
PDF_CACHE_NAMESPACE = "pdf"


def pdf_copies(files: Files, cache: BuildCache | None = None, root: Path | None = None,
               flowcharts: Flowcharts | None = None) -> Files:
    """PDFs of every procedure .docx among `files`, converted in ONE LibreOffice process (and
    one more for the few whose flowchart is then shrunk to stay with its table: pagefit.py,
    by the set's `flowcharts` settings).

    The .docx go to a scratch folder first (LibreOffice reads files, not bytes); the PDFs come
    back as bytes under `pdf/`, so the build still writes everything in one atomic swap.
    With a build cache, the PDF of a .docx converted before (same bytes, same LibreOffice) is
    taken from it and only the others are converted.
    Raises WenkongError when LibreOffice is missing or fails.
    """
    import tempfile

    from generator.render.docx.pagefit import fit_flowcharts, fitting
    from generator.render.pdf import convert_to_pdf, soffice_binary

    cache = cache or BuildCache(None)
    targets = {name: pdf for name in files if (pdf := pdf_name(name)) is not None}
    if not targets:
        return {}
    min_points = (flowcharts or Flowcharts()).min_text_points
    found: Files = {}
    keys: dict[str, str] = {}
    if cache.enabled:
        program = soffice_binary()
        try:
            stamp = os.stat(os.path.realpath(program))
            office = f"{program}\0{stamp.st_size}\0{stamp.st_mtime_ns}"
        except OSError:
            office = program
        for name in targets:
            keys[name] = key("pdf", generator_digest(), office, Path(name).stem,
                             hashlib.sha256(files[name]).digest(), fitting(min_points))
            data = cache.get(PDF_CACHE_NAMESPACE, keys[name])
            if data is not None:
                found[targets[name]] = data
    names = sorted(name for name in targets if targets[name] not in found)
    if names:
        with tempfile.TemporaryDirectory(prefix="wenkong-pdf-") as scratch:
            folder = Path(scratch)
            sources = []
            for name in names:
                path = folder / "docx" / Path(name).name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(files[name])
                sources.append(path)
            converted = convert_to_pdf(sources, folder / "pdf")
            fit_flowcharts(list(zip(sources, converted, strict=True)), min_points)
            pdfs = {pdf.stem: pdf for pdf in converted}
            for name in names:
                if Path(name).stem in pdfs:
                    found[targets[name]] = data = pdfs[Path(name).stem].read_bytes()
                    if name in keys:
                        cache.put(PDF_CACHE_NAMESPACE, keys[name], data)
    if root is not None:
        cache.prune(PDF_CACHE_NAMESPACE, keys.values())
    return {targets[name]: found[targets[name]] for name in sorted(targets)
            if targets[name] in found}
