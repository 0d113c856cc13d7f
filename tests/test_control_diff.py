"""Control: clause-level diffs between releases and the working draft; the redline .docx; and
rebuilding a released version to the same bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from generator.build import BuildOptions
from generator.control.content import Unit
from generator.control.diff import changes_since_previous, compare, compare_units, word_diff
from generator.control.history import released_versions
from generator.control.rebuild import rebuild_version
from generator.control.redline import render_redline
from generator.render.docx.procedure import render_procedures
from generator.resolve import load_document_set
from tests.control_support import commit, edit, new_repo, release, wenkong

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

CLAUSES = """procedure:
  - title: 工作要求
    text: 在此描述工作程序。
  - id: keep
    title: 记录保存
    text: 记录由文控中心保存三年。
    clauses:
      - 电子记录每月备份一次。
      - 纸质记录按月装订。
  - title: 培训
    text: 新文件实施前，主责部门组织相关人员学习。
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """QP-01 released as A/0 and A/1 (one clause changed, one inserted), both committed,
    then edited again in the working tree."""
    root = new_repo(tmp_path_factory.mktemp("diff") / "set")
    path = root / "procedures" / "QP-01.yaml"
    edit(path, "procedure:\n  - title: 工作要求\n    text: 在此描述工作程序。\n", CLAUSES)
    assert release(root).code == 0
    commit(root, "QP-01 A/0")
    edit(path, "保存三年", "保存五年")
    edit(path, "  - title: 培训\n", "  - title: 检查\n    text: 品质部每季度抽查记录。\n"
         "  - title: 培训\n")
    assert release(root, "QP-01", "延长保存期，增加抽查", date="2026-03-01").code == 0
    commit(root, "QP-01 A/1")
    edit(path, "电子记录每月备份一次。", "电子记录每周备份一次。")
    return root


def test_word_diff_marks_changed_chinese_words() -> None:
    runs = word_diff("记录由文控中心保存三年。", "记录由文控中心保存五年。")
    assert ("delete", "三年") in runs or ("delete", "三") in runs
    assert any(op == "insert" and "五" in text for op, text in runs)
    assert "".join(t for op, t in runs if op != "insert") == "记录由文控中心保存三年。"
    assert "".join(t for op, t in runs if op != "delete") == "记录由文控中心保存五年。"


def test_inserting_a_clause_is_one_addition_not_a_renumbering() -> None:
    def unit(label: str, text: str) -> Unit:
        return Unit(label, "", text, ())

    old = [unit("5.1", "甲"), unit("5.2", "乙乙乙乙"), unit("5.3", "丙丙丙丙")]
    new = [unit("5.1", "甲"), unit("5.2", "新条款内容"), unit("5.3", "乙乙乙乙"),
           unit("5.4", "丙丙丙丙")]
    changes = compare_units(old, new)
    assert [(c.kind, c.label) for c in changes] == [("added", "5.2")]


def test_diff_two_releases_from_git(history: Path) -> None:
    comparison = compare(history, "QP-01", "A/0", "A/1")
    kinds = {(c.kind, c.label, c.old_label) for c in comparison.changes}
    assert ("changed", "5.2", "5.2") in kinds
    assert ("added", "5.3", None) in kinds
    assert len(comparison.changes) == 2  # 5.4 培训 (was 5.3) is unchanged: not reported
    changed = next(c for c in comparison.changes if c.kind == "changed")
    assert any(op == "insert" and "五" in text for op, text in changed.words)


def test_diff_release_against_working_draft(history: Path) -> None:
    comparison = compare(history, "QP-01")  # latest release (A/1) vs the file as it is
    assert comparison.old.label == "A/1" and comparison.new.label == "working"
    assert [(c.kind, c.label) for c in comparison.changes] == [("changed", "5.2.1")]


def test_diff_command_prints_marked_words(history: Path) -> None:
    result = wenkong("diff", "QP-01", "A/0", "A/1", "--root", str(history))
    assert result.code == 0, result.text
    assert "5.2 记录保存 修改" in result.stdout and "5.3 新增" in result.stdout
    assert "[-三-]" in result.stdout or "[-三年-]" in result.stdout
    result = wenkong("diff", "QP-01", "A/7", "--root", str(history))
    assert result.code == 1 and "没有已发布的版本 A/7" in result.text


def test_changes_since_previous_for_the_site(history: Path) -> None:
    docset = load_document_set(history, check_lock=False)
    changes = changes_since_previous(docset, "QP-01")
    # the working draft differs from A/1: changes are against A/1
    assert changes is not None and [c.label for c in changes] == ["5.2.1"]
    versions = released_versions(history, "QP-01")
    assert [(v.version, v.current, v.rebuildable) for v in versions] == [
        ("A/0", False, True), ("A/1", True, True)]


def test_redline_docx_has_tracked_changes_that_libreoffice_shows(
        history: Path, tmp_path: Path) -> None:
    comparison = compare(history, "QP-01", "A/0", "A/1")
    data = render_redline(comparison, author="王强", date=dt.date(2026, 3, 1),
                          heading="QP-01 A/0 → A/1")
    assert data == render_redline(comparison, author="王强", date=dt.date(2026, 3, 1),
                                  heading="QP-01 A/0 → A/1")  # deterministic
    xml = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    inserted = xml.findall(f".//{W}ins")
    deleted = xml.findall(f".//{W}del")
    assert inserted and deleted
    assert {e.get(f"{W}author") for e in inserted + deleted} == {"王强"}
    assert {e.get(f"{W}date") for e in inserted} == {"2026-03-01T00:00:00Z"}
    deleted_text = "".join(t.text or "" for t in xml.iter(f"{W}delText"))
    inserted_text = "".join(t.text or "" for e in inserted for t in e.iter(f"{W}t"))
    assert "三" in deleted_text and "五" in inserted_text
    assert "品质部每季度抽查记录" in inserted_text

    from helpers_client import pdf_text, to_pdf

    path = tmp_path / "redline.docx"
    path.write_bytes(data)
    text = pdf_text(to_pdf([path], tmp_path)[0])
    flat = text.replace(" ", "").replace("\n", "")
    assert "品质部每季度抽查记录" in flat  # inserted clause shown
    assert "三" in flat and "五" in flat  # deleted and inserted words both shown


def test_rebuild_old_version_gives_the_same_bytes(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "set")
    assert release(root).code == 0
    commit(root, "QP-01 A/0")
    docset = load_document_set(root)
    built = render_procedures(docset, BuildOptions(root=root, output=root / "build"))
    (name, at_release), = [(k, v) for k, v in built.items() if "QP-01" in k]
    # more changes, committed: a new release and a renamed form it cites
    edit(root / "procedures" / "QP-01.yaml", "text: 在此描述工作程序。", "text: 已修改的程序。")
    edit(root / "forms" / "QR-01-01.yaml", 'title: "文件更改申请单"', 'title: "文件更改申请表"')
    assert release(root, "QP-01", "修改", date="2026-02-01").code == 0
    commit(root, "QP-01 A/1")
    rebuilt_name, rebuilt = rebuild_version(root, "QP-01", "A/0")
    assert rebuilt_name == name
    assert rebuilt == at_release
    current = rebuild_version(root, "QP-01", "A/1")[1]
    assert current != at_release
    result = wenkong("build", str(root), "--version", "QP-01@A/0")
    assert result.code == 0, result.text
    assert (root / "build" / "versions" / Path(name).name).read_bytes() == at_release
    result = wenkong("build", str(root), "--version", "QP-01@Z/9")
    assert result.code == 1 and "没有已发布的版本 Z/9" in result.text
    result = wenkong("build", str(root), "--version", "QP-01")
    assert result.code == 1 and "编号@版本" in result.text


def test_history_for_the_site_lists_versions_and_changes(history: Path) -> None:
    from generator.control.publish import INDEX, render_history
    from generator.render.site.history import load_history

    docset = load_document_set(history, check_lock=False)
    files = render_history(docset, BuildOptions(root=history, output=history / "build"))
    site_view = load_history(files).of("QP-01")  # read exactly as the site reads it
    assert [v.version for v in site_view.versions] == ["A/0", "A/1"]
    old_file = site_view.versions[0].file
    assert old_file is not None and files[old_file] == rebuild_version(history, "QP-01",
                                                                       "A/0")[1]
    assert site_view.versions[1].file is None  # the current version is the normal build's
    assert site_view.changes is not None
    assert (site_view.changes.from_version, site_view.changes.to_version) == ("A/1", None)
    assert [(i.kind, i.text) for i in site_view.changes.items] == [
        ("changed", "5.2.1 电子记录[-每月-]{+每周+}备份一次。")]
    assert INDEX in files


def test_set_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    from generator.scaffold import init_document_set
    from tests.control_support import git

    top = tmp_path / "repo"
    top.mkdir()
    git(top, "init", "-q", "-b", "main")
    (top / "README.txt").write_text("other things\n", encoding="utf-8")
    root = top / "sets" / "acme"
    init_document_set(root, "测试有限公司", example=True)
    assert release(root).code == 0
    commit(top, "A/0")
    at_release = rebuild_version(root, "QP-01", "A/0")[1]
    edit(root / "procedures" / "QP-01.yaml", "text: 在此描述工作程序。", "text: 新的程序。")
    assert release(root, "QP-01", "修改", date="2026-02-01").code == 0
    commit(top, "A/1")
    assert rebuild_version(root, "QP-01", "A/0")[1] == at_release
    comparison = compare(root, "QP-01", "A/0", "A/1")
    assert [(c.kind, c.label) for c in comparison.changes] == [("changed", "5.1")]


def test_redline_prints_a_removed_clause_where_it_was() -> None:
    import docx

    from generator.control.diff import Comparison, Side

    def unit(label: str, text: str) -> Unit:
        return Unit(label, "", text, ())

    old = (unit("5.1", "记录应及时填写。"), unit("5.2", "记录每月汇总一次。"),
           unit("5.3", "记录保存三年。"))
    new = (unit("5.1", "记录应及时填写。"), unit("5.2", "记录保存五年。"))
    comparison = Comparison("QP-09", Side("QP-09", "A/0", "记录控制程序", old, None),
                            Side("QP-09", "A/1", "记录控制程序", new, None),
                            tuple(compare_units(old, new)))
    assert [(c.kind, c.label) for c in comparison.changes] == [("changed", "5.2"),
                                                               ("removed", "5.2")]
    data = render_redline(comparison, author="王强", date=dt.date(2026, 3, 1), heading="x")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]  # reopens
    xml = etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    body = "".join(t.text or "" for t in xml.iter(f"{W}t", f"{W}delText"))
    assert body.index("记录应及时填写") < body.index("记录每月汇总一次") < body.index("五")
    assert "记录每月汇总一次。" in "".join(t.text or "" for t in xml.iter(f"{W}delText"))
    assert "记录每月汇总一次。" not in "".join(paragraphs)  # deleted text is not plain text


def test_history_renderer_runs_before_the_site() -> None:
    from generator.build import renderers

    names = list(renderers())
    assert "history" in names
    if "site" in names:
        assert names.index("history") < names.index("site")


def test_during_a_revision_the_last_release_is_rebuilt_for_the_site(tmp_path: Path) -> None:
    """A draft of the next version does not replace the release in force: the site still gets
    that release's .docx (the build's own output is the draft)."""
    from generator.control.publish import render_history
    from generator.render.site.history import load_history
    from tests.control_support import commit, new_repo

    root = new_repo(tmp_path / "set")
    assert release(root).code == 0
    commit(root, "release A/0")
    path = root / "procedures" / "QP-01.yaml"
    edit(path, "status: effective", "status: draft")
    edit(path, "在此描述工作程序。", "在此描述修订后的工作程序。")
    docset = load_document_set(root)
    files = render_history(docset, BuildOptions(root=root, output=root / "build"))
    (only,) = load_history(files).of("QP-01").versions
    assert only.version == "A/0" and only.file is not None
    assert files[only.file] == rebuild_version(root, "QP-01", "A/0")[1]
