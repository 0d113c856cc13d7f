"""Render stage (Word): the words a procedure document prints that are not in the sources.

Column headings, status marks, "注：" and the like are data, not literals in the builders: the
defaults below are Chinese, and a `procedure.labels.yaml` beside the template overrides any of
them (an English edition is a translation of that file and of the template, not a code change).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from generator.load import load_optional
from generator.model.common import Strict
from generator.model.procedure import Status

LABELS_FILE = "procedure.labels.yaml"


class StatusLabels(Strict):
    draft: str = "草稿"
    in_review: str = "审核中"
    effective: str = "受控"
    obsolete: str = "作废"


class DocxLabels(Strict):
    """Every fixed word the procedure builder prints; the template carries the rest."""

    status: StatusLabels = StatusLabels()
    # the mark on every page: a diagonal watermark (not yet effective, or obsolete) or a stamp
    watermark: StatusLabels = StatusLabels(draft="草稿 DRAFT", in_review="审核中 未生效",
                                           effective="", obsolete="作废 OBSOLETE")
    stamp: StatusLabels = StatusLabels(draft="", in_review="", effective="受控", obsolete="")
    # a copy that is not an issued controlled copy (site downloads, plain builds)
    uncontrolled_stamp: str = "非受控"
    uncontrolled_status: str = "非受控（仅供参考）"
    uncontrolled_notice: str = "非受控文件　仅供参考"
    no_revisions: str = "（尚未发行）"
    contents: str = "目录"
    note: str = "注："
    none: str = "无"
    process_columns: list[str] = Field(
        default=["输入", "工作流程", "权责", "重点说明", "支持性文件", "输出"], min_length=6,
        max_length=6)
    step: str = "步骤"  # title of a process table's label column (show: label)
    flowchart: str = "流程图"
    end: str = "结束"
    records_columns: list[str] = Field(
        default=["序号", "表单编号", "表单名称", "保存部门", "保存期限"], min_length=5,
        max_length=5)
    term_classes_columns: list[str] = Field(
        default=["代号", "类别", "定义", "示例"], min_length=4, max_length=4)
    where: str = "式中："
    see_form: str = "见表单"


def status_word(labels: StatusLabels, status: Status) -> str:
    return str(getattr(labels, status.value))


def load_labels(template: Path) -> DocxLabels:
    """Labels from `procedure.labels.yaml` beside the template, else the defaults.

    A broken file raises SourceErrors with file:line like any other source.
    """
    return load_optional(template.with_name(LABELS_FILE), DocxLabels)
