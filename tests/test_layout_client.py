"""Real clients: the layout fixture set (another company's conventions) as LibreOffice prints
the .docx (pdftotext) and as the site shows the page (built HTML) — both must carry the
original's section order, titles and clause numbers, exactly as the source documents print them.

The expected lines are written by hand from the originals' structure, not captured from output.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from helpers_client import pdf_text, to_pdf
from site_support import build_site_files

from generator.build import BuildOptions
from generator.render.docx.procedure import render_procedures
from generator.resolve import load_document_set

FIXTURE = Path(__file__).parent / "fixtures" / "layout"

EXPECTED = {
    # 一、 at level 1, 3.1 under it (arabic value of the parent); the set's titles 范围, 定义, 记录
    "QP-21": [
        "一、目的", "二、范围", "三、定义",
        "3.1成品：完成全部加工和包装", "1)本公司自行装配的整机；", "3)作为备件单独销售的零件。",
        "注：退货返修后重新包装的产品",
        "3.2缺陷：", "A类：致命缺陷（CR）", "可能造成人身伤害", "1)通电后外壳带电",
        "2)保险装置失效。", "B类：严重缺陷（MA）", "1)功能按键失灵；", "C类：轻微缺陷（MI）",
        "2)标签贴歪。",
        "四、职责", "4.1品管部：", "4.2生产部：",
        "五、工作程序", "5.1抽样与检验", "5.1.1检验员按检验规范抽样", "5.1.2判定",
        "5.2不合格批的处理", "检验依据见5.1.2。",
        "六、相关文件", "《计数抽样检验程序》GB/T2828.1（一般检验水平II）",
        "七、记录", "QR-21-01",
    ],
    # its own layout: 参考文件 as section 3, 权责, 作业内容, a section of its own, 表格; no 定义
    "QP-22": [
        "1.0目的", "2.0范围", "3.0参考文件",
        "《成品检验控制程序》QP-21", "《统计技术应用指南》QW-05",
        "4.0权责", "4.1品管部：", "4.2总经理：",
        "5.0作业内容", "5.1数据收集", "5.2合格率的计算", "按公式(1)计算，月度目标见5.2.1。",
        "一次检验合格率", "(1)", "不计入公式(1)的分子。", "5.2.1一次检验合格率月度目标",
        "6.0数据保密", "6.1分析报告仅在公司内部传阅", "6.2电子数据每周备份一次。",
        "7.0表格", "QR-22-01",
    ],
    # 制度 style: chapters of its own, 条 counting on across them
    "QP-23": [
        "第一章总则", "第一条为保证采购物料的质量稳定", "第二条本制度适用于",
        "第三条品管部负责组织",
        "第二章供应商的选择与评价", "第四条新供应商", "第五条品管部每年", "按第三条的分工",
        "第六条连续两次", "第三章附则", "第七条本制度由品管部负责解释",
    ],
}
ABSENT = {"QP-21": ["适用范围", "术语和定义", "质量记录", "五（一）"],
          "QP-22": ["术语和定义", "定义", "职责", "工作程序", "相关文件", "质量记录"],
          "QP-23": ["目的", "适用范围"]}


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def assert_in_order(text: str, expected: list[str], where: str) -> None:
    position = 0
    for item in expected:
        found = text.find(squash(item), position)
        before = text[max(0, position - 40):position]
        assert found >= 0, f"{where}: {item!r} missing after …{before}"
        position = found + len(squash(item))


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Body text of each procedure as LibreOffice prints it (from page 2: after the cover)."""
    folder = tmp_path_factory.mktemp("layout-pdf")
    docset = load_document_set(FIXTURE)
    files = render_procedures(docset, BuildOptions(root=FIXTURE, output=folder / "build"))
    paths = []
    for name, data in sorted(files.items()):
        path = folder / Path(name).name
        path.write_bytes(data)
        paths.append(path)
    texts = {}
    for path, pdf in zip(paths, to_pdf(paths, folder / "pdf"), strict=True):
        pages = pdf_text(pdf, layout=False).split("\f")
        # headers and footers repeat on every page: keep the body only
        body = "\n".join(pages[1:])
        texts[path.name.split("_")[0]] = squash(body)
    return texts


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_word_prints_the_original_numbers_and_titles(printed: dict[str, str], code: str) -> None:
    assert_in_order(printed[code], EXPECTED[code], f"{code}.pdf")
    headings = re.findall(r"(?:[一二三四五六七八九十]+、|\d\.0)[^\d\s]{2,4}", printed[code])
    assert not any(absent in h for h in headings for absent in ABSENT[code]), headings


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Text of each procedure page of the built site, tags stripped."""
    files = build_site_files(FIXTURE)
    texts = {}
    for code in EXPECTED:
        page = files[f"site/procedures/{code}.html"].decode("utf-8")
        article = page[page.index("<article"):page.index("</article>")]
        article = re.sub(r"<(script|style)\b.*?</\1>", "", article, flags=re.S)
        texts[code] = squash(html.unescape(re.sub(r"<[^>]+>", " ", article)))
    return texts


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_site_shows_the_same_numbers_and_titles(shown: dict[str, str], code: str) -> None:
    expected = [item for item in EXPECTED[code] if not item.startswith("注：")]
    assert_in_order(shown[code], expected, f"site/procedures/{code}.html")


def test_site_formula_reference_links_to_the_numbered_formula() -> None:
    files = build_site_files(FIXTURE)
    page = files["site/procedures/QP-22.html"].decode("utf-8")
    assert re.search(r'id="f1"[^>]*>.*?wk-formula-no">\(1\)<', page, re.S)
    assert re.search(r'<a href="#f1">\(1\)</a>', page)
