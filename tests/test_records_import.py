"""Records: filled forms (filled as Word does) read back, validated and filed."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from forms_support import fill
from typer.testing import CliRunner

from generator.cli import app
from generator.docset import DocumentSet
from generator.records import RecordErrors, import_records, read_record
from generator.render.docx.form import FormLabels, render_form
from generator.resolve import load_document_set

FIXTURE = Path(__file__).parent / "fixtures" / "forms" / "set"

GOOD: dict[str, Any] = {
    "wenkong:serial": "2026-017",
    "customer": "无锡华东汽车配件有限公司",
    "phone": "0510-8888 1234",
    "visit-date": "2026-11-20",
    "order-qty": "1,200",
    "channel": "走访",
    "satisfaction=满意": True,
    "concerns=交货期": True,
    "concerns=价格": True,
    "complaint=no": True,
    "opinion": "希望缩短交货期。\n包装需加强防潮。",
    "problems.product#1": "主轴 ZS-40",
    "problems.qty#1": "3",
    "problems.found-on#1": "2026-11-02",
    "problems.severity#1": "一般",
    "problems.description#1": "端面跳动超差",
    "problems.product#6": "轴承座",
    "customer-sign": "王经理",
    "customer-sign.date": "2026-11-21",
    "filled-by": "李娜",
    "filled-by.date": "2026-11-21",
}


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE)


@pytest.fixture(scope="module")
def blank(docset: DocumentSet) -> bytes:
    return render_form(docset, docset.forms["QR-01-01"], FormLabels())


def filled(blank: bytes, folder: Path, name: str = "filled.docx", **changes: Any) -> Path:
    values = {**GOOD, **changes}
    values = {k: v for k, v in values.items() if v is not None}
    path = folder / name
    path.write_bytes(fill(blank, values, extra_rows={"problems": 1}))
    return path


def test_a_hint_left_in_the_box_of_an_older_blank_is_no_value(
        docset: DocumentSet, blank: bytes, tmp_path: Path) -> None:
    """Blank forms built before hints moved under the label showed the hint in the box; a
    re-saved copy may keep it as text without the placeholder flag: still no value."""
    record = read_record(filled(blank, tmp_path, phone="手机或座机"), docset, FormLabels())
    assert record.values["phone"] is None
    record = read_record(filled(blank, tmp_path, name="b.docx", phone="手机 138"), docset,
                         FormLabels())
    assert record.values["phone"] == "手机 138"


def test_filled_form_reads_back_as_typed_values(docset: DocumentSet, blank: bytes,
                                                tmp_path: Path) -> None:
    record = read_record(filled(blank, tmp_path), docset, FormLabels())
    assert record.serial == "2026-017" and record.key == "2026-017"
    values = record.values
    assert values["customer"] == "无锡华东汽车配件有限公司"
    assert values["contact"] is None
    assert values["visit-date"] == "2026-11-20"
    assert values["order-qty"] == 1200
    assert values["channel"] == "走访"
    assert values["satisfaction"] == "满意"
    assert values["concerns"] == ["交货期", "价格"]
    assert values["complaint"] is False
    assert values["opinion"] == "希望缩短交货期。\n包装需加强防潮。"
    # two filled rows (one added with the + button), blank paper rows dropped
    assert values["problems"] == [
        {"product": "主轴 ZS-40", "model": None, "qty": 3, "found-on": "2026-11-02",
         "severity": "一般", "description": "端面跳动超差"},
        {"product": "轴承座", "model": None, "qty": None, "found-on": None, "severity": None,
         "description": None},
    ]
    assert values["customer-sign"] == {"name": "王经理", "date": "2026-11-21"}
    assert values["filled-by"] == {"name": "李娜", "date": "2026-11-21"}
    assert values["reviewed-by"] is None


def test_typed_dates_in_chinese_style_are_read(docset: DocumentSet, blank: bytes,
                                               tmp_path: Path) -> None:
    path = tmp_path / "typed.docx"
    path.write_bytes(fill(blank, {**GOOD, "visit-date": "2026年11月3日"}, raw_dates=True))
    assert read_record(path, docset, FormLabels()).values["visit-date"] == "2026-11-03"


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"order-qty": "一千二"}, "订货数量 (order-qty)", "不是数字"),
    ({"order-qty": "200000"}, "订货数量 (order-qty)", "大于上限 100000"),
    ({"customer": None}, "顾客名称 (customer)", "必填，但未填写"),
    ({"satisfaction=满意": None}, "总体满意度 (satisfaction)", "必填"),
    ({"satisfaction=很满意": True}, "总体满意度 (satisfaction)", "只能勾选一项"),
    ({"complaint=yes": True}, "是否有投诉 (complaint)", "只能勾选一项"),
    ({"channel": "传真"}, "回访方式 (channel)", "不是可选项之一"),
    ({"filled-by": None}, "填表人/日期 (filled-by)", "没有签名"),
    ({"problems.product#1": None}, "产品问题 (problems)", "第 1 行，产品名称 列：必填"),
    ({"problems.qty#1": "三"}, "产品问题 (problems)", "第 1 行，数量 列"),
])
def test_bad_values_are_named_by_file_and_field(docset: DocumentSet, blank: bytes,
                                                tmp_path: Path, changes: dict[str, Any],
                                                field: str, words: str) -> None:
    path = filled(blank, tmp_path, **changes)
    with pytest.raises(RecordErrors) as caught:
        read_record(path, docset, FormLabels())
    problems = caught.value.problems
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{path.as_posix()}: QR-01-01 A/1: 字段 {field}：")
    assert words in problems[0]


def test_typed_text_that_is_no_date_is_refused(docset: DocumentSet, blank: bytes,
                                               tmp_path: Path) -> None:
    path = tmp_path / "typed.docx"
    path.write_bytes(fill(blank, {**GOOD, "visit-date": "下周二"}, raw_dates=True))
    with pytest.raises(RecordErrors, match=r"回访日期 \(visit-date\)：'下周二' 不是日期"):
        read_record(path, docset, FormLabels())


def with_properties(data: bytes, version: str) -> bytes:
    """The file with another version in its properties and header (an old blank form)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename in ("docProps/custom.xml", "word/document.xml"):
                body = body.replace(b">A/1<", f">{version}<".encode()).replace(
                    b"QR-01-01 A/1", f"QR-01-01 {version}".encode())
            target.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize(("version", "words"), [
    ("A/0", "QR-01-01 顾客意见征询书 的版本 A/0 已作废；现行版本是 A/1"),
    ("B/7", "QR-01-01 顾客意见征询书 的版本 B/7 未知"),
])
def test_obsolete_and_unknown_versions_are_refused(docset: DocumentSet, blank: bytes,
                                                   tmp_path: Path, version: str,
                                                   words: str) -> None:
    path = filled(blank, tmp_path)
    path.write_bytes(with_properties(path.read_bytes(), version))
    with pytest.raises(RecordErrors) as caught:
        read_record(path, docset, FormLabels())
    [problem] = caught.value.problems
    assert problem.startswith(f"{path.as_posix()}: {words}")


@pytest.mark.parametrize(("content", "words"), [
    (b"just some text", "不是 .docx（Word）文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "旧的 .doc 文件"),
    (b"PK\x03\x04 broken zip", "已损坏"),
])
def test_damaged_and_foreign_files_are_refused(docset: DocumentSet, tmp_path: Path,
                                               content: bytes, words: str) -> None:
    path = tmp_path / "x.docx"
    path.write_bytes(content)
    with pytest.raises(RecordErrors, match=r"x\.docx: ") as caught:
        read_record(path, docset, FormLabels())
    assert words in caught.value.problems[0]


def test_a_deleted_control_is_reported_as_unidentified(docset: DocumentSet, blank: bytes,
                                                       tmp_path: Path) -> None:
    data = fill(blank, GOOD)
    source = zipfile.ZipFile(io.BytesIO(data))
    xml = source.read("word/document.xml").decode()
    start = xml.index('<w:sdt><w:sdtPr><w:alias w:val="联系人"/>')
    end = xml.index("</w:sdt>", start) + len("</w:sdt>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "word/document.xml":
                body = (xml[:start] + xml[end:]).encode()
            target.writestr(info, body)
    path = tmp_path / "edited.docx"
    path.write_bytes(out.getvalue())
    with pytest.raises(RecordErrors, match=r"无法识别字段 联系人 \(contact\)"):
        read_record(path, docset, FormLabels())


def test_import_writes_json_and_register_and_is_idempotent(docset: DocumentSet, blank: bytes,
                                                           tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled(blank, inbox, "a.docx")
    filled(blank, inbox, "b.docx", **{"wenkong:serial": None, "customer": "常州精工"})
    records = tmp_path / "records"
    result = import_records([inbox], docset, records)
    assert len(result.added) == 2 and not result.unchanged
    files = sorted(p.relative_to(records).as_posix() for p in records.rglob("*") if p.is_file())
    hashed = next(f for f in files if f not in ("QR-01-01/2026-017.json",
                                                "QR-01-01/register.csv"))
    assert files == sorted(["QR-01-01/2026-017.json", "QR-01-01/register.csv", hashed])
    stored = json.loads((records / "QR-01-01" / "2026-017.json").read_text("utf-8"))
    assert stored["form"] == "QR-01-01" and stored["version"] == "A/1"
    assert stored["values"]["satisfaction"] == "满意"
    raw = (records / "QR-01-01" / "register.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the Chinese right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:4] == ["记录", "编号", "版本", "顾客名称"]
    assert len(rows) == 3
    by_serial = {row[1]: row for row in rows[1:]}
    assert by_serial["2026-017"][3] == "无锡华东汽车配件有限公司"
    assert by_serial[""][3] == "常州精工"
    before = {p: p.read_bytes() for p in records.rglob("*") if p.is_file()}

    again = import_records([inbox], docset, records)
    assert not again.added and len(again.unchanged) == 2
    after = {p: p.read_bytes() for p in records.rglob("*") if p.is_file()}
    assert after == before


def test_one_bad_file_and_nothing_is_written(docset: DocumentSet, blank: bytes,
                                            tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    filled(blank, inbox, "good.docx")
    filled(blank, inbox, "bad.docx", **{"wenkong:serial": "2026-018", "customer": None})
    (inbox / "notes.docx").write_bytes(b"not a word file")
    records = tmp_path / "records"
    with pytest.raises(RecordErrors) as caught:
        import_records([inbox], docset, records)
    assert len(caught.value.problems) == 2
    assert not records.exists()


def test_same_serial_with_other_values_needs_replace(docset: DocumentSet, blank: bytes,
                                                     tmp_path: Path) -> None:
    records = tmp_path / "records"
    first = filled(blank, tmp_path, "first.docx")
    import_records([first], docset, records)
    second = filled(blank, tmp_path, "second.docx", customer="改过的顾客")
    with pytest.raises(RecordErrors, match=r"already filed .* --replace"):
        import_records([second], docset, records)
    stored = json.loads((records / "QR-01-01" / "2026-017.json").read_text("utf-8"))
    assert stored["values"]["customer"] == "无锡华东汽车配件有限公司"
    result = import_records([second], docset, records, replace=True)
    assert len(result.replaced) == 1
    stored = json.loads((records / "QR-01-01" / "2026-017.json").read_text("utf-8"))
    assert stored["values"]["customer"] == "改过的顾客"


def test_two_files_of_one_batch_under_one_serial(docset: DocumentSet, blank: bytes,
                                                 tmp_path: Path) -> None:
    one = filled(blank, tmp_path, "one.docx")
    two = filled(blank, tmp_path, "two.docx", customer="另一个顾客")
    with pytest.raises(RecordErrors, match="is also used by"):
        import_records([one, two], docset, tmp_path / "records")
    assert not (tmp_path / "records").exists()


def test_cli_imports_and_fails_clearly(blank: bytes, tmp_path: Path) -> None:
    runner = CliRunner()
    good = filled(blank, tmp_path, "good.docx")
    records = tmp_path / "records"
    result = runner.invoke(app, ["records", "import", str(good), "--root", str(FIXTURE),
                                 "--records-dir", str(records)])
    assert result.exit_code == 0, result.output
    assert "新归档 1 份记录" in result.output
    bad = filled(blank, tmp_path, "bad.docx", **{"order-qty": "很多"})
    result = runner.invoke(app, ["records", "import", str(bad), "--root", str(FIXTURE),
                                 "--records-dir", str(records)])
    assert result.exit_code == 1
    assert "bad.docx: QR-01-01 A/1: 字段 订货数量 (order-qty)：'很多' 不是数字" in (
        result.output)
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("status", "words"), [
    ("obsolete", "表单 QR-01-01 顾客意见征询书 已作废"),
    ("draft", "表单 QR-01-01 A/1 尚未发布（状态 draft）"),
])
def test_forms_not_in_use_take_no_records(blank: bytes, tmp_path: Path, status: str,
                                          words: str) -> None:
    import shutil

    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    source = root / "forms" / "QR-01-01.yaml"
    source.write_text(source.read_text("utf-8").replace("status: effective",
                                                        f"status: {status}"), "utf-8")
    changed = load_document_set(root)
    path = filled(blank, tmp_path)
    with pytest.raises(RecordErrors) as caught:
        import_records([path], changed, tmp_path / "records")
    assert caught.value.problems == [f"{path.as_posix()}: {words}" + (
        "：不再用它填写记录" if status == "obsolete" else
        "：只保存已发布表单上的记录")]
    assert not (tmp_path / "records").exists()


def test_unknown_form_code(docset: DocumentSet, blank: bytes, tmp_path: Path) -> None:
    path = filled(blank, tmp_path)
    data = path.read_bytes()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/custom.xml":
                body = body.replace(b">QR-01-01<", b">QR-99-01<")
            target.writestr(info, body)
    path.write_bytes(out.getvalue())
    with pytest.raises(RecordErrors, match=r"未知表单 QR-99-01.*已有表单：QR-01-01, "
                                           r"QR-01-02"):
        read_record(path, docset, FormLabels())


def test_identified_by_header_when_properties_are_gone(docset: DocumentSet, blank: bytes,
                                                      tmp_path: Path) -> None:
    path = filled(blank, tmp_path)
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            if info.filename != "docProps/custom.xml":
                target.writestr(info, source.read(info.filename))
    path.write_bytes(out.getvalue())
    assert read_record(path, docset, FormLabels()).form.code == "QR-01-01"


def test_a_broken_old_record_stops_the_batch(docset: DocumentSet, blank: bytes,
                                             tmp_path: Path) -> None:
    records = tmp_path / "records"
    (records / "QR-01-01").mkdir(parents=True)
    (records / "QR-01-01" / "old.json").write_text("{ not json", "utf-8")
    path = filled(blank, tmp_path)
    with pytest.raises(RecordErrors, match=r"old\.json: existing record cannot be read"):
        import_records([path], docset, records)
    assert sorted(p.name for p in (records / "QR-01-01").iterdir()) == ["old.json"]
