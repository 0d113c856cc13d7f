"""pydantic's errors in the user's words: Chinese by default, plain English on request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import errors
from tests.test_resolve import qp02, replace, rich_set  # noqa: F401 (fixture)

CASES = [
    ("duties: [保存【form:QR-02-01】。]", "duties: []", "responsibilities[0].duties: 不能为空",
     "responsibilities[0].duties: may not be empty"),
    ("definition: 按严重程度分级。", "definition: ''", "terms[0].definition: 不能为空",
     "terms[0].definition: may not be empty"),
    ("status: effective", "status: active", "status: 不能用 'active'；可选：",
     "status: 'active' is not allowed; choose "),
    ("issue_date: 2026-03-01", "issue_date: 下周一", "issue_date: 须是日期，如 2026-11-23",
     "issue_date: must be a date, e.g. 2026-11-23"),
    ("countersign: [quality, gm]", "countersign: {a: 1}", "countersign: 须是列表",
     "countersign: must be a list"),
    ("  reviewer: {name: 李娜, role: mgmt-rep, date: 2026-02-25}\n"
     "  approver: {name: 王强, role: gm, date: 2026-02-28}\n",
     "  reviewer: {name: 李娜, role: mgmt-rep, date: 2026-02-25}\n",
     "approval: 已生效的文件须有批准人",
     "approval: a document that is effective needs an approver"),
]


@pytest.mark.parametrize(("old", "new", "chinese", "english"), CASES)
def test_messages_speak_the_users_words(
    rich_set: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
    old: str, new: str, chinese: str, english: str,
) -> None:
    replace(qp02(rich_set), old, new)
    found = errors(rich_set)
    assert any(chinese in line for line in found), found
    monkeypatch.setenv("LANGUAGE", "en")
    found = errors(rich_set)
    assert any(english in line for line in found), found
    for line in found:
        assert "Input should" not in line and "after validation" not in line, line
        assert " a effective" not in line and " a obsolete" not in line, line
