"""Control stage: the words document control shows to users, in one place.

Section numbers come from the resolved set; these name the parts of a document that carry no
number (the cover, a form's sign-off row) and the separators of the revision-history column.
An English edition replaces this table, not code.
"""

from __future__ import annotations

UNIT_NAMES = {
    "cover": "封面",  # title, owner, countersign, distribution
    "instructions": "填表说明",
    "signoff": "签字栏",
    "form_section": "第{n}栏",
}
WHOLE_DOCUMENT = "全文"  # the revision history's "clauses changed" for a first issue or rewrite
FIRST_ISSUE = "首次发行"
CLAUSE_SEPARATOR = "、"
ADDED = "新增"
REMOVED = "删除"
