"""The build cache: bytes kept between builds under a content-hash key.

A key is the SHA-256 of everything a result depends on (`key(...)`): the source text or model of
the document, whatever it cites, the template, the settings and `generator_digest()` (the
generator's own code, templates and messages, so a new Wenkong never reuses an old result).
An entry stores its own digest beside the data; an entry that is cut short, altered or
unreadable is treated as missing and removed: the cache is never trusted, only used.

Writes are atomic (temporary file, then rename) and every failure to read or write the cache is
ignored: a build with a broken or read-only cache is slower, never wrong.

The cache folder is `<set>/.wenkong-cache/` by default (kept out of git by `wenkong init`'s
.gitignore); `wenkong build --no-cache` passes a disabled cache (`BuildCache(None)`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import platform
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

CACHE_DIR = ".wenkong-cache"
CACHE_DIR_VARIABLE = "WENKONG_CACHE_DIR"
"""Environment variable naming a cache folder for every set (a CI cache, the test suite);
entries are keyed by content, so sets can share one folder."""
_MAGIC = b"wenkong-cache-1\n"
_DIGEST_SIZE = 32


def key(*parts: bytes | str) -> str:
    """A hex key for these parts, in order; each part is length-prefixed (no ambiguity between
    ("ab", "c") and ("a", "bc"))."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@functools.cache
def generator_digest() -> str:
    """A digest of the installed generator: every .py, template, locale and data file under
    generator/ and the set-independent templates/, so changing Wenkong invalidates the cache."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for folder in (package, package.parent / "templates"):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or "__pycache__" in path.parts or path.suffix in {".pyc", ".mo"}:
                continue
            digest.update(path.relative_to(folder.parent).as_posix().encode("utf-8") + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def model_key(*parts: bytes | str) -> str:
    """A key for a value kept pickled (`get_pickled`): the parts, the generator and the versions
    of Python and pydantic, whose objects the pickle holds."""
    import pydantic

    return key(*parts, generator_digest(), pydantic.VERSION, platform.python_version())


def put_pickled(cache: BuildCache, namespace: str, entry: str, value: object) -> None:
    cache.put(namespace, entry, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def get_pickled(cache: BuildCache, namespace: str, entry: str, kind: type[T]) -> T | None:
    """The `kind` object kept under `entry` (`put_pickled`), or None.

    Pickle is safe here: the entries are our own, written by Wenkong into the set's own cache
    folder, and `get` rejects an entry whose digest does not match (cut short or altered).
    Anything else that goes wrong while unpickling (an entry of another version of pydantic, a
    class that moved) or an object of another type makes it a miss."""
    data = cache.get(namespace, entry)
    if data is None:
        return None
    try:
        value = pickle.loads(data)
    except Exception:
        return None
    return value if type(value) is kind else None


def set_cache(root: Path) -> BuildCache:
    """The cache a command uses for the set at `root`: `<root>/.wenkong-cache/`, or the folder
    that WENKONG_CACHE_DIR names."""
    folder = os.environ.get(CACHE_DIR_VARIABLE)
    if folder:
        return BuildCache(Path(folder), shared=True)
    return BuildCache(root / CACHE_DIR)


class BuildCache:
    """A folder of cached results, by namespace ("procedures", "forms", "site", "load" …) and
    key. `BuildCache(None)` is a disabled cache: `get` always misses and `put` keeps nothing.
    A `shared` folder (WENKONG_CACHE_DIR: several sets, a CI cache) is never pruned: what one
    set no longer uses, another may."""

    def __init__(self, folder: Path | None, *, shared: bool = False) -> None:
        self.folder = folder
        self.shared = shared
        # by namespace: how many results were reused, how many had to be made (build summary)
        self.namespace_hits: Counter[str] = Counter()
        self.namespace_misses: Counter[str] = Counter()

    @property
    def hits(self) -> int:
        return sum(self.namespace_hits.values())

    @property
    def misses(self) -> int:
        return sum(self.namespace_misses.values())

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _path(self, namespace: str, entry: str) -> Path:
        assert self.folder is not None
        return self.folder / namespace / entry[:2] / entry

    def get(self, namespace: str, entry: str) -> bytes | None:
        """The data stored under `entry`, or None when absent or damaged (then removed)."""
        data = self._read(namespace, entry)
        if data is None:
            self.namespace_misses[namespace] += 1
        else:
            self.namespace_hits[namespace] += 1
        return data

    def _read(self, namespace: str, entry: str) -> bytes | None:
        if self.folder is None:
            return None
        path = self._path(namespace, entry)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head = len(_MAGIC) + _DIGEST_SIZE
        data = raw[head:]
        if raw[:len(_MAGIC)] != _MAGIC or hashlib.sha256(data).digest() != raw[len(_MAGIC):head]:
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        return data

    def put(self, namespace: str, entry: str, data: bytes) -> None:
        """Store `data` under `entry`, atomically; a failure (read-only folder, full disk) is
        ignored."""
        if self.folder is None:
            return
        path = self._path(namespace, entry)
        temporary = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(_MAGIC + hashlib.sha256(data).digest() + data)
            os.replace(temporary, path)
            temporary = None
        except OSError:
            pass
        finally:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)

    def prune(self, namespace: str, keep: Iterable[str]) -> None:
        """Remove every entry of `namespace` not in `keep` (results no build needs any more);
        nothing in a shared folder."""
        if self.folder is None or self.shared:
            return
        wanted = set(keep)
        root = self.folder / namespace
        if not root.is_dir():
            return
        for bucket in root.iterdir():
            if not bucket.is_dir():
                continue
            for path in bucket.iterdir():
                if path.name not in wanted:
                    with contextlib.suppress(OSError):
                        path.unlink()

    def clear(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
