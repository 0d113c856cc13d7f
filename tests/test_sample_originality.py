"""The sample set is written in our own words: no sentence-length run copied from the seeds."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO

SEEDS = REPO.parent / "shared" / "seeds"
RUN = 18  # characters; shorter shared runs are stock phrases (PFMEA、控制计划和作业指导书)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def copied_runs(text: str, source: str) -> list[str]:
    """Runs of RUN characters of `text` (whitespace ignored) that also stand in `source`."""
    source, text = squeeze(source), squeeze(text)
    runs = {source[i:i + RUN] for i in range(len(source) - RUN + 1)}
    return [text[i:i + RUN] for i in range(len(text) - RUN + 1) if text[i:i + RUN] in runs]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="reference seeds are not on this machine")
def test_no_sentence_is_copied_from_the_reference_texts() -> None:
    seeds = "".join(p.read_text(encoding="utf-8", errors="ignore")
                    for p in sorted(SEEDS.glob("*.txt")))
    copied = []
    for path in sorted([*REPO.glob("procedures/*.yaml"), *REPO.glob("forms/*.yaml")]):
        copied += [f"{path.name}: {run}" for run in
                   copied_runs(path.read_text(encoding="utf-8"), seeds)]
    assert copied == []


def test_copied_runs_finds_a_copy_despite_line_breaks() -> None:
    source = "前文。本程序规定了产品和服务的控制要求，旨在确保产品的使用价值得以实现。后文"
    copy = "purpose: 本程序规定了产品和服务的\n  控制要求，旨在确保产品的使用价值得以实现。"
    assert copied_runs(copy, source)
    own_words = "purpose: 为及时处理顾客反馈、持续改进服务质量，特制定本程序。"
    assert copied_runs(own_words, source) == []
