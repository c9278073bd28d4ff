"""Push webhooks of GitHub, GitLab and Gitea: the signature checked, the push read, relevance decided.

Signatures are checked over the raw body, in constant time, before anything is parsed: GitHub
signs with HMAC-SHA256 in `X-Hub-Signature-256` (`sha256=<hex>`), Gitea in `X-Gitea-Signature`
(`<hex>`), and GitLab sends the shared secret itself in `X-Gitlab-Token`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import InvalidParameterError, UnauthorizedError

ZERO_SHA = "0" * 40


@dataclass(frozen=True, slots=True)
class Provider:
    """How one git host signs and names its webhook deliveries."""

    name: str  # github, gitlab or gitea: also the ingest's trigger
    title: str
    event_header: str
    delivery_header: str
    push_events: tuple[str, ...]
    ping_events: tuple[str, ...]


GITHUB = Provider("github", "GitHub", "x-github-event", "x-github-delivery", ("push",), ("ping",))
GITLAB = Provider("gitlab", "GitLab", "x-gitlab-event", "x-gitlab-event-uuid", ("Push Hook",), ())
GITEA = Provider("gitea", "Gitea", "x-gitea-event", "x-gitea-delivery", ("push",), ())
PROVIDERS = {p.name: p for p in (GITHUB, GITLAB, GITEA)}


def verify(provider: Provider, body: bytes, headers: Mapping[str, str], secret: str | None) -> None:
    """Refuse (401) a delivery whose signature or token does not match the configured secret."""
    if not secret:
        variable = f"ECOPLANE_WEBHOOK_SECRET_{provider.name.upper()}"
        raise UnauthorizedError(f"no {provider.title} webhook secret is configured ({variable})")
    if provider is GITLAB:
        header, given = "X-Gitlab-Token", headers.get("x-gitlab-token")
        expected = secret
    else:
        header = "X-Hub-Signature-256" if provider is GITHUB else "X-Gitea-Signature"
        given = headers.get(header.lower())
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        expected = f"sha256={digest}" if provider is GITHUB else digest
    if given is None:
        raise UnauthorizedError(f"the delivery has no {header} header")
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise UnauthorizedError(f"the {header} header does not match the configured secret")


class _Repository(BaseModel):
    model_config = ConfigDict(extra="ignore")
    full_name: str | None = None  # GitHub, Gitea
    path_with_namespace: str | None = None  # GitLab's project


class PushPayload(BaseModel):
    """The fields of a push event ecoplane reads (the three hosts agree on these names)."""

    model_config = ConfigDict(extra="ignore")
    ref: str = Field(max_length=1000)
    after: str = Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$", description="the pushed commit")
    repository: _Repository | None = None
    project: _Repository | None = None  # GitLab
    pusher: dict[str, object] | None = None  # GitHub, Gitea
    user_username: str | None = None  # GitLab

    @property
    def repository_name(self) -> str | None:
        """The pushed repository as owner/name."""
        for holder in (self.repository, self.project):
            if holder is not None and (holder.full_name or holder.path_with_namespace):
                return holder.full_name or holder.path_with_namespace
        return None

    @property
    def pushed_by(self) -> str | None:
        """Who pushed, as the host names them."""
        if self.user_username:
            return self.user_username
        name = (self.pusher or {}).get("login") or (self.pusher or {}).get("name")
        return str(name) if name else None


def read_push(body: bytes) -> PushPayload:
    """The push event in a (signed) body; 422 when it is not one."""
    try:
        return PushPayload.model_validate_json(body)
    except ValidationError as error:
        reason = error.errors()[0]
        where = ".".join(str(step) for step in reason["loc"]) or "body"
        raise InvalidParameterError(
            "body", f"not a push event: {where}: {reason['msg']}"
        ) from error


def ignored_because(push: PushPayload, branch: str, repository: str | None) -> str | None:
    """Why this push is not followed (another repository or branch, a deletion), or None."""
    pushed = push.repository_name
    if repository and (pushed or "").lower() != repository.lower():
        return f"a push to the repository {pushed!r}; ecoplane follows {repository!r}"
    if push.ref != f"refs/heads/{branch}":
        return f"a push to {push.ref!r}; ecoplane follows the branch {branch!r}"
    if push.after == ZERO_SHA:
        return f"the branch {branch!r} was deleted"
    return None
