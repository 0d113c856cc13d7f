"""Version labels under the company's scheme: parse, order, first and next version.

A/0 → A/1 → … → B/0 (letter_revision); V1.0 → V1.1 → V2.0 (semantic); 1 → 2 (integer).
"""

from __future__ import annotations

import re
import string

from generator.i18n import _
from generator.model.settings import VersionScheme

_PATTERNS = {
    VersionScheme.letter_revision: re.compile(r"^(?P<major>[A-Z])/(?P<minor>\d{1,3})$"),
    VersionScheme.semantic: re.compile(r"^V(?P<major>\d{1,3})\.(?P<minor>\d{1,3})$"),
    VersionScheme.integer: re.compile(r"^(?P<major>\d{1,4})$"),
}
_EXAMPLES = {
    VersionScheme.letter_revision: "A/0, A/1, B/0",
    VersionScheme.semantic: "V1.0, V1.1, V2.0",
    VersionScheme.integer: "1, 2, 3",
}


class VersionError(ValueError):
    """A label that does not follow the company's version scheme."""


def parse_version(label: str, scheme: VersionScheme) -> tuple[int, int]:
    """(major, minor) for ordering. Raises VersionError with the scheme's examples."""
    match = _PATTERNS[scheme].fullmatch(label)
    if match is None:
        raise VersionError(
            _("版本 {label!r} 不符合公司的版本规则 {scheme}（例如 {examples}）").format(
                label=label, scheme=scheme.value, examples=_EXAMPLES[scheme])
        )
    major_text = match.group("major")
    major = string.ascii_uppercase.index(major_text) if major_text.isalpha() else int(major_text)
    minor = int(match.groupdict().get("minor") or 0)
    return major, minor


def format_version(major: int, minor: int, scheme: VersionScheme) -> str:
    if scheme is VersionScheme.letter_revision:
        if major >= len(string.ascii_uppercase):
            raise VersionError(_("版次字母将超过 Z"))
        return f"{string.ascii_uppercase[major]}/{minor}"
    if scheme is VersionScheme.semantic:
        return f"V{major}.{minor}"
    return str(major)


def first_version(scheme: VersionScheme) -> str:
    return {
        VersionScheme.letter_revision: "A/0",
        VersionScheme.semantic: "V1.0",
        VersionScheme.integer: "1",
    }[scheme]


def next_version(label: str | None, scheme: VersionScheme, *, major: bool = False) -> str:
    """The version a release gets after `label` (None: never released → the first version)."""
    if label is None:
        return first_version(scheme)
    current_major, current_minor = parse_version(label, scheme)
    if scheme is VersionScheme.integer:
        return format_version(current_major + 1, 0, scheme)
    if major:
        return format_version(current_major + 1, 0, scheme)
    return format_version(current_major, current_minor + 1, scheme)


def file_safe(label: str) -> str:
    """A version as it appears in a file name: A/1 → A-1."""
    return label.replace("/", "-")
