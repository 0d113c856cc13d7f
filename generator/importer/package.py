"""Import stage, step 1: open an untrusted Word file safely.

A .docx is a zip of XML parts. Files brought in from a shared drive are untrusted: a zip bomb
in any part, an XML entity declaration (billion laughs) or a huge file must end with a clear
message for that file, never a hang, a crash or a filled disk. Old .doc and WPS files are
converted to .docx by LibreOffice first, all of them in one soffice run (its start-up is the
slow part).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from generator.i18n import _

MAX_FILE_BYTES = 64 * 1024 * 1024  # a procedure with pictures is a few MB
MAX_PART_BYTES = 48 * 1024 * 1024  # one part, uncompressed
MAX_TOTAL_BYTES = 160 * 1024 * 1024  # all parts, uncompressed
MAX_RATIO = 150  # uncompressed / compressed, for parts above 1 MB: XML squeezes ~10x
MAX_PARTS = 4000
LEGACY_SUFFIXES = (".doc", ".wps")
WORD_SUFFIXES = (".docx", *LEGACY_SUFFIXES)
SECONDS_PER_LEGACY_FILE = 30.0

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class Unreadable(Exception):
    """A file that cannot be imported; the message is for the document controller."""


def parse_xml(data: bytes, name: str) -> Any:
    """Parse one XML part; entity declarations and DTDs are refused outright."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # XML keywords are case-sensitive
        raise Unreadable(_("{part} 含有实体声明（DOCTYPE/ENTITY），Word 不会这样写，"
                           "按不安全文件拒绝").format(part=name))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                             load_dtd=False, remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise Unreadable(_("{part} 已损坏，无法读取（{reason}）").format(
            part=name, reason=exc)) from None


@dataclass
class Package:
    """The parts of one .docx, read within the limits above."""

    path: Path
    archive: zipfile.ZipFile
    names: set[str]
    _xml: dict[str, Any] = field(default_factory=dict)

    def data(self, name: str) -> bytes:
        """One part, read with a cap: a zip whose headers under-state a part's size is not
        believed, the stream stops at the cap."""
        if name not in self.names:
            raise Unreadable(_("缺少部件 {part}").format(part=name))
        try:
            with self.archive.open(name) as stream:
                data = stream.read(MAX_PART_BYTES + 1)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
            raise Unreadable(_("{part} 已损坏，无法读取（{reason}）").format(
                part=name, reason=exc)) from None
        if len(data) > MAX_PART_BYTES:
            raise Unreadable(_("部件 {part} 解压后过大（疑似压缩炸弹），按不安全文件拒绝").format(
                part=name))
        return data

    def xml(self, name: str) -> Any | None:
        """The parsed part, or None when the package has no such part."""
        if name not in self.names:
            return None
        if name not in self._xml:
            self._xml[name] = parse_xml(self.data(name), name)
        return self._xml[name]

    def relationships(self, part: str) -> dict[str, str]:
        """Relationship id → target part name (resolved against the part's folder)."""
        folder = PurePosixPath(part).parent
        rels = self.xml(str(folder / "_rels" / f"{PurePosixPath(part).name}.rels"))
        found: dict[str, str] = {}
        if rels is None:
            return found
        for rel in rels.findall(f"{{{REL_NS}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target") or ""
            parts: list[str] = []
            for piece in (folder / target).parts if not target.startswith("/") else \
                    PurePosixPath(target.lstrip("/")).parts:
                if piece == "..":
                    if parts:
                        parts.pop()
                elif piece != ".":
                    parts.append(piece)
            found[rel.get("Id") or ""] = "/".join(parts)
        return found


def built_package(data: bytes) -> Package:
    """A .docx Wenkong itself just built (trusted: no limits), to read it back."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return Package(Path("rebuilt.docx"), archive, set(archive.namelist()))


def open_package(path: Path) -> Package:
    """Open a .docx for import; raise Unreadable with a reason the user understands."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise Unreadable(_("无法读取文件：{reason}").format(reason=exc.strerror)) from None
    if size > MAX_FILE_BYTES:
        raise Unreadable(_("文件过大（{size} MB，上限 {limit} MB）").format(
            size=size // (1024 * 1024), limit=MAX_FILE_BYTES // (1024 * 1024)))
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(_("无法读取文件：{reason}").format(reason=exc.strerror)) from None
    if not data.startswith(b"PK"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise Unreadable(_("这是旧版 Word (.doc) 文件，但扩展名不是 .doc：请改名为 .doc "
                               "后再导入"))
        raise Unreadable(_("不是 Word (.docx) 文件"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise Unreadable(_("文件已损坏，无法读取（{reason}）").format(reason=exc)) from None
    if len(infos) > MAX_PARTS:
        raise Unreadable(_("压缩包内部件过多（{count} 个），按不安全文件拒绝").format(
            count=len(infos)))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
            raise Unreadable(_("部件 {part} 解压后过大（疑似压缩炸弹），按不安全文件拒绝").format(
                part=info.filename))
        if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            raise Unreadable(_("部件 {part} 压缩比异常（疑似压缩炸弹），按不安全文件拒绝").format(
                part=info.filename))
    names = {info.filename for info in infos}
    if "word/document.xml" not in names:
        raise Unreadable(_("不是 Word 文档（缺少 word/document.xml）"))
    return Package(path, archive, names)


# --- .doc / .wps through LibreOffice ------------------------------------------------------


def convert_legacy(files: Sequence[Path], workdir: Path) -> dict[Path, Path | str]:
    """Convert .doc/.wps files to .docx in ONE LibreOffice run.

    Returns, for each file, the converted .docx or a message saying why there is none. Each
    file is copied under a neutral name first: two files with one stem (a.doc, a.wps) must
    not overwrite each other, and odd characters in names do not reach soffice.
    """
    from generator.render.pdf import run_soffice, soffice_binary

    results: dict[Path, Path | str] = {}
    if not files:
        return results
    try:
        program = soffice_binary()
    except Exception:
        missing = _("旧版 Word/WPS 文件需要 LibreOffice 转换，但本机未安装 LibreOffice")
        return {f: missing for f in files}
    source_dir = workdir / "legacy-in"
    target_dir = workdir / "legacy-out"
    source_dir.mkdir(parents=True, exist_ok=True)
    target_dir.mkdir(parents=True, exist_ok=True)
    staged: dict[Path, Path] = {}
    for n, original in enumerate(files):
        try:
            if original.stat().st_size > MAX_FILE_BYTES:
                results[original] = _("文件过大")
                continue
            copy = source_dir / f"f{n:05d}{original.suffix.lower()}"
            shutil.copyfile(original, copy)
            staged[original] = copy
        except OSError as exc:
            results[original] = _("无法读取文件：{reason}").format(reason=exc.strerror)
    if staged:
        env = dict(os.environ)
        env.setdefault("LANG", "C.UTF-8")
        with tempfile.TemporaryDirectory(prefix="wenkong-import-lo-") as scratch:
            profile = Path(scratch) / "profile"
            command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                       "--norestore", "--nolockcheck", "--convert-to",
                       "docx:MS Word 2007 XML", "--outdir", str(target_dir),
                       *map(str, staged.values())]
            limit = 120.0 + SECONDS_PER_LEGACY_FILE * len(staged)
            status, _output = run_soffice(command, limit, env, Path(scratch))
        for original, copy in staged.items():
            produced = target_dir / f"{copy.stem}.docx"
            if produced.is_file() and produced.stat().st_size > 0:
                results[original] = produced
            elif status is None:
                results[original] = _("LibreOffice 转换超时")
            else:
                results[original] = _("LibreOffice 无法转换此文件（文件损坏或不是 Word/WPS 文档）")
    return results
