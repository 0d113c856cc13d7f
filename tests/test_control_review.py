"""Control: periodic review (`wenkong due`, `wenkong review`) and the commands' help."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from generator.control.review import reviews_due
from generator.resolve import load_document_set
from tests.control_support import commit, edit, new_repo, release, snapshot, wenkong


@pytest.fixture
def effective(tmp_path: Path) -> Path:
    """QP-01 effective from 2026-01-05, company review interval 12 months."""
    root = new_repo(tmp_path / "set")
    assert release(root).code == 0
    commit(root, "QP-01 A/0")
    return root


def test_due_lists_overdue_with_days_and_exits_one(effective: Path) -> None:
    result = wenkong("due", "--as-of", "2027-01-15", "--root", str(effective))
    assert result.code == 1
    assert "QP-01" in result.stdout and "逾期 10 天" in result.stdout
    assert "1 项评审逾期：QP-01" in result.stderr
    header = next(line for line in result.stdout.splitlines() if "编号" in line)
    assert [cell.strip() for cell in header.strip("┃ ").split("┃")] == [
        "编号", "状态", "下次评审", "版本", "归口部门", "文件名称"]


def test_due_speaks_english_when_the_locale_is_english(
        effective: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "en_US")
    result = wenkong("due", "--as-of", "2027-01-15", "--root", str(effective))
    assert "overdue 10 days" in result.stdout and "next review" in result.stdout
    assert "1 review(s) overdue: QP-01" in result.stderr


def test_due_soon_is_listed_but_exits_zero(effective: Path) -> None:
    result = wenkong("due", "--as-of", "2026-12-20", "--root", str(effective))
    assert result.code == 0, result.text
    assert "16 天后到期" in result.stdout
    result = wenkong("due", "--as-of", "2026-06-01", "--root", str(effective))
    assert result.code == 0 and "天内没有到期的评审" in result.stdout


def test_per_document_interval_overrides_the_company_default(effective: Path) -> None:
    path = effective / "procedures" / "QP-01.yaml"
    edit(path, "countersign: []", "review_interval_months: 6\ncountersign: []")
    found = reviews_due(load_document_set(effective), dt.date(2026, 7, 10))
    assert [(r.code, r.next_review, r.days, r.state) for r in found] == [
        ("QP-01", dt.date(2026, 7, 5), 5, "overdue")]


def test_recording_a_review_restarts_the_clock(effective: Path) -> None:
    result = wenkong("review", "QP-01", "--date", "2027-01-20", "--root", str(effective))
    assert result.code == 0, result.text
    data = yaml.safe_load((effective / "procedures" / "QP-01.yaml").read_text(encoding="utf-8"))
    assert data["last_review"] == dt.date(2027, 1, 20)
    assert data["version"] == "A/0"  # a review without a change is not a new version
    assert wenkong("validate", str(effective)).code == 0
    result = wenkong("due", "--as-of", "2027-02-01", "--root", str(effective))
    assert result.code == 0 and "天内没有到期的评审" in result.stdout


def test_review_of_a_draft_or_before_effective_date_is_refused(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "set")
    before = snapshot(root)
    result = wenkong("review", "QP-01", "--root", str(root))
    assert result.code == 1 and "只评审生效的文件" in result.text
    assert release(root).code == 0
    before = snapshot(root)
    result = wenkong("review", "QP-01", "--date", "2025-01-01", "--root", str(root))
    assert result.code == 1 and "早于 2026-01-05" in result.text
    assert snapshot(root) == before


@pytest.mark.parametrize("command", ["release", "obsolete", "diff", "due", "review", "lock",
                                     "versions"])
def test_every_control_command_explains_itself(command: str) -> None:
    result = wenkong(command, "--help")
    assert result.code == 0
    assert "用法：" in result.stdout and len(result.stdout.splitlines()) > 5


def test_build_help_mentions_version_rebuilds() -> None:
    assert "QP-01@A/1" in wenkong("build", "--help").stdout


def test_lock_status_without_and_with_a_lock(tmp_path: Path) -> None:
    root = new_repo(tmp_path / "set")
    result = wenkong("lock", "--root", str(root))
    assert result.code == 0 and "还没有 wenkong.lock" in result.stdout
    assert release(root).code == 0
    result = wenkong("lock", "--root", str(root))
    assert result.code == 0 and "wenkong.lock 与 2 份文件一致" in result.stdout


def test_console_command_never_shows_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = new_repo(tmp_path / "set")
    (root / "wenkong.lock").write_text("documents: [\n", encoding="utf-8")
    for args in (["release", "QP-01", "--summary", "x", "--approved-by", "gm/王强"],
                 ["diff", "QP-01"], ["build", str(root), "--version", "QP-01@A/0"],
                 ["obsolete", "QP-01", "--reason", "x"], ["versions"]):
        done = subprocess.run([sys.executable, "-m", "generator", *args, *(
            ["--root", str(root)] if args[0] != "build" else [])], capture_output=True,
            text=True, timeout=120)
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, args
