"""What every `wenkong` command shares: the app and its sub-apps, the consoles, the default
document set, and `run`, which turns a user-input problem into a message and exit code 1.

The commands live in generator/cli.py and generator/control/commands.py; both import this
module, and neither imports the other's commands (cli.py imports commands.py only to register
them).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from generator.errors import Problem, Severity, SourceErrors, UsageError, WenkongError
from generator.i18n import _, localize_click

localize_click()

app = typer.Typer(
    name="wenkong",
    help=_(
        "文控 Wenkong：把质量部的受控文件（程序文件、表单、部门与岗位）保存为 YAML 文件，"
        "并由它们生成 Word 程序文件、空白表单和供审核员查阅的文件网站。\n\n"
        "在命令后加 --help 查看它的用法，例如 `wenkong validate --help`。"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
new_app = typer.Typer(help=_("由模板新建一个程序文件或表单文件。"),
                      short_help=_("新建程序文件或表单。"), no_args_is_help=True)
app.add_typer(new_app, name="new")
records_app = typer.Typer(
    help=_("质量记录：把填好的表单作为经过校验的记录归档。"),
    short_help=_("导入填好的表单，归档为质量记录。"), no_args_is_help=True)
app.add_typer(records_app, name="records")

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

T = TypeVar("T")

RootOption = Annotated[
    Path | None,
    typer.Argument(
        help=_("文件集所在的文件夹（含 wenkong.yaml 的那个）。默认：当前文件夹含 wenkong.yaml "
               "时用当前文件夹，否则用 Wenkong 自带的示例文件集。"),
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
        err.print(_("……另有 {count} 条").format(count=len(problems) - limit), style="red")


def run(action: Callable[[], T]) -> T:
    """Call a command's function; turn every user-input problem into a message and exit 1."""
    try:
        return action()
    except SourceErrors as exc:
        print_problems(exc.problems)
        errors = len(exc.errors)
        warnings = len(exc.problems) - errors
        err.print(_("{errors} 个错误，{warnings} 个警告").format(errors=errors, warnings=warnings),
                  style="bold red")
        raise typer.Exit(1) from None
    except (UsageError, WenkongError) as exc:
        err.print(_("错误：{message}").format(message=exc), style="bold red", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(_("已中断：没有改动任何文件"), style="red")
        raise typer.Exit(130) from None
