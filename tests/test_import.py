"""`wenkong import`: Word procedures and forms in, draft YAML out, built back and compared."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest
from import_corpus import Expected, make_corpus
from typer.testing import CliRunner

from generator.cli import app
from generator.importer.fidelity import docx_text, fidelity
from generator.importer.labels import find_label
from generator.importer.run import ImportReport, import_documents
from generator.importer.wordnumbering import WordNumbering, format_number
from generator.render.docx.procedure import find_template, load_template, render_procedure
from generator.resolve import load_document_set
from generator.scaffold import init_document_set


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Expected]]:
    folder = tmp_path_factory.mktemp("corpus")
    return folder, make_corpus(folder)


@pytest.fixture(scope="module")
def imported(corpus: tuple[Path, dict[str, Expected]],
             tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ImportReport]:
    root = tmp_path_factory.mktemp("set") / "set"
    init_document_set(root, "东湖精工电子有限公司", example=True)
    return root, import_documents([corpus[0]], root)


@pytest.mark.client
def test_every_corpus_file_imports_validates_and_builds_back(
        corpus: tuple[Path, dict[str, Expected]], imported: tuple[Path, ImportReport]) -> None:
    root, report = imported
    expected = corpus[1]
    by_name = {r.source.name: r for r in report.files}
    assert set(by_name) == set(expected)
    for name, want in expected.items():
        result = by_name[name]
        assert result.error is None, (name, result.error)
        assert result.written and result.problems == [], (name, result.problems)
        assert result.code == want.code and result.title == want.title
        assert result.fidelity is not None and result.fidelity >= 0.95, (name, result.fidelity,
                                                                          result.missing)
        if result.kind == "procedure":
            assert result.headings is not None
            exact, total = result.headings
            assert exact == total and total >= len(want.headings), (name,
                                                                    result.heading_misses)
    docset = load_document_set(root)  # what `wenkong validate` checks
    template = load_template(find_template(docset), root)
    for want in expected.values():
        if want.code not in docset.procedures:
            assert want.code in docset.forms
            continue
        text = docx_text(render_procedure(docset.procedures[want.code], docset, template))
        flat = text.replace(" ", "")
        for heading in want.headings:
            assert heading.replace(" ", "") in flat, (want.code, heading)
        for phrase in want.phrases:
            assert phrase in flat, (want.code, phrase)


@pytest.mark.client
def test_imported_yaml_keeps_what_the_original_says(imported: tuple[Path, ImportReport]) -> None:
    root, _ = imported
    qp21 = (root / "procedures" / "QP-21.yaml").read_text(encoding="utf-8")
    assert "version: A/1" in qp21
    assert ("{version: A/1, date: 2024-03-02, clauses: '5.2', summary: 投诉回复时限由三天改为两天"
            in qp21)
    assert "approver: {name: 韩东, date: 2024-03-08}" in qp21
    assert "countersign: [quality, production]" in qp21
    assert "【form:QR-21-01】" in qp21  # a form of the same run is cited by reference
    assert "process:" in qp21 and "owners: [quality]" in qp21
    assert "# 导入推断:" in qp21
    form = (root / "forms" / "QR-21-01.yaml").read_text(encoding="utf-8")
    assert "procedure: QP-21" in form
    assert "type: choice, options: [电话, 邮件, 来函]" in form
    assert "type: yes_no" in form and "type: date" in form
    assert "label: 规格型号" in form and "rows: 3" in form
    assert "label: 登记人/日期" in form
    qp26 = (root / "procedures" / "QP-26.yaml").read_text(encoding="utf-8")
    assert "numbering: [一、, '1.1']" in qp26 or "numbering: [一、, 1.1]" in qp26
    assert "  - related: 参考文件\n" not in qp26  # numbered entries: kept as its own section
    assert "  - responsibilities: 权责\n  - procedure: 作业内容\n" in qp26
    assert "step_labels: given" in qp26 and "owners: [各部门]" in qp26
    assert "- {label: 是, to: s" in qp26 and "- {label: 否, to: s" in qp26
    assert "{show: label, title: 序号}" in qp26
    assert "figure:\n" in qp26 and "file: figures/QP-26-1.png" in qp26
    assert (root / "figures" / "QP-26-1.png").read_bytes().startswith(b"\x89PNG")
    qp25 = (root / "procedures" / "QP-25.yaml").read_text(encoding="utf-8")
    assert "numbering: ['1.0', '1.1', 1.1.1, 1.1.1.1]" in qp25
    assert "terms" not in qp25  # the original has no terms section: none is printed
    assert "id: formula-1" in qp25 and "按公式【formula:formula-1】统计" in qp25
    qp27 = (root / "procedures" / "QP-27.yaml").read_text(encoding="utf-8")
    assert "numbering: [第一章, {format: 第一条, continuous: true}]" in qp27
    assert "  - part2: 收料与发料\n" in qp27
    roles = (root / "roles.yaml").read_text(encoding="utf-8")
    assert "name: 生产部" in roles and "导入推断" in roles


@pytest.mark.client
def test_existing_files_are_kept_unless_replace(
        corpus: tuple[Path, dict[str, Expected]], imported: tuple[Path, ImportReport]) -> None:
    root, _ = imported
    target = root / "procedures" / "QP-21.yaml"
    before = target.read_bytes()
    target.write_bytes(before + b"# hand edit\n")
    source = corpus[0] / "客户投诉处理程序.docx"
    again = import_documents([source], root)
    assert again.files[0].error is not None and "--replace" in again.files[0].error
    assert target.read_bytes().endswith(b"# hand edit\n")
    replaced = import_documents([source], root, replace=True)
    assert replaced.files[0].written
    assert target.read_bytes() == before  # same input, same bytes


def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


_DOC = (b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
        b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>1 \xe7\x9b\xae\xe7\x9a\x84</w:t>'
        b'</w:r></w:p></w:body></w:document>')


def test_bad_files_get_their_own_error_and_the_rest_is_imported(
        corpus: tuple[Path, dict[str, Expected]], tmp_path: Path) -> None:
    root = tmp_path / "set"
    init_document_set(root, "测试公司", example=True)
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(corpus[0] / "客户投诉处理程序.docx", folder / "good.docx")
    (folder / "bomb.docx").write_bytes(_zip({"word/document.xml": _DOC,
                                             "word/media/big.bin": b"\0" * (60 << 20)}))
    entity = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
              + _DOC[21:])
    (folder / "entity.docx").write_bytes(_zip({"word/document.xml": entity}))
    (folder / "text.docx").write_bytes("这不是 Word 文件".encode())
    (folder / "cut.docx").write_bytes((corpus[0] / "客户投诉处理程序.docx").read_bytes()[:900])
    broken = bytearray(_zip({"word/document.xml": _DOC * 40}))
    broken[60:90] = b"\xff" * 30  # damaged deflate data, intact directory
    (folder / "broken.docx").write_bytes(bytes(broken))
    result = CliRunner().invoke(app, ["import", str(folder), "--root", str(root)])
    assert result.exit_code == 1, result.output
    errors = {line.split(":")[0].split("/")[-1]: line for line in result.output.splitlines()
              if line.startswith("✗")}
    assert set(errors) == {"bomb.docx", "entity.docx", "text.docx", "cut.docx", "broken.docx"}
    assert "已损坏" in errors["broken.docx"]
    assert "压缩炸弹" in errors["bomb.docx"]
    assert "实体声明" in errors["entity.docx"]
    assert "不是 Word" in errors["text.docx"]
    assert "Traceback" not in result.output
    assert (root / "procedures" / "QP-21.yaml").is_file()
    assert "bomb.docx" in (root / "import-report.md").read_text(encoding="utf-8")
    load_document_set(root)


def test_typed_labels() -> None:
    cases = {
        "1.0 目的": ("decimal_zero", (1,), "目的"),
        "3.1销售部负责": ("decimal", (3, 1), "销售部负责"),
        "一、目的": ("chinese", (1,), "目的"),
        "（十二）记录": ("paren_chinese", (12,), "记录"),
        "第二十三条 本办法": ("article", (23,), "本办法"),
        "5.2 日常点检": ("decimal", (5, 2), "日常点检"),
        "b) 交期": ("lettered", (2,), "交期"),
    }
    for text, (kind, numbers, rest) in cases.items():
        found = find_label(text)
        assert found is not None and (found.kind, found.numbers, found.rest) == (
            kind, numbers, rest), text
    for text in ("24小时内答复", "2026-11-09 发布", "3个工作日内", "QP-15"):
        assert find_label(text) is None, text


def test_word_numbering_replays_counters_per_level() -> None:
    from lxml import etree
    xml = (
        '<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        '<w:abstractNum w:abstractNumId="1">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
        '<w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>'
        '<w:lvlText w:val="%1.%2"/><w:isLgl/></w:lvl></w:abstractNum>'
        '<w:num w:numId="7"><w:abstractNumId w:val="1"/></w:num></w:numbering>')
    numbering = WordNumbering(etree.fromstring(xml.encode()))
    shown = []
    for level in (0, 0, 0, 1, 1, 0, 1):
        label = numbering.label("7", level)
        assert label is not None
        shown.append(label.text)
    assert shown == ["一、", "二、", "三、", "3.1", "3.2", "四、", "4.1"]
    assert format_number(12, "chineseCounting") == "十二"
    assert format_number(3, "decimalEnclosedCircle") == "③"
    assert numbering.label("0", 0) is None


def test_fidelity_counts_characters_in_order() -> None:
    assert fidelity("一二三四", "一 二x三四") == 1.0
    assert fidelity("一二三四", "四三二一") == 0.25
    assert fidelity("第 1 页 共 3 页 目的", "目的") == 1.0


@pytest.mark.client
def test_figure_files_are_checked(imported: tuple[Path, ImportReport], tmp_path: Path) -> None:
    from generator.errors import SourceErrors

    root = tmp_path / "set"
    shutil.copytree(imported[0], root)
    source = root / "procedures" / "QP-26.yaml"
    good = source.read_text(encoding="utf-8")
    (root / "figures" / "note.png").write_text("not a picture", encoding="utf-8")
    for bad, message in (("../outside.png", "请给出文件集内的路径"),
                         ("figures/none.png", "文件不存在"),
                         ("figures/note.png", "不是 PNG 或 JPEG 图片")):
        source.write_text(good.replace("figures/QP-26-1.png", bad), encoding="utf-8")
        with pytest.raises(SourceErrors) as caught:
            load_document_set(root)
        assert any(message in p.message and p.file == "procedures/QP-26.yaml"
                   for p in caught.value.errors), caught.value.errors


def test_without_root_only_the_current_folder_is_a_target(
        corpus: tuple[Path, dict[str, Expected]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # not a document set: nothing may go to the sample set
    result = CliRunner().invoke(app, ["import", str(corpus[0] / "客户投诉处理程序.docx")])
    assert result.exit_code == 1
    assert "wenkong.yaml" in result.output
    assert list(tmp_path.iterdir()) == []
