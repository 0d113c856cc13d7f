"""Render stage (site): the resolved DocumentSet → Markdown pages, static files and the nav.

Pages come from Jinja Markdown templates in `templates/`; this module decides which pages
exist, where each document lands (current documents under procedures/ and forms/, obsolete
ones under archive/), and hands each template a `Linker` bound to its page so that every link
is relative and every text is escaped. Nothing here numbers clauses or re-reads sources: labels,
anchors and reference texts come from the DocumentSet as the .docx prints them.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import functools
import html
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from generator.cache import BuildCache, generator_digest, key
from generator.cachekeys import Digests
from generator.docset import (
    DocumentSet,
    FigureR,
    FormDoc,
    ProcedureDoc,
    ProcessR,
    Ref,
    Rich,
)
from generator.model import Role
from generator.model.procedure import Status
from generator.numbering import anchor, label_gap
from generator.render.docx.body import process_widths
from generator.render.docx.labels import load_labels
from generator.render.docx.procedure import find_template
from generator.render.site import markdown, parallel
from generator.render.site.history import History
from generator.render.site.pagecache import (
    MARKDOWN,
    JinjaBytecode,
    MarkdownCache,
    Read,
    Recording,
    fingerprint,
    stats,
    tracing,
    watch,
)
from generator.versions import file_safe

TEMPLATES = Path(__file__).with_name("templates")
NAV_GROUP = 50
"""Documents per navigation sub-section. With navigation pruning a page carries only its own
group, so a page's size stays bounded and the site grows linearly with the number of documents."""

_RESERVED = frozenset({"index"})
_ROLE_RESERVED = frozenset({"index", "matrix"})


@functools.cache
def labels() -> dict[str, Any]:
    """Site words that are not document data (templates/labels.yaml)."""
    loaded: dict[str, Any] = yaml.safe_load((TEMPLATES / "labels.yaml").read_text("utf-8"))
    return loaded


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # `finalize` escapes every value for Markdown and returns Markup, so autoescape leaves
        # it alone; autoescape is on so that macro output stays Markup and is not escaped twice.
        autoescape=True,
        finalize=markdown.finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # Dates never break across lines (2026-01-\n15 in a narrow table column).
    env.filters["date"] = lambda value: Markup("") if value is None else Markup(
        f'<span class="wk-date">{value.isoformat()}</span>')
    # For values inside HTML attributes and attribute lists: HTML-escaped, no Markdown escapes.
    env.filters["heading"] = lambda level: Markup("#" * min(max(int(level), 1), 6))
    env.filters["attr"] = lambda value: Markup(html.escape(str(value), quote=True))
    # after a number label: a space after 5.2.1, none after 一、 or （二） (as the .docx)
    env.filters["gap"] = lambda label: Markup(label_gap(str(label)))
    env.filters["figure_html"] = _figure_html
    env.globals["width_attrs"] = width_attrs
    env.globals["process_width_attrs"] = lambda process: width_attrs(
        process_widths(process) if any(c.width for c in process.columns) else None,
        len(process.columns))
    return env


def width_attrs(widths: Sequence[float] | None, count: int) -> list[Markup]:
    """Per column, the attribute list that gives its title cell the share of the table width
    the .docx gives it (`widths`, relative); empty ones where the table gives no widths."""
    total = sum(widths) if widths else 0
    if not widths or len(widths) != count or total <= 0:
        return [Markup("")] * count
    return [Markup(f' {{ style="width:{100 * w / total:.1f}%" }}') for w in widths]


def _figure_html(figure: FigureR) -> Markup:
    """A figure block as HTML, its picture inline (data URI): the page carries it, no file to
    copy and keep in step."""
    data = base64.b64encode(figure.data).decode("ascii")
    style = f' style="width:{figure.width:g}%"' if figure.width else ""
    caption = (f"<figcaption>{html.escape(figure.caption)}</figcaption>" if figure.caption
               else "")
    return Markup(f'<figure class="wk-figure"><img src="data:image/{figure.kind};base64,{data}"'
                  f' alt="{html.escape(figure.caption or "", quote=True)}"{style}>'
                  f"{caption}</figure>")


def _page_name(name: str, reserved: frozenset[str]) -> str:
    # A code or role id may be spelled like a section's own page (index.md): move it aside.
    return f"doc-{name}" if name.lower() in reserved else name


@dataclass(frozen=True)
class Layout:
    """Where every document, role and download lives in the docs folder."""

    docset: DocumentSet
    downloads: dict[str, str] = field(default_factory=dict)  # code → docs path of its .docx

    def procedure_page(self, code: str) -> str:
        doc = self.docset.procedures[code]
        folder = "archive" if doc.status is Status.obsolete else "procedures"
        return f"{folder}/{_page_name(code, _RESERVED)}.md"

    def form_page(self, code: str) -> str:
        doc = self.docset.forms[code]
        folder = "archive" if doc.status is Status.obsolete else "forms"
        return f"{folder}/{_page_name(code, _RESERVED)}.md"

    def role_page(self, role_id: str) -> str:
        return f"roles/{_page_name(role_id, _ROLE_RESERVED)}.md"

    @staticmethod
    def flowchart(code: str, process: ProcessR) -> str:
        return f"flowcharts/{code}/{process.id}.svg"

    def page_of(self, ref: Ref) -> tuple[str, str | None] | None:
        if ref.kind == "role":
            return (self.role_page(ref.target), None) if ref.target in self.docset.roles else None
        code = ref.code or ref.target
        if ref.kind == "form":
            return (self.form_page(code), None) if code in self.docset.forms else None
        if code in self.docset.procedures:
            return self.procedure_page(code), ref.anchor
        return None


class Linker:
    """What a template needs to write links and text from the page it renders."""

    def __init__(self, layout: Layout, page: str) -> None:
        self.layout = layout
        self.page = page

    def rich(self, text: Rich | None) -> Markup:
        return markdown.rich(text, self.page, self.layout.page_of)

    def to(self, path: str, text: str | Markup, anchor_id: str | None = None) -> Markup:
        return markdown.link(text, self.page, path, anchor_id)

    def url(self, path: str, anchor_id: str | None = None) -> Markup:
        return Markup(markdown.relative_url(self.page, path, anchor_id))

    def proc(self, code: str, *, title: bool = True) -> Markup:
        doc = self.layout.docset.procedures[code]
        text = f"{doc.code} {doc.title}" if title else doc.code
        return self.to(self.layout.procedure_page(code), text)

    def form(self, code: str, *, title: bool = True) -> Markup:
        doc = self.layout.docset.forms[code]
        text = f"{doc.code} {doc.title}" if title else doc.code
        return self.to(self.layout.form_page(code), text)

    def role(self, role: Role | str) -> Markup:
        role_id = role if isinstance(role, str) else role.id
        found = self.layout.docset.roles.get(role_id)
        if found is None:
            return markdown.escape(role_id)
        return self.to(self.layout.role_page(role_id), found.name)

    def roles(self, roles: tuple[Role, ...] | list[Role], separator: str = "、") -> Markup:
        return Markup(separator).join(self.role(r) for r in roles)

    def download(self, code: str) -> Markup | None:
        path = self.layout.downloads.get(code)
        return None if path is None else self.url(path)

    def proc_path(self, code: str) -> str:
        return self.layout.procedure_page(code)

    def section_anchor(self, number: int) -> str:
        return anchor((number,))


@dataclass(frozen=True)
class Page:
    path: str  # in the docs folder, e.g. procedures/QP-01.md
    title: str  # navigation and <title>
    template: str
    values: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)  # front matter (Material: hide …)


# Material prints page and navigation titles as HTML, unescaped, and its <title> even
# un-escapes them (`striptags`). Titles come from YAML, so the characters that could open
# markup or close an attribute are shown as their full-width forms instead.
_TITLE_SAFE = str.maketrans({"<": "＜", ">": "＞", "&": "＆", '"': "＂", "'": "＇"})


def safe_title(text: str) -> str:
    """A title that shows the same in every place Material puts it, and never as markup."""
    return text.translate(_TITLE_SAFE)


def front_matter(page: Page) -> str:
    """The page's title (and options) as YAML front matter: mkdocs takes the title from here
    for pages outside the navigation instead of re-reading it from the rendered heading."""
    meta = {"title": safe_title(page.title), **page.meta}
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n"


@dataclass
class SiteContent:
    """Everything that goes into the docs folder, plus the navigation for mkdocs.yml."""

    pages: dict[str, bytes]
    files: dict[str, bytes]
    nav: list[Any]
    omitted: list[str]  # patterns of pages reachable by links only, not in the nav


def _find_download(docx: Sequence[str], folder: str, codes: tuple[str, ...],
                   version: str) -> str | None:
    """The .docx another renderer built for this document and version, if any (`docx`: the
    paths of the .docx files built, sorted)."""
    for code in codes:
        for label in dict.fromkeys((file_safe(version), version)):
            prefix = f"{folder}/{code}_{label}_"
            index = bisect.bisect_left(docx, prefix)  # the first path from `prefix` on
            if index < len(docx) and docx[index].startswith(prefix):
                return docx[index]
    return None


def _doc_title(code: str, title: str) -> str:
    return safe_title(f"{code} {title}")


def _group_nav(section: str, entries: list[tuple[str, str, str, str]],
               ) -> tuple[list[Any], list[Page]]:
    """(key, printed code, title, path) entries → nav items, and group pages if there are many.

    Up to NAV_GROUP documents are listed in the navigation one by one. Beyond that the
    navigation lists groups ("QP-0001 – QP-0050"), each a page that lists its documents, and the
    documents themselves stay out of the navigation: with pruning, a page then carries a few
    dozen navigation entries whatever the size of the set.
    """
    if len(entries) <= NAV_GROUP:
        return [{safe_title(title): path} for _, _, title, path in entries], []
    items: list[Any] = []
    group_pages: list[Page] = []
    for number, start in enumerate(range(0, len(entries), NAV_GROUP), start=1):
        chunk = entries[start:start + NAV_GROUP]
        name = safe_title(f"{chunk[0][1]} – {chunk[-1][1]}")
        path = f"{section}/groups/{number}.md"
        items.append({name: path})
        group_pages.append(Page(path, name, "group.md.j2",
                                {"section": section, "name": name,
                                 "entries": [(key, page) for key, _, _, page in chunk]},
                                meta={"search": {"exclude": True}}))
    return items, group_pages


def _steps_of_role(docset: DocumentSet) -> dict[str, list[tuple[ProcedureDoc, ProcessR, Any]]]:
    """Process steps each role owns (权责 column), by role id, in document order."""
    found: dict[str, list[tuple[ProcedureDoc, ProcessR, Any]]] = {}
    for doc in docset.current_procedures():
        for process in doc.processes:
            for step in process.steps:
                for owner in step.roles:
                    found.setdefault(owner.id, []).append((doc, process, step))
    return found


def build_content(docset: DocumentSet, rendered: Mapping[str, bytes], history: History,
                  flowcharts: Mapping[tuple[str, str], bytes],
                  cache: BuildCache | None = None) -> SiteContent:
    """All pages and files of the docs folder for `docset`.

    `rendered` holds the files earlier renderers produced (the .docx to offer for download);
    `flowcharts` the SVG drawing of each (procedure code, process id); `cache` the pages of
    earlier builds (generated again only where their inputs changed).
    """
    words = labels()
    files: dict[str, bytes] = {}
    downloads: dict[str, str] = {}
    prefix = docset.settings.code_prefix
    docx = sorted(path for path in rendered if path.endswith(".docx"))
    for code, proc in docset.procedures.items():
        found = (_find_download(docx, "procedures", (proc.code, code), proc.version)
                 or _find_download(docx, "archive/procedures", (proc.code, code),
                                   proc.version))
        if found:
            downloads[code] = f"downloads/{found}"
            files[downloads[code]] = rendered[found]
    for code, form in docset.forms.items():
        found = _find_download(docx, "forms", (form.code, code), form.version)
        if found:
            downloads[code] = f"downloads/{found}"
            files[downloads[code]] = rendered[found]
    earlier: dict[str, list[tuple[Any, str | None]]] = {}
    for code in [*docset.procedures, *docset.forms]:
        for version in history.of(code).versions:
            path = None
            if version.file and version.file in rendered:
                path = f"downloads/{version.file}"
                files[path] = rendered[version.file]
            earlier.setdefault(code, []).append((version, path))

    layout = Layout(docset, downloads)
    for (code, process_id), svg in flowcharts.items():
        process = next(p for p in docset.procedures[code].processes if p.id == process_id)
        files[layout.flowchart(code, process)] = svg

    current = docset.current_procedures()
    obsolete = [p for p in docset.procedures.values() if p.status is Status.obsolete]
    current_forms = [f for f in docset.forms.values() if f.status is not Status.obsolete]
    obsolete_forms = [f for f in docset.forms.values() if f.status is Status.obsolete]
    steps_of_role = _steps_of_role(docset)
    # the words the .docx prints (column titles, 无), so that page and Word file say the same
    doc_labels = load_labels(find_template(docset))
    common = {"labels": words, "doc_labels": doc_labels, "docset": docset,
              "settings": docset.settings,
              "company": docset.settings.company, "prefix": prefix}

    def source_code(doc: ProcedureDoc | FormDoc) -> str:
        return doc.model.code

    # List pages repeat the documents' titles and texts: out of the search index, so that a
    # search lands on the procedure, form or role itself.
    listing = {"search": {"exclude": True}}
    # A document under revision (draft, in review) stays in force at its last release until
    # the new version is released: the master list keeps showing that release.
    in_force = {
        code: versions[-1]
        for code, doc in docset.procedures.items()
        if doc.status in (Status.draft, Status.in_review)
        and (versions := history.of(code).versions)
    }
    pages: list[Page] = [
        Page("index.md", words["nav"]["home"], "home.md.j2",
             {"procedures": current, "forms": current_forms, "obsolete": obsolete,
              "obsolete_forms": obsolete_forms, "in_force": in_force}, meta=listing),
        Page("procedures/index.md", words["nav"]["procedures"], "procedures.md.j2",
             {"procedures": current}, meta=listing),
        Page("forms/index.md", words["nav"]["forms"], "forms.md.j2", {"forms": current_forms},
             meta=listing),
        Page("roles/index.md", words["nav"]["roles_index"], "roles.md.j2", {}, meta=listing),
        Page("roles/matrix.md", words["nav"]["matrix"], "matrix.md.j2",
             {"procedures": current, "matrix_roles": _matrix_roles(docset, current),
              "matrix_cell": _matrix_cell}, meta={"hide": ["toc"], **listing}),
        Page("records.md", words["nav"]["records"], "records.md.j2", {"forms": current_forms},
             meta=listing),
        Page("changelog.md", words["nav"]["changelog"], "changelog.md.j2",
             {"entries": _changelog(docset)}, meta=listing),
        Page("archive/index.md", words["nav"]["archive"], "archive.md.j2",
             {"procedures": obsolete, "forms": obsolete_forms}, meta=listing),
    ]
    register_nav: list[Any] = []
    registers = docset.registers
    for path, name, template, present in (
            ("registers/distribution.md", "distribution", "distribution.md.j2",
             registers is not None and registers.distribution_file is not None),
            ("registers/external.md", "external", "external.md.j2",
             registers is not None and registers.external_file is not None),
            ("registers/clauses.md", "clauses", "clauses.md.j2",
             registers is not None and registers.clauses_file is not None)):
        if present:
            pages.append(Page(path, words["nav"][name], template, {}, meta=listing))
            register_nav.append({words["nav"][name]: path})
    drawn: dict[str, list[str]] = {}  # procedure code → ids of its drawn processes
    for code, process_id in flowcharts:
        drawn.setdefault(code, []).append(process_id)
    for doc in docset.procedures.values():
        code = source_code(doc)
        pages.append(Page(layout.procedure_page(code), _doc_title(doc.code, doc.title),
                          "procedure.md.j2",
                          {"doc": doc, "source_code": code, "history": history.of(code),
                           "earlier": earlier.get(code, []),
                           "forms": docset.forms_by_procedure.get(code, []),
                           "cited_by": docset.referenced_by.get(code, []),
                           "flowcharts": tuple(sorted(drawn.get(code, ()))),
                           "flowchart_path": layout.flowchart}))
    for form in docset.forms.values():
        code = source_code(form)
        pages.append(Page(layout.form_page(code), _doc_title(form.code, form.title),
                          "form.md.j2",
                          {"form": form, "source_code": code, "history": history.of(code),
                           "earlier": earlier.get(code, []),
                           "cited_by": docset.referenced_by.get(code, [])}))
    for role_id, role in docset.roles.items():
        duties = [d for d in docset.duties_by_role.get(role_id, [])
                  if docset.procedures[d.procedure].status is not Status.obsolete]
        pages.append(Page(layout.role_page(role_id), role.name, "role.md.j2", {
            "role": role,
            "duties": duties,
            "owned": [c for c in docset.procedures_by_owner.get(role_id, [])
                      if docset.procedures[c].status is not Status.obsolete],
            "kept": [c for c in docset.forms_by_custodian.get(role_id, [])
                     if docset.forms[c].status is not Status.obsolete],
            "steps": steps_of_role.get(role_id, []),
            "children": [r for r in docset.roles.values() if r.parent == role_id],
        }))

    nav_words = words["nav"]
    procedure_entries = [(source_code(d), d.code, _doc_title(d.code, d.title),
                          layout.procedure_page(source_code(d))) for d in current]
    form_entries = [(source_code(f), f.code, _doc_title(f.code, f.title),
                     layout.form_page(source_code(f))) for f in current_forms]
    role_entries = [(r.name, r.name, r.name, layout.role_page(r.id))
                    for r in docset.roles.values()]
    procedure_nav, procedure_groups = _group_nav("procedures", procedure_entries)
    form_nav, form_groups = _group_nav("forms", form_entries)
    role_nav, role_groups = _group_nav("roles", role_entries)
    pages += [*procedure_groups, *form_groups, *role_groups]
    nav: list[Any] = [
        {nav_words["home"]: "index.md"},
        {nav_words["procedures"]: ["procedures/index.md", *procedure_nav]},
        {nav_words["forms"]: ["forms/index.md", *form_nav]},
        {nav_words["roles"]: ["roles/index.md", {nav_words["matrix"]: "roles/matrix.md"},
                              *role_nav]},
        {nav_words["records"]: "records.md"},
        {nav_words["changelog"]: "changelog.md"},
        {nav_words["archive"]: "archive/index.md"},
    ]
    if register_nav:
        nav.append({nav_words["registers"]: register_nav})
    # Pages reachable by links only: obsolete documents, and documents listed by group pages.
    omitted = ["archive/*.md"] + [f"{section}/*.md" for section, groups in (
        ("procedures", procedure_groups), ("forms", form_groups), ("roles", role_groups))
        if groups]

    texts = _render_pages(pages, common, layout, cache)
    rendered_pages = dict(zip((page.path for page in pages), texts, strict=True))
    return SiteContent(pages=rendered_pages, files=files, nav=nav, omitted=omitted)


def _render_pages(pages: list[Page], common: dict[str, Any], layout: Layout,
                  cache: BuildCache | None) -> list[bytes]:
    """Every page's Markdown: from `cache` where its inputs are unchanged, rendered otherwise.

    Templates see the set's procedures and forms as `pagecache.Watched` documents (in their
    values and through `pagecache.Recording`), which note the fields each page reads; the
    cache entry keeps them (pagecache.MarkdownCache)."""
    docset = layout.docset
    env = environment()
    # our templates compiled once, not in every build (as the theme's: pagecache.JinjaBytecode)
    env.bytecode_cache = JinjaBytecode(cache) if cache is not None and cache.enabled else None
    documents = _documents(docset)
    found: list[bytes | None] = [None] * len(pages)
    store = _markdown_cache(docset, common, layout, cache, documents)
    if store is None:  # nothing to keep: no need to note what pages read
        seen, traced_layout, documents = {**common, "docset": docset}, layout, {}
    else:
        traced = replace(docset, procedures=Recording("procedures", docset.procedures),
                         forms=Recording("forms", docset.forms))
        seen, traced_layout = {**common, "docset": traced}, Layout(traced, layout.downloads)

    def render(index: int) -> tuple[bytes, list[Read]]:
        page = pages[index]
        with tracing() as trace:
            text = env.get_template(page.template).render(
                **seen, **watch(page.values, documents), page=page,
                L=Linker(traced_layout, page.path))
        return (front_matter(page) + text).encode("utf-8"), sorted(trace.reads)

    entries: list[str] = []
    if store is not None:
        markdown_cache, identities = store
        for index, page in enumerate(pages):
            entries.append(key("page", markdown_cache.common, fingerprint(
                (page.path, page.title, page.template, page.meta, page.values), identities)))
            found[index] = markdown_cache.get(entries[index])
    todo = [index for index, text in enumerate(found) if text is None]
    # Pages are independent: on a large set they are rendered in several processes.
    for index, (text, reads) in zip(todo, parallel.fork_map(lambda i: render(todo[i]),
                                                            len(todo)), strict=True):
        found[index] = text
        if store is not None:
            store[0].put(entries[index], reads, text)
    stats.update(markdown_hits=len(pages) - len(todo), markdown_built=len(todo))
    if store is not None and cache is not None:
        cache.prune(MARKDOWN, store[0].used)
    return [text for text in found if text is not None]


def _documents(docset: DocumentSet) -> dict[int, tuple[str, str]]:
    """id of each document of the set → its kind and code (as `Recording` names them)."""
    found = {id(doc): ("procedures", code) for code, doc in docset.procedures.items()}
    found.update({id(doc): ("forms", code) for code, doc in docset.forms.items()})
    return found


def _markdown_cache(docset: DocumentSet, common: dict[str, Any], layout: Layout,
                    cache: BuildCache | None, documents: Mapping[int, tuple[str, str]],
                    ) -> tuple[MarkdownCache, Digests] | None:
    """The Markdown cache of this build and how to digest a page's values (each document as
    its kind and code: what the page reads of it is kept apart, field by field), or None
    without an enabled cache (or when something does not digest)."""
    if cache is None or not cache.enabled:
        return None
    kinds: dict[str, Mapping[str, Any]] = {"procedures": docset.procedures,
                                           "forms": docset.forms}
    try:
        # (a document the resolver made is digested by what it was made from: cheap)
        shared = Digests()
        by_code = {kind: {code: fingerprint(doc, shared) for code, doc in docs.items()}
                   for kind, docs in kinds.items()}
        everything = fingerprint((
            {name: value for name, value in common.items() if name != "docset"},
            docset.roles, docset.registers, docset.unread, docset.forms_by_procedure,
            docset.duties_by_role, docset.forms_by_custodian, docset.procedures_by_owner,
            docset.referenced_by, layout.downloads))
    except (pickle.PicklingError, TypeError, AttributeError, ValueError):
        return None

    def identity(doc: Any) -> tuple[Any, ...]:
        found = documents.get(id(doc))
        return str, (f"{found[0]}:{found[1]}" if found is not None else fingerprint(doc),)

    return (MarkdownCache(cache, key("common", generator_digest(), everything), by_code, kinds),
            Digests(replace={ProcedureDoc: identity, FormDoc: identity}))


def _matrix_roles(docset: DocumentSet, procedures: list[ProcedureDoc]) -> list[Role]:
    """Roles named by any current procedure (owner, duties, countersign), in roles.yaml order."""
    named: set[str] = set()
    for doc in procedures:
        named.add(doc.owner.id)
        named.update(r.role.id for r in doc.responsibilities if not isinstance(r.role, str))
        named.update(r.id for r in doc.countersign)
    return [role for role_id, role in docset.roles.items() if role_id in named]


def _matrix_cell(doc: ProcedureDoc, role: Role) -> str:
    """▲ owner, ● has duties, ○ countersigns (symbols explained in the page legend)."""
    if doc.owner.id == role.id:
        return "▲"
    if any(not isinstance(r.role, str) and r.role.id == role.id for r in doc.responsibilities):
        return "●"
    if any(r.id == role.id for r in doc.countersign):
        return "○"
    return ""


@dataclass(frozen=True)
class ChangeEntry:
    date: dt.date
    code: str  # source code
    kind: str  # procedure | form
    revision: Any
    status: Status


def _changelog(docset: DocumentSet) -> list[ChangeEntry]:
    """Every revision of every document, newest first (ties: by code, later version first)."""
    entries = [ChangeEntry(r.date, code, "procedure", r, doc.status)
               for code, doc in docset.procedures.items() for r in doc.model.revisions]
    entries += [ChangeEntry(r.date, code, "form", r, doc.status)
                for code, doc in docset.forms.items() for r in doc.model.revisions]
    order = {id(e): i for i, e in enumerate(entries)}
    # Stable sorts: code ascending, later history entry first, then date descending over all.
    entries.sort(key=lambda e: (e.code, -order[id(e)]))
    entries.sort(key=lambda e: e.date, reverse=True)
    return entries
