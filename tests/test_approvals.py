"""Approvals (编写 / 审核 / 批准): a document in force carries real names and dates.

An effective document, or an obsolete one that was in force, is rejected when its approver or
reviewer is a placeholder (待定, XXX, TBD, ——, …) or has no date, with file:line:field; a draft
or a document under review may carry placeholders, reported as warnings.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from process_support import FIXTURE, copy_fixture, edit

from generator.resolve import is_placeholder, load_document_set
from tests.conftest import errors, problems

REVIEWER = "  reviewer: {name: 邵国平, role: mr, date: 2025-05-26}"
APPROVER = "  approver: {name: 傅建业, role: gm, date: 2025-05-28}"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


@pytest.mark.parametrize("name", ["待定", "XXX", "TBD", "——", "？？", "N/A", "x x x"])
def test_effective_document_with_placeholder_approver_is_rejected(root: Path, name: str) -> None:
    edit(root, APPROVER, APPROVER.replace("傅建业", f'"{name}"'))
    assert errors(root) == [
        f"procedures/COP-02.yaml:14:14: approval.approver.name: 批准人姓名“{name}”是占位内容："
        "生效或作废的文件须写明实际签署人的姓名"]


def test_effective_document_without_approval_dates_is_rejected(root: Path) -> None:
    edit(root, APPROVER, "  approver: {name: 傅建业, role: gm}")
    edit(root, REVIEWER, "  reviewer: {name: XXX, role: mr}")
    assert sorted(errors(root)) == [
        "procedures/COP-02.yaml:13:14: approval.reviewer.name: 审核人姓名“XXX”是占位内容："
        "生效或作废的文件须写明实际签署人的姓名",
        "procedures/COP-02.yaml:13:3: approval.reviewer: "
        "生效或作废的文件须写明审核人签署日期（date）",
        "procedures/COP-02.yaml:14:3: approval.approver: "
        "生效或作废的文件须写明批准人签署日期（date）",
    ]


def test_obsolete_document_is_held_to_the_same_rule(root: Path) -> None:
    edit(root, "status: effective", "status: obsolete\nobsolete_reason: 并入新程序")
    edit(root, APPROVER, "  approver: {name: 待定, role: gm, date: 2025-05-28}")
    assert [e.split(": ")[1] for e in errors(root)] == ["approval.approver.name"]


def test_draft_may_lack_them_with_a_warning(root: Path) -> None:
    edit(root, "status: effective\nissue_date: 2025-06-01\neffective_date: 2025-06-10\n",
         "status: draft\n")
    edit(root, "revisions:\n  - {version: A/0, date: 2025-06-01, summary: 首次发行, "
         "author: 梁文静}\n", "")
    edit(root, REVIEWER, "  reviewer: {name: 待定}")
    edit(root, APPROVER, "  approver: {name: TBD}")
    found = problems(root)
    assert [(p.severity, p.field) for p in found] == [
        ("warning", "approval.reviewer.name"), ("warning", "approval.approver.name")]
    assert "文件生效前须改为实际签署人的姓名" in found[0].message
    # without any approver at all, a draft is fine as it is
    edit(root, "  approver: {name: TBD}\n", "")
    assert [p.field for p in problems(root)] == ["approval.reviewer.name"]


def test_real_names_are_not_placeholders() -> None:
    for name in ("张伟", "Xu Ming", "Tom", "欧阳娜娜", "王 强"):
        assert not is_placeholder(name), name
    for name in ("待定", "xxx", "XXX", "TBD", "tbd", "——", "—", "-", "？", "待填", "某某", "N/A"):
        assert is_placeholder(name), name


def test_sample_and_fixture_sets_still_validate_clean() -> None:
    assert load_document_set(FIXTURE).warnings == []
