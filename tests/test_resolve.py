"""Resolve stage: references, numbering, and the rules that span fields and files."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.docset import ListR, ProcessR, Ref, TableR, plain
from generator.errors import SourceErrors
from generator.model.settings import NumberingStyle
from generator.numbering import chinese_numeral, clause_label, letters, reference_label
from generator.resolve import load_document_set
from tests.conftest import errors, problems

PROCEDURE = """\
code: QP-02
title: 记录控制程序
version: A/1
status: effective
issue_date: 2026-03-01
effective_date: 2026-03-10
owner: quality
approval:
  author: {name: 张伟, role: quality, date: 2026-02-20}
  reviewer: {name: 李娜, role: mgmt-rep, date: 2026-02-25}
  approver: {name: 王强, role: gm, date: 2026-02-28}
countersign: [quality, gm]
distribution: [quality]
revisions:
  - {version: A/0, date: 2025-01-05, summary: 首次发行, author: 张伟}
  - {version: A/1, date: 2026-03-01, summary: 增加电子记录, author: 张伟}
purpose: 确保【role:quality】的记录可追溯。
scope: 适用于全部质量记录。
terms:
  - term: 缺陷等级
    definition: 按严重程度分级。
    classes:
      - {code: CR, name: 致命缺陷, definition: 危及安全, examples: [制动失效]}
responsibilities:
  - role: quality
    duties: [保存【form:QR-02-01】。]
procedure:
  - title: 记录的标识
    id: marking
    body:
      - 记录填写后按【clause:keeping】保存。
      - list: lettered
        items: [一, {text: 二, list: circled, items: [甲, 乙]}]
      - table: {columns: [名称, 期限], rows: [[检验记录, 3]]}
  - id: keeping
    title: 记录的保存
    clauses:
      - 保存期见下表。
      - title: 电子记录
        id: electronic
        body:
          - process:
              id: flow
              title: 记录归档流程
              steps:
                - {id: collect, name: 收集记录, owners: [quality], outputs: [QR-02-01]}
                - id: check
                  name: 是否完整？
                  branches: [{label: 是, to: file}, {label: 否, to: collect}]
                - {id: file, name: 归档, end: true}
related:
  - procedure: QP-01
  - {title: GB/T 19001-2016, code: GB/T 19001}
records:
  - form: QR-02-01
attachments:
  - {title: 记录归档流程图, process: flow}
"""

FORM = """\
code: QR-02-01
title: 记录清单
version: A/0
status: effective
procedure: QP-02
custodian: quality
sections:
  - fields:
      - {id: name, label: 名称, required: true}
"""


@pytest.fixture
def rich_set(docset_dir: Path) -> Path:
    (docset_dir / "procedures" / "QP-02.yaml").write_text(PROCEDURE, encoding="utf-8")
    (docset_dir / "forms" / "QR-02-01.yaml").write_text(FORM, encoding="utf-8")
    return docset_dir


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def qp02(root: Path) -> Path:
    return root / "procedures" / "QP-02.yaml"


def test_rich_set_is_valid_and_numbered(rich_set: Path) -> None:
    docset = load_document_set(rich_set)
    assert docset.warnings == []
    doc = docset.procedures["QP-02"]
    assert [s.label + s.title for s in doc.sections][:5] == [
        "1目的", "2适用范围", "3术语和定义", "4职责", "5工作程序"]
    assert doc.sections[-1].key == "attachments" and doc.sections[-1].number == 8
    assert [c.label for c in doc.all_clauses()] == ["5.1", "5.2", "5.2.1", "5.2.2"]
    assert doc.terms[0].label == "3.1" and doc.responsibilities[0].label == "4.1"
    marking = doc.clauses[0]
    ref = marking.blocks[0].text[1]  # type: ignore[union-attr]
    assert isinstance(ref, Ref) and ref.text == "5.2" and ref.anchor == "c5-2"
    listing = marking.blocks[1]
    assert isinstance(listing, ListR)
    assert [e.label for e in listing.items] == ["a)", "b)"]
    assert listing.items[1].sublist is not None
    assert [e.label for e in listing.items[1].sublist.items] == ["①", "②"]
    table = marking.blocks[2]
    assert isinstance(table, TableR) and plain(table.rows[0][1]) == "3"
    assert plain(doc.purpose) == "确保品质部的记录可追溯。"
    assert plain(doc.responsibilities[0].duties[0]) == "保存《记录清单》QR-02-01。"


def test_process_steps_are_lettered_and_linked(rich_set: Path) -> None:
    doc = load_document_set(rich_set).procedures["QP-02"]
    (process,) = doc.processes
    assert isinstance(process, ProcessR) and process.clause == "5.2.2"
    assert [s.label for s in process.steps] == ["A", "B", "C"]
    first, decision, last = process.steps
    assert first.next == "check" and first.is_start and not first.is_end
    assert [(b.label, b.to_label) for b in decision.branches] == [("是", "C"), ("否", "A")]
    assert last.is_end and last.next is None
    assert first.outputs[0][0].code == "QR-02-01"  # type: ignore[union-attr]
    assert doc.attachments[0].process is process and doc.attachments[0].label == "附件1"


def test_indexes(rich_set: Path) -> None:
    docset = load_document_set(rich_set)
    assert docset.forms_by_procedure["QP-02"] == ["QR-02-01"]
    assert [d.procedure for d in docset.duties_by_role["quality"]] == ["QP-02"]
    assert docset.procedures_by_owner["quality"] == ["QP-02"]
    assert docset.referenced_by.get("QP-01") == ["QP-02"]


def test_next_review_is_effective_date_plus_interval(rich_set: Path) -> None:
    doc = load_document_set(rich_set).procedures["QP-02"]
    assert str(doc.next_review) == "2027-03-10"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("purpose: 确保", "purpos: 确保",
         "procedures/QP-02.yaml:17:1: purpos: 未知字段 'purpos'；是不是 'purpose'？"),
        ("确保【role:quality】", "确保【role:qualty】",
         "procedures/QP-02.yaml:17:1: purpose: 【role:qualty】中的岗位 'qualty' 未知；"
         "是否想写 quality？"),
        ("保存【form:QR-02-01】", "保存【form:QR-99-01】",
         "procedures/QP-02.yaml:26:14: responsibilities[0].duties[0]: 未知表单 'QR-99-01'；"
         "是否想写 QR-02-01"),
        ("按【clause:keeping】", "按【clause:keep】",
         "procedures/QP-02.yaml:31:9: procedure[0].body[0]: 程序 QP-02 中没有 id 为 'keep' "
         "的条款"),
        ("按【clause:keeping】", "按【clause:QP-01#x】",
         "procedures/QP-02.yaml:31:9: procedure[0].body[0]: 程序 QP-01 中没有 id 为"),
        ("按【clause:keeping】", "按【clausr:x】",
         "procedures/QP-02.yaml:31:9: procedure[0].body[0]: "
         "【clausr:x】 中的引用类型 'clausr' 未知"),
        ("effective_date: 2026-03-10", "effective_date: 2026-02-10",
         "procedures/QP-02.yaml:6:1: effective_date: 实施日期 2026-02-10 早于发行日期 "
         "2026-03-01"),
        ("date: 2026-02-25}", "date: 2026-02-19}",
         "procedures/QP-02.yaml:10:40: approval.reviewer.date: reviewer 的签署日期 2026-02-19 "
         "早于 author（2026-02-20）"),
        ("date: 2026-02-28}", "date: 2026-03-05}",
         "procedures/QP-02.yaml:11:34: approval.approver.date: 批准日期 2026-03-05 晚于"
         "发行日期"),
        ("version: A/1\nstatus", "version: A/2\nstatus",
         "procedures/QP-02.yaml:3:1: version: 版本 A/2 不是修改履历的最后一条"),
        ("{version: A/1, date: 2026-03-01", "{version: A/0, date: 2026-03-01",
         "procedures/QP-02.yaml:16:6: revisions[1].version: 版本 A/0 没有排在 A/0 之后"),
        ("version: A/1\nstatus", "version: 1.0\nstatus",
         "procedures/QP-02.yaml:3:1: version: 版本 '1.0' 不符合公司的版本规则"),
        ("owner: quality", "owner: qa",
         "procedures/QP-02.yaml:7:1: owner: 未知岗位 'qa'"),
        ("to: collect}", "to: colect}",
         "procedures/QP-02.yaml:49:63: procedure[1].clauses[1].body[0].process.steps[1]"
         ".branches[1].to: 没有 id 为 'colect' 的步骤"),
        ("{title: 记录归档流程图, process: flow}", "{title: 记录归档流程图, process: flw}",
         "procedures/QP-02.yaml:57:22: attachments[0].process: 本程序中没有 id 为 'flw' 的流程表"),
        ("code: QP-02", "code: ../QP-02",
         "procedures/QP-02.yaml:1:1: code: '../QP-02' is not a usable document code"),
        ("code: QP-02", "code: QP/02",
         "procedures/QP-02.yaml:1:1: code: 'QP/02' is not a usable document code"),
        ("code: QP-02", 'code: "QP-02\\u0007"',
         "procedures/QP-02.yaml:1:7: code: 第 6 个字符是 U+0007"),
        ("scope: 适用于全部质量记录。\n", "",
         "procedures/QP-02.yaml:1:1: scope: 缺少必填字段 'scope'"),
        ("rows: [[检验记录, 3]]", "rows: [[检验记录]]",
         "procedures/QP-02.yaml:34:9: procedure[0].body[2].table: row 1 has 1 cells but the "
         "table has 2 columns"),
        ("countersign: [quality, gm]", "countersign: quality",
         "procedures/QP-02.yaml:12:1: countersign: 须是列表"),
    ],
)
def test_rejections_name_file_line_and_field(
    rich_set: Path, old: str, new: str, expected: str
) -> None:
    replace(qp02(rich_set), old, new)
    found = errors(rich_set)
    assert any(line.startswith(expected) for line in found), found


def test_all_problems_are_reported_at_once(rich_set: Path) -> None:
    replace(rich_set / "procedures" / "QP-01.yaml", 'owner: "doc-control"', "owner: qa")
    replace(qp02(rich_set), "purpose: 确保", "purpos: 确保")
    replace(rich_set / "forms" / "QR-02-01.yaml", "custodian: quality", "custodian: nobody")
    found = errors(rich_set)
    assert len(found) == 3, found
    assert {line.split(":")[0] for line in found} == {
        "procedures/QP-01.yaml", "procedures/QP-02.yaml", "forms/QR-02-01.yaml"}


def test_an_invalid_file_does_not_cascade(rich_set: Path) -> None:
    """A procedure with a model error is not reported again as "unknown" by its forms."""
    replace(qp02(rich_set), "rows: [[检验记录, 3]]", "rows: [[检验记录]]")
    assert [line.split(":")[0] for line in errors(rich_set)] == ["procedures/QP-02.yaml"]


def test_duplicate_code_across_files(rich_set: Path) -> None:
    copy = rich_set / "procedures" / "QP-03.yaml"
    copy.write_text(PROCEDURE, encoding="utf-8")
    found = errors(rich_set)
    assert any(line.startswith("procedures/QP-03.yaml:1:1: code: 编号 QP-02 已被 "
                               "procedures/QP-02.yaml") for line in found), found


def test_form_code_may_not_repeat_a_procedure_code(rich_set: Path) -> None:
    replace(rich_set / "forms" / "QR-02-01.yaml", "code: QR-02-01", "code: QP-02")
    assert any("编号 QP-02 已被" in line for line in errors(rich_set))


def test_form_not_listed_by_its_procedure_is_an_error(rich_set: Path) -> None:
    replace(qp02(rich_set), "records:\n  - form: QR-02-01\n", "records: []\n")
    found = errors(rich_set)
    assert any(line.startswith("forms/QR-02-01.yaml:5:1: procedure: QP-02 的 records 中"
                               "没有列出 QR-02-01") for line in found), found


def test_procedure_listing_another_procedures_form_is_a_warning(rich_set: Path) -> None:
    replace(qp02(rich_set), "  - form: QR-02-01\n", "  - form: QR-02-01\n  - form: QR-01-01\n")
    found = problems(rich_set)
    assert [p.severity for p in found if "属于 QP-01" in p.message] == ["warning"]


def test_role_parent_cycle(rich_set: Path) -> None:
    roles = rich_set / "roles.yaml"
    replace(roles, "  - id: quality\n", "  - id: quality\n    parent: doc-control\n")
    replace(roles, "  - id: doc-control\n", "  - id: doc-control\n    parent: quality\n")
    found = errors(rich_set)
    assert any("部门构成了循环：quality → doc-control → quality" in line
               for line in found), found


def test_citing_an_obsolete_document_from_an_effective_one(rich_set: Path) -> None:
    qp01 = rich_set / "procedures" / "QP-01.yaml"
    replace(qp01, "status: draft", "status: obsolete\nissue_date: 2024-01-01\n"
            "effective_date: 2024-01-01\nobsolete_reason: 由QP-02替代\nrevisions:\n"
            "  - {version: A/0, date: 2024-01-01, summary: 首次发行, author: 甲}")
    replace(qp01, "    name: 待定", "    name: 待定\n  approver: {name: 乙}")
    found = errors(rich_set)
    assert any(line.startswith("procedures/QP-02.yaml:52:5: related[0].procedure: QP-01 "
                               "已作废") for line in found), found


def test_self_reference_in_related(rich_set: Path) -> None:
    replace(qp02(rich_set), "  - procedure: QP-01", "  - procedure: QP-02")
    assert any("不能把自己列为相关文件" in line for line in errors(rich_set))


def test_unreachable_step_is_a_warning(rich_set: Path) -> None:
    replace(qp02(rich_set), "{label: 否, to: collect}", "{label: 否, to: file}")
    found = problems(rich_set)
    assert [p.severity for p in found if "到达不了步骤" in p.message] == []
    replace(qp02(rich_set), "- {id: collect, name: 收集记录, owners: [quality], "
            "outputs: [QR-02-01]}", "- {id: collect, name: 收集记录, owners: [quality], "
            "outputs: [QR-02-01], next: file}")
    found = problems(rich_set)
    assert [p.severity for p in found if "到达不了步骤 'check'" in p.message] == ["warning"]


def test_missing_settings_file(tmp_path: Path) -> None:
    with pytest.raises(SourceErrors) as caught:
        load_document_set(tmp_path)
    assert "不是 Wenkong 文件集" in str(caught.value.problems[0])


def test_numbering_styles() -> None:
    assert clause_label((5, 2, 1), NumberingStyle.decimal) == "5.2.1"
    assert clause_label((5,), NumberingStyle.decimal_zero) == "5.0"
    assert clause_label((5, 2), NumberingStyle.decimal_zero) == "5.2"
    assert [clause_label(n, NumberingStyle.chinese) for n in
            [(5,), (5, 2), (5, 2, 1), (5, 2, 1, 3), (5, 2, 1, 3, 2)]] == [
        "五、", "（二）", "1.", "（3）", "②"]
    assert reference_label((5, 2, 1), NumberingStyle.chinese) == "五（二）1"
    numerals = [chinese_numeral(n) for n in (1, 10, 12, 20, 25)]
    assert numerals == ["一", "十", "十二", "二十", "二十五"]
    assert [letters(n) for n in (1, 26, 27)] == ["A", "Z", "AA"]


def test_chinese_numbering_reaches_every_label(rich_set: Path) -> None:
    replace(rich_set / "wenkong.yaml", "numbering_style: decimal", "numbering_style: chinese")
    doc = load_document_set(rich_set).procedures["QP-02"]
    assert [c.label for c in doc.all_clauses()] == ["（一）", "（二）", "1.", "2."]
    assert doc.sections[0].label == "一、"
