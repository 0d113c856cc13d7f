"""Model stage: departments and positions (roles.yaml)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from generator.model.common import Id, Strict, Text


class RoleKind(StrEnum):
    department = "department"
    position = "position"


class Role(Strict):
    """A department (品质部) or position (管理者代表) that documents assign duties to."""

    id: Id
    name: Text
    name_en: str | None = None
    kind: RoleKind = RoleKind.department
    parent: Id | None = Field(
        default=None, description="Id of the department this role belongs to."
    )
    description: str | None = None


class RoleFile(Strict):
    """roles.yaml: every role the document set may name."""

    roles: list[Role] = Field(min_length=1)
