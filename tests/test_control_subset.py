"""Control: one document resolved with what it cites (generator/control/subset.py) comes out
exactly as the whole set resolves it, in the working folder and at an old commit, and falls
back to the whole set when its closure does not resolve alone."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from generator.cache import CACHE_DIR_VARIABLE
from generator.control import lock as lock_module
from generator.control.content import units_of
from generator.control.history import docset_at
from generator.control.lock import (
    LockedDocument,
    LockedObsolete,
    LockedVersion,
    LockFile,
    _spliced,
    dump_lock,
    read_lock,
    read_lock_text,
)
from generator.control.rebuild import render_document
from generator.control.subset import closure, document_at, working_closure, working_subset
from generator.errors import SourceErrors
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


# --- the lock: read once per text, rewritten entry by entry -------------------------------------


def test_a_lock_rewritten_entry_by_entry_is_the_lock_written_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "cache"))  # no text marked yet
    shutil.copy(REPO / "wenkong.lock", tmp_path / "wenkong.lock")
    lock, _source, data = read_lock_text(tmp_path)
    assert lock is not None and data is not None
    assert dump_lock(lock) == data  # the sample's lock is as dump_lock writes it
    new = lock.model_copy(deep=True)
    entry = next(iter(new.documents.values()))
    for version in entry.versions:
        version.units = None
    entry.versions.append(LockedVersion(
        version="Z/9", date=dt.date(2026, 11, 30), summary="改: \"引号\" #井号 'x' - 列表",
        clauses="全文", author="张工", approved_by="gm/王总", fingerprint="sha256:00"))
    last = next(reversed(new.documents))
    new.documents[last].obsolete = LockedObsolete(date=dt.date(2026, 11, 30), reason="合并")
    new.documents["AAA-00"] = LockedDocument(kind="form", source="forms/AAA-00.yaml",
                                             versions=[LockedVersion(version="A/0",
                                                                     date=dt.date(2026, 1, 1))])
    new.documents = dict(sorted(new.documents.items()))
    whole = dump_lock(new)
    spliced = _spliced(new, lock, data)
    assert spliced is not None and spliced[0] == whole.decode("utf-8")
    text = data.decode("utf-8")
    first = text.index("\n  ", text.index("documents:")) + 1
    for odd in (text[:first] + "\n" + text[first:],  # a blank line
                text[:first] + " " + text[first:],  # an entry indented deeper
                text.replace("\nlock_format:", "\n# note\nlock_format:")):  # a comment
        assert _spliced(new, lock, odd.encode("utf-8")) is None
    calls: list[object] = []
    real = yaml.safe_dump

    def counting(data: object, **options: object) -> str:
        calls.append(data)
        return str(real(data, **options))

    monkeypatch.setattr(lock_module.yaml, "safe_dump", counting)
    # A text dump_lock did not write (as far as the cache knows) is not trusted: whole dump.
    assert dump_lock(new, (lock, data), tmp_path) == whole
    assert len(calls) == 1
    calls.clear()
    dump_lock(lock, None, tmp_path)  # written by dump_lock: marked
    calls.clear()
    assert dump_lock(new, (lock, data), tmp_path) == whole
    assert len(calls) == 4  # the tail and the three changed entries, each alone
    assert {code for call in calls[1:] for code in call["documents"]} == {  # type: ignore[index]
        "AAA-00", entry_code(new, entry), last}
    # The next command reads the new text from the cache, as it would have parsed it.
    (tmp_path / "wenkong.lock").write_bytes(whole)
    lock_module._READ.clear()
    monkeypatch.setattr(lock_module, "read_yaml", None)
    assert read_lock(tmp_path)[0] == new
    monkeypatch.undo()
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "empty"))
    lock_module._READ.clear()
    assert read_lock(tmp_path)[0] == new


def entry_code(lock: LockFile, entry: LockedDocument) -> str:
    return next(code for code, found in lock.documents.items() if found is entry)


def test_a_lock_is_validated_once_per_text(tmp_path: Path) -> None:
    shutil.copy(REPO / "wenkong.lock", tmp_path / "wenkong.lock")
    first, _source = read_lock(tmp_path)
    lock_module._READ.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lock_module, "read_yaml", None)  # the cached lock needs no parse
        second, source = read_lock(tmp_path)
    assert second == first and source is not None
    path = tmp_path / "wenkong.lock"
    path.write_text(path.read_text(encoding="utf-8").replace("documents:", "<<<<<<< HEAD\n"
                                                             "documents:"), encoding="utf-8")
    with pytest.raises(SourceErrors):  # a changed text is read again, and refused
        read_lock(tmp_path)


def test_fingerprints_are_kept_between_validations(
        sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "set"
    shutil.copytree(sample, root, ignore=shutil.ignore_patterns(".git"))
    shutil.copy(REPO / "wenkong.lock", root / "wenkong.lock")
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    load_document_set(root)  # reads the files, fills the load cache
    load_document_set(root)  # models from the load cache: their fingerprints computed, kept

    def refused(model: object) -> str:
        raise AssertionError("fingerprint computed again")

    monkeypatch.setattr(lock_module, "fingerprint", refused)
    load_document_set(root)  # the same models: every fingerprint from the cache
    monkeypatch.undo()
    monkeypatch.setenv(CACHE_DIR_VARIABLE, str(tmp_path / "cache"))
    path = root / "procedures" / "QP-01.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("purpose: ", "purpose: 新", 1),
                    encoding="utf-8")
    with pytest.raises(SourceErrors) as raised:  # a changed document is fingerprinted again
        load_document_set(root)
    found = "\n".join(str(problem) for problem in raised.value.problems)
    assert "QP-01" in found and "已发布的版本不能改动" in found
