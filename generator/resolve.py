"""Resolve stage: loaded models → one `DocumentSet` (references bound, numbers computed).

Also where the rules that span fields and files live: unique codes, known roles, dates in
order, forms listed by their procedure, process steps that lead somewhere. Every problem is
collected with its file and line; `load_document_set` raises once with all of them.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import difflib
import gc
import hashlib
import io
import itertools
import os
import pickle
import re
from collections.abc import Collection, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from generator.cache import BuildCache, get_pickled, model_key, put_pickled, set_cache
from generator.cache import key as cache_key
from generator.cachekeys import Digests
from generator.docset import (
    AttachmentR,
    Block,
    BranchR,
    CheckboxesR,
    ClauseR,
    D,
    DocumentSet,
    Duty,
    FigureR,
    FormDoc,
    FormulaR,
    Inline,
    ListEntry,
    ListR,
    NoteR,
    Paragraph,
    ProcedureDoc,
    ProcessColumnR,
    ProcessR,
    RecordR,
    Ref,
    RelatedR,
    ResponsibilityR,
    Rich,
    Section,
    StepR,
    TableR,
    TermClassR,
    TermR,
    inputs_of,
    plain,
    with_inputs,
)
from generator.errors import Problem, Severity, SourceErrors, display_path
from generator.i18n import _
from generator.load import Loc, SourceFile, iter_yaml_files, read_yaml, to_model, yaml_names
from generator.model import Form, Procedure, Revision, Role, RoleFile, Settings
from generator.model.common import Approval
from generator.model.layout import BUILTIN_SECTIONS, EmptySection, NumberingStyle, SectionEntry
from generator.model.procedure import (
    BUILTIN_COLUMNS,
    DEFAULT_COLUMNS,
    CheckboxRow,
    Clause,
    ClauseItem,
    Figure,
    Formula,
    ListBlock,
    ListItem,
    ListStyle,
    Note,
    ProcessTable,
    Status,
    StepLabels,
    Table,
    Term,
    check_columns,
)
from generator.numbering import Numbering, Printed, anchor, letters, list_label
from generator.versions import VersionError, parse_version

SETTINGS_FILE = "wenkong.yaml"
FIGURE_MAX_BYTES = 10 * 1024 * 1024  # a picture in a procedure, not a photo archive

REFERENCE = re.compile(r"【\s*([A-Za-z]+)\s*[:：]\s*([^】]*?)\s*】")
"""Inline reference syntax: 【form:QR-15-01】 【proc:QP-16】 【role:quality】 【clause:id】
【clause:QP-15#id】. Fullwidth brackets need no quoting in YAML and type easily with a Chinese
IME."""

_KINDS = {"form": "form", "proc": "procedure", "procedure": "procedure", "role": "role",
          "clause": "clause", "formula": "formula"}
# Sections a procedure must fill while its layout has them (a procedure without a purpose or
# any clauses is a mistake, not a style).
_REQUIRED_SECTIONS = ("purpose", "scope", "responsibilities", "procedure")
DEFAULT_LAYOUT = tuple(
    SectionEntry(key=key, empty=EmptySection.omit if key == "attachments" else None)
    for key in BUILTIN_SECTIONS)
"""The layout of a set that names none: today's order, titles from settings.section_titles."""


@dataclass(frozen=True)
class _Slot:
    """A top-level section of one procedure, as its layout places it."""

    key: str
    title: str
    number: int
    empty: bool


def _has_content(procedure: Procedure, key: str) -> bool:
    if key in BUILTIN_SECTIONS:
        return bool(getattr(procedure, key))
    return bool(procedure.sections.get(key))


@dataclass
class _Loaded:
    source: SourceFile
    kind: str
    procedure: Procedure | None = None
    form: Form | None = None
    key: str = ""  # the file's load key (`_load_key`): what its model was read from


RESOLVED_NAMESPACE = "resolved"  # resolved documents, by file, settings and roles


class _DocumentPickler(pickle.Pickler):
    """A resolved document without the objects the resolver has anyway: its model (read from
    the load cache), the set's roles and the procedure's numbering, each kept by name."""

    def __init__(self, file: io.BytesIO, model: Procedure | Form, resolver: _Resolver) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.model = model
        self.roles = resolver.roles
        self.numbering = resolver.numberings.get(model.code)

    def persistent_id(self, obj: object) -> object:
        if obj is self.model:
            return "model"
        if obj is self.numbering and obj is not None:
            return "numbering"
        if type(obj) is Role and self.roles.get(obj.id) is obj:
            return ("role", obj.id)
        return None


class _DocumentUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, model: Procedure | Form, resolver: _Resolver) -> None:
        super().__init__(file)
        self.model = model
        self.resolver = resolver

    def persistent_load(self, pid: object) -> object:
        if pid == "model":
            return self.model
        if pid == "numbering":
            return self.resolver.numberings[self.model.code]
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "role":
            return self.resolver.roles[pid[1]]
        raise pickle.UnpicklingError(f"unknown object {pid!r}")


PARALLEL_FROM = 300  # files to read; below this a process pool costs more than it saves
LOAD_NAMESPACE = "load"  # the build cache's entries of validated models, one per source file


@dataclass(frozen=True)
class _Job:
    """One procedure or form file to read; `data` its bytes (None: unreadable, read_yaml says
    why), `entry` its load key (`_load_key`), the model kept under it in `cache` if any."""

    path: Path
    display: str
    kind: str
    data: bytes | None = None
    cache: BuildCache | None = None
    entry: str | None = None


def _jobs(root: Path, folder: str, kind: str) -> list[_Job]:
    """The files of a folder to read, each with its path as shown (`display_path`, with the
    folder resolved once rather than every file: a set has thousands)."""
    base = root / folder
    resolved = base.resolve()
    if not resolved.is_relative_to(root):
        return [_Job(path, display_path(path, root), kind) for path in iter_yaml_files(base)]
    prefix = resolved.relative_to(root).as_posix() + "/"
    prefix = "" if prefix == "./" else prefix
    jobs = []
    for name, is_link in yaml_names(base):
        path = base / name
        jobs.append(_Job(path, display_path(path, root) if is_link else prefix + name, kind))
    return jobs


def _load_key(job: _Job, relative: str, data: bytes) -> str:
    """What a file's validated model depends on: its bytes, where it is in the set, its kind
    (and the generator, Python and pydantic: `model_key`)."""
    return model_key(data, relative, job.kind)


def _read_document(job: _Job) -> tuple[_Loaded | None, list[Problem]]:
    """Read and validate one procedure or form file (runs in a worker for large sets); a file
    that loads without a problem is kept in the cache."""
    problems: list[Problem] = []
    try:
        source = read_yaml(job.path, job.display, job.data)
    except SourceErrors as exc:
        return None, exc.problems
    loaded = _Loaded(source, job.kind, key=job.entry or "")
    if job.kind == "procedure":
        loaded.procedure = to_model(source, Procedure, problems)
    else:
        loaded.form = to_model(source, Form, problems)
    model = loaded.procedure or loaded.form
    if model is not None:
        source.lighten()
        if job.cache is not None and job.entry is not None and not problems:
            put_pickled(job.cache, LOAD_NAMESPACE, job.entry, model)
    return loaded, problems


def _cached_document(job: _Job, cache: BuildCache, entry: str) -> _Loaded | None:
    """The model kept for this exact file (pickled: see `get_pickled`), or None."""
    source = SourceFile(path=job.path, display=job.display, data=None)
    if job.kind == "procedure":
        procedure = get_pickled(cache, LOAD_NAMESPACE, entry, Procedure)
        return None if procedure is None else _Loaded(source, job.kind, procedure=procedure,
                                                      key=entry)
    form = get_pickled(cache, LOAD_NAMESPACE, entry, Form)
    return None if form is None else _Loaded(source, job.kind, form=form, key=entry)


def _read_documents(
    root: Path, jobs: list[_Job], cache: BuildCache,
) -> list[tuple[_Loaded | None, list[Problem]]]:
    """Every document file as its validated model: from the cache when this exact file loaded
    cleanly before, else read (YAML parsing dominates, so many files use every core). After
    a load that read files, the entries of files that changed or went are dropped."""
    used: list[str] = []
    results: list[tuple[_Loaded | None, list[Problem]] | None] = [None] * len(jobs)
    todo: list[tuple[int, _Job]] = []
    for index, job in enumerate(jobs):
        try:
            data = job.path.read_bytes()
        except OSError:  # read_yaml reports it
            todo.append((index, job))
            continue
        entry = _load_key(job, job.display, data)  # also what the resolved document says
        if not cache.enabled:
            todo.append((index, replace(job, data=data, entry=entry)))
            continue
        used.append(entry)
        hit = _cached_document(job, cache, entry)
        if hit is not None:
            results[index] = (hit, [])
        else:
            todo.append((index, replace(job, data=data, cache=cache, entry=entry)))
    workers = os.cpu_count() or 1
    pending = [job for _index, job in todo]
    if len(pending) < PARALLEL_FROM or workers < 2:
        read = [_read_document(job) for job in pending]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            read = list(pool.map(_read_document, pending, chunksize=64))
    for (index, _job), result in zip(todo, read, strict=True):
        results[index] = result
    if todo and used:
        cache.prune(LOAD_NAMESPACE, used)
    return [result for result in results if result is not None]


PLACEHOLDER_NAMES = frozenset({
    "待定", "待填", "待签", "待补", "未定", "暂无", "无", "空", "某某", "某人", "签名", "姓名",
    "tbd", "tba", "todo", "n/a", "na", "none", "null", "name",
})
"""Names that stand for a signature not yet given (compared case-insensitively)."""

_FILLER = re.compile(r"[\sXx×*＊?？_＿\-－—–―.…·。○〇□☐/、]*")


def is_placeholder(name: str) -> bool:
    """True for a name that is no one yet: empty, 待定, TBD, XXX, ——, ？？ …"""
    text = name.strip()
    return _FILLER.fullmatch(text) is not None or text.casefold() in PLACEHOLDER_NAMES


def _is_group(owner: str) -> bool:
    """A group written out (各部门) rather than a role id: role ids are ASCII."""
    return any(ord(ch) > 0x7F for ch in owner)


@dataclass(frozen=True)
class _ClauseTarget:
    numbers: tuple[int, ...]


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a set is loaded. Loading allocates
    hundreds of thousands of objects (models, resolved documents) and almost frees none: each
    allocation burst would start a collection that walks the whole growing heap, which took
    about half the time of a warm load of 1,000 + 1,000 documents. Nothing here makes cyclic
    garbage worth collecting early; the collector runs again as soon as the set is loaded."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_freeze_count() == 0:
                # The set's objects straight to the oldest generation (freeze, then unfreeze
                # into it), as if they had survived the collections they skipped: otherwise the
                # next collection walks all of them at once (a quarter of a warm load).
                # Nothing is left frozen; garbage among them goes at the next full collection.
                gc.freeze()
                gc.unfreeze()
            gc.enable()


def load_document_set(root: Path, *, check_lock: bool = True,
                      cache: BuildCache | bool = True,
                      only: Collection[str] | None = None) -> DocumentSet:
    """Load, validate and resolve the document set under `root`.

    Raises SourceErrors with every problem found (errors and warnings); returns the set with
    its warnings when there are no errors. `check_lock=False` skips the document-control
    checks (used by the control commands to read a set whose draft differs from its release).

    `cache`: where the validated model of each procedure and form file is kept between runs
    (keyed by the file's bytes, so an edited file is read again): True, the set's own cache
    folder (`set_cache`); False or a disabled `BuildCache(None)`, none (`build --no-cache`);
    or the given cache (another set's: an older tree of the same repository shares most files).
    The result is the same with or without it.

    `only`: the procedure and form files to read, relative to `root` (posix); the others, and
    the registers (they span the whole set), are left out. The control commands resolve one
    document with what it cites this way (generator/control/subset.py). None: everything.
    """
    with _collector_paused():
        return _load_document_set(root.resolve(), check_lock, cache, only)


def _load_document_set(root: Path, check_lock: bool, cache: BuildCache | bool,
                       only: Collection[str] | None) -> DocumentSet:
    if isinstance(cache, bool):
        cache = set_cache(root) if cache else BuildCache(None)
    problems: list[Problem] = []
    settings_path = root / SETTINGS_FILE
    if not settings_path.is_file():
        raise SourceErrors([Problem(
            display_path(settings_path, root), 1, 1, "",
            _("{root} 中没有 {file}：这个文件夹不是 Wenkong 文件集"
              "（用 `wenkong init 文件夹` 新建一个）").format(file=SETTINGS_FILE, root=root),
        )])

    def read(path: Path) -> SourceFile | None:
        try:
            return read_yaml(path, display_path(path, root))
        except SourceErrors as exc:
            problems.extend(as_causes(exc.problems))
            return None

    settings_source = read(settings_path)
    settings = to_model(settings_source, Settings, problems) if settings_source else None
    if settings is None:
        raise SourceErrors(problems)

    roles_path = root / settings.roles_file
    roles_source = read(roles_path) if roles_path.is_file() else None
    if not roles_path.is_file():
        problems.append(Problem(display_path(roles_path, root), 1, 1, "",
                                _("部门与岗位文件不存在（设置项：roles_file）")))
    role_file = None
    if roles_source is not None:
        role_problems: list[Problem] = []
        role_file = to_model(roles_source, RoleFile, role_problems)
        problems.extend(as_causes(role_problems) if role_file is None else role_problems)

    jobs = _jobs(root, settings.procedures_dir, "procedure") + _jobs(
        root, settings.forms_dir, "form")
    if only is not None:  # compared as text: a set has thousands of files
        wanted = {str(root / name) for name in only}
        jobs = [job for job in jobs if str(job.path) in wanted]
    procedures: list[_Loaded] = []
    forms: list[_Loaded] = []
    # Code → file, for files that could not be read or validated: references to them are not
    # checked (they would all be "unknown"); one line says so.
    broken: dict[str, str] = {}
    for job, (loaded, file_problems) in zip(
            jobs, _read_documents(root, jobs, cache), strict=True):
        path, display = job.path, job.display
        if loaded is not None and (loaded.procedure or loaded.form) is not None:
            problems.extend(file_problems)
            (procedures if loaded.kind == "procedure" else forms).append(loaded)
            continue
        problems.extend(as_causes(file_problems))
        data = loaded.source.data if loaded is not None else None
        for code in _codes_of_broken_file(path, data):
            broken.setdefault(code, display)
        if loaded is not None:
            (procedures if loaded.kind == "procedure" else forms).append(loaded)
    if not procedures and not any(p.file.startswith(settings.procedures_dir) for p in problems):
        # A set just started by `wenkong init` has none yet: say how to add one, do not fail.
        problems.append(Problem(display_path(root / settings.procedures_dir, root), 1, 1, "",
                                _("还没有程序文件：用 `wenkong new procedure 编号 名称` 添加"),
                                Severity.warning))

    if settings_source is not None:
        _check_output_dir(root, settings, settings_source, problems)
    resolver = _Resolver(root, settings, settings_source, roles_source, role_file, problems)
    resolver.broken_codes = broken
    resolver.cache = cache
    resolver.roles_unread = roles_source is None or role_file is None
    docset = resolver.run(procedures, forms)
    docset.unread = dict(broken)
    problems.extend(resolver.not_checked())
    if check_lock:  # immutability of released versions, history gaps (control stage)
        from generator.control.lock import check_document_control

        check_document_control(docset, problems, cache)
    from generator.control.authority import check_authority
    from generator.control.registers import check_registers

    if not resolver.roles_unread:  # both check who holds which role
        check_authority(docset, problems)
        if only is None:
            check_registers(docset, problems)
    if any(p.severity is Severity.error for p in problems):
        raise SourceErrors(problems)
    docset.warnings = sorted(problems)
    return docset


def _check_output_dir(root: Path, settings: Settings, source: SourceFile,
                      problems: list[Problem]) -> None:
    """output_dir names a folder inside the set that holds no source: a build replaces it as a
    whole. A folder elsewhere is given on the command line (`--output`), never by a file."""
    from generator.write import output_conflict

    output = Path(settings.output_dir)
    target = Path(os.path.normpath(root / output))
    if output.is_absolute() or not target.is_relative_to(root):
        problems.append(source.problem(("output_dir",), _(
            "output_dir {value!r} 指向文件集之外：构建会整体替换输出文件夹，所以设置文件只能指定"
            "文件集里的文件夹（如 build）；要输出到别处，请在命令行用 --output 指定"
        ).format(value=settings.output_dir)))
        return
    conflict = output_conflict(root, target, settings)
    if conflict is not None:
        problems.append(source.problem(("output_dir",), _(
            "output_dir {value!r} 不能用作输出文件夹：{reason}；请换一个文件夹，如 build").format(
            value=settings.output_dir, reason=conflict)))


def status_in_words(status: Status) -> str:
    """A status as document controllers say it: 已生效, 已作废 …"""
    if status is Status.draft:
        return _("草稿")
    if status is Status.in_review:
        return _("审核中")
    return _("已生效") if status is Status.effective else _("已作废")


def as_causes(problems: list[Problem]) -> list[Problem]:
    """Problems of a file that could not be read or validated: printed first, since they
    explain what follows."""
    return [replace(p, priority=Problem.CAUSE) for p in problems]


_CODE_LINE = re.compile(r"""^code:[ \t]*["']?([A-Za-z0-9][A-Za-z0-9._-]*)""", re.MULTILINE)


def _codes_of_broken_file(path: Path, data: object) -> set[str]:
    """The code a file that failed to load was meant to have: its `code:` when it was read,
    else the `code:` line of its text (a YAML syntax error stops the reader, not a regex), and
    its file name, which names the code in a tidy set."""
    codes = {path.stem}
    if isinstance(data, dict) and "code" in data:
        codes.add(str(data["code"]))
    else:
        try:
            found = _CODE_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            found = None
        if found:
            codes.add(found.group(1))
    return codes


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class _Resolver:
    def __init__(
        self,
        root: Path,
        settings: Settings,
        settings_source: SourceFile | None,
        roles_source: SourceFile | None,
        role_file: RoleFile | None,
        problems: list[Problem],
    ) -> None:
        self.root = root
        self.settings = settings
        self.settings_source = settings_source
        self.roles_source = roles_source
        self.problems = problems
        self.roles: dict[str, Role] = {}
        if role_file is not None and roles_source is not None:
            self._index_roles(role_file, roles_source)
        self.procedure_models: dict[str, tuple[Procedure, SourceFile]] = {}
        self.form_models: dict[str, tuple[Form, SourceFile]] = {}
        self.clause_targets: dict[str, dict[str, tuple[int, ...]]] = {}
        self.formula_targets: dict[str, dict[str, int]] = {}
        self.layouts: dict[str, list[_Slot]] = {}
        self.numberings: dict[str, Numbering] = {}
        self.printed: dict[str, Printed] = {}  # printed numbers of each procedure's items
        self.formula_count = 0
        self.referenced_by: dict[str, set[str]] = {}
        self.broken_codes: dict[str, str] = {}  # code → file that failed to load
        # What each document is made from besides its own file (`inputs_of`): the settings and
        # roles, then (per document) every value looked up in the others.
        self.set_inputs = ""
        self.file_keys: dict[str, str] = {}  # load key by file as shown
        self.consulted: list[tuple[object, ...]] = []
        self.cache: BuildCache | None = None  # where resolved documents are kept
        self.resolved_used: list[str] = []
        self.resolved_misses = 0
        self.roles_unread = False
        self.unchecked_roles = 0
        self.unchecked: dict[str, set[tuple[str, Loc]]] = {}  # broken file → (file, loc) citing
        # set while resolving one document
        self.current: SourceFile | None = None
        self.current_code = ""
        self.current_status = Status.draft
        self.current_numbering = Numbering.of(NumberingStyle.decimal)  # the procedure's, meanwhile
        self.current_printed = Printed(self.current_numbering)

    # --- problems ------------------------------------------------------------------------

    def error(self, source: SourceFile, loc: Loc, message: str) -> None:
        self.problems.append(source.problem(loc, message))

    def warn(self, source: SourceFile, loc: Loc, message: str) -> None:
        self.problems.append(source.problem(loc, message, Severity.warning))

    @staticmethod
    def _known(name: str, known: list[str]) -> str:
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        if close:
            return _("是否想写 {names}？").format(names=", ".join(close))
        names = ", ".join(known[:8]) + (" …" if len(known) > 8 else "")
        return _("已有：{names}").format(names=names)

    # --- roles ---------------------------------------------------------------------------

    def _index_roles(self, role_file: RoleFile, source: SourceFile) -> None:
        for index, role in enumerate(role_file.roles):
            if role.id in self.roles:
                self.error(source, ("roles", index, "id"),
                           _("岗位 id {id!r} 用了两次").format(id=role.id))
            self.roles[role.id] = role
        for index, role in enumerate(role_file.roles):
            if role.parent is None:
                continue
            if role.parent not in self.roles:
                self.error(source, ("roles", index, "parent"),
                           _("未知岗位 {role!r}；").format(role=role.parent)
                           + self._known(role.parent, sorted(self.roles)))
                continue
            seen = [role.id]
            parent: str | None = role.parent
            while parent is not None and parent in self.roles:
                if parent in seen:
                    chain = " → ".join([*seen, parent])
                    self.error(source, ("roles", index, "parent"),
                               _("部门构成了循环：{chain}").format(chain=chain))
                    break
                seen.append(parent)
                parent = self.roles[parent].parent
        cover = self.settings.cover
        for key, units in (("countersign_units", cover.countersign_units),
                           ("distribution_units", cover.distribution_units)):
            for i, unit in enumerate(units or []):
                if unit not in self.roles and self.settings_source is not None:
                    self.error(self.settings_source, ("cover", key, i),
                               _("未知岗位 {role!r}；").format(role=unit)
                               + self._known(unit, sorted(self.roles)))
        if self.settings_source is not None and \
                self.settings.document_control_office not in self.roles:
            self.error(self.settings_source, ("document_control_office",),
                       _("未知岗位 {role!r}；").format(role=self.settings.document_control_office)
                       + self._known(self.settings.document_control_office, sorted(self.roles)))

    def role(self, source: SourceFile, loc: Loc, role_id: str) -> Role:
        found = self.roles.get(role_id)
        if found is None:
            if self.roles_unread:
                self.unchecked_roles += 1
            elif self.roles:
                self.error(source, loc, _("未知岗位 {role!r}；").format(role=role_id)
                           + self._known(role_id, sorted(self.roles)))
            return Role(id=role_id, name=role_id)
        return found

    # --- whole set -----------------------------------------------------------------------

    def run(self, procedures: list[_Loaded], forms: list[_Loaded]) -> DocumentSet:
        codes: dict[str, str] = {}
        for loaded in [*procedures, *forms]:
            item = loaded.procedure or loaded.form
            if item is None:
                continue
            if item.code in codes:
                self.error(loaded.source, ("code",),
                           _("编号 {code} 已被 {file} 使用").format(
                               code=item.code, file=codes[item.code]))
                continue
            codes[item.code] = loaded.source.display
            self.file_keys[loaded.source.display] = loaded.key
            if loaded.source.path.stem != item.code:
                self.warn(loaded.source, ("code",),
                          _("文件名 {name} 与编号 {code} 不符：请改名为 {code}.yaml，便于查找")
                          .format(name=loaded.source.path.name, code=item.code))
            if loaded.procedure is not None:
                self.procedure_models[item.code] = (loaded.procedure, loaded.source)
            elif loaded.form is not None:
                self.form_models[item.code] = (loaded.form, loaded.source)
        self.procedure_models = dict(sorted(self.procedure_models.items()))
        self.form_models = dict(sorted(self.form_models.items()))
        self._check_set_layout()
        for code, (procedure, source) in self.procedure_models.items():
            self.layouts[code] = self._layout(procedure, source)
            self.numberings[code] = Numbering.of(
                procedure.numbering or self.settings.numbering or self.settings.numbering_style)
            self.printed[code] = Printed(self.numberings[code])
            self.clause_targets[code], self.formula_targets[code] = self._number_targets(
                procedure, source, self.layouts[code], self.printed[code])

        docset = DocumentSet(root=self.root, settings=self.settings, roles=self.roles,
                             procedures={}, forms={})
        self.set_inputs = Digests().digest((self.settings, self.roles)).hex()
        for code, (form, source) in self.form_models.items():
            docset.forms[code] = self._resolved(form, source, FormDoc)
        for code, (procedure, source) in self.procedure_models.items():
            docset.procedures[code] = self._resolved(procedure, source, ProcedureDoc)
        if self.cache is not None and self.resolved_misses:
            self.cache.prune(RESOLVED_NAMESPACE, self.resolved_used)
        self._build_indexes(docset)
        return docset

    # --- resolved documents kept between builds ------------------------------------------

    def _resolved(self, model: Procedure | Form, source: SourceFile, kind: type[D]) -> D:
        """The document resolved from `model`: kept from an earlier build when its file, the
        settings and roles, and every value it looked up in other documents are the same (so
        are its problems: none, or it would not have been kept), else resolved now."""
        entry = self._resolved_entry(source, kind)
        if entry is not None:
            self.resolved_used.append(entry)
            kept = self._kept(entry, model, source, kind)
            if kept is not None:
                return kept
            self.resolved_misses += 1
        self.consulted = []
        problems = len(self.problems)
        made = (self._form(model, source) if isinstance(model, Form)
                else self._procedure(model, source))
        assert isinstance(made, kind)
        doc = with_inputs(made, self._inputs(source))
        if entry is not None and self.cache is not None and len(self.problems) == problems and \
                not any(item[0] == "figure" for item in self.consulted):
            # (a picture is read again by a fresh resolve only: its file is not looked up here)
            buffer = io.BytesIO()
            _DocumentPickler(buffer, model, self).dump((doc, self.consulted))
            self.cache.put(RESOLVED_NAMESPACE, entry, buffer.getvalue())
        return doc

    def _resolved_entry(self, source: SourceFile, kind: type) -> str | None:
        file_key = self.file_keys.get(source.display, "")
        if self.cache is None or not self.cache.enabled or not file_key or \
                self.broken_codes or self.roles_unread:
            return None
        return cache_key(kind.__name__, file_key, str(source.path), self.set_inputs)

    def _kept(self, entry: str, model: Procedure | Form, source: SourceFile,
              kind: type[D]) -> D | None:
        """The document kept under `entry` if every lookup it made gives the same today."""
        assert self.cache is not None
        data = self.cache.get(RESOLVED_NAMESPACE, entry)
        if data is None:
            return None
        try:
            doc, consulted = _DocumentUnpickler(io.BytesIO(data), model, self).load()
        except Exception:  # an entry of another version, damaged beyond its digest: a miss
            return None
        if type(doc) is not kind or not isinstance(consulted, list):
            return None
        self.current, self.current_code, self.current_status = source, model.code, model.status
        problems = len(self.problems)
        self.consulted = []
        for item in consulted:  # the same lookups again, in the same order
            what = item[0]
            if what in ("form", "procedure", "role", "clause", "formula"):
                self.reference(what, item[1], ())
            elif what == "record":
                self._record_form(item[1])
            elif what == "owner" and isinstance(model, Form):
                self._owner(model, source)
            elif what != "cites":  # `cites` comes with its reference
                self.consulted.append(("unknown",))
        if self.consulted != consulted or len(self.problems) != problems or \
                inputs_of(doc) is None:
            del self.problems[problems:]  # resolving it again reports them
            return None
        return doc  # with its inputs as kept: made of the same, they are the same

    def _record_form(self, code: str) -> Form | None:
        found = self.form_models.get(code)
        if found is not None:
            form = found[0]
            self.consulted.append(
                ("record", code, form.custodian, form.retention, form.procedure))
        return found[0] if found is not None else None

    def _inputs(self, source: SourceFile) -> bytes:
        """The digest `inputs_of` gives the document just resolved from `source`: its file's
        load key (bytes, place, kind, generator), where the set is, the settings and roles, and
        what it looked up in other documents (`consulted`, each value as its repr)."""
        return bytes.fromhex(cache_key(self.file_keys.get(source.display, ""), str(source.path),
                                 self.set_inputs, repr(self.consulted)))

    def _build_indexes(self, docset: DocumentSet) -> None:
        for code, form_doc in docset.forms.items():
            docset.forms_by_procedure.setdefault(form_doc.model.procedure, []).append(code)
            docset.forms_by_custodian.setdefault(form_doc.custodian.id, []).append(code)
        for code, doc in docset.procedures.items():
            docset.procedures_by_owner.setdefault(doc.owner.id, []).append(code)
            for duty in doc.responsibilities:
                if isinstance(duty.role, str):  # a group such as 各部门 is no role of the set
                    continue
                docset.duties_by_role.setdefault(duty.role.id, []).extend(
                    Duty(procedure=code, text=text) for text in duty.duties
                )
        docset.referenced_by = {k: sorted(v) for k, v in sorted(self.referenced_by.items())}

    def skipped(self, target: str, source: SourceFile, loc: Loc) -> bool:
        """True (and noted) when `target` is the code of a file that failed to load: the
        reference cannot be checked, and reporting it as unknown would bury the cause."""
        broken = self.broken_codes.get(target)
        if broken is None:
            return False
        self.unchecked.setdefault(broken, set()).add((source.display, loc))
        return True

    def not_checked(self) -> list[Problem]:
        """One line per file that failed to load: how many references to it were not checked."""
        lines = []
        for broken, citing in sorted(self.unchecked.items()):
            files = sorted({display for display, _where in citing})
            shown = "、".join(files[:5]) + (" 等" if len(files) > 5 else "")
            lines.append(Problem(
                broken, 1, 1, "",
                _("本文件未能读入：其他文件对它的 {count} 处引用（{files}）未检查；"
                  "改正本文件后再运行一次。").format(count=len(citing), files=shown),
                Severity.warning, priority=Problem.NOT_CHECKED))
        if self.roles_unread:
            lines.append(Problem(
                display_path(self.root / self.settings.roles_file, self.root), 1, 1, "",
                _("部门与岗位文件未能读入：{count} 处对部门或岗位的引用、审批权限和登记册都未检查；"
                  "改正本文件后再运行一次。").format(count=self.unchecked_roles),
                Severity.warning, priority=Problem.NOT_CHECKED))
        return lines

    # --- inline references ---------------------------------------------------------------

    def rich(self, text: str | None, loc: Loc) -> Rich:
        """Split text into plain runs and bound references; report unknown targets."""
        if text is None:
            return ()
        if "【" not in text:
            return (text,)
        source = self.current
        assert source is not None
        parts: list[Inline] = []
        position = 0
        for match in REFERENCE.finditer(text):
            if match.start() > position:
                parts.append(text[position:match.start()])
            position = match.end()
            kind_word, target = match.group(1).lower(), match.group(2)
            kind = _KINDS.get(kind_word)
            if kind is None:
                self.error(source, loc, _("{ref} 中的引用类型 {kind!r} 未知；"
                                          "请用 form、proc、role、clause 或 formula").format(
                                              kind=kind_word, ref=match.group(0)))
                parts.append(match.group(0))
                continue
            ref = self.reference(kind, target, loc)
            parts.append(ref if ref is not None else match.group(0))
        if position < len(text):
            parts.append(text[position:])
        return tuple(parts)

    def reference(self, kind: str, target: str, loc: Loc) -> Ref | None:
        """The reference to `target` as it prints (None: unknown, and said so); noted among
        what the current document is made from."""
        ref = self._reference(kind, target, loc)
        self.consulted.append((kind, target, ref))
        return ref

    def _reference(self, kind: str, target: str, loc: Loc) -> Ref | None:
        source = self.current
        assert source is not None
        prefix = self.settings.code_prefix
        if kind == "role":
            if self.roles_unread:
                self.unchecked_roles += 1
                return None
            if target not in self.roles:
                self.error(source, loc, _("【role:{role}】中的岗位 {role!r} 未知；").format(
                    role=target) + self._known(target, sorted(self.roles)))
                return None
            return Ref("role", target, self.roles[target].name)
        if kind in ("form", "procedure"):
            table = self.form_models if kind == "form" else self.procedure_models
            found = table.get(target)
            if found is None and self.skipped(target, source, loc):
                return None
            if found is None:
                unknown = _("未知表单 {code!r}；") if kind == "form" else _("未知程序 {code!r}；")
                self.error(source, loc, unknown.format(code=target)
                           + self._known(target, sorted(table)))
                return None
            self._note_reference(target, found[0].status, loc)
            title = found[0].title
            return Ref(kind, target, f"《{title}》{prefix}{target}", code=target,  # type: ignore[arg-type]
                       title=title)
        # clause or formula: "id" in this procedure, or "CODE#id"
        code, _hash, clause_id = target.rpartition("#")
        code = code or self.current_code
        targets = self.clause_targets.get(code)
        if targets is None and self.skipped(code, source, loc):
            return None
        if targets is None:
            if code in self.broken_codes:
                return None
            self.error(source, loc, _("【{kind}:{target}】中的程序 {code!r} 未知；").format(
                code=code, kind=kind, target=target)
                + self._known(code, sorted(self.procedure_models)))
            return None
        if kind == "formula":
            return self._formula_reference(code, clause_id, loc)
        numbers = targets.get(clause_id)
        if numbers is None:
            known = sorted(targets)
            self.error(source, loc, _("程序 {code} 中没有 id 为 {id!r} 的条款；").format(
                code=code, id=clause_id)
                + (self._known(clause_id, known) if known else _("请给该条款设一个 id")))
            return None
        label = self.numberings[code].reference(self.printed[code].add(numbers))
        if code != self.current_code:
            self._note_reference(code, self.procedure_models[code][0].status, loc)
            label = f"{prefix}{code} {label}"
        return Ref("clause", code, label, code=code, title=self.procedure_models[code][0].title,
                   anchor=anchor(numbers))

    def _formula_reference(self, code: str, formula_id: str, loc: Loc) -> Ref | None:
        source = self.current
        assert source is not None
        n = self.formula_targets[code].get(formula_id)
        if n is None:
            known = sorted(self.formula_targets[code])
            hint = self._known(formula_id, known) if known else _(
                "请给被引用的公式加上 id（formula: {id: …}）")
            self.error(source, loc, _("{code} 中没有 id 为 {id} 的公式；{hint}").format(
                code=code, id=formula_id, hint=hint))
            return None
        label = self.settings.formula_label.format(n=n)
        if code != self.current_code:
            self._note_reference(code, self.procedure_models[code][0].status, loc)
            label = f"{self.settings.code_prefix}{code} {label}"
        return Ref("formula", code, label, code=code, title=self.procedure_models[code][0].title,
                   anchor=f"f{n}")

    def _note_reference(self, code: str, status: Status, loc: Loc) -> None:
        source = self.current
        assert source is not None
        self.consulted.append(("cites", code, status.value))
        if code != self.current_code:
            self.referenced_by.setdefault(code, set()).add(self.current_code)
        if status is Status.obsolete and self.current_status is not Status.obsolete:
            message = _("{code} 已作废：请引用取代它的文件").format(code=code)
            if self.current_status is Status.effective:
                self.error(source, loc, message)
            else:
                self.warn(source, loc, message)

    # --- procedures ----------------------------------------------------------------------

    # --- layout: which top-level sections, in which order, under which titles -----------

    def _check_set_layout(self) -> None:
        """The set's own layout, checked once (not once per procedure)."""
        if self.settings.layout is None or self.settings_source is None:
            return
        seen: set[str] = set()
        for i, entry in enumerate(self.settings.layout):
            if entry.key in seen:
                self.error(self.settings_source, ("layout", i, "key"),
                           _("章节 {key} 在 layout 中出现了两次").format(key=entry.key))
            seen.add(entry.key)
            if entry.key not in BUILTIN_SECTIONS and not entry.title:
                self.error(self.settings_source, ("layout", i, "key"),
                           _("章节 {key} 是本公司自定的章节，请写出标题（{key}: 标题）").format(
                               key=entry.key))

    def _layout(self, procedure: Procedure, source: SourceFile) -> list[_Slot]:
        """The printed top-level sections of `procedure`, numbered in order.

        Order and titles come from the procedure's `layout`, else the set's, else the default;
        a title left out falls back to the set's layout, then to settings.section_titles.
        """
        set_layout = self.settings.layout or DEFAULT_LAYOUT
        set_entries = {e.key: e for e in set_layout}
        own = procedure.layout is not None
        entries = procedure.layout or set_layout
        slots: list[_Slot] = []
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            loc: Loc = ("layout", i)
            inherited = set_entries.get(entry.key)
            title = entry.title or (inherited.title if inherited else None)
            if title is None and entry.key in BUILTIN_SECTIONS:
                title = getattr(self.settings.section_titles, entry.key)
            if entry.key in seen:
                if own:
                    self.error(source, (*loc, "key"),
                               _("章节 {key} 在 layout 中出现了两次").format(key=entry.key))
                continue
            seen.add(entry.key)
            if title is None:
                if own:
                    self.error(source, (*loc, "key"), _(
                        "章节 {key} 不是内置章节（{builtin}），作为本公司自定的章节请写出标题"
                        "（{key}: 标题）").format(key=entry.key,
                                              builtin="、".join(BUILTIN_SECTIONS)))
                continue
            empty = entry.empty or (inherited.empty if inherited else None) or \
                self.settings.empty_sections
            has = _has_content(procedure, entry.key)
            if not has and entry.key in _REQUIRED_SECTIONS:
                self.error(source, (entry.key,), _(
                    "缺少必填字段 {name!r}（layout 中有“{title}”一节）").format(
                        name=entry.key, title=title))
            if not has and empty is EmptySection.omit:
                continue
            slots.append(_Slot(entry.key, title, len(slots) + 1, not has))
        placed = {slot.key for slot in slots} | seen
        for key in BUILTIN_SECTIONS:
            if key not in placed and _has_content(procedure, key):
                self.error(source, (key,), _(
                    "写了 {key}，但 layout 中没有这一章节：在 layout 中加上 {key}，或删除这部分内容"
                ).format(key=key))
        for key in procedure.sections:
            if key in BUILTIN_SECTIONS:
                self.error(source, ("sections", key), _(
                    "{key} 是内置章节：请写在文件顶层（{key}:），不要写在 sections 下"
                ).format(key=key))
            elif key not in placed:
                self.error(source, ("sections", key), _(
                    "章节 {key} 不在 layout 中：在 layout 中加上 `- {key}: 标题`，或删除它"
                ).format(key=key))
        return slots

    def _number_targets(
        self, procedure: Procedure, source: SourceFile, slots: list[_Slot], printed: Printed,
    ) -> tuple[dict[str, tuple[int, ...]], dict[str, int]]:
        """Clause ids → positions, formula ids → formula numbers; every numbered item's printed
        number into `printed`. All in printed order."""
        clauses: dict[str, tuple[int, ...]] = {}
        formulas: dict[str, int] = {}
        count = 0

        def formula(block: object, loc: Loc) -> None:
            nonlocal count
            if not isinstance(block, Formula):
                return
            f = block.formula
            if not (f.numbered if f.numbered is not None else f.id is not None):
                return
            count += 1
            if f.id is not None:
                if f.id in formulas:
                    self.error(source, (*loc, "formula", "id"), _(
                        "公式编号 id {id} 在 {code} 中用了两次").format(id=f.id,
                                                                 code=procedure.code))
                formulas.setdefault(f.id, count)

        def visit(items: list[ClauseItem], numbers: tuple[int, ...], loc: Loc) -> None:
            # In document order, with a stack rather than by calling itself: a nested function
            # that calls itself is a reference cycle, which would keep the resolver alive.
            pending = [(enumerate(items), numbers, loc)]
            while pending:
                siblings, parent, where = pending[-1]
                step = next(siblings, None)
                if step is None:
                    pending.pop()
                    continue
                index, item = step
                here = (*parent, index + 1)
                printed.add(here)
                if isinstance(item, str):
                    continue
                if item.id is not None:
                    if item.id in clauses:
                        self.error(source, (*where, index, "id"),
                                   _("条款 id {id!r} 在 {code} 中用了两次").format(
                                       id=item.id, code=procedure.code))
                    clauses[item.id] = here
                for b, block in enumerate(item.body):
                    formula(block, (*where, index, "body", b))
                pending.append((enumerate(item.clauses), here, (*where, index, "clauses")))

        for slot in slots:
            if slot.key == "terms":
                for t, term in enumerate(procedure.terms):
                    printed.add((slot.number, t + 1))
                    for b, block in enumerate(term.body):
                        formula(block, ("terms", t, "body", b))
            elif slot.key == "responsibilities":
                for r in range(len(procedure.responsibilities)):
                    printed.add((slot.number, r + 1))
            elif slot.key == "procedure":
                visit(procedure.procedure, (slot.number,), ("procedure",))
            elif slot.key not in BUILTIN_SECTIONS:
                visit(procedure.sections.get(slot.key, []), (slot.number,),
                      ("sections", slot.key))
        return clauses, formulas

    def _procedure(self, procedure: Procedure, source: SourceFile) -> ProcedureDoc:
        self.current, self.current_code, self.current_status = (
            source, procedure.code, procedure.status)
        self._check_dates_and_versions(procedure, source)
        numbering = self.current_numbering = self.numberings[procedure.code]
        self.current_printed = self.printed[procedure.code]
        self.formula_count = 0

        owner = self.role(source, ("owner",), procedure.owner)
        for field_name in ("author", "reviewer", "approver"):
            person = getattr(procedure.approval, field_name)
            if person is not None and person.role is not None:
                self.role(source, ("approval", field_name, "role"), person.role)
        countersign = self._role_list(source, "countersign", procedure.countersign)
        distribution = self._role_list(source, "distribution", procedure.distribution)
        cover = self.settings.cover
        units = {"countersign": cover.countersign_units,
                 "distribution": cover.distribution_units or cover.countersign_units}
        for key, ids in (("countersign", procedure.countersign),
                         ("distribution", procedure.distribution)):
            offered = units[key]
            for i, role_id in enumerate(ids):
                if offered is not None and role_id in self.roles and role_id not in offered:
                    self.warn(source, (key, i), _(
                        "{name}不在本文件集的{purpose}单位之中（{file} 的 cover.{key}_units），"
                        "将另加一个方框印出").format(
                            name=self.roles[role_id].name, file=SETTINGS_FILE, key=key,
                            purpose=_("会签") if key == "countersign" else _("发放")))

        slots = self.layouts[procedure.code]
        processes: list[ProcessR] = []
        terms: tuple[TermR, ...] = ()
        responsibilities: list[ResponsibilityR] = []
        clauses: tuple[ClauseR, ...] = ()
        own_sections: dict[str, tuple[ClauseR, ...]] = {}
        # In printed order, so that formulas are numbered as they print.
        for slot in slots:
            if slot.key == "terms":
                terms = tuple(self._term(term, i, (slot.number, i + 1), numbering, processes)
                              for i, term in enumerate(procedure.terms))
            elif slot.key == "responsibilities":
                responsibilities = self._responsibilities(procedure, source, slot.number,
                                                          numbering)
            elif slot.key == "procedure":
                clauses = tuple(
                    self._clause(item, (slot.number, i + 1), ("procedure", i), processes)
                    for i, item in enumerate(procedure.procedure))
            elif slot.key not in BUILTIN_SECTIONS:
                own_sections[slot.key] = tuple(
                    self._clause(item, (slot.number, i + 1), ("sections", slot.key, i),
                                 processes)
                    for i, item in enumerate(procedure.sections.get(slot.key, [])))
        sections = tuple(
            Section(key=slot.key, number=slot.number, label=numbering.label((slot.number,)),
                    title=slot.title, empty=slot.empty, clauses=own_sections.get(slot.key, ()))
            for slot in slots)
        process_ids = [p.id for p in processes]
        for process_id in process_ids:
            if process_ids.count(process_id) > 1:
                self.error(source, ("procedure",),
                           _("流程 id {id!r} 在 {code} 中用了两次").format(
                               id=process_id, code=procedure.code))
                break

        related = []
        for i, item in enumerate(procedure.related):
            if item.procedure is not None:
                if item.procedure == procedure.code:
                    self.error(source, ("related", i, "procedure"),
                               _("程序不能把自己列为相关文件"))
                    continue
                ref = self.reference("procedure", item.procedure, ("related", i, "procedure"))
                if ref is not None:
                    related.append(RelatedR(ref=ref, title=ref.title or "",
                                            code=self.settings.code_prefix + item.procedure,
                                            note=item.note))
            else:
                related.append(RelatedR(ref=None, title=item.title or "", code=item.code,
                                        note=item.note))

        records = []
        listed: set[str] = set()
        for i, entry in enumerate(procedure.records):
            loc: Loc = ("records", i, "form")
            if entry.form in listed:
                self.error(source, loc, _("{form} 在 records 中列了两次").format(form=entry.form))
            listed.add(entry.form)
            ref = self.reference("form", entry.form, loc)
            form = self._record_form(entry.form) if ref is not None else None
            if ref is None or form is None:
                continue
            if form.procedure != procedure.code:
                self.warn(source, loc, _("{form} 属于 {owner}（见它的 `procedure` 字段），"
                                         "不属于本程序").format(form=entry.form,
                                                              owner=form.procedure))
            custodian_id = entry.custodian or form.custodian
            records.append(RecordR(
                form=ref,
                custodian=self.role(source, ("records", i, "custodian"), custodian_id),
                retention=entry.retention or form.retention or self.settings.retention_default,
            ))

        attachments = []
        by_id = {p.id: p for p in processes}
        for i, attachment in enumerate(procedure.attachments):
            form_ref = (self.reference("form", attachment.form, ("attachments", i, "form"))
                        if attachment.form else None)
            process = None
            if attachment.process is not None:
                process = by_id.get(attachment.process)
                if process is None:
                    self.error(source, ("attachments", i, "process"),
                               _("本程序中没有 id 为 {id!r} 的流程表；").format(
                                   id=attachment.process)
                               + self._known(attachment.process, sorted(by_id)))
            attachments.append(AttachmentR(
                label=self.settings.attachment_label.format(n=i + 1), title=attachment.title,
                form=form_ref, process=process, note=attachment.note,
            ))

        interval = procedure.review_interval_months or self.settings.review_interval_months
        reviewed = procedure.last_review or procedure.effective_date
        next_review = add_months(reviewed, interval) if reviewed is not None else None
        return ProcedureDoc(
            model=procedure, source=source.path,
            code=self.settings.code_prefix + procedure.code, title=procedure.title,
            version=procedure.version, status=procedure.status, owner=owner,
            countersign=countersign, distribution=distribution,
            review_interval_months=interval, next_review=next_review, sections=sections,
            numbering=numbering, printed=self.printed[procedure.code].printed,
            purpose=self.rich(procedure.purpose, ("purpose",)),
            scope=self.rich(procedure.scope, ("scope",)),
            terms=terms, responsibilities=tuple(responsibilities), clauses=clauses,
            related=tuple(related), records=tuple(records), attachments=tuple(attachments),
            processes=tuple(processes),
        )

    def _term(self, term: Term, i: int, numbers: tuple[int, ...], numbering: Numbering,
              processes: list[ProcessR]) -> TermR:
        source = self.current
        assert source is not None
        loc: Loc = ("terms", i)
        label = numbering.label(self.printed[self.current_code].add(numbers))
        body = []
        for b, block in enumerate(term.body):
            if isinstance(block, ProcessTable):
                self.error(source, (*loc, "body", b),
                           _("流程表应写在工作程序的条款中，不能写在术语定义里"))
                continue
            body.append(self._block(block, (*loc, "body", b), label, processes))
        classes = []
        for j, c in enumerate(term.classes):
            here: Loc = (*loc, "classes", j)
            classes.append(TermClassR(
                code=c.code, name=c.name, label=c.label,
                definition=self.rich(c.definition, (*here, "definition")),
                examples=tuple(self.rich(e, (*here, "examples", k))
                               for k, e in enumerate(c.examples)),
                example_labels=tuple(list_label(k + 1, term.examples_list)
                                     for k in range(len(c.examples))),
            ))
        return TermR(label=label, term=term.term, en=term.en,
                     definition=self.rich(term.definition, (*loc, "definition")),
                     classes=tuple(classes), body=tuple(body), classes_style=term.classes_style)

    def _responsibilities(self, procedure: Procedure, source: SourceFile, number: int,
                          numbering: Numbering) -> list[ResponsibilityR]:
        seen_roles: set[str] = set()
        responsibilities = []
        for i, duty in enumerate(procedure.responsibilities):
            if duty.role in seen_roles:
                self.warn(source, ("responsibilities", i, "role"),
                          _("{role} 出现了两次：请把它的职责合并为一条").format(role=duty.role))
            seen_roles.add(duty.role)
            responsibilities.append(ResponsibilityR(
                label=numbering.label(self.printed[procedure.code].add((number, i + 1))),
                role=duty.role if _is_group(duty.role)
                else self.role(source, ("responsibilities", i, "role"), duty.role),
                duties=tuple(self.rich(d, ("responsibilities", i, "duties", k))
                             for k, d in enumerate(duty.duties)),
            ))
        return responsibilities

    def _role_list(self, source: SourceFile, key: str, ids: list[str]) -> tuple[Role, ...]:
        roles = []
        for i, role_id in enumerate(ids):
            if role_id in ids[:i]:
                self.warn(source, (key, i), _("{role} 列了两次").format(role=role_id))
                continue
            roles.append(self.role(source, (key, i), role_id))
        return tuple(roles)

    def _check_dates_and_versions(self, procedure: Procedure, source: SourceFile) -> None:
        scheme = self.settings.version_scheme
        try:
            parse_version(procedure.version, scheme)
        except VersionError as exc:
            self.error(source, ("version",), str(exc))
        released = procedure.status in (Status.effective, Status.obsolete)
        if released:
            state = status_in_words(procedure.status)
            for name in ("issue_date", "effective_date"):
                if getattr(procedure, name) is None:
                    self.error(source, ("status",), _(
                        "{state}的文件须写 {field}（{what}）").format(
                        state=state, field=name,
                        what=_("发行日期") if name == "issue_date" else _("实施日期")))
            if procedure.approval.approver is None:
                self.error(source, ("approval",), _(
                    "{state}的文件须有批准人（approval.approver）").format(state=state))
            if not procedure.revisions:
                self.error(source, ("revisions",), _(
                    "{state}的文件须有修改履历（revisions，第一条：首次发行）").format(state=state))
        if procedure.status is Status.obsolete and not procedure.obsolete_reason:
            self.warn(source, ("status",), _("请写明文件作废的原因（obsolete_reason）"))
        if procedure.obsolete_date and procedure.effective_date and \
                procedure.obsolete_date < procedure.effective_date:
            self.error(source, ("obsolete_date",), _("作废日期 {date} 早于实施日期（{effective}）")
                       .format(date=procedure.obsolete_date,
                               effective=procedure.effective_date))
        if procedure.issue_date and procedure.effective_date and \
                procedure.effective_date < procedure.issue_date:
            self.error(source, ("effective_date",),
                       _("实施日期 {effective} 早于发行日期 {issued}").format(
                           effective=procedure.effective_date, issued=procedure.issue_date))
        signed = [(name, getattr(procedure.approval, name)) for name in
                  ("author", "reviewer", "approver")]
        dated = [(name, p.date) for name, p in signed if p is not None and p.date is not None]
        for (first, first_date), (later, later_date) in itertools.pairwise(dated):
            if later_date < first_date:
                self.error(source, ("approval", later, "date"),
                           _("{later} 的签署日期 {later_date} 早于 {first}（{first_date}）")
                           .format(later=later, later_date=later_date, first=first,
                                   first_date=first_date))
        approver = procedure.approval.approver
        if approver and approver.date and procedure.issue_date and \
                approver.date > procedure.issue_date:
            self.error(source, ("approval", "approver", "date"),
                       _("批准日期 {date} 晚于发行日期 {issued}：文件须先批准后发行").format(
                           date=approver.date, issued=procedure.issue_date))
        self._check_signatures(procedure.approval, procedure.status, source)
        self._check_revisions(procedure.revisions, procedure.version, released, source)

    def _check_signatures(self, approval: Approval, status: Status, source: SourceFile) -> None:
        """编写 / 审核 / 批准 with real names and dates once a document is in force.

        An effective (or withdrawn) document needs a real approver and reviewer, each with the
        day they signed: "待定", "XXX" or "TBD" is an error there. A draft or a document under
        review may still carry placeholders; they are reported as warnings. The author (编写) is
        not checked: `wenkong new` writes 待定 there, and `wenkong release` keeps it.
        """
        released = status in (Status.effective, Status.obsolete)
        for key in ("reviewer", "approver"):
            person = getattr(approval, key)
            if person is None:
                continue
            if is_placeholder(person.name):
                who = _("审核人") if key == "reviewer" else _("批准人")
                message = _("{who}姓名“{name}”是占位内容：").format(who=who, name=person.name)
                if released:
                    self.error(source, ("approval", key, "name"), message + _(
                        "生效或作废的文件须写明实际签署人的姓名"))
                else:
                    self.warn(source, ("approval", key, "name"), message + _(
                        "文件生效前须改为实际签署人的姓名"))
            if released and person.date is None:
                self.error(source, ("approval", key), _(
                    "生效或作废的文件须写明{who}签署日期（date）").format(
                        who=_("审核人") if key == "reviewer" else _("批准人")))

    def _check_revisions(self, revisions: list[Revision], version: str, released: bool,
                         source: SourceFile) -> None:
        scheme = self.settings.version_scheme
        previous = None
        for i, revision in enumerate(revisions):
            try:
                key = parse_version(revision.version, scheme)
            except VersionError as exc:
                self.error(source, ("revisions", i, "version"), str(exc))
                continue
            if previous is not None:
                previous_key, previous_revision = previous
                if key <= previous_key:
                    self.error(source, ("revisions", i, "version"),
                               _("版本 {version} 没有排在 {previous} 之后").format(
                                   version=revision.version,
                                   previous=previous_revision.version))
                if revision.date < previous_revision.date:
                    self.error(source, ("revisions", i, "date"),
                               _("日期 {date} 早于上一条的日期（{previous}）").format(
                                   date=revision.date, previous=previous_revision.date))
            previous = (key, revision)
        if released and revisions and revisions[-1].version != version:
            self.error(source, ("version",),
                       _("版本 {version} 不是修改履历的最后一条（{last}）").format(
                           version=version, last=revisions[-1].version))

    # --- clauses and blocks --------------------------------------------------------------

    def _clause(self, item: Clause | str, numbers: tuple[int, ...], loc: Loc,
                processes: list[ProcessR]) -> ClauseR:
        label = self.current_numbering.label(self.current_printed.add(numbers))
        if isinstance(item, str):
            return ClauseR(numbers=numbers, label=label, anchor=anchor(numbers), id=None,
                           title=None, text=self.rich(item, loc), blocks=(), children=())
        blocks = tuple(
            self._block(block, (*loc, "body", i), label, processes)
            for i, block in enumerate(item.body)
        )
        children = tuple(
            self._clause(child, (*numbers, i + 1), (*loc, "clauses", i), processes)
            for i, child in enumerate(item.clauses)
        )
        return ClauseR(
            numbers=numbers, label=label, anchor=anchor(numbers), id=item.id,
            title=self.rich(item.title, (*loc, "title")) or None,
            text=self.rich(item.text, (*loc, "text")) or None,
            blocks=blocks, children=children,
        )

    def _block(self, block: object, loc: Loc, clause: str,
               processes: list[ProcessR]) -> Block:
        if isinstance(block, str):
            return Paragraph(self.rich(block, loc))
        if isinstance(block, ListBlock):
            return self._list(block.list, block.items, (*loc, "items"))
        if isinstance(block, Note):
            return NoteR(self.rich(block.note, (*loc, "note")))
        if isinstance(block, Table):
            table = block.table
            return TableR(
                caption=table.caption, columns=tuple(table.columns),
                rows=tuple(
                    tuple(self.rich(cell, (*loc, "table", "rows", r, c))
                          for c, cell in enumerate(row))
                    for r, row in enumerate(table.rows)
                ),
                widths=tuple(table.widths) if table.widths else None,
            )
        if isinstance(block, Formula):
            f = block.formula
            label = formula_anchor = None
            if f.numbered if f.numbered is not None else f.id is not None:
                self.formula_count += 1
                label = self.settings.formula_label.format(n=self.formula_count)
                formula_anchor = f"f{self.formula_count}"
            return FormulaR(name=f.name, expression=f.expression, numerator=f.numerator,
                            denominator=f.denominator, multiplier=f.multiplier,
                            where=tuple((s.symbol, s.meaning) for s in f.where),
                            label=label, anchor=formula_anchor)
        if isinstance(block, CheckboxRow):
            c = block.checkboxes
            return CheckboxesR(label=c.label,
                               options=tuple((o, o in c.checked) for o in c.options))
        if isinstance(block, Figure):
            return self._figure(block, (*loc, "figure", "file"))
        if isinstance(block, ProcessTable):
            process = self._process(block, (*loc, "process"), clause, len(processes) + 1)
            processes.append(process)
            return process
        raise TypeError(f"unexpected block {type(block).__name__}")  # the model forbids it

    def _figure(self, block: Figure, loc: Loc) -> FigureR:
        """Read a figure's picture: a PNG or JPEG file inside the set, of a sane size."""
        figure = block.figure
        source = self.current
        assert source is not None
        data, kind = b"", "png"
        relative = Path(figure.file)
        path = (self.root / relative).resolve()
        if relative.is_absolute() or ".." in relative.parts or not path.is_relative_to(
                self.root.resolve()):
            self.error(source, loc, _("图片 {file!r}：请给出文件集内的路径，"
                                      "如 figures/QP-26-1.png").format(file=figure.file))
        elif not path.is_file():
            self.error(source, loc, _("图片 {file!r}：文件不存在").format(file=figure.file))
        elif path.stat().st_size > FIGURE_MAX_BYTES:
            self.error(source, loc, _("图片 {file!r} 大于 {size} MB").format(
                file=figure.file, size=FIGURE_MAX_BYTES // (1024 * 1024)))
        else:
            data = path.read_bytes()
            if data.startswith(b"\x89PNG\r\n\x1a\n"):
                kind = "png"
            elif data.startswith(b"\xff\xd8\xff"):
                kind = "jpeg"
            else:
                self.error(source, loc, _("图片 {file!r} 不是 PNG 或 JPEG 图片").format(
                    file=figure.file))
                data = b""
        self.consulted.append(("figure", figure.file, hashlib.sha256(data).hexdigest(), kind))
        return FigureR(file=figure.file, data=data, kind=kind, caption=figure.caption,
                       width=figure.width)

    def _list(self, style: object, items: list[ListItem | str], loc: Loc) -> ListR:
        assert isinstance(style, ListStyle)
        entries = []
        for i, item in enumerate(items):
            label = list_label(i + 1, style)
            if isinstance(item, str):
                entries.append(ListEntry(label, self.rich(item, (*loc, i))))
            else:
                entries.append(ListEntry(
                    label, self.rich(item.text, (*loc, i, "text")),
                    self._list(item.list, item.items, (*loc, i, "items")),
                ))
        return ListR(style=style, items=tuple(entries))

    def _process(self, block: ProcessTable, loc: Loc, clause: str, n: int) -> ProcessR:
        source = self.current
        assert source is not None
        content = block.process
        steps = content.steps
        given = content.columns or self.settings.process_columns
        columns = tuple(
            ProcessColumnR(key=c.show, title=c.title, width=c.width)
            for c in (check_columns(given) if given else [])
        ) or tuple(ProcessColumnR(key=key, title=None, width=None) for key in DEFAULT_COLUMNS)
        own_columns = [c.key for c in columns if c.key not in BUILTIN_COLUMNS]
        lettered = content.labels is StepLabels.letters
        label_of: dict[str, str | None] = {}
        shown_as: dict[str, str] = {}
        names = [self.rich(step.name, (*loc, "steps", i, "name")) for i, step in enumerate(steps)]
        for i, step in enumerate(steps):
            if content.step_labels is StepLabels.letters and step.label is not None:
                self.error(source, (*loc, "steps", i, "label"), _(
                    "本流程表 step_labels 为 letters（按顺序自动编 A、B、C …）：删去此 label，"
                    "或设 step_labels: given 按原文印出各步骤自己的标号"))
            if step.id in label_of:
                self.error(source, (*loc, "steps", i, "id"),
                           _("步骤 id {id!r} 在本流程表中用了两次").format(id=step.id))
            label = letters(i + 1) if lettered else step.label
            label_of.setdefault(step.id, label)
            shown_as.setdefault(step.id, label or plain(names[i]))

        def target(step_id: str, where: Loc) -> str | None:
            if step_id not in label_of:
                self.error(source, where, _("没有 id 为 {id!r} 的步骤；").format(id=step_id)
                           + self._known(step_id, list(label_of)))
                return None
            return step_id

        resolved = []
        exits: dict[str, list[str]] = {}
        for i, step in enumerate(steps):
            here: Loc = (*loc, "steps", i)
            branches = []
            for j, branch in enumerate(step.branches):
                to = target(branch.to, (*here, "branches", j, "to"))
                if to is not None:
                    branches.append(BranchR(branch.label, to, shown_as[to]))
            following: str | None = None
            if step.next is not None:
                following = target(step.next, (*here, "next"))
            elif not step.branches and not step.end and i + 1 < len(steps):
                following = steps[i + 1].id
            exits[step.id] = [b.to for b in branches] + ([following] if following else [])
            shown = {c.key for c in columns}
            for key in ("input", "key_points", "documents", "outputs"):
                if getattr(step, key) and key not in shown:  # never accepted, then dropped
                    self.error(source, (*here, key), _(
                        "本流程表的 columns 中没有 {key} 列，此处内容不会印出：在 columns 中加入 "
                        "{key}，或删去此项").format(key=key))
            for key in step.cells:
                if key not in own_columns:
                    self.error(source, (*here, "cells", key), _(
                        "本流程表没有名为 {key} 的自定列；已有：{known}。"
                        "请在表的 columns 中加入 {{show: {key}, title: …}}").format(
                            key=key, known="、".join(own_columns) or "无"))
            inputs = ([step.input] if isinstance(step.input, str) else step.input or [])
            resolved.append(StepR(
                id=step.id, label=label_of[step.id] if lettered else step.label,
                name=names[i],
                inputs=tuple(self.rich(text, (*here, "input") if isinstance(step.input, str)
                                       else (*here, "input", k))
                             for k, text in enumerate(inputs)),
                owners=tuple(owner if _is_group(owner)
                             else self.role(source, (*here, "owners", k), owner)
                             for k, owner in enumerate(step.owners)),
                key_points=self.rich(step.key_points, (*here, "key_points")) or None,
                documents=tuple(self.rich(d, (*here, "documents", k))
                                for k, d in enumerate(step.documents)),
                outputs=tuple(self._output(text, (*here, "outputs", k))
                              for k, text in enumerate(step.outputs)),
                cells=tuple((key, self.rich(text, (*here, "cells", key)))
                            for key, text in step.cells.items()),
                branches=tuple(branches), next=following,
                next_label=shown_as.get(following) if following else None,
                is_start=i == 0, is_end=not branches and following is None,
                jumps=following is not None and (i + 1 >= len(steps)
                                                 or following != steps[i + 1].id),
            ))
        reached = {steps[0].id}
        frontier = [steps[0].id]
        while frontier:
            for nxt in exits.get(frontier.pop(), []):
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)
        for i, step in enumerate(steps):
            if step.id not in reached:
                self.warn(source, (*loc, "steps", i, "id"),
                          _("从第一步到达不了步骤 {id!r}").format(id=step.id))
        return ProcessR(id=content.id or f"process-{n}", title=content.title,
                        steps=tuple(resolved), clause=clause, columns=columns,
                        columns_given=given is not None)

    def _output(self, text: str, loc: Loc) -> Rich:
        """A step output: a bare form code becomes its reference, a bare procedure code too
        (an unknown code is an error, as a typo must not print as text); anything else is text
        with references."""
        if _is_group(text) or "【" in text or any(ch.isspace() for ch in text):
            return self.rich(text, loc)
        kind = "procedure" if text in self.procedure_models else "form"
        ref = self.reference(kind, text, loc)
        return (ref,) if ref is not None else (text,)

    # --- forms ---------------------------------------------------------------------------

    def _owner(self, form: Form, source: SourceFile) -> Ref:
        """The form's procedure as the form prints it; the procedure must list the form."""
        owner = self.procedure_models.get(form.procedure)
        listed = owner is not None and any(r.form == form.code for r in owner[0].records)
        procedure_ref: Ref
        if owner is None and self.skipped(form.procedure, source, ("procedure",)):
            procedure_ref = Ref("procedure", form.procedure, form.procedure)
        elif owner is None:
            self.error(source, ("procedure",), _("未知程序 {code!r}；").format(code=form.procedure)
                       + self._known(form.procedure, sorted(self.procedure_models)))
            procedure_ref = Ref("procedure", form.procedure, form.procedure)
        else:
            procedure_ref = Ref("procedure", form.procedure,
                                f"《{owner[0].title}》{self.settings.code_prefix}{form.procedure}",
                                code=form.procedure, title=owner[0].title)
            if not listed:
                self.error(source, ("procedure",),
                           _("{procedure} 的 records 中没有列出 {code}：请在 {file} 的 records "
                             "中加上 `- form: {code}`").format(procedure=form.procedure,
                                                               code=form.code,
                                                               file=owner[1].display))
        self.consulted.append(("owner", procedure_ref, listed))
        return procedure_ref

    def _form(self, form: Form, source: SourceFile) -> FormDoc:
        self.current, self.current_code, self.current_status = source, form.code, form.status
        try:
            parse_version(form.version, self.settings.version_scheme)
        except VersionError as exc:
            self.error(source, ("version",), str(exc))
        if form.issue_date and form.effective_date and form.effective_date < form.issue_date:
            self.error(source, ("effective_date",), _("实施日期 {effective} 早于发行日期 {issued}")
                       .format(effective=form.effective_date, issued=form.issue_date))
        self._check_revisions(form.revisions, form.version,
                              form.status in (Status.effective, Status.obsolete), source)
        if form.approval is not None:
            self._check_signatures(form.approval, form.status, source)
        custodian = self.role(source, ("custodian",), form.custodian)
        ids: dict[str, Loc] = {}

        def claim(field_id: str, where: Loc) -> None:
            if field_id in ids:
                self.error(source, where, _("字段 id {id!r} 在本表单中用了两次"
                                            "（id 用来命名从填好的表单读回的值）").format(
                                                id=field_id))
            ids.setdefault(field_id, where)

        for s, section in enumerate(form.sections):
            for f, item in enumerate(section.fields):
                claim(item.id, ("sections", s, "fields", f, "id"))
            if section.table is not None:
                claim(section.table.id, ("sections", s, "table", "id"))
                columns: set[str] = set()
                for c, column in enumerate(section.table.columns):
                    if column.id in columns:
                        self.error(source, ("sections", s, "table", "columns", c, "id"),
                                   _("列 id {id!r} 在本表格中用了两次").format(id=column.id))
                    columns.add(column.id)
        for k, box in enumerate(form.signoff):
            claim(box.id, ("signoff", k, "id"))

        procedure_ref = self._owner(form, source)
        return FormDoc(
            model=form, source=source.path, code=self.settings.code_prefix + form.code,
            title=form.title, version=form.version, status=form.status,
            procedure=procedure_ref, custodian=custodian,
            retention=form.retention or self.settings.retention_default,
        )
