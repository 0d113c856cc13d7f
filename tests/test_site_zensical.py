"""The site built with Zensical (`site_engine: zensical`) beside mkdocs + Material, on the fixture
set: the same pages, the escaping we rely on, Chinese search, nothing from another host, a
deterministic build, strict links, and a clear error when Zensical is missing.

Zensical is an optional dependency (`wenkong[zensical]`); the test extra installs it.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from site_support import (
    FIXTURE,
    build_site_files,
    chromium,
    serve_folder,
    write_files,
)
from test_site_build import RENDERED, _external_references, main_content

from generator.errors import WenkongError
from generator.render.site import zensical

# What a YAML text may hold that Markdown, Jinja or HTML would otherwise read as syntax.
HOSTILE = ("模板 {{ config.site_name }} 与 {% if x %}是{% endif %}、A&B、&amp;、<!-- 注释 -->、"
           "`代码`、~~删除~~、==标记==、$x$、:smile:、[[链接]]、<u>下划线</u>")
HOSTILE_SHOWN = ("模板 {{ config.site_name }} 与 {% if x %}是{% endif %}、A&amp;B、&amp;amp;、"
                 "&lt;!-- 注释 --&gt;、`代码`、~~删除~~、==标记==、$x$、:smile:、[[链接]]、"
                 "&lt;u&gt;下划线&lt;/u&gt;")

# Zensical's script bundle names these; it loads each only when a page has what needs it
# (test_no_built_file_references_an_external_host checks that none has): a ResizeObserver
# polyfill (old browsers), Mermaid (a `mermaid` block), GLightbox (the glightbox plugin),
# Pyodide and Ace (runnable code blocks, `data-md-exec`), the GitHub API (repo_url).
CONDITIONAL = {
    "https://unpkg.com/resize-observer-polyfill": None,
    "https://unpkg.com/mermaid@12/dist/mermaid.min.js": "mermaid",
    "https://unpkg.com/glightbox@3/dist/js/glightbox.min.js": "glightbox",
    "https://unpkg.com/glightbox@3/dist/css/glightbox.min.css": "glightbox",
    "https://unpkg.com/pyodide@314.0.2/pyodide.js": "data-md-exec",
    "https://cdn.jsdelivr.net/pyodide/v314.0.2/full/": "data-md-exec",
    "https://unpkg.com/ace-builds@1.44.0/src-noconflict/ace.js": "data-md-exec",
    "https://api.github.com/repos/": "md-source",
    "https://api.github.com/users/": "md-source",
}


def make_set(folder: Path, engine: str | None) -> Path:
    """The fixture set with hostile text in a clause and, when given, a site engine."""
    root = folder / (engine or "default")
    shutil.copytree(FIXTURE, root)
    procedure = root / "procedures" / "QP-01.yaml"
    text = procedure.read_text("utf-8")
    marker = "都应原样显示。"
    assert marker in text
    procedure.write_text(text.replace(marker, marker + HOSTILE.replace('"', '\\"')), "utf-8")
    if engine:
        settings = root / "wenkong.yaml"
        settings.write_text(settings.read_text("utf-8") + f"site_engine: {engine}\n", "utf-8")
    return root


@pytest.fixture(scope="module")
def sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sets")
    return {"zensical": make_set(folder, "zensical"), "mkdocs": make_set(folder, None)}


@pytest.fixture(scope="module")
def built(sets: dict[str, Path]) -> dict[str, bytes]:
    return build_site_files(sets["zensical"], RENDERED)


@pytest.fixture(scope="module")
def material(sets: dict[str, Path]) -> dict[str, bytes]:
    return build_site_files(sets["mkdocs"], RENDERED)


def html_pages(files: dict[str, bytes]) -> set[str]:
    return {path for path in files if path.endswith(".html")}


def test_the_setting_picks_zensical(built: dict[str, bytes],
                                    material: dict[str, bytes]) -> None:
    assert re.search(rb'<meta name="generator" content="zensical-[\d.]+">',
                     built["site/index.html"])
    assert "site/search.json" in built and "site/search/search_index.json" not in built
    assert b"zensical" not in material["site/index.html"]  # the default stays mkdocs
    assert "site/search/search_index.json" in material


def test_every_page_of_the_mkdocs_site_is_there(built: dict[str, bytes],
                                                material: dict[str, bytes]) -> None:
    assert len(html_pages(material)) >= 20
    assert html_pages(built) == html_pages(material)
    # everything that is not the theme's own assets: downloads, flowcharts, our stylesheet
    ours = {path for path in material if not path.startswith(("site/assets/javascripts/",
                                                              "site/assets/stylesheets/",
                                                              "site/search/"))}
    ours -= html_pages(material)
    assert {"site/flowcharts/QP-01/change-flow.svg", "site/assets/wenkong.css"} <= ours
    for path in ours:
        assert built.get(path) == material[path], path
    # every page has the same title (<title>: the page's and the site's name)
    for path in html_pages(material) - {"site/404.html"}:
        titles = [re.findall(r"<title>(.*?)</title>", files[path].decode())
                  for files in (built, material)]
        assert len(titles[1]) == 1 and titles[0] == titles[1], (path, titles)


def _texts(built: dict[str, bytes], path: str) -> str:
    return main_content(built[path].decode())


@pytest.mark.parametrize("engine", ["zensical", "mkdocs"])
def test_text_from_yaml_never_becomes_markup(engine: str, built: dict[str, bytes],
                                             material: dict[str, bytes]) -> None:
    files = built if engine == "zensical" else material
    procedure = _texts(files, "site/procedures/QP-01.html")
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in procedure
    assert "**星号**" in procedure and "[链接](http://evil.example.com)" in procedure
    assert "&lt;b&gt;粗体&lt;/b&gt;" in procedure
    assert HOSTILE_SHOWN in procedure, "a Markdown, Jinja or HTML character was read as syntax"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _texts(files, "site/forms/QR-01-01.html")
    for path, data in files.items():
        if path.endswith(".html"):
            text = data.decode()
            for tag in ("<script>alert", "<b>粗体", "<i>试行", "<em>斜体", "<u>下划线",
                        "<del>删除", "<mark>标记", "<code>代码"):
                assert tag not in text, (path, tag)
            assert 'href="http://evil' not in text, path
    archived = files["site/archive/QP-09.html"].decode()
    assert "<title>QP-09 旧版检验程序＜i＞试行＜/i＞ - " in archived
    assert "&lt;i&gt;试行&lt;/i&gt;" in main_content(archived)
    assert "文件的发布 &lt;em&gt;斜体&lt;/em&gt;" in procedure


def test_chinese_search_index(built: dict[str, bytes]) -> None:
    index = json.loads(built["site/search.json"])
    # "zh" turns on Zensical's Chinese word segmentation (Intl.Segmenter) for the index and
    # the query in the browser: the index itself holds the text as written
    assert "zh" in index["config"]["lang"]
    by_location = {item["location"]: item for item in index["items"]}
    urgent = by_location["procedures/QP-01.html#c5-1-2"]
    assert "24小时" in urgent["text"] and "顾客投诉处理单" in urgent["text"]
    indexed = {location.split("#")[0] for location in by_location}
    assert indexed.isdisjoint({"index.html", "changelog.html", "records.html",
                               "procedures/index.html", "roles/matrix.html"})
    assert {"procedures/QP-01.html", "forms/QR-01-01.html", "roles/quality.html",
            "archive/QP-09.html"} <= indexed
    # the search text is escaped like the page
    assert "<script>window.__pwned" not in built["site/search.json"].decode()


def test_no_built_file_references_an_external_host(built: dict[str, bytes]) -> None:
    pages = "".join(data.decode() for path, data in built.items() if path.endswith(".html"))
    for path, data in built.items():
        if path.endswith((".html", ".css", ".svg", ".xml", ".json")):
            assert _external_references(data.decode("utf-8", "replace")) == [], path
        if path.endswith(".html"):
            text = data.decode()
            assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, path
            assert "zensical.org" not in text, path  # no "made with" link
        if path.endswith(".js"):
            code = re.sub(r"/\*.*?\*/", "", data.decode("utf-8", "replace"), flags=re.S)
            urls = set(re.findall(r"""["'`](https?://[^"'`$]+)""", code))
            urls = {url for url in urls if not url.startswith("http://www.w3.org/")}
            assert urls <= set(CONDITIONAL), (path, urls - set(CONDITIONAL))
    for url, trigger in CONDITIONAL.items():
        assert trigger is None or trigger not in pages, (url, trigger)


def test_build_is_deterministic(sets: dict[str, Path], built: dict[str, bytes]) -> None:
    again = build_site_files(sets["zensical"], RENDERED)
    assert sorted(again) == sorted(built)
    assert [path for path in built if built[path] != again[path]] == []


def test_a_broken_link_is_a_clear_error(tmp_path: Path) -> None:
    root = make_set(tmp_path, "zensical")
    (root / "site").mkdir()
    (root / "site" / "notes.md").write_text("# 说明\n\n见 [不存在的页面](nowhere.md)。\n",
                                            "utf-8")
    with pytest.raises(WenkongError, match=r"Zensical --strict.*\n.*notes\.md:3:"):
        build_site_files(root)


def test_missing_zensical_is_a_clear_chinese_error(sets: dict[str, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(zensical, "available", lambda: False)
    with pytest.raises(WenkongError) as raised:
        build_site_files(sets["zensical"])
    message = str(raised.value)
    line = (sets["zensical"] / "wenkong.yaml").read_text("utf-8").splitlines().index(
        "site_engine: zensical") + 1
    assert f"wenkong.yaml:{line}: site_engine: zensical" in message
    assert "没有安装 Zensical" in message and "pip install 'wenkong[zensical]'" in message


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def _search(page: Any, query: str) -> list[str]:
    """Type a query into Zensical's search dialog; the result links, best first."""
    box = page.locator("input[role=combobox]").first
    if not box.is_visible():
        page.click(".md-search__button")
    box.fill("")
    page.keyboard.type(query)
    results = f"[id='{box.get_attribute('aria-controls')}'] a"
    page.locator(results).first.wait_for(timeout=20000)
    page.wait_for_timeout(300)
    hrefs: list[str] = page.locator(results).evaluate_all("els => els.map(e => e.href)")
    return hrefs


@pytest.mark.client
def test_chinese_search_in_a_browser(browser: Any, built: dict[str, bytes],
                                     tmp_path: Path) -> None:
    folder = write_files(tmp_path, built) / "site"
    with serve_folder(folder) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(url)
        results = _search(page, "24小时")
        assert results and re.search(r"/procedures/QP-01\.html\?h=[^#]*#c5-1-2$", results[0])
        results = _search(page, "顾客投诉处理单")  # a form name cited inside a clause of QP-01
        assert any(re.search(r"/procedures/QP-01\.html\?h=[^#]*#c5-1-2$", href)
                   for href in results), results
        page.goto(url + "procedures/QP-01.html")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        context.close()
    external = [u for u in requests
                if not re.match(r"^(https?://127\.0\.0\.1[:/]|data:|blob:|about:)", u)]
    assert external == []
