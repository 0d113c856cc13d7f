"""PDF copies (generator/render/pdf.py): real LibreOffice conversions, read back with poppler."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_BREAK
from helpers_client import (
    is_a4,
    page_count,
    page_size_pt,
    page_texts,
    pdf_fonts,
    pdf_text,
    render_png,
    to_pdf,
)

from generator.errors import WenkongError
from generator.render import pdf as pdf_module
from generator.render.docx.ooxml import set_a4, set_fonts
from generator.render.pdf import convert_to_pdf, pdf_info, stable_pdf

pytestmark = pytest.mark.client
needs_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None and shutil.which("libreoffice") is None,
    reason="LibreOffice not installed (apt-get install libreoffice-writer-nogui fonts-noto-cjk)")


def word_file(path: Path, pages: list[str], *, a4: bool) -> Path:
    document = Document()
    if a4:
        set_a4(document)
    for i, text in enumerate(pages):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(text)
        set_fonts(run._r, "Noto Serif CJK SC", "Times New Roman")
        if i + 1 < len(pages):
            run.add_break(WD_BREAK.PAGE)
    document.save(str(path))
    return path


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> tuple[list[Path], list[Path], list[list]]:
    """Two documents, converted in ONE soffice call (counted)."""
    folder = tmp_path_factory.mktemp("pdf")
    sources = [
        word_file(folder / "QP-15_A-1_顾客反馈及售后服务控制程序.docx",
                  ["第一页：顾客反馈的接收与登记", "第二页：原因分析与纠正措施",
                   "第三页：效果验证与结案"], a4=True),
        word_file(folder / "letter.docx", ["Letter size page 纸张"], a4=False),
    ]
    calls: list[list] = []
    real = subprocess.Popen

    def counting(command, *args, **kwargs):
        calls.append(list(command))
        return real(command, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_module.subprocess, "Popen", counting)
        pdfs = to_pdf(sources, folder / "out")
    return sources, pdfs, calls


@needs_soffice
def test_all_files_convert_in_one_soffice_call(converted):
    sources, pdfs, calls = converted
    assert [p.name for p in pdfs] == [s.stem + ".pdf" for s in sources]
    assert all(p.parent.name == "out" and p.read_bytes().startswith(b"%PDF-") for p in pdfs)
    soffice = [c for c in calls if Path(c[0]).name in ("soffice", "libreoffice")]
    assert len(soffice) == 1
    assert any(a.startswith("-env:UserInstallation=file:///") for a in soffice[0])
    # nothing but the PDFs is left in the output folder (no staging folder, no profile)
    assert sorted(p.name for p in pdfs[0].parent.iterdir()) == sorted(p.name for p in pdfs)


@needs_soffice
def test_pages_sizes_and_text(converted):
    _, (a4, letter), _ = converted
    assert pdf_info(a4)[0] == 3 == page_count(a4)
    assert is_a4(page_size_pt(a4)) and is_a4(page_size_pt(a4, 3))
    assert pdf_info(letter) == (1, 612.0, 792.0)  # python-docx's default: US Letter
    pages = page_texts(a4)
    assert len(pages) == 3
    assert "顾客反馈的接收与登记" in pages[0] and "效果验证与结案" in pages[2]
    assert "Letter size page 纸张" in pdf_text(letter, layout=False)


@needs_soffice
def test_chinese_is_set_in_an_embedded_cjk_font(converted):
    _, (a4, _), _ = converted
    fonts = pdf_fonts(a4)
    assert fonts, "pdffonts listed no font"
    assert any(f.is_cjk and f.embedded for f in fonts), fonts


@needs_soffice
def test_render_png_gives_a4_pages(converted):
    _, (a4, _), _ = converted
    pngs = render_png(a4, 1, 2, dpi=50)
    assert [p.name for p in pngs] == [f"{a4.stem}-page-{n}.png" for n in (1, 2)]
    width, height = struct.unpack(">II", pngs[0].read_bytes()[16:24])
    # A4 at 50 dpi (pdftoppm rounds up)
    assert abs(width - 595.3 / 72 * 50) <= 1 and abs(height - 841.9 / 72 * 50) <= 1


@needs_soffice
def test_converting_twice_gives_the_same_bytes(converted, tmp_path):
    sources, pdfs, _ = converted
    again = convert_to_pdf([sources[0]], tmp_path)
    assert again[0].read_bytes() == pdfs[0].read_bytes()


@needs_soffice
def test_a_file_libreoffice_cannot_read_is_named_and_old_output_kept(converted, tmp_path):
    sources, _, _ = converted
    broken = tmp_path / "坏文件.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "out"
    out.mkdir()
    old = out / "letter.pdf"
    old.write_bytes(b"%PDF-1.4 previous build")
    with pytest.raises(WenkongError, match=r"LibreOffice 没有生成这些文件的 PDF：.*坏文件\.docx"):
        convert_to_pdf([sources[1], broken], out)
    assert old.read_bytes() == b"%PDF-1.4 previous build"  # nothing half-replaced
    assert [p.name for p in out.iterdir()] == ["letter.pdf"]


@needs_soffice
def test_a_wedged_soffice_is_stopped_with_a_clear_error(converted, tmp_path):
    sources, _, _ = converted
    with pytest.raises(WenkongError, match=r"未能在 \d+ 秒内把 1 个文件转换为 PDF"):
        convert_to_pdf([sources[1]], tmp_path / "out", timeout=0.2)
    assert not list((tmp_path / "out").iterdir())  # staging folder removed
    # the profile is free again: the next conversion works
    assert convert_to_pdf([sources[1]], tmp_path / "out")


def test_missing_libreoffice_says_how_to_install_it(monkeypatch, tmp_path):
    source = tmp_path / "a.docx"
    source.write_bytes(b"x")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(WenkongError) as error:
        convert_to_pdf([source], tmp_path / "out")
    assert "apt-get install libreoffice-writer-nogui fonts-noto-cjk" in str(error.value)
    assert not (tmp_path / "out").exists()


def test_missing_input_and_clashing_names_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "QP-01.docx").write_bytes(b"x")
    with pytest.raises(WenkongError, match=r"两者都会写成 QP-01\.pdf"):
        convert_to_pdf([tmp_path / "a" / "QP-01.docx", tmp_path / "b" / "QP-01.docx"], tmp_path)
    with pytest.raises(WenkongError, match=r"文件不存在：.*nothing\.docx"):
        convert_to_pdf([tmp_path / "nothing.docx"], tmp_path)
    assert convert_to_pdf([], tmp_path) == []


def test_stable_pdf_replaces_clock_values_keeping_offsets():
    import datetime as dt

    def pdf(stamp: bytes, ident: bytes) -> bytes:
        return (b"%PDF-1.4\n<</CreationDate(D:" + stamp + b"Z')>>\ntrailer\n<</ID [ <"
                + ident + b">\n<" + ident + b"> ]\n/DocChecksum /" + ident + b"\n>>\n%%EOF\n")

    first = pdf(b"20261123105251", b"4FAC9FD050E8EF56A8560A79A6FAE799")
    second = pdf(b"20261124090000", b"0123456789ABCDEF0123456789ABCDEF")
    when = dt.datetime(2026, 3, 1, 8, 30)
    a, b = stable_pdf(first, when), stable_pdf(second, when)
    assert a == b and len(a) == len(first)
    assert b"(D:20260301083000Z')" in a
    assert b"4FAC9FD050E8EF56" not in a
