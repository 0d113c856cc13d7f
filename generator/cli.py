"""The `wenkong` command: parse arguments, call one function, print errors. No logic here."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from generator.errors import Problem, Severity, SourceErrors, UsageError, WenkongError

app = typer.Typer(
    name="wenkong",
    help=(
        "文控 Wenkong: keeps the quality department's controlled documents (procedures, forms, "
        "roles) as YAML files and builds Word documents, blank forms and the auditors' site "
        "from them.\n\nRun a command with --help to see what it does, e.g. `wenkong validate "
        "--help`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
new_app = typer.Typer(help="Add a new procedure or form file from a skeleton.",
                      no_args_is_help=True)
app.add_typer(new_app, name="new")
records_app = typer.Typer(
    help="Quality records (质量记录): file filled-in forms as validated records.",
    no_args_is_help=True)
app.add_typer(records_app, name="records")

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

T = TypeVar("T")

RootOption = Annotated[
    Path | None,
    typer.Argument(
        help="Folder of the document set (the one holding wenkong.yaml). Default: the current "
        "folder if it holds one, otherwise the sample set shipped with Wenkong.",
        show_default=False,
    ),
]


def default_root() -> Path:
    """The current folder when it is a document set, else the bundled sample set."""
    here = Path.cwd()
    if (here / "wenkong.yaml").is_file():
        return here
    bundled = Path(__file__).resolve().parent.parent
    if (bundled / "wenkong.yaml").is_file():
        return bundled
    return here


def print_problems(problems: list[Problem], *, limit: int = 200) -> None:
    for problem in problems[:limit]:
        style = "yellow" if problem.severity is Severity.warning else "red"
        err.print(str(problem), style=style, markup=False)
    if len(problems) > limit:
        err.print(f"… and {len(problems) - limit} more", style="red")


def run(action: Callable[[], T]) -> T:
    """Call a command's function; turn every user-input problem into a message and exit 1."""
    try:
        return action()
    except SourceErrors as exc:
        print_problems(exc.problems)
        errors = len(exc.errors)
        warnings = len(exc.problems) - errors
        err.print(f"{errors} error(s), {warnings} warning(s)", style="bold red")
        raise typer.Exit(1) from None
    except (UsageError, WenkongError) as exc:
        err.print(f"error: {exc}", style="bold red", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was changed", style="red")
        raise typer.Exit(130) from None


@app.command()
def validate(root: RootOption = None) -> None:
    """Check every document of the set and list all problems.

    Each problem is printed as file:line:column: field: message. Exit status 0 when the set is
    clean (warnings allowed), 1 when anything must be fixed.
    """
    from generator.resolve import load_document_set

    folder = root or default_root()
    docset = run(lambda: load_document_set(folder))
    print_problems(docset.warnings)
    out.print(
        f"OK: {len(docset.procedures)} procedures, {len(docset.forms)} forms, "
        f"{len(docset.roles)} roles in {folder}"
        + (f" ({len(docset.warnings)} warning(s))" if docset.warnings else ""),
        markup=False,
    )


@app.command()
def schema(
    folder: Annotated[Path, typer.Argument(help="Where to write the schema files.")] = Path(
        "schemas"
    ),
) -> None:
    """Write JSON Schema files so that editors (VS Code with the YAML extension) complete and
    check the YAML while you type.

    Each source file names its schema on its first line, e.g.
    `# yaml-language-server: $schema=../schemas/procedure.schema.json`.
    """
    from generator.schema import write_schemas

    for path in run(lambda: write_schemas(folder)):
        out.print(f"wrote {path}", markup=False)


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="New folder for the document set.")],
    company: Annotated[str, typer.Option(help="Company name for headers.")] = "示例有限公司",
) -> None:
    """Start a new document set for another company: settings, roles, one procedure, one
    form and the site configuration, ready for `wenkong validate` and `wenkong build`."""
    from generator.scaffold import init_document_set

    created = run(lambda: init_document_set(folder, company))
    out.print(f"created {len(created)} files in {folder}. Next: wenkong validate {folder}",
              markup=False)


@new_app.command("procedure")
def new_procedure(
    code: Annotated[str | None, typer.Argument(help="Code such as QP-17; default: the next "
                                               "free QP number.", show_default=False)] = None,
    title: Annotated[str, typer.Argument(help="Title, e.g. 仓库管理程序.")] = "新程序文件",
    root: Annotated[Path | None, typer.Option(help="Document set folder.")] = None,
) -> None:
    """Add procedures/CODE.yaml as a draft skeleton. Refuses to overwrite an existing file."""
    from generator.scaffold import new_procedure as make

    path = run(lambda: make(root or default_root(), code, title))
    out.print(f"created {path}", markup=False)


@new_app.command("form")
def new_form(
    code: Annotated[str | None, typer.Argument(help="Code such as QR-15-03; default: the next "
                                               "free number under the procedure.",
                                               show_default=False)] = None,
    title: Annotated[str, typer.Argument(help="Title, e.g. 顾客回访记录表.")] = "新表单",
    procedure: Annotated[str, typer.Option(help="Code of the procedure the form belongs to.")]
    = "",
    root: Annotated[Path | None, typer.Option(help="Document set folder.")] = None,
) -> None:
    """Add forms/CODE.yaml as a draft skeleton and list it in its procedure's records.
    Refuses to overwrite an existing file."""
    from generator.scaffold import new_form as make

    path = run(lambda: make(root or default_root(), code, title, procedure))
    out.print(f"created {path}", markup=False)


@app.command()
def build(
    root: RootOption = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Output folder. Default: build/ inside the document set.",
        show_default=False)] = None,
    pdf: Annotated[bool, typer.Option(
        help="Also write a PDF of every document (needs LibreOffice).")] = False,
    only: Annotated[list[str] | None, typer.Option(
        help="Build only these outputs: procedures, forms, site (repeat the option).",
        show_default=False)] = None,
    version: Annotated[list[str] | None, typer.Option(
        "--version", help="Rebuild a released version exactly as it was released, e.g. "
        "QP-01@A/1 (from git history; repeat the option). Written to versions/ in the "
        "output folder.", show_default=False)] = None,
) -> None:
    """Build the Word procedures, the blank forms and the site from the YAML sources.

    Nothing is written when a source has an error; the previous build stays as it was.
    """
    if version:
        from generator.control.rebuild import write_versions

        for path in run(lambda: write_versions((root or default_root()).resolve(), version,
                                               output)):
            out.print(f"wrote {path}", markup=False)
        return
    from generator.build import BuildOptions
    from generator.build import build as run_build
    from generator.progress import progress_bar
    from generator.resolve import load_document_set

    folder = (root or default_root()).resolve()

    def action() -> int:
        docset = load_document_set(folder)
        print_problems(docset.warnings)
        target = output or folder / docset.settings.output_dir
        with progress_bar() as report:
            files = run_build(docset, BuildOptions(
                root=folder, output=target, pdf=pdf, only=frozenset(only or ()),
                progress=report))
        return len(files)

    count = run(action)
    out.print(f"built {count} files", markup=False)


from generator.control import commands as _control_commands  # noqa: E402,F401 (registers)


@records_app.command("import")
def records_import(
    files: Annotated[list[Path], typer.Argument(
        help="Filled-in forms (.docx) to file, or folders holding them.",
        metavar="FILE_OR_FOLDER", show_default=False)],
    records_dir: Annotated[Path | None, typer.Option(
        "--records-dir", help="Where records are kept. Default: records/ inside the "
        "document set.", show_default=False)] = None,
    root: Annotated[Path | None, typer.Option(
        help="Document set folder (the one holding wenkong.yaml).", show_default=False)] = None,
    replace: Annotated[bool, typer.Option(
        help="Replace a record already filed under the same 编号 with this form's values.")]
    = False,
) -> None:
    """Read filled-in forms and file them as records.

    Give one .docx or a folder of them (filled in Word or LibreOffice). Each form is checked
    against its blank form: it must be the current version, required boxes filled in, dates
    written as dates (2026-11-23), numbers as numbers, one box ticked where only one may be.

    Each form becomes records/<form code>/<编号>.json, and records/<form code>/register.csv
    (opens in Excel) lists all records of that form. Importing the same form again changes
    nothing. If any file has a problem, every problem is listed with the file and the box,
    and nothing is written: fix the forms and run the command again.
    """
    from generator.progress import progress_bar
    from generator.records import ImportResult, import_records
    from generator.resolve import load_document_set

    folder = (root or default_root()).resolve()

    def action() -> ImportResult:
        docset = load_document_set(folder)
        target = records_dir or folder / "records"
        with progress_bar() as report:
            return import_records(
                files, docset, target, replace=replace,
                progress=lambda done, total: report("reading forms", done, total))

    result = run(action)
    lines = ([("new", f) for f in result.added] + [("replaced", f) for f in result.replaced]
             + [("unchanged", f) for f in result.unchanged])
    for what, filed in lines[:100]:
        out.print(f"{what:<9} {filed.form} {filed.key}  {filed.record}  <- {filed.source}",
                  markup=False)
    if len(lines) > 100:
        out.print(f"… and {len(lines) - 100} more", markup=False)
    out.print(f"filed {len(result.added)} new record(s), replaced {len(result.replaced)}, "
              f"{len(result.unchanged)} already filed (unchanged)", markup=False)
    for register in result.registers:
        out.print(f"register: {register}", markup=False)


@app.command("import")
def import_word(
    files: Annotated[list[Path], typer.Argument(
        help="要导入的 Word 文件（.docx、.doc、.wps）或文件夹。", metavar="FILE_OR_FOLDER",
        show_default=False)],
    root: Annotated[Path | None, typer.Option(
        help="导入到哪个文档集（含 wenkong.yaml 的文件夹）。默认：当前文件夹。",
        show_default=False)] = None,
    replace: Annotated[bool, typer.Option(
        help="覆盖文档集中已有的同编号 YAML 文件（默认不覆盖）。")] = False,
    report: Annotated[Path | None, typer.Option(
        help="导入报告（Markdown）写到哪里。默认：文档集中的 import-report.md。",
        show_default=False)] = None,
) -> None:
    """把现有的 Word 程序文件和表单导入为草稿 YAML。

    读取条款编号（手打的 1.0、3.1、一、（一）、第一条，或 Word 自动编号）、封面或页眉表格
    （文件编号、版本、编制/审核/批准、日期）、修改履历、流程表、其他表格、列表和公式；
    表格式表单变成表单定义。旧版 .doc 和 WPS 文件先由 LibreOffice 转换。

    每个文件写成 procedures/ 或 forms/ 下的一个 YAML（状态为草稿），推断出来的内容标有
    “# 导入推断”注释；已有的文件不会被覆盖，除非加 --replace。某个文件读不了，只报告该文件，
    其余照常导入。最后在终端和 import-report.md 中给出报告：每个文件导入了什么、推断了什么、
    保真度（原文字符按顺序出现在重建的 Word 文档中的比例）。有文件失败时退出码为 1。
    """
    from generator.importer.report import markdown, summary_lines
    from generator.importer.run import ImportReport, import_documents
    from generator.progress import progress_bar
    from generator.write import write_file

    folder = (root or default_root()).resolve()

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
    out.print(f"报告：{result.report_file}", markup=False)
    if result.failed:
        raise typer.Exit(1)


@app.command()
def serve(
    root: RootOption = None,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8000,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Build folder. Default: build/ inside the document set.",
        show_default=False)] = None,
) -> None:
    """Build everything, then preview the site on http://127.0.0.1:PORT/ and rebuild its
    pages whenever a YAML source changes (the browser reloads by itself). Ctrl+C stops."""
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
        err.print("internal error in wenkong (a bug, not a problem in your files):",
                  style="bold red")
        err.print(traceback.format_exc(limit=-3), markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
