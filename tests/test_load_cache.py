"""The load cache: validated models kept per source file, keyed by its bytes (generator/resolve.py).

A warm load must give exactly the set a cold load gives, read an edited file again, ignore a
damaged entry, and leave a file with a problem reported as before (file:line:col).
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
from conftest import REPO

from generator import resolve
from generator.cache import CACHE_DIR, CACHE_DIR_VARIABLE, BuildCache
from generator.docset import DocumentSet
from generator.errors import SourceErrors
from generator.resolve import LOAD_NAMESPACE, RESOLVED_NAMESPACE, load_document_set


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the bundled sample set (with its lock)."""
    root = tmp_path / "set"
    root.mkdir()
    for name in ("wenkong.yaml", "roles.yaml", "wenkong.lock"):
        shutil.copy2(REPO / name, root / name)
    for folder in ("procedures", "forms", "registers", "templates"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder)
    return root


def documents(root: Path) -> int:
    return sum(1 for folder in ("procedures", "forms") for _ in (root / folder).glob("*.yaml"))


def entries(cache: BuildCache) -> list[Path]:
    assert cache.folder is not None
    return sorted((cache.folder / LOAD_NAMESPACE).rglob("*/*"))


def hits(cache: BuildCache) -> int:
    """Models read back from the load cache (resolved documents have a namespace of their own)."""
    return cache.namespace_hits[LOAD_NAMESPACE]


def misses(cache: BuildCache) -> int:
    return cache.namespace_misses[LOAD_NAMESPACE]


def same(cold: DocumentSet, warm: DocumentSet) -> None:
    assert list(warm.procedures) == list(cold.procedures)
    assert list(warm.forms) == list(cold.forms)
    for code, doc in cold.procedures.items():
        assert warm.procedures[code].model.model_dump() == doc.model.model_dump(), code
        assert warm.procedures[code] == doc, code  # every resolved part as well
    for code, form in cold.forms.items():
        assert warm.forms[code].model.model_dump() == form.model.model_dump(), code
        assert warm.forms[code] == form, code
    assert warm.warnings == cold.warnings
    assert warm.duties_by_role == cold.duties_by_role
    assert warm.referenced_by == cold.referenced_by


def test_warm_load_equals_cold_load(sample: Path, tmp_path: Path) -> None:
    cold = load_document_set(sample, cache=False)
    cache = BuildCache(tmp_path / "cache")
    first = load_document_set(sample, cache=cache)
    assert (hits(cache), len(entries(cache))) == (0, documents(sample))
    warm_cache = BuildCache(tmp_path / "cache")
    warm = load_document_set(sample, cache=warm_cache)
    assert (hits(warm_cache), misses(warm_cache)) == (documents(sample), 0)
    same(cold, first)
    same(cold, warm)
    assert warm_cache.namespace_hits[RESOLVED_NAMESPACE] > 0  # resolved documents kept too


def test_edited_file_is_read_again(sample: Path, tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    load_document_set(sample, cache=cache)
    path = sample / "procedures" / "QP-15.yaml"
    text = path.read_text(encoding="utf-8")
    assert "顾客" in text
    path.write_text(text.replace("顾客", "客户甲", 1), encoding="utf-8")
    warm_cache = BuildCache(tmp_path / "cache")
    warm = load_document_set(sample, cache=warm_cache, check_lock=False)
    assert misses(warm_cache) == 1
    assert hits(warm_cache) == documents(sample) - 1
    assert warm.procedures["QP-15"].model == load_document_set(
        sample, cache=False, check_lock=False).procedures["QP-15"].model
    assert "客户甲" in warm.procedures["QP-15"].model.model_dump_json()


def test_damaged_entries_are_ignored(sample: Path, tmp_path: Path) -> None:
    cold = load_document_set(sample, cache=False)
    cache = BuildCache(tmp_path / "cache")
    load_document_set(sample, cache=cache)
    stored = entries(cache)
    # Half the entries cut short (BuildCache's digest rejects them), the other half with a
    # valid digest around data that is no pickle of a model at all.
    for i, path in enumerate(stored):
        if i % 2:
            path.write_bytes(path.read_bytes()[:-7])
        else:
            cache.put(LOAD_NAMESPACE, path.name, b"not a pickle" if i % 4 else b"N.")
    again = BuildCache(tmp_path / "cache")
    warm = load_document_set(sample, cache=again)
    assert hits(again) == (len(stored) + 1) // 2  # valid digests: read, then refused
    same(cold, warm)
    rewritten = BuildCache(tmp_path / "cache")
    same(cold, load_document_set(sample, cache=rewritten))
    assert hits(rewritten) == documents(sample)  # repaired by the load before


def test_a_file_with_a_problem_is_never_cached(sample: Path, tmp_path: Path) -> None:
    path = sample / "procedures" / "QP-15.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("purpose:", "purpos:", 1),
                    encoding="utf-8")
    reports = []
    for _ in range(2):
        cache = BuildCache(tmp_path / "cache")
        with pytest.raises(SourceErrors) as caught:
            load_document_set(sample, cache=cache, check_lock=False)
        reports.append([str(p) for p in caught.value.problems])
        assert hits(cache) in (0, documents(sample) - 1)
    assert reports[0] == reports[1]
    assert any(line.startswith("procedures/QP-15.yaml:") and "purpos" in line
               for line in reports[1])
    assert len(entries(BuildCache(tmp_path / "cache"))) == documents(sample) - 1


def test_parallel_workers_fill_the_cache(sample: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_document_set(sample, cache=False)
    monkeypatch.setattr(resolve, "PARALLEL_FROM", 1)
    monkeypatch.setattr(resolve.os, "cpu_count", lambda: 2)
    cache = BuildCache(tmp_path / "cache")
    same(cold, load_document_set(sample, cache=cache))
    assert len(entries(cache)) == documents(sample)  # written by the workers
    warm = BuildCache(tmp_path / "cache")
    same(cold, load_document_set(sample, cache=warm))
    assert hits(warm) == documents(sample)


def test_default_cache_is_the_sets_folder(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CACHE_DIR_VARIABLE)
    load_document_set(sample, cache=False)
    assert not (sample / CACHE_DIR).exists()
    load_document_set(sample)
    cache = BuildCache(sample / CACHE_DIR)
    before = entries(cache)
    assert len(before) == documents(sample)
    # An edited file's old entry goes once the new one is made (the set's own folder only).
    path = sample / "forms" / "QR-15-01.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# 改过\n", encoding="utf-8")
    load_document_set(sample, check_lock=False)
    after = entries(cache)
    assert len(after) == documents(sample)
    assert len(set(after) - set(before)) == 1


# --- resolved documents: kept per file, used only while what they looked up is the same ------


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_edit_in_a_cited_document_resolves_the_citing_one_again(sample: Path,
                                                                    tmp_path: Path) -> None:
    """QP-02 cites clauses of QP-01 by number and title: a new title and a clause inserted
    before them show in QP-02 read back from the cache, as in a cold load."""
    load_document_set(sample, cache=BuildCache(tmp_path / "cache"))
    qp01 = sample / "procedures" / "QP-01.yaml"
    edit(qp01, "title: 文件控制程序", "title: 受控文件管理程序")
    edit(qp01, "procedure:\n", "procedure:\n  - title: 总则\n    text: 新增的条款。\n")
    cache = BuildCache(tmp_path / "cache")
    warm = load_document_set(sample, cache=cache, check_lock=False)
    cold = load_document_set(sample, cache=False, check_lock=False)
    same(cold, warm)
    cites = [part for clause in warm.procedures["QP-02"].all_clauses()
             for part in clause.text or () if not isinstance(part, str)]
    assert any(ref.code == "QP-01" and ref.title == "受控文件管理程序" for ref in cites)
    assert 0 < cache.namespace_hits[RESOLVED_NAMESPACE] < documents(sample)


def test_a_problem_caused_by_another_file_is_reported_as_before(sample: Path,
                                                                 tmp_path: Path) -> None:
    """QR-02-02 is unchanged, but QP-02 no longer lists it: its kept resolved document must not
    hide the error on QR-02-02's file (file:line:col, same words as without a cache)."""
    load_document_set(sample, cache=BuildCache(tmp_path / "cache"))
    edit(sample / "procedures" / "QP-02.yaml", "  - form: QR-02-02\n    retention: 五年\n", "")
    reports = []
    for cache in (BuildCache(tmp_path / "cache"), BuildCache(None)):
        with pytest.raises(SourceErrors) as caught:
            load_document_set(sample, cache=cache, check_lock=False)
        reports.append([str(p) for p in caught.value.problems])
    assert reports[0] == reports[1]
    assert any(line.startswith("forms/QR-02-02.yaml:") and "records" in line
               for line in reports[0])


def test_damaged_resolved_entries_are_ignored(sample: Path, tmp_path: Path) -> None:
    cold = load_document_set(sample, cache=False)
    cache = BuildCache(tmp_path / "cache")
    load_document_set(sample, cache=cache)
    assert cache.folder is not None
    stored = sorted((cache.folder / RESOLVED_NAMESPACE).rglob("*/*"))
    assert stored
    damaged = [b"not a pickle", b"N.", pickle.dumps(("model", [])), b"\x80\x05Pmodel\n."]
    for i, path in enumerate(stored):  # valid digests around what is no resolved document
        cache.put(RESOLVED_NAMESPACE, path.name, damaged[i % 4])
    again = BuildCache(tmp_path / "cache")
    same(cold, load_document_set(sample, cache=again))
    assert again.namespace_hits[RESOLVED_NAMESPACE] == len(stored)  # read, then refused
    rewritten = BuildCache(tmp_path / "cache")
    same(cold, load_document_set(sample, cache=rewritten))
    assert rewritten.namespace_hits[RESOLVED_NAMESPACE] == len(stored)
