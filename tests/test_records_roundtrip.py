"""Records through a clerk's editor: forms filled, then opened and re-saved by LibreOffice.

LibreOffice 7.4 drops the tags of content controls, splits text controls holding Chinese into
copies, and keeps only the state of checkboxes: the reader must still find every field.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from forms_support import fill, resave_with_libreoffice
from test_records_import import GOOD

from generator.docset import DocumentSet
from generator.records import RecordErrors, import_records, open_filled, read_controls, read_record
from generator.render.docx.form import FormLabels, render_form
from generator.resolve import load_document_set

FIXTURE = Path(__file__).parent / "fixtures" / "forms" / "set"

pytestmark = [
    pytest.mark.client,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed"),
]

LANDSCAPE = {
    "year": "2026",
    "entries.received-on#1": "2026-01-05",
    "entries.customer#1": "Bosch 苏州",
    "entries.content#1": "来料外观划伤，批量 200 件",
    "entries.kind#1": "质量",
    "entries.received-on#3": "2026-02-11",
    "entries.content#3": "交货推迟三天",
    "entries.kind#3": "交期",
    "registrar": "周敏",
    "registrar.date": "2026-02-12",
}


@pytest.fixture(scope="module")
def docset() -> DocumentSet:
    return load_document_set(FIXTURE)


@pytest.fixture(scope="module")
def resaved(docset: DocumentSet, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Word-filled files, a blank form, and their LibreOffice re-saves (one soffice call)."""
    folder = tmp_path_factory.mktemp("word")
    labels = FormLabels()
    blank = render_form(docset, docset.forms["QR-01-01"], labels)
    files = {
        "full": fill(blank, GOOD, extra_rows={"problems": 1}),
        "required-missing": fill(blank, {k: v for k, v in GOOD.items() if k != "customer"}),
        "blank": blank,
        "landscape": fill(render_form(docset, docset.forms["QR-01-02"], labels), LANDSCAPE),
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.docx"
        paths[name].write_bytes(data)
    out = resave_with_libreoffice(list(paths.values()), tmp_path_factory.mktemp("lo"))
    result = dict(paths)
    for name, path in zip(files, out, strict=True):
        result[f"lo-{name}"] = path
    # a clerk who saves twice: LibreOffice re-saving its own file
    [twice] = resave_with_libreoffice([result["lo-full"]], tmp_path_factory.mktemp("lo2"))
    result["lo-lo-full"] = twice
    return result


def same_but_line_breaks(values: dict[str, Any]) -> dict[str, Any]:
    """LibreOffice 7.4 joins the lines of a multi-line text control when it re-saves."""
    return {k: v.replace("\n", "") if isinstance(v, str) else v for k, v in values.items()}


def test_libreoffice_drops_the_tags(resaved: dict[str, Path]) -> None:
    """The premise: if LibreOffice ever keeps tags, the fallback below is not being tested."""
    controls = read_controls(open_filled(resaved["lo-full"]).body)
    assert controls and all(c.tag is None for c in controls)
    assert any(c.alias == "顾客名称" for c in controls)


@pytest.mark.parametrize("name", ["lo-full", "lo-lo-full", "lo-landscape"])
def test_values_survive_libreoffice_resaves(docset: DocumentSet, resaved: dict[str, Path],
                                            name: str) -> None:
    word = read_record(resaved[name.replace("lo-", "")], docset, FormLabels())
    libre = read_record(resaved[name], docset, FormLabels())
    assert libre.values == same_but_line_breaks(word.values)
    assert libre.serial == word.serial


def test_libreoffice_joins_the_lines_of_long_text(docset: DocumentSet,
                                                  resaved: dict[str, Path]) -> None:
    """Known loss, kept visible: if LibreOffice starts keeping line breaks, relax the above."""
    word = read_record(resaved["full"], docset, FormLabels()).values["opinion"]
    libre = read_record(resaved["lo-full"], docset, FormLabels()).values["opinion"]
    assert word == "希望缩短交货期。\n包装需加强防潮。"
    assert libre == "希望缩短交货期。包装需加强防潮。"


def test_landscape_values(docset: DocumentSet, resaved: dict[str, Path]) -> None:
    values = read_record(resaved["lo-landscape"], docset, FormLabels()).values
    assert values["year"] == 2026
    assert [row["content"] for row in values["entries"]] == [
        "来料外观划伤，批量 200 件", "交货推迟三天"]
    assert values["entries"][0]["customer"] == "Bosch 苏州"
    assert values["entries"][1]["kind"] == "交期"
    assert values["registrar"] == {"name": "周敏", "date": "2026-02-12"}


def test_placeholders_are_not_values_after_a_resave(docset: DocumentSet,
                                                    resaved: dict[str, Path]) -> None:
    for name in ("blank", "lo-blank"):
        with pytest.raises(RecordErrors) as caught:
            read_record(resaved[name], docset, FormLabels())
        problems = caught.value.problems
        assert len(problems) == 4, problems
        assert all("必填，但" in p for p in problems)
    with pytest.raises(RecordErrors, match=r"顾客名称 \(customer\)：必填"):
        read_record(resaved["lo-required-missing"], docset, FormLabels())


def test_a_resaved_copy_is_the_same_record(docset: DocumentSet, resaved: dict[str, Path],
                                           tmp_path: Path) -> None:
    records = tmp_path / "records"
    first = import_records([resaved["full"]], docset, records)
    assert len(first.added) == 1
    # the copies differ from Word's only by the joined lines of 意见与建议
    second = import_records([resaved["lo-lo-full"], resaved["lo-full"]], docset, records)
    assert not second.added and not second.replaced and len(second.unchanged) == 2
    assert sorted(p.name for p in (records / "QR-01-01").iterdir()) == [
        "2026-017.json", "register.csv"]
