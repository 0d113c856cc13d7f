"""A new user's first run: `wenkong init` takes the company's choices, the sample speaks
mainland wording, serving keeps what it does not rebuild, the README's examples are true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
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


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The bundled sample set built once, as `wenkong build` does (no --pdf)."""
    target = tmp_path_factory.mktemp("sample") / "build"
    result = wenkong("build", "-o", str(target))
    assert result.returncode == 0, result.stderr
    return target, result.stdout


def test_obsolete_documents_go_to_the_archive_only(sample_build: tuple[Path, str]) -> None:
    target, stdout = sample_build
    current = sorted(p.name for p in (target / "procedures").glob("*.docx"))
    archived = sorted(p.name for p in (target / "archive" / "procedures").glob("*.docx"))
    assert archived and all(name.startswith("QP-16_") for name in archived)
    assert not any(name.startswith("QP-16_") for name in current)
    assert len(current) == 16
    # the build says what it set aside and why
    assert "QP-16" in stdout and "archive/" in stdout
    assert "未生成空白表单" in stdout and "QR-16-01" in stdout
    # the site's archive still offers the obsolete document for download
    site = target / "site"
    download = site / "downloads" / "archive" / "procedures" / archived[0]
    assert download.read_bytes() == (target / "archive" / "procedures" / archived[0]).read_bytes()
    page = (site / "archive" / "QP-16.html").read_text(encoding="utf-8")
    assert f"downloads/archive/procedures/{quote(archived[0])}" in page


def test_a_build_without_pdf_keeps_the_current_pdfs(tmp_path: Path) -> None:
    """`wenkong serve` (a build without --pdf) right after `make sample` must not delete
    build/pdf; a PDF of a version no longer built is dropped."""
    from generator.build import BuildOptions, build
    from generator.render.docx.procedure import pdf_name

    root = tmp_path / "set"
    init_document_set(root, "丁公司", example=True)
    target = tmp_path / "build"
    docset = load_document_set(root)
    files = build(docset, BuildOptions(root=root, output=target, only=frozenset({"procedures"})))
    docx = next(name for name in files if name.endswith(".docx"))
    current = pdf_name(docx)
    assert current is not None and current.startswith("pdf/")
    (target / "pdf").mkdir()
    (target / current).write_bytes(b"%PDF current")
    (target / "pdf" / "QP-01_A-9_旧版.pdf").write_bytes(b"%PDF outdated")
    (target / "forms").mkdir()
    (target / "forms" / "kept.docx").write_bytes(b"not rebuilt by --only procedures")
    build(docset, BuildOptions(root=root, output=target, only=frozenset({"procedures"})))
    assert (target / current).read_bytes() == b"%PDF current"
    assert not (target / "pdf" / "QP-01_A-9_旧版.pdf").exists()
    assert (target / "forms" / "kept.docx").exists()
    # a full build (what serve runs) keeps the current PDF as well
    build(docset, BuildOptions(root=root, output=target))
    assert (target / current).read_bytes() == b"%PDF current"


def readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_names_only_files_the_sample_build_has(sample_build: tuple[Path, str]) -> None:
    target, _ = sample_build
    named = set(re.findall(r"`((?:QP|QR)-[\w-]+?_[A-Z]-\d+_[^`/]+\.docx)`", readme()))
    assert len(named) >= 2  # the blank form and the procedure examples
    built = {p.name for folder in ("procedures", "forms") for p in (target / folder).glob("*")}
    assert sorted(named - built) == []


def test_readme_codes_and_titles_match_the_sample() -> None:
    docset = load_document_set(REPO)
    titles = {**{c: d.title for c, d in docset.procedures.items()},
              **{c: d.title for c, d in docset.forms.items()}}
    text = readme()
    pairs = re.findall(r"^code: ((?:QP|QR)-[\d-]+)\ntitle: (\S+)", text, re.M)
    pairs += re.findall(r"《(\S+?)》((?:QP|QR)-[\d-]+)", text)
    pairs = [(a, b) if a[:2] in ("QP", "QR") else (b, a) for a, b in pairs]
    assert pairs
    assert [(code, title) for code, title in pairs if titles.get(code) != title] == []
    # every document code the README names exists in the sample set
    codes = set(re.findall(r"(?<![A-Za-z0-9-])(Q[PR]-\d\d(?:-\d\d)?)(?![\d-])", text))
    assert sorted(codes - set(titles)) == []


def test_readme_commands_exist() -> None:
    import typer.main

    from generator.cli import app

    group = typer.main.get_command(app)
    names = set(re.findall(r"`wenkong ([a-z]+)", readme()))
    assert {"build", "validate", "release"} <= names
    assert sorted(n for n in names if n not in group.commands) == []  # type: ignore[attr-defined]
