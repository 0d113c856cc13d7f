"""Control stage: one document resolved with what it cites, not the whole set.

A release, a diff or a rebuild concerns one document. Resolving it needs the settings, the roles
and the documents it cites (their titles, statuses, clause and formula numbers), not the other
thousand. So the control commands read the document's *citation closure*: its own file, the
file of every document code its text mentions, what those mention in turn, and so on. A code is
found by its file name (QP-01.yaml holds QP-01, as `wenkong validate` asks).

The closure is resolved by the normal stages (`load_document_set(only=...)`), so the document
comes out exactly as a whole-set resolve makes it: nothing a document prints or a diff compares
depends on a document it does not cite. When the closure does not resolve (a file not named
after its code, a real error in one of its files), the whole set is loaded instead: its errors
are the ones to report, and its result is right in every case.

An old version's closure is read from git (`git cat-file --batch`, only the files needed) into
a temporary folder with the set's other files (settings, roles, templates, pictures).
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from generator.cache import set_cache
from generator.control.history import GitError, Repo, docset_at, extract, git, repo_of
from generator.docset import DocumentSet
from generator.errors import SourceErrors
from generator.load import YAML_SUFFIXES, parse_yaml, to_model, yaml_names
from generator.model import Settings
from generator.resolve import SETTINGS_FILE

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def closure(code: str, files: dict[str, list[str]],
            read: Callable[[str], bytes | None]) -> list[str] | None:
    """The files of document `code` and of every document it cites, transitively.

    `files` maps a code (a file name without its suffix) to the files of that name; `read`
    gives a file's bytes. None when no file is named after `code`.
    """
    start = files.get(code)
    if not start:
        return None
    seen = set(start)
    todo = list(start)
    while todo:
        data = read(todo.pop())
        if data is None:
            continue
        for token in set(_TOKEN.findall(data.decode("utf-8", "replace"))):
            for path in files.get(token, ()):
                if path not in seen:
                    seen.add(path)
                    todo.append(path)
    return sorted(seen)


def _by_code(paths: Iterable[str]) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for path in paths:
        name = path.rpartition("/")[2]
        stem, dot, suffix = name.rpartition(".")
        if dot and f".{suffix}" in YAML_SUFFIXES:
            files.setdefault(stem, []).append(path)
    return files


def _settings(text: bytes, root: Path) -> Settings | None:
    try:
        source = parse_yaml(text.decode("utf-8"), root / SETTINGS_FILE, SETTINGS_FILE)
    except (SourceErrors, UnicodeDecodeError):
        return None
    return to_model(source, Settings, [])


def _resolved(root: Path, code: str, paths: list[str] | None, cache_root: Path
              ) -> DocumentSet | None:
    """The closure resolved, or None when it does not resolve to a set holding `code`."""
    from generator.resolve import load_document_set

    if paths is None:
        return None
    try:
        docset = load_document_set(root, check_lock=False, cache=set_cache(cache_root),
                                   only=paths)
    except SourceErrors:
        return None
    if code not in docset.procedures and code not in docset.forms:
        return None
    return docset


# --- the working folder ------------------------------------------------------------------------


def working_settings(root: Path) -> Settings | None:
    """The working folder's settings, or None when they are missing or do not read."""
    try:
        return _settings((root / SETTINGS_FILE).read_bytes(), root)
    except OSError:
        return None


def working_closure(root: Path, code: str) -> list[str] | None:
    """The files (relative to `root`) of `code` and what it cites, in the working folder."""
    settings = working_settings(root)
    if settings is None:
        return None
    listed = []
    for folder in (settings.procedures_dir, settings.forms_dir):
        relative = Path(folder).as_posix().strip("/")
        # the files the loader reads (`_jobs`), by the same listing
        listed += [f"{relative}/{name}" for name, _link in yaml_names(root / relative)]

    def read(path: str) -> bytes | None:
        try:
            return (root / path).read_bytes()
        except OSError:
            return None

    return closure(code, _by_code(listed), read)


def working_document(root: Path, code: str) -> DocumentSet:
    """The working folder's set resolved for `code`: its closure, else the whole set.

    Lock checks are off, as for every control command reading a draft. Raises the whole set's
    SourceErrors when the closure does not resolve and the set has errors.
    """
    return working_subset(root, code)[0]


def working_subset(root: Path, code: str) -> tuple[DocumentSet, list[str] | None]:
    """`working_document`, and the closure's files (None: the whole set was loaded)."""
    from generator.resolve import load_document_set

    root = root.resolve()
    paths = working_closure(root, code)
    docset = _resolved(root, code, paths, root)
    if docset is None:
        return load_document_set(root, check_lock=False), None
    return docset, paths


# --- a commit ----------------------------------------------------------------------------------


class _Blobs:
    """Files of one commit read through one `git cat-file --batch` process."""

    def __init__(self, repo: Repo, commit: str) -> None:
        self.repo = repo
        self.commit = commit
        try:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                ["git", "-C", str(repo.top), "cat-file", "--batch"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self.process = None

    def read(self, path: str) -> bytes | None:
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            return None
        process.stdin.write(f"{self.commit}:{self.repo.prefix}{path}\n".encode())
        process.stdin.flush()
        header = process.stdout.readline().split()
        if len(header) != 3:
            return None  # "<name> missing"
        data = process.stdout.read(int(header[2]))
        process.stdout.read(1)  # the newline after the contents
        return data if header[1] == b"blob" else None

    def close(self) -> None:
        if self.process is not None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait()
            self.process = None


def _listing(repo: Repo, commit: str, folders: list[str]) -> list[str]:
    names = str(git(repo.top, "ls-tree", "-z", "--name-only", commit, "--",
                    *(f"{repo.prefix}{folder.rstrip('/')}/" for folder in folders)))
    return [name.removeprefix(repo.prefix) for name in names.split("\0") if name]


_TREES: dict[tuple[Path, str], Path] = {}  # (root, commit) → the set's root in a temporary
_FOLDERS: list[Path] = []  # folder; removed at exit (renderers read templates there)
_AT: dict[tuple[Path, str, str], DocumentSet] = {}


def _remove_folders() -> None:
    for folder in _FOLDERS:
        shutil.rmtree(folder, ignore_errors=True)
    _FOLDERS.clear()
    _TREES.clear()
    _AT.clear()


atexit.register(_remove_folders)


def document_at(root: Path, commit: str, code: str) -> DocumentSet:
    """The set as it was at `commit`, resolved for `code`: its closure, else the whole set."""
    root = root.resolve()
    key = (root, commit, code)
    if key not in _AT:
        _AT[key] = _closure_at(root, commit, code) or docset_at(root, commit)
    return _AT[key]


def _tree(root: Path, commit: str, folders: list[str]) -> Path:
    """The set's files at `commit` but its procedures and forms, once per commit; each
    closure adds the files it needs (`only` leaves out whatever else is there)."""
    key = (root, commit)
    if key not in _TREES:
        base = Path(tempfile.mkdtemp(prefix="wenkong-version-"))
        _FOLDERS.append(base)
        _TREES[key] = extract(root, commit, base, exclude=folders)
    return _TREES[key]


def _closure_at(root: Path, commit: str, code: str) -> DocumentSet | None:
    repo = repo_of(root)
    if repo is None:
        return None
    blobs = _Blobs(repo, commit)
    try:
        text = blobs.read(SETTINGS_FILE)
        settings = _settings(text, root) if text is not None else None
        if settings is None:
            return None
        folders = [settings.procedures_dir, settings.forms_dir]
        try:
            listed = _listing(repo, commit, folders)
            tree = _tree(root, commit, folders)
        except GitError:
            return None
        contents: dict[str, bytes | None] = {}

        def read(path: str) -> bytes | None:
            if path not in contents:
                contents[path] = blobs.read(path)
            return contents[path]

        paths = closure(code, _by_code(listed), read)
        if paths is None:
            return None
        for path in paths:
            data = contents.get(path)
            target = tree / path
            if data is None or not target.resolve().is_relative_to(tree.resolve()):
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    finally:
        blobs.close()
    return _resolved(tree, code, paths, root)
