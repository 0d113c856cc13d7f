"""Load stage: YAML → plain data with positions; every rejection names file:line:col."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator.errors import SourceErrors
from generator.load import format_loc, parse_yaml, read_yaml


def problem_lines(text: str) -> list[str]:
    with pytest.raises(SourceErrors) as caught:
        parse_yaml(text, Path("x.yaml"), "procedures/x.yaml")
    return [str(p) for p in caught.value.problems]


def test_positions_point_at_keys_and_items() -> None:
    source = parse_yaml("a: 1\nb:\n  - x\n  - c: 2\n", Path("x"), "x.yaml")
    assert source.where(("a",)) == (1, 1)
    assert source.where(("b", 1)) == (4, 5)
    assert source.where(("b", 1, "c")) == (4, 5)
    # a missing path falls back to its nearest ancestor
    assert source.where(("b", 1, "missing")) == (4, 5)


def test_syntax_error_names_line() -> None:
    assert problem_lines("a: [1\nb: 2\n")[0].startswith("procedures/x.yaml:2:2: YAML 语法错误")


def test_duplicate_key_is_rejected_at_second_occurrence() -> None:
    lines = problem_lines("title: a\nscope: b\ntitle: c\n")
    assert lines == [
        "procedures/x.yaml:3:1: title: 重复的键 'title'（第一次出现在第 1 行）；"
        "YAML 会悄悄只保留最后一个"
    ]


def test_nested_duplicate_key() -> None:
    lines = problem_lines("approval:\n  author: {name: a}\n  author: {name: b}\n")
    assert lines[0].startswith("procedures/x.yaml:3:3: approval.author: 重复的键")


def test_impossible_date_is_rejected() -> None:
    lines = problem_lines("issue_date: 2026-02-30\n")
    assert lines == ["procedures/x.yaml:1:13: issue_date: '2026-02-30' 不是有效日期"]


def test_python_object_tags_are_refused() -> None:
    lines = problem_lines("a: !!python/object/apply:os.system [echo hi]\n")
    assert "不允许 YAML 标签" in lines[0] and lines[0].startswith("procedures/x.yaml:1:4:")


def test_billion_laughs_is_refused_quickly() -> None:
    text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
    # Expanded, the document holds 9**9 (387 million) values: reading it whole would take
    # minutes and gigabytes. The loader stops at its cap; 30 s leaves room for a loaded CI
    # machine while still failing when the cap is gone (speed itself is measured in bench/).
    started = time.perf_counter()
    lines = problem_lines(text)
    assert time.perf_counter() - started < 30
    assert "展开别名" in lines[0]


def test_small_aliases_are_fine() -> None:
    source = parse_yaml("a: &x [1, 2]\nb: *x\n", Path("x"), "x.yaml")
    assert source.data == {"a": [1, 2], "b": [1, 2]}


def test_empty_file() -> None:
    assert problem_lines("# only a comment\n") == ["procedures/x.yaml:1:1: 文件是空的"]


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("title: 文件控制程序\n".encode("gbk"))
    with pytest.raises(SourceErrors) as caught:
        read_yaml(path, "procedures/gbk.yaml")
    assert "不是 UTF-8" in str(caught.value.problems[0])


def test_format_loc() -> None:
    assert format_loc(("procedure", 1, "body", 0, "table")) == "procedure[1].body[0].table"


# Text that XML can hold (the loader refuses the rest, tested below).
xml_text = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)] + ["\ufffe",
                                                                                "\uffff"])
scalars = st.one_of(
    st.text(xml_text, min_size=0, max_size=30),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.booleans(),
    st.none(),
    st.dates(),
)
keys = st.text(xml_text, min_size=1, max_size=8).filter(lambda k: k != "<<")  # no merge keys
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(keys, documents, min_size=1, max_size=5))
def test_loader_reads_what_pyyaml_writes(data: dict[str, object]) -> None:
    """Any data safely dumped comes back equal: the loader loses nothing (keys as text)."""
    text = yaml.safe_dump(data, allow_unicode=True)
    assert parse_yaml(text, Path("x"), "x.yaml").data == yaml.safe_load(text)


@given(st.text(xml_text, max_size=10), st.sampled_from(
    [chr(c) for c in range(32) if c not in (9, 10, 13)] + ["\ufffe", "\uffff"]),
    st.text(xml_text, max_size=10))
def test_text_xml_cannot_hold_is_refused_where_it_is(before: str, bad: str, after: str) -> None:
    text = yaml.safe_dump({"title": before + bad + after}, allow_unicode=True)
    with pytest.raises(SourceErrors) as caught:
        parse_yaml(text, Path("x"), "x.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (1, "title")
    assert f"U+{ord(bad):04X}" in problem.message


def test_merge_keys_are_refused() -> None:
    lines = problem_lines("base: &b {a: 1}\nother:\n  <<: *b\n")
    assert lines == ["procedures/x.yaml:3:3: other: 不支持合并键（<<）"]


def test_folded_chinese_text_gets_no_spaces_at_line_breaks() -> None:
    text = "purpose: >-\n  确保源文件，\n  提交前经过审核。\n  Use English\n  words.\n"
    source = parse_yaml(text, Path("x"), "x.yaml")
    assert source.data["purpose"] == "确保源文件，提交前经过审核。 Use English words."


def test_written_files_are_readable_by_others(tmp_path: Path) -> None:
    import os
    import stat

    from generator.write import write_file

    old = os.umask(0o022)
    try:
        write_file(tmp_path / "a.yaml", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.yaml").stat().st_mode) == 0o644
