"""Write stage: bytes onto disk, atomically and deterministically.

A build renders every file in memory first; `replace_tree` writes them into a temporary folder
beside the output and swaps it in, so a failed build never leaves half-written output and never
loses the previous build.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import WenkongError
from generator.i18n import _

if TYPE_CHECKING:
    from generator.model import Settings

FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip (.docx) with fixed entry times and attributes: same content, same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_file(path: Path, data: bytes) -> None:
    """Write one file atomically: a temporary file in the same folder, then rename.

    The file keeps the mode of the one it replaces; a new file gets the usual mode (0644 under
    the common umask), not mkstemp's private 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, path.stat().st_mode & 0o7777 if path.exists() else _default_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class OutputError(WenkongError):
    """The output folder cannot be written or replaced (permissions, links, a file in the way)."""


def output_folder(target: Path) -> Path:
    """The output folder as named, with its parent made absolute but the name itself not
    followed: a link named as the output must not lead the build to replace what it points to.
    """
    target = Path(os.path.abspath(target))
    parent = target.parent.resolve()
    folder = parent / target.name
    if folder.is_symlink():
        raise OutputError(_(
            "输出文件夹 {folder} 是指向 {target} 的符号链接：构建会整体替换输出文件夹，"
            "不会经由链接替换别处的文件夹。请删除该链接，或用 --output 直接指定真正的文件夹。"
        ).format(folder=folder, target=os.readlink(folder)))
    if folder.exists() and not folder.is_dir():
        raise OutputError(_(
            "输出位置 {folder} 是一个文件，不是文件夹：请移走或改名该文件，或用 --output 指定"
            "其他文件夹。").format(folder=folder))
    return folder


def _failure(what: str, exc: OSError, target: Path) -> OutputError:
    where = exc.filename if exc.filename else target
    reason = exc.strerror or str(exc)
    return OutputError(_(
        "{what}失败：{where}：{reason}。上一次的构建 {target} 保持不变；请检查该文件夹及其"
        "上级文件夹的写权限，或关闭正在使用其中文件的程序后重试。").format(
        what=what, where=where, reason=reason, target=target))


def _remove(path: Path) -> None:
    """Remove a leftover entry of our own (a backup folder, or a link or file in its place)."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def _previous_files(target: Path, skip: tuple[str, ...] = ()
                    ) -> dict[str, tuple[str, os.stat_result]]:
    """The regular files of the previous build (path, status), by relative path, found
    without following any link: a linked folder inside the output is not entered, and a link
    is no file. The top-level entries named in `skip` (kept whole) are not walked."""
    found: dict[str, tuple[str, os.stat_result]] = {}
    if target.is_symlink() or not target.is_dir():
        return found
    for folder, folders, names in os.walk(target, followlinks=False):
        if folder == str(target):
            folders[:] = [name for name in folders if name not in skip]
        for name in names:
            path = os.path.join(folder, name)
            try:
                status = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISREG(status.st_mode):
                found[os.path.relpath(path, target).replace(os.sep, "/")] = (path, status)
    return found


def _link_same(old: tuple[str, os.stat_result], path: Path, data: bytes, mode: int) -> bool:
    """Put the previous build's file at `path` as a hard link when it holds exactly `data`:
    a build that changed one document of thousands writes one file, not thousands.

    Only a file of ours that no other name shares (one link, our user, the mode a new file
    gets) is linked, and only when its bytes, read back, are `data`: the result is the file a
    fresh write gives. False: nothing done, write the file."""
    source, status = old
    if (status.st_size != len(data) or status.st_nlink != 1
            or status.st_uid != os.geteuid() or stat.S_IMODE(status.st_mode) != mode):
        return False
    try:
        handle = os.open(source, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        now = os.fstat(handle)
        if (now.st_dev, now.st_ino) != (status.st_dev, status.st_ino):
            return False
        with os.fdopen(handle, "rb", closefd=False) as stream:
            if stream.read(len(data) + 1) != data:
                return False
    finally:
        os.close(handle)
    try:
        os.link(source, path, follow_symlinks=False)
        linked = os.lstat(path)
    except OSError:
        return False
    if (linked.st_dev, linked.st_ino) != (status.st_dev, status.st_ino):  # replaced meanwhile
        path.unlink()
        return False
    return True


def replace_tree(target: Path, files: Mapping[str, bytes], keep: tuple[str, ...] = ()) -> None:
    """Make `target` hold exactly `files` (relative posix paths → bytes), atomically.

    `keep` names top-level entries of the old folder that are carried over untouched (for
    instance a `pdf/` folder that this build did not produce). Nothing outside `target` is
    deleted or replaced; on any failure the previous build stays as it was and OutputError
    says what and where.
    """
    target = output_folder(target)
    for relative in files:
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise ValueError(_("拒绝写到输出文件夹之外：{path}").format(path=relative))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    except OSError as exc:
        raise _failure(_("创建输出文件夹"), exc, target) from None
    backup = target.parent / f".{target.name}.old"
    moved = False
    carried: list[str] = []  # kept entries moved from the previous build into the new one
    try:
        previous = _previous_files(target, keep)
        mode = _default_mode()
        for relative, data in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            earlier = previous.get(relative)
            if earlier is None or not _link_same(earlier, path, data, mode):
                path.write_bytes(data)
        _remove(backup)
        for name in keep:
            # Moved, not copied: a kept folder (the site beside a Word-only build) can hold
            # thousands of files. Put back below if the swap fails.
            if os.path.lexists(target / name) and not os.path.lexists(staging / name):
                os.replace(target / name, staging / name)
                carried.append(name)
        if target.exists():
            os.replace(target, backup)
            moved = True
        os.replace(staging, target)
    except OSError as exc:
        _restore(target, staging, backup, moved, carried)
        raise _failure(_("写入输出文件夹"), exc, target) from None
    except BaseException:
        _restore(target, staging, backup, moved, carried)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _restore(target: Path, staging: Path, backup: Path, moved: bool, carried: list[str]) -> None:
    """Undo a failed `replace_tree`: the previous build back in place, with the entries it
    kept moved back into it, and the staging folder gone."""
    if moved and not target.exists():
        os.replace(backup, target)  # put the previous build back
    for name in carried:
        with contextlib.suppress(OSError):
            os.replace(staging / name, target / name)
    shutil.rmtree(staging, ignore_errors=True)


# What a document set keeps beside its settings' folders: never inside or under an output folder
# (a build replaces its output folder as a whole).
SET_ENTRIES = (".git", "wenkong.yaml", "wenkong.lock", "mkdocs.yml", "site", "registers",
               "records", "schemas")


def output_conflict(root: Path, output: Path, settings: Settings) -> str | None:
    """Why `output` cannot be the build folder of the set at `root`, or None: it would replace
    the set itself or one of its sources (procedures/, forms/, templates/ …)."""
    root = root.resolve()
    target = output.parent.resolve() / output.name if output.name else output.resolve()
    if root == target or root.is_relative_to(target):
        return _("它包含整个文件集 {root}，构建会把文件集整个替换掉").format(root=root)
    for name in (settings.procedures_dir, settings.forms_dir, settings.roles_file,
                 settings.templates_dir, *SET_ENTRIES):
        source = (root / name).resolve()
        if source == target or source.is_relative_to(target):
            return _("它包含文件集的 {name}，构建会把它替换掉").format(name=name)
    return None
