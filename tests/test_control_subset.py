"""Control: one document resolved with what it cites (generator/control/subset.py) comes out
exactly as the whole set resolves it, in the working folder and at an old commit, and falls
back to the whole set when its closure does not resolve alone."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from generator.control.content import units_of
from generator.control.history import docset_at
from generator.control.rebuild import render_document
from generator.control.subset import closure, document_at, working_closure, working_subset
from generator.resolve import load_document_set
from tests.conftest import REPO
from tests.control_support import commit, git

SAMPLE_PARTS = ("wenkong.yaml", "roles.yaml", "procedures", "forms", "templates", "registers")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample set (17 procedures, 35 forms citing each other) in a git repository."""
    root = tmp_path_factory.mktemp("subset") / "set"
    root.mkdir()
    for name in SAMPLE_PARTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
        elif (REPO / name).is_file():
            shutil.copy(REPO / name, root / name)
    git(root, "init", "-q", "-b", "main")
    commit(root, "start")
    return root


def test_closure_follows_citations_transitively() -> None:
    files = {"A": ["p/A.yaml"], "B": ["p/B.yaml"], "C": ["f/C.yaml"], "D": ["p/D.yaml"]}
    texts = {"p/A.yaml": "code: A\ntext: 见【proc:B】", "p/B.yaml": "code: B\nrecords: [C]",
             "f/C.yaml": "code: C\nprocedure: B", "p/D.yaml": "code: D\ntext: 【proc:A】"}
    assert closure("A", files, lambda path: texts[path].encode()) == [
        "f/C.yaml", "p/A.yaml", "p/B.yaml"]
    assert closure("D", files, lambda path: texts[path].encode()) == [
        "f/C.yaml", "p/A.yaml", "p/B.yaml", "p/D.yaml"]
    assert closure("E", files, lambda path: texts[path].encode()) is None


def test_each_document_resolves_alone_as_in_the_whole_set(sample: Path) -> None:
    whole = load_document_set(sample, check_lock=False)
    smaller = 0
    for code in [*whole.procedures, *whole.forms]:
        alone, paths = working_subset(sample, code)
        assert paths is not None, code  # the closure resolved: no fall-back
        assert len(paths) == len(alone.procedures) + len(alone.forms)
        smaller += len(paths) < len(whole.procedures) + len(whole.forms)
        mine = alone.procedures.get(code) or alone.forms.get(code)
        theirs = whole.procedures.get(code) or whole.forms.get(code)
        assert mine == theirs, code
        assert mine is not None and theirs is not None
        assert units_of(mine) == units_of(theirs), code
    assert smaller == len(whole.procedures) + len(whole.forms)  # never the whole set
    for code in ("QP-01", next(iter(whole.forms))):
        assert render_document(working_subset(sample, code)[0], code) == \
            render_document(whole, code)


def test_a_file_not_named_after_its_code_falls_back_to_the_whole_set(
        sample: Path, tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(sample, root)
    whole = load_document_set(root, check_lock=False)
    procedure = whole.procedures["QP-01"]
    form = next(code for code in whole.forms if code in {
        record.form.code for record in procedure.records})
    (root / "forms" / f"{form}.yaml").rename(root / "forms" / "renamed.yaml")
    assert working_closure(root, "QP-01") is not None
    docset, paths = working_subset(root, "QP-01")
    assert paths is None  # the cited form was not found by its name: everything was loaded
    assert docset.procedures["QP-01"] == load_document_set(
        root, check_lock=False).procedures["QP-01"]


def test_an_old_commit_resolves_one_document_as_its_whole_tree(sample: Path) -> None:
    start = git(sample, "rev-parse", "HEAD").strip()
    procedure = load_document_set(sample, check_lock=False).procedures["QP-01"]
    form = procedure.records[0].form.code
    assert form is not None
    path = sample / "forms" / f"{form}.yaml"
    text = path.read_text(encoding="utf-8")
    try:  # a later commit renames the form QP-01 lists: each commit shows its own title
        path.write_text(text.replace("title: ", "title: 新", 1), encoding="utf-8")
        later = commit(sample, "later")
        titles = set()
        for commit_id in (start, later):
            one = document_at(sample, commit_id, "QP-01")
            whole = docset_at(sample, commit_id)
            assert len(one.procedures) + len(one.forms) < len(whole.procedures) + len(
                whole.forms)
            theirs = whole.procedures["QP-01"]  # read in another temporary folder
            assert replace(one.procedures["QP-01"], source=theirs.source) == theirs
            assert render_document(one, "QP-01") == render_document(whole, "QP-01")
            titles.add(one.procedures["QP-01"].records[0].form.text)
        assert len(titles) == 2
    finally:
        git(sample, "reset", "-q", "--hard", start)
