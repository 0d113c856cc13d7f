"""Incremental builds: what the build cache gives back equals a build from scratch, byte for byte,
after every kind of edit; only the documents whose inputs changed are rendered again; a deleted
document leaves every output; a damaged cache is ignored."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.cache import CACHE_DIR, CACHE_DIR_VARIABLE, BuildCache
from generator.cachekeys import document_digests
from generator.docset import DocumentSet, inputs_of
from generator.resolve import load_document_set
from generator.scaffold import init_document_set
from tests.test_cascade import sample_copy  # noqa: F401 (fixture)

WORD = frozenset({"procedures", "forms"})

QP02 = """\
code: QP-02
title: 记录控制程序
version: A/0
status: draft
owner: quality
approval:
  author: {name: 待定}
countersign: [quality, doc-control]
distribution: [quality]
purpose: 规定记录的控制要求。
scope: 适用于本公司的质量记录。
responsibilities:
  - role: quality
    duties: [负责记录的收集和保存。]
procedure:
  - title: 记录的保存
    text: 记录按【clause:QP-01#req】的要求保存，由【role:quality】每月检查。
  - title: 记录的处理
    body:
      - process:
          id: flow
          title: 记录处理流程
          steps:
            - {id: a, name: 收集记录, owners: [quality], outputs: [QR-02-01]}
            - {id: b, name: 归档保存, owners: [doc-control]}
records:
  - form: QR-02-01
"""

QR0201 = """\
code: QR-02-01
title: 记录清单
version: A/0
status: draft
procedure: QP-02
custodian: quality
retention: 五年
sections:
  - title: 记录
    fields:
      - {id: name, label: 记录名称}
      - {id: place, label: 保存地点}
signoff:
  - {id: by, label: 填表人}
"""


@pytest.fixture
def small_set(tmp_path: Path) -> Path:
    """Two procedures (QP-02 cites a clause of QP-01 and draws a flowchart), two forms."""
    root = tmp_path / "set"
    init_document_set(root, "测试有限公司", example=True)
    qp01 = root / "procedures" / "QP-01.yaml"
    qp01.write_text(qp01.read_text(encoding="utf-8").replace(
        "  - title: 工作要求\n", "  - id: req\n    title: 工作要求\n"), encoding="utf-8")
    (root / "procedures" / "QP-02.yaml").write_text(QP02, encoding="utf-8")
    (root / "forms" / "QR-02-01.yaml").write_text(QR0201, encoding="utf-8")
    return root


def set_cache(root: Path) -> BuildCache:
    """The set's own cache folder (the one `wenkong build` uses, pruned after each build)."""
    return BuildCache(root / CACHE_DIR)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_build(root: Path, output: Path, cache: BuildCache,
              only: frozenset[str] = WORD) -> dict[str, bytes]:
    docset = load_document_set(root, cache=cache)
    build(docset, BuildOptions(root=root, output=output, only=only, cache=cache))
    return outputs(output)


def rendered(cache: BuildCache) -> dict[str, int]:
    return {name: cache.namespace_misses[name] for name in ("procedures", "forms")}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_template(root: Path) -> None:
    """A word changed in the Word template's body (still a valid template)."""
    path = root / "templates" / "procedure.docx"
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert "{{ title }}" in text
                data = text.replace("{{ title }}", "{{ title }}（模板已改）", 1).encode("utf-8")
            target.writestr(info, data)
    path.write_bytes(out.getvalue())


# edit, and how many procedures and forms it must render again (None: not counted)
EDITS: dict[str, tuple[Callable[[Path], None], dict[str, int] | None]] = {
    "procedure clause": (lambda root: edit(root / "procedures" / "QP-02.yaml", "每月检查",
                                           "每周检查"), {"procedures": 1, "forms": 0}),
    # a clause inserted before the one QP-02 cites renumbers it: both procedures change
    "cited clause number": (lambda root: edit(
        root / "procedures" / "QP-01.yaml", "procedure:\n",
        "procedure:\n  - title: 总则\n    text: 新增的条款。\n"), {"procedures": 2, "forms": 0}),
    "process step": (lambda root: edit(root / "procedures" / "QP-02.yaml", "name: 归档保存",
                                       "name: 归档并保存"), {"procedures": 1, "forms": 0}),
    "form field": (lambda root: edit(root / "forms" / "QR-01-01.yaml", "label: 事项",
                                     "label: 申请事项"), {"procedures": 0, "forms": 1}),
    # the owner procedure's title prints on its forms and in every reference to it
    "procedure title": (lambda root: edit(root / "procedures" / "QP-02.yaml",
                                          "title: 记录控制程序", "title: 质量记录控制程序"),
                        {"procedures": 1, "forms": 1}),
    "role name": (lambda root: edit(root / "roles.yaml", "name: 品质部", "name: 质量管理部"),
                  None),
    "settings": (lambda root: edit(root / "wenkong.yaml", 'name: "测试有限公司"',
                                   'name: "测试精密有限公司"'), {"procedures": 2, "forms": 2}),
    "template": (edit_template, {"procedures": 2, "forms": 0}),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_incremental_build_equals_a_cold_build(small_set: Path, tmp_path: Path,
                                               name: str) -> None:
    cache = set_cache(small_set)
    before = run_build(small_set, tmp_path / "out", cache)
    change, expected = EDITS[name]
    change(small_set)
    cache = set_cache(small_set)
    incremental = run_build(small_set, tmp_path / "out", cache)
    cold = run_build(small_set, tmp_path / "cold", BuildCache(None))
    assert incremental == cold
    assert incremental != before  # the edit shows in the output
    if name == "procedure clause":  # its flowchart did not change: not drawn again
        assert (cache.namespace_hits["flowcharts"], cache.namespace_misses["flowcharts"]) == (1, 0)
    if name == "process step":
        assert cache.namespace_misses["flowcharts"] == 1
    if expected is not None:
        assert rendered(cache) == expected
    else:
        assert rendered(cache)["procedures"] > 0


def test_a_second_build_renders_nothing(small_set: Path, tmp_path: Path) -> None:
    run_build(small_set, tmp_path / "out", set_cache(small_set))
    cache = set_cache(small_set)
    again = run_build(small_set, tmp_path / "out", cache)
    assert rendered(cache) == {"procedures": 0, "forms": 0}
    assert cache.namespace_hits["procedures"] == 2 and cache.namespace_hits["forms"] == 2
    assert again == run_build(small_set, tmp_path / "cold", BuildCache(None))


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_a_damaged_cache_entry_is_ignored(small_set: Path, tmp_path: Path, damage: str) -> None:
    run_build(small_set, tmp_path / "out", set_cache(small_set))
    entries = sorted((small_set / CACHE_DIR / "procedures").rglob("*"))
    entries = [p for p in entries if p.is_file()]
    assert len(entries) == 2
    for path in entries:
        data = path.read_bytes()
        path.write_bytes({"truncated": data[:len(data) // 2], "empty": b"",
                          "garbage": data[:40] + os.urandom(len(data) - 40)}[damage])
    cache = set_cache(small_set)
    incremental = run_build(small_set, tmp_path / "out", cache)
    assert rendered(cache) == {"procedures": 2, "forms": 0}
    assert incremental == run_build(small_set, tmp_path / "cold", BuildCache(None))


def test_a_deleted_document_leaves_every_output(small_set: Path, tmp_path: Path) -> None:
    everything: frozenset[str] = frozenset()
    before = run_build(small_set, tmp_path / "out", set_cache(small_set), everything)
    assert any("QP-02" in name for name in before)
    (small_set / "procedures" / "QP-02.yaml").unlink()
    (small_set / "forms" / "QR-02-01.yaml").unlink()
    cache = set_cache(small_set)
    incremental = run_build(small_set, tmp_path / "out", cache, everything)
    for name, data in incremental.items():
        assert "QP-02" not in name and "QR-02-01" not in name
        assert b"QP-02" not in data and "记录控制程序".encode() not in data, name
    cold = run_build(small_set, tmp_path / "cold", BuildCache(None), everything)
    assert incremental.keys() == cold.keys()
    for name in incremental:
        if name.startswith(("procedures/", "forms/")):
            assert incremental[name] == cold[name], name
    # the cache no longer keeps the deleted documents
    kept = [p for p in (small_set / CACHE_DIR / "procedures").rglob("*") if p.is_file()]
    assert len(kept) == 1


def test_no_cache_reads_and_writes_no_cache(small_set: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != CACHE_DIR_VARIABLE}

    def wenkong_build(*options: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "generator", "build", str(small_set), "--only", "procedures",
             "--only", "forms", *options], capture_output=True, text=True, timeout=600,
            env=environment)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "已生成 4 个文件\n" in wenkong_build("--no-cache")
    assert not (small_set / CACHE_DIR).exists()
    assert "已生成 4 个文件\n" in wenkong_build()
    assert (small_set / CACHE_DIR / "procedures").is_dir()
    assert "已生成 4 个文件（重新生成 0 个，其余 4 个取自缓存）" in wenkong_build()
    edit(small_set / "forms" / "QR-02-01.yaml", "label: 保存地点", "label: 存放地点")
    assert "已生成 4 个文件（重新生成 1 个，其余 3 个取自缓存）" in wenkong_build()
    assert "已生成 4 个文件\n" in wenkong_build("--no-cache")


def test_keys_do_not_depend_on_the_process(small_set: Path) -> None:
    """Same sources, same keys in another process (another hash seed): a warm cache is used."""
    script = ("import sys; from pathlib import Path; from generator.resolve import "
              "load_document_set; from generator.render.docx import procedure, form; "
              "d = load_document_set(Path(sys.argv[1])); "
              "t = procedure.load_template(procedure.find_template(d)); "
              "print(sorted(procedure.procedure_keys(d, t).items()), "
              "sorted(form.form_keys(d, form.load_form_labels(d.root, d.settings)).items()))")
    runs = [subprocess.run([sys.executable, "-c", script, str(small_set)], capture_output=True,
                           text=True, timeout=300, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")]
    assert runs[0] == runs[1] and "QP-02" in runs[0]


def test_keys_are_the_same_for_a_set_read_from_the_load_cache(
        tmp_path: Path, sample_copy: Path) -> None:  # noqa: F811 (fixture)
    """Models read back from the load cache share fewer objects than freshly parsed ones:
    the keys must not notice."""
    from generator.render.docx import form, procedure

    root = sample_copy

    def keys(docset: DocumentSet) -> tuple[dict[str, str], dict[str, str]]:
        template = procedure.load_template(procedure.find_template(docset))
        labels = form.load_form_labels(docset.root, docset.settings)
        return procedure.procedure_keys(docset, template), form.form_keys(docset, labels)

    cache = BuildCache(tmp_path / "cache")
    fresh = keys(load_document_set(root, cache=cache))
    cache = BuildCache(tmp_path / "cache")
    cached = keys(load_document_set(root, cache=cache))
    assert cache.namespace_hits["load"] > 0
    assert cached == fresh


def document_keys(root: Path) -> dict[str, bytes]:
    """The digest of every resolved document, as the renderers' cache keys take it."""
    docset = load_document_set(root, cache=BuildCache(None))
    digests = document_digests(docset.roles)
    return {code: digests.digest(doc)
            for code, doc in [*docset.procedures.items(), *docset.forms.items()]}


def changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {code for code in before if before[code] != after[code]}


def test_a_document_is_keyed_by_what_it_cites(small_set: Path) -> None:
    """A document's digest follows what it prints of others (QP-02 cites a clause of QP-01,
    QR-01-01 prints its procedure's title), not the rest of them."""
    qp01 = small_set / "procedures" / "QP-01.yaml"
    first = document_keys(small_set)
    edit(qp01, "在此描述工作程序。", "在此描述本程序的工作。")  # printed by QP-01 alone
    second = document_keys(small_set)
    assert changed(first, second) == {"QP-01"}
    edit(qp01, 'title: "文件控制程序"', 'title: "受控文件管理程序"')
    assert changed(second, document_keys(small_set)) == {"QP-01", "QP-02", "QR-01-01"}


def test_a_picture_is_part_of_its_documents_key(small_set: Path) -> None:
    """A figure's bytes are read by the resolver, not from the procedure's file: replacing the
    picture changes the key of the procedure that shows it, and of no other."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    (small_set / "figures").mkdir()
    (small_set / "figures" / "flow.png").write_bytes(png)
    edit(small_set / "procedures" / "QP-02.yaml", "  - title: 记录的处理\n    body:\n",
         "  - title: 记录的处理\n    body:\n      - figure: {file: figures/flow.png}\n")
    before = document_keys(small_set)
    (small_set / "figures" / "flow.png").write_bytes(png + b"\1")
    assert changed(before, document_keys(small_set)) == {"QP-02"}


def test_an_altered_copy_is_not_keyed_as_its_original(small_set: Path) -> None:
    """A document changed after resolving (`dataclasses.replace`) is digested whole."""
    docset = load_document_set(small_set, cache=BuildCache(None))
    doc = docset.procedures["QP-02"]
    digests = document_digests(docset.roles)
    assert inputs_of(doc) is not None
    copy = replace(doc, title="别的标题")
    assert inputs_of(copy) is None
    assert digests.digest(copy) != digests.digest(doc)
    assert digests.digest(replace(doc)) == digests.digest(replace(doc))


def test_sample_set_clause_edit(tmp_path: Path,
                                sample_copy: Path) -> None:  # noqa: F811 (fixture)
    """The sample set: one clause of the draft QP-17 changed, only QP-17 rendered again, and
    the Word outputs equal a build from scratch."""
    root = sample_copy
    run_build(root, tmp_path / "out", set_cache(root))
    edit(root / "procedures" / "QP-17.yaml", "1个工作日内转交技术部", "2个工作日内转交技术部")
    cache = set_cache(root)
    incremental = run_build(root, tmp_path / "out", cache)
    assert rendered(cache) == {"procedures": 1, "forms": 0}
    assert incremental == run_build(root, tmp_path / "cold", BuildCache(None))


def test_history_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Released versions rebuilt from git and "changes in this version" come from the cache
    when nothing they depend on changed (no old tree is loaded), and equal a build without."""
    from generator.control import diff, rebuild
    from generator.control.publish import render_history
    from tests.control_support import commit, edit, new_repo, release

    root = new_repo(tmp_path / "set")
    path = root / "procedures" / "QP-01.yaml"
    edit(path, "text: 在此描述工作程序。", "text: 记录由文控中心保存三年。")
    assert release(root).code == 0
    commit(root, "QP-01 A/0")
    edit(path, "保存三年", "保存五年")
    assert release(root, "QP-01", "延长保存期", date="2026-03-01").code == 0
    commit(root, "QP-01 A/1")
    edit(path, "保存五年", "保存十年")  # a revision under way

    def history(cache: BuildCache) -> dict[str, bytes]:
        docset = load_document_set(root, check_lock=False, cache=cache)
        return render_history(docset, BuildOptions(root=root, output=root / "build",
                                                   cache=cache))

    cold = history(BuildCache(None))
    assert any(name.endswith(".docx") for name in cold) and "十年" in cold["history/index.json"
                                                                         ].decode()
    assert history(set_cache(root)) == cold

    def no_old_tree(*args: object) -> None:
        raise AssertionError("an old tree was loaded")

    with monkeypatch.context() as patch:
        patch.setattr(diff, "docset_at", no_old_tree)
        patch.setattr(rebuild, "docset_at", no_old_tree)
        cache = set_cache(root)
        assert history(cache) == cold
    assert cache.namespace_hits["history"] == 1 and cache.namespace_hits["history-changes"] == 1

    edit(path, "保存十年", "保存二十年")
    cache = set_cache(root)
    warm = history(cache)
    assert warm == history(BuildCache(None)) != cold
    assert cache.namespace_hits["history"] == 1 and cache.namespace_misses["history-changes"] == 1
