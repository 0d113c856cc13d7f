"""Render stage (site): run mkdocs (Material) on the generated Markdown, in memory.

The document set's own `mkdocs.yml` says how the site looks (name, theme, palette, extra CSS);
this module supplies what is generated (docs folder, navigation) and what the site must always
be: strict (no broken link or anchor), self-contained (no web font, no "made with" link to the
internet), navigation pruned so that pages stay small. The build runs in a temporary folder and
returns the built files as bytes, so the write stage can swap them in with everything else.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2

from generator.cache import BuildCache, key
from generator.errors import WenkongError
from generator.i18n import _
from generator.render.site import parallel
from generator.render.site.pagecache import (
    NAMESPACE,
    PageCache,
    library_versions,
    stats,
    theme_digest,
)
from generator.render.site.pages import safe_title

CONFIG_FILE = "mkdocs.yml"
SITE_MATERIAL = "site"
"""Hand-written site material next to mkdocs.yml (CSS, images); `site/overrides` is the theme's
custom_dir when mkdocs.yml names it, everything else is copied into the docs folder."""
PACKAGED_ASSETS = Path(__file__).with_name("assets")
REQUIRED_EXTENSIONS = ("tables", "attr_list", "admonition", "toc")
FAST_EXTENSION = "generator.render.site.mdext"  # drops inline syntax the pages never use
DROPPED = frozenset({"sitemap.xml", "sitemap.xml.gz"})  # no site_url on an intranet: useless

# Strict checks of the generated Markdown: every link and anchor must land.
VALIDATION: dict[str, Any] = {
    "nav": {"omitted_files": "info", "not_found": "warn", "absolute_links": "info"},
    "links": {"not_found": "warn", "anchors": "warn", "absolute_links": "warn",
              "unrecognized_links": "warn"},
}


@contextlib.contextmanager
def _quiet_mkdocs() -> Iterator[parallel.WarningCollector]:
    """Collect mkdocs' warnings instead of printing them; they become one clear error."""
    logger = logging.getLogger("mkdocs")
    handler = parallel.WarningCollector()
    saved = logger.propagate, logger.level
    logger.addHandler(handler)
    skip_dirty = parallel.SkipDirtyWarning()
    logging.getLogger("mkdocs.commands.build").addFilter(skip_dirty)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logging.getLogger("mkdocs.commands.build").removeFilter(skip_dirty)
        logger.propagate, logger.level = saved


class _MemoJieba:
    """Stands in for `jieba` in Material's search plugin: the same words, each text cut once.

    The search index cuts every run of Han characters of every section with jieba, and the
    same runs come back on page after page (clause titles, table headings, role names,
    standard sentences): a quarter of the search plugin's time at 1,000 procedures. jieba's
    cut depends only on the text and the dictionary, so the index is byte for byte the same.
    The cuts are also kept between builds (`SEGMENTS` in the build cache, keyed by jieba's
    version and the plugin's dictionaries): a build that only rebuilds pages whose runs were
    cut before never loads jieba's dictionary (1–2 s of CPU).
    """

    def __init__(self, module: Any, known: Mapping[bytes, tuple[str, ...]] | None = None) -> None:
        self._module = module
        self._words: dict[Any, tuple[str, ...]] = dict(known or {})
        self.added: dict[Any, tuple[str, ...]] = {}  # cut here, not known before

    def cut(self, sentence: Any, *args: Any, **kwargs: Any) -> Iterator[str]:
        if args or kwargs:
            return iter(self._module.cut(sentence, *args, **kwargs))
        words = self._words.get(sentence)
        if words is None:
            words = self._words[sentence] = self.added[sentence] = tuple(
                self._module.cut(sentence))
        return iter(words)

    def take_added(self) -> dict[Any, tuple[str, ...]]:
        """The cuts made since the last call (a worker hands them to the main process)."""
        added, self.added = self.added, {}
        return added

    def learn(self, cuts: Mapping[Any, tuple[str, ...]]) -> None:
        """Cuts made elsewhere (a worker's `take_added`), to keep with this build's."""
        for sentence, words in cuts.items():
            self._words[sentence] = self.added[sentence] = tuple(words)

    def __getattr__(self, name: str) -> Any:  # set_dictionary, load_userdict, …
        return getattr(self._module, name)


SEGMENTS = "site-segments"
MAX_SEGMENTS = 200_000  # runs kept between builds; beyond, only this build's new ones


def _segments_entry(config: Any) -> str:
    """The cache entry of the kept cuts: jieba's version and the search plugin's settings
    (with the contents of the dictionaries they name)."""
    search = config.plugins.get("material/search") or config.plugins.get("search")
    settings = dict(search.config) if search is not None else {}
    parts: list[bytes | str] = [library_versions(), json.dumps(settings, default=str,
                                                               sort_keys=True)]
    for name in ("jieba_dict", "jieba_dict_user"):
        value = settings.get(name)
        if value:
            with contextlib.suppress(OSError):
                parts.append(Path(os.path.normpath(str(value))).read_bytes())
    return key("segments", *parts)


def _load_segments(cache: BuildCache, entry: str) -> dict[bytes, tuple[str, ...]]:
    data = cache.get(SEGMENTS, entry)
    if data is None:
        return {}
    try:
        loaded = json.loads(data.decode("utf-8"))
        return {text.encode("utf-8"): tuple(str(word) for word in words)
                for text, words in loaded.items() if isinstance(words, list)}
    except (ValueError, AttributeError):
        return {}


def _store_segments(cache: BuildCache, entry: str, memo: _MemoJieba,
                    known: Mapping[bytes, tuple[str, ...]]) -> None:
    if memo.added:
        kept = {**known, **memo.added} if len(known) < MAX_SEGMENTS else dict(memo.added)
        text = json.dumps({(k.decode("utf-8") if isinstance(k, bytes) else str(k)): list(v)
                           for k, v in sorted(kept.items(), key=lambda item: str(item[0]))},
                          ensure_ascii=False)
        cache.put(SEGMENTS, entry, text.encode("utf-8"))
    cache.prune(SEGMENTS, [entry])


@contextlib.contextmanager
def _memoized_segmentation(config: Any, cache: BuildCache | None) -> Iterator[None]:
    """Material's search plugin cuts Chinese text through `_MemoJieba` during the build; with
    an enabled `cache`, the cuts of earlier builds are known and this build's are kept."""
    try:
        from material.plugins.search import plugin as search_plugin
    except ImportError:  # another theme: nothing to speed up
        yield
        return
    module = getattr(search_plugin, "jieba", None)
    if module is None:  # jieba not installed: Material indexes without segmenting
        yield
        return
    # (The dictionary is loaded when a page is first cut, or before the build forks its
    # workers: parallel.ParallelPages; a build whose pages all come from the cache, or whose
    # runs were all cut before, never loads it.)
    kept = cache if cache is not None and cache.enabled else None
    entry = _segments_entry(config) if kept is not None else ""
    known = _load_segments(kept, entry) if kept is not None else {}
    memo = _MemoJieba(module, known)
    search_plugin.jieba = memo
    try:
        yield
        if kept is not None:
            _store_segments(kept, entry, memo, known)
    finally:
        search_plugin.jieba = module


@contextlib.contextmanager
def _environment(epoch: int) -> Iterator[None]:
    # SOURCE_DATE_EPOCH makes mkdocs' build dates (and so every page) reproducible.
    names = {"SOURCE_DATE_EPOCH": str(epoch), "NO_MKDOCS_2_WARNING": "1"}
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def default_config(company: str) -> str:
    """The mkdocs.yml `wenkong init` writes, for a set that has none."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("generator", "skeleton"),
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    import json

    env.filters["q"] = lambda value: json.dumps(str(value), ensure_ascii=False)
    return env.get_template("mkdocs.yml.j2").render(company=company)


def read_config(path: Path) -> dict[str, Any]:
    """mkdocs.yml as data, read by mkdocs' own loader (it knows !ENV and !relative)."""
    from mkdocs.utils.yaml import yaml_load

    try:
        with path.open("rb") as stream:
            data = yaml_load(stream) or {}
    except Exception as exc:  # mkdocs' loader raises several YAML error types
        raise WenkongError(_("{path}：不是可读的 mkdocs 配置文件：{reason}").format(
            path=path, reason=exc)) from None
    if not isinstance(data, dict):
        raise WenkongError(_("{path}：不是可读的 mkdocs 配置文件：{reason}").format(
            path=path, reason=_("顶层不是键值映射")))
    return data


def site_folder(root: Path, output_dir: str) -> str:
    """Where the built site goes inside the build folder: mkdocs.yml's site_dir, or `site`."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return "site"
    value = read_config(path).get("site_dir")
    if value is None:
        return "site"
    build = (root / output_dir).resolve()
    wanted = (root / str(value)).resolve()
    if wanted == build or not wanted.is_relative_to(build):
        # Two files decide this: name both, with the line of each setting.
        from generator.resolve import SETTINGS_FILE

        settings_line = line_of(root / SETTINGS_FILE, "output_dir")
        where = (_("{file} 第 {line} 行的 output_dir").format(file=SETTINGS_FILE,
                                                              line=settings_line)
                 if settings_line else _("output_dir 的默认值"))
        raise WenkongError(_(
            "{config}:{line}: site_dir {value!r} 不在构建文件夹 {output}/ 之内（构建文件夹由"
            "{where}设定）。网站要和它链接的文件一起构建：请把 site_dir 改为 {output}/site，"
            "或修改 output_dir，让两者一致").format(
            config=CONFIG_FILE, line=line_of(path, "site_dir") or 1, value=value,
            output=output_dir, where=where))
    return wanted.relative_to(build).as_posix()


def line_of(path: Path, key: str) -> int:
    """The line of a top-level `key:` in a YAML file (1 when it is not there)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0
    for number, line in enumerate(lines, start=1):
        if line.startswith(f"{key}:"):
            return number
    return 0


def docs_folder(root: Path, generated: Mapping[str, bytes]) -> dict[str, bytes]:
    """Everything of the docs folder: generated pages and files, the packaged stylesheet and
    the set's hand-written material (root/site/, except overrides/)."""
    files = dict(generated)
    for path in sorted(PACKAGED_ASSETS.rglob("*")):
        if path.is_file():
            files[f"assets/{path.relative_to(PACKAGED_ASSETS).as_posix()}"] = path.read_bytes()
    material = root / SITE_MATERIAL
    if material.is_dir():
        for path in sorted(material.rglob("*")):
            relative = path.relative_to(material)
            if not path.is_file() or relative.parts[0] == "overrides":
                continue
            if relative.as_posix() in files:
                raise WenkongError(_("{path} 与生成的页面或文件同名，请改名").format(path=path))
            files[relative.as_posix()] = path.read_bytes()
    return files


def write_docs(docs: Path, files: Mapping[str, bytes]) -> None:
    """Make `docs` hold exactly `files`, touching only what changed (mkdocs serve watches it)."""
    wanted = {docs / relative for relative in files}
    if docs.is_dir():
        for path in sorted(docs.rglob("*"), reverse=True):
            if path.is_file() and path not in wanted:
                path.unlink()
    for relative, data in sorted(files.items()):
        target = docs / relative
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def load_site_config(root: Path, company: str, docs: Path, site: Path, nav: list[Any],
                     not_in_nav: list[str], scratch: Path) -> Any:
    """mkdocs.yml of the set (or the default one) with the generated parts put in."""
    from mkdocs import exceptions
    from mkdocs.config import load_config

    config_file = root / CONFIG_FILE
    if not config_file.is_file():
        config_file = scratch / CONFIG_FILE
        config_file.write_text(default_config(company), "utf-8")
    with _quiet_mkdocs() as log:
        try:
            config = load_config(
                config_file=str(config_file), docs_dir=str(docs), site_dir=str(site),
                nav=nav, strict=True, validation=VALIDATION,
                not_in_nav="\n".join("/" + path for path in not_in_nav),
            )
        except (exceptions.MkDocsException, OSError) as exc:
            details = "; ".join(log.messages) or str(exc)
            raise WenkongError(f"{config_file}: {details}") from None
    return apply_site_rules(config)


def apply_site_rules(config: Any) -> Any:
    """What every Wenkong site is, whatever mkdocs.yml says (serve runs it as a hook)."""
    for name in (*REQUIRED_EXTENSIONS, FAST_EXTENSION):
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
    theme = config.theme
    # Self-contained for an intranet: Material would load Roboto from Google Fonts.
    theme["font"] = False
    features = list(theme.get("features") or [])
    if theme.name == "material" and "navigation.prune" not in features:
        features.append("navigation.prune")  # keeps every page's navigation small
    theme["features"] = features
    config.extra["generator"] = False  # the footer's link to an outside site
    # Material prints site_name as HTML in every page header.
    config.site_name = safe_title(config.site_name)
    if "assets/wenkong.css" not in config.extra_css:
        config.extra_css = ["assets/wenkong.css", *config.extra_css]
    # Chinese queries split into words like the index (see assets/search-zh.js).
    if "assets/search-zh.js" not in [str(script) for script in config.extra_javascript]:
        config.extra_javascript.append("assets/search-zh.js")
    return config


def _config_text(config: Any) -> str:
    """The loaded configuration as stable text (no temporary folders, no object addresses)."""
    skipped = {"docs_dir", "site_dir", "config_file_path", "plugins", "theme", "nav"}
    data = {name: value for name, value in config.items() if name not in skipped}
    data["theme"] = {"name": config.theme.name, **dict(config.theme.items())}
    data["plugins"] = {name: dict(plugin.config) for name, plugin in config.plugins.items()}
    return json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)


def build_site(root: Path, company: str, files: Mapping[str, bytes], nav: list[Any],
               not_in_nav: list[str], epoch: int,
               cache: BuildCache | None = None) -> dict[str, bytes]:
    """Run `mkdocs build --strict` on `files` (docs-relative) and return the built site.

    With an enabled `cache`, pages whose Markdown and surroundings did not change since an
    earlier build are taken from it (pagecache.py) instead of being built again."""
    from mkdocs import exceptions
    from mkdocs.commands.build import build

    everything = docs_folder(root, files)
    # Generated files (pages, downloads, drawings) reach the site from memory when our plugin
    # runs the build; only the packaged and hand-written files are written to the docs folder.
    static = {path: data for path, data in files.items() if not path.endswith(".md")}
    generated = {path: data for path, data in files.items() if path.endswith(".md")}
    with tempfile.TemporaryDirectory(prefix="wenkong-site-") as temporary:
        scratch = Path(temporary)
        docs, site = scratch / "docs", scratch / "site"
        write_docs(docs, {path: data for path, data in everything.items()
                          if path not in files})
        plugin = None
        with _environment(epoch):
            config = load_site_config(root, company, docs, site, nav, not_in_nav, scratch)
            dirty = parallel.usable(config)
            if dirty:
                plugin = parallel.ParallelPages()
                plugin.static = static
                plugin.pages = generated
                plugin.dropped = DROPPED
                if cache is not None and cache.enabled:
                    # Generated pages link only to generated files that exist (pages.Linker):
                    # a page whose Markdown is unchanged lands where it did. Hand-written pages
                    # (site/) are built every time, so mkdocs checks their links every time.
                    written = [path for path in everything if path not in files]
                    plugin.cache = PageCache(cache, theme_digest(
                        _config_files(root, scratch), _config_text(config),
                        [Path(config.theme.custom_dir)] if config.theme.custom_dir else [],
                        nav, not_in_nav, written, epoch),
                        {path: data for path, data in files.items() if path.endswith(".md")})
                config.plugins["wenkong/parallel"] = plugin
            else:
                write_docs(docs, everything)
            with _quiet_mkdocs() as log, _memoized_segmentation(config, cache):
                try:
                    build(config, dirty=dirty)
                except exceptions.MkDocsException as exc:
                    shown = "\n  ".join(log.messages[:20]) or str(exc)
                    raise WenkongError(_("网站生成失败（mkdocs --strict）：{detail}").format(
                        detail=exc) + "\n  " + shown) from None
        built: dict[str, bytes] = {}
        for path in sorted(site.rglob("*")):
            relative = path.relative_to(site).as_posix()
            if path.is_file() and relative not in DROPPED:
                built[relative] = path.read_bytes()
        if plugin is not None:
            plugin.store(built)
            built.update(plugin.outputs)
            if plugin.cache is not None:
                stats.update(pages_hits=len(plugin.hits), pages_built=len(plugin.built))
                # (compiled theme templates are not pruned: one entry per template source)
                plugin.cache.cache.prune(NAMESPACE, plugin.cache.used)
        return {path: built[path] for path in sorted(built)}


def _config_files(root: Path, scratch: Path) -> list[Path]:
    """The configuration files the build reads: the set's mkdocs.yml (or the default one) and
    the file it inherits from, if any."""
    config = root / CONFIG_FILE
    if not config.is_file():
        return [scratch / CONFIG_FILE]
    found = [config]
    with contextlib.suppress(OSError, UnicodeDecodeError):
        for line in config.read_text("utf-8").splitlines():
            if line.startswith("INHERIT:"):
                found.append(root / line.partition(":")[2].strip().strip("'\""))
    return found
