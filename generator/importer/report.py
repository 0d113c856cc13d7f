"""Import stage, report: per document what was mapped, guessed, kept as plain text, and how
faithfully it builds back (terminal lines and a Markdown file)."""

from __future__ import annotations

from pathlib import Path

from generator.errors import display_path
from generator.i18n import _
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
        values = {
            "code": result.code, "title": result.title or "",
            "kind": _("表单") if result.kind == "form" else _("程序文件"),
            "target": display_path(result.target, root) if result.target else "?",
            "state": _("已写入") if result.written else _("未写入"),
            "score": _score(result), "headings": _headings(result),
            "guesses": len(result.guesses), "problems": len(result.problems)}
        line = _("✓ {code} {title}（{kind}）→ {target} {state}；保真度 {score}，"
                 "条款编号与标题一致 {headings}，推断 {guesses} 处").format(**values)
        if result.problems:
            line += _("，{problems} 个问题待修正").format(**values)
        lines.append(line)
    return lines


def markdown(report: ImportReport, root: Path) -> str:
    """The full report as Markdown."""
    done = [r for r in report.files if not r.error]
    out = [_("# 导入报告"), "",
           _("共 {total} 个文件：导入 {written} 个，失败 {failed} 个。").format(
               total=len(report.files), written=sum(r.written for r in done),
               failed=len(report.failed)), "",
           _("保真度 = 原文字符按原顺序出现在重建后 Word 文档中的比例"
             "（不计空白、页码和封面栏目名）。"),
           "",
           _("| 文件 | 编号 | 类型 | 写入 | 保真度 | 条款编号与标题 | 推断 | 待修正 |"),
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in report.files:
        if r.error:
            failed = _("失败：{reason}").format(reason=_cell(r.error))
            out.append(f"| {r.source.name} | — | — | {failed} | — | — | — | — |")
            continue
        kind = _("表单") if r.kind == "form" else _("程序文件")
        written = display_path(r.target, root) if r.target and r.written else _("否")
        out.append(f"| {r.source.name} | {r.code} | {kind} | {written} | {_score(r)} "
                   f"| {_headings(r)} | {len(r.guesses)} | {len(r.problems)} |")
    if report.new_roles:
        out += ["", _("## 新增的部门和岗位"), "",
                _("以下名称在 {file} 中没有，已按推断加入，请核对：").format(
                    file=report.roles_file.name if report.roles_file else "roles.yaml"), ""]
        out += [f"- {name} → `{rid}`" for name, rid in report.new_roles.items()]
    for r in report.files:
        out += ["", f"## {r.source.name}", ""]
        if r.error:
            out.append(_("未导入：{reason}").format(reason=r.error))
            continue
        out.append("- " + _("编号 {code}，名称 {title}，保真度 {score}，条款编号与标题一致 "
                            "{headings}").format(code=r.code, title=r.title or _("（未识别）"),
                                                 score=_score(r), headings=_headings(r)))
        if r.heading_misses:
            out.append("- " + _("重建后不一致的条款编号或标题：") + "；".join(r.heading_misses))
        if r.missing:
            out.append("- " + _("重建后缺少的原文（最长几段）：")
                       + "；".join(f"“{m}”" for m in r.missing))
        if r.problems:
            out += ["", _("阻止 `wenkong validate` 通过的问题："), ""]
            out += [f"- `{p}`" for p in r.problems]
        if r.guesses:
            out += ["", _("推断（YAML 中标有 `# 导入推断`）："), ""]
            out += [f"- {g.where}：{g.what}" for g in r.guesses]
        if r.plain:
            out += ["", _("未能对应到模型、只保留为原文的内容："), ""]
            out += [f"- {_cell(p)[:80]}" for p in r.plain]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "｜").replace("\n", " ")
