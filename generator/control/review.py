"""Control stage: periodic review (定期评审): which documents are due or overdue.

The next review date is computed by the resolve stage (last review, or the effective date,
plus the document's interval or the company default); this module only compares it with a day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from generator.docset import DocumentSet
from generator.model.procedure import Status

DEFAULT_WINDOW_DAYS = 30  # "due": the review falls within the next month


@dataclass(frozen=True)
class ReviewDue:
    code: str
    title: str
    version: str
    owner: str  # department name
    last_review: dt.date | None  # None: never reviewed since it took effect
    effective_date: dt.date | None
    interval_months: int
    next_review: dt.date
    days: int  # days overdue (> 0), or days left (<= 0 means due in -days days)
    state: Literal["overdue", "due"]

    @property
    def overdue(self) -> bool:
        return self.state == "overdue"


def reviews_due(docset: DocumentSet, as_of: dt.date,
                window_days: int = DEFAULT_WINDOW_DAYS) -> list[ReviewDue]:
    """Effective procedures whose review is overdue, or due within `window_days`, by urgency."""
    found = []
    for doc in docset.procedures.values():
        if doc.status is not Status.effective or doc.next_review is None:
            continue
        days = (as_of - doc.next_review).days
        if days <= -window_days - 1:
            continue
        found.append(ReviewDue(
            code=doc.code, title=doc.title, version=doc.version, owner=doc.owner.name,
            last_review=doc.model.last_review, effective_date=doc.model.effective_date,
            interval_months=doc.review_interval_months, next_review=doc.next_review,
            days=days, state="overdue" if days > 0 else "due",
        ))
    return sorted(found, key=lambda r: (-r.days, r.code))
