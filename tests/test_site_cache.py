"""Incremental site builds (generator/render/site/pagecache.py): a build through the cache is
byte for byte the cold build of the same sources, after each kind of edit; a deleted document
leaves no trace; a damaged cache is ignored; an edit rebuilds only the pages that show it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from site_support import FIXTURE

from generator.cache import BuildCache
from generator.contract import BuildOptions
from generator.render.site import pagecache, render_site
from generator.resolve import load_document_set

DOCX_QP01 = "procedures/QP-01_A-1_文件控制程序.docx"
HISTORY = {"documents": {"QP-01": {"versions": [
    {"version": "A/0", "date": "2019-03-01", "file": "history/QP-01/old.docx"}]}}}
RENDERED = {
    DOCX_QP01: b"PK fake procedure",
    "history/QP-01/old.docx": b"PK old version",
    "history/index.json": json.dumps(HISTORY).encode(),
}


def build(root: Path, cache: BuildCache) -> dict[str, bytes]:
    docset = load_document_set(root)
    return render_site(docset, BuildOptions(root=root, output=root / "build",
                                            rendered=RENDERED, cache=cache))


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new), "utf-8")


def differing(one: dict[str, bytes], other: dict[str, bytes]) -> list[str]:
    return sorted(path for path in set(one) | set(other) if one.get(path) != other.get(path))


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE, tmp_path / "set")
    return tmp_path / "set"


EDITS: dict[str, Callable[[Path], None]] = {
    "procedure clause": lambda root: replace_in(
        root / "procedures" / "QP-02.yaml", "记录由保管部门保存", "记录由各保管部门保存"),
    # a field the lists, role pages and citing pages show (each page reads fields, not
    # documents: pagecache.Watched)
    "procedure title": lambda root: replace_in(
        root / "procedures" / "QP-02.yaml", "title: 记录控制程序", "title: 记录管理程序"),
    "form title": lambda root: replace_in(
        root / "forms" / "QR-01-02.yaml", "title: 顾客投诉处理单", "title: 客户投诉处理单"),
    "form field": lambda root: replace_in(
        root / "forms" / "QR-01-02.yaml", "label: 顾客名称", "label: 客户名称"),
    "role name": lambda root: replace_in(root / "roles.yaml", "name: 客服部", "name: 客户服务部"),
    "settings": lambda root: replace_in(root / "wenkong.yaml", "测试精密有限公司",
                                        "测试精工有限公司"),
    "deletion": lambda root: (root / "procedures" / "QP-09.yaml").unlink(),
}


# the company's name heads every page; a small set lists its roles in the navigation
SHOWN_ON_EVERY_PAGE = {"role name", "settings", "procedure title", "form title"}


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_incremental_build_is_the_cold_build(root: Path, tmp_path: Path, edit: str) -> None:
    cache = BuildCache(tmp_path / "cache")
    before = build(root, cache)
    EDITS[edit](root)
    incremental = build(root, cache)
    if edit not in SHOWN_ON_EVERY_PAGE:
        assert pagecache.stats["pages_hits"] > 0  # the cache was used …
    cold = build(root, BuildCache(None))
    assert differing(incremental, cold) == []  # … and changed nothing
    assert differing(before, cold)  # the edit shows


def test_a_deleted_document_leaves_no_trace(root: Path, tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    before = build(root, cache)
    assert any(b"QP-09" in data for path, data in before.items() if path != "site/404.html")
    (root / "procedures" / "QP-09.yaml").unlink()
    after = build(root, cache)
    assert [path for path in after if "QP-09" in path] == []
    # not in any page, navigation or the search index
    assert [path for path, data in after.items() if b"QP-09" in data] == []


def test_one_edit_rebuilds_only_the_pages_that_show_it(root: Path, tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    build(root, cache)
    first = dict(pagecache.stats)
    build(root, cache)
    assert pagecache.stats["markdown_built"] == pagecache.stats["pages_built"] == 0
    assert pagecache.stats["pages_hits"] == first["pages_built"]
    EDITS["procedure clause"](root)
    build(root, cache)
    # QP-02's own page: the lists, role pages and home page show its title and number,
    # not its clauses (pages depend on the fields they read, pagecache.Watched)
    assert pagecache.stats["pages_built"] == 1
    assert pagecache.stats["markdown_built"] == 1


def damage(folder: Path, how: str) -> int:
    count = 0
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if how == "bytes":  # cut short: the cache's own check rejects it
            path.write_bytes(data[:len(data) // 2])
        else:  # a well-formed entry whose contents make no sense
            from generator import cache as store

            junk = b"\x00\x00\x00\x00\x00\x00\x00\x05{]}x!not html"
            path.write_bytes(store._MAGIC + __import__("hashlib").sha256(junk).digest() + junk)
        count += 1
    return count


@pytest.mark.parametrize("how", ["bytes", "contents"])
def test_a_damaged_cache_is_ignored(root: Path, tmp_path: Path, how: str) -> None:
    cache = BuildCache(tmp_path / "cache")
    cold = build(root, cache)
    assert damage(tmp_path / "cache", how) > 20
    assert differing(build(root, cache), cold) == []
    assert pagecache.stats["pages_hits"] == 0


def test_an_edit_with_known_words_does_not_load_the_segmenter(
        root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The search index's Chinese cuts are kept between builds (engine._MemoJieba): an edit
    whose runs of Han characters were all cut before never asks jieba, and the index is the
    cold build's."""
    jieba = pytest.importorskip("jieba")
    cache = BuildCache(tmp_path / "cache")
    build(root, cache)
    asked: list[object] = []
    real = jieba.cut

    def cut(text: object, *args: object, **kwargs: object) -> object:
        asked.append(text)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(jieba, "cut", cut)
    # a sentence cut short: its first run, 记录由保管部门保存, was cut in the first build
    replace_in(root / "procedures" / "QP-02.yaml",
               "记录由保管部门保存，保存期满后按【proc:QP-01】处置。", "记录由保管部门保存。")
    build(root, cache)
    assert pagecache.stats["pages_built"] >= 1
    assert asked == []
    # a new run is cut (and the result is the cold build's either way)
    replace_in(root / "procedures" / "QP-02.yaml", "记录由保管部门保存。", "记录由档案室保存。")
    incremental = build(root, cache)
    assert asked
    monkeypatch.setattr(jieba, "cut", real)
    assert differing(incremental, build(root, BuildCache(None))) == []
