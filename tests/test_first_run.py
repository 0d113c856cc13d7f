"""A new user's first run: `wenkong init` takes the company's choices, the sample speaks
mainland wording, serving keeps what it does not rebuild, the README's examples are true."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from generator.model.settings import Settings
from generator.resolve import load_document_set
from generator.scaffold import init_document_set, layout_presets

REPO = Path(__file__).resolve().parent.parent


def wenkong(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, timeout=300, stdin=subprocess.DEVNULL)


def test_init_takes_the_company_choices_and_starts_control(tmp_path: Path) -> None:
    root = tmp_path / "dh"
    result = wenkong("init", str(root), "--company", "东湖精工电子有限公司", "--code-prefix",
                     "DH-", "--layout", "decimal-zero", "--office", "综合办公室")
    assert result.returncode == 0, result.stderr
    settings = yaml.safe_load((root / "wenkong.yaml").read_text(encoding="utf-8"))
    assert settings["code_prefix"] == "DH-"
    assert settings["numbering_style"] == "decimal_zero"
    assert settings["section_titles"]["responsibilities"] == "权责"
    assert settings["controlled_notice"] == "受控文件 未经综合办公室批准不得复印"
    roles = yaml.safe_load((root / "roles.yaml").read_text(encoding="utf-8"))["roles"]
    office = next(r for r in roles if r["id"] == settings["document_control_office"])
    assert office["name"] == "综合办公室"
    # no examples to delete; the company's own copy of the Word template; git; empty lock
    assert list((root / "procedures").glob("*.yaml")) == []
    assert list((root / "forms").glob("*.yaml")) == []
    template = REPO / "templates" / "procedure.docx"
    assert (root / "templates" / "procedure.docx").read_bytes() == template.read_bytes()
    assert (root / ".git").is_dir()
    assert yaml.safe_load((root / "wenkong.lock").read_text(encoding="utf-8")) == {
        "documents": {}, "lock_format": 1}
    # the new set validates and builds as it is, then grows with `wenkong new`
    assert wenkong("validate", str(root)).returncode == 0
    assert wenkong("new", "procedure", "QP-01", "仓库管理程序", "--root", str(root)).returncode == 0
    docset = load_document_set(root)
    assert list(docset.procedures) == ["QP-01"]
    assert docset.settings.numbering_style == "decimal_zero"


def test_init_example_and_refusals(tmp_path: Path) -> None:
    created = init_document_set(tmp_path / "ex", "甲公司", example=True)
    assert tmp_path / "ex" / "procedures" / "QP-01.yaml" in created
    assert not (tmp_path / "ex" / ".git").exists()  # control=False: fixtures stay plain
    result = wenkong("init", str(tmp_path / "bad"), "--layout", "fancy", "--company", "乙")
    assert result.returncode == 1 and "fancy" in result.stderr and "standard" in result.stderr
    assert not (tmp_path / "bad").exists()


def test_every_layout_preset_validates(tmp_path: Path) -> None:
    for name in layout_presets():
        root = tmp_path / name
        init_document_set(root, "丙公司", layout=name, example=True)
        assert load_document_set(root).settings.section_titles.procedure


def test_controlled_notice_uses_mainland_wording() -> None:
    sample = yaml.safe_load((REPO / "wenkong.yaml").read_text(encoding="utf-8"))
    default = Settings.model_fields["controlled_notice"].default
    for notice in (sample["controlled_notice"], default):
        assert "受控文件" in notice and "复印" in notice
        for taiwanese in ("管制", "影印", "洽"):
            assert taiwanese not in notice
