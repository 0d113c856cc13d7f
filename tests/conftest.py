"""Shared fixtures: a small valid document set made by `wenkong init`, and the sample set."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from generator.cache import CACHE_DIR_VARIABLE
from generator.errors import Problem, SourceErrors
from generator.resolve import load_document_set
from generator.scaffold import init_document_set

REPO = Path(__file__).resolve().parent.parent

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
# Messages are Chinese by default and English when the locale says so (generator/i18n.py): tests
# run in the default language whatever the machine's locale; a test that wants English sets
# LANGUAGE=en (monkeypatch.setenv or a subprocess environment).
os.environ["LANGUAGE"] = "zh_CN"
# Commands keep a cache in the set's .wenkong-cache/ (generator/cache.py): for the tests, one
# folder outside the repository (the sample set is the repository itself), shared by every test
# and subprocess (entries are keyed by content) and removed at the end.
_CACHE = tempfile.mkdtemp(prefix="wenkong-test-cache-")
os.environ[CACHE_DIR_VARIABLE] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


@pytest.fixture
def docset_dir(tmp_path: Path) -> Path:
    """A fresh valid document set (settings, roles, QP-01, QR-01-01) to break on purpose."""
    root = tmp_path / "set"
    init_document_set(root, "测试有限公司", example=True)
    return root


def problems(root: Path) -> list[Problem]:
    """All problems (errors and warnings) the loader reports for `root`."""
    try:
        return load_document_set(root).warnings
    except SourceErrors as exc:
        return exc.problems


def errors(root: Path) -> list[str]:
    return [str(p) for p in problems(root) if p.severity == "error"]
