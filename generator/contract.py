"""The contract between the build orchestrator (generator/build.py) and its renderers.

A renderer is a function `(DocumentSet, BuildOptions) -> Files`: it reads the resolved set and
the options, never the sources and never the disk, and returns the files it makes as relative
posix paths to bytes. The orchestrator (and the build cache between the two) only rely on what
is declared here, so renderers import this module and never build.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator.cache import BuildCache

if TYPE_CHECKING:
    from generator.docset import DocumentSet

Files = dict[str, bytes]
Progress = Callable[[str, int, int], None]  # (what, done, total)


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    output: Path
    pdf: bool = False
    only: frozenset[str] = field(default_factory=frozenset)  # renderer names; empty: all
    template: Path | None = None
    progress: Progress | None = None
    # Files the renderers before this one produced (read-only): the site offers the .docx.
    # A file still being rendered (the build renders the Word documents while the site builds)
    # is a stand-in, PENDING + its own path: a renderer may copy it into its outputs as it is
    # (the build puts the real bytes in its place) but never reads it.
    rendered: Mapping[str, bytes] = field(default_factory=dict)
    # Results of earlier builds (generator/cache.py); disabled unless the caller passes one.
    cache: BuildCache = field(default_factory=lambda: BuildCache(None))


Renderer = Callable[["DocumentSet", BuildOptions], Files]

PENDING = b"\0wenkong-pending\0"  # starts the stand-in of a file not rendered yet

# Cache namespaces in which every hit is one output file taken whole from the cache: the build's
# summary counts them as reused ("其余 N 个取自缓存"). A renderer that caches whole files under
# another namespace adds it here.
REUSED_OUTPUTS = ("procedures", "forms", "pdf", "history", "site")

