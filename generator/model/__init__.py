"""Model stage: the vocabulary of the domain as pydantic models. No rendering, no I/O."""

from generator.model.common import Approval, Person, Revision
from generator.model.form import Form, FormField, FormSection, FormTable, SignOff
from generator.model.procedure import (
    Attachment,
    Block,
    Branch,
    CheckboxRow,
    Clause,
    Formula,
    ListBlock,
    ListItem,
    Note,
    Procedure,
    ProcessStep,
    ProcessTable,
    RecordEntry,
    RelatedDocument,
    Responsibility,
    Table,
    Term,
    TermClass,
)
from generator.model.role import Role, RoleFile
from generator.model.settings import Settings

__all__ = [
    "Approval",
    "Attachment",
    "Block",
    "Branch",
    "CheckboxRow",
    "Clause",
    "Form",
    "FormField",
    "FormSection",
    "FormTable",
    "Formula",
    "ListBlock",
    "ListItem",
    "Note",
    "Person",
    "Procedure",
    "ProcessStep",
    "ProcessTable",
    "RecordEntry",
    "RelatedDocument",
    "Responsibility",
    "Revision",
    "Role",
    "RoleFile",
    "Settings",
    "SignOff",
    "Table",
    "Term",
    "TermClass",
]
