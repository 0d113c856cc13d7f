"""Import stage, report: per document what was mapped, guessed, kept as plain text, and how
faithfully it builds back (terminal lines and a Markdown file)."""

from __future__ import annotations

from pathlib import Path

from generator.errors import display_path
from generator.importer.run import FileResult, ImportReport


def _score(result: FileResult) -> str:
    return f"{result.fidelity:.1%}" if result.fidelity is not None else "—"


def _headings(result: FileResult) -> str:
    if result.headings is None:
        return "—"
    exact, total = result.headings
    return f"{exact}/{total}"


def summary_lines(report: ImportReport, root: Path) -> list[str]:
    """One line per file for the terminal."""
    lines = []
    for result in report.files:
        if result.error:
            lines.append(f"✗ {result.source}: {result.error}")
            continue
        target = display_path(result.target, root) if result.target else "?"
        kind = "表单" if result.kind == "form" else "程序文件"
        state = "已写入" if result.written else "未写入"
        blocked = f"，{len(result.problems)} 个问题待修正" if result.problems else ""
        lines.append(
            f"✓ {result.code} {result.title or ''}（{kind}）→ {target} {state}；保真度 "
            f"{_score(result)}，条款编号与标题一致 {_headings(result)}，推断 "
            f"{len(result.guesses)} 处{blocked}")
    return lines


def markdown(report: ImportReport, root: Path) -> str:
    """The full report as Markdown."""
    done = [r for r in report.files if not r.error]
    out = ["# 导入报告", "",
           f"共 {len(report.files)} 个文件：导入 {sum(r.written for r in done)} 个，"
           f"失败 {len(report.failed)} 个。", "",
           "保真度 = 原文字符按原顺序出现在重建后 Word 文档中的比例（不计空白和页码）。", "",
           "| 文件 | 编号 | 类型 | 写入 | 保真度 | 条款编号与标题 | 推断 | 待修正 |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in report.files:
        if r.error:
            out.append(f"| {r.source.name} | — | — | 失败：{_cell(r.error)} | — | — | — | — |")
            continue
        out.append(f"| {r.source.name} | {r.code} | {'表单' if r.kind == 'form' else '程序文件'} "
                   f"| {display_path(r.target, root) if r.target and r.written else '否'} "
                   f"| {_score(r)} | {_headings(r)} | {len(r.guesses)} | {len(r.problems)} |")
    if report.new_roles:
        out += ["", "## 新增的部门和岗位", "",
                f"以下名称在 {report.roles_file.name if report.roles_file else 'roles.yaml'} "
                "中没有，已按推断加入，请核对：", ""]
        out += [f"- {name} → `{rid}`" for name, rid in report.new_roles.items()]
    for r in report.files:
        out += ["", f"## {r.source.name}", ""]
        if r.error:
            out.append(f"未导入：{r.error}")
            continue
        out.append(f"- 编号 {r.code}，名称 {r.title or '（未识别）'}，保真度 {_score(r)}，"
                   f"条款编号与标题一致 {_headings(r)}")
        if r.heading_misses:
            out.append("- 重建后不一致的条款编号或标题：" + "；".join(r.heading_misses))
        if r.missing:
            out.append("- 重建后缺少的原文（最长几段）：" + "；".join(f"“{m}”" for m in r.missing))
        if r.problems:
            out += ["", "阻止 `wenkong validate` 通过的问题：", ""]
            out += [f"- `{p}`" for p in r.problems]
        if r.guesses:
            out += ["", "推断（YAML 中标有 `# 导入推断`）：", ""]
            out += [f"- {g.where}：{g.what}" for g in r.guesses]
        if r.plain:
            out += ["", "未能对应到模型、只保留为原文的内容：", ""]
            out += [f"- {_cell(p)[:80]}" for p in r.plain]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")
