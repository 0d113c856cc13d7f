"""Control: `wenkong release` / `obsolete` / `lock --adopt` in real git repositories."""

from __future__ import annotations

import datetime as dt
import difflib
import os
from pathlib import Path

import pytest
import yaml

from generator.control import release as release_module
from generator.control.content import fingerprint
from generator.control.lock import read_lock
from generator.resolve import load_document_set
from tests.control_support import commit, edit, new_repo, release, snapshot, wenkong


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return new_repo(tmp_path / "set")


def qp01(root: Path) -> Path:
    return root / "procedures" / "QP-01.yaml"


def test_first_release_is_a0_and_keeps_comments_and_layout(repo: Path) -> None:
    before = qp01(repo).read_text(encoding="utf-8")
    result = release(repo)
    assert result.code == 0, result.text
    assert "已发布 QP-01 A/0（首次发行）" in result.stdout
    after = qp01(repo).read_text(encoding="utf-8")
    # Only lines were added or changed where a release writes: every original line but the
    # status line is still there, in the same order, comments and quoting included.
    removed = [line[2:] for line in difflib.ndiff(before.splitlines(), after.splitlines())
               if line.startswith("- ")]
    assert removed == ["status: draft"]
    assert after.splitlines()[:2] == before.splitlines()[:2]  # the two comment lines
    assert 'code: "QP-01"' in after and 'version: "A/0"' in after
    data = yaml.safe_load(after)
    assert list(data)[:6] == ["code", "title", "version", "status", "issue_date",
                              "effective_date"]
    assert data["approval"]["approver"] == {"name": "王强", "role": "gm",
                                            "date": data["issue_date"]}
    assert data["revisions"] == [{
        "version": "A/0", "date": data["issue_date"], "clauses": "全文", "summary": "首次发行",
        "author": "待定", "approver": "王强"}]
    lock, _ = read_lock(repo)
    assert lock is not None
    locked = lock.documents["QP-01"].versions
    assert [v.version for v in locked] == ["A/0"]
    docset = load_document_set(repo)  # validates with the lock check
    assert locked[0].fingerprint == fingerprint(docset.procedures["QP-01"].model)
    assert locked[0].approved_by == "gm/王强"


def test_next_release_lists_changed_clauses_and_major_starts_a_new_edition(repo: Path) -> None:
    assert release(repo).code == 0
    commit(repo, "A/0")
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 在此描述工作程序，并保存记录。")
    result = release(repo, "QP-01", "增加记录要求", "--reviewed-by", "mgmt-rep/李娜",
                     "--remark", "变更申请 CR-2026-031", date="2026-03-01")
    assert result.code == 0, result.text
    data = yaml.safe_load(qp01(repo).read_text(encoding="utf-8"))
    assert data["version"] == "A/1"
    assert data["revisions"][-1]["remark"] == "变更申请 CR-2026-031"
    assert data["revisions"][-1]["reviewer"] == "李娜"
    assert data["approval"]["reviewer"] == {"name": "李娜", "role": "mgmt-rep",
                                            "date": dt.date(2026, 3, 1)}
    assert data["revisions"][-1]["clauses"] == "5.1"
    assert data["revisions"][-1]["summary"] == "增加记录要求"
    commit(repo, "A/1")
    edit(qp01(repo), "scope: 适用于本公司。", "scope: 适用于本公司全部部门。")
    result = release(repo, "QP-01", "换版", "--major", date="2026-04-01")
    assert result.code == 0, result.text
    data = yaml.safe_load(qp01(repo).read_text(encoding="utf-8"))
    assert [r["version"] for r in data["revisions"]] == ["A/0", "A/1", "B/0"]
    assert data["revisions"][-1]["clauses"] == "全文"
    lock, _ = read_lock(repo)
    assert lock is not None
    versions = lock.documents["QP-01"].versions
    assert [v.version for v in versions] == ["A/0", "A/1", "B/0"]
    assert [v.units is not None for v in versions] == [False, False, True]
    assert wenkong("validate", str(repo)).code == 0


def test_lock_file_is_sorted_and_stable(repo: Path) -> None:
    assert release(repo).code == 0
    assert release(repo, "QR-01-01", "首次发行", "--author", "李娜").code == 0
    text = (repo / "wenkong.lock").read_text(encoding="utf-8")
    assert text.index("QP-01:") < text.index("QR-01-01:")
    lock, _ = read_lock(repo)
    assert lock is not None
    from generator.control.lock import dump_lock

    assert dump_lock(lock).decode("utf-8") == text  # re-dumping changes nothing


@pytest.mark.parametrize(("args", "message"), [
    (["release", "QP-01", "--approved-by", "gm/王强"], "发布需要 --summary"),
    (["release", "QP-10", "--summary", "x", "--approved-by", "gm/王强"], "没有文件 'QP-10'"),
    (["release", "QP-01", "--summary", "x", "--approved-by", "boss/王强"], "没有部门或岗位 'boss'"),
    (["release", "QP-01", "--summary", "x", "--approved-by", "王强"], "要写成 部门或岗位/姓名"),
    (["release", "QP-01", "--summary", "x"], "--approved-by 部门或岗位/姓名"),
])
def test_bad_release_input_is_refused_and_nothing_is_written(
        repo: Path, args: list[str], message: str) -> None:
    before = snapshot(repo)
    result = wenkong(*args, "--root", str(repo))
    assert result.code == 1
    assert message in result.text
    assert "Traceback" not in result.text
    assert snapshot(repo) == before
    assert not (repo / "wenkong.lock").exists()


def test_nothing_to_release_and_dates_backwards_are_refused(repo: Path) -> None:
    assert release(repo).code == 0
    before = snapshot(repo)
    result = release(repo, "QP-01", "再次发布", date="2026-02-01")
    assert result.code == 1 and "没有可发布的内容" in result.text
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 已修改。")
    before = snapshot(repo)
    result = release(repo, "QP-01", "更早", date="2025-12-31")
    assert result.code == 1 and "早于上一次发布" in result.text
    assert snapshot(repo) == before


def test_version_going_backwards_is_refused(repo: Path) -> None:
    assert release(repo).code == 0
    edit(qp01(repo), 'version: "A/0"', 'version: "B/0"')
    edit(qp01(repo), "status: effective", "status: draft")
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 已修改。")
    before = snapshot(repo)
    result = release(repo, "QP-01", "修改", date="2026-02-01")
    assert result.code == 1
    assert "写的版本是 B/0，但 A/0 之后的下一个版本是 A/1" in result.text
    assert "--major" in result.text
    assert snapshot(repo) == before
    # with --major the same release goes through as B/0
    assert release(repo, "QP-01", "修改", "--major", date="2026-02-01").code == 0


def test_yaml_with_anchors_is_refused(repo: Path) -> None:
    edit(qp01(repo), "scope: 适用于本公司。", "scope: &s 适用于本公司。")
    edit(qp01(repo), "      - 负责本程序的编制和实施。", "      - *s")
    assert wenkong("validate", str(repo)).code == 0  # the loader accepts a plain alias
    before = snapshot(repo)
    result = release(repo)
    assert result.code == 1
    assert "YAML 锚点或别名" in result.text and "QP-01.yaml:" in result.text
    assert snapshot(repo) == before


def test_yaml_the_editor_cannot_reproduce_is_refused(repo: Path) -> None:
    text = qp01(repo).read_text(encoding="utf-8")
    # Three-space mapping indentation: ruamel would re-indent every nested line.
    qp01(repo).write_text(text.replace("  author:\n    name: 待定",
                                       "   author:\n      name: 待定"), encoding="utf-8")
    assert wenkong("validate", str(repo)).code == 0
    before = snapshot(repo)
    result = release(repo)
    assert result.code == 1 and "无法在不改变其排版的情况下修改" in result.text
    assert snapshot(repo) == before


def test_broken_or_inconsistent_lock_stops_a_release(repo: Path) -> None:
    assert release(repo).code == 0
    commit(repo, "A/0")
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 已修改。")
    lock = repo / "wenkong.lock"
    good = lock.read_text(encoding="utf-8")
    lock.write_text(good.replace("documents:", "<<<<<<< HEAD\ndocuments:"), encoding="utf-8")
    before = snapshot(repo)
    result = release(repo, "QP-01", "修改", date="2026-02-01")
    assert result.code == 1 and "wenkong.lock:" in result.text
    assert snapshot(repo) == before
    # A lock whose date disagrees with the revision history is just as blocking.
    lock.write_text(good.replace("date: 2026-01-05", "date: 2026-01-04"), encoding="utf-8")
    before = snapshot(repo)
    result = release(repo, "QP-01", "修改", date="2026-02-01")
    assert result.code == 1 and "但它于 2026-01-04 发布" in result.text
    assert snapshot(repo) == before


def test_yaml_and_lock_are_replaced_together_or_not_at_all(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert release(repo).code == 0
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 已修改。")
    before = snapshot(repo)
    real_replace = os.replace

    def failing_replace(src: str | Path, dst: str | Path) -> None:
        if str(dst).endswith("wenkong.lock"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(release_module.os, "replace", failing_replace)
    with pytest.raises(OSError):
        release_module.release(repo, "QP-01", summary="修改", approved_by="gm/王强")
    assert snapshot(repo) == before
    leftovers = [p.name for p in repo.rglob(".*") if p.is_file() and p.name != ".gitignore"
                 and ".git" not in p.parts]
    assert leftovers == []


def test_flow_style_approval_stays_flow_style(repo: Path) -> None:
    edit(qp01(repo), "approval:\n  author:\n    name: 待定",
         "approval:\n  author: {name: 张伟, role: quality, date: 2025-12-20}")
    assert release(repo).code == 0
    text = qp01(repo).read_text(encoding="utf-8")
    assert "  author: {name: 张伟, role: quality, date: 2025-12-20}" in text
    assert "  approver: {name: 王强, role: gm, date: 2026-01-05}" in text


def test_obsolete_refused_while_cited_then_cites_become_errors(repo: Path) -> None:
    # QP-02 cites QP-01; both effective.
    init_qp02 = qp01(repo).read_text(encoding="utf-8").replace('"QP-01"', '"QP-02"').replace(
        "在此描述工作程序。", "按【proc:QP-01】执行。").replace("  - form: QR-01-01\n", "").replace(
        "records:\n", "records: []\n")
    (repo / "procedures" / "QP-02.yaml").write_text(init_qp02, encoding="utf-8")
    assert wenkong("validate", str(repo)).code == 0, wenkong("validate", str(repo)).text
    assert release(repo).code == 0
    assert release(repo, "QP-02").code == 0
    commit(repo, "both released")
    before = snapshot(repo)
    result = wenkong("obsolete", "QP-01", "--reason", "合并入QP-02", "--date", "2026-02-01",
                     "--root", str(repo))
    assert result.code == 1
    assert "procedures/QP-02.yaml" in result.text and "QP-01 已作废" in result.text
    assert snapshot(repo) == before
    # Retire QP-02 instead: nothing cites it.
    result = wenkong("obsolete", "QP-02", "--reason", "业务取消", "--date", "2026-02-01",
                     "--root", str(repo))
    assert result.code == 0, result.text
    data = yaml.safe_load((repo / "procedures" / "QP-02.yaml").read_text(encoding="utf-8"))
    assert data["status"] == "obsolete" and data["obsolete_reason"] == "业务取消"
    lock, _ = read_lock(repo)
    assert lock is not None
    entry = lock.documents["QP-02"].obsolete
    assert entry is not None and entry.reason == "业务取消"
    assert wenkong("validate", str(repo)).code == 0
    # An effective document that starts citing the obsolete one is an error (resolve rule).
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 参见【proc:QP-02】。")
    result = wenkong("validate", str(repo))
    assert result.code == 1 and "QP-02 已作废" in result.text


def test_obsolete_without_reason_or_never_released(repo: Path) -> None:
    result = wenkong("obsolete", "QP-01", "--root", str(repo))
    assert result.code == 1 and "--reason" in result.text
    result = wenkong("obsolete", "QP-01", "--reason", "x", "--root", str(repo))
    assert result.code == 1 and "从未发布" in result.text


def test_adopt_records_a_set_released_before_wenkong(repo: Path) -> None:
    text = qp01(repo).read_text(encoding="utf-8")
    text = text.replace('version: "A/0"\nstatus: draft', 'version: "A/1"\nstatus: effective\n'
                        "issue_date: 2024-05-01\neffective_date: 2024-05-10")
    text = text.replace("    name: 待定", "    name: 张伟\n  approver: {name: 王强, role: gm, "
                        "date: 2024-04-28}")
    text = text.replace("purpose:", "revisions:\n  - {version: A/0, date: 2019-03-01, summary: "
                        "首次发行, author: 张伟}\n  - {version: A/1, date: 2024-05-01, summary: "
                        "增加记录, author: 张伟}\npurpose:")
    qp01(repo).write_text(text, encoding="utf-8")
    assert wenkong("validate", str(repo)).code == 0
    commit(repo, "pre-Wenkong set")
    result = wenkong("lock", "--adopt", "--root", str(repo))
    assert result.code == 0 and "已将 1 份文件记入 wenkong.lock" in result.stdout
    head = commit(repo, "lock")
    lock, _ = read_lock(repo)
    assert lock is not None
    versions = lock.documents["QP-01"].versions
    assert [(v.version, v.fingerprint is None) for v in versions] == [("A/0", True),
                                                                        ("A/1", False)]
    # the source of the adopted version: the commit that recorded it in the lock
    from generator.control.history import released_versions

    assert [v.commit for v in released_versions(repo, "QP-01")] == [None, head]
    assert wenkong("validate", str(repo)).code == 0
    # once adopted, a content change is caught, and the next release is A/2
    edit(qp01(repo), "scope: 适用于本公司。", "scope: 适用于全公司。")
    assert wenkong("validate", str(repo)).code == 1
    assert release(repo, "QP-01", "扩大范围", date="2026-02-01").code == 0
    assert yaml.safe_load(qp01(repo).read_text(encoding="utf-8"))["version"] == "A/2"


def test_release_waits_for_nobody_else_but_obsolete_and_review_wait_for_own_edits(
        repo: Path) -> None:
    assert release(repo).code == 0
    assert release(repo, "QR-01-01", "首次发行", "--author", "李娜").code == 0
    commit(repo, "released")
    form = repo / "forms" / "QR-01-01.yaml"
    edit(form, "copies: 本表一式一份", "copies: 本表一式两份")  # someone's pending edit
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 已修改。")
    result = release(repo, "QP-01", "修改", date="2026-02-01")
    assert result.code == 0, result.text
    result = wenkong("validate", str(repo))
    assert result.code == 1
    assert "QR-01-01 A/0 已发布" in result.text and "QP-01" not in result.stderr
    before = snapshot(repo)
    result = wenkong("review", "QR-01-01", "--root", str(repo))
    assert result.code == 1 and "表单随其程序文件一起评审" in result.text
    result = wenkong("obsolete", "QR-01-01", "--reason", "x", "--root", str(repo))
    assert result.code == 1 and "QR-01-01 A/0 已发布" in result.text
    assert snapshot(repo) == before


def test_release_commit_tags_the_release(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.control_support import GIT_ENV, git

    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)
    result = release(repo, "QP-01", "首次发行", "--commit")
    assert result.code == 0, result.text
    assert "标签 QP-01/A-0" in result.stdout
    assert git(repo, "status", "--porcelain").strip() == ""
    head = git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "rev-parse", "QP-01/A-0^{commit}").strip() == head
    assert git(repo, "log", "-1", "--format=%s").strip() == "QP-01 A/0: 首次发行"
    from generator.control.history import released_versions

    assert released_versions(repo, "QP-01")[0].commit == head
    # a tag already taken stops the next release before anything is written
    git(repo, "tag", "QP-01/A-1")
    edit(qp01(repo), "text: 在此描述工作程序。", "text: 已修改。")
    before = snapshot(repo)
    result = release(repo, "QP-01", "修改", "--commit", date="2026-02-01")
    assert result.code == 1 and "标签 QP-01/A-1 已存在" in result.text
    assert snapshot(repo) == before


def test_retired_document_can_come_back_only_through_a_draft(repo: Path) -> None:
    assert release(repo).code == 0
    form_free = qp01(repo)
    edit(form_free, "records:\n  - form: QR-01-01", "records: []")  # nothing cites QP-01 now
    (repo / "forms" / "QR-01-01.yaml").unlink()  # a draft form: simply deleted
    assert wenkong("validate", str(repo)).code == 1  # the records edit is a change of A/0 …
    assert release(repo, "QP-01", "删除表单", date="2026-01-10").code == 0  # … released as A/1
    result = wenkong("obsolete", "QP-01", "--reason", "业务取消", "--date", "2026-02-01",
                     "--root", str(repo))
    assert result.code == 0, result.text
    assert release(repo, "QP-01", "恢复", date="2026-03-01").code == 1  # obsolete: refused
    edit(form_free, "status: obsolete", "status: draft")
    edit(form_free, "text: 在此描述工作程序。", "text: 恢复后的程序。")
    assert wenkong("validate", str(repo)).code == 0  # a draft of a retired document is fine
    result = release(repo, "QP-01", "恢复使用", date="2026-03-01")
    assert result.code == 0, result.text
    data = yaml.safe_load(form_free.read_text(encoding="utf-8"))
    assert data["status"] == "effective" and "obsolete_reason" not in data
    lock, _ = read_lock(repo)
    assert lock is not None and lock.documents["QP-01"].obsolete is None
    assert wenkong("validate", str(repo)).code == 0


def test_two_commands_at_once_are_refused(repo: Path) -> None:
    from generator.control.release import exclusive

    before = snapshot(repo)
    with exclusive(repo):  # another wenkong command holds the folder
        result = release(repo)
    assert result.code == 1 and "另一个 wenkong 命令正在修改" in result.text
    assert snapshot(repo) == before
    assert release(repo).code == 0  # released once the other one has finished
