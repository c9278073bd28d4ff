"""Pull-request webhook payloads as GitHub, GitLab and Gitea document them (trimmed), as bytes."""

from __future__ import annotations

import json
from typing import Any

REPO = "acme/data-model"


def pull_request_event(
    forge: str, number: int, head: str, action: str = "opened", *, base: str = "main",
    repo: str = REPO, state: str | None = None, review: bool = False,
) -> bytes:  # fmt: skip
    """The body of a pull-request (or review) delivery of the forge."""
    if forge == "gitlab":
        body: dict[str, Any] = {
            "object_kind": "merge_request", "event_type": "merge_request",
            "user": {"id": 1, "name": "Mallory", "username": "mallory"},
            "project": {"id": 15, "name": "data-model", "path_with_namespace": repo},
            "object_attributes": {
                "id": 99, "iid": number, "target_branch": base, "source_branch": "feature",
                "state": state or ("closed" if action == "close" else "opened"), "action": action,
                "author_id": 1, "last_commit": {"id": head, "message": "change"},
            },
        }  # fmt: skip
        return json.dumps(body).encode()
    pull = {
        "url": f"https://api.github.com/repos/{repo}/pulls/{number}", "id": 1, "number": number,
        "state": state or ("closed" if action == "closed" else "open"), "draft": False,
        "user": {"login": "mallory", "id": 7},
        "head": {"ref": "feature", "sha": head, "repo": {"full_name": repo}},
        "base": {"ref": base, "sha": "b" * 40, "repo": {"full_name": repo}},
    }  # fmt: skip
    body = {"action": action, "number": number, "pull_request": pull,
            "repository": {"id": 3, "full_name": repo}, "sender": {"login": "mallory"}}  # fmt: skip
    if review:
        body["review"] = {
            "id": 5,
            "user": {"login": "alice"},
            "state": "approved",
            "commit_id": head,
        }
    return json.dumps(body).encode()


EVENT = {"github": "pull_request", "gitlab": "Merge Request Hook", "gitea": "pull_request"}
REVIEW_EVENT = {
    "github": "pull_request_review",
    "gitlab": "Merge Request Hook",
    "gitea": "pull_request_review_approved",
}
REVIEW_ACTION = {"github": "submitted", "gitlab": "approved", "gitea": "reviewed"}
CLOSE_ACTION = {"github": "closed", "gitlab": "close", "gitea": "closed"}
