"""Registers (发放回收登记表, 外来文件清单, 条款对照表) and approval authority: the rules of
`validate`, each with the file:line a user fixes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.control.registers import (
    Registers,
    add_working_days,
    copy_number,
    working_days_between,
)
from generator.model.registers import WorkingCalendar
from generator.resolve import load_document_set
from tests.conftest import REPO, errors, problems
from tests.registers_support import line_of, replace_in, sample_copy


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return sample_copy(tmp_path / "sample")


def only_error(root: Path, path: Path, needle: str) -> str:
    """The single error of the set, which must point at the line holding `needle`."""
    found = errors(root)
    assert len(found) == 1, found
    where = f"{path.relative_to(root).as_posix()}:{line_of(path, needle)}:"
    assert found[0].startswith(where), (found[0], where)
    return found[0]


def registers_of(root: Path) -> Registers:
    found = load_document_set(root).registers
    assert found is not None
    return found


# --- the sample set uses all four --------------------------------------------------------


def test_sample_registers_are_used_and_clean() -> None:
    docset = load_document_set(REPO)
    assert [str(w) for w in docset.warnings] == []
    registers = docset.registers
    assert registers is not None
    states = {c.number: c.state for c in registers.copies}
    assert states["QP-01-A2-001"] == "recalled"  # recalled after B/0 was released
    assert states["QP-01-B0-003"] == "in_use"
    assert states["QP-11-A0-001"] == "to_recall"
    old = next(e for e in registers.external if e.model.id == "gb-t-19011-2013")
    assert old.superseded_by == "gb-t-19011-2021" and not old.current
    current = next(e for e in registers.external if e.model.id == "gb-t-19011-2021")
    assert current.cited_by == ("QP-04",)
    # every procedure maps to clauses, and the approval rules are in force
    assert set(registers.clauses_by_procedure) == set(docset.procedures)
    assert docset.settings.approval_rules


# --- distribution register ---------------------------------------------------------------


def test_unknown_holder_is_an_error_at_its_line(sample: Path) -> None:
    path = sample / "registers" / "distribution.yaml"
    replace_in(path, "holder: pmc", "holder: pmcc")
    error = only_error(sample, path, "holder: pmcc")
    assert "copies[4].holder" in error and "'pmcc'" in error


def test_copy_of_an_unreleased_version_or_before_release_is_refused(sample: Path) -> None:
    path = sample / "registers" / "distribution.yaml"
    replace_in(path, "number: QP-01-B0-003\n    document: QP-01\n    version: B/0",
               "number: QP-01-B0-003\n    document: QP-01\n    version: B/1")
    replace_in(path, "holder: inspector\n    issued: 2026-03-03",
               "holder: inspector\n    issued: 2026-03-01")
    found = errors(sample)
    assert any("copies[4].version" in e and "B/1" in e for e in found), found
    assert any("copies[6].issued" in e and "2026-03-02" in e for e in found), found


def test_duplicate_number_and_recall_before_issue(sample: Path) -> None:
    path = sample / "registers" / "distribution.yaml"
    replace_in(path, "number: QP-01-B0-003", "number: QP-01-B0-002")
    replace_in(path, "      date: 2026-01-08", "      date: 2021-01-08")
    found = errors(sample)
    assert any("copies[4].number" in e and "QP-01-B0-002" in e for e in found), found
    assert any("copies[0].recalled.date" in e for e in found), found


def test_holder_outside_the_distribution_list_is_a_warning(sample: Path) -> None:
    path = sample / "registers" / "distribution.yaml"
    replace_in(path, "holder: production\n    issued: 2026-03-03",
               "holder: finance\n    issued: 2026-03-03")
    found = problems(sample)
    assert len(found) == 1 and found[0].severity == "warning", found
    assert "财务部" in str(found[0]), found


def test_copy_numbers_read_like_the_paper_ones() -> None:
    assert copy_number("QP-01", "B/0", 3) == "QP-01-B0-003"
    assert copy_number("QP-01", "V1.2", 12) == "QP-01-V12-012"


# --- external documents --------------------------------------------------------------


def test_reviewed_before_received_is_an_error(sample: Path) -> None:
    path = sample / "registers" / "external.yaml"
    replace_in(path, "reviewed: {date: 2026-06-10", "reviewed: {date: 2026-05-10")
    error = only_error(sample, path, "reviewed: {date: 2026-05-10")
    assert "早于接收日期 2026-06-01" in error


def test_implemented_without_review_and_unknown_supersedes(sample: Path) -> None:
    path = sample / "registers" / "external.yaml"
    replace_in(path, "    note: 技术部尚未组织评审",
               "    implemented: 2026-11-20\n    note: 技术部尚未组织评审")
    replace_in(path, "supersedes: dwg-dh-3305-b", "supersedes: dwg-dh-3305-a")
    found = errors(sample)
    assert any("implemented" in e and "尚未评审" in e for e in found), found
    assert any("supersedes" in e and "dwg-dh-3305-a" in e for e in found), found


def test_procedure_citing_an_unregistered_or_superseded_outside_document(sample: Path) -> None:
    path = sample / "registers" / "external.yaml"
    # a newer edition arrives: QP-04 still cites the one it replaces
    replace_in(path, "  - id: gb-t-19022-2003", """  - id: gb-t-19011-2099
    number: GB/T 19011-2099
    title: 管理体系审核指南
    kind: standard
    source: 国家标准化管理委员会
    received: 2026-11-02
    supersedes: gb-t-19011-2021
  - id: gb-t-19022-2003""")
    # AIAG MSA-4 (cited by QP-08) is no longer registered
    replace_in(path, "  - id: aiag-msa-4\n", "  - id: aiag-msa-x\n")
    replace_in(path, "number: AIAG MSA-4", "number: AIAG MSA-X")
    found = errors(sample)
    assert len(found) == 2, found
    qp04 = sample / "procedures" / "QP-04.yaml"
    superseded = next(e for e in found if "QP-04" in e)
    assert superseded.startswith(f"procedures/QP-04.yaml:{line_of(qp04, 'GB/T 19011-2021')}:")
    assert "related[" in superseded and "已被 GB/T 19011-2099" in superseded
    unknown = next(e for e in found if "QP-08" in e)
    assert "AIAG MSA-4" in unknown and "未登记" in unknown


def test_working_days_skip_weekends_and_holidays_and_count_makeup_days() -> None:
    calendar = WorkingCalendar(holidays=[dt.date(2026, 10, d) for d in (1, 2, 5, 6, 7)],
                               workdays=[dt.date(2026, 10, 10)])
    # received Monday 2026-09-28: 29, 30, (holidays to 10-07), 10-08, 10-09, Sat 10-10 worked
    assert add_working_days(dt.date(2026, 9, 28), 3, calendar) == dt.date(2026, 10, 8)
    assert add_working_days(dt.date(2026, 9, 28), 5, calendar) == dt.date(2026, 10, 10)
    assert add_working_days(dt.date(2026, 9, 28), 10, calendar) == dt.date(2026, 10, 16)
    assert working_days_between(dt.date(2026, 9, 28), dt.date(2026, 10, 16), calendar) == 10


def test_review_deadline_counts_the_set_s_holidays() -> None:
    registers = registers_of(REPO)
    spec = next(e for e in registers.external if e.model.id == "cs-dh-0031-a")
    # received Monday 2026-11-09: ten working days later, no holidays in between
    assert spec.review_due == dt.date(2026, 11, 23)
    drawing = next(e for e in registers.external if e.model.id == "dwg-dh-3305-c")
    assert drawing.review_due == dt.date(2026, 4, 21)  # 04-06 清明 is a holiday
    standard = next(e for e in registers.external if e.model.id == "gb-t-19001-2016")
    assert standard.review_due is None  # the 10-day rule is for customer documents


# --- clause matrix -----------------------------------------------------------------------


def test_unknown_clause_ids_are_errors_with_close_numbers(sample: Path) -> None:
    path = sample / "registers" / "clauses.yaml"
    replace_in(path, '"16949:7.5.3.2.2"]', '"16949:7.5.3.2.9"]')
    replace_in(path, '"csr:dh-packaging"]', '"csr:dh-paint"]')
    replace_in(path, "standards: [iso9001, iatf16949]", "standards: [iso9001, iatf16949, vda63]")
    found = errors(sample)
    assert any("procedures.QP-01[3]" in e and "7.5.3.2.9" in e and "7.5.3.2.1" in e
               for e in found), found
    assert any("procedures.QP-09[3]" in e and "dh-paint" in e for e in found), found
    assert any("standards[2]" in e and "vda63" in e for e in found), found
    line = line_of(path, "7.5.3.2.9")
    assert any(e.startswith(f"registers/clauses.yaml:{line}:") for e in found), found


def test_gaps_count_only_effective_procedures_and_exclusions(sample: Path) -> None:
    registers = registers_of(sample)
    gap_ids = [c.id for c in registers.gaps]
    required = [c.id for c in registers.gaps if c.required]
    # 8.5.6.1 is addressed only by QP-17, still a draft
    assert required == ["16949:8.5.6.1"]
    assert "9001:8.3" not in gap_ids  # excluded with a reason
    assert "9001:7.5.3" not in gap_ids
    clause = next(c for c in registers.clauses if c.id == "16949:8.5.6.1")
    assert clause.drafts == ("QP-17",) and clause.documents == ()


def test_effective_procedure_without_clauses_is_a_warning(sample: Path) -> None:
    path = sample / "registers" / "clauses.yaml"
    replace_in(path, '  QP-12: ["9001:9.1.2", "16949:9.1.2.1"]\n', "")
    found = problems(sample)
    assert len(found) == 1 and found[0].severity == "warning", found
    assert "QP-12" in str(found[0]), found


# --- approval authority --------------------------------------------------------------


def test_approver_without_authority_names_the_rule(sample: Path) -> None:
    # QP-15 is in review (not yet locked): its approver-to-be is checked as well
    path = sample / "procedures" / "QP-15.yaml"
    replace_in(path, "approver: {name: 陈立峰, role: gm", "approver: {name: 周文斌, role: mgmt-rep")
    error = only_error(sample, path, "approver: {name: 周文斌")
    assert "approval.approver.role" in error and "无权批准程序文件 QP-15" in error
    assert "approval_rules[1]（程序文件）" in error and "总经理" in error


def test_owner_token_allows_positions_under_the_owner(sample: Path) -> None:
    # QP-08 (owner quality) is written by 计量室 (parent quality): `owner` allows it
    assert errors(sample) == []
    path = sample / "procedures" / "QP-15.yaml"  # owner service
    replace_in(path, "author: {name: ", "author: {name: 张三, role: sales} #")
    found = errors(sample)
    assert len(found) == 1 and "无权编写程序文件 QP-15" in found[0], found
    assert "主责部门（客服部）及其岗位" in found[0]


def test_without_rules_anyone_may_sign(sample: Path) -> None:
    settings = sample / "wenkong.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text[:text.index("approval_rules:")], encoding="utf-8")
    path = sample / "procedures" / "QP-15.yaml"
    replace_in(path, "approver: {name: 陈立峰, role: gm", "approver: {name: 周文斌, role: sales")
    assert errors(sample) == []
