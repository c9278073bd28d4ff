"""Pull-request webhook events of GitHub, GitLab and Gitea: read, and relevance decided.

GitHub sends `pull_request` (opened, synchronize, reopened, ready_for_review, closed, ...) and
`pull_request_review`; GitLab a `Merge Request Hook` whose action also says approved or
unapproved; Gitea `pull_request` and its `pull_request_review_*` events. Each (signed as pushes
are) asks for a check of the head, or, once the pull request is closed, for none.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import InvalidParameterError

SHA = r"^[0-9a-f]{40}([0-9a-f]{24})?$"
CHECKED = {
    "opened", "synchronize", "synchronized", "reopened", "ready_for_review",  # GitHub, Gitea
    "submitted", "edited", "dismissed", "reviewed",  # reviews
    "open", "update", "reopen", "approved", "unapproved", "approval", "unapproval",  # GitLab
}  # fmt: skip
CLOSING = {"closed", "close", "merge", "merged"}


def is_pull_request_event(forge: str, event: str) -> bool:
    """Whether a delivery's event header names a pull-request (or review) event of the forge."""
    if forge == "gitlab":
        return event == "Merge Request Hook"
    if forge == "gitea":
        return event.startswith("pull_request")
    return event in ("pull_request", "pull_request_review")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Ref(_Model):
    ref: str = Field(default="", max_length=1000)
    sha: str = Field(default="0" * 40, pattern=SHA)


class _PullRequest(_Model):
    number: int = Field(ge=1, le=2**31 - 1)
    state: str = Field(max_length=40)
    head: _Ref
    base: _Ref


class _Repository(_Model):
    full_name: str | None = None
    path_with_namespace: str | None = None


class _GitHubEvent(_Model):
    action: str = Field(default="", max_length=80)
    pull_request: _PullRequest
    repository: _Repository | None = None


class _Commit(_Model):
    id: str = Field(pattern=SHA)


class _MergeRequest(_Model):
    iid: int = Field(ge=1, le=2**31 - 1)
    state: str = Field(max_length=40)
    action: str = Field(default="", max_length=80)
    target_branch: str = Field(max_length=1000)
    last_commit: _Commit


class _GitLabEvent(_Model):
    object_attributes: _MergeRequest
    project: _Repository | None = None


@dataclass(frozen=True, slots=True)
class PullRequestEvent:
    """What a pull-request delivery says: which request, its head and base, open or not."""

    number: int
    head_sha: str
    base_branch: str
    action: str
    open: bool
    repository: str | None


def read_pull_request(forge: str, body: bytes) -> PullRequestEvent:
    """The pull-request event in a (signed) body; 422 naming the field when it is not one."""
    try:
        if forge == "gitlab":
            merge = _GitLabEvent.model_validate_json(body)
            mr, project = merge.object_attributes, merge.project
            return PullRequestEvent(
                mr.iid, mr.last_commit.id, mr.target_branch, mr.action,
                mr.state in ("opened", "reopened") and mr.action not in CLOSING,
                project.path_with_namespace if project else None,
            )  # fmt: skip
        event = _GitHubEvent.model_validate_json(body)
    except ValidationError as error:
        reason = error.errors()[0]
        where = ".".join(str(step) for step in reason["loc"]) or "body"
        raise InvalidParameterError(
            "body", f"not a pull-request event: {where}: {reason['msg']}"
        ) from error
    pr, repository = event.pull_request, event.repository
    return PullRequestEvent(
        pr.number, pr.head.sha, pr.base.ref.removeprefix("refs/heads/"), event.action,
        pr.state == "open" and event.action not in CLOSING,
        repository.full_name if repository else None,
    )  # fmt: skip


def not_followed(event: PullRequestEvent, branch: str, repository: str | None) -> str | None:
    """Why the pull request is not one ecoplane checks (another repository or base), or None."""
    if repository and (event.repository or "").lower() != repository.lower():
        return f"a pull request of the repository {event.repository!r}; ecoplane follows {repository!r}"
    if event.base_branch != branch:
        return f"a pull request into {event.base_branch!r}; ecoplane follows the branch {branch!r}"
    return None


def ignored_because(event: PullRequestEvent, branch: str, repository: str | None) -> str | None:
    """Why this event asks for no check (not followed, closed, an action that changes nothing),
    or None."""
    if reason := not_followed(event, branch, repository):
        return reason
    if not event.open:
        return f"pull request {event.number} is closed"
    if event.action not in CHECKED:
        return f"the action {event.action[:80]!r} changes neither the head nor the approvals"
    return None
