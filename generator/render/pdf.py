"""Render stage (PDF copies): Word files converted to PDF by LibreOffice, all in one process.

LibreOffice's start-up is the slow part (seconds; each further file takes a fraction of a
second), so every file goes through ONE `soffice --headless --convert-to pdf` call with its own
temporary user profile: two soffice processes on one profile fail, and a user's running
LibreOffice must not be disturbed. PDFs are written to a temporary folder first and moved into
place only when every file converted, and the dates and ids LibreOffice stamps from the clock
are replaced by values derived from the document, so converting twice gives the same bytes.

The conversion profile carries a font replacement table (Tools ▸ Options ▸ Fonts in
LibreOffice): Windows Chinese fonts the documents name (SimSun, SimHei …) are replaced by the
**Simplified Chinese** faces of Noto CJK. Without it LibreOffice asks fontconfig for the
missing face and lands on whatever face of the Noto CJK collection comes first (the Japanese
one, or sans for 宋体), so some characters take Japanese shapes. `FONT_REPLACEMENTS` lists the
pairs; README says how a user's own LibreOffice gets the same result.

`pdf_info` and `pdf_text` read PDFs back through poppler (pdfinfo, pdftotext) for checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.etree import ElementTree

from generator.errors import WenkongError
from generator.i18n import _

INSTALL_LIBREOFFICE = "apt-get install libreoffice-writer-nogui fonts-noto-cjk"
# Start-up plus a generous allowance per file; a wedged soffice must not hang a build forever.
STARTUP_SECONDS = 120.0
SECONDS_PER_FILE = 20.0
FALLBACK_DATE = dt.datetime(2000, 1, 1)  # same epoch as the fixed zip entry times

_DATE = re.compile(rb"/(CreationDate|ModDate)\((D:\d{14})")
_HEX_ID = re.compile(rb"(/ID\s*\[\s*<)([0-9A-Fa-f]+)(>\s*<)([0-9A-Fa-f]+)(>)")
_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)")


# Windows face names (as fonts.FACE_NAMES writes them, plus the Chinese names) → the Simplified
# Chinese Noto CJK face with the same role: Song/Fang → serif, Hei/YaHei/DengXian → sans.
SERIF_SC = "Noto Serif CJK SC"
SANS_SC = "Noto Sans CJK SC"
FONT_REPLACEMENTS: tuple[tuple[str, str], ...] = (
    ("SimSun", SERIF_SC), ("宋体", SERIF_SC), ("NSimSun", SERIF_SC), ("新宋体", SERIF_SC),
    ("FangSong", SERIF_SC), ("仿宋", SERIF_SC), ("FangSong_GB2312", SERIF_SC),
    ("仿宋_GB2312", SERIF_SC), ("STSong", SERIF_SC), ("华文宋体", SERIF_SC),
    ("SimHei", SANS_SC), ("黑体", SANS_SC), ("Microsoft YaHei", SANS_SC), ("微软雅黑", SANS_SC),
    ("DengXian", SANS_SC), ("等线", SANS_SC), ("STHeiti", SANS_SC), ("华文黑体", SANS_SC),
)


def profile_settings(replacements: Sequence[tuple[str, str]] = FONT_REPLACEMENTS) -> bytes:
    """registrymodifications.xcu for a fresh LibreOffice profile: the font replacement table
    on, each pair applied always (screen and print), as Tools ▸ Options ▸ Fonts would save it."""
    from xml.sax.saxutils import escape

    def prop(name: str, value: str) -> str:
        return f'<prop oor:name="{name}" oor:op="fuse"><value>{escape(value)}</value></prop>'

    items = ['<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
             + prop("Replacement", "true") + "</item>"]
    for index, (face, replacement) in enumerate(replacements):
        items.append(
            '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
            f'<node oor:name="_{index}" oor:op="replace">' + prop("Always", "true")
            + prop("OnScreenOnly", "false") + prop("ReplaceFont", face)
            + prop("SubstituteFont", replacement) + "</node></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<oor:items '
            'xmlns:oor="http://openoffice.org/2001/registry" '
            'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            + "\n".join(items) + "\n</oor:items>\n").encode("utf-8")


def soffice_binary() -> str:
    """The LibreOffice program, or a WenkongError that says how to install it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise WenkongError(_("没有安装 LibreOffice（PATH 中没有 soffice）：请运行 {install}").format(
        install=INSTALL_LIBREOFFICE))


def _document_date(source: Path) -> dt.datetime:
    """The creation date a .docx declares in docProps/core.xml (the Word renderers derive it
    from the document's own dates); FALLBACK_DATE for anything else."""
    try:
        with zipfile.ZipFile(source) as archive:
            core = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return FALLBACK_DATE
    created = core.find("{http://purl.org/dc/terms/}created")
    try:
        text = (created.text or "").strip().rstrip("Z") if created is not None else ""
        return dt.datetime.fromisoformat(text).replace(tzinfo=None)
    except ValueError:
        return FALLBACK_DATE


def stable_pdf(data: bytes, when: dt.datetime) -> bytes:
    """Replace what LibreOffice takes from the clock (creation date, document id, checksum)
    by values derived from `when` and the content. Every replacement keeps its length, so the
    cross-reference offsets stay valid."""
    stamp = when.strftime("D:%Y%m%d%H%M%S").encode("ascii")
    data = _DATE.sub(lambda m: b"/" + m.group(1) + b"(" + stamp, data)
    blank = _HEX_ID.sub(lambda m: m.group(1) + b"0" * len(m.group(2)) + m.group(3)
                        + b"0" * len(m.group(4)) + m.group(5), data)
    blank = _CHECKSUM.sub(lambda m: m.group(1) + b"0" * len(m.group(2)), blank)
    digest = hashlib.sha256(blank).hexdigest().upper().encode("ascii")

    def same_length(hex_text: bytes) -> bytes:
        return (digest * (len(hex_text) // len(digest) + 1))[: len(hex_text)]

    data = _HEX_ID.sub(lambda m: m.group(1) + same_length(m.group(2)) + m.group(3)
                       + same_length(m.group(4)) + m.group(5), data)
    return _CHECKSUM.sub(lambda m: m.group(1) + same_length(m.group(2)), data)


def _tail(text: bytes, lines: int = 8) -> str:
    kept = [line for line in text.decode("utf-8", "replace").splitlines()
            if line.strip() and "javaldx" not in line]  # harmless noise on machines without Java
    return "\n".join(kept[-lines:])


def run_soffice(command: list[str], timeout: float, env: dict[str, str],
                cwd: Path) -> tuple[int | None, bytes]:
    """Run soffice in its own process group; (exit status, output), status None on timeout.

    `soffice` is a launcher that starts soffice.bin as a child: on timeout the whole group is
    killed, or a stray soffice.bin would live on holding the profile.
    """
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=env, cwd=cwd, start_new_session=True)
    try:
        output, _errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, b""
    return process.returncode, output


def convert_to_pdf(docx_files: Sequence[Path], outdir: Path, *,
                   timeout: float | None = None) -> list[Path]:
    """Convert Word files to PDF in one LibreOffice process; return `outdir/<stem>.pdf` in the
    order given. Raises WenkongError when LibreOffice is missing, times out, or leaves any
    file without a PDF (naming the files)."""
    sources = [Path(f).resolve() for f in docx_files]
    if not sources:
        return []
    missing = [s for s in sources if not s.is_file()]
    if missing:
        raise WenkongError(_("无法转换为 PDF，文件不存在：{files}").format(
            files=", ".join(str(s) for s in missing)))
    stems: dict[str, Path] = {}
    for source in sources:
        other = stems.setdefault(source.stem, source)
        if other != source:
            raise WenkongError(_("无法把 {other} 和 {source} 转换到同一文件夹：两者都会写成 "
                                 "{name}.pdf").format(other=other, source=source,
                                                      name=source.stem))
    program = soffice_binary()
    outdir = outdir.resolve()  # soffice runs in a scratch folder: relative paths would move
    outdir.mkdir(parents=True, exist_ok=True)
    limit = timeout if timeout is not None else STARTUP_SECONDS + SECONDS_PER_FILE * len(sources)
    env = dict(os.environ)
    env.setdefault("LANG", "C.UTF-8")  # non-ASCII (Chinese) file names need a UTF-8 locale
    with tempfile.TemporaryDirectory(prefix="wenkong-lo-") as scratch:
        profile = Path(scratch) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_bytes(profile_settings())
        staging = Path(tempfile.mkdtemp(prefix=".pdf-", dir=outdir))
        try:
            command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                       "--norestore", "--nolockcheck", "--convert-to", "pdf",
                       "--outdir", str(staging), *map(str, sources)]
            status, output = run_soffice(command, limit, env, Path(scratch))
            if status is None:
                raise WenkongError(_("LibreOffice 未能在 {limit} 秒内把 {count} 个文件转换为 "
                                     "PDF").format(limit=f"{limit:.0f}", count=len(sources)))
            failed = [s for s in sources if not _is_pdf(staging / f"{s.stem}.pdf")]
            if failed:
                detail = _tail(output)
                raise WenkongError(
                    _("LibreOffice 没有生成这些文件的 PDF：{files}").format(
                        files=", ".join(str(s) for s in failed))
                    + (_("（soffice 退出状态 {status}）").format(status=status) if status else "")
                    + (f":\n{detail}" if detail else ""))
            results = []
            for source in sources:
                produced = staging / f"{source.stem}.pdf"
                produced.write_bytes(stable_pdf(produced.read_bytes(), _document_date(source)))
                target = outdir / produced.name
                os.replace(produced, target)
                results.append(target)
            return results
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _is_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return stream.read(5) == b"%PDF-"
    except OSError:
        return False


def poppler(tool: str, *args: str, subject: Path) -> str:
    """Run a poppler tool (pdfinfo, pdftotext, pdffonts …) on `subject`; its standard output."""
    program = shutil.which(tool)
    if program is None:
        raise WenkongError(_("没有安装 {tool}：{install}").format(
            tool=tool, install=_("请安装 poppler：apt-get install poppler-utils")))
    done = subprocess.run([program, *args], capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise WenkongError(_("{tool} 处理 {subject} 失败：{detail}").format(
            tool=tool, subject=subject, detail=_tail(done.stderr)))
    return done.stdout.decode("utf-8", "replace")


def pdf_info(path: Path) -> tuple[int, float, float]:
    """(pages, width, height) of a PDF, sizes in points of the first page (A4: 595 × 842)."""
    info = poppler("pdfinfo", str(path), subject=path)
    pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
    size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
    if pages is None or size is None:
        raise WenkongError(_("pdfinfo 没有给出 {path} 的页数或页面尺寸").format(path=path))
    return int(pages.group(1)), float(size.group(1)), float(size.group(2))


def pdf_text(path: Path, *, layout: bool = True) -> str:
    """The text of a PDF (pdftotext; `layout` keeps columns and table rows on their lines).
    Pages are separated by form feeds."""
    return poppler("pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8",
                   str(path), "-", subject=path)
