"""Messages in the user's language (gettext): Simplified Chinese by default, English on request.

Stage: beside the pipeline; every stage that speaks to the user (CLI help, errors, warnings,
progress lines, table headers) passes its text through `_()` from here.

Which language
--------------
The first non-empty variable of LANGUAGE, LC_ALL, LC_MESSAGES, LANG decides (the order gettext
uses; LANGUAGE may be a list such as ``en:zh`` and its first entry counts). A value starting with
``en`` (``en``, ``en_US.UTF-8``, ``en_GB``) means English; anything else, ``C``/``POSIX`` and no
variable at all mean Simplified Chinese. The people who run Wenkong are document controllers at
Chinese factories, so Chinese needs nothing set and nothing read.

How to wrap a message
---------------------
The message id (msgid) is the **Chinese** text, written in the code as the user sees it by
default; the English catalogue translates it::

    from generator.i18n import _, ngettext

    raise UsageError(_("未知表单 {code}；已有：{known}").format(code=code, known=known))
    help=_("文件集所在的文件夹。")
    ngettext("已归档 {n} 份记录", "已归档 {n} 份记录", n).format(n=n)   # English needs plurals

Rules: wrap the literal itself (``_(f"...")`` or ``_(variable)`` cannot be extracted); put values
in named ``{placeholders}`` and call ``.format()`` *after* ``_()``; the translation keeps every
placeholder (a test checks). Codes, file names and YAML field names stay as they are inside
the text. Help strings evaluated at import (typer ``help=``) follow the locale of the process.

How to add or change a translation
----------------------------------
The English catalogue is ``generator/locale/en/LC_MESSAGES/wenkong.po`` (in git, the only
source; no compiled .mo file exists: it is read through Babel when English is asked for, so a
fresh clone with ``pip install -e .`` speaks both languages without a build step). After
wrapping new messages run::

    make messages

(Babel extracts every ``_()``/``ngettext()`` msgid from generator/ and merges them into the .po,
sorted, without line numbers so that parallel branches rarely conflict), then fill in each new
empty ``msgstr`` in English. ``tests/test_i18n.py`` fails while a message of the code has no
English translation, a translation drops a placeholder, or the .po keeps messages the code no
longer has.

Click's and typer's own words (Usage:, Options, Show this message and exit., their error
messages) have English ids; ``generator/locale/zh_CN/LC_MESSAGES/click.po`` gives them in
Chinese, installed by `localize_click()` when the language is Chinese.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH_CATALOGUE = LOCALE_DIR / "en" / "LC_MESSAGES" / "wenkong.po"
CLICK_CATALOGUE = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "click.po"
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def language() -> str:
    """'en' when the locale asks for English, else 'zh' (Simplified Chinese)."""
    for variable in LOCALE_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value:
            first = value.split(":")[0].strip().lower()
            return "en" if first.startswith("en") else "zh"
    return "zh"


def english() -> bool:
    return language() == "en"


Singular = dict[str, str]
Plural = dict[str, tuple[str, ...]]


@cache
def read_catalogue(path: Path) -> tuple[Singular, Plural]:
    """msgid -> msgstr of a .po file (untranslated and fuzzy entries left out), read by Babel."""
    from babel.messages.pofile import read_po

    singular: Singular = {}
    plural: Plural = {}
    if not path.is_file():
        return singular, plural
    with path.open("rb") as handle:
        catalog = read_po(handle, ignore_obsolete=True)
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            strings = tuple(str(text) for text in message.string or ())
            if strings and all(strings):
                plural[str(message.id[0])] = strings
        elif message.string:
            singular[str(message.id)] = str(message.string)
    return singular, plural


def _(message: str) -> str:
    """The message in the user's language; `message` is the Chinese text (the msgid)."""
    if not english():
        return message
    return read_catalogue(ENGLISH_CATALOGUE)[0].get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Like `_()` for a text that depends on a count (Chinese usually gives the same text twice)."""
    if not english():
        return singular if count == 1 else plural
    forms = read_catalogue(ENGLISH_CATALOGUE)[1].get(singular)
    if forms is None:
        return singular if count == 1 else plural
    return pick(forms, count)


def pick(forms: tuple[str, ...], count: int) -> str:
    """English has two forms (one / other); Chinese catalogues have one."""
    return forms[min(0 if count == 1 else 1, len(forms) - 1)]


def click_text(message: str) -> str:
    """One of click's or typer's own (English) texts, in Chinese unless the locale is English."""
    if english():
        return message
    return read_catalogue(CLICK_CATALOGUE)[0].get(message, message)


def click_ntext(singular: str, plural: str, count: int) -> str:
    if english():
        return singular if count == 1 else plural
    forms = read_catalogue(CLICK_CATALOGUE)[1].get(singular)
    if forms is None:
        return singular if count == 1 else plural
    return pick(forms, count)


def click_modules() -> list[ModuleType]:
    """The modules of click, and of the copy of click that newer typer versions carry."""
    import importlib

    names = ["click.core", "click.decorators", "click.exceptions", "click.formatting",
             "click.parser", "click.termui", "click.types", "typer.core",
             "typer._click.core", "typer._click.formatting"]
    modules = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


def localize_click() -> None:
    """Make click and typer print their own words (Usage:, Options, --help) in Chinese.

    Click's modules bind `from gettext import gettext as _` at import, with no catalogue of
    their own: rebinding those names is the one hook they offer. Typer's copy of click writes
    "Usage: " and the --help text as plain strings: those two are wrapped. Idempotent.
    """
    import gettext

    for module in click_modules():
        if getattr(module, "_", None) is gettext.gettext:
            module._ = click_text  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = click_ntext  # type: ignore[attr-defined]
        formatter = getattr(module, "HelpFormatter", None)
        write_usage = getattr(formatter, "write_usage", None)
        if formatter is not None and write_usage is not None and \
                not getattr(write_usage, "localized", False):
            formatter.write_usage = _usage_in_language(write_usage)
        command = getattr(module, "Command", None)
        get_help_option = getattr(command, "get_help_option", None)
        if command is not None and get_help_option is not None and \
                not getattr(get_help_option, "localized", False):
            command.get_help_option = _help_option_in_language(get_help_option)
    _localize_usage_errors()


# Typer's copy of click builds these error texts as plain f-strings (no gettext): they are
# recognised by shape and said again in Chinese. Anything else keeps click's own words.
_CLICK_ERRORS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"No such option: (?P<name>\S+)(?: \(Possible options: (?P<options>.+)\))?"),
     "没有这个选项：{name}"),
    (re.compile(r"Missing argument (?P<name>.+?)\.(?: (?P<rest>.*))?"), "缺少参数 {name}"),
    (re.compile(r"Missing option (?P<name>.+?)\.(?: (?P<rest>.*))?"), "缺少选项 {name}"),
    (re.compile(r"Invalid value for (?P<name>.+?): (?P<rest>.*)"), "{name} 的值无效：{rest}"),
    (re.compile(r"Invalid value: (?P<rest>.*)"), "值无效：{rest}"),
    (re.compile(r"Got unexpected extra argument(?:s|\(s\))? \((?P<rest>.*)\)"),
     "多余的参数：{rest}"),
    (re.compile(r"Option (?P<name>.+?) does not take a value\."), "选项 {name} 不带值"),
    (re.compile(r"Option (?P<name>.+?) requires (?P<rest>.*)"), "选项 {name} 需要 {rest}"),
]


def usage_error_text(message: str) -> str:
    """Click's usage-error text in the user's language (English: unchanged)."""
    if language() == "en":
        return message
    for pattern, template in _CLICK_ERRORS:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        parts = {k: v or "" for k, v in found.groupdict().items()}
        text = template.format(**parts)
        if parts.get("options"):
            text += f"（可用的选项：{parts['options']}）"
        elif parts.get("rest") and "{rest}" not in template:
            text += f"。{parts['rest']}"
        return text
    return message


def _localize_usage_errors() -> None:
    """Say typer's usage errors (unknown option, missing argument …) in the user's language."""
    try:
        from typer._click import exceptions
        from typer._click._compat import get_text_stderr
        from typer._click.utils import echo
    except ImportError:  # an older typer uses click itself, whose texts go through gettext
        return
    show = exceptions.UsageError.show
    if getattr(show, "localized", False):
        return

    def localized(self: Any, file: Any = None) -> None:
        if language() == "en":
            show(self, file)
            return
        if file is None:
            file = get_text_stderr()
        if self.ctx is not None:
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                command = f"{self.ctx.command_path} {self.ctx.help_option_names[0]}"
                hint = f"运行 '{command}' 查看帮助。\n"
            echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=self.ctx.color)
        echo(f"错误：{usage_error_text(self.format_message())}", file=file,
                        color=self.ctx.color if self.ctx is not None else None)

    localized.localized = True  # type: ignore[attr-defined]
    exceptions.UsageError.show = localized  # type: ignore[method-assign]


def _usage_in_language(write_usage: Any) -> Any:
    def localized(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            text = click_text("Usage:")
            prefix = text if text.endswith("：") else text + " "
        write_usage(self, prog, args, prefix)

    localized.localized = True  # type: ignore[attr-defined]
    return localized


def _help_option_in_language(get_help_option: Any) -> Any:
    def localized(self: Any, ctx: Any) -> Any:
        option = get_help_option(self, ctx)
        if option is not None and option.help == "Show this message and exit.":
            option.help = click_text("Show this message and exit.")
        return option

    localized.localized = True  # type: ignore[attr-defined]
    return localized


# ---- catalogue upkeep (used by `make messages` and tests/test_i18n.py, not at run time) ----

MessageId = str | tuple[str, str]


def source_messages(package: Path = LOCALE_DIR.parent) -> dict[MessageId, list[str]]:
    """Every `_()`/`ngettext()` msgid in the package's code, with where it occurs (Babel)."""
    from babel.messages.extract import extract_from_dir

    found: dict[MessageId, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(package), method_map=[("**.py", "python")],
        keywords={"_": None, "ngettext": (1, 2)},
    ):
        key: MessageId = message if isinstance(message, str) else (message[0], message[1])
        if key:
            found.setdefault(key, []).append(f"generator/{filename}:{lineno}")
    return found


def update_catalogue(path: Path = ENGLISH_CATALOGUE) -> tuple[int, int]:
    """Merge the code's msgids into the English .po: keep translations, add new ids with an
    empty msgstr, drop ids the code no longer has. Sorted, no line numbers, no header, so that
    parallel branches touch only their own entries. Returns (added, dropped)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    old = Catalog(locale="en")
    if path.is_file():
        with path.open("rb") as handle:
            old = read_po(handle, locale="en", ignore_obsolete=True)
    known = {message.id if isinstance(message.id, str) else tuple(message.id): message
             for message in old if message.id}
    wanted = source_messages()
    new = Catalog(locale="en", domain="wenkong", project="wenkong", charset="utf-8")
    for key in sorted(wanted, key=lambda k: k if isinstance(k, str) else k[0]):
        previous = known.get(key)
        if previous is not None and not previous.fuzzy:
            string = previous.string
        else:
            string = "" if isinstance(key, str) else ("", "")
        new.add(key, string)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, new, omit_header=True, sort_output=True, no_location=True, width=100)
    return len(set(wanted) - set(known)), len(set(known) - set(wanted))
