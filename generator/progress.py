"""Progress display for long commands (rich). Quiet when output is not a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from generator.contract import Progress as Report
from generator.i18n import _


def label(what: str) -> str:
    """The progress line's words for a stage: renderers report plain keys (procedures, forms)."""
    known = {"procedures": _("程序文件"), "forms": _("空白表单"), "site": _("网站"),
             "pdf": "PDF"}
    return known.get(what, what)


@contextmanager
def progress_bar() -> Iterator[Report]:
    """Yield a `report(what, done, total)` callback that draws one bar per kind of output."""
    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=False, disable=not console.is_terminal,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = progress.add_task(label(what), total=total)
            progress.update(tasks[what], completed=done, total=total)

        yield report
