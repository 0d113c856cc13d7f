"""The `wenkong` command: parse arguments, call one function, print errors. No logic here."""

from __future__ import annotations

import gc
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from generator.docset import DocumentSet

from generator.console import (
    RootOption,
    app,
    default_root,
    err,
    new_app,
    out,
    print_problems,
    records_app,
    run,
)
from generator.i18n import _


@app.command(
    short_help=_("检查文件集中的每个文件，列出全部问题。"),
    help=_("检查文件集中的每个文件，列出全部问题。\n\n"
           "每个问题一行：文件:行:列: 字段: 说明。没有错误时退出码为 0（可以有警告），"
           "有需要修改的地方时为 1。"))
def validate(root: RootOption = None) -> None:
    from generator.resolve import load_document_set

    folder = root or default_root()
    docset = run(lambda: load_document_set(folder))
    print_problems(docset.warnings)
    message = _("通过：{procedures} 个程序文件、{forms} 个表单、{roles} 个部门/岗位，位于 {folder}")
    if docset.warnings:
        message += _("（{warnings} 个警告）")
    out.print(message.format(folder=folder, procedures=len(docset.procedures),
                             forms=len(docset.forms), roles=len(docset.roles),
                             warnings=len(docset.warnings)), markup=False)


@app.command(
    short_help=_("写出 JSON Schema，让编辑器在输入时补全和检查 YAML。"),
    help=_("写出 JSON Schema 文件，让编辑器（装有 YAML 扩展的 VS Code）在输入时补全并检查 "
           "YAML。\n\n每个源文件在第一行写明它的 schema，例如 "
           "`# yaml-language-server: $schema=../schemas/procedure.schema.json`。"))
def schema(
    folder: Annotated[Path, typer.Argument(help=_("schema 文件写到哪个文件夹。"))] = Path(
        "schemas"
    ),
) -> None:
    from generator.schema import write_schemas

    for path in run(lambda: write_schemas(folder)):
        out.print(_("已写出 {path}").format(path=path), markup=False)


@app.command(
    short_help=_("为另一家公司新建文件集。"),
    help=_("为另一家公司新建文件集：公司设置、部门与岗位、网站配置、可在 Word 中修改的程序文件"
           "模板（templates/procedure.docx）、git 仓库和空的 wenkong.lock，可直接运行 "
           "`wenkong validate` 和 `wenkong build`。\n\n"
           "没有用选项给出的公司选择（公司名称、编号前缀、版式、文控部门名称）在终端中逐项询问；"
           "不在终端中运行时用默认值。示例程序文件 QP-01 和表单 QR-01-01 只在加 --example "
           "时创建。"))
def init(
    folder: Annotated[Path, typer.Argument(help=_("新文件集的文件夹。"))],
    company: Annotated[str | None, typer.Option(
        help=_("页眉中的公司名称。"), show_default=False)] = None,
    code_prefix: Annotated[str | None, typer.Option(
        "--code-prefix", help=_("印在每个编号前的公司前缀，例如 HX-（HX-QP-15）。默认：无。"),
        show_default=False)] = None,
    layout: Annotated[str | None, typer.Option(
        "--layout", help=_("条款编号与章节标题的版式：standard（1 目的，4.2）、decimal-zero"
                           "（1.0 目的，权责）、chinese（一、目的）。默认：standard。"),
        show_default=False)] = None,
    office: Annotated[str | None, typer.Option(
        "--office", help=_("文控部门的名称，例如 文控中心、综合办公室、行政部。默认：文控中心。"),
        show_default=False)] = None,
    example: Annotated[bool, typer.Option(
        "--example", help=_("同时创建示例程序文件 QP-01 和表单 QR-01-01（草稿）。"))] = False,
    git: Annotated[bool, typer.Option(
        "--git/--no-git", help=_("在新文件夹中运行 git init。"))] = True,
) -> None:
    from generator.scaffold import OFFICE_DEFAULT, init_document_set, layout_presets

    asking = sys.stdin.isatty()

    def choose(value: str | None, question: str, default: str) -> str:
        if value is not None:
            return value
        return str(typer.prompt(question, default=default)) if asking else default

    presets = layout_presets()
    if layout is None and asking:
        for name, preset in presets.items():
            out.print(f"  {name:<13} {preset['description']}", markup=False)
    chosen_company = choose(company, _("公司名称"), "示例有限公司")
    chosen_prefix = choose(code_prefix, _("编号前缀（没有就直接回车）"), "")
    chosen_layout = choose(layout, _("版式"), "standard")
    chosen_office = choose(office, _("文控部门名称"), OFFICE_DEFAULT)
    created = run(lambda: init_document_set(
        folder, chosen_company, example=example, code_prefix=chosen_prefix,
        layout=chosen_layout, office=chosen_office, control=git))
    out.print(_("已在 {folder} 中创建 {count} 个文件。下一步：wenkong validate {folder}").format(
        folder=folder, count=len(created)), markup=False)
    if git and not (folder / ".git").exists():
        err.print(_("警告：没有找到 git，未建立 git 仓库；发布记录需要 git（安装后运行 git init）"),
                  style="yellow", markup=False)


@new_app.command("procedure", short_help=_("新建一个草稿程序文件。"),
                 help=_("由模板新建草稿 procedures/编号.yaml。已有同名文件时拒绝覆盖。"))
def new_procedure(
    code: Annotated[str | None, typer.Argument(
        help=_("编号，例如 QP-17；默认：下一个未用的 QP 编号。"), show_default=False)] = None,
    title: Annotated[str, typer.Argument(help=_("文件名称，例如 仓库管理程序。"))] = "新程序文件",
    root: Annotated[Path | None, typer.Option(help=_("文件集所在的文件夹。"))] = None,
) -> None:
    from generator.scaffold import new_procedure as make

    path = run(lambda: make(root or default_root(), code, title))
    out.print(_("已创建 {path}").format(path=path), markup=False)


@new_app.command("form", short_help=_("新建一个草稿表单，并列入其程序文件的质量记录。"),
                 help=_("由模板新建草稿 forms/编号.yaml，并把它列入所属程序文件的质量记录。"
                        "已有同名文件时拒绝覆盖。"))
def new_form(
    code: Annotated[str | None, typer.Argument(
        help=_("编号，例如 QR-15-03；默认：该程序文件下一个未用的编号。"),
        show_default=False)] = None,
    title: Annotated[str, typer.Argument(help=_("表单名称，例如 顾客回访记录表。"))] = "新表单",
    procedure: Annotated[str, typer.Option(help=_("表单所属程序文件的编号。"))] = "",
    root: Annotated[Path | None, typer.Option(help=_("文件集所在的文件夹。"))] = None,
) -> None:
    from generator.scaffold import new_form as make

    path = run(lambda: make(root or default_root(), code, title, procedure))
    out.print(_("已创建 {path}").format(path=path), markup=False)


@app.command(
    short_help=_("由 YAML 源文件生成 Word 程序文件、空白表单和文件网站。"),
    help=_("由 YAML 源文件生成 Word 程序文件、空白表单和文件网站。\n\n"
           "源文件有错误时什么也不写，上一次的生成结果保持原样。\n\n"
           "只重新生成有改动的文件：每个文件的生成结果存在文件集的 .wenkong-cache/ 文件夹中，"
           "按它的内容、它引用的文件、模板、设置和 Wenkong 的版本查找；这些都没变的文件直接"
           "取自缓存，结果与从头生成的完全相同。缓存可以随时删除（损坏的缓存会被忽略）；"
           "--no-cache 不读也不写缓存，从头生成全部文件。"))
def build(
    root: RootOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help=_("输出文件夹。默认：文件集中的 build/。"),
        show_default=False)] = None,
    pdf: Annotated[bool, typer.Option(
        help=_("同时为每个文件生成 PDF（需要 LibreOffice）。"))] = False,
    only: Annotated[list[str] | None, typer.Option(
        help=_("只生成这些输出：procedures、forms、site（可重复此选项）。"),
        show_default=False)] = None,
    version: Annotated[list[str] | None, typer.Option(
        "--version", help=_("按发布时的原样重建一个已发布版本，例如 QP-01@A/1（取自 git "
                            "历史；可重复此选项），写到输出文件夹的 versions/ 中。"),
        show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help=_("不使用缓存（.wenkong-cache/），从头生成全部文件。"))] = False,
) -> None:
    if version:
        from generator.control.rebuild import write_versions

        for path in run(lambda: write_versions((root or default_root()).resolve(), version,
                                               output)):
            out.print(_("已写出 {path}").format(path=path), markup=False)
        return
    from generator.build import BuildOptions, reused_files
    from generator.build import build as run_build
    from generator.cache import BuildCache, set_cache
    from generator.progress import progress_bar
    from generator.resolve import load_document_set

    folder = (root or default_root()).resolve()
    cache = BuildCache(None) if no_cache else set_cache(folder)

    def action() -> tuple[int, list[str]]:
        docset = load_document_set(folder, cache=cache)
        print_problems(docset.warnings)
        target = output or folder / docset.settings.output_dir
        with progress_bar() as report:
            files = run_build(docset, BuildOptions(
                root=folder, output=target, pdf=pdf, only=frozenset(only or ()),
                progress=report, cache=cache))
        return len(files), set_aside(docset, frozenset(only or ()))

    count, notes = run(action)
    reused = reused_files(cache)
    if reused:
        out.print(_("已生成 {count} 个文件（重新生成 {made} 个，其余 {reused} 个取自缓存）").format(
            count=count, made=count - reused, reused=reused), markup=False)
    else:
        out.print(_("已生成 {count} 个文件").format(count=count), markup=False)
    for note in notes:
        out.print(note, markup=False)


def set_aside(docset: DocumentSet, only: frozenset[str] = frozenset()) -> list[str]:
    """What the build did not put among the current documents, and why (obsolete ones)."""
    from generator.model.procedure import Status

    def built(output: str) -> bool:
        return not only or output in only

    archived = [code for code, doc in docset.procedures.items()
                if doc.status is Status.obsolete and built("procedures")]
    forms = [code for code, doc in docset.forms.items()
             if doc.status is Status.obsolete and built("forms")]
    notes = []
    if archived:
        notes.append(_("作废的程序文件只放在 archive/ 中，不与现行文件放在一起：{codes}").format(
            codes="、".join(archived)))
    if forms:
        notes.append(_("未生成空白表单（已作废，不再使用）：{codes}").format(
            codes="、".join(forms)))
    return notes


from generator.control import commands as _control_commands  # noqa: E402,F401 (registers)


@records_app.command(
    "import", short_help=_("读取填好的表单，归档为质量记录。"),
    help=_("读取填好的表单，归档为质量记录。\n\n"
           "给出一个 .docx 或存放它们的文件夹（用 Word 或 LibreOffice 填写）。每份表单都按它的"
           "空白表单检查：必须是现行版本，必填项已填，日期写成日期（2026-11-23），数字写成数字，"
           "单选处只勾一项。\n\n"
           "每份表单存为 records/<表单编号>/<编号>.json，records/<表单编号>/register.csv"
           "（可用 Excel 打开）列出该表单的全部记录。同一份表单再导入一次不会改变任何内容。"
           "任何一个文件有问题时，列出每个问题及其文件和栏位，并且什么也不写：改好表单后再运行"
           "一次。"))
def records_import(
    files: Annotated[list[Path], typer.Argument(
        help=_("要归档的填好的表单（.docx），或存放它们的文件夹。"),
        metavar=_("文件或文件夹"), show_default=False)],
    records_dir: Annotated[Path | None, typer.Option(
        "--records-dir", help=_("记录存放的位置。默认：文件集中的 records/。"),
        show_default=False)] = None,
    root: Annotated[Path | None, typer.Option(
        help=_("文件集所在的文件夹（含 wenkong.yaml 的那个）。"), show_default=False)] = None,
    replace: Annotated[bool, typer.Option(
        help=_("同一编号下已归档的记录，用这份表单的内容替换。"))] = False,
) -> None:
    from generator.progress import progress_bar
    from generator.records import ImportResult, import_records
    from generator.resolve import load_document_set

    folder = (root or default_root()).resolve()

    def action() -> ImportResult:
        docset = load_document_set(folder)
        target = records_dir or folder / "records"
        with progress_bar() as report:
            return import_records(
                files, docset, target, replace=replace, named=records_dir is not None,
                progress=lambda done, total: report(_("读取表单"), done, total))

    result = run(action)
    lines = ([(_("新归档"), f) for f in result.added] + [(_("替换"), f) for f in result.replaced]
             + [(_("未变"), f) for f in result.unchanged])
    for what, filed in lines[:100]:
        out.print(f"{what:<9} {filed.form} {filed.key}  {filed.record}  <- {filed.source}",
                  markup=False)
    if len(lines) > 100:
        out.print(_("……另有 {count} 条").format(count=len(lines) - 100), markup=False)
    out.print(_("新归档 {added} 份记录，替换 {replaced} 份，{unchanged} 份早已归档（未变）").format(
        added=len(result.added), replaced=len(result.replaced),
        unchanged=len(result.unchanged)), markup=False)
    for register in result.registers:
        out.print(_("登记表：{path}").format(path=register), markup=False)


@app.command(
    "import", short_help=_("把现有的 Word 程序文件和表单导入为草稿 YAML。"),
    help=_("把现有的 Word 程序文件和表单导入为草稿 YAML。\n\n"
           "读取条款编号（手打的 1.0、3.1、一、（一）、第一条，或 Word 自动编号）、封面或页眉表格"
           "（文件编号、版本、编制/审核/批准、日期）、修改履历、流程表、其他表格、列表和公式；"
           "表格式表单变成表单定义。旧版 .doc 和 WPS 文件先由 LibreOffice 转换。\n\n"
           "每个文件写成 procedures/ 或 forms/ 下的一个 YAML（状态为草稿），推断出来的内容标有"
           "“# 导入推断”注释；已有的文件不会被覆盖，除非加 --replace。某个文件读不了，只报告该"
           "文件，其余照常导入。最后在终端和 import-report.md 中给出报告：每个文件导入了什么、"
           "推断了什么、保真度（原文字符按顺序出现在重建的 Word 文档中的比例）。有文件失败时退出"
           "码为 1。"))
def import_word(
    files: Annotated[list[Path], typer.Argument(
        help=_("要导入的 Word 文件（.docx、.doc、.wps）或文件夹。"), metavar=_("文件或文件夹"),
        show_default=False)],
    root: Annotated[Path | None, typer.Option(
        help=_("导入到哪个文档集（含 wenkong.yaml 的文件夹）。默认：当前文件夹。"),
        show_default=False)] = None,
    replace: Annotated[bool, typer.Option(
        help=_("覆盖文档集中已有的同编号 YAML 文件（默认不覆盖）。"))] = False,
    report: Annotated[Path | None, typer.Option(
        help=_("导入报告（Markdown）写到哪里。默认：文档集中的 import-report.md。"),
        show_default=False)] = None,
) -> None:
    from generator.importer.report import markdown, summary_lines
    from generator.importer.run import ImportReport, import_documents
    from generator.progress import progress_bar
    from generator.write import write_file

    folder = (root or Path.cwd()).resolve()  # never the bundled sample set

    def action() -> ImportReport:
        with progress_bar() as progress:
            result = import_documents(files, folder, replace=replace, progress=progress)
        target = report or folder / "import-report.md"
        write_file(target, markdown(result, folder).encode("utf-8"))
        result.report_file = target
        return result

    result = run(action)
    for line in summary_lines(result, folder):
        out.print(line, markup=False)
    out.print(_("报告：{path}").format(path=result.report_file), markup=False)
    if result.failed:
        raise typer.Exit(1)


@app.command(
    short_help=_("在本机预览文件网站，源文件一改就重新生成。"),
    help=_("生成文件网站并在 http://127.0.0.1:端口/ 上预览；YAML 源文件一有改动就重新生成"
           "网页（浏览器自动刷新）。按 Ctrl+C 停止。"))
def serve(
    root: RootOption = None,
    port: Annotated[int, typer.Option(help=_("127.0.0.1 上的端口。"))] = 8000,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help=_("生成文件夹。默认：文件集中的 build/。"),
        show_default=False)] = None,
) -> None:
    from generator.render.site.serve import serve_site

    folder = (root or default_root()).resolve()
    run(lambda: serve_site(folder, output, port,
                           report=lambda line: err.print(line, markup=False, emoji=False)))


def main() -> None:
    """Console entry point: never show a Python traceback for user input."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    try:
        app()
    except SystemExit:
        raise
    except Exception:  # a bug, not a user error: say so plainly
        if os.environ.get("WENKONG_DEBUG"):
            raise
        err.print(_("wenkong 内部错误（是程序的缺陷，不是您文件的问题）："), style="bold red")
        err.print(traceback.format_exc(limit=-3), markup=False)
        sys.exit(2)
    finally:
        # The command is over and the process ends: nothing needs collecting any more. Without
        # this the cyclic collector walks every object once more on the way out (a loaded set
        # of 1,000 + 1,000 documents: half a second).
        gc.freeze()


if __name__ == "__main__":
    main()
