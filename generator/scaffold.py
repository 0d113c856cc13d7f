"""Starting and growing a document set: `wenkong init` and `wenkong new`.

Skeleton files are Jinja templates in generator/skeleton/; values are quoted as YAML strings
so any company name or title is safe.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jinja2

from generator.errors import UsageError
from generator.load import read_yaml
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
    return _ENV.get_template(name).render(**values).encode("utf-8")


def _safe_code(code: str) -> str:
    try:
        return _check_code(code)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def init_document_set(folder: Path, company: str) -> list[Path]:
    """Create a new, valid document set in `folder` (which must be empty or new)."""
    if folder.exists() and any(folder.iterdir()):
        raise UsageError(f"{folder} is not empty; choose a new folder")
    scheme = VersionScheme.letter_revision
    files = {
        "wenkong.yaml": _render("wenkong.yaml.j2", company=company),
        "roles.yaml": _render("roles.yaml.j2"),
        "procedures/QP-01.yaml": _render("procedure.yaml.j2", code="QP-01", title="文件控制程序",
                                         version=first_version(scheme), owner="doc-control"),
        "forms/QR-01-01.yaml": _render("form.yaml.j2", code="QR-01-01", title="文件更改申请单",
                                       version=first_version(scheme), procedure="QP-01",
                                       custodian="doc-control"),
        "mkdocs.yml": _render("mkdocs.yml.j2", company=company),
        ".gitignore": b"/build/\n/records/\n",
    }
    files["procedures/QP-01.yaml"] = files["procedures/QP-01.yaml"].replace(
        b"records: []", b"records:\n  - form: QR-01-01")
    created = []
    for relative, data in files.items():
        path = folder / relative
        write_file(path, data)
        created.append(path)
    created.extend(write_schemas(folder / "schemas"))
    return created


def _settings_dirs(root: Path) -> tuple[Path, Path, str]:
    settings_file = root / "wenkong.yaml"
    if not settings_file.is_file():
        raise UsageError(f"no wenkong.yaml in {root}: not a document set")
    data = read_yaml(settings_file, "wenkong.yaml").data
    procedures = root / str(data.get("procedures_dir", "procedures"))
    forms = root / str(data.get("forms_dir", "forms"))
    scheme = str(data.get("version_scheme", VersionScheme.letter_revision.value))
    return procedures, forms, scheme


def _next_free(existing: list[str], pattern: str, template: str) -> str:
    used = [int(m.group(1)) for name in existing if (m := re.fullmatch(pattern, name))]
    return template.format(max(used, default=0) + 1)


def new_procedure(root: Path, code: str | None, title: str) -> Path:
    procedures, _, scheme = _settings_dirs(root)
    existing = [p.stem for p in procedures.glob("*.y*ml")]
    code = _safe_code(code) if code else _next_free(existing, r"QP-(\d+)", "QP-{:02d}")
    path = procedures / f"{code}.yaml"
    if path.exists():
        raise UsageError(f"{path} already exists; choose another code")
    owner = read_yaml(root / "wenkong.yaml", "wenkong.yaml").data.get(
        "document_control_office", "doc-control")
    write_file(path, _render("procedure.yaml.j2", code=code, title=title,
                             version=first_version(VersionScheme(scheme)), owner=str(owner)))
    return path


def new_form(root: Path, code: str | None, title: str, procedure: str) -> Path:
    """Create a form skeleton and add it to its procedure's records (keeping the file's layout)."""
    procedures, forms, scheme = _settings_dirs(root)
    if not procedure:
        raise UsageError("say which procedure the form belongs to: --procedure QP-15")
    procedure_file = procedures / f"{_safe_code(procedure)}.yaml"
    if not procedure_file.is_file():
        raise UsageError(f"no procedure {procedure} ({procedure_file} does not exist)")
    number = procedure.split("-", 1)[1] if "-" in procedure else procedure
    existing = [p.stem for p in forms.glob("*.y*ml")]
    code = _safe_code(code) if code else _next_free(
        existing, rf"QR-{re.escape(number)}-(\d+)", f"QR-{number}-{{:02d}}")
    path = forms / f"{code}.yaml"
    if path.exists():
        raise UsageError(f"{path} already exists; choose another code")
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
