"""The build cache keeps bytes by key, and never trusts a damaged entry."""

from __future__ import annotations

from pathlib import Path

from generator.cache import BuildCache, generator_digest, key


def test_round_trip_and_miss(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "c")
    entry = key("procedure", b"QP-01 body")
    assert cache.get("procedures", entry) is None
    cache.put("procedures", entry, b"docx bytes")
    assert cache.get("procedures", entry) == b"docx bytes"
    assert cache.get("forms", entry) is None  # namespaces are apart
    assert (cache.hits, cache.misses) == (1, 2)


def test_parts_are_not_concatenated() -> None:
    assert key("ab", "c") != key("a", "bc")
    assert key("a") == key(b"a")


def test_damaged_entries_are_ignored_and_removed(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    for damage in (lambda b: b[:-1], lambda b: b[:-1] + bytes([b[-1] ^ 1]), lambda b: b"",
                   lambda b: b"not a cache entry at all"):
        entry = key("x", repr(damage))
        cache.put("site", entry, b"<html>page</html>")
        path = next((tmp_path / "site").rglob(entry))
        path.write_bytes(damage(path.read_bytes()))
        assert cache.get("site", entry) is None
        assert not path.exists()


def test_disabled_cache_keeps_nothing(tmp_path: Path) -> None:
    cache = BuildCache(None)
    cache.put("procedures", "k", b"data")
    assert cache.get("procedures", "k") is None
    assert not cache.enabled


def test_unwritable_cache_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    cache = BuildCache(blocker / "cache")  # a file where the folder should be
    cache.put("procedures", "k", b"data")
    assert cache.get("procedures", "k") is None


def test_prune_keeps_only_what_is_named(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path)
    for name in ("aa1", "aa2", "bb3"):
        cache.put("forms", name, name.encode())
    cache.prune("forms", {"aa2"})
    assert [cache.get("forms", n) for n in ("aa1", "aa2", "bb3")] == [None, b"aa2", None]


def test_generator_digest_is_stable() -> None:
    assert generator_digest() == generator_digest()
    assert len(generator_digest()) == 64
