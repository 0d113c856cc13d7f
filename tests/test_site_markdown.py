"""Site renderer: text from YAML reaches the HTML as text (escaping), links are relative."""

from __future__ import annotations

import html
import re

import markdown as python_markdown
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.docset import Ref
from generator.render.site.markdown import escape, link, relative_url, rich

EXTENSIONS = ["tables", "attr_list", "admonition", "toc"]


def to_html(text: str) -> str:
    return python_markdown.markdown(text, extensions=EXTENSIONS)


def visible_text(fragment: str) -> str:
    """The text a browser shows for a fragment of our own making (<p>, <br>, <a> only)."""
    without_tags = re.sub(r"<br\s*/?>", "\n", fragment)
    without_tags = re.sub(r"</?(p|a)( [^>]*)?>", "", without_tags)
    assert "<" not in without_tags, f"unexpected markup in {fragment!r}"
    return html.unescape(without_tags)


HOSTILE = [
    "2. 不是列表",
    "+ 不是列表",
    "~~~",
    "```python",
    "---",
    "*",
    "a<br>b",
    ":::",
    "<script>alert(1)</script>",
    "**粗体** _斜体_ `代码` [链接](http://evil.example.com)",
    "# 不是标题",
    "1. 不是列表",
    "- 不是列表",
    "> 不是引用",
    "| a | b |",
    "{: #id .class }",
    "!!! note",
    "&amp; &lt; &#42;",
    "a\\*b\\\\c",
    "<b onclick=\"x()\">粗</b>",
    "![图](x.png)",
    "===",
    "    四个空格",
]


def test_hostile_text_shows_as_typed() -> None:
    for text in HOSTILE:
        rendered = to_html(str(escape(text)))
        assert visible_text(rendered).strip() == text.strip(), text
        assert "<script" not in rendered and "<b" not in rendered and "<img" not in rendered


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1,
               max_size=60))
def test_any_text_round_trips(text: str) -> None:
    assert_round_trip(text)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="<>&*_[]()#|`\\!{}.-+=~:> 文1\n\t", min_size=1, max_size=30))
def test_markdown_syntax_round_trips(text: str) -> None:
    assert_round_trip(text)


def assert_round_trip(text: str) -> None:
    # Markdown collapses outer whitespace; everything else must come back exactly.
    text = text.strip()
    if not text:
        return
    rendered = to_html(str(escape(text)))
    assert visible_text(rendered).strip() == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>&*_[]()#|`\\!{}.-+=~: 文控a1\n\t", min_size=1, max_size=40))
def test_escaped_text_inside_a_table_cell_stays_in_its_cell(text: str) -> None:
    table = f"| 列1 | 列2 |\n|---|---|\n| {escape(text)} | 尾 |\n"
    rendered = to_html(table)
    assert rendered.count("<td>") == 2, rendered
    assert rendered.rstrip().endswith("<td>尾</td>\n</tr>\n</tbody>\n</table>")


def test_newlines_become_line_breaks() -> None:
    assert str(escape("第一行\n第二行")) == "第一行<br>第二行"


def test_relative_urls() -> None:
    assert relative_url("procedures/QP-01.md", "forms/QR-01-01.md") == "../forms/QR-01-01.md"
    assert relative_url("procedures/QP-01.md", "procedures/QP-02.md", "c5-1") == "QP-02.md#c5-1"
    assert relative_url("procedures/QP-01.md", "procedures/QP-01.md", "c5-1") == "#c5-1"
    assert relative_url("index.md", "downloads/procedures/QP-01_A-0_文件 控制.docx") == (
        "downloads/procedures/QP-01_A-0_%E6%96%87%E4%BB%B6%20%E6%8E%A7%E5%88%B6.docx")


def test_references_become_links_with_the_resolved_text() -> None:
    form = Ref("form", "QR-15-01", "《顾客意见征询书》QR-15-01", code="QR-15-01")
    clause = Ref("clause", "QP-16", "QP-16 5.2.1", code="QP-16", anchor="c5-2-1")
    role = Ref("role", "nobody", "某部门")

    def page_of(ref: Ref) -> tuple[str, str | None] | None:
        if ref.kind == "form":
            return "forms/QR-15-01.md", None
        if ref.kind == "clause":
            return "procedures/QP-16.md", ref.anchor
        return None

    text = rich(("按", clause, "填写", form, "，由", role, "保存。"), "procedures/QP-15.md",
                page_of)
    assert str(text) == (
        "按[QP-16 5.2.1](QP-16.md#c5-2-1)填写"
        "[《顾客意见征询书》QR-15-01](../forms/QR-15-01.md)，由某部门保存。")
    rendered = to_html(str(text))
    assert '<a href="QP-16.md#c5-2-1">QP-16 5.2.1</a>' in rendered
    assert visible_text(rendered) == "按QP-16 5.2.1填写《顾客意见征询书》QR-15-01，由某部门保存。"


def test_link_text_is_escaped() -> None:
    assert str(link("[x](y)", "index.md", "a.md")) == "[\\[x\\](y)](a.md)"
    assert to_html(str(link("[x](y)", "index.md", "a.md"))) == '<p><a href="a.md">[x](y)</a></p>'
