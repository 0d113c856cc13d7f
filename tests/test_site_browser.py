"""The site in a real browser (headless Chromium, system binary): what an auditor does.

Home page lists the documents, Chinese search finds a procedure by a term inside a clause,
links lead from a procedure to its form, the revision history is there, a <script> from a YAML
source does not run, and nothing is fetched from any host but 127.0.0.1.
Screenshots land in $WENKONG_SCREENSHOTS (default: the test's temporary folder).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_support import (
    FIXTURE,
    REPO,
    build_site_files,
    chromium,
    screenshot_folder,
    serve_folder,
    write_files,
)

from generator.docset import plain
from generator.errors import SourceErrors
from generator.model.procedure import Status
from generator.resolve import load_document_set

pytestmark = pytest.mark.client
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_folder(tmp_path_factory)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def fixture_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    downloads = {"procedures/QP-01_A-1_文件控制程序.docx": b"PK procedure",
                 "forms/QR-01-01_A-0_文件更改申请单.docx": b"PK form"}
    folder = write_files(tmp_path_factory.mktemp("fixture-site"),
                         build_site_files(FIXTURE, downloads))
    with serve_folder(folder / "site") as url:
        yield url


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    try:
        files = build_site_files(REPO)
    except SourceErrors as exc:  # the sample set is being written by another engineer
        pytest.skip(f"the sample set does not validate yet: {exc.problems[0]}")
    folder = write_files(tmp_path_factory.mktemp("sample-site"), files)
    with serve_folder(folder / "site") as url:
        yield url


class Visit:
    """A page that records every request and every dialog the site makes."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))

        def dismiss(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        self.page.on("dialog", dismiss)

    def external(self) -> list[str]:
        return [u for u in self.requests
                if not re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:|about:)", u)]

    def search(self, query: str) -> list[str]:
        """Type a query into Material's search box; the result links, best first."""
        self.page.click(".md-search__input")
        self.page.fill("input.md-search__input", "")
        # Material reads the query on key events; CJK text arrives as text input, without
        # one, so a key press follows it.
        self.page.keyboard.type(query)
        self.page.keyboard.press("End")
        # assets/search-zh.js has put U+200B between the words, as in the index
        self.page.wait_for_function(
            "q => document.querySelector('.md-search-result__item a') !== null"
            " && document.querySelector('input.md-search__input').value"
            ".replaceAll('\u200b', '') === q", arg=query, timeout=20000)
        self.page.wait_for_timeout(300)
        hrefs: list[str] = self.page.eval_on_selector_all(
            ".md-search-result__item > a", "els => els.map(e => e.href)")
        return hrefs

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any) -> Iterator[Visit]:
    opened = Visit(browser)
    yield opened
    assert opened.external() == [], "requests to hosts other than 127.0.0.1"
    opened.close()


def test_home_lists_the_sample_documents(visit: Visit, sample_url: str, shots: Path) -> None:
    docset = load_document_set(REPO)
    visit.page.goto(sample_url)
    visit.page.screenshot(path=str(shots / "sample-home.png"))
    master = visit.page.locator("xpath=//h2[@id='master-list']/following-sibling::*[1]")
    rows = master.locator("tbody tr").all_inner_texts()
    listed = {row.split()[0] for row in rows}
    expected = {doc.code for doc in docset.procedures.values()
                if doc.status is Status.effective}
    assert listed == expected
    for doc in docset.procedures.values():
        if doc.status is Status.effective:
            link = master.locator(f"a:text-is('{doc.code}')")
            assert link.get_attribute("href") == f"procedures/{doc.model.code}.html"
    pending = visit.page.locator("xpath=//h2[@id='pending-list']/following-sibling::*[2]")
    listed_pending = {row.split()[0] for row in pending.locator("tbody tr").all_inner_texts()}
    assert listed_pending == {doc.code for doc in docset.procedures.values()
                              if doc.status in (Status.draft, Status.in_review)}


def test_chinese_search_finds_the_procedure(visit: Visit, fixture_url: str,
                                            shots: Path) -> None:
    visit.page.goto(fixture_url)
    results = visit.search("24小时")
    visit.page.screenshot(path=str(shots / "fixture-search.png"))
    assert results and "procedures/QP-01.html" in results[0]
    assert visit.page.input_value("input.md-search__input") == "24\u200b小时"
    results = visit.search("顾客投诉处理单")  # a form name cited inside a clause of QP-01
    assert any("procedures/QP-01.html" in href and href.endswith("#c5-1-2")
               for href in results), results


def test_chinese_search_on_the_sample_set(visit: Visit, sample_url: str, shots: Path) -> None:
    docset = load_document_set(REPO)
    term = "24小时"
    expected = {code for code, doc in docset.procedures.items()
                if doc.status is not Status.obsolete
                and any(term in plain(c.text) for c in doc.all_clauses())}
    if not expected:
        pytest.skip(f"no sample procedure mentions {term} in a clause")
    visit.page.goto(sample_url)
    results = visit.search(term)
    visit.page.screenshot(path=str(shots / "sample-search.png"))
    found = {m.group(1) for href in results
             if (m := re.search(r"procedures/([^/#]+)\.html", href))}
    assert found & expected, (found, expected)


def test_link_from_a_procedure_to_its_form(visit: Visit, fixture_url: str,
                                           shots: Path) -> None:
    visit.page.goto(fixture_url + "procedures/QP-01.html")
    visit.page.screenshot(path=str(shots / "fixture-procedure.png"), full_page=True)
    visit.page.click("article a:text-is('《文件更改申请单》QR-01-01') >> nth=0")
    visit.page.wait_for_url(re.compile(r"/forms/QR-01-01\.html$"))
    assert visit.page.inner_text("article h1").startswith("QR-01-01 文件更改申请单")
    visit.page.screenshot(path=str(shots / "fixture-form.png"), full_page=True)
    visit.page.go_back()
    visit.page.click("article a:text-is('5.1.2')")
    assert visit.page.url.endswith("QP-01.html#c5-1-2")
    assert visit.page.locator("#c5-1-2").is_visible()


def test_revision_history_table(visit: Visit, fixture_url: str) -> None:
    docset = load_document_set(FIXTURE)
    visit.page.goto(fixture_url + "procedures/QP-01.html")
    table = visit.page.locator("xpath=//h2[@id='revisions']/following-sibling::*[1]//table")
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["版本", "修改章节/页", "修改日期", "修改内容摘要", "修改人", "审核人",
                       "批准人", "备注"]
    rows = table.locator("tbody tr").all_inner_texts()
    revisions = docset.procedures["QP-01"].model.revisions
    assert len(rows) == len(revisions)
    assert rows[-1].split("\t")[0] == revisions[-1].version


def test_script_in_a_source_does_not_run(visit: Visit, fixture_url: str) -> None:
    visit.page.goto(fixture_url + "procedures/QP-01.html")
    assert visit.page.evaluate("typeof window.__pwned") == "undefined"
    text = visit.page.inner_text("#c5-2-1")
    assert "<script>window.__pwned = 1</script>" in text and "**星号**" in text
    assert visit.page.locator("article b:text('粗体')").count() == 0
    visit.page.goto(fixture_url + "forms/QR-01-01.html")
    visit.page.goto(fixture_url + "archive/QP-09.html")
    assert "旧版检验程序<i>试行</i>" in visit.page.inner_text("article h1")
    assert visit.dialogs == []


def test_obsolete_document_banner(visit: Visit, fixture_url: str, shots: Path) -> None:
    visit.page.goto(fixture_url + "archive/QP-09.html")
    visit.page.screenshot(path=str(shots / "fixture-archive.png"))
    banner = visit.page.locator(".admonition.danger").first
    assert "作废文件" in banner.inner_text()
    nav = visit.page.inner_text("nav.md-nav--primary")
    assert "QP-09" not in nav


def test_download_links_resolve(visit: Visit, fixture_url: str) -> None:
    for path, expected in (("procedures/QP-01.html", b"PK procedure"),
                           ("forms/QR-01-01.html", b"PK form")):
        visit.page.goto(fixture_url + path)
        button = visit.page.locator("a.wk-download")
        assert button.count() == 1
        response = visit.page.request.get(button.evaluate("a => a.href"))
        assert response.status == 200 and response.body() == expected
