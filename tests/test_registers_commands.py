"""`wenkong issue`, `recall`, `due`, `gaps` and the authority check of `release`, on a copy of
the sample set; the issued copy checked in LibreOffice page by page."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from generator.render.pdf import pdf_info, pdf_text
from tests.control_support import wenkong
from tests.registers_support import replace_in, sample_copy


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return sample_copy(tmp_path / "sample")


def register(root: Path) -> str:
    return (root / "registers" / "distribution.yaml").read_text(encoding="utf-8")


@pytest.mark.client
@pytest.mark.skipif(shutil.which("soffice") is None, reason="needs LibreOffice")
def test_issue_numbers_copies_and_prints_number_and_holder_on_every_page(sample: Path) -> None:
    before = register(sample)
    result = wenkong("issue", "QP-01", "--to", "production", "--to", "quality", "--date",
                     "2026-11-30", "--by", "林晓雯", "--root", str(sample))
    assert result.code == 0, result.text
    after = register(sample)
    assert after.startswith(before)  # appended; comments and earlier entries kept
    added = after[len(before):]
    assert "number: QP-01-B0-004" in added and "holder: production" in added
    assert "number: QP-01-B0-005" in added and "holder: quality" in added
    pdf = next((sample / "copies").glob("QP-01-B0-005_*.pdf"))
    pages, _, _ = pdf_info(pdf)
    assert pages >= 3
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout",
                               str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "分发编号：QP-01-B0-005" in text, page
        assert "持有部门：品质部" in text and "发放日期：2026-11-30" in text, page
        assert "打印日期" not in text, page  # not the uncontrolled mark
    assert "QP-01-B0-005" in pdf_text(pdf)
    assert wenkong("validate", str(sample)).code == 0


def test_plain_build_is_marked_uncontrolled_with_a_date_field(sample: Path, tmp_path: Path
                                                             ) -> None:
    out = tmp_path / "out"
    assert wenkong("build", str(sample), "--only", "procedures", "-o", str(out)).code == 0
    docx = next((out / "procedures").glob("QP-01_*.docx"))
    with zipfile.ZipFile(docx) as archive:
        parts = "".join(archive.read(n).decode("utf-8") for n in archive.namelist()
                        if n.startswith("word/") and n.endswith(".xml"))
    assert "非受控文件" in parts and "仅供参考" in parts
    assert 'DATE \\@ "yyyy-MM-dd"' in parts
    assert "分发编号：" not in parts  # no copy line: it is not an issued copy
    again = tmp_path / "again"
    assert wenkong("build", str(sample), "--only", "procedures", "-o", str(again)).code == 0
    assert docx.read_bytes() == (again / "procedures" / docx.name).read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["QP-01", "--to", "prodution"], "未知的部门或岗位 'prodution'"),
    (["QP-03", "--to", "warehouse"], "不在 QP-03 的发放范围内"),
    (["QP-17", "--to", "engineering"], "只有生效（effective）的文件"),
    (["QP-99", "--to", "quality"], "未知的程序文件 'QP-99'"),
    (["QP-01", "--to", "quality", "--date", "2025-12-01"], "早于 QP-01 B/0 的发行日期"),
])
def test_issue_refusals_write_nothing(sample: Path, args: list[str], message: str) -> None:
    before = register(sample)
    result = wenkong("issue", *args, "--no-pdf", "--root", str(sample))
    assert result.code == 1 and message in result.stderr, result.text
    assert "Traceback" not in result.text
    assert register(sample) == before
    assert not (sample / "copies").exists()


def test_recall_records_once_and_refuses_unknown_numbers(sample: Path) -> None:
    before = register(sample)
    result = wenkong("recall", "QP-01-B0-099", "--by", "林晓雯", "--root", str(sample))
    assert result.code == 1 and "QP-01-B0-099 从未发放" in result.stderr, result.text
    assert register(sample) == before
    result = wenkong("recall", "QP-11-A0-001", "--by", "林晓雯", "--date", "2018-01-01",
                     "--root", str(sample))
    assert result.code == 1 and "早于 QP-11-A0-001 的发放日期" in result.stderr
    listed = wenkong("recall", "--root", str(sample))
    assert listed.code == 0 and "QP-11-A0-001" in listed.stdout
    assert "QP-01-B0-001" not in listed.stdout  # current version: not to recall
    result = wenkong("recall", "QP-11-A0-001", "--by", "林晓雯", "--date", "2026-11-30",
                     "--destroyed", "--root", str(sample))
    assert result.code == 0, result.text
    text = register(sample)
    entry = text[text.index("number: QP-11-A0-001"):]
    assert "recalled:" in entry and "how: destroyed" in entry and "date: 2026-11-30" in entry
    again = wenkong("recall", "QP-11-A0-001", "--by", "林晓雯", "--root", str(sample))
    assert again.code == 1 and "已于 2026-11-30 由 林晓雯 收回" in again.stderr
    assert "没有需要收回" in wenkong("recall", "--root", str(sample)).stdout


def test_due_reports_copies_and_external_reviews_overdue(sample: Path) -> None:
    result = wenkong("due", "--as-of", "2026-11-30", "--root", str(sample))
    assert result.code == 1
    assert "QP-11-A0-001" in result.stdout and "189 天" in result.stdout
    assert "DH-ES-0031 A" in result.stdout and "5 个工作日" in result.stdout
    # before the review deadline (2026-11-23) and the recall deadline nothing is overdue
    early = wenkong("due", "--as-of", "2026-05-20", "--within", "0", "--root", str(sample))
    assert "DH-ES-0031" not in early.stdout and "QP-11-A0-001" not in early.stdout
    # reviewed: no longer reported
    replace_in(sample / "registers" / "external.yaml", "    holder: engineering\n    note:",
               "    reviewed: {date: 2026-11-27, name: 王磊, role: engineering-manager}\n"
               "    holder: engineering\n    note:")
    result = wenkong("due", "--as-of", "2026-11-30", "--root", str(sample))
    assert "DH-ES-0031" not in result.stdout


def test_gaps_exit_one_on_a_required_clause_and_zero_when_covered(sample: Path) -> None:
    result = wenkong("gaps", "--root", str(sample))
    assert result.code == 1 and "8.5.6.1" in result.stderr, result.text
    assert "更改控制的补充" in result.stdout
    replace_in(sample / "registers" / "clauses.yaml", '"9001:9.1.3"]',
               '"9001:9.1.3", "16949:8.5.6.1"]')
    result = wenkong("gaps", "--root", str(sample))
    assert result.code == 0, result.text
    assert "8.5.6.1" not in result.stdout


def test_release_refuses_an_approver_without_authority(sample: Path) -> None:
    before = (sample / "procedures" / "QP-15.yaml").read_bytes()
    result = wenkong("release", "QP-15", "--summary", "首次发行", "--approved-by",
                     "quality-manager/吴海燕", "--date", "2026-11-30", "--root", str(sample))
    assert result.code == 1, result.text
    assert "无权批准程序文件 QP-15" in result.stderr
    assert "approval_rules[1]（程序文件）" in result.stderr
    assert (sample / "procedures" / "QP-15.yaml").read_bytes() == before


def test_site_shows_registers_copies_and_signatures(tmp_path: Path) -> None:
    from tests.conftest import REPO

    out = tmp_path / "out"
    assert wenkong("build", str(REPO), "--only", "site", "-o", str(out)).code == 0
    site = out / "site"
    register_page = (site / "registers" / "distribution.html").read_text(encoding="utf-8")
    assert "QP-11-A0-001" in register_page and "应收回" in register_page
    assert "已销毁" in register_page
    clauses = (site / "registers" / "clauses.html").read_text(encoding="utf-8")
    gaps = clauses[:clauses.index("7.5.3.2.2")]
    assert "8.5.6.1" in gaps
    external = (site / "registers" / "external.html").read_text(encoding="utf-8")
    assert "已被替代" in external and "待评审" in external
    qp01 = (site / "procedures" / "QP-01.html").read_text(encoding="utf-8")
    assert "QP-01-B0-003" in qp01 and "16949:7.5.3.2.2" in qp01
    for meaning in ("编写", "审核", "批准", "会签"):
        assert f"<td>{meaning}</td>" in qp01, meaning


def test_a_release_lists_the_old_copies_to_recall(sample: Path) -> None:
    path = sample / "procedures" / "QP-01.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("purpose:")
    path.write_text(text[:start] + "purpose: 规定文件从编写到作废的全过程控制。\n"
                    + text[text.index("\nscope:", start) + 1:], encoding="utf-8")
    result = wenkong("release", "QP-01", "--summary", "目的改写", "--approved-by", "gm/陈立峰",
                     "--date", "2026-12-01", "--root", str(sample))
    assert result.code == 0, result.text
    assert "请收回旧版受控副本（2026-12-08 前）" in result.stdout
    for number in ("QP-01-B0-001（品质部）", "QP-01-B0-002（生产部）", "QP-01-B0-003（PMC部）"):
        assert number in result.stdout
    assert "QP-01-A2-001" not in result.stdout  # recalled long ago
    late = wenkong("due", "--as-of", "2026-12-09", "--root", str(sample))
    assert late.code == 1 and "QP-01-B0-003" in late.stdout
