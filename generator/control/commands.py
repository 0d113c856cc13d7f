"""The document-control commands of `wenkong` (release, obsolete, diff, due, review, lock,
versions): parse arguments, call one control function, print the result. No logic here.

Registered on the main `wenkong` app (generator/console.py) when generator/cli.py imports this
module.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from generator.console import app, default_root, err, out, print_problems, run
from generator.docset import DocumentSet
from generator.i18n import _

DocRoot = Annotated[Path | None, typer.Option(
    "--root", help=_("文件集所在的文件夹。默认：当前文件夹，或示例文件集。"),
    show_default=False)]


def date_option(help_text: str) -> object:
    return typer.Option("--date", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
                        help=help_text, show_default=False)


IssueDate = Annotated[dt.datetime | None, date_option(_("发行日期。默认：今天。"))]
RetireDate = Annotated[dt.datetime | None, date_option(_("失效日期。默认：今天。"))]
ReviewDate = Annotated[dt.datetime | None, date_option(_("评审日期。默认：今天。"))]


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


@app.command(
    short_help=_("更改经批准后，发布文件的新版本。"),
    help=_("更改经批准后，发布文件的新版本。\n\n"
           "自动得出下一个版本（首次 A/0，之后 A/1、A/2 …；加 --major 为 B/0），在修改履历中"
           "加一行并写明改动的条款，填写发行日期、实施日期和批准人，把文件设为生效，并把这次发布"
           "记入 wenkong.lock。YAML 文件的注释和排版保持不变。有任何问题时什么也不写。之后把两个"
           "文件一起提交（或加 --commit）。"))
def release(
    code: Annotated[str, typer.Argument(help=_("文件编号，例如 QP-01 或 QR-01-01。"))],
    summary: Annotated[str, typer.Option(
        "--summary", "-s", help=_("一句话说明改了什么，写入修改履历（修改内容摘要）。"))] = "",
    approved_by: Annotated[str, typer.Option(
        "--approved-by", help=_("批准人，写成 部门或岗位/姓名，例如 gm/陈立峰。"))] = "",
    major: Annotated[bool, typer.Option(
        "--major", help=_("换版：A/3 变为 B/0（文件重写，或修改次数达到公司规定的上限）。"))]
    = False,
    reviewed_by: Annotated[str | None, typer.Option(
        "--reviewed-by", help=_("审核人，写成 部门或岗位/姓名。默认：文件中已写的审核人。"),
        show_default=False)] = None,
    author: Annotated[str | None, typer.Option(
        "--author", help=_("修改人。默认：文件中已写的编写人。"), show_default=False)] = None,
    date: IssueDate = None,
    effective: Annotated[dt.datetime | None, typer.Option(
        "--effective", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
        help=_("实施日期（晚于发行日期时填写）。"), show_default=False)] = None,
    remark: Annotated[str | None, typer.Option(
        "--remark", help=_("修改履历的备注，例如文件更改申请单的编号。"),
        show_default=False)] = None,
    commit: Annotated[bool, typer.Option(
        "--commit", help=_("同时把两个文件提交到 git，并给这次提交打上 编号/版本 标签"
                           "（例如 QP-01/A-1），作为仓库中的发布标记。"))] = False,
    root: DocRoot = None,
) -> None:
    from generator.control.release import release as do_release

    if not approved_by:
        err.print(_("错误：请写明谁批准了这次发布：--approved-by 部门或岗位/姓名"
                    "（例如 gm/陈立峰）"), style="bold red", markup=False)
        raise typer.Exit(1)
    result = run(lambda: do_release(
        root or default_root(), code, summary=summary, approved_by=approved_by, major=major,
        reviewed_by=reviewed_by, author=author, date=_day(date), effective_date=_day(effective),
        commit=commit, remark=remark))
    before = (_("（原为 {previous}）").format(previous=result.previous) if result.previous
              else _("（首次发行）"))
    out.print(_("已发布 {code} {version}{before}，日期 {date}；改动的条款：{clauses}").format(
        code=result.code, version=result.version, before=before, date=result.date,
        clauses=result.clauses), markup=False)
    if result.tag:
        out.print(_("已提交 {source} 和 {lock}，标签 {tag}").format(
            source=result.source.name, lock=result.lock.name, tag=result.tag), markup=False)
    else:
        out.print(_("已更新 {source} 和 {lock}：请把它们一起提交。").format(
            source=result.source, lock=result.lock), markup=False)
    if not result.in_git:
        err.print(_("警告：此文件集不在 git 仓库中，这次发布的源文件没有保存下来，以后无法重建或"
                    "比较（请运行 git init）"), style="yellow", markup=False)
    _print_recall_list(root or default_root(), result.code)


def _print_recall_list(root: Path, code: str) -> None:
    """After a release: the controlled copies of the older versions to call back."""
    from generator.control.distribution import recall_list
    from generator.control.registers import check_registers
    from generator.control.subset import working_document
    from generator.errors import WenkongError

    try:  # the document and what it cites, not the whole set (control/subset.py)
        docset = working_document(root, code)
    except WenkongError:
        return  # the release is done; validate reports whatever else is wrong
    if docset.registers is None:  # read for these documents only: their copies are right
        check_registers(docset, [])
    pending = [c for c in recall_list(docset) if c.document == code]
    if pending:
        out.print(_("请收回旧版受控副本（{date} 前）：{copies}；收回后运行 wenkong recall 编号 "
                    "--by 姓名").format(
            date=pending[0].recall_by, copies="、".join(
                f"{c.number}（{c.holder.name}）" for c in pending)), markup=False)


@app.command(
    short_help=_("作废一份生效的文件。"),
    help=_("作废一份生效的文件。\n\n"
           "把它标为作废并写明原因，记入 wenkong.lock。仍有生效文件引用它时拒绝作废："
           "请先发布那些文件的新版本。"))
def obsolete(
    code: Annotated[str, typer.Argument(help=_("要作废的文件编号，例如 QP-07。"))],
    reason: Annotated[str, typer.Option(
        "--reason", "-r", help=_("作废原因，例如 由QP-12替代。"))] = "",
    approved_by: Annotated[str | None, typer.Option(
        "--approved-by", help=_("批准作废的人，写成 部门或岗位/姓名。"),
        show_default=False)] = None,
    date: RetireDate = None,
    root: DocRoot = None,
) -> None:
    from generator.control.release import obsolete as do_obsolete

    result = run(lambda: do_obsolete(root or default_root(), code, reason=reason,
                                     approved_by=approved_by, date=_day(date)))
    out.print(_("{code} {version} 自 {date} 起作废；已更新 {source} 和 wenkong.lock："
                "请把它们一起提交。").format(code=result.code, version=result.version,
                                         date=result.date, source=result.source), markup=False)


@app.command(
    short_help=_("记录一次定期评审：程序文件继续有效。"),
    help=_("记录一次定期评审：评审认为程序文件继续有效。\n\n"
           "只改评审日期；需要修改文字的评审请改用发布（release）。"))
def review(
    code: Annotated[str, typer.Argument(help=_("程序文件编号，例如 QP-01。"))],
    date: ReviewDate = None,
    root: DocRoot = None,
) -> None:
    from generator.control.release import record_review

    path = run(lambda: record_review(root or default_root(), code, date=_day(date)))
    out.print(_("已在 {path} 中记录评审").format(path=path), markup=False)


@app.command(
    short_help=_("逐条显示两个版本之间的改动。"),
    help=_("逐条显示两个版本之间的改动。\n\n"
           "`wenkong diff QP-01` 比较最近一次发布和文件现在的内容；`wenkong diff QP-01 A/0 A/1` "
           "比较两次发布。删除的文字显示为 [-这样-]，新增的文字显示为 {+这样+}。"))
def diff(
    code: Annotated[str, typer.Argument(help=_("文件编号，例如 QP-01。"))],
    old: Annotated[str | None, typer.Argument(
        help=_("较早的版本，例如 A/0。默认：最近一次发布。"), show_default=False)] = None,
    new: Annotated[str | None, typer.Argument(
        help=_("较新的版本，例如 A/1。默认：工作稿（文件现在的内容）。"),
        show_default=False)] = None,
    docx: Annotated[Path | None, typer.Option(
        "--docx", help=_("同时把修订对照 .docx（Word 修订模式）写到这个文件。"),
        show_default=False)] = None,
    root: DocRoot = None,
) -> None:
    from generator.control.diff import compare, marked_lines

    comparison = run(lambda: compare(root or default_root(), code, old, new))
    out.print(f"{comparison.code} {comparison.new.title}: {comparison.old.label} → "
              f"{comparison.new.label}", style="bold", markup=False)
    if not comparison.changes:
        out.print(_("没有改动"), markup=False)
    for change in comparison.changes:
        label = change.label if change.kind != "changed" or change.old_label == change.label \
            else _("{label}（原 {old_label}）").format(label=change.label,
                                                   old_label=change.old_label)
        colour = {"added": "green", "removed": "red", "changed": "yellow"}[change.kind]
        heading = f"{label} {change.title}".strip() if change.kind == "changed" else label
        kind = {"added": _("新增"), "removed": _("删除"), "changed": _("修改")}[change.kind]
        out.print(Text(f"\n{heading} {kind}", style=f"bold {colour}"))
        for runs in marked_lines(change.words, context=change.kind != "changed"):
            line = Text()
            for op, text in runs:
                if op == "equal":
                    line.append(text)
                elif op == "delete":
                    line.append(f"[-{text}-]", style="red strike")
                else:
                    line.append(f"{{+{text}+}}", style="green underline")
            out.print(line)
    if docx is not None:
        from generator.control.redline import render_redline
        from generator.write import write_file

        release = comparison.new.release or comparison.old.release
        author = (release.approved_by or release.author or "") if release else ""
        day = comparison.new.release.date if comparison.new.release else dt.date.today()
        data = run(lambda: render_redline(
            comparison, author=author.split("/")[-1], date=day,
            heading=f"{comparison.code} {comparison.new.title} "
                    f"{comparison.old.label} → {comparison.new.label}"))
        write_file(docx, data)
        out.print("\n" + _("已写出 {path}").format(path=docx), markup=False)


@app.command(
    short_help=_("列出到期或逾期的定期评审、未收回的旧版副本和未评审的外来文件。"),
    help=_("列出定期评审已到期或逾期的文件、新版发行后逾期未收回的旧版受控副本，以及接收后"
           "逾期未评审（或未实施）的外来文件。\n\n"
           "有逾期项时退出码为 1，可在 CI 或 cron 中运行以提醒相关人员。"))
def due(
    as_of: Annotated[dt.datetime | None, typer.Option(
        "--as-of", formats=["%Y-%m-%d"], metavar="YYYY-MM-DD",
        help=_("按哪一天检查。默认：今天。"), show_default=False)] = None,
    within: Annotated[int, typer.Option(
        help=_("同时列出这么多天之内到期的评审。"))] = 30,
    root: DocRoot = None,
) -> None:
    from generator.control.review import reviews_due
    from generator.resolve import load_document_set

    day = _day(as_of) or dt.date.today()
    # Review dates do not depend on the lock: a pending release must not hide an overdue review.
    docset = run(lambda: load_document_set(root or default_root(), check_lock=False))
    print_problems(docset.warnings)
    found = reviews_due(docset, day, within)
    overdue = [i.code for i in found if i.overdue]
    if not found:
        out.print(_("{day} 起 {within} 天内没有到期的评审").format(day=day, within=within),
                  markup=False)
    else:
        table = Table(title=_("定期评审（截至 {day}）").format(day=day))
        # Code, state and dates never wrap (a clerk reads them in an 80-column terminal or a
        # CI log); the title gives way first.
        for column in (_("编号"), _("状态"), _("下次评审"), _("版本"), _("归口部门")):
            table.add_column(column, no_wrap=True)
        table.add_column(_("文件名称"), overflow="fold")
        for item in found:
            state = (Text(_("逾期 {days} 天").format(days=item.days), style="bold red")
                     if item.overdue
                     else Text(_("{days} 天后到期").format(days=-item.days), style="yellow"))
            table.add_row(item.code, state, str(item.next_review), item.version, item.owner,
                          item.title)
        out.print(table)
    late = _registers_due(docset, day)
    if overdue:
        err.print(_("{count} 项评审逾期：{codes}").format(
            count=len(overdue), codes=", ".join(overdue)), style="bold red", markup=False)
    if overdue or late:
        raise typer.Exit(1)


def _registers_due(docset: DocumentSet, day: dt.date) -> int:
    """Print copies not recalled in time and external documents not reviewed in time; return
    how many are overdue."""
    from generator.control.registers import external_overdue, recalls_overdue

    if docset.registers is None:
        return 0
    copies = recalls_overdue(docset.registers, day)
    if copies:
        days = docset.settings.recall_days
        table = Table(title=_("逾期未收回的受控副本（新版发行后 {days} 天内收回）").format(
            days=days))
        for column in (_("分发编号"), _("版本"), _("持有部门"), _("应收回日期"), _("逾期")):
            table.add_column(column, no_wrap=True)
        for c in copies:
            assert c.recall_by is not None
            table.add_row(c.number, c.version, c.holder.name, str(c.recall_by),
                          Text(_("{days} 天").format(days=(day - c.recall_by).days),
                               style="bold red"))
        out.print(table)
        err.print(_("{count} 份旧版受控副本逾期未收回：{numbers}（收回后运行 wenkong recall "
                    "编号 --by 姓名）").format(count=len(copies), numbers="、".join(
                        c.number for c in copies)), style="bold red", markup=False)
    external = external_overdue(docset.registers, day, docset.settings)
    if external:
        limit = docset.settings.external_review.working_days
        table = Table(title=_("逾期的外来文件（接收后 {days} 个工作日内评审）").format(
            days=limit))
        for column in (_("编号"), _("事项"), _("期限"), _("逾期")):
            table.add_column(column, no_wrap=True)
        table.add_column(_("名称"), overflow="fold")
        for e in external:
            table.add_row(e.item.model.number, _("评审") if e.what == "review" else _("实施"),
                          str(e.deadline),
                          Text(_("{days} 个工作日").format(days=e.days), style="bold red"),
                          e.item.model.title)
        out.print(table)
        err.print(_("{count} 份外来文件逾期未评审或未实施：{numbers}").format(
            count=len(external), numbers="、".join(e.item.model.number for e in external)),
            style="bold red", markup=False)
    return len(copies) + len(external)


@app.command(
    short_help=_("检查 wenkong.lock，或为已有的文件集建立它（--adopt）。"),
    help=_("检查 wenkong.lock，或为已有的文件集建立它（--adopt）。\n\n"
           "加 --adopt 时，每份文件现在的内容成为其现行版本的指纹；修改履历中更早的版本记为"
           "“Wenkong 之前发布”（列出，但没有可重建的源文件）。"))
def lock(
    adopt: Annotated[bool, typer.Option(
        "--adopt", help=_("把锁文件还不认识的每份生效文件按现在的内容记录下来（用于 Wenkong "
                          "之前就已发布的文件集）。"))] = False,
    root: DocRoot = None,
) -> None:
    from generator.control.release import adopt as do_adopt
    from generator.resolve import load_document_set

    folder = root or default_root()
    if adopt:
        adopted = run(lambda: do_adopt(folder))
        if adopted:
            out.print(_("已将 {count} 份文件记入 wenkong.lock：{codes}").format(
                count=len(adopted), codes=", ".join(adopted)), markup=False)
        else:
            out.print(_("无需记录：锁文件已包含每份已发布的文件"), markup=False)
        return
    docset = run(lambda: load_document_set(folder))
    from generator.control.lock import lock_path

    if not lock_path(docset.root).is_file():
        out.print(_("还没有 wenkong.lock：`wenkong release 编号 …` 会建立它；Wenkong 之前已发布"
                    "的文件用 `wenkong lock --adopt`"), markup=False)
        return
    out.print(_("通过：wenkong.lock 与 {count} 份文件一致").format(
        count=len(docset.procedures) + len(docset.forms)), markup=False)


@app.command(
    short_help=_("列出已发布的版本（文件发布记录）。"),
    help=_("列出已发布的版本（文件发布记录）：日期、摘要、批准人、源文件所在。"))
def versions(
    code: Annotated[str | None, typer.Argument(
        help=_("文件编号。默认：全部文件。"), show_default=False)] = None,
    root: DocRoot = None,
) -> None:
    from generator.control.history import released_versions

    found = run(lambda: released_versions((root or default_root()).resolve(), code))
    table = Table()
    for column in (_("编号"), _("版本"), _("日期"), _("摘要"), _("批准人"), _("源文件")):
        table.add_column(column)
    for item in found:
        source = item.commit[:10] if item.commit else (
            _("Wenkong 之前") if item.fingerprint is None else _("未提交"))
        table.add_row(item.code, item.version + (_("（作废）") if item.obsolete and item.current
                                                 else ""),
                      item.date, item.summary, item.approved_by or "", source)
    out.print(table)


# --- registers: controlled copies, external documents, clause matrix -------------------------

IssueDay = Annotated[dt.datetime | None, date_option(_("发放日期。默认：今天。"))]
RecallDay = Annotated[dt.datetime | None, date_option(_("收回日期。默认：今天。"))]


@app.command(
    "issue",
    short_help=_("发放带分发编号的受控副本，并登记到文件发放回收登记表。"),
    help=_("发放受控副本：每份一个分发编号（如 QP-01-B0-003），Word 和 PDF 的每一页都印有红色"
           "“受控”、分发编号、持有部门和发放日期，并登记到 registers/distribution.yaml（文件发放"
           "回收登记表）。\n\n只发放生效的文件，只发给它发放范围内的部门。有任何问题时什么也不写。"))
def issue_copies(
    code: Annotated[str, typer.Argument(help=_("程序文件编号，如 QP-01。"))],
    to: Annotated[list[str], typer.Option(
        "--to", help=_("持有部门或岗位 id，如 production（可重复：--to quality "
                       "--to production）。"),
        show_default=False)],
    copies: Annotated[int, typer.Option("--copies", "-n", help=_("每个部门发几份。"))] = 1,
    issued_by: Annotated[str | None, typer.Option(
        "--by", help=_("发放人姓名。"), show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help=_("受控副本写到哪个文件夹。默认：文件集下的 copies/。"),
        show_default=False)] = None,
    pdf: Annotated[bool, typer.Option(help=_("同时生成 PDF（需要 LibreOffice）。"))] = True,
    date: IssueDay = None,
    root: DocRoot = None,
) -> None:
    from generator.control.distribution import issue

    result = run(lambda: issue(root or default_root(), code, to=to, copies=copies,
                               date=_day(date), issued_by=issued_by, output=output, pdf=pdf))
    for item in result.files:
        shown = f"{item.docx}" + (f" + {item.pdf.name}" if item.pdf else "")
        out.print(f"{item.number}  {item.holder}  {shown}", markup=False)
    out.print(_("已发放 {count} 份 {code} {version} 受控副本，登记在 {register}：请一并提交。")
              .format(
        count=len(result.files), code=result.code, version=result.version,
        register=result.register), markup=False)


@app.command(
    "recall",
    short_help=_("登记收回（或销毁）的受控副本；不给编号时列出应收回的副本。"),
    help=_("收回旧版受控副本：登记收回（或销毁）的日期和收回人。不给编号时列出应收回的副本"
           "（新版本发行后旧版本的所有副本，作废文件的所有副本）。"))
def recall_copies(
    numbers: Annotated[list[str] | None, typer.Argument(
        help=_("要收回的分发编号，如 QP-01-A2-001。"), show_default=False)] = None,
    by: Annotated[str, typer.Option("--by", help=_("收回人姓名。"))] = "",
    destroyed: Annotated[bool, typer.Option(
        "--destroyed", help=_("副本已销毁（默认：已收回）。"))] = False,
    date: RecallDay = None,
    root: DocRoot = None,
) -> None:
    from generator.control.distribution import recall, recall_list
    from generator.model.registers import RecallWay
    from generator.resolve import load_document_set

    folder = root or default_root()
    if not numbers:
        docset = run(lambda: load_document_set(folder, check_lock=False))
        pending = recall_list(docset)
        if not pending:
            out.print(_("没有需要收回的受控副本"), markup=False)
            return
        table = Table(title=_("应收回的受控副本"))
        for column in (_("分发编号"), _("文件"), _("版本"), _("持有部门"), _("发放日期"),
                       _("应收回日期")):
            table.add_column(column, no_wrap=True)
        for c in pending:
            table.add_row(c.number, c.document, c.version, c.holder.name, str(c.model.issued),
                          str(c.recall_by or ""))
        out.print(table)
        return
    how = RecallWay.destroyed if destroyed else RecallWay.returned
    result = run(lambda: recall(folder, numbers, by=by, how=how, date=_day(date)))
    message = _("已登记销毁：{numbers}（{register}）") if destroyed else _(
        "已登记收回：{numbers}（{register}）")
    out.print(message.format(numbers="、".join(result.numbers), register=result.register),
              markup=False)


@app.command(
    "gaps",
    short_help=_("列出没有生效程序文件覆盖的标准条款（条款对照表的缺口）。"),
    help=_("条款对照表的缺口：列出没有生效程序文件覆盖的标准条款（registers/clauses.yaml）。\n\n"
           "有必须覆盖的条款未覆盖时退出码为 1。"))
def gaps(root: DocRoot = None) -> None:
    from generator.resolve import load_document_set

    docset = run(lambda: load_document_set(root or default_root(), check_lock=False))
    registers = docset.registers
    if registers is None or registers.clauses_file is None:
        err.print(_("没有条款对照表：在 {folder}/clauses.yaml 中列出每份程序文件覆盖的条款")
                  .format(folder=docset.settings.registers_dir), style="bold red", markup=False)
        raise typer.Exit(1)
    open_ = registers.gaps
    out.print(_("{covered} / {total} 条款有生效文件覆盖；{excluded} 条不适用").format(
        covered=len([c for c in registers.clauses if c.documents]),
        total=len(registers.clauses),
        excluded=len([c for c in registers.clauses if c.excluded])), markup=False)
    if open_:
        table = Table(title=_("未覆盖的条款"))
        for column in (_("条款"), _("标准"), _("必须")):
            table.add_column(column, no_wrap=True)
        table.add_column(_("标题"), overflow="fold")
        table.add_column(_("起草中的文件"), no_wrap=True)
        for c in open_:
            table.add_row(c.number, c.standard, _("是") if c.required else "", c.title,
                          "、".join(c.drafts))
        out.print(table)
    required = [c for c in open_ if c.required]
    if required:
        err.print(_("{count} 条必须覆盖的条款没有生效文件：{clauses}").format(
            count=len(required), clauses="、".join(f"{c.standard} {c.number}" for c in required)),
            style="bold red", markup=False)
        raise typer.Exit(1)
