"""Render stage (site): built pages kept between builds (generator/cache.py, namespace "site").

mkdocs turns each page's Markdown into HTML (Python-Markdown), then writes it through the theme
(Material's templates) and gives the search plugin its entries: most of a site build's time.
What comes out depends on the page's own Markdown and on what the theme puts on every page
(navigation, site name, configuration, the list of files links may land on, the build date) and
on the versions of the libraries. `theme_digest` digests the second part once per build; a page
whose Markdown and path are unchanged under the same digest takes its HTML, search entries,
title and anchors from the cache instead of being converted and themed again.

An entry is a small JSON header (meta, title, anchors, outgoing anchor links, search entries)
followed by the page's HTML. The cache verifies every entry (a damaged one is a miss); a header
that does not parse is a miss too.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache

from generator.cache import BuildCache, generator_digest, key
from generator.cachekeys import Digests

NAMESPACE = "site"
JINJA = "site-jinja"
stats: dict[str, int] = {}
"""What the last site build took from the cache and built again, by step: for tests and
benchmarks (pages_hits, pages_built, markdown_hits, markdown_built, flowcharts_hits …)."""
LIBRARIES = ("mkdocs", "mkdocs-material", "Markdown", "pymdown-extensions", "Jinja2",
             "MarkupSafe", "jieba", "backrefs", "Pygments", "babel")


@dataclass(frozen=True)
class CachedPage:
    """What a page's conversion and theming produced, enough to stand for them."""

    html: bytes
    meta: dict[str, Any]
    title: str | None  # the first heading (mkdocs' title when the meta has none)
    anchors: list[str]  # ids present on the page
    links: dict[str, dict[str, str]]  # target page → {anchor: link as written}
    entries: list[Any]  # search index entries, in order

    def encode(self) -> bytes:
        header = json.dumps({"meta": self.meta, "title": self.title, "anchors": self.anchors,
                             "links": self.links, "entries": self.entries},
                            ensure_ascii=False).encode("utf-8")
        return len(header).to_bytes(8, "big") + header + self.html

    @classmethod
    def decode(cls, data: bytes) -> CachedPage | None:
        size = int.from_bytes(data[:8], "big")
        try:
            header = json.loads(data[8:8 + size].decode("utf-8"))
            return cls(html=data[8 + size:], meta=dict(header["meta"]),
                       title=header["title"], anchors=list(header["anchors"]),
                       links={str(k): dict(v) for k, v in header["links"].items()},
                       entries=list(header["entries"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


@functools.cache
def library_versions() -> str:
    """The versions of the libraries a built page depends on (jieba also wraps the
    flowcharts' labels)."""
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=-")
    return ";".join(found)


def _tree(folder: Path) -> bytes:
    """Paths and contents of every file under `folder` (theme overrides)."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.digest()


def theme_digest(config_files: Iterable[Path], config_text: str, custom_dirs: Iterable[Path],
                 nav: Any, not_in_nav: list[str], files: Iterable[str], epoch: int) -> str:
    """Everything besides a page's own Markdown that its built HTML and search entries depend
    on: the configuration (files and as loaded), theme overrides, the navigation, every file a
    link may land on, the build date, the libraries' versions and the generator itself."""
    parts: list[bytes | str] = [generator_digest(), library_versions(), config_text, str(epoch),
                                json.dumps(nav, ensure_ascii=False, sort_keys=True),
                                "\n".join(not_in_nav), "\n".join(sorted(files))]
    for path in config_files:
        parts.append(path.read_bytes() if path.is_file() else b"")
    for folder in custom_dirs:
        parts.append(_tree(folder))
    return key(*parts)


class PageCache:
    """Cached built pages of one build: looked up by page, stored after a good build."""

    def __init__(self, cache: BuildCache, theme: str, sources: Mapping[str, bytes]) -> None:
        self.cache = cache
        self.theme = theme
        self.sources = sources  # docs-relative path → Markdown bytes
        self.used: list[str] = []
        self.stored = 0

    def add_context(self, *parts: str) -> None:
        """More of what every page shows (the navigation's titles, once the pages are read)."""
        self.theme = key(self.theme, *parts)

    def get_template(self, name: str) -> bytes | None:
        """A theme template built for the whole site (404.html), if cached."""
        if not self.cache.enabled:
            return None
        entry = key("template", self.theme, name)
        data = self.cache.get(NAMESPACE, entry)
        found = None if data is None else CachedPage.decode(data)
        if found is None:
            return None
        self.used.append(entry)
        return found.html

    def put_template(self, name: str, data: bytes) -> None:
        entry = key("template", self.theme, name)
        self.cache.put(NAMESPACE, entry, CachedPage(data, {}, None, [], {}, []).encode())
        self.used.append(entry)

    def key_of(self, src_uri: str) -> str | None:
        source = self.sources.get(src_uri)
        if source is None:
            return None
        return key("page", self.theme, src_uri, source)

    def get(self, src_uri: str) -> CachedPage | None:
        entry = self.key_of(src_uri)
        if entry is None or not self.cache.enabled:
            return None
        data = self.cache.get(NAMESPACE, entry)
        found = None if data is None else CachedPage.decode(data)
        if found is not None:
            self.used.append(entry)
        return found

    def put(self, src_uri: str, page: CachedPage) -> None:
        entry = self.key_of(src_uri)
        if entry is None or not self.cache.enabled:
            return
        try:
            data = page.encode()
        except (TypeError, ValueError):  # front matter JSON cannot hold (a date): not kept
            return
        self.cache.put(NAMESPACE, entry, data)
        self.used.append(entry)
        self.stored += 1


class JinjaBytecode(jinja2.BytecodeCache):
    """The theme's compiled templates, kept between builds (compiling Material's templates
    again takes about a second). Jinja checks each entry against its template's source."""

    def __init__(self, cache: BuildCache) -> None:
        self.cache = cache
        self.used: list[str] = []

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        entry = key("jinja", bucket.key, bucket.checksum)
        data = self.cache.get(JINJA, entry)
        if data is not None:
            bucket.bytecode_from_string(data)
            self.used.append(entry)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        entry = key("jinja", bucket.key, bucket.checksum)
        self.cache.put(JINJA, entry, bucket.bytecode_to_string())
        self.used.append(entry)


# --- the Markdown of the generated pages ---------------------------------------------------

MARKDOWN = "site-md"
FLOWCHARTS = "site-flowchart"


def fingerprint(value: Any, digests: Digests | None = None) -> str:
    """A digest of `value` by what it holds, the same in every process (cachekeys.Digests)."""
    return (digests or Digests()).digest(value).hex()


Read = tuple[str, str, str]
"""What a page's template read from the set: (kind, code, what). `what` is a field path of
the document ("title", "model.code"), "*" for the whole document (a method was called), "?"
for whether the code exists; code "*" with what "codes" is the list of codes of that kind."""

WATCHED_INSIDE = frozenset({"model"})
"""Fields whose own fields are noted one by one: list pages read the source's code and dates
(`doc.model.code`), not its clauses."""


WHOLE_READS = 12
"""A page that reads more fields of a document than this (its own page) depends on the whole
document: digesting each field it read would cost more than it saves."""


@dataclass
class Traced:
    """The documents' fields a page's template read from the set while it rendered."""

    reads: set[Read] = field(default_factory=set)


_tracing: Traced | None = None


def _note(kind: str, code: str, what: str) -> None:
    if _tracing is not None:
        _tracing.reads.add((kind, code, what))


class Watched:
    """A document (or its source model) as templates see it: every field read is noted in
    the current trace, so a page depends on the fields it shows, not on whole documents.
    Equal to, and hashed as, the document itself."""

    __slots__ = ("_code", "_kind", "_prefix", "_target")

    def __init__(self, target: Any, kind: str, code: str, prefix: str = "") -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_code", code)
        object.__setattr__(self, "_prefix", prefix)

    def _whole(self) -> str:
        return self._prefix.rstrip(".") or "*"

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if name.startswith("__") or inspect.ismethod(value):
            # a method reads whatever it likes of the object
            _note(self._kind, self._code, self._whole())
            return value
        if not self._prefix and name in WATCHED_INSIDE:
            return Watched(value, self._kind, self._code, f"{name}.")
        _note(self._kind, self._code, self._prefix + name)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{name}: read-only")

    def __eq__(self, other: object) -> bool:
        return bool(self._target == unwatched(other))

    def __hash__(self) -> int:
        return hash(self._target)

    def __str__(self) -> str:
        _note(self._kind, self._code, self._whole())
        return str(self._target)

    __repr__ = __str__


def unwatched(value: Any) -> Any:
    return value._target if isinstance(value, Watched) else value


class Recording(dict[str, Any]):
    """The set's procedures or forms as templates see them: each document `Watched`; a
    question whether a code exists, or a walk over all codes, is noted too."""

    def __init__(self, kind: str, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.kind = kind

    def _watched(self, code: str) -> Any:
        return Watched(super().__getitem__(code), self.kind, code)

    def __getitem__(self, code: str) -> Any:
        if not super().__contains__(code):
            _note(self.kind, str(code), "?")
        return self._watched(code)

    def __contains__(self, code: object) -> bool:
        _note(self.kind, str(code), "?")
        return super().__contains__(code)

    def get(self, code: str, default: Any = None) -> Any:
        if not super().__contains__(code):
            _note(self.kind, str(code), "?")
            return default
        return self._watched(code)

    def _all(self) -> None:
        _note(self.kind, "*", "codes")

    def __iter__(self) -> Iterator[str]:
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        self._all()
        return super().__len__()

    def keys(self) -> Any:
        self._all()
        return super().keys()

    def values(self) -> Any:
        self._all()
        return [self._watched(code) for code in super().__iter__()]

    def items(self) -> Any:
        self._all()
        return [(code, self._watched(code)) for code in super().__iter__()]


def watch(value: Any, documents: Mapping[int, tuple[str, str]]) -> Any:
    """`value` (a page's values) with each document of the set in it `Watched`, through lists,
    tuples and dicts (`documents`: id of a document → its kind and code)."""
    found = documents.get(id(value))
    if found is not None:
        return Watched(value, *found)
    if type(value) is list:
        return [watch(item, documents) for item in value]
    if type(value) is tuple:
        return tuple(watch(item, documents) for item in value)
    if type(value) is dict:
        return {name: watch(item, documents) for name, item in value.items()}
    return value


@contextlib.contextmanager
def tracing() -> Iterator[Traced]:
    """Note what `Watched` documents and `Recording` mappings are asked while the block runs."""
    global _tracing
    saved, _tracing = _tracing, Traced()
    try:
        yield _tracing
    finally:
        _tracing = saved


class MarkdownCache:
    """Generated Markdown pages kept between builds.

    A page is looked up by its own inputs (template, path, title, front matter and the values
    handed to its template, documents by kind and code only) and everything every page sees
    (the `common` digest). The entry also holds what the template read of the set's documents
    last time (`Read`s, through `Watched`), with their digests then: when they are unchanged,
    rendering again would read the same and write the same Markdown. A document whose whole
    digest is unchanged needs no field digest; for the others (the edited one) the fields the
    page read are digested and compared one by one, so a clause edit leaves the lists, which
    show titles and numbers, as they were.
    """

    def __init__(self, cache: BuildCache, common: str,
                 digests: Mapping[str, Mapping[str, str]],
                 documents: Mapping[str, Mapping[str, Any]]) -> None:
        self.cache = cache
        self.common = common
        self.digests = digests  # kind ("procedures"/"forms") → code → document digest
        self.documents = documents  # kind → code → document
        self.used: list[str] = []
        self._fields = Digests()
        self._memo: dict[Read, str] = {}

    def read_digest(self, kind: str, code: str, what: str) -> str:
        """The digest now of what a page read (see `Read`)."""
        found = self._memo.get((kind, code, what))
        if found is not None:
            return found
        documents = self.documents.get(kind, {})
        if code == "*":
            found = key(*documents)
        elif code not in documents:
            found = "-"
        elif what == "?":
            found = "+"
        elif what == "*":
            found = self.digests.get(kind, {}).get(code, "-")
        else:
            value = documents[code]
            for name in what.split("."):
                value = getattr(value, name)
            found = fingerprint(value, self._fields)
        self._memo[kind, code, what] = found
        return found

    def header(self, reads: Iterable[Read]) -> dict[str, Any]:
        """What an entry keeps of its page's reads: per document its whole digest and the
        digest of each field read."""
        by_document: dict[tuple[str, str], list[str]] = {}
        for kind, code, what in sorted(reads):
            by_document.setdefault((kind, code), []).append(what)
        documents: dict[str, list[Any]] = {}
        for (kind, code), fields in by_document.items():
            whole = self.digests.get(kind, {}).get(code, "-") if code != "*" else "-"
            if whole != "-" and len(fields) > WHOLE_READS:
                fields = ["*"]  # a page that shows most of a document (its own) needs it all
            documents[f"{kind}\0{code}"] = [whole, {what: self.read_digest(kind, code, what)
                                                    for what in fields}]
        return {"documents": documents}

    def still_valid(self, header: Mapping[str, Any]) -> bool:
        for name, (whole, fields) in header["documents"].items():
            kind, _, code = str(name).partition("\0")
            if code != "*" and whole != "-" and self.digests.get(kind, {}).get(code) == whole:
                continue  # the same document: the same fields
            for what, digest in fields.items():
                if self.read_digest(kind, code, str(what)) != digest:
                    return False
        return True

    def get(self, entry: str) -> bytes | None:
        data = self.cache.get(MARKDOWN, entry)
        if data is None:
            return None
        size = int.from_bytes(data[:8], "big")
        try:
            valid = self.still_valid(json.loads(data[8:8 + size].decode("utf-8")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        if not valid:
            return None
        self.used.append(entry)
        return data[8 + size:]

    def put(self, entry: str, reads: Iterable[Read], markdown: bytes) -> None:
        header = json.dumps(self.header(reads), ensure_ascii=False,
                            sort_keys=True).encode("utf-8")
        self.cache.put(MARKDOWN, entry, len(header).to_bytes(8, "big") + header + markdown)
        self.used.append(entry)
