"""Render stage (site): the same site built with Zensical instead of mkdocs + Material.

Zensical (by Material's authors, its successor) reads mkdocs.yml and renders the same
Python-Markdown pages with a classic variant that keeps Material's look. This module gives it
exactly what `engine.build_site` gives mkdocs: the generated docs folder, the navigation, and the
rules every Wenkong site follows (strict links and anchors, no web font, no "made with" link,
pruned navigation, our stylesheet and Markdown extensions), written into a mkdocs.yml of a
temporary folder, and returns the built files as bytes.

Zensical runs in its own process (`python -m zensical build --strict`): its Rust core prints
straight to the terminal and keeps the configuration in module state, neither of which belongs in
ours. Differences from the mkdocs build, measured in bench/results-site.md ("Zensical side by
side"), and the reason mkdocs stays the default:
- search: Zensical's search segments Chinese in the browser (Intl.Segmenter, for the index and
  the query alike) instead of jieba at build time; `search: lang` and `jieba_dict` are ignored;
- its script bundle names more CDN addresses (Mermaid, Pyodide, Ace, GLightbox) for features
  that the generated pages never use;
- no page cache: every build is a whole one in a new folder (Zensical's own differential build
  keeps a cache of its own, which BuildCache cannot verify), and on 2 cores it is no faster than
  the parallel mkdocs build (one thread renders the Markdown).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.errors import WenkongError
from generator.i18n import _
from generator.render.site import mdext
from generator.render.site.engine import (
    CONFIG_FILE,
    DROPPED,
    FAST_EXTENSION,
    REQUIRED_EXTENSIONS,
    default_config,
    docs_folder,
    line_of,
    read_config,
    write_docs,
)
from generator.render.site.pages import safe_title

PACKAGE = "zensical"
INSTALL_HINT = "pip install 'wenkong[zensical]'"
FAST_MODULE = "wenkong_mdext"  # generator/render/site/mdext.py, copied next to mkdocs.yml
TIMEOUT = 3600  # seconds; a stuck build must not hang `wenkong build` forever
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Zensical reports a problem as "Warning: <what>" or "Error: <what>" followed by a source excerpt
# whose frame line names "<file>:<line>:<column>".
_WHERE = re.compile(r"\[\s*([^\]\s]+:\d+:\d+)\s*\]")


def available() -> bool:
    """Whether Zensical is installed (it is an optional dependency: `wenkong[zensical]`)."""
    return importlib.util.find_spec(PACKAGE) is not None


def require(root: Path) -> None:
    """A clear error when the settings ask for Zensical and it is not installed."""
    if available():
        return
    from generator.resolve import SETTINGS_FILE

    settings_file = root / SETTINGS_FILE
    line = line_of(settings_file, "site_engine")
    where = f"{settings_file}:{line}" if line else str(settings_file)
    raise WenkongError(_(
        "{where}: site_engine: zensical 要用 Zensical 构建网站，但本机没有安装 Zensical。"
        "请运行 {hint} 安装，或删去 site_engine 这一行，改用默认的 mkdocs").format(
        where=where, hint=INSTALL_HINT))


def _extension_names(extensions: list[Any]) -> set[str]:
    names = set()
    for item in extensions:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict):
            names.update(str(name) for name in item)
    return names


def site_config(root: Path, company: str, nav: list[Any], not_in_nav: list[str],
                scratch: Path) -> dict[str, Any]:
    """mkdocs.yml of the set (or the default one) with the generated parts and the site rules
    put in, for a build in `scratch` (docs in scratch/docs, the site in scratch/site)."""
    config_file = root / CONFIG_FILE
    if config_file.is_file():
        config = read_config(config_file)
    else:
        default = scratch / "default-mkdocs.yml"
        default.write_text(default_config(company), "utf-8")
        config = read_config(default)
    config["docs_dir"] = "docs"
    config["site_dir"] = "site"
    config["nav"] = nav
    config["not_in_nav"] = "\n".join("/" + path for path in not_in_nav)
    # strict links and anchors, as the mkdocs build's VALIDATION
    config["validation"] = {"links": {"not_found": "warn", "anchors": "warn"}}
    config["site_name"] = safe_title(str(config.get("site_name") or company))
    theme = config.get("theme") or {}
    if isinstance(theme, str):
        theme = {"name": theme}
    # Self-contained for an intranet: no web font.
    theme["font"] = False
    # Material's look, which the set's extra.css and our wenkong.css are written for.
    theme.setdefault("variant", "classic")
    features = list(theme.get("features") or [])
    if "navigation.prune" not in features:
        features.append("navigation.prune")  # keeps every page's navigation small
    theme["features"] = features
    custom_dir = theme.get("custom_dir")
    if custom_dir:  # relative to mkdocs.yml, which is not in the build folder
        theme["custom_dir"] = str((root / str(custom_dir)).resolve())
    config["theme"] = theme
    extra = config.get("extra") or {}
    extra["generator"] = False  # the footer's link to an outside site
    config["extra"] = extra
    css = [str(item) for item in config.get("extra_css") or []]
    if "assets/wenkong.css" not in css:
        css.insert(0, "assets/wenkong.css")
    config["extra_css"] = css
    extensions = list(config.get("markdown_extensions") or [])
    present = _extension_names(extensions)
    extensions += [name for name in REQUIRED_EXTENSIONS if name not in present]
    if FAST_EXTENSION not in present:
        extensions.append(FAST_MODULE)
    config["markdown_extensions"] = extensions
    # No assets/search-zh.js: Zensical's search segments the query itself (Intl.Segmenter).
    return config


def _problems(output: str) -> list[str]:
    """Zensical's warnings and errors, one line each: "<what> (<file>:<line>:<column>)"."""
    lines = _ANSI.sub("", output).splitlines()
    problems: list[str] = []
    for number, line in enumerate(lines):
        match = re.match(r"\s*(Warning|Error):\s*(.*)", line)
        if not match:
            continue
        where = next((found.group(1) for later in lines[number + 1:number + 3]
                      if (found := _WHERE.search(later))), None)
        problems.append(f"{match.group(2)} ({where})" if where else match.group(2))
    return problems


def _environment(scratch: Path, epoch: int) -> dict[str, str]:
    env = dict(os.environ)
    # The subprocess imports our Markdown extension from a copy next to mkdocs.yml
    # (FAST_MODULE): importing generator.render.site.mdext would load the whole generator
    # first, a second of CPU in every build. The set's own extensions stay importable.
    package_root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(
        [str(scratch), package_root,
         *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]])
    env["SOURCE_DATE_EPOCH"] = str(epoch)
    env["NO_COLOR"] = "1"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run(scratch: Path, config: Mapping[str, Any], epoch: int) -> None:
    """`zensical build --strict` of the mkdocs.yml written into `scratch`; a WenkongError
    naming the problems when it fails."""
    config_path = scratch / CONFIG_FILE
    # JSON is YAML: no Python object of the loaded file can sneak into the written one.
    try:
        text = json.dumps(config, ensure_ascii=False, indent=1)
    except TypeError as exc:
        raise WenkongError(_("{config}: Zensical 不支持其中的设置（{error}）").format(
            config=CONFIG_FILE, error=exc)) from None
    extension = scratch / f"{FAST_MODULE}.py"
    source = mdext.__file__
    assert source is not None
    code = Path(source).read_bytes()
    if not extension.is_file() or extension.read_bytes() != code:
        extension.write_bytes(code)
    # Left alone when unchanged: in a kept folder, a rewritten configuration makes Zensical
    # build every page again.
    if not config_path.is_file() or config_path.read_text("utf-8") != text:
        config_path.write_text(text, "utf-8")
    try:
        result = subprocess.run(
            [sys.executable, "-m", PACKAGE, "build", "--strict", "-f", str(config_path)],
            cwd=scratch, env=_environment(scratch, epoch), capture_output=True, timeout=TIMEOUT,
            check=False)
    except subprocess.TimeoutExpired:
        raise WenkongError(_("Zensical 在 {seconds} 秒内没有构建完网站").format(
            seconds=TIMEOUT)) from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).decode("utf-8", "replace")
        problems = _problems(output) or [_ANSI.sub("", output).strip()[-2000:]]
        shown = "\n  ".join(problems[:20])
        raise WenkongError(_("网站没有构建成功（Zensical --strict）：\n  {problems}").format(
            problems=shown))


def build_site(root: Path, company: str, files: Mapping[str, bytes], nav: list[Any],
               not_in_nav: list[str], epoch: int) -> dict[str, bytes]:
    """Run `zensical build --strict` on `files` (docs-relative) and return the built site."""
    with tempfile.TemporaryDirectory(prefix="wenkong-zensical-") as temporary:
        scratch = Path(temporary)
        site = scratch / "site"
        write_docs(scratch / "docs", docs_folder(root, files))
        run(scratch, site_config(root, company, nav, not_in_nav, scratch), epoch)
        built: dict[str, bytes] = {}
        for path in sorted(site.rglob("*")):
            relative = path.relative_to(site).as_posix()
            if path.is_file() and relative not in DROPPED:
                built[relative] = path.read_bytes()
        return built
