"""The register pages of the sample site in headless Chromium: what an auditor samples.

The distribution register lists every copy with its state and leads to the document; a
procedure page shows its copies, clauses and signatures (name, role, date, meaning); the clause
matrix opens with its gap list; the external list marks superseded editions and overdue reviews.
Screenshots land in $WENKONG_SCREENSHOTS (default: the test's temporary folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_support import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    REPO,
    build_site_files,
    screenshot_folder,
    serve_folder,
    write_files,
)

pytestmark = pytest.mark.client
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_folder(tmp_path_factory)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    folder = write_files(tmp_path_factory.mktemp("sample-site"), build_site_files(REPO))
    with serve_folder(folder / "site") as url, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page(), url
        browser.close()


def rows(page: Any, table: int = 0) -> list[list[str]]:
    found: list[list[str]] = page.locator("article table").nth(table).locator(
        "tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(td => td.innerText.trim()))")
    return found


def test_distribution_register_lists_states_and_leads_to_the_document(
        page: tuple[Any, str], shots: Path) -> None:
    tab, url = page
    tab.goto(url + "registers/distribution.html")
    assert tab.title().startswith("文件发放回收登记表")
    tab.screenshot(path=str(shots / "distribution.png"), full_page=True)
    table = {r[0]: r for r in rows(tab)}
    assert table["QP-11-A0-001"][7].startswith("应收回")
    assert table["QP-01-A2-002"][7].startswith("已销毁 2026-01-09")
    assert table["QP-01-B0-003"][3] == "PMC部" and table["QP-01-B0-003"][7] == "使用中"
    tab.locator("tr", has_text="QP-11-A0-001").get_by_role("link").first.click()
    tab.wait_for_url("**/procedures/QP-11.html")
    copies = tab.locator("article table", has_text="分发编号").first
    assert "QP-11-A0-001" in copies.inner_text() and "应收回" in copies.inner_text()


def test_procedure_page_shows_each_signature_with_role_date_and_meaning(
        page: tuple[Any, str], shots: Path) -> None:
    tab, url = page
    tab.goto(url + "procedures/QP-09.html")
    tab.screenshot(path=str(shots / "qp09.png"))
    signatures = tab.locator("article table", has_text="签署").first
    found = signatures.locator("tbody tr").evaluate_all(
        "trs => trs.map(tr => [...tr.cells].map(td => td.innerText.trim()))")
    meanings = [r[0] for r in found]
    assert meanings == ["编写", "审核", "批准", "会签"]
    approver = found[2]
    assert approver[1] and approver[2] == "管理者代表" and approver[3] == "2026-02-24"
    assert "16949:8.5.1.1" in tab.locator("article").inner_text()


def test_clause_matrix_opens_with_the_gap_list(page: tuple[Any, str], shots: Path) -> None:
    tab, url = page
    tab.goto(url + "registers/clauses.html")
    tab.screenshot(path=str(shots / "clauses.png"), full_page=True)
    gaps = rows(tab, 0)
    assert gaps[0][0] == "8.5.6.1" and gaps[0][3] == "是" and gaps[0][4] == "QP-17"
    assert all(r[3] == "" for r in gaps[1:])  # required ones first
    matrix = {(r[1], r[0]): r[3] for r in rows(tab, 1)}
    assert matrix[("IATF 16949:2016", "7.5.3.2.2")] == "QP-01"
    assert matrix[("ISO 9001:2015", "8.3")].startswith("不适用")


def test_external_list_marks_superseded_and_overdue(page: tuple[Any, str], shots: Path) -> None:
    tab, url = page
    tab.goto(url + "registers/external.html")
    tab.screenshot(path=str(shots / "external.png"), full_page=True)
    table = {r[0]: r for r in rows(tab)}
    assert table["GB/T 19011-2013"][2] == "已被替代"
    assert table["GB/T 19011-2021"][2] == "现行" and table["GB/T 19011-2021"][6] == "QP-04"
    assert table["DH-ES-0031 A"][4].startswith("待评审")
