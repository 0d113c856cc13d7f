"""Model stage: company settings (wenkong.yaml): identity, numbering, versions, fonts, labels."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from generator.i18n import _
from generator.model.common import Id, Strict, Text, added_field
from generator.model.layout import EmptySection, Layout, NumberingSpec, NumberingStyle
from generator.model.procedure import ColumnItem, CoverRow, ProcessColumn, check_columns
from generator.model.registers import ApprovalRule, ExternalReviewRule, WorkingCalendar


class VersionScheme(StrEnum):
    """How a company writes versions. The first release and the next version follow from it."""

    letter_revision = "letter_revision"  # A/0, A/1 … B/0 (edition letter / revision number)
    semantic = "semantic"  # V1.0, V1.1 … V2.0
    integer = "integer"  # 1, 2, 3


class SiteEngine(StrEnum):
    """What builds the auditors' site from the generated Markdown and mkdocs.yml."""

    mkdocs = "mkdocs"  # mkdocs + Material for MkDocs (the default)
    zensical = "zensical"  # Zensical, Material's successor (optional: wenkong[zensical])


class Company(Strict):
    name: Text
    name_en: str | None = None
    short_name: str | None = None  # the site's title (header bar, browser tab) when given
    address: str | None = None

    @property
    def site_title_name(self) -> str:
        """The name the site's title bar shows where a set has no mkdocs.yml of its own: the
        short name fits the header bar and the browser tab, else the full name."""
        return self.short_name or self.name


class Fonts(Strict):
    """Fonts by purpose. The fallback is what renders on a machine without Windows fonts."""

    body: str = "宋体"
    heading: str = "黑体"
    latin: str = "Times New Roman"
    body_fallback: str = "Noto Serif CJK SC"
    heading_fallback: str = "Noto Sans CJK SC"


class SectionTitles(Strict):
    """Titles of the fixed top-level sections; companies word them differently (职责 / 权责)."""

    purpose: str = "目的"
    scope: str = "适用范围"
    terms: str = "术语和定义"
    responsibilities: str = "职责"
    procedure: str = "工作程序"
    related: str = "相关文件"
    records: str = "质量记录"
    attachments: str = "附件"


class Cover(Strict):
    """What the cover block of every procedure shows beyond the template's fixed words."""

    omit: list[CoverRow] = Field(
        default_factory=list,
        description="Rows the company does not use: next_review (下次评审), copy_number "
        "(分发编号), countersign (会签部门), distribution (发放范围).")
    countersign_units: list[Id] | None = Field(
        default=None, description="Role ids offered as 会签 boxes, in order (default: every "
        "department and top-level position of roles.yaml).")
    distribution_units: list[Id] | None = Field(
        default=None, description="Role ids offered as 发放范围 boxes, in order (default: as "
        "countersign_units).")


class FlowchartPlacement(StrEnum):
    """Where a process table's flowchart goes relative to its table."""

    after = "after"  # the table, then its flowchart
    before = "before"  # the flowchart, then its table


class Flowcharts(Strict):
    """Flowcharts of process tables: where they go, and how far they may shrink to stay with
    their table."""

    placement: FlowchartPlacement = Field(
        default=FlowchartPlacement.after,
        description="after: the flowchart right after its table; before: right before it.")
    min_text_points: float = Field(
        default=6.0, ge=4.0, le=72.0,
        description="PDF copies: a flowchart that would start a new page and leave the page "
        "before it partly empty is shrunk to fit there, as long as its smallest text stays at "
        "least this size (points; 8 or more: never shrunk).")


class Settings(Strict):
    """The one company settings file at the root of a document set (wenkong.yaml)."""

    company: Company
    document_class: str = "程序文件"
    code_prefix: str = Field(
        default="", description="Prefix printed before every code, e.g. 'HX-' gives HX-QP-15."
    )
    version_scheme: VersionScheme = VersionScheme.letter_revision
    numbering_style: NumberingStyle = NumberingStyle.decimal
    numbering: NumberingSpec | None = Field(
        default=None, description="Clause numbers level by level, e.g. [一、, 1.1, 1.1.1]; "
        "replaces numbering_style when given. A procedure may set its own.")
    fonts: Fonts = Fonts()
    section_titles: SectionTitles = SectionTitles()
    process_columns: list[ColumnItem] | None = added_field(
        None, min_length=1,
        description="Columns of every process table that does not name its own (default: "
        "input, flow, owners, key_points, documents, outputs).")
    layout: Layout | None = Field(
        default=None, description="Top-level sections in print order, with their titles, e.g. "
        "[purpose, scope: 范围, related: 参考文件, terms: 定义, responsibilities: 权责, "
        "procedure: 作业内容, records: 表格]. Default: the sections in the order of "
        "section_titles. A procedure may set its own.")
    empty_sections: EmptySection = Field(
        default=EmptySection.print_none,
        description="A section of the layout a document has nothing for: print_none prints "
        "its heading and 无, omit leaves it out. In the default layout, attachments are left "
        "out when empty.")
    formula_label: str = Field(default="({n})", description="Number of a numbered formula at "
                               "the right margin; {n} is its number in the document.")
    attachment_label: str = Field(default="附件{n}", description="{n} is the attachment number.")
    cover: Cover = added_field(default_factory=Cover)
    flowcharts: Flowcharts = added_field(
        default_factory=Flowcharts,
        description="Placement of process-table flowcharts and how far PDF copies may shrink "
        "one to keep it on the page its table ends on.")
    controlled_notice: str = "受控文件 未经批准不得复印"
    document_control_office: Id = Field(
        description="Role id of the office that keeps the master list (文控中心).",
    )
    review_interval_months: int = Field(default=12, ge=1, le=120)
    retention_default: str = "三年"
    procedures_dir: str = "procedures"
    forms_dir: str = "forms"
    roles_file: str = "roles.yaml"
    templates_dir: str = "templates"
    output_dir: str = "build"
    site_engine: SiteEngine = added_field(
        SiteEngine.mkdocs,
        description="What builds the site: mkdocs (mkdocs + Material, the default) or "
        "zensical (Zensical, Material's successor; needs `pip install 'wenkong[zensical]'`; "
        "see the README for what it does differently).")
    registers_dir: str = Field(
        default="registers", description="Folder of the registers (发放回收、外来文件、条款对照).")
    recall_days: int = Field(
        default=7, ge=0, le=365,
        description="Days after a new version's issue by which old controlled copies are back.")
    calendar: WorkingCalendar = WorkingCalendar()
    external_review: ExternalReviewRule = ExternalReviewRule()
    approval_rules: list[ApprovalRule] = Field(
        default_factory=list,
        description="Who may write, review and approve which documents; first match applies. "
        "Empty: anyone may sign.")

    @field_validator("formula_label", "attachment_label")
    @classmethod
    def _one_number(cls, value: str) -> str:
        # printed with str.format(n=…): any other placeholder would fail at build time
        try:
            value.format(n=1)
        except (KeyError, IndexError, ValueError):
            raise ValueError(_("只能含有占位符 {n}（编号），例如 ({n}) 或 附件{n}")) from None
        return value

    @field_validator("process_columns")
    @classmethod
    def _process_columns(cls, value: list[ProcessColumn | str] | None
                         ) -> list[ProcessColumn | str] | None:
        if value is not None:
            check_columns(value)
        return value
