"""The procedure renderer on a template prepared once per process (render/docx/frame.py) writes
the .docx the plain docxtpl + python-docx path writes, byte for byte; its zip writer writes what
Python's zipfile writes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from generator.docset import DocumentSet
from generator.render.docx import frame
from generator.render.docx import procedure as word
from generator.render.docx.cover import CopyMark
from generator.resolve import load_document_set
from generator.write import FIXED_ZIP_TIME

REPO = Path(__file__).resolve().parent.parent
FIXTURE_SET = REPO / "tests" / "fixtures" / "docx" / "set"
ALT_TEMPLATE = REPO / "tests" / "fixtures" / "docx" / "alt-template" / "procedure.docx"


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def same_both_ways(docset: DocumentSet, template: word.ProcedureTemplate, code: str,
                   copy: CopyMark | None = None) -> None:
    fast = word.render_procedure(docset.procedures[code], docset, template, copy)
    plain = word.render_with_docxtpl(docset.procedures[code], docset, template, copy)
    if fast != plain:  # say which part differs
        assert list(parts(fast)) == list(parts(plain))
        for name, data in parts(plain).items():
            assert parts(fast)[name] == data, f"{code}: {name} differs"
    assert fast == plain


@pytest.mark.parametrize("root", [REPO, FIXTURE_SET], ids=["sample", "fixture"])
def test_every_procedure_byte_for_byte_as_docxtpl_writes_it(root: Path) -> None:
    docset = load_document_set(root)
    template = word.load_template(word.find_template(docset), docset.root)
    word._draw_charts(docset, list(docset.procedures), word.BuildCache(None))
    for code in docset.procedures:
        same_both_ways(docset, template, code)
    code = next(iter(docset.procedures))
    same_both_ways(docset, template, code, CopyMark("007", "品质部", dt.date(2026, 3, 1)))


def test_another_template_byte_for_byte() -> None:
    docset = load_document_set(REPO)
    template = word.load_template(ALT_TEMPLATE, docset.root)
    word._draw_charts(docset, list(docset.procedures), word.BuildCache(None))
    for code in list(docset.procedures)[:4]:
        same_both_ways(docset, template, code)


def test_a_body_docxtpl_would_rewrite_goes_the_docxtpl_way(monkeypatch) -> None:
    docset = load_document_set(FIXTURE_SET)
    template = word.load_template(word.find_template(docset), docset.root)
    code = next(iter(docset.procedures))
    doc = replace(docset.procedures[code], purpose=("写成 {_{ 的字样",))
    docset.procedures[code] = doc
    fallbacks: list[str] = []
    plain = word.render_with_docxtpl

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        fallbacks.append(args[0].code)
        return plain(*args, **kwargs)

    monkeypatch.setattr(word, "render_with_docxtpl", counted)
    data = word.render_procedure(doc, docset, template)
    assert fallbacks == [code]
    assert b"{{" in parts(data)["word/document.xml"]  # docxtpl's unescaping, as before


def test_zip_bytes_as_zipfile_writes_them() -> None:
    blobs = {"[Content_Types].xml": b"<Types/>" * 50, "word/document.xml": "正文".encode() * 999,
             "word/media/image1.png": bytes(range(256)) * 40, "empty.xml": b""}
    expected = io.BytesIO()
    with zipfile.ZipFile(expected, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, blob in blobs.items():
            entry = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            archive.writestr(entry, blob)
    assert frame.write_zip(frame.Entry.of(n, b) for n, b in blobs.items()) == \
        expected.getvalue()
