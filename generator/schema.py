"""JSON Schema of each source file kind, from the pydantic models (for editors)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from generator.model import Form, Procedure, RoleFile, Settings
from generator.model.registers import ClauseRegister, DistributionRegister, ExternalRegister
from generator.write import write_file

KINDS: dict[str, type[BaseModel]] = {
    "settings": Settings,
    "roles": RoleFile,
    "procedure": Procedure,
    "form": Form,
    "distribution": DistributionRegister,
    "external": ExternalRegister,
    "clauses": ClauseRegister,
}


def schema_text(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    written = []
    for kind, model in KINDS.items():
        path = folder / f"{kind}.schema.json"
        write_file(path, schema_text(model).encode("utf-8"))
        written.append(path)
    return written
