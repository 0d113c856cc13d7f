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


@dataclass
class Traced:
    """The documents a page's template read from the set while it rendered."""

    reads: set[tuple[str, str]] = field(default_factory=set)  # (kind, code or "*")


_tracing: Traced | None = None


class Recording(dict[str, Any]):
    """The set's procedures or forms as templates see them: every lookup is noted in the
    current trace ("*" when the template goes over all of them)."""

    def __init__(self, kind: str, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.kind = kind

    def _note(self, code: object) -> None:
        if _tracing is not None:
            _tracing.reads.add((self.kind, str(code)))

    def __getitem__(self, code: str) -> Any:
        self._note(code)
        return super().__getitem__(code)

    def __contains__(self, code: object) -> bool:
        self._note(code)
        return super().__contains__(code)

    def get(self, code: str, default: Any = None) -> Any:
        self._note(code)
        return super().get(code, default)

    def _all(self) -> None:
        self._note("*")

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
        return super().values()

    def items(self) -> Any:
        self._all()
        return super().items()


@contextlib.contextmanager
def tracing() -> Iterator[Traced]:
    """Note what `Recording` mappings are asked while the block runs."""
    global _tracing
    saved, _tracing = _tracing, Traced()
    try:
        yield _tracing
    finally:
        _tracing = saved


class MarkdownCache:
    """Generated Markdown pages kept between builds.

    A page is looked up by its own inputs (template, path, title, front matter and the values
    handed to its template, documents by their digest) and everything every page sees (the
    `common` digest). The entry also holds the documents the template read from the set last
    time (`Recording`), with their digests then: when they are unchanged, rendering again would
    read the same documents and write the same Markdown.
    """

    def __init__(self, cache: BuildCache, common: str,
                 digests: Mapping[str, Mapping[str, str]]) -> None:
        self.cache = cache
        self.common = common
        self.digests = digests  # kind ("procedures"/"forms") → code → document digest
        self.used: list[str] = []
        self._all: dict[str, str] = {}

    def read_digest(self, kind: str, code: str) -> str:
        found = self.digests.get(kind, {})
        if code == "*":
            if kind not in self._all:
                self._all[kind] = key(*(part for pair in found.items() for part in pair))
            return self._all[kind]
        return found.get(code, "-")

    def reads_digest(self, reads: Iterable[tuple[str, str]]) -> str:
        return key(*(f"{kind}\0{code}\0{self.read_digest(kind, code)}"
                     for kind, code in sorted(reads)))

    def get(self, entry: str) -> bytes | None:
        data = self.cache.get(MARKDOWN, entry)
        if data is None:
            return None
        size = int.from_bytes(data[:8], "big")
        try:
            header = json.loads(data[8:8 + size].decode("utf-8"))
            reads = [(str(kind), str(code)) for kind, code in header["reads"]]
            stored = str(header["digest"])
        except (ValueError, KeyError, TypeError):
            return None
        if self.reads_digest(reads) != stored:
            return None
        self.used.append(entry)
        return data[8 + size:]

    def put(self, entry: str, reads: Iterable[tuple[str, str]], markdown: bytes) -> None:
        listed = sorted(reads)
        header = json.dumps({"reads": listed, "digest": self.reads_digest(listed)},
                            ensure_ascii=False).encode("utf-8")
        self.cache.put(MARKDOWN, entry, len(header).to_bytes(8, "big") + header + markdown)
        self.used.append(entry)
