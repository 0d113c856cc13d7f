"""Control: `wenkong validate` keeps released versions immutable and histories consistent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.control.content import fingerprint, normalize_text
from generator.control.lock import version_gaps
from generator.model import Revision
from generator.model.settings import VersionScheme
from generator.resolve import load_document_set
from tests.control_support import commit, edit, new_repo, release, wenkong

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
    text: >-
      新文件实施前，主责部门组织相关人员学习，
      并保存培训记录。
"""


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """QP-01 released as A/0 with a few clauses, committed."""
    root = new_repo(tmp_path / "set")
    path = root / "procedures" / "QP-01.yaml"
    edit(path, "procedure:\n  - title: 工作要求\n    text: 在此描述工作程序。\n", CLAUSES)
    assert release(root).code == 0
    commit(root, "QP-01 A/0")
    return root


def qp01(root: Path) -> Path:
    return root / "procedures" / "QP-01.yaml"


def test_changed_clause_of_released_version_fails_validate_with_file_line(released: Path) -> None:
    edit(qp01(released), "纸质记录按月装订。", "纸质记录按季度装订。")
    result = wenkong("validate", str(released))
    assert result.code == 1
    line_no = qp01(released).read_text(encoding="utf-8").splitlines().index(
        "      - 纸质记录按季度装订。") + 1
    message = next(line for line in result.stderr.splitlines() if "QP-01 A/0" in line)
    assert message.startswith(f"procedures/QP-01.yaml:{line_no}:")
    assert "修改 5.2.2" in message
    assert "wenkong release QP-01" in message


def test_added_and_removed_clauses_are_named(released: Path) -> None:
    edit(qp01(released), "      - 电子记录每月备份一次。\n", "")
    edit(qp01(released), "      - 纸质记录按月装订。\n",
         "      - 纸质记录按月装订。\n      - 记录销毁须经批准。\n      - 销毁后登记。\n")
    message = wenkong("validate", str(released)).stderr
    assert re.search(r"新增 5\.2\.\d", message), message
    assert "修改" in message or "删除（旧编号）" in message


def test_whitespace_only_edits_do_not_count(released: Path) -> None:
    # Re-wrap a folded paragraph and add spaces: the printed text is the same.
    edit(qp01(released), "      新文件实施前，主责部门组织相关人员学习，\n      并保存培训记录。",
         "      新文件实施前，主责部门组织相关人员学习，并保存培训记录。")
    edit(qp01(released), "text: 记录由文控中心保存三年。", "text:   记录由文控中心保存三年。  ")
    result = wenkong("validate", str(released))
    assert result.code == 0, result.text


def test_control_fields_are_not_content(released: Path) -> None:
    # A periodic review date is not a change of the approved text.
    edit(qp01(released), "countersign: []", "last_review: 2026-06-01\ncountersign: []")
    assert wenkong("validate", str(released)).code == 0


def test_normalize_text_drops_folding_spaces_only() -> None:
    assert normalize_text("学习， 并保存") == normalize_text("学习，并保存")
    assert normalize_text("GB/T  19001 standard") == "GB/T 19001 standard"
    assert normalize_text("每年") != normalize_text("每半年")


def test_fingerprint_changes_with_one_character(released: Path) -> None:
    docset = load_document_set(released)
    before = fingerprint(docset.procedures["QP-01"].model)
    edit(qp01(released), "保存三年", "保存五年")
    after = fingerprint(load_document_set(released, check_lock=False).procedures["QP-01"].model)
    assert before != after


def test_release_clears_the_error_and_names_the_clauses(released: Path) -> None:
    edit(qp01(released), "纸质记录按月装订。", "纸质记录按季度装订。")
    assert release(released, "QP-01", "装订周期改为按季度", date="2026-02-01").code == 0
    assert wenkong("validate", str(released)).code == 0
    text = qp01(released).read_text(encoding="utf-8")
    assert "clauses: 5.2.2" in text


@pytest.mark.parametrize(("labels", "gaps"), [
    (["A/0", "A/1", "A/2"], []),
    (["A/0", "A/2"], [1]),
    (["A/0", "A/1", "B/0", "B/1"], []),
    (["A/0", "A/3", "C/0"], [1, 2]),
    (["A/2", "B/1"], [1]),
])
def test_version_gaps(labels: list[str], gaps: list[int]) -> None:
    revisions = [Revision(version=v, date="2026-01-01", summary="x", author="x")  # type: ignore[arg-type]
                 for v in labels]
    assert [i for i, _ in version_gaps(revisions, VersionScheme.letter_revision)] == gaps


def test_gap_in_revision_history_is_an_error(released: Path) -> None:
    edit(qp01(released), "  - version: A/0", "  - version: A/0\n    date: 2025-01-01\n"
         "    summary: 首次发行\n    author: 张伟\n  - version: A/2")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert "跳过了 A/0 之后的版本" in result.text


def test_history_must_match_the_lock(released: Path) -> None:
    edit(qp01(released), "    date: 2026-01-05\n    clauses: 全文",
         "    date: 2026-01-06\n    clauses: 全文")
    result = wenkong("validate", str(released))
    assert result.code == 1 and "但它于 2026-01-05 发布（wenkong.lock）" in result.text


def test_version_bumped_by_hand_is_an_error(released: Path) -> None:
    edit(qp01(released), 'version: "A/0"', 'version: "A/1"')
    result = wenkong("validate", str(released))
    assert result.code == 1 and "从未发布" in result.text


def test_effective_document_unknown_to_the_lock_is_an_error(released: Path) -> None:
    form = released / "forms" / "QR-01-01.yaml"
    edit(form, "status: draft", "status: effective")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert "QR-01-01 的状态是 effective，但 wenkong.lock 中没有它的发布记录" in result.text


def test_deleting_a_released_document_is_an_error(released: Path) -> None:
    assert release(released, "QR-01-01", "首次发行", "--author", "李娜").code == 0
    (released / "forms" / "QR-01-01.yaml").unlink()
    edit(qp01(released), "records:\n  - form: QR-01-01", "records: []")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert re.search(r"wenkong\.lock:\d+:\d+: documents\.QR-01-01: QR-01-01 有已发布的版本，"
                     r"但其源文件 forms/QR-01-01\.yaml 不见了", result.text), \
        result.text


def test_broken_lock_is_reported_with_its_line(released: Path) -> None:
    lock = released / "wenkong.lock"
    lock.write_text(lock.read_text(encoding="utf-8").replace("kind: procedure",
                                                             "kind: procedure\n    colour: red"),
                    encoding="utf-8")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert re.search(r"wenkong\.lock:\d+:\d+: documents\.QP-01\.colour: 未知字段",
                     result.text), result.text


def test_draft_of_a_released_document_may_differ(released: Path) -> None:
    edit(qp01(released), "status: effective", "status: draft")
    edit(qp01(released), "纸质记录按月装订。", "纸质记录按季度装订。")
    assert wenkong("validate", str(released)).code == 0


def test_changed_form_names_its_section(released: Path) -> None:
    assert release(released, "QR-01-01", "首次发行", "--author", "李娜").code == 0
    form = released / "forms" / "QR-01-01.yaml"
    edit(form, "label: 事项", "label: 更改事项")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert "QR-01-01 A/0 已发布" in result.text and "修改 第1栏" in result.text
    assert "forms/QR-01-01.yaml:" in result.text


def test_signatures_and_history_rows_of_a_release_do_not_change(released: Path) -> None:
    edit(qp01(released), "    name: 王强\n    role: gm", "    name: 王小强\n    role: gm")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert "QP-01 A/0 的批准人是 王强（wenkong.lock），不是 王小强" in result.text
    edit(qp01(released), "    name: 王小强\n    role: gm", "    name: 王强\n    role: gm")
    edit(qp01(released), "    summary: 首次发行", "    summary: 第一次发行")
    result = wenkong("validate", str(released))
    assert result.code == 1
    assert "的 summary 是 '第一次发行'，但发布时记录的是 '首次发行'" in result.text


def test_a_field_added_later_leaves_the_fingerprint_alone_while_at_its_default() -> None:
    from pydantic import BaseModel

    from generator.control.content import _drop_added_defaults
    from generator.model.common import added_field

    class Old(BaseModel):
        title: str
        items: list[str] = []

    class Grown(BaseModel):
        title: str
        items: list[str] = []
        layout: str | None = added_field(None)
        labels: list[str] = added_field(default_factory=list)

    old, grown = Old(title="a"), Grown(title="a")
    assert _drop_added_defaults(grown, grown.model_dump(mode="json")) == old.model_dump(
        mode="json")
    changed = Grown(title="a", layout="x")
    assert _drop_added_defaults(changed, changed.model_dump(mode="json"))["layout"] == "x"
    nested = [Grown(title="b", labels=["A"])]
    assert _drop_added_defaults(nested, [n.model_dump(mode="json") for n in nested]) == [
        {"title": "b", "items": [], "labels": ["A"]}]
