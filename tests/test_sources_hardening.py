"""Sources that would break an output or a Windows share are refused at validate, with
file:line:field, before anything is rendered."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import errors
from tests.test_resolve import qp02, replace, rich_set  # noqa: F401 (fixture)


@pytest.mark.parametrize(("escape", "shown"), [("\\0", "U+0000"), ("\\x01", "U+0001"),
                                               ("\\uFFFE", "U+FFFE"), ("\\x1b", "U+001B")])
def test_xml_illegal_characters_are_refused_with_file_line_field(
    rich_set: Path, escape: str, shown: str,  # noqa: F811
) -> None:
    replace(qp02(rich_set), "title: 记录控制程序", f'title: "记录{escape}控制程序"')
    found = errors(rich_set)
    assert any(line.startswith(f"procedures/QP-02.yaml:2:8: title: 第 3 个字符是 {shown}")
               for line in found), found


def test_an_illegal_character_deep_in_a_clause_is_found_there(
    rich_set: Path,  # noqa: F811
) -> None:
    replace(qp02(rich_set), "- 保存期见下表。", '- "保存期见\\x08下表。"')
    found = errors(rich_set)
    assert any(line.startswith("procedures/QP-02.yaml:38:9: procedure[1].clauses[0]: ")
               and "U+0008" in line for line in found), found


def test_tabs_and_line_breaks_in_quotes_are_fine(rich_set: Path) -> None:  # noqa: F811
    replace(qp02(rich_set), "scope: 适用于全部质量记录。", 'scope: "适用于\\t全部\\n质量记录。"')
    assert errors(rich_set) == []


def test_build_with_an_illegal_character_fails_cleanly(
    rich_set: Path, tmp_path: Path,  # noqa: F811
) -> None:
    replace(qp02(rich_set), "purpose: 确保【role:quality】的记录可追溯。",
            'purpose: "\\u0001确保记录可追溯。"')
    result = subprocess.run([sys.executable, "-m", "generator", "build", str(rich_set), "-o",
                             str(tmp_path / "out")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert "procedures/QP-02.yaml:" in result.stderr and "U+0001" in result.stderr
    assert "Traceback" not in result.stderr and "pickl" not in result.stderr.lower()
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("code", ["CON", "nul", "Aux", "PRN", "COM1", "lpt9", "CON.1", "QP-15."])
def test_windows_device_names_are_not_codes(rich_set: Path, code: str) -> None:  # noqa: F811
    replace(qp02(rich_set), "code: QP-02", f"code: '{code}'")
    found = errors(rich_set)
    assert any(line.startswith(f"procedures/QP-02.yaml:1:1: code: {code!r} 不能用作文件编号")
               for line in found), found


@pytest.mark.parametrize("code", ["CONTROL-1", "COM10", "LPT", "QP-15.1"])
def test_codes_that_only_look_like_device_names_are_fine(code: str) -> None:
    from generator.model.common import is_windows_reserved

    assert not is_windows_reserved(code)


def test_a_role_id_that_is_a_device_name_is_refused(rich_set: Path) -> None:  # noqa: F811
    roles = rich_set / "roles.yaml"
    text = roles.read_text(encoding="utf-8")
    roles.write_text(text + "  - {id: aux, name: 辅助部门}\n", encoding="utf-8")
    found = errors(rich_set)
    assert any("'aux' 不能用作 id" in line for line in found), found


def test_errors_cross_process_boundaries_whole() -> None:
    import pickle

    from generator.errors import Problem, SourceErrors
    from generator.records import RecordErrors

    problem = Problem("procedures/QP-02.yaml", 2, 8, "title", "bad")
    assert pickle.loads(pickle.dumps(SourceErrors([problem]))).problems == [problem]
    assert pickle.loads(pickle.dumps(RecordErrors(["x.docx: bad"]))).problems == ["x.docx: bad"]


def test_a_raw_control_character_in_a_file_is_pinned_to_its_line(tmp_path: Path) -> None:
    from generator.errors import SourceErrors
    from generator.load import read_yaml

    path = tmp_path / "QP-09.yaml"
    path.write_bytes("code: QP-09\ntitle: 记录\x01控制\n".encode())
    with pytest.raises(SourceErrors) as caught:
        read_yaml(path, "procedures/QP-09.yaml")
    assert str(caught.value.problems[0]).startswith("procedures/QP-09.yaml:2:10: ")
    assert "U+0001" in str(caught.value.problems[0])


def test_new_refuses_a_control_character_and_quotes_any_title(
    rich_set: Path,  # noqa: F811
) -> None:
    def new(code: str, title: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "generator", "new", "procedure", code,
                               title], capture_output=True, text=True, timeout=300,
                              cwd=rich_set)

    refused = new("QP-09", "记录\x01控制程序")
    assert refused.returncode == 1 and "U+0001" in refused.stderr
    assert not (rich_set / "procedures" / "QP-09.yaml").exists()
    made = new("QP-08", "标题: #不是注释")
    assert made.returncode == 0, made.stderr
    from generator.load import read_yaml

    data = read_yaml(rich_set / "procedures" / "QP-08.yaml", "QP-08.yaml").data
    assert data["title"] == "标题: #不是注释"
    assert data["purpose"] == "规定标题: #不是注释的要求。"
