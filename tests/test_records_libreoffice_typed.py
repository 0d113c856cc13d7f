"""A form filled in LibreOffice Writer itself (through its UNO API, as a clerk typing): typed
text, ticked boxes, a picked date and a dropdown choice are read back."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import pytest
from forms_support import with_document
from lxml import etree

from generator.records import read_record
from generator.render.docx.form import FormLabels, render_form
from generator.render.docx.sdt import W_NS
from generator.resolve import load_document_set

HERE = Path(__file__).parent
FIXTURE = HERE / "fixtures" / "forms" / "set"
SYSTEM_PYTHON = "/usr/bin/python3"
W = f"{{{W_NS}}}"


def has_uno() -> bool:
    if shutil.which("soffice") is None or not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


pytestmark = [
    pytest.mark.client,
    pytest.mark.skipif(not has_uno(), reason="LibreOffice with python3-uno is not installed"),
]


def _mark_boxes(data: bytes, marks: dict[str, str]) -> bytes:
    """The blank form with a distinct placeholder text in some text boxes (by tag), so that
    each can be found and typed over in Writer (their placeholders are blank by default)."""
    package = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(package.read("word/document.xml"))
    for control in root.iter(f"{W}sdt"):
        tag = control.find(f"{W}sdtPr/{W}tag")
        if tag is not None and tag.get(f"{W}val") in marks:
            texts = list(control.iter(f"{W}t"))
            texts[0].text = marks[tag.get(f"{W}val")]
            for extra in texts[1:]:
                extra.text = ""
    return with_document(package, root)


def test_form_typed_in_libreoffice(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    source = root / "forms" / "QR-01-01.yaml"
    text = source.read_text("utf-8")
    text = text.replace("{id: filled-by, label: 填表人/日期, required: true}",
                        "{id: filled-by, label: 填表人/日期}")
    source.write_text(text, "utf-8")
    docset = load_document_set(root)
    blank = tmp_path / "blank.docx"
    # a distinct placeholder in every box to type in, still shown as placeholder text
    blank.write_bytes(_mark_boxes(
        render_form(docset, docset.forms["QR-01-01"], FormLabels()),
        {"customer": "填顾客", "contact": "填联系人", "order-qty": "填数量", "opinion": "填意见"}))

    instructions = {
        "replace": {"填顾客": "常州精工机械有限公司", "填联系人": "Mr. 王",
                    "填数量": "350", "填意见": "包装需加强防潮。"},
        # boxes in order: 很满意 满意 一般 不满意 | 产品质量 交货期 价格 服务态度 技术支持 | 是 否
        "check": [0, 4, 6, 10],
        "dates": {"0": "2026-11-20"},
        "dropdowns": {"0": "电话"},
    }
    plan = tmp_path / "fill.json"
    plan.write_text(json.dumps(instructions, ensure_ascii=False), "utf-8")
    typed = tmp_path / "typed.docx"
    subprocess.run([SYSTEM_PYTHON, str(HERE / "lo_fill_uno.py"), str(blank), str(typed),
                    str(plan), f"/tmp/lo-profile-forms-uno-{uuid.uuid4().hex}"],
                   check=True, capture_output=True, timeout=180)

    values = read_record(typed, docset, FormLabels()).values
    assert values["customer"] == "常州精工机械有限公司"
    assert values["contact"] == "Mr. 王"
    assert values["phone"] is None  # left blank: its placeholder is no value
    assert values["order-qty"] == 350
    assert values["opinion"] == "包装需加强防潮。"
    assert values["satisfaction"] == "很满意"
    assert values["concerns"] == ["产品质量", "价格"]
    assert values["complaint"] is False
    assert values["visit-date"] == "2026-11-20"
    assert values["channel"] == "电话"
    assert values["problems"] == []
