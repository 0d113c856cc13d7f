"""The wenkong command as a clerk runs it: exit codes, messages, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.model import Procedure
from generator.schema import KINDS, schema_text
from tests.conftest import REPO


def wenkong(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_validate_clean_set_exits_zero(docset_dir: Path) -> None:
    result = wenkong("validate", str(docset_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("通过：1 个程序文件、1 个表单、4 个部门/岗位")


def test_validate_speaks_english_when_the_locale_is_english(docset_dir: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "generator", "validate", str(docset_dir)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "LANGUAGE": "en"})
    assert result.stdout.startswith("OK: 1 procedures, 1 forms, 4 roles"), result.stdout


def test_validate_reports_every_problem_and_exits_one(docset_dir: Path) -> None:
    qp01 = docset_dir / "procedures" / "QP-01.yaml"
    text = qp01.read_text(encoding="utf-8")
    qp01.write_text(text.replace("purpose:", "purpos:").replace("scope: 适用于本公司。",
                                                                "scope: 适用于本公司。\nscope: x"),
                    encoding="utf-8")
    result = wenkong("validate", str(docset_dir))
    assert result.returncode == 1
    assert "procedures/QP-01.yaml:15:1: scope: 重复的键 'scope'" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_reports_model_errors_with_lines(docset_dir: Path) -> None:
    qp01 = docset_dir / "procedures" / "QP-01.yaml"
    qp01.write_text(qp01.read_text(encoding="utf-8").replace("purpose:", "purpos:"),
                    encoding="utf-8")
    result = wenkong("validate", str(docset_dir))
    assert result.returncode == 1
    assert ("procedures/QP-01.yaml:13:1: purpos: 未知字段 'purpos'；是不是 "
            "'purpose'？") in result.stderr
    assert "1 个错误，1 个警告" in result.stderr


def test_not_a_document_set(tmp_path: Path) -> None:
    result = wenkong("validate", str(tmp_path))
    assert result.returncode == 1
    assert "不是 Wenkong 文件集" in result.stderr and "Traceback" not in result.stderr


def test_help_is_plain_words() -> None:
    result = wenkong("--help")
    assert result.returncode == 0
    for command in ("validate", "build", "init", "new", "schema"):
        assert command in result.stdout
    assert "检查文件集中的每个文件" in wenkong("validate", "--help").stdout


def test_init_refuses_a_non_empty_folder(docset_dir: Path) -> None:
    result = wenkong("init", str(docset_dir))
    assert result.returncode == 1 and "不是空文件夹" in result.stderr


def test_new_procedure_and_form_take_the_next_free_code(docset_dir: Path) -> None:
    assert wenkong("new", "procedure", "--root", str(docset_dir)).returncode == 0
    assert (docset_dir / "procedures" / "QP-02.yaml").is_file()
    result = wenkong("new", "form", "--root", str(docset_dir), "--procedure", "QP-02", "",
                     "入库单")
    assert result.returncode == 0, result.stderr
    assert (docset_dir / "forms" / "QR-02-01.yaml").is_file()
    # the new form is listed in its procedure's records, so the set stays valid
    assert wenkong("validate", str(docset_dir)).returncode == 0
    again = wenkong("new", "procedure", "QP-02", "重复", "--root", str(docset_dir))
    assert again.returncode == 1 and "已存在" in again.stderr


def test_new_refuses_unsafe_codes(docset_dir: Path) -> None:
    result = wenkong("new", "procedure", "../evil", "x", "--root", str(docset_dir))
    assert result.returncode == 1 and "not a usable document code" in result.stderr
    assert not (docset_dir / "evil.yaml").exists()


def test_new_form_keeps_comments_of_the_procedure(docset_dir: Path) -> None:
    qp01 = docset_dir / "procedures" / "QP-01.yaml"
    before = qp01.read_text(encoding="utf-8")
    assert wenkong("new", "form", "--root", str(docset_dir), "--procedure", "QP-01").returncode == 0
    after = qp01.read_text(encoding="utf-8")
    assert before.splitlines()[:2] == after.splitlines()[:2]  # modeline and comment kept
    assert "- form: QR-01-02" in after


def test_committed_schemas_match_the_models() -> None:
    for kind, model in KINDS.items():
        committed = (REPO / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_text(model), f"run `wenkong schema` ({kind} is stale)"


def test_schema_describes_unknown_fields_as_errors() -> None:
    schema = json.loads(schema_text(Procedure))
    assert schema["additionalProperties"] is False
    assert "owner" in schema["required"]


@pytest.mark.parametrize("name", ["wenkong.yaml", "roles.yaml"])
def test_sample_files_carry_the_editor_modeline(name: str) -> None:
    first = (REPO / name).read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=schemas/")


def test_problem_lines_print_verbatim(docset_dir: Path) -> None:
    """Line:column pairs such as :100: must not turn into emoji, [brackets] not into markup."""
    qp01 = docset_dir / "procedures" / "QP-01.yaml"
    text = qp01.read_text(encoding="utf-8")
    padding = 99 - len(text.splitlines())
    qp01.write_text(text + "\n" * padding + "tada: 1\n", encoding="utf-8")
    result = wenkong("validate", str(docset_dir))
    assert "procedures/QP-01.yaml:100:1: tada: 未知字段 'tada'" in result.stderr
