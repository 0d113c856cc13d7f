"""Test corpus for `wenkong import`: Word files made at test time, in several factory styles.

Written in our own words after the structures of real procedure sets (../shared/seeds/):
typed numbers with a cover table and a revision history; Word automatic multilevel numbering
on heading styles; a document without a cover table whose code sits in the page header; a
process table; a formula; a table form with ☐ options, 年 月 日 and a sign-off row. Each
builder returns what the importer must find, so tests compare against the source of truth.
"""

from __future__ import annotations

import io
import struct
import subprocess
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt


@dataclass
class Expected:
    code: str
    title: str
    headings: list[str] = field(default_factory=list)  # "5.2 投诉的处理" as printed
    phrases: list[str] = field(default_factory=list)  # text that must come back


def _table(document: object, rows: list[list[str]]) -> object:
    table = document.add_table(rows=len(rows), cols=max(len(r) for r in rows))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    return table


def _bold(document: object, text: str, size: float = 12) -> None:
    paragraph = document.add_paragraph()  # type: ignore[attr-defined]
    run = paragraph.add_run(text)
    run.bold = True
    run.font.size = Pt(size)


def png(width: int = 160, height: int = 90) -> bytes:
    """A small PNG (a box drawn in black on white), made without an imaging library."""
    rows = []
    for y in range(height):
        line = bytearray([0])
        for x in range(width):
            edge = (x in (10, width - 11) and 10 <= y < height - 10) or \
                (y in (10, height - 11) and 10 <= x < width - 10)
            line += b"\x00\x00\x00" if edge else b"\xff\xff\xff"
        rows.append(bytes(line))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def _fixed(document: object, path: Path) -> None:
    props = document.core_properties  # type: ignore[attr-defined]
    import datetime as dt
    props.created = props.modified = dt.datetime(2024, 1, 1)
    document.save(str(path))  # type: ignore[attr-defined]


def complaint_procedure(path: Path) -> Expected:
    """Typed numbers (1 目的 … 7 质量记录, 5.1, 5.1.1), cover table, revision history,
    a process table, a formula, lists, a citation of a form imported in the same run."""
    d = Document()
    _table(d, [["东湖精工电子有限公司", "文件编号", "QP-21"],
               ["程序文件", "版本/版次", "A/1"],
               ["文件名称", "客户投诉处理程序", "页次", "1/3"]])
    _table(d, [["编制", "林晓", "审核", "郑海", "批准", "韩东"],
               ["日期", "2024-03-02", "日期", "2024-03-05", "日期", "2024-03-08"],
               ["发行日期", "2024-03-10", "实施日期", "2024-03-15"]])
    d.add_paragraph("会签：☑品质部 ☐总经理 ☑生产部")
    _table(d, [["版本", "修改章节", "修改日期", "修改内容摘要", "修改人"],
               ["A/0", "全文", "2023-05-01", "首次发行", "林晓"],
               ["A/1", "5.2", "2024-03-02", "投诉回复时限由三天改为两天", "林晓"]])
    body = [
        "1 目的",
        "规定客户投诉从受理到关闭的处理方法，及时消除客户的不满并防止问题重复发生。",
        "2 适用范围",
        "适用于本公司已交付产品的质量、交期及服务方面的客户投诉。",
        "3 术语和定义",
        "3.1 客户投诉：客户以书面、电话或邮件形式对产品或服务表达的不满。",
        "4 职责",
        "4.1 品质部负责投诉的受理、原因调查的组织和结案确认。",
        "4.2 生产部负责实施与生产过程有关的纠正措施。",
        "4.3 总经理负责批准重大投诉的处理方案。",
        "5 工作程序",
        "5.1 投诉的受理",
        "5.1.1 品质部收到投诉后当日填写《客户投诉登记表》，注明客户、产品批号和问题描述。",
        "5.1.2 投诉分为以下三类：",
        "a) 质量投诉；",
        "b) 交期投诉；",
        "c) 服务投诉。",
        "5.2 投诉的处理",
        "5.2.1 品质部在两个工作日内组织相关部门分析原因，制定临时措施和永久措施。",
        "5.2.2 处理流程如下表。",
    ]
    for line in body:
        d.add_paragraph(line)
    _table(d, [["输入", "工作流程", "权责", "重点说明", "输出"],
               ["客户来电或邮件", "受理投诉", "品质部", "当日登记", "客户投诉登记表"],
               ["投诉记录", "原因分析", "生产部", "两个工作日内完成", "分析报告"],
               ["分析报告", "回复客户", "品质部", "经总经理批准后回复", "回复函"]])
    for line in [
        "5.3 统计分析",
        "投诉处理及时率 = 按时关闭的投诉数 / 投诉总数 × 100%",
        "5.3.1 品质部每月统计投诉处理及时率，列入质量月报。",
        "6 相关文件",
        "《纠正措施控制程序》",
        "7 质量记录",
        "《客户投诉登记表》",
    ]:
        d.add_paragraph(line)
    _fixed(d, path)
    return Expected(
        "QP-21", "客户投诉处理程序",
        ["1 目的", "2 适用范围", "5.1 投诉的受理", "5.2 投诉的处理", "5.3 统计分析"],
        ["投诉回复时限由三天改为两天", "当日登记", "按时关闭的投诉数", "交期投诉"])


_ABSTRACT = (
    '<w:abstractNum {ns} w:abstractNumId="90"><w:multiLevelType w:val="multilevel"/>'
    '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading1"/>'
    '<w:lvlText w:val="%1"/><w:suff w:val="space"/></w:lvl>'
    '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading2"/>'
    '<w:lvlText w:val="%1.%2"/><w:suff w:val="space"/></w:lvl>'
    '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:pStyle w:val="Heading3"/>'
    '<w:lvlText w:val="%1.%2.%3"/><w:suff w:val="space"/></w:lvl>'
    '</w:abstractNum>')


def _auto_numbering(document: object) -> str:
    """Add a multilevel list (1 / 1.1 / 1.1.1) to numbering.xml; return its numId."""
    numbering = document.part.numbering_part.element  # type: ignore[attr-defined]
    abstract = parse_xml(_ABSTRACT.format(ns=nsdecls("w")))
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    num = parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>')
    numbering.append(num)
    return "90"


def _numbered(document: object, text: str, level: int, num_id: str) -> None:
    paragraph = document.add_paragraph(text, style=f"Heading {level + 1}")  # type: ignore[attr-defined]
    ppr = paragraph._p.get_or_add_pPr()
    numpr = parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>'
                      f'<w:numId w:val="{num_id}"/></w:numPr>')
    ppr.append(numpr)


def equipment_procedure(path: Path) -> Expected:
    """Word automatic numbering on heading styles (no number typed), cover as paragraphs."""
    d = Document()
    _bold(d, "设备维护保养管理程序", 18)
    d.add_paragraph("文件编号：QP-22    版本：A/0")
    d.add_paragraph("编制人/日期：孙悦/2024-02-01  审核人/日期：郑海/2024-02-03  "
                    "批准人/日期：韩东/2024-02-06")
    num = _auto_numbering(d)
    content: list[tuple[int, str, list[str]]] = [
        (0, "目的", ["保持生产设备处于良好状态，减少故障停机，保证产品质量稳定。"]),
        (0, "适用范围", ["适用于公司所有生产设备和检测设备的日常点检、定期保养和维修。"]),
        (0, "术语和定义", ["无"]),
        (0, "职责", []),
        (1, "生产部负责设备的日常点检和一级保养。", []),
        (1, "品质部负责检测设备的校准安排。", []),
        (0, "工作程序", []),
        (1, "设备台账", ["生产部建立设备台账，新设备验收合格后一周内登记。"]),
        (1, "日常点检", []),
        (2, "操作工每班开机前按点检表逐项检查，异常立即报告班长。", []),
        (2, "点检表由班长每日确认签字。", []),
        (1, "定期保养", ["保养周期按设备说明书确定，最长不超过三个月。",
                       "保养完成后在保养记录上注明更换的零件。"]),
        (0, "相关文件", ["无"]),
        (0, "质量记录", ["无"]),
    ]
    for level, text, paragraphs in content:
        _numbered(d, text, level, num)
        for line in paragraphs:
            d.add_paragraph(line)
    _fixed(d, path)
    return Expected("QP-22", "设备维护保养管理程序",
                    ["1 目的", "5 工作程序", "5.1 设备台账", "5.2 日常点检", "5.3 定期保养"],
                    ["点检表由班长每日确认签字", "最长不超过三个月"])


def inspection_procedure(path: Path) -> Expected:
    """No cover table: code and version in the page header; headings only bold."""
    d = Document()
    header = d.sections[0].header
    header.paragraphs[0].text = "东湖精工电子有限公司  文件编号：QP-23  版本：B/2"
    _bold(d, "来料检验程序", 16)
    d.add_paragraph("目录")
    for line in ("1 目的 ........................ 1", "5 工作程序 .................... 1"):
        d.add_paragraph(line)
    for level_text, bold in [
        ("1 目的", True), ("确保投入生产的原材料和外购件符合规定要求。", False),
        ("2 适用范围", True), ("适用于所有原材料、外购件和外协件的进货检验。", False),
        ("3 术语和定义", True), ("3.1 AQL：可接收质量限。", False),
        ("4 职责", True), ("4.1 品质部负责来料检验和检验记录的保存。", False),
        ("5 工作程序", True),
        ("5.1 报检", True), ("仓库收货后当天通知品质部检验，并在待检区挂待检标识。", False),
        ("5.2 检验", True), ("5.2.1 检验员按抽样标准抽样，依据检验规范逐项检验。", False),
        ("5.2.2 检验结果分为合格和不合格两种。", False),
        ("5.3 不合格的处置", True),
        ("(1) 退货；", False), ("(2) 让步接收，须经总经理批准；", False), ("(3) 挑选使用。", False),
        ("6 相关文件", True), ("无", False),
        ("7 质量记录", True), ("无", False),
    ]:
        if bold:
            _bold(d, level_text, 12)
        else:
            d.add_paragraph(level_text)
    _fixed(d, path)
    return Expected("QP-23", "来料检验程序",
                    ["5.1 报检", "5.2 检验", "5.3 不合格的处置"],
                    ["让步接收，须经总经理批准", "可接收质量限"])


def complaint_form(path: Path) -> Expected:
    """A table form: label and blank cells, ☐ options, 年 月 日, a repeating table, sign-off."""
    d = Document()
    _bold(d, "客户投诉登记表", 16)
    d.add_paragraph("QR-21-01 A/0")
    _table(d, [["客户名称", "", "投诉日期", "    年   月   日"],
               ["投诉方式", "☐电话 ☐邮件 ☐来函", "联系人", ""],
               ["是否重复投诉", "☐是 ☐否", "产品批号", ""]])
    d.add_paragraph("投诉产品明细")
    _table(d, [["序号", "产品名称", "规格型号", "数量", "问题描述"],
               ["", "", "", "", ""], ["", "", "", "", ""], ["", "", "", "", ""]])
    _table(d, [["登记人/日期", "审核/日期", "批准/日期"]])
    d.add_paragraph("本表一式两份，一份交生产部。")
    _fixed(d, path)
    return Expected("QR-21-01", "客户投诉登记表", [],
                    ["投诉方式", "规格型号", "登记人"])


def training_procedure(path: Path) -> Expected:
    """Headings without numbers, told only by Word's heading styles."""
    d = Document()
    _bold(d, "员工培训管理程序", 16)
    d.add_paragraph("文件编号：QP-24  版本：A/0")
    for level, text in [
        (1, "目的"), (0, "提高员工的岗位技能和质量意识，保证员工胜任本岗位工作。"),
        (1, "适用范围"), (0, "适用于公司全体员工的入职培训、岗位培训和外部培训。"),
        (1, "术语和定义"), (0, "无"),
        (1, "职责"), (0, "品质部负责质量意识培训的实施。"),
        (1, "工作程序"),
        (2, "培训需求"), (0, "各部门每年十二月提出下一年度的培训需求。"),
        (2, "培训实施"), (0, "培训结束后由讲师进行考核，考核不合格者须重新培训。"),
        (1, "相关文件"), (0, "无"),
        (1, "质量记录"), (0, "无"),
    ]:
        if level:
            d.add_paragraph(text, style=f"Heading {level}")
        else:
            d.add_paragraph(text)
    _fixed(d, path)
    return Expected("QP-24", "员工培训管理程序", ["目的", "5.1 培训需求", "5.2 培训实施"],
                    ["考核不合格者须重新培训"])


def after_sales_procedure(path: Path) -> Expected:
    """`1.0 目的` numbering typed without a space (2.0适用范围), no terms section, the work
    section called 管理程序, four levels (4.2.2.1), a numbered formula, sign-off line at the end."""
    d = Document()
    header = d.sections[0].header
    header.paragraphs[0].text = "文件编号：QP-25    版本：A/0"
    _bold(d, "售后服务控制程序", 16)
    for line in [
        "1.0 目的",
        "规定售后服务的要求，使产品交付后的使用价值得到保证，并收集客户意见用于改进。",
        "2.0适用范围",
        "本程序适用于本公司已售产品的售后服务。",
        "3.0职责",
        "3.1销售部负责售后服务的组织、协调和记录。",
        "3.2总经理负责重大服务事项的审批。",
        "4.0管理程序",
        "4.1业务员及时收集客户反馈的信息，按客户分别建立服务档案，记录每次交付产品的规格、数量和质量情况，"
        "使售后问题可以追溯到批次。",
        "4.2服务请求的处理",
        "4.2.1销售部对客户的服务请求进行登记，经部门经理审批后转有关部门处理。",
        "4.2.2服务的处置",
        "4.2.2.1属于技术咨询的，由技术部答复，销售部回函。",
        "4.2.2.2需要改进产品的，按《纠正措施控制程序》实施改进。",
        "4.3服务质量的统计",
        "服务及时率 = 按期完成的服务次数 / 服务总次数 × 100%    (1)",
        "4.3.1销售部每季度按公式(1)统计服务及时率。",
        "5.0质量记录",
        "《售后服务记录表》",
        "编制人/日期：周敏/2024-04-01  审核人/日期：郑海/2024-04-03  批准人/日期：韩东/2024-04-05",
    ]:
        d.add_paragraph(line)
    _fixed(d, path)
    return Expected("QP-25", "售后服务控制程序",
                    ["1.0 目的", "2.0 适用范围", "3.0 职责", "4.0 管理程序", "4.2 服务请求的处理",
                     "4.2.2 服务的处置", "4.3 服务质量的统计", "5.0 质量记录"],
                    ["4.2.2.1", "按公式(1)统计服务及时率", "售后服务记录表"])


def contract_procedure(path: Path) -> Expected:
    """`一、` at level 1 with `3.1` under it, sections in the company's own order (参考文件
    third, 定义 fourth), checkboxes in a definition, a process table with its own columns,
    step labels on some rows only and a decision 是/否."""
    d = Document()
    _table(d, [["文件名称", "合同评审控制程序", "文件编号", "QP-26"],
               ["版本", "A/0", "页次", "1/2"],
               ["编制", "周敏", "审核", "郑海"],
               ["批准", "韩东", "实施日期", "2024-05-01"]])
    for line in [
        "一、目的",
        "确保在接受合同前充分理解客户要求，并确认本公司有能力满足这些要求。",
        "二、范围",
        "适用于客户订单、合同及其变更的评审。",
        "三、参考文件",
        "3.1《客户投诉处理程序》",
        "3.2《顾客财产管理程序》",
        "四、定义",
        "4.1常规订单：对已定型产品、按常规交期下达的订单。",
        "4.2特殊订单：常规订单以外的订单，符合下列任一情况：",
        "□新产品开发 □超出产能 □超出技术要求",
        "五、权责",
        "5.1销售部负责接收订单，组织评审并与客户沟通。",
        "5.2生产部负责评审交期和产能。",
        "六、作业内容",
        "6.1评审流程",
    ]:
        d.add_paragraph(line)
    _table(d, [["序号", "流程", "权责部门", "作业说明", "使用表单"],
               ["A", "接收订单", "销售部", "登记客户订单的产品、数量和交期", "客户订单"],
               ["", "组织评审", "销售部", "召集生产部和品质部评审", "合同评审表"],
               ["B", "评审通过？", "各部门", "是→C；否→A", ""],
               ["C", "签订合同", "总经理", "批准后签订并分发", "合同"]])
    d.add_paragraph("评审流程图（手绘）：")
    d.add_paragraph().add_run().add_picture(io.BytesIO(png()))
    for line in [
        "6.2评审结果由销售部在两个工作日内通知客户。",
        "七、表格",
        "合同评审表",
    ]:
        d.add_paragraph(line)
    _fixed(d, path)
    return Expected("QP-26", "合同评审控制程序",
                    ["一、目的", "二、范围", "三、参考文件", "四、定义", "五、权责", "六、作业内容",
                     "6.1 评审流程", "七、表格"],
                    ["超出技术要求", "召集生产部和品质部评审", "是→C；否→A"])


def supplier_rules(path: Path) -> Expected:
    """制度 style: 第一章 … with 第一条 counting on across chapters, no 目的/范围 sections."""
    d = Document()
    _bold(d, "仓储物料管理制度", 16)
    d.add_paragraph("文件编号：QP-27  版本：A/0")
    for line in [
        "第一章 总则",
        "第一条 为规范物料的收发和存放，保证账物相符，特制定本制度。",
        "第二条 本制度适用于本公司所有仓库。",
        "第二章 收料与发料",
        "第三条 仓管员凭送货单和检验合格标识收料，当日登账。",
        "第四条 发料凭经主管签字的领料单，先进先出。",
        "第五条 呆滞物料每季度清理一次，报总经理处理。",
        "第三章 附则",
        "第六条 本制度由仓库负责解释，自发布之日起实施。",
    ]:
        d.add_paragraph(line)
    _fixed(d, path)
    return Expected("QP-27", "仓储物料管理制度",
                    ["第一章 总则", "第二章 收料与发料", "第三章 附则"],
                    ["第四条发料凭经主管签字的领料单", "第六条本制度由仓库负责解释"])


def visit_form(path: Path) -> Expected:
    """A form whose title and code sit in the first rows of its one table, a long-text box
    over the whole width and a row of ☐ options."""
    d = Document()
    table = _table(d, [["客户回访记录表", "", "", ""],
                       ["表单编号：QR-21-02", "", "版本：A/0", ""],
                       ["客户名称", "", "回访日期", "年  月  日"],
                       ["回访方式", "☐电话 ☐上门 ☐邮件", "回访人", ""],
                       ["客户意见：", "", "", ""],
                       ["客户签字/日期", "", "经办人/日期", ""]])
    rows = table.rows  # type: ignore[attr-defined]
    rows[0].cells[0].merge(rows[0].cells[3])
    rows[4].cells[0].merge(rows[4].cells[3])
    _fixed(d, path)
    return Expected("QR-21-02", "客户回访记录表", [], ["回访方式", "客户意见"])


BUILDERS = {
    "客户回访记录表.docx": visit_form,
    "仓储物料管理制度.docx": supplier_rules,
    "售后服务控制程序.docx": after_sales_procedure,
    "合同评审控制程序.docx": contract_procedure,
    "员工培训管理程序.docx": training_procedure,
    "客户投诉处理程序.docx": complaint_procedure,
    "设备维护保养管理程序.docx": equipment_procedure,
    "来料检验程序.docx": inspection_procedure,
    "客户投诉登记表.docx": complaint_form,
}


def soffice(args: list[str], cwd: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="lo-import-test-") as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                        "--norestore", *args], cwd=cwd, check=True, capture_output=True,
                       timeout=240)


def make_corpus(folder: Path, *, libreoffice: bool = True) -> dict[str, Expected]:
    """Write the corpus into `folder`; returns file name → expectation.

    With `libreoffice`, the equipment procedure is also re-saved by LibreOffice (as Word
    files travel) and the inspection procedure turned into an old .doc."""
    folder.mkdir(parents=True, exist_ok=True)
    expected = {name: build(folder / name) for name, build in BUILDERS.items()}
    if libreoffice:
        work = folder / "_lo"
        work.mkdir()
        (work / "resaved").mkdir()
        soffice(["--convert-to", "docx:MS Word 2007 XML", "--outdir", str(work / "resaved"),
                 str(folder / "设备维护保养管理程序.docx")], folder)
        soffice(["--convert-to", "doc", "--outdir", str(work),
                 str(folder / "来料检验程序.docx")], folder)
        resaved = folder / "设备维护保养管理程序.docx"
        resaved.write_bytes((work / "resaved" / resaved.name).read_bytes())
        (folder / "来料检验程序.doc").write_bytes((work / "来料检验程序.doc").read_bytes())
        (folder / "来料检验程序.docx").unlink()
        expected["来料检验程序.doc"] = expected.pop("来料检验程序.docx")
        for item in sorted(work.rglob("*"), reverse=True):
            item.unlink() if item.is_file() else item.rmdir()
        work.rmdir()
    return expected

