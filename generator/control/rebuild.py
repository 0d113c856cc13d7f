"""Control stage: rebuild a released version exactly (`wenkong build --version QP-01@A/1`).

The source of the release comes from git history (the tree of the commit that released it),
is loaded and resolved by the normal stages, and rendered by the normal Word renderer through
its public functions. Same renderer, same tree: the same bytes as at release.
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.control.content import fingerprint
from generator.control.diff import locked_version
from generator.control.history import docset_at, find_release_commit, missing_source_message
from generator.control.subset import document_at, working_document
from generator.docset import DocumentSet, FormDoc, ProcedureDoc
from generator.errors import UsageError
from generator.i18n import _
from generator.model.procedure import Status

_SPEC = re.compile(r"^(?P<code>[^@\s]+)@(?P<version>\S+)$")


def parse_spec(spec: str) -> tuple[str, str]:
    """`QP-01@A/1` → ("QP-01", "A/1")."""
    match = _SPEC.fullmatch(spec.strip())
    if match is None:
        raise UsageError(_("--version 要写成 编号@版本，例如 QP-01@A/1（收到 {spec!r}）").format(
            spec=spec))
    return match.group("code"), match.group("version")


def render_document(docset: DocumentSet, code: str) -> tuple[str, bytes]:
    """One document of a resolved set as the build renders it: (relative path, bytes)."""
    doc: ProcedureDoc | FormDoc | None = docset.procedures.get(code) or docset.forms.get(code)
    if doc is None:
        raise UsageError(_("这个版本的文件集中没有 {code}").format(code=code))
    if isinstance(doc, ProcedureDoc):
        from generator.render.docx import procedure as word

        template = word.load_template(word.find_template(docset), docset.root)
        return word.output_name(doc), word.render_procedure(doc, docset, template)
    from generator.render.docx import form as blank

    labels = blank.load_form_labels(docset.root, docset.settings)
    return blank.form_file_name(doc), blank.render_form(docset, doc, labels)


def rebuild_version(root: Path, code: str, version: str, *,
                    whole_set: bool = False) -> tuple[str, bytes]:
    """The .docx of a released version, rebuilt from its source in git history.

    The old tree is resolved for this document only (generator/control/subset.py); with
    `whole_set`, all of it, once per commit (for a caller rebuilding many documents).
    """
    root = root.resolve()
    entry, locked = locked_version(root, code, version)
    if locked.fingerprint is None:
        raise UsageError(_("{code} {version} 是 Wenkong 之前发布的（{date}）：没有保存它的源文件，"
                           "无法重建；请使用存档的副本").format(
            code=code, version=version, date=locked.date))
    commit = find_release_commit(root, entry, locked, code)
    if commit is not None:
        old_set = docset_at(root, commit) if whole_set else document_at(root, commit, code)
        return render_document(old_set, code)
    # Not committed yet: the working tree may still be that release.
    working = working_document(root, code)
    doc = working.procedures.get(code) or working.forms.get(code)
    if doc is not None and doc.version == version and doc.status is Status.effective and \
            fingerprint(doc.model) == locked.fingerprint:
        return render_document(working, code)
    raise UsageError(missing_source_message(root, code, version))


def write_versions(root: Path, specs: list[str], output: Path | None = None) -> list[Path]:
    """`wenkong build --version CODE@VERSION …`: rebuild each and write it under versions/."""
    from generator.resolve import SETTINGS_FILE
    from generator.write import write_file

    if not (root / SETTINGS_FILE).is_file():
        raise UsageError(_("{root} 中没有 {settings}：不是文件集").format(
            root=root, settings=SETTINGS_FILE))
    rebuilt = [rebuild_version(root, *parse_spec(spec)) for spec in specs]
    if output is None:
        from generator.load import read_yaml

        settings = read_yaml(root / SETTINGS_FILE, SETTINGS_FILE).data
        output = root / str(settings.get("output_dir", "build"))
    written = []
    for name, data in rebuilt:
        path = output / "versions" / Path(name).name
        write_file(path, data)
        path.chmod(0o644)  # write_file's temporary file is private; a copy to hand out is not
        written.append(path)
    return written
