"""A text field keeps its scalar exactly as written, whatever YAML 1.1 would make of it
(`No` → False, `1.10` → 1.1, `2026-01-01` → a date); date and number fields stay typed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from generator.docset import plain
from generator.resolve import load_document_set
from tests.conftest import errors
from tests.test_resolve import FORM, qp02, replace, rich_set  # noqa: F401 (fixture)

CHOICE_FORM = FORM + """\
      - {id: agree, label: No, type: choice, options: [Yes, No, On, Off, 1.10, 2026-01-01]}
      - {id: qty, label: 数量, type: number, minimum: 0, maximum: 1.5}
"""


def test_form_labels_and_options_are_text_as_written(rich_set: Path) -> None:  # noqa: F811
    (rich_set / "forms" / "QR-02-01.yaml").write_text(CHOICE_FORM, encoding="utf-8")
    docset = load_document_set(rich_set)
    fields = {f.id: f for f in docset.forms["QR-02-01"].model.sections[0].fields}
    assert fields["agree"].label == "No"
    assert fields["agree"].options == ["Yes", "No", "On", "Off", "1.10", "2026-01-01"]
    assert (fields["qty"].minimum, fields["qty"].maximum) == (0, 1.5)  # numbers stay numbers


@pytest.mark.parametrize("written", ["1.10", "No", "Yes", "On", "off", "2026-01-01", "0x1F",
                                     "1e3", "015", "1_000", "2026-01-01 10:00:00", ".inf"])
def test_a_title_keeps_what_was_written(rich_set: Path, written: str) -> None:  # noqa: F811
    replace(qp02(rich_set), "title: 记录控制程序", f"title: {written}")
    docset = load_document_set(rich_set)
    assert docset.procedures["QP-02"].title == written


def test_text_everywhere_in_a_procedure_keeps_what_was_written(
    rich_set: Path,  # noqa: F811
) -> None:
    path = qp02(rich_set)
    replace(path, "version: A/1\nstatus", "version: A/1\nstatus")
    replace(path, "scope: 适用于全部质量记录。", "scope: 2026-01-01")
    replace(path, "definition: 按严重程度分级。", "definition: Yes")
    replace(path, "      - 保存期见下表。", "      - 3.10")
    replace(path, "  - title: 记录的标识\n", "  - title: 1.20\n")
    replace(path, "rows: [[检验记录, 3]]", "rows: [[Off, 3.50]]")
    replace(path, "{label: 是, to: file}", "{label: Yes, to: file}")
    replace(path, "{label: 否, to: collect}", "{label: No, to: collect}")
    replace(path, "{title: GB/T 19001-2016, code: GB/T 19001}", "{title: 1.0, code: 2016}")
    doc = load_document_set(rich_set).procedures["QP-02"]
    assert plain(doc.scope) == "2026-01-01"
    assert plain(doc.terms[0].definition) == "Yes"
    assert plain(doc.clauses[0].title) == "1.20"
    keeping = doc.clauses[1]
    assert plain(keeping.children[0].text) == "3.10"
    [table] = [b for b in doc.clauses[0].blocks if hasattr(b, "rows")]
    assert [plain(c) for c in table.rows[0]] == ["Off", "3.50"]
    [process] = doc.processes
    assert [b.label for b in process.steps[1].branches] == ["Yes", "No"]
    assert (doc.related[1].title, doc.related[1].code) == ("1.0", "2016")
    # dates in date fields are still dates
    assert doc.model.issue_date == dt.date(2026, 3, 1)
    assert doc.model.approval.author.date == dt.date(2026, 2, 20)


def test_roles_and_settings_keep_what_was_written(rich_set: Path) -> None:  # noqa: F811
    roles = rich_set / "roles.yaml"
    roles.write_text(roles.read_text(encoding="utf-8") + "  - {id: no-dept, name: No}\n",
                     encoding="utf-8")
    settings = rich_set / "wenkong.yaml"
    replace(settings, 'name: "测试有限公司"', "name: 2026-01-01")
    replace(settings, "retention_default: 三年", "retention_default: 3.0")
    docset = load_document_set(rich_set)
    assert docset.roles["no-dept"].name == "No"
    assert docset.settings.company.name == "2026-01-01"
    assert docset.settings.retention_default == "3.0"


def test_a_version_and_a_code_keep_what_was_written(rich_set: Path) -> None:  # noqa: F811
    form = rich_set / "forms" / "QR-02-01.yaml"
    replace(form, "version: A/0", "version: 1.10")
    replace(form, "code: QR-02-01", "code: 0202")  # YAML 1.1 would read octal 130
    form.rename(form.with_name("0202.yaml"))
    replace(qp02(rich_set), "【form:QR-02-01】", "【form:0202】")
    replace(qp02(rich_set), "outputs: [QR-02-01]", "outputs: ['0202']")
    replace(qp02(rich_set), "- form: QR-02-01", "- form: 0202")
    found = errors(rich_set)
    [only] = found  # the code is "0202" everywhere: no unknown form, no unusable code
    assert only.startswith("forms/0202.yaml:3:1: version: 版本 '1.10' 不符合")


def test_a_wrong_type_is_still_an_error_where_text_is_not_wanted(
    rich_set: Path,  # noqa: F811
) -> None:
    replace(qp02(rich_set), "issue_date: 2026-03-01", "issue_date: No")
    replace(qp02(rich_set), "countersign: [quality, gm]", "countersign: 1.10")
    found = errors(rich_set)
    assert any(line.startswith("procedures/QP-02.yaml:5:") and "issue_date" in line
               for line in found), found
    assert any(line.startswith("procedures/QP-02.yaml:12:") and "countersign" in line
               for line in found), found
