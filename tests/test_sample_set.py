"""The bundled sample set: valid, complete, and exercising every feature of the model."""

from __future__ import annotations

from collections import Counter

import pytest

from generator.docset import (
    CheckboxesR,
    DocumentSet,
    FormulaR,
    ListR,
    NoteR,
    Paragraph,
    ProcessR,
    Ref,
    TableR,
)
from generator.model.form import FieldType, Widget
from generator.model.procedure import ListStyle, Status
from generator.resolve import load_document_set
from tests.conftest import REPO


@pytest.fixture(scope="module")
def sample() -> DocumentSet:
    return load_document_set(REPO)


def refs_in(rich: object) -> list[Ref]:
    return [part for part in rich if isinstance(part, Ref)]  # type: ignore[attr-defined]


def all_blocks(docset: DocumentSet) -> list[tuple[str, object]]:
    found = []
    for code, doc in docset.procedures.items():
        for clause in doc.all_clauses():
            found.extend((code, block) for block in clause.blocks)
    return found


def test_sample_set_is_clean(sample: DocumentSet) -> None:
    assert [str(w) for w in sample.warnings] == []


def test_sample_set_is_complete(sample: DocumentSet) -> None:
    assert len(sample.procedures) >= 12
    assert len(sample.forms) >= 20
    titles = " ".join(p.title for p in sample.procedures.values())
    for needed in ("文件控制", "记录控制", "顾客反馈", "产品和服务要求", "投诉", "不合格",
                   "满意度", "纠正和预防"):
        assert needed in titles, needed
    statuses = Counter(p.status for p in sample.procedures.values())
    assert {Status.draft, Status.in_review, Status.effective, Status.obsolete} <= set(statuses)


def test_every_block_kind_is_used(sample: DocumentSet) -> None:
    kinds = Counter(type(block).__name__ for _, block in all_blocks(sample))
    for kind in (Paragraph, ListR, NoteR, TableR, FormulaR, CheckboxesR, ProcessR):
        assert kinds[kind.__name__] > 0, kind.__name__


def test_every_list_style_and_nesting(sample: DocumentSet) -> None:
    lists = [b for _, b in all_blocks(sample) if isinstance(b, ListR)]
    assert {lst.style for lst in lists} == set(ListStyle)
    assert any(entry.sublist is not None for lst in lists for entry in lst.items)


def test_process_tables_with_decisions_in_two_procedures(sample: DocumentSet) -> None:
    with_decisions = {code for code, b in all_blocks(sample)
                      if isinstance(b, ProcessR) and any(s.is_decision for s in b.steps)}
    assert len(with_decisions) >= 2
    loops = [
        b for _, b in all_blocks(sample) if isinstance(b, ProcessR)
        for step in b.steps for branch in step.branches
        if branch.to_label <= (step.label or "")
    ]
    assert loops, "a branch that loops back"


def test_formulas_terms_and_references(sample: DocumentSet) -> None:
    formulas = [b for _, b in all_blocks(sample) if isinstance(b, FormulaR)]
    assert any(f.numerator for f in formulas) and any(f.expression for f in formulas)
    assert any(t.classes for p in sample.procedures.values() for t in p.terms)
    kinds: set[str] = set()
    cross_clause = False
    for doc in sample.procedures.values():
        for clause in doc.all_clauses():
            texts = [clause.text or ()] + [b.text for b in clause.blocks
                                           if isinstance(b, Paragraph | NoteR)]
            for text in texts:
                for ref in refs_in(text):
                    kinds.add(ref.kind)
                    cross_clause |= ref.kind == "clause" and ref.code != doc.model.code
    assert kinds == {"form", "procedure", "role", "clause"}
    assert cross_clause


def test_procedure_level_features(sample: DocumentSet) -> None:
    docs = list(sample.procedures.values())
    assert any(r.ref is None for d in docs for r in d.related)
    assert any(r.ref is not None for d in docs for r in d.related)
    assert any(a.process is not None for d in docs for a in d.attachments)
    assert any(a.form is not None for d in docs for a in d.attachments)
    assert any(d.model.review_interval_months for d in docs)
    assert any(d.model.last_review for d in docs)
    assert any(len(d.model.revisions) >= 3 for d in docs)
    assert any(r.version.startswith("B/") for d in docs for r in d.model.revisions)
    assert any(e.custodian or e.retention for d in docs for e in d.model.records)
    assert all(d.countersign and d.distribution for d in docs if d.status is Status.effective)


def test_forms_use_every_field_type(sample: DocumentSet) -> None:
    fields = [f for form in sample.forms.values() for s in form.model.sections for f in s.fields]
    assert {f.type for f in fields} == set(FieldType)
    assert {f.widget for f in fields if f.type is FieldType.choice} == set(Widget)
    assert any(f.required for f in fields) and any(f.hint for f in fields)
    forms = [f.model for f in sample.forms.values()]
    assert any(f.landscape for f in forms)
    assert any(s.table is not None for f in forms for s in f.sections)
    assert all(f.signoff for f in forms)


def test_models_round_trip_through_yaml(sample: DocumentSet) -> None:
    """Dumping a model to YAML and loading it back gives the same model (nothing is lost)."""
    from pathlib import Path

    import yaml

    from generator.load import parse_yaml, to_model

    models = [d.model for d in sample.procedures.values()] + [
        f.model for f in sample.forms.values()]
    for model in models:
        text = yaml.safe_dump(model.model_dump(mode="json", exclude_defaults=True),
                              allow_unicode=True, sort_keys=False)
        problems: list = []
        again = to_model(parse_yaml(text, Path("x"), "x.yaml"), type(model), problems)
        assert problems == [] and again == model, model.code
