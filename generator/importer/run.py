"""Import stage, orchestration: files in, draft YAML and a report out.

1. Collect the Word files (folders recursively); convert .doc/.wps in one LibreOffice run.
2. Read and recognise each file; a file that cannot be read gets its own error, the others go on.
3. Map every document to YAML, knowing the set's roles and documents and the run's own, so a
   procedure cites a form imported with it.
4. Check in a scratch copy of the set: validate everything (what blocks a file is reported for
   it), build each document's .docx through the normal renderers and score its fidelity.
5. Write: new roles into roles.yaml, then one YAML per document, each file atomically. An
   existing file is never overwritten unless `replace` is asked for.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from generator.errors import SourceErrors, UsageError, display_path
from generator.i18n import _
from generator.importer.fidelity import fidelity, missing_text, without_labels
from generator.importer.mapping import FormMapper, ProcedureMapper, SetIndex, safe_code
from generator.importer.package import (
    LEGACY_SUFFIXES,
    WORD_SUFFIXES,
    Unreadable,
    built_package,
    convert_legacy,
    open_package,
)
from generator.importer.reader import read_document
from generator.importer.recognise import recognise
from generator.importer.structure import Guess, Imported, ImportedForm, ImportedProcedure, Unit
from generator.write import write_file

Progress = Callable[[str, int, int], None]
MAX_FILES = 5000


@dataclass
class FileResult:
    """What happened to one Word file."""

    source: Path
    kind: str = "?"  # procedure, form
    code: str | None = None
    title: str | None = None
    target: Path | None = None
    written: bool = False
    error: str | None = None
    guesses: list[Guess] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fidelity: float | None = None
    missing: list[str] = field(default_factory=list)
    headings: tuple[int, int] | None = None  # (exact, total) clause numbers and titles
    heading_misses: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileResult]
    new_roles: dict[str, str]
    roles_file: Path | None = None
    report_file: Path | None = None

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.error]


def collect(inputs: list[Path]) -> list[Path]:
    """Word files named or inside the folders named, sorted; Word's ~$ lock files skipped."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            for path in sorted(item.rglob("*")):
                if path.is_file() and path.suffix.lower() in WORD_SUFFIXES and not \
                        path.name.startswith(("~$", ".")):
                    found.append(path)
        elif item.is_file():
            found.append(item)
        else:
            raise UsageError(_("找不到 {path}").format(path=item))
        if len(found) > MAX_FILES:
            raise UsageError(_("一次最多导入 {count} 个文件").format(count=MAX_FILES))
    return list(dict.fromkeys(found))


def _yaml() -> YAML:
    yaml = YAML()
    yaml.width = 4096  # never fold Chinese lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.allow_unicode = True
    return yaml


def dump(data: Any, header: list[str]) -> bytes:
    stream = io.StringIO()
    stream.write("".join(f"# {line}\n" for line in header))
    stream.write("\n")
    _yaml().dump(data, stream)
    return stream.getvalue().encode("utf-8")


def _index(docset: Any, documents: list[Imported]) -> SetIndex:
    roles_by_name = {role.name: rid for rid, role in docset.roles.items()}
    procedures = {doc.title: doc.model.code for doc in docset.procedures.values()}
    forms = {doc.title: doc.model.code for doc in docset.forms.values()}
    codes = set(docset.procedures) | set(docset.forms)
    return SetIndex(roles_by_name, set(docset.roles), procedures, forms, codes)


def _code_for(doc: Imported, taken: set[str], kind: str) -> tuple[str, bool]:
    """The document's code, and whether it was guessed."""
    code = safe_code(doc.cover.code)
    if code:
        return code, False
    match = re.search(r"[A-Za-z]{1,6}[-_]?\d{1,3}(?:[-_.]\d{1,3})*", doc.source.stem)
    if match and safe_code(match.group(0)):
        return match.group(0), True
    prefix = "IMP" if kind == "procedure" else "IMPF"
    n = 1
    while f"{prefix}-{n:02d}" in taken:
        n += 1
    return f"{prefix}-{n:02d}", True


def _digits(code: str) -> list[str]:
    return re.findall(r"\d+", code)


def _form_procedure(code: str, procedures: list[str]) -> str | None:
    groups = _digits(code)
    for candidate in procedures:
        if groups and _digits(candidate) == groups[:-1]:
            return candidate
    return None


def _headings(units: list[Unit]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for unit in units:
        if unit.title:
            out.append((unit.number, unit.title))
        out.extend(_headings(unit.children))
    return out


def _compare_headings(original: ImportedProcedure, again: Imported,
                      result: FileResult) -> None:
    """Clause numbers and titles of the original against those of the rebuilt .docx."""
    want = _headings(original.sections)
    have = set(_headings(again.sections)) if isinstance(again, ImportedProcedure) else set()
    titles = {t for _, t in have}
    # a heading the original did not number matches by its title alone
    exact = [w for w in want if w in have or (not w[0] and w[1] in titles)]
    result.headings = (len(exact), len(want))
    result.heading_misses = [f"{n} {t}".strip() for n, t in want if n + t not in
                             {m + s for m, s in exact}][:10]


def _staging(root: Path, settings: Any) -> Path:
    scratch = Path(tempfile.mkdtemp(prefix="wenkong-import-"))
    for name in ("wenkong.yaml", "wenkong.lock", settings.roles_file):
        if (root / name).is_file():
            shutil.copy2(root / name, scratch / name)
    for folder in (settings.procedures_dir, settings.forms_dir, settings.templates_dir,
                   "figures"):
        if (root / folder).is_dir():
            shutil.copytree(root / folder, scratch / folder)
        else:
            (scratch / folder).mkdir(parents=True, exist_ok=True)
    return scratch


def _roles_with(roles_path: Path, new_roles: dict[str, str]) -> bytes:
    yaml = _yaml()
    data = yaml.load(roles_path.read_text(encoding="utf-8"))
    roles = data["roles"]
    for name, rid in new_roles.items():
        entry = CommentedMap()
        entry["id"] = rid
        entry["name"] = name
        kind = "position" if re.search(r"(经理|主管|总监|厂长|工程师|负责人|代表|人员)$", name) \
            else "department"
        entry["kind"] = kind
        roles.append(entry)
        roles.yaml_add_eol_comment("导入推断: 导入时新增，请核对 id 与名称", len(roles) - 1)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue().encode("utf-8")


def import_documents(inputs: list[Path], root: Path, *, replace: bool = False,
                     progress: Progress | None = None) -> ImportReport:
    """Import Word procedures and forms into the document set at `root`."""
    from generator.resolve import load_document_set

    def tell(what: str, done: int, total: int) -> None:
        if progress is not None:
            progress(what, done, total)

    root = root.resolve()
    try:
        docset = load_document_set(root, check_lock=False)
    except SourceErrors as exc:
        first = "\n".join(str(p) for p in exc.errors[:10])
        raise UsageError(_("文档集本身有错误，请先用 wenkong validate 修正后再导入：") + "\n"
                         + first) from None
    settings = docset.settings
    files = collect(inputs)
    if not files:
        raise UsageError(_("没有找到 Word 文件（.docx、.doc、.wps）"))
    results = {path: FileResult(path) for path in files}
    documents: dict[Path, Imported] = {}
    with tempfile.TemporaryDirectory(prefix="wenkong-import-") as work:
        legacy = [f for f in files if f.suffix.lower() in LEGACY_SUFFIXES]
        converted: dict[Path, Path | str] = {}
        if legacy:
            converting = _("转换 .doc/.wps")
            tell(converting, 0, len(legacy))
            converted = convert_legacy(legacy, Path(work))
            tell(converting, len(legacy), len(legacy))
        reading = _("读取 Word 文件")
        for done, path in enumerate(files, start=1):
            tell(reading, done - 1, len(files))
            result = results[path]
            source = converted.get(path, path)
            if isinstance(source, str):
                result.error = source
                continue
            try:
                documents[path] = recognise(read_document(open_package(source)), path)
            except Unreadable as exc:
                result.error = str(exc)
            except RecursionError:
                result.error = _("文档嵌套过深，按不安全文件拒绝")
            except Exception as exc:
                result.error = _("读取时出现内部错误（wenkong 的缺陷，请连同文件报告）："
                                 "{error}").format(error=f"{type(exc).__name__}: {exc}")
            tell(reading, done, len(files))
    return _map_check_write(documents, results, docset, root, settings, replace, tell)


def _map_check_write(documents: dict[Path, Imported], results: dict[Path, FileResult],
                     docset: Any, root: Path, settings: Any, replace: bool,
                     tell: Progress) -> ImportReport:
    from generator.resolve import load_document_set

    index = _index(docset, list(documents.values()))
    taken = set(index.codes)
    codes: dict[Path, str] = {}
    # first pass: codes and titles of the whole run, so documents can cite each other
    for path, doc in documents.items():
        kind = "form" if isinstance(doc, ImportedForm) else "procedure"
        code, guessed = _code_for(doc, taken, kind)
        result = results[path]
        result.kind = kind
        result.code = code
        result.title = doc.cover.title
        if code in codes.values():
            result.error = _("编号 {code} 与本次导入的另一个文件重复").format(code=code)
            continue
        if guessed:
            doc.guesses.append(Guess("编号", f"未在文件中找到文件编号，暂定 {code}"))
        codes[path] = code
        title = doc.cover.title or path.stem
        (index.forms if kind == "form" else index.procedures)[title] = code
    procedure_codes = sorted(set(docset.procedures) | {
        codes[p] for p, d in documents.items() if p in codes and isinstance(d, ImportedProcedure)})
    yaml_data: dict[Path, CommentedMap] = {}
    owners: dict[str, str] = {}
    mappers: dict[Path, ProcedureMapper] = {}
    for path, doc in documents.items():
        if path not in codes or not isinstance(doc, ImportedProcedure):
            continue
        mapper = ProcedureMapper(doc, index)
        yaml_data[path] = mapper.map(codes[path])
        mappers[path] = mapper
        owners[codes[path]] = yaml_data[path]["owner"]
    for path, doc in documents.items():
        if path not in codes or not isinstance(doc, ImportedForm):
            continue
        procedure = _form_procedure(codes[path], procedure_codes)
        custodian = owners.get(procedure or "") or (
            docset.procedures[procedure].model.owner if procedure in docset.procedures
            else settings.document_control_office)
        yaml_data[path] = FormMapper(doc, index).map(codes[path], procedure, custodian)
        _list_form(yaml_data, mappers, procedure, codes[path])
    # a procedure imported again keeps listing the set's forms that belong to it
    for form in docset.forms.values():
        if form.model.code not in codes.values():
            _list_form(yaml_data, mappers, form.model.procedure, form.model.code)
    # targets
    targets: dict[Path, Path] = {}
    for path, data in yaml_data.items():
        result = results[path]
        folder = settings.forms_dir if result.kind == "form" else settings.procedures_dir
        target = root / folder / f"{data['code']}.yaml"
        result.target = target
        if target.exists() and not replace:
            result.error = _("{file} 已存在，未覆盖（确需覆盖请加 --replace）").format(
                file=display_path(target, root))
            continue
        if data["code"] in index.codes and not target.exists():
            result.error = _("编号 {code} 已被文档集中的另一个文件使用").format(
                code=data["code"])
            continue
        targets[path] = target
    for path, doc in documents.items():
        results[path].guesses = doc.guesses
        results[path].plain = doc.plain if isinstance(doc, ImportedProcedure) else []
    payloads = {path: dump(yaml_data[path], _header(results[path], root))
                for path in targets}
    pictures: dict[Path, bytes] = {}  # figures of the documents written
    for path in targets:
        if path in mappers:
            for name, picture in mappers[path].pictures.items():
                pictures[root / name] = picture
    roles_path = root / settings.roles_file
    roles_bytes = _roles_with(roles_path, index.new_roles) if index.new_roles else None
    _check(payloads, results, documents, root, settings, roles_bytes, tell,
           load_document_set, pictures)
    # write: roles first (documents name them), then each document atomically
    if roles_bytes is not None and payloads:
        write_file(roles_path, roles_bytes)
    for figure_path, picture in sorted(pictures.items()):
        write_file(figure_path, picture)
    for done, (path, payload) in enumerate(sorted(payloads.items()), start=1):
        target = targets[path]
        write_file(target, payload)
        results[path].written = True
        tell(_("写入 YAML"), done, len(payloads))
    return ImportReport(files=[results[p] for p in sorted(results)],
                        new_roles=dict(index.new_roles) if payloads else {},
                        roles_file=roles_path if roles_bytes and payloads else None)


def _list_form(yaml_data: dict[Path, CommentedMap], mappers: dict[Path, ProcedureMapper],
               procedure: str | None, form: str) -> None:
    """Make the procedure `procedure` of this run list `form` among its records (validate
    requires it), adding a records section when the original has none."""
    for path, data in yaml_data.items():
        if data.get("code") != procedure or path not in mappers:
            continue
        records = data.setdefault("records", CommentedSeq())
        if not any(r.get("form") == form for r in records):
            entry = CommentedMap(form=form)
            entry.fa.set_flow_style()
            records.append(entry)
        if not any("records" in e for e in data.get("layout", [])):
            mappers[path].add_records_section(data)


def _header(result: FileResult, root: Path) -> list[str]:
    schema = "form" if result.kind == "form" else "procedure"
    return [f"yaml-language-server: $schema=../schemas/{schema}.schema.json",
            f"由 wenkong import 从 {result.source.name} 导入的草稿。",
            "请核对标有“导入推断”的内容，核对无误后删去这些注释。"]


def _check(payloads: dict[Path, bytes], results: dict[Path, FileResult],
           documents: dict[Path, Imported], root: Path, settings: Any,
           roles_bytes: bytes | None, tell: Progress, load: Any,
           pictures: dict[Path, bytes]) -> None:
    """Validate in a scratch copy of the set, build each document and score it."""
    if not payloads:
        return
    from generator.render.docx.form import load_form_labels, render_form
    from generator.render.docx.procedure import find_template, load_template, render_procedure

    scratch = _staging(root, settings)
    try:
        if roles_bytes is not None:
            (scratch / settings.roles_file).write_bytes(roles_bytes)
        for figure_path, picture in pictures.items():
            copy = scratch / figure_path.relative_to(root)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(picture)
        relative: dict[str, Path] = {}
        for path, payload in payloads.items():
            target = results[path].target
            assert target is not None
            rel = target.relative_to(root).as_posix()
            (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
            (scratch / rel).write_bytes(payload)
            relative[rel] = path
        docset = None
        for _attempt in range(3):
            try:
                docset = load(scratch, check_lock=True)
                break
            except SourceErrors as exc:
                blocked = False
                for problem in exc.errors:
                    source = relative.get(problem.file)
                    if source is not None:
                        results[source].problems.append(str(problem))
                        (scratch / problem.file).unlink(missing_ok=True)
                        blocked = True
                if not blocked:
                    for path in relative.values():
                        results[path].problems.extend(str(p) for p in exc.errors[:5])
                    return
        if docset is None:
            return
        template = load_template(find_template(docset), scratch)
        labels = load_form_labels(scratch, docset.settings)
        total = len(payloads)
        checking = _("重建并核对")
        for done, (_rel, path) in enumerate(sorted(relative.items()), start=1):
            result = results[path]
            code = result.code or ""
            tell(checking, done - 1, total)
            doc = documents[path]
            if code in docset.procedures and result.kind == "procedure":
                data = render_procedure(docset.procedures[code], docset, template)
            elif code in docset.forms and result.kind == "form":
                data = render_form(docset, docset.forms[code], labels)
            else:
                continue
            read = read_document(built_package(data))
            rebuilt = read.all_text()
            if isinstance(doc, ImportedProcedure):
                _compare_headings(doc, recognise(read, doc.source), result)
            original = without_labels(doc.original_text, doc.cover.labels)
            result.fidelity = fidelity(original, rebuilt)
            result.missing = missing_text(original, rebuilt)
            tell(checking, done, total)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
