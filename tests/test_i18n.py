"""Messages in two languages: every msgid of the code has its English translation, the locale
picks the language, and click's own words follow it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from generator import i18n
from generator.i18n import CLICK_CATALOGUE, ENGLISH_CATALOGUE, _, ngettext, source_messages

REPO = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}")
HAN = re.compile(r"[\u4e00-\u9fff]")


def catalogue(path: Path) -> dict[object, object]:
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else tuple(m.id): m.string
                for m in read_po(handle) if m.id}


def test_every_message_of_the_code_has_chinese_and_english() -> None:
    found = source_messages()
    english = catalogue(ENGLISH_CATALOGUE)
    assert len(found) >= 30  # the CLI alone has more: extraction must be working
    problems = []
    for msgid, where in sorted(found.items(), key=str):
        ids = (msgid,) if isinstance(msgid, str) else msgid
        if not any(HAN.search(text) for text in ids) and not all(
                PLACEHOLDER.fullmatch(text.strip()) for text in ids):
            problems.append(f"{where[0]}: msgid is not Chinese: {msgid!r}")
        translation = english.get(msgid)
        strings = (translation,) if isinstance(translation, str) else tuple(translation or ())
        if not strings or not all(strings):
            problems.append(f"{where[0]}: no English translation of {msgid!r} in "
                            f"{ENGLISH_CATALOGUE.relative_to(REPO)} (run `make messages`)")
            continue
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(ids[-1])) and \
                    sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(ids[0])):
                problems.append(f"{where[0]}: placeholders differ: {msgid!r} -> {text!r}")
    stale = [msgid for msgid in english if msgid not in found]
    problems += [f"{ENGLISH_CATALOGUE.name}: no longer in the code (run `make messages`): "
                 f"{msgid!r}" for msgid in stale]
    assert problems == []


def test_click_translations_name_words_click_and_typer_still_have() -> None:
    import click
    import typer

    words: set[object] = set()
    for package in (click, typer):
        words |= set(source_messages(Path(package.__file__).parent))
    chinese = catalogue(CLICK_CATALOGUE)
    assert "Usage:" in chinese
    missing = [msgid for msgid in chinese if msgid not in words]
    assert missing == [], "click/typer changed these texts; update click.po"


@pytest.mark.parametrize(("variables", "expected"), [
    ({}, "zh"),
    ({"LANG": "C.UTF-8"}, "zh"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LANGUAGE": "en:zh_CN", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, "zh"),
])
def test_the_first_locale_variable_set_picks_the_language(
        monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], expected: str) -> None:
    for name in i18n.LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert i18n.language() == expected


def test_translation_follows_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    english = catalogue(ENGLISH_CATALOGUE)
    msgid, translation = next((k, v) for k, v in english.items() if isinstance(k, str))
    monkeypatch.setenv("LANGUAGE", "zh_CN")
    assert _(msgid) == msgid
    monkeypatch.setenv("LANGUAGE", "en")
    assert _(msgid) == translation != msgid
    assert _("这句话不在目录里") == "这句话不在目录里"  # unknown text: shown as written
    assert ngettext("{n} 个", "{n} 个", 2) == "{n} 个"


def run_help(language: str, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in i18n.LOCALE_VARIABLES}
    env.update(LANGUAGE=language, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "generator", *args, "--help"], env=env,
                          capture_output=True, text=True, check=True, cwd=REPO).stdout


def test_help_is_chinese_by_default_and_english_on_request() -> None:
    chinese = run_help("zh_CN")
    english = run_help("en")
    assert "用法：" in chinese and "显示本帮助并退出。" in chinese
    assert "Usage:" in english and "Show this message and exit." in english
    for line in chinese.split("命令")[-1].splitlines()[1:]:
        assert "..." not in line, f"short help cut mid-sentence: {line!r}"
    for line in english.split("Commands:")[-1].splitlines()[1:]:
        assert "..." not in line, f"short help cut mid-sentence: {line!r}"


def run_wrong(language: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in i18n.LOCALE_VARIABLES}
    env.update(LANGUAGE=language, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "generator", *args], env=env,
                          capture_output=True, text=True, check=False, cwd=REPO)


@pytest.mark.parametrize(("args", "chinese", "english"), [
    (("build", "--nosuch"), "错误：没有这个选项：--nosuch", "Error: No such option: --nosuch"),
    (("diff",), "错误：缺少参数 'code'", "Error: Missing argument 'code'."),
    (("validate", "a", "b"), "错误：多余的参数：b", "Error: Got unexpected extra argument"),
])
def test_usage_errors_speak_the_users_language(
        args: tuple[str, ...], chinese: str, english: str) -> None:
    zh = run_wrong("zh_CN", *args)
    assert zh.returncode == 2 and chinese in zh.stderr, zh.stderr
    assert "查看帮助" in zh.stderr and "Error:" not in zh.stderr and "Try '" not in zh.stderr
    en = run_wrong("en", *args)
    assert en.returncode == 2 and english in en.stderr, en.stderr


# Errors the user reads: their text must go through _() (Chinese msgid, English catalogue).
USER_ERRORS = frozenset({"WenkongError", "UsageError", "OutputError", "GitError", "RecordErrors",
                         "SourceErrors"})


def _unwrapped_messages(source: str, name: str) -> list[str]:
    """`raise UserError("English …")` and friends in `source`: a user-facing error whose
    text has words but is neither Chinese nor passed through _()."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                and node.exc.args):
            continue
        func = node.exc.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called not in USER_ERRORS:
            continue
        argument = node.exc.args[0]
        calls = {n.func.id for n in ast.walk(argument)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        if calls & {"_", "ngettext"}:
            continue
        literal = "".join(n.value for n in ast.walk(argument)
                          if isinstance(n, ast.Constant) and isinstance(n.value, str))
        if re.search(r"[A-Za-z]{4,}", literal) and not HAN.search(literal):
            found.append(f"{name}:{node.lineno}: {literal[:60]!r}")
    return found


def test_user_facing_errors_are_written_in_chinese_through_the_catalogue() -> None:
    problems = []
    for path in sorted((REPO / "generator").rglob("*.py")):
        problems += _unwrapped_messages(path.read_text(encoding="utf-8"),
                                        str(path.relative_to(REPO)))
    assert problems == []


def test_the_error_check_finds_an_english_message() -> None:
    source = ('def f():\n    raise UsageError(f"{code} is broken, fix it")\n'
              'def g():\n    raise UsageError(_("{code} 坏了").format(code=1))\n')
    assert _unwrapped_messages(source, "x.py") == ["x.py:2: ' is broken, fix it'"]
