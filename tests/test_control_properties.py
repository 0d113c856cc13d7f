"""Control: properties of content normalisation, word diffs and unit alignment (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.control.content import Unit, normalize_text
from generator.control.diff import compare_units, marked_lines, word_diff

CJK = st.sampled_from(list("文件控制程序记录保存三年品质部每季度抽查，。；：“”（）"))
LATIN = st.sampled_from(list("abcXYZ0123456789-/ "))
TEXT = st.lists(st.one_of(CJK, LATIN, st.just("\n")), max_size=60).map("".join)


@given(TEXT, st.integers(min_value=0, max_value=59))
def test_spaces_and_line_breaks_beside_chinese_do_not_count(text: str, at: int) -> None:
    # Folding a YAML paragraph inserts "\n" or " " between two characters; next to a Chinese
    # character that never changes the normalised text.
    at = min(at, len(text))
    before, after = text[:at], text[at:]
    if (before and not before[-1].isascii()) or (after and not after[0].isascii()):
        assert normalize_text(before + " \n " + after) == normalize_text(before + after)


@given(TEXT)
def test_normalising_twice_changes_nothing(text: str) -> None:
    assert normalize_text(normalize_text(text)) == normalize_text(text)


@settings(max_examples=60, deadline=None)
@given(TEXT, TEXT)
def test_word_diff_rebuilds_both_sides(old: str, new: str) -> None:
    runs = word_diff(old, new)
    assert "".join(t for op, t in runs if op != "insert") == old
    assert "".join(t for op, t in runs if op != "delete") == new
    assert all(runs[i][0] != runs[i + 1][0] for i in range(len(runs) - 1))  # merged
    lines = marked_lines(runs, context=True)
    assert "\n".join("".join(t for _, t in line) for line in lines) == "".join(
        t for _, t in runs)


@settings(max_examples=60, deadline=None)
@given(st.lists(TEXT.filter(lambda t: t.strip() != ""), min_size=1, max_size=8, unique=True),
       st.integers(min_value=0, max_value=8), TEXT.filter(lambda t: t.strip() != ""))
def test_inserting_one_unit_reports_exactly_one_addition(texts: list[str], at: int,
                                                         extra: str) -> None:
    if normalize_text(extra) in {normalize_text(t) for t in texts}:
        return
    old = [Unit(f"5.{i + 1}", "", t, ()) for i, t in enumerate(texts)]
    at = min(at, len(texts))
    new_texts = [*texts[:at], extra, *texts[at:]]
    new = [Unit(f"5.{i + 1}", "", t, ()) for i, t in enumerate(new_texts)]
    changes = compare_units(old, new)
    assert [(c.kind, c.label) for c in changes] == [("added", f"5.{at + 1}")]
