"""Cache keys of resolved documents: a digest of everything a renderer can read of one.

A resolved document (`ProcedureDoc`, `FormDoc`) already carries what it cites as it prints:
every reference holds the cited document's code, title and clause number, every role its name,
every picture its bytes. Its digest (`digest`) is therefore a key for its rendered output once
the set-wide inputs (settings, roles, template, labels: `set_part`) and the generator
(`cache.generator_digest()`) are added. A clause edit in one procedure changes that procedure's
digest and the digest of any document whose references print that clause's number, nothing
else.

The digest is the SHA-256 of a pickle of the object in which every pydantic model is replaced by
its JSON (same value, same text; computed once per object and build), pickled without a memo so
that nothing depends on which equal values are one object, on addresses or on the hash seed.
Two different values never share a digest; equal values share one (tested across processes
and between a set parsed afresh and one read from the load cache).

A document the resolver made is digested by what it was made from instead (`docset.inputs_of`:
its file's load key, the settings and roles, the values it looked up in other documents), which
costs a string rather than a pickle of the whole document; a document made otherwise (a copy
through `dataclasses.replace`, a test's) is digested whole as above.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import pickle
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from generator.docset import FormDoc, ProcedureDoc, inputs_of
from generator.numbering import Numbering

_PROTOCOL = 5


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _document(doc: ProcedureDoc | FormDoc) -> object:
    # By what the resolver made it from, when known (docset.inputs_of): a digest of the
    # document's file, the settings and roles and every value it looked up in the others,
    # instead of the whole document (pickling 1,000 procedures took about 2 s).
    inputs = inputs_of(doc)
    if inputs is None:
        return doc.__reduce_ex__(_PROTOCOL)
    return str, (f"{type(doc).__name__}:{inputs.hex()}",)


def _numbering(numbering: Numbering) -> tuple[type, tuple[str]]:
    # By its formats only: a Numbering also memoizes the labels printed so far (shared by every
    # procedure of the set, filled in whatever order rendering asked), which is no part of it.
    return str, (f"Numbering{(numbering.levels, numbering.continuous)!r}",)


class Digests:
    """Digests of values of one build. Models are dumped once each (roles are cited by many
    documents), so keep one `Digests` per build and let it go with the build's objects: the
    memo is by object identity.

    `named`: models digested by name alone, such as the set's roles (`role:quality`) when the
    key holds every role in full anyway: the very objects only, not equal copies. `replace`
    stands what its function returns in for objects of its types (the site digests a page's
    values with each document as its own digest)."""

    def __init__(self, named: Mapping[str, BaseModel] | None = None,
                 replace: Mapping[type, Callable[[Any], Any]] | None = None) -> None:
        self._json: dict[int, tuple[object, str]] = {}
        for name, model in (named or {}).items():
            self._json[id(model)] = (model, f"named:{name}")
        self._table: dict[type, Callable[[Any], Any]] = {}
        self._replace = dict(replace or {})

    def _model(self, model: BaseModel) -> tuple[type, tuple[str]]:
        found = self._json.get(id(model))
        if found is None or found[0] is not model:
            found = self._json[id(model)] = (
                model, f"{type(model).__module__}.{type(model).__qualname__}"
                       f"{model.model_dump_json()}")
        return str, (found[1],)

    def _dispatch(self) -> dict[type, Callable[[Any], Any]]:
        # Every model class imported by the time of the first digest (the resolved set's).
        if not self._table:
            self._table = dict(copyreg.dispatch_table)
            self._table.update({cls: self._model for cls in _subclasses(BaseModel)})
            self._table[Numbering] = _numbering
            self._table[ProcedureDoc] = self._table[FormDoc] = _document
            self._table.update(self._replace)
        return self._table

    def digest(self, value: object) -> bytes:
        """SHA-256 of `value` (resolved documents, models, tuples, strings, dates, bytes …)."""
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=_PROTOCOL)
        pickler.dispatch_table = self._dispatch()
        # No memo: with it the bytes would say which equal strings and tuples are one object,
        # which depends on how they were made (parsed now or read from the load cache).
        pickler.fast = True
        pickler.dump(value)
        return hashlib.sha256(buffer.getvalue()).digest()


def document_digests(roles: Mapping[str, BaseModel]) -> Digests:
    """Digests for the documents of a set whose key holds every role in full already (the
    renderers print role names anywhere): each role inside a document is digested by its id."""
    return Digests({f"role:{role_id}": role for role_id, role in roles.items()})
