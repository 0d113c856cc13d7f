"""Helpers for the control tests: a document set from `wenkong init` in a real git repository,
and the `wenkong` command run in-process (CliRunner) with its exit code and messages."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from generator.cli import app
from generator.scaffold import init_document_set

GIT_ENV = {
    "GIT_AUTHOR_NAME": "文控中心", "GIT_AUTHOR_EMAIL": "dc@example.com",
    "GIT_COMMITTER_NAME": "文控中心", "GIT_COMMITTER_EMAIL": "dc@example.com",
    "GIT_CONFIG_NOSYSTEM": "1", "HOME": "/nonexistent-home-for-tests",
}


def git(root: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          env=env, check=True)
    return done.stdout


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def new_repo(folder: Path) -> Path:
    """A fresh valid set (QP-01 draft, QR-01-01 draft) committed in a new git repository."""
    init_document_set(folder, "测试精密机械有限公司", example=True)
    git(folder, "init", "-q", "-b", "main")
    commit(folder, "start")
    return folder


class Result:
    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


def wenkong(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return Result(result.exit_code, result.stdout, result.stderr)


def release(root: Path, code: str = "QP-01", summary: str = "首次发行", *extra: str,
            date: str = "2026-01-05") -> Result:
    return wenkong("release", code, "--summary", summary, "--approved-by", "gm/王强",
                   "--date", date, "--root", str(root), *extra)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every source file and the lock, to prove a failed command wrote nothing."""
    files = [*root.glob("procedures/*.yaml"), *root.glob("forms/*.yaml"), root / "wenkong.lock"]
    return {p.name: p.read_bytes() for p in files if p.exists()}
