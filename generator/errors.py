"""Errors for user input: every problem carries file, line, column and field path.

Loaders and the resolver collect problems and raise once (`SourceErrors`); the CLI prints them
as `file:line:col: field.path: message` and exits 1. A traceback that reaches a user is a bug.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from generator.i18n import _


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the sources, pinned to where the user can fix it."""

    file: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = Severity.error
    # Printed before the others: CAUSE for a file that could not be read (its errors explain
    # what follows), NOT_CHECKED for the line saying which checks that skipped.
    priority: int = dataclasses.field(default=0, compare=False)

    CAUSE = 2
    NOT_CHECKED = 1

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        level = "" if self.severity is Severity.error else " " + _("警告") + ":"
        return f"{self.file}:{self.line}:{self.column}:{level}{field} {self.message}"


class WenkongError(Exception):
    """Base of every error the CLI turns into a clear message and exit status 1."""


class SourceErrors(WenkongError):
    """One or more problems in the document set. `problems` holds errors and warnings."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (-p.priority, p))
        errors = [p for p in self.problems if p.severity is Severity.error]
        super().__init__(_("文件集中有 {count} 个问题").format(count=len(errors)))

    def __reduce__(self) -> tuple[type[SourceErrors], tuple[list[Problem]]]:
        # Raised in a worker process, it must cross back whole (not rebuilt from its message).
        return (type(self), (self.problems,))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.error]


class UsageError(WenkongError):
    """A command was asked for something it cannot do (unknown code, file exists …)."""


def display_path(path: Path, root: Path | None = None) -> str:
    """A path as the user should read it: relative to the document set when inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()
