"""Synthetic document sets of any size for the benchmarks (not a test fixture).

`make_synthetic_set(folder, n)` writes a valid set of n procedures, each with terms, nested
clauses, lists, a table, a process table with a decision, a formula and one form, using the
settings and roles of the bundled sample set.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent


def _procedure(code: str, form: str, n: int) -> dict[str, object]:
    clauses = []
    for major in range(1, 6):
        clauses.append({
            "id": f"c{major}",
            "title": f"第{major}项工作要求",
            "body": [
                f"责任部门应在24小时内处理第{n}号程序规定的事项，并填写【form:{form}】。",
                {"list": "lettered", "items": ["核对来源信息；", "确认处理期限；",
                                               {"text": "记录处理结果：", "list": "circled",
                                                "items": ["合格", "让步接收", "退回"]}]},
            ],
            "clauses": [
                f"由【role:quality】每月汇总统计，结果见【clause:c{(major % 5) + 1}】。",
                {"title": "特殊情况", "text": "遇重大问题时应立即报告管理者代表。",
                 "clauses": ["必要时启动纠正措施。", "保留全部记录。"]},
            ],
        })
    clauses[1]["body"].append({"table": {"columns": ["项目", "频次", "责任部门"],
                                         "rows": [["抽样检验", "每批", "品质部"],
                                                  ["过程巡检", "每班两次", "生产部"]]}})
    clauses[2]["body"].append({"process": {"id": "flow", "title": "处理流程", "steps": [
        {"id": "start", "name": "接收信息", "owners": ["sales"], "outputs": [form]},
        {"id": "check", "name": "是否有效？", "owners": ["quality"],
         "branches": [{"label": "是", "to": "act"}, {"label": "否", "to": "start"}]},
        {"id": "act", "name": "处理并记录", "owners": ["quality"], "end": True},
    ]}})
    clauses[3]["body"].append({"formula": {"name": "一次合格率", "numerator": "合格数",
                                           "denominator": "检验总数", "multiplier": "× 100%"}})
    return {
        "code": code, "title": f"合成测试控制程序{n:04d}", "version": "A/0",
        "status": "effective", "issue_date": "2026-01-05", "effective_date": "2026-01-10",
        "owner": "quality",
        # roles as the sample set's approval rules (wenkong.yaml) ask for quality documents
        "approval": {"author": {"name": "张工", "role": "quality", "date": "2026-01-02"},
                     "reviewer": {"name": "李经理", "role": "quality-manager",
                                  "date": "2026-01-03"},
                     "approver": {"name": "王总", "role": "gm", "date": "2026-01-04"}},
        "countersign": ["quality", "production"], "distribution": ["quality", "sales"],
        "revisions": [{"version": "A/0", "date": "2026-01-05", "summary": "首次发行",
                       "author": "张工", "reviewer": "李经理", "approver": "王总"}],
        "purpose": "规定合成测试事项的控制要求。", "scope": "适用于本公司全部产品。",
        "terms": [{"term": "不合格", "definition": "未满足要求。"}],
        "responsibilities": [{"role": "quality", "duties": ["负责本程序的实施。"]},
                             {"role": "sales", "duties": ["负责顾客信息的收集。"]}],
        "procedure": clauses,
        "records": [{"form": form}],
        "attachments": [{"title": "处理流程图", "process": "flow"}],
    }


def _form(code: str, procedure: str, n: int) -> dict[str, object]:
    return {
        "code": code, "title": f"合成测试记录表{n:04d}", "version": "A/0", "status": "effective",
        "procedure": procedure, "custodian": "quality", "retention": "三年",
        "sections": [{"title": "基本信息", "fields": [
            {"id": "customer", "label": "顾客名称", "required": True},
            {"id": "date", "label": "日期", "type": "date"},
            {"id": "result", "label": "结论", "type": "choice", "options": ["合格", "不合格"]},
        ]}, {"table": {"id": "items", "columns": [{"id": "name", "label": "产品名称"},
                                                   {"id": "qty", "label": "数量",
                                                    "type": "number"}], "rows": 5}}],
        "signoff": [{"id": "filled-by", "label": "填表人"}],
    }


def make_synthetic_set(folder: Path, count: int) -> Path:
    """Write a valid document set of `count` procedures (and as many forms) into `folder`."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "procedures").mkdir(parents=True)
    (folder / "forms").mkdir()
    shutil.copy(REPO / "wenkong.yaml", folder / "wenkong.yaml")
    shutil.copy(REPO / "roles.yaml", folder / "roles.yaml")
    if (REPO / "mkdocs.yml").exists():
        shutil.copy(REPO / "mkdocs.yml", folder / "mkdocs.yml")
    for n in range(1, count + 1):
        code, form = f"QP-{n:04d}", f"QR-{n:04d}-01"
        for path, data in ((folder / "procedures" / f"{code}.yaml", _procedure(code, form, n)),
                           (folder / "forms" / f"{form}.yaml", _form(form, code, n))):
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
    return folder
