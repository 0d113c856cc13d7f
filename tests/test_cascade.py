"""One broken file, one cause: its own error is printed first, references to it are not
reported as unknown, and one line says what was not checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import Severity
from tests.conftest import REPO, problems
from tests.test_resolve import qp02, replace, rich_set  # noqa: F401 (fixture)


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    root = tmp_path / "sample"
    root.mkdir()
    for name in ("wenkong.yaml", "roles.yaml", "wenkong.lock", "mkdocs.yml"):
        shutil.copy2(REPO / name, root / name)
    for folder in ("procedures", "forms", "templates", "registers"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, root / folder)
    return root


def validate(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "validate", str(root)],
                          capture_output=True, text=True, timeout=300)


def test_a_syntax_error_is_the_first_and_only_error(sample_copy: Path) -> None:
    path = sample_copy / "procedures" / "QP-10.yaml"
    text = path.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    path.write_text(text.replace(title, title.replace("title: ", "title: [")), encoding="utf-8")
    result = validate(sample_copy)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("procedures/QP-10.yaml:") and "YAML 语法错误" in lines[0]
    assert lines[1].startswith("procedures/QP-10.yaml:1:1: 警告: 本文件未能读入")
    assert "处引用" in lines[1] and "forms/QR-10-01.yaml" in lines[1]
    assert "unknown" not in result.stderr and "未知" not in result.stderr
    assert len(lines) == 3, lines  # cause, what was not checked, the count


def test_an_invalid_form_hides_no_cause_and_adds_no_unknowns(
    rich_set: Path,  # noqa: F811
) -> None:
    replace(rich_set / "forms" / "QR-02-01.yaml", "title: 记录清单", "titl: 记录清单")
    found = problems(rich_set)
    errors = [p for p in found if p.severity is Severity.error]
    assert [(p.file, p.field) for p in errors] == [("forms/QR-02-01.yaml", "titl")]
    [note] = [p for p in found if p.severity is Severity.warning and "未能读入" in p.message]
    assert note.file == "forms/QR-02-01.yaml"
    assert "3 处引用" in note.message and "procedures/QP-02.yaml" in note.message


def test_the_code_of_an_unreadable_file_is_found_even_when_misnamed(
    rich_set: Path,  # noqa: F811
) -> None:
    path = qp02(rich_set)
    text = path.read_text(encoding="utf-8").replace("scope: 适用于全部质量记录。",
                                                    "scope: [适用于全部质量记录。")
    path.unlink()
    (path.parent / "records-procedure.yaml").write_text(text, encoding="utf-8")
    found = problems(rich_set)
    errors = [str(p) for p in found if p.severity is Severity.error]
    assert len(errors) == 1 and "YAML 语法错误" in errors[0], errors
    assert any("未能读入" in p.message for p in found)


def test_causes_come_first_whatever_the_file_order(rich_set: Path) -> None:  # noqa: F811
    # an ordinary error in a file sorted before the broken one
    replace(rich_set / "procedures" / "QP-01.yaml", 'owner: "doc-control"', "owner: qa")
    replace(rich_set / "forms" / "QR-02-01.yaml", "code: QR-02-01", "code: [QR-02-01")
    from generator.errors import SourceErrors
    from generator.resolve import load_document_set

    with pytest.raises(SourceErrors) as caught:
        load_document_set(rich_set)
    files = [(p.file, p.severity) for p in caught.value.problems]
    assert files[0] == ("forms/QR-02-01.yaml", Severity.error)
    assert files[1] == ("forms/QR-02-01.yaml", Severity.warning)
    assert ("procedures/QP-01.yaml", Severity.error) in files[2:]


def test_an_unreadable_roles_file_is_one_error_not_hundreds(sample_copy: Path) -> None:
    roles = sample_copy / "roles.yaml"
    text = roles.read_text(encoding="utf-8")
    roles.write_text(text.replace("name: ", "name: [", 1), encoding="utf-8")
    result = validate(sample_copy)
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert lines[0].startswith("roles.yaml:") and "YAML 语法错误" in lines[0]
    assert lines[1].startswith("roles.yaml:1:1: 警告: 部门与岗位文件未能读入")
    assert len(lines) == 3, lines
