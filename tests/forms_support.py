"""Test support for forms and records: fill a blank form's content controls as Word does, and
re-save files through LibreOffice as a clerk's editor would."""

from __future__ import annotations

import copy
import io
import subprocess
import uuid
import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from generator.render.docx.sdt import W14_NS, W15_NS, W_NS, set_checkbox

W = f"{{{W_NS}}}"


def _tag(sdt: Any) -> str | None:
    found = sdt.find(f"{W}sdtPr/{W}tag")
    return None if found is None else found.get(f"{W}val")


def _set_text(sdt: Any, text: str) -> None:
    """Replace a control's content with `text` and clear its placeholder flag, as Word does."""
    pr = sdt.find(f"{W}sdtPr")
    for flag in pr.findall(f"{W}showingPlcHdr"):
        pr.remove(flag)
    content = sdt.find(f"{W}sdtContent")
    block = content.find(f"{W}p") is not None
    paragraphs = content.findall(f"{W}p") if block else [content]
    template_run = paragraphs[0].find(f"{W}r")
    for paragraph in paragraphs[1:]:
        content.remove(paragraph)
    target = paragraphs[0]
    for run in target.findall(f"{W}r"):
        target.remove(run)
    lines = text.split("\n")
    for i, line in enumerate(lines if block else [text]):
        if block and i:
            target = etree.SubElement(content, f"{W}p")
        run = copy.deepcopy(template_run)
        for child in list(run):
            if child.tag != f"{W}rPr":
                run.remove(child)
        r_pr = run.find(f"{W}rPr")
        if r_pr is not None:
            for color in r_pr.findall(f"{W}color"):
                r_pr.remove(color)
        parts = line.split("\n") if block else text.split("\n")
        for k, part in enumerate(parts):
            if k:
                etree.SubElement(run, f"{W}br")
            t = etree.SubElement(run, f"{W}t")
            t.text = part
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        target.append(run)


def fill(data: bytes, values: dict[str, Any], *, extra_rows: dict[str, int] | None = None,
         raw_dates: bool = False) -> bytes:
    """Fill controls by tag. Values: str for text/dropdown/rich, "YYYY-MM-DD" for dates,
    bool for checkboxes (tag `field=option`). A list under a table tag adds rows as Word's +
    button does (`extra_rows`) before cells are filled; cells of row n are addressed as
    "table.column#n" (1-based)."""
    package = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(package.read("word/document.xml"))
    for table, count in (extra_rows or {}).items():
        section = next(s for s in root.iter(f"{W}sdt") if _tag(s) == table
                       and s.find(f"{W}sdtPr/{{{W15_NS}}}repeatingSection") is not None)
        content = section.find(f"{W}sdtContent")
        items = content.findall(f"{W}sdt")
        for _ in range(count):
            content.append(copy.deepcopy(items[-1]))
    seen: dict[str, int] = {}
    for sdt in list(root.iter(f"{W}sdt")):
        tag = _tag(sdt)
        if tag is None:
            continue
        seen[tag] = seen.get(tag, 0) + 1
        key = tag if tag in values else f"{tag}#{seen[tag]}"
        if key not in values:
            continue
        value = values[key]
        pr = sdt.find(f"{W}sdtPr")
        if pr.find(f"{{{W14_NS}}}checkbox") is not None:
            set_checkbox(sdt, bool(value))
        elif pr.find(f"{W}date") is not None:
            if not raw_dates:
                pr.find(f"{W}date").set(f"{W}fullDate", f"{value}T00:00:00Z")
            _set_text(sdt, str(value))
        else:
            _set_text(sdt, str(value))
    return with_document(package, root)


def with_document(package: zipfile.ZipFile, root: Any) -> bytes:
    """The package again, with `root` as its word/document.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in package.infolist():
            body = package.read(info.filename)
            if info.filename == "word/document.xml":
                body = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            target.writestr(info, body)
    return out.getvalue()


def soffice(args: list[str], cwd: Path | None = None, timeout: int = 180) -> None:
    """Run LibreOffice headless with a profile of its own (parallel runs must not share)."""
    profile = f"file:///tmp/lo-profile-forms-{uuid.uuid4().hex}"
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", *args],
                   check=True, capture_output=True, timeout=timeout, cwd=cwd)


def resave_with_libreoffice(files: list[Path], outdir: Path) -> list[Path]:
    """Open and re-save .docx files in LibreOffice, as a clerk's editor would (one call)."""
    outdir.mkdir(parents=True, exist_ok=True)
    soffice(["--convert-to", 'docx:MS Word 2007 XML', "--outdir", str(outdir),
             *map(str, files)])
    return [outdir / f.name for f in files]


def to_pdf(files: list[Path], outdir: Path) -> list[Path]:
    outdir.mkdir(parents=True, exist_ok=True)
    soffice(["--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)])
    return [outdir / f"{f.stem}.pdf" for f in files]
