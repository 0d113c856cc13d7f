"""Model stage: a form schema (表单): one YAML file under forms/."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field, model_validator

from generator.i18n import _
from generator.model.common import Approval, Code, Id, Revision, Strict, Text, VersionLabel
from generator.model.procedure import Status


class FieldType(StrEnum):
    text = "text"  # 短文本
    long_text = "long_text"  # 多行文本
    date = "date"
    number = "number"
    choice = "choice"  # 单选: □A □B
    multi_choice = "multi_choice"  # 多选
    yes_no = "yes_no"  # □是 □否
    signature = "signature"  # 签名 + 日期


class Widget(StrEnum):
    checkbox = "checkbox"
    dropdown = "dropdown"


class ColumnType(StrEnum):
    text = "text"
    number = "number"
    date = "date"
    choice = "choice"


class FormField(Strict):
    id: Id
    label: Text
    type: FieldType = FieldType.text
    required: bool = False
    options: list[Text] = Field(default_factory=list)
    widget: Widget = Widget.checkbox
    lines: int = Field(default=3, ge=1, le=30, description=(
        "Height of a long_text box in lines, at least: a form with room to spare on its page "
        "gives it more."))
    unit: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    hint: str | None = Field(default=None, description=(
        "A short instruction, printed in small type under the label (the box stays empty)."))
    wide: bool = Field(default=False, description="Take the whole row instead of half of it.")

    @model_validator(mode="after")
    def _options_match_type(self) -> FormField:
        wants = self.type in (FieldType.choice, FieldType.multi_choice)
        if wants and len(self.options) < 2:
            raise ValueError(_("{type} 字段至少要有两个选项").format(type=self.type.value))
        if not wants and self.options:
            raise ValueError(_("{type} 字段不带选项").format(type=self.type.value))
        if len(set(self.options)) != len(self.options):
            raise ValueError(_("选项有重复"))
        return self


class Column(Strict):
    id: Id
    label: Text
    type: ColumnType = ColumnType.text
    required: bool = False
    options: list[Text] = Field(default_factory=list)
    width: float = Field(default=1.0, gt=0, description="Relative width of the column.")

    @model_validator(mode="after")
    def _options_match_type(self) -> Column:
        if (self.type == ColumnType.choice) != bool(self.options):
            raise ValueError(_("choice 列需要选项；其他列不带选项"))
        return self


class FormTable(Strict):
    """A repeating table: blank rows for paper, more rows electronically."""

    id: Id
    columns: list[Column] = Field(min_length=1)
    rows: int = Field(default=5, ge=1, le=60, description=(
        "Blank rows printed on paper, at least: a form without long-text boxes fills its page "
        "with more."))
    numbered: bool = Field(default=True, description="Print a 序号 column counting the rows.")


class FormSection(Strict):
    title: str | None = None
    fields: list[FormField] = Field(default_factory=list)
    table: FormTable | None = None

    @model_validator(mode="after")
    def _has_content(self) -> FormSection:
        if not self.fields and self.table is None:
            raise ValueError(_("一节需要有字段或表格"))
        return self


class SignOff(Strict):
    """One signature box of the sign-off row: 填表人/日期, 审核/日期 …"""

    id: Id
    label: Text
    required: bool = False


class Form(Strict):
    """A form schema (表单): what the blank form shows and what a filled one must hold."""

    code: Code
    title: Text
    version: VersionLabel
    status: Status = Status.draft
    procedure: Code = Field(description="Code of the procedure this form belongs to.")
    custodian: Id = Field(description="Role id of the department that keeps filled forms.")
    retention: str | None = None
    copies: str | None = Field(default=None, description="e.g. 本表一式两份，一份交顾客")
    serial: bool = Field(default=True, description="Print a 编号 (serial number) box.")
    landscape: bool = False
    issue_date: dt.date | None = None
    effective_date: dt.date | None = None
    obsolete_date: dt.date | None = None
    obsolete_reason: str | None = None
    approval: Approval | None = None
    revisions: list[Revision] = Field(default_factory=list)
    instructions: str | None = Field(default=None, description="填表说明, printed under the form.")
    sections: list[FormSection] = Field(min_length=1)
    signoff: list[SignOff] = Field(default_factory=list)
