"""Site renderer on the fixture set: pages, numbering, links, escaping, search, self-containment,
determinism, downloads, history hook, navigation pruning and errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_support import (
    FIXTURE,
    REPO,
    build_site_files,
    locations_matching,
    search_docs,
    write_files,
)

from generator.errors import WenkongError
from generator.render.site import pages
from generator.resolve import load_document_set

DOCX_QP01 = "procedures/QP-01_A-1_文件控制程序.docx"
DOCX_QR0101 = "forms/QR-01-01_A-0_文件更改申请单.docx"
OLD_QP01 = "history/QP-01/QP-01_A-0_文件控制程序.docx"
HISTORY = {"documents": {"QP-01": {
    "changes": {"from": "A/0", "to": "A/1",
                "items": [{"kind": "added", "text": "5.2 增加电子版受控要求 <i>x</i>"}]},
    "versions": [{"version": "A/0", "date": "2019-03-01", "file": OLD_QP01,
                  "note": "首次发行"}]}}}
RENDERED = {
    DOCX_QP01: b"PK fake procedure",
    DOCX_QR0101: b"PK fake form",
    OLD_QP01: b"PK old version",
    "history/index.json": json.dumps(HISTORY, ensure_ascii=False).encode(),
}


@pytest.fixture(scope="module")
def built() -> dict[str, bytes]:
    return build_site_files(FIXTURE, RENDERED)


@pytest.fixture(scope="module")
def site(built: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_files(tmp_path_factory.mktemp("site"), built) / "site"


def page(site: Path, path: str) -> str:
    return (site / path).read_text("utf-8")


class _Elements(HTMLParser):
    """Text of each element with an id, and every link target."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[tuple[str, str, list[str]]] = []
        self.text_by_id: dict[str, str] = {}
        self.hrefs: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append(tag)
        if values.get("href"):
            self.hrefs.append(values["href"] or "")
        if tag in ("br", "img", "input", "meta", "link", "hr"):
            return
        self.open.append((tag, values.get("id") or "", []))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, element_id, parts = self.open.pop()
            text = "".join(parts)
            if element_id:
                self.text_by_id[element_id] = text
            if self.open:
                self.open[-1][2].append(text)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def main_content(html: str) -> str:
    """The article only (no navigation, header or footer)."""
    start = html.index('<article class="md-content__inner')
    return html[start:html.index("</article>", start)]


def test_every_page_is_built(site: Path) -> None:
    for path in ["index.html", "procedures/index.html", "procedures/QP-01.html",
                 "procedures/QP-02.html", "forms/QR-01-01.html", "forms/QR-01-02.html",
                 "roles/index.html", "roles/matrix.html", "roles/doc-control.html",
                 "records.html", "changelog.html", "archive/index.html", "archive/QP-09.html",
                 "search/search_index.json", "assets/wenkong.css",
                 "flowcharts/QP-01/change-flow.svg"]:
        assert (site / path).is_file(), path
    assert not (site / "procedures" / "QP-09.html").exists()  # obsolete: archive only


def test_obsolete_document_is_marked_and_out_of_the_main_navigation(site: Path) -> None:
    archived = page(site, "archive/QP-09.html")
    assert "作废文件 · 仅供查阅" in archived and "已并入检验控制程序" in archived
    assert "wk-status-obsolete" in archived
    for current in ["index.html", "procedures/index.html", "procedures/QP-01.html"]:
        assert "QP-09" not in page(site, current), current
    assert "../archive/QP-09.html" in page(site, "procedures/QP-02.html") or \
        "QP-09.html" in page(site, "archive/index.html")


def test_clause_numbers_and_anchors_are_the_resolved_ones(site: Path) -> None:
    docset = load_document_set(FIXTURE)
    elements = parse(page(site, "procedures/QP-01.html"))
    clauses = docset.procedures["QP-01"].all_clauses()
    assert len(clauses) >= 8
    for clause in clauses:
        text = elements.text_by_id.get(clause.anchor)
        assert text is not None, f"no element with id {clause.anchor}"
        assert text.strip().startswith(clause.label), (clause.anchor, text[:40])
    for section in docset.procedures["QP-01"].sections:
        assert elements.text_by_id[f"c{section.number}"].startswith(
            f"{section.label} {section.title}")


def test_references_are_links_to_pages_and_clause_anchors(site: Path) -> None:
    html = main_content(page(site, "procedures/QP-01.html"))
    hrefs = parse(html).hrefs
    assert "#c5-1-2" in hrefs  # 【clause:urgent】 in the same procedure
    assert "QP-02.html#c5-1" in hrefs  # 【clause:QP-02#keep】
    assert "../forms/QR-01-02.html" in hrefs  # 【form:QR-01-02】
    assert "../roles/production.html" in hrefs  # process step owner
    assert ">《顾客投诉处理单》QR-01-02</a>" in html  # the text the .docx prints
    assert ">5.1.2</a>" in html


def test_text_from_yaml_never_becomes_markup(site: Path, built: dict[str, bytes]) -> None:
    procedure = main_content(page(site, "procedures/QP-01.html"))
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in procedure
    assert "**星号**" in procedure and "[链接](http://evil.example.com)" in procedure
    assert "&lt;b&gt;粗体&lt;/b&gt;" in procedure
    form = main_content(page(site, "forms/QR-01-01.html"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in form
    role = main_content(page(site, "roles/doc-control.html"))
    assert "&lt;b&gt;粗体&lt;/b&gt;" in role
    for path, data in built.items():
        if path.endswith((".html", ".json")):
            text = data.decode()
            assert "__pwned" not in text or "&lt;script&gt;window.__pwned" in text or \
                path.endswith(".json"), path
            for tag in ("<script>alert", "<b>粗体", "<i>试行", "<em>斜体"):
                assert tag not in text or path.endswith(".json"), (path, tag)
            assert 'href="http://evil' not in text, path
    # titles (navigation, <title>, headings of pages outside the navigation)
    archived = page(site, "archive/QP-09.html")
    assert "<title>QP-09 旧版检验程序＜i＞试行＜/i＞ - " in archived
    assert "&lt;i&gt;试行&lt;/i&gt;" in main_content(archived)
    assert "文件的发布 &lt;em&gt;斜体&lt;/em&gt;" in procedure


def test_home_lists_the_master_list_and_the_records(site: Path) -> None:
    home = main_content(page(site, "index.html"))
    master = home[home.index('id="master-list"'):home.index('id="pending-list"')]
    pending = home[home.index('id="pending-list"'):home.index('id="records-list"')]
    # only effective documents are listed as controlled; drafts stand apart (ISO 9001 7.5.3)
    assert "QP-01" in master and "QP-02" not in master and "QP-09" not in master
    assert "QP-02" in pending and "QP-01" not in pending
    assert "2027-01-15" in master  # next review: effective 2026-01-15 + 12 months
    assert "wk-status-effective" in master and "wk-status-draft" not in master
    assert "wk-status-draft" in pending
    records = home[home.index('id="records-list"'):]
    row = re.search(r"<tr>(?:(?!</tr>).)*QR-01-02(?:(?!</tr>).)*</tr>", records, re.S)
    assert row is not None
    assert "五年" in row.group(0) and "客服部" in row.group(0)  # the procedure's record entry


def test_responsibility_matrix(site: Path) -> None:
    html = main_content(page(site, "roles/matrix.html"))
    header = re.search(r"<thead>.*?</thead>", html, re.S)
    assert header is not None
    columns = re.findall(r"<th[^>]*>(.*?)</th>", header.group(0), re.S)
    names = [re.sub(r"<[^>]+>", "", c).strip() for c in columns]
    row = re.search(r"<tr>(?:(?!</tr>).)*QP-01 文件控制程序(?:(?!</tr>).)*</tr>", html, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", "", c).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)]
    by_role = dict(zip(names, cells, strict=True))
    assert by_role["文控中心"] == "▲"  # owner
    assert by_role["品质部"] == "●"  # duties
    assert by_role["管理者代表"] == "○"  # countersign only
    assert by_role["客服部"] == ""


def test_role_page_lists_duties_forms_and_steps(site: Path) -> None:
    html = main_content(page(site, "roles/doc-control.html"))
    owned = html[html.index('id="owned"'):html.index('id="duties"')]
    assert "QP-01 文件控制程序" in owned
    duties = html[html.index('id="duties"'):html.index('id="steps"')]
    assert "负责文件的编号、发布和回收。" in duties
    steps = html[html.index('id="steps"'):html.index('id="records"')]
    assert "发布新版本" in steps and "#flow-change-flow" in steps
    kept = html[html.index('id="records"'):]
    assert "QR-01-01" in kept and "QR-01-02" not in kept  # QR-01-02 is kept by 客服部


def test_change_log_is_newest_first_and_complete(site: Path) -> None:
    html = main_content(page(site, "changelog.html"))
    dates = re.findall(r'<td><span class="wk-date">(\d{4}-\d{2}-\d{2})</span></td>', html)
    assert dates == sorted(dates, reverse=True)
    assert len(dates) == 4  # QP-01 A/0 and A/1, QP-09 A/0, QR-01-01 A/0
    assert "QP-09" in html and "wk-status-obsolete" in html


def test_revision_history_table(site: Path) -> None:
    html = main_content(page(site, "procedures/QP-01.html"))
    table = html[html.index('id="revisions"'):]
    assert "修改内容摘要" in table and "增加电子版受控要求" in table and "配合系统上线" in table


def test_chinese_search_finds_a_term_inside_a_clause(site: Path) -> None:
    docs = search_docs(site)
    assert any("\u200b" in d["text"] for d in docs), "search index is not segmented (jieba)"
    found = locations_matching(site, "24小时")
    assert any(loc.startswith("procedures/QP-01.html") for loc in found), found
    found = locations_matching(site, "顾客投诉处理单")
    assert "procedures/QP-01.html#c5-1-2" in found, found
    # list pages stay out of the index: a search lands on the document itself
    pages_indexed = {d["location"].split("#")[0] for d in docs}
    assert pages_indexed.isdisjoint({"index.html", "changelog.html", "records.html",
                                     "procedures/index.html", "roles/matrix.html"})
    assert {"procedures/QP-01.html", "forms/QR-01-01.html", "roles/quality.html",
            "archive/QP-09.html"} <= pages_indexed


def _external_references(text: str) -> list[str]:
    """URLs a browser would fetch or follow: attributes and CSS, not prose."""
    found = re.findall(r"""(?:src|href|action|poster|data|srcset|content)\s*=\s*["']?\s*"""
                       r"""(https?:)?//([^/"'\s>]+)""", text, re.I)
    found += re.findall(r"""url\(\s*["']?(https?:)?//([^/"')\s]+)""", text, re.I)
    found += re.findall(r"""@import\s+["']?(https?:)?//([^/"';\s]+)""", text, re.I)
    return [host for _, host in found if not host.startswith("127.0.0.1")]


# Material's bundle names three URLs it fetches only under conditions our sites never meet:
# a ResizeObserver polyfill (browsers without ResizeObserver), Mermaid (a page with a
# `.mermaid` block) and the GitHub API (repo_url set). The test checks the conditions.
CONDITIONAL = {"https://unpkg.com/resize-observer-polyfill",
               "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
               "https://api.github.com/repos/", "https://api.github.com/users/"}


def test_no_built_file_references_an_external_host(built: dict[str, bytes]) -> None:
    for path, data in built.items():
        if path.endswith((".html", ".css", ".svg", ".xml")):
            text = data.decode("utf-8", "replace")
            assert _external_references(text) == [], path
        if path.endswith(".html"):
            text = data.decode()
            assert 'class="mermaid"' not in text and "md-source" not in text, path
            assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, path
        if path.endswith(".js") and "/lunr/" not in path:
            text = data.decode("utf-8", "replace")
            # strings that a script could fetch: http(s) literals in code, not in comments
            code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            urls = set(re.findall(r"""["'`](https?://[^"'`$]+)""", code))
            assert urls <= CONDITIONAL, (path, urls - CONDITIONAL)


def test_fast_markdown_extension_changes_nothing() -> None:
    import markdown as python_markdown

    from generator.render.site import site_content
    from generator.render.site.mdext import GeneratedPages

    extensions = ["tables", "attr_list", "admonition", "toc"]
    content = site_content(load_document_set(FIXTURE), {})
    full = python_markdown.Markdown(extensions=extensions)
    fast = python_markdown.Markdown(extensions=[*extensions, GeneratedPages()])
    assert len(fast.inlinePatterns) < len(full.inlinePatterns)
    for path, data in content.pages.items():
        text = data.decode()
        assert fast.reset().convert(text) == full.reset().convert(text), path


def test_parallel_build_is_the_serial_build(monkeypatch: pytest.MonkeyPatch,
                                            built: dict[str, bytes]) -> None:
    from generator.render.site import parallel

    calls: list[str] = []
    original = parallel._run

    def counting(task: object, count: int, total: int) -> object:
        calls.append(getattr(task, "__name__", "?"))
        return original(task, count, total)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "MIN_PAGES", 0)
    monkeypatch.setattr(parallel.ParallelPages.__init__, "__defaults__", (0,))
    monkeypatch.setattr(parallel, "_run", counting)
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    forked = build_site_files(FIXTURE, RENDERED)
    assert calls == ["_convert", "_write"]  # both loops ran in worker processes
    assert sorted(forked) == sorted(built)
    assert [path for path in built if built[path] != forked[path]] == []


def test_one_markdown_instance_per_process_is_mkdocs_own_rendering(
        monkeypatch: pytest.MonkeyPatch, built: dict[str, bytes]) -> None:
    """parallel.render_page reuses one Markdown instance page after page; mkdocs' own
    Page.render makes a new one for every page: the same site."""
    from generator.render.site import parallel

    assert parallel._REUSABLE  # (the mkdocs version this project pins)
    monkeypatch.setattr(parallel, "_REUSABLE", False)
    own = build_site_files(FIXTURE, RENDERED)
    assert sorted(own) == sorted(built)
    assert [path for path in built if built[path] != own[path]] == []


def test_build_is_deterministic(built: dict[str, bytes]) -> None:
    again = build_site_files(FIXTURE, RENDERED)
    assert sorted(again) == sorted(built)
    different = [path for path in built if built[path] != again[path]]
    assert different == []


def test_downloads_are_bundled_and_linked(site: Path, built: dict[str, bytes]) -> None:
    assert built[f"site/downloads/{DOCX_QP01}"] == RENDERED[DOCX_QP01]
    assert built[f"site/downloads/{DOCX_QR0101}"] == RENDERED[DOCX_QR0101]
    html = page(site, "procedures/QP-01.html")
    assert ('href="../downloads/procedures/QP-01_A-1_%E6%96%87%E4%BB%B6%E6%8E%A7%E5%88%B6'
            '%E7%A8%8B%E5%BA%8F.docx"') in html
    assert "下载空白表单 QR-01-01" in page(site, "forms/QR-01-01.html")
    assert "下载空白表单" not in page(site, "forms/QR-01-02.html")  # no .docx built for it


def test_history_hook_shows_changes_and_earlier_versions(site: Path,
                                                        built: dict[str, bytes]) -> None:
    html = main_content(page(site, "procedures/QP-01.html"))
    changes = html[html.index('id="changes"'):html.index('id="earlier-versions"')]
    assert "相对 A/0 版的变更" in changes and "wk-change-added" in changes
    assert "&lt;i&gt;x&lt;/i&gt;" in changes
    assert built[f"site/downloads/{OLD_QP01}"] == RENDERED[OLD_QP01]
    earlier = html[html.index('id="earlier-versions"'):html.index('id="revisions"')]
    assert "../downloads/history/QP-01/QP-01_A-0_" in earlier
    assert 'id="changes"' not in page(site, "procedures/QP-02.html")


def test_navigation_is_pruned(site: Path) -> None:
    # QP-02 neither links to the role pages nor sits in their section: pruned navigation
    # must leave their entries out of its page.
    html = page(site, "procedures/QP-02.html")
    assert "../roles/gm.html" not in html
    assert "QP-01.html" in html  # its own section is listed


def test_many_documents_are_grouped_and_pages_stay_small(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sys.path.insert(0, str(REPO))
    from bench.synthetic import make_synthetic_set

    monkeypatch.setattr(pages, "NAV_GROUP", 5)
    sizes = {}
    for count in (10, 20):
        files = build_site_files(make_synthetic_set(tmp_path / f"set{count}", count))
        procedure_pages = [len(d) for p, d in files.items()
                           if re.fullmatch(r"site/procedures/QP-\d+\.html", p)]
        assert len(procedure_pages) == count
        groups = [p for p in files if p.startswith("site/procedures/groups/")]
        assert len(groups) == count // 5
        sizes[count] = max(procedure_pages)
        first = files["site/procedures/QP-0001.html"].decode()
        assert "QP-0002.html" not in first  # documents are listed by their group page only
    # a procedure page grows only by the extra group entries, not by the documents
    assert sizes[20] < sizes[10] * 1.05, sizes


def test_a_broken_mkdocs_yml_is_a_clear_error(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    (root / "mkdocs.yml").write_text("site_name: [unclosed\n", "utf-8")
    with pytest.raises(WenkongError, match=r"mkdocs\.yml"):
        build_site_files(root)
    result = subprocess.run([sys.executable, "-m", "generator", "build", str(root),
                             "--only", "site", "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "mkdocs.yml" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_site_dir_outside_the_build_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "set"
    shutil.copytree(FIXTURE, root)
    (root / "mkdocs.yml").write_text("site_name: x\nsite_dir: public\n", "utf-8")
    with pytest.raises(WenkongError, match="不在构建文件夹 build/ 之内"):
        build_site_files(root)
    (root / "mkdocs.yml").write_text("site_name: x\nsite_dir: build/web\n", "utf-8")
    assert "web/index.html" in build_site_files(root)


def test_a_set_made_by_init_builds_with_its_own_mkdocs_yml(tmp_path: Path) -> None:
    from generator.scaffold import init_document_set

    root = tmp_path / "new"
    init_document_set(root, "新公司 <有限>", example=True)
    files = build_site_files(root)
    home = files["site/index.html"].decode()
    assert "<title>首页 - 新公司 ＜有限＞ 受控文件</title>" in home
    assert "QP-01" in home


def test_a_document_under_revision_stays_in_the_master_list_at_its_release() -> None:
    """QP-02 is a draft of A/0; once A/0 was released it stays in force until the next release."""
    history = {"documents": {"QP-02": {"versions": [
        {"version": "A/0", "date": "2025-05-01", "note": "首次发行"}]}}}
    files = build_site_files(FIXTURE, {**RENDERED, "history/index.json": json.dumps(
        history, ensure_ascii=False).encode()})
    home = main_content(files["site/index.html"].decode())
    master = home[home.index('id="master-list"'):home.index('id="pending-list"')]
    row = re.search(r"<tr>(?:(?!</tr>).)*QP-02(?:(?!</tr>).)*</tr>", master, re.S)
    assert row is not None
    assert "2025-05-01" in row.group(0) and "修订中" in row.group(0)
    assert "wk-status-effective" in row.group(0) and "wk-status-draft" not in row.group(0)
    pending = home[home.index('id="pending-list"'):home.index('id="records-list"')]
    assert "QP-02" in pending  # and the draft itself is listed as not for use


@pytest.mark.parametrize("text, reason", [("nav: [unclosed\n", ""),
                                          ("- just\n- a list\n", "顶层不是键值映射")])
def test_an_unreadable_mkdocs_yml_is_named(tmp_path: Path, text: str, reason: str) -> None:
    from generator.render.site.engine import site_folder

    (tmp_path / "mkdocs.yml").write_text(text, encoding="utf-8")
    with pytest.raises(WenkongError) as caught:
        site_folder(tmp_path, "build")
    message = str(caught.value)
    assert str(tmp_path / "mkdocs.yml") in message and "不是可读的 mkdocs 配置文件" in message
    assert reason in message
