"""Starting and growing a document set: `wenkong init` and `wenkong new`.

Skeleton files are Jinja templates in generator/skeleton/; values are quoted as YAML strings
so any company name or title is safe.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jinja2
import yaml

from generator.errors import UsageError
from generator.i18n import _
from generator.load import XML_ILLEGAL, read_yaml
from generator.model.common import _check_code
from generator.model.settings import VersionScheme
from generator.schema import write_schemas
from generator.versions import first_version
from generator.write import write_file

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("generator", "skeleton"),
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # YAML, not HTML: values go through the `q` filter instead
)
_ENV.filters["q"] = lambda value: json.dumps(str(value), ensure_ascii=False)


def _render(name: str, **values: str) -> bytes:
    for value in values.values():
        if isinstance(value, str) and (bad := XML_ILLEGAL.search(value)):
            raise UsageError(_("{value!r} 含有控制字符 U+{code:04X}，Word 文档和网页都不能容纳它："
                               "请删除后重试").format(value=value, code=ord(bad.group())))
    return _ENV.get_template(name).render(**values).encode("utf-8")


def _safe_code(code: str) -> str:
    try:
        return _check_code(code)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


OFFICE_DEFAULT = "文控中心"
NOTICE = "受控文件 未经{office}批准不得复印"


def layout_presets() -> dict[str, dict[str, Any]]:
    """The section layouts `wenkong init --layout` offers (generator/skeleton/presets.yaml)."""
    text = (Path(__file__).resolve().parent / "skeleton" / "presets.yaml").read_text("utf-8")
    presets: dict[str, dict[str, Any]] = yaml.safe_load(text)
    return presets


def init_document_set(folder: Path, company: str, *, example: bool = False,
                      code_prefix: str = "", layout: str = "standard",
                      office: str = OFFICE_DEFAULT, control: bool = False) -> list[Path]:
    """Create a new, valid document set in `folder` (which must be empty or new).

    The company's choices go into wenkong.yaml and roles.yaml: code prefix, section layout
    preset (numbering style and section titles), the name of the document-control office (also
    in the controlled notice). `example` adds a draft QP-01 and QR-01-01 to start from. The
    Word template is copied to templates/ so the company can restyle it. `control` starts git
    (when installed) and an empty wenkong.lock.
    """
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(_("{folder} 不是空文件夹；请换一个新文件夹").format(folder=folder))
    presets = layout_presets()
    if layout not in presets:
        raise UsageError(_("没有 {layout} 这种版式；可选：{known}").format(
            layout=layout, known="、".join(presets)))
    if code_prefix and not re.fullmatch(r"[A-Za-z0-9]+[-_]?", code_prefix):
        raise UsageError(_("编号前缀 {prefix} 只能由字母和数字组成，可以以 - 结尾，例如 HX-")
                         .format(prefix=code_prefix))
    office = office.strip() or OFFICE_DEFAULT
    preset = presets[layout]
    scheme = VersionScheme.letter_revision
    files = {
        "wenkong.yaml": _render("wenkong.yaml.j2", company=company, code_prefix=code_prefix,
                                numbering_style=preset["numbering_style"],
                                section_titles=preset["section_titles"],
                                notice=NOTICE.format(office=office)),
        "roles.yaml": _render("roles.yaml.j2", office=office),
        "mkdocs.yml": _render("mkdocs.yml.j2", company=company),
        ".gitignore": b"/build/\n/records/\n/.wenkong-cache/\n",
    }
    if example:
        files["procedures/QP-01.yaml"] = _render(
            "procedure.yaml.j2", code="QP-01", title="文件控制程序",
            version=first_version(scheme), owner="doc-control").replace(
            b"records: []", b"records:\n  - form: QR-01-01")
        files["forms/QR-01-01.yaml"] = _render(
            "form.yaml.j2", code="QR-01-01", title="文件更改申请单", version=first_version(scheme),
            procedure="QP-01", custodian="doc-control")
    else:
        # Empty folders are not kept by git; the marker says what goes there.
        files["procedures/.gitkeep"] = b""
        files["forms/.gitkeep"] = b""
    from generator.render.docx.procedure import BUNDLED_TEMPLATE

    for name in (BUNDLED_TEMPLATE.name, "README.md"):
        shipped = BUNDLED_TEMPLATE.parent / name
        if shipped.is_file():
            files[f"templates/{name}"] = shipped.read_bytes()
    if control:
        from generator.control.lock import LOCK_FILE, LockFile, dump_lock

        files[LOCK_FILE] = dump_lock(LockFile())
    created = []
    for relative, data in files.items():
        path = folder / relative
        write_file(path, data)
        created.append(path)
    created.extend(write_schemas(folder / "schemas"))
    if control:
        start_git(folder)
    return created


def start_git(folder: Path) -> bool:
    """`git init` in the new set; False when git is not installed (the set works without)."""
    import shutil
    import subprocess

    if shutil.which("git") is None or (folder / ".git").exists():
        return False
    done = subprocess.run(["git", "init", "-q", str(folder)], capture_output=True, text=True,
                          check=False)
    return done.returncode == 0


def _settings_dirs(root: Path) -> tuple[Path, Path, str, str]:
    """Procedures folder, forms folder, version scheme and document-control office of a set."""
    settings_file = root / "wenkong.yaml"
    if not settings_file.is_file():
        raise UsageError(_("{root} 中没有 wenkong.yaml：不是文件集").format(root=root))
    data = read_yaml(settings_file, "wenkong.yaml").data
    procedures = root / str(data.get("procedures_dir", "procedures"))
    forms = root / str(data.get("forms_dir", "forms"))
    scheme = str(data.get("version_scheme", VersionScheme.letter_revision.value))
    office = str(data.get("document_control_office", "doc-control"))
    return procedures, forms, scheme, office


def _next_free(existing: list[str], pattern: str, template: str) -> str:
    used = [int(m.group(1)) for name in existing if (m := re.fullmatch(pattern, name))]
    return template.format(max(used, default=0) + 1)


def new_procedure(root: Path, code: str | None, title: str) -> Path:
    procedures, _forms, scheme, office = _settings_dirs(root)
    existing = [p.stem for p in procedures.glob("*.y*ml")]
    code = _safe_code(code) if code else _next_free(existing, r"QP-(\d+)", "QP-{:02d}")
    path = procedures / f"{code}.yaml"
    if path.exists():
        raise UsageError(_("{path} 已存在；请换一个编号").format(path=path))
    write_file(path, _render("procedure.yaml.j2", code=code, title=title,
                             version=first_version(VersionScheme(scheme)), owner=office))
    return path


def new_form(root: Path, code: str | None, title: str, procedure: str) -> Path:
    """Create a form skeleton and add it to its procedure's records (keeping the file's layout)."""
    procedures, forms, scheme, _office = _settings_dirs(root)
    if not procedure:
        raise UsageError(_("请写明表单属于哪个程序文件：--procedure QP-15"))
    procedure_file = procedures / f"{_safe_code(procedure)}.yaml"
    if not procedure_file.is_file():
        raise UsageError(_("没有程序文件 {code}（{path} 不存在）").format(
            code=procedure, path=procedure_file))
    number = procedure.split("-", 1)[1] if "-" in procedure else procedure
    existing = [p.stem for p in forms.glob("*.y*ml")]
    code = _safe_code(code) if code else _next_free(
        existing, rf"QR-{re.escape(number)}-(\d+)", f"QR-{number}-{{:02d}}")
    path = forms / f"{code}.yaml"
    if path.exists():
        raise UsageError(_("{path} 已存在；请换一个编号").format(path=path))
    procedure_data = read_yaml(procedure_file, procedure_file.name).data
    custodian = str(procedure_data.get("owner", "quality"))
    write_file(path, _render("form.yaml.j2", code=code, title=title,
                             version=first_version(VersionScheme(scheme)), procedure=procedure,
                             custodian=custodian))
    _add_record(procedure_file, code)
    return path


def _add_record(procedure_file: Path, code: str) -> None:
    """Append `- form: CODE` to the procedure's records, preserving comments and layout."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    with procedure_file.open(encoding="utf-8") as stream:
        data = yaml.load(stream)
    records = data.get("records")
    if records is None:
        data["records"] = records = []
    if all(entry.get("form") != code for entry in records):
        records.append({"form": code})
    import io

    buffer = io.StringIO()
    yaml.dump(data, buffer)
    write_file(procedure_file, buffer.getvalue().encode("utf-8"))
