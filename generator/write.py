"""Write stage: bytes onto disk, atomically and deterministically.

A build renders every file in memory first; `replace_tree` writes them into a temporary folder
beside the output and swaps it in, so a failed build never leaves half-written output and never
loses the previous build.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

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


def replace_tree(target: Path, files: Mapping[str, bytes], keep: tuple[str, ...] = ()) -> None:
    """Make `target` hold exactly `files` (relative posix paths → bytes), atomically.

    `keep` names top-level entries of the old folder that are carried over untouched (for
    instance a `pdf/` folder that this build did not produce).
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        for relative, data in sorted(files.items()):
            path = staging / relative
            if ".." in Path(relative).parts or Path(relative).is_absolute():
                raise ValueError(f"refusing to write outside the output folder: {relative}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for name in keep:
            old = target / name
            if old.exists() and not (staging / name).exists():
                shutil.copytree(old, staging / name) if old.is_dir() else shutil.copy2(
                    old, staging / name)
        backup = target.parent / f".{target.name}.old"
        if backup.exists():
            shutil.rmtree(backup)
        if target.exists():
            os.replace(target, backup)
        os.replace(staging, target)
        shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
