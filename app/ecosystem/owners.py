"""Owner entries as identities: `github:alice`, `gitlab:@group/sub`, `email:a@b.example` (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

IDENTITY_FORMS = (
    "github:<user>, github:@<org>/<team>, gitlab:<user>, gitlab:@<group>[/<subgroup>...], "
    "gitea:<user>, gitea:@<org>/<team> or email:<address>"
)
FORGES = ("github", "gitlab", "gitea")
# A name: letters and digits, with single '-', '_' or '.' between them (GitLab and Gitea
# allow all three; GitHub user and organization names only '-').
_NAME = r"[A-Za-z0-9](?:[-_.]?[A-Za-z0-9])*"
_GITHUB_NAME = r"[A-Za-z0-9](?:-?[A-Za-z0-9])*"
_GITHUB_TEAM = r"[A-Za-z0-9](?:[-_]?[A-Za-z0-9])*"
# Stricter than RFC 5322 on purpose: no character a CODEOWNERS line would read as syntax.
_EMAIL_LOCAL = r"[A-Za-z0-9%+_-]+(?:\.[A-Za-z0-9%+_-]+)*"
_DOMAIN_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
MAX_NAME = 255  # no forge allows a longer user, team or group name
MAX_GROUP_DEPTH = 20  # GitLab nests subgroups 20 levels deep at most


class OwnerKind(StrEnum):
    USER = "user"
    TEAM = "team"  # a GitHub or Gitea team of an organization: org/team
    GROUP = "group"  # a GitLab group, possibly nested: group/sub/sub
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Owner:
    """An identity that owns part of the model: a forge's user, team or group, or an email."""

    forge: str  # github, gitlab, gitea, or email
    kind: OwnerKind
    name: str  # the user, `org/team`, `group/sub` or the email address

    def __str__(self) -> str:
        """The entry as written in the model, e.g. `github:@acme/risk`."""
        at = "@" if self.kind in (OwnerKind.TEAM, OwnerKind.GROUP) else ""
        return f"{self.forge}:{at}{self.name}"

    @property
    def key(self) -> tuple[str, OwnerKind, str]:
        """What identifies the owner: forges compare names ignoring case, and so do we."""
        return self.forge, self.kind, self.name.casefold()

    def matches(self, other: Owner) -> bool:
        """Whether two owners are the same identity (e.g. an approver and an owner)."""
        return self.key == other.key


class OwnerSyntaxError(ValueError):
    """An entry names a forge or email but is not written the way that form requires."""


_FORMS: dict[str, tuple[tuple[re.Pattern[str], OwnerKind], ...]] = {
    "github": (
        (re.compile(_GITHUB_NAME), OwnerKind.USER),
        (re.compile(rf"@{_GITHUB_NAME}/{_GITHUB_TEAM}"), OwnerKind.TEAM),
    ),
    "gitlab": (
        (re.compile(_NAME), OwnerKind.USER),
        (re.compile(rf"@{_NAME}(?:/{_NAME}){{0,{MAX_GROUP_DEPTH - 1}}}"), OwnerKind.GROUP),
    ),
    "gitea": (
        (re.compile(_NAME), OwnerKind.USER),
        (re.compile(rf"@{_NAME}/{_NAME}"), OwnerKind.TEAM),
    ),
    "email": (
        (re.compile(rf"{_EMAIL_LOCAL}@(?:{_DOMAIN_LABEL}\.)+{_DOMAIN_LABEL}"), OwnerKind.EMAIL),
    ),
}


@lru_cache(maxsize=4096)
def parse_owner(entry: str) -> Owner | None:
    """The identity an owner entry names; None for free text; OwnerSyntaxError when malformed."""
    prefix, colon, rest = entry.partition(":")
    scheme = prefix.strip().casefold()
    if not colon or scheme not in _FORMS:
        return None
    if prefix != scheme:
        raise OwnerSyntaxError(f"the prefix {prefix!r} must be written {scheme!r}")
    if len(rest) > MAX_NAME + 1:
        raise OwnerSyntaxError(f"a {scheme} name has at most {MAX_NAME} characters")
    for pattern, kind in _FORMS[scheme]:
        if pattern.fullmatch(rest):
            return Owner(scheme, kind, rest.removeprefix("@"))
    raise OwnerSyntaxError(f"{rest!r} is not a valid {scheme} {_expected(scheme)}")


def _expected(scheme: str) -> str:
    return {
        "github": "user (letters, digits and single '-') or @<org>/<team>",
        "gitlab": "user or @<group>[/<subgroup>...] (letters, digits, single '-', '_' or '.')",
        "gitea": "user or @<org>/<team> (letters, digits, single '-', '_' or '.')",
        "email": "address (one '@' and a domain with a dot, no spaces)",
    }[scheme]


def identities(entries: Iterable[str]) -> tuple[Owner, ...]:
    """The identities among owner entries, in order, each once; free text and bad entries skipped."""
    found: dict[tuple[str, OwnerKind, str], Owner] = {}
    for entry in entries:
        try:
            owner = parse_owner(entry)
        except OwnerSyntaxError:
            continue
        if owner is not None:
            found.setdefault(owner.key, owner)
    return tuple(found.values())
